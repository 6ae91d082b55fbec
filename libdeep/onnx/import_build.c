/* Building the libdeep graph for the importer: connecting inputs, binding a new layer's
 * output, queueing its weights for after compile, layout conversions where a value reaches
 * a layer in another layout, and fusing an activation into the layer before it. */
#ifdef DEEP_HAVE_ONNX

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/import.h"

/* "node 7 "Conv_3" (Conv, opset 13)" into buf. */
static void node_label(const onnx_import *im, char *buf, size_t capacity)
{
    const Onnx__NodeProto *n = im->node;
    if (n == NULL) {
        snprintf(buf, capacity, "graph (opset %lld)", (long long)im->opset);
        return;
    }
    if (n->name != NULL && n->name[0] != '\0')
        snprintf(buf, capacity, "node %lld \"%.64s\" (%.32s, opset %lld)", (long long)im->node_index, n->name,
                 n->op_type ? n->op_type : "?", (long long)im->opset);
    else
        snprintf(buf, capacity, "node %lld (%.32s, opset %lld)", (long long)im->node_index,
                 n->op_type ? n->op_type : "?", (long long)im->opset);
}

deep_status onnx_fail(onnx_import *im, deep_status status, const char *fmt, ...)
{
    char label[200], message[400];
    node_label(im, label, sizeof label);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return deep_error_set(status, im->caller, "%s: %s", label, message);
}

deep_status onnx_wrap(onnx_import *im, deep_status status, const char *what)
{
    char label[200];
    node_label(im, label, sizeof label);
    return deep_error_wrap(status, im->caller, "%s: %s", label, what);
}

deep_status onnx_connect(onnx_import *im, const onnx_value *const *inputs, int64_t count)
{
    int32_t nodes[16];
    if (count < 1 || count > 16)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "%lld inputs (1 to 16 are supported)", (long long)count);
    for (int64_t k = 0; k < count; k++)
        nodes[k] = inputs[k]->node;
    deep_status s = deep_model_connect(im->model, nodes, count);
    return s == DEEP_OK ? s : onnx_wrap(im, s, "connecting its inputs");
}

/* The ONNX dims of a value in that layout held by a libdeep node of sample shape s. */
static void onnx_dims(onnx_value *v, int32_t rank, const int64_t *s)
{
    int64_t batch = v->dims[0] >= 1 ? v->dims[0] : 1;
    switch (v->layout) {
    case ONNX_NHWC:
        v->rank = 4;
        v->dims[1] = s[2];
        v->dims[2] = s[0];
        v->dims[3] = s[1];
        break;
    case ONNX_SQUEEZED:
        v->rank = 4;
        v->dims[1] = s[0];
        v->dims[2] = v->dims[3] = 1;
        break;
    case ONNX_FLAT_HWC:
        v->rank = 2;
        v->dims[1] = s[0];
        break;
    case ONNX_TIME_MAJOR: /* bound by import_seq.c and import_rnn.c with their dims */
    case ONNX_RNN_Y:
    case ONNX_STATES:
        return;
    case ONNX_PLAIN:
        v->rank = rank + 1;
        for (int32_t k = 0; k < rank; k++)
            v->dims[k + 1] = s[k];
        break;
    }
    v->dims[0] = batch;
}

deep_status onnx_added(onnx_import *im, deep_status status, const char *output, const onnx_value *like)
{
    if (status != DEEP_OK)
        return onnx_wrap(im, status, "adding its layer");
    onnx_value v = *like;
    DEEP_TRY(deep_model_last_node(im->model, &v.node));
    int64_t shape[DEEP_MAX_RANK], rank = 0;
    DEEP_TRY(deep_model_node_shape(im->model, v.node, shape, DEEP_MAX_RANK, &rank));
    onnx_dims(&v, (int32_t)rank, shape);
    return onnx_bind_graph(im, output, &v);
}

deep_status onnx_set_weight(onnx_import *im, int32_t index, int32_t rank, const int64_t *shape, float *values)
{
    deep_tensor *t = NULL;
    int64_t count = 1;
    for (int32_t k = 0; k < rank; k++)
        count *= shape[k]; /* the size of a weight the layer was just built with */
    deep_status s = deep_tensor_new_from(rank, shape, values, count, &t);
    if (s != DEEP_OK)
        return onnx_wrap(im, s, "its weight");
    if (im->weight_count == im->weight_capacity) {
        int64_t capacity = im->weight_capacity ? 2 * im->weight_capacity : 16;
        onnx_weight *grown = realloc(im->weights, (size_t)capacity * sizeof *grown);
        if (grown == NULL) {
            deep_tensor_free(t);
            return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory for its weights");
        }
        im->weights = grown;
        im->weight_capacity = capacity;
    }
    int32_t layers = 0;
    DEEP_TRY(deep_model_layer_count(im->model, &layers));
    im->weights[im->weight_count++] = (onnx_weight){layers - 1, index, t};
    return DEEP_OK;
}

float *onnx_floats(onnx_import *im, const deep_onnx_array *a)
{
    float *out = deep_alloc(a->count > 0 ? a->count : 1, sizeof *out);
    if (out == NULL) {
        onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    for (int64_t k = 0; k < a->count; k++)
        out[k] = (float)deep_onnx_array_float(a, k);
    return out;
}

/* Converted values live in the table under names ONNX cannot use ("<value>\x01plain"),
 * so the next reader of the same value finds the conversion and does not repeat it. */
static char *converted_name(const onnx_value *v, const char *kind)
{
    size_t length = strlen(v->name) + strlen(kind) + 1;
    char *name = malloc(length);
    if (name != NULL)
        snprintf(name, length, "%s%s", v->name, kind);
    return name;
}

/* Binds the last node, a conversion of *value, and points *value at it. */
static deep_status rebind(onnx_import *im, onnx_value **value, const onnx_value *like, const char *kind)
{
    char *name = converted_name(*value, kind);
    if (name == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory");
    onnx_value v = *like;
    int64_t shape[DEEP_MAX_RANK], rank = 0;
    deep_status s = deep_model_last_node(im->model, &v.node);
    if (s == DEEP_OK)
        s = deep_model_node_shape(im->model, v.node, shape, DEEP_MAX_RANK, &rank);
    if (s == DEEP_OK) {
        onnx_dims(&v, (int32_t)rank, shape);
        s = onnx_bind_graph(im, name, &v);
    }
    if (s != DEEP_OK) {
        free(name);
        return s;
    }
    *value = onnx_find(im, name);
    (*value)->owned_name = name; /* freed with the table */
    return DEEP_OK;
}

static deep_status converted(onnx_import *im, onnx_value **value, const char *kind)
{
    char *name = converted_name(*value, kind);
    if (name == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory");
    onnx_value *found = onnx_find(im, name);
    free(name);
    if (found != NULL)
        *value = found;
    return DEEP_OK;
}

deep_status onnx_to_plain(onnx_import *im, onnx_value **value)
{
    onnx_value *v = *value;
    if (v->layout == ONNX_PLAIN)
        return DEEP_OK;
    DEEP_TRY(converted(im, value, "\x01plain"));
    if ((*value)->layout == ONNX_PLAIN)
        return DEEP_OK;
    onnx_value like = *v;
    like.layout = ONNX_PLAIN;
    deep_status s = deep_model_connect(im->model, &v->node, 1);
    if (v->layout == ONNX_SQUEEZED) { /* (C,) is (C, 1, 1) in ONNX's order already */
        if (s == DEEP_OK)
            s = deep_model_add_reshape(im->model, 3, (int64_t[]){v->dims[1], 1, 1});
    } else {
        /* NHWC (H, W, C) or its flattening: put the channels first again, once, where a
         * layer needs ONNX's order (a Permute per call, which no seed model needs). */
        int64_t c = v->layout == ONNX_NHWC ? v->dims[1] : v->chw[0];
        int64_t h = v->layout == ONNX_NHWC ? v->dims[2] : v->chw[1];
        int64_t w = v->layout == ONNX_NHWC ? v->dims[3] : v->chw[2];
        if (s == DEEP_OK && v->layout == ONNX_FLAT_HWC)
            s = deep_model_add_reshape(im->model, 3, (int64_t[]){h, w, c});
        if (s == DEEP_OK)
            s = deep_model_add_permute(im->model, 3, (int32_t[]){3, 1, 2});
        if (s == DEEP_OK && v->layout == ONNX_FLAT_HWC)
            s = deep_model_add_flatten(im->model);
    }
    if (s != DEEP_OK)
        return onnx_wrap(im, s, "converting its input to ONNX's channels-first order");
    return rebind(im, value, &like, "\x01plain");
}

deep_status onnx_to_nhwc(onnx_import *im, onnx_value **value)
{
    onnx_value *v = *value;
    if (v->layout == ONNX_NHWC)
        return DEEP_OK;
    if (v->rank != 4)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "an input of rank %d where images (N, C, H, W) are expected",
                         (int)v->rank);
    DEEP_TRY(converted(im, value, "\x01nhwc"));
    if ((*value)->layout == ONNX_NHWC)
        return DEEP_OK;
    onnx_value like = *v;
    like.layout = ONNX_NHWC;
    deep_status s = deep_model_connect(im->model, &v->node, 1);
    if (v->layout == ONNX_SQUEEZED) {
        if (s == DEEP_OK)
            s = deep_model_add_reshape(im->model, 3, (int64_t[]){1, 1, v->dims[1]});
    } else if (v->layout == ONNX_PLAIN) {
        if (s == DEEP_OK)
            s = deep_model_add_permute(im->model, 3, (int32_t[]){2, 3, 1});
    } else {
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a flattened value where images are expected");
    }
    if (s != DEEP_OK)
        return onnx_wrap(im, s, "converting its input to channels-last order");
    return rebind(im, value, &like, "\x01nhwc");
}

void onnx_fuse_activation(onnx_import *im, const Onnx__NodeProto *node, int32_t softmax_rank, deep_activation *act,
                          const char **output)
{
    *act = DEEP_ACTIVATION_LINEAR;
    *output = node->output[0];
    int64_t next = onnx_sole_consumer(im, node->output[0]);
    if (next <= im->node_index || im->done[next])
        return;
    const Onnx__NodeProto *c = im->graph->node[next];
    /* A later node is not checked yet: its op_type may be missing (NULL in protobuf-c). */
    if (c->op_type == NULL || c->n_output < 1 || c->n_input < 1 || strcmp(c->input[0], node->output[0]) != 0 ||
        (c->domain != NULL && c->domain[0] != '\0'))
        return;
    const char *op = c->op_type;
    if (strcmp(op, "Relu") == 0)
        *act = DEEP_ACTIVATION_RELU;
    else if (strcmp(op, "Sigmoid") == 0)
        *act = DEEP_ACTIVATION_SIGMOID;
    else if (strcmp(op, "Tanh") == 0)
        *act = DEEP_ACTIVATION_TANH;
    else if ((strcmp(op, "Softmax") == 0 || strcmp(op, "LogSoftmax") == 0) && softmax_rank >= 2) {
        /* Over the last axis only: the default since opset 13, and axis 1 of a matrix before. */
        const Onnx__AttributeProto *a = onnx_attr(c, "axis");
        int64_t axis = a == NULL ? (im->opset >= 13 ? -1 : 1) : a->has_i ? a->i : 0;
        if (axis == -1 || axis == softmax_rank - 1)
            *act = op[0] == 'S' ? DEEP_ACTIVATION_SOFTMAX : DEEP_ACTIVATION_LOG_SOFTMAX;
    }
    if (*act != DEEP_ACTIVATION_LINEAR) {
        im->done[next] = true;
        *output = c->output[0];
    }
}

#endif
