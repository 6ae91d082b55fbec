/* Helper of onnx_export_check.py: builds one of a set of models, gives every weight random
 * values (so biases, BatchNormalization statistics and LayerNormalization's scale are not
 * their trivial initial values), exports it with deep_model_save_onnx and writes, next to
 * DIR/NAME.onnx, libdeep's own predictions on random inputs:
 *   DIR/NAME.txt    "inputs K", K lines "<name> <rank> <dims...>" (per-sample shapes), then
 *                   "outputs M" and M such lines, then "samples N"
 *   DIR/NAME.in     N samples of every input, float32, in predict's row layout
 *   DIR/NAME.out    N rows of every output, float32, as predict gives them
 * The trees ("tree", "forest", "forest_regressor") are fitted on random data and write
 * DIR/NAME.onnx, DIR/NAME.in (N rows of 4 features), DIR/NAME.out (predict_proba's rows,
 * or predict's values), DIR/NAME.txt ("trees <kind> N") and, for the tree, DIR/NAME.json
 * (deep_tree_to_json).
 * Usage: onnx_export_models DIR NAME [OPSET]; "list" as NAME prints the names. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep.h"

#define OK(call)                                                                                          \
    do {                                                                                                  \
        deep_status s_ = (call);                                                                          \
        if (s_ != DEEP_OK) {                                                                              \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, deep_last_error());           \
            exit(1);                                                                                      \
        }                                                                                                 \
    } while (0)

static deep_model *start(int32_t rank, const int64_t *shape)
{
    deep_model *m = NULL;
    OK(deep_model_new(rank, shape, &m));
    OK(deep_model_set_seed(m, 7));
    OK(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    return m;
}

static int32_t last(deep_model *m)
{
    int32_t n;
    OK(deep_model_last_node(m, &n));
    return n;
}

static void connect(deep_model *m, int32_t count, const int32_t *nodes)
{
    OK(deep_model_connect(m, nodes, count));
}

static deep_model *build(const char *name)
{
    deep_model *m = NULL;
    if (strcmp(name, "mlp") == 0) {
        m = start(1, (const int64_t[]){12});
        OK(deep_model_add_dense(m, 16, DEEP_ACTIVATION_RELU, 1));
        OK(deep_model_add_dropout(m, 0.2));
        OK(deep_model_add_dense(m, 8, DEEP_ACTIVATION_TANH, 1));
        OK(deep_model_add_dense(m, 4, DEEP_ACTIVATION_SOFTMAX, 0));
    } else if (strcmp(name, "cnn") == 0) { /* the seed CNN's shape, smaller */
        m = start(3, (const int64_t[]){12, 12, 1});
        OK(deep_model_add_conv2d(m, 4, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
        OK(deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID));
        OK(deep_model_add_conv2d(m, 6, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
        OK(deep_model_add_average_pooling2d(m, 2, 2, 1, 1, DEEP_PADDING_SAME));
        OK(deep_model_add_flatten(m));
        OK(deep_model_add_dense(m, 10, DEEP_ACTIVATION_SOFTMAX, 1));
    } else if (strcmp(name, "autoencoder") == 0) {
        m = start(3, (const int64_t[]){8, 8, 1});
        OK(deep_model_add_conv2d(m, 4, 3, 3, 2, 2, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
        OK(deep_model_add_conv2d_transpose(m, 4, 3, 3, 2, 2, DEEP_PADDING_SAME, -1, -1, DEEP_ACTIVATION_RELU, 1));
        OK(deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID));
        OK(deep_model_add_up_sampling2d(m, 2, 2, DEEP_INTERPOLATION_NEAREST));
        OK(deep_model_add_conv2d(m, 1, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_SIGMOID, 1));
    } else if (strcmp(name, "resnet") == 0) {
        m = start(3, (const int64_t[]){8, 8, 3});
        OK(deep_model_add_conv2d(m, 4, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
        int32_t a = last(m);
        OK(deep_model_add_conv2d(m, 4, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_LINEAR, 0));
        OK(deep_model_add_batch_normalization(m, 0.99, 1e-3));
        int32_t b = last(m);
        connect(m, 2, (const int32_t[]){a, b});
        OK(deep_model_add_add(m));
        OK(deep_model_add_activation(m, DEEP_ACTIVATION_RELU));
        int32_t c = last(m);
        connect(m, 2, (const int32_t[]){c, a}); /* channels, joined where they are channels first */
        OK(deep_model_add_concatenate(m, -1));
        OK(deep_model_add_global_average_pooling2d(m));
        OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    } else if (strcmp(name, "two_inputs") == 0) {
        m = start(1, (const int64_t[]){6});
        int32_t extra, a, b;
        OK(deep_model_add_input(m, 1, (const int64_t[]){4}, &extra));
        connect(m, 1, (const int32_t[]){0});
        OK(deep_model_add_dense(m, 5, DEEP_ACTIVATION_RELU, 1));
        a = last(m);
        connect(m, 1, &extra);
        OK(deep_model_add_dense(m, 5, DEEP_ACTIVATION_SIGMOID, 1));
        b = last(m);
        connect(m, 2, (const int32_t[]){a, b});
        OK(deep_model_add_concatenate(m, -1));
        OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
    } else if (strcmp(name, "shared") == 0) { /* one Dense called on two inputs, then Subtract */
        m = start(1, (const int64_t[]){5});
        int32_t other, a, b;
        OK(deep_model_add_input(m, 1, (const int64_t[]){5}, &other));
        connect(m, 1, (const int32_t[]){0});
        OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_TANH, 1));
        a = last(m);
        OK(deep_model_apply_layer(m, 0, &other, 1, &b));
        connect(m, 2, (const int32_t[]){a, b});
        OK(deep_model_add_subtract(m));
    } else if (strcmp(name, "lstm") == 0) {
        m = start(2, (const int64_t[]){5, 3});
        OK(deep_model_add_lstm(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
        OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    } else if (strcmp(name, "gru") == 0) {
        m = start(2, (const int64_t[]){5, 3});
        OK(deep_model_add_gru(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
        OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    } else if (strcmp(name, "recurrent_all") == 0) { /* sequences, directions, GRU before reset */
        m = start(2, (const int64_t[]){6, 3});
        OK(deep_model_add_lstm(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
        OK(deep_model_add_bidirectional(m, DEEP_MERGE_CONCAT));
        OK(deep_model_add_gru(m, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
        OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_RESET_AFTER, 0));
        OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_GO_BACKWARDS, 1));
        OK(deep_model_add_simple_rnn(m, 3, DEEP_ACTIVATION_RELU, 1, 1));
        OK(deep_model_add_gru(m, 2, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
        OK(deep_model_add_bidirectional(m, DEEP_MERGE_AVE));
    } else if (strcmp(name, "sequence_layers") == 0) {
        m = start(1, (const int64_t[]){7});
        OK(deep_model_add_embedding(m, 10, 4, 0));
        OK(deep_model_add_conv1d(m, 5, 3, 1, DEEP_PADDING_CAUSAL, 2, DEEP_ACTIVATION_SELU, 1));
        OK(deep_model_add_max_pooling1d(m, 2, 0, DEEP_PADDING_SAME));
        OK(deep_model_add_layer_normalization(m, 1e-3, 1, 0));
        OK(deep_model_add_permute(m, 2, (const int32_t[]){2, 1}));
        OK(deep_model_add_reshape(m, 2, (const int64_t[]){4, -1}));
        OK(deep_model_add_global_average_pooling1d(m, 0));
        OK(deep_model_add_repeat_vector(m, 2));
        OK(deep_model_add_flatten(m));
        OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_GELU, 1));
    } else if (strcmp(name, "image_layers") == 0) {
        m = start(3, (const int64_t[]){7, 6, 2});
        OK(deep_model_add_zero_padding2d(m, 1, 0, 2, 1));
        OK(deep_model_add_depthwise_conv2d(m, 3, 3, 2, 1, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_SILU, 1));
        OK(deep_model_add_separable_conv2d(m, 3, 2, 2, 1, 1, DEEP_PADDING_VALID, 1, DEEP_ACTIVATION_GELU_TANH, 1));
        OK(deep_model_add_cropping2d(m, 1, 0, 0, 1));
        OK(deep_model_add_up_sampling2d(m, 2, 1, DEEP_INTERPOLATION_BILINEAR));
        OK(deep_model_add_conv2d_transpose(m, 2, 2, 3, 2, 1, DEEP_PADDING_VALID, 1, 0, DEEP_ACTIVATION_SOFTPLUS, 1));
        OK(deep_model_add_global_max_pooling2d(m, 1));
        OK(deep_model_add_activation(m, DEEP_ACTIVATION_SOFTSIGN));
    } else if (strcmp(name, "activations") == 0) { /* every activation, a merge of all */
        m = start(1, (const int64_t[]){4});
        static const deep_activation acts[] = {
            DEEP_ACTIVATION_LINEAR, DEEP_ACTIVATION_RELU, DEEP_ACTIVATION_SIGMOID, DEEP_ACTIVATION_TANH,
            DEEP_ACTIVATION_SOFTMAX, DEEP_ACTIVATION_LEAKY_RELU, DEEP_ACTIVATION_ELU, DEEP_ACTIVATION_GELU,
            DEEP_ACTIVATION_GELU_TANH, DEEP_ACTIVATION_SILU, DEEP_ACTIVATION_SOFTPLUS, DEEP_ACTIVATION_SOFTSIGN,
            DEEP_ACTIVATION_SELU, DEEP_ACTIVATION_HARD_SIGMOID, DEEP_ACTIVATION_EXPONENTIAL, DEEP_ACTIVATION_RELU6};
        int32_t nodes[16];
        for (int i = 0; i < 16; i++) {
            connect(m, 1, (const int32_t[]){0});
            OK(deep_model_add_dense(m, 3, acts[i], 1));
            nodes[i] = last(m);
        }
        connect(m, 8, nodes);
        OK(deep_model_add_concatenate(m, -1));
        int32_t c = last(m);
        connect(m, 4, nodes + 8);
        OK(deep_model_add_average(m));
        int32_t avg = last(m);
        connect(m, 2, (const int32_t[]){nodes[8], nodes[9]});
        OK(deep_model_add_maximum(m));
        int32_t mx = last(m);
        connect(m, 2, (const int32_t[]){mx, nodes[10]});
        OK(deep_model_add_minimum(m));
        int32_t mn = last(m);
        connect(m, 2, (const int32_t[]){avg, mn});
        OK(deep_model_add_multiply(m));
        OK(deep_model_set_outputs(m, (const int32_t[]){c, last(m)}, 2));
    } else if (strcmp(name, "act_layers") == 0) { /* the activation layers with arguments (1.3) */
        m = start(3, (const int64_t[]){5, 5, 3});
        OK(deep_model_add_conv2d(m, 4, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_LINEAR, 1));
        OK(deep_model_add_prelu(m, 2, (const int64_t[]){1, 2}));
        OK(deep_model_add_leaky_relu(m, 0.1));
        OK(deep_model_add_max_pooling2d(m, 2, 2, 1, 1, DEEP_PADDING_VALID));
        OK(deep_model_add_elu(m, 0.5));
        OK(deep_model_add_flatten(m));
        OK(deep_model_add_dense(m, 6, DEEP_ACTIVATION_LINEAR, 1));
        OK(deep_model_add_prelu(m, 0, NULL));
        OK(deep_model_add_dense(m, 4, DEEP_ACTIVATION_LINEAR, 1));
        OK(deep_model_add_relu(m, -1, 0, 0));
        OK(deep_model_add_activation(m, DEEP_ACTIVATION_LOG_SOFTMAX));
    } else if (strcmp(name, "relu_arguments") == 0) { /* Keras' ReLU's arguments: Clip, then the general form */
        m = start(1, (const int64_t[]){6});
        OK(deep_model_add_dense(m, 8, DEEP_ACTIVATION_LINEAR, 1));
        OK(deep_model_add_relu(m, 0.8, 0, 0));
        OK(deep_model_add_dense(m, 8, DEEP_ACTIVATION_LINEAR, 1));
        OK(deep_model_add_relu(m, 0.6, 0.2, 0.1));
        OK(deep_model_add_dense(m, 5, DEEP_ACTIVATION_LINEAR, 1));
        OK(deep_model_add_relu(m, -1, 0, -0.05));
    } else {
        fprintf(stderr, "unknown model %s\n", name);
        exit(2);
    }
    return m;
}

static const char *const names[] = {"mlp",   "cnn",           "autoencoder",     "resnet",       "two_inputs",
                                    "shared", "lstm",          "gru",             "recurrent_all", "sequence_layers",
                                    "image_layers", "activations", "tree",     "forest",       "forest_regressor",
                                    "act_layers", "relu_arguments"};

static uint64_t state = 88172645463325252ull;
static float uniform(float lo, float hi)
{
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return lo + (hi - lo) * (float)((state >> 11) * (1.0 / 9007199254740992.0));
}

static void shape_line(FILE *f, const char *name, int32_t rank, const int64_t *shape)
{
    fprintf(f, "%s %d", name, (int)rank);
    for (int32_t i = 0; i < rank; i++)
        fprintf(f, " %lld", (long long)shape[i]);
    fprintf(f, "\n");
}

static void write_floats(const char *dir, const char *name, const char *ext, const float *v, int64_t count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "wb");
    fwrite(v, sizeof *v, (size_t)count, f);
    fclose(f);
}

/* A tree or forest fitted on 80 random rows of 4 features (3 classes, or a value). */
static int trees(const char *dir, const char *name)
{
    bool regressor = strcmp(name, "forest_regressor") == 0, forest = strcmp(name, "tree") != 0;
    enum { N = 80, F = 4 };
    float x[N * F], y[N];
    int32_t labels[N];
    for (int i = 0; i < N * F; i++)
        x[i] = floorf(uniform(-2, 2) * 4) / 4; /* ties on thresholds: the split rule matters */
    for (int i = 0; i < N; i++) {
        y[i] = x[i * F] * 2 + x[i * F + 1] - x[i * F + 2] * x[i * F + 3] + uniform(-0.1f, 0.1f);
        labels[i] = y[i] < -0.5f ? 0 : y[i] < 0.8f ? 1 : 2;
    }
    deep_dataset *d = NULL;
    OK(deep_dataset_new(N, 1, (const int64_t[]){F}, x, &d));
    if (regressor)
        OK(deep_dataset_set_targets(d, y, N, 1));
    else
        OK(deep_dataset_set_labels(d, labels, N, 3));
    /* Predictions on a grid twice as fine, whose values hit the thresholds (midpoints of
     * the training grid) exactly: there <= and < part ways. */
    float grid[N * F];
    for (int i = 0; i < N * F; i++)
        grid[i] = floorf(uniform(-2, 2) * 8) / 8;
    deep_tensor *in = NULL, *out = NULL;
    OK(deep_tensor_new_from(2, (const int64_t[]){N, F}, grid, N * F, &in));
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    if (forest) {
        deep_forest *f = NULL;
        OK(deep_forest_new(regressor ? DEEP_TREE_REGRESSOR : DEEP_TREE_CLASSIFIER, &f));
        OK(deep_forest_set_int(f, DEEP_FOREST_N_ESTIMATORS, 7));
        OK(deep_forest_set_int(f, DEEP_TREE_MAX_DEPTH, 5));
        OK(deep_forest_set_int(f, DEEP_TREE_SEED, 3));
        OK(deep_forest_fit(f, d));
        OK(deep_forest_save_onnx(f, path));
        OK(regressor ? deep_forest_predict(f, in, &out) : deep_forest_predict_proba(f, in, &out));
        deep_forest_free(f);
    } else {
        deep_tree *t = NULL;
        OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &t));
        OK(deep_tree_fit(t, d));
        OK(deep_tree_save_onnx(t, path));
        OK(deep_tree_predict_proba(t, in, &out));
        int64_t size = 0;
        OK(deep_tree_to_json(t, NULL, 0, &size));
        char *json = malloc((size_t)size);
        OK(deep_tree_to_json(t, json, size, &size));
        snprintf(path, sizeof path, "%s/%s.json", dir, name);
        FILE *j = fopen(path, "w");
        fputs(json, j);
        fclose(j);
        free(json);
        deep_tree_free(t);
    }
    int64_t count;
    const float *v;
    OK(deep_tensor_size(out, &count));
    OK(deep_tensor_data(out, &v));
    write_floats(dir, name, "in", grid, N * F);
    write_floats(dir, name, "out", v, count);
    snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    FILE *meta = fopen(path, "w");
    fprintf(meta, "trees %s %d\n", regressor ? "regressor" : "classifier", N);
    fclose(meta);
    deep_tensor_free(in);
    deep_tensor_free(out);
    deep_dataset_free(d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            printf("%s\n", names[i]);
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: %s DIR NAME [OPSET] | list\n", argv[0]);
        return 2;
    }
    int32_t opset = argc > 3 ? atoi(argv[3]) : 0;
    if (strcmp(argv[2], "tree") == 0 || strncmp(argv[2], "forest", 6) == 0)
        return trees(argv[1], argv[2]);
    deep_model *m = build(argv[2]);
    deep_optimizer *opt = NULL;
    OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    int32_t outputs = 0;
    OK(deep_model_output_nodes(m, NULL, 0, &(int64_t){0}));
    int64_t nout = 0;
    OK(deep_model_output_nodes(m, NULL, 0, &nout));
    if (nout > 1) {
        deep_loss losses[16];
        for (int64_t k = 0; k < nout; k++)
            losses[k] = DEEP_LOSS_MEAN_SQUARED_ERROR;
        OK(deep_model_compile_outputs(m, opt, losses, NULL, nout, NULL, 0));
    } else {
        OK(deep_model_compile(m, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    }
    outputs = (int32_t)nout;
    /* Random weights; variances positive, embeddings any. */
    int32_t layers;
    OK(deep_model_layer_count(m, &layers));
    for (int32_t i = 0; i < layers; i++) {
        int32_t count;
        OK(deep_model_weight_count(m, i, &count));
        for (int32_t w = 0; w < count; w++) {
            deep_tensor *t = NULL;
            float *data;
            int64_t size;
            OK(deep_model_get_weight(m, i, w, &t));
            OK(deep_tensor_data_mut(t, &data));
            OK(deep_tensor_size(t, &size));
            bool variance = count == 4 && w == 3; /* BatchNormalization's moving_variance */
            for (int64_t k = 0; k < size; k++)
                data[k] = variance ? uniform(0.5f, 1.5f) : uniform(-0.6f, 0.6f);
            OK(deep_model_set_weight(m, i, w, t));
            deep_tensor_free(t);
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.onnx", argv[1], argv[2]);
    OK(deep_model_save_onnx(m, path, opset));

    /* Inputs: token ids for an Embedding, else uniform values. */
    int64_t nin = 0;
    OK(deep_model_input_nodes(m, NULL, 0, &nin));
    int32_t in_nodes[16], out_nodes[16];
    OK(deep_model_input_nodes(m, in_nodes, nin, &nin));
    OK(deep_model_output_nodes(m, out_nodes, nout, &nout));
    snprintf(path, sizeof path, "%s/%s.txt", argv[1], argv[2]);
    FILE *meta = fopen(path, "w");
    int64_t features = 0, row = 0;
    fprintf(meta, "inputs %d\n", (int)nin);
    for (int64_t k = 0; k < nin; k++) {
        int64_t shape[8], rank, size = 1;
        OK(deep_model_node_shape(m, in_nodes[k], shape, 8, &rank));
        char name[32];
        snprintf(name, sizeof name, nin > 1 ? "input_%d" : "input", (int)k + 1);
        shape_line(meta, name, (int32_t)rank, shape);
        for (int64_t d = 0; d < rank; d++)
            size *= shape[d];
        features += size;
    }
    fprintf(meta, "outputs %d\n", (int)outputs);
    for (int64_t k = 0; k < nout; k++) {
        int64_t shape[8], rank, size = 1;
        OK(deep_model_node_shape(m, out_nodes[k], shape, 8, &rank));
        char name[32];
        snprintf(name, sizeof name, nout > 1 ? "output_%d" : "output", (int)k + 1);
        shape_line(meta, name, (int32_t)rank, shape);
        for (int64_t d = 0; d < rank; d++)
            size *= shape[d];
        row += size;
    }
    const int64_t n = 3;
    fprintf(meta, "samples %lld\n", (long long)n);
    fclose(meta);
    float *x = malloc((size_t)(n * features) * sizeof *x);
    bool ids = strcmp(argv[2], "sequence_layers") == 0;
    for (int64_t i = 0; i < n * features; i++)
        x[i] = ids ? floorf(uniform(0, 9.99f)) : uniform(-1, 1);
    deep_tensor *in = NULL, *out = NULL;
    OK(deep_tensor_new_from(2, (const int64_t[]){n, features}, x, n * features, &in));
    OK(deep_model_predict(m, in, &out));
    const float *y;
    OK(deep_tensor_data(out, &y));
    snprintf(path, sizeof path, "%s/%s.in", argv[1], argv[2]);
    FILE *f = fopen(path, "wb");
    fwrite(x, sizeof *x, (size_t)(n * features), f);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.out", argv[1], argv[2]);
    f = fopen(path, "wb");
    fwrite(y, sizeof *y, (size_t)(n * row), f);
    fclose(f);
    free(x);
    deep_tensor_free(in);
    deep_tensor_free(out);
    deep_model_free(m);
    return 0;
}
