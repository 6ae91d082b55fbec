/* The model's layout, shared by the files that build, train, run and describe it. */
#ifndef DEEP_MODEL_INTERNAL_H
#define DEEP_MODEL_INTERNAL_H

#include <stdatomic.h>

#include "data/dataset.h"
#include "graph/plateau.h"
#include "layers/layer.h"
#include "losses/loss.h"
#include "metrics/compiled.h"

#define DEEP_MAX_METRICS 8
#define DEEP_MAX_MODEL_INPUTS 16 /* a model's input nodes, and its output nodes */

/* One node of the layer graph: a model input (layer NULL) or one call of a layer on the
 * outputs of earlier nodes. Nodes are numbered in creation order, which is a topological
 * order (a call can only name nodes that exist), so running them by number runs every node
 * after its inputs; cycles cannot be built. A Sequential model is the chain where node 0 is
 * the input and node i + 1 is layers[i] applied to node i. */
typedef struct deep_node {
    deep_layer *layer;                         /* NULL for an input; else owned by model->layers */
    int32_t input_count;
    int32_t inputs[DEEP_MAX_LAYER_INPUTS];     /* node numbers, each < this node's */
    int32_t rank;                              /* the shape of one sample of its output */
    int64_t shape[DEEP_MAX_RANK];
    int64_t size;
    int64_t offset;                            /* inputs: where its features start in a dataset row */
    /* Keras' tensor index within a call: 0 for the call's output; 1 (h) or 2 (c) for a state
     * node (return_state), whose only input is the recurrent call giving it. A state node
     * has no layer call of its own: its call writes it in forward and reads its gradient in
     * backward. A recurrent call's inputs after the first are its initial states. */
    int32_t part;
    int32_t states[DEEP_MAX_STATES];           /* a call's state nodes, h then c; 0: none */
} deep_node;

struct deep_model {
    /* The first input's shape, and in_size the features of a whole sample: with several
     * inputs a dataset row is their samples one after the other, in model->inputs order. */
    int32_t in_rank;
    int64_t in_shape[DEEP_MAX_RANK];
    int64_t in_size;
    deep_layer **layers;                       /* every layer once, in creation order */
    int32_t layer_count, layer_capacity;
    deep_node *nodes;
    int32_t node_count, node_capacity;
    int32_t inputs[DEEP_MAX_MODEL_INPUTS], input_count;   /* input nodes, in dataset order */
    int32_t outputs[DEEP_MAX_MODEL_INPUTS], output_count; /* 0: the last node (Sequential) */
    /* deep_model_connect's nodes, which the next added layer takes instead of the last node. */
    int32_t pending[DEEP_MAX_LAYER_INPUTS], pending_count;
    /* The block behind `weights`, counted, since sub-models share it (deep_model_submodel).
     * borrowed: the weights came from the model this one was cut from, so compile keeps
     * them instead of allocating and initialising new ones. */
    struct deep_weight_block *block;
    bool borrowed;

    /* built: deep_model_build gave the model its weights before compile (since 1.2), so
     * that predict and the weight calls work without an optimizer; a first compile keeps
     * them. Layers are fixed from then on, as after compile. */
    bool built;

    /* Set by compile. All weights live in one block, their gradients in another. */
    bool compiled;
    deep_optimizer *optimizer;
    deep_loss loss;            /* losses[0]: the loss of a model with one output */
    /* One loss per output and its weight in the total (Keras' loss_weights, 1 by default). */
    deep_loss losses[DEEP_MAX_MODEL_INPUTS];
    double loss_weights[DEEP_MAX_MODEL_INPUTS];
    deep_metric metrics[DEEP_MAX_METRICS];
    int32_t metric_count;
    /* Since 1.3, each metric's own arguments (deep_model_set_metric_*; graph/metric_options.c),
     * reset by compile: NAN, -1, 0 and 0 when not set. */
    struct deep_metric_settings {
        double threshold;
        int64_t class_id;
        int64_t top_k;
        int32_t num_thresholds;
    } metric_settings[DEEP_MAX_METRICS];
    /* Since 1.3, each output's own loss settings (deep_model_set_output_*;
     * graph/output_options.c), reset by compile: -1, NAN, NAN when not set. */
    struct deep_output_settings {
        int32_t from_logits;
        double label_smoothing;
        double huber_delta;
    } output_settings[DEEP_MAX_MODEL_INPUTS];
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
    bool from_logits;          /* DEEP_MODEL_FROM_LOGITS */
    double label_smoothing;    /* DEEP_MODEL_LABEL_SMOOTHING */
    int64_t top_k;             /* DEEP_MODEL_TOP_K */
    double metric_threshold;   /* DEEP_MODEL_METRIC_THRESHOLD */
    double *class_weights;     /* Keras' class_weight (deep_model_set_class_weights), or NULL */
    int32_t class_weight_count;
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

    /* deep_model_set_replica (graph/replica.c): this fit is replica `replica_rank` of
     * `replica_size`; replica_hook NULL for an ordinary fit. */
    deep_replica_fn replica_hook;
    void *replica_user;
    int32_t replica_rank, replica_size;
    int32_t replica_split_validation; /* deep_model_set_replica_validation (since 1.3) */
};

/* A block of weights shared by a model and the sub-models cut from it: freed with the last. */
typedef struct deep_weight_block {
    atomic_int refs;
    float *values;
} deep_weight_block;

/* The number of outputs (1 for a Sequential model). */
static inline int32_t deep_model_output_count(const deep_model *model)
{
    return model->output_count > 0 ? model->output_count : 1;
}

/* Values recorded per epoch and per part (training, validation), in Keras' order: the
 * loss, then with several outputs each output's loss, then each output's metrics. */
static inline int32_t deep_model_stat_count(const deep_model *model)
{
    int32_t outputs = deep_model_output_count(model);
    return outputs == 1 ? 1 + model->metric_count : 1 + outputs * (1 + model->metric_count);
}

/* The node whose output is the model's output: the one set by deep_model_set_outputs, else
 * the last node (Sequential). */
static inline int32_t deep_model_output_node(const deep_model *model)
{
    return model->output_count > 0 ? model->outputs[0] : model->node_count - 1;
}

/* Output k's node. */
static inline int32_t deep_model_output_node_at(const deep_model *model, int32_t k)
{
    return model->output_count > 0 ? model->outputs[k] : model->node_count - 1;
}

/* The values of one sample's outputs (with several, their sizes summed). */
static inline int64_t deep_model_output_row(const deep_model *model)
{
    int64_t row = 0;
    for (int32_t k = 0; k < deep_model_output_count(model); k++)
        row += model->nodes[deep_model_output_node_at(model, k)].size;
    return row;
}

/* The layer whose output is the model's output. */
static inline const deep_layer *deep_model_output_layer(const deep_model *model)
{
    return model->nodes[deep_model_output_node(model)].layer;
}

/* Losses and metrics act on the last axis of the output, as Keras': an output
 * (steps, classes) is `steps` rows of `classes` per sample, each scored on its own and
 * averaged. These give that axis' width and the rows of one sample (1 for rank 1). */
static inline int64_t deep_model_output_width(const deep_model *model)
{
    const deep_node *out = &model->nodes[deep_model_output_node(model)];
    return out->shape[out->rank - 1];
}

static inline int64_t deep_model_output_rows(const deep_model *model)
{
    return model->nodes[deep_model_output_node(model)].size / deep_model_output_width(model);
}

/* The target values of output k per sample: one label per row of the last axis for a
 * sparse loss (one per sample, or per step of a (steps, classes) output), else its size. */
int64_t deep_model_target_width(const deep_model *model, int32_t k);
/* True for a model of one output of several steps compiled with the sparse loss: its labels,
 * one per step, come as float target rows (datasets' targets, train_on_batch's y (n, steps)),
 * not as a dataset's labels. */
bool deep_model_labels_per_step(const deep_model *model);
/* With several outputs: checks that the labels of sparse outputs in `count` target rows are
 * classes of their outputs; errors name caller. */
deep_status deep_model_check_target_rows(const deep_model *model, const float *rows, int64_t count,
                                         const char *caller);
/* Their sum over the outputs: a dataset's target width for a model with several outputs,
 * whose target row is each output's targets one after the other. */
int64_t deep_model_target_total(const deep_model *model);
/* Whether output k's loss takes the gradient through its layer's activation in one step
 * (not when the output also feeds another layer, whose gradient is dL/d(output)). */
bool deep_model_output_fuses(const deep_model *model, int32_t k);

/* Buffers for passes over batches of up to max_batch samples, indexed by node (for a
 * Sequential model node i + 1 is layer i's output, node 0 the input). */
typedef struct deep_workspace {
    int64_t max_batch;
    float **acts;              /* node_count: each node's output batch, in the arena */
    float **scratch;           /* per node, in the arena; NULL for inputs and layers that need none */
    /* Training only: dL/d(node output) in grads[node], for the nodes whose gradient is
     * needed. */
    float **grads;             /* node_count pointers into the arena (NULL: not needed) */
    /* The outputs, scratches and gradients share one block, laid out by liveness
     * (graph/plan.c): buffers never live at once share memory, so a chain's predict needs
     * two outputs whatever its depth and training keeps only what backward reads. */
    float *arena;
    int64_t arena_floats;
    int64_t bytes;             /* everything the workspace allocated for batches, for tests */
    /* accumulate[j * DEEP_MAX_LAYER_INPUTS + k] (in the arena, NULL: never needed) receives
     * node j's k-th input's gradient when that input already has one from another consumer,
     * to be added to it. */
    float **accumulate;
    bool *grad_started;        /* per node, during backward: grads[node] holds a sum already */
    /* A layer called at several nodes sums its weights' gradients over the calls: the
     * calls after the first keep the sum so far in param_sum while backward overwrites. */
    int32_t *node_layer;       /* per node, its layer's position (-1: an input) */
    bool *layer_seen;          /* per layer, during backward: one of its calls is done */
    bool *node_first;          /* per node: the layer's first call, the last its backward reaches */
    bool *layer_reported;      /* per layer, during backward: grads_ready was called for it */
    float *param_sum;          /* the weights of the largest layer called more than once */
    float *grad_a;             /* grads[output node]: dL/d(output), what scoring writes */
    /* Keras' masks: masks[i] is the mask of node i's output (NULL: none), batch * steps
     * entries, either made by its layer into mask_store[i] or passed on from its input's. */
    const uint8_t **masks;     /* node_count */
    uint8_t **mask_store;      /* per node, NULL unless its layer makes a mask */
    int32_t *labels;           /* the batch's labels, when the dataset has them */
    float *targets;            /* the batch's float targets, when the loss or metrics need them;
                                  with several outputs, rows of deep_model_target_total */
    float *output_targets;     /* several outputs: one output's targets, gathered to score it */
    /* Only when the output has a mask: its unmasked rows (of the last axis) gathered
     * together, what the loss and metrics score, and the loss gradient on them. */
    float *kept_pred, *kept_targets, *kept_grad;
    int32_t *kept_labels;
    /* Keras' sample weights of the batch (since 1.2): the dataset's (deep_model_gather),
     * train_on_batch's, times the class weights in training; `weighted` says whether the
     * batch has any. row_weights holds them per scored row of an output. */
    bool weighted;
    float *sample_weights;     /* max_batch */
    float *row_weights;        /* max_batch times the most steps of an output */
} deep_workspace;

deep_status deep_workspace_init(const deep_model *model, int64_t max_batch, bool training, deep_workspace *ws);
/* graph/plan.c: where the buffers of a pass over batches of up to max_batch samples, running
 * nodes 0..limit-1, go in an arena shared by liveness: offsets in floats, -1 for none. */
typedef struct deep_plan {
    int64_t *out_at;        /* node_count: each node's output */
    int64_t *grad_at;       /* node_count: in training, the gradients grad_needed marks */
    int64_t *scratch_at;    /* node_count: each call's scratch, when its layer has one */
    int64_t *accumulate_at; /* node_count * DEEP_MAX_LAYER_INPUTS: in training, where node j's
                               backward writes its k-th input's gradient to be added to it */
} deep_plan;
/* Fills `plan` (arrays of the sizes above) and returns the arena's floats, -1 when out of
 * memory. */
int64_t deep_plan_buffers(const deep_model *model, int64_t max_batch, bool training, const bool *grad_needed,
                          int32_t limit, deep_plan *plan);
void deep_workspace_release(const deep_model *model, deep_workspace *ws);

/* The node whose layer makes the mask that node `node`'s output carries (through a merge,
 * its first masked input's), or -1 when it has none; errors name caller. */
deep_status deep_model_find_mask_source(const deep_model *model, int32_t node, const char *caller, int32_t *source);
/* The same, -1 also when memory runs out (for callers that have no status to return). */
int32_t deep_model_mask_source(const deep_model *model, int32_t node);
/* The same for nodes 0..count-1 at once, into sources[count]: fails (DEEP_ERR_SHAPE) when
 * a merge cannot combine the masks of its inputs. */
deep_status deep_model_mask_sources(const deep_model *model, int32_t count, int32_t *sources, const char *caller);

/* Copies `batch` dataset rows (the inputs' samples one after the other) into the input
 * nodes' buffers; `rows` is batch * in_size floats. */
void deep_model_load_inputs(const deep_model *model, deep_workspace *ws, const float *rows, int64_t batch);
/* The model's output batch after a forward pass. */
static inline float *deep_model_output_batch(const deep_model *model, const deep_workspace *ws)
{
    return ws->acts[deep_model_output_node(model)];
}
/* Copies the outputs of a forward pass into `rows`: with several outputs each sample's
 * outputs one after the other. */
void deep_model_store_outputs(const deep_model *model, const deep_workspace *ws, int64_t batch, float *rows);
/* Every node from the inputs to the output for `batch` samples. */
void deep_model_forward(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int64_t batch);
/* The same for the nodes numbered below `limit` only. */
void deep_model_forward_nodes(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int64_t batch,
                              int32_t limit);
/* From dL/d(output) in ws->grad_a, fills every parameter's gradient. */
void deep_model_backward(deep_model *model, deep_workspace *ws, deep_exec *ex, int64_t batch);
/* The position of `layer` in model->layers (-1 for NULL, an input's "layer"). */
int32_t deep_model_layer_position(const deep_model *model, const deep_layer *layer);
/* The first node that calls `layer` (every layer has one). */
int32_t deep_model_node_of(const deep_model *model, const deep_layer *layer);
/* Whether some layer reading an input node checks its values (Embedding's ids). */
bool deep_model_checks_inputs(const deep_model *model);
/* Runs the check_input of every layer that reads an input node directly on `count` dataset
 * rows; errors name caller. */
deep_status deep_model_check_input_values(const deep_model *model, const float *rows, int64_t count,
                                          const char *caller);

/* Keras' input shape rule (since 1.2, input_shape.c) for a model with one input: samples
 * of the model's input shape, or flat ones of as many features (1.x compatibility); other
 * shapes with the same count are DEEP_ERR_SHAPE naming the axis and the likely mistake
 * (channels first; for a batch, a missing batch axis). Different counts pass, for the size
 * checks that follow to explain; with hints_only only the mistakes it can name fail (for
 * calls whose own checks are exact). */
deep_status deep_model_check_dataset_shape(const deep_model *model, const deep_dataset *data, const char *caller);
deep_status deep_model_check_batch_shape(const deep_model *model, int32_t rank, const int64_t *shape,
                                         bool hints_only, const char *what, const char *caller);

/* Checks that a dataset fits the model and its loss; `caller` names the public function. */
deep_status deep_model_check_data(const deep_model *model, const deep_dataset *data, const char *caller);
/* Copies samples order[0..batch-1] (or first..first+batch-1 when order is NULL) into the
 * workspace: features, labels and targets as the loss needs them. */
void deep_model_gather(const deep_model *model, const deep_dataset *data, const int64_t *order, int64_t first,
                       int64_t batch, deep_workspace *ws);

/* Multiplies the batch's sample weights by the class weights of its samples (training
 * only, as Keras' class_weight); nothing when the model has none. */
void deep_model_weigh_classes(const deep_model *model, deep_workspace *ws, int64_t batch);
/* Checks that class weights fit the model and cover every class of `data` (or of the batch
 * y: n rows of targets, or labels); errors name caller. */
deep_status deep_model_check_class_weights(const deep_model *model, const int32_t *labels, const float *targets,
                                           int64_t count, const char *caller);

/* Running sums of the loss and metrics over the batches of a pass. The loss is a mean
 * over samples of the batch losses, as Keras'; a metric a mean over the scored rows (all
 * of them, or the unmasked steps of a masked per-step output). */
#define DEEP_MAX_STATS (1 + DEEP_MAX_MODEL_INPUTS * (1 + DEEP_MAX_METRICS))
typedef struct deep_pass_stats {
    double sums[DEEP_MAX_STATS];
    double counts[DEEP_MAX_STATS];
    int64_t samples;
    deep_curve curves[DEEP_MAX_CURVES]; /* the AUCs' confusion counts (deep_model_curve_slot) */
} deep_pass_stats;

/* Where output k's metric m keeps its curve in deep_pass_stats.curves, or -1 for a metric
 * without one. compile allows at most DEEP_MAX_CURVES. */
int32_t deep_model_curve_slot(const deep_model *model, int32_t k, int32_t m);

/* Compiled metric m's settings in use: its own (deep_model_set_metric_*), else the model's
 * options and Keras' defaults (graph/metric_options.c). */
deep_metric_config deep_model_metric_config(const deep_model *model, int32_t m);
/* Every metric's own settings unset, as compile leaves them; and every output's. */
void deep_model_reset_metric_settings(deep_model *model);
/* Output k's loss settings in use: its own (deep_model_set_output_*), else the model's. */
deep_loss_config deep_model_loss_config(const deep_model *model, int32_t k);

/* Loss of the current batch (after a forward pass), added to stats with the metrics;
 * when grad is not NULL it receives dL/d(output) for backward. Returns the batch's loss. */
double deep_model_score_batch(const deep_model *model, deep_workspace *ws, int64_t batch, deep_pass_stats *stats,
                              float *grad);
/* Means of a pass into values[0..stat_count-1]. */
void deep_pass_stats_means(const deep_model *model, const deep_pass_stats *stats, double *values);

/* Ensures model->pool matches the thread setting; errors name caller. */
deep_status deep_model_prepare_pool(const char *caller, deep_model *model);

/* Adds the inference loss and metrics of samples [first, first + count) of data (none when
 * count is 0) to stats; errors name caller. */
deep_status deep_model_evaluate_stats(const char *caller, deep_model *model, const deep_dataset *data, int64_t first,
                                      int64_t count, int64_t batch_size, deep_pass_stats *stats);
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

/* Appends an input node of that (checked) shape; errors name caller. */
deep_status deep_model_push_input(deep_model *model, int32_t rank, const int64_t *shape, const char *caller,
                                  int32_t *node);
/* Appends a node applying the model's layer `position` again (shared weights) to `inputs`;
 * errors name caller. */
deep_status deep_model_call_layer(deep_model *model, int32_t position, int32_t count, const int32_t *inputs,
                                  const char *caller, int32_t *node);
/* Adds the state nodes of the recurrent call at node `call` (h, and c for an LSTM) after
 * the last node, unless it has them; errors name caller. */
deep_status deep_model_push_states(deep_model *model, int32_t call, const char *caller);
/* The number of states of a recurrent layer taking them (2 for an LSTM), else 0. */
int32_t deep_layer_state_count(const deep_layer *layer);
/* Keras' name of a layer's state k (0-based): "h", "c", "forward_h", ..., "backward_c". */
const char *deep_layer_state_name(const deep_layer *layer, int32_t k);
/* A Sequential chain: one input, node i + 1 calling layer i on node i, the last node the
 * output (what files, summaries and messages of 1.0 describe). */
bool deep_model_is_sequential(const deep_model *model);
/* Checks what compile needs of the graph: every input reaches the output, which is a
 * layer's (not an input), and one output (several are not trainable yet); errors name caller. */
deep_status deep_model_check_graph(const deep_model *model, const char *caller);
/* Copies the settings a clone or sub-model inherits (seed, threads, shuffle, validation
 * split, early stopping, Huber delta, verbose). */
void deep_model_copy_settings(const deep_model *from, deep_model *to);
/* Builds in the empty model dst (no nodes) the graph of src, node for node and layer for
 * layer from their configurations; errors name caller. */
deep_status deep_model_replay(const deep_model *src, deep_model *dst, const char *caller);
/* Points every parameter of the model's layers at its place in `weights` (laid out layer by
 * layer in model->layers order, as compile does) and the gradients likewise. */
void deep_model_point_params(deep_model *model, float *weights, float *grads);

/* Layer names (layer_names.c): whether a layer other than `except` has that name; renames
 * the layer at `position`, checking the name (printable ASCII without '/', 1 to 47 bytes,
 * unique in the model); errors name caller. */
bool deep_model_name_taken(const deep_model *model, const char *name, const deep_layer *except);
deep_status deep_model_rename_layer(deep_model *model, int32_t position, const char *name, const char *caller);

/* Appends the whole model file (safetensors) to out; errors name caller. */
typedef struct deep_bytes deep_bytes;
deep_status deep_model_serialize(const char *caller, const deep_model *model, deep_bytes *out);

#endif
