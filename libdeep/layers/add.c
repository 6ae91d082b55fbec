/* Add, Keras' merge layer: the element-wise sum of its inputs, broadcast (merge.h). */
#include "layers/merge.h"

DEEP_MERGE_OPS(add, DEEP_MERGE_OP_ADD)

const deep_layer_ops deep_add_ops = {
    .type = "add",
    .class_name = "Add",
    DEEP_MERGE_MEMBERS,
    .forward_merge = add_forward,
    .backward_merge = add_backward,
};

deep_status deep_model_add_add(deep_model *model)
{
    return deep_layer_append(model, &deep_add_ops, NULL, false, __func__, NULL);
}
