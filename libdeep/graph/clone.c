/* Copies between models: all weights from one model to another of the same architecture
 * (the target network of DQN) and the architecture alone (Keras' clone_model). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/model.h"
#include "tensor/tensor.h"

/* Same layer types and, weight by weight, the same shapes: then the weight blocks have the
 * same layout and one copy moves everything. */
static deep_status check_same_architecture(const deep_model *dst, const deep_model *src, const char *caller)
{
    if (dst->layer_count != src->layer_count)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "dst has %d layers but src has %d", (int)dst->layer_count,
                              (int)src->layer_count);
    for (int32_t i = 0; i < dst->layer_count; i++) {
        const deep_layer *a = dst->layers[i], *b = src->layers[i];
        if (a->ops != b->ops || a->param_count != b->param_count)
            return deep_error_set(DEEP_ERR_SHAPE, caller, "layer %d is %s (%s) in dst but %s (%s) in src", (int)i,
                                  a->name, a->ops->class_name, b->name, b->ops->class_name);
        for (int32_t p = 0; p < a->param_count; p++) {
            const deep_param *pa = &a->params[p], *pb = &b->params[p];
            if (pa->rank != pb->rank || memcmp(pa->shape, pb->shape, (size_t)pa->rank * sizeof *pa->shape) != 0) {
                char sa[128], sb[128];
                return deep_error_set(DEEP_ERR_SHAPE, caller,
                                      "weight %s of layer %d (%s) has shape %s in dst but %s in src", pa->name, (int)i, a->name, deep_shape_format(sa, sizeof sa, pa->rank, pa->shape),
                                      deep_shape_format(sb, sizeof sb, pb->rank, pb->shape));
            }
        }
    }
    return DEEP_OK;
}

/* Loading refuses non-finite weights; so does a copy, naming the first one. */
static deep_status check_finite(const deep_model *src, const char *caller)
{
    for (int32_t i = 0; i < src->layer_count; i++)
        for (int32_t p = 0; p < src->layers[i]->param_count; p++) {
            const deep_param *param = &src->layers[i]->params[p];
            for (int64_t k = 0; k < param->size; k++)
                if (!isfinite(param->value[k]))
                    return deep_error_set(DEEP_ERR_NUMERIC, caller,
                                          "weight %s of layer %d (%s) in src holds %s at entry %lld; dst is unchanged",
                                          param->name, (int)i, src->layers[i]->name,
                                          isnan(param->value[k]) ? "NaN" : "an infinity", (long long)k);
        }
    return DEEP_OK;
}

deep_status deep_model_copy_weights(deep_model *dst, const deep_model *src)
{
    DEEP_REQUIRE(dst);
    DEEP_REQUIRE(src);
    if (!src->compiled && !src->built)
        return DEEP_FAIL(DEEP_ERR_STATE, "src has no weights before deep_model_build or deep_model_compile");
    if (!dst->compiled && !dst->built)
        return DEEP_FAIL(DEEP_ERR_STATE, "dst has no weights before deep_model_build or deep_model_compile");
    DEEP_TRY(check_same_architecture(dst, src, __func__));
    DEEP_TRY(deep_model_may_change(dst, __func__, "the weights cannot change", true));
    DEEP_TRY(check_finite(src, __func__));
    /* Weight by weight: a sub-model's weights lie in the block of the model it was cut from. */
    for (int32_t i = 0; dst != src && i < dst->layer_count; i++)
        for (int32_t p = 0; p < dst->layers[i]->param_count; p++)
            memcpy(dst->layers[i]->params[p].value, src->layers[i]->params[p].value,
                   (size_t)src->layers[i]->params[p].size * sizeof(float));
    return DEEP_OK;
}

deep_status deep_model_clone(const deep_model *src, deep_model **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(src);
    deep_model *clone = calloc(1, sizeof *clone);
    if (clone == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
    atomic_init(&clone->busy, 0);
    /* Each layer is added from its configuration, as the loader does, so the clone is
     * checked and built exactly as src was; names and node numbers come out the same. */
    deep_status status = deep_model_replay(src, clone, __func__);
    if (status != DEEP_OK) {
        deep_model_free(clone);
        return status;
    }
    deep_model_copy_settings(src, clone);
    *out = clone;
    return DEEP_OK;
}
