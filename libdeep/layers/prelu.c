/* PReLU (since 1.3), Keras' layer: x for x >= 0, alpha * x below, with a learned alpha of
 * the sample's shape, except along shared_axes (1-based sample axes, Keras' argument), where
 * one alpha serves the whole axis: shared_axes [1, 2] on (height, width, channels) images
 * learns one slope per channel. alpha starts at zeros (Keras' alpha_initializer). */
#include <string.h>

#include "layers/layer.h"

typedef struct prelu_config {
    int64_t shared_axes[DEEP_MAX_SAMPLE_RANK];
    int32_t shared_axes_count;
} prelu_config;
DEEP_LAYER_CONFIG_FITS(prelu_config);

static prelu_config config_of(const deep_layer *layer)
{
    prelu_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    return c;
}

static deep_status prelu_build(deep_layer *layer)
{
    prelu_config c = config_of(layer);
    int64_t shape[DEEP_MAX_RANK];
    memcpy(shape, layer->in_shape, sizeof shape);
    for (int32_t i = 0; i < c.shared_axes_count; i++) {
        if (c.shared_axes[i] > layer->in_rank)
            return DEEP_FAIL(DEEP_ERR_SHAPE, "shared_axes names axis %lld of a rank-%d input",
                                  (long long)c.shared_axes[i], (int)layer->in_rank);
        shape[c.shared_axes[i] - 1] = 1;
    }
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    return deep_layer_declare_param(layer, 0, "alpha", layer->in_rank, shape);
}

static void prelu_init(deep_layer *layer, struct deep_rng *rng)
{
    (void)rng;
    memset(layer->params[0].value, 0, (size_t)layer->params[0].size * sizeof(float));
}

/* The alpha of position j of a sample: j's coordinates with the shared axes' dropped, in
 * alpha's row-major order. Computed once per position and pass, then used for the whole
 * batch, so its divisions cost little next to the element loop. */
static int64_t alpha_index(const deep_layer *layer, int64_t j)
{
    const deep_param *p = &layer->params[0];
    int64_t index = 0, stride = 1;
    for (int32_t d = layer->in_rank - 1; d >= 0; d--) {
        int64_t coord = j % layer->in_shape[d];
        j /= layer->in_shape[d];
        if (p->shape[d] != 1)
            index += coord * stride;
        stride *= p->shape[d];
    }
    return index;
}

static void prelu_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                          int64_t batch)
{
    (void)ex;
    (void)scratch;
    const float *alpha = layer->params[0].value;
    int64_t size = layer->in_size;
    bool same = layer->params[0].size == size;
    for (int64_t j = 0; j < size; j++) {
        float a = alpha[same ? j : alpha_index(layer, j)];
        for (int64_t b = 0; b < batch; b++) {
            float x = in[b * size + j];
            out[b * size + j] = x >= 0.0f ? x : a * x;
        }
    }
}

static void prelu_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                           float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)out;
    (void)scratch;
    const float *alpha = layer->params[0].value;
    float *dalpha = layer->params[0].grad;
    int64_t size = layer->in_size;
    bool same = layer->params[0].size == size;
    memset(dalpha, 0, (size_t)layer->params[0].size * sizeof *dalpha);
    for (int64_t j = 0; j < size; j++) {
        int64_t k = same ? j : alpha_index(layer, j);
        for (int64_t b = 0; b < batch; b++) {
            int64_t i = b * size + j;
            float x = in[i], g = grad_out[i];
            if (x < 0.0f)
                dalpha[k] += x * g;
            if (grad_in != NULL)
                grad_in[i] = x >= 0.0f ? g : alpha[k] * g;
        }
    }
}

static const deep_layer_field prelu_fields[] = {
    {.name = "shared_axes", .kind = DEEP_FIELD_AXES, .offset = offsetof(prelu_config, shared_axes),
     .aux = offsetof(prelu_config, shared_axes_count),
     .doc = "1-based sample axes along which one alpha is shared (empty: none)"},
};

const deep_layer_ops deep_prelu_ops = {
    .type = "prelu",
    .class_name = "PReLU",
    .config_size = sizeof(prelu_config),
    DEEP_FIELDS(prelu_fields),
    .build = prelu_build,
    .init = prelu_init,
    .forward = prelu_forward,
    .backward = prelu_backward,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_prelu(deep_model *model, int32_t shared_axes_count, const int64_t *shared_axes)
{
    if (shared_axes_count < 0 || shared_axes_count > DEEP_MAX_SAMPLE_RANK ||
        (shared_axes_count > 0 && shared_axes == NULL))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, __func__,
                              "shared_axes_count is %d with shared_axes %s; give 0..%d axes", (int)shared_axes_count,
                              shared_axes == NULL ? "NULL" : "set", DEEP_MAX_SAMPLE_RANK);
    prelu_config c = {.shared_axes_count = shared_axes_count};
    if (shared_axes_count > 0)
        memcpy(c.shared_axes, shared_axes, (size_t)shared_axes_count * sizeof *shared_axes);
    return deep_layer_append(model, &deep_prelu_ops, &c, false, __func__, NULL);
}
