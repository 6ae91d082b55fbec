/* Progress of the gradient sums while backward runs (progress.h). LAYERS tests the
 * requests at each layer boundary, which costs nothing but moves a sum on only a few
 * times per step (the seed CNN reports four layers); THREAD tests them every POLL_NS from
 * a thread of libdeep-mpi's own, which needs MPI_THREAD_MULTIPLE and costs a few
 * microseconds of a core per poll. The thread sleeps between polls rather than spinning:
 * a spinning thread would take a core from the backward pass it is meant to hide behind. */
#include <stdlib.h>
#include <time.h>

#include "progress.h"

#define POLL_NS 50000 /* 50 µs: a 32 KiB shared-memory fragment is well under that */

static void *poll_loop(void *raw)
{
    mpi_progress *p = raw;
    const struct timespec pause = {0, POLL_NS};
    pthread_mutex_lock(&p->lock);
    while (!p->quit) {
        if (!p->active) {
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }
        int done = 0;
        /* An error here shows again in the main thread's MPI_Waitall, which reports it. */
        if (MPI_Testall(p->count, p->requests, &done, MPI_STATUSES_IGNORE) != MPI_SUCCESS || done)
            p->active = false;
        pthread_mutex_unlock(&p->lock);
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

deep_status mpi_progress_start(mpi_progress *p, deep_mpi_progress mode, int capacity, const char *func)
{
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    if (mode == DEEP_MPI_PROGRESS_AUTO)
        mode = level == MPI_THREAD_MULTIPLE ? DEEP_MPI_PROGRESS_THREAD : DEEP_MPI_PROGRESS_LAYERS;
    if (mode == DEEP_MPI_PROGRESS_THREAD && level != MPI_THREAD_MULTIPLE)
        return deep_mpi_fail(DEEP_ERR_STATE, func,
                             "DEEP_MPI_PROGRESS_THREAD needs MPI initialised with MPI_Init_thread(..., "
                             "MPI_THREAD_MULTIPLE, ...); this process has thread level %d", level);
    p->mode = mode;
    p->capacity = capacity;
    p->requests = malloc((size_t)capacity * sizeof *p->requests);
    if (!p->requests)
        return deep_mpi_fail(DEEP_ERR_NO_MEMORY, func, "no memory for %d requests", capacity);
    for (int i = 0; i < capacity; i++)
        p->requests[i] = MPI_REQUEST_NULL;
    if (mode != DEEP_MPI_PROGRESS_THREAD)
        return DEEP_OK;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (pthread_create(&p->thread, NULL, poll_loop, p) != 0) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
        return deep_mpi_fail(DEEP_ERR_THREAD, func, "cannot start the progress thread");
    }
    p->thread_started = true;
    return DEEP_OK;
}

deep_status mpi_progress_allreduce(mpi_progress *p, float *data, int n, MPI_Comm comm)
{
    if (p->count == p->capacity)
        return deep_mpi_fail(DEEP_ERR_STATE, "deep_mpi_fit", "more gradient ranges than the %d planned", p->capacity);
    bool threaded = p->mode == DEEP_MPI_PROGRESS_THREAD;
    if (threaded)
        pthread_mutex_lock(&p->lock);
    int code = MPI_Iallreduce(MPI_IN_PLACE, data, n, MPI_FLOAT, MPI_SUM, comm, &p->requests[p->count]);
    if (code == MPI_SUCCESS)
        p->count++;
    if (threaded) {
        p->active = code == MPI_SUCCESS;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    return code == MPI_SUCCESS ? DEEP_OK : deep_mpi_error("deep_mpi_fit", "MPI_Iallreduce of the gradients", code);
}

void mpi_progress_layer(mpi_progress *p)
{
    int done = 0;
    if (p->mode == DEEP_MPI_PROGRESS_LAYERS && p->count > 0)
        MPI_Testall(p->count, p->requests, &done, MPI_STATUSES_IGNORE);
}

deep_status mpi_progress_wait(mpi_progress *p)
{
    bool threaded = p->mode == DEEP_MPI_PROGRESS_THREAD;
    /* The thread must not test requests this thread waits on (MPI forbids two threads
     * completing one request): it holds the lock only around its MPI_Testall. */
    if (threaded) {
        pthread_mutex_lock(&p->lock);
        p->active = false;
    }
    int code = p->count > 0 ? MPI_Waitall(p->count, p->requests, MPI_STATUSES_IGNORE) : MPI_SUCCESS;
    p->count = 0;
    if (threaded)
        pthread_mutex_unlock(&p->lock);
    return code == MPI_SUCCESS ? DEEP_OK : deep_mpi_error("deep_mpi_fit", "MPI_Waitall on the gradient sums", code);
}

void mpi_progress_stop(mpi_progress *p)
{
    if (p->thread_started) {
        pthread_mutex_lock(&p->lock);
        p->quit = true;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
        p->thread_started = false;
    }
    free(p->requests);
    p->requests = NULL;
}
