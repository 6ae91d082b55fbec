/* Training: epochs of shuffled mini-batches, validation, history, callbacks, early
 * stopping and the progress line. No memory is allocated inside the batch loop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bytes.h"
#include "core/c_locale.h"
#include "graph/model.h"
#include "graph/rules.h"
#include "graph/optimize.h"
#include "graph/replica.h"
#include "io/file.h"
#include "kernels/kernels.h"
#include "optim/optim.h"

/* The model whose fit runs on this thread (fits nest when a callback fits another model),
 * so that a call from a callback can be told from a call on another thread. */
static _Thread_local const deep_model *fitting;

bool deep_model_fitting_here(const deep_model *model)
{
    return model != NULL && fitting == model;
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}


/* Keras' name of stat i: "loss", "accuracy"; with several outputs also "dense_2_loss" and
 * "dense_2_accuracy", named by the output layers (a recurrent call's state: "lstm_h_loss",
 * "lstm_c_loss", as the Python binding names them). */
static void stat_name(const deep_model *model, int32_t i, char *buf, size_t capacity)
{
    int32_t outputs = deep_model_output_count(model), m = model->metric_count;
    if (outputs == 1) {
        snprintf(buf, capacity, "%s", deep_metric_log_name(i == 0 ? DEEP_METRIC_LOSS : model->metrics[i - 1]));
        return;
    }
    if (i == 0) {
        snprintf(buf, capacity, "loss");
        return;
    }
    int32_t k = i <= outputs ? i - 1 : (i - 1 - outputs) / m;
    deep_metric metric = i <= outputs ? DEEP_METRIC_LOSS : model->metrics[(i - 1 - outputs) % m];
    const deep_node *out = &model->nodes[deep_model_output_node_at(model, k)];
    snprintf(buf, capacity, "%s%s%s_%s", out->layer->name, out->part == 0 ? "" : "_",
             out->part == 0 ? "" : deep_layer_state_name(out->layer, out->part - 1), deep_metric_log_name(metric));
}

static void log_epoch(const deep_model *model, int32_t epoch, int32_t epochs, double seconds, const double *train,
                      const double *validation)
{
    if (!model->verbose || model->log == NULL)
        return;
    char line[512];
    deep_c_locale locale = deep_c_locale_begin(); /* "loss: 0.1234" whatever the program's locale */
    int used = snprintf(line, sizeof line, "Epoch %d/%d - %.1fs", (int)epoch + 1, (int)epochs, seconds);
    for (int32_t part = 0; part < (validation ? 2 : 1); part++) {
        const double *values = part == 0 ? train : validation;
        for (int32_t i = 0; i < deep_model_stat_count(model) && used < (int)sizeof line; i++) {
            char name[80];
            stat_name(model, i, name, sizeof name);
            used += snprintf(line + used, sizeof line - (size_t)used, " - %s%s: %.4f", part ? "val_" : "", name,
                             values[i]);
        }
    }
    deep_c_locale_end(locale);
    model->log(model->log_user, DEEP_LOG_INFO, line);
}

static deep_status record_history(deep_model *model, const double *train, const double *validation)
{
    int32_t stride = 2 * deep_model_stat_count(model);
    if (model->history_length == model->history_capacity) {
        int32_t capacity = model->history_capacity ? 2 * model->history_capacity : 16;
        double *grown = realloc(model->history, (size_t)capacity * (size_t)stride * sizeof *grown);
        if (grown == NULL)
            return deep_error_set(DEEP_ERR_NO_MEMORY, "deep_model_fit", "out of memory for the history");
        model->history = grown;
        model->history_capacity = capacity;
    }
    double *row = model->history + (size_t)model->history_length * (size_t)stride;
    for (int32_t i = 0; i < stride / 2; i++) {
        row[i] = train[i];
        row[stride / 2 + i] = validation ? validation[i] : NAN;
    }
    model->history_length++;
    return DEEP_OK;
}

struct update_ctx {
    deep_model *model;
};

static void update_weights(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    deep_model *model = ((struct update_ctx *)raw)->model;
    deep_optimizer_update(model->optimizer, 0, model->weights, model->grads, begin, end);
}

void deep_model_apply_gradients(deep_model *model)
{
    deep_rules_add_grads(model); /* the regularizers' gradients, then the update, then the constraints */
    deep_optimizer_begin_step(model->optimizer, model->grads);
    struct update_ctx ctx = {model};
    /* An optimizer's update is some ten operations per weight. */
    deep_pool_run_work(model->pool, model->weight_total, 10.0 * (double)model->weight_total, update_weights, &ctx);
    deep_rules_constrain(model);
}

/* Everything one fit call needs besides the model. */
typedef struct fit_run {
    const deep_dataset *train;
    const deep_dataset *validation;
    int64_t train_count;       /* samples used for training: the head of train */
    int64_t validation_first;  /* validation samples: [validation_first, +validation_count) */
    int64_t validation_count;
    int64_t batch_size;
    int64_t *order;
    float *best_weights;       /* early stopping's copy of the best weights, or NULL */
    deep_workspace ws;
    deep_replica_run replica;  /* data-parallel fits (graph/replica.c) */
} fit_run;

/* One step of a replica: its slice of the global batch at order[first, first + length).
 * Every replica makes the same calls of the hook, an empty slice too. */
static deep_status replica_step(deep_model *model, fit_run *run, deep_exec *ex, int32_t epoch, int64_t b,
                                int64_t first, int64_t length, deep_pass_stats *stats, double *loss)
{
    int64_t offset, batch;
    deep_replica_slice(model, &run->replica, length, &offset, &batch);
    deep_status local = DEEP_OK;
    *loss = 0.0;
    if (batch > 0) {
        deep_model_gather(model, run->train, run->order + first + offset, 0, batch, &run->ws);
        deep_model_forward(model, &run->ws, ex, batch);
        *loss = deep_model_score_batch(model, &run->ws, batch, stats, run->ws.grad_a);
        if (!isfinite(*loss))
            local = deep_error_set(DEEP_ERR_NUMERIC, "deep_model_fit",
                                   "the loss became %s at epoch %d, batch %lld; lower the learning rate or check the "
                                   "data for NaN", isnan(*loss) ? "NaN" : "infinite", (int)epoch + 1, (long long)b + 1);
    } else {
        memset(model->grads, 0, (size_t)model->weight_total * sizeof(float));
    }
    /* Before any gradient is exchanged: a replica that cannot go on stops them all. */
    DEEP_TRY(deep_replica_agree(model, local, NULL));
    deep_model_backward(model, &run->ws, ex, batch);
    DEEP_TRY(deep_replica_reduce(model, &run->replica));
    deep_model_apply_gradients(model);
    return DEEP_OK;
}

static deep_status train_epoch(deep_model *model, fit_run *run, int32_t epoch, double *train_values, bool *stop)
{
    deep_exec ex = {.pool = model->pool, .rng = &model->rng, .training = true};
    deep_replica_arm(model, &run->replica, &ex);
    deep_pass_stats stats = {0};
    /* Each epoch's order depends on the generator's state alone (not on the previous
     * epoch's order), so that a checkpoint's generator state is all a resumed fit needs. */
    for (int64_t i = 0; i < run->train_count; i++)
        run->order[i] = i;
    if (model->shuffle)
        deep_rng_shuffle_i64(&model->rng, run->order, run->train_count);
    /* A replica's batches are slices of global batches of replica_size * batch_size. */
    int64_t global = run->batch_size * model->replica_size;
    int64_t batches = (run->train_count + global - 1) / global;
    for (int64_t b = 0; b < batches; b++) {
        int64_t first = b * global;
        int64_t batch = run->train_count - first < global ? run->train_count - first : global;
        if (run->replica.on) {
            double loss;
            DEEP_TRY(replica_step(model, run, &ex, epoch, b, first, batch, &stats, &loss));
            bool wants = model->on_batch != NULL && model->on_batch(model->callback_user, epoch, b, loss) != 0;
            /* The batch callback may stop one replica: all stop, after the same batch. */
            if (model->on_batch != NULL)
                DEEP_TRY(deep_replica_agree(model, DEEP_OK, &wants));
            if (wants) {
                *stop = true;
                break;
            }
            continue;
        }
        deep_model_gather(model, run->train, run->order + first, 0, batch, &run->ws);
        deep_model_weigh_classes(model, &run->ws, batch);
        deep_pool_step_begin(model->pool, batch); /* the pool times the step (core/threads.c) */
        deep_model_forward(model, &run->ws, &ex, batch);
        double loss = deep_model_score_batch(model, &run->ws, batch, &stats, run->ws.grad_a);
        if (!isfinite(loss)) {
            deep_pool_step_end(model->pool);
            return deep_error_set(DEEP_ERR_NUMERIC, "deep_model_fit",
                                  "the loss became %s at epoch %d, batch %lld; lower the learning rate "
                                  "or check the data for NaN", isnan(loss) ? "NaN" : "infinite", (int)epoch + 1,
                                  (long long)b + 1);
        }
        deep_model_backward(model, &run->ws, &ex, batch);
        deep_model_apply_gradients(model);
        deep_pool_step_end(model->pool);
        if (model->on_batch != NULL && model->on_batch(model->callback_user, epoch, b, loss) != 0) {
            *stop = true;
            break;
        }
    }
    if (run->replica.on)
        DEEP_TRY(deep_replica_sum_stats(model, &stats));
    deep_pass_stats_means(model, &stats, train_values);
    return DEEP_OK;
}

/* Early stopping watches the validation loss when there is one, else the training loss.
 * Returns true when patience ran out. */
static bool early_stopping(deep_model *model, fit_run *run, double monitored, double *best, int32_t *waited)
{
    if (model->patience == 0)
        return false;
    if (monitored < *best - model->min_delta) {
        *best = monitored;
        *waited = 0;
        memcpy(run->best_weights, model->weights, (size_t)model->weight_total * sizeof(float));
        return false;
    }
    return ++*waited >= model->patience;
}

static deep_status check_fit(const deep_model *model, const deep_dataset *train, int64_t epochs, int64_t batch_size,
                             const deep_dataset *validation)
{
    if (!model->compiled)
        return deep_error_set(DEEP_ERR_STATE, "deep_model_fit",
                              "the model must be compiled with deep_model_compile before fit");
    /* Epochs are counted in int32_t inside (and in model files): 2^31 - 1 is plenty. */
    if (epochs < 1 || epochs > INT32_MAX)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit", "epochs is %lld; it must be in [1, %d]",
                              (long long)epochs, INT32_MAX);
    /* So are batches: every batch-sized buffer (batch * a layer's size or working memory)
     * fits int64_t because a batch holds at most INT32_MAX samples (graph/model.c). */
    if (batch_size < 1 || batch_size > INT32_MAX)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit", "batch_size is %lld; it must be in [1, %d]",
                              (long long)batch_size, INT32_MAX);
    DEEP_TRY(deep_model_check_data(model, train, "deep_model_fit"));
    bool sparse = model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    DEEP_TRY(deep_model_check_class_weights(model, sparse || train->targets == NULL ? train->labels : NULL,
                                            train->targets, train->count, "deep_model_fit"));
    if (validation != NULL)
        DEEP_TRY(deep_model_check_data(model, validation, "deep_model_fit (validation)"));
    if (model->checkpoint_period > 0 && model->checkpoint_path == NULL)
        return deep_error_set(DEEP_ERR_STATE, "deep_model_fit",
                              "DEEP_MODEL_CHECKPOINT_PERIOD is %d but no DEEP_MODEL_CHECKPOINT_PATH is set",
                              (int)model->checkpoint_period);
    return DEEP_OK;
}

static deep_status prepare_run(deep_model *model, const deep_dataset *train, int64_t batch_size,
                               const deep_dataset *validation, fit_run *run)
{
    memset(run, 0, sizeof *run);
    run->train = train;
    run->batch_size = batch_size;
    run->train_count = train->count;
    run->validation = validation;
    if (validation != NULL) {
        run->validation_count = validation->count;
    } else if (model->validation_split > 0) {
        /* As Keras: the last fraction of the samples, taken before any shuffling. */
        int64_t held = (int64_t)((double)train->count * model->validation_split);
        if (held < 1 || held >= train->count)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit",
                                  "validation split %g of %lld samples leaves an empty training or validation part",
                                  model->validation_split, (long long)train->count);
        run->validation = train;
        run->train_count = train->count - held;
        run->validation_first = run->train_count;
        run->validation_count = held;
    }
    int64_t max_batch = batch_size < run->train_count ? batch_size : run->train_count;
    run->order = deep_alloc(run->train_count, sizeof(int64_t));
    if (model->patience > 0)
        run->best_weights = deep_alloc(model->weight_total, sizeof(float));
    if (run->order == NULL || (model->patience > 0 && run->best_weights == NULL) ||
        deep_workspace_init(model, max_batch, true, &run->ws) != DEEP_OK)
        return deep_error_set(DEEP_ERR_NO_MEMORY, "deep_model_fit", "out of memory for batches of %lld samples",
                              (long long)max_batch);
    for (int64_t i = 0; i < run->train_count; i++)
        run->order[i] = i;
    DEEP_TRY(deep_replica_prepare(model, &run->replica));
    return deep_model_prepare_pool("deep_model_fit", model);
}

static void release_run(deep_model *model, fit_run *run)
{
    free(run->order);
    free(run->best_weights);
    deep_replica_release(&run->replica);
    deep_workspace_release(model, &run->ws);
}

/* Writes the checkpoint after `done` epochs; the model records it as its resume point. */
static deep_status save_checkpoint(deep_model *model, int32_t done)
{
    deep_bytes b = {0};
    deep_status status = deep_model_serialize("deep_model_fit", model, &b);
    if (status == DEEP_OK)
        status = deep_file_write_atomic("deep_model_fit", model->checkpoint_path, b.data, b.length);
    deep_bytes_free(&b);
    if (status != DEEP_OK)
        return deep_error_wrap(status, "deep_model_fit", "checkpoint after epoch %d", (int)done);
    return DEEP_OK;
}

/* Early stopping's running state through one fit. */
typedef struct stopping_run {
    double best;
    int32_t waited;
    bool improved_once;
} stopping_run;

/* After an epoch's training: validation, history, log, early stopping, plateau, the epoch
 * callback and the checkpoint. */
static deep_status finish_epoch(deep_model *model, fit_run *run, int32_t epoch, int32_t epochs, int32_t first,
                                double start, const double *train_values, stopping_run *sr, bool *stop)
{
    double validation_values[DEEP_MAX_STATS];
    double *validation = NULL;
    if (run->validation_count > 0) {
        if (run->replica.on && model->replica_split_validation)
            DEEP_TRY(deep_replica_validate(model, run->validation, run->validation_first, run->validation_count,
                                           run->batch_size, validation_values));
        else
            DEEP_TRY(deep_model_evaluate_range("deep_model_fit", model, run->validation, run->validation_first,
                                               run->validation_count, run->batch_size, validation_values));
        validation = validation_values;
        if (!isfinite(validation[0]))
            return deep_error_set(DEEP_ERR_NUMERIC, "deep_model_fit",
                                  "the validation loss is not finite after epoch %d; check the validation data "
                                  "for NaN", (int)epoch + 1);
    }
    DEEP_TRY(record_history(model, train_values, validation));
    log_epoch(model, epoch, epochs, seconds_now() - start, train_values, validation);
    double monitored = validation ? validation[0] : train_values[0];
    if (early_stopping(model, run, monitored, &sr->best, &sr->waited))
        *stop = true;
    DEEP_TRY(deep_model_plateau_epoch(model, epoch, epoch == first, monitored));
    sr->improved_once = sr->improved_once || sr->waited == 0;
    model->resume_epoch = epoch + 1; /* what a save from here on records */
    if (model->patience > 0)
        model->stopping = (struct deep_stopping){.saved = true, .best = sr->best, .waited = sr->waited,
                                                 .improved = sr->improved_once, .weights = run->best_weights};
    if (model->on_epoch != NULL && model->on_epoch(model->callback_user, model, epoch) != 0)
        *stop = true;
    /* Of several replicas only the first writes: they all hold the same model. */
    if (model->checkpoint_period > 0 && (epoch + 1) % model->checkpoint_period == 0 && deep_replica_writes(model))
        DEEP_TRY(save_checkpoint(model, epoch + 1));
    return DEEP_OK;
}

static deep_status fit_epochs(deep_model *model, fit_run *run, int32_t epochs)
{
    double train_values[DEEP_MAX_STATS];
    double best = INFINITY;
    int32_t waited = 0;
    bool improved_once = false;
    int32_t first = model->initial_epoch;
    if (model->patience > 0 && first > 0 && model->stopping.loaded) {
        /* Resuming: early stopping goes on from the checkpoint's state; a run that had
         * already stopped only restores its best weights, as it did when it stopped. */
        best = model->stopping.best;
        waited = model->stopping.waited;
        improved_once = model->stopping.improved;
        memcpy(run->best_weights, model->stopping.weights, (size_t)model->weight_total * sizeof(float));
        if (waited >= model->patience)
            first = epochs;
    }
    deep_model_forget_stopping(model);
    model->history_length = 0;
    stopping_run sr = {best, waited, improved_once};
    for (int32_t epoch = first; epoch < epochs; epoch++) {
        double start = seconds_now();
        bool stop = false;
        DEEP_TRY(train_epoch(model, run, epoch, train_values, &stop));
        deep_status status = finish_epoch(model, run, epoch, epochs, first, start, train_values, &sr, &stop);
        /* Replicas go on, or stop, or fail, together (a checkpoint may fail on one). */
        if (run->replica.on)
            status = deep_replica_agree(model, status, &stop);
        DEEP_TRY(status);
        if (stop)
            break;
    }
    improved_once = sr.improved_once;
    /* restore_best_weights: end with the weights of the best monitored epoch. */
    if (model->patience > 0 && improved_once)
        memcpy(model->weights, run->best_weights, (size_t)model->weight_total * sizeof(float));
    model->stopping = (struct deep_stopping){0}; /* it pointed into the run */
    return DEEP_OK;
}

/* A replica whose fit fails before training tells the others, which would wait for it. */
static deep_status replica_refuse(deep_model *model, deep_status status)
{
    return model->replica_hook != NULL ? deep_replica_agree(model, status, NULL) : status;
}

deep_status deep_model_fit(deep_model *model, const deep_dataset *train, int64_t epochs, int64_t batch_size,
                           const deep_dataset *validation)
{
    DEEP_REQUIRE(model);
    if (train == NULL)
        return replica_refuse(model, DEEP_FAIL(DEEP_ERR_NULL, "argument 'train' is NULL"));
    DEEP_TRY(replica_refuse(model, check_fit(model, train, epochs, batch_size, validation)));
    if (deep_model_fitting_here(model))
        return DEEP_FAIL(DEEP_ERR_THREAD, "the model is busy: this call comes from a callback of its running fit");
    if (atomic_exchange(&model->busy, 1))
        return DEEP_FAIL(DEEP_ERR_THREAD, "the model is already being trained or evaluated by another call");
    const deep_model *outer = fitting;
    fitting = model;
    fit_run run;
    deep_status status = prepare_run(model, train, batch_size, validation, &run);
    if (model->replica_hook != NULL)
        status = run.replica.on ? deep_replica_begin(model, &run.replica, status) : replica_refuse(model, status);
    if (status == DEEP_OK) {
        int blas_threads = deep_blas_threads_single();
        model->resume_epoch = model->initial_epoch;
        status = fit_epochs(model, &run, (int32_t)epochs);
        deep_blas_threads_restore(blas_threads);
        /* initial_epoch applies to the one fit that ran, as Keras' argument; later saves
         * are no resume points. A fit that could not start keeps both for a retry. */
        model->initial_epoch = 0;
        model->resume_epoch = 0;
        if (!model->stopping.loaded)
            model->stopping = (struct deep_stopping){0}; /* a failed fit may leave it pointing into the run */
    }
    release_run(model, &run);
    fitting = outer;
    atomic_store(&model->busy, 0);
    return status;
}

deep_status deep_model_history_length(const deep_model *model, int64_t *epochs)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(epochs);
    *epochs = model->history_length;
    return DEEP_OK;
}

/* The history column of output k's metric (k -1: the total loss), or -1. */
static int32_t history_column(const deep_model *model, int32_t output, deep_metric metric)
{
    int32_t outputs = deep_model_output_count(model);
    if (metric == DEEP_METRIC_LOSS)
        return output < 0 ? 0 : outputs == 1 ? 0 : 1 + output;
    for (int32_t i = 0; i < model->metric_count; i++)
        if (model->metrics[i] == metric)
            return outputs == 1 ? 1 + i : 1 + outputs + (output < 0 ? 0 : output) * model->metric_count + i;
    return -1;
}

static deep_status history_value(const char *caller, const deep_model *model, int64_t epoch, int32_t output,
                                 deep_metric metric, int32_t validation, double *value)
{
    if (epoch < 0 || epoch >= model->history_length)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "epoch %lld is outside the %d recorded epochs",
                              (long long)epoch, (int)model->history_length);
    if (output < -1 || output >= deep_model_output_count(model))
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "output %d is outside the model's %d outputs",
                              (int)output, (int)deep_model_output_count(model));
    int32_t column = history_column(model, output, metric);
    if (column < 0)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "metric %d was not compiled into the model",
                              (int)metric);
    int32_t count = deep_model_stat_count(model);
    double v = model->history[(size_t)epoch * 2 * (size_t)count + (validation ? (size_t)count : 0) + (size_t)column];
    if (isnan(v) && validation)
        return deep_error_set(DEEP_ERR_STATE, caller, "the last fit had no validation data");
    *value = v;
    return DEEP_OK;
}

deep_status deep_model_history(const deep_model *model, int64_t epoch, deep_metric metric, int32_t validation,
                               double *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    return history_value(__func__, model, epoch, -1, metric, validation, value);
}

deep_status deep_model_history_output(const deep_model *model, int64_t epoch, int32_t output, deep_metric metric,
                                      int32_t validation, double *value)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(value);
    return history_value(__func__, model, epoch, output, metric, validation, value);
}
