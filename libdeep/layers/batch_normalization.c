/* BatchNormalization over the last axis. Training normalises with the batch's mean and
 * (biased) variance and moves the running statistics towards them; inference uses the
 * running statistics. On a masked sequence the batch statistics count the real steps
 * only, as Keras 3's (every step is still normalised). Forward leaves the per-channel
 * mean and inverse deviation in the layer's fixed scratch for backward.
 *
 * Two passes over the data each way, split among the model's threads: forward sums each
 * channel's values and squares (shifted by the channel's first value, so that the variance
 * loses no precision), then writes x * scale + bias; backward sums dy and dy * xhat, then
 * writes dx. The sums are split by channels (each summed over the rows in order, so results
 * do not depend on the thread count), the element-wise passes by rows. */
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
    /* Doubles per channel: the mean and inverse deviation (backward reads them), the shift
     * and two sums. */
    layer->scratch_fixed = 5 * c * (int64_t)(sizeof(double) / sizeof(float));
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

/* One job over the rows: the arrays it reads and writes and how the rows are blocked. */
typedef struct bn_job {
    const deep_layer *layer;
    const uint8_t *mask;
    const float *in, *dy;
    float *out;
    const double *mean, *inv_std;   /* per channel */
    const double *shift;            /* statistics: each channel's first counted value */
    const float *scale, *bias, *xhat_scale; /* per channel, for the element-wise passes */
    double *sums;                   /* 2 * c: the two sums of the first pass */
    int64_t c, rows;
} bn_job;

/* Statistics, for channels begin..end-1: the counted rows' sums of (x - shift) and
 * (x - shift)^2. */
static void sum_values(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const bn_job *job = raw;
    int64_t c = job->c;
    double *sum = job->sums, *squares = sum + c;
    for (int64_t ch = begin; ch < end; ch++)
        sum[ch] = squares[ch] = 0;
    for (int64_t r = 0; r < job->rows; r++) {
        if (!counted(job->layer, job->mask, r))
            continue;
        const float *x = job->in + r * c;
        for (int64_t ch = begin; ch < end; ch++) {
            double d = (double)x[ch] - job->shift[ch];
            sum[ch] += d;
            squares[ch] += d * d;
        }
    }
}

/* Backward's sums over every row, for channels begin..end-1: dy and dy * xhat. */
static void sum_gradients(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const bn_job *job = raw;
    int64_t c = job->c;
    double *sum_dy = job->sums, *sum_dy_xhat = sum_dy + c;
    for (int64_t ch = begin; ch < end; ch++)
        sum_dy[ch] = sum_dy_xhat[ch] = 0;
    for (int64_t r = 0; r < job->rows; r++) {
        const float *x = job->in + r * c, *dy = job->dy + r * c;
        for (int64_t ch = begin; ch < end; ch++) {
            float xhat = (float)((x[ch] - job->mean[ch]) * job->inv_std[ch]);
            sum_dy[ch] += dy[ch];
            sum_dy_xhat[ch] += dy[ch] * xhat;
        }
    }
}

/* out = x * scale + bias per channel (forward: gamma / std and beta - mean * gamma / std;
 * the input may be the output, in place). */
static void normalise_rows(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const bn_job *job = raw;
    int64_t c = job->c;
    for (int64_t r = begin; r < end; r++) {
        const float *x = job->in + r * c;
        float *y = job->out + r * c;
        for (int64_t ch = 0; ch < c; ch++)
            y[ch] = x[ch] * job->scale[ch] + job->bias[ch];
    }
}

/* dx = gamma * inv_std / n * (n * dy - sum(dy) - xhat * sum(dy * xhat)) for a counted row
 * (n the counted rows), gamma * inv_std * dy for a padded step: with per-channel scale =
 * gamma * inv_std, bias = scale * sum(dy) / n and xhat_scale = scale * sum(dy * xhat) / n,
 * dx = scale * dy - bias - xhat * xhat_scale. The gradient may be dy's buffer, in place. */
static void input_gradient_rows(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const bn_job *job = raw;
    int64_t c = job->c;
    for (int64_t r = begin; r < end; r++) {
        const float *x = job->in + r * c, *dy = job->dy + r * c;
        float *dx = job->out + r * c;
        if (!counted(job->layer, job->mask, r)) {
            for (int64_t ch = 0; ch < c; ch++)
                dx[ch] = job->scale[ch] * dy[ch];
            continue;
        }
        for (int64_t ch = 0; ch < c; ch++) {
            float xhat = (float)((x[ch] - job->mean[ch]) * job->inv_std[ch]);
            dx[ch] = job->scale[ch] * dy[ch] - job->bias[ch] - xhat * job->xhat_scale[ch];
        }
    }
}

/* Runs one of the sums above over all channels; returns the sums. */
static const double *sum_channels(const deep_exec *ex, bn_job *job, deep_pool_fn fn)
{
    deep_pool_run_work(ex->pool, job->c, (double)(job->rows * job->c), fn, job);
    return job->sums;
}

static bn_job make_job(const deep_layer *layer, const deep_exec *ex, const float *in, float *scratch, int64_t batch)
{
    int64_t c = channels(layer), rows = batch * layer->in_size / c;
    double *mean = statistics_space(scratch);
    return (bn_job){.layer = layer, .mask = ex->mask, .in = in, .mean = mean, .inv_std = mean + c,
                    .shift = mean + 2 * c, .sums = mean + 3 * c, .c = c, .rows = rows};
}

/* The batch's per-channel mean and variance into mean and inv_std (still the variance);
 * returns how many rows counted (none: mean 0, variance 0). */
static int64_t batch_statistics(const deep_exec *ex, bn_job *job)
{
    double *shift = (double *)job->shift;
    int64_t c = job->c, n = 0, first = -1;
    for (int64_t r = 0; r < job->rows; r++)
        if (counted(job->layer, job->mask, r)) {
            n++;
            first = first < 0 ? r : first;
        }
    for (int64_t ch = 0; ch < c; ch++)
        shift[ch] = first >= 0 ? job->in[first * c + ch] : 0.0;
    double *mean = (double *)job->mean, *variance = (double *)job->inv_std;
    const double *sums = sum_channels(ex, job, sum_values);
    for (int64_t ch = 0; ch < c; ch++)
        mean[ch] = variance[ch] = 0;
    for (int64_t ch = 0; ch < c && n > 0; ch++) {
        double centred = sums[ch] / (double)n; /* the mean minus the shift */
        variance[ch] = sums[c + ch] / (double)n - centred * centred;
        variance[ch] = variance[ch] > 0 ? variance[ch] : 0;
        mean[ch] = shift[ch] + centred;
    }
    return n;
}

static void batch_norm_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                               float *scratch, int64_t batch)
{
    bn_job job = make_job(layer, ex, in, scratch, batch);
    int64_t c = job.c;
    const float *gamma = layer->params[GAMMA].value, *beta = layer->params[BETA].value;
    float *moving_mean = layer->params[MOVING_MEAN].value, *moving_var = layer->params[MOVING_VARIANCE].value;
    double *mean = (double *)job.mean, *variance = (double *)job.inv_std;
    if (ex->training) {
        int64_t counted_rows = batch_statistics(ex, &job);
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
    /* The per-channel factors live in the sums' space, free now. */
    float *scale = (float *)(void *)job.sums, *bias = scale + c;
    for (int64_t ch = 0; ch < c; ch++) {
        variance[ch] = 1.0 / sqrt(variance[ch] + layer->cfg.batch_norm.epsilon); /* now the inverse std */
        scale[ch] = (float)(gamma[ch] * variance[ch]);
        bias[ch] = (float)(beta[ch] - mean[ch] * gamma[ch] * variance[ch]);
    }
    job.scale = scale;
    job.bias = bias;
    job.out = out;
    deep_pool_run_work(ex->pool, job.rows, (double)(job.rows * c), normalise_rows, &job);
}

static void batch_norm_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)out;
    bn_job job = make_job(layer, ex, in, scratch, batch);
    int64_t c = job.c, n = 0;
    for (int64_t r = 0; r < job.rows; r++)
        n += counted(layer, ex->mask, r);
    const float *gamma = layer->params[GAMMA].value;
    float *dgamma = layer->params[GAMMA].grad, *dbeta = layer->params[BETA].grad;
    /* Forward left the mean and inverse deviation. */
    job.dy = grad_out;
    const double *sums = sum_channels(ex, &job, sum_gradients);
    for (int64_t ch = 0; ch < c; ch++) {
        dbeta[ch] = (float)sums[ch];
        dgamma[ch] = (float)sums[c + ch];
    }
    /* The moving statistics are not trained. */
    memset(layer->params[MOVING_MEAN].grad, 0, (size_t)c * sizeof(float));
    memset(layer->params[MOVING_VARIANCE].grad, 0, (size_t)c * sizeof(float));
    if (grad_in == NULL)
        return;
    float *scale = (float *)(void *)job.sums, *bias = scale + c, *xhat_scale = bias + c;
    for (int64_t ch = 0; ch < c; ch++) {
        scale[ch] = gamma[ch] * (float)job.inv_std[ch];
        bias[ch] = n == 0 ? 0.0f : scale[ch] / (float)n * dbeta[ch];
        xhat_scale[ch] = n == 0 ? 0.0f : scale[ch] / (float)n * dgamma[ch];
    }
    job.scale = scale;
    job.bias = bias;
    job.xhat_scale = xhat_scale;
    job.out = grad_in;
    deep_pool_run_work(ex->pool, job.rows, (double)(job.rows * c), input_gradient_rows, &job);
}

static unsigned batch_norm_reads(const deep_layer *layer)
{
    (void)layer;
    return DEEP_READS_INPUT | DEEP_READS_SCRATCH; /* and the statistics */
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
    /* Element-wise once the statistics are made, both ways; backward reads the input (for
     * xhat), not the output. */
    .flags = DEEP_LAYER_IN_PLACE | DEEP_LAYER_GRAD_IN_PLACE,
    .backward_reads = batch_norm_reads,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_batch_normalization(deep_model *model, double momentum, double epsilon)
{
    deep_batch_norm_config c = {.momentum = (float)momentum, .epsilon = (float)epsilon};
    return deep_layer_append(model, &deep_batch_normalization_ops, &c, false, __func__, NULL);
}
