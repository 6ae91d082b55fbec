/* Add, Keras' merge layer: the element-wise sum of its inputs, broadcast (merge.h). */
#include "layers/merge.h"

DEEP_MERGE_OPS(add, DEEP_MERGE_OP_ADD)

const deep_layer_ops deep_add_ops = {
    .type = "add",
    .class_name = "Add",
    /* Each output value is computed after reading every input's, and each input's gradient
     * is the output's (deep_merge_backward keeps an aliased one as it is): both may run in
     * place. */
    .flags = DEEP_LAYER_MERGE | DEEP_LAYER_IN_PLACE | DEEP_LAYER_GRAD_IN_PLACE,
    .backward_reads = deep_layer_reads_nothing,
    .build = deep_merge_build,
    .mask_flow = deep_merge_mask_flow,
    .mask_merged = deep_merge_mask_merged,
    .merge_masks = deep_merge_masks,
    .forward_merge = add_forward,
    .backward_merge = add_backward,
};

deep_status deep_model_add_add(deep_model *model)
{
    return deep_layer_append(model, &deep_add_ops, NULL, false, __func__, NULL);
}
