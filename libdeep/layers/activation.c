/* Activation: applies an activation function on its own, as Keras' Activation layer. */
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layer.h"

/* A ReLU's backward needs only which outputs are positive: one bit each, kept in scratch,
 * so that its output need not stay for backward (graph/plan.c frees it when no one else
 * reads it: a ReLU before a pooling layer). */
static bool keeps_signs(const deep_layer *layer)
{
    return layer->cfg.activation.activation == DEEP_ACTIVATION_RELU;
}

static deep_status activation_build(deep_layer *layer)
{
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    /* 32 bits a float, so the batch's bits fit in the samples' words rounded up. */
    layer->scratch_size = keeps_signs(layer) ? (layer->in_size + 31) / 32 : 0;
    return DEEP_OK;
}

/* The ReLU over n values and their signs, split among the threads by words of 32. */
typedef struct relu_job {
    const float *in;
    float *out; /* forward: the output; backward: the gradient, in place */
    uint32_t *bits;
    int64_t n;
} relu_job;

static void relu_words(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const relu_job *job = raw;
    for (int64_t w = begin; w < end; w++) {
        uint32_t word = 0;
        int64_t first = w * 32, count = job->n - first < 32 ? job->n - first : 32;
        for (int64_t b = 0; b < count; b++) {
            float v = job->in[first + b];
            job->out[first + b] = v < 0 ? 0.0f : v; /* as the kernel's: NaN passes through */
            word |= (uint32_t)(v > 0) << b;          /* its derivative, as from the output */
        }
        job->bits[w] = word;
    }
}

static void relu_grad_words(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const relu_job *job = raw;
    for (int64_t w = begin; w < end; w++) {
        uint32_t word = job->bits[w];
        int64_t first = w * 32, count = job->n - first < 32 ? job->n - first : 32;
        for (int64_t b = 0; b < count; b++)
            job->out[first + b] = word >> b & 1u ? job->out[first + b] : 0.0f;
    }
}

/* Softmax runs along the last axis, so rows are of that axis' width. */
static int64_t row_width(const deep_layer *layer)
{
    return layer->in_shape[layer->in_rank - 1];
}

static void activation_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                               float *scratch, int64_t batch)
{
    int64_t n = batch * layer->in_size;
    if (keeps_signs(layer)) { /* in place or not */
        relu_job job = {in, out, (uint32_t *)(void *)scratch, n};
        deep_pool_run_work(ex->pool, (n + 31) / 32, (double)n, relu_words, &job);
        return;
    }
    if (out != in) /* in place (DEEP_LAYER_IN_PLACE): a ReLU after a BatchNormalization */
        memcpy(out, in, (size_t)n * sizeof *out);
    int64_t width = row_width(layer);
    deep_activation_forward(layer->cfg.activation.activation, out, n / width, width);
}

static void activation_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    int64_t width = row_width(layer);
    /* The input is the pre-activation that gelu and silu take their derivative from. */
    if (!ex->fused_output && keeps_signs(layer)) {
        int64_t n = batch * layer->in_size;
        relu_job job = {NULL, grad_out, (uint32_t *)(void *)scratch, n};
        deep_pool_run_work(ex->pool, (n + 31) / 32, (double)n, relu_grad_words, &job);
    } else if (!ex->fused_output && deep_activation_needs_input(layer->cfg.activation.activation))
        deep_activation_backward_input(layer->cfg.activation.activation, in, grad_out, batch * layer->in_size);
    else if (!ex->fused_output)
        deep_activation_backward(layer->cfg.activation.activation, out, grad_out, batch * layer->in_size / width, width);
    if (grad_in != NULL && grad_in != grad_out)
        memcpy(grad_in, grad_out, (size_t)(batch * layer->in_size) * sizeof *grad_in);
}

/* gelu and silu take their derivative from the input, relu from its signs, the others
 * from the output. */
static unsigned activation_reads(const deep_layer *layer)
{
    deep_activation activation = layer->cfg.activation.activation;
    if (activation == DEEP_ACTIVATION_LINEAR)
        return 0;
    if (keeps_signs(layer))
        return DEEP_READS_SCRATCH;
    return deep_activation_needs_input(activation) ? DEEP_READS_INPUT : DEEP_READS_OUTPUT;
}

static const deep_layer_field activation_fields[] = {
    DEEP_FIELD(deep_activation_config, activation, DEEP_FIELD_ACTIVATION, .doc = "the function applied"),
};

const deep_layer_ops deep_activation_ops = {
    .type = "activation",
    .class_name = "Activation",
    .config_size = sizeof(deep_activation_config),
    DEEP_FIELDS(activation_fields),
    .build = activation_build,
    .forward = activation_forward,
    .backward = activation_backward,
    .flags = DEEP_LAYER_IN_PLACE | DEEP_LAYER_GRAD_IN_PLACE,
    .backward_reads = activation_reads,
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_activation(deep_model *model, deep_activation activation)
{
    deep_activation_config c = {.activation = activation};
    return deep_layer_append(model, &deep_activation_ops, &c, false, __func__, NULL);
}
