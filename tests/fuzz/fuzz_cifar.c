/* Fuzz target: CIFAR-10 binary batches through deep_dataset_load_cifar10. The first byte
 * says how many files (1 to 3) the rest is cut into, at the offsets in the next two pairs
 * of bytes; a loaded dataset must hold every record's label and its pixels moved from
 * channel planes to channels-last. */
#include "fuzz_dataset.h"

#define RECORD 3073

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 5)
        return 0;
    int files = 1 + data[0] % 3;
    size_t cut[4] = {0, (size_t)data[1] | (size_t)data[2] << 8, (size_t)data[3] | (size_t)data[4] << 8, 0};
    data += 5;
    size -= 5;
    cut[files] = size;
    const char *paths[3];
    for (int i = 0; i < files; i++) {
        if (cut[i + 1] > size)
            cut[i + 1] = size;
        if (cut[i + 1] < cut[i])
            cut[i + 1] = cut[i];
        paths[i] = fuzz_file(i, data + cut[i], cut[i + 1] - cut[i]);
    }

    deep_clear_error();
    deep_dataset *d = (deep_dataset *)&d; /* must come back NULL on failure */
    if (deep_dataset_load_cifar10(paths, files, &d) != DEEP_OK) {
        fuzz_check_failure(d, "deep_dataset_load_cifar10");
        return 0;
    }
    fuzz_check_dataset(d);
    fuzz_require(size % RECORD == 0, "a partial record loaded");
    deep_tensor *x = NULL, *y = NULL;
    const float *pixels, *onehot;
    fuzz_require(deep_dataset_batch(d, 0, 1, &x, &y) == DEEP_OK && deep_tensor_data(x, &pixels) == DEEP_OK &&
                     deep_tensor_data(y, &onehot) == DEEP_OK,
                 "the first sample");
    const unsigned char *record = data; /* the first record: the start of the first nonempty file */
    for (int i = 0; i < files && cut[i + 1] == cut[i]; i++)
        record = data + cut[i + 1];
    fuzz_require(record[0] < 10 && onehot[record[0]] == 1.0f, "the label differs from the record's");
    for (int p = 0; p < 1024; p++)
        for (int c = 0; c < 3; c++)
            fuzz_require(pixels[p * 3 + c] == (float)record[1 + c * 1024 + p], "a pixel moved to the wrong place");
    deep_tensor_free(x);
    deep_tensor_free(y);
    deep_dataset_free(d);
    return 0;
}
