/* ReLU (since 1.3), Keras' layer ReLU(max_value=None, negative_slope=0, threshold=0), with
 * Keras' formula: the part above the threshold is x where x > threshold (x itself, not
 * x - threshold), clipped to [0, max_value] when there is a max_value; below the threshold
 * negative_slope * (x - threshold) is added. Keras' None for max_value is -1 in the config
 * and the file. Element-wise. */
#include <math.h>
#include <string.h>

#include "layers/layer.h"

typedef struct relu_config {
    float max_value; /* -1: None, no upper bound */
    float negative_slope;
    float threshold;
} relu_config;
DEEP_LAYER_CONFIG_FITS(relu_config);

static deep_status relu_check(const void *config, const char *caller)
{
    relu_config c;
    memcpy(&c, config, sizeof c);
    if (!(c.max_value >= 0.0f) && c.max_value != -1.0f)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "max_value is %g; Keras takes a value >= 0 (or None: -1 here)", (double)c.max_value);
    if (!(c.negative_slope >= 0.0f))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "negative_slope is %g; Keras takes a value >= 0",
                              (double)c.negative_slope);
    return DEEP_OK;
}

static void relu_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                         int64_t batch)
{
    (void)ex;
    (void)scratch;
    relu_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    bool clip = c.max_value >= 0.0f;
    int64_t n = batch * layer->in_size;
    for (int64_t i = 0; i < n; i++) {
        float x = in[i], y = x > c.threshold ? x : 0.0f;
        if (clip)
            y = fminf(fmaxf(y, 0.0f), c.max_value);
        if (x < c.threshold)
            y += c.negative_slope * (x - c.threshold);
        out[i] = y;
    }
}

static void relu_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                          float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    relu_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    bool clip = c.max_value >= 0.0f;
    int64_t n = batch * layer->in_size;
    for (int64_t i = 0; i < n; i++) {
        float x = in[i], d = 0.0f;
        if (x > c.threshold && (!clip || (x > 0.0f && x < c.max_value)))
            d = 1.0f;
        else if (x < c.threshold)
            d = c.negative_slope;
        grad_in[i] = d * grad_out[i];
    }
}

static const deep_layer_field relu_fields[] = {
    DEEP_FIELD(relu_config, max_value, DEEP_FIELD_FINITE, .doc = "largest output, >= 0; -1 for None (no bound)"),
    DEEP_FIELD(relu_config, negative_slope, DEEP_FIELD_FINITE, .doc = "slope below the threshold, >= 0"),
    DEEP_FIELD(relu_config, threshold, DEEP_FIELD_FINITE, .doc = "values at or below it are damped"),
};

const deep_layer_ops deep_relu_ops = {
    .type = "relu",
    .class_name = "ReLU",
    .config_size = sizeof(relu_config),
    .defaults = &(const relu_config){.max_value = -1.0f},
    DEEP_FIELDS(relu_fields),
    .check = relu_check,
    .build = deep_layer_same_shape_build,
    .forward = relu_forward,
    .backward = relu_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_relu(deep_model *model, double max_value, double negative_slope, double threshold)
{
    /* Negative or infinite: None. NaN stays and is refused by the check. */
    relu_config c = {.max_value = (max_value < 0.0 || isinf(max_value)) ? -1.0f : (float)max_value,
                     .negative_slope = (float)negative_slope,
                     .threshold = (float)threshold};
    return deep_layer_append(model, &deep_relu_ops, &c, false, __func__, NULL);
}
