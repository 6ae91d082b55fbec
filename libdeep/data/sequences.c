/* Integer token sequences as datasets: Keras' pad_sequences, and the sliding windows of
 * next-token prediction. Ids are stored as floats, the features every layer reads; an
 * Embedding layer checks that they are whole numbers below its input_dim. */
#include <string.h>

#include "data/data.h"
#include "data/dataset.h"

static deep_status check_side(const char *what, deep_pad_side side)
{
    if (side != DEEP_PAD_PRE && side != DEEP_PAD_POST)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_new_sequences",
                              "%s is %d; DEEP_PAD_PRE (0) or DEEP_PAD_POST (1) is needed", what, (int)side);
    return DEEP_OK;
}

deep_status deep_dataset_new_sequences(const int32_t *const *sequences, const int64_t *lengths, int64_t count,
                                       int64_t maxlen, deep_pad_side padding, deep_pad_side truncating,
                                       deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(sequences);
    DEEP_REQUIRE(lengths);
    if (count < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "%lld sequences; at least one is needed", (long long)count);
    if (maxlen < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "maxlen is %lld; 0 (the longest sequence) or more is needed",
                         (long long)maxlen);
    DEEP_TRY(check_side("padding", padding));
    DEEP_TRY(check_side("truncating", truncating));
    int64_t longest = 0;
    for (int64_t i = 0; i < count; i++) {
        if (lengths[i] < 0)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "sequence %lld has length %lld", (long long)i,
                             (long long)lengths[i]);
        if (lengths[i] > 0 && sequences[i] == NULL)
            return DEEP_FAIL(DEEP_ERR_NULL, "sequence %lld is NULL but has length %lld", (long long)i,
                             (long long)lengths[i]);
        for (int64_t t = 0; t < lengths[i]; t++)
            if (sequences[i][t] < 0)
                return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "sequence %lld holds id %d at position %lld; ids are >= 0",
                                 (long long)i, (int)sequences[i][t], (long long)t);
        longest = lengths[i] > longest ? lengths[i] : longest;
    }
    int64_t width = maxlen > 0 ? maxlen : longest;
    if (width == 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "every sequence is empty and maxlen is 0");

    deep_dataset *d;
    DEEP_TRY(deep_dataset_create(__func__, count, 1, &width, NULL, &d));
    memset(d->features, 0, (size_t)(count * width) * sizeof(float)); /* 0 is the padding id */
    for (int64_t i = 0; i < count; i++) {
        int64_t kept = lengths[i] < width ? lengths[i] : width;
        const int32_t *from = sequences[i] + (truncating == DEEP_PAD_PRE ? lengths[i] - kept : 0);
        float *to = d->features + i * width + (padding == DEEP_PAD_PRE ? width - kept : 0);
        for (int64_t t = 0; t < kept; t++)
            to[t] = (float)from[t];
    }
    *out = d;
    return DEEP_OK;
}

deep_status deep_dataset_new_windows(const int32_t *ids, int64_t count, int64_t window, int64_t stride,
                                     int32_t num_classes, deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(ids);
    if (window < 1 || stride < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "window %lld and stride %lld; both must be >= 1",
                         (long long)window, (long long)stride);
    if (num_classes < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "num_classes is %d; the vocabulary size (>= 1) is needed",
                         (int)num_classes);
    if (count <= window)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%lld ids make no window of %lld followed by its next id",
                         (long long)count, (long long)window);
    for (int64_t t = 0; t < count; t++)
        if (ids[t] < 0 || ids[t] >= num_classes)
            return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "id %d at position %lld is outside 0..%d", (int)ids[t],
                             (long long)t, (int)num_classes - 1);
    /* Window i covers ids [i * stride, i * stride + window) and predicts the id after it. */
    int64_t samples = (count - window - 1) / stride + 1;
    deep_dataset *d;
    DEEP_TRY(deep_dataset_create(__func__, samples, 1, &window, NULL, &d));
    d->labels = deep_alloc(samples, sizeof *d->labels);
    if (d->labels == NULL) {
        deep_dataset_free(d);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld labels", (long long)samples);
    }
    for (int64_t i = 0; i < samples; i++) {
        const int32_t *start = ids + i * stride;
        for (int64_t t = 0; t < window; t++)
            d->features[i * window + t] = (float)start[t];
        d->labels[i] = start[window];
    }
    d->num_classes = num_classes;
    *out = d;
    return DEEP_OK;
}
