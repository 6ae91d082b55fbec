/* Data-parallel training: deep_mpi_fit runs deep_model_fit on every rank as one replica of
 * the model (deep.h, "Replicas") and is the replica hook that moves its data over MPI:
 * agreement on status and stopping, rank 0's state broadcast, gradients summed in buckets
 * by non-blocking allreduces started while the backward pass goes on (and driven on by
 * progress.c), the epoch's training and validation sums. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "progress.h"

#define DEFAULT_BUCKET_BYTES (1 << 18) /* 64 Ki floats: the seed CNN's Dense layers go while its convolutions run backward */
#define MAX_CHUNK (1 << 30)            /* MPI counts are int: larger ranges go in pieces */

/* One deep_mpi_fit call: the gradient buckets in flight and the one being filled. */
typedef struct mpi_fit {
    deep_mpi *mpi;
    float *grads;            /* the model's gradient block, from the first GRADIENTS */
    int64_t lo, hi;          /* floats [lo, hi): final, not yet sent (lo == hi: none) */
    int64_t bucket;          /* floats per bucket */
    mpi_progress progress;   /* the sums in flight and what drives them (progress.c) */
} mpi_fit;

/* Starts summing floats [lo, hi) over the ranks. */
static deep_status flush(mpi_fit *f)
{
    while (f->hi > f->lo) {
        int64_t n = f->hi - f->lo < MAX_CHUNK ? f->hi - f->lo : MAX_CHUNK;
        DEEP_MPI_TRY(mpi_progress_allreduce(&f->progress, f->grads + f->lo, (int)n, f->mpi->comm));
        f->lo += n;
    }
    f->lo = f->hi = 0;
    return DEEP_OK;
}

/* Layers arrive last first, so a bucket grows downwards while the ranges touch. */
static deep_status gradients(mpi_fit *f, float *grads, int64_t offset, int64_t count)
{
    f->grads = grads;
    if (f->hi > f->lo && offset + count != f->lo)
        DEEP_MPI_TRY(flush(f));
    if (f->hi == f->lo) {
        f->lo = offset;
        f->hi = offset + count;
    } else {
        f->lo = offset;
    }
    if (f->hi - f->lo >= f->bucket)
        DEEP_MPI_TRY(flush(f));
    mpi_progress_layer(&f->progress);
    return DEEP_OK;
}

static deep_status reduce(mpi_fit *f)
{
    /* Timed from the end of backward: the last bucket (the first layers' gradients, final
     * only now) starts here, and its whole sum shows, as it does in PyTorch DDP. */
    double start = MPI_Wtime();
    /* The earlier buckets first; the last one is summed by a blocking MPI_Allreduce, as it
     * would be waited for at once: Open MPI's blocking collectives run on its fast path,
     * where a non-blocking one waited for advances a round per few progress calls (under
     * load each a scheduler's time slice: docs/distributed.md measures it). */
    deep_status status = mpi_progress_wait(&f->progress);
    /* Even after a failed wait: the other ranks make this call too, and must not be left in it. */
    while (f->hi > f->lo) {
        int64_t n = f->hi - f->lo < MAX_CHUNK ? f->hi - f->lo : MAX_CHUNK;
        int code = MPI_Allreduce(MPI_IN_PLACE, f->grads + f->lo, (int)n, MPI_FLOAT, MPI_SUM, f->mpi->comm);
        if (code != MPI_SUCCESS && status == DEEP_OK)
            status = deep_mpi_error("deep_mpi_fit", "MPI_Allreduce of the last gradients", code);
        f->lo += n;
    }
    f->lo = f->hi = 0;
    f->mpi->wait_seconds += MPI_Wtime() - start;
    f->mpi->wait_steps++;
    return status;
}

/* Every rank learns whether all are fine; a failed rank's status and message travel to
 * all, so that each returns the same error naming that rank. */
static deep_status agree(deep_mpi *mpi, deep_status local, int32_t *stop)
{
    int values[2] = {local != DEEP_OK ? mpi->rank : mpi->size, stop != NULL && *stop ? 0 : 1};
    int code = MPI_Allreduce(MPI_IN_PLACE, values, 2, MPI_INT, MPI_MIN, mpi->comm);
    if (code != MPI_SUCCESS)
        return deep_mpi_error("deep_mpi_fit", "MPI_Allreduce of the ranks' status", code);
    if (stop != NULL)
        *stop = values[1] == 0;
    if (values[0] == mpi->size)
        return DEEP_OK;
    struct {
        int status;
        char message[480];
    } failure = {0};
    if (values[0] == mpi->rank) {
        failure.status = local;
        strncpy(failure.message, deep_last_error(), sizeof failure.message - 1);
    }
    code = MPI_Bcast(&failure, (int)sizeof failure, MPI_BYTE, values[0], mpi->comm);
    if (code != MPI_SUCCESS)
        return deep_mpi_error("deep_mpi_fit", "MPI_Bcast of a rank's failure", code);
    return deep_mpi_fail((deep_status)failure.status, "deep_mpi_fit", "rank %d failed: %s", values[0],
                         failure.message);
}

static deep_status broadcast(deep_mpi *mpi, char *data, int64_t bytes)
{
    for (int64_t done = 0; done < bytes; done += MAX_CHUNK) {
        int n = (int)(bytes - done < MAX_CHUNK ? bytes - done : MAX_CHUNK);
        int code = MPI_Bcast(data + done, n, MPI_BYTE, 0, mpi->comm);
        if (code != MPI_SUCCESS)
            return deep_mpi_error("deep_mpi_fit", "MPI_Bcast of rank 0's model state", code);
    }
    return DEEP_OK;
}

static deep_status hook(void *user, deep_replica_event event, deep_status status, void *data, int64_t offset,
                        int64_t count)
{
    mpi_fit *f = user;
    switch (event) {
    case DEEP_REPLICA_AGREE:
        return agree(f->mpi, status, data);
    case DEEP_REPLICA_BROADCAST:
        return broadcast(f->mpi, data, count);
    case DEEP_REPLICA_GRADIENTS:
        return gradients(f, data, offset, count);
    case DEEP_REPLICA_REDUCE:
        return reduce(f);
    case DEEP_REPLICA_SUM: {
        /* A few dozen doubles once per epoch: the epoch's loss and metric sums. */
        int code = MPI_Allreduce(MPI_IN_PLACE, data, (int)count, MPI_DOUBLE, MPI_SUM, f->mpi->comm);
        return code == MPI_SUCCESS ? DEEP_OK : deep_mpi_error("deep_mpi_fit", "MPI_Allreduce of the epoch's sums", code);
    }
    }
    return deep_mpi_fail(DEEP_ERR_UNSUPPORTED, "deep_mpi_fit", "replica event %d is unknown", (int)event);
}

/* This rank's own checks, before any collective of the fit. */
static deep_status check_local(const deep_mpi *mpi, deep_model *model, const deep_dataset *train, mpi_fit *f)
{
    if (!model || !train)
        return deep_mpi_fail(DEEP_ERR_NULL, "deep_mpi_fit", "argument '%s' is NULL", model ? "train" : "model");
    int32_t layers = 0;
    DEEP_MPI_TRY(deep_model_layer_count(model, &layers));
    int64_t bytes = mpi->bucket_bytes > 0 ? mpi->bucket_bytes : DEFAULT_BUCKET_BYTES;
    f->bucket = bytes / (int64_t)sizeof(float) > 0 ? bytes / (int64_t)sizeof(float) : 1;
    /* Each layer's range flushes at most one bucket beyond its own, a range larger than
     * MAX_CHUNK a few more: 2 per layer, plus the tail, is plenty but for such giants. */
    return mpi_progress_start(&f->progress, mpi->progress, 2 * layers + 8, "deep_mpi_fit");
}

/* Every rank must train on the same samples: at least their counts must agree. */
static deep_status check_counts(deep_mpi *mpi, const deep_dataset *train)
{
    int64_t count = 0;
    deep_dataset_count(train, &count);
    int64_t range[2] = {count, -count};
    int code = MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_INT64_T, MPI_MIN, mpi->comm);
    if (code != MPI_SUCCESS)
        return deep_mpi_error("deep_mpi_fit", "MPI_Allreduce of the sample counts", code);
    if (range[0] != -range[1])
        return deep_mpi_fail(DEEP_ERR_SHAPE, "deep_mpi_fit",
                             "the ranks' training data differ: between %lld and %lld samples (every rank must "
                             "pass the same data)", (long long)range[0], (long long)-range[1]);
    return DEEP_OK;
}

deep_status deep_mpi_fit(deep_mpi *mpi, deep_model *model, const deep_dataset *train, int64_t epochs,
                         int64_t batch_size, const deep_dataset *validation)
{
    if (!mpi)
        return deep_mpi_fail(DEEP_ERR_NULL, "deep_mpi_fit", "argument 'mpi' is NULL");
    mpi_fit f = {.mpi = mpi};
    mpi->wait_seconds = 0.0;
    mpi->wait_steps = 0;
    deep_status local = check_local(mpi, model, train, &f);
    int32_t old_rank = 0, old_size = 1, old_split = 0;
    deep_replica_fn old_hook = NULL;
    void *old_user = NULL;
    bool set = false;
    if (local == DEEP_OK)
        local = deep_model_get_replica(model, &old_rank, &old_size, &old_hook, &old_user);
    if (local == DEEP_OK)
        local = deep_model_get_replica_validation(model, &old_split);
    if (local == DEEP_OK) {
        local = deep_model_set_replica(model, mpi->rank, mpi->size, hook, &f);
        set = local == DEEP_OK;
    }
    /* Each rank scores its part of the validation data; the sums make the whole's metrics. */
    if (local == DEEP_OK)
        local = deep_model_set_replica_validation(model, 1);
    /* Nothing collective has happened yet: from here on every rank makes the same calls. */
    deep_status status = agree(mpi, local, NULL);
    if (status == DEEP_OK)
        status = check_counts(mpi, train);
    if (status == DEEP_OK)
        status = deep_model_fit(model, train, epochs, batch_size, validation);
    if (set) {
        /* Put back what the caller had (an ordinary fit, usually), keeping fit's message. */
        char message[512];
        strncpy(message, deep_last_error(), sizeof message - 1);
        message[sizeof message - 1] = '\0';
        deep_model_set_replica(model, old_rank, old_size, old_hook, old_user);
        deep_model_set_replica_validation(model, old_split);
        if (status != DEEP_OK)
            deep_set_last_error(status, NULL, message);
    }
    mpi_progress_stop(&f.progress);
    return status;
}

deep_status deep_mpi_set_bucket_bytes(deep_mpi *mpi, int64_t bytes)
{
    if (!mpi)
        return DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument 'mpi' is NULL");
    if (bytes < (int64_t)sizeof(float) || bytes > (int64_t)MAX_CHUNK * (int64_t)sizeof(float))
        return DEEP_MPI_FAIL(DEEP_ERR_INVALID_ARGUMENT, "bucket of %lld bytes; it must be in [4, %lld]",
                             (long long)bytes, (long long)MAX_CHUNK * (long long)sizeof(float));
    mpi->bucket_bytes = bytes;
    return DEEP_OK;
}

deep_status deep_mpi_get_bucket_bytes(const deep_mpi *mpi, int64_t *bytes)
{
    if (!mpi || !bytes)
        return DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument '%s' is NULL", mpi ? "bytes" : "mpi");
    *bytes = mpi->bucket_bytes > 0 ? mpi->bucket_bytes : DEFAULT_BUCKET_BYTES;
    return DEEP_OK;
}

deep_status deep_mpi_set_progress(deep_mpi *mpi, deep_mpi_progress mode)
{
    if (!mpi)
        return DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument 'mpi' is NULL");
    if (mode < DEEP_MPI_PROGRESS_AUTO || mode > DEEP_MPI_PROGRESS_THREAD)
        return DEEP_MPI_FAIL(DEEP_ERR_INVALID_ARGUMENT, "progress mode %d is unknown (0 to 3)", (int)mode);
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    if (mode == DEEP_MPI_PROGRESS_THREAD && level != MPI_THREAD_MULTIPLE)
        return DEEP_MPI_FAIL(DEEP_ERR_STATE, "DEEP_MPI_PROGRESS_THREAD needs MPI initialised with "
                                             "MPI_Init_thread(..., MPI_THREAD_MULTIPLE, ...); this process has "
                                             "thread level %d", level);
    mpi->progress = mode;
    return DEEP_OK;
}

deep_status deep_mpi_get_progress(const deep_mpi *mpi, deep_mpi_progress *mode)
{
    if (!mpi || !mode)
        return DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument '%s' is NULL", mpi ? "mode" : "mpi");
    *mode = mpi->progress;
    return DEEP_OK;
}

deep_status deep_mpi_get_wait(const deep_mpi *mpi, double *seconds, int64_t *steps)
{
    if (!mpi || !seconds || !steps)
        return DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument '%s' is NULL", !mpi ? "mpi" : !seconds ? "seconds" : "steps");
    *seconds = mpi->wait_seconds;
    *steps = mpi->wait_steps;
    return DEEP_OK;
}
