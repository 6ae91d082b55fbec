/* What the dataset targets check on any dataset a loader returned: its count, shape and
 * labels agree, every batch converts, and the features hold what the raw bytes said. */
#ifndef LIBDEEP_FUZZ_DATASET_H
#define LIBDEEP_FUZZ_DATASET_H

#include "fuzz.h"

static void fuzz_check_dataset(const deep_dataset *d)
{
    int64_t count = 0, shape[DEEP_MAX_RANK], width = -1;
    int64_t rank = 0;
    int32_t classes = -1;
    fuzz_require(deep_dataset_count(d, &count) == DEEP_OK && count >= 1, "deep_dataset_count");
    fuzz_require(deep_dataset_sample_shape(d, shape, DEEP_MAX_RANK, &rank) == DEEP_OK && rank >= 1 &&
                     rank < DEEP_MAX_RANK,
                 "deep_dataset_sample_shape");
    for (int64_t i = 0; i < rank; i++)
        fuzz_require(shape[i] >= 1, "sample dimension below 1");
    fuzz_require(deep_dataset_num_classes(d, &classes) == DEEP_OK && classes >= 0, "deep_dataset_num_classes");
    fuzz_require(deep_dataset_target_width(d, &width) == DEEP_OK && width >= 0, "deep_dataset_target_width");
    if (classes > 0) {
        int32_t *labels = malloc((size_t)count * sizeof *labels);
        fuzz_require(labels != NULL, "out of memory");
        fuzz_require(deep_dataset_labels(d, labels, count, &(int64_t){0}) == DEEP_OK, "deep_dataset_labels");
        for (int64_t i = 0; i < count; i++)
            fuzz_require(labels[i] >= 0 && labels[i] < classes, "label out of range");
        free(labels);
    }
    /* The last samples as a batch, with their targets: one-hot rows when there are labels,
     * unless a label in the millions asks for rows too long to build on every run. */
    deep_tensor *x = NULL, *y = NULL;
    int64_t take = count < 3 ? count : 3;
    bool targets = width > 0 || (classes > 0 && classes <= 4096);
    fuzz_require(deep_dataset_batch(d, count - take, take, &x, targets ? &y : NULL) == DEEP_OK, "deep_dataset_batch");
    int32_t x_rank = 0;
    fuzz_require(deep_tensor_rank(x, &x_rank) == DEEP_OK && x_rank == rank + 1, "batch rank");
    deep_tensor_free(x);
    deep_tensor_free(y);
}

#endif
