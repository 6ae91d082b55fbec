/* DepthwiseConv2D, Keras' layer, channels last: each input channel is convolved with its
 * own depth_multiplier kernels (no mixing across channels), giving channels *
 * depth_multiplier output channels; kernel (kh, kw, channels, depth_multiplier) and bias
 * (channels * depth_multiplier), then the activation. The convolution is depthwise.c's;
 * scratch keeps the pre-activations only for gelu and silu, whose gradient needs them. */
#include <stddef.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/depthwise.h"

typedef struct depthwise_conv2d_config {
    int64_t kernel_size[2], strides[2];
    deep_padding padding;
    int64_t depth_multiplier;
    deep_activation activation;
    bool use_bias;
} depthwise_conv2d_config;
DEEP_LAYER_CONFIG_FITS(depthwise_conv2d_config);

static depthwise_conv2d_config config_of(const deep_layer *layer)
{
    depthwise_conv2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    return c;
}

/* Built before, so it cannot fail here. */
static deep_depthwise geometry(const deep_layer *layer, const depthwise_conv2d_config *c)
{
    deep_depthwise g;
    (void)deep_depthwise_geometry("DepthwiseConv2D", layer->in_rank, layer->in_shape, c->kernel_size, c->strides,
                                  c->padding, c->depth_multiplier, &g);
    return g;
}

static deep_status depthwise_build(deep_layer *layer)
{
    depthwise_conv2d_config c = config_of(layer);
    deep_depthwise g;
    DEEP_TRY(deep_depthwise_geometry("DepthwiseConv2D", layer->in_rank, layer->in_shape, c.kernel_size, c.strides,
                                     c.padding, c.depth_multiplier, &g));
    layer->out_rank = 3;
    layer->out_shape[0] = g.oh;
    layer->out_shape[1] = g.ow;
    layer->out_shape[2] = g.oc;
    int64_t kernel_shape[4] = {g.kh, g.kw, g.c, g.dm};
    DEEP_TRY(deep_layer_declare_param(layer, 0, "kernel", 4, kernel_shape));
    if (c.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, 1, "bias", 1, &g.oc));
    /* Pre-activations for gelu and silu only. oh * ow * channels is at most the input's
     * size (< 2^31) and depth_multiplier < 2^31, so the product fits; the model then
     * checks the output's size. */
    layer->scratch_size = deep_activation_needs_input(c.activation) ? g.oh * g.ow * g.oc : 0;
    return DEEP_OK;
}

static void depthwise_init(deep_layer *layer, struct deep_rng *rng)
{
    depthwise_conv2d_config c = config_of(layer);
    deep_depthwise g = geometry(layer, &c);
    /* Keras' glorot_uniform fans of a (kh, kw, channels, depth_multiplier) kernel. */
    deep_init_glorot_uniform(layer->params[0].value, layer->params[0].size, g.kh * g.kw * g.c, g.kh * g.kw * g.dm,
                             rng);
    if (c.use_bias)
        memset(layer->params[1].value, 0, (size_t)g.oc * sizeof(float));
}

static void depthwise_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                              float *scratch, int64_t batch)
{
    depthwise_conv2d_config c = config_of(layer);
    deep_depthwise g = geometry(layer, &c);
    deep_depthwise_forward(ex->pool, &g, in, layer->params[0].value, out, batch);
    deep_channels_bias_activation(ex->pool, out, c.use_bias ? layer->params[1].value : NULL,
                                  deep_activation_needs_input(c.activation) ? scratch : NULL, c.activation, batch,
                                  g.oh * g.ow, g.oc);
}

static void depthwise_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                               float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    depthwise_conv2d_config c = config_of(layer);
    deep_depthwise g = geometry(layer, &c);
    int64_t rows = batch * g.oh * g.ow;
    if (!ex->fused_output)
        deep_channels_activation_grad(ex->pool, out, deep_activation_needs_input(c.activation) ? scratch : NULL,
                                      grad_out, c.activation, batch, g.oh * g.ow, g.oc);
    if (c.use_bias) {
        float *bias_grad = layer->params[1].grad;
        memset(bias_grad, 0, (size_t)g.oc * sizeof(float));
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < g.oc; j++)
                bias_grad[j] += grad_out[r * g.oc + j];
    }
    deep_depthwise_backward(ex->pool, &g, in, layer->params[0].value, grad_out, layer->params[0].grad, grad_in,
                            batch);
}

static const deep_layer_field depthwise_fields[] = {
    DEEP_FIELD(depthwise_conv2d_config, kernel_size, DEEP_FIELD_WINDOW, .doc = "window (height, width)"),
    DEEP_FIELD(depthwise_conv2d_config, strides, DEEP_FIELD_STRIDES, .doc = "steps of the window (height, width)"),
    DEEP_FIELD(depthwise_conv2d_config, padding, DEEP_FIELD_PADDING,
               .doc = "valid: whole windows; same: ceil(input / stride)"),
    DEEP_FIELD(depthwise_conv2d_config, depth_multiplier, DEEP_FIELD_SIZE, .min = 1,
               .doc = "output channels per input channel"),
    DEEP_FIELD(depthwise_conv2d_config, activation, DEEP_FIELD_ACTIVATION, .doc = "applied to the output"),
    DEEP_FIELD(depthwise_conv2d_config, use_bias, DEEP_FIELD_BOOL, .doc = "adds a bias per output channel"),
};

const deep_layer_ops deep_depthwise_conv2d_ops = {
    .type = "depthwise_conv2d",
    .class_name = "DepthwiseConv2D",
    .config_size = sizeof(depthwise_conv2d_config),
    DEEP_FIELDS(depthwise_fields),
    .build = depthwise_build,
    .init = depthwise_init,
    .forward = depthwise_forward,
    .backward = depthwise_backward,
};

deep_status deep_model_add_depthwise_conv2d(deep_model *model, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                                            int64_t stride_w, deep_padding padding, int64_t depth_multiplier,
                                            deep_activation activation, int32_t use_bias)
{
    depthwise_conv2d_config c = {.kernel_size = {kernel_h, kernel_w}, .strides = {stride_h, stride_w},
                                 .padding = padding, .depth_multiplier = depth_multiplier,
                                 .activation = activation, .use_bias = use_bias != 0};
    return deep_layer_append(model, &deep_depthwise_conv2d_ops, &c, false, __func__, NULL);
}
