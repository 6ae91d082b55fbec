/* Tests of the layer types added for issue #16 that take one input: LayerNormalization,
 * DepthwiseConv2D and SeparableConv2D. Each is added through its public deep_model_add_*,
 * which checks the arguments; the ops-level tests then take that layer's type and config
 * into a layer of their own (built, with parameter memory of their own, as the model
 * would) to compare forward values with PyTorch's and backward with finite differences
 * (gradcheck.h). The last tests train small models end to end and round-trip them through
 * a model file. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "graph/model.h"
#include "layers/layer.h"

#include "check_helpers.h"
#define GRADCHECK_STEP 1e-2f
#define GRADCHECK_REL_TOL 1e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"

/* A model of samples `shape` whose only layer comes from `add`; the caller frees it. */
static deep_model *model_of(int32_t rank, const int64_t *shape)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(rank, shape, &model));
    return model;
}

/* The model's last layer's type and config in a layer of the test's own, built for the
 * model's input shape with parameter memory of its own, filled uniform in [lo, hi). */
static void take_layer(deep_layer *layer, const deep_model *model, uint64_t seed, float lo, float hi)
{
    const deep_layer *source = model->layers[model->layer_count - 1];
    memset(layer, 0, sizeof *layer);
    layer->ops = source->ops;
    layer->cfg = source->cfg;
    layer_build_and_alloc(layer, source->in_rank, source->in_shape);
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    for (int32_t p = 0; p < layer->param_count; p++)
        fill_uniform(&rng, layer->params[p].value, layer->params[p].size, lo, hi);
}

static void assert_close(const char *what, const float *got, const float *want, int64_t n, float tolerance)
{
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(got[i] - want[i]) <= tolerance, "%s: value %lld is %.7g, want %.7g", what, (long long)i,
                      (double)got[i], (double)want[i]);
}

/* ---- LayerNormalization ---------------------------------------------------------------- */

/* Forward against torch.nn.functional.layer_norm (PyTorch 1.13, float32):
 *   x = [[[0.5, -1, 2], [3, 3, 3.5]], [[-0.25, 0.75, 0], [10, -10, 1]]]
 *   layer_norm(x, (3,), weight=[1.5, -0.5, 2], bias=[0.1, 0.2, -0.3], eps=1e-3)
 * i.e. two samples of shape (2, 3), each row of 3 normalised on its own. */
START_TEST(layer_norm_forward_matches_pytorch)
{
    deep_model *model = model_of(2, (int64_t[]){2, 3});
    ASSERT_OK(deep_model_add_layer_normalization(model, 1e-3, 1, 1));
    deep_layer layer;
    take_layer(&layer, model, 1, 0, 0);
    ck_assert_int_eq(layer.param_count, 2);
    ck_assert_str_eq(layer.params[0].name, "gamma");
    ck_assert_str_eq(layer.params[1].name, "beta");
    memcpy(layer.params[0].value, (float[]){1.5f, -0.5f, 2.0f}, 3 * sizeof(float));
    memcpy(layer.params[1].value, (float[]){0.1f, 0.2f, -0.3f}, 3 * sizeof(float));
    const float in[12] = {0.5f, -1, 2, 3, 3, 3.5f, -0.25f, 0.75f, 0, 10, -10, 1};
    const float want[12] = {0.100000f,  0.812168f,  2.148674f,  -0.951241f, 0.550414f, 2.503310f,
                            -1.366815f, -0.484514f, -1.082301f, 1.872914f,  0.831728f, -0.136973f};
    float out[12], *scratch = layer_scratch(&layer, 2);
    layer.ops->forward(&layer, &(deep_exec){0}, in, out, scratch, 2);
    assert_close("layer_norm", out, want, 12, 2e-5f);
    /* Inference is the same computation (nothing depends on the batch). */
    float again[12];
    layer.ops->forward(&layer, &(deep_exec){.training = true}, in, again, scratch, 2);
    ck_assert(memcmp(out, again, sizeof out) == 0);
    free(scratch);
    layer_release(&layer);
    deep_model_free(model);
}
END_TEST

/* Without center or scale the weights go away (in Keras' order), and the output is the
 * plain normalised row: mean 0 and variance var / (var + epsilon). */
START_TEST(layer_norm_weights_follow_center_and_scale)
{
    static const struct {
        int32_t center, scale, count;
        const char *first;
    } cases[] = {{1, 1, 2, "gamma"}, {0, 1, 1, "gamma"}, {1, 0, 1, "beta"}, {0, 0, 0, NULL}};
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *model = model_of(1, (int64_t[]){5});
        ASSERT_OK(deep_model_add_layer_normalization(model, 1e-3, cases[i].center, cases[i].scale));
        int64_t params = -1;
        ASSERT_OK(deep_model_parameter_count(model, &params));
        ck_assert_int_eq(params, 5 * cases[i].count);
        deep_layer layer;
        take_layer(&layer, model, 1, -1, 1);
        ck_assert_int_eq(layer.param_count, cases[i].count);
        if (cases[i].first != NULL)
            ck_assert_str_eq(layer.params[0].name, cases[i].first);
        layer.ops->init(&layer, NULL);
        for (int32_t p = 0; p < layer.param_count; p++)
            for (int64_t j = 0; j < 5; j++)
                ck_assert(layer.params[p].value[j] == (strcmp(layer.params[p].name, "gamma") == 0 ? 1.0f : 0.0f));
        const float in[5] = {1, 2, 3, 4, 10};
        float out[5], *scratch = layer_scratch(&layer, 1);
        layer.ops->forward(&layer, &(deep_exec){0}, in, out, scratch, 1);
        double mean = 0, var = 0;
        for (int j = 0; j < 5; j++)
            mean += out[j] / 5.0;
        for (int j = 0; j < 5; j++)
            var += (out[j] - mean) * (out[j] - mean) / 5.0;
        /* The input's variance is 10: normalised, 10 / (10 + 1e-3). */
        ck_assert_msg(fabs(mean) < 1e-6 && fabs(var - 10.0 / 10.001) < 1e-5, "mean %g, variance %g", mean, var);
        free(scratch);
        layer_release(&layer);
        deep_model_free(model);
    }
}
END_TEST

START_TEST(layer_norm_gradients)
{
    static const struct {
        int32_t rank;
        int64_t shape[3];
        int32_t center, scale;
        double epsilon;
    } cases[] = {
        {1, {6}, 1, 1, 1e-3},         {2, {3, 4}, 1, 1, 1e-3},    {3, {2, 2, 5}, 0, 1, 0.5},
        {3, {2, 3, 2}, 1, 0, 1e-3},   {2, {4, 3}, 0, 0, 1e-2},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *model = model_of(cases[i].rank, cases[i].shape);
        ASSERT_OK(deep_model_add_layer_normalization(model, cases[i].epsilon, cases[i].center, cases[i].scale));
        deep_layer layer;
        take_layer(&layer, model, 3 + (uint64_t)i, -1, 1);
        enum { BATCH = 3 };
        float *in = floats(BATCH * layer.in_size);
        struct deep_rng rng;
        deep_rng_init(&rng, 40 + (uint64_t)i);
        fill_uniform(&rng, in, BATCH * layer.in_size, -1, 1);
        char what[96];
        snprintf(what, sizeof what, "layer_norm case %d (center %d, scale %d)", i, (int)cases[i].center,
                 (int)cases[i].scale);
        grad_check gc = {.what = what, .layer = &layer, .in = in, .batch = BATCH};
        ASSERT_GRADIENTS_MATCH(&gc);
        free(in);
        layer_release(&layer);
        deep_model_free(model);
    }
}
END_TEST

/* With a pool of two threads the values are the same bits (each sample is one task). */
START_TEST(layer_norm_threads_match_inline)
{
    deep_model *model = model_of(2, (int64_t[]){4, 6});
    ASSERT_OK(deep_model_add_layer_normalization(model, 1e-3, 1, 1));
    deep_layer layer;
    take_layer(&layer, model, 5, -1, 1);
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(2, &pool));
    enum { BATCH = 7 };
    int64_t n = BATCH * layer.in_size;
    float *in = floats(n), *out[2], *grad_in[2], *dgamma[2];
    struct deep_rng rng;
    deep_rng_init(&rng, 6);
    fill_uniform(&rng, in, n, -2, 2);
    for (int run = 0; run < 2; run++) {
        deep_exec ex = {.pool = run ? pool : NULL, .training = true};
        float *scratch = layer_scratch(&layer, BATCH), *grad_out = floats(n);
        out[run] = floats(n);
        grad_in[run] = floats(n);
        dgamma[run] = floats(6);
        for (int64_t j = 0; j < n; j++)
            grad_out[j] = sinf((float)j);
        layer.ops->forward(&layer, &ex, in, out[run], scratch, BATCH);
        layer.ops->backward(&layer, &ex, in, out[run], grad_out, grad_in[run], scratch, BATCH);
        memcpy(dgamma[run], layer.params[0].grad, 6 * sizeof(float));
        free(scratch);
        free(grad_out);
    }
    ck_assert(memcmp(out[0], out[1], (size_t)n * sizeof(float)) == 0);
    ck_assert(memcmp(grad_in[0], grad_in[1], (size_t)n * sizeof(float)) == 0);
    ck_assert(memcmp(dgamma[0], dgamma[1], 6 * sizeof(float)) == 0);
    for (int run = 0; run < 2; run++) {
        free(out[run]);
        free(grad_in[run]);
        free(dgamma[run]);
    }
    free(in);
    deep_pool_free(pool);
    layer_release(&layer);
    deep_model_free(model);
}
END_TEST

START_TEST(layer_norm_misuse)
{
    static const char fn[] = "deep_model_add_layer_normalization";
    deep_model *model = model_of(2, (int64_t[]){4, 3});
    ck_assert_int_eq(deep_model_add_layer_normalization(NULL, 1e-3, 1, 1), DEEP_ERR_NULL);
    static const double bad_epsilon[] = {0.0, -1e-3, NAN, INFINITY, 1e300};
    for (int i = 0; i < COUNT_OF(bad_epsilon); i++)
        ASSERT_FAILS_WITH(deep_model_add_layer_normalization(model, bad_epsilon[i], 1, 1), DEEP_ERR_INVALID_ARGUMENT,
                          fn, "epsilon");
    ck_assert_int_eq(model->layer_count, 0);
    /* A mask passes through it to the recurrent layer (Keras' supports_masking). */
    ASSERT_OK(deep_model_add_masking(model, 0.0));
    ASSERT_OK(deep_model_add_layer_normalization(model, 1e-3, 1, 1));
    ck_assert_int_eq(deep_layer_mask_flow(model->layers[1]), DEEP_MASK_KEPT);
    ASSERT_OK(deep_model_add_lstm(model, 2, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    deep_model_free(model);
}
END_TEST

/* ---- training end to end ------------------------------------------------------------ */

/* A smooth target of every feature: a weighted sum through tanh. */
static float mixed_target(const float *x, int64_t features)
{
    double t = 0;
    for (int64_t j = 0; j < features; j++)
        t += x[j] * sin((double)j + 1.0);
    return (float)tanh(t / sqrt((double)features) * 2.0);
}

/* Of (height, width, 2) images: the sum of channel 0 minus channel 1, over 6. */
static float channel_difference(const float *x, int64_t features)
{
    double t = 0;
    for (int64_t j = 0; j < features; j++)
        t += j % 2 == 0 ? x[j] : -x[j];
    return (float)(t / 6.0);
}

/* Fits `model` (compiled here with Adam and MSE) on (n, features) -> (n, 1) data for
 * `epochs`, checks the training loss at least halves, then that a saved and reloaded copy
 * predicts the same bits. */
static void assert_trains_and_round_trips(deep_model *model, int32_t rank, const int64_t *shape, int64_t n,
                                          int64_t epochs, float learning_rate,
                                          float (*target)(const float *x, int64_t features))
{
    int64_t features = shape_size(rank, shape);
    float *x = floats(n * features), *y = floats(n);
    struct deep_rng rng;
    deep_rng_init(&rng, 77);
    fill_uniform(&rng, x, n * features, -1, 1);
    for (int64_t s = 0; s < n; s++)
        y[s] = target(x + s * features, features);
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(n, rank, shape, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, y, n, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, learning_rate));
    ASSERT_OK(deep_model_set_seed(model, 5));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    ASSERT_OK(deep_model_fit(model, data, epochs, 16, NULL));
    double first = 0, last = 0;
    ASSERT_OK(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &first));
    ASSERT_OK(deep_model_history(model, epochs - 1, DEEP_METRIC_LOSS, 0, &last));
    ck_assert_msg(last < 0.5 * first, "the loss went from %g to %g in %lld epochs", first, last, (long long)epochs);

    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    void *bytes = malloc((size_t)size);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    int64_t tensor_shape[DEEP_MAX_RANK] = {n};
    memcpy(tensor_shape + 1, shape, (size_t)rank * sizeof *shape);
    deep_tensor *inputs = NULL, *a = NULL, *b = NULL;
    ASSERT_OK(deep_tensor_new_from(rank + 1, tensor_shape, x, n * features, &inputs));
    ASSERT_OK(deep_model_predict(model, inputs, &a));
    ASSERT_OK(deep_model_predict(loaded, inputs, &b));
    const float *pa = NULL, *pb = NULL;
    ASSERT_OK(deep_tensor_data(a, &pa));
    ASSERT_OK(deep_tensor_data(b, &pb));
    ck_assert_msg(memcmp(pa, pb, (size_t)n * sizeof(float)) == 0, "the reloaded model predicts other values");
    deep_tensor_free(inputs);
    deep_tensor_free(a);
    deep_tensor_free(b);
    deep_model_free(loaded);
    free(bytes);
    deep_dataset_free(data);
    free(x);
    free(y);
}

START_TEST(layer_norm_trains_and_round_trips)
{
    deep_model *model = model_of(2, (int64_t[]){4, 5});
    ASSERT_OK(deep_model_add_dense(model, 8, DEEP_ACTIVATION_TANH, 1));
    ASSERT_OK(deep_model_add_layer_normalization(model, 1e-3, 1, 1));
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_LINEAR, 1));
    assert_trains_and_round_trips(model, 2, (int64_t[]){4, 5}, 128, 30, 0.01f, mixed_target);
    deep_model_free(model);
}
END_TEST

/* ---- DepthwiseConv2D -------------------------------------------------------------------- */

/* x[i] = ((7 i) mod 11 - 5) / 4 and kernel[i] = ((5 i) mod 7 - 3) / 4 in Keras' layouts;
 * the expectations are PyTorch's (1.13) conv2d with groups = channels on the transposed
 * tensors, weight[c * dm + m, 0, ky, kx] = kernel[ky, kx, c, m], with Keras' same padding
 * (total max((out - 1) * stride + k - in, 0), the smaller half before) by F.pad:
 *   F.conv2d(F.pad(x.permute(0, 3, 1, 2), pads), weight, bias, stride, groups=c) */
static void fill_pattern(float *x, int64_t n, int64_t mul, int64_t mod, int64_t shift)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)((i * mul) % mod - shift) / 4.0f;
}

START_TEST(depthwise_forward_matches_pytorch)
{
    static const float same_dm2[40] = {
        0.9750f,  -0.5125f, 1.0500f,  -2.8375f, 1.3500f,  0.3000f,  1.5500f,  -0.5875f, 1.0375f,  0.4250f,
        -0.0125f, 0.9750f,  -2.0250f, -0.8250f, -0.2000f, -0.9000f, 0.8500f,  -1.2000f, 0.8000f,  -1.5250f,
        -1.9625f, -0.0750f, 0.7375f,  -0.7125f, 0.6625f,  -1.0750f, 0.9875f,  -2.7750f, 1.2250f,  -0.7000f,
        0.5500f,  -0.7125f, 1.1000f,  0.3625f,  -0.5750f, 0.6625f,  -1.0250f, 0.3000f,  -0.2000f, 0.3500f};
    static const float valid_dm1[27] = {0.1875f,  1.1875f,  1.1875f,  -1.5000f, 1.1875f,  0.8125f,  -1.1250f,
                                        1.1875f,  0.4375f,  -0.3750f, -2.2500f, 0.3750f,  0.0000f,  -2.2500f,
                                        0.0000f,  0.3750f,  -2.2500f, -0.3750f, 0.4375f,  1.1875f,  -1.1250f,
                                        0.8125f,  1.1875f,  -1.5000f, 1.1875f,  1.1875f,  0.1875f};
    static const struct {
        int64_t shape[3], kh, kw, sh, sw, dm, out[3];
        deep_padding padding;
        int32_t use_bias;
        const float *want;
    } cases[] = {
        {{4, 5, 2}, 3, 2, 2, 1, 2, {2, 5, 4}, DEEP_PADDING_SAME, 1, same_dm2},
        {{4, 4, 3}, 2, 2, 1, 1, 1, {3, 3, 3}, DEEP_PADDING_VALID, 0, valid_dm1},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *model = model_of(3, cases[i].shape);
        ASSERT_OK(deep_model_add_depthwise_conv2d(model, cases[i].kh, cases[i].kw, cases[i].sh, cases[i].sw,
                                                  cases[i].padding, cases[i].dm, DEEP_ACTIVATION_LINEAR,
                                                  cases[i].use_bias));
        deep_layer layer;
        take_layer(&layer, model, 1, 0, 0);
        ck_assert_int_eq(layer.out_rank, 3);
        for (int a = 0; a < 3; a++)
            ck_assert_int_eq(layer.out_shape[a], cases[i].out[a]);
        ck_assert_str_eq(layer.params[0].name, "kernel");
        ck_assert_int_eq(layer.params[0].rank, 4);
        ck_assert_int_eq(layer.params[0].shape[2], cases[i].shape[2]);
        ck_assert_int_eq(layer.params[0].shape[3], cases[i].dm);
        ck_assert_int_eq(layer.param_count, cases[i].use_bias ? 2 : 1);
        fill_pattern(layer.params[0].value, layer.params[0].size, 5, 7, 3);
        if (cases[i].use_bias)
            memcpy(layer.params[1].value, (float[]){0.1f, -0.2f, 0.3f, -0.4f}, 4 * sizeof(float));
        float *in = floats(layer.in_size), *out = floats(layer.out_size), *scratch = layer_scratch(&layer, 1);
        fill_pattern(in, layer.in_size, 7, 11, 5);
        layer.ops->forward(&layer, &(deep_exec){0}, in, out, scratch, 1);
        assert_close(i == 0 ? "depthwise same dm 2" : "depthwise valid dm 1", out, cases[i].want, layer.out_size,
                     1e-5f);
        free(in);
        free(out);
        free(scratch);
        layer_release(&layer);
        deep_model_free(model);
    }
}
END_TEST

START_TEST(depthwise_init_is_keras_glorot_and_zero_bias)
{
    deep_model *model = model_of(3, (int64_t[]){6, 6, 4});
    ASSERT_OK(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_RELU, 1));
    deep_layer layer;
    take_layer(&layer, model, 1, 5, 6);
    struct deep_rng rng;
    deep_rng_init(&rng, 3);
    layer.ops->init(&layer, &rng);
    /* fan_in = 3 * 3 * 4, fan_out = 3 * 3 * 2 (Keras' compute_fans of (3, 3, 4, 2)). */
    float limit = sqrtf(6.0f / (36.0f + 18.0f)), largest = 0;
    for (int64_t i = 0; i < layer.params[0].size; i++)
        largest = fmaxf(largest, fabsf(layer.params[0].value[i]));
    ck_assert_msg(largest <= limit && largest > 0.8f * limit, "largest |kernel| %g, limit %g", (double)largest,
                  (double)limit);
    for (int64_t i = 0; i < 8; i++)
        ck_assert(layer.params[1].value[i] == 0.0f);
    layer_release(&layer);
    deep_model_free(model);
}
END_TEST

START_TEST(depthwise_gradients)
{
    static const struct {
        int64_t shape[3], kh, kw, sh, sw, dm;
        deep_padding padding;
        deep_activation activation;
        int32_t use_bias;
    } cases[] = {
        {{5, 4, 2}, 3, 3, 1, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_LINEAR, 1},
        {{5, 5, 3}, 3, 2, 2, 2, 2, DEEP_PADDING_SAME, DEEP_ACTIVATION_TANH, 1},
        {{4, 6, 2}, 2, 3, 1, 2, 3, DEEP_PADDING_VALID, DEEP_ACTIVATION_SIGMOID, 0},
        {{3, 3, 1}, 4, 4, 1, 1, 2, DEEP_PADDING_SAME, DEEP_ACTIVATION_GELU, 1}, /* kernel beyond the input */
        {{4, 4, 2}, 1, 1, 1, 1, 2, DEEP_PADDING_VALID, DEEP_ACTIVATION_SILU, 1},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *model = model_of(3, cases[i].shape);
        ASSERT_OK(deep_model_add_depthwise_conv2d(model, cases[i].kh, cases[i].kw, cases[i].sh, cases[i].sw,
                                                  cases[i].padding, cases[i].dm, cases[i].activation,
                                                  cases[i].use_bias));
        deep_layer layer;
        take_layer(&layer, model, 10 + (uint64_t)i, -1, 1);
        enum { BATCH = 2 };
        float *in = floats(BATCH * layer.in_size);
        struct deep_rng rng;
        deep_rng_init(&rng, 20 + (uint64_t)i);
        fill_uniform(&rng, in, BATCH * layer.in_size, -1, 1);
        char what[64];
        snprintf(what, sizeof what, "depthwise case %d", i);
        grad_check gc = {.what = what, .layer = &layer, .in = in, .batch = BATCH, .ex = {.training = true}};
        ASSERT_GRADIENTS_MATCH(&gc);
        free(in);
        layer_release(&layer);
        deep_model_free(model);
    }
}
END_TEST

/* Two threads give the same bits as one: samples and output channels are split, never
 * the sums. Also a backward without dL/din (a first layer). */
START_TEST(depthwise_threads_match_inline)
{
    deep_model *model = model_of(3, (int64_t[]){7, 6, 3});
    ASSERT_OK(deep_model_add_depthwise_conv2d(model, 3, 3, 2, 1, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_TANH, 1));
    deep_layer layer;
    take_layer(&layer, model, 4, -1, 1);
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(2, &pool));
    enum { BATCH = 5 };
    int64_t n_in = BATCH * layer.in_size, n_out = BATCH * layer.out_size;
    float *in = floats(n_in), *out[2], *grad_in[2], *kgrad[2], *bgrad[2];
    struct deep_rng rng;
    deep_rng_init(&rng, 8);
    fill_uniform(&rng, in, n_in, -1, 1);
    for (int run = 0; run < 3; run++) {
        deep_exec ex = {.pool = run == 1 ? pool : NULL, .training = true};
        float *scratch = layer_scratch(&layer, BATCH), *grad_out = floats(n_out), *o = floats(n_out),
              *gi = run < 2 ? floats(n_in) : NULL;
        for (int64_t j = 0; j < n_out; j++)
            grad_out[j] = cosf((float)j);
        layer.ops->forward(&layer, &ex, in, o, scratch, BATCH);
        layer.ops->backward(&layer, &ex, in, o, grad_out, gi, scratch, BATCH);
        if (run < 2) {
            out[run] = o;
            grad_in[run] = gi;
            kgrad[run] = floats(layer.params[0].size);
            bgrad[run] = floats(layer.params[1].size);
            memcpy(kgrad[run], layer.params[0].grad, (size_t)layer.params[0].size * sizeof(float));
            memcpy(bgrad[run], layer.params[1].grad, (size_t)layer.params[1].size * sizeof(float));
        } else {
            ck_assert(memcmp(kgrad[0], layer.params[0].grad, (size_t)layer.params[0].size * sizeof(float)) == 0);
            free(o);
        }
        free(scratch);
        free(grad_out);
    }
    ck_assert(memcmp(out[0], out[1], (size_t)n_out * sizeof(float)) == 0);
    ck_assert(memcmp(grad_in[0], grad_in[1], (size_t)n_in * sizeof(float)) == 0);
    ck_assert(memcmp(kgrad[0], kgrad[1], (size_t)layer.params[0].size * sizeof(float)) == 0);
    ck_assert(memcmp(bgrad[0], bgrad[1], (size_t)layer.params[1].size * sizeof(float)) == 0);
    for (int run = 0; run < 2; run++) {
        free(out[run]);
        free(grad_in[run]);
        free(kgrad[run]);
        free(bgrad[run]);
    }
    free(in);
    deep_pool_free(pool);
    layer_release(&layer);
    deep_model_free(model);
}
END_TEST

START_TEST(depthwise_misuse)
{
    static const char fn[] = "deep_model_add_depthwise_conv2d";
    const deep_padding valid = DEEP_PADDING_VALID, same = DEEP_PADDING_SAME;
    const deep_activation linear = DEEP_ACTIVATION_LINEAR;
    ck_assert_int_eq(deep_model_add_depthwise_conv2d(NULL, 3, 3, 1, 1, valid, 1, linear, 1), DEEP_ERR_NULL);
    deep_model *flat = model_of(1, (int64_t[]){16});
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(flat, 3, 3, 1, 1, valid, 1, linear, 1), DEEP_ERR_SHAPE, fn,
                      "DepthwiseConv2D needs (height, width, channels) inputs but gets (16,)");
    deep_model_free(flat);
    deep_model *model = model_of(3, (int64_t[]){5, 5, 2});
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 6, 3, 1, 1, valid, 1, linear, 1), DEEP_ERR_SHAPE, fn,
                      "layer 0 (depthwise_conv2d): kernel_size");
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 12, 3, 1, 1, same, 1, linear, 1), DEEP_ERR_SHAPE, fn,
                      "kernel_size");
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 0, 3, 1, 1, valid, 1, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "kernel size 0 x 3");
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 3, 3, 0, 1, valid, 1, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "strides");
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, (deep_padding)2, 1, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "padding");
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, valid, 0, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "depth_multiplier");
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, valid, -2, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "depth_multiplier");
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, valid, 1, (deep_activation)99, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "activation");
    /* 2 channels times 2^30 output channels: more than the limit. */
    ASSERT_FAILS_WITH(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, valid, (int64_t)1 << 30, linear, 1),
                      DEEP_ERR_OVERFLOW, fn, "depth_multiplier");
    /* 2^28 output channels over 3 x 3 positions: an output beyond the limit. */
    ck_assert_int_ne(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, valid, (int64_t)1 << 27, linear, 1),
                     DEEP_OK);
    ck_assert_int_eq(model->layer_count, 0);
    ASSERT_OK(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, valid, 3, linear, 1));
    int64_t params = 0;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ck_assert_int_eq(params, 3 * 3 * 2 * 3 + 6);
    deep_model_free(model);
}
END_TEST

START_TEST(depthwise_trains_and_round_trips)
{
    deep_model *model = model_of(3, (int64_t[]){6, 6, 2});
    ASSERT_OK(deep_model_add_depthwise_conv2d(model, 3, 3, 1, 1, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_TANH, 1));
    ASSERT_OK(deep_model_add_global_average_pooling2d(model));
    ASSERT_OK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_LINEAR, 1));
    assert_trains_and_round_trips(model, 3, (int64_t[]){6, 6, 2}, 128, 40, 0.02f, channel_difference);
    deep_model_free(model);
}
END_TEST

/* ---- SeparableConv2D -------------------------------------------------------------------- */

/* Input and depthwise kernel as in depthwise_forward_matches_pytorch, pointwise kernel
 * (channels * dm, filters) with p[i] = ((3 i) mod 5 - 2) / 4, bias [0.1, -0.2, 0.3]; PyTorch:
 *   d = F.conv2d(F.pad(x, pads), depthwise_weight, stride=(2, 2), groups=2)
 *   y = F.conv2d(d, p.t().reshape(3, 4, 1, 1), bias)
 * for a (4, 5, 2) input, kernel 3 x 2, strides (2, 2), same padding, depth_multiplier 2. */
START_TEST(separable_forward_matches_pytorch)
{
    static const float want[18] = {-0.306250f, 1.050000f,  0.003125f,  -0.134375f, -0.575000f, -0.059375f,
                                   -0.650000f, 0.425000f,  0.581250f,  1.303125f,  -0.668750f, 0.893750f,
                                   -0.650000f, 0.175000f,  0.315625f,  0.787500f,  -0.731250f, 0.268750f};
    deep_model *model = model_of(3, (int64_t[]){4, 5, 2});
    ASSERT_OK(deep_model_add_separable_conv2d(model, 3, 3, 2, 2, 2, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_LINEAR, 1));
    deep_layer layer;
    take_layer(&layer, model, 1, 0, 0);
    ck_assert_int_eq(layer.param_count, 3);
    static const char *const names[] = {"depthwise_kernel", "pointwise_kernel", "bias"};
    static const int64_t shapes[3][4] = {{3, 2, 2, 2}, {1, 1, 4, 3}, {3}};
    for (int p = 0; p < 3; p++) {
        ck_assert_str_eq(layer.params[p].name, names[p]);
        for (int a = 0; a < layer.params[p].rank; a++)
            ck_assert_int_eq(layer.params[p].shape[a], shapes[p][a]);
    }
    ck_assert_int_eq(layer.out_shape[0], 2);
    ck_assert_int_eq(layer.out_shape[1], 3);
    ck_assert_int_eq(layer.out_shape[2], 3);
    fill_pattern(layer.params[0].value, layer.params[0].size, 5, 7, 3);
    fill_pattern(layer.params[1].value, layer.params[1].size, 3, 5, 2);
    memcpy(layer.params[2].value, (float[]){0.1f, -0.2f, 0.3f}, 3 * sizeof(float));
    float *in = floats(layer.in_size), *out = floats(layer.out_size), *scratch = layer_scratch(&layer, 1);
    fill_pattern(in, layer.in_size, 7, 11, 5);
    layer.ops->forward(&layer, &(deep_exec){0}, in, out, scratch, 1);
    assert_close("separable", out, want, 18, 1e-5f);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
    deep_model_free(model);
}
END_TEST

START_TEST(separable_init_is_keras_glorot_and_zero_bias)
{
    deep_model *model = model_of(3, (int64_t[]){6, 6, 4});
    ASSERT_OK(deep_model_add_separable_conv2d(model, 8, 3, 3, 1, 1, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_RELU, 1));
    deep_layer layer;
    take_layer(&layer, model, 1, 5, 6);
    struct deep_rng rng;
    deep_rng_init(&rng, 3);
    layer.ops->init(&layer, &rng);
    /* Fans: depthwise (3 * 3 * 4, 3 * 3 * 2), pointwise (4 * 2, 8). */
    const float limits[2] = {sqrtf(6.0f / (36.0f + 18.0f)), sqrtf(6.0f / (8.0f + 8.0f))};
    for (int p = 0; p < 2; p++) {
        float largest = 0;
        for (int64_t i = 0; i < layer.params[p].size; i++)
            largest = fmaxf(largest, fabsf(layer.params[p].value[i]));
        ck_assert_msg(largest <= limits[p] && largest > 0.75f * limits[p], "%s: largest %g, limit %g",
                      layer.params[p].name, (double)largest, (double)limits[p]);
    }
    for (int64_t i = 0; i < 8; i++)
        ck_assert(layer.params[2].value[i] == 0.0f);
    layer_release(&layer);
    deep_model_free(model);
}
END_TEST

START_TEST(separable_gradients)
{
    static const struct {
        int64_t shape[3], filters, kh, kw, sh, sw, dm;
        deep_padding padding;
        deep_activation activation;
        int32_t use_bias;
    } cases[] = {
        {{5, 4, 2}, 3, 3, 3, 1, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_LINEAR, 1},
        {{5, 5, 3}, 2, 3, 2, 2, 2, 2, DEEP_PADDING_SAME, DEEP_ACTIVATION_TANH, 1},
        {{4, 6, 2}, 4, 2, 3, 1, 2, 3, DEEP_PADDING_VALID, DEEP_ACTIVATION_SIGMOID, 0},
        {{3, 3, 1}, 2, 4, 4, 1, 1, 2, DEEP_PADDING_SAME, DEEP_ACTIVATION_GELU, 1},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *model = model_of(3, cases[i].shape);
        ASSERT_OK(deep_model_add_separable_conv2d(model, cases[i].filters, cases[i].kh, cases[i].kw, cases[i].sh,
                                                  cases[i].sw, cases[i].padding, cases[i].dm, cases[i].activation,
                                                  cases[i].use_bias));
        deep_layer layer;
        take_layer(&layer, model, 30 + (uint64_t)i, -1, 1);
        enum { BATCH = 2 };
        float *in = floats(BATCH * layer.in_size);
        struct deep_rng rng;
        deep_rng_init(&rng, 50 + (uint64_t)i);
        fill_uniform(&rng, in, BATCH * layer.in_size, -1, 1);
        char what[64];
        snprintf(what, sizeof what, "separable case %d", i);
        grad_check gc = {.what = what, .layer = &layer, .in = in, .batch = BATCH, .ex = {.training = true}};
        ASSERT_GRADIENTS_MATCH(&gc);
        free(in);
        layer_release(&layer);
        deep_model_free(model);
    }
}
END_TEST

/* The kernels' gradients do not depend on whether dL/din is asked for (a first layer). */
START_TEST(separable_backward_without_input_gradient)
{
    deep_model *model = model_of(3, (int64_t[]){5, 5, 2});
    ASSERT_OK(deep_model_add_separable_conv2d(model, 3, 3, 3, 1, 1, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_TANH, 1));
    deep_layer layer;
    take_layer(&layer, model, 6, -1, 1);
    enum { BATCH = 3 };
    int64_t n_in = BATCH * layer.in_size, n_out = BATCH * layer.out_size;
    float *in = floats(n_in), *out = floats(n_out), *grad_in = floats(n_in), *saved[3];
    struct deep_rng rng;
    deep_rng_init(&rng, 9);
    fill_uniform(&rng, in, n_in, -1, 1);
    for (int run = 0; run < 2; run++) {
        float *scratch = layer_scratch(&layer, BATCH), *grad_out = floats(n_out);
        for (int64_t j = 0; j < n_out; j++)
            grad_out[j] = sinf(0.3f * (float)j);
        layer.ops->forward(&layer, &(deep_exec){.training = true}, in, out, scratch, BATCH);
        layer.ops->backward(&layer, &(deep_exec){.training = true}, in, out, grad_out, run ? NULL : grad_in, scratch,
                            BATCH);
        for (int p = 0; p < 3; p++) {
            size_t bytes = (size_t)layer.params[p].size * sizeof(float);
            if (run == 0) {
                saved[p] = floats(layer.params[p].size);
                memcpy(saved[p], layer.params[p].grad, bytes);
            } else {
                ck_assert_msg(memcmp(saved[p], layer.params[p].grad, bytes) == 0, "%s differs", layer.params[p].name);
                free(saved[p]);
            }
        }
        free(scratch);
        free(grad_out);
    }
    free(in);
    free(out);
    free(grad_in);
    layer_release(&layer);
    deep_model_free(model);
}
END_TEST

START_TEST(separable_misuse)
{
    static const char fn[] = "deep_model_add_separable_conv2d";
    const deep_padding valid = DEEP_PADDING_VALID;
    const deep_activation linear = DEEP_ACTIVATION_LINEAR;
    ck_assert_int_eq(deep_model_add_separable_conv2d(NULL, 2, 3, 3, 1, 1, valid, 1, linear, 1), DEEP_ERR_NULL);
    deep_model *flat = model_of(2, (int64_t[]){4, 4});
    ASSERT_FAILS_WITH(deep_model_add_separable_conv2d(flat, 2, 3, 3, 1, 1, valid, 1, linear, 1), DEEP_ERR_SHAPE, fn,
                      "SeparableConv2D needs (height, width, channels) inputs but gets (4, 4)");
    deep_model_free(flat);
    deep_model *model = model_of(3, (int64_t[]){5, 5, 2});
    ASSERT_FAILS_WITH(deep_model_add_separable_conv2d(model, 0, 3, 3, 1, 1, valid, 1, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "filters");
    ASSERT_FAILS_WITH(deep_model_add_separable_conv2d(model, 2, 3, 6, 1, 1, valid, 1, linear, 1), DEEP_ERR_SHAPE, fn,
                      "layer 0 (separable_conv2d): kernel_size");
    ASSERT_FAILS_WITH(deep_model_add_separable_conv2d(model, 2, 3, 3, 1, -1, valid, 1, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "strides");
    ASSERT_FAILS_WITH(deep_model_add_separable_conv2d(model, 2, 3, 3, 1, 1, (deep_padding)-1, 1, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "padding");
    ASSERT_FAILS_WITH(deep_model_add_separable_conv2d(model, 2, 3, 3, 1, 1, valid, 0, linear, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "depth_multiplier");
    ASSERT_FAILS_WITH(deep_model_add_separable_conv2d(model, 2, 3, 3, 1, 1, valid, 1, (deep_activation)-3, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "activation");
    /* (3, 3, 2 * 2^28) intermediate values: beyond the limit, named. */
    ASSERT_FAILS_WITH(deep_model_add_separable_conv2d(model, 2, 3, 3, 1, 1, valid, (int64_t)1 << 28, linear, 1),
                      DEEP_ERR_OVERFLOW, fn, "depthwise output");
    /* A pointwise kernel of 2 * 2^20 x 2^11 elements: beyond the limit. */
    ASSERT_FAILS_WITH(
        deep_model_add_separable_conv2d(model, (int64_t)1 << 11, 3, 3, 1, 1, valid, (int64_t)1 << 20, linear, 1),
        DEEP_ERR_OVERFLOW, fn, "pointwise_kernel");
    ck_assert_int_eq(model->layer_count, 0);
    ASSERT_OK(deep_model_add_separable_conv2d(model, 4, 3, 3, 1, 1, valid, 2, linear, 1));
    int64_t params = 0;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ck_assert_int_eq(params, 3 * 3 * 2 * 2 + 4 * 4 + 4);
    deep_model_free(model);
}
END_TEST

START_TEST(separable_trains_and_round_trips)
{
    deep_model *model = model_of(3, (int64_t[]){6, 6, 2});
    ASSERT_OK(deep_model_add_separable_conv2d(model, 4, 3, 3, 1, 1, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_TANH, 1));
    ASSERT_OK(deep_model_add_global_average_pooling2d(model));
    ASSERT_OK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_LINEAR, 1));
    assert_trains_and_round_trips(model, 3, (int64_t[]){6, 6, 2}, 128, 40, 0.02f, channel_difference);
    deep_model_free(model);
}
END_TEST

static Suite *norm_suite(void)
{
    Suite *s = suite_create("norm_layers");
    TCase *tc = tcase_create("layer_normalization");
    tcase_add_test(tc, layer_norm_forward_matches_pytorch);
    tcase_add_test(tc, layer_norm_weights_follow_center_and_scale);
    tcase_add_test(tc, layer_norm_gradients);
    tcase_add_test(tc, layer_norm_threads_match_inline);
    tcase_add_test(tc, layer_norm_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("depthwise_conv2d");
    tcase_add_test(tc, depthwise_forward_matches_pytorch);
    tcase_add_test(tc, depthwise_init_is_keras_glorot_and_zero_bias);
    tcase_add_test(tc, depthwise_gradients);
    tcase_add_test(tc, depthwise_threads_match_inline);
    tcase_add_test(tc, depthwise_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("separable_conv2d");
    tcase_add_test(tc, separable_forward_matches_pytorch);
    tcase_add_test(tc, separable_init_is_keras_glorot_and_zero_bias);
    tcase_add_test(tc, separable_gradients);
    tcase_add_test(tc, separable_backward_without_input_gradient);
    tcase_add_test(tc, separable_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("training");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, layer_norm_trains_and_round_trips);
    tcase_add_test(tc, depthwise_trains_and_round_trips);
    tcase_add_test(tc, separable_trains_and_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(norm_suite(), CK_ENV);
}
