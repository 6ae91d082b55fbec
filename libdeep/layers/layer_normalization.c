/* LayerNormalization, Keras' layer with its default axis=-1: each row along the last axis
 * of a sample (of any rank) is normalised with its own mean and biased variance, then
 * scaled by gamma and shifted by beta (one per position of that axis), as
 * y = gamma * (x - mean) / sqrt(var + epsilon) + beta. Unlike BatchNormalization nothing
 * depends on the batch, so training and inference are the same and masks pass through
 * unchanged (every step is normalised; Keras' layer ignores the mask too). Forward keeps
 * each row's mean and inverse standard deviation in scratch for backward. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "layers/layer.h"

typedef struct layer_norm_config {
    float epsilon;
    bool center; /* has beta */
    bool scale;  /* has gamma */
} layer_norm_config;
DEEP_LAYER_CONFIG_FITS(layer_norm_config);

typedef struct layer_norm_ctx {
    const float *gamma, *beta; /* NULL without scale / center */
    int64_t width, rows;       /* of the last axis; rows per sample */
    float epsilon;
    const float *in;
    float *out;
    float *stats;              /* per row: mean, inverse standard deviation */
    const float *grad_out;     /* backward */
    float *grad_in;
} layer_norm_ctx;

static layer_norm_config config_of(const deep_layer *layer)
{
    layer_norm_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    return c;
}

static int64_t width_of(const deep_layer *layer)
{
    return layer->in_shape[layer->in_rank - 1];
}

static deep_status layer_norm_build(deep_layer *layer)
{
    layer_norm_config c = config_of(layer);
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    int64_t width = width_of(layer);
    /* Keras' weight order: gamma, then beta, each present only when asked for. */
    int32_t index = 0;
    if (c.scale)
        DEEP_TRY(deep_layer_declare_param(layer, index++, "gamma", 1, &width));
    if (c.center)
        DEEP_TRY(deep_layer_declare_param(layer, index++, "beta", 1, &width));
    layer->scratch_size = 2 * (layer->in_size / width);
    return DEEP_OK;
}

static void layer_norm_init(deep_layer *layer, struct deep_rng *rng)
{
    (void)rng;
    layer_norm_config c = config_of(layer);
    int64_t width = width_of(layer);
    int32_t index = 0;
    if (c.scale) {
        float *gamma = layer->params[index++].value;
        for (int64_t i = 0; i < width; i++)
            gamma[i] = 1.0f;
    }
    if (c.center)
        memset(layer->params[index].value, 0, (size_t)width * sizeof(float));
}

static layer_norm_ctx context(const deep_layer *layer)
{
    layer_norm_config c = config_of(layer);
    layer_norm_ctx ctx = {.width = width_of(layer), .epsilon = c.epsilon};
    ctx.rows = layer->in_size / ctx.width;
    int32_t index = 0;
    if (c.scale)
        ctx.gamma = layer->params[index++].value;
    if (c.center)
        ctx.beta = layer->params[index].value;
    return ctx;
}

static void forward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const layer_norm_ctx *ctx = raw;
    int64_t n = ctx->width;
    for (int64_t r = begin * ctx->rows; r < end * ctx->rows; r++) {
        const float *x = ctx->in + r * n;
        float *y = ctx->out + r * n;
        /* Two passes in double: a row with a large mean and a small spread keeps its digits. */
        double mean = 0, var = 0;
        for (int64_t i = 0; i < n; i++)
            mean += x[i];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++)
            var += (x[i] - mean) * (x[i] - mean);
        var /= (double)n;
        float inv_std = (float)(1.0 / sqrt(var + ctx->epsilon)), m = (float)mean;
        ctx->stats[2 * r] = m;
        ctx->stats[2 * r + 1] = inv_std;
        for (int64_t i = 0; i < n; i++) {
            float v = (x[i] - m) * inv_std;
            if (ctx->gamma != NULL)
                v *= ctx->gamma[i];
            y[i] = ctx->beta != NULL ? v + ctx->beta[i] : v;
        }
    }
}

static void layer_norm_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                               float *scratch, int64_t batch)
{
    layer_norm_ctx ctx = context(layer);
    ctx.in = in;
    ctx.out = out;
    ctx.stats = scratch;
    deep_pool_run(ex->pool, batch, forward_samples, &ctx);
}

/* dL/dx of each row from g = gamma * dy: inv_std * (g - mean(g) - xhat * mean(g * xhat)). */
static void input_grad_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const layer_norm_ctx *ctx = raw;
    int64_t n = ctx->width;
    for (int64_t r = begin * ctx->rows; r < end * ctx->rows; r++) {
        const float *x = ctx->in + r * n, *dy = ctx->grad_out + r * n;
        float *dx = ctx->grad_in + r * n;
        float m = ctx->stats[2 * r], inv_std = ctx->stats[2 * r + 1];
        double sum_g = 0, sum_gx = 0;
        for (int64_t i = 0; i < n; i++) {
            float g = ctx->gamma != NULL ? dy[i] * ctx->gamma[i] : dy[i];
            sum_g += g;
            sum_gx += (double)g * ((x[i] - m) * inv_std);
        }
        float mean_g = (float)(sum_g / (double)n), mean_gx = (float)(sum_gx / (double)n);
        for (int64_t i = 0; i < n; i++) {
            float g = ctx->gamma != NULL ? dy[i] * ctx->gamma[i] : dy[i];
            dx[i] = inv_std * (g - mean_g - (x[i] - m) * inv_std * mean_gx);
        }
    }
}

static void layer_norm_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)out;
    layer_norm_config c = config_of(layer);
    layer_norm_ctx ctx = context(layer);
    ctx.in = in;
    ctx.stats = scratch;
    ctx.grad_out = grad_out;
    ctx.grad_in = grad_in;
    int64_t n = ctx.width, rows = batch * ctx.rows;
    int32_t index = 0;
    float *dgamma = c.scale ? layer->params[index++].grad : NULL;
    float *dbeta = c.center ? layer->params[index].grad : NULL;
    /* The weights' gradients sum over every row; one pass on the caller (2 flops a value,
     * small next to the layers around it). */
    if (dgamma != NULL)
        memset(dgamma, 0, (size_t)n * sizeof(float));
    if (dbeta != NULL)
        memset(dbeta, 0, (size_t)n * sizeof(float));
    for (int64_t r = 0; r < rows; r++) {
        const float *x = in + r * n, *dy = grad_out + r * n;
        float m = scratch[2 * r], inv_std = scratch[2 * r + 1];
        for (int64_t i = 0; i < n; i++) {
            if (dgamma != NULL)
                dgamma[i] += dy[i] * ((x[i] - m) * inv_std);
            if (dbeta != NULL)
                dbeta[i] += dy[i];
        }
    }
    if (grad_in != NULL)
        deep_pool_run(ex->pool, batch, input_grad_samples, &ctx);
}

static const deep_layer_field layer_norm_fields[] = {
    DEEP_FIELD(layer_norm_config, epsilon, DEEP_FIELD_POSITIVE, .doc = "added to the variance"),
    DEEP_FIELD(layer_norm_config, center, DEEP_FIELD_BOOL, .doc = "adds the learned offset beta"),
    DEEP_FIELD(layer_norm_config, scale, DEEP_FIELD_BOOL, .doc = "multiplies by the learned gamma"),
};

const deep_layer_ops deep_layer_normalization_ops = {
    .type = "layer_normalization",
    .class_name = "LayerNormalization",
    .config_size = sizeof(layer_norm_config),
    .defaults = &(const layer_norm_config){.epsilon = 1e-3f, .center = true, .scale = true},
    DEEP_FIELDS(layer_norm_fields),
    .build = layer_norm_build,
    .init = layer_norm_init,
    .forward = layer_norm_forward,
    .backward = layer_norm_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_layer_normalization(deep_model *model, double epsilon, int32_t center, int32_t scale)
{
    layer_norm_config c = {.epsilon = (float)epsilon, .center = center != 0, .scale = scale != 0};
    return deep_layer_append(model, &deep_layer_normalization_ops, &c, false, __func__, NULL);
}
