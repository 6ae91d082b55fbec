/* The ONNX exporter's builder (export.h): arena memory, nodes, attributes, initializers,
 * value infos and packing the ModelProto. Model-independent; the layer emitters and the
 * tree exporter build on it. */
#ifdef DEEP_HAVE_ONNX

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/export.h"

void ox_fail(onnx_ex *ex, deep_status status, const char *fmt, ...)
{
    if (ex->status != DEEP_OK)
        return;
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    ex->status = deep_error_set(status, ex->caller, "%s", message);
}

void *ox_alloc(onnx_ex *ex, size_t size)
{
    if (ex->status != DEEP_OK)
        return NULL;
    if (ex->block_count == ex->block_capacity) {
        int64_t capacity = ex->block_capacity > 0 ? 2 * ex->block_capacity : 256;
        void **blocks = realloc(ex->blocks, (size_t)capacity * sizeof *blocks);
        if (blocks == NULL) {
            ox_fail(ex, DEEP_ERR_NO_MEMORY, "out of memory");
            return NULL;
        }
        ex->blocks = blocks;
        ex->block_capacity = capacity;
    }
    void *p = calloc(1, size > 0 ? size : 1);
    if (p == NULL) {
        ox_fail(ex, DEEP_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    ex->blocks[ex->block_count++] = p;
    return p;
}

char *ox_strdup(onnx_ex *ex, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = ox_alloc(ex, n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

const char *ox_fresh(onnx_ex *ex, const char *hint)
{
    char name[160];
    snprintf(name, sizeof name, "%s_%lld", hint, (long long)ex->counter++);
    const char *p = ox_strdup(ex, name);
    return p != NULL ? p : "";
}

void ox_release(onnx_ex *ex)
{
    for (int64_t i = 0; i < ex->block_count; i++)
        free(ex->blocks[i]);
    free(ex->blocks);
    free(ex->nodes);
    free(ex->inits);
    ex->blocks = NULL;
    ex->nodes = NULL;
    ex->inits = NULL;
}

/* Appends p to a growing array of pointers. */
static bool push(onnx_ex *ex, void ***items, size_t *count, size_t *capacity, void *p)
{
    if (ex->status != DEEP_OK || p == NULL)
        return false;
    if (*count == *capacity) {
        size_t c = *capacity > 0 ? 2 * *capacity : 64;
        void **grown = realloc(*items, c * sizeof *grown);
        if (grown == NULL) {
            ox_fail(ex, DEEP_ERR_NO_MEMORY, "out of memory");
            return false;
        }
        *items = grown;
        *capacity = c;
    }
    (*items)[(*count)++] = p;
    return true;
}

Onnx__NodeProto *ox_node(onnx_ex *ex, const char *op_type, const char *out, int count, const char *const *inputs)
{
    Onnx__NodeProto *node = ox_alloc(ex, sizeof *node);
    char **in = ox_alloc(ex, (size_t)(count > 0 ? count : 1) * sizeof *in);
    char **outs = ox_alloc(ex, sizeof *outs);
    if (node == NULL || in == NULL || outs == NULL)
        return NULL;
    onnx__node_proto__init(node);
    for (int i = 0; i < count; i++)
        in[i] = ox_strdup(ex, inputs[i] != NULL ? inputs[i] : "");
    outs[0] = (char *)(out != NULL ? out : ox_fresh(ex, op_type));
    node->op_type = ox_strdup(ex, op_type);
    node->name = ox_strdup(ex, outs[0]);
    node->n_input = (size_t)count;
    node->input = in;
    node->n_output = 1;
    node->output = outs;
    if (!push(ex, (void ***)&ex->nodes, &ex->node_count, &ex->node_capacity, node))
        return NULL;
    return ex->status == DEEP_OK ? node : NULL;
}

Onnx__NodeProto *ox_op(onnx_ex *ex, const char *op_type, int count, ...)
{
    const char *inputs[8] = {0};
    va_list ap;
    va_start(ap, count);
    for (int i = 0; i < count && i < 8; i++)
        inputs[i] = va_arg(ap, const char *);
    va_end(ap);
    return ox_node(ex, op_type, NULL, count, inputs);
}

const char *ox_y(const Onnx__NodeProto *node)
{
    return node != NULL ? node->output[0] : "";
}

void ox_domain(onnx_ex *ex, Onnx__NodeProto *node, const char *domain)
{
    if (node != NULL)
        node->domain = ox_strdup(ex, domain);
}

void ox_add_output(onnx_ex *ex, Onnx__NodeProto *node, const char *name)
{
    if (node == NULL)
        return;
    char **outs = ox_alloc(ex, (node->n_output + 1) * sizeof *outs);
    if (outs == NULL)
        return;
    memcpy(outs, node->output, node->n_output * sizeof *outs);
    outs[node->n_output] = ox_strdup(ex, name);
    node->output = outs;
    node->n_output++;
}

static Onnx__AttributeProto *attribute(onnx_ex *ex, Onnx__NodeProto *node, const char *name,
                                       Onnx__AttributeProto__AttributeType type)
{
    if (node == NULL)
        return NULL;
    Onnx__AttributeProto *a = ox_alloc(ex, sizeof *a);
    Onnx__AttributeProto **list = ox_alloc(ex, (node->n_attribute + 1) * sizeof *list);
    if (a == NULL || list == NULL)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = ox_strdup(ex, name);
    a->has_type = 1;
    a->type = type;
    if (node->n_attribute > 0)
        memcpy(list, node->attribute, node->n_attribute * sizeof *list);
    list[node->n_attribute++] = a;
    node->attribute = list;
    return a;
}

void ox_attr_int(onnx_ex *ex, Onnx__NodeProto *node, const char *name, int64_t value)
{
    Onnx__AttributeProto *a = attribute(ex, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a != NULL)
        a->has_i = 1, a->i = value;
}

void ox_attr_float(onnx_ex *ex, Onnx__NodeProto *node, const char *name, float value)
{
    Onnx__AttributeProto *a = attribute(ex, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a != NULL)
        a->has_f = 1, a->f = value;
}

void ox_attr_string(onnx_ex *ex, Onnx__NodeProto *node, const char *name, const char *value)
{
    Onnx__AttributeProto *a = attribute(ex, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    char *s = ox_strdup(ex, value);
    if (a != NULL && s != NULL)
        a->has_s = 1, a->s = (ProtobufCBinaryData){strlen(s), (uint8_t *)s};
}

void ox_attr_ints(onnx_ex *ex, Onnx__NodeProto *node, const char *name, size_t count, const int64_t *values)
{
    Onnx__AttributeProto *a = attribute(ex, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *v = ox_alloc(ex, count * sizeof *v);
    if (a != NULL && v != NULL) {
        memcpy(v, values, count * sizeof *v);
        a->n_ints = count, a->ints = v;
    }
}

void ox_attr_floats(onnx_ex *ex, Onnx__NodeProto *node, const char *name, size_t count, const float *values)
{
    Onnx__AttributeProto *a = attribute(ex, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    float *v = ox_alloc(ex, count * sizeof *v);
    if (a != NULL && v != NULL) {
        memcpy(v, values, count * sizeof *v);
        a->n_floats = count, a->floats = v;
    }
}

void ox_attr_strings(onnx_ex *ex, Onnx__NodeProto *node, const char *name, size_t count, const char *const *values)
{
    Onnx__AttributeProto *a = attribute(ex, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    ProtobufCBinaryData *v = ox_alloc(ex, count * sizeof *v);
    if (a == NULL || v == NULL)
        return;
    for (size_t i = 0; i < count; i++) {
        char *s = ox_strdup(ex, values[i]);
        v[i] = (ProtobufCBinaryData){s != NULL ? strlen(s) : 0, (uint8_t *)s};
    }
    a->n_strings = count, a->strings = v;
}

static Onnx__TensorProto *find_init(onnx_ex *ex, const char *name)
{
    for (size_t i = 0; i < ex->init_count; i++)
        if (strcmp(ex->inits[i]->name, name) == 0)
            return ex->inits[i];
    return NULL;
}

static Onnx__TensorProto *new_init(onnx_ex *ex, const char *name, int32_t type, int32_t rank, const int64_t *dims,
                                   int64_t *count)
{
    Onnx__TensorProto *t = ox_alloc(ex, sizeof *t);
    int64_t *d = ox_alloc(ex, (size_t)(rank > 0 ? rank : 1) * sizeof *d);
    if (t == NULL || d == NULL)
        return NULL;
    onnx__tensor_proto__init(t);
    *count = 1;
    for (int32_t i = 0; i < rank; i++)
        d[i] = dims[i], *count *= dims[i];
    t->name = ox_strdup(ex, name);
    t->n_dims = (size_t)rank;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = type;
    if (!push(ex, (void ***)&ex->inits, &ex->init_count, &ex->init_capacity, t))
        return NULL;
    return t;
}

const char *ox_init_float(onnx_ex *ex, const char *name, int32_t rank, const int64_t *dims, const float *data)
{
    if (ex->status != DEEP_OK)
        return "";
    if (find_init(ex, name) != NULL)
        return find_init(ex, name)->name;
    int64_t count;
    Onnx__TensorProto *t = new_init(ex, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims, &count);
    float *v = ox_alloc(ex, (size_t)count * sizeof *v);
    if (t == NULL || v == NULL)
        return "";
    if (data != NULL)
        memcpy(v, data, (size_t)count * sizeof *v);
    t->n_float_data = (size_t)count, t->float_data = v;
    return t->name;
}

const char *ox_init_int64(onnx_ex *ex, const char *name, int32_t rank, const int64_t *dims, const int64_t *data)
{
    if (ex->status != DEEP_OK)
        return "";
    if (find_init(ex, name) != NULL)
        return find_init(ex, name)->name;
    int64_t count;
    Onnx__TensorProto *t = new_init(ex, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, rank, dims, &count);
    int64_t *v = ox_alloc(ex, (size_t)count * sizeof *v);
    if (t == NULL || v == NULL)
        return "";
    memcpy(v, data, (size_t)count * sizeof *v);
    t->n_int64_data = (size_t)count, t->int64_data = v;
    return t->name;
}

const char *ox_ints(onnx_ex *ex, size_t count, const int64_t *values)
{
    int64_t n = (int64_t)count;
    return ox_init_int64(ex, ox_fresh(ex, "const"), 1, &n, values);
}

const char *ox_scalar(onnx_ex *ex, float value)
{
    return ox_init_float(ex, ox_fresh(ex, "scalar"), 0, NULL, &value);
}

const char *ox_init_permuted(onnx_ex *ex, const char *name, const deep_param *param, const int32_t *perm,
                             int32_t rank, const int64_t *dims)
{
    if (ex->status != DEEP_OK)
        return "";
    if (find_init(ex, name) != NULL)
        return find_init(ex, name)->name;
    int32_t r = param->rank;
    int64_t shape[DEEP_MAX_RANK], stride[DEEP_MAX_RANK], out_stride[DEEP_MAX_RANK];
    for (int32_t i = 0; i < r; i++)
        shape[i] = param->shape[perm[i]];
    stride[r - 1] = 1, out_stride[r - 1] = 1;
    for (int32_t i = r - 2; i >= 0; i--) {
        stride[i] = stride[i + 1] * param->shape[i + 1];
        out_stride[i] = out_stride[i + 1] * shape[i + 1];
    }
    int64_t count;
    Onnx__TensorProto *t = dims != NULL ? new_init(ex, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims, &count)
                                        : new_init(ex, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, r, shape, &count);
    float *v = ox_alloc(ex, (size_t)param->size * sizeof *v);
    if (t == NULL || v == NULL)
        return "";
    if (count != param->size) {
        ox_fail(ex, DEEP_ERR_SHAPE, "internal: weight '%s' reshaped to another size", name);
        return "";
    }
    /* Walk the output in order, finding each element's place in the parameter. */
    for (int64_t o = 0; o < param->size; o++) {
        int64_t rest = o, src = 0;
        for (int32_t i = 0; i < r; i++) {
            int64_t index = rest / out_stride[i];
            rest %= out_stride[i];
            src += index * stride[perm[i]];
        }
        v[o] = param->value[src];
    }
    t->n_float_data = (size_t)param->size, t->float_data = v;
    return t->name;
}

const char *ox_transpose(onnx_ex *ex, const char *x, int32_t rank, const int64_t *perm)
{
    Onnx__NodeProto *n = ox_op(ex, "Transpose", 1, x);
    ox_attr_ints(ex, n, "perm", (size_t)rank, perm);
    return ox_y(n);
}

Onnx__ValueInfoProto *ox_value_info(onnx_ex *ex, const char *name, int32_t elem_type, int32_t rank,
                                    const int64_t *dims)
{
    Onnx__ValueInfoProto *v = ox_alloc(ex, sizeof *v);
    Onnx__TypeProto *type = ox_alloc(ex, sizeof *type);
    Onnx__TypeProto__Tensor *tensor = ox_alloc(ex, sizeof *tensor);
    Onnx__TensorShapeProto *shape = ox_alloc(ex, sizeof *shape);
    Onnx__TensorShapeProto__Dimension **dim = ox_alloc(ex, (size_t)(rank > 0 ? rank : 1) * sizeof *dim);
    if (v == NULL || type == NULL || tensor == NULL || shape == NULL || dim == NULL)
        return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(type);
    onnx__type_proto__tensor__init(tensor);
    onnx__tensor_shape_proto__init(shape);
    for (int32_t i = 0; i < rank; i++) {
        dim[i] = ox_alloc(ex, sizeof *dim[i]);
        if (dim[i] == NULL)
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dim[i]);
        if (dims[i] < 0) {
            dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim[i]->dim_param = ox_strdup(ex, "N");
        } else {
            dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim[i]->dim_value = dims[i];
        }
    }
    shape->n_dim = (size_t)rank, shape->dim = dim;
    tensor->has_elem_type = 1, tensor->elem_type = elem_type, tensor->shape = shape;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, type->tensor_type = tensor;
    v->name = ox_strdup(ex, name);
    v->type = type;
    return v;
}

deep_status ox_pack(onnx_ex *ex, Onnx__ValueInfoProto **inputs, size_t input_count, Onnx__ValueInfoProto **outputs,
                    size_t output_count, int32_t ml_opset, const char *graph_name, uint8_t **data, size_t *length)
{
    *data = NULL;
    *length = 0;
    Onnx__ModelProto *model = ox_alloc(ex, sizeof *model);
    Onnx__GraphProto *graph = ox_alloc(ex, sizeof *graph);
    Onnx__OperatorSetIdProto *sets[2] = {ox_alloc(ex, sizeof *sets[0]), ox_alloc(ex, sizeof *sets[1])};
    if (ex->status != DEEP_OK)
        return ex->status;
    onnx__model_proto__init(model);
    onnx__graph_proto__init(graph);
    for (int i = 0; i < 2; i++)
        onnx__operator_set_id_proto__init(sets[i]);
    sets[0]->domain = ox_strdup(ex, "");
    sets[0]->has_version = 1, sets[0]->version = ex->opset;
    sets[1]->domain = ox_strdup(ex, "ai.onnx.ml");
    sets[1]->has_version = 1, sets[1]->version = ml_opset;
    graph->name = ox_strdup(ex, graph_name);
    graph->n_node = ex->node_count, graph->node = ex->nodes;
    graph->n_initializer = ex->init_count, graph->initializer = ex->inits;
    graph->n_input = input_count, graph->input = inputs;
    graph->n_output = output_count, graph->output = outputs;
    /* IR version 7 came with opset 13, 8 with opsets 14 to 17. */
    model->has_ir_version = 1;
    model->ir_version = ex->opset >= 14 ? 8 : 7;
    model->n_opset_import = ml_opset > 0 ? 2 : 1;
    model->opset_import = sets;
    model->producer_name = ox_strdup(ex, "libdeep");
    model->producer_version = ox_strdup(ex, deep_version_string());
    model->graph = graph;
    if (ex->status != DEEP_OK)
        return ex->status;
    size_t size = onnx__model_proto__get_packed_size(model);
    /* Protocol buffers are limited to 2 GiB, and readers refuse larger ones; the exporter
     * does not write weights as external data. */
    if (size > (size_t)INT32_MAX)
        return deep_error_set(DEEP_ERR_OVERFLOW, ex->caller,
                              "the ONNX model takes %zu bytes, beyond the 2 GiB a protocol buffer may hold (weights "
                              "as external data are not written)",
                              size);
    uint8_t *bytes = malloc(size > 0 ? size : 1);
    if (bytes == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, ex->caller, "out of memory for %zu bytes of ONNX", size);
    *length = onnx__model_proto__pack(model, bytes);
    *data = bytes;
    return DEEP_OK;
}

#endif
