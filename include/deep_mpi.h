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
#define DEEP_MPI_VERSION_MINOR 2
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

#ifdef __cplusplus
}
#endif

#endif
