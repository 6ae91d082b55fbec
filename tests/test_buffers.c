/* The caller-buffer contract of deep.h ("Conventions", rule 1), checked on every public
 * function that fills a caller's buffer: capacity 0 is the size query, needed - 1 is
 * DEEP_ERR_BUFFER_TOO_SMALL with the buffer untouched, needed itself succeeds and writes
 * nothing beyond, a negative capacity or a NULL buffer/needed is refused (needed then 0).
 * The list of functions is checked against deep.h itself, so a new function with an
 * `int64_t capacity` parameter fails this suite until it is listed here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_helpers.h"

#define SENTINEL 0xA5
#define SLACK 8 /* entries past `needed` that must stay untouched */

/* Everything the functions under test read: small, fitted, compiled. */
typedef struct {
    deep_tensor *tensor;     /* (2, 3) */
    deep_dataset *table;     /* from CSV: column names, string classes */
    deep_dataset *images;    /* samples (2, 2), targets of width 6 */
    deep_vocab *vocab;
    deep_model *model;       /* (2, 2) -> Dense(3) = (2, 3), compiled with MAE */
    deep_tensor *x, *y;      /* the images' features (3, 2, 2) and targets (3, 2, 3) as tensors */
    deep_tree *tree;         /* fitted classifier with class weights */
    deep_forest *forest;
    deep_dataset *typed;     /* from CSV with a text column "city" (column 1) */
    deep_model *graph;       /* inputs (2,) and (3,), outputs Dense(2) of each (nodes 2 and 3) */
    deep_model *recurrent;   /* (3, 2) -> LSTM(2) at node 1 */
} world;

static world w;

typedef deep_status (*fill_fn)(void *buffer, int64_t capacity, int64_t *needed);

static deep_status tensor_shape(void *b, int64_t c, int64_t *n) { return deep_tensor_shape(w.tensor, b, c, n); }
static deep_status tensor_argmax(void *b, int64_t c, int64_t *n) { return deep_tensor_argmax(w.tensor, b, c, n); }
static deep_status sample_shape(void *b, int64_t c, int64_t *n) { return deep_dataset_sample_shape(w.images, b, c, n); }
static deep_status labels(void *b, int64_t c, int64_t *n) { return deep_dataset_labels(w.table, b, c, n); }
static deep_status column_name(void *b, int64_t c, int64_t *n) { return deep_dataset_column_name(w.table, 0, b, c, n); }
static deep_status class_name(void *b, int64_t c, int64_t *n) { return deep_dataset_class_name(w.table, 1, b, c, n); }
static deep_status describe_text(void *b, int64_t c, int64_t *n) { return deep_dataset_describe_text(w.table, b, c, n); }
static deep_status vocab_token(void *b, int64_t c, int64_t *n) { return deep_vocab_token(w.vocab, 2, b, c, n); }
static deep_status vocab_encode(void *b, int64_t c, int64_t *n) { return deep_vocab_encode(w.vocab, "abca", 4, b, c, n); }
static deep_status model_get_string(void *b, int64_t c, int64_t *n)
{
    return deep_model_get_string(w.model, DEEP_MODEL_CHECKPOINT_PATH, b, c, n);
}
static deep_status model_evaluate(void *b, int64_t c, int64_t *n) { return deep_model_evaluate(w.model, w.images, 2, b, c, n); }
static deep_status model_train_on_batch(void *b, int64_t c, int64_t *n)
{
    return deep_model_train_on_batch(w.model, w.x, w.y, b, c, n);
}
static deep_status model_test_on_batch(void *b, int64_t c, int64_t *n)
{
    return deep_model_test_on_batch(w.model, w.x, w.y, b, c, n);
}
static const float batch_weights[3] = {1, 0.5f, 2};
static deep_status dataset_sample_weights(void *b, int64_t c, int64_t *n)
{
    return deep_dataset_sample_weights(w.images, b, c, n);
}
static deep_status model_train_on_batch_weighted(void *b, int64_t c, int64_t *n)
{
    return deep_model_train_on_batch_weighted(w.model, w.x, w.y, batch_weights, 3, b, c, n);
}
static deep_status model_test_on_batch_weighted(void *b, int64_t c, int64_t *n)
{
    return deep_model_test_on_batch_weighted(w.model, w.x, w.y, batch_weights, 3, b, c, n);
}
static deep_status model_class_weights(void *b, int64_t c, int64_t *n)
{
    return deep_model_get_class_weights(w.graph, b, c, n);
}
static deep_status model_predict_on_batch(void *b, int64_t c, int64_t *n)
{
    return deep_model_predict_on_batch(w.model, w.x, b, c, n);
}
static deep_status model_summary(void *b, int64_t c, int64_t *n) { return deep_model_summary(w.model, b, c, n); }
static deep_status model_input_shape(void *b, int64_t c, int64_t *n) { return deep_model_input_shape(w.model, b, c, n); }
static deep_status model_output_shape(void *b, int64_t c, int64_t *n) { return deep_model_output_shape(w.model, b, c, n); }
static deep_status model_node_shape(void *b, int64_t c, int64_t *n) { return deep_model_node_shape(w.model, 1, b, c, n); }
static deep_status model_node_inputs(void *b, int64_t c, int64_t *n) { return deep_model_node_inputs(w.graph, 4, b, c, n); }
static deep_status model_input_nodes(void *b, int64_t c, int64_t *n) { return deep_model_input_nodes(w.graph, b, c, n); }
static deep_status model_output_nodes(void *b, int64_t c, int64_t *n) { return deep_model_output_nodes(w.graph, b, c, n); }
static deep_status model_state_nodes(void *b, int64_t c, int64_t *n) { return deep_model_state_nodes(w.recurrent, 1, b, c, n); }
static deep_status model_save_buffer(void *b, int64_t c, int64_t *n) { return deep_model_save_buffer(w.model, b, c, n); }
static deep_status model_layer_name(void *b, int64_t c, int64_t *n) { return deep_model_layer_name(w.model, 0, b, c, n); }
/* ONNX export (since 1.2): only in a build with ONNX, where the calls do their work. */
#ifdef DEEP_HAVE_ONNX
static deep_status model_save_onnx(void *b, int64_t c, int64_t *n) { return deep_model_save_onnx_buffer(w.model, 0, b, c, n); }
static deep_status tree_save_onnx(void *b, int64_t c, int64_t *n) { return deep_tree_save_onnx_buffer(w.tree, b, c, n); }
static deep_status forest_save_onnx(void *b, int64_t c, int64_t *n) { return deep_forest_save_onnx_buffer(w.forest, b, c, n); }
#endif
static deep_status tree_class_weights(void *b, int64_t c, int64_t *n) { return deep_tree_get_class_weights(w.tree, b, c, n); }
static deep_status tree_importances(void *b, int64_t c, int64_t *n) { return deep_tree_feature_importances(w.tree, b, c, n); }
static deep_status tree_node_value(void *b, int64_t c, int64_t *n) { return deep_tree_node_value(w.tree, 0, b, c, n); }
static deep_status tree_json(void *b, int64_t c, int64_t *n) { return deep_tree_to_json(w.tree, b, c, n); }
static deep_status tree_cross_val(void *b, int64_t c, int64_t *n)
{
    return deep_tree_cross_val_score(w.tree, w.table, 2, 7, b, c, n);
}
static deep_status forest_class_weights(void *b, int64_t c, int64_t *n)
{
    return deep_forest_get_class_weights(w.forest, b, c, n);
}
static deep_status forest_importances(void *b, int64_t c, int64_t *n)
{
    return deep_forest_feature_importances(w.forest, b, c, n);
}
static deep_status forest_save_buffer(void *b, int64_t c, int64_t *n) { return deep_forest_save_buffer(w.forest, b, c, n); }
static deep_status forest_cross_val(void *b, int64_t c, int64_t *n)
{
    return deep_forest_cross_val_score(w.forest, w.table, 2, 7, b, c, n);
}
/* deep_kfold_indices has two outputs; each is checked with the other one large enough. */
static int64_t kfold_other[16];
static deep_status kfold_train(void *b, int64_t c, int64_t *n)
{
    int64_t other;
    return deep_kfold_indices(5, 2, 0, 1, 3, b, c, n, kfold_other, c == 0 ? 0 : 16, &other);
}
static deep_status kfold_test(void *b, int64_t c, int64_t *n)
{
    int64_t other;
    return deep_kfold_indices(5, 2, 0, 1, 3, kfold_other, c == 0 ? 0 : 16, &other, b, c, n);
}
/* Stratified folds and cross-validation with a choice of folds (since 1.2). */
static const int32_t skfold_labels[6] = {4, 4, 1, 1, 4, 1};
static deep_status skfold_train(void *b, int64_t c, int64_t *n)
{
    int64_t other;
    return deep_stratified_kfold_indices(skfold_labels, 6, 2, 0, 0, 3, b, c, n, kfold_other, c == 0 ? 0 : 16, &other);
}
static deep_status skfold_test(void *b, int64_t c, int64_t *n)
{
    int64_t other;
    return deep_stratified_kfold_indices(skfold_labels, 6, 2, 0, 0, 3, kfold_other, c == 0 ? 0 : 16, &other, b, c, n);
}
static deep_status tree_cross_val_cv(void *b, int64_t c, int64_t *n)
{
    return deep_tree_cross_val_score_cv(w.tree, w.table, 2, DEEP_CV_AUTO, 0, 7, b, c, n);
}
static deep_status forest_cross_val_cv(void *b, int64_t c, int64_t *n)
{
    return deep_forest_cross_val_score_cv(w.forest, w.table, 2, DEEP_CV_STRATIFIED, 1, 7, b, c, n);
}
/* Typed tables (since 1.1); deep_dataset_value_counts has two outputs, as kfold. */
static deep_status category_name(void *b, int64_t c, int64_t *n)
{
    return deep_dataset_category_name(w.typed, 1, 0, b, c, n);
}
static deep_status imputer_fill_text(void *b, int64_t c, int64_t *n)
{
    deep_imputer *imp = NULL;
    deep_status s = deep_imputer_new(DEEP_FILL_MOST_FREQUENT, 0.0, &imp);
    if (s == DEEP_OK)
        s = deep_imputer_fit(imp, w.typed);
    if (s == DEEP_OK)
        s = deep_imputer_fill_text(imp, 1, b, c, n);
    deep_imputer_free(imp);
    return s;
}
static double histogram_edges[16];
static int64_t histogram_counts[16];
static deep_status histogram_edges_fill(void *b, int64_t c, int64_t *n)
{
    int64_t other;
    return deep_dataset_histogram(w.typed, 0, 3, b, c, n, histogram_counts, c == 0 ? 0 : 16, &other);
}
static deep_status histogram_counts_fill(void *b, int64_t c, int64_t *n)
{
    int64_t other;
    return deep_dataset_histogram(w.typed, 0, 3, histogram_edges, c == 0 ? 0 : 16, &other, b, c, n);
}
static double counts_values[16];
static int64_t counts_counts[16];
static deep_status value_counts_values(void *b, int64_t c, int64_t *n)
{
    int64_t other;
    return deep_dataset_value_counts(w.typed, 1, b, c, n, counts_counts, c == 0 ? 0 : 16, &other);
}
static deep_status value_counts_counts(void *b, int64_t c, int64_t *n)
{
    int64_t other;
    return deep_dataset_value_counts(w.typed, 1, counts_values, c == 0 ? 0 : 16, &other, b, c, n);
}

static const struct {
    const char *function; /* as declared in deep.h */
    fill_fn fill;
    size_t item;          /* bytes per entry */
    bool text;            /* NUL-terminated, needed counting the NUL */
} cases[] = {
    {"deep_tensor_shape", tensor_shape, sizeof(int64_t), false},
    {"deep_tensor_argmax", tensor_argmax, sizeof(int64_t), false},
    {"deep_dataset_sample_shape", sample_shape, sizeof(int64_t), false},
    {"deep_dataset_labels", labels, sizeof(int32_t), false},
    {"deep_dataset_column_name", column_name, 1, true},
    {"deep_dataset_class_name", class_name, 1, true},
    {"deep_dataset_describe_text", describe_text, 1, true},
    {"deep_kfold_indices", kfold_train, sizeof(int64_t), false},
    {"deep_kfold_indices", kfold_test, sizeof(int64_t), false},
    {"deep_vocab_token", vocab_token, 1, true},
    {"deep_vocab_encode", vocab_encode, sizeof(int32_t), false},
    {"deep_model_get_string", model_get_string, 1, true},
    {"deep_model_evaluate", model_evaluate, sizeof(double), false},
    {"deep_model_train_on_batch", model_train_on_batch, sizeof(double), false},
    {"deep_model_test_on_batch", model_test_on_batch, sizeof(double), false},
    {"deep_model_predict_on_batch", model_predict_on_batch, sizeof(float), false},
    {"deep_model_summary", model_summary, 1, true},
    {"deep_model_input_shape", model_input_shape, sizeof(int64_t), false},
    {"deep_model_output_shape", model_output_shape, sizeof(int64_t), false},
    {"deep_model_node_shape", model_node_shape, sizeof(int64_t), false},
    {"deep_model_node_inputs", model_node_inputs, sizeof(int32_t), false},
    {"deep_model_input_nodes", model_input_nodes, sizeof(int32_t), false},
    {"deep_model_output_nodes", model_output_nodes, sizeof(int32_t), false},
    {"deep_model_state_nodes", model_state_nodes, sizeof(int32_t), false},
    {"deep_model_save_buffer", model_save_buffer, 1, false},
    {"deep_tree_get_class_weights", tree_class_weights, sizeof(double), false},
    {"deep_tree_feature_importances", tree_importances, sizeof(double), false},
    {"deep_tree_node_value", tree_node_value, sizeof(double), false},
    {"deep_tree_to_json", tree_json, 1, true},
    {"deep_forest_get_class_weights", forest_class_weights, sizeof(double), false},
    {"deep_forest_feature_importances", forest_importances, sizeof(double), false},
    {"deep_tree_cross_val_score", tree_cross_val, sizeof(double), false},
    {"deep_forest_cross_val_score", forest_cross_val, sizeof(double), false},
    {"deep_dataset_category_name", category_name, 1, true},
    {"deep_dataset_value_counts", value_counts_values, sizeof(double), false},
    {"deep_dataset_value_counts", value_counts_counts, sizeof(int64_t), false},
    {"deep_imputer_fill_text", imputer_fill_text, 1, true},
    {"deep_dataset_histogram", histogram_edges_fill, sizeof(double), false},
    {"deep_dataset_histogram", histogram_counts_fill, sizeof(int64_t), false},
    {"deep_forest_save_buffer", forest_save_buffer, 1, false},
#ifdef DEEP_HAVE_ONNX
    {"deep_model_save_onnx_buffer", model_save_onnx, 1, false},
    {"deep_tree_save_onnx_buffer", tree_save_onnx, 1, false},
    {"deep_forest_save_onnx_buffer", forest_save_onnx, 1, false},
#endif
    {"deep_dataset_sample_weights", dataset_sample_weights, sizeof(float), false},
    {"deep_model_train_on_batch_weighted", model_train_on_batch_weighted, sizeof(double), false},
    {"deep_model_test_on_batch_weighted", model_test_on_batch_weighted, sizeof(double), false},
    {"deep_model_get_class_weights", model_class_weights, sizeof(double), false},
    {"deep_stratified_kfold_indices", skfold_train, sizeof(int64_t), false},
    {"deep_stratified_kfold_indices", skfold_test, sizeof(int64_t), false},
    {"deep_tree_cross_val_score_cv", tree_cross_val_cv, sizeof(double), false},
    {"deep_forest_cross_val_score_cv", forest_cross_val_cv, sizeof(double), false},
    {"deep_model_layer_name", model_layer_name, 1, true},
};

static void make_world(void)
{
    char path[] = "/tmp/libdeep-buffers-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("alpha,beta,kind\n1,5,cat\n2,4,dog\n3,3,cat\n4,2,dog\n5,1,cat\n6,0,dog\n", f);
    fclose(f);
    ASSERT_OK(deep_dataset_load_csv(path, "kind", &w.table));
    f = fopen(path, "w");
    fputs("age,city\n1,Paris\n2,Lyon\n3,Paris\n4,Nice\n", f);
    fclose(f);
    ASSERT_OK(deep_dataset_load_csv_typed(path, NULL, &w.typed));
    remove(path);

    const float values[] = {0.5f, 2, 1, -1, 3, 3};
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){2, 3}, values, 6, &w.tensor));

    float features[3 * 4] = {0}, targets[3 * 6] = {0};
    for (int i = 0; i < 12; i++)
        features[i] = (float)i / 12;
    ASSERT_OK(deep_dataset_new(3, 2, (const int64_t[]){2, 2}, features, &w.images));
    ASSERT_OK(deep_dataset_set_targets(w.images, targets, 3, 6));
    ASSERT_OK(deep_dataset_set_sample_weights(w.images, batch_weights, 3));
    ASSERT_OK(deep_tensor_new_from(3, (const int64_t[]){3, 2, 2}, features, 12, &w.x));
    ASSERT_OK(deep_tensor_new_from(3, (const int64_t[]){3, 2, 3}, targets, 18, &w.y));

    ASSERT_OK(deep_vocab_new(DEEP_TOKENS_CHARACTERS, &w.vocab));
    ASSERT_OK(deep_vocab_add_text(w.vocab, "aab", 3));
    ASSERT_OK(deep_vocab_freeze(w.vocab, 0, 1));

    deep_optimizer *opt = NULL;
    const deep_metric metrics[] = {DEEP_METRIC_MEAN_ABSOLUTE_ERROR};
    ASSERT_OK(deep_model_new(2, (const int64_t[]){2, 2}, &w.model));
    ASSERT_OK(deep_model_add_dense(w.model, 3, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(w.model, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, metrics, 1));
    ASSERT_OK(deep_model_set_string(w.model, DEEP_MODEL_CHECKPOINT_PATH, "ckpt.deep"));

    int32_t second, a, b;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){2}, &w.graph));
    ASSERT_OK(deep_model_add_input(w.graph, 1, (const int64_t[]){3}, &second));
    ASSERT_OK(deep_model_connect(w.graph, (const int32_t[]){0}, 1));
    ASSERT_OK(deep_model_add_dense(w.graph, 2, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_last_node(w.graph, &a));
    ASSERT_OK(deep_model_connect(w.graph, &second, 1));
    ASSERT_OK(deep_model_add_dense(w.graph, 2, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_last_node(w.graph, &b));
    ASSERT_OK(deep_model_set_outputs(w.graph, (const int32_t[]){a, b}, 2));
    ASSERT_OK(deep_model_connect(w.graph, (const int32_t[]){a, b}, 2));
    ASSERT_OK(deep_model_add_concatenate(w.graph, -1)); /* node 4, on nodes 2 and 3 */
    ASSERT_OK(deep_model_set_class_weights(w.graph, (const double[]){1, 4}, 2));
    ASSERT_OK(deep_model_new(2, (const int64_t[]){3, 2}, &w.recurrent));
    ASSERT_OK(deep_model_add_lstm(w.recurrent, 2, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));

    const double weights[] = {1.0, 2.0};
    ASSERT_OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &w.tree));
    ASSERT_OK(deep_tree_set_class_weights(w.tree, weights, 2));
    ASSERT_OK(deep_tree_fit(w.tree, w.table));
    ASSERT_OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &w.forest));
    ASSERT_OK(deep_forest_set_int(w.forest, DEEP_FOREST_N_ESTIMATORS, 3));
    ASSERT_OK(deep_forest_set_int(w.forest, DEEP_FOREST_THREADS, 1));
    ASSERT_OK(deep_forest_set_class_weights(w.forest, weights, 2));
    ASSERT_OK(deep_forest_fit(w.forest, w.table));
}

static void free_world(void)
{
    deep_tensor_free(w.tensor);
    deep_tensor_free(w.x);
    deep_tensor_free(w.y);
    deep_dataset_free(w.table);
    deep_dataset_free(w.images);
    deep_vocab_free(w.vocab);
    deep_model_free(w.model);
    deep_model_free(w.graph);
    deep_model_free(w.recurrent);
    deep_tree_free(w.tree);
    deep_forest_free(w.forest);
    deep_dataset_free(w.typed);
    memset(&w, 0, sizeof w);
}

static bool untouched(const unsigned char *bytes, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (bytes[i] != SENTINEL)
            return false;
    return true;
}

START_TEST(every_function_keeps_the_contract)
{
    const char *name = cases[_i].function;
    fill_fn fill = cases[_i].fill;
    size_t item = cases[_i].item;
    make_world();

    /* capacity 0: the size query, buffer NULL allowed. */
    int64_t needed = -1;
    deep_status s = fill(NULL, 0, &needed);
    ck_assert_msg(s == DEEP_OK, "%s: size query returned %s: %s", name, deep_status_string(s), deep_last_error());
    /* The world is built so that needed - 1 is not itself a size query. */
    ck_assert_msg(needed >= 2, "%s: needed %lld", name, (long long)needed);

    size_t bytes = (size_t)(needed + SLACK) * item;
    unsigned char *buffer = malloc(bytes);
    memset(buffer, SENTINEL, bytes);

    /* needed - 1: too small, and not a byte written. */
    int64_t again = -1;
    s = fill(buffer, needed - 1, &again);
    ck_assert_msg(s == DEEP_ERR_BUFFER_TOO_SMALL, "%s: capacity needed - 1 returned %s", name, deep_status_string(s));
    ck_assert_msg(strncmp(deep_last_error(), name, strlen(name)) == 0, "%s: message '%s'", name, deep_last_error());
    ck_assert_int_eq(again, needed);
    ck_assert_msg(untouched(buffer, 0, bytes), "%s: a too-small buffer was written", name);

    /* Exactly needed: the result, and nothing past it. */
    again = -1;
    s = fill(buffer, needed, &again);
    ck_assert_msg(s == DEEP_OK, "%s: capacity needed returned %s: %s", name, deep_status_string(s), deep_last_error());
    ck_assert_int_eq(again, needed);
    ck_assert_msg(untouched(buffer, (size_t)needed * item, bytes), "%s: wrote past needed", name);
    ck_assert_msg(!untouched(buffer, 0, (size_t)needed * item), "%s: wrote nothing", name);
    if (cases[_i].text) /* NUL-terminated at needed - 1, no NUL before it */
        ck_assert_msg(buffer[needed - 1] == '\0' && strlen((char *)buffer) == (size_t)needed - 1, "%s: text", name);

    /* Bad arguments: refused, and *needed is 0 after any failure but a short buffer. */
    again = -1;
    ck_assert_int_eq(fill(buffer, -1, &again), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(again, 0);
    again = -1;
    ck_assert_int_eq(fill(NULL, needed, &again), DEEP_ERR_NULL);
    ck_assert_int_eq(again, 0);
    ck_assert_int_eq(fill(buffer, needed, NULL), DEEP_ERR_NULL);
    free(buffer);
    free_world();
}
END_TEST

/* The header's declarations that take a capacity, read from deep.h itself. */
static char *read_header(void)
{
    size_t length;
    char *text = (char *)read_all(DEEP_SOURCE_DIR "/include/deep.h", &length);
    text[length] = '\0';
    return text;
}

static bool listed(const char *function)
{
    for (int i = 0; i < COUNT_OF(cases); i++)
        if (strcmp(cases[i].function, function) == 0)
            return true;
    return false;
}

START_TEST(the_list_covers_the_header)
{
    char *header = read_header();
    int found = 0;
    for (char *at = strstr(header, "DEEP_API "); at != NULL; at = strstr(at + 1, "DEEP_API ")) {
        char *end = strchr(at, ';');
        ck_assert_ptr_nonnull(end);
        char declaration[1024];
        size_t n = (size_t)(end - at) < sizeof declaration - 1 ? (size_t)(end - at) : sizeof declaration - 1;
        memcpy(declaration, at, n);
        declaration[n] = '\0';
        if (strstr(declaration, "capacity") == NULL || strchr(declaration, '#') != NULL)
            continue; /* no capacity, or the DEEP_API macro's own definition */
        char *open = strchr(declaration, '(');
        char *name = open;
        while (name > declaration && name[-1] != ' ' && name[-1] != '*')
            name--;
        *open = '\0';
#ifndef DEEP_HAVE_ONNX
        if (strstr(name, "_onnx_") != NULL) /* DEEP_ERR_UNSUPPORTED without ONNX: test_onnx_export checks that */
            continue;
#endif
        ck_assert_msg(listed(name), "%s takes a capacity but tests/test_buffers.c does not check it", name);
        /* Every capacity is followed by its needed: (T *buffer, int64_t capacity, int64_t *needed). */
        const char *rest = open + 1;
        int capacities = 0, triples = 0;
        for (const char *c = strstr(rest, "capacity"); c != NULL; c = strstr(c + 1, "capacity"))
            capacities++;
        for (const char *c = strstr(rest, "int64_t "); c != NULL; c = strstr(c + 1, "int64_t ")) {
            const char *word = c + 8, *comma = strchr(word, ',');
            size_t len = comma ? (size_t)(comma - word) : 0;
            if (len >= 8 && strncmp(word + len - 8, "capacity", 8) == 0) {
                const char *next = comma + 1;
                while (*next == ' ' || *next == '\n')
                    next++;
                size_t word_length = strcspn(next, ",)");
                triples += strncmp(next, "int64_t *", 9) == 0 && word_length >= 6 &&
                           strncmp(next + word_length - 6, "needed", 6) == 0;
            }
        }
        ck_assert_msg(capacities > 0 && capacities == triples, "%s: %d capacities, %d (int64_t capacity, int64_t *needed)",
                      name, capacities, triples);
        found++;
    }
    /* Every listed function is in the header (a rename would otherwise go unnoticed). */
    for (int i = 0; i < COUNT_OF(cases); i++) {
        char call[128];
        snprintf(call, sizeof call, " %s(", cases[i].function);
        ck_assert_msg(strstr(header, call) != NULL, "%s is listed but not declared in deep.h", cases[i].function);
    }
    /* kfold_indices, value_counts, histogram and stratified_kfold_indices are listed twice */
    ck_assert_int_eq(found, COUNT_OF(cases) - 4);
    free(header);
}
END_TEST

/* A failure after the sizes are known (here out of memory: count * 8 bytes of indices
 * cannot be allocated) leaves both needed at 0, as every other failure but a short buffer. */
START_TEST(kfold_failure_leaves_needed_zero)
{
    int64_t train[1], test[1], train_needed = -1, test_needed = -1;
    int64_t count = INT64_MAX / 2;
    deep_status s = deep_kfold_indices(count, 2, 0, 0, 0, train, INT64_MAX, &train_needed, test, INT64_MAX,
                                       &test_needed);
    ck_assert_int_eq(s, DEEP_ERR_NO_MEMORY);
    ck_assert_msg(strncmp(deep_last_error(), "deep_kfold_indices", 18) == 0, "%s", deep_last_error());
    ck_assert_int_eq(train_needed, 0);
    ck_assert_int_eq(test_needed, 0);
}
END_TEST

static Suite *buffers_suite(void)
{
    Suite *s = suite_create("buffers");
    TCase *tc = tcase_create("contract");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_function_keeps_the_contract, 0, COUNT_OF(cases));
    tcase_add_test(tc, the_list_covers_the_header);
    tcase_add_test(tc, kfold_failure_leaves_needed_zero);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(buffers_suite(), CK_NORMAL);
}
