/* The model's side of its optimizer: binding it to the weight tensors at compile, and
 * ReduceLROnPlateau between epochs of fit. */
#ifndef DEEP_GRAPH_OPTIMIZE_H
#define DEEP_GRAPH_OPTIMIZE_H

#include "graph/model.h"

/* Binds optimizer to the model's `total` weight elements (one block, as compile lays them
 * out) and tells it where each weight tensor starts and whether it is trainable, for
 * clipnorm and weight decay. Called by compile before the model changes. */
deep_status deep_model_bind_optimizer(const deep_model *model, deep_optimizer *optimizer, int64_t total);

#endif
