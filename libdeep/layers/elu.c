/* ELU (since 1.3), Keras' layer: x for x > 0, alpha * (e^x - 1) below, with any finite
 * alpha (the Activation "elu" keeps alpha 1). Element-wise; the derivative below zero,
 * alpha * e^x, comes from the input. */
#include <math.h>
#include <string.h>

#include "layers/layer.h"

typedef struct elu_config {
    float alpha;
} elu_config;
DEEP_LAYER_CONFIG_FITS(elu_config);

static void elu_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                        int64_t batch)
{
    (void)ex;
    (void)scratch;
    elu_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    int64_t n = batch * layer->in_size;
    for (int64_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : c.alpha * expm1f(in[i]);
}

static void elu_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                         float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    elu_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    int64_t n = batch * layer->in_size;
    for (int64_t i = 0; i < n; i++)
        grad_in[i] = in[i] > 0.0f ? grad_out[i] : c.alpha * expf(in[i]) * grad_out[i];
}

static const deep_layer_field elu_fields[] = {
    DEEP_FIELD(elu_config, alpha, DEEP_FIELD_FINITE, .doc = "scale of the negative part, alpha * (e^x - 1)"),
};

const deep_layer_ops deep_elu_ops = {
    .type = "elu",
    .class_name = "ELU",
    .config_size = sizeof(elu_config),
    .defaults = &(const elu_config){.alpha = 1.0f},
    DEEP_FIELDS(elu_fields),
    .build = deep_layer_same_shape_build,
    .forward = elu_forward,
    .backward = elu_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_elu(deep_model *model, double alpha)
{
    elu_config c = {.alpha = (float)alpha};
    return deep_layer_append(model, &deep_elu_ops, &c, false, __func__, NULL);
}
