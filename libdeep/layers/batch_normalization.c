/* BatchNormalization over the last axis. Training normalises with the batch's mean and
 * (biased) variance and moves the running statistics towards them; inference uses the
 * running statistics. On a masked sequence the batch statistics count the real steps
 * only, as Keras 3's (every step is still normalised). The per-channel batch statistics
 * live in the layer's fixed scratch; backward recomputes them from the input, so nothing
 * else is kept. */
#include <math.h>
#include <string.h>

#include "layers/layer.h"

enum { GAMMA, BETA, MOVING_MEAN, MOVING_VARIANCE };

static int64_t channels(const deep_layer *layer)
{
    return layer->in_shape[layer->in_rank - 1];
}

static deep_status batch_norm_build(deep_layer *layer)
{
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    int64_t c = channels(layer);
    static const char *const names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    for (int32_t p = 0; p < 4; p++)
        DEEP_TRY(deep_layer_declare_param(layer, p, names[p], 1, &c));
    layer->params[MOVING_MEAN].trainable = false;
    layer->params[MOVING_VARIANCE].trainable = false;
    /* Mean and inverse standard deviation per channel, as doubles. */
    layer->scratch_fixed = 2 * c * (int64_t)(sizeof(double) / sizeof(float));
    return DEEP_OK;
}

static void batch_norm_init(deep_layer *layer, struct deep_rng *rng)
{
    (void)rng;
    for (int64_t i = 0; i < channels(layer); i++) {
        layer->params[GAMMA].value[i] = 1.0f;
        layer->params[BETA].value[i] = 0.0f;
        layer->params[MOVING_MEAN].value[i] = 0.0f;
        layer->params[MOVING_VARIANCE].value[i] = 1.0f;
    }
}

/* The fixed scratch sits after the per-sample part, which this layer does not use. */
static double *statistics_space(float *scratch)
{
    return (double *)(void *)scratch;
}

/* Whether row r (of the last axis) counts in the batch statistics: every row, or with a
 * mask (one entry per sample and step) the rows of real steps. */
static bool counted(const deep_layer *layer, const uint8_t *mask, int64_t r)
{
    return mask == NULL || mask[r / (layer->in_size / (layer->in_shape[0] * channels(layer)))];
}

/* Per-channel mean and variance of the counted rows, accumulated in double; returns how
 * many rows counted (none: mean 0, variance 0). */
static int64_t batch_statistics(const deep_layer *layer, const uint8_t *mask, const float *in, int64_t rows,
                                double *mean, double *variance)
{
    int64_t c = channels(layer), n = 0;
    for (int64_t ch = 0; ch < c; ch++)
        mean[ch] = variance[ch] = 0;
    for (int64_t r = 0; r < rows; r++)
        if (counted(layer, mask, r)) {
            n++;
            for (int64_t ch = 0; ch < c; ch++)
                mean[ch] += in[r * c + ch];
        }
    for (int64_t ch = 0; ch < c && n > 0; ch++)
        mean[ch] /= (double)n;
    for (int64_t r = 0; r < rows; r++)
        if (counted(layer, mask, r))
            for (int64_t ch = 0; ch < c; ch++) {
                double d = in[r * c + ch] - mean[ch];
                variance[ch] += d * d;
            }
    for (int64_t ch = 0; ch < c && n > 0; ch++)
        variance[ch] /= (double)n;
    return n;
}

static void batch_norm_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                               float *scratch, int64_t batch)
{
    (void)ex;
    int64_t c = channels(layer), rows = batch * layer->in_size / c;
    const float *gamma = layer->params[GAMMA].value, *beta = layer->params[BETA].value;
    float *moving_mean = layer->params[MOVING_MEAN].value, *moving_var = layer->params[MOVING_VARIANCE].value;
    double *mean = statistics_space(scratch), *variance = mean + c;
    if (ex->training) {
        int64_t counted_rows = batch_statistics(layer, ex->mask, in, rows, mean, variance);
        /* Training mutates the running statistics: that is why fit is never concurrent. A
         * batch of padding only leaves them alone. */
        for (int64_t ch = 0; ch < c && counted_rows > 0; ch++) {
            moving_mean[ch] = layer->cfg.batch_norm.momentum * moving_mean[ch] +
                              (1 - layer->cfg.batch_norm.momentum) * (float)mean[ch];
            moving_var[ch] = layer->cfg.batch_norm.momentum * moving_var[ch] +
                             (1 - layer->cfg.batch_norm.momentum) * (float)variance[ch];
        }
    } else {
        for (int64_t ch = 0; ch < c; ch++) {
            mean[ch] = moving_mean[ch];
            variance[ch] = moving_var[ch];
        }
    }
    for (int64_t ch = 0; ch < c; ch++)
        variance[ch] = 1.0 / sqrt(variance[ch] + layer->cfg.batch_norm.epsilon); /* now the inverse std */
    for (int64_t r = 0; r < rows; r++)
        for (int64_t ch = 0; ch < c; ch++)
            out[r * c + ch] = gamma[ch] * (float)((in[r * c + ch] - mean[ch]) * variance[ch]) + beta[ch];
}

static void batch_norm_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)out;
    int64_t c = channels(layer), rows = batch * layer->in_size / c;
    const float *gamma = layer->params[GAMMA].value;
    float *dgamma = layer->params[GAMMA].grad, *dbeta = layer->params[BETA].grad;
    double *mean = statistics_space(scratch), *inv_std = mean + c;
    int64_t n = batch_statistics(layer, ex->mask, in, rows, mean, inv_std);
    for (int64_t ch = 0; ch < c; ch++) {
        inv_std[ch] = 1.0 / sqrt(inv_std[ch] + layer->cfg.batch_norm.epsilon);
        dgamma[ch] = dbeta[ch] = 0;
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t ch = 0; ch < c; ch++) {
            float xhat = (float)((in[r * c + ch] - mean[ch]) * inv_std[ch]);
            dgamma[ch] += grad_out[r * c + ch] * xhat;
            dbeta[ch] += grad_out[r * c + ch];
        }
    /* The moving statistics are not trained. */
    memset(layer->params[MOVING_MEAN].grad, 0, (size_t)c * sizeof(float));
    memset(layer->params[MOVING_VARIANCE].grad, 0, (size_t)c * sizeof(float));
    if (grad_in == NULL)
        return;
    /* dx = gamma * inv_std / n * (n * dy - counted * (sum(dy) + xhat * sum(dy * xhat))), the
     * sums over every row (each is normalised with the statistics), n the counted rows and
     * `counted` 1 for a row that entered the statistics, 0 for a padded step. */
    for (int64_t r = 0; r < rows; r++) {
        bool in_statistics = counted(layer, ex->mask, r);
        for (int64_t ch = 0; ch < c; ch++) {
            float xhat = (float)((in[r * c + ch] - mean[ch]) * inv_std[ch]);
            float dy = grad_out[r * c + ch];
            grad_in[r * c + ch] = n == 0 || !in_statistics
                                      ? gamma[ch] * (float)inv_std[ch] * dy
                                      : gamma[ch] * (float)inv_std[ch] / (float)n *
                                            ((float)n * dy - dbeta[ch] - xhat * dgamma[ch]);
        }
    }
}

static const deep_layer_field batch_norm_fields[] = {
    DEEP_FIELD(deep_batch_norm_config, momentum, DEEP_FIELD_RATE, .doc = "weight of the old moving statistics"),
    DEEP_FIELD(deep_batch_norm_config, epsilon, DEEP_FIELD_POSITIVE, .doc = "added to the variance"),
};

const deep_layer_ops deep_batch_normalization_ops = {
    .type = "batch_normalization",
    .class_name = "BatchNormalization",
    .config_size = sizeof(deep_batch_norm_config),
    .defaults = &(const deep_batch_norm_config){.momentum = 0.99f, .epsilon = 1e-3f},
    DEEP_FIELDS(batch_norm_fields),
    .build = batch_norm_build,
    .init = batch_norm_init,
    .forward = batch_norm_forward,
    .backward = batch_norm_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_batch_normalization(deep_model *model, double momentum, double epsilon)
{
    deep_batch_norm_config c = {.momentum = (float)momentum, .epsilon = (float)epsilon};
    return deep_layer_append(model, &deep_batch_normalization_ops, &c, false, __func__, NULL);
}
