/* Writing and validating safetensors files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/safetensors.h"

/* The format's own limit on the header (100 MB), which also bounds what a corrupt length
 * field can make the reader allocate. */
#define MAX_HEADER 100000000u
/* Metadata keys are compared pairwise; a file libdeep writes has a handful. */
#define MAX_METADATA 64

/* ---------------------------------------------------------------- checksum */

static uint32_t crc_update(uint32_t crc, const uint8_t *data, size_t n)
{
    uLong c = crc;
    while (n > 0) {
        uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, data, chunk);
        data += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

/* CRC-32 of bytes[0..length) except the 8 bytes at skip. */
static uint32_t checksum(const uint8_t *bytes, size_t length, size_t skip)
{
    uint32_t crc = crc_update((uint32_t)crc32(0L, Z_NULL, 0), bytes, skip);
    return crc_update(crc, bytes + skip + 8, length - skip - 8);
}

/* ---------------------------------------------------------------- writing */

static void put_le32(uint8_t *at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}

deep_status deep_safetensors_write(const char *caller, const deep_st_out *tensors, int64_t tensor_count,
                                   const char *const *meta_keys, const char *const *meta_values, int32_t meta_count,
                                   deep_bytes *out)
{
    size_t base = out->length;
    deep_bytes_put(out, "\0\0\0\0\0\0\0\0", 8); /* the header length, patched below */
    deep_bytes_put(out, "{", 1);
    deep_json_put_key(out, true, "__metadata__");
    deep_bytes_put(out, "{", 1);
    for (int32_t i = 0; i < meta_count; i++) {
        deep_json_put_key(out, i == 0, meta_keys[i]);
        deep_json_put_string(out, meta_values[i], strlen(meta_values[i]));
    }
    deep_json_put_key(out, meta_count == 0, DEEP_SAFETENSORS_CHECKSUM_KEY);
    size_t digits = out->length + 1;
    deep_bytes_put(out, "\"00000000\"}", 11);
    int64_t offset = 0;
    for (int64_t t = 0; t < tensor_count; t++) {
        deep_json_put_key(out, false, tensors[t].name);
        deep_bytes_put(out, "{\"dtype\": \"F32\", \"shape\": [", 27);
        for (int32_t d = 0; d < tensors[t].rank; d++)
            deep_bytes_printf(out, "%s%lld", d ? ", " : "", (long long)tensors[t].shape[d]);
        deep_bytes_printf(out, "], \"data_offsets\": [%lld, %lld]}", (long long)offset,
                          (long long)(offset + 4 * tensors[t].count));
        offset += 4 * tensors[t].count;
    }
    deep_bytes_put(out, "}", 1);
    /* A failed append leaves the length as it was: every loop that appends stops on it. */
    static const char spaces[] = "       "; /* the most padding needed: 7 */
    if (!out->failed && (out->length - base) % 8 != 0)
        deep_bytes_put(out, spaces, 8 - (out->length - base) % 8);
    size_t header = out->length - base - 8;
    for (int64_t t = 0; t < tensor_count && !out->failed; t++) {
        uint8_t chunk[4096];
        for (int64_t i = 0; i < tensors[t].count && !out->failed;) {
            int64_t n = tensors[t].count - i < 1024 ? tensors[t].count - i : 1024;
            for (int64_t k = 0; k < n; k++) {
                uint32_t bits;
                memcpy(&bits, &tensors[t].data[i + k], 4);
                put_le32(chunk + 4 * k, bits);
            }
            deep_bytes_put(out, chunk, (size_t)n * 4);
            i += n;
        }
    }
    if (out->failed)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for a file of %lld weights",
                              (long long)(offset / 4));
    uint8_t *file = out->data + base;
    for (int i = 0; i < 8; i++)
        file[i] = (uint8_t)((uint64_t)header >> (8 * i));
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", (unsigned)checksum(file, out->length - base, digits - base));
    memcpy(out->data + digits, hex, 8);
    return DEEP_OK;
}

/* ---------------------------------------------------------------- reading */

typedef struct reader {
    const char *caller, *source;
    deep_status status;
} reader;

/* Records the first error, with the byte offset in the file. */
__attribute__((format(printf, 3, 4))) static deep_status bad(reader *r, size_t at, const char *fmt, ...)
{
    if (r->status != DEEP_OK)
        return r->status;
    char what[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    r->status = deep_error_set(DEEP_ERR_FORMAT, r->caller, "%s at byte %zu: %s", r->source, at, what);
    return r->status;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const deep_st_entry *)a)->name, ((const deep_st_entry *)b)->name);
}

/* Offsets of every entry for the coverage check, sorted with their begin. */
typedef struct span {
    int64_t begin, end;
    size_t at; /* the entry's place in the header, for messages */
} span;

static int by_begin(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : x->end < y->end ? -1 : x->end > y->end;
}

/* One tensor entry: exactly the keys dtype, shape and data_offsets. */
static void read_entry(reader *r, deep_safetensors *st, const deep_json_node *node, size_t base, const uint8_t *data,
                       int64_t data_length, deep_st_entry *e, span *s)
{
    const deep_json *doc = &st->doc;
    const char *name = deep_json_key(doc, node);
    size_t at = base + node->start;
    if (node->type != DEEP_JSON_OBJECT) {
        bad(r, at, "tensor '%s' is not an object", name);
        return;
    }
    const deep_json_node *dtype = NULL, *shape = NULL, *offsets = NULL;
    for (const deep_json_node *m = deep_json_at(doc, node->first); m; m = deep_json_at(doc, m->next)) {
        const char *key = deep_json_key(doc, m);
        const deep_json_node **slot = strcmp(key, "dtype") == 0          ? &dtype
                                      : strcmp(key, "shape") == 0        ? &shape
                                      : strcmp(key, "data_offsets") == 0 ? &offsets
                                                                         : NULL;
        if (slot == NULL) {
            bad(r, base + m->start, "tensor '%s' has an unknown field '%s'", name, key);
            return;
        }
        if (*slot != NULL) {
            bad(r, base + m->start, "tensor '%s' has field '%s' twice", name, key);
            return;
        }
        *slot = m;
    }
    if (dtype == NULL || shape == NULL || offsets == NULL) {
        bad(r, at, "tensor '%s' lacks its %s", name, dtype == NULL ? "dtype" : shape == NULL ? "shape" : "data_offsets");
        return;
    }
    if (dtype->type != DEEP_JSON_STRING || strcmp(deep_json_string(doc, dtype), "F32") != 0) {
        bad(r, base + dtype->start, "tensor '%s' has dtype %s; libdeep reads only \"F32\"", name,
            dtype->type == DEEP_JSON_STRING ? deep_json_string(doc, dtype) : "(not a string)");
        return;
    }
    if (shape->type != DEEP_JSON_ARRAY || shape->count > DEEP_MAX_RANK) {
        bad(r, base + shape->start, "the shape of tensor '%s' is not an array of at most %d dimensions", name,
            DEEP_MAX_RANK);
        return;
    }
    e->name = name;
    e->rank = (int32_t)shape->count;
    e->count = 1;
    int32_t d = 0;
    for (const deep_json_node *v = deep_json_at(doc, shape->first); v; v = deep_json_at(doc, v->next), d++) {
        int64_t dim;
        if (!deep_json_int(doc, v, &dim) || dim < 0 || !deep_mul_i64(e->count, dim, &e->count) ||
            e->count > INT64_MAX / 4) {
            bad(r, base + v->start, "dimension %d of tensor '%s' is not a size", (int)d, name);
            return;
        }
        e->shape[d] = dim;
    }
    int64_t range[2];
    const deep_json_node *v = deep_json_at(doc, offsets->first);
    if (offsets->type != DEEP_JSON_ARRAY || offsets->count != 2 || !deep_json_int(doc, v, &range[0]) ||
        !deep_json_int(doc, deep_json_at(doc, v->next), &range[1])) {
        bad(r, base + offsets->start, "data_offsets of tensor '%s' are not two integers", name);
        return;
    }
    if (range[0] < 0 || range[1] < range[0] || range[1] > data_length) {
        bad(r, base + offsets->start, "data_offsets [%lld, %lld] of tensor '%s' are outside the %lld data bytes",
            (long long)range[0], (long long)range[1], name, (long long)data_length);
        return;
    }
    if (range[1] - range[0] != 4 * e->count) {
        bad(r, base + offsets->start, "tensor '%s' of %lld floats takes %lld bytes, not %lld", name,
            (long long)e->count, (long long)(4 * e->count), (long long)(range[1] - range[0]));
        return;
    }
    *s = (span){range[0], range[1], at};
    e->data = data + range[0];
    e->used = false;
}

static void check_checksum(reader *r, deep_safetensors *st, const uint8_t *bytes, size_t length)
{
    const deep_json *doc = &st->doc;
    const deep_json_node *sum = NULL;
    if (st->metadata != NULL)
        for (const deep_json_node *m = deep_json_at(doc, st->metadata->first); m; m = deep_json_at(doc, m->next))
            if (strcmp(deep_json_key(doc, m), DEEP_SAFETENSORS_CHECKSUM_KEY) == 0)
                sum = m;
    if (sum == NULL) {
        bad(r, 8, "the metadata have no \"%s\"; this is not a file libdeep wrote", DEEP_SAFETENSORS_CHECKSUM_KEY);
        return;
    }
    const char *text = deep_json_string(doc, sum);
    bool hex = sum->end - sum->start == 10 && strlen(text) == 8;
    for (int i = 0; hex && i < 8; i++)
        hex = (text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f');
    if (!hex) {
        bad(r, 8 + sum->start, "the checksum is not 8 lowercase hexadecimal digits");
        return;
    }
    uint32_t stored = (uint32_t)strtoul(text, NULL, 16);
    uint32_t computed = checksum(bytes, length, 8 + sum->start + 1);
    if (stored != computed)
        bad(r, 8 + sum->start, "checksum mismatch (stored %08x, computed %08x): the file is corrupt",
            (unsigned)stored, (unsigned)computed);
}

deep_status deep_safetensors_read(const char *caller, const char *source, const uint8_t *bytes, size_t length,
                                  deep_safetensors *st)
{
    *st = (deep_safetensors){0};
    reader r = {caller, source, DEEP_OK};
    if (length < 8)
        return bad(&r, 0, "%zu bytes are too few for a safetensors file (it starts with an 8-byte header length)",
                   length);
    uint64_t header = 0;
    for (int i = 0; i < 8; i++)
        header |= (uint64_t)bytes[i] << (8 * i);
    if (header < 2 || header > MAX_HEADER || header > length - 8)
        return bad(&r, 0, "header length %llu does not fit a file of %zu bytes", (unsigned long long)header, length);
    if (bytes[8] != '{')
        return bad(&r, 8, "the header does not start with '{'");
    if (!deep_json_parse(&st->doc, (const char *)bytes + 8, (size_t)header)) {
        if (st->doc.no_memory)
            return r.status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory reading %s", source);
        return bad(&r, 8 + st->doc.error_at, "the JSON header is malformed: %s", st->doc.error);
    }
    const deep_json *doc = &st->doc;
    const deep_json_node *root = deep_json_root(doc);
    if (root->type != DEEP_JSON_OBJECT)
        return bad(&r, 8, "the header is not a JSON object");
    /* The metadata first: the checksum is checked before any other field is trusted. */
    int64_t tensors = 0;
    for (const deep_json_node *m = deep_json_at(doc, root->first); m; m = deep_json_at(doc, m->next)) {
        if (strcmp(deep_json_key(doc, m), "__metadata__") != 0) {
            tensors++;
            continue;
        }
        if (st->metadata != NULL)
            return bad(&r, 8 + m->start, "__metadata__ appears twice");
        if (m->type != DEEP_JSON_OBJECT)
            return bad(&r, 8 + m->start, "__metadata__ is not an object");
        st->metadata = m;
        if (m->count > MAX_METADATA)
            return bad(&r, 8 + m->start, "%lld metadata entries are more than the %d libdeep reads",
                       (long long)m->count, MAX_METADATA);
        for (const deep_json_node *v = deep_json_at(doc, m->first); v; v = deep_json_at(doc, v->next)) {
            if (v->type != DEEP_JSON_STRING)
                return bad(&r, 8 + v->start, "metadata value '%s' is not a string", deep_json_key(doc, v));
            for (const deep_json_node *w = deep_json_at(doc, v->next); w; w = deep_json_at(doc, w->next))
                if (strcmp(deep_json_key(doc, v), deep_json_key(doc, w)) == 0)
                    return bad(&r, 8 + w->start, "metadata key '%s' appears twice", deep_json_key(doc, w));
        }
    }
    check_checksum(&r, st, bytes, length);
    if (r.status != DEEP_OK)
        return r.status;

    int64_t data_length = (int64_t)(length - 8 - header);
    const uint8_t *data = bytes + 8 + header;
    st->entries = deep_alloc(tensors, sizeof *st->entries);
    span *spans = deep_alloc(tensors, sizeof *spans);
    if (tensors > 0 && (st->entries == NULL || spans == NULL)) {
        free(spans);
        return r.status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory reading %s", source);
    }
    int64_t n = 0;
    for (const deep_json_node *m = deep_json_at(doc, root->first); m && r.status == DEEP_OK;
         m = deep_json_at(doc, m->next))
        if (m != st->metadata) {
            read_entry(&r, st, m, 8, data, data_length, &st->entries[n], &spans[n]);
            n++;
        }
    st->entry_count = n;
    if (r.status == DEEP_OK && n > 1) {
        qsort(st->entries, (size_t)n, sizeof *st->entries, by_name);
        for (int64_t i = 1; i < n && r.status == DEEP_OK; i++)
            if (strcmp(st->entries[i].name, st->entries[i - 1].name) == 0)
                bad(&r, 8, "tensor '%s' appears twice", st->entries[i].name);
    }
    if (r.status == DEEP_OK) {
        /* The tensors must tile the data: no overlap, no hole, nothing after the last. */
        qsort(spans, (size_t)n, sizeof *spans, by_begin);
        int64_t end = 0;
        for (int64_t i = 0; i < n && r.status == DEEP_OK; i++) {
            if (spans[i].begin != end)
                bad(&r, spans[i].at, "tensor data %s at byte %lld of the data, where %lld was expected",
                    spans[i].begin < end ? "overlap" : "leave a hole", (long long)spans[i].begin, (long long)end);
            end = spans[i].end;
        }
        if (r.status == DEEP_OK && end != data_length)
            bad(&r, 8 + (size_t)header + (size_t)end, "%lld data bytes follow the last tensor",
                (long long)(data_length - end));
    }
    free(spans);
    return r.status;
}

void deep_safetensors_free(deep_safetensors *st)
{
    deep_json_free(&st->doc);
    free(st->entries);
    *st = (deep_safetensors){0};
}

deep_st_entry *deep_safetensors_find(deep_safetensors *st, const char *name)
{
    int64_t lo = 0, hi = st->entry_count;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->entries[mid].name, name);
        if (c == 0)
            return &st->entries[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *deep_safetensors_meta(const deep_safetensors *st, const char *key)
{
    if (st->metadata == NULL)
        return NULL;
    const deep_json_node *found = NULL;
    for (const deep_json_node *m = deep_json_at(&st->doc, st->metadata->first); m; m = deep_json_at(&st->doc, m->next))
        if (strcmp(deep_json_key(&st->doc, m), key) == 0)
            found = m;
    return found ? deep_json_string(&st->doc, found) : NULL;
}

void deep_safetensors_copy(const deep_st_entry *entry, float *out)
{
    for (int64_t i = 0; i < entry->count; i++) {
        const uint8_t *b = entry->data + 4 * i;
        uint32_t bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&out[i], &bits, 4);
    }
}
