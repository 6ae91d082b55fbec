/* Bidirectional, Keras' wrapper around a recurrent layer: a forward copy reads the steps
 * first to last, a backward copy last to first, and their outputs are merged (concat, sum,
 * mul or ave). With return_sequences the backward copy's sequence comes out in its reading
 * order, so it is reversed back before the merge and step t of both lines up.
 *
 * The wrapper holds no cell code: its configuration is the wrapped layer's (`inner`, with
 * `wrapped` naming the type, a DEEP_FIELD_LAYER field), and each pass runs the
 * wrapped type's own ops on a copy of the layer struct that views one half of the
 * parameters. The copy lives on the stack for the call only, so predicting from several
 * threads at once stays safe. The wrapped build only computes shapes, so it is simply run
 * again on the copy to learn the direction's output and scratch sizes. A mask reaches both
 * copies through the pass (deep_exec), as for the wrapped layer alone. So do the states of
 * a graph call (Keras' initial_state and return_state): the forward copy's, then the
 * backward copy's.
 *
 * Parameters: the forward copy's, then the backward copy's, in the wrapped type's order.
 * Scratch of a batch of B, with s, f the wrapped type's scratch_size and scratch_fixed and
 * o its out_size:
 *   forward scratch   B * s + f
 *   backward scratch  B * s + f
 *   yf, yb            B * o each: the two directions' outputs (mul's gradient needs them)
 *   gf, gb            B * o each: backward's dL/d(yf), dL/d(yb)
 *   gin               B * in_size: the backward copy's dL/din, added to the forward one's */
#include <stddef.h>
#include <string.h>

#include "layers/recurrent.h"

enum { FORWARD = 0, BACKWARD = 1 };

/* The recurrent helpers read a Bidirectional's config as its wrapped layer's. */
_Static_assert(offsetof(deep_bidirectional_config, inner) == 0, "inner must come first");

/* Keras' weight names: "<direction>_<wrapped type>/<weight>". */
static const char *const weight_names[] = {
    "forward_lstm/kernel",        "forward_lstm/recurrent_kernel",        "forward_lstm/bias",
    "backward_lstm/kernel",       "backward_lstm/recurrent_kernel",       "backward_lstm/bias",
    "forward_gru/kernel",         "forward_gru/recurrent_kernel",         "forward_gru/bias",
    "backward_gru/kernel",        "backward_gru/recurrent_kernel",        "backward_gru/bias",
    "forward_simple_rnn/kernel",  "forward_simple_rnn/recurrent_kernel",  "forward_simple_rnn/bias",
    "backward_simple_rnn/kernel", "backward_simple_rnn/recurrent_kernel", "backward_simple_rnn/bias",
};

/* The static name of a direction's weight, or NULL when the table lacks it. */
static const char *weight_name(const char *type, int direction, const char *weight)
{
    const char *side = direction == FORWARD ? "forward_" : "backward_";
    size_t side_length = strlen(side), type_length = strlen(type);
    for (size_t i = 0; i < sizeof weight_names / sizeof weight_names[0]; i++) {
        const char *n = weight_names[i];
        if (strncmp(n, side, side_length) == 0 && strncmp(n + side_length, type, type_length) == 0 &&
            n[side_length + type_length] == '/' && strcmp(n + side_length + type_length + 1, weight) == 0)
            return n;
    }
    return NULL;
}

/* The wrapped layer of one direction, built (shapes and scratch only), before its
 * parameters are pointed at the wrapper's. */
static void direction_config(const deep_layer *layer, int direction, deep_layer *cell)
{
    const deep_bidirectional_config *config = &layer->cfg.bidirectional;
    *cell = *layer;
    cell->ops = config->wrapped;
    cell->cfg.rnn = config->inner;
    cell->param_count = 0;
    /* Keras flips go_backwards for the backward copy, whatever the wrapped layer says, and
     * zeroes the padding steps of both copies' sequences, so that merged steps line up. */
    cell->cfg.rnn.go_backwards = config->inner.go_backwards != (direction == BACKWARD);
    cell->cfg.rnn.zero_output_for_mask = config->inner.return_sequences;
}

/* A direction ready to run: the wrapped build gave its sizes, and its parameters view the
 * wrapper's half. The build succeeded once on the same shapes, so it cannot fail now. */
static void direction_view(const deep_layer *layer, int direction, deep_layer *cell)
{
    direction_config(layer, direction, cell);
    (void)cell->ops->build(cell);
    cell->out_size = layer->cfg.bidirectional.inner.return_sequences
                         ? layer->in_shape[0] * layer->cfg.bidirectional.inner.units
                         : layer->cfg.bidirectional.inner.units;
    int32_t n = layer->param_count / 2;
    for (int32_t k = 0; k < n; k++)
        cell->params[k] = layer->params[direction * n + k];
}

static int64_t merged_width(const deep_layer *layer)
{
    return layer->cfg.bidirectional.merge_mode == DEEP_MERGE_CONCAT ? 2 * layer->cfg.bidirectional.inner.units
                                                                    : layer->cfg.bidirectional.inner.units;
}

static deep_status bidirectional_build(deep_layer *layer)
{
    deep_layer cell;
    direction_config(layer, FORWARD, &cell);
    DEEP_TRY(cell.ops->build(&cell));
    int64_t out = cell.cfg.rnn.return_sequences ? cell.out_shape[0] * cell.cfg.rnn.units : cell.cfg.rnn.units;
    int64_t halves = 0, buffers = 0, scratch = 0;
    bool fits = deep_mul_i64(cell.scratch_size, 2, &halves) && deep_mul_i64(out, 4, &buffers) &&
                deep_add_i64(halves, buffers, &scratch) && deep_add_i64(scratch, layer->in_size, &scratch);
    if (!fits || cell.scratch_fixed > INT64_MAX / 2)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW, "Bidirectional(%s) of %lld units is too large", cell.ops->class_name,
                         (long long)cell.cfg.rnn.units);
    layer->scratch_size = scratch;
    layer->scratch_fixed = 2 * cell.scratch_fixed;
    layer->out_rank = cell.out_rank;
    memcpy(layer->out_shape, cell.out_shape, sizeof cell.out_shape);
    layer->out_shape[cell.out_rank - 1] = merged_width(layer);
    layer->param_count = 0;
    for (int direction = FORWARD; direction <= BACKWARD; direction++)
        for (int32_t k = 0; k < cell.param_count; k++) {
            const deep_param *p = &cell.params[k];
            const char *name = weight_name(cell.ops->type, direction, p->name);
            if (name == NULL)
                return DEEP_FAIL(DEEP_ERR_UNSUPPORTED, "Bidirectional has no name for %s weight '%s'",
                                 cell.ops->class_name, p->name);
            DEEP_TRY(deep_layer_declare_param(layer, direction * cell.param_count + k, name, p->rank, p->shape));
        }
    return DEEP_OK;
}

static void bidirectional_init(deep_layer *layer, struct deep_rng *rng)
{
    for (int direction = FORWARD; direction <= BACKWARD; direction++) {
        deep_layer cell;
        direction_view(layer, direction, &cell);
        cell.ops->init(&cell, rng);
    }
}

/* Where a pass's buffers start in the scratch (layout at the top). */
typedef struct halves {
    float *scratch[2], *y[2], *g[2], *grad_in;
    int64_t steps, units, width; /* steps 1 without return_sequences */
} halves;

static halves split_scratch(const deep_layer *layer, const deep_layer *cell, float *scratch, int64_t batch)
{
    halves h;
    int64_t part = batch * cell->scratch_size + cell->scratch_fixed, out = batch * cell->out_size;
    h.scratch[FORWARD] = scratch;
    h.scratch[BACKWARD] = scratch + part;
    h.y[FORWARD] = scratch + 2 * part;
    h.y[BACKWARD] = h.y[FORWARD] + out;
    h.g[FORWARD] = h.y[BACKWARD] + out;
    h.g[BACKWARD] = h.g[FORWARD] + out;
    h.grad_in = h.g[BACKWARD] + out;
    h.steps = layer->cfg.bidirectional.inner.return_sequences ? layer->in_shape[0] : 1;
    h.units = layer->cfg.bidirectional.inner.units;
    h.width = merged_width(layer);
    return h;
}

/* Row offsets of output position (sample b, step t): the merged row, the forward row and
 * the backward row, which holds step t at position steps - 1 - t. */
static inline void rows_at(const halves *h, int64_t b, int64_t t, int64_t *merged, int64_t *forward,
                           int64_t *backward)
{
    *merged = (b * h->steps + t) * h->width;
    *forward = (b * h->steps + t) * h->units;
    *backward = (b * h->steps + h->steps - 1 - t) * h->units;
}

static void merge(deep_merge_mode mode, const halves *h, int64_t batch, float *out)
{
    int64_t u = h->units;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < h->steps; t++) {
            int64_t m, fr, br;
            rows_at(h, b, t, &m, &fr, &br);
            const float *f = h->y[FORWARD] + fr, *r = h->y[BACKWARD] + br;
            float *o = out + m;
            for (int64_t j = 0; j < u; j++)
                switch (mode) {
                case DEEP_MERGE_CONCAT: o[j] = f[j], o[u + j] = r[j]; break;
                case DEEP_MERGE_SUM: o[j] = f[j] + r[j]; break;
                case DEEP_MERGE_MUL: o[j] = f[j] * r[j]; break;
                case DEEP_MERGE_AVE: o[j] = 0.5f * (f[j] + r[j]); break;
                }
        }
}

/* dL/d(yf) and dL/d(yb) from dL/d(merged output). */
static void unmerge(deep_merge_mode mode, const halves *h, int64_t batch, const float *grad_out)
{
    int64_t u = h->units;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < h->steps; t++) {
            int64_t m, fr, br;
            rows_at(h, b, t, &m, &fr, &br);
            const float *d = grad_out + m, *f = h->y[FORWARD] + fr, *r = h->y[BACKWARD] + br;
            float *gf = h->g[FORWARD] + fr, *gb = h->g[BACKWARD] + br;
            for (int64_t j = 0; j < u; j++)
                switch (mode) {
                case DEEP_MERGE_CONCAT: gf[j] = d[j], gb[j] = d[u + j]; break;
                case DEEP_MERGE_SUM: gf[j] = gb[j] = d[j]; break;
                case DEEP_MERGE_MUL: gf[j] = d[j] * r[j], gb[j] = d[j] * f[j]; break;
                case DEEP_MERGE_AVE: gf[j] = gb[j] = 0.5f * d[j]; break;
                }
        }
}

/* The wrapped layer's states: 1, or 2 for an LSTM. */
static int32_t inner_states(const deep_layer *layer)
{
    return layer->cfg.bidirectional.wrapped->flags & DEEP_LAYER_CELL_STATE ? 2 : 1;
}

static int32_t bidirectional_state_count(const deep_layer *layer)
{
    return 2 * inner_states(layer);
}

/* A direction's exec: its half of the states (Keras: the forward layer's, then the
 * backward layer's). */
static deep_exec direction_exec(const deep_layer *layer, const deep_exec *ex, int direction)
{
    deep_exec e = *ex;
    int32_t n = inner_states(layer);
    for (int32_t k = 0; k < DEEP_MAX_STATES; k++) {
        bool mine = k < n;
        e.init_state[k] = mine ? ex->init_state[direction * n + k] : NULL;
        e.final_state[k] = mine ? ex->final_state[direction * n + k] : NULL;
        e.final_grad[k] = mine ? ex->final_grad[direction * n + k] : NULL;
        e.init_grad[k] = mine ? ex->init_grad[direction * n + k] : NULL;
    }
    return e;
}

static void bidirectional_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                  float *scratch, int64_t batch)
{
    deep_layer cells[2];
    for (int direction = FORWARD; direction <= BACKWARD; direction++)
        direction_view(layer, direction, &cells[direction]);
    halves h = split_scratch(layer, &cells[FORWARD], scratch, batch);
    /* Forward first, then backward: each draws its own dropout masks in that order. */
    for (int direction = FORWARD; direction <= BACKWARD; direction++) {
        deep_exec e = direction_exec(layer, ex, direction);
        cells[direction].ops->forward(&cells[direction], &e, in, h.y[direction], h.scratch[direction], batch);
    }
    merge(layer->cfg.bidirectional.merge_mode, &h, batch, out);
}

static void bidirectional_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                   float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)out;
    deep_layer cells[2];
    for (int direction = FORWARD; direction <= BACKWARD; direction++)
        direction_view(layer, direction, &cells[direction]);
    halves h = split_scratch(layer, &cells[FORWARD], scratch, batch);
    unmerge(layer->cfg.bidirectional.merge_mode, &h, batch, grad_out);
    deep_exec inner = direction_exec(layer, ex, FORWARD);
    inner.fused_output = false; /* a recurrent output is never fused with the loss */
    cells[FORWARD].ops->backward(&cells[FORWARD], &inner, in, h.y[FORWARD], h.g[FORWARD], grad_in,
                                 h.scratch[FORWARD], batch);
    inner = direction_exec(layer, ex, BACKWARD);
    inner.fused_output = false;
    cells[BACKWARD].ops->backward(&cells[BACKWARD], &inner, in, h.y[BACKWARD], h.g[BACKWARD],
                                  grad_in != NULL ? h.grad_in : NULL, h.scratch[BACKWARD], batch);
    if (grad_in != NULL)
        for (int64_t i = 0; i < batch * layer->in_size; i++)
            grad_in[i] += h.grad_in[i];
}

static const deep_layer_field bidirectional_fields[] = {
    {.name = "layer", .kind = DEEP_FIELD_LAYER, .offset = offsetof(deep_bidirectional_config, inner),
     .aux = offsetof(deep_bidirectional_config, wrapped), .doc = "the wrapped LSTM, GRU or SimpleRNN and its config"},
    DEEP_FIELD(deep_bidirectional_config, merge_mode, DEEP_FIELD_MERGE_MODE,
               .doc = "how the two directions' outputs combine: concat, sum, mul or ave"),
};

const deep_layer_ops deep_bidirectional_ops = {
    .type = "bidirectional",
    .class_name = "Bidirectional",
    .config_size = sizeof(deep_bidirectional_config),
    DEEP_FIELDS(bidirectional_fields),
    .flags = DEEP_LAYER_RECURRENT | DEEP_LAYER_STATES,
    .build = bidirectional_build,
    .init = bidirectional_init,
    .forward = bidirectional_forward,
    .backward = bidirectional_backward,
    .mask_flow = deep_rnn_mask_flow,
    .state_count = bidirectional_state_count,
};

/* The last layer is rebuilt as a Bidirectional with its configuration: the wrapper takes
 * its place (named and built as any layer), and it comes back if that fails. */
deep_status deep_model_add_bidirectional(deep_model *model, deep_merge_mode merge_mode)
{
    DEEP_REQUIRE(model);
    deep_bidirectional_config c = {.merge_mode = merge_mode};
    DEEP_TRY(deep_field_check(&bidirectional_fields[1], &c, __func__));
    const deep_layer *last = NULL;
    int32_t position = -1;
    DEEP_TRY(deep_model_last_layer(model, __func__, &last, &position));
    if (last == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "the model has no layer to wrap; add an LSTM, GRU or SimpleRNN first");
    if (last->ops == &deep_bidirectional_ops)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "layer %d (%s) is already Bidirectional", (int)position,
                         last->name);
    if (!(last->ops->flags & DEEP_LAYER_WRAPPABLE))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                         "layer %d (%s) is a %s; Bidirectional wraps an LSTM, GRU or SimpleRNN", (int)position,
                         last->name, last->ops->class_name);
    c.inner = last->cfg.rnn;
    c.wrapped = last->ops;
    return deep_layer_append(model, &deep_bidirectional_ops, &c, true, __func__, NULL);
}
