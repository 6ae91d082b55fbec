/* Fuzz target: model files built around the fuzzer's bytes, so that mutations land in the
 * JSON header and the tensor data rather than in the length and checksum. An input is the
 * safetensors header text, a 0 byte, then the data section; the target writes the 8-byte
 * length, pads the header with spaces to a multiple of 8 as libdeep does, appends the
 * data, sets "libdeep.checksum" to the CRC-32 of the result when the key is there, and
 * loads that. tests/fuzz/model-struct-seeds.py turns the golden files into seeds. */
#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const unsigned char *end = memchr(data, 0, size);
    size_t header = end ? (size_t)(end - data) : size;
    size_t data_size = end ? size - header - 1 : 0;
    size_t padded = (header + 7) / 8 * 8;
    size_t total = 8 + padded + data_size;
    unsigned char *file = malloc(total);
    fuzz_require(file != NULL, "out of memory");
    for (int i = 0; i < 8; i++)
        file[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(file + 8, data, header);
    memset(file + 8 + header, ' ', padded - header);
    if (data_size > 0)
        memcpy(file + 8 + padded, end + 1, data_size);
    fuzz_fix_checksum(file, total);
    fuzz_load_model(file, total);
    free(file);
    return 0;
}
