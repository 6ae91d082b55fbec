/* The one growing byte buffer every writer builds its output in: model, tree and
 * safetensors files, model JSON, the summary, the tree JSON dump and the table
 * description. Never installed. */
#ifndef DEEP_CORE_BYTES_H
#define DEEP_CORE_BYTES_H

#include <stdarg.h>

#include "core/core.h"

/* Start with {0}. Appends after a failure (out of memory, or a length that would not fit
 * in size_t) are dropped and `failed` stays set, so a writer checks once at the end; a
 * loop that appends until the buffer reaches some length must also stop on `failed`,
 * since the length then stays put. */
typedef struct deep_bytes {
    uint8_t *data;
    size_t length, capacity;
    bool failed;
} deep_bytes;

void deep_bytes_put(deep_bytes *b, const void *bytes, size_t n);
void deep_bytes_printf(deep_bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void deep_bytes_vprintf(deep_bytes *b, const char *fmt, va_list args) __attribute__((format(printf, 2, 0)));
/* The low `width` bytes of v (1 to 8), least significant first. */
void deep_bytes_put_le(deep_bytes *b, uint64_t v, int width);
void deep_bytes_free(deep_bytes *b);

/* The capacity a buffer of `capacity` bytes grows to so that it holds `needed` bytes:
 * doubling from 4096, or exactly `needed` when doubling would overflow size_t. Exposed for
 * the tests. */
size_t deep_bytes_grown_capacity(size_t capacity, size_t needed);

/* Hands the text built in b to a caller's buffer by deep.h's buffer contract, as every
 * text output of the library does (deep_model_summary, deep_tree_to_json,
 * deep_dataset_describe_text): *needed = the text's length + 1; capacity 0 is the size
 * query; a buffer too small is DEEP_ERR_BUFFER_TOO_SMALL and left untouched; a failed b
 * is DEEP_ERR_NO_MEMORY. `what` names the text in messages ("the summary"). Errors name
 * caller. The caller has called deep_output_args first. */
deep_status deep_bytes_copy_text(const char *caller, const deep_bytes *b, const char *what, char *buffer,
                                 int64_t capacity, int64_t *needed);

#endif
