/* Getters for every setter (deep.h, "Conventions", rule 4): models, trees and forests give
 * back their defaults and what was set, and refuse the getter of the wrong kind. */
#include <math.h>

#include "check_helpers.h"

static void quiet_log(void *user, deep_log_level level, const char *message)
{
    (void)user;
    (void)level;
    (void)message;
}

static int32_t on_batch(void *user, int64_t epoch, int64_t batch, double loss)
{
    (void)user;
    (void)epoch;
    (void)batch;
    (void)loss;
    return 0;
}

static int32_t on_epoch(void *user, deep_model *model, int64_t epoch)
{
    (void)user;
    (void)model;
    (void)epoch;
    return 0;
}

static deep_model *new_model(void)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){3}, &model));
    return model;
}

static int64_t model_int(const deep_model *model, deep_model_option option)
{
    int64_t value = -99;
    ASSERT_OK(deep_model_get_int(model, option, &value));
    return value;
}

static double model_float(const deep_model *model, deep_model_option option)
{
    double value = -99;
    ASSERT_OK(deep_model_get_float(model, option, &value));
    return value;
}

START_TEST(model_defaults)
{
    deep_model *model = new_model();
    ck_assert_int_eq(model_int(model, DEEP_MODEL_THREADS), 0);
    ck_assert_int_eq(model_int(model, DEEP_MODEL_SHUFFLE), 1);
    ck_assert_int_eq(model_int(model, DEEP_MODEL_VERBOSE), 1);
    ck_assert_int_eq(model_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE), 0);
    ck_assert_int_eq(model_int(model, DEEP_MODEL_CHECKPOINT_PERIOD), 0);
    ck_assert_int_eq(model_int(model, DEEP_MODEL_INITIAL_EPOCH), 0);
    ck_assert(model_float(model, DEEP_MODEL_VALIDATION_SPLIT) == 0.0);
    ck_assert(model_float(model, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA) == 0.0);
    ck_assert(model_float(model, DEEP_MODEL_HUBER_DELTA) == 1.0); /* Keras' default */
    char path[8] = "xxxxxxx";
    int64_t needed = -1;
    ASSERT_OK(deep_model_get_string(model, DEEP_MODEL_CHECKPOINT_PATH, path, sizeof path, &needed));
    ck_assert_int_eq(needed, 1); /* unset: "" */
    ck_assert_str_eq(path, "");
    uint64_t seed = 99;
    ASSERT_OK(deep_model_get_seed(model, &seed));
    ck_assert_uint_eq(seed, 0);
    deep_log_fn log = quiet_log;
    void *user = &log;
    ASSERT_OK(deep_model_get_log(model, &log, &user));
    ck_assert_ptr_null((void *)log);
    ck_assert_ptr_null(user);
    deep_batch_fn batch_fn = on_batch;
    deep_epoch_fn epoch_fn = on_epoch;
    ASSERT_OK(deep_model_get_callbacks(model, &batch_fn, &epoch_fn, &user));
    ck_assert(batch_fn == NULL && epoch_fn == NULL && user == NULL);
    deep_model_free(model);
}
END_TEST

START_TEST(model_set_then_get)
{
    deep_model *model = new_model();
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 3));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 4));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, 0.25));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, 1e-3));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_HUBER_DELTA, 0.1));
    /* Huber's delta must be finite and > 0; a refused value leaves the old one. */
    ASSERT_FAILS_WITH(deep_model_set_float(model, DEEP_MODEL_HUBER_DELTA, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_float", "Huber delta");
    ASSERT_FAILS(deep_model_set_float(model, DEEP_MODEL_HUBER_DELTA, -1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_float(model, DEEP_MODEL_HUBER_DELTA, INFINITY), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_float(model, DEEP_MODEL_HUBER_DELTA, NAN), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_int(model, DEEP_MODEL_HUBER_DELTA, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_int");
    ASSERT_OK(deep_model_set_string(model, DEEP_MODEL_CHECKPOINT_PATH, "run/ckpt.deep"));
    ASSERT_OK(deep_model_set_seed(model, UINT64_MAX - 1));
    int marker = 0;
    ASSERT_OK(deep_model_set_log(model, quiet_log, &marker));
    ASSERT_OK(deep_model_set_callbacks(model, on_batch, on_epoch, &marker));

    ck_assert_int_eq(model_int(model, DEEP_MODEL_THREADS), 3);
    ck_assert_int_eq(model_int(model, DEEP_MODEL_SHUFFLE), 0);
    ck_assert_int_eq(model_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE), 4);
    ck_assert(model_float(model, DEEP_MODEL_VALIDATION_SPLIT) == 0.25); /* doubles come back exactly */
    ck_assert(model_float(model, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA) == 1e-3);
    ck_assert(model_float(model, DEEP_MODEL_HUBER_DELTA) == 0.1);
    int64_t needed = 0;
    ASSERT_OK(deep_model_get_string(model, DEEP_MODEL_CHECKPOINT_PATH, NULL, 0, &needed));
    ck_assert_int_eq(needed, 14);
    char path[14];
    ASSERT_OK(deep_model_get_string(model, DEEP_MODEL_CHECKPOINT_PATH, path, needed, &needed));
    ck_assert_str_eq(path, "run/ckpt.deep");
    uint64_t seed = 0;
    ASSERT_OK(deep_model_get_seed(model, &seed));
    ck_assert(seed == UINT64_MAX - 1);
    deep_log_fn log = NULL;
    void *user = NULL;
    ASSERT_OK(deep_model_get_log(model, &log, &user));
    ck_assert(log == quiet_log && user == &marker);
    deep_batch_fn batch_fn = NULL;
    deep_epoch_fn epoch_fn = NULL;
    ASSERT_OK(deep_model_get_callbacks(model, &batch_fn, &epoch_fn, NULL)); /* any output may be NULL */
    ck_assert(batch_fn == on_batch && epoch_fn == on_epoch);

    /* Clearing the path gives "" again; the seed survives a save and load. */
    ASSERT_OK(deep_model_set_string(model, DEEP_MODEL_CHECKPOINT_PATH, NULL));
    ASSERT_OK(deep_model_get_string(model, DEEP_MODEL_CHECKPOINT_PATH, path, sizeof path, &needed));
    ck_assert_str_eq(path, "");
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &needed));
    void *file = malloc((size_t)needed);
    ASSERT_OK(deep_model_save_buffer(model, file, needed, &needed));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(file, needed, &loaded));
    ASSERT_OK(deep_model_get_seed(loaded, &seed));
    ck_assert(seed == UINT64_MAX - 1);
    ck_assert(model_float(loaded, DEEP_MODEL_VALIDATION_SPLIT) == 0.25);
    free(file);
    deep_model_free(loaded);
    deep_model_free(model);
}
END_TEST

START_TEST(model_wrong_kind)
{
    deep_model *model = new_model();
    int64_t i = 7;
    double d = 7;
    char text[4];
    int64_t needed = 7;
    ASSERT_FAILS_WITH(deep_model_get_float(model, DEEP_MODEL_THREADS, &d), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_get_float", "not a float option");
    ASSERT_FAILS(deep_model_get_float(model, DEEP_MODEL_CHECKPOINT_PATH, &d), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_get_float");
    ASSERT_FAILS(deep_model_get_float(model, (deep_model_option)99, &d), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_get_float");
    ck_assert(d == 7); /* untouched on failure */
    ASSERT_FAILS(deep_model_get_int(model, DEEP_MODEL_VALIDATION_SPLIT, &i), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_get_int");
    ck_assert_int_eq(i, 7);
    ASSERT_FAILS_WITH(deep_model_get_string(model, DEEP_MODEL_THREADS, text, sizeof text, &needed),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_get_string", "not a string option");
    ck_assert_int_eq(needed, 0);
    ASSERT_FAILS(deep_model_get_float(NULL, DEEP_MODEL_VALIDATION_SPLIT, &d), DEEP_ERR_NULL, "deep_model_get_float");
    ASSERT_FAILS(deep_model_get_float(model, DEEP_MODEL_VALIDATION_SPLIT, NULL), DEEP_ERR_NULL,
                 "deep_model_get_float");
    ASSERT_FAILS(deep_model_get_seed(NULL, &(uint64_t){0}), DEEP_ERR_NULL, "deep_model_get_seed");
    ASSERT_FAILS(deep_model_get_seed(model, NULL), DEEP_ERR_NULL, "deep_model_get_seed");
    ASSERT_FAILS(deep_model_get_log(NULL, NULL, NULL), DEEP_ERR_NULL, "deep_model_get_log");
    ASSERT_FAILS(deep_model_get_callbacks(NULL, NULL, NULL, NULL), DEEP_ERR_NULL, "deep_model_get_callbacks");
    deep_model_free(model);
}
END_TEST

START_TEST(optimizer_takes_doubles)
{
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt));
    double value = 0;
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.1));
    ASSERT_OK(deep_optimizer_get_float(opt, DEEP_OPT_LEARNING_RATE, &value));
    ck_assert(value == (double)0.1f); /* kept as the float the updates use */
    /* Checked as that float: 1 - 1e-9 rounds to 1, outside [0, 1). */
    ASSERT_FAILS(deep_optimizer_set_float(opt, DEEP_OPT_BETA_1, 1 - 1e-9), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_optimizer_set_float");
    ASSERT_FAILS(deep_optimizer_set_float(opt, DEEP_OPT_EPSILON, 1e300), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_optimizer_set_float");
    deep_optimizer_free(opt);
}
END_TEST

static int64_t tree_int(const deep_tree *tree, deep_tree_option option)
{
    int64_t value = -99;
    ASSERT_OK(deep_tree_get_int(tree, option, &value));
    return value;
}

START_TEST(tree_defaults_and_set_then_get)
{
    deep_tree *tree = NULL;
    ASSERT_OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_CRITERION), DEEP_CRITERION_GINI);
    ck_assert(tree_int(tree, DEEP_TREE_MAX_DEPTH) == DEEP_UNLIMITED);
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_MIN_SAMPLES_SPLIT), 2);
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_MIN_SAMPLES_LEAF), 1);
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_MAX_FEATURES), DEEP_MAX_FEATURES_ALL);
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_SEED), 0);
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_SPLITTER), DEEP_SPLITTER_AUTO);
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_MAX_BINS), 256);
    double d = -1;
    ASSERT_OK(deep_tree_get_float(tree, DEEP_TREE_MIN_IMPURITY_DECREASE, &d));
    ck_assert(d == 0.0);
    int64_t needed = -1;
    ASSERT_OK(deep_tree_get_class_weights(tree, NULL, 0, &needed));
    ck_assert_int_eq(needed, 0); /* none set */

    ASSERT_OK(deep_tree_set_int(tree, DEEP_TREE_CRITERION, DEEP_CRITERION_ENTROPY));
    ASSERT_OK(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, 5));
    ASSERT_OK(deep_tree_set_int(tree, DEEP_TREE_SEED, -5));
    ASSERT_OK(deep_tree_set_float(tree, DEEP_TREE_MIN_IMPURITY_DECREASE, 0.125));
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_CRITERION), DEEP_CRITERION_ENTROPY);
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_MAX_DEPTH), 5);
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_SEED), -5);
    ASSERT_OK(deep_tree_get_float(tree, DEEP_TREE_MIN_IMPURITY_DECREASE, &d));
    ck_assert(d == 0.125);

    /* max_features answers to the getter of the kind last set. */
    ASSERT_FAILS(deep_tree_get_float(tree, DEEP_TREE_MAX_FEATURES, &d), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_tree_get_float");
    ASSERT_OK(deep_tree_set_float(tree, DEEP_TREE_MAX_FEATURES, 0.5));
    ASSERT_OK(deep_tree_get_float(tree, DEEP_TREE_MAX_FEATURES, &d));
    ck_assert(d == 0.5);
    int64_t i = 7;
    ASSERT_FAILS_WITH(deep_tree_get_int(tree, DEEP_TREE_MAX_FEATURES, &i), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_tree_get_int", "fraction");
    ASSERT_OK(deep_tree_set_int(tree, DEEP_TREE_MAX_FEATURES, DEEP_MAX_FEATURES_SQRT));
    ck_assert_int_eq(tree_int(tree, DEEP_TREE_MAX_FEATURES), DEEP_MAX_FEATURES_SQRT);

    /* Wrong kinds, forest options and unknown ones. */
    ASSERT_FAILS(deep_tree_get_int(tree, DEEP_TREE_MIN_IMPURITY_DECREASE, &i), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_tree_get_int");
    ASSERT_FAILS(deep_tree_get_float(tree, DEEP_TREE_MAX_DEPTH, &d), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_tree_get_float");
    ASSERT_FAILS(deep_tree_get_int(tree, DEEP_FOREST_N_ESTIMATORS, &i), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_tree_get_int");
    ASSERT_FAILS(deep_tree_get_int(tree, (deep_tree_option)999, &i), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_tree_get_int");
    ck_assert_int_eq(i, 7);
    ASSERT_FAILS(deep_tree_get_int(NULL, DEEP_TREE_SEED, &i), DEEP_ERR_NULL, "deep_tree_get_int");
    ASSERT_FAILS(deep_tree_get_float(tree, DEEP_TREE_MIN_IMPURITY_DECREASE, NULL), DEEP_ERR_NULL,
                 "deep_tree_get_float");

    /* Class weights come back as set; weights NULL goes back to none. */
    const double weights[] = {0.5, 2.0, 1.0};
    double back[3] = {0};
    ASSERT_OK(deep_tree_set_class_weights(tree, weights, 3));
    ASSERT_OK(deep_tree_get_class_weights(tree, back, 3, &needed));
    ck_assert_int_eq(needed, 3);
    ck_assert(back[0] == 0.5 && back[1] == 2.0 && back[2] == 1.0);
    ASSERT_OK(deep_tree_set_class_weights(tree, NULL, 0));
    ASSERT_OK(deep_tree_get_class_weights(tree, back, 3, &needed));
    ck_assert_int_eq(needed, 0);
    ASSERT_FAILS(deep_tree_get_class_weights(NULL, back, 3, &needed), DEEP_ERR_NULL, "deep_tree_get_class_weights");
    deep_tree_free(tree);
}
END_TEST

static int64_t forest_int(const deep_forest *forest, deep_tree_option option)
{
    int64_t value = -99;
    ASSERT_OK(deep_forest_get_int(forest, option, &value));
    return value;
}

START_TEST(forest_defaults_and_set_then_get)
{
    deep_forest *forest = NULL;
    ASSERT_OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_N_ESTIMATORS), 100);
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_BOOTSTRAP), 1);
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_OOB_SCORE), 0);
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_THREADS), 0);
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_MAX_SAMPLES), 0);
    ck_assert_int_eq(forest_int(forest, DEEP_TREE_MAX_FEATURES), DEEP_MAX_FEATURES_SQRT); /* a classifier's */
    ck_assert(forest_int(forest, DEEP_TREE_MAX_DEPTH) == DEEP_UNLIMITED);

    ASSERT_OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 7));
    ASSERT_OK(deep_forest_set_int(forest, DEEP_FOREST_BOOTSTRAP, 0));
    ASSERT_OK(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1));
    ASSERT_OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 2));
    ASSERT_OK(deep_forest_set_int(forest, DEEP_TREE_MIN_SAMPLES_LEAF, 3));
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_N_ESTIMATORS), 7);
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_BOOTSTRAP), 0);
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_OOB_SCORE), 1);
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_THREADS), 2);
    ck_assert_int_eq(forest_int(forest, DEEP_TREE_MIN_SAMPLES_LEAF), 3);

    /* max_samples: a count or a fraction, read by the getter of its kind. */
    double d = -1;
    int64_t i = 7;
    ASSERT_FAILS(deep_forest_get_float(forest, DEEP_FOREST_MAX_SAMPLES, &d), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_forest_get_float");
    ASSERT_OK(deep_forest_set_float(forest, DEEP_FOREST_MAX_SAMPLES, 0.75));
    ASSERT_OK(deep_forest_get_float(forest, DEEP_FOREST_MAX_SAMPLES, &d));
    ck_assert(d == 0.75);
    ASSERT_FAILS(deep_forest_get_int(forest, DEEP_FOREST_MAX_SAMPLES, &i), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_forest_get_int");
    ASSERT_OK(deep_forest_set_int(forest, DEEP_FOREST_MAX_SAMPLES, 40));
    ck_assert_int_eq(forest_int(forest, DEEP_FOREST_MAX_SAMPLES), 40);
    ASSERT_OK(deep_forest_set_float(forest, DEEP_TREE_MIN_IMPURITY_DECREASE, 0.5));
    ASSERT_OK(deep_forest_get_float(forest, DEEP_TREE_MIN_IMPURITY_DECREASE, &d));
    ck_assert(d == 0.5);

    ASSERT_FAILS(deep_forest_get_float(forest, DEEP_FOREST_N_ESTIMATORS, &d), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_forest_get_float");
    ASSERT_FAILS(deep_forest_get_int(forest, DEEP_TREE_MIN_IMPURITY_DECREASE, &i), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_forest_get_int");
    ASSERT_FAILS(deep_forest_get_int(NULL, DEEP_FOREST_THREADS, &i), DEEP_ERR_NULL, "deep_forest_get_int");
    ASSERT_FAILS(deep_forest_get_float(forest, DEEP_FOREST_MAX_SAMPLES, NULL), DEEP_ERR_NULL,
                 "deep_forest_get_float");

    const double weights[] = {1.5, 0.25};
    double back[2] = {0};
    int64_t needed = 0;
    ASSERT_OK(deep_forest_set_class_weights(forest, weights, 2));
    ASSERT_OK(deep_forest_get_class_weights(forest, back, 2, &needed));
    ck_assert(needed == 2 && back[0] == 1.5 && back[1] == 0.25);
    ASSERT_FAILS(deep_forest_set_class_weights(forest, weights, -1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_forest_set_class_weights");
    deep_forest_free(forest);
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("getters");
    tcase_add_test(tc, model_defaults);
    tcase_add_test(tc, model_set_then_get);
    tcase_add_test(tc, model_wrong_kind);
    tcase_add_test(tc, optimizer_takes_doubles);
    tcase_add_test(tc, tree_defaults_and_set_then_get);
    tcase_add_test(tc, forest_defaults_and_set_then_get);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(options_suite(), CK_NORMAL);
}
