/* Private helpers shared by every part of the library: error reporting, checked sizes,
 * allocation, the random generator's state and the thread pool. Never installed. */
#ifndef DEEP_CORE_H
#define DEEP_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deep.h"

/* Records "<func>: <message>" as this thread's last error and returns status. */
deep_status deep_error_set(deep_status status, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define DEEP_FAIL(status, ...) deep_error_set((status), __func__, __VA_ARGS__)

/* The reason of this thread's last error: its message without the "<func>: " that
 * deep_error_set put first. It points into the message itself: copy it before recording
 * another error. */
const char *deep_error_reason(void);

/* Reports the failure of a nested call as func's own, with func's context before the
 * nested reason: "<func>: <context>: <reason>". The message is kept as parts, so no
 * caller ever parses a message to re-prefix it. */
deep_status deep_error_wrap(deep_status status, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns DEEP_ERR_NULL from the calling function when ptr is NULL, naming the argument. */
#define DEEP_REQUIRE(ptr)                                                        \
    do {                                                                         \
        if ((ptr) == NULL)                                                       \
            return DEEP_FAIL(DEEP_ERR_NULL, "argument '%s' is NULL", #ptr);       \
    } while (0)

/* Propagates a failed status from a nested call; the nested call already set the message. */
#define DEEP_TRY(expr)                           \
    do {                                         \
        deep_status deep_try_status_ = (expr);   \
        if (deep_try_status_ != DEEP_OK)         \
            return deep_try_status_;             \
    } while (0)

/* a * b into *out, false when the product overflows int64_t (both must be >= 0). */
bool deep_mul_i64(int64_t a, int64_t b, int64_t *out);
/* a + b into *out, false when the sum overflows int64_t or an operand is negative. */
bool deep_add_i64(int64_t a, int64_t b, int64_t *out);

/* The caller-buffer contract of deep.h ("Conventions"). deep_output_check validates
 * (buffer, capacity, needed), stores size (entries; for text, bytes with the NUL) in
 * *needed and sets *write when the result must be written: capacity 0 is the size query
 * (DEEP_OK, nothing written), a smaller capacity DEEP_ERR_BUFFER_TOO_SMALL. Call it only
 * once the whole result is known, so that a short buffer is never partly written.
 * deep_output_copy and deep_output_text do the check and the copy in one call.
 * deep_output_args only validates the arguments, for functions that check them before
 * computing a costly result. */
deep_status deep_output_args(const char *caller, const void *buffer, int64_t capacity, int64_t *needed);
deep_status deep_output_check(const char *caller, const char *what, const void *buffer, int64_t capacity,
                              int64_t *needed, int64_t size, bool *write);
/* deep_output_check for text, whose size counts bytes (the NUL included). */
deep_status deep_output_check_text(const char *caller, const char *what, const char *buffer, int64_t capacity,
                                   int64_t *needed, int64_t size, bool *write);
deep_status deep_output_copy(const char *caller, const char *what, void *buffer, int64_t capacity, int64_t *needed,
                             const void *source, int64_t size, size_t item_size);
deep_status deep_output_text(const char *caller, const char *what, char *buffer, int64_t capacity, int64_t *needed,
                             const char *text);

/* malloc / calloc of count elements of size bytes; NULL on overflow or exhaustion. */
void *deep_alloc(int64_t count, size_t size);
void *deep_alloc_zero(int64_t count, size_t size);

/* The random generator's state (xoshiro256**), embeddable in other handles. */
struct deep_rng {
    uint64_t s[4];
};
void deep_rng_init(struct deep_rng *rng, uint64_t seed);
uint64_t deep_rng_u64(struct deep_rng *rng);
/* Uniform in [0, 1) with 24 random bits. */
float deep_rng_float(struct deep_rng *rng);
/* Uniform integer in [0, bound), bound > 0, without modulo bias. */
uint64_t deep_rng_below(struct deep_rng *rng, uint64_t bound);
/* Standard normal (Box-Muller). */
float deep_rng_normal(struct deep_rng *rng);
/* Fisher-Yates shuffle of n indices. */
void deep_rng_shuffle_i64(struct deep_rng *rng, int64_t *items, int64_t n);

/* A fixed set of worker threads owned by one handle. deep_pool_run splits [0, n) into
 * contiguous chunks, which the calling thread and the workers claim as they come free, and
 * returns when all are done. The chunk boundaries depend only on n, the thread count (and
 * for deep_pool_run_work the work), never on timing, and fn's worker argument (0 for the
 * caller, 1..threads-1) tells which thread runs a chunk, for per-thread buffers: results
 * are reproducible. */
typedef struct deep_pool deep_pool;
typedef void (*deep_pool_fn)(void *ctx, int64_t begin, int64_t end, int32_t worker);

/* threads <= 0 means deep_cpu_count(). */
deep_status deep_pool_new(int32_t threads, deep_pool **out);
void deep_pool_free(deep_pool *pool);
int32_t deep_pool_threads(const deep_pool *pool);
/* Runs fn over [0, n), one chunk per thread; with pool NULL or one thread it runs inline. */
void deep_pool_run(deep_pool *pool, int64_t n, deep_pool_fn fn, void *ctx);
/* The same for a job of about `work` operations in all (multiply-adds, element updates):
 * below a few tens of thousands it runs inline on the caller, since waking a worker would
 * cost as much; above, in up to two chunks per thread, each still worth a wake-up. */
void deep_pool_run_work(deep_pool *pool, int64_t n, double work, deep_pool_fn fn, void *ctx);
/* The chunks deep_pool_run_work cuts such a job into (1: inline). */
int64_t deep_pool_chunks(const deep_pool *pool, int64_t n, double work);
/* A job whose workers made it slower than the caller alone would have been (a worker the
 * OS descheduled inside its chunk: another process holds the core) makes the next jobs
 * run on the caller alone, same chunks and so the same results, for a period that
 * doubles at each such stall in a row (threads.c). The pool reads the time through a
 * deep_pool_clock: CLOCK_MONOTONIC, or in the static test build a test's, so that tests
 * can make a stall happen without timing anything. */
typedef double (*deep_pool_clock)(void *ctx);
/* Around one training step of `samples` samples (forward, backward, update): the pool
 * times whole steps with its workers and on the caller alone, now and then trying the
 * other way, and runs the steps the faster way (threads.c); results do not depend on it.
 * Calls must pair; a pool NULL or of one thread ignores them. */
void deep_pool_step_begin(deep_pool *pool, int64_t samples);
void deep_pool_step_end(deep_pool *pool);
#ifdef DEEP_STATIC
/* Whether the current step runs on the caller alone (the step rule). */
bool deep_pool_step_alone(const deep_pool *pool);
/* Test hooks, not in the shared library: the clock the pool reads (NULL: the real one),
 * and how many jobs it will still run on the caller alone. */
void deep_pool_set_clock(deep_pool *pool, deep_pool_clock clock, void *ctx);
int64_t deep_pool_solo_left(const deep_pool *pool);
#endif

#endif
