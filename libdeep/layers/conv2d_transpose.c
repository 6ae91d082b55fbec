/* Conv2DTranspose, Keras' layer, channels last: the gradient of a Conv2D with respect to its
 * input, used to upsample. Input cell (i, j) adds in[i, j, c] * kernel[ky, kx, f, c] to output
 * cell (i * sh - pt + ky, j * sw - pl + kx, f); cells outside the output are dropped. One GEMM
 * for the whole batch gives every input cell's contributions, `cols` = in . kernel^T of
 * (cells, kh * kw * filters), which are then added into place (col2im). Backward is the
 * reverse: the output gradient gathered into the same layout (im2col) is one GEMM away from
 * both the kernel's and the input's gradient, so nothing from forward but the pre-activations
 * (gelu, silu) is kept.
 *
 * Output size, per axis (Keras 3, the TensorFlow semantics every backend follows): `valid`
 * gives (in - 1) * s + k + output_padding, where output_padding None means max(k, s) - k;
 * `same` gives in * s, or (in - 1) * s + k % 2 + output_padding when it is given. The padding
 * before is max((in - 1) * s + k - out, 0) / 2, rounded down: what TensorFlow's
 * conv2d_transpose (and Keras' JAX and Torch paths, which match it) crop from the full
 * (in - 1) * s + k result. */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layer.h"
#include "tensor/tensor.h"

typedef struct conv2d_transpose_config {
    int64_t filters;
    int64_t kernel_size[2], strides[2];
    deep_padding padding;
    int64_t output_padding[2]; /* -1, -1: Keras' None, inferred from the padding */
    deep_activation activation;
    bool use_bias;
} conv2d_transpose_config;
DEEP_LAYER_CONFIG_FITS(conv2d_transpose_config);

typedef struct geometry {
    int64_t h, w, c;   /* input */
    int64_t oh, ow, f; /* output */
    int64_t kh, kw, sh, sw;
    int64_t pt, pl;    /* cells cropped before the output's rows and columns */
    int64_t cells;     /* h * w */
    int64_t patch;     /* kh * kw * f: one row of cols */
} geometry;

/* Padding before, from the shapes (it is not stored: build and the ops agree by construction). */
static int64_t pad_before(int64_t input, int64_t kernel, int64_t stride, int64_t output)
{
    int64_t total = (input - 1) * stride + kernel - output;
    return total > 0 ? total / 2 : 0;
}

static geometry geometry_of(const deep_layer *layer, conv2d_transpose_config *c)
{
    DEEP_LAYER_CONFIG_READ(layer, *c);
    geometry g = {
        .h = layer->in_shape[0], .w = layer->in_shape[1], .c = layer->in_shape[2],
        .oh = layer->out_shape[0], .ow = layer->out_shape[1], .f = c->filters,
        .kh = c->kernel_size[0], .kw = c->kernel_size[1], .sh = c->strides[0], .sw = c->strides[1],
    };
    g.pt = pad_before(g.h, g.kh, g.sh, g.oh);
    g.pl = pad_before(g.w, g.kw, g.sw, g.ow);
    g.cells = g.h * g.w;
    g.patch = g.kh * g.kw * g.f;
    return g;
}

/* Keras' output length of one axis; false when it overflows DEEP_MAX_LAYER_SIZE (the
 * arguments are at most DEEP_MAX_LAYER_SIZE each, except the kernel, checked here). */
static bool output_length(int64_t input, int64_t kernel, int64_t stride, deep_padding padding, int64_t output_padding,
                          int64_t *length)
{
    if (kernel > DEEP_MAX_LAYER_SIZE)
        return false;
    int64_t base = 0; /* (input - 1) * stride, below 2^62 */
    if (!deep_mul_i64(input - 1, stride, &base))
        return false;
    if (padding == DEEP_PADDING_VALID)
        *length = base + kernel + (output_padding >= 0 ? output_padding : (kernel < stride ? stride - kernel : 0));
    else
        *length = output_padding >= 0 ? base + kernel % 2 + output_padding : base + stride;
    return *length <= DEEP_MAX_LAYER_SIZE;
}

static deep_status conv2d_transpose_check(const void *config, const char *caller)
{
    conv2d_transpose_config c;
    memcpy(&c, config, sizeof c);
    for (int axis = 0; axis < 2; axis++)
        if (c.output_padding[axis] >= c.strides[axis])
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "output_padding %lld x %lld must be below the strides %lld x %lld (Keras' rule)",
                                  (long long)c.output_padding[0], (long long)c.output_padding[1],
                                  (long long)c.strides[0], (long long)c.strides[1]);
    return DEEP_OK;
}

static deep_status conv2d_transpose_build(deep_layer *layer)
{
    char s[128];
    conv2d_transpose_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    if (layer->in_rank != 3)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "Conv2DTranspose needs (height, width, channels) inputs but gets %s",
                         deep_shape_format(s, sizeof s, layer->in_rank, layer->in_shape));
    for (int axis = 0; axis < 2; axis++) {
        const char *name = axis == 0 ? "height" : "width";
        int64_t length = 0;
        if (!output_length(layer->in_shape[axis], c.kernel_size[axis], c.strides[axis], c.padding,
                           c.output_padding[axis], &length))
            return DEEP_FAIL(DEEP_ERR_OVERFLOW,
                             "kernel_size %lld and strides %lld over the input %s %lld give an output %s above %lld",
                             (long long)c.kernel_size[axis], (long long)c.strides[axis], name,
                             (long long)layer->in_shape[axis], name, (long long)DEEP_MAX_LAYER_SIZE);
        if (length < 1)
            return DEEP_FAIL(DEEP_ERR_SHAPE,
                             "kernel_size %lld, strides %lld and output_padding %lld with 'same' padding give an "
                             "output %s of %lld from the input %s %lld",
                             (long long)c.kernel_size[axis], (long long)c.strides[axis],
                             (long long)c.output_padding[axis], name, (long long)length, name,
                             (long long)layer->in_shape[axis]);
        layer->out_shape[axis] = length;
    }
    layer->out_rank = 3;
    layer->out_shape[2] = c.filters;
    /* Each sample's cols (cells x patch) is one CBLAS operand, and the patch its width. */
    int64_t patch = 0, cells = 0, cols = 0, pixels = 0;
    bool fits = deep_mul_i64(c.kernel_size[0], c.kernel_size[1], &patch) && deep_mul_i64(patch, c.filters, &patch) &&
                deep_mul_i64(layer->in_shape[0], layer->in_shape[1], &cells) && deep_mul_i64(cells, patch, &cols) &&
                deep_mul_i64(layer->out_shape[0], layer->out_shape[1], &pixels);
    if (!fits || cols > INT_MAX)
        return DEEP_FAIL(DEEP_ERR_OVERFLOW,
                         "kernel_size %lld x %lld with %lld filters at %lld x %lld input positions takes more than %d "
                         "values per sample",
                         (long long)c.kernel_size[0], (long long)c.kernel_size[1], (long long)c.filters,
                         (long long)layer->in_shape[0], (long long)layer->in_shape[1], INT_MAX);
    /* Plus, for gelu and silu (whose gradient needs the input), the pre-activations. */
    layer->scratch_size = cols + (deep_activation_needs_input(c.activation) ? pixels * c.filters : 0);
    int64_t kernel_shape[4] = {c.kernel_size[0], c.kernel_size[1], c.filters, layer->in_shape[2]};
    DEEP_TRY(deep_layer_declare_param(layer, 0, "kernel", 4, kernel_shape));
    if (c.use_bias)
        DEEP_TRY(deep_layer_declare_param(layer, 1, "bias", 1, &c.filters));
    return DEEP_OK;
}

static void conv2d_transpose_init(deep_layer *layer, struct deep_rng *rng)
{
    conv2d_transpose_config c;
    DEEP_LAYER_CONFIG_READ(layer, c);
    /* Keras' fans of a (kh, kw, filters, channels) kernel: the receptive field times its
     * last two axes; Glorot's limit only needs their sum. */
    int64_t receptive = c.kernel_size[0] * c.kernel_size[1];
    deep_init_glorot_uniform(layer->params[0].value, layer->params[0].size, receptive * c.filters,
                             receptive * layer->in_shape[2], rng);
    if (c.use_bias)
        memset(layer->params[1].value, 0, (size_t)c.filters * sizeof(float));
}

typedef struct ctx {
    geometry g;
    conv2d_transpose_config c;
    const float *bias; /* NULL without use_bias */
    float *cols;
    float *out;        /* forward: the output; backward: dL/dout */
    const float *y;    /* backward: the output, for the activation's gradient */
    float *pre;        /* the pre-activations after the cols, kept for gelu and silu; else NULL */
} ctx;

static float *pre_activations(const conv2d_transpose_config *c, const geometry *g, float *scratch, int64_t batch)
{
    return deep_activation_needs_input(c->activation) ? scratch + batch * g->cells * g->patch : NULL;
}

/* The kernel offsets [k0, k1) of input row i whose output row i * s - p + k lies inside
 * [0, out); empty when none does. */
static inline void kernel_range(int64_t i, int64_t s, int64_t p, int64_t k, int64_t out, int64_t *k0, int64_t *k1)
{
    int64_t y = i * s - p;
    *k0 = y < 0 ? -y : 0;
    *k1 = y + k > out ? out - y : k;
}

/* Forward's col2im: out[s] = the sum of every cell's contributions, then bias and activation. */
static void scatter_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const ctx *x = raw;
    const geometry *g = &x->g;
    int64_t f = g->f, pixels = g->oh * g->ow;
    for (int64_t s = begin; s < end; s++) {
        float *image = x->out + s * pixels * f;
        const float *row = x->cols + s * g->cells * g->patch;
        memset(image, 0, (size_t)(pixels * f) * sizeof *image);
        for (int64_t i = 0; i < g->h; i++) {
            int64_t ky0, ky1;
            kernel_range(i, g->sh, g->pt, g->kh, g->oh, &ky0, &ky1);
            for (int64_t j = 0; j < g->w; j++, row += g->patch) {
                int64_t kx0, kx1;
                kernel_range(j, g->sw, g->pl, g->kw, g->ow, &kx0, &kx1);
                /* The kernel's row kx0..kx1 lands on consecutive output cells: one run. */
                for (int64_t ky = ky0; ky < ky1; ky++) {
                    float *dst = image + ((i * g->sh - g->pt + ky) * g->ow + (j * g->sw - g->pl + kx0)) * f;
                    const float *src = row + (ky * g->kw + kx0) * f;
                    for (int64_t n = 0; n < (kx1 - kx0) * f; n++)
                        dst[n] += src[n];
                }
            }
        }
        if (x->bias != NULL)
            for (int64_t p = 0; p < pixels; p++)
                for (int64_t k = 0; k < f; k++)
                    image[p * f + k] += x->bias[k];
        if (x->pre != NULL)
            memcpy(x->pre + s * pixels * f, image, (size_t)(pixels * f) * sizeof *image);
        deep_activation_forward(x->c.activation, image, pixels, f);
    }
}

/* Backward's im2col: each cell's row of cols gets the output gradient at the cells it fed
 * (zeros where its kernel hung outside the output). */
static void gather_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const ctx *x = raw;
    const geometry *g = &x->g;
    int64_t f = g->f, out_size = g->oh * g->ow * f;
    for (int64_t s = begin; s < end; s++) {
        const float *image = x->out + s * out_size;
        float *row = x->cols + s * g->cells * g->patch;
        for (int64_t i = 0; i < g->h; i++) {
            int64_t ky0, ky1;
            kernel_range(i, g->sh, g->pt, g->kh, g->oh, &ky0, &ky1);
            for (int64_t j = 0; j < g->w; j++, row += g->patch) {
                int64_t kx0, kx1;
                kernel_range(j, g->sw, g->pl, g->kw, g->ow, &kx0, &kx1);
                if (ky0 > 0 || ky1 < g->kh || kx0 > 0 || kx1 < g->kw)
                    memset(row, 0, (size_t)g->patch * sizeof *row);
                for (int64_t ky = ky0; ky < ky1 && kx0 < kx1; ky++)
                    memcpy(row + (ky * g->kw + kx0) * f,
                           image + ((i * g->sh - g->pt + ky) * g->ow + (j * g->sw - g->pl + kx0)) * f,
                           (size_t)((kx1 - kx0) * f) * sizeof *row);
            }
        }
    }
}

/* dL/dout through the activation, in place, sample by sample. */
static void activation_grad_samples(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const ctx *x = raw;
    int64_t pixels = x->g.oh * x->g.ow, f = x->g.f, offset = begin * pixels * f;
    if (x->pre != NULL)
        deep_activation_backward_input(x->c.activation, x->pre + offset, x->out + offset, (end - begin) * pixels * f);
    else
        deep_activation_backward(x->c.activation, x->y + offset, x->out + offset, (end - begin) * pixels, f);
}

static void conv2d_transpose_forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out,
                                     float *scratch, int64_t batch)
{
    ctx x = {.cols = scratch, .out = out};
    x.g = geometry_of(layer, &x.c);
    x.bias = x.c.use_bias ? layer->params[1].value : NULL;
    x.pre = pre_activations(&x.c, &x.g, scratch, batch);
    /* cols (cells, kh * kw * f) = in (cells, c) . kernel^T, the kernel read as (kh * kw * f, c). */
    deep_gemm(ex->pool, false, true, batch * x.g.cells, x.g.patch, x.g.c, 1.0f, in, layer->params[0].value, 0.0f,
              scratch);
    deep_pool_run(ex->pool, batch, scatter_samples, &x);
}

static void conv2d_transpose_backward(deep_layer *layer, const deep_exec *ex, const float *in, const float *out,
                                      float *grad_out, float *grad_in, float *scratch, int64_t batch)
{
    ctx x = {.cols = scratch, .out = grad_out, .y = out};
    x.g = geometry_of(layer, &x.c);
    x.pre = pre_activations(&x.c, &x.g, scratch, batch);
    const geometry *g = &x.g;
    int64_t rows = batch * g->oh * g->ow;
    if (!ex->fused_output)
        deep_pool_run(ex->pool, batch, activation_grad_samples, &x);
    if (x.c.use_bias) {
        float *bias_grad = layer->params[1].grad;
        memset(bias_grad, 0, (size_t)g->f * sizeof(float));
        for (int64_t r = 0; r < rows; r++)
            for (int64_t k = 0; k < g->f; k++)
                bias_grad[k] += grad_out[r * g->f + k];
    }
    deep_pool_run(ex->pool, batch, gather_samples, &x);
    /* dkernel (kh * kw * f, c) = cols^T . in; din (cells, c) = cols . kernel. */
    deep_gemm(ex->pool, true, false, g->patch, g->c, batch * g->cells, 1.0f, scratch, in, 0.0f,
              layer->params[0].grad);
    if (grad_in != NULL)
        deep_gemm(ex->pool, false, false, batch * g->cells, g->c, g->patch, 1.0f, scratch, layer->params[0].value,
                  0.0f, grad_in);
}

static const conv2d_transpose_config conv2d_transpose_defaults = {
    .strides = {1, 1}, .output_padding = {-1, -1}, .use_bias = true,
};

static const deep_layer_field conv2d_transpose_fields[] = {
    DEEP_FIELD(conv2d_transpose_config, filters, DEEP_FIELD_SIZE, .min = 1, .doc = "output channels"),
    DEEP_FIELD(conv2d_transpose_config, kernel_size, DEEP_FIELD_WINDOW, .doc = "window (height, width)"),
    DEEP_FIELD(conv2d_transpose_config, strides, DEEP_FIELD_STRIDES,
               .doc = "steps of the window (height, width): the upsampling factors"),
    DEEP_FIELD(conv2d_transpose_config, padding, DEEP_FIELD_PADDING,
               .doc = "valid: (in - 1) * stride + max(kernel, stride); same: in * stride"),
    DEEP_FIELD(conv2d_transpose_config, output_padding, DEEP_FIELD_OUTPUT_PADDING,
               .doc = "None: inferred; else each in 0..stride - 1, the output size's last term (Keras' formulas)"),
    DEEP_FIELD(conv2d_transpose_config, activation, DEEP_FIELD_ACTIVATION, .doc = "applied to the output"),
    DEEP_FIELD(conv2d_transpose_config, use_bias, DEEP_FIELD_BOOL, .doc = "adds a bias per filter"),
};

const deep_layer_ops deep_conv2d_transpose_ops = {
    .type = "conv2d_transpose",
    .class_name = "Conv2DTranspose",
    .config_size = sizeof(conv2d_transpose_config),
    .defaults = &conv2d_transpose_defaults,
    DEEP_FIELDS(conv2d_transpose_fields),
    .check = conv2d_transpose_check,
    .build = conv2d_transpose_build,
    .init = conv2d_transpose_init,
    .forward = conv2d_transpose_forward,
    .backward = conv2d_transpose_backward,
};

deep_status deep_model_add_conv2d_transpose(deep_model *model, int64_t filters, int64_t kernel_h, int64_t kernel_w,
                                            int64_t stride_h, int64_t stride_w, deep_padding padding,
                                            int64_t output_padding_h, int64_t output_padding_w,
                                            deep_activation activation, int32_t use_bias)
{
    conv2d_transpose_config c = {.filters = filters, .kernel_size = {kernel_h, kernel_w},
                                 .strides = {stride_h, stride_w}, .padding = padding,
                                 .output_padding = {output_padding_h, output_padding_w}, .activation = activation,
                                 .use_bias = use_bias != 0};
    return deep_layer_append(model, &deep_conv2d_transpose_ops, &c, false, __func__, NULL);
}
