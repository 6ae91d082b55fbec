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

/* Fits `model` (compiled here with Adam and MSE) on (n, features) -> (n, 1) data for
 * `epochs`, checks the training loss at least halves, then that a saved and reloaded copy
 * predicts the same bits. */
static void assert_trains_and_round_trips(deep_model *model, int32_t rank, const int64_t *shape, int64_t n,
                                          int64_t epochs, float learning_rate)
{
    int64_t features = shape_size(rank, shape);
    float *x = floats(n * features), *y = floats(n);
    struct deep_rng rng;
    deep_rng_init(&rng, 77);
    fill_uniform(&rng, x, n * features, -1, 1);
    /* A smooth target of every feature: a weighted sum through tanh. */
    for (int64_t s = 0; s < n; s++) {
        double t = 0;
        for (int64_t j = 0; j < features; j++)
            t += x[s * features + j] * sin((double)j + 1.0);
        y[s] = (float)tanh(t / sqrt((double)features) * 2.0);
    }
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
    assert_trains_and_round_trips(model, 2, (int64_t[]){4, 5}, 128, 30, 0.01f);
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
    tc = tcase_create("training");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, layer_norm_trains_and_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(norm_suite(), CK_ENV);
}
