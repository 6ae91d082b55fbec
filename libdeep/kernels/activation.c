/* Activation functions and their derivatives, written so the derivative only needs the
 * output: the forward pass then keeps one buffer per layer. */
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
    case DEEP_ACTIVATION_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : LEAKY_RELU_SLOPE * x[i];
        break;
    case DEEP_ACTIVATION_ELU:
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : ELU_ALPHA * expm1f(x[i]);
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
    case DEEP_ACTIVATION_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++)
            grad[i] = y[i] > 0 ? grad[i] : LEAKY_RELU_SLOPE * grad[i];
        break;
    case DEEP_ACTIVATION_ELU:
        /* For x <= 0, y = alpha (e^x - 1) so f'(x) = y + alpha. */
        for (int64_t i = 0; i < n; i++)
            grad[i] = y[i] > 0 ? grad[i] : grad[i] * (y[i] + ELU_ALPHA);
        break;
    }
}
