/* SeparableConv2D, Keras' layer, channels last: a depthwise convolution (each input channel
 * on its own with depth_multiplier kernels, depthwise.c) followed by a pointwise one (a 1x1
 * convolution mixing the channels * depth_multiplier intermediate channels into `filters`,
 * one GEMM for the whole batch), then the bias and the activation. Weights as Keras:
 * depthwise_kernel (kh, kw, channels, depth_multiplier), pointwise_kernel (1, 1, channels *
 * depth_multiplier, filters), bias (filters). Scratch keeps the intermediate for the
 * pointwise kernel's gradient (backward then reuses it for the intermediate's gradient),
 * and after it the pre-activations for gelu and silu. */
#include <stddef.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/depthwise.h"

enum { DEPTHWISE, POINTWISE, BIAS };

typedef struct separable_conv2d_config {
    int64_t filters;
    int64_t kernel_size[2], strides[2];
    deep_padding padding;
    int64_t depth_multiplier;
    deep_activation activation;
    bool use_bias;
} separable_conv2d_config;
DEEP_LAYER_CONFIG_FITS(separable_conv2d_config);

static separable_conv2d_config config_of(const deep_layer *layer)
{
    separable_conv2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    return c;
}

/* Built before, so it cannot fail here. */
static deep_depthwise geometry(const deep_layer *layer, const separable_conv2d_config *c)
{
    deep_depthwise g;
    (void)deep_depthwise_geometry("SeparableConv2D", layer->in_rank, layer->in_shape, c->kernel_size, c->strides,
                                  c->padding, c->depth_multiplier, &g);
    return g;
}

static deep_status separable_build(deep_layer *layer)
{
    separable_conv2d_config c = config_of(layer);
    deep_depthwise g;
    DEEP_TRY(deep_depthwise_geometry("SeparableConv2D", layer->in_rank, layer->in_shape, c.kernel_size, c.strides,
                                     c.padding, c.depth_multiplier, &g));
    /* The intermediate (oh, ow, channels * depth_multiplier) is a layer output in all but
     * name: the same limit applies (oh * ow <= the input's size and oc < 2^31: no overflow). */
    int64_t pixels = g.oh * g.ow;
    if (pixels * g.oc > DEEP_MAX_LAYER_SIZE)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW,
                         "the depthwise output (%lld, %lld, %lld) of depth_multiplier %lld has more than %lld elements",
                         (long long)g.oh, (long long)g.ow, (long long)g.oc, (long long)g.dm,
                         (long long)DEEP_MAX_LAYER_SIZE);
    layer->out_rank = 3;
    layer->out_shape[0] = g.oh;
    layer->out_shape[1] = g.ow;
    layer->out_shape[2] = c.filters;
    int64_t depthwise_shape[4] = {g.kh, g.kw, g.c, g.dm}, pointwise_shape[4] = {1, 1, g.oc, c.filters};
    DEEP_TRY(deep_layer_declare_param(layer, DEPTHWISE, "depthwise_kernel", 4, depthwise_shape));
    DEEP_TRY(deep_layer_declare_param(layer, POINTWISE, "pointwise_kernel", 4, pointwise_shape));
    if (c.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, BIAS, "bias", 1, &c.filters));
    /* filters <= 2^31 - 1 (the field's limit): pixels * filters fits int64. */
    layer->scratch_size = pixels * g.oc + (deep_activation_needs_input(c.activation) ? pixels * c.filters : 0);
    return DEEP_OK;
}

static void separable_init(deep_layer *layer, struct deep_rng *rng)
{
    separable_conv2d_config c = config_of(layer);
    deep_depthwise g = geometry(layer, &c);
    /* Keras' glorot_uniform fans of each kernel's shape. */
    deep_init_glorot_uniform(layer->params[DEPTHWISE].value, layer->params[DEPTHWISE].size, g.kh * g.kw * g.c,
                             g.kh * g.kw * g.dm, rng);
    deep_init_glorot_uniform(layer->params[POINTWISE].value, layer->params[POINTWISE].size, g.oc, c.filters, rng);
    if (c.use_bias)
        memset(layer->params[BIAS].value, 0, (size_t)c.filters * sizeof(float));
}

static void separable_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                              float *scratch, int64_t batch)
{
    separable_conv2d_config c = config_of(layer);
    deep_depthwise g = geometry(layer, &c);
    int64_t rows = batch * g.oh * g.ow;
    float *mid = scratch, *pre = scratch + rows * g.oc;
    deep_depthwise_forward(ex->pool, &g, in, layer->params[DEPTHWISE].value, mid, batch);
    deep_gemm(ex->pool, false, false, rows, c.filters, g.oc, 1.0f, mid, layer->params[POINTWISE].value, 0.0f, out);
    deep_channels_bias_activation(ex->pool, out, c.use_bias ? layer->params[BIAS].value : NULL,
                                  deep_activation_needs_input(c.activation) ? pre : NULL, c.activation, batch,
                                  g.oh * g.ow, c.filters);
}

static void separable_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                               float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    separable_conv2d_config c = config_of(layer);
    deep_depthwise g = geometry(layer, &c);
    int64_t rows = batch * g.oh * g.ow;
    float *mid = scratch, *pre = scratch + rows * g.oc;
    if (!ex->fused_output)
        deep_channels_activation_grad(ex->pool, out, deep_activation_needs_input(c.activation) ? pre : NULL,
                                      grad_out, c.activation, batch, g.oh * g.ow, c.filters);
    if (c.use_bias) {
        float *bias_grad = layer->params[BIAS].grad;
        memset(bias_grad, 0, (size_t)c.filters * sizeof(float));
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < c.filters; j++)
                bias_grad[j] += grad_out[r * c.filters + j];
    }
    deep_gemm(ex->pool, true, false, g.oc, c.filters, rows, 1.0f, mid, grad_out, 0.0f, layer->params[POINTWISE].grad);
    /* The intermediate is no longer needed: its space takes its gradient, which the
     * depthwise kernel's gradient needs even when the input's is not asked for. */
    deep_gemm(ex->pool, false, true, rows, g.oc, c.filters, 1.0f, grad_out, layer->params[POINTWISE].value, 0.0f,
              mid);
    deep_depthwise_backward(ex->pool, &g, in, layer->params[DEPTHWISE].value, mid, layer->params[DEPTHWISE].grad,
                            grad_in, batch);
}

static const deep_layer_field separable_fields[] = {
    DEEP_FIELD(separable_conv2d_config, filters, DEEP_FIELD_SIZE, .min = 1, .doc = "output channels"),
    DEEP_FIELD(separable_conv2d_config, kernel_size, DEEP_FIELD_WINDOW, .doc = "depthwise window (height, width)"),
    DEEP_FIELD(separable_conv2d_config, strides, DEEP_FIELD_STRIDES, .doc = "steps of the window (height, width)"),
    DEEP_FIELD(separable_conv2d_config, padding, DEEP_FIELD_PADDING,
               .doc = "valid: whole windows; same: ceil(input / stride)"),
    DEEP_FIELD(separable_conv2d_config, depth_multiplier, DEEP_FIELD_SIZE, .min = 1,
               .doc = "depthwise output channels per input channel"),
    DEEP_FIELD(separable_conv2d_config, activation, DEEP_FIELD_ACTIVATION, .doc = "applied to the output"),
    DEEP_FIELD(separable_conv2d_config, use_bias, DEEP_FIELD_BOOL, .doc = "adds a bias per filter"),
};

const deep_layer_ops deep_separable_conv2d_ops = {
    .type = "separable_conv2d",
    .class_name = "SeparableConv2D",
    .config_size = sizeof(separable_conv2d_config),
    DEEP_FIELDS(separable_fields),
    .build = separable_build,
    .init = separable_init,
    .forward = separable_forward,
    .backward = separable_backward,
};

deep_status deep_model_add_separable_conv2d(deep_model *model, int64_t filters, int64_t kernel_h, int64_t kernel_w,
                                            int64_t stride_h, int64_t stride_w, deep_padding padding,
                                            int64_t depth_multiplier, deep_activation activation, int32_t use_bias)
{
    separable_conv2d_config c = {.filters = filters, .kernel_size = {kernel_h, kernel_w},
                                 .strides = {stride_h, stride_w}, .padding = padding,
                                 .depth_multiplier = depth_multiplier, .activation = activation,
                                 .use_bias = use_bias != 0};
    return deep_layer_append(model, &deep_separable_conv2d_ops, &c, false, __func__, NULL);
}
