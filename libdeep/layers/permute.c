/* Permute, Keras' layer: the axes of each sample in the order `dims` gives, 1-based (the
 * batch axis stays first): output axis i is input axis dims[i] - 1. dims must name every
 * axis of the input once. Forward walks the output in order and reads the input through
 * permuted strides; backward writes each gradient back where its value came from (a
 * permutation moves every element exactly once). Its config struct is private. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct permute_config {
    int32_t rank;
    int64_t dims[DEEP_MAX_SAMPLE_RANK]; /* a permutation of 1..rank */
} permute_config;
DEEP_LAYER_CONFIG_FITS(permute_config);

static deep_status permute_build(deep_layer *layer)
{
    permute_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (c.rank != layer->in_rank) {
        char in[128];
        return DEEP_FAIL(DEEP_ERR_SHAPE, "dims has %d axes but the input %s has %d; Permute needs every axis once",
                         (int)c.rank, deep_shape_format(in, sizeof in, layer->in_rank, layer->in_shape),
                         (int)layer->in_rank);
    }
    layer->out_rank = c.rank;
    for (int32_t i = 0; i < c.rank; i++)
        layer->out_shape[i] = layer->in_shape[c.dims[i] - 1];
    return DEEP_OK;
}

/* For each output axis, the stride of the input axis it reads. */
static void source_strides(const deep_layer *layer, int64_t *strides)
{
    permute_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    int64_t in_strides[DEEP_MAX_SAMPLE_RANK], step = 1;
    for (int32_t i = layer->in_rank - 1; i >= 0; i--) {
        in_strides[i] = step;
        step *= layer->in_shape[i];
    }
    for (int32_t i = 0; i < c.rank; i++)
        strides[i] = in_strides[c.dims[i] - 1];
}

typedef struct permute_ctx {
    const deep_layer *layer;
    int64_t strides[DEEP_MAX_SAMPLE_RANK];
    const float *from;
    float *to;
    bool backward; /* scatter to the input's places instead of gathering from them */
} permute_ctx;

static void permute_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const permute_ctx *ctx = raw;
    const deep_layer *l = ctx->layer;
    int32_t rank = l->out_rank;
    int64_t last = l->out_shape[rank - 1], stride = ctx->strides[rank - 1];
    for (int64_t s = begin; s < end; s++) {
        const float *from = ctx->from + s * l->in_size;
        float *to = ctx->to + s * l->in_size;
        int64_t index[DEEP_MAX_SAMPLE_RANK] = {0}, source = 0;
        /* Rows of the output's last axis, an odometer over the others. */
        for (int64_t o = 0; o < l->out_size; o += last) {
            if (ctx->backward)
                for (int64_t j = 0; j < last; j++)
                    to[source + j * stride] = from[o + j];
            else
                for (int64_t j = 0; j < last; j++)
                    to[o + j] = from[source + j * stride];
            for (int32_t axis = rank - 2; axis >= 0; axis--) {
                source += ctx->strides[axis];
                if (++index[axis] < l->out_shape[axis])
                    break;
                source -= index[axis] * ctx->strides[axis];
                index[axis] = 0;
            }
        }
    }
}

static void permute_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                            float *scratch, int64_t batch)
{
    (void)scratch;
    permute_ctx ctx = {.layer = layer, .from = in, .to = out};
    source_strides(layer, ctx.strides);
    deep_pool_run(ex->pool, batch, permute_samples, &ctx);
}

static void permute_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                             float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in == NULL)
        return;
    permute_ctx ctx = {.layer = layer, .from = grad_out, .to = grad_in, .backward = true};
    source_strides(layer, ctx.strides);
    deep_pool_run(ex->pool, batch, permute_samples, &ctx);
}

static const deep_layer_field permute_fields[] = {
    {.name = "dims", .kind = DEEP_FIELD_PERMUTATION, .offset = offsetof(permute_config, dims),
     .aux = offsetof(permute_config, rank), .doc = "the input axis (1-based) of each output axis"},
};

const deep_layer_ops deep_permute_ops = {
    .type = "permute",
    .class_name = "Permute",
    .config_size = sizeof(permute_config),
    DEEP_FIELDS(permute_fields),
    .build = permute_build,
    .forward = permute_forward,
    .backward = permute_backward,
};

deep_status deep_model_add_permute(deep_model *model, int32_t rank, const int32_t *dims)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(dims);
    permute_config c = {.rank = rank};
    for (int32_t i = 0; rank <= DEEP_MAX_SAMPLE_RANK && i < rank; i++)
        c.dims[i] = dims[i];
    return deep_layer_append(model, &deep_permute_ops, &c, false, __func__, NULL);
}
