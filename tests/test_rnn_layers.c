/* Tests of the recurrent layers (LSTM).
 *
 * As in test_cnn_layers.c, most tests drive one layer on its own through its ops table
 * (the test sets the input shape and the configuration, builds the layer, owns its
 * parameter memory and calls forward / backward as the model would); the last ones go
 * through the public API: misuse of deep_model_add_lstm and of the layer options, the
 * summary, and small sequence tasks trained end to end.
 *
 * Every trainable layer has a finite-difference gradient check (gradcheck.h): with
 * L = sum_i R_i * out_i for a fixed random R, central differences of L give dL/dparam and
 * dL/din to compare with what backward wrote, here with and without return_sequences,
 * over several time steps, with go_backwards and with both dropouts (same masks on
 * every forward). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "layers/layer.h"

#include "check_helpers.h"

/* As for the other layers: a step of 1e-2 with the loss summed in double keeps float
 * rounding far below ABS_TOL after the division by 2 * STEP. */
#define GRADCHECK_STEP 1e-2f
#define GRADCHECK_REL_TOL 1e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"

#define LINEAR DEEP_ACTIVATION_LINEAR
#define RELU DEEP_ACTIVATION_RELU
#define SIGMOID DEEP_ACTIVATION_SIGMOID
#define TANH DEEP_ACTIVATION_TANH
#define ELU DEEP_ACTIVATION_ELU
#define LEAKY DEEP_ACTIVATION_LEAKY_RELU

typedef struct lstm_case {
    const char *what;
    int64_t steps, features, units;
    deep_activation activation, recurrent_activation;
    bool use_bias, return_sequences, go_backwards;
    float dropout, recurrent_dropout;
} lstm_case;

static const lstm_case lstm_cases[] = {
    {"one step, last output", 1, 2, 3, TANH, SIGMOID, true, false, false, 0, 0},
    {"one step, sequence", 1, 3, 2, TANH, SIGMOID, true, true, false, 0, 0},
    {"4 steps, last output", 4, 2, 3, TANH, SIGMOID, true, false, false, 0, 0},
    {"4 steps, sequence", 4, 2, 3, TANH, SIGMOID, true, true, false, 0, 0},
    {"6 steps, 1 feature, 1 unit, last output", 6, 1, 1, TANH, SIGMOID, true, false, false, 0, 0},
    {"5 steps, sequence, no bias", 5, 3, 2, TANH, SIGMOID, false, true, false, 0, 0},
    {"5 steps, last output, go_backwards", 5, 2, 3, TANH, SIGMOID, true, false, true, 0, 0},
    {"5 steps, sequence, go_backwards", 5, 2, 3, TANH, SIGMOID, true, true, true, 0, 0},
    {"3 steps, linear cell, sigmoid gates, sequence", 3, 2, 3, LINEAR, SIGMOID, true, true, false, 0, 0},
    {"3 steps, elu cell, tanh gates, last output", 3, 2, 3, ELU, TANH, true, false, false, 0, 0},
    {"4 steps, sigmoid cell, sigmoid gates, sequence", 4, 3, 2, SIGMOID, SIGMOID, true, true, false, 0, 0},
    {"4 steps, dropout 0.3, last output", 4, 3, 3, TANH, SIGMOID, true, false, false, 0.3f, 0},
    {"4 steps, recurrent dropout 0.4, sequence", 4, 2, 3, TANH, SIGMOID, true, true, false, 0, 0.4f},
    {"4 steps, both dropouts, go_backwards, sequence", 4, 3, 3, TANH, SIGMOID, true, true, true, 0.25f, 0.25f},
};

static deep_layer lstm_layer(const lstm_case *lc)
{
    return (deep_layer){.ops = &deep_lstm_ops, .units = lc->units, .activation = lc->activation,
                        .recurrent_activation = lc->recurrent_activation, .use_bias = lc->use_bias,
                        .return_sequences = lc->return_sequences, .go_backwards = lc->go_backwards,
                        .unit_forget_bias = true, .rate = lc->dropout, .recurrent_rate = lc->recurrent_dropout};
}

/* Builds the layer, gives its parameters memory, and fills them uniform in [lo, hi). */
static void lstm_setup(deep_layer *layer, const lstm_case *lc, uint64_t seed, float lo, float hi)
{
    *layer = lstm_layer(lc);
    layer_build_and_alloc(layer, 2, (int64_t[]){lc->steps, lc->features});
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    for (int32_t p = 0; p < layer->param_count; p++)
        fill_uniform(&rng, layer->params[p].value, layer->params[p].size, lo, hi);
}

/* ----------------------------------------------------------------------------------- */
/* A direct reference, in double, written from Keras' LSTMCell                             */
/* ----------------------------------------------------------------------------------- */

static double ref_activation(deep_activation activation, double x)
{
    switch (activation) {
    case DEEP_ACTIVATION_LINEAR:
        return x;
    case DEEP_ACTIVATION_RELU:
        return x > 0 ? x : 0;
    case DEEP_ACTIVATION_SIGMOID:
        return 1.0 / (1.0 + exp(-x));
    case DEEP_ACTIVATION_TANH:
        return tanh(x);
    case DEEP_ACTIVATION_LEAKY_RELU:
        return x > 0 ? x : 0.3 * x;
    case DEEP_ACTIVATION_ELU:
        return x > 0 ? x : expm1(x);
    default:
        ck_abort_msg("no reference for activation %d", (int)activation);
        return 0;
    }
}

/* out (batch, steps, units) or (batch, units) of the LSTM with the layer's parameters
 * and no dropout: for each sample, h = c = 0, then for every step (last to first with
 * go_backwards) z = x_t W + h R + b, the gates, c and h. */
static void lstm_reference(const deep_layer *layer, const float *in, int64_t batch, double *out)
{
    int64_t T = layer->in_shape[0], F = layer->in_shape[1], U = layer->units, G = 4 * U;
    const float *W = layer->params[0].value, *R = layer->params[1].value;
    const float *bias = layer->use_bias ? layer->params[2].value : NULL;
    double *h = calloc((size_t)U, sizeof *h), *c = calloc((size_t)U, sizeof *c), *z = calloc((size_t)G, sizeof *z);
    ck_assert_msg(h != NULL && c != NULL && z != NULL, "out of memory");
    for (int64_t s = 0; s < batch; s++) {
        memset(h, 0, (size_t)U * sizeof *h);
        memset(c, 0, (size_t)U * sizeof *c);
        for (int64_t t = 0; t < T; t++) {
            const float *x = in + (s * T + (layer->go_backwards ? T - 1 - t : t)) * F;
            for (int64_t j = 0; j < G; j++) {
                double sum = bias != NULL ? bias[j] : 0.0;
                for (int64_t k = 0; k < F; k++)
                    sum += (double)x[k] * W[k * G + j];
                for (int64_t k = 0; k < U; k++)
                    sum += h[k] * R[k * G + j];
                z[j] = sum;
            }
            for (int64_t j = 0; j < U; j++) {
                double i = ref_activation(layer->recurrent_activation, z[j]);
                double f = ref_activation(layer->recurrent_activation, z[U + j]);
                double g = ref_activation(layer->activation, z[2 * U + j]);
                double o = ref_activation(layer->recurrent_activation, z[3 * U + j]);
                c[j] = f * c[j] + i * g;
                h[j] = o * ref_activation(layer->activation, c[j]);
            }
            if (layer->return_sequences)
                memcpy(out + (s * T + t) * U, h, (size_t)U * sizeof *h);
        }
        if (!layer->return_sequences)
            memcpy(out + s * U, h, (size_t)U * sizeof *h);
    }
    free(h);
    free(c);
    free(z);
}

/* ----------------------------------------------------------------------------------- */
/* LSTM on its own                                                                         */
/* ----------------------------------------------------------------------------------- */

START_TEST(lstm_build_follows_keras_shapes)
{
    const lstm_case *lc = &lstm_cases[_i];
    deep_layer layer = lstm_layer(lc);
    deep_status status = layer_try_build(&layer, 2, (int64_t[]){lc->steps, lc->features});
    ck_assert_msg(status == DEEP_OK, "%s: build failed: %s", lc->what, deep_last_error());
    if (lc->return_sequences)
        ck_assert_msg(layer.out_rank == 2 && layer.out_shape[0] == lc->steps && layer.out_shape[1] == lc->units,
                      "%s: the output is not (steps, units)", lc->what);
    else
        ck_assert_msg(layer.out_rank == 1 && layer.out_shape[0] == lc->units, "%s: the output is not (units,)",
                      lc->what);
    ck_assert_int_eq(layer.param_count, lc->use_bias ? 3 : 2);
    static const char *names[] = {"kernel", "recurrent_kernel", "bias"};
    int64_t rows[] = {lc->features, lc->units, 4 * lc->units};
    int64_t total = 0;
    for (int32_t p = 0; p < layer.param_count; p++) {
        const deep_param *param = &layer.params[p];
        ck_assert_str_eq(param->name, names[p]);
        ck_assert(param->trainable);
        if (p < 2)
            ck_assert_msg(param->rank == 2 && param->shape[0] == rows[p] && param->shape[1] == 4 * lc->units,
                          "%s: %s is not (%lld, %lld)", lc->what, names[p], (long long)rows[p],
                          (long long)(4 * lc->units));
        else
            ck_assert_msg(param->rank == 1 && param->shape[0] == 4 * lc->units, "%s: bias is not (4 units,)",
                          lc->what);
        total += param->size;
    }
    /* Keras: 4 * ((features + units) * units + units), without the last term without bias. */
    int64_t keras = 4 * ((lc->features + lc->units) * lc->units + (lc->use_bias ? lc->units : 0));
    ck_assert_msg(total == keras, "%s: %lld parameters, Keras has %lld", lc->what, (long long)total, (long long)keras);
}
END_TEST

START_TEST(lstm_forward_matches_reference)
{
    enum { BATCH = 3 };
    lstm_case lc = lstm_cases[_i];
    lc.dropout = lc.recurrent_dropout = 0; /* dropout is inactive at inference anyway */
    deep_layer layer;
    lstm_setup(&layer, &lc, 100 + (uint64_t)_i, -0.6f, 0.6f);
    layer.rate = lstm_cases[_i].dropout;
    layer.recurrent_rate = lstm_cases[_i].recurrent_dropout;
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    float *scratch = layer_scratch(&layer, BATCH);
    double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
    ck_assert_msg(want != NULL, "out of memory");
    struct deep_rng rng;
    deep_rng_init(&rng, 200 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    deep_exec ex = {.training = false};
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    lstm_reference(&layer, in, BATCH, want);
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        ck_assert_msg(within(out[i], want[i], 1e-5, 2e-6), "%s: output %lld is %.7g, the reference gives %.7g",
                      lc.what, (long long)i, (double)out[i], want[i]);
    free(want);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* The generic cell (other activations than Keras' tanh / sigmoid) against the reference,
 * relu and leaky relu included. */
START_TEST(lstm_other_activations_match_reference)
{
    enum { BATCH = 2 };
    static const deep_activation pairs[][2] = {{RELU, SIGMOID}, {LEAKY, TANH}, {TANH, TANH}, {ELU, LINEAR}};
    for (int k = 0; k < COUNT_OF(pairs); k++) {
        lstm_case lc = {"activations", 4, 3, 5, pairs[k][0], pairs[k][1], true, true, false, 0, 0};
        deep_layer layer;
        lstm_setup(&layer, &lc, 300 + (uint64_t)k, -0.5f, 0.5f);
        float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
        float *scratch = layer_scratch(&layer, BATCH);
        double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
        struct deep_rng rng;
        deep_rng_init(&rng, 400 + (uint64_t)k);
        fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
        deep_exec ex = {.training = true};
        layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
        lstm_reference(&layer, in, BATCH, want);
        for (int64_t i = 0; i < BATCH * layer.out_size; i++)
            ck_assert_msg(within(out[i], want[i], 1e-5, 2e-6),
                          "activation %d, recurrent %d: output %lld is %.7g, the reference gives %.7g",
                          (int)pairs[k][0], (int)pairs[k][1], (long long)i, (double)out[i], want[i]);
        free(want);
        free(in);
        free(out);
        free(scratch);
        layer_release(&layer);
    }
}
END_TEST

START_TEST(lstm_gradients)
{
    enum { BATCH = 2 };
    const lstm_case *lc = &lstm_cases[_i];
    deep_layer layer;
    lstm_setup(&layer, lc, 500 + (uint64_t)_i, -0.6f, 0.6f);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng, masks;
    deep_rng_init(&rng, 600 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    grad_check gc = {.what = lc->what, .layer = &layer, .ex = {.training = true, .rng = &masks},
                     .mask_seed = 700 + (uint64_t)_i, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* Dropout really drops: with a high rate some outputs change, and at inference (or
 * without a generator) the layer is deterministic and equal to the reference. */
START_TEST(lstm_dropout_applies_only_while_training)
{
    enum { BATCH = 4 };
    lstm_case lc = {"dropout", 5, 4, 3, TANH, SIGMOID, true, true, false, 0.5f, 0.5f};
    deep_layer layer;
    lstm_setup(&layer, &lc, 31, -0.6f, 0.6f);
    int64_t n_out = BATCH * layer.out_size;
    float *in = floats(BATCH * layer.in_size), *train = floats(n_out), *infer = floats(n_out);
    float *scratch = layer_scratch(&layer, BATCH);
    double *want = malloc((size_t)n_out * sizeof *want);
    struct deep_rng rng;
    deep_rng_init(&rng, 32);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    deep_exec training = {.training = true, .rng = &rng}, inference = {.training = false};
    layer.ops->forward(&layer, &training, in, train, scratch, BATCH);
    layer.ops->forward(&layer, &inference, in, infer, scratch, BATCH);
    lstm_reference(&layer, in, BATCH, want);
    int changed = 0;
    for (int64_t i = 0; i < n_out; i++) {
        ck_assert_msg(within(infer[i], want[i], 1e-5, 2e-6), "inference output %lld is %g, want %g", (long long)i,
                      (double)infer[i], want[i]);
        changed += fabs(train[i] - want[i]) > 1e-4;
    }
    ck_assert_msg(changed > n_out / 4, "dropout 0.5 changed only %d of %lld outputs", changed, (long long)n_out);
    free(want);
    free(in);
    free(train);
    free(infer);
    free(scratch);
    layer_release(&layer);
}
END_TEST

START_TEST(lstm_init_follows_keras)
{
    for (int forget = 0; forget < 2; forget++) {
        lstm_case lc = {"init", 3, 5, 6, TANH, SIGMOID, true, false, false, 0, 0};
        deep_layer layer;
        lstm_setup(&layer, &lc, 1, 5.0f, 6.0f);
        layer.unit_forget_bias = forget;
        struct deep_rng rng;
        deep_rng_init(&rng, 42);
        layer.ops->init(&layer, &rng);
        int64_t U = lc.units, G = 4 * U, F = lc.features;
        /* kernel: Glorot uniform over fans (features, 4 units). */
        double limit = sqrt(6.0 / (double)(F + G)), largest = 0;
        for (int64_t i = 0; i < layer.params[0].size; i++) {
            double v = layer.params[0].value[i];
            ck_assert_msg(fabs(v) <= limit, "kernel[%lld] = %g is outside the Glorot limit %g", (long long)i, v, limit);
            largest = fmax(largest, fabs(v));
        }
        ck_assert_msg(largest > 0.5 * limit, "the kernel does not spread over the Glorot range (max |w| %g)", largest);
        /* recurrent_kernel (units, 4 units): orthonormal rows, R R^T = I. */
        const float *R = layer.params[1].value;
        for (int64_t a = 0; a < U; a++)
            for (int64_t b = 0; b < U; b++) {
                double dot = 0;
                for (int64_t k = 0; k < G; k++)
                    dot += (double)R[a * G + k] * R[b * G + k];
                ck_assert_msg(fabs(dot - (a == b)) < 1e-5, "(R R^T)[%lld, %lld] = %g", (long long)a, (long long)b,
                              dot);
            }
        /* bias: zeros, and ones in the forget gate's block with unit_forget_bias. */
        for (int64_t j = 0; j < G; j++) {
            float want = forget && j >= U && j < 2 * U ? 1.0f : 0.0f;
            ck_assert_msg(layer.params[2].value[j] == want, "bias[%lld] = %g, want %g (unit_forget_bias %d)",
                          (long long)j, (double)layer.params[2].value[j], (double)want, forget);
        }
        layer_release(&layer);
    }
}
END_TEST

/* Orthogonal for every shape Keras allows: orthonormal rows when rows <= cols, columns
 * otherwise; and the same seed gives the same matrix. */
START_TEST(orthogonal_initialiser_shapes)
{
    static const int64_t shapes[][2] = {{1, 1}, {4, 4}, {3, 12}, {12, 3}, {7, 21}, {16, 16}};
    for (int s = 0; s < COUNT_OF(shapes); s++) {
        int64_t rows = shapes[s][0], cols = shapes[s][1];
        float *w = floats(rows * cols), *again = floats(rows * cols);
        struct deep_rng rng;
        deep_rng_init(&rng, 9);
        deep_init_orthogonal(w, rows, cols, &rng);
        deep_rng_init(&rng, 9);
        deep_init_orthogonal(again, rows, cols, &rng);
        ck_assert(memcmp(w, again, (size_t)(rows * cols) * sizeof *w) == 0);
        bool by_rows = rows <= cols;
        int64_t n = by_rows ? rows : cols, len = by_rows ? cols : rows;
        for (int64_t a = 0; a < n; a++)
            for (int64_t b = 0; b < n; b++) {
                double dot = 0;
                for (int64_t k = 0; k < len; k++)
                    dot += by_rows ? (double)w[a * cols + k] * w[b * cols + k]
                                   : (double)w[k * cols + a] * w[k * cols + b];
                ck_assert_msg(fabs(dot - (a == b)) < 1e-5, "%lldx%lld: Gram entry (%lld, %lld) is %g",
                              (long long)rows, (long long)cols, (long long)a, (long long)b, dot);
            }
        free(w);
        free(again);
    }
}
END_TEST

START_TEST(lstm_backward_without_input_gradient)
{
    enum { BATCH = 3 };
    const lstm_case *lc = &lstm_cases[3];
    deep_layer layer;
    lstm_setup(&layer, lc, 7, -0.5f, 0.5f);
    int64_t n_in = BATCH * layer.in_size, n_out = BATCH * layer.out_size;
    float *in = floats(n_in), *out = floats(n_out), *grad_out = floats(n_out), *r = floats(n_out);
    float *scratch = layer_scratch(&layer, BATCH), *grad_in = floats(n_in);
    float *kept[3];
    struct deep_rng rng;
    deep_rng_init(&rng, 8);
    fill_uniform(&rng, in, n_in, -1.0f, 1.0f);
    fill_uniform(&rng, r, n_out, -1.0f, 1.0f);
    deep_exec ex = {.training = true};
    for (int run = 0; run < 2; run++) {
        memcpy(grad_out, r, (size_t)n_out * sizeof *r);
        layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
        layer.ops->backward(&layer, &ex, in, out, grad_out, run == 0 ? grad_in : NULL, scratch, BATCH);
        for (int32_t p = 0; p < layer.param_count; p++) {
            if (run == 0) {
                kept[p] = floats(layer.params[p].size);
                memcpy(kept[p], layer.params[p].grad, (size_t)layer.params[p].size * sizeof(float));
            } else {
                ck_assert_msg(memcmp(kept[p], layer.params[p].grad, (size_t)layer.params[p].size * sizeof(float)) == 0,
                              "the %s gradient depends on whether dL/din is asked for", layer.params[p].name);
                free(kept[p]);
            }
        }
    }
    free(in);
    free(out);
    free(grad_out);
    free(r);
    free(grad_in);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* Split by samples among two threads, forward and backward give what one thread gives. */
START_TEST(lstm_pool_of_threads_matches_inline)
{
    enum { BATCH = 5 };
    deep_pool *threads = NULL;
    ASSERT_OK(deep_pool_new(2, &threads));
    for (int k = 0; k < 2; k++) {
        lstm_case lc = {"threads", 6, 3, 7, TANH, SIGMOID, true, k == 0, k == 1, 0.2f, 0.2f};
        deep_layer layer;
        lstm_setup(&layer, &lc, 11, -0.5f, 0.5f);
        int64_t n_in = BATCH * layer.in_size, n_out = BATCH * layer.out_size;
        float *in = floats(n_in), *r = floats(n_out), *out[2], *grad_out[2], *grad_in[2], *scratch[2],
              *grads[2][DEEP_LAYER_MAX_PARAMS] = {{NULL}};
        struct deep_rng rng;
        deep_rng_init(&rng, 12);
        fill_uniform(&rng, in, n_in, -1.0f, 1.0f);
        fill_uniform(&rng, r, n_out, -1.0f, 1.0f);
        for (int run = 0; run < 2; run++) {
            deep_rng_init(&rng, 13);
            deep_exec ex = {.pool = run ? threads : NULL, .training = true, .rng = &rng};
            out[run] = floats(n_out);
            grad_out[run] = floats(n_out);
            grad_in[run] = floats(n_in);
            scratch[run] = layer_scratch(&layer, BATCH);
            memcpy(grad_out[run], r, (size_t)n_out * sizeof *r);
            layer.ops->forward(&layer, &ex, in, out[run], scratch[run], BATCH);
            layer.ops->backward(&layer, &ex, in, out[run], grad_out[run], grad_in[run], scratch[run], BATCH);
            for (int32_t p = 0; p < layer.param_count; p++) {
                grads[run][p] = floats(layer.params[p].size);
                memcpy(grads[run][p], layer.params[p].grad, (size_t)layer.params[p].size * sizeof(float));
            }
        }
        for (int64_t i = 0; i < n_out; i++)
            ck_assert_msg(within(out[0][i], out[1][i], 1e-6, 1e-7), "output %lld: %.8g inline, %.8g with 2 threads",
                          (long long)i, (double)out[0][i], (double)out[1][i]);
        for (int64_t i = 0; i < n_in; i++)
            ck_assert_msg(within(grad_in[0][i], grad_in[1][i], 1e-5, 1e-7), "dL/din %lld: %.8g inline, %.8g with 2",
                          (long long)i, (double)grad_in[0][i], (double)grad_in[1][i]);
        for (int32_t p = 0; p < layer.param_count; p++)
            for (int64_t i = 0; i < layer.params[p].size; i++)
                ck_assert_msg(within(grads[0][p][i], grads[1][p][i], 1e-5, 1e-7), "%s grad %lld: %.8g inline, %.8g",
                              layer.params[p].name, (long long)i, (double)grads[0][p][i], (double)grads[1][p][i]);
        for (int run = 0; run < 2; run++) {
            free(out[run]);
            free(grad_out[run]);
            free(grad_in[run]);
            free(scratch[run]);
            for (int32_t p = 0; p < layer.param_count; p++)
                free(grads[run][p]);
        }
        free(in);
        free(r);
        layer_release(&layer);
    }
    deep_pool_free(threads);
}
END_TEST

/* A recurrent layer's activation is inside its cell: no loss fuses with it. */
START_TEST(lstm_output_is_never_fused_with_the_loss)
{
    deep_layer layer = lstm_layer(&lstm_cases[0]);
    layer.activation = SIGMOID;
    ck_assert_int_eq(deep_layer_output_activation(&layer), LINEAR);
    deep_layer dense = {.ops = &deep_dense_ops, .activation = SIGMOID};
    ck_assert_int_eq(deep_layer_output_activation(&dense), SIGMOID);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Through the public API                                                                  */
/* ----------------------------------------------------------------------------------- */

static deep_model *sequence_model(int64_t steps, int64_t features)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){steps, features}, &model));
    return model;
}

static int32_t layer_count(const deep_model *model)
{
    int32_t count = -1;
    ASSERT_OK(deep_model_layer_count(model, &count));
    return count;
}

/* The call failed with `want`, its message names the public function and contains
 * `fragment` (unless NULL), and the model did not grow. */
static void expect_failure(deep_status got, deep_status want, const char *function, const char *fragment,
                           const char *what, const deep_model *model, int32_t layers_before)
{
    const char *message = deep_last_error();
    ck_assert_msg(got == want, "%s: got %s, want %s (%s)", what, deep_status_string(got), deep_status_string(want),
                  message);
    ck_assert_msg(strncmp(message, function, strlen(function)) == 0, "%s: the message does not start with %s: \"%s\"",
                  what, function, message);
    if (fragment != NULL)
        ck_assert_msg(strstr(message, fragment) != NULL, "%s: the message lacks \"%s\": \"%s\"", what, fragment,
                      message);
    ck_assert_msg(layer_count(model) == layers_before, "%s: the model has %d layers after a failed call, want %d",
                  what, (int)layer_count(model), (int)layers_before);
}

START_TEST(lstm_misuse)
{
    static const char fn[] = "deep_model_add_lstm";
    deep_model *model = sequence_model(5, 3);
    deep_status status = deep_model_add_lstm(model, 0, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "units", "0 units", model, 0);
    status = deep_model_add_lstm(model, -4, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "units", "-4 units", model, 0);
    status = deep_model_add_lstm(model, 4, DEEP_ACTIVATION_SOFTMAX, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "softmax", "a softmax cell", model, 0);
    status = deep_model_add_lstm(model, 4, TANH, DEEP_ACTIVATION_SOFTMAX, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "recurrent_activation", "softmax gates", model, 0);
    status = deep_model_add_lstm(model, 4, (deep_activation)77, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "77", "activation 77", model, 0);
    status = deep_model_add_lstm(model, 4, TANH, (deep_activation)-1, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "-1", "recurrent activation -1", model, 0);
    ck_assert_int_eq(deep_model_add_lstm(NULL, 4, TANH, SIGMOID, 1, 0), DEEP_ERR_NULL);

    /* return_sequences=0 cannot feed another LSTM: the message says what to change. */
    ASSERT_OK(deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 0));
    status = deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_SHAPE, fn, "return_sequences=1", "LSTM after LSTM(return_sequences=0)", model, 1);
    ck_assert_msg(strstr(deep_last_error(), "layer 1 (lstm_1)") != NULL && strstr(deep_last_error(), "layer 0 (lstm)"),
                  "the message does not name both layers: %s", deep_last_error());
    /* A Dense after the last output is fine; an LSTM after that Dense has the wrong rank. */
    ASSERT_OK(deep_model_add_dense(model, 6, DEEP_ACTIVATION_RELU, 1));
    status = deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 1);
    expect_failure(status, DEEP_ERR_SHAPE, fn, "(timesteps, features)", "LSTM after Dense", model, 2);
    ck_assert_msg(strstr(deep_last_error(), "layer 2") != NULL && strstr(deep_last_error(), "(6,)") != NULL,
                  "the message does not name the position and the input shape: %s", deep_last_error());
    deep_model_free(model);

    /* Inputs of rank 1 or 3. */
    ASSERT_OK(deep_model_new(1, (int64_t[]){12}, &model));
    status = deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_SHAPE, fn, "(12,)", "LSTM on (12,)", model, 0);
    deep_model_free(model);
    ASSERT_OK(deep_model_new(3, (int64_t[]){28, 28, 1}, &model));
    status = deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_SHAPE, fn, "(28, 28, 1)", "LSTM on images", model, 0);
    deep_model_free(model);

    /* Stacking works with return_sequences=1, and after compile no layer can be added. */
    model = sequence_model(5, 3);
    ASSERT_OK(deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_lstm(model, 2, TANH, SIGMOID, 1, 0));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    status = deep_model_add_lstm(model, 2, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_STATE, fn, "compile", "LSTM after compile", model, 2);
    deep_model_free(model);
}
END_TEST

START_TEST(layer_option_misuse)
{
    static const char fi[] = "deep_model_set_layer_int", ff[] = "deep_model_set_layer_float";
    deep_model *model = sequence_model(5, 3);
    deep_status status = deep_model_set_layer_float(model, 0, DEEP_LAYER_DROPOUT, 0.1);
    expect_failure(status, DEEP_ERR_OUT_OF_RANGE, ff, "0 layers", "an option of a model without layers", model, 0);
    ASSERT_OK(deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));

    static const struct {
        const char *what;
        bool as_float;
        int32_t layer;
        deep_layer_option option;
        double value;
        deep_status want;
        const char *fragment;
    } cases[] = {
        {"layer 3 of 3", true, 3, DEEP_LAYER_DROPOUT, 0.1, DEEP_ERR_OUT_OF_RANGE, "layer 3"},
        {"layer -4 of 3", false, -4, DEEP_LAYER_GO_BACKWARDS, 1, DEEP_ERR_OUT_OF_RANGE, "layer -4"},
        {"unknown option", true, 0, (deep_layer_option)99, 0.1, DEEP_ERR_INVALID_ARGUMENT, "99"},
        {"dropout of a Dense layer", true, 2, DEEP_LAYER_DROPOUT, 0.1, DEEP_ERR_INVALID_ARGUMENT, "Dense"},
        {"go_backwards of Flatten (by -2)", false, -2, DEEP_LAYER_GO_BACKWARDS, 1, DEEP_ERR_INVALID_ARGUMENT,
         "layer 1 (flatten, Flatten)"},
        {"dropout through the int setter", false, 0, DEEP_LAYER_DROPOUT, 0, DEEP_ERR_INVALID_ARGUMENT,
         "deep_model_set_layer_float"},
        {"go_backwards through the float setter", true, 0, DEEP_LAYER_GO_BACKWARDS, 1, DEEP_ERR_INVALID_ARGUMENT,
         "deep_model_set_layer_int"},
        {"dropout 1", true, 0, DEEP_LAYER_DROPOUT, 1.0, DEEP_ERR_INVALID_ARGUMENT, "[0, 1)"},
        {"dropout 0.99999999 (1 as a float)", true, 0, DEEP_LAYER_DROPOUT, 0.99999999, DEEP_ERR_INVALID_ARGUMENT,
         "[0, 1)"},
        {"recurrent dropout -0.1", true, 0, DEEP_LAYER_RECURRENT_DROPOUT, -0.1, DEEP_ERR_INVALID_ARGUMENT, "[0, 1)"},
        {"recurrent dropout NaN", true, 0, DEEP_LAYER_RECURRENT_DROPOUT, NAN, DEEP_ERR_INVALID_ARGUMENT, "[0, 1)"},
        {"go_backwards 2", false, 0, DEEP_LAYER_GO_BACKWARDS, 2, DEEP_ERR_INVALID_ARGUMENT, "0 or 1"},
        {"unit_forget_bias -1", false, -3, DEEP_LAYER_UNIT_FORGET_BIAS, -1, DEEP_ERR_INVALID_ARGUMENT, "0 or 1"},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_clear_error();
        status = cases[i].as_float
                     ? deep_model_set_layer_float(model, cases[i].layer, cases[i].option, cases[i].value)
                     : deep_model_set_layer_int(model, cases[i].layer, cases[i].option, (int64_t)cases[i].value);
        expect_failure(status, cases[i].want, cases[i].as_float ? ff : fi, cases[i].fragment, cases[i].what, model, 3);
    }
    ck_assert_int_eq(deep_model_set_layer_int(NULL, 0, DEEP_LAYER_GO_BACKWARDS, 1), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_model_set_layer_float(NULL, 0, DEEP_LAYER_DROPOUT, 0.1), DEEP_ERR_NULL);

    ASSERT_OK(deep_model_set_layer_float(model, 0, DEEP_LAYER_DROPOUT, 0.2));
    ASSERT_OK(deep_model_set_layer_float(model, -3, DEEP_LAYER_RECURRENT_DROPOUT, 0.0));
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_GO_BACKWARDS, 1));
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_UNIT_FORGET_BIAS, 0));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, NULL, 0));
    /* unit_forget_bias 0: the whole bias starts at zero. */
    deep_tensor *bias = NULL;
    ASSERT_OK(deep_model_get_weight(model, 0, 2, &bias));
    double sum = -1;
    ASSERT_OK(deep_tensor_sum(bias, &sum));
    ck_assert_msg(sum == 0.0, "the bias sums to %g without unit_forget_bias", sum);
    deep_tensor_free(bias);
    status = deep_model_set_layer_float(model, 0, DEEP_LAYER_DROPOUT, 0.1);
    expect_failure(status, DEEP_ERR_STATE, ff, "before deep_model_compile", "an option after compile", model, 3);
    deep_model_free(model);
}
END_TEST

/* The summary line of a layer, or NULL. */
static const char *summary_line(const char *summary, const char *label, char *line, size_t capacity)
{
    const char *at = strstr(summary, label);
    if (at == NULL)
        return NULL;
    size_t length = strcspn(at, "\n");
    length = length < capacity - 1 ? length : capacity - 1;
    memcpy(line, at, length);
    line[length] = '\0';
    return line;
}

/* The stacked model of the language-model seed, on (20, 64) inputs: Keras' summary. */
START_TEST(lstm_summary_matches_keras)
{
    deep_model *model = sequence_model(20, 64);
    ASSERT_OK(deep_model_add_lstm(model, 64, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_lstm(model, 64, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_dense(model, 64, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dense(model, 1024, DEEP_ACTIVATION_SOFTMAX, 1));
    char summary[4096], line[160];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    static const struct {
        const char *label, *shape;
        long long params;
    } rows[] = {
        {"lstm (LSTM)", "(None, 20, 64)", 33024},
        {"lstm_1 (LSTM)", "(None, 64)", 33024},
        {"dense (Dense)", "(None, 64)", 4160},
        {"dense_1 (Dense)", "(None, 1024)", 66560},
    };
    for (int i = 0; i < COUNT_OF(rows); i++) {
        ck_assert_msg(summary_line(summary, rows[i].label, line, sizeof line) != NULL, "no \"%s\" row in:\n%s",
                      rows[i].label, summary);
        char params[32];
        snprintf(params, sizeof params, " %lld", rows[i].params);
        ck_assert_msg(strstr(line, rows[i].shape) != NULL && strstr(line, params) != NULL,
                      "the %s row should show %s and %lld parameters: \"%s\"", rows[i].label, rows[i].shape,
                      rows[i].params, line);
    }
    ck_assert_msg(strstr(summary, "Total params: 136,768") != NULL, "the total is not 136,768:\n%s", summary);
    int32_t weights = 0;
    ASSERT_OK(deep_model_weight_count(model, 0, &weights));
    ck_assert_int_eq(weights, 3);
    deep_model_free(model);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Small sequence tasks end to end                                                         */
/* ----------------------------------------------------------------------------------- */

enum { MEMORY_STEPS = 10 };

/* Sequences of MEMORY_STEPS steps of 2 features of noise in [-1, 1), but the first
 * feature of step `step`, which is +-[0.5, 1): the label is its sign. For step 0 the net
 * must carry it through the noise of every later step. */
static deep_dataset *memory_task(int64_t n, uint64_t seed, int64_t step)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    float *x = floats(n * MEMORY_STEPS * 2);
    int32_t *y = malloc((size_t)n * sizeof *y);
    ck_assert_msg(y != NULL, "out of memory");
    for (int64_t s = 0; s < n; s++) {
        fill_uniform(&rng, x + s * MEMORY_STEPS * 2, MEMORY_STEPS * 2, -1.0f, 1.0f);
        float *signal = &x[(s * MEMORY_STEPS + step) * 2];
        y[s] = *signal > 0;
        *signal = y[s] ? 0.5f + 0.5f * *signal : -0.5f + 0.5f * *signal;
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(n, 2, (int64_t[]){MEMORY_STEPS, 2}, x, &data));
    ASSERT_OK(deep_dataset_set_labels(data, y, n, 2));
    free(x);
    free(y);
    return data;
}

/* The text-classifier seed's shape: LSTM(16) - Dense(1, sigmoid), binary cross-entropy. */
static deep_model *memory_model(int32_t threads, bool stacked, bool backwards)
{
    deep_model *model = sequence_model(MEMORY_STEPS, 2);
    ASSERT_OK(deep_model_set_seed(model, 7));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    if (stacked)
        ASSERT_OK(deep_model_add_lstm(model, 8, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_lstm(model, 16, TANH, SIGMOID, 1, 0));
    if (backwards)
        ASSERT_OK(deep_model_set_layer_int(model, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    ASSERT_OK(deep_model_add_dense(model, 1, SIGMOID, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.01f));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_BINARY_CROSSENTROPY, metrics, 1));
    return model;
}

START_TEST(lstm_learns_to_remember_the_first_step)
{
    /* _i: 0 one LSTM, 1 stacked LSTMs, 2 one LSTM reading backwards (the first step is then
     * the last it sees, which is easy), each with 2 threads. */
    deep_dataset *train = memory_task(512, 1, 0), *test = memory_task(256, 2, 0);
    deep_model *model = memory_model(2, _i == 1, _i == 2);
    ASSERT_OK(deep_model_fit(model, train, 15, 32, NULL));
    double values[2] = {0};
    ASSERT_OK(deep_model_evaluate(model, test, 64, values, 2));
    ck_assert_msg(values[1] >= 0.95, "case %d: test accuracy %.3f (loss %.4f) after 15 epochs; want >= 0.95", _i,
                  values[1], values[0]);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

/* Same seed, one thread or two: the same training run and the same predictions; dropout
 * on, so the masks must not depend on the threads either. */
START_TEST(lstm_same_result_with_two_threads)
{
    deep_dataset *train = memory_task(96, 3, 0), *test = memory_task(32, 4, 0);
    deep_tensor *inputs = NULL, *predictions[2] = {NULL, NULL};
    ASSERT_OK(deep_dataset_features(test, &inputs));
    for (int t = 0; t < 2; t++) {
        deep_model *model = sequence_model(MEMORY_STEPS, 2);
        ASSERT_OK(deep_model_set_seed(model, 5));
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, t + 1));
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
        ASSERT_OK(deep_model_add_lstm(model, 8, TANH, SIGMOID, 1, 1));
        ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_DROPOUT, 0.2));
        ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_RECURRENT_DROPOUT, 0.2));
        ASSERT_OK(deep_model_add_lstm(model, 8, TANH, SIGMOID, 1, 0));
        ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
        deep_optimizer *adam = NULL;
        ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
        ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
        ASSERT_OK(deep_model_fit(model, train, 3, 16, NULL));
        ASSERT_OK(deep_model_predict(model, inputs, &predictions[t]));
        deep_model_free(model);
    }
    const float *a = NULL, *b = NULL;
    ASSERT_OK(deep_tensor_data(predictions[0], &a));
    ASSERT_OK(deep_tensor_data(predictions[1], &b));
    for (int i = 0; i < 32 * 2; i++)
        ck_assert_msg(fabsf(a[i] - b[i]) <= 1e-5f, "prediction %d: %.7g with 1 thread, %.7g with 2", i, (double)a[i],
                      (double)b[i]);
    deep_tensor_free(predictions[0]);
    deep_tensor_free(predictions[1]);
    deep_tensor_free(inputs);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

/* An LSTM as the output layer, sigmoid activation and binary cross-entropy: the loss must
 * not take the LSTM's output for a sigmoid of its own (the fused gradient would be wrong),
 * so training lowers the loss. The label is read from the last step, which the output
 * gate of one unit can pass straight through. */
START_TEST(lstm_as_output_layer_trains)
{
    deep_dataset *train = memory_task(256, 6, MEMORY_STEPS - 1);
    deep_model *model = sequence_model(MEMORY_STEPS, 2);
    ASSERT_OK(deep_model_set_seed(model, 3));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_lstm(model, 1, SIGMOID, SIGMOID, 1, 0));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.02f));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_BINARY_CROSSENTROPY, NULL, 0));
    ASSERT_OK(deep_model_fit(model, train, 10, 32, NULL));
    double first = NAN, last = NAN;
    ASSERT_OK(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &first));
    ASSERT_OK(deep_model_history(model, 9, DEEP_METRIC_LOSS, 0, &last));
    ck_assert_msg(last < first - 0.05, "the loss went from %.4f to %.4f", first, last);
    deep_model_free(model);
    deep_dataset_free(train);
}
END_TEST

/* ----------------------------------------------------------------------------------- */

static TCase *new_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    return tc;
}

static Suite *rnn_layers_suite(void)
{
    Suite *s = suite_create("rnn_layers");

    TCase *tc = new_tcase("lstm");
    tcase_add_loop_test(tc, lstm_build_follows_keras_shapes, 0, COUNT_OF(lstm_cases));
    tcase_add_loop_test(tc, lstm_forward_matches_reference, 0, COUNT_OF(lstm_cases));
    tcase_add_test(tc, lstm_other_activations_match_reference);
    tcase_add_loop_test(tc, lstm_gradients, 0, COUNT_OF(lstm_cases));
    tcase_add_test(tc, lstm_dropout_applies_only_while_training);
    tcase_add_test(tc, lstm_init_follows_keras);
    tcase_add_test(tc, orthogonal_initialiser_shapes);
    tcase_add_test(tc, lstm_backward_without_input_gradient);
    tcase_add_test(tc, lstm_pool_of_threads_matches_inline);
    tcase_add_test(tc, lstm_output_is_never_fused_with_the_loss);
    suite_add_tcase(s, tc);

    tc = new_tcase("public API");
    tcase_add_test(tc, lstm_misuse);
    tcase_add_test(tc, layer_option_misuse);
    tcase_add_test(tc, lstm_summary_matches_keras);
    suite_add_tcase(s, tc);

    tc = new_tcase("end to end");
    tcase_add_loop_test(tc, lstm_learns_to_remember_the_first_step, 0, 3);
    tcase_add_test(tc, lstm_same_result_with_two_threads);
    tcase_add_test(tc, lstm_as_output_layer_trains);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return run_suite(rnn_layers_suite(), CK_ENV);
}
