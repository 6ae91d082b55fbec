/* Fuzz target: ONNX models as raw bytes (deep_model_load_onnx_buffer). A refused input must
 * leave no model and a message naming the function; an accepted one must describe itself
 * and, when its activations are small, predict one sample of zeros. Seeds: the small models
 * of tests/onnx (PyTorch's exports and the hand-made refusals), in corpus/onnx. */
#include "fuzz.h"

#define SMALL (INT64_C(1) << 18) /* elements per node for which a prediction is tried */

static int small_enough(const deep_model *m)
{
    int32_t nodes = 0;
    fuzz_require(deep_model_node_count(m, &nodes) == DEEP_OK, "deep_model_node_count");
    for (int32_t k = 0; k < nodes; k++) {
        int64_t shape[DEEP_MAX_RANK], rank = 0, size = 1;
        fuzz_require(deep_model_node_shape(m, k, shape, DEEP_MAX_RANK, &rank) == DEEP_OK, "deep_model_node_shape");
        for (int64_t d = 0; d < rank; d++) {
            size *= shape[d];
            if (size > SMALL)
                return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    deep_model *m = NULL;
    deep_clear_error();
    deep_status s = deep_model_load_onnx_buffer(size > 0 ? (const void *)data : "", (int64_t)size, &m);
    if (s != DEEP_OK) {
        fuzz_check_failure(m, "deep_model_load_onnx_buffer");
        /* A buffer is never a NULL, an I/O or a threading problem. */
        fuzz_require(s != DEEP_ERR_NULL && s != DEEP_ERR_IO && s != DEEP_ERR_THREAD && s != DEEP_ERR_BUFFER_TOO_SMALL,
                     "an unexpected status");
        return 0;
    }
    fuzz_require(m != NULL, "no model after DEEP_OK");
    int64_t needed = 0;
    fuzz_require(deep_model_summary(m, NULL, 0, &needed) == DEEP_OK && needed > 0, "deep_model_summary");
    int32_t inputs = 0;
    fuzz_require(deep_model_input_nodes(m, NULL, 0, &needed) == DEEP_OK, "deep_model_input_nodes");
    inputs = (int32_t)needed;
    if (inputs == 1 && small_enough(m)) {
        int64_t shape[DEEP_MAX_RANK], rank = 0;
        fuzz_require(deep_model_input_shape(m, shape + 1, DEEP_MAX_RANK - 1, &rank) == DEEP_OK, "input shape");
        shape[0] = 1;
        deep_tensor *x = NULL, *y = NULL;
        fuzz_require(deep_tensor_new((int32_t)rank + 1, shape, &x) == DEEP_OK, "deep_tensor_new");
        fuzz_require(deep_model_set_int(m, DEEP_MODEL_THREADS, 1) == DEEP_OK, "threads");
        s = deep_model_predict(m, x, &y);
        /* Imported weights are finite, so only the arithmetic of extreme values may fail. */
        fuzz_require(s == DEEP_OK || s == DEEP_ERR_NUMERIC, "predict failed on an imported model");
        deep_tensor_free(x);
        deep_tensor_free(y);
    }
    deep_model_free(m);
    return 0;
}
