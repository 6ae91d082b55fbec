/* The configuration structs of the layer types whose internals other files reach (the
 * recurrent helpers, Bidirectional, the unit tests, which build layers directly). Each
 * struct is one type's Keras arguments and nothing else; its field table (in the type's
 * own file) says how each member is validated, saved and set. A new type that nobody
 * else reads may keep its config struct in its own file (see reshape.c) and needs no
 * line here. Never installed. */
#ifndef DEEP_LAYERS_CONFIGS_H
#define DEEP_LAYERS_CONFIGS_H

#include "core/core.h"

struct deep_layer_ops;

typedef struct deep_dense_config {
    int64_t units;
    deep_activation activation;
    bool use_bias;
} deep_dense_config;

typedef struct deep_activation_config {
    deep_activation activation;
} deep_activation_config;

typedef struct deep_dropout_config {
    float rate;
} deep_dropout_config;

typedef struct deep_conv2d_config {
    int64_t filters;
    int64_t kernel_size[2], strides[2];
    deep_padding padding;
    deep_activation activation;
    bool use_bias;
    int64_t pad[2]; /* top and left padding, derived by build (not a Keras argument) */
} deep_conv2d_config;

/* MaxPooling2D and AveragePooling2D. */
typedef struct deep_pooling_config {
    int64_t pool_size[2], strides[2];
    deep_padding padding;
    int64_t pad[2]; /* derived by build */
} deep_pooling_config;

typedef struct deep_batch_norm_config {
    float momentum, epsilon;
} deep_batch_norm_config;

/* LSTM, GRU and SimpleRNN: each type's field table lists the members it has. */
typedef struct deep_rnn_config {
    int64_t units;
    deep_activation activation; /* acts inside the cell */
    deep_activation recurrent_activation;
    bool use_bias;
    bool return_sequences;
    bool go_backwards;
    bool unit_forget_bias; /* LSTM: the forget gate's bias starts at 1 */
    bool reset_after;      /* GRU: the reset gate after the recurrent kernel (Keras' default) */
    float dropout, recurrent_dropout;
    /* Keras' zero_output_for_mask, not a public option: padding steps of the output
     * sequence are zeros instead of the previous output (what Keras' Bidirectional sets
     * on its layers with return_sequences, so that the reversed sequence lines up). */
    bool zero_output_for_mask;
} deep_rnn_config;

/* Bidirectional: the wrapped recurrent type and its configuration. `inner` comes first,
 * so a Bidirectional's config read as a deep_rnn_config is the wrapped layer's (the
 * recurrent helpers and the model read units and return_sequences that way). */
typedef struct deep_bidirectional_config {
    deep_rnn_config inner;
    const struct deep_layer_ops *wrapped;
    deep_merge_mode merge_mode;
} deep_bidirectional_config;

typedef struct deep_embedding_config {
    int64_t input_dim, output_dim;
    int64_t input_length; /* 0: not given (Keras' None) */
    bool mask_zero;       /* id 0 is padding: the output is masked there */
} deep_embedding_config;

typedef struct deep_masking_config {
    float mask_value;
} deep_masking_config;

/* The storage of a layer's config in struct deep_layer: one member per struct above, and
 * bytes for the types whose struct is private to their file (DEEP_LAYER_CONFIG_FITS
 * checks that it fits, DEEP_LAYER_CONFIG_READ reads it). */
#define DEEP_LAYER_CONFIG_BYTES 128
typedef union deep_layer_config {
    deep_dense_config dense;
    deep_activation_config activation;
    deep_dropout_config dropout;
    deep_conv2d_config conv2d;
    deep_pooling_config pooling;
    deep_batch_norm_config batch_norm;
    deep_rnn_config rnn;
    deep_bidirectional_config bidirectional;
    deep_embedding_config embedding;
    deep_masking_config masking;
    max_align_t align;
    unsigned char bytes[DEEP_LAYER_CONFIG_BYTES];
} deep_layer_config;

#endif
