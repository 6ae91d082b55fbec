/* What ZeroPadding2D and Cropping2D share: a (height, width, channels) sample and a window
 * of it, `top` rows and `left` columns in. Padding places the small image in the big one
 * (zeros around it); cropping takes the window out of the big one. Each is the other's
 * backward pass. Samples are split among the pool's threads. */
#ifndef DEEP_LAYERS_CROP_H
#define DEEP_LAYERS_CROP_H

#include <string.h>

#include "layers/layer.h"

typedef struct deep_window {
    int64_t h, w;       /* the big image */
    int64_t wh, ww;     /* the window */
    int64_t c;
    int64_t top, left;  /* where the window starts in the big image */
    const float *src;
    float *dst;
} deep_window;

static inline void deep_window_pad_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const deep_window *g = raw;
    size_t row = (size_t)(g->ww * g->c) * sizeof(float);
    for (int64_t s = begin; s < end; s++) {
        float *big = g->dst + s * g->h * g->w * g->c;
        const float *small = g->src + s * g->wh * g->ww * g->c;
        memset(big, 0, (size_t)(g->h * g->w * g->c) * sizeof(float));
        for (int64_t y = 0; y < g->wh; y++)
            memcpy(big + ((g->top + y) * g->w + g->left) * g->c, small + y * g->ww * g->c, row);
    }
}

static inline void deep_window_crop_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const deep_window *g = raw;
    size_t row = (size_t)(g->ww * g->c) * sizeof(float);
    for (int64_t s = begin; s < end; s++) {
        const float *big = g->src + s * g->h * g->w * g->c;
        float *small = g->dst + s * g->wh * g->ww * g->c;
        for (int64_t y = 0; y < g->wh; y++)
            memcpy(small + y * g->ww * g->c, big + ((g->top + y) * g->w + g->left) * g->c, row);
    }
}

/* The big image is the layer's output when it pads (ZeroPadding2D), its input when it crops. */
static inline deep_window deep_window_of(const deep_layer *layer, bool pads, int64_t top, int64_t left,
                                         const float *src, float *dst)
{
    const int64_t *big = pads ? layer->out_shape : layer->in_shape, *small = pads ? layer->in_shape : layer->out_shape;
    return (deep_window){.h = big[0], .w = big[1], .wh = small[0], .ww = small[1], .c = big[2], .top = top,
                         .left = left, .src = src, .dst = dst};
}

#endif
