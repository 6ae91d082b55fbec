/* Optimizers: the public option API, and the internal bind / begin_step / update checked
 * step by step against double-precision reference formulas written out below. */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "optim/optim.h"
#include "check_helpers.h"
#include "header_enums.h"

#define N 7 /* weights in the step-by-step comparisons */

static const deep_optimizer_kind all_kinds[] = {DEEP_OPTIMIZER_SGD, DEEP_OPTIMIZER_ADAM, DEEP_OPTIMIZER_RMSPROP,
                                                DEEP_OPTIMIZER_ADAGRAD};
static const char *const kind_names[] = {"", "SGD", "Adam", "RMSprop", "Adagrad"};
static const char *const option_names[] = {"",         "learning_rate", "momentum", "nesterov", "beta_1",
                                           "beta_2",   "epsilon",       "rho",      "initial_accumulator"};

/* Keras' defaults; NAN marks an option that does not apply to the kind. */
static const float keras_defaults[5][9] = {
    [DEEP_OPTIMIZER_SGD] = {NAN, 0.01f, 0, 0, NAN, NAN, NAN, NAN, NAN},
    [DEEP_OPTIMIZER_ADAM] = {NAN, 0.001f, NAN, NAN, 0.9f, 0.999f, 1e-7f, NAN, NAN},
    [DEEP_OPTIMIZER_RMSPROP] = {NAN, 0.001f, 0, NAN, NAN, NAN, 1e-7f, 0.9f, NAN},
    [DEEP_OPTIMIZER_ADAGRAD] = {NAN, 0.001f, NAN, NAN, NAN, NAN, 1e-7f, NAN, 0.1f},
};

static deep_optimizer *make(deep_optimizer_kind kind)
{
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(kind, &opt), DEEP_OK);
    ck_assert_ptr_nonnull(opt);
    return opt;
}

static float get(const deep_optimizer *opt, deep_optimizer_option option)
{
    double value = NAN;
    ck_assert_int_eq(deep_optimizer_get_float(opt, option, &value), DEEP_OK);
    return (float)value;
}

static void set(deep_optimizer *opt, deep_optimizer_option option, float value)
{
    ck_assert_int_eq(deep_optimizer_set_float(opt, option, value), DEEP_OK);
}

static void assert_error_mentions(const char *a, const char *b, const char *c)
{
    const char *msg = deep_last_error();
    ck_assert_msg(strstr(msg, a) && strstr(msg, b) && strstr(msg, c), "message '%s' lacks '%s', '%s' or '%s'", msg,
                  a, b, c);
}

/* ---- the public API ------------------------------------------------------------------ */

START_TEST(new_and_free)
{
    for (size_t k = 0; k < 4; k++)
        deep_optimizer_free(make(all_kinds[k]));
    deep_optimizer_free(NULL);

    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_SGD, NULL), DEEP_ERR_NULL);
    assert_error_mentions("deep_optimizer_new", "out", "NULL");
    const int bad_kinds[] = {0, -1, DEEP_OPTIMIZER_ADAMAX + 1, 1000};
    for (size_t i = 0; i < 4; i++) {
        static int sentinel;
        deep_optimizer *opt = (deep_optimizer *)&sentinel; /* must be reset to NULL */
        ck_assert_int_eq(deep_optimizer_new((deep_optimizer_kind)bad_kinds[i], &opt), DEEP_ERR_INVALID_ARGUMENT);
        ck_assert_ptr_null(opt);
        assert_error_mentions("deep_optimizer_new", "kind", "");
    }
}
END_TEST

START_TEST(defaults_match_keras)
{
    for (size_t k = 0; k < 4; k++) {
        deep_optimizer *opt = make(all_kinds[k]);
        for (int o = 1; o <= 8; o++) {
            const float expected = keras_defaults[all_kinds[k]][o];
            double value = 42;
            deep_status s = deep_optimizer_get_float(opt, (deep_optimizer_option)o, &value);
            if (isnan(expected)) {
                ck_assert_int_eq(s, DEEP_ERR_INVALID_ARGUMENT);
                ck_assert_float_eq(value, 42); /* untouched on failure */
            } else {
                ck_assert_int_eq(s, DEEP_OK);
                ck_assert_float_eq(value, expected);
            }
        }
        deep_optimizer_free(opt);
    }
}
END_TEST

START_TEST(get_after_set)
{
    const float values[9] = {0, 0.25f, 0.5f, 1, 0.75f, 0.875f, 1e-3f, 0.125f, 0.0f};
    for (size_t k = 0; k < 4; k++) {
        deep_optimizer *opt = make(all_kinds[k]);
        for (int o = 1; o <= 8; o++)
            if (!isnan(keras_defaults[all_kinds[k]][o])) {
                set(opt, (deep_optimizer_option)o, values[o]);
                ck_assert_float_eq(get(opt, (deep_optimizer_option)o), values[o]);
            }
        /* Boundaries that are allowed. */
        if (all_kinds[k] == DEEP_OPTIMIZER_SGD) {
            set(opt, DEEP_OPT_NESTEROV, 0);
            ck_assert_float_eq(get(opt, DEEP_OPT_NESTEROV), 0);
            set(opt, DEEP_OPT_MOMENTUM, 0);
        }
        set(opt, DEEP_OPT_LEARNING_RATE, 1e-30f);
        ck_assert_float_eq(get(opt, DEEP_OPT_LEARNING_RATE), 1e-30f);
        deep_optimizer_free(opt);
    }
}
END_TEST

START_TEST(null_arguments)
{
    deep_optimizer *opt = make(DEEP_OPTIMIZER_ADAM);
    double value;
    ck_assert_int_eq(deep_optimizer_set_float(NULL, DEEP_OPT_LEARNING_RATE, 0.1f), DEEP_ERR_NULL);
    assert_error_mentions("deep_optimizer_set_float", "optimizer", "NULL");
    ck_assert_int_eq(deep_optimizer_get_float(NULL, DEEP_OPT_LEARNING_RATE, &value), DEEP_ERR_NULL);
    assert_error_mentions("deep_optimizer_get_float", "optimizer", "NULL");
    ck_assert_int_eq(deep_optimizer_get_float(opt, DEEP_OPT_LEARNING_RATE, NULL), DEEP_ERR_NULL);
    assert_error_mentions("deep_optimizer_get_float", "value", "NULL");
    deep_optimizer_free(opt);
}
END_TEST

START_TEST(rejects_bad_values)
{
    static const struct {
        deep_optimizer_kind kind;
        deep_optimizer_option option;
        float value;
    } bad[] = {
        {DEEP_OPTIMIZER_SGD, DEEP_OPT_LEARNING_RATE, 0},        {DEEP_OPTIMIZER_SGD, DEEP_OPT_LEARNING_RATE, -0.1f},
        {DEEP_OPTIMIZER_ADAM, DEEP_OPT_LEARNING_RATE, NAN},     {DEEP_OPTIMIZER_ADAM, DEEP_OPT_LEARNING_RATE, INFINITY},
        {DEEP_OPTIMIZER_SGD, DEEP_OPT_MOMENTUM, -0.1f},         {DEEP_OPTIMIZER_SGD, DEEP_OPT_MOMENTUM, 1},
        {DEEP_OPTIMIZER_RMSPROP, DEEP_OPT_MOMENTUM, NAN},       {DEEP_OPTIMIZER_SGD, DEEP_OPT_NESTEROV, 0.5f},
        {DEEP_OPTIMIZER_SGD, DEEP_OPT_NESTEROV, 2},             {DEEP_OPTIMIZER_SGD, DEEP_OPT_NESTEROV, -1},
        {DEEP_OPTIMIZER_SGD, DEEP_OPT_NESTEROV, NAN},           {DEEP_OPTIMIZER_ADAM, DEEP_OPT_BETA_1, 1},
        {DEEP_OPTIMIZER_ADAM, DEEP_OPT_BETA_1, -1e-3f},         {DEEP_OPTIMIZER_ADAM, DEEP_OPT_BETA_2, 1.5f},
        {DEEP_OPTIMIZER_ADAM, DEEP_OPT_BETA_2, NAN},            {DEEP_OPTIMIZER_ADAM, DEEP_OPT_EPSILON, 0},
        {DEEP_OPTIMIZER_RMSPROP, DEEP_OPT_EPSILON, -1e-7f},     {DEEP_OPTIMIZER_ADAGRAD, DEEP_OPT_EPSILON, NAN},
        {DEEP_OPTIMIZER_ADAGRAD, DEEP_OPT_EPSILON, INFINITY},   {DEEP_OPTIMIZER_RMSPROP, DEEP_OPT_RHO, 1},
        {DEEP_OPTIMIZER_RMSPROP, DEEP_OPT_RHO, -INFINITY},      {DEEP_OPTIMIZER_ADAGRAD, DEEP_OPT_INITIAL_ACCUMULATOR, -0.1f},
        {DEEP_OPTIMIZER_ADAGRAD, DEEP_OPT_INITIAL_ACCUMULATOR, NAN},
        {DEEP_OPTIMIZER_ADAGRAD, DEEP_OPT_INITIAL_ACCUMULATOR, INFINITY},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        deep_optimizer *opt = make(bad[i].kind);
        const float before = get(opt, bad[i].option);
        ck_assert_msg(deep_optimizer_set_float(opt, bad[i].option, bad[i].value) == DEEP_ERR_INVALID_ARGUMENT,
                      "case %zu accepted", i);
        assert_error_mentions("deep_optimizer_set_float", option_names[bad[i].option], kind_names[bad[i].kind]);
        ck_assert_float_eq(get(opt, bad[i].option), before); /* a refused value changes nothing */
        deep_optimizer_free(opt);
    }
}
END_TEST

START_TEST(option_not_applicable)
{
    for (size_t k = 0; k < 4; k++) {
        deep_optimizer *opt = make(all_kinds[k]);
        for (int o = 1; o <= 8; o++) {
            if (!isnan(keras_defaults[all_kinds[k]][o]))
                continue;
            double value;
            ck_assert_int_eq(deep_optimizer_set_float(opt, (deep_optimizer_option)o, 0.5f),
                             DEEP_ERR_INVALID_ARGUMENT);
            assert_error_mentions("deep_optimizer_set_float", option_names[o], kind_names[all_kinds[k]]);
            ck_assert_int_eq(deep_optimizer_get_float(opt, (deep_optimizer_option)o, &value),
                             DEEP_ERR_INVALID_ARGUMENT);
            assert_error_mentions("deep_optimizer_get_float", option_names[o], kind_names[all_kinds[k]]);
        }
        const int unknown[] = {0, -1, DEEP_OPT_AMSGRAD + 1, 1000};
        for (size_t i = 0; i < 4; i++) {
            double value;
            ck_assert_int_eq(deep_optimizer_set_float(opt, (deep_optimizer_option)unknown[i], 0.5f),
                             DEEP_ERR_INVALID_ARGUMENT);
            assert_error_mentions("deep_optimizer_set_float", "unknown option", "");
            ck_assert_int_eq(deep_optimizer_get_float(opt, (deep_optimizer_option)unknown[i], &value),
                             DEEP_ERR_INVALID_ARGUMENT);
            assert_error_mentions("deep_optimizer_get_float", "unknown option", "");
        }
        deep_optimizer_free(opt);
    }
}
END_TEST

/* ---- the reference formulas, in double ----------------------------------------------- */

struct ref {
    deep_optimizer_kind kind;
    double opt[9]; /* indexed by deep_optimizer_option, copied from the float settings */
    double a[N], b[N];
    int t;
};

static void ref_init(struct ref *r, const deep_optimizer *opt, deep_optimizer_kind kind)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    for (int o = 1; o <= 8; o++)
        if (!isnan(keras_defaults[kind][o]))
            r->opt[o] = get(opt, (deep_optimizer_option)o);
    for (int i = 0; i < N; i++)
        r->a[i] = kind == DEEP_OPTIMIZER_ADAGRAD ? r->opt[DEEP_OPT_INITIAL_ACCUMULATOR] : 0;
}

static void ref_step(struct ref *r, double *w, const double *g)
{
    const double lr = r->opt[DEEP_OPT_LEARNING_RATE], mu = r->opt[DEEP_OPT_MOMENTUM];
    const double eps = r->opt[DEEP_OPT_EPSILON];
    r->t++;
    for (int i = 0; i < N; i++) {
        switch (r->kind) {
        case DEEP_OPTIMIZER_SGD:
            r->a[i] = mu * r->a[i] - lr * g[i];
            w[i] += r->opt[DEEP_OPT_NESTEROV] ? mu * r->a[i] - lr * g[i] : r->a[i];
            break;
        case DEEP_OPTIMIZER_ADAM: {
            /* The paper's form with bias-corrected moments; Keras' epsilon is the paper's
             * epsilon-hat, so it is scaled back here. */
            const double b1 = r->opt[DEEP_OPT_BETA_1], b2 = r->opt[DEEP_OPT_BETA_2];
            r->a[i] = b1 * r->a[i] + (1 - b1) * g[i];
            r->b[i] = b2 * r->b[i] + (1 - b2) * g[i] * g[i];
            const double mhat = r->a[i] / (1 - pow(b1, r->t)), vhat = r->b[i] / (1 - pow(b2, r->t));
            w[i] -= lr * mhat / (sqrt(vhat) + eps / sqrt(1 - pow(b2, r->t)));
            break;
        }
        case DEEP_OPTIMIZER_RMSPROP: {
            const double rho = r->opt[DEEP_OPT_RHO];
            r->a[i] = rho * r->a[i] + (1 - rho) * g[i] * g[i];
            r->b[i] = mu * r->b[i] + lr * g[i] / sqrt(r->a[i] + eps); /* Keras: eps inside the root */
            w[i] -= r->b[i];
            break;
        }
        case DEEP_OPTIMIZER_ADAGRAD:
            r->a[i] += g[i] * g[i];
            w[i] -= lr * g[i] / sqrt(r->a[i] + eps); /* Keras: eps inside the root */
            break;
        case DEEP_OPTIMIZER_NADAM: /* the kinds of 1.1: tests/test_optim_keras.c */
        case DEEP_OPTIMIZER_ADAMW:
        case DEEP_OPTIMIZER_ADAMAX:
            break;
        }
    }
}

/* Gradients that change sign and size from weight to weight and step to step. */
static void gradient(int step, float *g)
{
    for (int i = 0; i < N; i++)
        g[i] = (float)(sin(1.3 * i + 0.7 * step + 0.4) * (1 + 0.5 * i));
}

typedef struct {
    deep_optimizer_kind kind;
    struct {
        deep_optimizer_option option;
        float value;
    } settings[4];
} config;

static const config configs[] = {
    {DEEP_OPTIMIZER_SGD, {{0}}},
    {DEEP_OPTIMIZER_SGD, {{DEEP_OPT_MOMENTUM, 0.9f}, {DEEP_OPT_LEARNING_RATE, 0.05f}}},
    {DEEP_OPTIMIZER_SGD, {{DEEP_OPT_MOMENTUM, 0.8f}, {DEEP_OPT_NESTEROV, 1}}},
    {DEEP_OPTIMIZER_SGD, {{DEEP_OPT_NESTEROV, 1}}}, /* Nesterov without momentum is plain SGD */
    {DEEP_OPTIMIZER_ADAM, {{0}}},
    {DEEP_OPTIMIZER_ADAM, {{DEEP_OPT_BETA_1, 0.5f}, {DEEP_OPT_BETA_2, 0.75f}, {DEEP_OPT_EPSILON, 0.1f}}},
    {DEEP_OPTIMIZER_RMSPROP, {{DEEP_OPT_LEARNING_RATE, 0.01f}}},
    {DEEP_OPTIMIZER_RMSPROP, {{DEEP_OPT_MOMENTUM, 0.9f}}},
    {DEEP_OPTIMIZER_RMSPROP, {{DEEP_OPT_RHO, 0.5f}, {DEEP_OPT_EPSILON, 0.3f}}},
    {DEEP_OPTIMIZER_RMSPROP, {{DEEP_OPT_RHO, 0.5f}, {DEEP_OPT_MOMENTUM, 0.5f}, {DEEP_OPT_EPSILON, 0.3f}}},
    {DEEP_OPTIMIZER_ADAGRAD, {{DEEP_OPT_LEARNING_RATE, 0.1f}}},
    {DEEP_OPTIMIZER_ADAGRAD, {{DEEP_OPT_INITIAL_ACCUMULATOR, 0.5f}, {DEEP_OPT_EPSILON, 0.2f}}},
    {DEEP_OPTIMIZER_ADAGRAD, {{DEEP_OPT_INITIAL_ACCUMULATOR, 0}}},
};
#define CONFIG_COUNT ((int)(sizeof configs / sizeof configs[0]))

static deep_optimizer *make_config(const config *c, int32_t count, const int64_t *sizes)
{
    deep_optimizer *opt = make(c->kind);
    for (int i = 0; i < 4 && c->settings[i].option; i++)
        set(opt, c->settings[i].option, c->settings[i].value);
    ck_assert_int_eq(deep_optimizer_bind(opt, count, sizes), DEEP_OK);
    return opt;
}

/* Steps 1 to 3 run at the configured learning rate (Adam's bias correction at t = 1, 2,
 * 3); later steps change it, which must keep the moments and the step count. */
START_TEST(matches_reference)
{
    static const float lr_scale[] = {1, 1, 1, 0.5f, 3, 1};
    const config *c = &configs[_i];
    const int64_t size = N;
    deep_optimizer *opt = make_config(c, 1, &size);
    struct ref r;
    ref_init(&r, opt, c->kind);
    const float lr0 = get(opt, DEEP_OPT_LEARNING_RATE);
    float w[N], g[N];
    double rw[N], rg[N];
    for (int i = 0; i < N; i++)
        rw[i] = w[i] = 1.0f - 0.25f * (float)i;
    for (int step = 0; step < 6; step++) {
        set(opt, DEEP_OPT_LEARNING_RATE, lr0 * lr_scale[step]);
        r.opt[DEEP_OPT_LEARNING_RATE] = get(opt, DEEP_OPT_LEARNING_RATE);
        gradient(step, g);
        for (int i = 0; i < N; i++)
            rg[i] = g[i];
        deep_optimizer_begin_step(opt, NULL);
        deep_optimizer_update(opt, 0, w, g, 0, N);
        ref_step(&r, rw, rg);
        for (int i = 0; i < N; i++)
            ck_assert_msg(fabs(w[i] - rw[i]) < 2e-6, "config %d step %d weight %d: %.9g, reference %.9g", _i,
                          step + 1, i, (double)w[i], rw[i]);
    }
    deep_optimizer_free(opt);
}
END_TEST

/* With a constant gradient Adam's bias-corrected moments equal the gradient, so each of
 * the first steps moves every weight by learning_rate against the gradient's sign. An
 * uncorrected first step would be 0.1 / sqrt(0.001) = 3.2 times larger. */
START_TEST(adam_bias_correction)
{
    const int64_t size = 3;
    deep_optimizer *opt = make(DEEP_OPTIMIZER_ADAM);
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &size), DEEP_OK);
    float w[3] = {0, 0, 0};
    const float g[3] = {2, -3, 0.5f};
    for (int t = 1; t <= 3; t++) {
        deep_optimizer_begin_step(opt, NULL);
        deep_optimizer_update(opt, 0, w, g, 0, 3);
        for (int i = 0; i < 3; i++)
            ck_assert_double_eq_tol(w[i], -t * 0.001 * (g[i] > 0 ? 1 : -1), 1e-7);
    }
    deep_optimizer_free(opt);
}
END_TEST

/* Keras' epsilon placement, against values computed by hand (in double) from Keras'
 * update rules for a gradient of 1e-4 on two steps, default settings:
 *   RMSprop: v = rho v + (1 - rho) g^2, w -= lr g / sqrt(v + eps) (momentum m = mu m + that
 *            step, w -= m);
 *   Adagrad: a += g^2, w -= lr g / sqrt(a + eps).
 * RMSprop's first step is 3.1466e-4 (1e-3 * 1e-4 / sqrt(1e-9 + 1e-7)); with eps outside the
 * root, as PyTorch, it would be 3.15e-3, ten times larger. */
START_TEST(keras_epsilon_placement)
{
    static const struct {
        deep_optimizer_kind kind;
        deep_optimizer_option option;
        float value;
        double after[2];
    } cases[] = {
        {DEEP_OPTIMIZER_RMSPROP, 0, 0, {-0.0003146583877637763, -0.0006279241326020956}},
        {DEEP_OPTIMIZER_RMSPROP, DEEP_OPT_MOMENTUM, 0.5f, {-0.0003146583877637763, -0.0007852533264839838}},
        {DEEP_OPTIMIZER_ADAGRAD, DEEP_OPT_INITIAL_ACCUMULATOR, 0, {-0.0003015113445777637, -0.0005901864791725765}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int64_t size = 1;
        deep_optimizer *opt = make(cases[c].kind);
        if (cases[c].option)
            set(opt, cases[c].option, cases[c].value);
        ck_assert_int_eq(deep_optimizer_bind(opt, 1, &size), DEEP_OK);
        float w = 0;
        const float g = 1e-4f;
        for (int t = 0; t < 2; t++) {
            deep_optimizer_begin_step(opt, NULL);
            deep_optimizer_update(opt, 0, &w, &g, 0, 1);
            ck_assert_msg(fabs(w - cases[c].after[t]) < 1e-5 * fabs(cases[c].after[t]),
                          "case %d step %d: %.9g, Keras %.9g", (int)c, t + 1, (double)w, cases[c].after[t]);
        }
        deep_optimizer_free(opt);
    }
    /* Adagrad's default initial accumulator 0.1, gradient 0.5: 1e-3 * 0.5 / sqrt(0.35 + 1e-7). */
    const int64_t size = 1;
    deep_optimizer *opt = make(DEEP_OPTIMIZER_ADAGRAD);
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &size), DEEP_OK);
    float w = 0;
    const float g = 0.5f;
    deep_optimizer_begin_step(opt, NULL);
    deep_optimizer_update(opt, 0, &w, &g, 0, 1);
    ck_assert_double_eq_tol(w, -0.0008451541339922204, 1e-9);
    deep_optimizer_free(opt);
}
END_TEST

/* Every optimizer brings sum (w - 3)^2 to its minimum from several starting points. */
static const struct {
    config c;
    int steps;
    double tolerance;
} quadratic_cases[] = {
    {{DEEP_OPTIMIZER_SGD, {{DEEP_OPT_LEARNING_RATE, 0.1f}}}, 100, 1e-4},
    {{DEEP_OPTIMIZER_SGD, {{DEEP_OPT_LEARNING_RATE, 0.05f}, {DEEP_OPT_MOMENTUM, 0.9f}}}, 300, 1e-4},
    {{DEEP_OPTIMIZER_SGD, {{DEEP_OPT_LEARNING_RATE, 0.05f}, {DEEP_OPT_MOMENTUM, 0.9f}, {DEEP_OPT_NESTEROV, 1}}},
     300, 1e-4},
    {{DEEP_OPTIMIZER_ADAM, {{DEEP_OPT_LEARNING_RATE, 0.1f}}}, 1000, 1e-2},
    {{DEEP_OPTIMIZER_RMSPROP, {{DEEP_OPT_LEARNING_RATE, 0.01f}}}, 2000, 2e-2},
    {{DEEP_OPTIMIZER_RMSPROP, {{DEEP_OPT_LEARNING_RATE, 0.01f}, {DEEP_OPT_MOMENTUM, 0.5f}}}, 2000, 2e-2},
    {{DEEP_OPTIMIZER_ADAGRAD, {{DEEP_OPT_LEARNING_RATE, 1.0f}}}, 1000, 1e-3},
};
#define QUADRATIC_COUNT ((int)(sizeof quadratic_cases / sizeof quadratic_cases[0]))

START_TEST(minimises_quadratic)
{
    const int64_t size = 4;
    deep_optimizer *opt = make_config(&quadratic_cases[_i].c, 1, &size);
    float w[4] = {0, -2, 5, 10}, g[4];
    for (int step = 0; step < quadratic_cases[_i].steps; step++) {
        for (int i = 0; i < 4; i++)
            g[i] = 2 * (w[i] - 3);
        deep_optimizer_begin_step(opt, NULL);
        deep_optimizer_update(opt, 0, w, g, 0, 4);
    }
    for (int i = 0; i < 4; i++)
        ck_assert_msg(fabs(w[i] - 3) < quadratic_cases[_i].tolerance, "case %d: w[%d] = %g", _i, i, (double)w[i]);
    deep_optimizer_free(opt);
}
END_TEST

/* ---- update ranges, threads, slots and rebinding -------------------------------------- */

#define BIG 1003

/* Runs three steps over BIG weights, updating each through the given cut points. */
static void run_ranges(deep_optimizer *opt, int32_t slot, float *w, const int64_t *cuts, int ncuts)
{
    float g[BIG];
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < BIG; i++)
            g[i] = (float)sin(0.37 * i + step);
        deep_optimizer_begin_step(opt, NULL);
        for (int c = 0; c + 1 < ncuts; c++)
            deep_optimizer_update(opt, slot, w, g, cuts[c], cuts[c + 1]);
    }
}

static void init_weights(float *w)
{
    for (int i = 0; i < BIG; i++)
        w[i] = (float)cos(0.11 * i);
}

START_TEST(split_ranges_match_one_range)
{
    const int64_t size = BIG, whole[] = {0, BIG}, split[] = {0, 1, 500, 501, 999, BIG};
    deep_optimizer *a = make_config(&configs[_i], 1, &size), *b = make_config(&configs[_i], 1, &size);
    float wa[BIG], wb[BIG];
    init_weights(wa);
    init_weights(wb);
    run_ranges(a, 0, wa, whole, 2);
    run_ranges(b, 0, wb, split, 6);
    ck_assert_mem_eq(wa, wb, sizeof wa);
    deep_optimizer_free(a);
    deep_optimizer_free(b);
}
END_TEST

struct pool_job {
    deep_optimizer *opt;
    float *w;
    const float *g;
};

static void pool_update(void *ctx, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    struct pool_job *job = ctx;
    deep_optimizer_update(job->opt, 0, job->w, job->g, begin, end);
}

/* The way the model calls update: several threads at once on disjoint ranges. */
START_TEST(concurrent_updates)
{
    const int64_t size = BIG, whole[] = {0, BIG};
    deep_optimizer *serial = make_config(&configs[_i], 1, &size), *parallel = make_config(&configs[_i], 1, &size);
    deep_pool *pool = NULL;
    ck_assert_int_eq(deep_pool_new(4, &pool), DEEP_OK);
    float ws[BIG], wp[BIG], g[BIG];
    init_weights(ws);
    init_weights(wp);
    run_ranges(serial, 0, ws, whole, 2);
    struct pool_job job = {parallel, wp, g};
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < BIG; i++)
            g[i] = (float)sin(0.37 * i + step);
        deep_optimizer_begin_step(parallel, NULL);
        deep_pool_run(pool, BIG, pool_update, &job);
    }
    ck_assert_mem_eq(ws, wp, sizeof ws);
    deep_pool_free(pool);
    deep_optimizer_free(serial);
    deep_optimizer_free(parallel);
}
END_TEST

/* Each slot has its own state: three slots bound together behave like three optimizers. */
START_TEST(slots_are_independent)
{
    const int64_t sizes[] = {BIG, 0, BIG}, one = BIG, whole[] = {0, BIG};
    deep_optimizer *together = make_config(&configs[_i], 3, sizes);
    deep_optimizer *first = make_config(&configs[_i], 1, &one), *last = make_config(&configs[_i], 1, &one);
    float w0[BIG], w2[BIG], r0[BIG], r2[BIG], g[BIG];
    init_weights(w0);
    init_weights(r0);
    for (int i = 0; i < BIG; i++)
        w2[i] = r2[i] = (float)i / BIG;
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < BIG; i++)
            g[i] = (float)sin(0.37 * i + step);
        deep_optimizer_begin_step(together, NULL);
        deep_optimizer_update(together, 0, w0, g, 0, BIG);
        deep_optimizer_update(together, 1, w0, g, 0, 0); /* an empty parameter */
        for (int i = 0; i < BIG; i++)
            g[i] = -2 * g[i];
        deep_optimizer_update(together, 2, w2, g, 0, BIG);
    }
    run_ranges(first, 0, r0, whole, 2);
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < BIG; i++)
            g[i] = (float)(-2 * sin(0.37 * i + step));
        deep_optimizer_begin_step(last, NULL);
        deep_optimizer_update(last, 0, r2, g, 0, BIG);
    }
    ck_assert_mem_eq(w0, r0, sizeof w0);
    ck_assert_mem_eq(w2, r2, sizeof w2);
    deep_optimizer_free(together);
    deep_optimizer_free(first);
    deep_optimizer_free(last);
}
END_TEST

/* Binding again forgets the moments and restarts the step count; a failed bind keeps the
 * previous state. */
START_TEST(rebind_resets_state)
{
    const int64_t size = BIG, whole[] = {0, BIG}, negative = -1;
    deep_optimizer *used = make_config(&configs[_i], 1, &size), *fresh = make_config(&configs[_i], 1, &size);
    float wu[BIG], wf[BIG];
    init_weights(wu);
    run_ranges(used, 0, wu, whole, 2);
    ck_assert_int_eq(deep_optimizer_bind(used, 1, &size), DEEP_OK);
    init_weights(wu);
    init_weights(wf);
    ck_assert_int_eq(deep_optimizer_bind(fresh, 1, &negative), DEEP_ERR_INVALID_ARGUMENT);
    run_ranges(used, 0, wu, whole, 2);
    run_ranges(fresh, 0, wf, whole, 2);
    ck_assert_mem_eq(wu, wf, sizeof wu);
    deep_optimizer_free(used);
    deep_optimizer_free(fresh);
}
END_TEST

START_TEST(bind_misuse)
{
    deep_optimizer *opt = make(DEEP_OPTIMIZER_ADAM);
    const int64_t sizes[] = {4, -3}, overflow[] = {INT64_MAX, 1}, huge = INT64_MAX / 2;
    ck_assert_int_eq(deep_optimizer_bind(NULL, 1, sizes), DEEP_ERR_NULL);
    assert_error_mentions("deep_optimizer_bind", "optimizer", "NULL");
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, NULL), DEEP_ERR_NULL);
    assert_error_mentions("deep_optimizer_bind", "sizes", "NULL");
    ck_assert_int_eq(deep_optimizer_bind(opt, -1, sizes), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_optimizer_bind", "negative", "");
    ck_assert_int_eq(deep_optimizer_bind(opt, 2, sizes), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_optimizer_bind", "parameter 1", "-3");
    ck_assert_int_eq(deep_optimizer_bind(opt, 2, overflow), DEEP_ERR_OVERFLOW);
    assert_error_mentions("deep_optimizer_bind", "overflow", "");
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &huge), DEEP_ERR_NO_MEMORY);
    assert_error_mentions("deep_optimizer_bind", "memory", "");
    ck_assert_int_eq(deep_optimizer_bind(opt, 0, NULL), DEEP_OK); /* a model without weights */
    deep_optimizer_begin_step(opt, NULL);
    deep_optimizer_free(opt);
}
END_TEST

/* update can return no status, so calls it cannot honour must change nothing. */
START_TEST(update_ignores_impossible_calls)
{
    const int64_t size = 4;
    deep_optimizer *opt = make(DEEP_OPTIMIZER_SGD);
    float w[4] = {1, 2, 3, 4};
    const float g[4] = {1, 1, 1, 1}, before[4] = {1, 2, 3, 4};
    deep_optimizer_update(opt, 0, w, g, 0, 4); /* not bound */
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &size), DEEP_OK);
    deep_optimizer_update(opt, 0, w, g, 0, 4); /* no step begun */
    deep_optimizer_begin_step(opt, NULL);
    deep_optimizer_update(opt, 1, w, g, 0, 4);
    deep_optimizer_update(opt, -1, w, g, 0, 4);
    deep_optimizer_update(opt, 0, w, g, 0, 5);
    deep_optimizer_update(opt, 0, w, g, -1, 2);
    deep_optimizer_update(opt, 0, w, g, 3, 2);
    deep_optimizer_update(opt, 0, w, NULL, 0, 4);
    deep_optimizer_update(opt, 0, NULL, g, 0, 4);
    deep_optimizer_update(NULL, 0, w, g, 0, 4);
    deep_optimizer_begin_step(NULL, NULL);
    ck_assert_mem_eq(w, before, sizeof w);
    deep_optimizer_update(opt, 0, w, g, 1, 3);
    ck_assert_float_eq(w[0], 1);
    ck_assert_float_eq(w[1], 2 - 0.01f);
    ck_assert_float_eq(w[2], 3 - 0.01f);
    ck_assert_float_eq(w[3], 4);
    deep_optimizer_free(opt);
}
END_TEST

/* The module's lists name every option and kind of deep.h, once each, under the Keras name
 * its enumerator spells (DEEP_OPT_BETA_1: "beta_1"): model files iterate these lists, so
 * an enumerator missing from them would silently not be saved. */
static bool same_ignoring_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

START_TEST(lists_cover_every_enumerator)
{
    header_enum e;
    header_enum_read("deep_optimizer_option", &e);
    ck_assert_int_eq(deep_optimizer_option_count(), e.count);
    for (int i = 0; i < e.count; i++) {
        int found = 0;
        for (int32_t k = 0; k < deep_optimizer_option_count(); k++)
            found += deep_optimizer_option_at(k) == e.values[i];
        ck_assert_msg(found == 1, "%s (%ld) is %d times in the option list", e.names[i], e.values[i], found);
        deep_optimizer_option o = (deep_optimizer_option)e.values[i];
        ck_assert_int_lt(o, DEEP_OPTIMIZER_OPTION_LIMIT);
        const char *name = deep_optimizer_option_name(o);
        ck_assert_msg(name != NULL && same_ignoring_case(name, e.names[i] + strlen("DEEP_OPT_")),
                      "%s is called '%s'", e.names[i], name ? name : "(null)");
        ck_assert_int_eq(deep_optimizer_option_by_name(name), o);
    }
    ck_assert_int_eq(deep_optimizer_option_at(-1), 0);
    ck_assert_int_eq(deep_optimizer_option_at(deep_optimizer_option_count()), 0);

    header_enum_read("deep_optimizer_kind", &e);
    ck_assert_int_eq(deep_optimizer_kind_count(), e.count);
    for (int i = 0; i < e.count; i++) {
        int found = 0;
        for (int32_t k = 0; k < deep_optimizer_kind_count(); k++)
            found += deep_optimizer_kind_at(k) == e.values[i];
        ck_assert_msg(found == 1, "%s (%ld) is %d times in the kind list", e.names[i], e.values[i], found);
        deep_optimizer_kind kind = (deep_optimizer_kind)e.values[i];
        const char *name = deep_optimizer_kind_name(kind);
        ck_assert_msg(name != NULL && same_ignoring_case(name, e.names[i] + strlen("DEEP_OPTIMIZER_")),
                      "%s is called '%s'", e.names[i], name ? name : "(null)");
        ck_assert_int_eq(deep_optimizer_kind_by_name(name), kind);
        deep_optimizer *opt = make(kind);
        deep_optimizer_free(opt);
    }
    ck_assert_int_eq(deep_optimizer_kind_at(-1), 0);
    ck_assert_int_eq(deep_optimizer_kind_at(deep_optimizer_kind_count()), 0);
    ck_assert_int_eq(deep_optimizer_kind_by_name("adam"), 0); /* Keras' spelling only */
    ck_assert_int_eq(deep_optimizer_option_by_name("Beta_1"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("optim");
    TCase *api = tcase_create("api");
    tcase_add_test(api, new_and_free);
    tcase_add_test(api, defaults_match_keras);
    tcase_add_test(api, get_after_set);
    tcase_add_test(api, null_arguments);
    tcase_add_test(api, rejects_bad_values);
    tcase_add_test(api, option_not_applicable);
    tcase_add_test(api, lists_cover_every_enumerator);
    suite_add_tcase(s, api);

    TCase *steps = tcase_create("steps");
    tcase_add_loop_test(steps, matches_reference, 0, CONFIG_COUNT);
    tcase_add_test(steps, adam_bias_correction);
    tcase_add_test(steps, keras_epsilon_placement);
    tcase_add_loop_test(steps, minimises_quadratic, 0, QUADRATIC_COUNT);
    suite_add_tcase(s, steps);

    TCase *state = tcase_create("state");
    tcase_add_loop_test(state, split_ranges_match_one_range, 0, CONFIG_COUNT);
    tcase_add_loop_test(state, concurrent_updates, 0, CONFIG_COUNT);
    tcase_add_loop_test(state, slots_are_independent, 0, CONFIG_COUNT);
    tcase_add_loop_test(state, rebind_resets_state, 0, CONFIG_COUNT);
    tcase_add_test(state, bind_misuse);
    tcase_add_test(state, update_ignores_impossible_calls);
    suite_add_tcase(s, state);

    return run_suite(s, CK_NORMAL);
}
