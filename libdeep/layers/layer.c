/* Helpers shared by the layer implementations. */
#include <math.h>
#include <string.h>

#include "layers/layer.h"

void deep_layer_declare_param(deep_layer *layer, int32_t index, const char *name, int32_t rank,
                              const int64_t *shape)
{
    deep_param *p = &layer->params[index];
    p->name = name;
    p->rank = rank;
    p->size = 1;
    for (int32_t i = 0; i < rank; i++) {
        p->shape[i] = shape[i];
        p->size *= shape[i];
    }
    p->value = NULL;
    p->grad = NULL;
    p->trainable = true;
    if (layer->param_count < index + 1)
        layer->param_count = index + 1;
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

bool deep_layer_is_recurrent(const deep_layer *layer)
{
    return layer->ops == &deep_lstm_ops || layer->ops == &deep_gru_ops || layer->ops == &deep_simple_rnn_ops ||
           layer->ops == &deep_bidirectional_ops;
}

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
    return deep_layer_is_recurrent(layer) ? DEEP_ACTIVATION_LINEAR : layer->activation;
}

deep_status deep_window_axis(int64_t input, int64_t window, int64_t stride, deep_padding padding, int64_t *output,
                             int64_t *pad_before)
{
    if (padding == DEEP_PADDING_VALID) {
        if (window > input)
            return DEEP_FAIL(DEEP_ERR_SHAPE, "a window of %lld is larger than the input of %lld with 'valid' padding",
                             (long long)window, (long long)input);
        *output = (input - window) / stride + 1;
        *pad_before = 0;
    } else {
        *output = (input + stride - 1) / stride;
        int64_t total = (*output - 1) * stride + window - input;
        *pad_before = total > 0 ? total / 2 : 0;
    }
    return DEEP_OK;
}
