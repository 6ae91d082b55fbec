/* Multiply, Keras' merge layer: the element-wise product of its inputs, broadcast (merge.h). */
#include "layers/merge.h"

DEEP_MERGE_OPS(multiply, DEEP_MERGE_OP_MULTIPLY)

const deep_layer_ops deep_multiply_ops = {
    .type = "multiply",
    .class_name = "Multiply",
    DEEP_MERGE_MEMBERS,
    .forward_merge = multiply_forward,
    .backward_merge = multiply_backward,
};

deep_status deep_model_add_multiply(deep_model *model)
{
    return deep_layer_append(model, &deep_multiply_ops, NULL, false, __func__, NULL);
}
