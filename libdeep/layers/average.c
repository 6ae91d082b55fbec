/* Average, Keras' merge layer: the element-wise mean of its inputs, broadcast (merge.h). */
#include "layers/merge.h"

DEEP_MERGE_OPS(average, DEEP_MERGE_OP_AVERAGE)

const deep_layer_ops deep_average_ops = {
    .type = "average",
    .class_name = "Average",
    DEEP_MERGE_MEMBERS,
    .forward_merge = average_forward,
    .backward_merge = average_backward,
};

deep_status deep_model_add_average(deep_model *model)
{
    return deep_layer_append(model, &deep_average_ops, NULL, false, __func__, NULL);
}
