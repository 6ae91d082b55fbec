/* The element-wise merge layers' shared build, masks, forward and backward (merge.h). */
#include <stdio.h>

#include "layers/merge.h"
#include "tensor/tensor.h"

deep_status deep_merge_build(deep_layer *layer)
{
    if (layer->ops == &deep_subtract_ops && layer->input_count != 2)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "Subtract takes exactly 2 inputs, not %d",
                         (int)layer->input_count);
    /* Keras folds the inputs in order, each into the shape so far, and names those two. */
    int32_t rank = layer->in_rank;
    int64_t shape[DEEP_MAX_RANK];
    memcpy(shape, layer->in_shape, sizeof shape);
    for (int32_t k = 1; k < layer->input_count; k++) {
        int32_t r = layer->in_ranks[k], high = r > rank ? r : rank;
        int64_t merged[DEEP_MAX_RANK];
        for (int32_t d = 0; d < high; d++) {
            int32_t a = d - (high - rank), b = d - (high - r); /* aligned at the last axis */
            int64_t x = a >= 0 ? shape[a] : 1, y = b >= 0 ? layer->in_shapes[k][b] : 1;
            if (x != y && x != 1 && y != 1) {
                char so_far[128], got[128];
                return DEEP_FAIL(DEEP_ERR_SHAPE,
                                 "%s cannot broadcast %s of shape %s with input %d of shape %s (axis %d: %lld and "
                                 "%lld; each axis must agree or be 1)",
                                 layer->ops->class_name, k == 1 ? "input 0" : "the inputs before",
                                 deep_shape_format(so_far, sizeof so_far, rank, shape), (int)k,
                                 deep_shape_format(got, sizeof got, r, layer->in_shapes[k]), (int)d + 1,
                                 (long long)x, (long long)y);
            }
            merged[d] = x == 1 ? y : x;
        }
        rank = high;
        memcpy(shape, merged, (size_t)high * sizeof *shape);
    }
    layer->out_rank = rank;
    memset(layer->out_shape, 0, sizeof layer->out_shape);
    memcpy(layer->out_shape, shape, (size_t)rank * sizeof *shape);
    return DEEP_OK;
}

deep_mask_flow deep_merge_mask_flow(const deep_layer *layer)
{
    (void)layer;
    return DEEP_MASK_MERGED;
}

deep_status deep_merge_mask_merged(const deep_layer *layer, const bool *masked, bool *has_mask)
{
    *has_mask = true;
    for (int32_t k = 0; k < layer->input_count; k++) {
        *has_mask &= masked[k];
        if (masked[k] && (layer->in_ranks[k] != layer->out_rank || layer->in_shapes[k][0] != layer->out_shape[0])) {
            char got[128], want[128];
            return DEEP_FAIL(DEEP_ERR_SHAPE,
                             "%s: input %d of shape %s has a mask over its %lld steps, which cannot be broadcast "
                             "to the output %s (a masked input keeps the output's rank and first axis)",
                             layer->ops->class_name, (int)k,
                             deep_shape_format(got, sizeof got, layer->in_ranks[k], layer->in_shapes[k]),
                             (long long)layer->in_shapes[k][0],
                             deep_shape_format(want, sizeof want, layer->out_rank, layer->out_shape));
        }
    }
    return DEEP_OK;
}

void deep_merge_masks(const deep_layer *layer, const uint8_t *const *masks, uint8_t *mask, int64_t batch)
{
    int64_t n = batch * layer->out_shape[0];
    for (int64_t i = 0; i < n; i++) {
        uint8_t any = 0;
        for (int32_t k = 0; k < layer->input_count; k++)
            any |= masks[k][i] != 0;
        mask[i] = any;
    }
}

/* Whether every input has the output's shape and none a mask: the plain loops apply. */
static bool plain(const deep_layer *layer, const deep_exec *ex)
{
    for (int32_t k = 0; k < layer->input_count; k++)
        if (layer->in_sizes[k] != layer->out_size)
            return false;
    return ex->input_masks == NULL;
}

/* Where element i of an output sample sits in input k's sample: the axes aligned at the
 * end, an axis of 1 (or one the input lacks) repeating its one value. */
static int64_t source_index(const deep_layer *layer, int32_t k, int64_t i)
{
    int32_t lead = layer->out_rank - layer->in_ranks[k];
    int64_t at = 0, stride = 1;
    for (int32_t d = layer->out_rank - 1; d >= lead; d--) {
        int64_t dim = layer->out_shape[d], own = layer->in_shapes[k][d - lead];
        if (own != 1)
            at += (i % dim) * stride;
        i /= dim;
        stride *= own;
    }
    return at;
}

/* One output element: each input's value (its index in at[k]) and whether its step is not
 * masked out (on[k]). */
typedef struct merge_element {
    int64_t at[DEEP_MAX_LAYER_INPUTS];
    float x[DEEP_MAX_LAYER_INPUTS];
    bool on[DEEP_MAX_LAYER_INPUTS];
} merge_element;

static void gather(const deep_layer *layer, const deep_exec *ex, const float *const *in, int64_t b, int64_t i,
                   merge_element *e)
{
    int64_t steps = layer->out_shape[0], step = i / (layer->out_size / steps);
    for (int32_t k = 0; k < layer->input_count; k++) {
        e->at[k] = b * layer->in_sizes[k] +
                   (layer->in_sizes[k] == layer->out_size ? i : source_index(layer, k, i));
        e->x[k] = in[k][e->at[k]];
        const uint8_t *mask = ex->input_masks != NULL ? ex->input_masks[k] : NULL;
        e->on[k] = mask == NULL || mask[b * steps + step] != 0;
    }
}

/* The input whose value Maximum or Minimum gives: the first extreme among the inputs not
 * masked out (Keras' pairwise reduction sends ties to the first), else input 0. */
static int32_t winner(const merge_element *e, int32_t count, bool max)
{
    int32_t best = -1;
    for (int32_t k = 0; k < count; k++)
        if (e->on[k] && (best < 0 || (max ? e->x[k] > e->x[best] : e->x[k] < e->x[best])))
            best = k;
    return best < 0 ? 0 : best;
}

static float combine(const merge_element *e, int32_t count, deep_merge_op op)
{
    float v = e->x[0];
    bool any = false;
    switch (op) {
    case DEEP_MERGE_OP_ADD:
    case DEEP_MERGE_OP_AVERAGE:
        for (int32_t k = 1; k < count; k++)
            v += e->x[k];
        return op == DEEP_MERGE_OP_AVERAGE ? v / (float)count : v;
    case DEEP_MERGE_OP_SUBTRACT: return v - e->x[1];
    case DEEP_MERGE_OP_MULTIPLY:
        v = 1.0f;
        for (int32_t k = 0; k < count; k++)
            if (e->on[k]) {
                v *= e->x[k];
                any = true;
            }
        return any ? v : 0.0f;
    case DEEP_MERGE_OP_MAXIMUM:
    case DEEP_MERGE_OP_MINIMUM: return e->x[winner(e, count, op == DEEP_MERGE_OP_MAXIMUM)];
    }
    return v;
}

/* The plain case: every input of the output's shape, no masks. */
static void forward_plain(const deep_layer *layer, const float *const *in, float *out, int64_t batch,
                          deep_merge_op op)
{
    int64_t n = batch * layer->out_size;
    int32_t count = layer->input_count;
    for (int64_t i = 0; i < n; i++) {
        float v = in[0][i];
        for (int32_t k = 1; k < count; k++) {
            float x = in[k][i];
            switch (op) {
            case DEEP_MERGE_OP_ADD:
            case DEEP_MERGE_OP_AVERAGE: v += x; break;
            case DEEP_MERGE_OP_SUBTRACT: v -= x; break;
            case DEEP_MERGE_OP_MULTIPLY: v *= x; break;
            case DEEP_MERGE_OP_MAXIMUM: v = x > v ? x : v; break;
            case DEEP_MERGE_OP_MINIMUM: v = x < v ? x : v; break;
            }
        }
        out[i] = op == DEEP_MERGE_OP_AVERAGE ? v / (float)count : v;
    }
}

void deep_merge_forward(const deep_layer *layer, const deep_exec *ex, const float *const *in, float *out,
                        int64_t batch, deep_merge_op op)
{
    if (plain(layer, ex)) {
        forward_plain(layer, in, out, batch, op);
        return;
    }
    merge_element e;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < layer->out_size; i++) {
            gather(layer, ex, in, b, i, &e);
            out[b * layer->out_size + i] = combine(&e, layer->input_count, op);
        }
}

/* dL/d(input k) of one element, from d = dL/d(output). */
static float input_grad(const merge_element *e, int32_t count, int32_t k, float d, deep_merge_op op)
{
    switch (op) {
    case DEEP_MERGE_OP_ADD: return d;
    case DEEP_MERGE_OP_SUBTRACT: return k == 0 ? d : -d;
    case DEEP_MERGE_OP_AVERAGE: return d / (float)count;
    case DEEP_MERGE_OP_MULTIPLY:
        if (!e->on[k])
            return 0.0f;
        for (int32_t j = 0; j < count; j++)
            d = j == k || !e->on[j] ? d : d * e->x[j];
        return d;
    case DEEP_MERGE_OP_MAXIMUM:
    case DEEP_MERGE_OP_MINIMUM: return winner(e, count, op == DEEP_MERGE_OP_MAXIMUM) == k ? d : 0.0f;
    }
    return 0.0f;
}

/* Maximum and minimum of the plain case send the gradient to the first input holding the
 * extreme value, as Keras' pairwise reduction does on ties. */
static int32_t plain_winner(const float *const *in, int32_t count, int64_t i, bool max)
{
    int32_t best = 0;
    for (int32_t k = 1; k < count; k++)
        if (max ? in[k][i] > in[best][i] : in[k][i] < in[best][i])
            best = k;
    return best;
}

static void backward_plain(const deep_layer *layer, const float *const *in, const float *grad_out,
                           float *const *grad_in, int64_t batch, deep_merge_op op)
{
    int64_t n = batch * layer->out_size;
    int32_t count = layer->input_count;
    for (int32_t k = 0; k < count; k++) {
        float *g = grad_in[k];
        if (g == NULL)
            continue;
        for (int64_t i = 0; i < n; i++) {
            float d = grad_out[i];
            switch (op) {
            case DEEP_MERGE_OP_ADD: break;
            case DEEP_MERGE_OP_SUBTRACT: d = k == 0 ? d : -d; break;
            case DEEP_MERGE_OP_AVERAGE: d /= (float)count; break;
            case DEEP_MERGE_OP_MULTIPLY:
                for (int32_t j = 0; j < count; j++)
                    d = j == k ? d : d * in[j][i];
                break;
            case DEEP_MERGE_OP_MAXIMUM:
            case DEEP_MERGE_OP_MINIMUM:
                d = plain_winner(in, count, i, op == DEEP_MERGE_OP_MAXIMUM) == k ? d : 0.0f;
                break;
            }
            g[i] = d;
        }
    }
}

void deep_merge_backward(const deep_layer *layer, const deep_exec *ex, const float *const *in, const float *out,
                         const float *grad_out, float *const *grad_in, int64_t batch, deep_merge_op op)
{
    (void)out;
    int32_t count = layer->input_count;
    merge_element e;
    if (plain(layer, ex)) {
        backward_plain(layer, in, grad_out, grad_in, batch, op);
        return;
    }
    /* Add may run in place (graph/plan.c): an input whose gradient buffer is grad_out has
     * the output's size, so its gradient is grad_out as it stands, and is left alone. */
    float *g[DEEP_MAX_LAYER_INPUTS];
    for (int32_t k = 0; k < count; k++)
        g[k] = grad_in[k] == grad_out && op == DEEP_MERGE_OP_ADD ? NULL : grad_in[k];
    /* A broadcast input's gradient sums over the output elements it gave. */
    for (int32_t k = 0; k < count; k++)
        if (g[k] != NULL)
            memset(g[k], 0, (size_t)(batch * layer->in_sizes[k]) * sizeof(float));
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < layer->out_size; i++) {
            gather(layer, ex, in, b, i, &e);
            float d = grad_out[b * layer->out_size + i];
            for (int32_t k = 0; k < count; k++)
                if (g[k] != NULL)
                    g[k][e.at[k]] += input_grad(&e, count, k, d, op);
        }
}
