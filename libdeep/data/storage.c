/* How a dataset's features are read: as floats, or converted from the bytes that byte
 * files (IDX, CIFAR-10) are kept as. Keeping the bytes quarters the memory a dataset
 * needs (Fashion-MNIST: 55 MB instead of 220 MB); training converts batch by batch. */
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

void deep_dataset_convert_bytes(const uint8_t *bytes, int64_t n, float scale, float shift, float *dst)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = deep_byte_value(bytes[i], scale, shift);
}

void deep_dataset_read_samples(const deep_dataset *d, int64_t first, int64_t count, float *dst)
{
    int64_t m = d->sample_size;
    if (d->bytes != NULL)
        deep_dataset_convert_bytes(d->bytes + first * m, count * m, d->byte_scale, d->byte_shift, dst);
    else
        memcpy(dst, d->features + first * m, (size_t)(count * m) * sizeof *dst);
}

void deep_dataset_read_features(const deep_dataset *d, int64_t sample, int64_t offset, int64_t count, float *dst)
{
    int64_t at = sample * d->sample_size + offset;
    if (d->bytes != NULL)
        deep_dataset_convert_bytes(d->bytes + at, count, d->byte_scale, d->byte_shift, dst);
    else
        memcpy(dst, d->features + at, (size_t)count * sizeof *dst);
}

deep_status deep_dataset_values(const char *caller, const deep_dataset *d, const float **values)
{
    float *features = __atomic_load_n(&d->features, __ATOMIC_ACQUIRE);
    if (features == NULL) {
        int64_t total = d->count * d->sample_size;
        float *converted = deep_alloc(total, sizeof *converted);
        if (converted == NULL)
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory converting %lld features to floats",
                                  (long long)total);
        deep_dataset_convert_bytes(d->bytes, total, d->byte_scale, d->byte_shift, converted);
        /* The conversion is the dataset's value, not a change to it, hence the cast. */
        float **slot = (float **)&d->features;
        if (__atomic_compare_exchange_n(slot, &features, converted, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            features = converted;
        else
            free(converted);
    }
    *values = features;
    return DEEP_OK;
}

deep_status deep_dataset_values_mut(const char *caller, deep_dataset *d, float **values)
{
    const float *features;
    DEEP_TRY(deep_dataset_values(caller, d, &features));
    free(d->bytes);
    d->bytes = NULL;
    *values = d->features;
    return DEEP_OK;
}
