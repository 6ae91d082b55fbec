/* MSE and the cross-entropies and their gradients (the other Keras losses are in extra.c), accumulated in double precision.
 *
 * Cross-entropies clip probabilities to [1e-7, 1 - 1e-7] (Keras' backend epsilon) so that
 * p = 0 or p = 1 gives a large but finite loss. Where the clip is active the loss does not
 * depend on p, so its gradient there is 0, as TensorFlow's clip gradient is. The fused
 * gradients below are how a softmax or sigmoid output layer escapes that flat region.
 * NaN predictions pass through the clip so that the caller sees a non-finite loss.
 * The categorical cross-entropies first divide each prediction row by its sum, as Keras
 * does (PyTorch's NLL of log-probabilities does not); a softmax row is unchanged by it. */
#include <math.h>
#include <string.h>

#include "losses/loss.h"

#define PROB_EPSILON 1e-7

/* A switch without a default, so that the compiler (-Wswitch) names a loss of deep.h left
 * out here rather than a range of enumerators going stale. */
bool deep_loss_is_valid(deep_loss loss)
{
    switch (loss) {
    case DEEP_LOSS_MEAN_SQUARED_ERROR:
    case DEEP_LOSS_BINARY_CROSSENTROPY:
    case DEEP_LOSS_CATEGORICAL_CROSSENTROPY:
    case DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
    case DEEP_LOSS_MEAN_ABSOLUTE_ERROR:
    case DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR:
    case DEEP_LOSS_HUBER:
    case DEEP_LOSS_LOG_COSH:
    case DEEP_LOSS_HINGE:
    case DEEP_LOSS_SQUARED_HINGE:
    case DEEP_LOSS_CATEGORICAL_HINGE:
    case DEEP_LOSS_KL_DIVERGENCE:
    case DEEP_LOSS_POISSON:
    case DEEP_LOSS_COSINE_SIMILARITY:
        return true;
    }
    return false;
}

/* -log(clip(p)), with its derivative with respect to p in *dp. */
static double neg_log(double p, double *dp)
{
    if (p < PROB_EPSILON || p > 1 - PROB_EPSILON) {
        *dp = 0;
        return -log(p < PROB_EPSILON ? PROB_EPSILON : 1 - PROB_EPSILON);
    }
    *dp = -1 / p;
    return -log(p);
}

static bool label_ok(int32_t label, int64_t width)
{
    return label >= 0 && label < width;
}

/* Keras' categorical cross-entropy of one row: the prediction is first divided by its
 * sum (q = p / S, so a row that is not a softmax output is scored as the distribution it
 * is proportional to), then clipped, then -sum_j y_j log q_j. With y NULL the target is
 * one-hot at `label` (the sparse loss). When grad is not NULL it receives the gradient
 * with respect to p divided by n: with g_j = dL/dq_j (0 where clipped),
 * dL/dp_k = (g_k - sum_j g_j q_j) / S. A row summing to 0 gives NaN, as in Keras. */
static double row_crossentropy(const float *p, const float *y, int32_t label, int64_t width, float *grad, int64_t n,
                               double smoothing)
{
    double sum = 0;
    for (int64_t j = 0; j < width; j++)
        sum += p[j];
    double loss = 0, dot = 0, dq;
    for (int64_t j = 0; j < width; j++) {
        const double weight = deep_loss_smooth(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, y ? y[j] : (double)(j == label),
                                               smoothing, width);
        if (weight == 0)
            continue; /* also skips the log of a zero that the clip would bound anyway */
        const double q = p[j] / sum;
        loss += weight * neg_log(q, &dq);
        dot += weight * dq * q;
    }
    if (grad) {
        for (int64_t j = 0; j < width; j++) {
            const double weight = deep_loss_smooth(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, y ? y[j] : (double)(j == label),
                                               smoothing, width);
            double g = 0;
            if (weight != 0) {
                neg_log(p[j] / sum, &dq);
                g = weight * dq;
            }
            grad[j] = (float)((g - dot) / sum / n);
        }
    }
    return loss;
}

/* An empty batch has loss 0 and no gradient; an unknown loss is NaN. A sparse label
 * outside [0, width) makes the loss NaN (its gradient row stays 0): the model checks
 * labels before training, so this only guards against reading out of bounds. */
double deep_loss_compute(deep_loss loss, const float *pred, const float *targets, const int32_t *labels,
                         int64_t batch, int64_t width, float *grad)
{
    return deep_loss_evaluate(loss, 1.0, pred, targets, labels, batch, width, grad);
}

double deep_loss_evaluate(deep_loss loss, double huber_delta, const float *pred, const float *targets,
                          const int32_t *labels, int64_t batch, int64_t width, float *grad)
{
    const deep_loss_config config = {.huber_delta = huber_delta};
    return deep_loss_apply(loss, &config, pred, targets, labels, batch, width, grad);
}

/* The sparse loss takes no label smoothing, as Keras' SparseCategoricalCrossentropy. */
double deep_loss_apply(deep_loss loss, const deep_loss_config *config, const float *pred, const float *targets,
                       const int32_t *labels, int64_t batch, int64_t width, float *grad)
{
    const double smoothing = config->label_smoothing;
    if (config->from_logits && (loss == DEEP_LOSS_BINARY_CROSSENTROPY || loss == DEEP_LOSS_CATEGORICAL_CROSSENTROPY ||
                                loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY))
        return deep_loss_logits(loss, smoothing, pred, targets, labels, batch, width, grad);
    if (!deep_loss_is_valid(loss))
        return NAN;
    if (batch <= 0 || width <= 0)
        return 0;
    const int64_t n = batch * width;
    double total = 0, dp, dq;
    switch (loss) {
    case DEEP_LOSS_MEAN_SQUARED_ERROR:
        for (int64_t i = 0; i < n; i++) {
            const double d = (double)pred[i] - targets[i];
            total += d * d;
            if (grad)
                grad[i] = (float)(2 * d / n);
        }
        return total / n;
    case DEEP_LOSS_BINARY_CROSSENTROPY:
        for (int64_t i = 0; i < n; i++) {
            const double p = pred[i], y = deep_loss_smooth(loss, targets[i], smoothing, width);
            total += y * neg_log(p, &dp) + (1 - y) * neg_log(1 - p, &dq);
            if (grad)
                grad[i] = (float)((y * dp - (1 - y) * dq) / n);
        }
        return total / n;
    case DEEP_LOSS_CATEGORICAL_CROSSENTROPY:
        for (int64_t b = 0; b < batch; b++)
            total += row_crossentropy(pred + b * width, targets + b * width, 0, width,
                                      grad ? grad + b * width : NULL, batch, smoothing);
        return total / batch;
    case DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
        if (grad)
            memset(grad, 0, (size_t)n * sizeof *grad);
        for (int64_t b = 0; b < batch; b++) {
            if (!label_ok(labels[b], width)) {
                total = NAN;
                continue;
            }
            total += row_crossentropy(pred + b * width, NULL, labels[b], width, grad ? grad + b * width : NULL, batch, 0);
        }
        return total / batch;
    case DEEP_LOSS_MEAN_ABSOLUTE_ERROR:
    case DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR:
    case DEEP_LOSS_HUBER:
    case DEEP_LOSS_LOG_COSH:
    case DEEP_LOSS_HINGE:
    case DEEP_LOSS_SQUARED_HINGE:
    case DEEP_LOSS_CATEGORICAL_HINGE:
    case DEEP_LOSS_KL_DIVERGENCE:
    case DEEP_LOSS_POISSON:
    case DEEP_LOSS_COSINE_SIMILARITY:
        return deep_loss_extra(loss, config, pred, targets, batch, width, grad);
    }
    return NAN;
}

bool deep_loss_fuses_with(deep_loss loss, deep_activation activation)
{
    switch (loss) {
    case DEEP_LOSS_BINARY_CROSSENTROPY:
        return activation == DEEP_ACTIVATION_SIGMOID;
    case DEEP_LOSS_CATEGORICAL_CROSSENTROPY:
    case DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
        return activation == DEEP_ACTIVATION_SOFTMAX;
    default: /* no other loss has a fused form */
        break;
    }
    return false;
}

/* (pred - target) / n, where n is what the loss averages over: every element for binary
 * cross-entropy, the samples for the categorical ones. The fused gradient ignores the
 * clip, which is what lets a saturated output still learn. A loss that does not fuse
 * gets a zero gradient. */
void deep_loss_fused_grad(deep_loss loss, double smoothing, const float *pred, const float *targets,
                          const int32_t *labels, int64_t batch, int64_t width, float *grad)
{
    if (batch <= 0 || width <= 0)
        return;
    const int64_t n = batch * width;
    switch (loss) {
    case DEEP_LOSS_BINARY_CROSSENTROPY:
    case DEEP_LOSS_CATEGORICAL_CROSSENTROPY: {
        const float scale = (float)(1.0 / (loss == DEEP_LOSS_BINARY_CROSSENTROPY ? n : batch));
        for (int64_t i = 0; i < n; i++)
            grad[i] = (pred[i] - (float)deep_loss_smooth(loss, targets[i], smoothing, width)) * scale;
        return;
    }
    case DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY: {
        /* The categorical case with one-hot rows; a label out of range matches no column. */
        const float scale = (float)(1.0 / batch);
        for (int64_t b = 0; b < batch; b++)
            for (int64_t j = 0; j < width; j++)
                grad[b * width + j] = (pred[b * width + j] - (float)(j == labels[b])) * scale;
        return;
    }
    default:
        break;
    }
    memset(grad, 0, (size_t)n * sizeof *grad);
}
