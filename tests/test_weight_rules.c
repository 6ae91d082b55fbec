/* Keras' per-layer weight settings (since 1.2): initializers (statistics of the drawn
 * weights against each distribution, fans of convolution kernels, seeded determinism,
 * defaults unchanged), regularizers (hand-computed Keras values in the reported loss,
 * their gradients by finite differences), constraints (hand-computed results after an
 * update), saving and loading them, and misuse. */
#include <math.h>
#include <unistd.h>

#include "check_helpers.h"

static deep_optimizer *sgd(double learning_rate)
{
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, learning_rate));
    return opt;
}

static deep_model *dense_model(int64_t inputs, int64_t units, int32_t use_bias)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){inputs}, &model));
    ASSERT_OK(deep_model_add_dense(model, units, DEEP_ACTIVATION_LINEAR, use_bias));
    return model;
}

static void compile_mse(deep_model *model, double learning_rate)
{
    ASSERT_OK(deep_model_compile(model, sgd(learning_rate), DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
}

/* A copy of weight `index` of `layer` into a new buffer (free() it); its size in *count. */
static float *weight_values(const deep_model *model, int32_t layer, int32_t index, int64_t *count)
{
    deep_tensor *t = NULL;
    ASSERT_OK(deep_model_get_weight(model, layer, index, &t));
    ASSERT_OK(deep_tensor_size(t, count));
    const float *data = NULL;
    ASSERT_OK(deep_tensor_data(t, &data));
    float *copy = malloc((size_t)*count * sizeof *copy);
    memcpy(copy, data, (size_t)*count * sizeof *copy);
    deep_tensor_free(t);
    return copy;
}

static void set_weight(deep_model *model, int32_t layer, int32_t index, int32_t rank, const int64_t *shape,
                       const float *values)
{
    int64_t count = 1;
    for (int32_t i = 0; i < rank; i++)
        count *= shape[i];
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new_from(rank, shape, values, count, &t));
    ASSERT_OK(deep_model_set_weight(model, layer, index, t));
    deep_tensor_free(t);
}

typedef struct moments {
    double mean, variance, min, max;
} moments;

static moments stats(const float *w, int64_t n)
{
    moments m = {0, 0, INFINITY, -INFINITY};
    for (int64_t i = 0; i < n; i++) {
        m.mean += w[i];
        m.min = w[i] < m.min ? w[i] : m.min;
        m.max = w[i] > m.max ? w[i] : m.max;
    }
    m.mean /= (double)n;
    for (int64_t i = 0; i < n; i++)
        m.variance += ((double)w[i] - m.mean) * ((double)w[i] - m.mean);
    m.variance /= (double)(n - 1);
    return m;
}

/* Draws the kernel of a Dense(in, units) with the initializer and checks its moments:
 * the mean within 5 standard errors and the variance within 4% (its standard error with
 * 120000 draws is under 0.5% for these distributions; the truncated normal without Keras'
 * 0.8796 correction would be 23% low, He instead of Glorot 43% off). */
static void check_dense_kernel(deep_initializer kind, double a, double b, double mean, double variance, double lo,
                               double hi)
{
    deep_model *model = dense_model(400, 300, 1);
    ASSERT_OK(deep_model_set_seed(model, 7));
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, kind, a, b));
    compile_mse(model, 0.01);
    int64_t n = 0;
    float *w = weight_values(model, 0, 0, &n);
    ck_assert_int_eq(n, 120000);
    moments m = stats(w, n);
    double se = sqrt(variance / (double)n);
    ck_assert_msg(fabs(m.mean - mean) < 5 * se + 1e-7, "initializer %d: mean %g, expected %g", (int)kind, m.mean,
                  mean);
    ck_assert_msg(fabs(m.variance / variance - 1) < 0.04, "initializer %d: variance %g, expected %g", (int)kind,
                  m.variance, variance);
    ck_assert_msg(m.min >= lo - 1e-6 && m.max <= hi + 1e-6, "initializer %d: range [%g, %g] outside [%g, %g]",
                  (int)kind, m.min, m.max, lo, hi);
    /* The range is nearly reached: a distribution bounded too tightly fails here. */
    ck_assert_msg(m.min < lo + 0.02 * (hi - lo) && m.max > hi - 0.02 * (hi - lo),
                  "initializer %d: range [%g, %g] does not reach [%g, %g]", (int)kind, m.min, m.max, lo, hi);
    free(w);
    deep_model_free(model);
}

START_TEST(variance_scaling_statistics)
{
    const double fan_in = 400, fan_out = 300, trunc = 2.0; /* truncation at 2 standard deviations */
    double glorot = sqrt(6 / (fan_in + fan_out)), he = sqrt(6 / fan_in), lecun = sqrt(3 / fan_in);
    check_dense_kernel(DEEP_INITIALIZER_GLOROT_UNIFORM, 0, 0, 0, glorot * glorot / 3, -glorot, glorot);
    check_dense_kernel(DEEP_INITIALIZER_HE_UNIFORM, 0, 0, 0, he * he / 3, -he, he);
    check_dense_kernel(DEEP_INITIALIZER_LECUN_UNIFORM, 0, 0, 0, lecun * lecun / 3, -lecun, lecun);
    /* Truncated normals: the variance named, and values within 2 sd of the untruncated normal. */
    double sd = sqrt(2 / (fan_in + fan_out)) / 0.87962566103423978;
    check_dense_kernel(DEEP_INITIALIZER_GLOROT_NORMAL, 0, 0, 0, 2 / (fan_in + fan_out), -trunc * sd, trunc * sd);
    sd = sqrt(2 / fan_in) / 0.87962566103423978;
    check_dense_kernel(DEEP_INITIALIZER_HE_NORMAL, 0, 0, 0, 2 / fan_in, -trunc * sd, trunc * sd);
    sd = sqrt(1 / fan_in) / 0.87962566103423978;
    check_dense_kernel(DEEP_INITIALIZER_LECUN_NORMAL, 0, 0, 0, 1 / fan_in, -trunc * sd, trunc * sd);
}
END_TEST

START_TEST(plain_distributions)
{
    check_dense_kernel(DEEP_INITIALIZER_RANDOM_UNIFORM, -0.5, 1.5, 0.5, 4.0 / 12, -0.5, 1.5);
    /* Truncated normal: variance 0.7737 sd^2 (the truncated standard normal's 0.87962566^2). */
    double v = 0.87962566103423978 * 0.87962566103423978 * 0.09;
    check_dense_kernel(DEEP_INITIALIZER_TRUNCATED_NORMAL, 1.0, 0.3, 1.0, v, 1.0 - 0.6, 1.0 + 0.6);
    /* The normal is not truncated: its range reaches past 4 sd with 120000 draws. */
    deep_model *model = dense_model(400, 300, 1);
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_RANDOM_NORMAL, -2, 0.5));
    compile_mse(model, 0.01);
    int64_t n;
    float *w = weight_values(model, 0, 0, &n);
    moments m = stats(w, n);
    ck_assert_double_lt(fabs(m.mean + 2), 5 * 0.5 / sqrt((double)n));
    ck_assert_double_lt(fabs(m.variance / 0.25 - 1), 0.04);
    ck_assert_double_gt(m.max, -2 + 4 * 0.5);
    free(w);
    deep_model_free(model);
}
END_TEST

START_TEST(constants_and_bias)
{
    deep_model *model = dense_model(3, 4, 1);
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_CONSTANT, 0.25, 9));
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_BIAS, DEEP_INITIALIZER_ONES, 5, 5));
    deep_initializer kind;
    double a, b;
    ASSERT_OK(deep_model_get_layer_initializer(model, -1, DEEP_WEIGHT_KERNEL, &kind, &a, &b));
    ck_assert_int_eq(kind, DEEP_INITIALIZER_CONSTANT);
    ck_assert(a == 0.25 && b == 0); /* unused parameters read back as 0 */
    ASSERT_OK(deep_model_get_layer_initializer(model, 0, DEEP_WEIGHT_BIAS, &kind, &a, &b));
    ck_assert(kind == DEEP_INITIALIZER_ONES && a == 0 && b == 0);
    compile_mse(model, 0.01);
    int64_t n;
    float *k = weight_values(model, 0, 0, &n), *bias = weight_values(model, 0, 1, &n);
    for (int i = 0; i < 12; i++)
        ck_assert_float_eq(k[i], 0.25f);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(bias[i], 1.0f);
    free(k);
    free(bias);
    deep_model_free(model);
}
END_TEST

/* Keras' fans of a Conv2D kernel (kh, kw, in, out): receptive field times in and out. */
START_TEST(conv_kernel_fans)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){12, 12, 16}, &model));
    ASSERT_OK(deep_model_add_conv2d(model, 64, 5, 5, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_HE_UNIFORM, 0, 0));
    compile_mse(model, 0.01);
    int64_t n;
    float *w = weight_values(model, 0, 0, &n);
    ck_assert_int_eq(n, 25 * 16 * 64);
    moments m = stats(w, n);
    double limit = sqrt(6.0 / (25 * 16)); /* fan_in = 5 * 5 * 16 */
    ck_assert_double_lt(fabs(m.variance / (limit * limit / 3) - 1), 0.05);
    ck_assert(m.max <= limit && m.max > 0.99 * limit && m.min >= -limit);
    free(w);
    deep_model_free(model);
}
END_TEST

START_TEST(orthogonal_gain)
{
    deep_model *model = dense_model(20, 8, 0);
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_ORTHOGONAL, 1.5, 0));
    compile_mse(model, 0.01);
    int64_t n;
    float *w = weight_values(model, 0, 0, &n); /* (20, 8): orthogonal columns of norm 1.5 */
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            double dot = 0;
            for (int r = 0; r < 20; r++)
                dot += (double)w[r * 8 + i] * w[r * 8 + j];
            ck_assert_double_lt(fabs(dot - (i == j ? 2.25 : 0)), 1e-5);
        }
    free(w);
    deep_model_free(model);
}
END_TEST

/* The seed governs the draws; a setting left at its default changes nothing. */
START_TEST(seeded_and_defaults_kept)
{
    float *w[4];
    int64_t n;
    for (int k = 0; k < 4; k++) {
        deep_model *model = dense_model(6, 5, 1);
        ASSERT_OK(deep_model_add_dense(model, 3, DEEP_ACTIVATION_SOFTMAX, 1));
        ASSERT_OK(deep_model_set_seed(model, k == 2 ? 99 : 3));
        if (k == 1 || k == 2)
            ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_HE_NORMAL, 0, 0));
        if (k == 3) /* explicitly the default: exactly as never set */
            ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_DEFAULT, 0, 0));
        compile_mse(model, 0.01);
        w[k] = weight_values(model, 0, 0, &n);
        deep_model_free(model);
    }
    ck_assert(memcmp(w[0], w[3], (size_t)n * sizeof(float)) == 0);
    ck_assert(memcmp(w[0], w[1], (size_t)n * sizeof(float)) != 0);
    ck_assert(memcmp(w[1], w[2], (size_t)n * sizeof(float)) != 0);
    deep_model *again = dense_model(6, 5, 1);
    ASSERT_OK(deep_model_add_dense(again, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    ASSERT_OK(deep_model_set_seed(again, 3));
    ASSERT_OK(deep_model_set_layer_initializer(again, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_HE_NORMAL, 0, 0));
    compile_mse(again, 0.01);
    float *same = weight_values(again, 0, 0, &n);
    ck_assert(memcmp(same, w[1], (size_t)n * sizeof(float)) == 0);
    free(same);
    deep_model_free(again);
    for (int k = 0; k < 4; k++)
        free(w[k]);
}
END_TEST

/* An LSTM's bias initializer, with Keras' unit_forget_bias ones in the forget block. */
START_TEST(lstm_bias_and_recurrent)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (const int64_t[]){5, 3}, &model));
    ASSERT_OK(deep_model_add_lstm(model, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_BIAS, DEEP_INITIALIZER_CONSTANT, -0.5, 0));
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_RECURRENT_KERNEL, DEEP_INITIALIZER_ZEROS, 0, 0));
    compile_mse(model, 0.01);
    int64_t n;
    float *bias = weight_values(model, 0, 2, &n), *rec = weight_values(model, 0, 1, &n);
    for (int i = 0; i < 16; i++)
        ck_assert_float_eq(bias[i], i >= 4 && i < 8 ? 1.0f : -0.5f);
    for (int i = 0; i < 64; i++)
        ck_assert_float_eq(rec[i], 0.0f);
    free(bias);
    free(rec);
    deep_model_free(model);
}
END_TEST

/* The loss of one batch (test_on_batch: inference, nothing changes). */
static double batch_loss(deep_model *model, const deep_tensor *x, const deep_tensor *y)
{
    double values[4];
    int64_t needed;
    ASSERT_OK(deep_model_test_on_batch(model, x, y, values, 4, &needed));
    return values[0];
}

/* Keras' values: kernel [[1, -2], [0.5, 0], [0, 3]], bias [1, -1], inputs 0 and targets
 * equal to the bias, so that the data loss is 0 and the reported loss is the penalty:
 * l1 0.01 * 6.5 + l2 0.02 * 14.25 = 0.35 for the kernel, l2 0.5 * 2 = 1 for the bias. */
START_TEST(regularizer_keras_values)
{
    deep_model *model = dense_model(3, 2, 1);
    ASSERT_OK(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_KERNEL, 0.01, 0.02));
    ASSERT_OK(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_BIAS, 0, 0.5));
    double l1, l2;
    ASSERT_OK(deep_model_get_layer_regularizer(model, 0, DEEP_WEIGHT_KERNEL, &l1, &l2));
    ck_assert(l1 == 0.01 && l2 == 0.02);
    ASSERT_OK(deep_model_get_layer_regularizer(model, 0, DEEP_WEIGHT_ACTIVITY, &l1, &l2));
    ck_assert(l1 == 0 && l2 == 0);
    compile_mse(model, 0.01);
    set_weight(model, 0, 0, 2, (const int64_t[]){3, 2}, (const float[]){1, -2, 0.5f, 0, 0, 3});
    set_weight(model, 0, 1, 1, (const int64_t[]){2}, (const float[]){1, -1});
    deep_tensor *x = NULL, *y = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){2, 3}, (const float[]){0, 0, 0, 0, 0, 0}, 6, &x));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){2, 2}, (const float[]){1, -1, 1, -1}, 4, &y));
    ck_assert_double_lt(fabs(batch_loss(model, x, y) - 1.35), 1e-6);
    /* Activity: outputs (1, -1) per sample; l1 0.1 * 2 + l2 0.2 * 2 per sample, summed over
     * the batch of 2 and divided by it: 0.6. Set on a model of the same weights. */
    deep_model *act = dense_model(3, 2, 1);
    ASSERT_OK(deep_model_set_layer_regularizer(act, 0, DEEP_WEIGHT_ACTIVITY, 0.1, 0.2));
    compile_mse(act, 0.01);
    set_weight(act, 0, 0, 2, (const int64_t[]){3, 2}, (const float[]){1, -2, 0.5f, 0, 0, 3});
    set_weight(act, 0, 1, 1, (const int64_t[]){2}, (const float[]){1, -1});
    ck_assert_double_lt(fabs(batch_loss(act, x, y) - 0.6), 1e-6);
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_model_free(act);
    deep_model_free(model);
}
END_TEST

/* The gradient one SGD step applies, (w - w') / lr, against central differences of the
 * reported loss (data loss plus every regularizer) in each weight. Since 1.3 the output
 * layer's activity regularizer also works where the loss is fused with its activation:
 * _i 1 softmax with categorical cross-entropy, _i 2 sigmoid with binary cross-entropy. */
START_TEST(regularizer_gradients)
{
    static const deep_activation output_activation[] = {DEEP_ACTIVATION_LINEAR, DEEP_ACTIVATION_SOFTMAX,
                                                        DEEP_ACTIVATION_SIGMOID};
    static const deep_loss output_loss[] = {DEEP_LOSS_MEAN_SQUARED_ERROR, DEEP_LOSS_CATEGORICAL_CROSSENTROPY,
                                            DEEP_LOSS_BINARY_CROSSENTROPY};
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){3}, &model));
    ASSERT_OK(deep_model_add_dense(model, 4, DEEP_ACTIVATION_TANH, 1));
    ASSERT_OK(deep_model_add_dense(model, 2, output_activation[_i], 1));
    ASSERT_OK(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_KERNEL, 0.03, 0.05));
    ASSERT_OK(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_BIAS, 0.02, 0.1));
    ASSERT_OK(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_ACTIVITY, 0.04, 0.07));
    ASSERT_OK(deep_model_set_layer_regularizer(model, 1, DEEP_WEIGHT_ACTIVITY, 0.01, 0.02));
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_BIAS, DEEP_INITIALIZER_RANDOM_UNIFORM, -1, 1));
    ASSERT_OK(deep_model_set_seed(model, 11));
    const double lr = 1e-3;
    if (_i > 0) /* large enough to matter beside the cross-entropy's gradient */
        ASSERT_OK(deep_model_set_layer_regularizer(model, 1, DEEP_WEIGHT_ACTIVITY, 0.3, 0.5));
    ASSERT_OK(deep_model_compile(model, sgd(lr), output_loss[_i], NULL, 0));
    deep_tensor *x = NULL, *y = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){3, 3},
                                   (const float[]){0.3f, -0.8f, 0.5f, 1.1f, 0.2f, -0.4f, -0.6f, 0.9f, 0.1f}, 9, &x));
    static const float targets[3][6] = {{0.5f, -1, 0.2f, 0.3f, -0.7f, 1}, {1, 0, 0, 1, 1, 0}, {1, 0, 1, 1, 0, 0}};
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){3, 2}, targets[_i], 6, &y));
    for (int32_t p = 0; p < 2; p++) {
        int64_t n;
        float *w = weight_values(model, 0, p, &n);
        int64_t shape[2] = {p == 0 ? 3 : 4, 4};
        int32_t rank = p == 0 ? 2 : 1;
        float *probe = malloc((size_t)n * sizeof *probe);
        double *numeric = malloc((size_t)n * sizeof *numeric);
        const float h = 1e-3f;
        for (int64_t i = 0; i < n; i++) {
            memcpy(probe, w, (size_t)n * sizeof *probe);
            probe[i] = w[i] + h;
            set_weight(model, 0, p, rank, p == 0 ? shape : shape + 1, probe);
            double up = batch_loss(model, x, y);
            probe[i] = w[i] - h;
            set_weight(model, 0, p, rank, p == 0 ? shape : shape + 1, probe);
            double down = batch_loss(model, x, y);
            numeric[i] = (up - down) / (2 * h);
        }
        set_weight(model, 0, p, rank, p == 0 ? shape : shape + 1, w);
        float *k0 = weight_values(model, 0, 0, &n), *b0 = weight_values(model, 0, 1, &n);
        float *k1 = weight_values(model, 1, 0, &n), *b1 = weight_values(model, 1, 1, &n);
        double values[4];
        int64_t needed;
        ASSERT_OK(deep_model_train_on_batch(model, x, y, values, 4, &needed));
        int64_t m;
        float *after = weight_values(model, 0, p, &m);
        for (int64_t i = 0; i < m; i++) {
            double analytic = ((double)w[i] - after[i]) / lr;
            ck_assert_msg(fabs(analytic - numeric[i]) < 2e-3 + 1e-2 * fabs(numeric[i]),
                          "weight %d entry %lld: step gives %g, differences %g", (int)p, (long long)i, analytic,
                          numeric[i]);
        }
        /* Undo the step for the next weight's check. */
        set_weight(model, 0, 0, 2, (const int64_t[]){3, 4}, k0);
        set_weight(model, 0, 1, 1, (const int64_t[]){4}, b0);
        set_weight(model, 1, 0, 2, (const int64_t[]){4, 2}, k1);
        set_weight(model, 1, 1, 1, (const int64_t[]){2}, b1);
        free(k0);
        free(b0);
        free(k1);
        free(b1);
        free(after);
        free(probe);
        free(numeric);
        free(w);
    }
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_model_free(model);
}
END_TEST

/* One training step that leaves the kernel as set (zero inputs: no gradient reaches it),
 * after which the constraint holds. */
static float *constrained(deep_constraint kind, double min_value, double max_value, double rate, const int32_t *axes,
                          int32_t axis_count)
{
    deep_model *model = dense_model(3, 2, 0);
    ASSERT_OK(deep_model_set_layer_constraint(model, 0, DEEP_WEIGHT_KERNEL, kind, min_value, max_value, rate, axes,
                                              axis_count));
    compile_mse(model, 0.1);
    set_weight(model, 0, 0, 2, (const int64_t[]){3, 2}, (const float[]){1, -2, 0.5f, 0, 0, 3});
    deep_tensor *x = NULL, *y = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){1, 3}, (const float[]){0, 0, 0}, 3, &x));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){1, 2}, (const float[]){0, 0}, 2, &y));
    double values[2];
    int64_t needed;
    ASSERT_OK(deep_model_train_on_batch(model, x, y, values, 2, &needed));
    int64_t n;
    float *w = weight_values(model, 0, 0, &n);
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_model_free(model);
    return w;
}

static void assert_kernel(const float *w, const double *expected)
{
    for (int i = 0; i < 6; i++)
        ck_assert_msg(fabs(w[i] - expected[i]) < 1e-5, "entry %d is %g, expected %g", i, w[i], expected[i]);
}

/* Columns (axis 0) of [[1, -2], [0.5, 0], [0, 3]] have norms sqrt(1.25) and sqrt(13). */
START_TEST(constraint_keras_values)
{
    double n0 = sqrt(1.25), n1 = sqrt(13.0), e = 1e-7;
    float *w = constrained(DEEP_CONSTRAINT_MAX_NORM, 0, 2, 0, (const int32_t[]){0}, 1);
    double s0 = n0 / (e + n0), s1 = 2 / (e + n1);
    assert_kernel(w, (const double[]){s0, -2 * s1, 0.5 * s0, 0, 0, 3 * s1});
    free(w);
    w = constrained(DEEP_CONSTRAINT_UNIT_NORM, 0, 0, 0, (const int32_t[]){-2}, 1);
    assert_kernel(w, (const double[]){1 / n0, -2 / n1, 0.5 / n0, 0, 0, 3 / n1});
    free(w);
    w = constrained(DEEP_CONSTRAINT_NON_NEG, 0, 0, 0, NULL, 0);
    assert_kernel(w, (const double[]){1, 0, 0.5, 0, 0, 3});
    free(w);
    /* Rows (axis 1): norms sqrt(5), 0.5, 3; min 1, max 2, rate 0.5. */
    w = constrained(DEEP_CONSTRAINT_MIN_MAX_NORM, 1, 2, 0.5, (const int32_t[]){1}, 1);
    double r0 = (0.5 * 2 + 0.5 * sqrt(5.0)) / (e + sqrt(5.0)), r1 = (0.5 * 1 + 0.5 * 0.5) / (e + 0.5),
           r2 = (0.5 * 2 + 0.5 * 3) / (e + 3);
    assert_kernel(w, (const double[]){r0, -2 * r0, 0.5 * r1, 0, 0, 3 * r2});
    free(w);
    /* Both axes: one norm, sqrt(14.25), clipped to 2. */
    w = constrained(DEEP_CONSTRAINT_MAX_NORM, 0, 2, 0, (const int32_t[]){0, 1}, 2);
    double s = 2 / (e + sqrt(14.25));
    assert_kernel(w, (const double[]){s, -2 * s, 0.5 * s, 0, 0, 3 * s});
    free(w);
}
END_TEST

START_TEST(saved_and_loaded)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){4}, &model));
    ASSERT_OK(deep_model_add_dense(model, 3, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_RANDOM_NORMAL, 0.1, 0.3));
    ASSERT_OK(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_KERNEL, 0, 1e-4));
    ASSERT_OK(deep_model_set_layer_regularizer(model, 1, DEEP_WEIGHT_ACTIVITY, 0.25, 0));
    ASSERT_OK(deep_model_set_layer_constraint(model, 1, DEEP_WEIGHT_KERNEL, DEEP_CONSTRAINT_MIN_MAX_NORM, 0.5, 3, 0.75,
                                              (const int32_t[]){0, -1}, 2));
    for (int compiled = 0; compiled < 2; compiled++) {
        if (compiled)
            compile_mse(model, 0.01);
        int64_t needed = 0;
        ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &needed));
        void *file = malloc((size_t)needed);
        ASSERT_OK(deep_model_save_buffer(model, file, needed, &needed));
        deep_model *loaded = NULL;
        ASSERT_OK(deep_model_load_buffer(file, needed, &loaded));
        deep_initializer kind;
        double a, b, l1, l2, lo, hi, rate;
        int32_t axes[8], count;
        deep_constraint c;
        ASSERT_OK(deep_model_get_layer_initializer(loaded, 0, DEEP_WEIGHT_KERNEL, &kind, &a, &b));
        ck_assert(kind == DEEP_INITIALIZER_RANDOM_NORMAL && a == 0.1 && b == 0.3);
        ASSERT_OK(deep_model_get_layer_regularizer(loaded, 0, DEEP_WEIGHT_KERNEL, &l1, &l2));
        ck_assert(l1 == 0 && l2 == 1e-4);
        ASSERT_OK(deep_model_get_layer_regularizer(loaded, 1, DEEP_WEIGHT_ACTIVITY, &l1, &l2));
        ck_assert(l1 == 0.25 && l2 == 0);
        ASSERT_OK(deep_model_get_layer_constraint(loaded, 1, DEEP_WEIGHT_KERNEL, &c, &lo, &hi, &rate, axes, &count));
        ck_assert(c == DEEP_CONSTRAINT_MIN_MAX_NORM && lo == 0.5 && hi == 3 && rate == 0.75 && count == 2 &&
                  axes[0] == 0 && axes[1] == -1);
        ASSERT_OK(deep_model_get_layer_initializer(loaded, 1, DEEP_WEIGHT_BIAS, &kind, &a, &b));
        ck_assert(kind == DEEP_INITIALIZER_DEFAULT);
        /* A clone keeps them too. */
        deep_model *copy = NULL;
        ASSERT_OK(deep_model_clone(loaded, &copy));
        ASSERT_OK(deep_model_get_layer_regularizer(copy, 1, DEEP_WEIGHT_ACTIVITY, &l1, &l2));
        ck_assert(l1 == 0.25);
        deep_model_free(copy);
        deep_model_free(loaded);
        free(file);
    }
    deep_model_free(model);
}
END_TEST

START_TEST(misuse)
{
    deep_model *model = dense_model(3, 2, 0);
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    ASSERT_FAILS(deep_model_set_layer_initializer(NULL, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_ONES, 0, 0),
                 DEEP_ERR_NULL, "deep_model_set_layer_initializer");
    ASSERT_FAILS_WITH(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_BIAS, DEEP_INITIALIZER_ONES, 0, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer", "no bias");
    ASSERT_FAILS(deep_model_set_layer_initializer(model, 2, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_ONES, 0, 0),
                 DEEP_ERR_OUT_OF_RANGE, "deep_model_set_layer_initializer");
    ASSERT_FAILS(deep_model_set_layer_initializer(model, 0, (deep_weight_role)17, DEEP_INITIALIZER_ONES, 0, 0),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer");
    ASSERT_FAILS(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, (deep_initializer)99, 0, 0),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer");
    ASSERT_FAILS(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_RANDOM_UNIFORM, 1, 1),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer");
    ASSERT_FAILS(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_RANDOM_NORMAL, 0, 0),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer");
    ASSERT_FAILS(deep_model_set_layer_initializer(model, 0, DEEP_WEIGHT_ACTIVITY, DEEP_INITIALIZER_ONES, 0, 0),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer");
    ASSERT_FAILS(deep_model_set_layer_initializer(model, 1, DEEP_WEIGHT_BIAS, DEEP_INITIALIZER_ORTHOGONAL, 1, 0),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer");
    ASSERT_FAILS(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_KERNEL, -1, 0), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_layer_regularizer");
    ASSERT_FAILS(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_KERNEL, 0, NAN), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_layer_regularizer");
    ASSERT_FAILS(deep_model_set_layer_constraint(model, 0, DEEP_WEIGHT_KERNEL, DEEP_CONSTRAINT_MAX_NORM, 0, 2, 0, NULL,
                                                 1),
                 DEEP_ERR_NULL, "deep_model_set_layer_constraint");
    ASSERT_FAILS(deep_model_set_layer_constraint(model, 0, DEEP_WEIGHT_KERNEL, DEEP_CONSTRAINT_MAX_NORM, 0, 2, 0,
                                                 (const int32_t[]){0, 0}, 2),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_constraint");
    ASSERT_FAILS(deep_model_set_layer_constraint(model, 0, DEEP_WEIGHT_KERNEL, DEEP_CONSTRAINT_MIN_MAX_NORM, 2, 1, 1,
                                                 (const int32_t[]){0}, 1),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_constraint");
    ASSERT_FAILS(deep_model_set_layer_constraint(model, 0, DEEP_WEIGHT_KERNEL, DEEP_CONSTRAINT_MIN_MAX_NORM, 0, 1, 1.5,
                                                 (const int32_t[]){0}, 1),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_constraint");
    ASSERT_FAILS(deep_model_set_layer_constraint(model, 0, DEEP_WEIGHT_ACTIVITY, DEEP_CONSTRAINT_NON_NEG, 0, 0, 0, NULL,
                                                 0),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_constraint");
    deep_initializer kind;
    double a, b;
    ASSERT_FAILS(deep_model_get_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, NULL, &a, &b), DEEP_ERR_NULL,
                 "deep_model_get_layer_initializer");
    /* Checked at compile: an axis beyond the weight's rank, leaving the model uncompiled. */
    ASSERT_OK(deep_model_set_layer_constraint(model, 0, DEEP_WEIGHT_KERNEL, DEEP_CONSTRAINT_UNIT_NORM, 0, 0, 0,
                                              (const int32_t[]){2}, 1));
    ASSERT_FAILS_WITH(deep_model_compile(model, sgd(0.1), DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_compile", "axis 2");
    ASSERT_OK(deep_model_set_layer_constraint(model, 0, DEEP_WEIGHT_KERNEL, DEEP_CONSTRAINT_NONE, 0, 0, 0, NULL, 0));
    ASSERT_OK(deep_model_set_layer_regularizer(model, 1, DEEP_WEIGHT_ACTIVITY, 0, 0.1));
    /* since 1.3 fused with the loss too (regularizer_gradients checks its gradient) */
    ASSERT_OK(deep_model_compile(model, sgd(0.1), DEEP_LOSS_CATEGORICAL_CROSSENTROPY, NULL, 0));
    compile_mse(model, 0.1);
    ASSERT_FAILS(deep_model_set_layer_regularizer(model, 0, DEEP_WEIGHT_KERNEL, 0, 1), DEEP_ERR_STATE,
                 "deep_model_set_layer_regularizer");
    ASSERT_OK(deep_model_get_layer_initializer(model, 0, DEEP_WEIGHT_KERNEL, &kind, &a, &b));
    deep_model_free(model);
}
END_TEST

/* Dense(4) -> Dense(4) -> Dense(4) on (4,) inputs, model seed `seed`; layers 1 and 2 get
 * he_normal kernels, seeded with `kernel_seed` when it is not 0. */
static deep_model *seeded_stack(uint64_t seed, uint64_t kernel_seed)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){4}, &model));
    ASSERT_OK(deep_model_set_seed(model, seed));
    for (int i = 0; i < 3; i++)
        ASSERT_OK(deep_model_add_dense(model, 4, DEEP_ACTIVATION_TANH, 1));
    for (int32_t layer = 1; layer < 3; layer++) {
        ASSERT_OK(deep_model_set_layer_initializer(model, layer, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_HE_NORMAL, 0, 0));
        if (kernel_seed != 0)
            ASSERT_OK(deep_model_set_layer_initializer_seed(model, layer, DEEP_WEIGHT_KERNEL, 1, kernel_seed));
    }
    compile_mse(model, 0.1);
    return model;
}

static bool same_weight(const deep_model *a, int32_t la, const deep_model *b, int32_t lb)
{
    int64_t n = 0, m = 0;
    float *wa = weight_values(a, la, 0, &n), *wb = weight_values(b, lb, 0, &m);
    bool same = n == m && memcmp(wa, wb, (size_t)n * sizeof *wa) == 0;
    free(wa);
    free(wb);
    return same;
}

/* Keras' initializer seed= (since 1.3): a seeded kernel is the same whatever the model's
 * seed, two kernels of one seed get the same draws, the layer's own bias still follows the
 * model's seed; saved in model files; misuse refused. */
START_TEST(initializer_seed)
{
    deep_model *a = seeded_stack(1, 42), *b = seeded_stack(2, 42), *c = seeded_stack(1, 0), *d = seeded_stack(1, 43);
    ck_assert(same_weight(a, 1, b, 1) && same_weight(a, 2, b, 2)); /* another model seed: the same kernels */
    ck_assert(same_weight(a, 1, a, 2));                            /* one seed, one shape: the same draws */
    ck_assert(!same_weight(a, 0, b, 0));                           /* unseeded layer 0 follows the model */
    ck_assert(!same_weight(a, 1, c, 1) && !same_weight(a, 1, d, 1));
    /* Keras' he_normal statistics still hold for the seeded draw (truncated, variance 2 / 4
     * over 16 entries: loosely). */
    int64_t n = 0;
    float *w = weight_values(a, 1, 0, &n);
    double sq = 0;
    for (int64_t i = 0; i < n; i++) {
        ck_assert(fabsf(w[i]) <= 2 * sqrtf(0.5f) / 0.87962566f + 1e-6f);
        sq += (double)w[i] * w[i];
    }
    ck_assert(sq / (double)n > 0.1 && sq / (double)n < 1.5);
    free(w);
    int32_t seeded = -1;
    uint64_t seed = 0;
    ASSERT_OK(deep_model_get_layer_initializer_seed(a, 2, DEEP_WEIGHT_KERNEL, &seeded, &seed));
    ck_assert(seeded == 1 && seed == 42);
    /* A seed of 2^64 - 1 survives a file; compiling again draws the same kernels. */
    deep_model *big = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){4}, &big));
    ASSERT_OK(deep_model_add_dense(big, 3, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_OK(deep_model_set_layer_initializer(big, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_RANDOM_UNIFORM, -1, 1));
    ASSERT_OK(deep_model_set_layer_initializer_seed(big, 0, DEEP_WEIGHT_KERNEL, 1, UINT64_MAX));
    compile_mse(big, 0.1);
    char path[] = "/tmp/libdeep-initializer-seed-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ASSERT_OK(deep_model_save(big, path));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load(path, &loaded));
    ASSERT_OK(deep_model_get_layer_initializer_seed(loaded, 0, DEEP_WEIGHT_KERNEL, &seeded, &seed));
    ck_assert(seeded == 1 && seed == UINT64_MAX);
    ck_assert(same_weight(big, 0, loaded, 0));
    close(fd);
    unlink(path);
    deep_model *again = seeded_stack(9, 42);
    ck_assert(same_weight(a, 1, again, 1));
    /* Misuse. */
    ASSERT_FAILS(deep_model_set_layer_initializer_seed(a, 1, DEEP_WEIGHT_KERNEL, 1, 5), DEEP_ERR_STATE,
                 "deep_model_set_layer_initializer_seed");
    deep_model *fresh = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){4}, &fresh));
    ASSERT_OK(deep_model_add_dense(fresh, 3, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_FAILS_WITH(deep_model_set_layer_initializer_seed(fresh, 0, DEEP_WEIGHT_KERNEL, 1, 5), DEEP_ERR_STATE,
                      "deep_model_set_layer_initializer_seed", "deep_model_set_layer_initializer first");
    ASSERT_OK(deep_model_set_layer_initializer(fresh, 0, DEEP_WEIGHT_BIAS, DEEP_INITIALIZER_CONSTANT, 0.5, 0));
    ASSERT_FAILS_WITH(deep_model_set_layer_initializer_seed(fresh, 0, DEEP_WEIGHT_BIAS, 1, 5),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer_seed", "takes no seed");
    ASSERT_OK(deep_model_set_layer_initializer(fresh, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_ORTHOGONAL, 1, 0));
    ASSERT_FAILS(deep_model_set_layer_initializer_seed(fresh, 0, DEEP_WEIGHT_KERNEL, 2, 5),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer_seed");
    ASSERT_OK(deep_model_set_layer_initializer_seed(fresh, 0, DEEP_WEIGHT_KERNEL, 1, 5));
    ASSERT_OK(deep_model_set_layer_initializer(fresh, 0, DEEP_WEIGHT_KERNEL, DEEP_INITIALIZER_ORTHOGONAL, 2, 0));
    ASSERT_OK(deep_model_get_layer_initializer_seed(fresh, 0, DEEP_WEIGHT_KERNEL, &seeded, &seed));
    ck_assert(seeded == 0 && seed == 0); /* a new initializer has no seed */
    ASSERT_FAILS(deep_model_get_layer_initializer_seed(fresh, 0, DEEP_WEIGHT_KERNEL, NULL, &seed), DEEP_ERR_NULL,
                 "deep_model_get_layer_initializer_seed");
    ASSERT_FAILS(deep_model_set_layer_initializer_seed(fresh, 0, DEEP_WEIGHT_ACTIVITY, 1, 5),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_initializer_seed");
    deep_model_free(fresh);
    deep_model_free(again);
    deep_model_free(loaded);
    deep_model_free(big);
    deep_model_free(a);
    deep_model_free(b);
    deep_model_free(c);
    deep_model_free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("weight_rules");
    TCase *tc = tcase_create("weight_rules");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, variance_scaling_statistics);
    tcase_add_test(tc, plain_distributions);
    tcase_add_test(tc, constants_and_bias);
    tcase_add_test(tc, conv_kernel_fans);
    tcase_add_test(tc, orthogonal_gain);
    tcase_add_test(tc, seeded_and_defaults_kept);
    tcase_add_test(tc, lstm_bias_and_recurrent);
    tcase_add_test(tc, regularizer_keras_values);
    tcase_add_loop_test(tc, regularizer_gradients, 0, 3);
    tcase_add_test(tc, initializer_seed);
    tcase_add_test(tc, constraint_keras_values);
    tcase_add_test(tc, saved_and_loaded);
    tcase_add_test(tc, misuse);
    suite_add_tcase(s, tc);
    return run_suite(s, CK_NORMAL);
}
