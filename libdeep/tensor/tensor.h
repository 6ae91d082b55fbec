/* The tensor's layout, shared with the parts of the library that compute on tensors. */
#ifndef DEEP_TENSOR_INTERNAL_H
#define DEEP_TENSOR_INTERNAL_H

#include "core/core.h"

struct deep_tensor {
    int32_t rank;
    int64_t shape[DEEP_MAX_RANK];
    int64_t size;   /* product of shape, checked against overflow */
    float *data;
};

/* Validates rank and shape (every dimension >= 1, product fits int64 and memory) and
 * stores the element count in *size; errors name the public function `caller`. */
deep_status deep_shape_check(const char *caller, int32_t rank, const int64_t *shape, int64_t *size);

/* A new tensor of a shape that deep_shape_check validates, zero-filled when zero is true
 * (otherwise left for the caller to fill); errors, memory included, name `caller`. */
deep_status deep_tensor_create(const char *caller, int32_t rank, const int64_t *shape, bool zero,
                               deep_tensor **out);

/* Formats a shape as "(28, 28, 1)" into buf for error messages. */
const char *deep_shape_format(char *buf, size_t capacity, int32_t rank, const int64_t *shape);

#endif
