/* Columns of typed tables by name (pandas df[[...]], drop, rename, value_counts) and the
 * categories of their text columns. Every result is a new dataset built column by column
 * by deep_table_build, which encode.c shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

static deep_status need_names(const char *caller, const deep_dataset *d)
{
    if (d->column_names == NULL)
        return deep_error_set(DEEP_ERR_STATE, caller, "the dataset has no column names (only tables loaded from "
                              "CSV or SQLite have them)");
    if (d->sample_rank != 1)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "samples have rank %d; columns need samples of rank 1",
                              (int)d->sample_rank);
    return DEEP_OK;
}

/* The first column named `name`, or -1. */
static int64_t find_column(const deep_dataset *d, const char *name)
{
    for (int64_t j = 0; j < d->sample_size; j++)
        if (strcmp(d->column_names[j], name) == 0)
            return j;
    return -1;
}

static deep_status unknown_column(const char *caller, const char *name)
{
    return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the dataset has no column '%s'", name);
}

static deep_status check_column(const char *caller, const deep_dataset *d, int64_t column)
{
    if (column < 0 || column >= d->sample_size)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "column %lld is outside 0..%lld", (long long)column,
                              (long long)d->sample_size - 1);
    return DEEP_OK;
}

deep_status deep_dataset_column_index(const deep_dataset *dataset, const char *name, int64_t *column)
{
    DEEP_REQUIRE(column);
    *column = -1;
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(name);
    DEEP_TRY(need_names(__func__, dataset));
    if ((*column = find_column(dataset, name)) < 0)
        return unknown_column(__func__, name);
    return DEEP_OK;
}

deep_status deep_dataset_category_count(const deep_dataset *dataset, int64_t column, int64_t *count)
{
    DEEP_REQUIRE(count);
    *count = 0;
    DEEP_REQUIRE(dataset);
    DEEP_TRY(check_column(__func__, dataset, column));
    *count = deep_column_is_categorical(dataset, column) ? dataset->category_counts[column] : 0;
    return DEEP_OK;
}

deep_status deep_dataset_category_name(const deep_dataset *dataset, int64_t column, int64_t category, char *buffer,
                                       int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed));
    DEEP_REQUIRE(dataset);
    DEEP_TRY(check_column(__func__, dataset, column));
    if (!deep_column_is_categorical(dataset, column))
        return DEEP_FAIL(DEEP_ERR_STATE, "column %lld is numeric; it has no categories", (long long)column);
    if (category < 0 || category >= dataset->category_counts[column])
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "category %lld is outside 0..%lld of column %lld",
                         (long long)category, (long long)dataset->category_counts[column] - 1, (long long)column);
    return deep_output_text(__func__, "the category name", buffer, capacity, needed,
                            dataset->categories[column][category]);
}

deep_status deep_table_build(const char *caller, const deep_dataset *src, int64_t columns, deep_dataset **out)
{
    *out = NULL;
    deep_dataset *d;
    int64_t total;
    if (!deep_mul_i64(src->count, columns, &total))
        return deep_error_set(DEEP_ERR_OVERFLOW, caller, "%lld samples of %lld columns overflow",
                              (long long)src->count, (long long)columns);
    DEEP_TRY(deep_dataset_create(caller, src->count, 1, (int64_t[]){columns}, NULL, &d));
    bool ok = (d->column_names = deep_alloc_zero(columns, sizeof *d->column_names)) != NULL;
    if (ok && src->labels && (ok = (d->labels = deep_alloc(src->count, sizeof *d->labels)) != NULL))
        memcpy(d->labels, src->labels, (size_t)src->count * sizeof *d->labels);
    if (ok && src->targets) {
        ok = (d->targets = deep_alloc(src->count * src->target_width, sizeof *d->targets)) != NULL;
        if (ok)
            memcpy(d->targets, src->targets, (size_t)(src->count * src->target_width) * sizeof *d->targets);
    }
    if (ok && src->sample_weights &&
        (ok = (d->sample_weights = deep_alloc(src->count, sizeof *d->sample_weights)) != NULL))
        memcpy(d->sample_weights, src->sample_weights, (size_t)src->count * sizeof *d->sample_weights);
    if (ok && src->class_names)
        ok = (d->class_names = deep_names_copy(src->class_names, src->num_classes)) != NULL;
    if (ok && src->label_name)
        ok = (d->label_name = strdup(src->label_name)) != NULL;
    if (!ok) {
        deep_dataset_free(d);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for a table of %lld columns",
                              (long long)columns);
    }
    d->num_classes = src->num_classes;
    d->target_width = src->target_width;
    *out = d;
    return DEEP_OK;
}

deep_status deep_table_finish_names(const char *caller, deep_dataset *d, char *const *names)
{
    char **block = deep_names_copy(names, d->sample_size);
    if (block == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the column names");
    free(d->column_names);
    d->column_names = block;
    return DEEP_OK;
}

/* A new table of src's columns cols[0..n-1]. */
static deep_status take_columns(const char *caller, const deep_dataset *src, const int64_t *cols, int64_t n,
                                deep_dataset **out)
{
    const float *values;
    DEEP_TRY(deep_dataset_values(caller, src, &values));
    deep_dataset *d;
    DEEP_TRY(deep_table_build(caller, src, n, &d));
    for (int64_t i = 0; i < src->count; i++)
        for (int64_t k = 0; k < n; k++)
            d->features[i * n + k] = values[i * src->sample_size + cols[k]];
    deep_status status = DEEP_OK;
    for (int64_t k = 0; k < n; k++) {
        d->column_names[k] = src->column_names[cols[k]];
        if (deep_column_is_categorical(src, cols[k]) &&
            !deep_categories_set(d, k, src->categories[cols[k]], src->category_counts[cols[k]]))
            status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the category names");
    }
    if (status == DEEP_OK)
        status = deep_table_finish_names(caller, d, d->column_names);
    if (status != DEEP_OK) {
        free(d->column_names); /* borrowed pointers, not a block of its own */
        d->column_names = NULL;
        deep_dataset_free(d);
        return status;
    }
    *out = d;
    return DEEP_OK;
}

/* Checks names[0..count-1] and finds their columns into cols (count entries). */
static deep_status find_columns(const char *caller, const deep_dataset *d, const char *const *names, int64_t count,
                                int64_t **cols)
{
    *cols = NULL;
    if (d == NULL || names == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument '%s' is NULL", d == NULL ? "dataset" : "names");
    DEEP_TRY(need_names(caller, d));
    if (count < 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "count is %lld; name at least one column",
                              (long long)count);
    int64_t *found = deep_alloc(count, sizeof *found);
    if (found == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld column indices", (long long)count);
    for (int64_t k = 0; k < count; k++) {
        if (names[k] == NULL || (found[k] = find_column(d, names[k])) < 0) {
            free(found);
            return names[k] == NULL ? deep_error_set(DEEP_ERR_NULL, caller, "names[%lld] is NULL", (long long)k)
                                    : unknown_column(caller, names[k]);
        }
    }
    *cols = found;
    return DEEP_OK;
}

deep_status deep_dataset_select_columns(const deep_dataset *dataset, const char *const *names, int64_t count,
                                        deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    int64_t *cols;
    DEEP_TRY(find_columns(__func__, dataset, names, count, &cols));
    deep_status status = take_columns(__func__, dataset, cols, count, out);
    free(cols);
    return status;
}

deep_status deep_dataset_drop_columns(const deep_dataset *dataset, const char *const *names, int64_t count,
                                      deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    int64_t *cols;
    DEEP_TRY(find_columns(__func__, dataset, names, count, &cols));
    /* Every column of a dropped name goes, as pandas drops all columns of a label. */
    int64_t *keep = deep_alloc(dataset->sample_size, sizeof *keep), kept = 0;
    for (int64_t j = 0; keep && j < dataset->sample_size; j++) {
        bool dropped = false;
        for (int64_t k = 0; k < count && !dropped; k++)
            dropped = strcmp(dataset->column_names[j], names[k]) == 0;
        if (!dropped)
            keep[kept++] = j;
    }
    deep_status status = DEEP_OK;
    if (keep == NULL)
        status = DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld column indices", (long long)dataset->sample_size);
    else if (kept == 0)
        status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "dropping every one of the %lld columns leaves no feature",
                           (long long)dataset->sample_size);
    else
        status = take_columns(__func__, dataset, keep, kept, out);
    free(keep);
    free(cols);
    return status;
}

deep_status deep_dataset_rename_column(deep_dataset *dataset, const char *name, const char *new_name)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(name);
    DEEP_REQUIRE(new_name);
    DEEP_TRY(need_names(__func__, dataset));
    int64_t j = find_column(dataset, name);
    if (j < 0 && (dataset->label_name == NULL || strcmp(dataset->label_name, name) != 0))
        return unknown_column(__func__, name);
    if (j < 0) {
        char *label = strdup(new_name);
        if (label == NULL)
            return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for a column name");
        free(dataset->label_name);
        dataset->label_name = label;
        return DEEP_OK;
    }
    char **names = deep_alloc(dataset->sample_size, sizeof *names);
    if (names == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the column names");
    memcpy(names, dataset->column_names, (size_t)dataset->sample_size * sizeof *names);
    names[j] = (char *)new_name;
    char **block = deep_names_copy(names, dataset->sample_size);
    free(names);
    if (block == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the column names");
    free(dataset->column_names);
    dataset->column_names = block;
    return DEEP_OK;
}

struct tally {
    float value;
    int64_t first; /* the first sample holding it */
    int64_t count;
};

/* By value, then by sample, so that the first of each run of equal values is its first sample. */
static int by_value_then_sample(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

/* Most frequent first; ties in order of first appearance, as pandas' stable sort leaves them. */
static int by_count(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return (x->first > y->first) - (x->first < y->first);
}

deep_status deep_dataset_value_counts(const deep_dataset *dataset, int64_t column, double *values,
                                      int64_t values_capacity, int64_t *values_needed, int64_t *counts,
                                      int64_t counts_capacity, int64_t *counts_needed)
{
    DEEP_TRY(deep_output_args(__func__, values, values_capacity, values_needed));
    DEEP_TRY(deep_output_args(__func__, counts, counts_capacity, counts_needed));
    DEEP_REQUIRE(dataset);
    DEEP_TRY(check_column(__func__, dataset, column));
    const float *all;
    DEEP_TRY(deep_dataset_values(__func__, dataset, &all));
    /* Sorting the present values makes equal ones adjacent; their runs are the tallies. */
    struct tally *sorted = deep_alloc(dataset->count, sizeof *sorted);
    struct tally *tally = deep_alloc(dataset->count, sizeof *tally);
    if (sorted == NULL || tally == NULL) {
        free(sorted);
        free(tally);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld values", (long long)dataset->count);
    }
    int64_t n = 0, distinct = 0;
    for (int64_t i = 0; i < dataset->count; i++)
        if (!isnan(all[i * dataset->sample_size + column]))
            sorted[n++] = (struct tally){all[i * dataset->sample_size + column], i, 1};
    qsort(sorted, (size_t)n, sizeof *sorted, by_value_then_sample);
    for (int64_t i = 0; i < n; i++) {
        if (distinct > 0 && sorted[i].value == tally[distinct - 1].value)
            tally[distinct - 1].count++;
        else
            tally[distinct++] = sorted[i];
    }
    qsort(tally, (size_t)distinct, sizeof *tally, by_count);
    *values_needed = *counts_needed = distinct;
    deep_status status = DEEP_OK;
    if (values_capacity != 0 || counts_capacity != 0) {
        if (values_capacity < distinct || counts_capacity < distinct)
            status = DEEP_FAIL(DEEP_ERR_BUFFER_TOO_SMALL, "column %lld has %lld distinct values but the capacities "
                               "are %lld and %lld", (long long)column, (long long)distinct,
                               (long long)values_capacity, (long long)counts_capacity);
        for (int64_t k = 0; status == DEEP_OK && k < distinct; k++) {
            values[k] = tally[k].value;
            counts[k] = tally[k].count;
        }
    }
    free(sorted);
    free(tally);
    return status;
}
