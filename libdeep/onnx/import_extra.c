/* Translations of the operators for sequences, decoders and normalisation: Gather of a
 * constant table by the model's ids (Embedding), LayerNormalization, ConvTranspose
 * (Conv2DTranspose, cropped for pads) and Resize/Upsample (UpSampling2D). */
#ifdef DEEP_HAVE_ONNX

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/import.h"

deep_status onnx_op_gather(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *data = NULL, *ids = NULL;
    DEEP_TRY(onnx_input(im, node, 0, false, &data));
    DEEP_TRY(onnx_input(im, node, 1, false, &ids));
    if (data->is_const && ids->is_const)
        return onnx_fold(im, node);
    int64_t axis = 0;
    DEEP_TRY(onnx_attr_int(im, node, "axis", 0, &axis));
    /* A table looked up by the model's ids: an Embedding, whose ids are the model's input. */
    if (!data->is_const || ids->is_const || axis != 0 || data->array.rank != 2)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "Gather is supported on constants, or as an embedding (a "
                         "constant (vocabulary, dim) table, axis 0, looked up by the model's ids)");
    if (ids->layout != ONNX_PLAIN || ids->rank != 2)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "an embedding of ids of rank %d; (batch, steps) is supported",
                         (int)ids->rank);
    int64_t vocabulary = data->array.dims[0], dim = data->array.dims[1];
    float *table = onnx_floats(im, &data->array);
    if (table == NULL)
        return DEEP_ERR_NO_MEMORY;
    deep_status s = onnx_connect(im, (const onnx_value *const[]){ids}, 1);
    if (s == DEEP_OK)
        s = onnx_added(im, deep_model_add_embedding(im->model, vocabulary, dim, 0), node->output[0], ids);
    if (s == DEEP_OK)
        s = onnx_set_weight(im, 0, 2, data->array.dims, table);
    free(table);
    return s;
}

deep_status onnx_op_layer_norm(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *scale = NULL, *bias = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    DEEP_TRY(onnx_input_const(im, node, 1, false, &scale));
    DEEP_TRY(onnx_input_const(im, node, 2, true, &bias));
    if ((node->n_output > 1 && node->output[1][0] != '\0') || (node->n_output > 2 && node->output[2][0] != '\0'))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "the mean and inverse deviation outputs are not supported");
    int64_t axis = -1;
    double epsilon = 1e-5;
    DEEP_TRY(onnx_attr_int(im, node, "axis", -1, &axis));
    DEEP_TRY(onnx_attr_float(im, node, "epsilon", 1e-5, &epsilon));
    if (x->layout != ONNX_PLAIN || (axis != -1 && axis != x->rank - 1))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "LayerNormalization over axis %lld of a rank %d value; the last "
                         "axis is supported", (long long)axis, (int)x->rank);
    int64_t width = x->dims[x->rank - 1];
    if (scale->array.count != width || (bias != NULL && bias->array.count != width))
        return onnx_fail(im, DEEP_ERR_SHAPE, "scale and bias must have the last axis' %lld values", (long long)width);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    DEEP_TRY(onnx_added(im, deep_model_add_layer_normalization(im->model, epsilon, bias != NULL, 1), node->output[0],
                        x));
    float *g = onnx_floats(im, &scale->array), *b = bias != NULL ? onnx_floats(im, &bias->array) : NULL;
    deep_status s = g != NULL && (bias == NULL || b != NULL) ? DEEP_OK : DEEP_ERR_NO_MEMORY;
    if (s == DEEP_OK)
        s = onnx_set_weight(im, 0, 1, &width, g); /* Keras' order: gamma, then beta */
    if (s == DEEP_OK && b != NULL)
        s = onnx_set_weight(im, 1, 1, &width, b);
    free(g);
    free(b);
    return s;
}

deep_status onnx_op_conv_transpose(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *bv = NULL;
    const deep_onnx_array *W = NULL;
    DEEP_TRY(onnx_conv_inputs(im, node, &x, &W, &bv));
    int64_t channels = W->dims[0], filters = W->dims[1], kh = W->dims[2], kw = W->dims[3];
    int64_t group = 1, strides[2] = {1, 1}, pads[4] = {0}, extra[2] = {0, 0}, dil[2] = {1, 1}, got = 0;
    bool present = false;
    DEEP_TRY(onnx_attr_int(im, node, "group", 1, &group));
    DEEP_TRY(onnx_attr_ints(im, node, "strides", 2, strides, &got, &present));
    DEEP_TRY(onnx_attr_ints(im, node, "pads", 4, pads, &got, &present));
    DEEP_TRY(onnx_attr_ints(im, node, "output_padding", 2, extra, &got, &present));
    DEEP_TRY(onnx_attr_ints(im, node, "dilations", 2, dil, &got, &present));
    char auto_pad[16];
    DEEP_TRY(onnx_attr_string(im, node, "auto_pad", "NOTSET", auto_pad, sizeof auto_pad));
    if (group != 1 || dil[0] != 1 || dil[1] != 1 || onnx_attr(node, "output_shape") != NULL ||
        strcmp(auto_pad, "NOTSET") != 0)
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "group, dilations, output_shape and auto_pad are not supported");
    if (channels != x->dims[1])
        return onnx_fail(im, DEEP_ERR_SHAPE, "the weight takes %lld channels but the input has %lld",
                         (long long)channels, (long long)x->dims[1]);
    if (bv != NULL && bv->array.count != filters)
        return onnx_fail(im, DEEP_ERR_SHAPE, "a bias of %lld values for %lld filters", (long long)bv->array.count,
                         (long long)filters);
    for (int k = 0; k < 4; k++)
        if (pads[k] < 0 || pads[k] > DEEP_ONNX_MAX_ELEMENTS)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "pad %lld is not supported", (long long)pads[k]);
    /* The full (in - 1) * stride + kernel + output_padding, as Conv2DTranspose's valid
     * padding with that output_padding gives it, then the pads cropped. */
    bool crop = pads[0] || pads[1] || pads[2] || pads[3];
    deep_activation act = DEEP_ACTIVATION_LINEAR;
    const char *output = node->output[0];
    if (!crop)
        onnx_fuse_activation(im, node, 0, &act, &output);
    /* Conv2DTranspose's kernel is (kh, kw, filters, channels); ONNX's (channels, filters, kh, kw). */
    float *kernel = deep_alloc(W->count, sizeof *kernel);
    if (kernel == NULL)
        return onnx_fail(im, DEEP_ERR_NO_MEMORY, "out of memory");
    for (int64_t c = 0; c < channels; c++)
        for (int64_t f = 0; f < filters; f++)
            for (int64_t y = 0; y < kh; y++)
                for (int64_t xx = 0; xx < kw; xx++)
                    kernel[((y * kw + xx) * filters + f) * channels + c] =
                        (float)deep_onnx_array_float(W, ((c * filters + f) * kh + y) * kw + xx);
    onnx_value full;
    deep_status s = onnx_connect(im, (const onnx_value *const[]){x}, 1);
    if (s == DEEP_OK) {
        s = deep_model_add_conv2d_transpose(im->model, filters, kh, kw, strides[0], strides[1], DEEP_PADDING_VALID,
                                            extra[0], extra[1], act, bv != NULL);
        if (s != DEEP_OK)
            s = onnx_wrap(im, s, "adding its Conv2DTranspose");
    }
    if (s == DEEP_OK)
        s = onnx_set_weight(im, 0, 4, (int64_t[]){kh, kw, filters, channels}, kernel);
    free(kernel);
    if (s == DEEP_OK && bv != NULL) {
        float *bias = onnx_floats(im, &bv->array);
        s = bias != NULL ? onnx_set_weight(im, 1, 1, &filters, bias) : DEEP_ERR_NO_MEMORY;
        free(bias);
    }
    if (s != DEEP_OK)
        return s;
    full = *x;
    DEEP_TRY(deep_model_last_node(im->model, &full.node));
    if (!crop)
        return onnx_added(im, DEEP_OK, output, &full);
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){&full}, 1));
    return onnx_added(im, deep_model_add_cropping2d(im->model, pads[0], pads[2], pads[1], pads[3]), output, x);
}

/* Resize (opset 11 on) and Upsample (opset 9): nearest or linear by whole factors. */
deep_status onnx_op_resize(onnx_import *im, const Onnx__NodeProto *node)
{
    onnx_value *x = NULL, *scales = NULL, *sizes = NULL;
    DEEP_TRY(onnx_input_graph(im, node, 0, &x));
    bool upsample = strcmp(node->op_type, "Upsample") == 0;
    if (upsample) {
        DEEP_TRY(onnx_input_const(im, node, 1, false, &scales));
    } else {
        DEEP_TRY(onnx_input_const(im, node, 2, true, &scales));
        DEEP_TRY(onnx_input_const(im, node, 3, true, &sizes));
        if (scales != NULL && scales->array.count == 0)
            scales = NULL; /* an empty scales input stands for "use sizes" */
    }
    char mode[24], transform[32], nearest[32];
    DEEP_TRY(onnx_attr_string(im, node, "mode", "nearest", mode, sizeof mode));
    DEEP_TRY(onnx_attr_string(im, node, "coordinate_transformation_mode", upsample ? "asymmetric" : "half_pixel",
                              transform, sizeof transform));
    DEEP_TRY(onnx_attr_string(im, node, "nearest_mode", upsample ? "floor" : "round_prefer_floor", nearest,
                              sizeof nearest));
    if (x->rank != 4 || (scales == NULL) == (sizes == NULL))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a resize of images (rank 4) by scales or sizes is supported");
    const deep_onnx_array *a = scales != NULL ? &scales->array : &sizes->array;
    if (a->count != 4)
        return onnx_fail(im, DEEP_ERR_FORMAT, "%lld scales or sizes for a rank 4 image", (long long)a->count);
    int64_t factor[2];
    for (int k = 0; k < 2; k++) {
        double v = deep_onnx_array_float(a, 2 + k);
        double f = scales != NULL ? v : v / (double)x->dims[2 + k];
        /* Range first: converting NaN or a huge value to an integer is undefined. */
        if (!(f >= 1 && f <= 65536) || (double)(int64_t)f != f)
            return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a resize by %g; whole factors from 1 to 65536 are supported",
                             f);
        factor[k] = (int64_t)f;
    }
    if (deep_onnx_array_float(a, 0) != (scales != NULL ? 1 : (double)x->dims[0]) ||
        deep_onnx_array_float(a, 1) != (scales != NULL ? 1 : (double)x->dims[1]))
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "a resize of the batch or channel axis is not supported");
    bool half = strcmp(transform, "half_pixel") == 0 || strcmp(transform, "pytorch_half_pixel") == 0;
    deep_interpolation how;
    if (strcmp(mode, "nearest") == 0 &&
        ((strcmp(transform, "asymmetric") == 0 && strcmp(nearest, "floor") == 0) ||
         (half && strncmp(nearest, "round_prefer", 12) == 0))) {
        /* With a whole factor these all pick input cell out / factor: UpSampling2D's nearest. */
        how = DEEP_INTERPOLATION_NEAREST;
    } else if ((strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0) && half) {
        how = DEEP_INTERPOLATION_BILINEAR;
    } else {
        return onnx_fail(im, DEEP_ERR_UNSUPPORTED, "mode %s with %s coordinates (and nearest_mode %s) is not "
                         "supported", mode, transform, nearest);
    }
    DEEP_TRY(onnx_to_nhwc(im, &x));
    DEEP_TRY(onnx_connect(im, (const onnx_value *const[]){x}, 1));
    return onnx_added(im, deep_model_add_up_sampling2d(im->model, factor[0], factor[1], how), node->output[0], x);
}

#endif
