/* Dense: out = activation(in . kernel + bias), kernel of shape (inputs, units) as Keras
 * stores it, Glorot-uniform initial kernel and zero bias. As Keras', it acts on the last
 * axis: an input (steps, features) is `steps` rows of `features`, each mapped to `units`
 * (what TimeDistributed(Dense) does), so a batch is one GEMM over batch * steps rows and
 * a softmax normalises each row. */
#include <math.h>
#include <limits.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layer.h"
#include "tensor/tensor.h"

/* The inputs of one row (the last axis) and the rows of one sample. */
static int64_t row_inputs(const deep_layer *layer)
{
    return layer->in_shape[layer->in_rank - 1];
}

static int64_t sample_rows(const deep_layer *layer)
{
    return layer->in_size / row_inputs(layer);
}

static deep_status dense_build(deep_layer *layer)
{
    int64_t inputs = row_inputs(layer);
    if (inputs > INT_MAX || layer->cfg.dense.units > INT_MAX || sample_rows(layer) > INT_MAX)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW, "Dense of %lld inputs and %lld units over %lld rows is too large for CBLAS",
                         (long long)inputs, (long long)layer->cfg.dense.units, (long long)sample_rows(layer));
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->out_shape);
    layer->out_shape[layer->out_rank - 1] = layer->cfg.dense.units;
    /* gelu and silu need their inputs for the gradient: one sample's outputs of scratch. */
    layer->scratch_size = deep_activation_needs_input(layer->cfg.dense.activation) ? sample_rows(layer) * layer->cfg.dense.units : 0;
    int64_t kernel[2] = {inputs, layer->cfg.dense.units};
    DEEP_TRY(deep_layer_declare_param(layer, 0, "kernel", 2, kernel));
    if (layer->cfg.dense.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, 1, "bias", 1, &layer->cfg.dense.units));
    return DEEP_OK;
}

static void dense_init(deep_layer *layer, struct deep_rng *rng)
{
    deep_param *kernel = &layer->params[0];
    float limit = sqrtf(6.0f / (float)(row_inputs(layer) + layer->cfg.dense.units));
    for (int64_t i = 0; i < kernel->size; i++)
        kernel->value[i] = (2.0f * deep_rng_float(rng) - 1.0f) * limit;
    if (layer->cfg.dense.use_bias)
        for (int64_t i = 0; i < layer->cfg.dense.units; i++)
            layer->params[1].value[i] = 0.0f;
}

struct rows_ctx {
    const deep_layer *layer;
    float *out;
    float *grad;
    float *pre; /* the pre-activations, kept for gelu and silu (deep_activation_needs_input) */
};

static void bias_activation_rows(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    struct rows_ctx *c = raw;
    const deep_layer *layer = c->layer;
    int64_t units = layer->cfg.dense.units;
    float *out = c->out + begin * units;
    if (layer->cfg.dense.use_bias) {
        const float *bias = layer->params[1].value;
        for (int64_t r = 0; r < end - begin; r++)
            for (int64_t j = 0; j < units; j++)
                out[r * units + j] += bias[j];
    }
    if (c->pre != NULL)
        memcpy(c->pre + begin * units, out, (size_t)((end - begin) * units) * sizeof *out);
    deep_activation_forward(layer->cfg.dense.activation, out, end - begin, units);
}

static void dense_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                          float *scratch, int64_t batch)
{
    int64_t rows = batch * sample_rows(layer);
    deep_gemm(ex->pool, false, false, rows, layer->cfg.dense.units, row_inputs(layer), 1.0f, in, layer->params[0].value, 0.0f,
              out);
    struct rows_ctx c = {layer, out, NULL, layer->scratch_size > 0 ? scratch : NULL};
    deep_pool_run_work(ex->pool, rows, (double)rows * (double)layer->cfg.dense.units, bias_activation_rows, &c);
}

static void activation_grad_rows(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    struct rows_ctx *c = raw;
    int64_t units = c->layer->cfg.dense.units;
    if (c->pre != NULL)
        deep_activation_backward_input(c->layer->cfg.dense.activation, c->pre + begin * units, c->grad + begin * units,
                                       (end - begin) * units);
    else
        deep_activation_backward(c->layer->cfg.dense.activation, c->out + begin * units, c->grad + begin * units,
                                 end - begin, units);
}

static void dense_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                           float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    int64_t units = layer->cfg.dense.units, inputs = row_inputs(layer), rows = batch * sample_rows(layer);
    if (!ex->fused_output) {
        struct rows_ctx c = {layer, (float *)out, grad_out, layer->scratch_size > 0 ? scratch : NULL};
        deep_pool_run_work(ex->pool, rows, (double)rows * (double)units, activation_grad_rows, &c);
    }
    /* dKernel = in^T . dZ ; dBias = column sums of dZ ; dIn = dZ . kernel^T, over every row */
    deep_gemm(ex->pool, true, false, inputs, units, rows, 1.0f, in, grad_out, 0.0f, layer->params[0].grad);
    if (layer->cfg.dense.use_bias) {
        float *bias_grad = layer->params[1].grad;
        for (int64_t j = 0; j < units; j++)
            bias_grad[j] = 0.0f;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < units; j++)
                bias_grad[j] += grad_out[r * units + j];
    }
    if (grad_in != NULL)
        deep_gemm(ex->pool, false, true, rows, inputs, units, 1.0f, grad_out, layer->params[0].value, 0.0f, grad_in);
}

/* The input for the kernel's gradient; the output for an activation's derivative, unless
 * it is linear or takes the pre-activation kept in scratch (gelu, silu). */
static unsigned dense_reads(const deep_layer *layer)
{
    deep_activation activation = layer->cfg.dense.activation;
    bool output = activation != DEEP_ACTIVATION_LINEAR && !deep_activation_needs_input(activation);
    bool scratch = deep_activation_needs_input(activation);
    return DEEP_READS_INPUT | (output ? DEEP_READS_OUTPUT : 0u) | (scratch ? DEEP_READS_SCRATCH : 0u);
}

static const deep_layer_field dense_fields[] = {
    DEEP_FIELD(deep_dense_config, units, DEEP_FIELD_SIZE, .min = 1, .doc = "outputs per row"),
    DEEP_FIELD(deep_dense_config, activation, DEEP_FIELD_ACTIVATION, .doc = "applied to the output"),
    DEEP_FIELD(deep_dense_config, use_bias, DEEP_FIELD_BOOL, .doc = "adds a bias vector"),
};

const deep_layer_ops deep_dense_ops = {
    .type = "dense",
    .class_name = "Dense",
    .config_size = sizeof(deep_dense_config),
    DEEP_FIELDS(dense_fields),
    .build = dense_build,
    .init = dense_init,
    .forward = dense_forward,
    .backward = dense_backward,
    .backward_reads = dense_reads,
    /* Per step on a masked sequence, as Keras' Dense: the loss then skips the padded steps. */
    .mask_flow = deep_mask_kept,
};

deep_status deep_model_add_dense(deep_model *model, int64_t units, deep_activation activation, int32_t use_bias)
{
    deep_dense_config c = {.units = units, .activation = activation, .use_bias = use_bias != 0};
    return deep_layer_append(model, &deep_dense_ops, &c, false, __func__, NULL);
}
