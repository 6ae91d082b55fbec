/* What the element-wise merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum)
 * share: Keras 3's broadcasting of their inputs' shapes, a forward and backward told which
 * operation to apply, and Keras' rule for their inputs' masks. Each type's file only names
 * its operation. */
#ifndef DEEP_LAYERS_MERGE_H
#define DEEP_LAYERS_MERGE_H

#include "layers/layer.h"

typedef enum deep_merge_op {
    DEEP_MERGE_OP_ADD,
    DEEP_MERGE_OP_SUBTRACT,
    DEEP_MERGE_OP_MULTIPLY,
    DEEP_MERGE_OP_AVERAGE,
    DEEP_MERGE_OP_MAXIMUM,
    DEEP_MERGE_OP_MINIMUM
} deep_merge_op;

/* The output shape is the inputs' shapes broadcast as NumPy does, sample by sample (the
 * batch axis is never broadcast): shapes aligned at their last axes, a missing leading axis
 * counting as 1, and on each axis every input of the output's size or of 1. Fails
 * (DEEP_ERR_SHAPE, naming both shapes) otherwise. */
deep_status deep_merge_build(deep_layer *layer);
/* Keras 3's masks of the element-wise merges: the output has a mask when every input has
 * one, their logical OR. A masked input must have the output's rank and steps (its first
 * axis is not broadcast), since a mask covers the steps. */
deep_mask_flow deep_merge_mask_flow(const deep_layer *layer);
deep_status deep_merge_mask_merged(const deep_layer *layer, const bool *masked, bool *has_mask);
void deep_merge_masks(const deep_layer *layer, const uint8_t *const *masks, uint8_t *mask, int64_t batch);
/* With masks (ex->input_masks), as Keras 3: Add, Subtract and Average ignore them, Multiply
 * takes a masked-out step of an input as 1 (and gives 0 where every input is masked out),
 * Maximum and Minimum take the extreme of the inputs not masked out there (input 0's value
 * where all are). */
void deep_merge_forward(const deep_layer *layer, const deep_exec *ex, const float *const *in, float *out,
                        int64_t batch, deep_merge_op op);
void deep_merge_backward(const deep_layer *layer, const deep_exec *ex, const float *const *in, const float *out,
                         const float *grad_out, float *const *grad_in, int64_t batch, deep_merge_op op);

/* name_forward and name_backward of one element-wise merge type, for its descriptor. */
#define DEEP_MERGE_OPS(name, op)                                                                           \
    static void name##_forward(const deep_layer *layer, const deep_exec *ex, const float *const *in,      \
                               float *out, float *scratch, int64_t batch)                                  \
    {                                                                                                      \
        (void)scratch;                                                                                     \
        deep_merge_forward(layer, ex, in, out, batch, op);                                                 \
    }                                                                                                      \
    static void name##_backward(deep_layer *layer, const deep_exec *ex, const float *const *in,           \
                                const float *out, float *grad_out, float *const *grad_in, float *scratch,  \
                                int64_t batch)                                                             \
    {                                                                                                      \
        (void)scratch;                                                                                     \
        deep_merge_backward(layer, ex, in, out, grad_out, grad_in, batch, op);                             \
    }

/* The descriptor members every element-wise merge type shares. */
#define DEEP_MERGE_MEMBERS                                                                                 \
    .flags = DEEP_LAYER_MERGE, .build = deep_merge_build, .mask_flow = deep_merge_mask_flow,              \
    .mask_merged = deep_merge_mask_merged, .merge_masks = deep_merge_masks

#endif
