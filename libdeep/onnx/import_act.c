/* Translations of the activations with arguments (since 1.3): LeakyRelu and Elu of any
 * alpha become the LeakyReLU and ELU layers, PRelu the PReLU layer (its slope converted to
 * channels last), and Clip(0, max) ReLU(max_value). */
#ifdef DEEP_HAVE_ONNX

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/import.h"

deep_status onnx_op_leaky_relu(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    double alpha = 0.01; /* ONNX's default, PyTorch's too */
    DEEP_TRY(onnx_attr_float(im, node, "alpha", 0.01, &alpha));
    if (!(alpha >= 0) || !isfinite(alpha))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "alpha %g is not supported: LeakyReLU takes a slope >= 0 "
                         "(Keras' rule)", alpha);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_leaky_relu(im->model, alpha), node->output[0], x);
}

deep_status onnx_op_elu(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    double alpha = 1.0;
    DEEP_TRY(onnx_attr_float(im, node, "alpha", 1.0, &alpha));
    if (!isfinite(alpha))
        return onnx_fail(im, DEEP_ERR_FORMAT, "alpha %g is not finite", alpha);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_elu(im->model, alpha), node->output[0], x);
}

/* Clip's bounds: attributes before opset 11, optional scalar constant inputs since. */
static deep_status clip_bounds(onnx_import *im, const Onnx__NodeProto *node, double *min, double *max)
{
    *min = -INFINITY;
    *max = INFINITY;
    if (im->opset < 11) {
        DEEP_TRY(onnx_attr_float(im, node, "min", -INFINITY, min));
        return onnx_attr_float(im, node, "max", INFINITY, max);
    }
    onnx_value *lo = NULL, *hi = NULL;
    DEEP_TRY(onnx_input_const(im, node, 1, true, &lo));
    DEEP_TRY(onnx_input_const(im, node, 2, true, &hi));
    if ((lo != NULL && lo->array.count != 1) || (hi != NULL && hi->array.count != 1))
        return onnx_fail(im, DEEP_ERR_FORMAT, "Clip's min and max must be scalars");
    if (lo != NULL)
        *min = deep_onnx_array_float(&lo->array, 0);
    if (hi != NULL)
        *max = deep_onnx_array_float(&hi->array, 0);
    return DEEP_OK;
}

/* Clip(0, 6) stays Activation(relu6) and Clip(0, none) Activation(relu), as before 1.3;
 * Clip(0, max) for another max >= 0 is ReLU(max_value=max). */
deep_status onnx_op_clip(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    double min = 0, max = 0;
    DEEP_TRY(clip_bounds(im, node, &min, &max));
    if (min != 0 || isnan(max) || max < 0)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Clip(%g, %g) is not supported; Clip(0, max) for a max >= 0 "
                         "or none is (ReLU's max_value)", min, max);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    deep_status s;
    if (max == 6)
        s = deep_model_add_activation(im->model, DEEP_ACTIVATION_RELU6);
    else if (isinf(max))
        s = deep_model_add_activation(im->model, DEEP_ACTIVATION_RELU);
    else
        s = deep_model_add_relu(im->model, max, 0, 0);
    return onnx_added(im, s, node->output[0], x);
}

/* PRelu(X, slope): slope broadcasts to X one way (numpy's rule, right-aligned). Each axis
 * where slope has size 1 becomes one of PReLU's shared_axes; the slope's values are moved to
 * the layer's alpha in libdeep's order (channels last for images). */
deep_status onnx_op_prelu(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *slope = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &slope));
    if (x->layout != ONNX_PLAIN && x->layout != ONNX_NHWC)
        DEEP_TRY(onnx_to_plain(im, &x));
    const deep_onnx_array *a = &slope->array;
    int32_t r = x->rank; /* ONNX's, batch included */
    if (r < 2 || a->rank > r)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a slope of rank %d on an input of rank %d is not supported",
                         (int)a->rank, (int)r);
    /* The slope's dims right-aligned to X's ONNX axes; the batch axis must be 1. */
    int64_t sdims[DEEP_ONNX_MAX_RANK];
    for (int32_t d = 0; d < r; d++) {
        int32_t k = d - (r - a->rank);
        sdims[d] = k >= 0 ? a->dims[k] : 1;
        if (sdims[d] != 1 && (d == 0 || sdims[d] != x->dims[d]))
            return onnx_fail(im, DEEP_ERR_SHAPE, "the slope's axis %d has %lld values where the input has %lld; "
                             "it must be 1 or the input's (and 1 on the batch axis)", (int)d, (long long)sdims[d],
                             (long long)x->dims[d]);
    }
    /* libdeep's sample axis j is ONNX axis onnx_axis[j]: the same order, or (H, W, C) from
     * (C, H, W). */
    int32_t n = r - 1, onnx_axis[DEEP_ONNX_MAX_RANK];
    bool nhwc = x->layout == ONNX_NHWC;
    for (int32_t j = 0; j < n; j++)
        onnx_axis[j] = nhwc ? (j == n - 1 ? 1 : j + 2) : j + 1;
    int64_t shared[DEEP_MAX_SAMPLE_RANK], shape[DEEP_MAX_RANK];
    int32_t count = 0;
    for (int32_t j = 0; j < n; j++) {
        shape[j] = sdims[onnx_axis[j]];
        if (shape[j] == 1)
            shared[count++] = j + 1;
    }
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    DEEP_TRY(onnx_added(im, deep_model_add_prelu(im->model, count, shared), node->output[0], x));
    /* alpha in libdeep's row-major order: each entry's ONNX index from its coordinates. */
    int64_t size = a->count, sstride[DEEP_ONNX_MAX_RANK];
    sstride[r - 1] = 1;
    for (int32_t d = r - 2; d >= 0; d--)
        sstride[d] = sstride[d + 1] * sdims[d + 1];
    float *alpha = deep_alloc(size, sizeof *alpha);
    if (alpha == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory for the slope");
    for (int64_t i = 0; i < size; i++) {
        int64_t rest = i, from = 0;
        for (int32_t j = n - 1; j >= 0; j--) {
            from += (rest % shape[j]) * sstride[onnx_axis[j]];
            rest /= shape[j];
        }
        alpha[i] = (float)deep_onnx_array_float(a, from);
    }
    deep_status s = onnx_set_weight(im, 0, n, shape, alpha);
    free(alpha);
    return s;
}

/* ------------------------------------------------------------ written-out patterns */

/* The written-out forms' nodes follow one another, Constants and other branches' nodes
 * between them at most this many apart: the searches stop there, so that a hostile file of
 * many near-matches costs little. */
#define PATTERN_GAP 16

#define GELU_MAX_NODES 16

/* An element-wise region over one value x: each node's operands are x, a scalar constant
 * or an earlier node of the region. */
typedef struct gelu_region {
    int64_t node[GELU_MAX_NODES];
    char op[GELU_MAX_NODES];         /* '*', '+', '-', '/', 't' (Tanh), '^' (Pow) */
    int8_t kind[GELU_MAX_NODES][2];  /* operand: 0 x, 1 constant, 2 region node */
    double value[GELU_MAX_NODES][2]; /* a constant's value */
    int32_t from[GELU_MAX_NODES][2]; /* a region node's index */
    int32_t count;
} gelu_region;

static char region_op(const char *op)
{
    static const struct {
        const char *name;
        char op;
    } ops[] = {{"Mul", '*'}, {"Add", '+'}, {"Sub", '-'}, {"Div", '/'}, {"Tanh", 't'}, {"Pow", '^'}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i].name) == 0)
            return ops[i].op;
    return 0;
}

/* Adds node k to the region if it is element-wise on x, scalar constants and the region
 * (at least one operand from the region); false otherwise. */
static bool region_take(onnx_import *im, gelu_region *r, const char *x, int64_t k)
{
    const Onnx__NodeProto *n = im->graph->node[k];
    if (r->count == GELU_MAX_NODES || im->done[k] || n->op_type == NULL || n->n_output < 1 ||
        n->output[0][0] == '\0' || (n->domain != NULL && n->domain[0] != '\0'))
        return false;
    char op = region_op(n->op_type);
    size_t arity = op == 't' ? 1 : 2;
    if (op == 0 || n->n_input != arity)
        return false;
    int32_t at = r->count;
    bool linked = false;
    for (size_t i = 0; i < arity; i++) {
        const char *name = n->input[i];
        int32_t j = -1;
        for (int32_t q = 0; q < at; q++)
            if (strcmp(im->graph->node[r->node[q]]->output[0], name) == 0)
                j = q;
        const onnx_value *v = j < 0 ? onnx_find(im, name) : NULL;
        if (j >= 0) {
            r->kind[at][i] = 2, r->from[at][i] = j, linked = true;
        } else if (strcmp(name, x) == 0) {
            r->kind[at][i] = 0;
        } else if (v != NULL && v->is_const && v->array.count == 1) {
            r->kind[at][i] = 1, r->value[at][i] = deep_onnx_array_float(&v->array, 0);
        } else {
            return false;
        }
    }
    if (!linked && at > 0)
        return false;
    r->node[at] = k;
    r->op[at] = op;
    r->count++;
    return true;
}

static double region_eval(const gelu_region *r, double x)
{
    double v[GELU_MAX_NODES];
    for (int32_t q = 0; q < r->count; q++) {
        double a[2] = {0, 0};
        for (int i = 0; i < (r->op[q] == 't' ? 1 : 2); i++)
            a[i] = r->kind[q][i] == 0 ? x : r->kind[q][i] == 1 ? r->value[q][i] : v[r->from[q][i]];
        switch (r->op[q]) {
        case '*': v[q] = a[0] * a[1]; break;
        case '+': v[q] = a[0] + a[1]; break;
        case '-': v[q] = a[0] - a[1]; break;
        case '/': v[q] = a[0] / a[1]; break;
        case 't': v[q] = tanh(a[0]); break;
        default: v[q] = pow(a[0], a[1]); break;
        }
    }
    return v[r->count - 1];
}

/* Only the last node's output leaves the region: every other is read inside it alone. */
static bool region_closed(onnx_import *im, const gelu_region *r)
{
    for (int32_t q = 0; q + 1 < r->count; q++) {
        const char *out = im->graph->node[r->node[q]]->output[0];
        int64_t inside = 0;
        for (int32_t p = q + 1; p < r->count; p++) {
            const Onnx__NodeProto *n = im->graph->node[r->node[p]];
            for (size_t i = 0; i < n->n_input; i++)
                inside += strcmp(n->input[i], out) == 0;
        }
        if (onnx_use_count(im, out) != inside)
            return false;
    }
    return true;
}

static bool region_is_gelu_tanh(const gelu_region *r)
{
    static const double points[] = {-4.0, -2.2, -1.0, -0.3, 0.1, 0.7, 1.6, 3.5};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        double t = points[i];
        double want = 0.5 * t * (1 + tanh(0.79788456080286536 * (t + 0.044715 * t * t * t)));
        double got = region_eval(r, t);
        if (!(fabs(got - want) <= 1e-6 * (1 + fabs(want))))
            return false;
    }
    return true;
}

bool onnx_match_gelu_tanh(onnx_import *im, const Onnx__NodeProto *start, const char **output)
{
    if (start->n_input < 1)
        return false;
    const char *x = start->input[0];
    gelu_region r = {.count = 0};
    if (!region_take(im, &r, x, im->node_index))
        return false;
    int64_t last = im->node_index;
    for (int64_t k = last + 1; k < (int64_t)im->graph->n_node && k - last <= PATTERN_GAP && r.count < GELU_MAX_NODES;
         k++) {
        if (!region_take(im, &r, x, k))
            continue; /* another branch's node; the region's next one may follow */
        last = k;
        if (region_is_gelu_tanh(&r) && region_closed(im, &r)) {
            for (int32_t q = 1; q < r.count; q++)
                im->done[r.node[q]] = true;
            *output = im->graph->node[r.node[r.count - 1]]->output[0];
            return true;
        }
    }
    return false;
}

/* The first node of op `op` (default domain, not done yet) reading `name` among the
 * PATTERN_GAP after `from`, else -1. */
static int64_t reader_op(onnx_import *im, int64_t from, const char *name, const char *op)
{
    for (size_t k = (size_t)from + 1; k < im->graph->n_node && k - (size_t)from <= PATTERN_GAP; k++) {
        const Onnx__NodeProto *n = im->graph->node[k];
        if (im->done[k] || n->op_type == NULL || strcmp(n->op_type, op) != 0 || n->n_output < 1 ||
            (n->domain != NULL && n->domain[0] != '\0'))
            continue;
        for (size_t i = 0; i < n->n_input; i++)
            if (strcmp(n->input[i], name) == 0)
                return (int64_t)k;
    }
    return -1;
}

/* The constant that is the other input of a two-input node than `name`, or NULL. */
static const onnx_value *other_const(onnx_import *im, const Onnx__NodeProto *n, const char *name)
{
    if (n->n_input != 2)
        return NULL;
    const onnx_value *v = onnx_find(im, strcmp(n->input[0], name) == 0 ? n->input[1] : n->input[0]);
    return v != NULL && v->is_const ? v : NULL;
}

/* A ReduceMean of the last axis, keeping it (opsets before 18: axes as an attribute). */
static bool mean_of_last_axis(const Onnx__NodeProto *n, int32_t rank)
{
    const Onnx__AttributeProto *keep = onnx_attr(n, "keepdims");
    const Onnx__AttributeProto *axes = onnx_attr(n, "axes");
    if (n->n_input != 1 || (keep != NULL && (!keep->has_i || keep->i != 1)) || axes == NULL || axes->n_ints != 1)
        return false;
    return axes->ints[0] == -1 || axes->ints[0] == rank - 1;
}

/* LayerNormalization as PyTorch writes it before opset 17 (and libdeep's export below 17):
 * m = ReduceMean(x), d = Sub(x, m), p = Pow(d, 2) or Mul(d, d), v = ReduceMean(p),
 * s = Sqrt(Add(v, epsilon)), n = Div(d, s), then optionally Mul by gamma and Add of beta
 * (constant vectors of the last axis' width), over the last axis. */
deep_status onnx_op_reduce_mean(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    const Onnx__NodeProto *const *g = (const Onnx__NodeProto *const *)im->graph->node;
    int64_t at = im->node_index, sub = -1, sq = -1, var = -1, add = -1, root = -1, div = -1;
    bool ok = x->layout == ONNX_PLAIN && mean_of_last_axis(node, x->rank);
    const char *m = node->output[0];
    if (ok && (sub = reader_op(im, at, m, "Sub")) >= 0)
        ok = g[sub]->n_input == 2 && strcmp(g[sub]->input[0], x->name) == 0 && strcmp(g[sub]->input[1], m) == 0;
    ok = ok && sub >= 0;
    const char *d = ok ? g[sub]->output[0] : NULL;
    bool pow = false;
    if (ok) {
        sq = reader_op(im, sub, d, "Pow");
        if (sq >= 0) {
            const onnx_value *two = other_const(im, g[sq], d);
            ok = g[sq]->n_input == 2 && strcmp(g[sq]->input[0], d) == 0 && two != NULL && two->array.count == 1 &&
                 deep_onnx_array_float(&two->array, 0) == 2.0;
            pow = true;
        } else {
            sq = reader_op(im, sub, d, "Mul");
            ok = sq >= 0 && g[sq]->n_input == 2 && strcmp(g[sq]->input[0], d) == 0 && strcmp(g[sq]->input[1], d) == 0;
        }
    }
    ok = ok && (var = reader_op(im, sq, g[sq]->output[0], "ReduceMean")) >= 0 &&
         mean_of_last_axis(g[var], x->rank);
    ok = ok && (add = reader_op(im, var, g[var]->output[0], "Add")) >= 0;
    const onnx_value *eps = ok ? other_const(im, g[add], g[var]->output[0]) : NULL;
    ok = ok && eps != NULL && eps->array.count == 1 && deep_onnx_array_float(&eps->array, 0) > 0;
    ok = ok && (root = reader_op(im, add, g[add]->output[0], "Sqrt")) >= 0 && g[root]->n_input == 1;
    ok = ok && (div = reader_op(im, root, d, "Div")) >= 0 && g[div]->n_input == 2 &&
         strcmp(g[div]->input[0], d) == 0 && strcmp(g[div]->input[1], g[root]->output[0]) == 0;
    /* The intermediate values must feed nothing else. */
    ok = ok && onnx_use_count(im, m) == 1 && onnx_use_count(im, d) == (pow ? 2 : 3) &&
         onnx_use_count(im, g[sq]->output[0]) == 1 && onnx_use_count(im, g[var]->output[0]) == 1 &&
         onnx_use_count(im, g[add]->output[0]) == 1 && onnx_use_count(im, g[root]->output[0]) == 1;
    if (!ok)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "ReduceMean is supported only as the start of LayerNormalization "
                         "written out over the last axis (ReduceMean, Sub, Pow or Mul, ReduceMean, Add, Sqrt, Div)");
    int64_t width = x->dims[x->rank - 1], scale = -1, shift = -1;
    const char *out = g[div]->output[0];
    const onnx_value *gamma = NULL, *beta = NULL;
    int64_t k = onnx_use_count(im, out) == 1 ? reader_op(im, div, out, "Mul") : -1;
    if (k >= 0 && (gamma = other_const(im, g[k], out)) != NULL && gamma->array.count == width) {
        scale = k;
        out = g[k]->output[0];
    } else {
        gamma = NULL;
    }
    k = onnx_use_count(im, out) == 1 ? reader_op(im, scale >= 0 ? scale : div, out, "Add") : -1;
    if (k >= 0 && (beta = other_const(im, g[k], out)) != NULL && beta->array.count == width) {
        shift = k;
        out = g[k]->output[0];
    } else {
        beta = NULL;
    }
    im->done[sub] = im->done[sq] = im->done[var] = im->done[add] = im->done[root] = im->done[div] = true;
    if (scale >= 0)
        im->done[scale] = true;
    if (shift >= 0)
        im->done[shift] = true;
    double epsilon = deep_onnx_array_float(&eps->array, 0);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    DEEP_TRY(onnx_added(im, deep_model_add_layer_normalization(im->model, epsilon, beta != NULL, gamma != NULL), out,
                        x));
    float *gv = gamma != NULL ? onnx_floats(im, &gamma->array) : NULL;
    float *bv = beta != NULL ? onnx_floats(im, &beta->array) : NULL;
    deep_status s = (gamma == NULL || gv != NULL) && (beta == NULL || bv != NULL) ? DEEP_OK : DEEP_ERR_NO_MEMORY;
    int32_t index = 0; /* Keras' order: gamma, then beta, each only when present */
    if (s == DEEP_OK && gv != NULL)
        s = onnx_set_weight(im, index++, 1, &width, gv);
    if (s == DEEP_OK && bv != NULL)
        s = onnx_set_weight(im, index, 1, &width, bv);
    free(gv);
    free(bv);
    return s;
}

#endif
