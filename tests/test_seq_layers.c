/* Tests of the sequence and shape layers of issue #16: Conv1D, MaxPooling1D,
 * GlobalAveragePooling1D, GlobalMaxPooling2D, Permute and RepeatVector.
 *
 * Each type is driven on its own through its ops table (a layer built by its public
 * deep_model_add_*, then given parameter memory of its own, as the model would), against
 * references written from Keras' definitions and small cases computed with PyTorch (the
 * script is in the comment; no test imports it at run time), and through the finite-
 * difference checker of gradcheck.h. Then misuse through the public API, threads, and
 * small Sequential models that train and survive save/load. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/core.h"
#include "graph/model.h"
#include "layers/layer.h"

#include "check_helpers.h"
#define STEP 1e-2f
#define GRADCHECK_STEP STEP
#define GRADCHECK_REL_TOL 1e-2
#define GRADCHECK_ABS_TOL 1e-3
#include "gradcheck.h"

/* Inputs and parameters stay within [-1, 1]: one step moves a pre-activation by at most
 * STEP per term it enters, so relu cases keep every pre-activation this far from 0, and
 * max pooling inputs are spaced this far apart so no step changes a window's winner. */
#define KINK_MARGIN (4 * STEP)
#define DISTINCT_SPACING 0.05f

#define VALID DEEP_PADDING_VALID
#define SAME DEEP_PADDING_SAME
#define CAUSAL DEEP_PADDING_CAUSAL
#define LINEAR DEEP_ACTIVATION_LINEAR
#define RELU DEEP_ACTIVATION_RELU
#define TANH DEEP_ACTIVATION_TANH
#define GELU DEEP_ACTIVATION_GELU
#define SILU DEEP_ACTIVATION_SILU

/* ---- helpers ------------------------------------------------------------------------- */

static deep_model *new_model(int32_t rank, const int64_t *shape)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(rank, shape, &model));
    return model;
}

/* The model's last layer as a standalone layer with parameter memory of its own (the model
 * is freed): its configuration is the one the public add call validated. */
static deep_layer take_layer(deep_model *model)
{
    deep_layer layer = *model->layers[model->layer_count - 1];
    deep_model_free(model);
    int64_t shape[DEEP_MAX_RANK];
    memcpy(shape, layer.in_shape, sizeof shape);
    for (int32_t p = 0; p < layer.param_count; p++)
        layer.params[p].value = layer.params[p].grad = NULL;
    layer_build_and_alloc(&layer, layer.in_rank, shape);
    return layer;
}

/* n distinct values DISTINCT_SPACING apart in random order: no max-pooling ties. */
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

static void forward(const deep_layer *layer, const deep_exec *ex, const float *in, float *out, int64_t batch)
{
    float *scratch = layer_scratch(layer, batch);
    layer->ops->forward(layer, ex, in, out, scratch, batch);
    free(scratch);
}

static void assert_close(const char *what, const float *got, const double *want, int64_t n, double tolerance)
{
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= tolerance, "%s: output %lld is %.7g, want %.7g", what, (long long)i,
                      (double)got[i], want[i]);
}

static int32_t layer_count(const deep_model *model)
{
    int32_t count = -1;
    ASSERT_OK(deep_model_layer_count(model, &count));
    return count;
}

static double reference_activation(deep_activation activation, double x)
{
    switch (activation) {
    case DEEP_ACTIVATION_LINEAR: return x;
    case DEEP_ACTIVATION_RELU: return x > 0 ? x : 0;
    case DEEP_ACTIVATION_TANH: return tanh(x);
    case DEEP_ACTIVATION_GELU: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case DEEP_ACTIVATION_SILU: return x / (1 + exp(-x));
    default: ck_abort_msg("no reference for activation %d", (int)activation); return 0;
    }
}

/* ---- Conv1D ------------------------------------------------------------------------------ */

typedef struct conv1d_case {
    const char *what;
    int64_t steps, c, filters, k, stride;
    deep_padding padding;
    int64_t dilation;
    deep_activation activation;
    bool use_bias;
    int64_t out_steps; /* Keras' output length, worked out by hand */
} conv1d_case;

static const conv1d_case conv1d_cases[] = {
    {"k3 valid, relu", 7, 2, 3, 3, 1, VALID, 1, RELU, true, 5},
    {"k3 same, linear", 7, 2, 2, 3, 1, SAME, 1, LINEAR, true, 7},
    {"k3 same stride 2 (padding after only), tanh, no bias", 6, 2, 3, 3, 2, SAME, 1, TANH, false, 3},
    {"k4 same (1 before, 2 after), linear", 5, 1, 2, 4, 1, SAME, 1, LINEAR, true, 5},
    {"k2 causal dilation 2, linear", 5, 2, 2, 2, 1, CAUSAL, 2, LINEAR, true, 5},
    {"k3 causal stride 2, tanh", 7, 3, 2, 3, 2, CAUSAL, 1, TANH, true, 4},
    {"k3 valid dilation 2, relu", 9, 2, 2, 3, 1, VALID, 2, RELU, true, 5},
    {"k3 same dilation 3 (span 7 on 6 steps), linear, no bias", 6, 1, 2, 3, 1, SAME, 3, LINEAR, false, 6},
    {"k1 valid stride 3", 7, 3, 4, 1, 3, VALID, 1, LINEAR, true, 3},
    {"k3 same, gelu", 5, 2, 3, 3, 1, SAME, 1, GELU, true, 5},
    {"k3 causal dilation 2, silu", 6, 2, 2, 3, 1, CAUSAL, 2, SILU, true, 6},
    {"kernel as long as the input, tanh", 4, 2, 2, 4, 1, VALID, 1, TANH, true, 1},
};

static deep_layer conv1d_layer(const conv1d_case *cc)
{
    deep_model *model = new_model(2, (int64_t[]){cc->steps, cc->c});
    ASSERT_OK(deep_model_add_conv1d(model, cc->filters, cc->k, cc->stride, cc->padding, cc->dilation, cc->activation,
                                    cc->use_bias));
    return take_layer(model);
}

/* The zeros before the first step, from Keras' rules written out again. */
static int64_t conv1d_pad(const conv1d_case *cc)
{
    int64_t span = cc->dilation * (cc->k - 1) + 1;
    if (cc->padding == CAUSAL)
        return span - 1;
    if (cc->padding == VALID)
        return 0;
    int64_t total = (cc->out_steps - 1) * cc->stride + span - cc->steps;
    return total > 0 ? total / 2 : 0;
}

/* pre[b][t][o] = bias[o] + sum_j sum_ch x[b][t * stride - pad + j * dilation][ch] * kernel[j][ch][o]. */
static void conv1d_reference(const conv1d_case *cc, const deep_layer *layer, const float *in, int64_t batch,
                             double *pre)
{
    int64_t pad = conv1d_pad(cc);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < cc->out_steps; t++)
            for (int64_t o = 0; o < cc->filters; o++) {
                double sum = cc->use_bias ? layer->params[1].value[o] : 0.0;
                for (int64_t j = 0; j < cc->k; j++) {
                    int64_t at = t * cc->stride - pad + j * cc->dilation;
                    if (at < 0 || at >= cc->steps)
                        continue;
                    for (int64_t ch = 0; ch < cc->c; ch++)
                        sum += (double)in[(b * cc->steps + at) * cc->c + ch] *
                               layer->params[0].value[(j * cc->c + ch) * cc->filters + o];
                }
                pre[(b * cc->out_steps + t) * cc->filters + o] = sum;
            }
}

/* Parameters and inputs in [-1, 1); for relu, redrawn until no pre-activation is near 0. */
static void conv1d_draw(const conv1d_case *cc, deep_layer *layer, float *in, int64_t batch, uint64_t seed)
{
    double *pre = malloc((size_t)(batch * cc->out_steps * cc->filters) * sizeof *pre);
    ck_assert_ptr_nonnull(pre);
    for (int attempt = 0; attempt < 1000; attempt++) {
        struct deep_rng rng;
        deep_rng_init(&rng, seed + (uint64_t)attempt);
        for (int32_t p = 0; p < layer->param_count; p++)
            fill_uniform(&rng, layer->params[p].value, layer->params[p].size, -1.0f, 1.0f);
        fill_uniform(&rng, in, batch * layer->in_size, -1.0f, 1.0f);
        if (cc->activation != RELU)
            break;
        conv1d_reference(cc, layer, in, batch, pre);
        double smallest = INFINITY;
        for (int64_t i = 0; i < batch * cc->out_steps * cc->filters; i++)
            smallest = fmin(smallest, fabs(pre[i]));
        if (smallest > KINK_MARGIN)
            break;
        ck_assert_msg(attempt < 999, "%s: no draw keeps relu off its kink", cc->what);
    }
    free(pre);
}

START_TEST(conv1d_shapes_and_weights_follow_keras)
{
    const conv1d_case *cc = &conv1d_cases[_i];
    deep_layer layer = conv1d_layer(cc);
    ck_assert_msg(layer.out_rank == 2 && layer.out_shape[0] == cc->out_steps && layer.out_shape[1] == cc->filters,
                  "%s: output (%lld, %lld), want (%lld, %lld)", cc->what, (long long)layer.out_shape[0],
                  (long long)layer.out_shape[1], (long long)cc->out_steps, (long long)cc->filters);
    ck_assert_int_eq(layer.param_count, cc->use_bias ? 2 : 1);
    ck_assert_str_eq(layer.params[0].name, "kernel");
    ck_assert_int_eq(layer.params[0].rank, 3);
    ck_assert(layer.params[0].shape[0] == cc->k && layer.params[0].shape[1] == cc->c &&
              layer.params[0].shape[2] == cc->filters);
    if (cc->use_bias)
        ck_assert(strcmp(layer.params[1].name, "bias") == 0 && layer.params[1].size == cc->filters);
    layer_release(&layer);
}
END_TEST

START_TEST(conv1d_forward_matches_direct_convolution)
{
    enum { BATCH = 3 };
    const conv1d_case *cc = &conv1d_cases[_i];
    deep_layer layer = conv1d_layer(cc);
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
    ck_assert_ptr_nonnull(want);
    conv1d_draw(cc, &layer, in, BATCH, 100 + (uint64_t)_i);
    conv1d_reference(cc, &layer, in, BATCH, want);
    for (int64_t i = 0; i < BATCH * layer.out_size; i++)
        want[i] = reference_activation(cc->activation, want[i]);
    forward(&layer, &(deep_exec){0}, in, out, BATCH);
    assert_close(cc->what, out, want, BATCH * layer.out_size, 1e-5);
    free(want);
    free(in);
    free(out);
    layer_release(&layer);
}
END_TEST

START_TEST(conv1d_gradients)
{
    enum { BATCH = 2 };
    const conv1d_case *cc = &conv1d_cases[_i];
    deep_layer layer = conv1d_layer(cc);
    float *in = floats(BATCH * layer.in_size);
    conv1d_draw(cc, &layer, in, BATCH, 200 + (uint64_t)_i);
    grad_check gc = {.what = cc->what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* x[t][ch] = 0.1 * (t * channels + ch) - 0.4 and kernel[j][ch][o] = 0.05 * ((j * channels + ch) *
 * filters + o) - 0.2, the outputs from PyTorch (float64):
 *   def conv(x, w, b, stride, dil, before, after):
 *       xt = F.pad(x.T.unsqueeze(0), (before, after))
 *       return F.conv1d(xt, w.permute(2, 1, 0), b, stride=stride, dilation=dil)[0].T
 * Keras' causal padding is the (dilation * (k - 1), 0) pad; its 'same' with stride 2 on 6
 * steps and k 3 pads (0, 1). */
START_TEST(conv1d_matches_pytorch)
{
    static const struct {
        const char *what;
        int64_t steps, c, filters, k, stride;
        deep_padding padding;
        int64_t dilation;
        bool bias;
        double want[10];
    } cases[] = {
        {"causal, k 2, dilation 2, bias (0.1, -0.2)", 5, 2, 2, 2, 1, CAUSAL, 2, true,
         {0.07, -0.265, 0.09, -0.225, 0.22, -0.11, 0.18, -0.11, 0.14, -0.11}},
        {"same, k 3, stride 2, no bias", 6, 2, 3, 3, 2, SAME, 1, false,
         {0.105, 0.06, 0.015, 0.525, 0.6, 0.675, 0.13, 0.24, 0.35}},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *model = new_model(2, (int64_t[]){cases[i].steps, cases[i].c});
        ASSERT_OK(deep_model_add_conv1d(model, cases[i].filters, cases[i].k, cases[i].stride, cases[i].padding,
                                        cases[i].dilation, LINEAR, cases[i].bias));
        deep_layer layer = take_layer(model);
        float x[12];
        for (int64_t t = 0; t < cases[i].steps * cases[i].c; t++)
            x[t] = 0.1f * (float)t - 0.4f;
        for (int64_t w = 0; w < layer.params[0].size; w++)
            layer.params[0].value[w] = 0.05f * (float)w - 0.2f;
        if (cases[i].bias) {
            layer.params[1].value[0] = 0.1f;
            layer.params[1].value[1] = -0.2f;
        }
        float out[10];
        forward(&layer, &(deep_exec){0}, x, out, 1);
        assert_close(cases[i].what, out, cases[i].want, layer.out_size, 1e-6);
        layer_release(&layer);
    }
}
END_TEST

START_TEST(conv1d_init_glorot_uniform_and_zero_bias)
{
    deep_layer layer = conv1d_layer(&conv1d_cases[5]); /* k 3, 3 channels, 2 filters */
    for (int64_t i = 0; i < layer.params[1].size; i++)
        layer.params[1].value[i] = 5.0f;
    struct deep_rng rng;
    deep_rng_init(&rng, 42);
    layer.ops->init(&layer, &rng);
    double limit = sqrt(6.0 / (3.0 * 3 + 3.0 * 2)), largest = 0;
    for (int64_t i = 0; i < layer.params[0].size; i++) {
        double v = layer.params[0].value[i];
        ck_assert_msg(fabs(v) <= limit, "kernel[%lld] = %g is outside the Glorot limit %g", (long long)i, v, limit);
        largest = fmax(largest, fabs(v));
    }
    ck_assert_msg(largest > 0.5 * limit, "the kernel does not spread over the Glorot range (max |w| %g)", largest);
    for (int64_t i = 0; i < layer.params[1].size; i++)
        ck_assert(layer.params[1].value[i] == 0.0f);
    layer_release(&layer);
}
END_TEST

START_TEST(conv1d_misuse)
{
    static const char fn[] = "deep_model_add_conv1d";
    deep_model *model = new_model(2, (int64_t[]){6, 2});
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 0, 3, 1, VALID, 1, RELU, 1), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "filters is 0; it must be in 1..2147483647");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, INT64_C(2147483648), 3, 1, VALID, 1, RELU, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "filters is 2147483648");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 0, 1, VALID, 1, RELU, 1), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "kernel_size is 0");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 3, -1, VALID, 1, RELU, 1), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "strides is -1");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 3, 1, VALID, 0, RELU, 1), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "dilation_rate is 0");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 3, 2, VALID, 2, RELU, 1), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "strides 2 > 1 cannot go with dilation_rate 2 > 1");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 3, 1, (deep_padding)3, 1, RELU, 1), DEEP_ERR_INVALID_ARGUMENT,
                      fn, "unknown padding 3");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 3, 1, VALID, 1, (deep_activation)99, 1),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "activation");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 7, 1, VALID, 1, RELU, 1), DEEP_ERR_SHAPE, fn,
                      "layer 0 (conv1d): kernel_size 7 exceeds the input steps 6 with 'valid' padding");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 3, 1, VALID, 3, RELU, 1), DEEP_ERR_SHAPE, fn,
                      "kernel_size dilated to 7 exceeds the input steps 6");
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 14, 1, SAME, 1, RELU, 1), DEEP_ERR_SHAPE, fn, "at most 13");
    ASSERT_FAILS(deep_model_add_conv1d(NULL, 2, 3, 1, VALID, 1, RELU, 1), DEEP_ERR_NULL, fn);
    ck_assert_int_eq(layer_count(model), 0);
    /* Causal padding fits any kernel; the model is still usable. */
    ASSERT_OK(deep_model_add_conv1d(model, 2, 9, 1, CAUSAL, 1, RELU, 1));
    ASSERT_OK(deep_model_add_conv1d(model, 3, 13, 1, SAME, 1, RELU, 0));
    ck_assert_int_eq(layer_count(model), 2);
    deep_model_free(model);

    /* Rank: images and vectors are refused, naming the layer. */
    model = new_model(3, (int64_t[]){4, 4, 1});
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 3, 1, VALID, 1, RELU, 1), DEEP_ERR_SHAPE, fn,
                      "layer 0 (conv1d): Conv1D needs (steps, channels) inputs but gets (4, 4, 1)");
    /* Causal padding is Conv1D's only (Keras' rule). */
    ASSERT_FAILS_WITH(deep_model_add_conv2d(model, 2, 3, 3, 1, 1, CAUSAL, RELU, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_conv2d", "padding 'causal' is only for Conv1D");
    ASSERT_FAILS_WITH(deep_model_add_max_pooling2d(model, 2, 2, 0, 0, CAUSAL), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_max_pooling2d", "'causal' is only for Conv1D");
    deep_model_free(model);

    /* im2col rows beyond CBLAS' int. */
    model = new_model(2, (int64_t[]){1 << 20, 64});
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 1, 64, 1, SAME, 1, RELU, 1), DEEP_ERR_OVERFLOW, fn,
                      "kernel_size 64 over 64 channels at 1048576 output steps");
    deep_model_free(model);
}
END_TEST

/* ---- MaxPooling1D --------------------------------------------------------------------------- */

typedef struct pool1d_case {
    const char *what;
    int64_t steps, c, pool, stride;
    deep_padding padding;
    int64_t out_steps;
} pool1d_case;

static const pool1d_case pool1d_cases[] = {
    {"pool 2 valid (strides = pool)", 6, 2, 2, 0, VALID, 3},
    {"pool 3 stride 2 valid", 7, 2, 3, 2, VALID, 3},
    {"pool 3 stride 2 same (padding after only)", 6, 2, 3, 2, SAME, 3},
    {"pool 2 stride 1 same", 5, 3, 2, 1, SAME, 5},
    {"pool 4 stride 3 same (1 before, 1 after)", 5, 1, 4, 3, SAME, 2},
    {"pool as long as the input", 4, 2, 4, 0, VALID, 1},
};

static deep_layer pool1d_layer(const pool1d_case *pc)
{
    deep_model *model = new_model(2, (int64_t[]){pc->steps, pc->c});
    ASSERT_OK(deep_model_add_max_pooling1d(model, pc->pool, pc->stride, pc->padding));
    return take_layer(model);
}

START_TEST(max_pooling1d_matches_reference)
{
    enum { BATCH = 2 };
    const pool1d_case *pc = &pool1d_cases[_i];
    deep_layer layer = pool1d_layer(pc);
    ck_assert_msg(layer.out_rank == 2 && layer.out_shape[0] == pc->out_steps && layer.out_shape[1] == pc->c,
                  "%s: output (%lld, %lld)", pc->what, (long long)layer.out_shape[0], (long long)layer.out_shape[1]);
    float *in = floats(BATCH * layer.in_size), *out = floats(BATCH * layer.out_size);
    double *want = malloc((size_t)(BATCH * layer.out_size) * sizeof *want);
    ck_assert_ptr_nonnull(want);
    struct deep_rng rng;
    deep_rng_init(&rng, 7 + (uint64_t)_i);
    fill_uniform(&rng, in, BATCH * layer.in_size, -1.0f, 1.0f);
    /* Keras: the window of output t starts at t * stride - pad; padding never wins. */
    int64_t stride = pc->stride ? pc->stride : pc->pool, pad = 0;
    if (pc->padding == SAME) {
        int64_t total = (pc->out_steps - 1) * stride + pc->pool - pc->steps;
        pad = total > 0 ? total / 2 : 0;
    }
    for (int64_t b = 0; b < BATCH; b++)
        for (int64_t t = 0; t < pc->out_steps; t++)
            for (int64_t ch = 0; ch < pc->c; ch++) {
                double best = -INFINITY;
                for (int64_t j = 0; j < pc->pool; j++) {
                    int64_t at = t * stride - pad + j;
                    if (at >= 0 && at < pc->steps)
                        best = fmax(best, in[(b * pc->steps + at) * pc->c + ch]);
                }
                want[(b * pc->out_steps + t) * pc->c + ch] = best;
            }
    forward(&layer, &(deep_exec){0}, in, out, BATCH);
    assert_close(pc->what, out, want, BATCH * layer.out_size, 0);
    free(want);
    free(in);
    free(out);
    layer_release(&layer);
}
END_TEST

START_TEST(max_pooling1d_gradients)
{
    enum { BATCH = 2 };
    const pool1d_case *pc = &pool1d_cases[_i];
    deep_layer layer = pool1d_layer(pc);
    float *in = floats(BATCH * layer.in_size);
    struct deep_rng rng;
    deep_rng_init(&rng, 17 + (uint64_t)_i);
    fill_distinct(&rng, in, BATCH * layer.in_size);
    grad_check gc = {.what = pc->what, .layer = &layer, .ex = {.training = true}, .in = in, .batch = BATCH};
    ASSERT_GRADIENTS_MATCH(&gc);
    free(in);
    layer_release(&layer);
}
END_TEST

/* PyTorch: F.max_pool1d(F.pad(x.T.unsqueeze(0), (0, 1), value=-inf), 3, 2) for
 * x = [[3, -1], [1, 4], [-2, 0], [5, 2], [0, -3], [2, 6]] gives [[3, 4], [5, 2], [2, 6]];
 * and ties send the gradient to the first largest step. */
START_TEST(max_pooling1d_matches_pytorch_and_routes_to_first_winner)
{
    deep_layer layer = pool1d_layer(&pool1d_cases[2]);
    const float x[] = {3, -1, 1, 4, -2, 0, 5, 2, 0, -3, 2, 6};
    float out[6];
    forward(&layer, &(deep_exec){0}, x, out, 1);
    assert_close("pytorch case", out, (const double[]){3, 4, 5, 2, 2, 6}, 6, 0);
    const float ties[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    float grad_out[6] = {1, 2, 3, 4, 5, 6}, grad_in[12];
    layer.ops->backward(&layer, &(deep_exec){0}, ties, out, grad_out, grad_in, NULL, 1);
    /* Windows [0, 3), [2, 5), [4, 6): the first steps 0, 2 and 4 win. */
    const float want[] = {1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0, 0};
    for (int i = 0; i < 12; i++)
        ck_assert_msg(grad_in[i] == want[i], "grad_in[%d] = %g, want %g", i, (double)grad_in[i], (double)want[i]);
    layer_release(&layer);
}
END_TEST

START_TEST(max_pooling1d_misuse)
{
    static const char fn[] = "deep_model_add_max_pooling1d";
    deep_model *model = new_model(2, (int64_t[]){5, 2});
    ASSERT_FAILS_WITH(deep_model_add_max_pooling1d(model, 0, 0, VALID), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "pool_size is 0");
    ASSERT_FAILS_WITH(deep_model_add_max_pooling1d(model, 2, -1, VALID), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "strides is -1");
    ASSERT_FAILS_WITH(deep_model_add_max_pooling1d(model, 2, 0, CAUSAL), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "'causal' is only for Conv1D");
    ASSERT_FAILS_WITH(deep_model_add_max_pooling1d(model, 6, 0, VALID), DEEP_ERR_SHAPE, fn,
                      "layer 0 (max_pooling1d): pool_size 6 exceeds the input steps 5");
    ASSERT_FAILS_WITH(deep_model_add_max_pooling1d(model, INT64_MAX, 0, SAME), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "pool_size is 9223372036854775807");
    ASSERT_FAILS_WITH(deep_model_add_max_pooling1d(model, 2, INT64_MAX, SAME), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "strides is 9223372036854775807");
    ASSERT_FAILS(deep_model_add_max_pooling1d(NULL, 2, 0, VALID), DEEP_ERR_NULL, fn);
    ck_assert_int_eq(layer_count(model), 0);
    ASSERT_OK(deep_model_add_max_pooling1d(model, 2, 0, SAME)); /* (3, 2) */
    ASSERT_OK(deep_model_add_max_pooling1d(model, 2, DEEP_MAX_LAYER_SIZE, VALID)); /* (1, 2) */
    ck_assert(model->layers[1]->out_shape[0] == 1);
    deep_model_free(model);
    model = new_model(1, (int64_t[]){8});
    ASSERT_FAILS_WITH(deep_model_add_max_pooling1d(model, 2, 0, VALID), DEEP_ERR_SHAPE, fn,
                      "MaxPooling1D needs (steps, channels) inputs but gets (8,)");
    deep_model_free(model);
}
END_TEST

/* ---- GlobalAveragePooling1D --------------------------------------------------------------- */

static deep_layer gap1d_layer(int64_t steps, int64_t c, bool keepdims)
{
    deep_model *model = new_model(2, (int64_t[]){steps, c});
    ASSERT_OK(deep_model_add_global_average_pooling1d(model, keepdims));
    return take_layer(model);
}

START_TEST(global_average_pooling1d_values_with_and_without_mask)
{
    deep_layer layer = gap1d_layer(4, 2, false);
    ck_assert(layer.out_rank == 1 && layer.out_shape[0] == 2);
    ck_assert_msg(deep_layer_mask_flow(&layer) == DEEP_MASK_ENDS, "GlobalAveragePooling1D must end masks");
    /* Three samples of 4 steps, 2 channels. */
    const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, /**/ -1, 0, 1, 0, 3, 6, 100, 100, /**/ 9, 9, 9, 9, 9, 9, 9, 9};
    float out[6];
    forward(&layer, &(deep_exec){0}, x, out, 3);
    assert_close("no mask", out, (const double[]){4, 5, 25.75, 26.5, 9, 9}, 6, 1e-6);
    /* Keras: sum over the real steps / their count; the third sample is all padding: zeros. */
    const uint8_t mask[] = {1, 1, 1, 1, /**/ 1, 0, 1, 0, /**/ 0, 0, 0, 0};
    forward(&layer, &(deep_exec){.mask = mask}, x, out, 3);
    assert_close("masked", out, (const double[]){4, 5, 1, 3, 0, 0}, 6, 1e-6);
    /* The padded steps get no gradient; the real ones share it evenly. */
    float grad_out[6] = {1, 2, 3, 4, 5, 6}, grad_in[24];
    layer.ops->backward(&layer, &(deep_exec){.mask = mask}, x, out, grad_out, grad_in, NULL, 3);
    const float want[] = {0.25f, 0.5f, 0.25f, 0.5f, 0.25f, 0.5f, 0.25f, 0.5f, /**/ 1.5f, 2, 0, 0, 1.5f, 2, 0, 0,
                          /**/ 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 24; i++)
        ck_assert_msg(grad_in[i] == want[i], "grad_in[%d] = %g, want %g", i, (double)grad_in[i], (double)want[i]);
    layer_release(&layer);

    layer = gap1d_layer(4, 2, true);
    ck_assert(layer.out_rank == 2 && layer.out_shape[0] == 1 && layer.out_shape[1] == 2);
    forward(&layer, &(deep_exec){0}, x, out, 1);
    assert_close("keepdims", out, (const double[]){4, 5}, 2, 1e-6);
    layer_release(&layer);
}
END_TEST

START_TEST(global_average_pooling1d_gradients)
{
    enum { BATCH = 3, STEPS = 5, C = 3 };
    static const uint8_t mask[BATCH * STEPS] = {1, 1, 1, 0, 0, /**/ 0, 1, 0, 1, 1, /**/ 1, 1, 1, 1, 1};
    for (int masked = 0; masked < 2; masked++) {
        deep_layer layer = gap1d_layer(STEPS, C, masked);
        float in[BATCH * STEPS * C];
        struct deep_rng rng;
        deep_rng_init(&rng, 5);
        fill_uniform(&rng, in, BATCH * STEPS * C, -1.0f, 1.0f);
        grad_check gc = {.what = masked ? "masked, keepdims" : "no mask", .layer = &layer,
                         .ex = {.training = true, .mask = masked ? mask : NULL}, .in = in, .batch = BATCH};
        ASSERT_GRADIENTS_MATCH(&gc);
        layer_release(&layer);
    }
}
END_TEST

START_TEST(global_average_pooling1d_misuse)
{
    static const char fn[] = "deep_model_add_global_average_pooling1d";
    deep_model *model = new_model(3, (int64_t[]){4, 4, 2});
    ASSERT_FAILS_WITH(deep_model_add_global_average_pooling1d(model, 0), DEEP_ERR_SHAPE, fn,
                      "layer 0 (global_average_pooling1d): GlobalAveragePooling1D needs (steps, channels) inputs but "
                      "gets (4, 4, 2)");
    ASSERT_FAILS(deep_model_add_global_average_pooling1d(NULL, 0), DEEP_ERR_NULL, fn);
    ck_assert_int_eq(layer_count(model), 0);
    deep_model_free(model);
}
END_TEST

/* ---- GlobalMaxPooling2D ------------------------------------------------------------------------ */

START_TEST(global_max_pooling2d_values_and_gradients)
{
    enum { BATCH = 2, H = 3, W = 2, C = 3 };
    for (int keepdims = 0; keepdims < 2; keepdims++) {
        deep_model *model = new_model(3, (int64_t[]){H, W, C});
        ASSERT_OK(deep_model_add_global_max_pooling2d(model, keepdims));
        deep_layer layer = take_layer(model);
        if (keepdims)
            ck_assert(layer.out_rank == 3 && layer.out_shape[0] == 1 && layer.out_shape[1] == 1 &&
                      layer.out_shape[2] == C);
        else
            ck_assert(layer.out_rank == 1 && layer.out_shape[0] == C);
        float in[BATCH * H * W * C], out[BATCH * C];
        struct deep_rng rng;
        deep_rng_init(&rng, 3 + (uint64_t)keepdims);
        fill_distinct(&rng, in, BATCH * H * W * C);
        double want[BATCH * C];
        for (int b = 0; b < BATCH; b++)
            for (int ch = 0; ch < C; ch++) {
                want[b * C + ch] = -INFINITY;
                for (int cell = 0; cell < H * W; cell++)
                    want[b * C + ch] = fmax(want[b * C + ch], in[(b * H * W + cell) * C + ch]);
            }
        forward(&layer, &(deep_exec){0}, in, out, BATCH);
        assert_close("global max", out, want, BATCH * C, 0);
        grad_check gc = {.what = keepdims ? "keepdims" : "flat", .layer = &layer, .ex = {.training = true}, .in = in,
                         .batch = BATCH};
        ASSERT_GRADIENTS_MATCH(&gc);
        layer_release(&layer);
    }
    deep_model *model = new_model(2, (int64_t[]){4, 2});
    ASSERT_FAILS_WITH(deep_model_add_global_max_pooling2d(model, 0), DEEP_ERR_SHAPE,
                      "deep_model_add_global_max_pooling2d",
                      "GlobalMaxPooling2D needs (height, width, channels) inputs but gets (4, 2)");
    ASSERT_FAILS(deep_model_add_global_max_pooling2d(NULL, 1), DEEP_ERR_NULL, "deep_model_add_global_max_pooling2d");
    deep_model_free(model);
}
END_TEST

/* ---- Permute ------------------------------------------------------------------------------------ */

START_TEST(permute_values_and_gradients)
{
    /* (2, 3, 4) with dims (3, 1, 2): out[i][j][k] = in[j][k][i], shape (4, 2, 3). */
    deep_model *model = new_model(3, (int64_t[]){2, 3, 4});
    ASSERT_OK(deep_model_add_permute(model, 3, (int32_t[]){3, 1, 2}));
    deep_layer layer = take_layer(model);
    ck_assert(layer.out_rank == 3 && layer.out_shape[0] == 4 && layer.out_shape[1] == 2 && layer.out_shape[2] == 3);
    float in[2 * 24], out[2 * 24];
    for (int i = 0; i < 48; i++)
        in[i] = (float)i;
    forward(&layer, &(deep_exec){0}, in, out, 2);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++)
                    ck_assert_msg(out[b * 24 + (i * 2 + j) * 3 + k] == in[b * 24 + (j * 3 + k) * 4 + i],
                                  "out[%d][%d][%d][%d] is not in[%d][%d][%d][%d]", b, i, j, k, b, j, k, i);
    struct deep_rng rng;
    deep_rng_init(&rng, 8);
    fill_uniform(&rng, in, 48, -1.0f, 1.0f);
    grad_check gc = {.what = "permute (3, 1, 2)", .layer = &layer, .ex = {.training = true}, .in = in, .batch = 2};
    ASSERT_GRADIENTS_MATCH(&gc);
    layer_release(&layer);

    /* Keras' usual one: (steps, features) with dims (2, 1) transposes each sample. */
    model = new_model(2, (int64_t[]){2, 3});
    ASSERT_OK(deep_model_add_permute(model, 2, (int32_t[]){2, 1}));
    layer = take_layer(model);
    const float x[] = {1, 2, 3, 4, 5, 6};
    forward(&layer, &(deep_exec){0}, x, out, 1);
    assert_close("transpose", out, (const double[]){1, 4, 2, 5, 3, 6}, 6, 0);
    layer_release(&layer);
    /* The identity and a rank-1 input. */
    model = new_model(1, (int64_t[]){5});
    ASSERT_OK(deep_model_add_permute(model, 1, (int32_t[]){1}));
    layer = take_layer(model);
    forward(&layer, &(deep_exec){0}, x, out, 1);
    assert_close("identity", out, (const double[]){1, 2, 3, 4, 5}, 5, 0);
    layer_release(&layer);
}
END_TEST

START_TEST(permute_misuse)
{
    static const char fn[] = "deep_model_add_permute";
    deep_model *model = new_model(3, (int64_t[]){2, 3, 4});
    ASSERT_FAILS_WITH(deep_model_add_permute(model, 3, (int32_t[]){0, 1, 2}), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "dims must be a permutation of 1..3 (1-based axes, as Keras), but entry 0 is 0");
    ASSERT_FAILS_WITH(deep_model_add_permute(model, 3, (int32_t[]){1, 3, 3}), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "entry 2 is 3");
    ASSERT_FAILS_WITH(deep_model_add_permute(model, 3, (int32_t[]){1, 2, 4}), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "entry 2 is 4");
    ASSERT_FAILS_WITH(deep_model_add_permute(model, 2, (int32_t[]){2, 1}), DEEP_ERR_SHAPE, fn,
                      "layer 0 (permute): dims has 2 axes but the input (2, 3, 4) has 3");
    ASSERT_FAILS_WITH(deep_model_add_permute(model, 0, (int32_t[]){1}), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "dims has 0 entries");
    ASSERT_FAILS_WITH(deep_model_add_permute(model, 8, (int32_t[8]){1, 2, 3, 4, 5, 6, 7, 8}),
                      DEEP_ERR_INVALID_ARGUMENT, fn, "dims has 8 entries");
    ASSERT_FAILS_WITH(deep_model_add_permute(model, 3, NULL), DEEP_ERR_NULL, fn, "dims");
    ASSERT_FAILS(deep_model_add_permute(NULL, 1, (int32_t[]){1}), DEEP_ERR_NULL, fn);
    ck_assert_int_eq(layer_count(model), 0);
    deep_model_free(model);
}
END_TEST

/* ---- RepeatVector ------------------------------------------------------------------------------- */

START_TEST(repeat_vector_values_gradients_and_misuse)
{
    deep_model *model = new_model(1, (int64_t[]){3});
    ASSERT_OK(deep_model_add_repeat_vector(model, 4));
    deep_layer layer = take_layer(model);
    ck_assert(layer.out_rank == 2 && layer.out_shape[0] == 4 && layer.out_shape[1] == 3);
    const float x[] = {1, 2, 3, -4, -5, -6};
    float out[24];
    forward(&layer, &(deep_exec){0}, x, out, 2);
    for (int b = 0; b < 2; b++)
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < 3; j++)
                ck_assert(out[(b * 4 + r) * 3 + j] == x[b * 3 + j]);
    float in[6];
    struct deep_rng rng;
    deep_rng_init(&rng, 9);
    fill_uniform(&rng, in, 6, -1.0f, 1.0f);
    grad_check gc = {.what = "repeat 4", .layer = &layer, .ex = {.training = true}, .in = in, .batch = 2};
    ASSERT_GRADIENTS_MATCH(&gc);
    layer_release(&layer);

    static const char fn[] = "deep_model_add_repeat_vector";
    model = new_model(1, (int64_t[]){3});
    ASSERT_FAILS_WITH(deep_model_add_repeat_vector(model, 0), DEEP_ERR_INVALID_ARGUMENT, fn, "n is 0");
    ASSERT_FAILS_WITH(deep_model_add_repeat_vector(model, INT64_C(2147483648)), DEEP_ERR_INVALID_ARGUMENT, fn,
                      "n is 2147483648");
    /* n within the limit whose output exceeds it. */
    ASSERT_FAILS_WITH(deep_model_add_repeat_vector(model, DEEP_MAX_LAYER_SIZE), DEEP_ERR_OVERFLOW, fn, "layer 0");
    ASSERT_FAILS(deep_model_add_repeat_vector(NULL, 2), DEEP_ERR_NULL, fn);
    ASSERT_OK(deep_model_add_repeat_vector(model, 2));
    ASSERT_FAILS_WITH(deep_model_add_repeat_vector(model, 2), DEEP_ERR_SHAPE, fn,
                      "layer 1 (repeat_vector_1): RepeatVector needs (features,) inputs but gets (2, 3)");
    ck_assert_int_eq(layer_count(model), 1);
    deep_model_free(model);
}
END_TEST

/* ---- threads ------------------------------------------------------------------------------------- */

/* Forward and backward split over samples give what one thread gives. */
START_TEST(pool_of_threads_matches_inline)
{
    enum { BATCH = 5 };
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(2, &pool));
    deep_layer layers[4] = {conv1d_layer(&conv1d_cases[4]), pool1d_layer(&pool1d_cases[2])};
    deep_model *model = new_model(3, (int64_t[]){3, 2, 3});
    ASSERT_OK(deep_model_add_global_max_pooling2d(model, 0));
    layers[2] = take_layer(model);
    model = new_model(3, (int64_t[]){3, 2, 3});
    ASSERT_OK(deep_model_add_permute(model, 3, (int32_t[]){2, 3, 1}));
    layers[3] = take_layer(model);
    for (int l = 0; l < 4; l++) {
        deep_layer *layer = &layers[l];
        struct deep_rng rng;
        deep_rng_init(&rng, 77);
        for (int32_t p = 0; p < layer->param_count; p++)
            fill_uniform(&rng, layer->params[p].value, layer->params[p].size, -1.0f, 1.0f);
        float *in = floats(BATCH * layer->in_size), *grad[2], *grad_in[2], *out[2], *params[2];
        fill_distinct(&rng, in, BATCH * layer->in_size);
        for (int t = 0; t < 2; t++) {
            out[t] = floats(BATCH * layer->out_size);
            grad[t] = floats(BATCH * layer->out_size);
            grad_in[t] = floats(BATCH * layer->in_size);
            params[t] = floats(layer->param_count > 0 ? layer->params[0].size : 1);
            for (int64_t i = 0; i < BATCH * layer->out_size; i++)
                grad[t][i] = (float)sin((double)i);
            float *scratch = layer_scratch(layer, BATCH);
            deep_exec ex = {.pool = t ? pool : NULL, .training = true};
            layer->ops->forward(layer, &ex, in, out[t], scratch, BATCH);
            layer->ops->backward(layer, &ex, in, out[t], grad[t], grad_in[t], scratch, BATCH);
            if (layer->param_count > 0)
                memcpy(params[t], layer->params[0].grad, (size_t)layer->params[0].size * sizeof(float));
            free(scratch);
        }
        ck_assert_msg(memcmp(out[0], out[1], (size_t)(BATCH * layer->out_size) * sizeof(float)) == 0 &&
                          memcmp(grad_in[0], grad_in[1], (size_t)(BATCH * layer->in_size) * sizeof(float)) == 0,
                      "%s: two threads differ from one", layer->ops->type);
        if (layer->param_count > 0)
            for (int64_t i = 0; i < layer->params[0].size; i++)
                ck_assert_msg(fabsf(params[0][i] - params[1][i]) <= 1e-5f, "%s: kernel grad %lld differs",
                              layer->ops->type, (long long)i);
        for (int t = 0; t < 2; t++) {
            free(out[t]);
            free(grad[t]);
            free(grad_in[t]);
            free(params[t]);
        }
        free(in);
        layer_release(layer);
    }
    deep_pool_free(pool);
}
END_TEST

/* ---- end to end ---------------------------------------------------------------------------------- */

/* Sequences of 12 steps, 2 channels of noise, with a bump of 3 steps on channel 0 early
 * (class 0, steps 1..4) or late (class 1, steps 7..9): what a causal convolution and
 * pooling must find. */
static deep_dataset *bumps(int64_t n, uint64_t seed)
{
    enum { STEPS = 12 };
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    float *x = floats(n * STEPS * 2);
    int32_t *y = malloc((size_t)n * sizeof *y);
    ck_assert_ptr_nonnull(y);
    for (int64_t s = 0; s < n; s++) {
        y[s] = (int32_t)(s % 2);
        int64_t at = y[s] == 0 ? 1 + (int64_t)deep_rng_below(&rng, 3) : 7 + (int64_t)deep_rng_below(&rng, 2);
        for (int64_t t = 0; t < STEPS; t++) {
            x[(s * STEPS + t) * 2] = (t >= at && t < at + 3 ? 1.0f : 0.0f) + 0.2f * deep_rng_float(&rng);
            x[(s * STEPS + t) * 2 + 1] = 0.2f * deep_rng_float(&rng);
        }
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(n, 2, (int64_t[]){STEPS, 2}, x, &data));
    ASSERT_OK(deep_dataset_set_labels(data, y, n, 2));
    free(x);
    free(y);
    return data;
}

static void compile_adam(deep_model *model, double rate, deep_loss loss)
{
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, rate));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    ASSERT_OK(deep_model_compile(model, adam, loss, metrics, loss == DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY));
}

/* The first epoch's loss is at least `factor` times the last one's. */
static void assert_loss_falls(const deep_model *model, int64_t epochs, double factor, const char *what)
{
    double first = NAN, last = NAN;
    ASSERT_OK(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &first));
    ASSERT_OK(deep_model_history(model, epochs - 1, DEEP_METRIC_LOSS, 0, &last));
    ck_assert_msg(isfinite(last) && last * factor <= first, "%s: loss %.5f after %lld epochs, %.5f after the first",
                  what, last, (long long)epochs, first);
}

/* Save to a buffer, load, and predict again: bit-identical outputs. */
static void assert_reload_predicts_the_same(const deep_model *model, const deep_tensor *x, const char *what)
{
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    void *bytes = malloc((size_t)size);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    deep_tensor *a = NULL, *b = NULL;
    ASSERT_OK(deep_model_predict(model, x, &a));
    ASSERT_OK(deep_model_predict(loaded, x, &b));
    int64_t n = 0;
    ASSERT_OK(deep_tensor_size(a, &n));
    const float *pa = NULL, *pb = NULL;
    ASSERT_OK(deep_tensor_data(a, &pa));
    ASSERT_OK(deep_tensor_data(b, &pb));
    ck_assert_msg(memcmp(pa, pb, (size_t)n * sizeof(float)) == 0, "%s: the loaded model predicts otherwise", what);
    deep_tensor_free(a);
    deep_tensor_free(b);
    deep_model_free(loaded);
    free(bytes);
}

START_TEST(conv1d_network_learns_and_reloads)
{
    deep_dataset *train = bumps(64, 1), *test = bumps(32, 2);
    deep_model *model = new_model(2, (int64_t[]){12, 2});
    ASSERT_OK(deep_model_set_seed(model, 5));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 2));
    ASSERT_OK(deep_model_add_conv1d(model, 4, 3, 1, CAUSAL, 1, RELU, 1));         /* (12, 4) */
    ASSERT_OK(deep_model_add_max_pooling1d(model, 2, 0, VALID));                  /* (6, 4) */
    ASSERT_OK(deep_model_add_conv1d(model, 4, 2, 1, SAME, 2, TANH, 1));           /* (6, 4) */
    ASSERT_OK(deep_model_add_permute(model, 2, (int32_t[]){2, 1}));               /* (4, 6) */
    ASSERT_OK(deep_model_add_flatten(model));                                     /* (24,) */
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    compile_adam(model, 0.02, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    char summary[4096];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "conv1d (Conv1D)") && strstr(summary, "(None, 12, 4)") &&
                      strstr(summary, "max_pooling1d (MaxPooling1D)") && strstr(summary, "permute (Permute)") &&
                      strstr(summary, "(None, 4, 6)") && strstr(summary, "conv1d_1 (Conv1D)"),
                  "summary:\n%s", summary);
    ASSERT_OK(deep_model_fit(model, train, 15, 8, NULL));
    assert_loss_falls(model, 15, 3.0, "conv1d network");
    double values[2] = {0};
    ASSERT_OK(deep_model_evaluate(model, test, 16, values, 2, &(int64_t){0}));
    ck_assert_msg(values[1] >= 0.9, "test accuracy %.3f (loss %.4f)", values[1], values[0]);
    deep_tensor *x = NULL;
    ASSERT_OK(deep_dataset_features(test, &x));
    assert_reload_predicts_the_same(model, x, "conv1d network");
    deep_tensor_free(x);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

/* Embedding(mask_zero) -> GlobalAveragePooling1D -> Dense: the average skips the padding
 * ids, so a sequence padded with zeros predicts what the same model predicts for the
 * unpadded sequence; and the model learns which ids mark class 1. */
START_TEST(masked_average_ignores_padding_and_learns)
{
    enum { N = 64, LEN = 6, SHORT = 3 };
    float ids[N * LEN];
    int32_t labels[N];
    struct deep_rng rng;
    deep_rng_init(&rng, 11);
    for (int s = 0; s < N; s++) {
        labels[s] = s % 2;
        int64_t length = 1 + (int64_t)deep_rng_below(&rng, LEN);
        for (int t = 0; t < LEN; t++) /* class 0 uses ids 1..4, class 1 ids 5..8; 0 pads after */
            ids[s * LEN + t] = t < length ? (float)(1 + labels[s] * 4 + (int64_t)deep_rng_below(&rng, 4)) : 0.0f;
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(N, 1, (int64_t[]){LEN}, ids, &data));
    ASSERT_OK(deep_dataset_set_labels(data, labels, N, 2));
    deep_model *model = new_model(1, (int64_t[]){LEN});
    ASSERT_OK(deep_model_set_seed(model, 3));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_embedding(model, 9, 4, 0));
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 1));
    ASSERT_OK(deep_model_add_global_average_pooling1d(model, 0));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    compile_adam(model, 0.05, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ASSERT_OK(deep_model_fit(model, data, 10, 8, NULL));
    assert_loss_falls(model, 10, 3.0, "masked average");

    /* The same weights on sequences of 3: [a, b, c, 0, 0, 0] predicts as [a, b, c]. */
    deep_model *short_model = new_model(1, (int64_t[]){SHORT});
    ASSERT_OK(deep_model_add_embedding(short_model, 9, 4, 0));
    ASSERT_OK(deep_model_set_layer_int(short_model, 0, DEEP_LAYER_MASK_ZERO, 1));
    ASSERT_OK(deep_model_add_global_average_pooling1d(short_model, 0));
    ASSERT_OK(deep_model_add_dense(short_model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    compile_adam(short_model, 0.05, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    for (int32_t l = 0; l < 3; l += 2)
        for (int32_t w = 0; w < (l == 0 ? 1 : 2); w++) {
            deep_tensor *weight = NULL;
            ASSERT_OK(deep_model_get_weight(model, l, w, &weight));
            ASSERT_OK(deep_model_set_weight(short_model, l, w, weight));
            deep_tensor_free(weight);
        }
    const float padded[] = {3, 6, 2, 0, 0, 0}, unpadded[] = {3, 6, 2};
    float a[2], b[2];
    deep_tensor *xa = NULL, *xb = NULL, *ya = NULL, *yb = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){1, LEN}, padded, LEN, &xa));
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){1, SHORT}, unpadded, SHORT, &xb));
    ASSERT_OK(deep_model_predict(model, xa, &ya));
    ASSERT_OK(deep_model_predict(short_model, xb, &yb));
    ASSERT_OK(deep_tensor_copy_to(ya, a, 2));
    ASSERT_OK(deep_tensor_copy_to(yb, b, 2));
    ck_assert_msg(fabsf(a[0] - b[0]) <= 1e-6f && fabsf(a[1] - b[1]) <= 1e-6f,
                  "padded (%g, %g) and unpadded (%g, %g) predictions differ", (double)a[0], (double)a[1], (double)b[0],
                  (double)b[1]);
    deep_tensor *x = NULL;
    ASSERT_OK(deep_dataset_features(data, &x));
    assert_reload_predicts_the_same(model, x, "masked average");
    deep_tensor_free(x);
    deep_tensor_free(xa);
    deep_tensor_free(xb);
    deep_tensor_free(ya);
    deep_tensor_free(yb);
    deep_model_free(short_model);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* A sequence decoder: Dense -> RepeatVector -> SimpleRNN(return_sequences) -> Dense per
 * step learns to write a vector's two values as a 4-step ramp; and a CNN ending in
 * GlobalMaxPooling2D(keepdims) -> Flatten learns where a bright pixel is. */
START_TEST(repeat_vector_and_global_max_models_learn_and_reload)
{
    enum { N = 32, STEPS = 4 };
    float x[N * 2], y[N * STEPS];
    struct deep_rng rng;
    deep_rng_init(&rng, 21);
    for (int s = 0; s < N; s++) {
        x[s * 2] = deep_rng_float(&rng) - 0.5f;
        x[s * 2 + 1] = deep_rng_float(&rng) - 0.5f;
        for (int t = 0; t < STEPS; t++) /* from the first value to the second */
            y[s * STEPS + t] = x[s * 2] + (x[s * 2 + 1] - x[s * 2]) * (float)t / (STEPS - 1);
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(N, 1, (int64_t[]){2}, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, y, N, STEPS));
    deep_model *model = new_model(1, (int64_t[]){2});
    ASSERT_OK(deep_model_set_seed(model, 4));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_dense(model, 8, TANH, 1));
    ASSERT_OK(deep_model_add_repeat_vector(model, STEPS));
    ASSERT_OK(deep_model_add_simple_rnn(model, 8, TANH, 1, 1));
    ASSERT_OK(deep_model_add_dense(model, 1, LINEAR, 1)); /* (4, 1) */
    compile_adam(model, 0.01, DEEP_LOSS_MEAN_SQUARED_ERROR);
    ASSERT_OK(deep_model_fit(model, data, 60, 8, NULL));
    assert_loss_falls(model, 60, 5.0, "repeat vector decoder");
    deep_tensor *features = NULL;
    ASSERT_OK(deep_dataset_features(data, &features));
    assert_reload_predicts_the_same(model, features, "repeat vector decoder");
    deep_tensor_free(features);
    deep_model_free(model);
    deep_dataset_free(data);

    /* 6x6 images with one bright pixel in the left (class 0) or right half (class 1). */
    float images[N * 36];
    int32_t labels[N];
    for (int s = 0; s < N; s++) {
        labels[s] = s % 2;
        for (int i = 0; i < 36; i++)
            images[s * 36 + i] = 0.1f * deep_rng_float(&rng);
        int64_t row = (int64_t)deep_rng_below(&rng, 6), col = (int64_t)deep_rng_below(&rng, 3) + 3 * labels[s];
        images[s * 36 + row * 6 + col] = 1.0f;
    }
    ASSERT_OK(deep_dataset_new(N, 3, (int64_t[]){6, 6, 1}, images, &data));
    ASSERT_OK(deep_dataset_set_labels(data, labels, N, 2));
    model = new_model(3, (int64_t[]){6, 6, 1});
    ASSERT_OK(deep_model_set_seed(model, 6));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    /* A 6-wide kernel with 'same' padding sees which side of the pixel the border is. */
    ASSERT_OK(deep_model_add_conv2d(model, 4, 1, 6, 1, 1, SAME, RELU, 1));
    ASSERT_OK(deep_model_add_global_max_pooling2d(model, 1)); /* (1, 1, 4) */
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    compile_adam(model, 0.05, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ASSERT_OK(deep_model_fit(model, data, 30, 8, NULL));
    assert_loss_falls(model, 30, 3.0, "global max CNN");
    ASSERT_OK(deep_dataset_features(data, &features));
    assert_reload_predicts_the_same(model, features, "global max CNN");
    deep_tensor_free(features);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* Every new type refuses a masked input except GlobalAveragePooling1D, as Keras. */
START_TEST(masks_end_only_at_the_average)
{
    deep_model *model = new_model(2, (int64_t[]){5, 2});
    ASSERT_OK(deep_model_add_masking(model, 0.0));
    ASSERT_FAILS_WITH(deep_model_add_conv1d(model, 2, 2, 1, VALID, 1, RELU, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_conv1d", "Conv1D does not take masked inputs");
    ASSERT_FAILS_WITH(deep_model_add_max_pooling1d(model, 2, 0, VALID), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_max_pooling1d", "does not take masked inputs");
    ASSERT_FAILS_WITH(deep_model_add_permute(model, 2, (int32_t[]){2, 1}), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_permute", "does not take masked inputs");
    ASSERT_OK(deep_model_add_global_average_pooling1d(model, 0));
    ASSERT_OK(deep_model_add_repeat_vector(model, 3)); /* the mask ended */
    ck_assert_int_eq(layer_count(model), 3);
    deep_model_free(model);
}
END_TEST

/* ---- model files ------------------------------------------------------------------------- */

/* Every new type in one chain, saved: (8, 2) -> Conv1D causal dilated (8, 3) -> MaxPooling1D
 * same (4, 3) -> Permute (3, 4) -> GlobalAveragePooling1D (4,) -> RepeatVector (3, 4) ->
 * Reshape (3, 4, 1) -> GlobalMaxPooling2D keepdims (1, 1, 1). */
static uint8_t *chain_file(int64_t *size)
{
    deep_model *model = new_model(2, (int64_t[]){8, 2});
    ASSERT_OK(deep_model_add_conv1d(model, 3, 2, 1, CAUSAL, 2, TANH, 1));
    ASSERT_OK(deep_model_add_max_pooling1d(model, 2, 0, SAME));
    ASSERT_OK(deep_model_add_permute(model, 2, (int32_t[]){2, 1}));
    ASSERT_OK(deep_model_add_global_average_pooling1d(model, 0));
    ASSERT_OK(deep_model_add_repeat_vector(model, 3));
    ASSERT_OK(deep_model_add_reshape(model, 3, (int64_t[]){3, 4, 1}));
    ASSERT_OK(deep_model_add_global_max_pooling2d(model, 1));
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, size));
    uint8_t *bytes = malloc((size_t)*size);
    ck_assert_ptr_nonnull(bytes);
    ASSERT_OK(deep_model_save_buffer(model, bytes, *size, size));
    deep_model_free(model);
    return bytes;
}

/* Replaces `from` by `to` (same length) in the chain's file, recomputes its checksum (as a
 * careless tool could) and expects the load to fail with `fragment` in the message. */
static void edited_chain_rejected(const char *from, const char *to, const char *fragment)
{
    int64_t size = 0;
    uint8_t *bytes = chain_file(&size);
    size_t n = strlen(from), length = (size_t)size;
    ck_assert_int_eq(n, strlen(to));
    uint8_t *at = NULL;
    for (size_t i = 0; i + n <= length && at == NULL; i++)
        if (memcmp(bytes + i, from, n) == 0)
            at = bytes + i;
    ck_assert_msg(at != NULL, "'%s' is not in the file", from);
    memcpy(at, to, n);
    const char *key = "\"libdeep.checksum\": \"";
    uint8_t *sum = NULL;
    for (size_t i = 0; i + strlen(key) < length && sum == NULL; i++)
        if (memcmp(bytes + i, key, strlen(key)) == 0)
            sum = bytes + i + strlen(key);
    ck_assert_ptr_nonnull(sum);
    size_t skip = (size_t)(sum - bytes);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), bytes, (uInt)skip);
    crc = crc32(crc, bytes + skip + 8, (uInt)(length - skip - 8));
    char hex[9];
    snprintf(hex, sizeof hex, "%08lx", crc);
    memcpy(sum, hex, 8);
    deep_model *m = NULL;
    ASSERT_FAILS_WITH(deep_model_load_buffer(bytes, size, &m), DEEP_ERR_FORMAT, "deep_model_load_buffer", fragment);
    ck_assert_ptr_null(m);
    free(bytes);
}

START_TEST(files_round_trip_and_validate_the_new_fields)
{
    int64_t size = 0;
    uint8_t *bytes = chain_file(&size);
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    ck_assert_int_eq(layer_count(loaded), 7);
    ck_assert(loaded->layers[6]->out_rank == 3 && loaded->layers[6]->out_size == 1);
    deep_model_free(loaded);
    free(bytes);
    edited_chain_rejected("\\\"dims\\\": [2, 1]", "\\\"dims\\\": [1, 1]", "dims must be a permutation of 1..2");
    edited_chain_rejected("\\\"strides\\\": 1", "\\\"strides\\\": 3", "strides 3 > 1 cannot go with dilation_rate 2");
    edited_chain_rejected("\\\"padding\\\": \\\"causal\\\"", "\\\"padding\\\": \\\"casual\\\"",
                          "must be \"valid\", \"same\" or \"causal\"");
    edited_chain_rejected("\\\"padding\\\": \\\"same\\\"", "\\\"padding\\\": \\\"sane\\\"",
                          "must be \"valid\" or \"same\"");
    edited_chain_rejected("\\\"n\\\": 3", "\\\"n\\\": 0", "n is 0");
    edited_chain_rejected("\\\"keepdims\\\": false", "\\\"keepdims\\\": 12345", "must be true or false");
}
END_TEST

/* ---------------------------------------------------------------------------------------- */

static TCase *new_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    return tc;
}

static Suite *seq_layers_suite(void)
{
    Suite *s = suite_create("seq_layers");
    TCase *tc = new_tcase("conv1d");
    tcase_add_loop_test(tc, conv1d_shapes_and_weights_follow_keras, 0, COUNT_OF(conv1d_cases));
    tcase_add_loop_test(tc, conv1d_forward_matches_direct_convolution, 0, COUNT_OF(conv1d_cases));
    tcase_add_loop_test(tc, conv1d_gradients, 0, COUNT_OF(conv1d_cases));
    tcase_add_test(tc, conv1d_matches_pytorch);
    tcase_add_test(tc, conv1d_init_glorot_uniform_and_zero_bias);
    tcase_add_test(tc, conv1d_misuse);
    suite_add_tcase(s, tc);

    tc = new_tcase("pooling");
    tcase_add_loop_test(tc, max_pooling1d_matches_reference, 0, COUNT_OF(pool1d_cases));
    tcase_add_loop_test(tc, max_pooling1d_gradients, 0, COUNT_OF(pool1d_cases));
    tcase_add_test(tc, max_pooling1d_matches_pytorch_and_routes_to_first_winner);
    tcase_add_test(tc, max_pooling1d_misuse);
    tcase_add_test(tc, global_average_pooling1d_values_with_and_without_mask);
    tcase_add_test(tc, global_average_pooling1d_gradients);
    tcase_add_test(tc, global_average_pooling1d_misuse);
    tcase_add_test(tc, global_max_pooling2d_values_and_gradients);
    suite_add_tcase(s, tc);

    tc = new_tcase("shapes");
    tcase_add_test(tc, permute_values_and_gradients);
    tcase_add_test(tc, permute_misuse);
    tcase_add_test(tc, repeat_vector_values_gradients_and_misuse);
    tcase_add_test(tc, pool_of_threads_matches_inline);
    tcase_add_test(tc, masks_end_only_at_the_average);
    tcase_add_test(tc, files_round_trip_and_validate_the_new_fields);
    suite_add_tcase(s, tc);

    tc = new_tcase("end to end");
    tcase_add_test(tc, conv1d_network_learns_and_reloads);
    tcase_add_test(tc, masked_average_ignores_padding_and_learns);
    tcase_add_test(tc, repeat_vector_and_global_max_models_learn_and_reload);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(seq_layers_suite(), CK_ENV);
}
