/* Whole files in and out: the atomic writer every saver uses (trees, models, CSV tables)
 * and the readers every loader uses (models, trees, vocabularies, datasets). Never installed. */
#ifndef DEEP_IO_FILE_H
#define DEEP_IO_FILE_H

#include "core/core.h"

/* The atomic save every file writer shares:
 *   - path may be a symbolic link (chains too, dangling or not): the file it points to is
 *     replaced and the link stays, as editors and SQLite do. An existing target that is
 *     not a regular file (a directory, a device, a FIFO) is refused.
 *   - The bytes go to a temporary file in the target's directory, named
 *     "<prefix><pid>-<random>" (deep_file_tmp_prefix), created with
 *     mode 0666 less the umask; when the target exists the temporary file takes its mode
 *     (and, where permitted, its owner and group). It is flushed with fsync, renamed over
 *     the target, and the directory is flushed too (best effort).
 *   - A failed save removes its temporary file and leaves the target as it was. A save
 *     killed midway leaves its temporary file; the next successful save to the same
 *     target removes such leftovers whose process (the pid in the name) no longer exists
 *     on this machine and that were not modified for ten minutes, and never a live save's.
 * Errors are DEEP_ERR_IO naming caller and path, DEEP_ERR_NO_MEMORY. */
typedef struct deep_file_writer {
    const char *caller;
    const char *path; /* as given, for messages */
    char *target;     /* path with symbolic links followed */
    char *tmp;        /* the temporary file */
    int fd;
    int error;        /* the first errno of a write */
} deep_file_writer;

/* The start of the temporary file names of a target called name (its last path
 * component), written to out: ".<name>.deep-tmp-" when name has at most 200 bytes, else
 * ".<its first 200 bytes>~<16 hex digits of a 64-bit hash of the whole name>.deep-tmp-",
 * so that the temporary name stays within NAME_MAX and two long names sharing their first
 * 200 bytes do not share a prefix (the lengths keep the two forms apart too). Returns the
 * prefix's length, at most DEEP_FILE_TMP_PREFIX_MAX. */
#define DEEP_FILE_TMP_PREFIX_MAX 228 /* 1 + 200 + 1 + 16 + strlen(".deep-tmp-") */
size_t deep_file_tmp_prefix(const char *name, char *out, size_t capacity);

/* Opens the temporary file; on failure nothing is left to release. */
deep_status deep_file_begin(const char *caller, const char *path, deep_file_writer *w);
/* Appends to the temporary file; a failure is kept in w->error for deep_file_commit. */
void deep_file_put(deep_file_writer *w, const void *data, size_t length);
/* Ends the save: when error (an errno from the caller's own writes to w->fd) and
 * w->error are 0, flushes and renames the file into place; otherwise removes it and
 * reports the error. Releases the writer in every case. */
deep_status deep_file_commit(deep_file_writer *w, int error);

/* deep_file_begin, deep_file_put and deep_file_commit on one buffer. */
deep_status deep_file_write_atomic(const char *caller, const char *path, const void *data, size_t length);

/* Opens a regular file for reading into *fd (closed by the caller) and gives its size.
 * Anything else — a directory, a FIFO, a device such as /dev/zero, which a reader would
 * read without end or wait on — is refused without reading: the check is made on the
 * opened descriptor, so the file read is the file checked, and opening does not block on
 * a FIFO. DEEP_ERR_IO naming caller and path. */
deep_status deep_file_open(const char *caller, const char *path, int *fd, int64_t *size);

/* Reads the whole of a regular file (deep_file_open) into a new buffer (*data, free()d by
 * the caller, NULL when the file is empty or on failure). Exactly the size fstat reports
 * is read: a file that grows or shrinks meanwhile is an error, so a reader never runs on
 * without end. There is no size limit beyond memory.
 * DEEP_ERR_IO naming caller and path, DEEP_ERR_NO_MEMORY. */
deep_status deep_file_read(const char *caller, const char *path, uint8_t **data, size_t *length);

#endif
