/* AveragePooling2D: the mean of each window (pooling.c has the shared code). */
#include "layers/pooling.h"

static deep_status average_build(deep_layer *layer)
{
    return deep_pooling_build(layer, false);
}

static void average_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                          int64_t batch)
{
    deep_pooling_forward(layer, ex, in, out, scratch, batch, false);
}

static void average_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out, float *grad_out,
                           float *grad_in, float *scratch, int64_t batch)
{
    deep_pooling_backward(layer, ex, in, out, grad_out, grad_in, scratch, batch, false);
}

static const deep_layer_field average_pooling2d_fields[] = {DEEP_POOLING_FIELDS};

const deep_layer_ops deep_average_pooling2d_ops = {
    .type = "average_pooling2d",
    .class_name = "AveragePooling2D",
    .config_size = sizeof(deep_pooling_config),
    DEEP_FIELDS(average_pooling2d_fields),
    .build = average_build,
    .forward = average_forward,
    .backward_reads = deep_layer_reads_nothing,
    .backward = average_backward,
};

deep_status deep_model_add_average_pooling2d(deep_model *model, int64_t pool_h, int64_t pool_w, int64_t stride_h,
                                  int64_t stride_w, deep_padding padding)
{
    deep_pooling_config c = deep_pooling_config_of(pool_h, pool_w, stride_h, stride_w, padding);
    return deep_layer_append(model, &deep_average_pooling2d_ops, &c, false, __func__, NULL);
}
