/* CSV tables: a header row, then one sample per row. The parser works on text in memory,
 * so that it can be fuzzed; the loader reads the file and hands it over. Numbers are read
 * and written in the "C" locale whatever the program set, so that files travel. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/c_locale.h"
#include "data/data.h"
#include "io/file.h"

/* ------------------------------------------------------------------------------ reading */

/* A growing list of owned strings: the header's names, then the label classes. */
struct names {
    char **items;
    int64_t count, capacity;
};

static bool names_push(struct names *n, const char *s)
{
    if (n->count == n->capacity) {
        int64_t capacity = n->capacity ? 2 * n->capacity : 16;
        char **grown = realloc(n->items, (size_t)capacity * sizeof *grown);
        if (grown == NULL)
            return false;
        n->items = grown;
        n->capacity = capacity;
    }
    if ((n->items[n->count] = strdup(s)) == NULL)
        return false;
    n->count++;
    return true;
}

static void names_clear(struct names *n)
{
    for (int64_t i = 0; i < n->count; i++)
        free(n->items[i]);
    free(n->items);
}

/* Where the parser is, and the fields of the current record: field i is the NUL-terminated
 * string at text + start[i], quotes removed. Both buffers are reused from row to row. */
struct parser {
    const char *caller, *name;
    const char *p, *end;
    int64_t line;        /* physical line of p, from 1 */
    int64_t record_line; /* where the current record starts */
    char *text;
    size_t length, capacity;
    size_t *start;
    int64_t fields, field_capacity;
};

static deep_status no_memory(const struct parser *ps)
{
    return deep_error_set(DEEP_ERR_NO_MEMORY, ps->caller, "out of memory reading '%s'", ps->name);
}

static bool put(struct parser *ps, char c)
{
    if (ps->length == ps->capacity) {
        size_t capacity = ps->capacity ? 2 * ps->capacity : 256;
        char *grown = realloc(ps->text, capacity);
        if (grown == NULL)
            return false;
        ps->text = grown;
        ps->capacity = capacity;
    }
    ps->text[ps->length++] = c;
    return true;
}

static bool begin_field(struct parser *ps)
{
    if (ps->fields == ps->field_capacity) {
        int64_t capacity = ps->field_capacity ? 2 * ps->field_capacity : 16;
        size_t *grown = realloc(ps->start, (size_t)capacity * sizeof *grown);
        if (grown == NULL)
            return false;
        ps->start = grown;
        ps->field_capacity = capacity;
    }
    ps->start[ps->fields++] = ps->length;
    return true;
}

static const char *field(const struct parser *ps, int64_t i)
{
    return ps->text + ps->start[i];
}

/* A line ends at LF, at CRLF, or at the end of the text. */
static bool at_line_end(const struct parser *ps)
{
    return ps->p == ps->end || *ps->p == '\n' || (*ps->p == '\r' && (ps->p + 1 == ps->end || ps->p[1] == '\n'));
}

static void skip_line_end(struct parser *ps)
{
    if (ps->p < ps->end && *ps->p == '\r')
        ps->p++;
    if (ps->p < ps->end) {
        ps->p++;
        ps->line++;
    }
}

/* Reads the next record that is not a blank line; *got is false at the end of the text. */
static deep_status next_record(struct parser *ps, bool *got)
{
    while (ps->p < ps->end && at_line_end(ps))
        skip_line_end(ps);
    *got = ps->p < ps->end;
    ps->fields = 0;
    ps->length = 0;
    ps->record_line = ps->line;
    while (*got) {
        if (!begin_field(ps))
            return no_memory(ps);
        if (ps->p < ps->end && *ps->p == '"') { /* RFC 4180: commas and newlines inside, "" for a quote */
            ps->p++;
            for (;;) {
                if (ps->p == ps->end)
                    return deep_error_set(DEEP_ERR_FORMAT, ps->caller, "%s:%lld: column %lld: a quoted field is not closed",
                                          ps->name, (long long)ps->record_line, (long long)ps->fields);
                char c = *ps->p++;
                if (c == '"' && (ps->p == ps->end || *ps->p != '"'))
                    break;
                if (c == '"')
                    ps->p++;
                ps->line += c == '\n';
                if (!put(ps, c))
                    return no_memory(ps);
            }
            if (!at_line_end(ps) && *ps->p != ',')
                return deep_error_set(DEEP_ERR_FORMAT, ps->caller, "%s:%lld: column %lld: text after the closing quote",
                                      ps->name, (long long)ps->line, (long long)ps->fields);
        } else {
            while (!at_line_end(ps) && *ps->p != ',')
                if (!put(ps, *ps->p++))
                    return no_memory(ps);
        }
        if (!put(ps, '\0'))
            return no_memory(ps);
        if (at_line_end(ps)) {
            skip_line_end(ps);
            break;
        }
        ps->p++; /* the comma */
    }
    return DEEP_OK;
}

/* Removes the blanks around s in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* A feature cell: a number, or one of the spellings of a missing value (NaN). Returns
 * NULL, or what is wrong with the cell. */
static const char *parse_feature(char *cell, float *value)
{
    char *s = trim(cell), *end;
    if (*s == '\0' || strcmp(s, "NA") == 0 || strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0) {
        *value = NAN;
        return NULL;
    }
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return "is not a number";
    /* Converting a double beyond the float range to float is undefined behaviour. */
    if ((errno == ERANGE && isinf(v)) || (isfinite(v) && fabs(v) > FLT_MAX))
        return "is beyond the float range";
    *value = (float)v;
    return NULL;
}

/* A class id written as digits, below INT32_MAX so that the class count fits too; -1 otherwise. */
static int64_t parse_class_id(const char *s)
{
    int64_t id = 0;
    if (*s == '\0' || strlen(s) > 10)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        id = id * 10 + (*s - '0');
    }
    return id < INT32_MAX ? id : -1;
}

/* Distinct strings numbered by first appearance: a hash table of ids into `names`. */
struct dict {
    struct names names;
    int32_t *slots; /* -1: empty; slot_count a power of two */
    int64_t slot_count;
};

/* Everything a parse builds, freed in one place whatever happened. */
struct table {
    struct names header;
    struct dict classes;
    int64_t label_at; /* the label column, or -1 */
    int64_t features, rows, row_capacity;
    float *values;
    int32_t *by_name;   /* each row's class id: by first appearance, then (sort_classes) by name */
    int64_t *by_digits; /* each row's class id when written as digits, else -1 */
    bool all_digits;
    /* deep_dataset_load_csv_typed: text[k] tells that feature k has a cell that is not a
     * number, and texts[k] numbers its distinct cells; both NULL for the numeric loader. */
    bool *text;
    struct dict *texts;
};

/* "a, b, c" for the message about an unknown label column, cut short for long headers. */
static void list_columns(const struct names *header, char *buf, size_t capacity)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int64_t i = 0; i < header->count && used + 1 < capacity; i++) {
        int n = snprintf(buf + used, capacity - used, "%s'%s'", i ? ", " : "", header->items[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used >= capacity && capacity > 4)
        memcpy(buf + capacity - 4, "...", 4);
}

static deep_status read_header(struct parser *ps, struct table *t, const char *label_column)
{
    bool got;
    DEEP_TRY(next_record(ps, &got));
    if (!got)
        return deep_error_set(DEEP_ERR_FORMAT, ps->caller, "'%s' is empty; a header row is needed", ps->name);
    for (int64_t j = 0; j < ps->fields; j++) {
        if (!names_push(&t->header, field(ps, j)))
            return no_memory(ps);
        if (label_column && strcmp(field(ps, j), label_column) == 0) {
            /* Taking the first of two would silently train on the wrong column. */
            if (t->label_at >= 0)
                return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, ps->caller,
                                      "'%s' has two columns named '%s' (columns %lld and %lld); the label "
                                      "column must be unique", ps->name, label_column,
                                      (long long)t->label_at + 1, (long long)j + 1);
            t->label_at = j;
        }
    }
    if (label_column && t->label_at < 0) {
        char list[512];
        list_columns(&t->header, list, sizeof list);
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, ps->caller, "'%s' has no column '%s'; its columns are %s",
                              ps->name, label_column, list);
    }
    t->features = ps->fields - (t->label_at >= 0);
    if (t->features == 0)
        return deep_error_set(DEEP_ERR_FORMAT, ps->caller, "'%s' has no feature columns besides the label",
                              ps->name);
    return DEEP_OK;
}

static uint64_t hash_text(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The slot holding name s, or the empty slot where it belongs (linear probing). */
static int64_t find_slot(const int32_t *slots, int64_t slot_count, char *const *names, const char *s)
{
    uint64_t mask = (uint64_t)slot_count - 1, h = hash_text(s) & mask;
    while (slots[h] >= 0 && strcmp(names[slots[h]], s) != 0)
        h = (h + 1) & mask;
    return (int64_t)h;
}

/* The id of s in d, added when new; false when out of memory or beyond `limit` names. A
 * hash table kept at most half full, so that a column of many distinct strings (an id
 * column chosen by mistake) still loads in linear time. */
static bool dict_id(struct dict *d, const char *s, int64_t limit, int32_t *id)
{
    if (2 * (d->names.count + 1) > d->slot_count) {
        int64_t n = d->slot_count ? 2 * d->slot_count : 64;
        int32_t *slots = deep_alloc(n, sizeof *slots);
        if (slots == NULL)
            return false;
        memset(slots, 0xff, (size_t)n * sizeof *slots); /* all -1 */
        for (int64_t c = 0; c < d->names.count; c++)
            slots[find_slot(slots, n, d->names.items, d->names.items[c])] = (int32_t)c;
        free(d->slots);
        d->slots = slots;
        d->slot_count = n;
    }
    int64_t at = find_slot(d->slots, d->slot_count, d->names.items, s);
    if (d->slots[at] < 0) {
        if (d->names.count >= limit || !names_push(&d->names, s))
            return false;
        d->slots[at] = (int32_t)(d->names.count - 1);
    }
    *id = d->slots[at];
    return true;
}

static void dict_clear(struct dict *d)
{
    names_clear(&d->names);
    free(d->slots);
}

static bool class_id(struct table *t, const char *s, int32_t *id)
{
    return dict_id(&t->classes, s, INT32_MAX, id);
}

/* Records the label cell of the current row. */
static deep_status read_label(struct parser *ps, struct table *t, char *cell)
{
    char *s = trim(cell);
    if (*s == '\0')
        return deep_error_set(DEEP_ERR_FORMAT, ps->caller, "%s:%lld: column %lld (%s): the label is missing",
                              ps->name, (long long)ps->record_line, (long long)t->label_at + 1,
                              t->header.items[t->label_at]);
    if (!class_id(t, s, &t->by_name[t->rows]))
        return no_memory(ps);
    t->by_digits[t->rows] = parse_class_id(s);
    t->all_digits = t->all_digits && t->by_digits[t->rows] >= 0;
    return DEEP_OK;
}

/* The spellings of a missing cell, after trimming. */
static bool is_missing(const char *s)
{
    return *s == '\0' || strcmp(s, "NA") == 0 || strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0;
}

/* Categories are stored as float ids, exact up to 2^24. */
#define MAX_CATEGORIES ((int64_t)1 << 24)

/* Records a cell of text column j (feature k) as its category id, or NaN when missing. */
static deep_status read_text(struct parser *ps, struct table *t, int64_t j, char *cell, float *value)
{
    char *s = trim(cell);
    int32_t id;
    int64_t k = j - (t->label_at >= 0 && j > t->label_at);
    if (is_missing(s)) {
        *value = NAN;
        return DEEP_OK;
    }
    if (!dict_id(&t->texts[k], s, MAX_CATEGORIES, &id))
        return t->texts[k].names.count >= MAX_CATEGORIES
                   ? deep_error_set(DEEP_ERR_FORMAT, ps->caller, "%s:%lld: column %lld (%s) has more than %lld "
                                    "distinct texts", ps->name, (long long)ps->record_line, (long long)j + 1,
                                    t->header.items[j], (long long)MAX_CATEGORIES)
                   : no_memory(ps);
    *value = (float)id;
    return DEEP_OK;
}

/* The typed loader's first pass: a feature column is text when one of its present cells is
 * not a number (as pandas gives such a column the object dtype). Ragged rows are left to
 * read_rows, which reports them. The parser is put back where it was. */
static deep_status find_text_columns(struct parser *ps, struct table *t)
{
    t->text = deep_alloc_zero(t->features, sizeof *t->text);
    t->texts = deep_alloc_zero(t->features, sizeof *t->texts);
    if (t->text == NULL || t->texts == NULL)
        return no_memory(ps);
    const char *p = ps->p;
    int64_t line = ps->line;
    for (;;) {
        bool got;
        DEEP_TRY(next_record(ps, &got));
        if (!got)
            break;
        for (int64_t j = 0, k = 0; j < ps->fields && j < t->header.count; j++) {
            float v;
            if (j == t->label_at)
                continue;
            if (!t->text[k] && parse_feature(ps->text + ps->start[j], &v) != NULL)
                t->text[k] = true;
            k++;
        }
    }
    ps->p = p;
    ps->line = line;
    return DEEP_OK;
}

/* Room for one more row. */
static bool grow_rows(struct table *t)
{
    if (t->rows < t->row_capacity)
        return true;
    int64_t capacity = t->row_capacity ? 2 * t->row_capacity : 64, total;
    if (!deep_mul_i64(capacity, t->features, &total) || (uint64_t)total > SIZE_MAX / sizeof(float))
        return false;
    float *values = realloc(t->values, (size_t)total * sizeof *values);
    if (values == NULL)
        return false;
    t->values = values;
    if (t->label_at >= 0) {
        int32_t *by_name = realloc(t->by_name, (size_t)capacity * sizeof *by_name);
        if (by_name == NULL)
            return false;
        t->by_name = by_name;
        int64_t *by_digits = realloc(t->by_digits, (size_t)capacity * sizeof *by_digits);
        if (by_digits == NULL)
            return false;
        t->by_digits = by_digits;
    }
    t->row_capacity = capacity;
    return true;
}

static deep_status read_rows(struct parser *ps, struct table *t)
{
    int64_t columns = t->header.count;
    for (;;) {
        bool got;
        DEEP_TRY(next_record(ps, &got));
        if (!got)
            break;
        if (ps->fields != columns)
            return deep_error_set(DEEP_ERR_FORMAT, ps->caller, "%s:%lld: %lld fields but the header has %lld",
                                  ps->name, (long long)ps->record_line, (long long)ps->fields, (long long)columns);
        if (!grow_rows(t))
            return no_memory(ps);
        float *row = t->values + t->rows * t->features;
        for (int64_t j = 0, k = 0; j < columns; j++) {
            char *cell = ps->text + ps->start[j];
            const char *wrong = NULL;
            if (j == t->label_at)
                DEEP_TRY(read_label(ps, t, cell));
            else if (t->text && t->text[k])
                DEEP_TRY(read_text(ps, t, j, cell, &row[k++]));
            else if ((wrong = parse_feature(cell, &row[k++])) != NULL)
                return deep_error_set(DEEP_ERR_FORMAT, ps->caller, "%s:%lld: column %lld (%s): '%.40s' %s", ps->name,
                                      (long long)ps->record_line, (long long)j + 1, t->header.items[j], trim(cell),
                                      wrong);
        }
        t->rows++;
    }
    if (t->rows == 0)
        return deep_error_set(DEEP_ERR_FORMAT, ps->caller, "'%s' has a header but no data rows", ps->name);
    return DEEP_OK;
}

int deep_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Renumbers strings in sorted (byte-wise) order, as scikit-learn's LabelEncoder and pandas'
 * categories: dict_sort sorts d's names and returns the new id of each old one (NULL when
 * out of memory); sort_classes rewrites by_name with it, so that two files holding the same
 * classes give them the same ids whatever order they appear in. */
static int32_t *dict_sort(struct dict *d)
{
    int64_t n = d->names.count;
    char **sorted = deep_alloc(n, sizeof *sorted);
    int32_t *rank = deep_alloc(n, sizeof *rank);
    if (sorted && rank) {
        memcpy(sorted, d->names.items, (size_t)n * sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, deep_compare_names);
        /* The old id of each name is its slot in the hash table. */
        for (int64_t c = 0; c < n; c++)
            rank[d->slots[find_slot(d->slots, d->slot_count, d->names.items, sorted[c])]] = (int32_t)c;
        memcpy(d->names.items, sorted, (size_t)n * sizeof *sorted);
    }
    free(sorted);
    if (sorted == NULL) {
        free(rank);
        return NULL;
    }
    return rank;
}

static bool sort_classes(struct table *t)
{
    int32_t *rank = dict_sort(&t->classes);
    for (int64_t i = 0; rank && i < t->rows; i++)
        t->by_name[i] = rank[t->by_name[i]];
    free(rank);
    return rank != NULL;
}

/* Sorts the categories of every text column and renumbers its cells accordingly. */
static bool sort_texts(struct table *t)
{
    for (int64_t k = 0; t->text && k < t->features; k++) {
        if (!t->text[k])
            continue;
        int32_t *rank = dict_sort(&t->texts[k]);
        if (rank == NULL)
            return false;
        for (int64_t i = 0; i < t->rows; i++) {
            float *v = &t->values[i * t->features + k];
            if (!isnan(*v))
                *v = (float)rank[(int64_t)*v];
        }
        free(rank);
    }
    return true;
}

/* Moves the table's buffers into a new dataset. */
static deep_status build_dataset(const char *caller, struct table *t, deep_dataset **out)
{
    deep_dataset *d;
    if (!sort_texts(t))
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the categories of a table");
    DEEP_TRY(deep_dataset_create(caller, t->rows, 1, (int64_t[]){t->features}, t->values, &d));
    t->values = NULL;
    /* The feature names are the header without the label column. */
    if (t->label_at >= 0) {
        d->label_name = t->header.items[t->label_at];
        memmove(t->header.items + t->label_at, t->header.items + t->label_at + 1,
                (size_t)(t->header.count - t->label_at - 1) * sizeof(char *));
        t->header.count--;
    }
    bool ok = (d->column_names = deep_names_copy(t->header.items, t->features)) != NULL;
    for (int64_t k = 0; ok && t->text && k < t->features; k++)
        if (t->text[k])
            ok = deep_categories_set(d, k, t->texts[k].names.items, t->texts[k].names.count);
    if (ok && t->label_at >= 0 && !t->all_digits)
        ok = sort_classes(t);
    if (ok && t->label_at >= 0) {
        int32_t *labels = d->labels = deep_alloc(t->rows, sizeof *labels);
        ok = labels != NULL;
        for (int64_t i = 0; ok && i < t->rows; i++) {
            labels[i] = t->all_digits ? (int32_t)t->by_digits[i] : t->by_name[i];
            d->num_classes = labels[i] >= d->num_classes ? labels[i] + 1 : d->num_classes;
        }
        if (ok && !t->all_digits)
            ok = (d->class_names = deep_names_copy(t->classes.names.items, t->classes.names.count)) != NULL;
    }
    if (!ok) {
        deep_dataset_free(d);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the names of a table");
    }
    *out = d;
    return DEEP_OK;
}

deep_status deep_csv_parse(const char *caller, const char *name, const char *text, size_t len,
                           const char *label_column, bool typed, deep_dataset **out)
{
    *out = NULL;
    struct parser ps = {.caller = caller, .name = name, .p = text, .end = text + len, .line = 1};
    struct table t = {.label_at = -1, .all_digits = true};
    deep_c_locale locale = deep_c_locale_begin();
    deep_status status = locale.c != NULL ? DEEP_OK : no_memory(&ps);
    if (status == DEEP_OK)
        status = read_header(&ps, &t, label_column);
    if (status == DEEP_OK && typed)
        status = find_text_columns(&ps, &t);
    if (status == DEEP_OK)
        status = read_rows(&ps, &t);
    deep_c_locale_end(locale);
    if (status == DEEP_OK)
        status = build_dataset(caller, &t, out);
    free(ps.text);
    free(ps.start);
    names_clear(&t.header);
    dict_clear(&t.classes);
    for (int64_t k = 0; t.texts && k < t.features; k++)
        dict_clear(&t.texts[k]);
    free(t.text);
    free(t.texts);
    free(t.values);
    free(t.by_name);
    free(t.by_digits);
    return status;
}

static deep_status load_csv(const char *caller, const char *path, const char *label_column, bool typed,
                            deep_dataset **out)
{
    if (out == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'out' is NULL");
    *out = NULL;
    if (path == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'path' is NULL");
    /* A regular file only (a device or pipe such as /dev/zero would be read until memory
     * runs out), read whole: one that changes size meanwhile is an error, not a cut row. */
    uint8_t *text;
    size_t len;
    DEEP_TRY(deep_file_read(caller, path, &text, &len));
    /* An empty file comes back as NULL, which the parser must not offset. */
    deep_status status =
        deep_csv_parse(caller, path, len > 0 ? (const char *)text : "", len, label_column, typed, out);
    free(text);
    return status;
}

deep_status deep_dataset_load_csv(const char *path, const char *label_column, deep_dataset **out)
{
    return load_csv(__func__, path, label_column, false, out);
}

deep_status deep_dataset_load_csv_typed(const char *path, const char *label_column, deep_dataset **out)
{
    return load_csv(__func__, path, label_column, true, out);
}

/* ------------------------------------------------------------------------------ writing */

/* Buffered output to the atomic writer, whose first failure sticks (w->error) and drops
 * later output, so that the caller checks once at the end. (The library does not use
 * stdio for output: it must never be able to print.) */
struct sink {
    deep_file_writer *w;
    size_t used;
    char buf[16384];
};

static void sink_flush(struct sink *s)
{
    deep_file_put(s->w, s->buf, s->used);
    s->used = 0;
}

static void sink_add(struct sink *s, const char *text, size_t n)
{
    while (n > 0 && !s->w->error) {
        if (s->used == sizeof s->buf)
            sink_flush(s);
        size_t part = n < sizeof s->buf - s->used ? n : sizeof s->buf - s->used;
        memcpy(s->buf + s->used, text, part);
        s->used += part;
        text += part;
        n -= part;
    }
}

/* A text cell after the separator sep, quoted when it holds a separator, a quote, a line
 * break or outer blanks (the reader keeps those in column names), and when it is an empty
 * first cell: alone on its line it would read as a blank line, which is skipped. */
static void sink_text(struct sink *s, const char *sep, const char *text)
{
    sink_add(s, sep, strlen(sep));
    size_t n = strlen(text);
    bool quote = strpbrk(text, ",\"\r\n") != NULL || (n > 0 && (text[0] == ' ' || text[n - 1] == ' ')) ||
                 (n == 0 && *sep == '\0');
    if (!quote) {
        sink_add(s, text, n);
        return;
    }
    sink_add(s, "\"", 1);
    for (const char *q; (q = strchr(text, '"')) != NULL; text = q + 1)
        sink_add(s, text, (size_t)(q - text + 1)), sink_add(s, "\"", 1);
    sink_add(s, text, strlen(text));
    sink_add(s, "\"", 1);
}

/* The header name of feature column j: its name, or f<j>. */
static const char *column_header(const deep_dataset *d, int64_t j, char *buf, size_t capacity)
{
    if (d->column_names)
        return d->column_names[j];
    snprintf(buf, capacity, "f%lld", (long long)j);
    return buf;
}

static void sink_write_table(struct sink *s, const deep_dataset *d, const float *values)
{
    char cell[48];
    for (int64_t j = 0; j < d->sample_size; j++)
        sink_text(s, j ? "," : "", column_header(d, j, cell, sizeof cell));
    if (d->labels)
        sink_text(s, ",", d->label_name ? d->label_name : "label");
    sink_add(s, "\n", 1);
    for (int64_t i = 0; i < d->count && !s->w->error; i++) {
        const float *row = values + i * d->sample_size;
        for (int64_t j = 0; j < d->sample_size; j++) {
            if (isnan(row[j]))
                cell[0] = '\0'; /* missing */
            else if (deep_column_is_categorical(d, j))
                sink_text(s, j ? "," : "", d->categories[j][(int64_t)row[j]]);
            else
                snprintf(cell, sizeof cell, "%.9g", (double)row[j]);
            if (isnan(row[j]) || !deep_column_is_categorical(d, j))
                sink_text(s, j ? "," : "", cell);
        }
        if (d->labels) {
            snprintf(cell, sizeof cell, "%d", (int)d->labels[i]);
            sink_text(s, ",", d->class_names ? d->class_names[d->labels[i]] : cell);
        }
        sink_add(s, "\n", 1);
    }
    sink_flush(s);
}

deep_status deep_dataset_write_csv(const deep_dataset *dataset, const char *path)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(path);
    /* A label column named like a feature could not be told apart on reload (the loader
     * refuses an ambiguous label column), so such a table is not written. */
    const char *label = dataset->label_name ? dataset->label_name : "label";
    for (int64_t j = 0; dataset->labels && j < dataset->sample_size; j++) {
        char buf[48];
        if (strcmp(column_header(dataset, j, buf, sizeof buf), label) == 0)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the label column and feature column %lld are both named "
                             "'%s'; a reload could not tell them apart", (long long)j, label);
    }
    const float *values;
    DEEP_TRY(deep_dataset_values(__func__, dataset, &values));
    /* The atomic save every file writer shares (io/file.h): a temporary file next to the
     * target, renamed over it once complete, keeping its mode and any symbolic link. */
    struct sink *s = malloc(sizeof *s);
    if (s == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory writing '%s'", path);
    deep_file_writer w;
    deep_status status = deep_file_begin(__func__, path, &w);
    if (status != DEEP_OK) {
        free(s);
        return status;
    }
    *s = (struct sink){.w = &w};
    deep_c_locale locale = deep_c_locale_begin();
    if (locale.c != NULL)
        sink_write_table(s, dataset, values);
    deep_c_locale_end(locale);
    free(s);
    status = deep_file_commit(&w, locale.c == NULL ? ECANCELED : 0);
    return locale.c == NULL ? DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the C locale writing '%s'", path) : status;
}
