/* The safetensors container (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON header, then the tensors' bytes. The
 * header maps each tensor name to {"dtype", "shape", "data_offsets"} and may hold a
 * "__metadata__" object of string values. libdeep writes float32 ("F32") tensors only,
 * pads the header with spaces so the data start 8-byte aligned, and adds the metadata key
 * "libdeep.checksum": the CRC-32 of every byte of the file except the checksum's own eight
 * hexadecimal digits. Never installed. */
#ifndef DEEP_IO_SAFETENSORS_H
#define DEEP_IO_SAFETENSORS_H

#include "io/json.h"

#define DEEP_SAFETENSORS_CHECKSUM_KEY "libdeep.checksum"

/* One tensor to write: `count` floats of data with the given shape. */
typedef struct deep_st_out {
    const char *name;
    int32_t rank;
    const int64_t *shape;
    const float *data;
    int64_t count;
} deep_st_out;

/* Appends a whole file to out: the tensors in the order given (names must be distinct)
 * and the metadata pairs, then the checksum. Fails only when memory runs out. */
deep_status deep_safetensors_write(const char *caller, const deep_st_out *tensors, int64_t tensor_count,
                                   const char *const *meta_keys, const char *const *meta_values, int32_t meta_count,
                                   deep_bytes *out);

/* One tensor of a parsed file; data points into the caller's bytes. */
typedef struct deep_st_entry {
    const char *name;
    int32_t rank;
    int64_t shape[DEEP_MAX_RANK];
    int64_t count;
    const uint8_t *data;
    bool used;                   /* set by the reader's consumer to find leftovers */
} deep_st_entry;

typedef struct deep_safetensors {
    deep_json doc;
    const deep_json_node *metadata; /* NULL when the file has none */
    deep_st_entry *entries;         /* sorted by name */
    int64_t entry_count;
} deep_safetensors;

/* Parses and validates a whole file held in bytes[0..length): the header's layout and
 * every entry (dtype F32, shape, offsets covering the data exactly without overlap or
 * hole, names distinct), and the checksum, which must be present. `source` names the file
 * in messages ("'model.safetensors'" or "the buffer"). Errors are DEEP_ERR_FORMAT naming
 * caller and the byte offset. Release with deep_safetensors_free in every case. */
deep_status deep_safetensors_read(const char *caller, const char *source, const uint8_t *bytes, size_t length,
                                  deep_safetensors *st);
void deep_safetensors_free(deep_safetensors *st);

/* The entry called name, or NULL. */
deep_st_entry *deep_safetensors_find(deep_safetensors *st, const char *name);
/* A metadata string, or NULL when absent. */
const char *deep_safetensors_meta(const deep_safetensors *st, const char *key);
/* Decodes an entry's little-endian floats into out[0..entry->count). */
void deep_safetensors_copy(const deep_st_entry *entry, float *out);

#endif
