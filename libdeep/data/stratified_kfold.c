/* The index sets of stratified k-fold cross-validation, as scikit-learn's StratifiedKFold
 * (0.22 and later) draws them: classes numbered by first appearance, the samples sorted by
 * that number dealt to the folds in turn (which fixes how many of each class a fold gets),
 * and each class's fold numbers given to its samples in index order, as a block per fold
 * (shuffled per class when asked). */
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

typedef struct {
    int32_t label;
    int64_t index;
} labelled;

static int by_label_then_index(const void *a, const void *b)
{
    const labelled *x = a, *y = b;
    if (x->label != y->label)
        return x->label < y->label ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int by_first_index(const void *a, const void *b)
{
    const labelled *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* Positions p in [0, x) with p % folds == fold. */
static int64_t dealt(int64_t x, int64_t folds, int64_t fold)
{
    return x / folds + (x % folds > fold ? 1 : 0);
}

/* fold_of[i]: the test fold of sample i. Fails only on memory or on folds larger than every
 * class (scikit-learn's ValueError). */
static deep_status assign_folds(const char *caller, const int32_t *labels, int64_t count, int64_t folds,
                                int32_t shuffle, uint64_t seed, int64_t *fold_of)
{
    labelled *sorted = deep_alloc(count, sizeof *sorted);
    int64_t *group = deep_alloc(count, sizeof *group);       /* per sample: its label's rank */
    int64_t *code = deep_alloc(count, sizeof *code);         /* label rank -> class by appearance */
    int64_t *sizes = deep_alloc_zero(count + 1, sizeof *sizes);
    int64_t *members = deep_alloc(count, sizeof *members);   /* samples by class, in index order */
    int64_t *block = deep_alloc(count, sizeof *block);
    deep_status s = DEEP_OK;
    if (!sorted || !group || !code || !sizes || !members || !block) {
        s = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld labels", (long long)count);
        goto done;
    }
    for (int64_t i = 0; i < count; i++)
        sorted[i] = (labelled){labels[i], i};
    qsort(sorted, (size_t)count, sizeof *sorted, by_label_then_index);
    /* Each distinct label's first sample (the first of its run, the run being in index
     * order) goes to the front of `sorted`, which is no longer read past it. */
    int64_t groups = 0;
    for (int64_t i = 0; i < count; i++) {
        if (i == 0 || sorted[i].label != sorted[i - 1].label)
            sorted[groups++] = sorted[i];
        group[sorted[i].index] = groups - 1;
    }
    /* Ordered by first sample, the labels get scikit-learn's class numbers. */
    qsort(sorted, (size_t)groups, sizeof *sorted, by_first_index);
    for (int64_t c = 0; c < groups; c++)
        code[group[sorted[c].index]] = c;
    int64_t classes = groups, largest = 0;
    for (int64_t i = 0; i < count; i++)
        sizes[code[group[i]] + 1]++;
    for (int64_t c = 0; c < classes; c++)
        largest = sizes[c + 1] > largest ? sizes[c + 1] : largest;
    if (largest < folds) {
        s = deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                           "%lld folds but no class has that many samples (the largest has %lld): use fewer folds",
                           (long long)folds, (long long)largest);
        goto done;
    }
    for (int64_t c = 0; c < classes; c++)
        sizes[c + 1] += sizes[c]; /* sizes[c]: where class c starts in the sorted order */
    {
        int64_t *fill = block;
        memcpy(fill, sizes, (size_t)classes * sizeof *fill);
        for (int64_t i = 0; i < count; i++)
            members[fill[code[group[i]]]++] = i;
    }
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    for (int64_t c = 0; c < classes; c++) {
        int64_t a = sizes[c], b = sizes[c + 1], at = 0;
        for (int64_t f = 0; f < folds; f++)
            for (int64_t k = dealt(b, folds, f) - dealt(a, folds, f); k > 0; k--)
                block[at++] = f;
        if (shuffle)
            deep_rng_shuffle_i64(&rng, block, b - a);
        for (int64_t j = 0; j < b - a; j++)
            fold_of[members[a + j]] = block[j];
    }
done:
    free(sorted);
    free(group);
    free(code);
    free(sizes);
    free(members);
    free(block);
    return s;
}

deep_status deep_stratified_kfold_indices(const int32_t *labels, int64_t count, int64_t folds, int64_t fold,
                                          int32_t shuffle, uint64_t seed, int64_t *train_indices,
                                          int64_t train_capacity, int64_t *train_needed, int64_t *test_indices,
                                          int64_t test_capacity, int64_t *test_needed)
{
    DEEP_TRY(deep_output_args(__func__, train_indices, train_capacity, train_needed));
    DEEP_TRY(deep_output_args(__func__, test_indices, test_capacity, test_needed));
    DEEP_REQUIRE(labels);
    if (folds < 2 || count < folds)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "%lld folds of %lld samples; 2 <= folds <= count is needed",
                         (long long)folds, (long long)count);
    if (fold < 0 || fold >= folds)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "fold %lld is outside 0..%lld", (long long)fold, (long long)folds - 1);
    int64_t *fold_of = deep_alloc(count, sizeof *fold_of);
    if (fold_of == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld indices", (long long)count);
    /* The sizes depend on the labels, so even the size query assigns the folds. */
    deep_status s = assign_folds(__func__, labels, count, folds, shuffle, seed, fold_of);
    int64_t n_test = 0;
    for (int64_t i = 0; s == DEEP_OK && i < count; i++)
        n_test += fold_of[i] == fold;
    if (s == DEEP_OK) {
        *test_needed = n_test;
        *train_needed = count - n_test;
        if ((train_capacity != 0 || test_capacity != 0) &&
            (train_capacity < count - n_test || test_capacity < n_test))
            s = DEEP_FAIL(DEEP_ERR_BUFFER_TOO_SMALL,
                          "fold %lld has %lld train and %lld test indices but the capacities are %lld and %lld",
                          (long long)fold, (long long)(count - n_test), (long long)n_test,
                          (long long)train_capacity, (long long)test_capacity);
        else if (train_capacity != 0 || test_capacity != 0)
            for (int64_t i = 0, t = 0, r = 0; i < count; i++) {
                if (fold_of[i] == fold)
                    test_indices[t++] = i;
                else
                    train_indices[r++] = i;
            }
    } else {
        *train_needed = *test_needed = 0; /* deep.h: 0 after any failure but a short buffer */
    }
    free(fold_of);
    return s;
}
