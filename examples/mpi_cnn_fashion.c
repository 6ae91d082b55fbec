/* mpi_cnn_fashion: the seed CNN of cnn_fashion.c trained on Fashion-MNIST across MPI ranks
 * (deep_mpi_fit: data-parallel, gradients averaged by allreduce every step).
 *
 *   mpirun -np 2 mpi_cnn_fashion [DATA_DIR [EPOCHS [SEED [BATCH_PER_RANK [THREADS]]]]]
 *   (defaults /usr/share/datasets/fashion-mnist, 5, 42, 32 / ranks, 1)
 *
 * Every rank loads the whole training set and trains on its slice of each global batch;
 * the default per-rank batch keeps the global batch at 32, cnn_fashion's recipe (Adam,
 * standardised pixels, the learning rate halved before each of the last two epochs), so
 * any number of ranks trains the same model as one process, up to float rounding. Rank 0
 * logs the epochs, scores the test set and prints the accuracy and the training time.
 * THREADS is each rank's DEEP_MODEL_THREADS: one per rank on a machine with a core each.
 * MPI is initialised with MPI_THREAD_MULTIPLE so that libdeep-mpi's progress thread moves
 * the gradient sums on while backward runs (deep_mpi_set_progress; docs/distributed.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include <deep_mpi.h>

#define CHECK(call)                                                                                         \
    do {                                                                                                    \
        deep_status status_ = (call);                                                                       \
        if (status_ != DEEP_OK) {                                                                           \
            fprintf(stderr, "rank %d: error: %s (%s)\n", rank, deep_last_error(), deep_status_string(status_)); \
            goto done;                                                                                      \
        }                                                                                                   \
    } while (0)

#define PIXEL_MEAN 0.2860
#define PIXEL_STD 0.3530

static deep_status load_split(const char *dir, const char *prefix, deep_dataset **out)
{
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_status status = deep_dataset_load_idx(images, labels, out);
    const int64_t image_shape[] = {28, 28, 1};
    if (status == DEEP_OK)
        status = deep_dataset_reshape(*out, 3, image_shape);
    if (status == DEEP_OK)
        status = deep_dataset_scale(*out, (float)(1.0 / (255.0 * PIXEL_STD)), (float)(-PIXEL_MEAN / PIXEL_STD));
    return status;
}

/* cnn_fashion's schedule: halve Adam's step before each of the last two epochs. Every rank
 * runs it alike after every epoch, so their optimizers stay the same. */
typedef struct schedule {
    int32_t epochs;
    deep_status status;
} schedule;

static int32_t halve_learning_rate(void *user, deep_model *model, int64_t epoch)
{
    schedule *run = user;
    int64_t next = epoch + 1;
    if (next < 3 || next >= run->epochs)
        return 0;
    deep_optimizer *optimizer = NULL;
    double learning_rate = 0.0;
    run->status = deep_model_optimizer(model, &optimizer);
    if (run->status == DEEP_OK)
        run->status = deep_optimizer_get_float(optimizer, DEEP_OPT_LEARNING_RATE, &learning_rate);
    if (run->status == DEEP_OK)
        run->status = deep_optimizer_set_float(optimizer, DEEP_OPT_LEARNING_RATE, learning_rate / 2);
    return run->status != DEEP_OK;
}

int main(int argc, char **argv)
{
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 5;
    unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    long long batch = argc > 4 ? atoll(argv[4]) : (32 / size > 0 ? 32 / size : 1);
    int threads = argc > 5 ? atoi(argv[5]) : 1;
    int exit_code = 1;
    deep_mpi *mpi = NULL;
    deep_dataset *train = NULL, *test = NULL;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;

    CHECK(deep_mpi_new(MPI_COMM_WORLD, &mpi));
    CHECK(load_split(dir, "train", &train));
    CHECK(load_split(dir, "t10k", &test));

    const int64_t input_shape[] = {28, 28, 1};
    CHECK(deep_model_new(3, input_shape, &model));
    CHECK(deep_model_set_seed(model, seed)); /* rank 0's weights are broadcast anyway */
    CHECK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    CHECK(deep_model_add_conv2d(model, 32, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_max_pooling2d(model, 2, 2, 0, 0, DEEP_PADDING_VALID));
    CHECK(deep_model_add_conv2d(model, 64, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_max_pooling2d(model, 2, 2, 0, 0, DEEP_PADDING_VALID));
    CHECK(deep_model_add_flatten(model));
    CHECK(deep_model_add_dense(model, 64, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_dense(model, 10, DEEP_ACTIVATION_SOFTMAX, 1));
    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    deep_status compiled = deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1);
    adam = NULL; /* the model owns it now */
    CHECK(compiled);
    if (rank == 0) /* every rank has the same history: one log is enough */
        CHECK(deep_model_set_log(model, deep_log_console, NULL));
    schedule run = {epochs, DEEP_OK};
    CHECK(deep_model_set_callbacks(model, NULL, halve_learning_rate, &run));

    if (rank == 0)
        printf("%d ranks, batch %lld per rank (global %lld), %d thread(s) per rank, %d epochs\n", size, batch,
               batch * size, threads, epochs);
    double start = MPI_Wtime();
    CHECK(deep_mpi_fit(mpi, model, train, epochs, batch, NULL));
    double seconds = MPI_Wtime() - start;
    CHECK(run.status);
    if (rank == 0) {
        double results[2];
        int64_t needed;
        CHECK(deep_model_evaluate(model, test, 256, results, 2, &needed));
        printf("training time: %.1f s (%.1f s per epoch)\n", seconds, seconds / epochs);
        printf("test loss: %.4f\n", results[0]);
        printf("test accuracy: %.4f\n", results[1]);
    }
    exit_code = 0;
done:
    deep_optimizer_free(adam);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    deep_mpi_free(mpi);
    MPI_Finalize();
    return exit_code;
}
