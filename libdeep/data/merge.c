/* pandas' merge: inner and left joins of two typed tables on key columns. Right's rows are
 * sorted by key once; each left row then finds its matches by binary search, so a join
 * costs O((n + m) log m) plus its output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

/* One key cell: a category name (NULL: missing) for a text key, else a number (NaN: missing). */
struct key {
    const char *text;
    double number;
    bool is_text;
};

/* A row and its keys; `keys` keys each, so that the comparator needs no outside context. */
struct row {
    int64_t index;
    int64_t keys;
    const struct key *key;
};

static int compare_keys(const struct row *a, const struct row *b)
{
    for (int64_t k = 0; k < a->keys; k++) {
        const struct key *x = &a->key[k], *y = &b->key[k];
        int order;
        if (x->is_text)
            order = x->text == NULL ? (y->text == NULL ? 0 : -1) : y->text == NULL ? 1 : strcmp(x->text, y->text);
        else if (isnan(x->number) || isnan(y->number))
            order = isnan(x->number) - isnan(y->number); /* missing last, and equal to missing */
        else
            order = (x->number > y->number) - (x->number < y->number);
        if (order != 0)
            return order;
    }
    return 0;
}

/* By key, then by row: equal keys keep right's order. */
static int by_key_then_row(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    int order = compare_keys(a, b);
    return order ? order : (a->index > b->index) - (a->index < b->index);
}

/* The keys of every row of d into key (count * n entries) and rows. */
static void read_keys(const deep_dataset *d, const float *values, const int64_t *cols, int64_t n, struct key *key,
                      struct row *rows)
{
    for (int64_t i = 0; i < d->count; i++) {
        for (int64_t k = 0; k < n; k++) {
            float v = values[i * d->sample_size + cols[k]];
            struct key *c = &key[i * n + k];
            c->is_text = deep_column_is_categorical(d, cols[k]);
            c->number = v;
            c->text = c->is_text && !isnan(v) ? d->categories[cols[k]][(int64_t)v] : NULL;
        }
        rows[i] = (struct row){i, n, key + i * n};
    }
}

/* The index of column `name` in d, or -1. */
static int64_t column_of(const deep_dataset *d, const char *name)
{
    for (int64_t j = 0; j < d->sample_size; j++)
        if (strcmp(d->column_names[j], name) == 0)
            return j;
    return -1;
}

static deep_status check_tables(const char *caller, const deep_dataset *left, const deep_dataset *right,
                                const char *const *on, int64_t n, int64_t *lcols, int64_t *rcols)
{
    for (int t = 0; t < 2; t++) {
        const deep_dataset *d = t ? right : left;
        if (d->column_names == NULL || d->sample_rank != 1)
            return deep_error_set(DEEP_ERR_STATE, caller, "the %s dataset is not a table with column names",
                                  t ? "right" : "left");
    }
    for (int64_t k = 0; k < n; k++) {
        if (on[k] == NULL)
            return deep_error_set(DEEP_ERR_NULL, caller, "on[%lld] is NULL", (long long)k);
        for (int64_t e = 0; e < k; e++)
            if (strcmp(on[e], on[k]) == 0)
                return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "key '%s' is named twice", on[k]);
        lcols[k] = column_of(left, on[k]);
        rcols[k] = column_of(right, on[k]);
        if (lcols[k] < 0 || rcols[k] < 0)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the %s table has no column '%s' to join on",
                                  lcols[k] < 0 ? "left" : "right", on[k]);
        if (deep_column_is_categorical(left, lcols[k]) != deep_column_is_categorical(right, rcols[k]))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "key '%s' is text in one table and numeric in "
                                  "the other", on[k]);
    }
    return DEEP_OK;
}

/* The matched (left row, right row or -1) pairs, in output order, into *pairs. */
static deep_status match(const char *caller, const deep_dataset *left, const float *lv, const int64_t *lcols,
                         const deep_dataset *right, const float *rv, const int64_t *rcols, int64_t n, deep_join how,
                         int64_t **pairs, int64_t *count)
{
    struct key *lkey = deep_alloc(left->count * n, sizeof *lkey), *rkey = deep_alloc(right->count * n, sizeof *rkey);
    struct row *lrows = deep_alloc(left->count, sizeof *lrows), *rrows = deep_alloc(right->count, sizeof *rrows);
    int64_t capacity = left->count, used = 0;
    int64_t *out = deep_alloc(2 * capacity, sizeof *out);
    deep_status status = DEEP_OK;
    if (!lkey || !rkey || !lrows || !rrows || !out)
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the keys of %lld rows",
                                (long long)(left->count + right->count));
    if (status == DEEP_OK) {
        read_keys(left, lv, lcols, n, lkey, lrows);
        read_keys(right, rv, rcols, n, rkey, rrows);
        qsort(rrows, (size_t)right->count, sizeof *rrows, by_key_then_row);
    }
    for (int64_t i = 0; status == DEEP_OK && i < left->count; i++) {
        int64_t lo = 0, hi = right->count; /* the first right row whose key is not below left row i's */
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (compare_keys(&rrows[mid], &lrows[i]) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        int64_t first = lo, last = lo;
        while (last < right->count && compare_keys(&rrows[last], &lrows[i]) == 0)
            last++;
        int64_t add = last > first ? last - first : how == DEEP_JOIN_LEFT;
        if (used + add > capacity) {
            int64_t grown = capacity;
            while (grown < used + add)
                grown *= 2;
            int64_t *bigger = grown <= INT64_MAX / 2 ? realloc(out, (size_t)grown * 2 * sizeof *out) : NULL;
            if (bigger == NULL) {
                status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld joined rows",
                                        (long long)(used + add));
                break;
            }
            out = bigger;
            capacity = grown;
        }
        for (int64_t r = first; r < last; r++, used++) {
            out[2 * used] = i;
            out[2 * used + 1] = rrows[r].index;
        }
        if (first == last && how == DEEP_JOIN_LEFT) {
            out[2 * used] = i;
            out[2 * used + 1] = -1;
            used++;
        }
    }
    free(lkey);
    free(rkey);
    free(lrows);
    free(rrows);
    if (status != DEEP_OK) {
        free(out);
        return status;
    }
    *pairs = out;
    *count = used;
    return DEEP_OK;
}

/* A name with a suffix, malloc'd. */
static char *suffixed(const char *name, const char *suffix)
{
    size_t n = strlen(name) + strlen(suffix) + 1;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s%s", name, suffix);
    return s;
}

static bool is_key(const int64_t *cols, int64_t n, int64_t j)
{
    for (int64_t k = 0; k < n; k++)
        if (cols[k] == j)
            return true;
    return false;
}

/* The joined table of `rows` pairs: left's columns, then right's non-key columns. */
static deep_status build(const char *caller, const deep_dataset *left, const float *lv, const deep_dataset *right,
                         const float *rv, const int64_t *rcols, const int64_t *lcols, int64_t n,
                         const int64_t *pairs, int64_t rows, const char *lsuffix, const char *rsuffix,
                         deep_dataset **out)
{
    int64_t columns = left->sample_size + right->sample_size - n;
    deep_dataset *d;
    DEEP_TRY(deep_dataset_create(caller, rows, 1, (int64_t[]){columns}, NULL, &d));
    char **names = deep_alloc_zero(columns, sizeof *names);
    bool ok = names != NULL;
    if (ok && left->labels && (ok = (d->labels = deep_alloc(rows, sizeof *d->labels)) != NULL))
        for (int64_t i = 0; i < rows; i++)
            d->labels[i] = left->labels[pairs[2 * i]];
    if (ok && left->targets && (ok = (d->targets = deep_alloc(rows * left->target_width, sizeof *d->targets)) != NULL))
        for (int64_t i = 0; i < rows; i++)
            memcpy(d->targets + i * left->target_width, left->targets + pairs[2 * i] * left->target_width,
                   (size_t)left->target_width * sizeof *d->targets);
    if (ok && left->sample_weights && (ok = (d->sample_weights = deep_alloc(rows, sizeof *d->sample_weights)) != NULL))
        for (int64_t i = 0; i < rows; i++)
            d->sample_weights[i] = left->sample_weights[pairs[2 * i]];
    if (ok && left->class_names)
        ok = (d->class_names = deep_names_copy(left->class_names, left->num_classes)) != NULL;
    if (ok && left->label_name)
        ok = (d->label_name = strdup(left->label_name)) != NULL;
    d->num_classes = left->num_classes;
    d->target_width = left->target_width;
    /* Values and names, column by column; a name clash besides the keys takes the suffixes. */
    int64_t k = 0;
    for (int t = 0; ok && t < 2; t++) {
        const deep_dataset *src = t ? right : left, *other = t ? left : right;
        const float *v = t ? rv : lv;
        for (int64_t j = 0; ok && j < src->sample_size; k += !(t && is_key(rcols, n, j)), j++) {
            if (t && is_key(rcols, n, j))
                continue;
            int64_t clash = is_key(t ? rcols : lcols, n, j) ? -1 : column_of(other, src->column_names[j]);
            if (clash >= 0 && is_key(t ? lcols : rcols, n, clash))
                clash = -1;
            ok = (names[k] = clash >= 0 ? suffixed(src->column_names[j], t ? rsuffix : lsuffix)
                                        : strdup(src->column_names[j])) != NULL;
            if (ok && deep_column_is_categorical(src, j))
                ok = deep_categories_set(d, k, src->categories[j], src->category_counts[j]);
            for (int64_t i = 0; ok && i < rows; i++) {
                int64_t r = pairs[2 * i + t];
                d->features[i * columns + k] = r < 0 ? NAN : v[r * src->sample_size + j];
            }
        }
    }
    if (ok)
        ok = (d->column_names = deep_names_copy(names, columns)) != NULL;
    for (int64_t j = 0; names && j < columns; j++)
        free(names[j]);
    free(names);
    if (!ok) {
        deep_dataset_free(d);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for a joined table of %lld rows",
                              (long long)rows);
    }
    *out = d;
    return DEEP_OK;
}

deep_status deep_dataset_merge(const deep_dataset *left, const deep_dataset *right, const char *const *on,
                               int64_t on_count, deep_join how, const char *left_suffix, const char *right_suffix,
                               deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(left);
    DEEP_REQUIRE(right);
    DEEP_REQUIRE(on);
    if (how != DEEP_JOIN_INNER && how != DEEP_JOIN_LEFT)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown join %d; use DEEP_JOIN_INNER or DEEP_JOIN_LEFT", (int)how);
    if (on_count < 1 || on_count > left->sample_size || on_count > right->sample_size)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "on_count is %lld; join on 1 to %lld key columns",
                         (long long)on_count,
                         (long long)(left->sample_size < right->sample_size ? left->sample_size : right->sample_size));
    int64_t *cols = deep_alloc(2 * on_count, sizeof *cols), *pairs = NULL, rows = 0;
    if (cols == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld key columns", (long long)on_count);
    const float *lv = NULL, *rv = NULL;
    deep_status status = check_tables(__func__, left, right, on, on_count, cols, cols + on_count);
    if (status == DEEP_OK)
        status = deep_dataset_values(__func__, left, &lv);
    if (status == DEEP_OK)
        status = deep_dataset_values(__func__, right, &rv);
    if (status == DEEP_OK)
        status = match(__func__, left, lv, cols, right, rv, cols + on_count, on_count, how, &pairs, &rows);
    if (status == DEEP_OK && rows == 0)
        status = DEEP_FAIL(DEEP_ERR_SHAPE, "no row of left matches a row of right: the join is empty");
    if (status == DEEP_OK)
        status = build(__func__, left, lv, right, rv, cols + on_count, cols, on_count, pairs, rows,
                       left_suffix ? left_suffix : "_x", right_suffix ? right_suffix : "_y", out);
    free(cols);
    free(pairs);
    return status;
}
