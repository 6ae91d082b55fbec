/* Describing a model: the Keras summary table, layer and parameter counts, and reading
 * and writing weights. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "graph/model.h"
#include "tensor/tensor.h"

static int64_t layer_parameters(const deep_layer *layer, bool trainable_only)
{
    int64_t total = 0;
    for (int32_t p = 0; p < layer->param_count; p++)
        if (layer->params[p].trainable || !trainable_only)
            total += layer->params[p].size;
    return total;
}

static int64_t total_parameters(const deep_model *model, bool trainable_only)
{
    int64_t total = 0;
    for (int32_t i = 0; i < model->layer_count; i++)
        total += layer_parameters(model->layers[i], trainable_only);
    return total;
}

/* 1234567 -> "1,234,567", as Keras prints totals. */
static void group_thousands(int64_t value, char *buf, size_t capacity)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
    size_t used = 0;
    for (int i = 0; i < n && used + 2 < capacity; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[used++] = ',';
        buf[used++] = digits[i];
    }
    buf[used] = '\0';
}

/* "dense_1 (Dense)": the first column of the summary. */
static int layer_label(const deep_layer *layer, char *buf, size_t capacity)
{
    return snprintf(buf, capacity, "%s (%s)", layer->name, layer->ops->class_name);
}

static void summary_text(const deep_model *model, deep_bytes *t)
{
    /* Keras' column widths, with the first widened so that no label runs into the next. */
    int first = 28;
    for (int32_t i = 0; i < model->layer_count; i++) {
        char label[96];
        int length = layer_label(model->layers[i], label, sizeof label) + 1;
        first = length > first ? length : first;
    }
    char rule[128], thick[128];
    int line = first + 37;
    memset(rule, '_', (size_t)line);
    memset(thick, '=', (size_t)line);
    rule[line] = thick[line] = '\0';
    deep_bytes_printf(t, "Model: \"sequential\"\n%s\n", rule);
    deep_bytes_printf(t, " %-*s%-26s%-10s\n%s\n", first - 1, "Layer (type)", "Output Shape", "Param #", thick);
    for (int32_t i = 0; i < model->layer_count; i++) {
        const deep_layer *layer = model->layers[i];
        char label[96], shape[128], batch_shape[140];
        layer_label(layer, label, sizeof label);
        deep_shape_format(shape, sizeof shape, layer->out_rank, layer->out_shape);
        snprintf(batch_shape, sizeof batch_shape, "(None, %s", shape + 1);
        if (layer->out_rank == 1)
            batch_shape[strlen(batch_shape) - 2] = ')', batch_shape[strlen(batch_shape) - 1] = '\0';
        deep_bytes_printf(t, " %-*s%-26s%-10lld\n", first - 1, label, batch_shape,
                          (long long)layer_parameters(layer, false));
        deep_bytes_printf(t, "%s\n", i + 1 < model->layer_count ? "" : thick);
    }
    int64_t all = total_parameters(model, false), trainable = total_parameters(model, true);
    char total[40], train[40], frozen[40];
    group_thousands(all, total, sizeof total);
    group_thousands(trainable, train, sizeof train);
    group_thousands(all - trainable, frozen, sizeof frozen);
    deep_bytes_printf(t, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n", total, train,
                      frozen, rule);
}

deep_status deep_model_summary(const deep_model *model, char *buffer, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    deep_bytes t = {0};
    summary_text(model, &t);
    deep_status status = deep_bytes_copy_text(__func__, &t, "the summary", buffer, capacity, needed);
    deep_bytes_free(&t);
    return status;
}

deep_status deep_model_layer_count(const deep_model *model, int32_t *count)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(count);
    *count = model->layer_count;
    return DEEP_OK;
}

deep_status deep_model_parameter_count(const deep_model *model, int64_t *count)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(count);
    *count = total_parameters(model, false);
    return DEEP_OK;
}

deep_status deep_model_input_shape(const deep_model *model, int64_t *shape, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, shape, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    return deep_output_copy(__func__, "the shape", shape, capacity, needed, model->in_shape, model->in_rank,
                            sizeof *shape);
}

deep_status deep_model_output_shape(const deep_model *model, int64_t *shape, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, shape, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    const deep_node *last = &model->nodes[deep_model_output_node(model)];
    return deep_output_copy(__func__, "the shape", shape, capacity, needed, last->shape, last->rank, sizeof *shape);
}

static deep_status find_layer(const char *caller, const deep_model *model, int32_t layer, const deep_layer **out)
{
    if (model == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'model' is NULL");
    if (layer < 0 || layer >= model->layer_count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "layer %d is outside the model's %d layers", (int)layer,
                              (int)model->layer_count);
    *out = model->layers[layer];
    return DEEP_OK;
}

static deep_status find_weight(const char *caller, const deep_model *model, int32_t layer, int32_t index,
                               const deep_param **out)
{
    const deep_layer *l = NULL;
    DEEP_TRY(find_layer(caller, model, layer, &l));
    if (index < 0 || index >= l->param_count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "layer %d (%s) has %d weights, not %d", (int)layer,
                              l->name, (int)l->param_count, (int)index + 1);
    if (!model->compiled)
        return deep_error_set(DEEP_ERR_STATE, caller, "weights are created by deep_model_compile");
    *out = &l->params[index];
    return DEEP_OK;
}

deep_status deep_model_weight_count(const deep_model *model, int32_t layer, int32_t *count)
{
    DEEP_REQUIRE(count);
    const deep_layer *l = NULL;
    DEEP_TRY(find_layer(__func__, model, layer, &l));
    *count = l->param_count;
    return DEEP_OK;
}

deep_status deep_model_get_weight(const deep_model *model, int32_t layer, int32_t index, deep_tensor **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    const deep_param *p = NULL;
    DEEP_TRY(find_weight(__func__, model, layer, index, &p));
    DEEP_TRY(deep_tensor_create(__func__, p->rank, p->shape, false, out));
    memcpy((*out)->data, p->value, (size_t)p->size * sizeof(float));
    return DEEP_OK;
}

deep_status deep_model_set_weight(deep_model *model, int32_t layer, int32_t index, const deep_tensor *value)
{
    DEEP_REQUIRE(value);
    const deep_param *p = NULL;
    DEEP_TRY(find_weight(__func__, model, layer, index, &p));
    /* From fit's callbacks the weights may change: the next batch trains from them. */
    DEEP_TRY(deep_model_may_change(model, __func__, "the weights cannot change", true));
    if (value->rank != p->rank || memcmp(value->shape, p->shape, (size_t)p->rank * sizeof *p->shape) != 0) {
        char want[128], got[128];
        return DEEP_FAIL(DEEP_ERR_SHAPE, "layer %d %s has shape %s but the value has shape %s", (int)layer, p->name,
                         deep_shape_format(want, sizeof want, p->rank, p->shape),
                         deep_shape_format(got, sizeof got, value->rank, value->shape));
    }
    /* A non-finite weight would make every output NaN, and no file could hold it. */
    for (int64_t i = 0; i < p->size; i++)
        if (!isfinite(value->data[i]))
            return DEEP_FAIL(DEEP_ERR_NUMERIC, "the value for layer %d %s holds %s at element %lld; weights must "
                             "be finite", (int)layer, p->name, isnan(value->data[i]) ? "NaN" : "an infinity",
                             (long long)i);
    memcpy(p->value, value->data, (size_t)p->size * sizeof(float));
    return DEEP_OK;
}
