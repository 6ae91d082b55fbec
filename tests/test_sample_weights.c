/* Keras' sample_weight and class_weight: the weighted loss (sum of weighted row losses over
 * the row count) by hand, its gradient by finite differences, through datasets (weights
 * follow their samples), evaluate, fit, train_on_batch and test_on_batch, and the checks. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deep.h"
#include "losses/loss.h"
#include "check_helpers.h"

static const deep_loss_config plain = {.huber_delta = 1.0};

/* MSE rows [1, 2] vs [0, 0] and [3, 5] vs [3, 3]: row losses 2.5 and 2; weights 2 and 0.5
 * give (5 + 1) / 2 = 3. */
START_TEST(weighted_loss_by_hand)
{
    const float p[4] = {1, 2, 3, 5}, y[4] = {0, 0, 3, 3}, w[2] = {2.0f, 0.5f};
    ck_assert_double_eq_tol(deep_loss_weighted(DEEP_LOSS_MEAN_SQUARED_ERROR, &plain, p, y, NULL, 2, 2, w), 3.0, 1e-12);
    /* Unit weights give the unweighted loss of every loss, hinge's batch-wide {0, 1} test
     * included: the first row alone is all 0/1 but the batch is not, so it is not converted. */
    const float hp[6] = {0.3f, 0.2f, 0.8f, 0.6f, 1.5f, 0.2f}, hy[6] = {0, 1, 1, 0.5f, 1, 0};
    const float ones[2] = {1, 1};
    const int32_t labels[2] = {2, 0};
    const deep_loss all[] = {DEEP_LOSS_MEAN_SQUARED_ERROR, DEEP_LOSS_HINGE, DEEP_LOSS_SQUARED_HINGE,
                             DEEP_LOSS_MEAN_ABSOLUTE_ERROR, DEEP_LOSS_HUBER, DEEP_LOSS_POISSON};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ck_assert_double_eq_tol(deep_loss_weighted(all[i], &plain, hp, hy, NULL, 2, 3, ones),
                                deep_loss_apply(all[i], &plain, hp, hy, NULL, 2, 3, NULL), 1e-12);
    const float probs[6] = {0.2f, 0.3f, 0.5f, 0.6f, 0.3f, 0.1f};
    ck_assert_double_eq_tol(deep_loss_weighted(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, &plain, probs, NULL, labels,
                                               2, 3, ones),
                            (-log(0.5) - log(0.6)) / 2, 1e-6);
    const float half[2] = {0.5f, 0};
    ck_assert_double_eq_tol(deep_loss_weighted(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, &plain, probs, NULL, labels,
                                               2, 3, half),
                            0.5 * -log(0.5) / 2, 1e-6);
}
END_TEST

/* The gradient (unweighted gradient, rows scaled) against central differences of the
 * weighted value. */
START_TEST(weighted_gradient_matches_finite_differences)
{
    const deep_loss losses[] = {DEEP_LOSS_MEAN_SQUARED_ERROR, DEEP_LOSS_BINARY_CROSSENTROPY,
                                DEEP_LOSS_CATEGORICAL_CROSSENTROPY, DEEP_LOSS_LOG_COSH};
    float p[6] = {0.2f, 0.3f, 0.5f, 0.6f, 0.3f, 0.1f};
    const float y[6] = {0, 0, 1, 1, 0, 0}, w[2] = {1.5f, 0.25f};
    for (size_t l = 0; l < sizeof losses / sizeof losses[0]; l++) {
        float grad[6];
        deep_loss_apply(losses[l], &plain, p, y, NULL, 2, 3, grad);
        deep_loss_scale_rows(grad, 2, 3, w);
        for (int i = 0; i < 6; i++) {
            const float saved = p[i], h = 1e-3f;
            p[i] = saved + h;
            const double up = deep_loss_weighted(losses[l], &plain, p, y, NULL, 2, 3, w), at_up = p[i];
            p[i] = saved - h;
            const double down = deep_loss_weighted(losses[l], &plain, p, y, NULL, 2, 3, w), at_down = p[i];
            p[i] = saved;
            const double numeric = (up - down) / (at_up - at_down);
            ck_assert_msg(fabs(grad[i] - numeric) <= 1e-4 + 1e-3 * fabs(numeric), "loss %d element %d: %g vs %g",
                          (int)losses[l], i, (double)grad[i], numeric);
        }
    }
}
END_TEST

/* Dense(1, linear) with kernel 1 and bias 0: its output is its input. */
static deep_model *identity(deep_loss loss, double learning_rate)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){1}, &m));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_add_dense(m, 1, DEEP_ACTIVATION_LINEAR, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, learning_rate));
    const deep_metric mae = DEEP_METRIC_MEAN_ABSOLUTE_ERROR;
    ASSERT_OK(deep_model_compile(m, opt, loss, &mae, 1));
    deep_tensor *one = NULL, *zero = NULL;
    ASSERT_OK(deep_tensor_new_filled(2, (const int64_t[]){1, 1}, 1.0f, &one));
    ASSERT_OK(deep_tensor_new_filled(1, (const int64_t[]){1}, 0.0f, &zero));
    ASSERT_OK(deep_model_set_weight(m, 0, 0, one));
    ASSERT_OK(deep_model_set_weight(m, 0, 1, zero));
    deep_tensor_free(one);
    deep_tensor_free(zero);
    return m;
}

static void kernel_and_bias(const deep_model *m, float *out)
{
    for (int32_t i = 0; i < 2; i++) {
        deep_tensor *t = NULL;
        ASSERT_OK(deep_model_get_weight(m, 0, i, &t));
        ASSERT_OK(deep_tensor_copy_to(t, &out[i], 1));
        deep_tensor_free(t);
    }
}

/* x = (0.5, 1, 2, -1), y = 0: squared errors 0.25, 1, 4, 1; weights (1, 2, 0, 0.5):
 * Keras' loss (0.25 + 2 + 0 + 0.5) / 4 = 0.6875, in one batch or in batches of 3 (0.75 over
 * three samples, 0.5 over one: the same mean over samples). MAE (unweighted) 1.125. */
START_TEST(evaluate_weighs_the_loss_only)
{
    deep_model *m = identity(DEEP_LOSS_MEAN_SQUARED_ERROR, 0.1);
    const float x[4] = {0.5f, 1, 2, -1}, y[4] = {0, 0, 0, 0}, w[4] = {1, 2, 0, 0.5f};
    deep_dataset *d = NULL;
    ASSERT_OK(deep_dataset_new(4, 1, (const int64_t[]){1}, x, &d));
    ASSERT_OK(deep_dataset_set_targets(d, y, 4, 1));
    double v[2];
    int64_t needed;
    ASSERT_OK(deep_model_evaluate(m, d, 4, v, 2, &needed));
    ck_assert_double_eq_tol(v[0], (0.25 + 1 + 4 + 1) / 4, 1e-7);
    ASSERT_OK(deep_dataset_set_sample_weights(d, w, 4));
    for (int64_t batch = 4; batch >= 3; batch--) {
        ASSERT_OK(deep_model_evaluate(m, d, batch, v, 2, &needed));
        ck_assert_double_eq_tol(v[0], 0.6875, 1e-7);
        ck_assert_double_eq_tol(v[1], 1.125, 1e-7);
    }
    /* test_on_batch_weighted gives the same; unweighted test_on_batch the plain mean. */
    deep_tensor *tx = NULL, *ty = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){4, 1}, x, 4, &tx));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){4, 1}, y, 4, &ty));
    ASSERT_OK(deep_model_test_on_batch_weighted(m, tx, ty, w, 4, v, 2, &needed));
    ck_assert_double_eq_tol(v[0], 0.6875, 1e-7);
    ASSERT_OK(deep_model_test_on_batch(m, tx, ty, v, 2, &needed));
    ck_assert_double_eq_tol(v[0], 1.5625, 1e-7);
    ASSERT_FAILS(deep_model_test_on_batch_weighted(m, tx, ty, w, 3, v, 2, &needed), DEEP_ERR_SHAPE,
                 "deep_model_test_on_batch_weighted");
    const float negative[4] = {1, -1, 1, 1};
    ASSERT_FAILS(deep_model_train_on_batch_weighted(m, tx, ty, negative, 4, v, 2, &needed),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_train_on_batch_weighted");
    ASSERT_FAILS(deep_model_train_on_batch_weighted(m, tx, ty, NULL, 4, v, 2, &needed), DEEP_ERR_NULL,
                 "deep_model_train_on_batch_weighted");
    deep_tensor_free(tx);
    deep_tensor_free(ty);
    deep_dataset_free(d);
    deep_model_free(m);
}
END_TEST

/* With SGD, weights all 2 are a doubled learning rate; weights (1, 0) over two samples are
 * the first sample alone at half the rate (the sum is divided by the batch size, 2). */
START_TEST(train_on_batch_weighted_steps)
{
    const float x[2] = {0.5f, 2}, y[2] = {1, -1}, twos[2] = {2, 2}, first[2] = {1, 0};
    deep_tensor *tx = NULL, *ty = NULL, *tx1 = NULL, *ty1 = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){2, 1}, x, 2, &tx));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){2, 1}, y, 2, &ty));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){1, 1}, x, 1, &tx1));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){1, 1}, y, 1, &ty1));
    double v[2];
    int64_t needed;
    float a[2], b[2];
    deep_model *weighted = identity(DEEP_LOSS_MEAN_SQUARED_ERROR, 0.1), *plain_model = identity(DEEP_LOSS_MEAN_SQUARED_ERROR, 0.2);
    ASSERT_OK(deep_model_train_on_batch_weighted(weighted, tx, ty, twos, 2, v, 2, &needed));
    ASSERT_OK(deep_model_train_on_batch(plain_model, tx, ty, v, 2, &needed));
    kernel_and_bias(weighted, a);
    kernel_and_bias(plain_model, b);
    ck_assert_float_eq_tol(a[0], b[0], 1e-6f);
    ck_assert_float_eq_tol(a[1], b[1], 1e-6f);
    ck_assert(a[0] != 1.0f);
    deep_model_free(weighted);
    deep_model_free(plain_model);
    weighted = identity(DEEP_LOSS_MEAN_SQUARED_ERROR, 0.1);
    plain_model = identity(DEEP_LOSS_MEAN_SQUARED_ERROR, 0.05);
    ASSERT_OK(deep_model_train_on_batch_weighted(weighted, tx, ty, first, 2, v, 2, &needed));
    ASSERT_OK(deep_model_train_on_batch(plain_model, tx1, ty1, v, 2, &needed));
    kernel_and_bias(weighted, a);
    kernel_and_bias(plain_model, b);
    ck_assert_float_eq_tol(a[0], b[0], 1e-6f);
    ck_assert_float_eq_tol(a[1], b[1], 1e-6f);
    deep_model_free(weighted);
    deep_model_free(plain_model);
    deep_tensor_free(tx);
    deep_tensor_free(ty);
    deep_tensor_free(tx1);
    deep_tensor_free(ty1);
}
END_TEST

/* fit with class weights (1, 3) on labels trains as fit with those as sample weights; the
 * validation loss is not class-weighted (Keras), and the checks refuse what Keras refuses. */
START_TEST(class_weights_in_fit)
{
    const float x[6] = {0.5f, -1, 2, 0.25f, -0.5f, 1.5f};
    const int32_t labels[6] = {0, 1, 1, 0, 1, 0};
    const float as_weights[6] = {1, 3, 3, 1, 3, 1};
    const double class_weights[2] = {1, 3};
    deep_dataset *d = NULL, *dw = NULL;
    ASSERT_OK(deep_dataset_new(6, 1, (const int64_t[]){1}, x, &d));
    ASSERT_OK(deep_dataset_set_labels(d, labels, 6, 2));
    ASSERT_OK(deep_dataset_new(6, 1, (const int64_t[]){1}, x, &dw));
    ASSERT_OK(deep_dataset_set_labels(dw, labels, 6, 2));
    ASSERT_OK(deep_dataset_set_sample_weights(dw, as_weights, 6));
    deep_model *by_class = identity(DEEP_LOSS_BINARY_CROSSENTROPY, 0.1);
    deep_model *by_sample = identity(DEEP_LOSS_BINARY_CROSSENTROPY, 0.1);
    ASSERT_FAILS(deep_model_set_class_weights(by_class, (const double[]){1, -2}, 2), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_class_weights");
    ASSERT_FAILS(deep_model_set_class_weights(by_class, NULL, 2), DEEP_ERR_NULL, "deep_model_set_class_weights");
    /* One weight for two classes: class 1 has none. */
    ASSERT_OK(deep_model_set_class_weights(by_class, class_weights, 1));
    ASSERT_FAILS_WITH(deep_model_fit(by_class, d, 1, 4, NULL), DEEP_ERR_OUT_OF_RANGE, "deep_model_fit", "class 1");
    ASSERT_OK(deep_model_set_class_weights(by_class, class_weights, 2));
    double got[2];
    int64_t needed;
    ASSERT_OK(deep_model_get_class_weights(by_class, got, 2, &needed));
    ck_assert(needed == 2 && got[0] == 1 && got[1] == 3);
    ASSERT_OK(deep_model_fit(by_class, d, 2, 4, d));
    ASSERT_OK(deep_model_fit(by_sample, dw, 2, 4, NULL));
    float a[2], b[2];
    kernel_and_bias(by_class, a);
    kernel_and_bias(by_sample, b);
    ck_assert_float_eq_tol(a[0], b[0], 1e-6f);
    ck_assert_float_eq_tol(a[1], b[1], 1e-6f);
    double val, loss[1];
    ASSERT_OK(deep_model_history(by_class, 1, DEEP_METRIC_LOSS, 1, &val));
    double values[2];
    ASSERT_OK(deep_model_evaluate(by_class, d, 4, values, 2, &needed));
    ck_assert_double_eq_tol(val, values[0], 1e-7);
    (void)loss;
    ASSERT_OK(deep_model_set_class_weights(by_class, NULL, 0));
    ASSERT_OK(deep_model_get_class_weights(by_class, got, 0, &needed));
    ck_assert_int_eq(needed, 0);
    deep_model_free(by_class);
    deep_model_free(by_sample);
    deep_dataset_free(d);
    deep_dataset_free(dw);
}
END_TEST

/* Weights follow their samples through shuffle, subset and concat; bad weights are refused. */
START_TEST(dataset_weights_follow_samples)
{
    const float x[5] = {0, 1, 2, 3, 4}, w[5] = {0, 0.5f, 1, 1.5f, 2};
    deep_dataset *d = NULL, *s = NULL, *c = NULL, *plain_data = NULL;
    ASSERT_OK(deep_dataset_new(5, 1, (const int64_t[]){1}, x, &d));
    float got[7];
    int64_t needed;
    ASSERT_FAILS(deep_dataset_sample_weights(d, got, 5, &needed), DEEP_ERR_STATE, "deep_dataset_sample_weights");
    ASSERT_FAILS(deep_dataset_set_sample_weights(d, w, 4), DEEP_ERR_SHAPE, "deep_dataset_set_sample_weights");
    const float bad[5] = {1, 1, NAN, 1, 1};
    ASSERT_FAILS(deep_dataset_set_sample_weights(d, bad, 5), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_dataset_set_sample_weights");
    ASSERT_OK(deep_dataset_set_sample_weights(d, w, 5));
    ASSERT_OK(deep_dataset_shuffle(d, 3));
    deep_tensor *features = NULL;
    ASSERT_OK(deep_dataset_features(d, &features));
    float fx[5];
    ASSERT_OK(deep_tensor_copy_to(features, fx, 5));
    deep_tensor_free(features);
    ASSERT_OK(deep_dataset_sample_weights(d, got, 5, &needed));
    for (int i = 0; i < 5; i++)
        ck_assert_float_eq(got[i], fx[i] * 0.5f); /* the weight is half the feature, wherever it went */
    ASSERT_OK(deep_dataset_subset(d, (const int64_t[]){4, 0}, 2, &s));
    ASSERT_OK(deep_dataset_sample_weights(s, got, 2, &needed));
    ck_assert(needed == 2 && got[0] == fx[4] * 0.5f && got[1] == fx[0] * 0.5f);
    ASSERT_OK(deep_dataset_concat(s, d, &c));
    ASSERT_OK(deep_dataset_sample_weights(c, got, 7, &needed));
    ck_assert_int_eq(needed, 7);
    ASSERT_OK(deep_dataset_new(5, 1, (const int64_t[]){1}, x, &plain_data));
    deep_dataset *refused = NULL;
    ASSERT_FAILS(deep_dataset_concat(plain_data, d, &refused), DEEP_ERR_STATE, "deep_dataset_concat");
    ck_assert_ptr_null(refused);
    ASSERT_OK(deep_dataset_set_sample_weights(d, NULL, 0));
    ASSERT_FAILS(deep_dataset_sample_weights(d, got, 5, &needed), DEEP_ERR_STATE, "deep_dataset_sample_weights");
    deep_dataset_free(plain_data);
    deep_dataset_free(c);
    deep_dataset_free(s);
    deep_dataset_free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sample_weights");
    TCase *t = tcase_create("sample_weights");
    tcase_add_test(t, weighted_loss_by_hand);
    tcase_add_test(t, weighted_gradient_matches_finite_differences);
    tcase_add_test(t, evaluate_weighs_the_loss_only);
    tcase_add_test(t, train_on_batch_weighted_steps);
    tcase_add_test(t, class_weights_in_fit);
    tcase_add_test(t, dataset_weights_follow_samples);
    suite_add_tcase(s, t);
    return run_suite(s, CK_NORMAL);
}
