/* Whole files in and out: the atomic writer every saver uses (trees, models) and the
 * reader every loader uses. Never installed. */
#ifndef DEEP_IO_FILE_H
#define DEEP_IO_FILE_H

#include "core/core.h"

/* A growing byte buffer. Appends after an allocation failure are dropped and `failed` is
 * set, so a writer checks once at the end. */
typedef struct deep_bytes {
    uint8_t *data;
    size_t length, capacity;
    bool failed;
} deep_bytes;

void deep_bytes_put(deep_bytes *b, const void *bytes, size_t n);
void deep_bytes_printf(deep_bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void deep_bytes_free(deep_bytes *b);

/* Writes data to a temporary file next to path (same directory, so rename stays on one
 * file system), flushes it to disk, then renames it over path: a reader never sees half a
 * file, and a failed write leaves the old one in place and no temporary file behind.
 * Errors are DEEP_ERR_IO naming caller and path. */
deep_status deep_file_write_atomic(const char *caller, const char *path, const void *data, size_t length);

/* Reads the whole file into a new buffer (*data, free()d by the caller, NULL when the file
 * is empty or on failure). DEEP_ERR_IO when it cannot be opened or read. */
deep_status deep_file_read(const char *caller, const char *path, uint8_t **data, size_t *length);

#endif
