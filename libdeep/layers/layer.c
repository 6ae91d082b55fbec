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
