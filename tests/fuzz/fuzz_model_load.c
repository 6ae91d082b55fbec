/* Fuzz target: model files as raw bytes (deep_model_load_buffer). Each input is loaded as
 * it is and, when it has a "libdeep.checksum" key, once more with its CRC-32 made right,
 * so that mutations also get past the checksum to the header and model checks. Seeds: the
 * golden files (tests/golden/v1). fuzz_model_struct.c reaches deeper into the JSON. */
#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    fuzz_load_model(data, size);
    unsigned char *copy = malloc(size + 1);
    fuzz_require(copy != NULL, "out of memory");
    memcpy(copy, data, size);
    if (fuzz_fix_checksum(copy, size)) /* otherwise the copy is the same input */
        fuzz_load_model(copy, size);
    free(copy);
    return 0;
}
