/* Maximum, Keras' merge layer: the element-wise maximum of its inputs, broadcast (merge.h). */
#include "layers/merge.h"

DEEP_MERGE_OPS(maximum, DEEP_MERGE_OP_MAXIMUM)

const deep_layer_ops deep_maximum_ops = {
    .type = "maximum",
    .class_name = "Maximum",
    DEEP_MERGE_MEMBERS,
    .forward_merge = maximum_forward,
    .backward_merge = maximum_backward,
};

deep_status deep_model_add_maximum(deep_model *model)
{
    return deep_layer_append(model, &deep_maximum_ops, NULL, false, __func__, NULL);
}
