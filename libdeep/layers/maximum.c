/* Maximum, Keras' merge layer: the element-wise maximum of inputs of one shape (merge.h). */
#include "layers/merge.h"

DEEP_MERGE_OPS(maximum, DEEP_MERGE_OP_MAXIMUM)

const deep_layer_ops deep_maximum_ops = {
    .type = "maximum",
    .class_name = "Maximum",
    .flags = DEEP_LAYER_MERGE,
    .build = deep_merge_build,
    .forward_merge = maximum_forward,
    .backward_merge = maximum_backward,
};

deep_status deep_model_add_maximum(deep_model *model)
{
    return deep_layer_append(model, &deep_maximum_ops, NULL, false, __func__, NULL);
}
