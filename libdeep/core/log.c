/* The ready-made console callback. It uses write(2) directly: the library links no stdio
 * printing, and this runs only when a program installs it. It flushes stdio first so its
 * lines stay in order with what the program printed through stdio. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

static void write_all(int fd, const char *text, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, text, length);
        if (written <= 0)
            return;
        text += written;
        length -= (size_t)written;
    }
}

void deep_log_console(void *user, deep_log_level level, const char *message)
{
    (void)user;
    int fd = level >= DEEP_LOG_WARNING ? STDERR_FILENO : STDOUT_FILENO;
    fflush(fd == STDOUT_FILENO ? stdout : stderr);
    if (message != NULL)
        write_all(fd, message, strlen(message));
    write_all(fd, "\n", 1);
}
