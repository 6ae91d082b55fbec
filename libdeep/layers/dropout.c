/* Dropout (inverted): while training, keeps each input with probability 1 - rate and
 * scales it by 1 / (1 - rate), so inference is the identity. The mask is kept in scratch
 * for backward. */
#include <string.h>

#include "layers/layer.h"

static deep_status dropout_build(deep_layer *layer)
{
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    layer->scratch_size = layer->in_size;
    return DEEP_OK;
}

static void dropout_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                            float *mask, int64_t batch)
{
    int64_t n = batch * layer->in_size;
    if (!ex->training || layer->rate == 0.0f) {
        memcpy(out, in, (size_t)n * sizeof *out);
        return;
    }
    /* Drawn serially from the model's generator so a seed fixes the masks. */
    float keep_scale = 1.0f / (1.0f - layer->rate);
    for (int64_t i = 0; i < n; i++) {
        mask[i] = deep_rng_float(ex->rng) >= layer->rate ? keep_scale : 0.0f;
        out[i] = in[i] * mask[i];
    }
}

static void dropout_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                             float *grad_out, float *grad_in, float *mask, int64_t batch)
{
    (void)in;
    (void)out;
    if (grad_in == NULL)
        return;
    int64_t n = batch * layer->in_size;
    if (!ex->training || layer->rate == 0.0f) {
        memcpy(grad_in, grad_out, (size_t)n * sizeof *grad_in);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        grad_in[i] = grad_out[i] * mask[i];
}

const deep_layer_ops deep_dropout_ops = {
    .type = "dropout",
    .class_name = "Dropout",
    .build = dropout_build,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .mask_flow = deep_mask_kept,
};
