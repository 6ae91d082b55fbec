// The public header compiles as C++ (-Wall -Wextra -pedantic -Werror, tests/meson.build)
// and its extern "C" block links against the C library.
#include <deep.h>

static_assert(DEEP_OK == 0, "DEEP_OK is zero");
static_assert(sizeof(deep_status) == sizeof(int), "FFI bindings assume a status is an int");

// The deprecation macro expands to something C++ accepts where deep.h would use it.
DEEP_DEPRECATED("use deep_rng_next") DEEP_API deep_status header_old_next(deep_rng *rng, uint64_t *out);

int main()
{
    deep_rng *rng = nullptr;
    float value = -1.0f;
    deep_status s = deep_rng_new(42, &rng);
    if (s == DEEP_OK)
        s = deep_rng_uniform(rng, &value);
    deep_rng_free(rng);
    const deep_log_fn log = deep_log_console;
    (void)log;
    return s == DEEP_OK && value >= 0.0f && value < 1.0f &&
                   deep_version_number() == DEEP_VERSION_NUMBER
               ? 0
               : 1;
}
