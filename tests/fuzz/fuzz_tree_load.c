/* Fuzz target: the tree and forest file loaders (libdeep/trees/io.c), through a private
 * in-memory file (fuzz.h). Both deep_tree_load and deep_forest_load read every input: one
 * of them meets the wrong magic, the other parses. What loads is used as a program would: predictions,
 * importances, the JSON dump, a save whose file loads and saves to the same bytes, and a
 * refit on a small dataset with the loaded settings.
 *
 * Seed mode: with FUZZ_TREE_SEEDS=dir in the environment the target writes valid files (a
 * classifier and a regressor tree, a 3-tree classifier and regressor forest, fitted on a
 * tiny dataset) into dir and exits; tests/fuzz/run-fuzz.sh uses it to fill the corpus. */
#include "fuzz.h"
/* Only to read a loaded tree's feature and class counts, which the API does not report. */
#include "trees/trees.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

#define require fuzz_require

/* ---------------------------------------------------------------- save and refit */

static char out_dir[64];

static void remove_out_dir(void)
{
    char file[96];
    for (int i = 0; i < 2; i++) {
        snprintf(file, sizeof file, "%s/%d", out_dir, i);
        unlink(file);
    }
    rmdir(out_dir);
}

static unsigned char *slurp(const char *file, long *size)
{
    FILE *f = fopen(file, "rb");
    require(f != NULL && fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0,
            "cannot open a saved file");
    unsigned char *bytes = malloc((size_t)*size);
    require(bytes != NULL && fread(bytes, 1, (size_t)*size, f) == (size_t)*size, "cannot read a saved file");
    fclose(f);
    return bytes;
}

/* save(x) to one file, load it, save that to another: both files hold the same bytes. */
#define CHECK_RESAVE(type, x)                                                                          \
    do {                                                                                               \
        char first[96], second[96];                                                                    \
        snprintf(first, sizeof first, "%s/0", out_dir);                                                \
        snprintf(second, sizeof second, "%s/1", out_dir);                                              \
        deep_##type *again = NULL;                                                                     \
        require(deep_##type##_save(x, first) == DEEP_OK, "deep_" #type "_save");                       \
        require(deep_##type##_load(first, &again) == DEEP_OK, "a saved " #type " does not load");      \
        require(deep_##type##_save(again, second) == DEEP_OK, "deep_" #type "_save of a loaded one"); \
        deep_##type##_free(again);                                                                     \
        long n1, n2;                                                                                   \
        unsigned char *b1 = slurp(first, &n1), *b2 = slurp(second, &n2);                               \
        require(n1 == n2 && memcmp(b1, b2, (size_t)n1) == 0, "save, load, save gives other bytes");   \
        free(b1);                                                                                      \
        free(b2);                                                                                      \
    } while (0)

/* 12 samples of n_features features from the input's bytes, with labels below classes
 * (classifier) or targets (regressor). NULL when there are too many features. */
static deep_dataset *refit_data(int64_t n_features, int32_t classes, const unsigned char *data, size_t size)
{
    if (n_features > 64)
        return NULL;
    float x[12 * 64], y[12];
    int32_t labels[12];
    for (int64_t i = 0; i < 12 * n_features; i++)
        x[i] = (float)data[(size_t)i % size] / 16;
    for (int i = 0; i < 12; i++) {
        labels[i] = classes > 0 ? (int32_t)(data[(size_t)i % size] % (unsigned)classes) : 0;
        y[i] = (float)i / 3;
    }
    deep_dataset *d = NULL;
    require(deep_dataset_new(12, 1, &n_features, x, &d) == DEEP_OK, "deep_dataset_new");
    if (classes > 0)
        require(deep_dataset_set_labels(d, labels, 12, classes) == DEEP_OK, "deep_dataset_set_labels");
    else
        require(deep_dataset_set_targets(d, y, 12, 1) == DEEP_OK, "deep_dataset_set_targets");
    return d;
}

/* ---------------------------------------------------------------- seeds */

static void seed_path(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static void write_seeds(const char *dir)
{
    /* 10 samples of 2 features, 3 classes, and a regression target. */
    const float x[] = {0, 0, 1, 0, 0, 1, 1, 1, 2, 2, 3, 2, 2, 3, 5, 5, 6, 4, 4, 6};
    const int32_t labels[] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 1};
    const float y[] = {0.5f, 1, 1.5f, 2, 4, 5, 5.5f, 9, 10, 9.5f};
    char file[4096];
    deep_dataset *classes = NULL, *values = NULL;
    require(deep_dataset_new(10, 1, (const int64_t[]){2}, x, &classes) == DEEP_OK, "seed dataset");
    require(deep_dataset_set_labels(classes, labels, 10, 3) == DEEP_OK, "seed labels");
    require(deep_dataset_new(10, 1, (const int64_t[]){2}, x, &values) == DEEP_OK, "seed dataset");
    require(deep_dataset_set_targets(values, y, 10, 1) == DEEP_OK, "seed targets");

    deep_tree *tree = NULL;
    require(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree) == DEEP_OK, "seed tree");
    require(deep_tree_set_int(tree, DEEP_TREE_CRITERION, DEEP_CRITERION_ENTROPY) == DEEP_OK, "seed criterion");
    require(deep_tree_set_class_weights(tree, (const double[]){1, 2, 0.5}, 3) == DEEP_OK, "seed weights");
    require(deep_tree_fit(tree, classes) == DEEP_OK, "seed fit");
    seed_path(file, sizeof file, dir, "seed-tree-classifier");
    require(deep_tree_save(tree, file) == DEEP_OK, "seed save");
    deep_tree_free(tree);

    require(deep_tree_new(DEEP_TREE_REGRESSOR, &tree) == DEEP_OK, "seed tree");
    require(deep_tree_set_int(tree, DEEP_TREE_MAX_DEPTH, 3) == DEEP_OK, "seed max_depth");
    require(deep_tree_set_float(tree, DEEP_TREE_MAX_FEATURES, 0.5) == DEEP_OK, "seed max_features");
    require(deep_tree_fit(tree, values) == DEEP_OK, "seed fit");
    seed_path(file, sizeof file, dir, "seed-tree-regressor");
    require(deep_tree_save(tree, file) == DEEP_OK, "seed save");
    deep_tree_free(tree);

    deep_forest *forest = NULL;
    require(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest) == DEEP_OK, "seed forest");
    require(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 3) == DEEP_OK, "seed n_estimators");
    require(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 1) == DEEP_OK, "seed threads");
    require(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1) == DEEP_OK, "seed oob");
    require(deep_forest_set_int(forest, DEEP_TREE_MAX_DEPTH, 3) == DEEP_OK, "seed max_depth");
    require(deep_forest_fit(forest, classes) == DEEP_OK, "seed fit");
    seed_path(file, sizeof file, dir, "seed-forest-classifier");
    require(deep_forest_save(forest, file) == DEEP_OK, "seed save");
    deep_forest_free(forest);

    require(deep_forest_new(DEEP_TREE_REGRESSOR, &forest) == DEEP_OK, "seed forest");
    require(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 3) == DEEP_OK, "seed n_estimators");
    require(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 1) == DEEP_OK, "seed threads");
    require(deep_forest_set_float(forest, DEEP_FOREST_MAX_SAMPLES, 0.8) == DEEP_OK, "seed max_samples");
    require(deep_forest_set_int(forest, DEEP_TREE_MAX_DEPTH, 2) == DEEP_OK, "seed max_depth");
    require(deep_forest_fit(forest, values) == DEEP_OK, "seed fit");
    seed_path(file, sizeof file, dir, "seed-forest-regressor");
    require(deep_forest_save(forest, file) == DEEP_OK, "seed save");
    deep_forest_free(forest);

    deep_dataset_free(classes);
    deep_dataset_free(values);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *seeds = getenv("FUZZ_TREE_SEEDS");
    if (seeds != NULL) {
        write_seeds(seeds);
        exit(0);
    }
    fuzz_make_dir(out_dir, sizeof out_dir, "tree");
    atexit(remove_out_dir);
    return 0;
}

/* ---------------------------------------------------------------- checks */

/* A (4, n_features) input: zeros, values taken from the fuzz input, and two extremes. */
static deep_tensor *rows(int64_t n_features, const unsigned char *data, size_t size)
{
    float *x = malloc((size_t)(4 * n_features) * sizeof *x);
    require(x != NULL, "out of memory");
    for (int64_t f = 0; f < n_features; f++) {
        x[f] = 0;
        x[n_features + f] = ((float)data[(size_t)f % size] - 128) / 8;
        x[2 * n_features + f] = -3e38f;
        x[3 * n_features + f] = 3e38f;
    }
    deep_tensor *t = NULL;
    require(deep_tensor_new_from(2, (const int64_t[]){4, n_features}, x, 4 * n_features, &t) == DEEP_OK,
            "deep_tensor_new_from");
    free(x);
    return t;
}

static void check_predictions(const deep_tensor *p, int32_t n_classes)
{
    require(p != NULL && p->size == 4, "prediction shape");
    for (int64_t i = 0; i < 4; i++) {
        float v = p->data[i];
        require(v == v, "NaN prediction");
        if (n_classes > 0)
            require(v >= 0 && v < (float)n_classes && v == (float)(int32_t)v, "class id out of range");
    }
}

static void exercise_tree(deep_tree *tree, const unsigned char *data, size_t size)
{
    int64_t nodes = -1, depth = -1, n_features = tree->model.n_features, needed = 0;
    int32_t classes = tree->model.n_classes;
    require(deep_tree_node_count(tree, &nodes) == DEEP_OK && nodes >= 1, "deep_tree_node_count");
    require(deep_tree_depth(tree, &depth) == DEEP_OK && depth >= 0 && depth <= nodes, "deep_tree_depth");
    require(n_features >= 1, "n_features");
    for (int64_t i = 0; i < nodes; i++) {
        int64_t feature, left, right;
        float threshold;
        require(deep_tree_node(tree, i, &feature, &threshold, &left, &right) == DEEP_OK, "deep_tree_node");
        require(feature < 0 ? left == -1 && right == -1
                            : feature < n_features && left > i && left < nodes && right > i && right < nodes,
                "node out of bounds");
    }
    deep_tensor *x = rows(n_features, data, size), *p = NULL;
    require(deep_tree_predict(tree, x, &p) == DEEP_OK, "deep_tree_predict");
    check_predictions(p, classes);
    deep_tensor_free(p);
    p = NULL;
    deep_status proba = deep_tree_predict_proba(tree, x, &p);
    require(classes > 0 ? proba == DEEP_OK : proba == DEEP_ERR_INVALID_ARGUMENT && p == NULL,
            "deep_tree_predict_proba");
    deep_tensor_free(p);
    deep_tensor_free(x);
    double *importances = malloc((size_t)n_features * sizeof *importances);
    require(importances != NULL, "out of memory");
    require(deep_tree_feature_importances(tree, importances, n_features, &(int64_t){0}) == DEEP_OK,
            "deep_tree_feature_importances");
    free(importances);
    require(deep_tree_to_json(tree, NULL, 0, &needed) == DEEP_OK && needed > 1, "deep_tree_to_json size query");
    char *json = malloc((size_t)needed);
    require(json != NULL, "out of memory");
    int64_t again = 0;
    require(deep_tree_to_json(tree, json, needed, &again) == DEEP_OK && again == needed &&
                strlen(json) + 1 == (size_t)needed,
            "deep_tree_to_json");
    free(json);
    CHECK_RESAVE(tree, tree);
    deep_dataset *d = refit_data(n_features, classes, data, size);
    if (d != NULL) {
        deep_status s = deep_tree_fit(tree, d);
        /* Loaded settings may not suit these samples (class weights, max_samples). */
        require(s == DEEP_OK || s == DEEP_ERR_SHAPE || s == DEEP_ERR_INVALID_ARGUMENT, "refitting a loaded tree");
        deep_dataset_free(d);
    }
}

static void exercise_forest(deep_forest *forest, const unsigned char *data, size_t size)
{
    int64_t count = -1;
    require(deep_forest_tree_count(forest, &count) == DEEP_OK && count >= 1, "deep_forest_tree_count");
    int64_t n_features = forest->trees[0].n_features;
    int32_t classes = forest->trees[0].n_classes;
    deep_tensor *x = rows(n_features, data, size), *p = NULL;
    require(deep_forest_predict(forest, x, &p) == DEEP_OK, "deep_forest_predict");
    check_predictions(p, classes);
    deep_tensor_free(p);
    p = NULL;
    deep_status proba = deep_forest_predict_proba(forest, x, &p);
    require(classes > 0 ? proba == DEEP_OK : proba != DEEP_OK && p == NULL, "deep_forest_predict_proba");
    deep_tensor_free(p);
    deep_tensor_free(x);
    double *importances = malloc((size_t)n_features * sizeof *importances), oob;
    require(importances != NULL, "out of memory");
    require(deep_forest_feature_importances(forest, importances, n_features, &(int64_t){0}) == DEEP_OK,
            "deep_forest_feature_importances");
    free(importances);
    deep_status s = deep_forest_oob_score(forest, &oob);
    require(s == DEEP_OK || s == DEEP_ERR_STATE, "deep_forest_oob_score");
    CHECK_RESAVE(forest, forest);
    deep_dataset *d = refit_data(n_features, classes, data, size);
    if (d != NULL) {
        /* One thread and few trees keep a run short whatever the file asked for. */
        require(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 1) == DEEP_OK, "threads");
        require(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 2) == DEEP_OK, "n_estimators");
        s = deep_forest_fit(forest, d);
        require(s == DEEP_OK || s == DEEP_ERR_SHAPE || s == DEEP_ERR_INVALID_ARGUMENT, "refitting a loaded forest");
        deep_dataset_free(d);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *path = fuzz_file(0, data, size);

    deep_clear_error();
    deep_tree *tree = (deep_tree *)&tree; /* must come back NULL on failure */
    if (deep_tree_load(path, &tree) == DEEP_OK) {
        require(tree != NULL, "deep_tree_load: DEEP_OK without a tree");
        exercise_tree(tree, data, size);
        deep_tree_free(tree);
    } else {
        fuzz_check_failure(tree, "deep_tree_load");
    }

    deep_clear_error();
    deep_forest *forest = (deep_forest *)&forest;
    deep_status loaded = deep_forest_load(path, &forest);
    if (loaded == DEEP_OK) {
        require(forest != NULL, "deep_forest_load: DEEP_OK without a forest");
        exercise_forest(forest, data, size);
        deep_forest_free(forest);
    } else {
        fuzz_check_failure(forest, "deep_forest_load");
    }

    /* The same bytes from memory: the same verdict, and a forest that saves to them. */
    deep_clear_error();
    forest = (deep_forest *)&forest;
    deep_status from_memory = deep_forest_load_buffer(data, (int64_t)size, &forest);
    require(from_memory == loaded, "deep_forest_load_buffer and deep_forest_load disagree");
    if (from_memory == DEEP_OK) {
        int64_t needed = 0;
        require(deep_forest_save_buffer(forest, NULL, 0, &needed) == DEEP_OK && needed == (int64_t)size,
                "deep_forest_save_buffer: not the loaded size");
        deep_forest_free(forest);
    } else {
        fuzz_check_failure(forest, "deep_forest_load_buffer");
    }
    return 0;
}
