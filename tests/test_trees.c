/* Tests of decision trees and random forests: known splits on hand-made tables, the
 * settings, the histogram splitter, forests' reproducibility, and misuse. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "header_enums.h"
#include "tensor/tensor.h"
#include "trees/trees.h"

/* The call fails with `status` and the message names the public function. */
#define FAILS(expr, status, func)                                                              \
    do {                                                                                       \
        ck_assert_int_eq((expr), (status));                                                    \
        ck_assert_msg(strstr(deep_last_error(), (func)) != NULL, "message '%s' does not name %s", \
                      deep_last_error(), (func));                                              \
    } while (0)

#define OK(expr) ck_assert_int_eq((expr), DEEP_OK)

/* A dataset of n samples of `features` values with labels (or NULL) and targets (or NULL). */
static deep_dataset *table(int64_t n, int64_t features, const float *x, const int32_t *labels, const float *y)
{
    deep_dataset *d;
    OK(deep_dataset_new(n, 1, (int64_t[]){features}, x, &d));
    if (labels)
        OK(deep_dataset_set_labels(d, labels, n, 0));
    if (y)
        OK(deep_dataset_set_targets(d, y, n, 1));
    return d;
}

static deep_tensor *rows(int64_t n, int64_t features, const float *x)
{
    deep_tensor *t;
    OK(deep_tensor_new_from(2, (int64_t[]){n, features}, x, n * features, &t));
    return t;
}

/* Two noisy blobs per class in `features` dimensions: class c centred at c on the first
 * two features, the rest pure noise. */
static deep_dataset *blobs(int64_t n, int64_t features, int32_t classes, uint64_t seed)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    float *x = malloc((size_t)(n * features) * sizeof *x);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    for (int64_t i = 0; i < n; i++) {
        labels[i] = (int32_t)(i % classes);
        for (int64_t f = 0; f < features; f++)
            x[i * features + f] = (f < 2 ? (float)labels[i] * (f == 0 ? 1.0f : -1.0f) : 0) +
                                  0.6f * deep_rng_normal(&rng);
    }
    deep_dataset *d = table(n, features, x, labels, NULL);
    free(x);
    free(labels);
    return d;
}

/* ---------------------------------------------------------------- known splits */

START_TEST(gini_known_split)
{
    /* Feature 1 separates the classes between 3 and 4; feature 0 is noise. */
    const float x[] = {5, 1, 1, 2, 4, 3, 2, 4, 6, 5, 3, 6};
    const int32_t y[] = {0, 0, 0, 1, 1, 1};
    deep_dataset *d = table(6, 2, x, y, NULL);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    OK(deep_tree_fit(tree, d));
    int64_t count, depth, feature, left, right;
    float threshold;
    OK(deep_tree_node_count(tree, &count));
    ck_assert_int_eq(count, 3);
    OK(deep_tree_depth(tree, &depth));
    ck_assert_int_eq(depth, 1);
    OK(deep_tree_node(tree, 0, &feature, &threshold, &left, &right));
    ck_assert_int_eq(feature, 1);
    ck_assert_float_eq(threshold, 3.5f);
    ck_assert_int_eq(left, 1);
    ck_assert_int_eq(right, 2);
    OK(deep_tree_node(tree, 1, &feature, &threshold, &left, &right));
    ck_assert_int_eq(feature, -1);
    ck_assert_int_eq(left, -1);
    double values[2];
    OK(deep_tree_node_value(tree, 0, values, 2, &(int64_t){0}));
    ck_assert_double_eq_tol(values[0], 0.5, 1e-12);
    OK(deep_tree_node_value(tree, 2, values, 2, &(int64_t){0}));
    ck_assert_double_eq(values[1], 1.0);
    ck_assert_double_eq_tol(tree_model_of(tree)->nodes[0].impurity, 0.5, 1e-12);

    deep_tensor *in = rows(2, 2, (const float[]){100, 3.5f, -100, 3.51f}), *out;
    OK(deep_tree_predict(tree, in, &out));
    ck_assert_float_eq(out->data[0], 0);
    ck_assert_float_eq(out->data[1], 1);
    deep_tensor_free(out);
    double importances[2], score;
    OK(deep_tree_feature_importances(tree, importances, 2, &(int64_t){0}));
    ck_assert_double_eq(importances[0], 0);
    ck_assert_double_eq(importances[1], 1);
    OK(deep_tree_score(tree, d, &score));
    ck_assert_double_eq(score, 1.0);
    deep_tensor_free(in);
    deep_tree_free(tree);
    deep_tree_free(NULL);
    deep_dataset_free(d);
}
END_TEST

START_TEST(entropy_and_gini_differ)
{
    /* x = 0..9 with labels 0 0 0 0 0 1 1 2 2 2: both criteria cut at 4.5 then 6.5 (as
     * scikit-learn 1.2.1 does); their root impurities differ. */
    const float x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int32_t y[] = {0, 0, 0, 0, 0, 1, 1, 2, 2, 2};
    deep_dataset *d = table(10, 1, x, y, NULL);
    for (int c = DEEP_CRITERION_GINI; c <= DEEP_CRITERION_ENTROPY; c++) {
        deep_tree *tree;
        OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
        OK(deep_tree_set_int(tree, DEEP_TREE_CRITERION, c));
        OK(deep_tree_fit(tree, d));
        int64_t count, feature;
        float threshold;
        OK(deep_tree_node_count(tree, &count));
        ck_assert_int_eq(count, 5);
        OK(deep_tree_node(tree, 0, &feature, &threshold, NULL, NULL));
        ck_assert_float_eq(threshold, 4.5f);
        OK(deep_tree_node(tree, 2, &feature, &threshold, NULL, NULL));
        ck_assert_float_eq(threshold, 6.5f);
        /* Root impurity: gini 1 - (.25 + .04 + .09) = 0.62; entropy of (.5, .2, .3) in bits. */
        double expect = c == DEEP_CRITERION_GINI ? 0.62 : -(0.5 * log2(0.5) + 0.2 * log2(0.2) + 0.3 * log2(0.3));
        ck_assert_double_eq_tol(tree_model_of(tree)->nodes[0].impurity, expect, 1e-12);
        deep_tree_free(tree);
    }
    deep_dataset_free(d);
}
END_TEST

START_TEST(regression_step)
{
    float x[20], y[20];
    for (int i = 0; i < 20; i++) {
        x[i] = (float)i;
        y[i] = i < 10 ? 1.0f : 5.0f;
    }
    deep_dataset *d = table(20, 1, x, NULL, y);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_REGRESSOR, &tree));
    OK(deep_tree_fit(tree, d));
    int64_t count, feature;
    float threshold;
    OK(deep_tree_node_count(tree, &count));
    ck_assert_int_eq(count, 3);
    OK(deep_tree_node(tree, 0, &feature, &threshold, NULL, NULL));
    ck_assert_float_eq(threshold, 9.5f);
    double mean, score;
    OK(deep_tree_node_value(tree, 0, &mean, 1, &(int64_t){0}));
    ck_assert_double_eq_tol(mean, 3.0, 1e-12);
    ck_assert_double_eq_tol(tree_model_of(tree)->nodes[0].impurity, 4.0, 1e-12);
    deep_tensor *in = rows(3, 1, (const float[]){-5, 9.5f, 9.6f}), *out;
    OK(deep_tree_predict(tree, in, &out));
    ck_assert_float_eq(out->data[0], 1);
    ck_assert_float_eq(out->data[1], 1);
    ck_assert_float_eq(out->data[2], 5);
    deep_tensor_free(out);
    OK(deep_tree_score(tree, d, &score));
    ck_assert_double_eq(score, 1.0);
    /* Labels read as numbers when there are no targets. */
    int32_t labels[20];
    for (int i = 0; i < 20; i++)
        labels[i] = i < 10 ? 2 : 7;
    deep_dataset *dl = table(20, 1, x, labels, NULL);
    OK(deep_tree_fit(tree, dl));
    OK(deep_tree_predict(tree, in, &out));
    ck_assert_float_eq(out->data[2], 7);
    deep_tensor_free(out);
    deep_tensor_free(in);
    deep_tree_free(tree);
    deep_dataset_free(d);
    deep_dataset_free(dl);
}
END_TEST

/* ---------------------------------------------------------------- settings */

START_TEST(limits_respected)
{
    deep_dataset *d = blobs(300, 4, 3, 7);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    int64_t depth, count;
    OK(deep_tree_fit(tree, d));
    OK(deep_tree_depth(tree, &depth));
    ck_assert_int_gt(depth, 3);
    double score;
    OK(deep_tree_score(tree, d, &score));
    ck_assert_double_eq(score, 1.0); /* grown to purity */

    OK(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, 2));
    OK(deep_tree_fit(tree, d));
    OK(deep_tree_depth(tree, &depth));
    ck_assert_int_eq(depth, 2);
    OK(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, DEEP_UNLIMITED));

    OK(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_LEAF, 10));
    OK(deep_tree_fit(tree, d));
    const struct tree_model *m = tree_model_of(tree);
    for (int64_t i = 0; i < m->node_count; i++)
        ck_assert_int_ge(m->nodes[i].samples, 10);
    OK(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_LEAF, 1));

    OK(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_SPLIT, 40));
    OK(deep_tree_fit(tree, d));
    m = tree_model_of(tree);
    for (int64_t i = 0; i < m->node_count; i++)
        if (m->nodes[i].feature >= 0)
            ck_assert_int_ge(m->nodes[i].samples, 40);
    OK(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_SPLIT, 2));

    /* A large min_impurity_decrease leaves a single leaf. */
    OK(deep_tree_set_float(tree, DEEP_TREE_MIN_IMPURITY_DECREASE, 1.0));
    OK(deep_tree_fit(tree, d));
    OK(deep_tree_node_count(tree, &count));
    ck_assert_int_eq(count, 1);
    double importances[4];
    OK(deep_tree_feature_importances(tree, importances, 4, &(int64_t){0}));
    for (int f = 0; f < 4; f++)
        ck_assert_double_eq(importances[f], 0);
    deep_tree_free(tree);
    deep_dataset_free(d);
}
END_TEST

START_TEST(importances_proba_and_max_features)
{
    deep_dataset *d = blobs(200, 5, 3, 11);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    OK(deep_tree_set_int(tree, DEEP_TREE_MAX_FEATURES, DEEP_MAX_FEATURES_SQRT));
    OK(deep_tree_set_int(tree, DEEP_TREE_SEED, 3));
    OK(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, 4));
    OK(deep_tree_fit(tree, d));
    double importances[5], sum = 0;
    OK(deep_tree_feature_importances(tree, importances, 5, &(int64_t){0}));
    for (int f = 0; f < 5; f++)
        sum += importances[f];
    ck_assert_double_eq_tol(sum, 1.0, 1e-12);
    ck_assert_double_gt(importances[0] + importances[1], 0.5); /* the informative features */
    FAILS(deep_tree_feature_importances(tree, importances, 4, &(int64_t){0}), DEEP_ERR_BUFFER_TOO_SMALL,
          "deep_tree_feature_importances");

    deep_tensor *x, *proba;
    OK(deep_dataset_features(d, &x));
    OK(deep_tree_predict_proba(tree, x, &proba));
    ck_assert_int_eq(proba->shape[1], 3);
    for (int64_t i = 0; i < 200; i++) {
        double row = 0;
        for (int c = 0; c < 3; c++)
            row += proba->data[i * 3 + c];
        ck_assert_double_eq_tol(row, 1.0, 1e-6);
    }
    deep_tensor_free(proba);
    deep_tensor_free(x);

    /* Same seed, same tree; the JSON dumps are identical. */
    int64_t needed, needed2;
    OK(deep_tree_to_json(tree, NULL, 0, &needed));
    char *a = malloc((size_t)needed), *b = malloc((size_t)needed);
    OK(deep_tree_to_json(tree, a, needed, &needed2));
    ck_assert_int_eq(needed, needed2);
    ck_assert_int_eq((int64_t)strlen(a) + 1, needed);
    OK(deep_tree_fit(tree, d));
    OK(deep_tree_to_json(tree, b, needed, &needed2));
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    deep_tree_free(tree);
    deep_dataset_free(d);
}
END_TEST

START_TEST(class_weights)
{
    /* Only the last row is class 1, and min_samples_leaf 3 allows only the cut at 2.5.
     * Unweighted the right leaf (2 zeros, 1 one) says 0; weighting class 1 by 5 says 1. */
    const float x[] = {0, 1, 2, 3, 4, 5};
    const int32_t y[] = {0, 0, 0, 0, 0, 1};
    deep_dataset *d = table(6, 1, x, y, NULL);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    OK(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, 1));
    OK(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_LEAF, 3));
    OK(deep_tree_fit(tree, d));
    deep_tensor *in = rows(1, 1, (const float[]){5}), *out;
    OK(deep_tree_predict(tree, in, &out));
    ck_assert_float_eq(out->data[0], 0);
    deep_tensor_free(out);
    OK(deep_tree_set_class_weights(tree, (const double[]){1, 5}, 2));
    OK(deep_tree_fit(tree, d));
    OK(deep_tree_predict(tree, in, &out));
    ck_assert_float_eq(out->data[0], 1);
    deep_tensor_free(out);
    OK(deep_tree_set_class_weights(tree, (const double[]){1, 5, 1}, 3));
    FAILS(deep_tree_fit(tree, d), DEEP_ERR_SHAPE, "deep_tree_fit");
    FAILS(deep_tree_set_class_weights(tree, (const double[]){1, -1}, 2), DEEP_ERR_INVALID_ARGUMENT,
          "deep_tree_set_class_weights");
    OK(deep_tree_set_class_weights(tree, NULL, 0));
    OK(deep_tree_fit(tree, d));
    deep_tensor_free(in);
    deep_tree_free(tree);
    deep_dataset_free(d);
}
END_TEST

START_TEST(json_dump)
{
    const float x[] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int32_t y[] = {0, 0, 1, 1, 0, 0, 1, 1};
    deep_dataset *d = table(8, 1, x, y, NULL);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    int64_t needed;
    FAILS(deep_tree_to_json(tree, NULL, 0, &needed), DEEP_ERR_STATE, "deep_tree_to_json");
    OK(deep_tree_fit(tree, d));
    OK(deep_tree_to_json(tree, NULL, 0, &needed));
    char *text = malloc((size_t)needed);
    memset(text, 'x', 10);
    FAILS(deep_tree_to_json(tree, text, 10, &needed), DEEP_ERR_BUFFER_TOO_SMALL, "deep_tree_to_json");
    ck_assert(memcmp(text, "xxxxxxxxxx", 10) == 0); /* never partly written */
    OK(deep_tree_to_json(tree, text, needed, &needed));
    int braces = 0, brackets = 0, min_braces = 0;
    for (const char *c = text; *c; c++) {
        braces += (*c == '{') - (*c == '}');
        brackets += (*c == '[') - (*c == ']');
        if (braces < min_braces)
            min_braces = braces;
    }
    ck_assert_int_eq(braces, 0);
    ck_assert_int_eq(brackets, 0);
    ck_assert_int_eq(min_braces, 0);
    ck_assert_ptr_nonnull(strstr(text, "\"threshold\": 2.5"));
    ck_assert_ptr_nonnull(strstr(text, "\"threshold\": 4.5"));
    ck_assert_ptr_nonnull(strstr(text, "\"criterion\": \"gini\""));
    ck_assert_ptr_nonnull(strstr(text, "\"leaf\": true"));
    free(text);
    deep_tree_free(tree);
    deep_dataset_free(d);
}
END_TEST

/* ---------------------------------------------------------------- histogram splitter */

START_TEST(histogram_matches_exact_on_few_values)
{
    /* With fewer distinct values than bins, each value is its own bin: on the training
     * rows both splitters partition alike, so their predictions there agree. */
    struct deep_rng rng;
    deep_rng_init(&rng, 5);
    float x[400 * 3];
    int32_t y[400];
    for (int i = 0; i < 400; i++) {
        for (int f = 0; f < 3; f++)
            x[i * 3 + f] = (float)deep_rng_below(&rng, 20);
        y[i] = (x[i * 3] + x[i * 3 + 1] > 19) + (x[i * 3 + 2] > 12);
    }
    deep_dataset *d = table(400, 3, x, y, NULL);
    deep_tree *exact, *hist;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &exact));
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &hist));
    OK(deep_tree_set_int(exact, DEEP_TREE_SPLITTER, DEEP_SPLITTER_EXACT));
    OK(deep_tree_set_int(hist, DEEP_TREE_SPLITTER, DEEP_SPLITTER_HISTOGRAM));
    OK(deep_tree_fit(exact, d));
    OK(deep_tree_fit(hist, d));
    int64_t ne, nh;
    OK(deep_tree_node_count(exact, &ne));
    OK(deep_tree_node_count(hist, &nh));
    ck_assert_int_eq(ne, nh);
    deep_tensor *in, *pe, *ph;
    OK(deep_dataset_features(d, &in));
    OK(deep_tree_predict(exact, in, &pe));
    OK(deep_tree_predict(hist, in, &ph));
    for (int i = 0; i < 400; i++)
        ck_assert_float_eq(pe->data[i], ph->data[i]);
    deep_tensor_free(in);
    deep_tensor_free(pe);
    deep_tensor_free(ph);
    deep_tree_free(exact);
    deep_tree_free(hist);
    deep_dataset_free(d);
}
END_TEST

START_TEST(binning)
{
    /* 1000 distinct values into 16 bins: about 62 rows each, codes ordered as values. */
    float x[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = (float)((i * 7919) % 1000) / 10.0f;
    struct tree_table t = {.n = 1000, .n_features = 1, .x = x};
    struct tree_bins *bins;
    OK(tree_bins_build("test", &t, 16, NULL, &bins));
    ck_assert_int_eq(bins->count[0], 16);
    int counts[16] = {0};
    for (int i = 0; i < 1000; i++) {
        int b = bins->codes[i];
        counts[b]++;
        ck_assert(b == 15 || x[i] <= bins->thresholds[b]);
        ck_assert(b == 0 || x[i] > bins->thresholds[b - 1]);
    }
    for (int b = 0; b < 16; b++)
        ck_assert_int_ge(counts[b], 55);
    tree_bins_free(bins);
    /* A constant column is a single bin. */
    for (int i = 0; i < 1000; i++)
        x[i] = 3;
    OK(tree_bins_build("test", &t, 256, NULL, &bins));
    ck_assert_int_eq(bins->count[0], 1);
    tree_bins_free(bins);
}
END_TEST

START_TEST(radix_sort)
{
    struct deep_rng rng;
    deep_rng_init(&rng, 9);
    uint32_t keys[500], tmp_keys[500];
    int32_t rows[500], tmp_rows[500];
    float values[500];
    for (int i = 0; i < 500; i++) {
        values[i] = deep_rng_normal(&rng) * 100;
        if (i % 50 == 0)
            values[i] = i % 100 ? 0.0f : -0.0f;
        keys[i] = tree_sort_key(values[i]);
        rows[i] = i;
    }
    tree_sort(keys, rows, 500, tmp_keys, tmp_rows);
    for (int i = 0; i < 500; i++) {
        ck_assert_float_eq(tree_sort_value(keys[i]), values[rows[i]]);
        if (i > 0)
            ck_assert(values[rows[i - 1]] <= values[rows[i]]);
    }
}
END_TEST

/* ---------------------------------------------------------------- forests */

static void forest_proba(deep_forest *forest, const deep_dataset *d, float **out, int64_t *n)
{
    deep_tensor *x, *p;
    OK(deep_dataset_features(d, &x));
    OK(deep_forest_predict_proba(forest, x, &p));
    *n = p->size;
    *out = malloc((size_t)p->size * sizeof **out);
    memcpy(*out, p->data, (size_t)p->size * sizeof **out);
    deep_tensor_free(x);
    deep_tensor_free(p);
}

START_TEST(forest_reproducible_across_threads)
{
    deep_dataset *d = blobs(300, 6, 3, 21);
    /* Runs 0-2 exact splits (1, 1, 2 threads), runs 3-4 histogram splits (1, 2 threads,
     * which also bin the features on those threads). */
    float *runs[5];
    int64_t n = 0;
    double oob[5];
    for (int r = 0; r < 5; r++) {
        deep_forest *forest;
        OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
        OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 12));
        OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, r == 2 || r == 4 ? 2 : 1));
        OK(deep_forest_set_int(forest, DEEP_TREE_SPLITTER, r >= 3 ? DEEP_SPLITTER_HISTOGRAM : DEEP_SPLITTER_EXACT));
        OK(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1));
        OK(deep_forest_set_int(forest, DEEP_TREE_SEED, 77));
        OK(deep_forest_fit(forest, d));
        OK(deep_forest_oob_score(forest, &oob[r]));
        forest_proba(forest, d, &runs[r], &n);
        int64_t count;
        OK(deep_forest_tree_count(forest, &count));
        ck_assert_int_eq(count, 12);
        double importances[6], sum = 0;
        OK(deep_forest_feature_importances(forest, importances, 6, &(int64_t){0}));
        for (int f = 0; f < 6; f++)
            sum += importances[f];
        ck_assert_double_eq_tol(sum, 1.0, 1e-12);
        deep_forest_free(forest);
    }
    ck_assert_int_eq(memcmp(runs[0], runs[1], (size_t)n * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(runs[0], runs[2], (size_t)n * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(runs[3], runs[4], (size_t)n * sizeof(float)), 0);
    ck_assert_double_eq(oob[0], oob[2]);
    ck_assert_double_eq(oob[3], oob[4]);
    ck_assert_double_gt(oob[0], 0.65); /* scikit-learn: 0.69 to 0.74 on such data */
    ck_assert_double_le(oob[0], 1.0);
    for (int64_t i = 0; i < n; i += 3)
        ck_assert_double_eq_tol(runs[0][i] + runs[0][i + 1] + runs[0][i + 2], 1.0, 1e-5);
    for (int r = 0; r < 5; r++)
        free(runs[r]);
    deep_dataset_free(d);
}
END_TEST

START_TEST(forest_generalises)
{
    deep_dataset *train = blobs(400, 4, 2, 1), *test = blobs(200, 4, 2, 2);
    deep_forest *forest;
    OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 20));
    OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 2));
    OK(deep_forest_fit(forest, train));
    double score, tree_score;
    OK(deep_forest_score(forest, test, &score));
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    OK(deep_tree_fit(tree, train));
    OK(deep_tree_score(tree, test, &tree_score));
    ck_assert_double_gt(score, 0.78); /* scikit-learn: 0.82 to 0.86 on such data */
    ck_assert_double_ge(score, tree_score - 0.02);
    FAILS(deep_forest_oob_score(forest, &score), DEEP_ERR_STATE, "deep_forest_oob_score");
    deep_tree_free(tree);
    deep_forest_free(forest);
    deep_forest_free(NULL);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

START_TEST(forest_regressor)
{
    float x[200], y[200];
    for (int i = 0; i < 200; i++) {
        x[i] = (float)i / 20.0f;
        y[i] = sinf(x[i]);
    }
    deep_dataset *d = table(200, 1, x, NULL, y);
    deep_forest *forest;
    OK(deep_forest_new(DEEP_TREE_REGRESSOR, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 10));
    OK(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1));
    OK(deep_forest_set_float(forest, DEEP_FOREST_MAX_SAMPLES, 0.5));
    OK(deep_forest_fit(forest, d));
    double score, oob;
    OK(deep_forest_score(forest, d, &score));
    OK(deep_forest_oob_score(forest, &oob));
    ck_assert_double_gt(score, 0.95);
    ck_assert_double_gt(oob, 0.9);
    deep_tensor *in = rows(1, 1, (const float[]){1.5f}), *out;
    FAILS(deep_forest_predict_proba(forest, in, &out), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_predict_proba");
    ck_assert_ptr_null(out);
    OK(deep_forest_predict(forest, in, &out));
    ck_assert_double_eq_tol(out->data[0], sin(1.5), 0.1);
    deep_tensor_free(out);
    deep_tensor_free(in);
    deep_forest_free(forest);
    deep_dataset_free(d);
}
END_TEST

START_TEST(cross_validation)
{
    deep_dataset *d = blobs(200, 4, 2, 4);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    OK(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, 3));
    double a[5], b[5];
    OK(deep_tree_cross_val_score(tree, d, 5, 42, a, 5, &(int64_t){0}));
    OK(deep_tree_cross_val_score(tree, d, 5, 42, b, 5, &(int64_t){0}));
    for (int k = 0; k < 5; k++) {
        ck_assert_double_eq(a[k], b[k]);
        ck_assert_double_gt(a[k], 0.6);
        ck_assert_double_le(a[k], 1.0);
    }
    int64_t count;
    FAILS(deep_tree_node_count(tree, &count), DEEP_ERR_STATE, "deep_tree_node_count"); /* still unfitted */
    FAILS(deep_tree_cross_val_score(tree, d, 1, 42, a, 5, &(int64_t){0}), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_cross_val_score");
    FAILS(deep_tree_cross_val_score(tree, d, 5, 42, a, 4, &(int64_t){0}), DEEP_ERR_BUFFER_TOO_SMALL, "deep_tree_cross_val_score");
    FAILS(deep_tree_cross_val_score(NULL, d, 5, 42, a, 5, &(int64_t){0}), DEEP_ERR_NULL, "deep_tree_cross_val_score");
    deep_dataset *unlabeled = table(3, 1, (const float[]){1, 2, 3}, NULL, NULL);
    FAILS(deep_tree_cross_val_score(tree, unlabeled, 2, 42, a, 5, &(int64_t){0}), DEEP_ERR_STATE, "deep_tree_cross_val_score");
    deep_forest *forest;
    OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 5));
    OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 1));
    OK(deep_forest_cross_val_score(forest, d, 3, 1, a, 5, &(int64_t){0}));
    for (int k = 0; k < 3; k++)
        ck_assert_double_gt(a[k], 0.6);
    deep_forest_free(forest);
    deep_tree_free(tree);
    deep_dataset_free(unlabeled);
    deep_dataset_free(d);
}
END_TEST

/* Stratified cross-validation (since 1.2): on samples sorted by class, unshuffled plain
 * k-fold tests classes the learner never saw, stratified folds (scikit-learn's choice for
 * a classifier, DEEP_CV_AUTO) do not. */
START_TEST(cross_validation_stratified)
{
    float x[90];
    int32_t labels[90];
    for (int i = 0; i < 90; i++) {
        labels[i] = i / 30;
        x[i] = (float)labels[i] + 0.01f * (float)(i % 30);
    }
    deep_dataset *d = table(90, 1, x, labels, NULL);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    double plain[3], auto_[3], strat[3], old[3];
    OK(deep_tree_cross_val_score_cv(tree, d, 3, DEEP_CV_KFOLD, 0, 0, plain, 3, &(int64_t){0}));
    OK(deep_tree_cross_val_score_cv(tree, d, 3, DEEP_CV_AUTO, 0, 0, auto_, 3, &(int64_t){0}));
    OK(deep_tree_cross_val_score_cv(tree, d, 3, DEEP_CV_STRATIFIED, 0, 0, strat, 3, &(int64_t){0}));
    for (int k = 0; k < 3; k++) {
        ck_assert_double_eq(plain[k], 0.0); /* each test fold is a class absent from training */
        ck_assert_double_eq(auto_[k], 1.0);
        ck_assert_double_eq(strat[k], auto_[k]);
    }
    /* Shuffled plain k-fold is the 1.0 call's. */
    OK(deep_tree_cross_val_score_cv(tree, d, 3, DEEP_CV_KFOLD, 1, 9, plain, 3, &(int64_t){0}));
    OK(deep_tree_cross_val_score(tree, d, 3, 9, old, 3, &(int64_t){0}));
    for (int k = 0; k < 3; k++)
        ck_assert_double_eq(plain[k], old[k]);
    const char *f = "deep_tree_cross_val_score_cv";
    FAILS(deep_tree_cross_val_score_cv(tree, d, 3, (deep_cv)7, 0, 0, strat, 3, &(int64_t){0}), DEEP_ERR_INVALID_ARGUMENT, f);
    FAILS(deep_tree_cross_val_score_cv(tree, d, 3, DEEP_CV_AUTO, 2, 0, strat, 3, &(int64_t){0}), DEEP_ERR_INVALID_ARGUMENT, f);
    FAILS(deep_tree_cross_val_score_cv(NULL, d, 3, DEEP_CV_AUTO, 0, 0, strat, 3, &(int64_t){0}), DEEP_ERR_NULL, f);
    FAILS(deep_tree_cross_val_score_cv(tree, d, 31, DEEP_CV_AUTO, 0, 0, strat, 31, &(int64_t){0}), DEEP_ERR_INVALID_ARGUMENT, f);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "no class has that many samples"));
    /* A regressor: AUTO is plain k-fold, STRATIFIED an error. */
    float y[90];
    for (int i = 0; i < 90; i++)
        y[i] = x[i] * 2;
    deep_dataset *r = table(90, 1, x, NULL, y);
    deep_forest *forest;
    OK(deep_forest_new(DEEP_TREE_REGRESSOR, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 3));
    OK(deep_forest_cross_val_score_cv(forest, r, 3, DEEP_CV_AUTO, 1, 0, strat, 3, &(int64_t){0}));
    for (int k = 0; k < 3; k++)
        ck_assert_double_gt(strat[k], 0.9);
    FAILS(deep_forest_cross_val_score_cv(forest, r, 3, DEEP_CV_STRATIFIED, 1, 0, strat, 3, &(int64_t){0}),
          DEEP_ERR_INVALID_ARGUMENT, "deep_forest_cross_val_score_cv");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "stratified folds need class labels"));
    deep_forest_free(forest);
    deep_dataset_free(r);
    deep_tree_free(tree);
    deep_dataset_free(d);
}
END_TEST

/* Predicting with one fitted forest from several threads at once is allowed. */
struct predictor {
    const deep_forest *forest;
    const deep_tensor *x;
    deep_tensor *out;
    deep_status status;
};

static void *predict_thread(void *raw)
{
    struct predictor *p = raw;
    for (int k = 0; k < 5 && p->status == DEEP_OK; k++) {
        deep_tensor_free(p->out);
        p->out = NULL;
        p->status = deep_forest_predict_proba(p->forest, p->x, &p->out);
    }
    return NULL;
}

START_TEST(forest_class_weights)
{
    /* The tree case above, as a forest of trees that all see every row (no bootstrap,
     * the one feature): weights reach each tree, and a wrong count fails the fit. */
    const float x[] = {0, 1, 2, 3, 4, 5};
    const int32_t y[] = {0, 0, 0, 0, 0, 1};
    deep_dataset *d = table(6, 1, x, y, NULL);
    deep_forest *forest;
    OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 3));
    OK(deep_forest_set_int(forest, DEEP_FOREST_BOOTSTRAP, 0));
    OK(deep_forest_set_int(forest, DEEP_TREE_MAX_DEPTH, 1));
    OK(deep_forest_set_int(forest, DEEP_TREE_MIN_SAMPLES_LEAF, 3));
    OK(deep_forest_fit(forest, d));
    deep_tensor *in = rows(1, 1, (const float[]){5}), *out;
    OK(deep_forest_predict(forest, in, &out));
    ck_assert_float_eq(out->data[0], 0);
    deep_tensor_free(out);
    OK(deep_forest_set_class_weights(forest, (const double[]){1, 5}, 2));
    OK(deep_forest_fit(forest, d));
    OK(deep_forest_predict(forest, in, &out));
    ck_assert_float_eq(out->data[0], 1);
    deep_tensor_free(out);
    OK(deep_forest_set_class_weights(forest, (const double[]){1, 5, 1}, 3));
    FAILS(deep_forest_fit(forest, d), DEEP_ERR_SHAPE, "deep_forest_fit");
    FAILS(deep_forest_set_class_weights(forest, (const double[]){1, -1}, 2), DEEP_ERR_INVALID_ARGUMENT,
          "deep_forest_set_class_weights");
    FAILS(deep_forest_set_class_weights(NULL, (const double[]){1, 1}, 2), DEEP_ERR_NULL,
          "deep_forest_set_class_weights");
    deep_tensor_free(in);
    deep_forest_free(forest);
    deep_dataset_free(d);
}
END_TEST

START_TEST(forest_concurrent_predict)
{
    /* Enough rows that each predict call spreads them over threads of its own; the result
     * equals one thread's. */
    deep_dataset *d = blobs(1500, 4, 3, 12);
    deep_forest *forest;
    OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 8));
    OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 2));
    OK(deep_forest_fit(forest, d));
    deep_tensor *x, *expect, *serial;
    OK(deep_dataset_features(d, &x));
    OK(deep_forest_predict_proba(forest, x, &expect));
    OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 1));
    OK(deep_forest_predict_proba(forest, x, &serial));
    ck_assert_int_eq(memcmp(serial->data, expect->data, (size_t)expect->size * sizeof(float)), 0);
    deep_tensor_free(serial);
    OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 2));
    struct predictor p[3];
    pthread_t threads[3];
    for (int t = 0; t < 3; t++) {
        p[t] = (struct predictor){forest, x, NULL, DEEP_OK};
        ck_assert_int_eq(pthread_create(&threads[t], NULL, predict_thread, &p[t]), 0);
    }
    for (int t = 0; t < 3; t++) {
        pthread_join(threads[t], NULL);
        OK(p[t].status);
        ck_assert_int_eq(memcmp(p[t].out->data, expect->data, (size_t)expect->size * sizeof(float)), 0);
        deep_tensor_free(p[t].out);
    }
    deep_tensor_free(expect);
    deep_tensor_free(x);
    deep_forest_free(forest);
    deep_dataset_free(d);
}
END_TEST

/* ---------------------------------------------------------------- model files */

static char tmpdir[64];

static unsigned char *slurp(const char *path, long *length)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *length = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)*length);
    ck_assert_int_eq((long)fread(bytes, 1, (size_t)*length, f), *length);
    fclose(f);
    return bytes;
}

static void spill(const char *path, const unsigned char *bytes, long length)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq((long)fwrite(bytes, 1, (size_t)length, f), length);
    fclose(f);
}

START_TEST(save_and_load)
{
    char path[128], bad[128];
    snprintf(path, sizeof path, "%s/tree.bin", tmpdir);
    snprintf(bad, sizeof bad, "%s/bad.bin", tmpdir);
    deep_dataset *d = blobs(120, 3, 3, 8);
    deep_tensor *x;
    OK(deep_dataset_features(d, &x));
    deep_tree *tree, *loaded = (deep_tree *)&tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    FAILS(deep_tree_save(tree, path), DEEP_ERR_STATE, "deep_tree_save");
    OK(deep_tree_set_int(tree, DEEP_TREE_CRITERION, DEEP_CRITERION_ENTROPY));
    OK(deep_tree_set_class_weights(tree, (const double[]){1, 2, 3}, 3));
    OK(deep_tree_fit(tree, d));
    OK(deep_tree_save(tree, path));
    OK(deep_tree_load(path, &loaded));
    int64_t n1, n2, j1, j2;
    OK(deep_tree_to_json(tree, NULL, 0, &j1));
    OK(deep_tree_to_json(loaded, NULL, 0, &j2));
    ck_assert_int_eq(j1, j2);
    char *a = malloc((size_t)j1), *b = malloc((size_t)j2);
    OK(deep_tree_to_json(tree, a, j1, &j1));
    OK(deep_tree_to_json(loaded, b, j2, &j2));
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    OK(deep_tree_node_count(loaded, &n2));
    OK(deep_tree_node_count(tree, &n1));
    ck_assert_int_eq(n1, n2);
    /* The settings came back too: refitting gives the same tree. */
    OK(deep_tree_fit(loaded, d));
    OK(deep_tree_node_count(loaded, &n2));
    ck_assert_int_eq(n1, n2);
    deep_tree_free(loaded);

    /* Every truncation, a wrong magic, a newer version, trailing bytes and a child index
     * pointing backwards are format errors, never crashes. */
    long length;
    unsigned char *bytes = slurp(path, &length);
    for (long cut = 0; cut < length; cut += (cut < 200 ? 1 : 37)) {
        spill(bad, bytes, cut);
        FAILS(deep_tree_load(bad, &loaded), DEEP_ERR_FORMAT, "deep_tree_load");
        ck_assert_ptr_null(loaded);
    }
    unsigned char *copy = malloc((size_t)length + 1);
    memcpy(copy, bytes, (size_t)length);
    copy[length] = 0;
    spill(bad, copy, length + 1);
    FAILS(deep_tree_load(bad, &loaded), DEEP_ERR_FORMAT, "deep_tree_load");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "unexpected bytes"));
    copy[8] = 2; /* version */
    spill(bad, copy, length);
    FAILS(deep_tree_load(bad, &loaded), DEEP_ERR_FORMAT, "deep_tree_load");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "version 2"));
    memcpy(copy, bytes, (size_t)length);
    copy[0] = 'X';
    spill(bad, copy, length);
    FAILS(deep_forest_load(path, (deep_forest **)&loaded), DEEP_ERR_FORMAT, "deep_forest_load");
    FAILS(deep_tree_load(bad, &loaded), DEEP_ERR_FORMAT, "deep_tree_load");
    /* The root's left child (16 header + 76 settings + 3 class weights * 8 + 28 model) set to 0. */
    memcpy(copy, bytes, (size_t)length);
    long root = 16 + 76 + 24 + 28;
    ck_assert_int_ge((int32_t)(copy[root] | copy[root + 1] << 8), 0); /* a split */
    memset(copy + root + 4, 0, 4);
    spill(bad, copy, length);
    FAILS(deep_tree_load(bad, &loaded), DEEP_ERR_FORMAT, "deep_tree_load");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "node 0"));
    /* A setting the setters refuse (max_depth 0, at byte 16 + 8) is reported once, as the
     * loader's own error: the nested setter's message is not repeated with its name. */
    memcpy(copy, bytes, (size_t)length);
    memset(copy + 24, 0, 8);
    spill(bad, copy, length);
    FAILS(deep_tree_load(bad, &loaded), DEEP_ERR_FORMAT, "deep_tree_load");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "max_depth must be >= 1"));
    ck_assert_msg(strstr(deep_last_error() + 1, "deep_tree_load") == NULL, "%s", deep_last_error());
    free(copy);
    free(bytes);
    snprintf(bad, sizeof bad, "%s/missing.bin", tmpdir);
    FAILS(deep_tree_load(bad, &loaded), DEEP_ERR_IO, "deep_tree_load");
    FAILS(deep_tree_load(NULL, &loaded), DEEP_ERR_NULL, "deep_tree_load");
    FAILS(deep_tree_save(tree, NULL), DEEP_ERR_NULL, "deep_tree_save");
    deep_tree_free(tree);

    /* A forest comes back predicting the same probabilities, OOB score included. */
    deep_forest *forest, *back;
    OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 6));
    OK(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1));
    OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 1));
    FAILS(deep_forest_save(forest, path), DEEP_ERR_STATE, "deep_forest_save");
    OK(deep_forest_fit(forest, d));
    OK(deep_forest_save(forest, path));
    OK(deep_forest_load(path, &back));
    deep_tensor *p1, *p2;
    OK(deep_forest_predict_proba(forest, x, &p1));
    OK(deep_forest_predict_proba(back, x, &p2));
    ck_assert_int_eq(memcmp(p1->data, p2->data, (size_t)p1->size * sizeof(float)), 0);
    double o1, o2;
    OK(deep_forest_oob_score(forest, &o1));
    OK(deep_forest_oob_score(back, &o2));
    ck_assert_double_eq(o1, o2);
    FAILS(deep_tree_load(path, &loaded), DEEP_ERR_FORMAT, "deep_tree_load");
    bytes = slurp(path, &length);
    for (long cut = 0; cut < length; cut += 97) {
        spill(bad, bytes, cut);
        deep_forest *none = (deep_forest *)&none;
        FAILS(deep_forest_load(bad, &none), DEEP_ERR_FORMAT, "deep_forest_load");
        ck_assert_ptr_null(none);
    }
    free(bytes);
    /* max_samples is a count or a fraction, never both (the setters clear the other one, and
     * the getters answer to one kind): a file holding both is refused. The count sits at
     * byte 16 + 76 settings + 16 (n_estimators, bootstrap, oob_score). */
    OK(deep_forest_set_float(forest, DEEP_FOREST_MAX_SAMPLES, 0.5));
    OK(deep_forest_save(forest, path));
    bytes = slurp(path, &length);
    ck_assert_int_eq(bytes[108], 0);
    bytes[108] = 5;
    spill(bad, bytes, length);
    deep_forest *both = (deep_forest *)&both;
    FAILS(deep_forest_load(bad, &both), DEEP_ERR_FORMAT, "deep_forest_load");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "max_samples"));
    ck_assert_ptr_null(both);
    free(bytes);
    deep_tensor_free(p1);
    deep_tensor_free(p2);
    deep_forest_free(forest);
    deep_forest_free(back);
    deep_tensor_free(x);
    deep_dataset_free(d);
    unlink(path);
    unlink(bad);
}
END_TEST

/* ---------------------------------------------------------------- extreme settings */

/* A label of INT32_MAX with num_classes 0 used to wrap the inferred class count to a
 * negative one, on which deep_tree_fit crashed. It is refused, and the labels stay. */
START_TEST(label_int32_max_refused)
{
    const float x[] = {0, 1, 2, 3};
    const int32_t y[] = {0, 1, 0, 1}, huge[] = {0, INT32_MAX, 0, 1};
    deep_dataset *d = table(4, 1, x, y, NULL);
    FAILS(deep_dataset_set_labels(d, huge, 4, 0), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_set_labels");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "label 2147483647 leaves no room for the class count"));
    int32_t classes;
    OK(deep_dataset_num_classes(d, &classes));
    ck_assert_int_eq(classes, 2);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    OK(deep_tree_fit(tree, d));
    double score;
    OK(deep_tree_score(tree, d, &score));
    ck_assert_double_eq(score, 1.0);
    /* Given explicitly, INT32_MAX - 1 is the largest label num_classes INT32_MAX allows. */
    FAILS(deep_dataset_set_labels(d, huge, 4, INT32_MAX), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_set_labels");
    deep_tree_free(tree);
    deep_dataset_free(d);
}
END_TEST

/* Counts as large as INT64_MAX, from the setters or from a file, only stop the splits:
 * min_samples_leaf used to be doubled in the split test, a signed overflow (UBSan). */
static void check_one_leaf(deep_tree *tree, const deep_dataset *d)
{
    int64_t nodes;
    OK(deep_tree_fit(tree, d));
    OK(deep_tree_node_count(tree, &nodes));
    ck_assert_int_eq(nodes, 1);
}

START_TEST(huge_counts_do_not_overflow)
{
    deep_dataset *d = blobs(60, 3, 2, 5);
    const deep_tree_option counts[] = {DEEP_TREE_MIN_SAMPLES_LEAF, DEEP_TREE_MIN_SAMPLES_SPLIT};
    for (int splitter = DEEP_SPLITTER_EXACT; splitter <= DEEP_SPLITTER_HISTOGRAM; splitter++)
        for (int i = 0; i < 2; i++) {
            deep_tree *tree;
            OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
            OK(deep_tree_set_int(tree, DEEP_TREE_SPLITTER, splitter));
            OK(deep_tree_set_int(tree, counts[i], INT64_MAX));
            OK(deep_tree_set_int(tree, DEEP_TREE_MAX_FEATURES, INT64_MAX));
            check_one_leaf(tree, d);
            deep_tree_free(tree);
        }
    /* Half the samples is still a valid leaf size: 60 rows split into 30 and 30 at most. */
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    OK(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_LEAF, (INT64_MAX / 2) + 1));
    check_one_leaf(tree, d);
    OK(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_LEAF, 30));
    OK(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, INT64_MAX));
    OK(deep_tree_fit(tree, d));
    int64_t nodes;
    OK(deep_tree_node_count(tree, &nodes));
    ck_assert_int_eq(nodes, 3);
    OK(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_LEAF, 1));

    /* The same from files: min_samples_leaf is the i64 at byte 16 + 4 + 4 + 8 + 8 = 40. */
    char path[128];
    snprintf(path, sizeof path, "%s/huge.bin", tmpdir);
    OK(deep_tree_save(tree, path));
    long length;
    unsigned char *bytes = slurp(path, &length);
    const unsigned char max[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    memcpy(bytes + 40, max, 8);
    spill(path, bytes, length);
    free(bytes);
    deep_tree *loaded;
    OK(deep_tree_load(path, &loaded));
    check_one_leaf(loaded, d);
    deep_tree_free(loaded);
    deep_tree_free(tree);

    deep_forest *forest, *back;
    OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 3));
    OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 1));
    OK(deep_forest_set_int(forest, DEEP_FOREST_MAX_SAMPLES, 60));
    OK(deep_forest_fit(forest, d));
    OK(deep_forest_save(forest, path));
    bytes = slurp(path, &length);
    memcpy(bytes + 40, max, 8);
    spill(path, bytes, length);
    free(bytes);
    OK(deep_forest_load(path, &back));
    OK(deep_forest_fit(back, d));
    double importances[3];
    OK(deep_forest_feature_importances(back, importances, 3, &(int64_t){0}));
    for (int f = 0; f < 3; f++)
        ck_assert_double_eq(importances[f], 0.0); /* no tree split */
    deep_forest_free(back);
    deep_forest_free(forest);
    unlink(path);
    deep_dataset_free(d);
}
END_TEST

/* ---------------------------------------------------------------- misuse */

START_TEST(misuse)
{
    deep_tree *tree = (deep_tree *)&tree;
    FAILS(deep_tree_new(DEEP_TREE_CLASSIFIER, NULL), DEEP_ERR_NULL, "deep_tree_new");
    FAILS(deep_tree_new((deep_tree_kind)7, &tree), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_new");
    ck_assert_ptr_null(tree);
    FAILS(deep_tree_set_int(NULL, DEEP_TREE_MAX_DEPTH, 3), DEEP_ERR_NULL, "deep_tree_set_int");
    FAILS(deep_tree_fit(NULL, NULL), DEEP_ERR_NULL, "deep_tree_fit");
    OK(deep_tree_new(DEEP_TREE_REGRESSOR, &tree));
    FAILS(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_int");
    FAILS(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, -1), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_int");
    FAILS(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_SPLIT, 1), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_int");
    FAILS(deep_tree_set_int(tree, DEEP_TREE_MIN_SAMPLES_LEAF, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_int");
    FAILS(deep_tree_set_int(tree, DEEP_TREE_CRITERION, DEEP_CRITERION_GINI), DEEP_ERR_INVALID_ARGUMENT,
          "deep_tree_set_int");
    FAILS(deep_tree_set_int(tree, DEEP_TREE_MAX_BINS, 257), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_int");
    FAILS(deep_tree_set_int(tree, DEEP_FOREST_N_ESTIMATORS, 5), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_int");
    FAILS(deep_tree_set_float(tree, DEEP_TREE_MAX_DEPTH, 5), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_float");
    FAILS(deep_tree_set_float(tree, DEEP_TREE_MAX_FEATURES, 1.5), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_float");
    FAILS(deep_tree_set_float(tree, DEEP_TREE_MIN_IMPURITY_DECREASE, NAN), DEEP_ERR_INVALID_ARGUMENT,
          "deep_tree_set_float");
    FAILS(deep_tree_set_class_weights(tree, (const double[]){1, 2}, 2), DEEP_ERR_INVALID_ARGUMENT,
          "deep_tree_set_class_weights");

    const float x[] = {1, 2, 3, 4, 5, 6};
    const int32_t y[] = {0, 1, 0};
    deep_dataset *unlabeled = table(3, 2, x, NULL, NULL), *labeled = table(3, 2, x, y, NULL);
    deep_tensor *in = rows(1, 2, (const float[]){1, 2}), *out = (deep_tensor *)&out;
    double score;
    int64_t count;
    FAILS(deep_tree_predict(tree, in, &out), DEEP_ERR_STATE, "deep_tree_predict");
    ck_assert_ptr_null(out);
    FAILS(deep_tree_node_count(tree, &count), DEEP_ERR_STATE, "deep_tree_node_count");
    FAILS(deep_tree_score(tree, labeled, &score), DEEP_ERR_STATE, "deep_tree_score");
    FAILS(deep_tree_fit(tree, unlabeled), DEEP_ERR_STATE, "deep_tree_fit");
    deep_dataset *nan_targets = table(3, 2, x, NULL, (const float[]){1, NAN, 2});
    FAILS(deep_tree_fit(tree, nan_targets), DEEP_ERR_NUMERIC, "deep_tree_fit");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "sample 1"));
    deep_dataset_free(nan_targets);
    OK(deep_tree_fit(tree, labeled));
    FAILS(deep_tree_predict_proba(tree, in, &out), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_predict_proba");
    FAILS(deep_tree_node(tree, 99, NULL, NULL, NULL, NULL), DEEP_ERR_OUT_OF_RANGE, "deep_tree_node");
    double v[1];
    int64_t width = 0;
    OK(deep_tree_node_value(tree, 0, NULL, 0, &width)); /* the size query: a regressor's one value */
    ck_assert_int_eq(width, 1);
    FAILS(deep_tree_node_value(tree, 0, v, -1, &width), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_node_value");
    deep_tree_free(tree);

    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    FAILS(deep_tree_fit(tree, unlabeled), DEEP_ERR_STATE, "deep_tree_fit");
    OK(deep_tree_fit(tree, labeled));
    deep_tensor *wide = rows(1, 3, (const float[]){1, 2, 3});
    FAILS(deep_tree_predict(tree, wide, &out), DEEP_ERR_SHAPE, "deep_tree_predict");
    ck_assert_ptr_null(out);
    deep_dataset *wide_data = table(2, 3, x, y, NULL);
    FAILS(deep_tree_score(tree, wide_data, &score), DEEP_ERR_SHAPE, "deep_tree_score");
    FAILS(deep_tree_score(tree, unlabeled, &score), DEEP_ERR_STATE, "deep_tree_score");
    FAILS(deep_tree_predict(tree, NULL, &out), DEEP_ERR_NULL, "deep_tree_predict");
    deep_tensor *nan_in = rows(2, 2, (const float[]){1, 2, 3, NAN});
    FAILS(deep_tree_predict(tree, nan_in, &out), DEEP_ERR_NUMERIC, "deep_tree_predict");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "row 1, feature 1"));
    deep_dataset *nan_data = table(3, 2, (const float[]){1, 2, INFINITY, 4, 5, 6}, y, NULL);
    FAILS(deep_tree_fit(tree, nan_data), DEEP_ERR_NUMERIC, "deep_tree_fit");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "sample 1, feature 0"));
    deep_tree_free(tree);

    deep_forest *forest = (deep_forest *)&forest;
    FAILS(deep_forest_new((deep_tree_kind)0, &forest), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_new");
    ck_assert_ptr_null(forest);
    FAILS(deep_forest_fit(NULL, labeled), DEEP_ERR_NULL, "deep_forest_fit");
    OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    FAILS(deep_forest_set_int(forest, DEEP_TREE_MAX_DEPTH, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_set_int");
    FAILS(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 0), DEEP_ERR_INVALID_ARGUMENT,
          "deep_forest_set_int");
    FAILS(deep_forest_set_int(forest, DEEP_FOREST_BOOTSTRAP, 2), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_set_int");
    FAILS(deep_forest_set_int(forest, DEEP_FOREST_THREADS, -1), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_set_int");
    FAILS(deep_forest_set_float(forest, DEEP_FOREST_MAX_SAMPLES, 0), DEEP_ERR_INVALID_ARGUMENT,
          "deep_forest_set_float");
    FAILS(deep_forest_predict(forest, in, &out), DEEP_ERR_STATE, "deep_forest_predict");
    FAILS(deep_forest_oob_score(forest, &score), DEEP_ERR_STATE, "deep_forest_oob_score");
    OK(deep_forest_set_int(forest, DEEP_FOREST_MAX_SAMPLES, 4));
    FAILS(deep_forest_fit(forest, labeled), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_fit");
    OK(deep_forest_set_int(forest, DEEP_FOREST_MAX_SAMPLES, 0));
    OK(deep_forest_set_int(forest, DEEP_FOREST_BOOTSTRAP, 0));
    OK(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1));
    FAILS(deep_forest_fit(forest, labeled), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_fit");
    OK(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 0));
    FAILS(deep_forest_fit(forest, unlabeled), DEEP_ERR_STATE, "deep_forest_fit");
    FAILS(deep_forest_fit(forest, nan_data), DEEP_ERR_NUMERIC, "deep_forest_fit");
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 3));
    OK(deep_forest_fit(forest, labeled));
    FAILS(deep_forest_predict(forest, nan_in, &out), DEEP_ERR_NUMERIC, "deep_forest_predict");
    FAILS(deep_forest_predict(forest, wide, &out), DEEP_ERR_SHAPE, "deep_forest_predict");
    FAILS(deep_forest_score(forest, wide_data, &score), DEEP_ERR_SHAPE, "deep_forest_score");
    deep_forest_free(forest);

    deep_tensor_free(in);
    deep_tensor_free(wide);
    deep_tensor_free(nan_in);
    deep_dataset_free(unlabeled);
    deep_dataset_free(labeled);
    deep_dataset_free(wide_data);
    deep_dataset_free(nan_data);
}
END_TEST

/* Every splitter of deep.h is accepted (validity is a switch the compiler checks, not a
 * range of enumerators), and a value none of them has is refused. */
START_TEST(every_splitter_accepted)
{
    header_enum e;
    header_enum_read("deep_splitter", &e);
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    long largest = 0;
    for (int i = 0; i < e.count; i++) {
        ck_assert_msg(deep_tree_set_int(tree, DEEP_TREE_SPLITTER, e.values[i]) == DEEP_OK, "%s refused: %s",
                      e.names[i], deep_last_error());
        largest = e.values[i] > largest ? e.values[i] : largest;
    }
    FAILS(deep_tree_set_int(tree, DEEP_TREE_SPLITTER, largest + 1), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_int");
    FAILS(deep_tree_set_int(tree, DEEP_TREE_SPLITTER, -1), DEEP_ERR_INVALID_ARGUMENT, "deep_tree_set_int");
    FAILS(deep_tree_set_int(tree, DEEP_TREE_SPLITTER, (int64_t)1 << 32), DEEP_ERR_INVALID_ARGUMENT,
          "deep_tree_set_int");
    deep_tree_free(tree);
}
END_TEST

/* The forest file's bytes (malloc'ed) and their count. */
static unsigned char *forest_bytes(const deep_forest *forest, int64_t *size)
{
    OK(deep_forest_save_buffer(forest, NULL, 0, size));
    unsigned char *bytes = malloc((size_t)*size);
    OK(deep_forest_save_buffer(forest, bytes, *size, &(int64_t){0}));
    return bytes;
}

static deep_forest *piece_forest(deep_tree_kind kind, int64_t trees, bool oob)
{
    deep_forest *forest;
    OK(deep_forest_new(kind, &forest));
    OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, trees));
    OK(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, oob));
    OK(deep_forest_set_int(forest, DEEP_TREE_SEED, 5));
    OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 2));
    return forest;
}

/* Ranges grown apart (through their files, as processes would exchange them), joined in
 * order, make the forest deep_forest_fit grows: same file bytes, OOB score, importances. */
START_TEST(forest_in_pieces)
{
    float x[300], y[300];
    for (int i = 0; i < 300; i++) {
        x[i] = (float)(i % 150) / 15.0f;
        y[i] = sinf(x[i]) + (float)(i % 7) * 0.01f;
    }
    deep_dataset *data[2] = {blobs(240, 5, 3, 9), table(300, 1, x, NULL, y)};
    for (int k = 0; k < 2; k++) {
        deep_tree_kind kind = k == 0 ? DEEP_TREE_CLASSIFIER : DEEP_TREE_REGRESSOR;
        int64_t features = k == 0 ? 5 : 1;
        deep_forest *whole = piece_forest(kind, 7, true), *joined = piece_forest(kind, 7, true);
        OK(deep_forest_fit(whole, data[k]));
        /* Ranges [0, 3), [3, 4), [4, 7); the joined forest grows [3, 4) itself. */
        const int64_t first[3] = {0, 3, 4}, count[3] = {3, 1, 3};
        deep_forest *parts[3];
        for (int p = 0; p < 3; p++) {
            deep_forest *grown = p == 1 ? joined : piece_forest(kind, 7, true);
            OK(deep_forest_fit_trees(grown, data[k], first[p], count[p]));
            FAILS(deep_forest_oob_score(grown, &(double){0}), DEEP_ERR_STATE, "deep_forest_oob_score");
            if (p == 1) {
                parts[p] = grown;
                continue;
            }
            int64_t size;
            unsigned char *bytes = forest_bytes(grown, &size);
            OK(deep_forest_load_buffer(bytes, size, &parts[p]));
            free(bytes);
            deep_forest_free(grown);
        }
        OK(deep_forest_join(joined, (const deep_forest *const *)parts, 3));
        int64_t trees;
        OK(deep_forest_tree_count(joined, &trees));
        ck_assert_int_eq(trees, 7);
        FAILS(deep_forest_oob_score(joined, &(double){0}), DEEP_ERR_STATE, "deep_forest_oob_score");
        OK(deep_forest_compute_oob_score(joined, data[k]));
        double a, b, ia[5], ib[5];
        OK(deep_forest_oob_score(whole, &a));
        OK(deep_forest_oob_score(joined, &b));
        ck_assert_double_eq(a, b);
        ck_assert_double_gt(a, 0.5);
        OK(deep_forest_feature_importances(whole, ia, 5, &(int64_t){0}));
        OK(deep_forest_feature_importances(joined, ib, 5, &(int64_t){0}));
        ck_assert_int_eq(memcmp(ia, ib, (size_t)features * sizeof *ia), 0);
        int64_t size_a, size_b;
        unsigned char *bytes_a = forest_bytes(whole, &size_a), *bytes_b = forest_bytes(joined, &size_b);
        ck_assert_int_eq(size_a, size_b);
        ck_assert_int_eq(memcmp(bytes_a, bytes_b, (size_t)size_a), 0);
        /* The buffer holds the file deep_forest_save writes. */
        char path[128];
        snprintf(path, sizeof path, "%s/pieces.forest", tmpdir);
        OK(deep_forest_save(whole, path));
        long length;
        unsigned char *file = slurp(path, &length);
        ck_assert_int_eq(length, size_a);
        ck_assert_int_eq(memcmp(file, bytes_a, (size_t)length), 0);
        unlink(path);
        free(file);
        free(bytes_a);
        free(bytes_b);
        deep_forest_free(parts[0]);
        deep_forest_free(parts[2]);
        deep_forest_free(joined);
        deep_forest_free(whole);
    }
    deep_dataset_free(data[0]);
    deep_dataset_free(data[1]);
}
END_TEST

START_TEST(forest_pieces_misuse)
{
    deep_dataset *d = blobs(60, 3, 2, 4), *wide = blobs(60, 4, 2, 4);
    deep_forest *forest = piece_forest(DEEP_TREE_CLASSIFIER, 4, false), *other = piece_forest(DEEP_TREE_CLASSIFIER, 4, false);
    FAILS(deep_forest_fit_trees(NULL, d, 0, 1), DEEP_ERR_NULL, "deep_forest_fit_trees");
    FAILS(deep_forest_fit_trees(forest, NULL, 0, 1), DEEP_ERR_NULL, "deep_forest_fit_trees");
    FAILS(deep_forest_fit_trees(forest, d, 3, 2), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_fit_trees");
    FAILS(deep_forest_fit_trees(forest, d, -1, 2), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_fit_trees");
    FAILS(deep_forest_fit_trees(forest, d, 0, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_fit_trees");
    FAILS(deep_forest_fit_trees(forest, d, INT64_MAX, INT64_MAX), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_fit_trees");
    const deep_forest *parts[2] = {forest, other};
    FAILS(deep_forest_join(forest, parts, 2), DEEP_ERR_STATE, "deep_forest_join");
    FAILS(deep_forest_join(forest, NULL, 1), DEEP_ERR_NULL, "deep_forest_join");
    FAILS(deep_forest_join(forest, parts, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_join");
    FAILS(deep_forest_compute_oob_score(forest, d), DEEP_ERR_STATE, "deep_forest_compute_oob_score");
    FAILS(deep_forest_save_buffer(forest, NULL, 0, &(int64_t){0}), DEEP_ERR_STATE, "deep_forest_save_buffer");
    OK(deep_forest_fit_trees(forest, d, 0, 2));
    OK(deep_forest_fit_trees(other, wide, 2, 2));
    FAILS(deep_forest_join(forest, parts, 2), DEEP_ERR_SHAPE, "deep_forest_join");
    const deep_forest *with_null[2] = {forest, NULL};
    FAILS(deep_forest_join(forest, with_null, 2), DEEP_ERR_NULL, "deep_forest_join");
    deep_forest *regressor = piece_forest(DEEP_TREE_REGRESSOR, 4, false);
    FAILS(deep_forest_join(regressor, parts, 1), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_join");
    /* Half the trees: the bags of the missing ones are unknown. */
    FAILS(deep_forest_compute_oob_score(forest, d), DEEP_ERR_STATE, "deep_forest_compute_oob_score");
    OK(deep_forest_fit_trees(other, d, 2, 2));
    OK(deep_forest_join(forest, parts, 2));
    FAILS(deep_forest_compute_oob_score(forest, wide), DEEP_ERR_SHAPE, "deep_forest_compute_oob_score");
    FAILS(deep_forest_compute_oob_score(forest, NULL), DEEP_ERR_NULL, "deep_forest_compute_oob_score");
    OK(deep_forest_compute_oob_score(forest, d));
    OK(deep_forest_set_int(forest, DEEP_FOREST_BOOTSTRAP, 0));
    FAILS(deep_forest_compute_oob_score(forest, d), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_compute_oob_score");
    /* Buffers: the contract, and a corrupt one is a format error naming the offset. */
    int64_t size;
    unsigned char *bytes = forest_bytes(forest, &size);
    deep_forest *loaded = NULL;
    FAILS(deep_forest_load_buffer(bytes, size - 1, &loaded), DEEP_ERR_FORMAT, "deep_forest_load_buffer");
    ck_assert_ptr_null(loaded);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "the buffer at byte"));
    FAILS(deep_forest_load_buffer(bytes, -1, &loaded), DEEP_ERR_INVALID_ARGUMENT, "deep_forest_load_buffer");
    FAILS(deep_forest_load_buffer(NULL, size, &loaded), DEEP_ERR_NULL, "deep_forest_load_buffer");
    FAILS(deep_forest_load_buffer(bytes, size, NULL), DEEP_ERR_NULL, "deep_forest_load_buffer");
    bytes[0] = 'X';
    FAILS(deep_forest_load_buffer(bytes, size, &loaded), DEEP_ERR_FORMAT, "deep_forest_load_buffer");
    int64_t needed = -1;
    FAILS(deep_forest_save_buffer(forest, bytes, 3, &needed), DEEP_ERR_BUFFER_TOO_SMALL, "deep_forest_save_buffer");
    ck_assert_int_eq(needed, size);
    FAILS(deep_forest_save_buffer(NULL, NULL, 0, &needed), DEEP_ERR_NULL, "deep_forest_save_buffer");
    free(bytes);
    deep_forest_free(regressor);
    deep_forest_free(other);
    deep_forest_free(forest);
    deep_dataset_free(d);
    deep_dataset_free(wide);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/libdeep-test-trees-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("trees");
    struct { const char *name; const TTest *tests[8]; } cases[] = {
        {"splits", {gini_known_split, entropy_and_gini_differ, regression_step}},
        {"settings", {limits_respected, importances_proba_and_max_features, class_weights, json_dump}},
        {"histogram", {histogram_matches_exact_on_few_values, binning, radix_sort}},
        {"forest", {forest_reproducible_across_threads, forest_generalises, forest_regressor,
                    forest_class_weights, forest_concurrent_predict}},
        {"cross_validation", {cross_validation, cross_validation_stratified}},
        {"files", {save_and_load, huge_counts_do_not_overflow}},
        {"pieces", {forest_in_pieces, forest_pieces_misuse}},
        {"misuse", {misuse, label_int32_max_refused, every_splitter_accepted}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 120);
        for (int j = 0; cases[i].tests[j]; j++)
            tcase_add_test(tc, cases[i].tests[j]);
        suite_add_tcase(s, tc);
    }
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    rmdir(tmpdir);
    return failed != 0;
}
