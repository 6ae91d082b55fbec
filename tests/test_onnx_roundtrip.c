/* ONNX round trip: a model libdeep exports (deep_model_save_onnx_buffer) and imports again
 * (deep_model_load_onnx_buffer) predicts what the original predicts. The exported graph
 * takes channels-last images and transposes them once for its convolutions; the importer
 * recognises that input (as it does Keras' tf2onnx exports) and needs no conversion. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_helpers.h"

#ifdef DEEP_HAVE_ONNX

/* Compiles model, exports it, imports the bytes and returns the largest difference
 * between the two models' predictions on n seeded random samples: values in [-0.5, 0.5],
 * or with ids > 0 whole numbers in [0, ids) (an embedding's). */
static double round_trip(deep_model *model, int64_t n, int ids)
{
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_set_seed(model, 7));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    int64_t size = 0;
    ASSERT_OK(deep_model_save_onnx_buffer(model, 13, NULL, 0, &size)); /* the size query */
    unsigned char *bytes = malloc((size_t)size);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_onnx_buffer(model, 13, bytes, size, &size));
    deep_model *back = NULL;
    ASSERT_OK(deep_model_load_onnx_buffer(bytes, size, &back));
    free(bytes);

    int64_t rank = 0, shape[8] = {n};
    ASSERT_OK(deep_model_node_shape(model, 0, &shape[1], 7, &rank));
    deep_tensor *x = NULL, *want = NULL, *got = NULL;
    ASSERT_OK(deep_tensor_new((int32_t)rank + 1, shape, &x));
    float *data = NULL;
    ASSERT_OK(deep_tensor_data_mut(x, &data));
    int64_t count = n;
    for (int64_t k = 0; k < rank; k++)
        count *= shape[k + 1];
    srand(11);
    for (int64_t i = 0; i < count; i++)
        data[i] = ids > 0 ? (float)(rand() % ids) : (float)rand() / (float)RAND_MAX - 0.5f;
    ASSERT_OK(deep_model_predict(model, x, &want));
    ASSERT_OK(deep_model_predict(back, x, &got));
    const float *a = NULL, *b = NULL;
    int64_t outputs = 0, outputs_back = 0;
    ASSERT_OK(deep_tensor_data(want, &a));
    ASSERT_OK(deep_tensor_data(got, &b));
    ASSERT_OK(deep_tensor_size(want, &outputs));
    ASSERT_OK(deep_tensor_size(got, &outputs_back));
    ck_assert_int_eq(outputs, outputs_back);
    double worst = 0;
    for (int64_t i = 0; i < outputs; i++)
        worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    deep_tensor_free(x);
    deep_tensor_free(want);
    deep_tensor_free(got);
    deep_model_free(back);
    deep_model_free(model);
    return worst;
}

START_TEST(test_mlp)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){8}, &m));
    ASSERT_OK(deep_model_add_dense(m, 16, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    ck_assert_double_le(round_trip(m, 5, 0), 1e-6);
}
END_TEST

/* The seed CNN's shape: channels last in, Flatten after the convolution. */
START_TEST(test_cnn)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){8, 8, 3}, &m));
    ASSERT_OK(deep_model_add_conv2d(m, 4, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_batch_normalization(m, 0.99, 1e-3));
    ASSERT_OK(deep_model_add_max_pooling2d(m, 2, 2, 2, 2, DEEP_PADDING_VALID));
    ASSERT_OK(deep_model_add_flatten(m));
    ASSERT_OK(deep_model_add_dense(m, 5, DEEP_ACTIVATION_SOFTMAX, 1));
    ck_assert_double_le(round_trip(m, 4, 0), 1e-6);
}
END_TEST

/* A graph: two convolutions of the input added, concatenated with one of them, pooled. */
START_TEST(test_graph)
{
    deep_model *m = NULL;
    int32_t input = 0, a = 0, b = 0, sum = 0;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){6, 6, 2}, &m));
    ASSERT_OK(deep_model_add_conv2d(m, 4, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_last_node(m, &a));
    ASSERT_OK(deep_model_connect(m, &input, 1));
    ASSERT_OK(deep_model_add_conv2d(m, 4, 1, 1, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_last_node(m, &b));
    ASSERT_OK(deep_model_connect(m, (const int32_t[]){a, b}, 2));
    ASSERT_OK(deep_model_add_add(m));
    ASSERT_OK(deep_model_last_node(m, &sum));
    ASSERT_OK(deep_model_connect(m, (const int32_t[]){sum, b}, 2));
    ASSERT_OK(deep_model_add_concatenate(m, -1));
    ASSERT_OK(deep_model_add_global_average_pooling2d(m));
    ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
    ck_assert_double_le(round_trip(m, 3, 0), 1e-6);
}
END_TEST

START_TEST(test_depthwise)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){6, 6, 2}, &m));
    ASSERT_OK(deep_model_add_depthwise_conv2d(m, 3, 3, 1, 1, DEEP_PADDING_VALID, 2, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_average_pooling2d(m, 2, 2, 2, 2, DEEP_PADDING_VALID));
    ASSERT_OK(deep_model_add_flatten(m));
    ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
    ck_assert_double_le(round_trip(m, 3, 0), 1e-6);
}
END_TEST

/* A decoder: Conv2DTranspose with same padding (exported with a Slice of its output),
 * Cropping2D (a Slice too) and UpSampling2D (Resize). */
START_TEST(test_decoder)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){4, 4, 3}, &m));
    ASSERT_OK(deep_model_add_conv2d_transpose(m, 2, 3, 3, 2, 2, DEEP_PADDING_SAME, -1, -1, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_cropping2d(m, 1, 0, 0, 2));
    ASSERT_OK(deep_model_add_up_sampling2d(m, 2, 2, DEEP_INTERPOLATION_NEAREST));
    ck_assert_double_le(round_trip(m, 2, 0), 1e-6);
}
END_TEST

/* Embedding: the exported Cast of the ids to int64 passes through on import. */
START_TEST(test_embedding)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){5}, &m));
    ASSERT_OK(deep_model_add_embedding(m, 20, 4, 5));
    ASSERT_OK(deep_model_add_flatten(m));
    ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
    ck_assert_double_le(round_trip(m, 3, 20), 1e-6);
}
END_TEST

/* Recurrent layers: export_rnn.c's LSTM, GRU and RNN nodes come back as the same layers.
 * A sequence of 6 steps of 3 features through stacked layers with return_sequences. */
static deep_model *sequence_model(void)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(2, (const int64_t[]){6, 3}, &m));
    return m;
}

START_TEST(test_lstm_gru_rnn)
{
    deep_model *m = sequence_model();
    ASSERT_OK(deep_model_add_lstm(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_simple_rnn(m, 5, DEEP_ACTIVATION_RELU, 1, 1));
    ASSERT_OK(deep_model_add_gru(m, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    double e = round_trip(m, 4, 0);
    fprintf(stderr, "LSTM, SimpleRNN, GRU round trip: %.3g\n", e);
    ck_assert_double_le(e, 1e-6);

    /* GRU with reset_after 0 (linear_before_reset 0), go_backwards (direction reverse). */
    m = sequence_model();
    ASSERT_OK(deep_model_add_gru(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_RESET_AFTER, 0));
    ASSERT_OK(deep_model_add_lstm(m, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    e = round_trip(m, 4, 0);
    fprintf(stderr, "GRU (reset_after 0), LSTM (go_backwards) round trip: %.3g\n", e);
    ck_assert_double_le(e, 1e-6);

    /* go_backwards with return_sequences: exported as direction reverse and a Slice that
     * reverses the steps, which the importer recognises. */
    m = sequence_model();
    ASSERT_OK(deep_model_add_simple_rnn(m, 4, DEEP_ACTIVATION_TANH, 1, 1));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    ASSERT_OK(deep_model_add_lstm(m, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    e = round_trip(m, 4, 0);
    fprintf(stderr, "SimpleRNN (go_backwards, return_sequences), LSTM round trip: %.3g\n", e);
    ck_assert_double_le(e, 1e-6);
}
END_TEST

/* Cell activations other than the defaults: SimpleRNN linear (ONNX's Affine 1, 0), GRU with
 * elu, a Bidirectional LSTM with leaky_relu (libdeep's slope 0.3). */
START_TEST(test_cell_activations)
{
    deep_model *m = sequence_model();
    ASSERT_OK(deep_model_add_simple_rnn(m, 4, DEEP_ACTIVATION_LINEAR, 1, 1));
    ASSERT_OK(deep_model_add_gru(m, 4, DEEP_ACTIVATION_ELU, DEEP_ACTIVATION_SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_lstm(m, 3, DEEP_ACTIVATION_LEAKY_RELU, DEEP_ACTIVATION_SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_bidirectional(m, DEEP_MERGE_CONCAT));
    double e = round_trip(m, 4, 0);
    fprintf(stderr, "cell activations round trip: %.3g\n", e);
    ck_assert_double_le(e, 1e-6);
}
END_TEST

/* Bidirectional in every merge mode, with and without return_sequences. */
START_TEST(test_bidirectional)
{
    deep_merge_mode modes[] = {DEEP_MERGE_CONCAT, DEEP_MERGE_SUM, DEEP_MERGE_MUL, DEEP_MERGE_AVE};
    for (int k = 0; k < 4; k++) {
        deep_model *m = sequence_model();
        ASSERT_OK(deep_model_add_lstm(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
        ASSERT_OK(deep_model_add_bidirectional(m, modes[k]));
        ASSERT_OK(deep_model_add_gru(m, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
        ASSERT_OK(deep_model_add_bidirectional(m, modes[3 - k]));
        ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
        double e = round_trip(m, 4, 0);
        fprintf(stderr, "Bidirectional (modes %d, %d) round trip: %.3g\n", (int)modes[k], (int)modes[3 - k], e);
        ck_assert_double_le(e, 1e-6);
    }
}
END_TEST

/* The activation layers with arguments (1.3): LeakyRelu, Elu and PRelu (its per-channel
 * slope in ONNX's channels-first order, converted back) and Clip (ReLU with max_value)
 * come back as the same layers, and log_softmax (LogSoftmax) too. PReLU's alpha is set away
 * from its zeros first. */
START_TEST(test_activation_layers)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){5, 5, 3}, &m));
    ASSERT_OK(deep_model_add_conv2d(m, 4, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_add_prelu(m, 2, (const int64_t[]){1, 2}));
    ASSERT_OK(deep_model_add_leaky_relu(m, 0.05));
    ASSERT_OK(deep_model_add_elu(m, 0.7));
    ASSERT_OK(deep_model_add_relu(m, 0.3, 0, 0));
    ASSERT_OK(deep_model_add_flatten(m));
    ASSERT_OK(deep_model_add_dense(m, 6, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_add_prelu(m, 0, NULL));
    ASSERT_OK(deep_model_add_activation(m, DEEP_ACTIVATION_LOG_SOFTMAX));
    ASSERT_OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_LOG_SOFTMAX, 1)); /* Gemm, LogSoftmax: one layer back */
    ASSERT_OK(deep_model_build(m));
    deep_tensor *a = NULL, *b = NULL;
    ASSERT_OK(deep_tensor_new_from(3, (const int64_t[]){1, 1, 4}, (const float[]){0.1f, 0.2f, 0.3f, 0.4f}, 4, &a));
    ASSERT_OK(deep_tensor_new_from(1, (const int64_t[]){6}, (const float[]){0.5f, -0.2f, 0.1f, 0.3f, 0.7f, 0.9f}, 6,
                                   &b));
    ASSERT_OK(deep_model_set_weight(m, 1, 0, a));
    ASSERT_OK(deep_model_set_weight(m, 7, 0, b));
    deep_tensor_free(a);
    deep_tensor_free(b);
    /* Layer for layer: the Dense's LogSoftmax is its activation again, no layer of its own. */
    int64_t size = 0;
    ASSERT_OK(deep_model_save_onnx_buffer(m, 13, NULL, 0, &size));
    unsigned char *bytes = malloc((size_t)size);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_onnx_buffer(m, 13, bytes, size, &size));
    deep_model *back = NULL;
    ASSERT_OK(deep_model_load_onnx_buffer(bytes, size, &back));
    int32_t layers = 0, layers_back = 0;
    ASSERT_OK(deep_model_layer_count(m, &layers));
    ASSERT_OK(deep_model_layer_count(back, &layers_back));
    ck_assert_int_eq(layers_back, layers);
    free(bytes);
    deep_model_free(back);
    ck_assert_double_le(round_trip(m, 3, 0), 1e-6);
}
END_TEST

/* What the exporter writes out at opset 13 comes back as one layer each: gelu_tanh (as an
 * Activation and as a Dense's activation) and LayerNormalization (ReduceMean .. Div, gamma,
 * beta; also without beta). */
START_TEST(test_written_out_forms)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(2, (const int64_t[]){3, 5}, &m));
    ASSERT_OK(deep_model_add_dense(m, 6, DEEP_ACTIVATION_GELU_TANH, 1));
    ASSERT_OK(deep_model_add_layer_normalization(m, 1e-3, 1, 1));
    ASSERT_OK(deep_model_add_activation(m, DEEP_ACTIVATION_GELU_TANH));
    ASSERT_OK(deep_model_add_layer_normalization(m, 1e-2, 0, 1));
    ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_build(m));
    deep_tensor *g = NULL, *b = NULL;
    ASSERT_OK(deep_tensor_new_from(1, (const int64_t[]){6}, (const float[]){0.5f, 1.5f, 1, 2, 0.7f, 1.2f}, 6, &g));
    ASSERT_OK(deep_tensor_new_from(1, (const int64_t[]){6}, (const float[]){0.1f, -0.3f, 0, 0.4f, 0.2f, -0.1f}, 6,
                                   &b));
    ASSERT_OK(deep_model_set_weight(m, 1, 0, g));
    ASSERT_OK(deep_model_set_weight(m, 1, 1, b));
    ASSERT_OK(deep_model_set_weight(m, 3, 0, g));
    deep_tensor_free(g);
    deep_tensor_free(b);
    ck_assert_double_le(round_trip(m, 3, 0), 1e-5);
}
END_TEST

#endif

static Suite *roundtrip_suite(void)
{
    Suite *s = suite_create("onnx_roundtrip");
    TCase *tc = tcase_create("core");
#ifdef DEEP_HAVE_ONNX
    tcase_add_test(tc, test_mlp);
    tcase_add_test(tc, test_cnn);
    tcase_add_test(tc, test_graph);
    tcase_add_test(tc, test_depthwise);
    tcase_add_test(tc, test_embedding);
    tcase_add_test(tc, test_decoder);
    tcase_add_test(tc, test_lstm_gru_rnn);
    tcase_add_test(tc, test_bidirectional);
    tcase_add_test(tc, test_cell_activations);
    tcase_add_test(tc, test_activation_layers);
    tcase_add_test(tc, test_written_out_forms);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(roundtrip_suite(), CK_NORMAL);
}
