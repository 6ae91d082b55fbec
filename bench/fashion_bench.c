/* fashion_bench: times libdeep on the seed workflows on Fashion-MNIST, for comparison with
 * bench/fashion_torch.py (run both through bench/run-bench.sh).
 *
 *   mlp:  Sequential([Dense(256, relu), Dense(128, relu), Dense(10, softmax)]),
 *         categorical cross-entropy on one-hot labels, batch 128
 *   cnn:  Conv2D(32, 3x3, relu) - MaxPooling2D(2x2) - Conv2D(64, 3x3, relu) -
 *         MaxPooling2D(2x2) - Flatten - Dense(64, relu) - Dense(10, softmax),
 *         sparse categorical cross-entropy, batch 32 (Keras' default)
 *   lstm: LSTM(128) - Dense(10, softmax) on each image as 28 steps of 28 features (its
 *         rows), sparse categorical cross-entropy, batch 128 (examples/lstm_fashion.c)
 *   resnet: the layer graph of examples/resnet_fashion.c (a Conv2D-BatchNorm-ReLU stem,
 *         max pooling, two residual blocks, global average pooling, Dense(10, softmax)),
 *         pixels standardised as there, sparse categorical cross-entropy, batch 64
 *   all:  Adam(lr 1e-3, eps 1e-7), shuffled every epoch, seed 42.
 *
 * Timed (CLOCK_MONOTONIC wall clock): one training epoch (the shuffle plus the
 * forward/backward/update loop; data loading is excluded), then one evaluate pass over
 * the 10000 test images. Nothing is warmed up first, on either side. For the CNN and the
 * LSTM it also reports the matrix-product work of the epoch as GFLOP/s, beside what a
 * plain large cblas_sgemm reaches on this machine with the same BLAS.
 *
 * Memory: the peak RSS of the whole process, and its growth over the RSS once the data are
 * loaded (the high-water mark is reset there through /proc/self/clear_refs, so the
 * temporaries of decompressing the data do not count): what training and evaluating
 * cost beyond the data.
 *
 * Usage: fashion_bench mlp|cnn|lstm|resnet [THREADS [DATA_DIR [TRAIN_SAMPLES]]]
 *   THREADS        DEEP_MODEL_THREADS (default 2); set OPENBLAS_NUM_THREADS to match
 *   DATA_DIR       default /usr/share/datasets/fashion-mnist
 *   TRAIN_SAMPLES  train on the first N samples only (default all; for profiling runs)
 *
 * Prints one machine-readable line:
 *   libdeep epoch_seconds=X eval_seconds=Y test_accuracy=Z peak_rss_mb=M peak_growth_mb=D
 *           [gflops=G sgemm_gflops=S]
 */
#include <cblas.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <deep.h>

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        deep_status status_ = (call);                                                                \
        if (status_ != DEEP_OK) {                                                                    \
            fprintf(stderr, "fashion_bench: %s: %s (%s)\n", #call, deep_last_error(),               \
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

#define PIXEL_MEAN 0.2860 /* of the training pixels on the [0, 1] scale (resnet only) */
#define PIXEL_STD 0.3530

typedef enum workload { MLP, CNN, LSTM, RESNET } workload;

/* Loads one split as the examples do: pixels in [0, 1]; the MLP flattens the images and
 * one-hot encodes the labels, the CNN keeps (28, 28, 1) images and integer labels, the
 * LSTM (28, 28) sequences and integer labels; the ResNet (28, 28, 1) images standardised
 * with the training pixels' mean and deviation, as examples/resnet_fashion.c. */
static deep_status load_split(const char *dir, const char *prefix, workload kind, int64_t keep, deep_dataset **out)
{
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_dataset *all = NULL;
    deep_status status = deep_dataset_load_idx(images, labels, &all);
    int64_t count = 0;
    if (status == DEEP_OK)
        status = deep_dataset_count(all, &count);
    if (status == DEEP_OK && keep > 0 && keep < count) {
        int64_t *first = malloc((size_t)keep * sizeof *first);
        if (first == NULL)
            status = DEEP_ERR_NO_MEMORY;
        for (int64_t i = 0; first != NULL && i < keep; i++)
            first[i] = i;
        if (status == DEEP_OK)
            status = deep_dataset_subset(all, first, keep, out);
        free(first);
        deep_dataset_free(all);
    } else {
        *out = all;
    }
    const int64_t image[] = {28, 28, 1}, flat[] = {784}, sequence[] = {28, 28};
    if (status == DEEP_OK)
        status = kind == CNN || kind == RESNET ? deep_dataset_reshape(*out, 3, image)
                 : kind == LSTM ? deep_dataset_reshape(*out, 2, sequence)
                                : deep_dataset_reshape(*out, 1, flat);
    if (status == DEEP_OK && kind == RESNET)
        status = deep_dataset_scale(*out, (float)(1.0 / (255.0 * PIXEL_STD)), (float)(-PIXEL_MEAN / PIXEL_STD));
    else if (status == DEEP_OK)
        status = deep_dataset_scale(*out, 1.0f / 255.0f, 0.0f);
    if (status == DEEP_OK && kind == MLP)
        status = deep_dataset_to_categorical(*out);
    return status;
}

/* Conv2D (no bias: the normalisation's beta takes its place) and BatchNormalization
 * (Keras' momentum 0.99, epsilon 1e-3) on node `from`, then a ReLU when asked; the last
 * node in *out. As examples/resnet_fashion.c. */
static deep_status conv_bn(deep_model *m, int32_t from, int64_t filters, int64_t kernel, int64_t stride, bool relu,
                           int32_t *out)
{
    deep_status s = deep_model_connect(m, &from, 1);
    if (s == DEEP_OK)
        s = deep_model_add_conv2d(m, filters, kernel, kernel, stride, stride, DEEP_PADDING_SAME,
                                  DEEP_ACTIVATION_LINEAR, 0);
    if (s == DEEP_OK)
        s = deep_model_add_batch_normalization(m, 0.99, 0.001);
    if (s == DEEP_OK && relu)
        s = deep_model_add_activation(m, DEEP_ACTIVATION_RELU);
    return s == DEEP_OK ? deep_model_last_node(m, out) : s;
}

/* One residual block on node *x (a projection shortcut when the shape changes); *x
 * becomes the block's output. */
static deep_status residual_block(deep_model *m, int32_t *x, int64_t in_filters, int64_t filters, int64_t stride)
{
    int32_t y, shortcut = *x;
    deep_status s = conv_bn(m, *x, filters, 3, stride, true, &y);
    if (s == DEEP_OK)
        s = conv_bn(m, y, filters, 3, 1, false, &y);
    if (s == DEEP_OK && (stride != 1 || in_filters != filters))
        s = conv_bn(m, *x, filters, 1, stride, false, &shortcut);
    if (s == DEEP_OK)
        s = deep_model_connect(m, (const int32_t[]){shortcut, y}, 2);
    if (s == DEEP_OK)
        s = deep_model_add_add(m);
    if (s == DEEP_OK)
        s = deep_model_add_activation(m, DEEP_ACTIVATION_RELU);
    return s == DEEP_OK ? deep_model_last_node(m, x) : s;
}

/* The ResNet of examples/resnet_fashion.c, layer for layer. */
static deep_status build_resnet(deep_model *m)
{
    int32_t x;
    deep_status s = conv_bn(m, 0, 32, 3, 1, true, &x);
    if (s == DEEP_OK)
        s = deep_model_add_max_pooling2d(m, 2, 2, 0, 0, DEEP_PADDING_VALID);
    if (s == DEEP_OK)
        s = deep_model_last_node(m, &x);
    if (s == DEEP_OK)
        s = residual_block(m, &x, 32, 32, 1);
    if (s == DEEP_OK)
        s = residual_block(m, &x, 32, 64, 2);
    if (s == DEEP_OK)
        s = deep_model_add_global_average_pooling2d(m);
    return s;
}

static deep_status build_model(workload kind, deep_model **out)
{
    const int64_t image[] = {28, 28, 1}, flat[] = {784}, sequence[] = {28, 28};
    deep_model *m = NULL;
    deep_status s = kind == CNN || kind == RESNET ? deep_model_new(3, image, &m)
                    : kind == LSTM ? deep_model_new(2, sequence, &m)
                                   : deep_model_new(1, flat, &m);
    if (s == DEEP_OK && kind == RESNET) {
        s = build_resnet(m);
    } else if (s == DEEP_OK && kind == LSTM) {
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
    if (s != DEEP_OK) {
        deep_model_free(m);
        m = NULL;
    }
    *out = m;
    return s;
}

/* Multiply-adds of one CNN sample's forward matrix products (conv as im2col GEMM). */
static double cnn_forward_macs(void)
{
    return 26.0 * 26 * 9 * 32 + 11.0 * 11 * 288 * 64 + 1600.0 * 64 + 64.0 * 10;
}

/* GEMM FLOPs of one training sample: forward, the weight gradients (same size) and the
 * input gradients of every layer but the first (whose input needs none). */
static double cnn_train_flops(void)
{
    double forward = cnn_forward_macs(), first = 26.0 * 26 * 9 * 32;
    return 2.0 * (3 * forward - first);
}

/* GEMM FLOPs of one ResNet training sample: the convolutions as im2col GEMMs (stem 28x28
 * from 3x3x1 to 32; block 1 two 14x14 from 3x3x32 to 32; block 2 7x7 from 3x3x32 to 64,
 * 7x7 from 3x3x64 to 64 and the 1x1 shortcut from 32 to 64) and the Dense layer, forward,
 * weight gradients and input gradients but the stem's. BatchNorm, pooling and the adds
 * are not GEMM work. */
static double resnet_train_flops(void)
{
    double first = 28.0 * 28 * 9 * 32;
    double forward = first + 2 * (14.0 * 14 * 288 * 32) + 7.0 * 7 * 288 * 64 + 7.0 * 7 * 576 * 64 + 7.0 * 7 * 32 * 64 +
                     64.0 * 10;
    return 2.0 * (3 * forward - first);
}

/* GEMM FLOPs of one LSTM training sample, 28 steps of 28 features into 128 units: the
 * input projection of every step and the recurrent product of every step but the first
 * (h_0 = 0), forward; backward the same kernel gradients plus dL/dh through the recurrent
 * kernel (no input gradient: it is the first layer); and the Dense layer's three. */
static double lstm_train_flops(void)
{
    double steps = 28, features = 28, units = 128, gates = 4 * units;
    double projection = steps * features * gates, recurrent = (steps - 1) * units * gates;
    return 2.0 * (2 * projection + 3 * recurrent + 3 * units * 10);
}

/* What cblas_sgemm reaches on large square matrices with this BLAS and thread setting. */
static double sgemm_gflops(void)
{
    const int n = 1536;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    if (a == NULL || b == NULL || c == NULL) {
        free(a), free(b), free(c);
        return 0;
    }
    for (int i = 0; i < n * n; i++)
        a[i] = b[i] = (float)(i % 7) * 0.1f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n); /* warm-up */
    int reps = 5;
    double start = seconds_now();
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    double seconds = seconds_now() - start;
    free(a), free(b), free(c);
    return 2.0 * n * n * (double)n * reps / seconds / 1e9;
}

/* A "VmRSS:" or "VmHWM:" field of /proc/self/status in MB, or -1. */
static double status_mb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double mb = -1;
    size_t n = strlen(field);
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, n) == 0)
            mb = atof(line + n) / 1024.0; /* in kB */
    if (f != NULL)
        fclose(f);
    return mb;
}

/* Resets the peak RSS to the current RSS (Linux >= 4.0), and returns the current RSS. */
static double reset_peak_mb(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f != NULL) {
        fputs("5", f);
        fclose(f);
    }
    return status_mb("VmRSS:");
}

int main(int argc, char **argv)
{
    workload kind = argc < 2                     ? (workload)-1
                    : strcmp(argv[1], "mlp") == 0  ? MLP
                    : strcmp(argv[1], "cnn") == 0  ? CNN
                    : strcmp(argv[1], "lstm") == 0 ? LSTM
                    : strcmp(argv[1], "resnet") == 0 ? RESNET
                                                     : (workload)-1;
    if (kind == (workload)-1) {
        fprintf(stderr, "usage: fashion_bench mlp|cnn|lstm|resnet [THREADS [DATA_DIR [TRAIN_SAMPLES]]]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    const char *dir = argc > 3 ? argv[3] : "/usr/share/datasets/fashion-mnist";
    int64_t train_samples = argc > 4 ? atoll(argv[4]) : 0;
    int batch_size = kind == CNN ? 32 : kind == RESNET ? 64 : 128;
    int exit_code = 1;
    deep_dataset *train = NULL, *test = NULL;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;

    CHECK(load_split(dir, "train", kind, train_samples, &train));
    CHECK(load_split(dir, "t10k", kind, 0, &test));
    double loading_peak_mb = status_mb("VmHWM:"), loaded_mb = reset_peak_mb();
    CHECK(build_model(kind, &model));
    CHECK(deep_model_set_seed(model, 42));
    CHECK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    CHECK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));

    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    CHECK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 1e-3f));
    CHECK(deep_optimizer_set_float(adam, DEEP_OPT_EPSILON, 1e-7f));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    deep_loss loss = kind == MLP ? DEEP_LOSS_CATEGORICAL_CROSSENTROPY : DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    deep_status compiled = deep_model_compile(model, adam, loss, metrics, 1);
    adam = NULL; /* the model owns it now, even if compile failed */
    CHECK(compiled);

    int64_t samples = 0;
    CHECK(deep_dataset_count(train, &samples));
    double start = seconds_now();
    CHECK(deep_model_fit(model, train, 1, batch_size, NULL));
    double epoch_seconds = seconds_now() - start;

    double results[2] = {0.0, 0.0}; /* the loss and the one metric compiled */
    int64_t needed;
    start = seconds_now();
    CHECK(deep_model_evaluate(model, test, batch_size, results, 2, &needed));
    double eval_seconds = seconds_now() - start;

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    /* The whole program's peak is the larger of the two high-water marks (the reset may
     * or may not have lowered ru_maxrss too). */
    double peak_mb = status_mb("VmHWM:"), whole_mb = (double)usage.ru_maxrss / 1024.0;
    whole_mb = whole_mb > loading_peak_mb ? whole_mb : loading_peak_mb;
    whole_mb = whole_mb > peak_mb ? whole_mb : peak_mb;
    printf("libdeep epoch_seconds=%.4f eval_seconds=%.4f test_accuracy=%.4f peak_rss_mb=%.1f peak_growth_mb=%.1f",
           epoch_seconds, eval_seconds, results[1], whole_mb, peak_mb - loaded_mb);
    if (kind != MLP)
        printf(" gflops=%.1f sgemm_gflops=%.1f",
               (kind == CNN ? cnn_train_flops() : kind == LSTM ? lstm_train_flops() : resnet_train_flops()) *
                   (double)samples / epoch_seconds / 1e9,
               sgemm_gflops());
    printf("\n");
    exit_code = 0;
done:
    deep_optimizer_free(adam);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return exit_code;
}
