/* Online training, Keras' train_on_batch, test_on_batch and predict_on_batch: one step on
 * the caller's arrays. They share a workspace kept on the model, so that the thousands of
 * small calls of reinforcement learning or serving allocate nothing after the first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/model.h"
#include "kernels/kernels.h"
#include "tensor/tensor.h"

void deep_model_release_online(deep_model *model)
{
    if (model->online == NULL)
        return;
    deep_workspace_release(model, model->online);
    free(model->online);
    model->online = NULL;
}

/* The model's workspace for batches of n samples: the one it has when large enough, else a
 * new one (a training workspace, which inference can use too). */
static deep_status online_workspace(deep_model *model, int64_t n, const char *caller, deep_workspace **out)
{
    if (model->online != NULL && model->online->max_batch >= n) {
        *out = model->online;
        return DEEP_OK;
    }
    deep_model_release_online(model);
    deep_workspace *ws = calloc(1, sizeof *ws);
    if (ws == NULL || deep_workspace_init(model, n, true, ws) != DEEP_OK) {
        free(ws);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for batches of %lld samples", (long long)n);
    }
    model->online = ws;
    *out = ws;
    return DEEP_OK;
}

/* x must be (n, input shape...). */
static deep_status check_x(const deep_model *model, const deep_tensor *x, const char *caller)
{
    char got[128], want[128];
    /* Several inputs come as one row per sample, their features one after the other. */
    int32_t rank = model->input_count == 1 ? model->in_rank : 1;
    int64_t shape[DEEP_MAX_RANK] = {x->shape[0], model->in_size};
    if (model->input_count == 1)
        memcpy(shape + 1, model->in_shape, (size_t)model->in_rank * sizeof *shape);
    deep_shape_format(got, sizeof got, x->rank, x->shape);
    deep_shape_format(want, sizeof want, rank + 1, shape);
    DEEP_TRY(deep_model_check_batch_shape(model, x->rank, x->shape, true, "x", caller)); /* the hints; exact below */
    if (x->rank != rank + 1)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "x has shape %s, of rank %d, but the model takes batches %s, of rank %d", got,
                              (int)x->rank, want, (int)rank + 1);
    for (int32_t axis = 1; axis < x->rank; axis++)
        if (x->shape[axis] != shape[axis])
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "x has shape %s but the model takes %s: axis %d has %lld entries, not %lld", got,
                                  want, (int)axis, (long long)x->shape[axis], (long long)shape[axis]);
    if (x->shape[0] > INT32_MAX)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "x has %lld samples; a batch takes at most %d",
                              (long long)x->shape[0], INT32_MAX);
    return deep_model_check_input_values(model, x->data, x->shape[0], caller);
}

/* Sparse labels, one per sample: whole numbers in 0..width - 1. */
static deep_status check_labels(const deep_model *model, const deep_tensor *y, const char *caller)
{
    int64_t width = deep_model_output_width(model);
    for (int64_t i = 0; i < y->shape[0]; i++) {
        float v = y->data[i];
        if (v != floorf(v))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "y[%lld] is %g; sparse categorical cross-entropy takes whole class labels",
                                  (long long)i, (double)v);
        if (v < 0 || v >= (float)width)
            return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                                  "label y[%lld] is %g, outside the model's %lld classes 0..%lld", (long long)i,
                                  (double)v, (long long)width, (long long)width - 1);
    }
    return DEEP_OK;
}

/* y must be (n, output shape...), or (n,) for one output per sample; labels (n,) or (n, 1). */
static deep_status check_y(const deep_model *model, const deep_tensor *x, const deep_tensor *y, const char *caller)
{
    const deep_layer *last = deep_model_output_layer(model);
    char got[128], want[128];
    deep_shape_format(got, sizeof got, y->rank, y->shape);
    if (y->shape[0] != x->shape[0])
        return deep_error_set(DEEP_ERR_SHAPE, caller, "y has shape %s, %lld samples on axis 0, but x has %lld", got,
                              (long long)y->shape[0], (long long)x->shape[0]);
    if (deep_model_output_count(model) > 1) { /* rows of every output's targets, as a dataset's */
        int64_t total = deep_model_target_total(model);
        if (y->rank != 2 || y->shape[1] != total)
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "y has shape %s but the model's %d outputs take (%lld, %lld): each output's "
                                  "targets one after the other, one label for a sparse loss",
                                  got, (int)deep_model_output_count(model), (long long)y->shape[0], (long long)total);
        return deep_model_check_target_rows(model, y->data, y->shape[0], caller);
    }
    if (deep_model_labels_per_step(model)) { /* Keras' y (n, steps): one label per step */
        int64_t steps = deep_model_output_rows(model);
        if (!(y->rank == 2 && y->shape[1] == steps) && !(y->rank == 3 && y->shape[1] == steps && y->shape[2] == 1))
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "y has shape %s but sparse categorical cross-entropy on an output of %lld steps "
                                  "takes one label per step, (%lld, %lld) or (%lld, %lld, 1)", got, (long long)steps,
                                  (long long)y->shape[0], (long long)steps, (long long)y->shape[0], (long long)steps);
        return deep_model_check_target_rows(model, y->data, y->shape[0], caller);
    }
    if (model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
        if (!(y->rank == 1 || (y->rank == 2 && y->shape[1] == 1)))
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "y has shape %s but sparse categorical cross-entropy takes one label per sample, "
                                  "(%lld,) or (%lld, 1)", got, (long long)y->shape[0], (long long)y->shape[0]);
        return check_labels(model, y, caller);
    }
    if (y->rank == 1 && last->out_size == 1)
        return DEEP_OK;
    int64_t shape[DEEP_MAX_RANK] = {y->shape[0]};
    memcpy(shape + 1, last->out_shape, (size_t)last->out_rank * sizeof *shape);
    deep_shape_format(want, sizeof want, last->out_rank + 1, shape);
    if (y->rank != last->out_rank + 1)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "y has shape %s, of rank %d, but the model's outputs are %s, of rank %d", got,
                              (int)y->rank, want, (int)last->out_rank + 1);
    for (int32_t axis = 1; axis < y->rank; axis++)
        if (y->shape[axis] != shape[axis])
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "y has shape %s but the model's outputs are %s: axis %d has %lld entries, not %lld",
                                  got, want, (int)axis, (long long)y->shape[axis], (long long)shape[axis]);
    return DEEP_OK;
}

/* The checks all three calls share, then the size query (the buffer contract of deep.h,
 * core/output.c): *proceed is false when the call is only a size query (capacity 0) and
 * nothing must run. *needed is 0 after any failure but a short buffer. */
static deep_status check_call(const deep_model *model, const deep_tensor *x, const deep_tensor *y, int64_t result,
                              const void *buffer, int64_t capacity, int64_t *needed, const char *what,
                              const char *caller, bool *proceed)
{
    *proceed = false;
    if (!model->compiled)
        return deep_error_set(DEEP_ERR_STATE, caller, "the model must be compiled with deep_model_compile first");
    DEEP_TRY(check_x(model, x, caller));
    if (y != NULL)
        DEEP_TRY(check_y(model, x, y, caller));
    bool write;
    DEEP_TRY(deep_output_check(caller, what, buffer, capacity, needed, result, &write));
    if (!write)
        return DEEP_OK;
    if (deep_model_fitting_here(model)) {
        *needed = 0;
        return deep_error_set(DEEP_ERR_THREAD, caller,
                              "the model is busy: this call comes from a callback of its running fit; use "
                              "deep_model_predict there");
    }
    *proceed = true;
    return DEEP_OK;
}

/* Marks the model busy and readies its workspace with x (and y) in it. */
static deep_status begin(deep_model *model, const deep_tensor *x, const deep_tensor *y, const char *caller,
                         deep_workspace **out)
{
    if (atomic_exchange(&model->busy, 1))
        return deep_error_set(DEEP_ERR_THREAD, caller,
                              "the model is already being trained, evaluated or run by another call");
    int64_t n = x->shape[0];
    deep_status status = online_workspace(model, n, caller, out);
    if (status == DEEP_OK && y != NULL)
        status = deep_model_prepare_pool(caller, model);
    if (status != DEEP_OK) {
        atomic_store(&model->busy, 0);
        return status;
    }
    deep_workspace *ws = *out;
    ws->weighted = false; /* the workspace outlives the call */
    deep_model_load_inputs(model, ws, x->data, n);
    if (y == NULL)
        return DEEP_OK;
    if (model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY && deep_model_output_count(model) == 1 &&
        !deep_model_labels_per_step(model))
        for (int64_t i = 0; i < n; i++)
            ws->labels[i] = (int32_t)y->data[i];
    else
        memcpy(ws->targets, y->data, (size_t)y->size * sizeof(float));
    return DEEP_OK;
}

/* check_call, then begin: *ws is NULL when the call was only a size query. */
static deep_status start(deep_model *model, const deep_tensor *x, const deep_tensor *y, int64_t result,
                         const void *buffer, int64_t capacity, int64_t *needed, const char *what,
                         const char *caller, deep_workspace **ws)
{
    *ws = NULL;
    bool proceed;
    DEEP_TRY(check_call(model, x, y, result, buffer, capacity, needed, what, caller, &proceed));
    if (!proceed)
        return DEEP_OK;
    deep_status status = begin(model, x, y, caller, ws);
    if (status != DEEP_OK) {
        *ws = NULL;
        *needed = 0;
    }
    return status;
}

/* Sample weights of train_on_batch_weighted and test_on_batch_weighted: NULL with count 0,
 * or n finite weights >= 0. */
static deep_status check_weights(const char *caller, const deep_tensor *x, const float *weights, int64_t count)
{
    if (weights == NULL && count == 0)
        return DEEP_OK;
    if (weights == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'weights' is NULL but count is %lld", (long long)count);
    if (x != NULL && count != x->shape[0])
        return deep_error_set(DEEP_ERR_SHAPE, caller, "%lld sample weights given for a batch of %lld samples",
                              (long long)count, (long long)x->shape[0]);
    for (int64_t i = 0; i < count; i++)
        if (!(weights[i] >= 0.0f) || !isfinite(weights[i]))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "sample weight %g at position %lld must be finite and >= 0", (double)weights[i],
                                  (long long)i);
    return DEEP_OK;
}

/* The batch's sample weights into the workspace (none: all 1, unweighted). */
static void load_weights(deep_workspace *ws, const float *weights, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        ws->sample_weights[i] = weights != NULL ? weights[i] : 1.0f;
    ws->weighted = weights != NULL;
}

/* What train_batch and test_batch do first: the arguments checked and the batch loaded
 * (start), *ws NULL for a size query. */
static deep_status begin_batch(deep_model *model, const deep_tensor *x, const deep_tensor *y, const float *weights,
                               int64_t count, double *values, int64_t capacity, int64_t *needed, const char *caller,
                               deep_workspace **ws)
{
    DEEP_TRY(deep_output_args(caller, values, capacity, needed)); /* first: *needed is 0 after any other failure */
    if (model == NULL || x == NULL || y == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument '%s' is NULL",
                              model == NULL ? "model" : x == NULL ? "x" : "y");
    DEEP_TRY(check_weights(caller, x, weights, count));
    return start(model, x, y, deep_model_stat_count(model), values, capacity, needed, "the loss and the metrics",
                 caller, ws);
}

static deep_status train_batch(deep_model *model, const deep_tensor *x, const deep_tensor *y, const float *weights,
                               int64_t count, double *values, int64_t capacity, int64_t *needed, const char *caller)
{
    deep_workspace *ws;
    DEEP_TRY(begin_batch(model, x, y, weights, count, values, capacity, needed, caller, &ws));
    if (ws == NULL)
        return DEEP_OK; /* the size query */
    int64_t n = x->shape[0];
    bool sparse = model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY && deep_model_output_count(model) == 1;
    deep_status status = deep_model_check_class_weights(model, sparse ? ws->labels : NULL, ws->targets, n, caller);
    if (status != DEEP_OK) {
        *needed = 0;
        atomic_store(&model->busy, 0);
        return status;
    }
    load_weights(ws, weights, n);
    deep_model_weigh_classes(model, ws, n);
    int blas_threads = deep_blas_threads_single();
    deep_exec ex = {.pool = model->pool, .rng = &model->rng, .training = true};
    deep_pass_stats stats = {0};
    deep_pool_step_begin(model->pool, n); /* the pool times the step (core/threads.c) */
    deep_model_forward(model, ws, &ex, n);
    double loss = deep_model_score_batch(model, ws, n, &stats, ws->grad_a);
    if (isfinite(loss)) {
        deep_model_backward(model, ws, &ex, n);
        deep_model_apply_gradients(model);
        deep_pool_step_end(model->pool);
        deep_pass_stats_means(model, &stats, values);
    } else {
        deep_pool_step_end(model->pool);
        status = deep_error_set(DEEP_ERR_NUMERIC, caller, "the loss is %s; the weights were not changed (check the "
                                "batch for NaN or lower the learning rate)", isnan(loss) ? "NaN" : "infinite");
        *needed = 0;
    }
    deep_blas_threads_restore(blas_threads);
    atomic_store(&model->busy, 0);
    return status;
}

static deep_status test_batch(deep_model *model, const deep_tensor *x, const deep_tensor *y, const float *weights,
                              int64_t count, double *values, int64_t capacity, int64_t *needed, const char *caller)
{
    deep_workspace *ws;
    DEEP_TRY(begin_batch(model, x, y, weights, count, values, capacity, needed, caller, &ws));
    if (ws == NULL)
        return DEEP_OK; /* the size query */
    int64_t n = x->shape[0];
    load_weights(ws, weights, n);
    int blas_threads = deep_blas_threads_single();
    deep_exec ex = {.pool = model->pool};
    deep_pass_stats stats = {0};
    deep_model_forward(model, ws, &ex, n);
    deep_model_score_batch(model, ws, n, &stats, NULL);
    deep_pass_stats_means(model, &stats, values);
    deep_blas_threads_restore(blas_threads);
    atomic_store(&model->busy, 0);
    return DEEP_OK;
}

deep_status deep_model_train_on_batch(deep_model *model, const deep_tensor *x, const deep_tensor *y, double *values,
                                      int64_t capacity, int64_t *needed)
{
    return train_batch(model, x, y, NULL, 0, values, capacity, needed, __func__);
}

deep_status deep_model_train_on_batch_weighted(deep_model *model, const deep_tensor *x, const deep_tensor *y,
                                               const float *weights, int64_t count, double *values, int64_t capacity,
                                               int64_t *needed)
{
    return train_batch(model, x, y, weights, count, values, capacity, needed, __func__);
}

deep_status deep_model_test_on_batch(deep_model *model, const deep_tensor *x, const deep_tensor *y, double *values,
                                     int64_t capacity, int64_t *needed)
{
    return test_batch(model, x, y, NULL, 0, values, capacity, needed, __func__);
}

deep_status deep_model_test_on_batch_weighted(deep_model *model, const deep_tensor *x, const deep_tensor *y,
                                              const float *weights, int64_t count, double *values, int64_t capacity,
                                              int64_t *needed)
{
    return test_batch(model, x, y, weights, count, values, capacity, needed, __func__);
}

deep_status deep_model_predict_on_batch(deep_model *model, const deep_tensor *x, float *out, int64_t capacity,
                                        int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, out, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(x);
    /* Both factors are at most INT32_MAX once checked, so the product fits. */
    int64_t result = model->compiled && x->shape[0] <= INT32_MAX ? x->shape[0] * deep_model_output_row(model) : 0;
    deep_workspace *ws;
    DEEP_TRY(start(model, x, NULL, result, out, capacity, needed, "the outputs", __func__, &ws));
    if (ws == NULL)
        return DEEP_OK; /* the size query */
    /* As deep_model_predict: on the calling thread, so the values are predict's. */
    deep_exec ex = {0};
    deep_model_forward(model, ws, &ex, x->shape[0]);
    deep_model_store_outputs(model, ws, x->shape[0], out);
    atomic_store(&model->busy, 0);
    return DEEP_OK;
}
