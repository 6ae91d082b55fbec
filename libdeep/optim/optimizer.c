/* Optimizers: SGD (with momentum and Nesterov), Adam, RMSprop and Adagrad with Keras'
 * update rules and defaults. Options live in one array indexed by deep_optimizer_option;
 * a table per kind says which options apply, their defaults and how many per-element
 * state arrays the kind keeps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/fastmath.h"
#include "optim/optim.h"

/* The tables below are indexed by enumerator value, so their sizes are one past the last
 * enumerator; everything else (model files included) iterates them through
 * deep_optimizer_option_at and deep_optimizer_kind_at, and test_optim checks that they
 * name every enumerator of deep.h, so a new option or kind cannot be left out silently. */
#define OPTION_COUNT (DEEP_OPT_INITIAL_ACCUMULATOR + 1)
#define KIND_COUNT (DEEP_OPTIMIZER_ADAGRAD + 1)
#define BIT(option) (1u << (option))
_Static_assert(OPTION_COUNT <= DEEP_OPTIMIZER_OPTION_LIMIT, "options are bits of a uint32_t");

struct kind_info {
    const char *name;
    int32_t states;   /* per-element float arrays: velocity, moments, accumulators */
    const char *state_names[2];
    uint32_t options; /* BIT(option) for each option the kind accepts */
    float defaults[OPTION_COUNT];
};

static const struct kind_info kinds[KIND_COUNT] = {
    [DEEP_OPTIMIZER_SGD] = {"SGD", 1, {"momentum"}, BIT(DEEP_OPT_LEARNING_RATE) | BIT(DEEP_OPT_MOMENTUM) | BIT(DEEP_OPT_NESTEROV),
                            {[DEEP_OPT_LEARNING_RATE] = 0.01f}},
    [DEEP_OPTIMIZER_ADAM] = {"Adam", 2, {"momentum", "velocity"},
                             BIT(DEEP_OPT_LEARNING_RATE) | BIT(DEEP_OPT_BETA_1) | BIT(DEEP_OPT_BETA_2) |
                                 BIT(DEEP_OPT_EPSILON),
                             {[DEEP_OPT_LEARNING_RATE] = 0.001f, [DEEP_OPT_BETA_1] = 0.9f,
                              [DEEP_OPT_BETA_2] = 0.999f, [DEEP_OPT_EPSILON] = 1e-7f}},
    [DEEP_OPTIMIZER_RMSPROP] = {"RMSprop", 2, {"velocity", "momentum"},
                                BIT(DEEP_OPT_LEARNING_RATE) | BIT(DEEP_OPT_RHO) | BIT(DEEP_OPT_MOMENTUM) |
                                    BIT(DEEP_OPT_EPSILON),
                                {[DEEP_OPT_LEARNING_RATE] = 0.001f, [DEEP_OPT_RHO] = 0.9f,
                                 [DEEP_OPT_EPSILON] = 1e-7f}},
    [DEEP_OPTIMIZER_ADAGRAD] = {"Adagrad", 1, {"accumulator"},
                                BIT(DEEP_OPT_LEARNING_RATE) | BIT(DEEP_OPT_INITIAL_ACCUMULATOR) |
                                    BIT(DEEP_OPT_EPSILON),
                                {[DEEP_OPT_LEARNING_RATE] = 0.001f, [DEEP_OPT_INITIAL_ACCUMULATOR] = 0.1f,
                                 [DEEP_OPT_EPSILON] = 1e-7f}},
};

static const char *const option_names[OPTION_COUNT] = {
    [DEEP_OPT_LEARNING_RATE] = "learning_rate", [DEEP_OPT_MOMENTUM] = "momentum",
    [DEEP_OPT_NESTEROV] = "nesterov",           [DEEP_OPT_BETA_1] = "beta_1",
    [DEEP_OPT_BETA_2] = "beta_2",               [DEEP_OPT_EPSILON] = "epsilon",
    [DEEP_OPT_RHO] = "rho",                     [DEEP_OPT_INITIAL_ACCUMULATOR] = "initial_accumulator",
};

struct deep_optimizer {
    deep_optimizer_kind kind;
    const struct kind_info *info;
    float settings[OPTION_COUNT]; /* what the caller set; may change between steps */
    /* Frozen by begin_step so that concurrent updates of one step all read the same
     * values and never write shared memory. */
    float step_settings[OPTION_COUNT];
    float adam_rate;  /* lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) */
    int64_t step;     /* steps begun since bind; 0 means update has nothing to do yet */
    int32_t count;    /* bound parameters */
    int64_t *offsets; /* count + 1 prefix sums of the parameter sizes */
    float *state;     /* info->states arrays of offsets[count] floats, one after another */
};

deep_status deep_optimizer_new(deep_optimizer_kind kind, deep_optimizer **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    if (kind <= 0 || kind >= KIND_COUNT)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "unknown optimizer kind %d", (int)kind);
    deep_optimizer *opt = calloc(1, sizeof *opt);
    if (opt == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
    opt->kind = kind;
    opt->info = &kinds[kind];
    memcpy(opt->settings, opt->info->defaults, sizeof opt->settings);
    *out = opt;
    return DEEP_OK;
}

void deep_optimizer_free(deep_optimizer *optimizer)
{
    if (optimizer == NULL)
        return;
    free(optimizer->offsets);
    free(optimizer->state);
    free(optimizer);
}

/* Checks that option is known and applies to the optimizer's kind. */
static deep_status check_option(const deep_optimizer *opt, deep_optimizer_option option, const char *func)
{
    if (option <= 0 || option >= OPTION_COUNT)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, func, "unknown option %d", (int)option);
    if (!(opt->info->options & BIT(option)))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, func, "option %s does not apply to %s",
                              option_names[option], opt->info->name);
    return DEEP_OK;
}

/* The rule value must satisfy, or NULL when it does. Written so that NaN fails every rule. */
static const char *value_rule(deep_optimizer_option option, float value)
{
    switch (option) {
    case DEEP_OPT_LEARNING_RATE:
    case DEEP_OPT_EPSILON:
        return isfinite(value) && value > 0 ? NULL : "finite and > 0";
    case DEEP_OPT_MOMENTUM:
    case DEEP_OPT_BETA_1:
    case DEEP_OPT_BETA_2:
    case DEEP_OPT_RHO:
        return value >= 0 && value < 1 ? NULL : "in [0, 1)";
    case DEEP_OPT_NESTEROV:
        return value == 0 || value == 1 ? NULL : "0 or 1";
    case DEEP_OPT_INITIAL_ACCUMULATOR:
        return isfinite(value) && value >= 0 ? NULL : "finite and >= 0";
    }
    return "a known option";
}

/* Settings arrive as double (deep.h's type rule) and are kept as the float the update
 * arithmetic uses; the rule is checked on that float (0.999999999 rounds to 1). */
deep_status deep_optimizer_set_float(deep_optimizer *optimizer, deep_optimizer_option option, double value)
{
    DEEP_REQUIRE(optimizer);
    DEEP_TRY(check_option(optimizer, option, __func__));
    float stored = (float)value;
    const char *rule = value_rule(option, stored);
    if (rule != NULL)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "%s of %s must be %s (as a float), got %g", option_names[option],
                         optimizer->info->name, rule, value);
    optimizer->settings[option] = stored;
    return DEEP_OK;
}

deep_status deep_optimizer_get_float(const deep_optimizer *optimizer, deep_optimizer_option option, double *value)
{
    DEEP_REQUIRE(optimizer);
    DEEP_REQUIRE(value);
    DEEP_TRY(check_option(optimizer, option, __func__));
    *value = optimizer->settings[option];
    return DEEP_OK;
}

/* Adagrad's accumulators start at initial_accumulator (read at bind, as Keras reads it
 * when it builds its slots); every other state starts at zero. */
deep_status deep_optimizer_bind(deep_optimizer *optimizer, int32_t count, const int64_t *sizes)
{
    DEEP_REQUIRE(optimizer);
    if (count < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "parameter count %d is negative", (int)count);
    if (count > 0 && sizes == NULL)
        return DEEP_FAIL(DEEP_ERR_NULL, "argument 'sizes' is NULL");
    int64_t *offsets = deep_alloc((int64_t)count + 1, sizeof *offsets);
    if (offsets == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %d parameters", (int)count);
    offsets[0] = 0;
    for (int32_t i = 0; i < count; i++) {
        if (sizes[i] < 0) {
            free(offsets);
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "parameter %d has negative size %lld", (int)i,
                             (long long)sizes[i]);
        }
        if (sizes[i] > INT64_MAX - offsets[i]) {
            free(offsets);
            return DEEP_FAIL(DEEP_ERR_OVERFLOW, "total parameter size overflows at parameter %d", (int)i);
        }
        offsets[i + 1] = offsets[i] + sizes[i];
    }
    const int64_t total = offsets[count];
    int64_t floats;
    float *state = NULL;
    if (!deep_mul_i64(total, optimizer->info->states, &floats) ||
        (state = deep_alloc_zero(floats, sizeof *state)) == NULL) {
        free(offsets);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the state of %lld parameters", (long long)total);
    }
    if (optimizer->kind == DEEP_OPTIMIZER_ADAGRAD) {
        const float initial = optimizer->settings[DEEP_OPT_INITIAL_ACCUMULATOR];
        for (int64_t i = 0; i < total; i++)
            state[i] = initial;
    }
    free(optimizer->offsets);
    free(optimizer->state);
    optimizer->offsets = offsets;
    optimizer->state = state;
    optimizer->count = count;
    optimizer->step = 0;
    return DEEP_OK;
}

void deep_optimizer_begin_step(deep_optimizer *optimizer)
{
    if (optimizer == NULL)
        return;
    optimizer->step++;
    memcpy(optimizer->step_settings, optimizer->settings, sizeof optimizer->settings);
    if (optimizer->kind == DEEP_OPTIMIZER_ADAM) {
        const float *s = optimizer->step_settings;
        const double t = (double)optimizer->step;
        optimizer->adam_rate = (float)(s[DEEP_OPT_LEARNING_RATE] * sqrt(1.0 - pow(s[DEEP_OPT_BETA_2], t)) /
                                       (1.0 - pow(s[DEEP_OPT_BETA_1], t)));
    }
}

/* The update rules. RMSprop and Adagrad add epsilon inside the square root, as Keras
 * does (PyTorch adds it outside: sqrt(v) + eps); Adam adds it outside, as both do.
 * restrict and plain float loops let the compiler vectorise them, and
 * each is also built for AVX2 (DEEP_VECTOR_CLONES): Adam was 8% of an MLP epoch at SSE width. */

DEEP_VECTOR_CLONES static void sgd(float *restrict w, const float *restrict g, float *restrict v, int64_t n, float lr, float mu,
                bool nesterov)
{
    if (mu == 0) {
        for (int64_t i = 0; i < n; i++)
            w[i] -= lr * g[i];
    } else if (nesterov) {
        for (int64_t i = 0; i < n; i++) {
            v[i] = mu * v[i] - lr * g[i];
            w[i] += mu * v[i] - lr * g[i];
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            v[i] = mu * v[i] - lr * g[i];
            w[i] += v[i];
        }
    }
}

DEEP_VECTOR_CLONES static void adam(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, int64_t n,
                 float rate, float b1, float b2, float eps)
{
    for (int64_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= rate * m[i] / (sqrtf(v[i]) + eps);
    }
}

DEEP_VECTOR_CLONES static void rmsprop(float *restrict w, const float *restrict g, float *restrict a, float *restrict mom, int64_t n,
                    float lr, float rho, float mu, float eps)
{
    if (mu == 0) {
        for (int64_t i = 0; i < n; i++) {
            a[i] = rho * a[i] + (1 - rho) * g[i] * g[i];
            w[i] -= lr * g[i] / sqrtf(a[i] + eps);
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            a[i] = rho * a[i] + (1 - rho) * g[i] * g[i];
            mom[i] = mu * mom[i] + lr * g[i] / sqrtf(a[i] + eps);
            w[i] -= mom[i];
        }
    }
}

DEEP_VECTOR_CLONES static void adagrad(float *restrict w, const float *restrict g, float *restrict acc, int64_t n, float lr, float eps)
{
    for (int64_t i = 0; i < n; i++) {
        acc[i] += g[i] * g[i];
        w[i] -= lr * g[i] / sqrtf(acc[i] + eps);
    }
}

/* Reads only what begin_step froze and writes only elements [begin, end) of the weights
 * and state, so threads updating disjoint ranges never race. Bad arguments (possible only
 * through a bug in the caller) leave everything untouched. */
void deep_optimizer_update(deep_optimizer *optimizer, int32_t slot, float *weights, const float *grads,
                           int64_t begin, int64_t end)
{
    if (optimizer == NULL || optimizer->step == 0 || weights == NULL || grads == NULL || slot < 0 ||
        slot >= optimizer->count || begin < 0 || begin >= end ||
        end > optimizer->offsets[slot + 1] - optimizer->offsets[slot])
        return;
    const float *s = optimizer->step_settings;
    float *state = optimizer->state + optimizer->offsets[slot] + begin;
    const int64_t total = optimizer->offsets[optimizer->count]; /* distance between state arrays */
    float *w = weights + begin;
    const float *g = grads + begin;
    const int64_t n = end - begin;
    const float lr = s[DEEP_OPT_LEARNING_RATE], eps = s[DEEP_OPT_EPSILON];
    switch (optimizer->kind) {
    case DEEP_OPTIMIZER_SGD:
        sgd(w, g, state, n, lr, s[DEEP_OPT_MOMENTUM], s[DEEP_OPT_NESTEROV] != 0);
        break;
    case DEEP_OPTIMIZER_ADAM:
        adam(w, g, state, state + total, n, optimizer->adam_rate, s[DEEP_OPT_BETA_1], s[DEEP_OPT_BETA_2], eps);
        break;
    case DEEP_OPTIMIZER_RMSPROP:
        rmsprop(w, g, state, state + total, n, lr, s[DEEP_OPT_RHO], s[DEEP_OPT_MOMENTUM], eps);
        break;
    case DEEP_OPTIMIZER_ADAGRAD:
        adagrad(w, g, state, n, lr, eps);
        break;
    }
}

/* ---------------------------------------------------------------- model files */

deep_optimizer_kind deep_optimizer_kind_of(const deep_optimizer *optimizer)
{
    return optimizer->kind;
}

const char *deep_optimizer_kind_name(deep_optimizer_kind kind)
{
    return kind > 0 && kind < KIND_COUNT ? kinds[kind].name : NULL;
}

int32_t deep_optimizer_kind_count(void)
{
    return KIND_COUNT - 1;
}

deep_optimizer_kind deep_optimizer_kind_at(int32_t index)
{
    return index >= 0 && index < KIND_COUNT - 1 ? (deep_optimizer_kind)(index + 1) : (deep_optimizer_kind)0;
}

deep_optimizer_kind deep_optimizer_kind_by_name(const char *name)
{
    for (int k = 1; k < KIND_COUNT; k++)
        if (strcmp(kinds[k].name, name) == 0)
            return (deep_optimizer_kind)k;
    return (deep_optimizer_kind)0;
}

int32_t deep_optimizer_option_count(void)
{
    return OPTION_COUNT - 1;
}

deep_optimizer_option deep_optimizer_option_at(int32_t index)
{
    return index >= 0 && index < OPTION_COUNT - 1 ? (deep_optimizer_option)(index + 1) : (deep_optimizer_option)0;
}

deep_optimizer_option deep_optimizer_option_by_name(const char *name)
{
    for (int o = 1; o < OPTION_COUNT; o++)
        if (strcmp(option_names[o], name) == 0)
            return (deep_optimizer_option)o;
    return (deep_optimizer_option)0;
}

const char *deep_optimizer_option_name(deep_optimizer_option option)
{
    return option > 0 && option < OPTION_COUNT ? option_names[option] : NULL;
}

bool deep_optimizer_has_option(const deep_optimizer *optimizer, deep_optimizer_option option)
{
    return option > 0 && option < OPTION_COUNT && (optimizer->info->options & BIT(option)) != 0;
}

int32_t deep_optimizer_state_count(const deep_optimizer *optimizer)
{
    return optimizer->info->states;
}

const char *deep_optimizer_state_name(const deep_optimizer *optimizer, int32_t index)
{
    return optimizer->info->state_names[index];
}

float *deep_optimizer_state(const deep_optimizer *optimizer, int32_t index)
{
    if (optimizer->state == NULL || index < 0 || index >= optimizer->info->states)
        return NULL;
    return optimizer->state + (size_t)index * (size_t)optimizer->offsets[optimizer->count];
}

int64_t deep_optimizer_step(const deep_optimizer *optimizer)
{
    return optimizer->step;
}

void deep_optimizer_set_step(deep_optimizer *optimizer, int64_t step)
{
    optimizer->step = step;
}
