/* Time-major sequences in the ONNX importer. ONNX's recurrent operators read X as (T, N, F)
 * and write Y as (T, D, N, H); libdeep holds every sequence batch-first, (T, F) per sample.
 * So those values get layouts of their own (ONNX_TIME_MAJOR, ONNX_RNN_Y) on the same
 * libdeep node, and the reshuffles PyTorch writes around its recurrent layers (Transpose
 * (1, 0, 2), Squeeze of the direction axis, Transpose (0, 2, 1, 3) and Reshape merging the
 * directions) only relabel the node: no layer, no copy per call. Gather of one step of a
 * sequence becomes Reshape, Cropping2D, Reshape. Any other operator reading a time-major
 * value is refused. Also the folds of Expand and ConstantOfShape on constants (PyTorch's
 * zero initial states). */
#ifdef DEEP_HAVE_ONNX

#include <string.h>

#include "onnx/import.h"

/* The most elements Expand and ConstantOfShape may make in one import, all nodes together:
 * a file of a few bytes must not make the importer allocate gigabytes. */
#define MAX_FOLDED (INT64_C(1) << 22)

/* Counts count more elements against MAX_FOLDED. */
static deep_status budget(onnx_import *im, int64_t count)
{
    if (count > MAX_FOLDED - im->expanded)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Expand and ConstantOfShape may make at most %lld values in a "
                         "model", (long long)MAX_FOLDED);
    im->expanded += count;
    return DEEP_OK;
}

bool onnx_single_axis(onnx_import *im, const Onnx__NodeProto *node, int64_t *axis)
{
    const Onnx__AttributeProto *a = onnx_attr(node, "axes");
    if (a != NULL) {
        if (a->n_ints != 1)
            return false;
        *axis = a->ints[0];
        return true;
    }
    const onnx_value *v = node->n_input > 1 ? onnx_find(im, node->input[1]) : NULL;
    if (v == NULL || !v->is_const || v->array.count != 1)
        return false;
    *axis = deep_onnx_array_int(&v->array, 0);
    return true;
}

static bool perm_is(const Onnx__NodeProto *node, int32_t rank, const int64_t *want)
{
    const Onnx__AttributeProto *p = onnx_attr(node, "perm");
    if (p == NULL || p->n_ints != (size_t)rank)
        return false;
    for (int32_t k = 0; k < rank; k++)
        if (p->ints[k] != want[k])
            return false;
    return true;
}

/* Binds node's output to x's libdeep node with another ONNX layout and dims. */
static deep_status relabel(onnx_import *im, const Onnx__NodeProto *node, const onnx_value *x, onnx_layout layout,
                           int32_t rank, const int64_t *dims)
{
    onnx_value v = *x;
    v.layout = layout;
    v.rank = rank;
    memcpy(v.dims, dims, (size_t)rank * sizeof *dims);
    return onnx_bind_graph(im, node->output[0], &v);
}

/* Reshape of (T, N, D, H) into (T, N, D * H): the directions side by side, as
 * Bidirectional's concatenation holds them. */
static bool merges_directions(onnx_import *im, const Onnx__NodeProto *node, const onnx_value *x)
{
    const onnx_value *s = node->n_input > 1 ? onnx_find(im, node->input[1]) : NULL;
    int64_t allowzero = 0;
    const Onnx__AttributeProto *a = onnx_attr(node, "allowzero");
    if (a != NULL && a->has_i)
        allowzero = a->i;
    if (s == NULL || !s->is_const || s->array.rank != 1 || s->array.count != 3 || allowzero != 0)
        return false;
    int64_t want[3] = {x->dims[0], x->dims[1], x->dims[2] * x->dims[3]}, got[3], known = 1;
    int infer = -1;
    for (int k = 0; k < 3; k++) {
        got[k] = deep_onnx_array_int(&s->array, k);
        if (got[k] == 0)
            got[k] = x->dims[k];
        if (got[k] == -1 && infer < 0) {
            infer = k;
            continue;
        }
        if (got[k] < 1 || got[k] > DEEP_ONNX_MAX_ELEMENTS)
            return false;
        known *= got[k]; /* at most 2^31 squared: no overflow before the check */
        if (known > DEEP_ONNX_MAX_ELEMENTS)
            return false;
    }
    if (infer >= 0 && known > 0)
        got[infer] = want[0] * want[1] * want[2] / known;
    return got[0] == want[0] && got[1] == want[1] && got[2] == want[2];
}

/* Gather of step `at` of a batch-first (N, T, F) or time-major (T, N, F) sequence:
 * Reshape (T, F, 1), Cropping2D of the other steps, Reshape (F). */
static deep_status gather_step(onnx_import *im, const Onnx__NodeProto *node, onnx_value *x, int64_t time)
{
    const onnx_value *idx = onnx_find(im, node->input[1]);
    int64_t T = x->dims[time], F = x->dims[2], at = deep_onnx_array_int(&idx->array, 0);
    if (at < -T || at >= T)
        return onnx_fail(im, DEEP_ERR_FORMAT, "index %lld is outside %lld steps", (long long)at, (long long)T);
    at = at < 0 ? at + T : at;
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    deep_status s = deep_model_add_reshape(im->model, 3, (const int64_t[]){T, F, 1});
    if (s == DEEP_OK)
        s = deep_model_add_cropping2d(im->model, at, T - 1 - at, 0, 0);
    if (s == DEEP_OK)
        s = deep_model_add_reshape(im->model, 1, (const int64_t[]){F});
    onnx_value like = *x;
    like.layout = ONNX_PLAIN;
    like.dims[0] = x->dims[1 - time];
    return onnx_added(im, s, node->output[0], &like);
}

/* Whether a Gather reads one step (a constant scalar index) of a rank-3 graph value on
 * its time axis. */
static bool gathers_step(onnx_import *im, const Onnx__NodeProto *node, int64_t time)
{
    const Onnx__AttributeProto *a = onnx_attr(node, "axis");
    int64_t axis = a != NULL && a->has_i ? a->i : 0;
    const onnx_value *idx = node->n_input == 2 ? onnx_find(im, node->input[1]) : NULL;
    return (axis == time || axis == time - 3) && idx != NULL && idx->is_const && idx->array.rank == 0;
}

static bool sequence_layout(const onnx_value *v)
{
    return v != NULL && !v->is_const &&
           (v->layout == ONNX_TIME_MAJOR || v->layout == ONNX_RNN_Y || v->layout == ONNX_STATES);
}

/* Final states (S, N, H): Concat on axis 0 (PyTorch's h_n of stacked layers), Gather of
 * one entry (h[-1]) and Squeeze of a single one give libdeep's state nodes. */
static deep_status states_node(onnx_import *im, const Onnx__NodeProto *node, onnx_value *x)
{
    const char *op = node->op_type;
    onnx_value v = *x;
    int64_t axis = 0;
    if (strcmp(op, "Concat") == 0) {
        const Onnx__AttributeProto *a = onnx_attr(node, "axis");
        axis = a != NULL && a->has_i ? a->i : 1;
        if (axis != 0 && axis != -3)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Concat of final states on axis %lld; axis 0 is supported",
                             (long long)axis);
        v.dims[0] = 0;
        for (size_t k = 0; k < node->n_input; k++) {
            const onnx_value *y = onnx_find(im, node->input[k]);
            if (y == NULL || y->is_const || y->layout != ONNX_STATES || y->dims[2] != x->dims[2])
                return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Concat of final states with input %zu, which is not "
                                 "final states of the same size", k);
            if (v.dims[0] + y->dims[0] > (int64_t)(sizeof v.states / sizeof *v.states))
                return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "more than %d final states",
                                 (int)(sizeof v.states / sizeof *v.states));
            memcpy(v.states + v.dims[0], y->states, (size_t)y->dims[0] * sizeof *v.states);
            v.dims[0] += y->dims[0];
        }
        return onnx_bind_graph(im, node->output[0], &v);
    }
    int64_t at = -1;
    if (strcmp(op, "Gather") == 0 && gathers_step(im, node, 0)) {
        at = deep_onnx_array_int(&onnx_find(im, node->input[1])->array, 0);
        at = at < 0 ? at + x->dims[0] : at;
    } else if (strcmp(op, "Squeeze") == 0 && x->dims[0] == 1 && onnx_single_axis(im, node, &axis) &&
               (axis == 0 || axis == -3)) {
        at = 0;
    }
    if (at < 0 || at >= x->dims[0])
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s of final states (Y_h or Y_c) is not supported; Gather of one "
                         "entry on axis 0 (PyTorch's h[-1]), Squeeze of axis 0 and Concat on axis 0 are", op);
    v.layout = ONNX_PLAIN;
    v.rank = 2;
    v.dims[0] = x->dims[1];
    v.dims[1] = x->dims[2];
    v.node = x->states[at];
    return onnx_bind_graph(im, node->output[0], &v);
}

deep_status onnx_seq_node(onnx_import *im, const Onnx__NodeProto *node, bool *handled)
{
    *handled = false;
    const char *op = node->op_type;
    if (strcmp(op, "Shape") == 0 || strcmp(op, "LSTM") == 0 || strcmp(op, "GRU") == 0 || strcmp(op, "RNN") == 0)
        return DEEP_OK; /* Shape reads the ONNX dims, which every layout keeps */
    onnx_value *x = node->n_input > 0 && node->input[0][0] != '\0' ? onnx_find(im, node->input[0]) : NULL;
    if (x != NULL && !x->is_const && x->layout == ONNX_PLAIN && x->rank == 3) {
        /* A batch-first sequence: Transpose(1, 0, 2) makes ONNX's time-major X of it, and a
         * Gather on axis 1 reads one step. */
        if (strcmp(op, "Transpose") == 0 && perm_is(node, 3, (const int64_t[]){1, 0, 2})) {
            *handled = true;
            return relabel(im, node, x, ONNX_TIME_MAJOR, 3, (const int64_t[]){x->dims[1], x->dims[0], x->dims[2]});
        }
        if (strcmp(op, "Gather") == 0 && gathers_step(im, node, 1)) {
            *handled = true;
            return gather_step(im, node, x, 1);
        }
        return DEEP_OK;
    }
    if (!sequence_layout(x)) {
        for (size_t k = 1; k < node->n_input; k++)
            if (node->input[k][0] != '\0' && sequence_layout(onnx_find(im, node->input[k])))
                return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "input %zu is a time-major sequence (T, N, ...) or a "
                                 "recurrent operator's final states, which only Transpose, Squeeze, Reshape, "
                                 "Gather, Concat of states and the recurrent operators may read", k);
        return DEEP_OK;
    }
    const int64_t *d = x->dims;
    *handled = true;
    /* Inference's identities keep the value as it is (Dropout's mask output stays refused). */
    if ((strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0) &&
        (node->n_output < 2 || node->output[1][0] == '\0'))
        return relabel(im, node, x, x->layout, x->rank, x->dims);
    if (x->layout == ONNX_STATES)
        return states_node(im, node, x);
    if (x->layout == ONNX_TIME_MAJOR && x->rank == 3) {
        if (strcmp(op, "Transpose") == 0 && perm_is(node, 3, (const int64_t[]){1, 0, 2}))
            return relabel(im, node, x, ONNX_PLAIN, 3, (const int64_t[]){d[1], d[0], d[2]});
        if (strcmp(op, "Gather") == 0 && gathers_step(im, node, 0))
            return gather_step(im, node, x, 0);
    } else if (x->layout == ONNX_TIME_MAJOR && x->rank == 4) { /* (T, N, D, H) */
        if (strcmp(op, "Reshape") == 0 && merges_directions(im, node, x))
            return relabel(im, node, x, ONNX_TIME_MAJOR, 3, (const int64_t[]){d[0], d[1], d[2] * d[3]});
    } else if (x->layout == ONNX_RNN_Y) { /* (T, D, N, H) */
        int64_t axis = 0;
        if (strcmp(op, "Squeeze") == 0 && d[1] == 1 && onnx_single_axis(im, node, &axis) &&
            (axis == 1 || axis == -3))
            return relabel(im, node, x, ONNX_TIME_MAJOR, 3, (const int64_t[]){d[0], d[2], d[3]});
        if (strcmp(op, "Transpose") == 0 && perm_is(node, 4, (const int64_t[]){0, 2, 1, 3}))
            return relabel(im, node, x, ONNX_TIME_MAJOR, 4, (const int64_t[]){d[0], d[2], d[1], d[3]});
        /* The one direction there is (libdeep's export reads it so). */
        const Onnx__AttributeProto *a = onnx_attr(node, "axis");
        const onnx_value *idx = node->n_input == 2 ? onnx_find(im, node->input[1]) : NULL;
        if (strcmp(op, "Gather") == 0 && d[1] == 1 && a != NULL && a->has_i && (a->i == 1 || a->i == -3) &&
            idx != NULL && idx->is_const && idx->array.rank == 0 &&
            (deep_onnx_array_int(&idx->array, 0) == 0 || deep_onnx_array_int(&idx->array, 0) == -1))
            return relabel(im, node, x, ONNX_TIME_MAJOR, 3, (const int64_t[]){d[0], d[2], d[3]});
    }
    return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s of a time-major sequence (%s) is not supported; Transpose(1, 0, "
                     "2), Squeeze of the direction axis, Transpose(0, 2, 1, 3) with a Reshape merging the "
                     "directions, Gather of a step and the recurrent operators are", op,
                     x->layout == ONNX_RNN_Y ? "a recurrent operator's Y, (T, D, N, H)" : "(T, N, ...)");
}

bool onnx_time_major_input(const Onnx__GraphProto *g, const char *name)
{
    bool recurrent = false;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *node = g->node[i];
        for (size_t j = 0; j < node->n_input; j++) {
            if (node->input[j] == NULL || strcmp(node->input[j], name) != 0)
                continue;
            const char *op = node->op_type != NULL ? node->op_type : "";
            bool rnn = strcmp(op, "LSTM") == 0 || strcmp(op, "GRU") == 0 || strcmp(op, "RNN") == 0;
            if (rnn && j == 0)
                recurrent = true;
            else if (strcmp(op, "Shape") != 0)
                return false;
        }
    }
    return recurrent;
}

/* Expand of a constant to a constant shape, with NumPy's broadcasting. */
static deep_status fold_expand(onnx_import *im, const Onnx__NodeProto *node, const deep_onnx_array *a,
                               deep_onnx_array *out)
{
    onnx_value *s = NULL;
    DEEP_TRY(onnx_input_const(im, node, 1, false, &s));
    if (s->array.rank != 1 || s->array.count > DEEP_ONNX_MAX_RANK)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Expand to a shape of rank above %d", DEEP_ONNX_MAX_RANK);
    int32_t rank = (int32_t)(s->array.count > a->rank ? s->array.count : a->rank);
    int64_t dims[DEEP_ONNX_MAX_RANK], count = 1;
    for (int32_t k = 0; k < rank; k++) {
        int32_t ka = k - (rank - a->rank), ks = k - (rank - (int32_t)s->array.count);
        int64_t da = ka >= 0 ? a->dims[ka] : 1, ds = ks >= 0 ? deep_onnx_array_int(&s->array, ks) : 1;
        if (ds != da && ds != 1 && da != 1)
            return onnx_fail(im, DEEP_ERR_FORMAT, "Expand of axis %d from %lld to %lld", (int)k, (long long)da,
                             (long long)ds);
        dims[k] = da == 1 ? ds : da;
        if (dims[k] < 0 || (dims[k] > 0 && count > MAX_FOLDED / dims[k]))
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Expand to more than %lld values", (long long)MAX_FOLDED);
        count *= dims[k];
    }
    DEEP_TRY(budget(im, count));
    DEEP_TRY(deep_onnx_array_new(im->caller, rank, dims, a->is_float, out));
    /* An odometer over the output's index: each step moves the source offset by the axis'
     * stride in a (0 on broadcast axes), so the copy costs O(1) per value whatever the rank
     * (a div/mod per axis per value made a hostile 4M-value Expand take seconds). */
    int64_t at[DEEP_ONNX_MAX_RANK] = {0}, step[DEEP_ONNX_MAX_RANK], stride = 1, from = 0;
    for (int32_t k = rank - 1; k >= 0; k--) {
        int32_t ka = k - (rank - a->rank);
        step[k] = ka < 0 || a->dims[ka] == 1 ? 0 : stride;
        if (ka >= 0)
            stride *= a->dims[ka];
    }
    for (int64_t j = 0; j < count; j++) {
        if (out->is_float)
            out->f[j] = a->f[from];
        else
            out->i[j] = a->i[from];
        for (int32_t k = rank - 1; k >= 0; k--) {
            from += step[k];
            if (++at[k] < dims[k])
                break;
            from -= step[k] * dims[k];
            at[k] = 0;
        }
    }
    return DEEP_OK;
}

static deep_status fold_constant_of_shape(onnx_import *im, const Onnx__NodeProto *node, const deep_onnx_array *s,
                                          deep_onnx_array *out)
{
    if (s->rank != 1 || s->count > DEEP_ONNX_MAX_RANK)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "ConstantOfShape of rank above %d", DEEP_ONNX_MAX_RANK);
    int64_t dims[DEEP_ONNX_MAX_RANK], count = 1;
    for (int64_t k = 0; k < s->count; k++) {
        dims[k] = deep_onnx_array_int(s, k);
        if (dims[k] < 0 || (dims[k] > 0 && count > MAX_FOLDED / dims[k]))
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "ConstantOfShape of more than %lld values",
                             (long long)MAX_FOLDED);
        count *= dims[k];
    }
    DEEP_TRY(budget(im, count));
    deep_onnx_array value = {0};
    const Onnx__AttributeProto *a = onnx_attr(node, "value");
    if (a != NULL && a->t != NULL) {
        deep_status st = deep_onnx_array_read(im->caller, "its value", a->t, &value);
        if (st != DEEP_OK)
            return onnx_wrap(im, st, "its value");
        if (value.count != 1) {
            deep_onnx_array_free(&value);
            return onnx_fail(im, DEEP_ERR_FORMAT, "its value has %lld elements, not 1", (long long)value.count);
        }
    }
    bool is_float = a == NULL || a->t == NULL || value.is_float;
    deep_status st = deep_onnx_array_new(im->caller, (int32_t)s->count, dims, is_float, out);
    for (int64_t j = 0; j < count && st == DEEP_OK; j++)
        if (is_float)
            out->f[j] = value.count == 1 ? value.f[0] : 0.0f;
        else
            out->i[j] = value.i[0];
    deep_onnx_array_free(&value);
    return st;
}

deep_status onnx_fold_seq(onnx_import *im, const Onnx__NodeProto *node, const deep_onnx_array *a,
                          deep_onnx_array *out)
{
    if (strcmp(node->op_type, "Expand") == 0)
        return fold_expand(im, node, a, out);
    return fold_constant_of_shape(im, node, a, out);
}

#endif
