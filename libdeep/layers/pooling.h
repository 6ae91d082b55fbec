/* What the two windowed pooling types share: their build, forward and backward, told
 * whether they take the maximum or the average, their config struct (deep_pooling_config)
 * and field table, and the add call's stride rule. */
#ifndef DEEP_LAYERS_POOLING_H
#define DEEP_LAYERS_POOLING_H

#include "layers/layer.h"

/* Fails (DEEP_ERR_SHAPE) unless the input is (height, width, channels). */
deep_status deep_pooling_image_input(const deep_layer *layer);
deep_status deep_pooling_build(deep_layer *layer, bool max);
void deep_pooling_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                          int64_t batch, bool max);
void deep_pooling_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                           float *grad_out, float *grad_in, float *scratch, int64_t batch, bool max);

#define DEEP_POOLING_FIELDS                                                                                   \
    DEEP_FIELD(deep_pooling_config, pool_size, DEEP_FIELD_WINDOW, .doc = "window (height, width)"),          \
        DEEP_FIELD(deep_pooling_config, strides, DEEP_FIELD_STRIDES,                                         \
                   .doc = "steps of the window (height, width); the add call's 0 means pool_size"),         \
        DEEP_FIELD(deep_pooling_config, padding, DEEP_FIELD_PADDING,                                         \
                   .doc = "valid: whole windows; same: ceil(input / stride)")

/* The config of an add call: Keras' strides=None (0 here) tiles the input with the windows.
 * A pool beyond the size limit is larger than any input, which the build reports naming
 * pool_size; the stride it would give must not be reported first. */
static inline deep_pooling_config deep_pooling_config_of(int64_t pool_h, int64_t pool_w, int64_t stride_h,
                                                         int64_t stride_w, deep_padding padding)
{
    stride_h = stride_h == 0 ? (pool_h < DEEP_MAX_LAYER_SIZE ? pool_h : DEEP_MAX_LAYER_SIZE) : stride_h;
    stride_w = stride_w == 0 ? (pool_w < DEEP_MAX_LAYER_SIZE ? pool_w : DEEP_MAX_LAYER_SIZE) : stride_w;
    return (deep_pooling_config){.pool_size = {pool_h, pool_w}, .strides = {stride_h, stride_w}, .padding = padding};
}

#endif
