/* Concatenate, Keras' merge layer: joins its inputs along one axis; on every other axis
 * they must agree. axis counts as Keras': 1 is the first axis of a sample (0 would be the
 * batch), negative from the end (the default -1, the channels or features). */
#include <stdio.h>

#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct concatenate_config {
    int64_t axis;
} concatenate_config;
DEEP_LAYER_CONFIG_FITS(concatenate_config);

static const concatenate_config concatenate_defaults = {.axis = -1};

static const deep_layer_field concatenate_fields[] = {
    DEEP_FIELD(concatenate_config, axis, DEEP_FIELD_SIZE, .min = -DEEP_MAX_SAMPLE_RANK,
               .note = "negative counts from the end; the build refuses 0, the batch axis, and axes beyond the input",
               .doc = "the axis to join along, as Keras (-1: the last)"),
};

/* The axis of a sample (0-based, without the batch axis) that `axis` names. */
static int32_t sample_axis(const deep_layer *layer)
{
    concatenate_config cfg;
    DEEP_LAYER_CONFIG_READ(layer, cfg);
    return (int32_t)(cfg.axis < 0 ? cfg.axis + layer->in_rank : cfg.axis - 1);
}

static deep_status concatenate_build(deep_layer *layer)
{
    concatenate_config cfg;
    DEEP_LAYER_CONFIG_READ(layer, cfg);
    int32_t axis = sample_axis(layer);
    if (cfg.axis == 0 || axis < 0 || axis >= layer->in_rank)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "axis %lld is not an axis of the samples, of rank %d (use 1..%d or -%d..-1)",
                         (long long)cfg.axis, (int)layer->in_rank, (int)layer->in_rank, (int)layer->in_rank);
    layer->out_rank = layer->in_rank;
    memcpy(layer->out_shape, layer->in_shape, sizeof layer->out_shape);
    for (int32_t k = 1; k < layer->input_count; k++) {
        bool fits = layer->in_ranks[k] == layer->in_rank;
        for (int32_t d = 0; fits && d < layer->in_rank; d++)
            fits = d == axis || layer->in_shapes[k][d] == layer->in_shape[d];
        if (!fits) {
            char a[128], b[128];
            return DEEP_FAIL(DEEP_ERR_SHAPE,
                             "Concatenate on axis %lld needs inputs that agree on every other axis, but input 0 is %s "
                             "and input %d is %s",
                             (long long)cfg.axis, deep_shape_format(a, sizeof a, layer->in_rank, layer->in_shape),
                             (int)k, deep_shape_format(b, sizeof b, layer->in_ranks[k], layer->in_shapes[k]));
        }
        layer->out_shape[axis] += layer->in_shapes[k][axis];
    }
    return DEEP_OK;
}

/* Keras 3's compute_mask: an input without a mask counts as all steps kept, so the output
 * has a mask when any input has one. */
static deep_mask_flow concatenate_mask_flow(const deep_layer *layer)
{
    (void)layer;
    return DEEP_MASK_MERGED;
}

static deep_status concatenate_mask_merged(const deep_layer *layer, const bool *masked, bool *has_mask)
{
    *has_mask = false;
    for (int32_t k = 0; k < layer->input_count; k++)
        *has_mask |= masked[k];
    return DEEP_OK;
}

/* Joined along the steps (axis 1), the masks are joined too; along another axis a step is
 * kept where any input keeps it. */
static void concatenate_masks(const deep_layer *layer, const uint8_t *const *masks, uint8_t *mask, int64_t batch)
{
    int64_t steps = layer->out_shape[0];
    for (int64_t b = 0; b < batch; b++) {
        uint8_t *row = mask + b * steps;
        if (sample_axis(layer) == 0) {
            for (int32_t k = 0; k < layer->input_count; k++) {
                int64_t own = layer->in_shapes[k][0];
                if (masks[k] != NULL)
                    memcpy(row, masks[k] + b * own, (size_t)own);
                else
                    memset(row, 1, (size_t)own);
                row += own;
            }
            continue;
        }
        for (int64_t t = 0; t < steps; t++) {
            uint8_t any = 0;
            for (int32_t k = 0; k < layer->input_count; k++)
                any |= masks[k] == NULL || masks[k][b * steps + t] != 0;
            row[t] = any;
        }
    }
}

/* A sample is `outer` blocks (the axes before `axis`), each input contributing a run of
 * in_size / outer values to every block. */
static int64_t outer_blocks(const deep_layer *layer)
{
    int64_t outer = 1;
    for (int32_t d = 0; d < sample_axis(layer); d++)
        outer *= layer->in_shape[d];
    return outer;
}

static void concatenate_forward(const deep_layer *layer, const deep_exec *ex, const float *const *in, float *out,
                                float *scratch, int64_t batch)
{
    (void)ex;
    (void)scratch;
    int64_t blocks = batch * outer_blocks(layer), outer = outer_blocks(layer);
    for (int64_t b = 0; b < blocks; b++)
        for (int32_t k = 0; k < layer->input_count; k++) {
            int64_t run = layer->in_sizes[k] / outer;
            memcpy(out, in[k] + b * run, (size_t)run * sizeof *out);
            out += run;
        }
}

static void concatenate_backward(deep_layer *layer, const deep_exec *ex, const float *const *in, const float *out,
                                 float *grad_out, float *const *grad_in, float *scratch, int64_t batch)
{
    (void)ex;
    (void)in;
    (void)out;
    (void)scratch;
    int64_t blocks = batch * outer_blocks(layer), outer = outer_blocks(layer);
    const float *g = grad_out;
    for (int64_t b = 0; b < blocks; b++)
        for (int32_t k = 0; k < layer->input_count; k++) {
            int64_t run = layer->in_sizes[k] / outer;
            if (grad_in[k] != NULL)
                memcpy(grad_in[k] + b * run, g, (size_t)run * sizeof *g);
            g += run;
        }
}

const deep_layer_ops deep_concatenate_ops = {
    .type = "concatenate",
    .class_name = "Concatenate",
    .config_size = sizeof(concatenate_config),
    .defaults = &concatenate_defaults,
    DEEP_FIELDS(concatenate_fields),
    .flags = DEEP_LAYER_MERGE,
    .build = concatenate_build,
    .mask_flow = concatenate_mask_flow,
    .mask_merged = concatenate_mask_merged,
    .merge_masks = concatenate_masks,
    .forward_merge = concatenate_forward,
    .backward_merge = concatenate_backward,
};

deep_status deep_model_add_concatenate(deep_model *model, int64_t axis)
{
    concatenate_config cfg = {.axis = axis};
    return deep_layer_append(model, &deep_concatenate_ops, &cfg, false, __func__, NULL);
}
