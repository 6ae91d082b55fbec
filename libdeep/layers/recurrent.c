/* Helpers shared by the recurrent layers (layers/recurrent.h). */
#include <limits.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/recurrent.h"
#include "tensor/tensor.h"

deep_status deep_rnn_build(deep_layer *layer, const deep_rnn_cell *cell)
{
    char s[128];
    const char *name = cell->class_name;
    if (layer->in_rank != 2)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%s needs (timesteps, features) inputs but gets %s", name,
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    int64_t steps = layer->in_shape[0], features = layer->in_shape[1], units = layer->cfg.rnn.units;
    /* units * widest fits int, so the gate widths (gates * units <= widest * units) and the
     * multiples of units below cannot overflow. */
    if (units < 1 || units > INT_MAX / cell->widest || features > INT_MAX)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW,
                         "%s of %lld units over %lld features is too large for CBLAS (units at most %d)", name,
                         (long long)units, (long long)features, INT_MAX / (int)cell->widest);
    int64_t per_step = 0, scratch = 0;
    bool fits = deep_mul_i64(steps, features + cell->step_units * units, &per_step);
    fits = fits && deep_add_i64(per_step, cell->fixed_units * units + features, &scratch);
    if (!fits)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW, "%s of %lld units over %lld steps of %lld features is too large", name,
                         (long long)units, (long long)steps, (long long)features);
    layer->scratch_size = scratch;
    layer->out_rank = layer->cfg.rnn.return_sequences ? 2 : 1;
    layer->out_shape[0] = layer->cfg.rnn.return_sequences ? steps : units;
    layer->out_shape[1] = units;
    int64_t kernel[2] = {features, cell->gates * units}, recurrent[2] = {units, cell->gates * units};
    DEEP_TRY(deep_layer_declare_param(layer, 0, "kernel", 2, kernel));
    return deep_layer_declare_param(layer, 1, "recurrent_kernel", 2, recurrent);
}

deep_mask_flow deep_rnn_mask_flow(const deep_layer *layer)
{
    return layer->cfg.rnn.return_sequences ? DEEP_MASK_KEPT : DEEP_MASK_ENDS;
}

float *deep_rnn_output(const deep_layer *layer, const deep_rnn_steps *st, float *out, int64_t b, int64_t t)
{
    int64_t u = layer->cfg.rnn.units, steps = st->steps;
    bool kept = deep_rnn_kept(st, b, t);
    if (layer->cfg.rnn.return_sequences) {
        float *row = out + (b * steps + t) * u;
        if (!kept) {
            if (t == 0 || layer->cfg.rnn.zero_output_for_mask)
                memset(row, 0, (size_t)u * sizeof *row);
            else
                memcpy(row, row - u, (size_t)u * sizeof *row);
        }
        return row;
    }
    float *row = out + b * u;
    if (st->mask == NULL)
        return t == steps - 1 ? row : NULL;
    if (t == 0 && !kept)
        memset(row, 0, (size_t)u * sizeof *row);
    return row;
}

void deep_rnn_drop_padding_grads(const deep_layer *layer, const deep_rnn_steps *st, float *grad_out, int64_t batch)
{
    if (!layer->cfg.rnn.zero_output_for_mask || !layer->cfg.rnn.return_sequences || st->mask == NULL)
        return;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < st->steps; t++)
            if (!deep_rnn_kept(st, b, t))
                memset(grad_out + (b * st->steps + t) * layer->cfg.rnn.units, 0,
                       (size_t)layer->cfg.rnn.units * sizeof *grad_out);
}

void deep_rnn_state_grad(const deep_rnn_steps *st, int64_t t, int64_t begin, int64_t end, int64_t units,
                         int64_t gates, const float *dz, const float *recurrent_kernel, const float *rmask, float *dh)
{
    int64_t rows = end - begin;
    float *mine = dh + begin * units;
    if (st->mask == NULL) {
        deep_gemm(NULL, false, true, rows, units, gates, 1.0f, dz, recurrent_kernel, 0.0f, mine);
        if (rmask != NULL)
            for (int64_t i = 0; i < rows * units; i++)
                mine[i] *= rmask[begin * units + i];
        return;
    }
    /* Padding rows keep dh (their dz is zero, so the product adds nothing to them). */
    for (int64_t b = begin; b < end; b++)
        if (deep_rnn_kept(st, b, t))
            memset(dh + b * units, 0, (size_t)units * sizeof *dh);
    deep_gemm(NULL, false, true, rows, units, gates, 1.0f, dz, recurrent_kernel, 1.0f, mine);
    if (rmask != NULL)
        for (int64_t b = begin; b < end; b++)
            if (deep_rnn_kept(st, b, t))
                for (int64_t j = 0; j < units; j++)
                    dh[b * units + j] *= rmask[b * units + j];
}

void deep_rnn_fill_h0(float *h0, const float *init, const float *rmask, int64_t begin, int64_t end, int64_t units)
{
    size_t bytes = (size_t)((end - begin) * units) * sizeof *h0;
    if (init == NULL) {
        memset(h0 + begin * units, 0, bytes);
        return;
    }
    memcpy(h0 + begin * units, init + begin * units, bytes);
    for (int64_t i = begin * units; rmask != NULL && i < end * units; i++)
        h0[i] *= rmask[i];
}

void deep_rnn_add_rows(float *dst, const float *src, int64_t begin, int64_t end, int64_t units)
{
    for (int64_t i = begin * units; src != NULL && i < end * units; i++)
        dst[i] += src[i];
}

void deep_rnn_copy_rows(float *dst, const float *src, int64_t begin, int64_t end, int64_t units)
{
    if (dst != NULL)
        memcpy(dst + begin * units, src + begin * units, (size_t)((end - begin) * units) * sizeof *dst);
}

/* The input step a processing step reads. */
static inline int64_t source_step(const deep_rnn_input *io, int64_t t)
{
    return io->go_backwards ? io->steps - 1 - t : t;
}

static void copy_masked(float *dst, const float *src, const float *mask, int64_t n)
{
    if (mask == NULL) {
        memcpy(dst, src, (size_t)n * sizeof *dst);
        return;
    }
    for (int64_t k = 0; k < n; k++)
        dst[k] = src[k] * mask[k];
}

static void gather_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const deep_rnn_input *io = raw;
    int64_t f = io->features;
    for (int64_t b = begin; b < end; b++)
        for (int64_t t = 0; t < io->steps; t++)
            copy_masked(io->xs + (t * io->batch + b) * f, io->in + (b * io->steps + source_step(io, t)) * f,
                        io->mask != NULL ? io->mask + b * f : NULL, f);
}

static void scatter_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const deep_rnn_input *io = raw;
    int64_t f = io->features;
    for (int64_t b = begin; b < end; b++)
        for (int64_t t = 0; t < io->steps; t++)
            copy_masked(io->grad_in + (b * io->steps + source_step(io, t)) * f, io->xs + (t * io->batch + b) * f,
                        io->mask != NULL ? io->mask + b * f : NULL, f);
}

void deep_rnn_gather(deep_pool *pool, const deep_rnn_input *io)
{
    deep_pool_run_work(pool, io->batch, (double)io->batch * (double)(io->steps * io->features), gather_samples,
                       (void *)io);
}

void deep_rnn_scatter(deep_pool *pool, const deep_rnn_input *io)
{
    deep_pool_run_work(pool, io->batch, (double)io->batch * (double)(io->steps * io->features), scatter_samples,
                       (void *)io);
}

void deep_rnn_draw_mask(struct deep_rng *rng, float *mask, int64_t n, float rate)
{
    float keep_scale = 1.0f / (1.0f - rate);
    for (int64_t i = 0; i < n; i++)
        mask[i] = deep_rng_float(rng) >= rate ? keep_scale : 0.0f;
}

/* Whole steps per CBLAS call, so that the rows fit in an int. */
static int64_t steps_per_block(int64_t batch)
{
    int64_t steps = INT_MAX / batch;
    return steps < 1 ? 1 : steps;
}

void deep_rnn_gemm_steps(deep_pool *pool, int64_t steps, int64_t batch, bool transpose_b, int64_t n, int64_t k,
                         const float *a, const float *b, float *c)
{
    int64_t block = steps_per_block(batch);
    for (int64_t t = 0; t < steps; t += block) {
        int64_t count = steps - t < block ? steps - t : block;
        deep_gemm(pool, false, transpose_b, count * batch, n, k, 1.0f, a + t * batch * k, b, 0.0f,
                  c + t * batch * n);
    }
}

void deep_rnn_gemm_sum(deep_pool *pool, int64_t steps, int64_t batch, int64_t m, int64_t n, const float *a,
                       const float *b, float *c)
{
    if (steps <= 0) {
        memset(c, 0, (size_t)(m * n) * sizeof *c);
        return;
    }
    int64_t block = steps_per_block(batch);
    for (int64_t t = 0; t < steps; t += block) {
        int64_t count = steps - t < block ? steps - t : block;
        deep_gemm(pool, true, false, m, n, count * batch, 1.0f, a + t * batch * m, b + t * batch * n,
                  t == 0 ? 0.0f : 1.0f, c);
    }
}

typedef struct sums_ctx {
    const float *z;
    int64_t rows, width;
    float *sums;
} sums_ctx;

static void sum_columns(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const sums_ctx *c = raw;
    for (int64_t j = begin; j < end; j++)
        c->sums[j] = 0.0f;
    for (int64_t r = 0; r < c->rows; r++) {
        const float *row = c->z + r * c->width;
        for (int64_t j = begin; j < end; j++)
            c->sums[j] += row[j];
    }
}

void deep_rnn_column_sums(deep_pool *pool, const float *z, int64_t rows, int64_t width, float *sums)
{
    sums_ctx c = {z, rows, width, sums};
    deep_pool_run(pool, width, sum_columns, &c);
}
