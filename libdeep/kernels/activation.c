/* Activation functions and their derivatives, written so the derivative only needs the
 * output where it can be (the forward pass then keeps one buffer per layer); gelu and silu
 * take their derivative from the input. Names are Keras'. */
#include <math.h>

#include "kernels/fastmath.h"
#include "kernels/kernels.h"

#define LEAKY_RELU_SLOPE DEEP_LEAKY_RELU_SLOPE
#define ELU_ALPHA DEEP_ELU_ALPHA

/* The switch without a default makes the compiler (-Wswitch, an error in CI) name any
 * activation of deep.h left out here, and validity follows from it: no range of
 * enumerators to keep up to date. */
static const char *known_name(deep_activation activation)
{
    switch (activation) {
    case DEEP_ACTIVATION_LINEAR: return "linear";
    case DEEP_ACTIVATION_RELU: return "relu";
    case DEEP_ACTIVATION_SIGMOID: return "sigmoid";
    case DEEP_ACTIVATION_TANH: return "tanh";
    case DEEP_ACTIVATION_SOFTMAX: return "softmax";
    case DEEP_ACTIVATION_LEAKY_RELU: return "leaky_relu";
    case DEEP_ACTIVATION_ELU: return "elu";
    case DEEP_ACTIVATION_GELU: return "gelu";
    /* Keras has no string for gelu(approximate=True); this one, libdeep's, spells the enumerator. */
    case DEEP_ACTIVATION_GELU_TANH: return "gelu_tanh";
    case DEEP_ACTIVATION_SILU: return "silu";
    case DEEP_ACTIVATION_SOFTPLUS: return "softplus";
    case DEEP_ACTIVATION_SOFTSIGN: return "softsign";
    case DEEP_ACTIVATION_SELU: return "selu";
    case DEEP_ACTIVATION_HARD_SIGMOID: return "hard_sigmoid";
    case DEEP_ACTIVATION_EXPONENTIAL: return "exponential";
    case DEEP_ACTIVATION_RELU6: return "relu6";
    case DEEP_ACTIVATION_LOG_SOFTMAX: return "log_softmax";
    }
    return NULL;
}

bool deep_activation_is_valid(deep_activation activation)
{
    return known_name(activation) != NULL;
}

const char *deep_activation_name(deep_activation activation)
{
    const char *name = known_name(activation);
    return name != NULL ? name : "unknown";
}

bool deep_activation_needs_input(deep_activation activation)
{
    return activation == DEEP_ACTIVATION_GELU || activation == DEEP_ACTIVATION_GELU_TANH ||
           activation == DEEP_ACTIVATION_SILU;
}

#define SELU_ALPHA 1.67326324235437728f /* Keras' constants (Klambauer et al.) */
#define SELU_SCALE 1.05070098735548049f

/* The activations added in 1.0, one value at a time; recurrent cells refuse them, so
 * they live here rather than in fastmath.h's inlined forms. */
static float newer_value(deep_activation activation, float x)
{
    switch (activation) {
    case DEEP_ACTIVATION_GELU:
        return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case DEEP_ACTIVATION_GELU_TANH:
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case DEEP_ACTIVATION_SILU:
        return x / (1.0f + expf(-x));
    case DEEP_ACTIVATION_SOFTPLUS:
        /* max(x, 0) + log(1 + e^-|x|): no overflow for large x, no lost digits for small. */
        return (x > 0 ? x : 0) + log1pf(expf(-fabsf(x)));
    case DEEP_ACTIVATION_SOFTSIGN:
        return x / (1.0f + fabsf(x));
    case DEEP_ACTIVATION_SELU:
        return x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * expm1f(x);
    case DEEP_ACTIVATION_HARD_SIGMOID: {
        const float y = x / 6.0f + 0.5f; /* written so that NaN passes through, as relu's */
        return y < 0 ? 0 : (y > 1 ? 1 : y);
    }
    case DEEP_ACTIVATION_EXPONENTIAL:
        return expf(x);
    case DEEP_ACTIVATION_RELU6:
        return x < 0 ? 0 : (x > 6 ? 6 : x);
    default:
        return x;
    }
}

/* f'(x) in terms of y = f(x) for the newer ones that allow it (not gelu and silu). At the
 * kinks of relu6 and hard_sigmoid the slope is 0, as relu's is at 0. */
static float newer_slope(deep_activation activation, float y)
{
    switch (activation) {
    case DEEP_ACTIVATION_SOFTPLUS:
        return -expm1f(-y); /* sigmoid(x) = 1 - e^-y */
    case DEEP_ACTIVATION_SOFTSIGN: {
        const float d = 1.0f - fabsf(y); /* 1 / (1 + |x|) */
        return d * d;
    }
    case DEEP_ACTIVATION_SELU:
        return y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case DEEP_ACTIVATION_HARD_SIGMOID:
        return y > 0 && y < 1 ? 1.0f / 6.0f : 0.0f;
    case DEEP_ACTIVATION_EXPONENTIAL:
        return y;
    case DEEP_ACTIVATION_RELU6:
        return y > 0 && y < 6 ? 1.0f : 0.0f;
    default:
        return 1.0f;
    }
}

static void softmax_rows(float *x, int64_t rows, int64_t width)
{
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * width;
        float max = row[0];
        for (int64_t j = 1; j < width; j++)
            max = row[j] > max ? row[j] : max;
        /* Subtracting the maximum keeps exp from overflowing. */
        double sum = 0;
        for (int64_t j = 0; j < width; j++) {
            row[j] = expf(row[j] - max);
            sum += row[j];
        }
        float inv = (float)(1.0 / sum);
        for (int64_t j = 0; j < width; j++)
            row[j] *= inv;
    }
}

/* x - max - log(sum(e^(x - max))): the maximum keeps exp from overflowing, and the
 * difference keeps the digits a log of the softmax would lose for tiny probabilities. */
static void log_softmax_rows(float *x, int64_t rows, int64_t width)
{
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * width;
        float max = row[0];
        for (int64_t j = 1; j < width; j++)
            max = row[j] > max ? row[j] : max;
        double sum = 0;
        for (int64_t j = 0; j < width; j++)
            sum += exp((double)row[j] - max);
        double shift = max + log(sum); /* in double: x - shift is small where x is large */
        for (int64_t j = 0; j < width; j++)
            row[j] = (float)(row[j] - shift);
    }
}

void deep_activation_forward(deep_activation activation, float *x, int64_t rows, int64_t width)
{
    int64_t n = rows * width;
    switch (activation) {
    case DEEP_ACTIVATION_LINEAR:
        break;
    case DEEP_ACTIVATION_RELU:
        /* Written so that NaN passes through: a NaN input must surface as a NaN loss. */
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] < 0 ? 0 : x[i];
        break;
    case DEEP_ACTIVATION_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            x[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case DEEP_ACTIVATION_TANH:
        for (int64_t i = 0; i < n; i++)
            x[i] = tanhf(x[i]);
        break;
    case DEEP_ACTIVATION_SOFTMAX:
        softmax_rows(x, rows, width);
        break;
    case DEEP_ACTIVATION_LOG_SOFTMAX:
        log_softmax_rows(x, rows, width);
        break;
    case DEEP_ACTIVATION_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : LEAKY_RELU_SLOPE * x[i];
        break;
    case DEEP_ACTIVATION_ELU:
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : ELU_ALPHA * expm1f(x[i]);
        break;
    case DEEP_ACTIVATION_GELU:
    case DEEP_ACTIVATION_GELU_TANH:
    case DEEP_ACTIVATION_SILU:
    case DEEP_ACTIVATION_SOFTPLUS:
    case DEEP_ACTIVATION_SOFTSIGN:
    case DEEP_ACTIVATION_SELU:
    case DEEP_ACTIVATION_HARD_SIGMOID:
    case DEEP_ACTIVATION_EXPONENTIAL:
    case DEEP_ACTIVATION_RELU6:
        for (int64_t i = 0; i < n; i++)
            x[i] = newer_value(activation, x[i]);
        break;
    }
}

void deep_activation_backward(deep_activation activation, const float *y, float *grad, int64_t rows,
                              int64_t width)
{
    int64_t n = rows * width;
    switch (activation) {
    case DEEP_ACTIVATION_LINEAR:
        break;
    case DEEP_ACTIVATION_RELU:
        for (int64_t i = 0; i < n; i++)
            grad[i] = y[i] > 0 ? grad[i] : 0;
        break;
    case DEEP_ACTIVATION_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            grad[i] *= y[i] * (1.0f - y[i]);
        break;
    case DEEP_ACTIVATION_TANH:
        for (int64_t i = 0; i < n; i++)
            grad[i] *= 1.0f - y[i] * y[i];
        break;
    case DEEP_ACTIVATION_SOFTMAX:
        /* dL/dx_j = y_j * (dL/dy_j - sum_k dL/dy_k * y_k) */
        for (int64_t r = 0; r < rows; r++) {
            const float *yr = y + r * width;
            float *gr = grad + r * width;
            double dot = 0;
            for (int64_t j = 0; j < width; j++)
                dot += (double)gr[j] * yr[j];
            for (int64_t j = 0; j < width; j++)
                gr[j] = yr[j] * (gr[j] - (float)dot);
        }
        break;
    case DEEP_ACTIVATION_LOG_SOFTMAX:
        /* dL/dx_j = dL/dy_j - e^(y_j) * sum_k dL/dy_k, e^y being the softmax */
        for (int64_t r = 0; r < rows; r++) {
            const float *yr = y + r * width;
            float *gr = grad + r * width;
            double sum = 0;
            for (int64_t j = 0; j < width; j++)
                sum += gr[j];
            for (int64_t j = 0; j < width; j++)
                gr[j] -= expf(yr[j]) * (float)sum;
        }
        break;
    case DEEP_ACTIVATION_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++)
            grad[i] = y[i] > 0 ? grad[i] : LEAKY_RELU_SLOPE * grad[i];
        break;
    case DEEP_ACTIVATION_ELU:
        /* For x <= 0, y = alpha (e^x - 1) so f'(x) = y + alpha. */
        for (int64_t i = 0; i < n; i++)
            grad[i] = y[i] > 0 ? grad[i] : grad[i] * (y[i] + ELU_ALPHA);
        break;
    case DEEP_ACTIVATION_SOFTPLUS:
    case DEEP_ACTIVATION_SOFTSIGN:
    case DEEP_ACTIVATION_SELU:
    case DEEP_ACTIVATION_HARD_SIGMOID:
    case DEEP_ACTIVATION_EXPONENTIAL:
    case DEEP_ACTIVATION_RELU6:
        for (int64_t i = 0; i < n; i++)
            grad[i] *= newer_slope(activation, y[i]);
        break;
    case DEEP_ACTIVATION_GELU:
    case DEEP_ACTIVATION_GELU_TANH:
    case DEEP_ACTIVATION_SILU:
        break; /* the caller uses deep_activation_backward_input */
    }
}

/* f'(x) of gelu, its tanh form and silu, from the input x. */
static inline float slope_of_input(deep_activation activation, float x)
{
    switch (activation) {
    case DEEP_ACTIVATION_GELU: /* Phi(x) + x phi(x) */
        return 0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * 0.39894228040143268f * expf(-0.5f * x * x);
    case DEEP_ACTIVATION_GELU_TANH: {
        const float c = 0.79788456080286536f, k = 0.044715f;
        const float t = tanhf(c * (x + k * x * x * x)), sech2 = 1.0f - t * t;
        /* Where tanh saturates, x^2 may be infinite: 0 * inf must not become NaN. */
        return 0.5f * (1.0f + t) + (sech2 == 0 ? 0.0f : 0.5f * x * sech2 * c * (1.0f + 3.0f * k * x * x));
    }
    case DEEP_ACTIVATION_SILU: { /* s (1 + x (1 - s)) with s = sigmoid(x) */
        const float sig = 1.0f / (1.0f + expf(-x));
        return sig * (1.0f + x * (1.0f - sig));
    }
    default:
        return 1.0f;
    }
}

void deep_activation_backward_input(deep_activation activation, const float *x, float *grad, int64_t n)
{
    if (!deep_activation_needs_input(activation))
        return;
    for (int64_t i = 0; i < n; i++)
        grad[i] *= slope_of_input(activation, x[i]);
}
