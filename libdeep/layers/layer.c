/* Helpers shared by the layer implementations. */
#include <string.h>

#include "layers/layer.h"

void deep_layer_declare_param(deep_layer *layer, int32_t index, const char *name, int32_t rank,
                              const int64_t *shape)
{
    deep_param *p = &layer->params[index];
    p->name = name;
    p->rank = rank;
    p->size = 1;
    for (int32_t i = 0; i < rank; i++) {
        p->shape[i] = shape[i];
        p->size *= shape[i];
    }
    p->value = NULL;
    p->grad = NULL;
    p->trainable = true;
    if (layer->param_count < index + 1)
        layer->param_count = index + 1;
}

deep_status deep_window_axis(int64_t input, int64_t window, int64_t stride, deep_padding padding, int64_t *output,
                             int64_t *pad_before)
{
    if (padding == DEEP_PADDING_VALID) {
        if (window > input)
            return DEEP_FAIL(DEEP_ERR_SHAPE, "a window of %lld is larger than the input of %lld with 'valid' padding",
                             (long long)window, (long long)input);
        *output = (input - window) / stride + 1;
        *pad_before = 0;
    } else {
        *output = (input + stride - 1) / stride;
        int64_t total = (*output - 1) * stride + window - input;
        *pad_before = total > 0 ? total / 2 : 0;
    }
    return DEEP_OK;
}
