/* The gradient sums in flight during one deep_mpi_fit, and what moves them on while the
 * backward pass computes. Open MPI advances a non-blocking collective only inside MPI
 * calls made by some thread of the process; with none, an MPI_Iallreduce started early
 * does most of its work in the final wait. */
#ifndef DEEP_MPI_PROGRESS_H
#define DEEP_MPI_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>

#include "comm.h"

typedef struct mpi_progress {
    deep_mpi_progress mode;  /* resolved: WAIT, LAYERS or THREAD (never AUTO) */
    MPI_Request *requests;   /* allocated once per fit: no allocation per step */
    int count, capacity;
    /* THREAD: the thread tests the requests while `active` (a step's sums are in flight
     * and the main thread is not waiting on them); `lock` guards requests and count. */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool thread_started, active, quit;
} mpi_progress;

/* Resolves `mode` against the thread level MPI was initialised with (AUTO: THREAD when
 * MPI_THREAD_MULTIPLE, else LAYERS; THREAD without it: DEEP_ERR_STATE) and allocates room
 * for `capacity` requests; THREAD starts the thread. func names the caller in errors. */
deep_status mpi_progress_start(mpi_progress *p, deep_mpi_progress mode, int capacity, const char *func);
/* Starts summing n floats at data over comm's ranks (MPI_Iallreduce, in place). */
deep_status mpi_progress_allreduce(mpi_progress *p, float *data, int n, MPI_Comm comm);
/* A layer of the backward pass is done: LAYERS tests the requests here. */
void mpi_progress_layer(mpi_progress *p);
/* Waits for every request started this step. */
deep_status mpi_progress_wait(mpi_progress *p);
/* Stops the thread and frees the requests; p may be only partly started. */
void mpi_progress_stop(mpi_progress *p);

#endif
