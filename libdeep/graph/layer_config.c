/* Layer configurations in model files, generic over the registry: a type's field table
 * says which members of its config struct make up its Keras config, in which order, and
 * of which kind; loading reads them into the type's config (starting from its defaults)
 * and appends the layer through deep_layer_append, which validates the config exactly as
 * the public deep_model_add_* calls do. Nothing here names a layer type. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "graph/layer_config.h"
#include "kernels/kernels.h"

static const char *const merge_mode_names[] = {
    [DEEP_MERGE_CONCAT] = "concat", [DEEP_MERGE_SUM] = "sum", [DEEP_MERGE_MUL] = "mul", [DEEP_MERGE_AVE] = "ave",
};

static int merge_mode_by_name(const char *name)
{
    for (int i = 0; i < (int)(sizeof merge_mode_names / sizeof merge_mode_names[0]); i++)
        if (strcmp(merge_mode_names[i], name) == 0)
            return i;
    return -1;
}

static const char *const padding_names[] = {
    [DEEP_PADDING_VALID] = "valid", [DEEP_PADDING_SAME] = "same", [DEEP_PADDING_CAUSAL] = "causal",
};

static int padding_by_name(const char *name)
{
    for (int i = 0; i < (int)(sizeof padding_names / sizeof padding_names[0]); i++)
        if (strcmp(padding_names[i], name) == 0)
            return i;
    return -1;
}

static const char *const interpolation_names[] = {
    [DEEP_INTERPOLATION_NEAREST] = "nearest", [DEEP_INTERPOLATION_BILINEAR] = "bilinear",
};

static int interpolation_by_name(const char *name)
{
    for (int i = 0; i < (int)(sizeof interpolation_names / sizeof interpolation_names[0]); i++)
        if (strcmp(interpolation_names[i], name) == 0)
            return i;
    return -1;
}

static const deep_layer_ops *wrapped_type(const deep_layer_field *f, const char *base)
{
    return *(const deep_layer_ops *const *)(const void *)(base + f->aux);
}

static deep_status write_config(const char *caller, const deep_layer_ops *type, const char *base, deep_bytes *out)
{
    deep_bytes_put(out, "{", 1);
    for (int32_t i = 0; i < type->field_count; i++) {
        const deep_layer_field *f = &type->fields[i];
        const void *at = base + f->offset;
        deep_json_put_key(out, i == 0, f->name);
        switch (f->kind) {
        case DEEP_FIELD_SIZE:
            deep_bytes_printf(out, "%lld", (long long)*(const int64_t *)at);
            break;
        case DEEP_FIELD_WINDOW:
        case DEEP_FIELD_STRIDES:
            deep_bytes_printf(out, "[%lld, %lld]", (long long)((const int64_t *)at)[0],
                              (long long)((const int64_t *)at)[1]);
            break;
        case DEEP_FIELD_BOOL:
            deep_bytes_printf(out, "%s", *(const bool *)at ? "true" : "false");
            break;
        case DEEP_FIELD_RATE:
        case DEEP_FIELD_POSITIVE:
        case DEEP_FIELD_FINITE:
            deep_json_put_float(out, *(const float *)at);
            break;
        case DEEP_FIELD_ACTIVATION:
        case DEEP_FIELD_CELL_ACTIVATION:
            deep_bytes_printf(out, "\"%s\"", deep_activation_name(*(const deep_activation *)at));
            break;
        case DEEP_FIELD_PADDING:
        case DEEP_FIELD_CAUSAL_PADDING:
            deep_bytes_printf(out, "\"%s\"", padding_names[*(const deep_padding *)at]);
            break;
        case DEEP_FIELD_MERGE_MODE:
            deep_bytes_printf(out, "\"%s\"", merge_mode_names[*(const deep_merge_mode *)at]);
            break;
        case DEEP_FIELD_LAYER: {
            const deep_layer_ops *inner = wrapped_type(f, base);
            deep_bytes_printf(out, "{\"type\": \"%s\", \"config\": ", inner->type);
            DEEP_TRY(write_config(caller, inner, at, out));
            deep_bytes_put(out, "}", 1);
            break;
        }
        case DEEP_FIELD_SHAPE:
        case DEEP_FIELD_PERMUTATION:
        case DEEP_FIELD_AXES: {
            int32_t rank = *(const int32_t *)(const void *)(base + f->aux);
            deep_bytes_put(out, "[", 1);
            for (int32_t d = 0; d < rank; d++)
                deep_bytes_printf(out, d == 0 ? "%lld" : ", %lld", (long long)((const int64_t *)at)[d]);
            deep_bytes_put(out, "]", 1);
            break;
        }
        case DEEP_FIELD_OUTPUT_PADDING: {
            const int64_t *v = at;
            if (v[0] == -1 && v[1] == -1)
                deep_bytes_printf(out, "null");
            else
                deep_bytes_printf(out, "[%lld, %lld]", (long long)v[0], (long long)v[1]);
            break;
        }
        case DEEP_FIELD_INTERPOLATION:
            deep_bytes_printf(out, "\"%s\"", interpolation_names[*(const deep_interpolation *)at]);
            break;
        case DEEP_FIELD_SIDES: {
            const int64_t *v = at;
            deep_bytes_printf(out, "[[%lld, %lld], [%lld, %lld]]", (long long)v[0], (long long)v[1], (long long)v[2],
                              (long long)v[3]);
            break;
        }
        }
    }
    deep_bytes_put(out, "}", 1);
    return DEEP_OK;
}

deep_status deep_layer_config_write(const char *caller, const deep_layer *layer, deep_bytes *out)
{
    return write_config(caller, layer->ops, (const char *)layer->cfg.bytes, out);
}

/* Reads one field's value into the configuration; false when it has the wrong kind. */
static bool read_field(const deep_json *doc, const deep_json_node *v, const deep_layer_field *f, char *base)
{
    void *at = base + f->offset;
    int64_t i;
    switch (f->kind) {
    case DEEP_FIELD_SIZE:
        return deep_json_int(doc, v, (int64_t *)at);
    case DEEP_FIELD_WINDOW:
    case DEEP_FIELD_STRIDES: {
        const deep_json_node *a = v->type == DEEP_JSON_ARRAY && v->count == 2 ? deep_json_at(doc, v->first) : NULL;
        return a != NULL && deep_json_int(doc, a, &((int64_t *)at)[0]) &&
               deep_json_int(doc, deep_json_at(doc, a->next), &((int64_t *)at)[1]);
    }
    case DEEP_FIELD_BOOL:
        if (v->type != DEEP_JSON_TRUE && v->type != DEEP_JSON_FALSE)
            return false;
        *(bool *)at = v->type == DEEP_JSON_TRUE;
        return true;
    case DEEP_FIELD_RATE:
    case DEEP_FIELD_POSITIVE:
    case DEEP_FIELD_FINITE:
        return deep_json_float(doc, v, (float *)at);
    case DEEP_FIELD_ACTIVATION:
    case DEEP_FIELD_CELL_ACTIVATION:
        if (v->type != DEEP_JSON_STRING || (i = deep_activation_by_name(deep_json_string(doc, v))) < 0)
            return false;
        *(deep_activation *)at = (deep_activation)i;
        return true;
    case DEEP_FIELD_PADDING:
    case DEEP_FIELD_CAUSAL_PADDING:
        /* "causal" reads for either kind; the field check refuses it where it does not apply. */
        if (v->type != DEEP_JSON_STRING || (i = padding_by_name(deep_json_string(doc, v))) < 0)
            return false;
        *(deep_padding *)at = (deep_padding)i;
        return true;
    case DEEP_FIELD_MERGE_MODE:
        if (v->type != DEEP_JSON_STRING || (i = merge_mode_by_name(deep_json_string(doc, v))) < 0)
            return false;
        *(deep_merge_mode *)at = (deep_merge_mode)i;
        return true;
    case DEEP_FIELD_SHAPE:
    case DEEP_FIELD_PERMUTATION:
    case DEEP_FIELD_AXES: {
        if (v->type != DEEP_JSON_ARRAY || v->count < (f->kind == DEEP_FIELD_AXES ? 0 : 1) ||
            v->count > DEEP_MAX_SAMPLE_RANK)
            return false;
        int32_t d = 0;
        for (const deep_json_node *e = deep_json_at(doc, v->first); e; e = deep_json_at(doc, e->next))
            if (!deep_json_int(doc, e, &((int64_t *)at)[d++]))
                return false;
        *(int32_t *)(void *)(base + f->aux) = d;
        return true;
    }
    case DEEP_FIELD_LAYER:
        return false; /* read_config reads it */
    case DEEP_FIELD_OUTPUT_PADDING: {
        if (v->type == DEEP_JSON_NULL) {
            ((int64_t *)at)[0] = ((int64_t *)at)[1] = -1;
            return true;
        }
        const deep_json_node *a = v->type == DEEP_JSON_ARRAY && v->count == 2 ? deep_json_at(doc, v->first) : NULL;
        return a != NULL && deep_json_int(doc, a, &((int64_t *)at)[0]) &&
               deep_json_int(doc, deep_json_at(doc, a->next), &((int64_t *)at)[1]);
    }
    case DEEP_FIELD_INTERPOLATION:
        if (v->type != DEEP_JSON_STRING || (i = interpolation_by_name(deep_json_string(doc, v))) < 0)
            return false;
        *(deep_interpolation *)at = (deep_interpolation)i;
        return true;
    case DEEP_FIELD_SIDES: {
        /* [[top, bottom], [left, right]], as Keras writes its pairs of pairs. */
        if (v->type != DEEP_JSON_ARRAY || v->count != 2)
            return false;
        int n = 0;
        for (const deep_json_node *pair = deep_json_at(doc, v->first); pair; pair = deep_json_at(doc, pair->next)) {
            if (pair->type != DEEP_JSON_ARRAY || pair->count != 2)
                return false;
            for (const deep_json_node *e = deep_json_at(doc, pair->first); e; e = deep_json_at(doc, e->next))
                if (!deep_json_int(doc, e, &((int64_t *)at)[n++]))
                    return false;
        }
        return n == 4;
    }
    }
    return false;
}

static const char *const kind_names[] = {
    [DEEP_FIELD_SIZE] = "an integer",
    [DEEP_FIELD_WINDOW] = "a pair of integers",
    [DEEP_FIELD_STRIDES] = "a pair of integers",
    [DEEP_FIELD_BOOL] = "true or false",
    [DEEP_FIELD_RATE] = "a finite number",
    [DEEP_FIELD_POSITIVE] = "a finite number",
    [DEEP_FIELD_FINITE] = "a finite number",
    [DEEP_FIELD_ACTIVATION] = "an activation name",
    [DEEP_FIELD_CELL_ACTIVATION] = "an activation name",
    [DEEP_FIELD_PADDING] = "\"valid\" or \"same\"",
    [DEEP_FIELD_MERGE_MODE] = "\"concat\", \"sum\", \"mul\" or \"ave\"",
    [DEEP_FIELD_LAYER] = "an object {\"type\": ..., \"config\": {...}} of a wrappable type:",
    [DEEP_FIELD_SHAPE] = "an array of 1 to 7 integers",
    [DEEP_FIELD_CAUSAL_PADDING] = "\"valid\", \"same\" or \"causal\"",
    [DEEP_FIELD_PERMUTATION] = "an array of 1 to 7 integers",
    [DEEP_FIELD_OUTPUT_PADDING] = "null or a pair of integers",
    [DEEP_FIELD_INTERPOLATION] = "\"nearest\" or \"bilinear\"",
    [DEEP_FIELD_SIDES] = "[[top, bottom], [left, right]] of integers",
    [DEEP_FIELD_AXES] = "an array of 0 to 7 integers",
};
_Static_assert(DEEP_MAX_SAMPLE_RANK == 7, "kind_names says 1 to 7");

static deep_status read_config(const char *caller, const char *context, const deep_layer_ops *type,
                               const deep_json *doc, const deep_json_node *config, char *base);

/* A wrapped layer: its type into the field's aux member, its config (from that type's
 * defaults) at the field's offset. */
static deep_status read_wrapped(const char *caller, const char *context, const deep_json *doc,
                                const deep_json_node *v, const deep_layer_field *f, char *base, bool *ok)
{
    *ok = false;
    if (v->type != DEEP_JSON_OBJECT || v->count != 2)
        return DEEP_OK;
    const deep_json_node *type = NULL, *config = NULL;
    for (const deep_json_node *m = deep_json_at(doc, v->first); m; m = deep_json_at(doc, m->next)) {
        if (strcmp(deep_json_key(doc, m), "type") == 0)
            type = m;
        else if (strcmp(deep_json_key(doc, m), "config") == 0)
            config = m;
    }
    if (type == NULL || config == NULL || type->type != DEEP_JSON_STRING)
        return DEEP_OK;
    const deep_layer_ops *inner = deep_layer_type_by_name(deep_json_string(doc, type));
    if (inner == NULL || !(inner->flags & DEEP_LAYER_WRAPPABLE))
        return DEEP_OK;
    *(const deep_layer_ops **)(void *)(base + f->aux) = inner;
    *ok = true;
    return read_config(caller, context, inner, doc, config, base + f->offset);
}

/* Reads `config` into base (the type's struct, holding its defaults): every field of the
 * type present once, unless optional, no unknown field, each value of its kind. */
static deep_status read_config(const char *caller, const char *context, const deep_layer_ops *type,
                               const deep_json *doc, const deep_json_node *config, char *base)
{
    if (type->defaults != NULL)
        memcpy(base, type->defaults, type->config_size);
    else
        memset(base, 0, type->config_size);
    if (config->type != DEEP_JSON_OBJECT)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: the %s config is not an object", context, type->type);
    uint64_t seen = 0; /* one bit per field; test_registry checks that a type has at most 64 */
    if (type->field_count > 64)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller, "%s: the %s type has too many fields", context,
                              type->type);
    for (const deep_json_node *m = deep_json_at(doc, config->first); m; m = deep_json_at(doc, m->next)) {
        const char *key = deep_json_key(doc, m);
        int32_t i = 0;
        while (i < type->field_count && strcmp(type->fields[i].name, key) != 0)
            i++;
        if (i == type->field_count)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: unknown config field '%s' for a %s layer", context,
                                  key, type->type);
        if (seen & (UINT64_C(1) << i))
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: config field '%s' appears twice", context, key);
        seen |= UINT64_C(1) << i;
        bool ok = false;
        if (type->fields[i].kind == DEEP_FIELD_LAYER)
            DEEP_TRY(read_wrapped(caller, context, doc, m, &type->fields[i], base, &ok));
        else
            ok = read_field(doc, m, &type->fields[i], base);
        if (!ok) {
            /* A wrapped layer's message lists the types that may be wrapped. */
            char types[256] = "";
            for (int t = 0; t < DEEP_LAYER_TYPE_COUNT && type->fields[i].kind == DEEP_FIELD_LAYER; t++)
                if (deep_layer_types[t]->flags & DEEP_LAYER_WRAPPABLE)
                    snprintf(types + strlen(types), sizeof types - strlen(types), " %s", deep_layer_types[t]->type);
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: config field '%s' must be %s%s", context, key,
                                  kind_names[type->fields[i].kind], types);
        }
    }
    for (int32_t i = 0; i < type->field_count; i++)
        if (!(seen & (UINT64_C(1) << i)) && !type->fields[i].optional)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: config field '%s' is missing", context,
                                  type->fields[i].name);
    return DEEP_OK;
}

deep_status deep_layer_config_add(const char *caller, const char *context, deep_model *model, const char *type,
                                  const deep_json *doc, const deep_json_node *config)
{
    const deep_layer_ops *t = deep_layer_type_by_name(type);
    if (t == NULL)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: unknown layer type '%s'", context, type);
    deep_layer_config c;
    memset(&c, 0, sizeof c);
    DEEP_TRY(read_config(caller, context, t, doc, config, (char *)c.bytes));
    return deep_layer_append(model, t, c.bytes, false, caller, context);
}
