/* Model files: a whole Sequential model — architecture, settings, weights and, when it is
 * compiled, the loss, metrics and optimizer with its state, and the random generator —
 * in a safetensors file (docs/model-format.md). The weights are tensors named
 * "<layer>/<weight>" ("dense_1/kernel"); the rest is one JSON document in the metadata. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/layer_config.h"
#include "graph/model.h"
#include "graph/rules.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "optim/optim.h"
#include "optim/schedule.h"
#include "tensor/tensor.h"

#define FORMAT_VERSION "1"
#define META_FORMAT "libdeep.format"
#define META_VERSION "libdeep.format_version"
#define META_MODEL "libdeep.model"
/* "optimizer/" + layer name + "/" + weight name + "/" + slot name */
#define NAME_CAPACITY 128

static const char *const loss_names[] = {
    [DEEP_LOSS_MEAN_SQUARED_ERROR] = "mean_squared_error",
    [DEEP_LOSS_BINARY_CROSSENTROPY] = "binary_crossentropy",
    [DEEP_LOSS_CATEGORICAL_CROSSENTROPY] = "categorical_crossentropy",
    [DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY] = "sparse_categorical_crossentropy",
    [DEEP_LOSS_MEAN_ABSOLUTE_ERROR] = "mean_absolute_error",
    [DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR] = "mean_absolute_percentage_error",
    [DEEP_LOSS_HUBER] = "huber",
    [DEEP_LOSS_LOG_COSH] = "log_cosh",
    [DEEP_LOSS_HINGE] = "hinge",
    [DEEP_LOSS_SQUARED_HINGE] = "squared_hinge",
    [DEEP_LOSS_CATEGORICAL_HINGE] = "categorical_hinge",
    [DEEP_LOSS_KL_DIVERGENCE] = "kl_divergence",
    [DEEP_LOSS_POISSON] = "poisson",
    [DEEP_LOSS_COSINE_SIMILARITY] = "cosine_similarity",
};

static const char *const metric_names[] = {
    [DEEP_METRIC_ACCURACY] = "accuracy",
    [DEEP_METRIC_MEAN_ABSOLUTE_ERROR] = "mean_absolute_error",
    /* since 1.2 */
    [DEEP_METRIC_PRECISION] = "precision",
    [DEEP_METRIC_RECALL] = "recall",
    [DEEP_METRIC_AUC] = "auc",
    [DEEP_METRIC_PR_AUC] = "pr_auc",
    [DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY] = "top_k_categorical_accuracy",
    [DEEP_METRIC_MEAN_SQUARED_ERROR] = "mean_squared_error",
    [DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR] = "root_mean_squared_error",
    [DEEP_METRIC_BINARY_ACCURACY] = "binary_accuracy",
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Since 1.2: the settings of the loss and metric objects (deep.h's model options), each
 * written only when it is not Keras' default, so files from before them load unchanged. */
static const struct loss_setting {
    const char *key;
    deep_model_option option;
    bool integer;
    double keras_default;
} loss_settings[] = {
    {"from_logits", DEEP_MODEL_FROM_LOGITS, true, 0},
    {"label_smoothing", DEEP_MODEL_LABEL_SMOOTHING, false, 0},
    {"top_k", DEEP_MODEL_TOP_K, true, 5},
    {"metric_threshold", DEEP_MODEL_METRIC_THRESHOLD, false, 0.5},
};
#define LOSS_SETTINGS COUNT(loss_settings)

static double loss_setting_value(const deep_model *model, deep_model_option option)
{
    switch (option) {
    case DEEP_MODEL_FROM_LOGITS: return model->from_logits;
    case DEEP_MODEL_LABEL_SMOOTHING: return model->label_smoothing;
    case DEEP_MODEL_TOP_K: return (double)model->top_k;
    default: return model->metric_threshold;
    }
}

static void put_loss_settings(const deep_model *model, deep_bytes *j)
{
    for (int i = 0; i < LOSS_SETTINGS; i++) {
        double v = loss_setting_value(model, loss_settings[i].option);
        if (v == loss_settings[i].keras_default)
            continue;
        deep_json_put_key(j, false, loss_settings[i].key);
        if (loss_settings[i].integer)
            deep_bytes_printf(j, "%lld", (long long)v);
        else
            deep_json_put_double(j, v);
    }
}


/* Since 1.3: each metric's own settings (deep_model_set_metric_*), one object per metric
 * holding those set; written only when some metric has one, so older files load as ever. */
static void put_metric_settings(const deep_model *model, deep_bytes *j)
{
    bool any = false;
    for (int32_t m = 0; m < model->metric_count; m++) {
        const struct deep_metric_settings *s = &model->metric_settings[m];
        any = any || !isnan(s->threshold) || s->class_id >= 0 || s->top_k > 0 || s->num_thresholds > 0;
    }
    if (!any)
        return;
    deep_json_put_key(j, false, "metric_settings");
    deep_bytes_put(j, "[", 1);
    for (int32_t m = 0; m < model->metric_count; m++) {
        const struct deep_metric_settings *s = &model->metric_settings[m];
        deep_bytes_put(j, m ? ", {" : "{", m ? 3 : 1);
        bool first = true;
        if (!isnan(s->threshold)) {
            deep_json_put_key(j, first, "threshold");
            deep_json_put_double(j, s->threshold);
            first = false;
        }
        if (s->class_id >= 0) {
            deep_json_put_key(j, first, "class_id");
            deep_bytes_printf(j, "%lld", (long long)s->class_id);
            first = false;
        }
        if (s->top_k > 0) {
            deep_json_put_key(j, first, "top_k");
            deep_bytes_printf(j, "%lld", (long long)s->top_k);
            first = false;
        }
        if (s->num_thresholds > 0) {
            deep_json_put_key(j, first, "num_thresholds");
            deep_bytes_printf(j, "%d", (int)s->num_thresholds);
        }
        deep_bytes_put(j, "}", 1);
    }
    deep_bytes_put(j, "]", 1);
}

/* Since 1.3: each output's own loss settings (deep_model_set_output_*), one object per
 * output holding those set; written only when some output has one. */
static void put_output_settings(const deep_model *model, deep_bytes *j)
{
    bool any = false;
    for (int32_t k = 0; k < deep_model_output_count(model); k++) {
        const struct deep_output_settings *s = &model->output_settings[k];
        any = any || s->from_logits >= 0 || !isnan(s->label_smoothing) || !isnan(s->huber_delta);
    }
    if (!any)
        return;
    deep_json_put_key(j, false, "output_settings");
    deep_bytes_put(j, "[", 1);
    for (int32_t k = 0; k < deep_model_output_count(model); k++) {
        const struct deep_output_settings *s = &model->output_settings[k];
        deep_bytes_put(j, k ? ", {" : "{", k ? 3 : 1);
        bool first = true;
        if (s->from_logits >= 0) {
            deep_json_put_key(j, first, "from_logits");
            deep_bytes_printf(j, "%d", (int)s->from_logits);
            first = false;
        }
        if (!isnan(s->label_smoothing)) {
            deep_json_put_key(j, first, "label_smoothing");
            deep_json_put_double(j, s->label_smoothing);
            first = false;
        }
        if (!isnan(s->huber_delta)) {
            deep_json_put_key(j, first, "huber_delta");
            deep_json_put_double(j, s->huber_delta);
        }
        deep_bytes_put(j, "}", 1);
    }
    deep_bytes_put(j, "]", 1);
}

static int name_index(const char *const *names, int count, const char *name)
{
    for (int i = 1; i < count; i++)
        if (names[i] != NULL && strcmp(names[i], name) == 0)
            return i;
    return 0;
}

/* ---------------------------------------------------------------- saving */

static void put_u64_string(deep_bytes *b, uint64_t v)
{
    deep_bytes_printf(b, "\"%" PRIu64 "\"", v);
}

/* Early stopping's state is part of a resume point: inside fit, or loaded from one. */
static bool has_stopping(const deep_model *model)
{
    return model->compiled && (model->stopping.saved || model->stopping.loaded) && isfinite(model->stopping.best);
}

/* "graph": the nodes in order, each an input {"input_shape": [...]} or a call
 * {"layer": name, "inbound_nodes": [node, ...]} (a recurrent call's initial states after its
 * sequence), a recurrent call's state {"layer": name, "inbound_nodes": [call],
 * "output_index": 1 (h) or 2 (c)} (since 1.2; Keras' tensor index), and the output nodes. */
static void put_graph(const deep_model *model, deep_bytes *j)
{
    deep_json_put_key(j, false, "graph");
    deep_bytes_put(j, "{", 1);
    deep_json_put_key(j, true, "nodes");
    deep_bytes_put(j, "[", 1);
    for (int32_t i = 0; i < model->node_count; i++) {
        const deep_node *n = &model->nodes[i];
        deep_bytes_put(j, i ? ", {" : "{", i ? 3 : 1);
        if (n->layer == NULL) {
            deep_json_put_key(j, true, "input_shape");
            deep_bytes_put(j, "[", 1);
            for (int32_t d = 0; d < n->rank; d++)
                deep_bytes_printf(j, "%s%lld", d ? ", " : "", (long long)n->shape[d]);
        } else {
            deep_json_put_key(j, true, "layer");
            deep_json_put_string(j, n->layer->name, strlen(n->layer->name));
            deep_json_put_key(j, false, "inbound_nodes");
            deep_bytes_put(j, "[", 1);
            for (int32_t k = 0; k < n->input_count; k++)
                deep_bytes_printf(j, "%s%d", k ? ", " : "", (int)n->inputs[k]);
            if (n->part > 0)
                deep_bytes_printf(j, "], \"output_index\": %d", (int)n->part);
        }
        deep_bytes_put(j, n->part > 0 ? "}" : "]}", n->part > 0 ? 1 : 2);
    }
    deep_bytes_put(j, "]", 1);
    deep_json_put_key(j, false, "output_nodes");
    deep_bytes_put(j, "[", 1);
    int32_t last = model->node_count - 1;
    const int32_t *outputs = model->output_count > 0 ? model->outputs : &last;
    for (int32_t k = 0; k < (model->output_count > 0 ? model->output_count : 1); k++)
        deep_bytes_printf(j, "%s%d", k ? ", " : "", (int)outputs[k]);
    deep_bytes_put(j, "]}", 2);
}

static deep_status put_architecture(const char *caller, const deep_model *model, deep_bytes *j)
{
    deep_bytes_put(j, "{", 1);
    deep_json_put_key(j, true, "library_version");
    deep_json_put_string(j, deep_version_string(), strlen(deep_version_string()));
    deep_json_put_key(j, false, "input_shape");
    deep_bytes_put(j, "[", 1);
    for (int32_t d = 0; d < model->in_rank; d++)
        deep_bytes_printf(j, "%s%lld", d ? ", " : "", (long long)model->in_shape[d]);
    deep_bytes_put(j, "]", 1);
    deep_json_put_key(j, false, "layers");
    deep_bytes_put(j, "[", 1);
    for (int32_t i = 0; i < model->layer_count; i++) {
        const deep_layer *layer = model->layers[i];
        deep_bytes_put(j, i ? ", {" : "{", i ? 3 : 1);
        deep_json_put_key(j, true, "type");
        deep_json_put_string(j, layer->ops->type, strlen(layer->ops->type));
        deep_json_put_key(j, false, "name");
        deep_json_put_string(j, layer->name, strlen(layer->name));
        deep_json_put_key(j, false, "config");
        DEEP_TRY(deep_layer_config_write(caller, layer, j));
        /* Since 1.2, only when the layer has some: "rules" (graph/rules_file.c). */
        deep_bytes rules = {0};
        bool wrote = false;
        deep_rules_write(layer, &rules, &wrote);
        if (wrote) {
            deep_json_put_key(j, false, "rules");
            deep_bytes_put(j, (const char *)rules.data, rules.length);
        }
        j->failed |= rules.failed;
        deep_bytes_free(&rules);
        deep_bytes_put(j, "}", 1);
    }
    deep_bytes_put(j, "]", 1);
    if (!deep_model_is_sequential(model)) /* files of Sequential models have no "graph", as before 1.1 */
        put_graph(model, j);

    deep_json_put_key(j, false, "compile");
    if (!model->compiled) {
        deep_bytes_put(j, "null", 4);
    } else {
        const deep_optimizer *opt = model->optimizer;
        deep_bytes_put(j, "{", 1);
        deep_json_put_key(j, true, "loss");
        deep_bytes_printf(j, "\"%s\"", loss_names[model->loss]);
        if (model->huber_delta != 1.0) { /* absent means Keras' 1.0, so files from before it load */
            deep_json_put_key(j, false, "huber_delta");
            deep_json_put_double(j, model->huber_delta);
        }
        put_loss_settings(model, j);
        if (deep_model_output_count(model) > 1 || model->loss_weights[0] != 1.0) { /* since 1.1: per output */
            deep_json_put_key(j, false, "losses");
            deep_bytes_put(j, "[", 1);
            for (int32_t k = 0; k < deep_model_output_count(model); k++)
                deep_bytes_printf(j, "%s\"%s\"", k ? ", " : "", loss_names[model->losses[k]]);
            deep_bytes_put(j, "]", 1);
            deep_json_put_key(j, false, "loss_weights");
            deep_bytes_put(j, "[", 1);
            for (int32_t k = 0; k < deep_model_output_count(model); k++) {
                deep_bytes_put(j, k ? ", " : "", k ? 2 : 0);
                deep_json_put_double(j, model->loss_weights[k]);
            }
            deep_bytes_put(j, "]", 1);
        }
        deep_json_put_key(j, false, "metrics");
        deep_bytes_put(j, "[", 1);
        for (int32_t m = 0; m < model->metric_count; m++)
            deep_bytes_printf(j, "%s\"%s\"", m ? ", " : "", metric_names[model->metrics[m]]);
        deep_bytes_put(j, "]", 1);
        put_metric_settings(model, j);
        put_output_settings(model, j);
        deep_json_put_key(j, false, "optimizer");
        deep_bytes_put(j, "{", 1);
        deep_json_put_key(j, true, "class_name");
        deep_bytes_printf(j, "\"%s\"", deep_optimizer_kind_name(deep_optimizer_kind_of(opt)));
        deep_json_put_key(j, false, "iterations");
        deep_bytes_printf(j, "%lld", (long long)deep_optimizer_step(opt));
        deep_json_put_key(j, false, "config");
        deep_bytes_put(j, "{", 1);
        bool first = true;
        for (int32_t i = 0; i < deep_optimizer_option_count(); i++) {
            deep_optimizer_option o = deep_optimizer_option_at(i);
            if (!deep_optimizer_option_saved(opt, o)) /* those added since 1.0: only when not the default */
                continue;
            deep_json_put_key(j, first, deep_optimizer_option_name(o));
            deep_json_put_float(j, deep_optimizer_setting(opt, o)); /* learning_rate: the set one, not a schedule's */
            first = false;
        }
        deep_bytes_put(j, "}", 1);
        const deep_schedule *schedule = NULL;
        deep_optimizer_get_schedule(opt, &schedule);
        if (schedule != NULL) { /* absent means none, so files from before schedules load */
            deep_json_put_key(j, false, "learning_rate_schedule");
            deep_schedule_write_json(j, schedule);
        }
        deep_bytes_put(j, "}}", 2);
    }

    deep_json_put_key(j, false, "settings");
    deep_bytes_put(j, "{", 1);
    deep_json_put_key(j, true, "seed");
    put_u64_string(j, model->seed);
    deep_json_put_key(j, false, "threads");
    deep_bytes_printf(j, "%d", (int)model->threads);
    deep_json_put_key(j, false, "shuffle");
    deep_bytes_printf(j, "%s", model->shuffle ? "true" : "false");
    deep_json_put_key(j, false, "validation_split");
    deep_json_put_double(j, model->validation_split);
    deep_json_put_key(j, false, "early_stopping_patience");
    deep_bytes_printf(j, "%d", (int)model->patience);
    deep_json_put_key(j, false, "early_stopping_min_delta");
    deep_json_put_double(j, model->min_delta);
    deep_json_put_key(j, false, "verbose");
    deep_bytes_printf(j, "%s", model->verbose ? "true" : "false");
    deep_bytes_put(j, "}", 1);

    /* Inside fit the epochs done so far; outside, the setting (a loaded checkpoint's). */
    int32_t epoch = model->resume_epoch > model->initial_epoch ? model->resume_epoch : model->initial_epoch;
    deep_json_put_key(j, false, "training");
    deep_bytes_put(j, "{", 1);
    deep_json_put_key(j, true, "initial_epoch");
    deep_bytes_printf(j, "%d", (int)epoch);
    deep_json_put_key(j, false, "rng");
    deep_bytes_put(j, "[", 1);
    for (int i = 0; i < 4; i++) {
        if (i)
            deep_bytes_put(j, ", ", 2);
        put_u64_string(j, model->rng.s[i]);
    }
    deep_bytes_put(j, "]", 1);
    deep_json_put_key(j, false, "early_stopping");
    if (has_stopping(model)) {
        deep_bytes_put(j, "{", 1);
        deep_json_put_key(j, true, "best");
        deep_json_put_double(j, model->stopping.best);
        deep_json_put_key(j, false, "waited");
        deep_bytes_printf(j, "%d", (int)model->stopping.waited);
        deep_json_put_key(j, false, "improved");
        deep_bytes_printf(j, "%s", model->stopping.improved ? "true" : "false");
        deep_bytes_put(j, "}", 1);
    } else {
        deep_bytes_put(j, "null", 4);
    }
    deep_bytes_put(j, "}}", 2);
    return DEEP_OK;
}

deep_status deep_model_serialize(const char *caller, const deep_model *model, deep_bytes *out)
{
    deep_c_locale locale = deep_c_locale_begin();
    deep_bytes j = {0};
    /* Without the C locale the numbers would take the program's decimal comma. */
    deep_status status = locale.c != NULL ? put_architecture(caller, model, &j)
                                          : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the C locale");
    deep_bytes_put(&j, "", 1); /* the terminating NUL */
    deep_c_locale_end(locale);
    if (status == DEEP_OK && j.failed)
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");

    /* The weights, then the optimizer's state slices of each weight, then early stopping's
     * best weights at a resume point. */
    int64_t params = 0;
    for (int32_t i = 0; model->compiled && i < model->layer_count; i++)
        params += model->layers[i]->param_count;
    int32_t slots = model->compiled ? deep_optimizer_state_count(model->optimizer) : 0;
    int32_t groups = slots + (has_stopping(model) ? 1 : 0);
    int64_t count = params * (1 + groups);
    deep_st_out *tensors = deep_alloc(count, sizeof *tensors);
    char *names = deep_alloc(count, NAME_CAPACITY);
    if (status == DEEP_OK && count > 0 && (tensors == NULL || names == NULL))
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    int64_t t = 0;
    for (int32_t slot = -1; status == DEEP_OK && slot < groups; slot++)
        for (int32_t i = 0; i < model->layer_count && model->compiled; i++) {
            const deep_layer *layer = model->layers[i];
            for (int32_t p = 0; p < layer->param_count; p++, t++) {
                const deep_param *param = &layer->params[p];
                char *name = names + t * NAME_CAPACITY;
                const float *data = param->value;
                if (slot < 0) {
                    snprintf(name, NAME_CAPACITY, "%s/%s", layer->name, param->name);
                } else if (slot == slots) {
                    snprintf(name, NAME_CAPACITY, "early_stopping/%s/%s", layer->name, param->name);
                    data = model->stopping.weights + (param->value - model->weights);
                } else {
                    snprintf(name, NAME_CAPACITY, "optimizer/%s/%s/%s", layer->name, param->name,
                             deep_optimizer_state_name(model->optimizer, slot));
                    data = deep_optimizer_state(model->optimizer, slot) + (param->value - model->weights);
                }
                tensors[t] = (deep_st_out){name, param->rank, param->shape, data, param->size};
            }
        }
    /* Loading refuses non-finite values, so saving does too, before any file is touched:
     * whatever saves loads. */
    for (int64_t k = 0; status == DEEP_OK && k < t; k++)
        for (int64_t i = 0; i < tensors[k].count; i++)
            if (!isfinite(tensors[k].data[i])) {
                status = deep_error_set(DEEP_ERR_NUMERIC, caller,
                                        "tensor '%s' holds %s at element %lld; a model with non-finite weights or "
                                        "optimizer state cannot be saved (loading refuses it)",
                                        tensors[k].name, isnan(tensors[k].data[i]) ? "NaN" : "an infinity",
                                        (long long)i);
                break;
            }
    if (status == DEEP_OK) {
        const char *keys[] = {META_FORMAT, META_VERSION, META_MODEL};
        const char *values[] = {"model", FORMAT_VERSION, (const char *)j.data};
        status = deep_safetensors_write(caller, tensors, count, keys, values, 3, out);
    }
    free(tensors);
    free(names);
    deep_bytes_free(&j);
    return status;
}

deep_status deep_model_save(const deep_model *model, const char *path)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(path);
    deep_bytes b = {0};
    deep_status status = deep_model_serialize(__func__, model, &b);
    if (status == DEEP_OK)
        status = deep_file_write_atomic(__func__, path, b.data, b.length);
    deep_bytes_free(&b);
    return status;
}

deep_status deep_model_save_buffer(const deep_model *model, void *buffer, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(model);
    deep_bytes b = {0};
    deep_status status = deep_model_serialize(__func__, model, &b);
    if (status == DEEP_OK)
        status = deep_output_copy(__func__, "the model file", buffer, capacity, needed, b.data, (int64_t)b.length, 1);
    deep_bytes_free(&b);
    return status;
}

/* ---------------------------------------------------------------- loading */

typedef struct loader {
    const char *caller;
    const char *source;   /* "'path'" or "the buffer" */
    deep_status status;
    deep_json doc;        /* the model document */
    deep_safetensors st;
    deep_model *model;
} loader;

__attribute__((format(printf, 2, 3))) static deep_status bad(loader *l, const char *fmt, ...)
{
    if (l->status != DEEP_OK)
        return l->status;
    char what[400];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    l->status = deep_error_set(DEEP_ERR_FORMAT, l->caller, "%s: %s", l->source, what);
    return l->status;
}

/* A failed public call on the model being built: its reason, re-prefixed. */
static deep_status nested(loader *l, deep_status status, const char *what)
{
    if (status == DEEP_OK || l->status != DEEP_OK)
        return l->status;
    l->status = deep_error_wrap(status == DEEP_ERR_NO_MEMORY ? status : DEEP_ERR_FORMAT, l->caller, "%s: %s",
                                l->source, what);
    return l->status;
}

/* Finds the members names[0..n) of object obj, each at most once and nothing else; those
 * from names[required] on may be absent (NULL in found). */
static bool some_members(loader *l, const deep_json_node *obj, const char *what, const char *const *names, int n,
                         int required, const deep_json_node **found)
{
    if (obj == NULL || obj->type != DEEP_JSON_OBJECT) {
        bad(l, "%s is not an object", what);
        return false;
    }
    for (int i = 0; i < n; i++)
        found[i] = NULL;
    for (const deep_json_node *m = deep_json_at(&l->doc, obj->first); m; m = deep_json_at(&l->doc, m->next)) {
        const char *key = deep_json_key(&l->doc, m);
        int i = 0;
        while (i < n && strcmp(names[i], key) != 0)
            i++;
        if (i == n) {
            bad(l, "%s has an unknown field '%s'", what, key);
            return false;
        }
        if (found[i] != NULL) {
            bad(l, "%s has field '%s' twice", what, key);
            return false;
        }
        found[i] = m;
    }
    for (int i = 0; i < required; i++)
        if (found[i] == NULL) {
            bad(l, "%s lacks its field '%s'", what, names[i]);
            return false;
        }
    return true;
}

/* The same with every member required. */
static bool members(loader *l, const deep_json_node *obj, const char *what, const char *const *names, int n,
                    const deep_json_node **found)
{
    return some_members(l, obj, what, names, n, n, found);
}

static bool get_int(loader *l, const deep_json_node *v, int64_t lo, int64_t hi, const char *what, int64_t *out)
{
    if (!deep_json_int(&l->doc, v, out) || *out < lo || *out > hi) {
        bad(l, "%s must be an integer in [%lld, %lld]", what, (long long)lo, (long long)hi);
        return false;
    }
    return true;
}

static bool get_bool(loader *l, const deep_json_node *v, const char *what, bool *out)
{
    if (v->type != DEEP_JSON_TRUE && v->type != DEEP_JSON_FALSE) {
        bad(l, "%s must be true or false", what);
        return false;
    }
    *out = v->type == DEEP_JSON_TRUE;
    return true;
}

/* A u64 written as a string of decimal digits, without sign or leading zeros. */
static bool get_u64(loader *l, const deep_json_node *v, const char *what, uint64_t *out)
{
    const char *s = v->type == DEEP_JSON_STRING ? deep_json_string(&l->doc, v) : "";
    uint64_t x = 0;
    bool ok = s[0] != '\0' && (s[0] != '0' || s[1] == '\0');
    for (const char *c = s; ok && *c; c++) {
        ok = *c >= '0' && *c <= '9' && x <= (UINT64_MAX - (uint64_t)(*c - '0')) / 10;
        x = x * 10 + (uint64_t)(*c - '0');
    }
    if (!ok) {
        bad(l, "%s must be a string of decimal digits of an unsigned 64-bit integer", what);
        return false;
    }
    *out = x;
    return true;
}

/* The member `key` of an object, or NULL. */
static const deep_json_node *member(loader *l, const deep_json_node *obj, const char *key)
{
    for (const deep_json_node *m = deep_json_at(&l->doc, obj->first); m; m = deep_json_at(&l->doc, m->next))
        if (strcmp(deep_json_key(&l->doc, m), key) == 0)
            return m;
    return NULL;
}

static bool read_shape(loader *l, const deep_json_node *shape, const char *what, int32_t *rank, int64_t *dims)
{
    /* The rank and sizes are deep_model_new's rule; the array is bounded here to read it. */
    if (shape->type != DEEP_JSON_ARRAY || shape->count < 1 || shape->count > DEEP_MAX_SAMPLE_RANK) {
        bad(l, "%s must be an array of 1 to %d sizes (DEEP_MAX_SAMPLE_RANK)", what, DEEP_MAX_SAMPLE_RANK);
        return false;
    }
    *rank = 0;
    for (const deep_json_node *v = deep_json_at(&l->doc, shape->first); v; v = deep_json_at(&l->doc, v->next))
        if (!get_int(l, v, 1, INT64_MAX, "a dimension of an input shape", &dims[(*rank)++]))
            return false;
    return true;
}

/* Adds layer i (an entry of "layers") to the model, on the nodes chosen before. */
static bool add_layer_entry(loader *l, const deep_json_node *v, int32_t i)
{
    char what[64];
    snprintf(what, sizeof what, "layer %d", (int)i);
    static const char *const keys[] = {"type", "name", "config", "rules"}; /* rules: since 1.2 */
    const deep_json_node *f[4];
    if (!some_members(l, v, what, keys, 4, 3, f))
        return false;
    if (f[0]->type != DEEP_JSON_STRING || f[1]->type != DEEP_JSON_STRING) {
        bad(l, "%s: type and name must be strings", what);
        return false;
    }
    const char *type = deep_json_string(&l->doc, f[0]), *name = deep_json_string(&l->doc, f[1]);
    char context[512];
    snprintf(context, sizeof context, "%s: layer %d (%s)", l->source, (int)i, type);
    l->status = deep_layer_config_add(l->caller, context, l->model, type, &l->doc, f[2]);
    if (l->status != DEEP_OK)
        return false;
    /* The library's name derived from the types in order, or one given to the layer (since
     * 1.3), which must be valid and unique. */
    if (strcmp(l->model->layers[i]->name, name) != 0 &&
        deep_model_rename_layer(l->model, i, name, l->caller) != DEEP_OK) {
        char reason[256];
        snprintf(reason, sizeof reason, "%s", deep_error_reason());
        bad(l, "layer %d (%s): %s", (int)i, type, reason);
        return false;
    }
    if (f[3] != NULL)
        l->status = deep_rules_read(l->model->layers[i], &l->doc, f[3], l->caller, context);
    return l->status == DEEP_OK;
}

/* The layer entry named `name`, and its index, or NULL. */
static const deep_json_node *layer_entry(loader *l, const deep_json_node *layers, const char *name, int32_t *index)
{
    *index = 0;
    for (const deep_json_node *v = deep_json_at(&l->doc, layers->first); v;
         v = deep_json_at(&l->doc, v->next), (*index)++) {
        const deep_json_node *n = v->type == DEEP_JSON_OBJECT ? member(l, v, "name") : NULL;
        if (n != NULL && n->type == DEEP_JSON_STRING && strcmp(deep_json_string(&l->doc, n), name) == 0)
            return v;
    }
    return NULL;
}

/* A state node of "graph" (f: its layer, inbound_nodes and output_index), the call's
 * states being added at its h. */
static bool load_state_node(loader *l, const deep_json_node *const *f, const int32_t *inbound, int32_t count,
                            int32_t i)
{
    int64_t index;
    char what[64];
    snprintf(what, sizeof what, "graph node %d", (int)i);
    if (!get_int(l, f[2], 1, DEEP_MAX_STATES, "output_index (1: h, 2: c, ...)", &index))
        return false;
    const deep_node *call = &l->model->nodes[inbound[0]];
    if (count != 1 || call->layer == NULL || call->part > 0 ||
        strcmp(call->layer->name, deep_json_string(&l->doc, f[0])) != 0) {
        bad(l, "%s: a state takes one inbound node, a call of its layer '%s'", what, deep_json_string(&l->doc, f[0]));
        return false;
    }
    int32_t states[DEEP_MAX_STATES];
    int64_t written = 0;
    if (index == 1 &&
        nested(l, deep_model_state_nodes(l->model, inbound[0], states, DEEP_MAX_STATES, &written), what) != DEEP_OK)
        return false;
    if (l->model->nodes[inbound[0]].states[index - 1] != i) {
        bad(l, "%s: node %d has no state %lld here (output_index %lld is node %d)", what, (int)inbound[0],
            (long long)index, (long long)index, (int)l->model->nodes[inbound[0]].states[index - 1]);
        return false;
    }
    return true;
}

/* One node of "graph": an input, a layer's first call (which adds the layer), or a call
 * of a layer added before (shared weights). Inbound nodes must come before it. */
static bool load_node(loader *l, const deep_json_node *layers, const deep_json_node *v, int32_t i)
{
    char what[64];
    snprintf(what, sizeof what, "graph node %d", (int)i);
    if (v->type == DEEP_JSON_OBJECT && member(l, v, "input_shape") != NULL) {
        static const char *const keys[] = {"input_shape"};
        const deep_json_node *f[1];
        int32_t rank, node;
        int64_t dims[DEEP_MAX_SAMPLE_RANK];
        if (!members(l, v, what, keys, 1, f) || !read_shape(l, f[0], what, &rank, dims))
            return false;
        if (i == 0) /* deep_model_new made it from input_shape: they must agree */
            return l->model->nodes[0].rank == rank &&
                           memcmp(l->model->nodes[0].shape, dims, (size_t)rank * sizeof *dims) == 0
                       ? true
                       : (bad(l, "graph node 0 has another shape than input_shape"), false);
        return nested(l, deep_model_add_input(l->model, rank, dims, &node), what) == DEEP_OK;
    }
    static const char *const keys[] = {"layer", "inbound_nodes", "output_index"};
    const deep_json_node *f[3];
    if (!some_members(l, v, what, keys, 3, 2, f))
        return false;
    if (f[0]->type != DEEP_JSON_STRING || f[1]->type != DEEP_JSON_ARRAY || f[1]->count < 1 ||
        f[1]->count > DEEP_MAX_LAYER_INPUTS) {
        bad(l, "%s: layer must be a name and inbound_nodes an array of 1 to %d nodes", what, DEEP_MAX_LAYER_INPUTS);
        return false;
    }
    int32_t inbound[DEEP_MAX_LAYER_INPUTS], count = 0, index, node;
    for (const deep_json_node *e = deep_json_at(&l->doc, f[1]->first); e; e = deep_json_at(&l->doc, e->next)) {
        int64_t n;
        if (!get_int(l, e, 0, i - 1, "an inbound node (a node before this one)", &n))
            return false;
        inbound[count++] = (int32_t)n;
    }
    if (f[2] != NULL)
        return load_state_node(l, f, inbound, count, i);
    const deep_json_node *entry = layer_entry(l, layers, deep_json_string(&l->doc, f[0]), &index);
    if (entry == NULL || index > l->model->layer_count) {
        bad(l, "%s calls layer '%s', which is not %s", what, deep_json_string(&l->doc, f[0]),
            entry == NULL ? "in layers" : "the next layer of layers nor one before it");
        return false;
    }
    if (index < l->model->layer_count)
        return nested(l, deep_model_apply_layer(l->model, index, inbound, count, &node), what) == DEEP_OK;
    return nested(l, deep_model_connect(l->model, inbound, count), what) == DEEP_OK &&
           add_layer_entry(l, entry, index);
}

static void load_layers(loader *l, const deep_json_node *shape, const deep_json_node *layers,
                        const deep_json_node *graph)
{
    int64_t dims[DEEP_MAX_SAMPLE_RANK];
    int32_t rank = 0;
    if (!read_shape(l, shape, "input_shape", &rank, dims) ||
        nested(l, deep_model_new(rank, dims, &l->model), "input_shape") != DEEP_OK)
        return;
    if (layers->type != DEEP_JSON_ARRAY) {
        bad(l, "layers must be an array");
        return;
    }
    if (graph == NULL) { /* a Sequential chain */
        int32_t i = 0;
        for (const deep_json_node *v = deep_json_at(&l->doc, layers->first); v;
             v = deep_json_at(&l->doc, v->next), i++)
            if (!add_layer_entry(l, v, i))
                return;
        return;
    }
    static const char *const keys[] = {"nodes", "output_nodes"};
    const deep_json_node *f[2];
    if (!members(l, graph, "graph", keys, 2, f))
        return;
    if (f[0]->type != DEEP_JSON_ARRAY || f[0]->count < 1 || f[1]->type != DEEP_JSON_ARRAY || f[1]->count < 1 ||
        f[1]->count > DEEP_MAX_MODEL_INPUTS) {
        bad(l, "graph.nodes must be a non-empty array and graph.output_nodes an array of 1 to %d nodes",
            DEEP_MAX_MODEL_INPUTS);
        return;
    }
    int32_t i = 0;
    for (const deep_json_node *v = deep_json_at(&l->doc, f[0]->first); v; v = deep_json_at(&l->doc, v->next), i++)
        if (!load_node(l, layers, v, i))
            return;
    if (l->model->layer_count != (int32_t)layers->count) {
        bad(l, "layers has %d entries but graph.nodes calls %d of them", (int)layers->count,
            (int)l->model->layer_count);
        return;
    }
    int32_t outputs[DEEP_MAX_MODEL_INPUTS], count = 0;
    for (const deep_json_node *e = deep_json_at(&l->doc, f[1]->first); e; e = deep_json_at(&l->doc, e->next)) {
        int64_t n;
        if (!get_int(l, e, 0, l->model->node_count - 1, "an output node", &n))
            return;
        outputs[count++] = (int32_t)n;
    }
    nested(l, deep_model_set_outputs(l->model, outputs, count), "graph.output_nodes");
}

static void load_settings(loader *l, const deep_json_node *settings)
{
    static const char *const keys[] = {"seed", "threads", "shuffle", "validation_split", "early_stopping_patience",
                                       "early_stopping_min_delta", "verbose"};
    const deep_json_node *f[7];
    uint64_t seed;
    int64_t threads, patience;
    bool shuffle, verbose;
    double split, delta;
    if (!members(l, settings, "settings", keys, 7, f) || !get_u64(l, f[0], "settings.seed", &seed) ||
        !get_int(l, f[1], 0, INT32_MAX, "settings.threads", &threads) ||
        !get_bool(l, f[2], "settings.shuffle", &shuffle) ||
        !get_int(l, f[4], 0, INT32_MAX, "settings.early_stopping_patience", &patience) ||
        !get_bool(l, f[6], "settings.verbose", &verbose))
        return;
    if (!deep_json_double(&l->doc, f[3], &split) || !deep_json_double(&l->doc, f[5], &delta)) {
        bad(l, "settings.validation_split and settings.early_stopping_min_delta must be finite numbers");
        return;
    }
    deep_model *m = l->model;
    nested(l, deep_model_set_seed(m, seed), "settings.seed");
    nested(l, deep_model_set_int(m, DEEP_MODEL_THREADS, threads), "settings.threads");
    nested(l, deep_model_set_int(m, DEEP_MODEL_SHUFFLE, shuffle), "settings.shuffle");
    nested(l, deep_model_set_float(m, DEEP_MODEL_VALIDATION_SPLIT, split), "settings.validation_split");
    nested(l, deep_model_set_int(m, DEEP_MODEL_EARLY_STOPPING_PATIENCE, patience),
           "settings.early_stopping_patience");
    nested(l, deep_model_set_float(m, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, delta), "settings.early_stopping_min_delta");
    nested(l, deep_model_set_int(m, DEEP_MODEL_VERBOSE, verbose), "settings.verbose");
}

/* The optimizer through the public setters, so a file cannot hold a setting they refuse. */
static deep_optimizer *load_optimizer(loader *l, const deep_json_node *node, int64_t *iterations)
{
    static const char *const keys[] = {"class_name", "iterations", "config", "learning_rate_schedule"};
    const deep_json_node *f[4];
    if (!some_members(l, node, "compile.optimizer", keys, 4, 3, f) ||
        !get_int(l, f[1], 0, INT64_MAX, "compile.optimizer.iterations", iterations))
        return NULL;
    deep_optimizer_kind kind =
        f[0]->type == DEEP_JSON_STRING ? deep_optimizer_kind_by_name(deep_json_string(&l->doc, f[0])) : 0;
    if (kind == 0) {
        char known[160] = "";
        for (int32_t k = 0; k < deep_optimizer_kind_count(); k++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "",
                     deep_optimizer_kind_name(deep_optimizer_kind_at(k)));
        bad(l, "compile.optimizer.class_name is not one of %s", known);
        return NULL;
    }
    deep_optimizer *opt = NULL;
    if (nested(l, deep_optimizer_new(kind, &opt), "compile.optimizer") != DEEP_OK)
        return NULL;
    if (f[2]->type != DEEP_JSON_OBJECT)
        bad(l, "compile.optimizer.config is not an object");
    uint32_t seen = 0; /* bits of options, all below DEEP_OPTIMIZER_OPTION_LIMIT */
    for (const deep_json_node *m = deep_json_at(&l->doc, f[2]->first); m && l->status == DEEP_OK;
         m = deep_json_at(&l->doc, m->next)) {
        const char *key = deep_json_key(&l->doc, m);
        deep_optimizer_option o = deep_optimizer_option_by_name(key);
        float v;
        if (o == 0 || !deep_optimizer_has_option(opt, o))
            bad(l, "compile.optimizer.config has field '%s', which %s does not take", key,
                deep_optimizer_kind_name(kind));
        else if (seen & (1u << o))
            bad(l, "compile.optimizer.config has field '%s' twice", key);
        else if (!deep_json_float(&l->doc, m, &v))
            bad(l, "compile.optimizer.config.%s must be a finite number", key);
        else
            nested(l, deep_optimizer_set_float(opt, o, v), "compile.optimizer.config");
        seen |= 1u << o;
    }
    for (int32_t i = 0; i < deep_optimizer_option_count() && l->status == DEEP_OK; i++) {
        deep_optimizer_option o = deep_optimizer_option_at(i);
        if (deep_optimizer_has_option(opt, o) && deep_optimizer_option_required(o) && !(seen & (1u << o)))
            bad(l, "compile.optimizer.config lacks '%s'", deep_optimizer_option_name(o));
    }
    if (f[3] != NULL && l->status == DEEP_OK) {
        deep_schedule *schedule = NULL;
        if (nested(l, deep_schedule_read_json(&l->doc, f[3], &schedule), "compile.optimizer.learning_rate_schedule") ==
            DEEP_OK)
            deep_optimizer_set_schedule(opt, schedule);
    }
    if (l->status != DEEP_OK) {
        deep_optimizer_free(opt);
        return NULL;
    }
    return opt;
}

/* compile.losses and compile.loss_weights: one loss name and one number per output. */
static bool load_output_losses(loader *l, const deep_json_node *names, const deep_json_node *numbers,
                               deep_loss *losses, double *weights, int32_t *count)
{
    if (names->type != DEEP_JSON_ARRAY || numbers->type != DEEP_JSON_ARRAY || names->count != numbers->count ||
        names->count < 1 || names->count > DEEP_MAX_MODEL_INPUTS) {
        bad(l, "compile.losses and compile.loss_weights must be arrays of one entry per output (1 to %d)",
            DEEP_MAX_MODEL_INPUTS);
        return false;
    }
    *count = 0;
    const deep_json_node *w = deep_json_at(&l->doc, numbers->first);
    for (const deep_json_node *v = deep_json_at(&l->doc, names->first); v;
         v = deep_json_at(&l->doc, v->next), w = deep_json_at(&l->doc, w->next)) {
        int loss = v->type == DEEP_JSON_STRING ? name_index(loss_names, COUNT(loss_names), deep_json_string(&l->doc, v))
                                               : 0;
        if (loss == 0 || !deep_json_double(&l->doc, w, &weights[*count])) {
            bad(l, "compile.losses[%d] must be a known loss and compile.loss_weights[%d] a finite number", (int)*count,
                (int)*count);
            return false;
        }
        losses[(*count)++] = (deep_loss)loss;
    }
    return true;
}

/* Absent keys take Keras' defaults, which also undoes the settings of a model loaded over. */
static void load_loss_settings(loader *l, const deep_json_node *const *f)
{
    for (int i = 0; i < LOSS_SETTINGS && l->status == DEEP_OK; i++) {
        const struct loss_setting *s = &loss_settings[i];
        char where[48];
        snprintf(where, sizeof where, "compile.%s", s->key);
        double v = s->keras_default;
        int64_t n = (int64_t)v;
        if (f[i] != NULL && (s->integer ? !deep_json_int(&l->doc, f[i], &n) : !deep_json_double(&l->doc, f[i], &v))) {
            bad(l, "%s must be %s", where, s->integer ? "an integer" : "a finite number");
            return;
        }
        nested(l, s->integer ? deep_model_set_int(l->model, s->option, n) : deep_model_set_float(l->model, s->option, v),
               where);
    }
}

/* compile.metric_settings (since 1.3), read through the setters so that their rules apply;
 * after compile, whose metrics they belong to. */
static void load_metric_settings(loader *l, const deep_json_node *node)
{
    static const char *const keys[] = {"threshold", "class_id", "top_k", "num_thresholds"};
    static const deep_metric_option options[] = {DEEP_METRIC_OPTION_THRESHOLD, DEEP_METRIC_OPTION_CLASS_ID,
                                                 DEEP_METRIC_OPTION_TOP_K, DEEP_METRIC_OPTION_NUM_THRESHOLDS};
    if (node->type != DEEP_JSON_ARRAY || node->count != l->model->metric_count) {
        bad(l, "compile.metric_settings must be an array of one object per metric (%d)", (int)l->model->metric_count);
        return;
    }
    int32_t m = 0;
    for (const deep_json_node *v = deep_json_at(&l->doc, node->first); v && l->status == DEEP_OK;
         v = deep_json_at(&l->doc, v->next), m++) {
        char where[64];
        snprintf(where, sizeof where, "compile.metric_settings[%d]", (int)m);
        const deep_json_node *f[4];
        if (!some_members(l, v, where, keys, 4, 0, f))
            return;
        for (int i = 0; i < 4 && l->status == DEEP_OK; i++) {
            if (f[i] == NULL)
                continue;
            snprintf(where, sizeof where, "compile.metric_settings[%d].%s", (int)m, keys[i]);
            double d = 0;
            int64_t n = 0;
            if (i == 0 ? !deep_json_double(&l->doc, f[i], &d) : !deep_json_int(&l->doc, f[i], &n)) {
                bad(l, "%s must be %s", where, i == 0 ? "a finite number" : "an integer");
                return;
            }
            nested(l, i == 0 ? deep_model_set_metric_float(l->model, m, options[i], d)
                             : deep_model_set_metric_int(l->model, m, options[i], n),
                   where);
        }
    }
}

/* compile.output_settings (since 1.3), through the setters, after compile. */
static void load_output_settings(loader *l, const deep_json_node *node)
{
    static const char *const keys[] = {"from_logits", "label_smoothing", "huber_delta"};
    static const deep_model_option options[] = {DEEP_MODEL_FROM_LOGITS, DEEP_MODEL_LABEL_SMOOTHING,
                                                DEEP_MODEL_HUBER_DELTA};
    if (node->type != DEEP_JSON_ARRAY || node->count != deep_model_output_count(l->model)) {
        bad(l, "compile.output_settings must be an array of one object per output (%d)",
            (int)deep_model_output_count(l->model));
        return;
    }
    int32_t k = 0;
    for (const deep_json_node *v = deep_json_at(&l->doc, node->first); v && l->status == DEEP_OK;
         v = deep_json_at(&l->doc, v->next), k++) {
        char where[64];
        snprintf(where, sizeof where, "compile.output_settings[%d]", (int)k);
        const deep_json_node *f[3];
        if (!some_members(l, v, where, keys, 3, 0, f))
            return;
        for (int i = 0; i < 3 && l->status == DEEP_OK; i++) {
            if (f[i] == NULL)
                continue;
            snprintf(where, sizeof where, "compile.output_settings[%d].%s", (int)k, keys[i]);
            double d = 0;
            int64_t n = 0;
            if (i > 0 ? !deep_json_double(&l->doc, f[i], &d) : !deep_json_int(&l->doc, f[i], &n)) {
                bad(l, "%s must be %s", where, i > 0 ? "a finite number" : "an integer");
                return;
            }
            nested(l, i > 0 ? deep_model_set_output_float(l->model, k, options[i], d)
                            : deep_model_set_output_int(l->model, k, options[i], n),
                   where);
        }
    }
}

static void load_compile(loader *l, const deep_json_node *node, int64_t *iterations)
{
    static const char *const keys[] = {"loss",         "metrics",     "optimizer",       "huber_delta",
                                       "losses",       "loss_weights", "from_logits",    "label_smoothing",
                                       "top_k",        "metric_threshold", "metric_settings",
                                       "output_settings"};
    const deep_json_node *f[12];
    if (!some_members(l, node, "compile", keys, 12, 3, f))
        return;
    load_loss_settings(l, f + 6);
    if (l->status != DEEP_OK)
        return;
    double huber_delta = 1.0;
    if (f[3] != NULL && !deep_json_double(&l->doc, f[3], &huber_delta)) {
        bad(l, "compile.huber_delta must be a finite number");
        return;
    }
    nested(l, deep_model_set_float(l->model, DEEP_MODEL_HUBER_DELTA, huber_delta), "compile.huber_delta");
    if (l->status != DEEP_OK)
        return;
    int loss = f[0]->type == DEEP_JSON_STRING ? name_index(loss_names, COUNT(loss_names),
                                                           deep_json_string(&l->doc, f[0]))
                                              : 0;
    if (loss == 0) {
        bad(l, "compile.loss is not a known loss");
        return;
    }
    if (f[1]->type != DEEP_JSON_ARRAY || f[1]->count > DEEP_MAX_METRICS) {
        bad(l, "compile.metrics must be an array of at most %d metric names", DEEP_MAX_METRICS);
        return;
    }
    deep_metric metrics[DEEP_MAX_METRICS];
    int32_t n = 0;
    for (const deep_json_node *v = deep_json_at(&l->doc, f[1]->first); v; v = deep_json_at(&l->doc, v->next)) {
        int m = v->type == DEEP_JSON_STRING ? name_index(metric_names, COUNT(metric_names), deep_json_string(&l->doc, v))
                                            : 0;
        if (m == 0) {
            bad(l, "compile.metrics[%d] is not a known metric", (int)n);
            return;
        }
        metrics[n++] = (deep_metric)m;
    }
    deep_loss losses[DEEP_MAX_MODEL_INPUTS];
    double weights[DEEP_MAX_MODEL_INPUTS];
    int32_t outputs = 0;
    if ((f[4] != NULL) != (f[5] != NULL)) {
        bad(l, "compile.losses and compile.loss_weights come together");
        return;
    }
    if (f[4] != NULL && !load_output_losses(l, f[4], f[5], losses, weights, &outputs))
        return;
    deep_optimizer *opt = load_optimizer(l, f[2], iterations);
    if (opt == NULL)
        return;
    if (outputs > 0)
        nested(l, deep_model_compile_outputs(l->model, opt, losses, weights, outputs, metrics, n), "compile");
    else
        nested(l, deep_model_compile(l->model, opt, (deep_loss)loss, metrics, n), "compile");
    if (l->status == DEEP_OK && f[10] != NULL)
        load_metric_settings(l, f[10]);
    if (l->status == DEEP_OK && f[11] != NULL)
        load_output_settings(l, f[11]);
}

/* The tensor called name, of exactly the shape of parameter `param` of layer `layer`;
 * NULL, with the error recorded, when it is missing or of another shape. */
static deep_st_entry *find_tensor(loader *l, const char *name, int32_t layer, const deep_param *param)
{
    const deep_layer *owner = l->model->layers[layer];
    deep_st_entry *e = deep_safetensors_find(&l->st, name);
    char want[128], got[128];
    deep_shape_format(want, sizeof want, param->rank, param->shape);
    if (e == NULL)
        bad(l, "tensor '%s' is missing: layer %d (%s) needs %s, %lld floats", name, (int)layer, owner->ops->type,
            want, (long long)param->size);
    else if (e->rank != param->rank || memcmp(e->shape, param->shape, (size_t)param->rank * sizeof *e->shape) != 0)
        bad(l, "tensor '%s' has shape %s but layer %d (%s) needs %s", name,
            e->rank >= 1 ? deep_shape_format(got, sizeof got, e->rank, e->shape) : "()", (int)layer,
            owner->ops->type, want);
    else
        return e;
    return NULL;
}

/* Before anything is allocated for the weights: every weight the architecture declares
 * has its tensor in the file, of exactly its shape. The tensors were checked against the
 * file's bytes, so the weights a compiled model then allocates (and the optimizer's state
 * and early stopping's copy, each as large) are bounded by the file's size: a small file
 * that declares huge layers is refused here, not after compile allocated them. */
static void check_weight_tensors(loader *l)
{
    const deep_model *m = l->model;
    char name[NAME_CAPACITY];
    for (int32_t k = 0; k < m->layer_count && l->status == DEEP_OK; k++)
        for (int32_t p = 0; p < m->layers[k]->param_count && l->status == DEEP_OK; p++) {
            const deep_param *param = &m->layers[k]->params[p];
            snprintf(name, sizeof name, "%s/%s", m->layers[k]->name, param->name);
            find_tensor(l, name, k, param);
        }
}

/* Copies the tensor called name (find_tensor) into values, which must be finite. */
static void load_tensor(loader *l, const char *name, int32_t layer, const deep_param *param, float *values)
{
    deep_st_entry *e = find_tensor(l, name, layer, param);
    if (e == NULL)
        return;
    deep_safetensors_copy(e, values);
    for (int64_t i = 0; i < e->count; i++)
        if (!isfinite(values[i])) {
            bad(l, "tensor '%s' holds a non-finite value at element %lld", name, (long long)i);
            return;
        }
    e->used = true;
}

/* Early stopping's state of a resume point; its best weights come with the tensors. */
static void load_stopping(loader *l, const deep_json_node *node)
{
    static const char *const keys[] = {"best", "waited", "improved"};
    const deep_json_node *f[3];
    int64_t waited;
    bool improved;
    double best;
    deep_model *m = l->model;
    if (!members(l, node, "training.early_stopping", keys, 3, f) ||
        !get_int(l, f[1], 0, INT32_MAX, "training.early_stopping.waited", &waited) ||
        !get_bool(l, f[2], "training.early_stopping.improved", &improved))
        return;
    if (!deep_json_double(&l->doc, f[0], &best)) {
        bad(l, "training.early_stopping.best must be a finite number");
        return;
    }
    if (!m->compiled || m->patience == 0) {
        bad(l, "training.early_stopping is set but the model %s", m->compiled ? "has no early stopping patience"
                                                                                : "is not compiled");
        return;
    }
    float *weights = deep_alloc(m->weight_total, sizeof *weights);
    if (weights == NULL && m->weight_total > 0) {
        l->status = deep_error_set(DEEP_ERR_NO_MEMORY, l->caller, "out of memory reading %s", l->source);
        return;
    }
    m->stopping = (struct deep_stopping){.loaded = true, .best = best, .waited = (int32_t)waited,
                                         .improved = improved, .weights = weights};
}

static void load_state(loader *l, const deep_json_node *training, int64_t iterations)
{
    static const char *const keys[] = {"initial_epoch", "rng", "early_stopping"};
    const deep_json_node *f[3];
    int64_t epoch;
    uint64_t s[4] = {0};
    if (!members(l, training, "training", keys, 3, f) ||
        !get_int(l, f[0], 0, INT32_MAX, "training.initial_epoch", &epoch))
        return;
    if (f[1]->type != DEEP_JSON_ARRAY || f[1]->count != 4) {
        bad(l, "training.rng must be an array of 4 strings");
        return;
    }
    int i = 0;
    for (const deep_json_node *v = deep_json_at(&l->doc, f[1]->first); v; v = deep_json_at(&l->doc, v->next))
        if (!get_u64(l, v, "training.rng", &s[i++]))
            return;
    if ((s[0] | s[1] | s[2] | s[3]) == 0) {
        bad(l, "training.rng is all zeros, which is not a state of the generator");
        return;
    }
    deep_model *m = l->model;
    if (f[2]->type != DEEP_JSON_NULL)
        load_stopping(l, f[2]);
    if (l->status != DEEP_OK)
        return;
    char name[NAME_CAPACITY];
    for (int32_t k = 0; m->compiled && k < m->layer_count && l->status == DEEP_OK; k++)
        for (int32_t p = 0; p < m->layers[k]->param_count && l->status == DEEP_OK; p++) {
            const deep_param *param = &m->layers[k]->params[p];
            snprintf(name, sizeof name, "%s/%s", m->layers[k]->name, param->name);
            load_tensor(l, name, k, param, param->value);
            for (int32_t slot = 0; slot < deep_optimizer_state_count(m->optimizer) && l->status == DEEP_OK; slot++) {
                snprintf(name, sizeof name, "optimizer/%s/%s/%s", m->layers[k]->name, param->name,
                         deep_optimizer_state_name(m->optimizer, slot));
                load_tensor(l, name, k, param, deep_optimizer_state(m->optimizer, slot) + (param->value - m->weights));
            }
            if (m->stopping.loaded && l->status == DEEP_OK) {
                snprintf(name, sizeof name, "early_stopping/%s/%s", m->layers[k]->name, param->name);
                load_tensor(l, name, k, param, m->stopping.weights + (param->value - m->weights));
            }
        }
    for (int64_t e = 0; e < l->st.entry_count && l->status == DEEP_OK; e++)
        if (!l->st.entries[e].used)
            bad(l, "tensor '%s' belongs to no weight of the model%s", l->st.entries[e].name,
                m->compiled ? "" : " (an uncompiled model has no weights)");
    if (l->status != DEEP_OK)
        return;
    if (m->compiled)
        deep_optimizer_set_step(m->optimizer, iterations);
    memcpy(m->rng.s, s, sizeof s);
    m->initial_epoch = (int32_t)epoch;
}

static deep_status load_bytes(const char *caller, const char *source, const uint8_t *bytes, size_t length,
                              deep_model **out)
{
    loader l = {.caller = caller, .source = source};
    l.status = deep_safetensors_read(caller, source, bytes, length, &l.st);
    const char *format = NULL, *version = NULL, *text = NULL;
    if (l.status == DEEP_OK) {
        format = deep_safetensors_meta(&l.st, META_FORMAT);
        version = deep_safetensors_meta(&l.st, META_VERSION);
        text = deep_safetensors_meta(&l.st, META_MODEL);
        if (format == NULL || strcmp(format, "model") != 0 || text == NULL)
            bad(&l, "a safetensors file but not a libdeep model (its metadata lack \"%s\": \"model\" or \"%s\")",
                META_FORMAT, META_MODEL);
        else if (version == NULL || strcmp(version, FORMAT_VERSION) != 0)
            bad(&l, "model format version \"%s\" is not supported (this library reads version %s)",
                version ? version : "(none)", FORMAT_VERSION);
    }
    deep_c_locale locale = deep_c_locale_begin();
    if (l.status == DEEP_OK && locale.c == NULL) /* the program's locale would misread the numbers */
        l.status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the C locale reading %s", source);
    bool parsed = l.status == DEEP_OK && deep_json_parse(&l.doc, text, strlen(text));
    if (l.status == DEEP_OK && !parsed) {
        if (l.doc.no_memory)
            l.status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory reading %s", source);
        else
            bad(&l, "the model description (metadata \"%s\") is malformed at character %zu: %s", META_MODEL,
                l.doc.error_at, l.doc.error);
    }
    /* "graph" only in files of models that are not a Sequential chain (since 1.1). */
    static const char *const keys[] = {"library_version", "input_shape", "layers", "compile", "settings",
                                       "training", "graph"};
    const deep_json_node *f[7];
    int64_t iterations = 0;
    if (l.status == DEEP_OK && some_members(&l, deep_json_root(&l.doc), "the model description", keys, 7, 6, f)) {
        if (f[0]->type != DEEP_JSON_STRING)
            bad(&l, "library_version is not a string");
        if (l.status == DEEP_OK)
            load_layers(&l, f[1], f[2], f[6]);
        if (l.status == DEEP_OK)
            load_settings(&l, f[4]);
        if (l.status == DEEP_OK && f[3]->type != DEEP_JSON_NULL)
            check_weight_tensors(&l);
        if (l.status == DEEP_OK && f[3]->type != DEEP_JSON_NULL)
            load_compile(&l, f[3], &iterations);
        if (l.status == DEEP_OK)
            load_state(&l, f[5], iterations);
    }
    deep_c_locale_end(locale);
    deep_json_free(&l.doc);
    deep_safetensors_free(&l.st);
    if (l.status != DEEP_OK) {
        deep_model_free(l.model);
        return l.status;
    }
    *out = l.model;
    return DEEP_OK;
}

deep_status deep_model_load(const char *path, deep_model **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(path);
    uint8_t *data;
    size_t length;
    DEEP_TRY(deep_file_read(__func__, path, &data, &length));
    char source[320];
    snprintf(source, sizeof source, "'%s'", path);
    deep_status status = load_bytes(__func__, source, data ? data : (const uint8_t *)"", length, out);
    free(data);
    return status;
}

deep_status deep_model_load_buffer(const void *data, int64_t size, deep_model **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(data);
    if (size < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "size is %lld; it must be >= 0", (long long)size);
    return load_bytes(__func__, "the buffer", data, (size_t)size, out);
}
