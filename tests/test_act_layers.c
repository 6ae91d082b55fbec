/* The activation layers with arguments of 1.3: LeakyReLU(negative_slope), ELU(alpha),
 * ReLU(max_value, negative_slope, threshold) and PReLU(shared_axes). Outputs against values
 * computed by hand from Keras' formulas, finite-difference gradients (inputs away from the
 * kinks), the arguments' ranges, and PReLU's weight shape, training and file round trip. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

#include "check_helpers.h"

#define GRADCHECK_STEP 1e-3f
#define GRADCHECK_REL_TOL 1e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"

extern const deep_layer_ops deep_leaky_relu_ops, deep_elu_ops, deep_relu_ops, deep_prelu_ops;

#define BATCH 3

/* A model of input (6,) and the one layer `add` appends, predicting x. */
static void predict_one(deep_status (*add)(deep_model *, const void *), const void *arg, const float *x, float *y)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){6}, &model));
    ASSERT_OK(add(model, arg));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(model, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    deep_tensor *in = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){1, 6}, x, 6, &in));
    int64_t needed;
    ASSERT_OK(deep_model_predict_on_batch(model, in, y, 6, &needed));
    deep_tensor_free(in);
    deep_model_free(model);
}

static deep_status add_leaky(deep_model *m, const void *arg)
{
    return deep_model_add_leaky_relu(m, *(const double *)arg);
}
static deep_status add_elu(deep_model *m, const void *arg)
{
    return deep_model_add_elu(m, *(const double *)arg);
}
static deep_status add_relu(deep_model *m, const void *arg)
{
    const double *a = arg;
    return deep_model_add_relu(m, a[0], a[1], a[2]);
}

static void assert_values(const char *what, const float *got, const double *want)
{
    for (int i = 0; i < 6; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= 1e-6 + 1e-6 * fabs(want[i]), "%s: entry %d is %.8g, want %.8g",
                      what, i, (double)got[i], want[i]);
}

START_TEST(keras_values)
{
    const float x[6] = {-10.0f, -5.0f, -0.5f, 0.0f, 5.0f, 10.0f};
    float y[6];
    double slope = 0.2;
    predict_one(add_leaky, &slope, x, y);
    assert_values("LeakyReLU(0.2)", y, (const double[]){-2.0, -1.0, -0.1, 0.0, 5.0, 10.0});
    double alpha = 0.5;
    predict_one(add_elu, &alpha, x, y);
    assert_values("ELU(0.5)", y,
                  (const double[]){0.5 * (exp(-10.0) - 1), 0.5 * (exp(-5.0) - 1), 0.5 * (exp(-0.5) - 1), 0, 5, 10});
    /* Keras' documented examples: ReLU(max_value=10, negative_slope=0.5) on -10, -5, 0, 5, 10
     * gives -5, -2.5, 0, 5, 10; relu(x, threshold=5) gives 0, 0, 0, 0, 10 (5 is not above). */
    predict_one(add_relu, (const double[]){10, 0.5, 0}, x, y);
    assert_values("ReLU(10, 0.5, 0)", y, (const double[]){-5.0, -2.5, -0.25, 0.0, 5.0, 10.0});
    predict_one(add_relu, (const double[]){-1, 0, 5}, x, y);
    assert_values("ReLU(None, 0, 5)", y, (const double[]){0, 0, 0, 0, 0, 10});
    /* Every argument: 0.1 * (x - 1) below 1, x above it up to 6. */
    predict_one(add_relu, (const double[]){6, 0.1, 1}, x, y);
    assert_values("ReLU(6, 0.1, 1)", y, (const double[]){-1.1, -0.6, -0.15, -0.1, 5.0, 6.0});
    predict_one(add_relu, (const double[]){INFINITY, 0, 0}, x, y);
    assert_values("ReLU()", y, (const double[]){0, 0, 0, 0, 5, 10});
}
END_TEST

static deep_layer make(const deep_layer_ops *ops, const void *config, size_t size, int32_t rank,
                       const int64_t *shape)
{
    deep_layer layer;
    memset(&layer, 0, sizeof layer);
    layer.ops = ops;
    memcpy(layer.cfg.bytes, config, size);
    layer_build_and_alloc(&layer, rank, shape);
    return layer;
}

/* Inputs at least 0.05 from every kink (0, the threshold 0.5, max_value 1.5). */
static void fill_away_from_kinks(struct deep_rng *rng, float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float v;
        do
            v = -2.0f + 4.0f * deep_rng_float(rng);
        while (fabsf(v) < 0.05f || fabsf(v - 0.5f) < 0.05f || fabsf(v - 1.5f) < 0.05f);
        x[i] = v;
    }
}

START_TEST(gradients)
{
    static const int64_t image[3] = {4, 3, 5};
    float f1 = 0.2f, f3[3] = {1.5f, 0.3f, 0.5f};
    struct {
        int64_t axes[7];
        int32_t count;
    } prelu_all = {{0}, 0}, prelu_hw = {{1, 2}, 2};
    const struct {
        const char *what;
        const deep_layer_ops *ops;
        const void *config;
        size_t size;
    } cases[] = {{"leaky_relu(0.2)", &deep_leaky_relu_ops, &f1, sizeof f1},
                 {"elu(0.2)", &deep_elu_ops, &f1, sizeof f1},
                 {"relu(1.5, 0.3, 0.5)", &deep_relu_ops, f3, sizeof f3},
                 {"prelu()", &deep_prelu_ops, &prelu_all, sizeof prelu_all},
                 {"prelu([1, 2])", &deep_prelu_ops, &prelu_hw, sizeof prelu_hw}};
    deep_layer layer = make(cases[_i].ops, cases[_i].config, cases[_i].size, 3, image);
    float in[BATCH * 60];
    struct deep_rng rng;
    deep_rng_init(&rng, 8 + (uint64_t)_i);
    fill_away_from_kinks(&rng, in, BATCH * 60);
    if (layer.param_count > 0) /* alpha away from 0, so that it matters */
        fill_uniform(&rng, layer.params[0].value, layer.params[0].size, 0.1f, 0.6f);
    grad_check gc = {.what = cases[_i].what, .layer = &layer, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    layer_release(&layer);
}
END_TEST

START_TEST(arguments)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){4, 4, 2}, &model));
    ASSERT_FAILS(deep_model_add_leaky_relu(NULL, 0.1), DEEP_ERR_NULL, "deep_model_add_leaky_relu");
    ASSERT_FAILS_WITH(deep_model_add_leaky_relu(model, -0.1), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_leaky_relu",
                      "negative_slope");
    ASSERT_FAILS(deep_model_add_leaky_relu(model, NAN), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_leaky_relu");
    ASSERT_FAILS(deep_model_add_elu(NULL, 1), DEEP_ERR_NULL, "deep_model_add_elu");
    ASSERT_FAILS(deep_model_add_elu(model, INFINITY), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_elu");
    ASSERT_FAILS(deep_model_add_relu(NULL, 6, 0, 0), DEEP_ERR_NULL, "deep_model_add_relu");
    ASSERT_FAILS_WITH(deep_model_add_relu(model, 6, -1, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_relu",
                      "negative_slope");
    ASSERT_FAILS(deep_model_add_relu(model, NAN, 0, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_relu");
    ASSERT_FAILS(deep_model_add_relu(model, 6, 0, NAN), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_relu");
    ASSERT_FAILS(deep_model_add_prelu(NULL, 0, NULL), DEEP_ERR_NULL, "deep_model_add_prelu");
    ASSERT_FAILS(deep_model_add_prelu(model, 1, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_prelu");
    ASSERT_FAILS(deep_model_add_prelu(model, 8, (const int64_t[8]){1}), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_add_prelu");
    ASSERT_FAILS_WITH(deep_model_add_prelu(model, 2, (const int64_t[]){1, 1}), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_prelu", "shared_axes");
    ASSERT_FAILS_WITH(deep_model_add_prelu(model, 1, (const int64_t[]){4}), DEEP_ERR_SHAPE, "deep_model_add_prelu",
                      "shared_axes");
    ASSERT_OK(deep_model_add_relu(model, -1, 0, -0.5)); /* Keras 3 takes a negative threshold */
    ASSERT_OK(deep_model_add_prelu(model, 2, (const int64_t[]){1, 2}));
    deep_model_free(model);
}
END_TEST

/* PReLU learns: alpha (1, 1, channels) after shared_axes [1, 2], starting at zeros, moves
 * with SGD, and the trained model saves and loads to the same predictions. */
START_TEST(prelu_trains_and_round_trips)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){2, 2, 3}, &model));
    ASSERT_OK(deep_model_add_prelu(model, 2, (const int64_t[]){1, 2}));
    ASSERT_OK(deep_model_add_flatten(model));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(model, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    deep_tensor *alpha = NULL;
    ASSERT_OK(deep_model_get_weight(model, 0, 0, &alpha));
    int64_t shape[8], rank;
    ASSERT_OK(deep_tensor_shape(alpha, shape, 8, &rank));
    ck_assert_int_eq(rank, 3);
    ck_assert(shape[0] == 1 && shape[1] == 1 && shape[2] == 3);
    const float *a;
    ASSERT_OK(deep_tensor_data(alpha, &a));
    ck_assert(a[0] == 0.0f && a[1] == 0.0f && a[2] == 0.0f);
    deep_tensor_free(alpha);
    /* Targets 0.5 x everywhere: the slope of the negative inputs' channels moves towards 0.5. */
    float x[12], t[12];
    for (int i = 0; i < 12; i++) {
        x[i] = (i % 3 == 0) ? 1.0f + (float)i : -1.0f - (float)i / 4.0f;
        t[i] = 0.5f * x[i];
    }
    deep_tensor *xt = NULL, *tt = NULL;
    ASSERT_OK(deep_tensor_new_from(4, (const int64_t[]){1, 2, 2, 3}, x, 12, &xt));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){1, 12}, t, 12, &tt));
    double loss;
    int64_t count;
    for (int step = 0; step < 300; step++)
        ASSERT_OK(deep_model_train_on_batch(model, xt, tt, &loss, 1, &count));
    ASSERT_OK(deep_model_get_weight(model, 0, 0, &alpha));
    ASSERT_OK(deep_tensor_data(alpha, &a));
    ck_assert_msg(a[0] == 0.0f, "channel 0 has no negative input, yet alpha moved to %g", (double)a[0]);
    ck_assert_msg(fabsf(a[1] - 0.5f) < 0.05f && fabsf(a[2] - 0.5f) < 0.05f, "alpha %g, %g did not approach 0.5",
                  (double)a[1], (double)a[2]);
    deep_tensor_free(alpha);
    int64_t size = 0;
    deep_model_save_buffer(model, NULL, 0, &size);
    uint8_t *file = malloc((size_t)size);
    ck_assert_ptr_nonnull(file);
    ASSERT_OK(deep_model_save_buffer(model, file, size, &size));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(file, size, &loaded));
    float y1[12], y2[12];
    int64_t needed;
    ASSERT_OK(deep_model_predict_on_batch(model, xt, y1, 12, &needed));
    ASSERT_OK(deep_model_predict_on_batch(loaded, xt, y2, 12, &needed));
    ck_assert(memcmp(y1, y2, sizeof y1) == 0);
    char summary[4096];
    ASSERT_OK(deep_model_summary(loaded, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "PReLU") != NULL, "summary: %s", summary);
    free(file);
    deep_tensor_free(xt);
    deep_tensor_free(tt);
    deep_model_free(loaded);
    deep_model_free(model);
}
END_TEST

/* log_softmax (1.3): each row's x - log(sum(e^x)), by hand for (1, 2, 3) and stable for
 * large values; its backward against central differences of the double form. */
START_TEST(log_softmax_values_and_gradient)
{
    float x[6] = {1.0f, 2.0f, 3.0f, 1000.0f, 1001.0f, 999.0f};
    deep_activation_forward(DEEP_ACTIVATION_LOG_SOFTMAX, x, 2, 3);
    const double lse = log(exp(1.0) + exp(2.0) + exp(3.0)); /* 3.40760596 */
    const double big = 1001.0 + log(1.0 + exp(-1.0) + exp(-2.0));
    const double want[6] = {1 - lse, 2 - lse, 3 - lse, 1000 - big, 1001 - big, 999 - big};
    for (int i = 0; i < 6; i++)
        ck_assert_msg(fabs(x[i] - want[i]) < 1e-5, "log_softmax entry %d: %.8g, want %.8g", i, (double)x[i],
                      want[i]);
    /* L = sum_j r_j y_j: backward of r against the numeric dL/dx. */
    const double in[4] = {0.3, -1.2, 2.0, 0.5}, r[4] = {0.7, -0.4, 1.1, 0.2};
    float y[4], g[4];
    for (int j = 0; j < 4; j++) {
        y[j] = (float)in[j];
        g[j] = (float)r[j];
    }
    deep_activation_forward(DEEP_ACTIVATION_LOG_SOFTMAX, y, 1, 4);
    deep_activation_backward(DEEP_ACTIVATION_LOG_SOFTMAX, y, g, 1, 4);
    for (int k = 0; k < 4; k++) {
        double objective[2];
        for (int side = 0; side < 2; side++) {
            double v[4], s = 0, total = 0;
            for (int j = 0; j < 4; j++)
                v[j] = in[j] + (j == k ? (side ? -1e-6 : 1e-6) : 0);
            for (int j = 0; j < 4; j++)
                s += exp(v[j]);
            for (int j = 0; j < 4; j++)
                total += r[j] * (v[j] - log(s));
            objective[side] = total;
        }
        double numeric = (objective[0] - objective[1]) / 2e-6;
        ck_assert_msg(fabs(g[k] - numeric) < 1e-4, "d/dx_%d: backward %.8g, numeric %.8g", k, (double)g[k], numeric);
    }
}
END_TEST

/* The cross-entropies take log_softmax outputs only as logits: with from_logits the
 * categorical loss is the negative log-likelihood, -mean(y[label]). */
START_TEST(log_softmax_with_losses)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){3}, &model));
    ASSERT_OK(deep_model_add_activation(model, DEEP_ACTIVATION_LOG_SOFTMAX));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_FAILS_WITH(deep_model_compile(model, opt, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, NULL, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_compile", "DEEP_MODEL_FROM_LOGITS");
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_FAILS_WITH(deep_model_compile(model, opt, DEEP_LOSS_BINARY_CROSSENTROPY, NULL, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_compile", "log_softmax");
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_FROM_LOGITS, 1));
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(model, opt, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, NULL, 0));
    const float x[6] = {1, 2, 3, 0.5f, -1, 0};
    const float t[6] = {0, 0, 1, 1, 0, 0};
    deep_tensor *xt = NULL, *tt = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){2, 3}, x, 6, &xt));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){2, 3}, t, 6, &tt));
    double loss = 0;
    int64_t count = 0;
    ASSERT_OK(deep_model_test_on_batch(model, xt, tt, &loss, 1, &count));
    double nll0 = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3.0;
    double nll1 = log(exp(0.5) + exp(-1.0) + exp(0.0)) - 0.5;
    ck_assert_msg(fabs(loss - (nll0 + nll1) / 2) < 1e-5, "loss %.8g, want %.8g", loss, (nll0 + nll1) / 2);
    deep_tensor_free(xt);
    deep_tensor_free(tt);
    deep_model_free(model);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("act_layers");
    TCase *tc = tcase_create("act_layers");
    tcase_add_test(tc, keras_values);
    tcase_add_loop_test(tc, gradients, 0, 5);
    tcase_add_test(tc, arguments);
    tcase_add_test(tc, prelu_trains_and_round_trips);
    tcase_add_test(tc, log_softmax_values_and_gradient);
    tcase_add_test(tc, log_softmax_with_losses);
    suite_add_tcase(s, tc);
    return run_suite(s, CK_NORMAL);
}
