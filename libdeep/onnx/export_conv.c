/* The ONNX nodes of the convolutional family: Conv2D, Conv1D, DepthwiseConv2D,
 * SeparableConv2D, Conv2DTranspose, the pools, the global pools and BatchNormalization. All
 * read their input channels first (ONNX's NCHW; ox_value converts once where the layout
 * changes). Kernels are written in ONNX's layout (out channels, in channels, spatial...)
 * at export, so no Transpose acts on weights at run time. */
#ifdef DEEP_HAVE_ONNX

#include <string.h>

#include "onnx/export.h"

static void window_pads(const int64_t *in, const int64_t *out, const int64_t *window, const int64_t *stride,
                        const int64_t *dilation, deep_padding padding, int axes, int64_t *pads)
{
    for (int a = 0; a < axes; a++) {
        int64_t span = dilation[a] * (window[a] - 1) + 1, o, before = 0;
        if (padding == DEEP_PADDING_CAUSAL)
            before = span - 1;
        else if (deep_window_axis("window", a, in[a], span, stride[a], padding, &o, &before) != DEEP_OK)
            before = 0;
        int64_t after = (out[a] - 1) * stride[a] + span - in[a] - before;
        pads[a] = before;
        pads[axes + a] = padding == DEEP_PADDING_VALID || after < 0 ? 0 : after;
    }
    deep_clear_error();
}

static void set_conv_attrs(onnx_ex *ex, Onnx__NodeProto *n, int axes, const int64_t *window, const int64_t *stride,
                           const int64_t *dilation, const int64_t *pads, int64_t group)
{
    ox_attr_ints(ex, n, "kernel_shape", (size_t)axes, window);
    ox_attr_ints(ex, n, "strides", (size_t)axes, stride);
    if (dilation != NULL)
        ox_attr_ints(ex, n, "dilations", (size_t)axes, dilation);
    ox_attr_ints(ex, n, "pads", (size_t)(2 * axes), pads);
    if (group > 1)
        ox_attr_int(ex, n, "group", group);
}

static const char *pad_evenly(onnx_ex *ex, const char *x, int axes, int64_t *pads)
{
    bool even = true;
    for (int a = 0; a < axes; a++)
        even = even && pads[a] == pads[axes + a];
    if (even)
        return x;
    int64_t p[8] = {0}; /* (N, C, spatial...) begins, then ends */
    for (int a = 0; a < axes; a++) {
        p[2 + a] = pads[a];
        p[2 + axes + 2 + a] = pads[axes + a];
        pads[a] = pads[axes + a] = 0;
    }
    return ox_y(ox_op(ex, "Pad", 2, x, ox_ints(ex, (size_t)(2 * (axes + 2)), p)));
}

static void emit_conv2d(onnx_ex *ex, int32_t node, const deep_layer *l, int kind)
{
    const char *x = ox_value(ex, ox_input(ex, node, 0), OX_FIRST);
    int64_t window[2] = {ox_field_int(l, "kernel_size", 0), ox_field_int(l, "kernel_size", 1)};
    int64_t stride[2] = {ox_field_int(l, "strides", 0), ox_field_int(l, "strides", 1)};
    int64_t pads[4], c = l->in_shape[2];
    deep_padding padding = (deep_padding)ox_field_int(l, "padding", 0);
    window_pads(l->in_shape, l->out_shape, window, stride, (const int64_t[]){1, 1}, padding, 2, pads);
    x = pad_evenly(ex, x, 2, pads);
    const char *y;
    if (kind == 0) {
        const char *w = ox_weight_permuted(ex, l, 0, "_oihw", (const int32_t[]){3, 2, 0, 1}, 0, NULL);
        Onnx__NodeProto *n = l->param_count > 1 ? ox_op(ex, "Conv", 3, x, w, ox_weight(ex, l, 1))
                                                : ox_op(ex, "Conv", 2, x, w);
        set_conv_attrs(ex, n, 2, window, stride, NULL, pads, 1);
        y = ox_y(n);
    } else {
        /* Depthwise: output channel c * m + j from input channel c; ONNX groups of one
         * channel give output o from group o / m: the kernel (kh, kw, c, m) read as
         * (c, m, kh, kw) and reshaped to (c * m, 1, kh, kw). */
        int64_t m = ox_field_int(l, "depth_multiplier", 0);
        const char *w = ox_weight_permuted(ex, l, 0, "_oihw", (const int32_t[]){2, 3, 0, 1}, 4,
                                        (const int64_t[]){c * m, 1, window[0], window[1]});
        Onnx__NodeProto *n = kind == 1 && l->param_count > 1 ? ox_op(ex, "Conv", 3, x, w, ox_weight(ex, l, 1))
                                                             : ox_op(ex, "Conv", 2, x, w);
        set_conv_attrs(ex, n, 2, window, stride, NULL, pads, c);
        y = ox_y(n);
        if (kind == 2) {
            /* Pointwise (1, 1, c * m, f) becomes (f, c * m, 1, 1). */
            const char *pw = ox_weight_permuted(ex, l, 1, "_oihw", (const int32_t[]){3, 2, 0, 1}, 0, NULL);
            Onnx__NodeProto *p = l->param_count > 2 ? ox_op(ex, "Conv", 3, y, pw, ox_weight(ex, l, 2))
                                                    : ox_op(ex, "Conv", 2, y, pw);
            set_conv_attrs(ex, p, 2, (const int64_t[]){1, 1}, (const int64_t[]){1, 1}, NULL,
                           (const int64_t[]){0, 0, 0, 0}, 1);
            y = ox_y(p);
        }
    }
    deep_activation act = (deep_activation)ox_field_int(l, "activation", 0);
    ox_set_value(ex, node, OX_FIRST, ox_activation(ex, y, act, 1, l->name));
}

static void emit_conv1d(onnx_ex *ex, int32_t node, const deep_layer *l)
{
    const char *x = ox_value(ex, ox_input(ex, node, 0), OX_FIRST);
    int64_t window = ox_field_int(l, "kernel_size", 0), stride = ox_field_int(l, "strides", 0);
    int64_t dilation = ox_field_int(l, "dilation_rate", 0), pads[2];
    window_pads(l->in_shape, l->out_shape, &window, &stride, &dilation, (deep_padding)ox_field_int(l, "padding", 0),
                1, pads);
    /* (k, c, f) becomes (f, c, k). */
    x = pad_evenly(ex, x, 1, pads);
    const char *w = ox_weight_permuted(ex, l, 0, "_oik", (const int32_t[]){2, 1, 0}, 0, NULL);
    Onnx__NodeProto *n = l->param_count > 1 ? ox_op(ex, "Conv", 3, x, w, ox_weight(ex, l, 1))
                                            : ox_op(ex, "Conv", 2, x, w);
    set_conv_attrs(ex, n, 1, &window, &stride, &dilation, pads, 1);
    deep_activation act = (deep_activation)ox_field_int(l, "activation", 0);
    ox_set_value(ex, node, OX_FIRST, ox_activation(ex, ox_y(n), act, 1, l->name));
}

static void emit_conv2d_transpose(onnx_ex *ex, int32_t node, const deep_layer *l)
{
    const char *x = ox_value(ex, ox_input(ex, node, 0), OX_FIRST);
    int64_t window[2] = {ox_field_int(l, "kernel_size", 0), ox_field_int(l, "kernel_size", 1)};
    int64_t stride[2] = {ox_field_int(l, "strides", 0), ox_field_int(l, "strides", 1)};
    int64_t pads[4], extra[2];
    for (int a = 0; a < 2; a++) {
        /* libdeep crops the full (in - 1) * stride + kernel result half before (rounded
         * down), half after; a longer output gets zeros (then the bias) after it, which is
         * ONNX's output_padding. */
        int64_t full = (l->in_shape[a] - 1) * stride[a] + window[a], cut = full - l->out_shape[a];
        pads[a] = cut > 0 ? cut / 2 : 0;
        pads[2 + a] = cut > 0 ? cut - cut / 2 : 0;
        extra[a] = cut < 0 ? -cut : 0;
    }
    /* Keras' kernel (kh, kw, f, c) becomes ONNX's (c, f, kh, kw). */
    const char *w = ox_weight_permuted(ex, l, 0, "_iohw", (const int32_t[]){3, 2, 0, 1}, 0, NULL);
    Onnx__NodeProto *n = l->param_count > 1 ? ox_op(ex, "ConvTranspose", 3, x, w, ox_weight(ex, l, 1))
                                            : ox_op(ex, "ConvTranspose", 2, x, w);
    /* Uneven cuts (OpenCV 4.6 refuses asymmetric pads) become a Slice of the full result. */
    bool even = pads[0] == pads[2] && pads[1] == pads[3];
    set_conv_attrs(ex, n, 2, window, stride, NULL, even ? pads : (const int64_t[]){0, 0, 0, 0}, 1);
    if (extra[0] > 0 || extra[1] > 0)
        ox_attr_ints(ex, n, "output_padding", 2, extra);
    const char *y = ox_y(n);
    if (!even) {
        int64_t starts[2] = {pads[0], pads[1]}, ends[2] = {pads[0] + l->out_shape[0], pads[1] + l->out_shape[1]};
        y = ox_y(ox_op(ex, "Slice", 4, y, ox_ints(ex, 2, starts), ox_ints(ex, 2, ends),
                       ox_ints(ex, 2, (const int64_t[]){2, 3})));
    }
    deep_activation act = (deep_activation)ox_field_int(l, "activation", 0);
    ox_set_value(ex, node, OX_FIRST, ox_activation(ex, y, act, 1, l->name));
}

static void emit_pool(onnx_ex *ex, int32_t node, const deep_layer *l, const char *op, int axes)
{
    const char *x = ox_value(ex, ox_input(ex, node, 0), OX_FIRST);
    int64_t window[2], stride[2], pads[4];
    if (axes == 2) {
        for (int a = 0; a < 2; a++) {
            window[a] = l->cfg.pooling.pool_size[a];
            stride[a] = l->cfg.pooling.strides[a] > 0 ? l->cfg.pooling.strides[a] : window[a];
        }
    } else {
        window[0] = ox_field_int(l, "pool_size", 0);
        stride[0] = ox_field_int(l, "strides", 0) > 0 ? ox_field_int(l, "strides", 0) : window[0];
    }
    deep_padding padding = (deep_padding)ox_field_int(l, "padding", 0);
    window_pads(l->in_shape, l->out_shape, window, stride, (const int64_t[]){1, 1}, padding, axes, pads);
    Onnx__NodeProto *n = ox_op(ex, op, 1, x);
    set_conv_attrs(ex, n, axes, window, stride, NULL, pads, 1);
    /* AveragePool's count_include_pad 0 (its default) averages the cells inside, as libdeep. */
    ox_set_value(ex, node, OX_FIRST, ox_y(n));
}

/* Global pools: (N, C, spatial...) to (N, C, 1...), then without keepdims to (N, C). */
static void emit_global_pool(onnx_ex *ex, int32_t node, const deep_layer *l, const char *op)
{
    const char *y = ox_y(ox_op(ex, op, 1, ox_value(ex, ox_input(ex, node, 0), OX_FIRST)));
    if (l->out_rank == 1) {
        Onnx__NodeProto *f = ox_op(ex, "Flatten", 1, y);
        ox_attr_int(ex, f, "axis", 1);
        y = ox_y(f);
    }
    ox_set_value(ex, node, OX_FIRST, y);
}

static void emit_batch_norm(onnx_ex *ex, int32_t node, const deep_layer *l)
{
    const char *x = ox_value(ex, ox_input(ex, node, 0), OX_FIRST);
    Onnx__NodeProto *n = ox_node(ex, "BatchNormalization", NULL, 5,
                                 (const char *[]){x, ox_weight(ex, l, 0), ox_weight(ex, l, 1), ox_weight(ex, l, 2),
                                                  ox_weight(ex, l, 3)});
    ox_attr_float(ex, n, "epsilon", l->cfg.batch_norm.epsilon);
    ox_set_value(ex, node, OX_FIRST, ox_y(n));
}

bool ox_emit_conv(onnx_ex *ex, int32_t node)
{
    const deep_layer *l = ex->model->nodes[node].layer;
    const char *type = l->ops->type;
    if (strcmp(type, "conv2d") == 0)
        emit_conv2d(ex, node, l, 0);
    else if (strcmp(type, "depthwise_conv2d") == 0)
        emit_conv2d(ex, node, l, 1);
    else if (strcmp(type, "separable_conv2d") == 0)
        emit_conv2d(ex, node, l, 2);
    else if (strcmp(type, "conv1d") == 0)
        emit_conv1d(ex, node, l);
    else if (strcmp(type, "conv2d_transpose") == 0)
        emit_conv2d_transpose(ex, node, l);
    else if (strcmp(type, "max_pooling2d") == 0)
        emit_pool(ex, node, l, "MaxPool", 2);
    else if (strcmp(type, "average_pooling2d") == 0)
        emit_pool(ex, node, l, "AveragePool", 2);
    else if (strcmp(type, "max_pooling1d") == 0)
        emit_pool(ex, node, l, "MaxPool", 1);
    else if (strcmp(type, "global_average_pooling2d") == 0 || strcmp(type, "global_average_pooling1d") == 0)
        emit_global_pool(ex, node, l, "GlobalAveragePool");
    else if (strcmp(type, "global_max_pooling2d") == 0)
        emit_global_pool(ex, node, l, "GlobalMaxPool");
    else if (strcmp(type, "batch_normalization") == 0)
        emit_batch_norm(ex, node, l);
    else
        return false;
    return true;
}

#endif
