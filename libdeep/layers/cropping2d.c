/* Cropping2D, Keras' layer: rows cut above and below, columns left and right of each
 * (height, width, channels) sample; at least one row and column must stay, as Keras
 * requires. Backward puts the gradient back in place, zeros where the cells were cut. */
#include <stddef.h>

#include "layers/crop.h"
#include "tensor/tensor.h"

typedef struct cropping2d_config {
    int64_t cropping[4]; /* top, bottom, left, right */
} cropping2d_config;
DEEP_LAYER_CONFIG_FITS(cropping2d_config);

static deep_status cropping2d_build(deep_layer *layer)
{
    char s[128];
    cropping2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (layer->in_rank != 3)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "Cropping2D needs (height, width, channels) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    for (int axis = 0; axis < 2; axis++) {
        int64_t cut = c.cropping[2 * axis] + c.cropping[2 * axis + 1]; /* each <= DEEP_MAX_LAYER_SIZE */
        if (cut >= layer->in_shape[axis])
            return DEEP_FAIL(DEEP_ERR_SHAPE,
                             "cropping (%lld, %lld) leaves nothing of the input %s %lld; at least one %s must stay",
                             (long long)c.cropping[2 * axis], (long long)c.cropping[2 * axis + 1],
                             axis == 0 ? "height" : "width", (long long)layer->in_shape[axis],
                             axis == 0 ? "row" : "column");
        layer->out_shape[axis] = layer->in_shape[axis] - cut;
    }
    layer->out_rank = 3;
    layer->out_shape[2] = layer->in_shape[2];
    return DEEP_OK;
}

static void cropping2d_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                               float *scratch, int64_t batch)
{
    (void)scratch;
    cropping2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    deep_window g = deep_window_of(layer, false, c.cropping[0], c.cropping[2], in, out);
    deep_pool_run(ex->pool, batch, deep_window_crop_samples, &g);
}

static void cropping2d_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    cropping2d_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    deep_window g = deep_window_of(layer, false, c.cropping[0], c.cropping[2], grad_out, grad_in);
    deep_pool_run(ex->pool, batch, deep_window_pad_samples, &g);
}

static const deep_layer_field cropping2d_fields[] = {
    DEEP_FIELD(cropping2d_config, cropping, DEEP_FIELD_SIDES, .doc = "rows and columns cut on each side"),
};

const deep_layer_ops deep_cropping2d_ops = {
    .type = "cropping2d",
    .class_name = "Cropping2D",
    .config_size = sizeof(cropping2d_config),
    DEEP_FIELDS(cropping2d_fields),
    .build = cropping2d_build,
    .forward = cropping2d_forward,
    .backward = cropping2d_backward,
};

deep_status deep_model_add_cropping2d(deep_model *model, int64_t top, int64_t bottom, int64_t left, int64_t right)
{
    cropping2d_config c = {.cropping = {top, bottom, left, right}};
    return deep_layer_append(model, &deep_cropping2d_ops, &c, false, __func__, NULL);
}
