/* Reshape, Keras' layer: each sample takes target_shape, the same elements in the same
 * (row-major) order, so forward and backward are copies. One dimension may be -1, inferred
 * by build from the input's size. Its config struct is private to this file: adding the
 * type took this file and one line of registry.def (plus the public declaration). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct reshape_config {
    int32_t rank;
    int64_t target_shape[DEEP_MAX_SAMPLE_RANK]; /* -1 at most once: inferred */
} reshape_config;
DEEP_LAYER_CONFIG_FITS(reshape_config);

static deep_status reshape_build(deep_layer *layer)
{
    reshape_config config;
    DEEP_LAYER_CONFIG_READ(layer, config);
    const reshape_config *c = &config;
    int64_t known = 1;
    int32_t unknown = -1;
    bool fits = true;
    for (int32_t i = 0; i < c->rank; i++) {
        if (c->target_shape[i] == -1)
            unknown = i;
        else
            fits = fits && deep_mul_i64(known, c->target_shape[i], &known) && known <= layer->in_size;
    }
    bool matches = fits && (unknown >= 0 ? layer->in_size % known == 0 : known == layer->in_size);
    if (!matches) {
        char in[128], target[128];
        deep_shape_format(in, sizeof in, layer->in_rank, layer->in_shape);
        deep_shape_format(target, sizeof target, c->rank, c->target_shape);
        return DEEP_FAIL(DEEP_ERR_SHAPE, "cannot reshape an input %s of %lld elements to target_shape %s", in,
                         (long long)layer->in_size, target);
    }
    layer->out_rank = c->rank;
    memcpy(layer->out_shape, c->target_shape, (size_t)c->rank * sizeof *c->target_shape);
    if (unknown >= 0)
        layer->out_shape[unknown] = layer->in_size / known;
    return DEEP_OK;
}

static const deep_layer_field reshape_fields[] = {
    {.name = "target_shape", .kind = DEEP_FIELD_SHAPE, .offset = offsetof(reshape_config, target_shape),
     .aux = offsetof(reshape_config, rank), .doc = "the sample's new shape; one -1 is inferred"},
};

const deep_layer_ops deep_reshape_ops = {
    .type = "reshape",
    .class_name = "Reshape",
    .config_size = sizeof(reshape_config),
    DEEP_FIELDS(reshape_fields),
    .build = reshape_build,
    .flags = DEEP_LAYER_IN_PLACE | DEEP_LAYER_GRAD_IN_PLACE, /* copies */
    .backward_reads = deep_layer_reads_nothing,
    .forward = deep_layer_copy_forward,
    .backward = deep_layer_copy_backward,
};

deep_status deep_model_add_reshape(deep_model *model, int32_t rank, const int64_t *target_shape)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(target_shape);
    reshape_config c = {.rank = rank};
    if (rank >= 1 && rank <= DEEP_MAX_SAMPLE_RANK)
        memcpy(c.target_shape, target_shape, (size_t)rank * sizeof *target_shape);
    return deep_layer_append(model, &deep_reshape_ops, &c, false, __func__, NULL);
}
