/* resnet_fashion: a small residual network on Fashion-MNIST, built as a layer graph.
 *
 *   def block(x, filters, stride):
 *       y = Conv2D(filters, 3, strides=stride, padding='same', use_bias=False)(x)
 *       y = Activation('relu')(BatchNormalization()(y))
 *       y = BatchNormalization()(Conv2D(filters, 3, padding='same', use_bias=False)(y))
 *       if stride != 1 or x.shape[-1] != filters:       # the projection shortcut
 *           x = BatchNormalization()(Conv2D(filters, 1, strides=stride, use_bias=False)(x))
 *       return Activation('relu')(Add()([x, y]))
 *
 *   inputs = Input(shape=(28, 28, 1))
 *   x = Activation('relu')(BatchNormalization()(Conv2D(32, 3, padding='same', use_bias=False)(inputs)))
 *   x = MaxPooling2D(2)(x)                              # 14 x 14 x 32
 *   x = block(x, 32, 1)
 *   x = block(x, 64, 2)                                 # 7 x 7 x 64
 *   outputs = Dense(10, activation='softmax')(GlobalAveragePooling2D()(x))
 *   model = Model(inputs, outputs)
 *   model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
 *   model.fit(x_train, y_train, epochs=8, batch_size=64)  # Adam's step halved before each of the last 3
 *
 * The convolutions before a batch normalisation have no bias (the normalisation's beta
 * takes its place), as in the ResNet paper. Prints the summary, each epoch's time, and
 * the test accuracy.
 *
 * Usage: resnet_fashion [DATA_DIR [EPOCHS [SEED]]]   (default /usr/share/datasets/fashion-mnist, 8, 42)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <deep.h>

#define CHECK(call)                                                                              \
    do {                                                                                         \
        deep_status status_ = (call);                                                            \
        if (status_ != DEEP_OK) {                                                                \
            fprintf(stderr, "error: %s (%s)\n", deep_last_error(), deep_status_string(status_)); \
            goto done;                                                                           \
        }                                                                                        \
    } while (0)

#define PIXEL_MEAN 0.2860 /* of the training pixels on the [0, 1] scale */
#define PIXEL_STD 0.3530

static deep_status load_split(const char *dir, const char *prefix, deep_dataset **out)
{
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_status status = deep_dataset_load_idx(images, labels, out);
    if (status == DEEP_OK)
        status = deep_dataset_reshape(*out, 3, (const int64_t[]){28, 28, 1});
    if (status == DEEP_OK)
        status = deep_dataset_scale(*out, (float)(1.0 / (255.0 * PIXEL_STD)), (float)(-PIXEL_MEAN / PIXEL_STD));
    return status;
}

/* Conv2D (no bias) and BatchNormalization on `from`, with a ReLU when asked; returns the
 * last node in *out. */
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

/* One residual block on node *x, which becomes the block's output. */
static deep_status block(deep_model *m, int32_t *x, int64_t in_filters, int64_t filters, int64_t stride)
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

static deep_status print_summary(const deep_model *model)
{
    int64_t needed = 0;
    deep_status status = deep_model_summary(model, NULL, 0, &needed);
    char *text = status == DEEP_OK ? malloc((size_t)needed) : NULL;
    if (status == DEEP_OK && text == NULL)
        return DEEP_ERR_NO_MEMORY;
    if (status == DEEP_OK)
        status = deep_model_summary(model, text, needed, &needed);
    if (status == DEEP_OK)
        fputs(text, stdout);
    free(text);
    return status;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Times each epoch, and halves Adam's step before each of the last three epochs. */
typedef struct run {
    int32_t epochs;
    double started, total;
    deep_status status;
} run;

static int32_t on_epoch(void *user, deep_model *model, int64_t epoch)
{
    run *r = user;
    double t = now();
    printf("epoch %lld took %.1f s\n", (long long)epoch + 1, t - r->started);
    r->total += t - r->started;
    int64_t next = epoch + 1;
    if (next >= r->epochs - 3 && next < r->epochs) {
        deep_optimizer *optimizer = NULL;
        double rate = 0.0;
        r->status = deep_model_optimizer(model, &optimizer);
        if (r->status == DEEP_OK)
            r->status = deep_optimizer_get_float(optimizer, DEEP_OPT_LEARNING_RATE, &rate);
        if (r->status == DEEP_OK)
            r->status = deep_optimizer_set_float(optimizer, DEEP_OPT_LEARNING_RATE, rate / 2);
    }
    r->started = now(); /* the log line and the schedule are not the next epoch's time */
    return r->status != DEEP_OK;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 8;
    unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    int exit_code = 1;
    deep_dataset *train = NULL, *test = NULL;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;

    CHECK(load_split(dir, "train", &train));
    CHECK(load_split(dir, "t10k", &test));

    int32_t x;
    CHECK(deep_model_new(3, (const int64_t[]){28, 28, 1}, &model));
    CHECK(deep_model_set_seed(model, seed));
    CHECK(conv_bn(model, 0, 32, 3, 1, true, &x));
    CHECK(deep_model_add_max_pooling2d(model, 2, 2, 0, 0, DEEP_PADDING_VALID));
    CHECK(deep_model_last_node(model, &x));
    CHECK(block(model, &x, 32, 32, 1));
    CHECK(block(model, &x, 32, 64, 2));
    CHECK(deep_model_add_global_average_pooling2d(model));
    CHECK(deep_model_add_dense(model, 10, DEEP_ACTIVATION_SOFTMAX, 1));
    CHECK(print_summary(model));

    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    deep_status compiled = deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1);
    adam = NULL; /* the model owns it now, even if compile failed */
    CHECK(compiled);

    CHECK(deep_model_set_log(model, deep_log_console, NULL));
    run r = {epochs, now(), 0.0, DEEP_OK};
    CHECK(deep_model_set_callbacks(model, NULL, on_epoch, &r));
    CHECK(deep_model_fit(model, train, epochs, 64, NULL));
    CHECK(r.status);
    printf("mean time per epoch: %.1f s\n", r.total / epochs);

    double results[2];
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
