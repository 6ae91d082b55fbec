/* MaxPooling1D, Keras' layer: the largest value of each channel over windows of pool_size
 * steps, samples (steps, channels) to (output steps, channels). With `same` padding a
 * window is clipped to the steps (padding never wins, as Keras'). Backward sends each
 * gradient to its window's first largest input, found again from the input (which the
 * model keeps for backward), so the layer needs no scratch. Its config struct is private. */
#include <stddef.h>
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct max_pooling1d_config {
    int64_t pool_size, strides;
    deep_padding padding;
} max_pooling1d_config;
DEEP_LAYER_CONFIG_FITS(max_pooling1d_config);

typedef struct pool1d {
    int64_t steps, c, out_steps, pool, stride, pad;
} pool1d;

static pool1d geometry(const deep_layer *layer)
{
    max_pooling1d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    pool1d g = {.steps = layer->in_shape[0], .c = layer->in_shape[1], .out_steps = layer->out_shape[0],
                .pool = c.pool_size, .stride = c.strides};
    if (c.padding == DEEP_PADDING_SAME) {
        int64_t total = (g.out_steps - 1) * g.stride + g.pool - g.steps;
        g.pad = total > 0 ? total / 2 : 0;
    }
    return g;
}

static deep_status max_pooling1d_build(deep_layer *layer)
{
    char s[128];
    max_pooling1d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (layer->in_rank != 2)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "MaxPooling1D needs (steps, channels) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    int64_t pad = 0;
    DEEP_TRY(deep_window_axis("pool_size", DEEP_AXIS_STEPS, layer->in_shape[0], c.pool_size, c.strides, c.padding,
                              &layer->out_shape[0], &pad));
    layer->out_rank = 2;
    layer->out_shape[1] = layer->in_shape[1];
    return DEEP_OK;
}

typedef struct pool1d_ctx {
    pool1d g;
    const float *in;
    float *out;
    const float *grad_out;
    float *grad_in;
} pool1d_ctx;

/* The window of output step t, clipped to the steps (never empty: Keras' sizes). */
static void window(const pool1d *g, int64_t t, int64_t *first, int64_t *end)
{
    int64_t a = t * g->stride - g->pad, b = a + g->pool;
    *first = a < 0 ? 0 : a;
    *end = b > g->steps ? g->steps : b;
}

static void forward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const pool1d_ctx *ctx = raw;
    const pool1d *g = &ctx->g;
    for (int64_t s = begin; s < end; s++) {
        const float *seq = ctx->in + s * g->steps * g->c;
        for (int64_t t = 0; t < g->out_steps; t++) {
            float *restrict out = ctx->out + (s * g->out_steps + t) * g->c;
            int64_t first, stop;
            window(g, t, &first, &stop);
            memcpy(out, seq + first * g->c, (size_t)g->c * sizeof *out);
            for (int64_t at = first + 1; at < stop; at++) {
                const float *restrict v = seq + at * g->c;
                for (int64_t ch = 0; ch < g->c; ch++)
                    out[ch] = v[ch] > out[ch] ? v[ch] : out[ch];
            }
        }
    }
}

static void backward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const pool1d_ctx *ctx = raw;
    const pool1d *g = &ctx->g;
    for (int64_t s = begin; s < end; s++) {
        const float *seq = ctx->in + s * g->steps * g->c;
        float *grad_in = ctx->grad_in + s * g->steps * g->c;
        memset(grad_in, 0, (size_t)(g->steps * g->c) * sizeof *grad_in);
        for (int64_t t = 0; t < g->out_steps; t++) {
            const float *grad = ctx->grad_out + (s * g->out_steps + t) * g->c;
            int64_t first, stop;
            window(g, t, &first, &stop);
            for (int64_t ch = 0; ch < g->c; ch++) {
                int64_t best = first; /* the first largest wins, as in forward */
                for (int64_t at = first + 1; at < stop; at++)
                    best = seq[at * g->c + ch] > seq[best * g->c + ch] ? at : best;
                grad_in[best * g->c + ch] += grad[ch];
            }
        }
    }
}

static void max_pooling1d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                  float *scratch, int64_t batch)
{
    (void)scratch;
    pool1d_ctx ctx = {.g = geometry(layer), .in = in, .out = out};
    deep_pool_run(ex->pool, batch, forward_samples, &ctx);
}

static void max_pooling1d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                   float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    pool1d_ctx ctx = {.g = geometry(layer), .in = in, .grad_out = grad_out, .grad_in = grad_in};
    deep_pool_run(ex->pool, batch, backward_samples, &ctx);
}

static const deep_layer_field max_pooling1d_fields[] = {
    DEEP_FIELD(max_pooling1d_config, pool_size, DEEP_FIELD_SIZE, .min = 1, .doc = "window length in steps"),
    DEEP_FIELD(max_pooling1d_config, strides, DEEP_FIELD_SIZE, .min = 1,
               .doc = "step of the window; the add call's 0 means pool_size"),
    DEEP_FIELD(max_pooling1d_config, padding, DEEP_FIELD_PADDING,
               .doc = "valid: whole windows; same: ceil(steps / strides)"),
};

const deep_layer_ops deep_max_pooling1d_ops = {
    .type = "max_pooling1d",
    .class_name = "MaxPooling1D",
    .config_size = sizeof(max_pooling1d_config),
    DEEP_FIELDS(max_pooling1d_fields),
    .build = max_pooling1d_build,
    .forward = max_pooling1d_forward,
    .backward = max_pooling1d_backward,
};

deep_status deep_model_add_max_pooling1d(deep_model *model, int64_t pool_size, int64_t strides, deep_padding padding)
{
    /* Keras' strides=None (0 here) tiles the steps with the windows. A pool beyond the size
     * limit is reported naming pool_size, not the stride it would give. */
    if (strides == 0)
        strides = pool_size < 1 ? 1 : pool_size < DEEP_MAX_LAYER_SIZE ? pool_size : DEEP_MAX_LAYER_SIZE;
    max_pooling1d_config c = {.pool_size = pool_size, .strides = strides, .padding = padding};
    return deep_layer_append(model, &deep_max_pooling1d_ops, &c, false, __func__, NULL);
}
