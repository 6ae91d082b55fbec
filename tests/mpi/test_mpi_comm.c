/* The deep_mpi handle, run under mpirun with 2 or 3 ranks: a communicator is duplicated
 * (not the caller's own), rank and size agree with MPI's, and bad arguments are statuses.
 * Plain asserts, not Check: Check's fork mode and MPI do not mix. */
#include <stdio.h>
#include <string.h>

#include "deep_mpi.h"

static int failures;

#define EXPECT(cond)                                                                       \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: expected %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    deep_last_error());                                                    \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

int main(int argc, char **argv)
{
    deep_mpi *before = NULL;
    EXPECT(deep_mpi_new(MPI_COMM_WORLD, &before) == DEEP_ERR_STATE);
    EXPECT(strstr(deep_last_error(), "MPI_Init") != NULL);
    EXPECT(before == NULL);

    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    deep_mpi *mpi = NULL, *from_fint = NULL;
    EXPECT(deep_mpi_new(MPI_COMM_WORLD, &mpi) == DEEP_OK);
    EXPECT(deep_mpi_new_fint(MPI_Comm_c2f(MPI_COMM_WORLD), &from_fint) == DEEP_OK);
    int32_t rank = -1, size = -1;
    EXPECT(deep_mpi_rank(mpi, &rank) == DEEP_OK && rank == world_rank);
    EXPECT(deep_mpi_size(from_fint, &size) == DEEP_OK && size == world_size);

    EXPECT(deep_mpi_new(MPI_COMM_WORLD, NULL) == DEEP_ERR_NULL);
    deep_mpi *none = NULL;
    EXPECT(deep_mpi_new(MPI_COMM_NULL, &none) == DEEP_ERR_NULL && none == NULL);
    EXPECT(deep_mpi_rank(NULL, &rank) == DEEP_ERR_NULL);
    EXPECT(strstr(deep_last_error(), "deep_mpi_rank") != NULL);
    EXPECT(deep_mpi_size(mpi, NULL) == DEEP_ERR_NULL);

    /* A sub-communicator: the handle sees that one, not the world. */
    MPI_Comm half;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank % 2, world_rank, &half);
    deep_mpi *sub = NULL;
    EXPECT(deep_mpi_new(half, &sub) == DEEP_OK);
    int half_size;
    MPI_Comm_size(half, &half_size);
    EXPECT(deep_mpi_size(sub, &size) == DEEP_OK && size == half_size);
    deep_mpi_free(sub);
    MPI_Comm_free(&half);

    deep_mpi_free(from_fint);
    deep_mpi_free(mpi);
    deep_mpi_free(NULL);

    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Finalize();
    if (world_rank == 0)
        printf("%s: %d ranks, %d failures\n", total ? "FAIL" : "OK", world_size, total);
    return total ? 1 : 0;
}
