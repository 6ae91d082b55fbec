/* Per-layer settings of the weights that Keras gives every layer with weights: their
 * initialisers, regularisers and constraints (deep.h, since 1.2), and the initialisers'
 * arithmetic. The layer keeps the settings (struct deep_layer's `rules`); graph/rules.c
 * applies them at compile, in the loss and after each update. */
#ifndef DEEP_LAYERS_WEIGHT_RULES_H
#define DEEP_LAYERS_WEIGHT_RULES_H

#include "core/core.h"

#define DEEP_WEIGHT_ROLE_COUNT 6 /* deep_weight_role's values, 0..5 */

typedef struct deep_initializer_rule {
    deep_initializer kind; /* DEEP_INITIALIZER_DEFAULT: the layer's own init */
    double a, b;
    bool seeded;   /* since 1.3: draws from its own generator seeded with `seed`, Keras' seed= */
    uint64_t seed;
} deep_initializer_rule;

typedef struct deep_regularizer_rule {
    double l1, l2; /* both 0: none */
} deep_regularizer_rule;

typedef struct deep_constraint_rule {
    deep_constraint kind;
    double min_value, max_value, rate;
    int32_t axis_count;
    int32_t axes[DEEP_MAX_RANK]; /* as given: negative ones count from the end */
} deep_constraint_rule;

typedef struct deep_weight_rules {
    deep_initializer_rule init[DEEP_WEIGHT_ROLE_COUNT];
    deep_regularizer_rule reg[DEEP_WEIGHT_ROLE_COUNT];
    deep_constraint_rule constraint[DEEP_WEIGHT_ROLE_COUNT];
} deep_weight_rules;

/* The role of a weight from its Keras name (the part after the last '/', so Bidirectional's
 * "forward_lstm/kernel" is a kernel), or -1 for weights no setting reaches (BatchNorm's
 * moving statistics). */
int deep_weight_role_of(const char *param_name);
/* Keras' name of a role's settings prefix ("kernel", "recurrent", "activity"). */
const char *deep_weight_role_name(deep_weight_role role);
/* Keras' names of the initialisers and constraints ("he_normal", "max_norm"), and back
 * (-1 for an unknown name). */
const char *deep_initializer_name(deep_initializer kind);
int deep_initializer_by_name(const char *name);
const char *deep_constraint_name(deep_constraint kind);
int deep_constraint_by_name(const char *name);
/* Whether a rule's values are valid; on failure sets the error for `caller`. The
 * initializer's unused parameters are zeroed first (they read back as 0). */
deep_status deep_initializer_rule_check(deep_initializer_rule *rule, const char *caller);
deep_status deep_regularizer_rule_check(const deep_regularizer_rule *rule, const char *caller);
deep_status deep_constraint_rule_check(deep_constraint_rule *rule, const char *caller);

/* Keras' fans of a weight's shape: (n,) both n; (in, out); (..., in, out) times the
 * product of the leading axes (the receptive field). */
void deep_weight_fans(int32_t rank, const int64_t *shape, double *fan_in, double *fan_out);
/* Fills w (count values of that shape) by the rule, drawing from rng. The rule is not
 * DEEP_INITIALIZER_DEFAULT. */
void deep_initializer_fill(const deep_initializer_rule *rule, float *w, int32_t rank, const int64_t *shape,
                           struct deep_rng *rng);

#endif
