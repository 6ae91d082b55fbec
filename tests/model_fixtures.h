/* Models and data shared by the model-file tests and the golden-file generator
 * (make_golden.c): a model with every layer type, a tiny Dense model, and deterministic
 * synthetic data. Public API only; every failure aborts, as these are fixtures. */
#ifndef LIBDEEP_TESTS_MODEL_FIXTURES_H
#define LIBDEEP_TESTS_MODEL_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>

#include "deep.h"

static inline void fixture_ok(deep_status status, const char *what)
{
    if (status != DEEP_OK) {
        fprintf(stderr, "fixture: %s failed: %s (%s)\n", what, deep_last_error(), deep_status_string(status));
        abort();
    }
}

#define FIXTURE(call) fixture_ok((call), #call)

/* Input (6, 6, 2) to 3 classes through Conv2D (same), BatchNormalization, MaxPooling2D,
 * Conv2D (valid, no bias), AveragePooling2D (same, stride 1), GlobalAveragePooling2D,
 * Flatten, Dense, Dropout, Dense and a softmax Activation. Uncompiled. */
static inline deep_model *fixture_all_layers(uint64_t seed)
{
    deep_model *m = NULL;
    FIXTURE(deep_model_new(3, (const int64_t[]){6, 6, 2}, &m));
    FIXTURE(deep_model_set_seed(m, seed));
    FIXTURE(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    FIXTURE(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    FIXTURE(deep_model_add_conv2d(m, 3, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    FIXTURE(deep_model_add_batch_normalization(m, 0.9f, 1e-3f));
    FIXTURE(deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID));
    FIXTURE(deep_model_add_conv2d(m, 4, 2, 2, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_TANH, 0));
    FIXTURE(deep_model_add_average_pooling2d(m, 2, 2, 1, 1, DEEP_PADDING_SAME));
    FIXTURE(deep_model_add_global_average_pooling2d(m));
    FIXTURE(deep_model_add_flatten(m));
    FIXTURE(deep_model_add_dense(m, 5, DEEP_ACTIVATION_ELU, 1));
    FIXTURE(deep_model_add_dropout(m, 0.25f));
    FIXTURE(deep_model_add_dense(m, 3, DEEP_ACTIVATION_LINEAR, 1));
    FIXTURE(deep_model_add_activation(m, DEEP_ACTIVATION_SOFTMAX));
    return m;
}

/* Dense(3, relu) then Dense(2, sigmoid) on 2 inputs: a small file for exhaustive tests. */
static inline deep_model *fixture_tiny(uint64_t seed)
{
    deep_model *m = NULL;
    FIXTURE(deep_model_new(1, (const int64_t[]){2}, &m));
    FIXTURE(deep_model_set_seed(m, seed));
    FIXTURE(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    FIXTURE(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    FIXTURE(deep_model_add_dense(m, 3, DEEP_ACTIVATION_RELU, 1));
    FIXTURE(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SIGMOID, 0));
    return m;
}

static inline void fixture_compile(deep_model *m, deep_optimizer_kind kind, deep_loss loss)
{
    deep_optimizer *opt = NULL;
    FIXTURE(deep_optimizer_new(kind, &opt));
    if (kind == DEEP_OPTIMIZER_SGD)
        FIXTURE(deep_optimizer_set_float(opt, DEEP_OPT_MOMENTUM, 0.9f));
    if (kind == DEEP_OPTIMIZER_RMSPROP)
        FIXTURE(deep_optimizer_set_float(opt, DEEP_OPT_MOMENTUM, 0.5f));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    FIXTURE(deep_model_compile(m, opt, loss, metrics, 1));
}

/* Deterministic features in [-1, 1) for count samples of `size` values. */
static inline float *fixture_features(int64_t count, int64_t size, uint64_t seed)
{
    deep_rng *rng = NULL;
    FIXTURE(deep_rng_new(seed, &rng));
    float *x = malloc((size_t)(count * size) * sizeof *x);
    if (x == NULL)
        abort();
    for (int64_t i = 0; i < count * size; i++) {
        float u = 0;
        FIXTURE(deep_rng_uniform(rng, &u));
        x[i] = 2 * u - 1;
    }
    deep_rng_free(rng);
    return x;
}

/* count samples of the all-layers input with labels 0..2 that depend on the data. */
static inline deep_dataset *fixture_images(int64_t count, uint64_t seed)
{
    float *x = fixture_features(count, 72, seed);
    int32_t *labels = malloc((size_t)count * sizeof *labels);
    if (labels == NULL)
        abort();
    for (int64_t i = 0; i < count; i++) {
        float s = 0;
        for (int k = 0; k < 72; k += 7)
            s += x[i * 72 + k];
        labels[i] = s < -0.5f ? 0 : s < 0.5f ? 1 : 2;
    }
    deep_dataset *d = NULL;
    FIXTURE(deep_dataset_new(count, 3, (const int64_t[]){6, 6, 2}, x, &d));
    FIXTURE(deep_dataset_set_labels(d, labels, count, 3));
    free(x);
    free(labels);
    return d;
}

/* count samples of 2 features with binary targets of width 2 for the tiny model. */
static inline deep_dataset *fixture_points(int64_t count, uint64_t seed)
{
    float *x = fixture_features(count, 2, seed);
    float *y = malloc((size_t)(count * 2) * sizeof *y);
    if (y == NULL)
        abort();
    for (int64_t i = 0; i < count; i++) {
        y[2 * i] = x[2 * i] > x[2 * i + 1] ? 1.0f : 0.0f;
        y[2 * i + 1] = x[2 * i] + x[2 * i + 1] > 0 ? 1.0f : 0.0f;
    }
    deep_dataset *d = NULL;
    FIXTURE(deep_dataset_new(count, 1, (const int64_t[]){2}, x, &d));
    FIXTURE(deep_dataset_set_targets(d, y, count, 2));
    free(x);
    free(y);
    return d;
}

#endif
