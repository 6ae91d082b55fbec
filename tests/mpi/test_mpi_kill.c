/* A rank that dies in the middle of deep_mpi_fit (SIGKILL: no status, no message) cannot
 * tell the others anything; what keeps them from waiting forever in a collective is MPI's
 * runtime: mpirun sees the process die and ends the job. The last rank kills itself after
 * its third step; tests/mpi/killed_rank.sh runs this under mpirun and checks that the job
 * ends, within a timeout, with mpirun reporting the killed rank. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "deep_mpi.h"

static int rank, size;

static int32_t die_at_step_three(void *user, int64_t epoch, int64_t batch, double loss)
{
    (void)user, (void)epoch, (void)loss;
    if (rank == size - 1 && batch == 2)
        raise(SIGKILL);
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    enum { COUNT = 400 };
    static float x[COUNT * 4];
    static int32_t labels[COUNT];
    for (int i = 0; i < COUNT; i++) {
        labels[i] = i % 2;
        for (int j = 0; j < 4; j++)
            x[i * 4 + j] = (float)((i * 7 + j) % 5) / 5.0f + (float)labels[i];
    }
    deep_dataset *data = NULL;
    deep_model *m = NULL;
    deep_optimizer *opt = NULL;
    deep_mpi *mpi = NULL;
    if (deep_dataset_new(COUNT, 1, (int64_t[]){4}, x, &data) != DEEP_OK ||
        deep_dataset_set_labels(data, labels, COUNT, 2) != DEEP_OK || deep_model_new(1, (int64_t[]){4}, &m) != DEEP_OK ||
        deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0) != DEEP_OK ||
        deep_model_add_dense(m, 2, DEEP_ACTIVATION_SOFTMAX, 1) != DEEP_OK ||
        deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt) != DEEP_OK ||
        deep_model_compile(m, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0) != DEEP_OK ||
        deep_model_set_callbacks(m, die_at_step_three, NULL, NULL) != DEEP_OK ||
        deep_mpi_new(MPI_COMM_WORLD, &mpi) != DEEP_OK) {
        fprintf(stderr, "rank %d: setup failed: %s\n", rank, deep_last_error());
        return 2;
    }
    deep_status status = deep_mpi_fit(mpi, m, data, 50, 4, NULL);
    fprintf(stderr, "rank %d: deep_mpi_fit returned %d (%s) after a rank was killed\n", rank, (int)status,
            deep_last_error());
    return 0;
}
