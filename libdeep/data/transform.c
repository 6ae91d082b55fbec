/* Feature scaling in place, and the seeded reorderings of a dataset: shuffle and split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

/* The settings are doubles (deep.h's type rule); features are float, so the arithmetic
 * stays in float, and a value beyond float's range is refused as not finite. */
deep_status deep_dataset_scale(deep_dataset *dataset, double scale_setting, double shift_setting)
{
    DEEP_REQUIRE(dataset);
    DEEP_TRY(deep_refuse_categories(__func__, dataset));
    float scale = (float)scale_setting, shift = (float)shift_setting;
    if (!isfinite(scale) || !isfinite(shift))
        return DEEP_FAIL(DEEP_ERR_NUMERIC, "scale %g and shift %g must be finite floats", scale_setting,
                         shift_setting);
    if (dataset->bytes != NULL && dataset->byte_scale == 1.0f && dataset->byte_shift == 0.0f) {
        /* Bytes that still are their own values take the scale as it is: the values stay
         * exactly what scaling their floats gives, b * scale + shift. */
        free(dataset->features);
        dataset->features = NULL;
        dataset->byte_scale = scale;
        dataset->byte_shift = shift;
        return DEEP_OK;
    }
    float *features;
    DEEP_TRY(deep_dataset_values_mut(__func__, dataset, &features));
    int64_t total = dataset->count * dataset->sample_size;
    for (int64_t i = 0; i < total; i++)
        features[i] = features[i] * scale + shift;
    return DEEP_OK;
}

enum scaling { STANDARDIZE, MINMAX };

/* Maps every feature j to (x - offset[j]) * factor[j], with offset and factor taken from
 * the reference's per-feature statistics (in double precision). A feature constant in the
 * reference (min == max, exactly: a computed variance would not be exactly 0) gets factor 0. */
static deep_status scale_features(const char *caller, deep_dataset *d, const deep_dataset *ref,
                                  enum scaling how)
{
    if (d == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'dataset' is NULL");
    if (ref == NULL)
        ref = d;
    DEEP_TRY(deep_refuse_categories(caller, d));
    DEEP_TRY(deep_refuse_categories(caller, ref));
    if (ref->sample_size != d->sample_size)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "the reference has %lld features per sample but the dataset has %lld",
                              (long long)ref->sample_size, (long long)d->sample_size);
    const float *ref_values;
    float *values;
    DEEP_TRY(deep_dataset_values(caller, ref, &ref_values));
    DEEP_TRY(deep_dataset_values_mut(caller, d, &values));
    int64_t m = d->sample_size, blocks;
    double *stats = deep_mul_i64(m, 4, &blocks) ? deep_alloc(blocks, sizeof *stats) : NULL;
    if (stats == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld feature statistics",
                              (long long)m);
    double *offset = stats, *factor = stats + m, *low = stats + 2 * m, *high = stats + 3 * m;
    for (int64_t j = 0; j < m; j++) {
        offset[j] = factor[j] = 0.0;
        low[j] = INFINITY;
        high[j] = -INFINITY;
    }
    for (int64_t i = 0; i < ref->count; i++) {
        const float *row = ref_values + i * m;
        for (int64_t j = 0; j < m; j++) {
            if (!isfinite(row[j])) {
                free(stats);
                return deep_error_set(DEEP_ERR_NUMERIC, caller, "feature %lld of sample %lld of the %s is %g",
                                      (long long)j, (long long)i, ref == d ? "dataset" : "reference",
                                      (double)row[j]);
            }
            offset[j] += row[j];
            low[j] = fmin(low[j], row[j]);
            high[j] = fmax(high[j], row[j]);
        }
    }
    for (int64_t j = 0; j < m; j++)
        offset[j] /= (double)ref->count;
    if (how == STANDARDIZE) {
        /* Second pass over the deviations: steadier than accumulating squares. */
        for (int64_t i = 0; i < ref->count; i++) {
            const float *row = ref_values + i * m;
            for (int64_t j = 0; j < m; j++)
                factor[j] += (row[j] - offset[j]) * (row[j] - offset[j]);
        }
    }
    for (int64_t j = 0; j < m; j++) {
        if (low[j] == high[j])
            factor[j] = 0.0;
        else if (how == STANDARDIZE)
            factor[j] = 1.0 / sqrt(factor[j] / (double)ref->count);
        else {
            offset[j] = low[j];
            factor[j] = 1.0 / (high[j] - low[j]);
        }
    }
    for (int64_t i = 0; i < d->count; i++) {
        float *row = values + i * m;
        for (int64_t j = 0; j < m; j++)
            row[j] = (float)((row[j] - offset[j]) * factor[j]);
    }
    free(stats);
    return DEEP_OK;
}

deep_status deep_dataset_standardize(deep_dataset *dataset, const deep_dataset *reference)
{
    return scale_features(__func__, dataset, reference, STANDARDIZE);
}

deep_status deep_dataset_minmax_scale(deep_dataset *dataset, const deep_dataset *reference)
{
    return scale_features(__func__, dataset, reference, MINMAX);
}

/* A seeded random permutation of 0..n-1 into order. */
static void permutation(int64_t *order, int64_t n, struct deep_rng *rng)
{
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    deep_rng_shuffle_i64(rng, order, n);
}

deep_status deep_dataset_shuffle(deep_dataset *dataset, uint64_t seed)
{
    DEEP_REQUIRE(dataset);
    int64_t *order = deep_alloc(dataset->count, sizeof *order);
    if (order == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld indices", (long long)dataset->count);
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    permutation(order, dataset->count, &rng);
    deep_dataset *shuffled;
    deep_status status = deep_dataset_gather(__func__, dataset, order, dataset->count, &shuffled);
    free(order);
    DEEP_TRY(status);
    /* The copy has the same metadata, so swapping the whole structs swaps the buffers. */
    deep_dataset old = *dataset;
    *dataset = *shuffled;
    *shuffled = old;
    deep_dataset_free(shuffled);
    return DEEP_OK;
}

struct share {
    int64_t remainder;
    int32_t label;
};

/* Largest remainder first; ties to the smaller class id so that the split is reproducible. */
static int by_remainder(const void *a, const void *b)
{
    const struct share *x = a, *y = b;
    if (x->remainder != y->remainder)
        return x->remainder > y->remainder ? -1 : 1;
    return (x->label > y->label) - (x->label < y->label);
}

/* Fills order with n_test test indices then the train indices. Class c of n_c samples gives
 * n_c * n_test / n of them to test, rounded by largest remainder so that the counts add up
 * to n_test exactly; which of its samples go is drawn at random. */
static deep_status stratified_order(const char *caller, const deep_dataset *d, int64_t n_test,
                                    struct deep_rng *rng, int64_t *order)
{
    int32_t k = d->num_classes;
    int64_t n = d->count;
    int64_t *start = deep_alloc_zero((int64_t)k + 1, sizeof *start); /* class c is members[start[c]..start[c+1]) */
    int64_t *take = deep_alloc_zero(k, sizeof *take);
    int64_t *members = deep_alloc(n, sizeof *members);
    struct share *shares = deep_alloc(k, sizeof *shares);
    deep_status status = DEEP_OK;
    if (!start || !take || !members || !shares) {
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory stratifying %d classes", (int)k);
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        start[d->labels[i] + 1]++;
    for (int32_t c = 0; c < k; c++)
        start[c + 1] += start[c];
    for (int64_t i = 0; i < n; i++) /* take counts the members placed so far */
        members[start[d->labels[i]] + take[d->labels[i]]++] = i;
    int64_t assigned = 0;
    for (int32_t c = 0; c < k; c++) {
        int64_t n_c = start[c + 1] - start[c], product;
        deep_rng_shuffle_i64(rng, members + start[c], n_c);
        if (!deep_mul_i64(n_c, n_test, &product)) {
            status = deep_error_set(DEEP_ERR_OVERFLOW, caller, "too many samples (%lld) to stratify",
                                    (long long)n);
            goto done;
        }
        take[c] = product / n;
        shares[c] = (struct share){product % n, c};
        assigned += take[c];
    }
    /* Each remainder is below n and they sum to n * (n_test - assigned), so enough classes
     * have one to spare, and a class with a remainder has take[c] < n_c. */
    qsort(shares, (size_t)k, sizeof *shares, by_remainder);
    for (int64_t i = 0; i < n_test - assigned; i++)
        take[shares[i].label]++;
    int64_t t = 0, r = n_test;
    for (int32_t c = 0; c < k; c++)
        for (int64_t i = start[c]; i < start[c + 1]; i++)
            order[i - start[c] < take[c] ? t++ : r++] = members[i];
    /* Mix the classes within each part: a model fit without shuffling must not see them in runs. */
    deep_rng_shuffle_i64(rng, order, n_test);
    deep_rng_shuffle_i64(rng, order + n_test, n - n_test);
done:
    free(start);
    free(take);
    free(members);
    free(shares);
    return status;
}

deep_status deep_dataset_split(const deep_dataset *dataset, double test_fraction, uint64_t seed,
                               int32_t stratify, deep_dataset **train, deep_dataset **test)
{
    if (train != NULL)
        *train = NULL;
    if (test != NULL)
        *test = NULL;
    DEEP_REQUIRE(train);
    DEEP_REQUIRE(test);
    DEEP_REQUIRE(dataset);
    if (!(test_fraction > 0.0 && test_fraction < 1.0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "test_fraction %g is not in (0, 1)", test_fraction);
    if (stratify && dataset->labels == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "stratify needs labels; the dataset has none");
    int64_t n = dataset->count;
    /* Rounded up as scikit-learn does, after shaving the rounding error off products such
     * as 0.1 * 30 = 3.0000000000000004. */
    double exact = test_fraction * (double)n;
    int64_t n_test = (int64_t)ceil(exact - exact * 1e-12);
    if (n_test < 1 || n_test >= n)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                         "test_fraction %g of %lld samples leaves %lld for test and %lld for train; "
                         "both need at least one", test_fraction, (long long)n, (long long)n_test,
                         (long long)(n - n_test));
    int64_t *order = deep_alloc(n, sizeof *order);
    if (order == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld indices", (long long)n);
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    deep_status status = DEEP_OK;
    if (stratify)
        status = stratified_order(__func__, dataset, n_test, &rng, order);
    else
        permutation(order, n, &rng);
    if (status == DEEP_OK)
        status = deep_dataset_gather(__func__, dataset, order, n_test, test);
    if (status == DEEP_OK)
        status = deep_dataset_gather(__func__, dataset, order + n_test, n - n_test, train);
    free(order);
    if (status != DEEP_OK) {
        deep_dataset_free(*test);
        *test = NULL;
    }
    return status;
}
