/* The model's side of its optimizer: binding it to the weight tensors at compile, and
 * ReduceLROnPlateau between epochs of fit. */
#ifndef DEEP_GRAPH_OPTIMIZE_H
#define DEEP_GRAPH_OPTIMIZE_H

#include "graph/model.h"

/* Binds optimizer to the model's `total` weight elements (one block, as compile lays them
 * out) and tells it where each weight tensor starts and whether it is trainable, for
 * clipnorm and weight decay. Called by compile before the model changes. */
deep_status deep_model_bind_optimizer(const deep_model *model, deep_optimizer *optimizer, int64_t total);

/* ReduceLROnPlateau after each epoch of fit (fit.c, fit_epochs), with the loss it monitors
 * (the validation loss when there is one, else the training loss): multiplies the
 * optimizer's learning rate by the factor after `patience` epochs without an improvement
 * of more than min_delta, as Keras' callback. `first` is true for the first epoch of the
 * fit call, which starts from fresh state (Keras' on_train_begin). Nothing when off.
 * DEEP_ERR_STATE when on and the optimizer has a schedule. */
deep_status deep_model_plateau_epoch(deep_model *model, int32_t epoch, bool first, double monitored);

#endif
