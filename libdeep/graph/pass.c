/* What every pass over batches shares: buffers, the forward and backward sweeps through
 * the layers, checking and gathering the data, and scoring the output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "graph/model.h"
#include "losses/loss.h"

static int64_t largest_activation(const deep_model *model)
{
    int64_t largest = model->in_size;
    for (int32_t i = 0; i < model->layer_count; i++)
        largest = model->layers[i]->out_size > largest ? model->layers[i]->out_size : largest;
    return largest;
}

deep_status deep_workspace_init(const deep_model *model, int64_t max_batch, bool training, deep_workspace *ws)
{
    memset(ws, 0, sizeof *ws);
    ws->max_batch = max_batch;
    int32_t n = model->layer_count;
    ws->acts = calloc((size_t)n + 1, sizeof *ws->acts);
    ws->scratch = calloc((size_t)n, sizeof *ws->scratch);
    ws->masks = calloc((size_t)n + 1, sizeof *ws->masks);
    ws->mask_store = calloc((size_t)n, sizeof *ws->mask_store);
    bool ok = ws->acts != NULL && ws->scratch != NULL && ws->masks != NULL && ws->mask_store != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        const deep_layer *layer = model->layers[i];
        deep_mask_flow flow = deep_layer_mask_flow(layer);
        if (flow == DEEP_MASK_MADE)
            ok = (ws->masks[i + 1] = ws->mask_store[i] = deep_alloc(max_batch * layer->in_shape[0], 1)) != NULL;
        else if (flow == DEEP_MASK_KEPT)
            ws->masks[i + 1] = ws->masks[i];
    }
    for (int32_t i = 0; ok && i <= n; i++) {
        int64_t width = i == 0 ? model->in_size : model->layers[i - 1]->out_size;
        ok = (ws->acts[i] = deep_alloc(max_batch * width, sizeof(float))) != NULL;
    }
    for (int32_t i = 0; ok && i < n; i++) {
        const deep_layer *layer = model->layers[i];
        if (layer->scratch_size > 0 || layer->scratch_fixed > 0)
            ok = (ws->scratch[i] = deep_alloc(max_batch * layer->scratch_size + layer->scratch_fixed, sizeof(float))) !=
                 NULL;
    }
    int64_t out_width = deep_model_output_layer(model)->out_size;
    if (ok && training) {
        int64_t largest = largest_activation(model);
        ok = (ws->grad_a = deep_alloc(max_batch * largest, sizeof(float))) != NULL &&
             (ws->grad_b = deep_alloc(max_batch * largest, sizeof(float))) != NULL;
    }
    ok = ok && (ws->labels = deep_alloc(max_batch, sizeof(int32_t))) != NULL &&
         (ws->targets = deep_alloc(max_batch * out_width, sizeof(float))) != NULL;
    if (ok && ws->masks[n] != NULL)
        ok = (ws->kept_pred = deep_alloc(max_batch * out_width, sizeof(float))) != NULL &&
             (ws->kept_targets = deep_alloc(max_batch * out_width, sizeof(float))) != NULL &&
             (ws->kept_grad = deep_alloc(max_batch * out_width, sizeof(float))) != NULL &&
             (ws->kept_labels = deep_alloc(max_batch, sizeof(int32_t))) != NULL;
    if (!ok) {
        deep_workspace_release(model, ws);
        return DEEP_ERR_NO_MEMORY;
    }
    return DEEP_OK;
}

void deep_workspace_release(const deep_model *model, deep_workspace *ws)
{
    for (int32_t i = 0; ws->acts != NULL && i <= model->layer_count; i++)
        free(ws->acts[i]);
    for (int32_t i = 0; ws->scratch != NULL && i < model->layer_count; i++)
        free(ws->scratch[i]);
    for (int32_t i = 0; ws->mask_store != NULL && i < model->layer_count; i++)
        free(ws->mask_store[i]);
    free(ws->acts);
    free(ws->scratch);
    free(ws->masks);
    free(ws->mask_store);
    free(ws->grad_a);
    free(ws->grad_b);
    free(ws->labels);
    free(ws->targets);
    free(ws->kept_pred);
    free(ws->kept_targets);
    free(ws->kept_grad);
    free(ws->kept_labels);
    memset(ws, 0, sizeof *ws);
}

int32_t deep_model_mask_source(const deep_model *model, int32_t position)
{
    int32_t source = -1;
    for (int32_t i = 0; i < position; i++) {
        deep_mask_flow flow = deep_layer_mask_flow(model->layers[i]);
        source = flow == DEEP_MASK_MADE ? i : flow == DEEP_MASK_KEPT ? source : -1;
    }
    return source;
}

void deep_model_forward(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int64_t batch)
{
    deep_model_forward_layers(model, ws, ex, batch, model->layer_count);
}

void deep_model_forward_layers(const deep_model *model, deep_workspace *ws, const deep_exec *ex, int64_t batch,
                               int32_t count)
{
    for (int32_t i = 0; i < count; i++) {
        const deep_layer *layer = model->layers[i];
        if (ws->mask_store[i] != NULL)
            layer->ops->compute_mask(layer, ws->acts[i], ws->mask_store[i], batch);
        deep_exec own = *ex;
        own.mask = ws->masks[i];
        layer->ops->forward(layer, &own, ws->acts[i], ws->acts[i + 1], ws->scratch[i], batch);
    }
}

void deep_model_backward(deep_model *model, deep_workspace *ws, deep_exec *ex, int64_t batch)
{
    float *grad_out = ws->grad_a, *grad_in = ws->grad_b;
    bool fused = deep_loss_fuses_with(model->loss, deep_layer_output_activation(deep_model_output_layer(model)));
    for (int32_t i = model->layer_count - 1; i >= 0; i--) {
        deep_layer *layer = model->layers[i];
        ex->fused_output = fused && i == model->layer_count - 1;
        ex->mask = ws->masks[i];
        /* The first layer's input gradient is never needed. */
        layer->ops->backward(layer, ex, ws->acts[i], ws->acts[i + 1], grad_out, i > 0 ? grad_in : NULL,
                             ws->scratch[i], batch);
        float *t = grad_out;
        grad_out = grad_in;
        grad_in = t;
    }
    ex->fused_output = false;
    ex->mask = NULL;
}

/* The dataset supplies float targets for the loss either as targets or, for one output,
 * as its labels read as 0/1 values. */
static bool uses_label_targets(const deep_model *model, const deep_dataset *data)
{
    return data->targets == NULL && data->labels != NULL && deep_model_output_layer(model)->out_size == 1;
}

deep_status deep_model_check_data(const deep_model *model, const deep_dataset *data, const char *caller)
{
    const deep_layer *first = model->layers[0];
    if (data->count < 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the dataset is empty");
    if (data->sample_size != model->in_size && (first->ops->flags & DEEP_LAYER_ID_INPUT) && model->in_rank == 1)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "sequences of %lld token ids but layer 0 (%s) takes sequences of %lld; pad or truncate "
                              "them to that length",
                              (long long)data->sample_size, first->name, (long long)model->in_size);
    if (data->sample_size != model->in_size)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "input has %lld features but layer 0 (%s) expects %lld",
                              (long long)data->sample_size, first->name, (long long)model->in_size);
    if (first->ops->check_input != NULL) {
        const float *values;
        DEEP_TRY(deep_dataset_values(caller, data, &values));
        DEEP_TRY(first->ops->check_input(first, 0, values, data->count, caller));
    }
    int64_t width = deep_model_output_layer(model)->out_size;
    if (model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
        if (data->labels == NULL)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "sparse categorical cross-entropy needs integer labels; the dataset has none");
        if (data->num_classes > width)
            return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                                  "labels go up to %d but the model has %lld outputs", (int)data->num_classes - 1,
                                  (long long)width);
        return DEEP_OK;
    }
    if (data->targets == NULL && !uses_label_targets(model, data)) {
        if (data->labels != NULL && model->loss == DEEP_LOSS_CATEGORICAL_CROSSENTROPY)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "categorical cross-entropy needs one-hot targets; call deep_dataset_to_categorical "
                                  "or use sparse categorical cross-entropy");
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the loss needs float targets; the dataset has none");
    }
    if (uses_label_targets(model, data) && data->num_classes > 2)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                              "labels go up to %d but a single output takes 0/1 labels as targets",
                              (int)data->num_classes - 1);
    if (data->targets != NULL && data->target_width != width)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "targets have width %lld but the model has %lld outputs",
                              (long long)data->target_width, (long long)width);
    return DEEP_OK;
}

void deep_model_gather(const deep_model *model, const deep_dataset *data, const int64_t *order, int64_t first,
                       int64_t batch, deep_workspace *ws)
{
    int64_t in_size = data->sample_size;
    int64_t width = deep_model_output_layer(model)->out_size;
    bool label_targets = uses_label_targets(model, data);
    for (int64_t b = 0; b < batch; b++) {
        int64_t s = order != NULL ? order[b] : first + b;
        deep_dataset_read_samples(data, s, 1, ws->acts[0] + b * in_size);
        if (data->labels != NULL)
            ws->labels[b] = data->labels[s];
        if (data->targets != NULL)
            memcpy(ws->targets + b * width, data->targets + s * width, (size_t)width * sizeof(float));
        else if (label_targets)
            ws->targets[b] = (float)data->labels[s];
    }
}

static int64_t argmax_row(const float *row, int64_t width)
{
    int64_t best = 0;
    for (int64_t j = 1; j < width; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

/* Correct predictions in `rows` rows of the last axis (a batch of rank-1 outputs, or of
 * per-step outputs): the largest output against the label (or the target's largest
 * entry); for rows of a single output, both sides thresholded at 0.5. Labels (targets
 * NULL), one per sample, only come with one row per sample. */
static int64_t count_correct(const float *pred, const float *targets, const int32_t *labels, int64_t rows,
                             int64_t width)
{
    int64_t correct = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *row = pred + r * width;
        if (width == 1) {
            float truth = targets != NULL ? targets[r] : (float)labels[r];
            correct += (row[0] > 0.5f) == (truth > 0.5f);
        } else {
            int64_t truth = targets != NULL ? argmax_row(targets + r * width, width) : labels[r];
            correct += argmax_row(row, width) == truth;
        }
    }
    return correct;
}

/* The sum over rows of each row's mean absolute error (labels read as one-hot rows). */
static double absolute_error_sum(const float *pred, const float *targets, const int32_t *labels, int64_t rows,
                                 int64_t width)
{
    double sum = 0;
    for (int64_t i = 0; i < rows * width; i++) {
        float truth = targets != NULL ? targets[i] : (float)(labels[i / width] == i % width);
        sum += fabs((double)pred[i] - truth);
    }
    return sum / (double)width;
}

/* Gathers the rows whose mask entry is set into the workspace's kept_ buffers and points
 * pred, targets and labels at them (Keras' masked loss: padded steps are not scored).
 * Returns how many rows were kept. */
static int64_t keep_unmasked_rows(deep_workspace *ws, const uint8_t *mask, int64_t rows, int64_t width,
                                  const float **pred, const float **targets, const int32_t **labels)
{
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (!mask[r])
            continue;
        memcpy(ws->kept_pred + kept * width, *pred + r * width, (size_t)width * sizeof(float));
        if (*targets != NULL)
            memcpy(ws->kept_targets + kept * width, *targets + r * width, (size_t)width * sizeof(float));
        if (*labels != NULL)
            ws->kept_labels[kept] = (*labels)[r];
        kept++;
    }
    *pred = ws->kept_pred;
    *targets = *targets != NULL ? ws->kept_targets : NULL;
    *labels = *labels != NULL ? ws->kept_labels : NULL;
    return kept;
}

/* The gradient of the kept rows back to their places; masked rows get none. */
static void spread_kept_grad(const float *kept_grad, const uint8_t *mask, int64_t rows, int64_t width, float *grad)
{
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (mask[r])
            memcpy(grad + r * width, kept_grad + kept++ * width, (size_t)width * sizeof(float));
        else
            memset(grad + r * width, 0, (size_t)width * sizeof(float));
    }
}

double deep_model_score_batch(const deep_model *model, deep_workspace *ws, int64_t batch, deep_pass_stats *stats,
                              float *grad)
{
    int64_t width = deep_model_output_width(model), rows = batch * deep_model_output_rows(model);
    const float *pred = ws->acts[model->layer_count];
    bool sparse = model->loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    /* Sparse losses gather labels only; other losses gather targets (or labels as targets). */
    const float *targets = sparse ? NULL : ws->targets;
    const int32_t *labels = sparse ? ws->labels : NULL;
    const uint8_t *mask = ws->masks[model->layer_count];
    int64_t scored = mask != NULL ? keep_unmasked_rows(ws, mask, rows, width, &pred, &targets, &labels) : rows;
    float *scored_grad = mask != NULL && grad != NULL ? ws->kept_grad : grad;
    bool fused =
        grad != NULL && deep_loss_fuses_with(model->loss, deep_layer_output_activation(deep_model_output_layer(model)));
    /* Per row of the last axis, so that per-step losses average over the steps as Keras'. */
    double loss = deep_loss_evaluate(model->loss, model->huber_delta, pred, targets, labels, scored, width,
                                     fused ? NULL : scored_grad);
    if (fused)
        deep_loss_fused_grad(model->loss, pred, targets, labels, scored, width, scored_grad);
    if (mask != NULL && grad != NULL)
        spread_kept_grad(scored_grad, mask, rows, width, grad);

    stats->sums[0] += loss * (double)batch;
    stats->counts[0] += (double)batch;
    for (int32_t m = 0; m < model->metric_count; m++) {
        stats->sums[1 + m] += model->metrics[m] == DEEP_METRIC_ACCURACY
                                  ? (double)count_correct(pred, targets, labels, scored, width)
                                  : absolute_error_sum(pred, targets, labels, scored, width);
        stats->counts[1 + m] += (double)scored;
    }
    stats->samples += batch;
    return loss;
}

void deep_pass_stats_means(const deep_model *model, const deep_pass_stats *stats, double *values)
{
    for (int32_t i = 0; i < deep_model_stat_count(model); i++)
        values[i] = stats->samples == 0 ? NAN : stats->counts[i] > 0 ? stats->sums[i] / stats->counts[i] : 0.0;
}
