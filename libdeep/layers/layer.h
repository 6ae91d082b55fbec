/* The private interface every layer type implements: a table of functions (shape
 * inference, initialisation, forward, backward) plus a description of the layer's
 * parameters. Adding a layer type is one new file and one entry in the model's add_* set;
 * to be savable, it also needs one entry in the table of libdeep/graph/layer_config.c (its
 * config fields and the add_* call that rebuilds it), or deep_model_save refuses it. */
#ifndef DEEP_LAYER_H
#define DEEP_LAYER_H

#include "core/core.h"

#define DEEP_LAYER_MAX_PARAMS 6 /* Bidirectional: two recurrent layers' three */

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
} deep_exec;

/* What a layer does with masks (Keras' supports_masking and compute_mask). A mask only
 * ever covers (timesteps, ...) inputs, one entry per step. */
typedef enum deep_mask_flow {
    DEEP_MASK_REFUSED = 0, /* a masked input is an error (the layer would lose the time axis) */
    DEEP_MASK_ENDS,        /* takes a masked input; its output has no mask */
    DEEP_MASK_KEPT,        /* its output has its input's mask, if any (the time axis stays) */
    DEEP_MASK_MADE         /* compute_mask makes its output's mask from its input */
} deep_mask_flow;

typedef struct deep_layer deep_layer;

typedef struct deep_layer_ops {
    const char *type;        /* stable lower-case name, used in files: "dense" */
    const char *class_name;  /* Keras' class name, used in summaries: "Dense" */
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
    /* Recurrent layers: the states after the last step of the forward pass that left
     * `scratch` (inference), h (batch * units) and, for the LSTM, c; c NULL skips it. */
    void (*final_state)(const deep_layer *layer, const float *scratch, int64_t batch, float *h, float *c);
} deep_layer_ops;

struct deep_layer {
    const deep_layer_ops *ops;
    char name[48];                        /* "dense_1", numbered per type as Keras does */
    int32_t in_rank, out_rank;
    int64_t in_shape[DEEP_MAX_RANK], out_shape[DEEP_MAX_RANK];
    int64_t in_size, out_size;            /* per sample */
    int64_t scratch_size;                 /* floats of scratch per sample */
    int64_t scratch_fixed;                /* plus this many per batch (e.g. per-channel statistics) */
    int32_t param_count;
    deep_param params[DEEP_LAYER_MAX_PARAMS];
    /* Configuration; each layer type reads the fields it needs. */
    int64_t units;                        /* Dense units, Conv2D filters */
    deep_activation activation;
    bool use_bias;
    float rate;                           /* Dropout */
    int64_t kernel[2], strides[2];        /* Conv2D kernel, pooling window; their strides */
    deep_padding padding;
    int64_t pad[2];                       /* top and left padding, derived by build */
    float momentum, epsilon;              /* BatchNormalization */
    /* Recurrent layers: `activation` acts inside the cell and `rate` is the input
     * dropout; the others are Keras' arguments of the same names. */
    deep_activation recurrent_activation;
    bool return_sequences;
    bool go_backwards;
    bool unit_forget_bias;                /* LSTM: the forget gate's bias starts at 1 */
    float recurrent_rate;                 /* recurrent_dropout */
    /* Keras' zero_output_for_mask, not a public option: padding steps of the output
     * sequence are zeros instead of the previous output (what Keras' Bidirectional sets
     * on its layers with return_sequences, so that the reversed sequence lines up). */
    bool zero_output_for_mask;
    bool reset_after;                     /* GRU: the reset gate after the recurrent kernel (Keras' default) */
    /* Embedding: `units` is output_dim. */
    int64_t input_dim;
    int64_t input_length;                 /* 0: not given (Keras' None) */
    /* Bidirectional: the wrapped recurrent type, whose configuration is the fields above. */
    const struct deep_layer_ops *wrapped;
    deep_merge_mode merge_mode;
    bool mask_zero;                       /* id 0 is padding: the output is masked there */
    float mask_value;                     /* Masking */
};

extern const deep_layer_ops deep_dense_ops;
extern const deep_layer_ops deep_activation_ops;
extern const deep_layer_ops deep_dropout_ops;
extern const deep_layer_ops deep_flatten_ops;
extern const deep_layer_ops deep_conv2d_ops;
extern const deep_layer_ops deep_max_pooling2d_ops;
extern const deep_layer_ops deep_average_pooling2d_ops;
extern const deep_layer_ops deep_global_average_pooling2d_ops;
extern const deep_layer_ops deep_batch_normalization_ops;
extern const deep_layer_ops deep_lstm_ops;
extern const deep_layer_ops deep_gru_ops;
extern const deep_layer_ops deep_simple_rnn_ops;
extern const deep_layer_ops deep_embedding_ops;
extern const deep_layer_ops deep_bidirectional_ops;
extern const deep_layer_ops deep_masking_ops;

/* mask_flow of the layers that keep the time axis and pass the mask on as it is. */
deep_mask_flow deep_mask_kept(const deep_layer *layer);
/* The layer's deep_mask_flow (DEEP_MASK_REFUSED when its ops say nothing). */
deep_mask_flow deep_layer_mask_flow(const deep_layer *layer);
/* Whether processing step t of sample b is a real step: input step t, or steps - 1 - t
 * with go_backwards. mask NULL: every step is. */
static inline bool deep_step_kept(const uint8_t *mask, int64_t steps, int64_t b, int64_t t, bool go_backwards)
{
    return mask == NULL || mask[b * steps + (go_backwards ? steps - 1 - t : t)] != 0;
}

/* True for the layer types that step through time (LSTM, GRU, SimpleRNN, and
 * Bidirectional around one of them). */
bool deep_layer_is_recurrent(const deep_layer *layer);
/* The activation applied last to the layer's output, the one a loss may fuse with: the
 * layer's activation, except for recurrent layers, whose activation acts inside the cell
 * (their output is linear in that sense). */
deep_activation deep_layer_output_activation(const deep_layer *layer);

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

/* A size argument of a layer (units, filters, strides, ...): min..DEEP_MAX_LAYER_SIZE, or
 * DEEP_ERR_INVALID_ARGUMENT naming `caller` and `field`. */
deep_status deep_size_check(const char *caller, const char *field, int64_t value, int64_t min);

/* Keras' initialisers. Glorot uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in +
 * fan_out)). Orthogonal (gain 1): a rows x cols matrix (row-major) whose rows (when rows
 * <= cols) or columns are orthonormal, from the Gram-Schmidt QR of a Gaussian matrix. */
void deep_init_glorot_uniform(float *w, int64_t count, int64_t fan_in, int64_t fan_out, struct deep_rng *rng);
void deep_init_orthogonal(float *w, int64_t rows, int64_t cols, struct deep_rng *rng);

/* Output size of one spatial axis and the padding before it, Keras' rules: `valid` fits
 * whole windows, `same` gives ceil(input / stride) with the extra padding after. Fails
 * (DEEP_ERR_SHAPE, naming `field`, "kernel_size" or "pool_size", and the axis) when the
 * window exceeds the input: with `valid` it must fit in it, with `same` it may be at most
 * 2 * input + 1 (padding of at most the input's own size on each side). The window and the
 * stride are >= 1; the arithmetic cannot overflow for any such int64 values. */
deep_status deep_window_axis(const char *field, int axis, int64_t input, int64_t window, int64_t stride,
                             deep_padding padding, int64_t *output, int64_t *pad_before);

#endif
