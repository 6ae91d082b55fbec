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

static const deep_loss all_losses[] = {
    DEEP_LOSS_MEAN_SQUARED_ERROR,   DEEP_LOSS_BINARY_CROSSENTROPY,  DEEP_LOSS_CATEGORICAL_CROSSENTROPY,
    DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, DEEP_LOSS_MEAN_ABSOLUTE_ERROR,
    DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR, DEEP_LOSS_HUBER, DEEP_LOSS_LOG_COSH, DEEP_LOSS_HINGE,
    DEEP_LOSS_SQUARED_HINGE, DEEP_LOSS_CATEGORICAL_HINGE, DEEP_LOSS_KL_DIVERGENCE, DEEP_LOSS_POISSON,
    DEEP_LOSS_COSINE_SIMILARITY};
#define LOSS_COUNT ((int)(sizeof all_losses / sizeof all_losses[0]))

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
    for (int i = 0; i < LOSS_COUNT; i++)
        ck_assert(deep_loss_is_valid(all_losses[i]));
    const int invalid[] = {0, -1, LOSS_COUNT + 1, 1000};
    for (size_t i = 0; i < 4; i++)
        ck_assert(!deep_loss_is_valid((deep_loss)invalid[i]));
    header_enum e;
    header_enum_read("deep_loss", &e);
    ck_assert_int_eq(e.count, LOSS_COUNT);
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
static double numeric_grad(deep_loss loss, double delta, float *p, const float *y, const int32_t *l, int i)
{
    const float saved = p[i], h = 1e-3f;
    p[i] = saved + h;
    const double up = deep_loss_evaluate(loss, delta, p, y, l, BATCH, WIDTH, NULL), p_up = p[i];
    p[i] = saved - h;
    const double down = deep_loss_evaluate(loss, delta, p, y, l, BATCH, WIDTH, NULL), p_down = p[i];
    p[i] = saved;
    return (up - down) / (p_up - p_down);
}

static void check_gradient(deep_loss loss, double delta, const float *y)
{
    float p[COUNT], grad[COUNT];
    memcpy(p, pred, sizeof p);
    const double value = deep_loss_evaluate(loss, delta, p, y, labels, BATCH, WIDTH, grad);
    /* Cosine similarity is negative (-1 is a perfect match); KL divergence of rows that are
     * not distributions may be either. */
    ck_assert(isfinite(value) && value != 0);
    ck_assert(loss == DEEP_LOSS_KL_DIVERGENCE || (loss == DEEP_LOSS_COSINE_SIMILARITY ? value < 0 : value > 0));
    for (int i = 0; i < COUNT; i++) {
        const double numeric = numeric_grad(loss, delta, p, y, labels, i);
        ck_assert_msg(close_enough(grad[i], numeric), "loss %d element %d: analytic %g, numeric %g", (int)loss, i,
                      (double)grad[i], numeric);
    }
    /* Without a gradient buffer the value is the same. */
    ck_assert_double_eq(deep_loss_evaluate(loss, delta, p, y, labels, BATCH, WIDTH, NULL), value);
}

START_TEST(gradient_matches_finite_differences)
{
    check_gradient(all_losses[_i], 1.0, targets);
}
END_TEST

/* Huber's linear branch (|e| > delta for half of the elements, none near the kink), and
 * hinge losses with {0, 1} targets, which Keras turns into {-1, 1}. */
START_TEST(gradient_of_other_branches)
{
    check_gradient(DEEP_LOSS_HUBER, 0.25, targets);
    float binary[COUNT];
    for (int i = 0; i < COUNT; i++)
        binary[i] = (float)(i % 3 == 0);
    check_gradient(DEEP_LOSS_HINGE, 1.0, binary);
    check_gradient(DEEP_LOSS_SQUARED_HINGE, 1.0, binary);
    check_gradient(DEEP_LOSS_CATEGORICAL_HINGE, 1.0, binary);
}
END_TEST

/* Keras' formulas evaluated in numpy on the batch below (two rows of three):
 *   e = p - y; mean = mean over the last axis, then over the rows; eps = 1e-7
 *   mae  mean |e|                                   = 0.775
 *   mape mean 100 |e| / max(|y|, eps)               = 108333456.66666667
 *   huber mean where(|e| <= d, e^2/2, d|e| - d^2/2) = 0.3935416666666667 (d = 1), 0.279375 (d = 0.5)
 *   log_cosh mean e + softplus(-2e) - log 2         = 0.35456860792235695
 *   hinge mean max(1 - y p, 0)                      = 0.6883333333333334; binary yb: 1.575
 *   squared_hinge mean max(1 - y p, 0)^2            = 0.5888166666666667; binary yb: 3.4204166666666667
 *   categorical_hinge (yb) mean max(max((1-yb) p) - sum(yb p) + 1, 0) = 2.4
 *   kl_divergence mean sum t log(t / q), t, q clipped to [eps, 1]     = 0.9247842472322546
 *   poisson mean p - y log(p + eps)                 = 1.1248651049558918
 *   cosine_similarity mean -sum(y/|y| * p/|p|)      = -0.5273841895177573 */
START_TEST(keras_values)
{
    const float p[6] = {0.6f, 0.4f, 2.5f, 0.2f, 0.9f, 0.05f};
    const float y[6] = {0.0f, 1.0f, 0.5f, 1.0f, 0.3f, 0.0f};
    const float yb[6] = {0, 1, 0, 1, 0, 0};
    const struct {
        deep_loss loss;
        double delta;
        const float *y;
        double expected;
    } cases[] = {
        {DEEP_LOSS_MEAN_ABSOLUTE_ERROR, 1, y, 0.775},
        {DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR, 1, y, 108333456.66666667},
        {DEEP_LOSS_HUBER, 1, y, 0.3935416666666667},
        {DEEP_LOSS_HUBER, 0.5, y, 0.279375},
        {DEEP_LOSS_LOG_COSH, 1, y, 0.35456860792235695},
        {DEEP_LOSS_HINGE, 1, y, 0.6883333333333334},
        {DEEP_LOSS_HINGE, 1, yb, 1.575},
        {DEEP_LOSS_SQUARED_HINGE, 1, y, 0.5888166666666667},
        {DEEP_LOSS_SQUARED_HINGE, 1, yb, 3.4204166666666667},
        {DEEP_LOSS_CATEGORICAL_HINGE, 1, yb, 2.4},
        {DEEP_LOSS_KL_DIVERGENCE, 1, y, 0.9247842472322546},
        {DEEP_LOSS_POISSON, 1, y, 1.1248651049558918},
        {DEEP_LOSS_COSINE_SIMILARITY, 1, y, -0.5273841895177573},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const double got = deep_loss_evaluate(cases[c].loss, cases[c].delta, p, cases[c].y, NULL, 2, 3, NULL);
        /* float inputs: relative 1e-6 */
        ck_assert_msg(fabs(got - cases[c].expected) <= 1e-6 * fabs(cases[c].expected),
                      "case %d (loss %d): got %.10g, Keras %.10g", (int)c, (int)cases[c].loss, got, cases[c].expected);
    }
    /* Keras' own docstring examples: huber [[0,1],[0,0]] vs [[0.6,0.4],[0.4,0.6]] = 0.155,
     * log_cosh [[0,1],[0,0]] vs [[1,1],[0,0]] = 0.108 (rounded). */
    const float hy[4] = {0, 1, 0, 0}, hp[4] = {0.6f, 0.4f, 0.4f, 0.6f}, lp[4] = {1, 1, 0, 0};
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_HUBER, hp, hy, NULL, 2, 2, NULL), 0.155, 1e-6);
    ck_assert_double_eq_tol(deep_loss_compute(DEEP_LOSS_LOG_COSH, lp, hy, NULL, 2, 2, NULL), 0.108, 5e-4);
    /* A zero row has cosine 0, as Keras says, not NaN. */
    const float zero[3] = {0, 0, 0}, one[3] = {1, 2, 3};
    float g[3];
    ck_assert_double_eq(deep_loss_compute(DEEP_LOSS_COSINE_SIMILARITY, zero, one, NULL, 1, 3, g), 0);
    for (int i = 0; i < 3; i++)
        ck_assert(isfinite(g[i]));
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
    deep_loss_fused_grad(fused[_i].loss, 0.0, p, targets, labels, BATCH, WIDTH, grad);
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
    deep_loss_fused_grad(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, 0.0, pred, onehot, NULL, BATCH, WIDTH, grad);
    deep_loss_fused_grad(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 0.0, pred, NULL, labels, BATCH, WIDTH, sparse);
    ck_assert_mem_eq(grad, sparse, sizeof grad); /* sparse labels are one-hot rows */
    for (int i = 0; i < COUNT; i++)
        ck_assert_double_eq_tol(grad[i], ((double)pred[i] - onehot[i]) / BATCH, 1e-7);
    deep_loss_fused_grad(DEEP_LOSS_BINARY_CROSSENTROPY, 0.0, pred, targets, NULL, BATCH, WIDTH, grad);
    for (int i = 0; i < COUNT; i++)
        ck_assert_double_eq_tol(grad[i], ((double)pred[i] - targets[i]) / COUNT, 1e-7);
    deep_loss_fused_grad(DEEP_LOSS_MEAN_SQUARED_ERROR, 0.0, pred, targets, NULL, BATCH, WIDTH, grad);
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
        deep_loss_fused_grad(fused[c].loss, 0.0, p, targets, labels, BATCH, WIDTH, grad);
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
    for (int i = 0; i < LOSS_COUNT; i++)
        ck_assert(isnan(deep_loss_compute(all_losses[i], p, targets, labels, BATCH, WIDTH, NULL)));
}
END_TEST

START_TEST(degenerate_calls)
{
    float grad[COUNT];
    for (int i = 0; i < LOSS_COUNT; i++) {
        ck_assert_double_eq(deep_loss_compute(all_losses[i], pred, targets, labels, 0, WIDTH, NULL), 0);
        ck_assert_double_eq(deep_loss_compute(all_losses[i], pred, targets, labels, BATCH, 0, NULL), 0);
    }
    ck_assert(isnan(deep_loss_compute((deep_loss)0, pred, targets, labels, BATCH, WIDTH, NULL)));
    ck_assert(isnan(deep_loss_compute((deep_loss)(LOSS_COUNT + 1), pred, targets, labels, BATCH, WIDTH, NULL)));

    /* A label outside [0, width) is never read past: NaN loss, zero gradient row. */
    const int32_t bad[BATCH] = {1, WIDTH, 0};
    ck_assert(isnan(deep_loss_compute(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, pred, NULL, bad, BATCH, WIDTH, grad)));
    for (int j = 0; j < WIDTH; j++)
        ck_assert_float_eq(grad[WIDTH + j], 0);
    const int32_t negative[BATCH] = {-1, 0, 0};
    ck_assert(isnan(deep_loss_compute(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, pred, NULL, negative, BATCH, WIDTH, NULL)));
    deep_loss_fused_grad(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 0.0, pred, NULL, bad, BATCH, WIDTH, grad);
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
    tcase_add_test(values, keras_values);
    tcase_add_test(values, extreme_probabilities_are_finite);
    tcase_add_test(values, huge_logits_are_finite);
    tcase_add_test(values, nan_propagates);
    tcase_add_test(values, degenerate_calls);
    suite_add_tcase(s, values);

    TCase *grads = tcase_create("gradients");
    tcase_add_loop_test(grads, gradient_matches_finite_differences, 0, LOSS_COUNT);
    tcase_add_test(grads, gradient_of_other_branches);
    tcase_add_loop_test(grads, fused_gradient_is_chain_rule, 0, (int)(sizeof fused / sizeof fused[0]));
    tcase_add_test(grads, fuses_with);
    tcase_add_test(grads, fused_gradient_values);
    suite_add_tcase(s, grads);

    return run_suite(s, CK_NORMAL);
}
