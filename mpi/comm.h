/* The deep_mpi handle and the error path every libdeep-mpi call shares. */
#ifndef DEEP_MPI_COMM_H
#define DEEP_MPI_COMM_H

#include "deep_mpi.h"

struct deep_mpi {
    MPI_Comm comm; /* the caller's communicator, duplicated; MPI_ERRORS_RETURN */
    int rank;
    int size;
    int64_t bucket_bytes; /* deep_mpi_set_bucket_bytes; 0: the default */
    deep_mpi_progress progress; /* deep_mpi_set_progress; 0: AUTO */
    double wait_seconds;  /* the current or last deep_mpi_fit's final waits (deep_mpi_get_wait) */
    int64_t wait_steps;
};

/* Records "func: what: <MPI's error string>" as the last error; returns DEEP_ERR_IO (a
 * failed collective is a failed exchange, as a failed read is). */
deep_status deep_mpi_error(const char *func, const char *what, int code);

/* Records "func: fmt..." as the last error and returns status. */
deep_status deep_mpi_fail(deep_status status, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define DEEP_MPI_FAIL(status, ...) deep_mpi_fail((status), __func__, __VA_ARGS__)

/* Returns a failed status from a nested call, whose message stands. */
#define DEEP_MPI_TRY(call)                                                                 \
    do {                                                                                   \
        deep_status deep_mpi_try_status = (call);                                          \
        if (deep_mpi_try_status != DEEP_OK)                                                \
            return deep_mpi_try_status;                                                    \
    } while (0)

#endif
