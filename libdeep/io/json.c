/* The JSON writer helpers and the strict parser of model file headers. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"

#define MAX_DEPTH 64
#define MAX_NUMBER 64

/* ---------------------------------------------------------------- writing */

void deep_json_put_string(deep_bytes *b, const char *s, size_t length)
{
    deep_bytes_put(b, "\"", 1);
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            deep_bytes_put(b, esc, 2);
        } else if (c < 0x20) {
            deep_bytes_printf(b, "\\u%04x", (unsigned)c);
        } else {
            deep_bytes_put(b, &s[i], 1);
        }
    }
    deep_bytes_put(b, "\"", 1);
}

void deep_json_put_key(deep_bytes *b, bool first, const char *key)
{
    if (!first)
        deep_bytes_put(b, ", ", 2);
    deep_json_put_string(b, key, strlen(key));
    deep_bytes_put(b, ": ", 2);
}

void deep_json_put_float(deep_bytes *b, float v)
{
    deep_bytes_printf(b, "%.9g", (double)v);
}

void deep_json_put_double(deep_bytes *b, double v)
{
    deep_bytes_printf(b, "%.17g", v);
}

/* ---------------------------------------------------------------- parsing */

typedef struct parser {
    deep_json *doc;
    size_t at;
    bool failed;
} parser;

static void fail(parser *p, const char *what)
{
    if (p->failed)
        return;
    p->failed = true;
    snprintf(p->doc->error, sizeof p->doc->error, "%s", what);
    p->doc->error_at = p->at;
}

static void out_of_memory(parser *p)
{
    fail(p, "out of memory");
    p->doc->no_memory = true;
}

static int64_t new_node(parser *p, deep_json_type type)
{
    deep_json *d = p->doc;
    if (d->node_count == d->node_capacity) {
        int64_t cap = d->node_capacity ? 2 * d->node_capacity : 64;
        deep_json_node *grown = realloc(d->nodes, (size_t)cap * sizeof *grown);
        if (grown == NULL) {
            out_of_memory(p);
            return -1;
        }
        d->nodes = grown;
        d->node_capacity = cap;
    }
    d->nodes[d->node_count] = (deep_json_node){.type = type, .start = p->at, .first = -1, .next = -1};
    return d->node_count++;
}

static bool push_char(parser *p, char c)
{
    deep_json *d = p->doc;
    if (d->strings_length == d->strings_capacity) {
        size_t cap = d->strings_capacity ? 2 * d->strings_capacity : 1024;
        char *grown = realloc(d->strings, cap);
        if (grown == NULL) {
            out_of_memory(p);
            return false;
        }
        d->strings = grown;
        d->strings_capacity = cap;
    }
    d->strings[d->strings_length++] = c;
    return true;
}

static void skip_blanks(parser *p)
{
    const char *t = p->doc->text;
    while (p->at < p->doc->length && (t[p->at] == ' ' || t[p->at] == '\t' || t[p->at] == '\n' || t[p->at] == '\r'))
        p->at++;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool read_hex4(parser *p, uint32_t *out)
{
    if (p->doc->length - p->at < 4) {
        fail(p, "a \\u escape is cut short");
        return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_digit(p->doc->text[p->at + (size_t)i]);
        if (h < 0) {
            fail(p, "a \\u escape needs four hexadecimal digits");
            return false;
        }
        v = v * 16 + (uint32_t)h;
    }
    p->at += 4;
    *out = v;
    return true;
}

static bool push_utf8(parser *p, uint32_t cp)
{
    char out[4];
    int n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    for (int i = 0; i < n; i++)
        if (!push_char(p, out[i]))
            return false;
    return true;
}

/* A string at p->at (its opening quote), decoded into the strings block. */
static bool read_string(parser *p, size_t *offset, size_t *length)
{
    const char *t = p->doc->text;
    p->at++; /* the opening quote */
    *offset = p->doc->strings_length;
    for (;;) {
        if (p->at >= p->doc->length) {
            fail(p, "a string is not closed");
            return false;
        }
        unsigned char c = (unsigned char)t[p->at];
        if (c == '"') {
            p->at++;
            break;
        }
        if (c < 0x20) {
            fail(p, "a control character inside a string");
            return false;
        }
        if (c != '\\') {
            if (!push_char(p, (char)c))
                return false;
            p->at++;
            continue;
        }
        if (++p->at >= p->doc->length) {
            fail(p, "a string is not closed");
            return false;
        }
        char e = t[p->at++];
        const char *plain = strchr("\"\\/bfnrt", e);
        if (e != '\0' && plain != NULL) {
            static const char decoded[] = "\"\\/\b\f\n\r\t";
            if (!push_char(p, decoded[plain - "\"\\/bfnrt"]))
                return false;
            continue;
        }
        if (e != 'u') {
            p->at--;
            fail(p, "an unknown escape in a string");
            return false;
        }
        uint32_t cp;
        if (!read_hex4(p, &cp))
            return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail(p, "a lone low surrogate in a string");
            return false;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (p->doc->length - p->at < 2 || t[p->at] != '\\' || t[p->at + 1] != 'u') {
                fail(p, "a high surrogate without its low half");
                return false;
            }
            p->at += 2;
            if (!read_hex4(p, &low))
                return false;
            if (low < 0xDC00 || low > 0xDFFF) {
                fail(p, "a high surrogate without its low half");
                return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (cp == 0) {
            fail(p, "\\u0000 is not allowed in a string");
            return false;
        }
        if (!push_utf8(p, cp))
            return false;
    }
    *length = p->doc->strings_length - *offset;
    return push_char(p, '\0');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Checks the number grammar; the value is read later by the accessors. */
static void read_number(parser *p)
{
    const char *t = p->doc->text;
    size_t n = p->doc->length, start = p->at;
    if (p->at < n && t[p->at] == '-')
        p->at++;
    if (p->at < n && t[p->at] == '0') {
        p->at++;
    } else if (p->at < n && is_digit(t[p->at])) {
        while (p->at < n && is_digit(t[p->at]))
            p->at++;
    } else {
        fail(p, "a malformed number");
        return;
    }
    if (p->at < n && t[p->at] == '.') {
        p->at++;
        if (p->at >= n || !is_digit(t[p->at])) {
            fail(p, "a malformed number");
            return;
        }
        while (p->at < n && is_digit(t[p->at]))
            p->at++;
    }
    if (p->at < n && (t[p->at] == 'e' || t[p->at] == 'E')) {
        p->at++;
        if (p->at < n && (t[p->at] == '+' || t[p->at] == '-'))
            p->at++;
        if (p->at >= n || !is_digit(t[p->at])) {
            fail(p, "a malformed number");
            return;
        }
        while (p->at < n && is_digit(t[p->at]))
            p->at++;
    }
    if (p->at - start >= MAX_NUMBER) {
        p->at = start;
        fail(p, "a number is too long");
    }
}

static bool literal(parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->doc->length - p->at < n || memcmp(p->doc->text + p->at, word, n) != 0) {
        fail(p, "an unexpected character");
        return false;
    }
    p->at += n;
    return true;
}

static int64_t read_value(parser *p, int depth);

/* Items of an array or members of an object, up to the closing bracket. */
static void read_children(parser *p, int64_t self, bool object, int depth)
{
    const char *t = p->doc->text;
    char close = object ? '}' : ']';
    p->at++;
    skip_blanks(p);
    if (p->at < p->doc->length && t[p->at] == close) {
        p->at++;
        return;
    }
    int64_t last = -1;
    for (;;) {
        size_t key = 0, key_length = 0;
        if (object) {
            skip_blanks(p);
            if (p->at >= p->doc->length || t[p->at] != '"') {
                fail(p, "an object key must be a string");
                return;
            }
            if (!read_string(p, &key, &key_length))
                return;
            skip_blanks(p);
            if (p->at >= p->doc->length || t[p->at] != ':') {
                fail(p, "':' expected after an object key");
                return;
            }
            p->at++;
        }
        int64_t child = read_value(p, depth + 1);
        if (child < 0)
            return;
        deep_json_node *c = &p->doc->nodes[child];
        c->key = key;
        c->key_length = key_length;
        if (last < 0)
            p->doc->nodes[self].first = child;
        else
            p->doc->nodes[last].next = child;
        last = child;
        p->doc->nodes[self].count++;
        skip_blanks(p);
        if (p->at < p->doc->length && t[p->at] == ',') {
            p->at++;
            continue;
        }
        if (p->at < p->doc->length && t[p->at] == close) {
            p->at++;
            return;
        }
        fail(p, object ? "',' or '}' expected in an object" : "',' or ']' expected in an array");
        return;
    }
}

static int64_t read_value(parser *p, int depth)
{
    skip_blanks(p);
    if (p->at >= p->doc->length) {
        fail(p, "the text ends where a value is expected");
        return -1;
    }
    if (depth > MAX_DEPTH) {
        fail(p, "values are nested too deeply");
        return -1;
    }
    char c = p->doc->text[p->at];
    int64_t self;
    switch (c) {
    case '{':
    case '[':
        if ((self = new_node(p, c == '{' ? DEEP_JSON_OBJECT : DEEP_JSON_ARRAY)) < 0)
            return -1;
        read_children(p, self, c == '{', depth);
        break;
    case '"': {
        if ((self = new_node(p, DEEP_JSON_STRING)) < 0)
            return -1;
        size_t offset = 0, length = 0;
        if (read_string(p, &offset, &length)) {
            p->doc->nodes[self].str = offset;
            p->doc->nodes[self].str_length = length;
        }
        break;
    }
    case 't':
    case 'f':
    case 'n':
        if ((self = new_node(p, c == 't' ? DEEP_JSON_TRUE : c == 'f' ? DEEP_JSON_FALSE : DEEP_JSON_NULL)) < 0)
            return -1;
        literal(p, c == 't' ? "true" : c == 'f' ? "false" : "null");
        break;
    default:
        if (c != '-' && !is_digit(c)) {
            fail(p, "an unexpected character");
            return -1;
        }
        if ((self = new_node(p, DEEP_JSON_NUMBER)) < 0)
            return -1;
        read_number(p);
        break;
    }
    if (p->failed)
        return -1;
    p->doc->nodes[self].end = p->at;
    return self;
}

bool deep_json_parse(deep_json *doc, const char *text, size_t length)
{
    *doc = (deep_json){.text = text, .length = length};
    parser p = {.doc = doc};
    /* The empty string, so that key offset 0 of non-members reads as "". */
    if (!push_char(&p, '\0'))
        return false;
    if (read_value(&p, 0) < 0)
        return false;
    skip_blanks(&p);
    if (p.at != length) {
        fail(&p, "unexpected text after the value");
        return false;
    }
    return true;
}

void deep_json_free(deep_json *doc)
{
    free(doc->nodes);
    free(doc->strings);
    doc->nodes = NULL;
    doc->strings = NULL;
}

/* ---------------------------------------------------------------- numbers */

static bool number_text(const deep_json *doc, const deep_json_node *node, char *buf)
{
    if (node == NULL || node->type != DEEP_JSON_NUMBER || node->end - node->start >= MAX_NUMBER)
        return false;
    memcpy(buf, doc->text + node->start, node->end - node->start);
    buf[node->end - node->start] = '\0';
    return true;
}

bool deep_json_int(const deep_json *doc, const deep_json_node *node, int64_t *value)
{
    char buf[MAX_NUMBER];
    if (!number_text(doc, node, buf) || strpbrk(buf, ".eE") != NULL)
        return false;
    bool negative = buf[0] == '-';
    uint64_t v = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (const char *c = buf + negative; *c; c++) {
        uint64_t d = (uint64_t)(*c - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *value = negative ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return true;
}

bool deep_json_double(const deep_json *doc, const deep_json_node *node, double *value)
{
    char buf[MAX_NUMBER], *end;
    if (!number_text(doc, node, buf))
        return false;
    double v = strtod(buf, &end);
    if (*end != '\0' || !isfinite(v))
        return false;
    *value = v;
    return true;
}

bool deep_json_float(const deep_json *doc, const deep_json_node *node, float *value)
{
    char buf[MAX_NUMBER], *end;
    if (!number_text(doc, node, buf))
        return false;
    float v = strtof(buf, &end);
    if (*end != '\0' || !isfinite(v))
        return false;
    *value = v;
    return true;
}
