/* The weight tensors as the optimizer sees them: compile's block of all weights, layer by
 * layer and parameter by parameter (the order of adopt_weights in model.c). */
#include <stdlib.h>

#include "graph/optimize.h"
#include "optim/optim.h"

/* The parameters in the order of their places in the weight block, for a sub-model whose
 * weights are another model's (deep_model_submodel): the block holds that model's weights,
 * so the tensors between the sub-model's are filler (no gradient, no decay). */
static int compare_places(const void *a, const void *b)
{
    const deep_param *x = *(const deep_param *const *)a, *y = *(const deep_param *const *)b;
    return x->value < y->value ? -1 : x->value > y->value;
}

/* The tensors of the weight block, each parameter and (borrowed weights) the gaps between
 * them, into sizes and decays (2 * parameters + 1 entries suffice); returns their count. */
static int32_t block_tensors(const deep_model *model, const deep_param **params, int32_t count, int64_t total,
                             int64_t *sizes, bool *decays)
{
    if (model->borrowed)
        qsort(params, (size_t)count, sizeof *params, compare_places);
    int32_t t = 0;
    int64_t at = 0;
    for (int32_t k = 0; k < count; k++) {
        int64_t offset = model->borrowed ? params[k]->value - model->weights : at;
        if (offset > at) { /* another model's weights */
            sizes[t] = offset - at;
            decays[t++] = false;
        }
        sizes[t] = params[k]->size;
        decays[t++] = params[k]->trainable;
        at = offset + params[k]->size;
    }
    if (total > at) {
        sizes[t] = total - at;
        decays[t++] = false;
    }
    return t;
}

deep_status deep_model_bind_optimizer(const deep_model *model, deep_optimizer *optimizer, int64_t total)
{
    int32_t count = 0;
    for (int32_t i = 0; i < model->layer_count; i++)
        count += model->layers[i]->param_count;
    const deep_param **params = deep_alloc(count > 0 ? count : 1, sizeof *params);
    int64_t *sizes = deep_alloc(2 * (int64_t)count + 1, sizeof *sizes);
    bool *decays = deep_alloc(2 * (int64_t)count + 1, sizeof *decays);
    deep_status status = params && sizes && decays ? DEEP_OK : DEEP_ERR_NO_MEMORY;
    int32_t t = 0;
    for (int32_t i = 0; i < model->layer_count && status == DEEP_OK; i++)
        for (int32_t p = 0; p < model->layers[i]->param_count; p++)
            params[t++] = &model->layers[i]->params[p];
    if (status == DEEP_OK)
        t = block_tensors(model, params, count, total, sizes, decays);
    if (status == DEEP_OK)
        status = deep_optimizer_bind(optimizer, 1, &total);
    if (status == DEEP_OK)
        status = deep_optimizer_set_tensors(optimizer, t, sizes, decays);
    free(params);
    free(sizes);
    free(decays);
    return status;
}
