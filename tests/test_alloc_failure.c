/* Allocation failures, injected one at a time. The suite is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup (tests/meson.build), so
 * every allocation the library's own objects make goes through the wrappers below, while
 * those inside glibc, OpenBLAS, zlib and Check do not. A workload that uses every part
 * of the library (a model built, compiled, fitted, saved, loaded and run; a CSV table
 * loaded; a tree and a forest fitted) is run once counting its allocations, then once per
 * allocation with exactly that one failing. Every run must end in success or
 * DEEP_ERR_NO_MEMORY with a message naming the public function, and free everything:
 * the sanitizer build and valgrind report any leak, a crash fails the test and a hang
 * runs into the test's timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_helpers.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);

/* Allocations counted since the workload started, and which one fails (0: none). The
 * workload runs on one thread (threads 1 everywhere), so the count is deterministic. */
static long allocations, failing;

static bool fail_this_one(void)
{
    return ++allocations == failing;
}

void *__wrap_malloc(size_t size)
{
    return fail_this_one() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
    return fail_this_one() ? NULL : __real_calloc(count, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return fail_this_one() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
    return fail_this_one() ? NULL : __real_strdup(s);
}

static char dir[64], model_path[96], csv_path[96];

static void make_files(void)
{
    strcpy(dir, "/tmp/libdeep-alloc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", dir);
    snprintf(csv_path, sizeof csv_path, "%s/table.csv", dir);
    FILE *f = fopen(csv_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("width,height,kind\n1.5,2,cat\n2.5,,dog\n3,4.5,cat\n,1,bird\n", f);
    fclose(f);
}

/* The folder must then be empty: a failed save leaves no temporary file behind. */
static void remove_files(void)
{
    unlink(model_path);
    unlink(csv_path);
    ck_assert_msg(rmdir(dir) == 0, "%s holds files a failed save left behind", dir);
}

/* Each step of the workload: stop at the first failure, which the caller examines. */
#define STEP(call)                                  \
    do {                                            \
        if ((status = (call)) != DEEP_OK) {         \
            snprintf(failed_call, sizeof failed_call, "%s", #call); \
            goto done;                              \
        }                                           \
    } while (0)

static char failed_call[256];

/* Compile takes the optimizer over whether it succeeds or not. */
static deep_optimizer *take(deep_optimizer **optimizer)
{
    deep_optimizer *handed = *optimizer;
    *optimizer = NULL;
    return handed;
}

static deep_status neural_network(void)
{
    deep_status status = DEEP_OK;
    deep_model *model = NULL, *loaded = NULL, *twin = NULL;
    deep_optimizer *optimizer = NULL;
    deep_dataset *images = NULL, *words = NULL;
    deep_tensor *x = NULL, *y = NULL, *ids_tensor = NULL;
    float pixels[8 * 6 * 6];
    int32_t labels[8];
    for (int i = 0; i < 8 * 36; i++)
        pixels[i] = (float)(i % 7) / 7;
    for (int i = 0; i < 8; i++)
        labels[i] = i % 3;

    /* A small CNN: every kind of layer buffer, compile, one fit, save, load, predict. */
    STEP(deep_model_new(3, (const int64_t[]){6, 6, 1}, &model));
    STEP(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    STEP(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    STEP(deep_model_add_conv2d(model, 2, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    STEP(deep_model_add_batch_normalization(model, 0.99f, 1e-3f));
    STEP(deep_model_add_max_pooling2d(model, 2, 2, 2, 2, DEEP_PADDING_VALID));
    STEP(deep_model_add_flatten(model));
    STEP(deep_model_add_dropout(model, 0.25f));
    STEP(deep_model_add_dense(model, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    STEP(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &optimizer));
    deep_metric accuracy = DEEP_METRIC_ACCURACY;
    STEP(deep_model_compile(model, take(&optimizer), DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, &accuracy, 1));
    STEP(deep_dataset_new(8, 3, (const int64_t[]){6, 6, 1}, pixels, &images));
    STEP(deep_dataset_set_labels(images, labels, 8, 3));
    STEP(deep_model_fit(model, images, 1, 4, NULL));
    int64_t needed = 0;
    STEP(deep_model_summary(model, NULL, 0, &needed));
    STEP(deep_model_save(model, model_path));
    STEP(deep_model_load(model_path, &loaded));
    STEP(deep_dataset_features(images, &x));
    STEP(deep_model_predict(loaded, x, &y));
    double values[2];
    STEP(deep_model_evaluate(loaded, images, 4, values, 2, &(int64_t){0}));
    /* Online training on the loaded model, and a target network made from it. */
    float class_ids[8];
    for (int i = 0; i < 8; i++)
        class_ids[i] = (float)labels[i];
    STEP(deep_tensor_new_from(1, (const int64_t[]){8}, class_ids, 8, &ids_tensor));
    STEP(deep_model_train_on_batch(loaded, x, ids_tensor, values, 2, &needed));
    STEP(deep_model_test_on_batch(loaded, x, ids_tensor, values, 2, &needed));
    float outputs[8 * 3];
    STEP(deep_model_predict_on_batch(loaded, x, outputs, 8 * 3, &needed));
    STEP(deep_model_clone(loaded, &twin));
    STEP(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &optimizer));
    STEP(deep_model_compile(twin, take(&optimizer), DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    STEP(deep_model_copy_weights(twin, loaded));
    deep_model_free(twin);
    twin = NULL;
    deep_model_free(model);
    deep_model_free(loaded);
    deep_tensor_free(y);
    model = loaded = NULL;
    y = NULL;

    /* A recurrent model on token ids. */
    float ids[4 * 5];
    for (int i = 0; i < 20; i++)
        ids[i] = (float)(i % 6);
    STEP(deep_model_new(1, (const int64_t[]){5}, &model));
    STEP(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    STEP(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    STEP(deep_model_add_embedding(model, 6, 3, 5));
    STEP(deep_model_add_lstm(model, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    STEP(deep_model_add_gru(model, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    STEP(deep_model_add_dense(model, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    STEP(deep_optimizer_new(DEEP_OPTIMIZER_RMSPROP, &optimizer));
    STEP(deep_model_compile(model, take(&optimizer), DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    STEP(deep_dataset_new(4, 1, (const int64_t[]){5}, ids, &words));
    STEP(deep_dataset_set_labels(words, labels, 4, 3));
    STEP(deep_model_fit(model, words, 1, 2, NULL));
    int64_t size = 0;
    STEP(deep_model_save_buffer(model, NULL, 0, &size));

done:
    deep_optimizer_free(optimizer);
    deep_model_free(model);
    deep_model_free(loaded);
    deep_model_free(twin);
    deep_tensor_free(ids_tensor);
    deep_dataset_free(images);
    deep_dataset_free(words);
    deep_tensor_free(x);
    deep_tensor_free(y);
    return status;
}

static deep_status trees_and_tables(void)
{
    deep_status status = DEEP_OK;
    deep_dataset *table = NULL, *train = NULL, *test = NULL;
    deep_tree *tree = NULL;
    deep_forest *forest = NULL;
    deep_tensor *p = NULL;
    char text[1024];
    int64_t needed;
    double score;

    STEP(deep_dataset_load_csv(csv_path, "kind", &table));
    STEP(deep_dataset_describe_text(table, text, sizeof text, &needed));
    STEP(deep_dataset_fill_missing(table, DEEP_FILL_MEDIAN, NULL));
    STEP(deep_dataset_split(table, 0.5, 7, 0, &train, &test));
    STEP(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    STEP(deep_tree_fit(tree, table));
    STEP(deep_tree_to_json(tree, text, sizeof text, &needed));
    STEP(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    STEP(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 1));
    STEP(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 3));
    STEP(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1));
    STEP(deep_forest_fit(forest, table));
    deep_tensor *x = NULL;
    STEP(deep_dataset_features(test, &x));
    status = deep_forest_predict_proba(forest, x, &p);
    deep_tensor_free(x);
    if (status != DEEP_OK) {
        snprintf(failed_call, sizeof failed_call, "deep_forest_predict_proba");
        goto done;
    }
    STEP(deep_forest_score(forest, train, &score));

done:
    deep_dataset_free(table);
    deep_dataset_free(train);
    deep_dataset_free(test);
    deep_tree_free(tree);
    deep_forest_free(forest);
    deep_tensor_free(p);
    return status;
}

#ifdef DEEP_HAVE_ONNX
/* ONNX import (when built with it): models read into memory before the counting starts. */
static uint8_t *onnx_models[3];
static size_t onnx_sizes[3];

static deep_status onnx_import(void)
{
    deep_status status = DEEP_OK;
    deep_model *model = NULL;
    deep_tensor *x = NULL, *y = NULL;
    for (int k = 0; k < 3; k++) {
        STEP(deep_model_load_onnx_buffer(onnx_models[k], (int64_t)onnx_sizes[k], &model));
        int64_t shape[DEEP_MAX_RANK] = {2}, rank = 0;
        STEP(deep_model_input_shape(model, shape + 1, DEEP_MAX_RANK - 1, &rank));
        STEP(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
        STEP(deep_tensor_new((int32_t)rank + 1, shape, &x));
        STEP(deep_model_predict(model, x, &y));
        deep_model_free(model);
        deep_tensor_free(x);
        deep_tensor_free(y);
        model = NULL;
        x = y = NULL;
    }
done:
    deep_model_free(model);
    deep_tensor_free(x);
    deep_tensor_free(y);
    return status;
}
#endif

typedef deep_status (*workload_fn)(void);

/* Runs the workload with allocation `fail` failing (0: none); returns its status. */
static deep_status run(workload_fn workload, long fail)
{
    deep_clear_error();
    failed_call[0] = '\0';
    allocations = 0;
    failing = fail;
    deep_status status = workload();
    failing = 0;
    return status;
}

static void fail_each_allocation(workload_fn workload, const char *name)
{
    make_files();
    ck_assert_msg(run(workload, 0) == DEEP_OK, "%s: %s failed without injected failures: %s", name, failed_call,
                  deep_last_error());
    ck_assert_msg(allocations > 50, "%s: only %ld allocations: is the wrapping working?", name, allocations);
    /* Fail allocation 1, 2, ... until a run makes fewer allocations than the index: then
     * every allocation of the workload has failed once. */
    long failed = 0, survived = 0, i;
    for (i = 1;; i++) {
        deep_status status = run(workload, i);
        if (allocations < i)
            break;
        if (status == DEEP_OK) {
            survived++; /* that allocation was optional, or retried */
            continue;
        }
        const char *message = deep_last_error();
        ck_assert_msg(status == DEEP_ERR_NO_MEMORY, "%s: allocation %ld failing: %s returned %s: %s", name, i,
                      failed_call, deep_status_string(status), message);
        char function[64];
        snprintf(function, sizeof function, "%.*s", (int)strcspn(failed_call, "("), failed_call);
        ck_assert_msg(names_function(message, function), "%s: allocation %ld: message \"%s\" does not name %s", name,
                      i, message, function);
        failed++;
    }
    printf("%s: %ld allocations, each failed once: %ld runs ended in DEEP_ERR_NO_MEMORY, %ld succeeded\n", name,
           i - 1, failed, survived);
    remove_files();
}

START_TEST(test_neural_network_allocations)
{
    fail_each_allocation(neural_network, "neural network workload");
}
END_TEST

START_TEST(test_tree_and_table_allocations)
{
    fail_each_allocation(trees_and_tables, "tree and table workload");
}
END_TEST

START_TEST(test_onnx_import_allocations)
{
#ifdef DEEP_HAVE_ONNX
    static const char *const names[3] = {"resnet_block", "shapes", "tokens"};
    for (int k = 0; k < 3; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/tests/onnx/%s.onnx", DEEP_SOURCE_DIR, names[k]);
        onnx_models[k] = read_all(path, &onnx_sizes[k]);
    }
    fail_each_allocation(onnx_import, "ONNX import workload");
    for (int k = 0; k < 3; k++)
        free(onnx_models[k]);
#endif
}
END_TEST

static Suite *alloc_failure_suite(void)
{
    Suite *s = suite_create("alloc_failure");
    TCase *tc = tcase_create("each allocation fails once");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_neural_network_allocations);
    tcase_add_test(tc, test_tree_and_table_allocations);
    suite_add_tcase(s, tc);
    TCase *onnx = tcase_create("onnx");
    tcase_set_timeout(onnx, 600);
    tcase_add_test(onnx, test_onnx_import_allocations);
    suite_add_tcase(s, onnx);
    return s;
}

int main(void)
{
    return run_suite(alloc_failure_suite(), CK_ENV);
}
