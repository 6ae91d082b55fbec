/* The layer registry: every registered type has a complete descriptor and its own file,
 * builds in a small model, saves and loads bit-exactly (config, weights, and the file
 * itself), and is documented in docs/layers.md, which this program generates from the
 * field tables and checks to be current:
 *   test_registry write-docs docs/layers.md
 * Also Reshape (the type added through the registry alone) and the layer option getters. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/model.h"
#include "layers/layer.h"

#include "check_helpers.h"
#define GRADCHECK_STEP 1e-2f
#define GRADCHECK_REL_TOL 1e-3
#define GRADCHECK_ABS_TOL 1e-4
#include "gradcheck.h"

#ifndef DEEP_SOURCE_DIR
#error "DEEP_SOURCE_DIR must name the source tree"
#endif

/* ---- docs/layers.md, from the field tables ------------------------------------------ */

static const char *const option_names[] = {
    [DEEP_LAYER_DROPOUT] = "DEEP_LAYER_DROPOUT",
    [DEEP_LAYER_RECURRENT_DROPOUT] = "DEEP_LAYER_RECURRENT_DROPOUT",
    [DEEP_LAYER_GO_BACKWARDS] = "DEEP_LAYER_GO_BACKWARDS",
    [DEEP_LAYER_UNIT_FORGET_BIAS] = "DEEP_LAYER_UNIT_FORGET_BIAS",
    [DEEP_LAYER_MASK_ZERO] = "DEEP_LAYER_MASK_ZERO",
    [DEEP_LAYER_RESET_AFTER] = "DEEP_LAYER_RESET_AFTER",
};

static const char *kind_text(const deep_layer_field *f, char *buf, size_t capacity)
{
    switch (f->kind) {
    case DEEP_FIELD_SIZE:
        snprintf(buf, capacity, "integer >= %lld", (long long)f->min);
        return buf;
    case DEEP_FIELD_WINDOW: return "(height, width), each >= 1";
    case DEEP_FIELD_STRIDES: return "(height, width), each >= 1";
    case DEEP_FIELD_BOOL: return "bool";
    case DEEP_FIELD_RATE: return "float in [0, 1)";
    case DEEP_FIELD_POSITIVE: return "float > 0";
    case DEEP_FIELD_FINITE: return "finite float";
    case DEEP_FIELD_ACTIVATION: return "activation";
    case DEEP_FIELD_CELL_ACTIVATION: return "element-wise activation (not softmax)";
    case DEEP_FIELD_PADDING: return "\"valid\" or \"same\"";
    case DEEP_FIELD_MERGE_MODE: return "\"concat\", \"sum\", \"mul\" or \"ave\"";
    case DEEP_FIELD_LAYER: return "wrapped layer";
    case DEEP_FIELD_SHAPE: return "shape, one -1 allowed";
    case DEEP_FIELD_CAUSAL_PADDING: return "\"valid\", \"same\" or \"causal\"";
    case DEEP_FIELD_PERMUTATION: return "permutation of 1..rank";
    case DEEP_FIELD_OUTPUT_PADDING: return "None (inferred) or (height, width), each >= 0";
    case DEEP_FIELD_INTERPOLATION: return "\"nearest\" or \"bilinear\"";
    case DEEP_FIELD_SIDES: return "((top, bottom), (left, right)), each >= 0";
    case DEEP_FIELD_AXES: return "list of 1-based axes, may be empty";
    }
    return "?";
}

static const char *const flag_names[] = {"recurrent", "wrappable by Bidirectional", "integer ids as input",
                                         "cell state c"};

/* The whole reference, from the registry alone; NULL if it outgrows its buffer (no Check
 * assertions here: write-docs runs it outside a test). */
static char *layer_docs(void)
{
    size_t capacity = 1 << 16, used = 0;
    char *out = malloc(capacity);
    if (out == NULL)
        return NULL;
#define PUT(...) (used += (size_t)snprintf(out + used, used < capacity ? capacity - used : 0, __VA_ARGS__))
    PUT("# Layer reference\n\n"
        "Generated from the field tables of the layer registry (`libdeep/layers/registry.def`) by\n"
        "`build/tests/test_registry write-docs docs/layers.md`; the `registry` test fails when this\n"
        "file is not current. Each type's fields are its Keras arguments, in the order of its config\n"
        "in model files (`docs/model-format.md`). \"add call\" fields are arguments of its\n"
        "`deep_model_add_*`; the others are layer options, set after the add call with\n"
        "`deep_model_set_layer_int` / `_float` and read with `deep_model_get_layer_int` / `_float`.\n"
        "Fields marked \"may be absent\" were added after the first files were written: an older file\n"
        "without them loads with the default.\n");
    for (int t = 0; t < DEEP_LAYER_TYPE_COUNT; t++) {
        const deep_layer_ops *type = deep_layer_types[t];
        PUT("\n## %s\n\n`deep_model_add_%s`, type `\"%s\"` in model files", type->class_name, type->type, type->type);
        bool any = false;
        for (unsigned bit = 0; bit < sizeof flag_names / sizeof flag_names[0]; bit++)
            if (type->flags & (1u << bit)) {
                PUT("%s%s", any ? ", " : "; ", flag_names[bit]);
                any = true;
            }
        PUT(".\n\n");
        if (type->field_count == 0) {
            PUT("No fields.\n");
            continue;
        }
        PUT("| field | kind | set by | meaning |\n| --- | --- | --- | --- |\n");
        for (int32_t i = 0; i < type->field_count; i++) {
            const deep_layer_field *f = &type->fields[i];
            char kind[64];
            PUT("| `%s` | %s | %s%s | %s |\n", f->name, kind_text(f, kind, sizeof kind),
                f->option != 0 ? option_names[f->option] : "add call", f->optional ? " (may be absent)" : "",
                f->doc);
        }
    }
#undef PUT
    if (used >= capacity) {
        free(out);
        return NULL;
    }
    return out;
}

static char *docs_path(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/docs/layers.md", DEEP_SOURCE_DIR);
    return path;
}

START_TEST(docs_are_current)
{
    char *want = layer_docs();
    ck_assert_ptr_nonnull(want);
    size_t length = 0;
    uint8_t *have = read_all(docs_path(), &length);
    have[length] = '\0'; /* read_all leaves room for it */
    ck_assert_msg(length == strlen(want) && memcmp(have, want, length) == 0,
                  "docs/layers.md is not current; regenerate it: build/tests/test_registry write-docs docs/layers.md");
    for (int t = 0; t < DEEP_LAYER_TYPE_COUNT; t++) {
        char heading[96];
        snprintf(heading, sizeof heading, "\n## %s\n", deep_layer_types[t]->class_name);
        ck_assert_msg(strstr((const char *)have, heading) != NULL, "docs/layers.md does not document %s",
                      deep_layer_types[t]->class_name);
    }
    free(have);
    free(want);
}
END_TEST

/* ---- descriptors ---------------------------------------------------------------------- */

static size_t kind_size(deep_field_kind kind)
{
    switch (kind) {
    case DEEP_FIELD_SIZE: return sizeof(int64_t);
    case DEEP_FIELD_WINDOW:
    case DEEP_FIELD_STRIDES: return 2 * sizeof(int64_t);
    case DEEP_FIELD_BOOL: return sizeof(bool);
    case DEEP_FIELD_RATE:
    case DEEP_FIELD_POSITIVE:
    case DEEP_FIELD_FINITE: return sizeof(float);
    case DEEP_FIELD_ACTIVATION:
    case DEEP_FIELD_CELL_ACTIVATION: return sizeof(deep_activation);
    case DEEP_FIELD_PADDING:
    case DEEP_FIELD_CAUSAL_PADDING: return sizeof(deep_padding);
    case DEEP_FIELD_MERGE_MODE: return sizeof(deep_merge_mode);
    case DEEP_FIELD_LAYER: return sizeof(deep_rnn_config);
    case DEEP_FIELD_SHAPE:
    case DEEP_FIELD_PERMUTATION:
    case DEEP_FIELD_AXES: return DEEP_MAX_SAMPLE_RANK * sizeof(int64_t);
    case DEEP_FIELD_OUTPUT_PADDING: return 2 * sizeof(int64_t);
    case DEEP_FIELD_INTERPOLATION: return sizeof(deep_interpolation);
    case DEEP_FIELD_SIDES: return 4 * sizeof(int64_t);
    }
    return SIZE_MAX;
}

START_TEST(descriptors_are_complete)
{
    const deep_layer_ops *type = deep_layer_types[_i];
    ck_assert_ptr_nonnull(type);
    ck_assert_msg(type->type != NULL && type->type[0] != '\0', "type %d has no name", _i);
    ck_assert_msg(type->class_name != NULL && type->class_name[0] != '\0', "%s has no class name", type->type);
    bool merge = (type->flags & DEEP_LAYER_MERGE) != 0;
    ck_assert_msg(type->build != NULL &&
                      (merge ? type->forward_merge != NULL && type->backward_merge != NULL && type->forward == NULL
                             : type->forward != NULL && type->backward != NULL && type->forward_merge == NULL),
                  "%s lacks an op", type->type);
    ck_assert_msg(type->config_size <= DEEP_LAYER_CONFIG_BYTES, "%s's config does not fit", type->type);
    ck_assert_msg(type->field_count >= 0 && type->field_count <= 64, "%s has %d fields", type->type,
                  (int)type->field_count);
    ck_assert_msg(type->field_count == 0 || type->fields != NULL, "%s has no field table", type->type);
    ck_assert_ptr_eq(deep_layer_type_by_name(type->type), type);
    for (int t = 0; t < _i; t++)
        ck_assert_msg(strcmp(deep_layer_types[t]->type, type->type) != 0 &&
                          strcmp(deep_layer_types[t]->class_name, type->class_name) != 0,
                      "%s is registered twice", type->type);
    for (int32_t i = 0; i < type->field_count; i++) {
        const deep_layer_field *f = &type->fields[i];
        ck_assert_msg(f->name != NULL && f->doc != NULL && f->doc[0] != '\0', "%s field %d is undocumented",
                      type->type, (int)i);
        ck_assert_msg(f->offset + kind_size(f->kind) <= type->config_size, "%s.%s lies outside its config",
                      type->type, f->name);
        ck_assert_msg(f->option == 0 || (f->option > 0 && f->option < COUNT_OF(option_names) &&
                                         option_names[f->option] != NULL),
                      "%s.%s has an option docs/layers.md cannot name", type->type, f->name);
        ck_assert_msg(!f->optional || f->kind == DEEP_FIELD_BOOL || type->defaults != NULL || f->option != 0,
                      "%s.%s may be absent but has no default", type->type, f->name);
        for (int32_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(type->fields[j].name, f->name) != 0, "%s.%s appears twice", type->type, f->name);
    }
    /* One file per type, named as the type (layers/meson.build compiles it from registry.def). */
    char path[512];
    snprintf(path, sizeof path, "%s/libdeep/layers/%s.c", DEEP_SOURCE_DIR, type->type);
    FILE *file = fopen(path, "r");
    ck_assert_msg(file != NULL, "%s has no file %s", type->type, path);
    fclose(file);
}
END_TEST

/* A file that defines a descriptor but has no line in registry.def would not even be built:
 * every `const deep_layer_ops deep_<name>_ops = {` in libdeep/layers/ must be registered. */
START_TEST(every_descriptor_is_registered)
{
    char dir_path[512];
    snprintf(dir_path, sizeof dir_path, "%s/libdeep/layers", DEEP_SOURCE_DIR);
    DIR *dir = opendir(dir_path);
    ck_assert_msg(dir != NULL, "cannot open %s", dir_path);
    int found = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir_path, e->d_name);
        size_t length = 0;
        char *text = (char *)read_all(path, &length);
        text[length] = '\0'; /* read_all leaves room for it */
        static const char marker[] = "const deep_layer_ops deep_";
        for (const char *at = strstr(text, marker); at != NULL; at = strstr(at + 1, marker)) {
            const char *name = at + strlen(marker), *end = strstr(name, "_ops = {");
            if (end == NULL || (size_t)(end - name) >= 64 || memchr(name, '\n', (size_t)(end - name)) != NULL)
                continue;
            char type[64];
            snprintf(type, sizeof type, "%.*s", (int)(end - name), name);
            ck_assert_msg(deep_layer_type_by_name(type) != NULL, "%s defines deep_%s_ops but registry.def has no "
                          "LAYER(%s)", e->d_name, type, type);
            found++;
        }
        free(text);
    }
    closedir(dir);
    ck_assert_int_eq(found, DEEP_LAYER_TYPE_COUNT);
}
END_TEST

/* ---- every type builds, saves and loads ------------------------------------------------ */

typedef struct example {
    const char *type;
    int32_t rank;
    int64_t shape[3];
    void (*add)(deep_model *model);
} example;

static void add_dense(deep_model *m)
{
    ASSERT_OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_RELU, 0));
}
static void add_activation(deep_model *m)
{
    ASSERT_OK(deep_model_add_activation(m, DEEP_ACTIVATION_ELU));
}
static void add_dropout(deep_model *m)
{
    ASSERT_OK(deep_model_add_dropout(m, 0.3));
}
static void add_flatten(deep_model *m)
{
    ASSERT_OK(deep_model_add_flatten(m));
}
static void add_conv2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_conv2d(m, 3, 3, 2, 1, 2, DEEP_PADDING_SAME, DEEP_ACTIVATION_TANH, 1));
}
static void add_max_pooling2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID));
}
static void add_average_pooling2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_average_pooling2d(m, 3, 3, 2, 2, DEEP_PADDING_SAME));
}
static void add_global_average_pooling2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_global_average_pooling2d(m));
}
static void add_batch_normalization(deep_model *m)
{
    ASSERT_OK(deep_model_add_batch_normalization(m, 0.9, 0.01));
}
static void add_embedding(deep_model *m)
{
    ASSERT_OK(deep_model_add_embedding(m, 10, 3, 5));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_MASK_ZERO, 1));
}
static void add_masking(deep_model *m)
{
    ASSERT_OK(deep_model_add_masking(m, 0.5));
}
static void add_lstm(deep_model *m)
{
    ASSERT_OK(deep_model_add_lstm(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    ASSERT_OK(deep_model_set_layer_float(m, -1, DEEP_LAYER_DROPOUT, 0.25));
    ASSERT_OK(deep_model_set_layer_float(m, -1, DEEP_LAYER_RECURRENT_DROPOUT, 0.125));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_UNIT_FORGET_BIAS, 0));
}
static void add_gru(deep_model *m)
{
    ASSERT_OK(deep_model_add_gru(m, 4, DEEP_ACTIVATION_RELU, DEEP_ACTIVATION_SIGMOID, 0, 0));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_RESET_AFTER, 0));
}
static void add_simple_rnn(deep_model *m)
{
    ASSERT_OK(deep_model_add_simple_rnn(m, 4, DEEP_ACTIVATION_TANH, 1, 1));
    ASSERT_OK(deep_model_set_layer_float(m, -1, DEEP_LAYER_DROPOUT, 0.5));
}
static void add_bidirectional(deep_model *m)
{
    ASSERT_OK(deep_model_add_gru(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_bidirectional(m, DEEP_MERGE_AVE));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_RESET_AFTER, 0));
    ASSERT_OK(deep_model_set_layer_float(m, -1, DEEP_LAYER_RECURRENT_DROPOUT, 0.2));
}
static void add_reshape(deep_model *m)
{
    ASSERT_OK(deep_model_add_reshape(m, 3, (int64_t[]){2, -1, 3}));
}
static void add_layer_normalization(deep_model *m)
{
    ASSERT_OK(deep_model_add_layer_normalization(m, 0.01, 0, 1));
}
static void add_depthwise_conv2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_depthwise_conv2d(m, 3, 2, 2, 1, DEEP_PADDING_SAME, 2, DEEP_ACTIVATION_RELU, 1));
}
static void add_separable_conv2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_separable_conv2d(m, 3, 2, 3, 1, 2, DEEP_PADDING_VALID, 3, DEEP_ACTIVATION_ELU, 0));
}

static void add_conv1d(deep_model *m)
{
    ASSERT_OK(deep_model_add_conv1d(m, 3, 2, 1, DEEP_PADDING_CAUSAL, 2, DEEP_ACTIVATION_TANH, 1));
}
static void add_max_pooling1d(deep_model *m)
{
    ASSERT_OK(deep_model_add_max_pooling1d(m, 3, 2, DEEP_PADDING_SAME));
}
static void add_global_average_pooling1d(deep_model *m)
{
    ASSERT_OK(deep_model_add_global_average_pooling1d(m, 1));
}
static void add_global_max_pooling2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_global_max_pooling2d(m, 1));
}
static void add_permute(deep_model *m)
{
    ASSERT_OK(deep_model_add_permute(m, 3, (int32_t[]){3, 1, 2}));
}
static void add_repeat_vector(deep_model *m)
{
    ASSERT_OK(deep_model_add_repeat_vector(m, 3));
}
/* output_padding inferred (None, null in the file), then given. */
static void add_conv2d_transpose(deep_model *m)
{
    ASSERT_OK(deep_model_add_conv2d_transpose(m, 2, 3, 3, 2, 2, DEEP_PADDING_VALID, -1, -1, DEEP_ACTIVATION_RELU, 0));
    ASSERT_OK(deep_model_add_conv2d_transpose(m, 3, 3, 2, 2, 3, DEEP_PADDING_SAME, 1, 2, DEEP_ACTIVATION_SIGMOID, 1));
}
static void add_up_sampling2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_up_sampling2d(m, 2, 3, DEEP_INTERPOLATION_BILINEAR));
    ASSERT_OK(deep_model_add_up_sampling2d(m, 1, 2, DEEP_INTERPOLATION_NEAREST));
}
static void add_zero_padding2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_zero_padding2d(m, 1, 2, 0, 3));
}
static void add_cropping2d(deep_model *m)
{
    ASSERT_OK(deep_model_add_cropping2d(m, 0, 1, 2, 1));
}

/* Merge layers: on a Dense of the input and the input itself (a residual connection), so
 * the model has weights and a node feeding two calls. */
static void merge_on_dense(deep_model *m, deep_status (*add)(deep_model *))
{
    int32_t dense;
    ASSERT_OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_TANH, 1));
    ASSERT_OK(deep_model_last_node(m, &dense));
    ASSERT_OK(deep_model_connect(m, (int32_t[]){0, dense}, 2));
    ASSERT_OK(add(m));
}
static void add_add(deep_model *m)
{
    merge_on_dense(m, deep_model_add_add);
}
static void add_subtract(deep_model *m)
{
    merge_on_dense(m, deep_model_add_subtract);
}
static void add_multiply(deep_model *m)
{
    merge_on_dense(m, deep_model_add_multiply);
}
static void add_average(deep_model *m)
{
    merge_on_dense(m, deep_model_add_average);
}
static void add_maximum(deep_model *m)
{
    merge_on_dense(m, deep_model_add_maximum);
}
static void add_minimum(deep_model *m)
{
    merge_on_dense(m, deep_model_add_minimum);
}
static deep_status concatenate_first_axis(deep_model *m)
{
    return deep_model_add_concatenate(m, 1);
}
static void add_concatenate(deep_model *m)
{
    merge_on_dense(m, concatenate_first_axis);
}

static void add_spatial_dropout2d(deep_model *m)
{
    ck_assert_int_eq(deep_model_add_spatial_dropout2d(m, 0.3), DEEP_OK);
}
static void add_gaussian_noise(deep_model *m)
{
    ck_assert_int_eq(deep_model_add_gaussian_noise(m, 0.2), DEEP_OK);
}
static void add_gaussian_dropout(deep_model *m)
{
    ck_assert_int_eq(deep_model_add_gaussian_dropout(m, 0.4), DEEP_OK);
}

static void add_leaky_relu(deep_model *m)
{
    ck_assert_int_eq(deep_model_add_leaky_relu(m, 0.1), DEEP_OK);
}
static void add_elu(deep_model *m)
{
    ck_assert_int_eq(deep_model_add_elu(m, 0.5), DEEP_OK);
}
static void add_relu(deep_model *m)
{
    ck_assert_int_eq(deep_model_add_relu(m, 6.0, 0.1, 0.5), DEEP_OK);
}
static void add_prelu(deep_model *m)
{
    const int64_t shared[] = {1, 2};
    ck_assert_int_eq(deep_model_add_prelu(m, 2, shared), DEEP_OK);
}

static const example examples[] = {
    {"dense", 1, {5}, add_dense},
    {"activation", 2, {2, 3}, add_activation},
    {"dropout", 1, {6}, add_dropout},
    {"flatten", 3, {2, 2, 3}, add_flatten},
    {"conv2d", 3, {5, 4, 2}, add_conv2d},
    {"max_pooling2d", 3, {4, 4, 2}, add_max_pooling2d},
    {"average_pooling2d", 3, {5, 5, 1}, add_average_pooling2d},
    {"global_average_pooling2d", 3, {3, 3, 2}, add_global_average_pooling2d},
    {"batch_normalization", 1, {4}, add_batch_normalization},
    {"embedding", 1, {5}, add_embedding},
    {"masking", 2, {4, 3}, add_masking},
    {"lstm", 2, {4, 3}, add_lstm},
    {"gru", 2, {4, 3}, add_gru},
    {"simple_rnn", 2, {4, 3}, add_simple_rnn},
    {"bidirectional", 2, {4, 3}, add_bidirectional},
    {"reshape", 1, {12}, add_reshape},
    {"conv1d", 2, {6, 2}, add_conv1d},
    {"max_pooling1d", 2, {7, 2}, add_max_pooling1d},
    {"global_average_pooling1d", 2, {4, 3}, add_global_average_pooling1d},
    {"global_max_pooling2d", 3, {3, 2, 2}, add_global_max_pooling2d},
    {"permute", 3, {2, 3, 4}, add_permute},
    {"repeat_vector", 1, {4}, add_repeat_vector},
    {"conv2d_transpose", 3, {3, 4, 2}, add_conv2d_transpose},
    {"up_sampling2d", 3, {2, 3, 2}, add_up_sampling2d},
    {"zero_padding2d", 3, {2, 3, 2}, add_zero_padding2d},
    {"cropping2d", 3, {3, 5, 2}, add_cropping2d},
    {"layer_normalization", 3, {2, 2, 3}, add_layer_normalization},
    {"depthwise_conv2d", 3, {5, 4, 2}, add_depthwise_conv2d},
    {"separable_conv2d", 3, {5, 4, 2}, add_separable_conv2d},
    {"add", 2, {2, 3}, add_add},
    {"subtract", 2, {2, 3}, add_subtract},
    {"multiply", 2, {2, 3}, add_multiply},
    {"average", 2, {2, 3}, add_average},
    {"maximum", 2, {2, 3}, add_maximum},
    {"minimum", 2, {2, 3}, add_minimum},
    {"concatenate", 2, {2, 3}, add_concatenate},
    {"spatial_dropout2d", 3, {3, 3, 2}, add_spatial_dropout2d},
    {"gaussian_noise", 2, {2, 3}, add_gaussian_noise},
    {"gaussian_dropout", 1, {4}, add_gaussian_dropout},
    {"leaky_relu", 2, {2, 3}, add_leaky_relu},
    {"elu", 1, {4}, add_elu},
    {"relu", 2, {2, 3}, add_relu},
    {"prelu", 3, {3, 3, 2}, add_prelu},
};

/* Field by field, so that padding bytes in a config never matter. */
static void assert_same_config(const char *what, const deep_layer_ops *type, const char *a, const char *b)
{
    for (int32_t i = 0; i < type->field_count; i++) {
        const deep_layer_field *f = &type->fields[i];
        size_t size = kind_size(f->kind);
        if (f->kind == DEEP_FIELD_LAYER) {
            const deep_layer_ops *ia = *(const deep_layer_ops *const *)(const void *)(a + f->aux);
            const deep_layer_ops *ib = *(const deep_layer_ops *const *)(const void *)(b + f->aux);
            ck_assert_msg(ia == ib, "%s: the wrapped types differ", what);
            assert_same_config(what, ia, a + f->offset, b + f->offset);
            continue;
        }
        if (f->kind == DEEP_FIELD_SHAPE || f->kind == DEEP_FIELD_PERMUTATION || f->kind == DEEP_FIELD_AXES) {
            int32_t ra = *(const int32_t *)(const void *)(a + f->aux), rb = *(const int32_t *)(const void *)(b + f->aux);
            ck_assert_msg(ra == rb, "%s: %s has rank %d, then %d", what, f->name, (int)ra, (int)rb);
            size = (size_t)ra * sizeof(int64_t);
        }
        ck_assert_msg(memcmp(a + f->offset, b + f->offset, size) == 0, "%s: field %s differs after loading", what,
                      f->name);
    }
}

static const example *example_of(const char *type)
{
    for (int i = 0; i < COUNT_OF(examples); i++)
        if (strcmp(examples[i].type, type) == 0)
            return &examples[i];
    return NULL;
}

static uint8_t *saved(const deep_model *model, int64_t *size)
{
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, size));
    uint8_t *bytes = malloc((size_t)*size);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_buffer(model, bytes, *size, size));
    return bytes;
}

START_TEST(every_type_saves_and_loads_bit_exactly)
{
    const deep_layer_ops *type = deep_layer_types[_i];
    const example *ex = example_of(type->type);
    ck_assert_msg(ex != NULL, "registered type %s has no example in test_registry.c: add one", type->type);
    deep_model *model = NULL, *loaded = NULL;
    ASSERT_OK(deep_model_new(ex->rank, ex->shape, &model));
    ex->add(model);
    ck_assert_ptr_eq(model->layers[model->layer_count - 1]->ops, type);
    ASSERT_OK(deep_model_set_seed(model, 7));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    /* Weights that differ from any initialisation. */
    for (int64_t i = 0; i < model->weight_total; i++)
        model->weights[i] = (float)sin((double)i + 0.5) * 0.75f;

    int64_t size = 0, again_size = 0;
    uint8_t *bytes = saved(model, &size);
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    ck_assert_int_eq(loaded->layer_count, model->layer_count);
    for (int32_t i = 0; i < model->layer_count; i++) {
        const deep_layer *a = model->layers[i], *b = loaded->layers[i];
        ck_assert_ptr_eq(a->ops, b->ops);
        ck_assert_str_eq(a->name, b->name);
        ck_assert_int_eq(a->out_rank, b->out_rank);
        ck_assert(memcmp(a->out_shape, b->out_shape, (size_t)a->out_rank * sizeof a->out_shape[0]) == 0);
        ck_assert_int_eq(a->param_count, b->param_count);
        assert_same_config(type->type, a->ops, (const char *)a->cfg.bytes, (const char *)b->cfg.bytes);
    }
    ck_assert_int_eq(loaded->weight_total, model->weight_total);
    ck_assert(memcmp(loaded->weights, model->weights, (size_t)model->weight_total * sizeof(float)) == 0);
    uint8_t *again = saved(loaded, &again_size);
    ck_assert_msg(again_size == size && memcmp(again, bytes, (size_t)size) == 0,
                  "%s: the loaded model saves to other bytes", type->type);
    free(again);
    free(bytes);
    deep_model_free(loaded);
    deep_model_free(model);
}
END_TEST

/* ---- Reshape ---------------------------------------------------------------------------- */

START_TEST(reshape_shapes)
{
    static const struct {
        int32_t in_rank;
        int64_t in[3];
        int32_t rank;
        int64_t target[3];
        int32_t out_rank;
        int64_t out[3];
    } cases[] = {
        {1, {12}, 2, {3, 4}, 2, {3, 4}},
        {1, {12}, 2, {3, -1}, 2, {3, 4}},
        {2, {3, 4}, 1, {-1}, 1, {12}},
        {3, {2, 3, 2}, 3, {-1, 2, 2}, 3, {3, 2, 2}},
        {2, {4, 3}, 3, {2, 2, 3}, 3, {2, 2, 3}},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *model = NULL;
        ASSERT_OK(deep_model_new(cases[i].in_rank, cases[i].in, &model));
        ASSERT_OK(deep_model_add_reshape(model, cases[i].rank, cases[i].target));
        const deep_layer *layer = model->layers[0];
        ck_assert_str_eq(layer->name, "reshape");
        ck_assert_int_eq(layer->out_rank, cases[i].out_rank);
        for (int32_t d = 0; d < cases[i].out_rank; d++)
            ck_assert_int_eq(layer->out_shape[d], cases[i].out[d]);
        deep_model_free(model);
    }
}
END_TEST

START_TEST(reshape_errors)
{
    static const char fn[] = "deep_model_add_reshape";
    deep_model *model = NULL;
    ck_assert_int_eq(deep_model_add_reshape(NULL, 1, (int64_t[]){4}), DEEP_ERR_NULL);
    ASSERT_OK(deep_model_new(1, (int64_t[]){12}, &model));
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, 1, NULL), DEEP_ERR_NULL, fn, "target_shape");
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, 2, (int64_t[]){5, 3}), DEEP_ERR_SHAPE, fn,
                      "layer 0 (reshape): cannot reshape an input (12,) of 12 elements to target_shape (5, 3)");
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, 2, (int64_t[]){5, -1}), DEEP_ERR_SHAPE, fn, "(5, -1)");
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, 3, (int64_t[]){-1, 2, -1}), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "target_shape has more than one -1");
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, 2, (int64_t[]){0, 12}), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "dimension 0 of target_shape is 0");
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, 2, (int64_t[]){-2, 6}), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "dimension 0 of target_shape is -2");
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, 0, (int64_t[]){12}), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "target_shape has rank 0");
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, DEEP_MAX_SAMPLE_RANK + 1, (int64_t[8]){1}),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "rank 8");
    /* Huge dimensions whose product overflows are a mismatch, not a wrap. */
    ASSERT_FAILS_WITH(deep_model_add_reshape(model, 3, (int64_t[]){DEEP_MAX_LAYER_SIZE, DEEP_MAX_LAYER_SIZE, -1}),
                      DEEP_ERR_SHAPE, fn, "cannot reshape");
    int32_t count = -1;
    ASSERT_OK(deep_model_layer_count(model, &count));
    ck_assert_int_eq(count, 0);
    deep_model_free(model);
}
END_TEST

/* Forward is a copy and backward copies the gradient: finite differences agree. */
START_TEST(reshape_gradients)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){3, 4}, &model));
    ASSERT_OK(deep_model_add_reshape(model, 3, (int64_t[]){2, -1, 2}));
    deep_layer layer = *model->layers[0];
    float in[2 * 12];
    struct deep_rng rng;
    deep_rng_init(&rng, 11);
    fill_uniform(&rng, in, 2 * 12, -1.0f, 1.0f);
    float out[2 * 12];
    layer.ops->forward(&layer, &(deep_exec){0}, in, out, NULL, 2);
    ck_assert(memcmp(in, out, sizeof in) == 0);
    grad_check gc = {.what = "reshape (3, 4) to (2, 3, 2)", .layer = &layer, .in = in, .batch = 2};
    ASSERT_GRADIENTS_MATCH(&gc);
    deep_model_free(model);
}
END_TEST

/* ---- layer option getters ------------------------------------------------------------- */

START_TEST(layer_option_getters)
{
    static const char gi[] = "deep_model_get_layer_int", gf[] = "deep_model_get_layer_float";
    deep_model *model = NULL;
    int64_t v = -1;
    double d = -1;
    ASSERT_OK(deep_model_new(2, (int64_t[]){4, 3}, &model));
    ASSERT_OK(deep_model_add_lstm(model, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    ASSERT_OK(deep_model_get_layer_int(model, 0, DEEP_LAYER_UNIT_FORGET_BIAS, &v));
    ck_assert_int_eq(v, 1);
    ASSERT_OK(deep_model_get_layer_int(model, -1, DEEP_LAYER_GO_BACKWARDS, &v));
    ck_assert_int_eq(v, 0);
    ASSERT_OK(deep_model_get_layer_float(model, 0, DEEP_LAYER_DROPOUT, &d));
    ck_assert(d == 0.0);
    ASSERT_OK(deep_model_set_layer_float(model, 0, DEEP_LAYER_DROPOUT, 0.1));
    ASSERT_OK(deep_model_get_layer_float(model, 0, DEEP_LAYER_DROPOUT, &d));
    ck_assert(d == (double)0.1f); /* kept as float */
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_UNIT_FORGET_BIAS, 0));
    ASSERT_OK(deep_model_get_layer_int(model, 0, DEEP_LAYER_UNIT_FORGET_BIAS, &v));
    ck_assert_int_eq(v, 0);
    ASSERT_FAILS_WITH(deep_model_get_layer_int(model, 0, DEEP_LAYER_RESET_AFTER, &v), DEEP_ERR_INVALID_ARGUMENT, gi,
                      "option reset_after does not apply to layer 0 (lstm, LSTM)");
    ASSERT_FAILS_WITH(deep_model_get_layer_int(model, 0, DEEP_LAYER_DROPOUT, &v), DEEP_ERR_INVALID_ARGUMENT, gi,
                      "use deep_model_get_layer_float");
    ASSERT_FAILS_WITH(deep_model_get_layer_float(model, 0, DEEP_LAYER_GO_BACKWARDS, &d), DEEP_ERR_INVALID_ARGUMENT,
                      gf, "use deep_model_get_layer_int");
    ASSERT_FAILS_WITH(deep_model_get_layer_int(model, 1, DEEP_LAYER_GO_BACKWARDS, &v), DEEP_ERR_OUT_OF_RANGE, gi,
                      "layer 1");
    ASSERT_FAILS_WITH(deep_model_get_layer_int(model, 0, (deep_layer_option)99, &v), DEEP_ERR_INVALID_ARGUMENT, gi,
                      "unknown layer option 99");
    ASSERT_FAILS(deep_model_get_layer_int(NULL, 0, DEEP_LAYER_GO_BACKWARDS, &v), DEEP_ERR_NULL, gi);
    ASSERT_FAILS(deep_model_get_layer_int(model, 0, DEEP_LAYER_GO_BACKWARDS, NULL), DEEP_ERR_NULL, gi);
    ASSERT_FAILS(deep_model_get_layer_float(model, 0, DEEP_LAYER_DROPOUT, NULL), DEEP_ERR_NULL, gf);

    /* Wrapped: the options are the wrapped layer's, readable after compile too. */
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    ASSERT_OK(deep_model_get_layer_int(model, 0, DEEP_LAYER_UNIT_FORGET_BIAS, &v));
    ck_assert_int_eq(v, 0);
    ASSERT_OK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_SIGMOID, 1));
    ASSERT_FAILS_WITH(deep_model_get_layer_float(model, -1, DEEP_LAYER_DROPOUT, &d), DEEP_ERR_INVALID_ARGUMENT, gf,
                      "does not apply to layer 1 (dense, Dense)");
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    ASSERT_OK(deep_model_get_layer_float(model, 0, DEEP_LAYER_DROPOUT, &d));
    ck_assert(d == (double)0.1f);
    deep_model_free(model);
}
END_TEST

static Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("descriptors");
    tcase_add_loop_test(tc, descriptors_are_complete, 0, DEEP_LAYER_TYPE_COUNT);
    tcase_add_test(tc, docs_are_current);
    tcase_add_test(tc, every_descriptor_is_registered);
    suite_add_tcase(s, tc);
    tc = tcase_create("round trips");
    tcase_add_loop_test(tc, every_type_saves_and_loads_bit_exactly, 0, DEEP_LAYER_TYPE_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("reshape");
    tcase_add_test(tc, reshape_shapes);
    tcase_add_test(tc, reshape_errors);
    tcase_add_test(tc, reshape_gradients);
    suite_add_tcase(s, tc);
    tc = tcase_create("options");
    tcase_add_test(tc, layer_option_getters);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "write-docs") == 0) {
        char *docs = layer_docs();
        FILE *file = docs != NULL ? fopen(argv[2], "w") : NULL;
        if (file == NULL || fputs(docs, file) == EOF || fclose(file) != 0) {
            perror(argv[2]);
            return 1;
        }
        free(docs);
        return 0;
    }
    return run_suite(registry_suite(), CK_ENV);
}
