/* Communicators: the caller's duplicated, so that libdeep-mpi's collectives cannot match
 * the caller's messages, and set to return errors instead of aborting the job. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "comm.h"

deep_status deep_mpi_fail(deep_status status, const char *func, const char *fmt, ...)
{
    char message[400];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    return deep_set_last_error(status, func, message);
}

deep_status deep_mpi_error(const char *func, const char *what, int code)
{
    char reason[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, reason, &length) != MPI_SUCCESS)
        snprintf(reason, sizeof reason, "MPI error %d", code);
    return deep_mpi_fail(DEEP_ERR_IO, func, "%s: %s", what, reason);
}

static deep_status wrap(const char *func, MPI_Comm comm, deep_mpi **out)
{
    if (!out)
        return deep_mpi_fail(DEEP_ERR_NULL, func, "argument 'out' is NULL");
    *out = NULL;
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized)
        return deep_mpi_fail(DEEP_ERR_STATE, func, "MPI is not initialised (call MPI_Init first; libdeep-mpi "
                                                   "never initialises MPI itself)");
    if (comm == MPI_COMM_NULL)
        return deep_mpi_fail(DEEP_ERR_NULL, func, "the communicator is MPI_COMM_NULL");
    deep_mpi *mpi = calloc(1, sizeof *mpi);
    if (!mpi)
        return deep_mpi_fail(DEEP_ERR_NO_MEMORY, func, "no memory for the handle");
    int code = MPI_Comm_dup(comm, &mpi->comm);
    if (code != MPI_SUCCESS) {
        free(mpi);
        return deep_mpi_error(func, "MPI_Comm_dup", code);
    }
    MPI_Comm_set_errhandler(mpi->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(mpi->comm, &mpi->rank);
    MPI_Comm_size(mpi->comm, &mpi->size);
    *out = mpi;
    return DEEP_OK;
}

deep_status deep_mpi_new(MPI_Comm comm, deep_mpi **out)
{
    return wrap(__func__, comm, out);
}

deep_status deep_mpi_new_fint(MPI_Fint comm, deep_mpi **out)
{
    return wrap(__func__, MPI_Comm_f2c(comm), out);
}

void deep_mpi_free(deep_mpi *mpi)
{
    if (!mpi)
        return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Comm_free(&mpi->comm);
    free(mpi);
}

deep_status deep_mpi_rank(const deep_mpi *mpi, int32_t *rank)
{
    if (!mpi || !rank)
        return DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument '%s' is NULL", mpi ? "rank" : "mpi");
    *rank = mpi->rank;
    return DEEP_OK;
}

deep_status deep_mpi_size(const deep_mpi *mpi, int32_t *size)
{
    if (!mpi || !size)
        return DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument '%s' is NULL", mpi ? "size" : "mpi");
    *size = mpi->size;
    return DEEP_OK;
}
