/* checkpoint_fashion: training that survives a crash, and a model file that outlives the
 * process. An MLP on Fashion-MNIST writes a checkpoint after every epoch; run it again
 * after interrupting it (Ctrl-C) and it continues from the last finished epoch, ending
 * with the same weights as an uninterrupted run. At the end it saves the model, loads it
 * back and evaluates both: the same test accuracy.
 *
 * Usage: checkpoint_fashion [DATA_DIR [CHECKPOINT [EPOCHS]]]
 *        (defaults /usr/share/datasets/fashion-mnist, fashion.ckpt, 5)
 * The final model goes to CHECKPOINT.final.safetensors; the checkpoint is removed. */
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
    return status;
}

/* A new model, or the checkpoint of an interrupted run when there is one. */
static deep_status start(const char *checkpoint, deep_model **out)
{
    FILE *f = fopen(checkpoint, "rb");
    if (f != NULL) {
        fclose(f);
        deep_status status = deep_model_load(checkpoint, out);
        int64_t epoch = 0;
        if (status == DEEP_OK)
            status = deep_model_get_int(*out, DEEP_MODEL_INITIAL_EPOCH, &epoch);
        if (status == DEEP_OK)
            printf("resuming from %s after epoch %lld\n", checkpoint, (long long)epoch);
        return status;
    }
    deep_model *model = NULL;
    const int64_t input_shape[] = {784};
    deep_status status = deep_model_new(1, input_shape, &model);
    if (status == DEEP_OK)
        status = deep_model_set_seed(model, 42);
    if (status == DEEP_OK)
        status = deep_model_add_dense(model, 128, DEEP_ACTIVATION_RELU, 1);
    if (status == DEEP_OK)
        status = deep_model_add_dropout(model, 0.2);
    if (status == DEEP_OK)
        status = deep_model_add_dense(model, 10, DEEP_ACTIVATION_SOFTMAX, 1);
    deep_optimizer *adam = NULL;
    if (status == DEEP_OK)
        status = deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam);
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    if (status == DEEP_OK)
        status = deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1);
    if (status != DEEP_OK) {
        deep_model_free(model);
        return status;
    }
    *out = model;
    return DEEP_OK;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    const char *checkpoint = argc > 2 ? argv[2] : "fashion.ckpt";
    int epochs = argc > 3 ? atoi(argv[3]) : 5;
    int exit_code = 1;
    char final[1100];
    snprintf(final, sizeof final, "%s.final.safetensors", checkpoint);
    deep_dataset *train = NULL, *test = NULL;
    deep_model *model = NULL, *loaded = NULL;

    CHECK(load_split(dir, "train", &train));
    CHECK(load_split(dir, "t10k", &test));
    CHECK(start(checkpoint, &model));
    /* Callbacks and checkpoint settings are not saved: set them on every start. */
    CHECK(deep_model_set_log(model, deep_log_console, NULL));
    CHECK(deep_model_set_string(model, DEEP_MODEL_CHECKPOINT_PATH, checkpoint));
    CHECK(deep_model_set_int(model, DEEP_MODEL_CHECKPOINT_PERIOD, 1));
    CHECK(deep_model_fit(model, train, epochs, 128, NULL));

    CHECK(deep_model_save(model, final));
    CHECK(deep_model_load(final, &loaded));
    double a[2], b[2]; /* the loss and the one metric compiled */
    int64_t needed;
    CHECK(deep_model_evaluate(model, test, 256, a, 2, &needed));
    CHECK(deep_model_evaluate(loaded, test, 256, b, 2, &needed));
    printf("test accuracy: %.4f (trained), %.4f (loaded from %s)\n", a[1], b[1], final);
    remove(checkpoint);
    exit_code = a[1] == b[1] ? 0 : 1;

done:
    deep_model_free(loaded);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return exit_code;
}
