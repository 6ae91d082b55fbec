/* Masking, as Keras' layer: a step of a (timesteps, features) sample is padding when all
 * of its features equal mask_value. The layer makes the mask that the recurrent layers
 * after it read (they then skip those steps), and outputs its input with the padding
 * steps set to zero, as Keras' inputs * mask does (the same values when mask_value is 0). */
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

static deep_status masking_build(deep_layer *layer)
{
    char s[128];
    if (layer->in_rank != 2)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "Masking needs (timesteps, features) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    layer->out_rank = 2;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    return DEEP_OK;
}

/* A step is real when any feature differs from mask_value (a NaN always does). */
static bool step_is_real(const float *step, int64_t features, float mask_value)
{
    for (int64_t k = 0; k < features; k++)
        if (step[k] != mask_value)
            return true;
    return false;
}

static void masking_compute_mask(const deep_layer *layer, const float *in, uint8_t *mask, int64_t batch)
{
    int64_t features = layer->in_shape[1];
    for (int64_t s = 0; s < batch * layer->in_shape[0]; s++)
        mask[s] = step_is_real(in + s * features, features, layer->cfg.masking.mask_value);
}

static void masking_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                            float *scratch, int64_t batch)
{
    (void)ex;
    (void)scratch;
    int64_t features = layer->in_shape[1];
    for (int64_t s = 0; s < batch * layer->in_shape[0]; s++) {
        const float *step = in + s * features;
        if (step_is_real(step, features, layer->cfg.masking.mask_value))
            memcpy(out + s * features, step, (size_t)features * sizeof *out);
        else
            memset(out + s * features, 0, (size_t)features * sizeof *out);
    }
}

/* The padding steps' outputs are constants: their inputs get no gradient. */
static void masking_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                             float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    int64_t features = layer->in_shape[1];
    for (int64_t s = 0; s < batch * layer->in_shape[0]; s++) {
        if (step_is_real(in + s * features, features, layer->cfg.masking.mask_value))
            memcpy(grad_in + s * features, grad_out + s * features, (size_t)features * sizeof *grad_in);
        else
            memset(grad_in + s * features, 0, (size_t)features * sizeof *grad_in);
    }
}

static deep_mask_flow masking_mask_flow(const deep_layer *layer)
{
    (void)layer;
    return DEEP_MASK_MADE;
}

static const deep_layer_field masking_fields[] = {
    DEEP_FIELD(deep_masking_config, mask_value, DEEP_FIELD_FINITE,
               .doc = "a step whose features all equal it is padding"),
};

const deep_layer_ops deep_masking_ops = {
    .type = "masking",
    .class_name = "Masking",
    .config_size = sizeof(deep_masking_config),
    DEEP_FIELDS(masking_fields),
    .build = masking_build,
    .forward = masking_forward,
    .backward = masking_backward,
    .mask_flow = masking_mask_flow,
    .compute_mask = masking_compute_mask,
};

deep_status deep_model_add_masking(deep_model *model, double mask_value)
{
    deep_masking_config c = {.mask_value = (float)mask_value};
    return deep_layer_append(model, &deep_masking_ops, &c, false, __func__, NULL);
}
