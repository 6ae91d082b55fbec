/* UpSampling2D, Keras' layer, channels last: each axis grows by its factor. "nearest"
 * repeats each cell (Keras' ops.repeat on both axes); "bilinear" is Keras' ops.image.resize,
 * whose backends all use half-pixel centres: output cell o of an axis reads input
 * coordinate (o + 0.5) / size - 0.5, clamped at 0, between the cells floor of it and the
 * next one (the last cell repeats at the far edge). Backward sends each output gradient back
 * to the cells it was made of, with the same weights. No weights; no scratch. */
#include <stddef.h>
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct up_sampling2d_config {
    int64_t size[2];
    deep_interpolation interpolation;
} up_sampling2d_config;
DEEP_LAYER_CONFIG_FITS(up_sampling2d_config);

static deep_status up_sampling2d_build(deep_layer *layer)
{
    char s[128];
    up_sampling2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (layer->in_rank != 3)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "UpSampling2D needs (height, width, channels) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    /* Both factors are at most DEEP_MAX_LAYER_SIZE, as the input's dimensions: no overflow;
     * the model refuses an output of more than DEEP_MAX_LAYER_SIZE elements. */
    layer->out_rank = 3;
    layer->out_shape[0] = layer->in_shape[0] * c.size[0];
    layer->out_shape[1] = layer->in_shape[1] * c.size[1];
    layer->out_shape[2] = layer->in_shape[2];
    return DEEP_OK;
}

/* The two input cells output cell o of an axis reads and the weight of the second. */
static inline void bilinear_source(int64_t o, int64_t factor, int64_t input, int64_t *i0, int64_t *i1, float *t)
{
    double x = ((double)o + 0.5) / (double)factor - 0.5;
    if (x < 0)
        x = 0;
    *i0 = (int64_t)x;
    if (*i0 > input - 1)
        *i0 = input - 1;
    *i1 = *i0 + 1 < input ? *i0 + 1 : input - 1;
    *t = (float)(x - (double)*i0);
}

typedef struct ctx {
    up_sampling2d_config c;
    int64_t h, w, ch, oh, ow;
    const float *in;
    float *out;
} ctx;

static void nearest_forward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const ctx *x = raw;
    size_t run = (size_t)x->ch * sizeof(float), row = (size_t)(x->ow * x->ch) * sizeof(float);
    for (int64_t s = begin; s < end; s++)
        for (int64_t i = 0; i < x->h; i++) {
            const float *src = x->in + ((s * x->h + i) * x->w) * x->ch;
            float *dst = x->out + ((s * x->oh + i * x->c.size[0]) * x->ow) * x->ch;
            for (int64_t j = 0; j < x->w; j++)
                for (int64_t r = 0; r < x->c.size[1]; r++)
                    memcpy(dst + (j * x->c.size[1] + r) * x->ch, src + j * x->ch, run);
            for (int64_t r = 1; r < x->c.size[0]; r++) /* the other rows of the block: copies */
                memcpy(dst + r * x->ow * x->ch, dst, row);
        }
}

/* Here `in` is dL/dout and `out` dL/din. */
static void nearest_backward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const ctx *x = raw;
    for (int64_t s = begin; s < end; s++)
        for (int64_t i = 0; i < x->h; i++) {
            float *dst = x->out + ((s * x->h + i) * x->w) * x->ch;
            memset(dst, 0, (size_t)(x->w * x->ch) * sizeof *dst);
            for (int64_t r = 0; r < x->c.size[0]; r++) {
                const float *src = x->in + ((s * x->oh + i * x->c.size[0] + r) * x->ow) * x->ch;
                for (int64_t j = 0; j < x->w; j++)
                    for (int64_t q = 0; q < x->c.size[1]; q++, src += x->ch)
                        for (int64_t k = 0; k < x->ch; k++)
                            dst[j * x->ch + k] += src[k];
            }
        }
}

static void bilinear_forward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const ctx *x = raw;
    for (int64_t s = begin; s < end; s++)
        for (int64_t y = 0; y < x->oh; y++) {
            int64_t y0, y1;
            float ty;
            bilinear_source(y, x->c.size[0], x->h, &y0, &y1, &ty);
            const float *top = x->in + ((s * x->h + y0) * x->w) * x->ch;
            const float *bottom = x->in + ((s * x->h + y1) * x->w) * x->ch;
            float *dst = x->out + ((s * x->oh + y) * x->ow) * x->ch;
            for (int64_t o = 0; o < x->ow; o++, dst += x->ch) {
                int64_t x0, x1;
                float tx;
                bilinear_source(o, x->c.size[1], x->w, &x0, &x1, &tx);
                for (int64_t k = 0; k < x->ch; k++) {
                    float upper = top[x0 * x->ch + k] + tx * (top[x1 * x->ch + k] - top[x0 * x->ch + k]);
                    float lower = bottom[x0 * x->ch + k] + tx * (bottom[x1 * x->ch + k] - bottom[x0 * x->ch + k]);
                    dst[k] = upper + ty * (lower - upper);
                }
            }
        }
}

static void bilinear_backward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const ctx *x = raw;
    for (int64_t s = begin; s < end; s++) {
        float *image = x->out + s * x->h * x->w * x->ch;
        memset(image, 0, (size_t)(x->h * x->w * x->ch) * sizeof *image);
        for (int64_t y = 0; y < x->oh; y++) {
            int64_t y0, y1;
            float ty;
            bilinear_source(y, x->c.size[0], x->h, &y0, &y1, &ty);
            const float *src = x->in + ((s * x->oh + y) * x->ow) * x->ch;
            for (int64_t o = 0; o < x->ow; o++, src += x->ch) {
                int64_t x0, x1;
                float tx;
                bilinear_source(o, x->c.size[1], x->w, &x0, &x1, &tx);
                float w00 = (1 - ty) * (1 - tx), w01 = (1 - ty) * tx, w10 = ty * (1 - tx), w11 = ty * tx;
                float *c00 = image + (y0 * x->w + x0) * x->ch, *c01 = image + (y0 * x->w + x1) * x->ch;
                float *c10 = image + (y1 * x->w + x0) * x->ch, *c11 = image + (y1 * x->w + x1) * x->ch;
                for (int64_t k = 0; k < x->ch; k++) {
                    c00[k] += w00 * src[k];
                    c01[k] += w01 * src[k];
                    c10[k] += w10 * src[k];
                    c11[k] += w11 * src[k];
                }
            }
        }
    }
}

static ctx context_of(const deep_layer *layer, const float *in, float *out)
{
    ctx x = {.h = layer->in_shape[0], .w = layer->in_shape[1], .ch = layer->in_shape[2],
             .oh = layer->out_shape[0], .ow = layer->out_shape[1], .in = in, .out = out};
    DEEP_LAYER_CONFIG_READ(layer, x.c);
    return x;
}

static void up_sampling2d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                  float *scratch, int64_t batch)
{
    (void)scratch;
    ctx x = context_of(layer, in, out);
    deep_pool_run(ex->pool, batch, x.c.interpolation == DEEP_INTERPOLATION_BILINEAR ? bilinear_forward
                                                                                      : nearest_forward, &x);
}

static void up_sampling2d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                   float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    ctx x = context_of(layer, grad_out, grad_in);
    deep_pool_run(ex->pool, batch, x.c.interpolation == DEEP_INTERPOLATION_BILINEAR ? bilinear_backward
                                                                                      : nearest_backward, &x);
}

static const up_sampling2d_config up_sampling2d_defaults = {.size = {2, 2}, .interpolation = DEEP_INTERPOLATION_NEAREST};

static const deep_layer_field up_sampling2d_fields[] = {
    DEEP_FIELD(up_sampling2d_config, size, DEEP_FIELD_STRIDES, .doc = "factors of the height and width"),
    DEEP_FIELD(up_sampling2d_config, interpolation, DEEP_FIELD_INTERPOLATION,
               .doc = "nearest: cells repeated; bilinear: half-pixel centres, as Keras"),
};

const deep_layer_ops deep_up_sampling2d_ops = {
    .type = "up_sampling2d",
    .class_name = "UpSampling2D",
    .config_size = sizeof(up_sampling2d_config),
    .defaults = &up_sampling2d_defaults,
    DEEP_FIELDS(up_sampling2d_fields),
    .build = up_sampling2d_build,
    .forward = up_sampling2d_forward,
    .backward = up_sampling2d_backward,
};

deep_status deep_model_add_up_sampling2d(deep_model *model, int64_t size_h, int64_t size_w,
                                         deep_interpolation interpolation)
{
    up_sampling2d_config c = {.size = {size_h, size_w}, .interpolation = interpolation};
    return deep_layer_append(model, &deep_up_sampling2d_ops, &c, false, __func__, NULL);
}
