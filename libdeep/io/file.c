/* The atomic file writer and the whole-file reader shared by the model and tree files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/file.h"

void deep_bytes_put(deep_bytes *b, const void *bytes, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (n > SIZE_MAX / 2 - b->length) {
        b->failed = true;
        return;
    }
    if (b->length + n > b->capacity) {
        size_t cap = b->capacity ? b->capacity : 4096;
        while (cap < b->length + n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->capacity = cap;
    }
    memcpy(b->data + b->length, bytes, n);
    b->length += n;
}

void deep_bytes_printf(deep_bytes *b, const char *fmt, ...)
{
    char small[256];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(small, sizeof small, fmt, args);
    va_end(args);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        deep_bytes_put(b, small, (size_t)n);
        return;
    }
    char *large = malloc((size_t)n + 1);
    if (large == NULL) {
        b->failed = true;
        return;
    }
    va_start(args, fmt);
    vsnprintf(large, (size_t)n + 1, fmt, args);
    va_end(args);
    deep_bytes_put(b, large, (size_t)n);
    free(large);
}

void deep_bytes_free(deep_bytes *b)
{
    free(b->data);
    *b = (deep_bytes){0};
}

deep_status deep_file_write_atomic(const char *caller, const char *path, const void *data, size_t length)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + sizeof ".tmp-XXXXXX");
    if (tmp == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory writing '%s'", path);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int fd = mkstemp(tmp), error = 0;
    if (fd < 0) {
        error = errno;
        free(tmp);
        return deep_error_set(DEEP_ERR_IO, caller, "cannot create a temporary file next to '%s': %s", path,
                              strerror(error));
    }
    if (fchmod(fd, 0644) != 0) /* mkstemp makes it private; a model file is ordinary data */
        error = errno;
    const uint8_t *bytes = data;
    for (size_t done = 0; !error && done < length;) {
        ssize_t w = write(fd, bytes + done, length - done);
        if (w < 0 && errno != EINTR)
            error = errno;
        else if (w == 0)
            error = EIO;
        done += w > 0 ? (size_t)w : 0;
    }
    if (!error && fsync(fd) != 0)
        error = errno;
    if (close(fd) != 0 && !error)
        error = errno;
    if (!error && rename(tmp, path) != 0)
        error = errno;
    if (error)
        unlink(tmp);
    free(tmp);
    if (error)
        return deep_error_set(DEEP_ERR_IO, caller, "cannot write '%s': %s", path, strerror(error));
    return DEEP_OK;
}

deep_status deep_file_read(const char *caller, const char *path, uint8_t **data, size_t *length)
{
    *data = NULL;
    *length = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return deep_error_set(DEEP_ERR_IO, caller, "cannot open '%s': %s", path, strerror(errno));
    size_t used = 0, capacity = 0;
    uint8_t *bytes = NULL;
    bool memory = true;
    for (;;) {
        if (used == capacity) {
            capacity = capacity ? 2 * capacity : 65536;
            uint8_t *grown = realloc(bytes, capacity);
            if (grown == NULL) {
                memory = false;
                break;
            }
            bytes = grown;
        }
        size_t got = fread(bytes + used, 1, capacity - used, f);
        used += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (!memory || failed) {
        free(bytes);
        return memory ? deep_error_set(DEEP_ERR_IO, caller, "cannot read '%s'", path)
                      : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory reading '%s'", path);
    }
    if (used == 0) {
        free(bytes);
        bytes = NULL;
    }
    *data = bytes;
    *length = used;
    return DEEP_OK;
}
