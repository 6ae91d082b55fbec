/* The deep_mpi handle and the error path every libdeep-mpi call shares. */
#ifndef DEEP_MPI_COMM_H
#define DEEP_MPI_COMM_H

#include "deep_mpi.h"

struct deep_mpi {
    MPI_Comm comm; /* the caller's communicator, duplicated; MPI_ERRORS_RETURN */
    int rank;
    int size;
};

/* Records "func: what: <MPI's error string>" as the last error; returns DEEP_ERR_IO (a
 * failed collective is a failed exchange, as a failed read is). */
deep_status deep_mpi_error(const char *func, const char *what, int code);

/* Records "func: fmt..." as the last error and returns status. */
deep_status deep_mpi_fail(deep_status status, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define DEEP_MPI_FAIL(status, ...) deep_mpi_fail((status), __func__, __VA_ARGS__)

#endif
