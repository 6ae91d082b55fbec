/* The index sets of k-fold cross-validation, as scikit-learn's KFold draws them. */
#include <stdlib.h>

#include "data/data.h"

deep_status deep_kfold_indices(int64_t count, int64_t folds, int64_t fold, int32_t shuffle, uint64_t seed,
                               int64_t *train_indices, int64_t train_capacity, int64_t *train_needed,
                               int64_t *test_indices, int64_t test_capacity, int64_t *test_needed)
{
    DEEP_TRY(deep_output_args(__func__, train_indices, train_capacity, train_needed));
    DEEP_TRY(deep_output_args(__func__, test_indices, test_capacity, test_needed));
    if (folds < 2 || count < folds)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "%lld folds of %lld samples; 2 <= folds <= count is needed",
                         (long long)folds, (long long)count);
    if (fold < 0 || fold >= folds)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "fold %lld is outside 0..%lld", (long long)fold, (long long)folds - 1);
    /* Fold f holds count / folds samples, one more for the first count % folds folds. */
    int64_t size = count / folds, extra = count % folds;
    int64_t start = fold * size + (fold < extra ? fold : extra);
    int64_t n_test = size + (fold < extra);
    *test_needed = n_test;
    *train_needed = count - n_test;
    /* Two outputs, one call: a size query when both capacities are 0, else both must fit. */
    if (train_capacity == 0 && test_capacity == 0)
        return DEEP_OK;
    if (train_capacity < count - n_test || test_capacity < n_test)
        return DEEP_FAIL(DEEP_ERR_BUFFER_TOO_SMALL, "fold %lld has %lld train and %lld test indices but the "
                         "capacities are %lld and %lld", (long long)fold, (long long)(count - n_test),
                         (long long)n_test, (long long)train_capacity, (long long)test_capacity);
    /* The fold is a run of the order (seeded-shuffled or not); marking its members and
     * sweeping 0..count-1 gives both lists sorted, as scikit-learn returns them. */
    int64_t *order = deep_alloc(count, sizeof *order);
    unsigned char *in_test = deep_alloc_zero(count, 1);
    if (order == NULL || in_test == NULL) {
        free(order);
        free(in_test);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld indices", (long long)count);
    }
    for (int64_t i = 0; i < count; i++)
        order[i] = i;
    if (shuffle) {
        struct deep_rng rng;
        deep_rng_init(&rng, seed);
        deep_rng_shuffle_i64(&rng, order, count);
    }
    for (int64_t i = start; i < start + n_test; i++)
        in_test[order[i]] = 1;
    for (int64_t i = 0, t = 0, r = 0; i < count; i++) {
        if (in_test[i])
            test_indices[t++] = i;
        else
            train_indices[r++] = i;
    }
    free(order);
    free(in_test);
    return DEEP_OK;
}
