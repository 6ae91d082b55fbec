/* mpi_forest_fashion: examples/forest_fashion.c's random forest on Fashion-MNIST, its
 * trees grown across MPI ranks by deep_mpi_forest_fit. Every rank loads the whole
 * training set, grows its block of trees and ends with the whole forest, the one a single
 * process grows with the same seed: the accuracy, the out-of-bag score and the forest's
 * checksum printed are the same at any number of ranks; only the time changes.
 *
 * Usage: mpirun -np N mpi_forest_fashion [DATA_DIR [TREES [SAMPLES [THREADS [SEED]]]]]
 *   (defaults /usr/share/datasets/fashion-mnist, 100 trees, all 60000 training samples,
 *    1 thread per rank — one rank per core —, seed 42) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <deep_mpi.h>

static int rank;

static int check(deep_status status, const char *what)
{
    if (status != DEEP_OK)
        fprintf(stderr, "rank %d: %s failed: %s (%s)\n", rank, what, deep_last_error(), deep_status_string(status));
    return status != DEEP_OK;
}

/* The first `samples` images (all when 0) of a Fashion-MNIST file pair, as 784 features. */
static deep_dataset *load(const char *dir, const char *prefix, int64_t samples)
{
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_dataset *d = NULL, *part = NULL;
    int64_t count = 0;
    if (check(deep_dataset_load_idx(images, labels, &d), "deep_dataset_load_idx") ||
        check(deep_dataset_reshape(d, 1, (int64_t[]){784}), "deep_dataset_reshape") ||
        check(deep_dataset_count(d, &count), "deep_dataset_count")) {
        deep_dataset_free(d);
        return NULL;
    }
    if (samples <= 0 || samples >= count)
        return d;
    int64_t *first = malloc((size_t)samples * sizeof *first);
    for (int64_t i = 0; first && i < samples; i++)
        first[i] = i;
    if (first == NULL || check(deep_dataset_subset(d, first, samples, &part), "deep_dataset_subset"))
        part = NULL;
    free(first);
    deep_dataset_free(d);
    return part;
}

/* FNV-1a of the forest file: equal checksums, equal forests. */
static unsigned long long checksum(const deep_forest *forest)
{
    int64_t size = 0;
    unsigned long long h = 0xCBF29CE484222325ull;
    if (check(deep_forest_save_buffer(forest, NULL, 0, &size), "deep_forest_save_buffer"))
        return 0;
    unsigned char *bytes = malloc((size_t)size);
    if (bytes && !check(deep_forest_save_buffer(forest, bytes, size, &size), "deep_forest_save_buffer"))
        for (int64_t i = 0; i < size; i++)
            h = (h ^ bytes[i]) * 0x100000001B3ull;
    free(bytes);
    return h;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int64_t trees = argc > 2 ? atoll(argv[2]) : 100, samples = argc > 3 ? atoll(argv[3]) : 0;
    int threads = argc > 4 ? atoi(argv[4]) : 1;
    unsigned long long seed = argc > 5 ? strtoull(argv[5], NULL, 10) : 42;

    deep_dataset *train = load(dir, "train", samples), *test = load(dir, "t10k", 0);
    deep_mpi *mpi = NULL;
    deep_forest *forest = NULL;
    /* A rank that cannot load its data still calls deep_mpi_forest_fit (with a NULL
     * dataset), so that the others learn of it instead of waiting. */
    int failed = check(deep_mpi_new(MPI_COMM_WORLD, &mpi), "deep_mpi_new") ||
                 check(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest), "deep_forest_new") ||
                 check(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, trees), "deep_forest_set_int") ||
                 check(deep_forest_set_int(forest, DEEP_FOREST_THREADS, threads), "deep_forest_set_int") ||
                 check(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1), "deep_forest_set_int") ||
                 check(deep_forest_set_int(forest, DEEP_TREE_SEED, (int64_t)seed), "deep_forest_set_int");
    /* Wall time, and CPU time per rank: on a machine shared with other work the second
     * shows how the trees were divided better than the first. */
    double t0 = MPI_Wtime();
    clock_t c0 = clock();
    failed = failed || check(deep_mpi_forest_fit(mpi, forest, train), "deep_mpi_forest_fit");
    double seconds = MPI_Wtime() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC, cpu_max = 0, cpu_sum = 0;
    MPI_Reduce(&cpu, &cpu_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&cpu, &cpu_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    double oob, accuracy;
    int64_t count = 0;
    if (!failed && !check(deep_forest_oob_score(forest, &oob), "deep_forest_oob_score") &&
        !check(deep_forest_score(forest, test, &accuracy), "deep_forest_score") &&
        !check(deep_dataset_count(train, &count), "deep_dataset_count")) {
        unsigned long long sum = checksum(forest);
        if (rank == 0) {
            printf("fit time: %.1f s (%lld trees on %d rank%s x %d thread%s, histogram splits on %lld x 784 pixels)\n",
                   seconds, (long long)trees, size, size > 1 ? "s" : "", threads, threads > 1 ? "s" : "",
                   (long long)count);
            printf("fit CPU time: %.1f s on the busiest rank, %.1f s over all ranks\n", cpu_max, cpu_sum);
            printf("out-of-bag score: %.4f\n", oob);
            printf("test accuracy: %.4f\n", accuracy);
            printf("forest checksum: %016llx\n", sum);
        }
    } else {
        failed = 1;
    }
    deep_forest_free(forest);
    deep_mpi_free(mpi);
    deep_dataset_free(train);
    deep_dataset_free(test);
    MPI_Finalize();
    return failed;
}
