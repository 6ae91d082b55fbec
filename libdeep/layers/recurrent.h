/* What the recurrent layers share. They lay a batch out time-major (row t * batch + b), so
 * that one GEMM covers the input projection of every step and each step's rows are
 * contiguous; these helpers move the input in and its gradient out of that layout, draw
 * the dropout masks, and run the products and sums over all the steps at once. */
#ifndef DEEP_RECURRENT_H
#define DEEP_RECURRENT_H

#include <string.h>

#include "layers/layer.h"

/* The fields every recurrent type has, in the order of its config in model files. */
#define DEEP_RNN_FIELDS                                                                                        \
    DEEP_FIELD(deep_rnn_config, units, DEEP_FIELD_SIZE, .min = 1, .doc = "size of the state and the output"), \
        DEEP_FIELD(deep_rnn_config, activation, DEEP_FIELD_CELL_ACTIVATION, .doc = "of the cell"),           \
        DEEP_FIELD(deep_rnn_config, use_bias, DEEP_FIELD_BOOL, .doc = "adds the bias"),                      \
        DEEP_FIELD(deep_rnn_config, return_sequences, DEEP_FIELD_BOOL,                                       \
                   .doc = "outputs every step (timesteps, units), not only the last"),                       \
        DEEP_FIELD(deep_rnn_config, go_backwards, DEEP_FIELD_BOOL, .option = DEEP_LAYER_GO_BACKWARDS,        \
                   .doc = "processes the steps last to first"),                                             \
        DEEP_FIELD(deep_rnn_config, dropout, DEEP_FIELD_RATE, .option = DEEP_LAYER_DROPOUT,                  \
                   .doc = "fraction of the inputs dropped while training"),                                  \
        DEEP_FIELD(deep_rnn_config, recurrent_dropout, DEEP_FIELD_RATE, .option = DEEP_LAYER_RECURRENT_DROPOUT, \
                   .doc = "fraction of the state dropped while training")

/* What a recurrent cell's build needs to know of it. */
typedef struct deep_rnn_cell {
    const char *class_name; /* names the layer in messages: "LSTM" */
    int64_t gates;          /* kernel and recurrent_kernel have gates * units columns */
    int64_t widest;         /* the widest product, in units, that must fit CBLAS' int */
    int64_t step_units;     /* scratch per sample: steps * (features + step_units * units) */
    int64_t fixed_units;    /* ... + features + fixed_units * units */
} deep_rnn_cell;

/* The build all recurrent layers share: checks that the input is (timesteps, features)
 * and that the sizes fit, sets the scratch size and the output shape ((units,) or, with
 * return_sequences, (timesteps, units)) and declares the kernel and recurrent_kernel
 * (parameters 0 and 1). The caller declares its bias. */
deep_status deep_rnn_build(deep_layer *layer, const deep_rnn_cell *cell);

/* mask_flow of the recurrent layers (Keras): they read the mask, and their output keeps
 * it with return_sequences only. */
deep_mask_flow deep_rnn_mask_flow(const deep_layer *layer);

/* The input side of one batch: `in` and `grad_in` are (batch, steps, features), `xs`
 * (steps, batch, features); processing step t reads input step t, or steps - 1 - t with
 * go_backwards. mask (batch * features) multiplies both ways; NULL is no dropout. */
typedef struct deep_rnn_input {
    int64_t steps, features, batch;
    bool go_backwards;
    const float *in;
    float *grad_in;
    float *xs;
    const float *mask;
} deep_rnn_input;

/* xs = in, time-major, times the mask. */
void deep_rnn_gather(deep_pool *pool, const deep_rnn_input *io);
/* grad_in = xs (holding dL/d(xs)) back in batch-major order, times the mask. */
void deep_rnn_scatter(deep_pool *pool, const deep_rnn_input *io);

/* Inverted dropout: each entry 1 / (1 - rate) with probability 1 - rate, else 0, drawn
 * serially so that a seed fixes the masks whatever the thread count. */
void deep_rnn_draw_mask(struct deep_rng *rng, float *mask, int64_t n, float rate);

/* Masks of padding steps (Keras' masking), for the cells: at a padding step the state is
 * carried over unchanged and the output is the previous one (zeros before the first real
 * step), so a padding step takes no gradient through the cell. */
typedef struct deep_rnn_steps {
    const uint8_t *mask; /* batch * steps, input order; NULL: every step is real */
    int64_t steps;
    bool go_backwards;
} deep_rnn_steps;

static inline bool deep_rnn_kept(const deep_rnn_steps *st, int64_t b, int64_t t)
{
    return deep_step_kept(st->mask, st->steps, b, t, st->go_backwards);
}

/* A state row at a padding step: what it was at the step before (the row batch * units
 * before, time-major). Before step 0 the cells keep a block holding h_0 (zeros, or the
 * initial state), so this holds at step 0 too. */
static inline void deep_rnn_carry(float *row, int64_t batch, int64_t units)
{
    memcpy(row, row - batch * units, (size_t)units * sizeof *row);
}

/* The h_0 block of samples [begin, end) (batch * units, the block before step 0's): the
 * initial state, times the recurrent dropout mask rmask unless NULL, or zeros. */
void deep_rnn_fill_h0(float *h0, const float *init, const float *rmask, int64_t begin, int64_t end, int64_t units);

/* Adds rows [begin, end) of src (batch * units) into dst, when src is not NULL. */
void deep_rnn_add_rows(float *dst, const float *src, int64_t begin, int64_t end, int64_t units);
/* Copies rows [begin, end) of src into dst, when dst is not NULL. */
void deep_rnn_copy_rows(float *dst, const float *src, int64_t begin, int64_t end, int64_t units);



/* Where sample b's output goes at processing step t, out being (batch, steps, units) with
 * return_sequences or (batch, units), or NULL when nothing is written there. A padding step
 * of a sequence gets the previous output (zeros at step 0) here; the last output is written
 * at every real step (and zeroed at step 0), so that it ends as the last real step's. The
 * caller writes h_t where this returns non-NULL and the step is real. */
float *deep_rnn_output(const deep_layer *layer, const deep_rnn_steps *st, float *out, int64_t b, int64_t t);

/* With zero_output_for_mask, the padding steps' outputs are constants: their rows of
 * dL/dout (batch, steps, units) are cleared before backward reads them. */
void deep_rnn_drop_padding_grads(const deep_layer *layer, const deep_rnn_steps *st, float *grad_out, int64_t batch);

/* dL/dh of samples [begin, end) before backpropagation reaches the last step: the output's
 * gradient without return_sequences; zero with it, each step adding its own
 * (deep_rnn_add_step_grad). dh and grad_out hold every sample of the batch. */
static inline void deep_rnn_init_dh(const deep_layer *layer, const float *grad_out, float *dh, int64_t begin,
                                    int64_t end)
{
    size_t bytes = (size_t)((end - begin) * layer->cfg.rnn.units) * sizeof *dh;
    if (layer->cfg.rnn.return_sequences)
        memset(dh + begin * layer->cfg.rnn.units, 0, bytes);
    else
        memcpy(dh + begin * layer->cfg.rnn.units, grad_out + begin * layer->cfg.rnn.units, bytes);
}

/* With return_sequences: adds the gradient of step t's output of sample b to its dL/dh. */
static inline void deep_rnn_add_step_grad(const deep_layer *layer, const float *grad_out, float *dh, int64_t steps,
                                          int64_t b, int64_t t)
{
    if (!layer->cfg.rnn.return_sequences)
        return;
    int64_t u = layer->cfg.rnn.units;
    const float *from_output = grad_out + (b * steps + t) * u;
    for (int64_t j = 0; j < u; j++)
        dh[b * u + j] += from_output[j];
}

/* The final h of a batch: the states after the last processing step, hs holding steps
 * blocks of batch * units. */
static inline void deep_rnn_last_state(const float *hs, int64_t steps, int64_t batch, int64_t units, float *h)
{
    memcpy(h, hs + (steps - 1) * batch * units, (size_t)(batch * units) * sizeof *h);
}

/* The padding part of backward at step t for samples [begin, end): from dL/dh_t in dh
 * (rows `begin..end` of batch-wide dh), dL/dh_{t-1} = dz_t . recurrent_kernel^T (times the
 * recurrent mask rmask, batch * units, unless NULL) for real steps, and dL/dh_t itself for
 * padding ones. dz_t holds `gates` values per sample, `begin` first. */
void deep_rnn_state_grad(const deep_rnn_steps *st, int64_t t, int64_t begin, int64_t end, int64_t units,
                         int64_t gates, const float *dz, const float *recurrent_kernel, const float *rmask, float *dh);

/* For every step at once, c = a . op(b): a is (steps * batch, k), c (steps * batch, n), b
 * (k, n) or, transposed, (n, k). Blocks of whole steps keep each CBLAS call within int. */
void deep_rnn_gemm_steps(deep_pool *pool, int64_t steps, int64_t batch, bool transpose_b, int64_t n, int64_t k,
                         const float *a, const float *b, float *c);
/* c (m, n) = a^T . b summed over the steps * batch rows of a (m wide) and b (n wide): a
 * weight gradient over every step. No steps gives zeros. */
void deep_rnn_gemm_sum(deep_pool *pool, int64_t steps, int64_t batch, int64_t m, int64_t n, const float *a,
                       const float *b, float *c);
/* sums[j] = the sum over rows of z[r * width + j]: a bias gradient over every step. */
void deep_rnn_column_sums(deep_pool *pool, const float *z, int64_t rows, int64_t width, float *sums);

#endif
