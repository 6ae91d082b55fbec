/* Encoding the categorical columns of a typed table: one-hot as pandas get_dummies names
 * and orders the columns, ordinal as scikit-learn's OrdinalEncoder, with the categories of
 * a reference table (fit on train, apply to test). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

/* Checks that ref can encode d: same columns by name and kind. */
static deep_status check_reference(const char *caller, const deep_dataset *d, const deep_dataset *ref)
{
    if (d->column_names == NULL || ref->column_names == NULL)
        return deep_error_set(DEEP_ERR_STATE, caller, "the %s has no column names", d->column_names ? "reference"
                                                                                                   : "dataset");
    if (ref->sample_size != d->sample_size)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "the reference has %lld columns but the dataset has %lld",
                              (long long)ref->sample_size, (long long)d->sample_size);
    for (int64_t j = 0; j < d->sample_size; j++) {
        if (strcmp(d->column_names[j], ref->column_names[j]) != 0)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "column %lld is '%s' in the dataset but '%s' "
                                  "in the reference", (long long)j, d->column_names[j], ref->column_names[j]);
        if (deep_column_is_categorical(d, j) != deep_column_is_categorical(ref, j))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "column %lld (%s) is %s in the dataset but %s "
                                  "in the reference", (long long)j, d->column_names[j],
                                  deep_column_is_categorical(d, j) ? "text" : "numeric",
                                  deep_column_is_categorical(ref, j) ? "text" : "numeric");
    }
    return DEEP_OK;
}

/* map[j][c]: the reference's id of d's category c of column j, or -1 when it has none. */
static deep_status category_maps(const char *caller, const deep_dataset *d, const deep_dataset *ref, int32_t ***maps)
{
    int32_t **m = deep_alloc_zero(d->sample_size, sizeof *m);
    if (m == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the category maps");
    *maps = m;
    for (int64_t j = 0; j < d->sample_size; j++) {
        if (!deep_column_is_categorical(d, j))
            continue;
        if ((m[j] = deep_alloc(d->category_counts[j], sizeof *m[j])) == NULL)
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the category maps");
        for (int64_t c = 0; c < d->category_counts[j]; c++) {
            char **found = bsearch(&d->categories[j][c], ref->categories[j], (size_t)ref->category_counts[j],
                                   sizeof(char *), deep_compare_names);
            m[j][c] = found ? (int32_t)(found - ref->categories[j]) : -1;
        }
    }
    return DEEP_OK;
}

/* The reference's id of sample i's value in column j (-1: missing or ignored unknown). */
static int64_t ref_id(const deep_dataset *d, const float *values, int32_t **maps, int64_t i, int64_t j)
{
    float v = values[i * d->sample_size + j];
    return isnan(v) ? -1 : maps[j][(int64_t)v];
}

static deep_status check_unknown(const char *caller, const deep_dataset *d, const float *values, int32_t **maps)
{
    for (int64_t i = 0; i < d->count; i++)
        for (int64_t j = 0; j < d->sample_size; j++)
            if (maps[j] && !isnan(values[i * d->sample_size + j]) && ref_id(d, values, maps, i, j) < 0)
                return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "column '%s' of sample %lld holds '%s', "
                                      "a category the reference does not have (ignore_unknown 1 encodes it as "
                                      "missing)", d->column_names[j], (long long)i,
                                      d->categories[j][(int64_t)values[i * d->sample_size + j]]);
    return DEEP_OK;
}

static deep_status ordinal(const char *caller, const deep_dataset *d, const float *values, int32_t **maps,
                           deep_dataset **out)
{
    deep_dataset *e;
    DEEP_TRY(deep_table_build(caller, d, d->sample_size, &e));
    for (int64_t i = 0; i < d->count; i++)
        for (int64_t j = 0; j < d->sample_size; j++) {
            int64_t id = maps[j] ? ref_id(d, values, maps, i, j) : 0;
            e->features[i * d->sample_size + j] = maps[j] == NULL ? values[i * d->sample_size + j]
                                                  : id < 0         ? NAN
                                                                   : (float)id;
        }
    free(e->column_names);
    e->column_names = NULL;
    deep_status status = deep_table_finish_names(caller, e, d->column_names);
    if (status != DEEP_OK) {
        deep_dataset_free(e);
        return status;
    }
    *out = e;
    return DEEP_OK;
}

static deep_status one_hot(const char *caller, const deep_dataset *d, const deep_dataset *ref, const float *values,
                           int32_t **maps, deep_dataset **out)
{
    int64_t columns = 0;
    for (int64_t j = 0; j < d->sample_size; j++)
        columns += maps[j] ? ref->category_counts[j] : 1;
    if (columns == 0)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "the encoding has no column: every column is text without "
                              "a category");
    deep_dataset *e;
    DEEP_TRY(deep_table_build(caller, d, columns, &e));
    /* The dummy names are made here; the numeric columns' are borrowed from d. */
    char **made = deep_alloc_zero(columns, sizeof *made);
    deep_status status = made ? DEEP_OK : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for names");
    int64_t k = 0;
    for (int64_t j = 0; status == DEEP_OK && j < d->sample_size; j++)
        if (!maps[j]) {
            e->column_names[k] = d->column_names[j];
            for (int64_t i = 0; i < d->count; i++)
                e->features[i * columns + k] = values[i * d->sample_size + j];
            k++;
        }
    for (int64_t j = 0; status == DEEP_OK && j < d->sample_size; j++) {
        if (!maps[j])
            continue;
        for (int64_t c = 0; status == DEEP_OK && c < ref->category_counts[j]; c++) {
            size_t n = strlen(d->column_names[j]) + strlen(ref->categories[j][c]) + 2;
            if ((made[k + c] = malloc(n)) == NULL)
                status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for names");
            else
                snprintf(made[k + c], n, "%s_%s", d->column_names[j], ref->categories[j][c]);
            e->column_names[k + c] = made[k + c];
        }
        for (int64_t i = 0; status == DEEP_OK && i < d->count; i++) {
            int64_t id = ref_id(d, values, maps, i, j);
            for (int64_t c = 0; c < ref->category_counts[j]; c++)
                e->features[i * columns + k + c] = c == id ? 1.0f : 0.0f;
        }
        k += ref->category_counts[j];
    }
    if (status == DEEP_OK)
        status = deep_table_finish_names(caller, e, e->column_names);
    for (int64_t c = 0; made && c < columns; c++)
        free(made[c]);
    free(made);
    if (status != DEEP_OK) {
        free(e->column_names);
        e->column_names = NULL;
        deep_dataset_free(e);
        return status;
    }
    *out = e;
    return DEEP_OK;
}

deep_status deep_dataset_encode(const deep_dataset *dataset, const deep_dataset *reference, deep_encoding encoding,
                                int32_t ignore_unknown, deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(dataset);
    if (encoding != DEEP_ENCODE_ONE_HOT && encoding != DEEP_ENCODE_ORDINAL)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown encoding %d; use DEEP_ENCODE_ONE_HOT or "
                         "DEEP_ENCODE_ORDINAL", (int)encoding);
    if (ignore_unknown != 0 && ignore_unknown != 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "ignore_unknown is %d; it is a 0/1 flag", (int)ignore_unknown);
    const deep_dataset *ref = reference ? reference : dataset;
    if (ref != dataset)
        DEEP_TRY(check_reference(__func__, dataset, ref));
    if (!deep_dataset_has_categories(dataset)) {
        int64_t *all = deep_alloc(dataset->count, sizeof *all);
        if (all == NULL)
            return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld indices", (long long)dataset->count);
        for (int64_t i = 0; i < dataset->count; i++)
            all[i] = i;
        deep_status status = deep_dataset_gather(__func__, dataset, all, dataset->count, out);
        free(all);
        return status;
    }
    const float *values;
    DEEP_TRY(deep_dataset_values(__func__, dataset, &values));
    int32_t **maps = NULL;
    deep_status status = category_maps(__func__, dataset, ref, &maps);
    if (status == DEEP_OK && !ignore_unknown)
        status = check_unknown(__func__, dataset, values, maps);
    if (status == DEEP_OK)
        status = encoding == DEEP_ENCODE_ONE_HOT ? one_hot(__func__, dataset, ref, values, maps, out)
                                                 : ordinal(__func__, dataset, values, maps, out);
    for (int64_t j = 0; maps && j < dataset->sample_size; j++)
        free(maps[j]);
    free(maps);
    return status;
}
