/* Losses: values against hand-computed references, gradients against central finite
 * differences, the fused softmax / sigmoid gradients against the chain rule, and inputs
 * at the edges (p = 0 or 1, huge logits, NaN). */
#include <check.h>
#include <math.h>
#include <string.h>

#include "losses/loss.h"
#include "check_helpers.h"
#include "header_enums.h"

#define BATCH 3
#define WIDTH 4
#define COUNT (BATCH * WIDTH)

static const deep_loss all_losses[] = {DEEP_LOSS_MEAN_SQUARED_ERROR, DEEP_LOSS_BINARY_CROSSENTROPY,
                                       DEEP_LOSS_CATEGORICAL_CROSSENTROPY,
                                       DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY};

/* Predictions inside (0.05, 0.95), well away from the clip; soft targets; labels. */
static const float pred[COUNT] = {0.2f, 0.7f, 0.05f, 0.35f, 0.5f, 0.25f, 0.15f, 0.9f, 0.6f, 0.1f, 0.3f, 0.45f};
static const float targets[COUNT] = {0.0f, 1.0f, 0.0f, 0.0f, 0.3f, 0.2f, 0.0f, 0.5f, 0.1f, 0.0f, 0.6f, 0.3f};
static const int32_t labels[BATCH] = {1, 3, 0};

static bool close_enough(double analytic, double numeric)
{
    const double diff = fabs(analytic - numeric);
    return diff < 1e-3 || diff < 1e-2 * fmax(fabs(analytic), fabs(numeric));
}

START_TEST(is_valid)
{
    for (size_t i = 0; i < 4; i++)
        ck_assert(deep_loss_is_valid(all_losses[i]));
    const int invalid[] = {0, -1, 5, 1000};
    for (size_t i = 0; i < 4; i++)
        ck_assert(!deep_loss_is_valid((deep_loss)invalid[i]));
    header_enum e;
    header_enum_read("deep_loss", &e);
    ck_assert_int_eq(e.count, 4);
    for (int i = 0; i < e.count; i++)
        ck_assert_msg(deep_loss_is_valid((deep_loss)e.values[i]), "%s is not valid", e.names[i]);
}
END_TEST

START_TEST(hand_computed_values)
{
    /* MSE: samples (1, 2) vs (1, 0) and (3, 4) vs (3, 0): means 2 and 8, batch mean 5. */
    const float mp[4] = {1, 2, 3, 4}, my[4] = {1, 0, 3, 0};
    float grad[4], grad6[6];
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_MEAN_SQUARED_ERROR, mp, my, NULL, 2, 2, grad), 5.0, 1e-12);
    const float mse_grad[4] = {0, 2 * 2 / 4.0f, 0, 2 * 4 / 4.0f};
    ck_assert_mem_eq(grad, mse_grad, sizeof grad);

    /* BCE of (0.5, 0.9) against (1, 0): (-log 0.5 - log 0.1) / 2. */
    const float bp[2] = {0.5f, 0.9f}, by[2] = {1, 0};
    const double bce = (-log(0.5) - log(1 - (double)0.9f)) / 2;
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_BINARY_CROSSENTROPY, bp, by, NULL, 1, 2, grad), bce, 1e-9);
    ck_assert_double_eq_tol(grad[0], -1 / 0.5 / 2, 1e-6); /* (p - y) / (p (1 - p)) / n */
    ck_assert_double_eq_tol(grad[1], 1 / (1 - (double)0.9f) / 2, 1e-5);

    /* CCE: rows (0.2, 0.7, 0.1) and (0.5, 0.25, 0.25) with one-hot classes 1 and 0, then
     * the same as sparse labels; and a soft target. */
    const float cp[6] = {0.2f, 0.7f, 0.1f, 0.5f, 0.25f, 0.25f}, cy[6] = {0, 1, 0, 1, 0, 0};
    const int32_t cl[2] = {1, 0};
    const double cce = (-log((double)0.7f) - log(0.5)) / 2;
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, cp, cy, NULL, 2, 3, NULL), cce, 1e-7);
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, cp, NULL, cl, 2, 3, NULL), cce,
                            1e-7);
    const float soft[3] = {0.25f, 0.5f, 0.25f};
    const double soft_cce = -(0.25 * log((double)0.2f) + 0.5 * log((double)0.7f) + 0.25 * log((double)0.1f));
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, cp, soft, NULL, 1, 3, NULL), soft_cce,
                            1e-7);

    /* Keras divides each prediction row by its sum first. Rows (0.2, 0.3, 0.1), class 1,
     * and (0.5, 0.4, 0.6), class 2, become (1/3, 1/2, 1/6) and (1/3, 4/15, 2/5):
     * loss (-log(1/2) - log(2/5)) / 2 = 0.804718940 (unnormalised it would be 0.857).
     * Gradient (g_k - sum_j g_j q_j) / S / 2 with g_j = -y_j / q_j: row 0 (S = 0.6, sum 1)
     * (5/6, -5/6, 5/6); row 1 (S = 1.5, sum -1) (1/3, 1/3, -1/2). Soft target (1/4, 1/2,
     * 1/4) on row 0: -(log(1/3) / 4 + log(1/2) / 2 + log(1/6) / 4) = 1.069166530. */
    const float np_[6] = {0.2f, 0.3f, 0.1f, 0.5f, 0.4f, 0.6f}, ny[6] = {0, 1, 0, 0, 0, 1};
    const int32_t nl[2] = {1, 2};
    const double ngrad[6] = {5 / 6.0, -5 / 6.0, 5 / 6.0, 1 / 3.0, 1 / 3.0, -0.5};
    float sgrad[6];
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, np_, ny, NULL, 2, 3, grad6), 0.804718940,
                            1e-7);
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, np_, NULL, nl, 2, 3, sgrad),
                            0.804718940, 1e-7);
    for (int i = 0; i < 6; i++) {
        ck_assert_double_eq_tol(grad6[i], ngrad[i], 1e-6);
        ck_assert_double_eq_tol(sgrad[i], ngrad[i], 1e-6);
    }
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, np_, soft, NULL, 1, 3, NULL),
                            1.069166530, 1e-7);
}
END_TEST

/* Central differences of the mean loss in double, stepping a float input by h. */
static double numeric_grad(deep_loss loss, float *p, const float *y, const int32_t *l, int i)
{
    const float saved = p[i], h = 1e-3f;
    p[i] = saved + h;
    const double up = deep_loss_compute(loss, p, y, l, BATCH, WIDTH, NULL), p_up = p[i];
    p[i] = saved - h;
    const double down = deep_loss_compute(loss, p, y, l, BATCH, WIDTH, NULL), p_down = p[i];
    p[i] = saved;
    return (up - down) / (p_up - p_down);
}

START_TEST(gradient_matches_finite_differences)
{
    const deep_loss loss = all_losses[_i];
    float p[COUNT], grad[COUNT];
    memcpy(p, pred, sizeof p);
    const double value = deep_loss_compute(loss, p, targets, labels, BATCH, WIDTH, grad);
    ck_assert(isfinite(value) && value > 0);
    for (int i = 0; i < COUNT; i++) {
        const double numeric = numeric_grad(loss, p, targets, labels, i);
        ck_assert_msg(close_enough(grad[i], numeric), "loss %d element %d: analytic %g, numeric %g", (int)loss, i,
                      (double)grad[i], numeric);
    }
    /* Without a gradient buffer the value is the same. */
    ck_assert_double_eq(deep_loss_compute(loss, p, targets, labels, BATCH, WIDTH, NULL), value);
}
END_TEST

/* ---- fused gradients: d loss(activation(z)) / dz ---------------------------------------- */

static void softmax(const double *z, float *p)
{
    for (int b = 0; b < BATCH; b++) {
        const double *row = z + b * WIDTH;
        double top = row[0], sum = 0;
        for (int j = 1; j < WIDTH; j++)
            top = fmax(top, row[j]);
        for (int j = 0; j < WIDTH; j++)
            sum += exp(row[j] - top);
        for (int j = 0; j < WIDTH; j++)
            p[b * WIDTH + j] = (float)(exp(row[j] - top) / sum);
    }
}

static void sigmoid(const double *z, float *p)
{
    for (int i = 0; i < COUNT; i++)
        p[i] = (float)(z[i] >= 0 ? 1 / (1 + exp(-z[i])) : exp(z[i]) / (1 + exp(z[i])));
}

static const struct {
    deep_loss loss;
    void (*activation)(const double *z, float *p);
} fused[] = {
    {DEEP_LOSS_CATEGORICAL_CROSSENTROPY, softmax},
    {DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, softmax},
    {DEEP_LOSS_BINARY_CROSSENTROPY, sigmoid},
};

static double loss_of_logits(int c, const double *z)
{
    float p[COUNT];
    fused[c].activation(z, p);
    return deep_loss_compute(fused[c].loss, p, targets, labels, BATCH, WIDTH, NULL);
}

START_TEST(fused_gradient_is_chain_rule)
{
    double z[COUNT];
    for (int i = 0; i < COUNT; i++)
        z[i] = 2 * sin(1.7 * i + 0.3);
    float p[COUNT], grad[COUNT];
    fused[_i].activation(z, p);
    deep_loss_fused_grad(fused[_i].loss, p, targets, labels, BATCH, WIDTH, grad);
    for (int i = 0; i < COUNT; i++) {
        const double h = 1e-3, saved = z[i];
        z[i] = saved + h;
        const double up = loss_of_logits(_i, z);
        z[i] = saved - h;
        const double down = loss_of_logits(_i, z);
        z[i] = saved;
        const double numeric = (up - down) / (2 * h);
        ck_assert_msg(close_enough(grad[i], numeric), "fused %d element %d: fused %g, numeric %g", _i, i,
                      (double)grad[i], numeric);
    }
}
END_TEST

START_TEST(fuses_with)
{
    for (int a = DEEP_ACTIVATION_LINEAR; a <= DEEP_ACTIVATION_ELU; a++) {
        const deep_activation act = (deep_activation)a;
        ck_assert(!deep_loss_fuses_with(DEEP_LOSS_MEAN_SQUARED_ERROR, act));
        ck_assert(deep_loss_fuses_with(DEEP_LOSS_BINARY_CROSSENTROPY, act) == (act == DEEP_ACTIVATION_SIGMOID));
        ck_assert(deep_loss_fuses_with(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, act) == (act == DEEP_ACTIVATION_SOFTMAX));
        ck_assert(deep_loss_fuses_with(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, act) ==
                  (act == DEEP_ACTIVATION_SOFTMAX));
        ck_assert(!deep_loss_fuses_with((deep_loss)0, act));
    }
}
END_TEST

START_TEST(fused_gradient_values)
{
    float grad[COUNT], onehot[COUNT] = {0}, sparse[COUNT];
    for (int b = 0; b < BATCH; b++)
        onehot[b * WIDTH + labels[b]] = 1;
    deep_loss_fused_grad(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, pred, onehot, NULL, BATCH, WIDTH, grad);
    deep_loss_fused_grad(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, pred, NULL, labels, BATCH, WIDTH, sparse);
    ck_assert_mem_eq(grad, sparse, sizeof grad); /* sparse labels are one-hot rows */
    for (int i = 0; i < COUNT; i++)
        ck_assert_double_eq_tol(grad[i], ((double)pred[i] - onehot[i]) / BATCH, 1e-7);
    deep_loss_fused_grad(DEEP_LOSS_BINARY_CROSSENTROPY, pred, targets, NULL, BATCH, WIDTH, grad);
    for (int i = 0; i < COUNT; i++)
        ck_assert_double_eq_tol(grad[i], ((double)pred[i] - targets[i]) / COUNT, 1e-7);
    deep_loss_fused_grad(DEEP_LOSS_MEAN_SQUARED_ERROR, pred, targets, NULL, BATCH, WIDTH, grad);
    for (int i = 0; i < COUNT; i++)
        ck_assert_float_eq(grad[i], 0); /* no fused form */
}
END_TEST

/* ---- edges -------------------------------------------------------------------------- */

START_TEST(extreme_probabilities_are_finite)
{
    const double worst = -log(1e-7); /* the clip bounds every term by this */
    const float p[4] = {0, 1, 0, 1}, y[4] = {0, 0, 1, 1};
    float grad[6];
    const double bce = deep_loss_compute(DEEP_LOSS_BINARY_CROSSENTROPY, p, y, NULL, 1, 4, grad);
    ck_assert_double_eq_tol(bce, worst / 2, 1e-5);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(grad[i], 0); /* clipped: the loss is flat there */

    /* Class 1 predicted with probability 0, then with probability 1. */
    const float cp[6] = {1, 0, 0, 0, 1, 0}, cy[6] = {0, 1, 0, 0, 1, 0};
    const int32_t cl[2] = {1, 1};
    const double expected = (worst + -log(1 - 1e-7)) / 2;
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, cp, cy, NULL, 2, 3, grad), expected, 1e-6);
    for (int i = 0; i < 6; i++)
        ck_assert(isfinite(grad[i]));
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, cp, NULL, cl, 2, 3, grad), expected,
                             1e-6);
    for (int i = 0; i < 6; i++)
        ck_assert(isfinite(grad[i]));
}
END_TEST

START_TEST(huge_logits_are_finite)
{
    double z[COUNT];
    for (int i = 0; i < COUNT; i++)
        z[i] = (i % 3 == 0 ? 1e4 : -1e4) * (1 + i);
    for (size_t c = 0; c < sizeof fused / sizeof fused[0]; c++) {
        float p[COUNT], grad[COUNT];
        fused[c].activation(z, p);
        const double value = deep_loss_compute(fused[c].loss, p, targets, labels, BATCH, WIDTH, grad);
        ck_assert(isfinite(value) && value >= 0 && value <= -log(1e-7) * WIDTH);
        deep_loss_fused_grad(fused[c].loss, p, targets, labels, BATCH, WIDTH, grad);
        for (int i = 0; i < COUNT; i++)
            ck_assert(isfinite(grad[i]) && fabsf(grad[i]) <= 1);
    }
}
END_TEST

/* A NaN prediction is reported as a NaN loss (the model stops on it), never hidden by the clip. */
START_TEST(nan_propagates)
{
    float p[COUNT];
    memcpy(p, pred, sizeof p);
    p[WIDTH * 2] = NAN; /* sample 2's labelled class */
    for (size_t i = 0; i < 4; i++)
        ck_assert(isnan(deep_loss_compute(all_losses[i], p, targets, labels, BATCH, WIDTH, NULL)));
}
END_TEST

START_TEST(degenerate_calls)
{
    float grad[COUNT];
    for (size_t i = 0; i < 4; i++) {
        ck_assert_double_eq(deep_loss_compute(all_losses[i], pred, targets, labels, 0, WIDTH, NULL), 0);
        ck_assert_double_eq(deep_loss_compute(all_losses[i], pred, targets, labels, BATCH, 0, NULL), 0);
    }
    ck_assert(isnan(deep_loss_compute((deep_loss)0, pred, targets, labels, BATCH, WIDTH, NULL)));
    ck_assert(isnan(deep_loss_compute((deep_loss)5, pred, targets, labels, BATCH, WIDTH, NULL)));

    /* A label outside [0, width) is never read past: NaN loss, zero gradient row. */
    const int32_t bad[BATCH] = {1, WIDTH, 0};
    ck_assert(isnan(deep_loss_compute(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, pred, NULL, bad, BATCH, WIDTH, grad)));
    for (int j = 0; j < WIDTH; j++)
        ck_assert_float_eq(grad[WIDTH + j], 0);
    const int32_t negative[BATCH] = {-1, 0, 0};
    ck_assert(isnan(deep_loss_compute(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, pred, NULL, negative, BATCH, WIDTH, NULL)));
    deep_loss_fused_grad(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, pred, NULL, bad, BATCH, WIDTH, grad);
    for (int j = 0; j < WIDTH; j++)
        ck_assert_double_eq_tol(grad[WIDTH + j], pred[WIDTH + j] / 3.0, 1e-7);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("losses");
    TCase *values = tcase_create("values");
    tcase_add_test(values, is_valid);
    tcase_add_test(values, hand_computed_values);
    tcase_add_test(values, extreme_probabilities_are_finite);
    tcase_add_test(values, huge_logits_are_finite);
    tcase_add_test(values, nan_propagates);
    tcase_add_test(values, degenerate_calls);
    suite_add_tcase(s, values);

    TCase *grads = tcase_create("gradients");
    tcase_add_loop_test(grads, gradient_matches_finite_differences, 0, 4);
    tcase_add_loop_test(grads, fused_gradient_is_chain_rule, 0, (int)(sizeof fused / sizeof fused[0]));
    tcase_add_test(grads, fuses_with);
    tcase_add_test(grads, fused_gradient_values);
    suite_add_tcase(s, grads);

    return run_suite(s, CK_NORMAL);
}
