/* The model's layout, shared by the files that build, train, run and describe it. */
#ifndef DEEP_MODEL_INTERNAL_H
#define DEEP_MODEL_INTERNAL_H

#include <stdatomic.h>

#include "data/dataset.h"
#include "graph/plateau.h"
#include "layers/layer.h"

#define DEEP_MAX_METRICS 8

struct deep_model {
    int32_t in_rank;
    int64_t in_shape[DEEP_MAX_RANK];
    int64_t in_size;
    deep_layer **layers;
    int32_t layer_count, layer_capacity;

    /* Set by compile. All weights live in one block, their gradients in another. */
    bool compiled;
    deep_optimizer *optimizer;
    deep_loss loss;
    deep_metric metrics[DEEP_MAX_METRICS];
    int32_t metric_count;
    float *weights;
    float *grads;
    int64_t weight_total;

    /* Settings. */
    uint64_t seed;
    struct deep_rng rng;
    int32_t threads;
    bool shuffle;
    double validation_split;
    int32_t patience;
    double min_delta;
    double huber_delta;        /* DEEP_LOSS_HUBER's delta */
    bool verbose;
    deep_log_fn log;
    void *log_user;
    deep_batch_fn on_batch;
    deep_epoch_fn on_epoch;
    void *callback_user;

    deep_pool *pool;           /* created by fit/evaluate for the current thread setting */

    /* Checkpoints and resuming (libdeep/graph/persist.c writes and reads these). */
    char *checkpoint_path;     /* NULL: no checkpoints */
    int32_t checkpoint_period; /* epochs between checkpoints; 0: none */
    int32_t initial_epoch;     /* the next fit starts at this epoch (Keras' initial_epoch) */
    int32_t resume_epoch;      /* inside fit: epochs finished so far, what a save records */
    /* Early stopping's state at a resume point: inside fit (with patience) what a save
     * records, pointing at fit's copy of the best weights; after loading a file that has
     * it, what the next fit starts from, with its own copy of the weights. */
    struct deep_stopping {
        bool saved;            /* a save records it (inside fit, patience > 0) */
        bool loaded;           /* read from a file; `weights` is then owned */
        double best;           /* the best monitored loss so far */
        int32_t waited;        /* epochs since it improved */
        bool improved;         /* improved at least once: the end restores `weights` */
        float *weights;        /* weight_total floats: the weights of the best epoch */
    } stopping;

    /* History of the last fit: per epoch, the loss and metrics on the training data,
     * then on the validation data (NaN when there was none). */
    double *history;
    int32_t history_length, history_capacity;

    atomic_int busy;           /* set while fit, evaluate or a *_on_batch call runs */

    /* The workspace of train_on_batch, test_on_batch and predict_on_batch (graph/online.c),
     * for batches of up to its max_batch; acts is NULL until the first call. */
    struct deep_workspace *online;

    struct deep_plateau plateau; /* ReduceLROnPlateau (graph/plateau.c) */
    /* predict's workspaces kept between calls (graph/parallel.c), made by the first
     * predict; freed with the model by deep_model_release_predict. */
    _Atomic(struct deep_predict_cache *) predict_cache;
};

/* Values recorded per epoch and per part (training, validation). */
static inline int32_t deep_model_stat_count(const deep_model *model)
{
    return 1 + model->metric_count;
}

/* The last layer, whose output is the model's output. */
static inline const deep_layer *deep_model_output_layer(const deep_model *model)
{
    return model->layers[model->layer_count - 1];
}

/* Losses and metrics act on the last axis of the output, as Keras': an output
 * (steps, classes) is `steps` rows of `classes` per sample, each scored on its own and
 * averaged. These give that axis' width and the rows of one sample (1 for rank 1). */
static inline int64_t deep_model_output_width(const deep_model *model)
{
    const deep_layer *out = deep_model_output_layer(model);
    return out->out_shape[out->out_rank - 1];
}

static inline int64_t deep_model_output_rows(const deep_model *model)
{
    return deep_model_output_layer(model)->out_size / deep_model_output_width(model);
}

/* Buffers for passes over batches of up to max_batch samples. */
typedef struct deep_workspace {
    int64_t max_batch;
    float **acts;              /* layer_count + 1: acts[0] is the input batch */
    float **scratch;           /* per layer, NULL when a layer needs none */
    float *grad_a, *grad_b;    /* training only: dL/d(activations), swapped layer by layer */
    /* Keras' masks: masks[i] is the mask of acts[i] (NULL: none), batch * steps entries,
     * either made by layer i - 1 into mask_store[i - 1] or passed on from masks[i - 1]. */
    const uint8_t **masks;     /* layer_count + 1 */
    uint8_t **mask_store;      /* per layer, NULL unless it makes a mask */
    int32_t *labels;           /* the batch's labels, when the dataset has them */
    float *targets;            /* the batch's float targets, when the loss or metrics need them */
    /* Only when the output has a mask: its unmasked rows (of the last axis) gathered
     * together, what the loss and metrics score, and the loss gradient on them. */
    float *kept_pred, *kept_targets, *kept_grad;
    int32_t *kept_labels;
} deep_workspace;

deep_status deep_workspace_init(const deep_model *model, int64_t max_batch, bool training, deep_workspace *ws);
void deep_workspace_release(const deep_model *model, deep_workspace *ws);

/* The layer (0-based) whose mask reaches the input of layer `position` (position
 * layer_count: the model's output), or -1 when that input has no mask. */
int32_t deep_model_mask_source(const deep_model *model, int32_t position);

/* acts[0] -> acts[layer_count] for `batch` samples. */
void deep_model_forward(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int64_t batch);
/* The same through the first `count` layers only. */
void deep_model_forward_layers(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int64_t batch,
                               int32_t count);
/* From dL/d(output) in ws->grad_a, fills every parameter's gradient. */
void deep_model_backward(deep_model *model, deep_workspace *ws, deep_exec *ex, int64_t batch);

/* Checks that a dataset fits the model and its loss; `caller` names the public function. */
deep_status deep_model_check_data(const deep_model *model, const deep_dataset *data, const char *caller);
/* Copies samples order[0..batch-1] (or first..first+batch-1 when order is NULL) into the
 * workspace: features, labels and targets as the loss needs them. */
void deep_model_gather(const deep_model *model, const deep_dataset *data, const int64_t *order, int64_t first,
                       int64_t batch, deep_workspace *ws);

/* Running sums of the loss and metrics over the batches of a pass. The loss is a mean
 * over samples of the batch losses, as Keras'; a metric a mean over the scored rows (all
 * of them, or the unmasked steps of a masked per-step output). */
typedef struct deep_pass_stats {
    double sums[1 + DEEP_MAX_METRICS];
    double counts[1 + DEEP_MAX_METRICS];
    int64_t samples;
} deep_pass_stats;

/* Loss of the current batch (after a forward pass), added to stats with the metrics;
 * when grad is not NULL it receives dL/d(output) for backward. Returns the batch's loss. */
double deep_model_score_batch(const deep_model *model, deep_workspace *ws, int64_t batch, deep_pass_stats *stats,
                              float *grad);
/* Means of a pass into values[0..stat_count-1]. */
void deep_pass_stats_means(const deep_model *model, const deep_pass_stats *stats, double *values);

/* Ensures model->pool matches the thread setting; errors name caller. */
deep_status deep_model_prepare_pool(const char *caller, deep_model *model);

/* Inference loss and metrics over samples [first, first + count) of data; errors name caller. */
deep_status deep_model_evaluate_range(const char *caller, deep_model *model, const deep_dataset *data, int64_t first,
                                      int64_t count, int64_t batch_size, double *values);

/* True when deep_model_fit of this model runs on the calling thread: the call comes from
 * one of fit's callbacks (log, batch, epoch). */
bool deep_model_fitting_here(const deep_model *model);

/* Whether the model may change now. While fit or evaluate runs, a call from another
 * thread is DEEP_ERR_THREAD; a call from fit's own callbacks is allowed when during_fit
 * is true, else DEEP_ERR_STATE with `what` ("DEEP_MODEL_THREADS cannot change"). */
deep_status deep_model_may_change(const deep_model *model, const char *caller, const char *what, bool during_fit);

/* One optimizer step from the gradients of the last backward pass (fit, train_on_batch). */
void deep_model_apply_gradients(deep_model *model);

/* predict's batch splitting (graph/parallel.c). The forward pass of n samples from in
 * (n * in_size floats) into out (n * output size), on the caller for small work, else in
 * slices on threads started for the call; errors name caller. */
#define DEEP_MAX_PREDICT_THREADS 64
deep_status deep_model_predict_rows(const char *caller, const deep_model *model, const float *in, int64_t n,
                                    float *out);
/* The slices (threads) deep_model_predict_rows uses for n samples. */
int32_t deep_model_predict_slices(const deep_model *model, int64_t n);
/* About how many multiply-adds one sample's forward pass takes. */
double deep_model_sample_work(const deep_model *model);
/* Frees predict's kept workspaces (deep_model_free calls it). */
void deep_model_release_predict(deep_model *model);

/* Frees the workspace of the *_on_batch calls (deep_model_free calls it). */
void deep_model_release_online(deep_model *model);

/* Drops early stopping state loaded from a file (compile and free call it). */
void deep_model_forget_stopping(deep_model *model);

/* Appends the whole model file (safetensors) to out; errors name caller. */
typedef struct deep_bytes deep_bytes;
deep_status deep_model_serialize(const char *caller, const deep_model *model, deep_bytes *out);

#endif
