/* The one contract of every variable-size output into a caller's buffer (deep.h,
 * "Conventions"): (buffer, capacity, needed), capacity 0 the size query, a short buffer
 * an error that leaves it untouched. Kept in one place so every function agrees. */
#include <string.h>

#include "core/core.h"

static const char item_unit[] = "entries";

deep_status deep_output_args(const char *caller, const void *buffer, int64_t capacity, int64_t *needed)
{
    if (needed == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'needed' is NULL");
    *needed = 0; /* what a failure other than a short buffer leaves */
    if (capacity < 0)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "capacity %lld is negative", (long long)capacity);
    if (capacity > 0 && buffer == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "the buffer is NULL but capacity is %lld", (long long)capacity);
    return DEEP_OK;
}

/* unit names what capacity counts, for the message: "entries", or "bytes" for text. */
static deep_status check_in(const char *caller, const char *what, const char *unit, const void *buffer,
                            int64_t capacity, int64_t *needed, int64_t size, bool *write)
{
    *write = false;
    DEEP_TRY(deep_output_args(caller, buffer, capacity, needed));
    *needed = size;
    if (capacity == 0)
        return DEEP_OK; /* the size query */
    if (capacity < size)
        return deep_error_set(DEEP_ERR_BUFFER_TOO_SMALL, caller, "%s needs %lld %s but capacity is %lld", what,
                              (long long)size, unit, (long long)capacity);
    *write = true;
    return DEEP_OK;
}

deep_status deep_output_check(const char *caller, const char *what, const void *buffer, int64_t capacity,
                              int64_t *needed, int64_t size, bool *write)
{
    return check_in(caller, what, item_unit, buffer, capacity, needed, size, write);
}

deep_status deep_output_check_text(const char *caller, const char *what, const char *buffer, int64_t capacity,
                                   int64_t *needed, int64_t size, bool *write)
{
    return check_in(caller, what, "bytes", buffer, capacity, needed, size, write);
}

deep_status deep_output_copy(const char *caller, const char *what, void *buffer, int64_t capacity, int64_t *needed,
                             const void *source, int64_t size, size_t item_size)
{
    bool write;
    DEEP_TRY(check_in(caller, what, item_size == 1 ? "bytes" : item_unit, buffer, capacity, needed, size, &write));
    if (write && size > 0)
        memcpy(buffer, source, (size_t)size * item_size);
    return DEEP_OK;
}

deep_status deep_output_text(const char *caller, const char *what, char *buffer, int64_t capacity, int64_t *needed,
                             const char *text)
{
    return deep_output_copy(caller, what, buffer, capacity, needed, text, (int64_t)strlen(text) + 1, 1);
}
