/* GlobalAveragePooling1D, Keras' layer: the mean of each channel over the steps, samples
 * (steps, channels) to (channels,), or (1, channels) with keepdims. It takes a mask and
 * ends it: as Keras, the mean is over the real steps only. A sample whose steps are all
 * padding gives zeros (Keras divides 0 by 0 there, a NaN that would poison training). */
#include <stddef.h>
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct global_average_pooling1d_config {
    bool keepdims;
} global_average_pooling1d_config;
DEEP_LAYER_CONFIG_FITS(global_average_pooling1d_config);

static deep_status gap1d_build(deep_layer *layer)
{
    char s[128];
    global_average_pooling1d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (layer->in_rank != 2)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "GlobalAveragePooling1D needs (steps, channels) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    layer->out_rank = c.keepdims ? 2 : 1;
    layer->out_shape[0] = c.keepdims ? 1 : layer->in_shape[1];
    layer->out_shape[1] = layer->in_shape[1];
    return DEEP_OK;
}

/* 1 / (the sample's real steps), 0 when it has none. */
static float inverse_count(const uint8_t *mask, int64_t steps, int64_t s)
{
    int64_t kept = steps;
    if (mask != NULL) {
        kept = 0;
        for (int64_t t = 0; t < steps; t++)
            kept += mask[s * steps + t] != 0;
    }
    return kept > 0 ? 1.0f / (float)kept : 0.0f;
}

static void gap1d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                          int64_t batch)
{
    (void)scratch;
    int64_t steps = layer->in_shape[0], c = layer->in_shape[1];
    for (int64_t s = 0; s < batch; s++) {
        float *o = out + s * c;
        memset(o, 0, (size_t)c * sizeof *o);
        for (int64_t t = 0; t < steps; t++)
            if (deep_step_kept(ex->mask, steps, s, t, false))
                for (int64_t ch = 0; ch < c; ch++)
                    o[ch] += in[(s * steps + t) * c + ch];
        float inv = inverse_count(ex->mask, steps, s);
        for (int64_t ch = 0; ch < c; ch++)
            o[ch] *= inv;
    }
}

static void gap1d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                           float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    int64_t steps = layer->in_shape[0], c = layer->in_shape[1];
    for (int64_t s = 0; s < batch; s++) {
        float inv = inverse_count(ex->mask, steps, s);
        for (int64_t t = 0; t < steps; t++) {
            float share = deep_step_kept(ex->mask, steps, s, t, false) ? inv : 0.0f;
            for (int64_t ch = 0; ch < c; ch++)
                grad_in[(s * steps + t) * c + ch] = grad_out[s * c + ch] * share;
        }
    }
}

static deep_mask_flow gap1d_mask_flow(const deep_layer *layer)
{
    (void)layer;
    return DEEP_MASK_ENDS;
}

static const deep_layer_field gap1d_fields[] = {
    DEEP_FIELD(global_average_pooling1d_config, keepdims, DEEP_FIELD_BOOL,
               .doc = "keeps the steps axis, of length 1: (1, channels)"),
};

const deep_layer_ops deep_global_average_pooling1d_ops = {
    .type = "global_average_pooling1d",
    .class_name = "GlobalAveragePooling1D",
    .config_size = sizeof(global_average_pooling1d_config),
    DEEP_FIELDS(gap1d_fields),
    .build = gap1d_build,
    .forward = gap1d_forward,
    .backward = gap1d_backward,
    .mask_flow = gap1d_mask_flow,
};

deep_status deep_model_add_global_average_pooling1d(deep_model *model, int32_t keepdims)
{
    global_average_pooling1d_config c = {.keepdims = keepdims != 0};
    return deep_layer_append(model, &deep_global_average_pooling1d_ops, &c, false, __func__, NULL);
}
