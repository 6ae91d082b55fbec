/* SimpleRNN, as Keras' layer: per time step h_t = activation(x_t . kernel +
 * h_{t-1} . recurrent_kernel + bias) from h_0 = 0 (or a graph call's initial state), with a Glorot-uniform kernel
 * (features, units), an orthogonal recurrent_kernel (units, units) and a zero bias
 * (units). The layout, the threading and the handling of padding steps are the LSTM's
 * (lstm.c). */
#include <string.h>

#include "kernels/fastmath.h"
#include "kernels/kernels.h"
#include "layers/recurrent.h"

/* The scratch of a batch, in floats, each block time-major (row t * batch + b):
 *   xs     T * B * F   the input (times the dropout mask); backward: dL/d(xs)
 *   z      T * B * U   the pre-activations; backward: dL/dz
 *   h0     B * U       h_0: zeros or the initial state
 *   hs     T * B * U   h_1 .. h_T
 *   hm0    B * U       h_0 times the recurrent mask
 *   hm     T * B * U   h_1 .. h_T times the recurrent mask (with recurrent dropout only)
 *   dh     B * U       backward's running dL/dh_t
 *   imask  B * F, rmask B * U   the dropout masks */
typedef struct rnn_ctx {
    const deep_layer *layer;
    int64_t steps, features, units, batch;
    float *xs, *z, *hs, *hm, *dh;
    float *imask, *rmask; /* NULL when that dropout is off */
    deep_rnn_steps st;    /* the padding mask */
    float *out;
    const float *grad_out;
    const float *init_h, *final_dh; /* deep_exec's state members */
    float *final_h, *init_dh;
} rnn_ctx;

static const deep_rnn_cell simple_rnn_cell = {
    .class_name = "SimpleRNN", .gates = 1, .widest = 1, .step_units = 3, .fixed_units = 4};

static deep_status simple_rnn_build(deep_layer *layer)
{
    DEEP_TRY(deep_rnn_build(layer, &simple_rnn_cell));
    if (layer->cfg.rnn.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, 2, "bias", 1, &layer->cfg.rnn.units));
    return DEEP_OK;
}

static void simple_rnn_init(deep_layer *layer, struct deep_rng *rng)
{
    int64_t units = layer->cfg.rnn.units, features = layer->in_shape[1];
    deep_init_glorot_uniform(layer->params[0].value, layer->params[0].size, features, units, rng);
    deep_init_orthogonal(layer->params[1].value, units, units, rng);
    if (layer->cfg.rnn.use_bias)
        memset(layer->params[2].value, 0, (size_t)units * sizeof(float));
}

static rnn_ctx rnn_context(const deep_layer *layer, const deep_exec *ex, float *scratch, int64_t batch)
{
    rnn_ctx c = {.layer = layer,
                 .steps = layer->in_shape[0],
                 .features = layer->in_shape[1],
                 .units = layer->cfg.rnn.units,
                 .batch = batch,
                 .st = {ex->mask, layer->in_shape[0], layer->cfg.rnn.go_backwards},
                 .init_h = ex->init_state[0],
                 .final_dh = ex->final_grad[0],
                 .final_h = ex->final_state[0],
                 .init_dh = ex->init_grad[0]};
    int64_t tb = c.steps * batch;
    float *p = scratch;
    c.xs = p, p += tb * c.features;
    c.z = p, p += tb * c.units;
    p += batch * c.units; /* h_0 */
    c.hs = p, p += tb * c.units;
    p += batch * c.units; /* h_0 masked */
    c.hm = p, p += tb * c.units;
    c.dh = p, p += batch * c.units;
    bool dropping = ex->training && ex->rng != NULL;
    c.imask = dropping && layer->cfg.rnn.dropout > 0.0f ? p : NULL;
    p += batch * c.features;
    c.rmask = dropping && layer->cfg.rnn.recurrent_dropout > 0.0f ? p : NULL;
    return c;
}

static inline float *recurrent_source(const rnn_ctx *c)
{
    return c->rmask != NULL ? c->hm : c->hs;
}

static inline DEEP_ALWAYS_INLINE void activate_row(const float *restrict z, const float *restrict bias,
                                                   float *restrict h, int64_t units, deep_activation act)
{
    if (bias != NULL)
        for (int64_t j = 0; j < units; j++)
            h[j] = deep_activate(act, z[j] + bias[j]);
    else
        for (int64_t j = 0; j < units; j++)
            h[j] = deep_activate(act, z[j]);
}

static inline DEEP_ALWAYS_INLINE void cell_forward(const rnn_ctx *c, int64_t t, int64_t begin, int64_t end,
                                                   deep_activation act)
{
    const deep_layer *layer = c->layer;
    int64_t u = c->units, rows = t * c->batch;
    const float *bias = layer->cfg.rnn.use_bias ? layer->params[2].value : NULL;
    for (int64_t b = begin; b < end; b++) {
        float *h_now = c->hs + (rows + b) * u;
        float *out = deep_rnn_output(layer, &c->st, c->out, b, t);
        if (!deep_rnn_kept(&c->st, b, t)) { /* padding: h stays what it was */
            deep_rnn_carry(h_now, c->batch, u);
        } else {
            activate_row(c->z + (rows + b) * u, bias, h_now, u, act);
            if (out != NULL)
                memcpy(out, h_now, (size_t)u * sizeof *out);
        }
        if (c->rmask != NULL) {
            float *h_masked = c->hm + (rows + b) * u;
            for (int64_t j = 0; j < u; j++)
                h_masked[j] = h_now[j] * c->rmask[b * u + j];
        }
    }
}

DEEP_VECTOR_CLONES static void recur_forward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const rnn_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t u = c->units, rows = end - begin;
    deep_rnn_fill_h0(c->hs - c->batch * u, c->init_h, NULL, begin, end, u);
    if (c->rmask != NULL)
        deep_rnn_fill_h0(c->hm - c->batch * u, c->init_h, c->rmask, begin, end, u);
    for (int64_t t = 0; t < c->steps; t++) {
        if (t > 0 || c->init_h != NULL) /* z_t += h_{t-1} . recurrent_kernel; h_0 = 0 adds nothing */
            deep_gemm(NULL, false, false, rows, u, u, 1.0f, recurrent_source(c) + ((t - 1) * c->batch + begin) * u,
                      layer->params[1].value, 1.0f, c->z + (t * c->batch + begin) * u);
        if (layer->cfg.rnn.activation == DEEP_ACTIVATION_TANH)
            cell_forward(c, t, begin, end, DEEP_ACTIVATION_TANH);
        else
            cell_forward(c, t, begin, end, layer->cfg.rnn.activation);
    }
    if (c->final_h != NULL) /* the last step's h, carried over padding steps */
        deep_rnn_copy_rows(c->final_h, c->hs + (c->steps - 1) * c->batch * u, begin, end, u);
}

static void simple_rnn_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                               float *scratch, int64_t batch)
{
    rnn_ctx c = rnn_context(layer, ex, scratch, batch);
    c.out = out;
    if (c.imask != NULL)
        deep_rnn_draw_mask(ex->rng, c.imask, batch * c.features, layer->cfg.rnn.dropout);
    if (c.rmask != NULL)
        deep_rnn_draw_mask(ex->rng, c.rmask, batch * c.units, layer->cfg.rnn.recurrent_dropout);
    deep_rnn_input io = {.steps = c.steps, .features = c.features, .batch = batch,
                         .go_backwards = layer->cfg.rnn.go_backwards, .in = in, .xs = c.xs, .mask = c.imask};
    deep_rnn_gather(ex->pool, &io);
    deep_rnn_gemm_steps(ex->pool, c.steps, batch, false, c.units, c.features, c.xs, layer->params[0].value, c.z);
    deep_pool_run(ex->pool, batch, recur_forward, &c);
}

/* dL/dz_t = dL/dh_t * activation'(h_t), over the pre-activations. */
static inline DEEP_ALWAYS_INLINE void slope_row(float *restrict dz, const float *restrict h, const float *restrict dh,
                                                int64_t units, deep_activation act)
{
    for (int64_t j = 0; j < units; j++)
        dz[j] = dh[j] * deep_activation_slope(act, h[j]);
}

DEEP_VECTOR_CLONES static void recur_backward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const rnn_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t u = c->units, steps = c->steps;
    deep_rnn_init_dh(layer, c->grad_out, c->dh, begin, end);
    deep_rnn_add_rows(c->dh, c->final_dh, begin, end, u);
    for (int64_t t = steps - 1; t >= 0; t--) {
        int64_t at = t * c->batch;
        for (int64_t b = begin; b < end; b++) {
            deep_rnn_add_step_grad(layer, c->grad_out, c->dh, steps, b, t);
            float *dz = c->z + (at + b) * u;
            const float *h = c->hs + (at + b) * u;
            if (!deep_rnn_kept(&c->st, b, t)) /* dh passes through; nothing reaches the cell */
                memset(dz, 0, (size_t)u * sizeof *dz);
            else if (layer->cfg.rnn.activation == DEEP_ACTIVATION_TANH)
                slope_row(dz, h, c->dh + b * u, u, DEEP_ACTIVATION_TANH);
            else
                slope_row(dz, h, c->dh + b * u, u, layer->cfg.rnn.activation);
        }
        if (t == 0 && c->init_dh == NULL)
            break;
        /* dL/dh_{t-1} = dL/dz_t . recurrent_kernel^T, through the recurrent mask. */
        deep_rnn_state_grad(&c->st, t, begin, end, u, u, c->z + (at + begin) * u, layer->params[1].value, c->rmask,
                            c->dh);
    }
    deep_rnn_copy_rows(c->init_dh, c->dh, begin, end, u); /* dh is now dL/dh_0 */
}

static void simple_rnn_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)in;
    (void)out;
    rnn_ctx c = rnn_context(layer, ex, scratch, batch);
    deep_rnn_drop_padding_grads(layer, &c.st, grad_out, batch);
    c.grad_out = grad_out;
    deep_pool_run(ex->pool, batch, recur_backward, &c);

    int64_t u = c.units, steps = c.steps;
    deep_rnn_gemm_sum(ex->pool, steps, batch, c.features, u, c.xs, c.z, layer->params[0].grad);
    if (c.init_h != NULL) /* h_0 met the recurrent kernel too */
        deep_rnn_gemm_sum(ex->pool, steps, batch, u, u, recurrent_source(&c) - batch * u, c.z, layer->params[1].grad);
    else
        deep_rnn_gemm_sum(ex->pool, steps - 1, batch, u, u, recurrent_source(&c), c.z + batch * u,
                          layer->params[1].grad);
    if (layer->cfg.rnn.use_bias)
        deep_rnn_column_sums(ex->pool, c.z, steps * batch, u, layer->params[2].grad);
    if (grad_in == NULL)
        return;
    deep_rnn_gemm_steps(ex->pool, steps, batch, true, c.features, u, c.z, layer->params[0].value, c.xs);
    deep_rnn_input io = {.steps = steps,
                         .features = c.features,
                         .batch = batch,
                         .go_backwards = layer->cfg.rnn.go_backwards,
                         .grad_in = grad_in,
                         .xs = c.xs,
                         .mask = c.imask};
    deep_rnn_scatter(ex->pool, &io);
}

static void simple_rnn_final_state(const deep_layer *layer, const float *scratch, int64_t batch, float *h, float *c)
{
    (void)c;
    rnn_ctx x = rnn_context(layer, &(deep_exec){0}, (float *)scratch, batch);
    deep_rnn_last_state(x.hs, x.steps, batch, x.units, h);
}

static const deep_layer_field simple_rnn_fields[] = {DEEP_RNN_FIELDS};

const deep_layer_ops deep_simple_rnn_ops = {
    .type = "simple_rnn",
    .class_name = "SimpleRNN",
    .config_size = sizeof(deep_rnn_config),
    .defaults = &(const deep_rnn_config){.units = 1, .activation = DEEP_ACTIVATION_TANH, .use_bias = true},
    DEEP_FIELDS(simple_rnn_fields),
    .flags = DEEP_LAYER_RECURRENT | DEEP_LAYER_WRAPPABLE | DEEP_LAYER_STATES,
    .build = simple_rnn_build,
    .init = simple_rnn_init,
    .forward = simple_rnn_forward,
    .backward = simple_rnn_backward,
    .mask_flow = deep_rnn_mask_flow,
    .final_state = simple_rnn_final_state,
};

deep_status deep_model_add_simple_rnn(deep_model *model, int64_t units, deep_activation activation, int32_t use_bias,
                                      int32_t return_sequences)
{
    deep_rnn_config c = *(const deep_rnn_config *)deep_simple_rnn_ops.defaults;
    c.units = units;
    c.activation = activation;
    c.use_bias = use_bias != 0;
    c.return_sequences = return_sequences != 0;
    return deep_layer_append(model, &deep_simple_rnn_ops, &c, false, __func__, NULL);
}
