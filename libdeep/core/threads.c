/* A small fork-join pool. Each handle that computes in parallel owns one, so nothing is
 * shared between handles.
 *
 * A training step runs dozens of short jobs (a GEMM, an activation, an update), and the
 * machine is often shared: another process may hold a core, and the OS may deschedule a
 * worker for a whole time slice. So:
 * - a job is cut into chunks whose boundaries depend only on n, the thread count and the
 *   job's size (results are reproducible), and threads claim chunks from an atomic
 *   counter: the caller works through every chunk no worker has claimed, so a worker that
 *   is late or descheduled delays the job by at most the chunk it took, never by a whole
 *   share;
 * - work too small to pay for waking a worker runs on the caller (deep_pool_run_work),
 *   and so does all work for a while after a worker kept the caller waiting (below);
 * - waiting threads spin for a bounded time (about the gap between the jobs of one
 *   step), then sleep on a condition variable, so an idle pool burns no core. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

struct deep_pool {
    int32_t threads;          /* including the calling thread */
    pthread_t *workers;       /* threads - 1 of them */
    pthread_mutex_t lock;
    pthread_cond_t wake;      /* workers sleep here between jobs */
    pthread_cond_t done;      /* the caller sleeps here for the last chunks */
    _Atomic uint64_t generation; /* bumped for each job so workers know a new one arrived */
    _Atomic int32_t sleepers;    /* workers asleep (or about to be) on wake */
    _Atomic int32_t caller_waits; /* the caller is asleep (or about to be) on done */
    _Atomic bool stopping;
    /* The current job, written before generation is bumped. */
    deep_pool_fn fn;
    void *ctx;
    int64_t n, chunks;
    _Atomic int64_t next;     /* the next chunk to claim */
    _Atomic int64_t finished; /* chunks done */
    /* Only the calling thread reads and writes these (one job at a time): */
    int64_t solo;             /* jobs left to run on the caller alone */
    int64_t solo_period;      /* the next such run's length, doubled after each stall */
};

/* Spins before blocking: tens of microseconds, longer than the gap between the jobs of a
 * step, far shorter than a time slice another process would lose to it. */
#define SPIN_ROUNDS 2000

/* Below this many operations (multiply-adds, element updates) a job runs on the caller:
 * waking a worker and waiting for it costs some microseconds, as much as this work. */
#define INLINE_WORK 40000.0
/* Chunks per thread when the work allows: more than one, so a late worker's share is
 * taken by the others, few enough that each chunk stays efficient. */
#define CHUNKS_PER_THREAD 2

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

/* Claims and runs chunks of the current job until none is left. The claim comes first
 * and the job is read after it: a chunk claimed belongs to the job now published (the
 * caller resets `next` only after every chunk of the previous job finished), and the
 * caller cannot return, nor change the job, before this chunk is counted as finished. */
static void run_chunks(deep_pool *pool, int32_t index)
{
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&pool->next, 1, memory_order_acq_rel);
        int64_t chunks = pool->chunks;
        if (c >= chunks)
            return;
        int64_t n = pool->n;
        int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
        if (begin < end)
            pool->fn(pool->ctx, begin, end, index);
        if (atomic_fetch_add(&pool->finished, 1) == chunks - 1 &&
            atomic_load(&pool->caller_waits)) {
            /* Signalled under the lock, so a caller between its check and its wait cannot miss it. */
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
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
        if (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stopping)) {
            /* sleepers first, then the generation check: the caller bumps the generation, then
             * reads sleepers (both sequentially consistent), so one of the two sees the other. */
            pthread_mutex_lock(&pool->lock);
            atomic_fetch_add(&pool->sleepers, 1);
            while (!atomic_load(&pool->stopping) && atomic_load(&pool->generation) == seen)
                pthread_cond_wait(&pool->wake, &pool->lock);
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->lock);
        }
        if (atomic_load(&pool->stopping))
            return NULL;
        seen = atomic_load(&pool->generation);
        run_chunks(pool, arg.index);
    }
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
    atomic_store(&pool->stopping, true);
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

int64_t deep_pool_chunks(const deep_pool *pool, int64_t n, double work)
{
    if (pool == NULL || pool->threads == 1 || n <= 1 || !(work >= INLINE_WORK))
        return 1;
    double by_work = work / (INLINE_WORK / 2); /* each chunk still worth a wake-up */
    int64_t chunks = (int64_t)pool->threads * CHUNKS_PER_THREAD;
    if (by_work < (double)chunks)
        chunks = (int64_t)by_work;
    return chunks < n ? (chunks < 1 ? 1 : chunks) : n;
}

/* When waiting for a worker's chunk took longer than the caller's own share of a job,
 * the workers are not getting a core (another process has it): the next jobs run on the
 * caller alone, with the same chunk boundaries (so the same results), for a period that
 * doubles at each stall in a row (up to MAX_SOLO jobs) and then the workers are tried
 * again. A busy machine then costs a step little more than one thread would. */
#define MIN_SOLO 16
#define MAX_SOLO 4096

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Runs fn over [0, n) in `chunks` chunks, the caller taking part. */
static void run_job(deep_pool *pool, int64_t n, int64_t chunks, deep_pool_fn fn, void *ctx)
{
    if (pool->solo > 0) {
        pool->solo--;
        for (int64_t c = 0; c < chunks; c++) {
            int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
            if (begin < end)
                fn(ctx, begin, end, 0);
        }
        return;
    }
    double start = now_seconds();
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n = n;
    pool->chunks = chunks;
    atomic_store(&pool->finished, 0);
    atomic_store(&pool->next, 0); /* releases the job to any thread that claims from here on */
    atomic_fetch_add(&pool->generation, 1);
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    run_chunks(pool, 0);
    /* Only chunks that a running worker claimed are left: wait for them. */
    for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&pool->finished, memory_order_acquire) < chunks; i++)
        spin_pause();
    if (atomic_load(&pool->finished) < chunks) {
        double mine = now_seconds() - start;
        pthread_mutex_lock(&pool->lock);
        atomic_store(&pool->caller_waits, 1);
        while (atomic_load(&pool->finished) < chunks)
            pthread_cond_wait(&pool->done, &pool->lock);
        atomic_store(&pool->caller_waits, 0);
        pthread_mutex_unlock(&pool->lock);
        if (now_seconds() - start > 2 * mine + 50e-6) {
            pool->solo_period = pool->solo_period < MIN_SOLO ? MIN_SOLO
                                : pool->solo_period < MAX_SOLO ? 2 * pool->solo_period
                                                               : MAX_SOLO;
            pool->solo = pool->solo_period;
            return;
        }
    }
    pool->solo_period /= 2; /* the workers kept up: trust them more */
}

void deep_pool_run_work(deep_pool *pool, int64_t n, double work, deep_pool_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    int64_t chunks = deep_pool_chunks(pool, n, work);
    if (chunks <= 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    run_job(pool, n, chunks, fn, ctx);
}

void deep_pool_run(deep_pool *pool, int64_t n, deep_pool_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (pool == NULL || pool->threads == 1 || n == 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    /* Work unknown: one chunk per thread as before, claimed dynamically. */
    run_job(pool, n, n < pool->threads ? n : pool->threads, fn, ctx);
}
