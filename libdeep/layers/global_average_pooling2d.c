/* GlobalAveragePooling2D: the mean of each channel over the whole (height, width). */
#include <string.h>

#include "layers/pooling.h"

static deep_status global_build(deep_layer *layer)
{
    DEEP_TRY(deep_pooling_image_input(layer));
    layer->out_rank = 1;
    layer->out_shape[0] = layer->in_shape[2];
    return DEEP_OK;
}

static void global_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                           int64_t batch)
{
    (void)ex;
    (void)scratch;
    int64_t cells = layer->in_shape[0] * layer->in_shape[1], c = layer->in_shape[2];
    for (int64_t s = 0; s < batch; s++) {
        float *o = out + s * c;
        memset(o, 0, (size_t)c * sizeof(float));
        for (int64_t i = 0; i < cells; i++)
            for (int64_t ch = 0; ch < c; ch++)
                o[ch] += in[(s * cells + i) * c + ch];
        for (int64_t ch = 0; ch < c; ch++)
            o[ch] /= (float)cells;
    }
}

static void global_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                            float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    int64_t cells = layer->in_shape[0] * layer->in_shape[1], c = layer->in_shape[2];
    for (int64_t s = 0; s < batch; s++)
        for (int64_t i = 0; i < cells; i++)
            for (int64_t ch = 0; ch < c; ch++)
                grad_in[(s * cells + i) * c + ch] = grad_out[s * c + ch] / (float)cells;
}

const deep_layer_ops deep_global_average_pooling2d_ops = {
    .type = "global_average_pooling2d",
    .class_name = "GlobalAveragePooling2D",
    .build = global_build,
    .forward = global_forward,
    .backward_reads = deep_layer_reads_nothing,
    .backward = global_backward,
};

deep_status deep_model_add_global_average_pooling2d(deep_model *model)
{
    return deep_layer_append(model, &deep_global_average_pooling2d_ops, NULL, false, __func__, NULL);
}
