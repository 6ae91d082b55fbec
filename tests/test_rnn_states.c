/* Recurrent layers in graphs (Keras' initial_state and return_state): finite-difference
 * gradient checks through initial states and state nodes (LSTM, both GRU forms, SimpleRNN;
 * masked, reversed, per-step outputs), a seq2seq encoder-decoder that learns to reverse
 * short sequences with teacher forcing, model files, sub-models, the summary, and errors. */
#include <math.h>
#include <zlib.h>

#include "check_helpers.h"
#include "graph/model.h"

#define GRADCHECK_STEP 1e-2f
#define GRADCHECK_REL_TOL 2e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"
#include "losses/loss.h"
#include "tensor/tensor.h"

enum kind { LSTM, GRU, GRU_BEFORE, SIMPLE_RNN, KIND_COUNT };
static const char *const kind_names[] = {"LSTM", "GRU", "GRU reset_after=0", "SimpleRNN"};

static int32_t last(deep_model *model)
{
    int32_t node;
    ASSERT_OK(deep_model_last_node(model, &node));
    return node;
}

static int32_t dense_on(deep_model *model, int32_t node, int64_t units, deep_activation activation)
{
    ASSERT_OK(deep_model_connect(model, &node, 1));
    ASSERT_OK(deep_model_add_dense(model, units, activation, 1));
    return last(model);
}

/* A recurrent layer of that kind on `inputs` (the sequence, then its initial states). */
static int32_t recurrent_on(deep_model *model, enum kind kind, const int32_t *inputs, int32_t count, int64_t units,
                            int32_t sequences)
{
    ASSERT_OK(deep_model_connect(model, inputs, count));
    if (kind == LSTM)
        ASSERT_OK(deep_model_add_lstm(model, units, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, sequences));
    else if (kind == SIMPLE_RNN)
        ASSERT_OK(deep_model_add_simple_rnn(model, units, DEEP_ACTIVATION_TANH, 1, sequences));
    else
        ASSERT_OK(deep_model_add_gru(model, units, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, sequences));
    if (kind == GRU_BEFORE)
        ASSERT_OK(deep_model_set_layer_int(model, -1, DEEP_LAYER_RESET_AFTER, 0));
    return last(model);
}

/* deep_model_state_nodes into h and c (-1 when the layer has no c). */
static deep_status state_nodes(deep_model *model, int32_t node, int32_t *h, int32_t *c)
{
    int32_t states[2] = {-1, -1};
    int64_t needed = 0;
    deep_status status = deep_model_state_nodes(model, node, states, 2, &needed);
    *h = states[0];
    if (c != NULL)
        *c = states[1];
    return status;
}

static int32_t state_count(enum kind kind)
{
    return kind == LSTM ? 2 : 1;
}

/* The model's mean batch loss on x and targets y after a forward pass. */
static double batch_loss(deep_model *model, deep_workspace *ws, const float *x, const float *y, int64_t batch)
{
    deep_exec ex = {0};
    deep_model_load_inputs(model, ws, x, batch);
    memcpy(ws->targets, y, (size_t)(batch * model->nodes[deep_model_output_node(model)].size) * sizeof(float));
    deep_model_forward(model, ws, &ex, batch);
    deep_pass_stats stats = {0};
    return deep_model_score_batch(model, ws, batch, &stats, NULL);
}

/* Backward's gradient of every weight against central differences of the loss on x. */
static void check_gradients(deep_model *model, const float *x, int64_t batch, const char *what)
{
    int64_t out = model->nodes[deep_model_output_node(model)].size;
    float *y = malloc((size_t)(batch * out) * sizeof *y);
    for (int64_t i = 0; i < batch * out; i++)
        y[i] = (float)cos(0.7 * (double)i);
    for (int64_t i = 0; i < model->weight_total; i++)
        model->weights[i] = 0.8f * (float)sin(1.7 * (double)i + 0.3);
    deep_workspace ws;
    ck_assert_int_eq(deep_workspace_init(model, batch, true, &ws), DEEP_OK);
    deep_exec ex = {0};
    deep_model_load_inputs(model, &ws, x, batch);
    memcpy(ws.targets, y, (size_t)(batch * out) * sizeof(float));
    deep_model_forward(model, &ws, &ex, batch);
    deep_pass_stats stats = {0};
    deep_model_score_batch(model, &ws, batch, &stats, ws.grad_a);
    deep_model_backward(model, &ws, &ex, batch);
    float *analytic = malloc((size_t)model->weight_total * sizeof *analytic);
    memcpy(analytic, model->grads, (size_t)model->weight_total * sizeof *analytic);
    const float h = 1e-2f;
    for (int64_t i = 0; i < model->weight_total; i++) {
        float saved = model->weights[i];
        model->weights[i] = saved + h;
        double up = batch_loss(model, &ws, x, y, batch);
        model->weights[i] = saved - h;
        double down = batch_loss(model, &ws, x, y, batch);
        model->weights[i] = saved;
        double numeric = (up - down) / (2.0 * h);
        ck_assert_msg(fabs(numeric - analytic[i]) <= 1e-3 + 2e-2 * fabs(numeric),
                      "%s: weight %lld: backward gives %g, finite differences %g", what, (long long)i,
                      (double)analytic[i], numeric);
    }
    deep_workspace_release(model, &ws);
    free(analytic);
    free(y);
}

enum { STEPS = 4, FEATURES = 3, UNITS = 3, CONTEXT = 2, BATCH = 3 };

/* Variants of the gradient check: 0 plain, the encoder returning sequences; 1 masked steps
 * (a padding first step, last step, and a sequence padded after its first step); 2 the
 * encoder reading backwards. */
enum { PLAIN, MASKED, BACKWARDS, VARIANT_COUNT };

/* An encoder whose initial states are Dense layers of a context input, a decoder starting
 * from the encoder's final states, and a head on the decoder's output, the encoder's
 * output and its last state (which thus feeds two calls): every path of the states. */
static deep_model *states_graph(enum kind kind, int variant)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, FEATURES}, &model));
    int32_t context;
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){CONTEXT}, &context));
    int32_t sequence = 0;
    if (variant == MASKED) {
        ASSERT_OK(deep_model_connect(model, &sequence, 1));
        ASSERT_OK(deep_model_add_masking(model, 0.0));
        sequence = last(model);
    }
    int32_t inputs[3] = {sequence, dense_on(model, context, UNITS, DEEP_ACTIVATION_TANH),
                         dense_on(model, context, UNITS, DEEP_ACTIVATION_LINEAR)};
    int32_t n = 1 + state_count(kind);
    int32_t encoder = recurrent_on(model, kind, inputs, n, UNITS, variant == PLAIN);
    if (variant == BACKWARDS)
        ASSERT_OK(deep_model_set_layer_int(model, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    int32_t states[2];
    ASSERT_OK(state_nodes(model, encoder, &states[0], &states[1]));
    ck_assert_int_eq(states[1] >= 0, kind == LSTM);
    int32_t decoder_inputs[3] = {sequence, states[0], states[1]};
    int32_t decoder = recurrent_on(model, kind, decoder_inputs, n, UNITS, 0);
    if (variant == PLAIN) {
        ASSERT_OK(deep_model_connect(model, &encoder, 1));
        ASSERT_OK(deep_model_add_flatten(model));
        encoder = last(model);
    }
    ASSERT_OK(deep_model_connect(model, (int32_t[]){decoder, encoder, states[n - 2]}, 3));
    ASSERT_OK(deep_model_add_concatenate(model, -1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_set_seed(model, 3));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    return model;
}

static void states_input(int variant, float *x)
{
    enum { ROW = STEPS * FEATURES + CONTEXT };
    for (int64_t i = 0; i < BATCH * ROW; i++)
        x[i] = (float)sin(2.3 * (double)i + 0.5);
    if (variant != MASKED)
        return;
    memset(x, 0, FEATURES * sizeof *x);                                     /* sample 0, step 0 */
    memset(x + ROW + (STEPS - 1) * FEATURES, 0, FEATURES * sizeof *x);      /* sample 1, the last step */
    memset(x + 2 * ROW + FEATURES, 0, (STEPS - 1) * FEATURES * sizeof *x); /* sample 2, after step 0 */
}

START_TEST(states_pass_gradient_checks)
{
    enum kind kind = (enum kind)(_i / VARIANT_COUNT);
    int variant = _i % VARIANT_COUNT;
    deep_model *model = states_graph(kind, variant);
    float x[BATCH * (STEPS * FEATURES + CONTEXT)];
    states_input(variant, x);
    char what[64];
    snprintf(what, sizeof what, "%s, variant %d", kind_names[kind], variant);
    check_gradients(model, x, BATCH, what);
    deep_model_free(model);
}
END_TEST

/* A state node as a model output, and a layer called with and without initial states. */
START_TEST(state_as_output_passes_gradient_check)
{
    for (int kind = 0; kind < KIND_COUNT; kind++) {
        deep_model *model = NULL;
        ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, FEATURES}, &model));
        int32_t context, zero = 0, plain, states[2];
        ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){UNITS}, &context));
        int32_t inputs[3] = {0, context, context};
        int32_t call = recurrent_on(model, kind, inputs, 1 + state_count(kind), UNITS, 1);
        ASSERT_OK(deep_model_apply_layer(model, -1, &zero, 1, &plain)); /* the same layer from zeros */
        ASSERT_OK(state_nodes(model, plain, &states[0], &states[1]));
        int32_t again;
        ASSERT_OK(state_nodes(model, plain, &again, NULL));
        ck_assert_int_eq(again, states[0]);
        int32_t output = states[kind == LSTM ? 1 : 0];
        ASSERT_OK(deep_model_connect(model, &call, 1));
        ASSERT_OK(deep_model_add_flatten(model));
        int32_t flat = last(model);
        ASSERT_OK(deep_model_connect(model, (int32_t[]){flat, output}, 2));
        ASSERT_OK(deep_model_add_concatenate(model, -1));
        ASSERT_OK(deep_model_set_outputs(model, (int32_t[]){last(model)}, 1));
        int32_t index;
        ASSERT_OK(deep_model_node_output_index(model, output, &index));
        ck_assert_int_eq(index, kind == LSTM ? 2 : 1);
        ASSERT_OK(deep_model_node_output_index(model, call, &index));
        ck_assert_int_eq(index, 0);
        deep_optimizer *sgd = NULL;
        ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
        ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
        float x[BATCH * (STEPS * FEATURES + UNITS)];
        for (int i = 0; i < COUNT_OF(x); i++)
            x[i] = (float)cos(1.1 * i);
        check_gradients(model, x, BATCH, kind_names[kind]);
        deep_model_free(model);
    }
}
END_TEST

/* A Bidirectional encoder's forward and backward states, concatenated, start a decoder
 * twice as wide (Keras' bidirectional seq2seq), through the whole executor. */
START_TEST(bidirectional_encoder_passes_gradient_check)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, FEATURES}, &model));
    ASSERT_OK(deep_model_add_lstm(model, UNITS, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    int32_t encoder = last(model), states[4], zero = 0;
    int64_t needed = 0;
    ASSERT_OK(deep_model_state_nodes(model, encoder, states, 4, &needed));
    ASSERT_OK(deep_model_connect(model, (int32_t[]){states[0], states[2]}, 2));
    ASSERT_OK(deep_model_add_concatenate(model, -1));
    int32_t h = last(model);
    ASSERT_OK(deep_model_connect(model, (int32_t[]){states[1], states[3]}, 2));
    ASSERT_OK(deep_model_add_concatenate(model, -1));
    int32_t c = last(model);
    int32_t inputs[3] = {zero, h, c};
    int32_t decoder = recurrent_on(model, LSTM, inputs, 3, 2 * UNITS, 0);
    ASSERT_OK(deep_model_connect(model, (int32_t[]){decoder, encoder}, 2));
    ASSERT_OK(deep_model_add_concatenate(model, -1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    float x[BATCH * STEPS * FEATURES];
    for (int i = 0; i < COUNT_OF(x); i++)
        x[i] = (float)sin(0.9 * i + 0.2);
    check_gradients(model, x, BATCH, "Bidirectional encoder");
    /* Saved and loaded: the same graph, state nodes of output_index 1 to 4 included. */
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    ck_assert_int_eq(loaded->node_count, model->node_count);
    for (int32_t i = 0; i < model->node_count; i++)
        ck_assert_int_eq(loaded->nodes[i].part, model->nodes[i].part);
    free(bytes);
    deep_model_free(loaded);
    deep_model_free(model);
}
END_TEST

/* A new Bidirectional(GRU) taking initial states: the GRU on the sequence, then the nodes
 * connected before deep_model_add_bidirectional. */
START_TEST(bidirectional_initial_states_pass_gradient_check)
{
    deep_model *model = NULL;
    int32_t context, zero = 0;
    ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, FEATURES}, &model));
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){CONTEXT}, &context));
    int32_t forward = dense_on(model, context, UNITS, DEEP_ACTIVATION_TANH);
    int32_t backward = dense_on(model, context, UNITS, DEEP_ACTIVATION_LINEAR);
    recurrent_on(model, GRU, &zero, 1, UNITS, 1);
    ASSERT_OK(deep_model_connect(model, (int32_t[]){zero, forward, backward}, 3));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_AVE));
    int32_t bi = last(model), inputs[4];
    int64_t needed = 0;
    ASSERT_OK(deep_model_node_inputs(model, bi, inputs, 4, &needed));
    ck_assert_int_eq(needed, 3);
    ASSERT_OK(deep_model_connect(model, &zero, 1)); /* a pending choice is used once */
    ASSERT_OK(deep_model_connect(model, &bi, 1));
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    float x[BATCH * (STEPS * FEATURES + CONTEXT)];
    for (int i = 0; i < COUNT_OF(x); i++)
        x[i] = (float)cos(1.3 * i + 0.1);
    check_gradients(model, x, BATCH, "Bidirectional(GRU) with initial states");
    deep_model_free(model);
}
END_TEST

/* ---- one layer's states, with dropout and masks ------------------------------------- */

/* A recurrent layer on its own, with initial states and final states: L = R . out +
 * Rh . h_T + Rc . c_T, the dropout masks fixed by re-seeding before every forward. */
typedef struct state_case {
    deep_layer layer;
    deep_exec ex;
    struct deep_rng rng;
    uint64_t seed;
    int64_t batch, units;
    int states;
    float *in, *init[DEEP_MAX_STATES], *final[DEEP_MAX_STATES], *r, *r_final[DEEP_MAX_STATES], *out, *scratch;
} state_case;

static double state_objective(state_case *sc)
{
    if (sc->ex.rng != NULL)
        deep_rng_init(sc->ex.rng, sc->seed);
    deep_exec ex = sc->ex;
    for (int k = 0; k < sc->states; k++)
        ex.final_state[k] = sc->final[k];
    sc->layer.ops->forward(&sc->layer, &ex, sc->in, sc->out, sc->scratch, sc->batch);
    double loss = 0;
    for (int64_t i = 0; i < sc->batch * sc->layer.out_size; i++)
        loss += (double)sc->r[i] * sc->out[i];
    for (int k = 0; k < sc->states; k++)
        for (int64_t i = 0; i < sc->batch * sc->units; i++)
            loss += (double)sc->r_final[k][i] * sc->final[k][i];
    return loss;
}

static int state_compare(state_case *sc, const char *name, float *x, const float *analytic, int64_t n, char *first)
{
    int mismatches = 0;
    for (int64_t i = 0; i < n; i++) {
        float saved = x[i];
        x[i] = saved + GRADCHECK_STEP;
        double up = state_objective(sc);
        x[i] = saved - GRADCHECK_STEP;
        double down = state_objective(sc);
        x[i] = saved;
        double numeric = (up - down) / (2.0 * GRADCHECK_STEP);
        if (!within(analytic[i], numeric, GRADCHECK_REL_TOL, GRADCHECK_ABS_TOL) && mismatches++ == 0)
            snprintf(first, 256, "dL/d%s[%lld]: backward %.6g, finite differences %.6g", name, (long long)i,
                     (double)analytic[i], numeric);
    }
    return mismatches;
}

/* Variants: 0 dropout (training) and return_sequences; 1 padding steps (one at step 0) and
 * go_backwards; 2 dropout and padding steps. The layer (ops and config set) is built here. */
static void check_layer_states(deep_layer *layer, int states, int variant, uint64_t seed, const char *what)
{
    state_case sc = {.seed = 77, .batch = 3, .units = UNITS, .states = states};
    sc.layer = *layer;
    layer_build_and_alloc(&sc.layer, 2, (const int64_t[]){STEPS, FEATURES});
    struct deep_rng fill;
    deep_rng_init(&fill, seed);
    for (int32_t p = 0; p < sc.layer.param_count; p++)
        fill_uniform(&fill, sc.layer.params[p].value, sc.layer.params[p].size, -0.6f, 0.6f);
    int64_t n_in = sc.batch * sc.layer.in_size, n_out = sc.batch * sc.layer.out_size, n_state = sc.batch * UNITS;
    sc.in = floats(n_in);
    sc.r = floats(n_out);
    sc.out = floats(n_out);
    sc.scratch = layer_scratch(&sc.layer, sc.batch);
    fill_uniform(&fill, sc.in, n_in, -1.0f, 1.0f);
    fill_uniform(&fill, sc.r, n_out, -1.0f, 1.0f);
    float *grad_init[DEEP_MAX_STATES] = {NULL};
    for (int k = 0; k < states; k++) {
        sc.init[k] = floats(n_state);
        sc.final[k] = floats(n_state);
        sc.r_final[k] = floats(n_state);
        grad_init[k] = floats(n_state);
        fill_uniform(&fill, sc.init[k], n_state, -1.0f, 1.0f);
        fill_uniform(&fill, sc.r_final[k], n_state, -1.0f, 1.0f);
        sc.ex.init_state[k] = sc.init[k];
    }
    uint8_t mask[3 * STEPS] = {0, 1, 1, 1, /* */ 1, 1, 0, 0, /* */ 1, 0, 1, 1};
    if (variant != 0)
        sc.ex.mask = mask;
    if (variant != 1) {
        sc.ex.training = true;
        sc.ex.rng = &sc.rng;
    }

    state_objective(&sc);
    deep_exec back = sc.ex;
    for (int k = 0; k < states; k++) {
        back.final_grad[k] = sc.r_final[k];
        back.init_grad[k] = grad_init[k];
    }
    float *grad_out = floats(n_out), *grad_in = floats(n_in);
    memcpy(grad_out, sc.r, (size_t)n_out * sizeof *grad_out);
    sc.layer.ops->backward(&sc.layer, &back, sc.in, sc.out, grad_out, grad_in, sc.scratch, sc.batch);

    char first[256] = "";
    int mismatches = 0;
    for (int32_t p = 0; p < sc.layer.param_count; p++)
        mismatches += state_compare(&sc, sc.layer.params[p].name, sc.layer.params[p].value, sc.layer.params[p].grad,
                                    sc.layer.params[p].size, first);
    mismatches += state_compare(&sc, "in", sc.in, grad_in, n_in, first);
    for (int k = 0; k < states; k++) {
        char name[32];
        snprintf(name, sizeof name, "state%d_0", k);
        mismatches += state_compare(&sc, name, sc.init[k], grad_init[k], n_state, first);
    }
    ck_assert_msg(mismatches == 0, "%s, variant %d: %d gradients differ; first: %s", what, variant, mismatches,
                  first);
    for (int k = 0; k < states; k++) {
        free(sc.init[k]);
        free(sc.final[k]);
        free(sc.r_final[k]);
        free(grad_init[k]);
    }
    free(sc.in);
    free(sc.r);
    free(sc.out);
    free(sc.scratch);
    free(grad_out);
    free(grad_in);
    layer_release(&sc.layer);
}

static deep_rnn_config variant_config(const deep_layer_ops *type, int variant, bool reset_after)
{
    deep_rnn_config config = *(const deep_rnn_config *)type->defaults;
    config.units = UNITS;
    config.return_sequences = variant == 0;
    config.go_backwards = variant == 1;
    config.reset_after = reset_after;
    if (variant != 1)
        config.dropout = config.recurrent_dropout = 0.3f;
    return config;
}

START_TEST(layer_states_pass_gradient_checks)
{
    enum kind kind = (enum kind)(_i / 3);
    int variant = _i % 3;
    static const deep_layer_ops *const types[] = {&deep_lstm_ops, &deep_gru_ops, &deep_gru_ops,
                                                  &deep_simple_rnn_ops};
    deep_layer layer = {.ops = types[kind]};
    deep_rnn_config config = variant_config(types[kind], variant, kind != GRU_BEFORE);
    memcpy(layer.cfg.bytes, &config, sizeof config);
    check_layer_states(&layer, state_count(kind), variant, 3 + (uint64_t)_i, kind_names[kind]);
}
END_TEST

/* Bidirectional: the forward copy's states, then the backward copy's. */
START_TEST(bidirectional_states_pass_gradient_checks)
{
    const deep_layer_ops *wrapped = _i / 3 == 0 ? &deep_lstm_ops : &deep_gru_ops;
    int variant = _i % 3;
    deep_bidirectional_config config = {.inner = variant_config(wrapped, variant, true), .wrapped = wrapped,
                                        .merge_mode = variant == 2 ? DEEP_MERGE_SUM : DEEP_MERGE_CONCAT};
    deep_layer layer = {.ops = &deep_bidirectional_ops};
    memcpy(layer.cfg.bytes, &config, sizeof config);
    check_layer_states(&layer, wrapped == &deep_lstm_ops ? 4 : 2, variant, 40 + (uint64_t)_i,
                       wrapped == &deep_lstm_ops ? "Bidirectional(LSTM)" : "Bidirectional(GRU)");
}
END_TEST

/* A sequence of padding only keeps its initial state, as Keras. */
START_TEST(all_padding_keeps_the_initial_state)
{
    for (int kind = 0; kind < KIND_COUNT; kind++) {
        static const deep_layer_ops *const types[] = {&deep_lstm_ops, &deep_gru_ops, &deep_gru_ops,
                                                      &deep_simple_rnn_ops};
        deep_layer layer = {.ops = types[kind]};
        deep_rnn_config config = *(const deep_rnn_config *)types[kind]->defaults;
        config.units = UNITS;
        config.reset_after = kind != GRU_BEFORE;
        memcpy(layer.cfg.bytes, &config, sizeof config);
        layer_build_and_alloc(&layer, 2, (const int64_t[]){STEPS, FEATURES});
        struct deep_rng fill;
        deep_rng_init(&fill, 9);
        for (int32_t p = 0; p < layer.param_count; p++)
            fill_uniform(&fill, layer.params[p].value, layer.params[p].size, -0.6f, 0.6f);
        float in[2 * STEPS * FEATURES], out[2 * UNITS], h0[2 * UNITS], c0[2 * UNITS], h[2 * UNITS], c[2 * UNITS];
        fill_uniform(&fill, in, COUNT_OF(in), -1.0f, 1.0f);
        fill_uniform(&fill, h0, COUNT_OF(h0), -1.0f, 1.0f);
        fill_uniform(&fill, c0, COUNT_OF(c0), -1.0f, 1.0f);
        uint8_t mask[2 * STEPS] = {0, 0, 0, 0, 1, 1, 1, 1};
        deep_exec ex = {.mask = mask, .init_state = {h0, kind == LSTM ? c0 : NULL},
                        .final_state = {h, kind == LSTM ? c : NULL}};
        float *scratch = layer_scratch(&layer, 2);
        layer.ops->forward(&layer, &ex, in, out, scratch, 2);
        for (int j = 0; j < UNITS; j++) {
            ck_assert_float_eq(h[j], h0[j]);
            ck_assert_float_eq(out[j], 0.0f); /* Keras: the output of no real step is zeros */
            if (kind == LSTM)
                ck_assert_float_eq(c[j], c0[j]);
            ck_assert_float_eq_tol(out[UNITS + j], h[UNITS + j], 1e-7f); /* a real sequence: h is the output */
        }
        free(scratch);
        layer_release(&layer);
    }
}
END_TEST

/* ---- seq2seq: reverse a sequence of digits ------------------------------------------- */

enum { LENGTH = 4, DIGITS = 4, TOKENS = DIGITS + 1, SAMPLES = 1200 }; /* token DIGITS: start */

/* Encoder (one-hot digits) and decoder input (the start token, then the reversed sequence
 * but its last digit: teacher forcing) per row, one-hot reversed targets. */
static void reverse_data(float *x, float *y, int64_t count, uint64_t seed)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    int64_t row = 2 * LENGTH * TOKENS;
    memset(x, 0, (size_t)(count * row) * sizeof *x);
    memset(y, 0, (size_t)(count * LENGTH * TOKENS) * sizeof *y);
    for (int64_t s = 0; s < count; s++) {
        int digits[LENGTH];
        for (int t = 0; t < LENGTH; t++)
            digits[t] = (int)(deep_rng_float(&rng) * DIGITS) % DIGITS;
        for (int t = 0; t < LENGTH; t++) {
            int reversed = digits[LENGTH - 1 - t];
            x[s * row + t * TOKENS + digits[t]] = 1.0f;
            x[s * row + (LENGTH + t) * TOKENS + (t == 0 ? DIGITS : digits[LENGTH - t])] = 1.0f;
            y[(s * LENGTH + t) * TOKENS + reversed] = 1.0f;
        }
    }
}

static deep_model *seq2seq(enum kind kind, int64_t units)
{
    deep_model *model = NULL;
    int32_t decoder_in, states[2];
    ASSERT_OK(deep_model_new(2, (int64_t[]){LENGTH, TOKENS}, &model));
    ASSERT_OK(deep_model_add_input(model, 2, (int64_t[]){LENGTH, TOKENS}, &decoder_in));
    int32_t zero = 0;
    int32_t encoder = recurrent_on(model, kind, &zero, 1, units, 0);
    ASSERT_OK(state_nodes(model, encoder, &states[0], &states[1]));
    int32_t inputs[3] = {decoder_in, states[0], states[1]};
    int32_t decoder = recurrent_on(model, kind, inputs, 1 + state_count(kind), units, 1);
    dense_on(model, decoder, TOKENS, DEEP_ACTIVATION_SOFTMAX);
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.01));
    const deep_metric accuracy = DEEP_METRIC_ACCURACY;
    ASSERT_OK(deep_model_set_seed(model, 7));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, &accuracy, 1));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    return model;
}

static double reverse_accuracy(deep_model *model, const deep_dataset *data)
{
    double values[2];
    int64_t needed = 0;
    ASSERT_OK(deep_model_evaluate(model, data, 128, values, 2, &needed));
    return values[1];
}

START_TEST(seq2seq_learns_to_reverse)
{
    enum kind kind = _i == 0 ? LSTM : GRU;
    float *x = malloc(SAMPLES * 2 * LENGTH * TOKENS * sizeof *x), *y = malloc(SAMPLES * LENGTH * TOKENS * sizeof *y);
    reverse_data(x, y, SAMPLES, 5);
    deep_dataset *train = NULL, *test = NULL;
    ASSERT_OK(deep_dataset_new(SAMPLES, 1, (int64_t[]){2 * LENGTH * TOKENS}, x, &train));
    ASSERT_OK(deep_dataset_set_targets(train, y, SAMPLES, LENGTH * TOKENS));
    reverse_data(x, y, 300, 99);
    ASSERT_OK(deep_dataset_new(300, 1, (int64_t[]){2 * LENGTH * TOKENS}, x, &test));
    ASSERT_OK(deep_dataset_set_targets(test, y, 300, LENGTH * TOKENS));
    deep_model *model = seq2seq(kind, 32), *loaded = NULL;
    ASSERT_OK(deep_model_fit(model, train, 25, 32, NULL));
    double accuracy = reverse_accuracy(model, test);
    ck_assert_msg(accuracy > 0.95, "%s: test accuracy %g", kind_names[kind], accuracy);
    /* Only the encoder's states tell the decoder the digits: without them it guesses. */
    float *blank = malloc(300 * 2 * LENGTH * TOKENS * sizeof *blank);
    memcpy(blank, x, 300 * 2 * LENGTH * TOKENS * sizeof *blank);
    for (int s = 0; s < 300; s++)
        memset(blank + s * 2 * LENGTH * TOKENS, 0, LENGTH * TOKENS * sizeof *blank);
    deep_dataset *blind = NULL;
    ASSERT_OK(deep_dataset_new(300, 1, (int64_t[]){2 * LENGTH * TOKENS}, blank, &blind));
    ASSERT_OK(deep_dataset_set_targets(blind, y, 300, LENGTH * TOKENS));
    double guessing = reverse_accuracy(model, blind);
    ck_assert_msg(guessing < 0.7, "%s: accuracy %g without the encoder's input", kind_names[kind], guessing);
    deep_dataset_free(blind);
    free(blank);
    /* The encoder cut out as a sub-model of the trained graph gives the states that
     * deep_model_predict_states reads from the whole model. */
    int32_t encoder_states[2], zero = 0;
    ASSERT_OK(state_nodes(model, 2, &encoder_states[0], &encoder_states[1]));
    deep_model *encoder = NULL;
    int32_t n_states = state_count(kind);
    ASSERT_OK(deep_model_submodel(model, &zero, 1, encoder_states, n_states, &encoder));
    deep_tensor *inputs = NULL, *codes = NULL, *h = NULL, *c = NULL, *encoder_inputs = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){8, 2 * LENGTH * TOKENS}, x, 8 * 2 * LENGTH * TOKENS, &inputs));
    float first_half[8 * LENGTH * TOKENS];
    for (int s = 0; s < 8; s++)
        memcpy(first_half + s * LENGTH * TOKENS, x + s * 2 * LENGTH * TOKENS, LENGTH * TOKENS * sizeof(float));
    ASSERT_OK(deep_tensor_new_from(3, (int64_t[]){8, LENGTH, TOKENS}, first_half, 8 * LENGTH * TOKENS,
                                   &encoder_inputs));
    ASSERT_OK(deep_model_predict(encoder, encoder_inputs, &codes));
    ASSERT_OK(deep_tensor_new(2, (int64_t[]){8, 32}, &h));
    ASSERT_OK(deep_tensor_new(2, (int64_t[]){8, 32}, &c));
    ASSERT_OK(deep_model_predict_states(model, inputs, 0, h, kind == LSTM ? c : NULL));
    ck_assert_int_eq(codes->shape[1], 32 * n_states);
    for (int s = 0; s < 8; s++)
        for (int j = 0; j < 32; j++) {
            ck_assert_float_eq_tol(codes->data[s * 32 * n_states + j], h->data[s * 32 + j], 1e-6f);
            if (kind == LSTM)
                ck_assert_float_eq_tol(codes->data[s * 64 + 32 + j], c->data[s * 32 + j], 1e-6f);
        }
    deep_tensor_free(inputs);
    deep_tensor_free(encoder_inputs);
    deep_tensor_free(codes);
    deep_tensor_free(h);
    deep_tensor_free(c);
    deep_model_free(encoder);
    /* The model file: same predictions after loading, and the same bytes saved again. */
    int64_t size = 0, again = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size), *bytes2 = NULL;
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    ck_assert_int_eq(loaded->node_count, model->node_count);
    ck_assert_double_eq(reverse_accuracy(loaded, test), accuracy);
    ASSERT_OK(deep_model_save_buffer(loaded, NULL, 0, &again));
    ck_assert_int_eq(again, size);
    bytes2 = malloc((size_t)again);
    ASSERT_OK(deep_model_save_buffer(loaded, bytes2, again, &again));
    ck_assert(memcmp(bytes, bytes2, (size_t)size) == 0);
    free(bytes);
    free(bytes2);
    deep_model_free(loaded);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    free(x);
    free(y);
}
END_TEST

/* The summary's "Connected to" names states by Keras' tensor index; a clone has the same
 * graph, state nodes included. */
START_TEST(summary_and_clone_keep_states)
{
    deep_model *model = seq2seq(LSTM, 4), *clone = NULL;
    char summary[4096], again[4096];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "'lstm[0][1]', 'lstm[0][2]'") != NULL, "%s", summary);
    ASSERT_OK(deep_model_clone(model, &clone));
    ck_assert_int_eq(clone->node_count, model->node_count);
    for (int32_t i = 0; i < model->node_count; i++) {
        ck_assert_int_eq(clone->nodes[i].part, model->nodes[i].part);
        ck_assert_int_eq(clone->nodes[i].input_count, model->nodes[i].input_count);
        ck_assert(memcmp(clone->nodes[i].inputs, model->nodes[i].inputs, sizeof model->nodes[i].inputs) == 0);
    }
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_compile(clone, sgd, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, NULL, 0));
    ASSERT_OK(deep_model_summary(clone, again, sizeof again, &needed));
    ck_assert_str_eq(again, summary);
    deep_model_free(clone);
    deep_model_free(model);
}
END_TEST

START_TEST(states_misuse)
{
    deep_model *model = NULL;
    int32_t node, h, c, wrong, context;
    ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, FEATURES}, &model));
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){UNITS}, &context));
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){UNITS + 1}, &wrong));
    /* A state count other than the layer's. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, context}, 2));
    ASSERT_FAILS_WITH(deep_model_add_lstm(model, UNITS, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_lstm", "[h, c]");
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, context, context}, 3));
    ASSERT_FAILS_WITH(deep_model_add_gru(model, UNITS, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_gru", "[h]");
    /* A state of another shape. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, wrong}, 2));
    ASSERT_FAILS_WITH(deep_model_add_simple_rnn(model, UNITS, DEEP_ACTIVATION_TANH, 1, 0), DEEP_ERR_SHAPE,
                      "deep_model_add_simple_rnn", "must have shape (3,)");
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, context}, 2));
    ASSERT_OK(deep_model_add_simple_rnn(model, UNITS, DEEP_ACTIVATION_TANH, 1, 0));
    int32_t rnn = last(model);
    ASSERT_FAILS_WITH(deep_model_apply_layer(model, -1, (int32_t[]){0, wrong}, 2, &node), DEEP_ERR_SHAPE,
                      "deep_model_apply_layer", "initial state h");
    /* return_state of a layer that has none, of an input, of a state; bad arguments. */
    int32_t dense = dense_on(model, rnn, 2, DEEP_ACTIVATION_LINEAR);
    int32_t buffer[2] = {-7, -7};
    int64_t needed = 5;
    ASSERT_FAILS_WITH(deep_model_state_nodes(model, dense, buffer, 2, &needed), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_state_nodes", "Dense");
    ck_assert_int_eq(needed, 0);
    ck_assert_int_eq(buffer[0], -7);
    ASSERT_FAILS_WITH(deep_model_state_nodes(model, 0, buffer, 2, &needed), DEEP_ERR_INVALID_ARGUMENT, "deep_model_state_nodes",
                      "an input");
    /* The size query adds nothing; a short buffer neither. */
    int32_t nodes_before = model->node_count;
    ASSERT_OK(deep_model_state_nodes(model, rnn, NULL, 0, &needed));
    ck_assert_int_eq(needed, 1);
    ck_assert_int_eq(model->node_count, nodes_before);
    ASSERT_OK(state_nodes(model, rnn, &h, &c));
    ck_assert_int_eq(c, -1);
    ck_assert_int_eq(model->node_count, nodes_before + 1);
    ASSERT_FAILS_WITH(deep_model_state_nodes(model, h, buffer, 2, &needed), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_state_nodes", "a state node");
    ASSERT_FAILS(deep_model_state_nodes(model, 99, buffer, 2, &needed), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_state_nodes");
    ASSERT_FAILS(deep_model_state_nodes(model, rnn, NULL, 2, &needed), DEEP_ERR_NULL, "deep_model_state_nodes");
    ASSERT_FAILS(deep_model_state_nodes(model, rnn, buffer, 2, NULL), DEEP_ERR_NULL, "deep_model_state_nodes");
    ASSERT_FAILS(deep_model_state_nodes(NULL, rnn, buffer, 2, &needed), DEEP_ERR_NULL, "deep_model_state_nodes");
    ASSERT_FAILS(deep_model_node_output_index(model, 99, &node), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_node_output_index");
    ASSERT_FAILS(deep_model_node_output_index(model, 0, NULL), DEEP_ERR_NULL, "deep_model_node_output_index");
    /* Bidirectional(LSTM) takes four initial states (the message names them), not three. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0}, 1));
    ASSERT_OK(deep_model_add_lstm(model, UNITS, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    int32_t bi = last(model);
    ASSERT_FAILS_WITH(deep_model_apply_layer(model, -1, (int32_t[]){0, context, context}, 3, &node),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_apply_layer",
                      "[forward_h, forward_c, backward_h, backward_c]");
    /* Bidirectional(LSTM) gives four: forward h, c, then backward h, c. */
    int32_t four[4];
    ASSERT_OK(deep_model_state_nodes(model, bi, four, 4, &needed));
    ck_assert_int_eq(needed, 4);
    ASSERT_OK(deep_model_node_output_index(model, four[3], &node));
    ck_assert_int_eq(node, 4);
    deep_model_free(model);
    /* After compile a call's states are read back, not added. */
    model = seq2seq(GRU, 3);
    ASSERT_OK(state_nodes(model, 2, &h, &c));
    ck_assert_int_eq(h, 3);
    ASSERT_FAILS(state_nodes(model, 4, &h, &c), DEEP_ERR_STATE, "deep_model_state_nodes");
    /* An LSTM's two states need room for two. */
    deep_model_free(model);
    model = seq2seq(LSTM, 3);
    ASSERT_FAILS(deep_model_state_nodes(model, 2, buffer, 1, &needed), DEEP_ERR_BUFFER_TOO_SMALL,
                 "deep_model_state_nodes");
    ck_assert_int_eq(needed, 2);
    deep_model_free(model);
}
END_TEST

/* Recomputes the file's "libdeep.checksum" after an edit (as test_modelio.c does). */
static void refresh_checksum(uint8_t *bytes, size_t length)
{
    const char *key = "\"libdeep.checksum\": \"";
    uint8_t *at = NULL;
    for (size_t i = 0; i + strlen(key) < length && at == NULL; i++)
        if (memcmp(bytes + i, key, strlen(key)) == 0)
            at = bytes + i + strlen(key);
    ck_assert_ptr_nonnull(at);
    size_t skip = (size_t)(at - bytes);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, bytes, (uInt)skip);
    crc = crc32(crc, bytes + skip + 8, (uInt)(length - skip - 8));
    char hex[9];
    snprintf(hex, sizeof hex, "%08lx", crc);
    memcpy(at, hex, 8);
}

/* Files with a damaged state node fail to load with a message. */
START_TEST(damaged_state_nodes_fail_to_load)
{
    deep_model *model = seq2seq(GRU, 3), *loaded = NULL;
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    /* The architecture is a JSON string in the file's metadata: its quotes are escaped. */
    char *at = NULL;
    for (int64_t i = 0; at == NULL && i + 12 <= size; i++)
        if (memcmp(bytes + i, "output_index", 12) == 0)
            at = (char *)bytes + i;
    ck_assert_ptr_nonnull(at);
    while (*at != '1')
        at++;
    *at = '2'; /* a GRU has no state c */
    refresh_checksum(bytes, (size_t)size);
    ASSERT_FAILS_WITH(deep_model_load_buffer(bytes, size, &loaded), DEEP_ERR_FORMAT, "deep_model_load_buffer",
                      "has no state 2");
    *at = '5';
    refresh_checksum(bytes, (size_t)size);
    ASSERT_FAILS_WITH(deep_model_load_buffer(bytes, size, &loaded), DEEP_ERR_FORMAT, "deep_model_load_buffer",
                      "output_index");
    free(bytes);
    deep_model_free(model);
}
END_TEST

static void keep_last_line(void *user, deep_log_level level, const char *message)
{
    (void)level;
    snprintf(user, 512, "%s", message);
}

/* With states among several outputs, the log names them after their layer: lstm_h_loss. */
START_TEST(state_outputs_are_named_in_the_log)
{
    deep_model *model = NULL;
    int32_t h, c;
    ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, FEATURES}, &model));
    ASSERT_OK(deep_model_add_lstm(model, UNITS, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    int32_t output = last(model);
    ASSERT_OK(state_nodes(model, output, &h, &c));
    ASSERT_OK(deep_model_set_outputs(model, (int32_t[]){output, h, c}, 3));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    deep_loss mse = DEEP_LOSS_MEAN_SQUARED_ERROR;
    ASSERT_OK(deep_model_compile_outputs(model, sgd, (deep_loss[]){mse, mse, mse}, NULL, 3, NULL, 0));
    float x[4 * STEPS * FEATURES], y[4 * 3 * UNITS] = {0};
    for (int i = 0; i < COUNT_OF(x); i++)
        x[i] = (float)sin(i);
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(4, 2, (int64_t[]){STEPS, FEATURES}, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, y, 4, 3 * UNITS));
    char line[512] = "";
    ASSERT_OK(deep_model_set_log(model, keep_last_line, line));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 1));
    ASSERT_OK(deep_model_fit(model, data, 1, 4, NULL));
    ck_assert_msg(strstr(line, " - lstm_loss: ") && strstr(line, " - lstm_h_loss: ") && strstr(line, " - lstm_c_loss: "),
                  "%s", line);
    /* Without masking the output is h: their losses agree. */
    double values[4];
    int64_t needed = 0;
    ASSERT_OK(deep_model_evaluate(model, data, 4, values, 4, &needed));
    ck_assert_double_eq_tol(values[1], values[2], 1e-9);
    deep_dataset_free(data);
    deep_model_free(model);
}
END_TEST

static Suite *rnn_states_suite(void)
{
    Suite *s = suite_create("rnn_states");
    TCase *gradients = tcase_create("gradients");
    tcase_add_loop_test(gradients, states_pass_gradient_checks, 0, KIND_COUNT * VARIANT_COUNT);
    tcase_add_test(gradients, state_as_output_passes_gradient_check);
    tcase_add_test(gradients, bidirectional_encoder_passes_gradient_check);
    tcase_add_test(gradients, bidirectional_initial_states_pass_gradient_check);
    tcase_add_loop_test(gradients, layer_states_pass_gradient_checks, 0, KIND_COUNT * 3);
    tcase_add_loop_test(gradients, bidirectional_states_pass_gradient_checks, 0, 6);
    tcase_add_test(gradients, all_padding_keeps_the_initial_state);
    tcase_set_timeout(gradients, 120);
    suite_add_tcase(s, gradients);
    TCase *models = tcase_create("models");
    tcase_add_loop_test(models, seq2seq_learns_to_reverse, 0, 2);
    tcase_add_test(models, summary_and_clone_keep_states);
    tcase_add_test(models, state_outputs_are_named_in_the_log);
    tcase_add_test(models, states_misuse);
    tcase_add_test(models, damaged_state_nodes_fail_to_load);
    tcase_set_timeout(models, 240);
    suite_add_tcase(s, models);
    return s;
}

int main(void)
{
    return run_suite(rnn_states_suite(), CK_NORMAL);
}
