/* What the element-wise merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum)
 * share: inputs of one shape, an output of that shape, and a forward and backward told
 * which operation to apply. Each type's file only names its operation. */
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

/* Fails (DEEP_ERR_SHAPE) unless every input has the first one's shape, which the output takes. */
deep_status deep_merge_build(deep_layer *layer);
void deep_merge_forward(const deep_layer *layer, const float *const *in, float *out, int64_t batch,
                        deep_merge_op op);
void deep_merge_backward(const deep_layer *layer, const float *const *in, const float *out,
                         const float *grad_out, float *const *grad_in, int64_t batch, deep_merge_op op);

/* name_forward and name_backward of one element-wise merge type, for its descriptor. */
#define DEEP_MERGE_OPS(name, op)                                                                           \
    static void name##_forward(const deep_layer *layer, const deep_exec *ex, const float *const *in,      \
                               float *out, float *scratch, int64_t batch)                                  \
    {                                                                                                      \
        (void)ex;                                                                                          \
        (void)scratch;                                                                                     \
        deep_merge_forward(layer, in, out, batch, op);                                                     \
    }                                                                                                      \
    static void name##_backward(deep_layer *layer, const deep_exec *ex, const float *const *in,           \
                                const float *out, float *grad_out, float *const *grad_in, float *scratch,  \
                                int64_t batch)                                                             \
    {                                                                                                      \
        (void)ex;                                                                                          \
        (void)scratch;                                                                                     \
        deep_merge_backward(layer, in, out, grad_out, grad_in, batch, op);                                 \
    }

#endif
