/* Learning-rate schedules in model files: {"class_name": "CosineDecay", "config": {...}}
 * with Keras' class and argument names. Reading goes through the public constructors, so
 * a file cannot hold a schedule they refuse. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "io/json.h"
#include "optim/schedule.h"

void deep_schedule_write_json(deep_bytes *j, const deep_schedule *schedule)
{
    deep_schedule_kind kind;
    deep_schedule_config c;
    deep_schedule_kind_of(schedule, &kind);
    deep_schedule_config_of(schedule, &c);
    deep_bytes_put(j, "{", 1);
    deep_json_put_key(j, true, "class_name");
    deep_bytes_printf(j, "\"%s\"", deep_schedule_kind_name(kind));
    deep_json_put_key(j, false, "config");
    deep_bytes_put(j, "{", 1);
    switch (kind) {
    case DEEP_SCHEDULE_EXPONENTIAL_DECAY:
        deep_json_put_key(j, true, "initial_learning_rate");
        deep_json_put_double(j, c.initial_learning_rate);
        deep_json_put_key(j, false, "decay_steps");
        deep_bytes_printf(j, "%lld", (long long)c.decay_steps);
        deep_json_put_key(j, false, "decay_rate");
        deep_json_put_double(j, c.decay_rate);
        deep_json_put_key(j, false, "staircase");
        deep_bytes_printf(j, "%s", c.staircase ? "true" : "false");
        break;
    case DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY:
        deep_json_put_key(j, true, "boundaries");
        deep_bytes_put(j, "[", 1);
        for (int64_t i = 0; i < c.count; i++)
            deep_bytes_printf(j, "%s%lld", i ? ", " : "", (long long)c.boundaries[i]);
        deep_bytes_put(j, "]", 1);
        deep_json_put_key(j, false, "values");
        deep_bytes_put(j, "[", 1);
        for (int64_t i = 0; i <= c.count; i++) {
            if (i)
                deep_bytes_put(j, ", ", 2);
            deep_json_put_double(j, c.values[i]);
        }
        deep_bytes_put(j, "]", 1);
        break;
    case DEEP_SCHEDULE_COSINE_DECAY:
        deep_json_put_key(j, true, "initial_learning_rate");
        deep_json_put_double(j, c.initial_learning_rate);
        deep_json_put_key(j, false, "decay_steps");
        deep_bytes_printf(j, "%lld", (long long)c.decay_steps);
        deep_json_put_key(j, false, "alpha");
        deep_json_put_double(j, c.alpha);
        deep_json_put_key(j, false, "warmup_target");
        if (isnan(c.warmup_target))
            deep_bytes_put(j, "null", 4);
        else
            deep_json_put_double(j, c.warmup_target);
        deep_json_put_key(j, false, "warmup_steps");
        deep_bytes_printf(j, "%lld", (long long)c.warmup_steps);
        break;
    }
    deep_bytes_put(j, "}}", 2);
}

#define FAIL(...) deep_error_set(DEEP_ERR_FORMAT, "schedule", __VA_ARGS__)

/* The members of obj named names[0..n), each exactly once and nothing else. */
static deep_status fields(const deep_json *doc, const deep_json_node *obj, const char *what,
                          const char *const *names, int n, const deep_json_node **found)
{
    if (obj == NULL || obj->type != DEEP_JSON_OBJECT)
        return FAIL("%s is not an object", what);
    for (int i = 0; i < n; i++)
        found[i] = NULL;
    for (const deep_json_node *m = deep_json_at(doc, obj->first); m; m = deep_json_at(doc, m->next)) {
        const char *key = deep_json_key(doc, m);
        int i = 0;
        while (i < n && strcmp(names[i], key) != 0)
            i++;
        if (i == n)
            return FAIL("%s has an unknown field '%s'", what, key);
        if (found[i] != NULL)
            return FAIL("%s has field '%s' twice", what, key);
        found[i] = m;
    }
    for (int i = 0; i < n; i++)
        if (found[i] == NULL)
            return FAIL("%s lacks its field '%s'", what, names[i]);
    return DEEP_OK;
}

static deep_status number(const deep_json *doc, const deep_json_node *v, const char *name, double *out)
{
    return deep_json_double(doc, v, out) ? DEEP_OK : FAIL("config.%s must be a finite number", name);
}

static deep_status integer(const deep_json *doc, const deep_json_node *v, const char *name, int64_t *out)
{
    return deep_json_int(doc, v, out) ? DEEP_OK : FAIL("config.%s must be an integer", name);
}

static deep_status piecewise(const deep_json *doc, const deep_json_node *b, const deep_json_node *v,
                             deep_schedule **out)
{
    if (b->type != DEEP_JSON_ARRAY || v->type != DEEP_JSON_ARRAY || b->count < 1 || v->count != b->count + 1 ||
        b->count > 1000000)
        return FAIL("config.boundaries must be an array of 1 to 1000000 integers and config.values an array of "
                    "one number more");
    int64_t *boundaries = deep_alloc(b->count, sizeof *boundaries);
    double *values = deep_alloc(v->count, sizeof *values);
    deep_status status = boundaries && values ? DEEP_OK : DEEP_ERR_NO_MEMORY;
    int64_t i = 0;
    for (const deep_json_node *e = deep_json_at(doc, b->first); e && status == DEEP_OK; e = deep_json_at(doc, e->next))
        status = integer(doc, e, "boundaries[]", &boundaries[i++]);
    i = 0;
    for (const deep_json_node *e = deep_json_at(doc, v->first); e && status == DEEP_OK; e = deep_json_at(doc, e->next))
        status = number(doc, e, "values[]", &values[i++]);
    if (status == DEEP_OK)
        status = deep_schedule_new_piecewise_constant_decay(boundaries, b->count, values, out);
    else if (status == DEEP_ERR_NO_MEMORY)
        deep_error_set(status, "schedule", "out of memory for %lld boundaries", (long long)b->count);
    free(boundaries);
    free(values);
    return status;
}

deep_status deep_schedule_read_json(const deep_json *doc, const deep_json_node *node, deep_schedule **out)
{
    static const char *const top[] = {"class_name", "config"};
    const deep_json_node *f[5];
    *out = NULL;
    DEEP_TRY(fields(doc, node, "the schedule", top, 2, f));
    const deep_json_node *config = f[1];
    deep_schedule_kind kind =
        f[0]->type == DEEP_JSON_STRING ? deep_schedule_kind_by_name(deep_json_string(doc, f[0])) : 0;
    double a, b;
    int64_t steps, warmup;
    switch (kind) {
    case DEEP_SCHEDULE_EXPONENTIAL_DECAY: {
        static const char *const names[] = {"initial_learning_rate", "decay_steps", "decay_rate", "staircase"};
        DEEP_TRY(fields(doc, config, "config", names, 4, f));
        DEEP_TRY(number(doc, f[0], names[0], &a));
        DEEP_TRY(integer(doc, f[1], names[1], &steps));
        DEEP_TRY(number(doc, f[2], names[2], &b));
        if (f[3]->type != DEEP_JSON_TRUE && f[3]->type != DEEP_JSON_FALSE)
            return FAIL("config.staircase must be true or false");
        return deep_schedule_new_exponential_decay(a, steps, b, f[3]->type == DEEP_JSON_TRUE, out);
    }
    case DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY: {
        static const char *const names[] = {"boundaries", "values"};
        DEEP_TRY(fields(doc, config, "config", names, 2, f));
        return piecewise(doc, f[0], f[1], out);
    }
    case DEEP_SCHEDULE_COSINE_DECAY: {
        static const char *const names[] = {"initial_learning_rate", "decay_steps", "alpha", "warmup_target",
                                            "warmup_steps"};
        double target = NAN;
        DEEP_TRY(fields(doc, config, "config", names, 5, f));
        DEEP_TRY(number(doc, f[0], names[0], &a));
        DEEP_TRY(integer(doc, f[1], names[1], &steps));
        DEEP_TRY(number(doc, f[2], names[2], &b));
        if (f[3]->type != DEEP_JSON_NULL)
            DEEP_TRY(number(doc, f[3], names[3], &target));
        DEEP_TRY(integer(doc, f[4], names[4], &warmup));
        return deep_schedule_new_cosine_decay(a, steps, b, target, warmup, out);
    }
    }
    return FAIL("class_name is not one of ExponentialDecay, PiecewiseConstantDecay, CosineDecay");
}
