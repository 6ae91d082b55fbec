/* cnn_cifar10: the seed CNN for CIFAR-10 (the TensorFlow tutorial's network).
 *
 *   Conv2D(32, (3, 3), relu, input_shape=(32, 32, 3)), MaxPooling2D((2, 2)),
 *   Conv2D(64, (3, 3), relu), MaxPooling2D((2, 2)),
 *   Conv2D(64, (3, 3), relu), Flatten(), Dense(64, relu), Dense(10, softmax)
 *   compiled with Adam and sparse categorical cross-entropy, 10 epochs at batch 32.
 *
 * Usage: cnn_cifar10 DATA_DIR [EPOCHS]
 * DATA_DIR holds the official binary version: data_batch_1.bin .. data_batch_5.bin and
 * test_batch.bin (the folder "cifar-10-batches-bin" of cifar-10-binary.tar.gz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <deep.h>

#define CHECK(call)                                                                              \
    do {                                                                                         \
        deep_status status_ = (call);                                                            \
        if (status_ != DEEP_OK) {                                                                \
            fprintf(stderr, "error: %s (%s)\n", deep_last_error(), deep_status_string(status_)); \
            goto done;                                                                           \
        }                                                                                        \
    } while (0)

/* Loads batches named in `names` from dir, with pixels scaled to [0, 1]. */
static deep_status load(const char *dir, const char *const *names, int count, deep_dataset **out)
{
    char paths[5][1024];
    const char *list[5];
    for (int i = 0; i < count; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", dir, names[i]);
        list[i] = paths[i];
    }
    deep_status status = deep_dataset_load_cifar10(list, count, out);
    if (status == DEEP_OK)
        status = deep_dataset_scale(*out, 1.0f / 255.0f, 0.0f);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_DIR [EPOCHS]\n"
                        "DATA_DIR: the CIFAR-10 binary version (data_batch_1.bin .. test_batch.bin)\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int epochs = argc > 2 ? atoi(argv[2]) : 10;
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/data_batch_1.bin", dir);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "CIFAR-10 data not found: %s is missing.\n"
                        "Download the binary version (cifar-10-binary.tar.gz), unpack it and pass its\n"
                        "cifar-10-batches-bin folder as DATA_DIR.\n", probe);
        return 2;
    }
    int exit_code = 1;
    deep_dataset *train = NULL, *test = NULL;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;

    const char *train_files[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                                 "data_batch_5.bin"};
    const char *test_files[] = {"test_batch.bin"};
    CHECK(load(dir, train_files, 5, &train));
    CHECK(load(dir, test_files, 1, &test));

    const int64_t input_shape[] = {32, 32, 3};
    CHECK(deep_model_new(3, input_shape, &model));
    CHECK(deep_model_set_seed(model, 42));
    CHECK(deep_model_add_conv2d(model, 32, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_max_pooling2d(model, 2, 2, 0, 0, DEEP_PADDING_VALID));
    CHECK(deep_model_add_conv2d(model, 64, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_max_pooling2d(model, 2, 2, 0, 0, DEEP_PADDING_VALID));
    CHECK(deep_model_add_conv2d(model, 64, 3, 3, 1, 1, DEEP_PADDING_VALID, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_flatten(model));
    CHECK(deep_model_add_dense(model, 64, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_dense(model, 10, DEEP_ACTIVATION_SOFTMAX, 1));

    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    deep_status compiled = deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1);
    adam = NULL; /* the model owns it now, even if compile failed */
    CHECK(compiled);

    CHECK(deep_model_set_log(model, deep_log_console, NULL));
    CHECK(deep_model_fit(model, train, epochs, 32, test));

    double results[2]; /* the loss and the one metric compiled */
    int64_t needed;
    CHECK(deep_model_evaluate(model, test, 256, results, 2, &needed));
    printf("test loss: %.4f\n", results[0]);
    printf("test accuracy: %.4f\n", results[1]);
    exit_code = 0;
done:
    deep_optimizer_free(adam);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return exit_code;
}
