/* The IDX format of MNIST and Fashion-MNIST: bytes 0, 0, a type code and the number of
 * dimensions, then each dimension as a big-endian uint32, then the row-major values.
 *
 * Files are streamed through zlib, which passes plain files through unchanged, straight
 * into the dataset's byte storage (data/dataset.h): a 47 MB file takes 47 MB. Only
 * regular files are read, never beyond the sizes their headers declare, and a .gz whose
 * declared size exceeds what its compressed bytes can hold is refused before decompressing
 * its values. The same parser reads from memory, so that it can be fuzzed without touching
 * the disk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data.h"
#include "io/file.h"

#define IDX_UBYTE 0x08
#define CHUNK_BYTES (1 << 18)

/* Where the bytes come from: a zlib stream, or (file NULL) a buffer in memory. */
struct source {
    const char *name;
    gzFile file;
    const unsigned char *mem;
    size_t len, pos;
    int64_t consumed;  /* bytes delivered so far, for messages */
    int64_t file_size; /* the file's size on disk (a file source) */
};

/* Deflate codes at most 258 bytes in 2 bits: no gzip file decompresses to more than this
 * many bytes per byte of it. */
#define GZIP_MAX_RATIO 1032

struct idx_header {
    int32_t ndims;
    int64_t dims[DEEP_MAX_RANK];
    int64_t header_bytes;
    int64_t data_bytes; /* product of dims: one byte per value */
};

/* Up to n bytes into buf; *got < n only at the end of the data. */
static deep_status source_read(const char *caller, struct source *s, unsigned char *buf, size_t n,
                               size_t *got)
{
    if (s->file == NULL) {
        *got = n < s->len - s->pos ? n : s->len - s->pos;
        if (*got)
            memcpy(buf, s->mem + s->pos, *got);
        s->pos += *got;
        s->consumed += (int64_t)*got;
        return DEEP_OK;
    }
    *got = 0;
    while (*got < n) {
        int r = gzread(s->file, buf + *got, (unsigned)(n - *got));
        /* A gzip stream cut short reads as a short read with Z_BUF_ERROR, not as -1. */
        int code = Z_OK;
        const char *message = r <= 0 ? gzerror(s->file, &code) : NULL;
        if (code != Z_OK) {
            size_t skip = strlen(s->name); /* zlib's message repeats the path */
            if (code != Z_ERRNO && strncmp(message, s->name, skip) == 0 && strncmp(message + skip, ": ", 2) == 0)
                message += skip + 2;
            deep_status kind = code == Z_ERRNO ? DEEP_ERR_IO : code == Z_MEM_ERROR ? DEEP_ERR_NO_MEMORY
                                                                                 : DEEP_ERR_FORMAT;
            return deep_error_set(kind, caller, "cannot read '%s': %s", s->name,
                                  code == Z_ERRNO ? strerror(errno) : message);
        }
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    s->consumed += (int64_t)*got;
    return DEEP_OK;
}

/* Exactly n bytes of the header. */
static deep_status read_header_bytes(const char *caller, struct source *s, unsigned char *buf, size_t n)
{
    size_t got;
    DEEP_TRY(source_read(caller, s, buf, n, &got));
    if (got < n)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "'%s' ends after %lld bytes, inside its header",
                              s->name, (long long)s->consumed);
    return DEEP_OK;
}

/* The other types the format defines, which this loader recognises but does not read. */
static const char *idx_type_name(unsigned type)
{
    switch (type) {
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    }
    return NULL;
}

/* Reads and validates the header; the values are to follow. */
static deep_status read_header(const char *caller, struct source *s, struct idx_header *h)
{
    unsigned char b[4 * DEEP_MAX_RANK];
    DEEP_TRY(read_header_bytes(caller, s, b, 4));
    if (b[0] != 0 || b[1] != 0)
        return deep_error_set(DEEP_ERR_FORMAT, caller,
                              "'%s' is not an IDX file (it starts with bytes %02x %02x, not 00 00)", s->name,
                              b[0], b[1]);
    if (b[2] != IDX_UBYTE) {
        const char *type = idx_type_name(b[2]);
        if (type != NULL)
            return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                                  "'%s' holds %s values (IDX type 0x%02X); only unsigned bytes (0x08) "
                                  "are supported", s->name, type, b[2]);
        return deep_error_set(DEEP_ERR_FORMAT, caller, "'%s' has the unknown IDX type 0x%02X", s->name, b[2]);
    }
    h->ndims = b[3];
    if (h->ndims < 1 || h->ndims > DEEP_MAX_RANK)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "'%s' has %d dimensions; 1 to %d are supported",
                              s->name, (int)h->ndims, DEEP_MAX_RANK);
    h->header_bytes = 4 + 4 * (int64_t)h->ndims;
    DEEP_TRY(read_header_bytes(caller, s, b, 4 * (size_t)h->ndims));
    int64_t total = 1;
    for (int32_t i = 0; i < h->ndims; i++) {
        const unsigned char *p = b + 4 * i;
        h->dims[i] = (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        if (h->dims[i] == 0)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "dimension %d of '%s' is 0", (int)i, s->name);
        if (!deep_mul_i64(total, h->dims[i], &total) || total > INT64_MAX - h->header_bytes)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "the dimensions of '%s' multiply beyond 64 bits",
                                  s->name);
    }
    h->data_bytes = total;
    /* A compressed file that could not hold what its header declares is refused before its
     * values are read (a plain file's reading stops at its own end anyway). */
    int64_t most;
    if (s->file != NULL && !gzdirect(s->file) && deep_mul_i64(s->file_size, GZIP_MAX_RATIO, &most) &&
        total + h->header_bytes > most)
        return deep_error_set(DEEP_ERR_FORMAT, caller,
                              "'%s' declares %lld bytes of data, more than its %lld compressed bytes can hold",
                              s->name, (long long)total, (long long)s->file_size);
    return DEEP_OK;
}

/* Reads the h->data_bytes values that follow the header into a new buffer, and checks
 * that nothing follows them. The buffer grows with the data actually read, so a file
 * that claims to be huge costs only what it holds. */
static deep_status read_values(const char *caller, struct source *s, const struct idx_header *h,
                               uint8_t **out)
{
    *out = NULL;
    uint8_t *values = NULL;
    int64_t done = 0, capacity = 0;
    deep_status status = DEEP_OK;
    while (status == DEEP_OK && done < h->data_bytes) {
        if (done == capacity) {
            int64_t grown = capacity <= (h->data_bytes - CHUNK_BYTES) / 2 ? 2 * capacity + CHUNK_BYTES
                                                                          : h->data_bytes;
            uint8_t *bigger = (uint64_t)grown <= SIZE_MAX ? realloc(values, (size_t)grown) : NULL;
            if (bigger == NULL) {
                status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory reading '%s'", s->name);
                break;
            }
            values = bigger;
            capacity = grown;
        }
        size_t got;
        status = source_read(caller, s, values + done, (size_t)(capacity - done), &got);
        done += (int64_t)got;
        if (status == DEEP_OK && done < capacity)
            status = deep_error_set(DEEP_ERR_FORMAT, caller, "'%s' ends after %lld of %lld bytes", s->name,
                                    (long long)s->consumed, (long long)(h->header_bytes + h->data_bytes));
    }
    unsigned char extra;
    size_t extra_count = 0;
    if (status == DEEP_OK)
        status = source_read(caller, s, &extra, 1, &extra_count);
    if (status == DEEP_OK && extra_count != 0)
        status = deep_error_set(DEEP_ERR_FORMAT, caller, "'%s' has data after the %lld bytes its header promises",
                                s->name, (long long)(h->header_bytes + h->data_bytes));
    if (status != DEEP_OK) {
        free(values);
        return status;
    }
    *out = values;
    return DEEP_OK;
}

/* Reads an images source and, when labels is not NULL, its labels source. Both headers
 * are checked before any values are read, so a mismatched pair fails at once. */
static deep_status load(const char *caller, struct source *images, struct source *labels, deep_dataset **out)
{
    struct idx_header ih, lh;
    DEEP_TRY(read_header(caller, images, &ih));
    if (ih.ndims < 2)
        return deep_error_set(DEEP_ERR_FORMAT, caller,
                              "'%s' has 1 dimension; an images file needs a count and a sample shape",
                              images->name);
    if (labels != NULL) {
        DEEP_TRY(read_header(caller, labels, &lh));
        if (lh.ndims != 1)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "'%s' has %d dimensions; a labels file has 1",
                                  labels->name, (int)lh.ndims);
        if (lh.dims[0] != ih.dims[0])
            return deep_error_set(DEEP_ERR_FORMAT, caller, "'%s' has %lld images but '%s' has %lld labels",
                                  images->name, (long long)ih.dims[0], labels->name, (long long)lh.dims[0]);
    }
    uint8_t *features;
    DEEP_TRY(read_values(caller, images, &ih, &features));
    deep_dataset *d;
    deep_status status = deep_dataset_create_bytes(caller, ih.dims[0], ih.ndims - 1, ih.dims + 1, features, &d);
    if (status != DEEP_OK) {
        free(features);
        return status;
    }
    uint8_t *values = NULL;
    if (labels != NULL)
        status = read_values(caller, labels, &lh, &values);
    if (status == DEEP_OK && labels != NULL && (d->labels = deep_alloc(d->count, sizeof *d->labels)) == NULL)
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld labels", (long long)d->count);
    for (int64_t i = 0; status == DEEP_OK && d->labels && i < d->count; i++) {
        d->labels[i] = (int32_t)values[i];
        if (d->labels[i] >= d->num_classes)
            d->num_classes = d->labels[i] + 1;
    }
    free(values);
    if (status != DEEP_OK) {
        deep_dataset_free(d);
        return status;
    }
    *out = d;
    return DEEP_OK;
}

deep_status deep_idx_parse(const char *caller, const char *images_name, const unsigned char *images,
                           size_t images_len, const char *labels_name, const unsigned char *labels,
                           size_t labels_len, deep_dataset **out)
{
    *out = NULL;
    struct source is = {.name = images_name, .mem = images, .len = images_len};
    struct source ls = {.name = labels_name, .mem = labels, .len = labels_len};
    return load(caller, &is, labels ? &ls : NULL, out);
}

static deep_status source_open(const char *caller, const char *path, struct source *s)
{
    *s = (struct source){.name = path};
    int fd;
    DEEP_TRY(deep_file_open(caller, path, &fd, &s->file_size));
    s->file = gzdopen(fd, "rb");
    if (s->file == NULL) {
        close(fd);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory opening '%s'", path);
    }
    gzbuffer(s->file, 1 << 17); /* zlib's default 8 KiB means many small reads */
    return DEEP_OK;
}

deep_status deep_dataset_load_idx(const char *images_path, const char *labels_path, deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(images_path);
    struct source images = {0}, labels = {0};
    deep_status status = source_open(__func__, images_path, &images);
    if (status == DEEP_OK && labels_path != NULL)
        status = source_open(__func__, labels_path, &labels);
    if (status == DEEP_OK)
        status = load(__func__, &images, labels_path ? &labels : NULL, out);
    if (images.file)
        gzclose(images.file);
    if (labels.file)
        gzclose(labels.file);
    return status;
}
