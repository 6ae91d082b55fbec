/* Translations of the activations with arguments (since 1.3): LeakyRelu and Elu of any
 * alpha become the LeakyReLU and ELU layers, PRelu the PReLU layer (its slope converted to
 * channels last), and Clip(0, max) ReLU(max_value). */
#ifdef DEEP_HAVE_ONNX

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/import.h"

deep_status onnx_op_leaky_relu(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    double alpha = 0.01; /* ONNX's default, PyTorch's too */
    DEEP_TRY(onnx_attr_float(im, node, "alpha", 0.01, &alpha));
    if (!(alpha >= 0) || !isfinite(alpha))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "alpha %g is not supported: LeakyReLU takes a slope >= 0 "
                         "(Keras' rule)", alpha);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_leaky_relu(im->model, alpha), node->output[0], x);
}

deep_status onnx_op_elu(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    double alpha = 1.0;
    DEEP_TRY(onnx_attr_float(im, node, "alpha", 1.0, &alpha));
    if (!isfinite(alpha))
        return onnx_fail(im, DEEP_ERR_FORMAT, "alpha %g is not finite", alpha);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_elu(im->model, alpha), node->output[0], x);
}

/* Clip's bounds: attributes before opset 11, optional scalar constant inputs since. */
static deep_status clip_bounds(onnx_import *im, const Onnx__NodeProto *node, double *min, double *max)
{
    *min = -INFINITY;
    *max = INFINITY;
    if (im->opset < 11) {
        DEEP_TRY(onnx_attr_float(im, node, "min", -INFINITY, min));
        return onnx_attr_float(im, node, "max", INFINITY, max);
    }
    onnx_value *lo = NULL, *hi = NULL;
    DEEP_TRY(onnx_input_const(im, node, 1, true, &lo));
    DEEP_TRY(onnx_input_const(im, node, 2, true, &hi));
    if ((lo != NULL && lo->array.count != 1) || (hi != NULL && hi->array.count != 1))
        return onnx_fail(im, DEEP_ERR_FORMAT, "Clip's min and max must be scalars");
    if (lo != NULL)
        *min = deep_onnx_array_float(&lo->array, 0);
    if (hi != NULL)
        *max = deep_onnx_array_float(&hi->array, 0);
    return DEEP_OK;
}

/* Clip(0, 6) stays Activation(relu6) and Clip(0, none) Activation(relu), as before 1.3;
 * Clip(0, max) for another max >= 0 is ReLU(max_value=max). */
deep_status onnx_op_clip(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    double min = 0, max = 0;
    DEEP_TRY(clip_bounds(im, node, &min, &max));
    if (min != 0 || isnan(max) || max < 0)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Clip(%g, %g) is not supported; Clip(0, max) for a max >= 0 "
                         "or none is (ReLU's max_value)", min, max);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    deep_status s;
    if (max == 6)
        s = deep_model_add_activation(im->model, DEEP_ACTIVATION_RELU6);
    else if (isinf(max))
        s = deep_model_add_activation(im->model, DEEP_ACTIVATION_RELU);
    else
        s = deep_model_add_relu(im->model, max, 0, 0);
    return onnx_added(im, s, node->output[0], x);
}

/* PRelu(X, slope): slope broadcasts to X one way (numpy's rule, right-aligned). Each axis
 * where slope has size 1 becomes one of PReLU's shared_axes; the slope's values are moved to
 * the layer's alpha in libdeep's order (channels last for images). */
deep_status onnx_op_prelu(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *slope = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &slope));
    if (x->layout != ONNX_PLAIN && x->layout != ONNX_NHWC)
        DEEP_TRY(onnx_to_plain(im, &x));
    const deep_onnx_array *a = &slope->array;
    int32_t r = x->rank; /* ONNX's, batch included */
    if (r < 2 || a->rank > r)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a slope of rank %d on an input of rank %d is not supported",
                         (int)a->rank, (int)r);
    /* The slope's dims right-aligned to X's ONNX axes; the batch axis must be 1. */
    int64_t sdims[DEEP_ONNX_MAX_RANK];
    for (int32_t d = 0; d < r; d++) {
        int32_t k = d - (r - a->rank);
        sdims[d] = k >= 0 ? a->dims[k] : 1;
        if (sdims[d] != 1 && (d == 0 || sdims[d] != x->dims[d]))
            return onnx_fail(im, DEEP_ERR_SHAPE, "the slope's axis %d has %lld values where the input has %lld; "
                             "it must be 1 or the input's (and 1 on the batch axis)", (int)d, (long long)sdims[d],
                             (long long)x->dims[d]);
    }
    /* libdeep's sample axis j is ONNX axis onnx_axis[j]: the same order, or (H, W, C) from
     * (C, H, W). */
    int32_t n = r - 1, onnx_axis[DEEP_ONNX_MAX_RANK];
    bool nhwc = x->layout == ONNX_NHWC;
    for (int32_t j = 0; j < n; j++)
        onnx_axis[j] = nhwc ? (j == n - 1 ? 1 : j + 2) : j + 1;
    int64_t shared[DEEP_MAX_SAMPLE_RANK], shape[DEEP_MAX_RANK];
    int32_t count = 0;
    for (int32_t j = 0; j < n; j++) {
        shape[j] = sdims[onnx_axis[j]];
        if (shape[j] == 1)
            shared[count++] = j + 1;
    }
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    DEEP_TRY(onnx_added(im, deep_model_add_prelu(im->model, count, shared), node->output[0], x));
    /* alpha in libdeep's row-major order: each entry's ONNX index from its coordinates. */
    int64_t size = a->count, sstride[DEEP_ONNX_MAX_RANK];
    sstride[r - 1] = 1;
    for (int32_t d = r - 2; d >= 0; d--)
        sstride[d] = sstride[d + 1] * sdims[d + 1];
    float *alpha = deep_alloc(size, sizeof *alpha);
    if (alpha == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory for the slope");
    for (int64_t i = 0; i < size; i++) {
        int64_t rest = i, from = 0;
        for (int32_t j = n - 1; j >= 0; j--) {
            from += (rest % shape[j]) * sstride[onnx_axis[j]];
            rest /= shape[j];
        }
        alpha[i] = (float)deep_onnx_array_float(a, from);
    }
    deep_status s = onnx_set_weight(im, 0, n, shape, alpha);
    free(alpha);
    return s;
}

#endif
