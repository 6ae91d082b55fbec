/* A small fork-join pool: workers sleep on a condition variable and wake once per job.
 * Each handle that computes in parallel owns one, so nothing is shared between handles.
 * A training step runs dozens of short jobs (a GEMM, an activation, an update), so going
 * to sleep and being woken by the kernel for each would cost more than many of them: the
 * workers and the caller first spin briefly on atomics, and only then block. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/core.h"

struct deep_pool {
    int32_t threads;          /* including the calling thread */
    pthread_t *workers;       /* threads - 1 of them */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t done;
    _Atomic uint64_t generation; /* bumped for each job so workers know a new one arrived */
    _Atomic int32_t pending;     /* workers still running the current job */
    bool stopping;
    deep_pool_fn fn;
    void *ctx;
    int64_t n;
};

/* Spins before blocking: some tens of microseconds, longer than most jobs take to come. */
#define SPIN_ROUNDS 4000

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

struct worker_arg {
    deep_pool *pool;
    int32_t index;
};

int64_t deep_cpu_count(void)
{
    /* The cores this process may run on (affinity, cpusets), not all the machine has. */
    cpu_set_t set;
    long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 1024 ? 1024 : (int64_t)n);
}

/* Chunk `index` of `parts` nearly equal chunks of [0, n); the first n % parts are one longer. */
static void chunk(int64_t n, int32_t parts, int32_t index, int64_t *begin, int64_t *end)
{
    int64_t base = n / parts, extra = n % parts;
    *begin = base * index + (index < extra ? index : extra);
    *end = *begin + base + (index < extra ? 1 : 0);
}

static void *worker_main(void *raw)
{
    struct worker_arg arg = *(struct worker_arg *)raw;
    free(raw);
    deep_pool *pool = arg.pool;
    uint64_t seen = 0;
    for (;;) {
        for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&pool->generation, memory_order_acquire) == seen; i++)
            spin_pause();
        pthread_mutex_lock(&pool->lock);
        while (!pool->stopping && pool->generation == seen)
            pthread_cond_wait(&pool->wake, &pool->lock);
        if (pool->stopping)
            break;
        seen = pool->generation;
        deep_pool_fn fn = pool->fn;
        void *ctx = pool->ctx;
        int64_t begin, end;
        chunk(pool->n, pool->threads, arg.index, &begin, &end);
        pthread_mutex_unlock(&pool->lock);
        if (begin < end)
            fn(ctx, begin, end, arg.index);
        /* The last one out signals under the lock, so a caller between its check of
         * pending and its wait cannot miss it. */
        if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

deep_status deep_pool_new(int32_t threads, deep_pool **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    if (threads <= 0)
        threads = (int32_t)deep_cpu_count(); /* at most 1024 */
    deep_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
    pool->threads = 1;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (threads > 1) {
        pool->workers = calloc((size_t)threads - 1, sizeof *pool->workers);
        if (pool->workers == NULL) {
            deep_pool_free(pool);
            return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
        }
    }
    /* pool->threads counts the workers actually started, so a failure frees cleanly. */
    for (int32_t i = 1; i < threads; i++) {
        struct worker_arg *arg = malloc(sizeof *arg);
        if (arg == NULL) {
            deep_pool_free(pool);
            return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
        }
        arg->pool = pool;
        arg->index = i;
        if (pthread_create(&pool->workers[i - 1], NULL, worker_main, arg) != 0) {
            free(arg);
            deep_pool_free(pool);
            return DEEP_FAIL(DEEP_ERR_THREAD, "could not start worker thread %d of %d", i, threads);
        }
        pool->threads = i + 1;
    }
    *out = pool;
    return DEEP_OK;
}

void deep_pool_free(deep_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int32_t i = 1; i < pool->threads; i++)
        pthread_join(pool->workers[i - 1], NULL);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool->workers);
    free(pool);
}

int32_t deep_pool_threads(const deep_pool *pool)
{
    return pool == NULL ? 1 : pool->threads;
}

void deep_pool_run(deep_pool *pool, int64_t n, deep_pool_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (pool == NULL || pool->threads == 1 || n == 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n = n;
    pool->pending = pool->threads - 1;
    pool->generation++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);

    int64_t begin, end;
    chunk(n, pool->threads, 0, &begin, &end);
    if (begin < end)
        fn(ctx, begin, end, 0);

    for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; i++)
        spin_pause();
    pthread_mutex_lock(&pool->lock);
    while (pool->pending > 0)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}
