/* TensorProto reading: every length checked against the dims before a byte is copied. */
#ifdef DEEP_HAVE_ONNX

#include "onnx/tensor_proto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void deep_onnx_array_free(deep_onnx_array *a)
{
    if (a == NULL)
        return;
    free(a->f);
    free(a->i);
    a->f = NULL;
    a->i = NULL;
    a->count = 0;
}

/* The element count of dims, checked: rank and count within the importer's limits. */
static deep_status element_count(const char *caller, int32_t rank, const int64_t *dims, int64_t *count)
{
    if (rank < 0 || rank > DEEP_ONNX_MAX_RANK)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "a tensor of rank %d (at most %d)", (int)rank,
                              DEEP_ONNX_MAX_RANK);
    *count = 1;
    for (int32_t k = 0; k < rank; k++)
        if (dims[k] < 0 || !deep_mul_i64(*count, dims[k], count) || *count > DEEP_ONNX_MAX_ELEMENTS)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "a tensor's dims are negative or exceed %lld elements",
                                  (long long)DEEP_ONNX_MAX_ELEMENTS);
    return DEEP_OK;
}

deep_status deep_onnx_array_new(const char *caller, int32_t rank, const int64_t *dims, bool is_float,
                                deep_onnx_array *out)
{
    memset(out, 0, sizeof *out);
    int64_t count = 0;
    DEEP_TRY(element_count(caller, rank, dims, &count));
    for (int32_t k = 0; k < rank; k++)
        out->dims[k] = dims[k];
    out->rank = rank;
    out->count = count;
    out->is_float = is_float;
    /* One element at least, so that an empty tensor still has a buffer to point at. */
    if (is_float)
        out->f = deep_alloc_zero(count > 0 ? count : 1, sizeof(float));
    else
        out->i = deep_alloc_zero(count > 0 ? count : 1, sizeof(int64_t));
    if (out->f == NULL && out->i == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for a tensor of %lld elements",
                              (long long)count);
    return DEEP_OK;
}

double deep_onnx_array_float(const deep_onnx_array *a, int64_t k)
{
    return a->is_float ? (double)a->f[k] : (double)a->i[k];
}

int64_t deep_onnx_array_int(const deep_onnx_array *a, int64_t k)
{
    if (!a->is_float)
        return a->i[k];
    float v = a->f[k];
    /* Saturated, so that a huge or NaN float never becomes undefined behaviour. */
    if (!(v == v))
        return 0;
    if (v >= 9.2e18f)
        return INT64_MAX;
    if (v <= -9.2e18f)
        return INT64_MIN;
    return (int64_t)v;
}

static size_t type_bytes(int32_t type)
{
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
        return 1;
    default:
        return 0;
    }
}

/* Little-endian element k of raw bytes of that type. */
static void raw_element(const uint8_t *p, int32_t type, int64_t k, double *fv, int64_t *iv)
{
    uint64_t u = 0;
    size_t n = type_bytes(type);
    for (size_t b = 0; b < n; b++)
        u |= (uint64_t)p[(size_t)k * n + b] << (8 * b);
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        *fv = f;
        break;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
        double d;
        memcpy(&d, &u, sizeof d);
        *fv = d;
        break;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        *iv = (int32_t)(uint32_t)u;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        *iv = (int64_t)u;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
        *iv = (int8_t)(uint8_t)u;
        break;
    default: /* UINT8, BOOL */
        *iv = (int64_t)(uint8_t)u;
        break;
    }
}

static const char *type_name(int32_t type)
{
    static const char *names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
                                  "string", "bool", "float16", "double", "uint32", "uint64", "complex64",
                                  "complex128", "bfloat16"};
    return type >= 0 && type < (int32_t)(sizeof names / sizeof *names) ? names[type] : "unknown";
}

deep_status deep_onnx_array_read(const char *caller, const char *what, const Onnx__TensorProto *t,
                                 deep_onnx_array *out)
{
    memset(out, 0, sizeof *out);
    if (t->n_external_data > 0 ||
        (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller, "%s keeps its data in an external file, which is "
                              "not read (save the model with its weights inside)", what);
    if (t->segment != NULL)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller, "%s is a segment of a tensor", what);
    int32_t type = t->has_data_type ? t->data_type : 0;
    if (type_bytes(type) == 0)
        return deep_error_set(DEEP_ERR_UNSUPPORTED, caller, "%s has data type %s (%d); float, double, int64, "
                              "int32, int8, uint8 and bool are read", what, type_name(type), (int)type);
    if (t->n_dims > DEEP_ONNX_MAX_RANK)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "%s has rank %zu (at most %d)", what, t->n_dims,
                              DEEP_ONNX_MAX_RANK);
    bool is_float = type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    int64_t count = 0;
    deep_status s = element_count(caller, (int32_t)t->n_dims, t->dims, &count);
    if (s != DEEP_OK)
        return deep_error_wrap(s, caller, "%s", what);
    size_t typed = 0;
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        typed = t->n_float_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        typed = t->n_double_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        typed = t->n_int64_data;
        break;
    default: /* int32, int8, uint8 and bool live in int32_data */
        typed = t->n_int32_data;
        break;
    }
    const char *problem = NULL;
    if (t->has_raw_data && t->raw_data.len > 0) {
        if (typed > 0)
            problem = "both raw_data and typed values";
        else if ((uint64_t)t->raw_data.len != (uint64_t)count * type_bytes(type))
            problem = "raw_data whose length does not match its dims";
    } else if ((uint64_t)typed != (uint64_t)count) {
        problem = "a number of values that does not match its dims";
    }
    if (problem != NULL) /* before allocating: a few bytes of file must not claim gigabytes */
        return deep_error_set(DEEP_ERR_FORMAT, caller, "%s has %s (%lld elements expected)", what, problem,
                              (long long)count);
    s = deep_onnx_array_new(caller, (int32_t)t->n_dims, t->dims, is_float, out);
    if (s != DEEP_OK)
        return deep_error_wrap(s, caller, "%s", what);
    for (int64_t k = 0; k < count; k++) {
        double fv = 0;
        int64_t iv = 0;
        if (t->has_raw_data && t->raw_data.len > 0) {
            raw_element(t->raw_data.data, type, k, &fv, &iv);
        } else {
            switch (type) {
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
                fv = t->float_data[k];
                break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
                fv = t->double_data[k];
                break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
                iv = t->int64_data[k];
                break;
            default:
                iv = t->int32_data[k];
                break;
            }
        }
        if (is_float)
            out->f[k] = (float)fv;
        else
            out->i[k] = iv;
    }
    return DEEP_OK;
}

#endif
