/* Data-parallel fits: deep_model_set_replica and the calls deep_model_fit makes of the
 * replica hook (deep.h, "Replicas"). libdeep knows no transport; libdeep-mpi supplies one. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "graph/replica.h"
#include "optim/optim.h"

deep_status deep_model_set_replica(deep_model *model, int32_t rank, int32_t size, deep_replica_fn hook, void *user)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(deep_model_may_change(model, __func__, "the replica setting", false));
    if (size < 1 || rank < 0 || rank >= size)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "rank %d of size %d; it needs size >= 1 and 0 <= rank < size",
                         (int)rank, (int)size);
    if (hook == NULL && size != 1)
        return DEEP_FAIL(DEEP_ERR_NULL, "argument 'hook' is NULL but size is %d (several replicas need a hook)",
                         (int)size);
    model->replica_rank = rank;
    model->replica_size = size;
    model->replica_hook = hook;
    model->replica_user = hook != NULL ? user : NULL;
    return DEEP_OK;
}

deep_status deep_model_set_replica_validation(deep_model *model, int32_t split)
{
    DEEP_REQUIRE(model);
    DEEP_TRY(deep_model_may_change(model, __func__, "the replica validation setting", false));
    if (split != 0 && split != 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "split is %d; it must be 0 (whole) or 1 (split)", (int)split);
    model->replica_split_validation = split;
    return DEEP_OK;
}

deep_status deep_model_get_replica_validation(const deep_model *model, int32_t *split)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(split);
    *split = model->replica_split_validation;
    return DEEP_OK;
}

deep_status deep_model_get_replica(const deep_model *model, int32_t *rank, int32_t *size, deep_replica_fn *hook,
                                   void **user)
{
    DEEP_REQUIRE(model);
    if (rank != NULL)
        *rank = model->replica_rank;
    if (size != NULL)
        *size = model->replica_size;
    if (hook != NULL)
        *hook = model->replica_hook;
    if (user != NULL)
        *user = model->replica_user;
    return DEEP_OK;
}

static deep_status call(deep_model *model, deep_replica_event event, deep_status status, void *data, int64_t offset,
                        int64_t count)
{
    return model->replica_hook(model->replica_user, event, status, data, offset, count);
}

deep_status deep_replica_prepare(deep_model *model, deep_replica_run *r)
{
    memset(r, 0, sizeof *r);
    r->share = 1.0f;
    r->model = model;
    if (model->replica_hook == NULL)
        return DEEP_OK;
    r->on = true;
    r->layer_offset = deep_alloc((int64_t)model->layer_count + 1, sizeof *r->layer_offset);
    if (r->layer_offset == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, "deep_model_fit", "out of memory for the replica's layer table");
    int64_t offset = 0;
    for (int32_t i = 0; i < model->layer_count; i++) {
        r->layer_offset[i] = offset;
        for (int32_t p = 0; p < model->layers[i]->param_count; p++)
            offset += model->layers[i]->params[p].size;
    }
    r->layer_offset[model->layer_count] = offset;
    return DEEP_OK;
}

void deep_replica_release(deep_replica_run *r)
{
    free(r->layer_offset);
    r->layer_offset = NULL;
}

deep_status deep_replica_agree(deep_model *model, deep_status local, bool *stop)
{
    int32_t flag = stop != NULL && *stop ? 1 : 0;
    deep_status status = call(model, DEEP_REPLICA_AGREE, local, &flag, 0, 1);
    if (stop != NULL)
        *stop = flag != 0;
    return status;
}

static deep_status broadcast(deep_model *model, void *data, int64_t bytes)
{
    return bytes > 0 ? call(model, DEEP_REPLICA_BROADCAST, DEEP_OK, data, 0, bytes) : DEEP_OK;
}

deep_status deep_replica_begin(deep_model *model, deep_replica_run *r, deep_status local)
{
    if (!r->on)
        return local;
    DEEP_TRY(deep_replica_agree(model, local, NULL));
    /* Replica 0's state everywhere, so that every replica starts from the same weights
     * and optimizer moments and draws the same epoch orders. */
    int64_t bytes = model->weight_total * (int64_t)sizeof(float);
    DEEP_TRY(broadcast(model, model->weights, bytes));
    for (int32_t i = 0; i < deep_optimizer_state_count(model->optimizer); i++)
        DEEP_TRY(broadcast(model, deep_optimizer_state(model->optimizer, i), bytes));
    int64_t step = deep_optimizer_step(model->optimizer);
    DEEP_TRY(broadcast(model, &step, sizeof step));
    deep_optimizer_set_step(model->optimizer, step);
    DEEP_TRY(broadcast(model, &model->rng, sizeof model->rng));
    /* Dropout masks differ between replicas (each its own stream), leaving the shared
     * generator to the epoch orders alone. */
    r->dropout = model->rng;
    if (model->replica_size > 1)
        deep_rng_init(&r->dropout, model->rng.s[0] ^ (0x9E3779B97F4A7C15ull * ((uint64_t)model->replica_rank + 1)));
    return DEEP_OK;
}

void deep_replica_slice(const deep_model *model, deep_replica_run *r, int64_t length, int64_t *first, int64_t *count)
{
    int64_t size = model->replica_size, rank = model->replica_rank;
    *first = length * rank / size;
    *count = length * (rank + 1) / size - *first;
    r->share = (float)((double)*count / (double)length);
    r->failed = DEEP_OK;
}

static void grads_ready(void *ctx, int32_t layer)
{
    deep_replica_run *r = ctx;
    deep_model *model = r->model;
    int64_t first = r->layer_offset[layer], count = r->layer_offset[layer + 1] - first;
    float *grads = model->grads + first;
    /* This slice's mean gradient weighed by its part of the global batch: the replicas'
     * sum is then the mean over the global batch, whatever the slices' sizes. */
    if (r->share != 1.0f)
        for (int64_t i = 0; i < count; i++)
            grads[i] *= r->share;
    deep_status status = call(model, DEEP_REPLICA_GRADIENTS, DEEP_OK, model->grads, first, count);
    if (r->failed == DEEP_OK)
        r->failed = status;
}

void deep_replica_arm(deep_model *model, deep_replica_run *r, deep_exec *ex)
{
    if (!r->on)
        return;
    ex->grads_ready = grads_ready;
    ex->ready_ctx = r;
    if (model->replica_size > 1)
        ex->rng = &r->dropout;
}

deep_status deep_replica_reduce(deep_model *model, deep_replica_run *r)
{
    deep_status status = call(model, DEEP_REPLICA_REDUCE, DEEP_OK, model->grads, 0, model->weight_total);
    return r->failed != DEEP_OK ? r->failed : status;
}

deep_status deep_replica_sum_stats(deep_model *model, deep_pass_stats *stats)
{
    double values[2 * DEEP_MAX_STATS + 1];
    int32_t n = deep_model_stat_count(model);
    for (int32_t i = 0; i < n; i++) {
        values[i] = stats->sums[i];
        values[n + i] = stats->counts[i];
    }
    values[2 * n] = (double)stats->samples;
    DEEP_TRY(call(model, DEEP_REPLICA_SUM, DEEP_OK, values, 0, 2 * (int64_t)n + 1));
    for (int32_t i = 0; i < n; i++) {
        stats->sums[i] = values[i];
        stats->counts[i] = values[n + i];
    }
    stats->samples = (int64_t)values[2 * n];
    /* The AUCs' confusion counts are sums too (one more SUM per AUC metric): the curve of
     * the global pass, not of this replica's part. Only the counts, the doubles before the
     * curve's threshold count, are summed. */
    for (int32_t k = 0; k < deep_model_output_count(model); k++)
        for (int32_t m = 0; m < model->metric_count; m++) {
            int32_t slot = deep_model_curve_slot(model, k, m);
            if (slot < 0)
                continue;
            DEEP_TRY(call(model, DEEP_REPLICA_SUM, DEEP_OK, (double *)&stats->curves[slot], 0,
                          (int64_t)(offsetof(deep_curve, thresholds) / sizeof(double))));
            /* A replica that scored no sample never set its curve's threshold count. */
            stats->curves[slot].thresholds = (int32_t)deep_model_metric_config(model, m).num_thresholds;
        }
    return DEEP_OK;
}

_Static_assert(offsetof(deep_curve, thresholds) == (2 * DEEP_AUC_MAX_THRESHOLDS + 2) * sizeof(double),
               "a deep_curve's counts are summed as doubles");

deep_status deep_replica_validate(deep_model *model, const deep_dataset *data, int64_t first, int64_t count,
                                  int64_t batch_size, double *values)
{
    int64_t size = model->replica_size, rank = model->replica_rank;
    int64_t begin = count * rank / size, end = count * (rank + 1) / size;
    deep_pass_stats stats = {0};
    /* A replica that fails here still sums (zeros), so that none is left in the hook;
     * every replica then fails alike at the epoch's agreement. */
    deep_status status = deep_model_evaluate_stats("deep_model_fit", model, data, first + begin, end - begin,
                                                   batch_size, &stats);
    DEEP_TRY(deep_replica_sum_stats(model, &stats));
    DEEP_TRY(status);
    deep_pass_stats_means(model, &stats, values);
    return DEEP_OK;
}

bool deep_replica_writes(const deep_model *model)
{
    return model->replica_rank == 0;
}
