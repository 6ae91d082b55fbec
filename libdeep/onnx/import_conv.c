/* Translations of the image operators: Conv (Conv2D, DepthwiseConv2D), MaxPool and
 * AveragePool, GlobalAveragePool, BatchNormalization and Pad. ONNX's images are (N, C, H,
 * W) and libdeep's (H, W, C): kernels are reordered here, once. */
#ifdef DEEP_HAVE_ONNX

#include <stdlib.h>
#include <string.h>

#include "onnx/import.h"

/* The spatial attributes shared by Conv and the pools. */
typedef struct window {
    int64_t kernel[2], strides[2], pads[4]; /* pads: top, left, bottom, right (ONNX's order) */
} window;

static deep_status read_window(onnx_import *im, const Onnx__NodeProto *node, const int64_t *kernel_from_weight,
                               window *w)
{
    bool present = false;
    int64_t got = 0, dil[2] = {1, 1};
    if (kernel_from_weight != NULL) {
        w->kernel[0] = kernel_from_weight[0];
        w->kernel[1] = kernel_from_weight[1];
    }
    int64_t kernel[2];
    DEEP_TRY(onnx_attr_ints(im, node, "kernel_shape", 2, kernel, &got, &present));
    if (present) {
        if (kernel_from_weight != NULL && (kernel[0] != w->kernel[0] || kernel[1] != w->kernel[1]))
            return onnx_fail(im, DEEP_ERR_FORMAT, "kernel_shape differs from the weight's");
        w->kernel[0] = kernel[0];
        w->kernel[1] = kernel[1];
    } else if (kernel_from_weight == NULL) {
        return onnx_fail(im, DEEP_ERR_FORMAT, "kernel_shape is missing");
    }
    w->strides[0] = w->strides[1] = 1;
    DEEP_TRY(onnx_attr_ints(im, node, "strides", 2, w->strides, &got, &present));
    memset(w->pads, 0, sizeof w->pads);
    DEEP_TRY(onnx_attr_ints(im, node, "pads", 4, w->pads, &got, &present));
    DEEP_TRY(onnx_attr_ints(im, node, "dilations", 2, dil, &got, &present));
    if (dil[0] != 1 || dil[1] != 1)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "dilations (%lld, %lld) are not supported", (long long)dil[0],
                         (long long)dil[1]);
    for (int k = 0; k < 2; k++)
        if (w->kernel[k] < 1 || w->kernel[k] > DEEP_ONNX_MAX_ELEMENTS || w->strides[k] < 1 ||
            w->strides[k] > DEEP_ONNX_MAX_ELEMENTS)
            return onnx_fail(im, DEEP_ERR_FORMAT, "a kernel or stride below 1 or too large");
    for (int k = 0; k < 4; k++)
        if (w->pads[k] < 0 || w->pads[k] > DEEP_ONNX_MAX_ELEMENTS)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "pad %lld is not supported", (long long)w->pads[k]);
    char auto_pad[16];
    DEEP_TRY(onnx_attr_string(im, node, "auto_pad", "NOTSET", auto_pad, sizeof auto_pad));
    if (strcmp(auto_pad, "VALID") == 0) {
        memset(w->pads, 0, sizeof w->pads);
    } else if (strcmp(auto_pad, "SAME_UPPER") == 0 || strcmp(auto_pad, "SAME_LOWER") == 0) {
        /* Resolved against the input's size by the caller: marked with pads of -1. */
        w->pads[0] = strcmp(auto_pad, "SAME_UPPER") == 0 ? -1 : -2;
    } else if (strcmp(auto_pad, "NOTSET") != 0) {
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "auto_pad %s is not supported", auto_pad);
    }
    int64_t ceil_mode = 0;
    DEEP_TRY(onnx_attr_int(im, node, "ceil_mode", 0, &ceil_mode));
    if (ceil_mode != 0)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "ceil_mode 1 is not supported");
    return DEEP_OK;
}

/* TensorFlow's 'same' padding of one axis (more at the end), which libdeep's same is. */
static void same_pads(int64_t in, int64_t kernel, int64_t stride, int64_t *begin, int64_t *end)
{
    int64_t out = (in + stride - 1) / stride;
    int64_t total = (out - 1) * stride + kernel - in;
    if (total < 0)
        total = 0;
    *begin = total / 2;
    *end = total - *begin;
}

/* How the window's pads map onto libdeep: DEEP_PADDING_VALID, or DEEP_PADDING_SAME where they
 * are TensorFlow's, else *explicit_pads (ZeroPadding2D first, then valid). */
static deep_status padding_of(onnx_import *im, const onnx_value *x, window *w, deep_padding *padding,
                              bool *explicit_pads)
{
    int64_t t, b, l, r;
    same_pads(x->dims[2], w->kernel[0], w->strides[0], &t, &b);
    same_pads(x->dims[3], w->kernel[1], w->strides[1], &l, &r);
    *explicit_pads = false;
    if (w->pads[0] == -1) {
        *padding = DEEP_PADDING_SAME;
        return DEEP_OK;
    }
    if (w->pads[0] == -2) { /* SAME_LOWER: the extra cell before */
        w->pads[0] = b, w->pads[2] = t, w->pads[1] = r, w->pads[3] = l;
    }
    if (w->pads[0] == 0 && w->pads[1] == 0 && w->pads[2] == 0 && w->pads[3] == 0)
        *padding = DEEP_PADDING_VALID;
    else if (w->pads[0] == t && w->pads[2] == b && w->pads[1] == l && w->pads[3] == r)
        *padding = DEEP_PADDING_SAME;
    else {
        *padding = DEEP_PADDING_VALID;
        *explicit_pads = true;
    }
    (void)im;
    return DEEP_OK;
}

/* ZeroPadding2D on *x: bound to output, or (output NULL) an intermediate value of the node
 * kept in *scratch, to which *x then points. */
static deep_status zero_pad(onnx_import *im, onnx_value **x, int64_t top, int64_t bottom, int64_t left,
                            int64_t right, const char *output, onnx_value *scratch)
{
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){*x}, 1));
    deep_status s = deep_model_add_zero_padding2d(im->model, top, bottom, left, right);
    if (s != DEEP_OK)
        return onnx_wrap(im, s, "adding its ZeroPadding2D");
    if (output != NULL)
        return onnx_added(im, s, output, *x);
    *scratch = **x;
    DEEP_TRY(deep_model_last_node(im->model, &scratch->node));
    scratch->dims[2] += top + bottom;
    scratch->dims[3] += left + right;
    *x = scratch;
    return DEEP_OK;
}

deep_status onnx_conv_inputs(onnx_import *im, const Onnx__NodeProto *node, onnx_value **x,
                             const deep_onnx_array **w, onnx_value **b)
{
    onnx_value *wv = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, x));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &wv));
    DEEP_TRY(onnx_input_const(im, node, 2, true, b));
    if (wv->array.rank != 4)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a weight of rank %d; 2-D convolutions (rank 4) are supported",
                         (int)wv->array.rank);
    *w = &wv->array;
    return onnx_to_nhwc(im, x);
}

deep_status onnx_op_conv(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *bv = NULL;
    const deep_onnx_array *W = NULL;
    DEEP_TRY(onnx_conv_inputs(im, node, &x, &W, &bv));
    int64_t group = 1;
    DEEP_TRY(onnx_attr_int(im, node, "group", 1, &group));
    int64_t channels = x->dims[1], filters = W->dims[0], per_group = W->dims[1], kh = W->dims[2], kw = W->dims[3];
    window w;
    DEEP_TRY(read_window(im, node, W->dims + 2, &w));
    bool depthwise = group == channels && per_group == 1 && group > 1 && filters % group == 0;
    if (!depthwise && group != 1)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "group %lld is not supported (1, or the input's %lld channels "
                         "for a depthwise convolution)", (long long)group, (long long)channels);
    if (!depthwise && per_group != channels)
        return onnx_fail(im, DEEP_ERR_SHAPE, "the weight takes %lld channels but the input has %lld",
                         (long long)per_group, (long long)channels);
    if (bv != NULL && bv->array.count != filters)
        return onnx_fail(im, DEEP_ERR_SHAPE, "a bias of %lld values for %lld filters", (long long)bv->array.count,
                         (long long)filters);
    deep_padding padding;
    bool explicit_pads;
    onnx_value padded;
    DEEP_TRY(padding_of(im, x, &w, &padding, &explicit_pads));
    if (explicit_pads) /* zeros are what a convolution's padding adds: the same result */
        DEEP_TRY(zero_pad(im, &x, w.pads[0], w.pads[2], w.pads[1], w.pads[3], NULL, &padded));
    /* libdeep's kernels: Conv2D (kh, kw, C, M) from ONNX's (M, C, kh, kw); DepthwiseConv2D
     * (kh, kw, C, multiplier) from (C * multiplier, 1, kh, kw): output channel c * mult + j,
     * the same numbering in both. */
    int64_t mult = depthwise ? filters / channels : filters;
    float *kernel = deep_alloc(W->count, sizeof *kernel);
    if (kernel == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory for the kernel");
    for (int64_t y = 0; y < kh; y++)
        for (int64_t xx = 0; xx < kw; xx++)
            for (int64_t c = 0; c < channels; c++)
                for (int64_t m = 0; m < mult; m++) {
                    int64_t to = ((y * kw + xx) * channels + c) * mult + m;
                    int64_t from = depthwise ? ((c * mult + m) * kh + y) * kw + xx
                                             : ((m * channels + c) * kh + y) * kw + xx;
                    kernel[to] = (float)deep_onnx_array_float(W, from);
                }
    deep_activation act;
    const char *output;
    onnx_fuse_activation(im, node, 0, &act, &output);
    deep_status s = onnx_connect(im, (const onnx_value *const[]){x}, 1);
    if (s == DEEP_OK)
        s = onnx_added(im,
                       depthwise ? deep_model_add_depthwise_conv2d(im->model, kh, kw, w.strides[0], w.strides[1],
                                                                   padding, mult, act, bv != NULL)
                                 : deep_model_add_conv2d(im->model, filters, kh, kw, w.strides[0], w.strides[1],
                                                         padding, act, bv != NULL),
                       output, x);
    if (s == DEEP_OK)
        s = onnx_set_weight(im, 0, 4, (int64_t[]){kh, kw, channels, mult}, kernel);
    free(kernel);
    if (s == DEEP_OK && bv != NULL) {
        float *bias = onnx_floats(im, &bv->array);
        s = bias != NULL ? onnx_set_weight(im, 1, 1, &filters, bias) : DEEP_ERR_NO_MEMORY;
        free(bias);
    }
    return s;
}

deep_status onnx_op_pool(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    DEEP_TRY(onnx_to_nhwc(im, &x));
    if (node->n_output > 1 && node->output[1][0] != '\0')
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "MaxPool's indices output is not supported");
    bool max = strcmp(node->op_type, "MaxPool") == 0;
    window w;
    DEEP_TRY(read_window(im, node, NULL, &w));
    int64_t include_pad = 0, order = 0;
    DEEP_TRY(onnx_attr_int(im, node, "count_include_pad", 0, &include_pad));
    DEEP_TRY(onnx_attr_int(im, node, "storage_order", 0, &order));
    deep_padding padding;
    bool explicit_pads;
    onnx_value padded;
    DEEP_TRY(padding_of(im, x, &w, &padding, &explicit_pads));
    /* libdeep's same padding leaves the padded cells out of a window: ONNX's MaxPool always
     * does, AveragePool only with count_include_pad 0. */
    if (!max && include_pad && padding == DEEP_PADDING_SAME) {
        if (w.pads[0] < 0)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "auto_pad with count_include_pad 1 is not supported");
        padding = DEEP_PADDING_VALID;
        explicit_pads = true;
    }
    if (explicit_pads) {
        if (max || !include_pad)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "pads (%lld, %lld, %lld, %lld) are not supported: libdeep "
                             "pads as TensorFlow's 'same' (more after than before)", (long long)w.pads[0],
                             (long long)w.pads[1], (long long)w.pads[2], (long long)w.pads[3]);
        DEEP_TRY(zero_pad(im, &x, w.pads[0], w.pads[2], w.pads[1], w.pads[3], NULL, &padded));
    }
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    deep_status s = max ? deep_model_add_max_pooling2d(im->model, w.kernel[0], w.kernel[1], w.strides[0],
                                                       w.strides[1], padding)
                        : deep_model_add_average_pooling2d(im->model, w.kernel[0], w.kernel[1], w.strides[0],
                                                           w.strides[1], padding);
    return onnx_added(im, s, node->output[0], x);
}

deep_status onnx_op_global_average_pool(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    DEEP_TRY(onnx_to_nhwc(im, &x));
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    onnx_value like = *x;
    like.layout = ONNX_SQUEEZED;
    return onnx_added(im, deep_model_add_global_average_pooling2d(im->model), node->output[0], &like);
}

deep_status onnx_op_batch_norm(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *p[4] = {NULL};
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    for (size_t k = 0; k < 4; k++)
        DEEP_TRY(onnx_input_const(im, node, k + 1, false, &p[k]));
    int64_t training = 0;
    DEEP_TRY(onnx_attr_int(im, node, "training_mode", 0, &training));
    if (training != 0 || (node->n_output > 1 && node->output[1][0] != '\0'))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "the training form is not supported (export in eval mode)");
    double epsilon = 1e-5, momentum = 0.9;
    DEEP_TRY(onnx_attr_float(im, node, "epsilon", 1e-5, &epsilon));
    DEEP_TRY(onnx_attr_float(im, node, "momentum", 0.9, &momentum));
    /* The channels must be libdeep's last axis. */
    if (x->layout == ONNX_FLAT_HWC || (x->layout == ONNX_PLAIN && x->rank != 2))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "BatchNormalization of a rank %d value whose channels are not "
                         "last in libdeep", (int)x->rank);
    int64_t channels = x->dims[1];
    for (int k = 0; k < 4; k++)
        if (p[k]->array.count != channels)
            return onnx_fail(im, DEEP_ERR_SHAPE, "input %d has %lld values for %lld channels", k + 1,
                             (long long)p[k]->array.count, (long long)channels);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    DEEP_TRY(onnx_added(im, deep_model_add_batch_normalization(im->model, momentum, epsilon), node->output[0], x));
    float *values = deep_alloc(channels, sizeof *values);
    if (values == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory");
    deep_status s = DEEP_OK;
    /* ONNX's scale, B, mean, var are Keras' gamma, beta, moving_mean, moving_variance. */
    for (int32_t k = 0; k < 4 && s == DEEP_OK; k++) {
        for (int64_t c = 0; c < channels; c++)
            values[c] = (float)deep_onnx_array_float(&p[k]->array, c);
        s = onnx_set_weight(im, k, 1, &channels, values);
    }
    free(values);
    return s;
}

deep_status onnx_op_pad(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *pads = NULL, *value = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &pads));
    DEEP_TRY(onnx_input_const(im, node, 2, true, &value));
    char mode[16];
    DEEP_TRY(onnx_attr_string(im, node, "mode", "constant", mode, sizeof mode));
    if (strcmp(mode, "constant") != 0)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "mode %s is not supported (constant is)", mode);
    if (value != NULL && (value->array.count != 1 || deep_onnx_array_float(&value->array, 0) != 0))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "padding with a value other than 0 is not supported");
    if (x->rank != 4 || pads->array.count != 8)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Pad of images (rank 4) is supported");
    int64_t p[8];
    for (int k = 0; k < 8; k++)
        p[k] = deep_onnx_array_int(&pads->array, k);
    if (p[0] || p[1] || p[4] || p[5])
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "padding the batch or channel axis is not supported");
    DEEP_TRY(onnx_to_nhwc(im, &x));
    /* ONNX's pads: the begins of (N, C, H, W), then their ends. */
    return zero_pad(im, &x, p[2], p[6], p[3], p[7], node->output[0], NULL);
}

/* Slice (opset 10 on: starts, ends, axes and steps as constant inputs) of an image's height
 * and width, step 1: Cropping2D. What libdeep's own export writes after a ConvTranspose with
 * same padding and for Cropping2D. */
deep_status onnx_op_slice(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *starts = NULL, *ends = NULL, *axes = NULL, *steps = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &starts));
    DEEP_TRY(onnx_input_const(im, node, 2, false, &ends));
    DEEP_TRY(onnx_input_const(im, node, 3, true, &axes));
    DEEP_TRY(onnx_input_const(im, node, 4, true, &steps));
    int64_t count = starts->array.count;
    if (x->rank != 4 || x->layout != ONNX_NHWC || count != ends->array.count || count > 4 ||
        (axes != NULL && axes->array.count != count) || (steps != NULL && steps->array.count != count))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Slice of a channels-first image's height and width is supported");
    int64_t begin[4] = {0, 0, 0, 0}, end[4] = {x->dims[0], x->dims[1], x->dims[2], x->dims[3]};
    for (int64_t k = 0; k < count; k++) {
        int64_t axis = axes != NULL ? deep_onnx_array_int(&axes->array, k) : k;
        axis += axis < 0 ? 4 : 0;
        if (axis != 2 && axis != 3)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Slice along axis %lld (height 2 and width 3 are supported)",
                             (long long)axis);
        if (steps != NULL && deep_onnx_array_int(&steps->array, k) != 1)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Slice with a step other than 1 is not supported");
        /* ONNX's rules: negative positions count from the end, then clamp to [0, size]. */
        int64_t size = x->dims[axis], from = deep_onnx_array_int(&starts->array, k),
                to = deep_onnx_array_int(&ends->array, k);
        from += from < 0 ? size : 0;
        to += to < 0 ? size : 0;
        begin[axis] = from < 0 ? 0 : from > size ? size : from;
        end[axis] = to < 0 ? 0 : to > size ? size : to;
        if (end[axis] <= begin[axis])
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Slice leaves axis %lld empty", (long long)axis);
    }
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_cropping2d(im->model, begin[2], x->dims[2] - end[2], begin[3],
                                                    x->dims[3] - end[3]),
                      node->output[0], x);
}

#endif
