/* The data going into trees and forests and coming out: training tables, prediction
 * inputs, scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

/* Training sets larger than this get the histogram splitter under DEEP_SPLITTER_AUTO. */
#define AUTO_HISTOGRAM_ROWS 20000

/* The regressor's outputs as floats: width-1 targets, else the labels read as numbers.
 * *y is NULL for a classifier, whose labels are only checked to be there. */
static deep_status outputs(const char *caller, deep_tree_kind kind, const deep_dataset *data, float **y)
{
    *y = NULL;
    if (kind == DEEP_TREE_CLASSIFIER) {
        if (data->labels == NULL)
            return deep_error_set(DEEP_ERR_STATE, caller, "the dataset has no labels; a classifier needs them");
        return DEEP_OK;
    }
    if (data->target_width > 1 && data->labels == NULL)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                              "targets have width %lld; regression trees predict one value per sample",
                              (long long)data->target_width);
    if (data->target_width != 1 && data->labels == NULL)
        return deep_error_set(DEEP_ERR_STATE, caller, "the dataset has neither targets nor labels");
    float *v = deep_alloc(data->count, sizeof *v);
    if (v == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "no memory for %lld targets", (long long)data->count);
    for (int64_t i = 0; i < data->count; i++) {
        v[i] = data->target_width == 1 ? data->targets[i] : (float)data->labels[i];
        if (!isfinite(v[i])) {
            double bad = v[i];
            free(v);
            return deep_error_set(DEEP_ERR_NUMERIC, caller, "the target of sample %lld is %g", (long long)i, bad);
        }
    }
    *y = v;
    return DEEP_OK;
}

/* The first non-finite value of a row-major rows x cols table, as an error. */
static deep_status check_finite(const char *caller, const float *x, int64_t rows, int64_t cols, const char *what)
{
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            if (!isfinite(x[i * cols + j]))
                return deep_error_set(DEEP_ERR_NUMERIC, caller,
                                      "%s %lld, feature %lld is %g; fill missing values before using trees", what,
                                      (long long)i, (long long)j, (double)x[i * cols + j]);
    return DEEP_OK;
}

deep_status tree_table_init(const char *caller, const struct tree_params *p, const deep_dataset *data,
                            deep_pool *pool, struct tree_table *table)
{
    memset(table, 0, sizeof *table);
    if (data == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'data' is NULL");
    if (data->count < 1 || data->sample_size < 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the dataset is empty");
    if (data->count > INT32_MAX || data->sample_size > INT32_MAX)
        return deep_error_set(DEEP_ERR_OVERFLOW, caller, "trees take at most %d samples and features",
                              (int)INT32_MAX);
    if (p->kind == DEEP_TREE_CLASSIFIER && p->class_weight_count > 0 && data->labels != NULL &&
        p->class_weight_count != data->num_classes)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "%d class weights for a dataset of %d classes",
                              (int)p->class_weight_count, (int)data->num_classes);
    if (data->bytes != NULL) {
        /* Bytes b give b * scale + shift, finite for every b when it is at both ends. */
        float low = deep_byte_value(0, data->byte_scale, data->byte_shift);
        float high = deep_byte_value(255, data->byte_scale, data->byte_shift);
        if (!isfinite(low) || !isfinite(high))
            return deep_error_set(DEEP_ERR_NUMERIC, caller,
                                  "the dataset's scale makes its byte values reach %g; trees need finite features",
                                  (double)(isfinite(low) ? high : low));
        table->bytes = data->bytes;
        table->byte_scale = data->byte_scale;
        table->byte_shift = data->byte_shift;
    } else {
        DEEP_TRY(deep_dataset_values(caller, data, &table->x));
        DEEP_TRY(check_finite(caller, table->x, data->count, data->sample_size, "sample"));
    }
    table->n = data->count;
    table->n_features = data->sample_size;
    table->labels = p->kind == DEEP_TREE_CLASSIFIER ? data->labels : NULL;
    table->n_classes = p->kind == DEEP_TREE_CLASSIFIER ? data->num_classes : 0;
    DEEP_TRY(outputs(caller, p->kind, data, &table->y));
    bool histogram = p->splitter == DEEP_SPLITTER_HISTOGRAM ||
                     (p->splitter == DEEP_SPLITTER_AUTO && data->count > AUTO_HISTOGRAM_ROWS);
    if (histogram) {
        deep_status s = tree_bins_build(caller, table, p->max_bins, pool, &table->bins);
        if (s != DEEP_OK) {
            tree_table_clear(table);
            return s;
        }
    }
    return DEEP_OK;
}

const float *tree_table_rows(const struct tree_table *t, int64_t first, int64_t count, float *buffer)
{
    if (t->x != NULL)
        return t->x + first * t->n_features;
    deep_dataset_convert_bytes(t->bytes + first * t->n_features, count * t->n_features, t->byte_scale,
                               t->byte_shift, buffer);
    return buffer;
}

void tree_table_clear(struct tree_table *table)
{
    free(table->y);
    tree_bins_free(table->bins);
    memset(table, 0, sizeof *table);
}

deep_status tree_inputs_check(const char *caller, const deep_tensor *inputs, int64_t n_features, int64_t *rows)
{
    if (inputs == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'inputs' is NULL");
    int64_t per_row = inputs->rank >= 2 ? inputs->size / inputs->shape[0] : -1;
    if (per_row != n_features)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "inputs must have shape (n, ...) with %lld features per sample; got rank %d with %lld",
                              (long long)n_features, (int)inputs->rank, (long long)per_row);
    *rows = inputs->shape[0];
    return check_finite(caller, inputs->data, *rows, n_features, "row");
}

double tree_score_rows(deep_tree_kind kind, const float *truth, const float *predicted, const uint8_t *mask,
                       int64_t n)
{
    int64_t counted = 0, hits = 0;
    double mean = 0, total = 0, residual = 0;
    for (int64_t i = 0; i < n; i++)
        if (mask == NULL || mask[i]) {
            counted++;
            hits += predicted[i] == truth[i];
            mean += truth[i];
        }
    if (counted == 0)
        return 0;
    if (kind == DEEP_TREE_CLASSIFIER)
        return (double)hits / (double)counted;
    /* R^2 as scikit-learn: 1 - residual / total sum of squares; a constant truth scores 1
     * when predicted exactly, else 0. */
    mean /= (double)counted;
    for (int64_t i = 0; i < n; i++)
        if (mask == NULL || mask[i]) {
            total += (truth[i] - mean) * (truth[i] - mean);
            residual += (truth[i] - predicted[i]) * (truth[i] - predicted[i]);
        }
    if (total == 0)
        return residual == 0 ? 1.0 : 0.0;
    return 1.0 - residual / total;
}

deep_status tree_score_data(const char *caller, deep_tree_kind kind, const float *predicted, const deep_dataset *data,
                            double *score)
{
    float *truth = deep_alloc(data->count, sizeof *truth);
    if (truth == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "no memory to score %lld samples", (long long)data->count);
    for (int64_t i = 0; i < data->count; i++)
        truth[i] = kind == DEEP_TREE_REGRESSOR && data->target_width == 1 ? data->targets[i] : (float)data->labels[i];
    *score = tree_score_rows(kind, truth, predicted, NULL, data->count);
    free(truth);
    return DEEP_OK;
}
