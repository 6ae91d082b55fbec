/* The growing byte buffer of core/bytes.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"

#define FIRST_CAPACITY 4096

size_t deep_bytes_grown_capacity(size_t capacity, size_t needed)
{
    size_t cap = capacity ? capacity : FIRST_CAPACITY;
    while (cap < needed)
        cap = cap > SIZE_MAX / 2 ? needed : cap * 2;
    return cap;
}

void deep_bytes_put(deep_bytes *b, const void *bytes, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (n > SIZE_MAX - b->length) {
        b->failed = true; /* the length would wrap */
        return;
    }
    if (b->length + n > b->capacity) {
        size_t cap = deep_bytes_grown_capacity(b->capacity, b->length + n);
        uint8_t *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->capacity = cap;
    }
    memcpy(b->data + b->length, bytes, n);
    b->length += n;
}

void deep_bytes_vprintf(deep_bytes *b, const char *fmt, va_list args)
{
    if (b->failed)
        return;
    /* Short texts (nearly all) are formatted on the stack, longer ones measured first. */
    char small[256];
    va_list again;
    va_copy(again, args);
    int n = vsnprintf(small, sizeof small, fmt, args);
    if (n < 0) {
        b->failed = true;
    } else if ((size_t)n < sizeof small) {
        deep_bytes_put(b, small, (size_t)n);
    } else {
        char *large = malloc((size_t)n + 1);
        if (large == NULL) {
            b->failed = true;
        } else {
            vsnprintf(large, (size_t)n + 1, fmt, again);
            deep_bytes_put(b, large, (size_t)n);
            free(large);
        }
    }
    va_end(again);
}

void deep_bytes_printf(deep_bytes *b, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    deep_bytes_vprintf(b, fmt, args);
    va_end(args);
}

void deep_bytes_put_le(deep_bytes *b, uint64_t v, int width)
{
    uint8_t bytes[8];
    if (width < 1 || width > 8) {
        b->failed = true; /* a writer's bug: the output would be malformed */
        return;
    }
    for (int i = 0; i < width; i++)
        bytes[i] = (uint8_t)(v >> (8 * i));
    deep_bytes_put(b, bytes, (size_t)width);
}

void deep_bytes_free(deep_bytes *b)
{
    free(b->data);
    *b = (deep_bytes){0};
}

deep_status deep_bytes_copy_text(const char *caller, const deep_bytes *b, const char *what, char *buffer,
                                 int64_t capacity, int64_t *needed)
{
    if (b->failed || b->length >= (size_t)INT64_MAX)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory building %s", what);
    bool write;
    DEEP_TRY(deep_output_check_text(caller, what, buffer, capacity, needed, (int64_t)b->length + 1, &write));
    if (write) { /* the whole text fits: a short buffer is never partly written */
        if (b->length > 0)
            memcpy(buffer, b->data, b->length);
        buffer[b->length] = '\0';
    }
    return DEEP_OK;
}
