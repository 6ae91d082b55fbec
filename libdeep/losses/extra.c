/* The Keras losses beyond MSE and the cross-entropies, with float targets: values and
 * gradients in double precision, following keras/src/losses/losses.py (Keras 3).
 *
 * Element-wise losses are the mean over every element (Keras' mean over the last axis
 * then over the batch, rows being the same width); row losses (categorical hinge, KL
 * divergence, cosine similarity) are a sum or dot product over the last axis, then the
 * mean over the rows. Where Keras clips, the clipped input has no gradient, as
 * TensorFlow's clip. Comparisons are written so that a NaN prediction gives a NaN loss
 * instead of being dropped by a max or a clip: the model stops on a non-finite loss. */
#include <math.h>

#include "losses/loss.h"

#define KERAS_EPSILON 1e-7 /* keras.backend.epsilon() */

static double sign(double x)
{
    return x > 0 ? 1 : x < 0 ? -1 : 0; /* TensorFlow's abs gradient at 0 is 0 */
}

/* max(x, 0) that keeps a NaN. */
static double positive_part(double x)
{
    return x < 0 ? 0 : x;
}

/* log(cosh(x)) = |x| + log1p(exp(-2|x|)) - log 2, which never overflows; its derivative
 * is tanh(x). */
static double log_cosh(double x, double *dx)
{
    *dx = tanh(x);
    const double a = fabs(x);
    return a + log1p(exp(-2 * a)) - 0.69314718055994530942; /* log 2 */
}

/* Keras turns {0, 1} hinge targets into {-1, 1} when every target of the batch is 0 or
 * 1 (a test over the whole tensor, not per sample). */
bool deep_loss_binary_targets(const float *targets, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (targets[i] != 0 && targets[i] != 1)
            return false;
    return true;
}

static double elementwise(deep_loss loss, double delta, int hinge_signs, const float *pred, const float *targets,
                          int64_t n, float *grad)
{
    const bool to_signs = (loss == DEEP_LOSS_HINGE || loss == DEEP_LOSS_SQUARED_HINGE) &&
                          (hinge_signs != 0 ? hinge_signs > 0 : deep_loss_binary_targets(targets, n));
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        const double p = pred[i], e = p - targets[i];
        double value = 0, d = 0;
        switch (loss) {
        case DEEP_LOSS_MEAN_ABSOLUTE_ERROR:
            value = fabs(e);
            d = sign(e);
            break;
        case DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR: {
            const double scale = 100 / fmax(fabs((double)targets[i]), KERAS_EPSILON);
            value = scale * fabs(e);
            d = scale * sign(e);
            break;
        }
        case DEEP_LOSS_HUBER:
            if (fabs(e) <= delta) {
                value = 0.5 * e * e;
                d = e;
            } else {
                value = delta * fabs(e) - 0.5 * delta * delta; /* also the NaN branch */
                d = delta * sign(e);
            }
            break;
        case DEEP_LOSS_LOG_COSH:
            value = log_cosh(e, &d);
            break;
        case DEEP_LOSS_HINGE:
        case DEEP_LOSS_SQUARED_HINGE: {
            const double y = to_signs ? 2.0 * targets[i] - 1 : targets[i];
            const double margin = positive_part(1 - y * p);
            const bool squared = loss == DEEP_LOSS_SQUARED_HINGE;
            value = squared ? margin * margin : margin;
            d = margin > 0 ? (squared ? -2 * margin * y : -y) : 0;
            break;
        }
        case DEEP_LOSS_POISSON:
            value = p - targets[i] * log(p + KERAS_EPSILON);
            d = 1 - targets[i] / (p + KERAS_EPSILON);
            break;
        default:
            return NAN;
        }
        total += value;
        if (grad)
            grad[i] = (float)(d / n);
    }
    return total / n;
}

/* max(max_j (1 - y_j) p_j - sum_j y_j p_j + 1, 0); the gradient picks the first largest
 * negative term, as an argmax does. */
static double categorical_hinge(const float *p, const float *y, int64_t width, float *grad, int64_t rows)
{
    double pos = 0, neg = -INFINITY;
    int64_t top = 0;
    for (int64_t j = 0; j < width; j++) {
        pos += (double)y[j] * p[j];
        const double v = (1 - (double)y[j]) * p[j];
        if (v > neg) {
            neg = v;
            top = j;
        }
    }
    const double value = positive_part(neg - pos + 1);
    if (grad)
        for (int64_t j = 0; j < width; j++)
            grad[j] = value > 0 ? (float)(((j == top) * (1 - (double)y[j]) - y[j]) / rows) : 0;
    return value;
}

/* sum_j t_j log(t_j / q_j) with t, q clipped to [eps, 1]; d/dp_j = -t_j / q_j inside the
 * clip, 0 outside. */
static double kl_divergence(const float *p, const float *y, int64_t width, float *grad, int64_t rows)
{
    double value = 0;
    for (int64_t j = 0; j < width; j++) {
        const double t = y[j] < KERAS_EPSILON ? KERAS_EPSILON : y[j] > 1 ? 1 : y[j];
        const bool clipped = p[j] < KERAS_EPSILON || p[j] > 1;
        const double q = p[j] < KERAS_EPSILON ? KERAS_EPSILON : p[j] > 1 ? 1 : p[j];
        value += t * log(t / q);
        if (grad)
            grad[j] = clipped ? 0 : (float)(-t / q / rows);
    }
    return value;
}

/* -a . b with a = y / max(|y|, eps) and b = p / max(|p|, eps). With r = max(|p|, eps):
 * when |p| > eps, d/dp = -(a - (a . p) p / |p|^2) / |p|; below it, r is constant and
 * d/dp = -a / eps. */
static double cosine_similarity(const float *p, const float *y, int64_t width, float *grad, int64_t rows)
{
    double yy = 0, pp = 0, yp = 0;
    for (int64_t j = 0; j < width; j++) {
        yy += (double)y[j] * y[j];
        pp += (double)p[j] * p[j];
        yp += (double)y[j] * p[j];
    }
    const double ny = fmax(sqrt(yy), KERAS_EPSILON), np = sqrt(pp), rp = fmax(np, KERAS_EPSILON);
    const double value = -yp / (ny * rp);
    if (grad) {
        const bool small = !(np > KERAS_EPSILON);
        for (int64_t j = 0; j < width; j++) {
            const double a = y[j] / ny;
            const double d = small ? -a / KERAS_EPSILON : -(a - (yp / ny) * p[j] / pp) / np;
            grad[j] = (float)(d / rows);
        }
    }
    return value;
}

double deep_loss_extra(deep_loss loss, const deep_loss_config *config, const float *pred, const float *targets,
                       int64_t batch, int64_t width, float *grad)
{
    double (*row)(const float *, const float *, int64_t, float *, int64_t) = NULL;
    switch (loss) {
    case DEEP_LOSS_CATEGORICAL_HINGE: row = categorical_hinge; break;
    case DEEP_LOSS_KL_DIVERGENCE: row = kl_divergence; break;
    case DEEP_LOSS_COSINE_SIMILARITY: row = cosine_similarity; break;
    default: return elementwise(loss, config->huber_delta, config->hinge_signs, pred, targets, batch * width, grad);
    }
    double total = 0;
    for (int64_t b = 0; b < batch; b++)
        total += row(pred + b * width, targets + b * width, width, grad ? grad + b * width : NULL, batch);
    return total / batch;
}
