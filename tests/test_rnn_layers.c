/* Tests of the sequence layers (Embedding, LSTM, GRU, SimpleRNN).
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

/* The recurrent layer types, tested over the same cases. */
typedef enum rnn_kind { KIND_LSTM, KIND_GRU, KIND_RNN, KIND_COUNT } rnn_kind;
static const char *const kind_names[KIND_COUNT] = {"LSTM", "GRU", "SimpleRNN"};
static const int64_t kind_gates[KIND_COUNT] = {4, 3, 1};

static const deep_layer_ops *kind_ops(rnn_kind kind)
{
    return kind == KIND_LSTM ? &deep_lstm_ops : kind == KIND_GRU ? &deep_gru_ops : &deep_simple_rnn_ops;
}

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

static deep_layer rnn_layer(const lstm_case *lc, rnn_kind kind)
{
    return (deep_layer){.ops = kind_ops(kind), .cfg.rnn = {.units = lc->units, .activation = lc->activation,
                        .recurrent_activation = lc->recurrent_activation, .use_bias = lc->use_bias,
                        .return_sequences = lc->return_sequences, .go_backwards = lc->go_backwards,
                        .unit_forget_bias = true, .reset_after = true, .dropout = lc->dropout,
                        .recurrent_dropout = lc->recurrent_dropout}};
}

static deep_layer lstm_layer(const lstm_case *lc)
{
    return rnn_layer(lc, KIND_LSTM);
}

/* Builds the layer, gives its parameters memory, and fills them uniform in [lo, hi). */
static void rnn_setup(deep_layer *layer, const lstm_case *lc, rnn_kind kind, uint64_t seed, float lo, float hi)
{
    *layer = rnn_layer(lc, kind);
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
    int64_t T = layer->in_shape[0], F = layer->in_shape[1], U = layer->cfg.rnn.units, G = 4 * U;
    const float *W = layer->params[0].value, *R = layer->params[1].value;
    const float *bias = layer->cfg.rnn.use_bias ? layer->params[2].value : NULL;
    double *h = calloc((size_t)U, sizeof *h), *c = calloc((size_t)U, sizeof *c), *z = calloc((size_t)G, sizeof *z);
    ck_assert_msg(h != NULL && c != NULL && z != NULL, "out of memory");
    for (int64_t s = 0; s < batch; s++) {
        memset(h, 0, (size_t)U * sizeof *h);
        memset(c, 0, (size_t)U * sizeof *c);
        for (int64_t t = 0; t < T; t++) {
            const float *x = in + (s * T + (layer->cfg.rnn.go_backwards ? T - 1 - t : t)) * F;
            for (int64_t j = 0; j < G; j++) {
                double sum = bias != NULL ? bias[j] : 0.0;
                for (int64_t k = 0; k < F; k++)
                    sum += (double)x[k] * W[k * G + j];
                for (int64_t k = 0; k < U; k++)
                    sum += h[k] * R[k * G + j];
                z[j] = sum;
            }
            for (int64_t j = 0; j < U; j++) {
                double i = ref_activation(layer->cfg.rnn.recurrent_activation, z[j]);
                double f = ref_activation(layer->cfg.rnn.recurrent_activation, z[U + j]);
                double g = ref_activation(layer->cfg.rnn.activation, z[2 * U + j]);
                double o = ref_activation(layer->cfg.rnn.recurrent_activation, z[3 * U + j]);
                c[j] = f * c[j] + i * g;
                h[j] = o * ref_activation(layer->cfg.rnn.activation, c[j]);
            }
            if (layer->cfg.rnn.return_sequences)
                memcpy(out + (s * T + t) * U, h, (size_t)U * sizeof *h);
        }
        if (!layer->cfg.rnn.return_sequences)
            memcpy(out + s * U, h, (size_t)U * sizeof *h);
    }
    free(h);
    free(c);
    free(z);
}

/* GRU (reset_after), from Keras' GRUCell: z, r, n and h = z h + (1 - z) n. */
static void gru_reference(const deep_layer *layer, const float *in, int64_t batch, double *out)
{
    int64_t T = layer->in_shape[0], F = layer->in_shape[1], U = layer->cfg.rnn.units, G = 3 * U;
    const float *W = layer->params[0].value, *R = layer->params[1].value;
    const float *bias = layer->cfg.rnn.use_bias ? layer->params[2].value : NULL;
    double *h = calloc((size_t)U, sizeof *h), *x = calloc((size_t)G, sizeof *x), *r = calloc((size_t)G, sizeof *r);
    ck_assert_msg(h != NULL && x != NULL && r != NULL, "out of memory");
    for (int64_t s = 0; s < batch; s++) {
        memset(h, 0, (size_t)U * sizeof *h);
        for (int64_t t = 0; t < T; t++) {
            const float *xt = in + (s * T + (layer->cfg.rnn.go_backwards ? T - 1 - t : t)) * F;
            for (int64_t j = 0; j < G; j++) {
                double a = bias != NULL ? bias[j] : 0.0, b = bias != NULL ? bias[G + j] : 0.0;
                for (int64_t k = 0; k < F; k++)
                    a += (double)xt[k] * W[k * G + j];
                for (int64_t k = 0; k < U; k++)
                    b += h[k] * R[k * G + j];
                x[j] = a;
                r[j] = b;
            }
            for (int64_t j = 0; j < U; j++) {
                double z = ref_activation(layer->cfg.rnn.recurrent_activation, x[j] + r[j]);
                double rr = ref_activation(layer->cfg.rnn.recurrent_activation, x[U + j] + r[U + j]);
                double n = ref_activation(layer->cfg.rnn.activation, x[2 * U + j] + rr * r[2 * U + j]);
                h[j] = z * h[j] + (1 - z) * n;
            }
            if (layer->cfg.rnn.return_sequences)
                memcpy(out + (s * T + t) * U, h, (size_t)U * sizeof *h);
        }
        if (!layer->cfg.rnn.return_sequences)
            memcpy(out + s * U, h, (size_t)U * sizeof *h);
    }
    free(h);
    free(x);
    free(r);
}

/* SimpleRNN: h = activation(x W + h R + b). */
static void simple_rnn_reference(const deep_layer *layer, const float *in, int64_t batch, double *out)
{
    int64_t T = layer->in_shape[0], F = layer->in_shape[1], U = layer->cfg.rnn.units;
    const float *W = layer->params[0].value, *R = layer->params[1].value;
    const float *bias = layer->cfg.rnn.use_bias ? layer->params[2].value : NULL;
    double *h = calloc((size_t)U, sizeof *h), *next = calloc((size_t)U, sizeof *next);
    ck_assert_msg(h != NULL && next != NULL, "out of memory");
    for (int64_t s = 0; s < batch; s++) {
        memset(h, 0, (size_t)U * sizeof *h);
        for (int64_t t = 0; t < T; t++) {
            const float *xt = in + (s * T + (layer->cfg.rnn.go_backwards ? T - 1 - t : t)) * F;
            for (int64_t j = 0; j < U; j++) {
                double a = bias != NULL ? bias[j] : 0.0;
                for (int64_t k = 0; k < F; k++)
                    a += (double)xt[k] * W[k * U + j];
                for (int64_t k = 0; k < U; k++)
                    a += h[k] * R[k * U + j];
                next[j] = ref_activation(layer->cfg.rnn.activation, a);
            }
            memcpy(h, next, (size_t)U * sizeof *h);
            if (layer->cfg.rnn.return_sequences)
                memcpy(out + (s * T + t) * U, h, (size_t)U * sizeof *h);
        }
        if (!layer->cfg.rnn.return_sequences)
            memcpy(out + s * U, h, (size_t)U * sizeof *h);
    }
    free(h);
    free(next);
}

static void rnn_reference(rnn_kind kind, const deep_layer *layer, const float *in, int64_t batch, double *out)
{
    if (kind == KIND_LSTM)
        lstm_reference(layer, in, batch, out);
    else if (kind == KIND_GRU)
        gru_reference(layer, in, batch, out);
    else
        simple_rnn_reference(layer, in, batch, out);
}

/* _i of the loop tests over every kind and case. */
#define CASE_KIND(i) ((rnn_kind)((i) / COUNT_OF(lstm_cases)))
#define CASE_OF(i) (&lstm_cases[(i) % COUNT_OF(lstm_cases)])

/* ----------------------------------------------------------------------------------- */
/* The recurrent layers on their own                                                       */
/* ----------------------------------------------------------------------------------- */

START_TEST(rnn_build_follows_keras_shapes)
{
    rnn_kind kind = CASE_KIND(_i);
    const lstm_case *lc = CASE_OF(_i);
    int64_t gates = kind_gates[kind] * lc->units;
    deep_layer layer = rnn_layer(lc, kind);
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
    int64_t rows[] = {lc->features, lc->units};
    int64_t total = 0;
    for (int32_t p = 0; p < layer.param_count; p++) {
        const deep_param *param = &layer.params[p];
        ck_assert_str_eq(param->name, names[p]);
        ck_assert(param->trainable);
        if (p < 2)
            ck_assert_msg(param->rank == 2 && param->shape[0] == rows[p] && param->shape[1] == gates,
                          "%s %s: %s is not (%lld, %lld)", kind_names[kind], lc->what, names[p], (long long)rows[p],
                          (long long)gates);
        else if (kind == KIND_GRU) /* reset_after: an input and a recurrent bias */
            ck_assert_msg(param->rank == 2 && param->shape[0] == 2 && param->shape[1] == gates,
                          "GRU %s: bias is not (2, 3 units)", lc->what);
        else
            ck_assert_msg(param->rank == 1 && param->shape[0] == gates, "%s %s: bias is not (gates,)",
                          kind_names[kind], lc->what);
        total += param->size;
    }
    /* Keras: gates * ((features + units) * units + units), with twice the bias for the GRU
     * (reset_after) and none without bias. */
    int64_t biases = !lc->use_bias ? 0 : kind == KIND_GRU ? 2 * lc->units : lc->units;
    int64_t keras = kind_gates[kind] * ((lc->features + lc->units) * lc->units + biases);
    ck_assert_msg(total == keras, "%s %s: %lld parameters, Keras has %lld", kind_names[kind], lc->what,
                  (long long)total, (long long)keras);
}
END_TEST

START_TEST(rnn_forward_matches_reference)
{
    enum { BATCH = 3 };
    rnn_kind kind = CASE_KIND(_i);
    lstm_case lc = *CASE_OF(_i);
    deep_layer layer;
    rnn_setup(&layer, &lc, kind, 100 + (uint64_t)_i, -0.6f, 0.6f); /* dropout is off at inference */
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    float *scratch = layer_scratch(&layer, BATCH);
    double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
    ck_assert_msg(want != NULL, "out of memory");
    struct deep_rng rng;
    deep_rng_init(&rng, 200 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    deep_exec ex = {.training = false};
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    rnn_reference(kind, &layer, in, BATCH, want);
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        ck_assert_msg(within(out[i], want[i], 1e-5, 2e-6), "%s %s: output %lld is %.7g, the reference gives %.7g",
                      kind_names[kind], lc.what, (long long)i, (double)out[i], want[i]);
    free(want);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* The generic cell (other activations than Keras' tanh / sigmoid) against the reference,
 * relu and leaky relu included. */
START_TEST(rnn_other_activations_match_reference)
{
    enum { BATCH = 2 };
    rnn_kind kind = (rnn_kind)_i;
    static const deep_activation pairs[][2] = {{RELU, SIGMOID}, {LEAKY, TANH}, {TANH, TANH}, {ELU, LINEAR}};
    for (int k = 0; k < COUNT_OF(pairs); k++) {
        lstm_case lc = {"activations", 4, 3, 5, pairs[k][0], pairs[k][1], true, true, false, 0, 0};
        deep_layer layer;
        rnn_setup(&layer, &lc, kind, 300 + (uint64_t)k, -0.5f, 0.5f);
        float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
        float *scratch = layer_scratch(&layer, BATCH);
        double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
        struct deep_rng rng;
        deep_rng_init(&rng, 400 + (uint64_t)k);
        fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
        deep_exec ex = {.training = true};
        layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
        rnn_reference(kind, &layer, in, BATCH, want);
        for (int64_t i = 0; i < BATCH * layer.out_size; i++)
            ck_assert_msg(within(out[i], want[i], 1e-5, 2e-6),
                          "%s, activation %d, recurrent %d: output %lld is %.7g, the reference gives %.7g",
                          kind_names[kind], (int)pairs[k][0], (int)pairs[k][1], (long long)i, (double)out[i], want[i]);
        free(want);
        free(in);
        free(out);
        free(scratch);
        layer_release(&layer);
    }
}
END_TEST

START_TEST(rnn_gradients)
{
    enum { BATCH = 2 };
    rnn_kind kind = CASE_KIND(_i);
    const lstm_case *lc = CASE_OF(_i);
    char what[160];
    snprintf(what, sizeof what, "%s %s", kind_names[kind], lc->what);
    deep_layer layer;
    rnn_setup(&layer, lc, kind, 500 + (uint64_t)_i, -0.6f, 0.6f);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng, masks;
    deep_rng_init(&rng, 600 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    grad_check gc = {.what = what, .layer = &layer, .ex = {.training = true, .rng = &masks},
                     .mask_seed = 700 + (uint64_t)_i, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* Dropout really drops: with a high rate some outputs change, and at inference (or
 * without a generator) the layer is deterministic and equal to the reference. */
START_TEST(rnn_dropout_applies_only_while_training)
{
    enum { BATCH = 4 };
    rnn_kind kind = (rnn_kind)_i;
    lstm_case lc = {"dropout", 5, 4, 3, TANH, SIGMOID, true, true, false, 0.5f, 0.5f};
    deep_layer layer;
    rnn_setup(&layer, &lc, kind, 31, -0.6f, 0.6f);
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
    rnn_reference(kind, &layer, in, BATCH, want);
    int changed = 0;
    for (int64_t i = 0; i < n_out; i++) {
        ck_assert_msg(within(infer[i], want[i], 1e-5, 2e-6), "%s: inference output %lld is %g, want %g",
                      kind_names[kind], (long long)i, (double)infer[i], want[i]);
        changed += fabs(train[i] - want[i]) > 1e-4;
    }
    ck_assert_msg(changed > n_out / 4, "%s: dropout 0.5 changed only %d of %lld outputs", kind_names[kind], changed,
                  (long long)n_out);
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
        rnn_setup(&layer, &lc, KIND_LSTM, 1, 5.0f, 6.0f);
        layer.cfg.rnn.unit_forget_bias = forget;
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

/* GRU and SimpleRNN: Glorot kernel, orthonormal recurrent rows, zero bias. */
START_TEST(gru_and_simple_rnn_init_follow_keras)
{
    for (rnn_kind kind = KIND_GRU; kind <= KIND_RNN; kind++) {
        lstm_case lc = {"init", 3, 5, 6, TANH, SIGMOID, true, false, false, 0, 0};
        deep_layer layer;
        rnn_setup(&layer, &lc, kind, 1, 5.0f, 6.0f);
        struct deep_rng rng;
        deep_rng_init(&rng, 43);
        layer.ops->init(&layer, &rng);
        int64_t U = lc.units, G = kind_gates[kind] * U;
        double limit = sqrt(6.0 / (double)(lc.features + G));
        for (int64_t i = 0; i < layer.params[0].size; i++)
            ck_assert_msg(fabs(layer.params[0].value[i]) <= limit, "%s: kernel[%lld] = %g is outside %g",
                          kind_names[kind], (long long)i, (double)layer.params[0].value[i], limit);
        const float *R = layer.params[1].value;
        for (int64_t a = 0; a < U; a++)
            for (int64_t b = 0; b < U; b++) {
                double dot = 0;
                for (int64_t k = 0; k < G; k++)
                    dot += (double)R[a * G + k] * R[b * G + k];
                ck_assert_msg(fabs(dot - (a == b)) < 1e-5, "%s: (R R^T)[%lld, %lld] = %g", kind_names[kind],
                              (long long)a, (long long)b, dot);
            }
        for (int64_t j = 0; j < layer.params[2].size; j++)
            ck_assert_msg(layer.params[2].value[j] == 0.0f, "%s: bias[%lld] = %g", kind_names[kind], (long long)j,
                          (double)layer.params[2].value[j]);
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

START_TEST(rnn_backward_without_input_gradient)
{
    enum { BATCH = 3 };
    const lstm_case *lc = &lstm_cases[13]; /* both dropouts, go_backwards, sequence */
    deep_layer layer;
    rnn_setup(&layer, lc, (rnn_kind)_i, 7, -0.5f, 0.5f);
    int64_t n_in = BATCH * layer.in_size, n_out = BATCH * layer.out_size;
    float *in = floats(n_in), *out = floats(n_out), *grad_out = floats(n_out), *r = floats(n_out);
    float *scratch = layer_scratch(&layer, BATCH), *grad_in = floats(n_in);
    float *kept[3];
    struct deep_rng rng;
    deep_rng_init(&rng, 8);
    fill_uniform(&rng, in, n_in, -1.0f, 1.0f);
    fill_uniform(&rng, r, n_out, -1.0f, 1.0f);
    struct deep_rng masks;
    deep_exec ex = {.training = true, .rng = &masks};
    for (int run = 0; run < 2; run++) {
        deep_rng_init(&masks, 9);
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
START_TEST(rnn_pool_of_threads_matches_inline)
{
    enum { BATCH = 5 };
    deep_pool *threads = NULL;
    ASSERT_OK(deep_pool_new(2, &threads));
    for (int k = 0; k < 2; k++) {
        lstm_case lc = {"threads", 6, 3, 7, TANH, SIGMOID, true, k == 0, k == 1, 0.2f, 0.2f};
        deep_layer layer;
        rnn_setup(&layer, &lc, (rnn_kind)_i, 11, -0.5f, 0.5f);
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
    layer.cfg.rnn.activation = SIGMOID;
    ck_assert_int_eq(deep_layer_output_activation(&layer), LINEAR);
    deep_layer dense = {.ops = &deep_dense_ops, .cfg.dense = {.activation = SIGMOID}};
    ck_assert_int_eq(deep_layer_output_activation(&dense), SIGMOID);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Embedding on its own                                                                    */
/* ----------------------------------------------------------------------------------- */

static deep_layer embedding_layer(int64_t input_dim, int64_t output_dim, int64_t input_length)
{
    return (deep_layer){.ops = &deep_embedding_ops, .cfg.embedding = {.input_dim = input_dim, .output_dim = output_dim,
                        .input_length = input_length}};
}

START_TEST(embedding_build_follows_keras_shapes)
{
    deep_layer layer = embedding_layer(50, 8, 12);
    ASSERT_OK(layer_try_build(&layer, 1, (int64_t[]){12}));
    ck_assert_msg(layer.out_rank == 2 && layer.out_shape[0] == 12 && layer.out_shape[1] == 8,
                  "(12,) ids do not become (12, 8)");
    ck_assert_int_eq(layer.param_count, 1);
    ck_assert_str_eq(layer.params[0].name, "embeddings");
    ck_assert(layer.params[0].rank == 2 && layer.params[0].shape[0] == 50 && layer.params[0].shape[1] == 8);
    /* Without input_length any input shape takes output_dim appended, as Keras. */
    layer = embedding_layer(50, 8, 0);
    ASSERT_OK(layer_try_build(&layer, 2, (int64_t[]){3, 4}));
    ck_assert(layer.out_rank == 3 && layer.out_shape[0] == 3 && layer.out_shape[1] == 4 && layer.out_shape[2] == 8);
    /* input_length must be the sequences' length. */
    layer = embedding_layer(50, 8, 10);
    ck_assert_int_eq(layer_try_build(&layer, 1, (int64_t[]){12}), DEEP_ERR_SHAPE);
    ck_assert_msg(strstr(deep_last_error(), "input_length is 10") != NULL, "%s", deep_last_error());
    layer = embedding_layer(50, 8, 12);
    ck_assert_int_eq(layer_try_build(&layer, 2, (int64_t[]){12, 1}), DEEP_ERR_SHAPE);
    layer = embedding_layer(50, 8, 0);
    ck_assert_int_eq(layer_try_build(&layer, 7, (int64_t[]){1, 1, 1, 1, 1, 1, 2}), DEEP_ERR_SHAPE);
}
END_TEST

START_TEST(embedding_forward_looks_up_rows)
{
    enum { BATCH = 2, LENGTH = 5, DIM = 3, VOCAB = 7 };
    deep_layer layer = embedding_layer(VOCAB, DIM, LENGTH);
    layer_build_and_alloc(&layer, 1, (int64_t[]){LENGTH});
    for (int64_t i = 0; i < VOCAB * DIM; i++)
        layer.params[0].value[i] = (float)i;
    /* Ids as the model checks them, then values only a deeper Embedding could see:
     * rounding to the nearest id, and zeros for what is no id. */
    const float in[BATCH * LENGTH] = {0, 6, 3, 3, 1, 2.4f, 5.6f, -1, 7, NAN};
    const int64_t rows[BATCH * LENGTH] = {0, 6, 3, 3, 1, 2, 6, -1, -1, -1};
    float out[BATCH * LENGTH * DIM];
    deep_exec ex = {.training = false};
    layer.ops->forward(&layer, &ex, in, out, NULL, BATCH);
    for (int i = 0; i < BATCH * LENGTH; i++)
        for (int j = 0; j < DIM; j++) {
            float want = rows[i] < 0 ? 0.0f : (float)(rows[i] * DIM + j);
            ck_assert_msg(out[i * DIM + j] == want, "token %d (%g), value %d: %g, want %g", i, (double)in[i], j,
                          (double)out[i * DIM + j], (double)want);
        }
    layer_release(&layer);
}
END_TEST

START_TEST(embedding_gradients)
{
    enum { BATCH = 3, LENGTH = 6, DIM = 4, VOCAB = 5 };
    deep_layer layer = embedding_layer(VOCAB, DIM, LENGTH);
    layer_build_and_alloc(&layer, 1, (int64_t[]){LENGTH});
    struct deep_rng rng;
    deep_rng_init(&rng, 21);
    fill_uniform(&rng, layer.params[0].value, layer.params[0].size, -0.5f, 0.5f);
    /* 18 ids of 5: every id repeats, so the gradient must add up rather than overwrite;
     * id 4 never appears, so its rows must come out zero. */
    float in[BATCH * LENGTH];
    for (int i = 0; i < BATCH * LENGTH; i++)
        in[i] = (float)deep_rng_below(&rng, VOCAB - 1);
    grad_check gc = {.what = "embedding", .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    for (int j = 0; j < DIM; j++)
        ck_assert(layer.params[0].grad[(VOCAB - 1) * DIM + j] == 0.0f);
    layer_release(&layer);
}
END_TEST

START_TEST(embedding_init_uniform)
{
    deep_layer layer = embedding_layer(40, 10, 0);
    layer_build_and_alloc(&layer, 1, (int64_t[]){3});
    struct deep_rng rng;
    deep_rng_init(&rng, 4);
    layer.ops->init(&layer, &rng);
    double largest = 0;
    for (int64_t i = 0; i < layer.params[0].size; i++) {
        double v = layer.params[0].value[i];
        ck_assert_msg(fabs(v) <= 0.05, "embeddings[%lld] = %g is outside [-0.05, 0.05]", (long long)i, v);
        largest = fmax(largest, fabs(v));
    }
    ck_assert_msg(largest > 0.04, "the embeddings do not spread over [-0.05, 0.05] (max |w| %g)", largest);
    layer_release(&layer);
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

START_TEST(gru_and_simple_rnn_misuse)
{
    static const char fg[] = "deep_model_add_gru", fs[] = "deep_model_add_simple_rnn";
    deep_model *model = sequence_model(5, 3);
    deep_status status = deep_model_add_gru(model, 0, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fg, "units", "GRU of 0 units", model, 0);
    status = deep_model_add_simple_rnn(model, -1, TANH, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fs, "units", "SimpleRNN of -1 units", model, 0);
    status = deep_model_add_gru(model, 4, TANH, DEEP_ACTIVATION_SOFTMAX, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fg, "softmax", "GRU with softmax gates", model, 0);
    status = deep_model_add_simple_rnn(model, 4, DEEP_ACTIVATION_SOFTMAX, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fs, "softmax", "SimpleRNN with a softmax", model, 0);
    status = deep_model_add_simple_rnn(model, 4, (deep_activation)99, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fs, "99", "SimpleRNN with activation 99", model, 0);
    /* The activations added in 1.0 are refused by the cells, naming the activation. */
    status = deep_model_add_simple_rnn(model, 4, DEEP_ACTIVATION_SELU, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fs, "selu", "SimpleRNN with selu", model, 0);
    status = deep_model_add_gru(model, 4, TANH, DEEP_ACTIVATION_HARD_SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fg, "hard_sigmoid", "GRU with hard_sigmoid gates", model, 0);
    status = deep_model_add_lstm(model, 4, DEEP_ACTIVATION_GELU, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_lstm", "gelu", "LSTM with gelu", model, 0);
    ck_assert_int_eq(deep_model_add_gru(NULL, 4, TANH, SIGMOID, 1, 0), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_model_add_simple_rnn(NULL, 4, TANH, 1, 0), DEEP_ERR_NULL);

    /* Any recurrent layer after one without return_sequences, whatever the kinds. */
    ASSERT_OK(deep_model_add_gru(model, 4, TANH, SIGMOID, 1, 0));
    status = deep_model_add_simple_rnn(model, 4, TANH, 1, 0);
    expect_failure(status, DEEP_ERR_SHAPE, fs, "layer 0 (gru) returns only its last output", "SimpleRNN after GRU",
                   model, 1);
    status = deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_SHAPE, "deep_model_add_lstm", "return_sequences=1", "LSTM after GRU", model, 1);
    deep_model_free(model);

    model = sequence_model(5, 3);
    ASSERT_OK(deep_model_add_simple_rnn(model, 4, TANH, 1, 0));
    status = deep_model_add_gru(model, 4, TANH, SIGMOID, 1, 1);
    expect_failure(status, DEEP_ERR_SHAPE, fg, "layer 0 (simple_rnn)", "GRU after SimpleRNN", model, 1);
    /* unit_forget_bias is the LSTM's alone. */
    status = deep_model_set_layer_int(model, 0, DEEP_LAYER_UNIT_FORGET_BIAS, 1);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_int", "SimpleRNN",
                   "unit_forget_bias of a SimpleRNN", model, 1);
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_GO_BACKWARDS, 1));
    ASSERT_OK(deep_model_set_layer_float(model, 0, DEEP_LAYER_RECURRENT_DROPOUT, 0.3));
    deep_model_free(model);

    /* Wrong input ranks. */
    ASSERT_OK(deep_model_new(3, (int64_t[]){4, 4, 1}, &model));
    status = deep_model_add_gru(model, 4, TANH, SIGMOID, 1, 0);
    expect_failure(status, DEEP_ERR_SHAPE, fg, "GRU needs (timesteps, features) inputs but gets (4, 4, 1)",
                   "GRU on images", model, 0);
    status = deep_model_add_simple_rnn(model, 4, TANH, 1, 1);
    expect_failure(status, DEEP_ERR_SHAPE, fs, "SimpleRNN needs (timesteps, features)", "SimpleRNN on images", model,
                   0);
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

static deep_dataset *token_dataset(int64_t count, int64_t length, const float *ids, const int32_t *labels)
{
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(count, 1, (int64_t[]){length}, ids, &data));
    ASSERT_OK(deep_dataset_set_labels(data, labels, count, 2));
    return data;
}

START_TEST(embedding_misuse)
{
    static const char fn[] = "deep_model_add_embedding";
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &model));
    deep_status status = deep_model_add_embedding(model, 0, 8, 4);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "input_dim", "input_dim 0", model, 0);
    status = deep_model_add_embedding(model, 10, -1, 4);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "output_dim", "output_dim -1", model, 0);
    status = deep_model_add_embedding(model, 10, 8, -4);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, "input_length", "input_length -4", model, 0);
    status = deep_model_add_embedding(model, 10, 8, 5);
    expect_failure(status, DEEP_ERR_SHAPE, fn, "layer 0", "input_length 5 on (4,) inputs", model, 0);
    ck_assert_int_eq(deep_model_add_embedding(NULL, 10, 8, 4), DEEP_ERR_NULL);
    ASSERT_OK(deep_model_add_embedding(model, 10, 3, 4));
    ASSERT_OK(deep_model_add_lstm(model, 2, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_dense(model, 1, SIGMOID, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_BINARY_CROSSENTROPY, NULL, 0));

    /* Bad ids at fit, evaluate and predict time: the value and its place are named. */
    static const struct {
        const char *what;
        float bad;
        deep_status want;
        const char *fragment;
    } cases[] = {
        {"id = input_dim", 10.0f, DEEP_ERR_OUT_OF_RANGE, "token id 10 is not below input_dim"},
        {"id above input_dim", 1234.0f, DEEP_ERR_OUT_OF_RANGE, "token id 1234 is not below input_dim"},
        {"negative id", -1.0f, DEEP_ERR_OUT_OF_RANGE, "token id -1 is negative"},
        {"non-integral id", 2.5f, DEEP_ERR_INVALID_ARGUMENT, "token id 2.5 is not a whole number"},
        {"NaN id", NAN, DEEP_ERR_INVALID_ARGUMENT, "is not a whole number"},
        {"infinite id", INFINITY, DEEP_ERR_OUT_OF_RANGE, "not below input_dim"},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        float ids[3 * 4] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2};
        ids[1 * 4 + 2] = cases[i].bad; /* sample 1, position 2 */
        int32_t labels[3] = {0, 1, 0};
        deep_dataset *data = token_dataset(3, 4, ids, labels);
        deep_clear_error();
        status = deep_model_fit(model, data, 1, 2, NULL);
        expect_failure(status, cases[i].want, "deep_model_fit", cases[i].fragment, cases[i].what, model, 3);
        ck_assert_msg(strstr(deep_last_error(), "layer 0 (embedding): sample 1, position 2") != NULL,
                      "%s: the message does not name the place: %s", cases[i].what, deep_last_error());
        double values[1];
        status = deep_model_evaluate(model, data, 2, values, 1, &(int64_t){0});
        expect_failure(status, cases[i].want, "deep_model_evaluate", cases[i].fragment, cases[i].what, model, 3);
        deep_tensor *inputs = NULL, *out = NULL;
        ASSERT_OK(deep_dataset_features(data, &inputs));
        status = deep_model_predict(model, inputs, &out);
        expect_failure(status, cases[i].want, "deep_model_predict", cases[i].fragment, cases[i].what, model, 3);
        ck_assert_ptr_null(out);
        deep_tensor_free(inputs);
        /* A bad id in the validation data is named as such. */
        ids[1 * 4 + 2] = 3;
        deep_dataset *good = token_dataset(3, 4, ids, labels);
        status = deep_model_fit(model, good, 1, 2, data);
        expect_failure(status, cases[i].want, "deep_model_fit (validation)", cases[i].fragment, cases[i].what, model,
                       3);
        deep_dataset_free(good);
        deep_dataset_free(data);
    }

    /* Sequences longer (or shorter) than input_length. */
    float ids[2 * 6] = {0};
    int32_t labels[2] = {0, 1};
    for (int64_t length = 3; length <= 6; length += 3) {
        deep_dataset *data = token_dataset(2, length, ids, labels);
        status = deep_model_fit(model, data, 1, 2, NULL);
        expect_failure(status, DEEP_ERR_SHAPE, "deep_model_fit", "takes sequences of 4", "sequences of another length",
                       model, 3);
        double values[1];
        status = deep_model_evaluate(model, data, 2, values, 1, &(int64_t){0});
        expect_failure(status, DEEP_ERR_SHAPE, "deep_model_evaluate", "pad or truncate", "another length", model, 3);
        deep_tensor *inputs = NULL, *out = NULL;
        ASSERT_OK(deep_dataset_features(data, &inputs));
        status = deep_model_predict(model, inputs, &out);
        expect_failure(status, DEEP_ERR_SHAPE, "deep_model_predict", "token ids", "another length", model, 3);
        deep_tensor_free(inputs);
        deep_dataset_free(data);
    }
    /* Valid ids train. */
    float good_ids[2 * 4] = {0, 9, 3, 3, 9, 9, 0, 1};
    deep_dataset *data = token_dataset(2, 4, good_ids, labels);
    ASSERT_OK(deep_model_fit(model, data, 2, 2, NULL));
    deep_dataset_free(data);
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

/* The language-model seed on sequences of 20 token ids: Embedding(1024, 64),
 * LSTM(64, return_sequences=True), LSTM(64), Dense(64, relu), Dense(1024, softmax). */
/* GRU (reset_after) and SimpleRNN rows, as Keras prints them. */
START_TEST(gru_and_simple_rnn_summary_match_keras)
{
    deep_model *model = sequence_model(20, 64);
    ASSERT_OK(deep_model_add_gru(model, 64, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_simple_rnn(model, 64, TANH, 1, 1));
    ASSERT_OK(deep_model_add_gru(model, 32, TANH, SIGMOID, 0, 0));
    char summary[4096], line[160];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    static const struct {
        const char *label, *shape;
        long long params;
    } rows[] = {
        {"gru (GRU)", "(None, 20, 64)", 24960},
        {"simple_rnn (SimpleRNN)", "(None, 20, 64)", 8256},
        {"gru_1 (GRU)", "(None, 32)", 3 * (64 * 32 + 32 * 32)},
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
    deep_model_free(model);
}
END_TEST

START_TEST(lstm_summary_matches_keras)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){20}, &model));
    ASSERT_OK(deep_model_add_embedding(model, 1024, 64, 20));
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
        {"embedding (Embedding)", "(None, 20, 64)", 65536},
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
    ck_assert_msg(strstr(summary, "Total params: 202,304") != NULL, "the total is not 202,304:\n%s", summary);
    int32_t weights = 0;
    ASSERT_OK(deep_model_weight_count(model, 1, &weights));
    ck_assert_int_eq(weights, 3);
    ASSERT_OK(deep_model_weight_count(model, 0, &weights));
    ck_assert_int_eq(weights, 1);
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
/* Adds a recurrent layer of the kind through the public API. */
static deep_status add_rnn(deep_model *model, rnn_kind kind, int64_t units, int32_t return_sequences)
{
    switch (kind) {
    case KIND_LSTM:
        return deep_model_add_lstm(model, units, TANH, SIGMOID, 1, return_sequences);
    case KIND_GRU:
        return deep_model_add_gru(model, units, TANH, SIGMOID, 1, return_sequences);
    default:
        return deep_model_add_simple_rnn(model, units, TANH, 1, return_sequences);
    }
}

static deep_model *memory_model(rnn_kind kind, int32_t threads, bool stacked, bool backwards)
{
    deep_model *model = sequence_model(MEMORY_STEPS, 2);
    ASSERT_OK(deep_model_set_seed(model, 7));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    if (stacked)
        ASSERT_OK(add_rnn(model, kind, 8, 1));
    ASSERT_OK(add_rnn(model, kind, 16, 0));
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

START_TEST(rnn_learns_to_remember_the_first_step)
{
    /* For each kind, _i % 3: 0 one layer, 1 two stacked, 2 one reading backwards (the
     * first step is then the last it sees, which is easy); 2 threads. */
    rnn_kind kind = (rnn_kind)(_i / 3);
    deep_dataset *train = memory_task(512, 1, 0), *test = memory_task(256, 2, 0);
    deep_model *model = memory_model(kind, 2, _i % 3 == 1, _i % 3 == 2);
    ASSERT_OK(deep_model_fit(model, train, 15, 32, NULL));
    double values[2] = {0};
    ASSERT_OK(deep_model_evaluate(model, test, 64, values, 2, &(int64_t){0}));
    ck_assert_msg(values[1] >= 0.95, "%s, case %d: test accuracy %.3f (loss %.4f) after 15 epochs; want >= 0.95",
                  kind_names[kind], _i % 3, values[1], values[0]);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

/* Same seed, one thread or two: the same training run and the same predictions; dropout
 * on, so the masks must not depend on the threads either. */
START_TEST(rnn_same_result_with_two_threads)
{
    rnn_kind kind = (rnn_kind)_i;
    deep_dataset *train = memory_task(96, 3, 0), *test = memory_task(32, 4, 0);
    deep_tensor *inputs = NULL, *predictions[2] = {NULL, NULL};
    ASSERT_OK(deep_dataset_features(test, &inputs));
    for (int t = 0; t < 2; t++) {
        deep_model *model = sequence_model(MEMORY_STEPS, 2);
        ASSERT_OK(deep_model_set_seed(model, 5));
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, t + 1));
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
        ASSERT_OK(add_rnn(model, kind, 8, 1));
        ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_DROPOUT, 0.2));
        ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_RECURRENT_DROPOUT, 0.2));
        ASSERT_OK(add_rnn(model, kind, 8, 0));
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
        ck_assert_msg(fabsf(a[i] - b[i]) <= 1e-5f, "%s: prediction %d: %.7g with 1 thread, %.7g with 2",
                      kind_names[kind], i, (double)a[i], (double)b[i]);
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

enum { TEXT_LENGTH = 12, TEXT_VOCAB = 20, TEXT_KEY = 3 };

/* Sequences of TEXT_LENGTH token ids in [1, TEXT_VOCAB) with some trailing zeros
 * (padding); the label is whether token TEXT_KEY occurs, anywhere. */
static deep_dataset *text_task(int64_t n, uint64_t seed)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    float *ids = floats(n * TEXT_LENGTH);
    int32_t *y = malloc((size_t)n * sizeof *y);
    ck_assert_msg(y != NULL, "out of memory");
    for (int64_t s = 0; s < n; s++) {
        float *row = ids + s * TEXT_LENGTH;
        int64_t used = TEXT_LENGTH - (int64_t)deep_rng_below(&rng, 4);
        for (int64_t i = 0; i < used; i++) {
            row[i] = (float)(1 + deep_rng_below(&rng, TEXT_VOCAB - 1));
            if (row[i] == TEXT_KEY)
                row[i] = TEXT_KEY + 1;
        }
        y[s] = (int32_t)(s % 2);
        if (y[s])
            row[deep_rng_below(&rng, (uint64_t)used)] = TEXT_KEY;
    }
    deep_dataset *data = token_dataset(n, TEXT_LENGTH, ids, y);
    free(ids);
    free(y);
    return data;
}

/* The text-classifier seed: Embedding(vocab, 8, input_length), LSTM(16, dropout=0.2,
 * recurrent_dropout=0.2), Dense(1, sigmoid), binary cross-entropy. */
START_TEST(text_classifier_seed_learns)
{
    deep_dataset *train = text_task(512, 1), *test = text_task(256, 2);
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){TEXT_LENGTH}, &model));
    ASSERT_OK(deep_model_set_seed(model, 11));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 2));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_embedding(model, TEXT_VOCAB, 8, TEXT_LENGTH));
    ASSERT_OK(deep_model_add_lstm(model, 16, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_DROPOUT, 0.2));
    ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_RECURRENT_DROPOUT, 0.2));
    ASSERT_OK(deep_model_add_dense(model, 1, SIGMOID, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.01f));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_BINARY_CROSSENTROPY, metrics, 1));
    ASSERT_OK(deep_model_fit(model, train, 15, 32, NULL));
    double values[2] = {0};
    ASSERT_OK(deep_model_evaluate(model, test, 64, values, 2, &(int64_t){0}));
    ck_assert_msg(values[1] >= 0.95, "test accuracy %.3f (loss %.4f) after 15 epochs; want >= 0.95", values[1],
                  values[0]);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
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

    TCase *tc = new_tcase("recurrent layers");
    const int all_cases = KIND_COUNT * COUNT_OF(lstm_cases);
    tcase_add_loop_test(tc, rnn_build_follows_keras_shapes, 0, all_cases);
    tcase_add_loop_test(tc, rnn_forward_matches_reference, 0, all_cases);
    tcase_add_loop_test(tc, rnn_other_activations_match_reference, 0, KIND_COUNT);
    tcase_add_loop_test(tc, rnn_gradients, 0, all_cases);
    tcase_add_loop_test(tc, rnn_dropout_applies_only_while_training, 0, KIND_COUNT);
    tcase_add_test(tc, lstm_init_follows_keras);
    tcase_add_test(tc, gru_and_simple_rnn_init_follow_keras);
    tcase_add_test(tc, orthogonal_initialiser_shapes);
    tcase_add_loop_test(tc, rnn_backward_without_input_gradient, 0, KIND_COUNT);
    tcase_add_loop_test(tc, rnn_pool_of_threads_matches_inline, 0, KIND_COUNT);
    tcase_add_test(tc, lstm_output_is_never_fused_with_the_loss);
    suite_add_tcase(s, tc);

    tc = new_tcase("embedding");
    tcase_add_test(tc, embedding_build_follows_keras_shapes);
    tcase_add_test(tc, embedding_forward_looks_up_rows);
    tcase_add_test(tc, embedding_gradients);
    tcase_add_test(tc, embedding_init_uniform);
    suite_add_tcase(s, tc);

    tc = new_tcase("public API");
    tcase_add_test(tc, lstm_misuse);
    tcase_add_test(tc, gru_and_simple_rnn_misuse);
    tcase_add_test(tc, embedding_misuse);
    tcase_add_test(tc, layer_option_misuse);
    tcase_add_test(tc, lstm_summary_matches_keras);
    tcase_add_test(tc, gru_and_simple_rnn_summary_match_keras);
    suite_add_tcase(s, tc);

    tc = new_tcase("end to end");
    tcase_add_loop_test(tc, rnn_learns_to_remember_the_first_step, 0, 3 * KIND_COUNT);
    tcase_add_loop_test(tc, rnn_same_result_with_two_threads, 0, KIND_COUNT);
    tcase_add_test(tc, lstm_as_output_layer_trains);
    tcase_add_test(tc, text_classifier_seed_learns);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return run_suite(rnn_layers_suite(), CK_ENV);
}
