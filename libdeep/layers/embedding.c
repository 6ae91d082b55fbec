/* Embedding, as Keras' layer: every input value is a token id in [0, input_dim), held as
 * a float, and becomes row `id` of the embeddings matrix (input_dim, output_dim). The
 * output has the input's shape with output_dim appended: (input_length,) sequences become
 * (input_length, output_dim), what a recurrent layer takes. Keras' initialiser: uniform in
 * [-0.05, 0.05].
 *
 * Ids are checked before a pass (check_input, as forward cannot fail): a negative, too
 * large or non-integral id is an error naming the sample, the position and the value. An
 * Embedding deeper in a model only sees other layers' outputs, which cannot be checked
 * beforehand: there forward rounds each value to the nearest id and gives zeros for ids
 * out of range, and the ids get no gradient.
 *
 * With mask_zero, id 0 is padding (Keras' mask_zero=True): the layer makes the mask that
 * the recurrent layers after it read, 1 where the id is not 0. Its row of the embeddings
 * is still looked up, and learns nothing through a masked step. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

static deep_status embedding_build(deep_layer *layer)
{
    char s[128];
    /* The output is a sample too: its rank is at most DEEP_MAX_SAMPLE_RANK. */
    if (layer->in_rank + 1 > DEEP_MAX_SAMPLE_RANK)
        return DEEP_FAIL(DEEP_ERR_SHAPE,
                         "Embedding adds an axis, which inputs of shape %s leave no room for (a sample's rank is at "
                         "most %d)",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape), DEEP_MAX_SAMPLE_RANK);
    if (layer->cfg.embedding.input_length > 0 &&
        (layer->in_rank != 1 || layer->in_shape[0] != layer->cfg.embedding.input_length))
        return DEEP_FAIL(DEEP_ERR_SHAPE,
                         "input_length is %lld but the input is %s; the model's input shape must be (%lld,)",
                         (long long)layer->cfg.embedding.input_length,
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape),
                         (long long)layer->cfg.embedding.input_length);
    if (layer->cfg.embedding.mask_zero && layer->in_rank != 1)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "mask_zero needs (input_length,) sequences of ids but the input is %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    /* The embeddings' element count is checked by their declaration. */
    layer->out_rank = layer->in_rank + 1;
    memcpy(layer->out_shape, layer->in_shape, (size_t)layer->in_rank * sizeof *layer->in_shape);
    layer->out_shape[layer->in_rank] = layer->cfg.embedding.output_dim;
    int64_t shape[2] = {layer->cfg.embedding.input_dim, layer->cfg.embedding.output_dim};
    return deep_layer_declare_param(layer, 0, "embeddings", 2, shape);
}

static void embedding_init(deep_layer *layer, struct deep_rng *rng)
{
    deep_param *table = &layer->params[0];
    for (int64_t i = 0; i < table->size; i++)
        table->value[i] = (2.0f * deep_rng_float(rng) - 1.0f) * 0.05f;
}

/* The row of a value, or -1 when it is no id (negative, too large, NaN). */
static inline int64_t token_row(const deep_layer *layer, float value)
{
    if (!(value > -0.5f && value < (float)layer->cfg.embedding.input_dim - 0.5f))
        return -1;
    int64_t id = (int64_t)(value + 0.5f);
    return id < layer->cfg.embedding.input_dim ? id : -1;
}

typedef struct embedding_ctx {
    const deep_layer *layer;
    const float *in;
    float *out;
    const float *grad_out;
    int64_t tokens; /* batch * in_size */
} embedding_ctx;

static void lookup_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const embedding_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t dim = layer->cfg.embedding.output_dim;
    const float *table = layer->params[0].value;
    for (int64_t i = begin * layer->in_size; i < end * layer->in_size; i++) {
        int64_t row = token_row(layer, c->in[i]);
        if (row >= 0)
            memcpy(c->out + i * dim, table + row * dim, (size_t)dim * sizeof(float));
        else
            memset(c->out + i * dim, 0, (size_t)dim * sizeof(float));
    }
}

static void embedding_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                              float *scratch, int64_t batch)
{
    (void)scratch;
    embedding_ctx c = {.layer = layer, .in = in, .out = out};
    deep_pool_run(ex->pool, batch, lookup_samples, &c);
}

/* dL/dembeddings: the rows of dL/dout added into the rows of their ids. The threads split
 * the columns, so that no two write the same value and the sums keep their order. */
static void scatter_columns(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const embedding_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t dim = layer->cfg.embedding.output_dim;
    float *grad = layer->params[0].grad;
    for (int64_t r = 0; r < layer->cfg.embedding.input_dim; r++)
        memset(grad + r * dim + begin, 0, (size_t)(end - begin) * sizeof(float));
    for (int64_t i = 0; i < c->tokens; i++) {
        int64_t row = token_row(layer, c->in[i]);
        if (row < 0)
            continue;
        const float *from = c->grad_out + i * dim;
        float *to = grad + row * dim;
        for (int64_t j = begin; j < end; j++)
            to[j] += from[j];
    }
}

static void embedding_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                               float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)out;
    (void)scratch;
    embedding_ctx c = {.layer = layer, .in = in, .grad_out = grad_out, .tokens = batch * layer->in_size};
    deep_pool_run(ex->pool, layer->cfg.embedding.output_dim, scatter_columns, &c);
    /* Ids are not differentiable: nothing flows further back. */
    if (grad_in != NULL)
        memset(grad_in, 0, (size_t)(batch * layer->in_size) * sizeof *grad_in);
}

static deep_status embedding_check_input(const deep_layer *layer, int32_t position, const float *in, int64_t count,
                                         const char *caller)
{
    for (int64_t s = 0; s < count; s++)
        for (int64_t i = 0; i < layer->in_size; i++) {
            float v = in[s * layer->in_size + i];
            if (v >= 0 && v < (float)layer->cfg.embedding.input_dim && v == floorf(v))
                continue;
            const char *problem = !(v == floorf(v)) ? "is not a whole number"
                                  : v < 0          ? "is negative"
                                                   : "is not below input_dim";
            return deep_error_set(v == floorf(v) ? DEEP_ERR_OUT_OF_RANGE : DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "layer %d (%s): sample %lld, position %lld: token id %.9g %s; ids must be "
                                  "integers in [0, %lld) (input_dim %lld)",
                                  (int)position, layer->name, (long long)s, (long long)i, (double)v, problem,
                                  (long long)layer->cfg.embedding.input_dim, (long long)layer->cfg.embedding.input_dim);
        }
    return DEEP_OK;
}

static deep_mask_flow embedding_mask_flow(const deep_layer *layer)
{
    return layer->cfg.embedding.mask_zero ? DEEP_MASK_MADE : DEEP_MASK_ENDS;
}

/* Padding is id 0 as the first layer's check leaves it, or anything that rounds to it
 * deeper in a model, as forward reads ids. */
static void embedding_compute_mask(const deep_layer *layer, const float *in, uint8_t *mask, int64_t batch)
{
    for (int64_t i = 0; i < batch * layer->in_size; i++)
        mask[i] = token_row(layer, in[i]) != 0;
}

/* mask_zero makes id 0 padding: the vocabulary needs room for it. */
static deep_status embedding_check(const void *config, const char *caller)
{
    const deep_embedding_config *c = config;
    if (c->mask_zero && c->input_dim < 2)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "mask_zero makes id 0 padding, so input_dim must leave room for it (the vocabulary "
                              "size plus 1), but it is %lld", (long long)c->input_dim);
    return DEEP_OK;
}

static const deep_layer_field embedding_fields[] = {
    DEEP_FIELD(deep_embedding_config, input_dim, DEEP_FIELD_SIZE, .min = 1, .doc = "vocabulary size (largest id + 1)"),
    DEEP_FIELD(deep_embedding_config, output_dim, DEEP_FIELD_SIZE, .min = 1, .doc = "length of each id's vector"),
    DEEP_FIELD(deep_embedding_config, input_length, DEEP_FIELD_SIZE, .min = 0, .note = "0: the input's length",
               .doc = "ids per sample; 0 takes the input's length"),
    DEEP_FIELD(deep_embedding_config, mask_zero, DEEP_FIELD_BOOL, .option = DEEP_LAYER_MASK_ZERO, .optional = true,
               .doc = "id 0 is padding: the output is masked there"),
};

const deep_layer_ops deep_embedding_ops = {
    .type = "embedding",
    .class_name = "Embedding",
    .config_size = sizeof(deep_embedding_config),
    DEEP_FIELDS(embedding_fields),
    .flags = DEEP_LAYER_ID_INPUT,
    .check = embedding_check,
    .build = embedding_build,
    .init = embedding_init,
    .forward = embedding_forward,
    .backward = embedding_backward,
    .check_input = embedding_check_input,
    .mask_flow = embedding_mask_flow,
    .compute_mask = embedding_compute_mask,
};

deep_status deep_model_add_embedding(deep_model *model, int64_t input_dim, int64_t output_dim, int64_t input_length)
{
    deep_embedding_config c = {.input_dim = input_dim, .output_dim = output_dim, .input_length = input_length};
    return deep_layer_append(model, &deep_embedding_ops, &c, false, __func__, NULL);
}
