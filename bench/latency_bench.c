/* latency_bench: the time of one call at the batch sizes of serving and reinforcement
 * learning, for comparison with bench/latency_torch.py (run both through
 * bench/run-latency.sh, which also runs every case with a competing busy process).
 *
 * Models (the seed workflows' architectures, bench/fashion_bench.c), random inputs:
 *   mlp:  Dense(256, relu) - Dense(128, relu) - Dense(10, softmax) on 784 features
 *   cnn:  Conv2D(32, 3x3, relu) - MaxPooling2D - Conv2D(64, 3x3, relu) - MaxPooling2D -
 *         Flatten - Dense(64, relu) - Dense(10, softmax) on (28, 28, 1) images
 *   lstm: LSTM(128) - Dense(10, softmax) on 28 steps of 28 features
 *   all:  Adam(1e-3, eps 1e-7), sparse categorical cross-entropy, seed 42.
 *
 * Cases, each with the default settings a user gets (DEEP_MODEL_THREADS 0 = all cores,
 * OpenBLAS as configured by the environment):
 *   predict batch B (B = 1, 32, 256, 10000): deep_model_predict on a (B, ...) tensor,
 *     including the result tensor it allocates, as a user calls it;
 *   train batch 32: deep_model_train_on_batch, default threads, then with
 *     DEEP_MODEL_THREADS 1 (threads=1), the single-thread setting the default must beat.
 * Each case is warmed up, then timed call by call for about BUDGET seconds (at least 3
 * calls); the median call is reported (medians resist the spikes of a shared machine).
 * Batch 10000 takes seconds: it is not warmed up again (the smaller batches did) and is
 * timed twice (the mean of the two).
 *
 * The profile: each case also gives its floating-point work (flop=, the matrix products
 * of the forward pass, 2 per multiply-add, elementwise work left out; a training step
 * counts three times the forward pass at its batch: forward, input gradients, weight
 * gradients), and the machine's sgemm ceiling for it: the same products, in blocks of at
 * most 256 samples as libdeep's predict runs them (timed on 256 and scaled for 10000),
 * called directly through the same CBLAS (OpenBLAS) in the same run with 1 and with 2
 * BLAS threads, the median over about BUDGET/4 seconds. The time of the products alone
 * at the better thread count, against PyTorch's whole call, is the lowest ratio libdeep
 * could reach with this BLAS: where it is above 0.5, issue #18's 0.5x cannot be met.
 *
 * Usage: latency_bench mlp|cnn|lstm [BUDGET_SECONDS]
 * Prints one line per case and one per ceiling:
 *   libdeep model=M case=predict batch=B threads=default ms=X calls=N flop=F
 *   sgemm model=M case=predict batch=B threads=T ms=X gflops=G
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <deep.h>

/* OpenBLAS's thread control; weak, so they are NULL with another BLAS (no 2-thread row). */
extern void openblas_set_num_threads(int threads) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        deep_status status_ = (call);                                                                \
        if (status_ != DEEP_OK) {                                                                    \
            fprintf(stderr, "latency_bench: %s: %s (%s)\n", #call, deep_last_error(),               \
                    deep_status_string(status_));                                                    \
            goto done;                                                                               \
        }                                                                                            \
    } while (0)

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef enum workload { MLP, CNN, LSTM } workload;

static deep_status build_model(workload kind, deep_model **out)
{
    const int64_t image[] = {28, 28, 1}, flat[] = {784}, sequence[] = {28, 28};
    deep_model *m = NULL;
    deep_status s = kind == CNN    ? deep_model_new(3, image, &m)
                    : kind == LSTM ? deep_model_new(2, sequence, &m)
                                   : deep_model_new(1, flat, &m);
    if (s == DEEP_OK && kind == LSTM) {
        s = deep_model_add_lstm(m, 128, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0);
    } else if (s == DEEP_OK && kind == CNN) {
        s = deep_model_add_conv2d(m, 32, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1);
        if (s == DEEP_OK)
            s = deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID);
        if (s == DEEP_OK)
            s = deep_model_add_conv2d(m, 64, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1);
        if (s == DEEP_OK)
            s = deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID);
        if (s == DEEP_OK)
            s = deep_model_add_flatten(m);
        if (s == DEEP_OK)
            s = deep_model_add_dense(m, 64, DEEP_ACTIVATION_RELU, 1);
    } else if (s == DEEP_OK) {
        s = deep_model_add_dense(m, 256, DEEP_ACTIVATION_RELU, 1);
        if (s == DEEP_OK)
            s = deep_model_add_dense(m, 128, DEEP_ACTIVATION_RELU, 1);
    }
    if (s == DEEP_OK)
        s = deep_model_add_dense(m, 10, DEEP_ACTIVATION_SOFTMAX, 1);
    if (s == DEEP_OK)
        s = deep_model_set_seed(m, 42);
    deep_optimizer *adam = NULL;
    if (s == DEEP_OK)
        s = deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam);
    if (s == DEEP_OK)
        s = deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 1e-3);
    if (s == DEEP_OK)
        s = deep_optimizer_set_float(adam, DEEP_OPT_EPSILON, 1e-7);
    if (s == DEEP_OK) {
        s = deep_model_compile(m, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
        adam = NULL; /* the model owns it now, even if compile failed */
    }
    deep_optimizer_free(adam);
    if (s != DEEP_OK) {
        deep_model_free(m);
        m = NULL;
    }
    *out = m;
    return s;
}

/* A random batch of n inputs (uniform [0, 1), like scaled pixels) of the model's shape. */
static deep_status random_batch(workload kind, int64_t n, deep_rng *rng, deep_tensor **out)
{
    int64_t shape[4] = {n, 28, 28, 1};
    if (kind == MLP)
        shape[1] = 784;
    int32_t rank = kind == MLP ? 2 : kind == LSTM ? 3 : 4;
    deep_status s = deep_tensor_new(rank, shape, out);
    if (s == DEEP_OK)
        s = deep_tensor_fill_uniform(*out, rng, 0.0, 1.0);
    return s;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define MAX_CALLS 2000

/* The median time of one call of `run`, warmed up first, over about `budget` seconds. */
typedef deep_status (*case_fn)(void *ctx);
static deep_status time_case(case_fn run, void *ctx, double budget, int min_calls, double *median_ms, int *calls)
{
    static double times[MAX_CALLS];
    double warm = seconds_now();
    for (int i = 0; i < 3 && seconds_now() - warm < budget / 2; i++) {
        deep_status s = run(ctx);
        if (s != DEEP_OK)
            return s;
    }
    int n = 0;
    double start = seconds_now();
    while (n < MAX_CALLS && (n < min_calls || seconds_now() - start < budget)) {
        double t0 = seconds_now();
        deep_status s = run(ctx);
        if (s != DEEP_OK)
            return s;
        times[n++] = seconds_now() - t0;
    }
    qsort(times, (size_t)n, sizeof *times, compare_doubles);
    *median_ms = 1e3 * (n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2);
    *calls = n;
    return DEEP_OK;
}

/* The matrix products of one forward pass of b samples: C (m x n) = A (m x k) B (k x n),
 * `repeat` times (an LSTM's recurrent product at each step). */
typedef struct product {
    int64_t m, n, k, repeat;
} product;

static int forward_products(workload kind, int64_t b, product *out)
{
    int count = 0;
    if (kind == MLP) {
        out[count++] = (product){b, 256, 784, 1};
        out[count++] = (product){b, 128, 256, 1};
    } else if (kind == CNN) { /* im2col: a row per output pixel, a column per filter */
        out[count++] = (product){b * 26 * 26, 32, 3 * 3 * 1, 1};
        out[count++] = (product){b * 11 * 11, 64, 3 * 3 * 32, 1};
        out[count++] = (product){b, 64, 5 * 5 * 64, 1};
    } else { /* the input projection of all steps at once, then the recurrent one per step */
        out[count++] = (product){b * 28, 4 * 128, 28, 1};
        out[count++] = (product){b, 4 * 128, 128, 28};
    }
    out[count++] = (product){b, 10, kind == CNN ? 64 : 128, 1}; /* the softmax layer */
    return count;
}

static double forward_flop(workload kind, int64_t b)
{
    product p[8];
    int count = forward_products(kind, b, p);
    double flop = 0;
    for (int i = 0; i < count; i++)
        flop += 2.0 * (double)p[i].m * (double)p[i].n * (double)p[i].k * (double)p[i].repeat;
    return flop;
}

/* Median seconds of one forward pass's products at batch b (b <= 256) with `threads` BLAS
 * threads, over about `budget` seconds; the buffers are filled once and reused. */
static double products_seconds(workload kind, int64_t b, int threads, double budget)
{
    product p[8];
    int count = forward_products(kind, b, p);
    size_t most = 0;
    for (int i = 0; i < count; i++) {
        size_t sizes[3] = {(size_t)(p[i].m * p[i].k), (size_t)(p[i].k * p[i].n), (size_t)(p[i].m * p[i].n)};
        for (int j = 0; j < 3; j++)
            most = sizes[j] > most ? sizes[j] : most;
    }
    float *buf = malloc(3 * most * sizeof *buf);
    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < 3 * most; i++)
        buf[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
    int saved = openblas_get_num_threads != NULL ? openblas_get_num_threads() : 1;
    if (openblas_set_num_threads != NULL)
        openblas_set_num_threads(threads);
    static double times[MAX_CALLS];
    int n = 0;
    double start = seconds_now();
    for (int round = -1; n < MAX_CALLS && (n < 3 || seconds_now() - start < budget); round++) {
        double t0 = seconds_now();
        for (int i = 0; i < count; i++)
            for (int64_t r = 0; r < p[i].repeat; r++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p[i].m, (int)p[i].n, (int)p[i].k, 1.0f,
                            buf, (int)p[i].k, buf + most, (int)p[i].n, 0.0f, buf + 2 * most, (int)p[i].n);
        if (round >= 0) /* the first round warms up */
            times[n++] = seconds_now() - t0;
    }
    if (openblas_set_num_threads != NULL)
        openblas_set_num_threads(saved);
    free(buf);
    qsort(times, (size_t)n, sizeof *times, compare_doubles);
    return n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
}

/* Prints the sgemm ceiling of a case: `passes` forward passes' products at batch b. */
static void print_ceiling(const char *name, workload kind, const char *what, int64_t b, double passes,
                          double budget)
{
    int64_t block = b < 256 ? b : 256;
    for (int threads = 1; threads <= 2; threads++) {
        if (threads == 2 && openblas_set_num_threads == NULL)
            break;
        double seconds = products_seconds(kind, block, threads, budget) * passes * (double)b / (double)block;
        if (seconds <= 0)
            continue;
        printf("sgemm model=%s case=%s batch=%lld threads=%d ms=%.4f gflops=%.1f\n", name, what, (long long)b,
               threads, 1e3 * seconds, passes * forward_flop(kind, b) / seconds * 1e-9);
    }
    fflush(stdout);
}

struct predict_ctx {
    deep_model *model;
    deep_tensor *x;
};

static deep_status predict_once(void *raw)
{
    struct predict_ctx *c = raw;
    deep_tensor *out = NULL;
    deep_status s = deep_model_predict(c->model, c->x, &out);
    deep_tensor_free(out);
    return s;
}

struct train_ctx {
    deep_model *model;
    deep_tensor *x, *y;
};

static deep_status train_once(void *raw)
{
    struct train_ctx *c = raw;
    double loss;
    int64_t needed;
    return deep_model_train_on_batch(c->model, c->x, c->y, &loss, 1, &needed);
}

int main(int argc, char **argv)
{
    workload kind = argc < 2                       ? (workload)-1
                    : strcmp(argv[1], "mlp") == 0  ? MLP
                    : strcmp(argv[1], "cnn") == 0  ? CNN
                    : strcmp(argv[1], "lstm") == 0 ? LSTM
                                                   : (workload)-1;
    if (kind == (workload)-1) {
        fprintf(stderr, "usage: latency_bench mlp|cnn|lstm [BUDGET_SECONDS]\n");
        return 2;
    }
    const char *name = argv[1];
    double budget = argc > 2 ? atof(argv[2]) : 0.3;
    int exit_code = 1;
    deep_model *model = NULL;
    deep_rng *rng = NULL;
    deep_tensor *x = NULL, *y = NULL;
    CHECK(build_model(kind, &model));
    CHECK(deep_rng_new(7, &rng));

    const int64_t batches[] = {1, 32, 256, 10000};
    for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) {
        CHECK(random_batch(kind, batches[i], rng, &x));
        struct predict_ctx ctx = {model, x};
        double ms;
        int calls;
        /* The largest batch takes seconds: warmed up by the smaller ones, timed twice. */
        bool large = batches[i] >= 10000;
        CHECK(time_case(predict_once, &ctx, large ? 0 : budget, large ? 2 : 3, &ms, &calls));
        printf("libdeep model=%s case=predict batch=%lld threads=default ms=%.4f calls=%d flop=%.0f\n", name,
               (long long)batches[i], ms, calls, forward_flop(kind, batches[i]));
        fflush(stdout);
        deep_tensor_free(x);
        x = NULL;
    }

    const int64_t batch = 32, label_shape[] = {batch};
    CHECK(random_batch(kind, batch, rng, &x));
    CHECK(deep_tensor_new(1, label_shape, &y));
    float *labels;
    CHECK(deep_tensor_data_mut(y, &labels));
    for (int64_t i = 0; i < batch; i++)
        labels[i] = (float)(i % 10);
    for (int threads = 0; threads <= 1; threads++) {
        CHECK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
        struct train_ctx ctx = {model, x, y};
        double ms;
        int calls;
        CHECK(time_case(train_once, &ctx, budget, 3, &ms, &calls));
        printf("libdeep model=%s case=train batch=%lld threads=%s ms=%.4f calls=%d flop=%.0f\n", name,
               (long long)batch, threads == 0 ? "default" : "1", ms, calls, 3 * forward_flop(kind, batch));
        fflush(stdout);
    }
    /* The ceilings come last: OpenBLAS's own threads keep spinning for a while after a
     * two-thread product, and took a core from the libdeep cases timed right after. */
    for (size_t i = 0; i < sizeof batches / sizeof *batches; i++)
        print_ceiling(name, kind, "predict", batches[i], 1, budget / 4);
    print_ceiling(name, kind, "train", batch, 3, budget / 4);
    exit_code = 0;
done:
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_rng_free(rng);
    deep_model_free(model);
    return exit_code;
}
