/* Tests of the SQLite source (since 1.1): a query's rows as a typed table with bound
 * parameters and NULL as missing, and a table written back. Without SQLite in the build
 * the calls must exist and say DEEP_ERR_UNSUPPORTED. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data.h"

#define OK(expr) ck_assert_int_eq((expr), DEEP_OK)
#define FAILS(expr, status, text)                                                                 \
    do {                                                                                         \
        ck_assert_int_eq((expr), (status));                                                      \
        ck_assert_msg(strstr(deep_last_error(), (text)) != NULL, "message '%s' lacks '%s'",     \
                      deep_last_error(), (text));                                                \
    } while (0)

static char dir[64], db[128];

#ifdef DEEP_HAVE_SQLITE
#include <sqlite3.h>

static void make_database(void)
{
    sqlite3 *h;
    unlink(db);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE people (id INTEGER, name TEXT, city TEXT, age REAL, kind TEXT);"
                                     "INSERT INTO people VALUES (1, 'Ann', 'Paris', 31.5, 'a'), (2, 'Bob', NULL, 40, 'b'),"
                                     "(3, 'Eve', 'Lyon', NULL, 'a'), (4, 'Dan', 'Paris', 25, 'b'),"
                                     "(5, 'Zoe', 'Nice', 52, 'a');"
                                     "CREATE TABLE blobs (b BLOB); INSERT INTO blobs VALUES (x'00ff');",
                                     NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
}

START_TEST(load_with_parameters)
{
    make_database();
    deep_dataset *d;
    /* A parameter that would be an injection if pasted: bound, it is only a value. */
    OK(deep_dataset_load_sqlite(db, "SELECT city, age, kind FROM people WHERE id >= ? AND name <> ? ORDER BY id",
                                (const char *[]){"2", "x' OR '1'='1"}, 2, "kind", &d));
    ck_assert_int_eq(d->count, 4);
    ck_assert_int_eq(d->sample_size, 2);
    ck_assert_str_eq(d->column_names[0], "city");
    ck_assert_int_eq(d->category_counts[0], 3); /* Lyon, Nice, Paris */
    ck_assert_str_eq(d->categories[0][2], "Paris");
    ck_assert(isnan(d->features[0]));           /* Bob's NULL city */
    ck_assert(d->features[2] == 0.0f);          /* Lyon */
    ck_assert(isnan(d->features[3]));           /* Eve's NULL age */
    ck_assert(d->features[1] == 40.0f && d->features[5] == 25.0f);
    ck_assert_str_eq(d->class_names[1], "b");
    ck_assert_int_eq(d->labels[0], 1);
    ck_assert_str_eq(d->label_name, "kind");
    /* Written back and read again, the table is the same. */
    OK(deep_dataset_write_sqlite(d, db, "copy \"1\"", 0));
    FAILS(deep_dataset_write_sqlite(d, db, "copy \"1\"", 0), DEEP_ERR_INVALID_ARGUMENT, "already exists");
    OK(deep_dataset_write_sqlite(d, db, "copy \"1\"", 1));
    deep_dataset *back;
    OK(deep_dataset_load_sqlite(db, "SELECT * FROM \"copy \"\"1\"\"\"", NULL, 0, "kind", &back));
    ck_assert_int_eq(back->count, 4);
    for (int64_t i = 0; i < 8; i++)
        ck_assert(isnan(d->features[i]) ? isnan(back->features[i]) : d->features[i] == back->features[i]);
    ck_assert_int_eq(memcmp(d->labels, back->labels, 4 * sizeof *d->labels), 0);
    deep_dataset_free(back);
    deep_dataset_free(d);
    /* Integer labels are class ids. */
    OK(deep_dataset_load_sqlite(db, "SELECT age, id FROM people", NULL, 0, "id", &d));
    ck_assert_int_eq(d->num_classes, 6);
    ck_assert_ptr_null(d->class_names);
    deep_dataset_free(d);
}
END_TEST

START_TEST(load_errors)
{
    make_database();
    deep_dataset *d;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.db", dir);
    FAILS(deep_dataset_load_sqlite(missing, "SELECT 1", NULL, 0, NULL, &d), DEEP_ERR_IO, "deep_dataset_load_sqlite");
    FAILS(deep_dataset_load_sqlite(db, "SELEC age FROM people", NULL, 0, NULL, &d), DEEP_ERR_INVALID_ARGUMENT,
          "syntax error");
    FAILS(deep_dataset_load_sqlite(db, "SELECT age FROM nowhere", NULL, 0, NULL, &d), DEEP_ERR_INVALID_ARGUMENT,
          "no such table");
    FAILS(deep_dataset_load_sqlite(db, "SELECT age FROM people WHERE id = ?", NULL, 0, NULL, &d),
          DEEP_ERR_INVALID_ARGUMENT, "1 parameters but 0");
    FAILS(deep_dataset_load_sqlite(db, "SELECT age FROM people WHERE id > 99", NULL, 0, NULL, &d), DEEP_ERR_FORMAT,
          "no rows");
    FAILS(deep_dataset_load_sqlite(db, "SELECT b FROM blobs", NULL, 0, NULL, &d), DEEP_ERR_FORMAT, "BLOB");
    FAILS(deep_dataset_load_sqlite(db, "SELECT age FROM people; DROP TABLE people", NULL, 0, NULL, &d),
          DEEP_ERR_INVALID_ARGUMENT, "more than one statement");
    FAILS(deep_dataset_load_sqlite(db, "SELECT age, city FROM people", NULL, 0, "town", &d),
          DEEP_ERR_INVALID_ARGUMENT, "'town'");
    FAILS(deep_dataset_load_sqlite(db, "SELECT age, city FROM people", NULL, 0, "city", &d), DEEP_ERR_FORMAT,
          "NULL");
    FAILS(deep_dataset_load_sqlite(db, "SELECT kind FROM people", NULL, 0, "kind", &d), DEEP_ERR_FORMAT,
          "besides the label");
    FAILS(deep_dataset_load_sqlite(db, "DELETE FROM people", NULL, 0, NULL, &d), DEEP_ERR_INVALID_ARGUMENT,
          "no columns");
    ck_assert_ptr_null(d);
    FAILS(deep_dataset_load_sqlite(NULL, "SELECT 1", NULL, 0, NULL, &d), DEEP_ERR_NULL, "'database'");
}
END_TEST

#else

START_TEST(unsupported_without_sqlite)
{
    deep_dataset *d = (deep_dataset *)dir;
    FAILS(deep_dataset_load_sqlite(db, "SELECT 1", NULL, 0, NULL, &d), DEEP_ERR_UNSUPPORTED, "without SQLite");
    ck_assert_ptr_null(d);
    OK(deep_dataset_new(1, 1, (int64_t[]){1}, (float[]){1}, &d));
    FAILS(deep_dataset_write_sqlite(d, db, "t", 0), DEEP_ERR_UNSUPPORTED, "deep_dataset_write_sqlite");
    deep_dataset_free(d);
}
END_TEST

#endif

int main(void)
{
    snprintf(dir, sizeof dir, "%s", "/tmp/libdeep-test-sqlite-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(db, sizeof db, "%s/t.db", dir);
    Suite *s = suite_create("sqlite");
    TCase *tc = tcase_create("sqlite");
#ifdef DEEP_HAVE_SQLITE
    tcase_add_test(tc, load_with_parameters);
    tcase_add_test(tc, load_errors);
#else
    tcase_add_test(tc, unsupported_without_sqlite);
#endif
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    unlink(db);
    rmdir(dir);
    return failed != 0;
}
