/* CIFAR-10's binary format: records of one label byte and 3072 pixel bytes, stored
 * channel-planar (1024 red, 1024 green, 1024 blue, each 32 rows of 32). Samples are
 * turned channels-last, (32, 32, 3), the layout Conv2D takes. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data.h"
#include "io/file.h"

#define SIDE 32
#define PLANE (SIDE * SIDE)
#define RECORD (1 + 3 * PLANE)
#define CLASSES 10

/* Opens one file (regular files only, see data/data.h) and counts its records, checking
 * that its size is a whole number of them. */
static deep_status open_records(const char *caller, const char *path, int *fd, int64_t *records)
{
    int64_t size;
    DEEP_TRY(deep_file_open(caller, path, fd, &size));
    if (size == 0 || size % RECORD != 0) {
        close(*fd);
        *fd = -1;
        return deep_error_set(DEEP_ERR_FORMAT, caller,
                              "'%s' has %lld bytes, not a whole number of %d-byte CIFAR-10 records", path,
                              (long long)size, RECORD);
    }
    *records = size / RECORD;
    return DEEP_OK;
}

/* Exactly n bytes from fd into buf; false at an early end or an error (errno set, or 0). */
static bool read_exactly(int fd, unsigned char *buf, size_t n)
{
    size_t done = 0;
    errno = 0;
    while (done < n) {
        ssize_t got = read(fd, buf + done, n - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        done += (size_t)got;
    }
    return true;
}

/* Reads `records` records of an opened file into features (channels-last) and labels. */
static deep_status read_records(const char *caller, const char *path, int fd, int64_t records, uint8_t *features,
                                int32_t *labels)
{
    unsigned char record[RECORD];
    deep_status status = DEEP_OK;
    for (int64_t r = 0; r < records && status == DEEP_OK; r++) {
        if (!read_exactly(fd, record, RECORD)) {
            status = deep_error_set(DEEP_ERR_IO, caller, "'%s' ended early at record %lld%s%s", path, (long long)r,
                                    errno ? ": " : "", errno ? strerror(errno) : "");
        } else if (record[0] >= CLASSES) {
            status = deep_error_set(DEEP_ERR_FORMAT, caller, "'%s': record %lld has label %d; labels are 0..9", path,
                                    (long long)r, record[0]);
        } else {
            labels[r] = record[0];
            uint8_t *sample = features + r * 3 * PLANE;
            for (int p = 0; p < PLANE; p++)
                for (int ch = 0; ch < 3; ch++)
                    sample[p * 3 + ch] = record[1 + ch * PLANE + p];
        }
    }
    return status;
}

deep_status deep_dataset_load_cifar10(const char *const *paths, int64_t path_count, deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(paths);
    if (path_count < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "path_count is %lld; give at least one file", (long long)path_count);
    int64_t total = 0;
    for (int64_t i = 0; i < path_count; i++) {
        if (paths[i] == NULL)
            return DEEP_FAIL(DEEP_ERR_NULL, "paths[%lld] is NULL", (long long)i);
        int64_t records = 0;
        int fd;
        DEEP_TRY(open_records(__func__, paths[i], &fd, &records));
        close(fd);
        if (!deep_add_i64(total, records, &total))
            return DEEP_FAIL(DEEP_ERR_OVERFLOW, "the records of the %lld files overflow 64 bits", (long long)path_count);
    }
    const int64_t shape[] = {SIDE, SIDE, 3};
    deep_dataset *dataset;
    DEEP_TRY(deep_dataset_create_bytes(__func__, total, 3, shape, NULL, &dataset));
    int32_t *labels = deep_alloc(total, sizeof *labels);
    if (labels == NULL) {
        deep_dataset_free(dataset);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld labels", (long long)total);
    }
    deep_status status = DEEP_OK;
    int64_t first = 0;
    for (int64_t i = 0; i < path_count && status == DEEP_OK; i++) {
        int64_t records = 0;
        int fd = -1;
        status = open_records(__func__, paths[i], &fd, &records);
        if (status == DEEP_OK && records > total - first)
            status = DEEP_FAIL(DEEP_ERR_IO, "'%s' grew while it was being read", paths[i]);
        if (status == DEEP_OK)
            status = read_records(__func__, paths[i], fd, records, dataset->bytes + first * 3 * PLANE, labels + first);
        if (fd >= 0)
            close(fd);
        first += records;
    }
    if (status == DEEP_OK && first != total)
        status = DEEP_FAIL(DEEP_ERR_IO, "the files shrank while they were being read");
    if (status == DEEP_OK)
        status = deep_dataset_set_labels(dataset, labels, total, CLASSES);
    free(labels);
    if (status != DEEP_OK) {
        deep_dataset_free(dataset);
        return status;
    }
    *out = dataset;
    return DEEP_OK;
}
