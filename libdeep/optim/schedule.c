/* Learning-rate schedules: Keras' ExponentialDecay, PiecewiseConstantDecay and CosineDecay,
 * evaluated in double from the constructor's arguments, which are checked once here so
 * that evaluating never fails. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim/schedule.h"

struct deep_schedule {
    deep_schedule_kind kind;
    deep_schedule_config config;
    int64_t *boundaries;
    double *values;
};

static const char *const kind_names[] = {
    [DEEP_SCHEDULE_EXPONENTIAL_DECAY] = "ExponentialDecay",
    [DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY] = "PiecewiseConstantDecay",
    [DEEP_SCHEDULE_COSINE_DECAY] = "CosineDecay",
};
#define KIND_LIMIT ((int)(sizeof kind_names / sizeof kind_names[0]))

const char *deep_schedule_kind_name(deep_schedule_kind kind)
{
    return kind > 0 && (int)kind < KIND_LIMIT ? kind_names[kind] : NULL;
}

deep_schedule_kind deep_schedule_kind_by_name(const char *name)
{
    for (int k = 1; k < KIND_LIMIT; k++)
        if (strcmp(kind_names[k], name) == 0)
            return (deep_schedule_kind)k;
    return (deep_schedule_kind)0;
}

static deep_status make(deep_schedule_kind kind, const deep_schedule_config *config, deep_schedule **out,
                        const char *func)
{
    deep_schedule *s = calloc(1, sizeof *s);
    if (s == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, func, "out of memory");
    s->kind = kind;
    s->config = *config;
    *out = s;
    return DEEP_OK;
}

deep_status deep_schedule_new_exponential_decay(double initial_learning_rate, int64_t decay_steps,
                                                double decay_rate, int32_t staircase, deep_schedule **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    if (!(isfinite(initial_learning_rate) && initial_learning_rate > 0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "initial_learning_rate must be finite and > 0, got %g",
                         initial_learning_rate);
    if (decay_steps < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "decay_steps must be >= 1, got %lld", (long long)decay_steps);
    if (!(isfinite(decay_rate) && decay_rate > 0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "decay_rate must be finite and > 0, got %g", decay_rate);
    if (staircase != 0 && staircase != 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "staircase must be 0 or 1, got %d", (int)staircase);
    deep_schedule_config c = {.initial_learning_rate = initial_learning_rate, .decay_steps = decay_steps,
                              .decay_rate = decay_rate, .staircase = staircase, .warmup_target = NAN};
    return make(DEEP_SCHEDULE_EXPONENTIAL_DECAY, &c, out, __func__);
}

deep_status deep_schedule_new_piecewise_constant_decay(const int64_t *boundaries, int64_t count, const double *values,
                                                       deep_schedule **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(boundaries);
    DEEP_REQUIRE(values);
    /* Keras evaluates one comparison per boundary at every step; a million is plenty. */
    if (count < 1 || count > 1000000)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "count must be in 1..1000000 (boundaries), got %lld",
                         (long long)count);
    for (int64_t i = 0; i < count; i++)
        if (boundaries[i] < 0 || (i > 0 && boundaries[i] <= boundaries[i - 1]))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                             "boundaries must be >= 0 and strictly increasing, but boundaries[%lld] is %lld",
                             (long long)i, (long long)boundaries[i]);
    for (int64_t i = 0; i <= count; i++)
        if (!(isfinite(values[i]) && values[i] > 0))
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "values[%lld] must be finite and > 0, got %g", (long long)i,
                             values[i]);
    int64_t *b = deep_alloc(count, sizeof *b);
    double *v = deep_alloc(count + 1, sizeof *v);
    deep_schedule_config c = {.count = count, .boundaries = b, .values = v, .warmup_target = NAN};
    deep_status status = b && v ? make(DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY, &c, out, __func__)
                                : DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld boundaries", (long long)count);
    if (status != DEEP_OK) {
        free(b);
        free(v);
        return status;
    }
    memcpy(b, boundaries, (size_t)count * sizeof *b);
    memcpy(v, values, (size_t)(count + 1) * sizeof *v);
    (*out)->boundaries = b;
    (*out)->values = v;
    return DEEP_OK;
}

deep_status deep_schedule_new_cosine_decay(double initial_learning_rate, int64_t decay_steps, double alpha,
                                           double warmup_target, int64_t warmup_steps, deep_schedule **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    if (!(isfinite(initial_learning_rate) && initial_learning_rate >= 0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "initial_learning_rate must be finite and >= 0, got %g",
                         initial_learning_rate);
    if (decay_steps < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "decay_steps must be >= 1, got %lld", (long long)decay_steps);
    if (!(alpha >= 0 && alpha <= 1))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "alpha must be in [0, 1], got %g", alpha);
    if (!isnan(warmup_target) && !(isfinite(warmup_target) && warmup_target > 0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "warmup_target must be NaN (none) or finite and > 0, got %g",
                         warmup_target);
    if (warmup_steps < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "warmup_steps must be >= 0, got %lld", (long long)warmup_steps);
    deep_schedule_config c = {.initial_learning_rate = initial_learning_rate, .decay_steps = decay_steps,
                              .alpha = alpha, .warmup_target = warmup_target, .warmup_steps = warmup_steps};
    return make(DEEP_SCHEDULE_COSINE_DECAY, &c, out, __func__);
}

void deep_schedule_free(deep_schedule *schedule)
{
    if (schedule == NULL)
        return;
    free(schedule->boundaries);
    free(schedule->values);
    free(schedule);
}

deep_status deep_schedule_kind_of(const deep_schedule *schedule, deep_schedule_kind *kind)
{
    DEEP_REQUIRE(schedule);
    DEEP_REQUIRE(kind);
    *kind = schedule->kind;
    return DEEP_OK;
}

void deep_schedule_config_of(const deep_schedule *schedule, deep_schedule_config *config)
{
    *config = schedule->config;
}

static double cosine(double from, double step, double decay_steps, double alpha)
{
    const double pi = 3.14159265358979323846;
    return from * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha);
}

double deep_schedule_at(const deep_schedule *schedule, int64_t step)
{
    const deep_schedule_config *c = &schedule->config;
    const double t = (double)step;
    switch (schedule->kind) {
    case DEEP_SCHEDULE_EXPONENTIAL_DECAY: {
        double p = t / (double)c->decay_steps;
        return c->initial_learning_rate * pow(c->decay_rate, c->staircase ? floor(p) : p);
    }
    case DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY: {
        int64_t i = 0; /* the first boundary at or above step; values[count] past the last */
        while (i < c->count && step > c->boundaries[i])
            i++;
        return c->values[i];
    }
    case DEEP_SCHEDULE_COSINE_DECAY: {
        const double decay = (double)c->decay_steps;
        if (isnan(c->warmup_target))
            return cosine(c->initial_learning_rate, fmin(t, decay), decay, c->alpha);
        const double warmup = (double)c->warmup_steps, s = fmin(t, decay + warmup);
        if (s < warmup)
            return (c->warmup_target - c->initial_learning_rate) * (s / warmup) + c->initial_learning_rate;
        return cosine(c->warmup_target, s - warmup, decay, c->alpha);
    }
    }
    return 0;
}

deep_status deep_schedule_learning_rate(const deep_schedule *schedule, int64_t step, double *learning_rate)
{
    DEEP_REQUIRE(schedule);
    DEEP_REQUIRE(learning_rate);
    if (step < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "step must be >= 0, got %lld", (long long)step);
    *learning_rate = deep_schedule_at(schedule, step);
    return DEEP_OK;
}
