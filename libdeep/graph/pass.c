/* What every pass over batches shares: buffers, the forward and backward sweeps through
 * the layers, checking and gathering the data, and scoring the output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "graph/model.h"
#include "graph/rules.h"
#include "losses/loss.h"
#include "metrics/compiled.h"

/* The highest-numbered output node: the passes run nodes up to it. */
static int32_t last_output(const deep_model *model)
{
    int32_t last = 0;
    for (int32_t k = 0; k < deep_model_output_count(model); k++)
        last = deep_model_output_node_at(model, k) > last ? deep_model_output_node_at(model, k) : last;
    return last;
}

int64_t deep_model_target_width(const deep_model *model, int32_t k)
{
    const deep_node *out = &model->nodes[deep_model_output_node_at(model, k)];
    return model->losses[k] == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? out->size / out->shape[out->rank - 1]
                                                                          : out->size;
}

bool deep_model_labels_per_step(const deep_model *model)
{
    return deep_model_output_count(model) == 1 && model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY &&
           deep_model_output_rows(model) > 1;
}

int64_t deep_model_target_total(const deep_model *model)
{
    int64_t total = 0;
    for (int32_t k = 0; k < deep_model_output_count(model); k++)
        total += deep_model_target_width(model, k);
    return total;
}

bool deep_model_output_fuses(const deep_model *model, int32_t k)
{
    int32_t node = deep_model_output_node_at(model, k);
    if (model->nodes[node].part > 0) /* a state: no activation of its own */
        return false;
    for (int32_t i = node + 1; i < model->node_count; i++)
        for (int32_t j = 0; model->nodes[i].layer != NULL && j < model->nodes[i].input_count; j++)
            if (model->nodes[i].inputs[j] == node)
                return false;
    /* An output read as logits has the logits loss's own gradient, never the fused one. */
    return !deep_model_loss_config(model, k).from_logits &&
           deep_loss_fuses_with(model->losses[k], deep_layer_output_activation(model->nodes[node].layer));
}

/* The most rows of the last axis one sample of an output has (its steps). */
static int64_t most_steps(const deep_model *model)
{
    int64_t most = 1;
    for (int32_t k = 0; k < deep_model_output_count(model); k++) {
        const deep_node *out = &model->nodes[deep_model_output_node_at(model, k)];
        int64_t steps = out->size / out->shape[out->rank - 1];
        most = steps > most ? steps : most;
    }
    return most;
}

/* Which nodes need a gradient (slot[node] >= 0), walking backward in reverse node order
 * as the pass does: the outputs', and those of calls on a path to them. Inputs never need
 * one. (The slots number buffers by liveness; graph/plan.c lays out the real ones.) */
static void assign_grad_slots(const deep_model *model, int32_t *slot)
{
    int32_t n = model->node_count, slots = 0, free_count = 0;
    int32_t *free_slots = slot + n; /* the caller gives 2n entries */
    for (int32_t i = 0; i < n; i++)
        slot[i] = -1;
    for (int32_t k = 0; k < deep_model_output_count(model); k++) /* the losses' gradients, from the start */
        slot[deep_model_output_node_at(model, k)] = slots++;
    for (int32_t i = last_output(model); i >= 0; i--) {
        const deep_node *node = &model->nodes[i];
        if (node->layer == NULL || slot[i] < 0)
            continue; /* an input, or a node the output does not depend on */
        if (node->part > 0) { /* a state: its gradient lives until its call's backward reads it */
            if (slot[node->inputs[0]] < 0)
                slot[node->inputs[0]] = free_count > 0 ? free_slots[--free_count] : slots++;
            continue;
        }
        for (int32_t k = 0; k < node->input_count; k++) {
            int32_t in = node->inputs[k];
            if (model->nodes[in].layer == NULL)
                continue;
            if (slot[in] >= 0)
                continue;
            slot[in] = free_count > 0 ? free_slots[--free_count] : slots++;
        }
        free_slots[free_count++] = slot[i]; /* free after this node's backward */
        for (int32_t k = 0; k < DEEP_MAX_STATES; k++)
            if (node->states[k] > 0 && slot[node->states[k]] >= 0)
                free_slots[free_count++] = slot[node->states[k]];
    }
}

static int64_t weight_floats(const deep_layer *layer)
{
    int64_t total = 0;
    for (int32_t p = 0; p < layer->param_count; p++)
        total += layer->params[p].size;
    return total;
}

/* What backward needs to sum the weight gradients of layers called more than once. */
static bool init_shared_sums(const deep_model *model, int64_t max_batch, deep_workspace *ws)
{
    (void)max_batch;
    ws->node_layer = calloc((size_t)model->node_count, sizeof *ws->node_layer);
    ws->layer_seen = calloc((size_t)model->layer_count + 1, sizeof *ws->layer_seen);
    ws->node_first = calloc((size_t)model->node_count, sizeof *ws->node_first);
    ws->layer_reported = calloc((size_t)model->layer_count + 1, sizeof *ws->layer_reported);
    if (ws->node_layer == NULL || ws->layer_seen == NULL || ws->node_first == NULL || ws->layer_reported == NULL)
        return false;
    int64_t largest = 0;
    for (int32_t i = 0; i < model->node_count; i++) {
        const deep_layer *layer = model->nodes[i].layer;
        ws->node_layer[i] = deep_model_layer_position(model, layer);
        ws->node_first[i] = layer != NULL && deep_model_node_of(model, layer) == i;
        if (layer != NULL && model->nodes[i].part == 0 && deep_model_node_of(model, layer) != i &&
            weight_floats(layer) > largest)
            largest = weight_floats(layer); /* a second call */
    }
    return largest == 0 || (ws->param_sum = deep_alloc(largest, sizeof(float))) != NULL;
}

/* Before a later call's backward: the sum of the earlier calls' weight gradients aside. */
static void keep_param_grads(const deep_layer *layer, float *sum)
{
    for (int32_t p = 0; p < layer->param_count; p++) {
        memcpy(sum, layer->params[p].grad, (size_t)layer->params[p].size * sizeof *sum);
        sum += layer->params[p].size;
    }
}

/* After it: that sum added back to the call's own gradients. */
static void add_param_grads(const deep_layer *layer, const float *sum)
{
    for (int32_t p = 0; p < layer->param_count; p++) {
        float *grad = layer->params[p].grad;
        for (int64_t i = 0; i < layer->params[p].size; i++)
            grad[i] += sum[i];
        sum += layer->params[p].size;
    }
}

/* Whether a merge call's output has a mask, from its inputs' (the graph checked at build
 * time that its layer can combine them). */
static bool merge_has_mask(const deep_node *node, const deep_workspace *ws)
{
    bool masked[DEEP_MAX_LAYER_INPUTS], any = false, has = false;
    for (int32_t k = 0; k < node->input_count; k++)
        any |= masked[k] = ws->masks[node->inputs[k]] != NULL;
    return any && node->layer->ops->mask_merged(node->layer, masked, &has) == DEEP_OK && has;
}

/* A merge call's input masks for deep_exec.input_masks, in `masks`: NULL when none has one. */
static const uint8_t *const *merge_input_masks(const deep_node *node, const deep_workspace *ws,
                                               const uint8_t **masks)
{
    bool any = false;
    for (int32_t k = 0; k < node->input_count; k++)
        any |= (masks[k] = ws->masks[node->inputs[k]]) != NULL;
    return any ? masks : NULL;
}

/* deep_alloc, counted in the workspace's bytes. */
static void *take(deep_workspace *ws, int64_t count, size_t size)
{
    ws->bytes += count * (int64_t)size;
    return deep_alloc(count, size);
}

/* Every node's output, scratch and (training) gradient in one arena laid out by liveness
 * (graph/plan.c). */
static bool init_arena(const deep_model *model, int64_t max_batch, bool training, deep_workspace *ws)
{
    int32_t n = model->node_count, limit = last_output(model) + 1;
    size_t pairs = (size_t)n * DEEP_MAX_LAYER_INPUTS;
    int32_t *slot = calloc(2 * (size_t)n, sizeof *slot);
    bool *needed = calloc((size_t)n, sizeof *needed);
    deep_plan plan = {calloc((size_t)n, sizeof(int64_t)), calloc((size_t)n, sizeof(int64_t)),
                      calloc((size_t)n, sizeof(int64_t)), calloc(pairs, sizeof(int64_t))};
    bool ok = slot != NULL && needed != NULL && plan.out_at != NULL && plan.grad_at != NULL &&
              plan.scratch_at != NULL && plan.accumulate_at != NULL;
    if (ok && training) {
        assign_grad_slots(model, slot);
        for (int32_t i = 0; i < n; i++)
            needed[i] = slot[i] >= 0;
        ok = (ws->grads = calloc((size_t)n, sizeof *ws->grads)) != NULL &&
             (ws->grad_started = calloc((size_t)n, sizeof *ws->grad_started)) != NULL &&
             (ws->accumulate = calloc(pairs, sizeof *ws->accumulate)) != NULL;
    }
    int64_t floats = ok ? deep_plan_buffers(model, max_batch, training, needed, limit, &plan) : -1;
    ok = floats >= 0 && (ws->arena = take(ws, floats > 0 ? floats : 1, sizeof(float))) != NULL;
    if (ok)
        ws->arena_floats = floats;
    for (int32_t i = 0; ok && i < n; i++) {
        ws->acts[i] = ws->arena + plan.out_at[i];
        ws->scratch[i] = plan.scratch_at[i] >= 0 ? ws->arena + plan.scratch_at[i] : NULL;
        if (training)
            ws->grads[i] = plan.grad_at[i] >= 0 ? ws->arena + plan.grad_at[i] : NULL;
    }
    for (size_t k = 0; ok && training && k < pairs; k++)
        ws->accumulate[k] = plan.accumulate_at[k] >= 0 ? ws->arena + plan.accumulate_at[k] : NULL;
    free(slot);
    free(needed);
    free(plan.out_at);
    free(plan.grad_at);
    free(plan.scratch_at);
    free(plan.accumulate_at);
    return ok;
}

deep_status deep_workspace_init(const deep_model *model, int64_t max_batch, bool training, deep_workspace *ws)
{
    memset(ws, 0, sizeof *ws);
    ws->max_batch = max_batch;
    int32_t n = model->node_count;
    ws->acts = calloc((size_t)n, sizeof *ws->acts);
    ws->scratch = calloc((size_t)n, sizeof *ws->scratch);
    ws->masks = calloc((size_t)n, sizeof *ws->masks);
    ws->mask_store = calloc((size_t)n, sizeof *ws->mask_store);
    bool ok = ws->acts != NULL && ws->scratch != NULL && ws->masks != NULL && ws->mask_store != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        const deep_node *node = &model->nodes[i];
        deep_mask_flow flow = node->layer != NULL && node->part == 0 ? deep_layer_mask_flow(node->layer)
                                                                     : DEEP_MASK_REFUSED;
        if (flow == DEEP_MASK_MADE)
            ok = (ws->masks[i] = ws->mask_store[i] = take(ws, max_batch * node->layer->in_shape[0], 1)) != NULL;
        else if (flow == DEEP_MASK_KEPT)
            ws->masks[i] = ws->masks[node->inputs[0]];
        else if (flow == DEEP_MASK_MERGED && merge_has_mask(node, ws))
            ok = (ws->masks[i] = ws->mask_store[i] = deep_alloc(max_batch * node->shape[0], 1)) != NULL;
    }
    ok = ok && init_arena(model, max_batch, training, ws);
    int32_t output = deep_model_output_node(model);
    int64_t out_width = model->nodes[output].size, target_width = out_width;
    if (deep_model_output_count(model) > 1) {
        target_width = deep_model_output_row(model);
        ok = ok && (ws->output_targets = take(ws, max_batch * target_width, sizeof(float))) != NULL;
    }
    if (ok && training) {
        ws->grad_a = ws->grads[output];
        ok = init_shared_sums(model, max_batch, ws);
    }
    /* labels: one per row of the last axis, as the sparse loss on per-step outputs reads */
    ok = ok && (ws->labels = take(ws, max_batch * most_steps(model), sizeof(int32_t))) != NULL &&
         (ws->targets = take(ws, max_batch * target_width, sizeof(float))) != NULL &&
         (ws->sample_weights = take(ws, max_batch, sizeof(float))) != NULL &&
         (ws->row_weights = take(ws, max_batch * most_steps(model), sizeof(float))) != NULL;
    if (ok && ws->masks[output] != NULL)
        ok = (ws->kept_pred = take(ws, max_batch * out_width, sizeof(float))) != NULL &&
             (ws->kept_targets = take(ws, max_batch * out_width, sizeof(float))) != NULL &&
             (ws->kept_grad = take(ws, max_batch * out_width, sizeof(float))) != NULL &&
             (ws->kept_labels = take(ws, max_batch * most_steps(model), sizeof(int32_t))) != NULL;
    if (!ok) {
        deep_workspace_release(model, ws);
        return DEEP_ERR_NO_MEMORY;
    }
    return DEEP_OK;
}

void deep_workspace_release(const deep_model *model, deep_workspace *ws)
{
    free(ws->acts);
    free(ws->arena);
    free(ws->scratch);
    free(ws->accumulate);
    for (int32_t i = 0; ws->mask_store != NULL && i < model->node_count; i++)
        free(ws->mask_store[i]);
    free(ws->masks);
    free(ws->mask_store);
    free(ws->grads);
    free(ws->grad_started);
    free(ws->node_layer);
    free(ws->layer_seen);
    free(ws->node_first);
    free(ws->layer_reported);
    free(ws->param_sum);
    free(ws->labels);
    free(ws->targets);
    free(ws->output_targets);
    free(ws->kept_pred);
    free(ws->kept_targets);
    free(ws->kept_grad);
    free(ws->kept_labels);
    free(ws->sample_weights);
    free(ws->row_weights);
    memset(ws, 0, sizeof *ws);
}

void deep_model_load_inputs(const deep_model *model, deep_workspace *ws, const float *rows, int64_t batch)
{
    if (model->input_count == 1) {
        memcpy(ws->acts[model->inputs[0]], rows, (size_t)(batch * model->in_size) * sizeof(float));
        return;
    }
    for (int32_t k = 0; k < model->input_count; k++) {
        const deep_node *in = &model->nodes[model->inputs[k]];
        float *to = ws->acts[model->inputs[k]];
        for (int64_t b = 0; b < batch; b++)
            memcpy(to + b * in->size, rows + b * model->in_size + in->offset, (size_t)in->size * sizeof(float));
    }
}

void deep_model_store_outputs(const deep_model *model, const deep_workspace *ws, int64_t batch, float *rows)
{
    int32_t outputs = deep_model_output_count(model);
    if (outputs == 1) {
        memcpy(rows, deep_model_output_batch(model, ws),
               (size_t)(batch * model->nodes[deep_model_output_node(model)].size) * sizeof(float));
        return;
    }
    int64_t row = 0;
    for (int32_t k = 0; k < outputs; k++)
        row += model->nodes[deep_model_output_node_at(model, k)].size;
    int64_t offset = 0;
    for (int32_t k = 0; k < outputs; k++) {
        int32_t node = deep_model_output_node_at(model, k);
        int64_t size = model->nodes[node].size;
        for (int64_t b = 0; b < batch; b++)
            memcpy(rows + b * row + offset, ws->acts[node] + b * size, (size_t)size * sizeof(float));
        offset += size;
    }
}

void deep_model_forward(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int64_t batch)
{
    deep_model_forward_nodes(model, ws, ex, batch, last_output(model) + 1);
}

/* A recurrent call's states (Keras' initial_state, return_state) for its forward and
 * backward: its inputs after the sequence, and its state nodes. */
static void point_states(const deep_node *node, const deep_workspace *ws, deep_exec *ex, bool backward)
{
    for (int32_t k = 0; k < DEEP_MAX_STATES; k++) {
        bool given = k + 1 < node->input_count, kept = node->states[k] > 0;
        ex->init_state[k] = given ? ws->acts[node->inputs[k + 1]] : NULL;
        ex->final_state[k] = kept && !backward ? ws->acts[node->states[k]] : NULL;
        ex->final_grad[k] = kept && backward && ws->grad_started[node->states[k]] ? ws->grads[node->states[k]] : NULL;
        ex->init_grad[k] = NULL;
    }
}

void deep_model_forward_nodes(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int64_t batch,
                              int32_t limit)
{
    for (int32_t i = 0; i < limit; i++) {
        const deep_node *node = &model->nodes[i];
        const deep_layer *layer = node->layer;
        if (layer == NULL || node->part > 0)
            continue; /* an input, or a state its call wrote */
        const float *in0 = ws->acts[node->inputs[0]];
        bool merge = (layer->ops->flags & DEEP_LAYER_MERGE) != 0;
        const uint8_t *in_masks[DEEP_MAX_LAYER_INPUTS];
        deep_exec own = *ex;
        own.mask = ws->masks[node->inputs[0]];
        own.input_masks = merge ? merge_input_masks(node, ws, in_masks) : NULL;
        if (ws->mask_store[i] != NULL && merge)
            layer->ops->merge_masks(layer, in_masks, ws->mask_store[i], batch);
        else if (ws->mask_store[i] != NULL)
            layer->ops->compute_mask(layer, in0, ws->mask_store[i], batch);
        point_states(node, ws, &own, false);
        if (merge) {
            const float *in[DEEP_MAX_LAYER_INPUTS];
            for (int32_t k = 0; k < node->input_count; k++)
                in[k] = ws->acts[node->inputs[k]];
            layer->ops->forward_merge(layer, &own, in, ws->acts[i], ws->scratch[i], batch);
        } else {
            layer->ops->forward(layer, &own, in0, ws->acts[i], ws->scratch[i], batch);
        }
    }
}

static void add_into(float *sum, const float *term, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        sum[i] += term[i];
}

/* Where call `node` writes the gradient of its k-th input: the input's own buffer for its
 * first contribution, else an accumulation buffer added to it afterwards (NULL: not needed). */
static float *grad_target(deep_workspace *ws, int32_t node, int32_t input, int32_t k)
{
    if (ws->grads[input] == NULL)
        return NULL;
    return ws->grad_started[input] ? ws->accumulate[node * DEEP_MAX_LAYER_INPUTS + k] : ws->grads[input];
}

/* With a replica hook: layer `position`'s weight gradients are final for this step. */
static void report_ready(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int32_t position)
{
    if (ex->grads_ready == NULL || ws->layer_reported[position])
        return;
    ws->layer_reported[position] = true;
    if (weight_floats(model->layers[position]) > 0)
        ex->grads_ready(ex->ready_ctx, position);
}

void deep_model_backward(deep_model *model, deep_workspace *ws, deep_exec *ex, int64_t batch)
{
    memset(ws->grad_started, 0, (size_t)model->node_count * sizeof *ws->grad_started);
    memset(ws->layer_seen, 0, (size_t)model->layer_count * sizeof *ws->layer_seen);
    memset(ws->layer_reported, 0, (size_t)model->layer_count * sizeof *ws->layer_reported);
    for (int32_t k = 0; k < deep_model_output_count(model); k++)
        ws->grad_started[deep_model_output_node_at(model, k)] = true;
    for (int32_t i = last_output(model); i >= 0; i--) {
        const deep_node *node = &model->nodes[i];
        deep_layer *layer = node->layer;
        if (layer == NULL || node->part > 0)
            continue; /* an input, or a state whose call reads its gradient */
        bool states_started = false;
        for (int32_t k = 0; k < DEEP_MAX_STATES; k++)
            states_started |= node->states[k] > 0 && ws->grad_started[node->states[k]];
        if (!ws->grad_started[i] && !states_started)
            continue; /* not on a path to the output */
        if (!ws->grad_started[i]) { /* only its states lead to the output */
            memset(ws->grads[i], 0, (size_t)(batch * node->size) * sizeof(float));
            ws->grad_started[i] = true;
        }
        float *grad_in[DEEP_MAX_LAYER_INPUTS];
        for (int32_t k = 0; k < node->input_count; k++) {
            grad_in[k] = grad_target(ws, i, node->inputs[k], k);
            /* The same node twice in one call (Add(x, x)): the second writes aside. */
            for (int32_t j = 0; j < k; j++)
                if (node->inputs[j] == node->inputs[k] && grad_in[k] != NULL)
                    grad_in[k] = ws->accumulate[i * DEEP_MAX_LAYER_INPUTS + k];
        }
        ex->fused_output = false;
        for (int32_t k = 0; k < deep_model_output_count(model); k++)
            ex->fused_output |= i == deep_model_output_node_at(model, k) && deep_model_output_fuses(model, k);
        ex->mask = ws->masks[node->inputs[0]];
        const uint8_t *in_masks[DEEP_MAX_LAYER_INPUTS];
        ex->input_masks = layer->ops->flags & DEEP_LAYER_MERGE ? merge_input_masks(node, ws, in_masks) : NULL;
        deep_rules_activity_grad(model, i, ws->acts[i], ws->grads[i], batch, ex->fused_output);
        point_states(node, ws, ex, true);
        for (int32_t k = 1; k < node->input_count && !(layer->ops->flags & DEEP_LAYER_MERGE); k++)
            ex->init_grad[k - 1] = grad_in[k];
        bool again = ws->layer_seen[ws->node_layer[i]];
        ws->layer_seen[ws->node_layer[i]] = true;
        /* An empty batch (a replica whose slice of the last global batch holds no
         * sample) runs the bookkeeping alone, so that it reports its (zero) gradients in
         * the same order as the other replicas. */
        if (batch == 0) {
            for (int32_t k = 0; k < node->input_count; k++)
                if (grad_in[k] != NULL)
                    ws->grad_started[node->inputs[k]] = true;
            if (ws->node_first[i])
                report_ready(model, ws, ex, ws->node_layer[i]);
            continue;
        }
        if (again)
            keep_param_grads(layer, ws->param_sum);
        if (layer->ops->flags & DEEP_LAYER_MERGE) {
            const float *in[DEEP_MAX_LAYER_INPUTS];
            for (int32_t k = 0; k < node->input_count; k++)
                in[k] = ws->acts[node->inputs[k]];
            layer->ops->backward_merge(layer, ex, in, ws->acts[i], ws->grads[i], grad_in, ws->scratch[i], batch);
        } else {
            layer->ops->backward(layer, ex, ws->acts[node->inputs[0]], ws->acts[i], ws->grads[i], grad_in[0],
                                 ws->scratch[i], batch);
        }
        if (again)
            add_param_grads(layer, ws->param_sum);
        for (int32_t k = 0; k < node->input_count; k++) {
            int32_t in = node->inputs[k];
            if (grad_in[k] == NULL)
                continue;
            if (grad_in[k] != ws->grads[in])
                add_into(ws->grads[in], grad_in[k], batch * model->nodes[in].size);
            ws->grad_started[in] = true;
        }
        if (ws->node_first[i])
            report_ready(model, ws, ex, ws->node_layer[i]);
    }
    /* Layers whose first call is on no path to an output (their gradients stay as they
     * were): reported last, still in the same order on every replica. */
    for (int32_t position = model->layer_count - 1; position >= 0; position--)
        report_ready(model, ws, ex, position);
    ex->fused_output = false;
    ex->mask = NULL;
    ex->input_masks = NULL;
    point_states(&(deep_node){0}, ws, ex, true);
}

int32_t deep_model_node_of(const deep_model *model, const deep_layer *layer)
{
    for (int32_t i = 0; i < model->node_count; i++)
        if (model->nodes[i].layer == layer)
            return i;
    return -1;
}

bool deep_model_checks_inputs(const deep_model *model)
{
    for (int32_t i = 0; i < model->node_count; i++) {
        const deep_node *node = &model->nodes[i];
        if (node->layer != NULL && node->layer->ops->check_input != NULL && model->nodes[node->inputs[0]].layer == NULL)
            return true;
    }
    return false;
}

deep_status deep_model_check_input_values(const deep_model *model, const float *rows, int64_t count,
                                          const char *caller)
{
    for (int32_t i = 0; i < model->node_count; i++) {
        const deep_node *node = &model->nodes[i];
        if (node->layer == NULL || node->layer->ops->check_input == NULL || model->nodes[node->inputs[0]].layer)
            continue;
        const deep_node *in = &model->nodes[node->inputs[0]];
        int32_t position = deep_model_layer_position(model, node->layer);
        if (model->input_count == 1) {
            DEEP_TRY(node->layer->ops->check_input(node->layer, position, rows, count, caller));
            continue;
        }
        for (int64_t b = 0; b < count; b++)
            DEEP_TRY(node->layer->ops->check_input(node->layer, position, rows + b * model->in_size + in->offset, 1,
                                                   caller));
    }
    return DEEP_OK;
}

/* The dataset supplies float targets for the loss either as targets or, for one output,
 * as its labels read as 0/1 values. */
static bool uses_label_targets(const deep_model *model, const deep_dataset *data)
{
    return deep_model_output_count(model) == 1 && data->targets == NULL && data->labels != NULL && model->nodes[deep_model_output_node(model)].size == 1;
}

deep_status deep_model_check_target_rows(const deep_model *model, const float *rows, int64_t count,
                                         const char *caller)
{
    int64_t total = deep_model_target_total(model), offset = 0;
    for (int32_t k = 0; k < deep_model_output_count(model); k++) {
        const deep_node *out = &model->nodes[deep_model_output_node_at(model, k)];
        int64_t classes = out->shape[out->rank - 1], labels = deep_model_target_width(model, k);
        for (int64_t s = 0; model->losses[k] == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY && s < count; s++)
            for (int64_t c = offset; c < offset + labels; c++) {
                float v = rows[s * total + c];
                if (!(v >= 0 && v < (float)classes) || v != floorf(v))
                    return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                                          "sample %lld: output %d's label (target column %lld) is %g, not a class "
                                          "in 0..%lld", (long long)s, (int)k, (long long)c, (double)v,
                                          (long long)classes - 1);
            }
        offset += deep_model_target_width(model, k);
    }
    return DEEP_OK;
}

/* Several outputs take float target rows: each output's targets one after the other, a
 * sparse loss's label as one whole number. */
static deep_status check_output_targets(const deep_model *model, const deep_dataset *data, const char *caller)
{
    int64_t total = deep_model_target_total(model);
    if (data->targets == NULL || data->target_width != total)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "the model's %d outputs take float targets of width %lld per sample (each output's "
                              "targets one after the other, one label for a sparse loss); the dataset has %s %lld",
                              (int)deep_model_output_count(model), (long long)total,
                              data->targets == NULL ? "none, width" : "width",
                              data->targets == NULL ? 0LL : (long long)data->target_width);
    return deep_model_check_target_rows(model, data->targets, data->count, caller);
}

deep_status deep_model_check_data(const deep_model *model, const deep_dataset *data, const char *caller)
{
    const deep_layer *first = model->nodes[1].layer; /* a Sequential model's first layer */
    if (data->count < 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the dataset is empty");
    if (model->input_count == 1 && data->sample_size != model->in_size && first != NULL &&
        (first->ops->flags & DEEP_LAYER_ID_INPUT) && model->in_rank == 1)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "sequences of %lld token ids but layer 0 (%s) takes sequences of %lld; pad or truncate "
                              "them to that length",
                              (long long)data->sample_size, first->name, (long long)model->in_size);
    DEEP_TRY(deep_model_check_dataset_shape(model, data, caller));
    if (data->sample_size != model->in_size && model->input_count > 1)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "input has %lld features but the model's %d inputs take %lld in all (each sample is "
                              "the inputs' features one after the other)",
                              (long long)data->sample_size, (int)model->input_count, (long long)model->in_size);
    if (data->sample_size != model->in_size)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "input has %lld features but layer 0 (%s) expects %lld",
                              (long long)data->sample_size, model->layers[0]->name, (long long)model->in_size);
    if (deep_model_checks_inputs(model)) { /* only then the features as floats (bytes cost 4x) */
        const float *values;
        DEEP_TRY(deep_dataset_values(caller, data, &values));
        DEEP_TRY(deep_model_check_input_values(model, values, data->count, caller));
    }
    if (deep_model_output_count(model) > 1)
        return check_output_targets(model, data, caller);
    if (deep_model_labels_per_step(model)) {
        int64_t steps = deep_model_output_rows(model);
        if (data->targets == NULL || data->target_width != steps)
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "sparse categorical cross-entropy on an output of %lld steps takes one label per "
                                  "step: float targets of width %lld holding whole class numbers "
                                  "(deep_dataset_set_targets); the dataset has %s %lld",
                                  (long long)steps, (long long)steps,
                                  data->targets == NULL ? "none, width" : "width",
                                  data->targets == NULL ? 0LL : (long long)data->target_width);
        return deep_model_check_target_rows(model, data->targets, data->count, caller);
    }
    int64_t width = model->nodes[deep_model_output_node(model)].size;
    if (model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
        if (data->labels == NULL)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "sparse categorical cross-entropy needs integer labels; the dataset has none");
        if (data->num_classes > width)
            return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                                  "labels go up to %d but the model has %lld outputs", (int)data->num_classes - 1,
                                  (long long)width);
        return DEEP_OK;
    }
    if (data->targets == NULL && !uses_label_targets(model, data)) {
        if (data->labels != NULL && model->loss == DEEP_LOSS_CATEGORICAL_CROSSENTROPY)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "categorical cross-entropy needs one-hot targets; call deep_dataset_to_categorical "
                                  "or use sparse categorical cross-entropy");
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the loss needs float targets; the dataset has none");
    }
    if (uses_label_targets(model, data) && data->num_classes > 2)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                              "labels go up to %d but a single output takes 0/1 labels as targets",
                              (int)data->num_classes - 1);
    if (data->targets != NULL && data->target_width != width)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "targets have width %lld but the model has %lld outputs",
                              (long long)data->target_width, (long long)width);
    return DEEP_OK;
}

void deep_model_gather(const deep_model *model, const deep_dataset *data, const int64_t *order, int64_t first,
                       int64_t batch, deep_workspace *ws)
{
    int64_t in_size = data->sample_size;
    int64_t width = deep_model_output_count(model) > 1 || deep_model_labels_per_step(model)
                        ? deep_model_target_total(model)
                        : model->nodes[deep_model_output_node(model)].size;
    bool label_targets = uses_label_targets(model, data);
    for (int64_t b = 0; b < batch; b++) {
        int64_t s = order != NULL ? order[b] : first + b;
        if (model->input_count == 1) {
            deep_dataset_read_samples(data, s, 1, ws->acts[model->inputs[0]] + b * in_size);
        } else {
            for (int32_t k = 0; k < model->input_count; k++) {
                const deep_node *in = &model->nodes[model->inputs[k]];
                deep_dataset_read_features(data, s, in->offset, in->size, ws->acts[model->inputs[k]] + b * in->size);
            }
        }
        if (data->labels != NULL)
            ws->labels[b] = data->labels[s];
        if (data->targets != NULL)
            memcpy(ws->targets + b * width, data->targets + s * width, (size_t)width * sizeof(float));
        else if (label_targets)
            ws->targets[b] = (float)data->labels[s];
        ws->sample_weights[b] = data->sample_weights != NULL ? data->sample_weights[s] : 1.0f;
    }
    ws->weighted = data->sample_weights != NULL;
}

/* Gathers the rows whose mask entry is set into the workspace's kept_ buffers and points
 * pred, targets and labels at them (Keras' masked loss: padded steps are not scored).
 * Returns how many rows were kept. */
static int64_t keep_unmasked_rows(deep_workspace *ws, const uint8_t *mask, int64_t rows, int64_t width,
                                  const float **pred, const float **targets, const int32_t **labels)
{
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (!mask[r])
            continue;
        memcpy(ws->kept_pred + kept * width, *pred + r * width, (size_t)width * sizeof(float));
        if (*targets != NULL)
            memcpy(ws->kept_targets + kept * width, *targets + r * width, (size_t)width * sizeof(float));
        if (*labels != NULL)
            ws->kept_labels[kept] = (*labels)[r];
        kept++;
    }
    *pred = ws->kept_pred;
    *targets = *targets != NULL ? ws->kept_targets : NULL;
    *labels = *labels != NULL ? ws->kept_labels : NULL;
    return kept;
}

/* The gradient of the kept rows back to their places; masked rows get none. */
static void spread_kept_grad(const float *kept_grad, const uint8_t *mask, int64_t rows, int64_t width, float *grad)
{
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (mask[r])
            memcpy(grad + r * width, kept_grad + kept++ * width, (size_t)width * sizeof(float));
        else
            memset(grad + r * width, 0, (size_t)width * sizeof(float));
    }
}

/* Output k's targets (or labels, for a sparse loss) from the model's target rows, where
 * they start at column `offset`. */
static void output_targets(const deep_model *model, deep_workspace *ws, int32_t k, int64_t batch, int64_t offset,
                           const float **targets, const int32_t **labels)
{
    int64_t total = deep_model_target_total(model), width = deep_model_target_width(model, k);
    if (model->losses[k] == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) { /* one label per step */
        for (int64_t b = 0; b < batch; b++)
            for (int64_t t = 0; t < width; t++)
                ws->labels[b * width + t] = (int32_t)ws->targets[b * total + offset + t];
        *targets = NULL;
        *labels = ws->labels;
        return;
    }
    for (int64_t b = 0; b < batch; b++)
        memcpy(ws->output_targets + b * width, ws->targets + b * total + offset, (size_t)width * sizeof(float));
    *targets = ws->output_targets;
    *labels = NULL;
}

/* Scores output k on its targets: its mean loss (returned), its metrics added into
 * stats from column `column`, and with `grad` dL_k/d(output) (or d(pre-activation), fused)
 * written there. */
static double score_output(const deep_model *model, deep_workspace *ws, int32_t k, int64_t batch,
                           const float *targets, const int32_t *labels, deep_pass_stats *stats, int32_t column,
                           float *grad)
{
    const deep_node *out = &model->nodes[deep_model_output_node_at(model, k)];
    int64_t width = out->shape[out->rank - 1], rows = batch * (out->size / width);
    const float *pred = ws->acts[deep_model_output_node_at(model, k)];
    const uint8_t *mask = ws->masks[deep_model_output_node_at(model, k)];
    if (ws->weighted) /* each row takes its sample's weight; kept rows keep theirs */
        for (int64_t r = 0, kept = 0, steps = rows / batch; r < rows; r++)
            if (mask == NULL || mask[r])
                ws->row_weights[kept++] = ws->sample_weights[r / steps];
    int64_t scored = mask != NULL ? keep_unmasked_rows(ws, mask, rows, width, &pred, &targets, &labels) : rows;
    float *scored_grad = mask != NULL && grad != NULL ? ws->kept_grad : grad;
    bool fused = grad != NULL && deep_model_output_fuses(model, k);
    const deep_loss_config config = deep_model_loss_config(model, k);
    /* Per row of the last axis, so that per-step losses average over the steps as Keras'. */
    double loss = deep_loss_apply(model->losses[k], &config, pred, targets, labels, scored, width,
                                  fused ? NULL : scored_grad);
    if (fused)
        deep_loss_fused_grad(model->losses[k], config.label_smoothing, pred, targets, labels, scored, width,
                             scored_grad);
    if (ws->weighted) { /* Keras' sample weights weigh the loss only, not the metrics */
        loss = deep_loss_weighted(model->losses[k], &config, pred, targets, labels, scored, width, ws->row_weights);
        if (scored_grad != NULL)
            deep_loss_scale_rows(scored_grad, scored, width, ws->row_weights);
    }
    if (mask != NULL && grad != NULL)
        spread_kept_grad(scored_grad, mask, rows, width, grad);
    for (int32_t m = 0; m < model->metric_count; m++) {
        int32_t curve = deep_model_curve_slot(model, k, m);
        const deep_metric_config metric_config = deep_model_metric_config(model, m);
        deep_metric_accumulate(model->metrics[m], &metric_config, pred, targets, labels, scored, width,
                               &stats->sums[column + m], &stats->counts[column + m],
                               curve >= 0 ? &stats->curves[curve] : NULL);
    }
    return loss;
}

/* Output k's loss times its weight (Keras' loss_weights), its gradient scaled alike. */
static double weigh(const deep_model *model, int32_t k, double loss, float *grad, int64_t batch)
{
    double weight = model->loss_weights[k];
    int64_t size = batch * model->nodes[deep_model_output_node_at(model, k)].size;
    for (int64_t i = 0; grad != NULL && weight != 1.0 && i < size; i++)
        grad[i] *= (float)weight;
    return weight * loss;
}

double deep_model_score_batch(const deep_model *model, deep_workspace *ws, int64_t batch, deep_pass_stats *stats,
                              float *grad)
{
    int32_t outputs = deep_model_output_count(model);
    double loss = 0.0;
    if (outputs == 1 && deep_model_labels_per_step(model)) { /* the labels arrive as target rows */
        const float *targets;
        const int32_t *labels;
        output_targets(model, ws, 0, batch, 0, &targets, &labels);
        loss = weigh(model, 0, score_output(model, ws, 0, batch, targets, labels, stats, 1, grad), grad, batch);
    } else if (outputs == 1) {
        bool sparse = model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
        /* Sparse losses gather labels only; other losses gather targets (or labels as targets). */
        loss = score_output(model, ws, 0, batch, sparse ? NULL : ws->targets, sparse ? ws->labels : NULL, stats, 1,
                            grad);
        loss = weigh(model, 0, loss, grad, batch);
    } else {
        int64_t offset = 0;
        for (int32_t k = 0; k < outputs; k++) {
            const float *targets;
            const int32_t *labels;
            output_targets(model, ws, k, batch, offset, &targets, &labels);
            offset += deep_model_target_width(model, k);
            float *g = grad != NULL ? ws->grads[deep_model_output_node_at(model, k)] : NULL;
            double part = score_output(model, ws, k, batch, targets, labels, stats,
                                       1 + outputs + k * model->metric_count, g);
            loss += weigh(model, k, part, g, batch);
            stats->sums[1 + k] += part * (double)batch;
            stats->counts[1 + k] += (double)batch;
        }
    }
    /* The regularizers' terms (graph/rules.c) count in the total loss only, as Keras'. */
    loss += deep_rules_penalty(model, ws, batch);
    stats->sums[0] += loss * (double)batch;
    stats->counts[0] += (double)batch;
    stats->samples += batch;
    return loss;
}

int32_t deep_model_curve_slot(const deep_model *model, int32_t k, int32_t m)
{
    if (!deep_metric_has_curve(model->metrics[m]))
        return -1;
    int32_t before = 0, per_output = 0;
    for (int32_t i = 0; i < model->metric_count; i++) {
        per_output += deep_metric_has_curve(model->metrics[i]);
        before += i < m && deep_metric_has_curve(model->metrics[i]);
    }
    return k * per_output + before;
}

/* The loss columns are means over samples; each metric column is its metric's value from
 * the sums (Keras' result() of the metric object). */
void deep_pass_stats_means(const deep_model *model, const deep_pass_stats *stats, double *values)
{
    int32_t outputs = deep_model_output_count(model), first_metric = outputs == 1 ? 1 : 1 + outputs;
    for (int32_t i = 0; i < deep_model_stat_count(model); i++) {
        if (stats->samples == 0) {
            values[i] = NAN;
        } else if (i < first_metric) {
            values[i] = stats->counts[i] > 0 ? stats->sums[i] / stats->counts[i] : 0.0;
        } else {
            int32_t k = (i - first_metric) / model->metric_count, m = (i - first_metric) % model->metric_count;
            int32_t curve = deep_model_curve_slot(model, k, m);
            values[i] = deep_metric_result(model->metrics[m], stats->sums[i], stats->counts[i],
                                           curve >= 0 ? &stats->curves[curve] : NULL);
        }
    }
}
