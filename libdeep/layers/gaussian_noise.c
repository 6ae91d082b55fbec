/* GaussianNoise (since 1.2), Keras' layer: while training, adds zero-mean normal noise of
 * standard deviation stddev (in [0, 1], Keras' rule) to every input; the identity at
 * inference. The noise is additive, so the gradient passes unchanged. */
#include <string.h>

#include "layers/layer.h"

typedef struct gaussian_noise_config {
    float stddev;
} gaussian_noise_config;
DEEP_LAYER_CONFIG_FITS(gaussian_noise_config);

static deep_status gaussian_noise_check(const void *config, const char *caller)
{
    gaussian_noise_config c;
    memcpy(&c, config, sizeof c);
    if (!(c.stddev >= 0.0f && c.stddev <= 1.0f))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "stddev is %g; Keras takes a value in [0, 1]",
                              (double)c.stddev);
    return DEEP_OK;
}

static deep_status gaussian_noise_build(deep_layer *layer)
{
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    return DEEP_OK;
}

static void gaussian_noise_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                   float *scratch, int64_t batch)
{
    (void)scratch;
    gaussian_noise_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    int64_t n = batch * layer->in_size;
    if (!ex->training || c.stddev == 0.0f) {
        memcpy(out, in, (size_t)n * sizeof *out);
        return;
    }
    for (int64_t i = 0; i < n; i++) /* serially from the model's generator: a seed fixes the noise */
        out[i] = in[i] + c.stddev * deep_rng_normal(ex->rng);
}

static const deep_layer_field gaussian_noise_fields[] = {
    DEEP_FIELD(gaussian_noise_config, stddev, DEEP_FIELD_FINITE,
               .doc = "standard deviation of the noise added while training, in [0, 1]"),
};

const deep_layer_ops deep_gaussian_noise_ops = {
    .type = "gaussian_noise",
    .class_name = "GaussianNoise",
    .config_size = sizeof(gaussian_noise_config),
    DEEP_FIELDS(gaussian_noise_fields),
    .check = gaussian_noise_check,
    .build = gaussian_noise_build,
    .forward = gaussian_noise_forward,
    .backward = deep_layer_copy_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_gaussian_noise(deep_model *model, double stddev)
{
    gaussian_noise_config c = {.stddev = (float)stddev};
    return deep_layer_append(model, &deep_gaussian_noise_ops, &c, false, __func__, NULL);
}
