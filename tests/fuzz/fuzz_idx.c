/* Fuzz target: IDX files, plain and gzip, through deep_dataset_load_idx. The first byte's
 * bits choose: 1 gzip the images file, 2 gzip the labels file, 4 no labels file; the next
 * two bytes (little-endian) say where the images end and the labels begin (past the end:
 * an empty labels file). Unless gzipped by the target, a file is the fuzzer's bytes as
 * they are, so they may themselves be a (broken) gzip stream. A loaded dataset must keep
 * each image byte as its value. */
#include <zlib.h>

#include "fuzz_dataset.h"

/* data as a gzip stream into *out (malloc'd). */
static size_t gzip(const unsigned char *data, size_t size, unsigned char **out)
{
    z_stream z = {0};
    fuzz_require(deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
    size_t capacity = deflateBound(&z, (uLong)size);
    *out = malloc(capacity);
    fuzz_require(*out != NULL, "out of memory");
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)size;
    z.next_out = *out;
    z.avail_out = (uInt)capacity;
    fuzz_require(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

static const char *file(int slot, const unsigned char *data, size_t size, int compress)
{
    if (!compress)
        return fuzz_file(slot, data, size);
    unsigned char *packed;
    size_t n = gzip(data, size, &packed);
    const char *path = fuzz_file(slot, packed, n);
    free(packed);
    return path;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 3)
        return 0;
    int flags = data[0];
    size_t split = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (split > size)
        split = size;
    const char *images = file(0, data, split, flags & 1);
    const char *labels = flags & 4 ? NULL : file(1, data + split, size - split, flags & 2);

    deep_clear_error();
    deep_dataset *d = (deep_dataset *)&d; /* must come back NULL on failure */
    if (deep_dataset_load_idx(images, labels, &d) != DEEP_OK) {
        fuzz_check_failure(d, "deep_dataset_load_idx");
        return 0;
    }
    fuzz_check_dataset(d);
    /* A plain (not gzip) images file ends with the pixels, which the features hold. */
    if (!(flags & 1) && !(split >= 2 && data[0] == 0x1f && data[1] == 0x8b)) {
        deep_tensor *x = NULL;
        const float *values;
        int64_t n = 0;
        fuzz_require(deep_dataset_features(d, &x) == DEEP_OK, "deep_dataset_features");
        fuzz_require(deep_tensor_size(x, &n) == DEEP_OK && (size_t)n <= split, "feature count");
        fuzz_require(deep_tensor_data(x, &values) == DEEP_OK, "deep_tensor_data");
        const unsigned char *pixels = data + split - (size_t)n;
        for (int64_t i = 0; i < n; i++)
            fuzz_require(values[i] == (float)pixels[i], "a feature differs from its byte");
        deep_tensor_free(x);
    }
    deep_dataset_free(d);
    return 0;
}
