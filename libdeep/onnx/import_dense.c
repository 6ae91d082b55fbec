/* Translations of the dense and element-wise operators: activations, Softmax, Gemm,
 * MatMul (+ Add), Add/Sub/Mul of two values, Flatten, Reshape, Transpose, Concat, and the
 * nodes that add nothing (Identity, Dropout) or are folded. */
#ifdef DEEP_HAVE_ONNX

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/import.h"

deep_status onnx_op_fold(onnx_import *im, const Onnx__NodeProto *node)
{
    return onnx_fold(im, node);
}

deep_status onnx_op_identity(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    if (node->n_output > 1 && node->output[1][0] != '\0')
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Dropout's mask output is not supported");
    return onnx_bind_graph(im, node->output[0], x);
}

/* One Activation layer on x, bound to output. */
static deep_status add_activation(onnx_import *im, onnx_value *x, deep_activation act, const char *output)
{
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_activation(im->model, act), output, x);
}

deep_status onnx_op_activation(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    const char *op = node->op_type;
    deep_activation act = DEEP_ACTIVATION_RELU;
    if (strcmp(op, "Sigmoid") == 0) {
        act = DEEP_ACTIVATION_SIGMOID;
    } else if (strcmp(op, "Tanh") == 0) {
        act = DEEP_ACTIVATION_TANH;
    }
    return add_activation(im, x, act, node->output[0]);
}

/* Softmax and LogSoftmax (since 1.3) over the last axis, or an image's channels. */
static deep_status softmax_like(onnx_import *im, const Onnx__NodeProto *node, deep_activation act)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    int64_t axis = 0;
    DEEP_TRY(onnx_attr_int(im, node, "axis", im->opset >= 13 ? -1 : 1, &axis));
    if (axis < 0)
        axis += x->rank;
    /* Before opset 13 Softmax flattens everything from axis on: the same for the last axis. */
    bool last = axis == x->rank - 1;
    if ((x->layout == ONNX_NHWC && axis == 1 && im->opset >= 13) || (x->layout == ONNX_SQUEEZED && axis == 1)) {
        last = true; /* the channels, libdeep's last axis (the only one of a squeezed value) */
    } else if (x->layout == ONNX_SQUEEZED) {
        last = false;
    } else if (x->layout != ONNX_PLAIN) {
        DEEP_TRY(onnx_to_plain(im, &x));
    }
    if (!last)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s over axis %lld of a rank %d value; the last axis (or "
                         "an image's channels) is supported", node->op_type, (long long)axis, (int)x->rank);
    return add_activation(im, x, act, node->output[0]);
}

deep_status onnx_op_softmax(onnx_import *im, const Onnx__NodeProto *node)
{
    return softmax_like(im, node, DEEP_ACTIVATION_SOFTMAX);
}

deep_status onnx_op_log_softmax(onnx_import *im, const Onnx__NodeProto *node)
{
    return softmax_like(im, node, DEEP_ACTIVATION_LOG_SOFTMAX);
}

/* Adds Dense(units) on x from kernel rows in ONNX's (inputs, units) order — permuted for an
 * input flattened from channels-last images — and an optional bias; binds output. */
static deep_status add_dense(onnx_import *im, onnx_value *x, const float *kernel, int64_t inputs, int64_t units,
                             const float *bias, deep_activation act, const char *output)
{
    if (x->layout == ONNX_NHWC)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a product with an image (rank 4) is not supported");
    onnx_value squeezed;
    if (x->layout == ONNX_SQUEEZED) { /* (N, C, 1, 1) held as (C,): a matrix already */
        squeezed = *x;
        squeezed.layout = ONNX_PLAIN;
        squeezed.rank = 2;
        x = &squeezed;
    }
    if (x->rank != 2 && x->layout != ONNX_PLAIN)
        DEEP_TRY(onnx_to_plain(im, &x));
    if (x->dims[x->rank - 1] != inputs)
        return onnx_fail(im, DEEP_ERR_SHAPE, "the input has %lld features but the weight has %lld rows",
                         (long long)x->dims[x->rank - 1], (long long)inputs);
    int64_t size = 0;
    if (!deep_mul_i64(inputs, units, &size))
        return onnx_fail(im, DEEP_ERR_OVERFLOW, "the weight is too large");
    float *k = deep_alloc(size, sizeof *k);
    if (k == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory for the weight");
    for (int64_t f = 0; f < inputs; f++) {
        int64_t row = f;
        if (x->layout == ONNX_FLAT_HWC) { /* libdeep feature f = (h * W + w) * C + c */
            int64_t c = x->chw[0], h = x->chw[1], w = x->chw[2];
            int64_t cc = f % c, hw = f / c;
            row = cc * h * w + hw;
        }
        memcpy(k + f * units, kernel + row * units, (size_t)units * sizeof *k);
    }
    onnx_value like = *x;
    like.layout = ONNX_PLAIN;
    deep_status s = onnx_connect(im, (const onnx_value *const[]){x}, 1);
    if (s == DEEP_OK)
        s = onnx_added(im, deep_model_add_dense(im->model, units, act, bias != NULL), output, &like);
    if (s == DEEP_OK)
        s = onnx_set_weight(im, 0, 2, (int64_t[]){inputs, units}, k);
    free(k);
    if (s == DEEP_OK && bias != NULL)
        s = onnx_set_weight(im, 1, 1, &units, (float *)bias);
    return s;
}

/* A bias of `units` values from a constant of shape (units), (1, units) or a scalar. */
static deep_status bias_of(onnx_import *im, const onnx_value *c, int64_t units, double scale, float **out)
{
    *out = NULL;
    if (c == NULL)
        return DEEP_OK;
    const deep_onnx_array *a = &c->array;
    bool vector = a->count == units && (a->rank == 1 || (a->rank == 2 && a->dims[0] == 1));
    if (!vector && a->count != 1)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a bias of %lld values for %lld units", (long long)a->count,
                         (long long)units);
    *out = deep_alloc(units, sizeof **out);
    if (*out == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory");
    for (int64_t k = 0; k < units; k++)
        (*out)[k] = (float)(scale * deep_onnx_array_float(a, vector ? k : 0));
    return DEEP_OK;
}

deep_status onnx_op_gemm(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *a = NULL, *b = NULL, *c = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &a));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &b));
    DEEP_TRY(onnx_input_const(im, node, 2, true, &c));
    int64_t trans_a = 0, trans_b = 0;
    double alpha = 1, beta = 1;
    DEEP_TRY(onnx_attr_int(im, node, "transA", 0, &trans_a));
    DEEP_TRY(onnx_attr_int(im, node, "transB", 0, &trans_b));
    DEEP_TRY(onnx_attr_float(im, node, "alpha", 1.0, &alpha));
    DEEP_TRY(onnx_attr_float(im, node, "beta", 1.0, &beta));
    if (trans_a != 0)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "transA 1 is not supported (the batch must be A's first axis)");
    if (a->rank != 2 || b->array.rank != 2)
        return onnx_fail(im, DEEP_ERR_FORMAT, "Gemm takes matrices (A of rank %d, B of rank %d)", (int)a->rank,
                         (int)b->array.rank);
    int64_t inputs = trans_b ? b->array.dims[1] : b->array.dims[0];
    int64_t units = trans_b ? b->array.dims[0] : b->array.dims[1];
    if (inputs < 1 || units < 1)
        return onnx_fail(im, DEEP_ERR_FORMAT, "B has an empty axis");
    float *kernel = deep_alloc(b->array.count, sizeof *kernel);
    float *bias = NULL;
    deep_status s = kernel != NULL ? bias_of(im, c, units, beta, &bias)
                                   : onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory");
    if (s == DEEP_OK) {
        /* Dense's kernel is (inputs, units); alpha scales it. */
        for (int64_t i = 0; i < inputs; i++)
            for (int64_t u = 0; u < units; u++)
                kernel[i * units + u] = (float)(alpha * deep_onnx_array_float(&b->array, trans_b ? u * inputs + i
                                                                                               : i * units + u));
        deep_activation act;
        const char *output;
        onnx_fuse_activation(im, node, 2, &act, &output);
        s = add_dense(im, a, kernel, inputs, units, bias, act, output);
    }
    free(kernel);
    free(bias);
    return s;
}

deep_status onnx_op_matmul(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *a = NULL, *b = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &a));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &b));
    if (b->array.rank != 2 || b->array.dims[0] < 1 || b->array.dims[1] < 1)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "MatMul with a constant matrix is supported (B has rank %d)",
                         (int)b->array.rank);
    int64_t inputs = b->array.dims[0], units = b->array.dims[1];
    /* An Add of a constant vector right after is the bias. */
    const Onnx__NodeProto *last = node;
    onnx_value *c = NULL;
    int64_t next = onnx_sole_consumer(im, node->output[0]);
    if (next > im->node_index && !im->done[next]) {
        const Onnx__NodeProto *add = im->graph->node[next];
        /* A later node, not checked yet: its op_type may be missing. */
        if (add->op_type != NULL && strcmp(add->op_type, "Add") == 0 && add->n_input == 2 && add->n_output >= 1 &&
            (add->domain == NULL || add->domain[0] == '\0')) {
            size_t other = strcmp(add->input[0], node->output[0]) == 0 ? 1 : 0;
            onnx_value *v = onnx_find(im, add->input[other]);
            if (v != NULL && v->is_const && v->array.count == units && v->array.rank == 1) {
                c = v;
                last = add;
                im->done[next] = true;
            }
        }
    }
    float *kernel = onnx_floats(im, &b->array), *bias = NULL;
    deep_status s = kernel != NULL ? bias_of(im, c, units, 1.0, &bias) : DEEP_ERR_NO_MEMORY;
    if (s == DEEP_OK) {
        deep_activation act;
        const char *output;
        onnx_fuse_activation(im, last, a->rank, &act, &output);
        s = add_dense(im, a, kernel, inputs, units, bias, act, output);
    }
    free(kernel);
    free(bias);
    return s;
}

/* The index of the node reading `name` alone, when it is `op` of the default domain with
 * input `name` and, when `other` is not NULL, its other input a constant scalar near *other
 * (or, with other_name, that value); else -1. */
static int64_t next_op(onnx_import *im, const char *name, const char *op, const double *other,
                       const char *other_name)
{
    int64_t k = onnx_sole_consumer(im, name);
    if (k <= im->node_index || im->done[k])
        return -1;
    const Onnx__NodeProto *n = im->graph->node[k];
    if (n->op_type == NULL || strcmp(n->op_type, op) != 0 || n->n_output < 1 ||
        (n->domain != NULL && n->domain[0] != '\0'))
        return -1;
    if (other == NULL && other_name == NULL)
        return n->n_input == 1 && strcmp(n->input[0], name) == 0 ? k : -1;
    if (n->n_input != 2 || (strcmp(n->input[0], name) != 0 && strcmp(n->input[1], name) != 0))
        return -1;
    const char *o = strcmp(n->input[0], name) == 0 ? n->input[1] : n->input[0];
    if (other_name != NULL)
        return strcmp(o, other_name) == 0 ? k : -1;
    const onnx_value *v = onnx_find(im, o);
    if (v == NULL || !v->is_const || v->array.count != 1 || fabs(deep_onnx_array_float(&v->array, 0) - *other) > 1e-5)
        return -1;
    return k;
}

/* PyTorch's exact GELU, x * 0.5 * (1 + erf(x / sqrt(2))) as Div, Erf, Add, Mul, Mul, is one
 * Activation(gelu) (libdeep's exact form): the four nodes after the Div are marked done. */
static bool match_gelu(onnx_import *im, const Onnx__NodeProto *div, onnx_value *x, const char **output)
{
    static const double root2 = 1.4142135623730951, one = 1.0, half = 0.5;
    if (div->n_input != 2 || strcmp(div->input[0], x->name) != 0)
        return false;
    const onnx_value *c = onnx_find(im, div->input[1]);
    if (c == NULL || !c->is_const || c->array.count != 1 || fabs(deep_onnx_array_float(&c->array, 0) - root2) > 1e-5)
        return false;
    const Onnx__NodeProto *const *nodes = (const Onnx__NodeProto *const *)im->graph->node;
    int64_t erf = next_op(im, div->output[0], "Erf", NULL, NULL);
    int64_t add = erf >= 0 ? next_op(im, nodes[erf]->output[0], "Add", &one, NULL) : -1;
    int64_t mul = add >= 0 ? next_op(im, nodes[add]->output[0], "Mul", NULL, x->name) : -1;
    int64_t scale = mul >= 0 ? next_op(im, nodes[mul]->output[0], "Mul", &half, NULL) : -1;
    if (scale < 0)
        return false;
    im->done[erf] = im->done[add] = im->done[mul] = im->done[scale] = true;
    *output = nodes[scale]->output[0];
    return true;
}

deep_status onnx_op_binary(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *y = NULL;
    DEEP_TRY(onnx_input(im, node, 0, false, &x));
    DEEP_TRY(onnx_input(im, node, 1, false, &y));
    const char *op = node->op_type;
    const char *gelu = NULL;
    if (op[0] == 'D' && !x->is_const && y->is_const && match_gelu(im, node, x, &gelu))
        return add_activation(im, x, DEEP_ACTIVATION_GELU, gelu);
    if (op[0] == 'M' && !x->is_const && x == y && onnx_match_gelu_tanh(im, node, &gelu)) /* x * x starts it */
        return add_activation(im, x, DEEP_ACTIVATION_GELU_TANH, gelu);
    if (x->is_const || y->is_const) {
        /* x + 0, x - 0, x * 1, x / 1 are x; other constants would need a layer libdeep lacks. */
        onnx_value *g = x->is_const ? y : x, *k = x->is_const ? x : y;
        double neutral = (op[0] == 'M' || op[0] == 'D') ? 1.0 : 0.0;
        bool identity = !(x->is_const && (op[0] == 'S' || op[0] == 'D'));
        for (int64_t j = 0; j < k->array.count && identity; j++)
            identity = deep_onnx_array_float(&k->array, j) == neutral;
        if (identity)
            return onnx_bind_graph(im, node->output[0], g);
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s of the model's data and a constant is supported only as the "
                         "bias of a MatMul", op);
    }
    if (op[0] == 'D')
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Div of two values is not supported (libdeep has no Divide "
                         "layer)");
    if (x->layout != y->layout) {
        DEEP_TRY(onnx_to_plain(im, &x));
        DEEP_TRY(onnx_to_plain(im, &y));
    }
    bool same = x->rank == y->rank;
    for (int32_t k = 1; k < x->rank && same; k++)
        same = x->dims[k] == y->dims[k];
    if (!same)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s of values of different shapes (broadcasting) is not "
                         "supported", op);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x, y}, 2));
    deep_status s = op[0] == 'A' ? deep_model_add_add(im->model)
                    : op[0] == 'S' ? deep_model_add_subtract(im->model) : deep_model_add_multiply(im->model);
    return onnx_added(im, s, node->output[0], x);
}

/* The value of a Flatten to (N, features) of x. */
static deep_status flatten_to(onnx_import *im, onnx_value *x, const char *output)
{
    onnx_value like = *x;
    switch (x->layout) {
    case ONNX_FLAT_HWC:
        return onnx_bind_graph(im, output, x);
    case ONNX_SQUEEZED:
        like.layout = ONNX_PLAIN;
        like.rank = 2;
        return onnx_bind_graph(im, output, &like);
    case ONNX_NHWC:
        like.layout = x->dims[2] == 1 && x->dims[3] == 1 ? ONNX_PLAIN : ONNX_FLAT_HWC;
        like.chw[0] = x->dims[1];
        like.chw[1] = x->dims[2];
        like.chw[2] = x->dims[3];
        break;
    case ONNX_PLAIN:
        if (x->rank == 2)
            return onnx_bind_graph(im, output, x);
        break;
    case ONNX_TIME_MAJOR: /* onnx_seq_node refuses these before any translation */
    case ONNX_RNN_Y:
    case ONNX_STATES:
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Flatten of a time-major sequence");
    }
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_flatten(im->model), output, &like);
}

deep_status onnx_op_flatten(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    int64_t axis = 1;
    DEEP_TRY(onnx_attr_int(im, node, "axis", 1, &axis));
    if (axis != 1 && !(axis == 1 - x->rank))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Flatten with axis %lld; axis 1 (keeping the batch) is supported",
                         (long long)axis);
    return flatten_to(im, x, node->output[0]);
}

deep_status onnx_op_reshape(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *shape = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &shape));
    int64_t allowzero = 0;
    DEEP_TRY(onnx_attr_int(im, node, "allowzero", 0, &allowzero));
    const deep_onnx_array *t = &shape->array;
    if (t->rank != 1 || t->count < 2 || t->count > DEEP_MAX_SAMPLE_RANK + 1)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a target shape of %lld values; a batch axis and 1 to %d more "
                         "are supported", (long long)t->count, DEEP_MAX_SAMPLE_RANK);
    int64_t sample = 1;
    for (int32_t k = 1; k < x->rank; k++)
        sample *= x->dims[k]; /* each factor was checked when the value was made */
    /* The first axis is the batch: 0 (copied), -1 or the batch itself; the others are resolved
     * against the sample's elements. */
    int64_t first = deep_onnx_array_int(t, 0);
    int64_t dims[DEEP_MAX_RANK], known = 1, unknown = -1;
    int32_t rank = (int32_t)t->count - 1;
    for (int32_t k = 0; k < rank; k++) {
        int64_t d = deep_onnx_array_int(t, k + 1);
        if (d == 0 && !allowzero && k + 1 < x->rank)
            d = x->dims[k + 1];
        if (d == -1 && unknown < 0 && first != -1) {
            unknown = k;
            d = 1;
        } else if (d < 1 || d > DEEP_ONNX_MAX_ELEMENTS) {
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "target dimension %lld is not supported",
                             (long long)deep_onnx_array_int(t, k + 1));
        }
        dims[k] = d;
        if (!deep_mul_i64(known, d, &known) || known > DEEP_ONNX_MAX_ELEMENTS)
            return onnx_fail(im, DEEP_ERR_SHAPE, "the target shape is too large");
    }
    if (first != 0 && first != -1 && first != x->dims[0])
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a reshape that changes the batch axis (%lld) is not supported",
                         (long long)first);
    if (unknown >= 0) {
        if (sample % known != 0)
            return onnx_fail(im, DEEP_ERR_SHAPE, "%lld elements cannot take the target shape", (long long)sample);
        dims[unknown] = sample / known;
        known = sample;
    }
    if (known != sample)
        return onnx_fail(im, DEEP_ERR_SHAPE, "%lld elements per sample cannot take a shape of %lld",
                         (long long)sample, (long long)known);
    if (rank == 1)
        return flatten_to(im, x, node->output[0]);
    DEEP_TRY(onnx_to_plain(im, &x));
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    onnx_value like = *x;
    like.layout = ONNX_PLAIN;
    return onnx_added(im, deep_model_add_reshape(im->model, rank, dims), node->output[0], &like);
}

deep_status onnx_op_transpose(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    int64_t perm[2 * DEEP_ONNX_MAX_RANK], count = 0;
    bool given = false;
    DEEP_TRY(onnx_attr_ints(im, node, "perm", -1, perm, &count, &given));
    if (!given) { /* ONNX's default reverses the axes, the batch's too */
        count = x->rank;
        for (int64_t k = 0; k < count; k++)
            perm[k] = count - 1 - k;
    }
    if (count != x->rank || perm[0] != 0)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a permutation that moves the batch axis is not supported");
    /* (N, C, H, W) to (N, H, W, C) is what libdeep holds already. */
    if (x->layout == ONNX_NHWC && perm[1] == 2 && perm[2] == 3 && perm[3] == 1) {
        onnx_value like = *x;
        like.layout = ONNX_PLAIN;
        like.dims[1] = x->dims[2];
        like.dims[2] = x->dims[3];
        like.dims[3] = x->dims[1];
        return onnx_bind_graph(im, node->output[0], &like);
    }
    /* And (N, H, W, C) to (N, C, H, W) is libdeep's (H, W, C) seen as ONNX's image order. */
    if (x->layout == ONNX_PLAIN && count == 4 && perm[1] == 3 && perm[2] == 1 && perm[3] == 2) {
        onnx_value like = *x;
        like.layout = ONNX_NHWC;
        like.dims[1] = x->dims[3];
        like.dims[2] = x->dims[1];
        like.dims[3] = x->dims[2];
        return onnx_bind_graph(im, node->output[0], &like);
    }
    DEEP_TRY(onnx_to_plain(im, &x));
    int32_t dims[DEEP_MAX_RANK];
    for (int64_t k = 1; k < count; k++) {
        if (perm[k] < 1 || perm[k] >= count)
            return onnx_fail(im, DEEP_ERR_FORMAT, "perm holds %lld", (long long)perm[k]);
        dims[k - 1] = (int32_t)perm[k];
    }
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_permute(im->model, (int32_t)count - 1, dims), node->output[0], x);
}

deep_status onnx_op_concat(onnx_import *im, const Onnx__NodeProto *node)
{
    int64_t axis = 0;
    DEEP_TRY(onnx_attr_int(im, node, "axis", 1, &axis));
    if (node->n_input < 1 || node->n_input > 16)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Concat of %zu values (1 to 16 are supported)", node->n_input);
    onnx_value *in[16];
    bool images = true;
    for (size_t k = 0; k < node->n_input; k++) {
        DEEP_TRY(onnx_input_graph(im, node, k, &in[k]));
        images &= in[k]->layout == ONNX_NHWC;
    }
    int32_t rank = in[0]->rank;
    if (axis < 0)
        axis += rank;
    if (!(images && axis == 1)) {
        for (size_t k = 0; k < node->n_input; k++)
            DEEP_TRY(onnx_to_plain(im, &in[k]));
        if (axis != rank - 1)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Concat on axis %lld of rank %d values; the last axis (or "
                             "an image's channels) is supported", (long long)axis, (int)rank);
    }
    for (size_t k = 1; k < node->n_input; k++) {
        bool same = in[k]->rank == rank;
        for (int32_t d = 1; d < rank && same; d++)
            same = d == axis || in[k]->dims[d] == in[0]->dims[d];
        if (!same)
            return onnx_fail(im, DEEP_ERR_SHAPE, "its inputs' shapes differ off the concatenation axis");
    }
    if (node->n_input == 1)
        return onnx_bind_graph(im, node->output[0], in[0]);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const *)in, (int64_t)node->n_input));
    return onnx_added(im, deep_model_add_concatenate(im->model, -1), node->output[0], in[0]);
}

#endif
