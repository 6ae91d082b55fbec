/* The four Keras losses and their gradients, accumulated in double precision.
 *
 * Cross-entropies clip probabilities to [1e-7, 1 - 1e-7] (Keras' backend epsilon) so that
 * p = 0 or p = 1 gives a large but finite loss. Where the clip is active the loss does not
 * depend on p, so its gradient there is 0, as TensorFlow's clip gradient is. The fused
 * gradients below are how a softmax or sigmoid output layer escapes that flat region.
 * NaN predictions pass through the clip so that the caller sees a non-finite loss. */
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

/* An empty batch has loss 0 and no gradient; an unknown loss is NaN. A sparse label
 * outside [0, width) makes the loss NaN (its gradient row stays 0): the model checks
 * labels before training, so this only guards against reading out of bounds. */
double deep_loss_compute(deep_loss loss, const float *pred, const float *targets, const int32_t *labels,
                         int64_t batch, int64_t width, float *grad)
{
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
            const double p = pred[i], y = targets[i];
            total += y * neg_log(p, &dp) + (1 - y) * neg_log(1 - p, &dq);
            if (grad)
                grad[i] = (float)((y * dp - (1 - y) * dq) / n);
        }
        return total / n;
    case DEEP_LOSS_CATEGORICAL_CROSSENTROPY:
        for (int64_t i = 0; i < n; i++) {
            const double y = targets[i];
            total += y * neg_log(pred[i], &dp);
            if (grad)
                grad[i] = (float)(y * dp / batch);
        }
        return total / batch;
    case DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
        if (grad)
            memset(grad, 0, (size_t)n * sizeof *grad);
        for (int64_t b = 0; b < batch; b++) {
            if (!label_ok(labels[b], width)) {
                total = NAN;
                continue;
            }
            const int64_t i = b * width + labels[b];
            total += neg_log(pred[i], &dp);
            if (grad)
                grad[i] = (float)(dp / batch);
        }
        return total / batch;
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
    case DEEP_LOSS_MEAN_SQUARED_ERROR:
        break;
    }
    return false;
}

/* (pred - target) / n, where n is what the loss averages over: every element for binary
 * cross-entropy, the samples for the categorical ones. The fused gradient ignores the
 * clip, which is what lets a saturated output still learn. A loss that does not fuse
 * gets a zero gradient. */
void deep_loss_fused_grad(deep_loss loss, const float *pred, const float *targets, const int32_t *labels,
                          int64_t batch, int64_t width, float *grad)
{
    if (batch <= 0 || width <= 0)
        return;
    const int64_t n = batch * width;
    switch (loss) {
    case DEEP_LOSS_BINARY_CROSSENTROPY:
    case DEEP_LOSS_CATEGORICAL_CROSSENTROPY: {
        const float scale = (float)(1.0 / (loss == DEEP_LOSS_BINARY_CROSSENTROPY ? n : batch));
        for (int64_t i = 0; i < n; i++)
            grad[i] = (pred[i] - targets[i]) * scale;
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
    case DEEP_LOSS_MEAN_SQUARED_ERROR:
        break;
    }
    memset(grad, 0, (size_t)n * sizeof *grad);
}
