/* deep_model_save_onnx and deep_model_save_onnx_buffer: a model's graph of layer calls
 * becomes an ONNX graph. The graph takes its inputs as libdeep does, channels last (NHWC
 * for images) with a dynamic batch dimension "N", and gives channels-last outputs. Each
 * value is kept in the layout its producer made and converted only where a consumer needs
 * the other one (export.h's ox_value), so a CNN has one Transpose after its input and one
 * before its Flatten (or Dense), not a pair around every convolution. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/file.h"

#ifdef DEEP_HAVE_ONNX

#include "onnx/export.h"

/* ------------------------------------------------------------ layouts of values */

/* Transpose permutations between channels last (0, 1, ..., r) and channels first
 * (0, r, 1, ..., r - 1) for a sample of rank r (r + 1 axes with the batch). */
static void to_first(int32_t r, int64_t *perm)
{
    perm[0] = 0, perm[1] = r;
    for (int32_t i = 1; i < r; i++)
        perm[i + 1] = i;
}

static void to_last(int32_t r, int64_t *perm)
{
    perm[0] = 0;
    for (int32_t i = 1; i < r; i++)
        perm[i] = i + 1;
    perm[r] = 1;
}

const char *ox_value(onnx_ex *ex, int32_t node, int layout)
{
    if (ex->status != DEEP_OK)
        return "";
    const deep_node *n = &ex->model->nodes[node];
    const char **v = ex->values[node];
    if (v[layout] != NULL)
        return v[layout];
    if (n->rank == 1 && v[1 - layout] != NULL)
        return v[layout] = v[1 - layout];
    if (v[1 - layout] == NULL) {
        ox_fail(ex, DEEP_ERR_STATE, "internal: node %d has no value yet", (int)node);
        return "";
    }
    int64_t perm[DEEP_MAX_RANK];
    if (layout == OX_FIRST)
        to_first(n->rank, perm);
    else
        to_last(n->rank, perm);
    return v[layout] = ox_transpose(ex, v[1 - layout], n->rank + 1, perm);
}

void ox_set_value(onnx_ex *ex, int32_t node, int layout, const char *name)
{
    ex->values[node][layout] = name;
    if (ex->model->nodes[node].rank == 1)
        ex->values[node][1 - layout] = name;
}

int ox_layout_of(const onnx_ex *ex, int32_t node)
{
    return ex->values[node][OX_LAST] != NULL ? OX_LAST : OX_FIRST;
}

/* ------------------------------------------------------------ config fields */

static const deep_layer_field *field_named(const deep_layer *layer, const char *name, const unsigned char **base)
{
    const deep_layer_ops *ops = layer->ops;
    *base = layer->cfg.bytes;
    for (int32_t i = 0; i < ops->field_count; i++)
        if (strcmp(ops->fields[i].name, name) == 0)
            return &ops->fields[i];
    /* Bidirectional: the wrapped layer's fields sit at the start of its config. */
    for (int32_t i = 0; i < ops->field_count; i++)
        if (ops->fields[i].kind == DEEP_FIELD_LAYER) {
            const deep_layer_ops *inner = NULL;
            memcpy(&inner, layer->cfg.bytes + ops->fields[i].aux, sizeof inner);
            *base = layer->cfg.bytes + ops->fields[i].offset;
            for (int32_t j = 0; inner != NULL && j < inner->field_count; j++)
                if (strcmp(inner->fields[j].name, name) == 0)
                    return &inner->fields[j];
        }
    return NULL;
}

int64_t ox_field_int(const deep_layer *layer, const char *name, int index)
{
    const unsigned char *base;
    const deep_layer_field *f = field_named(layer, name, &base);
    if (f == NULL)
        return 0;
    const unsigned char *at = base + f->offset;
    switch (f->kind) {
    case DEEP_FIELD_SIZE:
    case DEEP_FIELD_WINDOW:
    case DEEP_FIELD_STRIDES:
    case DEEP_FIELD_OUTPUT_PADDING:
    case DEEP_FIELD_SIDES: {
        int64_t v;
        memcpy(&v, at + (size_t)index * sizeof v, sizeof v);
        return v;
    }
    case DEEP_FIELD_BOOL: {
        bool v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    case DEEP_FIELD_ACTIVATION:
    case DEEP_FIELD_CELL_ACTIVATION: {
        deep_activation v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    case DEEP_FIELD_PADDING:
    case DEEP_FIELD_CAUSAL_PADDING: {
        deep_padding v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    case DEEP_FIELD_MERGE_MODE: {
        deep_merge_mode v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    case DEEP_FIELD_INTERPOLATION: {
        deep_interpolation v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    case DEEP_FIELD_RATE:
    case DEEP_FIELD_POSITIVE:
    case DEEP_FIELD_FINITE:
    case DEEP_FIELD_LAYER:
    case DEEP_FIELD_SHAPE:
    case DEEP_FIELD_PERMUTATION:
    case DEEP_FIELD_AXES:
        return 0;
    }
    return 0;
}

float ox_field_float(const deep_layer *layer, const char *name)
{
    const unsigned char *base;
    const deep_layer_field *f = field_named(layer, name, &base);
    float v = 0;
    if (f != NULL && deep_field_is_float(f->kind))
        memcpy(&v, base + f->offset, sizeof v);
    return v;
}

int32_t ox_field_shape(const deep_layer *layer, const char *name, int64_t *out)
{
    const unsigned char *base;
    const deep_layer_field *f = field_named(layer, name, &base);
    if (f == NULL || (f->kind != DEEP_FIELD_SHAPE && f->kind != DEEP_FIELD_PERMUTATION))
        return 0;
    int32_t rank;
    memcpy(&rank, base + f->aux, sizeof rank);
    memcpy(out, base + f->offset, (size_t)rank * sizeof *out);
    return rank;
}

/* ------------------------------------------------------------ the model */

static deep_status check_model(const char *caller, const deep_model *model, int32_t opset, int32_t *used)
{
    if (opset == 0)
        opset = DEEP_ONNX_OPSET_DEFAULT;
    if (opset < DEEP_ONNX_OPSET_MIN || opset > DEEP_ONNX_OPSET_MAX)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                              "opset %d is not supported; libdeep exports ONNX opsets %d to %d (0: %d)", (int)opset,
                              DEEP_ONNX_OPSET_MIN, DEEP_ONNX_OPSET_MAX, DEEP_ONNX_OPSET_DEFAULT);
    *used = opset;
    for (int32_t i = 0; i < model->layer_count; i++)
        for (int32_t p = 0; p < model->layers[i]->param_count; p++)
            if (model->layers[i]->params[p].value == NULL)
                return deep_error_set(DEEP_ERR_STATE, caller,
                                      "the model has no weights yet (layer %d, %s); compile it (or load a saved "
                                      "model) before exporting it",
                                      (int)i, model->layers[i]->name);
    return DEEP_OK;
}

/* The whole model as ONNX bytes in a new buffer (*data, free()d by the caller). */
static deep_status export_model(const char *caller, const deep_model *model, int32_t opset, uint8_t **data,
                                size_t *length)
{
    *data = NULL;
    *length = 0;
    onnx_ex ex = {.caller = caller, .model = model};
    DEEP_TRY(check_model(caller, model, opset, &ex.opset));
    ex.values = ox_alloc(&ex, (size_t)model->node_count * sizeof *ex.values);
    int32_t outputs = deep_model_output_count(model);
    Onnx__ValueInfoProto **in = ox_alloc(&ex, (size_t)model->input_count * sizeof *in);
    Onnx__ValueInfoProto **out = ox_alloc(&ex, (size_t)outputs * sizeof *out);
    for (int32_t k = 0; k < model->input_count && ex.status == DEEP_OK; k++) {
        const deep_node *n = &model->nodes[model->inputs[k]];
        char name[32];
        snprintf(name, sizeof name, model->input_count > 1 ? "input_%d" : "input", (int)k + 1);
        int64_t dims[DEEP_MAX_RANK] = {-1};
        memcpy(dims + 1, n->shape, (size_t)n->rank * sizeof *dims);
        in[k] = ox_value_info(&ex, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, n->rank + 1, dims);
        ox_set_value(&ex, model->inputs[k], OX_LAST, ox_strdup(&ex, name));
    }
    /* Creation order is a topological order (graph/model.h). */
    for (int32_t i = 0; i < model->node_count && ex.status == DEEP_OK; i++)
        if (model->nodes[i].layer != NULL)
            ox_emit_layer(&ex, i);
    for (int32_t k = 0; k < outputs && ex.status == DEEP_OK; k++) {
        int32_t node = deep_model_output_node_at(model, k);
        const deep_node *n = &model->nodes[node];
        char name[32];
        snprintf(name, sizeof name, outputs > 1 ? "output_%d" : "output", (int)k + 1);
        ox_node(&ex, "Identity", ox_strdup(&ex, name), 1, (const char *[]){ox_value(&ex, node, OX_LAST)});
        int64_t dims[DEEP_MAX_RANK] = {-1};
        memcpy(dims + 1, n->shape, (size_t)n->rank * sizeof *dims);
        out[k] = ox_value_info(&ex, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, n->rank + 1, dims);
    }
    deep_status status = ox_pack(&ex, in, (size_t)model->input_count, out, (size_t)outputs, 0, "libdeep", data, length);
    ox_release(&ex);
    return status;
}

deep_status deep_model_save_onnx(const deep_model *model, const char *path, int32_t opset)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(path);
    uint8_t *data;
    size_t length;
    DEEP_TRY(export_model(__func__, model, opset, &data, &length));
    deep_status status = deep_file_write_atomic(__func__, path, data, length);
    free(data);
    return status;
}

deep_status deep_model_save_onnx_buffer(const deep_model *model, int32_t opset, void *buffer, int64_t capacity,
                                        int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    uint8_t *data;
    size_t length;
    DEEP_TRY(export_model(__func__, model, opset, &data, &length));
    deep_status status = deep_output_copy(__func__, "the ONNX model", buffer, capacity, needed, data,
                                          (int64_t)length, 1);
    free(data);
    return status;
}

#else

static deep_status without_onnx(const char *caller)
{
    return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                          "this libdeep was built without ONNX (meson option onnx; Debian's libprotobuf-c-dev, "
                          "protobuf-c-compiler and libonnx-dev)");
}

deep_status deep_model_save_onnx(const deep_model *model, const char *path, int32_t opset)
{
    (void)model, (void)path, (void)opset;
    return without_onnx(__func__);
}

deep_status deep_model_save_onnx_buffer(const deep_model *model, int32_t opset, void *buffer, int64_t capacity,
                                        int64_t *needed)
{
    (void)model, (void)opset, (void)buffer, (void)capacity;
    if (needed != NULL)
        *needed = 0;
    return without_onnx(__func__);
}

#endif
