/* Fuzz target: model files as raw bytes (deep_model_load_buffer). Each input is loaded as
 * it is and, when it has a "libdeep.checksum" key, once more with its CRC-32 made right,
 * so that mutations also get past the checksum to the header and model checks. Seeds: the
 * golden files (tests/golden/v1). fuzz_model_struct.c reaches deeper into the JSON. */
#include <zlib.h>

#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    fuzz_load_model(data, size);
    static const char key[] = "\"libdeep.checksum\": \"";
    const size_t n = sizeof key - 1;
    for (size_t i = 0; i + n + 8 <= size; i++)
        if (memcmp(data + i, key, n) == 0) {
            unsigned char *copy = malloc(size);
            fuzz_require(copy != NULL, "out of memory");
            memcpy(copy, data, size);
            size_t digits = i + n;
            uLong crc = crc32(crc32(0L, Z_NULL, 0), copy, (uInt)digits);
            crc = crc32(crc, copy + digits + 8, (uInt)(size - digits - 8));
            char hex[9];
            snprintf(hex, sizeof hex, "%08lx", crc);
            memcpy(copy + digits, hex, 8);
            fuzz_load_model(copy, size);
            free(copy);
            break;
        }
    return 0;
}
