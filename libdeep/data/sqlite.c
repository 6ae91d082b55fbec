/* SQLite tables: a query's rows loaded as a typed table (text columns as categories, NULL
 * as missing), and a table written back. Parameters are bound, never pasted into SQL;
 * table and column names, which SQL cannot bind, are quoted as identifiers. Built without
 * SQLite (meson option sqlite), both calls say so: the ABI does not depend on the build. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data.h"
#include "io/file.h"

#ifndef DEEP_HAVE_SQLITE

deep_status deep_dataset_load_sqlite(const char *database, const char *query, const char *const *parameters,
                                     int64_t parameter_count, const char *label_column, deep_dataset **out)
{
    (void)database, (void)query, (void)parameters, (void)parameter_count, (void)label_column;
    if (out != NULL)
        *out = NULL;
    return DEEP_FAIL(DEEP_ERR_UNSUPPORTED, "this libdeep was built without SQLite (meson option sqlite, Debian's "
                     "libsqlite3-dev)");
}

deep_status deep_dataset_write_sqlite(const deep_dataset *dataset, const char *database, const char *table,
                                      int32_t replace)
{
    (void)dataset, (void)database, (void)table, (void)replace;
    return DEEP_FAIL(DEEP_ERR_UNSUPPORTED, "this libdeep was built without SQLite (meson option sqlite, Debian's "
                     "libsqlite3-dev)");
}

#else

#include <sqlite3.h>

/* One cell of the result: text (owned), or a number (NaN: NULL). */
struct cell {
    char *text;
    double number;
};

struct result {
    int64_t columns, rows, capacity;
    char **names;       /* columns names, owned */
    struct cell *cells; /* rows * columns */
};

static void result_clear(struct result *r)
{
    for (int64_t i = 0; r->cells && i < r->rows * r->columns; i++)
        free(r->cells[i].text);
    for (int64_t j = 0; r->names && j < r->columns; j++)
        free(r->names[j]);
    free(r->cells);
    free(r->names);
}

/* The status of a failed SQLite call: the file's fault, or the SQL's. */
static deep_status sql_error(const char *caller, sqlite3 *db, int code, const char *what, const char *database)
{
    int primary = code & 0xff;
    deep_status status = primary == SQLITE_NOMEM                                ? DEEP_ERR_NO_MEMORY
                         : primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR ? DEEP_ERR_IO
                         : primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT ? DEEP_ERR_FORMAT
                                                                                 : DEEP_ERR_INVALID_ARGUMENT;
    return deep_error_set(status, caller, "%s on '%s': %s", what, database,
                          db ? sqlite3_errmsg(db) : sqlite3_errstr(code));
}

/* Runs the statement, keeping every row. */
static deep_status read_rows(const char *caller, sqlite3 *db, sqlite3_stmt *st, const char *database,
                             struct result *r)
{
    r->columns = sqlite3_column_count(st);
    if (r->columns == 0)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the query returns no columns");
    if ((r->names = deep_alloc_zero(r->columns, sizeof *r->names)) == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    for (int64_t j = 0; j < r->columns; j++) {
        const char *name = sqlite3_column_name(st, (int)j);
        if ((r->names[j] = strdup(name ? name : "")) == NULL)
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    }
    for (;;) {
        int code = sqlite3_step(st);
        if (code == SQLITE_DONE)
            return DEEP_OK;
        if (code != SQLITE_ROW)
            return sql_error(caller, db, code, "running the query", database);
        if (r->rows == r->capacity) {
            int64_t capacity = r->capacity ? 2 * r->capacity : 64, total;
            struct cell *grown = deep_mul_i64(capacity, r->columns, &total)
                                     ? realloc(r->cells, (size_t)total * sizeof *grown) : NULL;
            if (grown == NULL)
                return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld rows", (long long)capacity);
            r->cells = grown;
            r->capacity = capacity;
        }
        struct cell *row = r->cells + r->rows * r->columns;
        for (int64_t j = 0; j < r->columns; j++)
            row[j] = (struct cell){NULL, NAN};
        r->rows++; /* counted now, so that result_clear frees its texts */
        for (int64_t j = 0; j < r->columns; j++) {
            int type = sqlite3_column_type(st, (int)j);
            if (type == SQLITE_BLOB)
                return deep_error_set(DEEP_ERR_FORMAT, caller, "row %lld, column '%s' holds a BLOB, which is "
                                      "neither a number nor text", (long long)r->rows, r->names[j]);
            if (type == SQLITE_TEXT) {
                const char *text = (const char *)sqlite3_column_text(st, (int)j);
                if ((row[j].text = strdup(text ? text : "")) == NULL)
                    return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
            } else if (type != SQLITE_NULL)
                row[j].number = sqlite3_column_double(st, (int)j);
        }
    }
}

/* The text of a cell of a text column: its text, or its number as SQLite would write it. */
static char *cell_text(struct cell *c)
{
    if (c->text == NULL && !isnan(c->number)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.17g", c->number);
        c->text = strdup(buf);
    }
    return c->text;
}

/* The sorted distinct texts of column j (the cells already converted), into *names. */
static bool distinct_texts(struct result *r, int64_t j, char ***names, int64_t *count)
{
    char **all = deep_alloc(r->rows, sizeof *all);
    if (all == NULL)
        return false;
    int64_t n = 0;
    for (int64_t i = 0; i < r->rows; i++)
        if (r->cells[i * r->columns + j].text)
            all[n++] = r->cells[i * r->columns + j].text;
    qsort(all, (size_t)n, sizeof *all, deep_compare_names);
    int64_t unique = 0;
    for (int64_t i = 0; i < n; i++)
        if (unique == 0 || strcmp(all[unique - 1], all[i]) != 0)
            all[unique++] = all[i];
    *names = all;
    *count = unique;
    return true;
}

static int64_t text_id(char *const *names, int64_t count, const char *text)
{
    char *const *found = bsearch(&text, names, (size_t)count, sizeof *names, deep_compare_names);
    return found - names;
}

/* A class id written as digits, below INT32_MAX; -1 otherwise (as the CSV loader reads one). */
static int64_t digits_id(const char *s)
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

static deep_status set_labels(const char *caller, struct result *r, int64_t at, deep_dataset *d)
{
    bool digits = true;
    for (int64_t i = 0; i < r->rows; i++) {
        struct cell *c = &r->cells[i * r->columns + at];
        if (isnan(c->number) && c->text == NULL)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "row %lld: the label '%s' is NULL", (long long)i + 1,
                                  r->names[at]);
        if (cell_text(c) == NULL)
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
        digits = digits && digits_id(c->text) >= 0;
    }
    char **names = NULL;
    int64_t count = 0;
    if (!digits && (!distinct_texts(r, at, &names, &count) || count > INT32_MAX)) {
        free(names);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the classes");
    }
    d->labels = deep_alloc(r->rows, sizeof *d->labels);
    d->label_name = strdup(r->names[at]);
    if (!digits && d->labels)
        d->class_names = deep_names_copy(names, count);
    bool ok = d->labels && d->label_name && (digits || d->class_names);
    for (int64_t i = 0; ok && i < r->rows; i++) {
        const char *text = r->cells[i * r->columns + at].text;
        d->labels[i] = (int32_t)(digits ? digits_id(text) : text_id(names, count, text));
        d->num_classes = d->labels[i] >= d->num_classes ? d->labels[i] + 1 : d->num_classes;
    }
    free(names);
    return ok ? DEEP_OK : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the labels");
}

#define MAX_CATEGORIES ((int64_t)1 << 24)

static deep_status build(const char *caller, struct result *r, int64_t label_at, deep_dataset **out)
{
    int64_t features = r->columns - (label_at >= 0);
    if (r->rows == 0)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "the query returned no rows");
    if (features == 0)
        return deep_error_set(DEEP_ERR_FORMAT, caller, "the query returns no column besides the label");
    deep_dataset *d;
    DEEP_TRY(deep_dataset_create(caller, r->rows, 1, (int64_t[]){features}, NULL, &d));
    char **names = deep_alloc(features, sizeof *names);
    deep_status status = names ? DEEP_OK : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
    for (int64_t j = 0, k = 0; status == DEEP_OK && j < r->columns; j++) {
        if (j == label_at)
            continue;
        names[k] = r->names[j];
        bool text = false;
        for (int64_t i = 0; i < r->rows && !text; i++)
            text = r->cells[i * r->columns + j].text != NULL;
        if (!text) {
            for (int64_t i = 0; status == DEEP_OK && i < r->rows; i++) {
                double v = r->cells[i * r->columns + j].number;
                if (fabs(v) > 3.4028234663852886e38 && isfinite(v))
                    status = deep_error_set(DEEP_ERR_FORMAT, caller, "row %lld, column '%s': %g is beyond the "
                                            "float range", (long long)i + 1, r->names[j], v);
                d->features[i * features + k] = (float)v;
            }
            k++;
            continue;
        }
        for (int64_t i = 0; status == DEEP_OK && i < r->rows; i++)
            if (!isnan(r->cells[i * r->columns + j].number) && cell_text(&r->cells[i * r->columns + j]) == NULL)
                status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
        char **categories = NULL;
        int64_t count = 0;
        if (status == DEEP_OK && !distinct_texts(r, j, &categories, &count))
            status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the categories");
        if (status == DEEP_OK && count > MAX_CATEGORIES)
            status = deep_error_set(DEEP_ERR_FORMAT, caller, "column '%s' has more than %lld distinct texts",
                                    r->names[j], (long long)MAX_CATEGORIES);
        if (status == DEEP_OK && !deep_categories_set(d, k, categories, count))
            status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the categories");
        for (int64_t i = 0; status == DEEP_OK && i < r->rows; i++) {
            const char *t = r->cells[i * r->columns + j].text;
            d->features[i * features + k] = t ? (float)text_id(categories, count, t) : NAN;
        }
        free(categories);
        k++;
    }
    if (status == DEEP_OK && (d->column_names = deep_names_copy(names, features)) == NULL)
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the column names");
    free(names);
    if (status == DEEP_OK && label_at >= 0)
        status = set_labels(caller, r, label_at, d);
    if (status != DEEP_OK) {
        deep_dataset_free(d);
        return status;
    }
    *out = d;
    return DEEP_OK;
}

/* Opens database: read-only for loading (a regular file that exists), else created. */
static deep_status open_db(const char *caller, const char *database, bool write, sqlite3 **db)
{
    *db = NULL;
    if (!write) {
        int fd;
        int64_t size;
        DEEP_TRY(deep_file_open(caller, database, &fd, &size));
        close(fd);
    }
    int code = sqlite3_open_v2(database, db, write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY,
                               NULL);
    if (code != SQLITE_OK) {
        deep_status status = sql_error(caller, *db, code, "opening the database", database);
        sqlite3_close(*db);
        *db = NULL;
        return status;
    }
    return DEEP_OK;
}

deep_status deep_dataset_load_sqlite(const char *database, const char *query, const char *const *parameters,
                                     int64_t parameter_count, const char *label_column, deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(database);
    DEEP_REQUIRE(query);
    if (parameter_count < 0 || (parameter_count > 0 && parameters == NULL))
        return DEEP_FAIL(parameter_count < 0 ? DEEP_ERR_INVALID_ARGUMENT : DEEP_ERR_NULL,
                         "%lld parameters at %p", (long long)parameter_count, (const void *)parameters);
    sqlite3 *db;
    DEEP_TRY(open_db(__func__, database, false, &db));
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    struct result r = {0};
    int code = sqlite3_prepare_v2(db, query, -1, &st, &tail);
    deep_status status = code == SQLITE_OK ? DEEP_OK : sql_error(__func__, db, code, "preparing the query", database);
    if (status == DEEP_OK && st == NULL)
        status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the query holds no SQL statement");
    if (status == DEEP_OK && tail && strspn(tail, " \t\r\n;") != strlen(tail))
        status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the query holds more than one statement: '%.40s'", tail);
    if (status == DEEP_OK && sqlite3_bind_parameter_count(st) != parameter_count)
        status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the query has %d parameters but %lld were given",
                           sqlite3_bind_parameter_count(st), (long long)parameter_count);
    for (int64_t p = 0; status == DEEP_OK && p < parameter_count; p++) {
        if (parameters[p] == NULL)
            status = DEEP_FAIL(DEEP_ERR_NULL, "parameters[%lld] is NULL", (long long)p);
        else if ((code = sqlite3_bind_text(st, (int)p + 1, parameters[p], -1, SQLITE_TRANSIENT)) != SQLITE_OK)
            status = sql_error(__func__, db, code, "binding a parameter", database);
    }
    if (status == DEEP_OK)
        status = read_rows(__func__, db, st, database, &r);
    int64_t label_at = -1;
    for (int64_t j = 0; status == DEEP_OK && label_column && j < r.columns; j++)
        if (strcmp(r.names[j], label_column) == 0) {
            if (label_at >= 0)
                status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the query returns two columns named '%s'; the label "
                                   "column must be unique", label_column);
            label_at = j;
        }
    if (status == DEEP_OK && label_column && label_at < 0)
        status = DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the query returns no column '%s'", label_column);
    if (status == DEEP_OK)
        status = build(__func__, &r, label_at, out);
    result_clear(&r);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return status;
}

/* ------------------------------------------------------------------------------ writing */

/* A growing SQL text; `failed` sticks once memory runs out. */
struct sql {
    char *text;
    size_t length, capacity;
    bool failed;
};

static void sql_add(struct sql *s, const char *text)
{
    size_t n = strlen(text);
    if (s->failed)
        return;
    if (s->length + n + 1 > s->capacity) {
        size_t capacity = (s->length + n + 1) * 2;
        char *grown = realloc(s->text, capacity);
        if (grown == NULL) {
            s->failed = true;
            return;
        }
        s->text = grown;
        s->capacity = capacity;
    }
    memcpy(s->text + s->length, text, n + 1);
    s->length += n;
}

/* An identifier in double quotes, its quotes doubled: names are quoted, never bound. */
static void sql_identifier(struct sql *s, const char *name)
{
    sql_add(s, "\"");
    for (const char *p = name; *p; p++)
        sql_add(s, *p == '"' ? "\"\"" : (char[]){*p, '\0'});
    sql_add(s, "\"");
}

static const char *column_name(const deep_dataset *d, int64_t j, char *buf, size_t capacity)
{
    if (d->column_names)
        return d->column_names[j];
    snprintf(buf, capacity, "f%lld", (long long)j);
    return buf;
}

static deep_status exec(const char *caller, sqlite3 *db, const char *sql, const char *database, const char *what)
{
    int code = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return code == SQLITE_OK ? DEEP_OK : sql_error(caller, db, code, what, database);
}

/* CREATE TABLE and INSERT statements of the dataset into create and insert. */
static void statements(const deep_dataset *d, const char *table, int32_t replace, struct sql *create,
                       struct sql *insert)
{
    char buf[32];
    if (replace) {
        sql_add(create, "DROP TABLE IF EXISTS ");
        sql_identifier(create, table);
        sql_add(create, "; ");
    }
    sql_add(create, "CREATE TABLE ");
    sql_identifier(create, table);
    sql_add(create, " (");
    sql_add(insert, "INSERT INTO ");
    sql_identifier(insert, table);
    sql_add(insert, " VALUES (");
    for (int64_t j = 0; j <= d->sample_size; j++) {
        bool label = j == d->sample_size;
        if (label && d->labels == NULL)
            break;
        sql_add(create, j ? ", " : "");
        sql_identifier(create, label ? (d->label_name ? d->label_name : "label") : column_name(d, j, buf, sizeof buf));
        sql_add(create, label ? (d->class_names ? " TEXT" : " INTEGER")
                              : deep_column_is_categorical(d, j) ? " TEXT" : " REAL");
        sql_add(insert, j ? ", ?" : "?");
    }
    sql_add(create, ")");
    sql_add(insert, ")");
}

static deep_status insert_rows(const char *caller, sqlite3 *db, sqlite3_stmt *st, const deep_dataset *d,
                               const float *values, const char *database)
{
    for (int64_t i = 0; i < d->count; i++) {
        for (int64_t j = 0; j < d->sample_size; j++) {
            float v = values[i * d->sample_size + j];
            int p = (int)j + 1;
            if (isnan(v))
                sqlite3_bind_null(st, p);
            else if (deep_column_is_categorical(d, j))
                sqlite3_bind_text(st, p, d->categories[j][(int64_t)v], -1, SQLITE_STATIC);
            else
                sqlite3_bind_double(st, p, v);
        }
        if (d->labels && d->class_names)
            sqlite3_bind_text(st, (int)d->sample_size + 1, d->class_names[d->labels[i]], -1, SQLITE_STATIC);
        else if (d->labels)
            sqlite3_bind_int(st, (int)d->sample_size + 1, d->labels[i]);
        int code = sqlite3_step(st);
        if (code != SQLITE_DONE)
            return sql_error(caller, db, code, "inserting a row", database);
        sqlite3_reset(st);
    }
    return DEEP_OK;
}

deep_status deep_dataset_write_sqlite(const deep_dataset *dataset, const char *database, const char *table,
                                      int32_t replace)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(database);
    DEEP_REQUIRE(table);
    if (replace != 0 && replace != 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "replace is %d; it is a 0/1 flag", (int)replace);
    if (dataset->sample_size > 32766)
        return DEEP_FAIL(DEEP_ERR_UNSUPPORTED, "%lld columns are more than SQLite's limit",
                         (long long)dataset->sample_size);
    const char *label = dataset->label_name ? dataset->label_name : "label";
    for (int64_t j = 0; dataset->labels && j < dataset->sample_size; j++) {
        char buf[32];
        if (strcmp(column_name(dataset, j, buf, sizeof buf), label) == 0)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the label column and feature column %lld are both named "
                             "'%s'", (long long)j, label);
    }
    const float *values;
    DEEP_TRY(deep_dataset_values(__func__, dataset, &values));
    struct sql create = {0}, insert = {0};
    statements(dataset, table, replace, &create, &insert);
    if (create.failed || insert.failed) {
        free(create.text);
        free(insert.text);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the SQL statements");
    }
    sqlite3 *db;
    deep_status status = open_db(__func__, database, true, &db);
    sqlite3_stmt *st = NULL;
    if (status == DEEP_OK)
        status = exec(__func__, db, "BEGIN", database, "starting a transaction");
    if (status == DEEP_OK)
        status = exec(__func__, db, create.text, database, "creating the table");
    if (status == DEEP_OK) {
        int code = sqlite3_prepare_v2(db, insert.text, -1, &st, NULL);
        status = code == SQLITE_OK ? DEEP_OK : sql_error(__func__, db, code, "preparing the insert", database);
    }
    if (status == DEEP_OK)
        status = insert_rows(__func__, db, st, dataset, values, database);
    sqlite3_finalize(st);
    if (status == DEEP_OK)
        status = exec(__func__, db, "COMMIT", database, "committing");
    if (status != DEEP_OK && db)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    free(create.text);
    free(insert.text);
    return status;
}

#endif
