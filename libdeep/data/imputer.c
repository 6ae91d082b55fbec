/* scikit-learn's SimpleImputer with a strategy per column: fit computes one fill value per
 * column of a table (a category name for a text column, so that another table, whose ids
 * differ, gets the same category), transform writes them into the missing cells. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

/* What scikit-learn fills a text column with when the constant has no value of its own. */
#define DEFAULT_TEXT "missing_value"

struct rule {
    char *column; /* NULL for the default rule */
    deep_fill strategy;
    double value;
    char *text;
};

/* One fit: `columns` fill values, with names when the table had them. */
struct fit {
    int64_t columns;
    char **names;  /* deep_names_copy block, or NULL */
    double *value; /* NaN for a text column */
    char **text;   /* per column, NULL for a numeric one (each its own allocation) */
};

struct deep_imputer {
    struct rule fallback;
    struct rule *rules;
    int64_t rule_count;
    struct fit fit; /* columns 0 before the first fit */
};

static void fit_clear(struct fit *f)
{
    for (int64_t j = 0; f->text && j < f->columns; j++)
        free(f->text[j]);
    free(f->text);
    free(f->names);
    free(f->value);
    *f = (struct fit){0};
}

static deep_status check_strategy(const char *caller, deep_fill strategy, double value)
{
    if (strategy != DEEP_FILL_MEAN && strategy != DEEP_FILL_MEDIAN && strategy != DEEP_FILL_MOST_FREQUENT &&
        strategy != DEEP_FILL_CONSTANT)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown strategy %d; use DEEP_FILL_MEAN, "
                              "DEEP_FILL_MEDIAN, DEEP_FILL_MOST_FREQUENT or DEEP_FILL_CONSTANT", (int)strategy);
    /* A float feature must be able to hold the constant. */
    if (strategy == DEEP_FILL_CONSTANT && !(fabs(value) <= 3.4028234663852886e38))
        return deep_error_set(DEEP_ERR_NUMERIC, caller, "the constant %g is not a finite float", value);
    return DEEP_OK;
}

deep_status deep_imputer_new(deep_fill strategy, double fill_value, deep_imputer **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_TRY(check_strategy(__func__, strategy, fill_value));
    deep_imputer *imp = calloc(1, sizeof *imp);
    if (imp == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for an imputer");
    imp->fallback = (struct rule){NULL, strategy, fill_value, NULL};
    *out = imp;
    return DEEP_OK;
}

void deep_imputer_free(deep_imputer *imputer)
{
    if (imputer == NULL)
        return;
    for (int64_t r = 0; r < imputer->rule_count; r++) {
        free(imputer->rules[r].column);
        free(imputer->rules[r].text);
    }
    free(imputer->rules);
    fit_clear(&imputer->fit);
    free(imputer);
}

deep_status deep_imputer_set_column(deep_imputer *imputer, const char *column, deep_fill strategy,
                                    double fill_value, const char *fill_text)
{
    DEEP_REQUIRE(imputer);
    DEEP_REQUIRE(column);
    DEEP_TRY(check_strategy(__func__, strategy, fill_value));
    char *name = strdup(column), *text = fill_text ? strdup(fill_text) : NULL;
    int64_t r = 0;
    while (r < imputer->rule_count && strcmp(imputer->rules[r].column, column) != 0)
        r++;
    if (r == imputer->rule_count) {
        /* The grown array is kept even if a copy below fails: rule_count tells what is used. */
        struct rule *grown = realloc(imputer->rules, (size_t)(r + 1) * sizeof *grown);
        if (grown != NULL)
            imputer->rules = grown;
        else
            name = (free(name), NULL);
    }
    struct rule *rules = imputer->rules;
    if (name == NULL || (fill_text && text == NULL)) {
        free(name);
        free(text);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the rule of column '%s'", column);
    }
    if (r == imputer->rule_count)
        imputer->rule_count++;
    else {
        free(rules[r].column);
        free(rules[r].text);
    }
    rules[r] = (struct rule){name, strategy, fill_value, text};
    return DEEP_OK;
}

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The statistic of the n sorted present values v (n >= 1). */
static double statistic(deep_fill strategy, const float *v, int64_t n)
{
    if (strategy == DEEP_FILL_MEAN) {
        double sum = 0.0;
        for (int64_t i = 0; i < n; i++)
            sum += v[i];
        return sum / (double)n;
    }
    if (strategy == DEEP_FILL_MEDIAN)
        return n % 2 ? v[n / 2] : ((double)v[n / 2 - 1] + v[n / 2]) / 2.0;
    /* Most frequent: the longest run of the sorted values, the first (smallest) on ties. */
    double best = v[0];
    for (int64_t i = 0, longest = 0; i < n;) {
        int64_t j = i;
        while (j < n && v[j] == v[i])
            j++;
        if (j - i > longest) {
            longest = j - i;
            best = v[i];
        }
        i = j;
    }
    return best;
}

/* The rule of column j of d. */
static const struct rule *rule_of(const deep_imputer *imp, const deep_dataset *d, int64_t j)
{
    for (int64_t r = 0; d->column_names && r < imp->rule_count; r++)
        if (strcmp(imp->rules[r].column, d->column_names[j]) == 0)
            return &imp->rules[r];
    return &imp->fallback;
}

static const char *strategy_name(deep_fill s)
{
    return s == DEEP_FILL_MEAN ? "mean" : s == DEEP_FILL_MEDIAN ? "median" : s == DEEP_FILL_MOST_FREQUENT
                                                                              ? "most frequent value"
                                                                              : "constant";
}

/* Fits column j of d into f, using scratch (d->count floats). */
static deep_status fit_column(const deep_imputer *imp, const deep_dataset *d, const float *values, int64_t j,
                              float *scratch, struct fit *f)
{
    const char *caller = "deep_imputer_fit";
    const struct rule *rule = rule_of(imp, d, j);
    char label[96];
    snprintf(label, sizeof label, "column %lld%s%s%s", (long long)j, d->column_names ? " (" : "",
             d->column_names ? d->column_names[j] : "", d->column_names ? ")" : "");
    bool text = deep_column_is_categorical(d, j);
    f->value[j] = NAN;
    if (rule->strategy == DEEP_FILL_CONSTANT) {
        if (!text) {
            f->value[j] = rule->value;
            return DEEP_OK;
        }
        f->text[j] = strdup(rule->text ? rule->text : DEFAULT_TEXT);
        return f->text[j] ? DEEP_OK : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    }
    if (text && rule->strategy != DEEP_FILL_MOST_FREQUENT)
        return deep_error_set(DEEP_ERR_STATE, caller, "%s holds text categories; it has no %s (use "
                              "DEEP_FILL_MOST_FREQUENT or DEEP_FILL_CONSTANT)", label, strategy_name(rule->strategy));
    int64_t n = 0;
    for (int64_t i = 0; i < d->count; i++)
        if (!isnan(values[i * d->sample_size + j]))
            scratch[n++] = values[i * d->sample_size + j];
    if (n == 0)
        return deep_error_set(DEEP_ERR_NUMERIC, caller, "%s has no present value to take the %s of", label,
                              strategy_name(rule->strategy));
    qsort(scratch, (size_t)n, sizeof *scratch, by_value);
    double v = statistic(rule->strategy, scratch, n);
    if (!text) {
        f->value[j] = v;
        return DEEP_OK;
    }
    f->text[j] = strdup(d->categories[j][(int64_t)v]); /* ids sort as their names */
    return f->text[j] ? DEEP_OK : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
}

deep_status deep_imputer_fit(deep_imputer *imputer, const deep_dataset *data)
{
    DEEP_REQUIRE(imputer);
    DEEP_REQUIRE(data);
    for (int64_t r = 0; r < imputer->rule_count; r++) {
        int64_t j = 0;
        while (data->column_names && j < data->sample_size && strcmp(data->column_names[j], imputer->rules[r].column))
            j++;
        if (data->column_names == NULL || j == data->sample_size)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the imputer has a strategy for column '%s' but the table "
                             "has no such column", imputer->rules[r].column);
    }
    const float *values;
    DEEP_TRY(deep_dataset_values(__func__, data, &values));
    int64_t m = data->sample_size;
    struct fit f = {.columns = m};
    f.value = deep_alloc(m, sizeof *f.value);
    f.text = deep_alloc_zero(m, sizeof *f.text);
    f.names = deep_names_copy(data->column_names, m);
    float *scratch = deep_alloc(data->count, sizeof *scratch);
    deep_status status = DEEP_OK;
    if (!f.value || !f.text || !scratch || (data->column_names && !f.names))
        status = DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld column statistics", (long long)m);
    for (int64_t j = 0; status == DEEP_OK && j < m; j++)
        status = fit_column(imputer, data, values, j, scratch, &f);
    free(scratch);
    if (status != DEEP_OK) {
        fit_clear(&f);
        return status;
    }
    fit_clear(&imputer->fit);
    imputer->fit = f;
    return DEEP_OK;
}

static deep_status check_table(const char *caller, const struct fit *f, const deep_dataset *d)
{
    if (d->sample_size != f->columns)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the imputer was fitted on %lld columns but the "
                              "table has %lld", (long long)f->columns, (long long)d->sample_size);
    for (int64_t j = 0; j < f->columns; j++) {
        if (f->names && d->column_names && strcmp(f->names[j], d->column_names[j]) != 0)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "column %lld is '%s' but the imputer was "
                                  "fitted on '%s'", (long long)j, d->column_names[j], f->names[j]);
        if ((f->text[j] != NULL) != deep_column_is_categorical(d, j))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "column %lld is %s but was %s in the fitted "
                                  "table", (long long)j, f->text[j] ? "numeric" : "text",
                                  f->text[j] ? "text" : "numeric");
    }
    return DEEP_OK;
}

/* Categories are stored as float ids, exact up to 2^24 (as the CSV loader limits them). */
#define MAX_CATEGORIES ((int64_t)1 << 24)

deep_status deep_imputer_transform(const deep_imputer *imputer, deep_dataset *data)
{
    DEEP_REQUIRE(imputer);
    DEEP_REQUIRE(data);
    const struct fit *f = &imputer->fit;
    if (f->columns == 0)
        return DEEP_FAIL(DEEP_ERR_STATE, "the imputer is not fitted yet (deep_imputer_fit)");
    DEEP_TRY(check_table(__func__, f, data));
    if (data->bytes != NULL)
        return DEEP_OK; /* bytes are never missing */
    int64_t m = data->sample_size;
    /* Everything that can fail comes first: the id of each text fill value, and the new
     * category lists of the columns that lack it. */
    float *fill = deep_alloc(m, sizeof *fill);
    char ***grown = deep_alloc_zero(m, sizeof *grown);
    int64_t *insert_at = deep_alloc(m, sizeof *insert_at);
    deep_status status = fill && grown && insert_at ? DEEP_OK
                                                    : DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld columns",
                                                                (long long)m);
    for (int64_t j = 0; status == DEEP_OK && j < m; j++) {
        insert_at[j] = -1;
        fill[j] = (float)f->value[j];
        if (f->text[j] == NULL)
            continue;
        int64_t n = data->category_counts[j], at = 0;
        while (at < n && strcmp(data->categories[j][at], f->text[j]) < 0)
            at++;
        fill[j] = (float)at;
        if (at < n && strcmp(data->categories[j][at], f->text[j]) == 0)
            continue;
        if (n + 1 > MAX_CATEGORIES) {
            status = DEEP_FAIL(DEEP_ERR_OVERFLOW, "column %lld already has %lld categories", (long long)j,
                               (long long)n);
            break;
        }
        char **names = deep_alloc(n + 1, sizeof *names);
        if (names == NULL) {
            status = DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the categories of column %lld", (long long)j);
            break;
        }
        memcpy(names, data->categories[j], (size_t)at * sizeof *names);
        names[at] = f->text[j];
        memcpy(names + at + 1, data->categories[j] + at, (size_t)(n - at) * sizeof *names);
        grown[j] = deep_names_copy(names, n + 1);
        free(names);
        insert_at[j] = at;
        if (grown[j] == NULL)
            status = DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the categories of column %lld", (long long)j);
    }
    for (int64_t j = 0; status == DEEP_OK && j < m; j++) {
        if (grown[j] == NULL)
            continue;
        free(data->categories[j]);
        data->categories[j] = grown[j];
        data->category_counts[j]++;
        grown[j] = NULL;
        for (int64_t i = 0; i < data->count; i++) {
            float *v = &data->features[i * m + j];
            if (!isnan(*v) && *v >= (float)insert_at[j])
                *v += 1.0f;
        }
    }
    for (int64_t i = 0; status == DEEP_OK && i < data->count * m; i++)
        if (isnan(data->features[i]))
            data->features[i] = fill[i % m];
    for (int64_t j = 0; grown && j < m; j++)
        free(grown[j]);
    free(grown);
    free(fill);
    free(insert_at);
    return status;
}

static deep_status fitted_column(const char *caller, const deep_imputer *imp, int64_t column)
{
    if (imp->fit.columns == 0)
        return deep_error_set(DEEP_ERR_STATE, caller, "the imputer is not fitted yet (deep_imputer_fit)");
    if (column < 0 || column >= imp->fit.columns)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "column %lld is outside 0..%lld", (long long)column,
                              (long long)imp->fit.columns - 1);
    return DEEP_OK;
}

deep_status deep_imputer_statistic(const deep_imputer *imputer, int64_t column, double *value)
{
    DEEP_REQUIRE(imputer);
    DEEP_REQUIRE(value);
    DEEP_TRY(fitted_column(__func__, imputer, column));
    *value = imputer->fit.value[column];
    return DEEP_OK;
}

deep_status deep_imputer_fill_text(const deep_imputer *imputer, int64_t column, char *buffer, int64_t capacity,
                                   int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed));
    DEEP_REQUIRE(imputer);
    DEEP_TRY(fitted_column(__func__, imputer, column));
    if (imputer->fit.text[column] == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "column %lld is numeric; its fill value is deep_imputer_statistic's",
                         (long long)column);
    return deep_output_text(__func__, "the fill text", buffer, capacity, needed, imputer->fit.text[column]);
}
