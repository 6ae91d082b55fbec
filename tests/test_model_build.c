/* Keras' input shape rule (since 1.2): fit, evaluate and predict take samples of the
 * model's input shape (or flat ones, 1.x), and refuse other shapes with the same count
 * naming the axis; and deep_model_build: weights before compile, kept by the first
 * compile, re-initialised by a second. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "deep.h"

#define CHECK_NAMES_FUNCTION names_function_detailed
#include "check_helpers.h"

#define SAYS(text) \
    ck_assert_msg(strstr(deep_last_error(), (text)) != NULL, "message '%s' lacks '%s'", deep_last_error(), (text))

/* (4, 4, 3) -> Conv2D(2, 3x3) -> Flatten [-> Dropout(0.5)] -> Dense(3, softmax), seeded. */
static deep_model *model_with(uint64_t seed, bool dropout)
{
    deep_model *m = NULL;
    OK(deep_model_new(3, (const int64_t[]){4, 4, 3}, &m));
    OK(deep_model_set_seed(m, seed));
    OK(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    OK(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    OK(deep_model_add_conv2d(m, 2, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
    OK(deep_model_add_flatten(m));
    if (dropout)
        OK(deep_model_add_dropout(m, 0.5));
    OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    return m;
}

static deep_model *image_model(uint64_t seed)
{
    return model_with(seed, false);
}

static void compile_sgd(deep_model *m)
{
    deep_optimizer *opt = NULL;
    OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    OK(deep_model_compile(m, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
}

static float values[6 * 48];

static deep_dataset *images(int32_t rank, const int64_t *shape)
{
    for (int i = 0; i < 6 * 48; i++)
        values[i] = (float)((i * 7) % 11) / 11.0f;
    deep_dataset *d = NULL;
    OK(deep_dataset_new(6, rank, shape, values, &d));
    OK(deep_dataset_set_labels(d, (const int32_t[]){0, 1, 2, 0, 1, 2}, 6, 3));
    return d;
}

static deep_tensor *batch(int32_t rank, const int64_t *shape)
{
    int64_t count = 1;
    for (int32_t k = 0; k < rank; k++)
        count *= shape[k];
    deep_tensor *t = NULL;
    OK(deep_tensor_new_from(rank, shape, values, count, &t));
    return t;
}

START_TEST(channels_first_refused)
{
    deep_model *m = image_model(1);
    compile_sgd(m);
    deep_dataset *first = images(3, (const int64_t[]){3, 4, 4}); /* channels-first: 48 values too */
    FAILS(deep_model_fit(m, first, 1, 2, NULL), DEEP_ERR_SHAPE, "deep_model_fit");
    SAYS("a sample has shape (3, 4, 4) but the model's input is (4, 4, 3): sample axis 0 has 3 entries, not 4");
    SAYS("channels-first");
    double v[1];
    int64_t needed = -1;
    FAILS(deep_model_evaluate(m, first, 2, v, 1, &needed), DEEP_ERR_SHAPE, "deep_model_evaluate");
    ck_assert_int_eq(needed, 0);
    deep_tensor *t = batch(4, (const int64_t[]){6, 3, 4, 4}), *out = NULL;
    FAILS(deep_model_predict(m, t, &out), DEEP_ERR_SHAPE, "deep_model_predict");
    SAYS("batch axis 1 has 3 entries, not 4");
    SAYS("transpose them, a batch's axes as (0, 2, 3, 1)");
    ck_assert_ptr_null(out);
    float buffer[18];
    FAILS(deep_model_predict_on_batch(m, t, buffer, 18, &needed), DEEP_ERR_SHAPE, "deep_model_predict_on_batch");
    SAYS("channels-first");
    /* Another axis order that is not channels-first: named, without the hint. */
    deep_dataset *odd = images(3, (const int64_t[]){4, 3, 4});
    FAILS(deep_model_fit(m, odd, 1, 2, NULL), DEEP_ERR_SHAPE, "deep_model_fit");
    SAYS("sample axis 1 has 3 entries, not 4");
    ck_assert_ptr_null(strstr(deep_last_error(), "channels-first"));
    /* Another rank with the same count: (16, 3) or (48,)-like but not flat. */
    deep_dataset *rank2 = images(2, (const int64_t[]){16, 3});
    FAILS(deep_model_fit(m, rank2, 1, 2, NULL), DEEP_ERR_SHAPE, "deep_model_fit");
    SAYS("of rank 2, but the model's input is (4, 4, 3), of rank 3");
    deep_tensor_free(t);
    deep_dataset_free(rank2);
    deep_dataset_free(odd);
    deep_dataset_free(first);
    deep_model_free(m);
}
END_TEST

START_TEST(own_and_flat_shapes_accepted)
{
    deep_model *m = image_model(2);
    compile_sgd(m);
    deep_dataset *own = images(3, (const int64_t[]){4, 4, 3});
    deep_dataset *flat = images(1, (const int64_t[]){48});
    OK(deep_model_fit(m, own, 1, 3, NULL));
    double a[1], b[1];
    OK(deep_model_evaluate(m, own, 6, a, 1, &(int64_t){0}));
    OK(deep_model_evaluate(m, flat, 6, b, 1, &(int64_t){0})); /* 1.x: flat samples, read row-major */
    ck_assert_double_eq(a[0], b[0]);
    deep_tensor *t4 = batch(4, (const int64_t[]){6, 4, 4, 3}), *t2 = batch(2, (const int64_t[]){6, 48});
    deep_tensor *o4 = NULL, *o2 = NULL;
    OK(deep_model_predict(m, t4, &o4));
    OK(deep_model_predict(m, t2, &o2));
    const float *p4, *p2;
    OK(deep_tensor_data(o4, &p4));
    OK(deep_tensor_data(o2, &p2));
    ck_assert_int_eq(memcmp(p4, p2, 18 * sizeof *p4), 0);
    /* One sample without its batch axis. */
    deep_tensor *one = batch(3, (const int64_t[]){4, 4, 3}), *o1 = NULL;
    FAILS(deep_model_predict(m, one, &o1), DEEP_ERR_SHAPE, "deep_model_predict");
    SAYS("one sample without the batch axis; add a batch axis: shape (1, 4, 4, 3)");
    /* A different count keeps its 1.0 message. */
    deep_tensor *small = batch(2, (const int64_t[]){6, 40}), *o3 = NULL;
    FAILS(deep_model_predict(m, small, &o3), DEEP_ERR_SHAPE, "deep_model_predict");
    SAYS("have 40 features per sample");
    deep_tensor_free(small);
    deep_tensor_free(one);
    deep_tensor_free(o4);
    deep_tensor_free(o2);
    deep_tensor_free(t4);
    deep_tensor_free(t2);
    deep_dataset_free(own);
    deep_dataset_free(flat);
    deep_model_free(m);
}
END_TEST

/* A Dense model takes flat samples: an image-shaped dataset is refused (1.0 took it). */
START_TEST(flat_model_refuses_images)
{
    deep_model *m = NULL;
    OK(deep_model_new(1, (const int64_t[]){48}, &m));
    OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    compile_sgd(m);
    deep_dataset *d = images(3, (const int64_t[]){4, 4, 3});
    FAILS(deep_model_fit(m, d, 1, 2, NULL), DEEP_ERR_SHAPE, "deep_model_fit");
    SAYS("reshape the data explicitly");
    OK(deep_dataset_reshape(d, 1, (const int64_t[]){48}));
    OK(deep_model_fit(m, d, 1, 2, NULL));
    deep_dataset_free(d);
    deep_model_free(m);
}
END_TEST

/* A (1, 4) model and a (1, 4) tensor: one flat sample (as 1.0 read it), not a missing
 * batch axis; predict_on_batch, exact since 1.0, says the batch axis is missing. */
START_TEST(one_step_sample_stays_a_batch)
{
    deep_model *m = NULL;
    OK(deep_model_new(2, (const int64_t[]){1, 4}, &m));
    OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1));
    OK(deep_model_build(m));
    deep_tensor *flat = batch(2, (const int64_t[]){1, 4}), *full = batch(3, (const int64_t[]){1, 1, 4});
    deep_tensor *a = NULL, *b = NULL;
    OK(deep_model_predict(m, flat, &a));
    OK(deep_model_predict(m, full, &b));
    const float *pa, *pb;
    OK(deep_tensor_data(a, &pa));
    OK(deep_tensor_data(b, &pb));
    ck_assert_int_eq(memcmp(pa, pb, 2 * sizeof *pa), 0);
    compile_sgd(m);
    float out[2];
    int64_t needed;
    FAILS(deep_model_predict_on_batch(m, flat, out, 2, &needed), DEEP_ERR_SHAPE, "deep_model_predict_on_batch");
    SAYS("without the batch axis");
    deep_tensor_free(a);
    deep_tensor_free(b);
    deep_tensor_free(flat);
    deep_tensor_free(full);
    deep_model_free(m);
}
END_TEST

static void weights_of(const deep_model *m, int32_t layer, int32_t index, float *dst, int64_t count)
{
    deep_tensor *w = NULL;
    OK(deep_model_get_weight(m, layer, index, &w));
    OK(deep_tensor_copy_to(w, dst, count));
    deep_tensor_free(w);
}

START_TEST(build_before_compile)
{
    deep_model *built = image_model(7), *plain = image_model(7);
    deep_tensor *w = NULL, *x = batch(4, (const int64_t[]){6, 4, 4, 3}), *out = NULL;
    FAILS(deep_model_get_weight(built, 2, 0, &w), DEEP_ERR_STATE, "deep_model_get_weight");
    SAYS("deep_model_build or deep_model_compile");
    FAILS(deep_model_predict(built, x, &out), DEEP_ERR_STATE, "deep_model_predict");
    OK(deep_model_build(built));
    OK(deep_model_build(built)); /* nothing the second time */
    int64_t params = 0;
    OK(deep_model_parameter_count(built, &params));
    ck_assert_int_eq(params, (3 * 3 * 3 * 2 + 2) + (2 * 2 * 2 * 3 + 3));
    OK(deep_model_predict(built, x, &out)); /* no optimizer needed */
    deep_tensor_free(out);
    /* Layers, calls and layer options are fixed once it has weights. */
    FAILS(deep_model_add_dense(built, 2, DEEP_ACTIVATION_LINEAR, 1), DEEP_ERR_STATE, "deep_model_add_dense");
    SAYS("after deep_model_build");
    FAILS(deep_model_set_layer_float(built, 2, DEEP_LAYER_DROPOUT, 0.5), DEEP_ERR_STATE, "deep_model_set_layer_float");
    /* Its weights are those compile would give, from the seed. */
    compile_sgd(plain);
    float a[24], b[24];
    weights_of(built, 2, 0, a, 24);
    weights_of(plain, 2, 0, b, 24);
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    /* Weights set before compile survive the first compile. */
    float mine[24];
    for (int i = 0; i < 24; i++)
        mine[i] = 0.01f * (float)i;
    OK(deep_tensor_new_from(2, (const int64_t[]){8, 3}, mine, 24, &w));
    OK(deep_model_set_weight(built, 2, 0, w));
    deep_tensor_free(w);
    compile_sgd(built);
    weights_of(built, 2, 0, a, 24);
    ck_assert_int_eq(memcmp(a, mine, sizeof a), 0);
    /* A second compile re-initialises, as documented since 1.0. */
    compile_sgd(built);
    weights_of(built, 2, 0, a, 24);
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    ASSERT_FAILS(deep_model_build(NULL), DEEP_ERR_NULL, "deep_model_build");
    deep_tensor_free(x);
    deep_model_free(built);
    deep_model_free(plain);
}
END_TEST

/* Build then compile trains exactly as compile alone: the generator goes on the same. */
START_TEST(build_then_compile_trains_alike)
{
    deep_model *a = model_with(3, true), *b = model_with(3, true);
    OK(deep_model_build(a));
    compile_sgd(a);
    compile_sgd(b);
    deep_dataset *d = images(3, (const int64_t[]){4, 4, 3});
    OK(deep_model_fit(a, d, 2, 2, NULL));
    OK(deep_model_fit(b, d, 2, 2, NULL));
    float wa[24], wb[24];
    weights_of(a, 3, 0, wa, 24);
    weights_of(b, 3, 0, wb, 24);
    ck_assert_int_eq(memcmp(wa, wb, sizeof wa), 0);
    /* copy_weights works between built models too. */
    deep_model *c = model_with(99, true);
    FAILS(deep_model_copy_weights(c, a), DEEP_ERR_STATE, "deep_model_copy_weights");
    OK(deep_model_build(c));
    OK(deep_model_copy_weights(c, a));
    weights_of(c, 3, 0, wb, 24);
    ck_assert_int_eq(memcmp(wa, wb, sizeof wa), 0);
    deep_model_free(c);
    deep_dataset_free(d);
    deep_model_free(a);
    deep_model_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model_build");
    TCase *shapes = tcase_create("input shapes");
    tcase_add_test(shapes, channels_first_refused);
    tcase_add_test(shapes, own_and_flat_shapes_accepted);
    tcase_add_test(shapes, flat_model_refuses_images);
    tcase_add_test(shapes, one_step_sample_stays_a_batch);
    suite_add_tcase(s, shapes);
    TCase *build = tcase_create("build");
    tcase_add_test(build, build_before_compile);
    tcase_add_test(build, build_then_compile_trains_alike);
    suite_add_tcase(s, build);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed == 0 ? 0 : 1;
}
