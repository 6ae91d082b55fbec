/* Applying the layers' weight rules (layers/weight_rules.h) to a model: the public
 * setters and getters live in graph/rules.c with these hooks, which compile, scoring,
 * backward, the update and model files call. */
#ifndef DEEP_GRAPH_RULES_H
#define DEEP_GRAPH_RULES_H

#include "graph/model.h"
#include "io/json.h"

/* Compile's checks, before it changes anything: constraint axes within each weight's
 * rank. */
deep_status deep_rules_check_compile(const deep_model *model, const deep_loss *losses, const char *caller);
/* After the layers' own initialisation: redraws the weights whose role has an initializer. */
void deep_rules_initialize(deep_model *model);
/* The regularisation term of the loss: the weight regularisers plus, for each call of a
 * layer with an activity regulariser, its output's term divided by the batch size. */
double deep_rules_penalty(const deep_model *model, const deep_workspace *ws, int64_t batch);
/* Adds the weight regularisers' gradients to the weights' gradients (before an update). */
void deep_rules_add_grads(deep_model *model);
/* Adds the activity regulariser's gradient of node `node`'s output to grad: dL/d output, or
 * with `fused` (an output whose loss is fused with its sigmoid or softmax) dL/d(its
 * pre-activation), the term's gradient taken through the activation. */
void deep_rules_activity_grad(const deep_model *model, int32_t node, const float *out, float *grad, int64_t batch,
                              bool fused);
/* Applies the constraints (after an update). */
void deep_rules_constrain(deep_model *model);
/* Model files: the layer's "rules" member (nothing is written when it has none; *wrote
 * says whether anything was), and reading it back into the layer. */
void deep_rules_write(const deep_layer *layer, deep_bytes *j, bool *wrote);
deep_status deep_rules_read(deep_layer *layer, const deep_json *doc, const deep_json_node *rules, const char *caller,
                            const char *context);

#endif
