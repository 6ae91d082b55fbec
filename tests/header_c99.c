/* The public header stands alone as strict C99: built with -std=c99 -Wall -Wextra -pedantic
 * -Werror -Wstrict-prototypes (tests/meson.build), including nothing else first. Included
 * twice to check the include guard; linked against the shared library so the few symbols
 * used here must really be exported. */
#include <deep.h>
#include <deep.h>

/* The deprecation macro expands to something strict C99 (and C++) accept, where deep.h
 * would use it; unused here, so it warns nothing. */
DEEP_DEPRECATED("use deep_tensor_size") DEEP_API deep_status header_old_size(const deep_tensor *t, int64_t *n);

/* FFI bindings assume a status is an int. */
typedef char deep_status_is_int_sized[sizeof(deep_status) == sizeof(int) ? 1 : -1];

static void quiet(void *user, deep_log_level level, const char *message)
{
    (void)user;
    (void)level;
    (void)message;
}

int main(void)
{
    deep_log_fn log = quiet;
    deep_tensor *t = NULL;
    const int64_t shape[DEEP_MAX_RANK] = {2, 3};
    int64_t size = 0;
    deep_status s = deep_tensor_new(2, shape, &t);
    if (s == DEEP_OK)
        s = deep_tensor_size(t, &size);
    log(NULL, DEEP_LOG_INFO, deep_status_string(s));
    deep_tensor_free(t);
    deep_clear_error();
    return s == DEEP_OK && size == 6 && deep_version_number() == DEEP_VERSION_NUMBER &&
                   deep_last_error()[0] == '\0'
               ? 0
               : 1;
}
