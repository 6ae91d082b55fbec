/* Keras' initialisers, regularisers and constraints as values: their names, their checks
 * and the initialisers' draws (layers/weight_rules.h). */
#include <math.h>
#include <string.h>

#include "layers/layer.h"
#include "layers/weight_rules.h"

int deep_weight_role_of(const char *param_name)
{
    const char *slash = strrchr(param_name, '/');
    const char *name = slash != NULL ? slash + 1 : param_name;
    static const struct {
        const char *name;
        deep_weight_role role;
    } roles[] = {
        {"kernel", DEEP_WEIGHT_KERNEL},
        {"depthwise_kernel", DEEP_WEIGHT_KERNEL},
        {"pointwise_kernel", DEEP_WEIGHT_KERNEL},
        {"embeddings", DEEP_WEIGHT_KERNEL},
        {"bias", DEEP_WEIGHT_BIAS},
        {"recurrent_kernel", DEEP_WEIGHT_RECURRENT_KERNEL},
        {"gamma", DEEP_WEIGHT_GAMMA},
        {"beta", DEEP_WEIGHT_BETA},
    };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i].name, name) == 0)
            return (int)roles[i].role;
    return -1;
}

const char *deep_weight_role_name(deep_weight_role role)
{
    switch (role) {
    case DEEP_WEIGHT_KERNEL: return "kernel";
    case DEEP_WEIGHT_BIAS: return "bias";
    case DEEP_WEIGHT_RECURRENT_KERNEL: return "recurrent";
    case DEEP_WEIGHT_GAMMA: return "gamma";
    case DEEP_WEIGHT_BETA: return "beta";
    case DEEP_WEIGHT_ACTIVITY: return "activity";
    }
    return NULL;
}

const char *deep_initializer_name(deep_initializer kind)
{
    switch (kind) {
    case DEEP_INITIALIZER_DEFAULT: return "default";
    case DEEP_INITIALIZER_ZEROS: return "zeros";
    case DEEP_INITIALIZER_ONES: return "ones";
    case DEEP_INITIALIZER_CONSTANT: return "constant";
    case DEEP_INITIALIZER_RANDOM_NORMAL: return "random_normal";
    case DEEP_INITIALIZER_RANDOM_UNIFORM: return "random_uniform";
    case DEEP_INITIALIZER_TRUNCATED_NORMAL: return "truncated_normal";
    case DEEP_INITIALIZER_GLOROT_UNIFORM: return "glorot_uniform";
    case DEEP_INITIALIZER_GLOROT_NORMAL: return "glorot_normal";
    case DEEP_INITIALIZER_HE_NORMAL: return "he_normal";
    case DEEP_INITIALIZER_HE_UNIFORM: return "he_uniform";
    case DEEP_INITIALIZER_LECUN_NORMAL: return "lecun_normal";
    case DEEP_INITIALIZER_LECUN_UNIFORM: return "lecun_uniform";
    case DEEP_INITIALIZER_ORTHOGONAL: return "orthogonal";
    }
    return NULL;
}

int deep_initializer_by_name(const char *name)
{
    for (int k = 0; k <= (int)DEEP_INITIALIZER_ORTHOGONAL; k++) /* the enum is dense from 0 */
        if (strcmp(deep_initializer_name((deep_initializer)k), name) == 0)
            return k;
    return -1;
}

const char *deep_constraint_name(deep_constraint kind)
{
    switch (kind) {
    case DEEP_CONSTRAINT_NONE: return "none";
    case DEEP_CONSTRAINT_MAX_NORM: return "max_norm";
    case DEEP_CONSTRAINT_NON_NEG: return "non_neg";
    case DEEP_CONSTRAINT_UNIT_NORM: return "unit_norm";
    case DEEP_CONSTRAINT_MIN_MAX_NORM: return "min_max_norm";
    }
    return NULL;
}

int deep_constraint_by_name(const char *name)
{
    for (int k = 0; k <= (int)DEEP_CONSTRAINT_MIN_MAX_NORM; k++)
        if (strcmp(deep_constraint_name((deep_constraint)k), name) == 0)
            return k;
    return -1;
}

deep_status deep_initializer_rule_check(deep_initializer_rule *rule, const char *caller)
{
    const char *name = deep_initializer_name(rule->kind);
    if (name == NULL)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown initializer %d", (int)rule->kind);
    if (!isfinite(rule->a) || !isfinite(rule->b))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "initializer %s: a and b must be finite, not %g, %g",
                              name, rule->a, rule->b);
    switch (rule->kind) {
    case DEEP_INITIALIZER_CONSTANT:
    case DEEP_INITIALIZER_ORTHOGONAL:
        rule->b = 0;
        break;
    case DEEP_INITIALIZER_RANDOM_NORMAL:
    case DEEP_INITIALIZER_TRUNCATED_NORMAL:
        if (!(rule->b > 0))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "initializer %s: stddev (b) is %g; it must be > 0",
                                  name, rule->b);
        break;
    case DEEP_INITIALIZER_RANDOM_UNIFORM:
        if (!(rule->a < rule->b))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "initializer %s: minval (a) %g must be below maxval (b) %g", name, rule->a, rule->b);
        break;
    case DEEP_INITIALIZER_DEFAULT:
    case DEEP_INITIALIZER_ZEROS:
    case DEEP_INITIALIZER_ONES:
    case DEEP_INITIALIZER_GLOROT_UNIFORM:
    case DEEP_INITIALIZER_GLOROT_NORMAL:
    case DEEP_INITIALIZER_HE_NORMAL:
    case DEEP_INITIALIZER_HE_UNIFORM:
    case DEEP_INITIALIZER_LECUN_NORMAL:
    case DEEP_INITIALIZER_LECUN_UNIFORM:
        rule->a = rule->b = 0;
        break;
    }
    return DEEP_OK;
}

deep_status deep_regularizer_rule_check(const deep_regularizer_rule *rule, const char *caller)
{
    if (!(isfinite(rule->l1) && rule->l1 >= 0 && isfinite(rule->l2) && rule->l2 >= 0))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "l1 %g and l2 %g must be finite and >= 0", rule->l1,
                              rule->l2);
    return DEEP_OK;
}

deep_status deep_constraint_rule_check(deep_constraint_rule *rule, const char *caller)
{
    const char *name = deep_constraint_name(rule->kind);
    if (name == NULL)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown constraint %d", (int)rule->kind);
    bool normed = rule->kind != DEEP_CONSTRAINT_NONE && rule->kind != DEEP_CONSTRAINT_NON_NEG;
    if (!normed) {
        memset(rule->axes, 0, sizeof rule->axes);
        rule->axis_count = 0;
        rule->min_value = rule->max_value = rule->rate = 0;
        return DEEP_OK;
    }
    if (rule->axis_count < 1 || rule->axis_count > DEEP_MAX_RANK)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "constraint %s: axis_count is %d; it must be 1..%d",
                              name, (int)rule->axis_count, DEEP_MAX_RANK);
    for (int32_t i = 0; i < rule->axis_count; i++) {
        if (rule->axes[i] < -DEEP_MAX_RANK || rule->axes[i] >= DEEP_MAX_RANK)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "constraint %s: axis %d is outside -%d..%d", name,
                                  (int)rule->axes[i], DEEP_MAX_RANK, DEEP_MAX_RANK - 1);
        for (int32_t j = 0; j < i; j++)
            if (rule->axes[j] == rule->axes[i])
                return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "constraint %s: axis %d is given twice", name,
                                      (int)rule->axes[i]);
    }
    for (int32_t i = rule->axis_count; i < DEEP_MAX_RANK; i++)
        rule->axes[i] = 0;
    if (rule->kind == DEEP_CONSTRAINT_UNIT_NORM)
        rule->min_value = rule->max_value = rule->rate = 0;
    if (rule->kind == DEEP_CONSTRAINT_MAX_NORM)
        rule->min_value = rule->rate = 0;
    if (!isfinite(rule->min_value) || !isfinite(rule->max_value) || rule->min_value < 0 ||
        rule->max_value < rule->min_value)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "constraint %s: min_value %g and max_value %g must be finite with 0 <= min_value <= "
                              "max_value", name, rule->min_value, rule->max_value);
    if (!(rule->rate >= 0 && rule->rate <= 1))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "constraint %s: rate %g must be in [0, 1]", name,
                              rule->rate);
    return DEEP_OK;
}

void deep_weight_fans(int32_t rank, const int64_t *shape, double *fan_in, double *fan_out)
{
    if (rank == 1) {
        *fan_in = *fan_out = (double)shape[0];
        return;
    }
    double receptive = 1;
    for (int32_t i = 0; i < rank - 2; i++)
        receptive *= (double)shape[i];
    *fan_in = receptive * (double)shape[rank - 2];
    *fan_out = receptive * (double)shape[rank - 1];
}

/* A standard normal redrawn until it is within 2 (TensorFlow's and JAX's truncation). */
static double truncated_normal(struct deep_rng *rng)
{
    for (;;) {
        double z = deep_rng_normal(rng);
        if (fabs(z) <= 2.0)
            return z;
    }
}

/* The truncated standard normal's standard deviation, by which Keras' variance scaling
 * divides so that the truncated draw has the variance asked for. */
#define TRUNCATED_STDDEV 0.87962566103423978

void deep_initializer_fill(const deep_initializer_rule *rule, float *w, int32_t rank, const int64_t *shape,
                           struct deep_rng *rng)
{
    int64_t count = 1;
    for (int32_t i = 0; i < rank; i++)
        count *= shape[i];
    double fan_in, fan_out;
    deep_weight_fans(rank, shape, &fan_in, &fan_out);
    double scale = 0, limit = 0;
    bool uniform = false;
    switch (rule->kind) {
    case DEEP_INITIALIZER_DEFAULT: /* not filled here */
        return;
    case DEEP_INITIALIZER_ZEROS:
    case DEEP_INITIALIZER_ONES:
    case DEEP_INITIALIZER_CONSTANT: {
        float v = rule->kind == DEEP_INITIALIZER_ZEROS ? 0.0f : rule->kind == DEEP_INITIALIZER_ONES ? 1.0f : (float)rule->a;
        for (int64_t i = 0; i < count; i++)
            w[i] = v;
        return;
    }
    case DEEP_INITIALIZER_RANDOM_NORMAL:
        for (int64_t i = 0; i < count; i++)
            w[i] = (float)(rule->a + rule->b * deep_rng_normal(rng));
        return;
    case DEEP_INITIALIZER_TRUNCATED_NORMAL:
        for (int64_t i = 0; i < count; i++)
            w[i] = (float)(rule->a + rule->b * truncated_normal(rng));
        return;
    case DEEP_INITIALIZER_RANDOM_UNIFORM:
        for (int64_t i = 0; i < count; i++)
            w[i] = (float)(rule->a + (rule->b - rule->a) * deep_rng_float(rng));
        return;
    case DEEP_INITIALIZER_ORTHOGONAL: {
        int64_t cols = shape[rank - 1], rows = count / cols;
        deep_init_orthogonal(w, rows, cols, rng);
        for (int64_t i = 0; i < count; i++)
            w[i] = (float)(rule->a * w[i]);
        return;
    }
    case DEEP_INITIALIZER_GLOROT_UNIFORM: uniform = true; /* fall through */
    case DEEP_INITIALIZER_GLOROT_NORMAL: scale = 2.0 / (fan_in + fan_out); break;
    case DEEP_INITIALIZER_HE_UNIFORM: uniform = true; /* fall through */
    case DEEP_INITIALIZER_HE_NORMAL: scale = 2.0 / fan_in; break;
    case DEEP_INITIALIZER_LECUN_UNIFORM: uniform = true; /* fall through */
    case DEEP_INITIALIZER_LECUN_NORMAL: scale = 1.0 / fan_in; break;
    }
    /* Variance scaling: U(-l, l) has variance l^2 / 3. */
    if (uniform) {
        limit = sqrt(3.0 * scale);
        for (int64_t i = 0; i < count; i++)
            w[i] = (float)((2.0 * deep_rng_float(rng) - 1.0) * limit);
    } else {
        double stddev = sqrt(scale) / TRUNCATED_STDDEV;
        for (int64_t i = 0; i < count; i++)
            w[i] = (float)(stddev * truncated_normal(rng));
    }
}
