/* Data-parallel fits (deep_model_set_replica): what deep_model_fit asks of the replica
 * hook, and the slice of every global batch this replica trains on. */
#ifndef DEEP_REPLICA_INTERNAL_H
#define DEEP_REPLICA_INTERNAL_H

#include "graph/model.h"

/* One fit's replica state; all zero (and `on` false) for an ordinary fit. */
typedef struct deep_replica_run {
    bool on;                /* the model has a hook */
    deep_model *model;
    int64_t *layer_offset;  /* layer_count + 1: where each layer's gradients start */
    float share;            /* this step: the slice's part of the global batch */
    deep_status failed;     /* the first failed GRADIENTS of this step */
    struct deep_rng dropout; /* several replicas: this replica's own dropout stream */
} deep_replica_run;

/* Sets r up for one fit (allocates nothing for an ordinary fit); DEEP_ERR_NO_MEMORY. */
deep_status deep_replica_prepare(deep_model *model, deep_replica_run *r);
void deep_replica_release(deep_replica_run *r);
/* Before the first epoch: agrees on `local` (fit's own checks) and broadcasts replica 0's
 * weights, optimizer state and generator. Returns the agreed status. */
deep_status deep_replica_begin(deep_model *model, deep_replica_run *r, deep_status local);
/* Agrees on `local` and on *stop (may be NULL: not stopping). */
deep_status deep_replica_agree(deep_model *model, deep_status local, bool *stop);
/* Samples [*first, *first + *count) of a global batch of `length` samples are this
 * replica's; sets r->share. */
void deep_replica_slice(const deep_model *model, deep_replica_run *r, int64_t length, int64_t *first, int64_t *count);
/* Arms ex so that backward reports finished layers to the hook. */
void deep_replica_arm(deep_model *model, deep_replica_run *r, deep_exec *ex);
/* After backward: completes the gradient exchange (REDUCE). */
deep_status deep_replica_reduce(deep_model *model, deep_replica_run *r);
/* Sums a pass's loss and metric sums and counts over the replicas. */
deep_status deep_replica_sum_stats(deep_model *model, deep_pass_stats *stats);
/* With deep_model_set_replica_validation 1: scores this replica's part of validation
 * samples [first, first + count) and sums the pass over the replicas, so that values gets
 * the whole data's loss and metrics on every replica. */
deep_status deep_replica_validate(deep_model *model, const deep_dataset *data, int64_t first, int64_t count,
                                  int64_t batch_size, double *values);
/* Whether this process writes fit's files (checkpoints): replica 0. */
bool deep_replica_writes(const deep_model *model);

#endif
