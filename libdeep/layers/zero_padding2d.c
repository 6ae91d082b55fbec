/* ZeroPadding2D, Keras' layer: rows of zeros above and below, columns of zeros left and
 * right of each (height, width, channels) sample. Backward crops the gradient back. */
#include <stddef.h>

#include "layers/crop.h"
#include "tensor/tensor.h"

typedef struct zero_padding2d_config {
    int64_t padding[4]; /* top, bottom, left, right */
} zero_padding2d_config;
DEEP_LAYER_CONFIG_FITS(zero_padding2d_config);

static deep_status zero_padding2d_build(deep_layer *layer)
{
    char s[128];
    zero_padding2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (layer->in_rank != 3)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "ZeroPadding2D needs (height, width, channels) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    /* Each term is at most DEEP_MAX_LAYER_SIZE: no overflow; the model checks the size. */
    layer->out_rank = 3;
    layer->out_shape[0] = layer->in_shape[0] + c.padding[0] + c.padding[1];
    layer->out_shape[1] = layer->in_shape[1] + c.padding[2] + c.padding[3];
    layer->out_shape[2] = layer->in_shape[2];
    return DEEP_OK;
}

static void zero_padding2d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                   float *scratch, int64_t batch)
{
    (void)scratch;
    zero_padding2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    deep_window g = deep_window_of(layer, true, c.padding[0], c.padding[2], in, out);
    deep_pool_run(ex->pool, batch, deep_window_pad_samples, &g);
}

static void zero_padding2d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                    float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    zero_padding2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    deep_window g = deep_window_of(layer, true, c.padding[0], c.padding[2], grad_out, grad_in);
    deep_pool_run(ex->pool, batch, deep_window_crop_samples, &g);
}

static const zero_padding2d_config zero_padding2d_defaults = {.padding = {1, 1, 1, 1}};

static const deep_layer_field zero_padding2d_fields[] = {
    DEEP_FIELD(zero_padding2d_config, padding, DEEP_FIELD_SIDES, .doc = "rows and columns of zeros added on each side"),
};

const deep_layer_ops deep_zero_padding2d_ops = {
    .type = "zero_padding2d",
    .class_name = "ZeroPadding2D",
    .config_size = sizeof(zero_padding2d_config),
    .defaults = &zero_padding2d_defaults,
    DEEP_FIELDS(zero_padding2d_fields),
    .build = zero_padding2d_build,
    .forward = zero_padding2d_forward,
    .backward = zero_padding2d_backward,
};

deep_status deep_model_add_zero_padding2d(deep_model *model, int64_t top, int64_t bottom, int64_t left,
                                          int64_t right)
{
    zero_padding2d_config c = {.padding = {top, bottom, left, right}};
    return deep_layer_append(model, &deep_zero_padding2d_ops, &c, false, __func__, NULL);
}
