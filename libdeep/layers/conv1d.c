/* Conv1D, Keras' layer, channels last: samples (steps, channels) to (output steps, filters).
 * As Conv2D, im2col then one GEMM for the whole batch: each output step's receptive field
 * (kernel_size input steps, dilation_rate apart, all channels, in the kernel's (k, c) order)
 * becomes a row of `cols`, so cols . kernel is the output already in channels-last layout.
 * The rows stay in scratch for the kernel gradient; backward then reuses that space for the
 * rows' gradient. Padding "causal" pads dilation_rate * (kernel_size - 1) zeros before the
 * steps only, as Keras does. Its config struct is private to this file. */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct conv1d_config {
    int64_t filters, kernel_size, strides;
    deep_padding padding;
    int64_t dilation_rate;
    deep_activation activation;
    bool use_bias;
} conv1d_config;
DEEP_LAYER_CONFIG_FITS(conv1d_config);

typedef struct conv1d_geometry {
    int64_t steps, c;       /* input */
    int64_t out_steps, f;   /* output */
    int64_t k, stride, dilation;
    int64_t pad;            /* zeros before the first step */
    int64_t patch;          /* k * c: one row of cols */
    deep_activation activation;
    bool use_bias;
} conv1d_geometry;

/* The window spans dilation * (k - 1) + 1 steps; with `same` Keras splits the padding it
 * needs with the smaller half before. The sizes are checked by build, so nothing overflows. */
static conv1d_geometry geometry(const deep_layer *layer)
{
    conv1d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    conv1d_geometry g = {.steps = layer->in_shape[0], .c = layer->in_shape[1], .out_steps = layer->out_shape[0],
                         .f = c.filters, .k = c.kernel_size, .stride = c.strides, .dilation = c.dilation_rate,
                         .activation = c.activation, .use_bias = c.use_bias};
    int64_t span = g.dilation * (g.k - 1) + 1;
    if (c.padding == DEEP_PADDING_CAUSAL)
        g.pad = span - 1;
    else if (c.padding == DEEP_PADDING_SAME) {
        int64_t total = (g.out_steps - 1) * g.stride + span - g.steps;
        g.pad = total > 0 ? total / 2 : 0;
    }
    g.patch = g.k * g.c;
    return g;
}

static deep_status conv1d_check(const void *config, const char *caller)
{
    conv1d_config c;
    memcpy(&c, config, sizeof c);
    if (c.strides > 1 && c.dilation_rate > 1) /* Keras refuses the pair too */
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "strides %lld > 1 cannot go with dilation_rate %lld > 1", (long long)c.strides,
                              (long long)c.dilation_rate);
    return DEEP_OK;
}

static deep_status conv1d_build(deep_layer *layer)
{
    char s[128];
    conv1d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (layer->in_rank != 2)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "Conv1D needs (steps, channels) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    /* Both at most DEEP_MAX_LAYER_SIZE (2^31 - 1): the span fits int64. */
    int64_t span = c.dilation_rate * (c.kernel_size - 1) + 1, pad = 0;
    if (c.padding == DEEP_PADDING_CAUSAL)
        layer->out_shape[0] = (layer->in_shape[0] - 1) / c.strides + 1;
    else
        DEEP_TRY(deep_window_axis(c.dilation_rate > 1 ? "kernel_size dilated to" : "kernel_size", DEEP_AXIS_STEPS,
                                  layer->in_shape[0], span, c.strides, c.padding, &layer->out_shape[0], &pad));
    layer->out_rank = 2;
    layer->out_shape[1] = c.filters;
    /* Each sample's im2col rows (output steps x patch) are one CBLAS operand: they must fit its int. */
    int64_t patch = 0, cols = 0;
    if (!deep_mul_i64(c.kernel_size, layer->in_shape[1], &patch) || !deep_mul_i64(layer->out_shape[0], patch, &cols) ||
        cols > INT_MAX || c.filters > INT_MAX)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW,
                         "kernel_size %lld over %lld channels at %lld output steps takes more than %d values per "
                         "sample (im2col)",
                         (long long)c.kernel_size, (long long)layer->in_shape[1], (long long)layer->out_shape[0],
                         INT_MAX);
    /* Plus, for gelu and silu (whose gradient needs the input), the pre-activations. */
    layer->scratch_size = cols + (deep_activation_needs_input(c.activation) ? layer->out_shape[0] * c.filters : 0);
    int64_t kernel_shape[3] = {c.kernel_size, layer->in_shape[1], c.filters};
    DEEP_TRY(deep_layer_declare_param(layer, 0, "kernel", 3, kernel_shape));
    if (c.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, 1, "bias", 1, &c.filters));
    return DEEP_OK;
}

static void conv1d_init(deep_layer *layer, struct deep_rng *rng)
{
    /* Glorot uniform with Keras' fans for a conv kernel: receptive field times channels. */
    conv1d_geometry g = geometry(layer);
    deep_init_glorot_uniform(layer->params[0].value, layer->params[0].size, g.k * g.c, g.k * g.f, rng);
    if (g.use_bias)
        memset(layer->params[1].value, 0, (size_t)g.f * sizeof(float));
}

typedef struct conv1d_ctx {
    conv1d_geometry g;
    const float *in;
    float *grad_in;
    float *cols;
    float *out;
    float *grad;
    const float *bias;
    float *pre; /* the pre-activations after the rows, kept for gelu and silu */
} conv1d_ctx;

static float *pre_activations(const conv1d_geometry *g, float *scratch, int64_t batch)
{
    return deep_activation_needs_input(g->activation) ? scratch + batch * g->out_steps * g->patch : NULL;
}

static void im2col_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const conv1d_ctx *ctx = raw;
    const conv1d_geometry *g = &ctx->g;
    size_t run = (size_t)g->c * sizeof(float);
    for (int64_t s = begin; s < end; s++) {
        const float *seq = ctx->in + s * g->steps * g->c;
        float *row = ctx->cols + s * g->out_steps * g->patch;
        for (int64_t t = 0; t < g->out_steps; t++) {
            int64_t first = t * g->stride - g->pad, last = first + g->dilation * (g->k - 1);
            if (g->dilation == 1 && first >= 0 && last < g->steps) {
                /* The whole window lies in the sequence: k contiguous steps, copied at once. */
                memcpy(row, seq + first * g->c, (size_t)g->k * run);
                row += g->patch;
                continue;
            }
            for (int64_t j = 0; j < g->k; j++, row += g->c) {
                int64_t at = first + j * g->dilation;
                if (at >= 0 && at < g->steps)
                    memcpy(row, seq + at * g->c, run);
                else
                    memset(row, 0, run);
            }
        }
    }
}

static void col2im_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const conv1d_ctx *ctx = raw;
    const conv1d_geometry *g = &ctx->g;
    for (int64_t s = begin; s < end; s++) {
        float *seq = ctx->grad_in + s * g->steps * g->c;
        const float *row = ctx->cols + s * g->out_steps * g->patch;
        memset(seq, 0, (size_t)(g->steps * g->c) * sizeof(float));
        for (int64_t t = 0; t < g->out_steps; t++)
            for (int64_t j = 0; j < g->k; j++, row += g->c) {
                int64_t at = t * g->stride - g->pad + j * g->dilation;
                if (at >= 0 && at < g->steps)
                    for (int64_t ch = 0; ch < g->c; ch++)
                        seq[at * g->c + ch] += row[ch];
            }
    }
}

static void bias_activation_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const conv1d_ctx *ctx = raw;
    int64_t f = ctx->g.f, rows = (end - begin) * ctx->g.out_steps;
    float *out = ctx->out + begin * ctx->g.out_steps * f;
    if (ctx->bias != NULL)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < f; j++)
                out[r * f + j] += ctx->bias[j];
    if (ctx->pre != NULL)
        memcpy(ctx->pre + begin * ctx->g.out_steps * f, out, (size_t)(rows * f) * sizeof *out);
    deep_activation_forward(ctx->g.activation, out, rows, f);
}

static void activation_grad_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const conv1d_ctx *ctx = raw;
    int64_t offset = begin * ctx->g.out_steps * ctx->g.f, rows = (end - begin) * ctx->g.out_steps;
    if (ctx->pre != NULL)
        deep_activation_backward_input(ctx->g.activation, ctx->pre + offset, ctx->grad + offset, rows * ctx->g.f);
    else
        deep_activation_backward(ctx->g.activation, ctx->out + offset, ctx->grad + offset, rows, ctx->g.f);
}

static void conv1d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *cols,
                           int64_t batch)
{
    conv1d_ctx ctx = {.g = geometry(layer), .in = in, .cols = cols, .out = out};
    ctx.bias = ctx.g.use_bias ? layer->params[1].value : NULL;
    ctx.pre = pre_activations(&ctx.g, cols, batch);
    deep_pool_run(ex->pool, batch, im2col_samples, &ctx);
    deep_gemm(ex->pool, false, false, batch * ctx.g.out_steps, ctx.g.f, ctx.g.patch, 1.0f, cols,
              layer->params[0].value, 0.0f, out);
    deep_pool_run(ex->pool, batch, bias_activation_samples, &ctx);
}

static void conv1d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                            float *grad_out, float *grad_in, float *cols, int64_t batch)
{
    (void)in;
    conv1d_ctx ctx = {.g = geometry(layer), .cols = cols, .out = (float *)out, .grad = grad_out, .grad_in = grad_in};
    ctx.pre = pre_activations(&ctx.g, cols, batch);
    const conv1d_geometry *g = &ctx.g;
    int64_t rows = batch * g->out_steps;
    if (!ex->fused_output)
        deep_pool_run(ex->pool, batch, activation_grad_samples, &ctx);
    deep_gemm(ex->pool, true, false, g->patch, g->f, rows, 1.0f, cols, grad_out, 0.0f, layer->params[0].grad);
    if (g->use_bias) {
        float *bias_grad = layer->params[1].grad;
        memset(bias_grad, 0, (size_t)g->f * sizeof(float));
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < g->f; j++)
                bias_grad[j] += grad_out[r * g->f + j];
    }
    if (grad_in == NULL)
        return;
    /* The rows are no longer needed: their space takes the rows' gradient. */
    deep_gemm(ex->pool, false, true, rows, g->patch, g->f, 1.0f, grad_out, layer->params[0].value, 0.0f, cols);
    deep_pool_run(ex->pool, batch, col2im_samples, &ctx);
}

static const deep_layer_field conv1d_fields[] = {
    DEEP_FIELD(conv1d_config, filters, DEEP_FIELD_SIZE, .min = 1, .doc = "output channels"),
    DEEP_FIELD(conv1d_config, kernel_size, DEEP_FIELD_SIZE, .min = 1, .doc = "window length in steps"),
    DEEP_FIELD(conv1d_config, strides, DEEP_FIELD_SIZE, .min = 1, .doc = "step of the window"),
    DEEP_FIELD(conv1d_config, padding, DEEP_FIELD_CAUSAL_PADDING,
               .doc = "valid: whole windows; same: ceil(steps / strides); causal: zeros before the steps only"),
    DEEP_FIELD(conv1d_config, dilation_rate, DEEP_FIELD_SIZE, .min = 1,
               .doc = "steps between the window's taps (> 1 needs strides 1)"),
    DEEP_FIELD(conv1d_config, activation, DEEP_FIELD_ACTIVATION, .doc = "applied to the output"),
    DEEP_FIELD(conv1d_config, use_bias, DEEP_FIELD_BOOL, .doc = "adds a bias per filter"),
};

const deep_layer_ops deep_conv1d_ops = {
    .type = "conv1d",
    .class_name = "Conv1D",
    .config_size = sizeof(conv1d_config),
    DEEP_FIELDS(conv1d_fields),
    .check = conv1d_check,
    .build = conv1d_build,
    .init = conv1d_init,
    .forward = conv1d_forward,
    .backward = conv1d_backward,
};

deep_status deep_model_add_conv1d(deep_model *model, int64_t filters, int64_t kernel_size, int64_t strides,
                                  deep_padding padding, int64_t dilation_rate, deep_activation activation,
                                  int32_t use_bias)
{
    conv1d_config c = {.filters = filters, .kernel_size = kernel_size, .strides = strides, .padding = padding,
                       .dilation_rate = dilation_rate, .activation = activation, .use_bias = use_bias != 0};
    return deep_layer_append(model, &deep_conv1d_ops, &c, false, __func__, NULL);
}
