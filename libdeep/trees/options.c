/* Settings shared by trees and forests: defaults, validation, features per split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

void tree_params_init(struct tree_params *p, deep_tree_kind kind)
{
    *p = (struct tree_params){
        .kind = kind,
        .criterion = kind == DEEP_TREE_CLASSIFIER ? DEEP_CRITERION_GINI : DEEP_CRITERION_SQUARED_ERROR,
        .max_depth = DEEP_UNLIMITED,
        .min_samples_split = 2,
        .min_samples_leaf = 1,
        .max_features = DEEP_MAX_FEATURES_ALL,
        .splitter = DEEP_SPLITTER_AUTO,
        .max_bins = TREE_MAX_BINS,
    };
}

void tree_params_clear(struct tree_params *p)
{
    free(p->class_weights);
    p->class_weights = NULL;
    p->class_weight_count = 0;
}

deep_status tree_params_copy(const char *caller, struct tree_params *dst, const struct tree_params *src)
{
    *dst = *src;
    dst->class_weights = NULL;
    dst->class_weight_count = 0;
    return tree_params_set_class_weights(caller, dst, src->class_weights, src->class_weight_count);
}

/* A switch without a default: the compiler (-Wswitch) names a splitter of deep.h left out
 * here, where a range of enumerators would silently refuse it. */
static bool splitter_is_valid(deep_splitter splitter)
{
    switch (splitter) {
    case DEEP_SPLITTER_AUTO:
    case DEEP_SPLITTER_EXACT:
    case DEEP_SPLITTER_HISTOGRAM:
        return true;
    }
    return false;
}

deep_status tree_params_set_int(const char *caller, struct tree_params *p, deep_tree_option option, int64_t value)
{
    switch (option) {
    case DEEP_TREE_CRITERION: {
        bool ok = p->kind == DEEP_TREE_CLASSIFIER
                      ? (value == DEEP_CRITERION_GINI || value == DEEP_CRITERION_ENTROPY)
                      : value == DEEP_CRITERION_SQUARED_ERROR;
        if (!ok)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "criterion %lld does not apply to a %s",
                                  (long long)value, p->kind == DEEP_TREE_CLASSIFIER ? "classifier" : "regressor");
        p->criterion = (deep_criterion)value;
        return DEEP_OK;
    }
    case DEEP_TREE_MAX_DEPTH:
        if (value < 1)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "max_depth must be >= 1 (DEEP_UNLIMITED for no limit), got %lld", (long long)value);
        p->max_depth = value;
        return DEEP_OK;
    case DEEP_TREE_MIN_SAMPLES_SPLIT:
        if (value < 2)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "min_samples_split must be >= 2, got %lld",
                                  (long long)value);
        p->min_samples_split = value;
        return DEEP_OK;
    case DEEP_TREE_MIN_SAMPLES_LEAF:
        if (value < 1)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "min_samples_leaf must be >= 1, got %lld",
                                  (long long)value);
        p->min_samples_leaf = value;
        return DEEP_OK;
    case DEEP_TREE_MAX_FEATURES:
        if (value < DEEP_MAX_FEATURES_LOG2)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "max_features must be a count >= 1 or a DEEP_MAX_FEATURES_* value, got %lld",
                                  (long long)value);
        p->max_features = value;
        p->max_features_fraction = 0;
        return DEEP_OK;
    case DEEP_TREE_SEED:
        p->seed = (uint64_t)value;
        return DEEP_OK;
    case DEEP_TREE_SPLITTER:
        if (value < INT32_MIN || value > INT32_MAX || !splitter_is_valid((deep_splitter)value))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "splitter %lld is not a deep_splitter",
                                  (long long)value);
        p->splitter = (deep_splitter)value;
        return DEEP_OK;
    case DEEP_TREE_MAX_BINS:
        if (value < 2 || value > TREE_MAX_BINS)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "max_bins must be in [2, %d], got %lld",
                                  TREE_MAX_BINS, (long long)value);
        p->max_bins = (int32_t)value;
        return DEEP_OK;
    default:
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "option %d is not an integer tree option",
                              (int)option);
    }
}

deep_status tree_params_set_float(const char *caller, struct tree_params *p, deep_tree_option option, double value)
{
    switch (option) {
    case DEEP_TREE_MIN_IMPURITY_DECREASE:
        if (!(value >= 0) || !isfinite(value))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "min_impurity_decrease must be finite and >= 0, got %g", value);
        p->min_impurity_decrease = value;
        return DEEP_OK;
    case DEEP_TREE_MAX_FEATURES:
        if (!(value > 0 && value <= 1))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "max_features as a fraction must be in (0, 1], got %g", value);
        p->max_features_fraction = value;
        return DEEP_OK;
    default:
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "option %d is not a float tree option",
                              (int)option);
    }
}

deep_status tree_params_set_class_weights(const char *caller, struct tree_params *p, const double *weights,
                                          int64_t count)
{
    if (count < 0 || (count > 0 && weights == NULL))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "weights must hold count >= 0 entries (count %lld)",
                              (long long)count);
    if (count > INT32_MAX) /* class ids are int32_t */
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%lld class weights exceed the %d classes possible",
                              (long long)count, INT32_MAX);
    if (count > 0 && p->kind != DEEP_TREE_CLASSIFIER)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "class weights only apply to classifiers");
    for (int32_t c = 0; c < count; c++)
        if (!(weights[c] >= 0) || !isfinite(weights[c]))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "class %d has weight %g; weights must be "
                                  "finite and >= 0", (int)c, weights[c]);
    double *copy = NULL;
    if (count > 0) {
        copy = deep_alloc(count, sizeof *copy);
        if (copy == NULL)
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "no memory for %d class weights", (int)count);
        memcpy(copy, weights, (size_t)count * sizeof *copy);
    }
    free(p->class_weights);
    p->class_weights = copy;
    p->class_weight_count = (int32_t)count;
    return DEEP_OK;
}

deep_status tree_params_get_int(const char *caller, const struct tree_params *p, deep_tree_option option,
                                int64_t *value)
{
    switch (option) {
    case DEEP_TREE_CRITERION: *value = p->criterion; return DEEP_OK;
    case DEEP_TREE_MAX_DEPTH: *value = p->max_depth; return DEEP_OK;
    case DEEP_TREE_MIN_SAMPLES_SPLIT: *value = p->min_samples_split; return DEEP_OK;
    case DEEP_TREE_MIN_SAMPLES_LEAF: *value = p->min_samples_leaf; return DEEP_OK;
    case DEEP_TREE_MAX_FEATURES:
        if (p->max_features_fraction > 0)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "max_features was set as a fraction; read it with the float getter");
        *value = p->max_features;
        return DEEP_OK;
    case DEEP_TREE_SEED: *value = (int64_t)p->seed; return DEEP_OK; /* the bits set_int stored */
    case DEEP_TREE_SPLITTER: *value = p->splitter; return DEEP_OK;
    case DEEP_TREE_MAX_BINS: *value = p->max_bins; return DEEP_OK;
    default:
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "option %d is not an integer tree option",
                              (int)option);
    }
}

deep_status tree_params_get_float(const char *caller, const struct tree_params *p, deep_tree_option option,
                                  double *value)
{
    switch (option) {
    case DEEP_TREE_MIN_IMPURITY_DECREASE: *value = p->min_impurity_decrease; return DEEP_OK;
    case DEEP_TREE_MAX_FEATURES:
        if (!(p->max_features_fraction > 0))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "max_features is a count (or DEEP_MAX_FEATURES_*); read it with the int getter");
        *value = p->max_features_fraction;
        return DEEP_OK;
    default:
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "option %d is not a float tree option",
                              (int)option);
    }
}

deep_status tree_params_get_class_weights(const char *caller, const struct tree_params *p, double *weights,
                                          int64_t capacity, int64_t *needed)
{
    return deep_output_copy(caller, "the class weights", weights, capacity, needed, p->class_weights,
                            p->class_weight_count, sizeof *weights);
}

int64_t tree_params_features(const struct tree_params *p, int64_t n_features)
{
    int64_t k;
    if (p->max_features_fraction > 0)
        k = (int64_t)(p->max_features_fraction * (double)n_features); /* scikit-learn truncates too */
    else if (p->max_features == DEEP_MAX_FEATURES_SQRT)
        k = (int64_t)sqrt((double)n_features);
    else if (p->max_features == DEEP_MAX_FEATURES_LOG2)
        k = (int64_t)log2((double)n_features);
    else if (p->max_features == DEEP_MAX_FEATURES_ALL)
        k = n_features;
    else
        k = p->max_features;
    return k < 1 ? 1 : (k > n_features ? n_features : k);
}
