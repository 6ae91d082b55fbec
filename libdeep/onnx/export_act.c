/* The ONNX nodes of the activation layers with arguments (since 1.3): LeakyReLU, ELU,
 * ReLU and PReLU, each in the layout its input already has (element-wise; PReLU's slope
 * follows that layout). */
#ifdef DEEP_HAVE_ONNX

#include <string.h>

#include "onnx/export.h"

static const char *binary(onnx_ex *ex, const char *op, const char *a, const char *b)
{
    return ox_y(ox_op(ex, op, 2, a, b));
}

/* Keras' ReLU: Relu or Clip where they say it, else pos + slope * min(x - t, 0) with pos
 * = x where x > t (else 0), clipped to [0, max_value] when there is one. */
static const char *relu(onnx_ex *ex, const char *x, float max_value, float slope, float threshold)
{
    bool clip = max_value >= 0.0f;
    if (slope == 0.0f && threshold == 0.0f)
        return clip ? ox_y(ox_op(ex, "Clip", 3, x, ox_scalar(ex, 0.0f), ox_scalar(ex, max_value)))
                    : ox_y(ox_op(ex, "Relu", 1, x));
    const char *t = ox_scalar(ex, threshold);
    Onnx__NodeProto *cast = ox_op(ex, "Cast", 1, binary(ex, "Greater", x, t));
    ox_attr_int(ex, cast, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    const char *pos = binary(ex, "Mul", x, ox_y(cast));
    if (clip)
        pos = ox_y(ox_op(ex, "Clip", 3, pos, ox_scalar(ex, 0.0f), ox_scalar(ex, max_value)));
    if (slope == 0.0f)
        return pos;
    const char *below = binary(ex, "Min", binary(ex, "Sub", x, t), ox_scalar(ex, 0.0f));
    return binary(ex, "Add", pos, binary(ex, "Mul", below, ox_scalar(ex, slope)));
}

/* PRelu with alpha as its slope, in the input's layout: channels first moves alpha's last
 * axis to the front (it broadcasts against (N, C, d1, ...) right-aligned). */
static const char *prelu(onnx_ex *ex, const deep_layer *l, const char *x, int layout)
{
    const deep_param *alpha = &l->params[0];
    if (layout == OX_LAST || alpha->rank == 1)
        return binary(ex, "PRelu", x, ox_weight(ex, l, 0));
    int32_t perm[DEEP_MAX_RANK];
    perm[0] = alpha->rank - 1;
    for (int32_t i = 1; i < alpha->rank; i++)
        perm[i] = i - 1;
    return binary(ex, "PRelu", x, ox_weight_permuted(ex, l, 0, "_channels_first", perm, alpha->rank, NULL));
}

bool ox_emit_act(onnx_ex *ex, int32_t node)
{
    const deep_layer *l = ex->model->nodes[node].layer;
    const char *type = l->ops->type;
    bool leaky = strcmp(type, "leaky_relu") == 0, elu = strcmp(type, "elu") == 0;
    if (!leaky && !elu && strcmp(type, "relu") != 0 && strcmp(type, "prelu") != 0)
        return false;
    int32_t in = ox_input(ex, node, 0);
    int layout = ox_layout_of(ex, in);
    const char *x = ox_value(ex, in, layout), *y;
    if (leaky || elu) {
        Onnx__NodeProto *n = ox_op(ex, leaky ? "LeakyRelu" : "Elu", 1, x);
        ox_attr_float(ex, n, "alpha", ox_field_float(l, leaky ? "negative_slope" : "alpha"));
        y = ox_y(n);
    } else if (strcmp(type, "relu") == 0) {
        y = relu(ex, x, ox_field_float(l, "max_value"), ox_field_float(l, "negative_slope"),
                 ox_field_float(l, "threshold"));
    } else {
        y = prelu(ex, l, x, layout);
    }
    ox_set_value(ex, node, layout, y);
    return true;
}

#endif
