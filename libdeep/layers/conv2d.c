/* Conv2D, channels last, as im2col followed by GEMMs: each output pixel's receptive field
 * becomes a row of `cols` (kernel_h * kernel_w * channels values, in the kernel's own
 * (kh, kw, c) order), so cols . kernel is the (pixels, filters) output already in
 * channels-last layout. The rows are made for a chunk of samples at a time, at most
 * CHUNK_FLOATS of them, and not kept: backward makes them again (a copy, cheap beside the
 * products) for the kernel gradient, then reuses their space for the gradient of the rows
 * (col2im). Keeping a whole batch's rows from forward to backward was most of a training
 * step's memory (about 42 MB of a small ResNet's 96 at batch 64), and grew with the batch. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layer.h"
#include "tensor/tensor.h"

#define CHUNK_FLOATS ((int64_t)1 << 18) /* 1 MiB of rows: products of hundreds of rows or more */

typedef struct conv_geometry {
    int64_t h, w, c;          /* input */
    int64_t oh, ow, f;        /* output */
    int64_t kh, kw, sh, sw;
    int64_t pt, pl;           /* padding before rows and columns */
    int64_t pixels;           /* oh * ow */
    int64_t patch;            /* kh * kw * c: one row of cols */
} conv_geometry;

static conv_geometry geometry(const deep_layer *layer)
{
    conv_geometry g = {
        .h = layer->in_shape[0],
        .w = layer->in_shape[1],
        .c = layer->in_shape[2],
        .oh = layer->out_shape[0],
        .ow = layer->out_shape[1],
        .f = layer->cfg.conv2d.filters,
        .kh = layer->cfg.conv2d.kernel_size[0],
        .kw = layer->cfg.conv2d.kernel_size[1],
        .sh = layer->cfg.conv2d.strides[0],
        .sw = layer->cfg.conv2d.strides[1],
        .pt = layer->cfg.conv2d.pad[0],
        .pl = layer->cfg.conv2d.pad[1],
    };
    g.pixels = g.oh * g.ow;
    g.patch = g.kh * g.kw * g.c;
    return g;
}

static deep_status conv2d_build(deep_layer *layer)
{
    char s[128];
    if (layer->in_rank != 3)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "Conv2D needs (height, width, channels) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    for (int axis = 0; axis < 2; axis++)
        DEEP_TRY(deep_window_axis("kernel_size", axis, layer->in_shape[axis], layer->cfg.conv2d.kernel_size[axis],
                                  layer->cfg.conv2d.strides[axis], layer->cfg.conv2d.padding, &layer->out_shape[axis],
                                  &layer->cfg.conv2d.pad[axis]));
    layer->out_rank = 3;
    layer->out_shape[2] = layer->cfg.conv2d.filters;
    /* Each sample's im2col rows (pixels x patch) are one CBLAS operand: they must fit its int. */
    int64_t patch = 0, pixels = 0, cols = 0;
    bool fits = deep_mul_i64(layer->cfg.conv2d.kernel_size[0], layer->cfg.conv2d.kernel_size[1], &patch) &&
                deep_mul_i64(patch, layer->in_shape[2], &patch) &&
                deep_mul_i64(layer->out_shape[0], layer->out_shape[1], &pixels) && deep_mul_i64(pixels, patch, &cols);
    if (!fits || cols > INT_MAX || layer->cfg.conv2d.filters > INT_MAX)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW,
                         "kernel_size %lld x %lld over %lld channels at %lld x %lld output positions takes more than "
                         "%d values per sample (im2col)",
                         (long long)layer->cfg.conv2d.kernel_size[0], (long long)layer->cfg.conv2d.kernel_size[1], (long long)layer->in_shape[2],
                         (long long)layer->out_shape[0], (long long)layer->out_shape[1], INT_MAX);
    /* One chunk's rows (at least one sample's, whatever their size), and, for gelu and
     * silu (whose gradient needs the input), the batch's pre-activations. */
    layer->scratch_fixed = cols > CHUNK_FLOATS ? cols : CHUNK_FLOATS / cols * cols;
    layer->scratch_size = deep_activation_needs_input(layer->cfg.conv2d.activation) ? pixels * layer->cfg.conv2d.filters : 0;
    int64_t kernel_shape[4] = {layer->cfg.conv2d.kernel_size[0], layer->cfg.conv2d.kernel_size[1], layer->in_shape[2], layer->cfg.conv2d.filters};
    DEEP_TRY(deep_layer_declare_param(layer, 0, "kernel", 4, kernel_shape));
    if (layer->cfg.conv2d.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, 1, "bias", 1, &layer->cfg.conv2d.filters));
    return DEEP_OK;
}

static void conv2d_init(deep_layer *layer, struct deep_rng *rng)
{
    /* Glorot uniform with Keras' fans for a conv kernel: receptive field times channels. */
    int64_t receptive = layer->cfg.conv2d.kernel_size[0] * layer->cfg.conv2d.kernel_size[1];
    float fan_in = (float)(receptive * layer->in_shape[2]), fan_out = (float)(receptive * layer->cfg.conv2d.filters);
    float limit = sqrtf(6.0f / (fan_in + fan_out));
    deep_param *kernel = &layer->params[0];
    for (int64_t i = 0; i < kernel->size; i++)
        kernel->value[i] = (2.0f * deep_rng_float(rng) - 1.0f) * limit;
    if (layer->cfg.conv2d.use_bias)
        memset(layer->params[1].value, 0, (size_t)layer->cfg.conv2d.filters * sizeof(float));
}

/* The input cell feeding row (oy, ox) at kernel offset (ky, kx), or NULL in the padding. */
static inline const float *source_cell(const conv_geometry *g, const float *image, int64_t oy, int64_t ox, int64_t ky,
                                       int64_t kx)
{
    int64_t y = oy * g->sh - g->pt + ky, x = ox * g->sw - g->pl + kx;
    if (y < 0 || y >= g->h || x < 0 || x >= g->w)
        return NULL;
    return image + (y * g->w + x) * g->c;
}

typedef struct conv_ctx {
    const deep_layer *layer;
    conv_geometry g;
    const float *in;
    float *grad_in;
    float *cols;
    float *out;
    float *grad;
    float *pre; /* the pre-activations after the rows, kept for gelu and silu */
} conv_ctx;

/* Where the pre-activations are kept: after the chunk's rows, NULL when not kept. */
static float *pre_activations(const deep_layer *layer, float *scratch)
{
    return deep_activation_needs_input(layer->cfg.conv2d.activation) ? scratch + layer->scratch_fixed : NULL;
}

/* Samples per chunk of rows: as many as the scratch holds (conv2d_build sized it). */
static int64_t chunk_samples(const deep_layer *layer, const conv_geometry *g)
{
    return layer->scratch_fixed / (g->pixels * g->patch);
}

static void im2col_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const conv_ctx *ctx = raw;
    const conv_geometry *g = &ctx->g;
    size_t run = (size_t)g->c * sizeof(float);
    for (int64_t s = begin; s < end; s++) {
        const float *image = ctx->in + s * g->h * g->w * g->c;
        float *row = ctx->cols + s * g->pixels * g->patch;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++) {
                int64_t x0 = ox * g->sw - g->pl;
                bool inside = x0 >= 0 && x0 + g->kw <= g->w;
                for (int64_t ky = 0; ky < g->kh; ky++) {
                    int64_t y = oy * g->sh - g->pt + ky;
                    if (inside && y >= 0 && y < g->h) {
                        /* The window's row lies whole in the image: kw cells, contiguous in
                         * channels-last memory, copied at once (one call instead of kw). */
                        memcpy(row, image + (y * g->w + x0) * g->c, (size_t)g->kw * run);
                        row += g->kw * g->c;
                        continue;
                    }
                    for (int64_t kx = 0; kx < g->kw; kx++, row += g->c) {
                        const float *cell = source_cell(g, image, oy, ox, ky, kx);
                        if (cell != NULL)
                            memcpy(row, cell, run);
                        else
                            memset(row, 0, run);
                    }
                }
            }
    }
}

static void col2im_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const conv_ctx *ctx = raw;
    const conv_geometry *g = &ctx->g;
    for (int64_t s = begin; s < end; s++) {
        float *image = ctx->grad_in + s * g->h * g->w * g->c;
        const float *row = ctx->cols + s * g->pixels * g->patch;
        memset(image, 0, (size_t)(g->h * g->w * g->c) * sizeof(float));
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++)
                for (int64_t ky = 0; ky < g->kh; ky++)
                    for (int64_t kx = 0; kx < g->kw; kx++, row += g->c) {
                        float *cell = (float *)source_cell(g, image, oy, ox, ky, kx);
                        if (cell != NULL)
                            for (int64_t ch = 0; ch < g->c; ch++)
                                cell[ch] += row[ch];
                    }
    }
}

static void bias_activation_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const conv_ctx *ctx = raw;
    const deep_layer *layer = ctx->layer;
    int64_t f = ctx->g.f, rows = (end - begin) * ctx->g.pixels;
    float *out = ctx->out + begin * ctx->g.pixels * f;
    if (layer->cfg.conv2d.use_bias) {
        const float *bias = layer->params[1].value;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < f; j++)
                out[r * f + j] += bias[j];
    }
    if (ctx->pre != NULL)
        memcpy(ctx->pre + begin * ctx->g.pixels * f, out, (size_t)(rows * f) * sizeof *out);
    deep_activation_forward(layer->cfg.conv2d.activation, out, rows, f);
}

static void activation_grad_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const conv_ctx *ctx = raw;
    int64_t offset = begin * ctx->g.pixels * ctx->g.f;
    if (ctx->pre != NULL)
        deep_activation_backward_input(ctx->layer->cfg.conv2d.activation, ctx->pre + offset, ctx->grad + offset,
                                       (end - begin) * ctx->g.pixels * ctx->g.f);
    else
        deep_activation_backward(ctx->layer->cfg.conv2d.activation, ctx->out + offset, ctx->grad + offset,
                                 (end - begin) * ctx->g.pixels, ctx->g.f);
}

static void conv2d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *cols,
                           int64_t batch)
{
    conv_ctx ctx = {.layer = layer, .g = geometry(layer), .cols = cols, .out = out};
    ctx.pre = pre_activations(layer, cols);
    const conv_geometry *g = &ctx.g;
    int64_t chunk = chunk_samples(layer, g), in_size = g->h * g->w * g->c;
    for (int64_t first = 0; first < batch; first += chunk) {
        int64_t count = batch - first < chunk ? batch - first : chunk;
        ctx.in = in + first * in_size;
        deep_pool_run_work(ex->pool, count, (double)count * (double)(g->pixels * g->patch), im2col_samples, &ctx);
        deep_gemm(ex->pool, false, false, count * g->pixels, g->f, g->patch, 1.0f, cols, layer->params[0].value, 0.0f,
                  out + first * g->pixels * g->f);
    }
    deep_pool_run_work(ex->pool, batch, (double)batch * (double)(g->pixels * g->f), bias_activation_samples, &ctx);
}

static void conv2d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out, float *grad_out,
                            float *grad_in, float *cols, int64_t batch)
{
    conv_ctx ctx = {.layer = layer, .g = geometry(layer), .cols = cols, .out = (float *)out, .grad = grad_out};
    ctx.pre = pre_activations(layer, cols);
    const conv_geometry *g = &ctx.g;
    int64_t rows = batch * g->pixels;
    if (!ex->fused_output)
        deep_pool_run_work(ex->pool, batch, (double)batch * (double)(g->pixels * g->f), activation_grad_samples, &ctx);
    int64_t chunk = chunk_samples(layer, g), in_size = g->h * g->w * g->c;
    for (int64_t first = 0; first < batch; first += chunk) {
        int64_t count = batch - first < chunk ? batch - first : chunk;
        const float *grad_rows = grad_out + first * g->pixels * g->f;
        ctx.in = in + first * in_size;
        deep_pool_run_work(ex->pool, count, (double)count * (double)(g->pixels * g->patch), im2col_samples, &ctx);
        deep_gemm(ex->pool, true, false, g->patch, g->f, count * g->pixels, 1.0f, cols, grad_rows, first == 0 ? 0.0f : 1.0f,
                  layer->params[0].grad);
        if (grad_in == NULL)
            continue;
        /* The rows are no longer needed: their space takes the rows' gradient. */
        deep_gemm(ex->pool, false, true, count * g->pixels, g->patch, g->f, 1.0f, grad_rows, layer->params[0].value, 0.0f,
                  cols);
        ctx.grad_in = grad_in + first * in_size;
        deep_pool_run_work(ex->pool, count, (double)count * (double)(g->pixels * g->patch), col2im_samples, &ctx);
    }
    if (layer->cfg.conv2d.use_bias) {
        float *bias_grad = layer->params[1].grad;
        memset(bias_grad, 0, (size_t)g->f * sizeof(float));
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < g->f; j++)
                bias_grad[j] += grad_out[r * g->f + j];
    }
}

/* The input for the kernel's gradient; the output for an activation's derivative, unless
 * it is linear or takes the pre-activation kept in scratch (gelu, silu). */
static unsigned conv2d_reads(const deep_layer *layer)
{
    deep_activation activation = layer->cfg.conv2d.activation;
    bool output = activation != DEEP_ACTIVATION_LINEAR && !deep_activation_needs_input(activation);
    bool scratch = deep_activation_needs_input(activation);
    return DEEP_READS_INPUT | (output ? DEEP_READS_OUTPUT : 0u) | (scratch ? DEEP_READS_SCRATCH : 0u);
}

static const deep_layer_field conv2d_fields[] = {
    DEEP_FIELD(deep_conv2d_config, filters, DEEP_FIELD_SIZE, .min = 1, .doc = "output channels"),
    DEEP_FIELD(deep_conv2d_config, kernel_size, DEEP_FIELD_WINDOW, .doc = "window (height, width)"),
    DEEP_FIELD(deep_conv2d_config, strides, DEEP_FIELD_STRIDES, .doc = "steps of the window (height, width)"),
    DEEP_FIELD(deep_conv2d_config, padding, DEEP_FIELD_PADDING,
               .doc = "valid: whole windows; same: ceil(input / stride)"),
    DEEP_FIELD(deep_conv2d_config, activation, DEEP_FIELD_ACTIVATION, .doc = "applied to the output"),
    DEEP_FIELD(deep_conv2d_config, use_bias, DEEP_FIELD_BOOL, .doc = "adds a bias per filter"),
};

const deep_layer_ops deep_conv2d_ops = {
    .type = "conv2d",
    .class_name = "Conv2D",
    .config_size = sizeof(deep_conv2d_config),
    DEEP_FIELDS(conv2d_fields),
    .build = conv2d_build,
    .init = conv2d_init,
    .forward = conv2d_forward,
    .backward = conv2d_backward,
    .backward_reads = conv2d_reads,
};

deep_status deep_model_add_conv2d(deep_model *model, int64_t filters, int64_t kernel_h, int64_t kernel_w,
                                  int64_t stride_h, int64_t stride_w, deep_padding padding, deep_activation activation,
                                  int32_t use_bias)
{
    deep_conv2d_config c = {.filters = filters, .kernel_size = {kernel_h, kernel_w}, .strides = {stride_h, stride_w},
                            .padding = padding, .activation = activation, .use_bias = use_bias != 0};
    return deep_layer_append(model, &deep_conv2d_ops, &c, false, __func__, NULL);
}
