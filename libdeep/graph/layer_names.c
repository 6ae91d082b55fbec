/* Layer names (since 1.3): Keras' layer.name read back, and name= given to a layer, which
 * summaries, messages, model files (tensor names "<layer>/<weight>") and get_layer in the
 * bindings use. The library names a new layer after its type ("dense", "dense_1", ...,
 * graph/model.c); a given name replaces that one. */
#include <stdio.h>

#include "graph/model.h"

/* The position of layer index `layer` (negative counts from the end), or an error. */
static deep_status layer_position(const char *caller, const deep_model *model, int32_t layer, int32_t *position)
{
    if (layer < -model->layer_count || layer >= model->layer_count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "layer %d is outside the model's %d layers", (int)layer,
                              (int)model->layer_count);
    *position = layer < 0 ? layer + model->layer_count : layer;
    return DEEP_OK;
}

bool deep_model_name_taken(const deep_model *model, const char *name, const deep_layer *except)
{
    for (int32_t i = 0; i < model->layer_count; i++)
        if (model->layers[i] != except && strcmp(model->layers[i]->name, name) == 0)
            return true;
    return false;
}

deep_status deep_model_rename_layer(deep_model *model, int32_t position, const char *name, const char *caller)
{
    deep_layer *layer = model->layers[position];
    size_t length = strlen(name);
    if (length == 0 || length >= sizeof layer->name)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "a layer name has 1 to %d characters; '%.60s' has %zu",
                              (int)sizeof layer->name - 1, name, length);
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)name[i];
        /* '/' separates the layer from its weight in tensor names, as Keras refuses it. */
        if (c < 0x20 || c > 0x7e || c == '/')
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "layer name '%s' has character %d at %zu; names are printable ASCII without '/'",
                                  name, (int)c, i);
    }
    if (deep_model_name_taken(model, name, layer))
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "another layer of the model is named '%s'", name);
    snprintf(layer->name, sizeof layer->name, "%s", name);
    return DEEP_OK;
}

deep_status deep_model_layer_name(const deep_model *model, int32_t layer, char *name, int64_t capacity,
                                  int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, name, capacity, needed));
    DEEP_REQUIRE(model);
    int32_t position = 0;
    DEEP_TRY(layer_position(__func__, model, layer, &position));
    return deep_output_text(__func__, "the name", name, capacity, needed, model->layers[position]->name);
}

deep_status deep_model_set_layer_name(deep_model *model, int32_t layer, const char *name)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(name);
    DEEP_TRY(deep_model_may_change(model, __func__, "layer names cannot change", false));
    int32_t position = 0;
    DEEP_TRY(layer_position(__func__, model, layer, &position));
    return deep_model_rename_layer(model, position, name, __func__);
}
