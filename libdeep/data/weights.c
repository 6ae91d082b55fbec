/* Keras' sample weights carried by a dataset (since 1.2): one non-negative finite weight
 * per sample, reordered and copied with the samples (deep_dataset_gather and the calls
 * built on it), read by fit and evaluate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

deep_status deep_dataset_set_sample_weights(deep_dataset *dataset, const float *weights, int64_t count)
{
    DEEP_REQUIRE(dataset);
    if (weights == NULL && count == 0) { /* clears them */
        free(dataset->sample_weights);
        dataset->sample_weights = NULL;
        return DEEP_OK;
    }
    DEEP_REQUIRE(weights);
    if (count != dataset->count)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%lld sample weights given for %lld samples", (long long)count,
                         (long long)dataset->count);
    for (int64_t i = 0; i < count; i++)
        if (!(weights[i] >= 0.0f) || !isfinite(weights[i]))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "sample weight %g at position %lld must be finite and >= 0",
                             (double)weights[i], (long long)i);
    float *copy = deep_alloc(count, sizeof *copy);
    if (copy == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld sample weights", (long long)count);
    memcpy(copy, weights, (size_t)count * sizeof *copy);
    free(dataset->sample_weights);
    dataset->sample_weights = copy;
    return DEEP_OK;
}

deep_status deep_dataset_sample_weights(const deep_dataset *dataset, float *weights, int64_t capacity,
                                        int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, weights, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(dataset);
    if (dataset->sample_weights == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "the dataset has no sample weights");
    return deep_output_copy(__func__, "the sample weights", weights, capacity, needed, dataset->sample_weights,
                            dataset->count, sizeof *weights);
}
