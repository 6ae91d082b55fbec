/* GaussianDropout (since 1.2), Keras' layer: while training, multiplies every input by
 * normal noise of mean 1 and standard deviation sqrt(rate / (1 - rate)); the identity at
 * inference. The factors are kept in scratch for backward, as Dropout keeps its mask
 * (deep_layer_factor_build and _backward). */
#include <math.h>
#include <string.h>

#include "layers/layer.h"

static void gaussian_dropout_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                     float *noise, int64_t batch)
{
    int64_t n = batch * layer->in_size;
    float rate = layer->cfg.dropout.rate;
    if (!ex->training || rate == 0.0f) {
        memcpy(out, in, (size_t)n * sizeof *out);
        return;
    }
    float stddev = sqrtf(rate / (1.0f - rate));
    for (int64_t i = 0; i < n; i++) {
        noise[i] = 1.0f + stddev * deep_rng_normal(ex->rng);
        out[i] = in[i] * noise[i];
    }
}

static const deep_layer_field gaussian_dropout_fields[] = {
    DEEP_FIELD(deep_dropout_config, rate, DEEP_FIELD_RATE,
               .doc = "drop probability: the noise's standard deviation is sqrt(rate / (1 - rate))"),
};

const deep_layer_ops deep_gaussian_dropout_ops = {
    .type = "gaussian_dropout",
    .class_name = "GaussianDropout",
    .config_size = sizeof(deep_dropout_config),
    DEEP_FIELDS(gaussian_dropout_fields),
    .build = deep_layer_factor_build,
    .forward = gaussian_dropout_forward,
    .backward = deep_layer_factor_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_gaussian_dropout(deep_model *model, double rate)
{
    deep_dropout_config c = {.rate = (float)rate};
    return deep_layer_append(model, &deep_gaussian_dropout_ops, &c, false, __func__, NULL);
}
