/* Whole-tensor operations a caller needs to prepare inputs and read outputs. */
#include <math.h>

#include "tensor/tensor.h"

deep_status deep_tensor_fill(deep_tensor *tensor, float value)
{
    DEEP_REQUIRE(tensor);
    for (int64_t i = 0; i < tensor->size; i++)
        tensor->data[i] = value;
    return DEEP_OK;
}

deep_status deep_tensor_scale_shift(deep_tensor *tensor, float scale, float shift)
{
    DEEP_REQUIRE(tensor);
    if (!isfinite(scale) || !isfinite(shift))
        return DEEP_FAIL(DEEP_ERR_NUMERIC, "scale %g and shift %g must be finite", (double)scale,
                         (double)shift);
    for (int64_t i = 0; i < tensor->size; i++)
        tensor->data[i] = tensor->data[i] * scale + shift;
    return DEEP_OK;
}

deep_status deep_tensor_fill_uniform(deep_tensor *tensor, deep_rng *rng, float low, float high)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(rng);
    if (!isfinite(low) || !isfinite(high) || !(low < high))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "need finite low < high, got [%g, %g)",
                         (double)low, (double)high);
    /* In double, high - low cannot overflow (e.g. -FLT_MAX..FLT_MAX); rounding to float can
     * still land on high itself, which the half-open interval excludes. */
    double span = (double)high - (double)low;
    float below_high = nextafterf(high, low);
    for (int64_t i = 0; i < tensor->size; i++) {
        float x = (float)(low + span * deep_rng_float(rng));
        tensor->data[i] = x < high ? x : below_high;
    }
    return DEEP_OK;
}

deep_status deep_tensor_fill_normal(deep_tensor *tensor, deep_rng *rng, float mean, float stddev)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(rng);
    if (!isfinite(mean) || !isfinite(stddev) || stddev < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "need a finite mean and stddev >= 0, got %g and %g",
                         (double)mean, (double)stddev);
    for (int64_t i = 0; i < tensor->size; i++)
        tensor->data[i] = mean + stddev * deep_rng_normal(rng);
    return DEEP_OK;
}

deep_status deep_tensor_sum(const deep_tensor *tensor, double *sum)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(sum);
    double total = 0;
    for (int64_t i = 0; i < tensor->size; i++)
        total += tensor->data[i];
    *sum = total;
    return DEEP_OK;
}

deep_status deep_tensor_argmax(const deep_tensor *tensor, int64_t *indices, int64_t capacity)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(indices);
    int64_t width = tensor->shape[tensor->rank - 1];
    int64_t rows = tensor->size / width;
    if (capacity < rows)
        return DEEP_FAIL(DEEP_ERR_BUFFER_TOO_SMALL, "%lld rows need %lld indices but capacity is %lld",
                         (long long)rows, (long long)rows, (long long)capacity);
    for (int64_t r = 0; r < rows; r++) {
        const float *row = tensor->data + r * width;
        int64_t best = 0;
        for (int64_t j = 1; j < width; j++)
            if (row[j] > row[best])
                best = j;
        indices[r] = best;
    }
    return DEEP_OK;
}
