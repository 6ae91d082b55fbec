/* SimpleRNN, LSTM, GRU and Bidirectional as ONNX RNN, LSTM and GRU. ONNX reads time-major
 * (steps, batch, features) sequences, so the (batch, steps, features) input is transposed
 * once, and the outputs are cut back: Y_h (directions, batch, units) for the last output,
 * Y (steps, directions, batch, units) with return_sequences. Weights are regrouped at
 * export: ONNX's gate order is i, o, f, c for the LSTM (Keras': i, f, c, o) and z, r, h for
 * the GRU (the same as Keras'); Keras' GRU with reset_after is ONNX's
 * linear_before_reset = 1 with the input and recurrent biases as Wb and Rb. */
#ifdef DEEP_HAVE_ONNX

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "onnx/export.h"

/* One cell type: its ONNX op, gates, and where ONNX's gate g comes from in Keras' order. */
typedef struct cell {
    const char *op;
    int gates;
    int from[4];
} cell;

static const cell lstm_cell = {"LSTM", 4, {0, 3, 1, 2}};
static const cell gru_cell = {"GRU", 3, {0, 1, 2}};
static const cell rnn_cell = {"RNN", 1, {0}};

/* ONNX's name of a cell activation and whether it takes alpha (and beta). */
static const char *cell_activation(deep_activation a, float *alpha, float *beta, int *params)
{
    *params = 0;
    switch (a) {
    case DEEP_ACTIVATION_SIGMOID: return "Sigmoid";
    case DEEP_ACTIVATION_TANH: return "Tanh";
    case DEEP_ACTIVATION_RELU: return "Relu";
    case DEEP_ACTIVATION_LINEAR: *alpha = 1, *beta = 0, *params = 2; return "Affine";
    case DEEP_ACTIVATION_LEAKY_RELU: *alpha = 0.3f, *params = 1; return "LeakyRelu";
    case DEEP_ACTIVATION_ELU: *alpha = 1, *params = 1; return "Elu";
    case DEEP_ACTIVATION_SOFTMAX:
    case DEEP_ACTIVATION_GELU:
    case DEEP_ACTIVATION_GELU_TANH:
    case DEEP_ACTIVATION_SILU:
    case DEEP_ACTIVATION_SOFTPLUS:
    case DEEP_ACTIVATION_SOFTSIGN:
    case DEEP_ACTIVATION_SELU:
    case DEEP_ACTIVATION_HARD_SIGMOID:
    case DEEP_ACTIVATION_EXPONENTIAL:
    case DEEP_ACTIVATION_RELU6:
    case DEEP_ACTIVATION_LOG_SOFTMAX:
        return NULL;
    }
    return NULL;
}

/* Copies Keras' (rows, gates * U) matrix of direction d into ONNX's (gates * U, rows) block. */
static void regroup(const cell *c, const float *src, int64_t rows, int64_t units, float *dst)
{
    int64_t width = c->gates * units;
    for (int g = 0; g < c->gates; g++)
        for (int64_t u = 0; u < units; u++)
            for (int64_t r = 0; r < rows; r++)
                dst[(g * units + u) * rows + r] = src[r * width + c->from[g] * units + u];
}

static void regroup_bias(const cell *c, const float *src, int64_t units, float *dst)
{
    for (int g = 0; g < c->gates; g++)
        memcpy(dst + g * units, src + c->from[g] * units, (size_t)units * sizeof *dst);
}

static const char *scalar_index(onnx_ex *ex, int64_t i)
{
    return ox_init_int64(ex, ox_fresh(ex, "index"), 0, NULL, &i);
}

/* Direction d of (..., D, ...) at `axis`, the axis dropped. */
static const char *direction(onnx_ex *ex, const char *y, int64_t d, int64_t axis)
{
    Onnx__NodeProto *n = ox_op(ex, "Gather", 2, y, scalar_index(ex, d));
    ox_attr_int(ex, n, "axis", axis);
    return ox_y(n);
}

static const char *merge(onnx_ex *ex, const char *f, const char *b, deep_merge_mode mode)
{
    switch (mode) {
    case DEEP_MERGE_CONCAT: {
        Onnx__NodeProto *n = ox_op(ex, "Concat", 2, f, b);
        ox_attr_int(ex, n, "axis", -1);
        return ox_y(n);
    }
    case DEEP_MERGE_SUM: return ox_y(ox_op(ex, "Add", 2, f, b));
    case DEEP_MERGE_MUL: return ox_y(ox_op(ex, "Mul", 2, f, b));
    case DEEP_MERGE_AVE: return ox_y(ox_op(ex, "Div", 2, ox_y(ox_op(ex, "Add", 2, f, b)), ox_scalar(ex, 2.0f)));
    }
    return f;
}

void ox_emit_recurrent(onnx_ex *ex, int32_t node)
{
    const deep_node *n = &ex->model->nodes[node];
    const deep_layer *l = n->layer;
    bool bidirectional = strcmp(l->ops->type, "bidirectional") == 0;
    const char *inner = bidirectional ? l->cfg.bidirectional.wrapped->type : l->ops->type;
    const cell *c = strcmp(inner, "lstm") == 0 ? &lstm_cell : strcmp(inner, "gru") == 0 ? &gru_cell : &rnn_cell;
    const deep_rnn_config *rc = &l->cfg.rnn;
    int64_t D = bidirectional ? 2 : 1, U = rc->units, F = l->in_shape[1], G = c->gates;
    int32_t per = l->param_count / (int32_t)D; /* parameters of one direction */
    if (bidirectional && rc->go_backwards) {
        ox_fail(ex, DEEP_ERR_UNSUPPORTED, "layer %s (Bidirectional) with go_backwards has no ONNX export", l->name);
        return;
    }
    if (deep_model_mask_source(ex->model, n->inputs[0]) >= 0) {
        ox_fail(ex, DEEP_ERR_UNSUPPORTED, "layer %s (%s) reads a masked sequence, which ONNX cannot express",
                l->name, l->ops->class_name);
        return;
    }
    bool reset_after = c == &gru_cell && rc->reset_after;
    float *W = ox_alloc(ex, (size_t)(D * G * U * F) * sizeof *W);
    float *R = ox_alloc(ex, (size_t)(D * G * U * U) * sizeof *R);
    float *B = ox_alloc(ex, (size_t)(D * 2 * G * U) * sizeof *B);
    if (W == NULL || R == NULL || B == NULL)
        return;
    for (int64_t d = 0; d < D; d++) {
        const deep_param *p = &l->params[d * per];
        regroup(c, p[0].value, F, U, W + d * G * U * F);
        regroup(c, p[1].value, U, U, R + d * G * U * U);
        if (per > 2) {
            regroup_bias(c, p[2].value, U, B + d * 2 * G * U);
            if (reset_after) /* bias (2, 3U): input bias, then recurrent bias */
                regroup_bias(c, p[2].value + G * U, U, B + d * 2 * G * U + G * U);
        }
    }
    char name[128];
    snprintf(name, sizeof name, "%s/W", l->name);
    const char *w = ox_init_float(ex, name, 3, (const int64_t[]){D, G * U, F}, W);
    snprintf(name, sizeof name, "%s/R", l->name);
    const char *r = ox_init_float(ex, name, 3, (const int64_t[]){D, G * U, U}, R);
    snprintf(name, sizeof name, "%s/B", l->name);
    const char *b = ox_init_float(ex, name, 2, (const int64_t[]){D, 2 * G * U}, B);

    const char *x = ox_transpose(ex, ox_value(ex, n->inputs[0], OX_LAST), 3, (const int64_t[]){1, 0, 2});
    Onnx__NodeProto *op = ox_op(ex, c->op, 4, x, w, r, b);
    char y_h[160];
    snprintf(y_h, sizeof y_h, "%s_h", ox_y(op));
    ox_add_output(ex, op, y_h);
    ox_attr_int(ex, op, "hidden_size", U);
    ox_attr_string(ex, op, "direction", bidirectional ? "bidirectional" : rc->go_backwards ? "reverse" : "forward");
    if (reset_after)
        ox_attr_int(ex, op, "linear_before_reset", 1);
    /* The cell's activations, per direction; alpha and beta go to those that take them. */
    deep_activation acts[3] = {rc->recurrent_activation, rc->activation, rc->activation};
    int count = c == &lstm_cell ? 3 : c == &gru_cell ? 2 : 1;
    if (c == &rnn_cell)
        acts[0] = rc->activation;
    const char *names[6];
    float alphas[6], betas[6];
    size_t na = 0, nb = 0;
    bool defaults = true;
    for (int64_t d = 0; d < D; d++)
        for (int i = 0; i < count; i++) {
            float alpha = 0, beta = 0;
            int params;
            const char *a = cell_activation(acts[i], &alpha, &beta, &params);
            if (a == NULL) {
                ox_fail(ex, DEEP_ERR_UNSUPPORTED, "layer %s (%s): its cell activation has no ONNX form", l->name,
                        l->ops->class_name);
                return;
            }
            names[d * count + i] = a;
            if (params >= 1)
                alphas[na++] = alpha;
            if (params >= 2)
                betas[nb++] = beta;
            const char *standard = i == 0 && c != &rnn_cell ? "Sigmoid" : "Tanh";
            defaults = defaults && strcmp(a, standard) == 0;
        }
    if (!defaults) {
        ox_attr_strings(ex, op, "activations", (size_t)(D * count), names);
        if (na > 0)
            ox_attr_floats(ex, op, "activation_alpha", na, alphas);
        if (nb > 0)
            ox_attr_floats(ex, op, "activation_beta", nb, betas);
    }

    const char *y;
    deep_merge_mode mode = bidirectional ? l->cfg.bidirectional.merge_mode : DEEP_MERGE_CONCAT;
    if (!rc->return_sequences) {
        /* Y_h (D, N, U): each direction's last output (the reverse one's after reading
         * back to the first step, as Keras' backward layer). */
        y = D == 1 ? direction(ex, y_h, 0, 0) : merge(ex, direction(ex, y_h, 0, 0), direction(ex, y_h, 1, 0), mode);
    } else {
        /* Y (T, D, N, U), indexed by input step in both directions. */
        const char *seq = ox_y(op);
        const char *t = D == 1 ? direction(ex, seq, 0, 1)
                               : merge(ex, direction(ex, seq, 0, 1), direction(ex, seq, 1, 1), mode);
        y = ox_transpose(ex, t, 3, (const int64_t[]){1, 0, 2});
        if (rc->go_backwards) {
            /* Keras gives go_backwards' outputs in reading order: last step first. */
            Onnx__NodeProto *s = ox_op(ex, "Slice", 5, y, ox_ints(ex, 1, (const int64_t[]){-1}),
                                       ox_ints(ex, 1, (const int64_t[]){INT64_MIN}),
                                       ox_ints(ex, 1, (const int64_t[]){1}), ox_ints(ex, 1, (const int64_t[]){-1}));
            y = ox_y(s);
        }
    }
    ox_set_value(ex, node, OX_LAST, y);
}

#endif
