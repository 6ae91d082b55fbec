/* GRU, as Keras' layer with its TensorFlow 2 default reset_after=True (the cuDNN-compatible
 * form). Per time step t:
 *
 *   x = x_t . kernel + input_bias           h = h_{t-1} . recurrent_kernel + recurrent_bias
 *   z = recurrent_activation(x_z + h_z)     r = recurrent_activation(x_r + h_r)
 *   n = activation(x_n + r * h_n)           h_t = z * h_{t-1} + (1 - z) * n
 *
 * from h_0 = 0 (or a graph call's initial state), the blocks z, r, n side by side in that order in kernel (features,
 * 3 units), recurrent_kernel (units, 3 units) and bias (2, 3 units): input bias, then
 * recurrent bias. Keras' initialisers: Glorot-uniform kernel, orthogonal recurrent kernel,
 * zero bias.
 *
 * The layout and the threading are the LSTM's (lstm.c): time-major blocks, one GEMM for
 * the input projection of every step, the recurrence split by samples with one GEMM and
 * one fused element-wise pass per step, the weight and input gradients over all the steps
 * at once. Recurrent dropout masks h_{t-1} where it meets the recurrent kernel, while the
 * update z * h_{t-1} takes it unmasked, as Keras. Padding steps (ex->mask) carry h over
 * and repeat the previous output, as the LSTM's do.
 *
 * With reset_after=False (Keras' other form, the original GRU) the reset gate acts before
 * the recurrent kernel's candidate block and the bias is one (3 units) vector:
 *
 *   x = x_t . kernel + bias                 h = h_{t-1} . recurrent_kernel[:, z and r]
 *   z, r as above                           n = activation(x_n + (r * h_{t-1}) . recurrent_kernel[:, n])
 *
 * which takes a second, dependent product per step, of r * h_{t-1} (kept for backward). */
#include <string.h>

#include "kernels/fastmath.h"
#include "kernels/kernels.h"
#include "layers/recurrent.h"

/* The scratch of a batch, in floats, each block time-major (row t * batch + b):
 *   xs     T * B * F     the input (times the dropout mask); backward: dL/d(xs)
 *   zx     T * B * 3U    the input projections, then z, r, n; backward: their dL/d
 *   zh     T * B * 3U    the recurrent projections (bias included); backward: their dL/d
 *   h0     B * U         h_0: zeros or the initial state
 *   hs     T * B * U     h_1 .. h_T
 *   hm0    B * U         h_0 times the recurrent mask
 *   hm     T * B * U     h_1 .. h_T times the recurrent mask (with recurrent dropout only)
 *   rh     T * B * U     reset_after=False only: r_t * h_{t-1} (masked as hm) at every step
 *   dh, dt B * U         backward's running dL/dh_t, and the product that adds to it
 *   imask  B * F, rmask B * U   the dropout masks */
typedef struct gru_ctx {
    const deep_layer *layer;
    int64_t steps, features, units, gates, batch;
    float *xs, *zx, *zh, *hs, *hm, *rh, *dh, *dt;
    float *imask, *rmask; /* NULL when that dropout is off */
    deep_rnn_steps st;    /* the padding mask */
    float *out;
    const float *grad_out;
    const float *init_h, *final_dh; /* deep_exec's state members */
    float *final_h, *init_dh;
} gru_ctx;

static const deep_rnn_cell gru_cell = {.class_name = "GRU", .gates = 3, .widest = 6, .step_units = 8, .fixed_units = 5};
/* reset_after=False keeps r * h_{t-1} of every step too. */
static const deep_rnn_cell gru_cell_before = {
    .class_name = "GRU", .gates = 3, .widest = 6, .step_units = 9, .fixed_units = 5};

static deep_status gru_build(deep_layer *layer)
{
    DEEP_TRY(deep_rnn_build(layer, layer->cfg.rnn.reset_after ? &gru_cell : &gru_cell_before));
    /* reset_after: input and recurrent biases, (2, 3 units); otherwise one, (3 units,). */
    int64_t bias[2] = {2, 3 * layer->cfg.rnn.units};
    if (layer->cfg.rnn.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, 2, "bias", layer->cfg.rnn.reset_after ? 2 : 1,
                                          layer->cfg.rnn.reset_after ? bias : bias + 1));
    return DEEP_OK;
}

static void gru_init(deep_layer *layer, struct deep_rng *rng)
{
    int64_t units = layer->cfg.rnn.units, features = layer->in_shape[1];
    deep_init_glorot_uniform(layer->params[0].value, layer->params[0].size, features, 3 * units, rng);
    deep_init_orthogonal(layer->params[1].value, units, 3 * units, rng);
    if (layer->cfg.rnn.use_bias)
        memset(layer->params[2].value, 0, (size_t)layer->params[2].size * sizeof(float));
}

static gru_ctx gru_context(const deep_layer *layer, const deep_exec *ex, float *scratch, int64_t batch)
{
    gru_ctx c = {.layer = layer, .steps = layer->in_shape[0], .features = layer->in_shape[1],
                 .units = layer->cfg.rnn.units, .gates = 3 * layer->cfg.rnn.units, .batch = batch,
                 .st = {ex->mask, layer->in_shape[0], layer->cfg.rnn.go_backwards},
                 .init_h = ex->init_state[0], .final_dh = ex->final_grad[0], .final_h = ex->final_state[0],
                 .init_dh = ex->init_grad[0]};
    int64_t tb = c.steps * batch;
    float *p = scratch;
    c.xs = p, p += tb * c.features;
    c.zx = p, p += tb * c.gates;
    c.zh = p, p += tb * c.gates;
    p += batch * c.units; /* h_0 */
    c.hs = p, p += tb * c.units;
    p += batch * c.units; /* h_0 masked */
    c.hm = p, p += tb * c.units;
    if (!layer->cfg.rnn.reset_after)
        c.rh = p, p += tb * c.units;
    c.dh = p, p += batch * c.units;
    c.dt = p, p += batch * c.units;
    bool dropping = ex->training && ex->rng != NULL;
    c.imask = dropping && layer->cfg.rnn.dropout > 0.0f ? p : NULL;
    p += batch * c.features;
    c.rmask = dropping && layer->cfg.rnn.recurrent_dropout > 0.0f ? p : NULL;
    return c;
}

/* What the recurrent kernel reads at step t + 1: h_t, masked with recurrent dropout. */
static inline float *recurrent_source(const gru_ctx *c)
{
    return c->rmask != NULL ? c->hm : c->hs;
}

/* Whether step t has an h_{t-1} (not the zeros before the first step). */
static inline bool has_prev(const gru_ctx *c, int64_t t)
{
    return t > 0 || c->init_h != NULL;
}

/* The h_0 blocks before hs and hm, and final_h's start. */
static void fill_h0(const gru_ctx *c, int64_t begin, int64_t end)
{
    int64_t u = c->units;
    deep_rnn_fill_h0(c->hs - c->batch * u, c->init_h, NULL, begin, end, u);
    if (c->rmask != NULL)
        deep_rnn_fill_h0(c->hm - c->batch * u, c->init_h, c->rmask, begin, end, u);
}

/* After the last step: h_T (carried over padding steps) into final_h. */
static void store_final(const gru_ctx *c, int64_t begin, int64_t end)
{
    deep_rnn_copy_rows(c->final_h, c->hs + (c->steps - 1) * c->batch * c->units, begin, end, c->units);
}

/* One sample's cell at one step (first: h_{t-1} = 0). */
static inline DEEP_ALWAYS_INLINE void cell_forward_row(
    float *restrict xz, float *restrict xr, float *restrict xn, const float *restrict hz, const float *restrict hr,
    const float *restrict hn, const float *restrict h_prev, float *restrict h_now, int64_t units, bool first,
    deep_activation act, deep_activation rec)
{
    for (int64_t j = 0; j < units; j++) {
        float z = deep_activate(rec, xz[j] + hz[j]), r = deep_activate(rec, xr[j] + hr[j]);
        float n = deep_activate(act, xn[j] + r * hn[j]);
        float prev = first ? 0.0f : h_prev[j];
        xz[j] = z, xr[j] = r, xn[j] = n;
        h_now[j] = z * prev + (1.0f - z) * n;
    }
}

static inline DEEP_ALWAYS_INLINE void cell_forward(const gru_ctx *c, int64_t t, int64_t begin, int64_t end,
                                                   bool first, deep_activation act, deep_activation rec)
{
    const deep_layer *layer = c->layer;
    int64_t u = c->units, g = c->gates, rows = t * c->batch;
    const float *bias = layer->cfg.rnn.use_bias ? layer->params[2].value : NULL;
    for (int64_t b = begin; b < end; b++) {
        float *xr = c->zx + (rows + b) * g, *hr = c->zh + (rows + b) * g, *h_now = c->hs + (rows + b) * u;
        float *out = deep_rnn_output(layer, &c->st, c->out, b, t);
        if (!deep_rnn_kept(&c->st, b, t)) { /* padding: h stays what it was */
            deep_rnn_carry(h_now, c->batch, u);
        } else {
            if (bias != NULL)
                for (int64_t j = 0; j < g; j++) {
                    xr[j] += bias[j];
                    hr[j] += bias[g + j];
                }
            cell_forward_row(xr, xr + u, xr + 2 * u, hr, hr + u, hr + 2 * u,
                             first ? NULL : c->hs + (rows - c->batch + b) * u, h_now, u, first, act, rec);
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

static inline DEEP_ALWAYS_INLINE void forward_step(const gru_ctx *c, int64_t t, int64_t begin, int64_t end,
                                                   bool keras_default)
{
    const deep_layer *layer = c->layer;
    bool first = !has_prev(c, t);
    if (keras_default && first)
        cell_forward(c, t, begin, end, true, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID);
    else if (keras_default)
        cell_forward(c, t, begin, end, false, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID);
    else
        cell_forward(c, t, begin, end, first, layer->cfg.rnn.activation, layer->cfg.rnn.recurrent_activation);
}

/* ---- reset_after=False: the reset gate before the candidate's product ---------------- */

/* z and r of one sample at step t (bias already in x), and r * h_{t-1} into rh. */
static void gates_before_row(const gru_ctx *c, float *restrict x, const float *restrict hzr,
                             const float *restrict h_prev, float *restrict rh)
{
    const deep_layer *layer = c->layer;
    int64_t u = c->units;
    for (int64_t j = 0; j < u; j++) {
        float z = deep_activate(layer->cfg.rnn.recurrent_activation, x[j] + hzr[j]);
        float r = deep_activate(layer->cfg.rnn.recurrent_activation, x[u + j] + hzr[u + j]);
        x[j] = z, x[u + j] = r;
        rh[j] = h_prev != NULL ? r * h_prev[j] : 0.0f;
    }
}

/* Step t of reset_after=False for samples [begin, end). */
static void step_before(const gru_ctx *c, int64_t t, int64_t begin, int64_t end)
{
    const deep_layer *layer = c->layer;
    int64_t u = c->units, g = c->gates, rows = end - begin, at = t * c->batch;
    const float *R = layer->params[1].value, *bias = layer->cfg.rnn.use_bias ? layer->params[2].value : NULL;
    const float *source = has_prev(c, t) ? recurrent_source(c) + (at - c->batch) * u : NULL;
    float *zh = c->zh + (at + begin) * g;
    if (!has_prev(c, t))
        memset(zh, 0, (size_t)(rows * g) * sizeof *zh);
    else /* h_{t-1} . recurrent_kernel for the z and r blocks */
        deep_gemm_strided(NULL, false, false, rows, 2 * u, u, 1.0f, source + begin * u, u, R, g, 0.0f, zh, g);
    for (int64_t b = begin; b < end; b++) {
        float *x = c->zx + (at + b) * g, *rh = c->rh + (at + b) * u;
        if (bias != NULL)
            for (int64_t j = 0; j < g; j++)
                x[j] += bias[j];
        if (deep_rnn_kept(&c->st, b, t))
            gates_before_row(c, x, c->zh + (at + b) * g, source != NULL ? source + b * u : NULL, rh);
        else
            memset(rh, 0, (size_t)u * sizeof *rh);
    }
    /* (r * h_{t-1}) . recurrent_kernel[:, n] into the n block of zh. */
    if (has_prev(c, t))
        deep_gemm_strided(NULL, false, false, rows, u, u, 1.0f, c->rh + (at + begin) * u, u, R + 2 * u, g, 0.0f,
                          zh + 2 * u, g);
    for (int64_t b = begin; b < end; b++) {
        float *x = c->zx + (at + b) * g, *h_now = c->hs + (at + b) * u,
              *out = deep_rnn_output(layer, &c->st, c->out, b, t);
        const float *h_prev = has_prev(c, t) ? c->hs + (at - c->batch + b) * u : NULL;
        if (deep_rnn_kept(&c->st, b, t)) {
            const float *hn = c->zh + (at + b) * g + 2 * u;
            for (int64_t j = 0; j < u; j++) {
                float n = deep_activate(layer->cfg.rnn.activation, x[2 * u + j] + hn[j]), z = x[j];
                x[2 * u + j] = n;
                h_now[j] = z * (h_prev != NULL ? h_prev[j] : 0.0f) + (1.0f - z) * n;
            }
            if (out != NULL)
                memcpy(out, h_now, (size_t)u * sizeof *out);
        } else { /* padding: h stays what it was */
            deep_rnn_carry(h_now, c->batch, u);
        }
        if (c->rmask != NULL)
            for (int64_t j = 0; j < u; j++)
                c->hm[(at + b) * u + j] = h_now[j] * c->rmask[b * u + j];
    }
}

/* Backward of step t of reset_after=False for samples [begin, end): from dL/dh_t in dh,
 * zx and zh take dL/d(x z, r, n) and dL/d(h z, r, n pre-activations), and dh becomes
 * dL/dh_{t-1}. */
static void step_before_backward(const gru_ctx *c, int64_t t, int64_t begin, int64_t end)
{
    const deep_layer *layer = c->layer;
    int64_t u = c->units, g = c->gates, rows = end - begin, at = t * c->batch;
    const float *R = layer->params[1].value;
    for (int64_t b = begin; b < end; b++) {
        float *x = c->zx + (at + b) * g, *hr = c->zh + (at + b) * g, *dh = c->dh + b * u;
        if (!deep_rnn_kept(&c->st, b, t)) { /* dh passes through; nothing reaches the cell */
            memset(x, 0, (size_t)g * sizeof *x);
            memset(hr, 0, (size_t)g * sizeof *hr);
            continue;
        }
        const float *h_prev = has_prev(c, t) ? c->hs + (at - c->batch + b) * u : NULL;
        for (int64_t j = 0; j < u; j++) {
            float z = x[j], n = x[2 * u + j], d = dh[j];
            float dz = d * ((h_prev != NULL ? h_prev[j] : 0.0f) - n) *
                       deep_activation_slope(layer->cfg.rnn.recurrent_activation, z);
            float dn = d * (1.0f - z) * deep_activation_slope(layer->cfg.rnn.activation, n);
            x[j] = hr[j] = dz;
            x[2 * u + j] = hr[2 * u + j] = dn;
            dh[j] = d * z;
        }
    }
    if (!has_prev(c, t)) { /* r met h_0 = 0: no gradient */
        for (int64_t b = begin; b < end; b++)
            for (int64_t j = 0; j < u; j++)
                c->zx[(at + b) * g + u + j] = c->zh[(at + b) * g + u + j] = 0.0f;
        return;
    }
    /* dL/d(r * h_{t-1}) = dn . recurrent_kernel[:, n]^T, into dt. */
    float *dt = c->dt + begin * u;
    deep_gemm_strided(NULL, false, true, rows, u, u, 1.0f, c->zh + (at + begin) * g + 2 * u, g, R + 2 * u, g, 0.0f,
                      dt, u);
    const float *source = recurrent_source(c) + (at - c->batch) * u;
    for (int64_t b = begin; b < end; b++) {
        if (!deep_rnn_kept(&c->st, b, t))
            continue;
        float *x = c->zx + (at + b) * g, *hr = c->zh + (at + b) * g, *dh = c->dh + b * u;
        for (int64_t j = 0; j < u; j++) {
            float r = x[u + j], drh = c->dt[b * u + j];
            x[u + j] = hr[u + j] =
                drh * source[b * u + j] * deep_activation_slope(layer->cfg.rnn.recurrent_activation, r);
            /* r * h_{t-1} met h through the recurrent mask */
            dh[j] += drh * r * (c->rmask != NULL ? c->rmask[b * u + j] : 1.0f);
        }
    }
    /* dL/dh_{t-1} += dL/d(h z, r) . recurrent_kernel[:, z and r]^T, through the mask. */
    deep_gemm_strided(NULL, false, true, rows, u, 2 * u, 1.0f, c->zh + (at + begin) * g, g, R, g, 0.0f, dt, u);
    for (int64_t b = begin; b < end; b++)
        for (int64_t j = 0; j < u; j++)
            c->dh[b * u + j] += c->dt[b * u + j] * (c->rmask != NULL ? c->rmask[b * u + j] : 1.0f);
}

DEEP_VECTOR_CLONES static void recur_forward_before(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gru_ctx *c = raw;
    fill_h0(c, begin, end);
    for (int64_t t = 0; t < c->steps; t++)
        step_before(c, t, begin, end);
    store_final(c, begin, end);
}

DEEP_VECTOR_CLONES static void recur_backward_before(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gru_ctx *c = raw;
    int64_t u = c->units, steps = c->steps;
    bool sequences = c->layer->cfg.rnn.return_sequences;
    for (int64_t b = begin; b < end; b++)
        for (int64_t j = 0; j < u; j++)
            c->dh[b * u + j] = sequences ? 0.0f : c->grad_out[b * u + j];
    deep_rnn_add_rows(c->dh, c->final_dh, begin, end, u);
    for (int64_t t = steps - 1; t >= 0; t--) {
        if (sequences)
            for (int64_t b = begin; b < end; b++)
                for (int64_t j = 0; j < u; j++)
                    c->dh[b * u + j] += c->grad_out[(b * steps + t) * u + j];
        step_before_backward(c, t, begin, end);
    }
    deep_rnn_copy_rows(c->init_dh, c->dh, begin, end, u); /* dh is now dL/dh_0 */
}

/* ---- reset_after=True -------------------------------------------------------------- */

DEEP_VECTOR_CLONES static void recur_forward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gru_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t u = c->units, g = c->gates, rows = end - begin;
    bool keras_default = layer->cfg.rnn.activation == DEEP_ACTIVATION_TANH &&
                         layer->cfg.rnn.recurrent_activation == DEEP_ACTIVATION_SIGMOID;
    fill_h0(c, begin, end);
    for (int64_t t = 0; t < c->steps; t++) {
        float *zh = c->zh + (t * c->batch + begin) * g;
        if (!has_prev(c, t)) /* h_0 = 0: only the recurrent bias */
            memset(zh, 0, (size_t)(rows * g) * sizeof *zh);
        else
            deep_gemm(NULL, false, false, rows, g, u, 1.0f, recurrent_source(c) + ((t - 1) * c->batch + begin) * u,
                      layer->params[1].value, 0.0f, zh);
        forward_step(c, t, begin, end, keras_default);
    }
    store_final(c, begin, end);
}

static void gru_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                        int64_t batch)
{
    gru_ctx c = gru_context(layer, ex, scratch, batch);
    c.out = out;
    if (c.imask != NULL)
        deep_rnn_draw_mask(ex->rng, c.imask, batch * c.features, layer->cfg.rnn.dropout);
    if (c.rmask != NULL)
        deep_rnn_draw_mask(ex->rng, c.rmask, batch * c.units, layer->cfg.rnn.recurrent_dropout);
    deep_rnn_input io = {.steps = c.steps, .features = c.features, .batch = batch,
                         .go_backwards = layer->cfg.rnn.go_backwards, .in = in, .xs = c.xs, .mask = c.imask};
    deep_rnn_gather(ex->pool, &io);
    deep_rnn_gemm_steps(ex->pool, c.steps, batch, false, c.gates, c.features, c.xs, layer->params[0].value, c.zx);
    deep_pool_run(ex->pool, batch, layer->cfg.rnn.reset_after ? recur_forward : recur_forward_before, &c);
}

/* One sample's cell backward at one step: from dL/dh_t in dh, the gradients of both
 * projections replace them, and dh keeps the direct part of dL/dh_{t-1}, z * dL/dh_t. */
static inline DEEP_ALWAYS_INLINE void cell_backward_row(
    float *restrict xz, float *restrict xr, float *restrict xn, float *restrict hz, float *restrict hr,
    float *restrict hn, const float *restrict h_prev, float *restrict dh, int64_t units, bool first,
    deep_activation act, deep_activation rec)
{
    for (int64_t j = 0; j < units; j++) {
        float z = xz[j], r = xr[j], n = xn[j], d = dh[j];
        float prev = first ? 0.0f : h_prev[j];
        float dz = d * (prev - n) * deep_activation_slope(rec, z);
        float dn = d * (1.0f - z) * deep_activation_slope(act, n);
        float dr = dn * hn[j] * deep_activation_slope(rec, r);
        xz[j] = dz, xr[j] = dr, xn[j] = dn;
        hz[j] = dz, hr[j] = dr, hn[j] = dn * r;
        dh[j] = d * z;
    }
}

static inline DEEP_ALWAYS_INLINE void cell_backward(const gru_ctx *c, int64_t t, int64_t begin, int64_t end,
                                                    bool first, deep_activation act, deep_activation rec)
{
    int64_t u = c->units, g = c->gates, rows = t * c->batch;
    for (int64_t b = begin; b < end; b++) {
        float *xr = c->zx + (rows + b) * g, *hr = c->zh + (rows + b) * g;
        if (!deep_rnn_kept(&c->st, b, t)) { /* dh passes through; nothing reaches the cell */
            memset(xr, 0, (size_t)g * sizeof *xr);
            memset(hr, 0, (size_t)g * sizeof *hr);
            continue;
        }
        cell_backward_row(xr, xr + u, xr + 2 * u, hr, hr + u, hr + 2 * u,
                          first ? NULL : c->hs + (rows - c->batch + b) * u, c->dh + b * u, u, first, act, rec);
    }
}

DEEP_VECTOR_CLONES static void recur_backward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gru_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t u = c->units, g = c->gates, rows = end - begin, steps = c->steps;
    float *dh = c->dh + begin * u, *dt = c->dt + begin * u;
    deep_rnn_init_dh(layer, c->grad_out, c->dh, begin, end);
    deep_rnn_add_rows(c->dh, c->final_dh, begin, end, u);
    bool keras_default = layer->cfg.rnn.activation == DEEP_ACTIVATION_TANH &&
                         layer->cfg.rnn.recurrent_activation == DEEP_ACTIVATION_SIGMOID;
    for (int64_t t = steps - 1; t >= 0; t--) {
        for (int64_t b = begin; b < end; b++)
            deep_rnn_add_step_grad(layer, c->grad_out, c->dh, steps, b, t);
        bool first = !has_prev(c, t);
        if (keras_default && first)
            cell_backward(c, t, begin, end, true, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID);
        else if (keras_default)
            cell_backward(c, t, begin, end, false, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID);
        else
            cell_backward(c, t, begin, end, first, layer->cfg.rnn.activation, layer->cfg.rnn.recurrent_activation);
        if (first)
            break;
        /* dL/dh_{t-1} += dL/d(recurrent projection) . recurrent_kernel^T, through the mask. */
        const float *dzh = c->zh + (t * c->batch + begin) * g;
        if (c->rmask == NULL) {
            deep_gemm(NULL, false, true, rows, u, g, 1.0f, dzh, layer->params[1].value, 1.0f, dh);
        } else {
            deep_gemm(NULL, false, true, rows, u, g, 1.0f, dzh, layer->params[1].value, 0.0f, dt);
            for (int64_t i = 0; i < rows * u; i++)
                dh[i] += dt[i] * c->rmask[begin * u + i];
        }
    }
    deep_rnn_copy_rows(c->init_dh, c->dh, begin, end, u); /* dh is now dL/dh_0 */
}

static void gru_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out, float *grad_out,
                         float *grad_in, float *scratch, int64_t batch)
{
    (void)in;
    (void)out;
    gru_ctx c = gru_context(layer, ex, scratch, batch);
    deep_rnn_drop_padding_grads(layer, &c.st, grad_out, batch);
    c.grad_out = grad_out;
    deep_pool_run(ex->pool, batch, layer->cfg.rnn.reset_after ? recur_backward : recur_backward_before, &c);

    int64_t g = c.gates, u = c.units, steps = c.steps;
    deep_rnn_gemm_sum(ex->pool, steps, batch, c.features, g, c.xs, c.zx, layer->params[0].grad);
    int64_t first = c.init_h != NULL ? 0 : 1; /* the first step that met h_{t-1} */
    deep_rnn_gemm_sum(ex->pool, steps - first, batch, u, g, recurrent_source(&c) + (first - 1) * batch * u,
                      c.zh + first * batch * g, layer->params[1].grad);
    if (!layer->cfg.rnn.reset_after) /* the n block met r * h_{t-1}, not h_{t-1} */
        for (int64_t t = first; t < steps; t++)
            deep_gemm_strided(ex->pool, true, false, u, u, batch, 1.0f, c.rh + t * batch * u, u,
                              c.zh + t * batch * g + 2 * u, g, t == first ? 0.0f : 1.0f,
                              layer->params[1].grad + 2 * u, g);
    if (layer->cfg.rnn.use_bias)
        deep_rnn_column_sums(ex->pool, c.zx, steps * batch, g, layer->params[2].grad);
    if (layer->cfg.rnn.use_bias && layer->cfg.rnn.reset_after)
        deep_rnn_column_sums(ex->pool, c.zh, steps * batch, g, layer->params[2].grad + g);
    if (grad_in == NULL)
        return;
    deep_rnn_gemm_steps(ex->pool, steps, batch, true, c.features, g, c.zx, layer->params[0].value, c.xs);
    deep_rnn_input io = {.steps = steps,
                         .features = c.features,
                         .batch = batch,
                         .go_backwards = layer->cfg.rnn.go_backwards,
                         .grad_in = grad_in,
                         .xs = c.xs,
                         .mask = c.imask};
    deep_rnn_scatter(ex->pool, &io);
}

static void gru_final_state(const deep_layer *layer, const float *scratch, int64_t batch, float *h, float *c)
{
    (void)c;
    gru_ctx x = gru_context(layer, &(deep_exec){0}, (float *)scratch, batch);
    deep_rnn_last_state(x.hs, x.steps, batch, x.units, h);
}

static const deep_layer_field gru_fields[] = {
    DEEP_RNN_FIELDS,
    DEEP_FIELD(deep_rnn_config, recurrent_activation, DEEP_FIELD_CELL_ACTIVATION, .doc = "of the gates"),
    DEEP_FIELD(deep_rnn_config, reset_after, DEEP_FIELD_BOOL, .option = DEEP_LAYER_RESET_AFTER, .optional = true,
               .doc = "the reset gate after the recurrent kernel (TensorFlow 2)"),
};

const deep_layer_ops deep_gru_ops = {
    .type = "gru",
    .class_name = "GRU",
    .config_size = sizeof(deep_rnn_config),
    .defaults = &(const deep_rnn_config){.units = 1, .activation = DEEP_ACTIVATION_TANH,
                                         .recurrent_activation = DEEP_ACTIVATION_SIGMOID, .use_bias = true,
                                         .reset_after = true},
    DEEP_FIELDS(gru_fields),
    .flags = DEEP_LAYER_RECURRENT | DEEP_LAYER_WRAPPABLE | DEEP_LAYER_STATES,
    .build = gru_build,
    .init = gru_init,
    .forward = gru_forward,
    .backward = gru_backward,
    .mask_flow = deep_rnn_mask_flow,
    .final_state = gru_final_state,
};

deep_status deep_model_add_gru(deep_model *model, int64_t units, deep_activation activation,
                               deep_activation recurrent_activation, int32_t use_bias, int32_t return_sequences)
{
    deep_rnn_config c = *(const deep_rnn_config *)deep_gru_ops.defaults;
    c.units = units;
    c.activation = activation;
    c.recurrent_activation = recurrent_activation;
    c.use_bias = use_bias != 0;
    c.return_sequences = return_sequences != 0;
    return deep_layer_append(model, &deep_gru_ops, &c, false, __func__, NULL);
}
