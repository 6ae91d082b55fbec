/* Tests of Keras' masking (the Masking layer, Embedding's mask_zero and the recurrent
 * layers reading the mask), of deep_model_predict_states (Keras' return_state) and of the
 * GRU's reset_after=False form.
 *
 * Layer-level tests drive one layer through its ops table with a mask in deep_exec, as the
 * model does; finite-difference gradient checks (gradcheck.h) cover every recurrent type
 * with a mask, with and without return_sequences and go_backwards. Model-level tests check
 * what masking is for: a padded sequence, before or after, gives the same output as the
 * sequence alone. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "layers/layer.h"

#include "check_helpers.h"

#define GRADCHECK_STEP 1e-2f
#define GRADCHECK_REL_TOL 1e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"

#define TANH DEEP_ACTIVATION_TANH
#define SIGMOID DEEP_ACTIVATION_SIGMOID

typedef enum rnn_kind { KIND_LSTM, KIND_GRU, KIND_RNN, KIND_COUNT } rnn_kind;
static const char *const kind_names[KIND_COUNT] = {"LSTM", "GRU", "SimpleRNN"};

static const deep_layer_ops *kind_ops(rnn_kind kind)
{
    return kind == KIND_LSTM ? &deep_lstm_ops : kind == KIND_GRU ? &deep_gru_ops : &deep_simple_rnn_ops;
}

enum { STEPS = 5, FEATURES = 2, UNITS = 3, BATCH = 4 };

/* Sample 0 padded before (Keras' 'pre'), 1 after ('post'), 2 with holes, 3 all padding. */
static const uint8_t step_mask[BATCH * STEPS] = {
    0, 0, 1, 1, 1, /* */
    1, 1, 1, 0, 0, /* */
    1, 0, 1, 1, 0, /* */
    0, 0, 0, 0, 0,
};

/* A recurrent layer on (STEPS, FEATURES) inputs with its parameters uniform in [-0.6, 0.6). */
static deep_layer masked_rnn(rnn_kind kind, bool return_sequences, bool go_backwards, bool reset_after, uint64_t seed)
{
    deep_layer layer = {.ops = kind_ops(kind),
                        .cfg.rnn = {.units = UNITS,
                                    .activation = TANH,
                                    .recurrent_activation = SIGMOID,
                                    .use_bias = true,
                                    .return_sequences = return_sequences,
                                    .go_backwards = go_backwards,
                                    .unit_forget_bias = true,
                                    .reset_after = reset_after}};
    layer_build_and_alloc(&layer, 2, (int64_t[]){STEPS, FEATURES});
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    for (int32_t p = 0; p < layer.param_count; p++)
        fill_uniform(&rng, layer.params[p].value, layer.params[p].size, -0.6f, 0.6f);
    return layer;
}

/* _i over kinds x {last output, sequence} x {forwards, go_backwards} (x dropout, which
 * comes with zero_output_for_mask, the Bidirectional wrapper's setting). */
START_TEST(masked_rnn_gradients)
{
    rnn_kind kind = (rnn_kind)(_i / 8);
    bool sequences = _i & 1, backwards = (_i >> 1) & 1, dropout = (_i >> 2) & 1;
    deep_layer layer = masked_rnn(kind, sequences, backwards, true, 50 + (uint64_t)_i);
    layer.cfg.rnn.zero_output_for_mask = dropout;
    layer.cfg.rnn.dropout = dropout ? 0.25f : 0.0f;
    layer.cfg.rnn.recurrent_dropout = dropout ? 0.25f : 0.0f;
    char what[128];
    snprintf(what, sizeof what, "%s masked, return_sequences %d, go_backwards %d, dropout and zero outputs %d",
             kind_names[kind], sequences, backwards, dropout);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng, masks;
    deep_rng_init(&rng, 60 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    grad_check gc = {.what = what, .layer = &layer, .ex = {.training = true, .rng = &masks, .mask = step_mask},
                     .mask_seed = 70 + (uint64_t)_i, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* The outputs at padding steps: with return_sequences the previous output, zeros before the
 * first real step; without it, the output of the last real step (zeros when there is none).
 * And a padding step's input changes nothing. */
START_TEST(masked_rnn_outputs_follow_keras)
{
    rnn_kind kind = (rnn_kind)(_i / 2);
    bool backwards = _i & 1;
    deep_layer seq = masked_rnn(kind, true, backwards, true, 80), last = masked_rnn(kind, false, backwards, true, 80);
    float *in = floats(BATCH * seq.in_size), *out = floats(BATCH * seq.out_size), *end = floats(BATCH * UNITS);
    float *again = floats(BATCH * seq.out_size), *scratch = layer_scratch(&seq, BATCH);
    struct deep_rng rng;
    deep_rng_init(&rng, 81);
    fill_uniform(&rng, in, BATCH * seq.in_size, -1.0f, 1.0f);
    deep_exec ex = {.mask = step_mask};
    seq.ops->forward(&seq, &ex, in, out, scratch, BATCH);
    last.ops->forward(&last, &ex, in, end, scratch, BATCH);
    for (int64_t b = 0; b < BATCH; b++) {
        bool seen = false;
        for (int64_t t = 0; t < STEPS; t++) {
            int64_t source = backwards ? STEPS - 1 - t : t;
            const float *row = out + (b * STEPS + t) * UNITS;
            bool real = step_mask[b * STEPS + source];
            for (int64_t j = 0; j < UNITS; j++) {
                if (!real && !seen)
                    ck_assert_msg(row[j] == 0.0f, "%s: sample %lld step %lld is padding before any real step "
                                  "but outputs %g", kind_names[kind], (long long)b, (long long)t, (double)row[j]);
                else if (!real)
                    ck_assert_msg(row[j] == row[j - UNITS], "%s: padding step %lld of sample %lld does not repeat "
                                  "the previous output", kind_names[kind], (long long)t, (long long)b);
                if (t == STEPS - 1)
                    ck_assert_msg(end[b * UNITS + j] == row[j], "%s: sample %lld: the last output %g is not the "
                                  "sequence's last %g", kind_names[kind], (long long)b, (double)end[b * UNITS + j],
                                  (double)row[j]);
            }
            seen = seen || real;
        }
    }
    /* zero_output_for_mask (Bidirectional's setting): zeros at every padding step. */
    seq.cfg.rnn.zero_output_for_mask = true;
    seq.ops->forward(&seq, &ex, in, again, scratch, BATCH);
    for (int64_t b = 0; b < BATCH; b++)
        for (int64_t t = 0; t < STEPS; t++)
            for (int64_t j = 0; j < UNITS; j++) {
                bool real = step_mask[b * STEPS + (backwards ? STEPS - 1 - t : t)];
                float want = real ? out[(b * STEPS + t) * UNITS + j] : 0.0f;
                ck_assert_msg(again[(b * STEPS + t) * UNITS + j] == want,
                              "%s zero_output_for_mask: sample %lld step %lld", kind_names[kind], (long long)b,
                              (long long)t);
            }
    seq.cfg.rnn.zero_output_for_mask = false;
    /* New values at the padding steps: the same outputs. */
    for (int64_t i = 0; i < BATCH * STEPS; i++)
        if (!step_mask[i])
            for (int64_t k = 0; k < FEATURES; k++)
                in[i * FEATURES + k] = 9.0f;
    seq.ops->forward(&seq, &ex, in, again, scratch, BATCH);
    ck_assert_msg(memcmp(out, again, (size_t)(BATCH * seq.out_size) * sizeof *out) == 0,
                  "%s: the padding steps' inputs change the outputs", kind_names[kind]);
    free(in);
    free(out);
    free(end);
    free(again);
    free(scratch);
    layer_release(&seq);
    layer_release(&last);
}
END_TEST

/* Without a mask every step is real: a mask of ones changes nothing. */
START_TEST(mask_of_ones_changes_nothing)
{
    rnn_kind kind = (rnn_kind)_i;
    for (int sequences = 0; sequences < 2; sequences++) {
        deep_layer layer = masked_rnn(kind, sequences, false, true, 90);
        int64_t n = BATCH * layer.out_size;
        float *in = floats(BATCH * layer.in_size), *a = floats(n), *b = floats(n),
              *scratch = layer_scratch(&layer, BATCH);
        uint8_t ones[BATCH * STEPS];
        memset(ones, 1, sizeof ones);
        struct deep_rng rng;
        deep_rng_init(&rng, 91);
        fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
        layer.ops->forward(&layer, &(deep_exec){0}, in, a, scratch, BATCH);
        layer.ops->forward(&layer, &(deep_exec){.mask = ones}, in, b, scratch, BATCH);
        for (int64_t i = 0; i < n; i++)
            ck_assert_msg(a[i] == b[i], "%s: output %lld is %g without a mask, %g with ones", kind_names[kind],
                          (long long)i, (double)a[i], (double)b[i]);
        free(in);
        free(a);
        free(b);
        free(scratch);
        layer_release(&layer);
    }
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Masking and Embedding(mask_zero) on their own                                          */
/* ----------------------------------------------------------------------------------- */

START_TEST(masking_marks_exactly_the_padding_steps)
{
    enum { T = 6, F = 3 };
    deep_layer layer = {.ops = &deep_masking_ops, .cfg.masking = {.mask_value = -1.0f}};
    ASSERT_OK(layer_try_build(&layer, 2, (int64_t[]){T, F}));
    ck_assert(layer.out_rank == 2 && layer.out_shape[0] == T && layer.out_shape[1] == F);
    ck_assert_int_eq(deep_layer_mask_flow(&layer), DEEP_MASK_MADE);
    const float in[2 * T * F] = {
        -1, -1, -1, /* padding */
        -1, -1, 0,  /* one feature differs: real */
        0, 0, 0,    /* zeros are not the mask value */
        -1, NAN, -1, /* NaN differs from everything */
        -1, -1, -1, /* padding in the middle */
        2, -1, -1,  /* real */
        1, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, /* padding after */
    };
    const uint8_t want[2 * T] = {0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0};
    uint8_t mask[2 * T];
    float out[2 * T * F];
    layer.ops->compute_mask(&layer, in, mask, 2);
    layer.ops->forward(&layer, &(deep_exec){0}, in, out, NULL, 2);
    for (int s = 0; s < 2 * T; s++) {
        ck_assert_msg(mask[s] == want[s], "step %d: mask %d, want %d", s, mask[s], want[s]);
        for (int k = 0; k < F; k++) {
            float expected = want[s] ? in[s * F + k] : 0.0f; /* Keras: inputs * mask */
            ck_assert_msg(memcmp(&out[s * F + k], &expected, sizeof expected) == 0,
                          "step %d feature %d: output %g, want %g", s, k, (double)out[s * F + k], (double)expected);
        }
    }
    /* Gradients: through the real steps only. */
    float grad_out[2 * T * F], grad_in[2 * T * F];
    for (int i = 0; i < 2 * T * F; i++)
        grad_out[i] = (float)(i + 1);
    layer.ops->backward(&layer, &(deep_exec){0}, in, out, grad_out, grad_in, NULL, 2);
    for (int i = 0; i < 2 * T * F; i++)
        ck_assert_msg(grad_in[i] == (want[i / F] ? grad_out[i] : 0.0f), "dL/din[%d] is %g", i, (double)grad_in[i]);
}
END_TEST

START_TEST(masking_gradient_check)
{
    deep_layer layer = {.ops = &deep_masking_ops, .cfg.masking = {.mask_value = 0.5f}};
    layer_build_and_alloc(&layer, 2, (int64_t[]){STEPS, FEATURES});
    float in[BATCH * STEPS * FEATURES];
    struct deep_rng rng;
    deep_rng_init(&rng, 5);
    fill_uniform(&rng, in, COUNT_OF(in), -1.0f, 1.0f);
    /* Padding far enough from the step that differences never make it real. */
    for (int s = 0; s < BATCH * STEPS; s++)
        if (!step_mask[s])
            in[s * FEATURES] = in[s * FEATURES + 1] = 0.5f;
    grad_check gc = {.what = "masking", .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    /* The padding inputs sit exactly on mask_value, where L jumps: check the others. */
    char first[320];
    grad_buffers b = {floats(BATCH * layer.out_size), floats(BATCH * layer.out_size), NULL};
    struct deep_rng r;
    deep_rng_init(&r, 0x5eed);
    fill_uniform(&r, b.r, BATCH * layer.out_size, -1.0f, 1.0f);
    float grad_out[BATCH * STEPS * FEATURES], grad_in[BATCH * STEPS * FEATURES];
    memcpy(grad_out, b.r, sizeof grad_out);
    layer.ops->forward(&layer, &gc.ex, in, b.out, NULL, BATCH);
    layer.ops->backward(&layer, &gc.ex, in, b.out, grad_out, grad_in, NULL, BATCH);
    first[0] = '\0';
    int mismatches = 0;
    for (int s = 0; s < BATCH * STEPS; s++)
        if (step_mask[s])
            mismatches += grad_check_compare(&gc, &b, "in", in + s * FEATURES, grad_in + s * FEATURES, FEATURES, first,
                                             sizeof first);
        else
            ck_assert(grad_in[s * FEATURES] == 0.0f && grad_in[s * FEATURES + 1] == 0.0f);
    ck_assert_msg(mismatches == 0, "%d mismatches; first: %s", mismatches, first);
    free(b.r);
    free(b.out);
    layer_release(&layer);
}
END_TEST

START_TEST(embedding_mask_zero_marks_id_zero)
{
    deep_layer layer = {.ops = &deep_embedding_ops,
                        .cfg.embedding = {.input_dim = 5, .output_dim = 2, .mask_zero = true}};
    layer_build_and_alloc(&layer, 1, (int64_t[]){4});
    ck_assert_int_eq(deep_layer_mask_flow(&layer), DEEP_MASK_MADE);
    const float ids[8] = {0, 0, 3, 1, 4, 0, 2, 0};
    uint8_t mask[8];
    layer.ops->compute_mask(&layer, ids, mask, 2);
    for (int i = 0; i < 8; i++)
        ck_assert_msg(mask[i] == (ids[i] != 0), "id %g: mask %d", (double)ids[i], mask[i]);
    layer.cfg.embedding.mask_zero = false;
    ck_assert_int_eq(deep_layer_mask_flow(&layer), DEEP_MASK_ENDS);
    /* mask_zero needs (input_length,) sequences. */
    deep_layer wide = {.ops = &deep_embedding_ops,
                       .cfg.embedding = {.input_dim = 5, .output_dim = 2, .mask_zero = true}};
    ck_assert_int_eq(layer_try_build(&wide, 2, (int64_t[]){4, 3}), DEEP_ERR_SHAPE);
    ck_assert_msg(strstr(deep_last_error(), "mask_zero") != NULL, "%s", deep_last_error());
    layer_release(&layer);
}
END_TEST

/* BatchNormalization on (STEPS, FEATURES) steps with gamma, beta and the moving
 * statistics uniform in [0.5, 1.5). */
static deep_layer masked_batch_norm(void)
{
    deep_layer layer = {.ops = &deep_batch_normalization_ops, .cfg.batch_norm = {.momentum = 0.9f, .epsilon = 1e-3f}};
    layer_build_and_alloc(&layer, 2, (int64_t[]){STEPS, FEATURES});
    struct deep_rng rng;
    deep_rng_init(&rng, 80);
    for (int32_t p = 0; p < layer.param_count; p++)
        fill_uniform(&rng, layer.params[p].value, layer.params[p].size, 0.5f, 1.5f);
    return layer;
}

/* Training on a masked batch (sample 3 all padding): the gradients of every output, padded
 * steps included, since all are normalised with the statistics of the real steps. */
START_TEST(masked_batch_norm_gradients)
{
    deep_layer layer = masked_batch_norm();
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 81);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    grad_check gc = {.what = "BatchNormalization, masked", .layer = &layer,
                     .ex = {.training = true, .mask = step_mask}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* The batch statistics and so the moving ones count the real steps only: what the padded
 * steps hold changes neither the real steps' outputs nor the moving statistics, which move
 * towards the mean and variance worked out over the real steps. */
START_TEST(masked_batch_norm_counts_real_steps)
{
    enum { ROWS = BATCH * STEPS };
    float outputs[2][ROWS * FEATURES], moving[2][2 * FEATURES];
    float in[ROWS * FEATURES];
    struct deep_rng rng;
    deep_rng_init(&rng, 82);
    fill_uniform(&rng, in, ROWS * FEATURES, -1.0f, 1.0f);
    float start[2][FEATURES];
    for (int trial = 0; trial < 2; trial++) {
        deep_layer layer = masked_batch_norm();
        memcpy(start[0], layer.params[2].value, sizeof start[0]);
        memcpy(start[1], layer.params[3].value, sizeof start[1]);
        for (int r = 0; r < ROWS; r++)
            for (int f = 0; f < FEATURES && !step_mask[r]; f++)
                in[r * FEATURES + f] = trial == 0 ? 0.0f : 50.0f + (float)(r * FEATURES + f);
        deep_exec ex = {.training = true, .mask = step_mask};
        float *scratch = layer_scratch(&layer, BATCH);
        layer.ops->forward(&layer, &ex, in, outputs[trial], scratch, BATCH);
        memcpy(moving[trial], layer.params[2].value, FEATURES * sizeof(float));
        memcpy(moving[trial] + FEATURES, layer.params[3].value, FEATURES * sizeof(float));
        free(scratch);
        layer_release(&layer);
    }
    for (int r = 0; r < ROWS; r++)
        for (int f = 0; f < FEATURES && step_mask[r]; f++)
            ck_assert_msg(outputs[0][r * FEATURES + f] == outputs[1][r * FEATURES + f],
                          "row %d feature %d: %.7g with zeros at the padded steps, %.7g with large values", r, f,
                          (double)outputs[0][r * FEATURES + f], (double)outputs[1][r * FEATURES + f]);
    for (int f = 0; f < FEATURES; f++) {
        double sum = 0, squares = 0, n = 0;
        for (int r = 0; r < ROWS; r++)
            if (step_mask[r]) {
                sum += in[r * FEATURES + f];
                n++;
            }
        double mean = sum / n;
        for (int r = 0; r < ROWS; r++)
            if (step_mask[r])
                squares += (in[r * FEATURES + f] - mean) * (in[r * FEATURES + f] - mean);
        double want_mean = 0.9 * start[0][f] + 0.1 * mean, want_var = 0.9 * start[1][f] + 0.1 * squares / n;
        ck_assert_msg(within(moving[1][f], want_mean, 1e-5, 1e-6) &&
                          within(moving[1][FEATURES + f], want_var, 1e-5, 1e-6),
                      "feature %d: moving mean %.7g and variance %.7g, want %.7g and %.7g from the real steps", f,
                      (double)moving[1][f], (double)moving[1][FEATURES + f], want_mean, want_var);
        ck_assert(moving[0][f] == moving[1][f] && moving[0][FEATURES + f] == moving[1][FEATURES + f]);
    }
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Through the public API: padded sequences give the unpadded sequences' outputs          */
/* ----------------------------------------------------------------------------------- */

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

static void compile_model(deep_model *model)
{
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
}

/* [Masking] RNN(4, sequences) Dropout RNN(3) [go_backwards] Dense(2) over `steps` steps of
 * FEATURES features, or with `embedding`, Embedding(6, FEATURES[, mask_zero]) first over
 * token ids; with `bidirectional` both RNNs are wrapped in Bidirectional (concat). */
typedef struct stack_spec {
    rnn_kind kind;
    bool embedding, masked, backwards, bidirectional;
    int64_t steps;
} stack_spec;

static deep_model *stack_model(const stack_spec *spec)
{
    deep_model *model = NULL;
    if (spec->embedding) {
        ASSERT_OK(deep_model_new(1, (int64_t[]){spec->steps}, &model));
        ASSERT_OK(deep_model_add_embedding(model, 6, FEATURES, 0));
        if (spec->masked)
            ASSERT_OK(deep_model_set_layer_int(model, -1, DEEP_LAYER_MASK_ZERO, 1));
    } else {
        ASSERT_OK(deep_model_new(2, (int64_t[]){spec->steps, FEATURES}, &model));
        if (spec->masked)
            ASSERT_OK(deep_model_add_masking(model, 0.0f));
    }
    ASSERT_OK(add_rnn(model, spec->kind, 4, 1));
    if (spec->bidirectional)
        ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    ASSERT_OK(deep_model_add_dropout(model, 0.3f));
    ASSERT_OK(add_rnn(model, spec->kind, 3, 0));
    if (spec->bidirectional)
        ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    if (spec->backwards)
        ASSERT_OK(deep_model_set_layer_int(model, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_set_seed(model, 21));
    compile_model(model);
    return model;
}

/* Copies every weight into `to` from `from`, whose layer l + skip is to's layer l (skip 1
 * past a Masking layer, which has no weights). */
static void copy_weights(const deep_model *from, int32_t skip, deep_model *to)
{
    int32_t layers = 0;
    ASSERT_OK(deep_model_layer_count(to, &layers));
    for (int32_t l = 0; l < layers; l++) {
        int32_t count = 0;
        ASSERT_OK(deep_model_weight_count(to, l, &count));
        for (int32_t w = 0; w < count; w++) {
            deep_tensor *value = NULL;
            ASSERT_OK(deep_model_get_weight(from, l + skip, w, &value));
            ASSERT_OK(deep_model_set_weight(to, l, w, value));
            deep_tensor_free(value);
        }
    }
}

static deep_tensor *predict(const deep_model *model, int32_t rank, const int64_t *shape, const float *x)
{
    deep_tensor *in = NULL, *out = NULL;
    ASSERT_OK(deep_tensor_new_from(rank, shape, x, shape_size(rank, shape), &in));
    ASSERT_OK(deep_model_predict(model, in, &out));
    deep_tensor_free(in);
    return out;
}

/* _i: {plain, Bidirectional} x kind x {Masking, Embedding mask_zero} x {forwards,
 * go_backwards}. Sequences of 1 to 4 steps, padded to 7 before and after in one batch,
 * against each sequence on its own. */
START_TEST(padded_sequences_match_unpadded)
{
    enum { WIDTH = 7, SEQS = 4 };
    int variant = _i % (4 * KIND_COUNT);
    stack_spec spec = {.kind = (rnn_kind)(variant / 4), .embedding = (variant >> 1) & 1, .masked = true,
                       .backwards = variant & 1, .bidirectional = _i >= 4 * KIND_COUNT, .steps = WIDTH};
    int64_t per_step = spec.embedding ? 1 : FEATURES;
    deep_model *padded = stack_model(&spec);
    float sequences[SEQS][4 * FEATURES];
    struct deep_rng rng;
    deep_rng_init(&rng, 30 + (uint64_t)_i);
    for (int s = 0; s < SEQS; s++)
        for (int i = 0; i < 4 * FEATURES; i++)
            sequences[s][i] = spec.embedding ? (float)(1 + deep_rng_below(&rng, 5)) : 2.0f * deep_rng_float(&rng) - 1;
    float x[2 * SEQS * WIDTH * FEATURES] = {0};
    for (int side = 0; side < 2; side++)
        for (int s = 0; s < SEQS; s++) {
            int64_t length = s + 1, start = side == 0 ? WIDTH - length : 0; /* 'pre', then 'post' */
            memcpy(x + ((side * SEQS + s) * WIDTH + start) * per_step, sequences[s],
                   (size_t)(length * per_step) * sizeof(float));
        }
    int64_t shape[3] = {2 * SEQS, WIDTH, FEATURES};
    deep_tensor *got = predict(padded, spec.embedding ? 2 : 3, shape, x);
    const float *y = NULL;
    ASSERT_OK(deep_tensor_data(got, &y));
    for (int s = 0; s < SEQS; s++) {
        stack_spec alone = spec;
        alone.masked = false;
        alone.steps = s + 1;
        deep_model *model = stack_model(&alone);
        copy_weights(padded, spec.embedding ? 0 : 1, model);
        int64_t one[3] = {1, s + 1, FEATURES};
        deep_tensor *want = predict(model, spec.embedding ? 2 : 3, one, sequences[s]);
        const float *w = NULL;
        ASSERT_OK(deep_tensor_data(want, &w));
        for (int side = 0; side < 2; side++)
            for (int j = 0; j < 2; j++)
                ck_assert_msg(within(y[(side * SEQS + s) * 2 + j], w[j], 1e-5, 1e-6),
                              "%s%s (%s%s), %d steps padded %s: output %d is %.7g, unpadded %.7g",
                              spec.bidirectional ? "Bidirectional " : "", kind_names[spec.kind],
                              spec.embedding ? "Embedding mask_zero" : "Masking",
                              spec.backwards ? ", go_backwards" : "", s + 1, side == 0 ? "before" : "after", j,
                              (double)y[(side * SEQS + s) * 2 + j], (double)w[j]);
        deep_tensor_free(want);
        deep_model_free(model);
    }
    deep_tensor_free(got);
    deep_model_free(padded);
}
END_TEST

/* Training on padded sequences of many lengths splits the batch between threads as the
 * unmasked layers do: one thread or two, the same weights. */
START_TEST(masked_training_same_with_two_threads)
{
    rnn_kind kind = (rnn_kind)_i;
    enum { N = 16, T = 6 };
    float x[N * T * FEATURES];
    int32_t labels[N];
    struct deep_rng rng;
    deep_rng_init(&rng, 44);
    for (int s = 0; s < N; s++) {
        int64_t length = 1 + (int64_t)deep_rng_below(&rng, T);
        for (int t = 0; t < T; t++)
            for (int k = 0; k < FEATURES; k++)
                x[(s * T + t) * FEATURES + k] = t < T - length ? -1.0f : 2.0f * deep_rng_float(&rng) - 1.0f;
        labels[s] = x[(s * T + T - 1) * FEATURES] > 0;
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(N, 2, (int64_t[]){T, FEATURES}, x, &data));
    ASSERT_OK(deep_dataset_set_labels(data, labels, N, 2));
    deep_tensor *weights[2][3] = {{NULL}};
    for (int run = 0; run < 2; run++) {
        deep_model *model = NULL;
        ASSERT_OK(deep_model_new(2, (int64_t[]){T, FEATURES}, &model));
        ASSERT_OK(deep_model_set_seed(model, 3));
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1 + run));
        ASSERT_OK(deep_model_add_masking(model, -1.0f));
        ASSERT_OK(add_rnn(model, kind, 4, 0));
        ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_RECURRENT_DROPOUT, 0.2));
        ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
        deep_optimizer *adam = NULL;
        ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
        ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
        ASSERT_OK(deep_model_fit(model, data, 3, 8, NULL));
        for (int32_t w = 0; w < 3; w++)
            ASSERT_OK(deep_model_get_weight(model, 1, w, &weights[run][w]));
        deep_model_free(model);
    }
    for (int32_t w = 0; w < 3; w++) {
        const float *a = NULL, *b = NULL;
        int64_t size = 0;
        ASSERT_OK(deep_tensor_data(weights[0][w], &a));
        ASSERT_OK(deep_tensor_data(weights[1][w], &b));
        ASSERT_OK(deep_tensor_size(weights[0][w], &size));
        for (int64_t i = 0; i < size; i++)
            ck_assert_msg(within(a[i], b[i], 1e-4, 1e-6), "%s weight %d[%lld]: %g with 1 thread, %g with 2",
                          kind_names[kind], (int)w, (long long)i, (double)a[i], (double)b[i]);
        deep_tensor_free(weights[0][w]);
        deep_tensor_free(weights[1][w]);
    }
    deep_dataset_free(data);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Misuse                                                                                  */
/* ----------------------------------------------------------------------------------- */

static int32_t layer_count(const deep_model *model)
{
    int32_t count = -1;
    ASSERT_OK(deep_model_layer_count(model, &count));
    return count;
}

START_TEST(masking_misuse)
{
    deep_model *model = NULL;
    ck_assert_int_eq(deep_model_add_masking(NULL, 0.0f), DEEP_ERR_NULL);
    /* Masking needs (timesteps, features). */
    ASSERT_OK(deep_model_new(1, (int64_t[]){12}, &model));
    ASSERT_FAILS_WITH(deep_model_add_masking(model, 0.0f), DEEP_ERR_SHAPE, "deep_model_add_masking",
                      "Masking needs (timesteps, features) inputs but gets (12,)");
    ck_assert_int_eq(layer_count(model), 0);
    deep_model_free(model);
    ASSERT_OK(deep_model_new(3, (int64_t[]){4, 4, 1}, &model));
    ASSERT_FAILS_WITH(deep_model_add_masking(model, 0.0f), DEEP_ERR_SHAPE, "deep_model_add_masking", "(4, 4, 1)");
    deep_model_free(model);

    ASSERT_OK(deep_model_new(2, (int64_t[]){5, 3}, &model));
    ASSERT_FAILS_WITH(deep_model_add_masking(model, NAN), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_masking",
                      "not finite");
    ASSERT_FAILS_WITH(deep_model_add_masking(model, INFINITY), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_masking",
                      "not finite");
    ASSERT_OK(deep_model_add_masking(model, -1.0f));
    /* A layer that would lose the time axis cannot follow the mask... */
    ASSERT_FAILS_WITH(deep_model_add_flatten(model), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_flatten",
                      "layer 1 (flatten): Flatten does not take masked inputs, and layer 0 (masking)");
    ck_assert_int_eq(layer_count(model), 1);
    /* ... but the layers that keep it pass it on, as do recurrent layers with sequences. */
    ASSERT_OK(deep_model_add_dropout(model, 0.1f));
    ASSERT_OK(deep_model_add_activation(model, DEEP_ACTIVATION_TANH));
    ASSERT_OK(deep_model_add_gru(model, 4, TANH, SIGMOID, 1, 1));
    ASSERT_FAILS_WITH(deep_model_add_flatten(model), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_flatten",
                      "layer 0 (masking) masks");
    /* A recurrent layer without return_sequences ends the mask. */
    ASSERT_OK(deep_model_add_lstm(model, 3, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    ck_assert_int_eq(layer_count(model), 6);
    /* The layer options of the mask belong to other layers. */
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_int", "mask_zero does not apply to layer 0 (masking, Masking)");
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 4, DEEP_LAYER_MASK_ZERO, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_int", "LSTM");
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 4, DEEP_LAYER_RESET_AFTER, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_int", "reset_after does not apply");
    ASSERT_FAILS_WITH(deep_model_set_layer_float(model, 3, DEEP_LAYER_RESET_AFTER, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_float", "deep_model_set_layer_int");
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 3, DEEP_LAYER_RESET_AFTER, 2), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_int", "0 or 1");
    compile_model(model);
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 3, DEEP_LAYER_RESET_AFTER, 0), DEEP_ERR_STATE,
                      "deep_model_set_layer_int", "before deep_model_compile");
    deep_model_free(model);
}
END_TEST

/* Whether the saved model has `fragment` in its file (the config JSON, escaped). */
static bool saved_with(const deep_model *model, const char *fragment)
{
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    char *bytes = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    bool found = false;
    for (int64_t i = 0; i + (int64_t)strlen(fragment) <= size && !found; i++)
        found = memcmp(bytes + i, fragment, strlen(fragment)) == 0;
    free(bytes);
    return found;
}

START_TEST(mask_zero_misuse)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){6}, &model));
    ASSERT_OK(deep_model_add_embedding(model, 1, 4, 6));
    /* With mask_zero, id 0 is padding: input_dim 1 leaves no id for a token. */
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_int", "input_dim must leave room for it");
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 0));
    deep_model_free(model);

    /* Set after a Flatten was added: refused, and the Embedding stays unmasked. */
    ASSERT_OK(deep_model_new(1, (int64_t[]){6}, &model));
    ASSERT_OK(deep_model_add_embedding(model, 10, 4, 6));
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 1, SIGMOID, 1));
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_int", "layer 1 (flatten, Flatten) after it does not take masked inputs");
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, -1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_int", "0 or 1");
    ck_assert(saved_with(model, "mask_zero\\\": false"));
    deep_model_free(model);

    /* mask_zero needs (input_length,) sequences of ids. */
    ASSERT_OK(deep_model_new(2, (int64_t[]){6, 2}, &model));
    ASSERT_OK(deep_model_add_embedding(model, 10, 4, 0));
    ASSERT_FAILS_WITH(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 1), DEEP_ERR_SHAPE,
                      "deep_model_set_layer_int", "mask_zero needs (input_length,) sequences");
    ck_assert(saved_with(model, "mask_zero\\\": false"));
    deep_model_free(model);
}
END_TEST

/* The mask settings are saved and come back: predictions on padded data are the same, and
 * they would not be without the mask. */
START_TEST(mask_settings_survive_save_and_load)
{
    for (int which = 0; which < 2; which++) {
        stack_spec spec = {.kind = which ? KIND_GRU : KIND_LSTM, .embedding = which, .masked = true, .steps = 6};
        deep_model *model = stack_model(&spec);
        if (which == 0) /* a Masking value of its own */
            ck_assert(saved_with(model, "mask_value\\\": 0"));
        else
            ck_assert(saved_with(model, "mask_zero\\\": true"));
        int64_t size = 0;
        ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
        void *bytes = malloc((size_t)size);
        ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
        deep_model *loaded = NULL;
        ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
        free(bytes);
        /* Sample 0 padded after 3 steps (before, zeros would leave a fresh LSTM or
         * GRU at h = 0 with or without the mask, its biases being zero). */
        float x[2 * 6 * FEATURES] = {0};
        for (int i = 0; i < 2 * 6 * FEATURES; i++)
            x[i] = which ? (i >= 3 && i < 6 ? 0.0f : (float)(1 + i % 5))
                         : (i >= 6 && i < 12 ? 0.0f : 0.25f * (float)(i % 7) - 0.6f);
        int64_t shape[3] = {2, 6, FEATURES};
        deep_tensor *a = predict(model, which ? 2 : 3, shape, x), *b = predict(loaded, which ? 2 : 3, shape, x);
        const float *pa = NULL, *pb = NULL;
        ASSERT_OK(deep_tensor_data(a, &pa));
        ASSERT_OK(deep_tensor_data(b, &pb));
        for (int i = 0; i < 4; i++)
            ck_assert_msg(pa[i] == pb[i], "model %d output %d: %g saved, %g loaded", which, i, (double)pa[i],
                          (double)pb[i]);
        /* Unmasked, the same weights give other outputs for the padded sample. */
        stack_spec plain = spec;
        plain.masked = false;
        deep_model *unmasked = stack_model(&plain);
        copy_weights(model, which ? 0 : 1, unmasked);
        deep_tensor *c = predict(unmasked, which ? 2 : 3, shape, x);
        const float *pc = NULL;
        ASSERT_OK(deep_tensor_data(c, &pc));
        ck_assert_msg(fabsf(pc[0] - pa[0]) + fabsf(pc[1] - pa[1]) > 1e-4f, "model %d: the mask changes nothing", which);
        deep_tensor_free(a);
        deep_tensor_free(b);
        deep_tensor_free(c);
        deep_model_free(unmasked);
        deep_model_free(loaded);
        deep_model_free(model);
    }
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* deep_model_predict_states                                                               */
/* ----------------------------------------------------------------------------------- */

static deep_tensor *zeros(int64_t rows, int64_t cols)
{
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new(2, (int64_t[]){rows, cols}, &t));
    return t;
}

/* _i: kind x {last output, sequence} x {forwards, go_backwards}, after a Masking layer on
 * sequences padded before and after: h is the last output, or the sequence's last step. */
START_TEST(states_are_the_last_outputs)
{
    rnn_kind kind = (rnn_kind)(_i / 4);
    bool sequences = _i & 1, backwards = (_i >> 1) & 1;
    enum { N = 3, T = 5, U = 4 };
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){T, FEATURES}, &model));
    ASSERT_OK(deep_model_add_masking(model, 0.0f));
    ASSERT_OK(add_rnn(model, kind, U, sequences));
    if (backwards)
        ASSERT_OK(deep_model_set_layer_int(model, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    ASSERT_OK(deep_model_set_seed(model, 8));
    compile_model(model);
    float x[N * T * FEATURES];
    struct deep_rng rng;
    deep_rng_init(&rng, 9);
    fill_uniform(&rng, x, COUNT_OF(x), -1.0f, 1.0f);
    for (int k = 0; k < FEATURES; k++)
        x[k] = x[(2 * T - 1) * FEATURES + k] = 0.0f; /* sample 0 padded before, 1 after */
    int64_t shape[3] = {N, T, FEATURES};
    deep_tensor *in = NULL, *out = NULL, *h = zeros(N, U), *c = zeros(N, U);
    ASSERT_OK(deep_tensor_new_from(3, shape, x, COUNT_OF(x), &in));
    ASSERT_OK(deep_model_predict(model, in, &out));
    ASSERT_OK(deep_model_predict_states(model, in, -1, h, kind == KIND_LSTM ? c : NULL));
    const float *y = NULL, *ph = NULL;
    ASSERT_OK(deep_tensor_data(out, &y));
    ASSERT_OK(deep_tensor_data(h, &ph));
    for (int64_t b = 0; b < N; b++)
        for (int64_t j = 0; j < U; j++) {
            float want = sequences ? y[(b * T + T - 1) * U + j] : y[b * U + j];
            ck_assert_msg(ph[b * U + j] == want, "%s (sequences %d, backwards %d): h[%lld, %lld] = %g, output %g",
                          kind_names[kind], sequences, backwards, (long long)b, (long long)j, (double)ph[b * U + j],
                          (double)want);
        }
    deep_tensor_free(in);
    deep_tensor_free(out);
    deep_tensor_free(h);
    deep_tensor_free(c);
    deep_model_free(model);
}
END_TEST

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* One step of an LSTM of 2 units on 2 features with set weights, by hand: c = i * g and
 * h = o * tanh(c) from c_0 = h_0 = 0 (the forget gate and recurrent kernel play no part). */
START_TEST(lstm_states_match_a_hand_computed_step)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){1, 2}, &model));
    ASSERT_OK(deep_model_add_lstm(model, 2, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_LINEAR, 1));
    compile_model(model);
    /* kernel (2, 8): gates i, f, c, o of 2 units each. */
    float kernel[16], bias[8];
    for (int i = 0; i < 16; i++)
        kernel[i] = 0.1f * (float)(i % 7) - 0.3f;
    for (int i = 0; i < 8; i++)
        bias[i] = 0.05f * (float)i - 0.2f;
    deep_tensor *k = NULL, *b = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){2, 8}, kernel, 16, &k));
    ASSERT_OK(deep_tensor_new_from(1, (int64_t[]){8}, bias, 8, &b));
    ASSERT_OK(deep_model_set_weight(model, 0, 0, k));
    ASSERT_OK(deep_model_set_weight(model, 0, 2, b));
    const float x[2] = {0.7f, -1.2f};
    deep_tensor *in = NULL, *h = zeros(1, 2), *c = zeros(1, 2);
    ASSERT_OK(deep_tensor_new_from(3, (int64_t[]){1, 1, 2}, x, 2, &in));
    ASSERT_OK(deep_model_predict_states(model, in, 0, h, c));
    const float *ph = NULL, *pc = NULL;
    ASSERT_OK(deep_tensor_data(h, &ph));
    ASSERT_OK(deep_tensor_data(c, &pc));
    for (int j = 0; j < 2; j++) {
        double z[4];
        for (int gate = 0; gate < 4; gate++)
            z[gate] = x[0] * kernel[gate * 2 + j] + x[1] * kernel[8 + gate * 2 + j] + bias[gate * 2 + j];
        double cell = sigmoid(z[0]) * tanh(z[2]);
        double hidden = sigmoid(z[3]) * tanh(cell);
        ck_assert_msg(within(pc[j], cell, 1e-5, 1e-6), "c[%d] = %.7g, by hand %.7g", j, (double)pc[j], cell);
        ck_assert_msg(within(ph[j], hidden, 1e-5, 1e-6), "h[%d] = %.7g, by hand %.7g", j, (double)ph[j], hidden);
    }
    deep_tensor_free(k);
    deep_tensor_free(b);
    deep_tensor_free(in);
    deep_tensor_free(h);
    deep_tensor_free(c);
    deep_model_free(model);
}
END_TEST

START_TEST(predict_states_misuse)
{
    static const char fn[] = "deep_model_predict_states";
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){4, 3}, &model));
    ASSERT_OK(deep_model_add_gru(model, 5, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_lstm(model, 2, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_LINEAR, 1));
    deep_tensor *in = NULL, *h5 = zeros(6, 5), *h2 = zeros(6, 2), *c2 = zeros(6, 2), *bad = zeros(6, 3);
    deep_tensor *rows = zeros(5, 2), *flat = NULL;
    ASSERT_OK(deep_tensor_new(3, (int64_t[]){6, 4, 3}, &in));
    ASSERT_OK(deep_tensor_new(1, (int64_t[]){12}, &flat));
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 1, h2, c2), DEEP_ERR_STATE, fn, "deep_model_compile");
    compile_model(model);
    ck_assert_int_eq(deep_model_predict_states(NULL, in, 1, h2, c2), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_model_predict_states(model, NULL, 1, h2, c2), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_model_predict_states(model, in, 1, NULL, c2), DEEP_ERR_NULL);
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 3, h2, NULL), DEEP_ERR_OUT_OF_RANGE, fn, "layer 3");
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, -4, h2, NULL), DEEP_ERR_OUT_OF_RANGE, fn, "layer -4");
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 2, h2, NULL), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "layer 2 (dense, Dense) is not recurrent");
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 0, h5, c2), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "has no cell state c");
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 0, h2, NULL), DEEP_ERR_SHAPE, fn,
                      "state_h has shape (6, 2) but layer 0 (gru) needs (6, 5)");
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 1, h2, bad), DEEP_ERR_SHAPE, fn, "state_c has shape (6, 3)");
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 1, rows, NULL), DEEP_ERR_SHAPE, fn, "(5, 2)");
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 1, flat, NULL), DEEP_ERR_SHAPE, fn, "(12,)");
    ASSERT_FAILS_WITH(deep_model_predict_states(model, flat, 1, h2, NULL), DEEP_ERR_SHAPE, fn, "features per sample");
    /* Right: the GRU's h alone, the LSTM's h with or without c (by -2, -1). */
    ASSERT_OK(deep_model_predict_states(model, in, -3, h5, NULL));
    ASSERT_OK(deep_model_predict_states(model, in, -2, h2, c2));
    ASSERT_OK(deep_model_predict_states(model, in, 1, h2, NULL));
    deep_model_free(model);
    /* A Bidirectional layer's two directions have no single state to give. */
    ASSERT_OK(deep_model_new(2, (int64_t[]){4, 3}, &model));
    ASSERT_OK(deep_model_add_lstm(model, 2, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_SUM));
    compile_model(model);
    ASSERT_FAILS_WITH(deep_model_predict_states(model, in, 0, h2, c2), DEEP_ERR_UNSUPPORTED, fn,
                      "(bidirectional, Bidirectional) gives no states");
    deep_tensor *tensors[] = {in, h5, h2, c2, bad, rows, flat};
    for (int i = 0; i < COUNT_OF(tensors); i++)
        deep_tensor_free(tensors[i]);
    deep_model_free(model);
}
END_TEST

/* Many threads asking for the states of one model at once get what one thread gets. */
typedef struct states_job {
    const deep_model *model;
    const deep_tensor *in;
    deep_tensor *h, *c;
    deep_status status;
} states_job;

static void *states_thread(void *raw)
{
    states_job *job = raw;
    for (int r = 0; r < 5 && job->status == DEEP_OK; r++)
        job->status = deep_model_predict_states(job->model, job->in, 1, job->h, job->c);
    return NULL;
}

START_TEST(predict_states_from_many_threads)
{
    enum { THREADS = 4, N = 300, T = 6, U = 5 };
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){T, FEATURES}, &model));
    ASSERT_OK(deep_model_add_masking(model, 0.0f));
    ASSERT_OK(deep_model_add_lstm(model, U, TANH, SIGMOID, 1, 0));
    compile_model(model);
    float *x = floats(N * T * FEATURES);
    struct deep_rng rng;
    deep_rng_init(&rng, 12);
    fill_uniform(&rng, x, N * T * FEATURES, -1.0f, 1.0f);
    for (int s = 0; s < N; s += 3)
        memset(x + s * T * FEATURES, 0, (size_t)(s % T) * FEATURES * sizeof *x);
    deep_tensor *in = NULL, *h = zeros(N, U), *c = zeros(N, U);
    ASSERT_OK(deep_tensor_new_from(3, (int64_t[]){N, T, FEATURES}, x, N * T * FEATURES, &in));
    ASSERT_OK(deep_model_predict_states(model, in, 1, h, c));
    pthread_t threads[THREADS];
    states_job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (states_job){model, in, zeros(N, U), zeros(N, U), DEEP_OK};
        ck_assert_int_eq(pthread_create(&threads[t], NULL, states_thread, &jobs[t]), 0);
    }
    const float *want_h = NULL, *want_c = NULL;
    ASSERT_OK(deep_tensor_data(h, &want_h));
    ASSERT_OK(deep_tensor_data(c, &want_c));
    for (int t = 0; t < THREADS; t++) {
        ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
        ck_assert_int_eq(jobs[t].status, DEEP_OK);
        const float *got_h = NULL, *got_c = NULL;
        ASSERT_OK(deep_tensor_data(jobs[t].h, &got_h));
        ASSERT_OK(deep_tensor_data(jobs[t].c, &got_c));
        ck_assert(memcmp(got_h, want_h, N * U * sizeof(float)) == 0);
        ck_assert(memcmp(got_c, want_c, N * U * sizeof(float)) == 0);
        deep_tensor_free(jobs[t].h);
        deep_tensor_free(jobs[t].c);
    }
    free(x);
    deep_tensor_free(in);
    deep_tensor_free(h);
    deep_tensor_free(c);
    deep_model_free(model);
}
END_TEST


/* ----------------------------------------------------------------------------------- */
/* GRU with reset_after=False                                                              */
/* ----------------------------------------------------------------------------------- */

/* Keras' GRUCell with reset_after=False, in double: z, r from x W + h R + b, then
 * n = activation(x W_n + b_n + (r * h) R_n) and h = z h + (1 - z) n. */
static void gru_before_reference(const deep_layer *layer, const float *in, int64_t batch, double *out)
{
    int64_t T = layer->in_shape[0], F = layer->in_shape[1], U = layer->cfg.rnn.units, G = 3 * U;
    const float *W = layer->params[0].value, *R = layer->params[1].value;
    const float *bias = layer->cfg.rnn.use_bias ? layer->params[2].value : NULL;
    double h[16], x[48], zr[32], next[16];
    ck_assert(U <= 16);
    for (int64_t s = 0; s < batch; s++) {
        for (int64_t j = 0; j < U; j++)
            h[j] = 0;
        for (int64_t t = 0; t < T; t++) {
            const float *xt = in + (s * T + (layer->cfg.rnn.go_backwards ? T - 1 - t : t)) * F;
            for (int64_t j = 0; j < G; j++) {
                x[j] = bias != NULL ? bias[j] : 0.0;
                for (int64_t k = 0; k < F; k++)
                    x[j] += (double)xt[k] * W[k * G + j];
            }
            for (int64_t j = 0; j < 2 * U; j++) {
                double a = x[j];
                for (int64_t k = 0; k < U; k++)
                    a += h[k] * R[k * G + j];
                zr[j] = 1.0 / (1.0 + exp(-a));
            }
            for (int64_t j = 0; j < U; j++) {
                double a = x[2 * U + j];
                for (int64_t k = 0; k < U; k++)
                    a += zr[U + k] * h[k] * R[k * G + 2 * U + j];
                next[j] = zr[j] * h[j] + (1 - zr[j]) * tanh(a);
            }
            memcpy(h, next, (size_t)U * sizeof *h);
            if (layer->cfg.rnn.return_sequences)
                memcpy(out + (s * T + t) * U, h, (size_t)U * sizeof *h);
        }
        if (!layer->cfg.rnn.return_sequences)
            memcpy(out + s * U, h, (size_t)U * sizeof *h);
    }
}

START_TEST(gru_reset_before_matches_reference)
{
    for (int k = 0; k < 4; k++) {
        deep_layer layer = masked_rnn(KIND_GRU, k & 1, k & 2, false, 200 + (uint64_t)k);
        ck_assert_msg(layer.params[2].rank == 1 && layer.params[2].shape[0] == 3 * UNITS,
                      "reset_after=False: the bias is not (3 units,)");
        float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
        float *scratch = layer_scratch(&layer, BATCH);
        double *want = calloc((size_t)(BATCH * layer.out_size), sizeof *want);
        struct deep_rng rng;
        deep_rng_init(&rng, 210 + (uint64_t)k);
        fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
        layer.ops->forward(&layer, &(deep_exec){0}, in, out, scratch, BATCH);
        gru_before_reference(&layer, in, BATCH, want);
        for (int64_t i = 0; i < BATCH * layer.out_size; i++)
            ck_assert_msg(within(out[i], want[i], 1e-5, 2e-6), "case %d: output %lld is %.7g, the reference %.7g", k,
                          (long long)i, (double)out[i], want[i]);
        free(in);
        free(out);
        free(scratch);
        free(want);
        layer_release(&layer);
    }
}
END_TEST

/* _i: bit 0 return_sequences, 1 go_backwards, 2 both dropouts, 3 the mask; then 16: no
 * bias, 17: one step. */
START_TEST(gru_reset_before_gradients)
{
    deep_layer layer = {.ops = &deep_gru_ops,
                        .cfg.rnn = {.units = UNITS,
                                    .activation = TANH,
                                    .recurrent_activation = SIGMOID,
                                    .use_bias = _i != 16,
                                    .return_sequences = _i & 1,
                                    .go_backwards = (_i >> 1) & 1,
                                    .reset_after = false,
                                    .dropout = (_i >> 2) & 1 ? 0.25f : 0.0f,
                                    .recurrent_dropout = (_i >> 2) & 1 ? 0.3f : 0.0f}};
    int64_t steps = _i == 17 ? 1 : STEPS;
    layer_build_and_alloc(&layer, 2, (int64_t[]){steps, FEATURES});
    struct deep_rng rng, masks;
    deep_rng_init(&rng, 300 + (uint64_t)_i);
    for (int32_t p = 0; p < layer.param_count; p++)
        fill_uniform(&rng, layer.params[p].value, layer.params[p].size, -0.6f, 0.6f);
    float *in = floats(BATCH * layer.in_size);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    char what[96];
    snprintf(what, sizeof what, "GRU reset_after=False, case %d", _i);
    bool masked = (_i >> 3) & 1 && _i < 16;
    grad_check gc = {.what = what, .layer = &layer,
                     .ex = {.training = true, .rng = &masks, .mask = masked ? step_mask : NULL},
                     .mask_seed = 310 + (uint64_t)_i, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* Through the public API: Keras' weight shapes and parameter counts for both settings, the
 * option's default, and a file keeps it. */
START_TEST(gru_reset_after_option)
{
    enum { F = 7, U = 5 };
    for (int after = 0; after < 2; after++) {
        deep_model *model = NULL;
        ASSERT_OK(deep_model_new(2, (int64_t[]){4, F}, &model));
        ASSERT_OK(deep_model_add_gru(model, U, TANH, SIGMOID, 1, 0));
        if (!after)
            ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_RESET_AFTER, 0));
        int64_t params = 0, keras = 3 * ((F + U) * U + (after ? 2 : 1) * U);
        ASSERT_OK(deep_model_parameter_count(model, &params));
        ck_assert_msg(params == keras, "reset_after %d: %lld parameters, Keras has %lld", after, (long long)params,
                      (long long)keras);
        compile_model(model);
        deep_tensor *bias = NULL;
        ASSERT_OK(deep_model_get_weight(model, 0, 2, &bias));
        int64_t shape[2] = {0, 0};
        int32_t rank = 0;
        ASSERT_OK(deep_tensor_rank(bias, &rank));
        ASSERT_OK(deep_tensor_shape(bias, shape, 2, &(int64_t){0}));
        if (after)
            ck_assert_msg(rank == 2 && shape[0] == 2 && shape[1] == 3 * U, "reset_after: bias is not (2, 3 units)");
        else
            ck_assert_msg(rank == 1 && shape[0] == 3 * U, "reset_after=False: bias is not (3 units,)");
        deep_tensor_free(bias);
        ck_assert(saved_with(model, after ? "reset_after\\\": true" : "reset_after\\\": false"));
        int64_t size = 0;
        ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
        void *bytes = malloc((size_t)size);
        ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
        deep_model *loaded = NULL;
        ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
        free(bytes);
        float x[2 * 4 * F];
        for (int i = 0; i < COUNT_OF(x); i++)
            x[i] = 0.1f * (float)(i % 9) - 0.4f;
        int64_t in_shape[3] = {2, 4, F};
        deep_tensor *a = predict(model, 3, in_shape, x), *b = predict(loaded, 3, in_shape, x);
        const float *pa = NULL, *pb = NULL;
        ASSERT_OK(deep_tensor_data(a, &pa));
        ASSERT_OK(deep_tensor_data(b, &pb));
        ck_assert(memcmp(pa, pb, 2 * U * sizeof(float)) == 0);
        deep_tensor_free(a);
        deep_tensor_free(b);
        deep_model_free(loaded);
        deep_model_free(model);
    }
}
END_TEST

/* ----------------------------------------------------------------------------------- */

static TCase *new_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    return tc;
}

static Suite *masking_suite(void)
{
    Suite *s = suite_create("masking");
    TCase *tc = new_tcase("masked recurrent layers");
    tcase_add_loop_test(tc, masked_rnn_gradients, 0, 8 * KIND_COUNT);
    tcase_add_loop_test(tc, masked_rnn_outputs_follow_keras, 0, 2 * KIND_COUNT);
    tcase_add_loop_test(tc, mask_of_ones_changes_nothing, 0, KIND_COUNT);
    suite_add_tcase(s, tc);

    tc = new_tcase("mask layers");
    tcase_add_test(tc, masking_marks_exactly_the_padding_steps);
    tcase_add_test(tc, masking_gradient_check);
    tcase_add_test(tc, embedding_mask_zero_marks_id_zero);
    tcase_add_test(tc, masked_batch_norm_gradients);
    tcase_add_test(tc, masked_batch_norm_counts_real_steps);
    suite_add_tcase(s, tc);

    tc = new_tcase("models");
    tcase_add_loop_test(tc, padded_sequences_match_unpadded, 0, 8 * KIND_COUNT);
    tcase_add_loop_test(tc, masked_training_same_with_two_threads, 0, KIND_COUNT);
    tcase_add_test(tc, masking_misuse);
    tcase_add_test(tc, mask_zero_misuse);
    tcase_add_test(tc, mask_settings_survive_save_and_load);
    suite_add_tcase(s, tc);

    tc = new_tcase("states");
    tcase_add_loop_test(tc, states_are_the_last_outputs, 0, 4 * KIND_COUNT);
    tcase_add_test(tc, lstm_states_match_a_hand_computed_step);
    tcase_add_test(tc, predict_states_misuse);
    tcase_add_test(tc, predict_states_from_many_threads);
    suite_add_tcase(s, tc);

    tc = new_tcase("gru reset_after");
    tcase_add_test(tc, gru_reset_before_matches_reference);
    tcase_add_loop_test(tc, gru_reset_before_gradients, 0, 18);
    tcase_add_test(tc, gru_reset_after_option);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(masking_suite(), CK_ENV);
}
