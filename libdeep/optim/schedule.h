/* Learning-rate schedules inside the library: what model files save and restore. */
#ifndef DEEP_OPTIM_SCHEDULE_H
#define DEEP_OPTIM_SCHEDULE_H

#include "core/bytes.h"
#include "core/core.h"
#include "io/json.h"

/* Keras' class name of a kind ("ExponentialDecay"), NULL for an unknown one, and back (0). */
const char *deep_schedule_kind_name(deep_schedule_kind kind);
deep_schedule_kind deep_schedule_kind_by_name(const char *name);

/* The constructor's arguments. Fields a kind does not use are 0 (warmup_target: NaN). */
typedef struct deep_schedule_config {
    double initial_learning_rate, decay_rate, alpha, warmup_target;
    int64_t decay_steps, warmup_steps;
    int32_t staircase;
    int64_t count;             /* PiecewiseConstantDecay: boundaries; values has count + 1 */
    const int64_t *boundaries; /* owned by the schedule */
    const double *values;
} deep_schedule_config;
void deep_schedule_config_of(const deep_schedule *schedule, deep_schedule_config *config);
/* The rate at step, for a schedule known to be valid. */
double deep_schedule_at(const deep_schedule *schedule, int64_t step);

/* Model files: {"class_name": ..., "config": {...}} (docs/model-format.md). Reading
 * fails with DEEP_ERR_FORMAT (or a constructor's refusal) and a message for the caller
 * to wrap. */
void deep_schedule_write_json(deep_bytes *j, const deep_schedule *schedule);
deep_status deep_schedule_read_json(const deep_json *doc, const deep_json_node *node, deep_schedule **out);

#endif
