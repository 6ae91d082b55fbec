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
 *   and so does all work for a while after a job the workers made slower than the caller
 *   alone would have been (below);
 * - waiting threads spin for a bounded time (about the gap between the jobs of one
 *   step), then sleep on a condition variable, so an idle pool burns no core;
 * - training steps, marked by deep_pool_step_begin/end, are timed with the workers and
 *   on the caller alone now and then, and run the faster way (the step rule, below). */
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
    int64_t solo_period;      /* the last such run's length, doubled at each stall */
    int64_t clean;            /* parallel jobs without a stall since the last stall or halving */
    double balance;           /* seconds the workers saved, net, since the last stall (capped) */
    /* The step rule (deep_pool_step_begin/end), also the caller's alone: */
    bool step_solo;           /* the current step runs on the caller alone */
    bool prefer_solo;         /* the way steps run when not probing the other */
    int64_t probe_in;         /* steps until the other way is probed */
    int64_t probe_period;     /* steps between probes, doubled each time one confirms the way */
    int64_t probing;          /* probe steps left (0: not probing) */
    double rate[2];           /* seconds per sample of recent steps: [0] with workers, [1] alone */
    double probe_sum;         /* seconds per sample summed over the current probe's steps */
    double step_start;
    int64_t step_samples;
    deep_pool_clock clock;    /* the time in seconds: CLOCK_MONOTONIC, or a test's */
    void *clock_ctx;
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
 * caller cannot return, nor change the job, before this chunk is counted as finished.
 * Returns how many chunks this thread ran. */
static int64_t run_chunks(deep_pool *pool, int32_t index)
{
    for (int64_t ran = 0;; ran++) {
        int64_t c = atomic_fetch_add_explicit(&pool->next, 1, memory_order_acq_rel);
        int64_t chunks = pool->chunks;
        if (c >= chunks)
            return ran;
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

/* The stall rule. After each parallel job the caller estimates what the workers saved:
 * its own chunks' time scaled to all chunks (the job alone) minus the job's time. The
 * savings add up in a balance, capped at BALANCE_CAP so that a long good past cannot
 * hide a change. When the balance falls below -STALL_SLACK, the workers are costing more
 * than they give: another process holds a core, and a worker descheduled inside its chunk
 * holds the job for a time slice (milliseconds, more than most jobs of a step), or many
 * jobs each lose a little to late wake-ups. The next jobs then run on the caller alone,
 * with the same chunk boundaries (so the same results), for a period that doubles at each
 * such stall (MIN_SOLO to MAX_SOLO jobs), after which the workers are tried again. The
 * period halves only after as many parallel jobs without a stall as it is long, so that
 * on a machine that stays busy it grows to MAX_SOLO and a step costs about what one
 * thread would, while on a machine that became idle again the workers return within
 * MAX_SOLO jobs (a fraction of a second of training). */
#define MIN_SOLO 16
#define MAX_SOLO 4096
/* A sleeping worker wakes within tens of microseconds, a descheduled one comes back after
 * a time slice (0.75 to several milliseconds): one such stall always trips the rule, a
 * late wake-up now and then never does. */
#define STALL_SLACK 250e-6
#define BALANCE_CAP 500e-6

static double monotonic_seconds(void *unused)
{
    (void)unused;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double pool_now(const deep_pool *pool)
{
    return pool->clock != NULL ? pool->clock(pool->clock_ctx) : monotonic_seconds(NULL);
}

/* After a parallel job: the caller ran `own` of the `chunks` chunks in `mine` seconds and
 * the whole job took `took`. */
static void judge_job(deep_pool *pool, double mine, double took, int64_t own, int64_t chunks)
{
    if (own > 0) { /* else the workers took every chunk before the caller came to one */
        double alone = mine * (double)chunks / (double)own;
        pool->balance += alone - took;
        if (pool->balance > BALANCE_CAP)
            pool->balance = BALANCE_CAP;
    }
    if (pool->balance < -STALL_SLACK) {
        pool->solo_period = pool->solo_period < MIN_SOLO ? MIN_SOLO
                            : pool->solo_period < MAX_SOLO ? 2 * pool->solo_period
                                                           : MAX_SOLO;
        pool->solo = pool->solo_period;
        pool->clean = 0;
        pool->balance = 0;
        return;
    }
    if (pool->solo_period > 0 && ++pool->clean >= pool->solo_period) {
        pool->solo_period /= 2; /* the workers kept up for a whole period: trust them more */
        pool->clean = 0;
    }
}

/* Runs fn over [0, n) in `chunks` chunks, the caller taking part. */
static void run_job(deep_pool *pool, int64_t n, int64_t chunks, deep_pool_fn fn, void *ctx)
{
    if (pool->solo > 0 || pool->step_solo) {
        if (!pool->step_solo)
            pool->solo--;
        for (int64_t c = 0; c < chunks; c++) {
            int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
            if (begin < end)
                fn(ctx, begin, end, 0);
        }
        return;
    }
    double start = pool_now(pool);
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
    int64_t own = run_chunks(pool, 0);
    double mine = pool_now(pool) - start;
    /* Only chunks that a running worker claimed are left: wait for them. */
    for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&pool->finished, memory_order_acquire) < chunks; i++)
        spin_pause();
    if (atomic_load(&pool->finished) < chunks) {
        pthread_mutex_lock(&pool->lock);
        atomic_store(&pool->caller_waits, 1);
        while (atomic_load(&pool->finished) < chunks)
            pthread_cond_wait(&pool->done, &pool->lock);
        atomic_store(&pool->caller_waits, 0);
        pthread_mutex_unlock(&pool->lock);
    }
    judge_job(pool, mine, pool_now(pool) - start, own, chunks);
}

/* The step rule. Jobs are judged one by one above; a training step is judged whole, since
 * what a user sees is the step, and costs the job rule cannot see (a worker's spin taking
 * a core the caller or another process needed, wake-ups between jobs) show there. Steps
 * run the preferred way (at first with the workers) and every probe_period steps
 * PROBE_STEPS run the other way; each way's time per sample is kept (an average moving
 * with weight RATE_WEIGHT for the preferred way, the probe's mean for the other). When
 * the other way was faster by more than SWITCH_MARGIN it becomes the preferred one and
 * probes come every PROBE_MIN steps again; else the probe period doubles up to PROBE_MAX,
 * so that on a machine in a steady state probing costs little. Results do not change:
 * alone, a job runs the same chunks. */
#define PROBE_STEPS 2
#define PROBE_MIN 8
#define PROBE_MAX 256
#define RATE_WEIGHT 0.25
#define SWITCH_MARGIN 0.05

void deep_pool_step_begin(deep_pool *pool, int64_t samples)
{
    if (pool == NULL || pool->threads == 1)
        return;
    if (pool->rate[pool->prefer_solo] <= 0)
        pool->probe_in = PROBE_MIN; /* the preferred way's own time first */
    else if (pool->probing == 0 && pool->probe_in-- <= 0) {
        pool->probing = PROBE_STEPS;
        pool->probe_sum = 0;
    }
    pool->step_solo = pool->prefer_solo != (pool->probing > 0);
    pool->step_samples = samples > 0 ? samples : 1;
    pool->step_start = pool_now(pool);
}

void deep_pool_step_end(deep_pool *pool)
{
    if (pool == NULL || pool->threads == 1)
        return;
    double per_sample = (pool_now(pool) - pool->step_start) / (double)pool->step_samples;
    pool->step_solo = false;
    int preferred = pool->prefer_solo;
    if (pool->probing == 0) {
        double *r = &pool->rate[preferred];
        *r = *r > 0 ? (1 - RATE_WEIGHT) * *r + RATE_WEIGHT * per_sample : per_sample;
        return;
    }
    pool->probe_sum += per_sample;
    if (--pool->probing > 0)
        return;
    pool->rate[!preferred] = pool->probe_sum / PROBE_STEPS;
    if (pool->rate[preferred] > 0 && pool->rate[!preferred] < (1 - SWITCH_MARGIN) * pool->rate[preferred]) {
        pool->prefer_solo = !pool->prefer_solo;
        pool->probe_period = PROBE_MIN;
    } else {
        pool->probe_period = pool->probe_period < PROBE_MIN ? PROBE_MIN
                             : pool->probe_period < PROBE_MAX ? 2 * pool->probe_period
                                                              : PROBE_MAX;
    }
    pool->probe_in = pool->probe_period;
}

#ifdef DEEP_STATIC
bool deep_pool_step_alone(const deep_pool *pool)
{
    return pool != NULL && pool->step_solo;
}

void deep_pool_set_clock(deep_pool *pool, deep_pool_clock clock, void *ctx)
{
    if (pool == NULL)
        return;
    pool->clock = clock;
    pool->clock_ctx = ctx;
}

int64_t deep_pool_solo_left(const deep_pool *pool)
{
    return pool == NULL ? 0 : pool->solo;
}
#endif

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
