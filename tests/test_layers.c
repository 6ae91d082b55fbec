/* Tests of libdeep/layers, the activation kernels and the matrix product. Each layer is
 * driven on its own through its ops table, with no model around it: the test sets the
 * input shape and the configuration, builds the layer, owns its parameter memory and calls
 * forward/backward.
 *
 * DESIGN.md: "Every trainable layer has a finite-difference gradient check in its tests."
 * One checker (grad_check_run, in gradcheck.h) serves every layer: with L = sum_i R_i * out_i
 * for a fixed random R, dL/dout = R is what backward receives, and central differences of L
 * give the numeric dL/dparam and dL/din to compare with what backward wrote. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "kernels/kernels.h"
#include "layers/layer.h"
#include "losses/loss.h"

#include "check_helpers.h"
#include "header_enums.h"

/* Finite differences in float: a step of 5e-3 keeps rounding noise (the loss itself is
 * summed in double) well below the absolute floor, and the curvature error tiny. */
#define STEP 5e-3f
#define REL_TOL 1e-2
#define ABS_TOL 1e-3
/* Inputs, kernels and biases stay within [-1, 1], so one step moves a pre-activation by
 * at most STEP; keeping every pre-activation 2 * STEP away from 0 keeps relu and
 * leaky_relu on one side of their kink for the whole difference. */
#define KINK_MARGIN (2 * STEP)

#define GRADCHECK_STEP STEP
#define GRADCHECK_REL_TOL REL_TOL
#define GRADCHECK_ABS_TOL ABS_TOL
#include "gradcheck.h"

/* ----------------------------------------------------------------------------------- */
/* Activations: the table every test loops over, with references in double from libm     */
/* ----------------------------------------------------------------------------------- */

static double ref_linear(double x) { return x; }
static double ref_relu(double x) { return x > 0 ? x : 0; }
static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ref_tanh(double x) { return tanh(x); }
static double ref_leaky_relu(double x) { return x > 0 ? x : 0.3 * x; }
static double ref_elu(double x) { return x > 0 ? x : expm1(x); }
/* The new activations, from Keras' definitions (keras/src/activations/activations.py). */
static double ref_gelu(double x) { return 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double ref_gelu_tanh(double x) { return 0.5 * x * (1 + tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x))); /* sqrt(2/pi) */ }
static double ref_silu(double x) { return x / (1 + exp(-x)); }
static double ref_softplus(double x) { return log1p(exp(x)); }
static double ref_softsign(double x) { return x / (1 + fabs(x)); }
static double ref_selu(double x)
{
    const double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
    return scale * (x > 0 ? x : alpha * expm1(x));
}
static double ref_relu6(double x) { return fmin(fmax(x, 0), 6); }
static double ref_hard_sigmoid(double x) { return ref_relu6(x + 3) / 6; }

static const struct {
    deep_activation activation;
    const char *name;
    double (*f)(double); /* NULL for softmax and log_softmax, which work on whole rows */
} activations[] = {
    {DEEP_ACTIVATION_LINEAR, "linear", ref_linear},
    {DEEP_ACTIVATION_RELU, "relu", ref_relu},
    {DEEP_ACTIVATION_SIGMOID, "sigmoid", ref_sigmoid},
    {DEEP_ACTIVATION_TANH, "tanh", ref_tanh},
    {DEEP_ACTIVATION_SOFTMAX, "softmax", NULL},
    {DEEP_ACTIVATION_LEAKY_RELU, "leaky_relu", ref_leaky_relu},
    {DEEP_ACTIVATION_ELU, "elu", ref_elu},
    {DEEP_ACTIVATION_GELU, "gelu", ref_gelu},
    {DEEP_ACTIVATION_GELU_TANH, "gelu_tanh", ref_gelu_tanh},
    {DEEP_ACTIVATION_SILU, "silu", ref_silu},
    {DEEP_ACTIVATION_SOFTPLUS, "softplus", ref_softplus},
    {DEEP_ACTIVATION_SOFTSIGN, "softsign", ref_softsign},
    {DEEP_ACTIVATION_SELU, "selu", ref_selu},
    {DEEP_ACTIVATION_HARD_SIGMOID, "hard_sigmoid", ref_hard_sigmoid},
    {DEEP_ACTIVATION_EXPONENTIAL, "exponential", exp},
    {DEEP_ACTIVATION_RELU6, "relu6", ref_relu6},
    {DEEP_ACTIVATION_LOG_SOFTMAX, "log_softmax", NULL},
};

/* The derivative of any element-wise activation at x: from the output, or for gelu and
 * silu (deep_activation_needs_input) from the input, as the layers call them. */
static void backward_at(deep_activation activation, const float *x, const float *y, float *grad, int64_t n)
{
    if (deep_activation_needs_input(activation))
        deep_activation_backward_input(activation, x, grad, n);
    else
        deep_activation_backward(activation, y, grad, 1, n);
}

/* Softmax of one row in double, shifted by the maximum. */
static void ref_softmax(const double *x, double *y, int n)
{
    double max = x[0], sum = 0;
    for (int j = 1; j < n; j++)
        max = x[j] > max ? x[j] : max;
    for (int j = 0; j < n; j++)
        sum += (y[j] = exp(x[j] - max));
    for (int j = 0; j < n; j++)
        y[j] /= sum;
}

/* ----------------------------------------------------------------------------------- */
/* Standalone layers                                                                     */
/* ----------------------------------------------------------------------------------- */

/* Builds the layer, gives every parameter memory of its own (the model's job) and runs
 * the layer's initialiser from a generator seeded with `seed`. */
static void layer_setup(deep_layer *layer, int32_t in_rank, const int64_t *in_shape, uint64_t seed)
{
    layer_build_and_alloc(layer, in_rank, in_shape);
    if (layer->ops->init != NULL) {
        struct deep_rng rng;
        deep_rng_init(&rng, seed);
        layer->ops->init(layer, &rng);
    }
}

static deep_layer dense_layer(int64_t units, deep_activation activation, bool use_bias)
{
    return (deep_layer){.ops = &deep_dense_ops,
                        .cfg.dense = {.units = units, .activation = activation, .use_bias = use_bias}};
}

/* The smallest |pre-activation| the layer's input produces: the layer run with a linear
 * activation (sharing its parameters), so this serves Dense and Activation alike. */
static double min_abs_pre_activation(const deep_layer *layer, const float *in, int64_t batch)
{
    deep_layer linear = *layer;
    if (layer->ops == &deep_activation_ops)
        linear.cfg.activation.activation = DEEP_ACTIVATION_LINEAR;
    else
        linear.cfg.dense.activation = DEEP_ACTIVATION_LINEAR;
    deep_exec ex = {0};
    float *z = floats(batch * layer->out_size);
    linear.ops->forward(&linear, &ex, in, z, NULL, batch);
    double smallest = INFINITY;
    for (int64_t i = 0; i < batch * layer->out_size; i++)
        smallest = fmin(smallest, fabs((double)z[i]));
    free(z);
    return smallest;
}

/* Draws in[batch * in_size] uniform in [lo, hi) until no pre-activation is near a kink. */
static void draw_inputs_away_from_kinks(const deep_layer *layer, struct deep_rng *rng, float *in, int64_t batch,
                                        float lo, float hi)
{
    for (int attempt = 0; attempt < 1000; attempt++) {
        fill_uniform(rng, in, batch * layer->in_size, lo, hi);
        if (min_abs_pre_activation(layer, in, batch) > KINK_MARGIN)
            return;
    }
    ck_abort_msg("%s: could not draw inputs with every pre-activation beyond %g of zero", layer->ops->type,
                 (double)KINK_MARGIN);
}

/* ----------------------------------------------------------------------------------- */
/* Activation kernels                                                                    */
/* ----------------------------------------------------------------------------------- */

START_TEST(activation_names_and_validity)
{
    for (int i = 0; i < COUNT_OF(activations); i++) {
        ck_assert(deep_activation_is_valid(activations[i].activation));
        ck_assert_str_eq(deep_activation_name(activations[i].activation), activations[i].name);
    }
    ck_assert(!deep_activation_is_valid((deep_activation)-1));
    ck_assert(!deep_activation_is_valid((deep_activation)(DEEP_ACTIVATION_LOG_SOFTMAX + 1)));
    ck_assert_int_eq(COUNT_OF(activations), DEEP_ACTIVATION_LOG_SOFTMAX + 1); /* every one is in the table */
    ck_assert_str_eq(deep_activation_name((deep_activation)99), "unknown");
    /* Every activation of deep.h is valid and named as its enumerator spells it. */
    header_enum e;
    header_enum_read("deep_activation", &e);
    ck_assert_int_eq(e.count, COUNT_OF(activations));
    for (int i = 0; i < e.count; i++) {
        char name[64];
        const char *suffix = e.names[i] + strlen("DEEP_ACTIVATION_");
        for (size_t k = 0; k <= strlen(suffix); k++)
            name[k] = (char)tolower((unsigned char)suffix[k]);
        ck_assert_msg(deep_activation_is_valid((deep_activation)e.values[i]), "%s is not valid", e.names[i]);
        ck_assert_str_eq(deep_activation_name((deep_activation)e.values[i]), name);
    }
}
END_TEST

static const float sample_points[] = {-6.0f, -2.5f, -0.7f, -0.05f, 0.05f, 0.6f, 2.2f, 7.0f};

START_TEST(activation_forward_matches_libm)
{
    if (activations[_i].f == NULL)
        return; /* softmax: see the row tests */
    float x[COUNT_OF(sample_points)];
    memcpy(x, sample_points, sizeof x);
    deep_activation_forward(activations[_i].activation, x, 1, COUNT_OF(x));
    for (int i = 0; i < COUNT_OF(x); i++) {
        double want = activations[_i].f(sample_points[i]);
        ck_assert_msg(within(x[i], want, 1e-5, 1e-7), "%s(%g) = %.9g, libm gives %.9g", activations[_i].name,
                      (double)sample_points[i], (double)x[i], want);
    }
}
END_TEST

/* Backward is written in terms of the output; it must equal the derivative of f at the
 * input, here the central difference of the double reference. */
START_TEST(activation_backward_matches_derivative)
{
    if (activations[_i].f == NULL)
        return; /* softmax: see softmax_backward_matches_jacobian */
    float y[COUNT_OF(sample_points)], grad[COUNT_OF(sample_points)];
    memcpy(y, sample_points, sizeof y);
    deep_activation_forward(activations[_i].activation, y, 1, COUNT_OF(y));
    for (int i = 0; i < COUNT_OF(grad); i++)
        grad[i] = 1.0f;
    backward_at(activations[_i].activation, sample_points, y, grad, COUNT_OF(grad));
    for (int i = 0; i < COUNT_OF(grad); i++) {
        double x = sample_points[i], h = 1e-6;
        double numeric = (activations[_i].f(x + h) - activations[_i].f(x - h)) / (2 * h);
        ck_assert_msg(within(grad[i], numeric, 1e-4, 1e-6), "%s'(%g): backward gives %.9g, numeric %.9g",
                      activations[_i].name, x, (double)grad[i], numeric);
    }
}
END_TEST

/* Upstream gradients are scaled, not replaced: backward of g must be g * f'(x). */
START_TEST(activation_backward_scales_upstream_gradient)
{
    if (activations[_i].f == NULL)
        return;
    float y[COUNT_OF(sample_points)], grad[COUNT_OF(sample_points)];
    memcpy(y, sample_points, sizeof y);
    deep_activation_forward(activations[_i].activation, y, 1, COUNT_OF(y));
    for (int i = 0; i < COUNT_OF(grad); i++)
        grad[i] = -1.5f + 0.5f * (float)i;
    backward_at(activations[_i].activation, sample_points, y, grad, COUNT_OF(grad));
    for (int i = 0; i < COUNT_OF(grad); i++) {
        double x = sample_points[i], h = 1e-6;
        double want = (-1.5 + 0.5 * i) * (activations[_i].f(x + h) - activations[_i].f(x - h)) / (2 * h);
        ck_assert_msg(within(grad[i], want, 1e-4, 1e-6), "%s at %g, upstream %g: backward gives %.9g, want %.9g",
                      activations[_i].name, x, -1.5 + 0.5 * i, (double)grad[i], want);
    }
}
END_TEST

START_TEST(activation_finite_for_huge_inputs)
{
    const float in[] = {-1e4f, -100.0f, 100.0f, 1e4f};
    float x[] = {-1e4f, -100.0f, 100.0f, 1e4f};
    deep_activation_forward(activations[_i].activation, x, 2, 2);
    float grad[] = {1, 1, 1, 1};
    if (deep_activation_needs_input(activations[_i].activation))
        deep_activation_backward_input(activations[_i].activation, in, grad, 4);
    else
        deep_activation_backward(activations[_i].activation, x, grad, 2, 2);
    for (int i = 0; i < COUNT_OF(x); i++) {
        ck_assert_msg(!isnan(x[i]) && !isnan(grad[i]), "%s: element %d gives %g with gradient %g",
                      activations[_i].name, i, (double)x[i], (double)grad[i]);
        /* Unbounded ones may overflow to infinity (exponential, as Keras' e^x) but never NaN. */
        const deep_activation a = activations[_i].activation;
        if (a != DEEP_ACTIVATION_LINEAR && a != DEEP_ACTIVATION_RELU && a != DEEP_ACTIVATION_LEAKY_RELU &&
            a != DEEP_ACTIVATION_GELU && a != DEEP_ACTIVATION_GELU_TANH && a != DEEP_ACTIVATION_SILU &&
            a != DEEP_ACTIVATION_SOFTPLUS && a != DEEP_ACTIVATION_SELU && a != DEEP_ACTIVATION_EXPONENTIAL)
            ck_assert_msg(isfinite(x[i]), "%s: element %d gives %g", activations[_i].name, i, (double)x[i]);
    }
}
END_TEST

START_TEST(softmax_matches_reference_and_rows_sum_to_one)
{
    enum { ROWS = 4, WIDTH = 5 };
    float x[ROWS * WIDTH];
    struct deep_rng rng;
    deep_rng_init(&rng, 11);
    fill_uniform(&rng, x, ROWS * WIDTH, -4.0f, 4.0f);
    double xd[ROWS * WIDTH], want[ROWS * WIDTH];
    for (int i = 0; i < ROWS * WIDTH; i++)
        xd[i] = x[i];
    for (int r = 0; r < ROWS; r++)
        ref_softmax(xd + r * WIDTH, want + r * WIDTH, WIDTH);
    deep_activation_forward(DEEP_ACTIVATION_SOFTMAX, x, ROWS, WIDTH);
    for (int r = 0; r < ROWS; r++) {
        double sum = 0;
        for (int j = 0; j < WIDTH; j++) {
            int i = r * WIDTH + j;
            ck_assert_msg(within(x[i], want[i], 1e-5, 1e-8), "softmax row %d column %d: %.9g, reference %.9g", r, j,
                          (double)x[i], want[i]);
            sum += x[i];
        }
        ck_assert_msg(fabs(sum - 1.0) < 1e-5, "softmax row %d sums to %.9g", r, sum);
    }
}
END_TEST

START_TEST(softmax_stable_for_huge_inputs)
{
    /* Naive exp(1e4) overflows to infinity and inf / inf is NaN. */
    float x[] = {1e4f, 0.0f, -1e4f, 1e4f - 1.0f, /* mixed */
                 1e4f, 1e4f, 1e4f, 1e4f,         /* all huge: uniform */
                 -1e4f, -1e4f, -1e4f, -1e4f};    /* all tiny: uniform */
    double xd[COUNT_OF(x)], want[COUNT_OF(x)];
    for (int i = 0; i < COUNT_OF(x); i++)
        xd[i] = x[i];
    for (int r = 0; r < 3; r++)
        ref_softmax(xd + 4 * r, want + 4 * r, 4);
    deep_activation_forward(DEEP_ACTIVATION_SOFTMAX, x, 3, 4);
    for (int r = 0; r < 3; r++) {
        double sum = 0;
        for (int j = 0; j < 4; j++) {
            int i = 4 * r + j;
            ck_assert_msg(isfinite(x[i]), "softmax row %d column %d is %g", r, j, (double)x[i]);
            ck_assert_msg(within(x[i], want[i], 1e-5, 1e-7), "softmax row %d column %d: %.9g, reference %.9g", r,
                          j, (double)x[i], want[i]);
            sum += x[i];
        }
        ck_assert_msg(fabs(sum - 1.0) < 1e-6, "softmax row %d sums to %.9g", r, sum);
    }
}
END_TEST

/* Softmax backward is the Jacobian-vector product of each row: dL/dx_j = d/dx_j sum_k g_k y_k. */
START_TEST(softmax_backward_matches_jacobian)
{
    enum { ROWS = 3, WIDTH = 5 };
    float y[ROWS * WIDTH], grad[ROWS * WIDTH];
    struct deep_rng rng;
    deep_rng_init(&rng, 12);
    fill_uniform(&rng, y, ROWS * WIDTH, -3.0f, 3.0f);
    fill_uniform(&rng, grad, ROWS * WIDTH, -1.0f, 1.0f);
    double x[ROWS * WIDTH], g[ROWS * WIDTH];
    for (int i = 0; i < ROWS * WIDTH; i++) {
        x[i] = y[i];
        g[i] = grad[i];
    }
    deep_activation_forward(DEEP_ACTIVATION_SOFTMAX, y, ROWS, WIDTH);
    deep_activation_backward(DEEP_ACTIVATION_SOFTMAX, y, grad, ROWS, WIDTH);
    for (int r = 0; r < ROWS; r++)
        for (int j = 0; j < WIDTH; j++) {
            double *xr = x + r * WIDTH, saved = xr[j], h = 1e-6, loss[2];
            for (int side = 0; side < 2; side++) {
                double out[WIDTH];
                xr[j] = saved + (side ? -h : h);
                ref_softmax(xr, out, WIDTH);
                loss[side] = 0;
                for (int k = 0; k < WIDTH; k++)
                    loss[side] += g[r * WIDTH + k] * out[k];
            }
            xr[j] = saved;
            double numeric = (loss[0] - loss[1]) / (2 * h);
            ck_assert_msg(within(grad[r * WIDTH + j], numeric, 1e-4, 1e-6),
                          "softmax backward row %d column %d: %.9g, numeric %.9g", r, j,
                          (double)grad[r * WIDTH + j], numeric);
        }
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Dense                                                                                 */
/* ----------------------------------------------------------------------------------- */

enum { BATCH = 3, INPUTS = 5, UNITS = 4 };

START_TEST(dense_build_declares_kernel_and_bias)
{
    bool use_bias = _i;
    deep_layer layer = dense_layer(UNITS, DEEP_ACTIVATION_RELU, use_bias);
    ck_assert_int_eq(layer_try_build(&layer, 1, (int64_t[]){INPUTS}), DEEP_OK);
    ck_assert_int_eq(layer.out_rank, 1);
    ck_assert_int_eq(layer.out_shape[0], UNITS);
    ck_assert_int_eq(layer.out_size, UNITS);
    ck_assert_int_eq(layer.param_count, use_bias ? 2 : 1);
    ck_assert_str_eq(layer.params[0].name, "kernel");
    ck_assert_int_eq(layer.params[0].rank, 2);
    ck_assert_int_eq(layer.params[0].shape[0], INPUTS); /* (inputs, units), as Keras stores it */
    ck_assert_int_eq(layer.params[0].shape[1], UNITS);
    ck_assert_int_eq(layer.params[0].size, INPUTS * UNITS);
    if (use_bias) {
        ck_assert_str_eq(layer.params[1].name, "bias");
        ck_assert_int_eq(layer.params[1].rank, 1);
        ck_assert_int_eq(layer.params[1].shape[0], UNITS);
        ck_assert_int_eq(layer.params[1].size, UNITS);
    }
    ck_assert_int_eq(layer.scratch_size, 0);
}
END_TEST

/* Keras' Dense on a rank-2 or rank-3 input acts on the last axis (TimeDistributed(Dense)):
 * (2, 3, 4) -> (2, 3, units) with a (4, units) kernel, and each row of 4 gives the same
 * output as a rank-1 Dense with the same weights; a softmax normalises every row. */
START_TEST(dense_acts_on_the_last_axis)
{
    enum { B = 2, ROWS = 6, FEATURES = 4 };
    static const int64_t shape[] = {2, 3, FEATURES};
    for (int32_t rank = 2; rank <= 3; rank++) {
        const int64_t *in_shape = shape + 3 - rank;
        int64_t rows = rank == 2 ? 3 : ROWS;
        deep_layer layer = dense_layer(UNITS, DEEP_ACTIVATION_SOFTMAX, true);
        ck_assert_int_eq(layer_try_build(&layer, rank, in_shape), DEEP_OK);
        ck_assert_int_eq(layer.out_rank, rank);
        for (int32_t d = 0; d + 1 < rank; d++)
            ck_assert_int_eq(layer.out_shape[d], in_shape[d]);
        ck_assert_int_eq(layer.out_shape[rank - 1], UNITS);
        ck_assert_int_eq(layer.params[0].shape[0], FEATURES);
        ck_assert_int_eq(layer.params[0].shape[1], UNITS);
        layer_build_and_alloc(&layer, rank, in_shape);
        struct deep_rng rng;
        deep_rng_init(&rng, 11);
        for (int32_t p = 0; p < layer.param_count; p++)
            fill_uniform(&rng, layer.params[p].value, layer.params[p].size, -1.0f, 1.0f);
        deep_layer row = dense_layer(UNITS, DEEP_ACTIVATION_SOFTMAX, true);
        ck_assert_int_eq(layer_try_build(&row, 1, (int64_t[]){FEATURES}), DEEP_OK);
        for (int32_t p = 0; p < row.param_count; p++)
            row.params[p] = layer.params[p];
        float in[B * ROWS * FEATURES], out[B * ROWS * UNITS], want[B * ROWS * UNITS];
        fill_uniform(&rng, in, B * rows * FEATURES, -1.0f, 1.0f);
        deep_exec ex = {0};
        layer.ops->forward(&layer, &ex, in, out, NULL, B);
        row.ops->forward(&row, &ex, in, want, NULL, B * rows);
        for (int64_t r = 0; r < B * rows; r++) {
            double sum = 0;
            for (int j = 0; j < UNITS; j++) {
                ck_assert_msg(out[r * UNITS + j] == want[r * UNITS + j], "rank %d, row %lld, unit %d: %g, want %g",
                              rank, (long long)r, j, (double)out[r * UNITS + j], (double)want[r * UNITS + j]);
                sum += out[r * UNITS + j];
            }
            ck_assert_msg(fabs(sum - 1) < 1e-5, "rank %d: row %lld of the softmax sums to %g", rank, (long long)r, sum);
        }
        layer_release(&layer);
    }
}
END_TEST

/* Per-step Dense: finite differences on a (3, INPUTS) sample, for every activation
 * (softmax over each row), and with a fused softmax output. */
START_TEST(dense_sequence_gradients)
{
    enum { STEPS = 3 };
    int a = _i % COUNT_OF(activations);
    bool fused = _i >= COUNT_OF(activations);
    deep_activation activation = fused ? DEEP_ACTIVATION_SOFTMAX : activations[a].activation;
    if (fused && a > 0)
        return; /* one fused case is enough */
    char what[64];
    snprintf(what, sizeof what, "dense(%s) on (%d, %d)%s", deep_activation_name(activation), STEPS, INPUTS,
             fused ? ", fused output" : "");
    deep_layer layer = dense_layer(UNITS, activation, true);
    layer_build_and_alloc(&layer, 2, (int64_t[]){STEPS, INPUTS});
    struct deep_rng rng;
    deep_rng_init(&rng, 900 + (uint64_t)_i);
    for (int32_t p = 0; p < layer.param_count; p++)
        fill_uniform(&rng, layer.params[p].value, layer.params[p].size, -1.0f, 1.0f);
    float in[BATCH * STEPS * INPUTS];
    draw_inputs_away_from_kinks(&layer, &rng, in, BATCH, -1.0f, 1.0f);
    deep_layer linear = layer;
    linear.cfg.dense.activation = DEEP_ACTIVATION_LINEAR;
    grad_check gc = {.what = what, .layer = &layer, .objective = fused ? &linear : NULL,
                     .ex = {.training = true, .fused_output = fused}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    layer_release(&layer);
}
END_TEST

START_TEST(dense_init_glorot_uniform_and_zero_bias)
{
    deep_layer a = dense_layer(UNITS, DEEP_ACTIVATION_LINEAR, true), b = a;
    layer_setup(&a, 1, (int64_t[]){INPUTS}, 7);
    layer_setup(&b, 1, (int64_t[]){INPUTS}, 7);
    float limit = sqrtf(6.0f / (INPUTS + UNITS));
    double sum_abs = 0;
    for (int64_t i = 0; i < a.params[0].size; i++) {
        float w = a.params[0].value[i];
        ck_assert_msg(fabsf(w) <= limit, "kernel[%lld] = %g outside +-%g", (long long)i, (double)w, (double)limit);
        ck_assert_msg(w == b.params[0].value[i], "kernel[%lld] differs between two inits with the same seed",
                      (long long)i);
        sum_abs += fabsf(w);
    }
    /* Uniform on [-limit, limit] has mean |w| = limit / 2. */
    ck_assert_msg(sum_abs / (double)a.params[0].size > 0.25 * limit, "kernel is nearly all zero");
    for (int64_t i = 0; i < UNITS; i++)
        ck_assert_msg(a.params[1].value[i] == 0.0f, "bias[%lld] = %g, expected 0", (long long)i,
                      (double)a.params[1].value[i]);
    layer_release(&a);
    layer_release(&b);
}
END_TEST

/* A Dense layer with its kernel from init, a random bias, and inputs in [-1, 1] that keep
 * every pre-activation away from the kinks. */
static void dense_case(deep_layer *layer, float *in, uint64_t seed)
{
    layer_setup(layer, 1, (int64_t[]){INPUTS}, seed);
    struct deep_rng rng;
    deep_rng_init(&rng, seed + 1);
    if (layer->cfg.dense.use_bias)
        fill_uniform(&rng, layer->params[1].value, UNITS, -0.5f, 0.5f);
    draw_inputs_away_from_kinks(layer, &rng, in, BATCH, -1.0f, 1.0f);
}

/* Loop index: activation (i / 2) with and without bias (i % 2). */
START_TEST(dense_gradients)
{
    int a = _i / 2;
    bool use_bias = _i % 2;
    char what[64];
    snprintf(what, sizeof what, "dense(%s, %s)", activations[a].name, use_bias ? "bias" : "no bias");
    deep_layer layer = dense_layer(UNITS, activations[a].activation, use_bias);
    float in[BATCH * INPUTS];
    dense_case(&layer, in, 100 + (uint64_t)_i);
    grad_check gc = {.what = what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    layer_release(&layer);
}
END_TEST

/* With fused_output the loss has already taken the activation's derivative: backward must
 * read grad_out as dL/dz for z = in . kernel + bias. The objective is therefore the same
 * layer with a linear activation (sharing its parameters), and the kernel grad must be
 * exactly in^T . grad_out. The pairs are the ones the losses fuse (losses/loss.h). */
static const struct {
    deep_loss loss;
    deep_activation activation;
} fused_pairs[] = {
    {DEEP_LOSS_CATEGORICAL_CROSSENTROPY, DEEP_ACTIVATION_SOFTMAX},
    {DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, DEEP_ACTIVATION_SOFTMAX},
    {DEEP_LOSS_BINARY_CROSSENTROPY, DEEP_ACTIVATION_SIGMOID},
};

START_TEST(dense_fused_output_takes_pre_activation_gradient)
{
    deep_activation activation = fused_pairs[_i].activation;
    ck_assert_msg(deep_loss_fuses_with(fused_pairs[_i].loss, activation), "loss %d no longer fuses with %s",
                  (int)fused_pairs[_i].loss, deep_activation_name(activation));
    char what[64];
    snprintf(what, sizeof what, "dense(%s, fused output)", deep_activation_name(activation));
    deep_layer layer = dense_layer(UNITS, activation, true);
    float in[BATCH * INPUTS];
    dense_case(&layer, in, 200 + (uint64_t)_i);
    deep_layer linear = layer;
    linear.cfg.dense.activation = DEEP_ACTIVATION_LINEAR;
    grad_check gc = {.what = what, .layer = &layer, .objective = &linear,
                     .ex = {.training = true, .fused_output = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);

    /* The same directly: kernel grad = in^T . grad_out, bias grad = column sums. */
    float out[BATCH * UNITS], grad_out[BATCH * UNITS], grad[BATCH * UNITS], grad_in[BATCH * INPUTS];
    struct deep_rng rng;
    deep_rng_init(&rng, 3);
    fill_uniform(&rng, grad_out, BATCH * UNITS, -1.0f, 1.0f);
    memcpy(grad, grad_out, sizeof grad);
    layer.ops->forward(&layer, &gc.ex, in, out, NULL, BATCH);
    layer.ops->backward(&layer, &gc.ex, in, out, grad, grad_in, NULL, BATCH);
    for (int i = 0; i < INPUTS; i++)
        for (int j = 0; j < UNITS; j++) {
            double want = 0;
            for (int b = 0; b < BATCH; b++)
                want += (double)in[b * INPUTS + i] * grad_out[b * UNITS + j];
            float got = layer.params[0].grad[i * UNITS + j];
            ck_assert_msg(within(got, want, 1e-5, 1e-6), "%s: kernel grad [%d][%d] = %.7g, in^T . grad_out = %.7g",
                          what, i, j, (double)got, want);
        }
    for (int j = 0; j < UNITS; j++) {
        double want = 0;
        for (int b = 0; b < BATCH; b++)
            want += grad_out[b * UNITS + j];
        ck_assert_msg(within(layer.params[1].grad[j], want, 1e-5, 1e-6), "%s: bias grad [%d] = %.7g, want %.7g",
                      what, j, (double)layer.params[1].grad[j], want);
    }
    layer_release(&layer);
}
END_TEST

/* The first layer of a model gets grad_in NULL: the parameter grads must not change. The
 * second backward also shows that grads are overwritten, not accumulated (layer.h). */
START_TEST(dense_backward_without_input_gradient)
{
    deep_layer layer = dense_layer(UNITS, DEEP_ACTIVATION_TANH, true);
    float in[BATCH * INPUTS], out[BATCH * UNITS], r[BATCH * UNITS], grad_out[BATCH * UNITS], grad_in[BATCH * INPUTS];
    dense_case(&layer, in, 300);
    struct deep_rng rng;
    deep_rng_init(&rng, 4);
    fill_uniform(&rng, r, BATCH * UNITS, -1.0f, 1.0f);
    deep_exec ex = {.training = true};
    layer.ops->forward(&layer, &ex, in, out, NULL, BATCH);

    memcpy(grad_out, r, sizeof r);
    layer.ops->backward(&layer, &ex, in, out, grad_out, grad_in, NULL, BATCH);
    float kernel_grad[INPUTS * UNITS], bias_grad[UNITS];
    memcpy(kernel_grad, layer.params[0].grad, sizeof kernel_grad);
    memcpy(bias_grad, layer.params[1].grad, sizeof bias_grad);

    memcpy(grad_out, r, sizeof r);
    layer.ops->backward(&layer, &ex, in, out, grad_out, NULL, NULL, BATCH);
    ck_assert_msg(memcmp(kernel_grad, layer.params[0].grad, sizeof kernel_grad) == 0,
                  "kernel grad changes when grad_in is NULL");
    ck_assert_msg(memcmp(bias_grad, layer.params[1].grad, sizeof bias_grad) == 0,
                  "bias grad changes when grad_in is NULL");
    layer_release(&layer);
}
END_TEST

/* Rows split across a pool must give exactly what one thread gives. */
START_TEST(dense_pool_matches_inline)
{
    enum { ROWS = 7 };
    deep_layer layer = dense_layer(UNITS, DEEP_ACTIVATION_SOFTMAX, true);
    layer_setup(&layer, 1, (int64_t[]){INPUTS}, 400);
    float in[ROWS * INPUTS], out[2][ROWS * UNITS], grad_out[ROWS * UNITS], grad[2][ROWS * UNITS];
    float grad_in[2][ROWS * INPUTS], kernel_grad[2][INPUTS * UNITS], bias_grad[2][UNITS];
    struct deep_rng rng;
    deep_rng_init(&rng, 5);
    fill_uniform(&rng, layer.params[1].value, UNITS, -0.5f, 0.5f);
    fill_uniform(&rng, in, ROWS * INPUTS, -1.0f, 1.0f);
    fill_uniform(&rng, grad_out, ROWS * UNITS, -1.0f, 1.0f);
    deep_pool *pool = NULL;
    ck_assert_int_eq(deep_pool_new(3, &pool), DEEP_OK);
    for (int k = 0; k < 2; k++) {
        deep_exec ex = {.pool = k ? pool : NULL, .training = true};
        memcpy(grad[k], grad_out, sizeof grad_out);
        layer.ops->forward(&layer, &ex, in, out[k], NULL, ROWS);
        layer.ops->backward(&layer, &ex, in, out[k], grad[k], grad_in[k], NULL, ROWS);
        memcpy(kernel_grad[k], layer.params[0].grad, sizeof kernel_grad[k]);
        memcpy(bias_grad[k], layer.params[1].grad, sizeof bias_grad[k]);
    }
    deep_pool_free(pool);
    ck_assert_msg(memcmp(out[0], out[1], sizeof out[0]) == 0, "forward differs with a pool of 3");
    ck_assert_msg(memcmp(grad_in[0], grad_in[1], sizeof grad_in[0]) == 0, "dL/din differs with a pool of 3");
    ck_assert_msg(memcmp(kernel_grad[0], kernel_grad[1], sizeof kernel_grad[0]) == 0,
                  "kernel grad differs with a pool of 3");
    ck_assert_msg(memcmp(bias_grad[0], bias_grad[1], sizeof bias_grad[0]) == 0, "bias grad differs with a pool of 3");
    layer_release(&layer);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Activation layer                                                                      */
/* ----------------------------------------------------------------------------------- */

/* Per-sample input of shape (2, 3): softmax runs along rows of 3. */
static const int64_t act_shape[] = {2, 3};
enum { ACT_SIZE = 6 };

START_TEST(activation_layer_keeps_shape)
{
    deep_layer layer = {.ops = &deep_activation_ops, .cfg.activation = {.activation = DEEP_ACTIVATION_RELU}};
    layer_setup(&layer, 3, (int64_t[]){2, 3, 4}, 1);
    ck_assert_int_eq(layer.out_rank, 3);
    ck_assert_int_eq(layer.out_shape[0], 2);
    ck_assert_int_eq(layer.out_shape[1], 3);
    ck_assert_int_eq(layer.out_shape[2], 4);
    ck_assert_int_eq(layer.out_size, 24);
    ck_assert_int_eq(layer.param_count, 0);
    ck_assert_ptr_null(layer.ops->init);
}
END_TEST

START_TEST(activation_layer_gradients)
{
    char what[64];
    snprintf(what, sizeof what, "activation(%s) on (2, 3)", activations[_i].name);
    deep_layer layer = {.ops = &deep_activation_ops, .cfg.activation = {.activation = activations[_i].activation}};
    layer_setup(&layer, 2, act_shape, 1);
    float in[BATCH * ACT_SIZE];
    struct deep_rng rng;
    deep_rng_init(&rng, 500 + (uint64_t)_i);
    draw_inputs_away_from_kinks(&layer, &rng, in, BATCH, -2.0f, 2.0f);
    grad_check gc = {.what = what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
}
END_TEST

START_TEST(activation_layer_softmax_along_last_axis)
{
    deep_layer layer = {.ops = &deep_activation_ops, .cfg.activation = {.activation = DEEP_ACTIVATION_SOFTMAX}};
    layer_setup(&layer, 2, act_shape, 1);
    float in[BATCH * ACT_SIZE], out[BATCH * ACT_SIZE];
    struct deep_rng rng;
    deep_rng_init(&rng, 6);
    fill_uniform(&rng, in, BATCH * ACT_SIZE, -3.0f, 3.0f);
    deep_exec ex = {0};
    layer.ops->forward(&layer, &ex, in, out, NULL, BATCH);
    for (int r = 0; r < BATCH * 2; r++) {
        double x[3], want[3];
        for (int j = 0; j < 3; j++)
            x[j] = in[3 * r + j];
        ref_softmax(x, want, 3);
        for (int j = 0; j < 3; j++)
            ck_assert_msg(within(out[3 * r + j], want[j], 1e-5, 1e-8),
                          "softmax over (2, 3): row %d column %d is %.7g, softmax of the row gives %.7g", r, j,
                          (double)out[3 * r + j], want[j]);
    }
}
END_TEST

START_TEST(activation_layer_fused_output_passes_gradient_through)
{
    deep_layer layer = {.ops = &deep_activation_ops, .cfg.activation = {.activation = DEEP_ACTIVATION_SOFTMAX}};
    layer_setup(&layer, 1, (int64_t[]){UNITS}, 1);
    float in[BATCH * UNITS], out[BATCH * UNITS], grad_out[BATCH * UNITS], grad[BATCH * UNITS], grad_in[BATCH * UNITS];
    struct deep_rng rng;
    deep_rng_init(&rng, 7);
    fill_uniform(&rng, in, BATCH * UNITS, -2.0f, 2.0f);
    fill_uniform(&rng, grad_out, BATCH * UNITS, -1.0f, 1.0f);
    memcpy(grad, grad_out, sizeof grad);
    deep_exec ex = {.training = true, .fused_output = true};
    layer.ops->forward(&layer, &ex, in, out, NULL, BATCH);
    layer.ops->backward(&layer, &ex, in, out, grad, grad_in, NULL, BATCH);
    ck_assert_msg(memcmp(grad_in, grad_out, sizeof grad_in) == 0,
                  "with fused_output, activation(softmax) must pass dL/dz through unchanged");
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Dropout                                                                               */
/* ----------------------------------------------------------------------------------- */

START_TEST(dropout_build_keeps_shape_and_mask_scratch)
{
    deep_layer layer = {.ops = &deep_dropout_ops, .cfg.dropout = {.rate = 0.5f}};
    layer_setup(&layer, 2, act_shape, 1);
    ck_assert_int_eq(layer.out_rank, 2);
    ck_assert_int_eq(layer.out_shape[0], 2);
    ck_assert_int_eq(layer.out_shape[1], 3);
    ck_assert_int_eq(layer.scratch_size, ACT_SIZE); /* one mask value per input */
    ck_assert_int_eq(layer.param_count, 0);
}
END_TEST

START_TEST(dropout_training_gradients)
{
    deep_layer layer = {.ops = &deep_dropout_ops, .cfg.dropout = {.rate = 0.4f}};
    layer_setup(&layer, 2, act_shape, 1);
    float in[BATCH * ACT_SIZE];
    struct deep_rng rng, mask_rng;
    deep_rng_init(&rng, 8);
    fill_uniform(&rng, in, BATCH * ACT_SIZE, -2.0f, 2.0f);
    grad_check gc = {.what = "dropout(0.4, training)", .layer = &layer, .ex = {.rng = &mask_rng, .training = true},
                     .mask_seed = 99, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
}
END_TEST

/* Identity in both directions: at inference (no generator) and at rate 0 in training. */
START_TEST(dropout_identity_cases)
{
    static const struct {
        const char *what;
        float rate;
        bool training;
    } cases[] = {{"dropout(0.5) at inference", 0.5f, false}, {"dropout(0) in training", 0.0f, true}};
    enum { N = BATCH * ACT_SIZE };
    deep_layer layer = {.ops = &deep_dropout_ops, .cfg.dropout = {.rate = cases[_i].rate}};
    layer_setup(&layer, 2, act_shape, 1);
    float in[N], out[N], scratch[N], grad_out[N], grad[N], grad_in[N];
    struct deep_rng rng;
    deep_rng_init(&rng, 9);
    fill_uniform(&rng, in, N, -2.0f, 2.0f);
    fill_uniform(&rng, grad_out, N, -1.0f, 1.0f);
    memcpy(grad, grad_out, sizeof grad);
    deep_exec ex = {.rng = cases[_i].training ? &rng : NULL, .training = cases[_i].training};
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    layer.ops->backward(&layer, &ex, in, out, grad, grad_in, scratch, BATCH);
    ck_assert_msg(memcmp(out, in, sizeof in) == 0, "%s: forward is not the identity", cases[_i].what);
    ck_assert_msg(memcmp(grad_in, grad_out, sizeof grad_in) == 0, "%s: backward is not the identity",
                  cases[_i].what);
}
END_TEST

START_TEST(dropout_keeps_one_minus_rate_scaled)
{
    enum { N = 10000 };
    const float rate = 0.3f, scale = 1.0f / (1.0f - 0.3f);
    deep_layer layer = {.ops = &deep_dropout_ops, .cfg.dropout = {.rate = rate}};
    layer_setup(&layer, 1, (int64_t[]){N}, 1);
    float *in = floats(N), *out = floats(N), *mask = floats(N), *again = floats(N);
    for (int i = 0; i < N; i++)
        in[i] = 1.0f + (float)(i % 7);
    struct deep_rng rng;
    deep_rng_init(&rng, 10);
    deep_exec ex = {.rng = &rng, .training = true};
    layer.ops->forward(&layer, &ex, in, out, mask, 1);
    int kept = 0;
    for (int i = 0; i < N; i++) {
        if (out[i] == 0.0f)
            continue;
        kept++;
        ck_assert_msg(out[i] == in[i] * scale, "dropout(0.3): kept element %d is %.7g, expected %.7g * 1/(1-rate)",
                      i, (double)out[i], (double)in[i]);
    }
    /* Binomial(10000, 0.7) has a standard deviation of 0.0046 in the fraction: 0.02 is > 4 sigma. */
    double fraction = kept / (double)N;
    ck_assert_msg(fabs(fraction - (1.0 - rate)) < 0.02, "dropout(0.3) keeps %.4f of the inputs, expected about 0.7",
                  fraction);

    /* The generator fixes the mask: the same seed drops the same elements. */
    deep_rng_init(&rng, 10);
    layer.ops->forward(&layer, &ex, in, again, mask, 1);
    ck_assert_msg(memcmp(out, again, N * sizeof *out) == 0, "dropout: the same seed gives a different mask");
    free(in);
    free(out);
    free(mask);
    free(again);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Flatten                                                                               */
/* ----------------------------------------------------------------------------------- */

START_TEST(flatten_shape_inference)
{
    deep_layer layer = {.ops = &deep_flatten_ops};
    layer_setup(&layer, 3, (int64_t[]){2, 3, 4}, 1);
    ck_assert_int_eq(layer.out_rank, 1);
    ck_assert_int_eq(layer.out_shape[0], 24);
    ck_assert_int_eq(layer.out_size, 24);
    ck_assert_int_eq(layer.param_count, 0);
    ck_assert_int_eq(layer.scratch_size, 0);

    /* Flatten makes Dense accept what it rejected. */
    deep_layer dense = dense_layer(UNITS, DEEP_ACTIVATION_LINEAR, true);
    ck_assert_int_eq(layer_try_build(&dense, layer.out_rank, layer.out_shape), DEEP_OK);
    ck_assert_int_eq(dense.params[0].shape[0], 24);
}
END_TEST

START_TEST(flatten_forward_backward_copy)
{
    enum { N = 2 * 24 };
    deep_layer layer = {.ops = &deep_flatten_ops};
    layer_setup(&layer, 3, (int64_t[]){2, 3, 4}, 1);
    float in[N], out[N], grad_out[N], grad[N], grad_in[N];
    struct deep_rng rng;
    deep_rng_init(&rng, 13);
    fill_uniform(&rng, in, N, -2.0f, 2.0f);
    fill_uniform(&rng, grad_out, N, -1.0f, 1.0f);
    memcpy(grad, grad_out, sizeof grad);
    deep_exec ex = {.training = true};
    layer.ops->forward(&layer, &ex, in, out, NULL, 2);
    layer.ops->backward(&layer, &ex, in, out, grad, grad_in, NULL, 2);
    ck_assert_msg(memcmp(out, in, sizeof in) == 0, "flatten: forward is not a copy");
    ck_assert_msg(memcmp(grad_in, grad_out, sizeof grad_in) == 0, "flatten: backward is not a copy");
    layer.ops->backward(&layer, &ex, in, out, grad, NULL, NULL, 2); /* first layer: nothing to write */
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* The checker itself: it must fail a wrong backward                                     */
/* ----------------------------------------------------------------------------------- */

/* A toy layer out = in * scale (elementwise) whose backward can be made wrong by 5%. */
static deep_status scale_build(deep_layer *layer)
{
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    deep_layer_declare_param(layer, 0, "scale", 1, &layer->in_size);
    return DEEP_OK;
}

static void scale_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                          int64_t batch)
{
    (void)ex;
    (void)scratch;
    for (int64_t i = 0; i < batch * layer->in_size; i++)
        out[i] = in[i] * layer->params[0].value[i % layer->in_size];
}

static void scale_backward_with(float error, deep_layer *layer, const float *in, const float *grad_out,
                                float *grad_in, int64_t batch)
{
    int64_t n = layer->in_size;
    for (int64_t j = 0; j < n; j++)
        layer->params[0].grad[j] = 0.0f;
    for (int64_t i = 0; i < batch * n; i++) {
        layer->params[0].grad[i % n] += error * grad_out[i] * in[i];
        if (grad_in != NULL)
            grad_in[i] = grad_out[i] * layer->params[0].value[i % n];
    }
}

static void scale_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out, float *grad_out,
                           float *grad_in, float *scratch, int64_t batch)
{
    (void)ex, (void)out, (void)scratch;
    scale_backward_with(1.0f, layer, in, grad_out, grad_in, batch);
}

static void scale_backward_wrong(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                 float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex, (void)out, (void)scratch;
    scale_backward_with(1.05f, layer, in, grad_out, grad_in, batch);
}

static const deep_layer_ops scale_ops = {
    .type = "scale", .class_name = "Scale", .build = scale_build, .forward = scale_forward, .backward = scale_backward};
static const deep_layer_ops scale_wrong_ops = {.type = "scale", .class_name = "Scale", .build = scale_build,
                                               .forward = scale_forward, .backward = scale_backward_wrong};

START_TEST(grad_check_catches_wrong_backward)
{
    for (int wrong = 0; wrong < 2; wrong++) {
        deep_layer layer = {.ops = wrong ? &scale_wrong_ops : &scale_ops};
        layer_setup(&layer, 1, (int64_t[]){INPUTS}, 1);
        float in[BATCH * INPUTS];
        struct deep_rng rng;
        deep_rng_init(&rng, 14);
        fill_uniform(&rng, layer.params[0].value, INPUTS, 0.5f, 1.0f);
        fill_uniform(&rng, in, BATCH * INPUTS, 0.5f, 1.0f); /* every scale grad well above the floor */
        grad_check gc = {.what = "scale", .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
        char first[256] = "";
        int mismatches = grad_check_run(&gc, first, sizeof first);
        if (wrong)
            ck_assert_msg(mismatches > 0, "the checker accepted a scale grad that is 5%% too large");
        else
            ck_assert_msg(mismatches == 0, "the checker rejected a correct backward: %s", first);
        layer_release(&layer);
    }
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Matrix products                                                                      */
/* ----------------------------------------------------------------------------------- */

/* CBLAS counts are ints, so deep_gemm splits the rows and the inner dimension into calls of
 * at most INT_MAX; with a tiny limit the same splitting runs on small matrices and must
 * give the unsplit product, for every transpose, strides wider than the block, beta != 0
 * (the inner blocks after the first add to C) and an empty inner dimension (C *= beta). */
START_TEST(gemm_blocks_match_one_call)
{
    enum { M = 7, N = 5, K = 9, PAD = 3 };
    struct deep_rng rng;
    deep_rng_init(&rng, 29);
    float a[(K + PAD) * (M + PAD)], b[(K + PAD) * (N + PAD)], c0[M * (N + PAD)];
    fill_uniform(&rng, a, COUNT_OF(a), -1.0f, 1.0f);
    fill_uniform(&rng, b, COUNT_OF(b), -1.0f, 1.0f);
    fill_uniform(&rng, c0, COUNT_OF(c0), -1.0f, 1.0f);
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        int64_t lda = (ta ? M : K) + PAD, ldb = (tb ? K : N) + PAD, ldc = N + PAD;
        for (int64_t k = 0; k <= K; k += K) {
            /* The reference, in double precision. */
            double want[M * N];
            for (int64_t i = 0; i < M; i++)
                for (int64_t j = 0; j < N; j++) {
                    double sum = 0;
                    for (int64_t p = 0; p < k; p++)
                        sum += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                    want[i * N + j] = 0.5 * sum - 2.0 * c0[i * ldc + j];
                }
            const int64_t limits[] = {1, 2, 4, INT64_MAX};
            for (int l = 0; l < COUNT_OF(limits); l++) {
                float c[COUNT_OF(c0)];
                memcpy(c, c0, sizeof c);
                deep_gemm_blocks(NULL, limits[l], ta, tb, M, N, k, 0.5f, a, lda, b, ldb, -2.0f, c, ldc);
                for (int64_t i = 0; i < M; i++)
                    for (int64_t j = 0; j < ldc; j++) {
                        double expected = j < N ? want[i * N + j] : c0[i * ldc + j]; /* padding untouched */
                        ck_assert_msg(fabs(c[i * ldc + j] - expected) < 1e-5,
                                      "transpose %d%d, k %lld, limit %lld: C[%lld][%lld] = %g, not %g", ta, tb,
                                      (long long)k, (long long)limits[l], (long long)i, (long long)j,
                                      (double)c[i * ldc + j], expected);
                    }
            }
        }
    }
}
END_TEST

/* ----------------------------------------------------------------------------------- */

static Suite *layers_suite(void)
{
    Suite *s = suite_create("layers");

    TCase *tc = tcase_create("activation kernels");
    tcase_add_test(tc, activation_names_and_validity);
    tcase_add_loop_test(tc, activation_forward_matches_libm, 0, COUNT_OF(activations));
    tcase_add_loop_test(tc, activation_backward_matches_derivative, 0, COUNT_OF(activations));
    tcase_add_loop_test(tc, activation_backward_scales_upstream_gradient, 0, COUNT_OF(activations));
    tcase_add_loop_test(tc, activation_finite_for_huge_inputs, 0, COUNT_OF(activations));
    tcase_add_test(tc, softmax_matches_reference_and_rows_sum_to_one);
    tcase_add_test(tc, softmax_stable_for_huge_inputs);
    tcase_add_test(tc, softmax_backward_matches_jacobian);
    suite_add_tcase(s, tc);

    tc = tcase_create("matrix products");
    tcase_add_test(tc, gemm_blocks_match_one_call);
    suite_add_tcase(s, tc);

    tc = tcase_create("dense");
    tcase_add_loop_test(tc, dense_build_declares_kernel_and_bias, 0, 2);
    tcase_add_test(tc, dense_acts_on_the_last_axis);
    tcase_add_loop_test(tc, dense_sequence_gradients, 0, 2 * COUNT_OF(activations));
    tcase_add_test(tc, dense_init_glorot_uniform_and_zero_bias);
    tcase_add_loop_test(tc, dense_gradients, 0, 2 * COUNT_OF(activations));
    tcase_add_loop_test(tc, dense_fused_output_takes_pre_activation_gradient, 0, COUNT_OF(fused_pairs));
    tcase_add_test(tc, dense_backward_without_input_gradient);
    tcase_add_test(tc, dense_pool_matches_inline);
    suite_add_tcase(s, tc);

    tc = tcase_create("activation layer");
    tcase_add_test(tc, activation_layer_keeps_shape);
    tcase_add_loop_test(tc, activation_layer_gradients, 0, COUNT_OF(activations));
    tcase_add_test(tc, activation_layer_softmax_along_last_axis);
    tcase_add_test(tc, activation_layer_fused_output_passes_gradient_through);
    suite_add_tcase(s, tc);

    tc = tcase_create("dropout");
    tcase_add_test(tc, dropout_build_keeps_shape_and_mask_scratch);
    tcase_add_test(tc, dropout_training_gradients);
    tcase_add_loop_test(tc, dropout_identity_cases, 0, 2);
    tcase_add_test(tc, dropout_keeps_one_minus_rate_scaled);
    suite_add_tcase(s, tc);

    tc = tcase_create("flatten");
    tcase_add_test(tc, flatten_shape_inference);
    tcase_add_test(tc, flatten_forward_backward_copy);
    suite_add_tcase(s, tc);

    tc = tcase_create("gradient checker");
    tcase_add_test(tc, grad_check_catches_wrong_backward);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return run_suite(layers_suite(), CK_ENV);
}
