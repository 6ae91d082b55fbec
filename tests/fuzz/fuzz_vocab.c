/* Fuzz target: the vocabulary's tokenizers. The first input byte's low bit picks
 * characters or words; the rest is text, added, frozen, encoded and decoded back, and
 * read once more from a file with deep_vocab_add_file, which must count the same. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    int64_t length = (int64_t)size - 1;
    deep_vocab *vocab;
    if (deep_vocab_new((deep_token_kind)(data[0] & 1), &vocab) != DEEP_OK)
        __builtin_trap();
    deep_status added = deep_vocab_add_text(vocab, text, length);
    if (added != DEEP_OK && added != DEEP_ERR_FORMAT)
        __builtin_trap();
    if (deep_vocab_freeze(vocab, 0, 1) != DEEP_OK)
        __builtin_trap();
    int64_t vocab_size;
    int64_t count, needed;
    if (deep_vocab_size(vocab, &vocab_size) != DEEP_OK || (added != DEEP_OK && vocab_size != 2))
        __builtin_trap();
    deep_status sized = deep_vocab_encode(vocab, text, length, NULL, 0, &count);
    if (added != DEEP_OK) {
        /* Text the vocabulary refused, encode refuses too. */
        if (sized != DEEP_ERR_FORMAT)
            __builtin_trap();
    } else if (count > 0) {
        /* Every token of the text it was built from has an id of its own, and decodes. */
        int32_t *ids = malloc((size_t)count * sizeof *ids);
        if (ids == NULL || deep_vocab_encode(vocab, text, length, ids, count, &count) != DEEP_OK)
            __builtin_trap();
        for (int64_t i = 0; i < count; i++) {
            char token[8];
            if (ids[i] < 2 || ids[i] >= vocab_size ||
                deep_vocab_token(vocab, ids[i], token, sizeof token, &needed) == DEEP_ERR_OUT_OF_RANGE)
                __builtin_trap();
        }
        free(ids);
    }
    deep_vocab *from_file = NULL;
    fuzz_require(deep_vocab_new((deep_token_kind)(data[0] & 1), &from_file) == DEEP_OK, "deep_vocab_new");
    deep_status read = deep_vocab_add_file(from_file, fuzz_file(0, text, (size_t)length));
    fuzz_require(read == added, "deep_vocab_add_file and deep_vocab_add_text disagree");
    int64_t file_size = 0;
    fuzz_require(deep_vocab_freeze(from_file, 0, 1) == DEEP_OK && deep_vocab_size(from_file, &file_size) == DEEP_OK &&
                     file_size == vocab_size,
                 "deep_vocab_add_file counted other tokens");
    deep_vocab_free(from_file);
    deep_vocab_free(vocab);
    return 0;
}
