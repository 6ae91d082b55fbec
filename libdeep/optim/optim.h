/* How the model drives an optimizer: bind the parameter sizes once, then per step
 * begin_step and update every parameter (ranges of one parameter may be updated by
 * different threads at once). */
#ifndef DEEP_OPTIM_INTERNAL_H
#define DEEP_OPTIM_INTERNAL_H

#include "core/core.h"

/* Allocates state (moments, accumulators) for `count` parameters of the given element
 * counts, fresh (zero, or Adagrad's initial_accumulator read now), and resets the step
 * count. Rebinding replaces the previous state. Options changed later take effect at the
 * next begin_step. */
deep_status deep_optimizer_bind(deep_optimizer *optimizer, int32_t count, const int64_t *sizes);
/* Starts one training step: advances the step count used by Adam's bias correction. */
void deep_optimizer_begin_step(deep_optimizer *optimizer);
/* weights[i] -= step(grads[i]) for i in [begin, end) of parameter `slot`. */
void deep_optimizer_update(deep_optimizer *optimizer, int32_t slot, float *weights, const float *grads,
                           int64_t begin, int64_t end);

#endif
