/* Status names and the per-thread last-error message. */
#include <stdarg.h>
#include <stdio.h>

#include "core/core.h"

/* Long enough for a message that names a function, a layer and two shapes. */
#define DEEP_ERROR_CAPACITY 512

static _Thread_local char last_error[DEEP_ERROR_CAPACITY];

const char *deep_status_string(deep_status status)
{
    switch (status) {
    case DEEP_OK: return "DEEP_OK";
    case DEEP_ERR_NULL: return "DEEP_ERR_NULL";
    case DEEP_ERR_INVALID_ARGUMENT: return "DEEP_ERR_INVALID_ARGUMENT";
    case DEEP_ERR_SHAPE: return "DEEP_ERR_SHAPE";
    case DEEP_ERR_OUT_OF_RANGE: return "DEEP_ERR_OUT_OF_RANGE";
    case DEEP_ERR_NO_MEMORY: return "DEEP_ERR_NO_MEMORY";
    case DEEP_ERR_OVERFLOW: return "DEEP_ERR_OVERFLOW";
    case DEEP_ERR_STATE: return "DEEP_ERR_STATE";
    case DEEP_ERR_IO: return "DEEP_ERR_IO";
    case DEEP_ERR_FORMAT: return "DEEP_ERR_FORMAT";
    case DEEP_ERR_NUMERIC: return "DEEP_ERR_NUMERIC";
    case DEEP_ERR_UNSUPPORTED: return "DEEP_ERR_UNSUPPORTED";
    case DEEP_ERR_THREAD: return "DEEP_ERR_THREAD";
    case DEEP_ERR_BUFFER_TOO_SMALL: return "DEEP_ERR_BUFFER_TOO_SMALL";
    }
    return "DEEP_ERR_UNKNOWN";
}

deep_status deep_error_set(deep_status status, const char *func, const char *fmt, ...)
{
    int used = snprintf(last_error, sizeof last_error, "%s: ", func);
    if (used < 0 || (size_t)used >= sizeof last_error)
        return status;
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error + used, sizeof last_error - (size_t)used, fmt, args);
    va_end(args);
    return status;
}

const char *deep_last_error(void)
{
    return last_error;
}

void deep_clear_error(void)
{
    last_error[0] = '\0';
}
