/* The weight tensors as the optimizer sees them: compile's block of all weights, layer by
 * layer and parameter by parameter (the order of adopt_weights in model.c). */
#include <stdlib.h>

#include "graph/optimize.h"
#include "optim/optim.h"

deep_status deep_model_bind_optimizer(const deep_model *model, deep_optimizer *optimizer, int64_t total)
{
    int32_t count = 0;
    for (int32_t i = 0; i < model->layer_count; i++)
        count += model->layers[i]->param_count;
    int64_t *sizes = deep_alloc(count > 0 ? count : 1, sizeof *sizes);
    bool *decays = deep_alloc(count > 0 ? count : 1, sizeof *decays);
    deep_status status = sizes && decays ? DEEP_OK : DEEP_ERR_NO_MEMORY;
    int32_t t = 0;
    for (int32_t i = 0; i < model->layer_count && status == DEEP_OK; i++)
        for (int32_t p = 0; p < model->layers[i]->param_count; p++, t++) {
            sizes[t] = model->layers[i]->params[p].size;
            decays[t] = model->layers[i]->params[p].trainable;
        }
    if (status == DEEP_OK)
        status = deep_optimizer_bind(optimizer, 1, &total);
    if (status == DEEP_OK)
        status = deep_optimizer_set_tensors(optimizer, count, sizes, decays);
    free(sizes);
    free(decays);
    return status;
}
