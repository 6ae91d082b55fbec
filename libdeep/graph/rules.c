/* Keras' per-layer weight settings, applied to a model: the public calls
 * deep_model_{set,get}_layer_{initializer,regularizer,constraint}, the initialisers at
 * compile, the regularisers' loss terms and gradients, the constraints after each update,
 * and their entries in model files. Kept apart from the loss and the update so that each
 * of those calls one hook. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "graph/rules.h"
#include "losses/loss.h"

/* The layer a call addresses (negative indexes count from the end), checked for `role`. */
static deep_status rule_target(const char *caller, const deep_model *model, int32_t index, deep_weight_role role,
                               bool setting, bool weights_only, deep_layer **out)
{
    if (index < -model->layer_count || index >= model->layer_count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "layer %d is outside the model's %d layers", (int)index,
                              (int)model->layer_count);
    const char *role_name = deep_weight_role_name(role);
    if (role_name == NULL)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "unknown weight role %d", (int)role);
    if (setting && model->compiled)
        return deep_error_set(DEEP_ERR_STATE, caller, "weight settings are made before deep_model_compile");
    if (setting)
        DEEP_TRY(deep_model_may_change(model, caller, "its layers cannot change", false));
    int32_t position = index < 0 ? index + model->layer_count : index;
    deep_layer *layer = model->layers[position];
    if (role == DEEP_WEIGHT_ACTIVITY) {
        if (weights_only)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "the activity role takes a regularizer only, not an initializer or a constraint");
        *out = layer;
        return DEEP_OK;
    }
    for (int32_t p = 0; p < layer->param_count; p++)
        if (deep_weight_role_of(layer->params[p].name) == (int)role) {
            *out = layer;
            return DEEP_OK;
        }
    return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "layer %d (%s, %s) has no %s weight%s", (int)position,
                          layer->name, layer->ops->class_name, role_name == NULL ? "?" : role_name,
                          role == DEEP_WEIGHT_BIAS ? " (use_bias 0?)" : "");
}

deep_status deep_model_set_layer_initializer(deep_model *model, int32_t layer, deep_weight_role role,
                                             deep_initializer initializer, double a, double b)
{
    DEEP_REQUIRE(model);
    deep_layer *target;
    DEEP_TRY(rule_target(__func__, model, layer, role, true, true, &target));
    deep_initializer_rule rule = {initializer, a, b, false, 0}; /* a new initializer: no seed yet */
    DEEP_TRY(deep_initializer_rule_check(&rule, __func__));
    if (initializer == DEEP_INITIALIZER_ORTHOGONAL)
        for (int32_t p = 0; p < target->param_count; p++)
            if (deep_weight_role_of(target->params[p].name) == (int)role && target->params[p].rank < 2)
                return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "orthogonal needs a weight of rank 2 or more; %s of %s has "
                                 "rank %d", target->params[p].name, target->name, (int)target->params[p].rank);
    target->rules.init[role] = rule;
    return DEEP_OK;
}

deep_status deep_model_get_layer_initializer(const deep_model *model, int32_t layer, deep_weight_role role,
                                             deep_initializer *initializer, double *a, double *b)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(initializer);
    DEEP_REQUIRE(a);
    DEEP_REQUIRE(b);
    deep_layer *target;
    DEEP_TRY(rule_target(__func__, model, layer, role, false, true, &target));
    *initializer = target->rules.init[role].kind;
    *a = target->rules.init[role].a;
    *b = target->rules.init[role].b;
    return DEEP_OK;
}

/* Whether the initializer draws at all: the constants take no seed (nor do Keras'). */
static bool draws(deep_initializer kind)
{
    switch (kind) {
    case DEEP_INITIALIZER_DEFAULT:
    case DEEP_INITIALIZER_ZEROS:
    case DEEP_INITIALIZER_ONES:
    case DEEP_INITIALIZER_CONSTANT:
        return false;
    case DEEP_INITIALIZER_RANDOM_NORMAL:
    case DEEP_INITIALIZER_RANDOM_UNIFORM:
    case DEEP_INITIALIZER_TRUNCATED_NORMAL:
    case DEEP_INITIALIZER_GLOROT_UNIFORM:
    case DEEP_INITIALIZER_GLOROT_NORMAL:
    case DEEP_INITIALIZER_HE_NORMAL:
    case DEEP_INITIALIZER_HE_UNIFORM:
    case DEEP_INITIALIZER_LECUN_NORMAL:
    case DEEP_INITIALIZER_LECUN_UNIFORM:
    case DEEP_INITIALIZER_ORTHOGONAL:
        return true;
    }
    return false;
}

deep_status deep_model_set_layer_initializer_seed(deep_model *model, int32_t layer, deep_weight_role role,
                                                  int32_t seeded, uint64_t seed)
{
    DEEP_REQUIRE(model);
    deep_layer *target;
    DEEP_TRY(rule_target(__func__, model, layer, role, true, true, &target));
    if (seeded != 0 && seeded != 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "seeded is %d; it must be 0 or 1", (int)seeded);
    deep_initializer_rule *rule = &target->rules.init[role];
    if (seeded && rule->kind == DEEP_INITIALIZER_DEFAULT)
        return DEEP_FAIL(DEEP_ERR_STATE, "the %s weights of layer %d (%s) have no initializer set; set one with "
                         "deep_model_set_layer_initializer first (the layer's own draws from the model's seed)",
                         deep_weight_role_name(role), (int)layer, target->name);
    if (seeded && !draws(rule->kind))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the %s initializer draws nothing and takes no seed",
                         deep_initializer_name(rule->kind));
    rule->seeded = seeded != 0;
    rule->seed = seeded ? seed : 0;
    return DEEP_OK;
}

deep_status deep_model_get_layer_initializer_seed(const deep_model *model, int32_t layer, deep_weight_role role,
                                                  int32_t *seeded, uint64_t *seed)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(seeded);
    DEEP_REQUIRE(seed);
    deep_layer *target;
    DEEP_TRY(rule_target(__func__, model, layer, role, false, true, &target));
    *seeded = target->rules.init[role].seeded;
    *seed = target->rules.init[role].seed;
    return DEEP_OK;
}

deep_status deep_model_set_layer_regularizer(deep_model *model, int32_t layer, deep_weight_role role, double l1,
                                             double l2)
{
    DEEP_REQUIRE(model);
    deep_layer *target;
    DEEP_TRY(rule_target(__func__, model, layer, role, true, false, &target));
    deep_regularizer_rule rule = {l1, l2};
    DEEP_TRY(deep_regularizer_rule_check(&rule, __func__));
    target->rules.reg[role] = rule;
    return DEEP_OK;
}

deep_status deep_model_get_layer_regularizer(const deep_model *model, int32_t layer, deep_weight_role role,
                                             double *l1, double *l2)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(l1);
    DEEP_REQUIRE(l2);
    deep_layer *target;
    DEEP_TRY(rule_target(__func__, model, layer, role, false, false, &target));
    *l1 = target->rules.reg[role].l1;
    *l2 = target->rules.reg[role].l2;
    return DEEP_OK;
}

deep_status deep_model_set_layer_constraint(deep_model *model, int32_t layer, deep_weight_role role,
                                            deep_constraint constraint, double min_value, double max_value,
                                            double rate, const int32_t *axes, int32_t axis_count)
{
    DEEP_REQUIRE(model);
    deep_layer *target;
    DEEP_TRY(rule_target(__func__, model, layer, role, true, true, &target));
    deep_constraint_rule rule = {.kind = constraint, .min_value = min_value, .max_value = max_value, .rate = rate};
    bool takes_axes = constraint != DEEP_CONSTRAINT_NONE && constraint != DEEP_CONSTRAINT_NON_NEG;
    if (takes_axes && axis_count > 0 && axes == NULL)
        return DEEP_FAIL(DEEP_ERR_NULL, "argument 'axes' is NULL");
    rule.axis_count = takes_axes ? axis_count : 0;
    for (int32_t i = 0; takes_axes && i < axis_count && i < DEEP_MAX_RANK; i++)
        rule.axes[i] = axes[i];
    DEEP_TRY(deep_constraint_rule_check(&rule, __func__));
    target->rules.constraint[role] = rule;
    return DEEP_OK;
}

deep_status deep_model_get_layer_constraint(const deep_model *model, int32_t layer, deep_weight_role role,
                                            deep_constraint *constraint, double *min_value, double *max_value,
                                            double *rate, int32_t *axes, int32_t *axis_count)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(constraint);
    DEEP_REQUIRE(min_value);
    DEEP_REQUIRE(max_value);
    DEEP_REQUIRE(rate);
    DEEP_REQUIRE(axis_count);
    deep_layer *target;
    DEEP_TRY(rule_target(__func__, model, layer, role, false, true, &target));
    const deep_constraint_rule *rule = &target->rules.constraint[role];
    *constraint = rule->kind;
    *min_value = rule->min_value;
    *max_value = rule->max_value;
    *rate = rule->rate;
    *axis_count = rule->axis_count;
    if (axes != NULL)
        memcpy(axes, rule->axes, (size_t)rule->axis_count * sizeof *axes);
    return DEEP_OK;
}

/* The axis of a weight of that rank, or -1 when it has none such. */
static int32_t resolve_axis(int32_t axis, int32_t rank)
{
    int32_t a = axis < 0 ? axis + rank : axis;
    return a >= 0 && a < rank ? a : -1;
}

deep_status deep_rules_check_compile(const deep_model *model, const deep_loss *losses, const char *caller)
{
    (void)losses; /* since 1.3 an activity regulariser works with every loss, fused or not */
    for (int32_t i = 0; i < model->layer_count; i++) {
        const deep_layer *layer = model->layers[i];
        for (int32_t p = 0; p < layer->param_count; p++) {
            int role = deep_weight_role_of(layer->params[p].name);
            const deep_constraint_rule *c = role >= 0 ? &layer->rules.constraint[role] : NULL;
            for (int32_t k = 0; c != NULL && k < c->axis_count; k++)
                if (resolve_axis(c->axes[k], layer->params[p].rank) < 0)
                    return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                          "layer %d (%s): the %s constraint's axis %d is outside weight %s of rank %d",
                                          (int)i, layer->name, deep_constraint_name(c->kind), (int)c->axes[k],
                                          layer->params[p].name, (int)layer->params[p].rank);
        }
    }
    return DEEP_OK;
}

/* Keras' LSTM with unit_forget_bias: its bias is the bias initializer's, with ones in the
 * forget gate's block (the second of four). A Bidirectional LSTM's config reads the same. */
static void forget_gate_ones(const deep_layer *layer, deep_param *param)
{
    if (!(layer->ops->flags & DEEP_LAYER_RECURRENT) || !layer->cfg.rnn.unit_forget_bias)
        return;
    int64_t units = layer->cfg.rnn.units;
    if (param->rank != 1 || param->size != 4 * units) /* GRU and SimpleRNN biases are 3 or 6 and 1 blocks */
        return;
    for (int64_t i = units; i < 2 * units; i++)
        param->value[i] = 1.0f;
}

void deep_rules_initialize(deep_model *model)
{
    for (int32_t i = 0; i < model->layer_count; i++) {
        deep_layer *layer = model->layers[i];
        for (int32_t p = 0; p < layer->param_count; p++) {
            deep_param *param = &layer->params[p];
            int role = deep_weight_role_of(param->name);
            if (role < 0 || layer->rules.init[role].kind == DEEP_INITIALIZER_DEFAULT)
                continue;
            const deep_initializer_rule *rule = &layer->rules.init[role];
            struct deep_rng own; /* Keras' seed=: the same weights whatever the model's generator */
            if (rule->seeded)
                deep_rng_init(&own, rule->seed);
            deep_initializer_fill(rule, param->value, param->rank, param->shape, rule->seeded ? &own : &model->rng);
            if (role == DEEP_WEIGHT_BIAS)
                forget_gate_ones(layer, param);
        }
    }
}

static double regularizer_sum(const deep_regularizer_rule *r, const float *v, int64_t count)
{
    double abs_sum = 0, square_sum = 0;
    for (int64_t i = 0; i < count; i++) {
        abs_sum += fabs((double)v[i]);
        square_sum += (double)v[i] * v[i];
    }
    return r->l1 * abs_sum + r->l2 * square_sum;
}

double deep_rules_penalty(const deep_model *model, const deep_workspace *ws, int64_t batch)
{
    double penalty = 0;
    for (int32_t i = 0; i < model->layer_count; i++) {
        const deep_layer *layer = model->layers[i];
        for (int32_t p = 0; p < layer->param_count; p++) {
            int role = deep_weight_role_of(layer->params[p].name);
            const deep_regularizer_rule *r = role >= 0 ? &layer->rules.reg[role] : NULL;
            if (r != NULL && (r->l1 > 0 || r->l2 > 0))
                penalty += regularizer_sum(r, layer->params[p].value, layer->params[p].size);
        }
    }
    for (int32_t n = 0; n < model->node_count && ws != NULL; n++) {
        const deep_layer *layer = model->nodes[n].layer;
        const deep_regularizer_rule *r = layer != NULL ? &layer->rules.reg[DEEP_WEIGHT_ACTIVITY] : NULL;
        if (r != NULL && (r->l1 > 0 || r->l2 > 0))
            penalty += regularizer_sum(r, ws->acts[n], batch * model->nodes[n].size) / (double)batch;
    }
    return penalty;
}

/* d/dw of l1 |w| + l2 w^2, with Keras' sign(0) = 0, scaled. */
static void add_regularizer_grad(const deep_regularizer_rule *r, const float *v, float *grad, int64_t count,
                                 double scale)
{
    float l1 = (float)(r->l1 * scale), l2 = (float)(2.0 * r->l2 * scale);
    for (int64_t i = 0; i < count; i++)
        grad[i] += l1 * (float)((v[i] > 0) - (v[i] < 0)) + l2 * v[i];
}

void deep_rules_add_grads(deep_model *model)
{
    for (int32_t i = 0; i < model->layer_count; i++) {
        deep_layer *layer = model->layers[i];
        for (int32_t p = 0; p < layer->param_count; p++) {
            deep_param *param = &layer->params[p];
            int role = deep_weight_role_of(param->name);
            const deep_regularizer_rule *r = role >= 0 ? &layer->rules.reg[role] : NULL;
            if (r != NULL && param->trainable && (r->l1 > 0 || r->l2 > 0))
                add_regularizer_grad(r, param->value, param->grad, param->size, 1.0);
        }
    }
}

/* Since 1.3, an output whose loss is fused with its activation (grad is then dL/dz, z the
 * pre-activation) takes the activity term's gradient through that activation: g = dR/dy,
 * then g * y (1 - y) for a sigmoid, y_j (g_j - sum_k y_k g_k) per row for a softmax. */
static void add_fused_activity_grad(const deep_regularizer_rule *r, deep_activation activation, const float *y,
                                    float *grad, int64_t count, int64_t width, double scale)
{
    const double l1 = r->l1 * scale, l2 = 2.0 * r->l2 * scale;
    for (int64_t row = 0; row < count / width; row++) {
        const float *yr = y + row * width;
        float *gr = grad + row * width;
        double dot = 0;
        for (int64_t j = 0; activation == DEEP_ACTIVATION_SOFTMAX && j < width; j++)
            dot += (double)yr[j] * (l1 * (double)((yr[j] > 0) - (yr[j] < 0)) + l2 * yr[j]);
        for (int64_t j = 0; j < width; j++) {
            const double g = l1 * (double)((yr[j] > 0) - (yr[j] < 0)) + l2 * yr[j];
            gr[j] += (float)(activation == DEEP_ACTIVATION_SOFTMAX ? yr[j] * (g - dot) : g * yr[j] * (1.0 - yr[j]));
        }
    }
}

void deep_rules_activity_grad(const deep_model *model, int32_t node, const float *out, float *grad, int64_t batch,
                              bool fused)
{
    const deep_node *n = &model->nodes[node];
    const deep_layer *layer = n->layer;
    const deep_regularizer_rule *r = layer != NULL ? &layer->rules.reg[DEEP_WEIGHT_ACTIVITY] : NULL;
    if (r == NULL || grad == NULL || !(r->l1 > 0 || r->l2 > 0))
        return;
    if (fused)
        add_fused_activity_grad(r, deep_layer_output_activation(layer), out, grad, batch * n->size,
                                n->shape[n->rank - 1], 1.0 / (double)batch);
    else
        add_regularizer_grad(r, out, grad, batch * n->size, 1.0 / (double)batch);
}

/* One weight under a norm constraint: for every position of the axes not normed, the norm
 * over the normed axes, and the scale Keras applies. */
static void constrain_norms(const deep_constraint_rule *c, deep_param *param)
{
    bool normed[DEEP_MAX_RANK] = {false};
    for (int32_t k = 0; k < c->axis_count; k++)
        normed[resolve_axis(c->axes[k], param->rank)] = true; /* checked by compile */
    /* Strides of the row-major weight; the kept axes index the groups. */
    int64_t stride[DEEP_MAX_RANK];
    int64_t s = 1;
    for (int32_t d = param->rank - 1; d >= 0; d--) {
        stride[d] = s;
        s *= param->shape[d];
    }
    int64_t groups = 1, members = 1;
    for (int32_t d = 0; d < param->rank; d++)
        *(normed[d] ? &members : &groups) *= param->shape[d];
    for (int64_t g = 0; g < groups; g++) {
        /* The offset of group g: its kept-axis coordinates, last axis fastest. */
        int64_t base = 0, rest = g;
        for (int32_t d = param->rank - 1; d >= 0; d--)
            if (!normed[d]) {
                base += (rest % param->shape[d]) * stride[d];
                rest /= param->shape[d];
            }
        double sum = 0;
        for (int pass = 0; pass < 2; pass++) {
            double scale = 1;
            if (pass == 1) {
                double norm = sqrt(sum), desired;
                switch (c->kind) {
                case DEEP_CONSTRAINT_MAX_NORM: desired = norm < c->max_value ? norm : c->max_value; break;
                case DEEP_CONSTRAINT_UNIT_NORM: desired = 1; break;
                case DEEP_CONSTRAINT_MIN_MAX_NORM: {
                    double clipped = norm < c->min_value ? c->min_value : norm > c->max_value ? c->max_value : norm;
                    desired = c->rate * clipped + (1 - c->rate) * norm;
                    break;
                }
                case DEEP_CONSTRAINT_NONE:
                case DEEP_CONSTRAINT_NON_NEG:
                default: desired = norm; break;
                }
                scale = desired / (1e-7 + norm); /* Keras' epsilon */
            }
            for (int64_t m = 0; m < members; m++) {
                int64_t at = base, r = m;
                for (int32_t d = param->rank - 1; d >= 0; d--)
                    if (normed[d]) {
                        at += (r % param->shape[d]) * stride[d];
                        r /= param->shape[d];
                    }
                if (pass == 0)
                    sum += (double)param->value[at] * param->value[at];
                else
                    param->value[at] = (float)(param->value[at] * scale);
            }
        }
    }
}

void deep_rules_constrain(deep_model *model)
{
    for (int32_t i = 0; i < model->layer_count; i++) {
        deep_layer *layer = model->layers[i];
        for (int32_t p = 0; p < layer->param_count; p++) {
            deep_param *param = &layer->params[p];
            int role = deep_weight_role_of(param->name);
            const deep_constraint_rule *c = role >= 0 ? &layer->rules.constraint[role] : NULL;
            if (c == NULL || c->kind == DEEP_CONSTRAINT_NONE || !param->trainable)
                continue;
            if (c->kind == DEEP_CONSTRAINT_NON_NEG) {
                for (int64_t k = 0; k < param->size; k++)
                    param->value[k] = param->value[k] > 0 ? param->value[k] : 0.0f;
            } else {
                constrain_norms(c, param);
            }
        }
    }
}
