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
#include "layers/layer.h"

#include "check_helpers.h"
/* As test_cnn_layers.c: a step of 1e-2 on values within [-1, 1], the loss summed in double. */
#define GRADCHECK_STEP 1e-2f
#define GRADCHECK_REL_TOL 1e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"

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
        {"padding 2", 2, 3, 3, 1, 1, (deep_padding)2, NONE, NONE, DEEP_ERR_INVALID_ARGUMENT, "unknown padding 2"},
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
        deep_model *m = i >= 8 ? one : model;
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
    tc = tcase_create("models");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, conv2d_transpose_autoencoder_trains_and_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(spatial_suite(), CK_ENV);
}
