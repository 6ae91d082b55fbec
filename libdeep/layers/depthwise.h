/* What DepthwiseConv2D and SeparableConv2D share: the depthwise convolution itself, channels
 * last, and their bias and activation steps. Each input channel c has its own
 * depth_multiplier kernels; output channel c * depth_multiplier + m is input channel c
 * convolved with kernel (kh, kw, c, m), Keras' layout. The pointwise product is
 * SeparableConv2D's own. Work is split by sample (forward, input gradient, bias and
 * activation) or by output channel (kernel gradient), so results do not depend on the
 * thread count. */
#ifndef DEEP_LAYERS_DEPTHWISE_H
#define DEEP_LAYERS_DEPTHWISE_H

#include "layers/layer.h"

typedef struct deep_depthwise {
    int64_t h, w, c;     /* input */
    int64_t oh, ow, oc;  /* output; oc = c * dm */
    int64_t kh, kw, sh, sw, dm;
    int64_t pt, pl;      /* padding before rows and columns */
} deep_depthwise;

/* Checks a (height, width, channels) input and derives the output and padding with Keras'
 * window rule; errors (for the layer's build) name `class_name` and the field. */
deep_status deep_depthwise_geometry(const char *class_name, int32_t in_rank, const int64_t *in_shape,
                                    const int64_t kernel_size[2], const int64_t strides[2], deep_padding padding,
                                    int64_t depth_multiplier, deep_depthwise *g);

/* out[batch, oh, ow, oc] = depthwise convolution of in with kernel (kh, kw, c, dm). */
void deep_depthwise_forward(deep_pool *pool, const deep_depthwise *g, const float *in, const float *kernel,
                            float *out, int64_t batch);
/* kernel_grad = dL/dkernel (overwritten) and, unless grad_in is NULL, grad_in = dL/din from
 * grad_out = dL/dout. */
void deep_depthwise_backward(deep_pool *pool, const deep_depthwise *g, const float *in, const float *kernel,
                             const float *grad_out, float *kernel_grad, float *grad_in, int64_t batch);

/* The layers' last steps on `batch` samples of `rows` rows of `width` channels, split by
 * sample among the pool's threads: adds bias (NULL: none), copies the result to pre (NULL:
 * not kept; gelu and silu need it) and applies the activation. */
void deep_channels_bias_activation(deep_pool *pool, float *out, const float *bias, float *pre,
                                   deep_activation activation, int64_t batch, int64_t rows, int64_t width);
/* grad (dL/d(output)) becomes dL/d(pre-activation), from pre when kept, else from out. */
void deep_channels_activation_grad(deep_pool *pool, const float *out, const float *pre, float *grad,
                                   deep_activation activation, int64_t batch, int64_t rows, int64_t width);

#endif
