/* libFuzzer target for the model file loader (libdeep/io/). Each input is loaded twice
 * with deep_model_load_buffer: as it is, and with its "libdeep.checksum" recomputed (when
 * the key is there), so that the fuzzer also gets past the checksum into the header and
 * model checks. A model that loads must predict on zeros (when compiled), save again, and
 * load back from its own bytes. tests/fuzz/run-fuzz.sh seeds the corpus with the golden
 * files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "graph/model.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_model_load: %s (last error: \"%s\")\n", what, deep_last_error());
        abort();
    }
}

static void exercise(deep_model *model)
{
    if (model->compiled && model->layer_count > 0 && model->in_size <= 4096) {
        int64_t shape[DEEP_MAX_RANK] = {2};
        memcpy(shape + 1, model->in_shape, (size_t)model->in_rank * sizeof *shape);
        deep_tensor *x = NULL, *y = NULL;
        require(deep_tensor_new(model->in_rank + 1, shape, &x) == DEEP_OK, "deep_tensor_new");
        deep_status s = deep_model_predict(model, x, &y);
        require(s == DEEP_OK || s == DEEP_ERR_NO_MEMORY || s == DEEP_ERR_SHAPE, "deep_model_predict");
        deep_tensor_free(x);
        deep_tensor_free(y);
    }
    int64_t needed = 0;
    deep_status s = deep_model_save_buffer(model, NULL, 0, &needed);
    if (s == DEEP_ERR_NO_MEMORY)
        return;
    require(s == DEEP_OK && needed > 0, "deep_model_save_buffer size query");
    unsigned char *bytes = malloc((size_t)needed);
    require(bytes != NULL, "out of memory");
    require(deep_model_save_buffer(model, bytes, needed, &needed) == DEEP_OK, "deep_model_save_buffer");
    deep_model *again = NULL;
    require(deep_model_load_buffer(bytes, needed, &again) == DEEP_OK, "reloading a saved model");
    require(again->layer_count == model->layer_count && again->compiled == model->compiled, "reloaded model");
    deep_model_free(again);
    free(bytes);
}

static void load(const unsigned char *data, size_t size)
{
    deep_clear_error();
    deep_model *model = (deep_model *)&model;
    if (deep_model_load_buffer(data, (int64_t)size, &model) == DEEP_OK) {
        require(model != NULL, "DEEP_OK without a model");
        exercise(model);
        deep_model_free(model);
    } else {
        require(model == NULL, "*out is not NULL after a failed load");
        require(strncmp(deep_last_error(), "deep_model_load_buffer: ", 24) == 0, "message does not name the loader");
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    load(data, size);
    static const char key[] = "\"libdeep.checksum\": \"";
    const size_t n = sizeof key - 1;
    for (size_t i = 0; i + n + 8 <= size; i++)
        if (memcmp(data + i, key, n) == 0) {
            unsigned char *copy = malloc(size);
            require(copy != NULL, "out of memory");
            memcpy(copy, data, size);
            size_t skip = i + n;
            uLong crc = crc32(crc32(0L, Z_NULL, 0), copy, (uInt)skip);
            crc = crc32(crc, copy + skip + 8, (uInt)(size - skip - 8));
            char hex[9];
            snprintf(hex, sizeof hex, "%08lx", crc);
            memcpy(copy + skip, hex, 8);
            load(copy, size);
            free(copy);
            break;
        }
    return 0;
}
