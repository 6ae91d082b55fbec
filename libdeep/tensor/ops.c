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

/* Settings arrive as double (deep.h's type rule); the data is float, so the arithmetic
 * stays in float, and a value beyond float's range is refused as not finite. */
deep_status deep_tensor_scale_shift(deep_tensor *tensor, double scale_setting, double shift_setting)
{
    DEEP_REQUIRE(tensor);
    float scale = (float)scale_setting, shift = (float)shift_setting;
    if (!isfinite(scale) || !isfinite(shift))
        return DEEP_FAIL(DEEP_ERR_NUMERIC, "scale %g and shift %g must be finite floats", scale_setting,
                         shift_setting);
    for (int64_t i = 0; i < tensor->size; i++)
        tensor->data[i] = tensor->data[i] * scale + shift;
    return DEEP_OK;
}

deep_status deep_tensor_fill_uniform(deep_tensor *tensor, deep_rng *rng, double low_setting, double high_setting)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(rng);
    float low = (float)low_setting, high = (float)high_setting;
    if (!isfinite(low) || !isfinite(high) || !(low < high))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "need finite low < high (as floats), got [%g, %g)", low_setting,
                         high_setting);
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

deep_status deep_tensor_fill_normal(deep_tensor *tensor, deep_rng *rng, double mean_setting, double stddev_setting)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(rng);
    float mean = (float)mean_setting, stddev = (float)stddev_setting;
    if (!isfinite(mean) || !isfinite(stddev) || stddev < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "need a finite mean and stddev >= 0 (as floats), got %g and %g",
                         mean_setting, stddev_setting);
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

deep_status deep_tensor_argmax(const deep_tensor *tensor, int64_t *indices, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, indices, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(tensor);
    int64_t width = tensor->shape[tensor->rank - 1];
    int64_t rows = tensor->size / width;
    bool write;
    DEEP_TRY(deep_output_check(__func__, "one index per row", indices, capacity, needed, rows, &write));
    if (!write)
        return DEEP_OK;
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
