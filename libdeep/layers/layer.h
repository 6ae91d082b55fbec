/* The private interface every layer type implements. A layer type is one file,
 * layers/<name>.c, plus one line LAYER(<name>) in layers/registry.def (which both the C
 * registry and layers/meson.build read). The file defines `const deep_layer_ops
 * deep_<name>_ops`, the type's whole descriptor: its names, its config struct (size and
 * defaults), the field table that drives validation, save/load and the layer options,
 * capability flags and its ops; and the public deep_model_add_<name>, which fills the
 * config and calls deep_layer_append. Nothing else in the library names a type: generic
 * code (graph/layer_config.c, graph/model.c) reads the descriptor. */
#ifndef DEEP_LAYER_H
#define DEEP_LAYER_H

#include <string.h>

#include "core/core.h"
#include "layers/configs.h"
#include "layers/weight_rules.h"

#define DEEP_LAYER_MAX_PARAMS 6 /* Bidirectional: two recurrent layers' three */
#define DEEP_MAX_LAYER_INPUTS 16 /* inputs of one call of a merge layer (Add, Concatenate) */
#define DEEP_MAX_STATES 4 /* Bidirectional(LSTM): forward h, c, then backward h, c */

/* One weight tensor of a layer. The model owns the memory behind value and grad: all
 * parameters live in one block so the optimizer sweeps them in a single pass. */
typedef struct deep_param {
    const char *name;        /* Keras' name: "kernel", "bias" */
    int32_t rank;
    int64_t shape[DEEP_MAX_RANK];
    int64_t size;
    float *value;
    float *grad;             /* d(mean batch loss)/d(value), overwritten by each backward */
    bool trainable;          /* false for statistics a layer updates itself (batch norm) */
} deep_param;

/* What one forward or backward call may use. */
typedef struct deep_exec {
    deep_pool *pool;         /* the model's threads; NULL runs everything on the caller */
    struct deep_rng *rng;    /* training randomness (dropout); NULL at inference */
    bool training;
    bool fused_output;       /* the loss already gave dL/d(pre-activation) for this layer */
    /* Keras' mask of the layer's input: batch * steps entries (sample-major, steps the
     * input's first axis), 1 for a real step and 0 for padding; NULL when the input has
     * none. The same in forward and backward. A wrapper passes it on to its inner layers. */
    const uint8_t *mask;
    /* Merge layers: the masks of their inputs, one per input (an entry NULL for an input
     * without one), or NULL when none has one. Each covers the steps of the merge's output
     * (graph/model.c checks it: a masked input has the output's first axis). */
    const uint8_t *const *input_masks;
    /* Training with a replica hook (graph/replica.c): called as soon as backward has
     * finished layer `layer`'s weight gradients for this step (every call of it), so that
     * their exchange can overlap the rest of the pass. NULL otherwise. */
    void (*grads_ready)(void *ctx, int32_t layer);
    void *ready_ctx;
    /* A recurrent call in a graph with initial states or state nodes (Keras' initial_state
     * and return_state; graph/pass.c sets them per call, NULL otherwise): index 0 is h, 1 the
     * LSTM's c (Bidirectional: the forward layer's, then the backward layer's), batch * units
     * floats each, sample-major. The layer reads init_state (NULL:
     * zeros) in forward and backward; forward writes its final states into final_state;
     * backward adds final_grad (dL/d final state) to its gradient and writes dL/d initial
     * state into init_grad. A NULL entry is not wanted. */
    const float *init_state[DEEP_MAX_STATES];
    float *final_state[DEEP_MAX_STATES];
    const float *final_grad[DEEP_MAX_STATES];
    float *init_grad[DEEP_MAX_STATES];
} deep_exec;

/* What a layer does with masks (Keras' supports_masking and compute_mask). A mask only
 * ever covers (timesteps, ...) inputs, one entry per step. */
typedef enum deep_mask_flow {
    DEEP_MASK_REFUSED = 0, /* a masked input is an error (the layer would lose the time axis) */
    DEEP_MASK_ENDS,        /* takes a masked input; its output has no mask */
    DEEP_MASK_KEPT,        /* its output has its input's mask, if any (the time axis stays) */
    DEEP_MASK_MADE,        /* compute_mask makes its output's mask from its input */
    DEEP_MASK_MERGED       /* merge layers: mask_merged and merge_masks combine their inputs' masks */
} deep_mask_flow;

typedef struct deep_layer deep_layer;
typedef struct deep_layer_ops deep_layer_ops;

/* The kinds of config field: the C type at the field's offset, its JSON form in model
 * files and its valid values. Floats are stored as float (what the kernels read) and
 * checked as stored. */
typedef enum deep_field_kind {
    DEEP_FIELD_SIZE,            /* int64_t in min..DEEP_MAX_LAYER_SIZE; JSON integer */
    DEEP_FIELD_WINDOW,          /* int64_t[2] each >= 1 (build checks it against the input); [h, w] */
    DEEP_FIELD_STRIDES,         /* int64_t[2] each in 1..DEEP_MAX_LAYER_SIZE; [h, w] */
    DEEP_FIELD_BOOL,            /* bool; true/false */
    DEEP_FIELD_RATE,            /* float in [0, 1) */
    DEEP_FIELD_POSITIVE,        /* float, finite and > 0 */
    DEEP_FIELD_FINITE,          /* float, finite */
    DEEP_FIELD_ACTIVATION,      /* deep_activation, by Keras name: the layer's output activation */
    DEEP_FIELD_CELL_ACTIVATION, /* deep_activation inside a recurrent cell: element-wise (no softmax) */
    DEEP_FIELD_PADDING,         /* deep_padding, "valid" or "same" */
    DEEP_FIELD_MERGE_MODE,      /* deep_merge_mode, "concat", "sum", "mul" or "ave" */
    DEEP_FIELD_LAYER,           /* a wrapped layer: its type (a const deep_layer_ops * at `aux`) and
                                   its config (at offset): {"type": "lstm", "config": {...}} */
    DEEP_FIELD_SHAPE,           /* int32_t rank at `aux`, int64_t[DEEP_MAX_SAMPLE_RANK] at offset,
                                   each in 1..DEEP_MAX_LAYER_SIZE or -1 (at most one); JSON array */
    DEEP_FIELD_CAUSAL_PADDING,  /* deep_padding, "valid", "same" or "causal" (Conv1D: Keras allows
                                   causal for rank-1 convolutions only) */
    DEEP_FIELD_PERMUTATION,     /* int32_t rank at `aux`, int64_t[DEEP_MAX_SAMPLE_RANK] at offset: a
                                   permutation of 1..rank (Keras' 1-based axes); JSON array */
    DEEP_FIELD_OUTPUT_PADDING,  /* int64_t[2]: both -1 (Keras' None: inferred; JSON null) or each in
                                   0..DEEP_MAX_LAYER_SIZE (the type's check bounds it further); [h, w] */
    DEEP_FIELD_INTERPOLATION,   /* deep_interpolation, "nearest" or "bilinear" */
    DEEP_FIELD_SIDES,           /* int64_t[4]: top, bottom, left, right, each in 0..DEEP_MAX_LAYER_SIZE;
                                   [[top, bottom], [left, right]] */
    DEEP_FIELD_AXES             /* int32_t count at `aux`, int64_t[DEEP_MAX_SAMPLE_RANK] at offset: 0 to
                                   DEEP_MAX_SAMPLE_RANK distinct sample axes, each in 1..DEEP_MAX_SAMPLE_RANK
                                   (Keras' 1-based axes; build checks them against the input); JSON array,
                                   possibly empty (since 1.3: PReLU's shared_axes) */
} deep_field_kind;

typedef struct deep_layer_field {
    const char *name;          /* Keras' argument name, in files and messages */
    deep_field_kind kind;
    size_t offset;             /* in the type's config struct */
    size_t aux;                /* DEEP_FIELD_LAYER, DEEP_FIELD_SHAPE: the second member */
    int64_t min;               /* DEEP_FIELD_SIZE: the smallest value */
    const char *note;          /* DEEP_FIELD_SIZE: what the smallest value means, for messages */
    deep_layer_option option;  /* 0: a constructor argument; else the option that sets it afterwards
                                  (deep_model_set_layer_int/_float) */
    bool optional;             /* files older than the field may omit it: absent is the default */
    const char *doc;           /* one line for docs/layers.md */
} deep_layer_field;

/* A field whose member in config_type is named as Keras' argument; the rest are
 * designated initialisers of deep_layer_field (.min, .option, .optional, .doc, ...). */
#define DEEP_FIELD(config_type, member, field_kind, ...) \
    {.name = #member, .kind = (field_kind), .offset = offsetof(config_type, member), __VA_ARGS__}
#define DEEP_FIELDS(table) .fields = (table), .field_count = (int32_t)(sizeof(table) / sizeof((table)[0]))

/* Capability flags: what generic code asks of a type instead of testing which it is. */
enum {
    DEEP_LAYER_RECURRENT = 1u << 0,     /* steps through time; its config reads as deep_rnn_config */
    DEEP_LAYER_WRAPPABLE = 1u << 1,     /* Bidirectional may wrap it */
    DEEP_LAYER_ID_INPUT = 1u << 2,      /* reads integer ids (Embedding): a model of (n,) ids takes only n */
    DEEP_LAYER_CELL_STATE = 1u << 3,    /* has a cell state c besides h (LSTM) */
    DEEP_LAYER_MERGE = 1u << 4,         /* takes 2 or more inputs (Add, Concatenate): forward_merge and
                                           backward_merge instead of forward and backward; never
                                           added to a chain, only applied to nodes (deep_model_connect) */
    DEEP_LAYER_STATES = 1u << 5,        /* a recurrent layer that takes initial states from nodes and
                                           gives its final states as nodes (deep_exec's state
                                           members): LSTM, GRU, SimpleRNN */
    DEEP_LAYER_IN_PLACE = 1u << 6,      /* forward is element-wise and may run with out equal to its
                                           input (a merge layer: to any one of its inputs) */
    DEEP_LAYER_GRAD_IN_PLACE = 1u << 7, /* backward is element-wise and may run with grad_in (a merge
                                           layer: any one grad_in[k]) equal to grad_out */
};

/* What a layer's backward reads of its forward pass besides its scratch (backward_reads):
 * the executor frees the rest as soon as the forward pass is done with it (graph/plan.c). */
enum {
    DEEP_READS_INPUT = 1u << 0,  /* the input(s), `in` */
    DEEP_READS_OUTPUT = 1u << 1, /* the output, `out` */
    DEEP_READS_SCRATCH = 1u << 2, /* what forward left in its scratch (without it, the scratch is
                                     only used within each call and may be shared with others) */
};

struct deep_layer_ops {
    const char *type;        /* stable lower-case name, used in files and as the file name: "dense" */
    const char *class_name;  /* Keras' class name, used in summaries: "Dense" */
    size_t config_size;      /* sizeof its config struct (at most DEEP_LAYER_CONFIG_BYTES) */
    const void *defaults;    /* its config with Keras' defaults (NULL: all zero): options and
                                optional fields start from it */
    const deep_layer_field *fields;
    int32_t field_count;
    unsigned flags;          /* DEEP_LAYER_* capabilities */
    /* Optional: checks between fields that the table cannot say (Embedding: mask_zero needs
     * input_dim >= 2); run after the fields' own checks, on add, load and option changes.
     * Errors name `caller`. */
    deep_status (*check)(const void *config, const char *caller);
    /* From in_rank/in_shape (already set), sets out_rank/out_shape, the parameters'
     * shapes and scratch sizes; fails with a message when the input does not fit. */
    deep_status (*build)(deep_layer *layer);
    /* Fills the parameters with their initial values (NULL when there are none). */
    void (*init)(deep_layer *layer, struct deep_rng *rng);
    /* out[batch * out_size] = f(in[batch * in_size]); scratch holds batch * scratch_size +
     * scratch_fixed floats, for the forward pass itself and, when training, for backward. */
    void (*forward)(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                    float *scratch, int64_t batch);
    /* From dL/dout (grad_out, which may be overwritten) sets the parameters' grads and,
     * unless grad_in is NULL, writes dL/din. scratch holds what forward left there and may
     * be overwritten. */
    void (*backward)(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                     float *grad_out, float *grad_in, float *scratch, int64_t batch);
    /* Optional (NULL: any values do): checks `count` samples of input before a pass over
     * them, since forward cannot fail. Called for the first layer only, on the data of
     * fit, evaluate and predict; on failure it sets the error for the public function
     * `caller`, naming the layer (at `position`), the sample and the offending value. */
    deep_status (*check_input)(const deep_layer *layer, int32_t position, const float *in, int64_t count,
                               const char *caller);
    /* Optional (NULL: DEEP_MASK_REFUSED): how masks flow through the layer, which may
     * depend on its configuration (Embedding's mask_zero, return_sequences). */
    deep_mask_flow (*mask_flow)(const deep_layer *layer);
    /* With DEEP_MASK_MADE: mask[batch * in_shape[0]] from the layer's input. */
    void (*compute_mask)(const deep_layer *layer, const float *in, uint8_t *mask, int64_t batch);
    /* Merge layers with DEEP_MASK_MERGED (Keras' compute_mask of a merge): whether the output
     * has a mask (*has_mask) when input k has one iff masked[k] (input_count entries, at
     * least one true), failing (DEEP_ERR_SHAPE) when the layer cannot combine those masks;
     * and that mask, mask[batch * out_shape[0]], from the inputs' (NULL entries for inputs
     * without one). */
    deep_status (*mask_merged)(const deep_layer *layer, const bool *masked, bool *has_mask);
    void (*merge_masks)(const deep_layer *layer, const uint8_t *const *masks, uint8_t *mask, int64_t batch);
    /* Merge layers: forward and backward over the layer's input_count inputs, in[k] of
     * in_sizes[k] floats per sample. backward_merge writes dL/din[k] into grad_in[k] unless it
     * is NULL. */
    void (*forward_merge)(const deep_layer *layer, const deep_exec *ex, const float *const *in, float *out,
                          float *scratch, int64_t batch);
    void (*backward_merge)(deep_layer *layer, const deep_exec *ex, const float *const *in, const float *out,
                           float *grad_out, float *const *grad_in, float *scratch, int64_t batch);
    /* Recurrent layers: the states after the last step of the forward pass that left
     * `scratch` (inference), h (batch * units) and, for the LSTM, c; c NULL skips it. */
    void (*final_state)(const deep_layer *layer, const float *scratch, int64_t batch, float *h, float *c);
    /* Optional, with DEEP_LAYER_STATES (NULL: h, and c with DEEP_LAYER_CELL_STATE): how many
     * states the layer takes and gives (Bidirectional: twice its wrapped layer's). */
    int32_t (*state_count)(const deep_layer *layer);
    /* Optional (NULL: all, and the scratch is the node's own): the DEEP_READS_* bits of what
     * backward reads, which may depend on the configuration (a Dense layer reads its output
     * only for a non-linear activation). */
    unsigned (*backward_reads)(const deep_layer *layer);
};

struct deep_layer {
    const deep_layer_ops *ops;
    char name[48];                        /* "dense_1", numbered per type as Keras does */
    int32_t in_rank, out_rank;            /* in_: the (first) input's */
    int64_t in_shape[DEEP_MAX_RANK], out_shape[DEEP_MAX_RANK];
    int64_t in_size, out_size;            /* per sample */
    /* Merge layers: the shapes of all their inputs (index 0 is in_rank/in_shape/in_size
     * again); 1 for every other layer. A layer applied several times (shared weights) takes
     * the same shapes at every call. */
    int32_t input_count;
    int32_t in_ranks[DEEP_MAX_LAYER_INPUTS];
    int64_t in_shapes[DEEP_MAX_LAYER_INPUTS][DEEP_MAX_RANK];
    int64_t in_sizes[DEEP_MAX_LAYER_INPUTS];
    int64_t scratch_size;                 /* floats of scratch per sample */
    int64_t scratch_fixed;                /* plus this many per batch (e.g. per-channel statistics) */
    int32_t param_count;
    deep_param params[DEEP_LAYER_MAX_PARAMS];
    /* The type's config struct (its ops->config_size bytes are used): typed members for
     * the structs in configs.h, DEEP_LAYER_CONFIG_READ for a type's private struct. */
    deep_layer_config cfg;
    /* Initialisers, regularisers and constraints of its weights (since 1.2; all zero: the
     * type's own initialisation and nothing else), applied by graph/rules.c. */
    deep_weight_rules rules;
};

/* The registry: one descriptor per line of layers/registry.def. */
#define LAYER(name) extern const deep_layer_ops deep_##name##_ops;
#include "layers/registry.def"
#undef LAYER
#define LAYER(name) +1
enum { DEEP_LAYER_TYPE_COUNT = 0
#include "layers/registry.def"
};
#undef LAYER
/* The registered types, in registry.def's order (never used in files: they name types). */
extern const deep_layer_ops *const deep_layer_types[DEEP_LAYER_TYPE_COUNT];
/* The type of that stable name, or NULL. */
const deep_layer_ops *deep_layer_type_by_name(const char *type);

/* A type's private config struct, copied out of the layer's storage into `var` (a copy,
 * not a cast, which the aliasing rules would not allow; configs are read when building, not
 * per element). DEEP_LAYER_CONFIG_FITS, in the type's file, checks at compile time that the
 * struct fits the storage. */
#define DEEP_LAYER_CONFIG_READ(layer, var) memcpy(&(var), (layer)->cfg.bytes, sizeof(var))
#define DEEP_LAYER_CONFIG_FITS(type) \
    _Static_assert(sizeof(type) <= DEEP_LAYER_CONFIG_BYTES, #type " does not fit DEEP_LAYER_CONFIG_BYTES")

/* Appends a layer of `type` configured by `config` (the type's struct) to the model: checks
 * every field against the table and the type's check, then builds the layer against the
 * current output and appends it. Errors name `caller`; with `context` (the loader's "file:
 * layer N (type)") they are wrapped in it instead of naming the layer. The model is unchanged
 * on failure. With `replace_last` the new layer takes the last layer's place (Bidirectional
 * wrapping it), which comes back if the new one fails. Implemented in graph/model.c. */
deep_status deep_layer_append(deep_model *model, const deep_layer_ops *type, const void *config, bool replace_last,
                              const char *caller, const char *context);
/* For a wrapper's add: the model's last layer and its position (NULL and -1 when it has
 * none); DEEP_ERR_STATE naming caller once the model is compiled. */
deep_status deep_model_last_layer(const deep_model *model, const char *caller, const deep_layer **last,
                                  int32_t *position);

/* Checks a config against its type's field table and check (nested configs too). */
deep_status deep_layer_config_check(const deep_layer_ops *type, const void *config, const char *caller);
/* The field of a type that the option sets, looking inside a wrapped layer; *config becomes
 * the struct holding it. NULL when the type has no such option. */
const deep_layer_field *deep_layer_option_field(const deep_layer_ops *type, deep_layer_option option,
                                                const void **config);
/* The option's Keras name, from any registered type's table; NULL for an unknown option. */
const char *deep_layer_option_name(deep_layer_option option);
/* Whether the field kind is stored as a float (set with deep_model_set_layer_float). */
bool deep_field_is_float(deep_field_kind kind);
/* Checks one field's value as stored in config (the table's rule and message). */
deep_status deep_field_check(const deep_layer_field *field, const void *config, const char *caller);

/* mask_flow of the layers that keep the time axis and pass the mask on as it is. */
deep_mask_flow deep_mask_kept(const deep_layer *layer);

/* forward and backward of the layers that only give each sample another shape (Flatten,
 * Reshape): the values are copied as they are, row-major order being the same. */
void deep_layer_copy_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                             float *scratch, int64_t batch);
void deep_layer_copy_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                              float *grad_out, float *grad_in, float *scratch, int64_t batch);
/* build of the element-wise layers (LeakyReLU, ELU, ReLU): the output takes the input's
 * shape, with no parameters or scratch. */
deep_status deep_layer_same_shape_build(deep_layer *layer);
/* backward_reads of a layer whose backward reads neither its input nor its output. */
unsigned deep_layer_reads_nothing(const deep_layer *layer);
/* backward_reads of a layer whose backward reads its scratch only. */
unsigned deep_layer_reads_scratch(const deep_layer *layer);
/* build and backward of the layers that multiply each input by a factor drawn while
 * training (Dropout, GaussianDropout): the output takes the input's shape and the factors
 * stay in scratch (one per input); backward multiplies by them, and passes the gradient on
 * unchanged at inference or with cfg.dropout.rate 0, where forward copies. */
deep_status deep_layer_factor_build(deep_layer *layer);
void deep_layer_factor_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *factors, int64_t batch);
/* The layer's deep_mask_flow (DEEP_MASK_REFUSED when its ops say nothing). */
deep_mask_flow deep_layer_mask_flow(const deep_layer *layer);
/* Whether processing step t of sample b is a real step: input step t, or steps - 1 - t
 * with go_backwards. mask NULL: every step is. */
static inline bool deep_step_kept(const uint8_t *mask, int64_t steps, int64_t b, int64_t t, bool go_backwards)
{
    return mask == NULL || mask[b * steps + (go_backwards ? steps - 1 - t : t)] != 0;
}

/* True for the layer types that step through time (DEEP_LAYER_RECURRENT). */
static inline bool deep_layer_is_recurrent(const deep_layer *layer)
{
    return (layer->ops->flags & DEEP_LAYER_RECURRENT) != 0;
}
/* The activation applied last to the layer's output, the one a loss may fuse with: the
 * layer's activation, except for recurrent layers, whose activation acts inside the cell
 * (their output is linear in that sense). */
deep_activation deep_layer_output_activation(const deep_layer *layer);
/* The activation of Keras' name ("relu"), or -1 (kernels.h has the other direction). */
int deep_activation_by_name(const char *name);

/* Declares trainable parameter `index` with the given shape; the model allocates its
 * memory later. Fails (DEEP_ERR_OVERFLOW, naming the weight and its shape) when a
 * dimension is below 1 or the element count exceeds DEEP_MAX_LAYER_SIZE. */
deep_status deep_layer_declare_param(deep_layer *layer, int32_t index, const char *name, int32_t rank,
                                     const int64_t *shape);

/* The one rule for the shape of a sample (a model's input, a layer's output): rank 1 to
 * DEEP_MAX_SAMPLE_RANK, every dimension in 1..DEEP_MAX_LAYER_SIZE and their product at most
 * DEEP_MAX_LAYER_SIZE, which is stored in *size. Errors name `caller` and `what` ("input_shape"). */
deep_status deep_sample_shape_check(const char *caller, const char *what, int32_t rank, const int64_t *shape,
                                    int64_t *size);

/* Keras' initialisers. Glorot uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in +
 * fan_out)). Orthogonal (gain 1): a rows x cols matrix (row-major) whose rows (when rows
 * <= cols) or columns are orthonormal, from the Gram-Schmidt QR of a Gaussian matrix. */
void deep_init_glorot_uniform(float *w, int64_t count, int64_t fan_in, int64_t fan_out, struct deep_rng *rng);
void deep_init_orthogonal(float *w, int64_t rows, int64_t cols, struct deep_rng *rng);

/* The `axis` of deep_window_axis that names the steps of a (steps, channels) sequence. */
#define DEEP_AXIS_STEPS (-1)

/* Output size of one spatial axis and the padding before it, Keras' rules: `valid` fits
 * whole windows, `same` gives ceil(input / stride) with the extra padding after. Fails
 * (DEEP_ERR_SHAPE, naming `field`, "kernel_size" or "pool_size", and the axis) when the
 * window exceeds the input: with `valid` it must fit in it, with `same` it may be at most
 * 2 * input + 1 (padding of at most the input's own size on each side). The window and the
 * stride are >= 1; the arithmetic cannot overflow for any such int64 values. `axis` is 0
 * (height), 1 (width) or DEEP_AXIS_STEPS, for messages. */
deep_status deep_window_axis(const char *field, int axis, int64_t input, int64_t window, int64_t stride,
                             deep_padding padding, int64_t *output, int64_t *pad_before);

#endif
