/* The ONNX nodes of the activations and of every layer type but the convolutional family
 * (export_conv.c) and the recurrent ones (export_rnn.c), and the dispatch to those. Padding,
 * cropping and resizing read their input channels first (ONNX's NCHW, as the convolutions
 * around them); Dense, Flatten, Reshape, Permute and the rest channels last; ox_value
 * converts only where the layout changes. */
#ifdef DEEP_HAVE_ONNX

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "onnx/export.h"
const char *ox_weight(onnx_ex *ex, const deep_layer *layer, int32_t p)
{
    char name[128];
    snprintf(name, sizeof name, "%s/%s", layer->name, layer->params[p].name);
    const deep_param *w = &layer->params[p];
    return ox_init_float(ex, name, w->rank, w->shape, w->value);
}

const char *ox_weight_permuted(onnx_ex *ex, const deep_layer *layer, int32_t p, const char *suffix,
                                   const int32_t *perm, int32_t rank, const int64_t *dims)
{
    char name[128];
    snprintf(name, sizeof name, "%s/%s%s", layer->name, layer->params[p].name, suffix);
    return ox_init_permuted(ex, name, &layer->params[p], perm, rank, dims);
}

static const char *binary(onnx_ex *ex, const char *op, const char *a, const char *b)
{
    return ox_y(ox_op(ex, op, 2, a, b));
}

static const char *unary(onnx_ex *ex, const char *op, const char *x)
{
    return ox_y(ox_op(ex, op, 1, x));
}
const char *ox_activation(onnx_ex *ex, const char *x, deep_activation activation, int64_t axis, const char *who)
{
    Onnx__NodeProto *n = NULL;
    switch (activation) {
    case DEEP_ACTIVATION_LINEAR:
        return x;
    case DEEP_ACTIVATION_RELU:
        return unary(ex, "Relu", x);
    case DEEP_ACTIVATION_SIGMOID:
        return unary(ex, "Sigmoid", x);
    case DEEP_ACTIVATION_TANH:
        return unary(ex, "Tanh", x);
    case DEEP_ACTIVATION_SOFTMAX:
        /* Since opset 13 Softmax normalises along its one axis, as libdeep's. */
        n = ox_op(ex, "Softmax", 1, x);
        ox_attr_int(ex, n, "axis", axis);
        return ox_y(n);
    case DEEP_ACTIVATION_LEAKY_RELU:
        n = ox_op(ex, "LeakyRelu", 1, x);
        ox_attr_float(ex, n, "alpha", 0.3f);
        return ox_y(n);
    case DEEP_ACTIVATION_ELU:
        n = ox_op(ex, "Elu", 1, x);
        ox_attr_float(ex, n, "alpha", 1.0f);
        return ox_y(n);
    case DEEP_ACTIVATION_GELU: {
        /* Gelu is an opset-20 operator: x * 0.5 * (1 + erf(x / sqrt(2))), exactly. */
        const char *e = unary(ex, "Erf", binary(ex, "Div", x, ox_scalar(ex, 1.41421356237309505f)));
        const char *half = binary(ex, "Mul", binary(ex, "Add", e, ox_scalar(ex, 1.0f)), ox_scalar(ex, 0.5f));
        return binary(ex, "Mul", x, half);
    }
    case DEEP_ACTIVATION_GELU_TANH: {
        /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
        const char *x3 = binary(ex, "Mul", binary(ex, "Mul", x, x), x);
        const char *inner = binary(ex, "Add", x, binary(ex, "Mul", x3, ox_scalar(ex, 0.044715f)));
        const char *t = unary(ex, "Tanh", binary(ex, "Mul", inner, ox_scalar(ex, 0.797884560802865356f)));
        const char *half = binary(ex, "Mul", binary(ex, "Add", t, ox_scalar(ex, 1.0f)), ox_scalar(ex, 0.5f));
        return binary(ex, "Mul", x, half);
    }
    case DEEP_ACTIVATION_SILU:
        return binary(ex, "Mul", x, unary(ex, "Sigmoid", x));
    case DEEP_ACTIVATION_SOFTPLUS:
        return unary(ex, "Softplus", x);
    case DEEP_ACTIVATION_SOFTSIGN:
        return unary(ex, "Softsign", x);
    case DEEP_ACTIVATION_SELU:
        n = ox_op(ex, "Selu", 1, x);
        ox_attr_float(ex, n, "alpha", 1.67326324235437728f);
        ox_attr_float(ex, n, "gamma", 1.05070098735548049f);
        return ox_y(n);
    case DEEP_ACTIVATION_HARD_SIGMOID:
        /* relu6(x + 3) / 6 = max(0, min(1, x / 6 + 0.5)) */
        n = ox_op(ex, "HardSigmoid", 1, x);
        ox_attr_float(ex, n, "alpha", 1.0f / 6.0f);
        ox_attr_float(ex, n, "beta", 0.5f);
        return ox_y(n);
    case DEEP_ACTIVATION_EXPONENTIAL:
        return unary(ex, "Exp", x);
    case DEEP_ACTIVATION_RELU6:
        return ox_y(ox_op(ex, "Clip", 3, x, ox_scalar(ex, 0.0f), ox_scalar(ex, 6.0f)));
    case DEEP_ACTIVATION_LOG_SOFTMAX:
        n = ox_op(ex, "LogSoftmax", 1, x);
        ox_attr_int(ex, n, "axis", axis);
        return ox_y(n);
    }
    ox_fail(ex, DEEP_ERR_UNSUPPORTED, "%s: activation %d has no ONNX form", who, (int)activation);
    return "";
}

/* The input node of call `node` (its k-th). */int32_t ox_input(onnx_ex *ex, int32_t node, int k)
{
    return ex->model->nodes[node].inputs[k];
}

/* ONNX pads (begin..., end...) of a window over `axes` spatial axes: before from Keras'
 * rule (deep_window_axis), after whatever the last window needs beyond the input. */static void emit_dense(onnx_ex *ex, int32_t node, const deep_layer *l)
{
    int32_t in = ox_input(ex, node, 0);
    const char *x = ox_value(ex, in, OX_LAST);
    bool bias = l->param_count > 1;
    const char *y;
    if (ex->model->nodes[in].rank == 1) {
        /* Gemm with the kernel transposed to (units, inputs), as PyTorch writes it: the form
         * every runtime reads (OpenCV 4.6 misreads transB = 0 with a bias). */
        const char *w = ox_weight_permuted(ex, l, 0, "_t", (const int32_t[]){1, 0}, 0, NULL);
        Onnx__NodeProto *g = bias ? ox_op(ex, "Gemm", 3, x, w, ox_weight(ex, l, 1)) : ox_op(ex, "Gemm", 2, x, w);
        ox_attr_int(ex, g, "transB", 1);
        y = ox_y(g);
    } else {
        y = binary(ex, "MatMul", x, ox_weight(ex, l, 0));
        if (bias)
            y = binary(ex, "Add", y, ox_weight(ex, l, 1));
    }
    ox_set_value(ex, node, OX_LAST, ox_activation(ex, y, l->cfg.dense.activation, -1, l->name));
}

/* Conv2D, DepthwiseConv2D and SeparableConv2D: (kh, kw, c, f) kernels become (f, c, kh, kw). */
/* Uneven pads (Keras' `same` with an even window, or a stride that leaves cells over)
 * become a Pad of zeros before the operator, whose own pads are then 0: OpenCV 4.6 refuses
 * asymmetric pads on convolutions. */static void emit_layer_norm(onnx_ex *ex, int32_t node, const deep_layer *l)
{
    const char *x = ox_value(ex, ox_input(ex, node, 0), OX_LAST);
    int64_t width = l->in_shape[l->in_rank - 1];
    float epsilon = ox_field_float(l, "epsilon");
    bool center = ox_field_int(l, "center", 0) != 0, scale = ox_field_int(l, "scale", 0) != 0;
    const char *gamma = NULL, *beta = NULL;
    for (int32_t p = 0; p < l->param_count; p++) {
        if (strcmp(l->params[p].name, "gamma") == 0)
            gamma = ox_weight(ex, l, p);
        if (strcmp(l->params[p].name, "beta") == 0)
            beta = ox_weight(ex, l, p);
    }
    const char *y;
    if (ex->opset >= 17) {
        if (!scale) {
            /* The operator's scale is not optional: ones. */
            float *ones = ox_alloc(ex, (size_t)width * sizeof *ones);
            for (int64_t i = 0; ones != NULL && i < width; i++)
                ones[i] = 1.0f;
            char name[128];
            snprintf(name, sizeof name, "%s/ones", l->name);
            gamma = ones != NULL ? ox_init_float(ex, name, 1, &width, ones) : "";
        }
        Onnx__NodeProto *n = center ? ox_op(ex, "LayerNormalization", 3, x, gamma, beta)
                                    : ox_op(ex, "LayerNormalization", 2, x, gamma);
        ox_attr_int(ex, n, "axis", -1);
        ox_attr_float(ex, n, "epsilon", epsilon);
        y = ox_y(n);
    } else {
        /* Below opset 17: (x - mean) / sqrt(biased variance + epsilon), from ReduceMean. */
        Onnx__NodeProto *m = ox_op(ex, "ReduceMean", 1, x);
        ox_attr_ints(ex, m, "axes", 1, (const int64_t[]){-1});
        const char *d = binary(ex, "Sub", x, ox_y(m));
        Onnx__NodeProto *v = ox_op(ex, "ReduceMean", 1, binary(ex, "Mul", d, d));
        ox_attr_ints(ex, v, "axes", 1, (const int64_t[]){-1});
        const char *s = unary(ex, "Sqrt", binary(ex, "Add", ox_y(v), ox_scalar(ex, epsilon)));
        y = binary(ex, "Div", d, s);
        if (scale)
            y = binary(ex, "Mul", y, gamma);
        if (center)
            y = binary(ex, "Add", y, beta);
    }
    ox_set_value(ex, node, OX_LAST, y);
}

/* A Reshape to the node's own sample shape, any batch. */
static const char *reshape_to(onnx_ex *ex, const char *x, int32_t rank, const int64_t *shape)
{
    int64_t dims[DEEP_MAX_RANK] = {-1};
    memcpy(dims + 1, shape, (size_t)rank * sizeof *dims);
    return binary(ex, "Reshape", x, ox_ints(ex, (size_t)rank + 1, dims));
}

static void emit_merge(onnx_ex *ex, int32_t node, const deep_layer *l)
{
    const deep_node *n = &ex->model->nodes[node];
    const char *type = l->ops->type;
    /* Every input in the first input's layout (a ResNet's Add stays channels first). */
    int layout = ox_layout_of(ex, n->inputs[0]);
    const char *in[DEEP_MAX_LAYER_INPUTS];
    for (int32_t k = 0; k < n->input_count; k++)
        in[k] = ox_value(ex, n->inputs[k], layout);
    const char *y;
    if (strcmp(type, "concatenate") == 0) {
        int32_t r = n->rank;
        int64_t axis = ox_field_int(l, "axis", 0);
        int64_t a = axis < 0 ? r + axis : axis - 1; /* the sample's axis, from 0 */
        int64_t onnx_axis = layout == OX_LAST || r == 1 ? a + 1 : (a == r - 1 ? 1 : a + 2);
        Onnx__NodeProto *c = ox_node(ex, "Concat", NULL, n->input_count, in);
        ox_attr_int(ex, c, "axis", onnx_axis);
        y = ox_y(c);
    } else if (strcmp(type, "subtract") == 0) {
        y = binary(ex, "Sub", in[0], in[1]);
    } else {
        const char *op = strcmp(type, "add") == 0        ? "Add"
                         : strcmp(type, "multiply") == 0 ? "Mul"
                         : strcmp(type, "average") == 0  ? "Add"
                         : strcmp(type, "maximum") == 0  ? "Max"
                                                         : "Min";
        /* Pairwise, which every runtime runs (OpenCV's Sum, Mean differ in support). */
        y = in[0];
        for (int32_t k = 1; k < n->input_count; k++)
            y = binary(ex, op, y, in[k]);
        if (strcmp(type, "average") == 0)
            y = binary(ex, "Div", y, ox_scalar(ex, (float)n->input_count));
    }
    ox_set_value(ex, node, layout, y);
}

void ox_emit_layer(onnx_ex *ex, int32_t node)
{
    const deep_node *n = &ex->model->nodes[node];
    const deep_layer *l = n->layer;
    const char *type = l->ops->type;
    if (l->ops->flags & DEEP_LAYER_MERGE) {
        emit_merge(ex, node, l);
        return;
    }
    if (deep_layer_is_recurrent(l) || strcmp(type, "bidirectional") == 0) {
        ox_emit_recurrent(ex, node);
        return;
    }
    if (ox_emit_conv(ex, node) || ox_emit_act(ex, node))
        return;
    int32_t in = ox_input(ex, node, 0);
    if (strcmp(type, "dense") == 0) {
        emit_dense(ex, node, l);
    } else if (strcmp(type, "activation") == 0) {
        int layout = ox_layout_of(ex, in);
        int64_t axis = layout == OX_LAST || n->rank == 1 ? -1 : 1;
        ox_set_value(ex, node, layout,
                     ox_activation(ex, ox_value(ex, in, layout), l->cfg.activation.activation, axis, l->name));
    } else if (strcmp(type, "dropout") == 0) {
        int layout = ox_layout_of(ex, in);
        ox_set_value(ex, node, layout, unary(ex, "Identity", ox_value(ex, in, layout)));
    } else if (strcmp(type, "flatten") == 0) {
        /* libdeep's order is the channels-last one. */
        Onnx__NodeProto *f = ox_op(ex, "Flatten", 1, ox_value(ex, in, OX_LAST));
        ox_attr_int(ex, f, "axis", 1);
        ox_set_value(ex, node, OX_LAST, ox_y(f));
    } else if (strcmp(type, "reshape") == 0) {
        ox_set_value(ex, node, OX_LAST, reshape_to(ex, ox_value(ex, in, OX_LAST), n->rank, n->shape));
    } else if (strcmp(type, "permute") == 0) {
        int64_t dims[DEEP_MAX_RANK], perm[DEEP_MAX_RANK] = {0};
        int32_t r = ox_field_shape(l, "dims", dims);
        for (int32_t i = 0; i < r; i++)
            perm[i + 1] = dims[i];
        ox_set_value(ex, node, OX_LAST, ox_transpose(ex, ox_value(ex, in, OX_LAST), r + 1, perm));
    } else if (strcmp(type, "repeat_vector") == 0) {
        const char *u = binary(ex, "Unsqueeze", ox_value(ex, in, OX_LAST), ox_ints(ex, 1, (const int64_t[]){1}));
        ox_set_value(ex, node, OX_LAST, binary(ex, "Tile", u, ox_ints(ex, 3, (const int64_t[]){1, n->shape[0], 1})));
    } else if (strcmp(type, "layer_normalization") == 0) {
        emit_layer_norm(ex, node, l);
    } else if (strcmp(type, "up_sampling2d") == 0) {
        int64_t sh = ox_field_int(l, "size", 0), sw = ox_field_int(l, "size", 1);
        bool bilinear = ox_field_int(l, "interpolation", 0) == DEEP_INTERPOLATION_BILINEAR;
        float scales[4] = {1, 1, (float)sh, (float)sw};
        const char *s = ox_init_float(ex, ox_fresh(ex, "scales"), 1, (const int64_t[]){4}, scales);
        const char *roi = ox_init_float(ex, ox_fresh(ex, "roi"), 1, (const int64_t[]){0}, NULL);
        Onnx__NodeProto *r = ox_op(ex, "Resize", 3, ox_value(ex, in, OX_FIRST), roi, s);
        ox_attr_string(ex, r, "mode", bilinear ? "linear" : "nearest");
        ox_attr_string(ex, r, "coordinate_transformation_mode", bilinear ? "half_pixel" : "asymmetric");
        if (!bilinear)
            ox_attr_string(ex, r, "nearest_mode", "floor");
        ox_set_value(ex, node, OX_FIRST, ox_y(r));
    } else if (strcmp(type, "zero_padding2d") == 0) {
        int64_t p[8] = {0, 0, ox_field_int(l, "padding", 0), ox_field_int(l, "padding", 2),
                        0, 0, ox_field_int(l, "padding", 1), ox_field_int(l, "padding", 3)};
        const char *y = binary(ex, "Pad", ox_value(ex, in, OX_FIRST), ox_ints(ex, 8, p));
        ox_set_value(ex, node, OX_FIRST, y);
    } else if (strcmp(type, "cropping2d") == 0) {
        int64_t top = ox_field_int(l, "cropping", 0), left = ox_field_int(l, "cropping", 2);
        int64_t starts[2] = {top, left}, ends[2] = {top + n->shape[0], left + n->shape[1]};
        Onnx__NodeProto *s = ox_op(ex, "Slice", 4, ox_value(ex, in, OX_FIRST), ox_ints(ex, 2, starts),
                                   ox_ints(ex, 2, ends), ox_ints(ex, 2, (const int64_t[]){2, 3}));
        ox_set_value(ex, node, OX_FIRST, ox_y(s));
    } else if (strcmp(type, "embedding") == 0) {
        if (l->cfg.embedding.mask_zero)
            ox_fail(ex, DEEP_ERR_UNSUPPORTED,
                    "layer %s (Embedding) has mask_zero: ONNX has no masks for the layers after it to skip the "
                    "padding steps; export a model without masking",
                    l->name);
        Onnx__NodeProto *c = ox_op(ex, "Cast", 1, ox_value(ex, in, OX_LAST));
        ox_attr_int(ex, c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
        ox_set_value(ex, node, OX_LAST, binary(ex, "Gather", ox_weight(ex, l, 0), ox_y(c)));
    } else if (strcmp(type, "masking") == 0) {
        ox_fail(ex, DEEP_ERR_UNSUPPORTED,
                "layer %s (Masking) cannot be exported: ONNX's recurrent operators skip only trailing padding "
                "(sequence_lens), not masked steps anywhere in the sequence as libdeep and Keras do",
                l->name);
    } else {
        ox_fail(ex, DEEP_ERR_UNSUPPORTED, "layer %s (%s) has no ONNX export", l->name, l->ops->class_name);
    }
}

#endif
