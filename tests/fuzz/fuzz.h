/* What the fuzz targets share: a failed invariant aborts (so libFuzzer and the replay runs
 * report it with the input), and inputs reach the loaders, which only take paths, through
 * private temporary files. Each target includes this once; everything here is static. */
#ifndef LIBDEEP_FUZZ_H
#define LIBDEEP_FUZZ_H


#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deep.h"

/* memfd_create needs _GNU_SOURCE, which tests/fuzz/meson.build defines for the targets. */

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static inline void fuzz_require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz invariant broken: %s (last error: \"%s\")\n", what, deep_last_error());
        abort();
    }
}

/* A failed call left no object behind and explained itself, naming the public function. */
static inline void fuzz_check_failure(const void *out, const char *function)
{
    fuzz_require(out == NULL, "*out is not NULL after a failure");
    size_t n = strlen(function);
    const char *message = deep_last_error();
    fuzz_require(strncmp(message, function, n) == 0 && message[n] == ':' && message[n + 1] == ' ',
                 "the error message does not name the function");
}

/* A new private folder for files a target saves, removed at exit by the caller. In /dev/shm
 * (memory) where there is one, since saves sync their files to disk. */
static inline void fuzz_make_dir(char *dir, size_t capacity, const char *name)
{
    struct stat st;
    snprintf(dir, capacity, "%s/libdeep-fuzz-%s-XXXXXX", stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp", name);
    fuzz_require(mkdtemp(dir) != NULL, "mkdtemp");
}

#define FUZZ_FILES 4

/* A regular file holding data[0..size), reached as /proc/self/fd/N: slot's file is an
 * anonymous in-memory file (memfd_create), made once per process and rewritten by each
 * call, so runs touch no disk and a crashing run leaves nothing behind. */
static inline const char *fuzz_file(int slot, const void *data, size_t size)
{
    static int fds[FUZZ_FILES] = {-1, -1, -1, -1};
    static char paths[FUZZ_FILES][32];
    if (fds[slot] < 0) {
        fds[slot] = memfd_create("libdeep-fuzz", 0);
        fuzz_require(fds[slot] >= 0, "memfd_create");
        snprintf(paths[slot], sizeof paths[slot], "/proc/self/fd/%d", fds[slot]);
    }
    fuzz_require(ftruncate(fds[slot], 0) == 0, "cannot truncate a temporary file");
    fuzz_require(size == 0 || pwrite(fds[slot], data, size, 0) == (ssize_t)size, "cannot write a temporary file");
    return paths[slot];
}

#endif
