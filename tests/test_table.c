/* Tests of tables: CSV loading and writing, names, missing values, describe, concat, k-fold. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data.h"
#include "header_enums.h"

/* The call fails with `status` and the message names the public function. */
#define FAILS(expr, status, func)                                                              \
    do {                                                                                       \
        ck_assert_int_eq((expr), (status));                                                    \
        ck_assert_msg(strstr(deep_last_error(), (func)) != NULL, "message '%s' does not name %s", \
                      deep_last_error(), (func));                                              \
    } while (0)

#define OK(expr) ck_assert_int_eq((expr), DEEP_OK)

/* The last error message contains `text`. */
#define SAYS(text) \
    ck_assert_msg(strstr(deep_last_error(), (text)) != NULL, "message '%s' lacks '%s'", deep_last_error(), (text))

static char tmpdir[64];

static void tmp_path(char *buf, size_t capacity, const char *name)
{
    snprintf(buf, capacity, "%s/%s", tmpdir, name);
}

/* Writes `text` to t.csv in the temporary directory and loads it. */
static deep_status load_text(const char *text, const char *label, deep_dataset **out)
{
    char path[128];
    tmp_path(path, sizeof path, "t.csv");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
    *out = (deep_dataset *)tmpdir; /* must come back NULL on failure */
    deep_status s = deep_dataset_load_csv(path, label, out);
    if (s != DEEP_OK) {
        ck_assert_ptr_null(*out);
        SAYS("deep_dataset_load_csv: ");
    }
    unlink(path);
    return s;
}

static void check_name(deep_status (*query)(const deep_dataset *, int64_t, char *, int64_t, int64_t *),
                       const deep_dataset *d, int64_t index, const char *want)
{
    char buf[64];
    int64_t needed = 0;
    OK(query(d, index, buf, sizeof buf, &needed));
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(needed, (int64_t)strlen(want) + 1);
}

/* deep_dataset_class_name with the signature of deep_dataset_column_name, for check_name. */
static deep_status class_name(const deep_dataset *d, int64_t id, char *buf, int64_t capacity, int64_t *needed)
{
    return deep_dataset_class_name(d, (int32_t)id, buf, capacity, needed);
}

/* ---------------------------------------------------------------------------- loading */

START_TEST(load_basic)
{
    /* Label in the middle, string classes, blanks around numbers, no final newline. */
    deep_dataset *d;
    OK(load_text("a,species,b\n1.5,cat, 2\n-3,dog,4e1 \n0.25,cat,7", "species", &d));
    ck_assert_int_eq(d->count, 3);
    ck_assert_int_eq(d->sample_rank, 1);
    ck_assert_int_eq(d->sample_shape[0], 2);
    const float want[] = {1.5f, 2, -3, 40, 0.25f, 7};
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(d->features[i], want[i]);
    ck_assert_int_eq(d->num_classes, 2);
    ck_assert_int_eq(d->labels[0], 0);
    ck_assert_int_eq(d->labels[1], 1);
    ck_assert_int_eq(d->labels[2], 0);
    check_name(deep_dataset_column_name, d, 0, "a");
    check_name(deep_dataset_column_name, d, 1, "b");
    check_name(class_name, d, 0, "cat");
    check_name(class_name, d, 1, "dog");
    ck_assert_str_eq(d->label_name, "species");
    ck_assert_ptr_null(d->targets);
    deep_dataset_free(d);

    /* No label column: every column is a feature. */
    OK(load_text("x,y\n1,2\n3,4\n", NULL, &d));
    ck_assert_int_eq(d->count, 2);
    ck_assert_int_eq(d->sample_size, 2);
    ck_assert_ptr_null(d->labels);
    ck_assert_ptr_null(d->class_names);
    ck_assert_ptr_null(d->label_name);
    ck_assert_float_eq(d->features[3], 4.0f);
    deep_dataset_free(d);
}
END_TEST

START_TEST(load_line_endings_and_quotes)
{
    const char *same[] = {
        "x,name\n1,a\n2,b\n",
        "x,name\n1,a\n2,b",
        "x,name\r\n1,a\r\n2,b\r\n",
        "x,name\r\n1,a\r\n2,b",
        "\n\nx,name\n\n1,a\r\n\r\n2,b\n\n\n",
        "\"x\",\"name\"\n\"1\",\"a\"\n2,\"b\"\r\n",
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        deep_dataset *d;
        OK(load_text(same[i], "name", &d));
        ck_assert_int_eq(d->count, 2);
        ck_assert_float_eq(d->features[0], 1.0f);
        ck_assert_float_eq(d->features[1], 2.0f);
        check_name(deep_dataset_column_name, d, 0, "x");
        check_name(class_name, d, 1, "b");
        deep_dataset_free(d);
    }
    /* Quoted fields keep commas, doubled quotes and line breaks. */
    deep_dataset *d;
    OK(load_text("\"a,b\",\"say \"\"hi\"\"\",label\n1,2,\"x, y\"\n3,4,\"two\nlines\"\n5,6,\"\"\"q\"\"\"\n", "label", &d));
    ck_assert_int_eq(d->count, 3);
    check_name(deep_dataset_column_name, d, 0, "a,b");
    check_name(deep_dataset_column_name, d, 1, "say \"hi\"");
    check_name(class_name, d, 0, "\"q\""); /* classes in strcmp order */
    check_name(class_name, d, 1, "two\nlines");
    check_name(class_name, d, 2, "x, y");
    ck_assert_int_eq(d->labels[0], 2);
    ck_assert_float_eq(d->features[5], 6.0f);
    deep_dataset_free(d);
}
END_TEST

START_TEST(load_labels)
{
    /* Integers >= 0 are class ids as they are; anything else numbers the strings in sorted order. */
    deep_dataset *d;
    OK(load_text("x,y\n0,2\n0,0\n0,5\n", "y", &d));
    ck_assert_int_eq(d->num_classes, 6);
    ck_assert_int_eq(d->labels[0], 2);
    ck_assert_int_eq(d->labels[2], 5);
    ck_assert_ptr_null(d->class_names);
    char buf[8];
    FAILS(deep_dataset_class_name(d, 0, buf, sizeof buf, &(int64_t){0}), DEEP_ERR_STATE, "deep_dataset_class_name");
    deep_dataset_free(d);

    const char *as_strings[] = {"x,y\n0,2\n0,-1\n0,2\n", "x,y\n0,2\n0,1.5\n0,2\n", "x,y\n0,2\n0,b\n0,2\n",
                                "x,y\n0,2\n0,99999999999\n0,2\n"};
    const int32_t two_id[] = {1, 1, 0, 0}; /* "-1" and "1.5" sort before "2", "b" and "99..." after */
    for (size_t i = 0; i < sizeof as_strings / sizeof *as_strings; i++) {
        OK(load_text(as_strings[i], "y", &d));
        ck_assert_int_eq(d->num_classes, 2);
        ck_assert_int_eq(d->labels[0], two_id[i]);
        ck_assert_int_eq(d->labels[1], 1 - two_id[i]);
        ck_assert_int_eq(d->labels[2], two_id[i]);
        check_name(class_name, d, two_id[i], "2");
        deep_dataset_free(d);
    }

    /* Many classes (the lookup table grows several times): ids in strcmp order of the names. */
    enum { ROWS = 3000, CLASSES = 1500 };
    static char text[ROWS * 16 + 8] = "x,y\n";
    size_t used = strlen(text);
    for (int i = 0; i < ROWS; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%d,c%d\n", i, i % CLASSES);
    OK(load_text(text, "y", &d));
    ck_assert_int_eq(d->num_classes, CLASSES);
    for (int i = 0; i < ROWS; i++) {
        char want[16];
        snprintf(want, sizeof want, "c%d", i % CLASSES);
        ck_assert_str_eq(d->class_names[d->labels[i]], want);
    }
    for (int c = 1; c < CLASSES; c++)
        ck_assert_int_lt(strcmp(d->class_names[c - 1], d->class_names[c]), 0);
    check_name(class_name, d, 0, "c0");
    check_name(class_name, d, 1, "c1");
    check_name(class_name, d, 2, "c10");
    check_name(class_name, d, CLASSES - 1, "c999");
    deep_dataset_free(d);
}
END_TEST

START_TEST(load_missing)
{
    deep_dataset *d;
    /* The last cell is empty and the text ends right after its comma. */
    OK(load_text("a,b,c\n,1,NA\nNaN,nan, NA \n3,,", NULL, &d));
    const int missing[] = {1, 0, 1, 1, 1, 1, 0, 1, 1};
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(isnan(d->features[i]) != 0, missing[i]);
    int64_t n = -1;
    OK(deep_dataset_missing_count(d, -1, &n));
    ck_assert_int_eq(n, 7);
    const int64_t per_column[] = {2, 2, 3};
    for (int64_t j = 0; j < 3; j++) {
        OK(deep_dataset_missing_count(d, j, &n));
        ck_assert_int_eq(n, per_column[j]);
    }
    FAILS(deep_dataset_missing_count(d, 3, &n), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_missing_count");
    FAILS(deep_dataset_missing_count(d, -2, &n), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_missing_count");
    FAILS(deep_dataset_missing_count(NULL, 0, &n), DEEP_ERR_NULL, "deep_dataset_missing_count");
    FAILS(deep_dataset_missing_count(d, 0, NULL), DEEP_ERR_NULL, "deep_dataset_missing_count");
    deep_dataset_free(d);
}
END_TEST

START_TEST(load_errors)
{
    deep_dataset *d;
    char path[128];
    tmp_path(path, sizeof path, "t.csv");
    char want[256];

    ck_assert_int_eq(load_text("a,b,c\n1,2,3\n4,5\n", NULL, &d), DEEP_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:3: 2 fields but the header has 3", path);
    SAYS(want);
    ck_assert_int_eq(load_text("a,b\n1,2\n\n3,4,5\n", NULL, &d), DEEP_ERR_FORMAT);
    SAYS(":4: 3 fields but the header has 2");

    ck_assert_int_eq(load_text("a,b,petal_length\n1,2,3\n4,5,abc\n", NULL, &d), DEEP_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:3: column 3 (petal_length): 'abc' is not a number", path);
    SAYS(want);
    /* Line numbers count the lines inside quoted fields. */
    ck_assert_int_eq(load_text("a,b\n\"x\ny\",2\n1,2x\n", "a", &d), DEEP_ERR_FORMAT);
    SAYS(":4: column 2 (b): '2x' is not a number");
    ck_assert_int_eq(load_text("a\n1e999\n", NULL, &d), DEEP_ERR_FORMAT);
    SAYS(":2: column 1 (a): '1e999' is beyond the float range");
    ck_assert_int_eq(load_text("a\n1e39\n", NULL, &d), DEEP_ERR_FORMAT);

    ck_assert_int_eq(load_text("sepal,petal,species\n1,2,x\n", "Species", &d), DEEP_ERR_INVALID_ARGUMENT);
    SAYS("has no column 'Species'; its columns are 'sepal', 'petal', 'species'");
    ck_assert_int_eq(load_text("a,y\n1,\n", "y", &d), DEEP_ERR_FORMAT);
    SAYS(":2: column 2 (y): the label is missing");
    ck_assert_int_eq(load_text("y\n1\n", "y", &d), DEEP_ERR_FORMAT);
    SAYS("no feature columns");

    ck_assert_int_eq(load_text("", NULL, &d), DEEP_ERR_FORMAT);
    SAYS("is empty");
    ck_assert_int_eq(load_text("\n\r\n\n", NULL, &d), DEEP_ERR_FORMAT);
    ck_assert_int_eq(load_text("a,b\n", NULL, &d), DEEP_ERR_FORMAT);
    SAYS("has a header but no data rows");
    ck_assert_int_eq(load_text("a,b", NULL, &d), DEEP_ERR_FORMAT);
    ck_assert_int_eq(load_text("a,b\r\n\r\n", "b", &d), DEEP_ERR_FORMAT);

    ck_assert_int_eq(load_text("a,b\n1,\"2\n", NULL, &d), DEEP_ERR_FORMAT);
    SAYS(":2: column 2: a quoted field is not closed");
    ck_assert_int_eq(load_text("a,b\n1,\"2\"3\n", NULL, &d), DEEP_ERR_FORMAT);
    SAYS(":2: column 2: text after the closing quote");

    char missing[128];
    tmp_path(missing, sizeof missing, "missing.csv");
    FAILS(deep_dataset_load_csv(missing, NULL, &d), DEEP_ERR_IO, "deep_dataset_load_csv");
    SAYS(missing);
    ck_assert_ptr_null(d);
    FAILS(deep_dataset_load_csv(tmpdir, NULL, &d), DEEP_ERR_IO, "deep_dataset_load_csv"); /* a directory */
    FAILS(deep_dataset_load_csv(NULL, NULL, &d), DEEP_ERR_NULL, "deep_dataset_load_csv");
    FAILS(deep_dataset_load_csv(missing, NULL, NULL), DEEP_ERR_NULL, "deep_dataset_load_csv");
}
END_TEST

START_TEST(names)
{
    deep_dataset *d;
    OK(load_text("abc,label\n1,x\n2,y\n", "label", &d));
    char buf[4];
    OK(deep_dataset_column_name(d, 0, buf, 4, &(int64_t){0})); /* exactly fits with its NUL */
    ck_assert_str_eq(buf, "abc");
    FAILS(deep_dataset_column_name(d, 0, buf, 3, &(int64_t){0}), DEEP_ERR_BUFFER_TOO_SMALL, "deep_dataset_column_name");
    SAYS("needs 4 bytes but capacity is 3");
    FAILS(deep_dataset_column_name(d, 1, buf, 4, &(int64_t){0}), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_column_name");
    FAILS(deep_dataset_column_name(d, -1, buf, 4, &(int64_t){0}), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_column_name");
    FAILS(deep_dataset_column_name(NULL, 0, buf, 4, &(int64_t){0}), DEEP_ERR_NULL, "deep_dataset_column_name");
    FAILS(deep_dataset_column_name(d, 0, NULL, 4, &(int64_t){0}), DEEP_ERR_NULL, "deep_dataset_column_name");
    FAILS(deep_dataset_class_name(d, 2, buf, 4, &(int64_t){0}), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_class_name");
    FAILS(deep_dataset_class_name(d, 0, buf, 1, &(int64_t){0}), DEEP_ERR_BUFFER_TOO_SMALL, "deep_dataset_class_name");
    FAILS(deep_dataset_class_name(NULL, 0, buf, 4, &(int64_t){0}), DEEP_ERR_NULL, "deep_dataset_class_name");

    /* Names travel with subsets, splits and shuffles. */
    deep_dataset *sub, *train, *test;
    OK(deep_dataset_subset(d, (int64_t[]){1, 1}, 2, &sub));
    check_name(deep_dataset_column_name, sub, 0, "abc");
    check_name(class_name, sub, 1, "y");
    ck_assert_str_eq(sub->label_name, "label");
    OK(deep_dataset_split(d, 0.5, 3, 0, &train, &test));
    check_name(class_name, test, 0, "x");
    check_name(deep_dataset_column_name, train, 0, "abc");
    OK(deep_dataset_shuffle(d, 5));
    check_name(class_name, d, 1, "y");
    /* New labels make the old class names meaningless. */
    OK(deep_dataset_set_labels(d, (int32_t[]){0, 1}, 2, 0));
    FAILS(deep_dataset_class_name(d, 0, buf, 4, &(int64_t){0}), DEEP_ERR_STATE, "deep_dataset_class_name");
    check_name(deep_dataset_column_name, d, 0, "abc");
    deep_dataset_free(sub);
    deep_dataset_free(train);
    deep_dataset_free(test);
    deep_dataset_free(d);

    OK(deep_dataset_new(1, 1, (int64_t[]){1}, (float[]){0}, &d));
    FAILS(deep_dataset_column_name(d, 0, buf, 4, &(int64_t){0}), DEEP_ERR_STATE, "deep_dataset_column_name");
    SAYS("no column names");
    deep_dataset_free(d);
}
END_TEST

/* ---------------------------------------------------------------------------- describe */

/* Columns: a = 1, NaN, 2, 4, NaN; b all missing; c = 5 then missing; d = 7, 8, 9, 10, 11. */
static deep_dataset *holes(void)
{
    deep_dataset *d;
    OK(load_text("a,b,c,d\n1,,5,7\nNA,,,8\n2,,,9\n4,,,10\n,,,11\n", NULL, &d));
    return d;
}

START_TEST(describe)
{
    deep_dataset *d = holes();
    const struct { int64_t column; deep_column_stat stat; double want; } cases[] = {
        {0, DEEP_STAT_COUNT, 3}, {0, DEEP_STAT_MISSING, 2}, {0, DEEP_STAT_MEAN, 7.0 / 3.0},
        {0, DEEP_STAT_STD, 1.5275252316519468}, /* sqrt(((4/3)^2 + (1/3)^2 + (5/3)^2) / 2) */
        {0, DEEP_STAT_MIN, 1}, {0, DEEP_STAT_MAX, 4},
        {1, DEEP_STAT_COUNT, 0}, {1, DEEP_STAT_MISSING, 5},
        {2, DEEP_STAT_COUNT, 1}, {2, DEEP_STAT_MEAN, 5}, {2, DEEP_STAT_MIN, 5}, {2, DEEP_STAT_MAX, 5},
        {3, DEEP_STAT_MEAN, 9}, {3, DEEP_STAT_STD, 1.5811388300841898}, /* sqrt(10 / 4) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double v;
        OK(deep_dataset_describe(d, cases[i].column, cases[i].stat, &v));
        ck_assert_msg(fabs(v - cases[i].want) < 1e-12, "case %zu: %.17g, not %.17g", i, v, cases[i].want);
    }
    /* pandas gives NaN where there is nothing to compute. */
    const deep_column_stat empty[] = {DEEP_STAT_MEAN, DEEP_STAT_STD, DEEP_STAT_MIN, DEEP_STAT_MAX};
    for (int i = 0; i < 4; i++) {
        double v = 0;
        OK(deep_dataset_describe(d, 1, empty[i], &v));
        ck_assert(isnan(v));
    }
    double v;
    OK(deep_dataset_describe(d, 2, DEEP_STAT_STD, &v));
    ck_assert(isnan(v));
    FAILS(deep_dataset_describe(d, 4, DEEP_STAT_MEAN, &v), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_describe");
    FAILS(deep_dataset_describe(d, -1, DEEP_STAT_MEAN, &v), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_describe");
    FAILS(deep_dataset_describe(d, 0, (deep_column_stat)0, &v), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_describe");
    FAILS(deep_dataset_describe(d, 0, (deep_column_stat)7, &v), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_describe");
    /* Every statistic of deep.h is computed (a switch the compiler checks, not a range). */
    header_enum e;
    header_enum_read("deep_column_stat", &e);
    for (int i = 0; i < e.count; i++)
        ck_assert_msg(deep_dataset_describe(d, 0, (deep_column_stat)e.values[i], &v) == DEEP_OK, "%s: %s",
                      e.names[i], deep_last_error());
    FAILS(deep_dataset_describe(NULL, 0, DEEP_STAT_MEAN, &v), DEEP_ERR_NULL, "deep_dataset_describe");
    FAILS(deep_dataset_describe(d, 0, DEEP_STAT_MEAN, NULL), DEEP_ERR_NULL, "deep_dataset_describe");
    deep_dataset_free(d);
}
END_TEST

START_TEST(describe_text)
{
    deep_dataset *d = holes();
    int64_t needed = 0;
    OK(deep_dataset_describe_text(d, NULL, 0, &needed));
    char *text = malloc((size_t)needed);
    ck_assert_ptr_nonnull(text);
    int64_t again = 0;
    OK(deep_dataset_describe_text(d, text, needed, &again));
    ck_assert_int_eq(again, needed);
    ck_assert_int_eq((int64_t)strlen(text) + 1, needed);
    const char *want =
        "column    count  missing         mean          std          min          max\n"
        "a             3        2      2.33333      1.52753            1            4\n"
        "b             0        5          nan          nan          nan          nan\n"
        "c             1        4            5          nan            5            5\n"
        "d             5        0            9      1.58114            7           11\n";
    ck_assert_str_eq(text, want);
    /* Too small: the buffer untouched, and the size needed. */
    FAILS(deep_dataset_describe_text(d, text, 10, &again), DEEP_ERR_BUFFER_TOO_SMALL, "deep_dataset_describe_text");
    ck_assert_int_eq(again, needed);
    ck_assert_str_eq(text, want);
    FAILS(deep_dataset_describe_text(d, NULL, 10, &again), DEEP_ERR_NULL, "deep_dataset_describe_text");
    FAILS(deep_dataset_describe_text(d, text, -1, &again), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_describe_text");
    FAILS(deep_dataset_describe_text(d, text, needed, NULL), DEEP_ERR_NULL, "deep_dataset_describe_text");
    FAILS(deep_dataset_describe_text(NULL, text, needed, &again), DEEP_ERR_NULL, "deep_dataset_describe_text");
    deep_dataset_free(d);

    /* Without names the columns are f0, f1, ... */
    OK(deep_dataset_new(2, 1, (int64_t[]){1}, (float[]){1, 3}, &d));
    OK(deep_dataset_describe_text(d, text, needed, &again));
    ck_assert_str_eq(text, "column    count  missing         mean          std          min          max\n"
                           "f0            2        0            2      1.41421            1            3\n");
    deep_dataset_free(d);
    free(text);
}
END_TEST

/* ---------------------------------------------------------------------- missing values */

START_TEST(fill_missing)
{
    deep_dataset *d = holes();
    float before[20];
    memcpy(before, d->features, sizeof before);
    /* b has no value at all: an error naming it, and nothing changed. */
    FAILS(deep_dataset_fill_missing(d, DEEP_FILL_MEAN, NULL), DEEP_ERR_NUMERIC, "deep_dataset_fill_missing");
    SAYS("column 1 (b) of the dataset has no value to take the mean of");
    ck_assert_int_eq(memcmp(before, d->features, sizeof before), 0);
    deep_dataset_free(d);

    OK(load_text("odd,even,full\n1,10,1\nNA,,2\n5,20,3\n2,40,4\n,30,5\n", NULL, &d));
    deep_dataset *median;
    OK(deep_dataset_subset(d, (int64_t[]){0, 1, 2, 3, 4}, 5, &median));
    OK(deep_dataset_fill_missing(d, DEEP_FILL_MEAN, NULL));
    const float mean_want[] = {1, 10, 1, 8.0f / 3.0f, 25, 2, 5, 20, 3, 2, 40, 4, 8.0f / 3.0f, 30, 5};
    for (int i = 0; i < 15; i++)
        ck_assert_float_eq_tol(d->features[i], mean_want[i], 1e-6f);
    /* Medians: 1, 2, 5 -> 2 (odd count); 10, 20, 30, 40 -> 25 (mean of the middle two). */
    OK(deep_dataset_fill_missing(median, DEEP_FILL_MEDIAN, NULL));
    ck_assert_float_eq(median->features[3], 2.0f);
    ck_assert_float_eq(median->features[12], 2.0f);
    ck_assert_float_eq(median->features[4], 25.0f);
    int64_t n;
    OK(deep_dataset_missing_count(median, -1, &n));
    ck_assert_int_eq(n, 0);

    /* A test set filled from the training set's statistics. */
    deep_dataset *test;
    OK(load_text("odd,even,full\n,,\n7,,\n", NULL, &test));
    OK(deep_dataset_fill_missing(test, DEEP_FILL_MEDIAN, median));
    const float test_want[] = {2, 25, 3, 7, 25, 3};
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(test->features[i], test_want[i]);
    deep_dataset *narrow;
    OK(deep_dataset_new(1, 1, (int64_t[]){1}, (float[]){0}, &narrow));
    FAILS(deep_dataset_fill_missing(median, DEEP_FILL_MEAN, narrow), DEEP_ERR_SHAPE, "deep_dataset_fill_missing");
    deep_dataset_free(narrow);
    FAILS(deep_dataset_fill_missing(d, (deep_fill)3, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_fill_missing");
    FAILS(deep_dataset_fill_missing(NULL, DEEP_FILL_MEAN, NULL), DEEP_ERR_NULL, "deep_dataset_fill_missing");
    deep_dataset_free(test);
    deep_dataset_free(median);
    deep_dataset_free(d);
}
END_TEST

START_TEST(drop_missing)
{
    deep_dataset *d;
    OK(load_text("a,b,y\n1,2,p\nNA,3,q\n4,5,r\n6,,p\n", "y", &d));
    OK(deep_dataset_drop_missing(d));
    ck_assert_int_eq(d->count, 2);
    const float want[] = {1, 2, 4, 5};
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(d->features[i], want[i]);
    ck_assert_int_eq(d->labels[0], 0);
    ck_assert_int_eq(d->labels[1], 2);
    ck_assert_int_eq(d->num_classes, 3);
    check_name(class_name, d, 2, "r");
    check_name(deep_dataset_column_name, d, 1, "b");
    OK(deep_dataset_drop_missing(d)); /* nothing missing: unchanged */
    ck_assert_int_eq(d->count, 2);
    deep_dataset_free(d);

    OK(load_text("a,b\n1,\n,2\n", NULL, &d));
    FAILS(deep_dataset_drop_missing(d), DEEP_ERR_NUMERIC, "deep_dataset_drop_missing");
    SAYS("every one of the 2 samples has a missing value");
    ck_assert_int_eq(d->count, 2);
    ck_assert_float_eq(d->features[0], 1.0f);
    FAILS(deep_dataset_drop_missing(NULL), DEEP_ERR_NULL, "deep_dataset_drop_missing");
    deep_dataset_free(d);
}
END_TEST

/* ------------------------------------------------------------------------------ concat */

START_TEST(concat)
{
    deep_dataset *a, *b, *c;
    OK(load_text("x,y,kind\n1,2,cat\n3,4,dog\n", "kind", &a));
    OK(load_text("x,y,kind\n5,6,bird\n7,8,cat\n9,10,bird\n", "kind", &b));
    OK(deep_dataset_concat(a, b, &c));
    ck_assert_int_eq(c->count, 5);
    for (int i = 0; i < 10; i++)
        ck_assert_float_eq(c->features[i], (float)(i + 1));
    /* Classes are matched by name, and the result's are the sorted union: bird, cat, dog. */
    const int32_t want[] = {1, 2, 0, 1, 0};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(c->labels[i], want[i]);
    ck_assert_int_eq(c->num_classes, 3);
    check_name(class_name, c, 0, "bird");
    check_name(class_name, c, 1, "cat");
    check_name(class_name, c, 2, "dog");
    check_name(deep_dataset_column_name, c, 1, "y");
    ck_assert_str_eq(c->label_name, "kind");
    deep_dataset_free(c);

    /* Mismatches. */
    deep_dataset *plain, *wide, *ints, *renamed, *targets;
    OK(load_text("x,y\n1,2\n", NULL, &plain));
    OK(load_text("x,y,z,kind\n1,2,3,cat\n", "kind", &wide));
    OK(load_text("x,y,kind\n1,2,0\n", "kind", &ints));
    OK(load_text("x,w,kind\n1,2,cat\n", "kind", &renamed));
    OK(load_text("x,y\n1,2\n", NULL, &targets));
    OK(deep_dataset_set_targets(targets, (float[]){1, 2}, 1, 2));
    c = (deep_dataset *)tmpdir;
    FAILS(deep_dataset_concat(a, wide, &c), DEEP_ERR_SHAPE, "deep_dataset_concat");
    SAYS("shape (2,) cannot be joined with samples of shape (3,)");
    ck_assert_ptr_null(c);
    FAILS(deep_dataset_concat(a, plain, &c), DEEP_ERR_STATE, "deep_dataset_concat");
    SAYS("a has labels but b has none");
    FAILS(deep_dataset_concat(ints, a, &c), DEEP_ERR_STATE, "deep_dataset_concat");
    SAYS("b has class names but a has integer classes");
    FAILS(deep_dataset_concat(a, renamed, &c), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_concat");
    FAILS(deep_dataset_concat(plain, targets, &c), DEEP_ERR_SHAPE, "deep_dataset_concat");
    FAILS(deep_dataset_concat(NULL, a, &c), DEEP_ERR_NULL, "deep_dataset_concat");
    FAILS(deep_dataset_concat(a, NULL, &c), DEEP_ERR_NULL, "deep_dataset_concat");
    FAILS(deep_dataset_concat(a, b, NULL), DEEP_ERR_NULL, "deep_dataset_concat");

    /* Integer classes, targets, and names from whichever side has them. */
    deep_dataset *more, *unnamed;
    OK(load_text("x,y,kind\n3,4,4\n", "kind", &more));
    OK(deep_dataset_concat(ints, more, &c));
    ck_assert_int_eq(c->num_classes, 5);
    ck_assert_int_eq(c->labels[1], 4);
    ck_assert_ptr_null(c->class_names);
    deep_dataset_free(c);
    OK(deep_dataset_concat(targets, targets, &c));
    ck_assert_int_eq(c->target_width, 2);
    ck_assert_float_eq(c->targets[3], 2.0f);
    deep_dataset_free(c);
    OK(deep_dataset_new(1, 1, (int64_t[]){2}, (float[]){5, 6}, &unnamed));
    OK(deep_dataset_concat(unnamed, plain, &c));
    check_name(deep_dataset_column_name, c, 0, "x");
    ck_assert_float_eq(c->features[2], 1.0f);
    deep_dataset_free(c);

    deep_dataset *list[] = {a, b, plain, wide, ints, renamed, targets, more, unnamed};
    for (size_t i = 0; i < sizeof list / sizeof *list; i++)
        deep_dataset_free(list[i]);
}
END_TEST

/* ----------------------------------------------------------------------- class ids */

/* Fits a tree on train and returns its accuracy on test. */
static double tree_accuracy(const deep_dataset *train, const deep_dataset *test)
{
    deep_tree *tree;
    double score;
    OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    OK(deep_tree_fit(tree, train));
    OK(deep_tree_score(tree, test, &score));
    deep_tree_free(tree);
    return score;
}

START_TEST(class_ids_agree_across_files)
{
    /* The same classes met in another order: ids by first appearance gave the test file
     * other ids, and a perfect tree scored 0. Sorted, both number a, b, c as 0, 1, 2. */
    deep_dataset *train, *test;
    OK(load_text("x,y\n1,b\n2,a\n3,c\n1,b\n", "y", &train));
    OK(load_text("x,y\n3,c\n1,b\n2,a\n", "y", &test));
    ck_assert_int_eq(train->labels[0], 1);
    ck_assert_int_eq(test->labels[0], 2);
    for (int c = 0; c < 3; c++)
        ck_assert_str_eq(train->class_names[c], test->class_names[c]);
    ck_assert_double_eq(tree_accuracy(train, test), 1.0);
    deep_dataset_free(test);

    /* A test file lacking class a numbers b and c from 0: use_classes re-encodes it with
     * the training set's list. */
    OK(load_text("x,y\n3,c\n1,b\n", "y", &test));
    ck_assert_int_eq(test->num_classes, 2);
    ck_assert_int_eq(test->labels[0], 1);
    ck_assert_double_eq(tree_accuracy(train, test), 0.0);
    OK(deep_dataset_use_classes(test, train));
    ck_assert_int_eq(test->num_classes, 3);
    ck_assert_int_eq(test->labels[0], 2);
    ck_assert_int_eq(test->labels[1], 1);
    check_name(class_name, test, 0, "a");
    ck_assert_str_eq(test->label_name, "y");
    ck_assert_double_eq(tree_accuracy(train, test), 1.0);
    OK(deep_dataset_use_classes(test, test)); /* its own list: nothing changes */
    ck_assert_int_eq(test->labels[0], 2);
    ck_assert_int_eq(test->num_classes, 3);
    deep_dataset_free(test);

    /* A class the reference lacks is named, and the dataset stays as it was. */
    OK(load_text("x,y\n1,b\n4,dingo\n", "y", &test));
    FAILS(deep_dataset_use_classes(test, train), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_use_classes");
    SAYS("class 'dingo' of sample 1 is not one of the reference's 3 classes");
    ck_assert_int_eq(test->num_classes, 2);
    ck_assert_int_eq(test->labels[0], 0);
    ck_assert_int_eq(test->labels[1], 1);
    check_name(class_name, test, 1, "dingo");
    /* The other way round fails too: test lacks train's a and c. */
    FAILS(deep_dataset_use_classes(train, test), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_use_classes");
    SAYS("class 'a'");
    ck_assert_int_eq(train->labels[1], 0);

    deep_dataset *ints, *plain;
    OK(load_text("x,y\n1,0\n2,1\n", "y", &ints));
    OK(load_text("x,y\n1,0\n", NULL, &plain));
    FAILS(deep_dataset_use_classes(ints, train), DEEP_ERR_STATE, "deep_dataset_use_classes");
    SAYS("the dataset has no class names");
    FAILS(deep_dataset_use_classes(train, ints), DEEP_ERR_STATE, "deep_dataset_use_classes");
    SAYS("the reference has no class names");
    FAILS(deep_dataset_use_classes(plain, train), DEEP_ERR_STATE, "deep_dataset_use_classes");
    FAILS(deep_dataset_use_classes(NULL, train), DEEP_ERR_NULL, "deep_dataset_use_classes");
    FAILS(deep_dataset_use_classes(train, NULL), DEEP_ERR_NULL, "deep_dataset_use_classes");

    /* Splits keep the whole sorted list, so their parts agree with each other. */
    deep_dataset *part_a, *part_b;
    OK(deep_dataset_split(train, 0.5, 3, 0, &part_a, &part_b));
    ck_assert_int_eq(part_a->num_classes, 3);
    ck_assert_int_eq(part_b->num_classes, 3);
    check_name(class_name, part_b, 2, "c");
    deep_dataset_free(part_a);
    deep_dataset_free(part_b);
    deep_dataset_free(ints);
    deep_dataset_free(plain);
    deep_dataset_free(test);
    deep_dataset_free(train);
}
END_TEST

/* ------------------------------------------------------------------------------- kfold */

static int64_t kfold_train[64], kfold_test[64];

static void kfold(int64_t count, int32_t folds, int32_t fold, int32_t shuffle, uint64_t seed, int64_t *n_train,
                  int64_t *n_test)
{
    OK(deep_kfold_indices(count, folds, fold, shuffle, seed, kfold_train, 64, n_train, kfold_test, 64, n_test));
}

START_TEST(kfold_exact)
{
    /* 10 samples in 3 folds: sizes 4, 3, 3 as scikit-learn's KFold. */
    int64_t n_train, n_test;
    const int64_t starts[] = {0, 4, 7}, sizes[] = {4, 3, 3};
    for (int32_t f = 0; f < 3; f++) {
        kfold(10, 3, f, 0, 0, &n_train, &n_test);
        ck_assert_int_eq(n_test, sizes[f]);
        ck_assert_int_eq(n_train, 10 - sizes[f]);
        for (int64_t i = 0; i < n_test; i++)
            ck_assert_int_eq(kfold_test[i], starts[f] + i);
        for (int64_t i = 0, k = 0; i < 10; i++)
            if (i < starts[f] || i >= starts[f] + sizes[f])
                ck_assert_int_eq(kfold_train[k++], i);
    }
}
END_TEST

START_TEST(kfold_partition)
{
    for (int shuffle = 0; shuffle < 2; shuffle++)
        for (int64_t count = 2; count <= 23; count++)
            for (int32_t folds = 2; folds <= 7 && folds <= count; folds++) {
                int times_tested[64] = {0};
                for (int32_t f = 0; f < folds; f++) {
                    int64_t n_train, n_test;
                    kfold(count, folds, f, shuffle, 42, &n_train, &n_test);
                    ck_assert_int_eq(n_test, count / folds + (f < count % folds));
                    ck_assert_int_eq(n_train + n_test, count);
                    /* Train and test are sorted, disjoint and cover 0..count-1. */
                    int seen[64] = {0};
                    for (int64_t i = 0; i < n_test; i++) {
                        ck_assert(i == 0 || kfold_test[i] > kfold_test[i - 1]);
                        seen[kfold_test[i]]++;
                        times_tested[kfold_test[i]]++;
                    }
                    for (int64_t i = 0; i < n_train; i++) {
                        ck_assert(i == 0 || kfold_train[i] > kfold_train[i - 1]);
                        seen[kfold_train[i]]++;
                    }
                    for (int64_t i = 0; i < count; i++)
                        ck_assert_int_eq(seen[i], 1);
                }
                for (int64_t i = 0; i < count; i++) /* each sample is tested exactly once */
                    ck_assert_int_eq(times_tested[i], 1);
            }
}
END_TEST

START_TEST(kfold_shuffle_and_misuse)
{
    /* The same seed gives the same folds; another seed other folds. */
    int64_t n_train, n_test, first[64];
    kfold(40, 4, 1, 1, 7, &n_train, &n_test);
    memcpy(first, kfold_test, sizeof first);
    kfold(40, 4, 1, 1, 7, &n_train, &n_test);
    ck_assert_int_eq(memcmp(first, kfold_test, (size_t)n_test * sizeof *first), 0);
    kfold(40, 4, 1, 1, 8, &n_train, &n_test);
    ck_assert_int_ne(memcmp(first, kfold_test, (size_t)n_test * sizeof *first), 0);
    kfold(40, 4, 1, 0, 7, &n_train, &n_test);
    ck_assert_int_eq(kfold_test[0], 10); /* unshuffled: the seed is ignored */

    const char *f = "deep_kfold_indices";
    FAILS(deep_kfold_indices(3, 4, 0, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test), DEEP_ERR_INVALID_ARGUMENT, f);
    SAYS("4 folds of 3 samples");
    FAILS(deep_kfold_indices(3, 1, 0, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test), DEEP_ERR_INVALID_ARGUMENT, f);
    FAILS(deep_kfold_indices(0, 2, 0, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test), DEEP_ERR_INVALID_ARGUMENT, f);
    FAILS(deep_kfold_indices(5, 2, 2, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test), DEEP_ERR_OUT_OF_RANGE, f);
    FAILS(deep_kfold_indices(5, 2, -1, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test), DEEP_ERR_OUT_OF_RANGE, f);
    /* Capacities 0 are the size query; a too-small capacity tells the sizes too. */
    n_train = n_test = -1;
    OK(deep_kfold_indices(5, 2, 0, 0, 0, NULL, 0, &n_train, NULL, 0, &n_test));
    ck_assert_int_eq(n_train, 2);
    ck_assert_int_eq(n_test, 3);
    FAILS(deep_kfold_indices(5, 2, 0, 0, 0, kfold_train, 2, &n_train, kfold_test, 2, &n_test), DEEP_ERR_BUFFER_TOO_SMALL, f);
    FAILS(deep_kfold_indices(5, 2, 0, 0, 0, NULL, 2, &n_train, kfold_test, 3, &n_test), DEEP_ERR_NULL, f);
    FAILS(deep_kfold_indices(5, 2, 0, 0, 0, kfold_train, 2, NULL, kfold_test, 3, &n_test), DEEP_ERR_NULL, f);
    FAILS(deep_kfold_indices(5, 2, 0, 0, 0, kfold_train, 2, &n_train, kfold_test, 3, NULL), DEEP_ERR_NULL, f);
}
END_TEST

/* ------------------------------------------------------------------- stratified kfold */

static void skfold(const int32_t *labels, int64_t count, int32_t folds, int32_t fold, int32_t shuffle, uint64_t seed,
                   int64_t *n_train, int64_t *n_test)
{
    OK(deep_stratified_kfold_indices(labels, count, folds, fold, shuffle, seed, kfold_train, 64, n_train, kfold_test,
                                     64, n_test));
}

START_TEST(stratified_kfold_exact)
{
    /* scikit-learn 1.2's StratifiedKFold(3).split on these labels (classes by first
     * appearance 5, 2, 9, 7; class 7 has one sample, fewer than the folds). */
    const int32_t labels[] = {5, 5, 2, 2, 2, 9, 5, 2, 9, 2, 5, 2, 9, 7};
    const int64_t expect[3][5] = {{0, 1, 2, 3, 5}, {4, 6, 7, 8, 13}, {9, 10, 11, 12}};
    const int64_t sizes[3] = {5, 5, 4};
    for (int32_t f = 0; f < 3; f++) {
        int64_t n_train, n_test;
        skfold(labels, 14, 3, f, 0, 0, &n_train, &n_test);
        ck_assert_int_eq(n_test, sizes[f]);
        ck_assert_int_eq(n_train, 14 - sizes[f]);
        for (int64_t i = 0; i < n_test; i++)
            ck_assert_int_eq(kfold_test[i], expect[f][i]);
        for (int64_t i = 0, k = 0, t = 0; i < 14; i++) {
            if (t < n_test && kfold_test[t] == i)
                t++;
            else
                ck_assert_int_eq(kfold_train[k++], i);
        }
    }
}
END_TEST

START_TEST(stratified_kfold_shares)
{
    /* 3 classes of 20, 12 and 7 in a scrambled order, 4 folds: each fold holds each class's
     * share within one, shuffled or not, and every sample is tested once. */
    int32_t labels[39];
    for (int i = 0; i < 39; i++)
        labels[i] = (i * 17) % 39 < 20 ? 3 : (i * 17) % 39 < 32 ? -1 : 100;
    for (int32_t shuffle = 0; shuffle < 2; shuffle++) {
        int tested[39] = {0};
        int64_t first[64], n_first = 0;
        for (int32_t f = 0; f < 4; f++) {
            int64_t n_train, n_test, per_class[3] = {0};
            skfold(labels, 39, 4, f, shuffle, 11, &n_train, &n_test);
            ck_assert_int_eq(n_train + n_test, 39);
            for (int64_t i = 0; i < n_test; i++) {
                ck_assert(i == 0 || kfold_test[i] > kfold_test[i - 1]);
                tested[kfold_test[i]]++;
                int32_t y = labels[kfold_test[i]];
                per_class[y == 3 ? 0 : y == -1 ? 1 : 2]++;
            }
            ck_assert(per_class[0] == 5);
            ck_assert(per_class[1] == 3);
            ck_assert(per_class[2] == 1 || per_class[2] == 2);
            if (f == 0) {
                memcpy(first, kfold_test, sizeof first);
                n_first = n_test;
            }
        }
        for (int i = 0; i < 39; i++)
            ck_assert_int_eq(tested[i], 1);
        /* The same seed gives the same folds. */
        int64_t n_train, n_test;
        skfold(labels, 39, 4, 0, shuffle, 11, &n_train, &n_test);
        ck_assert_int_eq(n_test, n_first);
        ck_assert_int_eq(memcmp(first, kfold_test, (size_t)n_test * sizeof *first), 0);
    }
    /* Shuffling changes which samples of a class go together. */
    int64_t n_train, n_test, plain[64];
    skfold(labels, 39, 4, 0, 0, 11, &n_train, &n_test);
    memcpy(plain, kfold_test, sizeof plain);
    skfold(labels, 39, 4, 0, 1, 11, &n_train, &n_test);
    ck_assert_int_ne(memcmp(plain, kfold_test, (size_t)n_test * sizeof *plain), 0);
}
END_TEST

START_TEST(stratified_kfold_misuse)
{
    const char *f = "deep_stratified_kfold_indices";
    const int32_t labels[] = {0, 0, 1, 1, 2};
    int64_t n_train, n_test;
    FAILS(deep_stratified_kfold_indices(labels, 5, 3, 0, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test),
          DEEP_ERR_INVALID_ARGUMENT, f);
    SAYS("3 folds but no class has that many samples");
    ck_assert_int_eq(n_train, 0);
    FAILS(deep_stratified_kfold_indices(NULL, 5, 2, 0, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test),
          DEEP_ERR_NULL, f);
    FAILS(deep_stratified_kfold_indices(labels, 5, 1, 0, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test),
          DEEP_ERR_INVALID_ARGUMENT, f);
    FAILS(deep_stratified_kfold_indices(labels, 5, 2, 2, 0, 0, kfold_train, 64, &n_train, kfold_test, 64, &n_test),
          DEEP_ERR_OUT_OF_RANGE, f);
    /* The size query; a short buffer tells the sizes and writes nothing. */
    n_train = n_test = -1;
    OK(deep_stratified_kfold_indices(labels, 5, 2, 0, 0, 0, NULL, 0, &n_train, NULL, 0, &n_test));
    ck_assert_int_eq(n_test, 3); /* scikit-learn: test (0, 2, 4), train (1, 3) */
    ck_assert_int_eq(n_train, 2);
    kfold_test[0] = -7;
    FAILS(deep_stratified_kfold_indices(labels, 5, 2, 0, 0, 0, kfold_train, 2, &n_train, kfold_test, 2, &n_test),
          DEEP_ERR_BUFFER_TOO_SMALL, f);
    ck_assert_int_eq(kfold_test[0], -7);
    ck_assert_int_eq(n_test, 3);
    FAILS(deep_stratified_kfold_indices(labels, 5, 2, 0, 0, 0, kfold_train, 2, NULL, kfold_test, 3, &n_test),
          DEEP_ERR_NULL, f);
}
END_TEST

/* ------------------------------------------------------------------------------- write */

/* Files in the temporary directory: a write leaves no temporary file behind. */
static int files_in_tmpdir(void)
{
    DIR *dir = opendir(tmpdir);
    ck_assert_ptr_nonnull(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

START_TEST(write_round_trip)
{
    char path[128];
    tmp_path(path, sizeof path, "out.csv");
    deep_dataset *d, *back;
    OK(load_text("\"a,1\",b \"q\", c ,kind\n0.1,,3,\"x,y\"\nNA,1e-7,-2.5,plain\n", "kind", &d));
    OK(deep_dataset_write_csv(d, path));
    ck_assert_str_eq(read_all(path), "\"a,1\",\"b \"\"q\"\"\",\" c \",kind\n"
                                     "0.100000001,,3,\"x,y\"\n"
                                     "\"\",1.00000001e-07,-2.5,plain\n"); /* an empty first cell is quoted */
    ck_assert_int_eq(files_in_tmpdir(), 1);
    OK(deep_dataset_load_csv(path, "kind", &back));
    ck_assert_int_eq(back->count, 2);
    for (int i = 0; i < 6; i++)
        ck_assert(memcmp(&d->features[i], &back->features[i], sizeof(float)) == 0 ||
                  (isnan(d->features[i]) && isnan(back->features[i])));
    check_name(deep_dataset_column_name, back, 1, "b \"q\"");
    check_name(deep_dataset_column_name, back, 2, " c ");
    check_name(class_name, back, 1, "x,y");
    ck_assert_int_eq(back->labels[0], 1);
    ck_assert_int_eq(back->labels[1], 0); /* "plain" sorts first */
    deep_dataset_free(back);
    deep_dataset_free(d);

    /* Floats come back bit for bit; no names means f0, f1, ... and "label". */
    float values[60];
    int32_t labels[20];
    for (int i = 0; i < 60; i++)
        values[i] = (float)((i * 7919 % 1000) - 500) / 7.0f * powf(10.0f, (float)(i % 9 - 4));
    for (int i = 0; i < 20; i++)
        labels[i] = i % 4;
    OK(deep_dataset_new(20, 1, (int64_t[]){3}, values, &d));
    OK(deep_dataset_set_labels(d, labels, 20, 0));
    OK(deep_dataset_write_csv(d, path));
    ck_assert(strncmp(read_all(path), "f0,f1,f2,label\n", 15) == 0);
    OK(deep_dataset_load_csv(path, "label", &back));
    ck_assert_int_eq(memcmp(values, back->features, sizeof values), 0);
    ck_assert_int_eq(memcmp(labels, back->labels, sizeof labels), 0);
    ck_assert_int_eq(back->num_classes, 4);
    deep_dataset_free(back);
    deep_dataset_free(d);

    /* A lone missing cell must not read back as a skipped blank line. */
    OK(load_text("\"\"\n1\n\"\"\n2\n", NULL, &d));
    ck_assert_int_eq(d->count, 3);
    OK(deep_dataset_write_csv(d, path));
    ck_assert_str_eq(read_all(path), "\"\"\n1\n\"\"\n2\n");
    deep_dataset_free(d);

    /* A label named like a feature would swap them on reload: refused, nothing written.
     * Here the features are "label" and "x" and the labels get the default name "label". */
    unlink(path);
    OK(load_text("label,x\n1,2\n3,4\n", NULL, &d));
    OK(deep_dataset_set_labels(d, (int32_t[]){0, 1}, 2, 0));
    FAILS(deep_dataset_write_csv(d, path), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_write_csv");
    SAYS("the label column and feature column 0 are both named 'label'");
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(files_in_tmpdir(), 0);
    deep_dataset_free(d);
    /* Unnamed features are written f0, f1, ...: a label named "f0" clashes with the first. */
    OK(load_text("a,f0\n1,x\n2,y\n", "f0", &d));
    free(d->column_names);
    d->column_names = NULL;
    FAILS(deep_dataset_write_csv(d, path), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_write_csv");
    SAYS("both named 'f0'");
    deep_dataset_free(d);
    OK(load_text("a,f1\n1,x\n2,y\n", "f1", &d));
    free(d->column_names);
    d->column_names = NULL;
    OK(deep_dataset_write_csv(d, path));
    ck_assert_str_eq(read_all(path), "f0,f1\n1,x\n2,y\n");
    deep_dataset_free(d);
    /* A file written elsewhere with two columns of the label's name is ambiguous too. */
    FAILS(load_text("y,x,y\n1,2,3\n", "y", &d), DEEP_ERR_INVALID_ARGUMENT, "deep_dataset_load_csv");
    SAYS("two columns named 'y' (columns 1 and 3)");
    OK(load_text("y,x,y\n1,2,3\n", "x", &d)); /* features may share a name */
    deep_dataset_free(d);

    char nowhere[160];
    tmp_path(nowhere, sizeof nowhere, "missing-dir/out.csv");
    OK(deep_dataset_new(1, 1, (int64_t[]){1}, (float[]){0}, &d));
    FAILS(deep_dataset_write_csv(d, nowhere), DEEP_ERR_IO, "deep_dataset_write_csv");
    SAYS(nowhere);
    FAILS(deep_dataset_write_csv(d, NULL), DEEP_ERR_NULL, "deep_dataset_write_csv");
    FAILS(deep_dataset_write_csv(NULL, path), DEEP_ERR_NULL, "deep_dataset_write_csv");
    deep_dataset_free(d);
    ck_assert_int_eq(files_in_tmpdir(), 1);
    unlink(path);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/libdeep-test-table-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("table");
    struct { const char *name; const TTest *tests[8]; } cases[] = {
        {"csv", {load_basic, load_line_endings_and_quotes, load_labels, load_missing, load_errors, names}},
        {"describe", {describe, describe_text}},
        {"missing", {fill_missing, drop_missing}},
        {"concat", {concat}},
        {"class ids", {class_ids_agree_across_files}},
        {"kfold", {kfold_exact, kfold_partition, kfold_shuffle_and_misuse}},
        {"stratified kfold", {stratified_kfold_exact, stratified_kfold_shares, stratified_kfold_misuse}},
        {"write", {write_round_trip}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 120);
        for (int j = 0; cases[i].tests[j]; j++)
            tcase_add_test(tc, cases[i].tests[j]);
        suite_add_tcase(s, tc);
    }
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    rmdir(tmpdir);
    return failed != 0;
}
