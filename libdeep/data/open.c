/* Opening the files the dataset loaders read. Only regular files are read: a device such
 * as /dev/zero, a pipe or a directory would be read without end (or not at all), so it is
 * refused at once with a message saying so. The check is made on the opened descriptor
 * (fstat), so the file read is the file checked. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/data.h"

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISFIFO(mode))
        return "a pipe";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

deep_status deep_data_open(const char *caller, const char *path, int *fd, int64_t *size)
{
    *fd = -1;
    *size = 0;
    /* O_NONBLOCK so that opening a pipe without a writer does not wait; it is cleared below. */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
        return deep_error_set(DEEP_ERR_IO, caller, "'%s' is %s; datasets are read from regular files only", path,
                              file_kind(st.st_mode));
    }
    *fd = f;
    *size = (int64_t)st.st_size;
    return DEEP_OK;
}
