/* Tests of the ONNX export (since 1.2): argument checks, opsets, refused layers, the buffer
 * contract, the atomic file write, and the ModelProto read back with protobuf-c (node,
 * initializer, input and output counts, a shared layer's single initializers). Third-party
 * readers (onnx's checker, OpenCV) check the files in onnx_export_check.py. Without ONNX in
 * the build the calls must exist and say DEEP_ERR_UNSUPPORTED. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph/model.h"

#define OK(expr) ck_assert_int_eq((expr), DEEP_OK)
#define FAILS(expr, status, text)                                                                 \
    do {                                                                                         \
        ck_assert_int_eq((expr), (status));                                                      \
        ck_assert_msg(strstr(deep_last_error(), (text)) != NULL, "message '%s' lacks '%s'",     \
                      deep_last_error(), (text));                                                \
    } while (0)

static void compile(deep_model *m)
{
    deep_optimizer *opt = NULL;
    OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    OK(deep_model_compile(m, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
}

static deep_model *mlp(bool compiled)
{
    deep_model *m = NULL;
    OK(deep_model_new(1, (const int64_t[]){4}, &m));
    OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_RELU, 1));
    OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    if (compiled)
        compile(m);
    return m;
}

#ifdef DEEP_HAVE_ONNX
#include "onnx/onnx.pb-c.h"

/* The model's ONNX bytes, unpacked. */
static Onnx__ModelProto *exported(const deep_model *m, int32_t opset)
{
    int64_t size = 0;
    OK(deep_model_save_onnx_buffer(m, opset, NULL, 0, &size));
    ck_assert_int_gt(size, 0);
    uint8_t *bytes = malloc((size_t)size);
    int64_t again = 0;
    OK(deep_model_save_onnx_buffer(m, opset, bytes, size, &again));
    ck_assert_int_eq(again, size);
    Onnx__ModelProto *p = onnx__model_proto__unpack(NULL, (size_t)size, bytes);
    free(bytes);
    ck_assert_ptr_nonnull(p);
    return p;
}

static size_t count_op(const Onnx__GraphProto *g, const char *op)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_node; i++)
        n += strcmp(g->node[i]->op_type, op) == 0;
    return n;
}

START_TEST(test_arguments)
{
    deep_model *m = mlp(true);
    FAILS(deep_model_save_onnx(NULL, "x.onnx", 0), DEEP_ERR_NULL, "deep_model_save_onnx");
    FAILS(deep_model_save_onnx(m, NULL, 0), DEEP_ERR_NULL, "deep_model_save_onnx");
    int64_t needed = 7;
    FAILS(deep_model_save_onnx_buffer(NULL, 0, NULL, 0, &needed), DEEP_ERR_NULL, "deep_model_save_onnx_buffer");
    ck_assert_int_eq(needed, 0);
    FAILS(deep_model_save_onnx_buffer(m, 0, NULL, 0, NULL), DEEP_ERR_NULL, "deep_model_save_onnx_buffer");
    FAILS(deep_model_save_onnx_buffer(m, 0, NULL, -1, &needed), DEEP_ERR_INVALID_ARGUMENT,
          "deep_model_save_onnx_buffer");
    FAILS(deep_model_save_onnx_buffer(m, 0, NULL, 10, &needed), DEEP_ERR_NULL, "deep_model_save_onnx_buffer");
    /* Opsets outside 13..17 are refused with the range; 0 is 13. */
    FAILS(deep_model_save_onnx_buffer(m, 12, NULL, 0, &needed), DEEP_ERR_UNSUPPORTED, "opsets 13 to 17");
    ck_assert_int_eq(needed, 0);
    FAILS(deep_model_save_onnx(m, "never.onnx", 18), DEEP_ERR_UNSUPPORTED, "opset 18");
    ck_assert_int_ne(access("never.onnx", F_OK), 0);
    Onnx__ModelProto *p = exported(m, 0);
    ck_assert_int_eq(p->opset_import[0]->version, 13);
    ck_assert_int_eq(p->ir_version, 7);
    onnx__model_proto__free_unpacked(p, NULL);
    p = exported(m, 17);
    ck_assert_int_eq(p->opset_import[0]->version, 17);
    ck_assert_int_eq(p->ir_version, 8);
    onnx__model_proto__free_unpacked(p, NULL);
    deep_model_free(m);
    /* No weights before compile. */
    m = mlp(false);
    FAILS(deep_model_save_onnx_buffer(m, 0, NULL, 0, &needed), DEEP_ERR_STATE, "compile it");
    deep_model_free(m);
}
END_TEST

START_TEST(test_capacity)
{
    deep_model *m = mlp(true);
    int64_t size = 0, needed = 0;
    OK(deep_model_save_onnx_buffer(m, 0, NULL, 0, &size));
    uint8_t *buffer = malloc((size_t)size + 8);
    memset(buffer, 0xab, (size_t)size + 8);
    /* Too small: nothing written, the size still told. */
    FAILS(deep_model_save_onnx_buffer(m, 0, buffer, size - 1, &needed), DEEP_ERR_BUFFER_TOO_SMALL,
          "deep_model_save_onnx_buffer");
    ck_assert_int_eq(needed, size);
    for (int64_t i = 0; i < size + 8; i++)
        ck_assert_int_eq(buffer[i], 0xab);
    OK(deep_model_save_onnx_buffer(m, 0, buffer, size + 8, &needed));
    ck_assert_int_eq(needed, size);
    ck_assert_int_eq(buffer[size], 0xab);
    free(buffer);
    deep_model_free(m);
}
END_TEST

START_TEST(test_file_atomic)
{
    char dir[] = "/tmp/deep-onnx-XXXXXX", path[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    deep_model *m = mlp(true);
    FILE *f = fopen(path, "w");
    fputs("old", f);
    fclose(f);
    chmod(path, 0640);
    OK(deep_model_save_onnx(m, path, 0));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640); /* the replaced file's mode is kept */
    int64_t size = 0;
    OK(deep_model_save_onnx_buffer(m, 0, NULL, 0, &size));
    ck_assert_int_eq(st.st_size, size);
    /* A failed export leaves the old file and no temporary one. */
    FAILS(deep_model_save_onnx(m, path, 99), DEEP_ERR_UNSUPPORTED, "opset 99");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, size);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/dir/m.onnx", dir);
    FAILS(deep_model_save_onnx(m, missing, 0), DEEP_ERR_IO, "deep_model_save_onnx");
    unlink(path);
    ck_assert_int_eq(rmdir(dir), 0); /* empty: no temporary file left behind */
    deep_model_free(m);
}
END_TEST

START_TEST(test_graph_counts)
{
    deep_model *m = mlp(true);
    Onnx__ModelProto *p = exported(m, 0);
    const Onnx__GraphProto *g = p->graph;
    /* Gemm, Relu, Gemm, Softmax, and the output's Identity; two kernels, two biases. */
    ck_assert_int_eq(g->n_node, 5);
    ck_assert_int_eq(count_op(g, "Gemm"), 2);
    ck_assert_int_eq(g->n_initializer, 4);
    ck_assert_int_eq(g->n_input, 1);
    ck_assert_str_eq(g->input[0]->name, "input");
    ck_assert_str_eq(g->output[0]->name, "output");
    /* The batch dimension is dynamic, "N". */
    const Onnx__TensorShapeProto *shape = g->input[0]->type->tensor_type->shape;
    ck_assert_int_eq(shape->n_dim, 2);
    ck_assert_str_eq(shape->dim[0]->dim_param, "N");
    ck_assert_int_eq(shape->dim[1]->dim_value, 4);
    /* The kernel is written transposed (units, inputs) for Gemm's transB. */
    ck_assert_str_eq(g->initializer[0]->name, "dense/kernel_t");
    ck_assert_int_eq(g->initializer[0]->dims[0], 3);
    ck_assert_int_eq(g->initializer[0]->dims[1], 4);
    ck_assert_float_eq(g->initializer[0]->float_data[1 * 4 + 2], m->layers[0]->params[0].value[2 * 3 + 1]);
    onnx__model_proto__free_unpacked(p, NULL);
    deep_model_free(m);

    /* A CNN: one Transpose after the input and one before Flatten, none per convolution. */
    OK(deep_model_new(3, (const int64_t[]){8, 8, 1}, &m));
    OK(deep_model_add_conv2d(m, 2, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    OK(deep_model_add_conv2d(m, 2, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
    OK(deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID));
    OK(deep_model_add_flatten(m));
    OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    compile(m);
    p = exported(m, 0);
    ck_assert_int_eq(count_op(p->graph, "Transpose"), 2);
    ck_assert_int_eq(count_op(p->graph, "Conv"), 2);
    onnx__model_proto__free_unpacked(p, NULL);
    deep_model_free(m);

    /* A shared layer: one kernel and one bias for both calls. */
    int32_t other, a, b;
    OK(deep_model_new(1, (const int64_t[]){5}, &m));
    OK(deep_model_add_input(m, 1, (const int64_t[]){5}, &other));
    OK(deep_model_connect(m, (const int32_t[]){0}, 1));
    OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_TANH, 1));
    OK(deep_model_last_node(m, &a));
    OK(deep_model_apply_layer(m, 0, &other, 1, &b));
    OK(deep_model_connect(m, (const int32_t[]){a, b}, 2));
    OK(deep_model_add_subtract(m));
    compile(m);
    p = exported(m, 0);
    ck_assert_int_eq(p->graph->n_input, 2);
    ck_assert_str_eq(p->graph->input[1]->name, "input_2");
    ck_assert_int_eq(count_op(p->graph, "Gemm"), 2);
    ck_assert_int_eq(p->graph->n_initializer, 2);
    onnx__model_proto__free_unpacked(p, NULL);
    deep_model_free(m);
}
END_TEST

START_TEST(test_refused_layers)
{
    deep_model *m = NULL;
    int64_t needed;
    OK(deep_model_new(2, (const int64_t[]){5, 3}, &m));
    OK(deep_model_add_masking(m, 0));
    OK(deep_model_add_lstm(m, 2, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    compile(m);
    FAILS(deep_model_save_onnx_buffer(m, 0, NULL, 0, &needed), DEEP_ERR_UNSUPPORTED, "layer masking (Masking)");
    ck_assert_int_eq(needed, 0);
    deep_model_free(m);

    OK(deep_model_new(1, (const int64_t[]){5}, &m));
    OK(deep_model_add_embedding(m, 10, 3, 0));
    OK(deep_model_set_layer_int(m, 0, DEEP_LAYER_MASK_ZERO, 1));
    OK(deep_model_add_gru(m, 2, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    compile(m);
    FAILS(deep_model_save_onnx_buffer(m, 0, NULL, 0, &needed), DEEP_ERR_UNSUPPORTED, "(Embedding) has mask_zero");
    deep_model_free(m);

    OK(deep_model_new(2, (const int64_t[]){5, 3}, &m));
    OK(deep_model_add_lstm(m, 2, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    OK(deep_model_add_bidirectional(m, DEEP_MERGE_CONCAT));
    OK(deep_model_set_layer_int(m, 0, DEEP_LAYER_GO_BACKWARDS, 1));
    compile(m);
    FAILS(deep_model_save_onnx_buffer(m, 0, NULL, 0, &needed), DEEP_ERR_UNSUPPORTED, "(Bidirectional) with go_backwards");
    deep_model_free(m);
}
END_TEST

START_TEST(test_recurrent_weights)
{
    /* LSTM gates i, f, c, o (Keras) become i, o, f, c (ONNX). */
    deep_model *m = NULL;
    OK(deep_model_new(2, (const int64_t[]){4, 2}, &m));
    OK(deep_model_add_lstm(m, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    compile(m);
    Onnx__ModelProto *p = exported(m, 0);
    const Onnx__TensorProto *w = NULL;
    for (size_t i = 0; i < p->graph->n_initializer; i++)
        if (strcmp(p->graph->initializer[i]->name, "lstm/W") == 0)
            w = p->graph->initializer[i];
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(w->n_dims, 3);
    ck_assert_int_eq(w->dims[1], 12);
    const float *kernel = m->layers[0]->params[0].value; /* (2, 12) */
    /* ONNX row (gate o = 1, unit 2), feature 1 is Keras' kernel[1][3 * 3 + 2]. */
    ck_assert_float_eq(w->float_data[(1 * 3 + 2) * 2 + 1], kernel[1 * 12 + 3 * 3 + 2]);
    ck_assert_int_eq(count_op(p->graph, "LSTM"), 1);
    onnx__model_proto__free_unpacked(p, NULL);
    deep_model_free(m);
}
END_TEST

START_TEST(test_trees)
{
    deep_tree *t = NULL;
    deep_forest *f = NULL;
    int64_t needed = 3;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &t));
    OK(deep_forest_new(DEEP_TREE_REGRESSOR, &f));
    FAILS(deep_tree_save_onnx(NULL, "t.onnx"), DEEP_ERR_NULL, "deep_tree_save_onnx");
    FAILS(deep_forest_save_onnx(f, NULL), DEEP_ERR_NULL, "deep_forest_save_onnx");
    FAILS(deep_tree_save_onnx_buffer(t, NULL, 0, &needed), DEEP_ERR_STATE, "not fitted");
    ck_assert_int_eq(needed, 0);
    FAILS(deep_forest_save_onnx_buffer(f, NULL, 0, &needed), DEEP_ERR_STATE, "not fitted");
    FAILS(deep_forest_save_onnx_buffer(f, NULL, 0, NULL), DEEP_ERR_NULL, "deep_forest_save_onnx_buffer");
    /* Fitted on 4 points: a root split and two leaves per tree. */
    deep_dataset *d = NULL;
    const float x[] = {0, 1, 2, 3};
    OK(deep_dataset_new(4, 1, (const int64_t[]){1}, x, &d));
    OK(deep_dataset_set_labels(d, (const int32_t[]){0, 0, 1, 1}, 4, 2));
    OK(deep_tree_fit(t, d));
    int64_t size = 0;
    OK(deep_tree_save_onnx_buffer(t, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size);
    FAILS(deep_tree_save_onnx_buffer(t, bytes, size - 1, &needed), DEEP_ERR_BUFFER_TOO_SMALL,
          "deep_tree_save_onnx_buffer");
    ck_assert_int_eq(needed, size);
    OK(deep_tree_save_onnx_buffer(t, bytes, size, &needed));
    Onnx__ModelProto *p = onnx__model_proto__unpack(NULL, (size_t)size, bytes);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->n_opset_import, 2);
    ck_assert_str_eq(p->opset_import[1]->domain, "ai.onnx.ml");
    const Onnx__NodeProto *n = p->graph->node[0];
    ck_assert_str_eq(n->op_type, "TreeEnsembleClassifier");
    ck_assert_int_eq(n->n_output, 2);
    for (size_t i = 0; i < n->n_attribute; i++) {
        const Onnx__AttributeProto *a = n->attribute[i];
        if (strcmp(a->name, "nodes_modes") == 0) {
            ck_assert_int_eq(a->n_strings, 3);
            ck_assert_int_eq(memcmp(a->strings[0].data, "BRANCH_LEQ", 10), 0);
        }
        if (strcmp(a->name, "nodes_values") == 0)
            ck_assert_float_eq(a->floats[0], 1.5f);
        if (strcmp(a->name, "class_weights") == 0)
            ck_assert_int_eq(a->n_floats, 4); /* two leaves of two classes */
    }
    onnx__model_proto__free_unpacked(p, NULL);
    free(bytes);
    deep_dataset_free(d);
    deep_tree_free(t);
    deep_forest_free(f);
}
END_TEST

#else

START_TEST(test_unsupported)
{
    deep_model *m = mlp(true);
    int64_t needed = 5;
    FAILS(deep_model_save_onnx(m, "x.onnx", 0), DEEP_ERR_UNSUPPORTED, "without ONNX");
    FAILS(deep_model_save_onnx_buffer(m, 0, NULL, 0, &needed), DEEP_ERR_UNSUPPORTED, "without ONNX");
    ck_assert_int_eq(needed, 0);
    deep_model_free(m);
    deep_tree *t = NULL;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &t));
    FAILS(deep_tree_save_onnx(t, "t.onnx"), DEEP_ERR_UNSUPPORTED, "without ONNX");
    needed = 5;
    FAILS(deep_tree_save_onnx_buffer(t, NULL, 0, &needed), DEEP_ERR_UNSUPPORTED, "without ONNX");
    ck_assert_int_eq(needed, 0);
    deep_tree_free(t);
}
END_TEST

#endif

int main(void)
{
    Suite *s = suite_create("onnx_export");
    TCase *t = tcase_create("export");
#ifdef DEEP_HAVE_ONNX
    tcase_add_test(t, test_arguments);
    tcase_add_test(t, test_capacity);
    tcase_add_test(t, test_file_atomic);
    tcase_add_test(t, test_graph_counts);
    tcase_add_test(t, test_refused_layers);
    tcase_add_test(t, test_recurrent_weights);
    tcase_add_test(t, test_trees);
#else
    tcase_add_test(t, test_unsupported);
#endif
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed == 0 ? 0 : 1;
}
