/* The cross-entropies on logits, Keras' from_logits=True, in the numerically stable fused
 * forms TensorFlow uses (keras/src/backend/tensorflow/nn.py): no probability is formed,
 * so nothing is clipped and a huge logit gives a finite loss and gradient.
 *
 *   binary:      max(x, 0) - x y + log1p(exp(-|x|)) per element, mean over every element;
 *                d/dx = sigmoid(x) - y
 *   categorical: -sum_j y_j (x_j - logsumexp(x)) per row, mean over the rows;
 *                d/dx_j = softmax(x)_j sum(y) - y_j (Keras does not normalise the targets)
 *   sparse:      the categorical one with a one-hot row at the label
 *
 * Targets are smoothed first (deep_loss_smooth) for the binary and categorical losses. */
#include <math.h>
#include <string.h>

#include "losses/loss.h"

static double sigmoid(double x)
{
    if (x >= 0)
        return 1 / (1 + exp(-x));
    const double e = exp(x);
    return e / (1 + e);
}

static double binary(double smoothing, const float *x, const float *targets, int64_t n, float *grad)
{
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        const double v = x[i], y = deep_loss_smooth(DEEP_LOSS_BINARY_CROSSENTROPY, targets[i], smoothing, 1);
        total += (v > 0 ? v : 0) - v * y + log1p(exp(-fabs(v)));
        if (grad)
            grad[i] = (float)((sigmoid(v) - y) / (double)n);
    }
    return total / (double)n;
}

/* One row; y NULL means one-hot at `label`. */
static double row(double smoothing, const float *x, const float *y, int32_t label, int64_t width, float *grad,
                  int64_t n)
{
    double max = x[0];
    for (int64_t j = 1; j < width; j++)
        max = x[j] > max ? x[j] : max;
    double sum_exp = 0;
    for (int64_t j = 0; j < width; j++)
        sum_exp += exp(x[j] - max);
    const double log_z = max + log(sum_exp);
    double loss = 0, target_sum = 0;
    for (int64_t j = 0; j < width; j++) {
        const double t = y ? deep_loss_smooth(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, y[j], smoothing, width)
                           : (double)(j == label);
        loss -= t * (x[j] - log_z);
        target_sum += t;
    }
    for (int64_t j = 0; grad && j < width; j++) {
        const double t = y ? deep_loss_smooth(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, y[j], smoothing, width)
                           : (double)(j == label);
        grad[j] = (float)((exp(x[j] - log_z) * target_sum - t) / (double)n);
    }
    return loss;
}

/* An empty batch is 0; a sparse label outside [0, width) makes the loss NaN with a zero
 * gradient row, as deep_loss_compute. */
double deep_loss_logits(deep_loss loss, double smoothing, const float *logits, const float *targets,
                        const int32_t *labels, int64_t batch, int64_t width, float *grad)
{
    if (batch <= 0 || width <= 0)
        return 0;
    if (loss == DEEP_LOSS_BINARY_CROSSENTROPY)
        return binary(smoothing, logits, targets, batch * width, grad);
    const bool sparse = loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    if (!sparse && loss != DEEP_LOSS_CATEGORICAL_CROSSENTROPY)
        return NAN;
    double total = 0;
    for (int64_t b = 0; b < batch; b++) {
        float *g = grad ? grad + b * width : NULL;
        if (sparse && (labels[b] < 0 || labels[b] >= width)) {
            if (g)
                memset(g, 0, (size_t)width * sizeof *g);
            total = NAN;
            continue;
        }
        total += row(sparse ? 0 : smoothing, logits + b * width, sparse ? NULL : targets + b * width,
                     sparse ? labels[b] : 0, width, g, batch);
    }
    return total / (double)batch;
}
