/* Tests of the convolutional layers (Conv2D, MaxPooling2D, AveragePooling2D,
 * GlobalAveragePooling2D) and BatchNormalization.
 *
 * Most tests drive one layer on its own through its ops table: the test sets the input
 * shape and the configuration, builds the layer, owns its parameter memory and calls
 * forward/backward, exactly as the model would. The last ones go through the public API:
 * misuse of deep_model_add_*, and a tiny CNN trained end to end.
 *
 * DESIGN.md: "Every trainable layer has a finite-difference gradient check in its tests."
 * One checker (grad_check_run, in gradcheck.h) serves every layer: with L = sum_i R_i * out_i
 * for a fixed random R, dL/dout = R is what backward receives, and central differences of L
 * give the numeric dL/dparam and dL/din to compare with what backward wrote. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "layers/layer.h"

#include "check_helpers.h"
/* Central differences with a step of 1e-2: the loss is summed in double, so float rounding
 * in the outputs (about 1e-7 each, over the few dozen outputs one entry touches) stays far
 * below ABS_TOL after the division by 2 * STEP. */
#define STEP 1e-2f
#define REL_TOL 1e-2
#define ABS_TOL 1e-3
/* Inputs and parameters stay within [-1, 1], so one step moves any pre-activation by at
 * most STEP: a margin of 2 * STEP keeps relu on one side of its kink, and inputs spaced by
 * more than 2 * STEP keep the same winner in every max-pooling window. */
#define KINK_MARGIN (2 * STEP)
#define DISTINCT_SPACING 0.05f

#define GRADCHECK_STEP STEP
#define GRADCHECK_REL_TOL REL_TOL
#define GRADCHECK_ABS_TOL ABS_TOL
#include "gradcheck.h"

/* n distinct values DISTINCT_SPACING apart in random order: no max-pooling ties, and no
 * finite-difference step can change a window's winner. */
static void fill_distinct(struct deep_rng *rng, float *x, int64_t n)
{
    int64_t *order = malloc((size_t)n * sizeof *order);
    ck_assert_msg(order != NULL, "out of memory");
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    deep_rng_shuffle_i64(rng, order, n);
    for (int64_t i = 0; i < n; i++)
        x[i] = ((float)order[i] - 0.5f * (float)n) * DISTINCT_SPACING;
    free(order);
}

/* Builds the layer and gives every parameter memory of its own (the model's job); the
 * values are filled deterministically from `seed`, uniform in [lo, hi). */
static void layer_setup(deep_layer *layer, int32_t in_rank, const int64_t *in_shape, uint64_t seed, float lo,
                        float hi)
{
    layer_build_and_alloc(layer, in_rank, in_shape);
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    for (int32_t p = 0; p < layer->param_count; p++)
        fill_uniform(&rng, layer->params[p].value, layer->params[p].size, lo, hi);
}

/* ----------------------------------------------------------------------------------- */
/* Direct references, written from Keras' definitions                                     */
/* ----------------------------------------------------------------------------------- */

/* Output size and padding before, per axis: `valid` fits whole windows; `same` gives
 * ceil(input / stride) and splits the total padding with the smaller half before. */
static void keras_axis(int64_t input, int64_t window, int64_t stride, deep_padding padding, int64_t *output,
                       int64_t *pad_before)
{
    if (padding == DEEP_PADDING_VALID) {
        *output = (input - window) / stride + 1;
        *pad_before = 0;
    } else {
        *output = (input + stride - 1) / stride;
        int64_t total = (*output - 1) * stride + window - input;
        *pad_before = total > 0 ? total / 2 : 0;
    }
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
    case DEEP_ACTIVATION_GELU: /* Keras' exact gelu */
        return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case DEEP_ACTIVATION_SILU:
        return x / (1 + exp(-x));
    default:
        ck_abort_msg("no reference for activation %d", (int)activation);
        return 0;
    }
}

typedef struct conv_case {
    const char *what;
    int64_t h, w, c, filters, kh, kw, sh, sw;
    deep_padding padding;
    deep_activation activation;
    bool use_bias;
    int64_t oh, ow; /* Keras' output size, worked out by hand */
} conv_case;

#define VALID DEEP_PADDING_VALID
#define SAME DEEP_PADDING_SAME
#define LINEAR DEEP_ACTIVATION_LINEAR
#define RELU DEEP_ACTIVATION_RELU
#define TANH DEEP_ACTIVATION_TANH

static const conv_case conv_cases[] = {
    {"3x3 valid stride 1, relu", 5, 5, 2, 3, 3, 3, 1, 1, VALID, RELU, true, 3, 3},
    {"3x3 same stride 1, linear", 5, 5, 2, 3, 3, 3, 1, 1, SAME, LINEAR, true, 5, 5},
    {"3x3 same stride 2 on 7x7, tanh", 7, 7, 1, 2, 3, 3, 2, 2, SAME, TANH, true, 4, 4},
    {"2x3 valid strides (2, 1), linear", 6, 5, 2, 2, 2, 3, 2, 1, VALID, LINEAR, true, 3, 3},
    {"3 channels, 4 filters, 3x3 same, relu", 5, 4, 3, 4, 3, 3, 1, 1, SAME, RELU, true, 5, 4},
    {"3x3 same without bias, tanh", 4, 6, 2, 2, 3, 3, 1, 1, SAME, TANH, false, 4, 6},
    {"3x3 valid without bias, relu", 5, 6, 2, 2, 3, 3, 1, 1, VALID, RELU, false, 3, 4},
    {"2x2 same stride 1 (padding after only), linear", 5, 5, 2, 2, 2, 2, 1, 1, SAME, LINEAR, true, 5, 5},
    {"4x4 same stride 1 (1 before, 2 after), linear", 5, 5, 1, 2, 4, 4, 1, 1, SAME, LINEAR, true, 5, 5},
    {"3x2 same strides (2, 3), tanh", 7, 8, 2, 3, 3, 2, 2, 3, SAME, TANH, true, 4, 3},
    {"1x1 valid, 3 channels", 3, 3, 3, 2, 1, 1, 1, 1, VALID, LINEAR, true, 3, 3},
    {"kernel as large as the input, tanh", 3, 3, 2, 2, 3, 3, 1, 1, VALID, TANH, true, 1, 1},
    {"2x2 valid stride 3 (gaps between windows), relu", 7, 7, 1, 2, 2, 2, 3, 3, VALID, RELU, true, 2, 2},
    /* gelu and silu take their gradient from the pre-activations kept after the rows. */
    {"3 channels, 4 filters, 3x3 same, gelu", 5, 4, 3, 4, 3, 3, 1, 1, SAME, DEEP_ACTIVATION_GELU, true, 5, 4},
    {"3x3 valid stride 2, silu", 7, 7, 2, 3, 3, 3, 2, 2, VALID, DEEP_ACTIVATION_SILU, false, 3, 3},
};

static deep_layer conv_layer(const conv_case *cc)
{
    return (deep_layer){.ops = &deep_conv2d_ops, .cfg.conv2d = {.filters = cc->filters, .kernel_size = {cc->kh, cc->kw},
                        .strides = {cc->sh, cc->sw}, .padding = cc->padding, .activation = cc->activation,
                        .use_bias = cc->use_bias}};
}

static void conv_setup(deep_layer *layer, const conv_case *cc, uint64_t seed)
{
    *layer = conv_layer(cc);
    /* Kernels in [-0.5, 0.5) keep tanh away from saturation over patches of up to 27. */
    layer_setup(layer, 3, (int64_t[]){cc->h, cc->w, cc->c}, seed, -0.5f, 0.5f);
}

/* The direct convolution, in double, loop by loop: out[s, oy, ox, f] =
 * act(bias[f] + sum over (ky, kx, ch) of in[s, oy*sh - pt + ky, ox*sw - pl + kx, ch] *
 * kernel[ky, kx, ch, f]), cells outside the input being zero. */
static void conv_reference(const conv_case *cc, bool activate, const float *in, const float *kernel,
                           const float *bias, int64_t batch, double *out)
{
    int64_t oh, ow, pt, pl;
    keras_axis(cc->h, cc->kh, cc->sh, cc->padding, &oh, &pt);
    keras_axis(cc->w, cc->kw, cc->sw, cc->padding, &ow, &pl);
    for (int64_t s = 0; s < batch; s++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                for (int64_t f = 0; f < cc->filters; f++) {
                    double sum = bias != NULL ? bias[f] : 0.0;
                    for (int64_t ky = 0; ky < cc->kh; ky++)
                        for (int64_t kx = 0; kx < cc->kw; kx++) {
                            int64_t y = oy * cc->sh - pt + ky, x = ox * cc->sw - pl + kx;
                            if (y < 0 || y >= cc->h || x < 0 || x >= cc->w)
                                continue;
                            for (int64_t ch = 0; ch < cc->c; ch++)
                                sum += (double)in[((s * cc->h + y) * cc->w + x) * cc->c + ch] *
                                       kernel[((ky * cc->kw + kx) * cc->c + ch) * cc->filters + f];
                        }
                    out[((s * oh + oy) * ow + ox) * cc->filters + f] =
                        activate ? reference_activation(cc->activation, sum) : sum;
                }
}

/* Draws inputs in [-1, 1) until every pre-activation is KINK_MARGIN away from relu's kink. */
static void draw_conv_inputs(const conv_case *cc, const deep_layer *layer, struct deep_rng *rng, float *in,
                             int64_t batch)
{
    int64_t n_out = batch * layer->out_size;
    double *z = malloc((size_t)n_out * sizeof *z);
    ck_assert_msg(z != NULL, "out of memory");
    for (int attempt = 0; attempt < 1000; attempt++) {
        fill_uniform(rng, in, batch * layer->in_size, -1.0f, 1.0f);
        if (cc->activation != DEEP_ACTIVATION_RELU)
            break;
        conv_reference(cc, false, in, layer->params[0].value, cc->use_bias ? layer->params[1].value : NULL, batch, z);
        double smallest = INFINITY;
        for (int64_t i = 0; i < n_out; i++)
            smallest = fmin(smallest, fabs(z[i]));
        if (smallest > KINK_MARGIN)
            break;
        ck_assert_msg(attempt < 999, "%s: no inputs found away from relu's kink", cc->what);
    }
    free(z);
}

/* ----------------------------------------------------------------------------------- */
/* Conv2D                                                                                 */
/* ----------------------------------------------------------------------------------- */

START_TEST(conv2d_build_follows_keras_shapes)
{
    const conv_case *cc = &conv_cases[_i];
    deep_layer layer = conv_layer(cc);
    deep_status status = layer_try_build(&layer, 3, (int64_t[]){cc->h, cc->w, cc->c});
    ck_assert_msg(status == DEEP_OK, "%s: build failed: %s", cc->what, deep_last_error());
    ck_assert_msg(layer.out_rank == 3 && layer.out_shape[0] == cc->oh && layer.out_shape[1] == cc->ow &&
                      layer.out_shape[2] == cc->filters,
                  "%s: output (%lld, %lld, %lld) of rank %d, Keras gives (%lld, %lld, %lld)", cc->what,
                  (long long)layer.out_shape[0], (long long)layer.out_shape[1], (long long)layer.out_shape[2],
                  (int)layer.out_rank, (long long)cc->oh, (long long)cc->ow, (long long)cc->filters);
    int64_t oh, ow, pt, pl;
    keras_axis(cc->h, cc->kh, cc->sh, cc->padding, &oh, &pt);
    keras_axis(cc->w, cc->kw, cc->sw, cc->padding, &ow, &pl);
    ck_assert_msg(layer.cfg.conv2d.pad[0] == pt && layer.cfg.conv2d.pad[1] == pl,
                  "%s: padding before (%lld, %lld), Keras gives (%lld, %lld)", cc->what,
                  (long long)layer.cfg.conv2d.pad[0], (long long)layer.cfg.conv2d.pad[1], (long long)pt, (long long)pl);
    ck_assert_int_eq(layer.param_count, cc->use_bias ? 2 : 1);
    const deep_param *kernel = &layer.params[0];
    ck_assert_str_eq(kernel->name, "kernel");
    ck_assert_msg(kernel->rank == 4 && kernel->shape[0] == cc->kh && kernel->shape[1] == cc->kw &&
                      kernel->shape[2] == cc->c && kernel->shape[3] == cc->filters && kernel->trainable,
                  "%s: kernel is not a trainable (kh, kw, channels, filters) tensor", cc->what);
    if (cc->use_bias) {
        ck_assert_str_eq(layer.params[1].name, "bias");
        ck_assert_msg(layer.params[1].rank == 1 && layer.params[1].size == cc->filters && layer.params[1].trainable,
                      "%s: bias is not a trainable (filters,) tensor", cc->what);
    }
}
END_TEST

START_TEST(conv2d_forward_matches_direct_convolution)
{
    enum { BATCH = 3 };
    const conv_case *cc = &conv_cases[_i];
    deep_layer layer;
    conv_setup(&layer, cc, 100 + (uint64_t)_i);
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    float *scratch = layer_scratch(&layer, BATCH);
    double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
    struct deep_rng rng;
    deep_rng_init(&rng, 200 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    deep_exec ex = {.training = false};
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    conv_reference(cc, true, in, layer.params[0].value, cc->use_bias ? layer.params[1].value : NULL, BATCH, want);
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        ck_assert_msg(within(out[i], want[i], 1e-5, 1e-5), "%s: output %lld is %.7g, the direct convolution gives %.7g",
                      cc->what, (long long)i, (double)out[i], want[i]);
    free(want);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

START_TEST(conv2d_gradients)
{
    enum { BATCH = 2 };
    const conv_case *cc = &conv_cases[_i];
    deep_layer layer;
    conv_setup(&layer, cc, 300 + (uint64_t)_i);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 400 + (uint64_t)_i);
    draw_conv_inputs(cc, &layer, &rng, in, BATCH);
    grad_check fc = {.what = cc->what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&fc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* The im2col rows are made a chunk of samples at a time, as many as the layer's scratch
 * holds. Given room for two samples' rows, a batch of three runs as a chunk of two and a
 * chunk of one: the output and every gradient (the kernel's summed over the chunks) must
 * not change. */
START_TEST(conv2d_chunks_of_samples)
{
    enum { BATCH = 3 };
    const conv_case *cc = &conv_cases[_i];
    deep_layer layer;
    conv_setup(&layer, cc, 500 + (uint64_t)_i);
    layer.scratch_fixed = 2 * cc->oh * cc->ow * cc->kh * cc->kw * cc->c;
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    float *scratch = layer_scratch(&layer, BATCH);
    double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
    struct deep_rng rng;
    deep_rng_init(&rng, 600 + (uint64_t)_i);
    draw_conv_inputs(cc, &layer, &rng, in, BATCH);
    deep_exec ex = {.training = false};
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    conv_reference(cc, true, in, layer.params[0].value, cc->use_bias ? layer.params[1].value : NULL, BATCH, want);
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        ck_assert_msg(within(out[i], want[i], 1e-5, 1e-5), "%s: output %lld is %.7g in chunks, the direct convolution gives %.7g",
                      cc->what, (long long)i, (double)out[i], want[i]);
    grad_check fc = {.what = cc->what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&fc);
    free(want);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* The rows are not kept for the whole batch: but for gelu and silu's pre-activations, a
 * Conv2D's scratch is one chunk of at most 2^18 floats (or one sample's rows, when larger),
 * whatever the batch. */
START_TEST(conv2d_scratch_does_not_grow_with_the_batch)
{
    const struct { int64_t h, c, filters, rows; } cases[] = {
        {28, 1, 32, 28 * 28 * 9},       /* 7056 floats a sample: 37 samples a chunk */
        {14, 32, 32, 14 * 14 * 288},    /* 56448: 4 samples */
        {28, 32, 8, 28 * 28 * 288},     /* 225792: 1 sample */
        {32, 32, 8, 32 * 32 * 288},     /* 294912, more than 2^18: still 1 sample */
    };
    for (size_t k = 0; k < COUNT_OF(cases); k++) {
        conv_case cc = {"scratch", cases[k].h, cases[k].h, cases[k].c, cases[k].filters, 3, 3, 1, 1, SAME, RELU, false,
                        cases[k].h, cases[k].h};
        deep_layer layer = conv_layer(&cc);
        deep_status status = layer_try_build(&layer, 3, (int64_t[]){cc.h, cc.w, cc.c});
        ck_assert_msg(status == DEEP_OK, "build failed: %s", deep_last_error());
        int64_t per_chunk = cases[k].rows > (1 << 18) ? 1 : (1 << 18) / cases[k].rows;
        ck_assert_msg(layer.scratch_size == 0 && layer.scratch_fixed == per_chunk * cases[k].rows,
                      "%lld x %lld x %lld: scratch %lld a sample + %lld, want 0 + %lld", (long long)cc.h, (long long)cc.w,
                      (long long)cc.c, (long long)layer.scratch_size, (long long)layer.scratch_fixed,
                      (long long)(per_chunk * cases[k].rows));
        layer_release(&layer);
    }
}
END_TEST

START_TEST(conv2d_init_glorot_uniform_and_zero_bias)
{
    const conv_case *cc = &conv_cases[4]; /* 3x3, 3 channels, 4 filters */
    deep_layer layer = conv_layer(cc);
    layer_setup(&layer, 3, (int64_t[]){cc->h, cc->w, cc->c}, 1, 5.0f, 6.0f);
    struct deep_rng rng;
    deep_rng_init(&rng, 42);
    layer.ops->init(&layer, &rng);
    double limit = sqrt(6.0 / (9.0 * 3 + 9.0 * 4)); /* fans: receptive field times channels / filters */
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

START_TEST(conv2d_backward_without_input_gradient)
{
    enum { BATCH = 2 };
    const conv_case *cc = &conv_cases[1];
    deep_layer layer;
    conv_setup(&layer, cc, 7);
    int64_t n_out = BATCH * layer.out_size;
    float *in = floats(BATCH * layer.in_size), *out = floats(n_out), *grad_out = floats(n_out);
    float *scratch = layer_scratch(&layer, BATCH);
    struct deep_rng rng;
    deep_rng_init(&rng, 8);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    fill_uniform(&rng, grad_out, n_out, -1.0f, 1.0f);
    /* The bias gradient is the sum of dL/dout over every pixel and sample, per filter. */
    double want[3] = {0};
    for (int64_t i = 0; i < n_out; i++)
        want[i % cc->filters] += grad_out[i];
    deep_exec ex = {.training = true};
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    layer.ops->backward(&layer, &ex, in, out, grad_out, NULL, scratch, BATCH);
    for (int f = 0; f < 3; f++)
        ck_assert_msg(within(layer.params[1].grad[f], want[f], 1e-5, 1e-5), "bias grad %d is %g, want %g", f,
                      (double)layer.params[1].grad[f], want[f]);
    free(in);
    free(out);
    free(grad_out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* Keras' output shapes of the layers a user writes first. */
START_TEST(keras_output_shapes)
{
    static const struct {
        const char *what;
        const deep_layer_ops *ops;
        int64_t units, in[3], k, s;
        deep_padding padding;
        int64_t out[3];
    } cases[] = {
        {"Conv2D(32, 3x3) valid on 28x28x1", &deep_conv2d_ops, 32, {28, 28, 1}, 3, 1, VALID, {26, 26, 32}},
        {"Conv2D(8, 3x3, stride 2) same on 7x7x3", &deep_conv2d_ops, 8, {7, 7, 3}, 3, 2, SAME, {4, 4, 8}},
        {"Conv2D(2, 5x5) same on 3x3x1 (kernel larger than the input)", &deep_conv2d_ops, 2, {3, 3, 1}, 5, 1, SAME,
         {3, 3, 2}},
        {"MaxPooling2D(2x2) on 26x26x32", &deep_max_pooling2d_ops, 0, {26, 26, 32}, 2, 2, VALID, {13, 13, 32}},
        {"MaxPooling2D(2x2) on 11x11x4", &deep_max_pooling2d_ops, 0, {11, 11, 4}, 2, 2, VALID, {5, 5, 4}},
        {"MaxPooling2D(2x2) same on 5x5x2", &deep_max_pooling2d_ops, 0, {5, 5, 2}, 2, 2, SAME, {3, 3, 2}},
        {"AveragePooling2D(2x2) on 11x11x4", &deep_average_pooling2d_ops, 0, {11, 11, 4}, 2, 2, VALID, {5, 5, 4}},
        {"AveragePooling2D(3x3, stride 2) same on 7x7x1", &deep_average_pooling2d_ops, 0, {7, 7, 1}, 3, 2, SAME,
         {4, 4, 1}},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_layer layer = {.ops = cases[i].ops};
        if (cases[i].ops == &deep_conv2d_ops)
            layer.cfg.conv2d = (deep_conv2d_config){.filters = cases[i].units, .kernel_size = {cases[i].k, cases[i].k},
                                                    .strides = {cases[i].s, cases[i].s}, .padding = cases[i].padding};
        else
            layer.cfg.pooling = (deep_pooling_config){.pool_size = {cases[i].k, cases[i].k},
                                                      .strides = {cases[i].s, cases[i].s}, .padding = cases[i].padding};
        deep_status status = layer_try_build(&layer, 3, cases[i].in);
        ck_assert_msg(status == DEEP_OK, "%s: build failed: %s", cases[i].what, deep_last_error());
        ck_assert_msg(layer.out_rank == 3 && layer.out_shape[0] == cases[i].out[0] &&
                          layer.out_shape[1] == cases[i].out[1] && layer.out_shape[2] == cases[i].out[2],
                      "%s: output (%lld, %lld, %lld), Keras gives (%lld, %lld, %lld)", cases[i].what,
                      (long long)layer.out_shape[0], (long long)layer.out_shape[1], (long long)layer.out_shape[2],
                      (long long)cases[i].out[0], (long long)cases[i].out[1], (long long)cases[i].out[2]);
    }
    deep_layer global = {.ops = &deep_global_average_pooling2d_ops};
    ck_assert_int_eq(layer_try_build(&global, 3, (int64_t[]){13, 13, 32}), DEEP_OK);
    ck_assert_msg(global.out_rank == 1 && global.out_shape[0] == 32,
                  "GlobalAveragePooling2D of (13, 13, 32) gives rank %d, first dimension %lld; Keras gives (32,)",
                  (int)global.out_rank, (long long)global.out_shape[0]);
}
END_TEST

START_TEST(image_layers_reject_other_ranks)
{
    const deep_layer_ops *ops[] = {&deep_conv2d_ops, &deep_max_pooling2d_ops, &deep_average_pooling2d_ops,
                                   &deep_global_average_pooling2d_ops};
    for (int i = 0; i < COUNT_OF(ops); i++)
        for (int32_t rank = 1; rank <= 4; rank += 1) {
            if (rank == 3)
                continue;
            deep_layer layer = {.ops = ops[i]};
            if (ops[i] == &deep_conv2d_ops)
                layer.cfg.conv2d = (deep_conv2d_config){.filters = 2, .kernel_size = {1, 1}, .strides = {1, 1}};
            else
                layer.cfg.pooling = (deep_pooling_config){.pool_size = {1, 1}, .strides = {1, 1}};
            deep_status status = layer_try_build(&layer, rank, (int64_t[]){4, 4, 4, 4});
            ck_assert_msg(status == DEEP_ERR_SHAPE, "%s on a rank-%d input gives %s, not DEEP_ERR_SHAPE",
                          ops[i]->class_name, (int)rank, deep_status_string(status));
            ck_assert_msg(strstr(deep_last_error(), ops[i]->class_name) != NULL, "the message does not name %s: %s",
                          ops[i]->class_name, deep_last_error());
        }
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Pooling                                                                                */
/* ----------------------------------------------------------------------------------- */

typedef struct pool_case {
    const char *what;
    int64_t h, w, c, kh, kw, sh, sw;
    deep_padding padding;
    int64_t oh, ow; /* Keras' output size, worked out by hand */
} pool_case;

static const pool_case pool_cases[] = {
    {"2x2, default strides, valid, on 6x6", 6, 6, 2, 2, 2, 2, 2, VALID, 3, 3},
    {"3x3 stride 2 same on 7x7 (overlapping windows)", 7, 7, 2, 3, 3, 2, 2, SAME, 4, 4},
    {"2x2 valid on 5x5 (last row and column dropped)", 5, 5, 1, 2, 2, 2, 2, VALID, 2, 2},
    {"2x2 same on 5x5 (clipped last windows)", 5, 5, 2, 2, 2, 2, 2, SAME, 3, 3},
    {"3x2 strides (1, 2) valid on 4x6", 4, 6, 1, 3, 2, 1, 2, VALID, 2, 3},
};

/* Test index _i runs over max pooling then average pooling of every case. */
static const deep_layer_ops *pool_ops_of(int i)
{
    return i < COUNT_OF(pool_cases) ? &deep_max_pooling2d_ops : &deep_average_pooling2d_ops;
}

static void pool_setup(deep_layer *layer, int i)
{
    const pool_case *pc = &pool_cases[i % COUNT_OF(pool_cases)];
    *layer = (deep_layer){.ops = pool_ops_of(i),
                          .cfg.pooling = {.pool_size = {pc->kh, pc->kw}, .strides = {pc->sh, pc->sw},
                                          .padding = pc->padding}};
    layer_setup(layer, 3, (int64_t[]){pc->h, pc->w, pc->c}, 0, 0, 0);
}

/* Max or mean over the window's cells inside the input: Keras pads max pooling with -inf
 * and averages `same` windows over the cells inside the input only. */
static void pool_reference(const pool_case *pc, bool max, const float *in, int64_t batch, double *out)
{
    int64_t oh, ow, pt, pl;
    keras_axis(pc->h, pc->kh, pc->sh, pc->padding, &oh, &pt);
    keras_axis(pc->w, pc->kw, pc->sw, pc->padding, &ow, &pl);
    for (int64_t s = 0; s < batch; s++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                for (int64_t ch = 0; ch < pc->c; ch++) {
                    double best = -INFINITY, sum = 0;
                    int cells = 0;
                    for (int64_t ky = 0; ky < pc->kh; ky++)
                        for (int64_t kx = 0; kx < pc->kw; kx++) {
                            int64_t y = oy * pc->sh - pt + ky, x = ox * pc->sw - pl + kx;
                            if (y < 0 || y >= pc->h || x < 0 || x >= pc->w)
                                continue;
                            double v = in[((s * pc->h + y) * pc->w + x) * pc->c + ch];
                            best = fmax(best, v);
                            sum += v;
                            cells++;
                        }
                    out[((s * oh + oy) * ow + ox) * pc->c + ch] = max ? best : sum / cells;
                }
}

START_TEST(pooling_shapes_and_forward_match_reference)
{
    enum { BATCH = 3 };
    const pool_case *pc = &pool_cases[_i % COUNT_OF(pool_cases)];
    bool max = pool_ops_of(_i) == &deep_max_pooling2d_ops;
    deep_layer layer;
    pool_setup(&layer, _i);
    ck_assert_msg(layer.out_rank == 3 && layer.out_shape[0] == pc->oh && layer.out_shape[1] == pc->ow &&
                      layer.out_shape[2] == pc->c,
                  "%s %s: output (%lld, %lld, %lld), Keras gives (%lld, %lld, %lld)", layer.ops->class_name,
                  pc->what, (long long)layer.out_shape[0], (long long)layer.out_shape[1],
                  (long long)layer.out_shape[2], (long long)pc->oh, (long long)pc->ow, (long long)pc->c);
    ck_assert_int_eq(layer.param_count, 0);
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    float *scratch = layer_scratch(&layer, BATCH);
    double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
    struct deep_rng rng;
    deep_rng_init(&rng, 500 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    deep_exec ex = {0};
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    pool_reference(pc, max, in, BATCH, want);
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        ck_assert_msg(within(out[i], want[i], 1e-6, 1e-6), "%s %s: output %lld is %.7g, reference %.7g",
                      layer.ops->class_name, pc->what, (long long)i, (double)out[i], want[i]);
    free(want);
    free(in);
    free(out);
    free(scratch);
    layer_release(&layer);
}
END_TEST

START_TEST(pooling_gradients)
{
    enum { BATCH = 2 };
    const pool_case *pc = &pool_cases[_i % COUNT_OF(pool_cases)];
    deep_layer layer;
    pool_setup(&layer, _i);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 600 + (uint64_t)_i);
    fill_distinct(&rng, in, BATCH * layer.in_size);
    char what[160];
    snprintf(what, sizeof what, "%s %s", layer.ops->class_name, pc->what);
    grad_check fc = {.what = what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&fc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* The winner of each window gets the whole gradient, the others nothing; where windows
 * overlap a cell collects the gradients of every window it wins. */
START_TEST(max_pooling_routes_gradient_to_winners)
{
    deep_layer layer;
    pool_setup(&layer, 1); /* 3x3 stride 2 same: overlapping windows */
    const pool_case *pc = &pool_cases[1];
    float *in = floats(layer.in_size), *out = floats(layer.out_size), *grad_out = floats(layer.out_size);
    float *grad_in = floats(layer.in_size), *scratch = layer_scratch(&layer, 1);
    double *want = calloc((size_t)layer.in_size, sizeof *want);
    struct deep_rng rng;
    deep_rng_init(&rng, 9);
    fill_distinct(&rng, in, layer.in_size);
    fill_uniform(&rng, grad_out, layer.out_size, -1.0f, 1.0f);
    int64_t oh, ow, pt, pl;
    keras_axis(pc->h, pc->kh, pc->sh, pc->padding, &oh, &pt);
    keras_axis(pc->w, pc->kw, pc->sw, pc->padding, &ow, &pl);
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++)
            for (int64_t ch = 0; ch < pc->c; ch++) {
                int64_t best = -1;
                for (int64_t y = oy * pc->sh - pt; y < oy * pc->sh - pt + pc->kh; y++)
                    for (int64_t x = ox * pc->sw - pl; x < ox * pc->sw - pl + pc->kw; x++) {
                        int64_t at = (y * pc->w + x) * pc->c + ch;
                        if (y >= 0 && y < pc->h && x >= 0 && x < pc->w && (best < 0 || in[at] > in[best]))
                            best = at;
                    }
                want[best] += grad_out[(oy * ow + ox) * pc->c + ch];
            }
    deep_exec ex = {.training = true};
    layer.ops->forward(&layer, &ex, in, out, scratch, 1);
    layer.ops->backward(&layer, &ex, in, out, grad_out, grad_in, scratch, 1);
    for (int64_t i = 0; i < layer.in_size; i++)
        ck_assert_msg(within(grad_in[i], want[i], 1e-6, 1e-6), "dL/din[%lld] is %g, want %g", (long long)i,
                      (double)grad_in[i], want[i]);
    free(want);
    free(in);
    free(out);
    free(grad_out);
    free(grad_in);
    free(scratch);
    layer_release(&layer);
}
END_TEST

START_TEST(global_average_pooling_values_and_gradient)
{
    enum { BATCH = 2, H = 3, W = 4, C = 3 };
    deep_layer layer = {.ops = &deep_global_average_pooling2d_ops};
    layer_setup(&layer, 3, (int64_t[]){H, W, C}, 0, 0, 0);
    ck_assert_msg(layer.out_rank == 1 && layer.out_shape[0] == C && layer.param_count == 0,
                  "GlobalAveragePooling2D of (3, 4, 3) gives rank %d, %lld values, %d params", (int)layer.out_rank,
                  (long long)layer.out_shape[0], (int)layer.param_count);
    float in[BATCH * H * W * C], out[BATCH * C];
    struct deep_rng rng;
    deep_rng_init(&rng, 10);
    fill_uniform(&rng, in, COUNT_OF(in), -1.0f, 1.0f);
    deep_exec ex = {0};
    float *scratch = layer_scratch(&layer, BATCH);
    layer.ops->forward(&layer, &ex, in, out, scratch, BATCH);
    for (int s = 0; s < BATCH; s++)
        for (int ch = 0; ch < C; ch++) {
            double sum = 0;
            for (int cell = 0; cell < H * W; cell++)
                sum += in[(s * H * W + cell) * C + ch];
            ck_assert_msg(within(out[s * C + ch], sum / (H * W), 1e-6, 1e-6), "sample %d channel %d: %g, mean %g", s,
                          ch, (double)out[s * C + ch], sum / (H * W));
        }
    free(scratch);
    grad_check fc = {.what = "GlobalAveragePooling2D", .layer = &layer, .ex = {.training = true}, .in = in,
                   .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&fc);
    layer_release(&layer);
}
END_TEST

/* The model's threads split the batch; the results must not depend on them. Batch 5 gives
 * the two threads unequal shares. */
START_TEST(pool_of_threads_matches_inline)
{
    enum { BATCH = 5 };
    deep_pool *threads = NULL;
    ASSERT_OK(deep_pool_new(2, &threads));
    deep_layer layers[3];
    conv_setup(&layers[0], &conv_cases[4], 11); /* 3 channels, 4 filters, same, relu */
    pool_setup(&layers[1], 1);                  /* max, 3x3 stride 2 same */
    pool_setup(&layers[2], COUNT_OF(pool_cases) + 1); /* average, the same windows */
    for (int l = 0; l < 3; l++) {
        deep_layer *layer = &layers[l];
        int64_t n_in = BATCH * layer->in_size, n_out = BATCH * layer->out_size;
        float *in = floats(n_in), *r = floats(n_out), *out[2], *grad_out[2], *grad_in[2], *scratch[2],
              *param_grads[2][DEEP_LAYER_MAX_PARAMS] = {{NULL}};
        struct deep_rng rng;
        deep_rng_init(&rng, 12);
        fill_distinct(&rng, in, n_in);
        for (int64_t i = 0; i < n_in; i++)
            in[i] *= 0.1f; /* keeps the convolution's pre-activations moderate */
        fill_uniform(&rng, r, n_out, -1.0f, 1.0f);
        for (int run = 0; run < 2; run++) {
            deep_exec ex = {.pool = run ? threads : NULL, .training = true};
            out[run] = floats(n_out);
            grad_out[run] = floats(n_out);
            grad_in[run] = floats(n_in);
            scratch[run] = layer_scratch(layer, BATCH);
            memcpy(grad_out[run], r, (size_t)n_out * sizeof *r);
            layer->ops->forward(layer, &ex, in, out[run], scratch[run], BATCH);
            layer->ops->backward(layer, &ex, in, out[run], grad_out[run], grad_in[run], scratch[run], BATCH);
            for (int32_t p = 0; p < layer->param_count; p++) {
                param_grads[run][p] = floats(layer->params[p].size);
                memcpy(param_grads[run][p], layer->params[p].grad, (size_t)layer->params[p].size * sizeof(float));
            }
        }
        ck_assert_msg(memcmp(out[0], out[1], (size_t)n_out * sizeof(float)) == 0,
                      "%s: the forward output differs with 2 threads", layer->ops->class_name);
        ck_assert_msg(memcmp(grad_in[0], grad_in[1], (size_t)n_in * sizeof(float)) == 0,
                      "%s: dL/din differs with 2 threads", layer->ops->class_name);
        for (int32_t p = 0; p < layer->param_count; p++) {
            size_t bytes = (size_t)layer->params[p].size * sizeof(float);
            ck_assert_msg(memcmp(param_grads[0][p], param_grads[1][p], bytes) == 0,
                          "%s: the %s gradient differs with 2 threads", layer->ops->class_name, layer->params[p].name);
        }
        for (int run = 0; run < 2; run++) {
            free(out[run]);
            free(grad_out[run]);
            free(grad_in[run]);
            free(scratch[run]);
            for (int32_t p = 0; p < layer->param_count; p++)
                free(param_grads[run][p]);
        }
        free(in);
        free(r);
        layer_release(layer);
    }
    deep_pool_free(threads);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* BatchNormalization                                                                     */
/* ----------------------------------------------------------------------------------- */

enum { GAMMA, BETA, MOVING_MEAN, MOVING_VARIANCE };

static const struct {
    const char *what;
    int32_t rank;
    int64_t shape[3];
    int64_t batch;
} bn_cases[] = {
    {"rank-3 input (2, 2, 3), batch 4", 3, {2, 2, 3}, 4},
    {"rank-1 input (5,), batch 6", 1, {5}, 6},
};

static void bn_setup(deep_layer *layer, int i, float momentum, float epsilon)
{
    *layer = (deep_layer){.ops = &deep_batch_normalization_ops,
                          .cfg.batch_norm = {.momentum = momentum, .epsilon = epsilon}};
    layer_setup(layer, bn_cases[i].rank, bn_cases[i].shape, 20 + (uint64_t)i, -1.0f, 1.0f);
    int64_t c = layer->params[GAMMA].size;
    struct deep_rng rng;
    deep_rng_init(&rng, 30 + (uint64_t)i);
    fill_uniform(&rng, layer->params[GAMMA].value, c, 0.5f, 1.5f);
    fill_uniform(&rng, layer->params[MOVING_VARIANCE].value, c, 0.5f, 2.0f);
}

/* Per-channel mean and biased variance of rows x c values, in double. */
static void channel_statistics(const float *in, int64_t rows, int64_t c, double *mean, double *variance)
{
    for (int64_t ch = 0; ch < c; ch++) {
        double sum = 0, squares = 0;
        for (int64_t r = 0; r < rows; r++)
            sum += in[r * c + ch];
        mean[ch] = sum / (double)rows;
        for (int64_t r = 0; r < rows; r++)
            squares += (in[r * c + ch] - mean[ch]) * (in[r * c + ch] - mean[ch]);
        variance[ch] = squares / (double)rows;
    }
}

START_TEST(batch_norm_build_declares_keras_weights)
{
    deep_layer layer = {.ops = &deep_batch_normalization_ops, .cfg.batch_norm = {.momentum = 0.99f, .epsilon = 1e-3f}};
    ck_assert_int_eq(layer_try_build(&layer, bn_cases[_i].rank, bn_cases[_i].shape), DEEP_OK);
    int64_t c = bn_cases[_i].shape[bn_cases[_i].rank - 1];
    ck_assert_msg(layer.out_rank == bn_cases[_i].rank &&
                      memcmp(layer.out_shape, bn_cases[_i].shape, (size_t)layer.out_rank * sizeof(int64_t)) == 0,
                  "%s: batch normalization changes the shape", bn_cases[_i].what);
    static const char *const names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    ck_assert_int_eq(layer.param_count, 4);
    for (int p = 0; p < 4; p++) {
        ck_assert_str_eq(layer.params[p].name, names[p]);
        ck_assert_msg(layer.params[p].rank == 1 && layer.params[p].shape[0] == c,
                      "%s: %s has rank %d and %lld entries, want (%lld,)", bn_cases[_i].what, names[p],
                      (int)layer.params[p].rank, (long long)layer.params[p].shape[0], (long long)c);
        ck_assert_msg(layer.params[p].trainable == (p < MOVING_MEAN), "%s: %s %s trainable", bn_cases[_i].what,
                      names[p], layer.params[p].trainable ? "is" : "is not");
    }
    ck_assert_msg(layer.scratch_fixed * (int64_t)sizeof(float) >= 2 * c * (int64_t)sizeof(double),
                  "%s: scratch_fixed %lld floats cannot hold the per-channel mean and deviation", bn_cases[_i].what,
                  (long long)layer.scratch_fixed);

    struct deep_rng rng;
    deep_rng_init(&rng, 1);
    for (int p = 0; p < 4; p++)
        layer.params[p].value = floats(c), layer.params[p].grad = floats(c);
    layer.ops->init(&layer, &rng);
    static const float initial[] = {1.0f, 0.0f, 0.0f, 1.0f}; /* Keras: ones, zeros, zeros, ones */
    for (int p = 0; p < 4; p++)
        for (int64_t i = 0; i < c; i++)
            ck_assert_msg(layer.params[p].value[i] == initial[p], "%s[%lld] starts at %g, Keras uses %g", names[p],
                          (long long)i, (double)layer.params[p].value[i], (double)initial[p]);
    layer_release(&layer);
}
END_TEST

START_TEST(batch_norm_training_gradients)
{
    deep_layer layer;
    bn_setup(&layer, _i, 0.9f, 1e-3f);
    int64_t batch = bn_cases[_i].batch, n = batch * layer.in_size, c = layer.params[GAMMA].size;
    float *in = floats(n);
    struct deep_rng rng;
    deep_rng_init(&rng, 40 + (uint64_t)_i);
    fill_uniform(&rng, in, n, -1.0f, 1.0f);
    grad_check fc = {.what = bn_cases[_i].what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = batch};
    ASSERT_GRADIENTS_MATCH(&fc);

    /* The moving statistics are not trained: backward writes zeros over whatever was there. */
    float *out = floats(n), *grad_out = floats(n), *grad_in = floats(n), *scratch = layer_scratch(&layer, batch);
    fill_uniform(&rng, grad_out, n, -1.0f, 1.0f);
    for (int64_t i = 0; i < c; i++)
        layer.params[MOVING_MEAN].grad[i] = layer.params[MOVING_VARIANCE].grad[i] = 7.0f;
    layer.ops->forward(&layer, &fc.ex, in, out, scratch, batch);
    layer.ops->backward(&layer, &fc.ex, in, out, grad_out, grad_in, scratch, batch);
    for (int64_t i = 0; i < c; i++)
        ck_assert_msg(layer.params[MOVING_MEAN].grad[i] == 0.0f && layer.params[MOVING_VARIANCE].grad[i] == 0.0f,
                      "%s: channel %lld: moving_mean grad %g, moving_variance grad %g; both must be 0",
                      bn_cases[_i].what, (long long)i, (double)layer.params[MOVING_MEAN].grad[i],
                      (double)layer.params[MOVING_VARIANCE].grad[i]);
    free(in);
    free(out);
    free(grad_out);
    free(grad_in);
    free(scratch);
    layer_release(&layer);
}
END_TEST

/* Training normalises with the batch statistics and moves the moving ones by
 * moving = momentum * moving + (1 - momentum) * batch statistic (biased variance). */
START_TEST(batch_norm_training_forward_and_moving_statistics)
{
    const float momentum = 0.8f, epsilon = 1e-3f;
    deep_layer layer;
    bn_setup(&layer, _i, momentum, epsilon);
    int64_t batch = bn_cases[_i].batch, n = batch * layer.in_size, c = layer.params[GAMMA].size, rows = n / c;
    float *in = floats(n), *out = floats(n), *scratch = layer_scratch(&layer, batch);
    double *mean = malloc((size_t)c * sizeof *mean), *variance = malloc((size_t)c * sizeof *variance);
    float *mean0 = floats(c), *var0 = floats(c);
    memcpy(mean0, layer.params[MOVING_MEAN].value, (size_t)c * sizeof(float));
    memcpy(var0, layer.params[MOVING_VARIANCE].value, (size_t)c * sizeof(float));
    struct deep_rng rng;
    deep_rng_init(&rng, 50 + (uint64_t)_i);
    fill_uniform(&rng, in, n, -2.0f, 3.0f);
    channel_statistics(in, rows, c, mean, variance);

    deep_exec ex = {.training = true};
    layer.ops->forward(&layer, &ex, in, out, scratch, batch);
    const float *gamma = layer.params[GAMMA].value, *beta = layer.params[BETA].value;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t ch = 0; ch < c; ch++) {
            double want = gamma[ch] * (in[r * c + ch] - mean[ch]) / sqrt(variance[ch] + epsilon) + beta[ch];
            ck_assert_msg(within(out[r * c + ch], want, 1e-5, 1e-5),
                          "%s: training output row %lld channel %lld is %.7g, want %.7g", bn_cases[_i].what,
                          (long long)r, (long long)ch, (double)out[r * c + ch], want);
        }
    for (int64_t ch = 0; ch < c; ch++) {
        double want_mean = momentum * mean0[ch] + (1.0 - momentum) * mean[ch];
        double want_var = momentum * var0[ch] + (1.0 - momentum) * variance[ch];
        ck_assert_msg(within(layer.params[MOVING_MEAN].value[ch], want_mean, 1e-5, 1e-6),
                      "%s: moving_mean[%lld] is %.7g after one step, want %.7g", bn_cases[_i].what, (long long)ch,
                      (double)layer.params[MOVING_MEAN].value[ch], want_mean);
        ck_assert_msg(within(layer.params[MOVING_VARIANCE].value[ch], want_var, 1e-5, 1e-6),
                      "%s: moving_variance[%lld] is %.7g after one step, want %.7g", bn_cases[_i].what, (long long)ch,
                      (double)layer.params[MOVING_VARIANCE].value[ch], want_var);
    }
    free(in);
    free(out);
    free(scratch);
    free(mean);
    free(variance);
    free(mean0);
    free(var0);
    layer_release(&layer);
}
END_TEST

/* Inference normalises with the moving statistics and leaves them alone. */
START_TEST(batch_norm_inference_uses_moving_statistics)
{
    const float epsilon = 1e-2f;
    deep_layer layer;
    bn_setup(&layer, _i, 0.5f, epsilon);
    int64_t batch = bn_cases[_i].batch, n = batch * layer.in_size, c = layer.params[GAMMA].size;
    float *in = floats(n), *out = floats(n), *scratch = layer_scratch(&layer, batch);
    float *mean0 = floats(c), *var0 = floats(c);
    memcpy(mean0, layer.params[MOVING_MEAN].value, (size_t)c * sizeof(float));
    memcpy(var0, layer.params[MOVING_VARIANCE].value, (size_t)c * sizeof(float));
    struct deep_rng rng;
    deep_rng_init(&rng, 60 + (uint64_t)_i);
    fill_uniform(&rng, in, n, -2.0f, 3.0f);
    deep_exec ex = {.training = false};
    layer.ops->forward(&layer, &ex, in, out, scratch, batch);
    const float *gamma = layer.params[GAMMA].value, *beta = layer.params[BETA].value;
    for (int64_t i = 0; i < n; i++) {
        int64_t ch = i % c;
        double want = gamma[ch] * (in[i] - mean0[ch]) / sqrt((double)var0[ch] + epsilon) + beta[ch];
        ck_assert_msg(within(out[i], want, 1e-5, 1e-5), "%s: inference output %lld is %.7g, want %.7g",
                      bn_cases[_i].what, (long long)i, (double)out[i], want);
    }
    ck_assert_msg(memcmp(mean0, layer.params[MOVING_MEAN].value, (size_t)c * sizeof(float)) == 0 &&
                      memcmp(var0, layer.params[MOVING_VARIANCE].value, (size_t)c * sizeof(float)) == 0,
                  "%s: inference changed the moving statistics", bn_cases[_i].what);
    free(in);
    free(out);
    free(scratch);
    free(mean0);
    free(var0);
    layer_release(&layer);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Misuse through the public API                                                          */
/* ----------------------------------------------------------------------------------- */

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

/* The call failed with `want`, its message names the public function and, when `position`
 * is not NULL, the layer's position ("layer 0"), and the model did not grow. */
static void expect_failure(deep_status got, deep_status want, const char *function, const char *position,
                           const char *what, const deep_model *model, int32_t layers_before)
{
    const char *message = deep_last_error();
    ck_assert_msg(got == want, "%s: got %s, want %s (%s)", what, deep_status_string(got), deep_status_string(want),
                  message);
    ck_assert_msg(strstr(message, function) != NULL, "%s: the message does not name %s: \"%s\"", what, function,
                  message);
    if (position != NULL)
        ck_assert_msg(strstr(message, position) != NULL, "%s: the message does not name \"%s\": \"%s\"", what,
                      position, message);
    ck_assert_msg(layer_count(model) == layers_before, "%s: the model has %d layers after a failed add, want %d", what,
                  (int)layer_count(model), (int)layers_before);
}

START_TEST(conv2d_misuse)
{
    deep_model *model = image_model(5, 5, 1);
    static const char fn[] = "deep_model_add_conv2d";
    static const struct {
        const char *what;
        int64_t filters, kh, kw, sh, sw;
        deep_padding padding;
        deep_status want;
        bool names_position; /* shape errors come from building the layer at its position */
    } cases[] = {
        {"a 6x6 kernel on a 5x5 input with valid padding", 2, 6, 6, 1, 1, VALID, DEEP_ERR_SHAPE, true},
        {"a 3x6 kernel on a 5x5 input with valid padding", 2, 3, 6, 1, 1, VALID, DEEP_ERR_SHAPE, true},
        {"0 filters", 0, 3, 3, 1, 1, VALID, DEEP_ERR_INVALID_ARGUMENT, false},
        {"-1 filters", -1, 3, 3, 1, 1, VALID, DEEP_ERR_INVALID_ARGUMENT, false},
        {"kernel height 0", 2, 0, 3, 1, 1, VALID, DEEP_ERR_INVALID_ARGUMENT, false},
        {"kernel width -2", 2, 3, -2, 1, 1, SAME, DEEP_ERR_INVALID_ARGUMENT, false},
        {"stride height 0", 2, 3, 3, 0, 1, VALID, DEEP_ERR_INVALID_ARGUMENT, false},
        {"stride width -1", 2, 3, 3, 1, -1, SAME, DEEP_ERR_INVALID_ARGUMENT, false},
        {"padding 2", 2, 3, 3, 1, 1, (deep_padding)2, DEEP_ERR_INVALID_ARGUMENT, false},
        {"padding -1", 2, 3, 3, 1, 1, (deep_padding)-1, DEEP_ERR_INVALID_ARGUMENT, false},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_clear_error();
        deep_status status = deep_model_add_conv2d(model, cases[i].filters, cases[i].kh, cases[i].kw, cases[i].sh,
                                                   cases[i].sw, cases[i].padding, DEEP_ACTIVATION_RELU, 1);
        expect_failure(status, cases[i].want, fn, cases[i].names_position ? "layer 0" : NULL, cases[i].what, model, 0);
    }
    deep_status status = deep_model_add_conv2d(model, 2, 3, 3, 1, 1, VALID, (deep_activation)99, 1);
    expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, NULL, "activation 99", model, 0);
    ck_assert_int_eq(deep_model_add_conv2d(NULL, 2, 3, 3, 1, 1, VALID, RELU, 1), DEEP_ERR_NULL);

    /* The model is still usable: a kernel larger than the input is fine with same padding. */
    ASSERT_OK(deep_model_add_conv2d(model, 2, 6, 6, 1, 1, SAME, RELU, 1));
    ASSERT_OK(deep_model_add_conv2d(model, 3, 3, 3, 1, 1, VALID, RELU, 1)); /* 5x5x2 -> 3x3x3 */
    ck_assert_int_eq(layer_count(model), 2);
    /* A failure at the third position names it. */
    status = deep_model_add_conv2d(model, 2, 4, 4, 1, 1, VALID, RELU, 1);
    expect_failure(status, DEEP_ERR_SHAPE, fn, "layer 2", "a 4x4 kernel after a 3x3 output", model, 2);
    int64_t params = 0;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ck_assert_msg(params == (6 * 6 * 1 * 2 + 2) + (3 * 3 * 2 * 3 + 3), "parameter count %lld, want %d",
                  (long long)params, (6 * 6 * 1 * 2 + 2) + (3 * 3 * 2 * 3 + 3));
    deep_model_free(model);
}
END_TEST

/* Hostile window sizes through the public API (issue #14): a kernel of 2^32 with 'same'
 * padding once overflowed the im2col size to 0 and divided by it; one of INT64_MAX was
 * accepted and compile + predict wrote far outside the buffers; a pooling stride of
 * INT64_MAX overflowed ceil(input / stride). Each is refused at the door, naming the
 * layer, the field and the input, and the model stays usable. */
START_TEST(windows_beyond_the_input_are_refused)
{
    deep_model *model = image_model(28, 28, 1);
    static const char conv[] = "deep_model_add_conv2d";
    ASSERT_FAILS_WITH(deep_model_add_conv2d(model, 1, INT64_MAX, 1, 1, 1, VALID, RELU, 1), DEEP_ERR_SHAPE, conv,
                      "layer 0 (conv2d): kernel_size 9223372036854775807 exceeds the input height 28");
    ASSERT_FAILS_WITH(deep_model_add_conv2d(model, 1, 3, INT64_MAX, 1, 1, SAME, RELU, 1), DEEP_ERR_SHAPE, conv,
                      "layer 0 (conv2d): kernel_size 9223372036854775807 exceeds the input width 28");
    ASSERT_FAILS_WITH(deep_model_add_conv2d(model, 1, INT64_C(4294967296), INT64_C(4294967296), 1, 1, SAME, RELU, 1),
                      DEEP_ERR_SHAPE, conv, "layer 0 (conv2d): kernel_size 4294967296 exceeds the input height 28");
    /* 'same' allows the input padded by its own size on each side: 57 on 28, not 58. */
    ASSERT_FAILS_WITH(deep_model_add_conv2d(model, 1, 58, 1, 1, 1, SAME, RELU, 1), DEEP_ERR_SHAPE, conv,
                      "at most 57");
    ASSERT_FAILS_WITH(deep_model_add_conv2d(model, 1, 3, 3, INT64_MAX, 1, SAME, RELU, 1), DEEP_ERR_INVALID_ARGUMENT,
                      conv, "strides 9223372036854775807 x 1 must be in 1..2147483647");
    ASSERT_FAILS_WITH(deep_model_add_conv2d(model, INT64_C(2147483648), 3, 3, 1, 1, SAME, RELU, 1),
                      DEEP_ERR_INVALID_ARGUMENT, conv, "filters is 2147483648; it must be in 1..2147483647");
    static const char max[] = "deep_model_add_max_pooling2d", avg[] = "deep_model_add_average_pooling2d";
    ASSERT_FAILS_WITH(deep_model_add_max_pooling2d(model, 2, 2, INT64_MAX, INT64_MAX, SAME), DEEP_ERR_INVALID_ARGUMENT,
                      max, "strides 9223372036854775807 x 9223372036854775807 must be in 1..2147483647");
    /* strides 0 (Keras' None) would be the pool size: the pool is what is wrong. */
    ASSERT_FAILS_WITH(deep_model_add_average_pooling2d(model, INT64_MAX, 2, 0, 1, SAME), DEEP_ERR_SHAPE, avg,
                      "pool_size 9223372036854775807 exceeds the input height 28");
    ASSERT_FAILS_WITH(deep_model_add_average_pooling2d(model, INT64_MAX, 2, 1, 1, SAME), DEEP_ERR_SHAPE, avg,
                      "layer 0 (average_pooling2d): pool_size 9223372036854775807 exceeds the input height 28");
    ck_assert_int_eq(layer_count(model), 0);

    /* The largest 'same' window and a stride beyond the input still give Keras' shapes. */
    ASSERT_OK(deep_model_add_conv2d(model, 2, 57, 57, 1, 1, SAME, RELU, 1));                 /* 28x28x2 */
    ASSERT_OK(deep_model_add_max_pooling2d(model, 2, 2, DEEP_MAX_LAYER_SIZE, 100, SAME));    /* 1x1x2 */
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_LINEAR, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(model, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    deep_tensor *x = NULL, *y = NULL;
    ASSERT_OK(deep_tensor_new_filled(4, (int64_t[]){2, 28, 28, 1}, 0.5f, &x));
    ASSERT_OK(deep_model_predict(model, x, &y));
    int64_t shape[DEEP_MAX_RANK];
    ASSERT_OK(deep_tensor_shape(y, shape, DEEP_MAX_RANK, &(int64_t){0}));
    ck_assert(shape[0] == 2 && shape[1] == 1);
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_model_free(model);

    /* A window that fits but whose im2col rows exceed CBLAS' int per sample. */
    model = image_model(2048, 2048, 1);
    ASSERT_FAILS_WITH(deep_model_add_conv2d(model, 1, 64, 64, 1, 1, SAME, RELU, 1), DEEP_ERR_OVERFLOW, conv,
                      "layer 0 (conv2d): kernel_size 64 x 64 over 1 channels at 2048 x 2048 output positions");
    deep_model_free(model);
}
END_TEST

START_TEST(pooling_misuse)
{
    typedef deep_status (*add_pool_fn)(deep_model *, int64_t, int64_t, int64_t, int64_t, deep_padding);
    static const struct {
        add_pool_fn add;
        const char *name;
    } kinds[] = {
        {deep_model_add_max_pooling2d, "deep_model_add_max_pooling2d"},
        {deep_model_add_average_pooling2d, "deep_model_add_average_pooling2d"},
    };
    static const struct {
        const char *what;
        int64_t ph, pw, sh, sw;
        deep_padding padding;
        deep_status want;
        bool names_position;
    } cases[] = {
        {"a 6x6 pool on a 5x5 input with valid padding", 6, 6, 0, 0, VALID, DEEP_ERR_SHAPE, true},
        {"a 2x6 pool on a 5x5 input with valid padding", 2, 6, 1, 1, VALID, DEEP_ERR_SHAPE, true},
        {"pool height 0", 0, 2, 1, 1, VALID, DEEP_ERR_INVALID_ARGUMENT, false},
        {"pool width -1", 2, -1, 0, 0, SAME, DEEP_ERR_INVALID_ARGUMENT, false},
        {"stride height -1", 2, 2, -1, 1, VALID, DEEP_ERR_INVALID_ARGUMENT, false},
        {"stride width -3", 2, 2, 1, -3, VALID, DEEP_ERR_INVALID_ARGUMENT, false},
        {"padding 5", 2, 2, 0, 0, (deep_padding)5, DEEP_ERR_INVALID_ARGUMENT, false},
    };
    for (int k = 0; k < COUNT_OF(kinds); k++) {
        deep_model *model = image_model(5, 5, 2);
        for (int i = 0; i < COUNT_OF(cases); i++) {
            char what[160];
            snprintf(what, sizeof what, "%s: %s", kinds[k].name, cases[i].what);
            deep_clear_error();
            deep_status status =
                kinds[k].add(model, cases[i].ph, cases[i].pw, cases[i].sh, cases[i].sw, cases[i].padding);
            expect_failure(status, cases[i].want, kinds[k].name, cases[i].names_position ? "layer 0" : NULL, what,
                           model, 0);
        }
        ck_assert_int_eq(kinds[k].add(NULL, 2, 2, 0, 0, VALID), DEEP_ERR_NULL);
        /* Strides 0 mean "the pool size": 5x5 -> 2x2 valid, then 2x2 -> 1x1. */
        ASSERT_OK(kinds[k].add(model, 2, 2, 0, 0, VALID));
        ASSERT_OK(kinds[k].add(model, 2, 2, 0, 0, SAME));
        ck_assert_int_eq(layer_count(model), 2);
        deep_status status = kinds[k].add(model, 2, 2, 0, 0, VALID);
        expect_failure(status, DEEP_ERR_SHAPE, kinds[k].name, "layer 2", "a 2x2 pool on a 1x1 output", model, 2);
        char summary[2048];
        int64_t needed = 0;
        ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
        ck_assert_msg(strstr(summary, "(None, 1, 1, 2)") != NULL, "%s: the last output is not (None, 1, 1, 2):\n%s",
                      kinds[k].name, summary);
        deep_model_free(model);
    }
}
END_TEST

/* Conv2D and the pooling layers need (height, width, channels) inputs. */
START_TEST(image_layers_after_rank_1_input)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){16}, &model));
    deep_status status = deep_model_add_conv2d(model, 2, 3, 3, 1, 1, VALID, RELU, 1);
    expect_failure(status, DEEP_ERR_SHAPE, "deep_model_add_conv2d", "layer 0", "Conv2D on a (16,) input", model, 0);
    status = deep_model_add_max_pooling2d(model, 2, 2, 0, 0, VALID);
    expect_failure(status, DEEP_ERR_SHAPE, "deep_model_add_max_pooling2d", "layer 0", "MaxPooling2D on (16,)", model,
                   0);
    status = deep_model_add_average_pooling2d(model, 2, 2, 0, 0, VALID);
    expect_failure(status, DEEP_ERR_SHAPE, "deep_model_add_average_pooling2d", "layer 0", "AveragePooling2D on (16,)",
                   model, 0);
    status = deep_model_add_global_average_pooling2d(model);
    expect_failure(status, DEEP_ERR_SHAPE, "deep_model_add_global_average_pooling2d", "layer 0",
                   "GlobalAveragePooling2D on (16,)", model, 0);
    ASSERT_OK(deep_model_add_dense(model, 4, RELU, 1));
    ASSERT_OK(deep_model_add_batch_normalization(model, 0.99f, 1e-3f)); /* rank 1 is fine for batch norm */
    ck_assert_int_eq(layer_count(model), 2);
    deep_model_free(model);

    /* After Flatten the position is 1. */
    model = image_model(4, 4, 1);
    ASSERT_OK(deep_model_add_flatten(model));
    status = deep_model_add_conv2d(model, 2, 1, 1, 1, 1, VALID, RELU, 1);
    expect_failure(status, DEEP_ERR_SHAPE, "deep_model_add_conv2d", "layer 1", "Conv2D after Flatten", model, 1);
    ck_assert_int_eq(deep_model_add_global_average_pooling2d(NULL), DEEP_ERR_NULL);
    deep_model_free(model);
}
END_TEST

START_TEST(batch_norm_misuse)
{
    deep_model *model = image_model(4, 4, 2);
    static const char fn[] = "deep_model_add_batch_normalization";
    static const struct {
        const char *what;
        float momentum, epsilon;
    } cases[] = {
        {"momentum 1.0", 1.0f, 1e-3f},       {"momentum -0.1", -0.1f, 1e-3f},
        {"momentum NaN", NAN, 1e-3f},        {"epsilon 0", 0.99f, 0.0f},
        {"epsilon -1e-3", 0.99f, -1e-3f},    {"epsilon NaN", 0.99f, NAN},
        {"epsilon infinity", 0.99f, INFINITY},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_clear_error();
        deep_status status = deep_model_add_batch_normalization(model, cases[i].momentum, cases[i].epsilon);
        expect_failure(status, DEEP_ERR_INVALID_ARGUMENT, fn, NULL, cases[i].what, model, 0);
    }
    ck_assert_int_eq(deep_model_add_batch_normalization(NULL, 0.99f, 1e-3f), DEEP_ERR_NULL);
    ASSERT_OK(deep_model_add_batch_normalization(model, 0.0f, 1e-5f)); /* momentum 0 is allowed */
    ASSERT_OK(deep_model_add_conv2d(model, 3, 3, 3, 1, 1, SAME, RELU, 0));
    ASSERT_OK(deep_model_add_batch_normalization(model, 0.99f, 1e-3f));
    ASSERT_OK(deep_model_add_global_average_pooling2d(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    ck_assert_int_eq(layer_count(model), 5);
    int64_t params = 0;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    /* 4 x 2 + (3*3*2*3 + 0) + 4 x 3 + 0 + (3*2 + 2) */
    ck_assert_msg(params == 8 + 54 + 12 + 8, "parameter count %lld, want %d", (long long)params, 8 + 54 + 12 + 8);
    int32_t weights = 0;
    ASSERT_OK(deep_model_weight_count(model, 2, &weights));
    ck_assert_int_eq(weights, 4);
    char summary[4096];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "batch_normalization_1 (BatchNormalization)") != NULL &&
                      strstr(summary, "Non-trainable params: 10") != NULL,
                  "the summary lacks the second batch norm or its 10 non-trainable statistics:\n%s", summary);
    deep_model_free(model);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* A tiny CNN end to end through the public API                                            */
/* ----------------------------------------------------------------------------------- */

enum { IMAGE = 8 };

/* Images of one bright bar, two pixels thick, on a faint noisy background: vertical
 * (class 0) or horizontal (class 1), at a random place off the border. (One-pixel bars on
 * the border leave 4 relu filters stuck in a poor optimum for about one seed in ten; these
 * are learnt from every seed tried.) */
static deep_dataset *bars(int64_t n, uint64_t seed)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    float *x = floats(n * IMAGE * IMAGE);
    int32_t *y = malloc((size_t)n * sizeof *y);
    ck_assert_msg(y != NULL, "out of memory");
    for (int64_t s = 0; s < n; s++) {
        float *image = x + s * IMAGE * IMAGE;
        y[s] = (int32_t)(s % 2);
        int64_t at = 1 + (int64_t)deep_rng_below(&rng, IMAGE - 3); /* rows or columns at, at + 1 in 1..6 */
        for (int64_t r = 0; r < IMAGE; r++)
            for (int64_t c = 0; c < IMAGE; c++) {
                bool on = y[s] == 0 ? c == at || c == at + 1 : r == at || r == at + 1;
                image[r * IMAGE + c] = on ? 0.8f + 0.2f * deep_rng_float(&rng) : 0.2f * deep_rng_float(&rng);
            }
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(n, 3, (int64_t[]){IMAGE, IMAGE, 1}, x, &data));
    ASSERT_OK(deep_dataset_set_labels(data, y, n, 2));
    free(x);
    free(y);
    return data;
}

/* Conv2D(4, 3x3, relu) -> MaxPooling2D(2x2) -> Flatten -> Dense(2, softmax), Adam. */
static deep_model *bar_model(int32_t threads)
{
    deep_model *model = image_model(IMAGE, IMAGE, 1);
    ASSERT_OK(deep_model_set_seed(model, 2024));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_conv2d(model, 4, 3, 3, 1, 1, VALID, RELU, 1));
    ASSERT_OK(deep_model_add_max_pooling2d(model, 2, 2, 0, 0, VALID));
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.02f));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1));
    return model;
}

/* The summary line of a layer, or NULL. */
static const char *summary_line(const char *summary, const char *label, char *line, size_t capacity)
{
    const char *at = strstr(summary, label);
    if (at == NULL)
        return NULL;
    size_t length = strcspn(at, "\n");
    length = length < capacity - 1 ? length : capacity - 1;
    memcpy(line, at, length);
    line[length] = '\0';
    return line;
}

START_TEST(tiny_cnn_learns_bar_orientation)
{
    deep_dataset *train = bars(96, 1), *test = bars(64, 2);
    deep_model *model = bar_model(1);

    char summary[4096], line[128];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    static const struct {
        const char *label, *shape;
        long long params;
    } rows[] = {
        {"conv2d (Conv2D)", "(None, 6, 6, 4)", 3 * 3 * 1 * 4 + 4},
        {"max_pooling2d (MaxPooling2D)", "(None, 3, 3, 4)", 0},
        {"flatten (Flatten)", "(None, 36)", 0},
        {"dense (Dense)", "(None, 2)", 36 * 2 + 2},
    };
    for (int i = 0; i < COUNT_OF(rows); i++) {
        ck_assert_msg(summary_line(summary, rows[i].label, line, sizeof line) != NULL, "no \"%s\" row in:\n%s",
                      rows[i].label, summary);
        char params[32];
        snprintf(params, sizeof params, " %lld", rows[i].params);
        ck_assert_msg(strstr(line, rows[i].shape) != NULL && strstr(line, params) != NULL,
                      "the %s row should show %s and %lld parameters: \"%s\"", rows[i].label, rows[i].shape,
                      rows[i].params, line);
    }
    ck_assert_msg(strstr(summary, "Total params: 114") != NULL, "the total is not 114:\n%s", summary);

    ASSERT_OK(deep_model_fit(model, train, 12, 8, NULL));
    double values[2] = {0};
    ASSERT_OK(deep_model_evaluate(model, test, 16, values, 2, &(int64_t){0}));
    ck_assert_msg(values[1] >= 0.95, "test accuracy %.3f (loss %.4f) after 12 epochs; want >= 0.95", values[1],
                  values[0]);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

/* Same seed, one thread or two: the same training run and the same predictions. */
START_TEST(tiny_cnn_same_result_with_two_threads)
{
    deep_dataset *train = bars(40, 3), *test = bars(16, 4);
    deep_tensor *inputs = NULL, *predictions[2] = {NULL, NULL};
    ASSERT_OK(deep_dataset_features(test, &inputs));
    for (int t = 0; t < 2; t++) {
        deep_model *model = bar_model(t + 1);
        ASSERT_OK(deep_model_fit(model, train, 3, 8, NULL));
        ASSERT_OK(deep_model_predict(model, inputs, &predictions[t]));
        deep_model_free(model);
    }
    const float *a = NULL, *b = NULL;
    ASSERT_OK(deep_tensor_data(predictions[0], &a));
    ASSERT_OK(deep_tensor_data(predictions[1], &b));
    for (int i = 0; i < 16 * 2; i++)
        ck_assert_msg(fabsf(a[i] - b[i]) <= 1e-5f, "prediction %d: %.7g with 1 thread, %.7g with 2", i, (double)a[i],
                      (double)b[i]);
    deep_tensor_free(predictions[0]);
    deep_tensor_free(predictions[1]);
    deep_tensor_free(inputs);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

/* BatchNormalization inside a trained model: fit moves its moving statistics away from
 * their initial zeros and ones (the ops-level tests check the exact update), the rest of
 * the network trains through it, and inference gives finite probabilities. */
START_TEST(batch_norm_trains_inside_a_model)
{
    deep_dataset *train = bars(32, 5);
    deep_model *model = image_model(IMAGE, IMAGE, 1);
    ASSERT_OK(deep_model_set_seed(model, 9));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 2));
    ASSERT_OK(deep_model_add_conv2d(model, 4, 3, 3, 1, 1, SAME, RELU, 0));
    ASSERT_OK(deep_model_add_batch_normalization(model, 0.9f, 1e-3f));
    ASSERT_OK(deep_model_add_global_average_pooling2d(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    ASSERT_OK(deep_model_fit(model, train, 2, 8, NULL));
    double loss = NAN;
    ASSERT_OK(deep_model_history(model, 1, DEEP_METRIC_LOSS, 0, &loss));
    ck_assert_msg(isfinite(loss), "the loss of epoch 2 is %g", loss);

    static const float initial[] = {1.0f, 0.0f, 0.0f, 1.0f};
    for (int32_t w = MOVING_MEAN; w <= MOVING_VARIANCE; w++) {
        deep_tensor *weight = NULL;
        ASSERT_OK(deep_model_get_weight(model, 1, w, &weight));
        const float *values = NULL;
        ASSERT_OK(deep_tensor_data(weight, &values));
        for (int ch = 0; ch < 4; ch++)
            ck_assert_msg(isfinite(values[ch]) && values[ch] != initial[w] && (w == MOVING_MEAN || values[ch] >= 0),
                          "after fit, %s[%d] is %g", w == MOVING_MEAN ? "moving_mean" : "moving_variance", ch,
                          (double)values[ch]);
        deep_tensor_free(weight);
    }
    deep_tensor *inputs = NULL, *predictions = NULL;
    ASSERT_OK(deep_dataset_features(train, &inputs));
    ASSERT_OK(deep_model_predict(model, inputs, &predictions));
    const float *p = NULL;
    ASSERT_OK(deep_tensor_data(predictions, &p));
    for (int i = 0; i < 32; i++)
        ck_assert_msg(isfinite(p[2 * i]) && fabsf(p[2 * i] + p[2 * i + 1] - 1.0f) < 1e-5f,
                      "sample %d: probabilities %g and %g", i, (double)p[2 * i], (double)p[2 * i + 1]);
    deep_tensor_free(inputs);
    deep_tensor_free(predictions);
    deep_model_free(model);
    deep_dataset_free(train);
}
END_TEST

/* ----------------------------------------------------------------------------------- */

/* Each test takes well under a second; the timeout leaves room for sanitizers on a busy
 * machine. */
static TCase *new_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    return tc;
}

static Suite *cnn_layers_suite(void)
{
    Suite *s = suite_create("cnn_layers");

    TCase *tc = new_tcase("conv2d");
    tcase_add_loop_test(tc, conv2d_build_follows_keras_shapes, 0, COUNT_OF(conv_cases));
    tcase_add_loop_test(tc, conv2d_forward_matches_direct_convolution, 0, COUNT_OF(conv_cases));
    tcase_add_loop_test(tc, conv2d_gradients, 0, COUNT_OF(conv_cases));
    tcase_add_test(tc, conv2d_init_glorot_uniform_and_zero_bias);
    tcase_add_test(tc, conv2d_backward_without_input_gradient);
    tcase_add_loop_test(tc, conv2d_chunks_of_samples, 0, COUNT_OF(conv_cases));
    tcase_add_test(tc, conv2d_scratch_does_not_grow_with_the_batch);
    tcase_add_test(tc, keras_output_shapes);
    tcase_add_test(tc, image_layers_reject_other_ranks);
    suite_add_tcase(s, tc);

    tc = new_tcase("pooling");
    tcase_add_loop_test(tc, pooling_shapes_and_forward_match_reference, 0, 2 * COUNT_OF(pool_cases));
    tcase_add_loop_test(tc, pooling_gradients, 0, 2 * COUNT_OF(pool_cases));
    tcase_add_test(tc, max_pooling_routes_gradient_to_winners);
    tcase_add_test(tc, global_average_pooling_values_and_gradient);
    tcase_add_test(tc, pool_of_threads_matches_inline);
    suite_add_tcase(s, tc);

    tc = new_tcase("batch normalization");
    tcase_add_loop_test(tc, batch_norm_build_declares_keras_weights, 0, COUNT_OF(bn_cases));
    tcase_add_loop_test(tc, batch_norm_training_gradients, 0, COUNT_OF(bn_cases));
    tcase_add_loop_test(tc, batch_norm_training_forward_and_moving_statistics, 0, COUNT_OF(bn_cases));
    tcase_add_loop_test(tc, batch_norm_inference_uses_moving_statistics, 0, COUNT_OF(bn_cases));
    suite_add_tcase(s, tc);

    tc = new_tcase("public API misuse");
    tcase_add_test(tc, conv2d_misuse);
    tcase_add_test(tc, pooling_misuse);
    tcase_add_test(tc, windows_beyond_the_input_are_refused);
    tcase_add_test(tc, image_layers_after_rank_1_input);
    tcase_add_test(tc, batch_norm_misuse);
    suite_add_tcase(s, tc);

    tc = new_tcase("end to end");
    tcase_add_test(tc, tiny_cnn_learns_bar_orientation);
    tcase_add_test(tc, tiny_cnn_same_result_with_two_threads);
    tcase_add_test(tc, batch_norm_trains_inside_a_model);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return run_suite(cnn_layers_suite(), CK_ENV);
}
