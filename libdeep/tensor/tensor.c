/* Creation, queries, element access and reshaping of deep_tensor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/tensor.h"

const char *deep_shape_format(char *buf, size_t capacity, int32_t rank, const int64_t *shape)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int32_t i = 0; i < rank && used < capacity; i++) {
        int n = snprintf(buf + used, capacity - used, "%s%lld", i ? ", " : "(", (long long)shape[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used < capacity)
        snprintf(buf + used, capacity - used, "%s", rank == 1 ? ",)" : ")");
    return buf;
}

deep_status deep_shape_check(const char *caller, int32_t rank, const int64_t *shape, int64_t *size)
{
    if (shape == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'shape' is NULL");
    if (rank < 1 || rank > DEEP_MAX_RANK)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "rank %d is outside 1..%d",
                              (int)rank, DEEP_MAX_RANK);
    int64_t total = 1;
    for (int32_t i = 0; i < rank; i++) {
        if (shape[i] < 1)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "dimension %d is %lld; dimensions must be at least 1", (int)i,
                                  (long long)shape[i]);
        if (!deep_mul_i64(total, shape[i], &total))
            return deep_error_set(DEEP_ERR_OVERFLOW, caller,
                                  "the element count overflows 64 bits at dimension %d", (int)i);
    }
    if ((uint64_t)total > SIZE_MAX / sizeof(float))
        return deep_error_set(DEEP_ERR_OVERFLOW, caller, "%lld elements do not fit in memory",
                              (long long)total);
    *size = total;
    return DEEP_OK;
}

deep_status deep_tensor_create(const char *caller, int32_t rank, const int64_t *shape,
                                 bool zero, deep_tensor **out)
{
    if (out == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'out' is NULL");
    *out = NULL;
    int64_t size;
    DEEP_TRY(deep_shape_check(caller, rank, shape, &size));
    deep_tensor *t = calloc(1, sizeof *t);
    if (t == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    t->data = zero ? deep_alloc_zero(size, sizeof(float)) : deep_alloc(size, sizeof(float));
    if (t->data == NULL) {
        free(t);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld elements",
                              (long long)size);
    }
    t->rank = rank;
    memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
    t->size = size;
    *out = t;
    return DEEP_OK;
}

deep_status deep_tensor_new(int32_t rank, const int64_t *shape, deep_tensor **out)
{
    return deep_tensor_create(__func__, rank, shape, true, out);
}

deep_status deep_tensor_new_filled(int32_t rank, const int64_t *shape, float value, deep_tensor **out)
{
    DEEP_TRY(deep_tensor_create(__func__, rank, shape, false, out));
    for (int64_t i = 0; i < (*out)->size; i++)
        (*out)->data[i] = value;
    return DEEP_OK;
}

deep_status deep_tensor_new_from(int32_t rank, const int64_t *shape, const float *data,
                                 int64_t count, deep_tensor **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(data);
    int64_t size;
    DEEP_TRY(deep_shape_check(__func__, rank, shape, &size));
    if (count != size) {
        char s[128];
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%lld values given for shape %s of %lld elements",
                         (long long)count, deep_shape_format(s, sizeof s, rank, shape), (long long)size);
    }
    DEEP_TRY(deep_tensor_create(__func__, rank, shape, false, out));
    memcpy((*out)->data, data, (size_t)size * sizeof(float));
    return DEEP_OK;
}

deep_status deep_tensor_clone(const deep_tensor *src, deep_tensor **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(src);
    DEEP_TRY(deep_tensor_create(__func__, src->rank, src->shape, false, out));
    memcpy((*out)->data, src->data, (size_t)src->size * sizeof(float));
    return DEEP_OK;
}

void deep_tensor_free(deep_tensor *tensor)
{
    if (tensor == NULL)
        return;
    free(tensor->data);
    free(tensor);
}

deep_status deep_tensor_rank(const deep_tensor *tensor, int32_t *rank)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(rank);
    *rank = tensor->rank;
    return DEEP_OK;
}

deep_status deep_tensor_shape(const deep_tensor *tensor, int64_t *shape, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, shape, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(tensor);
    return deep_output_copy(__func__, "the shape", shape, capacity, needed, tensor->shape, tensor->rank,
                            sizeof *shape);
}

deep_status deep_tensor_dim(const deep_tensor *tensor, int32_t axis, int64_t *dim)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(dim);
    int32_t a = axis < 0 ? axis + tensor->rank : axis;
    if (a < 0 || a >= tensor->rank)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "axis %d is out of range for rank %d", (int)axis,
                         (int)tensor->rank);
    *dim = tensor->shape[a];
    return DEEP_OK;
}

deep_status deep_tensor_size(const deep_tensor *tensor, int64_t *size)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(size);
    *size = tensor->size;
    return DEEP_OK;
}

static deep_status flat_offset(const char *caller, const deep_tensor *t, const int64_t *index,
                               int32_t rank, int64_t *offset)
{
    if (t == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'tensor' is NULL");
    if (index == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'index' is NULL");
    if (rank != t->rank)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "index has %d coordinates but the tensor has rank %d",
                              (int)rank, (int)t->rank);
    int64_t flat = 0;
    for (int32_t i = 0; i < rank; i++) {
        if (index[i] < 0 || index[i] >= t->shape[i])
            return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                                  "index %lld is out of range for axis %d of size %lld",
                                  (long long)index[i], (int)i, (long long)t->shape[i]);
        flat = flat * t->shape[i] + index[i];
    }
    *offset = flat;
    return DEEP_OK;
}

deep_status deep_tensor_get(const deep_tensor *tensor, const int64_t *index, int32_t rank, float *value)
{
    DEEP_REQUIRE(value);
    int64_t offset = 0;
    DEEP_TRY(flat_offset(__func__, tensor, index, rank, &offset));
    *value = tensor->data[offset];
    return DEEP_OK;
}

deep_status deep_tensor_set(deep_tensor *tensor, const int64_t *index, int32_t rank, float value)
{
    int64_t offset = 0;
    DEEP_TRY(flat_offset(__func__, tensor, index, rank, &offset));
    tensor->data[offset] = value;
    return DEEP_OK;
}

deep_status deep_tensor_data(const deep_tensor *tensor, const float **data)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(data);
    *data = tensor->data;
    return DEEP_OK;
}

deep_status deep_tensor_data_mut(deep_tensor *tensor, float **data)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(data);
    *data = tensor->data;
    return DEEP_OK;
}

deep_status deep_tensor_copy_to(const deep_tensor *tensor, float *buffer, int64_t count)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(buffer);
    if (count != tensor->size)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "buffer holds %lld floats but the tensor has %lld elements",
                         (long long)count, (long long)tensor->size);
    memcpy(buffer, tensor->data, (size_t)count * sizeof(float));
    return DEEP_OK;
}

deep_status deep_tensor_copy_from(deep_tensor *tensor, const float *buffer, int64_t count)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(buffer);
    if (count != tensor->size)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "buffer holds %lld floats but the tensor has %lld elements",
                         (long long)count, (long long)tensor->size);
    memcpy(tensor->data, buffer, (size_t)count * sizeof(float));
    return DEEP_OK;
}

deep_status deep_tensor_reshape(deep_tensor *tensor, int32_t rank, const int64_t *shape)
{
    DEEP_REQUIRE(tensor);
    DEEP_REQUIRE(shape);
    if (rank < 1 || rank > DEEP_MAX_RANK)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "rank %d is outside 1..%d", (int)rank, DEEP_MAX_RANK);
    int64_t resolved[DEEP_MAX_RANK];
    int32_t inferred = -1;
    int64_t known = 1;
    for (int32_t i = 0; i < rank; i++) {
        resolved[i] = shape[i];
        if (shape[i] == -1) {
            if (inferred >= 0)
                return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "only one dimension may be -1");
            inferred = i;
        } else if (shape[i] < 1) {
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                             "dimension %d is %lld; dimensions must be at least 1 or -1", (int)i,
                             (long long)shape[i]);
        } else if (!deep_mul_i64(known, shape[i], &known)) {
            return DEEP_FAIL(DEEP_ERR_OVERFLOW, "the element count overflows 64 bits");
        }
    }
    if (inferred >= 0) {
        if (tensor->size % known != 0)
            return DEEP_FAIL(DEEP_ERR_SHAPE, "%lld elements cannot be split into rows of %lld",
                             (long long)tensor->size, (long long)known);
        resolved[inferred] = tensor->size / known;
        known = tensor->size;
    }
    if (known != tensor->size) {
        char s[128];
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%lld elements cannot take shape %s of %lld elements",
                         (long long)tensor->size, deep_shape_format(s, sizeof s, rank, resolved),
                         (long long)known);
    }
    tensor->rank = rank;
    memcpy(tensor->shape, resolved, (size_t)rank * sizeof *resolved);
    return DEEP_OK;
}
