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
 * A layer's scratch lives in the arena too: from its forward to its backward when backward
 * reads it (max pooling's winners), else only during each of the two calls (a
 * convolution's rows), so that all convolutions share one. So a chain's predict needs two
 * activations whatever its depth, and training keeps only what backward reads. The
 * accumulation buffers of a node feeding several calls live during the one backward that
 * needs them. Offsets and sizes are in floats. */
#include <stdlib.h>

#include "graph/model.h"

/* Sizes round up to this many floats per sample, so that every buffer is 64-byte aligned. */
#define ALIGN_FLOATS 16

/* A buffer's size, when it is live (start..end, and again start2..end2 unless start2 is
 * -1: a scratch used by forward and by backward only) and where it goes. */
typedef struct span {
    int64_t size, start, end, start2, end2, offset;
} span;

static bool meet(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    return a0 <= b1 && b0 <= a1 && a0 >= 0 && b0 >= 0;
}

static bool same_time(const span *a, const span *b)
{
    return meet(a->start, a->end, b->start, b->end) || meet(a->start2, a->end2, b->start, b->end) ||
           meet(a->start, a->end, b->start2, b->end2) || meet(a->start2, a->end2, b->start2, b->end2);
}

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
                                              : DEEP_READS_INPUT | DEEP_READS_OUTPUT | DEEP_READS_SCRATCH;
}

static span make_span(int64_t floats, int64_t start, int64_t end)
{
    return (span){.size = round_up(floats), .start = start, .end = end, .start2 = -1, .end2 = -1};
}

/* The orders tried for placing buffers: the largest first, the longest-lived first, the
 * largest area of size times life first. */
enum { BY_SIZE, BY_LIFE, BY_AREA, ORDERS };

static int64_t life(const span *s)
{
    return s->end - s->start + 1 + (s->start2 >= 0 ? s->end2 - s->start2 + 1 : 0);
}

/* Whether span a goes before span b in order `by` (ties: the lower index, deterministic). */
static bool before(const span *spans, int32_t a, int32_t b, int by)
{
    const span *x = &spans[a], *y = &spans[b];
    int64_t u = by == BY_SIZE ? x->size : by == BY_LIFE ? life(x) : x->size * life(x);
    int64_t v = by == BY_SIZE ? y->size : by == BY_LIFE ? life(y) : y->size * life(y);
    if (u == v && by == BY_LIFE) {
        u = x->size;
        v = y->size;
    }
    return u != v ? u > v : a < b;
}

/* Greedy: in order `by`, each buffer at the lowest offset where it meets no buffer already
 * placed that is live at the same time. Returns the arena's size. */
static int64_t place(span *spans, int32_t count, int32_t *order, int by)
{
    int32_t used = 0;
    for (int32_t s = 0; s < count; s++)
        if (spans[s].size > 0)
            order[used++] = s;
    for (int32_t a = 1; a < used; a++) /* insertion sort: a few hundred spans at most */
        for (int32_t b = a; b > 0 && before(spans, order[b], order[b - 1], by); b--) {
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
                if (same_time(s, t) && offset < t->offset + t->size && t->offset < offset + s->size) {
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

/* The smallest of the orders' arenas (each a heuristic; none is best for every graph). */
static int64_t place_best(span *spans, int32_t count, int32_t *order)
{
    int best = BY_SIZE;
    int64_t smallest = -1;
    for (int by = 0; by < ORDERS; by++) {
        int64_t total = place(spans, count, order, by);
        if (smallest < 0 || total < smallest) {
            smallest = total;
            best = by;
        }
    }
    return place(spans, count, order, best);
}

/* The span layout: n outputs, n gradients, n scratches, then n * DEEP_MAX_LAYER_INPUTS
 * accumulation buffers (node j's k-th input's); size 0: none. */
typedef struct layout {
    const deep_model *model;
    int64_t max_batch, back; /* node j's backward is step back - j */
    int32_t n, limit;
    bool training;
    span *spans;
    int32_t *group;
} layout;

static void plan_outputs(layout *p)
{
    const deep_model *model = p->model;
    int32_t n = p->n, limit = p->limit;
    span *spans = p->spans;
    for (int32_t i = 0; i < n; i++) {
        p->group[i] = i;
        spans[i] = make_span(p->max_batch * model->nodes[i].size, i, i);
        if (pinned(model, i, limit)) {
            spans[i].start = 0;
            spans[i].end = p->back + 1;
            continue;
        }
        if (p->training && (reads_of(model->nodes[i].layer) & DEEP_READS_OUTPUT))
            spans[i].end = p->back - i;
        for (int32_t j = i + 1; j < limit; j++) {
            if (!is_call(model, j) || takes(&model->nodes[j], i) == 0)
                continue;
            int64_t last = p->training && (reads_of(model->nodes[j].layer) & DEEP_READS_INPUT) ? p->back - j : j;
            spans[i].end = last > spans[i].end ? last : spans[i].end;
        }
    }
    /* In place: an element-wise call writes over an input of its size that dies there. */
    for (int32_t j = 0; j < limit; j++) {
        const deep_node *node = &model->nodes[j];
        if (!is_call(model, j) || !(node->layer->ops->flags & DEEP_LAYER_IN_PLACE) || pinned(model, j, limit))
            continue;
        for (int32_t k = 0; k < node->input_count; k++) {
            int32_t in = node->inputs[k], g = p->group[in];
            if (!pinned(model, in, limit) && takes(node, in) == 1 && model->nodes[in].size == node->size &&
                spans[g].end == j) {
                join(spans, p->group, j, g);
                break;
            }
        }
    }
}

/* A layer's scratch: its own for the whole pass unless the layer says what backward reads;
 * then from forward to backward if it reads the scratch, else during each call only. */
static void plan_scratch(layout *p)
{
    span *scratch = p->spans + 2 * p->n;
    for (int32_t j = 0; j < p->n; j++) {
        const deep_layer *layer = p->model->nodes[j].layer;
        scratch[j] = (span){.start2 = -1, .end2 = -1};
        if (!is_call(p->model, j) || (layer->scratch_size == 0 && layer->scratch_fixed == 0))
            continue;
        scratch[j] = make_span(p->max_batch * layer->scratch_size + layer->scratch_fixed, 0, p->back + 1);
        if (layer->ops->backward_reads == NULL || pinned(p->model, j, p->limit))
            continue;
        scratch[j].start = scratch[j].end = j;
        if (p->training && (reads_of(layer) & DEEP_READS_SCRATCH))
            scratch[j].end = p->back - j;
        else if (p->training)
            scratch[j].start2 = scratch[j].end2 = p->back - j;
    }
}

/* Whether node `in`'s gradient has a sum started when call j's backward writes its k-th
 * input's: a later call or the loss wrote it first, or j takes it at an earlier input. */
static bool started_before(const deep_model *model, int32_t limit, int32_t j, int32_t k)
{
    int32_t in = model->nodes[j].inputs[k];
    for (int32_t e = 0; e < k; e++)
        if (model->nodes[j].inputs[e] == in)
            return true;
    for (int32_t o = 0; o < deep_model_output_count(model); o++)
        if (deep_model_output_node_at(model, o) == in)
            return true;
    for (int32_t i = j + 1; i < limit; i++)
        if (is_call(model, i) && takes(&model->nodes[i], in) > 0)
            return true;
    return false;
}

/* The gradients of the nodes `needed` marks (graph/pass.c's choice), and the accumulation
 * buffers of the calls that add to a gradient already started. */
static void plan_grads(layout *p, const bool *needed)
{
    const deep_model *model = p->model;
    int32_t n = p->n, limit = p->limit;
    int64_t back = p->back;
    span *spans = p->spans, *grad = spans + n, *accumulate = spans + 3 * n;
    int32_t *ggroup = p->group + n;
    for (int32_t x = 0; x < n; x++) {
        ggroup[x] = n + x;
        grad[x] = (span){.start2 = -1, .end2 = -1};
        if (!needed[x])
            continue;
        const deep_node *node = &model->nodes[x];
        int64_t end = back - (node->part > 0 ? node->inputs[0] : x), start = end;
        for (int32_t k = 0; k < deep_model_output_count(model); k++)
            start = deep_model_output_node_at(model, k) == x ? limit : start;
        for (int32_t j = x + 1; j < limit; j++)
            if (is_call(model, j) && takes(&model->nodes[j], x) > 0)
                start = back - j < start ? back - j : start;
        grad[x] = make_span(p->max_batch * node->size, start, end);
    }
    for (int32_t j = 0; j < n; j++)
        for (int32_t k = 0; k < DEEP_MAX_LAYER_INPUTS; k++) {
            span *a = &accumulate[j * DEEP_MAX_LAYER_INPUTS + k];
            *a = (span){.start2 = -1, .end2 = -1};
            if (j < limit && is_call(model, j) && k < model->nodes[j].input_count &&
                needed[model->nodes[j].inputs[k]] && started_before(model, limit, j, k))
                *a = make_span(p->max_batch * model->nodes[model->nodes[j].inputs[k]].size, back - j, back - j);
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
                model->nodes[in].size != node->size || started_before(model, limit, j, k))
                continue; /* started_before false: j's backward is the first to write it */
            join(spans, p->group, n + in, ggroup[j]);
            break;
        }
    }
}

int64_t deep_plan_buffers(const deep_model *model, int64_t max_batch, bool training, const bool *grad_needed,
                          int32_t limit, deep_plan *plan)
{
    int32_t n = model->node_count, count = (3 + DEEP_MAX_LAYER_INPUTS) * n;
    layout p = {.model = model, .max_batch = max_batch, .back = 2 * (int64_t)limit, .n = n, .limit = limit,
                .training = training};
    p.spans = calloc((size_t)count, sizeof *p.spans);
    p.group = calloc(2 * (size_t)n, sizeof *p.group);
    int32_t *order = calloc((size_t)count, sizeof *order);
    int64_t total = -1;
    if (p.spans != NULL && p.group != NULL && order != NULL) {
        plan_outputs(&p);
        plan_scratch(&p);
        for (int32_t x = 0; x < n; x++) /* no gradients (inference) unless planned below */
            p.group[n + x] = n + x;
        if (training)
            plan_grads(&p, grad_needed);
        total = place_best(p.spans, count, order);
        for (int32_t i = 0; i < n; i++) {
            plan->out_at[i] = p.spans[p.group[i]].offset;
            plan->grad_at[i] = training && grad_needed[i] ? p.spans[p.group[n + i]].offset : -1;
            plan->scratch_at[i] = p.spans[2 * n + i].size > 0 ? p.spans[2 * n + i].offset : -1;
            for (int32_t k = 0; k < DEEP_MAX_LAYER_INPUTS; k++) {
                const span *a = &p.spans[3 * n + i * DEEP_MAX_LAYER_INPUTS + k];
                plan->accumulate_at[i * DEEP_MAX_LAYER_INPUTS + k] = training && a->size > 0 ? a->offset : -1;
            }
        }
    }
    free(p.spans);
    free(p.group);
    free(order);
    return total;
}
