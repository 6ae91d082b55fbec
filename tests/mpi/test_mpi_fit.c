/* deep_mpi_fit under mpirun with 2 or 3 ranks.
 *
 * Equivalence: N ranks of per-rank batch b against one process of batch N b on the same
 * data and seed, which every rank also trains on its own (a private deep_model_fit), for a
 * small MLP and a small CNN with SGD and Adam. The weights agree to TOLERANCE: the two
 * runs add the same terms in different orders (one process sums the batch's N b samples in
 * its matrix products; the ranks sum b each, then MPI adds the N partial sums), so they
 * differ by float rounding: 2e-8 to 1.5e-7 relative after 3 epochs (60 to 100 steps) in
 * the runs seen with 2 and 3 ranks. 1e-5 leaves room for other BLAS kernels without hiding
 * a real error (a lost slice or a wrong weighting moves weights by 1e-3 or more).
 * Between ranks the weights and the history must agree bit for bit: they all apply the
 * same summed gradients. So must the weights of the progress modes (deep_mpi_set_progress):
 * they change when the sums' work happens, not what is summed. Run with the argument
 * "thread", the program initialises MPI with MPI_THREAD_MULTIPLE and covers the progress
 * thread as well.
 * Validation: split among the ranks and summed, every rank records the metrics (AUC too)
 * that scoring the whole validation data in one process gives for the final weights.
 * Faults: one rank with data that do not fit, or a NULL argument, or NaN data: every rank
 * returns the error naming that rank (the meson timeout bounds a hang), and the
 * communicator still works afterwards.
 * Plain asserts, not Check: Check's fork mode and MPI do not mix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deep_mpi.h"

#define TOLERANCE 1e-5
#define MAX_WEIGHTS 4096

static int failures, rank, size;
/* The progress modes this run covers: THREAD only under MPI_THREAD_MULTIPLE. */
static deep_mpi_progress modes[3] = {DEEP_MPI_PROGRESS_LAYERS, DEEP_MPI_PROGRESS_WAIT, DEEP_MPI_PROGRESS_THREAD};
static int n_modes = 2;

#define EXPECT(cond)                                                                                    \
    do {                                                                                                \
        if (!(cond)) {                                                                                  \
            fprintf(stderr, "rank %d: %s:%d: expected %s (last error: %s)\n", rank, __FILE__, __LINE__, \
                    #cond, deep_last_error());                                                          \
            failures++;                                                                                 \
        }                                                                                               \
    } while (0)

#define MUST(call) EXPECT((call) == DEEP_OK)

enum { MLP, CNN };

/* 97 samples (an uneven last batch for every N) of 3 classes: 6 features, or 6x6x1 images. */
#define COUNT 97
static deep_dataset *make_data(int kind, int64_t count, int width)
{
    float *x = malloc((size_t)count * 36 * sizeof *x);
    int32_t *labels = malloc((size_t)count * sizeof *labels);
    int features = kind == MLP ? width : 36;
    for (int64_t i = 0; i < count; i++) {
        labels[i] = (int32_t)(i % 3);
        for (int j = 0; j < features; j++)
            x[i * features + j] = (float)((i * 31 + j * 17) % 23) / 23.0f + (j % 3 == labels[i] ? 0.6f : 0.0f);
    }
    deep_dataset *d = NULL;
    int64_t image[3] = {6, 6, 1}, vector[1] = {width};
    MUST(deep_dataset_new(count, kind == MLP ? 1 : 3, kind == MLP ? vector : image, x, &d));
    MUST(deep_dataset_set_labels(d, labels, count, 3));
    free(x);
    free(labels);
    return d;
}

static deep_model *make_model(int kind, deep_optimizer_kind optimizer)
{
    deep_model *m = NULL;
    if (kind == MLP) {
        MUST(deep_model_new(1, (int64_t[]){6}, &m));
        MUST(deep_model_add_dense(m, 16, DEEP_ACTIVATION_TANH, 1));
        MUST(deep_model_add_dense(m, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    } else {
        MUST(deep_model_new(3, (int64_t[]){6, 6, 1}, &m));
        MUST(deep_model_add_conv2d(m, 4, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
        MUST(deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID));
        MUST(deep_model_add_flatten(m));
        MUST(deep_model_add_dense(m, 3, DEEP_ACTIVATION_SOFTMAX, 1));
    }
    /* Each rank its own seed: rank 0's weights and generator must win. */
    MUST(deep_model_set_seed(m, 11 + (uint64_t)rank));
    MUST(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    MUST(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    deep_optimizer *opt = NULL;
    MUST(deep_optimizer_new(optimizer, &opt));
    MUST(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, optimizer == DEEP_OPTIMIZER_SGD ? 0.1 : 0.01));
    deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    MUST(deep_model_compile(m, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1));
    return m;
}

/* The reference: a model as rank 0 makes it, alone, batch N b. */
static deep_model *make_reference(int kind, deep_optimizer_kind optimizer)
{
    int saved = rank;
    rank = 0;
    deep_model *m = make_model(kind, optimizer);
    rank = saved;
    return m;
}

static int64_t weights_of(const deep_model *m, float *out)
{
    int32_t layers = 0;
    int64_t n = 0;
    MUST(deep_model_layer_count(m, &layers));
    for (int32_t l = 0; l < layers; l++) {
        int32_t count = 0;
        MUST(deep_model_weight_count(m, l, &count));
        for (int32_t w = 0; w < count; w++) {
            deep_tensor *t = NULL;
            int64_t elements = 0;
            MUST(deep_model_get_weight(m, l, w, &t));
            MUST(deep_tensor_size(t, &elements));
            if (n + elements <= MAX_WEIGHTS)
                MUST(deep_tensor_copy_to(t, out + n, elements));
            n += elements;
            deep_tensor_free(t);
        }
    }
    EXPECT(n <= MAX_WEIGHTS);
    return n;
}

/* The same values on every rank, bit for bit (rank 0's broadcast and compared). */
static int same_everywhere(const void *data, int bytes)
{
    char *zero = malloc((size_t)bytes);
    memcpy(zero, data, (size_t)bytes);
    MPI_Bcast(zero, bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    int same = memcmp(zero, data, (size_t)bytes) == 0, all = 0;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    free(zero);
    return all;
}

static void equivalence(deep_mpi *mpi, int kind, deep_optimizer_kind optimizer, int64_t batch, int64_t bucket)
{
    deep_dataset *data = make_data(kind, COUNT, 6);
    deep_model *ref = make_reference(kind, optimizer);
    MUST(deep_model_fit(ref, data, 3, batch * size, NULL));
    static float a[MAX_WEIGHTS], b[MAX_WEIGHTS], first[MAX_WEIGHTS];
    int64_t n = weights_of(ref, b);
    MUST(deep_mpi_set_bucket_bytes(mpi, bucket));
    double worst = 0.0;
    for (int k = 0; k < n_modes; k++) {
        deep_model *dist = make_model(kind, optimizer);
        MUST(deep_mpi_set_progress(mpi, modes[k]));
        MUST(deep_mpi_fit(mpi, dist, data, 3, batch, NULL));
        EXPECT(weights_of(dist, a) == n);
        for (int64_t i = 0; i < n && i < MAX_WEIGHTS; i++) {
            double d = fabs((double)a[i] - (double)b[i]) / (1.0 + fabs((double)b[i]));
            worst = d > worst ? d : worst;
        }
        EXPECT(worst <= TOLERANCE);
        EXPECT(same_everywhere(a, (int)(n * (int64_t)sizeof(float))));
        /* every progress mode: the first mode's weights, bit for bit */
        if (k == 0)
            memcpy(first, a, (size_t)n * sizeof *a);
        EXPECT(memcmp(first, a, (size_t)n * sizeof *a) == 0);
        /* one final wait per step: ceil(COUNT / (batch size)) steps in each of 3 epochs */
        double waited = -1.0;
        int64_t steps = -1, global = batch * size;
        MUST(deep_mpi_get_wait(mpi, &waited, &steps));
        EXPECT(steps == 3 * ((COUNT + global - 1) / global) && waited >= 0.0);
        double history[6];
        for (int64_t e = 0; e < 3; e++) {
            double ref_loss = 0.0;
            MUST(deep_model_history(dist, e, DEEP_METRIC_LOSS, 0, &history[2 * e]));
            MUST(deep_model_history(dist, e, DEEP_METRIC_ACCURACY, 0, &history[2 * e + 1]));
            MUST(deep_model_history(ref, e, DEEP_METRIC_LOSS, 0, &ref_loss));
            EXPECT(fabs(history[2 * e] - ref_loss) <= TOLERANCE * (1.0 + fabs(ref_loss)));
        }
        EXPECT(same_everywhere(history, (int)sizeof history));
        /* the replica setting is put back */
        int32_t r = -1, s = -1;
        deep_replica_fn hook = NULL;
        MUST(deep_model_get_replica(dist, &r, &s, &hook, NULL));
        EXPECT(r == 0 && s == 1 && hook == NULL);
        deep_model_free(dist);
    }
    MUST(deep_mpi_set_progress(mpi, DEEP_MPI_PROGRESS_AUTO));
    if (rank == 0)
        printf("%s %s, batch %lld x %d, bucket %lld bytes, %d progress modes: largest weight difference %.2e "
               "(relative)\n", kind == MLP ? "MLP" : "CNN", optimizer == DEEP_OPTIMIZER_SGD ? "SGD" : "Adam",
               (long long)batch, size, (long long)bucket, n_modes, worst);
    deep_model_free(ref);
    deep_dataset_free(data);
}

/* Validation, early stopping and checkpoints: the ranks stop at the same epoch as one
 * process does, and only rank 0 writes its checkpoint. */
static void stopping_and_checkpoints(deep_mpi *mpi)
{
    deep_dataset *data = make_data(MLP, COUNT, 6), *validation = make_data(MLP, 20, 6);
    deep_model *dist = make_model(MLP, DEEP_OPTIMIZER_ADAM), *ref = make_reference(MLP, DEEP_OPTIMIZER_ADAM);
    char path[64];
    snprintf(path, sizeof path, "/tmp/libdeep-mpi-test-%d-%d.ldm", (int)getpid(), rank);
    unlink(path);
    MUST(deep_model_set_int(dist, DEEP_MODEL_CHECKPOINT_PERIOD, 1));
    MUST(deep_model_set_string(dist, DEEP_MODEL_CHECKPOINT_PATH, path));
    /* min_delta so large that no epoch improves enough after the first: stops at epoch 3 */
    for (int i = 0; i < 2; i++) {
        deep_model *m = i ? ref : dist;
        MUST(deep_model_set_int(m, DEEP_MODEL_EARLY_STOPPING_PATIENCE, 2));
        MUST(deep_model_set_float(m, DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, 10.0));
    }
    MUST(deep_mpi_fit(mpi, dist, data, 8, 4, validation));
    MUST(deep_model_fit(ref, data, 8, 4 * size, validation));
    int64_t epochs = 0, ref_epochs = 0;
    MUST(deep_model_history_length(dist, &epochs));
    MUST(deep_model_history_length(ref, &ref_epochs));
    EXPECT(epochs == ref_epochs && epochs == 3);
    EXPECT(same_everywhere(&epochs, sizeof epochs));
    double val = 0.0;
    MUST(deep_model_history(dist, epochs - 1, DEEP_METRIC_LOSS, 1, &val));
    EXPECT(same_everywhere(&val, sizeof val));
    EXPECT((access(path, F_OK) == 0) == (rank == 0));
    unlink(path);
    deep_model_free(dist);
    deep_model_free(ref);
    deep_dataset_free(data);
    deep_dataset_free(validation);
}

/* The validation data are split among the ranks and the sums added: after the last epoch
 * the history's validation loss, accuracy and AUC are what deep_model_evaluate gives for the
 * same weights on the whole validation data in this process (to the rounding of the sums'
 * order), on every rank, for a count the ranks do not divide and for fewer samples than
 * ranks (some ranks score none). The training AUC is global too. */
static void validation_across_ranks(deep_mpi *mpi)
{
    deep_dataset *data = make_data(MLP, COUNT, 6);
    const int64_t counts[] = {23, 2};
    for (int c = 0; c < 2; c++) {
        deep_dataset *validation = make_data(MLP, counts[c], 6);
        deep_model *m = NULL;
        MUST(deep_model_new(1, (int64_t[]){6}, &m));
        MUST(deep_model_set_seed(m, 5));
        MUST(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
        MUST(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
        MUST(deep_model_add_dense(m, 8, DEEP_ACTIVATION_TANH, 1));
        MUST(deep_model_add_dense(m, 3, DEEP_ACTIVATION_SOFTMAX, 1));
        deep_optimizer *opt = NULL;
        MUST(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt));
        deep_metric metrics[] = {DEEP_METRIC_ACCURACY, DEEP_METRIC_AUC};
        MUST(deep_model_compile(m, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 2));
        MUST(deep_mpi_fit(mpi, m, data, 2, 4, validation));
        deep_metric all[] = {DEEP_METRIC_LOSS, DEEP_METRIC_ACCURACY, DEEP_METRIC_AUC};
        double recorded[4] = {0}, whole[3] = {0};
        int64_t needed = 0;
        MUST(deep_model_evaluate(m, validation, 4, whole, 3, &needed));
        for (int i = 0; i < 3; i++) {
            MUST(deep_model_history(m, 1, all[i], 1, &recorded[i]));
            EXPECT(fabs(recorded[i] - whole[i]) <= 1e-9 * (1.0 + fabs(whole[i])));
        }
        MUST(deep_model_history(m, 1, DEEP_METRIC_AUC, 0, &recorded[3]));
        EXPECT(same_everywhere(recorded, (int)sizeof recorded));
        int32_t split = -1;
        MUST(deep_model_get_replica_validation(m, &split));
        EXPECT(split == 0); /* put back */
        if (rank == 0 && c == 0)
            printf("validation across %d ranks: loss %.6f (whole, one process: %.6f), AUC %.6f (%.6f)\n", size,
                   recorded[0], whole[0], recorded[2], whole[2]);
        deep_model_free(m);
        deep_dataset_free(validation);
    }
    deep_dataset_free(data);
}

/* Every rank returns `expected` with a message naming the failed rank. */
static void expect_everywhere(deep_status status, deep_status expected, int failed)
{
    char fragment[64];
    snprintf(fragment, sizeof fragment, "rank %d failed", failed);
    EXPECT(status == expected);
    EXPECT(strncmp(deep_last_error(), "deep_mpi_fit: ", 14) == 0);
    EXPECT(strstr(deep_last_error(), fragment) != NULL);
}

static void faults(deep_mpi *mpi)
{
    int last = size - 1;
    deep_model *m = make_model(MLP, DEEP_OPTIMIZER_SGD);
    /* The last rank's data do not fit the model (5 features for 6 inputs). */
    deep_dataset *good = make_data(MLP, COUNT, 6), *bad = make_data(MLP, COUNT, 5);
    deep_status status = deep_mpi_fit(mpi, m, rank == last ? bad : good, 2, 8, NULL);
    expect_everywhere(status, DEEP_ERR_SHAPE, last);
    if (rank == last)
        EXPECT(strstr(deep_last_error(), "deep_model_fit") != NULL); /* the rank's own reason travels */
    /* A NULL model on rank 0 only. */
    status = deep_mpi_fit(mpi, rank == 0 ? NULL : m, good, 2, 8, NULL);
    expect_everywhere(status, DEEP_ERR_NULL, 0);
    /* Different sample counts. */
    deep_dataset *fewer = make_data(MLP, COUNT - 1, 6);
    status = deep_mpi_fit(mpi, m, rank == last ? fewer : good, 2, 8, NULL);
    EXPECT(status == DEEP_ERR_SHAPE && strstr(deep_last_error(), "differ") != NULL);
    /* NaN features on the last rank: its loss is NaN in the first step it has them (or fit
     * refuses them first); either way it fails and the others return too. */
    deep_dataset *nan_data = make_data(MLP, COUNT, 6);
    float *x = malloc(COUNT * 6 * sizeof *x);
    for (int i = 0; i < COUNT * 6; i++)
        x[i] = NAN;
    deep_dataset *nans = NULL;
    MUST(deep_dataset_new(COUNT, 1, (int64_t[]){6}, x, &nans));
    int32_t labels[COUNT];
    for (int i = 0; i < COUNT; i++)
        labels[i] = i % 3;
    MUST(deep_dataset_set_labels(nans, labels, COUNT, 3));
    status = deep_mpi_fit(mpi, m, rank == last ? nans : good, 2, 8, NULL);
    EXPECT(status != DEEP_OK && strstr(deep_last_error(), "failed") != NULL);
    char fragment[32];
    snprintf(fragment, sizeof fragment, "rank %d failed", last);
    EXPECT(strstr(deep_last_error(), fragment) != NULL);
    /* The communicator still works: a good fit after all that. */
    deep_model *fresh = make_model(MLP, DEEP_OPTIMIZER_SGD);
    MUST(deep_mpi_fit(mpi, fresh, good, 1, 8, NULL));
    /* Arguments. */
    EXPECT(deep_mpi_fit(NULL, m, good, 1, 8, NULL) == DEEP_ERR_NULL);
    EXPECT(strstr(deep_last_error(), "deep_mpi_fit") != NULL);
    int64_t bytes = 0;
    MUST(deep_mpi_set_bucket_bytes(mpi, 1 << 20));
    MUST(deep_mpi_get_bucket_bytes(mpi, &bytes));
    EXPECT(bytes == 1 << 20);
    EXPECT(deep_mpi_set_bucket_bytes(mpi, 2) == DEEP_ERR_INVALID_ARGUMENT);
    EXPECT(deep_mpi_set_bucket_bytes(NULL, 1024) == DEEP_ERR_NULL);
    EXPECT(deep_mpi_get_bucket_bytes(mpi, NULL) == DEEP_ERR_NULL);
    deep_mpi_progress mode = DEEP_MPI_PROGRESS_WAIT;
    MUST(deep_mpi_get_progress(mpi, &mode));
    EXPECT(mode == DEEP_MPI_PROGRESS_AUTO); /* the default */
    EXPECT(deep_mpi_set_progress(mpi, (deep_mpi_progress)4) == DEEP_ERR_INVALID_ARGUMENT);
    EXPECT(deep_mpi_set_progress(mpi, (deep_mpi_progress)-1) == DEEP_ERR_INVALID_ARGUMENT);
    EXPECT(strstr(deep_last_error(), "deep_mpi_set_progress") != NULL);
    EXPECT(deep_mpi_set_progress(NULL, DEEP_MPI_PROGRESS_WAIT) == DEEP_ERR_NULL);
    EXPECT(deep_mpi_get_progress(mpi, NULL) == DEEP_ERR_NULL);
    /* the thread needs MPI_THREAD_MULTIPLE */
    EXPECT(deep_mpi_set_progress(mpi, DEEP_MPI_PROGRESS_THREAD) == (n_modes == 3 ? DEEP_OK : DEEP_ERR_STATE));
    MUST(deep_mpi_set_progress(mpi, DEEP_MPI_PROGRESS_AUTO));
    double waited = 0.0;
    int64_t steps = 0;
    EXPECT(deep_mpi_get_wait(NULL, &waited, &steps) == DEEP_ERR_NULL);
    EXPECT(deep_mpi_get_wait(mpi, NULL, &steps) == DEEP_ERR_NULL);
    EXPECT(deep_mpi_get_wait(mpi, &waited, NULL) == DEEP_ERR_NULL);
    free(x);
    deep_dataset_free(nans);
    deep_dataset_free(nan_data);
    deep_dataset_free(fewer);
    deep_dataset_free(good);
    deep_dataset_free(bad);
    deep_model_free(m);
    deep_model_free(fresh);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "thread") == 0) {
        int provided = 0;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
        n_modes = provided == MPI_THREAD_MULTIPLE ? 3 : 2;
        if (n_modes < 3)
            fprintf(stderr, "MPI_THREAD_MULTIPLE is not available: the progress thread is not tested\n");
    } else {
        MPI_Init(&argc, &argv);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    deep_mpi *mpi = NULL;
    MUST(deep_mpi_new(MPI_COMM_WORLD, &mpi));
    int64_t bucket = 0;
    MUST(deep_mpi_get_bucket_bytes(mpi, &bucket));
    EXPECT(bucket == 1 << 18); /* the documented default, 256 KiB */
    /* the default buckets (this small CNN fits in one) */
    equivalence(mpi, CNN, DEEP_OPTIMIZER_SGD, 5, 1 << 18);

    deep_optimizer_kind optimizers[] = {DEEP_OPTIMIZER_SGD, DEEP_OPTIMIZER_ADAM};
    for (int kind = MLP; kind <= CNN; kind++)
        for (int o = 0; o < 2; o++)
            equivalence(mpi, kind, optimizers[o], 5, 1 << 20);
    /* Buckets of 64 bytes: every layer its own bucket, several in flight at once. */
    equivalence(mpi, CNN, DEEP_OPTIMIZER_ADAM, 4, 64);
    /* batch 1 per rank: the last global batch leaves some ranks' slices empty */
    equivalence(mpi, MLP, DEEP_OPTIMIZER_SGD, 1, 1 << 20);
    stopping_and_checkpoints(mpi);
    validation_across_ranks(mpi);
    faults(mpi);

    deep_mpi_free(mpi);
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Finalize();
    if (rank == 0)
        printf("%s: %d ranks, %d failures\n", total ? "FAIL" : "OK", size, total);
    return total ? 1 : 0;
}
