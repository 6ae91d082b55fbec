/* libFuzzer target for the CSV parser. The first input byte chooses the label column:
 * 0 for none, otherwise the name made of the next byte count bytes (e.g. "y"); the rest
 * is the file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1 || size - 1 < data[0])
        return 0;
    char label[256];
    memcpy(label, data + 1, data[0]);
    label[data[0]] = '\0';
    const char *text = (const char *)data + 1 + data[0];
    size_t len = size - 1 - data[0];
    deep_dataset *d = (deep_dataset *)data; /* must come back NULL on failure */
    deep_status status = deep_csv_parse("fuzz_csv", "input", text, len, data[0] ? label : NULL, &d);
    if (status != DEEP_OK) {
        /* Failures leave no object behind and always explain themselves. */
        if (d != NULL || strncmp(deep_last_error(), "fuzz_csv: ", 10) != 0)
            __builtin_trap();
        return 0;
    }
    /* A loaded table is consistent: names for every column, labels below num_classes with
     * a name each when they were strings, and every table call works on it. */
    if (d->count < 1 || d->sample_rank != 1 || d->column_names == NULL || (d->labels == NULL) != (data[0] == 0))
        __builtin_trap();
    for (int64_t j = 0; j < d->sample_size; j++)
        if (d->column_names[j] == NULL)
            __builtin_trap();
    for (int64_t i = 0; d->labels && i < d->count; i++)
        if (d->labels[i] < 0 || d->labels[i] >= d->num_classes)
            __builtin_trap();
    for (int32_t c = 0; d->class_names && c < d->num_classes; c++)
        if (d->class_names[c] == NULL)
            __builtin_trap();
    int64_t needed, missing;
    double value;
    if (deep_dataset_describe_text(d, NULL, 0, &needed) != DEEP_OK || deep_dataset_missing_count(d, -1, &missing) != DEEP_OK ||
        deep_dataset_describe(d, 0, DEEP_STAT_STD, &value) != DEEP_OK)
        __builtin_trap();
    deep_dataset *copy = NULL;
    if (deep_dataset_concat(d, d, &copy) != DEEP_OK || copy->count != 2 * d->count)
        __builtin_trap();
    deep_status filled = deep_dataset_fill_missing(copy, DEEP_FILL_MEDIAN, NULL);
    if (filled == DEEP_OK && (deep_dataset_missing_count(copy, -1, &missing) != DEEP_OK || missing != 0))
        __builtin_trap();
    deep_dataset_free(copy);
    deep_dataset_free(d);
    return 0;
}
