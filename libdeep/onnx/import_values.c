/* The importer's value table (ONNX names to constants or graph nodes), attribute reading,
 * and the folding of nodes whose inputs are all constants: the Shape, Gather, Unsqueeze,
 * Concat and Cast chains that dynamic-shape exports compute a Reshape's target with. */
#ifdef DEEP_HAVE_ONNX

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/import.h"

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211u;
    return h;
}

deep_status onnx_values_init(onnx_import *im, int64_t capacity)
{
    im->value_capacity = capacity > 0 ? capacity : 1;
    im->slot_count = 2 * im->value_capacity + 1;
    im->values = deep_alloc_zero(im->value_capacity, sizeof *im->values);
    im->slots = deep_alloc(im->slot_count, sizeof *im->slots);
    if (im->values == NULL || im->slots == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, im->caller, "out of memory for %lld values",
                              (long long)capacity);
    for (int64_t k = 0; k < im->slot_count; k++)
        im->slots[k] = -1;
    return DEEP_OK;
}

void onnx_values_free(onnx_import *im)
{
    for (int64_t k = 0; k < im->value_count; k++) {
        deep_onnx_array_free(&im->values[k].array);
        free(im->values[k].owned_name);
    }
    free(im->values);
    free(im->slots);
    free(im->uses);
    im->values = NULL;
    im->slots = NULL;
    im->uses = NULL;
}

static int64_t *find_slot(onnx_import *im, const char *name)
{
    uint64_t k = hash_name(name) % (uint64_t)im->slot_count;
    while (im->slots[k] >= 0 && strcmp(im->values[im->slots[k]].name, name) != 0)
        k = (k + 1) % (uint64_t)im->slot_count;
    return &im->slots[k];
}

onnx_value *onnx_find(onnx_import *im, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return NULL;
    int64_t *slot = find_slot(im, name);
    return *slot >= 0 ? &im->values[*slot] : NULL;
}

static deep_status bind(onnx_import *im, const char *name, onnx_value **out)
{
    if (name == NULL || name[0] == '\0')
        return onnx_fail(im, DEEP_ERR_FORMAT, "an output has an empty name");
    int64_t *slot = find_slot(im, name);
    if (*slot >= 0)
        return onnx_fail(im, DEEP_ERR_FORMAT, "value \"%.64s\" is defined twice", name);
    if (im->value_count >= im->value_capacity)
        return onnx_fail(im, DEEP_ERR_FORMAT, "more values than the graph declares");
    *slot = im->value_count;
    onnx_value *v = &im->values[im->value_count++];
    memset(v, 0, sizeof *v);
    v->name = name;
    *out = v;
    return DEEP_OK;
}

deep_status onnx_bind_const(onnx_import *im, const char *name, deep_onnx_array *array)
{
    onnx_value *v = NULL;
    deep_status s = bind(im, name, &v);
    if (s != DEEP_OK) {
        deep_onnx_array_free(array);
        return s;
    }
    v->is_const = true;
    v->array = *array; /* the table owns it now */
    memset(array, 0, sizeof *array);
    return DEEP_OK;
}

deep_status onnx_bind_graph(onnx_import *im, const char *name, const onnx_value *like)
{
    onnx_value copy = *like; /* like may live in the table, which bind does not move */
    onnx_value *v = NULL;
    DEEP_TRY(bind(im, name, &v));
    const char *kept = v->name;
    *v = copy;
    v->name = kept;
    v->owned_name = NULL;
    v->is_const = false;
    memset(&v->array, 0, sizeof v->array);
    return DEEP_OK;
}

static struct onnx_use *use_slot(onnx_import *im, const char *name)
{
    uint64_t k = hash_name(name) % (uint64_t)im->use_slots;
    while (im->uses[k].name != NULL && strcmp(im->uses[k].name, name) != 0)
        k = (k + 1) % (uint64_t)im->use_slots;
    return &im->uses[k];
}

static void add_use(onnx_import *im, const char *name, int64_t consumer)
{
    if (name == NULL || name[0] == '\0')
        return;
    struct onnx_use *u = use_slot(im, name);
    u->name = name;
    u->count++;
    u->consumer = consumer;
}

deep_status onnx_uses_init(onnx_import *im)
{
    const Onnx__GraphProto *g = im->graph;
    int64_t names = (int64_t)g->n_output;
    for (size_t n = 0; n < g->n_node; n++)
        names += (int64_t)g->node[n]->n_input; /* bounded by the file's size */
    im->use_slots = 2 * names + 1;
    im->uses = deep_alloc_zero(im->use_slots, sizeof *im->uses);
    if (im->uses == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, im->caller, "out of memory for %lld names", (long long)names);
    for (size_t n = 0; n < g->n_node; n++)
        for (size_t k = 0; k < g->node[n]->n_input; k++)
            add_use(im, g->node[n]->input[k], (int64_t)n);
    for (size_t k = 0; k < g->n_output; k++)
        add_use(im, g->output[k]->name, -1);
    return DEEP_OK;
}

int64_t onnx_sole_consumer(onnx_import *im, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return -1;
    const struct onnx_use *u = use_slot(im, name);
    return u->name != NULL && u->count == 1 ? u->consumer : -1;
}

int64_t onnx_use_count(onnx_import *im, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return 0;
    const struct onnx_use *u = use_slot(im, name);
    return u->name != NULL ? u->count : 0;
}

deep_status onnx_input(onnx_import *im, const Onnx__NodeProto *node, size_t k, bool optional, onnx_value **out)
{
    *out = NULL;
    if (k >= node->n_input || node->input[k][0] == '\0') {
        if (optional)
            return DEEP_OK;
        return onnx_fail(im, DEEP_ERR_FORMAT, "input %zu is missing", k);
    }
    *out = onnx_find(im, node->input[k]);
    if (*out == NULL)
        return onnx_fail(im, DEEP_ERR_FORMAT, "input %zu \"%.64s\" is not defined before the node", k,
                         node->input[k]);
    return DEEP_OK;
}

deep_status onnx_input_const(onnx_import *im, const Onnx__NodeProto *node, size_t k, bool optional,
                             onnx_value **out)
{
    DEEP_TRY(onnx_input(im, node, k, optional, out));
    if (*out != NULL && !(*out)->is_const)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "input %zu \"%.64s\" must be a constant (an initializer or "
                         "a value folded at import)", k, node->input[k]);
    return DEEP_OK;
}

deep_status onnx_input_graph(onnx_import *im, const Onnx__NodeProto *node, size_t k, onnx_value **out)
{
    DEEP_TRY(onnx_input(im, node, k, false, out));
    if ((*out)->is_const)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "input %zu \"%.64s\" is a constant where the model's data is "
                         "expected", k, node->input[k]);
    return DEEP_OK;
}

const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *node, const char *name)
{
    for (size_t k = 0; k < node->n_attribute; k++)
        if (node->attribute[k]->name != NULL && strcmp(node->attribute[k]->name, name) == 0)
            return node->attribute[k];
    return NULL;
}

deep_status onnx_attr_int(onnx_import *im, const Onnx__NodeProto *node, const char *name, int64_t fallback,
                          int64_t *out)
{
    const Onnx__AttributeProto *a = onnx_attr(node, name);
    *out = fallback;
    if (a == NULL)
        return DEEP_OK;
    if (!a->has_i)
        return onnx_fail(im, DEEP_ERR_FORMAT, "attribute %s is not an integer", name);
    *out = a->i;
    return DEEP_OK;
}

deep_status onnx_attr_float(onnx_import *im, const Onnx__NodeProto *node, const char *name, double fallback,
                            double *out)
{
    const Onnx__AttributeProto *a = onnx_attr(node, name);
    *out = fallback;
    if (a == NULL)
        return DEEP_OK;
    if (!a->has_f || !isfinite(a->f))
        return onnx_fail(im, DEEP_ERR_FORMAT, "attribute %s is not a finite float", name);
    *out = a->f;
    return DEEP_OK;
}

deep_status onnx_attr_ints(onnx_import *im, const Onnx__NodeProto *node, const char *name, int64_t count,
                           int64_t *out, int64_t *got, bool *present)
{
    const Onnx__AttributeProto *a = onnx_attr(node, name);
    *present = a != NULL;
    if (got != NULL)
        *got = 0;
    if (a == NULL)
        return DEEP_OK;
    int64_t limit = count >= 0 ? count : 2 * DEEP_ONNX_MAX_RANK;
    if ((count >= 0 && (int64_t)a->n_ints != count) || (int64_t)a->n_ints > limit)
        return onnx_fail(im, count >= 0 ? DEEP_ERR_UNSUPPORTED : DEEP_ERR_FORMAT,
                         "attribute %s has %zu values; %lld are supported", name, a->n_ints, (long long)limit);
    for (size_t k = 0; k < a->n_ints; k++)
        out[k] = a->ints[k];
    if (got != NULL)
        *got = (int64_t)a->n_ints;
    return DEEP_OK;
}

deep_status onnx_attr_string(onnx_import *im, const Onnx__NodeProto *node, const char *name, const char *fallback,
                             char *out, size_t capacity)
{
    const Onnx__AttributeProto *a = onnx_attr(node, name);
    if (a == NULL) {
        snprintf(out, capacity, "%s", fallback);
        return DEEP_OK;
    }
    if (!a->has_s || a->s.len >= capacity || memchr(a->s.data, '\0', a->s.len) != NULL)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "attribute %s is not a short string", name);
    memcpy(out, a->s.data, a->s.len);
    out[a->s.len] = '\0';
    return DEEP_OK;
}

/* Folding. */

static deep_status fold_constant(onnx_import *im, const Onnx__NodeProto *node, deep_onnx_array *out)
{
    const Onnx__AttributeProto *a = node->n_attribute == 1 ? node->attribute[0] : NULL;
    if (a == NULL || a->name == NULL)
        return onnx_fail(im, DEEP_ERR_FORMAT, "a Constant needs exactly one attribute");
    if (strcmp(a->name, "value") == 0 && a->t != NULL) {
        deep_status s = deep_onnx_array_read(im->caller, "the value", a->t, out);
        return s == DEEP_OK ? s : onnx_wrap(im, s, "its value");
    }
    int64_t n = 0;
    if (strcmp(a->name, "value_float") == 0 && a->has_f) {
        DEEP_TRY(deep_onnx_array_new(im->caller, 0, NULL, true, out));
        out->f[0] = a->f;
    } else if (strcmp(a->name, "value_int") == 0 && a->has_i) {
        DEEP_TRY(deep_onnx_array_new(im->caller, 0, NULL, false, out));
        out->i[0] = a->i;
    } else if (strcmp(a->name, "value_floats") == 0) {
        n = (int64_t)a->n_floats;
        DEEP_TRY(deep_onnx_array_new(im->caller, 1, &n, true, out));
        memcpy(out->f, a->floats, a->n_floats * sizeof(float));
    } else if (strcmp(a->name, "value_ints") == 0) {
        n = (int64_t)a->n_ints;
        DEEP_TRY(deep_onnx_array_new(im->caller, 1, &n, false, out));
        if (n > 0)
            memcpy(out->i, a->ints, a->n_ints * sizeof(int64_t));
    } else {
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a Constant given by attribute %.32s is not supported", a->name);
    }
    return DEEP_OK;
}

/* Normalises an axis of a rank-`rank` tensor. */
static deep_status axis_of(onnx_import *im, int64_t axis, int32_t rank, int64_t *out)
{
    if (axis < -(int64_t)rank || axis >= rank)
        return onnx_fail(im, DEEP_ERR_FORMAT, "axis %lld is outside a rank %d tensor", (long long)axis, (int)rank);
    *out = axis < 0 ? axis + rank : axis;
    return DEEP_OK;
}

/* The axes of Unsqueeze/Squeeze: attribute before opset 13, second input since. */
static deep_status axes_of(onnx_import *im, const Onnx__NodeProto *node, int64_t *axes, int64_t *count, bool *given)
{
    if (im->opset < 13)
        return onnx_attr_ints(im, node, "axes", -1, axes, count, given);
    onnx_value *a = NULL;
    DEEP_TRY(onnx_input_const(im, node, 1, true, &a));
    *given = a != NULL;
    *count = 0;
    if (a == NULL)
        return DEEP_OK;
    if (a->array.count > DEEP_ONNX_MAX_RANK)
        return onnx_fail(im, DEEP_ERR_FORMAT, "%lld axes", (long long)a->array.count);
    for (int64_t k = 0; k < a->array.count; k++)
        axes[k] = deep_onnx_array_int(&a->array, k);
    *count = a->array.count;
    return DEEP_OK;
}

static deep_status fold_shape_op(onnx_import *im, const Onnx__NodeProto *node, const onnx_value *x,
                                 deep_onnx_array *out)
{
    const char *op = node->op_type;
    int32_t rank = x->is_const ? x->array.rank : x->rank;
    const int64_t *dims = x->is_const ? x->array.dims : x->dims;
    if (strcmp(op, "Shape") == 0) {
        int64_t n = rank;
        DEEP_TRY(deep_onnx_array_new(im->caller, 1, &n, false, out));
        for (int32_t k = 0; k < rank; k++)
            out->i[k] = dims[k];
        return DEEP_OK;
    }
    int64_t axes[2 * DEEP_ONNX_MAX_RANK], count = 0;
    bool given = false;
    int64_t nd[DEEP_ONNX_MAX_RANK];
    int32_t nr = 0;
    if (strcmp(op, "Unsqueeze") == 0) {
        DEEP_TRY(axes_of(im, node, axes, &count, &given));
        if (!given || rank + count > DEEP_ONNX_MAX_RANK)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Unsqueeze needs axes and a result of rank at most %d",
                             DEEP_ONNX_MAX_RANK);
        int32_t out_rank = rank + (int32_t)count;
        bool inserted[DEEP_ONNX_MAX_RANK] = {false};
        for (int64_t k = 0; k < count; k++) {
            int64_t a = 0;
            DEEP_TRY(axis_of(im, axes[k], out_rank, &a));
            if (inserted[a])
                return onnx_fail(im, DEEP_ERR_FORMAT, "axis %lld is repeated", (long long)axes[k]);
            inserted[a] = true;
        }
        for (int32_t k = 0, from = 0; k < out_rank; k++)
            nd[k] = inserted[k] ? 1 : dims[from++];
        nr = out_rank;
    } else { /* Squeeze */
        DEEP_TRY(axes_of(im, node, axes, &count, &given));
        bool drop[DEEP_ONNX_MAX_RANK] = {false};
        for (int64_t k = 0; k < count; k++) {
            int64_t a = 0;
            DEEP_TRY(axis_of(im, axes[k], rank, &a));
            if (dims[a] != 1)
                return onnx_fail(im, DEEP_ERR_FORMAT, "axis %lld has size %lld, not 1", (long long)axes[k],
                                 (long long)dims[a]);
            drop[a] = true;
        }
        for (int32_t k = 0; k < rank; k++)
            if (!(given ? drop[k] : dims[k] == 1))
                nd[nr++] = dims[k];
    }
    if (!x->is_const)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s of the model's data is not supported", op);
    DEEP_TRY(deep_onnx_array_new(im->caller, nr, nd, x->array.is_float, out));
    size_t bytes = x->array.is_float ? sizeof(float) : sizeof(int64_t);
    memcpy(out->is_float ? (void *)out->f : (void *)out->i, x->array.is_float ? (void *)x->array.f : (void *)x->array.i,
           (size_t)x->array.count * bytes);
    return DEEP_OK;
}

static deep_status fold_gather(onnx_import *im, const Onnx__NodeProto *node, const deep_onnx_array *data,
                               const deep_onnx_array *idx, deep_onnx_array *out)
{
    int64_t axis = 0;
    DEEP_TRY(onnx_attr_int(im, node, "axis", 0, &axis));
    if (data->rank < 1)
        return onnx_fail(im, DEEP_ERR_FORMAT, "Gather of a scalar");
    DEEP_TRY(axis_of(im, axis, data->rank, &axis));
    if (data->rank + idx->rank - 1 > DEEP_ONNX_MAX_RANK)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a Gather result above rank %d", DEEP_ONNX_MAX_RANK);
    int64_t nd[DEEP_ONNX_MAX_RANK];
    int32_t nr = 0;
    for (int32_t k = 0; k < axis; k++)
        nd[nr++] = data->dims[k];
    for (int32_t k = 0; k < idx->rank; k++)
        nd[nr++] = idx->dims[k];
    for (int32_t k = (int32_t)axis + 1; k < data->rank; k++)
        nd[nr++] = data->dims[k];
    DEEP_TRY(deep_onnx_array_new(im->caller, nr, nd, data->is_float, out));
    int64_t outer = 1, inner = 1, n = data->dims[axis];
    for (int32_t k = 0; k < axis; k++)
        outer *= data->dims[k];
    for (int32_t k = (int32_t)axis + 1; k < data->rank; k++)
        inner *= data->dims[k];
    int64_t w = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < idx->count; j++) {
            int64_t at = deep_onnx_array_int(idx, j);
            if (at < -n || at >= n) {
                deep_onnx_array_free(out);
                return onnx_fail(im, DEEP_ERR_FORMAT, "index %lld is outside an axis of %lld", (long long)at,
                                 (long long)n);
            }
            if (at < 0)
                at += n;
            for (int64_t i = 0; i < inner; i++, w++) {
                int64_t from = (o * n + at) * inner + i;
                if (out->is_float)
                    out->f[w] = data->f[from];
                else
                    out->i[w] = data->i[from];
            }
        }
    return DEEP_OK;
}

static deep_status fold_concat(onnx_import *im, const Onnx__NodeProto *node, deep_onnx_array *out)
{
    int64_t axis = 0;
    DEEP_TRY(onnx_attr_int(im, node, "axis", 0, &axis));
    onnx_value *first = NULL;
    DEEP_TRY(onnx_input_const(im, node, 0, false, &first));
    /* Shape chains concatenate 1-D int64 vectors; that is what is folded. */
    int64_t total = 0;
    bool is_float = false;
    for (size_t k = 0; k < node->n_input; k++) {
        onnx_value *v = NULL;
        DEEP_TRY(onnx_input_const(im, node, k, false, &v));
        if (v->array.rank != 1 || (axis != 0 && axis != -1))
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Concat of constants is folded for vectors only");
        is_float |= v->array.is_float;
        if (!deep_add_i64(total, v->array.count, &total) || total > DEEP_ONNX_MAX_ELEMENTS)
            return onnx_fail(im, DEEP_ERR_FORMAT, "Concat of too many values");
    }
    DEEP_TRY(deep_onnx_array_new(im->caller, 1, &total, is_float, out));
    int64_t w = 0;
    for (size_t k = 0; k < node->n_input; k++) {
        const deep_onnx_array *a = &onnx_find(im, node->input[k])->array;
        for (int64_t j = 0; j < a->count; j++, w++)
            if (is_float)
                out->f[w] = (float)deep_onnx_array_float(a, j);
            else
                out->i[w] = a->i[j];
    }
    return DEEP_OK;
}

/* Elementwise arithmetic of two constants with NumPy broadcasting of a scalar only. */
static deep_status fold_arith(onnx_import *im, const Onnx__NodeProto *node, const deep_onnx_array *a,
                              const deep_onnx_array *b, deep_onnx_array *out)
{
    if (a->count != b->count && a->count != 1 && b->count != 1)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "arithmetic of constants is folded for equal shapes or a scalar");
    const deep_onnx_array *big = a->count >= b->count ? a : b;
    bool is_float = a->is_float || b->is_float;
    DEEP_TRY(deep_onnx_array_new(im->caller, big->rank, big->dims, is_float, out));
    char op = node->op_type[0];
    for (int64_t k = 0; k < big->count; k++) {
        int64_t ia = a->count == 1 ? 0 : k, ib = b->count == 1 ? 0 : k;
        if (is_float) {
            double x = deep_onnx_array_float(a, ia), y = deep_onnx_array_float(b, ib);
            out->f[k] = (float)(op == 'A' ? x + y : op == 'S' ? x - y : op == 'M' ? x * y : x / y);
        } else {
            int64_t x = a->i[ia], y = b->i[ib];
            /* Wrapping arithmetic in unsigned, so that hostile values cannot overflow. */
            uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
            if (op == 'D' && (y == 0 || (x == INT64_MIN && y == -1))) {
                deep_onnx_array_free(out);
                return onnx_fail(im, DEEP_ERR_FORMAT, "integer division by %lld", (long long)y);
            }
            out->i[k] = op == 'A' ? (int64_t)(ux + uy) : op == 'S' ? (int64_t)(ux - uy)
                        : op == 'M' ? (int64_t)(ux * uy) : x / y;
        }
    }
    return DEEP_OK;
}

static deep_status fold_cast(onnx_import *im, const Onnx__NodeProto *node, const deep_onnx_array *a,
                             deep_onnx_array *out)
{
    int64_t to = 0;
    DEEP_TRY(onnx_attr_int(im, node, "to", 0, &to));
    bool is_float = to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || to == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    bool is_int = to == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || to == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    if (!is_float && !is_int)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Cast to data type %lld is not folded", (long long)to);
    DEEP_TRY(deep_onnx_array_new(im->caller, a->rank, a->dims, is_float, out));
    for (int64_t k = 0; k < a->count; k++)
        if (is_float)
            out->f[k] = (float)deep_onnx_array_float(a, k);
        else
            out->i[k] = deep_onnx_array_int(a, k);
    return DEEP_OK;
}

/* Whether graph value x is one of the model's inputs (not a layer's output). */
static bool graph_input(onnx_import *im, const onnx_value *x)
{
    int32_t layer = 0;
    return deep_model_node_layer(im->model, x->node, &layer) == DEEP_OK && layer == -1;
}

deep_status onnx_fold(onnx_import *im, const Onnx__NodeProto *node)
{
    const char *op = node->op_type;
    deep_onnx_array out = {0};
    deep_status s;
    onnx_value *x = NULL, *y = NULL;
    if (node->n_output < 1)
        return onnx_fail(im, DEEP_ERR_FORMAT, "the node has no output");
    if (strcmp(op, "Constant") == 0) {
        s = fold_constant(im, node, &out);
    } else {
        DEEP_TRY(onnx_input(im, node, 0, false, &x));
        if (strcmp(op, "Shape") == 0 || strcmp(op, "Unsqueeze") == 0 || strcmp(op, "Squeeze") == 0) {
            s = fold_shape_op(im, node, x, &out);
        } else if (!x->is_const && strcmp(op, "Cast") == 0 && graph_input(im, x)) {
            /* A graph input's ids (an embedding's) cast to integers: libdeep holds ids as the
             * whole-number floats they are, so the cast passes them through. */
            return onnx_bind_graph(im, node->output[0], x);
        } else if (!x->is_const) {
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s is folded only on constants (and Cast on a graph input)",
                             op);
        } else if (strcmp(op, "Gather") == 0) {
            DEEP_TRY(onnx_input_const(im, node, 1, false, &y));
            s = fold_gather(im, node, &x->array, &y->array, &out);
        } else if (strcmp(op, "Concat") == 0) {
            s = fold_concat(im, node, &out);
        } else if (strcmp(op, "Cast") == 0) {
            s = fold_cast(im, node, &x->array, &out);
        } else if (strcmp(op, "Expand") == 0 || strcmp(op, "ConstantOfShape") == 0) {
            s = onnx_fold_seq(im, node, &x->array, &out);
        } else if (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0) {
            s = deep_onnx_array_new(im->caller, x->array.rank, x->array.dims, x->array.is_float, &out);
            if (s == DEEP_OK)
                memcpy(out.is_float ? (void *)out.f : (void *)out.i,
                       x->array.is_float ? (void *)x->array.f : (void *)x->array.i,
                       (size_t)x->array.count * (x->array.is_float ? sizeof(float) : sizeof(int64_t)));
        } else { /* Add, Sub, Mul, Div */
            DEEP_TRY(onnx_input_const(im, node, 1, false, &y));
            s = fold_arith(im, node, &x->array, &y->array, &out);
        }
    }
    if (s != DEEP_OK) {
        deep_onnx_array_free(&out);
        return s;
    }
    return onnx_bind_const(im, node->output[0], &out);
}

#endif
