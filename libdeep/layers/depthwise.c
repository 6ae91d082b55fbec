/* The depthwise convolution of DepthwiseConv2D and SeparableConv2D (see depthwise.h): a
 * direct loop, since each output value reads only kh * kw inputs of its own channel (no
 * matrix product to hand to BLAS); the innermost loop runs along the contiguous channels. */
#include <stdio.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/depthwise.h"
#include "tensor/tensor.h"

deep_status deep_depthwise_geometry(const char *class_name, int32_t in_rank, const int64_t *in_shape,
                                    const int64_t kernel_size[2], const int64_t strides[2], deep_padding padding,
                                    int64_t depth_multiplier, deep_depthwise *g)
{
    char s[128];
    if (in_rank != 3)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%s needs (height, width, channels) inputs but gets %s", class_name,
                         deep_shape_format(s, sizeof s, in_rank, in_shape));
    int64_t out[2], pad[2];
    for (int axis = 0; axis < 2; axis++)
        DEEP_TRY(deep_window_axis("kernel_size", axis, in_shape[axis], kernel_size[axis], strides[axis], padding,
                                  &out[axis], &pad[axis]));
    int64_t oc = 0;
    if (!deep_mul_i64(in_shape[2], depth_multiplier, &oc) || oc > DEEP_MAX_LAYER_SIZE)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW, "%lld channels times depth_multiplier %lld exceed %lld output channels",
                         (long long)in_shape[2], (long long)depth_multiplier, (long long)DEEP_MAX_LAYER_SIZE);
    *g = (deep_depthwise){.h = in_shape[0], .w = in_shape[1], .c = in_shape[2], .oh = out[0], .ow = out[1], .oc = oc,
                          .kh = kernel_size[0], .kw = kernel_size[1], .sh = strides[0], .sw = strides[1],
                          .dm = depth_multiplier, .pt = pad[0], .pl = pad[1]};
    return DEEP_OK;
}

typedef struct depthwise_ctx {
    const deep_depthwise *g;
    const float *in, *kernel, *grad_out;
    float *out, *kernel_grad, *grad_in;
    int64_t batch;
} depthwise_ctx;

/* The kernel rows [*ky0, *ky1) and columns [*kx0, *kx1) whose input cell for output (oy, ox)
 * lies inside the image: padding contributes nothing, so it is skipped, not read. */
static void window(const deep_depthwise *g, int64_t oy, int64_t ox, int64_t *ky0, int64_t *ky1, int64_t *kx0,
                   int64_t *kx1)
{
    int64_t y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
    *ky0 = y0 < 0 ? -y0 : 0;
    *ky1 = y0 + g->kh > g->h ? g->h - y0 : g->kh;
    *kx0 = x0 < 0 ? -x0 : 0;
    *kx1 = x0 + g->kw > g->w ? g->w - x0 : g->kw;
}

/* The offset in a sample's image of the cell under kernel tap (ky, kx) of output (oy, ox),
 * inside the image (see window). */
static inline int64_t cell(const deep_depthwise *g, int64_t oy, int64_t ox, int64_t ky, int64_t kx)
{
    return ((oy * g->sh - g->pt + ky) * g->w + ox * g->sw - g->pl + kx) * g->c;
}

/* restrict: the output, the gradients and the inputs are distinct buffers, which lets the
 * compiler vectorise the channel loops without run-time overlap checks. */
static void forward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const depthwise_ctx *ctx = raw;
    const deep_depthwise *g = ctx->g;
    int64_t oc = g->oc, dm = g->dm;
    for (int64_t s = begin; s < end; s++) {
        const float *image = ctx->in + s * g->h * g->w * g->c;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++) {
                float *restrict o = ctx->out + ((s * g->oh + oy) * g->ow + ox) * oc;
                memset(o, 0, (size_t)oc * sizeof *o);
                int64_t ky0, ky1, kx0, kx1;
                window(g, oy, ox, &ky0, &ky1, &kx0, &kx1);
                for (int64_t ky = ky0; ky < ky1; ky++)
                    for (int64_t kx = kx0; kx < kx1; kx++) {
                        const float *restrict src = image + cell(g, oy, ox, ky, kx);
                        const float *restrict k = ctx->kernel + (ky * g->kw + kx) * oc;
                        if (dm == 1) {
                            for (int64_t j = 0; j < oc; j++)
                                o[j] += src[j] * k[j];
                        } else {
                            for (int64_t ch = 0; ch < g->c; ch++)
                                for (int64_t m = 0; m < dm; m++)
                                    o[ch * dm + m] += src[ch] * k[ch * dm + m];
                        }
                    }
            }
    }
}

static void input_grad_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const depthwise_ctx *ctx = raw;
    const deep_depthwise *g = ctx->g;
    int64_t oc = g->oc, dm = g->dm;
    for (int64_t s = begin; s < end; s++) {
        float *image = ctx->grad_in + s * g->h * g->w * g->c;
        memset(image, 0, (size_t)(g->h * g->w * g->c) * sizeof *image);
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++) {
                const float *restrict go = ctx->grad_out + ((s * g->oh + oy) * g->ow + ox) * oc;
                int64_t ky0, ky1, kx0, kx1;
                window(g, oy, ox, &ky0, &ky1, &kx0, &kx1);
                for (int64_t ky = ky0; ky < ky1; ky++)
                    for (int64_t kx = kx0; kx < kx1; kx++) {
                        float *restrict dst = image + cell(g, oy, ox, ky, kx);
                        const float *k = ctx->kernel + (ky * g->kw + kx) * oc;
                        if (dm == 1) {
                            for (int64_t j = 0; j < oc; j++)
                                dst[j] += go[j] * k[j];
                        } else {
                            for (int64_t ch = 0; ch < g->c; ch++)
                                for (int64_t m = 0; m < dm; m++)
                                    dst[ch] += go[ch * dm + m] * k[ch * dm + m];
                        }
                    }
            }
    }
}

/* Output channels [begin, end) of the kernel gradient, summed over the whole batch. */
static void kernel_grad_channels(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const depthwise_ctx *ctx = raw;
    const deep_depthwise *g = ctx->g;
    int64_t oc = g->oc, dm = g->dm;
    for (int64_t t = 0; t < g->kh * g->kw; t++)
        memset(ctx->kernel_grad + t * oc + begin, 0, (size_t)(end - begin) * sizeof(float));
    for (int64_t s = 0; s < ctx->batch; s++) {
        const float *image = ctx->in + s * g->h * g->w * g->c;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++) {
                const float *restrict go = ctx->grad_out + ((s * g->oh + oy) * g->ow + ox) * oc;
                int64_t ky0, ky1, kx0, kx1;
                window(g, oy, ox, &ky0, &ky1, &kx0, &kx1);
                for (int64_t ky = ky0; ky < ky1; ky++)
                    for (int64_t kx = kx0; kx < kx1; kx++) {
                        const float *src = image + cell(g, oy, ox, ky, kx);
                        float *restrict kg = ctx->kernel_grad + (ky * g->kw + kx) * oc;
                        if (dm == 1) {
                            for (int64_t j = begin; j < end; j++)
                                kg[j] += src[j] * go[j];
                        } else {
                            for (int64_t j = begin; j < end; j++)
                                kg[j] += src[j / dm] * go[j];
                        }
                    }
            }
    }
}

void deep_depthwise_forward(deep_pool *pool, const deep_depthwise *g, const float *in, const float *kernel,
                            float *out, int64_t batch)
{
    depthwise_ctx ctx = {.g = g, .in = in, .kernel = kernel, .out = out, .batch = batch};
    deep_pool_run(pool, batch, forward_samples, &ctx);
}

void deep_depthwise_backward(deep_pool *pool, const deep_depthwise *g, const float *in, const float *kernel,
                             const float *grad_out, float *kernel_grad, float *grad_in, int64_t batch)
{
    depthwise_ctx ctx = {.g = g, .in = in, .kernel = kernel, .grad_out = grad_out, .kernel_grad = kernel_grad,
                         .grad_in = grad_in, .batch = batch};
    deep_pool_run(pool, g->oc, kernel_grad_channels, &ctx);
    if (grad_in != NULL)
        deep_pool_run(pool, batch, input_grad_samples, &ctx);
}

typedef struct channels_ctx {
    float *out, *pre, *grad;
    const float *bias, *y;
    deep_activation activation;
    int64_t rows, width;
} channels_ctx;

static void bias_activation_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const channels_ctx *ctx = raw;
    int64_t rows = (end - begin) * ctx->rows, width = ctx->width;
    float *out = ctx->out + begin * ctx->rows * width;
    if (ctx->bias != NULL)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < width; j++)
                out[r * width + j] += ctx->bias[j];
    if (ctx->pre != NULL)
        memcpy(ctx->pre + begin * ctx->rows * width, out, (size_t)(rows * width) * sizeof *out);
    deep_activation_forward(ctx->activation, out, rows, width);
}

void deep_channels_bias_activation(deep_pool *pool, float *out, const float *bias, float *pre,
                                   deep_activation activation, int64_t batch, int64_t rows, int64_t width)
{
    channels_ctx ctx = {.out = out, .bias = bias, .pre = pre, .activation = activation, .rows = rows,
                        .width = width};
    deep_pool_run(pool, batch, bias_activation_samples, &ctx);
}

static void activation_grad_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const channels_ctx *ctx = raw;
    int64_t offset = begin * ctx->rows * ctx->width, rows = (end - begin) * ctx->rows;
    if (ctx->pre != NULL)
        deep_activation_backward_input(ctx->activation, ctx->pre + offset, ctx->grad + offset, rows * ctx->width);
    else
        deep_activation_backward(ctx->activation, ctx->y + offset, ctx->grad + offset, rows, ctx->width);
}

void deep_channels_activation_grad(deep_pool *pool, const float *out, const float *pre, float *grad,
                                   deep_activation activation, int64_t batch, int64_t rows, int64_t width)
{
    channels_ctx ctx = {.y = out, .pre = (float *)pre, .grad = grad, .activation = activation, .rows = rows,
                        .width = width};
    deep_pool_run(pool, batch, activation_grad_samples, &ctx);
}
