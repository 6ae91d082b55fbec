/* The per-type table of layer configurations. To make a new layer type savable, give it a
 * list of fields and a small function that calls its deep_model_add_*, and add one line to
 * `types` below. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "graph/layer_config.h"
#include "kernels/kernels.h"

typedef enum field_kind {
    FIELD_SIZE,       /* int64_t >= 1 (the add call checks the range) */
    FIELD_PAIR,       /* int64_t[2]: kernel size, pool size, strides */
    FIELD_BOOL,       /* bool */
    FIELD_FLOAT,      /* float */
    FIELD_ACTIVATION, /* deep_activation, by name */
    FIELD_PADDING,    /* deep_padding, "valid" or "same" */
    FIELD_MERGE_MODE, /* deep_merge_mode, "concat", "sum", "mul" or "ave" */
    FIELD_LAYER       /* the wrapped layer type (`wrapped`) and its own config, from the same struct:
                         {"type": "lstm", "config": {...}} */
} field_kind;

typedef struct field {
    const char *name; /* Keras' argument name */
    field_kind kind;
    size_t offset;    /* in struct deep_layer */
    bool optional;    /* added after the first files were written: absent means `fallback` */
    bool fallback;    /* an optional FIELD_BOOL's value when absent */
} field;

#define FIELD(name, kind, member) {name, kind, offsetof(deep_layer, member), false, false}
/* A bool field that older files do not have, read as `absent` when missing. */
#define LATER_BOOL(name, member, absent) {name, FIELD_BOOL, offsetof(deep_layer, member), true, absent}
#define MAX_FIELDS 12

typedef struct layer_type {
    const deep_layer_ops *ops;
    field fields[MAX_FIELDS]; /* ended by a NULL name */
    deep_status (*add)(deep_model *model, const deep_layer *config);
} layer_type;

static deep_status add_dense(deep_model *m, const deep_layer *c)
{
    return deep_model_add_dense(m, c->units, c->activation, c->use_bias);
}

static deep_status add_activation(deep_model *m, const deep_layer *c)
{
    return deep_model_add_activation(m, c->activation);
}

static deep_status add_dropout(deep_model *m, const deep_layer *c)
{
    return deep_model_add_dropout(m, c->rate);
}

static deep_status add_flatten(deep_model *m, const deep_layer *c)
{
    (void)c;
    return deep_model_add_flatten(m);
}

static deep_status add_conv2d(deep_model *m, const deep_layer *c)
{
    return deep_model_add_conv2d(m, c->units, c->kernel[0], c->kernel[1], c->strides[0], c->strides[1], c->padding,
                                 c->activation, c->use_bias);
}

static deep_status add_max_pooling2d(deep_model *m, const deep_layer *c)
{
    return deep_model_add_max_pooling2d(m, c->kernel[0], c->kernel[1], c->strides[0], c->strides[1], c->padding);
}

static deep_status add_average_pooling2d(deep_model *m, const deep_layer *c)
{
    return deep_model_add_average_pooling2d(m, c->kernel[0], c->kernel[1], c->strides[0], c->strides[1], c->padding);
}

static deep_status add_global_average_pooling2d(deep_model *m, const deep_layer *c)
{
    (void)c;
    return deep_model_add_global_average_pooling2d(m);
}

static deep_status add_batch_normalization(deep_model *m, const deep_layer *c)
{
    return deep_model_add_batch_normalization(m, c->momentum, c->epsilon);
}

/* The Keras arguments of recurrent layers that deep_model_add_* does not take are layer
 * options, set on the layer just added. */
static deep_status set_recurrent_options(deep_model *m, const deep_layer *c)
{
    DEEP_TRY(deep_model_set_layer_float(m, -1, DEEP_LAYER_DROPOUT, c->rate));
    DEEP_TRY(deep_model_set_layer_float(m, -1, DEEP_LAYER_RECURRENT_DROPOUT, c->recurrent_rate));
    return deep_model_set_layer_int(m, -1, DEEP_LAYER_GO_BACKWARDS, c->go_backwards);
}

static deep_status add_lstm(deep_model *m, const deep_layer *c)
{
    DEEP_TRY(deep_model_add_lstm(m, c->units, c->activation, c->recurrent_activation, c->use_bias,
                                 c->return_sequences));
    DEEP_TRY(set_recurrent_options(m, c));
    return deep_model_set_layer_int(m, -1, DEEP_LAYER_UNIT_FORGET_BIAS, c->unit_forget_bias);
}

static deep_status add_gru(deep_model *m, const deep_layer *c)
{
    DEEP_TRY(deep_model_add_gru(m, c->units, c->activation, c->recurrent_activation, c->use_bias,
                                c->return_sequences));
    DEEP_TRY(set_recurrent_options(m, c));
    return deep_model_set_layer_int(m, -1, DEEP_LAYER_RESET_AFTER, c->reset_after);
}

static deep_status add_simple_rnn(deep_model *m, const deep_layer *c)
{
    DEEP_TRY(deep_model_add_simple_rnn(m, c->units, c->activation, c->use_bias, c->return_sequences));
    return set_recurrent_options(m, c);
}

static const layer_type *type_of_ops(const deep_layer_ops *ops);

/* The wrapped layer is added first, then wrapped, as a caller of the public API does. */
static deep_status add_bidirectional(deep_model *m, const deep_layer *c)
{
    DEEP_TRY(type_of_ops(c->wrapped)->add(m, c));
    return deep_model_add_bidirectional(m, c->merge_mode);
}

static deep_status add_embedding(deep_model *m, const deep_layer *c)
{
    DEEP_TRY(deep_model_add_embedding(m, c->input_dim, c->units, c->input_length));
    return deep_model_set_layer_int(m, -1, DEEP_LAYER_MASK_ZERO, c->mask_zero);
}

static deep_status add_masking(deep_model *m, const deep_layer *c)
{
    return deep_model_add_masking(m, c->mask_value);
}

/* The fields every recurrent layer has. */
#define RECURRENT_FIELDS                                                                                  \
    FIELD("units", FIELD_SIZE, units), FIELD("activation", FIELD_ACTIVATION, activation),                \
        FIELD("use_bias", FIELD_BOOL, use_bias), FIELD("return_sequences", FIELD_BOOL, return_sequences), \
        FIELD("go_backwards", FIELD_BOOL, go_backwards), FIELD("dropout", FIELD_FLOAT, rate),            \
        FIELD("recurrent_dropout", FIELD_FLOAT, recurrent_rate)
#define RECURRENT_ACTIVATION FIELD("recurrent_activation", FIELD_ACTIVATION, recurrent_activation)

#define POOLING_FIELDS                                                                                    \
    {FIELD("pool_size", FIELD_PAIR, kernel), FIELD("strides", FIELD_PAIR, strides),                      \
     FIELD("padding", FIELD_PADDING, padding)}

static const layer_type types[] = {
    {&deep_dense_ops,
     {FIELD("units", FIELD_SIZE, units), FIELD("activation", FIELD_ACTIVATION, activation),
      FIELD("use_bias", FIELD_BOOL, use_bias)},
     add_dense},
    {&deep_activation_ops, {FIELD("activation", FIELD_ACTIVATION, activation)}, add_activation},
    {&deep_dropout_ops, {FIELD("rate", FIELD_FLOAT, rate)}, add_dropout},
    {&deep_flatten_ops, {{NULL, FIELD_SIZE, 0, false, false}}, add_flatten},
    {&deep_conv2d_ops,
     {FIELD("filters", FIELD_SIZE, units), FIELD("kernel_size", FIELD_PAIR, kernel),
      FIELD("strides", FIELD_PAIR, strides), FIELD("padding", FIELD_PADDING, padding),
      FIELD("activation", FIELD_ACTIVATION, activation), FIELD("use_bias", FIELD_BOOL, use_bias)},
     add_conv2d},
    {&deep_max_pooling2d_ops, POOLING_FIELDS, add_max_pooling2d},
    {&deep_average_pooling2d_ops, POOLING_FIELDS, add_average_pooling2d},
    {&deep_global_average_pooling2d_ops, {{NULL, FIELD_SIZE, 0, false, false}}, add_global_average_pooling2d},
    {&deep_batch_normalization_ops,
     {FIELD("momentum", FIELD_FLOAT, momentum), FIELD("epsilon", FIELD_FLOAT, epsilon)},
     add_batch_normalization},
    {&deep_embedding_ops,
     {FIELD("input_dim", FIELD_SIZE, input_dim), FIELD("output_dim", FIELD_SIZE, units),
      FIELD("input_length", FIELD_SIZE, input_length), LATER_BOOL("mask_zero", mask_zero, false)},
     add_embedding},
    {&deep_masking_ops, {FIELD("mask_value", FIELD_FLOAT, mask_value)}, add_masking},
    {&deep_lstm_ops,
     {RECURRENT_FIELDS, RECURRENT_ACTIVATION, FIELD("unit_forget_bias", FIELD_BOOL, unit_forget_bias)},
     add_lstm},
    {&deep_gru_ops, {RECURRENT_FIELDS, RECURRENT_ACTIVATION, LATER_BOOL("reset_after", reset_after, true)}, add_gru},
    {&deep_simple_rnn_ops, {RECURRENT_FIELDS}, add_simple_rnn},
    {&deep_bidirectional_ops,
     {FIELD("layer", FIELD_LAYER, wrapped), FIELD("merge_mode", FIELD_MERGE_MODE, merge_mode)},
     add_bidirectional},
};

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

/* The types a Bidirectional may wrap in a file: the recurrent ones. */
static bool is_wrappable(const layer_type *t)
{
    return t->ops == &deep_lstm_ops || t->ops == &deep_gru_ops || t->ops == &deep_simple_rnn_ops;
}

int deep_activation_by_name(const char *name)
{
    for (int a = 0; deep_activation_is_valid((deep_activation)a); a++)
        if (strcmp(deep_activation_name((deep_activation)a), name) == 0)
            return a;
    return -1;
}

static const layer_type *type_of_ops(const deep_layer_ops *ops)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].ops == ops)
            return &types[i];
    return NULL;
}

static const layer_type *type_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].ops->type, name) == 0)
            return &types[i];
    return NULL;
}

deep_status deep_layer_config_write(const char *caller, const deep_layer *layer, deep_bytes *out)
{
    const layer_type *t = type_of_ops(layer->ops);
    if (t == NULL)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller, "layer %s of type %s cannot be saved yet", layer->name,
                              layer->ops->type);
    const char *base = (const char *)layer;
    deep_bytes_put(out, "{", 1);
    for (int i = 0; i < MAX_FIELDS && t->fields[i].name != NULL; i++) {
        const field *f = &t->fields[i];
        const void *at = base + f->offset;
        deep_json_put_key(out, i == 0, f->name);
        switch (f->kind) {
        case FIELD_SIZE:
            deep_bytes_printf(out, "%lld", (long long)*(const int64_t *)at);
            break;
        case FIELD_PAIR:
            deep_bytes_printf(out, "[%lld, %lld]", (long long)((const int64_t *)at)[0],
                              (long long)((const int64_t *)at)[1]);
            break;
        case FIELD_BOOL:
            deep_bytes_printf(out, "%s", *(const bool *)at ? "true" : "false");
            break;
        case FIELD_FLOAT:
            deep_json_put_float(out, *(const float *)at);
            break;
        case FIELD_ACTIVATION:
            deep_bytes_printf(out, "\"%s\"", deep_activation_name(*(const deep_activation *)at));
            break;
        case FIELD_PADDING:
            deep_bytes_printf(out, "\"%s\"", *(const deep_padding *)at == DEEP_PADDING_SAME ? "same" : "valid");
            break;
        case FIELD_MERGE_MODE:
            deep_bytes_printf(out, "\"%s\"", merge_mode_names[*(const deep_merge_mode *)at]);
            break;
        case FIELD_LAYER: {
            deep_layer wrapped = *layer;
            wrapped.ops = layer->wrapped;
            wrapped.wrapped = NULL;
            deep_bytes_printf(out, "{\"type\": \"%s\", \"config\": ", wrapped.ops->type);
            DEEP_TRY(deep_layer_config_write(caller, &wrapped, out));
            deep_bytes_put(out, "}", 1);
            break;
        }
        }
    }
    deep_bytes_put(out, "}", 1);
    return DEEP_OK;
}

/* Reads one field's value into the configuration; false when it has the wrong kind. */
static bool read_field(const deep_json *doc, const deep_json_node *v, const field *f, char *base)
{
    void *at = base + f->offset;
    int64_t i;
    switch (f->kind) {
    case FIELD_SIZE:
        return deep_json_int(doc, v, (int64_t *)at);
    case FIELD_PAIR: {
        const deep_json_node *a = v->type == DEEP_JSON_ARRAY && v->count == 2 ? deep_json_at(doc, v->first) : NULL;
        return a != NULL && deep_json_int(doc, a, &((int64_t *)at)[0]) &&
               deep_json_int(doc, deep_json_at(doc, a->next), &((int64_t *)at)[1]);
    }
    case FIELD_BOOL:
        if (v->type != DEEP_JSON_TRUE && v->type != DEEP_JSON_FALSE)
            return false;
        *(bool *)at = v->type == DEEP_JSON_TRUE;
        return true;
    case FIELD_FLOAT:
        return deep_json_float(doc, v, (float *)at);
    case FIELD_ACTIVATION:
        if (v->type != DEEP_JSON_STRING || (i = deep_activation_by_name(deep_json_string(doc, v))) < 0)
            return false;
        *(deep_activation *)at = (deep_activation)i;
        return true;
    case FIELD_PADDING:
        if (v->type != DEEP_JSON_STRING)
            return false;
        if (strcmp(deep_json_string(doc, v), "valid") == 0)
            *(deep_padding *)at = DEEP_PADDING_VALID;
        else if (strcmp(deep_json_string(doc, v), "same") == 0)
            *(deep_padding *)at = DEEP_PADDING_SAME;
        else
            return false;
        return true;
    case FIELD_MERGE_MODE:
        if (v->type != DEEP_JSON_STRING || (i = merge_mode_by_name(deep_json_string(doc, v))) < 0)
            return false;
        *(deep_merge_mode *)at = (deep_merge_mode)i;
        return true;
    case FIELD_LAYER:
        return false; /* read_config reads it */
    }
    return false;
}

static const char *const kind_names[] = {
    [FIELD_SIZE] = "an integer", [FIELD_PAIR] = "a pair of integers", [FIELD_BOOL] = "true or false",
    [FIELD_FLOAT] = "a finite number", [FIELD_ACTIVATION] = "an activation name",
    [FIELD_PADDING] = "\"valid\" or \"same\"", [FIELD_MERGE_MODE] = "\"concat\", \"sum\", \"mul\" or \"ave\"",
    [FIELD_LAYER] = "an object {\"type\": ..., \"config\": {...}} of an lstm, gru or simple_rnn",
};

static deep_status read_config(const char *caller, const char *context, const layer_type *t, const deep_json *doc,
                               const deep_json_node *config, deep_layer *c);

/* A wrapped layer: its type into c->wrapped, its fields into c itself. */
static deep_status read_wrapped(const char *caller, const char *context, const deep_json *doc,
                                const deep_json_node *v, deep_layer *c, bool *ok)
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
    const layer_type *inner = type_by_name(deep_json_string(doc, type));
    if (inner == NULL || !is_wrappable(inner))
        return DEEP_OK;
    c->wrapped = inner->ops;
    *ok = true;
    return read_config(caller, context, inner, doc, config, c);
}

/* Reads `config` into c: every field of t present once, no unknown field, each value of
 * its kind. */
static deep_status read_config(const char *caller, const char *context, const layer_type *t, const deep_json *doc,
                               const deep_json_node *config, deep_layer *c)
{
    const char *type = t->ops->type;
    if (config->type != DEEP_JSON_OBJECT)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: the %s config is not an object", context, type);
    bool seen[MAX_FIELDS] = {false};
    for (const deep_json_node *m = deep_json_at(doc, config->first); m; m = deep_json_at(doc, m->next)) {
        const char *key = deep_json_key(doc, m);
        int i = 0;
        while (i < MAX_FIELDS && t->fields[i].name != NULL && strcmp(t->fields[i].name, key) != 0)
            i++;
        if (i == MAX_FIELDS || t->fields[i].name == NULL)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: unknown config field '%s' for a %s layer", context,
                                  key, type);
        if (seen[i])
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: config field '%s' appears twice", context, key);
        seen[i] = true;
        bool ok = false;
        if (t->fields[i].kind == FIELD_LAYER)
            DEEP_TRY(read_wrapped(caller, context, doc, m, c, &ok));
        else
            ok = read_field(doc, m, &t->fields[i], (char *)c);
        if (!ok)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: config field '%s' must be %s", context, key,
                                  kind_names[t->fields[i].kind]);
    }
    for (int i = 0; i < MAX_FIELDS && t->fields[i].name != NULL; i++)
        if (!seen[i] && t->fields[i].optional)
            *(bool *)((char *)c + t->fields[i].offset) = t->fields[i].fallback;
        else if (!seen[i])
            return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: config field '%s' is missing", context,
                                  t->fields[i].name);
    return DEEP_OK;
}

deep_status deep_layer_config_add(const char *caller, const char *context, deep_model *model, const char *type,
                                  const deep_json *doc, const deep_json_node *config)
{
    const layer_type *t = type_by_name(type);
    if (t == NULL)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "%s: unknown layer type '%s'", context, type);
    deep_layer c;
    memset(&c, 0, sizeof c);
    DEEP_TRY(read_config(caller, context, t, doc, config, &c));
    deep_status status = t->add(model, &c);
    if (status != DEEP_OK) {
        /* Keep the add call's reason, without its function name. */
        char reason[512];
        snprintf(reason, sizeof reason, "%s", deep_error_reason());
        const char *rest = reason;
        /* "layer 2 (conv2d_1): ..." from the add call: the context names the layer already. */
        size_t digits = strncmp(rest, "layer ", 6) == 0 ? strspn(rest + 6, "0123456789") : 0;
        if (digits > 0 && strncmp(rest + 6 + digits, " (", 2) == 0) {
            const char *close = rest + 6 + digits + 2 + strcspn(rest + 6 + digits + 2, ") ");
            if (strncmp(close, "): ", 3) == 0)
                rest = close + 3;
        }
        return deep_error_set(status == DEEP_ERR_NO_MEMORY ? status : DEEP_ERR_FORMAT, caller, "%s: %s", context,
                              rest);
    }
    return DEEP_OK;
}
