/* Model files: save -> load round trips of every layer type and optimizer (bit-exact
 * weights, predictions, and a bit-exact continued fit), the buffer calls, uncompiled
 * models, checkpoints and resuming, atomic saves that fail without harming the old file,
 * the golden files of each format version, every truncation and single-byte corruption
 * of a golden file, field-by-field validation, misuse, and the JSON parser underneath.
 * `test_modelio exhaustive` runs only the exhaustive corruption test (suite 'slow');
 * `test_modelio write-corrupt tests/golden/corrupt` writes the crafted hostile files. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io/json.h"
#include "kernels/kernels.h"

#define CHECK_NAMES_FUNCTION names_function_detailed
#include "check_helpers.h"
#include "model_fixtures.h"

#ifndef DEEP_GOLDEN_DIR
#error "DEEP_GOLDEN_DIR must name tests/golden"
#endif

/* ---- files and directories ------------------------------------------------------------ */

typedef struct scratch {
    char dir[64];
    char path[128];
} scratch;

static void scratch_open(scratch *s, const char *name)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/deep-modelio-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name);
}

/* Names in the directory, other than . and .. */
static int scratch_entries(const scratch *s)
{
    DIR *d = opendir(s->dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void scratch_close(scratch *s)
{
    DIR *d = opendir(s->dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[400];
        snprintf(p, sizeof p, "%s/%s", s->dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rmdir(p);
        else
            unlink(p);
    }
    closedir(d);
    ck_assert_int_eq(rmdir(s->dir), 0);
}

static void write_all(const char *path, const void *data, size_t length)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(data, 1, length, f), length);
    ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *golden(const char *name, size_t *length)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DEEP_GOLDEN_DIR, name);
    return read_all(path, length);
}

/* ---- comparing models ----------------------------------------------------------------- */

/* Every weight of a and b has the same shape and the same bits. */
static void assert_same_weights(const deep_model *a, const deep_model *b)
{
    int32_t layers_a, layers_b;
    ASSERT_OK(deep_model_layer_count(a, &layers_a));
    ASSERT_OK(deep_model_layer_count(b, &layers_b));
    ck_assert_int_eq(layers_a, layers_b);
    for (int32_t i = 0; i < layers_a; i++) {
        int32_t count_a, count_b;
        ASSERT_OK(deep_model_weight_count(a, i, &count_a));
        ASSERT_OK(deep_model_weight_count(b, i, &count_b));
        ck_assert_int_eq(count_a, count_b);
        for (int32_t w = 0; w < count_a; w++) {
            deep_tensor *ta, *tb;
            ASSERT_OK(deep_model_get_weight(a, i, w, &ta));
            ASSERT_OK(deep_model_get_weight(b, i, w, &tb));
            int64_t sa[DEEP_MAX_RANK] = {0}, sb[DEEP_MAX_RANK] = {0}, n;
            ASSERT_OK(deep_tensor_shape(ta, sa, DEEP_MAX_RANK, &(int64_t){0}));
            ASSERT_OK(deep_tensor_shape(tb, sb, DEEP_MAX_RANK, &(int64_t){0}));
            ck_assert_mem_eq(sa, sb, sizeof sa);
            ASSERT_OK(deep_tensor_size(ta, &n));
            const float *da, *db;
            ASSERT_OK(deep_tensor_data(ta, &da));
            ASSERT_OK(deep_tensor_data(tb, &db));
            ck_assert_msg(memcmp(da, db, (size_t)n * sizeof(float)) == 0, "layer %d weight %d differs", (int)i,
                          (int)w);
            deep_tensor_free(ta);
            deep_tensor_free(tb);
        }
    }
}

static deep_tensor *predict(const deep_model *m, const deep_tensor *x)
{
    deep_tensor *y = NULL;
    ASSERT_OK(deep_model_predict(m, x, &y));
    return y;
}

static void assert_same_tensor(const deep_tensor *a, const deep_tensor *b)
{
    int64_t na, nb;
    const float *da, *db;
    ASSERT_OK(deep_tensor_size(a, &na));
    ASSERT_OK(deep_tensor_size(b, &nb));
    ck_assert_int_eq(na, nb);
    ASSERT_OK(deep_tensor_data(a, &da));
    ASSERT_OK(deep_tensor_data(b, &db));
    ck_assert(memcmp(da, db, (size_t)na * sizeof(float)) == 0);
}

static char *summary(const deep_model *m)
{
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(m, NULL, 0, &needed));
    char *text = malloc((size_t)needed);
    ASSERT_OK(deep_model_summary(m, text, needed, &needed));
    return text;
}

static deep_tensor *image_inputs(int64_t n)
{
    float *x = fixture_features(n, 72, 1234);
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new_from(4, (const int64_t[]){n, 6, 6, 2}, x, n * 72, &t));
    free(x);
    return t;
}

/* ---- round trips ---------------------------------------------------------------------- */

static const deep_optimizer_kind all_kinds[] = {DEEP_OPTIMIZER_SGD, DEEP_OPTIMIZER_ADAM, DEEP_OPTIMIZER_RMSPROP,
                                                DEEP_OPTIMIZER_ADAGRAD};

START_TEST(round_trip_every_layer_and_optimizer)
{
    deep_optimizer_kind kind = all_kinds[_i];
    scratch s;
    scratch_open(&s, "model.safetensors");
    deep_dataset *data = fixture_images(24, 8);
    deep_model *model = fixture_all_layers(40 + (uint64_t)_i);
    fixture_compile(model, kind, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ASSERT_OK(deep_model_fit(model, data, 2, 8, NULL));
    ASSERT_OK(deep_model_save(model, s.path));
    ck_assert_int_eq(scratch_entries(&s), 1); /* no temporary file left behind */

    deep_model *loaded = (deep_model *)&loaded;
    ASSERT_OK(deep_model_load(s.path, &loaded));
    ck_assert_ptr_nonnull(loaded);
    assert_same_weights(model, loaded);
    char *sa = summary(model), *sb = summary(loaded);
    ck_assert_str_eq(sa, sb);
    free(sa);
    free(sb);
    deep_tensor *x = image_inputs(5), *ya = predict(model, x), *yb = predict(loaded, x);
    assert_same_tensor(ya, yb);

    deep_optimizer *oa, *ob;
    ASSERT_OK(deep_model_optimizer(model, &oa));
    ASSERT_OK(deep_model_optimizer(loaded, &ob));
    double la, lb;
    ASSERT_OK(deep_optimizer_get_float(oa, DEEP_OPT_LEARNING_RATE, &la));
    ASSERT_OK(deep_optimizer_get_float(ob, DEEP_OPT_LEARNING_RATE, &lb));
    ck_assert(la == lb);
    ASSERT_FAILS(deep_optimizer_get_float(ob, kind == DEEP_OPTIMIZER_ADAM ? DEEP_OPT_RHO : DEEP_OPT_BETA_1, &lb),
                 DEEP_ERR_INVALID_ARGUMENT, "deep_optimizer_get_float");

    /* Moments, step count and random state came along: training on gives the same bits. */
    ASSERT_OK(deep_model_fit(model, data, 1, 8, NULL));
    ASSERT_OK(deep_model_fit(loaded, data, 1, 8, NULL));
    assert_same_weights(model, loaded);

    deep_tensor_free(x);
    deep_tensor_free(ya);
    deep_tensor_free(yb);
    deep_model_free(model);
    deep_model_free(loaded);
    deep_dataset_free(data);
    scratch_close(&s);
}
END_TEST

/* Recurrent layers: the all-layers fixture is of images, so sequences get models of
 * their own, with every recurrent option away from its default. Model 0: LSTMs on float
 * steps; model 1: Embedding (mask_zero), GRU and SimpleRNN on token ids; model 2:
 * Masking, GRU (reset_after=False) and SimpleRNN on float steps. */
static deep_model *recurrent_model(int which)
{
    deep_model *m = NULL;
    if (which == 0) {
        ASSERT_OK(deep_model_new(2, (const int64_t[]){5, 3}, &m));
        ASSERT_OK(deep_model_add_lstm(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
        ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_UNIT_FORGET_BIAS, 0));
    } else if (which == 1) {
        ASSERT_OK(deep_model_new(1, (const int64_t[]){15}, &m));
        ASSERT_OK(deep_model_add_embedding(m, 9, 3, 15));
        ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_MASK_ZERO, 1));
        ASSERT_OK(deep_model_add_gru(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    } else {
        ASSERT_OK(deep_model_new(2, (const int64_t[]){5, 3}, &m));
        ASSERT_OK(deep_model_add_masking(m, -1.5f));
        ASSERT_OK(deep_model_add_gru(m, 4, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
        ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_RESET_AFTER, 0));
    }
    ASSERT_OK(deep_model_set_layer_float(m, -1, DEEP_LAYER_DROPOUT, 0.25));
    ASSERT_OK(deep_model_set_layer_float(m, -1, DEEP_LAYER_RECURRENT_DROPOUT, 0.125));
    ASSERT_OK(deep_model_set_layer_int(m, -1, DEEP_LAYER_GO_BACKWARDS, 1));
    if (which == 0)
        ASSERT_OK(deep_model_add_lstm(m, 3, DEEP_ACTIVATION_RELU, DEEP_ACTIVATION_SIGMOID, 0, 0));
    else
        ASSERT_OK(deep_model_add_simple_rnn(m, 3, DEEP_ACTIVATION_RELU, 0, 0));
    ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    ASSERT_OK(deep_model_set_seed(m, 17));
    fixture_compile(m, DEEP_OPTIMIZER_ADAM, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    return m;
}

static uint8_t *to_buffer(const deep_model *m, int64_t *length)
{
    ASSERT_OK(deep_model_save_buffer(m, NULL, 0, length));
    uint8_t *buffer = malloc((size_t)*length);
    ck_assert_ptr_nonnull(buffer);
    ASSERT_OK(deep_model_save_buffer(m, buffer, *length, length));
    return buffer;
}

START_TEST(round_trip_recurrent_layers)
{
    float *x = fixture_features(16, 15, 3);
    if (_i == 1)
        for (int i = 0; i < 16 * 15; i++)
            x[i] = floorf((x[i] + 1) * 4.5f); /* token ids 0..8 */
    if (_i == 2) /* padding steps for the Masking layer */
        for (int s = 0; s < 16; s += 2)
            x[s * 15] = x[s * 15 + 1] = x[s * 15 + 2] = -1.5f;
    int32_t labels[16];
    for (int i = 0; i < 16; i++)
        labels[i] = x[i * 15] + x[i * 15 + 14] > (_i == 1 ? 8 : 0);
    deep_dataset *data = NULL;
    const int64_t steps[] = {5, 3}, ids[] = {15};
    ASSERT_OK(deep_dataset_new(16, _i == 1 ? 1 : 2, _i == 1 ? ids : steps, x, &data));
    ASSERT_OK(deep_dataset_set_labels(data, labels, 16, 2));
    deep_model *model = recurrent_model(_i);
    ASSERT_OK(deep_model_fit(model, data, 2, 4, NULL));

    int64_t length, again;
    uint8_t *saved = to_buffer(model, &length);
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(saved, length, &loaded));
    assert_same_weights(model, loaded);
    deep_tensor *in = NULL;
    ASSERT_OK(deep_dataset_features(data, &in));
    deep_tensor *ya = predict(model, in), *yb = predict(loaded, in);
    assert_same_tensor(ya, yb);
    /* Every option came back: the loaded model saves to the same bytes, and trains on
     * (with dropout masks from the restored generator) to the same weights. */
    uint8_t *resaved = to_buffer(loaded, &again);
    ck_assert_int_eq(again, length);
    ck_assert(memcmp(saved, resaved, (size_t)length) == 0);
    ASSERT_OK(deep_model_fit(model, data, 1, 4, NULL));
    ASSERT_OK(deep_model_fit(loaded, data, 1, 4, NULL));
    assert_same_weights(model, loaded);

    free(saved);
    free(resaved);
    free(x);
    deep_tensor_free(in);
    deep_tensor_free(ya);
    deep_tensor_free(yb);
    deep_model_free(model);
    deep_model_free(loaded);
    deep_dataset_free(data);
}
END_TEST

START_TEST(round_trip_buffer)
{
    scratch s;
    scratch_open(&s, "tiny.safetensors");
    deep_model *model = fixture_tiny(9);
    fixture_compile(model, DEEP_OPTIMIZER_ADAM, DEEP_LOSS_MEAN_SQUARED_ERROR);
    int64_t needed = -1;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &needed));
    ck_assert_int_gt(needed, 64);
    uint8_t *buffer = malloc((size_t)needed);
    int64_t again = -1;
    ASSERT_FAILS_WITH(deep_model_save_buffer(model, buffer, needed - 1, &again), DEEP_ERR_BUFFER_TOO_SMALL,
                      "deep_model_save_buffer", "needs");
    ck_assert_int_eq(again, needed);
    ASSERT_OK(deep_model_save_buffer(model, buffer, needed, &again));
    ck_assert_int_eq(again, needed);

    /* The buffer holds exactly the file deep_model_save writes. */
    ASSERT_OK(deep_model_save(model, s.path));
    size_t length;
    uint8_t *file = read_all(s.path, &length);
    ck_assert_int_eq((int64_t)length, needed);
    ck_assert(memcmp(file, buffer, length) == 0);

    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(buffer, needed, &loaded));
    assert_same_weights(model, loaded);
    deep_model_free(loaded);
    free(file);
    free(buffer);
    deep_model_free(model);
    scratch_close(&s);
}
END_TEST

/* Every activation (loop index = its value) in Conv2D, Dense and Activation layers: the
 * file names it, the loaded model predicts the same bits, and one more epoch on both
 * (through the kept pre-activations of gelu and silu) gives the same weights. */
START_TEST(round_trip_every_activation)
{
    const deep_activation act = (deep_activation)_i;
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(3, (const int64_t[]){6, 6, 2}, &model));
    ASSERT_OK(deep_model_set_seed(model, 5 + (uint64_t)_i));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_conv2d(model, 2, 3, 3, 1, 1, DEEP_PADDING_SAME, act, 1));
    ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 4, act, 1));
    ASSERT_OK(deep_model_add_activation(model, act));
    ASSERT_OK(deep_model_add_dense(model, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    fixture_compile(model, DEEP_OPTIMIZER_ADAM, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    deep_dataset *data = fixture_images(16, 3);
    ASSERT_OK(deep_model_fit(model, data, 1, 8, NULL));
    int64_t length;
    uint8_t *buffer = to_buffer(model, &length);
    char quoted[40];
    /* The config is JSON inside the file's metadata string, so its quotes are escaped. */
    snprintf(quoted, sizeof quoted, "\\\"%s\\\"", deep_activation_name(act));
    bool named = false;
    for (int64_t i = 0; !named && i + (int64_t)strlen(quoted) <= length; i++)
        named = memcmp(buffer + i, quoted, strlen(quoted)) == 0;
    ck_assert_msg(named, "the file does not hold %s", quoted);
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(buffer, length, &loaded));
    deep_tensor *x = image_inputs(5), *ya = predict(model, x), *yb = predict(loaded, x);
    assert_same_tensor(ya, yb);
    ASSERT_OK(deep_model_fit(model, data, 1, 8, NULL));
    ASSERT_OK(deep_model_fit(loaded, data, 1, 8, NULL));
    assert_same_weights(model, loaded);
    deep_tensor_free(x);
    deep_tensor_free(ya);
    deep_tensor_free(yb);
    free(buffer);
    deep_model_free(model);
    deep_model_free(loaded);
    deep_dataset_free(data);
}
END_TEST

START_TEST(uncompiled_loads_uncompiled)
{
    deep_model *model = fixture_all_layers(5);
    int64_t needed;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &needed));
    uint8_t *buffer = malloc((size_t)needed);
    ASSERT_OK(deep_model_save_buffer(model, buffer, needed, &needed));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(buffer, needed, &loaded));
    int32_t count;
    ASSERT_OK(deep_model_layer_count(loaded, &count));
    ck_assert_int_eq(count, 11);
    deep_optimizer *opt;
    ASSERT_FAILS(deep_model_optimizer(loaded, &opt), DEEP_ERR_STATE, "deep_model_optimizer");
    deep_tensor *x = image_inputs(2), *y = NULL;
    ASSERT_FAILS(deep_model_predict(loaded, x, &y), DEEP_ERR_STATE, "deep_model_predict");
    /* Same architecture and seed: compiling both gives the same initial weights. */
    fixture_compile(model, DEEP_OPTIMIZER_SGD, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    fixture_compile(loaded, DEEP_OPTIMIZER_SGD, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    assert_same_weights(model, loaded);
    char *sa = summary(model), *sb = summary(loaded);
    ck_assert_str_eq(sa, sb);
    free(sa);
    free(sb);
    deep_tensor_free(x);
    free(buffer);
    deep_model_free(model);
    deep_model_free(loaded);
}
END_TEST

START_TEST(empty_model_round_trips)
{
    deep_model *model = NULL, *loaded = NULL;
    ASSERT_OK(deep_model_new(2, (const int64_t[]){3, 4}, &model));
    int64_t needed;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &needed));
    uint8_t *buffer = malloc((size_t)needed);
    ASSERT_OK(deep_model_save_buffer(model, buffer, needed, &needed));
    ASSERT_OK(deep_model_load_buffer(buffer, needed, &loaded));
    int32_t count = -1;
    ASSERT_OK(deep_model_layer_count(loaded, &count));
    ck_assert_int_eq(count, 0);
    free(buffer);
    deep_model_free(model);
    deep_model_free(loaded);
}
END_TEST

/* ---- checkpoints ---------------------------------------------------------------------- */

static int32_t stop_after_fourth(void *user, deep_model *model, int64_t epoch)
{
    (void)model;
    int32_t *seen = user;
    seen[epoch] = 1;
    return epoch == 3;
}

static double stopping_min_delta;

static deep_model *resumable_model(void)
{
    deep_model *m = fixture_all_layers(21);
    fixture_compile(m, DEEP_OPTIMIZER_ADAM, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ASSERT_OK(deep_model_set_float(m, DEEP_MODEL_VALIDATION_SPLIT, 0.2));
    return m;
}

START_TEST(checkpoint_resume_matches_uninterrupted_run)
{
    scratch s;
    scratch_open(&s, "checkpoint.safetensors");
    deep_dataset *data = fixture_images(30, 3);

    deep_model *straight = resumable_model();
    ASSERT_OK(deep_model_fit(straight, data, 6, 8, NULL));

    /* The same run, checkpointing every 2 epochs, "crashes" after epoch 4. */
    deep_model *first = resumable_model();
    ASSERT_OK(deep_model_set_string(first, DEEP_MODEL_CHECKPOINT_PATH, s.path));
    ASSERT_OK(deep_model_set_int(first, DEEP_MODEL_CHECKPOINT_PERIOD, 2));
    int32_t seen[6] = {0};
    ASSERT_OK(deep_model_set_callbacks(first, NULL, stop_after_fourth, seen));
    ASSERT_OK(deep_model_fit(first, data, 6, 8, NULL));
    ck_assert_int_eq(seen[3], 1);
    ck_assert_int_eq(seen[4], 0);
    int64_t value = -1;
    ASSERT_OK(deep_model_get_int(first, DEEP_MODEL_INITIAL_EPOCH, &value));
    ck_assert_int_eq(value, 0);
    ck_assert_int_eq(scratch_entries(&s), 1);

    deep_model *resumed = NULL;
    ASSERT_OK(deep_model_load(s.path, &resumed));
    ASSERT_OK(deep_model_get_int(resumed, DEEP_MODEL_INITIAL_EPOCH, &value));
    ck_assert_int_eq(value, 4);
    ASSERT_OK(deep_model_get_int(resumed, DEEP_MODEL_CHECKPOINT_PERIOD, &value));
    ck_assert_int_eq(value, 0); /* checkpoint settings are not part of the file */
    ASSERT_OK(deep_model_fit(resumed, data, 6, 8, NULL));
    int64_t epochs = -1;
    ASSERT_OK(deep_model_history_length(resumed, &epochs));
    ck_assert_int_eq(epochs, 2);
    assert_same_weights(straight, resumed);
    ASSERT_OK(deep_model_get_int(resumed, DEEP_MODEL_INITIAL_EPOCH, &value));
    ck_assert_int_eq(value, 0);
    /* The last history entries agree with the uninterrupted run's too. */
    double a, b;
    ASSERT_OK(deep_model_history(straight, 5, DEEP_METRIC_LOSS, 1, &a));
    ASSERT_OK(deep_model_history(resumed, 1, DEEP_METRIC_LOSS, 1, &b));
    ck_assert(a == b);

    deep_model_free(straight);
    deep_model_free(first);
    deep_model_free(resumed);
    deep_dataset_free(data);
    scratch_close(&s);
}
END_TEST

/* Early stopping across a resume: patience 2 with a min_delta no later epoch can beat, so
 * the run stops after its third epoch and restores the first epoch's weights. The crash
 * comes after epoch `crash` (1-based); the resumed fit must end as the uninterrupted one. */
static int32_t stop_at(void *user, deep_model *model, int64_t epoch)
{
    (void)model;
    return epoch + 1 == *(const int32_t *)user;
}

static deep_model *stopping_model(const char *checkpoint, const int32_t *crash)
{
    deep_model *m = fixture_all_layers(17);
    fixture_compile(m, DEEP_OPTIMIZER_RMSPROP, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ASSERT_OK(deep_model_set_float(m, DEEP_MODEL_VALIDATION_SPLIT, 0.25));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 2));
    ASSERT_OK(deep_model_set_float(m, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, stopping_min_delta));
    if (checkpoint != NULL) {
        ASSERT_OK(deep_model_set_string(m, DEEP_MODEL_CHECKPOINT_PATH, checkpoint));
        ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_CHECKPOINT_PERIOD, 1));
        ASSERT_OK(deep_model_set_callbacks(m, NULL, stop_at, (void *)crash));
    }
    return m;
}

START_TEST(checkpoint_resume_with_early_stopping)
{
    /* _i: 0, 1 crash before early stopping ends the run, 2 at the epoch it does; with
     * min_delta 0 (loop 3..5) the best epoch moves as training improves. */
    const int32_t crash = 1 + _i % 3;
    stopping_min_delta = _i < 3 ? 100.0 : 0.0;
    scratch s;
    scratch_open(&s, "stopping.safetensors");
    deep_dataset *data = fixture_images(24, 6);
    deep_model *straight = stopping_model(NULL, NULL);
    ASSERT_OK(deep_model_fit(straight, data, 6, 8, NULL));
    int64_t ran = 0;
    ASSERT_OK(deep_model_history_length(straight, &ran));
    if (_i < 3)
        ck_assert_int_eq(ran, 3);

    deep_model *first = stopping_model(s.path, &crash);
    ASSERT_OK(deep_model_fit(first, data, 6, 8, NULL));
    deep_model *resumed = NULL;
    ASSERT_OK(deep_model_load(s.path, &resumed));
    int64_t value = -1;
    ASSERT_OK(deep_model_get_int(resumed, DEEP_MODEL_INITIAL_EPOCH, &value));
    ck_assert_int_eq(value, crash);
    /* Saving the loaded checkpoint again keeps it a resume point, early stopping included. */
    ASSERT_OK(deep_model_save(resumed, s.path));
    deep_model_free(resumed);
    ASSERT_OK(deep_model_load(s.path, &resumed));
    ASSERT_OK(deep_model_fit(resumed, data, 6, 8, NULL));
    assert_same_weights(straight, resumed);

    deep_model_free(straight);
    deep_model_free(first);
    deep_model_free(resumed);
    deep_dataset_free(data);
    scratch_close(&s);
}
END_TEST

START_TEST(checkpoint_periods_and_initial_epoch)
{
    scratch s;
    scratch_open(&s, "every.safetensors");
    deep_dataset *data = fixture_points(12, 2);
    deep_model *m = fixture_tiny(4);
    fixture_compile(m, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    ASSERT_OK(deep_model_set_string(m, DEEP_MODEL_CHECKPOINT_PATH, s.path));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_CHECKPOINT_PERIOD, 3));
    ASSERT_OK(deep_model_fit(m, data, 7, 4, NULL));
    deep_model *c = NULL;
    ASSERT_OK(deep_model_load(s.path, &c));
    int64_t value = -1;
    ASSERT_OK(deep_model_get_int(c, DEEP_MODEL_INITIAL_EPOCH, &value));
    ck_assert_int_eq(value, 6); /* the last multiple of 3 */
    /* A fit that cannot start (5% of 12 samples is no validation set) keeps the resume point. */
    ASSERT_OK(deep_model_set_float(c, DEEP_MODEL_VALIDATION_SPLIT, 0.05));
    ASSERT_FAILS_WITH(deep_model_fit(c, data, 9, 4, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit",
                      "validation split");
    ASSERT_OK(deep_model_get_int(c, DEEP_MODEL_INITIAL_EPOCH, &value));
    ck_assert_int_eq(value, 6);
    ASSERT_OK(deep_model_set_float(c, DEEP_MODEL_VALIDATION_SPLIT, 0));
    /* Nothing left to do: fit returns at once with an empty history, as Keras does. */
    ASSERT_OK(deep_model_fit(c, data, 6, 4, NULL));
    int64_t epochs = -1;
    ASSERT_OK(deep_model_history_length(c, &epochs));
    ck_assert_int_eq(epochs, 0);
    /* A plain save after fit is no resume point. */
    ASSERT_OK(deep_model_save(m, s.path));
    deep_model_free(c);
    ASSERT_OK(deep_model_load(s.path, &c));
    ASSERT_OK(deep_model_get_int(c, DEEP_MODEL_INITIAL_EPOCH, &value));
    ck_assert_int_eq(value, 0);
    /* Compiling again starts afresh: no resume point any more. */
    ASSERT_OK(deep_model_set_int(c, DEEP_MODEL_INITIAL_EPOCH, 3));
    fixture_compile(c, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    ASSERT_OK(deep_model_get_int(c, DEEP_MODEL_INITIAL_EPOCH, &value));
    ck_assert_int_eq(value, 0);
    /* Clearing the path and the period turns checkpoints off. */
    ASSERT_OK(deep_model_set_string(m, DEEP_MODEL_CHECKPOINT_PATH, NULL));
    ASSERT_FAILS_WITH(deep_model_fit(m, data, 1, 4, NULL), DEEP_ERR_STATE, "deep_model_fit",
                      "DEEP_MODEL_CHECKPOINT_PATH");
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_CHECKPOINT_PERIOD, 0));
    ASSERT_OK(deep_model_fit(m, data, 1, 4, NULL));
    deep_model_free(c);
    deep_model_free(m);
    deep_dataset_free(data);
    scratch_close(&s);
}
END_TEST

START_TEST(checkpoint_misuse)
{
    deep_dataset *data = fixture_points(8, 2);
    deep_model *m = fixture_tiny(4);
    fixture_compile(m, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    ASSERT_FAILS(deep_model_set_int(m, DEEP_MODEL_CHECKPOINT_PERIOD, -1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_int");
    ASSERT_FAILS(deep_model_set_int(m, DEEP_MODEL_INITIAL_EPOCH, -2), DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_int");
    ASSERT_FAILS(deep_model_set_int(m, DEEP_MODEL_CHECKPOINT_PATH, 1), DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_int");
    ASSERT_FAILS(deep_model_set_float(m, DEEP_MODEL_CHECKPOINT_PATH, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_float(m, DEEP_MODEL_CHECKPOINT_PERIOD, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_float");
    ASSERT_FAILS(deep_model_set_string(m, DEEP_MODEL_THREADS, "x"), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_string");
    ASSERT_FAILS(deep_model_set_string(m, DEEP_MODEL_CHECKPOINT_PATH, ""), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_string");
    ASSERT_FAILS(deep_model_set_string(NULL, DEEP_MODEL_CHECKPOINT_PATH, "x"), DEEP_ERR_NULL, "deep_model_set_string");
    int64_t value;
    ASSERT_FAILS(deep_model_get_int(m, DEEP_MODEL_VALIDATION_SPLIT, &value), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_get_int");
    ASSERT_FAILS(deep_model_get_int(m, (deep_model_option)99, &value), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_get_int");
    ASSERT_FAILS(deep_model_get_int(m, DEEP_MODEL_THREADS, NULL), DEEP_ERR_NULL, "deep_model_get_int");
    ASSERT_FAILS(deep_model_get_int(NULL, DEEP_MODEL_THREADS, &value), DEEP_ERR_NULL, "deep_model_get_int");
    ASSERT_OK(deep_model_get_int(m, DEEP_MODEL_THREADS, &value));
    ck_assert_int_eq(value, 1);

    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_CHECKPOINT_PERIOD, 1));
    ASSERT_FAILS_WITH(deep_model_fit(m, data, 1, 4, NULL), DEEP_ERR_STATE, "deep_model_fit", "CHECKPOINT_PATH");
    ASSERT_OK(deep_model_set_string(m, DEEP_MODEL_CHECKPOINT_PATH, "/nonexistent-dir/deep/ckpt"));
    /* A checkpoint that cannot be written stops fit with the reason. */
    ASSERT_FAILS_WITH(deep_model_fit(m, data, 2, 4, NULL), DEEP_ERR_IO, "deep_model_fit",
                      "checkpoint after epoch 1: cannot create a temporary file");
    deep_model_free(m);
    deep_dataset_free(data);
}
END_TEST

/* ---- atomic saves --------------------------------------------------------------------- */

START_TEST(failed_save_keeps_previous_file)
{
    scratch s;
    scratch_open(&s, "model.safetensors");
    deep_model *tiny = fixture_tiny(1), *big = fixture_all_layers(1);
    fixture_compile(tiny, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    fixture_compile(big, DEEP_OPTIMIZER_ADAM, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ASSERT_OK(deep_model_save(tiny, s.path));
    size_t before_length;
    uint8_t *before = read_all(s.path, &before_length);

    /* Writes past 2000 bytes fail (EFBIG) while the limit holds: the bigger model's save
     * fails midway. */
    struct rlimit saved, small = {2000, 0};
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small.rlim_max = saved.rlim_max;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    deep_status status = deep_model_save(big, s.path);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old_handler);
    check_failure(__LINE__, "deep_model_save(big)", status, DEEP_ERR_IO, "deep_model_save", "cannot write");

    size_t after_length;
    uint8_t *after = read_all(s.path, &after_length);
    ck_assert_int_eq(after_length, before_length);
    ck_assert(memcmp(before, after, before_length) == 0);
    ck_assert_int_eq(scratch_entries(&s), 1); /* the temporary file is gone */
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load(s.path, &loaded));
    assert_same_weights(tiny, loaded);
    deep_model_free(loaded);

    /* A directory in the way, or a missing directory: an error, nothing harmed. */
    char sub[200];
    snprintf(sub, sizeof sub, "%s/sub", s.dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    ASSERT_FAILS_WITH(deep_model_save(tiny, sub), DEEP_ERR_IO, "deep_model_save", "cannot write");
    struct stat st;
    ck_assert(stat(sub, &st) == 0 && S_ISDIR(st.st_mode));
    ck_assert_int_eq(scratch_entries(&s), 2);
    ASSERT_FAILS_WITH(deep_model_save(tiny, "/nonexistent-dir/deep/model"), DEEP_ERR_IO, "deep_model_save",
                      "/nonexistent-dir/deep/model");
    ASSERT_FAILS_WITH(deep_model_load(sub, &loaded), DEEP_ERR_IO, "deep_model_load", "sub");

    free(before);
    free(after);
    deep_model_free(loaded);
    deep_model_free(tiny);
    deep_model_free(big);
    scratch_close(&s);
}
END_TEST

/* ---- golden files --------------------------------------------------------------------- */

/* Reads "<label> <rank> <dims...> <hex floats...>" into a new tensor. */
static deep_tensor *read_expected_line(FILE *f, const char *label)
{
    char word[32];
    int rank = 0;
    ck_assert_int_eq(fscanf(f, "%31s %d", word, &rank), 2);
    ck_assert_str_eq(word, label);
    ck_assert(rank >= 1 && rank <= DEEP_MAX_RANK);
    int64_t shape[DEEP_MAX_RANK], n = 1;
    for (int d = 0; d < rank; d++) {
        long long dim;
        ck_assert_int_eq(fscanf(f, "%lld", &dim), 1);
        shape[d] = dim;
        n *= dim;
    }
    float *values = malloc((size_t)n * sizeof *values);
    for (int64_t i = 0; i < n; i++) {
        char text[64];
        ck_assert_int_eq(fscanf(f, "%63s", text), 1);
        values[i] = strtof(text, NULL);
    }
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new_from(rank, shape, values, n, &t));
    free(values);
    return t;
}

static const char *const golden_trained[] = {"v1/all-layers", "v1/tiny", "v1/graph-1.1", "v1/seq2seq-1.2"};

START_TEST(golden_files_predict_recorded_outputs)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.safetensors", DEEP_GOLDEN_DIR, golden_trained[_i]);
    deep_model *model = NULL;
    ASSERT_OK(deep_model_load(path, &model));
    snprintf(path, sizeof path, "%s/%s.expected", DEEP_GOLDEN_DIR, golden_trained[_i]);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    deep_tensor *inputs = read_expected_line(f, "inputs"), *expected = read_expected_line(f, "outputs");
    fclose(f);
    deep_tensor *outputs = predict(model, inputs);
    int64_t n, m;
    const float *got, *want;
    ASSERT_OK(deep_tensor_size(outputs, &n));
    ASSERT_OK(deep_tensor_size(expected, &m));
    ck_assert_int_eq(n, m);
    ASSERT_OK(deep_tensor_data(outputs, &got));
    ASSERT_OK(deep_tensor_data(expected, &want));
    /* A BLAS or compiler other than the one that wrote the file may round differently. */
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(got[i] - want[i]) <= 1e-5f + 1e-5f * fabsf(want[i]), "output %lld: %a, recorded %a",
                      (long long)i, (double)got[i], (double)want[i]);
    /* Trained, compiled, not a resume point. */
    deep_optimizer *opt;
    ASSERT_OK(deep_model_optimizer(model, &opt));
    int64_t epoch = -1;
    ASSERT_OK(deep_model_get_int(model, DEEP_MODEL_INITIAL_EPOCH, &epoch));
    ck_assert_int_eq(epoch, 0);
    deep_tensor_free(inputs);
    deep_tensor_free(expected);
    deep_tensor_free(outputs);
    deep_model_free(model);
}
END_TEST

START_TEST(golden_uncompiled_loads)
{
    size_t length;
    uint8_t *bytes = golden("v1/uncompiled.safetensors", &length);
    deep_model *model = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, (int64_t)length, &model));
    int32_t count;
    ASSERT_OK(deep_model_layer_count(model, &count));
    ck_assert_int_eq(count, 11);
    deep_model *fresh = fixture_all_layers(7);
    char *sa = summary(model), *sb = summary(fresh);
    ck_assert_str_eq(sa, sb);
    free(sa);
    free(sb);
    free(bytes);
    deep_model_free(model);
    deep_model_free(fresh);
}
END_TEST

/* ---- corruption ----------------------------------------------------------------------- */

static void assert_rejected(const uint8_t *bytes, size_t length, const char *what, size_t at)
{
    deep_model *model = (deep_model *)&model;
    deep_clear_error();
    deep_status status = deep_model_load_buffer(bytes, (int64_t)length, &model);
    ck_assert_msg(status == DEEP_ERR_FORMAT, "%s at %zu: %s (%s)", what, at, deep_status_string(status),
                  deep_last_error());
    ck_assert_msg(model == NULL, "%s at %zu: *out not NULL", what, at);
    ck_assert_msg(names_function(deep_last_error(), "deep_model_load_buffer"), "%s at %zu: message \"%s\"", what, at,
                  deep_last_error());
}

/* Every truncation, and every byte changed by `flips` (all 255 other values when 0). */
static void corrupt_everywhere(const char *name, int flips)
{
    size_t length;
    uint8_t *bytes = golden(name, &length);
    uint8_t *copy = malloc(length);
    for (size_t n = 0; n < length; n++)
        assert_rejected(bytes, n, "truncation", n);
    static const uint8_t some[] = {0xFF, 0x01, 0x20};
    for (size_t at = 0; at < length; at++) {
        memcpy(copy, bytes, length);
        for (int k = 0; k < (flips ? flips : 255); k++) {
            copy[at] = flips ? (uint8_t)(bytes[at] ^ some[k]) : (uint8_t)(bytes[at] + 1 + k);
            if (copy[at] != bytes[at])
                assert_rejected(copy, length, "corruption", at);
        }
    }
    free(copy);
    free(bytes);
}

START_TEST(every_truncation_and_some_corruptions)
{
    corrupt_everywhere("v1/tiny.safetensors", 3);
    corrupt_everywhere("v1/all-layers.safetensors", 1);
}
END_TEST

START_TEST(every_single_byte_corruption)
{
    corrupt_everywhere("v1/tiny.safetensors", 0);
}
END_TEST

START_TEST(load_reports_file_and_offset)
{
    scratch s;
    scratch_open(&s, "cut.safetensors");
    size_t length;
    uint8_t *bytes = golden("v1/tiny.safetensors", &length);
    write_all(s.path, bytes, length - 1);
    deep_model *m = (deep_model *)&m;
    ASSERT_FAILS_WITH(deep_model_load(s.path, &m), DEEP_ERR_FORMAT, "deep_model_load", "cut.safetensors");
    ck_assert_ptr_null(m);
    bytes[length - 1] ^= 1;
    write_all(s.path, bytes, length);
    ASSERT_FAILS_WITH(deep_model_load(s.path, &m), DEEP_ERR_FORMAT, "deep_model_load", "checksum mismatch");
    write_all(s.path, bytes, 0);
    ASSERT_FAILS_WITH(deep_model_load(s.path, &m), DEEP_ERR_FORMAT, "deep_model_load", "too few");
    free(bytes);
    scratch_close(&s);
}
END_TEST

/* ---- field-by-field validation: edits with a valid checksum --------------------------- */

/* Recomputes "libdeep.checksum" after an edit, as a careless tool could. */
static void refresh_checksum(uint8_t *bytes, size_t length)
{
    const char *key = "\"libdeep.checksum\": \"";
    uint8_t *at = NULL;
    for (size_t i = 0; i + strlen(key) < length && at == NULL; i++)
        if (memcmp(bytes + i, key, strlen(key)) == 0)
            at = bytes + i + strlen(key);
    ck_assert_ptr_nonnull(at);
    size_t skip = (size_t)(at - bytes);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, bytes, (uInt)skip);
    crc = crc32(crc, bytes + skip + 8, (uInt)(length - skip - 8));
    char hex[9];
    snprintf(hex, sizeof hex, "%08lx", crc);
    memcpy(at, hex, 8);
}

/* Replaces the first `from` by `to` (same length) in the tiny golden file, fixes the
 * checksum, and expects the load to fail with `fragment` in the message. */
static void edited_rejected(const char *from, const char *to, deep_status expected, const char *fragment)
{
    size_t length, n = strlen(from);
    ck_assert_int_eq(n, strlen(to));
    uint8_t *bytes = golden("v1/tiny.safetensors", &length);
    bool found = false;
    for (size_t i = 0; i + n <= length && !found; i++)
        if (memcmp(bytes + i, from, n) == 0) {
            memcpy(bytes + i, to, n);
            found = true;
        }
    ck_assert_msg(found, "'%s' is not in the file", from);
    refresh_checksum(bytes, length);
    deep_model *m = (deep_model *)&m;
    ASSERT_FAILS_WITH(deep_model_load_buffer(bytes, (int64_t)length, &m), expected, "deep_model_load_buffer",
                      fragment);
    ck_assert_ptr_null(m);
    free(bytes);
}

START_TEST(validates_every_field)
{
    /* The file itself loads once its checksum is recomputed without edits. */
    edited_rejected("\"libdeep.format_version\": \"1\"", "\"libdeep.format_version\": \"2\"", DEEP_ERR_FORMAT,
                    "version \"2\" is not supported");
    edited_rejected("\"libdeep.format\": \"model\"", "\"libdeep.format\": \"mode_\"", DEEP_ERR_FORMAT,
                    "not a libdeep model");
    edited_rejected("\\\"type\\\": \\\"dense\\\"", "\\\"type\\\": \\\"dunse\\\"", DEEP_ERR_FORMAT,
                    "unknown layer type 'dunse'");
    edited_rejected("\\\"units\\\": 3", "\\\"units\\\": 0", DEEP_ERR_FORMAT, "units is 0");
    edited_rejected("\\\"units\\\": 3", "\\\"unitz\\\": 3", DEEP_ERR_FORMAT, "unknown config field 'unitz'");
    edited_rejected("\\\"units\\\": 3", "\\\"units\\\"::3", DEEP_ERR_FORMAT, "malformed");
    edited_rejected("\\\"use_bias\\\": true", "\\\"use_bias\\\": 1234", DEEP_ERR_FORMAT, "must be true or false");
    edited_rejected("\\\"activation\\\": \\\"relu\\\"", "\\\"activation\\\": \\\"relx\\\"", DEEP_ERR_FORMAT,
                    "must be an activation name");
    edited_rejected("\\\"name\\\": \\\"dense_1\\\"", "\\\"name\\\": \\\"dense_9\\\"", DEEP_ERR_FORMAT,
                    "is named 'dense_9'");
    edited_rejected("\\\"momentum\\\": 0.899999976", "\\\"momentum\\\": 1.899999976", DEEP_ERR_FORMAT,
                    "momentum of SGD must be in [0, 1)");
    edited_rejected("\\\"momentum\\\": 0.899999976", "\\\"beta_1\\\":   0.899999976", DEEP_ERR_FORMAT,
                    "'beta_1', which SGD does not take");
    edited_rejected("\\\"loss\\\": \\\"binary_crossentropy\\\"", "\\\"loss\\\": \\\"binary_crossentropx\\\"",
                    DEEP_ERR_FORMAT, "compile.loss is not a known loss");
    edited_rejected("\\\"metrics\\\": [\\\"accuracy\\\"]", "\\\"metrics\\\": [\\\"accuracx\\\"]", DEEP_ERR_FORMAT,
                    "compile.metrics[0]");
    edited_rejected("\\\"seed\\\": \\\"3\\\"", "\\\"seed\\\": \\\"x\\\"", DEEP_ERR_FORMAT, "settings.seed");
    edited_rejected("\\\"threads\\\": 1", "\\\"threads\\\": -", DEEP_ERR_FORMAT, "malformed");
    edited_rejected("\\\"initial_epoch\\\": 0", "\\\"initial_epoch\\\": -", DEEP_ERR_FORMAT, "malformed");
    edited_rejected("\\\"early_stopping\\\": null", "\\\"early_stopping\\\": true", DEEP_ERR_FORMAT,
                    "training.early_stopping is not an object");
    edited_rejected("\\\"iterations\\\": 8", "\\\"iterations\\\": -", DEEP_ERR_FORMAT, "malformed");
    edited_rejected("\\\"input_shape\\\": [2]", "\\\"input_shape\\\": [3]", DEEP_ERR_FORMAT,
                    "tensor 'dense/kernel' has shape (2, 3) but layer 0 (dense) needs (3, 3)");
    edited_rejected("\"dense/bias\"", "\"dense/bia_\"", DEEP_ERR_FORMAT, "tensor 'dense/bias' is missing");
    edited_rejected("\"dtype\": \"F32\"", "\"dtype\": \"F16\"", DEEP_ERR_FORMAT, "dtype F16");
    edited_rejected("\"data_offsets\": [0, 24]", "\"data_offsets\": [4, 28]", DEEP_ERR_FORMAT,
                    "leave a hole at byte 4");
    edited_rejected("\"data_offsets\": [24, 36]", "\"data_offsets\": [20, 32]", DEEP_ERR_FORMAT,
                    "overlap at byte 20");
    edited_rejected("\"shape\": [2, 3]", "\"shape\": [3, 3]", DEEP_ERR_FORMAT, "takes 36 bytes, not 24");
    edited_rejected("{\"__metadata__\"", "[\"__metadata__\"", DEEP_ERR_FORMAT, "does not start with '{'");
}
END_TEST

/* Blanks the first `from` in bytes (with spaces, which JSON skips); false when absent. */
static bool blank_out(uint8_t *bytes, size_t length, const char *from)
{
    size_t n = strlen(from);
    for (size_t i = 0; i + n <= length; i++)
        if (memcmp(bytes + i, from, n) == 0) {
            memset(bytes + i, ' ', n);
            return true;
        }
    return false;
}

static bool has_text(const uint8_t *bytes, size_t length, const char *text)
{
    for (size_t i = 0; i + strlen(text) <= length; i++)
        if (memcmp(bytes + i, text, strlen(text)) == 0)
            return true;
    return false;
}

/* Files written before Embedding's mask_zero and the GRU's reset_after existed lack those
 * fields: they load with Keras' defaults (false, true). */
START_TEST(configs_without_later_fields_load_with_defaults)
{
    deep_model *model = recurrent_model(1);
    int64_t length = 0;
    uint8_t *bytes = to_buffer(model, &length);
    ck_assert(blank_out(bytes, (size_t)length, ", \\\"mask_zero\\\": true"));
    ck_assert(blank_out(bytes, (size_t)length, ", \\\"reset_after\\\": true"));
    refresh_checksum(bytes, (size_t)length);
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, length, &loaded));
    int64_t again = 0;
    uint8_t *resaved = to_buffer(loaded, &again);
    ck_assert(has_text(resaved, (size_t)again, "\\\"mask_zero\\\": false"));
    ck_assert(has_text(resaved, (size_t)again, "\\\"reset_after\\\": true"));
    free(bytes);
    free(resaved);
    deep_model_free(model);
    deep_model_free(loaded);
}
END_TEST

/* Each loss after the cross-entropies (loop index + 5) under its Keras name; Huber's delta
 * (written only when not 1.0) comes back; one more epoch on both gives the same weights. */
static const char *const keras_loss_names[] = {"mean_absolute_error", "mean_absolute_percentage_error", "huber",
                                               "log_cosh", "hinge", "squared_hinge", "categorical_hinge",
                                               "kl_divergence", "poisson", "cosine_similarity"};

START_TEST(round_trip_every_keras_loss)
{
    const deep_loss loss = (deep_loss)(DEEP_LOSS_MEAN_ABSOLUTE_ERROR + _i);
    deep_model *model = fixture_tiny(3 + (uint64_t)_i);
    if (loss == DEEP_LOSS_HUBER)
        ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_HUBER_DELTA, 0.375));
    fixture_compile(model, DEEP_OPTIMIZER_ADAM, loss);
    deep_dataset *data = fixture_points(16, 2);
    ASSERT_OK(deep_model_fit(model, data, 1, 8, NULL));
    int64_t length;
    uint8_t *buffer = to_buffer(model, &length);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\\\"loss\\\": \\\"%s\\\"", keras_loss_names[_i]);
    ck_assert_msg(has_text(buffer, (size_t)length, quoted), "the file does not hold %s", quoted);
    ck_assert(has_text(buffer, (size_t)length, "huber_delta") == (loss == DEEP_LOSS_HUBER));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(buffer, length, &loaded));
    double delta = 0;
    ASSERT_OK(deep_model_get_float(loaded, DEEP_MODEL_HUBER_DELTA, &delta));
    ck_assert(delta == (loss == DEEP_LOSS_HUBER ? 0.375 : 1.0));
    ASSERT_OK(deep_model_fit(model, data, 1, 8, NULL));
    ASSERT_OK(deep_model_fit(loaded, data, 1, 8, NULL));
    assert_same_weights(model, loaded);
    free(buffer);
    deep_model_free(model);
    deep_model_free(loaded);
    deep_dataset_free(data);
}
END_TEST

/* A bad huber_delta is refused with the field named. */
START_TEST(bad_huber_delta_is_refused)
{
    deep_model *model = fixture_tiny(1);
    ASSERT_OK(deep_model_set_float(model, DEEP_MODEL_HUBER_DELTA, 0.5));
    fixture_compile(model, DEEP_OPTIMIZER_SGD, DEEP_LOSS_HUBER);
    int64_t length;
    uint8_t *bytes = to_buffer(model, &length);
    const char *from = "huber_delta\\\": 0.5", *to = "huber_delta\\\": 0e0"; /* 0: not > 0 */
    ck_assert(has_text(bytes, (size_t)length, from));
    for (size_t i = 0; i + strlen(from) <= (size_t)length; i++)
        if (memcmp(bytes + i, from, strlen(from)) == 0)
            memcpy(bytes + i, to, strlen(to));
    refresh_checksum(bytes, (size_t)length);
    deep_model *loaded = NULL;
    ASSERT_FAILS_WITH(deep_model_load_buffer(bytes, length, &loaded), DEEP_ERR_FORMAT, "deep_model_load_buffer",
                      "huber_delta");
    ck_assert_ptr_null(loaded);
    free(bytes);
    deep_model_free(model);
}
END_TEST

START_TEST(rejects_non_finite_weights_and_foreign_files)
{
    /* A NaN in the first weight, with a valid checksum. */
    size_t length;
    uint8_t *bytes = golden("v1/tiny.safetensors", &length);
    uint64_t header = 0;
    for (int i = 0; i < 8; i++)
        header |= (uint64_t)bytes[i] << (8 * i);
    const uint8_t nan[4] = {0x00, 0x00, 0xC0, 0x7F};
    memcpy(bytes + 8 + header, nan, 4);
    refresh_checksum(bytes, length);
    deep_model *m = (deep_model *)&m;
    ASSERT_FAILS_WITH(deep_model_load_buffer(bytes, (int64_t)length, &m), DEEP_ERR_FORMAT, "deep_model_load_buffer",
                      "tensor 'dense/kernel' holds a non-finite value at element 0");
    free(bytes);

    /* A valid safetensors file from another tool, without libdeep's metadata. */
    const char foreign_header[] = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}   ";
    uint8_t foreign[8 + sizeof foreign_header - 1 + 4] = {sizeof foreign_header - 1};
    memcpy(foreign + 8, foreign_header, sizeof foreign_header - 1);
    ASSERT_FAILS_WITH(deep_model_load_buffer(foreign, (int64_t)sizeof foreign, &m), DEEP_ERR_FORMAT,
                      "deep_model_load_buffer", "not a file libdeep wrote");
    ASSERT_FAILS_WITH(deep_model_load_buffer("DEEPTREE\1\0\0\0\0\0\0\0", 16, &m), DEEP_ERR_FORMAT,
                      "deep_model_load_buffer", "header length");
}
END_TEST

/* ---- crafted files: hostile sizes with a valid checksum -------------------------------- */

/* Model files built from scratch, as an attacker would: a description whose sizes overflow
 * or are huge, no tensors, a correct checksum. Each is written to tests/golden/corrupt/ by
 * `test_modelio write-corrupt DIR` (the README there says what each is) and must be refused
 * with DEEP_ERR_FORMAT and the fragment given, quickly and without a large allocation. */
#define CONV2D(kernel, strides, padding)                                                                   \
    "{'type': 'conv2d', 'name': 'conv2d', 'config': {'filters': 1, 'kernel_size': " kernel ", 'strides': " \
    strides ", 'padding': '" padding "', 'activation': 'linear', 'use_bias': true}}"
#define RECURRENT_CONFIG(units)                                                                            \
    "{'units': " units ", 'activation': 'tanh', 'use_bias': true, 'return_sequences': false, "             \
    "'go_backwards': false, 'dropout': 0, 'recurrent_dropout': 0, 'recurrent_activation': 'sigmoid', "     \
    "'unit_forget_bias': true}"
#define SGD_COMPILE                                                                                         \
    "{'loss': 'mean_squared_error', 'metrics': [], 'optimizer': {'class_name': 'SGD', 'iterations': 0, "   \
    "'config': {'learning_rate': 0.01, 'momentum': 0, 'nesterov': 0}}}"

static const struct crafted {
    const char *file;        /* its name in tests/golden/corrupt */
    const char *input_shape; /* JSON, with ' for " */
    const char *layers;
    const char *compile;
    const char *fragment;    /* what the refusal says */
} crafted[] = {
    {"conv2d-kernel-2p32-same.safetensors", "[28, 28, 1]", CONV2D("[4294967296, 4294967296]", "[1, 1]", "same"),
     "null", "layer 0 (conv2d): kernel_size 4294967296 exceeds the input height 28"},
    {"conv2d-kernel-int64max.safetensors", "[28, 28, 1]", CONV2D("[9223372036854775807, 1]", "[1, 1]", "valid"),
     "null", "layer 0 (conv2d): kernel_size 9223372036854775807 exceeds the input height 28"},
    {"conv2d-im2col-too-large.safetensors", "[2048, 2048, 1]", CONV2D("[64, 64]", "[1, 1]", "same"), "null",
     "layer 0 (conv2d): kernel_size 64 x 64 over 1 channels at 2048 x 2048 output positions takes more than"},
    {"max-pooling-stride-int64max.safetensors", "[28, 28, 1]",
     "{'type': 'max_pooling2d', 'name': 'max_pooling2d', 'config': {'pool_size': [2, 2], 'strides': "
     "[9223372036854775807, 9223372036854775807], 'padding': 'same'}}",
     "null", "layer 0 (max_pooling2d): strides 9223372036854775807 x 9223372036854775807 must be in 1..2147483647"},
    {"input-rank-8.safetensors", "[1, 1, 1, 1, 1, 1, 1, 1]", "", "null", "input_shape must be an array of 1 to 7"},
    {"input-too-large.safetensors", "[65536, 65536]", "", "null",
     "input_shape (65536, 65536) has more than 2147483647 elements per sample"},
    {"dense-kernel-overflow.safetensors", "[2147483647]",
     "{'type': 'dense', 'name': 'dense', 'config': {'units': 2147483647, 'activation': 'linear', 'use_bias': true}}",
     "null", "layer 0 (dense): weight 'kernel' of shape (2147483647, 2147483647) has more than 2147483647"},
    {"embedding-overflow.safetensors", "[4]",
     "{'type': 'embedding', 'name': 'embedding', 'config': {'input_dim': 2147483647, 'output_dim': 2147483647, "
     "'input_length': 0, 'mask_zero': false}}",
     "null", "layer 0 (embedding): weight 'embeddings' of shape (2147483647, 2147483647) has more than"},
    {"lstm-units-overflow.safetensors", "[2, 3]",
     "{'type': 'lstm', 'name': 'lstm', 'config': " RECURRENT_CONFIG("2147483647") "}", "null",
     "layer 0 (lstm): LSTM of 2147483647 units over 3 features is too large"},
    {"huge-dense-compiled.safetensors", "[40000]",
     "{'type': 'dense', 'name': 'dense', 'config': {'units': 40000, 'activation': 'linear', 'use_bias': false}}",
     SGD_COMPILE, "tensor 'dense/kernel' is missing: layer 0 (dense) needs (40000, 40000), 1600000000 floats"},
};

/* The whole file of a crafted entry, its checksum right; NULL if it does not fit the
 * buffers. No Check calls: `write-corrupt` runs it outside any test. */
static uint8_t *crafted_file(const struct crafted *c, size_t *length)
{
    char model[2048];
    int n = snprintf(model, sizeof model,
                     "{'library_version': '0.4.0', 'input_shape': %s, 'layers': [%s], 'compile': %s, 'settings': "
                     "{'seed': '1', 'threads': 1, 'shuffle': true, 'validation_split': 0, "
                     "'early_stopping_patience': 0, 'early_stopping_min_delta': 0, 'verbose': false}, 'training': "
                     "{'initial_epoch': 0, 'rng': ['1', '2', '3', '4'], 'early_stopping': null}}",
                     c->input_shape, c->layers, c->compile);
    if (n <= 0 || n >= (int)sizeof model)
        return NULL;
    char header[2 * sizeof model + 256]; /* every quote of the model doubles; the rest is fixed text */
    const char *key = "\", \"libdeep.checksum\": \"";
    size_t h = (size_t)snprintf(header, sizeof header,
                                "{\"__metadata__\": {\"libdeep.format\": \"model\", \"libdeep.format_version\": "
                                "\"1\", \"libdeep.model\": \"");
    for (const char *ch = model; *ch; ch++) {
        if (*ch == '\'')
            header[h++] = '\\', header[h++] = '"';
        else
            header[h++] = *ch;
    }
    size_t digits = 8 + h + strlen(key);
    h += (size_t)snprintf(header + h, sizeof header - h, "%s00000000\"}}", key);
    while ((8 + h) % 8 != 0)
        header[h++] = ' ';
    uint8_t *bytes = malloc(8 + h);
    for (int i = 0; i < 8; i++)
        bytes[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(bytes + 8, header, h);
    *length = 8 + h;
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, bytes, (uInt)digits);
    crc = crc32(crc, bytes + digits + 8, (uInt)(*length - digits - 8));
    char hex[9];
    snprintf(hex, sizeof hex, "%08lx", crc);
    memcpy(bytes + digits, hex, 8);
    return bytes;
}

START_TEST(crafted_files_are_refused)
{
    const struct crafted *c = &crafted[_i];
    size_t length;
    uint8_t *bytes = crafted_file(c, &length);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_msg(length < 1024, "%s: %zu bytes", c->file, length);
    deep_model *m = (deep_model *)&m;
    ASSERT_FAILS_WITH(deep_model_load_buffer(bytes, (int64_t)length, &m), DEEP_ERR_FORMAT, "deep_model_load_buffer",
                      c->fragment);
    ck_assert_ptr_null(m);
    /* The same through a file, and the copy kept in tests/golden/corrupt is this file. */
    scratch s;
    scratch_open(&s, c->file);
    write_all(s.path, bytes, length);
    m = (deep_model *)&m;
    ASSERT_FAILS_WITH(deep_model_load(s.path, &m), DEEP_ERR_FORMAT, "deep_model_load", c->fragment);
    ck_assert_ptr_null(m);
    scratch_close(&s);
    char name[256];
    snprintf(name, sizeof name, "corrupt/%s", c->file);
    size_t kept_length;
    uint8_t *kept = golden(name, &kept_length);
    ck_assert_msg(kept_length == length && memcmp(kept, bytes, length) == 0,
                  "tests/golden/corrupt/%s differs from the crafted file; rewrite it with test_modelio write-corrupt",
                  c->file);
    free(kept);
    free(bytes);
}
END_TEST

/* Every file of tests/golden/corrupt (the crafted ones above and any added by hand) is
 * refused by deep_model_load with a message naming it, and leaves *out NULL. */
START_TEST(corrupt_folder_is_refused)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/corrupt", DEEP_GOLDEN_DIR);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        deep_model *m = (deep_model *)&m;
        deep_clear_error();
        deep_status status = deep_model_load(path, &m);
        ck_assert_msg(status == DEEP_ERR_FORMAT, "%s: %s, not DEEP_ERR_FORMAT", e->d_name, deep_status_string(status));
        ck_assert_msg(names_function(deep_last_error(), "deep_model_load"), "%s: message \"%s\"", e->d_name,
                      deep_last_error());
        ck_assert_ptr_null(m);
        files++;
    }
    closedir(d);
    ck_assert_int_ge(files, COUNT_OF(crafted));
}
END_TEST

/* `test_modelio write-corrupt DIR` writes the crafted files into DIR. */
static int write_corrupt(const char *dir)
{
    for (int i = 0; i < COUNT_OF(crafted); i++) {
        size_t length;
        uint8_t *bytes = crafted_file(&crafted[i], &length);
        if (bytes == NULL)
            return 1;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, crafted[i].file);
        FILE *f = fopen(path, "wb");
        if (f == NULL || fwrite(bytes, 1, length, f) != length || fclose(f) != 0) {
            perror(path);
            return 1;
        }
        free(bytes);
    }
    return 0;
}

/* ---- misuse --------------------------------------------------------------------------- */

START_TEST(misuse)
{
    deep_model *m = fixture_tiny(1), *out = (deep_model *)&out;
    int64_t needed = -1;
    char buffer[16];
    ASSERT_FAILS(deep_model_save(NULL, "x"), DEEP_ERR_NULL, "deep_model_save");
    ASSERT_FAILS(deep_model_save(m, NULL), DEEP_ERR_NULL, "deep_model_save");
    ASSERT_FAILS(deep_model_save_buffer(NULL, buffer, 16, &needed), DEEP_ERR_NULL, "deep_model_save_buffer");
    ck_assert_int_eq(needed, 0);
    ASSERT_FAILS(deep_model_save_buffer(m, buffer, 16, NULL), DEEP_ERR_NULL, "deep_model_save_buffer");
    ASSERT_FAILS(deep_model_save_buffer(m, NULL, 16, &needed), DEEP_ERR_NULL, "deep_model_save_buffer");
    ASSERT_FAILS(deep_model_save_buffer(m, buffer, -1, &needed), DEEP_ERR_INVALID_ARGUMENT, "deep_model_save_buffer");
    ASSERT_FAILS(deep_model_save_buffer(m, buffer, 16, &needed), DEEP_ERR_BUFFER_TOO_SMALL, "deep_model_save_buffer");
    ck_assert_int_gt(needed, 16);
    ASSERT_FAILS(deep_model_load(NULL, &out), DEEP_ERR_NULL, "deep_model_load");
    ck_assert_ptr_null(out);
    ASSERT_FAILS(deep_model_load("x", NULL), DEEP_ERR_NULL, "deep_model_load");
    ASSERT_FAILS_WITH(deep_model_load("/nonexistent-dir/model.safetensors", &out), DEEP_ERR_IO, "deep_model_load",
                      "cannot open '/nonexistent-dir/model.safetensors'");
    out = (deep_model *)&out;
    ASSERT_FAILS(deep_model_load_buffer(NULL, 10, &out), DEEP_ERR_NULL, "deep_model_load_buffer");
    ck_assert_ptr_null(out);
    ASSERT_FAILS(deep_model_load_buffer(buffer, 10, NULL), DEEP_ERR_NULL, "deep_model_load_buffer");
    ASSERT_FAILS(deep_model_load_buffer(buffer, -1, &out), DEEP_ERR_INVALID_ARGUMENT, "deep_model_load_buffer");
    ASSERT_FAILS_WITH(deep_model_load_buffer(buffer, 0, &out), DEEP_ERR_FORMAT, "deep_model_load_buffer",
                      "the buffer");
    deep_model_free(m);
}
END_TEST

/* ---- the JSON parser ------------------------------------------------------------------ */

static bool parses(const char *text)
{
    deep_json doc;
    bool ok = deep_json_parse(&doc, text, strlen(text));
    ck_assert(!doc.no_memory);
    deep_json_free(&doc);
    return ok;
}

START_TEST(json_parser)
{
    const char *good[] = {"{}", "[]", " {\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00e9\\ud83d\\ude00\"]} ",
                          "0", "-0", "\"\"", "{\"a\": {\"b\": {}}}"};
    for (int i = 0; i < COUNT_OF(good); i++)
        ck_assert_msg(parses(good[i]), "%s", good[i]);
    const char *bad[] = {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "1e", "+1", "\"abc", "\"\\x\"",
                         "\"\\ud800\"", "\"\\udc00\"", "\"\\u0000\"", "\"\\u12g4\"", "\"a\tb\"", "{1: 2}",
                         "{\"a\" 1}", "[1 2]", "tru", "nul", "[] []", "{\"a\": }"};
    for (int i = 0; i < COUNT_OF(bad); i++)
        ck_assert_msg(!parses(bad[i]), "%s", bad[i]);
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep_json doc;
    ck_assert(!deep_json_parse(&doc, deep, sizeof deep));
    ck_assert(strstr(doc.error, "nested") != NULL);
    deep_json_free(&doc);

    const char *numbers = "[9223372036854775807, -9223372036854775808, 9223372036854775808, 1.5, 1e400, 3]";
    ck_assert(deep_json_parse(&doc, numbers, strlen(numbers)));
    const deep_json_node *v = deep_json_at(&doc, deep_json_root(&doc)->first);
    int64_t i64;
    double d;
    float f;
    ck_assert(deep_json_int(&doc, v, &i64) && i64 == INT64_MAX);
    v = deep_json_at(&doc, v->next);
    ck_assert(deep_json_int(&doc, v, &i64) && i64 == INT64_MIN);
    v = deep_json_at(&doc, v->next);
    ck_assert(!deep_json_int(&doc, v, &i64));
    v = deep_json_at(&doc, v->next);
    ck_assert(!deep_json_int(&doc, v, &i64));
    ck_assert(deep_json_double(&doc, v, &d) && d == 1.5);
    v = deep_json_at(&doc, v->next);
    ck_assert(!deep_json_double(&doc, v, &d));
    ck_assert(!deep_json_float(&doc, v, &f));
    v = deep_json_at(&doc, v->next);
    ck_assert(deep_json_float(&doc, v, &f) && f == 3.0f);
    ck_assert_ptr_null(deep_json_at(&doc, v->next));
    deep_json_free(&doc);

    const char *text = "{\"k\\u00e9y\": \"v\\\"al\"}";
    ck_assert(deep_json_parse(&doc, text, strlen(text)));
    const deep_json_node *member = deep_json_at(&doc, deep_json_root(&doc)->first);
    ck_assert_str_eq(deep_json_key(&doc, member), "k\xc3\xa9y");
    ck_assert_str_eq(deep_json_string(&doc, member), "v\"al");
    deep_json_free(&doc);
}
END_TEST

static Suite *modelio_suite(bool exhaustive)
{
    Suite *suite = suite_create("modelio");
    if (exhaustive) {
        TCase *tc = tcase_create("exhaustive");
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, every_single_byte_corruption);
        suite_add_tcase(suite, tc);
        return suite;
    }
    TCase *round = tcase_create("round trips");
    tcase_set_timeout(round, 120);
    tcase_add_loop_test(round, round_trip_every_layer_and_optimizer, 0, COUNT_OF(all_kinds));
    tcase_add_loop_test(round, round_trip_recurrent_layers, 0, 3);
    tcase_add_test(round, round_trip_buffer);
    tcase_add_loop_test(round, round_trip_every_activation, 0, DEEP_ACTIVATION_LOG_SOFTMAX + 1);
    tcase_add_loop_test(round, round_trip_every_keras_loss, 0, DEEP_LOSS_COSINE_SIMILARITY - DEEP_LOSS_MEAN_ABSOLUTE_ERROR + 1);
    tcase_add_test(round, bad_huber_delta_is_refused);
    tcase_add_test(round, uncompiled_loads_uncompiled);
    tcase_add_test(round, empty_model_round_trips);
    suite_add_tcase(suite, round);

    TCase *ckpt = tcase_create("checkpoints");
    tcase_set_timeout(ckpt, 120);
    tcase_add_test(ckpt, checkpoint_resume_matches_uninterrupted_run);
    tcase_add_loop_test(ckpt, checkpoint_resume_with_early_stopping, 0, 6);
    tcase_add_test(ckpt, checkpoint_periods_and_initial_epoch);
    tcase_add_test(ckpt, checkpoint_misuse);
    suite_add_tcase(suite, ckpt);

    TCase *files = tcase_create("files");
    tcase_set_timeout(files, 300);
    tcase_add_test(files, failed_save_keeps_previous_file);
    tcase_add_loop_test(files, golden_files_predict_recorded_outputs, 0, COUNT_OF(golden_trained));
    tcase_add_test(files, golden_uncompiled_loads);
    tcase_add_test(files, every_truncation_and_some_corruptions);
    tcase_add_test(files, load_reports_file_and_offset);
    tcase_add_test(files, validates_every_field);
    tcase_add_test(files, configs_without_later_fields_load_with_defaults);
    tcase_add_test(files, rejects_non_finite_weights_and_foreign_files);
    tcase_add_test(files, misuse);
    tcase_add_test(files, json_parser);
    tcase_add_loop_test(files, crafted_files_are_refused, 0, COUNT_OF(crafted));
    tcase_add_test(files, corrupt_folder_is_refused);
    suite_add_tcase(suite, files);
    return suite;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "write-corrupt") == 0)
        return write_corrupt(argv[2]);
    return run_suite(modelio_suite(argc > 1 && strcmp(argv[1], "exhaustive") == 0), CK_NORMAL);
}
