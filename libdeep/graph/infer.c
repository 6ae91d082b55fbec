/* Inference: evaluate (loss and metrics on a dataset) and predict (outputs for inputs).
 * predict only reads the model and uses buffers of its own, so any number of threads may
 * predict with one model at once; graph/parallel.c splits its large batches. */
#include <string.h>

#include "graph/model.h"
#include "kernels/kernels.h"
#include "tensor/tensor.h"

/* Inference goes through buffers of this many samples at a time. */
#define PREDICT_CHUNK 256

deep_status deep_model_evaluate_stats(const char *caller, deep_model *model, const deep_dataset *data, int64_t first,
                                      int64_t count, int64_t batch_size, deep_pass_stats *stats)
{
    if (count == 0)
        return DEEP_OK; /* a replica's empty part of a small validation set */
    deep_workspace ws;
    int64_t max_batch = batch_size < count ? batch_size : count;
    if (deep_workspace_init(model, max_batch, false, &ws) != DEEP_OK)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for batches of %lld samples",
                              (long long)batch_size);
    deep_exec ex = {.pool = model->pool};
    for (int64_t start = 0; start < count; start += max_batch) {
        int64_t batch = count - start < max_batch ? count - start : max_batch;
        deep_model_gather(model, data, NULL, first + start, batch, &ws);
        deep_model_forward(model, &ws, &ex, batch);
        deep_model_score_batch(model, &ws, batch, stats, NULL);
    }
    deep_workspace_release(model, &ws);
    return DEEP_OK;
}

deep_status deep_model_evaluate_range(const char *caller, deep_model *model, const deep_dataset *data, int64_t first,
                                      int64_t count, int64_t batch_size, double *values)
{
    deep_pass_stats stats = {0};
    DEEP_TRY(deep_model_evaluate_stats(caller, model, data, first, count, batch_size, &stats));
    deep_pass_stats_means(model, &stats, values);
    return DEEP_OK;
}

deep_status deep_model_evaluate(deep_model *model, const deep_dataset *data, int64_t batch_size, double *values,
                                int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, values, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(data);
    if (!model->compiled)
        return DEEP_FAIL(DEEP_ERR_STATE, "the model must be compiled with deep_model_compile before evaluate");
    if (batch_size < 1 || batch_size > INT32_MAX) /* as fit's: batch buffers are sized on that bound */
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "batch_size is %lld; it must be in [1, %d]", (long long)batch_size,
                         INT32_MAX);
    bool write;
    DEEP_TRY(deep_output_check(__func__, "the loss and the metrics", values, capacity, needed,
                               deep_model_stat_count(model), &write));
    if (!write)
        return DEEP_OK; /* the size query: nothing is evaluated */
    deep_status status = deep_model_check_data(model, data, __func__);
    if (status == DEEP_OK && deep_model_fitting_here(model))
        status = DEEP_FAIL(DEEP_ERR_THREAD, "the model is busy: this call comes from a callback of its running fit");
    else if (status == DEEP_OK && atomic_exchange(&model->busy, 1))
        status = DEEP_FAIL(DEEP_ERR_THREAD, "the model is already being trained or evaluated by another call");
    else if (status == DEEP_OK) {
        status = deep_model_prepare_pool(__func__, model);
        if (status == DEEP_OK) {
            int blas_threads = deep_blas_threads_single();
            status = deep_model_evaluate_range(__func__, model, data, 0, data->count, batch_size, values);
            deep_blas_threads_restore(blas_threads);
        }
        atomic_store(&model->busy, 0);
    }
    if (status != DEEP_OK)
        *needed = 0; /* deep.h: 0 after any failure but a short buffer */
    return status;
}

static deep_status check_inputs(const deep_model *model, const deep_tensor *inputs, const char *caller)
{
    if (!model->compiled && !model->borrowed && !model->built)
        return deep_error_set(DEEP_ERR_STATE, caller,
                              "the model has no weights before deep_model_build or deep_model_compile");
    DEEP_TRY(deep_model_check_graph(model, caller));
    int64_t per_sample = inputs->rank > 1 ? inputs->size / inputs->shape[0] : 0;
    const deep_layer *first = model->nodes[1].layer;
    if (model->input_count == 1 && per_sample != model->in_size && per_sample > 0 && first != NULL &&
        (first->ops->flags & DEEP_LAYER_ID_INPUT) && model->in_rank == 1)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "sequences of %lld token ids but layer 0 (%s) takes sequences of %lld; pad or truncate "
                              "them to that length",
                              (long long)per_sample, first->name, (long long)model->in_size);
    DEEP_TRY(deep_model_check_batch_shape(model, inputs->rank, inputs->shape, false, "inputs", caller));
    if (per_sample != model->in_size) {
        char s[128];
        if (model->input_count > 1)
            return deep_error_set(DEEP_ERR_SHAPE, caller,
                                  "inputs of shape %s have %lld features per sample but the model's %d inputs take "
                                  "%lld in all (each sample is the inputs' features one after the other)",
                                  deep_shape_format(s, sizeof s, inputs->rank, inputs->shape), (long long)per_sample,
                                  (int)model->input_count, (long long)model->in_size);
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "inputs of shape %s have %lld features per sample but layer 0 (%s) expects %lld",
                              deep_shape_format(s, sizeof s, inputs->rank, inputs->shape), (long long)per_sample,
                              model->layers[0]->name, (long long)model->in_size);
    }
    return deep_model_check_input_values(model, inputs->data, inputs->shape[0], caller);
}

deep_status deep_model_predict(const deep_model *model, const deep_tensor *inputs, deep_tensor **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(inputs);
    DEEP_TRY(check_inputs(model, inputs, __func__));
    /* Every layer's output is a sample of rank <= DEEP_MAX_SAMPLE_RANK (checked as it was
     * added), so the batch of outputs is a tensor. */
    /* One output: (n, its shape); several: (n, their sizes summed), each sample's outputs one
     * after the other. */
    const deep_node *last = &model->nodes[deep_model_output_node(model)];
    int32_t outputs = deep_model_output_count(model);
    int64_t n = inputs->shape[0];
    int64_t shape[DEEP_MAX_RANK] = {n, deep_model_output_row(model)};
    if (outputs == 1)
        memcpy(shape + 1, last->shape, (size_t)last->rank * sizeof *shape);
    deep_tensor *result;
    DEEP_TRY(deep_tensor_create(__func__, outputs == 1 ? last->rank + 1 : 2, shape, true, &result));

    deep_status status = deep_model_predict_rows(__func__, model, inputs->data, n, result->data);
    if (status != DEEP_OK) {
        deep_tensor_free(result);
        return status;
    }
    *out = result;
    return DEEP_OK;
}

/* The state tensors must be (n, units); c is the LSTM's alone. */
static deep_status check_states(const deep_layer *layer, int32_t position, int64_t n, const deep_tensor *state_h,
                                const deep_tensor *state_c, const char *caller)
{
    if (!deep_layer_is_recurrent(layer))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "layer %d (%s, %s) is not recurrent: only LSTM, GRU and SimpleRNN layers have states",
                              (int)position, layer->name, layer->ops->class_name);
    if (layer->ops->final_state == NULL)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                              "layer %d (%s, %s) gives no states: read those of a layer that is not wrapped",
                              (int)position, layer->name, layer->ops->class_name);
    if (state_c != NULL && !(layer->ops->flags & DEEP_LAYER_CELL_STATE))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "layer %d (%s, %s) has no cell state c; only an LSTM does: pass NULL for state_c",
                              (int)position, layer->name, layer->ops->class_name);
    const deep_tensor *states[2] = {state_h, state_c};
    for (int k = 0; k < 2; k++) {
        const deep_tensor *t = states[k];
        if (t != NULL && !(t->rank == 2 && t->shape[0] == n && t->shape[1] == layer->cfg.rnn.units)) {
            char s[128];
            return deep_error_set(DEEP_ERR_SHAPE, caller, "%s has shape %s but layer %d (%s) needs (%lld, %lld)",
                                  k == 0 ? "state_h" : "state_c", deep_shape_format(s, sizeof s, t->rank, t->shape),
                                  (int)position, layer->name, (long long)n, (long long)layer->cfg.rnn.units);
        }
    }
    return DEEP_OK;
}

deep_status deep_model_predict_states(const deep_model *model, const deep_tensor *inputs, int32_t layer,
                                      deep_tensor *state_h, deep_tensor *state_c)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(inputs);
    DEEP_REQUIRE(state_h);
    if (layer < -model->layer_count || layer >= model->layer_count)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "layer %d is outside the model's %d layers", (int)layer,
                         (int)model->layer_count);
    DEEP_TRY(check_inputs(model, inputs, __func__));
    int32_t position = layer < 0 ? layer + model->layer_count : layer;
    const deep_layer *target = model->layers[position];
    int32_t node = deep_model_node_of(model, target); /* its first call, for a shared layer */
    int64_t n = inputs->shape[0], u = target->cfg.rnn.units;
    DEEP_TRY(check_states(target, position, n, state_h, state_c, __func__));

    deep_workspace ws;
    if (deep_workspace_init(model, n < PREDICT_CHUNK ? n : PREDICT_CHUNK, false, &ws) != DEEP_OK)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for prediction buffers");
    deep_exec ex = {0};
    for (int64_t start = 0; start < n; start += ws.max_batch) {
        int64_t batch = n - start < ws.max_batch ? n - start : ws.max_batch;
        deep_model_load_inputs(model, &ws, inputs->data + start * model->in_size, batch);
        deep_model_forward_nodes(model, &ws, &ex, batch, node + 1);
        target->ops->final_state(target, ws.scratch[node], batch, state_h->data + start * u,
                                 state_c != NULL ? state_c->data + start * u : NULL);
    }
    deep_workspace_release(model, &ws);
    return DEEP_OK;
}
