/* RepeatVector, Keras' layer: samples (features,) to (n, features), the vector n times;
 * what feeds an encoder's code to a recurrent decoder, one copy per step. Backward sums
 * the n gradients. Its config struct is private. */
#include <stddef.h>
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct repeat_vector_config {
    int64_t n;
} repeat_vector_config;
DEEP_LAYER_CONFIG_FITS(repeat_vector_config);

static deep_status repeat_vector_build(deep_layer *layer)
{
    char s[128];
    repeat_vector_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (layer->in_rank != 1)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "RepeatVector needs (features,) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    layer->out_rank = 2;
    layer->out_shape[0] = c.n;
    layer->out_shape[1] = layer->in_shape[0];
    return DEEP_OK;
}

static void repeat_vector_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                  float *scratch, int64_t batch)
{
    (void)ex;
    (void)scratch;
    int64_t n = layer->out_shape[0], f = layer->in_size;
    for (int64_t s = 0; s < batch; s++)
        for (int64_t r = 0; r < n; r++)
            memcpy(out + (s * n + r) * f, in + s * f, (size_t)f * sizeof *out);
}

static void repeat_vector_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                   float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    int64_t n = layer->out_shape[0], f = layer->in_size;
    for (int64_t s = 0; s < batch; s++) {
        float *restrict g = grad_in + s * f;
        memcpy(g, grad_out + s * n * f, (size_t)f * sizeof *g);
        for (int64_t r = 1; r < n; r++) {
            const float *restrict from = grad_out + (s * n + r) * f;
            for (int64_t j = 0; j < f; j++)
                g[j] += from[j];
        }
    }
}

static const deep_layer_field repeat_vector_fields[] = {
    DEEP_FIELD(repeat_vector_config, n, DEEP_FIELD_SIZE, .min = 1, .doc = "copies of the input: the output's steps"),
};

const deep_layer_ops deep_repeat_vector_ops = {
    .type = "repeat_vector",
    .class_name = "RepeatVector",
    .config_size = sizeof(repeat_vector_config),
    DEEP_FIELDS(repeat_vector_fields),
    .build = repeat_vector_build,
    .forward = repeat_vector_forward,
    .backward = repeat_vector_backward,
};

deep_status deep_model_add_repeat_vector(deep_model *model, int64_t n)
{
    repeat_vector_config c = {.n = n};
    return deep_layer_append(model, &deep_repeat_vector_ops, &c, false, __func__, NULL);
}
