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
/* Splits the bound elements (all parameters one after another) into the model's weight
 * tensors, which clipnorm clips one by one and weight decay skips when decays[i] is false
 * (batch norm's moving statistics; decays NULL: all decay). The sizes must add up to the
 * bound total. Until it is called (and after each bind) every parameter is one tensor. */
deep_status deep_optimizer_set_tensors(deep_optimizer *optimizer, int32_t count, const int64_t *sizes,
                                       const bool *decays);
/* Starts one training step: advances the step count, evaluates the schedule, fixes the
 * per-step factors (bias corrections, Nadam's momentum schedule) and, for clipnorm and
 * global_clipnorm, the norms of grads: all bound gradients one after another, as the
 * weights are (NULL when no norm clipping is set; with one set, NULL clips nothing). */
void deep_optimizer_begin_step(deep_optimizer *optimizer, const float *grads);
/* weights[i] -= step(grads[i]) for i in [begin, end) of parameter `slot`, after weight
 * decay and clipping. */
void deep_optimizer_update(deep_optimizer *optimizer, int32_t slot, float *weights, const float *grads,
                           int64_t begin, int64_t end);

/* What model files save and restore: the kind and its Keras class name, which options
 * apply, the per-element state arrays (Keras' slot names: SGD "momentum"; Adam and AdamW
 * "momentum", "velocity" and with amsgrad "velocity_hat"; RMSprop "velocity" and
 * "momentum"; Adagrad "accumulator"; Nadam "momentum" and "velocity"; Adamax "momentum"
 * and "norm") and the step count. A state array holds one float per bound element (all slots' sizes added). */
deep_optimizer_kind deep_optimizer_kind_of(const deep_optimizer *optimizer);
const char *deep_optimizer_kind_name(deep_optimizer_kind kind); /* NULL for an unknown kind */
/* The kind whose Keras class name is name ("Adam"), or 0 when there is none. */
deep_optimizer_kind deep_optimizer_kind_by_name(const char *name);
/* The option called name (e.g. "beta_1"), or 0 when there is none. */
deep_optimizer_option deep_optimizer_option_by_name(const char *name);
const char *deep_optimizer_option_name(deep_optimizer_option option);

/* Every kind and every option, each once: the module's own lists, which model files
 * iterate instead of a range of enumerators (test_optim checks them against deep.h).
 * An index outside [0, count) gives 0. Option values are below
 * DEEP_OPTIMIZER_OPTION_LIMIT, so a uint32_t holds a set of them as bits. */
#define DEEP_OPTIMIZER_OPTION_LIMIT 32
int32_t deep_optimizer_kind_count(void);
deep_optimizer_kind deep_optimizer_kind_at(int32_t index);
int32_t deep_optimizer_option_count(void);
deep_optimizer_option deep_optimizer_option_at(int32_t index);
bool deep_optimizer_has_option(const deep_optimizer *optimizer, deep_optimizer_option option);
int32_t deep_optimizer_state_count(const deep_optimizer *optimizer);
const char *deep_optimizer_state_name(const deep_optimizer *optimizer, int32_t index);
/* State array `index`, NULL before bind. */
float *deep_optimizer_state(const deep_optimizer *optimizer, int32_t index);
int64_t deep_optimizer_step(const deep_optimizer *optimizer);
/* Also recomputes Nadam's running product of its momentum schedule for that step (with
 * the current beta_1). */
void deep_optimizer_set_step(deep_optimizer *optimizer, int64_t step);
/* Whether model files must hold the option (those of 1.0) or may lack it (added since,
 * default when absent); and whether a file is to hold it: a required one always, one
 * added since only when it differs from the kind's default, so that such a file still
 * loads in libdeep 1.0. */
bool deep_optimizer_option_required(deep_optimizer_option option);
/* The value set for an option the kind has, as kept (learning_rate: the one set, not a
 * schedule's rate, which deep_optimizer_get_float gives), for model files. */
float deep_optimizer_setting(const deep_optimizer *optimizer, deep_optimizer_option option);
bool deep_optimizer_option_saved(const deep_optimizer *optimizer, deep_optimizer_option option);

#endif
