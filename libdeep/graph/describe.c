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

enum { LINE_FUNCTIONAL = 98 };

/* The summary's last lines: the parameter counts, then a rule `line` long. */
static void totals(const deep_model *model, deep_bytes *t, int line)
{
    int64_t all = total_parameters(model, false), trainable = total_parameters(model, true);
    char total[40], train[40], frozen[40], rule[128];
    group_thousands(all, total, sizeof total);
    group_thousands(trainable, train, sizeof train);
    group_thousands(all - trainable, frozen, sizeof frozen);
    memset(rule, '_', (size_t)line);
    rule[line] = '\0';
    deep_bytes_printf(t, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n", total, train,
                      frozen, rule);
}

/* "dense_1 (Dense)": the first column of the summary. */
static int layer_label(const deep_layer *layer, char *buf, size_t capacity)
{
    return snprintf(buf, capacity, "%s (%s)", layer->name, layer->ops->class_name);
}

static void functional_summary(const deep_model *model, deep_bytes *t);

static void summary_text(const deep_model *model, deep_bytes *t)
{
    if (!deep_model_is_sequential(model)) {
        functional_summary(model, t);
        totals(model, t, LINE_FUNCTIONAL);
        return;
    }
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
    totals(model, t, line);
}

/* "(None, 28, 28, 1)": a node's batch shape. */
static void batch_shape_text(int32_t rank, const int64_t *shape, char *buf, size_t capacity)
{
    char sample[128];
    deep_shape_format(sample, sizeof sample, rank, shape);
    snprintf(buf, capacity, "(None, %s", sample + 1);
    if (rank == 1) { /* "(None, 3,)" -> "(None, 3)" */
        size_t n = strlen(buf);
        buf[n - 2] = ')';
        buf[n - 1] = '\0';
    }
}

/* Keras' name of a node's output in "Connected to": the layer (input_<k> for the k-th
 * input, from 1), the call of that layer which made it, and the tensor (0, or a recurrent
 * call's state: 1 for h, 2 for c). */
static void node_name(const deep_model *model, int32_t node, char *buf, size_t capacity)
{
    int32_t part = model->nodes[node].part;
    if (part > 0)
        node = model->nodes[node].inputs[0];
    const deep_node *n = &model->nodes[node];
    int32_t index = 0;
    for (int32_t i = 0; i < node; i++)
        index += n->layer != NULL ? model->nodes[i].layer == n->layer && model->nodes[i].part == 0
                                  : model->nodes[i].layer == NULL;
    if (n->layer == NULL)
        snprintf(buf, capacity, "input_%d[0][0]", (int)index + 1);
    else
        snprintf(buf, capacity, "%s[%d][%d]", n->layer->name, (int)index, (int)part);
}

/* Keras' functional table: the inputs as InputLayer rows, then each layer with the nodes
 * its calls take. */
static void functional_summary(const deep_model *model, deep_bytes *t)
{
    enum { LABEL = 31, SHAPE = 21, PARAMS = 12, LINE = LINE_FUNCTIONAL };
    char rule[LINE + 1], thick[LINE + 1];
    memset(rule, '_', LINE);
    memset(thick, '=', LINE);
    rule[LINE] = thick[LINE] = '\0';
    deep_bytes_printf(t, "Model: \"model\"\n%s\n", rule);
    deep_bytes_printf(t, " %-*s%-*s%-*s%s\n%s\n", LABEL - 1, "Layer (type)", SHAPE, "Output Shape", PARAMS, "Param #",
                      "Connected to", thick);
    int32_t rows = model->input_count + model->layer_count, row = 0;
    for (int32_t i = 0; i < model->node_count; i++) {
        const deep_node *n = &model->nodes[i];
        if (n->layer != NULL && deep_model_node_of(model, n->layer) != i)
            continue; /* a shared layer has one row, its first call's */
        char label[112], shape[160], connected[1024] = "";
        size_t used = 0;
        batch_shape_text(n->rank, n->shape, shape, sizeof shape);
        if (n->layer == NULL) {
            char name[64];
            node_name(model, i, name, sizeof name);
            snprintf(label, sizeof label, "%.*s (InputLayer)", (int)(strlen(name) - 6), name);
            char bracketed[170];
            snprintf(bracketed, sizeof bracketed, "[%s]", shape);
            deep_bytes_printf(t, " %-*s%-*s%-*d[]\n", LABEL - 1, label, SHAPE, bracketed, PARAMS, 0);
        } else {
            layer_label(n->layer, label, sizeof label);
            for (int32_t j = i; j < model->node_count; j++) /* the inbound nodes of every call */
                for (int32_t k = 0; model->nodes[j].layer == n->layer && model->nodes[j].part == 0 &&
                                    k < model->nodes[j].input_count;
                     k++) {
                    char name[64];
                    node_name(model, model->nodes[j].inputs[k], name, sizeof name);
                    if (used + strlen(name) + 8 < sizeof connected)
                        used += (size_t)snprintf(connected + used, sizeof connected - used, "%s'%s'",
                                                 used ? ", " : "[", name);
                }
            deep_bytes_printf(t, " %-*s%-*s%-*lld%s]\n", LABEL - 1, label, SHAPE, shape, PARAMS,
                              (long long)layer_parameters(n->layer, false), connected);
        }
        deep_bytes_printf(t, "%s\n", ++row < rows ? "" : thick);
    }
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
    if (!model->compiled && !model->built)
        return deep_error_set(DEEP_ERR_STATE, caller, "weights are created by deep_model_build or deep_model_compile");
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
