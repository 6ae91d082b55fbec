/* JSON text for model files: writing helpers on a deep_bytes buffer, and a strict parser
 * (RFC 8259 grammar, nesting limited, \u0000 refused) into a flat tree of nodes that
 * remembers where each value lies in the text, so that errors can name a byte offset.
 * Numbers are formatted and read in the "C" locale whatever the caller's locale is. */
#ifndef DEEP_IO_JSON_H
#define DEEP_IO_JSON_H

#include "core/bytes.h"
#include "core/c_locale.h"

/* Writing. Strings are escaped; floats use the shortest exact forms (%.9g, %.17g). */
void deep_json_put_string(deep_bytes *b, const char *s, size_t length);
void deep_json_put_key(deep_bytes *b, bool first, const char *key); /* `, "key": ` (no comma when first) */
void deep_json_put_float(deep_bytes *b, float v);
void deep_json_put_double(deep_bytes *b, double v);

typedef enum deep_json_type {
    DEEP_JSON_NULL,
    DEEP_JSON_FALSE,
    DEEP_JSON_TRUE,
    DEEP_JSON_NUMBER,
    DEEP_JSON_STRING,
    DEEP_JSON_ARRAY,
    DEEP_JSON_OBJECT
} deep_json_type;

/* One value. Arrays and objects list their children through first / next (node indices,
 * -1 for none); an object's children carry their key. */
typedef struct deep_json_node {
    deep_json_type type;
    size_t start, end;       /* the value's bytes in the text */
    size_t key, key_length;  /* object members: the decoded key in the strings block */
    size_t str, str_length;  /* strings: the decoded value in the strings block */
    int64_t count;           /* children of an array or object */
    int64_t first, next;
} deep_json_node;

typedef struct deep_json {
    const char *text;
    size_t length;
    deep_json_node *nodes;
    int64_t node_count, node_capacity;
    char *strings;           /* decoded keys and strings, each NUL-terminated */
    size_t strings_length, strings_capacity;
    char error[160];         /* why parsing failed ... */
    size_t error_at;         /* ... and at which byte of the text */
    bool no_memory;
} deep_json;

/* Parses text[0..length) as one JSON value (surrounding blanks allowed). Returns false on
 * malformed text (error, error_at) or exhausted memory (no_memory). Release with
 * deep_json_free in every case. */
bool deep_json_parse(deep_json *doc, const char *text, size_t length);
void deep_json_free(deep_json *doc);

static inline const deep_json_node *deep_json_root(const deep_json *doc)
{
    return &doc->nodes[0];
}
static inline const deep_json_node *deep_json_at(const deep_json *doc, int64_t index)
{
    return index < 0 ? NULL : &doc->nodes[index];
}
static inline const char *deep_json_key(const deep_json *doc, const deep_json_node *member)
{
    return doc->strings + member->key;
}
static inline const char *deep_json_string(const deep_json *doc, const deep_json_node *node)
{
    return doc->strings + node->str;
}

/* Number accessors: false when the node is not a number of that kind or does not fit.
 * deep_json_int accepts only integers written without fraction or exponent. */
bool deep_json_int(const deep_json *doc, const deep_json_node *node, int64_t *value);
bool deep_json_double(const deep_json *doc, const deep_json_node *node, double *value);
bool deep_json_float(const deep_json *doc, const deep_json_node *node, float *value);

#endif
