/* Reading ONNX TensorProtos (initializers, Constant nodes' values) into plain arrays, with
 * every size checked: shared by the importer and the exporter's round-trip checks. Only
 * under DEEP_HAVE_ONNX. Never installed. */
#ifndef DEEP_ONNX_TENSOR_PROTO_H
#define DEEP_ONNX_TENSOR_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "onnx/onnx.pb-c.h"

/* The largest tensor the importer reads (elements), DEEP_MAX_LAYER_SIZE, and its rank. */
#define DEEP_ONNX_MAX_ELEMENTS INT64_C(2147483647)
#define DEEP_ONNX_MAX_RANK 8

/* A tensor's values as float or int64 (whichever its data type is closest to), with its
 * ONNX dims (a scalar has rank 0 and count 1). */
typedef struct deep_onnx_array {
    int32_t rank;
    int64_t dims[DEEP_ONNX_MAX_RANK];
    int64_t count;
    bool is_float;   /* values in f, else in i */
    float *f;
    int64_t *i;
} deep_onnx_array;

/* Reads t into *out (freed with deep_onnx_array_free). FLOAT, DOUBLE (narrowed), INT64,
 * INT32, INT8, UINT8 and BOOL tensors from their typed fields or raw_data (little-endian);
 * external data, strings, float16 and the rest are DEEP_ERR_UNSUPPORTED, a data length
 * that does not match the dims DEEP_ERR_FORMAT; messages start with `what` and name caller. */
deep_status deep_onnx_array_read(const char *caller, const char *what, const Onnx__TensorProto *t,
                                 deep_onnx_array *out);
/* A new array of that shape (zeroed), float or int64. */
deep_status deep_onnx_array_new(const char *caller, int32_t rank, const int64_t *dims, bool is_float,
                                deep_onnx_array *out);
void deep_onnx_array_free(deep_onnx_array *a);
/* Element k as a double or an int64 (converting from the other kind). */
double deep_onnx_array_float(const deep_onnx_array *a, int64_t k);
int64_t deep_onnx_array_int(const deep_onnx_array *a, int64_t k);

#endif
