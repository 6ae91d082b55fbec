/* mpi_allreduce: the measurements behind docs/distributed.md's scaling model.
 *
 *   mpirun -np 2 mpi_allreduce sizes            MPI_Allreduce (float sum) time against size
 *   mpi_allreduce step [THREADS [BATCH]]        the seed CNN's training step on one process:
 *                                               forward, whole step, and the gradient bytes
 *   mpirun -np N mpi_allreduce fit [BATCH]      deep_mpi_fit's time per step on synthetic
 *                                               images (1 thread per rank), against one rank
 *   mpirun -np 2 mpi_allreduce overlap [BATCH [BUCKET_BYTES [STEPS [REPEATS]]]]
 *                                               deep_mpi_fit's seed CNN steps in each progress
 *                                               mode (deep_mpi_set_progress), interleaved: the
 *                                               time per step spent in the final wait for the
 *                                               gradient sums, and the part of the exchange
 *                                               hidden behind backward (MPI_THREAD_MULTIPLE)
 *   mpi_allreduce project STEP_MS BACKWARD_MS BYTES [ALPHA_US [LAST_BYTES]]
 *                                               the model: epoch time and efficiency for 2..64
 *                                               nodes on 10 and 100 Gb/s, with and without overlap
 *                                               (LAST_BYTES: the last bucket, summed after
 *                                               backward; default 75264, the seed CNN's
 *                                               convolutions in 256 KiB buckets)
 *
 * Times are medians of repeated runs (the machine may be shared: medians resist the
 * interruptions). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <deep_mpi.h>

static int rank, size;

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void sizes(void)
{
    if (rank == 0)
        printf("%12s %12s %12s %12s\n", "bytes", "median_us", "min_us", "algbw_MB/s");
    /* powers of 4, and the seed CNN's gradients (121930 floats) */
    for (long bytes = 4; bytes <= (64L << 20); bytes = bytes == 262144 ? 487720 : bytes == 487720 ? 1048576 : bytes * 4) {
        long n = bytes / 4;
        float *buffer = calloc((size_t)n, sizeof *buffer);
        int reps = bytes <= (1 << 16) ? 200 : bytes <= (4 << 20) ? 30 : 6;
        double times[200];
        for (int warm = 0; warm < 3; warm++)
            MPI_Allreduce(MPI_IN_PLACE, buffer, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        for (int r = 0; r < reps; r++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double start = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, buffer, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            times[r] = MPI_Wtime() - start;
        }
        /* the slowest rank's time counts */
        MPI_Allreduce(MPI_IN_PLACE, times, reps, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        double t = median(times, reps); /* sorts times: times[0] is the fastest */
        if (rank == 0)
            printf("%12ld %12.1f %12.1f %12.1f\n", bytes, t * 1e6, times[0] * 1e6, (double)bytes / t / 1e6);
        free(buffer);
    }
}

static deep_model *seed_cnn(int threads)
{
    deep_model *m = NULL;
    deep_model_new(3, (int64_t[]){28, 28, 1}, &m);
    deep_model_set_seed(m, 42);
    deep_model_set_int(m, DEEP_MODEL_THREADS, threads);
    deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0);
    deep_model_add_conv2d(m, 32, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1);
    deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID);
    deep_model_add_conv2d(m, 64, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1);
    deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID);
    deep_model_add_flatten(m);
    deep_model_add_dense(m, 64, DEEP_ACTIVATION_RELU, 1);
    deep_model_add_dense(m, 10, DEEP_ACTIVATION_SOFTMAX, 1);
    deep_optimizer *adam = NULL;
    deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam);
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    if (deep_model_compile(m, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1) != DEEP_OK) {
        fprintf(stderr, "compile: %s\n", deep_last_error());
        exit(1);
    }
    return m;
}

static void fill(float *x, int64_t n, float *labels, int64_t count)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    for (int64_t i = 0; labels && i < count; i++)
        labels[i] = (float)(i % 10);
}

static void step(int threads, int64_t batch)
{
    deep_model *m = seed_cnn(threads);
    float *x = malloc((size_t)batch * 784 * sizeof *x), *y = malloc((size_t)batch * sizeof *y);
    float *out = malloc((size_t)batch * 10 * sizeof *out);
    fill(x, batch * 784, y, batch);
    deep_tensor *tx = NULL, *ty = NULL;
    deep_tensor_new_from(4, (int64_t[]){batch, 28, 28, 1}, x, batch * 784, &tx);
    deep_tensor_new_from(1, (int64_t[]){batch}, y, batch, &ty);
    double values[2], forward[60], whole[60];
    int64_t needed;
    for (int r = 0; r < 65; r++) {
        double start = MPI_Wtime();
        deep_model_predict_on_batch(m, tx, out, batch * 10, &needed);
        double mid = MPI_Wtime();
        deep_model_train_on_batch(m, tx, ty, values, 2, &needed);
        double end = MPI_Wtime();
        if (r >= 5) {
            forward[r - 5] = mid - start;
            whole[r - 5] = end - mid;
        }
    }
    int64_t params = 0;
    deep_model_parameter_count(m, &params);
    double f = median(forward, 60), w = median(whole, 60);
    printf("seed CNN, batch %lld, %d thread(s): step %.2f ms (forward %.2f ms, backward and update %.2f ms; "
           "fastest step %.2f ms, forward %.2f ms), gradients %lld floats = %lld bytes\n", (long long)batch, threads,
           w * 1e3, f * 1e3, (w - f) * 1e3, whole[0] * 1e3, forward[0] * 1e3, (long long)params,
           (long long)params * 4);
    deep_tensor_free(tx);
    deep_tensor_free(ty);
    free(x);
    free(y);
    free(out);
    deep_model_free(m);
}

static void fit(int64_t batch)
{
    int64_t count = 64 * batch * size; /* 64 steps per epoch */
    float *x = malloc((size_t)count * 784 * sizeof *x);
    int32_t *labels = malloc((size_t)count * sizeof *labels);
    fill(x, count * 784, NULL, 0);
    for (int64_t i = 0; i < count; i++)
        labels[i] = (int32_t)(i % 10);
    deep_dataset *data = NULL;
    deep_dataset_new(count, 3, (int64_t[]){28, 28, 1}, x, &data);
    deep_dataset_set_labels(data, labels, count, 10);
    deep_mpi *mpi = NULL;
    deep_mpi_new(MPI_COMM_WORLD, &mpi);
    deep_model *m = seed_cnn(1);
    double times[3];
    for (int r = 0; r < 3; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        if (deep_mpi_fit(mpi, m, data, 1, batch, NULL) != DEEP_OK)
            fprintf(stderr, "rank %d: %s\n", rank, deep_last_error());
        times[r] = (MPI_Wtime() - start) / 64;
    }
    if (rank == 0)
        printf("deep_mpi_fit, %d rank(s), batch %lld per rank, 1 thread each: %.2f ms per step (median of 3 "
               "epochs of 64 steps)\n", size, (long long)batch, median(times, 3) * 1e3);
    deep_model_free(m);
    deep_mpi_free(mpi);
    deep_dataset_free(data);
    free(x);
    free(labels);
}

/* Per step of one fit: the wait for the sums (deep_mpi_get_wait's growth) and the step's
 * wall time, read from the batch callback after each step. */
typedef struct overlap_run {
    deep_mpi *mpi;
    double *wait, *wall, last_wait, last_time;
    int64_t steps;
} overlap_run;

static int32_t after_step(void *user, int64_t epoch, int64_t batch, double loss)
{
    (void)epoch, (void)loss;
    overlap_run *o = user;
    double seconds = 0.0, now = MPI_Wtime();
    int64_t steps = 0;
    deep_mpi_get_wait(o->mpi, &seconds, &steps);
    if (batch < o->steps) {
        o->wait[batch] = seconds - o->last_wait;
        o->wall[batch] = now - o->last_time;
    }
    o->last_wait = seconds;
    o->last_time = now;
    return 0;
}

/* The seed CNN under deep_mpi_fit in the three progress modes, interleaved so that each
 * sees the same load on a shared machine. Per step the wait of the rank that waited least
 * counts: the other rank's wait also holds the time it idled for the slower one's backward,
 * which no overlap can hide; the fastest rank's wait is the exchange left after backward.
 * Hidden = 1 - wait / (the wait with nothing driving the sums). */
static void overlap(int64_t batch, int64_t bucket, int64_t steps, int repeats)
{
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    int64_t count = steps * batch * size;
    float *x = malloc((size_t)count * 784 * sizeof *x);
    int32_t *labels = malloc((size_t)count * sizeof *labels);
    fill(x, count * 784, NULL, 0);
    for (int64_t i = 0; i < count; i++)
        labels[i] = (int32_t)(i % 10);
    deep_dataset *data = NULL;
    deep_dataset_new(count, 3, (int64_t[]){28, 28, 1}, x, &data);
    deep_dataset_set_labels(data, labels, count, 10);
    deep_mpi *mpi = NULL;
    deep_mpi_new(MPI_COMM_WORLD, &mpi);
    deep_mpi_set_bucket_bytes(mpi, bucket);
    const deep_mpi_progress modes[] = {DEEP_MPI_PROGRESS_WAIT, DEEP_MPI_PROGRESS_LAYERS, DEEP_MPI_PROGRESS_THREAD};
    const char *names[] = {"wait", "layers", "thread"};
    int n_modes = level == MPI_THREAD_MULTIPLE ? 3 : 2;
    int64_t total = steps * repeats;
    double *wait[3], *wall[3];
    for (int k = 0; k < 3; k++) {
        wait[k] = calloc((size_t)total, sizeof(double));
        wall[k] = calloc((size_t)total, sizeof(double));
    }
    deep_model *m = seed_cnn(1);
    for (int r = 0; r < repeats; r++)
        for (int k = 0; k < n_modes; k++) {
            overlap_run o = {mpi, wait[k] + r * steps, wall[k] + r * steps, 0.0, 0.0, steps};
            deep_model_set_callbacks(m, after_step, NULL, &o);
            deep_mpi_set_progress(mpi, modes[k]);
            MPI_Barrier(MPI_COMM_WORLD);
            o.last_time = MPI_Wtime();
            if (deep_mpi_fit(mpi, m, data, 1, batch, NULL) != DEEP_OK)
                fprintf(stderr, "rank %d: %s\n", rank, deep_last_error());
        }
    if (rank == 0)
        printf("seed CNN, %d ranks, batch %lld per rank, bucket %lld bytes, %lld steps x %d repeats per mode "
               "(medians over steps)\n%8s %14s %14s %14s %10s\n", size, (long long)batch, (long long)bucket,
               (long long)steps, repeats, "mode", "wait_ms", "wait_ms_max", "step_ms", "hidden");
    double base = 0.0;
    for (int k = 0; k < n_modes; k++) {
        double *slowest = malloc((size_t)total * sizeof(double));
        MPI_Allreduce(MPI_IN_PLACE, wait[k], (int)total, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(wall[k], slowest, (int)total, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        double w = median(wait[k], (int)total), t = median(slowest, (int)total);
        base = k == 0 ? w : base;
        if (rank == 0)
            printf("%8s %14.3f %14.3f %14.2f %9.0f%%\n", names[k], w * 1e3, wait[k][total - 1] * 1e3, t * 1e3,
                   100.0 * (1.0 - w / base));
        free(slowest);
    }
    if (rank == 0 && n_modes < 3)
        printf("(no thread mode: MPI was not initialised with MPI_THREAD_MULTIPLE)\n");
    /* The exchange alone under the same load: a blocking sum of all the gradients, both
     * ranks started together. */
    int64_t params = 0;
    deep_model_parameter_count(m, &params);
    float *grads = calloc((size_t)params, sizeof *grads);
    double *alone = malloc((size_t)total * sizeof(double));
    for (int64_t i = 0; i < total; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, grads, (int)params, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        alone[i] = MPI_Wtime() - start;
    }
    MPI_Allreduce(MPI_IN_PLACE, alone, (int)total, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
        printf("MPI_Allreduce of the %lld gradient bytes alone: median %.3f ms\n", (long long)params * 4,
               median(alone, (int)total) * 1e3);
    free(alone);
    free(grads);
    for (int k = 0; k < 3; k++) {
        free(wait[k]);
        free(wall[k]);
    }
    deep_model_free(m);
    deep_mpi_free(mpi);
    deep_dataset_free(data);
    free(x);
    free(labels);
}

/* Ring allreduce of `bytes` over n nodes: 2 (n - 1) / n bytes / bandwidth, plus 2 (n - 1)
 * message latencies. */
static double ring_ms(double n, double bytes, double link, double alpha_us)
{
    return 2 * (n - 1) / n * bytes / (link / 8) * 1e3 + 2 * (n - 1) * alpha_us * 1e-3;
}

/* Per step: the status agreement (recursive doubling, log2 n latencies) and the gradient
 * sum. Without overlap the sum of all the bytes follows backward. With overlap (measured on
 * shared memory with the progress thread: the first bucket's sum is over before backward
 * ends, `overlap` in the usage above) the first buckets' sum hides behind the backward pass
 * still to run once they are sent (all of backward but the Dense layers for the seed CNN,
 * taken as 0.9 of it), and the last bucket, final only when backward ends, is summed after
 * it: its whole sum, latencies included, shows. */
static void project(double step_ms, double backward_ms, double bytes, double alpha_us, double last_bytes)
{
    const double links[] = {10e9, 100e9};
    const int nodes[] = {2, 4, 8, 16, 32, 64};
    const double samples = 60000; /* a Fashion-MNIST epoch */
    for (int l = 0; l < 2; l++) {
        printf("\n%.0f Gb/s, latency %.0f us, step %.2f ms (backward %.2f ms), %.0f gradient bytes (last bucket %.0f)\n",
               links[l] / 1e9, alpha_us, step_ms, backward_ms, bytes, last_bytes);
        printf("%6s %12s %12s %14s %14s %12s %12s\n", "nodes", "ring_ms", "agree_ms", "E_no_overlap",
               "E_overlap", "epoch_s", "epoch_s_ovl");
        for (int i = 0; i < 6; i++) {
            double n = nodes[i];
            double ring = ring_ms(n, bytes, links[l], alpha_us);
            double first = ring_ms(n, bytes - last_bytes, links[l], alpha_us);
            double last = ring_ms(n, last_bytes, links[l], alpha_us);
            double agree = ceil(log2(n)) * alpha_us * 1e-3;
            double hidden = 0.9 * backward_ms;
            double plain = step_ms + agree + ring;
            double overlapped = step_ms + agree + last + (first > hidden ? first - hidden : 0.0);
            double steps = ceil(samples / (n * 32.0));
            printf("%6.0f %12.3f %12.3f %13.1f%% %13.1f%% %12.2f %12.2f\n", n, ring, agree, 100 * step_ms / plain,
                   100 * step_ms / overlapped, steps * plain / 1e3, steps * overlapped / 1e3);
        }
    }
}

int main(int argc, char **argv)
{
    /* The overlap runs need MPI_THREAD_MULTIPLE for libdeep-mpi's progress thread; the
     * other measurements keep MPI's single-threaded default. */
    int provided = 0;
    if (argc > 1 && strcmp(argv[1], "overlap") == 0)
        MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    else
        MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *mode = argc > 1 ? argv[1] : "sizes";
    if (strcmp(mode, "sizes") == 0)
        sizes();
    else if (strcmp(mode, "step") == 0)
        step(argc > 2 ? atoi(argv[2]) : 1, argc > 3 ? atoll(argv[3]) : 32);
    else if (strcmp(mode, "fit") == 0)
        fit(argc > 2 ? atoll(argv[2]) : 32);
    else if (strcmp(mode, "overlap") == 0)
        overlap(argc > 2 ? atoll(argv[2]) : 32, argc > 3 ? atoll(argv[3]) : 1 << 18, argc > 4 ? atoll(argv[4]) : 40,
                argc > 5 ? atoi(argv[5]) : 5);
    else if (strcmp(mode, "project") == 0 && argc >= 5 && rank == 0)
        project(atof(argv[2]), atof(argv[3]), atof(argv[4]), argc > 5 ? atof(argv[5]) : 25.0,
                argc > 6 ? atof(argv[6]) : 75264.0);
    else if (rank == 0)
        fprintf(stderr, "usage: see the comment at the top of bench/mpi_allreduce.c\n");
    MPI_Finalize();
    return 0;
}
