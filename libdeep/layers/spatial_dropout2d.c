/* SpatialDropout2D (since 1.2), Keras' layer: while training, drops whole channels of a
 * (height, width, channels) sample, one draw per sample and channel (Keras' noise shape
 * (batch, 1, 1, channels)), and scales the kept ones by 1 / (1 - rate) as Dropout does;
 * the identity at inference. The per-channel mask is kept in scratch for backward. */
#include <string.h>

#include "layers/layer.h"

static deep_status spatial_dropout2d_build(deep_layer *layer)
{
    if (layer->in_rank != 3)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "SpatialDropout2D takes (height, width, channels) samples, not rank %d",
                         (int)layer->in_rank);
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    layer->scratch_size = layer->in_shape[2];
    return DEEP_OK;
}

static bool active(const deep_layer *layer, const deep_exec *ex)
{
    return ex->training && layer->cfg.dropout.rate != 0.0f;
}

/* dst = src times the sample's channel mask (x and its gradient alike). */
static void apply_mask(const deep_layer *layer, const float *src, float *dst, const float *mask, int64_t batch)
{
    int64_t channels = layer->in_shape[2], pixels = layer->in_shape[0] * layer->in_shape[1];
    for (int64_t b = 0; b < batch; b++)
        for (int64_t p = 0; p < pixels; p++) {
            int64_t at = (b * pixels + p) * channels;
            for (int64_t c = 0; c < channels; c++)
                dst[at + c] = src[at + c] * mask[b * channels + c];
        }
}

static void spatial_dropout2d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                      float *mask, int64_t batch)
{
    if (!active(layer, ex)) {
        memcpy(out, in, (size_t)(batch * layer->in_size) * sizeof *out);
        return;
    }
    /* Drawn serially from the model's generator, so a seed fixes the masks. */
    float keep_scale = 1.0f / (1.0f - layer->cfg.dropout.rate);
    for (int64_t i = 0; i < batch * layer->in_shape[2]; i++)
        mask[i] = deep_rng_float(ex->rng) >= layer->cfg.dropout.rate ? keep_scale : 0.0f;
    apply_mask(layer, in, out, mask, batch);
}

static void spatial_dropout2d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                       float *grad_out, float *grad_in, float *mask, int64_t batch)
{
    (void)in;
    (void)out;
    if (grad_in == NULL)
        return;
    if (!active(layer, ex))
        memcpy(grad_in, grad_out, (size_t)(batch * layer->in_size) * sizeof *grad_in);
    else
        apply_mask(layer, grad_out, grad_in, mask, batch);
}

static const deep_layer_field spatial_dropout2d_fields[] = {
    DEEP_FIELD(deep_dropout_config, rate, DEEP_FIELD_RATE, .doc = "fraction of the channels dropped while training"),
};

const deep_layer_ops deep_spatial_dropout2d_ops = {
    .type = "spatial_dropout2d",
    .class_name = "SpatialDropout2D",
    .config_size = sizeof(deep_dropout_config),
    DEEP_FIELDS(spatial_dropout2d_fields),
    .build = spatial_dropout2d_build,
    .forward = spatial_dropout2d_forward,
    .backward = spatial_dropout2d_backward,
};

deep_status deep_model_add_spatial_dropout2d(deep_model *model, double rate)
{
    deep_dropout_config c = {.rate = (float)rate};
    return deep_layer_append(model, &deep_spatial_dropout2d_ops, &c, false, __func__, NULL);
}
