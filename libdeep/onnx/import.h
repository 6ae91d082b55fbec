/* The ONNX importer's shared state: the value table (every ONNX value name bound to a
 * constant or to a node of the libdeep graph being built), the node being translated, and
 * the weights to set once the model is compiled. Only under DEEP_HAVE_ONNX. Never installed. */
#ifndef DEEP_ONNX_IMPORT_H
#define DEEP_ONNX_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "onnx/tensor_proto.h"

/* Limits on what a file may ask for, so that a hostile file costs little. */
#define DEEP_ONNX_MAX_BYTES (INT64_C(1) << 30)  /* a model file (protobuf's own limit is 2 GiB) */
#define DEEP_ONNX_MAX_NODES 100000
#define DEEP_ONNX_MIN_OPSET 9
#define DEEP_ONNX_MAX_OPSET 17

/* How a graph value's ONNX tensor (batch first) lies in its libdeep node (no batch axis). */
typedef enum onnx_layout {
    ONNX_PLAIN = 0,    /* the same order: ONNX (N, d1, ..., dk) is libdeep (d1, ..., dk) */
    ONNX_NHWC = 1,     /* ONNX (N, C, H, W) is libdeep (H, W, C) */
    ONNX_FLAT_HWC = 2, /* ONNX (N, C*H*W), flattened from NCHW, is libdeep (H*W*C) flattened from
                          NHWC: the next Dense takes it by permuting its kernel's rows */
    ONNX_SQUEEZED = 3, /* ONNX (N, C, 1, 1) is libdeep (C,) (GlobalAveragePool's output) */
    /* Sequences (import_seq.c), held batch-first by libdeep: */
    ONNX_TIME_MAJOR = 4, /* ONNX (T, N, F) is libdeep (T, F); rank 4 (T, N, D, H) is (T, D * H) */
    ONNX_RNN_Y = 5,      /* a recurrent operator's Y: ONNX (T, D, N, H) is libdeep (T, D * H) */
    ONNX_STATES = 6      /* Y_h or Y_c (D, N, H), or a Concat of them on axis 0: ONNX (S, N, H) is the
                            S libdeep nodes states[0..S-1], each (H,) */
} onnx_layout;

typedef struct onnx_value {
    const char *name;       /* points into the ModelProto */
    bool is_const;
    deep_onnx_array array;  /* a constant's values */
    int32_t node;           /* a graph value's libdeep node */
    onnx_layout layout;
    int32_t rank;           /* a graph value's ONNX rank and dims, batch included (dims[0]) */
    int64_t dims[DEEP_ONNX_MAX_RANK];
    int64_t chw[3];         /* ONNX_FLAT_HWC: the C, H, W it was flattened from */
    int32_t states[8];      /* ONNX_STATES: the node of each entry of axis 0 */
    char *owned_name;       /* the name of a conversion the importer made, freed with the table */
} onnx_value;

typedef struct onnx_weight {
    int32_t layer, index;
    deep_tensor *value;
} onnx_weight;

typedef struct onnx_import {
    const char *caller;
    const Onnx__ModelProto *proto;
    const Onnx__GraphProto *graph;
    int64_t opset;
    deep_model *model;
    /* The value table: open addressing over values, by name. */
    onnx_value *values;
    int64_t value_count, value_capacity;
    int64_t *slots;         /* slot_count entries: index into values, or -1 */
    int64_t slot_count;
    onnx_weight *weights;
    int64_t weight_count, weight_capacity;
    /* The node being translated, for messages; `done` marks nodes fused into an earlier one. */
    int64_t node_index;
    const Onnx__NodeProto *node;
    bool *done;
    /* Who reads each name: a table like the value table, filled before translating. */
    struct onnx_use {
        const char *name;
        int64_t count;      /* node inputs and graph outputs naming it */
        int64_t consumer;   /* the last node reading it (-1: a graph output) */
    } *uses;
    int64_t use_slots;
    int64_t expanded;       /* elements made by Expand and ConstantOfShape so far (import_seq.c) */
} onnx_import;

/* A translation: reads node's inputs, adds layers, binds node's outputs. */
typedef deep_status (*onnx_translate_fn)(onnx_import *im, const Onnx__NodeProto *node);

/* The operator table (import_ops.def): each op type, the first opset whose form the
 * translation reads, its family and what it becomes. */
typedef struct onnx_op {
    const char *op_type;
    int32_t since;
    onnx_translate_fn translate;
    const char *becomes;
} onnx_op;
const onnx_op *deep_onnx_ops(int64_t *count);
const onnx_op *deep_onnx_find_op(const char *op_type);

/* Fails for the current node: "node 7 "Conv_3" (Conv, opset 13): <message>". */
deep_status onnx_fail(onnx_import *im, deep_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same around a nested call's failure (its message follows). */
deep_status onnx_wrap(onnx_import *im, deep_status status, const char *what);

/* The value table (import_values.c). */
deep_status onnx_values_init(onnx_import *im, int64_t capacity);
/* Counts the readers of every name (node inputs, graph outputs). */
deep_status onnx_uses_init(onnx_import *im);
void onnx_values_free(onnx_import *im);
onnx_value *onnx_find(onnx_import *im, const char *name);
/* Binds a name (a new entry, or an error if the name exists: ONNX graphs are SSA). */
deep_status onnx_bind_const(onnx_import *im, const char *name, deep_onnx_array *array);
deep_status onnx_bind_graph(onnx_import *im, const char *name, const onnx_value *like);
/* Input k of node: NULL (and an error) when it is missing or unknown; optional inputs
 * may be absent (k beyond the inputs or an empty name) and then give NULL without error. */
deep_status onnx_input(onnx_import *im, const Onnx__NodeProto *node, size_t k, bool optional, onnx_value **out);
deep_status onnx_input_const(onnx_import *im, const Onnx__NodeProto *node, size_t k, bool optional,
                             onnx_value **out);
deep_status onnx_input_graph(onnx_import *im, const Onnx__NodeProto *node, size_t k, onnx_value **out);
/* Attributes by name; absent ones give the default. */
const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *node, const char *name);
deep_status onnx_attr_int(onnx_import *im, const Onnx__NodeProto *node, const char *name, int64_t fallback,
                          int64_t *out);
deep_status onnx_attr_float(onnx_import *im, const Onnx__NodeProto *node, const char *name, double fallback,
                            double *out);
/* An INTS attribute of exactly `count` entries (count < 0: any up to DEEP_ONNX_MAX_RANK * 2);
 * *present false when absent. */
deep_status onnx_attr_ints(onnx_import *im, const Onnx__NodeProto *node, const char *name, int64_t count,
                           int64_t *out, int64_t *got, bool *present);
deep_status onnx_attr_string(onnx_import *im, const Onnx__NodeProto *node, const char *name, const char *fallback,
                             char *out, size_t capacity);
/* Folding of constant-only nodes (Shape of a fixed-shape value, Gather, Unsqueeze, ...). */
deep_status onnx_fold(onnx_import *im, const Onnx__NodeProto *node);

/* Building (import_build.c): the layer just added, its weight setting, connecting. */
deep_status onnx_connect(onnx_import *im, const onnx_value *const *inputs, int64_t count);
/* After a deep_model_add_*: checks status, binds output name to the new last node with the
 * given ONNX dims and layout. */
deep_status onnx_added(onnx_import *im, deep_status status, const char *output, const onnx_value *like);
deep_status onnx_set_weight(onnx_import *im, int32_t index, int32_t rank, const int64_t *shape, float *values);
/* A constant's values as a new float buffer for onnx_set_weight (free()d by the caller);
 * NULL, the failure recorded, when out of memory. */
float *onnx_floats(onnx_import *im, const deep_onnx_array *a);
/* Brings a value into a plain or NHWC layout the next layer can take. */
deep_status onnx_to_plain(onnx_import *im, onnx_value **value);
deep_status onnx_to_nhwc(onnx_import *im, onnx_value **value);
/* When the node's only output feeds exactly one node which is an activation layers can
 * fuse (Relu, Sigmoid, Tanh; Softmax and, since 1.3, LogSoftmax on the last axis of a value
 * of rank softmax_rank, 0 for none), gives that activation and marks the consumer done, its output name in *output. */
void onnx_fuse_activation(onnx_import *im, const Onnx__NodeProto *node, int32_t softmax_rank, deep_activation *act,
                          const char **output);
/* The index of the node reading value `name`, when exactly one node does and no graph
 * output is it; else -1. */
int64_t onnx_sole_consumer(onnx_import *im, const char *name);
/* How many node inputs and graph outputs name value `name` (since 1.3). */
int64_t onnx_use_count(onnx_import *im, const char *name);

/* Translations by family. */
deep_status onnx_op_fold(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_identity(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_activation(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_softmax(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_log_softmax(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_clip(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_gemm(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_matmul(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_binary(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_flatten(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_reshape(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_transpose(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_concat(onnx_import *im, const Onnx__NodeProto *node);
/* The inputs Conv and ConvTranspose share: X brought to NHWC, the constant weight W of
 * rank 4 (2-D convolutions only) and the optional constant bias B (*b NULL without it). */
deep_status onnx_conv_inputs(onnx_import *im, const Onnx__NodeProto *node, onnx_value **x,
                             const deep_onnx_array **w, onnx_value **b);
deep_status onnx_op_conv(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_pool(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_global_average_pool(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_batch_norm(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_pad(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_slice(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_gather(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_layer_norm(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_conv_transpose(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_resize(onnx_import *im, const Onnx__NodeProto *node);
/* Activations with arguments (since 1.3; import_act.c). */
deep_status onnx_op_leaky_relu(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_elu(onnx_import *im, const Onnx__NodeProto *node);
deep_status onnx_op_prelu(onnx_import *im, const Onnx__NodeProto *node);
/* GELU's tanh form written out (PyTorch's approximate='tanh', libdeep's own export), from
 * the Mul(x, x) that starts it: the element-wise nodes on x and scalar constants that
 * follow, up to the first whose output alone leaves them and which computes
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) at sample points, are marked done; false
 * (nothing marked) otherwise. */
bool onnx_match_gelu_tanh(onnx_import *im, const Onnx__NodeProto *start, const char **output);
/* ReduceMean: LayerNormalization written out before opset 17 (import_act.c). */
deep_status onnx_op_reduce_mean(onnx_import *im, const Onnx__NodeProto *node);

/* Recurrent operators (import_rnn.c) and time-major sequences (import_seq.c). */
deep_status onnx_op_recurrent(onnx_import *im, const Onnx__NodeProto *node);
/* Called before every translation: handles (*handled) the reshuffles of sequences around
 * recurrent operators and refuses other operators reading a time-major value. */
deep_status onnx_seq_node(onnx_import *im, const Onnx__NodeProto *node, bool *handled);
/* Whether graph input `name` is read only by recurrent operators (as X) and Shape: it is
 * then time-major (T, N, F), and libdeep's model takes it batch-first. */
bool onnx_time_major_input(const Onnx__GraphProto *g, const char *name);
/* The one axis of a Squeeze (attribute before opset 13, constant input since). */
bool onnx_single_axis(onnx_import *im, const Onnx__NodeProto *node, int64_t *axis);
/* How many node inputs and graph outputs name `name`. */
int64_t onnx_use_count(onnx_import *im, const char *name);
/* Expand and ConstantOfShape of constants (a: the first input). */
deep_status onnx_fold_seq(onnx_import *im, const Onnx__NodeProto *node, const deep_onnx_array *a,
                          deep_onnx_array *out);

#endif
