/* The registry of layer types (one line each in registry.def) and the generic code that
 * reads their field tables: validation of a config and the layer options. Save and load
 * are in graph/layer_config.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layer.h"

#define LAYER(name) &deep_##name##_ops,
const deep_layer_ops *const deep_layer_types[DEEP_LAYER_TYPE_COUNT] = {
#include "layers/registry.def"
};
#undef LAYER
/* A line of registry.def is a whole registration: the table, DEEP_LAYER_TYPE_COUNT (layer.h)
 * and the sources (layers/meson.build) all come from it, so they cannot disagree. What a
 * line cannot guarantee (a complete descriptor, a file with a descriptor but no line, a
 * type that does not save, load or appear in docs/layers.md) tests/test_registry.c checks. */

const deep_layer_ops *deep_layer_type_by_name(const char *type)
{
    for (int i = 0; i < DEEP_LAYER_TYPE_COUNT; i++)
        if (strcmp(deep_layer_types[i]->type, type) == 0)
            return deep_layer_types[i];
    return NULL;
}

int deep_activation_by_name(const char *name)
{
    for (int a = 0; deep_activation_is_valid((deep_activation)a); a++)
        if (strcmp(deep_activation_name((deep_activation)a), name) == 0)
            return a;
    return -1;
}

bool deep_field_is_float(deep_field_kind kind)
{
    return kind == DEEP_FIELD_RATE || kind == DEEP_FIELD_POSITIVE || kind == DEEP_FIELD_FINITE;
}

static deep_status check_shape(const deep_layer_field *f, const char *base, const char *caller)
{
    int32_t rank = *(const int32_t *)(const void *)(base + f->aux);
    const int64_t *dims = (const int64_t *)(const void *)(base + f->offset);
    if (rank < 1 || rank > DEEP_MAX_SAMPLE_RANK)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s has rank %d; it must be 1..%d", f->name,
                              (int)rank, DEEP_MAX_SAMPLE_RANK);
    int unknown = 0;
    for (int32_t i = 0; i < rank; i++) {
        if (dims[i] == -1 && ++unknown > 1)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "%s has more than one -1; only one dimension can be inferred", f->name);
        if (dims[i] != -1 && (dims[i] < 1 || dims[i] > DEEP_MAX_LAYER_SIZE))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "dimension %d of %s is %lld; it must be in 1..%lld or -1 (inferred)", (int)i,
                                  f->name, (long long)dims[i], (long long)DEEP_MAX_LAYER_SIZE);
    }
    return DEEP_OK;
}

/* Keras' Permute rule: dims holds each of 1..rank once. */
static deep_status check_permutation(const deep_layer_field *f, const char *base, const char *caller)
{
    int32_t rank = *(const int32_t *)(const void *)(base + f->aux);
    const int64_t *dims = (const int64_t *)(const void *)(base + f->offset);
    if (rank < 1 || rank > DEEP_MAX_SAMPLE_RANK)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s has %d entries; it must have 1..%d", f->name,
                              (int)rank, DEEP_MAX_SAMPLE_RANK);
    bool seen[DEEP_MAX_SAMPLE_RANK] = {false};
    for (int32_t i = 0; i < rank; i++) {
        if (dims[i] < 1 || dims[i] > rank || seen[dims[i] - 1])
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "%s must be a permutation of 1..%d (1-based axes, as Keras), but entry %d is %lld",
                                  f->name, (int)rank, (int)i, (long long)dims[i]);
        seen[dims[i] - 1] = true;
    }
    return DEEP_OK;
}

/* Keras' list of 1-based sample axes (PReLU's shared_axes): distinct, each in 1..7; the
 * layer's build checks them against its input's rank. */
static deep_status check_axes(const deep_layer_field *f, const char *base, const char *caller)
{
    int32_t count = *(const int32_t *)(const void *)(base + f->aux);
    const int64_t *axes = (const int64_t *)(const void *)(base + f->offset);
    if (count < 0 || count > DEEP_MAX_SAMPLE_RANK)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s has %d entries; it may have 0..%d", f->name,
                              (int)count, DEEP_MAX_SAMPLE_RANK);
    bool seen[DEEP_MAX_SAMPLE_RANK] = {false};
    for (int32_t i = 0; i < count; i++) {
        if (axes[i] < 1 || axes[i] > DEEP_MAX_SAMPLE_RANK || seen[axes[i] - 1])
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "%s entry %d is %lld; axes are distinct and in 1..%d (1-based, as Keras)", f->name,
                                  (int)i, (long long)axes[i], DEEP_MAX_SAMPLE_RANK);
        seen[axes[i] - 1] = true;
    }
    return DEEP_OK;
}

/* The activations a recurrent cell applies element by element: the 0.x ones but softmax. */
static bool cell_takes(deep_activation a)
{
    return a == DEEP_ACTIVATION_LINEAR || a == DEEP_ACTIVATION_RELU || a == DEEP_ACTIVATION_SIGMOID ||
           a == DEEP_ACTIVATION_TANH || a == DEEP_ACTIVATION_LEAKY_RELU || a == DEEP_ACTIVATION_ELU;
}

deep_status deep_field_check(const deep_layer_field *f, const void *config, const char *caller)
{
    const char *base = config;
    const void *at = base + f->offset;
    switch (f->kind) {
    case DEEP_FIELD_SIZE: {
        int64_t v = *(const int64_t *)at;
        if (v < f->min || v > DEEP_MAX_LAYER_SIZE)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s is %lld; it must be in %lld..%lld%s%s%s",
                                  f->name, (long long)v, (long long)f->min, (long long)DEEP_MAX_LAYER_SIZE,
                                  f->note ? " (" : "", f->note ? f->note : "", f->note ? ")" : "");
        return DEEP_OK;
    }
    case DEEP_FIELD_WINDOW: {
        /* The window's upper bound depends on the input: the layer's build checks it. */
        const int64_t *v = at;
        if (v[0] < 1 || v[1] < 1) {
            char label[48];
            snprintf(label, sizeof label, "%s", f->name);
            for (char *c = label; *c; c++)
                *c = *c == '_' ? ' ' : *c; /* "kernel size", as the message has always said */
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s %lld x %lld must be at least 1 x 1", label,
                                  (long long)v[0], (long long)v[1]);
        }
        return DEEP_OK;
    }
    case DEEP_FIELD_STRIDES: {
        const int64_t *v = at;
        if (v[0] < 1 || v[1] < 1 || v[0] > DEEP_MAX_LAYER_SIZE || v[1] > DEEP_MAX_LAYER_SIZE)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s %lld x %lld must be in 1..%lld", f->name,
                                  (long long)v[0], (long long)v[1], (long long)DEEP_MAX_LAYER_SIZE);
        return DEEP_OK;
    }
    case DEEP_FIELD_BOOL:
        return DEEP_OK;
    case DEEP_FIELD_RATE: {
        float v = *(const float *)at;
        if (v >= 0.0f && v < 1.0f)
            return DEEP_OK;
        if (f->option != 0)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "option %s is %g; it must be in [0, 1)",
                                  f->name, (double)v);
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s %g is outside [0, 1)", f->name, (double)v);
    }
    case DEEP_FIELD_POSITIVE: {
        float v = *(const float *)at;
        if (!(v > 0.0f) || !isfinite(v))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s %g must be finite and > 0", f->name,
                                  (double)v);
        return DEEP_OK;
    }
    case DEEP_FIELD_FINITE: {
        float v = *(const float *)at;
        if (!isfinite(v))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s %g is not finite", f->name, (double)v);
        return DEEP_OK;
    }
    case DEEP_FIELD_ACTIVATION:
    case DEEP_FIELD_CELL_ACTIVATION: {
        deep_activation a = *(const deep_activation *)at;
        if (!deep_activation_is_valid(a))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown %s %d", f->name, (int)a);
        if (f->kind == DEEP_FIELD_CELL_ACTIVATION &&
            (a == DEEP_ACTIVATION_SOFTMAX || a == DEEP_ACTIVATION_LOG_SOFTMAX))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "%s %s is not element-wise; a recurrent cell takes linear, relu, sigmoid, "
                                  "tanh, leaky_relu or elu", f->name, deep_activation_name(a));
        /* The cells inline fastmath.h's forms of these only; gelu and silu would also need
         * the pre-activations, which the cells do not keep. */
        if (f->kind == DEEP_FIELD_CELL_ACTIVATION && !cell_takes(a))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "%s %s is not supported in a recurrent cell, which takes linear, relu, sigmoid, "
                                  "tanh, leaky_relu or elu", f->name, deep_activation_name(a));
        return DEEP_OK;
    }
    case DEEP_FIELD_PADDING:
    case DEEP_FIELD_CAUSAL_PADDING: {
        deep_padding p = *(const deep_padding *)at;
        if (p == DEEP_PADDING_CAUSAL && f->kind == DEEP_FIELD_PADDING)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "%s 'causal' is only for Conv1D; use valid or same", f->name);
        if (p != DEEP_PADDING_VALID && p != DEEP_PADDING_SAME && p != DEEP_PADDING_CAUSAL)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown %s %d", f->name, (int)p);
        return DEEP_OK;
    }
    case DEEP_FIELD_MERGE_MODE: {
        deep_merge_mode m = *(const deep_merge_mode *)at;
        if (m != DEEP_MERGE_CONCAT && m != DEEP_MERGE_SUM && m != DEEP_MERGE_MUL && m != DEEP_MERGE_AVE)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown %s %d; use concat, sum, mul or ave",
                                  f->name, (int)m);
        return DEEP_OK;
    }
    case DEEP_FIELD_LAYER: {
        const deep_layer_ops *inner = *(const deep_layer_ops *const *)(const void *)(base + f->aux);
        if (inner == NULL || !(inner->flags & DEEP_LAYER_WRAPPABLE))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "%s is not a wrappable (recurrent) layer type",
                                  f->name);
        return deep_layer_config_check(inner, at, caller);
    }
    case DEEP_FIELD_SHAPE:
        return check_shape(f, base, caller);
    case DEEP_FIELD_PERMUTATION:
        return check_permutation(f, base, caller);
    case DEEP_FIELD_AXES:
        return check_axes(f, base, caller);
    case DEEP_FIELD_OUTPUT_PADDING: {
        const int64_t *v = at;
        bool none = v[0] == -1 && v[1] == -1;
        if (!none && (v[0] < 0 || v[1] < 0 || v[0] > DEEP_MAX_LAYER_SIZE || v[1] > DEEP_MAX_LAYER_SIZE))
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "%s %lld x %lld must be -1 x -1 (None: inferred) or in 0..%lld", f->name,
                                  (long long)v[0], (long long)v[1], (long long)DEEP_MAX_LAYER_SIZE);
        return DEEP_OK;
    }
    case DEEP_FIELD_INTERPOLATION: {
        deep_interpolation i = *(const deep_interpolation *)at;
        if (i != DEEP_INTERPOLATION_NEAREST && i != DEEP_INTERPOLATION_BILINEAR)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown %s %d; use nearest or bilinear",
                                  f->name, (int)i);
        return DEEP_OK;
    }
    case DEEP_FIELD_SIDES: {
        const int64_t *v = at;
        for (int i = 0; i < 4; i++)
            if (v[i] < 0 || v[i] > DEEP_MAX_LAYER_SIZE)
                return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                      "%s ((%lld, %lld), (%lld, %lld)) must be in 0..%lld on each side", f->name,
                                      (long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3],
                                      (long long)DEEP_MAX_LAYER_SIZE);
        return DEEP_OK;
    }
    }
    return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "field %s has an unknown kind", f->name);
}

deep_status deep_layer_config_check(const deep_layer_ops *type, const void *config, const char *caller)
{
    for (int32_t i = 0; i < type->field_count; i++)
        DEEP_TRY(deep_field_check(&type->fields[i], config, caller));
    return type->check != NULL ? type->check(config, caller) : DEEP_OK;
}

const deep_layer_field *deep_layer_option_field(const deep_layer_ops *type, deep_layer_option option,
                                                const void **config)
{
    for (int32_t i = 0; i < type->field_count; i++) {
        const deep_layer_field *f = &type->fields[i];
        if (f->option == option && option != 0)
            return f;
        if (f->kind == DEEP_FIELD_LAYER) {
            const char *base = *config;
            const deep_layer_ops *inner = *(const deep_layer_ops *const *)(const void *)(base + f->aux);
            const void *inner_config = base + f->offset;
            const deep_layer_field *found =
                inner != NULL ? deep_layer_option_field(inner, option, &inner_config) : NULL;
            if (found != NULL) {
                *config = inner_config;
                return found;
            }
        }
    }
    return NULL;
}

const char *deep_layer_option_name(deep_layer_option option)
{
    for (int t = 0; t < DEEP_LAYER_TYPE_COUNT; t++)
        for (int32_t i = 0; i < deep_layer_types[t]->field_count; i++)
            if (option != 0 && deep_layer_types[t]->fields[i].option == option)
                return deep_layer_types[t]->fields[i].name;
    return NULL;
}
