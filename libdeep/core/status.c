/* Status names and the per-thread last-error message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

/* Long enough for a message that names a function, a layer and two shapes. */
#define DEEP_ERROR_CAPACITY 512

static _Thread_local char last_error[DEEP_ERROR_CAPACITY];
/* Where the reason starts in last_error, after "<func>: ". */
static _Thread_local size_t reason_at;

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

/* "<func>: " then fmt with args; the reason starts after the prefix. */
static void record(const char *func, const char *fmt, va_list args)
{
    int used = snprintf(last_error, sizeof last_error, "%s: ", func);
    if (used < 0 || (size_t)used >= sizeof last_error) {
        reason_at = 0;
        return;
    }
    reason_at = (size_t)used;
    vsnprintf(last_error + used, sizeof last_error - (size_t)used, fmt, args);
}

deep_status deep_error_set(deep_status status, const char *func, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    record(func, fmt, args);
    va_end(args);
    return status;
}

const char *deep_error_reason(void)
{
    return last_error + reason_at;
}

deep_status deep_error_wrap(deep_status status, const char *func, const char *fmt, ...)
{
    char reason[DEEP_ERROR_CAPACITY];
    snprintf(reason, sizeof reason, "%s", deep_error_reason());
    va_list args;
    va_start(args, fmt);
    record(func, fmt, args);
    va_end(args);
    /* Then ": <reason>", cut to what fits, as snprintf would. */
    size_t used = strlen(last_error);
    if (sizeof last_error - used > 2) {
        memcpy(last_error + used, ": ", 2);
        used += 2;
        size_t n = strnlen(reason, sizeof last_error - used - 1);
        memcpy(last_error + used, reason, n);
        last_error[used + n] = '\0';
    }
    return status;
}

deep_status deep_set_last_error(deep_status status, const char *function, const char *message)
{
    if (function)
        return deep_error_set(status, function, "%s", message ? message : "");
    snprintf(last_error, sizeof last_error, "%s", message ? message : "");
    reason_at = 0;
    return status;
}

const char *deep_last_error(void)
{
    return last_error;
}

void deep_clear_error(void)
{
    last_error[0] = '\0';
    reason_at = 0;
}
