/* Per-step outputs through the public API: Dense on a (steps, features) input acts on the
 * last axis (Keras' Dense, i.e. TimeDistributed(Dense)), a softmax normalises each step,
 * and the losses and metrics score each step against targets of shape (steps, classes)
 * flattened per sample, averaging over the steps as Keras does, over the real steps only
 * when a mask reaches the output; the sparse loss takes one label per step (since 1.3).
 * (The layer-level gradient
 * checks of the per-step Dense are in test_layers.c.) */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#include "check_helpers.h"

#define TANH DEEP_ACTIVATION_TANH
#define SIGMOID DEEP_ACTIVATION_SIGMOID
#define SOFTMAX DEEP_ACTIVATION_SOFTMAX

enum { STEPS = 10, TOKENS = 3 };

static float *floats(int64_t n)
{
    float *p = calloc((size_t)n, sizeof *p);
    ck_assert(p != NULL);
    return p;
}

/* Sequences of STEPS one-hot tokens of TOKENS kinds. Each step is tagged (one-hot of 2)
 * with whether its token equals the previous one (`look` -1) or the next one (`look` +1);
 * the step without a neighbour is tagged 0. */
static deep_dataset *repeat_task(int64_t n, uint64_t seed, int look)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    float *x = floats(n * STEPS * TOKENS), *y = floats(n * STEPS * 2);
    int *tokens = malloc(STEPS * sizeof *tokens);
    for (int64_t s = 0; s < n; s++) {
        for (int t = 0; t < STEPS; t++) {
            tokens[t] = (int)(deep_rng_float(&rng) * TOKENS) % TOKENS;
            x[(s * STEPS + t) * TOKENS + tokens[t]] = 1.0f;
        }
        for (int t = 0; t < STEPS; t++) {
            int other = t + look;
            int same = other >= 0 && other < STEPS && tokens[other] == tokens[t];
            y[(s * STEPS + t) * 2 + same] = 1.0f;
        }
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(n, 2, (int64_t[]){STEPS, TOKENS}, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, y, n, STEPS * 2));
    free(x);
    free(y);
    free(tokens);
    return data;
}

static deep_model *tagger(bool bidirectional, deep_loss loss)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, TOKENS}, &model));
    ASSERT_OK(deep_model_set_seed(model, 11));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 2));
    ASSERT_OK(deep_model_add_lstm(model, 16, TANH, SIGMOID, 1, 1));
    if (bidirectional)
        ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    ASSERT_OK(deep_model_add_dense(model, 2, SOFTMAX, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.01f));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY, DEEP_METRIC_MEAN_ABSOLUTE_ERROR};
    ASSERT_OK(deep_model_compile(model, adam, loss, metrics, 2));
    return model;
}

/* The fraction of steps tagged 1, the accuracy of always answering the majority tag. */
static double majority_rate(const deep_dataset *data)
{
    int64_t n = 0;
    ASSERT_OK(deep_dataset_count(data, &n));
    deep_tensor *features = NULL, *targets = NULL;
    ASSERT_OK(deep_dataset_batch(data, 0, n, &features, &targets));
    const float *y = NULL;
    ASSERT_OK(deep_tensor_data(targets, &y));
    double ones = 0;
    for (int64_t i = 0; i < n * STEPS; i++)
        ones += y[2 * i + 1];
    deep_tensor_free(features);
    deep_tensor_free(targets);
    double rate = ones / (double)(n * STEPS);
    return rate > 0.5 ? rate : 1 - rate;
}

/* LSTM(return_sequences) -> Dense(2, softmax) tags each step with whether its token
 * repeats the previous one; Bidirectional(LSTM) -> Dense tags whether the next one
 * repeats it, which a forward LSTM cannot know at that step: case 2 checks that it
 * indeed stays near the majority tag, so the Bidirectional's success needs its backward
 * copy. */
START_TEST(sequence_tagger_learns)
{
    static const char *const what[] = {"LSTM, previous token", "Bidirectional, next token", "LSTM, next token"};
    int look = _i == 0 ? -1 : +1;
    deep_dataset *train = repeat_task(512, 1, look), *test = repeat_task(256, 2, look);
    deep_model *model = tagger(_i == 1, DEEP_LOSS_CATEGORICAL_CROSSENTROPY);
    ASSERT_OK(deep_model_fit(model, train, 15, 32, NULL));
    double values[3] = {0};
    ASSERT_OK(deep_model_evaluate(model, test, 64, values, 3, &(int64_t){0}));
    double chance = majority_rate(test);
    if (_i == 2)
        ck_assert_msg(values[1] < chance + 0.1, "%s: per-step accuracy %.3f, but the majority tag gives only %.3f",
                      what[_i], values[1], chance);
    else
        ck_assert_msg(values[1] >= 0.95 && values[1] > chance + 0.2,
                      "%s: per-step accuracy %.3f (loss %.4f); the majority tag gives %.3f, want >= 0.95", what[_i],
                      values[1], values[0], chance);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

/* A model's predictions for every sample of a dataset, beside the dataset's targets. */
typedef struct predictions {
    deep_tensor *inputs, *pred, *features, *targets;
    const float *p, *y; /* (samples, STEPS, 2) each */
} predictions;

static predictions predict_all(const deep_model *model, const deep_dataset *data)
{
    predictions got = {0};
    int64_t n = 0;
    ASSERT_OK(deep_dataset_count(data, &n));
    ASSERT_OK(deep_dataset_features(data, &got.inputs));
    ASSERT_OK(deep_model_predict(model, got.inputs, &got.pred));
    ASSERT_OK(deep_dataset_batch(data, 0, n, &got.features, &got.targets));
    ASSERT_OK(deep_tensor_data(got.pred, &got.p));
    ASSERT_OK(deep_tensor_data(got.targets, &got.y));
    return got;
}

static void predictions_free(predictions *got)
{
    deep_tensor_free(got->inputs);
    deep_tensor_free(got->pred);
    deep_tensor_free(got->features);
    deep_tensor_free(got->targets);
}

/* evaluate in batches of `batch` gives the loss, accuracy and MAE in want. */
static void assert_evaluates_to(deep_model *model, const deep_dataset *data, int32_t batch, const double *want,
                                const char *what)
{
    double values[3] = {0};
    ASSERT_OK(deep_model_evaluate(model, data, batch, values, 3, &(int64_t){0}));
    for (int i = 0; i < 3; i++)
        ck_assert_msg(fabs(values[i] - want[i]) < 1e-5, "%s, value %d: evaluate gives %.7g, worked out %.7g", what, i,
                      values[i], want[i]);
}

/* evaluate's loss and metrics are Keras': per step, then the mean over steps and samples. */
START_TEST(per_step_losses_average_over_steps)
{
    /* Also two row losses (a dot product or a sum over the last axis, per step). */
    static const deep_loss losses[] = {DEEP_LOSS_CATEGORICAL_CROSSENTROPY, DEEP_LOSS_MEAN_SQUARED_ERROR,
                                       DEEP_LOSS_COSINE_SIMILARITY, DEEP_LOSS_KL_DIVERGENCE};
    deep_loss loss = losses[_i];
    enum { N = 16 };
    deep_dataset *data = repeat_task(N, 3, -1);
    deep_model *model = tagger(false, loss);
    predictions got = predict_all(model, data);
    const float *p = got.p, *y = got.y;
    double total = 0, correct = 0, absolute = 0;
    for (int64_t r = 0; r < N * STEPS; r++) {
        const float *pr = p + 2 * r, *yr = y + 2 * r;
        for (int j = 0; j < 2; j++) {
            double q = fmin(fmax(pr[j], 1e-7), 1 - 1e-7);
            if (loss == DEEP_LOSS_CATEGORICAL_CROSSENTROPY)
                total += -yr[j] * log(q);
            else if (loss == DEEP_LOSS_MEAN_SQUARED_ERROR)
                total += 0.5 * (pr[j] - yr[j]) * (pr[j] - yr[j]);
            else if (loss == DEEP_LOSS_KL_DIVERGENCE) {
                const double t = fmin(fmax(yr[j], 1e-7), 1), c = fmin(fmax(pr[j], 1e-7), 1);
                total += t * log(t / c);
            }
            absolute += 0.5 * fabs(pr[j] - yr[j]);
        }
        if (loss == DEEP_LOSS_COSINE_SIMILARITY)
            total -= ((double)pr[0] * yr[0] + (double)pr[1] * yr[1]) / hypot(pr[0], pr[1]) / hypot(yr[0], yr[1]);
        correct += (pr[1] > pr[0]) == (yr[1] > yr[0]);
    }
    const double want[3] = {total / (N * STEPS), correct / (N * STEPS), absolute / (N * STEPS)};
    /* batches of 5 and a last one of 1 */
    char what[32];
    snprintf(what, sizeof what, "loss %d", (int)loss);
    assert_evaluates_to(model, data, 5, want, what);
    predictions_free(&got);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* Since 1.3 the sparse loss takes a per-step output (one label per step, as float targets
 * of width STEPS); a dataset of labels (one per sample) or targets of another width fail
 * fit with what to give, and categorical cross-entropy's targets of the wrong width too. */
START_TEST(per_step_misuse)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, TOKENS}, &model));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_lstm(model, 4, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_dense(model, 2, SOFTMAX, 1));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    deep_dataset *data = repeat_task(8, 4, -1);
    ASSERT_FAILS_WITH(deep_model_fit(model, data, 1, 4, NULL), DEEP_ERR_SHAPE, "deep_model_fit",
                      "one label per step: float targets of width 10");
    float labels[8 * STEPS] = {0};
    labels[17] = 2; /* not a class of 2 */
    ASSERT_OK(deep_dataset_set_targets(data, labels, 8, STEPS));
    ASSERT_FAILS_WITH(deep_model_fit(model, data, 1, 4, NULL), DEEP_ERR_OUT_OF_RANGE, "deep_model_fit",
                      "sample 1: output 0's label (target column 7) is 2");
    labels[17] = 0.5f;
    ASSERT_OK(deep_dataset_set_targets(data, labels, 8, STEPS));
    ASSERT_FAILS(deep_model_fit(model, data, 1, 4, NULL), DEEP_ERR_OUT_OF_RANGE, "deep_model_fit");
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_model_compile(model, adam, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, NULL, 0));
    float y[8 * 2] = {0};
    ASSERT_OK(deep_dataset_set_targets(data, y, 8, 2));
    ASSERT_FAILS_WITH(deep_model_fit(model, data, 1, 4, NULL), DEEP_ERR_SHAPE, "deep_model_fit", "width 2");
    deep_dataset_free(data);
    deep_model_free(model);
}
END_TEST

/* A dataset of one-hot (STEPS, 2) targets turned into one label per step (its argmax). */
static deep_dataset *sparse_copy(const deep_dataset *data)
{
    int64_t n = 0;
    ASSERT_OK(deep_dataset_count(data, &n));
    deep_tensor *features = NULL, *targets = NULL;
    ASSERT_OK(deep_dataset_batch(data, 0, n, &features, &targets));
    const float *x = NULL, *y = NULL;
    ASSERT_OK(deep_tensor_data(features, &x));
    ASSERT_OK(deep_tensor_data(targets, &y));
    float *labels = floats(n * STEPS);
    for (int64_t r = 0; r < n * STEPS; r++)
        labels[r] = y[2 * r + 1] > y[2 * r] ? 1.0f : 0.0f;
    deep_dataset *sparse = NULL;
    ASSERT_OK(deep_dataset_new(n, 2, (int64_t[]){STEPS, TOKENS}, x, &sparse));
    ASSERT_OK(deep_dataset_set_targets(sparse, labels, n, STEPS));
    free(labels);
    deep_tensor_free(features);
    deep_tensor_free(targets);
    return sparse;
}

/* Keras' sparse_categorical_crossentropy on (n, STEPS) labels against a (STEPS, 2) softmax:
 * -log p[label] per step (p clipped to [1e-7, 1 - 1e-7]), averaged over steps and samples;
 * sparse_categorical_accuracy per step. Worked out from predict, and equal to categorical
 * cross-entropy on the one-hot targets, in evaluate and in training (same weights after
 * two epochs of fit). */
START_TEST(sparse_labels_per_step)
{
    enum { N = 16 };
    deep_dataset *onehot = repeat_task(N, 3, -1), *sparse = sparse_copy(onehot);
    deep_model *model = tagger(false, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    deep_model *reference = tagger(false, DEEP_LOSS_CATEGORICAL_CROSSENTROPY);
    predictions got = predict_all(model, onehot);
    double total = 0, correct = 0, absolute = 0;
    for (int64_t r = 0; r < N * STEPS; r++) {
        const float *pr = got.p + 2 * r, *yr = got.y + 2 * r;
        int label = yr[1] > yr[0];
        total += -log(fmin(fmax(pr[label], 1e-7), 1 - 1e-7));
        correct += (pr[1] > pr[0]) == label;
        absolute += 0.5 * (fabs(pr[0] - (label == 0)) + fabs(pr[1] - (label == 1)));
    }
    const double want[3] = {total / (N * STEPS), correct / (N * STEPS), absolute / (N * STEPS)};
    assert_evaluates_to(model, sparse, 5, want, "sparse per step");
    assert_evaluates_to(reference, onehot, 5, want, "categorical on one-hot steps");
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_set_int(reference, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_fit(model, sparse, 2, 4, NULL));
    ASSERT_OK(deep_model_fit(reference, onehot, 2, 4, NULL));
    deep_tensor *a = NULL, *b = NULL;
    ASSERT_OK(deep_model_get_weight(model, 1, 0, &a));
    ASSERT_OK(deep_model_get_weight(reference, 1, 0, &b));
    const float *da = NULL, *db = NULL;
    ASSERT_OK(deep_tensor_data(a, &da));
    ASSERT_OK(deep_tensor_data(b, &db));
    for (int i = 0; i < 32; i++)
        ck_assert_msg(fabsf(da[i] - db[i]) < 1e-5f, "Dense kernel[%d] after fit: %.7g sparse, %.7g categorical", i,
                      (double)da[i], (double)db[i]);
    double loss_a = 0, loss_b = 0;
    ASSERT_OK(deep_model_history(model, 1, DEEP_METRIC_LOSS, 0, &loss_a));
    ASSERT_OK(deep_model_history(reference, 1, DEEP_METRIC_LOSS, 0, &loss_b));
    ck_assert_msg(fabs(loss_a - loss_b) < 1e-5, "epoch 2 loss %.7g sparse, %.7g categorical", loss_a, loss_b);
    deep_tensor_free(a);
    deep_tensor_free(b);
    predictions_free(&got);
    deep_model_free(model);
    deep_model_free(reference);
    deep_dataset_free(onehot);
    deep_dataset_free(sparse);
}
END_TEST

/* train_on_batch and test_on_batch take Keras' y of shape (n, STEPS) (or (n, STEPS, 1)),
 * giving evaluate's values; other shapes are DEEP_ERR_SHAPE naming the one wanted. */
START_TEST(sparse_labels_per_step_on_batch)
{
    enum { N = 6 };
    deep_dataset *onehot = repeat_task(N, 8, -1), *sparse = sparse_copy(onehot);
    deep_model *model = tagger(false, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    deep_tensor *x = NULL, *y = NULL, *bad = NULL;
    ASSERT_OK(deep_dataset_batch(sparse, 0, N, &x, &y));
    const float *labels = NULL;
    ASSERT_OK(deep_tensor_data(y, &labels));
    double want[3], got[3];
    ASSERT_OK(deep_model_evaluate(model, sparse, N, want, 3, &(int64_t){0}));
    ASSERT_OK(deep_model_test_on_batch(model, x, y, got, 3, &(int64_t){0}));
    for (int i = 0; i < 3; i++)
        ck_assert_msg(fabs(got[i] - want[i]) < 1e-6, "value %d: test_on_batch %.7g, evaluate %.7g", i, got[i], want[i]);
    ASSERT_OK(deep_tensor_new_from(3, (int64_t[]){N, STEPS, 1}, labels, N * STEPS, &bad));
    ASSERT_OK(deep_model_test_on_batch(model, x, bad, got, 3, &(int64_t){0}));
    ck_assert(fabs(got[0] - want[0]) < 1e-6);
    ASSERT_OK(deep_model_train_on_batch(model, x, y, got, 3, &(int64_t){0}));
    ck_assert(fabs(got[0] - want[0]) < 1e-6); /* the batch's values before the step */
    deep_tensor_free(bad);
    ASSERT_OK(deep_tensor_new_from(1, (int64_t[]){N}, labels, N, &bad));
    ASSERT_FAILS_WITH(deep_model_test_on_batch(model, x, bad, got, 3, &(int64_t){0}), DEEP_ERR_SHAPE,
                      "deep_model_test_on_batch", "one label per step, (6, 10)");
    deep_tensor_free(bad);
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_model_free(model);
    deep_dataset_free(onehot);
    deep_dataset_free(sparse);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Masked per-step outputs: the loss and metrics skip the padded steps, as Keras'         */
/* ----------------------------------------------------------------------------------- */

enum { PADDED = 12 };

/* Whether step t of sample s is real: sample s is padded 'post' by s % 4 steps. */
static bool real_step(int64_t s, int64_t t)
{
    return t < STEPS - s % 4;
}

/* repeat_task(PADDED, seed, -1) with the padded steps' tokens zeroed (Masking's value)
 * and their targets set to (filler, 1 - filler): tags a loss that scored them would learn. */
static deep_dataset *padded_repeat_task(uint64_t seed, float filler)
{
    deep_dataset *plain = repeat_task(PADDED, seed, -1);
    deep_tensor *features = NULL, *targets = NULL;
    ASSERT_OK(deep_dataset_batch(plain, 0, PADDED, &features, &targets));
    float *x = NULL, *y = NULL;
    ASSERT_OK(deep_tensor_data_mut(features, &x));
    ASSERT_OK(deep_tensor_data_mut(targets, &y));
    for (int64_t s = 0; s < PADDED; s++)
        for (int64_t t = 0; t < STEPS; t++)
            if (!real_step(s, t)) {
                memset(x + (s * STEPS + t) * TOKENS, 0, TOKENS * sizeof *x);
                y[(s * STEPS + t) * 2] = filler;
                y[(s * STEPS + t) * 2 + 1] = 1 - filler;
            }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(PADDED, 2, (int64_t[]){STEPS, TOKENS}, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, y, PADDED, STEPS * 2));
    deep_tensor_free(features);
    deep_tensor_free(targets);
    deep_dataset_free(plain);
    return data;
}

/* [Masking] LSTM(8, return_sequences) Dense(2, softmax), categorical cross-entropy with
 * accuracy and MAE, trained without shuffling by `optimizer`. */
static deep_model *masked_tagger_with(bool masked, deep_optimizer_kind optimizer, float learning_rate,
                                     deep_loss loss)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){STEPS, TOKENS}, &model));
    ASSERT_OK(deep_model_set_seed(model, 13));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_SHUFFLE, 0));
    if (masked)
        ASSERT_OK(deep_model_add_masking(model, 0.0f));
    ASSERT_OK(deep_model_add_lstm(model, 8, TANH, SIGMOID, 1, 1));
    ASSERT_OK(deep_model_add_dense(model, 2, SOFTMAX, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(optimizer, &opt));
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, learning_rate));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY, DEEP_METRIC_MEAN_ABSOLUTE_ERROR};
    ASSERT_OK(deep_model_compile(model, opt, loss, metrics, 2));
    return model;
}

static deep_model *masked_tagger(bool masked, deep_optimizer_kind optimizer, float learning_rate)
{
    return masked_tagger_with(masked, optimizer, learning_rate, DEEP_LOSS_CATEGORICAL_CROSSENTROPY);
}

/* evaluate in batches of 5, 5 and 2: each batch's loss is the mean over its real steps and
 * the pass's loss their mean weighted by batch size (Keras' loss tracker); accuracy and MAE
 * are means over all the real steps (Keras' masked metrics). */
START_TEST(masked_steps_are_not_scored)
{
    enum { BATCH = 5 };
    deep_dataset *data = padded_repeat_task(5, 0.9f);
    deep_model *model = masked_tagger(true, DEEP_OPTIMIZER_ADAM, 0.01f);
    ASSERT_OK(deep_model_fit(model, data, 3, 4, NULL)); /* away from the initial weights */
    predictions got = predict_all(model, data);
    const float *p = got.p, *y = got.y;
    double loss = 0, correct = 0, absolute = 0, real = 0;
    for (int64_t first = 0; first < PADDED; first += BATCH) {
        int64_t end = first + BATCH < PADDED ? first + BATCH : PADDED;
        double batch_loss = 0, batch_real = 0;
        for (int64_t s = first; s < end; s++)
            for (int64_t t = 0; t < STEPS; t++) {
                if (!real_step(s, t))
                    continue;
                const float *pr = p + (s * STEPS + t) * 2, *yr = y + (s * STEPS + t) * 2;
                for (int j = 0; j < 2; j++) {
                    batch_loss += -yr[j] * log(fmin(fmax(pr[j], 1e-7), 1 - 1e-7));
                    absolute += 0.5 * fabs(pr[j] - yr[j]);
                }
                correct += (pr[1] > pr[0]) == (yr[1] > yr[0]);
                batch_real++;
            }
        loss += (double)(end - first) * batch_loss / batch_real;
        real += batch_real;
    }
    const double want[3] = {loss / PADDED, correct / real, absolute / real};
    assert_evaluates_to(model, data, BATCH, want, "over the real steps");
    predictions_free(&got);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

static void fit_history(deep_model *model, const deep_dataset *data, double *loss)
{
    ASSERT_OK(deep_model_fit(model, data, 2, 4, NULL));
    for (int32_t e = 0; e < 2; e++)
        ASSERT_OK(deep_model_history(model, e, DEEP_METRIC_LOSS, 0, &loss[e]));
}

/* What the padded steps' targets say cannot change training when they are masked; without
 * the Masking layer (the same data, the padding read as steps of zeros) it does. */
START_TEST(padded_step_targets_are_ignored)
{
    deep_dataset *a = padded_repeat_task(6, 0.0f), *b = padded_repeat_task(6, 1.0f);
    for (int masked = 1; masked >= 0; masked--) {
        double loss_a[2], loss_b[2];
        deep_model *model_a = masked_tagger(masked, DEEP_OPTIMIZER_ADAM, 0.01f);
        deep_model *model_b = masked_tagger(masked, DEEP_OPTIMIZER_ADAM, 0.01f);
        fit_history(model_a, a, loss_a);
        fit_history(model_b, b, loss_b);
        deep_tensor *wa = NULL, *wb = NULL;
        ASSERT_OK(deep_model_get_weight(model_a, masked ? 2 : 1, 0, &wa));
        ASSERT_OK(deep_model_get_weight(model_b, masked ? 2 : 1, 0, &wb));
        const float *da = NULL, *db = NULL;
        ASSERT_OK(deep_tensor_data(wa, &da));
        ASSERT_OK(deep_tensor_data(wb, &db));
        bool same = memcmp(da, db, 8 * 2 * sizeof *da) == 0 && loss_a[0] == loss_b[0] && loss_a[1] == loss_b[1];
        ck_assert_msg(same == (masked == 1), "%s: the padded steps' targets %s training (losses %.6f, %.6f vs %.6f, %.6f)",
                      masked ? "masked" : "unmasked", same ? "do not change" : "change", loss_a[0], loss_a[1],
                      loss_b[0], loss_b[1]);
        deep_tensor_free(wa);
        deep_tensor_free(wb);
        deep_model_free(model_a);
        deep_model_free(model_b);
    }
    deep_dataset_free(a);
    deep_dataset_free(b);
}
END_TEST

/* Every Dense kernel entry and some LSTM kernel entries: the gradient training applies (one
 * SGD step on the whole set, read from the weights it changed) against central differences
 * of evaluate's loss, which averages over the real steps only. */
START_TEST(masked_loss_gradient_check)
{
    enum { CHECKED_LSTM = 12 };
    const float lr = 1000.0f, h = 2e-3f;
    /* _i 1: the sparse loss, one label per step (the padded steps' labels 1) */
    deep_dataset *data = padded_repeat_task(7, _i ? 0.0f : 0.3f);
    if (_i == 1) {
        deep_dataset *sparse = sparse_copy(data);
        deep_dataset_free(data);
        data = sparse;
    }
    deep_loss loss = _i ? DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY : DEEP_LOSS_CATEGORICAL_CROSSENTROPY;
    deep_model *model = masked_tagger_with(true, DEEP_OPTIMIZER_SGD, lr, loss);
    deep_model *stepped = masked_tagger_with(true, DEEP_OPTIMIZER_SGD, lr, loss); /* the same seed and weights */
    ASSERT_OK(deep_model_fit(stepped, data, 1, PADDED, NULL));
    static const struct { int32_t layer; int64_t count; } checked[] = {{2, 16}, {1, CHECKED_LSTM}};
    for (size_t c = 0; c < sizeof checked / sizeof checked[0]; c++) {
        deep_tensor *w = NULL, *after = NULL;
        ASSERT_OK(deep_model_get_weight(model, checked[c].layer, 0, &w));
        ASSERT_OK(deep_model_get_weight(stepped, checked[c].layer, 0, &after));
        float *wv = NULL;
        const float *av = NULL;
        ASSERT_OK(deep_tensor_data_mut(w, &wv));
        ASSERT_OK(deep_tensor_data(after, &av));
        for (int64_t i = 0; i < checked[c].count; i++) {
            int64_t k = i * 5; /* spread over the kernel */
            int64_t size = 0;
            ASSERT_OK(deep_tensor_size(w, &size));
            k %= size;
            float original = wv[k];
            double loss[2];
            for (int side = 0; side < 2; side++) {
                wv[k] = original + (side ? h : -h);
                ASSERT_OK(deep_model_set_weight(model, checked[c].layer, 0, w));
                double values[3];
                ASSERT_OK(deep_model_evaluate(model, data, PADDED, values, 3, &(int64_t){0}));
                loss[side] = values[0];
            }
            wv[k] = original;
            ASSERT_OK(deep_model_set_weight(model, checked[c].layer, 0, w));
            double numeric = (loss[1] - loss[0]) / (2.0 * h), applied = ((double)original - av[k]) / lr;
            ck_assert_msg(fabs(numeric - applied) <= 2e-4 + 2e-2 * fmax(fabs(numeric), fabs(applied)),
                          "layer %d kernel[%lld]: dL/dw %.6g from the SGD step, %.6g by central differences",
                          (int)checked[c].layer, (long long)k, applied, numeric);
        }
        deep_tensor_free(w);
        deep_tensor_free(after);
    }
    deep_model_free(model);
    deep_model_free(stepped);
    deep_dataset_free(data);
}
END_TEST

/* The sparse loss behind a mask: evaluate gives what categorical cross-entropy gives on the
 * one-hot targets (the mean over real steps, tested above against worked-out values), and
 * the padded steps' labels change nothing. */
START_TEST(sparse_masked_steps_are_not_scored)
{
    deep_dataset *a = padded_repeat_task(5, 0.0f), *b = padded_repeat_task(5, 1.0f);
    deep_dataset *sa = sparse_copy(a), *sb = sparse_copy(b);
    deep_model *model = masked_tagger_with(true, DEEP_OPTIMIZER_ADAM, 0.01f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    deep_model *reference = masked_tagger(true, DEEP_OPTIMIZER_ADAM, 0.01f);
    double want[3], got_a[3], got_b[3];
    ASSERT_OK(deep_model_evaluate(reference, a, 5, want, 3, &(int64_t){0}));
    ASSERT_OK(deep_model_evaluate(model, sa, 5, got_a, 3, &(int64_t){0}));
    ASSERT_OK(deep_model_evaluate(model, sb, 5, got_b, 3, &(int64_t){0}));
    for (int i = 0; i < 3; i++)
        ck_assert_msg(fabs(got_a[i] - want[i]) < 1e-6 && got_a[i] == got_b[i],
                      "value %d: sparse %.7g (other padding labels %.7g), categorical %.7g", i, got_a[i], got_b[i],
                      want[i]);
    deep_model_free(model);
    deep_model_free(reference);
    deep_dataset_free(a);
    deep_dataset_free(b);
    deep_dataset_free(sa);
    deep_dataset_free(sb);
}
END_TEST

static Suite *sequence_outputs_suite(void)
{
    Suite *s = suite_create("sequence_outputs");
    TCase *tc = tcase_create("per_step");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, per_step_losses_average_over_steps, 0, 4);
    tcase_add_test(tc, per_step_misuse);
    tcase_add_test(tc, sparse_labels_per_step);
    tcase_add_test(tc, sparse_labels_per_step_on_batch);
    tcase_add_loop_test(tc, sequence_tagger_learns, 0, 3);
    suite_add_tcase(s, tc);
    tc = tcase_create("masked");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, masked_steps_are_not_scored);
    tcase_add_test(tc, padded_step_targets_are_ignored);
    tcase_add_loop_test(tc, masked_loss_gradient_check, 0, 2);
    tcase_add_test(tc, sparse_masked_steps_are_not_scored);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(sequence_outputs_suite(), CK_ENV);
}
