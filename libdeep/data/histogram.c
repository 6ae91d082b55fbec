/* numpy.histogram of one column: equal-width bins, numpy's "auto" bin count, and numpy's
 * way of placing a value in its bin (a first guess from the value's position, corrected
 * against the edges themselves, so that values on an edge land where numpy puts them). */
#include <math.h>
#include <stdlib.h>

#include "data/data.h"

#define MAX_BINS 10000000

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's percentile with linear interpolation, and its _lerp. */
static double percentile(const double *sorted, int64_t n, double q)
{
    double position = q / 100.0 * (double)(n - 1);
    int64_t below = (int64_t)floor(position);
    int64_t above = below + 1 < n ? below + 1 : n - 1;
    double t = position - (double)below, a = sorted[below], b = sorted[above], diff = b - a;
    return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

/* numpy's "auto": min(Freedman-Diaconis, Sturges) width, Sturges when the IQR is 0. */
static int64_t auto_bins(const double *sorted, int64_t n, double first, double last)
{
    double ptp = sorted[n - 1] - sorted[0];
    double sturges = ptp / (log2((double)n) + 1.0);
    double iqr = percentile(sorted, n, 75.0) - percentile(sorted, n, 25.0);
    double fd = 2.0 * iqr * pow((double)n, -1.0 / 3.0);
    double width = fd != 0.0 ? fmin(fd, sturges) : sturges;
    if (width == 0.0)
        return 1;
    double bins = ceil((last - first) / width);
    return bins > MAX_BINS ? MAX_BINS + 1 : (int64_t)bins;
}

deep_status deep_dataset_histogram(const deep_dataset *dataset, int64_t column, int64_t bins, double *edges,
                                   int64_t edges_capacity, int64_t *edges_needed, int64_t *counts,
                                   int64_t counts_capacity, int64_t *counts_needed)
{
    DEEP_TRY(deep_output_args(__func__, edges, edges_capacity, edges_needed));
    DEEP_TRY(deep_output_args(__func__, counts, counts_capacity, counts_needed));
    DEEP_REQUIRE(dataset);
    if (column < 0 || column >= dataset->sample_size)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "column %lld is outside 0..%lld", (long long)column,
                         (long long)dataset->sample_size - 1);
    if (bins < 0 || bins > MAX_BINS)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "bins is %lld; use 1 to %d, or 0 for numpy's \"auto\"",
                         (long long)bins, MAX_BINS);
    if (deep_column_is_categorical(dataset, column))
        return DEEP_FAIL(DEEP_ERR_STATE, "column %lld holds text categories; deep_dataset_value_counts counts them",
                         (long long)column);
    const float *values;
    DEEP_TRY(deep_dataset_values(__func__, dataset, &values));
    double *sorted = deep_alloc(dataset->count, sizeof *sorted);
    if (sorted == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld values", (long long)dataset->count);
    int64_t n = 0;
    for (int64_t i = 0; i < dataset->count; i++)
        if (!isnan(values[i * dataset->sample_size + column]))
            sorted[n++] = values[i * dataset->sample_size + column];
    deep_status status = DEEP_OK;
    if (n == 0)
        status = DEEP_FAIL(DEEP_ERR_NUMERIC, "column %lld has no present value", (long long)column);
    double first = 0, last = 0;
    if (status == DEEP_OK) {
        qsort(sorted, (size_t)n, sizeof *sorted, by_double);
        first = sorted[0], last = sorted[n - 1];
        if (first == last)
            first -= 0.5, last += 0.5;
        if (bins == 0 && (bins = auto_bins(sorted, n, first, last)) > MAX_BINS)
            status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "\"auto\" asks for more than %d bins", MAX_BINS);
    }
    if (status != DEEP_OK) {
        free(sorted);
        return status;
    }
    *edges_needed = bins + 1;
    *counts_needed = bins;
    if (edges_capacity == 0 && counts_capacity == 0) {
        free(sorted);
        return DEEP_OK;
    }
    if (edges_capacity < bins + 1 || counts_capacity < bins) {
        free(sorted);
        return DEEP_FAIL(DEEP_ERR_BUFFER_TOO_SMALL, "%lld bins need %lld edges and %lld counts but the capacities are "
                         "%lld and %lld", (long long)bins, (long long)bins + 1, (long long)bins,
                         (long long)edges_capacity, (long long)counts_capacity);
    }
    /* numpy.linspace: i * step + first, the last edge exactly `last`. */
    double step = (last - first) / (double)bins, norm = (double)bins / (last - first);
    for (int64_t b = 0; b < bins; b++) {
        edges[b] = (double)b * step + first;
        counts[b] = 0;
    }
    edges[bins] = last;
    for (int64_t i = 0; i < n; i++) {
        double x = sorted[i];
        int64_t b = (int64_t)((x - first) * norm);
        if (b == bins)
            b--;
        if (x < edges[b])
            b--;
        else if (b != bins - 1 && x >= edges[b + 1])
            b++;
        counts[b]++;
    }
    free(sorted);
    return DEEP_OK;
}
