/* Minimum, Keras' merge layer: the element-wise minimum of its inputs, broadcast (merge.h). */
#include "layers/merge.h"

DEEP_MERGE_OPS(minimum, DEEP_MERGE_OP_MINIMUM)

const deep_layer_ops deep_minimum_ops = {
    .type = "minimum",
    .class_name = "Minimum",
    DEEP_MERGE_MEMBERS,
    .forward_merge = minimum_forward,
    .backward_merge = minimum_backward,
};

deep_status deep_model_add_minimum(deep_model *model)
{
    return deep_layer_append(model, &deep_minimum_ops, NULL, false, __func__, NULL);
}
