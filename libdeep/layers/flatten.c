/* Flatten: gives each sample the rank-1 shape (size,). The data are already contiguous,
 * so forward and backward are copies. */
#include <string.h>

#include "layers/layer.h"

static deep_status flatten_build(deep_layer *layer)
{
    layer->out_rank = 1;
    layer->out_shape[0] = layer->in_size;
    return DEEP_OK;
}

static void flatten_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                            float *scratch, int64_t batch)
{
    (void)ex;
    (void)scratch;
    memcpy(out, in, (size_t)(batch * layer->in_size) * sizeof *out);
}

static void flatten_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                             float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in != NULL)
        memcpy(grad_in, grad_out, (size_t)(batch * layer->in_size) * sizeof *grad_in);
}

const deep_layer_ops deep_flatten_ops = {
    .type = "flatten",
    .class_name = "Flatten",
    .build = flatten_build,
    .forward = flatten_forward,
    .backward = flatten_backward,
};

deep_status deep_model_add_flatten(deep_model *model)
{
    return deep_layer_append(model, &deep_flatten_ops, NULL, false, __func__, NULL);
}
