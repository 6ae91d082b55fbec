/* two_inputs: a layer graph with two inputs and two outputs on Fashion-MNIST.
 *
 * Each sample is an image and two "catalogue" numbers (the width and the height of the
 * item's bounding box, measured from the image, as a shop's listing might record them); the
 * model predicts the item's class and a regression target, the fraction of the image the
 * item covers (pixels above one half).
 *
 *   image = Input(shape=(28, 28, 1)); listing = Input(shape=(2,))
 *   x = Flatten()(MaxPooling2D(2)(Conv2D(16, 3, activation='relu')(image)))
 *   x = Dense(64, activation='relu')(x)
 *   y = Dense(16, activation='relu')(listing)
 *   joined = Concatenate()([x, y])
 *   kind = Dense(10, activation='softmax', name='kind')(joined)
 *   cover = Dense(1, name='cover')(joined)
 *   model = Model([image, listing], [kind, cover])
 *   model.compile('adam', loss=['sparse_categorical_crossentropy', 'mse'], loss_weights=[1, 10],
 *                 metrics=['accuracy'])
 *
 * In C a sample of a model with several inputs is their features one after the other
 * (784 pixels, then the two numbers), and its targets every output's targets (the label,
 * then the covered fraction). Prints the test accuracy of the class and the mean absolute
 * error of the fraction, next to that of always predicting the training mean.
 *
 * Usage: two_inputs [DATA_DIR [EPOCHS [SEED]]]   (default /usr/share/datasets/fashion-mnist, 2, 42)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <deep.h>

#define CHECK(call)                                                                              \
    do {                                                                                         \
        deep_status status_ = (call);                                                            \
        if (status_ != DEEP_OK) {                                                                \
            fprintf(stderr, "error: %s (%s)\n", deep_last_error(), deep_status_string(status_)); \
            goto done;                                                                           \
        }                                                                                        \
    } while (0)

#define PIXELS 784
#define ROW (PIXELS + 2) /* a sample: the image, then the listing */

/* A split as rows of (image, listing) and targets (label, covered fraction). */
static deep_status load_split(const char *dir, const char *prefix, deep_dataset **out)
{
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_dataset *raw = NULL;
    deep_tensor *pixels = NULL;
    const float *p = NULL;
    float *rows = NULL, *targets = NULL;
    int32_t *classes = NULL;
    int64_t n = 0, needed = 0;
    deep_status status = deep_dataset_load_idx(images, labels, &raw);
    if (status == DEEP_OK)
        status = deep_dataset_scale(raw, (float)(1.0 / 255.0), 0.0f);
    if (status == DEEP_OK)
        status = deep_dataset_count(raw, &n);
    if (status == DEEP_OK)
        status = deep_dataset_features(raw, &pixels);
    if (status == DEEP_OK)
        status = deep_tensor_data(pixels, &p);
    if (status == DEEP_OK && ((rows = malloc((size_t)n * ROW * sizeof *rows)) == NULL ||
                              (targets = malloc((size_t)n * 2 * sizeof *targets)) == NULL ||
                              (classes = malloc((size_t)n * sizeof *classes)) == NULL))
        status = DEEP_ERR_NO_MEMORY;
    if (status == DEEP_OK)
        status = deep_dataset_labels(raw, classes, n, &needed);
    for (int64_t s = 0; status == DEEP_OK && s < n; s++) {
        const float *image = p + s * PIXELS;
        int top = 28, bottom = -1, left = 28, right = -1, covered = 0;
        for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++) {
                float v = image[r * 28 + c];
                covered += v > 0.5f;
                if (v > 0.1f) {
                    top = r < top ? r : top;
                    bottom = r > bottom ? r : bottom;
                    left = c < left ? c : left;
                    right = c > right ? c : right;
                }
            }
        for (int i = 0; i < PIXELS; i++)
            rows[s * ROW + i] = image[i];
        rows[s * ROW + PIXELS] = bottom >= top ? (float)(right - left + 1) / 28.0f : 0.0f;
        rows[s * ROW + PIXELS + 1] = bottom >= top ? (float)(bottom - top + 1) / 28.0f : 0.0f;
        targets[s * 2] = (float)classes[s];
        targets[s * 2 + 1] = (float)covered / PIXELS;
    }
    if (status == DEEP_OK)
        status = deep_dataset_new(n, 1, (const int64_t[]){ROW}, rows, out);
    if (status == DEEP_OK)
        status = deep_dataset_set_targets(*out, targets, n, 2);
    free(rows);
    free(targets);
    free(classes);
    deep_tensor_free(pixels);
    deep_dataset_free(raw);
    return status;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 2;
    unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    int exit_code = 1;
    deep_dataset *train = NULL, *test = NULL;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;
    deep_tensor *train_targets = NULL, *test_targets = NULL, *x = NULL, *train_x = NULL, *predicted = NULL;

    CHECK(load_split(dir, "train", &train));
    CHECK(load_split(dir, "t10k", &test));

    int32_t image = 0, listing, a, b, joined, kind, cover;
    CHECK(deep_model_new(3, (const int64_t[]){28, 28, 1}, &model));
    CHECK(deep_model_add_input(model, 1, (const int64_t[]){2}, &listing));
    CHECK(deep_model_set_seed(model, seed));
    CHECK(deep_model_connect(model, &image, 1));
    CHECK(deep_model_add_conv2d(model, 16, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_max_pooling2d(model, 2, 2, 0, 0, DEEP_PADDING_VALID));
    CHECK(deep_model_add_flatten(model));
    CHECK(deep_model_add_dense(model, 64, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_last_node(model, &a));
    CHECK(deep_model_connect(model, &listing, 1));
    CHECK(deep_model_add_dense(model, 16, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_last_node(model, &b));
    CHECK(deep_model_connect(model, (const int32_t[]){a, b}, 2));
    CHECK(deep_model_add_concatenate(model, -1));
    CHECK(deep_model_last_node(model, &joined));
    CHECK(deep_model_add_dense(model, 10, DEEP_ACTIVATION_SOFTMAX, 1));
    CHECK(deep_model_last_node(model, &kind));
    CHECK(deep_model_connect(model, &joined, 1));
    CHECK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_LINEAR, 1));
    CHECK(deep_model_last_node(model, &cover));
    CHECK(deep_model_set_outputs(model, (const int32_t[]){kind, cover}, 2));

    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    const deep_loss losses[] = {DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, DEEP_LOSS_MEAN_SQUARED_ERROR};
    const double weights[] = {1.0, 10.0};
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    deep_status compiled = deep_model_compile_outputs(model, adam, losses, weights, 2, metrics, 1);
    adam = NULL; /* the model owns it now */
    CHECK(compiled);
    CHECK(deep_model_set_log(model, deep_log_console, NULL));
    CHECK(deep_model_fit(model, train, epochs, 64, NULL));

    /* evaluate: the total loss, each output's loss, then each output's accuracy. */
    double values[5];
    int64_t needed = 0;
    CHECK(deep_model_evaluate(model, test, 256, values, 5, &needed));
    printf("test loss %.4f (kind %.4f, cover %.5f)\n", values[0], values[1], values[2]);
    printf("test accuracy of the class: %.4f\n", values[3]);

    /* The covered fraction's mean absolute error, from predict's rows (10 class
     * probabilities, then the fraction), against always predicting the training mean. */
    int64_t n = 0, n_train = 0;
    const float *rows = NULL, *truth = NULL, *train_truth = NULL;
    CHECK(deep_dataset_count(test, &n));
    CHECK(deep_dataset_count(train, &n_train));
    CHECK(deep_dataset_batch(test, 0, n, &x, &test_targets));
    CHECK(deep_dataset_batch(train, 0, n_train, &train_x, &train_targets));
    CHECK(deep_model_predict(model, x, &predicted));
    CHECK(deep_tensor_data(predicted, &rows));
    CHECK(deep_tensor_data(test_targets, &truth));
    CHECK(deep_tensor_data(train_targets, &train_truth));
    double mean = 0, error = 0, baseline = 0;
    for (int64_t s = 0; s < n_train; s++)
        mean += train_truth[s * 2 + 1] / (double)n_train;
    for (int64_t s = 0; s < n; s++) {
        error += fabs(rows[s * 11 + 10] - truth[s * 2 + 1]) / (double)n;
        baseline += fabs(mean - truth[s * 2 + 1]) / (double)n;
    }
    printf("covered fraction: test mean absolute error %.4f (predicting the mean: %.4f)\n", error, baseline);
    exit_code = 0;
done:
    deep_optimizer_free(adam);
    deep_tensor_free(train_targets);
    deep_tensor_free(test_targets);
    deep_tensor_free(x);
    deep_tensor_free(train_x);
    deep_tensor_free(predicted);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return exit_code;
}
