/* Tests of the layers that change the spatial size of (height, width, channels) samples:
 * Conv2DTranspose, UpSampling2D, ZeroPadding2D and Cropping2D.
 *
 * As in test_cnn_layers.c, most tests drive one layer through its ops table (the test owns
 * the parameter memory and calls forward/backward as the model would), checking shapes and
 * values against references written from Keras' definitions and against fixed numbers
 * computed with NumPy, and every gradient against finite differences (gradcheck.h); the
 * last tests go through the public API: misuse, and small models trained end to end and
 * saved. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "graph/model.h"
#include "layers/layer.h"

#include "check_helpers.h"
/* As test_cnn_layers.c: a step of 1e-2 on values within [-1, 1], the loss summed in double. */
#define GRADCHECK_STEP 1e-2f
#define GRADCHECK_REL_TOL 1e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"
#include "header_enums.h"

#define VALID DEEP_PADDING_VALID
#define SAME DEEP_PADDING_SAME
#define LINEAR DEEP_ACTIVATION_LINEAR
#define RELU DEEP_ACTIVATION_RELU
#define TANH DEEP_ACTIVATION_TANH
#define NONE -1 /* output_padding: Keras' None */

/* Builds the layer and gives every parameter memory of its own, filled from `seed`. */
static void layer_setup(deep_layer *layer, const int64_t *in_shape, uint64_t seed, float lo, float hi)
{
    layer_build_and_alloc(layer, 3, in_shape);
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    for (int32_t p = 0; p < layer->param_count; p++)
        fill_uniform(&rng, layer->params[p].value, layer->params[p].size, lo, hi);
}

/* A layer of `ops` with the type's private config struct copied in, as the model does. */
static deep_layer layer_of(const deep_layer_ops *ops, const void *config, size_t size)
{
    deep_layer layer = {.ops = ops};
    memcpy(layer.cfg.bytes, config, size);
    return layer;
}

static deep_model *image_model(int64_t h, int64_t w, int64_t c)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(3, (int64_t[]){h, w, c}, &model));
    return model;
}

static int32_t layer_count(const deep_model *model)
{
    int32_t count = -1;
    ASSERT_OK(deep_model_layer_count(model, &count));
    return count;
}

static void assert_out_shape(const deep_layer *layer, const char *what, int64_t h, int64_t w, int64_t c)
{
    ck_assert_msg(layer->out_rank == 3 && layer->out_shape[0] == h && layer->out_shape[1] == w &&
                      layer->out_shape[2] == c,
                  "%s: output (%lld, %lld, %lld) of rank %d, Keras gives (%lld, %lld, %lld)", what,
                  (long long)layer->out_shape[0], (long long)layer->out_shape[1], (long long)layer->out_shape[2],
                  (int)layer->out_rank, (long long)h, (long long)w, (long long)c);
}

/* ----------------------------------------------------------------------------------- */
/* Conv2DTranspose                                                                        */
/* ----------------------------------------------------------------------------------- */

/* The layer's private config, as its file declares it (the test builds layers directly). */
typedef struct conv2d_transpose_config {
    int64_t filters;
    int64_t kernel_size[2], strides[2];
    deep_padding padding;
    int64_t output_padding[2];
    deep_activation activation;
    bool use_bias;
} conv2d_transpose_config;

typedef struct transpose_case {
    const char *what;
    int64_t h, w, c, filters, kh, kw, sh, sw;
    deep_padding padding;
    int64_t oph, opw; /* NONE: Keras' None */
    deep_activation activation;
    bool use_bias;
    int64_t oh, ow; /* Keras' output size, worked out by hand from its formulas */
} transpose_case;

static const transpose_case transpose_cases[] = {
    /* valid: (in - 1) * s + k + op, op None = max(k, s) - k */
    {"3x3 valid stride 1, linear", 4, 3, 2, 3, 3, 3, 1, 1, VALID, NONE, NONE, LINEAR, true, 6, 5},
    {"3x3 valid stride 2, tanh", 3, 4, 2, 2, 3, 3, 2, 2, VALID, NONE, NONE, TANH, true, 7, 9},
    {"2x2 valid stride 3 (kernel below the stride: gaps), linear", 3, 2, 1, 2, 2, 2, 3, 3, VALID, NONE, NONE,
     LINEAR, true, 9, 6},
    {"3x2 valid strides (2, 3) output_padding (1, 2), tanh", 3, 3, 2, 2, 3, 2, 2, 3, VALID, 1, 2, TANH, true, 8, 10},
    /* relu's gradient check needs every pre-activation away from the kink: few outputs. */
    {"2x2 valid stride 2, relu", 2, 2, 1, 1, 2, 2, 2, 2, VALID, NONE, NONE, RELU, true, 4, 4},
    /* same: in * s, or (in - 1) * s + k % 2 + op */
    {"3x3 same stride 2 (the autoencoder's decoder), linear", 4, 4, 3, 2, 3, 3, 2, 2, SAME, NONE, NONE, LINEAR, true,
     8, 8},
    {"4x4 same stride 2 (cropped 1 before), linear", 3, 3, 2, 2, 4, 4, 2, 2, SAME, NONE, NONE, LINEAR, true, 6, 6},
    {"3x3 same stride 1, tanh, no bias", 4, 5, 2, 2, 3, 3, 1, 1, SAME, NONE, NONE, TANH, false, 4, 5},
    {"3x3 same stride 2 output_padding (1, 0), linear", 2, 3, 2, 2, 3, 3, 2, 2, SAME, 1, 0, LINEAR, true, 4, 5},
    {"2x2 same stride 2 output_padding (1, 1) (even kernel), linear", 3, 3, 1, 2, 2, 2, 2, 2, SAME, 1, 1, LINEAR,
     true, 5, 5},
    {"5x5 same stride 2 on 1x2, gelu", 1, 2, 2, 3, 5, 5, 2, 2, SAME, NONE, NONE, DEEP_ACTIVATION_GELU, true, 2, 4},
    {"1x1 valid stride 2, silu, no bias", 3, 3, 3, 2, 1, 1, 2, 2, VALID, NONE, NONE, DEEP_ACTIVATION_SILU, false, 6,
     6},
};

static deep_layer transpose_layer(const transpose_case *tc)
{
    conv2d_transpose_config c = {.filters = tc->filters, .kernel_size = {tc->kh, tc->kw},
                                 .strides = {tc->sh, tc->sw}, .padding = tc->padding,
                                 .output_padding = {tc->oph, tc->opw}, .activation = tc->activation,
                                 .use_bias = tc->use_bias};
    return layer_of(&deep_conv2d_transpose_ops, &c, sizeof c);
}

static void transpose_setup(deep_layer *layer, const transpose_case *tc, uint64_t seed)
{
    *layer = transpose_layer(tc);
    layer_setup(layer, (int64_t[]){tc->h, tc->w, tc->c}, seed, -0.5f, 0.5f);
}

static double reference_activation(deep_activation activation, double x)
{
    switch (activation) {
    case DEEP_ACTIVATION_LINEAR:
        return x;
    case DEEP_ACTIVATION_RELU:
        return x > 0 ? x : 0;
    case DEEP_ACTIVATION_TANH:
        return tanh(x);
    case DEEP_ACTIVATION_GELU:
        return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case DEEP_ACTIVATION_SILU:
        return x / (1 + exp(-x));
    default:
        ck_abort_msg("no reference for activation %d", (int)activation);
        return 0;
    }
}

/* TensorFlow's conv2d_transpose, which Keras' layer is, written as its definition: the full
 * result, of (in - 1) * s + k cells per axis, has in[i, j, :] . kernel[ky, kx, f, :] added at
 * (i * s + ky, j * s + kx); the output is its window of Keras' size starting at
 * max(full - out, 0) / 2 (cells past the full result are zero). */
static void transpose_reference(const transpose_case *tc, int64_t oh, int64_t ow, bool activate, const float *in,
                                const float *kernel, const float *bias, int64_t batch, double *out)
{
    int64_t fh = (tc->h - 1) * tc->sh + tc->kh, fw = (tc->w - 1) * tc->sw + tc->kw;
    int64_t pt = fh > oh ? (fh - oh) / 2 : 0, pl = fw > ow ? (fw - ow) / 2 : 0;
    double *full = calloc((size_t)(fh * fw * tc->filters), sizeof *full);
    ck_assert_ptr_nonnull(full);
    for (int64_t s = 0; s < batch; s++) {
        memset(full, 0, (size_t)(fh * fw * tc->filters) * sizeof *full);
        for (int64_t i = 0; i < tc->h; i++)
            for (int64_t j = 0; j < tc->w; j++)
                for (int64_t ky = 0; ky < tc->kh; ky++)
                    for (int64_t kx = 0; kx < tc->kw; kx++)
                        for (int64_t f = 0; f < tc->filters; f++)
                            for (int64_t ch = 0; ch < tc->c; ch++)
                                full[((i * tc->sh + ky) * fw + j * tc->sw + kx) * tc->filters + f] +=
                                    (double)in[((s * tc->h + i) * tc->w + j) * tc->c + ch] *
                                    kernel[((ky * tc->kw + kx) * tc->filters + f) * tc->c + ch];
        for (int64_t y = 0; y < oh; y++)
            for (int64_t x = 0; x < ow; x++)
                for (int64_t f = 0; f < tc->filters; f++) {
                    int64_t fy = y + pt, fx = x + pl;
                    double v = (fy < fh && fx < fw ? full[(fy * fw + fx) * tc->filters + f] : 0.0) +
                               (bias != NULL ? bias[f] : 0.0);
                    out[((s * oh + y) * ow + x) * tc->filters + f] = activate ? reference_activation(tc->activation, v)
                                                                              : v;
                }
    }
    free(full);
}

START_TEST(conv2d_transpose_build_follows_keras_shapes)
{
    const transpose_case *tc = &transpose_cases[_i];
    deep_layer layer = transpose_layer(tc);
    deep_status status = layer_try_build(&layer, 3, (int64_t[]){tc->h, tc->w, tc->c});
    ck_assert_msg(status == DEEP_OK, "%s: build failed: %s", tc->what, deep_last_error());
    assert_out_shape(&layer, tc->what, tc->oh, tc->ow, tc->filters);
    ck_assert_int_eq(layer.param_count, tc->use_bias ? 2 : 1);
    const deep_param *kernel = &layer.params[0];
    ck_assert_str_eq(kernel->name, "kernel");
    ck_assert_msg(kernel->rank == 4 && kernel->shape[0] == tc->kh && kernel->shape[1] == tc->kw &&
                      kernel->shape[2] == tc->filters && kernel->shape[3] == tc->c && kernel->trainable,
                  "%s: kernel is not a trainable (kh, kw, filters, channels) tensor, as Keras stores it", tc->what);
    if (tc->use_bias)
        ck_assert_msg(strcmp(layer.params[1].name, "bias") == 0 && layer.params[1].rank == 1 &&
                          layer.params[1].size == tc->filters,
                      "%s: bias is not a (filters,) tensor", tc->what);
}
END_TEST

START_TEST(conv2d_transpose_forward_matches_definition)
{
    enum { BATCH = 3 };
    const transpose_case *tc = &transpose_cases[_i];
    deep_layer layer;
    transpose_setup(&layer, tc, 100 + (uint64_t)_i);
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    float *scratch = layer_scratch(&layer, BATCH);
    double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
    struct deep_rng rng;
    deep_rng_init(&rng, 200 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    layer.ops->forward(&layer, &(deep_exec){0}, in, out, scratch, BATCH);
    transpose_reference(tc, tc->oh, tc->ow, true, in, layer.params[0].value,
                        tc->use_bias ? layer.params[1].value : NULL, BATCH, want);
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        ck_assert_msg(within(out[i], want[i], 1e-5, 1e-5), "%s: output %lld is %.7g, the definition gives %.7g",
                      tc->what, (long long)i, (double)out[i], want[i]);
    free(want);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* Fixed numbers from NumPy, independent of the reference above: x (2, 3, 2) = (arange(12) -
 * 5) / 4, kernel (3, 3, 2, 2) = ((arange(36) * 7) % 11 - 5) / 8, strides 2, no bias; each
 * output is NumPy's full transposed convolution (np.einsum('abfc,c->abf', w, x[i, j]) added
 * at [2i:2i+3, 2j:2j+3]) cropped to Keras' size from max(full - out, 0) // 2. The values are
 * multiples of 1/32, exact in float. */
START_TEST(conv2d_transpose_matches_numpy)
{
    static const struct {
        deep_padding padding;
        int64_t oph, opw, oh, ow;
        float want[70];
    } cases[] = {
        {SAME, NONE, NONE, 4, 6,
         {0.53125f, -0.3125f, 0.21875f, -0.625f, 0.59375f, 0.65625f, 0.09375f, -0.375f, 0.34375f, 0.46875f,
          -0.03125f, -0.125f, -0.0625f, -0.90625f, -0.03125f, 0.5f, -0.40625f, 0, 0.03125f, 0.25f, -0.28125f,
          0.1875f, 0.09375f, 0, -0.34375f, 0.46875f, -0.78125f, 0.375f, 0.5f, 0.125f, -0.65625f, 0.5625f, 0.0625f,
          -0.1875f, -0.53125f, 0.75f, -0.0625f, 0.21875f, 0.15625f, -0.25f, -0.03125f, 0.5625f, 0.21875f, -0.5f,
          0.09375f, 0.75f, 0.28125f, -0.75f}},
        {VALID, NONE, NONE, 5, 7,
         {0.53125f, -0.3125f, 0.21875f, -0.625f, 0.59375f, 0.65625f, 0.09375f, -0.375f, 0.34375f, 0.46875f,
          -0.03125f, -0.125f, 0.125f, 0.03125f, -0.0625f, -0.90625f, -0.03125f, 0.5f, -0.40625f, 0, 0.03125f, 0.25f,
          -0.28125f, 0.1875f, 0.09375f, 0, -0.09375f, 0.15625f, -0.34375f, 0.46875f, -0.78125f, 0.375f, 0.5f,
          0.125f, -0.65625f, 0.5625f, 0.0625f, -0.1875f, -0.53125f, 0.75f, -0.03125f, -1.15625f, -0.0625f,
          0.21875f, 0.15625f, -0.25f, -0.03125f, 0.5625f, 0.21875f, -0.5f, 0.09375f, 0.75f, 0.28125f, -0.75f,
          0.28125f, -0.40625f, 0.25f, -0.15625f, 0.125f, 0.0625f, 0.09375f, -0.34375f, 0.375f, 0, -0.09375f,
          -0.46875f, 0.625f, -0.0625f, -1.09375f, -0.0625f}},
        {SAME, 1, 0, 4, 5,
         {0.21875f, -0.625f, 0.59375f, 0.65625f, 0.09375f, -0.375f, 0.34375f, 0.46875f, -0.03125f, -0.125f,
          -0.03125f, 0.5f, -0.40625f, 0, 0.03125f, 0.25f, -0.28125f, 0.1875f, 0.09375f, 0, -0.78125f, 0.375f, 0.5f,
          0.125f, -0.65625f, 0.5625f, 0.0625f, -0.1875f, -0.53125f, 0.75f, 0.15625f, -0.25f, -0.03125f, 0.5625f,
          0.21875f, -0.5f, 0.09375f, 0.75f, 0.28125f, -0.75f}},
    };
    float in[12], kernel[36];
    for (int i = 0; i < 12; i++)
        in[i] = (float)(i - 5) / 4.0f;
    for (int i = 0; i < 36; i++)
        kernel[i] = (float)((i * 7) % 11 - 5) / 8.0f;
    for (int k = 0; k < COUNT_OF(cases); k++) {
        conv2d_transpose_config c = {.filters = 2, .kernel_size = {3, 3}, .strides = {2, 2},
                                     .padding = cases[k].padding, .output_padding = {cases[k].oph, cases[k].opw}};
        deep_layer layer = layer_of(&deep_conv2d_transpose_ops, &c, sizeof c);
        layer_build_and_alloc(&layer, 3, (int64_t[]){2, 3, 2});
        assert_out_shape(&layer, "NumPy case", cases[k].oh, cases[k].ow, 2);
        memcpy(layer.params[0].value, kernel, sizeof kernel);
        float *out = floats(layer.out_size), *scratch = layer_scratch(&layer, 1);
        layer.ops->forward(&layer, &(deep_exec){0}, in, out, scratch, 1);
        for (int64_t i = 0; i < layer.out_size; i++)
            ck_assert_msg(fabsf(out[i] - cases[k].want[i]) <= 1e-6f, "case %d: output %lld is %.7g, NumPy gives %.7g",
                          k, (long long)i, (double)out[i], (double)cases[k].want[i]);
        free(out);
        free(scratch);
        layer_release(&layer);
    }
}
END_TEST

/* Draws inputs in [-1, 1) until every pre-activation is away from relu's kink. */
static void draw_transpose_inputs(const transpose_case *tc, const deep_layer *layer, struct deep_rng *rng, float *in,
                                  int64_t batch)
{
    double *z = malloc((size_t)(batch * layer->out_size) * sizeof *z);
    ck_assert_ptr_nonnull(z);
    for (int attempt = 0; attempt < 1000; attempt++) {
        fill_uniform(rng, in, batch * layer->in_size, -1.0f, 1.0f);
        if (tc->activation != RELU)
            break;
        transpose_reference(tc, tc->oh, tc->ow, false, in, layer->params[0].value,
                            tc->use_bias ? layer->params[1].value : NULL, batch, z);
        double smallest = INFINITY;
        for (int64_t i = 0; i < batch * layer->out_size; i++)
            smallest = fmin(smallest, fabs(z[i]));
        if (smallest > 2 * GRADCHECK_STEP)
            break;
        ck_assert_msg(attempt < 999, "%s: no inputs found away from relu's kink", tc->what);
    }
    free(z);
}

START_TEST(conv2d_transpose_gradients)
{
    enum { BATCH = 2 };
    const transpose_case *tc = &transpose_cases[_i];
    deep_layer layer;
    transpose_setup(&layer, tc, 300 + (uint64_t)_i);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 400 + (uint64_t)_i);
    draw_transpose_inputs(tc, &layer, &rng, in, BATCH);
    grad_check gc = {.what = tc->what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

START_TEST(conv2d_transpose_init_glorot_uniform_and_zero_bias)
{
    const transpose_case *tc = &transpose_cases[5]; /* 3x3, 3 channels, 2 filters */
    deep_layer layer;
    transpose_setup(&layer, tc, 1);
    for (int32_t p = 0; p < layer.param_count; p++)
        for (int64_t i = 0; i < layer.params[p].size; i++)
            layer.params[p].value[i] = 5.0f;
    struct deep_rng rng;
    deep_rng_init(&rng, 42);
    layer.ops->init(&layer, &rng);
    double limit = sqrt(6.0 / (9.0 * 2 + 9.0 * 3)); /* fans: receptive field times filters / channels */
    double largest = 0;
    for (int64_t i = 0; i < layer.params[0].size; i++) {
        double v = layer.params[0].value[i];
        ck_assert_msg(fabs(v) <= limit, "kernel[%lld] = %g is outside the Glorot limit %g", (long long)i, v, limit);
        largest = fmax(largest, fabs(v));
    }
    ck_assert_msg(largest > 0.5 * limit, "the kernel does not spread over the Glorot range (max |w| %g)", largest);
    for (int64_t i = 0; i < layer.params[1].size; i++)
        ck_assert_msg(layer.params[1].value[i] == 0.0f, "bias[%lld] = %g, not zero", (long long)i,
                      (double)layer.params[1].value[i]);
    layer_release(&layer);
}
END_TEST

/* The model's threads split the batch and the products; the results must not depend on it. */
START_TEST(conv2d_transpose_threads_match_inline)
{
    enum { BATCH = 5 };
    deep_pool *threads = NULL;
    ASSERT_OK(deep_pool_new(2, &threads));
    deep_layer layer;
    transpose_setup(&layer, &transpose_cases[1], 11);
    int64_t n_in = BATCH * layer.in_size, n_out = BATCH * layer.out_size;
    float *in = floats(n_in), *r = floats(n_out), *out[2], *grad_in[2], *kernel_grad[2];
    struct deep_rng rng;
    deep_rng_init(&rng, 12);
    fill_uniform(&rng, in, n_in, -1.0f, 1.0f);
    fill_uniform(&rng, r, n_out, -1.0f, 1.0f);
    for (int run = 0; run < 2; run++) {
        deep_exec ex = {.pool = run ? threads : NULL, .training = true};
        float *grad_out = floats(n_out), *scratch = layer_scratch(&layer, BATCH);
        out[run] = floats(n_out);
        grad_in[run] = floats(n_in);
        kernel_grad[run] = floats(layer.params[0].size);
        memcpy(grad_out, r, (size_t)n_out * sizeof *r);
        layer.ops->forward(&layer, &ex, in, out[run], scratch, BATCH);
        layer.ops->backward(&layer, &ex, in, out[run], grad_out, grad_in[run], scratch, BATCH);
        memcpy(kernel_grad[run], layer.params[0].grad, (size_t)layer.params[0].size * sizeof(float));
        free(grad_out);
        free(scratch);
    }
    for (int64_t i = 0; i < n_out; i++)
        ck_assert_msg(within(out[0][i], out[1][i], 1e-6, 1e-6), "output %lld differs with 2 threads", (long long)i);
    for (int64_t i = 0; i < n_in; i++)
        ck_assert_msg(within(grad_in[0][i], grad_in[1][i], 1e-5, 1e-6), "dL/din %lld differs with 2 threads",
                      (long long)i);
    for (int64_t i = 0; i < layer.params[0].size; i++)
        ck_assert_msg(within(kernel_grad[0][i], kernel_grad[1][i], 1e-5, 1e-6), "dL/dkernel %lld differs",
                      (long long)i);
    for (int run = 0; run < 2; run++) {
        free(out[run]);
        free(grad_in[run]);
        free(kernel_grad[run]);
    }
    free(in);
    free(r);
    layer_release(&layer);
    deep_pool_free(threads);
}
END_TEST

START_TEST(conv2d_transpose_misuse)
{
    static const char fn[] = "deep_model_add_conv2d_transpose";
    deep_model *model = image_model(4, 4, 2);
    static const struct {
        const char *what;
        int64_t filters, kh, kw, sh, sw;
        deep_padding padding;
        int64_t oph, opw;
        deep_status want;
        const char *message;
    } cases[] = {
        {"0 filters", 0, 3, 3, 1, 1, VALID, NONE, NONE, DEEP_ERR_INVALID_ARGUMENT, "filters is 0"},
        {"kernel height 0", 2, 0, 3, 1, 1, VALID, NONE, NONE, DEEP_ERR_INVALID_ARGUMENT, "kernel size 0 x 3"},
        {"stride width -1", 2, 3, 3, 1, -1, SAME, NONE, NONE, DEEP_ERR_INVALID_ARGUMENT, "strides 1 x -1"},
        {"padding 3", 2, 3, 3, 1, 1, (deep_padding)3, NONE, NONE, DEEP_ERR_INVALID_ARGUMENT, "unknown padding 3"},
        {"causal padding", 2, 3, 3, 1, 1, DEEP_PADDING_CAUSAL, NONE, NONE, DEEP_ERR_INVALID_ARGUMENT, "only for Conv1D"},
        {"output_padding equal to the stride", 2, 3, 3, 2, 2, SAME, 1, 2, DEEP_ERR_INVALID_ARGUMENT,
         "output_padding 1 x 2 must be below the strides 2 x 2"},
        {"output_padding with stride 1", 2, 3, 3, 1, 1, VALID, 1, 0, DEEP_ERR_INVALID_ARGUMENT,
         "must be below the strides 1 x 1"},
        {"output_padding half None", 2, 3, 3, 2, 2, SAME, NONE, 0, DEEP_ERR_INVALID_ARGUMENT,
         "output_padding -1 x 0 must be -1 x -1 (None: inferred) or in 0..2147483647"},
        {"output_padding -2", 2, 3, 3, 2, 2, SAME, -2, -2, DEEP_ERR_INVALID_ARGUMENT, "output_padding -2 x -2"},
        {"an output height of 0 (same, even kernel, output_padding 0, on a 1-cell axis)", 2, 2, 2, 1, 1, SAME, 0, 0,
         DEEP_ERR_SHAPE, "layer 0 (conv2d_transpose): kernel_size 2, strides 1 and output_padding 0 with 'same' "
                         "padding give an output height of 0 from the input height 1"},
        {"an output beyond the size limit", 2, INT64_MAX, 3, 1, 1, VALID, NONE, NONE, DEEP_ERR_OVERFLOW,
         "layer 0 (conv2d_transpose): kernel_size 9223372036854775807 and strides 1 over the input height 1"},
        {"a huge stride", 1, 1, 1, 1, DEEP_MAX_LAYER_SIZE, SAME, NONE, NONE, DEEP_ERR_OVERFLOW,
         "kernel_size 1 and strides 2147483647 over the input width 4 give an output width above 2147483647"},
        {"an output of too many elements", 2, 1, 1, 1, DEEP_MAX_LAYER_SIZE / 4, SAME, NONE, NONE, DEEP_ERR_OVERFLOW,
         "has more than 2147483647 elements per sample"},
    };
    deep_model *one = image_model(1, 4, 2); /* the last three cases need a 1-cell height */
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *m = i >= 9 ? one : model;
        deep_clear_error();
        deep_status status = deep_model_add_conv2d_transpose(m, cases[i].filters, cases[i].kh, cases[i].kw,
                                                             cases[i].sh, cases[i].sw, cases[i].padding, cases[i].oph,
                                                             cases[i].opw, RELU, 1);
        ck_assert_msg(status == cases[i].want, "%s: got %s (%s)", cases[i].what, deep_status_string(status),
                      deep_last_error());
        ck_assert_msg(strstr(deep_last_error(), fn) != NULL && strstr(deep_last_error(), cases[i].message) != NULL,
                      "%s: the message lacks \"%s\": %s", cases[i].what, cases[i].message, deep_last_error());
        ck_assert_int_eq(layer_count(m), 0);
    }
    ck_assert_int_eq(deep_model_add_conv2d_transpose(NULL, 2, 3, 3, 1, 1, VALID, NONE, NONE, RELU, 1), DEEP_ERR_NULL);
    ASSERT_FAILS_WITH(deep_model_add_conv2d_transpose(model, 2, 3, 3, 1, 1, VALID, NONE, NONE, (deep_activation)99, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "activation 99");
    /* Not an image: the message names the layer and the type. */
    deep_model *flat = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){8}, &flat));
    ASSERT_FAILS_WITH(deep_model_add_conv2d_transpose(flat, 2, 3, 3, 1, 1, VALID, NONE, NONE, RELU, 1),
                      DEEP_ERR_SHAPE, fn,
                      "layer 0 (conv2d_transpose): Conv2DTranspose needs (height, width, channels) inputs but gets (8,)");
    /* The model is still usable; a kernel larger than the input is fine. */
    ASSERT_OK(deep_model_add_conv2d_transpose(model, 3, 7, 7, 2, 2, SAME, 1, 1, RELU, 1)); /* 4x4 -> 8x8 */
    char summary[2048];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "conv2d_transpose (Conv2DTranspose)") != NULL &&
                      strstr(summary, "(None, 8, 8, 3)") != NULL,
                  "the summary lacks the layer or its (None, 8, 8, 3) output:\n%s", summary);
    int64_t params = 0;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ck_assert_int_eq(params, 7 * 7 * 3 * 2 + 3);
    deep_model_free(flat);
    deep_model_free(one);
    deep_model_free(model);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* UpSampling2D                                                                           */
/* ----------------------------------------------------------------------------------- */

typedef struct up_sampling2d_config {
    int64_t size[2];
    deep_interpolation interpolation;
} up_sampling2d_config;

#define NEAREST DEEP_INTERPOLATION_NEAREST
#define BILINEAR DEEP_INTERPOLATION_BILINEAR

typedef struct up_case {
    const char *what;
    int64_t h, w, c, sh, sw;
    deep_interpolation interpolation;
} up_case;

static const up_case up_cases[] = {
    {"nearest 2x2 (Keras' default) on 3x4x2", 3, 4, 2, 2, 2, NEAREST},
    {"nearest (1, 3) on 2x3x1", 2, 3, 1, 1, 3, NEAREST},
    {"nearest (3, 2) on 1x1x3", 1, 1, 3, 3, 2, NEAREST},
    {"bilinear 2x2 on 3x4x2", 3, 4, 2, 2, 2, BILINEAR},
    {"bilinear (3, 2) on 2x3x1", 2, 3, 1, 3, 2, BILINEAR},
    {"bilinear (1, 4) on 1x2x2 (one row)", 1, 2, 2, 1, 4, BILINEAR},
};

static deep_layer up_layer(int64_t sh, int64_t sw, deep_interpolation interpolation)
{
    up_sampling2d_config c = {.size = {sh, sw}, .interpolation = interpolation};
    return layer_of(&deep_up_sampling2d_ops, &c, sizeof c);
}

/* Keras' definitions: nearest takes cell (y / sh, x / sw); bilinear reads each axis at
 * (o + 0.5) / size - 0.5, clamped to [0, n - 1], linearly between its two neighbours. */
static void axis_source(int64_t o, int64_t factor, int64_t n, int64_t *i0, int64_t *i1, double *t)
{
    double x = fmin(fmax((o + 0.5) / (double)factor - 0.5, 0.0), (double)(n - 1));
    *i0 = (int64_t)floor(x);
    *i1 = *i0 + 1 < n ? *i0 + 1 : n - 1;
    *t = x - (double)*i0;
}

static double up_reference(const up_case *uc, const float *in, int64_t s, int64_t y, int64_t x, int64_t k)
{
#define AT(i, j) (double)in[((s * uc->h + (i)) * uc->w + (j)) * uc->c + k]
    if (uc->interpolation == NEAREST)
        return AT(y / uc->sh, x / uc->sw);
    int64_t y0, y1, x0, x1;
    double ty, tx;
    axis_source(y, uc->sh, uc->h, &y0, &y1, &ty);
    axis_source(x, uc->sw, uc->w, &x0, &x1, &tx);
    return (1 - ty) * ((1 - tx) * AT(y0, x0) + tx * AT(y0, x1)) + ty * ((1 - tx) * AT(y1, x0) + tx * AT(y1, x1));
#undef AT
}

START_TEST(up_sampling2d_shapes_and_values)
{
    enum { BATCH = 3 };
    const up_case *uc = &up_cases[_i];
    deep_layer layer = up_layer(uc->sh, uc->sw, uc->interpolation);
    layer_setup(&layer, (int64_t[]){uc->h, uc->w, uc->c}, 0, 0, 0);
    assert_out_shape(&layer, uc->what, uc->h * uc->sh, uc->w * uc->sw, uc->c);
    ck_assert_int_eq(layer.param_count, 0);
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 500 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    layer.ops->forward(&layer, &(deep_exec){0}, in, out, NULL, BATCH);
    for (int64_t s = 0; s < BATCH; s++)
        for (int64_t y = 0; y < layer.out_shape[0]; y++)
            for (int64_t x = 0; x < layer.out_shape[1]; x++)
                for (int64_t k = 0; k < uc->c; k++) {
                    int64_t at = ((s * layer.out_shape[0] + y) * layer.out_shape[1] + x) * uc->c + k;
                    double want = up_reference(uc, in, s, y, x, k);
                    ck_assert_msg(within(out[at], want, 1e-6, 1e-6), "%s: output (%lld, %lld, %lld, %lld) is %.7g, want %.7g",
                                  uc->what, (long long)s, (long long)y, (long long)x, (long long)k, (double)out[at], want);
                }
    free(in);
    free(out);
    layer_release(&layer);
}
END_TEST

START_TEST(up_sampling2d_gradients)
{
    enum { BATCH = 2 };
    const up_case *uc = &up_cases[_i];
    deep_layer layer = up_layer(uc->sh, uc->sw, uc->interpolation);
    layer_setup(&layer, (int64_t[]){uc->h, uc->w, uc->c}, 0, 0, 0);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 600 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    grad_check gc = {.what = uc->what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* Fixed numbers, independent of the reference above. PyTorch's documented example:
 * F.interpolate([1, 2], scale_factor=2, mode="linear", align_corners=False) is [1, 1.25,
 * 1.75, 2], which Keras' bilinear UpSampling2D gives along a row. And from NumPy: x (2, 3, 2)
 * = (arange(12) * 5 % 7 - 3) / 2, size (2, 3): y = einsum('Yh,Xw,hwc->YXc', A(2, 2),
 * A(3, 3), x), where row o of the matrix A(n, f) puts weights 1 - t and t on cells floor(u)
 * and min(floor(u) + 1, n - 1), u = max((o + 0.5) / f - 0.5, 0), t = u - floor(u). */
START_TEST(up_sampling2d_bilinear_matches_pytorch_and_numpy)
{
    deep_layer row = up_layer(1, 2, BILINEAR);
    layer_setup(&row, (int64_t[]){1, 2, 1}, 0, 0, 0);
    float pair[2] = {1.0f, 2.0f}, four[4];
    row.ops->forward(&row, &(deep_exec){0}, pair, four, NULL, 1);
    static const float torch[4] = {1.0f, 1.25f, 1.75f, 2.0f};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(four[i] == torch[i], "[1, 2] upsampled: entry %d is %g, PyTorch gives %g", i, (double)four[i],
                      (double)torch[i]);

    static const float want[4 * 9 * 2] = {
         -1.5f, 1.0f, -1.5f, 1.0f, -1.0f, 0.33333333f, -0.5f, -0.33333333f, 0.0f, -1.0f, 0.5f, -0.5f, 1.0f, 0.0f,
         1.5f, 0.5f, 1.5f, 0.5f, -1.25f, 0.375f, -1.25f, 0.375f, -0.75f, 0.0f, -0.25f, -0.375f, 0.25f, -0.75f,
         0.45833333f, -0.25f, 0.66666667f, 0.25f, 0.875f, 0.75f, 0.875f, 0.75f, -0.75f, -0.875f, -0.75f, -0.875f,
         -0.25f, -0.66666667f, 0.25f, -0.45833333f, 0.75f, -0.25f, 0.375f, 0.25f, 0.0f, 0.75f, -0.375f, 1.25f,
         -0.375f, 1.25f, -0.5f, -1.5f, -0.5f, -1.5f, 0.0f, -1.0f, 0.5f, -0.5f, 1.0f, 0.0f, 0.33333333f, 0.5f,
         -0.33333333f, 1.0f, -1.0f, 1.5f, -1.0f, 1.5f
    };
    deep_layer layer = up_layer(2, 3, BILINEAR);
    layer_setup(&layer, (int64_t[]){2, 3, 2}, 0, 0, 0);
    float in[12], out[4 * 9 * 2];
    for (int i = 0; i < 12; i++)
        in[i] = (float)(i * 5 % 7 - 3) / 2.0f;
    layer.ops->forward(&layer, &(deep_exec){0}, in, out, NULL, 1);
    for (int i = 0; i < 72; i++)
        ck_assert_msg(fabsf(out[i] - want[i]) <= 1e-6f, "output %d is %.8g, NumPy gives %.8g", i, (double)out[i],
                      (double)want[i]);
    layer_release(&layer);
    layer_release(&row);
}
END_TEST

/* Every interpolation of deep.h's enum (read from the header, so that a new one must be
 * named in the model file's table) builds, saves and loads as itself. */
START_TEST(up_sampling2d_every_interpolation_round_trips)
{
    header_enum e;
    header_enum_read("deep_interpolation", &e);
    ck_assert_int_ge(e.count, 2);
    for (int i = 0; i < e.count; i++) {
        deep_model *model = image_model(3, 2, 1), *loaded = NULL;
        ASSERT_OK(deep_model_add_up_sampling2d(model, 2, 3, (deep_interpolation)e.values[i]));
        int64_t size = 0;
        ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
        uint8_t *bytes = malloc((size_t)size);
        ck_assert_ptr_nonnull(bytes);
        ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
        ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
        up_sampling2d_config c;
        memcpy(&c, loaded->layers[0]->cfg.bytes, sizeof c);
        ck_assert_msg(c.interpolation == e.values[i] && c.size[0] == 2 && c.size[1] == 3,
                      "%s does not survive a round trip", e.names[i]);
        free(bytes);
        deep_model_free(loaded);
        deep_model_free(model);
    }
}
END_TEST

START_TEST(up_sampling2d_misuse)
{
    static const char fn[] = "deep_model_add_up_sampling2d";
    deep_model *model = image_model(4, 4, 2);
    ASSERT_FAILS_WITH(deep_model_add_up_sampling2d(model, 0, 2, NEAREST), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "size 0 x 2 must be in 1..2147483647");
    ASSERT_FAILS_WITH(deep_model_add_up_sampling2d(model, 2, -1, BILINEAR), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "size 2 x -1");
    ASSERT_FAILS_WITH(deep_model_add_up_sampling2d(model, 2, 2, (deep_interpolation)2), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "unknown interpolation 2; use nearest or bilinear");
    ASSERT_FAILS_WITH(deep_model_add_up_sampling2d(model, DEEP_MAX_LAYER_SIZE, 2, NEAREST), DEEP_ERR_OVERFLOW, fn,
                      "the output of layer 0 (up_sampling2d)");
    ck_assert_int_eq(deep_model_add_up_sampling2d(NULL, 2, 2, NEAREST), DEEP_ERR_NULL);
    deep_model *flat = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){4, 3}, &flat));
    ASSERT_FAILS_WITH(deep_model_add_up_sampling2d(flat, 2, 2, NEAREST), DEEP_ERR_SHAPE, fn,
                      "layer 0 (up_sampling2d): UpSampling2D needs (height, width, channels) inputs but gets (4, 3)");
    ck_assert_int_eq(layer_count(model), 0);
    ASSERT_OK(deep_model_add_up_sampling2d(model, 2, 2, BILINEAR));
    char summary[2048];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "up_sampling2d (UpSampling2D)") != NULL && strstr(summary, "(None, 8, 8, 2)") != NULL,
                  "the summary lacks the layer or its (None, 8, 8, 2) output:\n%s", summary);
    deep_model_free(flat);
    deep_model_free(model);
}
END_TEST

/* The batch split among threads gives the same bits (each sample is computed alone). */
START_TEST(up_sampling2d_threads_match_inline)
{
    enum { BATCH = 5 };
    deep_pool *threads = NULL;
    ASSERT_OK(deep_pool_new(2, &threads));
    for (int i = 0; i < COUNT_OF(up_cases); i++) {
        const up_case *uc = &up_cases[i];
        deep_layer layer = up_layer(uc->sh, uc->sw, uc->interpolation);
        layer_setup(&layer, (int64_t[]){uc->h, uc->w, uc->c}, 0, 0, 0);
        int64_t n_in = BATCH * layer.in_size, n_out = BATCH * layer.out_size;
        float *in = floats(n_in), *out[2] = {floats(n_out), floats(n_out)}, *grad_in[2] = {floats(n_in), floats(n_in)};
        float *r = floats(n_out);
        struct deep_rng rng;
        deep_rng_init(&rng, 13);
        fill_uniform(&rng, in, n_in, -1.0f, 1.0f);
        fill_uniform(&rng, r, n_out, -1.0f, 1.0f);
        for (int run = 0; run < 2; run++) {
            deep_exec ex = {.pool = run ? threads : NULL, .training = true};
            layer.ops->forward(&layer, &ex, in, out[run], NULL, BATCH);
            layer.ops->backward(&layer, &ex, in, out[run], r, grad_in[run], NULL, BATCH);
        }
        ck_assert_msg(memcmp(out[0], out[1], (size_t)n_out * sizeof(float)) == 0 &&
                          memcmp(grad_in[0], grad_in[1], (size_t)n_in * sizeof(float)) == 0,
                      "%s: the results differ with 2 threads", uc->what);
        for (int run = 0; run < 2; run++) {
            free(out[run]);
            free(grad_in[run]);
        }
        free(in);
        free(r);
        layer_release(&layer);
    }
    deep_pool_free(threads);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* ZeroPadding2D and Cropping2D                                                           */
/* ----------------------------------------------------------------------------------- */

/* Both types' private config: the four amounts, top, bottom, left, right. */
typedef struct sides_config {
    int64_t sides[4];
} sides_config;

typedef struct sides_case {
    const char *what;
    int64_t h, w, c, top, bottom, left, right;
} sides_case;

static const sides_case sides_cases[] = {
    {"1 on each side (ZeroPadding2D's default) on 3x4x2", 3, 4, 2, 1, 1, 1, 1},
    {"((2, 0), (0, 3)) on 4x5x1", 4, 5, 1, 2, 0, 0, 3},
    {"((0, 1), (2, 1)) on 5x4x3", 5, 4, 3, 0, 1, 2, 1},
    {"nothing on 2x3x2", 2, 3, 2, 0, 0, 0, 0},
};

/* _i runs over ZeroPadding2D then Cropping2D of every case. */
static bool pads_of(int i)
{
    return i < COUNT_OF(sides_cases);
}

static deep_layer sides_layer(bool pads, int64_t top, int64_t bottom, int64_t left, int64_t right)
{
    sides_config c = {.sides = {top, bottom, left, right}};
    return layer_of(pads ? &deep_zero_padding2d_ops : &deep_cropping2d_ops, &c, sizeof c);
}

START_TEST(padding_and_cropping_shapes_and_values)
{
    enum { BATCH = 3 };
    const sides_case *sc = &sides_cases[_i % COUNT_OF(sides_cases)];
    bool pads = pads_of(_i);
    deep_layer layer = sides_layer(pads, sc->top, sc->bottom, sc->left, sc->right);
    layer_setup(&layer, (int64_t[]){sc->h, sc->w, sc->c}, 0, 0, 0);
    int64_t dh = sc->top + sc->bottom, dw = sc->left + sc->right;
    int64_t oh = pads ? sc->h + dh : sc->h - dh, ow = pads ? sc->w + dw : sc->w - dw;
    char what[160];
    snprintf(what, sizeof what, "%s %s", layer.ops->class_name, sc->what);
    assert_out_shape(&layer, what, oh, ow, sc->c);
    ck_assert_int_eq(layer.param_count, 0);
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 700 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, 0.5f, 1.0f); /* never 0: the zeros are the padding's */
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        out[i] = NAN; /* every output must be written */
    layer.ops->forward(&layer, &(deep_exec){0}, in, out, NULL, BATCH);
    for (int64_t s = 0; s < BATCH; s++)
        for (int64_t y = 0; y < oh; y++)
            for (int64_t x = 0; x < ow; x++)
                for (int64_t k = 0; k < sc->c; k++) {
                    /* Padding: output (y, x) is input (y - top, x - left) or zero; cropping:
                     * input (y + top, x + left). */
                    int64_t iy = pads ? y - sc->top : y + sc->top, ix = pads ? x - sc->left : x + sc->left;
                    bool inside = iy >= 0 && iy < sc->h && ix >= 0 && ix < sc->w;
                    float want = inside ? in[((s * sc->h + iy) * sc->w + ix) * sc->c + k] : 0.0f;
                    float got = out[((s * oh + y) * ow + x) * sc->c + k];
                    ck_assert_msg(got == want, "%s: output (%lld, %lld, %lld, %lld) is %g, want %g", what, (long long)s,
                                  (long long)y, (long long)x, (long long)k, (double)got, (double)want);
                }
    free(in);
    free(out);
    layer_release(&layer);
}
END_TEST

START_TEST(padding_and_cropping_gradients)
{
    enum { BATCH = 2 };
    const sides_case *sc = &sides_cases[_i % COUNT_OF(sides_cases)];
    deep_layer layer = sides_layer(pads_of(_i), sc->top, sc->bottom, sc->left, sc->right);
    layer_setup(&layer, (int64_t[]){sc->h, sc->w, sc->c}, 0, 0, 0);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 800 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    char what[160];
    snprintf(what, sizeof what, "%s %s", layer.ops->class_name, sc->what);
    grad_check gc = {.what = what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* Hand-written: [[1, 2], [3, 4]] padded ((1, 0), (0, 2)), then cropped back. */
START_TEST(padding_and_cropping_by_hand)
{
    deep_model *model = image_model(2, 2, 1);
    ASSERT_OK(deep_model_add_zero_padding2d(model, 1, 0, 0, 2));
    ASSERT_OK(deep_model_add_cropping2d(model, 1, 0, 0, 1));
    deep_layer pad = *model->layers[0], crop = *model->layers[1];
    assert_out_shape(&pad, "ZeroPadding2D((1, 0), (0, 2)) of 2x2x1", 3, 4, 1);
    assert_out_shape(&crop, "Cropping2D((1, 0), (0, 1)) of 3x4x1", 2, 3, 1);
    const float in[4] = {1, 2, 3, 4};
    float padded[12], cropped[6];
    pad.ops->forward(&pad, &(deep_exec){0}, in, padded, NULL, 1);
    crop.ops->forward(&crop, &(deep_exec){0}, padded, cropped, NULL, 1);
    static const float want_padded[12] = {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0};
    static const float want_cropped[6] = {1, 2, 0, 3, 4, 0};
    ck_assert(memcmp(padded, want_padded, sizeof padded) == 0);
    ck_assert(memcmp(cropped, want_cropped, sizeof cropped) == 0);
    deep_model_free(model);
}
END_TEST

START_TEST(padding_and_cropping_misuse)
{
    static const char zp[] = "deep_model_add_zero_padding2d", cr[] = "deep_model_add_cropping2d";
    deep_model *model = image_model(4, 5, 2);
    ASSERT_FAILS_WITH(deep_model_add_zero_padding2d(model, 1, -1, 0, 0), DEEP_ERR_INVALID_ARGUMENT, zp,
                      "padding ((1, -1), (0, 0)) must be in 0..2147483647 on each side");
    ASSERT_FAILS_WITH(deep_model_add_cropping2d(model, 0, 0, INT64_MAX, 0), DEEP_ERR_INVALID_ARGUMENT, cr,
                      "cropping ((0, 0), (9223372036854775807, 0))");
    ASSERT_FAILS_WITH(deep_model_add_cropping2d(model, 2, 2, 0, 0), DEEP_ERR_SHAPE, cr,
                      "layer 0 (cropping2d): cropping (2, 2) leaves nothing of the input height 4; at least one row "
                      "must stay");
    ASSERT_FAILS_WITH(deep_model_add_cropping2d(model, 0, 0, 5, 0), DEEP_ERR_SHAPE, cr,
                      "cropping (5, 0) leaves nothing of the input width 5; at least one column must stay");
    ASSERT_FAILS_WITH(deep_model_add_zero_padding2d(model, DEEP_MAX_LAYER_SIZE, 0, 0, 0), DEEP_ERR_OVERFLOW, zp,
                      "the output of layer 0 (zero_padding2d)");
    ck_assert_int_eq(deep_model_add_zero_padding2d(NULL, 1, 1, 1, 1), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_model_add_cropping2d(NULL, 1, 1, 1, 1), DEEP_ERR_NULL);
    deep_model *flat = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){8}, &flat));
    ASSERT_FAILS_WITH(deep_model_add_zero_padding2d(flat, 1, 1, 1, 1), DEEP_ERR_SHAPE, zp,
                      "ZeroPadding2D needs (height, width, channels) inputs but gets (8,)");
    ASSERT_FAILS_WITH(deep_model_add_cropping2d(flat, 1, 1, 1, 1), DEEP_ERR_SHAPE, cr,
                      "Cropping2D needs (height, width, channels) inputs but gets (8,)");
    ck_assert_int_eq(layer_count(model), 0);
    ASSERT_OK(deep_model_add_cropping2d(model, 1, 2, 2, 2)); /* one row and one column stay */
    ASSERT_OK(deep_model_add_zero_padding2d(model, 1, 1, 1, 1));
    char summary[2048];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "cropping2d (Cropping2D)") != NULL && strstr(summary, "(None, 1, 1, 2)") != NULL &&
                      strstr(summary, "zero_padding2d (ZeroPadding2D)") != NULL &&
                      strstr(summary, "(None, 3, 3, 2)") != NULL,
                  "the summary lacks the layers or their outputs:\n%s", summary);
    deep_model_free(flat);
    deep_model_free(model);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Models end to end                                                                      */
/* ----------------------------------------------------------------------------------- */

enum { IMAGE = 8 };

/* Images of a soft blob at a random place: something an autoencoder can learn. */
static deep_dataset *blobs(int64_t n, uint64_t seed)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    float *x = floats(n * IMAGE * IMAGE);
    for (int64_t s = 0; s < n; s++) {
        double cy = 1.5 + 5.0 * deep_rng_float(&rng), cx = 1.5 + 5.0 * deep_rng_float(&rng);
        for (int64_t r = 0; r < IMAGE; r++)
            for (int64_t c = 0; c < IMAGE; c++)
                x[(s * IMAGE + r) * IMAGE + c] = (float)exp(-((r - cy) * (r - cy) + (c - cx) * (c - cx)) / 3.0);
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(n, 3, (int64_t[]){IMAGE, IMAGE, 1}, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, x, n, IMAGE * IMAGE));
    free(x);
    return data;
}

/* The convolutional autoencoder's shape in small: 8x8x1 -> Conv2D(4, 3x3, stride 2, same)
 * 4x4x4 -> `decoder` back to 8x8 -> Conv2D(1, 3x3, same, sigmoid), MSE, Adam. */
static deep_model *autoencoder(void (*decoder)(deep_model *))
{
    deep_model *model = image_model(IMAGE, IMAGE, 1);
    ASSERT_OK(deep_model_set_seed(model, 5));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_add_conv2d(model, 4, 3, 3, 2, 2, SAME, RELU, 1));
    decoder(model);
    ASSERT_OK(deep_model_add_conv2d(model, 1, 3, 3, 1, 1, SAME, DEEP_ACTIVATION_SIGMOID, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.01f));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    return model;
}

/* Trains for a few epochs: the loss must fall well below the first epoch's, and the saved
 * and reloaded model must predict bit for bit what the trained one does. */
static void trains_and_round_trips(const char *what, void (*decoder)(deep_model *))
{
    deep_dataset *train = blobs(64, 1), *test = blobs(16, 2);
    deep_model *model = autoencoder(decoder);
    ASSERT_OK(deep_model_fit(model, train, 20, 16, NULL));
    int64_t epochs = 0;
    ASSERT_OK(deep_model_history_length(model, &epochs));
    ck_assert_int_eq(epochs, 20);
    double first = 0, last = 0;
    ASSERT_OK(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &first));
    ASSERT_OK(deep_model_history(model, 19, DEEP_METRIC_LOSS, 0, &last));
    ck_assert_msg(last < 0.5 * first, "%s: the loss went from %g to %g in 20 epochs", what, first, last);

    deep_tensor *x = NULL, *y1 = NULL, *y2 = NULL;
    ASSERT_OK(deep_dataset_features(test, &x));
    ASSERT_OK(deep_model_predict(model, x, &y1));
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    ASSERT_OK(deep_model_predict(loaded, x, &y2));
    int64_t n = 0;
    ASSERT_OK(deep_tensor_size(y1, &n));
    ck_assert_int_eq(n, 16 * IMAGE * IMAGE);
    float *a = floats(n), *b = floats(n);
    ASSERT_OK(deep_tensor_copy_to(y1, a, n));
    ASSERT_OK(deep_tensor_copy_to(y2, b, n));
    ck_assert_msg(memcmp(a, b, (size_t)n * sizeof *a) == 0, "%s: the reloaded model predicts otherwise", what);
    free(a);
    free(b);
    free(bytes);
    deep_tensor_free(x);
    deep_tensor_free(y1);
    deep_tensor_free(y2);
    deep_model_free(loaded);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
}

static void transpose_decoder(deep_model *m)
{
    ASSERT_OK(deep_model_add_conv2d_transpose(m, 4, 3, 3, 2, 2, SAME, NONE, NONE, RELU, 1));
}

START_TEST(conv2d_transpose_autoencoder_trains_and_round_trips)
{
    trains_and_round_trips("Conv2DTranspose decoder", transpose_decoder);
}
END_TEST

static void nearest_decoder(deep_model *m)
{
    ASSERT_OK(deep_model_add_up_sampling2d(m, 2, 2, NEAREST));
}

static void bilinear_decoder(deep_model *m)
{
    ASSERT_OK(deep_model_add_up_sampling2d(m, 2, 2, BILINEAR));
}

/* 4x4x4 padded to 6x6, transposed (valid, stride 2) to 13x13, cropped to 8x8. */
static void padded_decoder(deep_model *m)
{
    ASSERT_OK(deep_model_add_zero_padding2d(m, 1, 1, 1, 1));
    ASSERT_OK(deep_model_add_conv2d_transpose(m, 4, 3, 3, 2, 2, VALID, NONE, NONE, RELU, 1));
    ASSERT_OK(deep_model_add_cropping2d(m, 2, 3, 2, 3));
}

START_TEST(padding_and_cropping_autoencoder_trains_and_round_trips)
{
    trains_and_round_trips("ZeroPadding2D, Conv2DTranspose, Cropping2D decoder", padded_decoder);
}
END_TEST

START_TEST(up_sampling2d_autoencoders_train_and_round_trip)
{
    trains_and_round_trips("UpSampling2D nearest decoder", nearest_decoder);
    trains_and_round_trips("UpSampling2D bilinear decoder", bilinear_decoder);
}
END_TEST

/* The configs in the model file read as Keras' get_config(): None is null, pairs of pairs are
 * nested arrays. */
START_TEST(model_file_configs_read_as_keras)
{
    deep_model *model = image_model(4, 4, 1);
    ASSERT_OK(deep_model_add_conv2d_transpose(model, 2, 3, 3, 2, 2, SAME, NONE, NONE, RELU, 1));
    ASSERT_OK(deep_model_add_conv2d_transpose(model, 2, 3, 3, 2, 2, VALID, 1, 0, LINEAR, 0));
    ASSERT_OK(deep_model_add_up_sampling2d(model, 1, 2, BILINEAR));
    ASSERT_OK(deep_model_add_zero_padding2d(model, 1, 2, 0, 3));
    ASSERT_OK(deep_model_add_cropping2d(model, 0, 1, 2, 1));
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    char *bytes = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    bytes[size] = '\0';
    /* The architecture is a JSON string inside the safetensors header: its quotes are escaped. */
    static const char *const fragments[] = {
        "\\\"output_padding\\\": null",
        "\\\"output_padding\\\": [1, 0]",
        "\\\"size\\\": [1, 2], \\\"interpolation\\\": \\\"bilinear\\\"",
        "\\\"padding\\\": [[1, 2], [0, 3]]",
        "\\\"cropping\\\": [[0, 1], [2, 1]]",
    };
    for (int i = 0; i < COUNT_OF(fragments); i++) {
        bool found = false;
        for (int64_t at = 0; at + (int64_t)strlen(fragments[i]) <= size && !found; at++)
            found = memcmp(bytes + at, fragments[i], strlen(fragments[i])) == 0;
        ck_assert_msg(found, "the model file has no %s", fragments[i]);
    }
    free(bytes);
    deep_model_free(model);
}
END_TEST

/* A decoder ending in Conv2DTranspose(sigmoid) with binary cross-entropy: the loss hands the
 * layer dL/d(pre-activation) (fused), which its backward must take as it is. */
START_TEST(conv2d_transpose_output_with_binary_crossentropy_trains)
{
    deep_dataset *train = blobs(64, 3);
    deep_model *model = image_model(IMAGE, IMAGE, 1);
    ASSERT_OK(deep_model_set_seed(model, 9));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_conv2d(model, 4, 3, 3, 2, 2, SAME, RELU, 1));
    ASSERT_OK(deep_model_add_conv2d_transpose(model, 1, 3, 3, 2, 2, SAME, NONE, NONE, DEEP_ACTIVATION_SIGMOID, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.01f));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_BINARY_CROSSENTROPY, NULL, 0));
    ASSERT_OK(deep_model_fit(model, train, 20, 16, NULL));
    double first = 0, last = 0;
    ASSERT_OK(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &first));
    ASSERT_OK(deep_model_history(model, 19, DEEP_METRIC_LOSS, 0, &last));
    /* The blobs' own entropy bounds the loss from below (about 0.2): the fall is smaller. */
    ck_assert_msg(last < 0.8 * first, "binary cross-entropy went from %g to %g in 20 epochs", first, last);
    deep_model_free(model);
    deep_dataset_free(train);
}
END_TEST

static Suite *spatial_suite(void)
{
    Suite *s = suite_create("spatial_layers");
    TCase *tc = tcase_create("conv2d_transpose");
    tcase_add_loop_test(tc, conv2d_transpose_build_follows_keras_shapes, 0, COUNT_OF(transpose_cases));
    tcase_add_loop_test(tc, conv2d_transpose_forward_matches_definition, 0, COUNT_OF(transpose_cases));
    tcase_add_loop_test(tc, conv2d_transpose_gradients, 0, COUNT_OF(transpose_cases));
    tcase_add_test(tc, conv2d_transpose_matches_numpy);
    tcase_add_test(tc, conv2d_transpose_init_glorot_uniform_and_zero_bias);
    tcase_add_test(tc, conv2d_transpose_threads_match_inline);
    tcase_add_test(tc, conv2d_transpose_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("up_sampling2d");
    tcase_add_loop_test(tc, up_sampling2d_shapes_and_values, 0, COUNT_OF(up_cases));
    tcase_add_loop_test(tc, up_sampling2d_gradients, 0, COUNT_OF(up_cases));
    tcase_add_test(tc, up_sampling2d_bilinear_matches_pytorch_and_numpy);
    tcase_add_test(tc, up_sampling2d_every_interpolation_round_trips);
    tcase_add_test(tc, up_sampling2d_misuse);
    tcase_add_test(tc, up_sampling2d_threads_match_inline);
    suite_add_tcase(s, tc);
    tc = tcase_create("zero_padding2d and cropping2d");
    tcase_add_loop_test(tc, padding_and_cropping_shapes_and_values, 0, 2 * COUNT_OF(sides_cases));
    tcase_add_loop_test(tc, padding_and_cropping_gradients, 0, 2 * COUNT_OF(sides_cases));
    tcase_add_test(tc, padding_and_cropping_by_hand);
    tcase_add_test(tc, padding_and_cropping_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("models");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, conv2d_transpose_autoencoder_trains_and_round_trips);
    tcase_add_test(tc, up_sampling2d_autoencoders_train_and_round_trip);
    tcase_add_test(tc, padding_and_cropping_autoencoder_trains_and_round_trips);
    tcase_add_test(tc, model_file_configs_read_as_keras);
    tcase_add_test(tc, conv2d_transpose_output_with_binary_crossentropy_trains);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(spatial_suite(), CK_ENV);
}
