/* autoencoder_fashion: a convolutional autoencoder on Fashion-MNIST, then its encoder, cut
 * from the trained graph, feeding a small classifier.
 *
 *   inputs = Input(shape=(28, 28, 1))
 *   x = MaxPooling2D(2)(Conv2D(16, 3, padding='same', activation='relu')(inputs))   # 14 x 14 x 16
 *   x = MaxPooling2D(2)(Conv2D(8, 3, padding='same', activation='relu')(x))         # 7 x 7 x 8
 *   code = Dense(32, activation='relu')(Flatten()(x))                               # the code
 *   x = Reshape((7, 7, 8))(Dense(392, activation='relu')(code))
 *   x = Conv2D(16, 3, padding='same', activation='relu')(UpSampling2D(2)(x))        # 14 x 14 x 16
 *   outputs = Conv2D(1, 3, padding='same', activation='sigmoid')(UpSampling2D(2)(x))
 *   autoencoder = Model(inputs, outputs)
 *   autoencoder.compile(optimizer='adam', loss='binary_crossentropy')
 *   autoencoder.fit(x_train, x_train, epochs=3, batch_size=64)
 *   encoder = Model(inputs, code)               # shares the trained weights
 *   head = Sequential([Input((32,)), Dense(64, activation='relu'), Dense(10, activation='softmax')])
 *   head.fit(encoder.predict(x_train), y_train, epochs=5)
 *
 * Prints the test reconstruction mean squared error, the classifier's test accuracy on the
 * codes, and writes autoencoder.pgm: ten test images (top row) over their reconstructions.
 *
 * Usage: autoencoder_fashion [DATA_DIR [EPOCHS [SEED]]]   (default /usr/share/datasets/fashion-mnist, 3, 42)
 */
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

/* One split with pixels in [0, 1] as (28, 28, 1) images, its labels, and the pixels again as
 * the targets (the autoencoder reproduces its input). */
static deep_status load_split(const char *dir, const char *prefix, deep_dataset **out)
{
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_tensor *pixels = NULL;
    const float *data = NULL;
    int64_t count = 0;
    deep_status status = deep_dataset_load_idx(images, labels, out);
    if (status == DEEP_OK)
        status = deep_dataset_reshape(*out, 3, (const int64_t[]){28, 28, 1});
    if (status == DEEP_OK)
        status = deep_dataset_scale(*out, (float)(1.0 / 255.0), 0.0f);
    if (status == DEEP_OK)
        status = deep_dataset_features(*out, &pixels);
    if (status == DEEP_OK)
        status = deep_tensor_data(pixels, &data);
    if (status == DEEP_OK)
        status = deep_dataset_count(*out, &count);
    if (status == DEEP_OK)
        status = deep_dataset_set_targets(*out, data, count, PIXELS);
    deep_tensor_free(pixels);
    return status;
}

/* Adds a layer on node `from` (connect, then the add call) and returns its node. */
#define ON(model, from, add_call, node)                       \
    do {                                                      \
        int32_t from_ = (from);                               \
        CHECK(deep_model_connect((model), &from_, 1));        \
        CHECK(add_call);                                      \
        CHECK(deep_model_last_node((model), (node)));         \
    } while (0)

/* Writes `count` images (top row) over their reconstructions as a binary PGM. */
static int write_grid(const char *path, const float *images, const float *reconstructions, int count)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    fprintf(f, "P5\n%d %d\n255\n", 28 * count, 56);
    for (int row = 0; row < 56; row++)
        for (int i = 0; i < count; i++)
            for (int col = 0; col < 28; col++) {
                const float *source = row < 28 ? images : reconstructions;
                float v = source[(size_t)i * PIXELS + (size_t)(row % 28) * 28 + (size_t)col];
                fputc((int)(v < 0 ? 0 : v > 1 ? 255 : v * 255.0f + 0.5f), f);
            }
    return fclose(f);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 3;
    unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    int exit_code = 1;
    deep_dataset *train = NULL, *test = NULL, *train_codes = NULL, *test_codes = NULL;
    deep_model *autoencoder = NULL, *encoder = NULL, *head = NULL;
    deep_optimizer *adam = NULL;
    deep_tensor *test_pixels = NULL, *reconstructed = NULL, *codes[2] = {NULL, NULL}, *train_pixels = NULL;
    int32_t *labels = NULL;

    CHECK(load_split(dir, "train", &train));
    CHECK(load_split(dir, "t10k", &test));

    /* The autoencoder, node by node. */
    int32_t x, code, output;
    CHECK(deep_model_new(3, (const int64_t[]){28, 28, 1}, &autoencoder));
    CHECK(deep_model_set_seed(autoencoder, seed));
    ON(autoencoder, 0,
       deep_model_add_conv2d(autoencoder, 16, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1), &x);
    CHECK(deep_model_add_max_pooling2d(autoencoder, 2, 2, 0, 0, DEEP_PADDING_VALID));
    CHECK(deep_model_add_conv2d(autoencoder, 8, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_max_pooling2d(autoencoder, 2, 2, 0, 0, DEEP_PADDING_VALID));
    CHECK(deep_model_add_flatten(autoencoder));
    CHECK(deep_model_add_dense(autoencoder, 32, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_last_node(autoencoder, &code));
    CHECK(deep_model_add_dense(autoencoder, 7 * 7 * 8, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_reshape(autoencoder, 3, (const int64_t[]){7, 7, 8}));
    CHECK(deep_model_add_up_sampling2d(autoencoder, 2, 2, DEEP_INTERPOLATION_NEAREST));
    CHECK(deep_model_add_conv2d(autoencoder, 16, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_up_sampling2d(autoencoder, 2, 2, DEEP_INTERPOLATION_NEAREST));
    CHECK(deep_model_add_conv2d(autoencoder, 1, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_SIGMOID, 1));
    CHECK(deep_model_last_node(autoencoder, &output));
    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    deep_status compiled = deep_model_compile(autoencoder, adam, DEEP_LOSS_BINARY_CROSSENTROPY, NULL, 0);
    adam = NULL; /* the model owns it now */
    CHECK(compiled);
    CHECK(deep_model_set_log(autoencoder, deep_log_console, NULL));
    CHECK(deep_model_fit(autoencoder, train, epochs, 64, NULL));

    /* Reconstruction error on the test images. */
    int64_t tests = 0;
    const float *pixels = NULL, *predicted = NULL;
    CHECK(deep_dataset_count(test, &tests));
    CHECK(deep_dataset_features(test, &test_pixels));
    CHECK(deep_model_predict(autoencoder, test_pixels, &reconstructed));
    CHECK(deep_tensor_data(test_pixels, &pixels));
    CHECK(deep_tensor_data(reconstructed, &predicted));
    double squared = 0;
    for (int64_t i = 0; i < tests * PIXELS; i++)
        squared += (double)(predicted[i] - pixels[i]) * (predicted[i] - pixels[i]);
    printf("test reconstruction MSE: %.5f\n", squared / (double)(tests * PIXELS));
    if (write_grid("autoencoder.pgm", pixels, predicted, 10) == 0)
        printf("wrote autoencoder.pgm (originals over reconstructions)\n");

    /* The encoder: the part of the trained graph from the input to the code, sharing its
     * weights; its codes train a small classifier. */
    CHECK(deep_model_submodel(autoencoder, (const int32_t[]){0}, 1, &code, 1, &encoder));
    deep_dataset *splits[2] = {train, test}, **code_sets[2] = {&train_codes, &test_codes};
    for (int s = 0; s < 2; s++) {
        int64_t n = 0, needed = 0;
        const float *values = NULL;
        CHECK(deep_dataset_count(splits[s], &n));
        CHECK(deep_dataset_features(splits[s], &train_pixels));
        CHECK(deep_model_predict(encoder, train_pixels, &codes[s]));
        deep_tensor_free(train_pixels);
        train_pixels = NULL;
        CHECK(deep_tensor_data(codes[s], &values));
        CHECK(deep_dataset_new(n, 1, (const int64_t[]){32}, values, code_sets[s]));
        free(labels);
        labels = malloc((size_t)n * sizeof *labels);
        if (labels == NULL)
            goto done;
        CHECK(deep_dataset_labels(splits[s], labels, n, &needed));
        CHECK(deep_dataset_set_labels(*code_sets[s], labels, n, 10));
    }
    CHECK(deep_dataset_standardize(test_codes, train_codes)); /* with the training codes' statistics */
    CHECK(deep_dataset_standardize(train_codes, NULL));
    CHECK(deep_model_new(1, (const int64_t[]){32}, &head));
    CHECK(deep_model_set_seed(head, seed));
    CHECK(deep_model_add_dense(head, 64, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_dense(head, 10, DEEP_ACTIVATION_SOFTMAX, 1));
    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    const deep_metric accuracy[] = {DEEP_METRIC_ACCURACY};
    compiled = deep_model_compile(head, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, accuracy, 1);
    adam = NULL;
    CHECK(compiled);
    CHECK(deep_model_set_int(head, DEEP_MODEL_VERBOSE, 0));
    CHECK(deep_model_fit(head, train_codes, 5, 64, NULL));
    double results[2];
    int64_t needed = 0;
    CHECK(deep_model_evaluate(head, test_codes, 256, results, 2, &needed));
    printf("classifier on the 32-value codes: test accuracy %.4f\n", results[1]);
    exit_code = 0;
done:
    free(labels);
    deep_optimizer_free(adam);
    deep_tensor_free(test_pixels);
    deep_tensor_free(reconstructed);
    deep_tensor_free(train_pixels);
    deep_tensor_free(codes[0]);
    deep_tensor_free(codes[1]);
    deep_model_free(head);
    deep_model_free(encoder);
    deep_model_free(autoencoder);
    deep_dataset_free(train_codes);
    deep_dataset_free(test_codes);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return exit_code;
}
