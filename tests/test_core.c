/* Tests of libdeep/core: status names, per-thread errors, versions, logging, the random
 * generator (public and internal), checked sizes, allocation, the growing byte buffer and
 * the thread pool. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/core.h"
#include "check_helpers.h"

/* ----------------------------------------------------------------------------------- */
/* Status names                                                                         */
/* ----------------------------------------------------------------------------------- */

static const struct {
    deep_status status;
    int value;
    const char *name;
} status_table[] = {
    {DEEP_OK, 0, "DEEP_OK"},
    {DEEP_ERR_NULL, -1, "DEEP_ERR_NULL"},
    {DEEP_ERR_INVALID_ARGUMENT, -2, "DEEP_ERR_INVALID_ARGUMENT"},
    {DEEP_ERR_SHAPE, -3, "DEEP_ERR_SHAPE"},
    {DEEP_ERR_OUT_OF_RANGE, -4, "DEEP_ERR_OUT_OF_RANGE"},
    {DEEP_ERR_NO_MEMORY, -5, "DEEP_ERR_NO_MEMORY"},
    {DEEP_ERR_OVERFLOW, -6, "DEEP_ERR_OVERFLOW"},
    {DEEP_ERR_STATE, -7, "DEEP_ERR_STATE"},
    {DEEP_ERR_IO, -8, "DEEP_ERR_IO"},
    {DEEP_ERR_FORMAT, -9, "DEEP_ERR_FORMAT"},
    {DEEP_ERR_NUMERIC, -10, "DEEP_ERR_NUMERIC"},
    {DEEP_ERR_UNSUPPORTED, -11, "DEEP_ERR_UNSUPPORTED"},
    {DEEP_ERR_THREAD, -12, "DEEP_ERR_THREAD"},
    {DEEP_ERR_BUFFER_TOO_SMALL, -13, "DEEP_ERR_BUFFER_TOO_SMALL"},
};

START_TEST(status_string_names_every_code)
{
    for (int i = 0; i < COUNT_OF(status_table); i++) {
        /* The values are part of the ABI: pin them. */
        ck_assert_int_eq((int)status_table[i].status, status_table[i].value);
        ck_assert_str_eq(deep_status_string(status_table[i].status), status_table[i].name);
    }
}
END_TEST

START_TEST(status_string_unknown_code)
{
    const int unknown[] = {1, 42, -14, -1000, -2147483647 - 1, 2147483647};
    for (int i = 0; i < COUNT_OF(unknown); i++) {
        const char *name = deep_status_string((deep_status)unknown[i]);
        ck_assert_ptr_nonnull(name);
        ck_assert_str_eq(name, "DEEP_ERR_UNKNOWN");
    }
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Last error                                                                           */
/* ----------------------------------------------------------------------------------- */

START_TEST(last_error_names_failing_function)
{
    ASSERT_FAILS(deep_rng_new(1, NULL), DEEP_ERR_NULL, "deep_rng_new");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "'out'"));

    uint64_t x;
    ASSERT_FAILS(deep_rng_next(NULL, &x), DEEP_ERR_NULL, "deep_rng_next");
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "'rng'"));
}
END_TEST

START_TEST(clear_error_empties_message)
{
    ASSERT_FAILS(deep_rng_seed(NULL, 1), DEEP_ERR_NULL, "deep_rng_seed");
    deep_clear_error();
    ck_assert_ptr_nonnull(deep_last_error());
    ck_assert_str_eq(deep_last_error(), "");
    deep_clear_error(); /* clearing twice is harmless */
    ck_assert_str_eq(deep_last_error(), "");
}
END_TEST

START_TEST(set_last_error_records_message)
{
    ck_assert_int_eq(deep_set_last_error(DEEP_ERR_IO, "deep_mpi_fit", "rank 1 failed"), DEEP_ERR_IO);
    ck_assert_str_eq(deep_last_error(), "deep_mpi_fit: rank 1 failed");
    ck_assert_int_eq(deep_set_last_error(DEEP_ERR_STATE, NULL, "no function"), DEEP_ERR_STATE);
    ck_assert_str_eq(deep_last_error(), "no function");
    ck_assert_int_eq(deep_set_last_error(DEEP_ERR_NULL, "f", NULL), DEEP_ERR_NULL);
    ck_assert_str_eq(deep_last_error(), "f: ");
    char longer[2000];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    deep_set_last_error(DEEP_ERR_FORMAT, NULL, longer);
    size_t kept = strlen(deep_last_error());
    ck_assert_uint_gt(kept, 100);
    ck_assert_uint_lt(kept, sizeof longer - 1);
}
END_TEST

START_TEST(successful_call_keeps_previous_message)
{
    ASSERT_FAILS(deep_rng_seed(NULL, 1), DEEP_ERR_NULL, "deep_rng_seed");
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(1, &rng));
    ck_assert(names_function(deep_last_error(), "deep_rng_seed"));
    deep_rng_free(rng);
}
END_TEST

START_TEST(error_set_truncates_long_messages)
{
    char long_text[2000];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    deep_status s = deep_error_set(DEEP_ERR_FORMAT, "some_function", "%s", long_text);
    ck_assert_int_eq(s, DEEP_ERR_FORMAT);
    const char *msg = deep_last_error();
    ck_assert(names_function(msg, "some_function"));
    ck_assert_uint_lt(strlen(msg), sizeof long_text - 1);
    ck_assert_uint_gt(strlen(msg), 100);
}
END_TEST

struct thread_report {
    char initial[64];   /* the new thread's message before it fails */
    char after_fail[256];
    char after_clear[64];
};

static void *fail_on_other_thread(void *raw)
{
    struct thread_report *report = raw;
    snprintf(report->initial, sizeof report->initial, "%s", deep_last_error());
    float f;
    (void)deep_rng_uniform(NULL, &f);
    snprintf(report->after_fail, sizeof report->after_fail, "%s", deep_last_error());
    deep_clear_error();
    snprintf(report->after_clear, sizeof report->after_clear, "%s", deep_last_error());
    return NULL;
}

START_TEST(last_error_is_per_thread)
{
    ASSERT_FAILS(deep_rng_next(NULL, NULL), DEEP_ERR_NULL, "deep_rng_next");
    char before[256];
    snprintf(before, sizeof before, "%s", deep_last_error());

    struct thread_report report;
    memset(&report, 0, sizeof report);
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, fail_on_other_thread, &report), 0);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);

    ck_assert_str_eq(report.initial, "");
    ck_assert_msg(names_function(report.after_fail, "deep_rng_uniform"), "thread saw \"%s\"",
                  report.after_fail);
    ck_assert_str_eq(report.after_clear, "");
    /* Neither the other thread's failure nor its clear touched this thread's message. */
    ck_assert_str_eq(deep_last_error(), before);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Versions, cpu count                                                                  */
/* ----------------------------------------------------------------------------------- */

START_TEST(version_matches_header)
{
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", DEEP_VERSION_MAJOR, DEEP_VERSION_MINOR,
             DEEP_VERSION_PATCH);
    ck_assert_str_eq(deep_version_string(), expected);
    ck_assert_int_eq(deep_version_number(), DEEP_VERSION_NUMBER);
    ck_assert_int_eq(deep_version_number(),
                     DEEP_VERSION_MAJOR * 10000 + DEEP_VERSION_MINOR * 100 + DEEP_VERSION_PATCH);
    /* A static string: the same pointer every time. */
    ck_assert_ptr_eq(deep_version_string(), deep_version_string());
}
END_TEST

START_TEST(cpu_count_is_positive)
{
    int64_t n = deep_cpu_count();
    ck_assert_int_ge(n, 1);
    ck_assert_int_le(n, 1024);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* deep_log_console                                                                     */
/* ----------------------------------------------------------------------------------- */

/* Reads what is waiting in a non-blocking pipe into buf (NUL-terminated). */
static void drain(int fd, char *buf, size_t capacity)
{
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, capacity - 1 - used);
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
}

/* Calls deep_log_console with pipes in place of stdout and stderr and returns what each got. */
static void capture_log(deep_log_level level, const char *message, char *out, char *err, size_t capacity)
{
    int out_pipe[2], err_pipe[2];
    ck_assert_int_eq(pipe(out_pipe), 0);
    ck_assert_int_eq(pipe(err_pipe), 0);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    ck_assert_int_ge(saved_out, 0);
    ck_assert_int_ge(saved_err, 0);
    ck_assert_int_ge(dup2(out_pipe[1], STDOUT_FILENO), 0);
    ck_assert_int_ge(dup2(err_pipe[1], STDERR_FILENO), 0);

    deep_log_console(NULL, level, message);

    /* Restore before asserting so that a failure report reaches the real streams. */
    int restored_out = dup2(saved_out, STDOUT_FILENO), restored_err = dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    close(out_pipe[1]);
    close(err_pipe[1]);
    ck_assert_int_ge(restored_out, 0);
    ck_assert_int_ge(restored_err, 0);
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    drain(out_pipe[0], out, capacity);
    drain(err_pipe[0], err, capacity);
    close(out_pipe[0]);
    close(err_pipe[0]);
}

START_TEST(log_console_routes_levels)
{
    static const struct {
        deep_log_level level;
        bool to_stderr;
    } cases[] = {
        {DEEP_LOG_DEBUG, false},
        {DEEP_LOG_INFO, false},
        {DEEP_LOG_WARNING, true},
        {DEEP_LOG_ERROR, true},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        char out[128], err[128];
        capture_log(cases[i].level, "epoch 1/3 - loss: 0.25", out, err, sizeof out);
        ck_assert_str_eq(cases[i].to_stderr ? err : out, "epoch 1/3 - loss: 0.25\n");
        ck_assert_str_eq(cases[i].to_stderr ? out : err, "");
    }
}
END_TEST

START_TEST(log_console_null_and_empty_message)
{
    char out[32], err[32];
    capture_log(DEEP_LOG_INFO, NULL, out, err, sizeof out);
    ck_assert_str_eq(out, "\n");
    ck_assert_str_eq(err, "");
    capture_log(DEEP_LOG_ERROR, "", out, err, sizeof out);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "\n");
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Public random generator                                                              */
/* ----------------------------------------------------------------------------------- */

/* Sets the generator's state so that its next 64-bit output is `value`. xoshiro256**'s
 * output is rotl(s[1] * 5, 7) * 9, which is invertible (5 and 9 are odd). */
static uint64_t inverse_odd(uint64_t a)
{
    uint64_t x = a; /* right to 3 bits; each Newton step doubles that */
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

static void force_next_output(struct deep_rng *rng, uint64_t value)
{
    uint64_t a = value * inverse_odd(9);
    uint64_t b = (a >> 7) | (a << 57);
    rng->s[0] = rng->s[2] = rng->s[3] = 0x0123456789abcdefULL;
    rng->s[1] = b * inverse_odd(5);
}

START_TEST(rng_null_arguments)
{
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(7, &rng));
    uint64_t u;
    float f;
    ASSERT_FAILS(deep_rng_new(7, NULL), DEEP_ERR_NULL, "deep_rng_new");
    ASSERT_FAILS(deep_rng_seed(NULL, 7), DEEP_ERR_NULL, "deep_rng_seed");
    ASSERT_FAILS(deep_rng_next(NULL, &u), DEEP_ERR_NULL, "deep_rng_next");
    ASSERT_FAILS(deep_rng_next(rng, NULL), DEEP_ERR_NULL, "deep_rng_next");
    ASSERT_FAILS(deep_rng_uniform(NULL, &f), DEEP_ERR_NULL, "deep_rng_uniform");
    ASSERT_FAILS(deep_rng_uniform(rng, NULL), DEEP_ERR_NULL, "deep_rng_uniform");
    deep_rng_free(rng);
    deep_rng_free(NULL);
}
END_TEST

START_TEST(rng_same_seed_same_sequence)
{
    deep_rng *a = NULL, *b = NULL, *c = NULL;
    ASSERT_OK(deep_rng_new(12345, &a));
    ASSERT_OK(deep_rng_new(12345, &b));
    ASSERT_OK(deep_rng_new(12346, &c));
    int differences = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x, y, z;
        ASSERT_OK(deep_rng_next(a, &x));
        ASSERT_OK(deep_rng_next(b, &y));
        ASSERT_OK(deep_rng_next(c, &z));
        ck_assert_uint_eq(x, y);
        differences += x != z;
    }
    ck_assert_int_gt(differences, 990);
    deep_rng_free(a);
    deep_rng_free(b);
    deep_rng_free(c);
}
END_TEST

START_TEST(rng_reseed_restarts)
{
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(99, &rng));
    uint64_t first[16];
    float first_f[16];
    for (int i = 0; i < 16; i++)
        ASSERT_OK(deep_rng_next(rng, &first[i]));
    for (int i = 0; i < 16; i++)
        ASSERT_OK(deep_rng_uniform(rng, &first_f[i]));

    ASSERT_OK(deep_rng_seed(rng, 99));
    for (int i = 0; i < 16; i++) {
        uint64_t x;
        ASSERT_OK(deep_rng_next(rng, &x));
        ck_assert_uint_eq(x, first[i]);
    }
    for (int i = 0; i < 16; i++) {
        float f;
        ASSERT_OK(deep_rng_uniform(rng, &f));
        ck_assert_float_eq(f, first_f[i]);
    }
    deep_rng_free(rng);
}
END_TEST

START_TEST(rng_uniform_range_and_mean)
{
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(2024, &rng));
    const int n = 200000;
    double total = 0;
    int low_half = 0, outside = 0;
    for (int i = 0; i < n; i++) {
        float f = -1;
        (void)deep_rng_uniform(rng, &f);
        outside += !(f >= 0.0f && f < 1.0f);
        total += f;
        low_half += f < 0.5f;
    }
    ck_assert_int_eq(outside, 0);
    /* The standard error of the mean is 0.29 / sqrt(n) ~ 0.0007. */
    ck_assert_double_eq_tol(total / n, 0.5, 0.01);
    ck_assert_int_gt(low_half, n * 49 / 100);
    ck_assert_int_lt(low_half, n * 51 / 100);
    deep_rng_free(rng);
}
END_TEST

START_TEST(rng_uniform_extremes)
{
    deep_rng *rng = NULL;
    ASSERT_OK(deep_rng_new(0, &rng));
    float f;
    force_next_output(rng, UINT64_MAX);
    ASSERT_OK(deep_rng_uniform(rng, &f));
    ck_assert_float_lt(f, 1.0f);
    ck_assert_float_eq(f, 1.0f - 1.0f / 16777216.0f);
    force_next_output(rng, 0);
    ASSERT_OK(deep_rng_uniform(rng, &f));
    ck_assert_float_eq(f, 0.0f);
    uint64_t x;
    force_next_output(rng, 0xdeadbeefcafef00dULL);
    ASSERT_OK(deep_rng_next(rng, &x));
    ck_assert_uint_eq(x, 0xdeadbeefcafef00dULL);
    deep_rng_free(rng);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Internal generator helpers                                                           */
/* ----------------------------------------------------------------------------------- */

START_TEST(rng_below_stays_in_bounds)
{
    static const uint64_t bounds[] = {1, 2, 3, 7, 10, 1000, (1ULL << 32) + 1, (1ULL << 63) + 1,
                                      UINT64_MAX};
    struct deep_rng rng;
    deep_rng_init(&rng, 5);
    for (int b = 0; b < COUNT_OF(bounds); b++) {
        int outside = 0;
        for (int i = 0; i < 2000; i++)
            outside += deep_rng_below(&rng, bounds[b]) >= bounds[b];
        ck_assert_msg(outside == 0, "bound %llu: %d values outside", (unsigned long long)bounds[b], outside);
    }
}
END_TEST

START_TEST(rng_below_reaches_every_value)
{
    struct deep_rng rng;
    deep_rng_init(&rng, 6);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++)
        seen[deep_rng_below(&rng, 7)]++;
    for (int v = 0; v < 7; v++)
        ck_assert_int_gt(seen[v], 800); /* expected 1000 each */
}
END_TEST

/* Asserts that items[0..n) holds each of 0..n-1 exactly once. */
static void assert_permutation(const int64_t *items, int64_t n)
{
    char *seen = calloc((size_t)n + 1, 1);
    ck_assert_ptr_nonnull(seen);
    for (int64_t i = 0; i < n; i++) {
        ck_assert_int_ge(items[i], 0);
        ck_assert_int_lt(items[i], n);
        ck_assert_int_eq(seen[items[i]], 0);
        seen[items[i]] = 1;
    }
    free(seen);
}

START_TEST(rng_shuffle_is_permutation)
{
    static const int64_t sizes[] = {0, 1, 2, 3, 10, 1000};
    struct deep_rng rng;
    deep_rng_init(&rng, 77);
    int64_t items[1000];
    for (int s = 0; s < COUNT_OF(sizes); s++) {
        int64_t n = sizes[s];
        for (int64_t i = 0; i < n; i++)
            items[i] = i;
        deep_rng_shuffle_i64(&rng, items, n);
        assert_permutation(items, n);
    }
    /* 1000 items shuffled: staying in order is practically impossible. */
    int64_t fixed = 0;
    for (int64_t i = 0; i < 1000; i++)
        fixed += items[i] == i;
    ck_assert_int_lt(fixed, 20);
}
END_TEST

START_TEST(rng_shuffle_is_reproducible)
{
    struct deep_rng a, b;
    deep_rng_init(&a, 31);
    deep_rng_init(&b, 31);
    int64_t x[50], y[50];
    for (int i = 0; i < 50; i++)
        x[i] = y[i] = i;
    deep_rng_shuffle_i64(&a, x, 50);
    deep_rng_shuffle_i64(&b, y, 50);
    ck_assert_mem_eq(x, y, sizeof x);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Checked sizes and allocation                                                         */
/* ----------------------------------------------------------------------------------- */

START_TEST(mul_i64_detects_overflow)
{
    static const struct {
        int64_t a, b;
        bool ok;
        int64_t product;
    } cases[] = {
        {0, 0, true, 0},
        {0, INT64_MAX, true, 0},
        {INT64_MAX, 0, true, 0},
        {1, INT64_MAX, true, INT64_MAX},
        {INT64_MAX, 1, true, INT64_MAX},
        {6, 7, true, 42},
        {1LL << 31, 1LL << 31, true, 1LL << 62},
        {1LL << 31, 1LL << 32, false, 0},
        {1LL << 40, 1LL << 40, false, 0},
        {3037000499LL, 3037000499LL, true, 3037000499LL * 3037000499LL},
        {3037000500LL, 3037000500LL, false, 0},
        {INT64_MAX, 2, false, 0},
        {2, INT64_MAX, false, 0},
        {INT64_MAX, INT64_MAX, false, 0},
        {-1, 1, false, 0},
        {1, -1, false, 0},
        {-1, -1, false, 0},
        {INT64_MIN, 0, false, 0},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        int64_t out = -12345;
        bool ok = deep_mul_i64(cases[i].a, cases[i].b, &out);
        ck_assert_msg(ok == cases[i].ok, "case %d: %lld * %lld", i, (long long)cases[i].a,
                      (long long)cases[i].b);
        if (ok)
            ck_assert_int_eq(out, cases[i].product);
        else
            ck_assert_int_eq(out, -12345); /* untouched on failure */
    }
}
END_TEST

START_TEST(alloc_rejects_absurd_counts)
{
    static const struct {
        int64_t count;
        size_t size;
    } cases[] = {
        {-1, 1},
        {INT64_MIN, 4},
        {INT64_MAX, 4},               /* the byte count overflows size_t */
        {INT64_MAX, sizeof(double)},
        {1LL << 61, 16},
        {1LL << 61, 2},               /* representable, but 4 EiB exceeds any address space */
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        ck_assert_msg(deep_alloc(cases[i].count, cases[i].size) == NULL, "deep_alloc case %d", i);
        ck_assert_msg(deep_alloc_zero(cases[i].count, cases[i].size) == NULL, "deep_alloc_zero case %d", i);
    }
}
END_TEST

START_TEST(alloc_small_and_zero_counts)
{
    /* A zero count still returns a unique pointer that can be freed. */
    void *p = deep_alloc(0, sizeof(float));
    void *q = deep_alloc_zero(0, sizeof(float));
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(q);
    free(p);
    free(q);

    float *z = deep_alloc_zero(64, sizeof *z);
    ck_assert_ptr_nonnull(z);
    for (int i = 0; i < 64; i++)
        ck_assert_float_eq(z[i], 0.0f);
    free(z);

    int64_t *w = deep_alloc(64, sizeof *w);
    ck_assert_ptr_nonnull(w);
    for (int i = 0; i < 64; i++)
        w[i] = i; /* the whole requested size is writable (checked by ASan/valgrind) */
    free(w);
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* The growing byte buffer (core/bytes.h)                                               */
/* ----------------------------------------------------------------------------------- */

/* This suite is linked with --wrap=malloc,realloc,calloc (tests/meson.build): while
 * fail_allocations is set, every allocation the library makes fails. */
void *__real_malloc(size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static bool fail_allocations;

void *__wrap_malloc(size_t size)
{
    return fail_allocations ? NULL : __real_malloc(size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return fail_allocations ? NULL : __real_realloc(p, size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_allocations ? NULL : __real_calloc(n, size);
}

START_TEST(bytes_grow_and_keep_every_byte)
{
    deep_bytes b = {0};
    for (int i = 0; i < 5000; i++) {
        uint8_t chunk[7];
        for (int k = 0; k < 7; k++)
            chunk[k] = (uint8_t)(i * 7 + k);
        deep_bytes_put(&b, chunk, sizeof chunk);
    }
    deep_bytes_put(&b, "ignored", 0);
    ck_assert(!b.failed);
    ck_assert_uint_eq(b.length, 35000);
    ck_assert_uint_eq(b.capacity, 65536); /* 4096 doubled until 35000 fit */
    for (size_t i = 0; i < b.length; i++)
        ck_assert_uint_eq(b.data[i], (uint8_t)i);
    deep_bytes_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.length, 0);
    ck_assert_uint_eq(b.capacity, 0);
    deep_bytes_free(&b); /* twice is harmless */
}
END_TEST

START_TEST(bytes_printf_short_and_long)
{
    deep_bytes b = {0};
    char long_text[1000];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    deep_bytes_printf(&b, "%d-%s", 42, "ab");
    deep_bytes_printf(&b, "[%s]", long_text); /* longer than the stack buffer */
    deep_bytes_printf(&b, "%s", "");
    ck_assert(!b.failed);
    ck_assert_uint_eq(b.length, 5 + 1001);
    ck_assert_int_eq(memcmp(b.data, "42-ab[", 6), 0);
    ck_assert_int_eq(memcmp(b.data + 6, long_text, 999), 0);
    ck_assert_int_eq(b.data[b.length - 1], ']');
    deep_bytes_free(&b);
}
END_TEST

START_TEST(bytes_put_le_orders_bytes)
{
    deep_bytes b = {0};
    deep_bytes_put_le(&b, 0x0102030405060708u, 8);
    deep_bytes_put_le(&b, 0xa1b2c3d4u, 4);
    deep_bytes_put_le(&b, 0xffffu, 1); /* only the low byte */
    static const uint8_t want[] = {8, 7, 6, 5, 4, 3, 2, 1, 0xd4, 0xc3, 0xb2, 0xa1, 0xff};
    ck_assert(!b.failed);
    ck_assert_uint_eq(b.length, sizeof want);
    ck_assert_int_eq(memcmp(b.data, want, sizeof want), 0);
    deep_bytes_put_le(&b, 1, 9); /* no such width: the output would be malformed */
    ck_assert(b.failed);
    ck_assert_uint_eq(b.length, sizeof want);
    deep_bytes_free(&b);
}
END_TEST

START_TEST(bytes_failure_is_sticky)
{
    deep_bytes b = {0};
    deep_bytes_put(&b, "abc", 3);
    ck_assert(!b.failed);
    /* Filling the first 4096 bytes needs no allocation; the next byte does, and fails. */
    uint8_t fill[4093] = {0};
    deep_bytes_put(&b, fill, sizeof fill);
    fail_allocations = true;
    deep_bytes_put(&b, "d", 1);
    fail_allocations = false;
    ck_assert(b.failed);
    ck_assert_uint_eq(b.length, 4096);
    /* Memory is back, but the text already lost a part: every later append is dropped. */
    deep_bytes_put(&b, "e", 1);
    deep_bytes_printf(&b, "%d", 5);
    deep_bytes_put_le(&b, 6, 4);
    ck_assert(b.failed);
    ck_assert_uint_eq(b.length, 4096);
    ck_assert_int_eq(memcmp(b.data, "abc", 3), 0);
    deep_bytes_free(&b);
    ck_assert(!b.failed); /* freed, it starts over */

    /* A long printf needs a scratch allocation of its own. */
    deep_bytes_put(&b, "x", 1);
    char long_text[600];
    memset(long_text, 'y', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    fail_allocations = true;
    deep_bytes_printf(&b, "%s", long_text);
    fail_allocations = false;
    ck_assert(b.failed);
    ck_assert_uint_eq(b.length, 1);
    deep_bytes_free(&b);

    /* The very first allocation failing. */
    fail_allocations = true;
    deep_bytes_put(&b, "z", 1);
    fail_allocations = false;
    ck_assert(b.failed);
    ck_assert_ptr_null(b.data);
    deep_bytes_free(&b);
}
END_TEST

START_TEST(bytes_refuse_a_length_that_wraps)
{
    /* A length near SIZE_MAX, as a writer adding up huge sizes would reach: the check comes
     * before any copy, so the small real block is never written past. */
    deep_bytes b = {0};
    deep_bytes_put(&b, "abcd", 4);
    size_t real_length = b.length, real_capacity = b.capacity;
    b.length = b.capacity = SIZE_MAX - 3;
    deep_bytes_put(&b, "wxyz", 4);
    ck_assert(b.failed);
    ck_assert_uint_eq(b.length, SIZE_MAX - 3);
    b.length = real_length;
    b.capacity = real_capacity;
    ck_assert_int_eq(memcmp(b.data, "abcd", 4), 0);
    deep_bytes_free(&b);
}
END_TEST

START_TEST(bytes_capacity_doubles_without_overflow)
{
    static const struct {
        size_t capacity, needed, grown;
    } cases[] = {
        {0, 1, 4096},
        {0, 4096, 4096},
        {0, 4097, 8192},
        {4096, 4097, 8192},
        {4096, 100000, 131072},
        {100, 101, 200},                        /* doubles from any start */
        {SIZE_MAX / 2, SIZE_MAX / 2 + 1, SIZE_MAX - 1},
        {SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 2, SIZE_MAX / 2 + 2}, /* doubling would wrap */
        {4096, SIZE_MAX, SIZE_MAX},
        {SIZE_MAX - 10, SIZE_MAX, SIZE_MAX},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        size_t grown = deep_bytes_grown_capacity(cases[i].capacity, cases[i].needed);
        ck_assert_msg(grown == cases[i].grown, "case %d: %zu to hold %zu grew to %zu, not %zu", i, cases[i].capacity,
                      cases[i].needed, grown, cases[i].grown);
    }
}
END_TEST

START_TEST(bytes_copy_text_to_a_caller)
{
    deep_bytes b = {0};
    deep_bytes_printf(&b, "hello %s", "world");
    int64_t needed = -1;
    OK(deep_bytes_copy_text("caller_fn", &b, "the text", NULL, 0, &needed)); /* the size query */
    ck_assert_int_eq(needed, 12);
    char out[32];
    memset(out, '#', sizeof out);
    needed = -1;
    OK(deep_bytes_copy_text("caller_fn", &b, "the text", out, 12, &needed));
    ck_assert_int_eq(needed, 12);
    ck_assert_str_eq(out, "hello world");
    memset(out, '#', sizeof out);
    ASSERT_FAILS_WITH(deep_bytes_copy_text("caller_fn", &b, "the text", out, 5, &needed), DEEP_ERR_BUFFER_TOO_SMALL,
                      "caller_fn", "the text needs 12 bytes but capacity is 5");
    ck_assert_int_eq(needed, 12);
    for (size_t i = 0; i < sizeof out; i++) /* deep.h's buffer contract: never partly written */
        ck_assert_int_eq(out[i], '#');
    ASSERT_FAILS(deep_bytes_copy_text("caller_fn", &b, "the text", out, 1, &needed), DEEP_ERR_BUFFER_TOO_SMALL,
                 "caller_fn");
    ck_assert_int_eq(out[0], '#');
    b.failed = true;
    ASSERT_FAILS_WITH(deep_bytes_copy_text("caller_fn", &b, "the text", out, sizeof out, &needed),
                      DEEP_ERR_NO_MEMORY, "caller_fn", "the text");
    deep_bytes_free(&b);

    deep_bytes empty = {0};
    OK(deep_bytes_copy_text("caller_fn", &empty, "the text", out, 1, &needed));
    ck_assert_int_eq(needed, 1);
    ck_assert_str_eq(out, "");
}
END_TEST

/* ----------------------------------------------------------------------------------- */
/* Thread pool                                                                          */
/* ----------------------------------------------------------------------------------- */

#define MAX_N 1000
#define MAX_WORKERS 64

/* What one run saw. Each worker index is used by one thread per run, so the per-worker
 * slots need no locking; each element index belongs to exactly one chunk. */
struct coverage {
    int hits[MAX_N];
    int64_t chunk[MAX_N]; /* the first index of the chunk that ran it */
    int calls[MAX_WORKERS];
    int bad_calls;  /* empty or out-of-bounds ranges, or a worker index out of range */
    int32_t threads;
    int64_t n;
    pthread_t caller;
    int ran_on_caller;
};

static void record(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    struct coverage *c = raw;
    if (worker < 0 || worker >= c->threads || worker >= MAX_WORKERS || begin < 0 || begin >= end ||
        end > c->n) {
        __atomic_add_fetch(&c->bad_calls, 1, __ATOMIC_RELAXED);
        return;
    }
    c->calls[worker]++;
    if (pthread_equal(pthread_self(), c->caller))
        c->ran_on_caller = 1;
    for (int64_t i = begin; i < end; i++) {
        c->hits[i]++;
        c->chunk[i] = begin;
    }
}

/* Runs n items (work < 0: deep_pool_run, else deep_pool_run_work) and checks that every
 * index ran exactly once, in the number of chunks the pool promises. */
static void run_work_and_check(deep_pool *pool, int64_t n, double work, struct coverage *c)
{
    memset(c, 0, sizeof *c);
    c->threads = deep_pool_threads(pool);
    c->n = n;
    c->caller = pthread_self();
    if (work < 0)
        deep_pool_run(pool, n, record, c);
    else
        deep_pool_run_work(pool, n, work, record, c);
    ck_assert_int_eq(c->bad_calls, 0);
    int64_t wrong = 0, first_wrong = -1;
    for (int64_t i = 0; i < n; i++)
        if (c->hits[i] != 1 && wrong++ == 0)
            first_wrong = i;
    ck_assert_msg(wrong == 0, "n=%lld threads=%d: %lld indices not run exactly once, first %lld",
                  (long long)n, (int)c->threads, (long long)wrong, (long long)first_wrong);
    int64_t calls = 0;
    for (int w = 0; w < c->threads && w < MAX_WORKERS; w++)
        calls += c->calls[w];
    int64_t chunks = n == 0 ? 0 : work < 0 ? (n < c->threads ? n : c->threads) : deep_pool_chunks(pool, n, work);
    ck_assert_int_eq(calls, chunks);
}

static void run_and_check(deep_pool *pool, int64_t n, struct coverage *c)
{
    run_work_and_check(pool, n, -1, c);
}

START_TEST(pool_new_thread_counts)
{
    static const int32_t requested[] = {1, 2, 4};
    for (int i = 0; i < COUNT_OF(requested); i++) {
        deep_pool *pool = NULL;
        ASSERT_OK(deep_pool_new(requested[i], &pool));
        ck_assert_ptr_nonnull(pool);
        ck_assert_int_eq(deep_pool_threads(pool), requested[i]);
        deep_pool_free(pool);
    }
    static const int32_t automatic[] = {0, -1};
    for (int i = 0; i < COUNT_OF(automatic); i++) {
        deep_pool *pool = NULL;
        ASSERT_OK(deep_pool_new(automatic[i], &pool));
        ck_assert_int_eq(deep_pool_threads(pool), deep_cpu_count());
        deep_pool_free(pool);
    }
}
END_TEST

START_TEST(pool_new_null_out)
{
    ASSERT_FAILS(deep_pool_new(2, NULL), DEEP_ERR_NULL, "deep_pool_new");
}
END_TEST

START_TEST(pool_free_null)
{
    deep_pool_free(NULL);
    ck_assert_int_eq(deep_pool_threads(NULL), 1);
}
END_TEST

START_TEST(pool_covers_every_index_once)
{
    static const int64_t sizes[] = {0, 1, 2, 3, MAX_N};
    static struct coverage c;
    for (int32_t threads = 1; threads <= 4; threads++) {
        deep_pool *pool = NULL;
        ASSERT_OK(deep_pool_new(threads, &pool));
        for (int s = 0; s < COUNT_OF(sizes); s++) {
            run_and_check(pool, sizes[s], &c);
            if (sizes[s] == 0)
                ck_assert_int_eq(c.calls[0], 0);
        }
        deep_pool_free(pool);
    }
}
END_TEST

START_TEST(pool_null_runs_inline)
{
    static const int64_t sizes[] = {0, 1, 2, 3, MAX_N};
    static struct coverage c;
    for (int s = 0; s < COUNT_OF(sizes); s++) {
        run_and_check(NULL, sizes[s], &c);
        ck_assert_int_eq(c.calls[0], sizes[s] > 0);
        ck_assert_int_eq(c.ran_on_caller, sizes[s] > 0);
    }
}
END_TEST

START_TEST(pool_chunks_are_reproducible)
{
    static struct coverage first, again;
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(4, &pool));
    run_and_check(pool, MAX_N, &first);
    run_and_check(pool, MAX_N, &again);
    /* Which thread runs a chunk depends on timing; where chunks begin does not. */
    ck_assert_mem_eq(first.chunk, again.chunk, sizeof first.chunk);
    /* Contiguous chunks in order; with 1000 items one per thread. */
    int chunks = 1;
    for (int i = 1; i < MAX_N; i++) {
        ck_assert_int_ge(first.chunk[i], first.chunk[i - 1]);
        chunks += first.chunk[i] != first.chunk[i - 1];
    }
    ck_assert_int_eq(chunks, 4);
    run_work_and_check(pool, MAX_N, 1e9, &first);
    run_work_and_check(pool, MAX_N, 1e9, &again);
    ck_assert_mem_eq(first.chunk, again.chunk, sizeof first.chunk);
    deep_pool_free(pool);
}
END_TEST

START_TEST(pool_small_work_runs_on_the_caller)
{
    static struct coverage c;
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(4, &pool));
    static const double works[] = {0, 1, 1000, 20000};
    for (int i = 0; i < COUNT_OF(works); i++) {
        ck_assert_int_eq(deep_pool_chunks(pool, MAX_N, works[i]), 1);
        run_work_and_check(pool, MAX_N, works[i], &c);
        ck_assert_int_eq(c.calls[0], 1);
        ck_assert_int_eq(c.ran_on_caller, 1);
    }
    /* Large work: more chunks than threads (a late thread's share is taken by the others),
     * never more than items. */
    ck_assert_int_gt(deep_pool_chunks(pool, MAX_N, 1e9), 4);
    ck_assert_int_eq(deep_pool_chunks(pool, 3, 1e9), 3);
    ck_assert_int_eq(deep_pool_chunks(NULL, MAX_N, 1e9), 1);
    for (int64_t n = 0; n <= 9; n++)
        run_work_and_check(pool, n, 1e9, &c);
    deep_pool_free(pool);
}
END_TEST

/* A worker that stalls inside its chunk (as one the OS descheduled) must not keep the
 * others from the rest: the caller claims every chunk the worker has not. The stalled
 * chunk waits until the caller has run all the others (2 s at most, so an old-style
 * fixed split fails instead of hanging). */
struct stall {
    deep_pool *pool;
    int64_t chunks;
    _Atomic int64_t caller_chunks, stalled;
};

static void stall_record(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)begin, (void)end;
    struct stall *s = raw;
    if (worker == 0) {
        atomic_fetch_add(&s->caller_chunks, 1);
        return;
    }
    atomic_fetch_add(&s->stalled, 1);
    for (int i = 0; i < 2000 && atomic_load(&s->caller_chunks) < s->chunks - atomic_load(&s->stalled); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
}

START_TEST(pool_late_worker_does_not_stall_the_job)
{
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(2, &pool));
    for (int run = 0; run < 20; run++) {
        struct stall s = {pool, deep_pool_chunks(pool, MAX_N, 1e9), 0, 0};
        ck_assert_int_ge(s.chunks, 3);
        deep_pool_run_work(pool, MAX_N, 1e9, stall_record, &s);
        ck_assert_int_eq(atomic_load(&s.caller_chunks) + atomic_load(&s.stalled), s.chunks);
        ck_assert_int_le(atomic_load(&s.stalled), 1); /* the stalled worker claimed one at most */
        if (atomic_load(&s.stalled) == 1) {
            /* Whether the caller then runs the next jobs alone depends on how long it
             * waited against its own share, which a loaded machine changes, so only the
             * next job's coverage is checked here (unit tests never time things; the
             * stall rule itself is tested with a scripted clock below). */
            static struct coverage c;
            run_work_and_check(pool, MAX_N, 1e9, &c);
        }
    }
    deep_pool_free(pool);
}
END_TEST

/* The stall rule (threads.c) without timing anything: the pool reads a scripted clock.
 * A parallel job reads it three times on the caller (start, after the caller's own
 * chunks, at the end) and a job run on the caller alone never does. The script: each
 * parallel job starts 10 s after the previous one, each chunk takes 1 ms, so the caller's
 * own chunks take 1 ms times the chunks it ran (which the job records) and the job alone
 * would take 1 ms per chunk; the whole job takes that plus `late` (negative: the workers
 * saved time). */
struct script_clock {
    int64_t calls;
    double late;
    const int *own;    /* the chunks the caller ran in the current job */
    int64_t chunks;
};

static double scripted_now(void *raw)
{
    struct script_clock *sc = raw;
    int64_t job = sc->calls / 3, phase = sc->calls % 3;
    sc->calls++;
    double base = 10.0 * (double)job;
    return phase == 0 ? base : phase == 1 ? base + 1e-3 * *sc->own : base + 1e-3 * (double)sc->chunks + sc->late;
}

/* A result that depends on where the chunks begin, as a float reduction does: each index
 * gets the running sum of 1/(i+1) from its chunk's first index. */
struct chunk_sums {
    struct coverage cov;
    float sums[MAX_N];
    _Atomic int caller_ran;
};

static void sum_chunk(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    struct chunk_sums *cs = raw;
    if (worker != 0) /* a worker waits until the caller ran a chunk (10 s at most) */
        for (int i = 0; i < 10000 && !atomic_load(&cs->caller_ran); i++)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    float sum = 0;
    for (int64_t i = begin; i < end; i++)
        cs->sums[i] = sum += 1.0f / (float)(i + 1);
    record(&cs->cov, begin, end, worker);
    if (worker == 0)
        atomic_store(&cs->caller_ran, 1);
}

/* One job of MAX_N items and large work, checked as run_work_and_check does. */
static void run_sums(deep_pool *pool, struct chunk_sums *cs)
{
    memset(cs, 0, sizeof *cs);
    cs->cov.threads = deep_pool_threads(pool);
    cs->cov.n = MAX_N;
    cs->cov.caller = pthread_self();
    deep_pool_run_work(pool, MAX_N, 1e9, sum_chunk, cs);
    ck_assert_int_eq(cs->cov.bad_calls, 0);
    for (int64_t i = 0; i < MAX_N; i++)
        ck_assert_int_eq(cs->cov.hits[i], 1);
}

/* Runs the solo jobs left after a stall and checks that each ran on the caller alone with
 * the chunks and results of `reference`, a job its workers shared. Returns how many. */
static int64_t run_solo_jobs(deep_pool *pool, const struct chunk_sums *reference, struct chunk_sums *cs)
{
    int64_t left = deep_pool_solo_left(pool), chunks = deep_pool_chunks(pool, MAX_N, 1e9);
    for (int64_t job = 0; job < left; job++) {
        run_sums(pool, cs);
        ck_assert_int_eq(cs->cov.calls[0], chunks); /* every chunk on the calling thread */
        ck_assert_int_eq(cs->cov.ran_on_caller, 1);
        ck_assert_mem_eq(cs->cov.chunk, reference->cov.chunk, sizeof cs->cov.chunk);
        ck_assert_mem_eq(cs->sums, reference->sums, sizeof cs->sums);
        ck_assert_int_eq(deep_pool_solo_left(pool), left - job - 1);
    }
    return left;
}

START_TEST(pool_stall_runs_next_jobs_on_the_caller)
{
    static struct chunk_sums reference, cs;
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(2, &pool));
    struct script_clock sc = {0, 0.0, &cs.cov.calls[0], deep_pool_chunks(pool, MAX_N, 1e9)};
    deep_pool_set_clock(pool, scripted_now, &sc);
    ck_assert_int_ge(sc.chunks, 3);
    /* The workers cost nothing: no stall. */
    run_sums(pool, &cs);
    reference = cs;
    ck_assert_int_eq(deep_pool_solo_left(pool), 0);
    ck_assert_int_eq(sc.calls, 3);
    /* The job takes a second more than the caller alone would have: the next jobs run on
     * the caller alone, with the same chunks and bit for bit the same results. */
    sc.late = 1.0;
    run_sums(pool, &cs);
    ck_assert_mem_eq(cs.sums, reference.sums, sizeof cs.sums);
    int64_t first = deep_pool_solo_left(pool);
    ck_assert_int_gt(first, 0);
    int64_t calls = sc.calls;
    ck_assert_int_eq(run_solo_jobs(pool, &reference, &cs), first);
    ck_assert_int_eq(sc.calls, calls); /* solo jobs read no clock */
    /* A stall right after: the period doubles. */
    run_sums(pool, &cs);
    ck_assert_int_eq(deep_pool_solo_left(pool), 2 * first);
    run_solo_jobs(pool, &reference, &cs);
    /* As many clean parallel jobs as the period is long halve it: the next stall then
     * brings back the doubled first period, not four times it. */
    sc.late = 0.0;
    for (int64_t job = 0; job < 2 * first; job++) {
        run_sums(pool, &cs);
        ck_assert_int_eq(deep_pool_solo_left(pool), 0);
        ck_assert_mem_eq(cs.sums, reference.sums, sizeof cs.sums);
    }
    sc.late = 1.0;
    run_sums(pool, &cs);
    ck_assert_int_eq(deep_pool_solo_left(pool), 2 * first);
    run_solo_jobs(pool, &reference, &cs);
    /* Small losses (late wake-ups) add up: 0.1 ms twice is no stall, a third time is. */
    sc.late = 1e-4;
    for (int job = 0; job < 3; job++) {
        run_sums(pool, &cs);
        ck_assert_int_eq(deep_pool_solo_left(pool) > 0, job == 2);
    }
    run_solo_jobs(pool, &reference, &cs);
    /* Savings offset later losses, up to a cap (0.5 ms): after saving 2 ms, a loss of 0.6
     * ms is no stall, and another 0.2 ms is. */
    sc.late = -2e-3;
    run_sums(pool, &cs);
    sc.late = 6e-4;
    run_sums(pool, &cs);
    ck_assert_int_eq(deep_pool_solo_left(pool), 0);
    sc.late = 2e-4;
    run_sums(pool, &cs);
    ck_assert_int_gt(deep_pool_solo_left(pool), 0);
    deep_pool_free(pool);
}
END_TEST

/* The step rule (threads.c), with a clock the test sets: every job of a step reads the
 * same time, so no job is judged a stall, and the steps take what the script says. */
static double manual_now(void *raw)
{
    return *(const double *)raw;
}

/* One step of `samples` samples with one job in it, taking `with_workers` seconds a
 * sample with the workers or `alone` seconds on the caller alone; returns whether it ran
 * alone, and checks that such a step's job ran every chunk on the caller with the
 * reference's chunks and sums. */
static bool timed_step(deep_pool *pool, double *now, int64_t samples, double with_workers, double alone_time,
                       const struct chunk_sums *reference, struct chunk_sums *cs)
{
    deep_pool_step_begin(pool, samples);
    bool alone = deep_pool_step_alone(pool);
    run_sums(pool, cs);
    if (alone) {
        ck_assert_int_eq(cs->cov.calls[0], deep_pool_chunks(pool, MAX_N, 1e9));
        ck_assert_mem_eq(cs->cov.chunk, reference->cov.chunk, sizeof cs->cov.chunk);
    }
    ck_assert_mem_eq(cs->sums, reference->sums, sizeof cs->sums);
    *now += (alone ? alone_time : with_workers) * (double)samples;
    deep_pool_step_end(pool);
    ck_assert(!deep_pool_step_alone(pool));
    return alone;
}

START_TEST(pool_steps_run_the_faster_way)
{
    static struct chunk_sums reference, cs;
    double now = 0;
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(2, &pool));
    deep_pool_set_clock(pool, manual_now, &now);
    run_sums(pool, &reference);
    /* With the workers a step takes 2 ms a sample, alone 1 ms (another process holds a
     * core): after some steps with the workers, a probe alone, and then alone it stays. */
    int with_workers = 0, alone = 0;
    for (int step = 0; step < 40; step++) {
        bool a = timed_step(pool, &now, 32, 2e-3, 1e-3, &reference, &cs);
        with_workers += !a;
        alone += a;
    }
    ck_assert_int_ge(alone, 25); /* 9 steps with the workers, then probes */
    ck_assert_int_ge(with_workers, 2);
    ck_assert_int_le(with_workers, 16);
    /* Alone stays preferred while the workers stay slower: probes (two steps each) come
     * ever more rarely. */
    with_workers = 0;
    for (int step = 0; step < 200; step++) {
        bool a = timed_step(pool, &now, 32, 2e-3, 1e-3, &reference, &cs);
        with_workers += !a;
    }
    ck_assert_int_le(with_workers, 12);
    /* The machine becomes idle: with the workers a step takes half the time, and after
     * the next probe the steps use them again. Batch sizes differ (the time per sample
     * is compared). */
    int late_alone = 0;
    for (int step = 0; step < 600; step++) {
        int64_t samples = step % 2 ? 32 : 7;
        bool a = timed_step(pool, &now, samples, 0.5e-3, 1e-3, &reference, &cs);
        late_alone += a && step >= 300;
    }
    ck_assert_int_le(late_alone, 6); /* a probe alone now and then, ever more rarely */
    deep_pool_step_begin(NULL, 3); /* ignored */
    deep_pool_step_end(NULL);
    deep_pool_free(pool);
}
END_TEST

START_TEST(pool_repeated_runs)
{
    static struct coverage c;
    deep_pool *pool = NULL;
    ASSERT_OK(deep_pool_new(4, &pool));
    for (int run = 0; run < 300; run++)
        run_and_check(pool, (run * 37) % (MAX_N + 1), &c);
    deep_pool_free(pool);
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

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc;

    tc = new_tcase(s, "status");
    tcase_add_test(tc, status_string_names_every_code);
    tcase_add_test(tc, status_string_unknown_code);

    tc = new_tcase(s, "errors");
    tcase_add_test(tc, last_error_names_failing_function);
    tcase_add_test(tc, clear_error_empties_message);
    tcase_add_test(tc, successful_call_keeps_previous_message);
    tcase_add_test(tc, set_last_error_records_message);
    tcase_add_test(tc, error_set_truncates_long_messages);
    tcase_add_test(tc, last_error_is_per_thread);

    tc = new_tcase(s, "misc");
    tcase_add_test(tc, version_matches_header);
    tcase_add_test(tc, cpu_count_is_positive);

    tc = new_tcase(s, "log");
    tcase_add_test(tc, log_console_routes_levels);
    tcase_add_test(tc, log_console_null_and_empty_message);

    tc = new_tcase(s, "rng");
    tcase_add_test(tc, rng_null_arguments);
    tcase_add_test(tc, rng_same_seed_same_sequence);
    tcase_add_test(tc, rng_reseed_restarts);
    tcase_add_test(tc, rng_uniform_range_and_mean);
    tcase_add_test(tc, rng_uniform_extremes);

    tc = new_tcase(s, "rng_internal");
    tcase_add_test(tc, rng_below_stays_in_bounds);
    tcase_add_test(tc, rng_below_reaches_every_value);
    tcase_add_test(tc, rng_shuffle_is_permutation);
    tcase_add_test(tc, rng_shuffle_is_reproducible);

    tc = new_tcase(s, "alloc");
    tcase_add_test(tc, mul_i64_detects_overflow);
    tcase_add_test(tc, alloc_rejects_absurd_counts);
    tcase_add_test(tc, alloc_small_and_zero_counts);

    tc = new_tcase(s, "bytes");
    tcase_add_test(tc, bytes_grow_and_keep_every_byte);
    tcase_add_test(tc, bytes_printf_short_and_long);
    tcase_add_test(tc, bytes_put_le_orders_bytes);
    tcase_add_test(tc, bytes_failure_is_sticky);
    tcase_add_test(tc, bytes_refuse_a_length_that_wraps);
    tcase_add_test(tc, bytes_capacity_doubles_without_overflow);
    tcase_add_test(tc, bytes_copy_text_to_a_caller);

    tc = new_tcase(s, "pool");
    tcase_add_test(tc, pool_new_thread_counts);
    tcase_add_test(tc, pool_new_null_out);
    tcase_add_test(tc, pool_free_null);
    tcase_add_test(tc, pool_covers_every_index_once);
    tcase_add_test(tc, pool_null_runs_inline);
    tcase_add_test(tc, pool_chunks_are_reproducible);
    tcase_add_test(tc, pool_repeated_runs);
    tcase_add_test(tc, pool_small_work_runs_on_the_caller);
    tcase_add_test(tc, pool_late_worker_does_not_stall_the_job);
    tcase_add_test(tc, pool_stall_runs_next_jobs_on_the_caller);
    tcase_add_test(tc, pool_steps_run_the_faster_way);
    return s;
}

int main(void)
{
    return run_suite(core_suite(), CK_ENV);
}
