/* Building a Sequential model: creation, layers, settings and compile. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/model.h"
#include "graph/rules.h"
#include "graph/optimize.h"
#include "kernels/kernels.h"
#include "losses/loss.h"
#include "optim/optim.h"
#include "tensor/tensor.h"

deep_status deep_model_new(int32_t rank, const int64_t *input_shape, deep_model **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(input_shape);
    int64_t size;
    DEEP_TRY(deep_sample_shape_check(__func__, "input_shape", rank, input_shape, &size));
    deep_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
    model->shuffle = true;
    model->replica_size = 1; /* an ordinary fit: replica 0 of 1 */
    model->huber_delta = 1.0; /* Keras' default */
    model->top_k = 5;               /* Keras' TopKCategoricalAccuracy */
    model->metric_threshold = 0.5;  /* Keras' Precision, Recall, BinaryAccuracy */
    deep_model_reset_metric_settings(model);
    model->verbose = true;
    deep_rng_init(&model->rng, 0);
    atomic_init(&model->busy, 0);
    int32_t node;
    if (deep_model_push_input(model, rank, input_shape, __func__, &node) != DEEP_OK) {
        free(model);
        return DEEP_ERR_NO_MEMORY;
    }
    *out = model;
    return DEEP_OK;
}

static void release_weights(deep_model *model)
{
    if (model->block != NULL && atomic_fetch_sub(&model->block->refs, 1) == 1) {
        free(model->block->values);
        free(model->block);
    }
    model->block = NULL;
    model->borrowed = false;
    free(model->grads);
    model->weights = model->grads = NULL;
    model->weight_total = 0;
    for (int32_t i = 0; i < model->layer_count; i++)
        for (int32_t p = 0; p < model->layers[i]->param_count; p++)
            model->layers[i]->params[p].value = model->layers[i]->params[p].grad = NULL;
}

void deep_model_forget_stopping(deep_model *model)
{
    if (model->stopping.loaded)
        free(model->stopping.weights);
    model->stopping = (struct deep_stopping){0};
}

void deep_model_free(deep_model *model)
{
    if (model == NULL)
        return;
    deep_model_forget_stopping(model);
    deep_model_release_online(model); /* before the layers it is sized by */
    deep_model_release_predict(model); /* the same */
    release_weights(model);
    for (int32_t i = 0; i < model->layer_count; i++)
        free(model->layers[i]);
    free(model->layers);
    free(model->nodes);
    deep_optimizer_free(model->optimizer);
    deep_pool_free(model->pool);
    free(model->history);
    free(model->checkpoint_path);
    free(model->class_weights);
    free(model);
}

/* Keras names layers by type: "dense", then "dense_1", "dense_2", ... */
static void name_layer(const deep_model *model, deep_layer *layer)
{
    int same = 0;
    for (int32_t i = 0; i < model->layer_count; i++)
        if (model->layers[i]->ops == layer->ops)
            same++;
    /* Past the names given to other layers (deep_model_set_layer_name), as Keras makes
     * names unique. */
    for (;; same++) {
        if (same == 0)
            snprintf(layer->name, sizeof layer->name, "%s", layer->ops->type);
        else
            snprintf(layer->name, sizeof layer->name, "%s_%d", layer->ops->type, same);
        if (!deep_model_name_taken(model, layer->name, NULL))
            return;
    }
}

/* What every built layer must satisfy, whatever its type, so that the model can be saved,
 * loaded, compiled and run: its output is a sample (deep_sample_shape_check, which sets
 * out_size) and its working memory per sample is at most DEEP_MAX_LAYER_SIZE, which keeps
 * every batch-sized buffer (batch <= INT32_MAX samples) within int64_t. Its weights were
 * checked as it declared them. */
static deep_status check_built(const deep_model *model, deep_layer *layer, const char *caller)
{
    char what[96];
    snprintf(what, sizeof what, "the output of layer %d (%s)", (int)model->layer_count, layer->name);
    DEEP_TRY(deep_sample_shape_check(caller, what, layer->out_rank, layer->out_shape, &layer->out_size));
    if (layer->scratch_size > DEEP_MAX_LAYER_SIZE || layer->scratch_fixed > DEEP_MAX_LAYER_SIZE)
        return deep_error_set(DEEP_ERR_OVERFLOW, caller,
                              "layer %d (%s): its working memory of %lld values per sample (plus %lld) is more "
                              "than %lld",
                              (int)model->layer_count, layer->name, (long long)layer->scratch_size,
                              (long long)layer->scratch_fixed, (long long)DEEP_MAX_LAYER_SIZE);
    return DEEP_OK;
}

static deep_status grow_nodes(deep_model *model, const char *caller)
{
    if (model->node_count < model->node_capacity)
        return DEEP_OK;
    if (model->node_count >= INT32_MAX / 2)
        return deep_error_set(DEEP_ERR_OVERFLOW, caller, "the model has %d nodes already", (int)model->node_count);
    int32_t capacity = model->node_capacity ? 2 * model->node_capacity : 8;
    deep_node *grown = realloc(model->nodes, (size_t)capacity * sizeof *grown);
    if (grown == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    model->nodes = grown;
    model->node_capacity = capacity;
    return DEEP_OK;
}

deep_status deep_model_push_input(deep_model *model, int32_t rank, const int64_t *shape, const char *caller,
                                  int32_t *node)
{
    int64_t size;
    DEEP_TRY(deep_sample_shape_check(caller, "input_shape", rank, shape, &size));
    if (model->input_count == DEEP_MAX_MODEL_INPUTS)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "a model takes at most %d inputs",
                              DEEP_MAX_MODEL_INPUTS);
    if (model->in_size + size > DEEP_MAX_LAYER_SIZE)
        return deep_error_set(DEEP_ERR_OVERFLOW, caller,
                              "the inputs would have %lld features per sample in all, more than %lld",
                              (long long)(model->in_size + size), (long long)DEEP_MAX_LAYER_SIZE);
    DEEP_TRY(grow_nodes(model, caller));
    deep_node *n = &model->nodes[model->node_count];
    memset(n, 0, sizeof *n);
    n->rank = rank;
    memcpy(n->shape, shape, (size_t)rank * sizeof *shape);
    n->size = size;
    n->offset = model->in_size;
    if (model->input_count == 0) {
        model->in_rank = rank;
        memcpy(model->in_shape, shape, (size_t)rank * sizeof *shape);
    }
    model->in_size += size;
    model->inputs[model->input_count++] = model->node_count;
    *node = model->node_count++;
    return DEEP_OK;
}

/* Whether a merge call's output has a mask, from which of its inputs have one (sources[]
 * of its inputs); fails when the layer cannot combine them. */
static deep_status merged_mask(const deep_node *n, const int32_t *sources, int32_t *source)
{
    bool masked[DEEP_MAX_LAYER_INPUTS], has = false;
    *source = -1;
    for (int32_t k = 0; k < n->input_count; k++) {
        masked[k] = sources[n->inputs[k]] >= 0;
        if (masked[k] && *source < 0)
            *source = sources[n->inputs[k]];
    }
    if (*source < 0)
        return DEEP_OK;
    DEEP_TRY(n->layer->ops->mask_merged(n->layer, masked, &has));
    *source = has ? *source : -1;
    return DEEP_OK;
}

deep_status deep_model_mask_sources(const deep_model *model, int32_t count, int32_t *sources, const char *caller)
{
    for (int32_t i = 0; i < count; i++) {
        const deep_node *n = &model->nodes[i];
        sources[i] = -1;
        if (n->layer == NULL || n->part > 0) /* an input; a state has no time axis */
            continue;
        switch (deep_layer_mask_flow(n->layer)) {
        case DEEP_MASK_MADE: sources[i] = i; break;
        case DEEP_MASK_KEPT: sources[i] = sources[n->inputs[0]]; break;
        case DEEP_MASK_MERGED:
            if (merged_mask(n, sources, &sources[i]) != DEEP_OK)
                return deep_error_wrap(DEEP_ERR_SHAPE, caller, "layer %d (%s)",
                                       (int)deep_model_layer_position(model, n->layer), n->layer->name);
            break;
        case DEEP_MASK_REFUSED:
        case DEEP_MASK_ENDS: break;
        }
    }
    return DEEP_OK;
}

/* Every node's mask source, in a new array (node_count entries, at least one) the caller
 * frees; errors name caller. */
static deep_status all_mask_sources(const deep_model *model, const char *caller, int32_t **sources)
{
    *sources = malloc((size_t)(model->node_count > 0 ? model->node_count : 1) * sizeof **sources);
    if (*sources == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    deep_status status = deep_model_mask_sources(model, model->node_count, *sources, caller);
    if (status != DEEP_OK) {
        free(*sources);
        *sources = NULL;
    }
    return status;
}

deep_status deep_model_find_mask_source(const deep_model *model, int32_t node, const char *caller, int32_t *source)
{
    int32_t *sources;
    DEEP_TRY(all_mask_sources(model, caller, &sources));
    *source = sources[node];
    free(sources);
    return DEEP_OK;
}

int32_t deep_model_mask_source(const deep_model *model, int32_t node)
{
    int32_t source = -1;
    return deep_model_find_mask_source(model, node, __func__, &source) == DEEP_OK ? source : -1;
}

int32_t deep_model_layer_position(const deep_model *model, const deep_layer *layer)
{
    for (int32_t i = 0; i < model->layer_count; i++)
        if (model->layers[i] == layer)
            return i;
    return -1;
}

int32_t deep_layer_state_count(const deep_layer *layer)
{
    if (!(layer->ops->flags & DEEP_LAYER_STATES))
        return 0;
    if (layer->ops->state_count != NULL)
        return layer->ops->state_count(layer);
    return layer->ops->flags & DEEP_LAYER_CELL_STATE ? 2 : 1;
}

const char *deep_layer_state_name(const deep_layer *layer, int32_t k)
{
    static const char *const one[] = {"h", "c"};
    static const char *const two[][4] = {{"forward_h", "backward_h"},
                                         {"forward_h", "forward_c", "backward_h", "backward_c"}};
    int32_t count = deep_layer_state_count(layer);
    if (layer->ops->state_count == NULL)
        return one[k];
    return two[count == 4][k];
}

/* "[h, c]", "[forward_h, backward_h]", ...: the states a layer takes, for messages. */
static void state_list(const deep_layer *layer, char *buf, size_t capacity)
{
    size_t used = (size_t)snprintf(buf, capacity, "[");
    for (int32_t k = 0; k < deep_layer_state_count(layer) && used < capacity; k++)
        used += (size_t)snprintf(buf + used, capacity - used, "%s%s", k ? ", " : "", deep_layer_state_name(layer, k));
    if (used < capacity)
        snprintf(buf + used, capacity - used, "]");
}

/* Keras' initial_state: a recurrent call on [sequence, h0] (or [sequence, h0, c0] for an
 * LSTM), each state (units,) per sample. */
static deep_status check_initial_states(const deep_model *model, const deep_layer *layer, int32_t position,
                                        int32_t count, const int32_t *inputs, const char *caller)
{
    int32_t states = deep_layer_state_count(layer);
    int64_t units = layer->cfg.rnn.units;
    char names[96];
    state_list(layer, names, sizeof names);
    if (count != 1 + states)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "layer %d (%s, %s) takes its sequence and %s (initial states), not %d nodes",
                              (int)position, layer->name, layer->ops->class_name, names, (int)count);
    for (int32_t k = 1; k < count; k++) {
        const deep_node *n = &model->nodes[inputs[k]];
        if (n->rank != 1 || n->shape[0] != units) {
            char got[128];
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "layer %d (%s): initial state %s must have shape (%lld,) (its units); node %d has "
                                  "shape %s", (int)position, layer->name, deep_layer_state_name(layer, k - 1),
                                  (long long)units,
                                  (int)inputs[k], deep_shape_format(got, sizeof got, n->rank, n->shape));
        }
    }
    return DEEP_OK;
}

deep_status deep_model_push_states(deep_model *model, int32_t call, const char *caller)
{
    if (model->nodes[call].states[0] > 0)
        return DEEP_OK;
    const deep_layer *layer = model->nodes[call].layer;
    int32_t count = deep_layer_state_count(layer);
    for (int32_t k = 0; k < count; k++) {
        DEEP_TRY(grow_nodes(model, caller));
        deep_node *n = &model->nodes[model->node_count];
        memset(n, 0, sizeof *n);
        n->layer = model->nodes[call].layer;
        n->part = k + 1;
        n->input_count = 1;
        n->inputs[0] = call;
        n->rank = 1;
        n->shape[0] = layer->cfg.rnn.units;
        n->size = layer->cfg.rnn.units;
        model->nodes[call].states[k] = model->node_count++;
    }
    return DEEP_OK;
}

/* Checks that a layer (new, or one applied again) takes the given input nodes: one node
 * unless it merges, the shapes a shared layer was built for, and no mask it refuses. With
 * `build` the layer takes the nodes' shapes as its input shapes. */
static deep_status check_call(const deep_model *model, deep_layer *layer, int32_t position, int32_t count,
                              const int32_t *inputs, bool build, const char *caller)
{
    bool merge = (layer->ops->flags & DEEP_LAYER_MERGE) != 0;
    int32_t states = deep_layer_state_count(layer);
    if (states > 0 && count != 1)
        DEEP_TRY(check_initial_states(model, layer, position, count, inputs, caller));
    else if (!merge && count != 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "layer %d (%s, %s) takes one input, not %d; only merge layers (Add, Concatenate, "
                              "...) take several", (int)position, layer->name, layer->ops->class_name, (int)count);
    if (merge && count < 2)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "layer %d (%s, %s) merges 2 or more inputs; choose them with deep_model_connect first",
                              (int)position, layer->name, layer->ops->class_name);
    int32_t *sources;
    DEEP_TRY(all_mask_sources(model, caller, &sources));
    for (int32_t k = 0; k < (states > 0 ? 1 : count); k++) { /* a recurrent layer's states are checked */
        const deep_node *n = &model->nodes[inputs[k]];
        if (build) {
            layer->in_ranks[k] = n->rank;
            memcpy(layer->in_shapes[k], n->shape, sizeof n->shape);
            layer->in_sizes[k] = n->size;
        } else if (n->rank != layer->in_ranks[k] ||
                   memcmp(n->shape, layer->in_shapes[k], (size_t)n->rank * sizeof *n->shape) != 0) {
            char got[128], want[128];
            free(sources);
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "layer %d (%s) was built for input %d of shape %s; node %d has shape %s (a shared "
                                  "layer takes the same shapes at every call)",
                                  (int)position, layer->name, (int)k,
                                  deep_shape_format(want, sizeof want, layer->in_ranks[k], layer->in_shapes[k]),
                                  (int)inputs[k], deep_shape_format(got, sizeof got, n->rank, n->shape));
        }
        int32_t source = sources[inputs[k]];
        if (source >= 0 && !merge && deep_layer_mask_flow(layer) == DEEP_MASK_REFUSED) {
            const deep_layer *masking = model->nodes[source].layer;
            free(sources);
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "layer %d (%s): %s does not take masked inputs, and layer %d (%s) masks the steps "
                                  "before it; end the mask first with a recurrent layer without return_sequences",
                                  (int)position, layer->name, layer->ops->class_name,
                                  (int)deep_model_layer_position(model, masking), masking->name);
        }
    }
    free(sources);
    if (build) {
        layer->input_count = states > 0 ? 1 : count;
        layer->in_rank = layer->in_ranks[0];
        memcpy(layer->in_shape, layer->in_shapes[0], sizeof layer->in_shape);
        layer->in_size = layer->in_sizes[0];
    }
    return DEEP_OK;
}

/* A merge call's masks: fails when its layer (built) cannot combine the masks these inputs
 * carry (a masked input broadcast along the steps). */
static deep_status check_merged_mask(const deep_model *model, const deep_layer *layer, int32_t position,
                                     int32_t count, const int32_t *inputs, const char *caller)
{
    if (deep_layer_mask_flow(layer) != DEEP_MASK_MERGED)
        return DEEP_OK;
    int32_t *sources, source;
    DEEP_TRY(all_mask_sources(model, caller, &sources));
    deep_node call = {.layer = (deep_layer *)layer, .input_count = count};
    memcpy(call.inputs, inputs, (size_t)count * sizeof *inputs);
    deep_status status = merged_mask(&call, sources, &source);
    free(sources);
    return status == DEEP_OK ? DEEP_OK
                             : deep_error_wrap(status, caller, "layer %d (%s)", (int)position, layer->name);
}

/* Appends a node calling `layer` (owned by the model) on `inputs`, its shapes checked. */
static deep_status push_call(deep_model *model, deep_layer *layer, int32_t count, const int32_t *inputs,
                             const char *caller, int32_t *node)
{
    DEEP_TRY(grow_nodes(model, caller));
    deep_node *n = &model->nodes[model->node_count];
    memset(n, 0, sizeof *n);
    n->layer = layer;
    n->input_count = count;
    memcpy(n->inputs, inputs, (size_t)count * sizeof *inputs);
    n->rank = layer->out_rank;
    memcpy(n->shape, layer->out_shape, sizeof n->shape);
    n->size = layer->out_size;
    *node = model->node_count++;
    return DEEP_OK;
}

/* The nodes the next new layer takes: deep_model_connect's, else the last node. */
static int32_t next_inputs(const deep_model *model, int32_t *inputs)
{
    if (model->pending_count > 0) {
        memcpy(inputs, model->pending, (size_t)model->pending_count * sizeof *inputs);
        return model->pending_count;
    }
    inputs[0] = model->node_count - 1;
    return 1;
}

/* Adds a configured layer, built against its input nodes, and the node calling it. The
 * model is unchanged when the layer does not fit. With a context (the loader's), build
 * errors are wrapped in it instead of naming the layer. */
static deep_status add_layer(deep_model *model, deep_layer *layer, const char *caller, const char *context)
{
    if (model->compiled || model->borrowed || model->built)
        return deep_error_set(DEEP_ERR_STATE, caller, "layers cannot be added after deep_model_%s%s",
                              model->built ? "build" : "compile", model->borrowed ? " nor to a sub-model" : "");
    int32_t inputs[DEEP_MAX_LAYER_INPUTS];
    int32_t count = next_inputs(model, inputs);
    name_layer(model, layer);
    DEEP_TRY(check_call(model, layer, model->layer_count, count, inputs, true, caller));
    deep_status status = layer->ops->build(layer);
    if (status != DEEP_OK)
        return context != NULL ? status /* deep_layer_append wraps it */
                               : deep_error_wrap(status, caller, "layer %d (%s)", (int)model->layer_count, layer->name);
    DEEP_TRY(check_built(model, layer, caller));
    DEEP_TRY(check_merged_mask(model, layer, model->layer_count, count, inputs, caller));

    if (model->layer_count == model->layer_capacity) {
        int32_t capacity = model->layer_capacity ? 2 * model->layer_capacity : 8;
        deep_layer **grown = realloc(model->layers, (size_t)capacity * sizeof *grown);
        if (grown == NULL)
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
        model->layers = grown;
        model->layer_capacity = capacity;
    }
    deep_layer *owned = malloc(sizeof *owned);
    if (owned == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    *owned = *layer;
    int32_t node;
    if (push_call(model, owned, count, inputs, caller, &node) != DEEP_OK) {
        free(owned);
        return DEEP_ERR_NO_MEMORY;
    }
    model->layers[model->layer_count++] = owned;
    model->pending_count = 0;
    return DEEP_OK;
}

deep_status deep_model_call_layer(deep_model *model, int32_t position, int32_t count, const int32_t *inputs,
                                  const char *caller, int32_t *node)
{
    deep_layer *layer = model->layers[position];
    DEEP_TRY(check_call(model, layer, position, count, inputs, false, caller));
    DEEP_TRY(check_merged_mask(model, layer, position, count, inputs, caller));
    return push_call(model, layer, count, inputs, caller, node);
}

/* Recurrent layers need (timesteps, features) inputs. Stacked on a recurrent layer that
 * returns only its last output, the message says what to change. */
static deep_status check_stacking(deep_model *model, deep_layer *layer, const char *caller)
{
    int32_t inputs[DEEP_MAX_LAYER_INPUTS];
    if (model->compiled || next_inputs(model, inputs) != 1 || !deep_layer_is_recurrent(layer))
        return DEEP_OK;
    const deep_layer *prev = model->nodes[inputs[0]].layer;
    if (prev == NULL || !deep_layer_is_recurrent(prev) || prev->cfg.rnn.return_sequences)
        return DEEP_OK;
    name_layer(model, layer);
    int32_t prev_position = deep_model_layer_position(model, prev);
    return deep_error_set(DEEP_ERR_SHAPE, caller,
                          "layer %d (%s): %s needs (timesteps, features) inputs but layer %d (%s) returns only its "
                          "last output, (%lld,); add that layer with return_sequences=1 to stack recurrent layers",
                          (int)model->layer_count, layer->name, layer->ops->class_name, (int)prev_position,
                          prev->name, (long long)prev->out_shape[0]);
}

static deep_status append(deep_model *model, const deep_layer_ops *type, const void *config, bool replace_last,
                          const char *caller, const char *context)
{
    if (model == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'model' is NULL");
    if (type->config_size > sizeof(deep_layer_config))
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller, "the %s config does not fit", type->type);
    deep_layer layer;
    memset(&layer, 0, sizeof layer);
    layer.ops = type;
    if (type->config_size > 0)
        memcpy(layer.cfg.bytes, config, type->config_size);
    DEEP_TRY(deep_layer_config_check(type, layer.cfg.bytes, caller));
    if (!replace_last)
        return check_stacking(model, &layer, caller) == DEEP_OK ? add_layer(model, &layer, caller, context)
                                                                : DEEP_ERR_SHAPE;
    /* A wrapper takes the place of the last layer, on the same inputs: the last layer must
     * be called once, by the last node. */
    if (model->compiled || model->layer_count == 0)
        return deep_error_set(DEEP_ERR_STATE, caller, "no layer to replace");
    int32_t position = model->layer_count - 1;
    deep_layer *last = model->layers[position];
    deep_node last_node = model->nodes[model->node_count - 1];
    if (last_node.layer != last || deep_model_node_of(model, last) != model->node_count - 1)
        return deep_error_set(DEEP_ERR_STATE, caller,
                              "layer %d (%s) is not only the last node's layer; wrap a layer right after adding it",
                              (int)position, last->name);
    /* The wrapper's copies have the wrapped layer's weights: they keep its weight rules. */
    layer.rules = last->rules;
    int32_t saved_pending[DEEP_MAX_LAYER_INPUTS], saved_count = model->pending_count;
    memcpy(saved_pending, model->pending, sizeof saved_pending);
    model->layer_count--;
    model->node_count--;
    if (saved_count == 0) { /* the wrapped layer's inputs; else the nodes connected since (its states) */
        model->pending_count = last_node.input_count;
        memcpy(model->pending, last_node.inputs, sizeof last_node.inputs);
    }
    deep_status status = add_layer(model, &layer, caller, context);
    if (status != DEEP_OK) {
        model->layers[position] = last;
        model->layer_count = position + 1;
        model->nodes[model->node_count++] = last_node;
        model->pending_count = saved_count;
        memcpy(model->pending, saved_pending, sizeof saved_pending);
        return status;
    }
    model->pending_count = 0; /* the wrapper took them */
    free(last);
    return DEEP_OK;
}

deep_status deep_layer_append(deep_model *model, const deep_layer_ops *type, const void *config, bool replace_last,
                              const char *caller, const char *context)
{
    deep_status status = append(model, type, config, replace_last, caller, context);
    /* In a file, a layer that does not fit is a damaged file. */
    if (status != DEEP_OK && context != NULL)
        return deep_error_wrap(status == DEEP_ERR_NO_MEMORY ? status : DEEP_ERR_FORMAT, caller, "%s", context);
    return status;
}

deep_status deep_model_last_layer(const deep_model *model, const char *caller, const deep_layer **last,
                                  int32_t *position)
{
    if (model->compiled || model->built)
        return deep_error_set(DEEP_ERR_STATE, caller, "layers cannot be wrapped after deep_model_%s",
                              model->built ? "build" : "compile");
    *position = model->layer_count - 1;
    *last = model->layer_count > 0 ? model->layers[model->layer_count - 1] : NULL;
    return DEEP_OK;
}

/* The layer an option call addresses, its field and the struct holding it (a wrapped
 * layer's inside Bidirectional), once the option, the layer and the call fit. */
static deep_status option_target(const char *caller, const deep_model *model, int32_t index,
                                 deep_layer_option option, bool as_float, bool setting, deep_layer **out,
                                 const deep_layer_field **field, void **config)
{
    const char *name = deep_layer_option_name(option);
    if (name == NULL)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown layer option %d", (int)option);
    if (index < -model->layer_count || index >= model->layer_count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "layer %d is outside the model's %d layers", (int)index,
                              (int)model->layer_count);
    if (setting && (model->compiled || model->built))
        return deep_error_set(DEEP_ERR_STATE, caller, "layer options are set before deep_model_%s",
                              model->built ? "build" : "compile");
    int32_t position = index < 0 ? index + model->layer_count : index;
    deep_layer *layer = model->layers[position];
    const void *at = layer->cfg.bytes;
    const deep_layer_field *f = deep_layer_option_field(layer->ops, option, &at);
    if (f == NULL)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "option %s does not apply to layer %d (%s, %s)", name,
                              (int)position, layer->name, layer->ops->class_name);
    bool is_float = deep_field_is_float(f->kind);
    if (is_float != as_float)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "option %s is %s; use deep_model_%s_layer_%s", name,
                              is_float ? "a float" : "an integer", setting ? "set" : "get", is_float ? "float" : "int");
    *out = layer;
    *field = f;
    *config = (char *)layer->cfg.bytes + ((const char *)at - (const char *)layer->cfg.bytes);
    return DEEP_OK;
}

/* Builds an existing layer again after an option changed, and checks that every call of a
 * layer still takes the mask that reaches it. */
static deep_status rebuild_for_option(deep_model *model, deep_layer *layer, const char *caller)
{
    int32_t position = deep_model_layer_position(model, layer);
    if (layer->ops->build(layer) != DEEP_OK)
        return deep_error_wrap(DEEP_ERR_SHAPE, caller, "layer %d (%s)", (int)position, layer->name);
    int32_t *sources;
    DEEP_TRY(all_mask_sources(model, caller, &sources));
    for (int32_t i = 0; i < model->node_count; i++) {
        const deep_node *n = &model->nodes[i];
        if (n->layer == NULL || n->part > 0 || deep_layer_mask_flow(n->layer) != DEEP_MASK_REFUSED)
            continue;
        int32_t source = sources[n->inputs[0]];
        if (source >= 0) {
            const deep_layer *masking = model->nodes[source].layer;
            free(sources);
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "layer %d (%s) would mask the steps, but layer %d (%s, %s) after it does not "
                                  "take masked inputs", (int)deep_model_layer_position(model, masking), masking->name,
                                  (int)deep_model_layer_position(model, n->layer), n->layer->name,
                                  n->layer->ops->class_name);
        }
    }
    free(sources);
    return DEEP_OK;
}

/* Sets the option's field to the value (already in the field's C type in `value`),
 * checks it with the table and the type's check, then builds the layer again: options may
 * change the weights' shapes (reset_after) or what the layer accepts (mask_zero). On any
 * failure the old value comes back. */
static deep_status set_option(deep_model *model, deep_layer *target, const deep_layer_field *f, void *config,
                              const void *value, size_t size, const char *caller)
{
    unsigned char before[sizeof(double)];
    char *at = (char *)config + f->offset;
    memcpy(before, at, size);
    memcpy(at, value, size);
    deep_status status = deep_field_check(f, config, caller);
    if (status == DEEP_OK)
        status = deep_layer_config_check(target->ops, target->cfg.bytes, caller);
    if (status == DEEP_OK)
        status = rebuild_for_option(model, target, caller);
    if (status != DEEP_OK) {
        char reason[512];
        snprintf(reason, sizeof reason, "%s", deep_error_reason());
        memcpy(at, before, size);
        rebuild_for_option(model, target, caller);
        return deep_error_set(status, caller, "%s", reason);
    }
    return DEEP_OK;
}

deep_status deep_model_set_layer_int(deep_model *model, int32_t layer, deep_layer_option option, int64_t value)
{
    DEEP_REQUIRE(model);
    deep_layer *target = NULL;
    const deep_layer_field *f = NULL;
    void *config = NULL;
    DEEP_TRY(option_target(__func__, model, layer, option, false, true, &target, &f, &config));
    if (value != 0 && value != 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %s takes 0 or 1, not %lld", f->name, (long long)value);
    bool flag = value != 0;
    return set_option(model, target, f, config, &flag, sizeof flag, __func__);
}

deep_status deep_model_set_layer_float(deep_model *model, int32_t layer, deep_layer_option option, double value)
{
    DEEP_REQUIRE(model);
    deep_layer *target = NULL;
    const deep_layer_field *f = NULL;
    void *config = NULL;
    DEEP_TRY(option_target(__func__, model, layer, option, true, true, &target, &f, &config));
    /* Checked as the float the layer keeps: 0.99999999 would round to 1. */
    float stored = (float)value;
    return set_option(model, target, f, config, &stored, sizeof stored, __func__);
}

deep_status deep_model_get_layer_int(const deep_model *model, int32_t layer, deep_layer_option option,
                                     int64_t *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    deep_layer *target = NULL;
    const deep_layer_field *f = NULL;
    void *config = NULL;
    DEEP_TRY(option_target(__func__, model, layer, option, false, false, &target, &f, &config));
    *value = *(const bool *)(const void *)((const char *)config + f->offset);
    return DEEP_OK;
}

deep_status deep_model_get_layer_float(const deep_model *model, int32_t layer, deep_layer_option option,
                                       double *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    deep_layer *target = NULL;
    const deep_layer_field *f = NULL;
    void *config = NULL;
    DEEP_TRY(option_target(__func__, model, layer, option, true, false, &target, &f, &config));
    *value = *(const float *)(const void *)((const char *)config + f->offset);
    return DEEP_OK;
}

deep_status deep_model_may_change(const deep_model *model, const char *caller, const char *what, bool during_fit)
{
    if (!atomic_load(&model->busy))
        return DEEP_OK;
    if (!deep_model_fitting_here(model))
        return deep_error_set(DEEP_ERR_THREAD, caller, "the model is being trained or evaluated by another call");
    if (during_fit)
        return DEEP_OK;
    return deep_error_set(DEEP_ERR_STATE, caller, "%s from a callback of the running deep_model_fit; set it before fit",
                          what);
}

static const char *model_option_name(deep_model_option option)
{
    switch (option) {
    case DEEP_MODEL_THREADS: return "DEEP_MODEL_THREADS";
    case DEEP_MODEL_SHUFFLE: return "DEEP_MODEL_SHUFFLE";
    case DEEP_MODEL_VALIDATION_SPLIT: return "DEEP_MODEL_VALIDATION_SPLIT";
    case DEEP_MODEL_EARLY_STOPPING_PATIENCE: return "DEEP_MODEL_EARLY_STOPPING_PATIENCE";
    case DEEP_MODEL_EARLY_STOPPING_MIN_DELTA: return "DEEP_MODEL_EARLY_STOPPING_MIN_DELTA";
    case DEEP_MODEL_VERBOSE: return "DEEP_MODEL_VERBOSE";
    case DEEP_MODEL_CHECKPOINT_PERIOD: return "DEEP_MODEL_CHECKPOINT_PERIOD";
    case DEEP_MODEL_INITIAL_EPOCH: return "DEEP_MODEL_INITIAL_EPOCH";
    case DEEP_MODEL_CHECKPOINT_PATH: return "DEEP_MODEL_CHECKPOINT_PATH";
    case DEEP_MODEL_HUBER_DELTA: return "DEEP_MODEL_HUBER_DELTA";
    case DEEP_MODEL_FROM_LOGITS: return "DEEP_MODEL_FROM_LOGITS";
    case DEEP_MODEL_LABEL_SMOOTHING: return "DEEP_MODEL_LABEL_SMOOTHING";
    case DEEP_MODEL_TOP_K: return "DEEP_MODEL_TOP_K";
    case DEEP_MODEL_METRIC_THRESHOLD: return "DEEP_MODEL_METRIC_THRESHOLD";
    }
    return "an unknown option";
}

/* Settings fit reads once when it starts, or whose change would leave its run
 * inconsistent (patience sizes early stopping's copy of the weights; a checkpoint period
 * needs a path), cannot change from fit's callbacks. The others apply from the next
 * batch, epoch or log line. (deep.h lists them, next to the callbacks.) */
static bool changes_during_fit(deep_model_option option)
{
    return option == DEEP_MODEL_SHUFFLE || option == DEEP_MODEL_VERBOSE ||
           option == DEEP_MODEL_EARLY_STOPPING_MIN_DELTA;
}

static deep_status may_set(const deep_model *model, const char *caller, deep_model_option option)
{
    char what[96];
    snprintf(what, sizeof what, "%s cannot change", model_option_name(option));
    return deep_model_may_change(model, caller, what, changes_during_fit(option));
}

deep_status deep_model_set_seed(deep_model *model, uint64_t seed)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(deep_model_may_change(model, __func__, "the seed cannot change", false));
    model->seed = seed;
    deep_rng_init(&model->rng, seed);
    return DEEP_OK;
}

deep_status deep_model_set_int(deep_model *model, deep_model_option option, int64_t value)
{
    DEEP_REQUIRE(model);
    switch (option) {
    case DEEP_MODEL_THREADS:
        if (value < 0 || value > 1024)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "threads %lld is outside 0..1024", (long long)value);
        DEEP_TRY(may_set(model, __func__, option));
        model->threads = (int32_t)value;
        return DEEP_OK;
    case DEEP_MODEL_SHUFFLE:
    case DEEP_MODEL_VERBOSE:
        if (value != 0 && value != 1)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d takes 0 or 1, not %lld", (int)option,
                             (long long)value);
        DEEP_TRY(may_set(model, __func__, option));
        if (option == DEEP_MODEL_SHUFFLE)
            model->shuffle = value != 0;
        else
            model->verbose = value != 0;
        return DEEP_OK;
    case DEEP_MODEL_EARLY_STOPPING_PATIENCE:
        if (value < 0 || value > INT32_MAX)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "patience %lld must be >= 0", (long long)value);
        DEEP_TRY(may_set(model, __func__, option));
        model->patience = (int32_t)value;
        return DEEP_OK;
    case DEEP_MODEL_CHECKPOINT_PERIOD:
    case DEEP_MODEL_INITIAL_EPOCH:
        if (value < 0 || value > INT32_MAX)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "%s %lld is outside 0..%d",
                             option == DEEP_MODEL_INITIAL_EPOCH ? "initial epoch" : "checkpoint period",
                             (long long)value, INT32_MAX);
        DEEP_TRY(may_set(model, __func__, option));
        if (option == DEEP_MODEL_CHECKPOINT_PERIOD)
            model->checkpoint_period = (int32_t)value;
        else
            model->initial_epoch = (int32_t)value;
        return DEEP_OK;
    case DEEP_MODEL_FROM_LOGITS:
        if (value != 0 && value != 1)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "DEEP_MODEL_FROM_LOGITS takes 0 or 1, not %lld",
                             (long long)value);
        DEEP_TRY(may_set(model, __func__, option));
        model->from_logits = value != 0;
        return DEEP_OK;
    case DEEP_MODEL_TOP_K:
        if (value < 1 || value > INT32_MAX)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "top k %lld is outside 1..%d", (long long)value, INT32_MAX);
        DEEP_TRY(may_set(model, __func__, option));
        model->top_k = value;
        return DEEP_OK;
    case DEEP_MODEL_VALIDATION_SPLIT:
    case DEEP_MODEL_EARLY_STOPPING_MIN_DELTA:
    case DEEP_MODEL_HUBER_DELTA:
    case DEEP_MODEL_LABEL_SMOOTHING:
    case DEEP_MODEL_METRIC_THRESHOLD:
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d is a float; use deep_model_set_float", (int)option);
    case DEEP_MODEL_CHECKPOINT_PATH:
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d is a string; use deep_model_set_string", (int)option);
    }
    return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown option %d", (int)option);
}

deep_status deep_model_set_float(deep_model *model, deep_model_option option, double value)
{
    DEEP_REQUIRE(model);
    switch (option) {
    case DEEP_MODEL_VALIDATION_SPLIT:
        if (!(value >= 0.0 && value < 1.0))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "validation split %g is outside [0, 1)", value);
        DEEP_TRY(may_set(model, __func__, option));
        model->validation_split = value;
        return DEEP_OK;
    case DEEP_MODEL_EARLY_STOPPING_MIN_DELTA:
        if (!(value >= 0.0) || !isfinite(value))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "min_delta %g must be finite and >= 0", value);
        DEEP_TRY(may_set(model, __func__, option));
        model->min_delta = value;
        return DEEP_OK;
    case DEEP_MODEL_HUBER_DELTA:
        if (!(value > 0.0) || !isfinite(value))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "Huber delta %g must be finite and > 0", value);
        DEEP_TRY(may_set(model, __func__, option));
        model->huber_delta = value;
        return DEEP_OK;
    case DEEP_MODEL_LABEL_SMOOTHING:
        if (!(value >= 0.0 && value <= 1.0))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "label smoothing %g is outside [0, 1]", value);
        DEEP_TRY(may_set(model, __func__, option));
        model->label_smoothing = value;
        return DEEP_OK;
    case DEEP_MODEL_METRIC_THRESHOLD:
        if (!isfinite(value))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "metric threshold %g must be finite", value);
        DEEP_TRY(may_set(model, __func__, option));
        model->metric_threshold = value;
        return DEEP_OK;
    case DEEP_MODEL_THREADS:
    case DEEP_MODEL_SHUFFLE:
    case DEEP_MODEL_EARLY_STOPPING_PATIENCE:
    case DEEP_MODEL_VERBOSE:
    case DEEP_MODEL_CHECKPOINT_PERIOD:
    case DEEP_MODEL_INITIAL_EPOCH:
    case DEEP_MODEL_FROM_LOGITS:
    case DEEP_MODEL_TOP_K:
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d is an integer; use deep_model_set_int", (int)option);
    case DEEP_MODEL_CHECKPOINT_PATH:
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d is a string; use deep_model_set_string", (int)option);
    }
    return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown option %d", (int)option);
}

deep_status deep_model_set_string(deep_model *model, deep_model_option option, const char *value)
{
    DEEP_REQUIRE(model);
    if (option != DEEP_MODEL_CHECKPOINT_PATH)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d is not a string option", (int)option);
    DEEP_TRY(may_set(model, __func__, option));
    char *copy = NULL;
    if (value != NULL) {
        if (value[0] == '\0')
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the checkpoint path is empty; pass NULL for no checkpoints");
        size_t n = strlen(value) + 1;
        if ((copy = malloc(n)) == NULL)
            return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
        memcpy(copy, value, n);
    }
    free(model->checkpoint_path);
    model->checkpoint_path = copy;
    return DEEP_OK;
}

deep_status deep_model_get_int(const deep_model *model, deep_model_option option, int64_t *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    switch (option) {
    case DEEP_MODEL_THREADS: *value = model->threads; return DEEP_OK;
    case DEEP_MODEL_SHUFFLE: *value = model->shuffle; return DEEP_OK;
    case DEEP_MODEL_EARLY_STOPPING_PATIENCE: *value = model->patience; return DEEP_OK;
    case DEEP_MODEL_VERBOSE: *value = model->verbose; return DEEP_OK;
    case DEEP_MODEL_CHECKPOINT_PERIOD: *value = model->checkpoint_period; return DEEP_OK;
    case DEEP_MODEL_INITIAL_EPOCH: *value = model->initial_epoch; return DEEP_OK;
    case DEEP_MODEL_FROM_LOGITS: *value = model->from_logits; return DEEP_OK;
    case DEEP_MODEL_TOP_K: *value = model->top_k; return DEEP_OK;
    case DEEP_MODEL_VALIDATION_SPLIT:
    case DEEP_MODEL_EARLY_STOPPING_MIN_DELTA:
    case DEEP_MODEL_HUBER_DELTA:
    case DEEP_MODEL_LABEL_SMOOTHING:
    case DEEP_MODEL_METRIC_THRESHOLD:
    case DEEP_MODEL_CHECKPOINT_PATH:
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d is not an integer option", (int)option);
    }
    return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown option %d", (int)option);
}

deep_status deep_model_get_float(const deep_model *model, deep_model_option option, double *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    switch (option) {
    case DEEP_MODEL_VALIDATION_SPLIT: *value = model->validation_split; return DEEP_OK;
    case DEEP_MODEL_EARLY_STOPPING_MIN_DELTA: *value = model->min_delta; return DEEP_OK;
    case DEEP_MODEL_HUBER_DELTA: *value = model->huber_delta; return DEEP_OK;
    case DEEP_MODEL_LABEL_SMOOTHING: *value = model->label_smoothing; return DEEP_OK;
    case DEEP_MODEL_METRIC_THRESHOLD: *value = model->metric_threshold; return DEEP_OK;
    case DEEP_MODEL_FROM_LOGITS:
    case DEEP_MODEL_TOP_K:
    case DEEP_MODEL_THREADS:
    case DEEP_MODEL_SHUFFLE:
    case DEEP_MODEL_EARLY_STOPPING_PATIENCE:
    case DEEP_MODEL_VERBOSE:
    case DEEP_MODEL_CHECKPOINT_PERIOD:
    case DEEP_MODEL_INITIAL_EPOCH:
    case DEEP_MODEL_CHECKPOINT_PATH:
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d is not a float option", (int)option);
    }
    return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown option %d", (int)option);
}

deep_status deep_model_get_string(const deep_model *model, deep_model_option option, char *buffer, int64_t capacity,
                                  int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    if (option != DEEP_MODEL_CHECKPOINT_PATH)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "option %d is not a string option", (int)option);
    return deep_output_text(__func__, "the checkpoint path", buffer, capacity, needed,
                            model->checkpoint_path ? model->checkpoint_path : "");
}

deep_status deep_model_get_seed(const deep_model *model, uint64_t *seed)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(seed);
    *seed = model->seed;
    return DEEP_OK;
}

deep_status deep_model_get_log(const deep_model *model, deep_log_fn *log, void **user)
{
    DEEP_REQUIRE(model);
    if (log != NULL)
        *log = model->log;
    if (user != NULL)
        *user = model->log_user;
    return DEEP_OK;
}

deep_status deep_model_get_callbacks(const deep_model *model, deep_batch_fn *on_batch, deep_epoch_fn *on_epoch,
                                     void **user)
{
    DEEP_REQUIRE(model);
    if (on_batch != NULL)
        *on_batch = model->on_batch;
    if (on_epoch != NULL)
        *on_epoch = model->on_epoch;
    if (user != NULL)
        *user = model->callback_user;
    return DEEP_OK;
}

deep_status deep_model_set_log(deep_model *model, deep_log_fn log, void *user)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(deep_model_may_change(model, __func__, "the log", true));
    model->log = log;
    model->log_user = user;
    return DEEP_OK;
}

deep_status deep_model_set_callbacks(deep_model *model, deep_batch_fn on_batch, deep_epoch_fn on_epoch, void *user)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(deep_model_may_change(model, __func__, "the callbacks", true));
    model->on_batch = on_batch;
    model->on_epoch = on_epoch;
    model->callback_user = user;
    return DEEP_OK;
}

static int64_t weight_count(const deep_model *model)
{
    int64_t total = 0;
    for (int32_t i = 0; i < model->layer_count; i++)
        for (int32_t p = 0; p < model->layers[i]->param_count; p++)
            total += model->layers[i]->params[p].size;
    return total;
}

void deep_model_point_params(deep_model *model, float *weights, float *grads)
{
    int64_t offset = 0;
    for (int32_t i = 0; i < model->layer_count; i++)
        for (int32_t p = 0; p < model->layers[i]->param_count; p++) {
            deep_param *param = &model->layers[i]->params[p];
            param->value = weights + offset;
            param->grad = grads + offset;
            offset += param->size;
        }
}

/* Replaces the weight blocks and points every parameter at its place in them. */
static void adopt_weights(deep_model *model, deep_weight_block *block, float *grads, int64_t total)
{
    release_weights(model);
    model->block = block;
    model->weights = block->values;
    model->grads = grads;
    model->weight_total = total;
    deep_model_point_params(model, block->values, grads);
}

/* The checks of one output's loss; `which` names it in messages ("" for a model with one
 * output, " of output 1 (dense_2)" with several). */
static deep_status check_output_loss(const deep_model *model, int32_t k, deep_loss loss, const char *caller,
                                     const char *which)
{
    const deep_node *out = &model->nodes[deep_model_output_node_at(model, k)];
    int64_t width = out->shape[out->rank - 1];
    if (!deep_loss_is_valid(loss))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown loss %d%s", (int)loss, which);
    /* Log-probabilities are logits whose softmax is themselves: the categorical losses with
     * from_logits read them right (the negative log-likelihood); as probabilities they would
     * be nonsense. */
    bool log_probs = deep_layer_output_activation(out->layer) == DEEP_ACTIVATION_LOG_SOFTMAX;
    bool categorical = loss == DEEP_LOSS_CATEGORICAL_CROSSENTROPY || loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    if (log_probs && (loss == DEEP_LOSS_BINARY_CROSSENTROPY || (categorical && !model->from_logits)))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "%s cross-entropy%s after log_softmax, whose outputs are log-probabilities; set "
                              "DEEP_MODEL_FROM_LOGITS 1 for the categorical ones (the negative log-likelihood), or "
                              "use softmax",
                              loss == DEEP_LOSS_BINARY_CROSSENTROPY ? "binary" : "categorical", which);
    if (loss == DEEP_LOSS_BINARY_CROSSENTROPY && width != 1 &&
        deep_layer_output_activation(out->layer) == DEEP_ACTIVATION_SOFTMAX)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "binary cross-entropy%s after a softmax of %lld outputs; use categorical cross-entropy",
                              which, (long long)width);
    return DEEP_OK;
}

static deep_status check_compile(const deep_model *model, const deep_loss *losses, const double *weights,
                                 const deep_metric *metrics, int64_t metric_count, const char *caller)
{
    if (model->layer_count == 0)
        return deep_error_set(DEEP_ERR_STATE, caller, "the model has no layers");
    DEEP_TRY(deep_model_check_graph(model, caller));
    if (metric_count < 0 || metric_count > DEEP_MAX_METRICS)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "metric_count %lld is outside 0..%d",
                              (long long)metric_count, DEEP_MAX_METRICS);
    if (metric_count > 0 && metrics == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'metrics' is NULL but metric_count is %lld",
                              (long long)metric_count);
    int32_t outputs = deep_model_output_count(model), curves = 0;
    for (int64_t i = 0; i < metric_count; i++) {
        if (!deep_metric_is_compilable(metrics[i]))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "metric %d (value %d) is not a compilable metric",
                                  (int)i, (int)metrics[i]);
        curves += deep_metric_has_curve(metrics[i]) ? outputs : 0;
    }
    if (curves > DEEP_MAX_CURVES) /* each keeps its counts at 200 thresholds during a pass */
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                              "%d AUC metrics over all outputs; at most %d are supported", (int)curves,
                              DEEP_MAX_CURVES);
    for (int32_t k = 0; k < outputs; k++) {
        char which[96] = "";
        if (outputs > 1)
            snprintf(which, sizeof which, " of output %d (%s)", (int)k,
                     model->nodes[deep_model_output_node_at(model, k)].layer->name);
        DEEP_TRY(check_output_loss(model, k, losses[k], caller, which));
        if (weights != NULL && !(weights[k] >= 0.0 && isfinite(weights[k])))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "loss weight %g%s must be finite and >= 0",
                                  weights[k], which);
        int32_t source = -1;
        if (outputs > 1 && model->nodes[deep_model_output_node_at(model, k)].layer != NULL)
            DEEP_TRY(deep_model_find_mask_source(model, deep_model_output_node_at(model, k), caller, &source));
        if (source >= 0)
            return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                                  "output %d (%s) carries a mask; only a model with one output scores masked steps",
                                  (int)k, model->nodes[deep_model_output_node_at(model, k)].layer->name);
    }
    return DEEP_OK;
}

/* The weights compile gives a model: a new block, or the one it borrows from the model it
 * was cut from (its parameters already point into it; only the gradients are new). */
static deep_status compile_weights(deep_model *model, deep_weight_block **block, float **grads, int64_t *total,
                                   const char *caller)
{
    *total = model->borrowed ? model->weight_total : weight_count(model);
    *block = NULL;
    *grads = deep_alloc_zero(*total, sizeof(float));
    if (*grads == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld weights", (long long)*total);
    if (model->borrowed)
        return DEEP_OK;
    if ((*block = calloc(1, sizeof **block)) == NULL ||
        ((*block)->values = deep_alloc(*total, sizeof(float))) == NULL) {
        free(*block);
        free(*grads);
        *block = NULL;
        *grads = NULL;
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld weights", (long long)*total);
    }
    atomic_init(&(*block)->refs, 1);
    return DEEP_OK;
}

/* The initial weights: every layer's initialiser from the model's seed. */
static void init_weights(deep_model *model)
{
    deep_rng_init(&model->rng, model->seed);
    for (int32_t i = 0; i < model->layer_count && !model->borrowed; i++)
        if (model->layers[i]->ops->init != NULL)
            model->layers[i]->ops->init(model->layers[i], &model->rng);
    if (!model->borrowed) /* then the initializers set per layer (since 1.2), from the same generator */
        deep_rules_initialize(model);
}

deep_status deep_model_build(deep_model *model)
{
    DEEP_REQUIRE(model);
    if (model->compiled || model->built || model->borrowed)
        return DEEP_OK; /* it has weights already (Keras' build does nothing then either) */
    DEEP_TRY(deep_model_may_change(model, __func__, "the model cannot be built", false));
    DEEP_TRY(deep_model_check_graph(model, __func__));
    int64_t total = 0;
    deep_weight_block *block = NULL;
    float *grads = NULL;
    DEEP_TRY(compile_weights(model, &block, &grads, &total, __func__));
    adopt_weights(model, block, grads, total);
    init_weights(model);
    model->built = true;
    return DEEP_OK;
}

/* Compile with losses[k] and weights[k] (NULL: all 1) for each output; errors name caller. */
static deep_status compile(deep_model *model, deep_optimizer *optimizer, const deep_loss *losses,
                           const double *weights, const deep_metric *metrics, int64_t metric_count, const char *caller)
{
    if (model == NULL || optimizer == NULL) {
        if (model == NULL || model->optimizer != optimizer)
            deep_optimizer_free(optimizer);
        return deep_error_set(DEEP_ERR_NULL, caller, "argument '%s' is NULL", model == NULL ? "model" : "optimizer");
    }
    deep_status idle = deep_model_may_change(model, caller, "the model cannot be compiled", false);
    if (idle != DEEP_OK) {
        if (model->optimizer != optimizer)
            deep_optimizer_free(optimizer);
        return idle;
    }
    /* Everything that can fail happens before the model changes, so a failed compile
     * leaves the model as it was. */
    deep_status status = check_compile(model, losses, weights, metrics, metric_count, caller);
    if (status == DEEP_OK)
        status = deep_rules_check_compile(model, losses, caller);
    int64_t total = 0;
    deep_weight_block *block = NULL;
    float *grads = NULL;
    /* A first compile of a built model keeps its weights (Keras); a later one starts afresh. */
    bool keep = model->built && !model->compiled && !model->borrowed;
    if (status == DEEP_OK && keep)
        total = model->weight_total;
    else if (status == DEEP_OK)
        status = compile_weights(model, &block, &grads, &total, caller);
    float *kept = NULL;
    if (status == DEEP_OK && keep && total > 0 && (kept = deep_alloc(total, sizeof *kept)) == NULL)
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for a copy of %lld weights",
                                (long long)total);
    if (status == DEEP_OK && deep_model_bind_optimizer(model, optimizer, total) != DEEP_OK)
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the optimizer state");
    if (status != DEEP_OK) {
        if (block != NULL)
            free(block->values);
        free(block);
        free(grads);
        free(kept);
        if (model->optimizer != optimizer)
            deep_optimizer_free(optimizer);
        return status;
    }
    if (keep) {
        if (total > 0)
            memcpy(kept, model->weights, (size_t)total * sizeof *kept);
    } else if (model->borrowed) { /* the same weights (at the places they have in the block), new gradients */
        free(model->grads);
        model->grads = grads;
        for (int32_t i = 0; i < model->layer_count; i++)
            for (int32_t p = 0; p < model->layers[i]->param_count; p++) {
                deep_param *param = &model->layers[i]->params[p];
                param->grad = grads + (param->value - model->weights);
            }
    } else {
        adopt_weights(model, block, grads, total);
    }
    /* A resume point belonged to the old weights. */
    deep_model_forget_stopping(model);
    model->initial_epoch = 0;
    if (model->optimizer != optimizer)
        deep_optimizer_free(model->optimizer);
    model->optimizer = optimizer;
    for (int32_t k = 0; k < deep_model_output_count(model); k++) {
        model->losses[k] = losses[k];
        model->loss_weights[k] = weights != NULL ? weights[k] : 1.0;
    }
    model->loss = losses[0];
    model->metric_count = (int32_t)metric_count; /* at most DEEP_MAX_METRICS */
    for (int32_t i = 0; i < metric_count; i++)
        model->metrics[i] = metrics[i];
    deep_model_reset_metric_settings(model);
    /* Re-seeding here makes the initial weights a function of the seed alone. Kept weights
     * are initialised too and then put back, so that the generator goes on as after any
     * compile: build then compile trains as compile alone. */
    init_weights(model);
    if (keep) {
        if (total > 0)
            memcpy(model->weights, kept, (size_t)total * sizeof *kept);
        free(kept);
        memset(model->grads, 0, (size_t)total * sizeof *model->grads);
    }
    model->built = false;
    /* History rows are sized by the metric count: drop any kept from an earlier compile. */
    free(model->history);
    model->history = NULL;
    model->history_length = model->history_capacity = 0;
    model->compiled = true;
    return DEEP_OK;
}

deep_status deep_model_compile(deep_model *model, deep_optimizer *optimizer, deep_loss loss,
                               const deep_metric *metrics, int64_t metric_count)
{
    deep_loss losses[DEEP_MAX_MODEL_INPUTS];
    for (int32_t k = 0; k < DEEP_MAX_MODEL_INPUTS; k++) /* Keras: one loss for every output */
        losses[k] = loss;
    return compile(model, optimizer, losses, NULL, metrics, metric_count, __func__);
}

deep_status deep_model_compile_outputs(deep_model *model, deep_optimizer *optimizer, const deep_loss *losses,
                                       const double *loss_weights, int64_t output_count, const deep_metric *metrics,
                                       int64_t metric_count)
{
    deep_status status = DEEP_OK;
    if (model != NULL && losses == NULL)
        status = DEEP_FAIL(DEEP_ERR_NULL, "argument 'losses' is NULL");
    else if (model != NULL && output_count != deep_model_output_count(model))
        status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "output_count is %lld but the model has %d outputs",
                           (long long)output_count, (int)deep_model_output_count(model));
    if (status != DEEP_OK) {
        if (model->optimizer != optimizer)
            deep_optimizer_free(optimizer);
        return status;
    }
    return compile(model, optimizer, losses, loss_weights, metrics, metric_count, __func__);
}

deep_status deep_model_optimizer(deep_model *model, deep_optimizer **optimizer)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(optimizer);
    if (!model->compiled)
        return DEEP_FAIL(DEEP_ERR_STATE, "the model has no optimizer before deep_model_compile");
    *optimizer = model->optimizer;
    return DEEP_OK;
}

deep_status deep_model_prepare_pool(const char *caller, deep_model *model)
{
    int32_t wanted = model->threads > 0 ? model->threads : (int32_t)deep_cpu_count(); /* at most 1024 */
    if (model->pool != NULL && deep_pool_threads(model->pool) == wanted)
        return DEEP_OK;
    deep_pool_free(model->pool);
    model->pool = NULL;
    deep_status status = deep_pool_new(wanted, &model->pool);
    return status == DEEP_OK ? status : deep_error_set(status, caller, "could not start %d threads", (int)wanted);
}
