/* Tests of the Bidirectional wrapper (layers/bidirectional.c).
 *
 * The first tests drive the layer through its ops table as the model would (the test owns
 * the parameter memory): finite-difference gradient checks (gradcheck.h) for LSTM, GRU and
 * SimpleRNN inside, every merge mode, with and without return_sequences; then the halves
 * against plain layers given the same weights: the forward half is the wrapped layer, the
 * backward half the wrapped layer with go_backwards, its sequence reversed. The last ones
 * go through the public API: misuse, summary, weights, options, model files, and a small
 * task trained end to end that needs both ends of the sequence. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
static const deep_merge_mode modes[] = {DEEP_MERGE_CONCAT, DEEP_MERGE_SUM, DEEP_MERGE_MUL, DEEP_MERGE_AVE};
static const char *const mode_names[] = {"concat", "sum", "mul", "ave"};
enum { MODE_COUNT = 4 };

static const deep_layer_ops *kind_ops(rnn_kind kind)
{
    return kind == KIND_LSTM ? &deep_lstm_ops : kind == KIND_GRU ? &deep_gru_ops : &deep_simple_rnn_ops;
}

typedef struct bidir_case {
    rnn_kind kind;
    deep_merge_mode mode;
    bool return_sequences, go_backwards, use_bias;
    float dropout, recurrent_dropout;
} bidir_case;

enum { STEPS = 4, FEATURES = 3, UNITS = 2 };

/* A wrapped layer's configuration, as deep_model_add_* and the options leave it. */
static deep_layer cell_config(const bidir_case *bc)
{
    return (deep_layer){.ops = kind_ops(bc->kind),
                        .cfg.rnn = {.units = UNITS, .activation = TANH, .recurrent_activation = SIGMOID,
                                    .use_bias = bc->use_bias, .return_sequences = bc->return_sequences,
                                    .go_backwards = bc->go_backwards, .unit_forget_bias = true,
                                    .dropout = bc->dropout, .recurrent_dropout = bc->recurrent_dropout}};
}

/* The Bidirectional around it, built with parameter memory filled uniform in [-0.6, 0.6). */
static void bidir_setup(deep_layer *layer, const bidir_case *bc, uint64_t seed)
{
    deep_layer cell = cell_config(bc);
    *layer = (deep_layer){.ops = &deep_bidirectional_ops,
                          .cfg.bidirectional = {.inner = cell.cfg.rnn, .wrapped = cell.ops, .merge_mode = bc->mode}};
    layer_build_and_alloc(layer, 2, (int64_t[]){STEPS, FEATURES});
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    for (int32_t p = 0; p < layer->param_count; p++)
        fill_uniform(&rng, layer->params[p].value, layer->params[p].size, -0.6f, 0.6f);
}

/* _i of the gradient loop: kind, merge mode, return_sequences. */
static bidir_case gradient_case(int i)
{
    return (bidir_case){.kind = (rnn_kind)(i / (2 * MODE_COUNT)), .mode = modes[(i / 2) % MODE_COUNT],
                        .return_sequences = i % 2 == 1, .use_bias = true};
}

static void check_gradients(const bidir_case *bc, uint64_t seed)
{
    enum { BATCH = 2 };
    char what[160];
    snprintf(what, sizeof what, "Bidirectional(%s, %s, return_sequences %d, go_backwards %d, dropout %g/%g)",
             kind_names[bc->kind], mode_names[bc->mode], bc->return_sequences, bc->go_backwards,
             (double)bc->dropout, (double)bc->recurrent_dropout);
    deep_layer layer;
    bidir_setup(&layer, bc, seed);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng, masks;
    deep_rng_init(&rng, seed + 1);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    grad_check gc = {.what = what, .layer = &layer, .ex = {.training = true, .rng = &masks},
                     .mask_seed = seed + 2, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}

START_TEST(bidirectional_gradients)
{
    bidir_case bc = gradient_case(_i);
    check_gradients(&bc, 100 + (uint64_t)_i);
}
END_TEST

/* The options reach both copies: go_backwards, both dropouts (same masks every forward),
 * and no bias. */
START_TEST(bidirectional_gradients_with_options)
{
    static const bidir_case cases[] = {
        {KIND_LSTM, DEEP_MERGE_CONCAT, true, true, true, 0.25f, 0.25f},
        {KIND_GRU, DEEP_MERGE_MUL, false, false, true, 0.3f, 0.0f},
        {KIND_RNN, DEEP_MERGE_SUM, true, true, false, 0.0f, 0.3f},
        {KIND_GRU, DEEP_MERGE_AVE, true, false, false, 0.0f, 0.0f},
    };
    check_gradients(&cases[_i], 300 + (uint64_t)_i);
}
END_TEST

/* Shapes and parameters: twice the wrapped layer's, named as Keras names them. */
START_TEST(bidirectional_build_follows_keras)
{
    for (int k = 0; k < KIND_COUNT; k++)
        for (int m = 0; m < MODE_COUNT; m++)
            for (int seq = 0; seq < 2; seq++) {
                bidir_case bc = {.kind = (rnn_kind)k, .mode = modes[m], .return_sequences = seq, .use_bias = true};
                deep_layer cell = cell_config(&bc), layer;
                ck_assert_int_eq(layer_try_build(&cell, 2, (int64_t[]){STEPS, FEATURES}), DEEP_OK);
                bidir_setup(&layer, &bc, 1);
                int64_t width = modes[m] == DEEP_MERGE_CONCAT ? 2 * UNITS : UNITS;
                ck_assert_int_eq(layer.out_rank, seq ? 2 : 1);
                ck_assert_int_eq(layer.out_shape[layer.out_rank - 1], width);
                if (seq)
                    ck_assert_int_eq(layer.out_shape[0], STEPS);
                ck_assert_int_eq(layer.param_count, 2 * cell.param_count);
                static const char *const sides[] = {"forward_", "backward_"};
                for (int32_t p = 0; p < layer.param_count; p++) {
                    const deep_param *mine = &layer.params[p], *theirs = &cell.params[p % cell.param_count];
                    char want[64];
                    snprintf(want, sizeof want, "%s%s/%s", sides[p / cell.param_count], cell.ops->type,
                             theirs->name);
                    ck_assert_str_eq(mine->name, want);
                    ck_assert_int_eq(mine->size, theirs->size);
                }
                layer_release(&layer);
            }
}
END_TEST

/* Runs a layer's inference forward on in (BATCH samples) into a new buffer. */
static float *run_forward(const deep_layer *layer, const float *in, int64_t batch)
{
    float *out = floats(batch * layer->out_size), *scratch = layer_scratch(layer, batch);
    deep_exec ex = {.training = false};
    layer->ops->forward(layer, &ex, in, out, scratch, batch);
    free(scratch);
    return out;
}

/* A plain wrapped layer viewing one half of the Bidirectional's weights. */
static void plain_half(const deep_layer *bidir, const bidir_case *bc, int half, bool go_backwards, deep_layer *plain)
{
    *plain = cell_config(bc);
    plain->cfg.rnn.go_backwards = go_backwards;
    ck_assert_int_eq(layer_try_build(plain, 2, (int64_t[]){STEPS, FEATURES}), DEEP_OK);
    for (int32_t p = 0; p < plain->param_count; p++)
        plain->params[p] = bidir->params[half * plain->param_count + p];
}

/* Concat: the first half of each output is the plain layer with the forward weights; the
 * second half is the go_backwards layer with the backward weights, its step T-1-t at step
 * t. With the wrapped layer's go_backwards set, Keras swaps the two directions. The other
 * modes combine the same two values. */
START_TEST(bidirectional_halves_are_plain_layers)
{
    enum { BATCH = 3 };
    rnn_kind kind = (rnn_kind)(_i / 4);
    bool seq = _i % 2, backwards = (_i / 2) % 2;
    bidir_case bc = {.kind = kind, .mode = DEEP_MERGE_CONCAT, .return_sequences = seq, .go_backwards = backwards,
                     .use_bias = true};
    deep_layer layer, forward, backward;
    bidir_setup(&layer, &bc, 40 + (uint64_t)_i);
    plain_half(&layer, &bc, 0, backwards, &forward);
    plain_half(&layer, &bc, 1, !backwards, &backward);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 50 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    float *out = run_forward(&layer, in, BATCH), *f = run_forward(&forward, in, BATCH);
    float *r = run_forward(&backward, in, BATCH);
    int64_t steps = seq ? STEPS : 1;
    float *merged[MODE_COUNT];
    for (int m = 1; m < MODE_COUNT; m++) {
        layer.cfg.bidirectional.merge_mode = modes[m];
        layer.out_shape[layer.out_rank - 1] = UNITS;
        layer.out_size = steps * UNITS;
        merged[m] = run_forward(&layer, in, BATCH);
    }
    for (int64_t b = 0; b < BATCH; b++)
        for (int64_t t = 0; t < steps; t++)
            for (int64_t j = 0; j < UNITS; j++) {
                float want_f = f[(b * steps + t) * UNITS + j], want_r = r[(b * steps + steps - 1 - t) * UNITS + j];
                const float *o = out + (b * steps + t) * 2 * UNITS;
                ck_assert_msg(o[j] == want_f && o[UNITS + j] == want_r,
                              "%s case %d: sample %lld step %lld unit %lld: (%g, %g), the plain layers give (%g, %g)",
                              kind_names[kind], _i, (long long)b, (long long)t, (long long)j, (double)o[j],
                              (double)o[UNITS + j], (double)want_f, (double)want_r);
                int64_t at = (b * steps + t) * UNITS + j;
                ck_assert(merged[1][at] == want_f + want_r);
                ck_assert(merged[2][at] == want_f * want_r);
                ck_assert(merged[3][at] == 0.5f * (want_f + want_r));
            }
    for (int m = 1; m < MODE_COUNT; m++)
        free(merged[m]);
    free(in);
    free(out);
    free(f);
    free(r);
    layer_release(&layer);
}
END_TEST

/* Training draws the forward copy's dropout masks, then the backward copy's. */
START_TEST(bidirectional_dropout_applies_only_while_training)
{
    enum { BATCH = 4 };
    bidir_case bc = {.kind = KIND_GRU, .mode = DEEP_MERGE_CONCAT, .return_sequences = true, .use_bias = true,
                     .dropout = 0.5f, .recurrent_dropout = 0.5f};
    deep_layer layer;
    bidir_setup(&layer, &bc, 9);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 10);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    float *infer = run_forward(&layer, in, BATCH), *train = floats(BATCH * layer.out_size);
    float *scratch = layer_scratch(&layer, BATCH);
    deep_exec training = {.training = true, .rng = &rng};
    layer.ops->forward(&layer, &training, in, train, scratch, BATCH);
    int changed[2] = {0, 0};
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        changed[(i % (2 * UNITS)) >= UNITS] += fabsf(train[i] - infer[i]) > 1e-4f;
    ck_assert_msg(changed[0] > 4 && changed[1] > 4, "dropout 0.5 changed %d forward and %d backward outputs",
                  changed[0], changed[1]);
    free(in);
    free(infer);
    free(train);
    free(scratch);
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
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    return model;
}

static int32_t layer_count(const deep_model *model)
{
    int32_t count = -1;
    ASSERT_OK(deep_model_layer_count(model, &count));
    return count;
}

/* Whether a model file (binary data, then JSON) holds `text`. */
static bool contains(const char *bytes, int64_t size, const char *text)
{
    size_t n = strlen(text);
    for (int64_t i = 0; i + (int64_t)n <= size; i++)
        if (memcmp(bytes + i, text, n) == 0)
            return true;
    return false;
}

/* Whether the model document, a JSON text kept in a JSON string, holds `text`. */
static bool document_contains(const char *bytes, int64_t size, const char *text)
{
    char escaped[256];
    size_t n = 0;
    for (const char *c = text; *c != '\0' && n + 2 < sizeof escaped; c++) {
        if (*c == '"')
            escaped[n++] = '\\';
        escaped[n++] = *c;
    }
    escaped[n] = '\0';
    return contains(bytes, size, escaped);
}

static void compile_adam(deep_model *model, float rate, deep_loss loss)
{
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, rate));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    ASSERT_OK(deep_model_compile(model, adam, loss, metrics, 1));
}

START_TEST(bidirectional_misuse)
{
    static const char fn[] = "deep_model_add_bidirectional";
    ck_assert_int_eq(deep_model_add_bidirectional(NULL, DEEP_MERGE_CONCAT), DEEP_ERR_NULL);
    deep_model *model = sequence_model(5, 3);
    ASSERT_FAILS_WITH(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT), DEEP_ERR_STATE, fn, "no layer");
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 4, TANH, 1));
    ASSERT_FAILS_WITH(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "layer 1 (dense) is a Dense");
    ck_assert_int_eq(layer_count(model), 2);
    deep_model_free(model);

    model = sequence_model(5, 3);
    ASSERT_OK(deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 1));
    ASSERT_FAILS_WITH(deep_model_add_bidirectional(model, (deep_merge_mode)4), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "merge_mode 4");
    ASSERT_FAILS_WITH(deep_model_add_bidirectional(model, (deep_merge_mode)-1), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "merge_mode -1");
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    ck_assert_int_eq(layer_count(model), 1);
    ASSERT_FAILS_WITH(deep_model_add_bidirectional(model, DEEP_MERGE_SUM), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "already Bidirectional");
    ck_assert_int_eq(layer_count(model), 1);
    /* A Bidirectional without return_sequences cannot feed a recurrent layer either. */
    ASSERT_OK(deep_model_add_gru(model, 3, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_SUM));
    ASSERT_FAILS_WITH(deep_model_add_lstm(model, 2, TANH, SIGMOID, 1, 0), DEEP_ERR_SHAPE, "deep_model_add_lstm",
                      "return_sequences");
    ck_assert_int_eq(layer_count(model), 2);
    ASSERT_OK(deep_model_add_dense(model, 1, SIGMOID, 1));
    compile_adam(model, 0.01f, DEEP_LOSS_BINARY_CROSSENTROPY);
    ASSERT_FAILS_WITH(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT), DEEP_ERR_STATE, fn, "compile");
    ck_assert_int_eq(layer_count(model), 3);
    deep_model_free(model);
}
END_TEST

/* The wrapped layer's options apply, set before or after wrapping; unit_forget_bias only
 * around an LSTM. */
START_TEST(bidirectional_takes_the_wrapped_options)
{
    deep_model *model = sequence_model(5, 3);
    ASSERT_OK(deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_DROPOUT, 0.25));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    ASSERT_OK(deep_model_set_layer_float(model, -1, DEEP_LAYER_RECURRENT_DROPOUT, 0.125));
    ASSERT_OK(deep_model_set_layer_int(model, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    ASSERT_OK(deep_model_set_layer_int(model, -1, DEEP_LAYER_UNIT_FORGET_BIAS, 0));
    ASSERT_OK(deep_model_add_gru(model, 2, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_AVE));
    ASSERT_FAILS(deep_model_set_layer_int(model, -1, DEEP_LAYER_UNIT_FORGET_BIAS, 0), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_layer_int");
    /* Saved and loaded, the options come back (the configs are compared field by field
     * through the file's JSON being written again identically). */
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    char *bytes = malloc((size_t)size), *again = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    int64_t size_again = 0;
    ASSERT_OK(deep_model_save_buffer(loaded, NULL, 0, &size_again));
    ck_assert_int_eq(size_again, size);
    ASSERT_OK(deep_model_save_buffer(loaded, again, size, &size_again));
    ck_assert_msg(memcmp(bytes, again, (size_t)size) == 0, "an uncompiled model file differs once loaded");
    static const char *const wanted[] = {"\"type\": \"bidirectional\"", "\"merge_mode\": \"concat\"",
                                         "\"merge_mode\": \"ave\"", "\"type\": \"lstm\"", "\"go_backwards\": true",
                                         "\"unit_forget_bias\": false", "\"dropout\": 0.25",
                                         "\"recurrent_dropout\": 0.125"};
    for (int i = 0; i < COUNT_OF(wanted); i++)
        ck_assert_msg(document_contains(bytes, size, wanted[i]), "the file lacks %s",
                      wanted[i]);
    free(bytes);
    free(again);
    deep_model_free(loaded);
    deep_model_free(model);
}
END_TEST

START_TEST(bidirectional_summary_and_weights)
{
    deep_model *model = sequence_model(20, 8);
    ASSERT_OK(deep_model_add_lstm(model, 16, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    ASSERT_OK(deep_model_add_gru(model, 4, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_SUM));
    char summary[4096];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    /* Keras: 2 * 4 * ((8 + 16) * 16 + 16) = 3200; 2 * 3 * ((32 + 4) * 4 + 2 * 4) = 912. */
    static const char *const rows[] = {"bidirectional (Bidirectional)", "(None, 20, 32)", "3200",
                                       "bidirectional_1 (Bidirectional)", "(None, 4)", "912"};
    for (int i = 0; i < COUNT_OF(rows); i++)
        ck_assert_msg(strstr(summary, rows[i]) != NULL, "the summary lacks \"%s\":\n%s", rows[i], summary);
    int64_t params = 0;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ck_assert_int_eq(params, 3200 + 912);
    compile_adam(model, 0.01f, DEEP_LOSS_MEAN_SQUARED_ERROR);
    int32_t count = 0;
    ASSERT_OK(deep_model_weight_count(model, 0, &count));
    ck_assert_int_eq(count, 6);
    static const int64_t shapes[6][2] = {{8, 64}, {16, 64}, {64, 0}, {8, 64}, {16, 64}, {64, 0}};
    for (int32_t w = 0; w < 6; w++) {
        deep_tensor *t = NULL;
        ASSERT_OK(deep_model_get_weight(model, 0, w, &t));
        int64_t shape[2] = {0, 0};
        int32_t rank = 0;
        ASSERT_OK(deep_tensor_rank(t, &rank));
        ASSERT_OK(deep_tensor_shape(t, shape, 2, &(int64_t){0}));
        ck_assert_int_eq(rank, shapes[w][1] == 0 ? 1 : 2);
        ck_assert_int_eq(shape[0], shapes[w][0]);
        ck_assert_int_eq(shape[1], shapes[w][1]);
        deep_tensor_free(t);
    }
    /* The two copies start from different draws; the LSTM forget bias is 1 in both. */
    deep_tensor *kf = NULL, *kb = NULL, *bias = NULL;
    ASSERT_OK(deep_model_get_weight(model, 0, 0, &kf));
    ASSERT_OK(deep_model_get_weight(model, 0, 3, &kb));
    ASSERT_OK(deep_model_get_weight(model, 0, 5, &bias));
    const float *a = NULL, *b = NULL, *c = NULL;
    ASSERT_OK(deep_tensor_data(kf, &a));
    ASSERT_OK(deep_tensor_data(kb, &b));
    ASSERT_OK(deep_tensor_data(bias, &c));
    ck_assert_msg(memcmp(a, b, 8 * 64 * sizeof *a) != 0, "both directions start with the same kernel");
    for (int j = 0; j < 64; j++)
        ck_assert(c[j] == (j >= 16 && j < 32 ? 1.0f : 0.0f));
    deep_tensor_free(kf);
    deep_tensor_free(kb);
    deep_tensor_free(bias);
    /* The file names the weights as Keras does. */
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &needed));
    char *bytes = malloc((size_t)needed);
    ASSERT_OK(deep_model_save_buffer(model, bytes, needed, &needed));
    static const char *const names[] = {"\"bidirectional/forward_lstm/kernel\"",
                                        "\"bidirectional/backward_lstm/recurrent_kernel\"",
                                        "\"bidirectional_1/backward_gru/bias\""};
    for (int i = 0; i < COUNT_OF(names); i++)
        ck_assert_msg(contains(bytes, needed, names[i]), "the file lacks %s",
                      names[i]);
    free(bytes);
    deep_model_free(model);
}
END_TEST

/* Sequences of STEPS_TASK steps of one feature in [0, 1); the label is whether the first
 * value is larger than the last. Each end is near one copy's output; a single direction
 * must carry one end through the whole sequence (a plain stacked LSTM learns it too, so
 * this shows the wrapper trains end to end; test_sequence_outputs.c has a task that only
 * the backward copy can solve). */
enum { STEPS_TASK = 12 };

static deep_dataset *ends_task(int64_t n, uint64_t seed)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    float *x = floats(n * STEPS_TASK);
    int32_t *y = malloc((size_t)n * sizeof *y);
    ck_assert(y != NULL);
    fill_uniform(&rng, x, n * STEPS_TASK, 0.0f, 1.0f);
    for (int64_t s = 0; s < n; s++)
        y[s] = x[s * STEPS_TASK] > x[s * STEPS_TASK + STEPS_TASK - 1];
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(n, 2, (int64_t[]){STEPS_TASK, 1}, x, &data));
    ASSERT_OK(deep_dataset_set_labels(data, y, n, 2));
    free(x);
    free(y);
    return data;
}

static deep_model *ends_model(uint64_t seed)
{
    deep_model *model = sequence_model(STEPS_TASK, 1);
    ASSERT_OK(deep_model_set_seed(model, seed));
    ASSERT_OK(deep_model_add_lstm(model, 8, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    ASSERT_OK(deep_model_add_lstm(model, 8, TANH, SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_dense(model, 1, SIGMOID, 1));
    compile_adam(model, 0.01f, DEEP_LOSS_BINARY_CROSSENTROPY);
    return model;
}

START_TEST(stacked_bidirectional_compares_both_ends)
{
    deep_dataset *train = ends_task(768, 1), *test = ends_task(256, 2);
    deep_model *model = ends_model(3);
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 2));
    ASSERT_OK(deep_model_fit(model, train, 20, 32, NULL));
    double values[2] = {0};
    ASSERT_OK(deep_model_evaluate(model, test, 64, values, 2, &(int64_t){0}));
    ck_assert_msg(values[1] >= 0.85, "test accuracy %.3f (loss %.4f) after 20 epochs; chance is 0.5, want >= 0.85",
                  values[1], values[0]);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

/* A trained model saved and loaded predicts bit for bit the same, and continues fit the
 * same as the original. */
START_TEST(bidirectional_model_file_round_trip)
{
    deep_dataset *train = ends_task(64, 5);
    deep_model *model = ends_model(4);
    ASSERT_OK(deep_model_fit(model, train, 2, 16, NULL));
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    char *bytes = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    free(bytes);
    deep_tensor *inputs = NULL, *want = NULL, *got = NULL;
    ASSERT_OK(deep_dataset_features(train, &inputs));
    for (int round = 0; round < 2; round++) {
        ASSERT_OK(deep_model_predict(model, inputs, &want));
        ASSERT_OK(deep_model_predict(loaded, inputs, &got));
        const float *a = NULL, *b = NULL;
        ASSERT_OK(deep_tensor_data(want, &a));
        ASSERT_OK(deep_tensor_data(got, &b));
        ck_assert_msg(memcmp(a, b, 64 * sizeof *a) == 0, "round %d: the loaded model predicts differently", round);
        deep_tensor_free(want);
        deep_tensor_free(got);
        ASSERT_OK(deep_model_set_int(loaded, DEEP_MODEL_VERBOSE, 0));
        ASSERT_OK(deep_model_fit(model, train, 1, 16, NULL));
        ASSERT_OK(deep_model_fit(loaded, train, 1, 16, NULL));
    }
    deep_tensor_free(inputs);
    deep_model_free(model);
    deep_model_free(loaded);
    deep_dataset_free(train);
}
END_TEST

/* Recomputes "libdeep.checksum" after an edit, so that the field checks are what fails. */
static void refresh_checksum(char *bytes, int64_t length)
{
    const char *key = "\"libdeep.checksum\": \"";
    size_t n = strlen(key);
    int64_t at = -1;
    for (int64_t i = 0; i + (int64_t)n < length && at < 0; i++)
        if (memcmp(bytes + i, key, n) == 0)
            at = i + (int64_t)n;
    ck_assert(at >= 0);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)bytes, (uInt)at);
    crc = crc32(crc, (const Bytef *)bytes + at + 8, (uInt)(length - at - 8));
    char hex[9];
    snprintf(hex, sizeof hex, "%08lx", crc);
    memcpy(bytes + at, hex, 8);
}

/* The file of Bidirectional(SimpleRNN(4), concat), edited (`from` and `to` of the same
 * length, in the escaped model document) with a valid checksum, fails to load naming
 * `fragment`. */
static void edited_rejected(const char *from, const char *to, const char *fragment)
{
    deep_model *model = sequence_model(5, 2);
    ASSERT_OK(deep_model_add_simple_rnn(model, 4, TANH, 1, 0));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    char *bytes = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    deep_model_free(model);
    size_t n = strlen(from);
    ck_assert_int_eq(n, strlen(to));
    bool found = false;
    for (int64_t i = 0; i + (int64_t)n <= size && !found; i++)
        if (memcmp(bytes + i, from, n) == 0) {
            memcpy(bytes + i, to, n);
            found = true;
        }
    ck_assert_msg(found, "'%s' is not in the file", from);
    refresh_checksum(bytes, size);
    deep_model *loaded = (deep_model *)&loaded;
    ASSERT_FAILS_WITH(deep_model_load_buffer(bytes, size, &loaded), DEEP_ERR_FORMAT, "deep_model_load_buffer",
                      fragment);
    ck_assert_ptr_null(loaded);
    free(bytes);
}

START_TEST(bidirectional_file_fields_are_validated)
{
    edited_rejected("\\\"merge_mode\\\": \\\"concat\\\"", "\\\"merge_mode\\\": \\\"concut\\\"",
                    "'merge_mode' must be \"concat\", \"sum\", \"mul\" or \"ave\"");
    edited_rejected("\\\"merge_mode\\\"", "\\\"merge_made\\\"", "unknown config field 'merge_made'");
    edited_rejected("\\\"type\\\": \\\"simple_rnn\\\"", "\\\"type\\\": \\\"embedding\\\" ",
                    "'layer' must be an object");
    edited_rejected("\\\"type\\\": \\\"simple_rnn\\\"", "\\\"typo\\\": \\\"simple_rnn\\\"",
                    "'layer' must be an object");
    edited_rejected("\\\"units\\\": 4", "\\\"units\\\": 0", "units is 0");
    edited_rejected("\\\"units\\\": 4", "\\\"unitz\\\": 4", "unknown config field 'unitz' for a simple_rnn");
}
END_TEST

static Suite *bidirectional_suite(void)
{
    Suite *s = suite_create("bidirectional");
    TCase *tc = tcase_create("layer");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, bidirectional_gradients, 0, KIND_COUNT * MODE_COUNT * 2);
    tcase_add_loop_test(tc, bidirectional_gradients_with_options, 0, 4);
    tcase_add_test(tc, bidirectional_build_follows_keras);
    tcase_add_loop_test(tc, bidirectional_halves_are_plain_layers, 0, KIND_COUNT * 4);
    tcase_add_test(tc, bidirectional_dropout_applies_only_while_training);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bidirectional_misuse);
    tcase_add_test(tc, bidirectional_takes_the_wrapped_options);
    tcase_add_test(tc, bidirectional_summary_and_weights);
    tcase_add_test(tc, bidirectional_model_file_round_trip);
    tcase_add_test(tc, bidirectional_file_fields_are_validated);
    suite_add_tcase(s, tc);

    tc = tcase_create("training");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, stacked_bidirectional_compares_both_ends);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(bidirectional_suite(), CK_ENV);
}
