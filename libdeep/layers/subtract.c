/* Subtract, Keras' merge layer: the element-wise difference (exactly two inputs: the first minus the second) of its inputs, broadcast (merge.h). */
#include "layers/merge.h"

DEEP_MERGE_OPS(subtract, DEEP_MERGE_OP_SUBTRACT)

const deep_layer_ops deep_subtract_ops = {
    .type = "subtract",
    .class_name = "Subtract",
    DEEP_MERGE_MEMBERS,
    .forward_merge = subtract_forward,
    .backward_merge = subtract_backward,
};

deep_status deep_model_add_subtract(deep_model *model)
{
    return deep_layer_append(model, &deep_subtract_ops, NULL, false, __func__, NULL);
}
