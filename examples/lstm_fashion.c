/* lstm_fashion: an LSTM reads each Fashion-MNIST image row by row, the Keras workflow in C.
 *
 *   model = Sequential([Input((28, 28)), LSTM(128), Dense(10, softmax)])
 *   model.compile(Adam(), sparse_categorical_crossentropy, metrics=[accuracy])
 *   model.fit(x_train / 255, y_train, epochs=EPOCHS, batch_size=128)
 *   model.evaluate(x_test / 255, y_test)
 *
 * Each 28x28 image is a sequence of 28 time steps (its rows) of 28 features (the pixels of
 * the row); the LSTM's last output goes to the classifier.
 *
 * Usage: lstm_fashion [DATA_DIR [EPOCHS [THREADS]]]
 *   DATA_DIR  default /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist)
 *   EPOCHS    default 15 (test accuracy about 0.89)
 *   THREADS   default 0, one per core
 */
#include <stdio.h>
#include <stdlib.h>

#include <deep.h>

#define CHECK(call)                                                                   \
    do {                                                                              \
        deep_status status_ = (call);                                                 \
        if (status_ != DEEP_OK) {                                                     \
            fprintf(stderr, "error: %s (%s)\n", deep_last_error(), deep_status_string(status_)); \
            goto done;                                                                \
        }                                                                             \
    } while (0)

/* Loads one split; IDX images keep their (28, 28) shape, which is (timesteps, features). */
static deep_status load_split(const char *dir, const char *prefix, deep_dataset **out)
{
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_status status = deep_dataset_load_idx(images, labels, out);
    const int64_t sequence[] = {28, 28};
    if (status == DEEP_OK)
        status = deep_dataset_reshape(*out, 2, sequence);
    if (status == DEEP_OK)
        status = deep_dataset_scale(*out, 1.0f / 255.0f, 0.0f);
    return status;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 15;
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    int exit_code = 1;
    deep_dataset *train = NULL, *test = NULL;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;
    char *summary = NULL;

    CHECK(load_split(dir, "train", &train));
    CHECK(load_split(dir, "t10k", &test));

    const int64_t input_shape[] = {28, 28};
    CHECK(deep_model_new(2, input_shape, &model));
    CHECK(deep_model_set_seed(model, 42));
    CHECK(deep_model_set_int(model, DEEP_MODEL_THREADS, threads));
    CHECK(deep_model_add_lstm(model, 128, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    CHECK(deep_model_add_dense(model, 10, DEEP_ACTIVATION_SOFTMAX, 1));

    int64_t needed = 0;
    CHECK(deep_model_summary(model, NULL, 0, &needed));
    summary = malloc((size_t)needed);
    if (summary == NULL)
        goto done;
    CHECK(deep_model_summary(model, summary, needed, &needed));
    fputs(summary, stdout);

    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    deep_status compiled = deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1);
    adam = NULL; /* the model owns it now, even if compile failed */
    CHECK(compiled);

    CHECK(deep_model_set_log(model, deep_log_console, NULL));
    CHECK(deep_model_fit(model, train, epochs, 128, NULL));

    double results[2]; /* the loss and the one metric compiled */
    CHECK(deep_model_evaluate(model, test, 128, results, 2, &needed));
    printf("test loss: %.4f\n", results[0]);
    printf("test accuracy: %.4f\n", results[1]);
    exit_code = 0;
done:
    free(summary);
    deep_optimizer_free(adam);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return exit_code;
}
