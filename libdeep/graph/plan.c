/* Where every node's output and gradient live during a pass: one arena, laid out by
 * liveness. Each buffer lives over an interval of a timeline whose steps are the nodes'
 * forwards (step i for node i), the scoring of the outputs (step L, L the nodes run) and
 * the nodes' backwards (step 2L - i). An output lives from its forward to its last reader:
 * the last forward that takes it, and in training the backward of a layer that reads it
 * (deep_layer_backward_reads: a BatchNormalization's input, a ReLU's output, neither for
 * an Add). A gradient lives from the backward of its first writer to its own backward.
 * Buffers whose intervals do not meet may share memory; element-wise layers may run in
 * place, their output in the buffer of an input that dies there (a ReLU after a
 * BatchNormalization or an Add) and likewise their input's gradient in their output's.
 * So a chain's predict needs two activations whatever its depth, and training keeps only
 * what backward reads. Offsets are per sample: the arena holds max_batch samples of each. */
#include <stdlib.h>

#include "graph/model.h"

/* Sizes round up to this many floats per sample, so that every buffer is 64-byte aligned. */
#define ALIGN_FLOATS 16

typedef struct span {
    int64_t size, start, end, offset;
} span;

/* A group of buffers sharing memory (in place): its size and interval cover its members'. */
static void join(span *spans, int32_t *group, int32_t member, int32_t into)
{
    span *a = &spans[into], *b = &spans[group[member]];
    a->start = b->start < a->start ? b->start : a->start;
    a->end = b->end > a->end ? b->end : a->end;
    b->size = 0; /* the member's own span is empty now */
    group[member] = into;
}

static int64_t round_up(int64_t size)
{
    return (size + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

/* Whether node i's buffer must be its own for the whole pass: inputs (loaded before it),
 * outputs (scored, returned), recurrent states and calls with states (written and read
 * outside the plain order), outputs under an activity regularizer (its penalty reads them
 * after the pass) and nodes the pass never runs. */
static bool pinned(const deep_model *model, int32_t i, int32_t limit)
{
    const deep_node *node = &model->nodes[i];
    if (node->layer == NULL || node->part > 0 || i >= limit)
        return true;
    for (int32_t k = 0; k < deep_model_output_count(model); k++)
        if (deep_model_output_node_at(model, k) == i)
            return true;
    for (int32_t k = 0; k < DEEP_MAX_STATES; k++)
        if (node->states[k] > 0)
            return true;
    const deep_regularizer_rule *r = &node->layer->rules.reg[DEEP_WEIGHT_ACTIVITY];
    return r->l1 > 0 || r->l2 > 0;
}

/* How many times node j takes node i. */
static int32_t takes(const deep_node *j, int32_t i)
{
    int32_t count = 0;
    for (int32_t k = 0; k < j->input_count; k++)
        count += j->inputs[k] == i;
    return count;
}

/* A call that runs in forward and backward (not an input, not a state). */
static bool is_call(const deep_model *model, int32_t j)
{
    return model->nodes[j].layer != NULL && model->nodes[j].part == 0;
}

static unsigned reads_of(const deep_layer *layer)
{
    return layer->ops->backward_reads != NULL ? layer->ops->backward_reads(layer)
                                              : DEEP_READS_INPUT | DEEP_READS_OUTPUT;
}

/* Whether span a goes before span b: the larger first, then the lower index (deterministic). */
static bool before(const span *spans, int32_t a, int32_t b)
{
    return spans[a].size != spans[b].size ? spans[a].size > spans[b].size : a < b;
}

/* Greedy by size: the largest buffers first, each at the lowest offset where it meets no
 * buffer already placed that is live at the same time. Returns the arena's size. */
static int64_t place(span *spans, int32_t count, int32_t *order)
{
    int32_t used = 0;
    for (int32_t s = 0; s < count; s++)
        if (spans[s].size > 0)
            order[used++] = s;
    for (int32_t a = 1; a < used; a++) /* insertion sort: a few hundred spans at most */
        for (int32_t b = a; b > 0 && before(spans, order[b], order[b - 1]); b--) {
            int32_t t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    int64_t total = 0;
    for (int32_t a = 0; a < used; a++) {
        span *s = &spans[order[a]];
        int64_t offset = 0;
        for (bool moved = true; moved;) { /* past every overlapping buffer in the way */
            moved = false;
            for (int32_t b = 0; b < a; b++) {
                const span *t = &spans[order[b]];
                bool same_time = s->start <= t->end && t->start <= s->end;
                if (same_time && offset < t->offset + t->size && t->offset < offset + s->size) {
                    offset = t->offset + t->size;
                    moved = true;
                }
            }
        }
        s->offset = offset;
        total = offset + s->size > total ? offset + s->size : total;
    }
    return total;
}

/* Output spans 0..n-1, gradient spans n..2n-1 (size 0: none). */
static void plan_outputs(const deep_model *model, bool training, int32_t limit, span *spans, int32_t *group)
{
    int32_t n = model->node_count;
    int64_t back = 2 * (int64_t)limit; /* node j's backward is step back - j */
    for (int32_t i = 0; i < n; i++) {
        group[i] = i;
        spans[i] = (span){.size = round_up(model->nodes[i].size), .start = i, .end = i};
        if (pinned(model, i, limit)) {
            spans[i].start = 0;
            spans[i].end = back + 1;
            continue;
        }
        if (training && (reads_of(model->nodes[i].layer) & DEEP_READS_OUTPUT))
            spans[i].end = back - i;
        for (int32_t j = i + 1; j < limit; j++) {
            if (!is_call(model, j) || takes(&model->nodes[j], i) == 0)
                continue;
            int64_t last = training && (reads_of(model->nodes[j].layer) & DEEP_READS_INPUT) ? back - j : j;
            spans[i].end = last > spans[i].end ? last : spans[i].end;
        }
    }
    /* In place: an element-wise call writes over an input of its size that dies there. */
    for (int32_t j = 0; j < limit; j++) {
        const deep_node *node = &model->nodes[j];
        if (!is_call(model, j) || !(node->layer->ops->flags & DEEP_LAYER_IN_PLACE) || pinned(model, j, limit))
            continue;
        for (int32_t k = 0; k < node->input_count; k++) {
            int32_t in = node->inputs[k], g = group[in];
            if (!pinned(model, in, limit) && takes(node, in) == 1 && model->nodes[in].size == node->size &&
                spans[g].end == j) {
                join(spans, group, j, g);
                break;
            }
        }
    }
}

/* The gradients of the nodes `needed` marks (graph/pass.c's choice). */
static void plan_grads(const deep_model *model, const bool *needed, int32_t limit, span *spans, int32_t *group)
{
    int32_t n = model->node_count;
    int64_t back = 2 * (int64_t)limit;
    span *grad = spans + n;
    int32_t *ggroup = group + n;
    for (int32_t x = 0; x < n; x++) {
        ggroup[x] = n + x;
        grad[x] = (span){0};
        if (!needed[x])
            continue;
        const deep_node *node = &model->nodes[x];
        int64_t end = back - (node->part > 0 ? node->inputs[0] : x), start = end;
        for (int32_t k = 0; k < deep_model_output_count(model); k++)
            start = deep_model_output_node_at(model, k) == x ? limit : start;
        for (int32_t j = x + 1; j < limit; j++)
            if (is_call(model, j) && takes(&model->nodes[j], x) > 0)
                start = back - j < start ? back - j : start;
        grad[x] = (span){.size = round_up(node->size), .start = start, .end = end};
    }
    /* In place: an element-wise backward writes its input's gradient over its output's, when
     * it is that gradient's first writer (no other consumer, not an output). */
    for (int32_t j = limit - 1; j >= 0; j--) {
        const deep_node *node = &model->nodes[j];
        if (!needed[j] || !is_call(model, j) || !(node->layer->ops->flags & DEEP_LAYER_GRAD_IN_PLACE))
            continue;
        for (int32_t k = 0; k < node->input_count; k++) {
            int32_t in = node->inputs[k];
            if (!needed[in] || pinned(model, in, limit) || takes(node, in) != 1 ||
                model->nodes[in].size != node->size || grad[in].start != back - j)
                continue; /* grad[in] starting at j's backward: no later consumer writes it first */
            join(spans, group, n + in, ggroup[j]);
            break;
        }
    }
}

int64_t deep_plan_buffers(const deep_model *model, bool training, const bool *grad_needed, int32_t limit,
                          int64_t *out_at, int64_t *grad_at)
{
    int32_t n = model->node_count;
    span *spans = calloc(2 * (size_t)n, sizeof *spans);
    int32_t *group = calloc(2 * (size_t)n, sizeof *group), *order = calloc(2 * (size_t)n, sizeof *order);
    int64_t total = -1;
    if (spans != NULL && group != NULL && order != NULL) {
        plan_outputs(model, training, limit, spans, group);
        if (training)
            plan_grads(model, grad_needed, limit, spans, group);
        total = place(spans, training ? 2 * n : n, order);
        for (int32_t i = 0; i < n; i++) {
            out_at[i] = spans[group[i]].offset;
            grad_at[i] = training && grad_needed[i] ? spans[group[n + i]].offset : -1;
        }
    }
    free(spans);
    free(group);
    free(order);
    return total;
}
