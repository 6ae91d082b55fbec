/* The histogram splitter's binned table: every feature cut once into at most max_bins
 * quantile bins (each distinct value its own bin when there are few enough, as for
 * 8-bit pixels), coded as one byte per value. */
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

void tree_bins_free(struct tree_bins *bins)
{
    if (bins == NULL)
        return;
    free(bins->codes);
    free(bins->thresholds);
    free(bins->count);
    free(bins);
}

/* A threshold between two neighbouring values a < b that keeps a left and b right even
 * when the midpoint rounds up to b. */
static float midpoint(float a, float b)
{
    float mid = a / 2 + b / 2;
    return mid >= b ? a : mid;
}

/* Cuts one sorted column (keys, with their rows) into bins and codes its rows. */
static void bin_column(const uint32_t *keys, const int32_t *rows, int64_t n, int32_t max_bins, float *thresholds,
                       int32_t *count, uint8_t *codes)
{
    int64_t distinct = 1;
    for (int64_t i = 1; i < n; i++)
        distinct += keys[i] != keys[i - 1];
    int32_t bins = 0;
    for (int64_t i = 0; i < n; i++) {
        codes[rows[i]] = (uint8_t)bins;
        bool boundary = i + 1 < n && keys[i + 1] != keys[i];
        /* Few distinct values: cut at every change. Many: cut once the bins so far hold
         * their share of the rows, so that bins hold about n / max_bins rows each. */
        bool cut = distinct <= max_bins || (double)(i + 1) >= (double)(bins + 1) * (double)n / max_bins;
        if (boundary && cut && bins < max_bins - 1)
            thresholds[bins++] = midpoint(tree_sort_value(keys[i]), tree_sort_value(keys[i + 1]));
    }
    *count = bins + 1;
}

struct bin_job {
    const struct tree_table *table;
    int32_t max_bins;
    struct tree_bins *bins;
    uint32_t *keys;  /* 2n per worker */
    int32_t *rows;   /* 2n per worker */
};

/* Bins features [begin, end) with worker's sort buffers. */
static void bin_features(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    struct bin_job *job = raw;
    int64_t n = job->table->n;
    uint32_t *keys = job->keys + 2 * n * worker;
    int32_t *rows = job->rows + 2 * n * worker;
    for (int64_t f = begin; f < end; f++) {
        for (int64_t i = 0; i < n; i++) {
            keys[i] = tree_sort_key(tree_table_value(job->table, i, f));
            rows[i] = (int32_t)i;
        }
        tree_sort(keys, rows, n, keys + n, rows + n);
        bin_column(keys, rows, n, job->max_bins, job->bins->thresholds + f * TREE_MAX_BINS, &job->bins->count[f],
                   job->bins->codes + f * n);
    }
}

deep_status tree_bins_build(const char *caller, const struct tree_table *table, int32_t max_bins, deep_pool *pool,
                            struct tree_bins **out)
{
    int64_t n = table->n, features = table->n_features, cells, buffers;
    int32_t workers = pool ? deep_pool_threads(pool) : 1;
    *out = NULL;
    struct tree_bins *bins = calloc(1, sizeof *bins);
    struct bin_job job = {table, max_bins, bins, NULL, NULL};
    if (deep_mul_i64(2 * n, workers, &buffers)) {
        job.keys = deep_alloc(buffers, sizeof *job.keys);
        job.rows = deep_alloc(buffers, sizeof *job.rows);
    }
    if (bins != NULL && deep_mul_i64(n, features, &cells)) {
        bins->codes = deep_alloc(cells, 1);
        bins->thresholds = deep_alloc_zero(features * TREE_MAX_BINS, sizeof *bins->thresholds);
        bins->count = deep_alloc(features, sizeof *bins->count);
    }
    bool memory = bins && job.keys && job.rows && bins->codes && bins->thresholds && bins->count;
    if (memory)
        deep_pool_run(pool, features, bin_features, &job);
    free(job.keys);
    free(job.rows);
    if (!memory) {
        tree_bins_free(bins);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "no memory to bin %lld x %lld features", (long long)n,
                              (long long)features);
    }
    *out = bins;
    return DEEP_OK;
}
