/* The atomic file writer and the whole-file reader shared by the model, tree, vocabulary
 * and CSV files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/file.h"

/* ---------------------------------------------------------------- the atomic writer */

#define TMP_MARK ".deep-tmp-"
#define TMP_NAME_MAX 200 /* longest target name kept whole in a temporary file's name */
#define MAX_LINKS 40     /* as the kernel's limit on a chain of symbolic links */
#define STALE_SECONDS 600

static char *concat(const char *a, size_t na, const char *b, size_t nb)
{
    char *s = malloc(na + nb + 1);
    if (s != NULL) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb);
        s[na + nb] = '\0';
    }
    return s;
}

/* path with its symbolic links followed to the file they name, which need not exist yet.
 * NULL with *error set on failure. */
static char *follow_links(const char *path, int *error)
{
    char *at = concat(path, strlen(path), "", 0);
    for (int hops = 0; at != NULL; hops++) {
        struct stat st;
        if (lstat(at, &st) != 0 || !S_ISLNK(st.st_mode))
            return at; /* not a link: the target (a missing one is created) */
        char link[PATH_MAX];
        ssize_t n = hops < MAX_LINKS ? readlink(at, link, sizeof link) : -1;
        if (n < 0 || (size_t)n >= sizeof link) {
            *error = hops >= MAX_LINKS ? ELOOP : n < 0 ? errno : ENAMETOOLONG;
            free(at);
            return NULL;
        }
        /* A relative link is relative to the directory holding it. */
        const char *slash = strrchr(at, '/');
        size_t keep = link[0] == '/' || slash == NULL ? 0 : (size_t)(slash - at) + 1;
        char *next = concat(at, keep, link, (size_t)n);
        free(at);
        at = next;
    }
    *error = ENOMEM;
    return NULL;
}

/* The length of the directory part of target, including its last slash (0: none). */
static size_t directory_length(const char *target)
{
    const char *slash = strrchr(target, '/');
    return slash ? (size_t)(slash - target) + 1 : 0;
}

/* FNV-1a, 64 bits: enough to tell apart long names that share their first bytes. */
static uint64_t name_hash(const char *name)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 0x100000001b3u;
    return h;
}

size_t deep_file_tmp_prefix(const char *name, char *out, size_t capacity)
{
    size_t n = strlen(name);
    if (n <= TMP_NAME_MAX)
        return (size_t)snprintf(out, capacity, ".%s" TMP_MARK, name);
    return (size_t)snprintf(out, capacity, ".%.*s~%016llx" TMP_MARK, TMP_NAME_MAX, name,
                            (unsigned long long)name_hash(name));
}

static const char *file_kind(mode_t mode)
{
    return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode) ? "a character device"
         : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

deep_status deep_file_begin(const char *caller, const char *path, deep_file_writer *w)
{
    *w = (deep_file_writer){.caller = caller, .path = path, .fd = -1};
    int error = 0;
    char *target = follow_links(path, &error);
    if (target == NULL)
        return error == ENOMEM ? deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory writing '%s'", path)
                               : deep_error_set(DEEP_ERR_IO, caller, "cannot write '%s': %s", path, strerror(error));
    struct stat st;
    bool exists = stat(target, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        deep_status status = deep_error_set(DEEP_ERR_IO, caller, "cannot write '%s': it is %s, not a regular file",
                                            path, file_kind(st.st_mode));
        free(target);
        return status;
    }
    size_t dir = directory_length(target);
    char prefix[DEEP_FILE_TMP_PREFIX_MAX + 1], suffix[48];
    size_t np = deep_file_tmp_prefix(target + dir, prefix, sizeof prefix);
    char *tmp = malloc(dir + np + sizeof suffix);
    if (tmp == NULL) {
        free(target);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory writing '%s'", path);
    }
    /* O_EXCL with a random part, retried on a clash: mkstemp would fix the mode at 0600,
     * and the mode must be 0666 less the umask, which cannot be read without changing it. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t x = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^ (uint64_t)(uintptr_t)w ^
                 ((uint64_t)getpid() << 40);
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        x += 0x9e3779b97f4a7c15u; /* splitmix64 */
        uint64_t r = x;
        r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9u;
        r = (r ^ (r >> 27)) * 0x94d049bb133111ebu;
        r ^= r >> 31;
        char random[7];
        for (int i = 0; i < 6; i++, r /= 36)
            random[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[r % 36];
        random[6] = '\0';
        snprintf(suffix, sizeof suffix, "%ld-%s", (long)getpid(), random);
        memcpy(tmp, target, dir);
        memcpy(tmp + dir, prefix, np);
        memcpy(tmp + dir + np, suffix, strlen(suffix) + 1);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
        error = fd < 0 ? errno : 0;
        if (fd < 0 && error != EEXIST)
            break;
    }
    if (fd >= 0 && exists) {
        /* The saved file keeps the old one's owner (where permitted) and mode; a chown
         * clears set-id bits, so it goes first. */
        if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, st.st_uid, st.st_gid) != 0) {
            /* not permitted: the file stays ours */
        }
        if (fchmod(fd, st.st_mode & 07777) != 0) {
            error = errno;
            close(fd);
            unlink(tmp);
            fd = -1;
        }
    }
    if (fd < 0) {
        deep_status status = deep_error_set(DEEP_ERR_IO, caller, "cannot create a temporary file next to '%s': %s",
                                            path, strerror(error));
        free(tmp);
        free(target);
        return status;
    }
    w->target = target;
    w->tmp = tmp;
    w->fd = fd;
    return DEEP_OK;
}

void deep_file_put(deep_file_writer *w, const void *data, size_t length)
{
    const uint8_t *bytes = data;
    for (size_t done = 0; !w->error && done < length;) {
        ssize_t n = write(w->fd, bytes + done, length - done);
        if (n < 0 && errno != EINTR)
            w->error = errno;
        else if (n == 0)
            w->error = EIO; /* no progress: stop rather than spin */
        done += n > 0 ? (size_t)n : 0;
    }
}

/* Removes the temporary files of earlier saves to the same target that were killed:
 * their process is gone and they have not changed for STALE_SECONDS. */
static void remove_stale(DIR *d, const char *name, const char *own)
{
    char prefix[DEEP_FILE_TMP_PREFIX_MAX + 1];
    size_t np = deep_file_tmp_prefix(name, prefix, sizeof prefix);
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, prefix, np) != 0 || strcmp(e->d_name, own) == 0)
            continue;
        char *end;
        errno = 0;
        long pid = strtol(e->d_name + np, &end, 10);
        if (errno != 0 || pid <= 0 || end == e->d_name + np || *end != '-' || strlen(end + 1) != 6)
            continue;
        struct stat st;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* a live save, or one of another user's processes */
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            now - st.st_mtime < STALE_SECONDS)
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
}

/* After the rename: the directory is flushed so that the new name survives a crash (best
 * effort: some file systems refuse fsync on directories), then cleaned of stale files. */
static void finish_directory(const deep_file_writer *w)
{
    size_t dir = directory_length(w->target);
    char *path = dir ? concat(w->target, dir, "", 0) : concat(".", 1, "", 0);
    if (path == NULL)
        return;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return;
    if (fsync(fd) != 0) {
        /* best effort */
    }
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    remove_stale(d, w->target + dir, w->tmp + dir);
    closedir(d);
}

deep_status deep_file_commit(deep_file_writer *w, int error)
{
    if (error == 0)
        error = w->error;
    if (error == 0 && fsync(w->fd) != 0)
        error = errno;
    if (close(w->fd) != 0 && error == 0)
        error = errno;
    if (error == 0 && rename(w->tmp, w->target) != 0)
        error = errno;
    if (error != 0)
        unlink(w->tmp);
    else
        finish_directory(w);
    free(w->tmp);
    free(w->target);
    *w = (deep_file_writer){.caller = w->caller, .path = w->path, .fd = -1};
    if (error != 0)
        return deep_error_set(DEEP_ERR_IO, w->caller, "cannot write '%s': %s", w->path, strerror(error));
    return DEEP_OK;
}

deep_status deep_file_write_atomic(const char *caller, const char *path, const void *data, size_t length)
{
    deep_file_writer w;
    DEEP_TRY(deep_file_begin(caller, path, &w));
    deep_file_put(&w, data, length);
    return deep_file_commit(&w, 0);
}

/* ---------------------------------------------------------------- the reader */

deep_status deep_file_open(const char *caller, const char *path, int *fd, int64_t *size)
{
    *fd = -1;
    *size = 0;
    /* O_NONBLOCK: opening a FIFO without a writer would wait; it is refused below. */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (f < 0)
        return deep_error_set(DEEP_ERR_IO, caller, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    int error = fstat(f, &st) != 0 ? errno : 0;
    if (error == 0 && S_ISREG(st.st_mode)) {
        int flags = fcntl(f, F_GETFL);
        if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0)
            error = errno;
    }
    if (error != 0 || !S_ISREG(st.st_mode)) {
        close(f);
        if (error != 0)
            return deep_error_set(DEEP_ERR_IO, caller, "cannot read '%s': %s", path, strerror(error));
        return deep_error_set(DEEP_ERR_IO, caller, "cannot read '%s': it is %s, not a regular file", path,
                              file_kind(st.st_mode));
    }
    *fd = f;
    *size = (int64_t)st.st_size;
    return DEEP_OK;
}

deep_status deep_file_read(const char *caller, const char *path, uint8_t **data, size_t *length)
{
    *data = NULL;
    *length = 0;
    int fd;
    int64_t file_size;
    DEEP_TRY(deep_file_open(caller, path, &fd, &file_size));
    if ((uint64_t)file_size > (uint64_t)(SIZE_MAX / 2)) {
        close(fd);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "'%s' has %lld bytes, more than memory can hold", path,
                              (long long)file_size);
    }
    size_t size = (size_t)file_size;
    uint8_t *bytes = size > 0 ? malloc(size) : NULL;
    if (size > 0 && bytes == NULL) {
        close(fd);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory reading '%s' (%zu bytes)", path, size);
    }
    /* Exactly the size fstat gave, then one probe byte to tell that the file grew. */
    size_t used = 0;
    int error = 0;
    bool changed = false;
    for (;;) {
        uint8_t probe;
        uint8_t *at = used < size ? bytes + used : &probe;
        ssize_t n = read(fd, at, used < size ? size - used : 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = errno;
            break;
        }
        if (used == size || n == 0) {
            changed = n != 0 || used != size;
            break;
        }
        used += (size_t)n;
    }
    close(fd);
    if (error != 0 || changed) {
        free(bytes);
        if (error != 0)
            return deep_error_set(DEEP_ERR_IO, caller, "cannot read '%s': %s", path, strerror(error));
        return deep_error_set(DEEP_ERR_IO, caller, "cannot read '%s': it changed size while it was read (%zu bytes "
                              "when opened)", path, size);
    }
    *data = bytes;
    *length = size;
    return DEEP_OK;
}
