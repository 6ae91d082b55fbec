/* LeakyReLU (since 1.3), Keras' layer: x for x >= 0, negative_slope * x below, with any
 * slope >= 0 (the Activation "leaky_relu" keeps Keras' default 0.3). Element-wise, so the
 * output takes the input's shape and masks pass on. */
#include <string.h>

#include "layers/layer.h"

typedef struct leaky_relu_config {
    float negative_slope;
} leaky_relu_config;
DEEP_LAYER_CONFIG_FITS(leaky_relu_config);

static deep_status leaky_relu_check(const void *config, const char *caller)
{
    leaky_relu_config c;
    memcpy(&c, config, sizeof c);
    if (!(c.negative_slope >= 0.0f))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "negative_slope is %g; Keras takes a value >= 0",
                              (double)c.negative_slope);
    return DEEP_OK;
}

static void leaky_relu_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                               float *scratch, int64_t batch)
{
    (void)ex;
    (void)scratch;
    leaky_relu_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    int64_t n = batch * layer->in_size;
    for (int64_t i = 0; i < n; i++)
        out[i] = in[i] >= 0.0f ? in[i] : c.negative_slope * in[i];
}

static void leaky_relu_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    leaky_relu_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    int64_t n = batch * layer->in_size;
    for (int64_t i = 0; i < n; i++)
        grad_in[i] = in[i] >= 0.0f ? grad_out[i] : c.negative_slope * grad_out[i];
}

static const deep_layer_field leaky_relu_fields[] = {
    DEEP_FIELD(leaky_relu_config, negative_slope, DEEP_FIELD_FINITE, .doc = "slope below zero, >= 0"),
};

const deep_layer_ops deep_leaky_relu_ops = {
    .type = "leaky_relu",
    .class_name = "LeakyReLU",
    .config_size = sizeof(leaky_relu_config),
    .defaults = &(const leaky_relu_config){.negative_slope = 0.3f},
    DEEP_FIELDS(leaky_relu_fields),
    .check = leaky_relu_check,
    .build = deep_layer_same_shape_build,
    .forward = leaky_relu_forward,
    .backward = leaky_relu_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_leaky_relu(deep_model *model, double negative_slope)
{
    leaky_relu_config c = {.negative_slope = (float)negative_slope};
    return deep_layer_append(model, &deep_leaky_relu_ops, &c, false, __func__, NULL);
}
