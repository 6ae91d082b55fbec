/* Keras' from_logits and label_smoothing of the cross-entropies: values against Keras'
 * formulas evaluated by hand (numpy, in the comments), gradients against central finite
 * differences, the logit forms against the probability forms, huge logits, and the
 * settings through a model (options, evaluate, save and load). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deep.h"
#include "losses/loss.h"
#include "check_helpers.h"

#define ROWS 2
#define WIDTH 3
#define N (ROWS * WIDTH)

static const float logits[N] = {2.0f, -1.0f, 0.5f, -3.0f, 0.25f, 4.0f};
static const float soft_targets[N] = {1.0f, 0.0f, 0.3f, 0.0f, 1.0f, 1.0f};
static const float onehot[N] = {0, 1, 0, 0, 0, 1};
static const int32_t labels[ROWS] = {1, 2};
static const float probs[N] = {0.7f, 0.2f, 0.1f, 0.1f, 0.3f, 0.6f};

static double apply(deep_loss loss, bool from_logits, double smoothing, const float *p, const float *y, float *grad)
{
    const deep_loss_config config = {.huber_delta = 1.0, .from_logits = from_logits, .label_smoothing = smoothing};
    return deep_loss_apply(loss, &config, p, y, labels, ROWS, WIDTH, grad);
}

/* Keras (TensorFlow's fused forms), numpy in double on the float inputs above:
 *   bce  mean(max(x, 0) - x y + log1p(exp(-|x|))), y -> y (1 - s) + s / 2
 *        = 0.3178238960252055 (s = 0), 0.48532389622388766 (s = 0.2)
 *   cce  mean(-sum(y * log_softmax(x))), y -> y (1 - s) + s / 3
 *        = 1.6327236468519728 (s = 0), 1.9452236468519724 (s = 0.3)
 * and in probability space (clip to [1e-7, 1 - 1e-7]; cce divides rows by their sum):
 *   bce(probs, soft_targets, s = 0.2) = 0.6085487803242966
 *   cce(probs, onehot, s = 0.3)       = 1.1563963016133565 */
START_TEST(keras_values)
{
    ck_assert_double_eq_tol(apply(DEEP_LOSS_BINARY_CROSSENTROPY, true, 0, logits, soft_targets, NULL),
                            0.3178238960252055, 1e-12);
    ck_assert_double_eq_tol(apply(DEEP_LOSS_BINARY_CROSSENTROPY, true, 0.2, logits, soft_targets, NULL),
                            0.48532389622388766, 1e-12);
    ck_assert_double_eq_tol(apply(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, true, 0, logits, onehot, NULL),
                            1.6327236468519728, 1e-12);
    ck_assert_double_eq_tol(apply(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, true, 0.3, logits, onehot, NULL),
                            1.9452236468519724, 1e-12);
    /* The sparse loss on labels {1, 2} is the categorical one on their one-hot rows, and
     * takes no smoothing (Keras' SparseCategoricalCrossentropy has none). */
    ck_assert_double_eq_tol(apply(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true, 0.3, logits, NULL, NULL),
                            1.6327236468519728, 1e-12);
    ck_assert_double_eq_tol(apply(DEEP_LOSS_BINARY_CROSSENTROPY, false, 0.2, probs, soft_targets, NULL),
                            0.6085487803242966, 1e-6);
    ck_assert_double_eq_tol(apply(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, false, 0.3, probs, onehot, NULL),
                            1.1563963016133565, 1e-6);
    /* Other losses ignore both settings. */
    ck_assert_double_eq(apply(DEEP_LOSS_MEAN_SQUARED_ERROR, true, 0.5, probs, onehot, NULL),
                        deep_loss_compute(DEEP_LOSS_MEAN_SQUARED_ERROR, probs, onehot, NULL, ROWS, WIDTH, NULL));
}
END_TEST

/* On logits x the loss equals the probability loss on sigmoid(x) or softmax(x), where
 * the probabilities stay clear of the clip. */
START_TEST(logits_match_probabilities)
{
    float sig[N], soft[N];
    for (int i = 0; i < N; i++)
        sig[i] = (float)(1 / (1 + exp(-(double)logits[i])));
    for (int r = 0; r < ROWS; r++) {
        double z = 0;
        for (int j = 0; j < WIDTH; j++)
            z += exp((double)logits[r * WIDTH + j]);
        for (int j = 0; j < WIDTH; j++)
            soft[r * WIDTH + j] = (float)(exp((double)logits[r * WIDTH + j]) / z);
    }
    for (int s = 0; s < 2; s++) {
        const double smoothing = s ? 0.1 : 0;
        ck_assert_double_eq_tol(apply(DEEP_LOSS_BINARY_CROSSENTROPY, true, smoothing, logits, soft_targets, NULL),
                                apply(DEEP_LOSS_BINARY_CROSSENTROPY, false, smoothing, sig, soft_targets, NULL), 1e-6);
        ck_assert_double_eq_tol(apply(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, true, smoothing, logits, onehot, NULL),
                                apply(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, false, smoothing, soft, onehot, NULL), 1e-6);
    }
}
END_TEST

/* Logits of +-1000 overflow exp() in a naive form; the fused forms give the exact values:
 * bce(1000, 0) = 1000, bce(-1000, 0) = 0; softmax cce of row (1000, -1000) at class 1 is
 * 2000, at class 0 is 0. Gradients stay finite: sigmoid - y and softmax - y. */
START_TEST(huge_logits_are_finite)
{
    const float x[2] = {1000.0f, -1000.0f}, zero[2] = {0, 0};
    const deep_loss_config config = {.huber_delta = 1.0, .from_logits = true};
    float grad[2];
    ck_assert_double_eq_tol(deep_loss_apply(DEEP_LOSS_BINARY_CROSSENTROPY, &config, x, zero, NULL, 1, 2, grad), 500.0,
                            1e-9);
    ck_assert_float_eq_tol(grad[0], 0.5f, 1e-7f);
    ck_assert_float_eq_tol(grad[1], 0.0f, 1e-7f);
    const int32_t one[1] = {1}, zero_label[1] = {0};
    ck_assert_double_eq_tol(
        deep_loss_apply(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, &config, x, NULL, one, 1, 2, grad), 2000.0, 1e-9);
    ck_assert_float_eq_tol(grad[0], 1.0f, 1e-7f);
    ck_assert_float_eq_tol(grad[1], -1.0f, 1e-7f);
    ck_assert_double_eq_tol(
        deep_loss_apply(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, &config, x, NULL, zero_label, 1, 2, grad), 0.0,
        1e-9);
    /* A label out of range is NaN with a zero gradient row, as the probability form. */
    const int32_t bad[1] = {5};
    ck_assert(isnan(deep_loss_apply(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, &config, x, NULL, bad, 1, 2, grad)));
    ck_assert(grad[0] == 0 && grad[1] == 0);
}
END_TEST

/* Central differences of the loss in double, stepping a float input by h. */
static void check_gradient(deep_loss loss, bool from_logits, double smoothing, const float *p0, const float *y)
{
    float p[N], grad[N];
    memcpy(p, p0, sizeof p);
    const double value = apply(loss, from_logits, smoothing, p, y, grad);
    ck_assert(isfinite(value));
    for (int i = 0; i < N; i++) {
        const float saved = p[i], h = 1e-3f;
        p[i] = saved + h;
        const double up = apply(loss, from_logits, smoothing, p, y, NULL), at_up = p[i];
        p[i] = saved - h;
        const double down = apply(loss, from_logits, smoothing, p, y, NULL), at_down = p[i];
        p[i] = saved;
        const double numeric = (up - down) / (at_up - at_down);
        ck_assert_msg(fabs(grad[i] - numeric) <= 1e-4 + 1e-3 * fabs(numeric),
                      "loss %d logits %d smoothing %g element %d: analytic %g, numeric %g", (int)loss, (int)from_logits,
                      smoothing, i, (double)grad[i], numeric);
    }
}

START_TEST(gradients_match_finite_differences)
{
    const double smoothing[] = {0, 0.2};
    for (int s = 0; s < 2; s++) {
        check_gradient(DEEP_LOSS_BINARY_CROSSENTROPY, true, smoothing[s], logits, soft_targets);
        check_gradient(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, true, smoothing[s], logits, onehot);
        check_gradient(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, true, smoothing[s], logits, soft_targets);
        check_gradient(DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true, smoothing[s], logits, NULL);
        check_gradient(DEEP_LOSS_BINARY_CROSSENTROPY, false, smoothing[s], probs, soft_targets);
        check_gradient(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, false, smoothing[s], probs, onehot);
    }
}
END_TEST

/* The fused sigmoid / softmax gradient with smoothed targets is the chain rule through
 * the activation of the smoothed loss: p - y'. */
START_TEST(fused_gradient_smooths_targets)
{
    float grad[N];
    deep_loss_fused_grad(DEEP_LOSS_BINARY_CROSSENTROPY, 0.2, probs, soft_targets, NULL, ROWS, WIDTH, grad);
    for (int i = 0; i < N; i++)
        ck_assert_float_eq_tol(grad[i], (probs[i] - (soft_targets[i] * 0.8f + 0.1f)) / N, 1e-7f);
    deep_loss_fused_grad(DEEP_LOSS_CATEGORICAL_CROSSENTROPY, 0.3, probs, onehot, NULL, ROWS, WIDTH, grad);
    for (int i = 0; i < N; i++)
        ck_assert_float_eq_tol(grad[i], (probs[i] - (onehot[i] * 0.7f + 0.1f)) / ROWS, 1e-7f);
}
END_TEST

/* A model: Dense(3, linear) with from_logits scores exactly as the same weights with a
 * softmax output (the fused path) on probabilities; options are checked, survive a save
 * and load, and a file with bad values is refused. */
static deep_model *small_model(deep_activation activation, deep_loss loss)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){2}, &m));
    ASSERT_OK(deep_model_set_seed(m, 7));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_dense(m, 3, activation, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(m, opt, loss, NULL, 0));
    return m;
}

static deep_dataset *small_data(void)
{
    const float x[8] = {0.5f, -1.0f, 1.5f, 0.25f, -0.75f, 2.0f, 1.0f, 1.0f};
    const int32_t y[4] = {0, 2, 1, 2};
    deep_dataset *d = NULL;
    ASSERT_OK(deep_dataset_new(4, 1, (const int64_t[]){2}, x, &d));
    ASSERT_OK(deep_dataset_set_labels(d, y, 4, 3));
    return d;
}

START_TEST(model_from_logits_and_smoothing)
{
    deep_dataset *d = small_data();
    deep_model *logit = small_model(DEEP_ACTIVATION_LINEAR, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    deep_model *prob = small_model(DEEP_ACTIVATION_SOFTMAX, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ASSERT_OK(deep_model_set_int(logit, DEEP_MODEL_FROM_LOGITS, 1));
    int64_t flag = 0, needed;
    ASSERT_OK(deep_model_get_int(logit, DEEP_MODEL_FROM_LOGITS, &flag));
    ck_assert_int_eq(flag, 1);
    double a[1], b[1];
    ASSERT_OK(deep_model_evaluate(logit, d, 4, a, 1, &needed));
    ASSERT_OK(deep_model_evaluate(prob, d, 4, b, 1, &needed));
    ck_assert_double_eq_tol(a[0], b[0], 1e-6);
    /* One training step each: the same weights afterwards (to float rounding). */
    ASSERT_OK(deep_model_fit(logit, d, 1, 4, NULL));
    ASSERT_OK(deep_model_fit(prob, d, 1, 4, NULL));
    ASSERT_OK(deep_model_evaluate(logit, d, 4, a, 1, &needed));
    ASSERT_OK(deep_model_evaluate(prob, d, 4, b, 1, &needed));
    ck_assert_double_eq_tol(a[0], b[0], 1e-6);

    /* Bad values are refused, naming the function, and change nothing. */
    ASSERT_FAILS(deep_model_set_int(logit, DEEP_MODEL_FROM_LOGITS, 2), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_int");
    ASSERT_FAILS(deep_model_set_float(logit, DEEP_MODEL_LABEL_SMOOTHING, 1.5), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_float(logit, DEEP_MODEL_LABEL_SMOOTHING, NAN), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_float(logit, DEEP_MODEL_FROM_LOGITS, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_int(logit, DEEP_MODEL_LABEL_SMOOTHING, 0), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_int");
    ASSERT_FAILS(deep_model_set_int(logit, DEEP_MODEL_TOP_K, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_int");
    ASSERT_FAILS(deep_model_set_float(logit, DEEP_MODEL_METRIC_THRESHOLD, INFINITY), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    double smoothing = -1;
    ASSERT_OK(deep_model_get_float(logit, DEEP_MODEL_LABEL_SMOOTHING, &smoothing));
    ck_assert(smoothing == 0.0);

    /* Saved and loaded with the compiled model; absent from a file at Keras' defaults. */
    ASSERT_OK(deep_model_set_float(logit, DEEP_MODEL_LABEL_SMOOTHING, 0.25));
    ASSERT_OK(deep_model_set_int(logit, DEEP_MODEL_TOP_K, 2));
    ASSERT_OK(deep_model_set_float(logit, DEEP_MODEL_METRIC_THRESHOLD, 0.125));
    char path[] = "/tmp/libdeep-loss-options-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ASSERT_OK(deep_model_save(logit, path));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load(path, &loaded));
    int64_t k = 0;
    double threshold = 0;
    ASSERT_OK(deep_model_get_int(loaded, DEEP_MODEL_FROM_LOGITS, &flag));
    ASSERT_OK(deep_model_get_float(loaded, DEEP_MODEL_LABEL_SMOOTHING, &smoothing));
    ASSERT_OK(deep_model_get_int(loaded, DEEP_MODEL_TOP_K, &k));
    ASSERT_OK(deep_model_get_float(loaded, DEEP_MODEL_METRIC_THRESHOLD, &threshold));
    ck_assert(flag == 1 && smoothing == 0.25 && k == 2 && threshold == 0.125);
    ASSERT_OK(deep_model_evaluate(logit, d, 4, a, 1, &needed));
    ASSERT_OK(deep_model_evaluate(loaded, d, 4, b, 1, &needed));
    ck_assert_double_eq(a[0], b[0]);
    deep_model_free(loaded);
    ASSERT_OK(deep_model_save(prob, path));
    ASSERT_OK(deep_model_load(path, &loaded));
    ASSERT_OK(deep_model_get_int(loaded, DEEP_MODEL_FROM_LOGITS, &flag));
    ASSERT_OK(deep_model_get_int(loaded, DEEP_MODEL_TOP_K, &k));
    ck_assert(flag == 0 && k == 5);
    deep_model_free(loaded);
    close(fd);
    unlink(path);
    deep_model_free(logit);
    deep_model_free(prob);
    deep_dataset_free(d);
}
END_TEST

/* Input (4,) -> Dense(5, tanh) -> two heads Dense(3): head 0 linear (logits), head 1
 * softmax; categorical cross-entropy on both, compiled with an SGD of rate `lr`. */
static deep_model *two_heads(double lr)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){4}, &m));
    ASSERT_OK(deep_model_set_seed(m, 5));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_dense(m, 5, DEEP_ACTIVATION_TANH, 1));
    int32_t hidden = 0, heads[2];
    ASSERT_OK(deep_model_last_node(m, &hidden));
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(deep_model_connect(m, &hidden, 1));
        ASSERT_OK(deep_model_add_dense(m, 3, k == 0 ? DEEP_ACTIVATION_LINEAR : DEEP_ACTIVATION_SOFTMAX, 1));
        ASSERT_OK(deep_model_last_node(m, &heads[k]));
    }
    ASSERT_OK(deep_model_set_outputs(m, heads, 2));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_optimizer_set_float(sgd, DEEP_OPT_LEARNING_RATE, lr));
    const deep_loss losses[2] = {DEEP_LOSS_CATEGORICAL_CROSSENTROPY, DEEP_LOSS_CATEGORICAL_CROSSENTROPY};
    ASSERT_OK(deep_model_compile_outputs(m, sgd, losses, NULL, 2, NULL, 0));
    ASSERT_OK(deep_model_set_output_int(m, 0, DEEP_MODEL_FROM_LOGITS, 1));
    ASSERT_OK(deep_model_set_output_float(m, 0, DEEP_MODEL_LABEL_SMOOTHING, 0.2));
    return m;
}

/* Since 1.3, from_logits and label_smoothing per output (Keras' loss objects per output):
 * each output's loss against Keras' formulas from predict, the gradient (one SGD step)
 * against central differences of the total loss, save and load, and the checks. */
START_TEST(per_output_settings)
{
    enum { S = 4 };
    const float x[S * 4] = {0.5f, -1, 0.2f, 0.8f, -0.3f, 0.4f, 1.2f, -0.6f, 0.9f, 0.1f, -0.7f, 0.3f,
                            -1.1f, 0.6f, 0.2f, 0.4f};
    float y[S * 6] = {0};
    for (int s = 0; s < S; s++) {
        y[s * 6 + s % 3] = 1;           /* head 0: class s % 3 */
        y[s * 6 + 3 + (s + 1) % 3] = 1; /* head 1: class (s + 1) % 3 */
    }
    deep_model *m = two_heads(1e-3);
    int64_t flag = -1;
    double smoothing = -1;
    ASSERT_OK(deep_model_get_output_int(m, 1, DEEP_MODEL_FROM_LOGITS, &flag));
    ASSERT_OK(deep_model_get_output_float(m, 0, DEEP_MODEL_LABEL_SMOOTHING, &smoothing));
    ck_assert(flag == 0 && smoothing == 0.2);
    deep_tensor *xt = NULL, *yt = NULL, *pred = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){S, 4}, x, S * 4, &xt));
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){S, 6}, y, S * 6, &yt));
    ASSERT_OK(deep_model_predict(m, xt, &pred));
    const float *p = NULL;
    ASSERT_OK(deep_tensor_data(pred, &p)); /* rows: head 0's 3 logits, head 1's 3 probabilities */
    double want[2] = {0, 0};
    for (int s = 0; s < S; s++) {
        const float *z = p + s * 6, *q = p + s * 6 + 3;
        double top = fmax(fmax(z[0], z[1]), z[2]), lse = 0, sum = q[0] + q[1] + q[2];
        for (int j = 0; j < 3; j++)
            lse += exp(z[j] - top);
        for (int j = 0; j < 3; j++) {
            double t = y[s * 6 + j] * 0.8 + 0.2 / 3; /* Keras' label smoothing */
            want[0] -= t * (z[j] - top - log(lse));
            want[1] -= y[s * 6 + 3 + j] * log(fmin(fmax(q[j] / sum, 1e-7), 1 - 1e-7));
        }
    }
    double values[3];
    int64_t needed;
    ASSERT_OK(deep_model_test_on_batch(m, xt, yt, values, 3, &needed));
    ck_assert_msg(fabs(values[1] - want[0] / S) < 1e-5 && fabs(values[2] - want[1] / S) < 1e-5,
                  "output losses %.7g %.7g, Keras %.7g %.7g", values[1], values[2], want[0] / S, want[1] / S);
    ck_assert_double_eq_tol(values[0], values[1] + values[2], 1e-6);
    /* The gradient of the hidden kernel and of head 0's kernel: one SGD step of rate lr on
     * a copy against central differences of the total loss. */
    for (int32_t layer = 0; layer < 3; layer += 1) {
        deep_model *stepped = two_heads(1e-3);
        ASSERT_OK(deep_model_train_on_batch(stepped, xt, yt, values, 3, &needed));
        deep_tensor *w = NULL, *after = NULL;
        ASSERT_OK(deep_model_get_weight(m, layer, 0, &w));
        ASSERT_OK(deep_model_get_weight(stepped, layer, 0, &after));
        float *wv = NULL;
        const float *av = NULL;
        int64_t size = 0;
        ASSERT_OK(deep_tensor_data_mut(w, &wv));
        ASSERT_OK(deep_tensor_data(after, &av));
        ASSERT_OK(deep_tensor_size(w, &size));
        for (int64_t i = 0; i < size; i += 3) {
            const float original = wv[i], h = 1e-2f;
            double loss[2];
            for (int side = 0; side < 2; side++) {
                wv[i] = original + (side ? h : -h);
                ASSERT_OK(deep_model_set_weight(m, layer, 0, w));
                ASSERT_OK(deep_model_test_on_batch(m, xt, yt, values, 3, &needed));
                loss[side] = values[0];
            }
            wv[i] = original;
            ASSERT_OK(deep_model_set_weight(m, layer, 0, w));
            double numeric = (loss[1] - loss[0]) / (2.0 * h), applied = ((double)original - av[i]) / 1e-3;
            ck_assert_msg(fabs(numeric - applied) <= 2e-3 + 2e-2 * fabs(numeric),
                          "layer %d kernel[%lld]: step %.6g, differences %.6g", (int)layer, (long long)i, applied,
                          numeric);
        }
        deep_tensor_free(w);
        deep_tensor_free(after);
        deep_model_free(stepped);
    }
    /* Saved and loaded. */
    char path[] = "/tmp/libdeep-output-settings-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ASSERT_OK(deep_model_save(m, path));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load(path, &loaded));
    double again[3];
    ASSERT_OK(deep_model_test_on_batch(m, xt, yt, values, 3, &needed));
    ASSERT_OK(deep_model_test_on_batch(loaded, xt, yt, again, 3, &needed));
    for (int i = 0; i < 3; i++)
        ck_assert_double_eq(values[i], again[i]);
    ASSERT_OK(deep_model_get_output_int(loaded, 0, DEEP_MODEL_FROM_LOGITS, &flag));
    ck_assert_int_eq(flag, 1);
    close(fd);
    unlink(path);
    /* The checks. */
    ASSERT_FAILS_WITH(deep_model_set_output_int(m, 2, DEEP_MODEL_FROM_LOGITS, 1), DEEP_ERR_OUT_OF_RANGE,
                      "deep_model_set_output_int", "2 outputs");
    ASSERT_FAILS(deep_model_set_output_int(m, 0, DEEP_MODEL_FROM_LOGITS, 2), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_output_int");
    ASSERT_FAILS(deep_model_set_output_float(m, 0, DEEP_MODEL_LABEL_SMOOTHING, 1.5), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_output_float");
    ASSERT_FAILS(deep_model_set_output_float(m, 0, DEEP_MODEL_HUBER_DELTA, 0), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_output_float");
    ASSERT_FAILS(deep_model_set_output_float(m, 0, DEEP_MODEL_FROM_LOGITS, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_output_float");
    ASSERT_FAILS(deep_model_set_output_int(m, 0, DEEP_MODEL_TOP_K, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_output_int");
    ASSERT_FAILS(deep_model_get_output_float(m, 0, DEEP_MODEL_HUBER_DELTA, NULL), DEEP_ERR_NULL,
                 "deep_model_get_output_float");
    deep_model *bare = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){4}, &bare));
    ASSERT_OK(deep_model_add_dense(bare, 2, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_FAILS(deep_model_set_output_int(bare, 0, DEEP_MODEL_FROM_LOGITS, 1), DEEP_ERR_STATE,
                 "deep_model_set_output_int");
    deep_model_free(bare);
    /* log_softmax is read right as logits only: an output of it keeps from_logits. */
    deep_model *logs = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){4}, &logs));
    ASSERT_OK(deep_model_add_dense(logs, 3, DEEP_ACTIVATION_LOG_SOFTMAX, 1));
    ASSERT_OK(deep_model_set_int(logs, DEEP_MODEL_FROM_LOGITS, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(logs, opt, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, NULL, 0));
    ASSERT_FAILS_WITH(deep_model_set_output_int(logs, 0, DEEP_MODEL_FROM_LOGITS, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_output_int", "log_softmax");
    ASSERT_OK(deep_model_set_output_int(logs, 0, DEEP_MODEL_FROM_LOGITS, 1));
    deep_model_free(logs);
    deep_model_free(loaded);
    deep_tensor_free(xt);
    deep_tensor_free(yt);
    deep_tensor_free(pred);
    deep_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loss_options");
    TCase *t = tcase_create("loss_options");
    tcase_add_test(t, keras_values);
    tcase_add_test(t, logits_match_probabilities);
    tcase_add_test(t, huge_logits_are_finite);
    tcase_add_test(t, gradients_match_finite_differences);
    tcase_add_test(t, fused_gradient_smooths_targets);
    tcase_add_test(t, model_from_logits_and_smoothing);
    tcase_add_test(t, per_output_settings);
    suite_add_tcase(s, t);
    return run_suite(s, CK_NORMAL);
}
