/* GaussianDropout (since 1.2), Keras' layer: while training, multiplies every input by
 * normal noise of mean 1 and standard deviation sqrt(rate / (1 - rate)); the identity at
 * inference. The factors are kept in scratch for backward. */
#include <math.h>
#include <string.h>

#include "layers/layer.h"

static deep_status gaussian_dropout_build(deep_layer *layer)
{
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    layer->scratch_size = layer->in_size;
    return DEEP_OK;
}

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

static void gaussian_dropout_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                      float *grad_out, float *grad_in, float *noise, int64_t batch)
{
    (void)in;
    (void)out;
    if (grad_in == NULL)
        return;
    int64_t n = batch * layer->in_size;
    if (!ex->training || layer->cfg.dropout.rate == 0.0f) {
        memcpy(grad_in, grad_out, (size_t)n * sizeof *grad_in);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        grad_in[i] = grad_out[i] * noise[i];
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
    .build = gaussian_dropout_build,
    .forward = gaussian_dropout_forward,
    .backward = gaussian_dropout_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_gaussian_dropout(deep_model *model, double rate)
{
    deep_dropout_config c = {.rate = (float)rate};
    return deep_layer_append(model, &deep_gaussian_dropout_ops, &c, false, __func__, NULL);
}
