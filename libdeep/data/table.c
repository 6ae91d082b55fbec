/* Tables as pandas handles them: column and class names, missing values (NaN) counted,
 * filled or dropped, per-column statistics, and concatenation by rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/c_locale.h"
#include "data/data.h"
#include "tensor/tensor.h"

/* Copies one of `count` names into buf; errors name `caller`. */
static deep_status copy_name(const char *caller, char *const *names, int64_t count, int64_t index,
                             const char *what, char *buffer, int64_t capacity, int64_t *needed)
{
    if (names == NULL)
        return deep_error_set(DEEP_ERR_STATE, caller, "the dataset has no %s names", what);
    if (index < 0 || index >= count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "%s %lld is outside 0..%lld", what,
                              (long long)index, (long long)count - 1);
    return deep_output_text(caller, "the name", buffer, capacity, needed, names[index]);
}

deep_status deep_dataset_column_name(const deep_dataset *dataset, int64_t column, char *buffer, int64_t capacity,
                                     int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(dataset);
    return copy_name(__func__, dataset->column_names, dataset->sample_size, column, "column", buffer, capacity,
                     needed);
}

deep_status deep_dataset_class_name(const deep_dataset *dataset, int32_t class_id, char *buffer, int64_t capacity,
                                    int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(dataset);
    return copy_name(__func__, dataset->class_names, dataset->num_classes, class_id, "class", buffer, capacity,
                     needed);
}

static deep_status check_column(const char *caller, const deep_dataset *d, int64_t column)
{
    if (column < 0 || column >= d->sample_size)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "column %lld is outside 0..%lld", (long long)column,
                              (long long)d->sample_size - 1);
    return DEEP_OK;
}

/* "column 3 (mpg)", or "column 3" without names, for messages. */
static const char *column_label(const deep_dataset *d, int64_t column, char *buf, size_t capacity)
{
    if (d->column_names)
        snprintf(buf, capacity, "column %lld (%s)", (long long)column, d->column_names[column]);
    else
        snprintf(buf, capacity, "column %lld", (long long)column);
    return buf;
}

/* The statistics of one column over its present values; std has n - 1 in the
 * denominator and is computed from the deviations (two passes), which is steadier than
 * accumulating squares. */
struct column_stats {
    int64_t count, missing;
    double mean, std, min, max;
};

static struct column_stats column_stats(const deep_dataset *d, const float *values, int64_t column)
{
    struct column_stats s = {0, 0, 0.0, NAN, INFINITY, -INFINITY};
    double sum = 0.0, squares = 0.0;
    for (int64_t i = 0; i < d->count; i++) {
        float x = values[i * d->sample_size + column];
        if (isnan(x)) {
            s.missing++;
            continue;
        }
        s.count++;
        sum += x;
        s.min = fmin(s.min, x);
        s.max = fmax(s.max, x);
    }
    if (s.count == 0) {
        s.mean = s.min = s.max = NAN;
        return s;
    }
    s.mean = sum / (double)s.count;
    for (int64_t i = 0; i < d->count; i++) {
        float x = values[i * d->sample_size + column];
        if (!isnan(x))
            squares += (x - s.mean) * (x - s.mean);
    }
    if (s.count > 1)
        s.std = sqrt(squares / (double)(s.count - 1));
    return s;
}

deep_status deep_dataset_missing_count(const deep_dataset *dataset, int64_t column, int64_t *count)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(count);
    if (column != -1)
        DEEP_TRY(check_column(__func__, dataset, column));
    int64_t missing = 0, total = dataset->count * dataset->sample_size;
    for (int64_t i = 0; dataset->bytes == NULL && i < total; i++) /* bytes are never missing */
        missing += isnan(dataset->features[i]) && (column == -1 || i % dataset->sample_size == column);
    *count = missing;
    return DEEP_OK;
}

/* One statistic of s; false for an unknown one. No default: the compiler (-Wswitch) names
 * a statistic of deep.h left out here, where a range of enumerators would go stale. */
static bool stat_value(const struct column_stats *s, deep_column_stat stat, double *value)
{
    switch (stat) {
    case DEEP_STAT_COUNT: *value = (double)s->count; return true;
    case DEEP_STAT_MISSING: *value = (double)s->missing; return true;
    case DEEP_STAT_MEAN: *value = s->mean; return true;
    case DEEP_STAT_STD: *value = s->std; return true;
    case DEEP_STAT_MIN: *value = s->min; return true;
    case DEEP_STAT_MAX: *value = s->max; return true;
    }
    return false;
}

deep_status deep_dataset_describe(const deep_dataset *dataset, int64_t column, deep_column_stat stat, double *value)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(value);
    DEEP_TRY(check_column(__func__, dataset, column));
    const struct column_stats none = {0};
    double unused;
    if (!stat_value(&none, stat, &unused))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown statistic %d", (int)stat);
    const float *features;
    DEEP_TRY(deep_dataset_values(__func__, dataset, &features));
    struct column_stats s = column_stats(dataset, features, column);
    stat_value(&s, stat, value);
    return DEEP_OK;
}

deep_status deep_dataset_describe_text(const deep_dataset *dataset, char *buffer, int64_t capacity,
                                       int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(dataset);
    const float *values;
    DEEP_TRY(deep_dataset_values(__func__, dataset, &values));
    /* One row per column (pandas' describe().T): wide tables stay readable. */
    int width = 6;
    for (int64_t j = 0; dataset->column_names && j < dataset->sample_size; j++) {
        size_t n = strlen(dataset->column_names[j]);
        width = n > (size_t)width ? (n < 40 ? (int)n : 40) : width;
    }
    deep_c_locale locale = deep_c_locale_begin(); /* numbers as pandas prints them */
    deep_bytes text = {0};
    deep_bytes_printf(&text, "%-*s %8s %8s %12s %12s %12s %12s\n", width, "column", "count", "missing", "mean",
                      "std", "min", "max");
    for (int64_t j = 0; j < dataset->sample_size; j++) {
        char name[32];
        snprintf(name, sizeof name, "f%lld", (long long)j);
        struct column_stats s = column_stats(dataset, values, j);
        deep_bytes_printf(&text, "%-*.*s %8lld %8lld %12.6g %12.6g %12.6g %12.6g\n", width, width,
                          dataset->column_names ? dataset->column_names[j] : name, (long long)s.count,
                          (long long)s.missing, s.mean, s.std, s.min, s.max);
    }
    deep_c_locale_end(locale);
    deep_status status = deep_bytes_copy_text(__func__, &text, "the table", buffer, capacity, needed);
    deep_bytes_free(&text);
    return status;
}

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The median of the present values of one column, using scratch (count floats). */
static double column_median(const deep_dataset *d, const float *values, int64_t column, float *scratch)
{
    int64_t n = 0;
    for (int64_t i = 0; i < d->count; i++) {
        float x = values[i * d->sample_size + column];
        if (!isnan(x))
            scratch[n++] = x;
    }
    if (n == 0)
        return NAN;
    qsort(scratch, (size_t)n, sizeof *scratch, by_value);
    return n % 2 ? scratch[n / 2] : ((double)scratch[n / 2 - 1] + scratch[n / 2]) / 2.0;
}

deep_status deep_dataset_fill_missing(deep_dataset *dataset, deep_fill strategy, const deep_dataset *reference)
{
    DEEP_REQUIRE(dataset);
    if (reference == NULL)
        reference = dataset;
    DEEP_TRY(deep_refuse_categories(__func__, dataset));
    DEEP_TRY(deep_refuse_categories(__func__, reference));
    if (strategy != DEEP_FILL_MEAN && strategy != DEEP_FILL_MEDIAN)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown strategy %d; use DEEP_FILL_MEAN or DEEP_FILL_MEDIAN",
                         (int)strategy);
    if (reference->sample_size != dataset->sample_size)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "the reference has %lld features per sample but the dataset has %lld",
                         (long long)reference->sample_size, (long long)dataset->sample_size);
    const float *ref_values;
    DEEP_TRY(deep_dataset_values(__func__, reference, &ref_values));
    int64_t m = dataset->sample_size;
    float *fill = deep_alloc(m, sizeof *fill);
    float *scratch = strategy == DEEP_FILL_MEDIAN ? deep_alloc(reference->count, sizeof *scratch) : NULL;
    deep_status status = DEEP_OK;
    if (fill == NULL || (strategy == DEEP_FILL_MEDIAN && scratch == NULL))
        status = DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld column statistics", (long long)m);
    /* Every value is computed before any is written: a failure leaves the dataset as it was,
     * and filling a dataset from itself sees only its original values. */
    for (int64_t j = 0; status == DEEP_OK && j < m; j++) {
        double v = strategy == DEEP_FILL_MEAN ? column_stats(reference, ref_values, j).mean
                                                : column_median(reference, ref_values, j, scratch);
        char label[96];
        if (isnan(v))
            status = DEEP_FAIL(DEEP_ERR_NUMERIC, "%s of the %s has no value to take the %s of",
                               column_label(reference, j, label, sizeof label),
                               reference == dataset ? "dataset" : "reference",
                               strategy == DEEP_FILL_MEAN ? "mean" : "median");
        else
            fill[j] = (float)v;
    }
    for (int64_t i = 0; status == DEEP_OK && dataset->bytes == NULL && i < dataset->count * m; i++)
        if (isnan(dataset->features[i]))
            dataset->features[i] = fill[i % m];
    free(fill);
    free(scratch);
    return status;
}

/* Replaces d's contents with those of a new dataset built from it. */
static void replace(deep_dataset *d, deep_dataset *fresh)
{
    deep_dataset old = *d;
    *d = *fresh;
    *fresh = old;
    deep_dataset_free(fresh);
}

deep_status deep_dataset_drop_missing(deep_dataset *dataset)
{
    DEEP_REQUIRE(dataset);
    if (dataset->bytes != NULL)
        return DEEP_OK; /* bytes are never missing */
    int64_t *keep = deep_alloc(dataset->count, sizeof *keep), kept = 0;
    if (keep == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld indices", (long long)dataset->count);
    for (int64_t i = 0; i < dataset->count; i++) {
        const float *row = dataset->features + i * dataset->sample_size;
        int64_t j = 0;
        while (j < dataset->sample_size && !isnan(row[j]))
            j++;
        if (j == dataset->sample_size)
            keep[kept++] = i;
    }
    deep_status status = DEEP_OK;
    deep_dataset *fresh = NULL;
    if (kept == 0)
        status = DEEP_FAIL(DEEP_ERR_NUMERIC, "every one of the %lld samples has a missing value; none would be left",
                           (long long)dataset->count);
    else if (kept < dataset->count && (status = deep_dataset_gather(__func__, dataset, keep, kept, &fresh)) == DEEP_OK)
        replace(dataset, fresh);
    free(keep);
    return status;
}

static bool same_names(char *const *a, char *const *b, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

/* The class names of a and b merged into one sorted list (both are sorted, see
 * dataset.h) in *merged, and the ids of a's and b's classes in it in remap_a and remap_b
 * (a->num_classes and b->num_classes entries). */
static deep_status merge_classes(const char *caller, const deep_dataset *a, const deep_dataset *b,
                                 char ***merged, int32_t *count, int32_t *remap_a, int32_t *remap_b)
{
    char **all = deep_alloc((int64_t)a->num_classes + b->num_classes, sizeof *all);
    if (all == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the class names");
    int32_t i = 0, j = 0;
    int64_t n = 0;
    while (i < a->num_classes || j < b->num_classes) {
        int order = i == a->num_classes ? 1 : j == b->num_classes ? -1
                                                                  : strcmp(a->class_names[i], b->class_names[j]);
        all[n] = order <= 0 ? a->class_names[i] : b->class_names[j];
        if (order <= 0)
            remap_a[i++] = (int32_t)n;
        if (order >= 0)
            remap_b[j++] = (int32_t)n;
        n++;
    }
    if (n > INT32_MAX) {
        free(all);
        return deep_error_set(DEEP_ERR_OVERFLOW, caller, "%lld classes in all do not fit in an int32_t class id",
                              (long long)n);
    }
    *merged = deep_names_copy(all, n);
    *count = (int32_t)n;
    free(all);
    return *merged ? DEEP_OK : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the class names");
}

deep_status deep_dataset_use_classes(deep_dataset *dataset, const deep_dataset *reference)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(reference);
    if (dataset->class_names == NULL || reference->class_names == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "the %s has no class names (only string labels loaded from CSV have them)",
                         dataset->class_names == NULL ? "dataset" : "reference");
    /* Everything is computed before anything changes, so a failure leaves the dataset as it was. */
    int32_t *map = deep_alloc(dataset->num_classes, sizeof *map);
    int32_t *labels = deep_alloc(dataset->count, sizeof *labels);
    char **names = deep_names_copy(reference->class_names, reference->num_classes);
    deep_status status = DEEP_OK;
    if (map == NULL || labels == NULL || names == NULL)
        status = DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld labels", (long long)dataset->count);
    for (int32_t c = 0; status == DEEP_OK && c < dataset->num_classes; c++) {
        char **found = bsearch(&dataset->class_names[c], reference->class_names, (size_t)reference->num_classes,
                               sizeof *reference->class_names, deep_compare_names);
        map[c] = found ? (int32_t)(found - reference->class_names) : -1;
    }
    for (int64_t i = 0; status == DEEP_OK && i < dataset->count; i++) {
        labels[i] = map[dataset->labels[i]];
        if (labels[i] < 0)
            status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "class '%s' of sample %lld is not one of the reference's "
                               "%d classes", dataset->class_names[dataset->labels[i]], (long long)i,
                               (int)reference->num_classes);
    }
    if (status == DEEP_OK) {
        free(dataset->labels);
        free(dataset->class_names);
        dataset->labels = labels;
        dataset->class_names = names;
        dataset->num_classes = reference->num_classes;
        labels = NULL;
        names = NULL;
    }
    free(map);
    free(labels);
    free(names);
    return status;
}

/* Checks that b's samples can follow a's. */
static deep_status check_concat(const char *caller, const deep_dataset *a, const deep_dataset *b)
{
    char sa[160], sb[160];
    if (a->sample_rank != b->sample_rank ||
        memcmp(a->sample_shape, b->sample_shape, (size_t)a->sample_rank * sizeof *a->sample_shape) != 0)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "samples of shape %s cannot be joined with samples of shape %s",
                              deep_shape_format(sa, sizeof sa, a->sample_rank, a->sample_shape),
                              deep_shape_format(sb, sizeof sb, b->sample_rank, b->sample_shape));
    if (a->column_names && b->column_names && !same_names(a->column_names, b->column_names, a->sample_size))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the datasets have different column names");
    for (int64_t j = 0; j < a->sample_size; j++) {
        bool ca = deep_column_is_categorical(a, j), cb = deep_column_is_categorical(b, j);
        if (ca != cb || (ca && (a->category_counts[j] != b->category_counts[j] ||
                                !same_names(a->categories[j], b->categories[j], a->category_counts[j]))))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "column %lld has different categories in a and "
                                  "b; encode b with a's (deep_dataset_encode) first", (long long)j);
    }
    if ((a->labels == NULL) != (b->labels == NULL))
        return deep_error_set(DEEP_ERR_STATE, caller, "%s has labels but %s has none", a->labels ? "a" : "b",
                              a->labels ? "b" : "a");
    if ((a->class_names == NULL) != (b->class_names == NULL))
        return deep_error_set(DEEP_ERR_STATE, caller, "%s has class names but %s has integer classes",
                              a->class_names ? "a" : "b", a->class_names ? "b" : "a");
    if ((a->sample_weights == NULL) != (b->sample_weights == NULL))
        return deep_error_set(DEEP_ERR_STATE, caller, "%s has sample weights but %s has none",
                              a->sample_weights ? "a" : "b", a->sample_weights ? "b" : "a");
    if (a->target_width != b->target_width)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "a has %lld targets per sample but b has %lld",
                              (long long)a->target_width, (long long)b->target_width);
    return DEEP_OK;
}

/* b's features into d from sample `at` on: as bytes when both keep the same bytes, else as
 * floats (d is new, so converting it loses nothing). */
static deep_status append_features(deep_dataset *d, int64_t at, const deep_dataset *b)
{
    int64_t m = d->sample_size;
    if (d->bytes && b->bytes && d->byte_scale == b->byte_scale && d->byte_shift == b->byte_shift) {
        memcpy(d->bytes + at * m, b->bytes, (size_t)(b->count * m));
        return DEEP_OK;
    }
    float *values;
    DEEP_TRY(deep_dataset_values_mut("deep_dataset_concat", d, &values));
    deep_dataset_read_samples(b, 0, b->count, values + at * m);
    return DEEP_OK;
}

deep_status deep_dataset_concat(const deep_dataset *a, const deep_dataset *b, deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(a);
    DEEP_REQUIRE(b);
    DEEP_TRY(check_concat(__func__, a, b));
    if (a->count > INT64_MAX - b->count)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW, "%lld + %lld samples overflow", (long long)a->count, (long long)b->count);
    /* a's rows gathered into a dataset of the joint size, then b's copied after them. */
    int64_t n = a->count + b->count;
    int64_t *order = deep_alloc(n, sizeof *order);
    /* a's and b's class ids in the merged class list, when classes have names. */
    int32_t *remap = a->class_names ? deep_alloc((int64_t)a->num_classes + b->num_classes, sizeof *remap) : NULL;
    int32_t *remap_b = remap ? remap + a->num_classes : NULL;
    deep_dataset *d = NULL;
    deep_status status = DEEP_OK;
    if (order == NULL || (a->class_names && remap == NULL))
        status = DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld indices", (long long)n);
    for (int64_t i = 0; status == DEEP_OK && i < n; i++)
        order[i] = i < a->count ? i : 0;
    if (status == DEEP_OK)
        status = deep_dataset_gather(__func__, a, order, n, &d);
    if (status == DEEP_OK && a->class_names) {
        char **merged;
        status = merge_classes(__func__, a, b, &merged, &d->num_classes, remap, remap_b);
        if (status == DEEP_OK) {
            free(d->class_names);
            d->class_names = merged;
            for (int64_t i = 0; i < a->count; i++)
                d->labels[i] = remap[d->labels[i]];
        }
    }
    int64_t m = a->sample_size, w = a->target_width;
    if (status == DEEP_OK)
        status = append_features(d, a->count, b);
    if (status == DEEP_OK) {
        if (w > 0)
            memcpy(d->targets + a->count * w, b->targets, (size_t)(b->count * w) * sizeof(float));
        for (int64_t i = 0; d->labels && i < b->count; i++)
            d->labels[a->count + i] = remap ? remap_b[b->labels[i]] : b->labels[i];
        if (d->sample_weights)
            memcpy(d->sample_weights + a->count, b->sample_weights, (size_t)b->count * sizeof(float));
        if (d->labels && !a->class_names && b->num_classes > d->num_classes)
            d->num_classes = b->num_classes;
        if (!d->column_names && b->column_names && (d->column_names = deep_names_copy(b->column_names, m)) == NULL)
            status = DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the column names");
    }
    free(order);
    free(remap);
    if (status != DEEP_OK)
        deep_dataset_free(d);
    else
        *out = d;
    return status;
}
