/* Keras' metric object arguments, one compiled metric at a time (deep.h's
 * deep_model_set_metric_*, since 1.3): Precision(thresholds=, class_id=, top_k=),
 * Recall likewise, BinaryAccuracy(threshold=), TopKCategoricalAccuracy(k=) and
 * AUC(num_thresholds=). A setting left unset falls back on the model-wide option (1.2's
 * DEEP_MODEL_METRIC_THRESHOLD, DEEP_MODEL_TOP_K) or Keras' default, so models of 1.2
 * score as before. */
#include <math.h>
#include <string.h>

#include "graph/model.h"

void deep_model_reset_metric_settings(deep_model *model)
{
    for (int32_t m = 0; m < DEEP_MAX_METRICS; m++)
        model->metric_settings[m] = (struct deep_metric_settings){NAN, -1, 0, 0};
    for (int32_t k = 0; k < DEEP_MAX_MODEL_INPUTS; k++)
        model->output_settings[k] = (struct deep_output_settings){-1, NAN, NAN};
}

deep_metric_config deep_model_metric_config(const deep_model *model, int32_t m)
{
    const struct deep_metric_settings *s = &model->metric_settings[m];
    const deep_metric metric = model->metrics[m];
    const bool confusion = metric == DEEP_METRIC_PRECISION || metric == DEEP_METRIC_RECALL;
    deep_metric_config c = {.threshold = model->metric_threshold, .top_k = model->top_k, .class_id = -1,
                            .num_thresholds = DEEP_AUC_THRESHOLDS};
    if (confusion) {
        c.top_k = s->top_k; /* a filter: none unless set */
        c.class_id = s->class_id;
        if (s->top_k > 0)
            c.threshold = -1e10; /* Keras' default threshold with top_k: NEG_INF */
    } else if (s->top_k > 0) {
        c.top_k = s->top_k;
    }
    if (!isnan(s->threshold))
        c.threshold = s->threshold;
    if (s->num_thresholds > 0)
        c.num_thresholds = s->num_thresholds;
    return c;
}

static const char *option_name(deep_metric_option option)
{
    switch (option) {
    case DEEP_METRIC_OPTION_THRESHOLD: return "DEEP_METRIC_OPTION_THRESHOLD";
    case DEEP_METRIC_OPTION_CLASS_ID: return "DEEP_METRIC_OPTION_CLASS_ID";
    case DEEP_METRIC_OPTION_TOP_K: return "DEEP_METRIC_OPTION_TOP_K";
    case DEEP_METRIC_OPTION_NUM_THRESHOLDS: return "DEEP_METRIC_OPTION_NUM_THRESHOLDS";
    }
    return NULL;
}

/* Whether Keras' metric object of that kind takes the argument. */
static bool takes(deep_metric metric, deep_metric_option option)
{
    const bool confusion = metric == DEEP_METRIC_PRECISION || metric == DEEP_METRIC_RECALL;
    switch (option) {
    case DEEP_METRIC_OPTION_THRESHOLD: return confusion || metric == DEEP_METRIC_BINARY_ACCURACY;
    case DEEP_METRIC_OPTION_CLASS_ID: return confusion;
    case DEEP_METRIC_OPTION_TOP_K: return confusion || metric == DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY;
    case DEEP_METRIC_OPTION_NUM_THRESHOLDS: return metric == DEEP_METRIC_AUC || metric == DEEP_METRIC_PR_AUC;
    }
    return false;
}

/* The checks every setter and getter shares: the model compiled, the metric in its list,
 * an option that metric takes, through the call of its type. */
static deep_status check(const deep_model *model, int32_t metric, deep_metric_option option, bool integer,
                         const char *caller)
{
    if (option_name(option) == NULL)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown metric option %d", (int)option);
    if (integer != (option != DEEP_METRIC_OPTION_THRESHOLD))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s is %s; use deep_model_%s_metric_%s",
                              option_name(option), integer ? "a float" : "an integer",
                              strstr(caller, "_get_") != NULL ? "get" : "set", integer ? "float" : "int");
    if (!model->compiled)
        return deep_error_set(DEEP_ERR_STATE, caller,
                              "the model is not compiled: metric settings belong to compile's metrics");
    if (metric < 0 || metric >= model->metric_count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "metric %d is outside the %d compiled metrics",
                              (int)metric, (int)model->metric_count);
    if (!takes(model->metrics[metric], option))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "metric %d (%s) takes no %s", (int)metric,
                              deep_metric_log_name(model->metrics[metric]), option_name(option));
    return DEEP_OK;
}

deep_status deep_model_set_metric_int(deep_model *model, int32_t metric, deep_metric_option option, int64_t value)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(check(model, metric, option, true, __func__));
    struct deep_metric_settings *s = &model->metric_settings[metric];
    switch (option) {
    case DEEP_METRIC_OPTION_CLASS_ID:
        for (int32_t k = 0; k < deep_model_output_count(model); k++) {
            const deep_node *out = &model->nodes[deep_model_output_node_at(model, k)];
            if (value < -1 || value >= out->shape[out->rank - 1])
                return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                                 "class_id %lld of metric %d: output %d has %lld classes (0..%lld), or -1 for all",
                                 (long long)value, (int)metric, (int)k, (long long)out->shape[out->rank - 1],
                                 (long long)out->shape[out->rank - 1] - 1);
        }
        DEEP_TRY(deep_model_may_change(model, __func__, "metric settings cannot change", false));
        s->class_id = value;
        return DEEP_OK;
    case DEEP_METRIC_OPTION_TOP_K:
        if (value < 0 || value > INT32_MAX ||
            (value == 0 && model->metrics[metric] == DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "top_k %lld of metric %d is outside %d..%d", (long long)value,
                             (int)metric, model->metrics[metric] == DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY ? 1 : 0,
                             INT32_MAX);
        DEEP_TRY(deep_model_may_change(model, __func__, "metric settings cannot change", false));
        s->top_k = value;
        return DEEP_OK;
    case DEEP_METRIC_OPTION_NUM_THRESHOLDS:
        if (value < 2 || value > DEEP_AUC_MAX_THRESHOLDS)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "num_thresholds %lld of metric %d is outside 2..%d",
                             (long long)value, (int)metric, DEEP_AUC_MAX_THRESHOLDS);
        DEEP_TRY(deep_model_may_change(model, __func__, "metric settings cannot change", false));
        s->num_thresholds = (int32_t)value;
        return DEEP_OK;
    case DEEP_METRIC_OPTION_THRESHOLD:
        break;
    }
    return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown metric option %d", (int)option);
}

deep_status deep_model_set_metric_float(deep_model *model, int32_t metric, deep_metric_option option, double value)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(check(model, metric, option, false, __func__));
    if (!isfinite(value))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "threshold %g of metric %d must be finite", value, (int)metric);
    DEEP_TRY(deep_model_may_change(model, __func__, "metric settings cannot change", false));
    model->metric_settings[metric].threshold = value;
    return DEEP_OK;
}

deep_status deep_model_get_metric_int(const deep_model *model, int32_t metric, deep_metric_option option,
                                      int64_t *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    DEEP_TRY(check(model, metric, option, true, __func__));
    const deep_metric_config c = deep_model_metric_config(model, metric);
    *value = option == DEEP_METRIC_OPTION_CLASS_ID ? c.class_id
             : option == DEEP_METRIC_OPTION_TOP_K  ? c.top_k
                                                   : c.num_thresholds;
    return DEEP_OK;
}

deep_status deep_model_get_metric_float(const deep_model *model, int32_t metric, deep_metric_option option,
                                        double *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    DEEP_TRY(check(model, metric, option, false, __func__));
    *value = deep_model_metric_config(model, metric).threshold;
    return DEEP_OK;
}
