/* What both model-file targets do with an input once it is a complete file: load it from
 * memory and, when it loads, use the model through the public API the way a program
 * would (describe it, read and write back its weights, predict, save), and check that
 * what it saves loads again and saves to the same bytes. */
#ifndef LIBDEEP_FUZZ_MODEL_H
#define LIBDEEP_FUZZ_MODEL_H

#include <zlib.h>

#include "fuzz.h"

/* Predicting is skipped for inputs larger than this many floats per sample, to keep each
 * run short; loading and saving are not. */
#define FUZZ_MAX_SAMPLE 4096

/* Writes the CRC-32 of the file into its "libdeep.checksum" digits (docs/model-format.md);
 * false when it has no such key or the digits were right already. */
static bool fuzz_fix_checksum(unsigned char *file, size_t size)
{
    static const char key[] = "\"libdeep.checksum\": \"";
    const size_t n = sizeof key - 1;
    for (size_t i = 0; i + n + 8 <= size; i++)
        if (memcmp(file + i, key, n) == 0) {
            size_t digits = i + n;
            uLong crc = crc32(crc32(0L, Z_NULL, 0), file, (uInt)digits);
            crc = crc32(crc, file + digits + 8, (uInt)(size - digits - 8));
            char hex[9];
            snprintf(hex, sizeof hex, "%08lx", crc);
            if (memcmp(file + digits, hex, 8) == 0)
                return false;
            memcpy(file + digits, hex, 8);
            return true;
        }
    return false;
}

static unsigned char *fuzz_save(const deep_model *model, int64_t *size)
{
    fuzz_require(deep_model_save_buffer(model, NULL, 0, size) == DEEP_OK && *size > 0,
                 "deep_model_save_buffer size query");
    unsigned char *bytes = malloc((size_t)*size);
    fuzz_require(bytes != NULL, "out of memory");
    fuzz_require(deep_model_save_buffer(model, bytes, *size, size) == DEEP_OK, "deep_model_save_buffer");
    return bytes;
}

/* With several input (or output) nodes, a sample is one row of all their sizes: shape[1]
 * becomes that total and *rank 1. */
static void flatten_nodes(const deep_model *model, bool inputs, int64_t *shape, int64_t *rank)
{
    int32_t nodes[16];
    int64_t count = 0, total = 0;
    fuzz_require((inputs ? deep_model_input_nodes(model, nodes, 16, &count)
                         : deep_model_output_nodes(model, nodes, 16, &count)) == DEEP_OK &&
                     count >= 1,
                 inputs ? "deep_model_input_nodes" : "deep_model_output_nodes");
    if (count == 1)
        return;
    for (int64_t k = 0; k < count; k++) {
        int64_t dims[DEEP_MAX_RANK], r = 0, size = 1;
        fuzz_require(deep_model_node_shape(model, nodes[k], dims, DEEP_MAX_RANK, &r) == DEEP_OK,
                     "deep_model_node_shape");
        for (int64_t d = 0; d < r; d++)
            size *= dims[d];
        total += size;
    }
    shape[1] = total;
    *rank = 1;
}

static void fuzz_predict(const deep_model *model)
{
    int64_t shape[DEEP_MAX_RANK], out_shape[DEEP_MAX_RANK];
    int64_t rank = 0, out_rank = 0;
    int32_t layers = 0;
    fuzz_require(deep_model_input_shape(model, shape + 1, DEEP_MAX_RANK - 1, &rank) == DEEP_OK && rank >= 1,
                 "deep_model_input_shape");
    fuzz_require(deep_model_output_shape(model, out_shape + 1, DEEP_MAX_RANK - 1, &out_rank) == DEEP_OK &&
                     out_rank >= 1,
                 "deep_model_output_shape");
    fuzz_require(deep_model_layer_count(model, &layers) == DEEP_OK, "deep_model_layer_count");
    /* Several inputs (outputs) take (give) rows of all their samples one after the other. */
    flatten_nodes(model, true, shape, &rank);
    flatten_nodes(model, false, out_shape, &out_rank);
    int64_t size = 1;
    for (int32_t i = 1; i <= rank; i++) {
        fuzz_require(shape[i] >= 1, "input dimension below 1");
        size = shape[i] <= FUZZ_MAX_SAMPLE ? size * shape[i] : FUZZ_MAX_SAMPLE + 1;
        if (size > FUZZ_MAX_SAMPLE)
            return;
    }
    shape[0] = out_shape[0] = 2;
    deep_tensor *x = NULL, *y = NULL;
    fuzz_require(deep_tensor_new(rank + 1, shape, &x) == DEEP_OK, "deep_tensor_new");
    deep_status s = deep_model_predict(model, x, &y);
    /* An uncompiled or layerless model cannot predict; anything loadable and compiled can. */
    fuzz_require(s == DEEP_OK || s == DEEP_ERR_STATE || s == DEEP_ERR_NO_MEMORY, "deep_model_predict");
    if (s == DEEP_OK) {
        int64_t got[DEEP_MAX_RANK];
        int32_t got_rank = 0;
        fuzz_require(deep_tensor_rank(y, &got_rank) == DEEP_OK && got_rank == out_rank + 1, "prediction rank");
        fuzz_require(deep_tensor_shape(y, got, DEEP_MAX_RANK, &(int64_t){0}) == DEEP_OK &&
                         memcmp(got, out_shape, (size_t)got_rank * sizeof *got) == 0,
                     "prediction shape differs from deep_model_output_shape");
    }
    deep_tensor_free(x);
    deep_tensor_free(y);
}

/* Every weight reads out and goes back in unchanged. */
static void fuzz_weights(deep_model *model)
{
    int32_t layers = 0;
    fuzz_require(deep_model_layer_count(model, &layers) == DEEP_OK && layers >= 0, "deep_model_layer_count");
    for (int32_t l = 0; l < layers; l++) {
        int32_t count = 0;
        deep_status s = deep_model_weight_count(model, l, &count);
        fuzz_require(s == DEEP_OK, "deep_model_weight_count");
        for (int32_t w = 0; w < count; w++) {
            deep_tensor *t = NULL;
            s = deep_model_get_weight(model, l, w, &t);
            if (s == DEEP_ERR_STATE) /* not compiled: no weights yet */
                break;
            fuzz_require(s == DEEP_OK || s == DEEP_ERR_NO_MEMORY, "deep_model_get_weight");
            if (t != NULL)
                fuzz_require(deep_model_set_weight(model, l, w, t) == DEEP_OK, "deep_model_set_weight");
            deep_tensor_free(t);
        }
    }
}

static void fuzz_exercise_model(deep_model *model)
{
    int64_t needed = 0, parameters = -1;
    fuzz_require(deep_model_parameter_count(model, &parameters) == DEEP_OK && parameters >= 0,
                 "deep_model_parameter_count");
    fuzz_require(deep_model_summary(model, NULL, 0, &needed) == DEEP_OK && needed > 1, "deep_model_summary size");
    char *text = malloc((size_t)needed);
    fuzz_require(text != NULL, "out of memory");
    fuzz_require(deep_model_summary(model, text, needed, &needed) == DEEP_OK && strlen(text) + 1 == (size_t)needed,
                 "deep_model_summary");
    free(text);
    fuzz_weights(model);
    fuzz_predict(model);

    int64_t size = 0, again_size = 0;
    unsigned char *bytes = fuzz_save(model, &size);
    deep_model *again = NULL;
    fuzz_require(deep_model_load_buffer(bytes, size, &again) == DEEP_OK, "a saved model does not load");
    unsigned char *again_bytes = fuzz_save(again, &again_size);
    fuzz_require(again_size == size && memcmp(bytes, again_bytes, (size_t)size) == 0,
                 "save, load, save gives other bytes");
    deep_model_free(again);
    free(bytes);
    free(again_bytes);
}

static void fuzz_load_model(const unsigned char *data, size_t size)
{
    deep_clear_error();
    deep_model *model = (deep_model *)&model; /* must come back NULL on failure */
    if (deep_model_load_buffer(data, (int64_t)size, &model) == DEEP_OK) {
        fuzz_require(model != NULL, "DEEP_OK without a model");
        fuzz_exercise_model(model);
        deep_model_free(model);
    } else {
        fuzz_check_failure(model, "deep_model_load_buffer");
    }
}

#endif
