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

#ifdef __cplusplus
}
#endif

#endif
