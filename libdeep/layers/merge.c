/* The element-wise merge layers' shared build, forward and backward (merge.h). */
#include <stdio.h>

#include "layers/merge.h"
#include "tensor/tensor.h"

deep_status deep_merge_build(deep_layer *layer)
{
    for (int32_t k = 1; k < layer->input_count; k++)
        if (layer->in_ranks[k] != layer->in_rank ||
            memcmp(layer->in_shapes[k], layer->in_shape, (size_t)layer->in_rank * sizeof *layer->in_shape) != 0) {
            char a[128], b[128];
            return DEEP_FAIL(DEEP_ERR_SHAPE,
                                  "%s needs inputs of one shape, but input 0 is %s and input %d is %s",
                                  layer->ops->class_name, deep_shape_format(a, sizeof a, layer->in_rank, layer->in_shape),
                                  (int)k, deep_shape_format(b, sizeof b, layer->in_ranks[k], layer->in_shapes[k]));
        }
    if (layer->ops == &deep_subtract_ops && layer->input_count != 2)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "Subtract takes exactly 2 inputs, not %d",
                              (int)layer->input_count);
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->out_shape);
    return DEEP_OK;
}

void deep_merge_forward(const deep_layer *layer, const float *const *in, float *out, int64_t batch,
                        deep_merge_op op)
{
    int64_t n = batch * layer->in_size;
    int32_t count = layer->input_count;
    for (int64_t i = 0; i < n; i++) {
        float v = in[0][i];
        for (int32_t k = 1; k < count; k++) {
            float x = in[k][i];
            switch (op) {
            case DEEP_MERGE_OP_ADD:
            case DEEP_MERGE_OP_AVERAGE: v += x; break;
            case DEEP_MERGE_OP_SUBTRACT: v -= x; break;
            case DEEP_MERGE_OP_MULTIPLY: v *= x; break;
            case DEEP_MERGE_OP_MAXIMUM: v = x > v ? x : v; break;
            case DEEP_MERGE_OP_MINIMUM: v = x < v ? x : v; break;
            }
        }
        out[i] = op == DEEP_MERGE_OP_AVERAGE ? v / (float)count : v;
    }
}

/* Maximum and minimum send the gradient to the first input holding the extreme value, as
 * Keras' pairwise reduction does on ties. */
static int32_t winner(const float *const *in, int32_t count, int64_t i, bool max)
{
    int32_t best = 0;
    for (int32_t k = 1; k < count; k++)
        if (max ? in[k][i] > in[best][i] : in[k][i] < in[best][i])
            best = k;
    return best;
}

void deep_merge_backward(const deep_layer *layer, const float *const *in, const float *out,
                         const float *grad_out, float *const *grad_in, int64_t batch, deep_merge_op op)
{
    (void)out;
    int64_t n = batch * layer->in_size;
    int32_t count = layer->input_count;
    for (int32_t k = 0; k < count; k++) {
        float *g = grad_in[k];
        if (g == NULL)
            continue;
        for (int64_t i = 0; i < n; i++) {
            float d = grad_out[i];
            switch (op) {
            case DEEP_MERGE_OP_ADD: break;
            case DEEP_MERGE_OP_SUBTRACT: d = k == 0 ? d : -d; break;
            case DEEP_MERGE_OP_AVERAGE: d /= (float)count; break;
            case DEEP_MERGE_OP_MULTIPLY:
                for (int32_t j = 0; j < count; j++)
                    d = j == k ? d : d * in[j][i];
                break;
            case DEEP_MERGE_OP_MAXIMUM:
            case DEEP_MERGE_OP_MINIMUM:
                d = winner(in, count, i, op == DEEP_MERGE_OP_MAXIMUM) == k ? d : 0.0f;
                break;
            }
            g[i] = d;
        }
    }
}
