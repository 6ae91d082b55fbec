/* libdeep-mpi: libdeep on MPI — data-parallel training of models and distributed forests.
 *
 * A separate library (libdeep-mpi.so.1, pkg-config name libdeep-mpi, Debian package
 * libdeep-mpi1) so that libdeep itself never depends on MPI. It follows deep.h's
 * conventions: every call returns a deep_status and leaves its message for
 * deep_last_error(); it never aborts, exits or prints.
 *
 * MPI belongs to the caller: the program calls MPI_Init (or MPI_Init_thread) before and
 * MPI_Finalize after every libdeep-mpi call; libdeep-mpi calls neither and never uses
 * MPI_COMM_WORLD behind the caller's back. Each handle works on its own duplicate of the
 * communicator the caller passes (so libdeep-mpi's messages never mix with the caller's),
 * with MPI_ERRORS_RETURN set on it, so an MPI failure is a status, not an abort. */
#ifndef DEEP_MPI_H
#define DEEP_MPI_H

#include <mpi.h>

#include "deep.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DEEP_MPI_VERSION_MAJOR 1
#define DEEP_MPI_VERSION_MINOR 3
#define DEEP_MPI_VERSION_PATCH 0

/* A communicator libdeep-mpi works on: the caller's, duplicated. */
typedef struct deep_mpi deep_mpi;

/* Duplicates comm (MPI_Comm_dup: collective, every rank of comm must call it). */
DEEP_API deep_status deep_mpi_new(MPI_Comm comm, deep_mpi **out);
/* The same from a Fortran handle (MPI_Fint), the form FFI callers hold, e.g. mpi4py's
 * comm.py2f(). */
DEEP_API deep_status deep_mpi_new_fint(MPI_Fint comm, deep_mpi **out);
/* Frees the duplicate (MPI_Comm_free: collective; before MPI_Finalize). NULL is allowed. */
DEEP_API void deep_mpi_free(deep_mpi *mpi);
/* This process's rank and the number of ranks in the communicator. */
DEEP_API deep_status deep_mpi_rank(const deep_mpi *mpi, int32_t *rank);
DEEP_API deep_status deep_mpi_size(const deep_mpi *mpi, int32_t *size);

/* Distributed random forest (collective: every rank of the handle calls it, each with
 * its forest and the whole training set). The n_estimators trees are divided among the
 * ranks in contiguous blocks; each rank grows its block with deep_forest_fit_trees (tree
 * t from the seed and t alone, on the forest's threads), and the blocks are gathered and
 * joined in rank order, so that every rank ends with the forest deep_forest_fit grows in
 * one process with the same settings and data: the same trees bit for bit, the same
 * predictions, feature importances and (with DEEP_FOREST_OOB_SCORE 1) out-of-bag score,
 * which every rank computes on the whole forest. What is distributed is the trees; one
 * tree is grown by one rank.
 * Every rank must pass the same settings (the thread count aside) and the same data: the
 * ranks compare their sample and feature counts, outputs, a checksum of the data and of
 * the settings before growing anything. A failure on any rank (bad data, other settings,
 * out of memory) is returned by every rank, naming the failing rank ("rank 1 failed
 * ...: ..."): the ranks agree on a status before each exchange, so none is left waiting
 * in a collective. After a failure a rank's forest may hold only part of the trees: fit
 * again before using it. Since 1.2. */
DEEP_API deep_status deep_mpi_forest_fit(deep_mpi *mpi, deep_forest *forest, const deep_dataset *train);
/* Data-parallel training (Horovod's and PyTorch DDP's scheme), collective over the handle's
 * communicator: every rank calls it with its own copy of the same compiled model and the
 * same training data (and validation data, if any), and each rank's deep_model_fit runs as
 * one replica of one training run (deep.h, "Replicas"; deep_model_set_replica is how). At
 * the start rank 0's weights, optimizer state and random generator are broadcast, so
 * every rank draws the same epoch orders; batch_size is per rank: each global batch of
 * size * batch_size samples is cut into `size` consecutive slices, one per rank, and the
 * gradients are averaged over the global batch with MPI_Iallreduce in buckets (of
 * deep_mpi_set_bucket_bytes) started as the backward pass finishes each layer, moved on
 * while it goes on (deep_mpi_set_progress) and waited for before the optimizer step (the
 * last bucket, complete only when backward is, with a blocking MPI_Allreduce since 1.3).
 * So N ranks of batch b train as one process of batch N b on the same samples in the same
 * order, up to the rounding of the sums' order. The loss and
 * metrics of each epoch are summed over the ranks, so every rank records the same history,
 * logs the same line, and early stopping and ReduceLROnPlateau decide alike. The validation
 * data are split among the ranks as the training batches are (since 1.3; 1.2 scored them
 * whole on every rank): each rank scores its part and the sums are added, so every rank
 * records the whole data's validation metrics (one process's, to the rounding of the
 * sums' order; deep_model_set_replica_validation is how). Only rank 0 writes checkpoints (write your own model
 * files from rank 0 too: the ranks' models are the same).
 * Faults: before training, at every step before the gradients are exchanged, and after
 * every epoch the ranks agree on their status (a small MPI_Allreduce), so a rank that
 * fails (data that do not fit the model, a non-finite loss, a checkpoint it cannot write)
 * makes every rank return its status with the message "deep_mpi_fit: rank R failed:
 * <that rank's message>" instead of leaving them blocked. Training data whose sample
 * counts differ between ranks is DEEP_ERR_SHAPE on every rank. The model's replica
 * setting is put back afterwards. Not exchanged: dropout masks (each rank draws its own)
 * and BatchNormalization's batch and moving statistics (per rank, as DDP without
 * SyncBatchNorm). Since 1.2. */
DEEP_API deep_status deep_mpi_fit(deep_mpi *mpi, deep_model *model, const deep_dataset *train, int64_t epochs,
                                  int64_t batch_size, const deep_dataset *validation);
/* The size in bytes of the gradient buckets deep_mpi_fit sums with one MPI_Iallreduce each
 * (the last with MPI_Allreduce)
 * (4 to 2^32; default 256 KiB, 65536 floats). Smaller buckets start sooner (more overlap
 * with the backward pass), larger ones pay the per-message latency fewer times. Since 1.2. */
DEEP_API deep_status deep_mpi_set_bucket_bytes(deep_mpi *mpi, int64_t bytes);
DEEP_API deep_status deep_mpi_get_bucket_bytes(const deep_mpi *mpi, int64_t *bytes);

/* What moves deep_mpi_fit's gradient sums on while the backward pass computes. Open MPI
 * advances a non-blocking collective only inside MPI calls, so a sum started as a layer
 * finishes does its work only when some thread of the process calls MPI. */
typedef enum deep_mpi_progress {
    DEEP_MPI_PROGRESS_AUTO = 0,   /* the default: THREAD when MPI was initialised with
                                     MPI_THREAD_MULTIPLE (MPI_Query_thread), else LAYERS */
    DEEP_MPI_PROGRESS_WAIT = 1,   /* nothing: the sums run in the wait after backward (no
                                     overlap; the baseline to measure the others against) */
    DEEP_MPI_PROGRESS_LAYERS = 2, /* an MPI_Testall each time backward finishes a layer
                                     with weights (no thread; a few pushes per step) */
    DEEP_MPI_PROGRESS_THREAD = 3  /* a thread of libdeep-mpi's own, started per deep_mpi_fit,
                                     tests the sums in flight every 50 microseconds while
                                     backward runs (sleeping in between, so it takes little of
                                     a core); needs MPI_THREAD_MULTIPLE */
} deep_mpi_progress;
/* Sets how deep_mpi_fit drives its gradient sums (the default AUTO; THREAD when MPI's
 * thread level is not MPI_THREAD_MULTIPLE is DEEP_ERR_STATE). The result is the same bit
 * for bit in every mode: only when the sums' work happens changes. Since 1.3. */
DEEP_API deep_status deep_mpi_set_progress(deep_mpi *mpi, deep_mpi_progress mode);
DEEP_API deep_status deep_mpi_get_progress(const deep_mpi *mpi, deep_mpi_progress *mode);
/* The time the current (from its callbacks) or last deep_mpi_fit on this handle spent
 * from the end of each backward pass until its gradient sums were complete (the last
 * bucket's sum, started only then, included), summed over its steps, and the number of
 * steps: the part of the exchange the backward pass did not hide, plus any wait for a
 * slower rank. Since 1.3. */
DEEP_API deep_status deep_mpi_get_wait(const deep_mpi *mpi, double *seconds, int64_t *steps);

#ifdef __cplusplus
}
#endif

#endif
