/* ONNX's LSTM, GRU and RNN operators as libdeep's LSTM, GRU and SimpleRNN (Bidirectional
 * for direction "bidirectional", go_backwards for "reverse"). ONNX's X is time-major
 * (T, N, F): it arrives as a value of layout ONNX_TIME_MAJOR (import_seq.c), which libdeep
 * holds batch-first. Weights are regrouped: ONNX's gates are i, o, f, c (LSTM), z, r, h
 * (GRU), Keras' i, f, c, o and z, r, h; ONNX's two biases Wb and Rb add up, except for the
 * GRU with linear_before_reset = 1, which is Keras' reset_after with a (2, 3U) bias.
 * Outputs: Y (T, D, N, H) with return_sequences; the last step of a forward Y (PyTorch's
 * out[:, -1]) is the layer without return_sequences; Y_h and Y_c are the layer's final
 * states (deep_model_state_nodes), of layout ONNX_STATES (import_seq.c reads them). */
#ifdef DEEP_HAVE_ONNX

#include <stdlib.h>
#include <string.h>

#include "onnx/import.h"

typedef struct cell {
    const char *op;
    int gates;         /* gate blocks in W, R and each half of B */
    int from[4];       /* ONNX gate g is Keras' gate from[g] */
    int activations;   /* ONNX activations per direction */
} cell;

static const cell cells[] = {
    {"LSTM", 4, {0, 3, 1, 2}, 3},
    {"GRU", 3, {0, 1, 2}, 2},
    {"RNN", 1, {0}, 1},
};

/* The recurrent node being translated: its shape and what its outputs need. */
typedef struct rnn {
    const cell *c;
    int64_t D, U, F, T;
    bool reverse, reset_after;
    deep_activation act, rec_act;
    int32_t out_node;
    int32_t states[4];  /* h (and c) per direction, once asked for */
    int64_t state_count;
} rnn;

static deep_status refuse(onnx_import *im, const char *what)
{
    return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s", what);
}

static bool is_op(const Onnx__NodeProto *n, const char *op)
{
    return n->op_type != NULL && strcmp(n->op_type, op) == 0 && (n->domain == NULL || n->domain[0] == '\0') &&
           n->n_input >= 1 && n->n_output >= 1;
}

/* ONNX's activation as libdeep's, for those libdeep's cells compute exactly: Sigmoid,
 * Tanh, Relu, and with their parameters (consumed from alpha and beta in order, as ONNX
 * lists them) Affine(1, 0) (linear), LeakyRelu(0.3) and Elu(1), libdeep's fixed forms,
 * which its export writes. */
static bool activation_of(const ProtobufCBinaryData *s, const Onnx__AttributeProto *alpha, size_t *na,
                          const Onnx__AttributeProto *beta, size_t *nb, deep_activation *out)
{
    static const struct {
        const char *name;
        deep_activation act;
        int params;
        float alpha, beta;
    } known[] = {{"Sigmoid", DEEP_ACTIVATION_SIGMOID, 0, 0, 0}, {"Tanh", DEEP_ACTIVATION_TANH, 0, 0, 0},
                 {"Relu", DEEP_ACTIVATION_RELU, 0, 0, 0}, {"Affine", DEEP_ACTIVATION_LINEAR, 2, 1, 0},
                 {"LeakyRelu", DEEP_ACTIVATION_LEAKY_RELU, 1, 0.3f, 0}, {"Elu", DEEP_ACTIVATION_ELU, 1, 1, 0}};
    for (size_t k = 0; k < sizeof known / sizeof *known; k++) {
        if (s->len != strlen(known[k].name) || memcmp(s->data, known[k].name, s->len) != 0)
            continue;
        if (known[k].params >= 1) {
            if (alpha == NULL || *na >= alpha->n_floats || alpha->floats[(*na)++] != known[k].alpha)
                return false;
        }
        if (known[k].params >= 2) {
            if (beta == NULL || *nb >= beta->n_floats || beta->floats[(*nb)++] != known[k].beta)
                return false;
        }
        *out = known[k].act;
        return true;
    }
    return false;
}

static deep_status read_attributes(onnx_import *im, const Onnx__NodeProto *node, rnn *r)
{
    char direction[32];
    int64_t layout = 0, hidden = 0, input_forget = 0, before_reset = 0;
    DEEP_TRY(onnx_attr_string(im, node, "direction", "forward", direction, sizeof direction));
    DEEP_TRY(onnx_attr_int(im, node, "layout", 0, &layout));
    DEEP_TRY(onnx_attr_int(im, node, "hidden_size", 0, &hidden));
    DEEP_TRY(onnx_attr_int(im, node, "input_forget", 0, &input_forget));
    DEEP_TRY(onnx_attr_int(im, node, "linear_before_reset", 0, &before_reset));
    if (strcmp(direction, "forward") != 0 && strcmp(direction, "reverse") != 0 &&
        strcmp(direction, "bidirectional") != 0)
        return onnx_fail(im, DEEP_ERR_FORMAT, "direction \"%s\" is not forward, reverse or bidirectional", direction);
    r->D = strcmp(direction, "bidirectional") == 0 ? 2 : 1;
    r->reverse = strcmp(direction, "reverse") == 0;
    if (layout != 0)
        return refuse(im, "layout 1 (batch-first X and Y) is not supported; layout 0 (time-major, what PyTorch "
                      "writes) is");
    if (onnx_attr(node, "clip") != NULL)
        return refuse(im, "clip (a clipped cell input) is not supported: libdeep's cells do not clip");
    if (input_forget != 0)
        return refuse(im, "input_forget 1 (coupled input and forget gates) is not supported");
    r->reset_after = before_reset != 0;
    if (before_reset != 0 && before_reset != 1)
        return onnx_fail(im, DEEP_ERR_FORMAT, "linear_before_reset is %lld", (long long)before_reset);
    r->U = hidden;
    /* Activations: ONNX's defaults are libdeep's (sigmoid gates, tanh cell); others are
     * taken where one libdeep cell computes them: the same in both directions, and for an
     * LSTM the same g and h. */
    r->rec_act = DEEP_ACTIVATION_SIGMOID;
    r->act = DEEP_ACTIVATION_TANH;
    const Onnx__AttributeProto *a = onnx_attr(node, "activations");
    const Onnx__AttributeProto *alpha = onnx_attr(node, "activation_alpha");
    const Onnx__AttributeProto *beta = onnx_attr(node, "activation_beta");
    size_t na = 0, nb = 0;
    if (a == NULL && (alpha != NULL || beta != NULL))
        return refuse(im, "activation_alpha or activation_beta without activations");
    if (a == NULL)
        return DEEP_OK;
    int count = r->c->activations;
    if (a->n_strings != (size_t)(count * r->D))
        return onnx_fail(im, DEEP_ERR_FORMAT, "%zu activations for %lld directions of %d", a->n_strings,
                         (long long)r->D, count);
    deep_activation got[6];
    for (size_t k = 0; k < a->n_strings; k++)
        if (!activation_of(&a->strings[k], alpha, &na, beta, &nb, &got[k]))
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "activation \"%.*s\" is not supported with these "
                             "parameters (Sigmoid, Tanh, Relu, and libdeep's fixed Affine(1, 0), LeakyRelu(0.3) "
                             "and Elu(1) are)", (int)(a->strings[k].len > 32 ? 32 : a->strings[k].len),
                             (const char *)a->strings[k].data);
    if ((alpha != NULL && na != alpha->n_floats) || (beta != NULL && nb != beta->n_floats))
        return onnx_fail(im, DEEP_ERR_FORMAT, "activation_alpha or activation_beta has values no activation takes");
    for (int k = 0; k < count; k++)
        if (r->D == 2 && got[k] != got[count + k])
            return refuse(im, "different activations in the two directions are not supported");
    if (count == 1) {
        r->act = got[0];
    } else {
        r->rec_act = got[0];
        r->act = got[1];
        if (count == 3 && got[1] != got[2])
            return refuse(im, "an LSTM whose cell (g) and output (h) activations differ is not supported");
    }
    return DEEP_OK;
}

/* Whether optional input k is absent or a constant of zeros only (PyTorch's initial states:
 * an Expand or ConstantOfShape of zeros, folded). */
static deep_status zero_or_absent(onnx_import *im, const Onnx__NodeProto *node, size_t k, const char *what)
{
    onnx_value *v = NULL;
    DEEP_TRY(onnx_input(im, node, k, true, &v));
    if (v == NULL)
        return DEEP_OK;
    if (!v->is_const)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s computed by the model is not supported (zeros or absent)",
                         what);
    for (int64_t j = 0; j < v->array.count; j++)
        if (deep_onnx_array_float(&v->array, j) != 0)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s that is not zero is not supported", what);
    return DEEP_OK;
}

static deep_status check_inputs(onnx_import *im, const Onnx__NodeProto *node, rnn *r, onnx_value **x,
                                onnx_value **w, onnx_value **rw, onnx_value **b)
{
    DEEP_TRY(onnx_input_graph(im, node, 0, x));
    DEEP_TRY(onnx_input_const(im, node, 1, false, w));
    DEEP_TRY(onnx_input_const(im, node, 2, false, rw));
    DEEP_TRY(onnx_input_const(im, node, 3, true, b));
    if ((*x)->layout != ONNX_TIME_MAJOR || (*x)->rank != 3)
        return refuse(im, "X must be a time-major sequence (T, N, F): a graph input read by recurrent operators, "
                      "or a batch-first value through Transpose(1, 0, 2), or a recurrent operator's Y through "
                      "Squeeze or Transpose and Reshape (docs/onnx.md)");
    r->T = (*x)->dims[0];
    r->F = (*x)->dims[2];
    int64_t G = r->c->gates, D = r->D, U = r->U;
    const deep_onnx_array *W = &(*w)->array, *R = &(*rw)->array;
    if (U < 1 || U > DEEP_ONNX_MAX_ELEMENTS / 6)
        return onnx_fail(im, DEEP_ERR_FORMAT, "hidden_size %lld", (long long)U);
    if (W->rank != 3 || W->dims[0] != D || W->dims[1] != G * U || W->dims[2] != r->F)
        return onnx_fail(im, DEEP_ERR_FORMAT, "W must be (%lld, %lld, %lld)", (long long)D, (long long)(G * U),
                         (long long)r->F);
    if (R->rank != 3 || R->dims[0] != D || R->dims[1] != G * U || R->dims[2] != U)
        return onnx_fail(im, DEEP_ERR_FORMAT, "R must be (%lld, %lld, %lld)", (long long)D, (long long)(G * U),
                         (long long)U);
    if (*b != NULL && ((*b)->array.rank != 2 || (*b)->array.dims[0] != D || (*b)->array.dims[1] != 2 * G * U))
        return onnx_fail(im, DEEP_ERR_FORMAT, "B must be (%lld, %lld)", (long long)D, (long long)(2 * G * U));
    onnx_value *lens = NULL;
    DEEP_TRY(onnx_input(im, node, 4, true, &lens));
    if (lens != NULL) {
        if (!lens->is_const)
            return refuse(im, "sequence_lens computed by the model is not supported");
        for (int64_t k = 0; k < lens->array.count; k++)
            if (deep_onnx_array_int(&lens->array, k) != r->T)
                return refuse(im, "sequence_lens shorter than the sequence are not supported");
    }
    DEEP_TRY(zero_or_absent(im, node, 5, "initial_h"));
    if (r->c->gates == 4) {
        DEEP_TRY(zero_or_absent(im, node, 6, "initial_c"));
        DEEP_TRY(zero_or_absent(im, node, 7, "the peepholes P"));
    }
    return DEEP_OK;
}

/* Direction d's weights in Keras' order, queued for the layer added last at index base. */
static deep_status set_weights(onnx_import *im, const rnn *r, int64_t d, int32_t base, const onnx_value *w,
                               const onnx_value *rw, const onnx_value *b)
{
    const cell *c = r->c;
    int64_t G = c->gates, U = r->U, F = r->F;
    float *kernel = deep_alloc_zero(G * U * F, sizeof *kernel);
    float *recurrent = deep_alloc_zero(G * U * U, sizeof *recurrent);
    float *bias = deep_alloc_zero(2 * G * U, sizeof *bias);
    deep_status s = DEEP_OK;
    if (kernel == NULL || recurrent == NULL || bias == NULL)
        s = onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory");
    for (int64_t g = 0; g < G && s == DEEP_OK; g++)
        for (int64_t u = 0; u < U; u++) {
            int64_t row = g * U + u, col = c->from[g] * U + u;
            for (int64_t f = 0; f < F; f++)
                kernel[f * G * U + col] = (float)deep_onnx_array_float(&w->array, (d * G * U + row) * F + f);
            for (int64_t h = 0; h < U; h++)
                recurrent[h * G * U + col] = (float)deep_onnx_array_float(&rw->array, (d * G * U + row) * U + h);
            if (b == NULL)
                continue;
            double wb = deep_onnx_array_float(&b->array, d * 2 * G * U + row);
            double rb = deep_onnx_array_float(&b->array, d * 2 * G * U + G * U + row);
            if (r->reset_after) { /* (2, 3U): the input bias, then the recurrent bias */
                bias[col] = (float)wb;
                bias[G * U + col] = (float)rb;
            } else {
                bias[col] = (float)(wb + rb);
            }
        }
    if (s == DEEP_OK)
        s = onnx_set_weight(im, base, 2, (const int64_t[]){F, G * U}, kernel);
    if (s == DEEP_OK)
        s = onnx_set_weight(im, base + 1, 2, (const int64_t[]){U, G * U}, recurrent);
    if (s == DEEP_OK && r->reset_after)
        s = onnx_set_weight(im, base + 2, 2, (const int64_t[]){2, G * U}, bias);
    else if (s == DEEP_OK)
        s = onnx_set_weight(im, base + 2, 1, (const int64_t[]){G * U}, bias);
    free(kernel);
    free(recurrent);
    free(bias);
    return s;
}

/* The index a Gather of one entry on `axis` reads, when its data is `name` and its index
 * a constant scalar (negative counts from the end of an axis of `size`); else -1. */
static int64_t gathered_entry(onnx_import *im, const Onnx__NodeProto *c, const char *name, int64_t axis,
                              int32_t rank, int64_t size)
{
    if (!is_op(c, "Gather") || c->n_input != 2 || strcmp(c->input[0], name) != 0)
        return -1;
    const Onnx__AttributeProto *a = onnx_attr(c, "axis");
    int64_t got = a != NULL && a->has_i ? a->i : 0;
    const onnx_value *idx = onnx_find(im, c->input[1]);
    if ((got != axis && got != axis - rank) || idx == NULL || !idx->is_const || idx->array.rank != 0)
        return -1;
    int64_t at = deep_onnx_array_int(&idx->array, 0);
    at = at < 0 ? at + size : at;
    return at >= 0 && at < size ? at : -1;
}

/* Whether Slice node c reverses axis `time` of a rank-3 value of T steps (starts -1 or
 * beyond, ends before the first step, step -1), as export_rnn.c writes go_backwards. */
static bool reverses(onnx_import *im, const Onnx__NodeProto *c, int32_t time, int64_t T)
{
    if (c->n_input != 5)
        return false;
    int64_t v[4];
    for (int k = 0; k < 4; k++) {
        const onnx_value *in = onnx_find(im, c->input[k + 1]);
        if (in == NULL || !in->is_const || in->array.count != 1)
            return false;
        v[k] = deep_onnx_array_int(&in->array, 0);
    }
    bool starts = v[0] == -1 || v[0] >= T - 1, ends = v[1] < -T;
    return starts && ends && (v[2] == time || v[2] == time - 3) && v[3] == -1;
}

/* Follows Y of a one-direction node through the reshuffles around it, each the sole
 * reader of the one before: Squeeze(axis 1) or Gather(axis 1, index 0) of the direction,
 * Transpose(1, 0, 2). A forward Y may end in a Gather of the last step (PyTorch's
 * out[:, -1]), which the layer without return_sequences gives; a reverse Y in the Slice
 * that reverses the steps (libdeep's export of go_backwards), which the layer with
 * go_backwards and return_sequences gives. The end node's index in the graph (the chain
 * marked done, *time_out the time axis of its rank-3 output for a Slice), else -1. */
static int64_t step_chain(onnx_import *im, const Onnx__NodeProto *node, const rnn *r, int32_t *time_out)
{
    if (r->D != 1 || node->n_output < 1)
        return -1;
    const char *cur = node->output[0];
    int32_t rank = 4, time = 0;
    int64_t chain[8], length = 0;
    while (length < 8) {
        int64_t n = onnx_sole_consumer(im, cur);
        if (n <= im->node_index || im->done[n])
            return -1;
        const Onnx__NodeProto *c = im->graph->node[n];
        if (!is_op(c, c->op_type ? c->op_type : "") || strcmp(c->input[0], cur) != 0)
            return -1;
        chain[length++] = n;
        int64_t axis = 0;
        bool end = false;
        if (is_op(c, "Squeeze") && rank == 4) {
            if (!onnx_single_axis(im, c, &axis) || (axis != 1 && axis != -3))
                return -1;
            rank = 3;
        } else if (is_op(c, "Gather") && rank == 4) {
            if (gathered_entry(im, c, cur, 1, 4, 1) != 0)
                return -1;
            rank = 3;
        } else if (is_op(c, "Transpose") && rank == 3) {
            const Onnx__AttributeProto *p = onnx_attr(c, "perm");
            if (p == NULL || p->n_ints != 3 || p->ints[0] != 1 || p->ints[1] != 0 || p->ints[2] != 2)
                return -1;
            time = 1 - time;
        } else if (is_op(c, "Gather") && rank == 3 && !r->reverse) {
            int64_t at = gathered_entry(im, c, cur, time, 3, r->T);
            if (at != r->T - 1)
                return -1;
            end = true;
        } else if (is_op(c, "Slice") && rank == 3 && r->reverse) {
            if (!reverses(im, c, time, r->T))
                return -1;
            end = true;
        } else {
            return -1;
        }
        if (end) {
            for (int64_t k = 0; k < length; k++)
                im->done[chain[k]] = true;
            *time_out = time;
            return n;
        }
        cur = c->output[0];
    }
    return -1;
}

/* libdeep's own export of Bidirectional (export_rnn.c): output `which` (Y, or Y_h) read by
 * exactly two Gathers, of direction 0 and 1 on the direction axis, merged by one node:
 * Concat on the last axis, Add (Div by 2 after it: the average) or Mul. Gives the merge
 * mode and the node whose output is the merged value, and marks the pattern done; else
 * -1 and nothing marked. */
static int64_t merged_directions(onnx_import *im, const Onnx__NodeProto *node, size_t which, deep_merge_mode *mode)
{
    if (node->n_output <= which || onnx_use_count(im, node->output[which]) != 2)
        return -1;
    const char *name = node->output[which];
    int64_t axis = which == 0 ? 1 : 0;
    int32_t rank = which == 0 ? 4 : 3;
    int64_t gathers[2] = {-1, -1};
    const Onnx__GraphProto *g = im->graph;
    /* Exporters write the Gathers right after the node: a bounded look keeps a hostile graph
     * of many recurrent nodes linear. */
    size_t end_scan = (size_t)im->node_index + 1 + 64 < g->n_node ? (size_t)im->node_index + 1 + 64 : g->n_node;
    for (size_t n = (size_t)im->node_index + 1; n < end_scan; n++) {
        const Onnx__NodeProto *c = g->node[n];
        int64_t d = im->done[n] ? -1 : gathered_entry(im, c, name, axis, rank, 2);
        if (d >= 0 && gathers[d] < 0)
            gathers[d] = (int64_t)n;
    }
    if (gathers[0] < 0 || gathers[1] < 0)
        return -1;
    const char *g0 = g->node[gathers[0]]->output[0], *g1 = g->node[gathers[1]]->output[0];
    int64_t m = onnx_sole_consumer(im, g0);
    if (m < 0 || m != onnx_sole_consumer(im, g1) || im->done[m])
        return -1;
    const Onnx__NodeProto *c = g->node[m];
    if (c->n_input != 2)
        return -1;
    int64_t end = m;
    bool ordered = strcmp(c->input[0], g0) == 0 && strcmp(c->input[1], g1) == 0;
    bool either = ordered || (strcmp(c->input[0], g1) == 0 && strcmp(c->input[1], g0) == 0);
    if (is_op(c, "Concat") && ordered) {
        const Onnx__AttributeProto *a = onnx_attr(c, "axis");
        int64_t at = a != NULL && a->has_i ? a->i : 0;
        if (at != -1 && at != rank - 2)
            return -1;
        *mode = DEEP_MERGE_CONCAT;
    } else if (is_op(c, "Mul") && either) {
        *mode = DEEP_MERGE_MUL;
    } else if (is_op(c, "Add") && either) {
        *mode = DEEP_MERGE_SUM;
        int64_t div = onnx_sole_consumer(im, c->output[0]);
        const Onnx__NodeProto *v = div > m ? g->node[div] : NULL;
        const onnx_value *two = v != NULL && is_op(v, "Div") && v->n_input == 2 &&
                                strcmp(v->input[0], c->output[0]) == 0 ? onnx_find(im, v->input[1]) : NULL;
        if (two != NULL && two->is_const && two->array.count == 1 && deep_onnx_array_float(&two->array, 0) == 2) {
            *mode = DEEP_MERGE_AVE;
            end = div;
            im->done[div] = true;
        }
    } else {
        return -1;
    }
    im->done[gathers[0]] = im->done[gathers[1]] = im->done[m] = true;
    return end;
}

/* Binds Y_h (which = 1) or Y_c (2), (D, N, H), to the layer's final states: its output for
 * h when that is the final state, else the state nodes deep_model_state_nodes adds. */
static deep_status bind_states(onnx_import *im, const Onnx__NodeProto *node, rnn *r, size_t which,
                               const onnx_value *like, bool output_is_h)
{
    if (node->n_output <= which || onnx_use_count(im, node->output[which]) == 0)
        return DEEP_OK;
    if (!output_is_h && r->state_count == 0) {
        deep_status s = deep_model_state_nodes(im->model, r->out_node, r->states, 4, &r->state_count);
        if (s != DEEP_OK)
            return onnx_wrap(im, s, "its final states");
    }
    onnx_value v = *like;
    v.layout = ONNX_STATES;
    v.rank = 3;
    v.dims[0] = r->D;
    v.dims[2] = r->U;
    int64_t per = r->state_count / r->D;
    for (int64_t d = 0; d < r->D; d++)
        v.states[d] = output_is_h ? r->out_node : r->states[d * per + (int64_t)which - 1];
    v.node = v.states[0];
    return onnx_bind_graph(im, node->output[which], &v);
}

deep_status onnx_op_recurrent(onnx_import *im, const Onnx__NodeProto *node)
{
    rnn r = {0};
    for (size_t k = 0; k < sizeof cells / sizeof *cells; k++)
        if (strcmp(node->op_type, cells[k].op) == 0)
            r.c = &cells[k];
    if (r.c == NULL)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "not a recurrent operator");
    DEEP_TRY(read_attributes(im, node, &r));
    if (r.c->gates != 3 && r.reset_after)
        return onnx_fail(im, DEEP_ERR_FORMAT, "linear_before_reset is a GRU attribute");
    onnx_value *x = NULL, *w = NULL, *rw = NULL, *b = NULL;
    DEEP_TRY(check_inputs(im, node, &r, &x, &w, &rw, &b));
    bool y_read = node->n_output > 0 && onnx_use_count(im, node->output[0]) > 0;
    int32_t time = 0;
    int64_t last = y_read ? step_chain(im, node, &r, &time) : -1;
    bool reversed = last >= 0 && r.reverse; /* the chain ends in a reversal, else the last step */
    bool sequences = y_read && (last < 0 || reversed);
    /* Two directions merged as libdeep's export writes Bidirectional: that merge mode. */
    deep_merge_mode mode = DEEP_MERGE_CONCAT;
    int64_t merged_y = -1, merged_h = -1;
    if (r.D == 2 && y_read)
        merged_y = merged_directions(im, node, 0, &mode);
    else if (r.D == 2 && (node->n_output < 3 || onnx_use_count(im, node->output[2]) == 0))
        merged_h = merged_directions(im, node, 1, &mode);
    if (sequences && r.reverse && !reversed)
        return refuse(im, "Y of a reverse-only recurrent operator is supported only reversed back to reading "
                      "order by a Slice (libdeep's export of go_backwards), or through Y_h");

    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    deep_status s;
    int32_t rs = sequences ? 1 : 0;
    if (r.c->gates == 4)
        s = deep_model_add_lstm(im->model, r.U, r.act, r.rec_act, 1, rs);
    else if (r.c->gates == 3)
        s = deep_model_add_gru(im->model, r.U, r.act, r.rec_act, 1, rs);
    else
        s = deep_model_add_simple_rnn(im->model, r.U, r.act, 1, rs);
    if (s == DEEP_OK && r.c->gates == 3)
        s = deep_model_set_layer_int(im->model, -1, DEEP_LAYER_RESET_AFTER, r.reset_after ? 1 : 0);
    if (s == DEEP_OK && r.reverse)
        s = deep_model_set_layer_int(im->model, -1, DEEP_LAYER_GO_BACKWARDS, 1);
    if (s == DEEP_OK && r.D == 2)
        s = deep_model_add_bidirectional(im->model, mode);
    if (s == DEEP_OK)
        s = deep_model_last_node(im->model, &r.out_node);
    if (s != DEEP_OK)
        return onnx_wrap(im, s, "adding its layer");
    for (int64_t d = 0; d < r.D; d++)
        DEEP_TRY(set_weights(im, &r, d, (int32_t)(3 * d), w, rw, b));

    /* Y: (T, D, N, H), held as (T, D * H) batch-first; or the last step (N, H); or the
     * merged directions. */
    onnx_value v = *x;
    int64_t width = mode == DEEP_MERGE_CONCAT ? 2 * r.U : r.U;
    if (merged_y >= 0) {
        v.layout = ONNX_TIME_MAJOR;
        v.rank = 3;
        v.dims[0] = r.T;
        v.dims[1] = x->dims[1];
        v.dims[2] = width;
        v.node = r.out_node;
        DEEP_TRY(onnx_bind_graph(im, im->graph->node[merged_y]->output[0], &v));
    } else if (merged_h >= 0) {
        v.layout = ONNX_PLAIN;
        v.rank = 2;
        v.dims[0] = x->dims[1];
        v.dims[1] = width;
        v.node = r.out_node;
        DEEP_TRY(onnx_bind_graph(im, im->graph->node[merged_h]->output[0], &v));
    } else if (reversed) { /* go_backwards gives the steps in reading order, as the Slice */
        v.layout = time == 1 ? ONNX_PLAIN : ONNX_TIME_MAJOR;
        v.rank = 3;
        v.dims[0] = time == 1 ? x->dims[1] : r.T;
        v.dims[1] = time == 1 ? r.T : x->dims[1];
        v.dims[2] = r.U;
        v.node = r.out_node;
        DEEP_TRY(onnx_bind_graph(im, im->graph->node[last]->output[0], &v));
        im->done[last] = true;
    } else if (sequences) {
        v.layout = ONNX_RNN_Y;
        v.rank = 4;
        v.dims[0] = r.T;
        v.dims[1] = r.D;
        v.dims[2] = x->dims[1];
        v.dims[3] = r.U;
        v.node = r.out_node;
        DEEP_TRY(onnx_bind_graph(im, node->output[0], &v));
    } else if (last >= 0) {
        v.layout = ONNX_PLAIN;
        v.rank = 2;
        v.dims[0] = x->dims[1];
        v.dims[1] = r.U;
        v.node = r.out_node;
        DEEP_TRY(onnx_bind_graph(im, im->graph->node[last]->output[0], &v));
        im->done[last] = true;
    }
    v.dims[1] = x->dims[1];
    /* Without return_sequences a one-direction layer's output is its final h. */
    if (merged_h < 0)
        DEEP_TRY(bind_states(im, node, &r, 1, &v, !sequences && r.D == 1));
    if (r.c->gates == 4)
        DEEP_TRY(bind_states(im, node, &r, 2, &v, false));
    return DEEP_OK;
}

#endif
