/* The weight rules of a layer in model files: an optional "rules" member of the layer's
 * entry, written only when the layer has some (so files of models without them are as
 * before 1.2), with Keras' argument names as keys:
 * {"kernel_initializer": {"name": "he_normal", "a": 0, "b": 0},
 *  "bias_regularizer": {"l1": 0, "l2": 0.0001},
 *  "kernel_constraint": {"name": "max_norm", "min_value": 0, "max_value": 2, "rate": 0, "axes": [0]}}. */
#include <stdio.h>
#include <string.h>

#include "graph/rules.h"

static const char *const KINDS[] = {"initializer", "regularizer", "constraint"};

void deep_rules_write(const deep_layer *layer, deep_bytes *j, bool *wrote)
{
    const deep_weight_rules *r = &layer->rules;
    *wrote = false;
    char key[64];
    for (int role = 0; role < DEEP_WEIGHT_ROLE_COUNT; role++) {
        const char *role_name = deep_weight_role_name((deep_weight_role)role);
        const deep_initializer_rule *init = &r->init[role];
        const deep_regularizer_rule *reg = &r->reg[role];
        const deep_constraint_rule *con = &r->constraint[role];
        bool has[3] = {init->kind != DEEP_INITIALIZER_DEFAULT, reg->l1 != 0 || reg->l2 != 0,
                       con->kind != DEEP_CONSTRAINT_NONE};
        for (int kind = 0; kind < 3; kind++) {
            if (!has[kind])
                continue;
            if (!*wrote)
                deep_bytes_put(j, "{", 1);
            snprintf(key, sizeof key, "%s_%s", role_name, KINDS[kind]);
            deep_json_put_key(j, !*wrote, key);
            *wrote = true;
            deep_bytes_put(j, "{", 1);
            if (kind == 0) {
                const char *name = deep_initializer_name(init->kind);
                deep_json_put_key(j, true, "name");
                deep_json_put_string(j, name, strlen(name));
                deep_json_put_key(j, false, "a");
                deep_json_put_double(j, init->a);
                deep_json_put_key(j, false, "b");
                deep_json_put_double(j, init->b);
                if (init->seeded) { /* since 1.3; a string: JSON numbers lose 64-bit integers */
                    deep_json_put_key(j, false, "seed");
                    deep_bytes_printf(j, "\"%llu\"", (unsigned long long)init->seed);
                }
            } else if (kind == 1) {
                deep_json_put_key(j, true, "l1");
                deep_json_put_double(j, reg->l1);
                deep_json_put_key(j, false, "l2");
                deep_json_put_double(j, reg->l2);
            } else {
                const char *name = deep_constraint_name(con->kind);
                deep_json_put_key(j, true, "name");
                deep_json_put_string(j, name, strlen(name));
                deep_json_put_key(j, false, "min_value");
                deep_json_put_double(j, con->min_value);
                deep_json_put_key(j, false, "max_value");
                deep_json_put_double(j, con->max_value);
                deep_json_put_key(j, false, "rate");
                deep_json_put_double(j, con->rate);
                deep_json_put_key(j, false, "axes");
                deep_bytes_put(j, "[", 1);
                for (int32_t k = 0; k < con->axis_count; k++)
                    deep_bytes_printf(j, "%s%d", k ? ", " : "", (int)con->axes[k]);
                deep_bytes_put(j, "]", 1);
            }
            deep_bytes_put(j, "}", 1);
        }
    }
    if (*wrote)
        deep_bytes_put(j, "}", 1);
}

/* The members of obj named names[0..n), each required, nothing else. */
static bool take_members(const deep_json *doc, const deep_json_node *obj, const char *const *names, int n,
                         const deep_json_node **found)
{
    if (obj->type != DEEP_JSON_OBJECT || obj->count != n)
        return false;
    for (int i = 0; i < n; i++) {
        found[i] = NULL;
        for (const deep_json_node *m = deep_json_at(doc, obj->first); m; m = deep_json_at(doc, m->next))
            if (strcmp(deep_json_key(doc, m), names[i]) == 0)
                found[i] = m;
        if (found[i] == NULL)
            return false;
    }
    return true;
}

static deep_status bad(const char *caller, const char *context, const char *key, const char *why)
{
    char reason[512]; /* why may be the error buffer itself */
    snprintf(reason, sizeof reason, "%s", why);
    return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: rules: %s %s", context, key, reason);
}

/* A seed written as a string of decimal digits, 0..2^64 - 1. */
static bool read_seed(const deep_json *doc, const deep_json_node *v, uint64_t *seed)
{
    if (v->type != DEEP_JSON_STRING)
        return false;
    const char *text = deep_json_string(doc, v);
    uint64_t value = 0;
    if (*text == '\0' || strlen(text) > 20)
        return false;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9' || value > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
            return false;
        value = value * 10 + (uint64_t)(*c - '0');
    }
    *seed = value;
    return true;
}

static deep_status read_one(deep_weight_rules *r, int role, int kind, const deep_json *doc, const deep_json_node *v,
                            const char *key, const char *caller, const char *context)
{
    const deep_json_node *f[5];
    if (kind == 0) {
        static const char *const names[] = {"name", "a", "b", "seed"};
        deep_initializer_rule rule = {0};
        int k = -1;
        const int n = v->type == DEEP_JSON_OBJECT && v->count == 4 ? 4 : 3; /* "seed" since 1.3 */
        if (!take_members(doc, v, names, n, f) || f[0]->type != DEEP_JSON_STRING ||
            (k = deep_initializer_by_name(deep_json_string(doc, f[0]))) < 0 || !deep_json_double(doc, f[1], &rule.a) ||
            !deep_json_double(doc, f[2], &rule.b) || (n == 4 && !read_seed(doc, f[3], &rule.seed)))
            return bad(caller, context, key,
                       "must be {\"name\": a known initializer, \"a\": number, \"b\": number[, \"seed\": "
                       "\"a 64-bit unsigned integer\"]}");
        rule.kind = (deep_initializer)k;
        rule.seeded = n == 4;
        if (deep_initializer_rule_check(&rule, caller) != DEEP_OK)
            return bad(caller, context, key, deep_error_reason());
        r->init[role] = rule;
    } else if (kind == 1) {
        static const char *const names[] = {"l1", "l2"};
        deep_regularizer_rule rule;
        if (!take_members(doc, v, names, 2, f) || !deep_json_double(doc, f[0], &rule.l1) ||
            !deep_json_double(doc, f[1], &rule.l2))
            return bad(caller, context, key, "must be {\"l1\": number, \"l2\": number}");
        if (deep_regularizer_rule_check(&rule, caller) != DEEP_OK)
            return bad(caller, context, key, deep_error_reason());
        r->reg[role] = rule;
    } else {
        static const char *const names[] = {"name", "min_value", "max_value", "rate", "axes"};
        deep_constraint_rule rule = {0};
        int k = -1;
        if (!take_members(doc, v, names, 5, f) || f[0]->type != DEEP_JSON_STRING ||
            (k = deep_constraint_by_name(deep_json_string(doc, f[0]))) < 0 ||
            !deep_json_double(doc, f[1], &rule.min_value) || !deep_json_double(doc, f[2], &rule.max_value) ||
            !deep_json_double(doc, f[3], &rule.rate) || f[4]->type != DEEP_JSON_ARRAY ||
            f[4]->count > DEEP_MAX_RANK)
            return bad(caller, context, key,
                       "must be {\"name\": a known constraint, \"min_value\", \"max_value\", \"rate\": numbers, "
                       "\"axes\": up to 8 integers}");
        rule.kind = (deep_constraint)k;
        for (const deep_json_node *a = deep_json_at(doc, f[4]->first); a; a = deep_json_at(doc, a->next)) {
            int64_t axis;
            if (!deep_json_int(doc, a, &axis) || axis < -DEEP_MAX_RANK || axis >= DEEP_MAX_RANK)
                return bad(caller, context, key, "has an axis that is not an integer in -8..7");
            rule.axes[rule.axis_count++] = (int32_t)axis;
        }
        if (deep_constraint_rule_check(&rule, caller) != DEEP_OK)
            return bad(caller, context, key, deep_error_reason());
        r->constraint[role] = rule;
    }
    return DEEP_OK;
}

deep_status deep_rules_read(deep_layer *layer, const deep_json *doc, const deep_json_node *rules, const char *caller,
                            const char *context)
{
    if (rules->type != DEEP_JSON_OBJECT)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: rules is not an object", context);
    deep_weight_rules read;
    memset(&read, 0, sizeof read);
    for (const deep_json_node *m = deep_json_at(doc, rules->first); m; m = deep_json_at(doc, m->next)) {
        const char *key = deep_json_key(doc, m);
        int found_role = -1, found_kind = -1;
        char name[64];
        for (int role = 0; role < DEEP_WEIGHT_ROLE_COUNT && found_role < 0; role++)
            for (int kind = 0; kind < 3; kind++) {
                snprintf(name, sizeof name, "%s_%s", deep_weight_role_name((deep_weight_role)role), KINDS[kind]);
                if (strcmp(name, key) == 0) {
                    found_role = role;
                    found_kind = kind;
                    break;
                }
            }
        /* The activity role takes a regularizer only; weights must exist for the others. */
        bool has_weight = found_role == DEEP_WEIGHT_ACTIVITY;
        for (int32_t p = 0; p < layer->param_count && found_role >= 0 && !has_weight; p++)
            has_weight = deep_weight_role_of(layer->params[p].name) == found_role;
        if (found_role < 0 || (found_role == DEEP_WEIGHT_ACTIVITY && found_kind != 1) || !has_weight)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: rules has an unknown field '%s' for a %s layer",
                                  context, key, layer->ops->class_name);
        DEEP_TRY(read_one(&read, found_role, found_kind, doc, m, key, caller, context));
    }
    layer->rules = read;
    return DEEP_OK;
}
