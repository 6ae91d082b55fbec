/* Keras' class_weight (since 1.2): a weight per class multiplying the loss of the training
 * samples of that class, as Keras turns class_weight into sample weights in fit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/model.h"

deep_status deep_model_set_class_weights(deep_model *model, const double *weights, int64_t count)
{
    DEEP_REQUIRE(model);
    if (count < 0 || count > INT32_MAX)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "count is %lld; it must be in [0, %d]", (long long)count,
                         INT32_MAX);
    if (count > 0)
        DEEP_REQUIRE(weights);
    for (int64_t c = 0; c < count; c++)
        if (!(weights[c] >= 0.0) || !isfinite(weights[c]))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "class weight %g of class %lld must be finite and >= 0",
                             weights[c], (long long)c);
    DEEP_TRY(deep_model_may_change(model, __func__, "the class weights cannot change", false));
    double *copy = NULL;
    if (count > 0) {
        if ((copy = deep_alloc(count, sizeof *copy)) == NULL)
            return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld class weights", (long long)count);
        memcpy(copy, weights, (size_t)count * sizeof *copy);
    }
    free(model->class_weights);
    model->class_weights = copy;
    model->class_weight_count = (int32_t)count;
    return DEEP_OK;
}

deep_status deep_model_get_class_weights(const deep_model *model, double *weights, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, weights, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    return deep_output_copy(__func__, "the class weights", weights, capacity, needed, model->class_weights,
                            model->class_weight_count, sizeof *weights);
}

/* Keras' class of a sample: its label, the argmax of a target row wider than one, or a
 * single target rounded. */
static int64_t sample_class(const int32_t *labels, const float *targets, int64_t i, int64_t width)
{
    if (labels != NULL)
        return labels[i];
    const float *row = targets + i * width;
    if (width == 1)
        return (int64_t)llround(row[0]);
    int64_t best = 0;
    for (int64_t j = 1; j < width; j++)
        best = row[j] > row[best] ? j : best;
    return best;
}

/* The width of the target rows scoring reads for the model's one output. */
static int64_t target_width(const deep_model *model)
{
    return model->nodes[deep_model_output_node(model)].size;
}

deep_status deep_model_check_class_weights(const deep_model *model, const int32_t *labels, const float *targets,
                                           int64_t count, const char *caller)
{
    if (model->class_weights == NULL)
        return DEEP_OK;
    const deep_node *out = &model->nodes[deep_model_output_node(model)];
    if (deep_model_output_count(model) > 1 || out->rank > 1)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                              "class weights need a model with one output of rank 1, as Keras' class_weight");
    for (int64_t i = 0; i < count; i++) {
        int64_t c = sample_class(labels, targets, i, target_width(model));
        if (c < 0 || c >= model->class_weight_count)
            return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                                  "sample %lld is of class %lld, which has no class weight (%d given)", (long long)i,
                                  (long long)c, (int)model->class_weight_count);
    }
    return DEEP_OK;
}

/* Scoring reads labels for the sparse loss and targets otherwise (labels gathered as
 * targets when the dataset has no targets), so the class comes from what it reads. */
void deep_model_weigh_classes(const deep_model *model, deep_workspace *ws, int64_t batch)
{
    if (model->class_weights == NULL)
        return;
    bool sparse = model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    for (int64_t b = 0; b < batch; b++) {
        int64_t c = sample_class(sparse ? ws->labels : NULL, ws->targets, b, target_width(model));
        /* fit checked every class; a class out of range cannot reach here */
        ws->sample_weights[b] *= c >= 0 && c < model->class_weight_count ? (float)model->class_weights[c] : 1.0f;
    }
    ws->weighted = true;
}
