/* The version of the loaded library, which may differ from the header a program saw. */
#include "core/core.h"

#define DEEP_STR_(x) #x
#define DEEP_STR(x) DEEP_STR_(x)

const char *deep_version_string(void)
{
    return DEEP_STR(DEEP_VERSION_MAJOR) "." DEEP_STR(DEEP_VERSION_MINOR) "." DEEP_STR(DEEP_VERSION_PATCH);
}

int32_t deep_version_number(void)
{
    return DEEP_VERSION_NUMBER;
}
