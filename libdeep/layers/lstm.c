/* LSTM, as Keras' layer (its default implementation 2). Per time step t:
 *
 *   z = x_t . kernel + h_{t-1} . recurrent_kernel + bias, split into z_i, z_f, z_c, z_o
 *   i, f, o = recurrent_activation(z_i, z_f, z_o);   g = activation(z_c)
 *   c_t = f * c_{t-1} + i * g;                       h_t = o * activation(c_t)
 *
 * from h_0 = c_0 = 0, or the initial states of a graph call (Keras' initial_state). kernel
 * (features, 4 units), recurrent_kernel (units, 4 units) and bias (4 units) hold the four
 * gates side by side in that order, as Keras stores them. The output is h_T, or every h_t
 * with return_sequences (in processing order, so reversed with go_backwards, as Keras).
 *
 * The work is laid out time-major. The input is first copied to (timesteps, batch,
 * features) so that one GEMM projects the input of every step at once and each step's
 * rows are contiguous. The recurrence is then split by samples among the model's threads:
 * each runs every step for its own rows (one GEMM with the recurrent kernel and one fused
 * element-wise pass per step), so the threads never wait for one another inside it.
 * Backward through time runs the same way for dL/dh and dL/dc, leaving dL/dz of every
 * step in place of the gates; the weight and input gradients are then GEMMs over all the
 * steps at once.
 *
 * Dropout, as Keras' dropout and recurrent_dropout: while training, one inverted-dropout
 * mask per sample over the input features and one over h_{t-1}, the same at every step.
 *
 * Masking, as Keras: at a padding step (ex->mask) h and c are carried over unchanged and
 * the step's output is the previous output; its dL/dz is zero, and dL/dh, dL/dc pass
 * straight through it. */
#include <string.h>

#include "kernels/fastmath.h"
#include "kernels/kernels.h"
#include "layers/recurrent.h"

/* The scratch of a batch, in floats, each block time-major (row t * batch + b):
 *   xs     T * B * F      the input (times the dropout mask); backward: dL/d(xs)
 *   z      T * B * 4U     the gates after their activations; backward: dL/dz
 *   cs     (T + 1) * B * U  c_0 = 0, then c_1 .. c_T
 *   as     T * B * U      activation(c_t)
 *   h0     B * U          h_0 (zeros or the initial state) times the recurrent dropout mask
 *   hs     T * B * U      h_1 .. h_T times the recurrent dropout mask: what step t + 1 reads
 *   dh, dc B * U          backward's running dL/dh_t and dL/dc_t
 *   imask  B * F, rmask B * U   the dropout masks */
typedef struct lstm_ctx {
    const deep_layer *layer;
    int64_t steps, features, units, gates, batch;
    float *xs, *z, *cs, *as, *hs, *dh, *dc;
    float *imask, *rmask; /* NULL when that dropout is off */
    deep_rnn_steps st;    /* the padding mask */
    float *out;
    const float *grad_out;
    const float *init_h, *init_c, *final_dh, *final_dc; /* deep_exec's state members */
    float *final_h, *final_c, *init_dh, *init_dc;
} lstm_ctx;

/* Scratch per sample: steps * (F + 4U + 3U), then U (c_0), U (h_0), 2U (dh, dc), F + U (masks). */
static const deep_rnn_cell lstm_cell = {
    .class_name = "LSTM", .gates = 4, .widest = 4, .step_units = 7, .fixed_units = 5};

static deep_status lstm_build(deep_layer *layer)
{
    DEEP_TRY(deep_rnn_build(layer, &lstm_cell));
    int64_t bias = 4 * layer->cfg.rnn.units;
    if (layer->cfg.rnn.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, 2, "bias", 1, &bias));
    return DEEP_OK;
}

static void lstm_init(deep_layer *layer, struct deep_rng *rng)
{
    int64_t units = layer->cfg.rnn.units, features = layer->in_shape[1];
    /* Keras: Glorot-uniform kernel (fans: features and 4 units), orthogonal recurrent
     * kernel, zero bias but ones for the forget gate (unit_forget_bias). */
    deep_init_glorot_uniform(layer->params[0].value, layer->params[0].size, features, 4 * units, rng);
    deep_init_orthogonal(layer->params[1].value, units, 4 * units, rng);
    if (layer->cfg.rnn.use_bias) {
        float *bias = layer->params[2].value;
        for (int64_t j = 0; j < 4 * units; j++)
            bias[j] = layer->cfg.rnn.unit_forget_bias && j >= units && j < 2 * units ? 1.0f : 0.0f;
    }
}

static lstm_ctx lstm_context(const deep_layer *layer, const deep_exec *ex, float *scratch, int64_t batch)
{
    lstm_ctx c = {.layer = layer, .steps = layer->in_shape[0], .features = layer->in_shape[1],
                  .units = layer->cfg.rnn.units, .gates = 4 * layer->cfg.rnn.units, .batch = batch,
                  .st = {ex->mask, layer->in_shape[0], layer->cfg.rnn.go_backwards},
                  .init_h = ex->init_state[0], .init_c = ex->init_state[1], .final_dh = ex->final_grad[0],
                  .final_dc = ex->final_grad[1], .final_h = ex->final_state[0], .final_c = ex->final_state[1],
                  .init_dh = ex->init_grad[0], .init_dc = ex->init_grad[1]};
    int64_t tb = c.steps * batch;
    float *p = scratch;
    c.xs = p, p += tb * c.features;
    c.z = p, p += tb * c.gates;
    c.cs = p, p += (tb + batch) * c.units;
    c.as = p, p += tb * c.units;
    p += batch * c.units; /* h_0, the block before hs */
    c.hs = p, p += tb * c.units;
    c.dh = p, p += batch * c.units;
    c.dc = p, p += batch * c.units;
    bool dropping = ex->training && ex->rng != NULL;
    c.imask = dropping && layer->cfg.rnn.dropout > 0.0f ? p : NULL;
    p += batch * c.features;
    c.rmask = dropping && layer->cfg.rnn.recurrent_dropout > 0.0f ? p : NULL;
    return c;
}

/* One sample's cell at one step: the gates' pre-activations (bias included) become the
 * gates, and c_t, activation(c_t) and h_t are written. The pointers never overlap, which
 * lets the loop vectorise once the activations are constants. */
static inline DEEP_ALWAYS_INLINE void cell_forward_row(
    float *restrict zi, float *restrict zf, float *restrict zg, float *restrict zo, const float *restrict c_prev,
    float *restrict c_now, float *restrict a_now, float *restrict h_now, int64_t units, deep_activation act,
    deep_activation rec)
{
    for (int64_t j = 0; j < units; j++) {
        float i = deep_activate(rec, zi[j]), f = deep_activate(rec, zf[j]);
        float g = deep_activate(act, zg[j]), o = deep_activate(rec, zo[j]);
        float cell = f * c_prev[j] + i * g;
        float a = deep_activate(act, cell);
        zi[j] = i, zf[j] = f, zg[j] = g, zo[j] = o;
        c_now[j] = cell;
        a_now[j] = a;
        h_now[j] = o * a;
    }
}

/* The cell of step t for samples [begin, end), after z holds the step's pre-activations
 * but the bias. Inlined with constant activations, the switches fold away. */
static inline DEEP_ALWAYS_INLINE void cell_forward(const lstm_ctx *c, int64_t t, int64_t begin,
                                                               int64_t end, deep_activation act,
                                                               deep_activation rec)
{
    const deep_layer *layer = c->layer;
    int64_t u = c->units, g = c->gates, rows = t * c->batch;
    const float *bias = layer->cfg.rnn.use_bias ? layer->params[2].value : NULL;
    for (int64_t b = begin; b < end; b++) {
        float *zr = c->z + (rows + b) * g;
        float *h_now = c->hs + (rows + b) * u;
        float *out = deep_rnn_output(layer, &c->st, c->out, b, t);
        if (!deep_rnn_kept(&c->st, b, t)) {
            /* Padding: c and h (as step t + 1 reads it) stay what they were. */
            memcpy(c->cs + (rows + c->batch + b) * u, c->cs + (rows + b) * u, (size_t)u * sizeof(float));
            deep_rnn_carry(h_now, c->batch, u);
            continue;
        }
        if (bias != NULL)
            for (int64_t j = 0; j < g; j++)
                zr[j] += bias[j];
        cell_forward_row(zr, zr + u, zr + 2 * u, zr + 3 * u, c->cs + (rows + b) * u,
                         c->cs + (rows + c->batch + b) * u, c->as + (rows + b) * u, h_now, u, act, rec);
        if (out != NULL)
            memcpy(out, h_now, (size_t)u * sizeof *out);
        if (c->final_h != NULL) /* unmasked: hs holds it times the recurrent mask */
            memcpy(c->final_h + b * u, h_now, (size_t)u * sizeof *h_now);
        if (c->rmask != NULL)
            for (int64_t j = 0; j < u; j++)
                h_now[j] *= c->rmask[b * u + j];
    }
}

DEEP_VECTOR_CLONES static void recur_forward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const lstm_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t u = c->units, g = c->gates, rows = end - begin;
    if (c->init_c != NULL) /* c_0 */
        deep_rnn_copy_rows(c->cs, c->init_c, begin, end, u);
    else
        memset(c->cs + begin * u, 0, (size_t)(rows * u) * sizeof(float));
    deep_rnn_fill_h0(c->hs - c->batch * u, c->init_h, c->rmask, begin, end, u);
    if (c->final_h != NULL) /* a sequence that is all padding keeps h_0 */
        deep_rnn_fill_h0(c->final_h, c->init_h, NULL, begin, end, u);
    bool keras_default = layer->cfg.rnn.activation == DEEP_ACTIVATION_TANH &&
                         layer->cfg.rnn.recurrent_activation == DEEP_ACTIVATION_SIGMOID;
    for (int64_t t = 0; t < c->steps; t++) {
        if (t > 0 || c->init_h != NULL) /* z_t += h_{t-1} . recurrent_kernel; h_0 = 0 adds nothing */
            deep_gemm(NULL, false, false, rows, g, u, 1.0f, c->hs + ((t - 1) * c->batch + begin) * u,
                      layer->params[1].value, 1.0f, c->z + (t * c->batch + begin) * g);
        if (keras_default)
            cell_forward(c, t, begin, end, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID);
        else
            cell_forward(c, t, begin, end, layer->cfg.rnn.activation, layer->cfg.rnn.recurrent_activation);
    }
    if (c->final_c != NULL)
        deep_rnn_copy_rows(c->final_c, c->cs + c->steps * c->batch * u, begin, end, u);
}

static deep_rnn_input input_side(const lstm_ctx *c, const float *in, float *grad_in)
{
    return (deep_rnn_input){.steps = c->steps, .features = c->features, .batch = c->batch,
                            .go_backwards = c->layer->cfg.rnn.go_backwards, .in = in, .grad_in = grad_in, .xs = c->xs,
                            .mask = c->imask};
}

static void lstm_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, float *scratch,
                         int64_t batch)
{
    lstm_ctx c = lstm_context(layer, ex, scratch, batch);
    c.out = out;
    if (c.imask != NULL)
        deep_rnn_draw_mask(ex->rng, c.imask, batch * c.features, layer->cfg.rnn.dropout);
    if (c.rmask != NULL)
        deep_rnn_draw_mask(ex->rng, c.rmask, batch * c.units, layer->cfg.rnn.recurrent_dropout);
    deep_rnn_input io = input_side(&c, in, NULL);
    deep_rnn_gather(ex->pool, &io);
    /* The input projection of every step: z = xs . kernel. */
    deep_rnn_gemm_steps(ex->pool, c.steps, batch, false, c.gates, c.features, c.xs, layer->params[0].value, c.z);
    deep_pool_run(ex->pool, batch, recur_forward, &c);
}

/* One sample's cell backward at one step: from dL/dh_t and the part of dL/dc_t that comes
 * from step t + 1, dL/dz_t replaces the gates and dc becomes dL/dc_{t-1}. */
static inline DEEP_ALWAYS_INLINE void cell_backward_row(
    float *restrict zi, float *restrict zf, float *restrict zg, float *restrict zo, const float *restrict c_prev,
    const float *restrict a_now, const float *restrict dh, float *restrict dc, int64_t units, deep_activation act,
    deep_activation rec)
{
    for (int64_t j = 0; j < units; j++) {
        float i = zi[j], f = zf[j], g = zg[j], o = zo[j], a = a_now[j];
        float dcell = dc[j] + dh[j] * o * deep_activation_slope(act, a);
        zi[j] = dcell * g * deep_activation_slope(rec, i);
        zf[j] = dcell * c_prev[j] * deep_activation_slope(rec, f);
        zg[j] = dcell * i * deep_activation_slope(act, g);
        zo[j] = dh[j] * a * deep_activation_slope(rec, o);
        dc[j] = dcell * f;
    }
}

/* Step t of backward for samples [begin, end). */
static inline DEEP_ALWAYS_INLINE void cell_backward(const lstm_ctx *c, int64_t t, int64_t begin,
                                                                int64_t end, deep_activation act,
                                                                deep_activation rec)
{
    int64_t u = c->units, g = c->gates, rows = t * c->batch;
    for (int64_t b = begin; b < end; b++) {
        float *zr = c->z + (rows + b) * g;
        if (!deep_rnn_kept(&c->st, b, t)) { /* dh and dc pass through; nothing reaches the cell */
            memset(zr, 0, (size_t)g * sizeof *zr);
            continue;
        }
        cell_backward_row(zr, zr + u, zr + 2 * u, zr + 3 * u, c->cs + (rows + b) * u, c->as + (rows + b) * u,
                          c->dh + b * u, c->dc + b * u, u, act, rec);
    }
}

DEEP_VECTOR_CLONES static void recur_backward(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const lstm_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t u = c->units, g = c->gates, rows = end - begin, steps = c->steps;
    if (c->final_dc != NULL)
        deep_rnn_copy_rows(c->dc, c->final_dc, begin, end, u);
    else
        memset(c->dc + begin * u, 0, (size_t)(rows * u) * sizeof(float));
    deep_rnn_init_dh(layer, c->grad_out, c->dh, begin, end);
    deep_rnn_add_rows(c->dh, c->final_dh, begin, end, u);
    bool keras_default = layer->cfg.rnn.activation == DEEP_ACTIVATION_TANH &&
                         layer->cfg.rnn.recurrent_activation == DEEP_ACTIVATION_SIGMOID;
    for (int64_t t = steps - 1; t >= 0; t--) {
        for (int64_t b = begin; b < end; b++)
            deep_rnn_add_step_grad(layer, c->grad_out, c->dh, steps, b, t);
        if (keras_default)
            cell_backward(c, t, begin, end, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID);
        else
            cell_backward(c, t, begin, end, layer->cfg.rnn.activation, layer->cfg.rnn.recurrent_activation);
        if (t == 0 && c->init_dh == NULL)
            break;
        /* dL/dh_{t-1} = dL/dz_t . recurrent_kernel^T, through the recurrent mask. */
        deep_rnn_state_grad(&c->st, t, begin, end, u, g, c->z + (t * c->batch + begin) * g, layer->params[1].value,
                            c->rmask, c->dh);
    }
    deep_rnn_copy_rows(c->init_dh, c->dh, begin, end, u); /* dh and dc are now dL/dh_0, dL/dc_0 */
    deep_rnn_copy_rows(c->init_dc, c->dc, begin, end, u);
}

static void lstm_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out, float *grad_out,
                          float *grad_in, float *scratch, int64_t batch)
{
    (void)in;
    (void)out;
    lstm_ctx c = lstm_context(layer, ex, scratch, batch);
    deep_rnn_drop_padding_grads(layer, &c.st, grad_out, batch);
    c.grad_out = grad_out;
    deep_pool_run(ex->pool, batch, recur_backward, &c);

    int64_t g = c.gates, u = c.units, steps = c.steps;
    /* dKernel = xs^T . dz over every step; dRecurrent = h_{t-1}^T . dz_t over the steps
     * t >= 1 (h_0 = 0 adds nothing) or, with an initial state, every step; dBias = the
     * column sums of dz. */
    deep_rnn_gemm_sum(ex->pool, steps, batch, c.features, g, c.xs, c.z, layer->params[0].grad);
    if (c.init_h != NULL)
        deep_rnn_gemm_sum(ex->pool, steps, batch, u, g, c.hs - batch * u, c.z, layer->params[1].grad);
    else
        deep_rnn_gemm_sum(ex->pool, steps - 1, batch, u, g, c.hs, c.z + batch * g, layer->params[1].grad);
    if (layer->cfg.rnn.use_bias)
        deep_rnn_column_sums(ex->pool, c.z, steps * batch, g, layer->params[2].grad);
    if (grad_in == NULL)
        return;
    /* xs is no longer needed: it takes dL/d(xs) = dz . kernel^T. */
    deep_rnn_gemm_steps(ex->pool, steps, batch, true, c.features, g, c.z, layer->params[0].value, c.xs);
    deep_rnn_input io = input_side(&c, NULL, grad_in);
    deep_rnn_scatter(ex->pool, &io);
}

/* After an inference pass: h_T (hs holds h unmasked then) and c_T. */
static void lstm_final_state(const deep_layer *layer, const float *scratch, int64_t batch, float *h, float *c)
{
    lstm_ctx x = lstm_context(layer, &(deep_exec){0}, (float *)scratch, batch);
    int64_t u = x.units, last = (x.steps - 1) * batch;
    memcpy(h, x.hs + last * u, (size_t)(batch * u) * sizeof *h);
    if (c != NULL)
        memcpy(c, x.cs + (last + batch) * u, (size_t)(batch * u) * sizeof *c);
}

static const deep_layer_field lstm_fields[] = {
    DEEP_RNN_FIELDS,
    DEEP_FIELD(deep_rnn_config, recurrent_activation, DEEP_FIELD_CELL_ACTIVATION, .doc = "of the gates"),
    DEEP_FIELD(deep_rnn_config, unit_forget_bias, DEEP_FIELD_BOOL, .option = DEEP_LAYER_UNIT_FORGET_BIAS,
               .doc = "the forget gate's bias starts at 1"),
};

const deep_layer_ops deep_lstm_ops = {
    .type = "lstm",
    .class_name = "LSTM",
    .config_size = sizeof(deep_rnn_config),
    .defaults = &(const deep_rnn_config){.units = 1, .activation = DEEP_ACTIVATION_TANH,
                                         .recurrent_activation = DEEP_ACTIVATION_SIGMOID, .use_bias = true,
                                         .unit_forget_bias = true},
    DEEP_FIELDS(lstm_fields),
    .flags = DEEP_LAYER_RECURRENT | DEEP_LAYER_WRAPPABLE | DEEP_LAYER_CELL_STATE | DEEP_LAYER_STATES,
    .build = lstm_build,
    .init = lstm_init,
    .forward = lstm_forward,
    .backward = lstm_backward,
    .mask_flow = deep_rnn_mask_flow,
    .final_state = lstm_final_state,
};

deep_status deep_model_add_lstm(deep_model *model, int64_t units, deep_activation activation,
                                deep_activation recurrent_activation, int32_t use_bias, int32_t return_sequences)
{
    deep_rnn_config c = *(const deep_rnn_config *)deep_lstm_ops.defaults;
    c.units = units;
    c.activation = activation;
    c.recurrent_activation = recurrent_activation;
    c.use_bias = use_bias != 0;
    c.return_sequences = return_sequences != 0;
    return deep_layer_append(model, &deep_lstm_ops, &c, false, __func__, NULL);
}
