/* Layer graphs, Keras' functional API: input nodes, layers applied to chosen nodes (once,
 * or again with the same weights), the model's outputs, and sub-models cut from a graph
 * that share its weights. model.c adds the layers; this file names and checks the nodes. */
#include <stdlib.h>
#include <string.h>

#include "graph/model.h"

bool deep_model_is_sequential(const deep_model *model)
{
    if (model->input_count != 1 || model->node_count != model->layer_count + 1 ||
        (model->output_count > 0 && (model->output_count > 1 || model->outputs[0] != model->node_count - 1)))
        return false;
    for (int32_t i = 1; i < model->node_count; i++) {
        const deep_node *n = &model->nodes[i];
        if (n->layer != model->layers[i - 1] || n->input_count != 1 || n->inputs[0] != i - 1)
            return false;
    }
    return true;
}

static deep_status check_node(const char *caller, const deep_model *model, const char *what, int32_t node)
{
    if (node < 0 || node >= model->node_count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "%s %d is not a node of the model (0..%d)", what,
                              (int)node, (int)model->node_count - 1);
    return DEEP_OK;
}

static deep_status check_nodes(const char *caller, const deep_model *model, const char *what, const int32_t *nodes,
                               int64_t count, int64_t max)
{
    if (count < 1 || count > max)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "count %lld is outside 1..%lld", (long long)count,
                              (long long)max);
    if (nodes == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument '%s' is NULL", what);
    for (int64_t k = 0; k < count; k++)
        DEEP_TRY(check_node(caller, model, "node", nodes[k]));
    return DEEP_OK;
}

/* Layers and calls are fixed once the model has weights (compiled, or cut from a model with weights). */
static deep_status check_open(const char *caller, const deep_model *model)
{
    if (model->compiled || model->borrowed || model->built)
        return deep_error_set(DEEP_ERR_STATE, caller, "the graph cannot change once the model has weights (after "
                                                      "deep_model_build or deep_model_compile, or in a sub-model)");
    return DEEP_OK;
}

deep_status deep_model_add_input(deep_model *model, int32_t rank, const int64_t *shape, int32_t *node)
{
    DEEP_REQUIRE(node);
    *node = -1;
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(shape);
    DEEP_TRY(check_open(__func__, model));
    return deep_model_push_input(model, rank, shape, __func__, node);
}

deep_status deep_model_connect(deep_model *model, const int32_t *nodes, int64_t count)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(check_open(__func__, model));
    DEEP_TRY(check_nodes(__func__, model, "nodes", nodes, count, DEEP_MAX_LAYER_INPUTS));
    memcpy(model->pending, nodes, (size_t)count * sizeof *nodes);
    model->pending_count = (int32_t)count;
    return DEEP_OK;
}

deep_status deep_model_last_node(const deep_model *model, int32_t *node)
{
    DEEP_REQUIRE(node);
    *node = -1;
    DEEP_REQUIRE(model);
    *node = model->node_count - 1;
    return DEEP_OK;
}

deep_status deep_model_apply_layer(deep_model *model, int32_t layer, const int32_t *nodes, int64_t count,
                                   int32_t *node)
{
    DEEP_REQUIRE(node);
    *node = -1;
    DEEP_REQUIRE(model);
    DEEP_TRY(check_open(__func__, model));
    if (layer < -model->layer_count || layer >= model->layer_count)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "layer %d is outside the model's %d layers", (int)layer,
                         (int)model->layer_count);
    DEEP_TRY(check_nodes(__func__, model, "nodes", nodes, count, DEEP_MAX_LAYER_INPUTS));
    int32_t position = layer < 0 ? layer + model->layer_count : layer;
    return deep_model_call_layer(model, position, (int32_t)count, nodes, __func__, node);
}

deep_status deep_model_state_nodes(deep_model *model, int32_t node, int32_t *states, int64_t capacity,
                                   int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, states, capacity, needed));
    DEEP_REQUIRE(model);
    DEEP_TRY(check_node(__func__, model, "node", node));
    const deep_node *n = &model->nodes[node];
    if (n->layer == NULL || n->part > 0 || deep_layer_state_count(n->layer) == 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                         "node %d is %s, not the output of an LSTM, GRU, SimpleRNN or Bidirectional call: only "
                         "those return states", (int)node,
                         n->layer == NULL ? "an input" : n->part > 0 ? "a state node" : n->layer->ops->class_name);
    int32_t count = deep_layer_state_count(n->layer);
    *needed = count;
    if (capacity == 0)
        return DEEP_OK; /* the size query adds nothing */
    if (capacity < count)
        return DEEP_FAIL(DEEP_ERR_BUFFER_TOO_SMALL, "the states need %d entries; the buffer has %lld", (int)count,
                         (long long)capacity);
    if (n->states[0] == 0) { /* adding them: the graph must still be open */
        deep_status status = check_open(__func__, model);
        if (status == DEEP_OK)
            status = deep_model_push_states(model, node, __func__);
        if (status != DEEP_OK) {
            *needed = 0;
            return status;
        }
    }
    memcpy(states, model->nodes[node].states, (size_t)count * sizeof *states);
    return DEEP_OK;
}

deep_status deep_model_node_output_index(const deep_model *model, int32_t node, int32_t *index)
{
    DEEP_REQUIRE(index);
    *index = 0;
    DEEP_REQUIRE(model);
    DEEP_TRY(check_node(__func__, model, "node", node));
    *index = model->nodes[node].part;
    return DEEP_OK;
}

/* Marks in `needed` every node that `from` depends on, stopping at the `stops`. */
static void mark_ancestors(const deep_model *model, int32_t from, const bool *stops, bool *needed)
{
    needed[from] = true;
    for (int32_t i = from; i >= 0; i--) {
        if (!needed[i] || stops[i] || model->nodes[i].layer == NULL)
            continue;
        for (int32_t k = 0; k < model->nodes[i].input_count; k++)
            needed[model->nodes[i].inputs[k]] = true;
    }
}

/* With `inputs` as the inputs, every output must be computable from them alone and every
 * input must reach an output. `needed` receives the nodes of the sub-graph. */
static deep_status check_reach(const char *caller, const deep_model *model, const int32_t *inputs, int32_t in_count,
                               const int32_t *outputs, int32_t out_count, bool *needed)
{
    bool *stops = calloc((size_t)model->node_count, sizeof *stops);
    if (stops == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    for (int32_t k = 0; k < in_count; k++)
        stops[inputs[k]] = true;
    memset(needed, 0, (size_t)model->node_count * sizeof *needed);
    for (int32_t k = 0; k < out_count; k++)
        mark_ancestors(model, outputs[k], stops, needed);
    deep_status status = DEEP_OK;
    for (int32_t i = 0; i < model->node_count && status == DEEP_OK; i++)
        if (needed[i] && model->nodes[i].layer == NULL && !stops[i])
            status = deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                    "the outputs are not reachable from the given inputs alone: they need input node "
                                    "%d too", (int)i);
    for (int32_t k = 0; k < in_count && status == DEEP_OK; k++)
        if (!needed[inputs[k]])
            status = deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                    "input node %d is dangling: no output depends on it", (int)inputs[k]);
    free(stops);
    return status;
}

deep_status deep_model_check_graph(const deep_model *model, const char *caller)
{
    int32_t outputs[DEEP_MAX_MODEL_INPUTS], count = deep_model_output_count(model);
    for (int32_t k = 0; k < count; k++) {
        outputs[k] = deep_model_output_node_at(model, k);
        if (model->nodes[outputs[k]].layer == NULL)
            return deep_error_set(DEEP_ERR_STATE, caller, "the output, node %d, is an input: add a layer",
                                  (int)outputs[k]);
    }
    bool *needed = calloc((size_t)model->node_count, sizeof *needed);
    if (needed == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    deep_status status = check_reach(caller, model, model->inputs, model->input_count, outputs, count, needed);
    free(needed);
    return status;
}

deep_status deep_model_set_outputs(deep_model *model, const int32_t *nodes, int64_t count)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(check_open(__func__, model));
    DEEP_TRY(check_nodes(__func__, model, "nodes", nodes, count, DEEP_MAX_MODEL_INPUTS));
    for (int64_t k = 0; k < count; k++)
        if (model->nodes[nodes[k]].layer == NULL)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "node %d is an input, not a layer's output", (int)nodes[k]);
    memcpy(model->outputs, nodes, (size_t)count * sizeof *nodes);
    model->output_count = (int32_t)count;
    return DEEP_OK;
}

deep_status deep_model_node_count(const deep_model *model, int32_t *count)
{
    DEEP_REQUIRE(count);
    *count = 0;
    DEEP_REQUIRE(model);
    *count = model->node_count;
    return DEEP_OK;
}

deep_status deep_model_node_layer(const deep_model *model, int32_t node, int32_t *layer)
{
    DEEP_REQUIRE(layer);
    *layer = -1;
    DEEP_REQUIRE(model);
    DEEP_TRY(check_node(__func__, model, "node", node));
    *layer = deep_model_layer_position(model, model->nodes[node].layer);
    return DEEP_OK;
}

deep_status deep_model_node_shape(const deep_model *model, int32_t node, int64_t *shape, int64_t capacity,
                                  int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, shape, capacity, needed));
    DEEP_REQUIRE(model);
    DEEP_TRY(check_node(__func__, model, "node", node));
    const deep_node *n = &model->nodes[node];
    return deep_output_copy(__func__, "the shape", shape, capacity, needed, n->shape, n->rank, sizeof *shape);
}

deep_status deep_model_node_inputs(const deep_model *model, int32_t node, int32_t *nodes, int64_t capacity,
                                   int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, nodes, capacity, needed));
    DEEP_REQUIRE(model);
    DEEP_TRY(check_node(__func__, model, "node", node));
    const deep_node *n = &model->nodes[node];
    return deep_output_copy(__func__, "the inputs", nodes, capacity, needed, n->inputs, n->input_count,
                            sizeof *nodes);
}

deep_status deep_model_input_nodes(const deep_model *model, int32_t *nodes, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, nodes, capacity, needed));
    DEEP_REQUIRE(model);
    return deep_output_copy(__func__, "the inputs", nodes, capacity, needed, model->inputs, model->input_count,
                            sizeof *nodes);
}

deep_status deep_model_output_nodes(const deep_model *model, int32_t *nodes, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, nodes, capacity, needed));
    DEEP_REQUIRE(model);
    int32_t last = model->node_count - 1;
    if (model->output_count == 0)
        return deep_output_copy(__func__, "the outputs", nodes, capacity, needed, &last, 1, sizeof *nodes);
    return deep_output_copy(__func__, "the outputs", nodes, capacity, needed, model->outputs, model->output_count,
                            sizeof *nodes);
}

/* Copies the layers of the needed nodes, calls them as in `model` and makes `outputs` the
 * new model's outputs; map[old node] becomes the new node (inputs already mapped). */
static deep_status copy_calls(const char *caller, const deep_model *model, const bool *needed, int32_t *map,
                              deep_model *sub)
{
    for (int32_t i = 0; i < model->node_count; i++) {
        const deep_node *n = &model->nodes[i];
        if (!needed[i] || map[i] >= 0)
            continue;
        if (n->part > 0) { /* a state of a call copied before */
            int32_t call = map[n->inputs[0]];
            DEEP_TRY(deep_model_push_states(sub, call, caller));
            map[i] = sub->nodes[call].states[n->part - 1];
            continue;
        }
        int32_t position = -1;
        for (int32_t l = 0; l < sub->layer_count && position < 0; l++)
            if (strcmp(sub->layers[l]->name, n->layer->name) == 0)
                position = l;
        int32_t inputs[DEEP_MAX_LAYER_INPUTS];
        for (int32_t k = 0; k < n->input_count; k++)
            inputs[k] = map[n->inputs[k]];
        if (position < 0) { /* the layer's first call here: a copy of it, weights pointing where its do */
            if (sub->layer_count == sub->layer_capacity) {
                int32_t capacity = sub->layer_capacity ? 2 * sub->layer_capacity : 8;
                deep_layer **grown = realloc(sub->layers, (size_t)capacity * sizeof *grown);
                if (grown == NULL)
                    return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
                sub->layers = grown;
                sub->layer_capacity = capacity;
            }
            deep_layer *copy = malloc(sizeof *copy);
            if (copy == NULL)
                return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
            *copy = *n->layer;
            for (int32_t p = 0; p < copy->param_count; p++)
                copy->params[p].grad = NULL;
            sub->layers[sub->layer_count++] = copy;
            position = sub->layer_count - 1;
        }
        DEEP_TRY(deep_model_call_layer(sub, position, n->input_count, inputs, caller, &map[i]));
    }
    return DEEP_OK;
}

void deep_model_copy_settings(const deep_model *from, deep_model *to)
{
    to->seed = from->seed;
    deep_rng_init(&to->rng, from->seed);
    to->threads = from->threads;
    to->shuffle = from->shuffle;
    to->validation_split = from->validation_split;
    to->patience = from->patience;
    to->min_delta = from->min_delta;
    to->huber_delta = from->huber_delta;
    to->from_logits = from->from_logits;
    to->label_smoothing = from->label_smoothing;
    to->top_k = from->top_k;
    to->metric_threshold = from->metric_threshold;
    to->verbose = from->verbose;
    to->replica_size = 1; /* a replica hook is the caller's per model (deep_model_set_replica); never copied */
}

deep_status deep_model_submodel(const deep_model *model, const int32_t *inputs, int64_t input_count,
                                const int32_t *outputs, int64_t output_count, deep_model **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(model);
    DEEP_TRY(check_nodes(__func__, model, "inputs", inputs, input_count, DEEP_MAX_MODEL_INPUTS));
    DEEP_TRY(check_nodes(__func__, model, "outputs", outputs, output_count, DEEP_MAX_MODEL_INPUTS));
    for (int64_t k = 0; k < output_count; k++)
        for (int64_t j = 0; j < input_count; j++)
            if (outputs[k] == inputs[j])
                return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "node %d is both an input and an output", (int)inputs[j]);
    for (int64_t k = 0; k < input_count; k++)
        for (int64_t j = 0; j < k; j++)
            if (inputs[k] == inputs[j])
                return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "node %d is given twice as an input", (int)inputs[k]);
    bool *needed = calloc((size_t)model->node_count, sizeof *needed);
    int32_t *map = malloc((size_t)model->node_count * sizeof *map);
    deep_model *sub = calloc(1, sizeof *sub);
    deep_status status = needed && map && sub ? DEEP_OK : DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
    if (status == DEEP_OK)
        status = check_reach(__func__, model, inputs, (int32_t)input_count, outputs, (int32_t)output_count, needed);
    if (status == DEEP_OK) {
        atomic_init(&sub->busy, 0);
        deep_model_copy_settings(model, sub);
        for (int32_t i = 0; i < model->node_count; i++)
            map[i] = -1;
        for (int64_t k = 0; k < input_count && status == DEEP_OK; k++) {
            const deep_node *n = &model->nodes[inputs[k]];
            status = deep_model_push_input(sub, n->rank, n->shape, __func__, &map[inputs[k]]);
        }
    }
    if (status == DEEP_OK)
        status = copy_calls(__func__, model, needed, map, sub);
    if (status == DEEP_OK) {
        for (int64_t k = 0; k < output_count; k++)
            sub->outputs[k] = map[outputs[k]];
        sub->output_count = (int32_t)output_count;
        if (model->compiled || model->built) { /* share the weight block */
            atomic_fetch_add(&model->block->refs, 1);
            sub->block = model->block;
            sub->weights = model->weights;
            sub->weight_total = model->weight_total;
            sub->borrowed = true;
        }
    }
    free(needed);
    free(map);
    if (status != DEEP_OK) {
        deep_model_free(sub);
        return status;
    }
    *out = sub;
    return DEEP_OK;
}

deep_status deep_model_replay(const deep_model *src, deep_model *dst, const char *caller)
{
    for (int32_t i = 0; i < src->node_count; i++) {
        const deep_node *n = &src->nodes[i];
        int32_t node;
        if (n->layer == NULL) {
            DEEP_TRY(deep_model_push_input(dst, n->rank, n->shape, caller, &node));
            continue;
        }
        if (n->part > 0) { /* both states come at the first: the node numbers stay src's */
            DEEP_TRY(deep_model_push_states(dst, n->inputs[0], caller));
            continue;
        }
        int32_t position = deep_model_layer_position(src, n->layer);
        if (position < dst->layer_count) { /* called before: the same layer again */
            DEEP_TRY(deep_model_call_layer(dst, position, n->input_count, n->inputs, caller, &node));
            continue;
        }
        memcpy(dst->pending, n->inputs, sizeof n->inputs);
        dst->pending_count = n->input_count;
        deep_status status = deep_layer_append(dst, n->layer->ops, n->layer->cfg.bytes, false, caller, NULL);
        if (status != DEEP_OK)
            return deep_error_wrap(status, caller, "layer %d (%s)", (int)position, n->layer->name);
        dst->layers[dst->layer_count - 1]->rules = n->layer->rules; /* not part of the config */
        /* A name given to it (since 1.3): the earlier layers have src's names already, and src's
         * names are unique, so no layer of dst has it. */
        memcpy(dst->layers[dst->layer_count - 1]->name, n->layer->name, sizeof n->layer->name);
    }
    memcpy(dst->outputs, src->outputs, sizeof src->outputs);
    dst->output_count = src->output_count;
    return DEEP_OK;
}
