/* mlp_fashion_bench: times libdeep on the seed MLP workflow, for comparison with
 * bench/mlp_fashion_torch.py (run both through bench/run-mlp-bench.sh).
 *
 *   Sequential([Dense(256, relu), Dense(128, relu), Dense(10, softmax)])
 *   Adam(lr 1e-3, eps 1e-7), categorical cross-entropy, batch 128, shuffled every epoch.
 *
 * Timed (CLOCK_MONOTONIC wall clock): one training epoch (the shuffle plus the
 * forward/backward/update loop; data loading is excluded), then one evaluate pass over
 * the 10000 test images in batches of 128. Nothing is warmed up first, on either side.
 *
 * Usage: mlp_fashion_bench [THREADS [DATA_DIR [TRAIN_SAMPLES]]]
 *   THREADS        DEEP_MODEL_THREADS (default 2); set OPENBLAS_NUM_THREADS to match
 *   DATA_DIR       default /usr/share/datasets/fashion-mnist
 *   TRAIN_SAMPLES  train on the first N samples only (default all; for profiling runs)
 *
 * Prints one machine-readable line:
 *   libdeep epoch_seconds=X eval_seconds=Y test_accuracy=Z peak_rss_mb=M
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <deep.h>

#define BATCH_SIZE 128

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        deep_status status_ = (call);                                                                \
        if (status_ != DEEP_OK) {                                                                    \
            fprintf(stderr, "mlp_fashion_bench: %s: %s (%s)\n", #call, deep_last_error(),           \
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

/* Loads one split as the example does: 784 features in [0, 1] and one-hot targets. */
static deep_status load_split(const char *dir, const char *prefix, deep_dataset **out)
{
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_status status = deep_dataset_load_idx(images, labels, out);
    const int64_t flat[] = {784};
    if (status == DEEP_OK)
        status = deep_dataset_reshape(*out, 1, flat);
    if (status == DEEP_OK)
        status = deep_dataset_scale(*out, 1.0f / 255.0f, 0.0f);
    if (status == DEEP_OK)
        status = deep_dataset_to_categorical(*out);
    return status;
}

/* The first `count` samples of src as a new dataset (features and one-hot targets). */
static deep_status head(const deep_dataset *src, int64_t count, deep_dataset **out)
{
    deep_tensor *features = NULL, *targets = NULL;
    const float *x = NULL, *y = NULL;
    int64_t shape[DEEP_MAX_RANK], width = 0;
    int32_t rank = 0;
    deep_status status = deep_dataset_batch(src, 0, count, &features, &targets);
    if (status == DEEP_OK)
        status = deep_dataset_sample_shape(src, shape, DEEP_MAX_RANK, &rank);
    if (status == DEEP_OK)
        status = deep_dataset_target_width(src, &width);
    if (status == DEEP_OK)
        status = deep_tensor_data(features, &x);
    if (status == DEEP_OK)
        status = deep_tensor_data(targets, &y);
    if (status == DEEP_OK)
        status = deep_dataset_new(count, rank, shape, x, out);
    if (status == DEEP_OK)
        status = deep_dataset_set_targets(*out, y, count, width);
    deep_tensor_free(features);
    deep_tensor_free(targets);
    return status;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    const char *dir = argc > 2 ? argv[2] : "/usr/share/datasets/fashion-mnist";
    long long train_samples = argc > 3 ? atoll(argv[3]) : 0;
    int exit_code = 1;
    deep_dataset *train = NULL, *test = NULL;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;

    if (threads < 0) {
        fprintf(stderr, "usage: mlp_fashion_bench [THREADS [DATA_DIR [TRAIN_SAMPLES]]]\n");
        return 2;
    }

    CHECK(load_split(dir, "train", &train));
    CHECK(load_split(dir, "t10k", &test));
    if (train_samples > 0) {
        int64_t count = 0;
        CHECK(deep_dataset_count(train, &count));
        if (train_samples < count) {
            deep_dataset *part = NULL;
            CHECK(head(train, (int64_t)train_samples, &part));
            deep_dataset_free(train);
            train = part;
        }
    }

    const int64_t input_shape[] = {784};
    CHECK(deep_model_new(1, input_shape, &model));
    CHECK(deep_model_set_seed(model, 42));
    CHECK(deep_model_add_dense(model, 256, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_dense(model, 128, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_dense(model, 10, DEEP_ACTIVATION_SOFTMAX, 1));
    CHECK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    CHECK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    CHECK(deep_model_set_int(model, DEEP_MODEL_SHUFFLE, 1));

    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    CHECK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 1e-3f));
    CHECK(deep_optimizer_set_float(adam, DEEP_OPT_EPSILON, 1e-7f));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    deep_status compiled = deep_model_compile(model, adam, DEEP_LOSS_CATEGORICAL_CROSSENTROPY, metrics, 1);
    adam = NULL; /* the model owns it now, even if compile failed */
    CHECK(compiled);

    double start = seconds_now();
    CHECK(deep_model_fit(model, train, 1, BATCH_SIZE, NULL));
    double epoch_seconds = seconds_now() - start;

    double results[2] = {0.0, 0.0};
    start = seconds_now();
    CHECK(deep_model_evaluate(model, test, BATCH_SIZE, results, 2));
    double eval_seconds = seconds_now() - start;

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    /* ru_maxrss is in kilobytes on Linux. */
    printf("libdeep epoch_seconds=%.4f eval_seconds=%.4f test_accuracy=%.4f peak_rss_mb=%.1f\n", epoch_seconds,
           eval_seconds, results[1], (double)usage.ru_maxrss / 1024.0);
    exit_code = 0;
done:
    deep_optimizer_free(adam);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return exit_code;
}
