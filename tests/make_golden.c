/* Writes the golden model files of the current format version into a directory:
 *   build/tests/make_golden tests/golden/v1
 * all-layers.safetensors  every layer type, compiled with Adam and trained for 2 epochs
 * tiny.safetensors        two Dense layers, SGD with momentum, trained for 2 epochs
 * uncompiled.safetensors  the all-layers architecture, never compiled
 * optimizers-1.1.safetensors  the tiny model with AdamW, amsgrad, global_clipnorm and a
 *                         cosine schedule with warm-up (the fields added in 1.1), trained
 *                         2 epochs; tests/test_optim_keras.c reads it. Written alone by
 *                         `make_golden DIRECTORY optimizers-1.1` (it came after the others). 
 * graph-1.1.safetensors  a layer graph (since 1.1): inputs (2,) and (2,), a Dense shared by both,
 *                         a residual Add, Concatenate, two outputs (a sigmoid pair with binary
 *                         cross-entropy, a linear value with MSE, loss weights 1 and 0.5),
 *                         trained 2 epochs; written alone by `make_golden DIRECTORY graph-1.1`
 * seq2seq-1.2.safetensors  recurrent states in a graph (since 1.2): inputs (3, 2) and (3, 2), a
 *                         Masking encoder LSTM whose final states (return_state) start a decoder
 *                         LSTM (initial_state), a per-step Dense output and the encoder's h as a
 *                         second output, MSE, trained 2 epochs; written alone by
 *                         `make_golden DIRECTORY seq2seq-1.2`
 * and, for the trained ones, NAME.expected: inputs and the outputs deep_model_predict
 * gave for them, as C99 hexadecimal floats (exact). test_modelio loads these files and
 * checks the outputs; files of older versions stay in their folders and must keep loading,
 * so regenerate only the folder of a new version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_fixtures.h"

static void write_expected(const char *dir, const char *name, const deep_model *model, int64_t count,
                           int32_t rank, const int64_t *sample_shape)
{
    int64_t shape[DEEP_MAX_RANK] = {count}, size = 1;
    for (int32_t d = 0; d < rank; d++) {
        shape[d + 1] = sample_shape[d];
        size *= sample_shape[d];
    }
    float *x = fixture_features(count, size, 99);
    deep_tensor *inputs = NULL, *outputs = NULL;
    FIXTURE(deep_tensor_new_from(rank + 1, shape, x, count * size, &inputs));
    FIXTURE(deep_model_predict(model, inputs, &outputs));
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.expected", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    const deep_tensor *parts[2] = {inputs, outputs};
    const char *labels[2] = {"inputs", "outputs"};
    for (int p = 0; p < 2; p++) {
        int32_t r;
        int64_t dims[DEEP_MAX_RANK], n;
        const float *data;
        FIXTURE(deep_tensor_rank(parts[p], &r));
        FIXTURE(deep_tensor_shape(parts[p], dims, DEEP_MAX_RANK, &(int64_t){0}));
        FIXTURE(deep_tensor_size(parts[p], &n));
        FIXTURE(deep_tensor_data(parts[p], &data));
        fprintf(f, "%s %d", labels[p], (int)r);
        for (int32_t d = 0; d < r; d++)
            fprintf(f, " %lld", (long long)dims[d]);
        for (int64_t i = 0; i < n; i++)
            fprintf(f, " %a", (double)data[i]);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    free(x);
    deep_tensor_free(inputs);
    deep_tensor_free(outputs);
}

static void save(const deep_model *model, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    FIXTURE(deep_model_save(model, path));
    printf("wrote %s\n", path);
}

/* The optimizer fields of 1.1 in a model file. */
static void optimizers_1_1(const char *dir)
{
    deep_model *tiny = fixture_tiny(3);
    deep_optimizer *opt = NULL;
    deep_schedule *cosine = NULL;
    FIXTURE(deep_optimizer_new(DEEP_OPTIMIZER_ADAMW, &opt));
    FIXTURE(deep_optimizer_set_float(opt, DEEP_OPT_AMSGRAD, 1));
    FIXTURE(deep_optimizer_set_float(opt, DEEP_OPT_GLOBAL_CLIPNORM, 0.5));
    FIXTURE(deep_schedule_new_cosine_decay(0.001, 20, 0.1, 0.01, 4, &cosine));
    FIXTURE(deep_optimizer_set_schedule(opt, cosine));
    FIXTURE(deep_model_compile(tiny, opt, DEEP_LOSS_BINARY_CROSSENTROPY, NULL, 0));
    deep_dataset *points = fixture_points(16, 4);
    FIXTURE(deep_model_fit(tiny, points, 2, 4, NULL));
    save(tiny, dir, "optimizers-1.1");
    deep_dataset_free(points);
    deep_model_free(tiny);
}

/* A layer graph with every kind of node and two outputs (the graph fields of 1.1). */
static void graph_1_1(const char *dir)
{
    deep_model *m = NULL;
    int32_t second, a, b, sum, joined, pair, value;
    FIXTURE(deep_model_new(1, (const int64_t[]){2}, &m));
    FIXTURE(deep_model_set_seed(m, 5));
    FIXTURE(deep_model_add_input(m, 1, (const int64_t[]){2}, &second));
    FIXTURE(deep_model_connect(m, (const int32_t[]){0}, 1));
    FIXTURE(deep_model_add_dense(m, 2, DEEP_ACTIVATION_TANH, 1));
    FIXTURE(deep_model_last_node(m, &a));
    FIXTURE(deep_model_apply_layer(m, 0, &second, 1, &b)); /* shared weights */
    FIXTURE(deep_model_connect(m, (const int32_t[]){a, b, 0}, 3));
    FIXTURE(deep_model_add_add(m)); /* a residual connection to input 0 */
    FIXTURE(deep_model_last_node(m, &sum));
    FIXTURE(deep_model_connect(m, (const int32_t[]){sum, second}, 2));
    FIXTURE(deep_model_add_concatenate(m, -1));
    FIXTURE(deep_model_last_node(m, &joined));
    FIXTURE(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SIGMOID, 1));
    FIXTURE(deep_model_last_node(m, &pair));
    FIXTURE(deep_model_connect(m, &joined, 1));
    FIXTURE(deep_model_add_dense(m, 1, DEEP_ACTIVATION_LINEAR, 1));
    FIXTURE(deep_model_last_node(m, &value));
    FIXTURE(deep_model_set_outputs(m, (const int32_t[]){pair, value}, 2));
    deep_optimizer *opt = NULL;
    FIXTURE(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    FIXTURE(deep_model_compile_outputs(m, opt,
                                       (const deep_loss[]){DEEP_LOSS_BINARY_CROSSENTROPY, DEEP_LOSS_MEAN_SQUARED_ERROR},
                                       (const double[]){1.0, 0.5}, 2, metrics, 1));
    /* Rows of both inputs; targets the points' two labels, then their sum. */
    enum { N = 16 };
    float *x = fixture_features(N, 4, 6), y[N * 3];
    for (int i = 0; i < N; i++) {
        y[3 * i] = x[4 * i] > x[4 * i + 2];
        y[3 * i + 1] = x[4 * i + 1] + x[4 * i + 3] > 0;
        y[3 * i + 2] = x[4 * i] + x[4 * i + 1];
    }
    deep_dataset *d = NULL;
    FIXTURE(deep_dataset_new(N, 1, (const int64_t[]){4}, x, &d));
    FIXTURE(deep_dataset_set_targets(d, y, N, 3));
    FIXTURE(deep_model_fit(m, d, 2, 4, NULL));
    save(m, dir, "graph-1.1");
    write_expected(dir, "graph-1.1", m, 3, 1, (const int64_t[]){4});
    free(x);
    deep_dataset_free(d);
    deep_model_free(m);
}

/* A seq2seq encoder-decoder: state nodes and initial states (the graph fields of 1.2). */
static void seq2seq_1_2(const char *dir)
{
    deep_model *m = NULL;
    int32_t decoder_in, encoder, h, c, steps;
    FIXTURE(deep_model_new(2, (const int64_t[]){3, 2}, &m));
    FIXTURE(deep_model_set_seed(m, 8));
    FIXTURE(deep_model_add_input(m, 2, (const int64_t[]){3, 2}, &decoder_in));
    FIXTURE(deep_model_connect(m, (const int32_t[]){0}, 1));
    FIXTURE(deep_model_add_masking(m, 0.0));
    FIXTURE(deep_model_add_lstm(m, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    FIXTURE(deep_model_last_node(m, &encoder));
    int32_t states[2];
    int64_t count = 0;
    FIXTURE(deep_model_state_nodes(m, encoder, states, 2, &count));
    h = states[0];
    c = states[1];
    FIXTURE(deep_model_connect(m, (const int32_t[]){decoder_in, h, c}, 3));
    FIXTURE(deep_model_add_lstm(m, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    FIXTURE(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
    FIXTURE(deep_model_last_node(m, &steps));
    FIXTURE(deep_model_set_outputs(m, (const int32_t[]){steps, h}, 2));
    deep_optimizer *opt = NULL;
    FIXTURE(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt));
    FIXTURE(deep_model_compile_outputs(m, opt,
                                       (const deep_loss[]){DEEP_LOSS_MEAN_SQUARED_ERROR, DEEP_LOSS_MEAN_SQUARED_ERROR},
                                       (const double[]){1.0, 0.5}, 2, NULL, 0));
    enum { N = 16 };
    float *x = fixture_features(N, 12, 6), y[N * 9];
    for (int i = 0; i < N; i++) {
        if (i % 4 == 0) /* a padded last encoder step */
            x[12 * i + 4] = x[12 * i + 5] = 0.0f;
        for (int j = 0; j < 6; j++) /* the decoder repeats the encoder's sequence */
            y[9 * i + j] = x[12 * i + j];
        for (int j = 0; j < 3; j++)
            y[9 * i + 6 + j] = 0.5f;
    }
    deep_dataset *d = NULL;
    FIXTURE(deep_dataset_new(N, 1, (const int64_t[]){12}, x, &d));
    FIXTURE(deep_dataset_set_targets(d, y, N, 9));
    FIXTURE(deep_model_fit(m, d, 2, 4, NULL));
    save(m, dir, "seq2seq-1.2");
    write_expected(dir, "seq2seq-1.2", m, 3, 1, (const int64_t[]){12});
    free(x);
    deep_dataset_free(d);
    deep_model_free(m);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[2], "seq2seq-1.2") == 0) {
        seq2seq_1_2(argv[1]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[2], "optimizers-1.1") == 0) {
        optimizers_1_1(argv[1]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[2], "graph-1.1") == 0) {
        graph_1_1(argv[1]);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIRECTORY [optimizers-1.1 | graph-1.1 | seq2seq-1.2]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];

    deep_model *all = fixture_all_layers(7);
    save(all, dir, "uncompiled");
    fixture_compile(all, DEEP_OPTIMIZER_ADAM, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    FIXTURE(deep_model_set_float(all, DEEP_MODEL_VALIDATION_SPLIT, 0.25));
    deep_dataset *images = fixture_images(32, 5);
    FIXTURE(deep_model_fit(all, images, 2, 8, NULL));
    save(all, dir, "all-layers");
    write_expected(dir, "all-layers", all, 4, 3, (const int64_t[]){6, 6, 2});

    deep_model *tiny = fixture_tiny(3);
    fixture_compile(tiny, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    deep_dataset *points = fixture_points(16, 4);
    FIXTURE(deep_model_fit(tiny, points, 2, 4, NULL));
    save(tiny, dir, "tiny");
    write_expected(dir, "tiny", tiny, 3, 1, (const int64_t[]){2});

    deep_dataset_free(images);
    deep_dataset_free(points);
    deep_model_free(all);
    deep_model_free(tiny);
    optimizers_1_1(dir);
    return 0;
}
