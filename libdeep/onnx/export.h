/* What the ONNX exporter's files share (export_builder.c, export_model.c, export_layers.c,
 * export_conv.c, export_rnn.c, export_trees.c): a builder that collects ONNX nodes,
 * initializers and graph inputs and outputs into arena memory, and the per-node values of
 * the model being exported. Only built with DEEP_HAVE_ONNX. Never installed; nothing here
 * is shared with the importer.
 *
 * Errors are sticky: the first failure is kept in ex->status (its message already set)
 * and every later builder call does nothing and returns a harmless value ("" for a name,
 * NULL for a node, which the attribute setters accept), so emitters read straight and
 * check ex->status once at the end. */
#ifndef DEEP_ONNX_EXPORT_H
#define DEEP_ONNX_EXPORT_H

#include "graph/model.h"
#include "onnx/onnx.pb-c.h"

/* The opsets of the default domain the exporter writes; 0 asks for the default. */
#define DEEP_ONNX_OPSET_MIN 13
#define DEEP_ONNX_OPSET_MAX 17
#define DEEP_ONNX_OPSET_DEFAULT 13

/* Where a value keeps its channels: as libdeep (last, NHWC) or first after the batch axis
 * (NCHW, what ONNX's Conv, pools, BatchNormalization and Resize want). */
enum { OX_LAST = 0, OX_FIRST = 1 };

typedef struct onnx_ex {
    const char *caller;
    int32_t opset;
    deep_status status;            /* the first failure */
    void **blocks;                 /* arena: everything below lives here */
    int64_t block_count, block_capacity;
    Onnx__NodeProto **nodes;
    size_t node_count, node_capacity;
    Onnx__TensorProto **inits;
    size_t init_count, init_capacity;
    int64_t counter;               /* for unique value names */
    /* The model being exported (NULL for trees): per node, the name of its output with
     * channels last and with channels first (NULL until made). */
    const deep_model *model;
    const char *(*values)[2];
} onnx_ex;

/* Arena memory, zeroed; NULL after a failure. */
void *ox_alloc(onnx_ex *ex, size_t size);
char *ox_strdup(onnx_ex *ex, const char *s);
/* A fresh value name "<hint>_<n>". */
const char *ox_fresh(onnx_ex *ex, const char *hint);
/* Fails the export with status and a message (the first failure only counts). */
void ox_fail(onnx_ex *ex, deep_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A node of op_type with `count` inputs (NULL entries become "", an omitted optional
 * input) and one output, named out or a fresh name. */
Onnx__NodeProto *ox_node(onnx_ex *ex, const char *op_type, const char *out, int count, const char *const *inputs);
/* The same with the inputs as arguments. */
Onnx__NodeProto *ox_op(onnx_ex *ex, const char *op_type, int count, ...);
/* A node's (first) output name; "" for NULL. */
const char *ox_y(const Onnx__NodeProto *node);
/* Sets the node's domain (ai.onnx.ml) and a second output. */
void ox_domain(onnx_ex *ex, Onnx__NodeProto *node, const char *domain);
void ox_add_output(onnx_ex *ex, Onnx__NodeProto *node, const char *name);
/* Attributes; each does nothing for a NULL node. */
void ox_attr_int(onnx_ex *ex, Onnx__NodeProto *node, const char *name, int64_t value);
void ox_attr_float(onnx_ex *ex, Onnx__NodeProto *node, const char *name, float value);
void ox_attr_string(onnx_ex *ex, Onnx__NodeProto *node, const char *name, const char *value);
void ox_attr_ints(onnx_ex *ex, Onnx__NodeProto *node, const char *name, size_t count, const int64_t *values);
void ox_attr_floats(onnx_ex *ex, Onnx__NodeProto *node, const char *name, size_t count, const float *values);
void ox_attr_strings(onnx_ex *ex, Onnx__NodeProto *node, const char *name, size_t count, const char *const *values);

/* Initializers. A name already given returns at once (a shared layer's weights are one
 * initializer used by every call). data is copied; NULL data leaves zeros. */
const char *ox_init_float(onnx_ex *ex, const char *name, int32_t rank, const int64_t *dims, const float *data);
const char *ox_init_int64(onnx_ex *ex, const char *name, int32_t rank, const int64_t *dims, const int64_t *data);
/* A rank-1 int64 constant (shapes, axes, pads) and a float scalar, under fresh names. */
const char *ox_ints(onnx_ex *ex, size_t count, const int64_t *values);
const char *ox_scalar(onnx_ex *ex, float value);
/* A float initializer holding a parameter transposed: the result's axis i is the
 * parameter's axis perm[i], optionally reshaped to (rank, dims) afterwards (dims NULL
 * keeps the transposed shape). */
const char *ox_init_permuted(onnx_ex *ex, const char *name, const deep_param *param, const int32_t *perm,
                             int32_t rank, const int64_t *dims);

/* A Transpose of x with perm (rank entries). */
const char *ox_transpose(onnx_ex *ex, const char *x, int32_t rank, const int64_t *perm);

/* The output of model node `node` in `layout` (OX_LAST or OX_FIRST), transposing the one
 * made once, where the other form exists; a rank-1 sample is the same in both. */
const char *ox_value(onnx_ex *ex, int32_t node, int layout);
/* Records node's output in a layout. */
void ox_set_value(onnx_ex *ex, int32_t node, int layout, const char *name);
/* The layout node's output already has (OX_LAST when both). */
int ox_layout_of(const onnx_ex *ex, int32_t node);

/* Applies activation to x; `axis` is the ONNX axis of the last sample axis (softmax's). */
const char *ox_activation(onnx_ex *ex, const char *x, deep_activation activation, int64_t axis, const char *who);

/* A layer config field by its Keras name, read through the type's field table (so the
 * exporter needs no copy of the private config structs): the first int64 of a
 * size/window/strides/sides field (index picks the others), a bool, an enum (padding,
 * activation, interpolation, merge mode) or a float. */
int64_t ox_field_int(const deep_layer *layer, const char *name, int index);
float ox_field_float(const deep_layer *layer, const char *name);
/* A shape or permutation field: its rank, and values into out. */
int32_t ox_field_shape(const deep_layer *layer, const char *name, int64_t *out);

/* Emits the nodes of model node `node` (a layer call): in export_layers.c, which hands the
 * convolutional family to export_conv.c (false: not one of its types) and the recurrent
 * layers to export_rnn.c. */
void ox_emit_layer(onnx_ex *ex, int32_t node);
bool ox_emit_conv(onnx_ex *ex, int32_t node);
void ox_emit_recurrent(onnx_ex *ex, int32_t node);
/* LeakyReLU, ELU, ReLU and PReLU (export_act.c, since 1.3); false: not one of them. */
bool ox_emit_act(onnx_ex *ex, int32_t node);

/* For the emitters: the k-th input node of call `node`; weight p of a layer as an
 * initializer "<layer>/<weight>"; the same transposed (result axis i is the weight's axis
 * perm[i], then reshaped to rank/dims unless dims is NULL) under "<layer>/<weight><suffix>". */
int32_t ox_input(onnx_ex *ex, int32_t node, int k);
const char *ox_weight(onnx_ex *ex, const deep_layer *layer, int32_t p);
const char *ox_weight_permuted(onnx_ex *ex, const deep_layer *layer, int32_t p, const char *suffix,
                               const int32_t *perm, int32_t rank, const int64_t *dims);

/* The ONNX model around the collected graph: its inputs and outputs given, packed into
 * a new buffer (*data, free()d by the caller). ml_opset > 0 imports ai.onnx.ml too. */
deep_status ox_pack(onnx_ex *ex, Onnx__ValueInfoProto **inputs, size_t input_count, Onnx__ValueInfoProto **outputs,
                    size_t output_count, int32_t ml_opset, const char *graph_name, uint8_t **data, size_t *length);
/* A float or int64 tensor value info; dims -1 is the batch dimension "N". */
Onnx__ValueInfoProto *ox_value_info(onnx_ex *ex, const char *name, int32_t elem_type, int32_t rank,
                                    const int64_t *dims);
/* Releases the arena. */
void ox_release(onnx_ex *ex);

#endif
