/* Built by scripts/check-deb.sh against the installed libdeep-mpi-dev package only
 * (pkg-config libdeep-mpi) and run by mpirun on 2 ranks: a data-parallel fit of a small
 * network, whose history every rank shares, and a misuse that is reported. */
#include <stdio.h>
#include <string.h>

#include <deep_mpi.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, ok = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    float x[64 * 2];
    int32_t labels[64];
    for (int i = 0; i < 64; i++) {
        labels[i] = i % 2;
        x[2 * i] = (float)(i % 8) / 8.0f + (float)labels[i];
        x[2 * i + 1] = (float)labels[i] - (float)(i % 5) / 5.0f;
    }
    deep_mpi *mpi = NULL;
    deep_dataset *data = NULL;
    deep_model *model = NULL;
    deep_optimizer *opt = NULL;
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    ok = deep_mpi_new(MPI_COMM_WORLD, &mpi) == DEEP_OK && deep_dataset_new(64, 1, (int64_t[]){2}, x, &data) == DEEP_OK &&
         deep_dataset_set_labels(data, labels, 64, 2) == DEEP_OK &&
         deep_model_new(1, (int64_t[]){2}, &model) == DEEP_OK &&
         deep_model_add_dense(model, 8, DEEP_ACTIVATION_RELU, 1) == DEEP_OK &&
         deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1) == DEEP_OK &&
         deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0) == DEEP_OK &&
         deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt) == DEEP_OK &&
         deep_model_compile(model, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1) == DEEP_OK &&
         deep_mpi_fit(mpi, model, data, 3, 8, NULL) == DEEP_OK;
    double loss[2] = {0, 0};
    ok = ok && deep_model_history(model, 2, DEEP_METRIC_LOSS, 0, &loss[0]) == DEEP_OK;
    loss[1] = loss[0];
    MPI_Bcast(&loss[1], 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    ok = ok && loss[0] == loss[1] && deep_mpi_fit(NULL, model, data, 1, 8, NULL) == DEEP_ERR_NULL &&
         strstr(deep_last_error(), "deep_mpi_fit") != NULL;
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rank == 0)
        printf(all ? "package mpi program OK\n" : "package mpi program FAILED: %s\n", deep_last_error());
    deep_model_free(model);
    deep_dataset_free(data);
    deep_mpi_free(mpi);
    MPI_Finalize();
    return all ? 0 : 1;
}
