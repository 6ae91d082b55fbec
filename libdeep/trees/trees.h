/* Internals shared by the tree and forest handles: settings, the training table as the
 * builders see it, the binned table of the histogram splitter, and the fitted tree. */
#ifndef DEEP_TREES_INTERNAL_H
#define DEEP_TREES_INTERNAL_H

#include "core/core.h"
#include "data/data.h"
#include "tensor/tensor.h"

#define TREE_MAX_BINS 256
/* Gains and impurities below this are rounding noise (scikit-learn's EPSILON, the double machine epsilon). */
#define TREE_EPSILON 2.220446049250313e-16

struct tree_params {
    deep_tree_kind kind;
    deep_criterion criterion;
    int64_t max_depth;
    int64_t min_samples_split;
    int64_t min_samples_leaf;
    int64_t max_features;         /* count >= 1 or DEEP_MAX_FEATURES_* */
    double max_features_fraction; /* > 0 when set as a fraction; overrides max_features */
    double min_impurity_decrease;
    uint64_t seed;
    deep_splitter splitter;
    int32_t max_bins;
    double *class_weights; /* class_weight_count entries, or NULL */
    int32_t class_weight_count;
};

/* Defaults of a tree of this kind. */
void tree_params_init(struct tree_params *p, deep_tree_kind kind);
void tree_params_clear(struct tree_params *p);
/* Copies src into dst (owning its own class weights). */
deep_status tree_params_copy(const char *caller, struct tree_params *dst, const struct tree_params *src);
/* The tree options of the setters; errors name caller. */
deep_status tree_params_set_int(const char *caller, struct tree_params *p, deep_tree_option option, int64_t value);
deep_status tree_params_set_float(const char *caller, struct tree_params *p, deep_tree_option option, double value);
deep_status tree_params_set_class_weights(const char *caller, struct tree_params *p, const double *weights,
                                          int64_t count);
/* The getters' side: the wrong getter for an option is DEEP_ERR_INVALID_ARGUMENT. */
deep_status tree_params_get_int(const char *caller, const struct tree_params *p, deep_tree_option option,
                                int64_t *value);
deep_status tree_params_get_float(const char *caller, const struct tree_params *p, deep_tree_option option,
                                  double *value);
deep_status tree_params_get_class_weights(const char *caller, const struct tree_params *p, double *weights,
                                          int64_t capacity, int64_t *needed);
/* Features tried per split for a table of n_features. */
int64_t tree_params_features(const struct tree_params *p, int64_t n_features);

/* Sorts n (key, row) pairs by key (LSD radix sort; tmp_* hold n entries each). Keys come
 * from tree_sort_key, which orders them as the floats they encode (all finite). */
uint32_t tree_sort_key(float value);
float tree_sort_value(uint32_t key);
void tree_sort(uint32_t *keys, int32_t *rows, int64_t n, uint32_t *tmp_keys, int32_t *tmp_rows);

/* Histogram splitter: each feature binned once. Bin b of feature f holds the values
 * v <= thresholds[f * TREE_MAX_BINS + b] (and above the previous threshold); the last bin
 * has no upper threshold. */
struct tree_bins {
    uint8_t *codes;    /* n_features * n, feature-major so a node's scan reads one column */
    float *thresholds; /* n_features * TREE_MAX_BINS */
    int32_t *count;    /* bins per feature, >= 1 */
};

/* The training table: validated features and the outputs, as the builders read them. */
struct tree_table {
    int64_t n, n_features;
    /* The features, row-major n * n_features, all finite: floats in x, or (x NULL) for a
     * dataset kept as bytes the bytes themselves, read as the dataset converts them, so
     * that a fit holds no float copy of a byte file. */
    const float *x;
    const uint8_t *bytes;
    float byte_scale, byte_shift;
    const int32_t *labels;   /* classifier: n labels in [0, n_classes) */
    int32_t n_classes;       /* classifier; 0 for a regressor */
    float *y;                /* regressor: n finite values (owned) */
    struct tree_bins *bins;  /* histogram splitter, else NULL (owned) */
};

/* Checks data for training a `kind` learner and fills table (x and labels borrowed from
 * data), binning it on pool's threads (pool may be NULL) for the histogram splitter.
 * Errors name caller. */
deep_status tree_table_init(const char *caller, const struct tree_params *p, const deep_dataset *data,
                            deep_pool *pool, struct tree_table *table);
void tree_table_clear(struct tree_table *table);
/* Feature f of row `row`, as a float whatever the table holds. */
static inline float tree_table_value(const struct tree_table *t, int64_t row, int64_t f)
{
    int64_t i = row * t->n_features + f;
    return t->x != NULL ? t->x[i] : deep_byte_value(t->bytes[i], t->byte_scale, t->byte_shift);
}
/* Rows [first, first + count) as floats: in the table itself, or converted into buffer
 * (count * n_features) when it holds bytes. */
const float *tree_table_rows(const struct tree_table *t, int64_t first, int64_t count, float *buffer);
/* Bins every feature into at most max_bins quantile bins, features spread over pool's
 * threads (pool may be NULL); the result does not depend on the thread count. */
deep_status tree_bins_build(const char *caller, const struct tree_table *table, int32_t max_bins, deep_pool *pool,
                            struct tree_bins **out);
void tree_bins_free(struct tree_bins *bins);

struct tree_node {
    int32_t feature;  /* -1 for a leaf */
    int32_t left, right;
    float threshold;
    double impurity;
    double weight;    /* weighted samples reaching the node */
    int64_t samples;  /* training rows reaching the node */
};

struct tree_model {
    deep_tree_kind kind;
    deep_criterion criterion;
    int64_t n_features;
    int32_t n_classes;    /* 0 for a regressor */
    int32_t width;        /* values per node: n_classes, or 1 */
    int64_t node_count, capacity;
    struct tree_node *nodes;
    double *values;       /* node_count * width: class fractions, or the mean */
    double *importances;  /* n_features, normalised to sum 1 (or all 0) */
    int64_t depth;
};

void tree_model_clear(struct tree_model *m);
/* Grows m on the rows of table with weight > 0 (weights NULL: every row weighs 1), trying
 * features in an order drawn from seed. Only fails on exhausted memory. */
deep_status tree_grow(const char *caller, const struct tree_params *p, const struct tree_table *table,
                      const double *weights, uint64_t seed, struct tree_model *m);
/* The leaf a row of n_features values falls into. */
int64_t tree_model_leaf(const struct tree_model *m, const float *row);

/* Split search at one node: the node's rows and per-row weights, its totals (stats). */
struct tree_split {
    int32_t feature;   /* -1 when no valid split */
    float threshold;
    int64_t left_count; /* rows going left: rows[0..left_count) after partitioning */
    double gain;        /* w * impurity - w_l * impurity_l - w_r * impurity_r */
};

/* Workspace of one builder (one per thread). */
struct tree_scratch;
deep_status tree_scratch_new(const struct tree_table *table, struct tree_scratch **out);
void tree_scratch_free(struct tree_scratch *s);

/* Statistics vector of a set of rows: classifier, weighted class counts; regressor,
 * (sum w*y, sum w*y^2). Its width: */
int32_t tree_stats_width(const struct tree_table *table);
/* Adds the rows' statistics into stats (zeroed first); returns the total weight. */
double tree_stats_sum(const struct tree_table *table, const int32_t *rows, int64_t count, const double *weights,
                      double *stats);
/* Impurity of a set of rows from its statistics and total weight. */
double tree_impurity(deep_criterion criterion, const double *stats, int32_t width, double weight);

/* Finds the best split of rows[0..count) (total weight `weight`, statistics `stats`,
 * impurity `impurity`) trying the features in the order of the permutation `features`,
 * which it reshuffles; then partitions rows so that the left rows come first. */
void tree_split_find(const struct tree_params *p, const struct tree_table *table, const double *weights,
                     struct tree_scratch *s, int32_t *rows, int64_t count, const double *stats, double weight,
                     double impurity, int32_t *features, struct deep_rng *rng, struct tree_split *best);

/* The handles, shared with the model file reader and writer. */
struct deep_tree {
    struct tree_params params;
    struct tree_model model; /* node_count 0 until fitted */
};

struct deep_forest {
    struct tree_params params;  /* passed to every tree */
    int64_t n_estimators;
    bool bootstrap, oob;
    int64_t max_samples;        /* 0: the training set's size */
    double max_samples_fraction;/* > 0 when set as a fraction */
    int32_t threads;
    deep_pool *pool;
    struct tree_model *trees;   /* tree_count fitted trees */
    int64_t tree_count;
    double oob_score;
    bool has_oob;
};

/* The fitted model of a tree handle (node_count 0 before fit). */
const struct tree_model *tree_model_of(const deep_tree *tree);

/* Unfitted handles with the same settings, for cross-validation. */
deep_status tree_clone_settings(const char *caller, const deep_tree *tree, deep_tree **out);
deep_status forest_clone_settings(const char *caller, const deep_forest *forest, deep_forest **out);

/* Checks a (n, features...) input for predict: shape and NaN. Sets *rows. */
deep_status tree_inputs_check(const char *caller, const deep_tensor *inputs, int64_t n_features, int64_t *rows);
/* Checks that data can be scored by a fitted learner of n_features: outputs present,
 * feature count, finite features. Unless x is NULL, *x gets the features as floats. */
deep_status tree_score_check(const char *caller, deep_tree_kind kind, const deep_dataset *data, int64_t n_features,
                             const float **x);
/* Accuracy or R^2 of predictions against truth over the rows with mask[i] != 0 (all rows
 * when mask is NULL); 0 when no row counts. */
double tree_score_rows(deep_tree_kind kind, const float *truth, const float *predicted, const uint8_t *mask,
                       int64_t n);
/* The same against data's labels or targets (as the training table reads them). */
deep_status tree_score_data(const char *caller, deep_tree_kind kind, const float *predicted, const deep_dataset *data,
                            double *score);

#endif
