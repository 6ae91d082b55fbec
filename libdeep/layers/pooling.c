/* What MaxPooling2D and AveragePooling2D share (their files hold their descriptors):
 * windows over channels-last samples. Max pooling remembers, in scratch, which input cell won each window; backward
 * sends the gradient there. The winner is kept as its place in the window, one byte each, when windows have at most
 * 256 cells (a quarter of an int32 index into the input, which larger windows keep). Average pooling over `same` padding divides by the cells inside the input only, as Keras
 * does. */
#include <string.h>

#include "layers/pooling.h"
#include "tensor/tensor.h"

deep_status deep_pooling_image_input(const deep_layer *layer)
{
    char s[128];
    if (layer->in_rank != 3)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%s needs (height, width, channels) inputs but gets %s",
                         layer->ops->class_name, deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    return DEEP_OK;
}

static bool byte_winners(const deep_layer *layer);

deep_status deep_pooling_build(deep_layer *layer, bool max)
{
    DEEP_TRY(deep_pooling_image_input(layer));
    for (int axis = 0; axis < 2; axis++)
        DEEP_TRY(deep_window_axis("pool_size", axis, layer->in_shape[axis], layer->cfg.pooling.pool_size[axis],
                                  layer->cfg.pooling.strides[axis], layer->cfg.pooling.padding, &layer->out_shape[axis],
                                  &layer->cfg.pooling.pad[axis]));
    layer->out_rank = 3;
    layer->out_shape[2] = layer->in_shape[2];
    /* The output has at most the input's cells (windows >= 1 cell, strides >= 1), which
     * the model checked; the winners are int32 indices into the input, which fits too, or
     * bytes (4 a float) for small windows. */
    int64_t cells = layer->out_shape[0] * layer->out_shape[1] * layer->out_shape[2];
    if (max)
        layer->scratch_size = byte_winners(layer) ? (cells + 3) / 4 : cells;
    return DEEP_OK;
}

/* Whether the winners are kept as bytes, their places in their windows. */
static bool byte_winners(const deep_layer *layer)
{
    return layer->cfg.pooling.pool_size[0] * layer->cfg.pooling.pool_size[1] <= 256;
}

/* The window of output cell (oy, ox), clipped to the input. */
typedef struct window {
    int64_t y0, y1, x0, x1;
} window;

static window window_at(const deep_layer *layer, int64_t oy, int64_t ox)
{
    window w;
    w.y0 = oy * layer->cfg.pooling.strides[0] - layer->cfg.pooling.pad[0];
    w.x0 = ox * layer->cfg.pooling.strides[1] - layer->cfg.pooling.pad[1];
    w.y1 = w.y0 + layer->cfg.pooling.pool_size[0];
    w.x1 = w.x0 + layer->cfg.pooling.pool_size[1];
    w.y0 = w.y0 < 0 ? 0 : w.y0;
    w.x0 = w.x0 < 0 ? 0 : w.x0;
    w.y1 = w.y1 > layer->in_shape[0] ? layer->in_shape[0] : w.y1;
    w.x1 = w.x1 > layer->in_shape[1] ? layer->in_shape[1] : w.x1;
    return w;
}

typedef struct pool_ctx {
    const deep_layer *layer;
    const float *in;
    float *out;
    const float *grad_out;
    float *grad_in;
    void *winners; /* int32_t, or uint8_t with byte_winners */
} pool_ctx;

/* The largest value of each channel in one window, and where it is. Cell by cell with
 * the channels innermost: contiguous loads and a channel loop the compiler vectorises
 * (restrict tells it the arrays do not overlap). The first largest value wins. */
static void max_window(const float *restrict image, int64_t w_in, int64_t c, window w, float *restrict out,
                       int32_t *restrict winners)
{
    int32_t first = (int32_t)((w.y0 * w_in + w.x0) * c);
    for (int64_t ch = 0; ch < c; ch++) {
        out[ch] = image[first + ch];
        winners[ch] = first + (int32_t)ch;
    }
    for (int64_t y = w.y0; y < w.y1; y++)
        for (int64_t x = w.x0; x < w.x1; x++) {
            int32_t cell = (int32_t)((y * w_in + x) * c);
            const float *values = image + cell;
            for (int32_t ch = 0; ch < (int32_t)c; ch++) {
                /* Branch-free (a mask, not a conditional store), or GCC will not vectorise it. */
                float v = values[ch], o = out[ch];
                int32_t larger = -(int32_t)(v > o);
                out[ch] = v > o ? v : o;
                winners[ch] ^= (winners[ch] ^ (cell + ch)) & larger;
            }
        }
}

/* The same with each winner's place in its (clipped) window, row-major, as a byte. */
static void max_window_bytes(const float *restrict image, int64_t w_in, int64_t c, window w, float *restrict out,
                             uint8_t *restrict winners)
{
    int32_t first = (int32_t)((w.y0 * w_in + w.x0) * c);
    for (int64_t ch = 0; ch < c; ch++) {
        out[ch] = image[first + ch];
        winners[ch] = 0;
    }
    uint8_t place = 0;
    for (int64_t y = w.y0; y < w.y1; y++)
        for (int64_t x = w.x0; x < w.x1; x++, place++) {
            const float *values = image + (y * w_in + x) * c;
            for (int32_t ch = 0; ch < (int32_t)c; ch++) {
                float v = values[ch], o = out[ch];
                uint8_t larger = (uint8_t)-(int32_t)(v > o);
                out[ch] = v > o ? v : o;
                winners[ch] ^= (winners[ch] ^ place) & larger;
            }
        }
}

static void max_forward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const pool_ctx *ctx = raw;
    const deep_layer *l = ctx->layer;
    int64_t c = l->in_shape[2];
    for (int64_t s = begin; s < end; s++) {
        const float *image = ctx->in + s * l->in_size;
        float *out = ctx->out + s * l->out_size;
        if (byte_winners(l)) {
            uint8_t *winners = (uint8_t *)ctx->winners + s * l->out_size;
            for (int64_t oy = 0; oy < l->out_shape[0]; oy++)
                for (int64_t ox = 0; ox < l->out_shape[1]; ox++, out += c, winners += c)
                    max_window_bytes(image, l->in_shape[1], c, window_at(l, oy, ox), out, winners);
            continue;
        }
        int32_t *winners = (int32_t *)ctx->winners + s * l->out_size;
        for (int64_t oy = 0; oy < l->out_shape[0]; oy++)
            for (int64_t ox = 0; ox < l->out_shape[1]; ox++, out += c, winners += c)
                max_window(image, l->in_shape[1], c, window_at(l, oy, ox), out, winners);
    }
}

static void max_backward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const pool_ctx *ctx = raw;
    const deep_layer *l = ctx->layer;
    int64_t w_in = l->in_shape[1], c = l->in_shape[2];
    for (int64_t s = begin; s < end; s++) {
        float *grad_in = ctx->grad_in + s * l->in_size;
        const float *grad_out = ctx->grad_out + s * l->out_size;
        memset(grad_in, 0, (size_t)l->in_size * sizeof(float));
        if (!byte_winners(l)) {
            const int32_t *winners = (const int32_t *)ctx->winners + s * l->out_size;
            for (int64_t i = 0; i < l->out_size; i++)
                grad_in[winners[i]] += grad_out[i];
            continue;
        }
        const uint8_t *winners = (const uint8_t *)ctx->winners + s * l->out_size;
        for (int64_t oy = 0; oy < l->out_shape[0]; oy++)
            for (int64_t ox = 0; ox < l->out_shape[1]; ox++, grad_out += c, winners += c) {
                window w = window_at(l, oy, ox);
                int64_t width = w.x1 - w.x0;
                for (int64_t ch = 0; ch < c; ch++) {
                    int64_t y = w.y0 + winners[ch] / width, x = w.x0 + winners[ch] % width;
                    grad_in[(y * w_in + x) * c + ch] += grad_out[ch];
                }
            }
    }
}

/* Average pooling: forward sums each window and divides by its cell count; backward
 * spreads each output gradient evenly over its window. */
static void average_samples(void *raw, int64_t begin, int64_t end, int32_t worker, bool backward)
{
    (void)worker;
    const pool_ctx *ctx = raw;
    const deep_layer *l = ctx->layer;
    int64_t w_in = l->in_shape[1], c = l->in_shape[2];
    for (int64_t s = begin; s < end; s++) {
        if (backward)
            memset(ctx->grad_in + s * l->in_size, 0, (size_t)l->in_size * sizeof(float));
        for (int64_t oy = 0; oy < l->out_shape[0]; oy++)
            for (int64_t ox = 0; ox < l->out_shape[1]; ox++) {
                window w = window_at(l, oy, ox);
                float inv = 1.0f / (float)((w.y1 - w.y0) * (w.x1 - w.x0));
                int64_t o = s * l->out_size + (oy * l->out_shape[1] + ox) * c;
                for (int64_t ch = 0; ch < c; ch++) {
                    float sum = 0, share = backward ? ctx->grad_out[o + ch] * inv : 0;
                    for (int64_t y = w.y0; y < w.y1; y++)
                        for (int64_t x = w.x0; x < w.x1; x++) {
                            int64_t at = s * l->in_size + (y * w_in + x) * c + ch;
                            if (backward)
                                ctx->grad_in[at] += share;
                            else
                                sum += ctx->in[at];
                        }
                    if (!backward)
                        ctx->out[o + ch] = sum * inv;
                }
            }
    }
}

static void average_forward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    average_samples(raw, begin, end, worker, false);
}

static void average_backward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    average_samples(raw, begin, end, worker, true);
}

void deep_pooling_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                          int64_t batch, bool max)
{
    pool_ctx ctx = {.layer = layer, .in = in, .out = out, .winners = scratch};
    deep_pool_run_work(ex->pool, batch, (double)batch * (double)layer->in_size,
                       max ? max_forward_samples : average_forward_samples, &ctx);
}

void deep_pooling_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                           float *grad_out, float *grad_in, float *scratch, int64_t batch, bool max)
{
    (void)in;
    (void)out;
    if (grad_in == NULL)
        return;
    pool_ctx ctx = {.layer = layer, .grad_out = grad_out, .grad_in = grad_in, .winners = scratch};
    deep_pool_run_work(ex->pool, batch, (double)batch * (double)layer->in_size,
                       max ? max_backward_samples : average_backward_samples, &ctx);
}
