/* Checked arithmetic on sizes and the allocation wrappers built on it. */
#include <stdlib.h>

#include "core/core.h"

bool deep_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0)
        return false;
    if (a != 0 && b > INT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

bool deep_add_i64(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0 || b > INT64_MAX - a)
        return false;
    *out = a + b;
    return true;
}

static bool byte_count(int64_t count, size_t size, size_t *bytes)
{
    if (count < 0 || (uint64_t)count > SIZE_MAX / (size ? size : 1))
        return false;
    *bytes = (size_t)count * size;
    return true;
}

void *deep_alloc(int64_t count, size_t size)
{
    size_t bytes;
    if (!byte_count(count, size, &bytes))
        return NULL;
    return malloc(bytes ? bytes : 1);
}

void *deep_alloc_zero(int64_t count, size_t size)
{
    size_t bytes;
    if (!byte_count(count, size, &bytes))
        return NULL;
    return calloc(bytes ? bytes : 1, 1);
}
