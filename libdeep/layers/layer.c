/* Helpers shared by the layer implementations. */
#include <math.h>
#include <string.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

deep_status deep_layer_declare_param(deep_layer *layer, int32_t index, const char *name, int32_t rank,
                                     const int64_t *shape)
{
    deep_param *p = &layer->params[index];
    int64_t size = 1;
    bool fits = true;
    for (int32_t i = 0; i < rank; i++)
        fits = fits && shape[i] >= 1 && deep_mul_i64(size, shape[i], &size) && size <= DEEP_MAX_LAYER_SIZE;
    if (!fits) {
        char s[160];
        return DEEP_FAIL(DEEP_ERR_OVERFLOW, "weight '%s' of shape %s has more than %lld elements", name,
                         deep_shape_format(s, sizeof s, rank, shape), (long long)DEEP_MAX_LAYER_SIZE);
    }
    p->name = name;
    p->rank = rank;
    p->size = size;
    memcpy(p->shape, shape, (size_t)rank * sizeof *shape);
    p->value = NULL;
    p->grad = NULL;
    p->trainable = true;
    if (layer->param_count < index + 1)
        layer->param_count = index + 1;
    return DEEP_OK;
}

deep_status deep_sample_shape_check(const char *caller, const char *what, int32_t rank, const int64_t *shape,
                                    int64_t *size)
{
    if (rank < 1 || rank > DEEP_MAX_SAMPLE_RANK)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "%s has rank %d; a sample's rank must be 1..%d (DEEP_MAX_SAMPLE_RANK), one less than "
                              "a tensor's, so that a batch of samples is a tensor",
                              what, (int)rank, DEEP_MAX_SAMPLE_RANK);
    int64_t total = 1;
    for (int32_t i = 0; i < rank; i++) {
        if (shape[i] < 1 || shape[i] > DEEP_MAX_LAYER_SIZE)
            return deep_error_set(shape[i] < 1 ? DEEP_ERR_INVALID_ARGUMENT : DEEP_ERR_OVERFLOW, caller,
                                  "dimension %d of %s is %lld; it must be in 1..%lld", (int)i, what,
                                  (long long)shape[i], (long long)DEEP_MAX_LAYER_SIZE);
        if (!deep_mul_i64(total, shape[i], &total) || total > DEEP_MAX_LAYER_SIZE) {
            char s[160];
            return deep_error_set(DEEP_ERR_OVERFLOW, caller,
                                  "%s %s has more than %lld elements per sample (DEEP_MAX_LAYER_SIZE)", what,
                                  deep_shape_format(s, sizeof s, rank, shape), (long long)DEEP_MAX_LAYER_SIZE);
        }
    }
    *size = total;
    return DEEP_OK;
}

void deep_init_glorot_uniform(float *w, int64_t count, int64_t fan_in, int64_t fan_out, struct deep_rng *rng)
{
    float limit = sqrtf(6.0f / (float)(fan_in + fan_out));
    for (int64_t i = 0; i < count; i++)
        w[i] = (2.0f * deep_rng_float(rng) - 1.0f) * limit;
}

/* Element k of vector v of the matrix being orthonormalised. */
#define ORTHO_AT(v, k) w[(v) * vector_stride + (k) * element_stride]

void deep_init_orthogonal(float *w, int64_t rows, int64_t cols, struct deep_rng *rng)
{
    /* Keras draws a (max, min) Gaussian matrix, takes Q of its QR with the signs that make
     * R's diagonal positive (what Gram-Schmidt gives), and transposes Q when rows < cols:
     * the same as orthonormalising, in order, the min(rows, cols) Gaussian vectors of
     * length max(rows, cols) that are the result's rows (rows <= cols) or columns. Each
     * vector is projected out twice ("twice is enough") with sums in double. */
    bool by_rows = rows <= cols;
    int64_t vectors = by_rows ? rows : cols, length = by_rows ? cols : rows;
    int64_t vector_stride = by_rows ? cols : 1, element_stride = by_rows ? 1 : cols;
    for (int64_t i = 0; i < rows * cols; i++)
        w[i] = deep_rng_normal(rng);
    for (int64_t v = 0; v < vectors; v++) {
        for (int attempt = 0;; attempt++) {
            for (int pass = 0; pass < 2; pass++)
                for (int64_t u = 0; u < v; u++) {
                    double dot = 0;
                    for (int64_t k = 0; k < length; k++)
                        dot += (double)ORTHO_AT(u, k) * ORTHO_AT(v, k);
                    for (int64_t k = 0; k < length; k++)
                        ORTHO_AT(v, k) -= (float)(dot * ORTHO_AT(u, k));
                }
            double norm = 0;
            for (int64_t k = 0; k < length; k++)
                norm += (double)ORTHO_AT(v, k) * ORTHO_AT(v, k);
            norm = sqrt(norm);
            /* A Gaussian vector in the span of the previous ones has probability zero;
             * should rounding make it look so, it is drawn again. */
            if (norm > 1e-6 || attempt == 8) {
                for (int64_t k = 0; k < length; k++)
                    ORTHO_AT(v, k) = (float)(ORTHO_AT(v, k) / (norm > 0 ? norm : 1.0));
                break;
            }
            for (int64_t k = 0; k < length; k++)
                ORTHO_AT(v, k) = deep_rng_normal(rng);
        }
    }
}

#undef ORTHO_AT

deep_mask_flow deep_mask_kept(const deep_layer *layer)
{
    (void)layer;
    return DEEP_MASK_KEPT;
}

deep_mask_flow deep_layer_mask_flow(const deep_layer *layer)
{
    return layer->ops->mask_flow != NULL ? layer->ops->mask_flow(layer) : DEEP_MASK_REFUSED;
}

deep_activation deep_layer_output_activation(const deep_layer *layer)
{
    /* The type's output activation field; a recurrent cell's activations are not one. */
    for (int32_t i = 0; i < layer->ops->field_count; i++)
        if (layer->ops->fields[i].kind == DEEP_FIELD_ACTIVATION)
            return *(const deep_activation *)(const void *)(layer->cfg.bytes + layer->ops->fields[i].offset);
    return DEEP_ACTIVATION_LINEAR;
}

deep_status deep_window_axis(const char *field, int axis, int64_t input, int64_t window, int64_t stride,
                             deep_padding padding, int64_t *output, int64_t *pad_before)
{
    const char *axis_name = axis == DEEP_AXIS_STEPS ? "steps" : axis == 0 ? "height" : "width";
    int64_t limit = padding == DEEP_PADDING_VALID ? input : input > INT64_MAX / 2 - 1 ? INT64_MAX : 2 * input + 1;
    if (window > limit) {
        if (padding == DEEP_PADDING_VALID)
            return DEEP_FAIL(DEEP_ERR_SHAPE, "%s %lld exceeds the input %s %lld with 'valid' padding", field,
                             (long long)window, axis_name, (long long)input);
        return DEEP_FAIL(DEEP_ERR_SHAPE,
                         "%s %lld exceeds the input %s %lld (with 'same' padding a window may be at most %lld, the "
                         "input padded by its own size on each side)",
                         field, (long long)window, axis_name, (long long)input, (long long)limit);
    }
    if (padding == DEEP_PADDING_VALID) {
        *output = (input - window) / stride + 1;
        *pad_before = 0;
    } else {
        /* ceil(input / stride) without input + stride - 1, which a huge stride overflows;
         * (output - 1) * stride < input then bounds the padding. */
        *output = (input - 1) / stride + 1;
        int64_t total = (*output - 1) * stride + window - input;
        *pad_before = total > 0 ? total / 2 : 0;
    }
    return DEEP_OK;
}

void deep_layer_copy_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                             float *scratch, int64_t batch)
{
    (void)ex;
    (void)scratch;
    if (out != in) /* in place (DEEP_LAYER_IN_PLACE): nothing to copy */
        memcpy(out, in, (size_t)(batch * layer->in_size) * sizeof *out);
}

void deep_layer_copy_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                              float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)in;
    (void)out;
    (void)scratch;
    if (grad_in != NULL && grad_in != grad_out)
        memcpy(grad_in, grad_out, (size_t)(batch * layer->in_size) * sizeof *grad_in);
}

deep_status deep_layer_same_shape_build(deep_layer *layer)
{
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    return DEEP_OK;
}

deep_status deep_layer_factor_build(deep_layer *layer)
{
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->in_shape);
    layer->scratch_size = layer->in_size;
    return DEEP_OK;
}

void deep_layer_factor_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                float *grad_out, float *grad_in, float *factors, int64_t batch)
{
    (void)in;
    (void)out;
    if (grad_in == NULL)
        return;
    int64_t n = batch * layer->in_size;
    if (!ex->training || layer->cfg.dropout.rate == 0.0f) {
        memcpy(grad_in, grad_out, (size_t)n * sizeof *grad_in);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        grad_in[i] = grad_out[i] * factors[i];
}

unsigned deep_layer_reads_nothing(const deep_layer *layer)
{
    (void)layer;
    return 0;
}

unsigned deep_layer_reads_scratch(const deep_layer *layer)
{
    (void)layer;
    return DEEP_READS_SCRATCH;
}
