/* libFuzzer target for the IDX parser. The first two input bytes (little-endian) say where
 * the images file ends and the labels file begins; past the end means "no labels file". */
#include <string.h>

#include "data/data.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t split = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2;
    size -= 2;
    const unsigned char *labels = NULL;
    size_t labels_len = 0;
    if (split < size) {
        labels = data + split;
        labels_len = size - split;
    } else {
        split = size;
    }
    deep_dataset *d = (deep_dataset *)data; /* must come back NULL on failure */
    deep_status status = deep_idx_parse("fuzz_idx", "images", data, split, "labels", labels, labels_len, &d);
    if (status != DEEP_OK) {
        /* Failures leave no object behind and always explain themselves. */
        if (d != NULL || strncmp(deep_last_error(), "fuzz_idx: ", 10) != 0)
            __builtin_trap();
        return 0;
    }
    /* A loaded dataset is consistent: its bytes read back as their values, labels below
     * num_classes, usable batches. */
    const float *values;
    if (d->bytes == NULL || deep_dataset_values("fuzz_idx", d, &values) != DEEP_OK)
        __builtin_trap();
    for (int64_t i = 0; i < d->count * d->sample_size; i++)
        if (values[i] != (float)d->bytes[i])
            __builtin_trap();
    for (int64_t i = 0; d->labels && i < d->count; i++)
        if (d->labels[i] < 0 || d->labels[i] >= d->num_classes)
            __builtin_trap();
    deep_tensor *x = NULL, *y = NULL;
    if (deep_dataset_batch(d, 0, d->count, &x, d->labels ? &y : NULL) != DEEP_OK)
        __builtin_trap();
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_dataset_free(d);
    return 0;
}
