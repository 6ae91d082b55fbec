/* Optimizers: SGD (with momentum and Nesterov), Adam (with AMSGrad), RMSprop, Adagrad,
 * Nadam, AdamW and Adamax with Keras' update rules and defaults, and Keras' base-optimizer
 * options every kind takes: weight decay and gradient clipping. Options live in one array
 * indexed by deep_optimizer_option; a table per kind says which options apply, their
 * defaults and how many per-element state arrays the kind keeps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/fastmath.h"
#include "optim/optim.h"
#include "optim/schedule.h"

/* The tables below are indexed by enumerator value, so their sizes are one past the last
 * enumerator; everything else (model files included) iterates them through
 * deep_optimizer_option_at and deep_optimizer_kind_at, and test_optim checks that they
 * name every enumerator of deep.h, so a new option or kind cannot be left out silently. */
#define OPTION_COUNT (DEEP_OPT_AMSGRAD + 1)
#define KIND_COUNT (DEEP_OPTIMIZER_ADAMAX + 1)
#define BIT(option) (1u << (option))
_Static_assert(OPTION_COUNT <= DEEP_OPTIMIZER_OPTION_LIMIT, "options are bits of a uint32_t");

/* Keras' base-optimizer arguments, which every kind takes. */
#define GENERIC (BIT(DEEP_OPT_WEIGHT_DECAY) | BIT(DEEP_OPT_CLIPNORM) | BIT(DEEP_OPT_CLIPVALUE) | BIT(DEEP_OPT_GLOBAL_CLIPNORM))
#define ADAM_LIKE (BIT(DEEP_OPT_LEARNING_RATE) | BIT(DEEP_OPT_BETA_1) | BIT(DEEP_OPT_BETA_2) | BIT(DEEP_OPT_EPSILON))
#define ADAM_DEFAULTS [DEEP_OPT_LEARNING_RATE] = 0.001f, [DEEP_OPT_BETA_1] = 0.9f, [DEEP_OPT_BETA_2] = 0.999f, \
                      [DEEP_OPT_EPSILON] = 1e-7f

struct kind_info {
    const char *name;
    int32_t states;   /* per-element float arrays: velocity, moments, accumulators */
    const char *state_names[3]; /* the third: Adam's "velocity_hat", only with amsgrad */
    uint32_t options; /* BIT(option) for each option the kind accepts */
    float defaults[OPTION_COUNT];
};

static const struct kind_info kinds[KIND_COUNT] = {
    [DEEP_OPTIMIZER_SGD] = {"SGD", 1, {"momentum"},
                            GENERIC | BIT(DEEP_OPT_LEARNING_RATE) | BIT(DEEP_OPT_MOMENTUM) | BIT(DEEP_OPT_NESTEROV),
                            {[DEEP_OPT_LEARNING_RATE] = 0.01f}},
    [DEEP_OPTIMIZER_ADAM] = {"Adam", 2, {"momentum", "velocity", "velocity_hat"},
                             GENERIC | ADAM_LIKE | BIT(DEEP_OPT_AMSGRAD), {ADAM_DEFAULTS}},
    [DEEP_OPTIMIZER_RMSPROP] = {"RMSprop", 2, {"velocity", "momentum"},
                                GENERIC | BIT(DEEP_OPT_LEARNING_RATE) | BIT(DEEP_OPT_RHO) | BIT(DEEP_OPT_MOMENTUM) |
                                    BIT(DEEP_OPT_EPSILON),
                                {[DEEP_OPT_LEARNING_RATE] = 0.001f, [DEEP_OPT_RHO] = 0.9f,
                                 [DEEP_OPT_EPSILON] = 1e-7f}},
    [DEEP_OPTIMIZER_ADAGRAD] = {"Adagrad", 1, {"accumulator"},
                                GENERIC | BIT(DEEP_OPT_LEARNING_RATE) | BIT(DEEP_OPT_INITIAL_ACCUMULATOR) |
                                    BIT(DEEP_OPT_EPSILON),
                                {[DEEP_OPT_LEARNING_RATE] = 0.001f, [DEEP_OPT_INITIAL_ACCUMULATOR] = 0.1f,
                                 [DEEP_OPT_EPSILON] = 1e-7f}},
    [DEEP_OPTIMIZER_NADAM] = {"Nadam", 2, {"momentum", "velocity"}, GENERIC | ADAM_LIKE, {ADAM_DEFAULTS}},
    [DEEP_OPTIMIZER_ADAMW] = {"AdamW", 2, {"momentum", "velocity", "velocity_hat"},
                              GENERIC | ADAM_LIKE | BIT(DEEP_OPT_AMSGRAD),
                              {ADAM_DEFAULTS, [DEEP_OPT_WEIGHT_DECAY] = 0.004f}},
    [DEEP_OPTIMIZER_ADAMAX] = {"Adamax", 2, {"momentum", "norm"}, GENERIC | ADAM_LIKE, {ADAM_DEFAULTS}},
};

static const char *const option_names[OPTION_COUNT] = {
    [DEEP_OPT_LEARNING_RATE] = "learning_rate", [DEEP_OPT_MOMENTUM] = "momentum",
    [DEEP_OPT_NESTEROV] = "nesterov",           [DEEP_OPT_BETA_1] = "beta_1",
    [DEEP_OPT_BETA_2] = "beta_2",               [DEEP_OPT_EPSILON] = "epsilon",
    [DEEP_OPT_RHO] = "rho",                     [DEEP_OPT_INITIAL_ACCUMULATOR] = "initial_accumulator",
    [DEEP_OPT_WEIGHT_DECAY] = "weight_decay",   [DEEP_OPT_CLIPNORM] = "clipnorm",
    [DEEP_OPT_CLIPVALUE] = "clipvalue",         [DEEP_OPT_GLOBAL_CLIPNORM] = "global_clipnorm",
    [DEEP_OPT_AMSGRAD] = "amsgrad",
};

/* Options added after 1.0: files from before them lack them, so they are optional in
 * model files and written only when they differ from the default. */
#define SINCE_1_1 (GENERIC | BIT(DEEP_OPT_AMSGRAD))

/* Per-step numbers every update of the step reads, fixed by begin_step. */
struct step_numbers {
    float lr;        /* the learning rate of this step (the schedule's, if any) */
    float rate;      /* Adam: lr * sqrt(1 - beta_2^t) / (1 - beta_1^t); Adamax: lr / (1 - beta_1^t) */
    float decay;     /* weight_decay * lr */
    float nadam_m;   /* Nadam: u_(t+1) / (1 - prod u_1..u_(t+1)) */
    float nadam_g;   /* Nadam: (1 - u_t) / (1 - prod u_1..u_t) */
    float nadam_v;   /* Nadam: 1 / (1 - beta_2^t) */
    bool clipping;   /* clipvalue, or a norm scale below 1 somewhere */
};

struct deep_optimizer {
    deep_optimizer_kind kind;
    const struct kind_info *info;
    float settings[OPTION_COUNT]; /* what the caller set; may change between steps */
    /* Frozen by begin_step so that concurrent updates of one step all read the same
     * values and never write shared memory. */
    float step_settings[OPTION_COUNT];
    struct step_numbers num;
    double nadam_product; /* Keras' u_product: u_1 * ... * u_t after begin_step of step t */
    deep_schedule *schedule; /* owned; NULL: the learning_rate setting */
    int64_t step;     /* steps begun since bind; 0 means update has nothing to do yet */
    int32_t count;    /* bound parameters */
    int64_t *offsets; /* count + 1 prefix sums of the parameter sizes */
    float *state;     /* states() arrays of offsets[count] floats, one after another */
    /* The weight tensors, which clipnorm and weight decay treat one by one: a partition of
     * the bound elements (all parameters one after another). One per parameter until
     * deep_optimizer_set_tensors says otherwise. */
    int32_t tensor_count;
    int64_t *tensor_offsets; /* tensor_count + 1 prefix sums */
    bool *decays;            /* per tensor: weight decay applies (trainable weights) */
    float *scales;           /* per tensor: this step's clipnorm / global_clipnorm factor */
};

/* State arrays: the kind's, and Adam's velocity_hat with amsgrad (fixed from bind on). */
static int32_t states(const deep_optimizer *opt)
{
    return opt->info->states + (opt->settings[DEEP_OPT_AMSGRAD] != 0 ? 1 : 0);
}

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
    free(optimizer->tensor_offsets);
    free(optimizer->decays);
    free(optimizer->scales);
    deep_schedule_free(optimizer->schedule);
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
    case DEEP_OPT_WEIGHT_DECAY:
    case DEEP_OPT_CLIPNORM:
    case DEEP_OPT_CLIPVALUE:
    case DEEP_OPT_GLOBAL_CLIPNORM:
        return isfinite(value) && value >= 0 ? NULL : "finite and >= 0";
    case DEEP_OPT_AMSGRAD:
        return value == 0 || value == 1 ? NULL : "0 or 1";
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
    if (option == DEEP_OPT_LEARNING_RATE && optimizer->schedule != NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "learning_rate of %s follows its schedule and cannot be set; remove the "
                         "schedule first (deep_optimizer_set_schedule with NULL)", optimizer->info->name);
    if (option == DEEP_OPT_AMSGRAD && optimizer->state != NULL && stored != optimizer->settings[option])
        return DEEP_FAIL(DEEP_ERR_STATE, "amsgrad of %s cannot change once the optimizer is compiled into a model "
                         "(its velocity_hat state is made then)", optimizer->info->name);
    static const deep_optimizer_option clips[] = {DEEP_OPT_CLIPNORM, DEEP_OPT_CLIPVALUE, DEEP_OPT_GLOBAL_CLIPNORM};
    for (int i = 0; i < 3 && stored != 0; i++)
        if ((option == DEEP_OPT_CLIPNORM || option == DEEP_OPT_CLIPVALUE || option == DEEP_OPT_GLOBAL_CLIPNORM) &&
            clips[i] != option && optimizer->settings[clips[i]] != 0)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                             "only one of clipnorm, clipvalue and global_clipnorm can be set, as in Keras; %s is "
                             "already %g (set it to 0 first)",
                             option_names[clips[i]], (double)optimizer->settings[clips[i]]);
    optimizer->settings[option] = stored;
    return DEEP_OK;
}

deep_status deep_optimizer_get_float(const deep_optimizer *optimizer, deep_optimizer_option option, double *value)
{
    DEEP_REQUIRE(optimizer);
    DEEP_REQUIRE(value);
    DEEP_TRY(check_option(optimizer, option, __func__));
    *value = optimizer->settings[option];
    if (option == DEEP_OPT_LEARNING_RATE && optimizer->schedule != NULL) /* Keras: the next step's rate */
        *value = (float)deep_schedule_at(optimizer->schedule, optimizer->step);
    return DEEP_OK;
}

deep_status deep_optimizer_set_schedule(deep_optimizer *optimizer, deep_schedule *schedule)
{
    if (optimizer == NULL) {
        deep_schedule_free(schedule);
        return DEEP_FAIL(DEEP_ERR_NULL, "argument 'optimizer' is NULL");
    }
    if (optimizer->schedule != schedule)
        deep_schedule_free(optimizer->schedule);
    optimizer->schedule = schedule;
    return DEEP_OK;
}

deep_status deep_optimizer_get_schedule(const deep_optimizer *optimizer, const deep_schedule **schedule)
{
    DEEP_REQUIRE(optimizer);
    DEEP_REQUIRE(schedule);
    *schedule = optimizer->schedule;
    return DEEP_OK;
}

/* Keras' Nadam momentum schedule u_t = beta_1 (1 - 0.5 * 0.96^t). */
static double nadam_u(double beta_1, double t)
{
    return beta_1 * (1.0 - 0.5 * pow(0.96, t));
}

/* u_1 * ... * u_t. Past t = 2500, 0.96^t is below 1e-44 and u_t is beta_1 in double, so a
 * file's huge step count costs no loop of that length. */
static double nadam_product(double beta_1, int64_t t)
{
    double product = 1;
    int64_t i = 1;
    for (; i <= t && i <= 2500; i++)
        product *= nadam_u(beta_1, (double)i);
    if (t > 2500)
        product *= pow(beta_1, (double)(t - 2500));
    return product;
}

/* Sets the tensor partition of n bound elements to `count` tensors of the given sizes,
 * decayed unless decays (NULL: all decay) says otherwise. Leaves the optimizer as it was
 * on failure. */
static deep_status partition(deep_optimizer *opt, int32_t count, const int64_t *sizes, const bool *decays,
                             int64_t n, const char *func)
{
    const int64_t room = count > 0 ? count : 1;
    int64_t *offsets = deep_alloc(room + 1, sizeof *offsets);
    bool *d = deep_alloc(room, sizeof *d);
    float *scales = deep_alloc(room, sizeof *scales);
    deep_status status = DEEP_OK;
    if (offsets == NULL || d == NULL || scales == NULL) {
        status = deep_error_set(DEEP_ERR_NO_MEMORY, func, "out of memory for %d weight tensors", (int)count);
        goto fail;
    }
    offsets[0] = 0;
    for (int32_t i = 0; i < count; i++) {
        if (sizes[i] < 0 || sizes[i] > n - offsets[i]) {
            status = deep_error_set(DEEP_ERR_INVALID_ARGUMENT, func,
                                    "weight tensor %d of size %lld does not fit in the %lld bound elements", (int)i,
                                    (long long)sizes[i], (long long)n);
            goto fail;
        }
        offsets[i + 1] = offsets[i] + sizes[i];
        d[i] = decays == NULL || decays[i];
        scales[i] = 1;
    }
    if (offsets[count] != n) {
        status = deep_error_set(DEEP_ERR_INVALID_ARGUMENT, func, "the weight tensors hold %lld elements but %lld are bound",
                                (long long)offsets[count], (long long)n);
        goto fail;
    }
    free(opt->tensor_offsets);
    free(opt->decays);
    free(opt->scales);
    opt->tensor_offsets = offsets;
    opt->decays = d;
    opt->scales = scales;
    opt->tensor_count = count;
    return DEEP_OK;
fail:
    free(offsets);
    free(d);
    free(scales);
    return status;
}

deep_status deep_optimizer_set_tensors(deep_optimizer *optimizer, int32_t count, const int64_t *sizes,
                                       const bool *decays)
{
    DEEP_REQUIRE(optimizer);
    if (optimizer->offsets == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "the optimizer is not bound");
    if (count < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "tensor count %d is negative", (int)count);
    if (count > 0 && sizes == NULL)
        return DEEP_FAIL(DEEP_ERR_NULL, "argument 'sizes' is NULL");
    return partition(optimizer, count, sizes, decays, optimizer->offsets[optimizer->count], __func__);
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
    if (!deep_mul_i64(total, states(optimizer), &floats) ||
        (state = deep_alloc_zero(floats, sizeof *state)) == NULL) {
        free(offsets);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the state of %lld parameters", (long long)total);
    }
    if (optimizer->kind == DEEP_OPTIMIZER_ADAGRAD) {
        const float initial = optimizer->settings[DEEP_OPT_INITIAL_ACCUMULATOR];
        for (int64_t i = 0; i < total; i++)
            state[i] = initial;
    }
    deep_status status = partition(optimizer, count, sizes, NULL, total, __func__);
    if (status != DEEP_OK) {
        free(offsets);
        free(state);
        return status;
    }
    free(optimizer->offsets);
    free(optimizer->state);
    optimizer->offsets = offsets;
    optimizer->state = state;
    optimizer->count = count;
    optimizer->step = 0;
    optimizer->nadam_product = 1;
    return DEEP_OK;
}

/* Keras' _clip_gradients: clipnorm scales each tensor by clipnorm / max(norm, clipnorm),
 * global_clipnorm all of them by clip * min(1 / norm, 1 / clip) (NaN for a non-finite
 * norm, as Keras). Norms are summed in double. */
static void clip_scales(deep_optimizer *opt, const float *grads)
{
    const float *s = opt->step_settings;
    const double clipnorm = s[DEEP_OPT_CLIPNORM], global = s[DEEP_OPT_GLOBAL_CLIPNORM];
    bool scaled = false;
    double all = 0;
    for (int32_t t = 0; t < opt->tensor_count; t++) {
        double sum = 0;
        if (grads != NULL && (clipnorm > 0 || global > 0))
            for (int64_t i = opt->tensor_offsets[t]; i < opt->tensor_offsets[t + 1]; i++)
                sum += (double)grads[i] * grads[i];
        all += sum;
        opt->scales[t] = clipnorm > 0 ? (float)(clipnorm / fmax(sqrt(sum), clipnorm)) : 1.0f;
        scaled |= opt->scales[t] != 1.0f;
    }
    if (global > 0 && grads != NULL) {
        const double norm = sqrt(all);
        const float scale = (float)(global * fmin(1.0 / norm, 1.0 / global) + (norm - norm));
        for (int32_t t = 0; t < opt->tensor_count; t++)
            opt->scales[t] = scale;
        scaled = scale != 1.0f;
    }
    opt->num.clipping = scaled || s[DEEP_OPT_CLIPVALUE] > 0;
}

void deep_optimizer_begin_step(deep_optimizer *optimizer, const float *grads)
{
    if (optimizer == NULL)
        return;
    deep_optimizer *opt = optimizer;
    /* Keras evaluates the schedule at `iterations`, the steps before this one. */
    const double lr = opt->schedule != NULL ? deep_schedule_at(opt->schedule, opt->step)
                                            : (double)opt->settings[DEEP_OPT_LEARNING_RATE];
    opt->step++;
    memcpy(opt->step_settings, opt->settings, sizeof opt->settings);
    const float *s = opt->step_settings;
    const double t = (double)opt->step, b1 = s[DEEP_OPT_BETA_1], b2 = s[DEEP_OPT_BETA_2];
    struct step_numbers *n = &opt->num;
    n->lr = (float)lr;
    n->decay = (float)(s[DEEP_OPT_WEIGHT_DECAY] * (double)n->lr);
    switch (opt->kind) {
    case DEEP_OPTIMIZER_ADAM:
    case DEEP_OPTIMIZER_ADAMW:
        n->rate = (float)(lr * sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t)));
        break;
    case DEEP_OPTIMIZER_ADAMAX:
        n->rate = (float)(lr / (1.0 - pow(b1, t)));
        break;
    case DEEP_OPTIMIZER_NADAM: {
        const double u = nadam_u(b1, t), u_next = nadam_u(b1, t + 1);
        opt->nadam_product *= u;
        n->nadam_m = (float)(u_next / (1.0 - opt->nadam_product * u_next));
        n->nadam_g = (float)((1.0 - u) / (1.0 - opt->nadam_product));
        n->nadam_v = (float)(1.0 / (1.0 - pow(b2, t)));
        break;
    }
    case DEEP_OPTIMIZER_SGD:
    case DEEP_OPTIMIZER_RMSPROP:
    case DEEP_OPTIMIZER_ADAGRAD:
        break;
    }
    if (opt->tensor_count > 0)
        clip_scales(opt, grads);
    else
        n->clipping = false;
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

DEEP_VECTOR_CLONES static void amsgrad(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                    float *restrict vhat, int64_t n, float rate, float b1, float b2, float eps)
{
    for (int64_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        vhat[i] = fmaxf(vhat[i], v[i]);
        w[i] -= rate * m[i] / (sqrtf(vhat[i]) + eps);
    }
}

/* Keras' Nadam: m_hat = nadam_m * m + nadam_g * g, v_hat = nadam_v * v. */
DEEP_VECTOR_CLONES static void nadam(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                  int64_t n, const struct step_numbers *k, float b1, float b2, float eps)
{
    const float lr = k->lr, cm = k->nadam_m, cg = k->nadam_g, cv = k->nadam_v;
    for (int64_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= lr * (cm * m[i] + cg * g[i]) / (sqrtf(v[i] * cv) + eps);
    }
}

DEEP_VECTOR_CLONES static void adamax(float *restrict w, const float *restrict g, float *restrict m, float *restrict u,
                   int64_t n, float rate, float b1, float b2, float eps)
{
    for (int64_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        u[i] = fmaxf(b2 * u[i], fabsf(g[i]));
        w[i] -= rate * m[i] / (u[i] + eps);
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

/* One kind's rule on n elements whose state arrays start at state, total apart. */
static void rule(const deep_optimizer *opt, float *w, const float *g, float *state, int64_t total, int64_t n)
{
    const float *s = opt->step_settings;
    const float lr = opt->num.lr, eps = s[DEEP_OPT_EPSILON], b1 = s[DEEP_OPT_BETA_1], b2 = s[DEEP_OPT_BETA_2];
    switch (opt->kind) {
    case DEEP_OPTIMIZER_SGD:
        sgd(w, g, state, n, lr, s[DEEP_OPT_MOMENTUM], s[DEEP_OPT_NESTEROV] != 0);
        break;
    case DEEP_OPTIMIZER_ADAM:
    case DEEP_OPTIMIZER_ADAMW:
        if (s[DEEP_OPT_AMSGRAD] != 0)
            amsgrad(w, g, state, state + total, state + 2 * total, n, opt->num.rate, b1, b2, eps);
        else
            adam(w, g, state, state + total, n, opt->num.rate, b1, b2, eps);
        break;
    case DEEP_OPTIMIZER_RMSPROP:
        rmsprop(w, g, state, state + total, n, lr, s[DEEP_OPT_RHO], s[DEEP_OPT_MOMENTUM], eps);
        break;
    case DEEP_OPTIMIZER_ADAGRAD:
        adagrad(w, g, state, n, lr, eps);
        break;
    case DEEP_OPTIMIZER_NADAM:
        nadam(w, g, state, state + total, n, &opt->num, b1, b2, eps);
        break;
    case DEEP_OPTIMIZER_ADAMAX:
        adamax(w, g, state, state + total, n, opt->num.rate, b1, b2, eps);
        break;
    }
}

/* The tensor holding bound element `at`: the last whose offset is <= at. */
static int32_t tensor_of(const deep_optimizer *opt, int64_t at)
{
    int32_t lo = 0, hi = opt->tensor_count - 1;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo + 1) / 2;
        if (opt->tensor_offsets[mid] <= at)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Reads only what begin_step froze and writes only elements [begin, end) of the weights
 * and state, so threads updating disjoint ranges never race. Bad arguments (possible only
 * through a bug in the caller) leave everything untouched. Weight decay and clipping go
 * tensor by tensor, the clipped gradient through a small buffer on the stack (the
 * caller's gradients stay as they are). */
void deep_optimizer_update(deep_optimizer *optimizer, int32_t slot, float *weights, const float *grads,
                           int64_t begin, int64_t end)
{
    if (optimizer == NULL || optimizer->step == 0 || weights == NULL || grads == NULL || slot < 0 ||
        slot >= optimizer->count || begin < 0 || begin >= end ||
        end > optimizer->offsets[slot + 1] - optimizer->offsets[slot])
        return;
    const deep_optimizer *opt = optimizer;
    const int64_t total = opt->offsets[opt->count]; /* distance between state arrays */
    const int64_t base = opt->offsets[slot];        /* the slot's first element among all bound */
    float *state = opt->state + base;
    const float clipvalue = opt->step_settings[DEEP_OPT_CLIPVALUE], decay = opt->num.decay;
    if (!opt->num.clipping && decay == 0) {
        rule(opt, weights + begin, grads + begin, state + begin, total, end - begin);
        return;
    }
    enum { BLOCK = 256 };
    float clipped[BLOCK];
    for (int32_t t = tensor_of(opt, base + begin); begin < end; t++) {
        const int64_t stop = opt->tensor_offsets[t + 1] - base < end ? opt->tensor_offsets[t + 1] - base : end;
        const float scale = opt->scales[t];
        if (decay != 0 && opt->decays[t])
            for (int64_t i = begin; i < stop; i++)
                weights[i] -= weights[i] * decay;
        if (!opt->num.clipping) {
            rule(opt, weights + begin, grads + begin, state + begin, total, stop - begin);
            begin = stop;
            continue;
        }
        for (; begin < stop; begin += BLOCK) {
            const int64_t n = stop - begin < BLOCK ? stop - begin : BLOCK;
            for (int64_t i = 0; i < n; i++) {
                float g = grads[begin + i] * scale;
                clipped[i] = clipvalue > 0 ? fminf(fmaxf(g, -clipvalue), clipvalue) : g;
            }
            rule(opt, weights + begin, clipped, state + begin, total, n);
        }
        begin = stop;
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
    return states(optimizer);
}

const char *deep_optimizer_state_name(const deep_optimizer *optimizer, int32_t index)
{
    return optimizer->info->state_names[index];
}

float *deep_optimizer_state(const deep_optimizer *optimizer, int32_t index)
{
    if (optimizer->state == NULL || index < 0 || index >= states(optimizer))
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
    optimizer->nadam_product = nadam_product(optimizer->settings[DEEP_OPT_BETA_1], step);
}

bool deep_optimizer_option_required(deep_optimizer_option option)
{
    return option > 0 && option < OPTION_COUNT && !(SINCE_1_1 & BIT(option));
}

float deep_optimizer_setting(const deep_optimizer *optimizer, deep_optimizer_option option)
{
    return option > 0 && option < OPTION_COUNT ? optimizer->settings[option] : 0;
}

bool deep_optimizer_option_saved(const deep_optimizer *optimizer, deep_optimizer_option option)
{
    return deep_optimizer_has_option(optimizer, option) &&
           (deep_optimizer_option_required(option) || optimizer->settings[option] != optimizer->info->defaults[option]);
}
