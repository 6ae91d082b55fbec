/* Online training and copies of models: train_on_batch, test_on_batch and predict_on_batch
 * against fit, evaluate and predict; their workspace (no allocation after the first call);
 * copy_weights and clone; and their misuse. The suite wraps malloc to count allocations. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep.h"

#define CHECK_NAMES_FUNCTION names_function_detailed
#include "check_helpers.h"
#include "graph/model.h" /* to plant a NaN weight, which the public API refuses to set */

/* ---- counting allocations ------------------------------------------------------------- */

void *__real_malloc(size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static long allocations;
static bool counting;

void *__wrap_malloc(size_t size)
{
    allocations += counting;
    return __real_malloc(size);
}

void *__wrap_realloc(void *p, size_t size)
{
    allocations += counting;
    return __real_realloc(p, size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    allocations += counting;
    return __real_calloc(n, size);
}

/* ---- data and models ------------------------------------------------------------------ */

#define N 64     /* samples */
#define BATCH 16 /* batch size: four batches per epoch */

/* Two noisy blobs of 3 features: labels 0/1 (as floats too) and a float target per sample. */
typedef struct problem {
    float x[N * 3];
    float labels[N];
    int32_t int_labels[N];
    float targets[N * 2];
} problem;

static void make_problem(problem *p)
{
    uint32_t state = 12345;
    for (int i = 0; i < N; i++) {
        int label = i % 2;
        for (int j = 0; j < 3; j++) {
            state = state * 1664525u + 1013904223u;
            float noise = (float)(state >> 8) / 16777216.0f - 0.5f;
            p->x[i * 3 + j] = (label ? 1.0f : -1.0f) + noise;
        }
        p->labels[i] = (float)label;
        p->int_labels[i] = label;
        p->targets[i * 2] = p->x[i * 3] + 2 * p->x[i * 3 + 1];
        p->targets[i * 2 + 1] = p->x[i * 3 + 2] - 1;
    }
}

static deep_tensor *tensor_from(int32_t rank, const int64_t *shape, const float *data)
{
    int64_t count = 1;
    for (int32_t i = 0; i < rank; i++)
        count *= shape[i];
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new_from(rank, shape, data, count, &t));
    return t;
}

/* Rows [first, first + count) of a (N, width) array as a (count, width) tensor, or (count,). */
static deep_tensor *rows(const float *data, int64_t width, int64_t first, int64_t count, bool flat)
{
    int64_t shape[2] = {count, width};
    return tensor_from(flat ? 1 : 2, shape, data + first * width);
}

static const deep_metric accuracy_only[] = {DEEP_METRIC_ACCURACY};
static const deep_metric mae_only[] = {DEEP_METRIC_MEAN_ABSOLUTE_ERROR};

/* A classifier 3 -> Dense(8, relu) -> Dropout(0.25) -> Dense(2, softmax), Adam, sparse
 * labels (regression: Dense(2) linear, SGD with momentum, mean squared error, mae). */
static deep_model *new_model(bool regression, int64_t threads, uint64_t seed)
{
    int64_t features = 3;
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, &features, &model));
    ASSERT_OK(deep_model_set_seed(model, seed));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_dense(model, 8, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dropout(model, 0.25));
    ASSERT_OK(deep_model_add_dense(model, 2, regression ? DEEP_ACTIVATION_LINEAR : DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(regression ? DEEP_OPTIMIZER_SGD : DEEP_OPTIMIZER_ADAM, &opt));
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, regression ? 0.05 : 0.01));
    if (regression)
        ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_MOMENTUM, 0.9));
    ASSERT_OK(deep_model_compile(model, opt,
                                 regression ? DEEP_LOSS_MEAN_SQUARED_ERROR : DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
                                 regression ? mae_only : accuracy_only, 1));
    return model;
}

static deep_dataset *dataset(const problem *p, bool regression, int64_t first, int64_t count)
{
    int64_t features = 3;
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(count, 1, &features, p->x + first * 3, &data));
    if (regression)
        ASSERT_OK(deep_dataset_set_targets(data, p->targets + first * 2, count, 2));
    else
        ASSERT_OK(deep_dataset_set_labels(data, p->int_labels + first, count, 2));
    return data;
}

/* The y of batch [first, first + count): labels (count,) or targets (count, 2). */
static deep_tensor *batch_y(const problem *p, bool regression, int64_t first, int64_t count)
{
    return regression ? rows(p->targets, 2, first, count, false) : rows(p->labels, 1, first, count, true);
}

static float *all_weights(const deep_model *model, int64_t *count)
{
    int32_t layers = 0;
    ASSERT_OK(deep_model_layer_count(model, &layers));
    ASSERT_OK(deep_model_parameter_count(model, count));
    float *all = malloc((size_t)*count * sizeof *all);
    int64_t used = 0;
    for (int32_t l = 0; l < layers; l++) {
        int32_t weights = 0;
        ASSERT_OK(deep_model_weight_count(model, l, &weights));
        for (int32_t w = 0; w < weights; w++) {
            deep_tensor *t = NULL;
            const float *data = NULL;
            int64_t size = 0;
            ASSERT_OK(deep_model_get_weight(model, l, w, &t));
            ASSERT_OK(deep_tensor_size(t, &size));
            ASSERT_OK(deep_tensor_data(t, &data));
            memcpy(all + used, data, (size_t)size * sizeof *all);
            used += size;
            deep_tensor_free(t);
        }
    }
    ck_assert_int_eq(used, *count);
    return all;
}

static bool same_weights(const deep_model *a, const deep_model *b)
{
    int64_t na = 0, nb = 0;
    float *wa = all_weights(a, &na), *wb = all_weights(b, &nb);
    bool same = na == nb && memcmp(wa, wb, (size_t)na * sizeof *wa) == 0;
    free(wa);
    free(wb);
    return same;
}

/* One train_on_batch over [first, first + count); values[0..1] get the loss and metric. */
static void train_batch(deep_model *model, const problem *p, bool regression, int64_t first, int64_t count,
                        double *values)
{
    deep_tensor *x = rows(p->x, 3, first, count, false), *y = batch_y(p, regression, first, count);
    int64_t needed = 0;
    ASSERT_OK(deep_model_train_on_batch(model, x, y, values, 2, &needed));
    ck_assert_int_eq(needed, 2);
    deep_tensor_free(x);
    deep_tensor_free(y);
}

/* ---- against fit, evaluate and predict ------------------------------------------------ */

/* Loop index: bit 0 regression, bit 1 two threads. The weights must be bit-identical after
 * every epoch (same kernels, same order of operations, same dropout draws), and the loss
 * and metric of the epoch the batch-size-weighted mean of the batches' values. */
START_TEST(train_on_batch_sequence_equals_fit)
{
    bool regression = _i & 1;
    int64_t threads = _i & 2 ? 2 : 1;
    problem p;
    make_problem(&p);
    deep_model *fitted = new_model(regression, threads, 7), *stepped = new_model(regression, threads, 7);
    deep_dataset *data = dataset(&p, regression, 0, N);
    ck_assert(same_weights(fitted, stepped));
    for (int epoch = 0; epoch < 3; epoch++) {
        ASSERT_OK(deep_model_fit(fitted, data, 1, BATCH, NULL));
        double sums[2] = {0, 0};
        for (int64_t first = 0; first < N; first += BATCH) {
            double values[2];
            train_batch(stepped, &p, regression, first, BATCH, values);
            sums[0] += values[0] * BATCH;
            sums[1] += values[1] * BATCH;
        }
        ck_assert_msg(same_weights(fitted, stepped), "weights differ after epoch %d", epoch + 1);
        double loss = NAN, metric = NAN;
        ASSERT_OK(deep_model_history(fitted, 0, DEEP_METRIC_LOSS, 0, &loss));
        ASSERT_OK(deep_model_history(fitted, 0, regression ? DEEP_METRIC_MEAN_ABSOLUTE_ERROR : DEEP_METRIC_ACCURACY, 0,
                                     &metric));
        ck_assert_double_eq_tol(sums[0] / N, loss, 1e-12);
        ck_assert_double_eq_tol(sums[1] / N, metric, 1e-12);
    }
    deep_dataset_free(data);
    deep_model_free(fitted);
    deep_model_free(stepped);
}
END_TEST

/* test_on_batch gives evaluate's values (bit for bit) on the same samples at batch size n,
 * and predict_on_batch predict's outputs. */
START_TEST(test_and_predict_on_batch_equal_evaluate_and_predict)
{
    bool regression = _i & 1;
    problem p;
    make_problem(&p);
    deep_model *model = new_model(regression, 1, 3);
    for (int64_t first = 0; first < N; first += BATCH)
        train_batch(model, &p, regression, first, BATCH, (double[2]){0});
    int64_t sizes[] = {1, 5, N};
    for (int k = 0; k < COUNT_OF(sizes); k++) {
        int64_t n = sizes[k];
        deep_dataset *data = dataset(&p, regression, N - n, n);
        deep_tensor *x = rows(p.x, 3, N - n, n, false), *y = batch_y(&p, regression, N - n, n), *predicted = NULL;
        double expected[2], values[2];
        int64_t needed = 0;
        ASSERT_OK(deep_model_evaluate(model, data, n, expected, 2, &needed));
        ASSERT_OK(deep_model_test_on_batch(model, x, y, values, 2, &needed));
        ck_assert_int_eq(needed, 2);
        ck_assert(memcmp(values, expected, sizeof values) == 0);

        ASSERT_OK(deep_model_predict(model, x, &predicted));
        const float *want = NULL;
        ASSERT_OK(deep_tensor_data(predicted, &want));
        float out[N * 2];
        ASSERT_OK(deep_model_predict_on_batch(model, x, NULL, 0, &needed));
        ck_assert_int_eq(needed, n * 2);
        ASSERT_OK(deep_model_predict_on_batch(model, x, out, COUNT_OF(out), &needed));
        ck_assert(memcmp(out, want, (size_t)needed * sizeof *out) == 0);
        deep_tensor_free(predicted);
        deep_tensor_free(x);
        deep_tensor_free(y);
        deep_dataset_free(data);
    }
    deep_model_free(model);
}
END_TEST

/* Adam's moments and step count carry over between train_on_batch and fit in both
 * directions: fit, then steps, then fit again equals three fits. */
START_TEST(optimizer_state_carries_over_to_and_from_fit)
{
    problem p;
    make_problem(&p);
    deep_model *a = new_model(false, 1, 11), *b = new_model(false, 1, 11);
    deep_dataset *data = dataset(&p, false, 0, N);
    ASSERT_OK(deep_model_fit(a, data, 1, BATCH, NULL));
    ASSERT_OK(deep_model_fit(b, data, 1, BATCH, NULL));
    ASSERT_OK(deep_model_fit(a, data, 1, BATCH, NULL));
    for (int64_t first = 0; first < N; first += BATCH)
        train_batch(b, &p, false, first, BATCH, (double[2]){0});
    ASSERT_OK(deep_model_fit(a, data, 1, BATCH, NULL));
    ASSERT_OK(deep_model_fit(b, data, 1, BATCH, NULL));
    ck_assert(same_weights(a, b));
    deep_dataset_free(data);
    deep_model_free(a);
    deep_model_free(b);
}
END_TEST

/* After the first call with a batch size, calls with that size or smaller allocate nothing,
 * on one thread (_i 0) and with the model's thread pool (_i 1: 2 threads). */
START_TEST(no_allocation_after_the_first_call)
{
    problem p;
    make_problem(&p);
    deep_model *model = new_model(false, _i ? 2 : 1, 5);
    deep_tensor *x = rows(p.x, 3, 0, BATCH, false), *y = batch_y(&p, false, 0, BATCH);
    deep_tensor *x1 = rows(p.x, 3, 0, 1, false), *y1 = batch_y(&p, false, 0, 1);
    double values[2];
    float out[BATCH * 2];
    int64_t needed;
    ASSERT_OK(deep_model_train_on_batch(model, x, y, values, 2, &needed));
    ASSERT_OK(deep_model_test_on_batch(model, x, y, values, 2, &needed));
    /* Only the library's calls are counted: Check allocates in every assertion. */
    long before = allocations;
    deep_status status[5 * 5];
    counting = true;
    for (int i = 0; i < 5; i++) {
        status[5 * i] = deep_model_train_on_batch(model, x, y, values, 2, &needed);
        status[5 * i + 1] = deep_model_train_on_batch(model, x1, y1, values, 2, &needed);
        status[5 * i + 2] = deep_model_test_on_batch(model, x, y, values, 2, &needed);
        status[5 * i + 3] = deep_model_predict_on_batch(model, x, out, COUNT_OF(out), &needed);
        status[5 * i + 4] = deep_model_predict_on_batch(model, x1, out, COUNT_OF(out), &needed);
    }
    counting = false;
    for (int i = 0; i < COUNT_OF(status); i++)
        ck_assert_int_eq(status[i], DEEP_OK);
    ck_assert_int_eq(allocations, before);
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_tensor_free(x1);
    deep_tensor_free(y1);
    deep_model_free(model);
}
END_TEST

/* ---- misuse ---------------------------------------------------------------------------- */

static int32_t train_from_callback(void *user, deep_model *model, int64_t epoch)
{
    (void)epoch;
    deep_tensor **xy = user;
    double values[2];
    int64_t needed = 0;
    float out[8];
    ASSERT_FAILS_WITH(deep_model_train_on_batch(model, xy[0], xy[1], values, 2, &needed), DEEP_ERR_THREAD,
                      "deep_model_train_on_batch", "callback");
    ASSERT_FAILS(deep_model_test_on_batch(model, xy[0], xy[1], values, 2, &needed), DEEP_ERR_THREAD,
                 "deep_model_test_on_batch");
    ASSERT_FAILS(deep_model_predict_on_batch(model, xy[2], out, 8, &needed), DEEP_ERR_THREAD,
                 "deep_model_predict_on_batch");
    return 0;
}

START_TEST(on_batch_misuse)
{
    problem p;
    make_problem(&p);
    deep_model *model = new_model(false, 1, 5);
    deep_tensor *x = rows(p.x, 3, 0, 4, false), *y = batch_y(&p, false, 0, 4);
    double values[2];
    int64_t needed = -1;
    const char *train = "deep_model_train_on_batch";

    ASSERT_FAILS(deep_model_train_on_batch(NULL, x, y, values, 2, &needed), DEEP_ERR_NULL, train);
    ASSERT_FAILS(deep_model_train_on_batch(model, NULL, y, values, 2, &needed), DEEP_ERR_NULL, train);
    ASSERT_FAILS(deep_model_train_on_batch(model, x, NULL, values, 2, &needed), DEEP_ERR_NULL, train);
    ASSERT_FAILS(deep_model_train_on_batch(model, x, y, values, 2, NULL), DEEP_ERR_NULL, train);
    ASSERT_FAILS(deep_model_train_on_batch(model, x, y, NULL, 2, &needed), DEEP_ERR_NULL, train);
    ASSERT_FAILS(deep_model_test_on_batch(model, x, NULL, values, 2, &needed), DEEP_ERR_NULL,
                 "deep_model_test_on_batch");
    ASSERT_FAILS(deep_model_predict_on_batch(model, NULL, NULL, 0, &needed), DEEP_ERR_NULL,
                 "deep_model_predict_on_batch");
    ASSERT_FAILS(deep_model_predict_on_batch(model, x, NULL, 8, &needed), DEEP_ERR_NULL,
                 "deep_model_predict_on_batch");

    /* The size query runs nothing; a short or negative capacity is refused. */
    float *before = NULL;
    int64_t count = 0;
    before = all_weights(model, &count);
    ASSERT_OK(deep_model_train_on_batch(model, x, y, NULL, 0, &needed));
    ck_assert_int_eq(needed, 2);
    float *after = all_weights(model, &count);
    ck_assert(memcmp(before, after, (size_t)count * sizeof *after) == 0);
    free(before);
    free(after);
    needed = -1;
    ASSERT_FAILS(deep_model_train_on_batch(model, x, y, values, 1, &needed), DEEP_ERR_BUFFER_TOO_SMALL, train);
    ck_assert_int_eq(needed, 2);
    ASSERT_FAILS(deep_model_train_on_batch(model, x, y, values, -1, &needed), DEEP_ERR_INVALID_ARGUMENT, train);
    float out[8];
    ASSERT_FAILS(deep_model_predict_on_batch(model, x, out, 7, &needed), DEEP_ERR_BUFFER_TOO_SMALL,
                 "deep_model_predict_on_batch");
    ck_assert_int_eq(needed, 8);

    /* Shapes, naming the axis. */
    int64_t wrong_x[] = {4, 2}, wrong_rank[] = {4, 3, 1}, five[] = {5};
    deep_tensor *bad = tensor_from(2, wrong_x, p.x);
    ASSERT_FAILS_WITH(deep_model_train_on_batch(model, bad, y, values, 2, &needed), DEEP_ERR_SHAPE, train,
                      "axis 1 has 2 entries, not 3");
    ck_assert_int_eq(needed, 0); /* deep.h: 0 after any failure but a short buffer */
    deep_tensor_free(bad);
    bad = tensor_from(3, wrong_rank, p.x);
    ASSERT_FAILS_WITH(deep_model_predict_on_batch(model, bad, out, 8, &needed), DEEP_ERR_SHAPE,
                      "deep_model_predict_on_batch", "rank 3");
    deep_tensor_free(bad);
    bad = tensor_from(1, five, p.labels);
    ASSERT_FAILS_WITH(deep_model_train_on_batch(model, x, bad, values, 2, &needed), DEEP_ERR_SHAPE, train,
                      "5 samples on axis 0, but x has 4");
    deep_tensor_free(bad);
    int64_t one_column[] = {4, 1}, three_columns[] = {4, 3};
    bad = tensor_from(2, one_column, p.labels);
    ASSERT_OK(deep_model_train_on_batch(model, x, bad, values, 2, &needed)); /* (n, 1) labels are fine */
    deep_tensor_free(bad);
    bad = tensor_from(2, three_columns, p.x);
    ASSERT_FAILS_WITH(deep_model_train_on_batch(model, x, bad, values, 2, &needed), DEEP_ERR_SHAPE, train,
                      "one label per sample");
    deep_tensor_free(bad);

    /* Labels out of range or not whole. */
    float labels[4] = {0, 1, 2, 0};
    bad = rows(labels, 1, 0, 4, true);
    ASSERT_FAILS_WITH(deep_model_train_on_batch(model, x, bad, values, 2, &needed), DEEP_ERR_OUT_OF_RANGE, train,
                      "y[2] is 2");
    deep_tensor_free(bad);
    labels[2] = -1;
    bad = rows(labels, 1, 0, 4, true);
    ASSERT_FAILS(deep_model_test_on_batch(model, x, bad, values, 2, &needed), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_test_on_batch");
    deep_tensor_free(bad);
    labels[2] = 0.5f;
    bad = rows(labels, 1, 0, 4, true);
    ASSERT_FAILS_WITH(deep_model_train_on_batch(model, x, bad, values, 2, &needed), DEEP_ERR_INVALID_ARGUMENT, train,
                      "whole class labels");
    deep_tensor_free(bad);

    /* A NaN input makes the loss NaN: refused, and the weights stay. */
    float nan_x[12];
    memcpy(nan_x, p.x, sizeof nan_x);
    nan_x[4] = NAN;
    bad = rows(nan_x, 3, 0, 4, false);
    before = all_weights(model, &count);
    ASSERT_FAILS_WITH(deep_model_train_on_batch(model, bad, y, values, 2, &needed), DEEP_ERR_NUMERIC, train, "NaN");
    after = all_weights(model, &count);
    ck_assert(memcmp(before, after, (size_t)count * sizeof *after) == 0);
    free(before);
    free(after);
    deep_tensor_free(bad);

    /* From fit's callbacks: the model is busy. */
    deep_dataset *data = dataset(&p, false, 0, N);
    deep_tensor *xy[3] = {x, y, x};
    ASSERT_OK(deep_model_set_callbacks(model, NULL, train_from_callback, xy));
    ASSERT_OK(deep_model_fit(model, data, 1, BATCH, NULL));
    deep_dataset_free(data);

    /* Before compile. */
    int64_t features = 3;
    deep_model *raw = NULL;
    ASSERT_OK(deep_model_new(1, &features, &raw));
    ASSERT_OK(deep_model_add_dense(raw, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    ASSERT_FAILS(deep_model_train_on_batch(raw, x, y, values, 2, &needed), DEEP_ERR_STATE, train);
    ASSERT_FAILS(deep_model_predict_on_batch(raw, x, out, 8, &needed), DEEP_ERR_STATE, "deep_model_predict_on_batch");
    deep_model_free(raw);
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_model_free(model);
}
END_TEST

/* While fit runs on one thread, the online calls and a copy into the model from another
 * thread are refused with DEEP_ERR_THREAD. */
typedef struct handshake {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool a_in_fit, b_done;
    deep_model *model;
    deep_dataset *data;
    deep_status a_status;
} handshake;

static int32_t pause_in_batch(void *user, int64_t epoch, int64_t batch, double loss)
{
    (void)epoch;
    (void)loss;
    handshake *h = user;
    if (batch == 0) {
        pthread_mutex_lock(&h->lock);
        h->a_in_fit = true;
        pthread_cond_broadcast(&h->changed);
        while (!h->b_done)
            pthread_cond_wait(&h->changed, &h->lock);
        pthread_mutex_unlock(&h->lock);
    }
    return 0;
}

static void *fit_thread(void *raw)
{
    handshake *h = raw;
    h->a_status = deep_model_fit(h->model, h->data, 1, BATCH, NULL);
    return NULL;
}

START_TEST(online_calls_during_another_threads_fit)
{
    problem p;
    make_problem(&p);
    deep_model *model = new_model(false, 1, 5), *other = new_model(false, 1, 6);
    deep_dataset *data = dataset(&p, false, 0, N);
    handshake h = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER, .model = model,
                   .data = data};
    ASSERT_OK(deep_model_set_callbacks(model, pause_in_batch, NULL, &h));
    pthread_t a;
    ck_assert_int_eq(pthread_create(&a, NULL, fit_thread, &h), 0);
    pthread_mutex_lock(&h.lock);
    while (!h.a_in_fit)
        pthread_cond_wait(&h.changed, &h.lock);
    pthread_mutex_unlock(&h.lock);

    deep_tensor *x = rows(p.x, 3, 0, 4, false), *y = batch_y(&p, false, 0, 4);
    double values[2];
    float out[8];
    int64_t needed;
    deep_status train = deep_model_train_on_batch(model, x, y, values, 2, &needed);
    bool train_named = names_function(deep_last_error(), "deep_model_train_on_batch");
    deep_status test = deep_model_test_on_batch(model, x, y, values, 2, &needed);
    deep_status predict = deep_model_predict_on_batch(model, x, out, 8, &needed);
    deep_status copy = deep_model_copy_weights(model, other);
    pthread_mutex_lock(&h.lock);
    h.b_done = true;
    pthread_cond_broadcast(&h.changed);
    pthread_mutex_unlock(&h.lock);
    ck_assert_int_eq(pthread_join(a, NULL), 0);

    ck_assert_int_eq(train, DEEP_ERR_THREAD);
    ck_assert(train_named);
    ck_assert_int_eq(test, DEEP_ERR_THREAD);
    ck_assert_int_eq(predict, DEEP_ERR_THREAD);
    ck_assert_int_eq(copy, DEEP_ERR_THREAD);
    ck_assert_int_eq(h.a_status, DEEP_OK);
    /* Once fit is over, they work. */
    ASSERT_OK(deep_model_train_on_batch(model, x, y, values, 2, &needed));
    ASSERT_OK(deep_model_copy_weights(model, other));
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_dataset_free(data);
    deep_model_free(model);
    deep_model_free(other);
}
END_TEST

/* Float targets: (n, 2) for two outputs, (n,) for one; anything else names the axis. */
START_TEST(float_target_shapes)
{
    problem p;
    make_problem(&p);
    deep_model *model = new_model(true, 1, 5);
    deep_tensor *x = rows(p.x, 3, 0, 4, false);
    double values[2];
    int64_t needed = 0, three[] = {4, 3}, flat[] = {4};
    deep_tensor *bad = tensor_from(2, three, p.x);
    ASSERT_FAILS_WITH(deep_model_train_on_batch(model, x, bad, values, 2, &needed), DEEP_ERR_SHAPE,
                      "deep_model_train_on_batch", "axis 1 has 3 entries, not 2");
    deep_tensor_free(bad);
    bad = tensor_from(1, flat, p.x);
    ASSERT_FAILS_WITH(deep_model_test_on_batch(model, x, bad, values, 2, &needed), DEEP_ERR_SHAPE,
                      "deep_model_test_on_batch", "rank 1");
    deep_tensor_free(bad);
    deep_model_free(model);

    /* One output: (n,) and (n, 1) give the same step. */
    int64_t features = 3;
    deep_model *a = NULL, *b = NULL;
    deep_model *pair[2];
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(deep_model_new(1, &features, &pair[k]));
        ASSERT_OK(deep_model_add_dense(pair[k], 1, DEEP_ACTIVATION_SIGMOID, 1));
        deep_optimizer *opt = NULL;
        ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
        ASSERT_OK(deep_model_compile(pair[k], opt, DEEP_LOSS_BINARY_CROSSENTROPY, accuracy_only, 1));
    }
    a = pair[0];
    b = pair[1];
    int64_t column[] = {4, 1};
    deep_tensor *y_flat = tensor_from(1, flat, p.labels), *y_column = tensor_from(2, column, p.labels);
    double va[2], vb[2];
    ASSERT_OK(deep_model_train_on_batch(a, x, y_flat, va, 2, &needed));
    ASSERT_OK(deep_model_train_on_batch(b, x, y_column, vb, 2, &needed));
    ck_assert(memcmp(va, vb, sizeof va) == 0);
    ck_assert(same_weights(a, b));
    deep_tensor_free(y_flat);
    deep_tensor_free(y_column);
    deep_tensor_free(x);
    deep_model_free(a);
    deep_model_free(b);
}
END_TEST

/* ---- copy_weights and clone ------------------------------------------------------------ */

static deep_model *compiled_clone(const deep_model *src, uint64_t seed)
{
    deep_model *clone = NULL;
    ASSERT_OK(deep_model_clone(src, &clone));
    ASSERT_OK(deep_model_set_seed(clone, seed));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt));
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.01));
    ASSERT_OK(deep_model_compile(clone, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, accuracy_only, 1));
    return clone;
}

/* The copy moves every weight and leaves dst's optimizer state alone: a dst that trained
 * before continues exactly as a twin whose weights were set one by one. */
START_TEST(copy_weights_moves_weights_not_optimizer_state)
{
    problem p;
    make_problem(&p);
    deep_model *src = new_model(false, 1, 1);
    deep_model *dst = compiled_clone(src, 2), *twin = compiled_clone(src, 2);
    ck_assert(!same_weights(src, dst));
    for (int64_t first = 0; first < N; first += BATCH) {
        train_batch(dst, &p, false, first, BATCH, (double[2]){0});
        train_batch(twin, &p, false, first, BATCH, (double[2]){0});
    }
    ASSERT_OK(deep_model_copy_weights(dst, src));
    ck_assert(same_weights(src, dst));
    for (int32_t layer = 0; layer < 3; layer++) {
        int32_t count = 0;
        ASSERT_OK(deep_model_weight_count(src, layer, &count));
        for (int32_t w = 0; w < count; w++) {
            deep_tensor *t = NULL;
            ASSERT_OK(deep_model_get_weight(src, layer, w, &t));
            ASSERT_OK(deep_model_set_weight(twin, layer, w, t));
            deep_tensor_free(t);
        }
    }
    train_batch(dst, &p, false, 0, BATCH, (double[2]){0});
    train_batch(twin, &p, false, 0, BATCH, (double[2]){0});
    ck_assert(same_weights(dst, twin));
    ck_assert(!same_weights(dst, src));
    deep_model_free(src);
    deep_model_free(dst);
    deep_model_free(twin);
}
END_TEST

START_TEST(copy_weights_misuse)
{
    deep_model *src = new_model(false, 1, 1), *other = NULL, *raw = NULL;
    const char *fn = "deep_model_copy_weights";
    ASSERT_FAILS(deep_model_copy_weights(NULL, src), DEEP_ERR_NULL, fn);
    ASSERT_FAILS(deep_model_copy_weights(src, NULL), DEEP_ERR_NULL, fn);
    ASSERT_OK(deep_model_copy_weights(src, src));

    ASSERT_OK(deep_model_clone(src, &raw));
    ASSERT_FAILS_WITH(deep_model_copy_weights(raw, src), DEEP_ERR_STATE, fn, "dst");
    ASSERT_FAILS_WITH(deep_model_copy_weights(src, raw), DEEP_ERR_STATE, fn, "src");

    int64_t features = 3;
    ASSERT_OK(deep_model_new(1, &features, &other));
    ASSERT_OK(deep_model_add_dense(other, 8, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dropout(other, 0.25));
    ASSERT_OK(deep_model_add_dense(other, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(other, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    ASSERT_FAILS_WITH(deep_model_copy_weights(other, src), DEEP_ERR_SHAPE, fn, "weight kernel of layer 2 (dense_1)");
    deep_model_free(other);

    ASSERT_OK(deep_model_new(1, &features, &other));
    ASSERT_OK(deep_model_add_dense(other, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(other, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    ASSERT_FAILS_WITH(deep_model_copy_weights(other, src), DEEP_ERR_SHAPE, fn, "1 layers but src has 3");

    /* A diverged src is refused and dst stays as it was. */
    deep_model *dst = compiled_clone(src, 9);
    float *before = NULL, *after = NULL;
    int64_t count = 0;
    before = all_weights(dst, &count);
    src->weights[5] = NAN;
    ASSERT_FAILS_WITH(deep_model_copy_weights(dst, src), DEEP_ERR_NUMERIC, fn, "NaN");
    after = all_weights(dst, &count);
    ck_assert(memcmp(before, after, (size_t)count * sizeof *after) == 0);
    free(before);
    free(after);
    deep_model_free(dst);
    deep_model_free(other);
    deep_model_free(raw);
    deep_model_free(src);
}
END_TEST

static void summary(const deep_model *model, char *text, int64_t capacity)
{
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, text, capacity, &needed));
}

/* The clone has the same layers, names, options and settings, no weights until compiled,
 * and compiled with the same seed the weights src was compiled with. */
START_TEST(clone_copies_the_architecture)
{
    int64_t shape[] = {5, 3};
    deep_model *src = NULL, *clone = NULL;
    ASSERT_OK(deep_model_new(2, shape, &src));
    ASSERT_OK(deep_model_set_seed(src, 42));
    ASSERT_OK(deep_model_set_int(src, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(src, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_set_int(src, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 3));
    ASSERT_OK(deep_model_add_lstm(src, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    ASSERT_OK(deep_model_set_layer_float(src, -1, DEEP_LAYER_DROPOUT, 0.5));
    ASSERT_OK(deep_model_add_bidirectional(src, DEEP_MERGE_SUM));
    ASSERT_OK(deep_model_add_gru(src, 2, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    ASSERT_OK(deep_model_add_dense(src, 2, DEEP_ACTIVATION_SOFTMAX, 1));

    ASSERT_OK(deep_model_clone(src, &clone));
    char a[4096], b[4096];
    summary(src, a, sizeof a);
    summary(clone, b, sizeof b);
    ck_assert_str_eq(a, b);
    double dropout = 0;
    ASSERT_OK(deep_model_get_layer_float(clone, 0, DEEP_LAYER_DROPOUT, &dropout));
    ck_assert_double_eq(dropout, 0.5);
    int64_t value = 0;
    ASSERT_OK(deep_model_get_int(clone, DEEP_MODEL_SHUFFLE, &value));
    ck_assert_int_eq(value, 0);
    ASSERT_OK(deep_model_get_int(clone, DEEP_MODEL_EARLY_STOPPING_PATIENCE, &value));
    ck_assert_int_eq(value, 3);
    ASSERT_OK(deep_model_get_int(clone, DEEP_MODEL_THREADS, &value));
    ck_assert_int_eq(value, 1);
    deep_optimizer *opt = NULL;
    ASSERT_FAILS(deep_model_optimizer(clone, &opt), DEEP_ERR_STATE, "deep_model_optimizer");

    deep_model *models[2] = {src, clone};
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_RMSPROP, &opt));
        ASSERT_OK(deep_model_compile(models[k], opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    }
    ck_assert(same_weights(src, clone));
    /* A clone of a compiled model is uncompiled too. */
    deep_model *again = NULL;
    ASSERT_OK(deep_model_clone(src, &again));
    ASSERT_FAILS(deep_model_optimizer(again, &opt), DEEP_ERR_STATE, "deep_model_optimizer");
    deep_model_free(again);

    ASSERT_FAILS(deep_model_clone(NULL, &again), DEEP_ERR_NULL, "deep_model_clone");
    ck_assert_ptr_null(again);
    ASSERT_FAILS(deep_model_clone(src, NULL), DEEP_ERR_NULL, "deep_model_clone");
    deep_model_free(src);
    deep_model_free(clone);
}
END_TEST

/* ---- predict's batch splitting (graph/parallel.c) -------------------------------------- */

#define WIDE_N 600
#define WIDE_IN 64

/* A model large enough that predict cuts WIDE_N samples into one slice per thread. */
static deep_model *wide_model(int64_t threads)
{
    int64_t features = WIDE_IN;
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, &features, &model));
    ASSERT_OK(deep_model_set_seed(model, 21));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    ASSERT_OK(deep_model_add_dense(model, 256, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dense(model, 256, DEEP_ACTIVATION_TANH, 1));
    ASSERT_OK(deep_model_add_dense(model, 7, DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(model, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    return model;
}

static deep_tensor *wide_inputs(void)
{
    static float data[WIDE_N * WIDE_IN];
    uint32_t state = 99;
    for (int i = 0; i < WIDE_N * WIDE_IN; i++) {
        state = state * 1664525u + 1013904223u;
        data[i] = (float)(state >> 8) / 16777216.0f - 0.5f;
    }
    return tensor_from(2, (int64_t[]){WIDE_N, WIDE_IN}, data);
}

/* Slices change which thread computes a sample, not its outputs: those of one thread, and
 * of predict_on_batch (the whole batch on the caller), up to the last bits of rounding
 * (with OpenBLAS's AVX-512 kernels they are equal bit for bit; under valgrind, which has
 * no AVX-512, OpenBLAS blocks the rows otherwise). Small batches are not split. */
static void assert_close(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(a[i] - b[i]) <= 1e-6f + 1e-5f * fabsf(b[i]), "output %lld: %.9g and %.9g", (long long)i,
                      (double)a[i], (double)b[i]);
}

START_TEST(sliced_predict_equals_one_thread)
{
    deep_model *model = wide_model(4);
    deep_tensor *x = wide_inputs(), *sliced = NULL, *single = NULL;
    ck_assert_int_eq(deep_model_predict_slices(model, WIDE_N), 4);
    ck_assert_int_eq(deep_model_predict_slices(model, 1), 1);
    ASSERT_OK(deep_model_predict(model, x, &sliced));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    ck_assert_int_eq(deep_model_predict_slices(model, WIDE_N), 1);
    ASSERT_OK(deep_model_predict(model, x, &single));
    const float *a = NULL, *b = NULL;
    ASSERT_OK(deep_tensor_data(sliced, &a));
    ASSERT_OK(deep_tensor_data(single, &b));
    assert_close(a, b, WIDE_N * 7);
    /* predict_on_batch runs a batch in one pass, predict in passes of up to 256 samples:
     * they agree on batches of up to 256 (beyond, OpenBLAS may block the rows otherwise). */
    static float in256[256 * WIDE_IN], out[256 * 7];
    const float *all = NULL;
    ASSERT_OK(deep_tensor_data(x, &all));
    memcpy(in256, all, sizeof in256);
    deep_tensor *x256 = tensor_from(2, (int64_t[]){256, WIDE_IN}, in256), *sliced256 = NULL;
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 4));
    ck_assert_int_eq(deep_model_predict_slices(model, 256), 4);
    ASSERT_OK(deep_model_predict(model, x256, &sliced256));
    int64_t needed = 0;
    ASSERT_OK(deep_model_predict_on_batch(model, x256, out, COUNT_OF(out), &needed));
    ASSERT_OK(deep_tensor_data(sliced256, &a));
    assert_close(a, out, COUNT_OF(out));
    deep_tensor_free(sliced256);
    deep_tensor_free(x256);
    deep_tensor_free(sliced);
    deep_tensor_free(single);
    deep_tensor_free(x);
    deep_model_free(model);
}
END_TEST

struct predictor {
    const deep_model *model;
    const deep_tensor *x;
    const float *want;
    int mismatches;
    deep_status status;
};

static void *predict_many(void *raw)
{
    struct predictor *p = raw;
    for (int i = 0; i < 5 && p->status == DEEP_OK; i++) {
        deep_tensor *out = NULL;
        p->status = deep_model_predict(p->model, p->x, &out);
        const float *got = NULL;
        if (p->status == DEEP_OK && deep_tensor_data(out, &got) == DEEP_OK &&
            memcmp(got, p->want, sizeof(float) * WIDE_N * 7) != 0)
            p->mismatches++;
        deep_tensor_free(out);
    }
    return NULL;
}

/* deep.h: any number of threads may predict with one model at once, each call with
 * threads of its own. */
START_TEST(sliced_predicts_from_many_threads_at_once)
{
    deep_model *model = wide_model(2);
    deep_tensor *x = wide_inputs(), *want = NULL;
    ASSERT_OK(deep_model_predict(model, x, &want));
    const float *w = NULL;
    ASSERT_OK(deep_tensor_data(want, &w));
    struct predictor ps[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        ps[i] = (struct predictor){model, x, w, 0, DEEP_OK};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, predict_many, &ps[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(ps[i].status, DEEP_OK);
        ck_assert_int_eq(ps[i].mismatches, 0);
    }
    deep_tensor_free(want);
    deep_tensor_free(x);
    deep_model_free(model);
}
END_TEST

static Suite *online_suite(void)
{
    Suite *s = suite_create("online");
    TCase *steps = tcase_create("on batch");
    tcase_add_loop_test(steps, train_on_batch_sequence_equals_fit, 0, 4);
    tcase_add_loop_test(steps, test_and_predict_on_batch_equal_evaluate_and_predict, 0, 2);
    tcase_add_test(steps, optimizer_state_carries_over_to_and_from_fit);
    tcase_add_loop_test(steps, no_allocation_after_the_first_call, 0, 2);
    tcase_add_test(steps, sliced_predict_equals_one_thread);
    tcase_add_test(steps, sliced_predicts_from_many_threads_at_once);
    tcase_add_test(steps, on_batch_misuse);
    tcase_add_test(steps, float_target_shapes);
    tcase_add_test(steps, online_calls_during_another_threads_fit);
    tcase_set_timeout(steps, 120);
    suite_add_tcase(s, steps);

    TCase *copies = tcase_create("copies");
    tcase_add_test(copies, copy_weights_moves_weights_not_optimizer_state);
    tcase_add_test(copies, copy_weights_misuse);
    tcase_add_test(copies, clone_copies_the_architecture);
    tcase_set_timeout(copies, 120);
    suite_add_tcase(s, copies);
    return s;
}

int main(void)
{
    return run_suite(online_suite(), CK_NORMAL);
}
