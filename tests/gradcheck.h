/* The finite-difference gradient checker shared by test_layers.c and test_cnn_layers.c,
 * with the small helpers that drive one layer on its own through its ops table.
 *
 * With L = sum_i R_i * out_i for a fixed random R, dL/dout = R is what backward receives,
 * and central differences of L give the numeric dL/dparam and dL/din to compare with what
 * backward wrote.
 *
 * The including file defines the step and tolerances first:
 *   GRADCHECK_STEP     the central-difference step (float)
 *   GRADCHECK_REL_TOL  relative tolerance of each comparison
 *   GRADCHECK_ABS_TOL  absolute floor of each comparison
 * Every function is static inline, so a file that does not use one gets no warning. */
#ifndef LIBDEEP_TESTS_GRADCHECK_H
#define LIBDEEP_TESTS_GRADCHECK_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "layers/layer.h"

#if !defined(GRADCHECK_STEP) || !defined(GRADCHECK_REL_TOL) || !defined(GRADCHECK_ABS_TOL)
#error "define GRADCHECK_STEP, GRADCHECK_REL_TOL and GRADCHECK_ABS_TOL before including gradcheck.h"
#endif

static inline bool within(double a, double b, double rel, double abs_floor)
{
    return fabs(a - b) <= abs_floor + rel * fmax(fabs(a), fabs(b));
}

static inline float *floats(int64_t n)
{
    float *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
    ck_assert_msg(p != NULL, "out of memory");
    return p;
}

static inline void fill_uniform(struct deep_rng *rng, float *x, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * deep_rng_float(rng);
}

static inline int64_t shape_size(int32_t rank, const int64_t *shape)
{
    int64_t size = 1;
    for (int32_t i = 0; i < rank; i++)
        size *= shape[i];
    return size;
}

/* Sets the input shape of `layer` (ops and configuration already set) and builds it, as
 * the model does; returns build's status and leaves the layer unallocated on failure. */
static inline deep_status layer_try_build(deep_layer *layer, int32_t in_rank, const int64_t *in_shape)
{
    layer->in_rank = in_rank;
    memcpy(layer->in_shape, in_shape, (size_t)in_rank * sizeof *in_shape);
    layer->in_size = shape_size(in_rank, in_shape);
    deep_status status = layer->ops->build(layer);
    if (status == DEEP_OK)
        layer->out_size = shape_size(layer->out_rank, layer->out_shape);
    return status;
}

/* layer_try_build that must succeed, then memory of its own (the model's job) for every
 * parameter's value and grad, zero-filled. */
static inline void layer_build_and_alloc(deep_layer *layer, int32_t in_rank, const int64_t *in_shape)
{
    deep_status status = layer_try_build(layer, in_rank, in_shape);
    ck_assert_msg(status == DEEP_OK, "%s: build failed with %s: %s", layer->ops->type, deep_status_string(status),
                  deep_last_error());
    for (int32_t p = 0; p < layer->param_count; p++) {
        layer->params[p].value = floats(layer->params[p].size);
        layer->params[p].grad = floats(layer->params[p].size);
    }
}

static inline void layer_release(deep_layer *layer)
{
    for (int32_t p = 0; p < layer->param_count; p++) {
        free(layer->params[p].value);
        free(layer->params[p].grad);
        layer->params[p].value = layer->params[p].grad = NULL;
    }
}

static inline float *layer_scratch(const deep_layer *layer, int64_t batch)
{
    return floats(batch * layer->scratch_size + layer->scratch_fixed);
}

/* ----------------------------------------------------------------------------------- */
/* The gradient checker                                                                  */
/* ----------------------------------------------------------------------------------- */

typedef struct grad_check {
    const char *what;            /* names the case in messages: "dense(relu, bias)" */
    deep_layer *layer;           /* whose backward gives the analytic gradients */
    const deep_layer *objective; /* whose forward defines L (sharing layer's parameters); NULL: layer */
    deep_exec ex;
    uint64_t mask_seed;          /* with ex.rng set, re-seeded before every forward: the same dropout mask */
    float *in;                   /* batch * in_size; perturbed in place and restored */
    int64_t batch;
} grad_check;

typedef struct grad_buffers {
    float *r, *out, *scratch;
} grad_buffers;

static inline void grad_check_forward(const grad_check *gc, const deep_layer *layer, const grad_buffers *b)
{
    if (gc->ex.rng != NULL)
        deep_rng_init(gc->ex.rng, gc->mask_seed);
    layer->ops->forward(layer, &gc->ex, gc->in, b->out, b->scratch, gc->batch);
}

static inline double grad_check_objective(const grad_check *gc, const grad_buffers *b)
{
    const deep_layer *layer = gc->objective != NULL ? gc->objective : gc->layer;
    grad_check_forward(gc, layer, b);
    double loss = 0;
    for (int64_t i = 0; i < gc->batch * layer->out_size; i++)
        loss += (double)b->r[i] * b->out[i];
    return loss;
}

/* Central difference of L in *x; divides by the step float actually took. */
static inline double grad_check_numeric(const grad_check *gc, const grad_buffers *b, float *x)
{
    float saved = *x, plus = saved + GRADCHECK_STEP, minus = saved - GRADCHECK_STEP;
    *x = plus;
    double loss_plus = grad_check_objective(gc, b);
    *x = minus;
    double loss_minus = grad_check_objective(gc, b);
    *x = saved;
    return (loss_plus - loss_minus) / ((double)plus - (double)minus);
}

/* Compares one analytic gradient array with central differences of L in each of the
 * `n` entries of x; returns the mismatches and, unless `first` already holds one,
 * describes the first of them there. */
static inline int grad_check_compare(const grad_check *gc, const grad_buffers *b, const char *name, float *x,
                                     const float *analytic, int64_t n, char *first, size_t capacity)
{
    int mismatches = 0;
    for (int64_t i = 0; i < n; i++) {
        double numeric = grad_check_numeric(gc, b, x + i);
        if (within(analytic[i], numeric, GRADCHECK_REL_TOL, GRADCHECK_ABS_TOL))
            continue;
        mismatches++;
        if (first[0] == '\0')
            snprintf(first, capacity, "%s: dL/d%s[%lld]: backward gives %.6g, finite differences %.6g", gc->what,
                     name, (long long)i, (double)analytic[i], numeric);
    }
    return mismatches;
}

/* Runs a fresh forward and one backward with dL/dout = R (grads and dL/din pre-filled with
 * garbage, so accumulating instead of overwriting shows), then checks every trainable
 * parameter's grad and dL/din against central differences. Returns the mismatches and
 * describes the first in `first`. */
static inline int grad_check_run(const grad_check *gc, char *first, size_t capacity)
{
    deep_layer *layer = gc->layer;
    int64_t n_in = gc->batch * layer->in_size, n_out = gc->batch * layer->out_size;
    grad_buffers b = {floats(n_out), floats(n_out), layer_scratch(layer, gc->batch)};
    float *grad_out = floats(n_out), *grad_in = floats(n_in);
    struct deep_rng rng;
    deep_rng_init(&rng, 0x5eed);
    fill_uniform(&rng, b.r, n_out, -1.0f, 1.0f);

    for (int32_t p = 0; p < layer->param_count; p++)
        for (int64_t i = 0; i < layer->params[p].size; i++)
            layer->params[p].grad[i] = 1e3f;
    for (int64_t i = 0; i < n_in; i++)
        grad_in[i] = -1e3f;
    grad_check_forward(gc, layer, &b);
    memcpy(grad_out, b.r, (size_t)n_out * sizeof *grad_out); /* backward may overwrite it */
    layer->ops->backward(layer, &gc->ex, gc->in, b.out, grad_out, grad_in, b.scratch, gc->batch);

    /* Forward never touches the grads, so they can be read while the differences run. */
    int mismatches = 0;
    first[0] = '\0';
    for (int32_t p = 0; p < layer->param_count; p++) {
        deep_param *param = &layer->params[p];
        if (!param->trainable)
            continue; /* statistics the layer updates itself have no gradient */
        mismatches +=
            grad_check_compare(gc, &b, param->name, param->value, param->grad, param->size, first, capacity);
    }
    mismatches += grad_check_compare(gc, &b, "in", gc->in, grad_in, n_in, first, capacity);
    free(b.r);
    free(b.out);
    free(b.scratch);
    free(grad_out);
    free(grad_in);
    return mismatches;
}

#define ASSERT_GRADIENTS_MATCH(gc)                                                                         \
    do {                                                                                                   \
        char first_[320] = "";                                                                             \
        int mismatches_ = grad_check_run((gc), first_, sizeof first_);                                     \
        ck_assert_msg(mismatches_ == 0, "%d gradient entries differ from finite differences; first: %s",   \
                      mismatches_, first_);                                                                \
    } while (0)

#endif
