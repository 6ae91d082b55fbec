/* Tests of the dataset handle, its transforms and the IDX loader. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data.h"
#include "tensor/tensor.h"

/* The call fails with `status` and the message names the public function. */
#define FAILS(expr, status, func)                                                              \
    do {                                                                                       \
        ck_assert_int_eq((expr), (status));                                                    \
        ck_assert_msg(strstr(deep_last_error(), (func)) != NULL, "message '%s' does not name %s", \
                      deep_last_error(), (func));                                              \
    } while (0)

#define OK(expr) ck_assert_int_eq((expr), DEEP_OK)

/* Six samples of shape (2,): sample i is (i, 10 * i); labels i % 3; targets (-i). */
static deep_dataset *six(int with_labels, int with_targets)
{
    float features[12], targets[6];
    int32_t labels[6];
    for (int i = 0; i < 6; i++) {
        features[2 * i] = (float)i;
        features[2 * i + 1] = 10.0f * (float)i;
        labels[i] = i % 3;
        targets[i] = -(float)i;
    }
    deep_dataset *d;
    OK(deep_dataset_new(6, 1, (int64_t[]){2}, features, &d));
    if (with_labels)
        OK(deep_dataset_set_labels(d, labels, 6, 0));
    if (with_targets)
        OK(deep_dataset_set_targets(d, targets, 6, 1));
    return d;
}

/* Every sample of d must be one of six()'s, with its label and target still attached;
 * returns the bit mask of the samples seen. */
static unsigned check_aligned(const deep_dataset *d)
{
    unsigned seen = 0;
    for (int64_t i = 0; i < d->count; i++) {
        float x = d->features[2 * i];
        int k = (int)x;
        ck_assert_float_eq(x, (float)k);
        ck_assert_float_eq(d->features[2 * i + 1], 10.0f * (float)k);
        if (d->labels)
            ck_assert_int_eq(d->labels[i], k % 3);
        if (d->targets)
            ck_assert_float_eq(d->targets[i], -(float)k);
        seen |= 1u << k;
    }
    return seen;
}

/* ---------------------------------------------------------------- construction, queries */

START_TEST(new_and_queries)
{
    const float f[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    deep_dataset *d;
    OK(deep_dataset_new(3, 2, (int64_t[]){2, 2}, f, &d));
    int64_t count, shape[4], width;
    int64_t rank;
    int32_t classes;
    OK(deep_dataset_count(d, &count));
    ck_assert_int_eq(count, 3);
    OK(deep_dataset_sample_shape(d, shape, 4, &rank));
    ck_assert_int_eq(rank, 2);
    ck_assert_int_eq(shape[0], 2);
    ck_assert_int_eq(shape[1], 2);
    OK(deep_dataset_num_classes(d, &classes));
    ck_assert_int_eq(classes, 0);
    OK(deep_dataset_target_width(d, &width));
    ck_assert_int_eq(width, 0);
    int32_t labels[3];
    FAILS(deep_dataset_labels(d, labels, 3, &(int64_t){0}), DEEP_ERR_STATE, "deep_dataset_labels");

    deep_tensor *t;
    OK(deep_dataset_features(d, &t));
    int64_t tshape[3];
    OK(deep_tensor_shape(t, tshape, 3, &(int64_t){0}));
    ck_assert_int_eq(tshape[0], 3);
    ck_assert_int_eq(tshape[1], 2);
    ck_assert_int_eq(tshape[2], 2);
    const float *data;
    OK(deep_tensor_data(t, &data));
    for (int i = 0; i < 12; i++)
        ck_assert_float_eq(data[i], f[i]);
    deep_tensor_free(t);

    /* The dataset copied the features. */
    ck_assert_ptr_ne(d->features, f);
    deep_dataset_free(d);
    deep_dataset_free(NULL);
}
END_TEST

START_TEST(new_misuse)
{
    const float f[4] = {0};
    deep_dataset *d = (deep_dataset *)f;
    FAILS(deep_dataset_new(1, 1, (int64_t[]){4}, f, NULL), DEEP_ERR_NULL, "deep_dataset_new");
    FAILS(deep_dataset_new(1, 1, (int64_t[]){4}, NULL, &d), DEEP_ERR_NULL, "deep_dataset_new");
    ck_assert_ptr_null(d);
    d = (deep_dataset *)f;
    FAILS(deep_dataset_new(1, 1, NULL, f, &d), DEEP_ERR_NULL, "deep_dataset_new");
    ck_assert_ptr_null(d);
    FAILS(deep_dataset_new(0, 1, (int64_t[]){4}, f, &d), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_new");
    FAILS(deep_dataset_new(-2, 1, (int64_t[]){4}, f, &d), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_new");
    FAILS(deep_dataset_new(1, 0, (int64_t[]){4}, f, &d), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_new");
    /* The batch axis needs the last rank. */
    int64_t big_rank[DEEP_MAX_RANK] = {1, 1, 1, 1, 1, 1, 1, 4};
    FAILS(deep_dataset_new(1, DEEP_MAX_RANK, big_rank, f, &d), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_new");
    FAILS(deep_dataset_new(1, 2, (int64_t[]){4, 0}, f, &d), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_new");
    FAILS(deep_dataset_new(1, 1, (int64_t[]){-4}, f, &d), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_new");
    FAILS(deep_dataset_new(INT64_MAX / 2, 1, (int64_t[]){4}, f, &d), DEEP_ERR_OVERFLOW, "deep_dataset_new");
    FAILS(deep_dataset_new(1, 2, (int64_t[]){INT64_MAX / 2, 4}, f, &d), DEEP_ERR_OVERFLOW, "deep_dataset_new");
    ck_assert_ptr_null(d);
}
END_TEST

START_TEST(labels_and_targets)
{
    deep_dataset *d = six(0, 0);
    const int32_t labels[6] = {1, 0, 4, 2, 1, 0};
    OK(deep_dataset_set_labels(d, labels, 6, 0));
    int32_t classes, back[6];
    OK(deep_dataset_num_classes(d, &classes));
    ck_assert_int_eq(classes, 5); /* largest label plus one */
    OK(deep_dataset_labels(d, back, 6, &(int64_t){0}));
    ck_assert_mem_eq(back, labels, sizeof labels);
    OK(deep_dataset_set_labels(d, labels, 6, 7));
    OK(deep_dataset_num_classes(d, &classes));
    ck_assert_int_eq(classes, 7);

    const char *fn = "deep_dataset_set_labels";
    FAILS(deep_dataset_set_labels(NULL, labels, 6, 0), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_set_labels(d, NULL, 6, 0), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_set_labels(d, labels, 5, 0), DEEP_ERR_SHAPE, fn);
    FAILS(deep_dataset_set_labels(d, labels, 0, 0), DEEP_ERR_SHAPE, fn);
    FAILS(deep_dataset_set_labels(d, labels, 6, -1), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_dataset_set_labels(d, labels, 6, 4), DEEP_ERR_OUT_OF_RANGE, fn); /* num_classes too small */
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "position 2"));
    const int32_t negative[6] = {0, 1, 2, -1, 0, 0};
    FAILS(deep_dataset_set_labels(d, negative, 6, 0), DEEP_ERR_OUT_OF_RANGE, fn);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "position 3"));
    /* Failures leave the previous labels in place. */
    OK(deep_dataset_num_classes(d, &classes));
    ck_assert_int_eq(classes, 7);
    OK(deep_dataset_labels(d, back, 6, &(int64_t){0}));
    ck_assert_mem_eq(back, labels, sizeof labels);

    FAILS(deep_dataset_labels(d, back, 5, &(int64_t){0}), DEEP_ERR_BUFFER_TOO_SMALL, "deep_dataset_labels");
    FAILS(deep_dataset_labels(NULL, back, 6, &(int64_t){0}), DEEP_ERR_NULL, "deep_dataset_labels");
    FAILS(deep_dataset_labels(d, NULL, 6, &(int64_t){0}), DEEP_ERR_NULL, "deep_dataset_labels");
    FAILS(deep_dataset_num_classes(NULL, &classes), DEEP_ERR_NULL, "deep_dataset_num_classes");
    FAILS(deep_dataset_num_classes(d, NULL), DEEP_ERR_NULL, "deep_dataset_num_classes");

    const float targets[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    OK(deep_dataset_set_targets(d, targets, 6, 2));
    int64_t width;
    OK(deep_dataset_target_width(d, &width));
    ck_assert_int_eq(width, 2);
    ck_assert_float_eq(d->targets[11], 12.0f);
    OK(deep_dataset_set_targets(d, targets, 6, 1)); /* replaces */
    OK(deep_dataset_target_width(d, &width));
    ck_assert_int_eq(width, 1);
    fn = "deep_dataset_set_targets";
    FAILS(deep_dataset_set_targets(NULL, targets, 6, 2), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_set_targets(d, NULL, 6, 2), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_set_targets(d, targets, 3, 2), DEEP_ERR_SHAPE, fn);
    FAILS(deep_dataset_set_targets(d, targets, 6, 0), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_dataset_target_width(NULL, &width), DEEP_ERR_NULL, "deep_dataset_target_width");
    FAILS(deep_dataset_target_width(d, NULL), DEEP_ERR_NULL, "deep_dataset_target_width");
    deep_dataset_free(d);
}
END_TEST

START_TEST(shape_queries_and_reshape)
{
    float f[24] = {0};
    deep_dataset *d;
    OK(deep_dataset_new(2, 2, (int64_t[]){3, 4}, f, &d));
    int64_t shape[3];
    int64_t rank = 0;
    FAILS(deep_dataset_sample_shape(d, shape, 1, &rank), DEEP_ERR_BUFFER_TOO_SMALL,
          "deep_dataset_sample_shape");
    ck_assert_int_eq(rank, 2); /* tells the capacity needed */
    FAILS(deep_dataset_sample_shape(NULL, shape, 3, &rank), DEEP_ERR_NULL, "deep_dataset_sample_shape");
    FAILS(deep_dataset_sample_shape(d, NULL, 3, &rank), DEEP_ERR_NULL, "deep_dataset_sample_shape");
    OK(deep_dataset_sample_shape(d, NULL, 0, &rank)); /* the size query */
    ck_assert_int_eq(rank, 2);
    FAILS(deep_dataset_sample_shape(d, shape, 3, NULL), DEEP_ERR_NULL, "deep_dataset_sample_shape");
    int64_t count;
    FAILS(deep_dataset_count(NULL, &count), DEEP_ERR_NULL, "deep_dataset_count");
    FAILS(deep_dataset_count(d, NULL), DEEP_ERR_NULL, "deep_dataset_count");

    OK(deep_dataset_reshape(d, 3, (int64_t[]){3, 4, 1}));
    OK(deep_dataset_sample_shape(d, shape, 3, &rank));
    ck_assert_int_eq(rank, 3);
    ck_assert_int_eq(shape[2], 1);
    OK(deep_dataset_reshape(d, 1, (int64_t[]){12}));
    const char *fn = "deep_dataset_reshape";
    FAILS(deep_dataset_reshape(d, 2, (int64_t[]){5, 2}), DEEP_ERR_SHAPE, fn);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "(5, 2)"));
    FAILS(deep_dataset_reshape(d, 1, (int64_t[]){-1}), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_dataset_reshape(d, 0, (int64_t[]){12}), DEEP_ERR_INVALID_ARGUMENT, fn);
    int64_t eight[DEEP_MAX_RANK] = {12, 1, 1, 1, 1, 1, 1, 1};
    FAILS(deep_dataset_reshape(d, DEEP_MAX_RANK, eight), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_dataset_reshape(d, 1, NULL), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_reshape(NULL, 1, (int64_t[]){12}), DEEP_ERR_NULL, fn);
    /* Failed reshapes keep the shape. */
    OK(deep_dataset_sample_shape(d, shape, 3, &rank));
    ck_assert_int_eq(rank, 1);
    ck_assert_int_eq(shape[0], 12);

    deep_tensor *t = (deep_tensor *)f;
    FAILS(deep_dataset_features(NULL, &t), DEEP_ERR_NULL, "deep_dataset_features");
    ck_assert_ptr_null(t);
    FAILS(deep_dataset_features(d, NULL), DEEP_ERR_NULL, "deep_dataset_features");
    deep_dataset_free(d);
}
END_TEST

/* ---------------------------------------------------------------- batches, one-hot, subsets */

START_TEST(batches)
{
    deep_dataset *d = six(1, 0);
    deep_tensor *x, *y;
    OK(deep_dataset_batch(d, 2, 3, &x, NULL));
    int64_t shape[2];
    OK(deep_tensor_shape(x, shape, 2, &(int64_t){0}));
    ck_assert_int_eq(shape[0], 3);
    ck_assert_int_eq(shape[1], 2);
    ck_assert_float_eq(x->data[0], 2.0f);
    ck_assert_float_eq(x->data[5], 40.0f);
    deep_tensor_free(x);

    /* Labels only: one-hot targets. */
    OK(deep_dataset_batch(d, 4, 2, &x, &y));
    OK(deep_tensor_shape(y, shape, 2, &(int64_t){0}));
    ck_assert_int_eq(shape[0], 2);
    ck_assert_int_eq(shape[1], 3);
    const float hot[6] = {0, 1, 0, 0, 0, 1}; /* labels 1 and 2 */
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(y->data[i], hot[i]);
    deep_tensor_free(x);
    deep_tensor_free(y);

    /* Float targets take precedence. */
    OK(deep_dataset_set_targets(d, (float[]){0, -1, -2, -3, -4, -5}, 6, 1));
    OK(deep_dataset_batch(d, 5, 1, &x, &y));
    ck_assert_int_eq(y->size, 1);
    ck_assert_float_eq(y->data[0], -5.0f);
    deep_tensor_free(x);
    deep_tensor_free(y);

    const char *fn = "deep_dataset_batch";
    x = y = (deep_tensor *)d;
    FAILS(deep_dataset_batch(d, -1, 2, &x, &y), DEEP_ERR_OUT_OF_RANGE, fn);
    ck_assert_ptr_null(x);
    ck_assert_ptr_null(y);
    FAILS(deep_dataset_batch(d, 0, 0, &x, &y), DEEP_ERR_OUT_OF_RANGE, fn);
    FAILS(deep_dataset_batch(d, 5, 2, &x, &y), DEEP_ERR_OUT_OF_RANGE, fn);
    FAILS(deep_dataset_batch(d, 6, 1, &x, &y), DEEP_ERR_OUT_OF_RANGE, fn);
    FAILS(deep_dataset_batch(d, 1, INT64_MAX, &x, &y), DEEP_ERR_OUT_OF_RANGE, fn);
    FAILS(deep_dataset_batch(d, 0, 1, NULL, &y), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_batch(NULL, 0, 1, &x, &y), DEEP_ERR_NULL, fn);
    deep_dataset_free(d);

    d = six(0, 0);
    FAILS(deep_dataset_batch(d, 0, 1, &x, &y), DEEP_ERR_STATE, fn);
    ck_assert_ptr_null(x);
    deep_dataset_free(d);
}
END_TEST

START_TEST(to_categorical)
{
    deep_dataset *d = six(1, 0);
    OK(deep_dataset_to_categorical(d));
    int64_t width;
    OK(deep_dataset_target_width(d, &width));
    ck_assert_int_eq(width, 3);
    for (int i = 0; i < 6; i++)
        for (int c = 0; c < 3; c++)
            ck_assert_float_eq(d->targets[i * 3 + c], c == i % 3 ? 1.0f : 0.0f);
    ck_assert_ptr_nonnull(d->labels); /* labels stay */
    deep_dataset_free(d);

    d = six(0, 0);
    FAILS(deep_dataset_to_categorical(d), DEEP_ERR_STATE, "deep_dataset_to_categorical");
    FAILS(deep_dataset_to_categorical(NULL), DEEP_ERR_NULL, "deep_dataset_to_categorical");
    deep_dataset_free(d);
}
END_TEST

START_TEST(subset)
{
    deep_dataset *d = six(1, 1), *s;
    OK(deep_dataset_subset(d, (int64_t[]){4, 1, 4, 0}, 4, &s));
    ck_assert_int_eq(s->count, 4);
    ck_assert_int_eq(s->num_classes, 3);
    ck_assert_int_eq(s->target_width, 1);
    const float firsts[4] = {4, 1, 4, 0};
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(s->features[2 * i], firsts[i]);
    check_aligned(s);
    deep_dataset_free(s);

    const char *fn = "deep_dataset_subset";
    s = d;
    FAILS(deep_dataset_subset(d, (int64_t[]){0, 6}, 2, &s), DEEP_ERR_OUT_OF_RANGE, fn);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "position 1"));
    FAILS(deep_dataset_subset(d, (int64_t[]){-1}, 1, &s), DEEP_ERR_OUT_OF_RANGE, fn);
    FAILS(deep_dataset_subset(d, (int64_t[]){0}, 0, &s), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_dataset_subset(d, NULL, 1, &s), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_subset(NULL, (int64_t[]){0}, 1, &s), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_subset(d, (int64_t[]){0}, 1, NULL), DEEP_ERR_NULL, fn);
    deep_dataset_free(d);
}
END_TEST

/* ---------------------------------------------------------------- scaling */

START_TEST(scale)
{
    deep_dataset *d = six(0, 0);
    OK(deep_dataset_scale(d, 0.5f, 1.0f));
    ck_assert_float_eq(d->features[10], 3.5f);
    ck_assert_float_eq(d->features[11], 26.0f);
    FAILS(deep_dataset_scale(d, NAN, 0), DEEP_ERR_NUMERIC, "deep_dataset_scale");
    FAILS(deep_dataset_scale(d, 1, INFINITY), DEEP_ERR_NUMERIC, "deep_dataset_scale");
    FAILS(deep_dataset_scale(NULL, 1, 0), DEEP_ERR_NULL, "deep_dataset_scale");
    ck_assert_float_eq(d->features[10], 3.5f);
    deep_dataset_free(d);
}
END_TEST

START_TEST(standardize)
{
    /* Feature 0 takes 1, 2, 3 (mean 2, population std sqrt(2/3)); feature 1 is constant. */
    deep_dataset *train, *test, *narrow;
    OK(deep_dataset_new(3, 1, (int64_t[]){2}, (float[]){1, 7, 2, 7, 3, 7}, &train));
    OK(deep_dataset_new(1, 1, (int64_t[]){2}, (float[]){4, 9}, &test));
    OK(deep_dataset_standardize(test, train));
    ck_assert_double_eq_tol(test->features[0], 2.0 / sqrt(2.0 / 3.0), 1e-6);
    ck_assert_float_eq(test->features[1], 0.0f); /* constant in the reference */
    OK(deep_dataset_standardize(train, NULL));
    const double z = 1.0 / sqrt(2.0 / 3.0);
    ck_assert_double_eq_tol(train->features[0], -z, 1e-6);
    ck_assert_double_eq_tol(train->features[2], 0.0, 1e-6);
    ck_assert_double_eq_tol(train->features[4], z, 1e-6);
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq(train->features[2 * i + 1], 0.0f);

    const char *fn = "deep_dataset_standardize";
    OK(deep_dataset_new(1, 1, (int64_t[]){3}, (float[]){1, 2, 3}, &narrow));
    FAILS(deep_dataset_standardize(narrow, train), DEEP_ERR_SHAPE, fn);
    FAILS(deep_dataset_standardize(NULL, train), DEEP_ERR_NULL, fn);
    test->features[0] = NAN;
    FAILS(deep_dataset_standardize(train, test), DEEP_ERR_NUMERIC, fn);
    ck_assert_double_eq_tol(train->features[4], z, 1e-6); /* unchanged */
    deep_dataset_free(train);
    deep_dataset_free(test);
    deep_dataset_free(narrow);
}
END_TEST

START_TEST(minmax_scale)
{
    deep_dataset *train, *test, *wide;
    OK(deep_dataset_new(3, 1, (int64_t[]){2}, (float[]){1, 7, 2, 7, 5, 7}, &train));
    OK(deep_dataset_new(1, 1, (int64_t[]){2}, (float[]){9, 1}, &test));
    OK(deep_dataset_minmax_scale(test, train));
    ck_assert_float_eq(test->features[0], 2.0f); /* (9 - 1) / (5 - 1): outside [0, 1] is fine */
    ck_assert_float_eq(test->features[1], 0.0f);
    OK(deep_dataset_minmax_scale(train, train));
    const float want[6] = {0, 0, 0.25f, 0, 1, 0};
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(train->features[i], want[i]);

    const char *fn = "deep_dataset_minmax_scale";
    OK(deep_dataset_new(1, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4}, &wide));
    FAILS(deep_dataset_minmax_scale(train, wide), DEEP_ERR_SHAPE, fn);
    FAILS(deep_dataset_minmax_scale(NULL, NULL), DEEP_ERR_NULL, fn);
    deep_dataset_free(train);
    deep_dataset_free(test);
    deep_dataset_free(wide);
}
END_TEST

/* ---------------------------------------------------------------- shuffle and split */

START_TEST(shuffle)
{
    deep_dataset *a = six(1, 1), *b = six(1, 1), *c = six(1, 1);
    OK(deep_dataset_shuffle(a, 42));
    OK(deep_dataset_shuffle(b, 42));
    OK(deep_dataset_shuffle(c, 7));
    ck_assert_uint_eq(check_aligned(a), 0x3f); /* a permutation, rows still whole */
    ck_assert_mem_eq(a->features, b->features, 12 * sizeof(float));
    ck_assert_int_ne(memcmp(a->features, c->features, 12 * sizeof(float)), 0);
    check_aligned(c);
    FAILS(deep_dataset_shuffle(NULL, 1), DEEP_ERR_NULL, "deep_dataset_shuffle");
    deep_dataset_free(a);
    deep_dataset_free(b);
    deep_dataset_free(c);
}
END_TEST

START_TEST(split)
{
    deep_dataset *d = six(1, 1), *train, *test, *train2, *test2;
    OK(deep_dataset_split(d, 0.5, 3, 0, &train, &test));
    ck_assert_int_eq(test->count, 3);
    ck_assert_int_eq(train->count, 3);
    ck_assert_int_eq(test->num_classes, 3);
    ck_assert_int_eq(train->target_width, 1);
    unsigned a = check_aligned(train), b = check_aligned(test);
    ck_assert_uint_eq(a & b, 0);
    ck_assert_uint_eq(a | b, 0x3f);
    /* Same seed, same split. */
    OK(deep_dataset_split(d, 0.5, 3, 0, &train2, &test2));
    ck_assert_mem_eq(test->features, test2->features, 6 * sizeof(float));
    deep_dataset_free(train);
    deep_dataset_free(test);
    deep_dataset_free(train2);
    deep_dataset_free(test2);

    /* test gets ceil(fraction * n), and 1/6 of 6 is one sample despite the rounding. */
    OK(deep_dataset_split(d, 1.0 / 6.0, 3, 0, &train, &test));
    ck_assert_int_eq(test->count, 1);
    ck_assert_int_eq(train->count, 5);
    deep_dataset_free(train);
    deep_dataset_free(test);
    OK(deep_dataset_split(d, 0.01, 3, 0, &train, &test));
    ck_assert_int_eq(test->count, 1);
    deep_dataset_free(train);
    deep_dataset_free(test);

    const char *fn = "deep_dataset_split";
    const double bad[] = {0.0, 1.0, -0.5, 1.5, NAN, INFINITY, 0.9};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        train = test = d;
        FAILS(deep_dataset_split(d, bad[i], 3, 0, &train, &test), DEEP_ERR_INVALID_ARGUMENT, fn);
        ck_assert_ptr_null(train);
        ck_assert_ptr_null(test);
    }
    FAILS(deep_dataset_split(NULL, 0.5, 3, 0, &train, &test), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_split(d, 0.5, 3, 0, NULL, &test), DEEP_ERR_NULL, fn);
    FAILS(deep_dataset_split(d, 0.5, 3, 0, &train, NULL), DEEP_ERR_NULL, fn);
    deep_dataset_free(d);

    d = six(0, 0);
    FAILS(deep_dataset_split(d, 0.5, 3, 1, &train, &test), DEEP_ERR_STATE, fn);
    deep_dataset_free(d);
    OK(deep_dataset_new(1, 1, (int64_t[]){1}, (float[]){1}, &d));
    FAILS(deep_dataset_split(d, 0.5, 3, 0, &train, &test), DEEP_ERR_INVALID_ARGUMENT, fn);
    deep_dataset_free(d);
}
END_TEST

/* n samples with labels[i] from `per_class` counts, feature = sample index. */
static deep_dataset *classes(const int *per_class, int k)
{
    float f[64];
    int32_t labels[64];
    int n = 0;
    for (int c = 0; c < k; c++)
        for (int j = 0; j < per_class[c]; j++, n++) {
            f[n] = (float)n;
            labels[n] = c;
        }
    deep_dataset *d;
    OK(deep_dataset_new(n, 1, (int64_t[]){1}, f, &d));
    OK(deep_dataset_set_labels(d, labels, n, k));
    return d;
}

static void count_classes(const deep_dataset *d, int *out, int k)
{
    memset(out, 0, (size_t)k * sizeof *out);
    for (int64_t i = 0; i < d->count; i++)
        out[d->labels[i]]++;
}

START_TEST(split_stratified)
{
    /* 10/6/4 samples, half to test: exactly 5/3/2 each side. */
    deep_dataset *d = classes((int[]){10, 6, 4}, 3), *train, *test;
    int got[4];
    for (uint64_t seed = 0; seed < 20; seed++) {
        OK(deep_dataset_split(d, 0.5, seed, 1, &train, &test));
        count_classes(test, got, 3);
        ck_assert_int_eq(got[0], 5);
        ck_assert_int_eq(got[1], 3);
        ck_assert_int_eq(got[2], 2);
        count_classes(train, got, 3);
        ck_assert_int_eq(got[0], 5);
        /* Every sample lands in exactly one part, with its own label. */
        int seen[20] = {0};
        for (int part = 0; part < 2; part++) {
            const deep_dataset *p = part ? test : train;
            for (int64_t i = 0; i < p->count; i++) {
                int n = (int)p->features[i];
                seen[n]++;
                ck_assert_int_eq(p->labels[i], n < 10 ? 0 : n < 16 ? 1 : 2);
            }
        }
        for (int i = 0; i < 20; i++)
            ck_assert_int_eq(seen[i], 1);
        deep_dataset_free(train);
        deep_dataset_free(test);
    }
    deep_dataset_free(d);

    /* 6/4/2 of 12 with 3 to test: shares 1.5, 1, 0.5; the largest remainders (0.5 each,
     * tie to the smaller class) round 1.5 up, so test gets 2/1/0. Class 3 is empty. */
    d = classes((int[]){6, 4, 2, 0}, 4);
    OK(deep_dataset_split(d, 0.25, 9, 1, &train, &test));
    count_classes(test, got, 4);
    ck_assert_int_eq(got[0], 2);
    ck_assert_int_eq(got[1], 1);
    ck_assert_int_eq(got[2], 0);
    ck_assert_int_eq(got[3], 0);
    ck_assert_int_eq(train->count, 9);
    ck_assert_int_eq(train->num_classes, 4);
    deep_dataset_free(train);
    deep_dataset_free(test);
    deep_dataset_free(d);
}
END_TEST

/* ---------------------------------------------------------------- IDX files */

static char tmpdir[64];

static void tmp_path(char *buf, size_t capacity, const char *name)
{
    snprintf(buf, capacity, "%s/%s", tmpdir, name);
}

static void write_bytes(const char *path, const unsigned char *bytes, size_t n, int gzip)
{
    if (gzip) {
        gzFile f = gzopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(gzwrite(f, bytes, (unsigned)n), (int)n);
        ck_assert_int_eq(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
        ck_assert_int_eq(fclose(f), 0);
    }
}

/* Three 2x2 images with pixels 0..10 and 255, and their labels 2, 0, 7. */
static const unsigned char images_idx[] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
                                           0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255};
static const unsigned char labels_idx[] = {0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 7};

/* Loads the two byte strings written as files, expecting `status`; a message on failure
 * names the loader. */
static deep_status load_bytes(const unsigned char *images, size_t images_len, const unsigned char *labels,
                              size_t labels_len, int gzip, deep_dataset **out)
{
    char ipath[128], lpath[128];
    tmp_path(ipath, sizeof ipath, "images.idx");
    tmp_path(lpath, sizeof lpath, "labels.idx");
    write_bytes(ipath, images, images_len, gzip);
    if (labels)
        write_bytes(lpath, labels, labels_len, gzip);
    deep_status s = deep_dataset_load_idx(ipath, labels ? lpath : NULL, out);
    if (s != DEEP_OK) {
        ck_assert_ptr_null(*out);
        ck_assert_ptr_nonnull(strstr(deep_last_error(), "deep_dataset_load_idx"));
        ck_assert_ptr_nonnull(strstr(deep_last_error(), tmpdir));
    }
    unlink(ipath);
    unlink(lpath);
    return s;
}

START_TEST(idx_load)
{
    for (int gzip = 0; gzip < 2; gzip++) {
        deep_dataset *d;
        OK(load_bytes(images_idx, sizeof images_idx, labels_idx, sizeof labels_idx, gzip, &d));
        ck_assert_int_eq(d->count, 3);
        ck_assert_int_eq(d->sample_rank, 2);
        ck_assert_int_eq(d->sample_shape[0], 2);
        ck_assert_int_eq(d->sample_shape[1], 2);
        /* Kept as the file's bytes, converted when read. */
        ck_assert_ptr_nonnull(d->bytes);
        ck_assert_ptr_null(d->features);
        const float *values;
        OK(deep_dataset_values("test", d, &values));
        for (int i = 0; i < 12; i++) {
            ck_assert_uint_eq(d->bytes[i], images_idx[16 + i]);
            ck_assert_float_eq(values[i], (float)images_idx[16 + i]);
        }
        ck_assert_int_eq(d->num_classes, 8);
        ck_assert_int_eq(d->labels[0], 2);
        ck_assert_int_eq(d->labels[1], 0);
        ck_assert_int_eq(d->labels[2], 7);
        deep_dataset_free(d);

        OK(load_bytes(images_idx, sizeof images_idx, NULL, 0, gzip, &d));
        ck_assert_ptr_null(d->labels);
        ck_assert_int_eq(d->num_classes, 0);
        deep_dataset_free(d);
    }
}
END_TEST

START_TEST(idx_truncated)
{
    deep_dataset *d = NULL;
    for (int gzip = 0; gzip < 2; gzip++) {
        for (size_t n = 0; n < sizeof images_idx; n++)
            ck_assert_int_eq(load_bytes(images_idx, n, labels_idx, sizeof labels_idx, gzip, &d),
                             DEEP_ERR_FORMAT);
        for (size_t n = 0; n < sizeof labels_idx; n++)
            ck_assert_int_eq(load_bytes(images_idx, sizeof images_idx, labels_idx, n, gzip, &d),
                             DEEP_ERR_FORMAT);
    }
    load_bytes(images_idx, 20, NULL, 0, 0, &d);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "ends after 20 of 28 bytes"));

    /* A gzip stream cut anywhere is corrupt too, even inside its checksum trailer. */
    char path[128];
    tmp_path(path, sizeof path, "cut.gz");
    write_bytes(path, images_idx, sizeof images_idx, 1);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    for (off_t n = st.st_size - 1; n >= 0; n--) {
        ck_assert_int_eq(truncate(path, n), 0);
        FAILS(deep_dataset_load_idx(path, NULL, &d), DEEP_ERR_FORMAT, "deep_dataset_load_idx");
        ck_assert_ptr_null(d);
    }
    unlink(path);
}
END_TEST

START_TEST(idx_bad_headers)
{
    deep_dataset *d = NULL;
    unsigned char b[sizeof images_idx];
    /* Each case edits one header byte of the valid images file. */
    const struct { int at; unsigned char value; deep_status want; const char *says; } cases[] = {
        {0, 1, DEEP_ERR_FORMAT, "not an IDX file"},
        {1, 8, DEEP_ERR_FORMAT, "not an IDX file"},
        {2, 0x0D, DEEP_ERR_UNSUPPORTED, "float32"},
        {2, 0x42, DEEP_ERR_FORMAT, "unknown IDX type"},
        {3, 0, DEEP_ERR_FORMAT, "0 dimensions"},
        {3, DEEP_MAX_RANK + 1, DEEP_ERR_FORMAT, "dimensions"},
        {3, 255, DEEP_ERR_FORMAT, "dimensions"},
        {3, 2, DEEP_ERR_FORMAT, "data after the 18 bytes"}, /* (3, 2): 6 bytes promised, 16 given */
        {15, 0, DEEP_ERR_FORMAT, "dimension 2 of"},
        {7, 4, DEEP_ERR_FORMAT, "ends after 28 of 32 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(b, images_idx, sizeof b);
        b[cases[i].at] = cases[i].value;
        ck_assert_int_eq(load_bytes(b, sizeof b, NULL, 0, 0, &d), cases[i].want);
        ck_assert_msg(strstr(deep_last_error(), cases[i].says), "case %zu: '%s'", i, deep_last_error());
    }

    /* Dimensions whose product overflows 64 bits, and ones that fit but are not there. */
    const unsigned char overflow[] = {0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
    ck_assert_int_eq(load_bytes(overflow, sizeof overflow, NULL, 0, 0, &d), DEEP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "64 bits"));
    const unsigned char huge[] = {0, 0, 8, 2, 127, 255, 255, 255, 255, 255, 255, 255, 1, 2, 3};
    ck_assert_int_eq(load_bytes(huge, sizeof huge, NULL, 0, 0, &d), DEEP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "ends after 15 of"));
    /* Compressed, it is refused before any value is read: no gzip file of a few dozen
     * bytes decompresses to 2^63 bytes. */
    ck_assert_int_eq(load_bytes(huge, sizeof huge, NULL, 0, 1, &d), DEEP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "compressed bytes can hold"));

    /* Trailing bytes after a valid file. */
    unsigned char longer[sizeof images_idx + 1];
    memcpy(longer, images_idx, sizeof images_idx);
    longer[sizeof images_idx] = 0;
    ck_assert_int_eq(load_bytes(longer, sizeof longer, NULL, 0, 1, &d), DEEP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "data after the 28 bytes its header promises"));

    /* Images need a sample shape: a labels file is no images file. */
    ck_assert_int_eq(load_bytes(labels_idx, sizeof labels_idx, NULL, 0, 0, &d), DEEP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "has 1 dimension"));

    /* Label files: one dimension, one label per image. */
    const unsigned char two_dims[] = {0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 1, 2, 0, 7};
    ck_assert_int_eq(load_bytes(images_idx, sizeof images_idx, two_dims, sizeof two_dims, 0, &d),
                     DEEP_ERR_FORMAT);
    const unsigned char four[] = {0, 0, 8, 1, 0, 0, 0, 4, 2, 0, 7, 1};
    ck_assert_int_eq(load_bytes(images_idx, sizeof images_idx, four, sizeof four, 0, &d), DEEP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "3 images"));
    const unsigned char typed[] = {0, 0, 0x0C, 1, 0, 0, 0, 3, 2, 0, 7};
    ck_assert_int_eq(load_bytes(images_idx, sizeof images_idx, typed, sizeof typed, 0, &d),
                     DEEP_ERR_UNSUPPORTED);
}
END_TEST

START_TEST(idx_misuse)
{
    deep_dataset *d = (deep_dataset *)tmpdir;
    char missing[128], images[128];
    tmp_path(missing, sizeof missing, "missing.idx");
    FAILS(deep_dataset_load_idx(missing, NULL, &d), DEEP_ERR_IO, "deep_dataset_load_idx");
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), missing));
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "No such file"));
    FAILS(deep_dataset_load_idx(tmpdir, NULL, &d), DEEP_ERR_IO, "deep_dataset_load_idx"); /* a directory */

    tmp_path(images, sizeof images, "good.idx");
    write_bytes(images, images_idx, sizeof images_idx, 0);
    FAILS(deep_dataset_load_idx(images, missing, &d), DEEP_ERR_IO, "deep_dataset_load_idx");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), missing));
    FAILS(deep_dataset_load_idx(NULL, NULL, &d), DEEP_ERR_NULL, "deep_dataset_load_idx");
    FAILS(deep_dataset_load_idx(images, NULL, NULL), DEEP_ERR_NULL, "deep_dataset_load_idx");
    unlink(images);
}
END_TEST

START_TEST(idx_fashion_mnist)
{
    const char *dir = "/usr/share/datasets/fashion-mnist";
    if (access(dir, R_OK) != 0) {
        printf("note: %s not installed; real-data check skipped\n", dir);
        return;
    }
    deep_dataset *d;
    OK(deep_dataset_load_idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                             "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", &d));
    ck_assert_int_eq(d->count, 60000);
    ck_assert_int_eq(d->sample_rank, 2);
    ck_assert_int_eq(d->sample_shape[0], 28);
    ck_assert_int_eq(d->sample_shape[1], 28);
    ck_assert_int_eq(d->num_classes, 10);
    uint8_t top = 0;
    for (int64_t i = 0; i < d->count * d->sample_size; i++)
        top = d->bytes[i] > top ? d->bytes[i] : top;
    ck_assert_uint_eq(top, 255);
    deep_dataset_free(d);
}
END_TEST

/* Byte storage: an IDX dataset of 40 3x3 images and the same values as a float dataset;
 * every operation must give both the same floats, bit for bit. */
static void byte_and_float_twins(deep_dataset **bytes, deep_dataset **floats)
{
    enum { N = 40, PIXELS = 9 };
    unsigned char images[16 + N * PIXELS] = {0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, 3, 0, 0, 0, 3};
    unsigned char labels[8 + N] = {0, 0, 8, 1, 0, 0, 0, N};
    for (int i = 0; i < N * PIXELS; i++)
        images[16 + i] = (unsigned char)((i * 37 + i / 7) % 256);
    for (int i = 0; i < N; i++)
        labels[8 + i] = (unsigned char)(images[16 + i * PIXELS] > 127);
    OK(load_bytes(images, sizeof images, labels, sizeof labels, 0, bytes));
    float values[N * PIXELS];
    int32_t classes[N];
    for (int i = 0; i < N * PIXELS; i++)
        values[i] = images[16 + i];
    for (int i = 0; i < N; i++)
        classes[i] = labels[8 + i];
    OK(deep_dataset_new(N, 2, (int64_t[]){3, 3}, values, floats));
    OK(deep_dataset_set_labels(*floats, classes, N, 0));
}

/* Both datasets hold the same floats, compared through a batch of all samples. */
static void assert_same_values(const deep_dataset *a, const deep_dataset *b)
{
    ck_assert_int_eq(a->count, b->count);
    deep_tensor *x = NULL, *y = NULL;
    OK(deep_dataset_batch(a, 0, a->count, &x, NULL));
    OK(deep_dataset_batch(b, 0, b->count, &y, NULL));
    ck_assert_int_eq(memcmp(x->data, y->data, (size_t)x->size * sizeof(float)), 0);
    const float *values;
    OK(deep_dataset_values("test", a, &values));
    ck_assert_int_eq(memcmp(values, y->data, (size_t)y->size * sizeof(float)), 0);
    deep_tensor_free(x);
    deep_tensor_free(y);
}

START_TEST(byte_storage_transforms)
{
    deep_dataset *b, *f;
    byte_and_float_twins(&b, &f);
    /* The first scale stays in the bytes' scale and shift: no floats are made. */
    OK(deep_dataset_scale(b, 1.0f / 255.0f, 0.25f));
    OK(deep_dataset_scale(f, 1.0f / 255.0f, 0.25f));
    ck_assert_ptr_null(b->features);
    deep_tensor *x = NULL;
    OK(deep_dataset_batch(b, 3, 2, &x, NULL));
    ck_assert_ptr_null(b->features); /* batches convert as they copy */
    deep_tensor_free(x);
    assert_same_values(b, f);
    int64_t missing = -1;
    OK(deep_dataset_missing_count(b, -1, &missing));
    ck_assert_int_eq(missing, 0);
    OK(deep_dataset_drop_missing(b));
    OK(deep_dataset_fill_missing(b, DEEP_FILL_MEAN, NULL));
    double mean_b, mean_f;
    OK(deep_dataset_describe(b, 4, DEEP_STAT_MEAN, &mean_b));
    OK(deep_dataset_describe(f, 4, DEEP_STAT_MEAN, &mean_f));
    ck_assert_double_eq(mean_b, mean_f);
    /* A second scale works on floats, converting the bytes once. */
    OK(deep_dataset_scale(b, 3.0f, -1.0f));
    OK(deep_dataset_scale(f, 3.0f, -1.0f));
    ck_assert_ptr_null(b->bytes);
    assert_same_values(b, f);
    deep_dataset_free(b);
    deep_dataset_free(f);

    byte_and_float_twins(&b, &f);
    OK(deep_dataset_standardize(b, NULL));
    OK(deep_dataset_standardize(f, NULL));
    assert_same_values(b, f);
    deep_dataset_free(b);
    deep_dataset_free(f);
}
END_TEST

START_TEST(byte_storage_subsets_and_concat)
{
    deep_dataset *b, *f, *sb, *sf, *cb, *cf;
    byte_and_float_twins(&b, &f);
    OK(deep_dataset_scale(b, 0.5f, 0.0f));
    OK(deep_dataset_scale(f, 0.5f, 0.0f));
    const int64_t picks[] = {39, 0, 7, 7, 20};
    OK(deep_dataset_subset(b, picks, 5, &sb));
    OK(deep_dataset_subset(f, picks, 5, &sf));
    ck_assert_ptr_nonnull(sb->bytes); /* a subset keeps the storage */
    assert_same_values(sb, sf);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(sb->labels[i], f->labels[picks[i]]);
    /* Bytes with the same scale join as bytes... */
    OK(deep_dataset_concat(b, sb, &cb));
    OK(deep_dataset_concat(f, sf, &cf));
    ck_assert_ptr_nonnull(cb->bytes);
    assert_same_values(cb, cf);
    deep_dataset_free(cb);
    deep_dataset_free(cf);
    /* ...anything else as floats. */
    OK(deep_dataset_concat(b, sf, &cb));
    OK(deep_dataset_concat(f, sf, &cf));
    ck_assert_ptr_null(cb->bytes);
    assert_same_values(cb, cf);
    deep_dataset_free(cb);
    deep_dataset_free(cf);
    deep_dataset_free(b);
    deep_dataset_free(f);
    deep_dataset_free(sb);
    deep_dataset_free(sf);
}
END_TEST

/* A model and a tree learn exactly the same from bytes as from their floats. */
START_TEST(byte_storage_trains_alike)
{
    deep_dataset *data[2];
    byte_and_float_twins(&data[0], &data[1]);
    deep_tensor *predictions[2] = {NULL, NULL}, *inputs = NULL;
    double scores[2];
    for (int k = 0; k < 2; k++) {
        OK(deep_dataset_scale(data[k], 1.0f / 255.0f, 0.0f));
        deep_model *model;
        deep_optimizer *adam;
        OK(deep_model_new(2, (int64_t[]){3, 3}, &model));
        OK(deep_model_add_flatten(model));
        OK(deep_model_add_dense(model, 8, DEEP_ACTIVATION_RELU, 1));
        OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
        OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
        OK(deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
        OK(deep_model_fit(model, data[k], 3, 8, NULL));
        if (inputs == NULL)
            OK(deep_dataset_features(data[1], &inputs));
        OK(deep_model_predict(model, inputs, &predictions[k]));
        deep_model_free(model);
        deep_tree *tree;
        OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
        OK(deep_tree_fit(tree, data[k]));
        OK(deep_tree_score(tree, data[k], &scores[k]));
        deep_tree_free(tree);
    }
    ck_assert_int_eq(memcmp(predictions[0]->data, predictions[1]->data,
                            (size_t)predictions[0]->size * sizeof(float)), 0);
    ck_assert_double_eq(scores[0], 1.0);
    ck_assert_double_eq(scores[1], 1.0);
    for (int k = 0; k < 2; k++) {
        deep_tensor_free(predictions[k]);
        deep_dataset_free(data[k]);
    }
    deep_tensor_free(inputs);
}
END_TEST

/* 300 samples of 6 bytes whose 3 classes follow two of them, with label noise, kept as
 * bytes and, as floats, the same values; both scaled to [-0.5, 0.5]. */
static void noisy_twins(deep_dataset **bytes, deep_dataset **floats)
{
    enum { N = 300, P = 6 };
    uint8_t *pixels = malloc(N * P);
    float values[N * P];
    int32_t labels[N];
    uint32_t state = 12345;
    for (int i = 0; i < N * P; i++) {
        state = state * 1664525u + 1013904223u;
        pixels[i] = (uint8_t)(state >> 24);
        values[i] = pixels[i];
    }
    for (int i = 0; i < N; i++) {
        state = state * 1664525u + 1013904223u;
        labels[i] = (pixels[i * P] / 86 + pixels[i * P + 3] / 128 + (state >> 30 == 0)) % 3;
    }
    OK(deep_dataset_create_bytes("test", N, 1, (int64_t[]){P}, pixels, bytes));
    OK(deep_dataset_new(N, 1, (int64_t[]){P}, values, floats));
    OK(deep_dataset_set_labels(*bytes, labels, N, 0));
    OK(deep_dataset_set_labels(*floats, labels, N, 0));
    OK(deep_dataset_scale(*bytes, 1.0f / 255.0f, -0.5f));
    OK(deep_dataset_scale(*floats, 1.0f / 255.0f, -0.5f));
}

static char *tree_json(const deep_tree *tree)
{
    int64_t needed = 0;
    OK(deep_tree_to_json(tree, NULL, 0, &needed));
    char *text = malloc((size_t)needed);
    OK(deep_tree_to_json(tree, text, needed, &needed));
    return text;
}

/* Trees and forests (with the out-of-bag score) grow from the bytes themselves, without
 * a float copy of the dataset, into what they grow from the floats: _i picks the exact
 * or the histogram splitter. */
START_TEST(byte_storage_grows_the_same_trees)
{
    deep_splitter splitter = _i == 0 ? DEEP_SPLITTER_EXACT : DEEP_SPLITTER_HISTOGRAM;
    deep_dataset *data[2];
    noisy_twins(&data[0], &data[1]);
    char *json[2];
    double oob[2];
    deep_tensor *proba[2], *inputs = NULL;
    OK(deep_dataset_features(data[1], &inputs));
    for (int k = 0; k < 2; k++) {
        deep_tree *tree;
        OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
        OK(deep_tree_set_int(tree, DEEP_TREE_SPLITTER, splitter));
        OK(deep_tree_fit(tree, data[k]));
        json[k] = tree_json(tree);
        deep_tree_free(tree);
        deep_forest *forest;
        OK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
        OK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 12));
        OK(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1));
        OK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, 2));
        OK(deep_forest_set_int(forest, DEEP_TREE_SPLITTER, splitter));
        OK(deep_forest_fit(forest, data[k]));
        OK(deep_forest_oob_score(forest, &oob[k]));
        OK(deep_forest_predict_proba(forest, inputs, &proba[k]));
        deep_forest_free(forest);
    }
    ck_assert_ptr_null(data[0]->features); /* nothing converted the bytes to floats */
    ck_assert_str_eq(json[0], json[1]);
    ck_assert_msg(strlen(json[0]) > 500, "a tree of a few nodes only: %s", json[0]);
    ck_assert_double_eq(oob[0], oob[1]);
    ck_assert_int_eq(memcmp(proba[0]->data, proba[1]->data, (size_t)proba[0]->size * sizeof(float)), 0);
    for (int k = 0; k < 2; k++) {
        free(json[k]);
        deep_tensor_free(proba[k]);
        deep_dataset_free(data[k]);
    }
    deep_tensor_free(inputs);

    /* A scale that takes the largest byte to infinity is a clear error, as an infinite float is. */
    uint8_t *pixels = calloc(8, 1);
    pixels[7] = 255;
    deep_dataset *huge;
    OK(deep_dataset_create_bytes("test", 4, 1, (int64_t[]){2}, pixels, &huge));
    OK(deep_dataset_set_labels(huge, (const int32_t[]){0, 1, 0, 1}, 4, 0));
    OK(deep_dataset_scale(huge, 1e37f, 0.0f));
    deep_tree *tree;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    FAILS(deep_tree_fit(tree, huge), DEEP_ERR_NUMERIC, "deep_tree_fit");
    ck_assert_msg(strstr(deep_last_error(), "trees need finite features") != NULL, "%s", deep_last_error());
    deep_tree_free(tree);
    deep_dataset_free(huge);
}
END_TEST

/* CIFAR-10 records: label byte, then 1024 red, 1024 green, 1024 blue bytes. Record r has
 * label (3 * r + 1) % 10 and pixel value (r + 7 * channel + p) % 256 at pixel p. */
static void write_cifar(const char *path, int records, int first, int label_override)
{
    unsigned char *bytes = malloc((size_t)records * 3073);
    ck_assert_ptr_nonnull(bytes);
    for (int r = 0; r < records; r++) {
        unsigned char *rec = bytes + (size_t)r * 3073;
        rec[0] = (unsigned char)(label_override >= 0 ? label_override : (3 * (first + r) + 1) % 10);
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < 1024; p++)
                rec[1 + ch * 1024 + p] = (unsigned char)((first + r + 7 * ch + p) % 256);
    }
    write_bytes(path, bytes, (size_t)records * 3073, 0);
    free(bytes);
}

START_TEST(cifar_load)
{
    char a[128], b[128];
    tmp_path(a, sizeof a, "data_batch_1.bin");
    tmp_path(b, sizeof b, "data_batch_2.bin");
    write_cifar(a, 3, 0, -1);
    write_cifar(b, 2, 3, -1);
    const char *paths[] = {a, b};
    deep_dataset *d;
    OK(deep_dataset_load_cifar10(paths, 2, &d));
    ck_assert_int_eq(d->count, 5);
    ck_assert_int_eq(d->sample_rank, 3);
    ck_assert_int_eq(d->sample_shape[0], 32);
    ck_assert_int_eq(d->sample_shape[1], 32);
    ck_assert_int_eq(d->sample_shape[2], 3);
    ck_assert_int_eq(d->num_classes, 10);
    unsigned wrong = 0;
    for (int r = 0; r < 5; r++) {
        ck_assert_int_eq(d->labels[r], (3 * r + 1) % 10);
        /* Channel-planar in the file, channels-last in the dataset. */
        for (int p = 0; p < 1024; p++)
            for (int ch = 0; ch < 3; ch++)
                wrong += d->bytes[(r * 1024 + p) * 3 + ch] != (r + 7 * ch + p) % 256;
    }
    ck_assert_uint_eq(wrong, 0);
    deep_dataset_free(d);
    unlink(a);
    unlink(b);
}
END_TEST

START_TEST(cifar_bad_files)
{
    char path[128], missing[128];
    tmp_path(path, sizeof path, "bad.bin");
    tmp_path(missing, sizeof missing, "missing.bin");
    const char *paths[] = {path};
    deep_dataset *d = (deep_dataset *)tmpdir;

    unsigned char extra[3073 + 1] = {0};
    write_bytes(path, extra, sizeof extra, 0); /* one record and a stray byte */
    FAILS(deep_dataset_load_cifar10(paths, 1, &d), DEEP_ERR_FORMAT, "deep_dataset_load_cifar10");
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "3074 bytes"));
    write_bytes(path, extra, 0, 0); /* empty */
    FAILS(deep_dataset_load_cifar10(paths, 1, &d), DEEP_ERR_FORMAT, "deep_dataset_load_cifar10");
    write_bytes(path, extra, 3072, 0); /* one byte short */
    FAILS(deep_dataset_load_cifar10(paths, 1, &d), DEEP_ERR_FORMAT, "deep_dataset_load_cifar10");
    write_cifar(path, 2, 0, 10); /* label out of 0..9 */
    FAILS(deep_dataset_load_cifar10(paths, 1, &d), DEEP_ERR_FORMAT, "deep_dataset_load_cifar10");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "label 10"));

    const char *gone[] = {missing};
    FAILS(deep_dataset_load_cifar10(gone, 1, &d), DEEP_ERR_IO, "deep_dataset_load_cifar10");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), missing));
    const char *null_entry[] = {NULL};
    FAILS(deep_dataset_load_cifar10(null_entry, 1, &d), DEEP_ERR_NULL, "deep_dataset_load_cifar10");
    FAILS(deep_dataset_load_cifar10(NULL, 1, &d), DEEP_ERR_NULL, "deep_dataset_load_cifar10");
    FAILS(deep_dataset_load_cifar10(paths, 0, &d), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_load_cifar10");
    FAILS(deep_dataset_load_cifar10(paths, 1, NULL), DEEP_ERR_NULL, "deep_dataset_load_cifar10");
    ck_assert_ptr_null(d);
    unlink(path);
}
END_TEST

/* ---------------------------------------------------------------- files that never end */

/* /dev/zero used to be read until memory ran out (CSV) or was misread as a file; devices,
 * pipes and directories are refused before anything is read. */
START_TEST(loaders_refuse_non_regular_files)
{
    deep_dataset *d = (deep_dataset *)tmpdir;
    FAILS(deep_dataset_load_csv("/dev/zero", NULL, &d), DEEP_ERR_IO, "deep_dataset_load_csv");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "'/dev/zero': it is a character device"));
    ck_assert_ptr_null(d);
    FAILS(deep_dataset_load_idx("/dev/zero", NULL, &d), DEEP_ERR_IO, "deep_dataset_load_idx");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "'/dev/zero': it is a character device"));
    char images[128];
    tmp_path(images, sizeof images, "good.idx");
    write_bytes(images, images_idx, sizeof images_idx, 0);
    FAILS(deep_dataset_load_idx(images, "/dev/zero", &d), DEEP_ERR_IO, "deep_dataset_load_idx");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "not a regular file"));
    unlink(images);
    const char *zero[] = {"/dev/zero"};
    FAILS(deep_dataset_load_cifar10(zero, 1, &d), DEEP_ERR_IO, "deep_dataset_load_cifar10");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "character device"));
    FAILS(deep_dataset_load_csv(tmpdir, NULL, &d), DEEP_ERR_IO, "deep_dataset_load_csv");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "it is a directory"));

    /* A pipe without a writer: refused at once, without waiting for one. */
    char fifo[128];
    tmp_path(fifo, sizeof fifo, "fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    FAILS(deep_dataset_load_csv(fifo, NULL, &d), DEEP_ERR_IO, "deep_dataset_load_csv");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "it is a FIFO"));
    FAILS(deep_dataset_load_idx(fifo, NULL, &d), DEEP_ERR_IO, "deep_dataset_load_idx");
    const char *pipes[] = {fifo};
    FAILS(deep_dataset_load_cifar10(pipes, 1, &d), DEEP_ERR_IO, "deep_dataset_load_cifar10");
    ck_assert_ptr_null(d);
    unlink(fifo);
}
END_TEST

/* A .gz is read no further than its header declares: one 2x2 image followed by 8 MB of
 * zeros (a few kB compressed) is refused after 21 decompressed bytes. */
START_TEST(idx_gzip_bomb_is_bounded)
{
    enum { BOMB = 8 << 20 };
    unsigned char *bomb = calloc(1, 16 + BOMB);
    const unsigned char header[] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2};
    memcpy(bomb, header, sizeof header);
    char path[128];
    tmp_path(path, sizeof path, "bomb.idx.gz");
    write_bytes(path, bomb, 16 + BOMB, 1);
    free(bomb);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_lt(st.st_size, 64 << 10);
    deep_dataset *d = (deep_dataset *)tmpdir;
    FAILS(deep_dataset_load_idx(path, NULL, &d), DEEP_ERR_FORMAT, "deep_dataset_load_idx");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "data after the 20 bytes its header promises"));
    ck_assert_ptr_null(d);

    /* The other way round: a few bytes declaring 1000 images of 100 x 100. */
    const unsigned char big[] = {0, 0, 8, 3, 0, 0, 3, 232, 0, 0, 0, 100, 0, 0, 0, 100, 1, 2, 3};
    write_bytes(path, big, sizeof big, 1);
    FAILS(deep_dataset_load_idx(path, NULL, &d), DEEP_ERR_FORMAT, "deep_dataset_load_idx");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "declares 10000000 bytes of data, more than its"));
    unlink(path);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/libdeep-test-data-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("data");
    struct { const char *name; const TTest *tests[8]; } cases[] = {
        {"dataset", {new_and_queries, new_misuse, labels_and_targets, shape_queries_and_reshape}},
        {"batch", {batches, to_categorical, subset}},
        {"scaling", {scale, standardize, minmax_scale}},
        {"order", {shuffle, split, split_stratified}},
        {"idx", {idx_load, idx_truncated, idx_bad_headers, idx_misuse, idx_fashion_mnist}},
        {"cifar", {cifar_load, cifar_bad_files}},
        {"special files", {loaders_refuse_non_regular_files, idx_gzip_bomb_is_bounded}},
        {"byte storage", {byte_storage_transforms, byte_storage_subsets_and_concat, byte_storage_trains_alike}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 120);
        for (int j = 0; cases[i].tests[j]; j++)
            tcase_add_test(tc, cases[i].tests[j]);
        suite_add_tcase(s, tc);
    }
    TCase *trees = tcase_create("byte storage trees");
    tcase_set_timeout(trees, 120);
    tcase_add_loop_test(trees, byte_storage_grows_the_same_trees, 0, 2);
    suite_add_tcase(s, trees);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    rmdir(tmpdir);
    return failed != 0;
}
