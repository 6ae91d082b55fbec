/* Keras' regularisation layers of 1.2: SpatialDropout2D, GaussianNoise and GaussianDropout.
 * Gradients by finite differences in training mode with the draws fixed by a seed, the
 * identity at inference, the statistics of the draws (whole channels for SpatialDropout2D,
 * Keras' standard deviations), their arguments' ranges and their use in a model. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "layers/layer.h"

#include "check_helpers.h"

#define GRADCHECK_STEP 5e-3f
#define GRADCHECK_REL_TOL 1e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"

extern const deep_layer_ops deep_spatial_dropout2d_ops, deep_gaussian_noise_ops, deep_gaussian_dropout_ops;

#define BATCH 3

static deep_layer make(const deep_layer_ops *ops, float value, int32_t rank, const int64_t *shape)
{
    deep_layer layer;
    memset(&layer, 0, sizeof layer);
    layer.ops = ops;
    memcpy(layer.cfg.bytes, &value, sizeof value); /* each config is one float */
    layer_build_and_alloc(&layer, rank, shape);
    return layer;
}

static const int64_t image[3] = {4, 3, 5};

START_TEST(training_gradients)
{
    static const struct {
        const char *what;
        const deep_layer_ops *ops;
        float value;
    } cases[] = {{"spatial_dropout2d(0.4)", &deep_spatial_dropout2d_ops, 0.4f},
                 {"gaussian_noise(0.3)", &deep_gaussian_noise_ops, 0.3f},
                 {"gaussian_dropout(0.3)", &deep_gaussian_dropout_ops, 0.3f}};
    deep_layer layer = make(cases[_i].ops, cases[_i].value, 3, image);
    float in[BATCH * 60];
    struct deep_rng rng, draws;
    deep_rng_init(&rng, 8);
    fill_uniform(&rng, in, BATCH * 60, -2.0f, 2.0f);
    grad_check gc = {.what = cases[_i].what, .layer = &layer, .ex = {.rng = &draws, .training = true},
                     .mask_seed = 99, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    layer_release(&layer);
}
END_TEST

START_TEST(identity_at_inference)
{
    const deep_layer_ops *ops[] = {&deep_spatial_dropout2d_ops, &deep_gaussian_noise_ops, &deep_gaussian_dropout_ops};
    enum { N = BATCH * 60 };
    deep_layer layer = make(ops[_i], 0.5f, 3, image);
    float in[N], out[N], grad_out[N], grad[N], grad_in[N];
    float *scratch = layer_scratch(&layer, BATCH);
    struct deep_rng rng;
    deep_rng_init(&rng, 9);
    fill_uniform(&rng, in, N, -2.0f, 2.0f);
    fill_uniform(&rng, grad_out, N, -1.0f, 1.0f);
    memcpy(grad, grad_out, sizeof grad);
    deep_exec ex = {.training = false};
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    layer.ops->backward(&layer, &ex, in, out, grad, grad_in, scratch, BATCH);
    ck_assert_msg(memcmp(out, in, sizeof in) == 0, "%s: forward is not the identity", ops[_i]->type);
    ck_assert_msg(memcmp(grad_in, grad_out, sizeof grad_in) == 0, "%s: backward is not the identity", ops[_i]->type);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* Whole channels: each (sample, channel) is either all zeros or all input / (1 - rate). */
START_TEST(spatial_dropout_drops_channels)
{
    enum { CHANNELS = 200, SAMPLES = 10 };
    const int64_t shape[3] = {3, 2, CHANNELS};
    const float rate = 0.3f, scale = 1.0f / (1.0f - 0.3f);
    deep_layer layer = make(&deep_spatial_dropout2d_ops, rate, 3, shape);
    ck_assert_int_eq(layer.scratch_size, CHANNELS);
    int64_t n = SAMPLES * 6 * CHANNELS;
    float *in = floats(n), *out = floats(n), *scratch = layer_scratch(&layer, SAMPLES);
    for (int64_t i = 0; i < n; i++)
        in[i] = 1.0f + (float)(i % 5);
    struct deep_rng rng;
    deep_rng_init(&rng, 4);
    deep_exec ex = {.rng = &rng, .training = true};
    layer.ops->forward(&layer, &ex, in, out, scratch, SAMPLES);
    int kept = 0;
    for (int64_t b = 0; b < SAMPLES; b++)
        for (int64_t c = 0; c < CHANNELS; c++) {
            bool first_kept = out[b * 6 * CHANNELS + c] != 0.0f;
            kept += first_kept;
            for (int64_t p = 0; p < 6; p++) {
                int64_t at = (b * 6 + p) * CHANNELS + c;
                ck_assert_msg(out[at] == (first_kept ? in[at] * scale : 0.0f),
                              "sample %lld channel %lld pixel %lld: %g is not its channel's fate", (long long)b,
                              (long long)c, (long long)p, (double)out[at]);
            }
        }
    /* Binomial(2000, 0.7): standard deviation 0.010 in the fraction; 0.05 is 5 sigma. */
    ck_assert_double_lt(fabs(kept / 2000.0 - 0.7), 0.05);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* Keras' noise: GaussianNoise adds N(0, stddev); GaussianDropout multiplies by
 * N(1, sqrt(rate / (1 - rate))). Means within 5 standard errors, deviations within 3%. */
START_TEST(noise_statistics)
{
    enum { N = 40000 };
    const int64_t shape[1] = {N};
    struct {
        const deep_layer_ops *ops;
        float value;
        double mean, sd;
    } cases[] = {{&deep_gaussian_noise_ops, 0.4f, 0.0, 0.4},
                 {&deep_gaussian_dropout_ops, 0.2f, 1.0, sqrt(0.2 / 0.8)}};
    deep_layer layer = make(cases[_i].ops, cases[_i].value, 1, shape);
    float *in = floats(N), *out = floats(N), *scratch = layer_scratch(&layer, 1);
    for (int i = 0; i < N; i++)
        in[i] = 2.0f;
    struct deep_rng rng;
    deep_rng_init(&rng, 6);
    deep_exec ex = {.rng = &rng, .training = true};
    layer.ops->forward(&layer, &ex, in, out, scratch, 1);
    double sum = 0, squares = 0;
    for (int i = 0; i < N; i++) {
        /* The draw: out - in for additive noise, out / in for multiplicative. */
        double d = cases[_i].ops == &deep_gaussian_noise_ops ? out[i] - 2.0 : out[i] / 2.0;
        sum += d;
        squares += d * d;
    }
    double mean = sum / N, sd = sqrt(squares / N - mean * mean);
    ck_assert_msg(fabs(mean - cases[_i].mean) < 5 * cases[_i].sd / sqrt((double)N), "%s: mean %g",
                  cases[_i].ops->type, mean);
    ck_assert_msg(fabs(sd / cases[_i].sd - 1) < 0.03, "%s: sd %g, expected %g", cases[_i].ops->type, sd,
                  cases[_i].sd);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

START_TEST(arguments_and_models)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){4, 4, 2}, &model));
    ASSERT_FAILS(deep_model_add_spatial_dropout2d(NULL, 0.1), DEEP_ERR_NULL, "deep_model_add_spatial_dropout2d");
    ASSERT_FAILS(deep_model_add_spatial_dropout2d(model, 1.0), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_add_spatial_dropout2d");
    ASSERT_FAILS(deep_model_add_gaussian_noise(model, 1.5), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_gaussian_noise");
    ASSERT_FAILS(deep_model_add_gaussian_noise(model, -0.1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_add_gaussian_noise");
    ASSERT_FAILS(deep_model_add_gaussian_dropout(model, -0.5), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_add_gaussian_dropout");
    ASSERT_OK(deep_model_add_spatial_dropout2d(model, 0.2));
    ASSERT_OK(deep_model_add_gaussian_noise(model, 1.0)); /* Keras' upper bound is allowed */
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_FAILS_WITH(deep_model_add_spatial_dropout2d(model, 0.2), DEEP_ERR_SHAPE, "deep_model_add_spatial_dropout2d",
                      "height, width, channels");
    ASSERT_OK(deep_model_add_gaussian_dropout(model, 0.1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(model, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    /* Predict is the identity through the three: equal to the Dense on the flattened input. */
    float x[32];
    for (int i = 0; i < 32; i++)
        x[i] = (float)i / 10.0f;
    deep_tensor *in = NULL, *kernel = NULL, *bias = NULL;
    ASSERT_OK(deep_tensor_new_from(4, (const int64_t[]){1, 4, 4, 2}, x, 32, &in));
    ASSERT_OK(deep_model_get_weight(model, 4, 0, &kernel));
    ASSERT_OK(deep_model_get_weight(model, 4, 1, &bias));
    const float *k, *bb;
    ASSERT_OK(deep_tensor_data(kernel, &k));
    ASSERT_OK(deep_tensor_data(bias, &bb));
    float out[2];
    int64_t needed;
    ASSERT_OK(deep_model_predict_on_batch(model, in, out, 2, &needed));
    for (int j = 0; j < 2; j++) {
        double want = bb[j];
        for (int i = 0; i < 32; i++)
            want += (double)x[i] * k[i * 2 + j];
        ck_assert_double_lt(fabs(out[j] - want), 1e-4);
    }
    deep_tensor_free(in);
    deep_tensor_free(kernel);
    deep_tensor_free(bias);
    deep_model_free(model);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noise_layers");
    TCase *tc = tcase_create("noise_layers");
    tcase_add_loop_test(tc, training_gradients, 0, 3);
    tcase_add_loop_test(tc, identity_at_inference, 0, 3);
    tcase_add_test(tc, spatial_dropout_drops_channels);
    tcase_add_loop_test(tc, noise_statistics, 0, 2);
    tcase_add_test(tc, arguments_and_models);
    suite_add_tcase(s, tc);
    return run_suite(s, CK_NORMAL);
}
