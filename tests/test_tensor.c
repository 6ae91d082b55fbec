/* Tests of the public deep_tensor_* functions: the happy paths with exact values, and every
 * kind of misuse returning a status, a message naming the function, and no side effect. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "check_helpers.h"

/* A non-NULL value for out-parameters, to check that failing constructors reset them. */
static char poison_target;
#define POISON ((deep_tensor *)(void *)&poison_target)

static const int64_t SHAPE_234[] = {2, 3, 4};

/* A new tensor holding 0, 1, 2, ... in row-major order. */
static deep_tensor *iota(int32_t rank, const int64_t *shape)
{
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new(rank, shape, &t));
    float *data;
    int64_t size;
    ASSERT_OK(deep_tensor_data_mut(t, &data));
    ASSERT_OK(deep_tensor_size(t, &size));
    for (int64_t i = 0; i < size; i++)
        data[i] = (float)i;
    return t;
}

static void assert_shape(const deep_tensor *t, int32_t rank, const int64_t *shape)
{
    int32_t r;
    int64_t got[DEEP_MAX_RANK], size, expected_size = 1;
    ASSERT_OK(deep_tensor_rank(t, &r));
    ck_assert_int_eq(r, rank);
    ASSERT_OK(deep_tensor_shape(t, got, DEEP_MAX_RANK, &(int64_t){0}));
    for (int32_t i = 0; i < rank; i++) {
        ck_assert_int_eq(got[i], shape[i]);
        expected_size *= shape[i];
    }
    ASSERT_OK(deep_tensor_size(t, &size));
    ck_assert_int_eq(size, expected_size);
}

static void assert_values(const deep_tensor *t, const float *expected, int64_t count)
{
    const float *data;
    int64_t size;
    ASSERT_OK(deep_tensor_size(t, &size));
    ck_assert_int_eq(size, count);
    ASSERT_OK(deep_tensor_data(t, &data));
    for (int64_t i = 0; i < count; i++)
        ck_assert_msg(data[i] == expected[i], "element %lld is %g, expected %g", (long long)i,
                      (double)data[i], (double)expected[i]);
}

static void assert_all_equal(const deep_tensor *t, float value)
{
    const float *data;
    int64_t size;
    ASSERT_OK(deep_tensor_data(t, &data));
    ASSERT_OK(deep_tensor_size(t, &size));
    for (int64_t i = 0; i < size; i++)
        ck_assert_float_eq(data[i], value);
}

/* Asserts that t still holds 0, 1, 2, ... as made by iota(). */
static void assert_iota(const deep_tensor *t)
{
    const float *data;
    int64_t size;
    ASSERT_OK(deep_tensor_data(t, &data));
    ASSERT_OK(deep_tensor_size(t, &size));
    for (int64_t i = 0; i < size; i++)
        ck_assert_float_eq(data[i], (float)i);
}

/* Sets the generator's state so that its next 64-bit output is `value` (as in test_core.c:
 * xoshiro256**'s output rotl(s[1] * 5, 7) * 9 is invertible). */
static uint64_t inverse_odd(uint64_t a)
{
    uint64_t x = a;
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

static void force_next_output(deep_rng *rng, uint64_t value)
{
    uint64_t a = value * inverse_odd(9);
    uint64_t b = (a >> 7) | (a << 57);
    rng->s[0] = rng->s[2] = rng->s[3] = 0x0123456789abcdefULL;
    rng->s[1] = b * inverse_odd(5);
}

/* ----------------------------------------------------------------------------------- */
/* Construction: new, new_filled, new_from, clone, free                                 */
/* ----------------------------------------------------------------------------------- */

enum ctor { CTOR_NEW, CTOR_FILLED, CTOR_FROM, CTOR_COUNT };
static const char *const ctor_names[CTOR_COUNT] = {"deep_tensor_new", "deep_tensor_new_filled",
                                                   "deep_tensor_new_from"};

/* Calls one of the shape-taking constructors; new_from reads `count` values of `data`. */
static deep_status construct(enum ctor kind, int32_t rank, const int64_t *shape, const float *data,
                             int64_t count, deep_tensor **out)
{
    switch (kind) {
    case CTOR_NEW: return deep_tensor_new(rank, shape, out);
    case CTOR_FILLED: return deep_tensor_new_filled(rank, shape, 1.0f, out);
    default: return deep_tensor_new_from(rank, shape, data, count, out);
    }
}

static void assert_construct_fails(enum ctor kind, const char *what, int32_t rank, const int64_t *shape,
                                   int64_t count, deep_status expected)
{
    static const float data[8] = {0};
    deep_tensor *out = POISON;
    deep_clear_error();
    deep_status s = construct(kind, rank, shape, data, count, &out);
    ck_assert_msg(s == expected, "%s (%s) returned %s, expected %s", ctor_names[kind], what,
                  deep_status_string(s), deep_status_string(expected));
    ck_assert_msg(names_function(deep_last_error(), ctor_names[kind]), "%s (%s): message \"%s\"",
                  ctor_names[kind], what, deep_last_error());
    ck_assert_msg(out == NULL, "%s (%s) did not reset *out", ctor_names[kind], what);
}

static const struct {
    const char *what;
    int32_t rank;
    int64_t shape[DEEP_MAX_RANK + 1];
    deep_status status;
} bad_shapes[] = {
    {"rank 0", 0, {2}, DEEP_ERR_INVALID_ARGUMENT},
    {"negative rank", -1, {2}, DEEP_ERR_INVALID_ARGUMENT},
    {"rank 9", DEEP_MAX_RANK + 1, {1, 1, 1, 1, 1, 1, 1, 1, 1}, DEEP_ERR_INVALID_ARGUMENT},
    {"zero dimension", 2, {3, 0}, DEEP_ERR_INVALID_ARGUMENT},
    {"negative dimension", 2, {-3, 2}, DEEP_ERR_INVALID_ARGUMENT},
    {"-1 outside reshape", 1, {-1}, DEEP_ERR_INVALID_ARGUMENT},
    {"INT64_MIN dimension", 1, {INT64_MIN}, DEEP_ERR_INVALID_ARGUMENT},
    {"count overflows int64", 2, {1LL << 40, 1LL << 40}, DEEP_ERR_OVERFLOW},
    {"count overflows at the last axis", 3, {1LL << 31, 1LL << 31, 4}, DEEP_ERR_OVERFLOW},
    {"bytes overflow size_t", 2, {1LL << 31, 1LL << 31}, DEEP_ERR_OVERFLOW},
    {"INT64_MAX elements", 1, {INT64_MAX}, DEEP_ERR_OVERFLOW},
};

/* A bad shape is reported before anything else, including new_from's count. */
START_TEST(constructors_reject_bad_shape)
{
    for (int kind = 0; kind < CTOR_COUNT; kind++)
        assert_construct_fails((enum ctor)kind, bad_shapes[_i].what, bad_shapes[_i].rank,
                               bad_shapes[_i].shape, 1, bad_shapes[_i].status);
}
END_TEST

START_TEST(constructors_report_failed_allocation)
{
    /* 2^60 floats: a valid element count that no allocator can provide. With
     * ASAN_OPTIONS=allocator_may_return_null=1 (tests/meson.build) and under valgrind the
     * allocation returns NULL. OVERFLOW is accepted for platforms where it exceeds size_t. */
    const int64_t shape[] = {1LL << 40, 1LL << 20};
    for (int kind = 0; kind < CTOR_COUNT; kind++) {
        deep_tensor *out = POISON;
        deep_clear_error();
        static const float unread[1];
        deep_status s = construct((enum ctor)kind, 2, shape, unread, 1LL << 60, &out);
        ck_assert_msg(s == DEEP_ERR_NO_MEMORY || s == DEEP_ERR_OVERFLOW, "%s returned %s",
                      ctor_names[kind], deep_status_string(s));
        ck_assert(names_function(deep_last_error(), ctor_names[kind]));
        ck_assert_ptr_null(out);
    }
}
END_TEST

START_TEST(constructors_reject_null_pointers)
{
    const float data[6] = {0};
    for (int kind = 0; kind < CTOR_COUNT; kind++) {
        assert_construct_fails((enum ctor)kind, "NULL shape", 2, NULL, 6, DEEP_ERR_NULL);
        deep_clear_error();
        ck_assert_int_eq(construct((enum ctor)kind, 3, SHAPE_234, data, 24, NULL), DEEP_ERR_NULL);
        ck_assert(names_function(deep_last_error(), ctor_names[kind]));
    }
    deep_tensor *out = POISON;
    ASSERT_FAILS(deep_tensor_new_from(3, SHAPE_234, NULL, 24, &out), DEEP_ERR_NULL,
                 "deep_tensor_new_from");
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(new_from_rejects_count_mismatch)
{
    static const int64_t counts[] = {23, 25, 0, -1, -24, INT64_MAX, INT64_MIN};
    for (int i = 0; i < COUNT_OF(counts); i++) {
        char what[64];
        snprintf(what, sizeof what, "count %lld", (long long)counts[i]);
        assert_construct_fails(CTOR_FROM, what, 3, SHAPE_234, counts[i], DEEP_ERR_SHAPE);
    }
}
END_TEST

START_TEST(new_is_zero_filled)
{
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new(3, SHAPE_234, &t));
    ck_assert_ptr_nonnull(t);
    assert_shape(t, 3, SHAPE_234);
    assert_all_equal(t, 0.0f);
    deep_tensor_free(t);
}
END_TEST

START_TEST(new_filled_sets_every_element)
{
    const int64_t shape[] = {3, 2};
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new_filled(2, shape, -1.5f, &t));
    assert_shape(t, 2, shape);
    assert_all_equal(t, -1.5f);
    deep_tensor_free(t);
}
END_TEST

START_TEST(new_from_copies_data)
{
    const int64_t shape[] = {2, 3};
    float data[] = {1, 2, 3, 4, 5, 6};
    const float expected[] = {1, 2, 3, 4, 5, 6};
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new_from(2, shape, data, 6, &t));
    assert_shape(t, 2, shape);
    data[0] = 100; /* the tensor holds a copy */
    assert_values(t, expected, 6);
    deep_tensor_free(t);
}
END_TEST

START_TEST(constructors_accept_max_rank_and_one_element)
{
    const int64_t max_rank[DEEP_MAX_RANK] = {2, 1, 2, 1, 2, 1, 2, 1};
    const int64_t single[] = {1};
    const float data[16] = {0};
    for (int kind = 0; kind < CTOR_COUNT; kind++) {
        deep_tensor *t = NULL;
        ASSERT_OK(construct((enum ctor)kind, DEEP_MAX_RANK, max_rank, data, 16, &t));
        assert_shape(t, DEEP_MAX_RANK, max_rank);
        deep_tensor_free(t);
        ASSERT_OK(construct((enum ctor)kind, 1, single, data, 1, &t));
        assert_shape(t, 1, single);
        deep_tensor_free(t);
    }
}
END_TEST

START_TEST(clone_is_deep_copy)
{
    deep_tensor *src = iota(3, SHAPE_234), *copy = NULL;
    ASSERT_OK(deep_tensor_clone(src, &copy));
    assert_shape(copy, 3, SHAPE_234);
    assert_iota(copy);

    const float *a, *b;
    ASSERT_OK(deep_tensor_data(src, &a));
    ASSERT_OK(deep_tensor_data(copy, &b));
    ck_assert_ptr_ne(a, b);
    ASSERT_OK(deep_tensor_fill(src, 9.0f));
    assert_iota(copy);

    /* A clone takes the current shape, also after a reshape. */
    const int64_t flat[] = {24};
    deep_tensor *flat_copy = NULL;
    ASSERT_OK(deep_tensor_reshape(src, 1, flat));
    ASSERT_OK(deep_tensor_clone(src, &flat_copy));
    assert_shape(flat_copy, 1, flat);
    assert_all_equal(flat_copy, 9.0f);

    deep_tensor_free(src);
    deep_tensor_free(copy);
    deep_tensor_free(flat_copy);
}
END_TEST

START_TEST(clone_rejects_null)
{
    deep_tensor *t = iota(3, SHAPE_234), *out = POISON;
    ASSERT_FAILS(deep_tensor_clone(NULL, &out), DEEP_ERR_NULL, "deep_tensor_clone");
    ck_assert_ptr_null(out);
    ASSERT_FAILS(deep_tensor_clone(t, NULL), DEEP_ERR_NULL, "deep_tensor_clone");
    deep_tensor_free(t);
}
END_TEST

START_TEST(free_accepts_null)
{
    deep_tensor_free(NULL);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Queries: rank, shape, dim, size                                                      */
/* ----------------------------------------------------------------------------------- */

START_TEST(queries_report_shape)
{
    deep_tensor *t = iota(3, SHAPE_234);
    int32_t rank = -1;
    int64_t size = -1, shape[DEEP_MAX_RANK] = {-7, -7, -7, -7, -7, -7, -7, -7};
    ASSERT_OK(deep_tensor_rank(t, &rank));
    ck_assert_int_eq(rank, 3);
    ASSERT_OK(deep_tensor_size(t, &size));
    ck_assert_int_eq(size, 24);
    ASSERT_OK(deep_tensor_shape(t, shape, 3, &(int64_t){0})); /* exactly rank */
    ck_assert_mem_eq(shape, SHAPE_234, sizeof SHAPE_234);
    ASSERT_OK(deep_tensor_shape(t, shape, INT32_MAX, &(int64_t){0})); /* a larger capacity is fine... */
    ck_assert_mem_eq(shape, SHAPE_234, sizeof SHAPE_234);
    for (int i = 3; i < DEEP_MAX_RANK; i++)
        ck_assert_int_eq(shape[i], -7); /* ...and nothing past rank is written */
    deep_tensor_free(t);
}
END_TEST

START_TEST(dim_counts_negative_axes_from_end)
{
    deep_tensor *t = iota(3, SHAPE_234);
    for (int32_t axis = 0; axis < 3; axis++) {
        int64_t d = -1;
        ASSERT_OK(deep_tensor_dim(t, axis, &d));
        ck_assert_int_eq(d, SHAPE_234[axis]);
        ASSERT_OK(deep_tensor_dim(t, axis - 3, &d));
        ck_assert_int_eq(d, SHAPE_234[axis]);
    }
    deep_tensor_free(t);
}
END_TEST

START_TEST(dim_rejects_bad_axes)
{
    static const int32_t axes[] = {3, 4, 100, INT32_MAX, -4, -100, INT32_MIN};
    deep_tensor *t = iota(3, SHAPE_234);
    for (int i = 0; i < COUNT_OF(axes); i++) {
        int64_t d = -7;
        ASSERT_FAILS(deep_tensor_dim(t, axes[i], &d), DEEP_ERR_OUT_OF_RANGE, "deep_tensor_dim");
        ck_assert_int_eq(d, -7);
    }
    deep_tensor_free(t);
}
END_TEST

START_TEST(shape_rejects_small_capacity)
{
    /* Too small: refused, untouched, the rank in needed; negative: invalid; 0: the size query. */
    static const int64_t capacities[] = {2, 1, -1, INT64_MIN};
    deep_tensor *t = iota(3, SHAPE_234);
    for (int i = 0; i < COUNT_OF(capacities); i++) {
        int64_t shape[DEEP_MAX_RANK] = {-7, -7, -7}, needed = -1;
        ASSERT_FAILS(deep_tensor_shape(t, shape, capacities[i], &needed),
                     capacities[i] > 0 ? DEEP_ERR_BUFFER_TOO_SMALL : DEEP_ERR_INVALID_ARGUMENT, "deep_tensor_shape");
        ck_assert_int_eq(needed, capacities[i] > 0 ? 3 : 0);
        ck_assert_int_eq(shape[0], -7);
    }
    int64_t needed = -1;
    ASSERT_OK(deep_tensor_shape(t, NULL, 0, &needed));
    ck_assert_int_eq(needed, 3);
    deep_tensor_free(t);
}
END_TEST

START_TEST(queries_reject_null)
{
    deep_tensor *t = iota(3, SHAPE_234);
    int32_t rank;
    int64_t v, shape[DEEP_MAX_RANK];
    ASSERT_FAILS(deep_tensor_rank(NULL, &rank), DEEP_ERR_NULL, "deep_tensor_rank");
    ASSERT_FAILS(deep_tensor_rank(t, NULL), DEEP_ERR_NULL, "deep_tensor_rank");
    ASSERT_FAILS(deep_tensor_shape(NULL, shape, DEEP_MAX_RANK, &(int64_t){0}), DEEP_ERR_NULL, "deep_tensor_shape");
    ASSERT_FAILS(deep_tensor_shape(t, NULL, DEEP_MAX_RANK, &(int64_t){0}), DEEP_ERR_NULL, "deep_tensor_shape");
    ASSERT_FAILS(deep_tensor_dim(NULL, 0, &v), DEEP_ERR_NULL, "deep_tensor_dim");
    ASSERT_FAILS(deep_tensor_dim(t, 0, NULL), DEEP_ERR_NULL, "deep_tensor_dim");
    ASSERT_FAILS(deep_tensor_size(NULL, &v), DEEP_ERR_NULL, "deep_tensor_size");
    ASSERT_FAILS(deep_tensor_size(t, NULL), DEEP_ERR_NULL, "deep_tensor_size");
    deep_tensor_free(t);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Element access: get, set                                                             */
/* ----------------------------------------------------------------------------------- */

START_TEST(get_set_use_row_major_order)
{
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new(3, SHAPE_234, &t));
    for (int64_t i = 0; i < 2; i++)
        for (int64_t j = 0; j < 3; j++)
            for (int64_t k = 0; k < 4; k++) {
                const int64_t index[] = {i, j, k};
                ASSERT_OK(deep_tensor_set(t, index, 3, (float)(100 * i + 10 * j + k)));
            }
    const float *data;
    ASSERT_OK(deep_tensor_data(t, &data));
    for (int64_t i = 0; i < 2; i++)
        for (int64_t j = 0; j < 3; j++)
            for (int64_t k = 0; k < 4; k++) {
                const int64_t index[] = {i, j, k};
                float expected = (float)(100 * i + 10 * j + k), value = -1;
                ASSERT_OK(deep_tensor_get(t, index, 3, &value));
                ck_assert_float_eq(value, expected);
                ck_assert_float_eq(data[(i * 3 + j) * 4 + k], expected);
            }
    deep_tensor_free(t);
}
END_TEST

START_TEST(get_set_reject_wrong_index_rank)
{
    static const int32_t ranks[] = {2, 4, 1, 0, -1, DEEP_MAX_RANK + 1};
    const int64_t index[DEEP_MAX_RANK + 1] = {0};
    deep_tensor *t = iota(3, SHAPE_234);
    for (int i = 0; i < COUNT_OF(ranks); i++) {
        float value = -7;
        ASSERT_FAILS(deep_tensor_get(t, index, ranks[i], &value), DEEP_ERR_SHAPE, "deep_tensor_get");
        ck_assert_float_eq(value, -7);
        ASSERT_FAILS(deep_tensor_set(t, index, ranks[i], 99.0f), DEEP_ERR_SHAPE, "deep_tensor_set");
    }
    assert_iota(t);
    deep_tensor_free(t);
}
END_TEST

START_TEST(get_set_reject_out_of_range_index)
{
    deep_tensor *t = iota(3, SHAPE_234);
    for (int axis = 0; axis < 3; axis++) {
        const int64_t dim = SHAPE_234[axis];
        const int64_t bad[] = {-1, dim, dim + 1, 1000, INT64_MAX, INT64_MIN};
        for (int b = 0; b < COUNT_OF(bad); b++) {
            int64_t index[3] = {1, 2, 3};
            index[axis] = bad[b];
            float value = -7;
            ASSERT_FAILS(deep_tensor_get(t, index, 3, &value), DEEP_ERR_OUT_OF_RANGE, "deep_tensor_get");
            ck_assert_float_eq(value, -7);
            ASSERT_FAILS(deep_tensor_set(t, index, 3, 99.0f), DEEP_ERR_OUT_OF_RANGE, "deep_tensor_set");
        }
    }
    assert_iota(t);
    deep_tensor_free(t);
}
END_TEST

START_TEST(get_set_reject_null)
{
    deep_tensor *t = iota(3, SHAPE_234);
    const int64_t index[] = {0, 0, 0};
    float value;
    ASSERT_FAILS(deep_tensor_get(NULL, index, 3, &value), DEEP_ERR_NULL, "deep_tensor_get");
    ASSERT_FAILS(deep_tensor_get(t, NULL, 3, &value), DEEP_ERR_NULL, "deep_tensor_get");
    ASSERT_FAILS(deep_tensor_get(t, index, 3, NULL), DEEP_ERR_NULL, "deep_tensor_get");
    ASSERT_FAILS(deep_tensor_set(NULL, index, 3, 1.0f), DEEP_ERR_NULL, "deep_tensor_set");
    ASSERT_FAILS(deep_tensor_set(t, NULL, 3, 1.0f), DEEP_ERR_NULL, "deep_tensor_set");
    assert_iota(t);
    deep_tensor_free(t);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Buffers: data, data_mut, copy_to, copy_from                                          */
/* ----------------------------------------------------------------------------------- */

START_TEST(data_pointers_share_the_buffer)
{
    deep_tensor *t = iota(3, SHAPE_234);
    const float *ro = NULL;
    float *rw = NULL;
    ASSERT_OK(deep_tensor_data(t, &ro));
    ASSERT_OK(deep_tensor_data_mut(t, &rw));
    ck_assert_ptr_nonnull(ro);
    ck_assert_ptr_eq(ro, rw);
    rw[23] = -5.0f;
    const int64_t last[] = {1, 2, 3};
    float value;
    ASSERT_OK(deep_tensor_get(t, last, 3, &value));
    ck_assert_float_eq(value, -5.0f);

    /* Reshape never moves the data. */
    const int64_t flat[] = {24};
    ASSERT_OK(deep_tensor_reshape(t, 1, flat));
    const float *after;
    ASSERT_OK(deep_tensor_data(t, &after));
    ck_assert_ptr_eq(after, ro);
    deep_tensor_free(t);
}
END_TEST

START_TEST(copy_to_and_from_round_trip)
{
    deep_tensor *t = iota(3, SHAPE_234);
    float out[24], in[24];
    ASSERT_OK(deep_tensor_copy_to(t, out, 24));
    for (int i = 0; i < 24; i++) {
        ck_assert_float_eq(out[i], (float)i);
        in[i] = 0.5f * (float)i - 3.0f;
    }
    ASSERT_OK(deep_tensor_copy_from(t, in, 24));
    assert_values(t, in, 24);
    in[0] = 1000; /* the tensor holds a copy */
    ASSERT_OK(deep_tensor_copy_to(t, out, 24));
    ck_assert_float_eq(out[0], -3.0f);
    deep_tensor_free(t);
}
END_TEST

START_TEST(copy_rejects_count_mismatch)
{
    static const int64_t counts[] = {23, 25, 0, -1, INT64_MAX, INT64_MIN};
    deep_tensor *t = iota(3, SHAPE_234);
    float buffer[32];
    for (int i = 0; i < COUNT_OF(counts); i++) {
        for (int j = 0; j < 32; j++)
            buffer[j] = -7;
        ASSERT_FAILS(deep_tensor_copy_to(t, buffer, counts[i]), DEEP_ERR_SHAPE, "deep_tensor_copy_to");
        ck_assert_float_eq(buffer[0], -7);
        ASSERT_FAILS(deep_tensor_copy_from(t, buffer, counts[i]), DEEP_ERR_SHAPE, "deep_tensor_copy_from");
    }
    assert_iota(t);
    deep_tensor_free(t);
}
END_TEST

START_TEST(buffers_reject_null)
{
    deep_tensor *t = iota(3, SHAPE_234);
    const float *ro;
    float *rw, buffer[24];
    ASSERT_FAILS(deep_tensor_data(NULL, &ro), DEEP_ERR_NULL, "deep_tensor_data");
    ASSERT_FAILS(deep_tensor_data(t, NULL), DEEP_ERR_NULL, "deep_tensor_data");
    ASSERT_FAILS(deep_tensor_data_mut(NULL, &rw), DEEP_ERR_NULL, "deep_tensor_data_mut");
    ASSERT_FAILS(deep_tensor_data_mut(t, NULL), DEEP_ERR_NULL, "deep_tensor_data_mut");
    ASSERT_FAILS(deep_tensor_copy_to(NULL, buffer, 24), DEEP_ERR_NULL, "deep_tensor_copy_to");
    ASSERT_FAILS(deep_tensor_copy_to(t, NULL, 24), DEEP_ERR_NULL, "deep_tensor_copy_to");
    ASSERT_FAILS(deep_tensor_copy_from(NULL, buffer, 24), DEEP_ERR_NULL, "deep_tensor_copy_from");
    ASSERT_FAILS(deep_tensor_copy_from(t, NULL, 24), DEEP_ERR_NULL, "deep_tensor_copy_from");
    assert_iota(t);
    deep_tensor_free(t);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Reshape                                                                              */
/* ----------------------------------------------------------------------------------- */

static const struct {
    int32_t rank;
    int64_t shape[DEEP_MAX_RANK];
    int64_t resolved[DEEP_MAX_RANK];
} good_reshapes[] = {
    {1, {24}, {24}},
    {2, {6, 4}, {6, 4}},
    {2, {24, 1}, {24, 1}},
    {1, {-1}, {24}},
    {2, {4, -1}, {4, 6}},
    {3, {2, -1, 3}, {2, 4, 3}},
    {3, {-1, 1, 1}, {24, 1, 1}},
    {DEEP_MAX_RANK, {1, 1, 1, 2, 1, 3, 1, 4}, {1, 1, 1, 2, 1, 3, 1, 4}},
    {DEEP_MAX_RANK, {1, -1, 1, 1, 1, 1, 1, 1}, {1, 24, 1, 1, 1, 1, 1, 1}},
};

START_TEST(reshape_accepts_same_count)
{
    deep_tensor *t = iota(3, SHAPE_234);
    ASSERT_OK(deep_tensor_reshape(t, good_reshapes[_i].rank, good_reshapes[_i].shape));
    assert_shape(t, good_reshapes[_i].rank, good_reshapes[_i].resolved);
    assert_iota(t);
    /* The last axis decides argmax rows: the new shape is really in use. */
    int64_t rows = 24 / good_reshapes[_i].resolved[good_reshapes[_i].rank - 1];
    int64_t indices[24];
    ASSERT_OK(deep_tensor_argmax(t, indices, rows, &(int64_t){0}));
    if (rows > 1)
        ASSERT_FAILS(deep_tensor_argmax(t, indices, rows - 1, &(int64_t){0}), DEEP_ERR_BUFFER_TOO_SMALL,
                     "deep_tensor_argmax");
    deep_tensor_free(t);
}
END_TEST

static const struct {
    const char *what;
    int32_t rank;
    int64_t shape[DEEP_MAX_RANK + 1];
    deep_status status;
} bad_reshapes[] = {
    {"fewer elements", 2, {5, 4}, DEEP_ERR_SHAPE},
    {"more elements", 1, {25}, DEEP_ERR_SHAPE},
    {"two -1", 3, {-1, -1, 2}, DEEP_ERR_INVALID_ARGUMENT},
    {"-1 that does not divide", 2, {-1, 5}, DEEP_ERR_SHAPE},
    {"-1 with more known elements than the tensor", 2, {-1, 48}, DEEP_ERR_SHAPE},
    {"zero dimension", 2, {24, 0}, DEEP_ERR_INVALID_ARGUMENT},
    {"-1 and zero", 2, {-1, 0}, DEEP_ERR_INVALID_ARGUMENT},
    {"negative dimension", 2, {-2, -12}, DEEP_ERR_INVALID_ARGUMENT},
    {"rank 0", 0, {24}, DEEP_ERR_INVALID_ARGUMENT},
    {"negative rank", -1, {24}, DEEP_ERR_INVALID_ARGUMENT},
    {"rank 9", DEEP_MAX_RANK + 1, {1, 1, 1, 1, 1, 1, 1, 1, 24}, DEEP_ERR_INVALID_ARGUMENT},
    {"count overflows int64", 2, {1LL << 40, 1LL << 40}, DEEP_ERR_OVERFLOW},
    {"count overflows next to -1", 3, {-1, 1LL << 40, 1LL << 40}, DEEP_ERR_OVERFLOW},
    {"huge but representable count", 2, {1LL << 31, 1LL << 31}, DEEP_ERR_SHAPE},
};

START_TEST(reshape_failure_keeps_old_shape)
{
    deep_tensor *t = iota(3, SHAPE_234);
    deep_clear_error();
    deep_status s = deep_tensor_reshape(t, bad_reshapes[_i].rank, bad_reshapes[_i].shape);
    ck_assert_msg(s == bad_reshapes[_i].status, "%s: got %s, expected %s", bad_reshapes[_i].what,
                  deep_status_string(s), deep_status_string(bad_reshapes[_i].status));
    ck_assert_msg(names_function(deep_last_error(), "deep_tensor_reshape"), "%s: message \"%s\"",
                  bad_reshapes[_i].what, deep_last_error());
    assert_shape(t, 3, SHAPE_234);
    assert_iota(t);
    deep_tensor_free(t);
}
END_TEST

START_TEST(reshape_rejects_null)
{
    const int64_t flat[] = {24};
    deep_tensor *t = iota(3, SHAPE_234);
    ASSERT_FAILS(deep_tensor_reshape(NULL, 1, flat), DEEP_ERR_NULL, "deep_tensor_reshape");
    ASSERT_FAILS(deep_tensor_reshape(t, 1, NULL), DEEP_ERR_NULL, "deep_tensor_reshape");
    assert_shape(t, 3, SHAPE_234);
    deep_tensor_free(t);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Deterministic fills: fill, scale_shift                                               */
/* ----------------------------------------------------------------------------------- */

START_TEST(fill_sets_every_element)
{
    deep_tensor *t = iota(3, SHAPE_234);
    ASSERT_OK(deep_tensor_fill(t, 3.25f));
    assert_all_equal(t, 3.25f);
    ASSERT_OK(deep_tensor_fill(t, -0.0f));
    assert_all_equal(t, 0.0f);
    ASSERT_FAILS(deep_tensor_fill(NULL, 1.0f), DEEP_ERR_NULL, "deep_tensor_fill");
    deep_tensor_free(t);
}
END_TEST

START_TEST(scale_shift_is_exact)
{
    const int64_t shape[] = {5};
    const float in[] = {0, 1, 2, 255, -4};
    const float expected[] = {1, 1.5f, 2, 128.5f, -1};
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new_from(1, shape, in, 5, &t));
    ASSERT_OK(deep_tensor_scale_shift(t, 0.5f, 1.0f));
    assert_values(t, expected, 5);
    ASSERT_OK(deep_tensor_scale_shift(t, 1.0f, 0.0f)); /* identity */
    assert_values(t, expected, 5);
    ASSERT_OK(deep_tensor_scale_shift(t, 0.0f, 7.0f));
    assert_all_equal(t, 7.0f);
    deep_tensor_free(t);
}
END_TEST

START_TEST(scale_shift_rejects_non_finite)
{
    static const float bad[][2] = {
        {NAN, 0}, {INFINITY, 0}, {-INFINITY, 0}, {1, NAN}, {1, INFINITY}, {1, -INFINITY}, {NAN, NAN},
    };
    deep_tensor *t = iota(3, SHAPE_234);
    for (int i = 0; i < COUNT_OF(bad); i++)
        ASSERT_FAILS(deep_tensor_scale_shift(t, bad[i][0], bad[i][1]), DEEP_ERR_NUMERIC,
                     "deep_tensor_scale_shift");
    assert_iota(t);
    ASSERT_FAILS(deep_tensor_scale_shift(NULL, 1, 0), DEEP_ERR_NULL, "deep_tensor_scale_shift");
    deep_tensor_free(t);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Random fills: fill_uniform, fill_normal                                              */
/* ----------------------------------------------------------------------------------- */

/* Mean and (population) standard deviation of a tensor's elements. */
static void moments(const deep_tensor *t, double *mean, double *stddev)
{
    const float *data;
    int64_t n;
    ASSERT_OK(deep_tensor_data(t, &data));
    ASSERT_OK(deep_tensor_size(t, &n));
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++)
        sum += data[i];
    *mean = sum / (double)n;
    for (int64_t i = 0; i < n; i++)
        sq += (data[i] - *mean) * (data[i] - *mean);
    *stddev = sqrt(sq / (double)n);
}

/* Two generators with one seed fill two tensors identically, and differently from a third. */
static void assert_fill_reproducible(deep_status (*fill)(deep_tensor *, deep_rng *, double, double),
                                     double a, double b)
{
    const int64_t shape[] = {1000};
    deep_rng *r1 = NULL, *r2 = NULL;
    deep_tensor *t1 = NULL, *t2 = NULL;
    ASSERT_OK(deep_rng_new(11, &r1));
    ASSERT_OK(deep_rng_new(11, &r2));
    ASSERT_OK(deep_tensor_new(1, shape, &t1));
    ASSERT_OK(deep_tensor_new(1, shape, &t2));
    ASSERT_OK(fill(t1, r1, a, b));
    ASSERT_OK(fill(t2, r2, a, b));
    const float *d1, *d2;
    ASSERT_OK(deep_tensor_data(t1, &d1));
    ASSERT_OK(deep_tensor_data(t2, &d2));
    ck_assert_mem_eq(d1, d2, 1000 * sizeof(float));
    ASSERT_OK(fill(t2, r2, a, b)); /* the generator moved on */
    ck_assert_int_ne(memcmp(d1, d2, 1000 * sizeof(float)), 0);
    deep_tensor_free(t1);
    deep_tensor_free(t2);
    deep_rng_free(r1);
    deep_rng_free(r2);
}

START_TEST(fill_uniform_range_and_mean)
{
    const int64_t shape[] = {100, 1000};
    deep_rng *rng = NULL;
    deep_tensor *t = NULL;
    ASSERT_OK(deep_rng_new(3, &rng));
    ASSERT_OK(deep_tensor_new(2, shape, &t));
    ASSERT_OK(deep_tensor_fill_uniform(t, rng, -3.0f, 5.0f));
    const float *data;
    ASSERT_OK(deep_tensor_data(t, &data));
    int outside = 0;
    for (int64_t i = 0; i < 100000; i++)
        outside += !(data[i] >= -3.0f && data[i] < 5.0f);
    ck_assert_int_eq(outside, 0);
    double mean, stddev;
    moments(t, &mean, &stddev);
    ck_assert_double_eq_tol(mean, 1.0, 0.05);           /* standard error ~0.007 */
    ck_assert_double_eq_tol(stddev, 8.0 / sqrt(12.0), 0.05);
    deep_tensor_free(t);
    deep_rng_free(rng);
}
END_TEST

START_TEST(fill_uniform_reproducible)
{
    assert_fill_reproducible(deep_tensor_fill_uniform, 0.0f, 1.0f);
}
END_TEST

START_TEST(fill_uniform_extremes_stay_in_range)
{
    static const float ranges[][2] = {{1.0f, 2.0f}, {0.0f, 3.0f}, {-1.0f, 1e-7f}, {-FLT_MAX, FLT_MAX},
                                      {1.0f, 1.0000001f}};
    const int64_t shape[] = {1};
    deep_rng *rng = NULL;
    deep_tensor *t = NULL;
    ASSERT_OK(deep_rng_new(0, &rng));
    ASSERT_OK(deep_tensor_new(1, shape, &t));
    for (int i = 0; i < COUNT_OF(ranges); i++) {
        const float low = ranges[i][0], high = ranges[i][1];
        float value;
        /* The largest uniform draw, 1 - 2^-24, must still give a value below high. */
        force_next_output(rng, UINT64_MAX);
        ASSERT_OK(deep_tensor_fill_uniform(t, rng, low, high));
        ASSERT_OK(deep_tensor_copy_to(t, &value, 1));
        ck_assert_msg(isfinite(value) && value >= low && value < high, "[%g, %g) gave %.9g",
                      (double)low, (double)high, (double)value);
        /* The smallest draw gives low itself. */
        force_next_output(rng, 0);
        ASSERT_OK(deep_tensor_fill_uniform(t, rng, low, high));
        ASSERT_OK(deep_tensor_copy_to(t, &value, 1));
        ck_assert_float_eq(value, low);
    }
    deep_tensor_free(t);
    deep_rng_free(rng);
}
END_TEST

START_TEST(fill_uniform_full_float_range_is_finite)
{
    const int64_t shape[] = {1000};
    deep_rng *rng = NULL;
    deep_tensor *t = NULL;
    ASSERT_OK(deep_rng_new(8, &rng));
    ASSERT_OK(deep_tensor_new(1, shape, &t));
    ASSERT_OK(deep_tensor_fill_uniform(t, rng, -FLT_MAX, FLT_MAX));
    const float *data;
    ASSERT_OK(deep_tensor_data(t, &data));
    int negative = 0, infinite = 0;
    for (int i = 0; i < 1000; i++) {
        infinite += !isfinite(data[i]);
        negative += data[i] < 0;
    }
    ck_assert_int_eq(infinite, 0);
    ck_assert_int_gt(negative, 400);
    ck_assert_int_lt(negative, 600);
    deep_tensor_free(t);
    deep_rng_free(rng);
}
END_TEST

START_TEST(fill_uniform_rejects_bad_bounds)
{
    static const float bad[][2] = {
        {1, 1}, {2, 1}, {0, -FLT_MIN}, {NAN, 1}, {0, NAN}, {-INFINITY, 0}, {0, INFINITY}, {-INFINITY, INFINITY},
    };
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(1, &rng));
    deep_tensor *t = iota(3, SHAPE_234);
    for (int i = 0; i < COUNT_OF(bad); i++)
        ASSERT_FAILS(deep_tensor_fill_uniform(t, rng, bad[i][0], bad[i][1]), DEEP_ERR_INVALID_ARGUMENT,
                     "deep_tensor_fill_uniform");
    assert_iota(t);
    ASSERT_FAILS(deep_tensor_fill_uniform(NULL, rng, 0, 1), DEEP_ERR_NULL, "deep_tensor_fill_uniform");
    ASSERT_FAILS(deep_tensor_fill_uniform(t, NULL, 0, 1), DEEP_ERR_NULL, "deep_tensor_fill_uniform");
    assert_iota(t);
    deep_tensor_free(t);
    deep_rng_free(rng);
}
END_TEST

START_TEST(fill_normal_moments)
{
    const int64_t shape[] = {200000};
    deep_rng *rng = NULL;
    deep_tensor *t = NULL;
    ASSERT_OK(deep_rng_new(4, &rng));
    ASSERT_OK(deep_tensor_new(1, shape, &t));
    ASSERT_OK(deep_tensor_fill_normal(t, rng, 2.0f, 3.0f));
    double mean, stddev;
    moments(t, &mean, &stddev);
    ck_assert_double_eq_tol(mean, 2.0, 0.05);  /* standard error ~0.007 */
    ck_assert_double_eq_tol(stddev, 3.0, 0.05);
    deep_tensor_free(t);
    deep_rng_free(rng);
}
END_TEST

START_TEST(fill_normal_zero_stddev_gives_mean)
{
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(4, &rng));
    deep_tensor *t = iota(3, SHAPE_234);
    ASSERT_OK(deep_tensor_fill_normal(t, rng, -0.75f, 0.0f));
    assert_all_equal(t, -0.75f);
    deep_tensor_free(t);
    deep_rng_free(rng);
}
END_TEST

START_TEST(fill_normal_reproducible)
{
    assert_fill_reproducible(deep_tensor_fill_normal, 0.0f, 1.0f);
}
END_TEST

START_TEST(fill_normal_rejects_bad_parameters)
{
    static const float bad[][2] = {
        {0, -1}, {0, -FLT_MIN}, {0, NAN}, {0, INFINITY}, {NAN, 1}, {INFINITY, 1}, {-INFINITY, 1},
    };
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(1, &rng));
    deep_tensor *t = iota(3, SHAPE_234);
    for (int i = 0; i < COUNT_OF(bad); i++)
        ASSERT_FAILS(deep_tensor_fill_normal(t, rng, bad[i][0], bad[i][1]), DEEP_ERR_INVALID_ARGUMENT,
                     "deep_tensor_fill_normal");
    assert_iota(t);
    ASSERT_FAILS(deep_tensor_fill_normal(NULL, rng, 0, 1), DEEP_ERR_NULL, "deep_tensor_fill_normal");
    ASSERT_FAILS(deep_tensor_fill_normal(t, NULL, 0, 1), DEEP_ERR_NULL, "deep_tensor_fill_normal");
    assert_iota(t);
    deep_tensor_free(t);
    deep_rng_free(rng);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Reductions: sum, argmax                                                              */
/* ----------------------------------------------------------------------------------- */

START_TEST(sum_is_exact)
{
    deep_tensor *t = iota(3, SHAPE_234);
    double sum = -1;
    ASSERT_OK(deep_tensor_sum(t, &sum));
    ck_assert_double_eq(sum, 276.0); /* 0 + 1 + ... + 23 */
    deep_tensor_free(t);
}
END_TEST

START_TEST(sum_accumulates_in_double)
{
    /* In float, 2^24 + 1 rounds back to 2^24, so a float accumulator would return 2^24. */
    const int64_t shape[] = {5};
    const float data[] = {16777216.0f, 1, 1, 1, 1};
    deep_tensor *t = NULL;
    double sum;
    ASSERT_OK(deep_tensor_new_from(1, shape, data, 5, &t));
    ASSERT_OK(deep_tensor_sum(t, &sum));
    ck_assert_double_eq(sum, 16777220.0);
    deep_tensor_free(t);

    /* A million copies of 0.1f: a float accumulator drifts by about 1%. */
    const int64_t million[] = {1000, 1000};
    ASSERT_OK(deep_tensor_new_filled(2, million, 0.1f, &t));
    ASSERT_OK(deep_tensor_sum(t, &sum));
    ck_assert_double_eq_tol(sum, 1e6 * (double)0.1f, 1e-6);
    deep_tensor_free(t);
}
END_TEST

START_TEST(sum_rejects_null)
{
    deep_tensor *t = iota(3, SHAPE_234);
    double sum;
    ASSERT_FAILS(deep_tensor_sum(NULL, &sum), DEEP_ERR_NULL, "deep_tensor_sum");
    ASSERT_FAILS(deep_tensor_sum(t, NULL), DEEP_ERR_NULL, "deep_tensor_sum");
    deep_tensor_free(t);
}
END_TEST

/* argmax of `data` shaped `shape` into a buffer of 8 whose unused tail must stay -7. */
static void assert_argmax(int32_t rank, const int64_t *shape, const float *data, int64_t count,
                          const int64_t *expected, int64_t rows)
{
    deep_tensor *t = NULL;
    int64_t indices[8] = {-7, -7, -7, -7, -7, -7, -7, -7};
    ASSERT_OK(deep_tensor_new_from(rank, shape, data, count, &t));
    ASSERT_OK(deep_tensor_argmax(t, indices, 8, &(int64_t){0}));
    for (int64_t r = 0; r < 8; r++)
        ck_assert_int_eq(indices[r], r < rows ? expected[r] : -7);
    ASSERT_OK(deep_tensor_argmax(t, indices, rows, &(int64_t){0})); /* exactly the row count */
    deep_tensor_free(t);
}

START_TEST(argmax_rows_and_ties)
{
    const int64_t shape[] = {4, 4};
    const float data[] = {1, 5, 2, 0,      /* plain maximum */
                          7, -1, 7, 3,     /* tie: first index wins */
                          -3, -2, -9, -2,  /* negative values, tie */
                          0, 0, 0, 0};     /* all equal */
    const int64_t expected[] = {1, 0, 1, 0};
    assert_argmax(2, shape, data, 16, expected, 4);
}
END_TEST

START_TEST(argmax_rank_one)
{
    const int64_t shape[] = {5};
    const float data[] = {0.5f, 2, 2, -1, 1};
    const int64_t expected[] = {1};
    assert_argmax(1, shape, data, 5, expected, 1);
}
END_TEST

START_TEST(argmax_rank_three_and_width_one)
{
    const int64_t shape3[] = {2, 2, 3};
    const float data3[] = {3, 2, 1, 1, 2, 3, 0, 9, 0, -INFINITY, -1e30f, -INFINITY};
    const int64_t expected3[] = {0, 2, 1, 1};
    assert_argmax(3, shape3, data3, 12, expected3, 4);

    const int64_t column[] = {3, 1};
    const float data_col[] = {5, -5, 0};
    const int64_t zeros[] = {0, 0, 0};
    assert_argmax(2, column, data_col, 3, zeros, 3);
}
END_TEST

START_TEST(argmax_rejects_small_capacity)
{
    static const int64_t capacities[] = {3, 1, -1, INT64_MIN};
    const int64_t shape[] = {4, 6};
    deep_tensor *t = NULL;
    ASSERT_OK(deep_tensor_new(2, shape, &t));
    for (int i = 0; i < COUNT_OF(capacities); i++) {
        int64_t indices[4] = {-7, -7, -7, -7};
        ASSERT_FAILS(deep_tensor_argmax(t, indices, capacities[i], &(int64_t){0}),
                     capacities[i] > 0 ? DEEP_ERR_BUFFER_TOO_SMALL : DEEP_ERR_INVALID_ARGUMENT, "deep_tensor_argmax");
        ck_assert_int_eq(indices[0], -7);
    }
    int64_t rows = 0;
    ASSERT_OK(deep_tensor_argmax(t, NULL, 0, &rows)); /* the size query */
    ck_assert_int_eq(rows, 4);
    deep_tensor_free(t);
}
END_TEST

START_TEST(argmax_rejects_null)
{
    deep_tensor *t = iota(3, SHAPE_234);
    int64_t indices[6];
    ASSERT_FAILS(deep_tensor_argmax(NULL, indices, 6, &(int64_t){0}), DEEP_ERR_NULL, "deep_tensor_argmax");
    ASSERT_FAILS(deep_tensor_argmax(t, NULL, 6, &(int64_t){0}), DEEP_ERR_NULL, "deep_tensor_argmax");
    deep_tensor_free(t);
}
END_TEST

/* ----------------------------------------------------------------------------------- */

/* Check's default 4 s timeout is too tight when the suites run under the sanitizers on a
 * loaded machine; speed is never asserted. */
static TCase *new_tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *tensor_suite(void)
{
    Suite *s = suite_create("tensor");
    TCase *tc;

    tc = new_tcase(s, "create");
    tcase_add_loop_test(tc, constructors_reject_bad_shape, 0, COUNT_OF(bad_shapes));
    tcase_add_test(tc, constructors_report_failed_allocation);
    tcase_add_test(tc, constructors_reject_null_pointers);
    tcase_add_test(tc, new_from_rejects_count_mismatch);
    tcase_add_test(tc, new_is_zero_filled);
    tcase_add_test(tc, new_filled_sets_every_element);
    tcase_add_test(tc, new_from_copies_data);
    tcase_add_test(tc, constructors_accept_max_rank_and_one_element);
    tcase_add_test(tc, clone_is_deep_copy);
    tcase_add_test(tc, clone_rejects_null);
    tcase_add_test(tc, free_accepts_null);

    tc = new_tcase(s, "query");
    tcase_add_test(tc, queries_report_shape);
    tcase_add_test(tc, dim_counts_negative_axes_from_end);
    tcase_add_test(tc, dim_rejects_bad_axes);
    tcase_add_test(tc, shape_rejects_small_capacity);
    tcase_add_test(tc, queries_reject_null);

    tc = new_tcase(s, "access");
    tcase_add_test(tc, get_set_use_row_major_order);
    tcase_add_test(tc, get_set_reject_wrong_index_rank);
    tcase_add_test(tc, get_set_reject_out_of_range_index);
    tcase_add_test(tc, get_set_reject_null);

    tc = new_tcase(s, "buffers");
    tcase_add_test(tc, data_pointers_share_the_buffer);
    tcase_add_test(tc, copy_to_and_from_round_trip);
    tcase_add_test(tc, copy_rejects_count_mismatch);
    tcase_add_test(tc, buffers_reject_null);

    tc = new_tcase(s, "reshape");
    tcase_add_loop_test(tc, reshape_accepts_same_count, 0, COUNT_OF(good_reshapes));
    tcase_add_loop_test(tc, reshape_failure_keeps_old_shape, 0, COUNT_OF(bad_reshapes));
    tcase_add_test(tc, reshape_rejects_null);

    tc = new_tcase(s, "fill");
    tcase_add_test(tc, fill_sets_every_element);
    tcase_add_test(tc, scale_shift_is_exact);
    tcase_add_test(tc, scale_shift_rejects_non_finite);

    tc = new_tcase(s, "random");
    tcase_add_test(tc, fill_uniform_range_and_mean);
    tcase_add_test(tc, fill_uniform_reproducible);
    tcase_add_test(tc, fill_uniform_extremes_stay_in_range);
    tcase_add_test(tc, fill_uniform_full_float_range_is_finite);
    tcase_add_test(tc, fill_uniform_rejects_bad_bounds);
    tcase_add_test(tc, fill_normal_moments);
    tcase_add_test(tc, fill_normal_zero_stddev_gives_mean);
    tcase_add_test(tc, fill_normal_reproducible);
    tcase_add_test(tc, fill_normal_rejects_bad_parameters);

    tc = new_tcase(s, "reduce");
    tcase_add_test(tc, sum_is_exact);
    tcase_add_test(tc, sum_accumulates_in_double);
    tcase_add_test(tc, sum_rejects_null);
    tcase_add_test(tc, argmax_rows_and_ties);
    tcase_add_test(tc, argmax_rank_one);
    tcase_add_test(tc, argmax_rank_three_and_width_one);
    tcase_add_test(tc, argmax_rejects_small_capacity);
    tcase_add_test(tc, argmax_rejects_null);
    return s;
}

int main(void)
{
    return run_suite(tensor_suite(), CK_ENV);
}
