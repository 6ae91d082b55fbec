/* Models through the public API only: building, compiling, training on small synthetic
 * problems, reproducibility, callbacks, validation and early stopping, the summary, weights,
 * threads, and every kind of misuse (each must return its status, name the function in
 * deep_last_error() and leak nothing; ASan and valgrind check the last part). */
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

/* ---- synthetic data ------------------------------------------------------------------- */

static deep_rng *new_rng(uint64_t seed)
{
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(seed, &rng));
    return rng;
}

static float uniform(deep_rng *rng, float low, float high)
{
    float u = 0;
    ASSERT_OK(deep_rng_uniform(rng, &u));
    return low + (high - low) * u;
}

/* Standard normal by Box-Muller. */
static float normal(deep_rng *rng)
{
    float u1 = uniform(rng, 0, 1), u2 = uniform(rng, 0, 1);
    return (float)(sqrt(-2.0 * log(1.0 - (double)u1)) * cos(6.283185307179586 * (double)u2));
}

/* n samples of `width` features; labels and targets are optional. */
static deep_dataset *make_dataset(int64_t n, int64_t width, const float *features, const int32_t *labels,
                                  int32_t num_classes, const float *targets, int64_t target_width)
{
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(n, 1, &width, features, &data));
    if (labels != NULL)
        ASSERT_OK(deep_dataset_set_labels(data, labels, n, num_classes));
    if (targets != NULL)
        ASSERT_OK(deep_dataset_set_targets(data, targets, n, target_width));
    return data;
}

/* Two Gaussian blobs of 2 features around (-1.5, -1.5) (class 0) and (1.5, 1.5) (class 1),
 * classes alternating. flip swaps the labels, which makes a validation set whose loss rises
 * as the model learns. */
static deep_dataset *blobs(int64_t n, uint64_t seed, bool flip)
{
    deep_rng *rng = new_rng(seed);
    float *x = malloc((size_t)n * 2 * sizeof *x);
    int32_t *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++) {
        int32_t label = (int32_t)(i % 2);
        float center = label ? 1.5f : -1.5f;
        x[2 * i] = center + 0.8f * normal(rng);
        x[2 * i + 1] = center + 0.8f * normal(rng);
        y[i] = flip ? 1 - label : label;
    }
    deep_dataset *data = make_dataset(n, 2, x, y, 2, NULL, 0);
    free(x);
    free(y);
    deep_rng_free(rng);
    return data;
}

/* y = 2x + 1 plus a little noise, x uniform in [-1, 1]. */
static deep_dataset *line(int64_t n, uint64_t seed)
{
    deep_rng *rng = new_rng(seed);
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++) {
        x[i] = uniform(rng, -1, 1);
        y[i] = 2 * x[i] + 1 + 0.01f * normal(rng);
    }
    deep_dataset *data = make_dataset(n, 1, x, NULL, 0, y, 1);
    free(x);
    free(y);
    deep_rng_free(rng);
    return data;
}

static const float xor_x[] = {0, 0, 0, 1, 1, 0, 1, 1};
static const int32_t xor_y[] = {0, 1, 1, 0};

/* ---- models --------------------------------------------------------------------------- */

/* A model of rank-1 input `inputs`, seeded, on one thread (fast under valgrind). */
static deep_model *new_model(int64_t inputs, uint64_t seed)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, &inputs, &model));
    ASSERT_OK(deep_model_set_seed(model, seed));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    return model;
}

static void add_dense(deep_model *model, int64_t units, deep_activation activation)
{
    ASSERT_OK(deep_model_add_dense(model, units, activation, 1));
}

static deep_optimizer *new_optimizer(deep_optimizer_kind kind, float learning_rate)
{
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(kind, &opt));
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, learning_rate));
    return opt;
}

static void compile(deep_model *model, deep_optimizer_kind kind, float learning_rate, deep_loss loss,
                    const deep_metric *metrics, int32_t metric_count)
{
    ASSERT_OK(deep_model_compile(model, new_optimizer(kind, learning_rate), loss, metrics, metric_count));
}

static const deep_metric accuracy_only[] = {DEEP_METRIC_ACCURACY};

/* 2 -> Dense(8, relu) -> Dense(2, softmax), Adam, sparse categorical cross-entropy, accuracy. */
static deep_model *blob_classifier(uint64_t seed, float learning_rate)
{
    deep_model *model = new_model(2, seed);
    add_dense(model, 8, DEEP_ACTIVATION_RELU);
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    compile(model, DEEP_OPTIMIZER_ADAM, learning_rate, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, accuracy_only, 1);
    return model;
}

/* values[index] of deep_model_evaluate (0 is the loss). */
static double evaluate(deep_model *model, const deep_dataset *data, int index)
{
    double values[1 + 8];
    ASSERT_OK(deep_model_evaluate(model, data, 32, values, COUNT_OF(values), &(int64_t){0}));
    return values[index];
}

static deep_tensor *predict(const deep_model *model, const deep_dataset *data)
{
    deep_tensor *x = NULL, *y = NULL;
    ASSERT_OK(deep_dataset_features(data, &x));
    ASSERT_OK(deep_model_predict(model, x, &y));
    deep_tensor_free(x);
    return y;
}

static const float *tensor_data(const deep_tensor *t)
{
    const float *data = NULL;
    ASSERT_OK(deep_tensor_data(t, &data));
    return data;
}

static int64_t tensor_size(const deep_tensor *t)
{
    int64_t size = 0;
    ASSERT_OK(deep_tensor_size(t, &size));
    return size;
}

/* Every weight of the model, concatenated in layer and Keras order; *count receives the total. */
static float *all_weights(const deep_model *model, int64_t *count)
{
    int32_t layers = 0;
    ASSERT_OK(deep_model_layer_count(model, &layers));
    ASSERT_OK(deep_model_parameter_count(model, count));
    float *all = malloc((size_t)(*count > 0 ? *count : 1) * sizeof *all);
    int64_t used = 0;
    for (int32_t l = 0; l < layers; l++) {
        int32_t weights = 0;
        ASSERT_OK(deep_model_weight_count(model, l, &weights));
        for (int32_t w = 0; w < weights; w++) {
            deep_tensor *t = NULL;
            ASSERT_OK(deep_model_get_weight(model, l, w, &t));
            int64_t size = tensor_size(t);
            ck_assert_int_le(used + size, *count);
            memcpy(all + used, tensor_data(t), (size_t)size * sizeof *all);
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

static int32_t history_length(const deep_model *model)
{
    int64_t length = -1;
    ASSERT_OK(deep_model_history_length(model, &length));
    return (int32_t)length;
}

static double history(const deep_model *model, int32_t epoch, deep_metric metric, int32_t validation)
{
    double value = NAN;
    ASSERT_OK(deep_model_history(model, epoch, metric, validation, &value));
    return value;
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

/* ---- learning ------------------------------------------------------------------------- */

START_TEST(sparse_crossentropy_separates_blobs)
{
    deep_dataset *train = blobs(200, 1, false), *test = blobs(100, 2, false);
    deep_model *model = blob_classifier(7, 0.01f);
    ASSERT_OK(deep_model_fit(model, train, 10, 16, NULL));
    ck_assert_int_eq(history_length(model), 10);
    ck_assert_double_lt(history(model, 9, DEEP_METRIC_LOSS, 0), history(model, 0, DEEP_METRIC_LOSS, 0));
    ck_assert_double_gt(history(model, 9, DEEP_METRIC_ACCURACY, 0), 0.95);
    ck_assert_double_gt(evaluate(model, test, 1), 0.95);

    /* predict agrees with evaluate's accuracy: rows are probabilities, argmax is the class. */
    deep_tensor *p = predict(model, test);
    int64_t shape[2] = {0, 0}, classes[100];
    int32_t labels[100];
    ASSERT_OK(deep_tensor_shape(p, shape, 2, &(int64_t){0}));
    ck_assert_int_eq(shape[0], 100);
    ck_assert_int_eq(shape[1], 2);
    ASSERT_OK(deep_tensor_argmax(p, classes, 100, &(int64_t){0}));
    ASSERT_OK(deep_dataset_labels(test, labels, 100, &(int64_t){0}));
    int correct = 0;
    for (int i = 0; i < 100; i++) {
        ck_assert_float_eq_tol(tensor_data(p)[2 * i] + tensor_data(p)[2 * i + 1], 1.0f, 1e-5f);
        correct += classes[i] == labels[i];
    }
    ck_assert_double_eq_tol(correct / 100.0, evaluate(model, test, 1), 1e-9);
    deep_tensor_free(p);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
}
END_TEST

START_TEST(categorical_crossentropy_with_one_hot_targets)
{
    deep_dataset *train = blobs(200, 3, false);
    ASSERT_OK(deep_dataset_to_categorical(train));
    deep_model *model = new_model(2, 11);
    add_dense(model, 8, DEEP_ACTIVATION_RELU);
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    compile(model, DEEP_OPTIMIZER_ADAM, 0.01f, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, accuracy_only, 1);
    ASSERT_OK(deep_model_fit(model, train, 10, 16, NULL));
    ck_assert_double_gt(evaluate(model, train, 1), 0.95);
    ck_assert_double_lt(evaluate(model, train, 0), 0.3);
    deep_model_free(model);
    deep_dataset_free(train);
}
END_TEST

START_TEST(mean_squared_error_fits_a_line)
{
    deep_dataset *data = line(64, 5);
    deep_model *model = new_model(1, 3);
    add_dense(model, 1, DEEP_ACTIVATION_LINEAR);
    const deep_metric mae[] = {DEEP_METRIC_MEAN_ABSOLUTE_ERROR};
    compile(model, DEEP_OPTIMIZER_SGD, 0.1f, DEEP_LOSS_MEAN_SQUARED_ERROR, mae, 1);
    ASSERT_OK(deep_model_fit(model, data, 40, 8, NULL));
    ck_assert_double_lt(evaluate(model, data, 0), 1e-3);
    ck_assert_double_lt(evaluate(model, data, 1), 0.03);
    ck_assert_double_lt(history(model, 39, DEEP_METRIC_MEAN_ABSOLUTE_ERROR, 0), 0.05);

    deep_tensor *kernel = NULL, *bias = NULL;
    ASSERT_OK(deep_model_get_weight(model, 0, 0, &kernel));
    ASSERT_OK(deep_model_get_weight(model, 0, 1, &bias));
    ck_assert_float_eq_tol(tensor_data(kernel)[0], 2.0f, 0.05f);
    ck_assert_float_eq_tol(tensor_data(bias)[0], 1.0f, 0.05f);
    deep_tensor_free(kernel);
    deep_tensor_free(bias);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* One sigmoid output with binary cross-entropy reads 0/1 labels as its targets. */
START_TEST(binary_crossentropy_on_labels)
{
    deep_dataset *data = blobs(200, 9, false);
    deep_model *model = new_model(2, 4);
    add_dense(model, 1, DEEP_ACTIVATION_SIGMOID);
    compile(model, DEEP_OPTIMIZER_ADAM, 0.05f, DEEP_LOSS_BINARY_CROSSENTROPY, accuracy_only, 1);
    ASSERT_OK(deep_model_fit(model, data, 10, 16, NULL));
    ck_assert_double_gt(evaluate(model, data, 1), 0.95);
    ck_assert_double_lt(evaluate(model, data, 0), 0.2);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* XOR needs the hidden layer; both Adam and SGD with momentum get there. */
START_TEST(xor_with_a_hidden_layer)
{
    const bool adam = _i == 0;
    deep_dataset *data = make_dataset(4, 2, xor_x, xor_y, 2, NULL, 0);
    deep_model *model = new_model(2, 21);
    add_dense(model, 8, DEEP_ACTIVATION_TANH);
    add_dense(model, 1, DEEP_ACTIVATION_SIGMOID);
    deep_optimizer *opt = new_optimizer(adam ? DEEP_OPTIMIZER_ADAM : DEEP_OPTIMIZER_SGD, adam ? 0.05f : 0.5f);
    if (!adam)
        ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_MOMENTUM, 0.9f));
    ASSERT_OK(deep_model_compile(model, opt, DEEP_LOSS_BINARY_CROSSENTROPY, accuracy_only, 1));
    ASSERT_OK(deep_model_fit(model, data, 300, 4, NULL));
    ck_assert_double_eq(evaluate(model, data, 1), 1.0);
    ck_assert_double_lt(evaluate(model, data, 0), 0.1);
    deep_tensor *p = predict(model, data);
    for (int i = 0; i < 4; i++)
        ck_assert_msg((tensor_data(p)[i] > 0.5f) == (xor_y[i] == 1), "xor sample %d predicted %g", i,
                      (double)tensor_data(p)[i]);
    deep_tensor_free(p);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* ---- reproducibility and threads -------------------------------------------------------- */

START_TEST(seed_fixes_weights_and_history)
{
    deep_dataset *data = blobs(60, 4, false);
    deep_model *a = blob_classifier(123, 0.01f), *b = blob_classifier(123, 0.01f), *c = blob_classifier(124, 0.01f);
    ck_assert(same_weights(a, b));
    ck_assert(!same_weights(a, c));

    ASSERT_OK(deep_model_fit(a, data, 3, 8, NULL));
    ASSERT_OK(deep_model_fit(b, data, 3, 8, NULL));
    ck_assert(same_weights(a, b));
    for (int32_t e = 0; e < 3; e++) {
        ck_assert_double_eq(history(a, e, DEEP_METRIC_LOSS, 0), history(b, e, DEEP_METRIC_LOSS, 0));
        ck_assert_double_eq(history(a, e, DEEP_METRIC_ACCURACY, 0), history(b, e, DEEP_METRIC_ACCURACY, 0));
    }

    /* Compiling again restarts from the seed's initial weights. */
    deep_model *fresh = blob_classifier(123, 0.01f);
    ck_assert(!same_weights(a, fresh));
    compile(a, DEEP_OPTIMIZER_ADAM, 0.01f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, accuracy_only, 1);
    ck_assert(same_weights(a, fresh));
    ck_assert_int_eq(history_length(a), 0);
    deep_model_free(a);
    deep_model_free(b);
    deep_model_free(c);
    deep_model_free(fresh);
    deep_dataset_free(data);
}
END_TEST

START_TEST(thread_count_does_not_change_results)
{
    deep_dataset *data = blobs(120, 6, false);
    deep_tensor *outputs[2];
    for (int t = 0; t < 2; t++) {
        deep_model *model = blob_classifier(99, 0.01f);
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, t + 1));
        ASSERT_OK(deep_model_fit(model, data, 3, 16, NULL));
        outputs[t] = predict(model, data);
        deep_model_free(model);
    }
    for (int64_t i = 0; i < tensor_size(outputs[0]); i++)
        ck_assert_float_eq_tol(tensor_data(outputs[0])[i], tensor_data(outputs[1])[i], 1e-5f);
    deep_tensor_free(outputs[0]);
    deep_tensor_free(outputs[1]);
    deep_dataset_free(data);
}
END_TEST

struct predict_job {
    const deep_model *model;
    const deep_tensor *inputs;
    deep_tensor *outputs;
    deep_status status;
};

static void *predict_thread(void *raw)
{
    struct predict_job *job = raw;
    for (int repeat = 0; repeat < 3 && job->status == DEEP_OK; repeat++) {
        deep_tensor_free(job->outputs);
        job->outputs = NULL;
        job->status = deep_model_predict(job->model, job->inputs, &job->outputs);
    }
    return NULL;
}

/* More rows than one internal chunk, so every thread walks several chunks. */
START_TEST(predict_from_many_threads)
{
    deep_dataset *data = blobs(300, 8, false);
    deep_model *model = blob_classifier(5, 0.01f);
    ASSERT_OK(deep_model_fit(model, data, 2, 32, NULL));
    deep_tensor *inputs = NULL;
    ASSERT_OK(deep_dataset_features(data, &inputs));
    deep_tensor *serial = predict(model, data);

    struct predict_job jobs[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct predict_job){model, inputs, NULL, DEEP_OK};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, predict_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(jobs[i].status, DEEP_OK);
        ck_assert_int_eq(tensor_size(jobs[i].outputs), tensor_size(serial));
        ck_assert(memcmp(tensor_data(jobs[i].outputs), tensor_data(serial),
                         (size_t)tensor_size(serial) * sizeof(float)) == 0);
        deep_tensor_free(jobs[i].outputs);
    }
    deep_tensor_free(serial);
    deep_tensor_free(inputs);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* ---- callbacks ---------------------------------------------------------------------------- */

/* Records every callback; stops fit at a chosen batch or epoch, or scales the learning rate. */
typedef struct recorder {
    int32_t batch_calls, epoch_calls;
    int32_t expected_epoch;
    int64_t expected_batch, batches_per_epoch;
    bool in_order, finite_losses;
    int32_t stop_epoch;             /* -1: never */
    int64_t stop_batch;             /* -1: stop from on_epoch instead */
    float lr_factor;                /* 0: leave the learning rate alone */
    double lr_seen[16];             /* the learning rate read back after each epoch's change */
    int64_t history_seen[16];       /* deep_model_history_length inside on_epoch */
} recorder;

static recorder new_recorder(int64_t batches_per_epoch)
{
    return (recorder){.batches_per_epoch = batches_per_epoch, .in_order = true, .finite_losses = true,
                      .stop_epoch = -1, .stop_batch = -1};
}

static int32_t on_batch(void *user, int64_t epoch, int64_t batch, double loss)
{
    recorder *r = user;
    r->in_order = r->in_order && epoch == r->expected_epoch && batch == r->expected_batch;
    r->finite_losses = r->finite_losses && isfinite(loss) && loss >= 0;
    r->batch_calls++;
    if (++r->expected_batch == r->batches_per_epoch) {
        r->expected_batch = 0;
        r->expected_epoch++;
    }
    return epoch == r->stop_epoch && batch == r->stop_batch;
}

static int32_t on_epoch(void *user, deep_model *model, int64_t epoch)
{
    recorder *r = user;
    r->epoch_calls++;
    if (epoch < 16) {
        deep_model_history_length(model, &r->history_seen[epoch]);
        if (r->lr_factor > 0) {
            deep_optimizer *opt = NULL;
            double lr = 0;
            if (deep_model_optimizer(model, &opt) == DEEP_OK && deep_optimizer_get_float(opt, DEEP_OPT_LEARNING_RATE,
                                                                                         &lr) == DEEP_OK &&
                deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, lr * r->lr_factor) == DEEP_OK)
                deep_optimizer_get_float(opt, DEEP_OPT_LEARNING_RATE, &r->lr_seen[epoch]);
        }
    }
    return r->stop_batch < 0 && epoch == r->stop_epoch;
}

START_TEST(batch_callback_sees_every_batch)
{
    /* 50 samples in batches of 16: 4 batches per epoch, the last one of 2. */
    deep_dataset *data = blobs(50, 10, false);
    deep_model *model = blob_classifier(1, 0.01f);
    recorder r = new_recorder(4);
    ASSERT_OK(deep_model_set_callbacks(model, on_batch, on_epoch, &r));
    ASSERT_OK(deep_model_fit(model, data, 3, 16, NULL));
    ck_assert_int_eq(r.batch_calls, 12);
    ck_assert_int_eq(r.epoch_calls, 3);
    ck_assert(r.in_order);
    ck_assert(r.finite_losses);
    for (int32_t e = 0; e < 3; e++)
        ck_assert_int_eq(r.history_seen[e], e + 1);

    /* One batch holding everything when batch_size exceeds the sample count. */
    r = new_recorder(1);
    ASSERT_OK(deep_model_fit(model, data, 2, 1000, NULL));
    ck_assert_int_eq(r.batch_calls, 2);
    ck_assert(r.in_order);

    /* Removing the callbacks. */
    ASSERT_OK(deep_model_set_callbacks(model, NULL, NULL, NULL));
    r = new_recorder(4);
    ASSERT_OK(deep_model_fit(model, data, 1, 16, NULL));
    ck_assert_int_eq(r.batch_calls, 0);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

START_TEST(callbacks_stop_fit)
{
    deep_dataset *data = blobs(50, 10, false);
    deep_model *model = blob_classifier(1, 0.01f);

    /* From on_batch: the epoch in progress is the last one recorded. */
    recorder r = new_recorder(4);
    r.stop_epoch = 1;
    r.stop_batch = 2;
    ASSERT_OK(deep_model_set_callbacks(model, on_batch, on_epoch, &r));
    ASSERT_OK(deep_model_fit(model, data, 10, 16, NULL));
    ck_assert_int_eq(r.batch_calls, 4 + 3);
    ck_assert_int_eq(history_length(model), 2);

    /* From on_epoch. */
    r = new_recorder(4);
    r.stop_epoch = 2;
    ASSERT_OK(deep_model_fit(model, data, 10, 16, NULL));
    ck_assert_int_eq(r.epoch_calls, 3);
    ck_assert_int_eq(r.batch_calls, 12);
    ck_assert_int_eq(history_length(model), 3);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

START_TEST(epoch_callback_changes_learning_rate)
{
    deep_dataset *data = blobs(40, 12, false);
    deep_model *model = blob_classifier(2, 0.01f);
    recorder r = new_recorder(3);
    r.lr_factor = 0.5f;
    ASSERT_OK(deep_model_set_callbacks(model, on_batch, on_epoch, &r));
    ASSERT_OK(deep_model_fit(model, data, 3, 16, NULL));
    ck_assert_float_eq_tol(r.lr_seen[0], 0.005f, 1e-9f);
    ck_assert_float_eq_tol(r.lr_seen[1], 0.0025f, 1e-9f);
    ck_assert_float_eq_tol(r.lr_seen[2], 0.00125f, 1e-9f);
    deep_optimizer *opt = NULL;
    double lr = 0;
    ASSERT_OK(deep_model_optimizer(model, &opt));
    ASSERT_OK(deep_optimizer_get_float(opt, DEEP_OPT_LEARNING_RATE, &lr));
    ck_assert_float_eq_tol(lr, 0.00125f, 1e-9f);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

typedef struct log_lines {
    int count;
    bool all_info;
    char lines[8][512];
} log_lines;

static void capture_log(void *user, deep_log_level level, const char *message)
{
    log_lines *log = user;
    log->all_info = log->all_info && level == DEEP_LOG_INFO;
    if (log->count < 8)
        snprintf(log->lines[log->count], sizeof log->lines[0], "%s", message);
    log->count++;
}

START_TEST(log_gets_one_line_per_epoch)
{
    deep_dataset *train = blobs(40, 13, false), *validation = blobs(20, 14, false);
    deep_model *model = blob_classifier(3, 0.01f);
    log_lines log = {.all_info = true};
    ASSERT_OK(deep_model_set_log(model, capture_log, &log));
    ASSERT_OK(deep_model_fit(model, train, 3, 16, validation));
    ck_assert_int_eq(log.count, 3);
    ck_assert(log.all_info);
    for (int i = 0; i < 3; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "Epoch %d/3", i + 1);
        ck_assert_msg(strncmp(log.lines[i], prefix, strlen(prefix)) == 0, "line \"%s\"", log.lines[i]);
        ck_assert_ptr_null(strchr(log.lines[i], '\n'));
        ck_assert_ptr_nonnull(strstr(log.lines[i], " - loss: "));
        ck_assert_ptr_nonnull(strstr(log.lines[i], " - accuracy: "));
        ck_assert_ptr_nonnull(strstr(log.lines[i], " - val_loss: "));
        ck_assert_ptr_nonnull(strstr(log.lines[i], " - val_accuracy: "));
    }

    /* verbose 0 silences it; so does removing the callback. */
    log.count = 0;
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_fit(model, train, 2, 16, NULL));
    ck_assert_int_eq(log.count, 0);
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 1));
    ASSERT_OK(deep_model_set_log(model, NULL, NULL));
    ASSERT_OK(deep_model_fit(model, train, 1, 16, NULL));
    ck_assert_int_eq(log.count, 0);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(validation);
}
END_TEST

/* ---- validation, history and early stopping ------------------------------------------- */

START_TEST(validation_split_holds_out_the_tail)
{
    deep_dataset *data = blobs(40, 15, false);
    deep_model *model = blob_classifier(4, 0.01f);
    recorder r = new_recorder(4);
    ASSERT_OK(deep_model_set_callbacks(model, on_batch, NULL, &r));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, 0.25));
    ASSERT_OK(deep_model_fit(model, data, 2, 8, NULL));
    ck_assert_int_eq(r.batch_calls, 2 * 4); /* 30 training samples in batches of 8 */
    ck_assert_int_eq(history_length(model), 2);

    /* The last epoch's validation values are those of the last 10 samples. */
    int64_t tail_indices[10];
    for (int i = 0; i < 10; i++)
        tail_indices[i] = 30 + i;
    deep_dataset *tail = NULL;
    ASSERT_OK(deep_dataset_subset(data, tail_indices, 10, &tail));
    double values[2];
    ASSERT_OK(deep_model_evaluate(model, tail, 8, values, 2, &(int64_t){0}));
    ck_assert_double_eq_tol(history(model, 1, DEEP_METRIC_LOSS, 1), values[0], 1e-9);
    ck_assert_double_eq_tol(history(model, 1, DEEP_METRIC_ACCURACY, 1), values[1], 1e-9);
    deep_dataset_free(tail);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

START_TEST(validation_dataset_replaces_the_split)
{
    deep_dataset *train = blobs(40, 16, false), *validation = blobs(24, 17, false);
    deep_model *model = blob_classifier(4, 0.01f);
    recorder r = new_recorder(5);
    ASSERT_OK(deep_model_set_callbacks(model, on_batch, NULL, &r));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, 0.25));
    ASSERT_OK(deep_model_fit(model, train, 2, 8, validation));
    ck_assert_int_eq(r.batch_calls, 2 * 5); /* all 40 samples train */
    double values[2];
    ASSERT_OK(deep_model_evaluate(model, validation, 8, values, 2, &(int64_t){0}));
    ck_assert_double_eq_tol(history(model, 1, DEEP_METRIC_LOSS, 1), values[0], 1e-9);
    ck_assert_double_eq_tol(history(model, 1, DEEP_METRIC_ACCURACY, 1), values[1], 1e-9);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(validation);
}
END_TEST

START_TEST(history_rejects_what_was_not_recorded)
{
    deep_dataset *data = blobs(20, 18, false);
    deep_model *model = blob_classifier(4, 0.01f);
    double value = 0;
    ck_assert_int_eq(history_length(model), 0);
    ASSERT_FAILS(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &value), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_history");

    ASSERT_OK(deep_model_fit(model, data, 2, 8, NULL));
    ASSERT_FAILS(deep_model_history(model, 2, DEEP_METRIC_LOSS, 0, &value), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_history");
    ASSERT_FAILS(deep_model_history(model, -1, DEEP_METRIC_LOSS, 0, &value), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_history");
    ASSERT_FAILS(deep_model_history(model, 0, DEEP_METRIC_MEAN_ABSOLUTE_ERROR, 0, &value),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_history");
    ASSERT_FAILS(deep_model_history(model, 0, (deep_metric)77, 0, &value), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_history");
    ASSERT_FAILS(deep_model_history(model, 0, DEEP_METRIC_LOSS, 1, &value), DEEP_ERR_STATE,
                 "deep_model_history");
    ck_assert_double_eq(value, 0); /* untouched by the failures */
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* Validation labels are flipped: the better the model learns, the worse its validation
 * loss, so patience 1 stops after the second epoch and restores the first epoch's weights. */
START_TEST(early_stopping_restores_best_weights)
{
    deep_dataset *train = blobs(100, 19, false), *validation = blobs(40, 20, true);
    deep_model *model = blob_classifier(6, 0.05f);
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 1));
    ASSERT_OK(deep_model_fit(model, train, 30, 20, validation));
    int32_t epochs = history_length(model);
    ck_assert_int_lt(epochs, 30);

    int32_t best_epoch = 0;
    for (int32_t e = 1; e < epochs; e++)
        if (history(model, e, DEEP_METRIC_LOSS, 1) < history(model, best_epoch, DEEP_METRIC_LOSS, 1))
            best_epoch = e;
    ck_assert_int_lt(best_epoch, epochs - 1); /* the last weights were not the best */
    double best = history(model, best_epoch, DEEP_METRIC_LOSS, 1);
    double values[2];
    ASSERT_OK(deep_model_evaluate(model, validation, 20, values, 2, &(int64_t){0}));
    ck_assert_double_eq_tol(values[0], best, 1e-6 * fabs(best));
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(validation);
}
END_TEST

/* Without validation data the training loss is watched; an unreachable min_delta means no
 * epoch after the first counts as an improvement. */
START_TEST(early_stopping_min_delta_on_training_loss)
{
    deep_dataset *data = blobs(40, 21, false);
    deep_model *model = blob_classifier(6, 0.01f);
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 2));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, 1e9));
    ASSERT_OK(deep_model_fit(model, data, 20, 8, NULL));
    ck_assert_int_eq(history_length(model), 3);

    /* Patience 0 turns it off again. */
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 0));
    ASSERT_OK(deep_model_fit(model, data, 5, 8, NULL));
    ck_assert_int_eq(history_length(model), 5);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* Compiling again with more metrics widens what each history row holds. */
START_TEST(recompile_with_more_metrics_keeps_history_consistent)
{
    deep_dataset *data = blobs(20, 22, false);
    deep_model *model = new_model(2, 8);
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    compile(model, DEEP_OPTIMIZER_ADAM, 0.01f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    ASSERT_OK(deep_model_fit(model, data, 1, 20, NULL));

    const deep_metric both[] = {DEEP_METRIC_ACCURACY, DEEP_METRIC_MEAN_ABSOLUTE_ERROR};
    compile(model, DEEP_OPTIMIZER_ADAM, 0.01f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, both, 2);
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, 0.5));
    ASSERT_OK(deep_model_fit(model, data, 40, 10, NULL));
    ck_assert_int_eq(history_length(model), 40);
    for (int32_t e = 0; e < 40; e++) {
        double accuracy = history(model, e, DEEP_METRIC_ACCURACY, 1);
        ck_assert(accuracy >= 0 && accuracy <= 1);
        ck_assert(history(model, e, DEEP_METRIC_MEAN_ABSOLUTE_ERROR, 0) >= 0);
    }
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* ---- summary ------------------------------------------------------------------------------- */

static char *summary(const deep_model *model)
{
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, NULL, 0, &needed));
    ck_assert_int_gt(needed, 1);
    char *text = malloc((size_t)needed);
    int64_t again = 0;
    ASSERT_OK(deep_model_summary(model, text, needed, &again));
    ck_assert_int_eq(again, needed);
    ck_assert_int_eq((int64_t)strlen(text) + 1, needed);
    return text;
}

#define ASSERT_CONTAINS(text, part) ck_assert_msg(strstr((text), (part)) != NULL, "no \"%s\" in:\n%s", (part), (text))

START_TEST(summary_lists_layers_and_totals)
{
    deep_model *model = new_model(784, 0);
    add_dense(model, 256, DEEP_ACTIVATION_RELU);
    ASSERT_OK(deep_model_add_dropout(model, 0.5f));
    add_dense(model, 8, DEEP_ACTIVATION_RELU);
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    char *text = summary(model);
    ASSERT_CONTAINS(text, "Model: \"sequential\"");
    ASSERT_CONTAINS(text, "dense (Dense)");
    ASSERT_CONTAINS(text, "dropout (Dropout)");
    ASSERT_CONTAINS(text, "dense_1 (Dense)");
    ASSERT_CONTAINS(text, "dense_2 (Dense)");
    ASSERT_CONTAINS(text, "(None, 256)");
    ASSERT_CONTAINS(text, "(None, 8)");
    ASSERT_CONTAINS(text, "(None, 2)");
    ASSERT_CONTAINS(text, "200960");
    ASSERT_CONTAINS(text, "Total params: 203,034\n");
    ASSERT_CONTAINS(text, "Trainable params: 203,034\n");
    int64_t params = 0;
    int32_t layers = 0;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ASSERT_OK(deep_model_layer_count(model, &layers));
    ck_assert_int_eq(params, 200960 + 2056 + 18);
    ck_assert_int_eq(layers, 4);

    /* Compiling changes nothing in the summary. */
    compile(model, DEEP_OPTIMIZER_SGD, 0.01f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    char *compiled = summary(model);
    ck_assert_str_eq(compiled, text);
    free(compiled);
    free(text);
    deep_model_free(model);
}
END_TEST

/* Totals are grouped by thousands as Keras prints them. */
START_TEST(summary_groups_total_digits)
{
    static const struct {
        int64_t inputs, units;
        int32_t use_bias;
        const char *total;
    } cases[] = {
        {784, 256, 1, "Total params: 200,960\n"}, {2, 1, 1, "Total params: 3\n"},
        {999, 1, 1, "Total params: 1,000\n"},     {1000, 1000, 0, "Total params: 1,000,000\n"},
        {10, 10, 1, "Total params: 110\n"},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_model *model = new_model(cases[i].inputs, 0);
        ASSERT_OK(deep_model_add_dense(model, cases[i].units, DEEP_ACTIVATION_LINEAR, cases[i].use_bias));
        char *text = summary(model);
        ASSERT_CONTAINS(text, cases[i].total);
        free(text);
        deep_model_free(model);
    }
}
END_TEST

START_TEST(summary_of_a_flattened_input)
{
    const int64_t shape[2] = {4, 3};
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, shape, &model));
    ASSERT_OK(deep_model_add_dropout(model, 0.0f));
    ASSERT_OK(deep_model_add_flatten(model));
    add_dense(model, 5, DEEP_ACTIVATION_LINEAR);
    ASSERT_OK(deep_model_add_activation(model, DEEP_ACTIVATION_TANH));
    char *text = summary(model);
    ASSERT_CONTAINS(text, "(None, 4, 3)");
    ASSERT_CONTAINS(text, "flatten (Flatten)");
    ASSERT_CONTAINS(text, "(None, 12)");
    ASSERT_CONTAINS(text, "activation (Activation)");
    ASSERT_CONTAINS(text, "Total params: 65\n");
    free(text);
    deep_model_free(model);
}
END_TEST

START_TEST(summary_into_a_small_buffer)
{
    deep_model *model = new_model(784, 0);
    add_dense(model, 256, DEEP_ACTIVATION_RELU);
    char *full = summary(model);
    int64_t length = (int64_t)strlen(full);

    const int64_t capacities[] = {1, 10, length};
    for (int i = 0; i < COUNT_OF(capacities); i++) {
        int64_t capacity = capacities[i], needed = 0;
        char *buffer = malloc((size_t)capacity);
        memset(buffer, 'x', (size_t)capacity);
        ASSERT_FAILS(deep_model_summary(model, buffer, capacity, &needed), DEEP_ERR_BUFFER_TOO_SMALL,
                     "deep_model_summary");
        ck_assert_int_eq(needed, length + 1);
        for (int64_t j = 0; j < capacity; j++) /* never partly written */
            ck_assert_int_eq(buffer[j], 'x');
        free(buffer);
    }
    int64_t needed = 0;
    char small[4];
    ASSERT_FAILS(deep_model_summary(model, small, -1, &needed), DEEP_ERR_INVALID_ARGUMENT, "deep_model_summary");
    ASSERT_FAILS(deep_model_summary(model, NULL, 10, &needed), DEEP_ERR_NULL, "deep_model_summary");
    free(full);
    deep_model_free(model);
}
END_TEST

/* ---- weights -------------------------------------------------------------------------------- */

static void assert_shape(const deep_tensor *t, int32_t rank, const int64_t *shape)
{
    int32_t got_rank = 0;
    int64_t got[DEEP_MAX_RANK];
    ASSERT_OK(deep_tensor_rank(t, &got_rank));
    ck_assert_int_eq(got_rank, rank);
    ASSERT_OK(deep_tensor_shape(t, got, DEEP_MAX_RANK, &(int64_t){0}));
    for (int32_t i = 0; i < rank; i++)
        ck_assert_int_eq(got[i], shape[i]);
}

START_TEST(weights_have_keras_shapes)
{
    deep_model *model = new_model(2, 0);
    add_dense(model, 3, DEEP_ACTIVATION_RELU);
    ASSERT_OK(deep_model_add_dropout(model, 0.2f));
    ASSERT_OK(deep_model_add_dense(model, 4, DEEP_ACTIVATION_LINEAR, 0));
    int32_t counts[3];
    for (int32_t l = 0; l < 3; l++)
        ASSERT_OK(deep_model_weight_count(model, l, &counts[l]));
    ck_assert_int_eq(counts[0], 2);
    ck_assert_int_eq(counts[1], 0);
    ck_assert_int_eq(counts[2], 1);
    compile(model, DEEP_OPTIMIZER_SGD, 0.01f, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0);

    deep_tensor *kernel = NULL, *bias = NULL, *kernel2 = NULL;
    ASSERT_OK(deep_model_get_weight(model, 0, 0, &kernel));
    ASSERT_OK(deep_model_get_weight(model, 0, 1, &bias));
    ASSERT_OK(deep_model_get_weight(model, 2, 0, &kernel2));
    assert_shape(kernel, 2, (const int64_t[]){2, 3});
    assert_shape(bias, 1, (const int64_t[]){3});
    assert_shape(kernel2, 2, (const int64_t[]){3, 4});
    /* Glorot-uniform kernel within sqrt(6 / (in + units)), zero bias. */
    const float limit = sqrtf(6.0f / 5.0f);
    for (int i = 0; i < 6; i++)
        ck_assert(fabsf(tensor_data(kernel)[i]) <= limit && tensor_data(kernel)[i] != 0.0f);
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq(tensor_data(bias)[i], 0.0f);
    deep_tensor_free(kernel);
    deep_tensor_free(bias);
    deep_tensor_free(kernel2);
    deep_model_free(model);
}
END_TEST

/* Known weights give known outputs: y = x . kernel + bias with kernel (inputs, units). */
START_TEST(set_weights_give_known_predictions)
{
    deep_model *model = new_model(2, 0);
    add_dense(model, 2, DEEP_ACTIVATION_LINEAR);
    compile(model, DEEP_OPTIMIZER_SGD, 0.01f, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0);
    const int64_t kshape[2] = {2, 2}, bshape[1] = {2}, xshape[2] = {2, 2};
    const float bias_values[2] = {0.5f, -1.0f}, x_values[4] = {1, 2, 3, -4};
    const struct {
        float kernel[4];
        float expected[4];
    } cases[] = {
        {{1, 0, 0, 1}, {1.5f, 1.0f, 3.5f, -5.0f}}, /* identity */
        {{1, 2, 3, 4}, {7.5f, 9.0f, -8.5f, -11.0f}}, /* (1,2).K = (7, 10); (3,-4).K = (-9, -10) */
    };
    deep_tensor *bias = tensor_from(1, bshape, bias_values), *x = tensor_from(2, xshape, x_values);
    ASSERT_OK(deep_model_set_weight(model, 0, 1, bias));
    for (int c = 0; c < COUNT_OF(cases); c++) {
        deep_tensor *kernel = tensor_from(2, kshape, cases[c].kernel), *back = NULL, *y = NULL;
        ASSERT_OK(deep_model_set_weight(model, 0, 0, kernel));
        ASSERT_OK(deep_model_get_weight(model, 0, 0, &back));
        ck_assert(memcmp(tensor_data(back), cases[c].kernel, sizeof cases[c].kernel) == 0);
        ASSERT_OK(deep_model_predict(model, x, &y));
        for (int i = 0; i < 4; i++)
            ck_assert_float_eq(tensor_data(y)[i], cases[c].expected[i]);
        deep_tensor_free(kernel);
        deep_tensor_free(back);
        deep_tensor_free(y);
    }
    /* Changing the caller's tensor afterwards does not reach the model: it kept a copy. */
    ASSERT_OK(deep_tensor_fill(bias, 100.0f));
    deep_tensor *bias_back = NULL;
    ASSERT_OK(deep_model_get_weight(model, 0, 1, &bias_back));
    ck_assert(memcmp(tensor_data(bias_back), bias_values, sizeof bias_values) == 0);
    deep_tensor_free(bias_back);
    deep_tensor_free(bias);
    deep_tensor_free(x);
    deep_model_free(model);
}
END_TEST

START_TEST(weight_access_misuse)
{
    deep_model *model = new_model(2, 0);
    add_dense(model, 3, DEEP_ACTIVATION_LINEAR);
    const int64_t good_shape[2] = {2, 3};
    deep_tensor *good = NULL, *out = NULL;
    ASSERT_OK(deep_tensor_new_filled(2, good_shape, 0.25f, &good));
    int32_t count = 0;

    /* Before compile the weights do not exist yet (their count does). */
    ASSERT_OK(deep_model_weight_count(model, 0, &count));
    ck_assert_int_eq(count, 2);
    ASSERT_FAILS(deep_model_get_weight(model, 0, 0, &out), DEEP_ERR_STATE, "deep_model_get_weight");
    ck_assert_ptr_null(out);
    ASSERT_FAILS(deep_model_set_weight(model, 0, 0, good), DEEP_ERR_STATE, "deep_model_set_weight");

    compile(model, DEEP_OPTIMIZER_SGD, 0.01f, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0);
    int64_t n = 0;
    float *before = all_weights(model, &n);
    const int64_t wrong_shapes[][2] = {{3, 2}, {2, 4}, {1, 3}, {6, 1}};
    for (int i = 0; i < COUNT_OF(wrong_shapes); i++) {
        deep_tensor *wrong = NULL;
        ASSERT_OK(deep_tensor_new(2, wrong_shapes[i], &wrong));
        ASSERT_FAILS_WITH(deep_model_set_weight(model, 0, 0, wrong), DEEP_ERR_SHAPE, "deep_model_set_weight",
                          "(2, 3)");
        deep_tensor_free(wrong);
    }
    deep_tensor *flat = NULL;
    ASSERT_OK(deep_tensor_new(1, (const int64_t[]){6}, &flat));
    ASSERT_FAILS(deep_model_set_weight(model, 0, 0, flat), DEEP_ERR_SHAPE, "deep_model_set_weight");
    ASSERT_FAILS(deep_model_set_weight(model, 0, 1, good), DEEP_ERR_SHAPE, "deep_model_set_weight");
    deep_tensor_free(flat);

    const int32_t bad[][2] = {{-1, 0}, {1, 0}, {0, 2}, {0, -1}, {5, 0}};
    for (int i = 0; i < COUNT_OF(bad); i++) {
        ASSERT_FAILS(deep_model_get_weight(model, bad[i][0], bad[i][1], &out), DEEP_ERR_OUT_OF_RANGE,
                     "deep_model_get_weight");
        ck_assert_ptr_null(out);
        ASSERT_FAILS(deep_model_set_weight(model, bad[i][0], bad[i][1], good), DEEP_ERR_OUT_OF_RANGE,
                     "deep_model_set_weight");
    }
    ASSERT_FAILS(deep_model_weight_count(model, 1, &count), DEEP_ERR_OUT_OF_RANGE, "deep_model_weight_count");
    ASSERT_FAILS(deep_model_weight_count(model, -1, &count), DEEP_ERR_OUT_OF_RANGE, "deep_model_weight_count");

    /* Nothing changed. */
    int64_t n_after = 0;
    float *after = all_weights(model, &n_after);
    ck_assert_int_eq(n, n_after);
    ck_assert(memcmp(before, after, (size_t)n * sizeof *before) == 0);
    free(before);
    free(after);
    deep_tensor_free(good);
    deep_model_free(model);
}
END_TEST

/* ---- misuse ------------------------------------------------------------------------------ */

START_TEST(null_arguments)
{
    deep_dataset *data = blobs(8, 23, false);
    deep_model *model = blob_classifier(0, 0.01f);
    deep_tensor *inputs = NULL, *out = NULL;
    ASSERT_OK(deep_dataset_features(data, &inputs));
    deep_optimizer *opt = NULL;
    double values[2];
    int64_t i64 = 0;
    int32_t i32 = 0;
    char text[16];
    const int64_t shape[1] = {2};

    deep_model *made = (deep_model *)model; /* must be reset */
    ASSERT_FAILS(deep_model_new(1, shape, NULL), DEEP_ERR_NULL, "deep_model_new");
    ASSERT_FAILS(deep_model_new(1, NULL, &made), DEEP_ERR_NULL, "deep_model_new");
    ck_assert_ptr_null(made);
    deep_model_free(NULL);

    ASSERT_FAILS(deep_model_add_dense(NULL, 2, DEEP_ACTIVATION_RELU, 1), DEEP_ERR_NULL, "deep_model_add_dense");
    ASSERT_FAILS(deep_model_add_activation(NULL, DEEP_ACTIVATION_RELU), DEEP_ERR_NULL, "deep_model_add_activation");
    ASSERT_FAILS(deep_model_add_dropout(NULL, 0.5f), DEEP_ERR_NULL, "deep_model_add_dropout");
    ASSERT_FAILS(deep_model_add_flatten(NULL), DEEP_ERR_NULL, "deep_model_add_flatten");
    ASSERT_FAILS(deep_model_set_seed(NULL, 1), DEEP_ERR_NULL, "deep_model_set_seed");
    ASSERT_FAILS(deep_model_set_int(NULL, DEEP_MODEL_THREADS, 1), DEEP_ERR_NULL, "deep_model_set_int");
    ASSERT_FAILS(deep_model_set_float(NULL, DEEP_MODEL_VALIDATION_SPLIT, 0.1), DEEP_ERR_NULL,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_log(NULL, capture_log, NULL), DEEP_ERR_NULL, "deep_model_set_log");
    ASSERT_FAILS(deep_model_set_callbacks(NULL, on_batch, on_epoch, NULL), DEEP_ERR_NULL,
                 "deep_model_set_callbacks");

    /* compile owns the optimizer even when the model is NULL (ASan/valgrind see a leak otherwise). */
    ASSERT_FAILS(deep_model_compile(NULL, new_optimizer(DEEP_OPTIMIZER_SGD, 0.1f),
                                    DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0),
                 DEEP_ERR_NULL, "deep_model_compile");
    ASSERT_FAILS(deep_model_compile(NULL, NULL, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0), DEEP_ERR_NULL,
                 "deep_model_compile");
    ASSERT_FAILS(deep_model_compile(model, NULL, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0),
                 DEEP_ERR_NULL, "deep_model_compile");
    ASSERT_FAILS(deep_model_optimizer(NULL, &opt), DEEP_ERR_NULL, "deep_model_optimizer");
    ASSERT_FAILS(deep_model_optimizer(model, NULL), DEEP_ERR_NULL, "deep_model_optimizer");

    ASSERT_FAILS(deep_model_fit(NULL, data, 1, 4, NULL), DEEP_ERR_NULL, "deep_model_fit");
    ASSERT_FAILS(deep_model_fit(model, NULL, 1, 4, NULL), DEEP_ERR_NULL, "deep_model_fit");
    ASSERT_FAILS(deep_model_history_length(NULL, &i64), DEEP_ERR_NULL, "deep_model_history_length");
    ASSERT_FAILS(deep_model_history_length(model, NULL), DEEP_ERR_NULL, "deep_model_history_length");
    ASSERT_FAILS(deep_model_history(NULL, 0, DEEP_METRIC_LOSS, 0, values), DEEP_ERR_NULL, "deep_model_history");
    ASSERT_FAILS(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, NULL), DEEP_ERR_NULL, "deep_model_history");

    ASSERT_FAILS(deep_model_evaluate(NULL, data, 4, values, 2, &(int64_t){0}), DEEP_ERR_NULL, "deep_model_evaluate");
    ASSERT_FAILS(deep_model_evaluate(model, NULL, 4, values, 2, &(int64_t){0}), DEEP_ERR_NULL, "deep_model_evaluate");
    ASSERT_FAILS(deep_model_evaluate(model, data, 4, NULL, 2, &(int64_t){0}), DEEP_ERR_NULL, "deep_model_evaluate");
    ASSERT_FAILS(deep_model_predict(NULL, inputs, &out), DEEP_ERR_NULL, "deep_model_predict");
    ck_assert_ptr_null(out);
    ASSERT_FAILS(deep_model_predict(model, NULL, &out), DEEP_ERR_NULL, "deep_model_predict");
    ck_assert_ptr_null(out);
    ASSERT_FAILS(deep_model_predict(model, inputs, NULL), DEEP_ERR_NULL, "deep_model_predict");

    ASSERT_FAILS(deep_model_summary(NULL, text, sizeof text, &i64), DEEP_ERR_NULL, "deep_model_summary");
    ASSERT_FAILS(deep_model_summary(model, text, sizeof text, NULL), DEEP_ERR_NULL, "deep_model_summary");
    ASSERT_FAILS(deep_model_layer_count(NULL, &i32), DEEP_ERR_NULL, "deep_model_layer_count");
    ASSERT_FAILS(deep_model_layer_count(model, NULL), DEEP_ERR_NULL, "deep_model_layer_count");
    ASSERT_FAILS(deep_model_parameter_count(NULL, &i64), DEEP_ERR_NULL, "deep_model_parameter_count");
    ASSERT_FAILS(deep_model_parameter_count(model, NULL), DEEP_ERR_NULL, "deep_model_parameter_count");
    ASSERT_FAILS(deep_model_weight_count(NULL, 0, &i32), DEEP_ERR_NULL, "deep_model_weight_count");
    ASSERT_FAILS(deep_model_weight_count(model, 0, NULL), DEEP_ERR_NULL, "deep_model_weight_count");
    ASSERT_FAILS(deep_model_get_weight(NULL, 0, 0, &out), DEEP_ERR_NULL, "deep_model_get_weight");
    ck_assert_ptr_null(out);
    ASSERT_FAILS(deep_model_get_weight(model, 0, 0, NULL), DEEP_ERR_NULL, "deep_model_get_weight");
    ASSERT_FAILS(deep_model_set_weight(NULL, 0, 0, inputs), DEEP_ERR_NULL, "deep_model_set_weight");
    ASSERT_FAILS(deep_model_set_weight(model, 0, 0, NULL), DEEP_ERR_NULL, "deep_model_set_weight");

    /* The model survived all of it. */
    ASSERT_OK(deep_model_fit(model, data, 1, 4, NULL));
    deep_tensor_free(inputs);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

START_TEST(new_rejects_bad_shapes)
{
    static const struct {
        int32_t rank;
        int64_t shape[DEEP_MAX_RANK + 1];
        deep_status status;
    } cases[] = {
        {0, {2}, DEEP_ERR_INVALID_ARGUMENT},  {-1, {2}, DEEP_ERR_INVALID_ARGUMENT},
        {DEEP_MAX_RANK + 1, {1, 1, 1, 1, 1, 1, 1, 1, 1}, DEEP_ERR_INVALID_ARGUMENT},
        {1, {0}, DEEP_ERR_INVALID_ARGUMENT},  {1, {-3}, DEEP_ERR_INVALID_ARGUMENT},
        {2, {4, 0}, DEEP_ERR_INVALID_ARGUMENT},
        {2, {INT64_MAX, 4}, DEEP_ERR_OVERFLOW},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        static int sentinel;
        deep_model *model = (deep_model *)&sentinel;
        ASSERT_FAILS(deep_model_new(cases[i].rank, cases[i].shape, &model), cases[i].status, "deep_model_new");
        ck_assert_ptr_null(model);
    }
}
END_TEST

START_TEST(add_layer_misuse)
{
    deep_model *model = new_model(3, 0);
    ASSERT_FAILS_WITH(deep_model_add_dense(model, 0, DEEP_ACTIVATION_RELU, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_dense", "units");
    ASSERT_FAILS(deep_model_add_dense(model, -4, DEEP_ACTIVATION_RELU, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_add_dense");
    ASSERT_FAILS_WITH(deep_model_add_dense(model, 4, (deep_activation)99, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_dense", "activation");
    ASSERT_FAILS(deep_model_add_dense(model, 4, (deep_activation)-1, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_add_dense");
    ASSERT_FAILS(deep_model_add_activation(model, (deep_activation)(DEEP_ACTIVATION_LOG_SOFTMAX + 1)), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_add_activation");
    const float bad_rates[] = {-0.1f, 1.0f, 1.5f, NAN, INFINITY};
    for (int i = 0; i < COUNT_OF(bad_rates); i++)
        ASSERT_FAILS_WITH(deep_model_add_dropout(model, bad_rates[i]), DEEP_ERR_INVALID_ARGUMENT,
                          "deep_model_add_dropout", "rate");
    int32_t layers = -1;
    ASSERT_OK(deep_model_layer_count(model, &layers));
    ck_assert_int_eq(layers, 0);

    /* After compile the layer list is fixed. */
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    compile(model, DEEP_OPTIMIZER_SGD, 0.1f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    ASSERT_FAILS_WITH(deep_model_add_dense(model, 2, DEEP_ACTIVATION_RELU, 1), DEEP_ERR_STATE,
                      "deep_model_add_dense", "compile");
    ASSERT_FAILS(deep_model_add_dropout(model, 0.5f), DEEP_ERR_STATE, "deep_model_add_dropout");
    ASSERT_FAILS(deep_model_add_flatten(model), DEEP_ERR_STATE, "deep_model_add_flatten");
    ASSERT_FAILS(deep_model_add_activation(model, DEEP_ACTIVATION_RELU), DEEP_ERR_STATE,
                 "deep_model_add_activation");
    ASSERT_OK(deep_model_layer_count(model, &layers));
    ck_assert_int_eq(layers, 1);
    deep_model_free(model);

    /* Dense on a rank-2 input acts on the last axis, as Keras': (4, 3) -> (4, 2) with a
     * (3, 2) kernel; after Flatten it sees all 12 features. */
    const int64_t image[2] = {4, 3};
    ASSERT_OK(deep_model_new(2, image, &model));
    add_dense(model, 2, DEEP_ACTIVATION_RELU);
    int64_t params = 0;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ck_assert_int_eq(params, 3 * 2 + 2);
    deep_model_free(model);
    ASSERT_OK(deep_model_new(2, image, &model));
    ASSERT_OK(deep_model_add_flatten(model));
    add_dense(model, 2, DEEP_ACTIVATION_RELU);
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ck_assert_int_eq(params, 12 * 2 + 2);
    deep_model_free(model);
}
END_TEST

START_TEST(compile_misuse)
{
    const deep_metric too_many[9] = {DEEP_METRIC_ACCURACY};
    const deep_metric loss_as_metric[] = {DEEP_METRIC_LOSS};
    const deep_metric unknown_metric[] = {DEEP_METRIC_ACCURACY, (deep_metric)42};
    deep_model *model = new_model(2, 0);

    /* Each failure takes the optimizer; ASan/valgrind report it if one leaks. */
    ASSERT_FAILS_WITH(deep_model_compile(model, new_optimizer(DEEP_OPTIMIZER_SGD, 0.1f), DEEP_LOSS_MEAN_SQUARED_ERROR,
                                         NULL, 0),
                      DEEP_ERR_STATE, "deep_model_compile", "no layers");
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    const struct {
        deep_loss loss;
        const deep_metric *metrics;
        int32_t count;
        deep_status status;
    } cases[] = {
        {(deep_loss)0, NULL, 0, DEEP_ERR_INVALID_ARGUMENT},
        {(deep_loss)99, NULL, 0, DEEP_ERR_INVALID_ARGUMENT},
        {DEEP_LOSS_MEAN_SQUARED_ERROR, too_many, 9, DEEP_ERR_INVALID_ARGUMENT},
        {DEEP_LOSS_MEAN_SQUARED_ERROR, too_many, -1, DEEP_ERR_INVALID_ARGUMENT},
        {DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 1, DEEP_ERR_NULL},
        {DEEP_LOSS_MEAN_SQUARED_ERROR, loss_as_metric, 1, DEEP_ERR_INVALID_ARGUMENT},
        {DEEP_LOSS_MEAN_SQUARED_ERROR, unknown_metric, 2, DEEP_ERR_INVALID_ARGUMENT},
        {DEEP_LOSS_BINARY_CROSSENTROPY, NULL, 0, DEEP_ERR_INVALID_ARGUMENT}, /* after a softmax of 2 */
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        ASSERT_FAILS(deep_model_compile(model, new_optimizer(DEEP_OPTIMIZER_SGD, 0.1f), cases[i].loss,
                                        cases[i].metrics, cases[i].count),
                     cases[i].status, "deep_model_compile");
        deep_optimizer *opt = NULL;
        ASSERT_FAILS(deep_model_optimizer(model, &opt), DEEP_ERR_STATE, "deep_model_optimizer");
    }

    /* A failed compile of a compiled model keeps its weights and optimizer. */
    compile(model, DEEP_OPTIMIZER_ADAM, 0.02f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    int64_t n = 0;
    float *before = all_weights(model, &n);
    deep_optimizer *owned = NULL;
    ASSERT_OK(deep_model_optimizer(model, &owned));
    ASSERT_FAILS(deep_model_compile(model, new_optimizer(DEEP_OPTIMIZER_SGD, 0.1f), (deep_loss)0, NULL, 0),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_model_compile");
    /* Passing the model's own optimizer back on a failure must not free it. */
    ASSERT_FAILS(deep_model_compile(model, owned, (deep_loss)0, NULL, 0), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_compile");
    deep_optimizer *still = NULL;
    double lr = 0;
    ASSERT_OK(deep_model_optimizer(model, &still));
    ck_assert_ptr_eq(still, owned);
    ASSERT_OK(deep_optimizer_get_float(still, DEEP_OPT_LEARNING_RATE, &lr));
    ck_assert_float_eq(lr, 0.02f);
    int64_t n_after = 0;
    float *after = all_weights(model, &n_after);
    ck_assert(memcmp(before, after, (size_t)n * sizeof *before) == 0);

    /* ... and compiling again with it (or with a new one, freeing the old) is fine. */
    ASSERT_OK(deep_model_compile(model, owned, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    compile(model, DEEP_OPTIMIZER_RMSPROP, 0.01f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    free(before);
    free(after);
    deep_model_free(model);
}
END_TEST

/* Every rejected fit leaves the weights and the history as they were. */
typedef struct fit_guard {
    float *weights;
    int64_t count;
    int32_t history;
} fit_guard;

static fit_guard guard_model(const deep_model *model)
{
    fit_guard g = {0};
    g.weights = all_weights(model, &g.count);
    g.history = history_length(model);
    return g;
}

static void assert_unchanged(const deep_model *model, fit_guard *g)
{
    int64_t count = 0;
    float *now = all_weights(model, &count);
    ck_assert_int_eq(count, g->count);
    ck_assert(memcmp(now, g->weights, (size_t)count * sizeof *now) == 0);
    ck_assert_int_eq(history_length(model), g->history);
    free(now);
    free(g->weights);
}

START_TEST(fit_rejects_bad_data)
{
    const float x3[] = {1, 2, 3, 4, 5, 6}, x2[] = {1, 2, 3, 4, 5, 6};
    const int32_t three_classes[] = {0, 1, 2}, two_classes[] = {0, 1, 1};
    const float targets_3[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    deep_dataset *good = make_dataset(3, 2, x2, two_classes, 2, NULL, 0);
    deep_dataset *wide = make_dataset(2, 3, x3, (const int32_t[]){0, 1}, 2, NULL, 0);
    deep_dataset *too_many_classes = make_dataset(3, 2, x2, three_classes, 3, NULL, 0);
    deep_dataset *unlabelled = make_dataset(3, 2, x2, NULL, 0, NULL, 0);
    deep_dataset *wide_targets = make_dataset(3, 2, x2, NULL, 0, targets_3, 3);

    deep_model *model = new_model(2, 0);
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    ASSERT_FAILS_WITH(deep_model_fit(model, good, 1, 2, NULL), DEEP_ERR_STATE, "deep_model_fit", "compile");
    compile(model, DEEP_OPTIMIZER_SGD, 0.1f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    ASSERT_OK(deep_model_fit(model, good, 1, 2, NULL));
    fit_guard g = guard_model(model);

    ASSERT_FAILS_WITH(deep_model_fit(model, wide, 1, 2, NULL), DEEP_ERR_SHAPE, "deep_model_fit", "expects");
    ASSERT_FAILS_WITH(deep_model_fit(model, good, 1, 2, wide), DEEP_ERR_SHAPE, "deep_model_fit", "expects");
    ASSERT_FAILS(deep_model_fit(model, too_many_classes, 1, 2, NULL), DEEP_ERR_OUT_OF_RANGE, "deep_model_fit");
    ASSERT_FAILS_WITH(deep_model_fit(model, unlabelled, 1, 2, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit",
                      "labels");
    ASSERT_FAILS_WITH(deep_model_fit(model, good, 0, 2, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit",
                      "epochs");
    ASSERT_FAILS(deep_model_fit(model, good, -3, 2, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit");
    ASSERT_FAILS_WITH(deep_model_fit(model, good, 1, 0, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit",
                      "batch_size");
    ASSERT_FAILS(deep_model_fit(model, good, 1, -1, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit");
    /* Batches are counted in int32_t inside (every batch-sized buffer is sized on that
     * bound), so a batch_size beyond INT32_MAX is refused, not cut to the data. */
    assert_unchanged(model, &g);
    ASSERT_OK(deep_model_fit(model, good, 1, INT32_MAX, NULL));
    g = guard_model(model);
    ASSERT_FAILS_WITH(deep_model_fit(model, good, 1, (int64_t)INT32_MAX + 1, NULL), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_fit", "batch_size");
    double loss_value = 0;
    int64_t loss_needed = -1;
    ASSERT_FAILS_WITH(deep_model_evaluate(model, good, (int64_t)INT32_MAX + 1, &loss_value, 1, &loss_needed),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_evaluate", "batch_size");
    ck_assert_int_eq(loss_needed, 0);
    ASSERT_OK(deep_model_evaluate(model, good, INT32_MAX, &loss_value, 1, &loss_needed));
    assert_unchanged(model, &g);

    /* Categorical cross-entropy needs one-hot rows of the output width. */
    compile(model, DEEP_OPTIMIZER_SGD, 0.1f, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, NULL, 0);
    g = guard_model(model);
    ASSERT_FAILS_WITH(deep_model_fit(model, good, 1, 2, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit",
                      "deep_dataset_to_categorical");
    ASSERT_FAILS(deep_model_fit(model, unlabelled, 1, 2, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit");
    ASSERT_FAILS_WITH(deep_model_fit(model, wide_targets, 1, 2, NULL), DEEP_ERR_SHAPE, "deep_model_fit", "width");
    assert_unchanged(model, &g);
    ASSERT_OK(deep_dataset_to_categorical(good));
    ASSERT_OK(deep_model_fit(model, good, 1, 2, NULL));

    /* Mean squared error on 2 outputs needs float targets. */
    compile(model, DEEP_OPTIMIZER_SGD, 0.1f, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0);
    ASSERT_FAILS_WITH(deep_model_fit(model, unlabelled, 1, 2, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit",
                      "targets");

    deep_model_free(model);
    deep_dataset_free(good);
    deep_dataset_free(wide);
    deep_dataset_free(too_many_classes);
    deep_dataset_free(unlabelled);
    deep_dataset_free(wide_targets);
}
END_TEST

/* Two inputs, an optional hidden ReLU layer of `hidden` units (none for 0), a softmax over two
 * classes, compiled with SGD(0.1) and sparse cross-entropy; no shuffling, so batches are known. */
static deep_model *unshuffled_softmax(int64_t hidden)
{
    deep_model *model = new_model(2, 0);
    if (hidden > 0)
        add_dense(model, hidden, DEEP_ACTIVATION_RELU);
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    compile(model, DEEP_OPTIMIZER_SGD, 0.1f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_SHUFFLE, 0));
    return model;
}

/* Every weight is finite (a NaN input must not leak into them). */
static void assert_weights_finite(const deep_model *model)
{
    int64_t n = 0;
    float *w = all_weights(model, &n);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(isfinite(w[i]), "weight %lld is %g after a NaN input", (long long)i, (double)w[i]);
    free(w);
}

/* A NaN feature makes the loss NaN: fit stops with the epoch and batch where it happened. */
START_TEST(fit_reports_nan_loss)
{
    static const struct {
        int64_t nan_sample;
        const char *where;
    } cases[] = {{0, "epoch 1, batch 1"}, {5, "epoch 1, batch 2"}};
    for (int c = 0; c < COUNT_OF(cases); c++) {
        deep_model *model = unshuffled_softmax(0);
        float x[16] = {0};
        int32_t y[8] = {0, 1, 0, 1, 0, 1, 0, 1};
        x[2 * cases[c].nan_sample + 1] = NAN;
        deep_dataset *data = make_dataset(8, 2, x, y, 2, NULL, 0);
        ASSERT_FAILS_WITH(deep_model_fit(model, data, 3, 4, NULL), DEEP_ERR_NUMERIC, "deep_model_fit",
                          cases[c].where);
        /* The weights stay finite and the model usable. */
        assert_weights_finite(model);
        deep_model_free(model);
        deep_dataset_free(data);
    }
}
END_TEST

/* A hidden ReLU layer must not hide the NaN: the weights would silently become NaN. */
START_TEST(fit_reports_nan_through_relu)
{
    deep_model *model = unshuffled_softmax(4);
    float x[16] = {0.5f, -1, 1, 2, 0.5f, 0.5f, -1, -1, 2, 1, NAN, 0, 1, 1, -2, 0};
    int32_t y[8] = {0, 1, 0, 1, 0, 1, 0, 1};
    deep_dataset *data = make_dataset(8, 2, x, y, 2, NULL, 0);
    ASSERT_FAILS_WITH(deep_model_fit(model, data, 2, 4, NULL), DEEP_ERR_NUMERIC, "deep_model_fit",
                      "epoch 1, batch 2");
    assert_weights_finite(model);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

START_TEST(validation_split_too_large_for_the_data)
{
    deep_model *model = blob_classifier(0, 0.01f);
    const struct {
        int64_t samples;
        double split;
    } cases[] = {{1, 0.5}, {3, 0.2}, {4, 0.1}};
    for (int i = 0; i < COUNT_OF(cases); i++) {
        deep_dataset *data = blobs(cases[i].samples, 24, false);
        ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, cases[i].split));
        ASSERT_FAILS_WITH(deep_model_fit(model, data, 1, 4, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit",
                          "validation split");
        deep_dataset_free(data);
    }
    /* The model is not left busy by the failure. */
    deep_dataset *data = blobs(4, 24, false);
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, 0.5));
    ASSERT_OK(deep_model_fit(model, data, 1, 4, NULL));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, 0.0));
    ASSERT_OK(deep_model_fit(model, data, 1, 4, NULL));
    deep_dataset_free(data);
    deep_model_free(model);
}
END_TEST

START_TEST(evaluate_and_predict_misuse)
{
    deep_dataset *data = blobs(6, 25, false);
    const float x3[] = {1, 2, 3, 4, 5, 6};
    deep_dataset *wide = make_dataset(2, 3, x3, (const int32_t[]){0, 1}, 2, NULL, 0);
    deep_model *model = new_model(2, 0);
    add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX);
    deep_tensor *inputs = NULL, *wide_inputs = NULL, *flat = NULL, *out = NULL;
    ASSERT_OK(deep_dataset_features(data, &inputs));
    ASSERT_OK(deep_dataset_features(wide, &wide_inputs));
    ASSERT_OK(deep_tensor_new(1, (const int64_t[]){2}, &flat));
    double values[3] = {0};

    ASSERT_FAILS(deep_model_evaluate(model, data, 4, values, 3, &(int64_t){0}), DEEP_ERR_STATE, "deep_model_evaluate");
    ASSERT_FAILS_WITH(deep_model_predict(model, inputs, &out), DEEP_ERR_STATE, "deep_model_predict", "compile");
    ck_assert_ptr_null(out);

    compile(model, DEEP_OPTIMIZER_SGD, 0.1f, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, accuracy_only, 1);
    ASSERT_FAILS(deep_model_evaluate(model, data, 4, values, 1, &(int64_t){0}), DEEP_ERR_BUFFER_TOO_SMALL, "deep_model_evaluate");
    int64_t needed = 0;
    ASSERT_OK(deep_model_evaluate(model, data, 4, NULL, 0, &needed)); /* the size query: nothing is evaluated */
    ck_assert_int_eq(needed, 2);
    ASSERT_FAILS(deep_model_evaluate(model, data, 0, values, 3, &(int64_t){0}), DEEP_ERR_INVALID_ARGUMENT, "deep_model_evaluate");
    needed = -1;
    ASSERT_FAILS_WITH(deep_model_evaluate(model, wide, 4, values, 3, &needed), DEEP_ERR_SHAPE, "deep_model_evaluate",
                      "expects");
    ck_assert_int_eq(needed, 0); /* 0 after any failure but a short buffer, also past the size check */
    ck_assert(values[0] == 0 && values[1] == 0 && values[2] == 0);
    ASSERT_OK(deep_model_evaluate(model, data, 4, values, 2, &(int64_t){0}));

    ASSERT_FAILS_WITH(deep_model_predict(model, wide_inputs, &out), DEEP_ERR_SHAPE, "deep_model_predict",
                      "expects");
    ck_assert_ptr_null(out);
    ASSERT_FAILS(deep_model_predict(model, flat, &out), DEEP_ERR_SHAPE, "deep_model_predict");
    ck_assert_ptr_null(out);
    ASSERT_OK(deep_model_predict(model, inputs, &out));
    deep_tensor_free(out);

    deep_tensor_free(inputs);
    deep_tensor_free(wide_inputs);
    deep_tensor_free(flat);
    deep_model_free(model);
    deep_dataset_free(data);
    deep_dataset_free(wide);
}
END_TEST

START_TEST(options_misuse)
{
    deep_model *model = new_model(2, 0);
    const struct {
        deep_model_option option;
        int64_t value;
    } bad_ints[] = {
        {DEEP_MODEL_THREADS, -1},           {DEEP_MODEL_THREADS, 1025},
        {DEEP_MODEL_SHUFFLE, 2},            {DEEP_MODEL_SHUFFLE, -1},
        {DEEP_MODEL_VERBOSE, 7},            {DEEP_MODEL_EARLY_STOPPING_PATIENCE, -1},
        {DEEP_MODEL_EARLY_STOPPING_PATIENCE, (int64_t)INT32_MAX + 1},
        {DEEP_MODEL_VALIDATION_SPLIT, 0},   {DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, 0},
        {(deep_model_option)0, 1},          {(deep_model_option)99, 1},
    };
    for (int i = 0; i < COUNT_OF(bad_ints); i++)
        ASSERT_FAILS(deep_model_set_int(model, bad_ints[i].option, bad_ints[i].value), DEEP_ERR_INVALID_ARGUMENT,
                     "deep_model_set_int");
    ASSERT_FAILS_WITH(deep_model_set_int(model, DEEP_MODEL_VALIDATION_SPLIT, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_int", "deep_model_set_float");

    const struct {
        deep_model_option option;
        double value;
    } bad_floats[] = {
        {DEEP_MODEL_VALIDATION_SPLIT, -0.1},       {DEEP_MODEL_VALIDATION_SPLIT, 1.0},
        {DEEP_MODEL_VALIDATION_SPLIT, NAN},        {DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, -1},
        {DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, INFINITY}, {DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, NAN},
        {DEEP_MODEL_THREADS, 1},                   {DEEP_MODEL_SHUFFLE, 0},
        {DEEP_MODEL_VERBOSE, 0},                   {DEEP_MODEL_EARLY_STOPPING_PATIENCE, 1},
        {(deep_model_option)0, 0.5},               {(deep_model_option)99, 0.5},
    };
    for (int i = 0; i < COUNT_OF(bad_floats); i++)
        ASSERT_FAILS(deep_model_set_float(model, bad_floats[i].option, bad_floats[i].value),
                     DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_float");
    ASSERT_FAILS_WITH(deep_model_set_float(model, DEEP_MODEL_THREADS, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_float", "deep_model_set_int");

    /* The good values, including the edges. */
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1024));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 0));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, 0.0));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_VALIDATION_SPLIT, 0.999));
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, 0.0));
    deep_model_free(model);
}
END_TEST

START_TEST(wrong_order_of_calls)
{
    deep_model *model = new_model(2, 0);
    deep_optimizer *opt = NULL;
    int64_t length = -1;
    double value = 0;
    ASSERT_FAILS_WITH(deep_model_optimizer(model, &opt), DEEP_ERR_STATE, "deep_model_optimizer", "compile");
    ASSERT_OK(deep_model_history_length(model, &length));
    ck_assert_int_eq(length, 0);
    ASSERT_FAILS(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &value), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_history");
    /* An empty model describes itself. */
    char *text = summary(model);
    ASSERT_CONTAINS(text, "Total params: 0\n");
    free(text);
    int64_t params = -1;
    ASSERT_OK(deep_model_parameter_count(model, &params));
    ck_assert_int_eq(params, 0);
    int32_t count = 0;
    ASSERT_FAILS(deep_model_weight_count(model, 0, &count), DEEP_ERR_OUT_OF_RANGE, "deep_model_weight_count");
    deep_model_free(model);
}
END_TEST

/* ---- one model, several calls at once -------------------------------------------------- */

/* From inside fit's own callback, fit and evaluate find the model busy (DEEP_ERR_THREAD),
 * compile is refused (DEEP_ERR_STATE), the weights may be set (the next batch trains from
 * them), and reading the model is fine. */
typedef struct reentry {
    const deep_dataset *data;
    deep_status fit, evaluate, compile, set_weight, predict, history;
    bool messages_ok;
} reentry;

static int32_t reenter(void *user, deep_model *model, int64_t epoch)
{
    reentry *r = user;
    double values[2];
    deep_tensor *kernel = NULL, *x = NULL, *y = NULL;
    deep_optimizer *opt = NULL;
    (void)epoch;
    r->fit = deep_model_fit(model, r->data, 1, 4, NULL);
    r->messages_ok = names_function(deep_last_error(), "deep_model_fit");
    r->evaluate = deep_model_evaluate(model, r->data, 4, values, 2, &(int64_t){0});
    r->messages_ok = r->messages_ok && names_function(deep_last_error(), "deep_model_evaluate") &&
                     strstr(deep_last_error(), "comes from a callback of its running fit") != NULL;
    deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt); /* compile takes it even when refusing */
    r->compile = deep_model_compile(model, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    r->messages_ok = r->messages_ok && names_function(deep_last_error(), "deep_model_compile");
    if (deep_model_get_weight(model, 0, 0, &kernel) == DEEP_OK)
        r->set_weight = deep_model_set_weight(model, 0, 0, kernel);
    if (deep_dataset_features(r->data, &x) == DEEP_OK)
        r->predict = deep_model_predict(model, x, &y);
    r->history = deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, values);
    deep_tensor_free(kernel);
    deep_tensor_free(x);
    deep_tensor_free(y);
    return 1;
}

START_TEST(reentrant_calls_from_a_callback)
{
    deep_dataset *data = blobs(8, 26, false);
    deep_model *model = blob_classifier(0, 0.01f);
    reentry r = {.data = data, .set_weight = DEEP_OK};
    ASSERT_OK(deep_model_set_callbacks(model, NULL, reenter, &r));
    ASSERT_OK(deep_model_fit(model, data, 5, 4, NULL));
    ck_assert_int_eq(r.fit, DEEP_ERR_THREAD);
    ck_assert_int_eq(r.evaluate, DEEP_ERR_THREAD);
    ck_assert_int_eq(r.compile, DEEP_ERR_STATE);
    ck_assert_int_eq(r.set_weight, DEEP_OK);
    ck_assert_int_eq(r.predict, DEEP_OK);
    ck_assert_int_eq(r.history, DEEP_OK);
    ck_assert(r.messages_ok);
    ck_assert_int_eq(history_length(model), 1);

    /* After fit returns, the model takes calls again. */
    ASSERT_OK(deep_model_set_callbacks(model, NULL, NULL, NULL));
    ASSERT_OK(deep_model_fit(model, data, 1, 4, NULL));
    double values[2];
    ASSERT_OK(deep_model_evaluate(model, data, 4, values, 2, &(int64_t){0}));
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* Every setter called from each of fit's callbacks (the log line, the last batch, the
 * epoch), once, at the end of the only epoch. Settings fit reads once when it starts, or
 * whose change would break its run, are refused with DEEP_ERR_STATE naming them and left
 * as they were: patience raised from 0 once dereferenced early stopping's missing copy of
 * the weights, a checkpoint period without a path the missing path. Shuffle, verbose,
 * min_delta, the weights, the learning rate, the log and the callbacks apply. */
typedef struct from_callback {
    deep_model *model;
    bool done;
    int count;
    deep_status status[20];
    char message[20][300];
} from_callback;

static void log_to_nowhere(void *user, deep_log_level level, const char *message);
static int32_t setters_in_batch(void *user, int64_t epoch, int64_t batch, double loss);
static int32_t setters_in_epoch(void *user, deep_model *model, int64_t epoch);

static void try_setters(from_callback *c, deep_log_fn log, deep_batch_fn on_batch, deep_epoch_fn on_epoch)
{
    if (c->done)
        return;
    c->done = true;
    deep_model *m = c->model;
    deep_optimizer *opt = NULL, *own = NULL;
    deep_tensor *bias = NULL;
    int64_t two = 2;
#define TRY(call) (c->status[c->count] = (call), snprintf(c->message[c->count], 300, "%s", deep_last_error()), \
                   c->count++)
    /* refused: 0..9 */
    TRY(deep_model_set_int(m, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 2));
    TRY(deep_model_set_int(m, DEEP_MODEL_CHECKPOINT_PERIOD, 1));
    TRY(deep_model_set_string(m, DEEP_MODEL_CHECKPOINT_PATH, "/nonexistent/never-written"));
    TRY(deep_model_set_int(m, DEEP_MODEL_THREADS, 2));
    TRY(deep_model_set_int(m, DEEP_MODEL_INITIAL_EPOCH, 3));
    TRY(deep_model_set_float(m, DEEP_MODEL_VALIDATION_SPLIT, 0.5));
    TRY(deep_model_set_seed(m, 99));
    deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt);
    TRY(deep_model_compile(m, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    TRY(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
    TRY(deep_model_set_layer_float(m, 0, DEEP_LAYER_DROPOUT, 0.5));
    /* applied: 10..16 */
    TRY(deep_model_set_int(m, DEEP_MODEL_SHUFFLE, 0));
    TRY(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 1));
    TRY(deep_model_set_float(m, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, 0.25));
    deep_tensor_new(1, &two, &bias); /* zeros */
    TRY(deep_model_set_weight(m, 1, 1, bias));
    TRY(deep_model_optimizer(m, &own) == DEEP_OK ? deep_optimizer_set_float(own, DEEP_OPT_LEARNING_RATE, 0.5f)
                                                 : DEEP_ERR_STATE);
    TRY(deep_model_set_log(m, log, c));
    TRY(deep_model_set_callbacks(m, on_batch, on_epoch, c));
#undef TRY
    deep_tensor_free(bias);
}

static void log_to_nowhere(void *user, deep_log_level level, const char *message)
{
    (void)level;
    (void)message;
    try_setters(user, log_to_nowhere, NULL, NULL);
}

static int32_t setters_in_batch(void *user, int64_t epoch, int64_t batch, double loss)
{
    (void)epoch;
    (void)loss;
    if (batch == 1) /* the last one */
        try_setters(user, NULL, setters_in_batch, NULL);
    return 0;
}

static int32_t setters_in_epoch(void *user, deep_model *model, int64_t epoch)
{
    (void)model;
    (void)epoch;
    try_setters(user, NULL, NULL, setters_in_epoch);
    return 0;
}

START_TEST(setters_from_fit_callbacks)
{
    deep_dataset *data = blobs(8, 28, false);
    deep_model *model = blob_classifier(0, 0.01f);
    from_callback c = {.model = model};
    if (_i == 0) {
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 1));
        ASSERT_OK(deep_model_set_log(model, log_to_nowhere, &c));
    } else {
        ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
        ASSERT_OK(deep_model_set_callbacks(model, _i == 1 ? setters_in_batch : NULL, _i == 2 ? setters_in_epoch : NULL,
                                           &c));
    }
    ASSERT_OK(deep_model_fit(model, data, 1, 4, NULL));
    ck_assert(c.done);
    ck_assert_int_eq(c.count, 17);
    const char *refused[] = {"DEEP_MODEL_EARLY_STOPPING_PATIENCE cannot change", "DEEP_MODEL_CHECKPOINT_PERIOD",
                             "DEEP_MODEL_CHECKPOINT_PATH", "DEEP_MODEL_THREADS", "DEEP_MODEL_INITIAL_EPOCH",
                             "DEEP_MODEL_VALIDATION_SPLIT", "the seed cannot change", "cannot be compiled",
                             "after deep_model_compile", "before deep_model_compile"};
    const char *functions[] = {"deep_model_set_int", "deep_model_set_int", "deep_model_set_string",
                               "deep_model_set_int", "deep_model_set_int", "deep_model_set_float",
                               "deep_model_set_seed", "deep_model_compile", "deep_model_add_dense",
                               "deep_model_set_layer_float"};
    for (int i = 0; i < 10; i++) {
        ck_assert_msg(c.status[i] == DEEP_ERR_STATE, "call %d returned %s: %s", i, deep_status_string(c.status[i]),
                      c.message[i]);
        ck_assert_msg(names_function(c.message[i], functions[i]) && strstr(c.message[i], refused[i]) != NULL,
                      "call %d: message \"%s\"", i, c.message[i]);
        if (i < 7)
            ck_assert_msg(strstr(c.message[i], "from a callback of the running deep_model_fit") != NULL,
                          "call %d: message \"%s\"", i, c.message[i]);
    }
    for (int i = 10; i < 17; i++)
        ck_assert_msg(c.status[i] == DEEP_OK, "call %d returned %s: %s", i, deep_status_string(c.status[i]),
                      c.message[i]);

    /* The refused settings are as they were, the others applied. */
    int64_t v = -1;
    ASSERT_OK(deep_model_get_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE, &v));
    ck_assert_int_eq(v, 0);
    ASSERT_OK(deep_model_get_int(model, DEEP_MODEL_CHECKPOINT_PERIOD, &v));
    ck_assert_int_eq(v, 0);
    ASSERT_OK(deep_model_get_int(model, DEEP_MODEL_THREADS, &v));
    ck_assert_int_eq(v, 1);
    ASSERT_OK(deep_model_get_int(model, DEEP_MODEL_SHUFFLE, &v));
    ck_assert_int_eq(v, 0);
    deep_optimizer *opt = NULL;
    double rate = 0;
    ASSERT_OK(deep_model_optimizer(model, &opt));
    ASSERT_OK(deep_optimizer_get_float(opt, DEEP_OPT_LEARNING_RATE, &rate));
    ck_assert_float_eq(rate, 0.5f);
    int32_t layers = 0;
    ASSERT_OK(deep_model_layer_count(model, &layers));
    ck_assert_int_eq(layers, 2);
    deep_tensor *bias = NULL;
    const float *b = NULL;
    ASSERT_OK(deep_model_get_weight(model, 1, 1, &bias)); /* set after the last update */
    ASSERT_OK(deep_tensor_data(bias, &b));
    ck_assert(b[0] == 0.0f && b[1] == 0.0f);
    deep_tensor_free(bias);

    /* After fit the refused settings may change again. */
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 2));
    ASSERT_OK(deep_model_set_seed(model, 99));
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* Thread A's fit pauses in its first batch callback until thread B has tried to fit the
 * same model: B must be refused with DEEP_ERR_THREAD. No timing is involved. */
typedef struct handshake {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool a_in_fit, b_done;
    deep_model *model;
    const deep_dataset *data;
    deep_status a_status, b_fit, b_evaluate;
    bool b_message_ok;
} handshake;

static int32_t pause_in_batch(void *user, int64_t epoch, int64_t batch, double loss)
{
    handshake *h = user;
    (void)loss;
    if (epoch == 0 && batch == 0) {
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
    h->a_status = deep_model_fit(h->model, h->data, 2, 4, NULL);
    return NULL;
}

START_TEST(concurrent_fit_is_refused)
{
    deep_dataset *data = blobs(8, 27, false);
    deep_model *model = blob_classifier(0, 0.01f);
    handshake h = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER, .model = model,
                   .data = data};
    ASSERT_OK(deep_model_set_callbacks(model, pause_in_batch, NULL, &h));
    pthread_t a;
    ck_assert_int_eq(pthread_create(&a, NULL, fit_thread, &h), 0);

    pthread_mutex_lock(&h.lock);
    while (!h.a_in_fit)
        pthread_cond_wait(&h.changed, &h.lock);
    pthread_mutex_unlock(&h.lock);
    double values[2];
    h.b_fit = deep_model_fit(model, data, 1, 4, NULL);
    h.b_message_ok = names_function(deep_last_error(), "deep_model_fit");
    h.b_evaluate = deep_model_evaluate(model, data, 4, values, 2, &(int64_t){0});
    /* Settings from another thread too, even those fit's callbacks may change. */
    deep_status b_set = deep_model_set_int(model, DEEP_MODEL_SHUFFLE, 0);
    bool b_set_message_ok = names_function(deep_last_error(), "deep_model_set_int");
    deep_status b_weight = DEEP_ERR_NULL;
    deep_tensor *kernel = NULL;
    if (deep_model_get_weight(model, 0, 0, &kernel) == DEEP_OK)
        b_weight = deep_model_set_weight(model, 0, 0, kernel);
    deep_tensor_free(kernel);
    pthread_mutex_lock(&h.lock);
    h.b_done = true;
    pthread_cond_broadcast(&h.changed);
    pthread_mutex_unlock(&h.lock);
    ck_assert_int_eq(pthread_join(a, NULL), 0);

    ck_assert_int_eq(h.b_fit, DEEP_ERR_THREAD);
    ck_assert(h.b_message_ok);
    ck_assert_int_eq(h.b_evaluate, DEEP_ERR_THREAD);
    ck_assert_int_eq(b_set, DEEP_ERR_THREAD);
    ck_assert(b_set_message_ok);
    ck_assert_int_eq(b_weight, DEEP_ERR_THREAD);
    ck_assert_int_eq(h.a_status, DEEP_OK);
    ck_assert_int_eq(history_length(model), 2);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

/* ---- sizes and ranks at the door (issue #14) ---------------------------------------- */

/* Saves the model to a buffer, loads it back, and predicts with both: the same outputs. */
static void round_trip_and_predict(deep_model *model, int32_t rank, const int64_t *sample)
{
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(model, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    int64_t needed = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &needed));
    void *buffer = malloc((size_t)needed);
    ASSERT_OK(deep_model_save_buffer(model, buffer, needed, &needed));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(buffer, needed, &loaded));
    int64_t shape[DEEP_MAX_RANK] = {2};
    memcpy(shape + 1, sample, (size_t)rank * sizeof *shape);
    deep_tensor *x = NULL, *a = NULL, *b = NULL;
    ASSERT_OK(deep_tensor_new_filled(rank + 1, shape, 1.0f, &x));
    ASSERT_OK(deep_model_predict(model, x, &a));
    ASSERT_OK(deep_model_predict(loaded, x, &b));
    int64_t n = 0, m = 0;
    ASSERT_OK(deep_tensor_size(a, &n));
    ASSERT_OK(deep_tensor_size(b, &m));
    ck_assert_int_eq(n, m);
    const float *da = NULL, *db = NULL;
    ASSERT_OK(deep_tensor_data(a, &da));
    ASSERT_OK(deep_tensor_data(b, &db));
    ck_assert(memcmp(da, db, (size_t)n * sizeof *da) == 0);
    deep_tensor_free(x);
    deep_tensor_free(a);
    deep_tensor_free(b);
    deep_model_free(loaded);
    free(buffer);
}

/* One rule for ranks: a sample has rank 1..DEEP_MAX_SAMPLE_RANK (a batch adds one axis, up
 * to DEEP_MAX_RANK). Rank 8 was accepted by deep_model_new, saved with DEEP_OK, and could
 * neither be loaded nor predict; now it is refused at the door, and the largest rank that
 * is accepted saves, loads and predicts. */
/* The sample shapes at the input and output, by the buffer contract: the rank comes back
 * even when the caller's array is too small. */
START_TEST(input_and_output_shapes)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){28, 28, 1}, &model));
    int64_t shape[DEEP_MAX_RANK] = {0};
    int64_t rank = 0;
    ASSERT_OK(deep_model_output_shape(model, shape, DEEP_MAX_RANK, &rank)); /* no layer: the input */
    ck_assert_int_eq(rank, 3);
    ck_assert(shape[0] == 28 && shape[1] == 28 && shape[2] == 1);
    ASSERT_OK(deep_model_add_conv2d(model, 4, 3, 3, 2, 2, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_output_shape(model, shape, DEEP_MAX_RANK, &rank));
    ck_assert(rank == 3 && shape[0] == 14 && shape[1] == 14 && shape[2] == 4);
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 10, DEEP_ACTIVATION_SOFTMAX, 1));
    ASSERT_OK(deep_model_output_shape(model, shape, DEEP_MAX_RANK, &rank));
    ck_assert(rank == 1 && shape[0] == 10);
    ASSERT_OK(deep_model_input_shape(model, shape, 3, &rank));
    ck_assert(rank == 3 && shape[0] == 28 && shape[1] == 28 && shape[2] == 1);

    /* Too small an array: the rank needed, the array untouched. */
    int64_t small[2] = {-1, -1};
    rank = 0;
    ASSERT_FAILS_WITH(deep_model_input_shape(model, small, 2, &rank), DEEP_ERR_BUFFER_TOO_SMALL,
                      "deep_model_input_shape", "needs 3 entries but capacity is 2");
    ck_assert(rank == 3 && small[0] == -1 && small[1] == -1);
    ASSERT_OK(deep_model_output_shape(model, NULL, 0, &rank)); /* the size query */
    ck_assert_int_eq(rank, 1);
    ASSERT_FAILS_WITH(deep_model_input_shape(NULL, shape, DEEP_MAX_RANK, &rank), DEEP_ERR_NULL,
                      "deep_model_input_shape", "'model'");
    ASSERT_FAILS_WITH(deep_model_output_shape(model, NULL, DEEP_MAX_RANK, &rank), DEEP_ERR_NULL,
                      "deep_model_output_shape", "buffer is NULL");
    ASSERT_FAILS_WITH(deep_model_output_shape(model, shape, DEEP_MAX_RANK, NULL), DEEP_ERR_NULL,
                      "deep_model_output_shape", "'needed'");
    deep_model_free(model);
}
END_TEST

START_TEST(ranks_follow_one_rule)
{
    _Static_assert(DEEP_MAX_SAMPLE_RANK == DEEP_MAX_RANK - 1, "a batch of samples is a tensor");
    const int64_t ones[DEEP_MAX_RANK] = {1, 1, 1, 1, 1, 1, 2, 2};
    deep_model *model = (deep_model *)&model;
    ASSERT_FAILS_WITH(deep_model_new(DEEP_MAX_RANK, ones, &model), DEEP_ERR_INVALID_ARGUMENT, "deep_model_new",
                      "input_shape has rank 8; a sample's rank must be 1..7");
    ck_assert_ptr_null(model);

    /* Rank 7 in, Dense keeps the rank: saves, loads, predicts. */
    ASSERT_OK(deep_model_new(DEEP_MAX_SAMPLE_RANK, ones, &model));
    ASSERT_OK(deep_model_add_dense(model, 3, DEEP_ACTIVATION_RELU, 1));
    /* Embedding adds an axis, which a rank-7 sample leaves no room for. */
    ASSERT_FAILS_WITH(deep_model_add_embedding(model, 10, 4, 0), DEEP_ERR_SHAPE, "deep_model_add_embedding",
                      "layer 1 (embedding): Embedding adds an axis");
    round_trip_and_predict(model, DEEP_MAX_SAMPLE_RANK, ones);
    deep_model_free(model);

    /* Rank 6 in, Embedding to rank 7: the same. */
    ASSERT_OK(deep_model_new(DEEP_MAX_SAMPLE_RANK - 1, ones, &model));
    ASSERT_OK(deep_model_add_embedding(model, 10, 4, 0));
    round_trip_and_predict(model, DEEP_MAX_SAMPLE_RANK - 1, ones);
    deep_model_free(model);
}
END_TEST

/* Sizes beyond DEEP_MAX_LAYER_SIZE, or whose products are, are refused by every layer
 * type as it is added, naming the layer and the field, instead of wrapping around. */
START_TEST(layer_sizes_are_limited)
{
    const deep_activation TANH = DEEP_ACTIVATION_TANH, SIGMOID = DEEP_ACTIVATION_SIGMOID;
    const int64_t big = INT64_C(2147483648), max = DEEP_MAX_LAYER_SIZE;
    deep_model *model = (deep_model *)&model;
    ASSERT_FAILS_WITH(deep_model_new(2, (int64_t[]){65536, 65536}, &model), DEEP_ERR_OVERFLOW, "deep_model_new",
                      "input_shape (65536, 65536) has more than 2147483647 elements per sample");
    ASSERT_FAILS_WITH(deep_model_new(1, &big, &model), DEEP_ERR_OVERFLOW, "deep_model_new",
                      "dimension 0 of input_shape is 2147483648");

    /* Arguments. */
    model = new_model(4, 0);
    ASSERT_FAILS_WITH(deep_model_add_dense(model, big, DEEP_ACTIVATION_RELU, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_dense", "units is 2147483648; it must be in 1..2147483647");
    ASSERT_FAILS_WITH(deep_model_add_embedding(model, big, 2, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_embedding", "input_dim is 2147483648");
    ASSERT_FAILS_WITH(deep_model_add_embedding(model, 2, big, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_embedding", "output_dim is 2147483648");
    ASSERT_FAILS_WITH(deep_model_add_embedding(model, 2, 2, big), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_embedding", "input_length is 2147483648");
    ASSERT_FAILS_WITH(deep_model_add_lstm(model, big, TANH, SIGMOID, 1, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_lstm", "units is 2147483648");
    ASSERT_FAILS_WITH(deep_model_add_gru(model, big, TANH, SIGMOID, 1, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_gru", "units is 2147483648");
    ASSERT_FAILS_WITH(deep_model_add_simple_rnn(model, big, TANH, 1, 0), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_simple_rnn", "units is 2147483648");

    /* Weights: units * inputs (Dense), input_dim * output_dim (Embedding). */
    ASSERT_FAILS_WITH(deep_model_add_embedding(model, max, max, 0), DEEP_ERR_OVERFLOW, "deep_model_add_embedding",
                      "layer 0 (embedding): weight 'embeddings' of shape (2147483647, 2147483647) has more than");
    ASSERT_FAILS_WITH(deep_model_add_embedding(model, 3, max, 0), DEEP_ERR_OVERFLOW, "deep_model_add_embedding",
                      "weight 'embeddings' of shape (3, 2147483647)");
    /* The output of an Embedding of (4,) ids by 2^29 values: 2^31 values per sample. */
    ASSERT_FAILS_WITH(deep_model_add_embedding(model, 1, INT64_C(536870912), 0), DEEP_ERR_OVERFLOW,
                      "deep_model_add_embedding", "the output of layer 0 (embedding) (4, 536870912) has more than");
    ASSERT_OK(deep_model_add_dense(model, INT64_C(536870911), DEEP_ACTIVATION_LINEAR, 0)); /* 4 x (2^29 - 1) */
    ASSERT_FAILS_WITH(deep_model_add_dense(model, 5, DEEP_ACTIVATION_LINEAR, 1), DEEP_ERR_OVERFLOW,
                      "deep_model_add_dense", "layer 1 (dense_1): weight 'kernel' of shape (536870911, 5)");
    deep_model_free(model);

    /* Recurrent layers: 4 (LSTM), 3 (GRU) or 1 (SimpleRNN) gate blocks of units, per input feature. */
    const int64_t sequence[2] = {2, 100000};
    ASSERT_OK(deep_model_new(2, sequence, &model));
    ASSERT_FAILS_WITH(deep_model_add_lstm(model, INT64_C(536870912), TANH, SIGMOID, 1, 0), DEEP_ERR_OVERFLOW,
                      "deep_model_add_lstm", "layer 0 (lstm): LSTM of 536870912 units over 100000 features");
    ASSERT_FAILS_WITH(deep_model_add_lstm(model, 10000, TANH, SIGMOID, 1, 0), DEEP_ERR_OVERFLOW,
                      "deep_model_add_lstm", "layer 0 (lstm): weight 'kernel' of shape (100000, 40000)");
    ASSERT_FAILS_WITH(deep_model_add_gru(model, 10000, TANH, SIGMOID, 1, 0), DEEP_ERR_OVERFLOW,
                      "deep_model_add_gru", "layer 0 (gru): weight 'kernel' of shape (100000, 30000)");
    ASSERT_FAILS_WITH(deep_model_add_simple_rnn(model, 50000, TANH, 1, 1), DEEP_ERR_OVERFLOW,
                      "deep_model_add_simple_rnn", "layer 0 (simple_rnn): weight 'kernel' of shape (100000, 50000)");
    int32_t layers = -1;
    ASSERT_OK(deep_model_layer_count(model, &layers));
    ck_assert_int_eq(layers, 0);
    ASSERT_OK(deep_model_add_simple_rnn(model, 10, TANH, 1, 1));
    ASSERT_OK(deep_model_add_bidirectional(model, DEEP_MERGE_CONCAT));
    deep_model_free(model);
}
END_TEST

/* ---- the suite ------------------------------------------------------------------------------ */

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");

    TCase *learning = tcase_create("learning");
    tcase_add_test(learning, sparse_crossentropy_separates_blobs);
    tcase_add_test(learning, categorical_crossentropy_with_one_hot_targets);
    tcase_add_test(learning, mean_squared_error_fits_a_line);
    tcase_add_test(learning, binary_crossentropy_on_labels);
    tcase_add_loop_test(learning, xor_with_a_hidden_layer, 0, 2);
    tcase_set_timeout(learning, 120);
    suite_add_tcase(s, learning);

    TCase *repro = tcase_create("reproducibility");
    tcase_add_test(repro, seed_fixes_weights_and_history);
    tcase_add_test(repro, thread_count_does_not_change_results);
    tcase_add_test(repro, predict_from_many_threads);
    tcase_set_timeout(repro, 120);
    suite_add_tcase(s, repro);

    TCase *callbacks = tcase_create("callbacks");
    tcase_add_test(callbacks, batch_callback_sees_every_batch);
    tcase_add_test(callbacks, callbacks_stop_fit);
    tcase_add_test(callbacks, epoch_callback_changes_learning_rate);
    tcase_add_test(callbacks, log_gets_one_line_per_epoch);
    tcase_set_timeout(callbacks, 120);
    suite_add_tcase(s, callbacks);

    TCase *validation = tcase_create("validation");
    tcase_add_test(validation, validation_split_holds_out_the_tail);
    tcase_add_test(validation, validation_dataset_replaces_the_split);
    tcase_add_test(validation, history_rejects_what_was_not_recorded);
    tcase_add_test(validation, early_stopping_restores_best_weights);
    tcase_add_test(validation, early_stopping_min_delta_on_training_loss);
    tcase_add_test(validation, recompile_with_more_metrics_keeps_history_consistent);
    tcase_set_timeout(validation, 120);
    suite_add_tcase(s, validation);

    TCase *describe = tcase_create("summary and weights");
    tcase_add_test(describe, summary_lists_layers_and_totals);
    tcase_add_test(describe, summary_groups_total_digits);
    tcase_add_test(describe, summary_of_a_flattened_input);
    tcase_add_test(describe, summary_into_a_small_buffer);
    tcase_add_test(describe, weights_have_keras_shapes);
    tcase_add_test(describe, set_weights_give_known_predictions);
    tcase_add_test(describe, weight_access_misuse);
    tcase_set_timeout(describe, 120);
    suite_add_tcase(s, describe);

    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, null_arguments);
    tcase_add_test(misuse, new_rejects_bad_shapes);
    tcase_add_test(misuse, ranks_follow_one_rule);
    tcase_add_test(misuse, input_and_output_shapes);
    tcase_add_test(misuse, layer_sizes_are_limited);
    tcase_add_test(misuse, add_layer_misuse);
    tcase_add_test(misuse, compile_misuse);
    tcase_add_test(misuse, fit_rejects_bad_data);
    tcase_add_test(misuse, fit_reports_nan_loss);
    tcase_add_test(misuse, fit_reports_nan_through_relu);
    tcase_add_test(misuse, validation_split_too_large_for_the_data);
    tcase_add_test(misuse, evaluate_and_predict_misuse);
    tcase_add_test(misuse, options_misuse);
    tcase_add_test(misuse, wrong_order_of_calls);
    tcase_set_timeout(misuse, 120);
    suite_add_tcase(s, misuse);

    TCase *threads = tcase_create("concurrent calls");
    tcase_add_test(threads, reentrant_calls_from_a_callback);
    tcase_add_loop_test(threads, setters_from_fit_callbacks, 0, 3);
    tcase_add_test(threads, concurrent_fit_is_refused);
    tcase_set_timeout(threads, 120);
    suite_add_tcase(s, threads);
    return s;
}

int main(void)
{
    return run_suite(model_suite(), CK_NORMAL);
}
