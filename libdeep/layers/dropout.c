/* Dropout (inverted): while training, keeps each input with probability 1 - rate and
 * scales it by 1 / (1 - rate), so inference is the identity. The mask is kept in scratch
 * for backward (deep_layer_factor_build and _backward, shared with GaussianDropout). */
#include <string.h>

#include "layers/layer.h"

static void dropout_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                            float *mask, int64_t batch)
{
    int64_t n = batch * layer->in_size;
    if (!ex->training || layer->cfg.dropout.rate == 0.0f) {
        memcpy(out, in, (size_t)n * sizeof *out);
        return;
    }
    /* Drawn serially from the model's generator so a seed fixes the masks. */
    float keep_scale = 1.0f / (1.0f - layer->cfg.dropout.rate);
    for (int64_t i = 0; i < n; i++) {
        mask[i] = deep_rng_float(ex->rng) >= layer->cfg.dropout.rate ? keep_scale : 0.0f;
        out[i] = in[i] * mask[i];
    }
}

static const deep_layer_field dropout_fields[] = {
    DEEP_FIELD(deep_dropout_config, rate, DEEP_FIELD_RATE, .doc = "fraction of the inputs dropped while training"),
};

const deep_layer_ops deep_dropout_ops = {
    .type = "dropout",
    .class_name = "Dropout",
    .config_size = sizeof(deep_dropout_config),
    DEEP_FIELDS(dropout_fields),
    .build = deep_layer_factor_build,
    .forward = dropout_forward,
    .backward = deep_layer_factor_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_dropout(deep_model *model, double rate)
{
    deep_dropout_config c = {.rate = (float)rate};
    return deep_layer_append(model, &deep_dropout_ops, &c, false, __func__, NULL);
}
