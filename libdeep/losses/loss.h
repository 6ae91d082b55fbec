/* Loss values and their gradients with respect to the model's output. Every loss is the
 * mean over the batch of a per-sample loss, as Keras computes it. */
#ifndef DEEP_LOSS_INTERNAL_H
#define DEEP_LOSS_INTERNAL_H

#include "core/core.h"

/* True for the deep_loss values of deep.h. */
bool deep_loss_is_valid(deep_loss loss);

/* Mean loss of a batch of predictions pred[batch * width]. The categorical losses divide
 * each row by its sum first, as Keras. Sparse categorical
 * cross-entropy reads labels[batch] (targets unused); the others read
 * targets[batch * width] (labels unused). Probabilities are clipped to [1e-7, 1 - 1e-7]
 * as Keras does. When grad is not NULL it receives d(mean loss)/d(pred). */
double deep_loss_compute(deep_loss loss, const float *pred, const float *targets, const int32_t *labels,
                         int64_t batch, int64_t width, float *grad);
/* The settings of Keras' loss objects that a model carries (deep.h's model options). */
typedef struct deep_loss_config {
    double huber_delta;     /* DEEP_LOSS_HUBER's delta (Keras' 1.0) */
    bool from_logits;       /* the cross-entropies read logits */
    double label_smoothing; /* binary and categorical cross-entropy, in [0, 1] */
    /* Hinge and squared hinge: 0 decides from the targets of the call (Keras' test over
     * the batch), 1 turns {0, 1} targets into {-1, 1}, -1 keeps them; so that a weighted
     * batch scored row by row keeps its batch's decision. */
    int hinge_signs;
} deep_loss_config;

/* Keras' sample-weighted loss: sum_r w_r l_r / rows, l_r the loss of row r alone
 * (reduction "sum_over_batch_size", Keras 2 and 3 alike). */
double deep_loss_weighted(deep_loss loss, const deep_loss_config *config, const float *pred, const float *targets,
                          const int32_t *labels, int64_t rows, int64_t width, const float *weights);
/* Multiplies row r of grad (rows x width) by weights[r]: the gradient of the weighted loss
 * from the unweighted one's, rows being independent. */
void deep_loss_scale_rows(float *grad, int64_t rows, int64_t width, const float *weights);

/* deep_loss_compute with the model's settings. */
double deep_loss_apply(deep_loss loss, const deep_loss_config *config, const float *pred, const float *targets,
                       const int32_t *labels, int64_t batch, int64_t width, float *grad);
/* The cross-entropies on logits (logits.c), Keras' from_logits=True, with label smoothing
 * `smoothing` (binary and categorical only). */
double deep_loss_logits(deep_loss loss, double smoothing, const float *logits, const float *targets,
                        const int32_t *labels, int64_t batch, int64_t width, float *grad);
/* The target Keras' label smoothing s makes of y: y (1 - s) + s / 2 for binary
 * cross-entropy, y (1 - s) + s / width for the categorical one. */
static inline double deep_loss_smooth(deep_loss loss, double y, double s, int64_t width)
{
    if (s == 0)
        return y;
    return y * (1 - s) + s / (loss == DEEP_LOSS_BINARY_CROSSENTROPY ? 2.0 : (double)width);
}

/* The same with the model's Huber delta (deep_loss_compute uses Keras' 1.0). */
double deep_loss_evaluate(deep_loss loss, double huber_delta, const float *pred, const float *targets,
                          const int32_t *labels, int64_t batch, int64_t width, float *grad);
/* The losses after sparse categorical cross-entropy in deep.h (extra.c); float targets. */
double deep_loss_extra(deep_loss loss, const deep_loss_config *config, const float *pred, const float *targets,
                       int64_t batch, int64_t width, float *grad);
/* True when every target is 0 or 1: Keras' hinge then turns them into -1 and 1. */
bool deep_loss_binary_targets(const float *targets, int64_t n);

/* True when the loss pairs with the activation of the output layer so that the gradient
 * with respect to the pre-activation is simply (pred - target) / n: categorical and sparse
 * categorical cross-entropy after softmax, binary cross-entropy after sigmoid. */
bool deep_loss_fuses_with(deep_loss loss, deep_activation activation);
/* That fused gradient with respect to the output layer's pre-activation, the targets
 * smoothed by `smoothing` (Keras' label_smoothing; 0: none). */
void deep_loss_fused_grad(deep_loss loss, double smoothing, const float *pred, const float *targets,
                          const int32_t *labels, int64_t batch, int64_t width, float *grad);

#endif
