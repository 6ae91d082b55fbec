/* Distributed forests, run under mpirun with 2 or 3 ranks: the forest every rank ends
 * with is the one deep_forest_fit grows in one process (its file byte for byte, its OOB
 * score and importances exactly), for a classifier and a regressor, with tree counts the
 * ranks do not divide and fewer trees than ranks; and a bad rank is an error naming it on
 * every rank, after which the communicator still works. Plain asserts, not Check (Check's
 * fork mode and MPI do not mix). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep_mpi.h"

static int failures, world_rank;

#define EXPECT(cond)                                                                                   \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "rank %d: %s:%d: expected %s (last error: %s)\n", world_rank, __FILE__,   \
                    __LINE__, #cond, deep_last_error());                                               \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

/* n samples of `features` values, the same on every rank (a fixed generator): three
 * classes, or (regressor) a smooth target of the first two features. */
static deep_dataset *data(int64_t n, int64_t features, bool classifier)
{
    float *x = malloc((size_t)(n * features) * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    uint64_t state = 12345;
    for (int64_t i = 0; i < n; i++) {
        labels[i] = (int32_t)(i % 3);
        for (int64_t f = 0; f < features; f++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            float noise = (float)(state >> 40) / (float)(1 << 24) - 0.5f;
            x[i * features + f] = (f < 2 ? (float)labels[i] * (f ? -1.0f : 1.0f) : 0) + 1.5f * noise;
        }
        y[i] = sinf(x[i * features]) + 0.5f * x[i * features + 1];
    }
    deep_dataset *d = NULL;
    EXPECT(deep_dataset_new(n, 1, (int64_t[]){features}, x, &d) == DEEP_OK);
    if (classifier)
        EXPECT(deep_dataset_set_labels(d, labels, n, 3) == DEEP_OK);
    else
        EXPECT(deep_dataset_set_targets(d, y, n, 1) == DEEP_OK);
    free(x);
    free(y);
    free(labels);
    return d;
}

static deep_forest *forest_new(deep_tree_kind kind, int64_t trees, uint64_t seed)
{
    deep_forest *f = NULL;
    EXPECT(deep_forest_new(kind, &f) == DEEP_OK);
    EXPECT(deep_forest_set_int(f, DEEP_FOREST_N_ESTIMATORS, trees) == DEEP_OK);
    EXPECT(deep_forest_set_int(f, DEEP_FOREST_OOB_SCORE, 1) == DEEP_OK);
    EXPECT(deep_forest_set_int(f, DEEP_TREE_SEED, (int64_t)seed) == DEEP_OK);
    EXPECT(deep_forest_set_int(f, DEEP_FOREST_THREADS, 1) == DEEP_OK); /* the machine is shared */
    if (kind == DEEP_TREE_REGRESSOR) {
        EXPECT(deep_forest_set_float(f, DEEP_FOREST_MAX_SAMPLES, 0.6) == DEEP_OK);
        EXPECT(deep_forest_set_int(f, DEEP_TREE_SPLITTER, DEEP_SPLITTER_HISTOGRAM) == DEEP_OK);
    }
    return f;
}

static unsigned char *file_of(const deep_forest *f, int64_t *size)
{
    *size = 0;
    EXPECT(deep_forest_save_buffer(f, NULL, 0, size) == DEEP_OK);
    unsigned char *bytes = malloc((size_t)(*size > 0 ? *size : 1));
    EXPECT(deep_forest_save_buffer(f, bytes, *size, size) == DEEP_OK);
    return bytes;
}

/* The distributed forest equals the single-process one, on this rank. */
static void same_as_one_process(deep_mpi *mpi, deep_tree_kind kind, int64_t trees, int64_t features)
{
    deep_dataset *d = data(150, features, kind == DEEP_TREE_CLASSIFIER);
    deep_forest *spread = forest_new(kind, trees, 42), *alone = forest_new(kind, trees, 42);
    EXPECT(deep_mpi_forest_fit(mpi, spread, d) == DEEP_OK);
    EXPECT(deep_forest_fit(alone, d) == DEEP_OK);
    int64_t count = 0, size_a, size_b;
    EXPECT(deep_forest_tree_count(spread, &count) == DEEP_OK && count == trees);
    unsigned char *a = file_of(spread, &size_a), *b = file_of(alone, &size_b);
    EXPECT(size_a == size_b && memcmp(a, b, (size_t)size_a) == 0);
    double oob_a = -1, oob_b = -2, imp_a[8], imp_b[8];
    EXPECT(deep_forest_oob_score(spread, &oob_a) == DEEP_OK);
    EXPECT(deep_forest_oob_score(alone, &oob_b) == DEEP_OK);
    EXPECT(oob_a == oob_b);
    EXPECT(oob_a > (kind == DEEP_TREE_CLASSIFIER ? 0.4 : 0.0)); /* the forest learnt something */
    EXPECT(deep_forest_feature_importances(spread, imp_a, 8, &(int64_t){0}) == DEEP_OK);
    EXPECT(deep_forest_feature_importances(alone, imp_b, 8, &(int64_t){0}) == DEEP_OK);
    EXPECT(memcmp(imp_a, imp_b, (size_t)features * sizeof *imp_a) == 0);
    /* And every rank holds the same forest as rank 0 (whatever deep_forest_fit gives). */
    int64_t size0 = size_a;
    MPI_Bcast(&size0, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    unsigned char *zero = malloc((size_t)size0);
    if (world_rank == 0)
        memcpy(zero, a, (size_t)size0);
    MPI_Bcast(zero, (int)size0, MPI_BYTE, 0, MPI_COMM_WORLD);
    EXPECT(size0 == size_a && memcmp(zero, a, (size_t)size0) == 0);
    free(zero);
    free(a);
    free(b);
    deep_forest_free(spread);
    deep_forest_free(alone);
    deep_dataset_free(d);
}

/* fit fails on every rank with `status` and a message naming `rank` and `words`. */
static void fails_everywhere(deep_mpi *mpi, deep_forest *f, const deep_dataset *d, deep_status status, int rank,
                             const char *words)
{
    EXPECT(deep_mpi_forest_fit(mpi, f, d) == status);
    char name[32];
    snprintf(name, sizeof name, "rank %d", rank);
    EXPECT(strstr(deep_last_error(), "deep_mpi_forest_fit") != NULL);
    EXPECT(strstr(deep_last_error(), name) != NULL);
    EXPECT(strstr(deep_last_error(), words) != NULL);
}

static void faults(deep_mpi *mpi, int size)
{
    int last = size - 1;
    deep_dataset *good = data(90, 4, true), *wide = data(90, 5, true), *other = data(91, 4, true);
    deep_forest *f = forest_new(DEEP_TREE_CLASSIFIER, 5, 7);
    /* The last rank's data has another feature count, then another sample count. */
    fails_everywhere(mpi, f, world_rank == last ? wide : good, DEEP_ERR_INVALID_ARGUMENT, last, "feature count");
    fails_everywhere(mpi, f, world_rank == last ? other : good, DEEP_ERR_INVALID_ARGUMENT, last, "sample count");
    /* Rank 1's forest has another seed: its trees would not be the forest's. */
    deep_forest *seeded = forest_new(DEEP_TREE_CLASSIFIER, 5, 8);
    fails_everywhere(mpi, world_rank == 1 ? seeded : f, good, DEEP_ERR_INVALID_ARGUMENT, 1, "forest settings");
    /* The last rank passes no forest: its failure is everyone's. */
    fails_everywhere(mpi, world_rank == last ? NULL : f, good, DEEP_ERR_NULL, last, "'forest' is NULL");
    /* A setting every rank refuses while growing (more samples drawn than there are). */
    deep_forest *greedy = forest_new(DEEP_TREE_CLASSIFIER, 5, 7);
    EXPECT(deep_forest_set_int(greedy, DEEP_FOREST_MAX_SAMPLES, 1000) == DEEP_OK);
    fails_everywhere(mpi, greedy, good, DEEP_ERR_INVALID_ARGUMENT, 0, "max_samples");
    /* The communicator is still usable: the same call with good arguments works. */
    EXPECT(deep_mpi_forest_fit(mpi, f, good) == DEEP_OK);
    EXPECT(deep_mpi_forest_fit(NULL, f, good) == DEEP_ERR_NULL);
    EXPECT(strstr(deep_last_error(), "deep_mpi_forest_fit") != NULL);
    deep_forest_free(greedy);
    deep_forest_free(seeded);
    deep_forest_free(f);
    deep_dataset_free(good);
    deep_dataset_free(wide);
    deep_dataset_free(other);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    deep_mpi *mpi = NULL;
    EXPECT(deep_mpi_new(MPI_COMM_WORLD, &mpi) == DEEP_OK);

    same_as_one_process(mpi, DEEP_TREE_CLASSIFIER, 7, 5); /* 7 trees: no rank count divides them */
    same_as_one_process(mpi, DEEP_TREE_REGRESSOR, 8, 3);
    same_as_one_process(mpi, DEEP_TREE_CLASSIFIER, 2, 4); /* at 3 ranks, rank 0 grows none */
    faults(mpi, world_size);

    deep_mpi_free(mpi);
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Finalize();
    if (world_rank == 0)
        printf("%s: %d ranks, %d failures\n", total ? "FAIL" : "OK", world_size, total);
    return total ? 1 : 0;
}
