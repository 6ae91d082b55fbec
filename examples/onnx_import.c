/* onnx_import: runs a model trained elsewhere. Loads an ONNX file (torch.onnx.export's, for
 * example), prints libdeep's summary of it and, with --data, predicts the Fashion-MNIST test
 * images and prints the accuracy.
 *
 * Usage: onnx_import MODEL.onnx [--data DIR] [--limit N]
 *   DIR holds t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (Debian's
 *   dataset-fashion-mnist: /usr/share/datasets/fashion-mnist). The images are given to the
 *   model as (28, 28, 1) with pixels scaled to [0, 1], what a PyTorch model trained on
 *   torchvision's ToTensor() expects; a one-channel image is the same in PyTorch's NCHW
 *   and libdeep's NHWC order, so no conversion is needed. --limit predicts the first N.
 *
 * A model to try: bindings/python/examples/torch_to_libdeep.py trains the seed CNN in
 * PyTorch and writes it as ONNX (docs/onnx.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <deep.h>

#define CHECK(call)                                                                          \
    do {                                                                                     \
        deep_status check_status_ = (call);                                                  \
        if (check_status_ != DEEP_OK) {                                                      \
            fprintf(stderr, "%s: %s\n", deep_status_string(check_status_), deep_last_error()); \
            goto done;                                                                       \
        }                                                                                    \
    } while (0)

int main(int argc, char **argv)
{
    const char *path = NULL, *dir = NULL;
    long long limit = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = atoll(argv[++i]);
        else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (path == NULL) {
        fprintf(stderr, "usage: %s MODEL.onnx [--data DIR] [--limit N]\n", argv[0]);
        return 2;
    }
    int result = 1;
    deep_model *model = NULL;
    deep_dataset *test = NULL;
    deep_tensor *x = NULL, *y = NULL;
    int32_t *labels = NULL;
    char *summary = NULL;
    int64_t needed = 0;

    CHECK(deep_model_load_onnx(path, &model));
    CHECK(deep_model_summary(model, NULL, 0, &needed));
    summary = malloc((size_t)needed);
    if (summary == NULL)
        goto done;
    CHECK(deep_model_summary(model, summary, needed, &needed));
    fputs(summary, stdout);
    if (dir == NULL) {
        result = 0;
        goto done;
    }

    char images[1024], label_file[1024];
    snprintf(images, sizeof images, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(label_file, sizeof label_file, "%s/t10k-labels-idx1-ubyte.gz", dir);
    CHECK(deep_dataset_load_idx(images, label_file, &test));
    CHECK(deep_dataset_reshape(test, 3, (const int64_t[]){28, 28, 1}));
    CHECK(deep_dataset_scale(test, 1.0 / 255.0, 0.0));
    int64_t count = 0;
    CHECK(deep_dataset_count(test, &count));
    if (limit > 0 && limit < count)
        count = limit;
    CHECK(deep_dataset_batch(test, 0, count, &x, NULL));
    labels = malloc((size_t)count * sizeof *labels + sizeof *labels);
    int64_t all = 0;
    CHECK(deep_dataset_labels(test, NULL, 0, &all));
    int32_t *every = realloc(labels, (size_t)all * sizeof *labels);
    if (every == NULL)
        goto done;
    labels = every;
    CHECK(deep_dataset_labels(test, labels, all, &all));
    CHECK(deep_model_predict(model, x, &y));
    const float *p = NULL;
    int64_t size = 0;
    CHECK(deep_tensor_data(y, &p));
    CHECK(deep_tensor_size(y, &size));
    int64_t classes = size / count, right = 0;
    for (int64_t i = 0; i < count; i++) {
        int64_t best = 0;
        for (int64_t c = 1; c < classes; c++)
            if (p[i * classes + c] > p[i * classes + best])
                best = c;
        right += best == labels[i];
    }
    printf("accuracy on %lld Fashion-MNIST test images: %.4f\n", (long long)count, (double)right / (double)count);
    result = 0;
done:
    free(summary);
    free(labels);
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_dataset_free(test);
    deep_model_free(model);
    return result;
}
