/* Layer configurations in model files, driven by each registered type's field table
 * (layers/layer.h): loading validates a file's layers exactly as the public API validates
 * a caller's. Never installed. */
#ifndef DEEP_GRAPH_LAYER_CONFIG_H
#define DEEP_GRAPH_LAYER_CONFIG_H

#include "io/json.h"
#include "layers/layer.h"

/* Appends the JSON object of the layer's configuration, e.g. {"units": 10, "activation":
 * "relu", "use_bias": true}: its type's fields in table order. */
deep_status deep_layer_config_write(const char *caller, const deep_layer *layer, deep_bytes *out);

/* Appends to model a layer of `type` configured by the JSON object `config`: every field
 * present once, no unknown field, each value of its kind, then the deep_model_add_* call's
 * own checks (deep_layer_append). Errors are DEEP_ERR_FORMAT (DEEP_ERR_NO_MEMORY when memory runs out)
 * naming caller, then `context` (which file and layer). */
deep_status deep_layer_config_add(const char *caller, const char *context, deep_model *model, const char *type,
                                  const deep_json *doc, const deep_json_node *config);

#endif
