/* GlobalMaxPooling2D, Keras' layer: the largest value of each channel over the whole
 * (height, width), samples (height, width, channels) to (channels,), or (1, 1, channels)
 * with keepdims. Backward sends each gradient to the channel's first largest cell, found
 * again from the input (which the model keeps for backward): no scratch. */
#include <stddef.h>
#include <string.h>

#include "layers/pooling.h"
#include "tensor/tensor.h"

typedef struct global_max_pooling2d_config {
    bool keepdims;
} global_max_pooling2d_config;
DEEP_LAYER_CONFIG_FITS(global_max_pooling2d_config);

static deep_status gmp2d_build(deep_layer *layer)
{
    global_max_pooling2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    DEEP_TRY(deep_pooling_image_input(layer));
    int64_t channels = layer->in_shape[2];
    layer->out_rank = c.keepdims ? 3 : 1;
    layer->out_shape[0] = c.keepdims ? 1 : channels;
    layer->out_shape[1] = 1;
    layer->out_shape[2] = channels;
    return DEEP_OK;
}

typedef struct gmp_ctx {
    const deep_layer *layer;
    const float *in;
    float *out;
    const float *grad_out;
    float *grad_in;
} gmp_ctx;

static void forward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gmp_ctx *ctx = raw;
    int64_t c = ctx->layer->in_shape[2], cells = ctx->layer->in_size / c;
    for (int64_t s = begin; s < end; s++) {
        const float *image = ctx->in + s * cells * c;
        float *restrict out = ctx->out + s * c;
        memcpy(out, image, (size_t)c * sizeof *out);
        for (int64_t i = 1; i < cells; i++) {
            const float *restrict v = image + i * c;
            for (int64_t ch = 0; ch < c; ch++)
                out[ch] = v[ch] > out[ch] ? v[ch] : out[ch];
        }
    }
}

static void backward_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gmp_ctx *ctx = raw;
    int64_t c = ctx->layer->in_shape[2], cells = ctx->layer->in_size / c;
    for (int64_t s = begin; s < end; s++) {
        const float *image = ctx->in + s * cells * c;
        float *grad_in = ctx->grad_in + s * cells * c;
        memset(grad_in, 0, (size_t)(cells * c) * sizeof *grad_in);
        for (int64_t ch = 0; ch < c; ch++) {
            int64_t best = 0; /* the first largest wins, as in forward */
            for (int64_t i = 1; i < cells; i++)
                best = image[i * c + ch] > image[best * c + ch] ? i : best;
            grad_in[best * c + ch] = ctx->grad_out[s * c + ch];
        }
    }
}

static void gmp2d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                          int64_t batch)
{
    (void)scratch;
    gmp_ctx ctx = {.layer = layer, .in = in, .out = out};
    deep_pool_run(ex->pool, batch, forward_samples, &ctx);
}

static void gmp2d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                           float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    gmp_ctx ctx = {.layer = layer, .in = in, .grad_out = grad_out, .grad_in = grad_in};
    deep_pool_run(ex->pool, batch, backward_samples, &ctx);
}

static const deep_layer_field gmp2d_fields[] = {
    DEEP_FIELD(global_max_pooling2d_config, keepdims, DEEP_FIELD_BOOL,
               .doc = "keeps height and width, of size 1: (1, 1, channels)"),
};

const deep_layer_ops deep_global_max_pooling2d_ops = {
    .type = "global_max_pooling2d",
    .class_name = "GlobalMaxPooling2D",
    .config_size = sizeof(global_max_pooling2d_config),
    DEEP_FIELDS(gmp2d_fields),
    .build = gmp2d_build,
    .forward = gmp2d_forward,
    .backward = gmp2d_backward,
};

deep_status deep_model_add_global_max_pooling2d(deep_model *model, int32_t keepdims)
{
    global_max_pooling2d_config c = {.keepdims = keepdims != 0};
    return deep_layer_append(model, &deep_global_max_pooling2d_ops, &c, false, __func__, NULL);
}
