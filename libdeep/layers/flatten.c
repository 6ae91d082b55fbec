/* Flatten: gives each sample the rank-1 shape (size,). The data are already contiguous,
 * so forward and backward are copies. */
#include "layers/layer.h"

static deep_status flatten_build(deep_layer *layer)
{
    layer->out_rank = 1;
    layer->out_shape[0] = layer->in_size;
    return DEEP_OK;
}

const deep_layer_ops deep_flatten_ops = {
    .type = "flatten",
    .class_name = "Flatten",
    .build = flatten_build,
    .flags = DEEP_LAYER_IN_PLACE | DEEP_LAYER_GRAD_IN_PLACE, /* copies */
    .backward_reads = deep_layer_reads_nothing,
    .forward = deep_layer_copy_forward,
    .backward = deep_layer_copy_backward,
};

deep_status deep_model_add_flatten(deep_model *model)
{
    return deep_layer_append(model, &deep_flatten_ops, NULL, false, __func__, NULL);
}
