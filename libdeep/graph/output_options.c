/* Keras' loss object arguments of one output (deep.h's deep_model_set_output_*, since 1.3):
 * from_logits, label_smoothing and the Huber delta per output, for models of several
 * outputs whose losses are configured differently. Unset, an output uses the model-wide
 * option, so models of 1.2 train as before. */
#include <math.h>

#include "graph/model.h"

deep_loss_config deep_model_loss_config(const deep_model *model, int32_t k)
{
    const struct deep_output_settings *s = &model->output_settings[k];
    return (deep_loss_config){
        .huber_delta = isnan(s->huber_delta) ? model->huber_delta : s->huber_delta,
        .from_logits = s->from_logits < 0 ? model->from_logits : s->from_logits != 0,
        .label_smoothing = isnan(s->label_smoothing) ? model->label_smoothing : s->label_smoothing,
    };
}

static deep_status check(const deep_model *model, int32_t output, deep_model_option option, bool integer,
                         const char *caller)
{
    if (option != DEEP_MODEL_FROM_LOGITS && option != DEEP_MODEL_LABEL_SMOOTHING && option != DEEP_MODEL_HUBER_DELTA)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "option %d is not a loss setting of an output (DEEP_MODEL_FROM_LOGITS, "
                              "DEEP_MODEL_LABEL_SMOOTHING, DEEP_MODEL_HUBER_DELTA)", (int)option);
    if (integer != (option == DEEP_MODEL_FROM_LOGITS))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "option %d is %s; use the %s call", (int)option,
                              integer ? "a float" : "an integer", integer ? "float" : "int");
    if (!model->compiled)
        return deep_error_set(DEEP_ERR_STATE, caller,
                              "the model is not compiled: an output's loss settings belong to compile's losses");
    if (output < 0 || output >= deep_model_output_count(model))
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "output %d is outside the model's %d outputs",
                              (int)output, (int)deep_model_output_count(model));
    return DEEP_OK;
}

deep_status deep_model_set_output_int(deep_model *model, int32_t output, deep_model_option option, int64_t value)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(check(model, output, option, true, __func__));
    if (value != 0 && value != 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "DEEP_MODEL_FROM_LOGITS of output %d takes 0 or 1, not %lld",
                         (int)output, (long long)value);
    /* As compile: log-probabilities are only read right as logits by the cross-entropies. */
    const deep_loss loss = model->losses[output];
    const deep_node *out = &model->nodes[deep_model_output_node_at(model, output)];
    if (value == 0 && out->part == 0 && deep_layer_output_activation(out->layer) == DEEP_ACTIVATION_LOG_SOFTMAX &&
        (loss == DEEP_LOSS_CATEGORICAL_CROSSENTROPY || loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                         "output %d (%s) ends in log_softmax, whose log-probabilities its cross-entropy reads only "
                         "as logits (DEEP_MODEL_FROM_LOGITS 1)", (int)output, out->layer->name);
    DEEP_TRY(deep_model_may_change(model, __func__, "an output's loss settings cannot change", false));
    model->output_settings[output].from_logits = (int32_t)value;
    return DEEP_OK;
}

deep_status deep_model_set_output_float(deep_model *model, int32_t output, deep_model_option option, double value)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(check(model, output, option, false, __func__));
    if (option == DEEP_MODEL_LABEL_SMOOTHING && !(value >= 0.0 && value <= 1.0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "label smoothing %g of output %d is outside [0, 1]", value,
                         (int)output);
    if (option == DEEP_MODEL_HUBER_DELTA && (!(value > 0.0) || !isfinite(value)))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "Huber delta %g of output %d must be finite and > 0", value,
                         (int)output);
    DEEP_TRY(deep_model_may_change(model, __func__, "an output's loss settings cannot change", false));
    if (option == DEEP_MODEL_LABEL_SMOOTHING)
        model->output_settings[output].label_smoothing = value;
    else
        model->output_settings[output].huber_delta = value;
    return DEEP_OK;
}

deep_status deep_model_get_output_int(const deep_model *model, int32_t output, deep_model_option option,
                                      int64_t *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    DEEP_TRY(check(model, output, option, true, __func__));
    *value = deep_model_loss_config(model, output).from_logits;
    return DEEP_OK;
}

deep_status deep_model_get_output_float(const deep_model *model, int32_t output, deep_model_option option,
                                        double *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    DEEP_TRY(check(model, output, option, false, __func__));
    const deep_loss_config c = deep_model_loss_config(model, output);
    *value = option == DEEP_MODEL_LABEL_SMOOTHING ? c.label_smoothing : c.huber_delta;
    return DEEP_OK;
}
