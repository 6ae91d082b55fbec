/* deep_model_load_onnx: reading an ONNX file with protobuf-c under a memory limit, checking
 * the model's opsets, inputs and outputs, translating the nodes in order through the
 * operator table, then compiling and setting the converted weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/file.h"

#ifndef DEEP_HAVE_ONNX

static deep_status unsupported(const char *caller, deep_model **out)
{
    if (out != NULL)
        *out = NULL;
    return deep_error_set(DEEP_ERR_UNSUPPORTED, caller, "this libdeep was built without ONNX (meson option onnx, "
                          "Debian's libprotobuf-c-dev, protobuf-c-compiler and libonnx-dev)");
}

deep_status deep_model_load_onnx(const char *path, deep_model **out)
{
    (void)path;
    return unsupported(__func__, out);
}

deep_status deep_model_load_onnx_buffer(const void *data, int64_t size, deep_model **out)
{
    (void)data, (void)size;
    return unsupported(__func__, out);
}

#else

#include <unistd.h>

#include "onnx/import.h"

/* protobuf-c's allocations, counted: a file may make the unpacker allocate at most this
 * many times its own size (repeated fields of small messages cost more than their bytes). */
#define ALLOCATION_FACTOR 16
#define ALLOCATION_SLACK (INT64_C(1) << 20)

typedef struct counted {
    int64_t used, limit;
    bool out_of_memory; /* malloc failed (not the limit): DEEP_ERR_NO_MEMORY, not a bad file */
} counted;

typedef union header {
    size_t size;
    max_align_t align;
} header;

static void *counted_alloc(void *data, size_t size)
{
    counted *c = data;
    if (size > (size_t)(c->limit - c->used) || size > SIZE_MAX - sizeof(header))
        return NULL;
    header *h = malloc(sizeof(header) + size);
    if (h == NULL) {
        c->out_of_memory = true;
        return NULL;
    }
    h->size = size;
    c->used += (int64_t)size;
    return h + 1;
}

static void counted_free(void *data, void *p)
{
    if (p == NULL)
        return;
    counted *c = data;
    header *h = (header *)p - 1;
    c->used -= (int64_t)h->size;
    free(h);
}

static deep_status check_opsets(onnx_import *im)
{
    const Onnx__ModelProto *m = im->proto;
    im->opset = -1;
    for (size_t k = 0; k < m->n_opset_import; k++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[k];
        if (o->domain == NULL || o->domain[0] == '\0' || strcmp(o->domain, "ai.onnx") == 0)
            im->opset = o->has_version ? o->version : 1;
    }
    if (im->opset < 0)
        return deep_error_set(DEEP_ERR_FORMAT, im->caller, "the model imports no opset of the default domain");
    if (im->opset < DEEP_ONNX_MIN_OPSET || im->opset > DEEP_ONNX_MAX_OPSET)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "the model's opset is %lld; opsets %d to %d are "
                              "supported", (long long)im->opset, DEEP_ONNX_MIN_OPSET, DEEP_ONNX_MAX_OPSET);
    if (m->n_functions > 0)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "the model defines %zu functions; model-local "
                              "functions are not supported", m->n_functions);
    return DEEP_OK;
}

/* Whether every node reading graph input `name` is Transpose(perm 0, 3, 1, 2): the input
 * is then channels last (N, H, W, C), as libdeep's own exports and Keras' (tf2onnx) write
 * it, and the transposes bring it to ONNX's channels-first order. */
static bool channels_last_input(const Onnx__GraphProto *g, const char *name)
{
    bool read = false;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *node = g->node[i];
        for (size_t j = 0; j < node->n_input; j++) {
            if (node->input[j] == NULL || strcmp(node->input[j], name) != 0)
                continue;
            const Onnx__AttributeProto *perm = onnx_attr(node, "perm");
            if (node->op_type == NULL || strcmp(node->op_type, "Transpose") != 0 || perm == NULL ||
                perm->n_ints != 4 || perm->ints[0] != 0 || perm->ints[1] != 3 || perm->ints[2] != 1 ||
                perm->ints[3] != 2)
                return false;
            read = true;
        }
    }
    return read;
}

/* The sample shape of a graph input (batch axis dropped), libdeep's order: images (N, C, H,
 * W) become (H, W, C); a channels-last image input (channels_last_input) keeps its order;
 * a time-major sequence (T, N, F) (onnx_time_major_input) is taken batch-first, (T, F). */
static deep_status input_shape(onnx_import *im, const Onnx__ValueInfoProto *in, onnx_value *v, int64_t *shape)
{
    const char *name = in->name != NULL ? in->name : "";
    const Onnx__TypeProto *t = in->type;
    if (t == NULL || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || t->tensor_type == NULL ||
        t->tensor_type->shape == NULL)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "graph input \"%.64s\" is not a tensor of known "
                              "shape", name);
    /* Integer inputs are ids (an embedding's): libdeep takes them as floats. */
    int32_t type = t->tensor_type->elem_type;
    if (type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
        type != ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "graph input \"%.64s\" has element type %d; "
                              "float inputs (and int64 or int32 ids) are supported", name, (int)type);
    const Onnx__TensorShapeProto *s = t->tensor_type->shape;
    if (s->n_dim < 2 || s->n_dim > DEEP_MAX_SAMPLE_RANK + 1)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "graph input \"%.64s\" has rank %zu; a batch axis "
                              "and 1 to %d more are supported", name, s->n_dim, DEEP_MAX_SAMPLE_RANK);
    v->rank = (int32_t)s->n_dim;
    /* A sequence read only by recurrent operators is time-major (T, N, F), ONNX's order. */
    bool time_major = s->n_dim == 3 && onnx_time_major_input(im->graph, name);
    size_t batch = time_major ? 1 : 0;
    for (size_t k = 0; k < s->n_dim; k++) {
        const Onnx__TensorShapeProto__Dimension *d = s->dim[k];
        bool fixed = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (k == batch) { /* the batch: any, and 1 where a folded Shape reads it */
            v->dims[k] = fixed && d->dim_value >= 1 ? d->dim_value : 1;
            continue;
        }
        if (!fixed || d->dim_value < 1 || d->dim_value > DEEP_ONNX_MAX_ELEMENTS)
            return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "graph input \"%.64s\" axis %zu is not a fixed "
                                  "size from 1 to %lld", name, k, (long long)DEEP_ONNX_MAX_ELEMENTS);
        v->dims[k] = d->dim_value;
    }
    v->layout = v->rank == 4 && !channels_last_input(im->graph, name) ? ONNX_NHWC : ONNX_PLAIN;
    if (time_major) { /* libdeep takes it batch-first: (T, F) per sample */
        v->layout = ONNX_TIME_MAJOR;
        shape[0] = v->dims[0];
        shape[1] = v->dims[2];
    } else if (v->layout == ONNX_NHWC) {
        shape[0] = v->dims[2];
        shape[1] = v->dims[3];
        shape[2] = v->dims[1];
    } else {
        for (int32_t k = 1; k < v->rank; k++)
            shape[k - 1] = v->dims[k];
    }
    return DEEP_OK;
}

static deep_status add_inputs(onnx_import *im)
{
    const Onnx__GraphProto *g = im->graph;
    int64_t count = 0;
    for (size_t k = 0; k < g->n_input; k++) {
        const Onnx__ValueInfoProto *in = g->input[k];
        /* Older exporters list initializers among the inputs too; those are constants. */
        if (in->name == NULL || onnx_find(im, in->name) != NULL)
            continue;
        onnx_value v = {0};
        int64_t shape[DEEP_MAX_RANK];
        DEEP_TRY(input_shape(im, in, &v, shape));
        if (++count > 16)
            return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "the graph has more than 16 inputs");
        deep_status s = im->model == NULL ? deep_model_new(v.rank - 1, shape, &im->model)
                                          : deep_model_add_input(im->model, v.rank - 1, shape, &v.node);
        if (s != DEEP_OK)
            return deep_error_wrap(s, im->caller, "graph input \"%.64s\"", in->name);
        DEEP_TRY(onnx_bind_graph(im, in->name, &v));
    }
    if (count == 0)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "the graph has no input besides its initializers");
    return DEEP_OK;
}

static deep_status add_initializers(onnx_import *im)
{
    const Onnx__GraphProto *g = im->graph;
    if (g->n_sparse_initializer > 0)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "sparse initializers are not supported");
    for (size_t k = 0; k < g->n_initializer; k++) {
        const Onnx__TensorProto *t = g->initializer[k];
        char what[120];
        snprintf(what, sizeof what, "initializer \"%.64s\"", t->name != NULL ? t->name : "");
        deep_onnx_array a;
        DEEP_TRY(deep_onnx_array_read(im->caller, what, t, &a));
        DEEP_TRY(onnx_bind_const(im, t->name, &a));
    }
    return DEEP_OK;
}

/* Constant nodes first: they read nothing, and the patterns matched ahead of a node (a
 * MatMul's bias, GELU's constants) may need one that comes later in the file. */
static deep_status fold_constants(onnx_import *im)
{
    const Onnx__GraphProto *g = im->graph;
    for (size_t n = 0; n < g->n_node; n++) {
        const Onnx__NodeProto *node = g->node[n];
        if (node->op_type == NULL || strcmp(node->op_type, "Constant") != 0 ||
            (node->domain != NULL && node->domain[0] != '\0'))
            continue;
        im->node = node;
        im->node_index = (int64_t)n;
        DEEP_TRY(onnx_fold(im, node));
        im->done[n] = true;
    }
    im->node = NULL;
    return DEEP_OK;
}

static deep_status translate(onnx_import *im)
{
    const Onnx__GraphProto *g = im->graph;
    for (size_t n = 0; n < g->n_node; n++) {
        const Onnx__NodeProto *node = g->node[n];
        im->node = node;
        im->node_index = (int64_t)n;
        if (im->done[n])
            continue;
        if (node->op_type == NULL)
            return onnx_fail(im, DEEP_ERR_FORMAT, "the node has no op_type");
        if (node->domain != NULL && node->domain[0] != '\0' && strcmp(node->domain, "ai.onnx") != 0)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "domain \"%.64s\" is not supported (only ONNX's default "
                             "domain)", node->domain);
        if (node->n_output < 1)
            return onnx_fail(im, DEEP_ERR_FORMAT, "the node has no output");
        const onnx_op *op = deep_onnx_find_op(node->op_type);
        if (op == NULL)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "operator %.32s is not supported (docs/onnx.md lists those "
                             "that are)", node->op_type);
        if (im->opset < op->since)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%s is read from opset %d on", op->op_type, (int)op->since);
        /* A node of constants only is computed now, whatever its operator. */
        bool constants = node->n_input > 0;
        for (size_t k = 0; k < node->n_input && constants; k++) {
            const onnx_value *v = onnx_find(im, node->input[k]);
            constants = node->input[k][0] == '\0' || (v != NULL && v->is_const);
        }
        bool foldable = strcmp(op->op_type, "Identity") == 0 || strcmp(op->op_type, "Dropout") == 0 ||
                        strcmp(op->op_type, "Add") == 0 || strcmp(op->op_type, "Sub") == 0 ||
                        strcmp(op->op_type, "Mul") == 0 || strcmp(op->op_type, "Div") == 0 ||
                        strcmp(op->op_type, "Concat") == 0;
        bool handled = false;
        if (!constants)
            DEEP_TRY(onnx_seq_node(im, node, &handled));
        if (!handled)
            DEEP_TRY(constants && foldable ? onnx_fold(im, node) : op->translate(im, node));
    }
    im->node = NULL;
    return DEEP_OK;
}

static deep_status set_outputs(onnx_import *im)
{
    const Onnx__GraphProto *g = im->graph;
    if (g->n_output < 1 || g->n_output > 16)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "the graph has %zu outputs (1 to 16 are supported)",
                              g->n_output);
    int32_t nodes[16];
    for (size_t k = 0; k < g->n_output; k++) {
        const char *name = g->output[k]->name;
        onnx_value *v = onnx_find(im, name);
        if (v == NULL || v->is_const)
            return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "graph output \"%.64s\" is %s", name ? name : "",
                                  v == NULL ? "not computed by any node" : "a constant");
        /* A flattened image's features go back to ONNX's order; images stay (H, W, C) and
         * GlobalAveragePool's (N, C, 1, 1) is (C,). */
        if (v->layout == ONNX_FLAT_HWC)
            DEEP_TRY(onnx_to_plain(im, &v));
        /* Sequences come out batch-first (N, T, ...); final states only one at a time. */
        if (v->layout == ONNX_STATES && v->dims[0] != 1)
            return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "graph output \"%.64s\" holds %lld final "
                                  "states of recurrent operators; one (Y_h of one direction) is supported", name,
                                  (long long)v->dims[0]);
        nodes[k] = v->node;
    }
    deep_status s = deep_model_set_outputs(im->model, nodes, (int64_t)g->n_output);
    return s == DEEP_OK ? s : deep_error_wrap(s, im->caller, "the graph's outputs");
}

/* Compiles (weights exist from compile on) and sets the converted weights. */
static deep_status finish(onnx_import *im)
{
    deep_optimizer *opt = NULL;
    deep_status s = deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt);
    if (s == DEEP_OK)
        s = deep_model_compile(im->model, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0);
    if (s != DEEP_OK)
        return deep_error_wrap(s, im->caller, "compiling the model");
    for (int64_t k = 0; k < im->weight_count; k++) {
        const onnx_weight *w = &im->weights[k];
        s = deep_model_set_weight(im->model, w->layer, w->index, w->value);
        if (s != DEEP_OK)
            return deep_error_wrap(s, im->caller, "weight %d of layer %d", (int)w->index, (int)w->layer);
    }
    return DEEP_OK;
}

static deep_status import_graph(onnx_import *im)
{
    const Onnx__GraphProto *g = im->graph;
    if (g == NULL)
        return deep_error_set(DEEP_ERR_FORMAT, im->caller, "the model has no graph");
    if (g->n_node > DEEP_ONNX_MAX_NODES)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, im->caller, "the graph has %zu nodes (at most %d)", g->n_node,
                              DEEP_ONNX_MAX_NODES);
    DEEP_TRY(check_opsets(im));
    int64_t values = (int64_t)(g->n_input + g->n_initializer);
    for (size_t n = 0; n < g->n_node; n++)
        values += (int64_t)g->node[n]->n_output;
    /* Each value may also get a channels-first and a channels-last conversion. */
    DEEP_TRY(onnx_values_init(im, 3 * values + 16));
    DEEP_TRY(onnx_uses_init(im));
    im->done = deep_alloc_zero((int64_t)g->n_node + 1, sizeof *im->done);
    if (im->done == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, im->caller, "out of memory");
    DEEP_TRY(add_initializers(im));
    DEEP_TRY(add_inputs(im));
    DEEP_TRY(fold_constants(im));
    DEEP_TRY(translate(im));
    DEEP_TRY(set_outputs(im));
    return finish(im);
}

static deep_status load(const char *caller, const uint8_t *data, size_t size, deep_model **out)
{
    if ((uint64_t)size > (uint64_t)DEEP_ONNX_MAX_BYTES)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller, "the model has %zu bytes; at most %lld are read", size,
                              (long long)DEEP_ONNX_MAX_BYTES);
    counted budget = {0, (int64_t)size * ALLOCATION_FACTOR + ALLOCATION_SLACK, false};
    ProtobufCAllocator allocator = {counted_alloc, counted_free, &budget};
    Onnx__ModelProto *proto = onnx__model_proto__unpack(&allocator, size, data);
    if (proto == NULL && budget.out_of_memory)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory reading the model's %zu bytes", size);
    if (proto == NULL)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "the data is not an ONNX model (protobuf-c could not read a "
                              "ModelProto from its %zu bytes: truncated, corrupt or too large)", size);
    onnx_import im = {.caller = caller, .proto = proto, .graph = proto->graph};
    deep_status s = import_graph(&im);
    for (int64_t k = 0; k < im.weight_count; k++)
        deep_tensor_free(im.weights[k].value);
    free(im.weights);
    free(im.done);
    onnx_values_free(&im);
    onnx__model_proto__free_unpacked(proto, &allocator);
    if (s != DEEP_OK) {
        deep_model_free(im.model);
        return s;
    }
    *out = im.model;
    return DEEP_OK;
}

deep_status deep_model_load_onnx(const char *path, deep_model **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(path);
    /* The size first, so that a huge file is refused before it is read. */
    int fd = -1;
    int64_t bytes = 0;
    DEEP_TRY(deep_file_open(__func__, path, &fd, &bytes));
    close(fd);
    if (bytes > DEEP_ONNX_MAX_BYTES)
        return DEEP_FAIL(DEEP_ERR_UNSUPPORTED, "'%s' has %lld bytes; at most %lld are read", path, (long long)bytes,
                         (long long)DEEP_ONNX_MAX_BYTES);
    uint8_t *data = NULL;
    size_t length = 0;
    DEEP_TRY(deep_file_read(__func__, path, &data, &length));
    deep_status s = load(__func__, data != NULL ? data : (const uint8_t *)"", length, out);
    free(data);
    return s;
}

deep_status deep_model_load_onnx_buffer(const void *data, int64_t size, deep_model **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(data);
    if (size < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "size is %lld; it must be >= 0", (long long)size);
    return load(__func__, data, (size_t)size, out);
}

#endif
