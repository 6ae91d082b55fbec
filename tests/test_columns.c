/* Tests of typed tables (since 1.1): text columns as categories, one-hot and ordinal
 * encoding with a training table's categories, columns by name, value counts.
 * Expected values are pandas 1.5.3's and scikit-learn 1.2.1's on the same CSV text:
 *   X = pd.read_csv(io.StringIO(TRAIN)).drop(columns="y")
 *   pd.get_dummies(X).astype(float).values, list(pd.get_dummies(X).columns)
 *   OrdinalEncoder().fit_transform(X[["city", "pet"]]); X["city"].value_counts() */
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

static const char TRAIN[] = "age,city,income,pet,y\n"
                            "30,Paris,50,cat,yes\n"
                            "25,Lyon,,dog,no\n"
                            "40,Paris,70,,yes\n"
                            "35,Nice,60,cat,no\n"
                            "28,Lyon,55,dog,yes\n";
static const char TEST[] = "age,city,income,pet,y\n"
                           "22,Lyon,45,cat,no\n"
                           "50,Berlin,80,dog,yes\n";

static char dir[64];

static deep_status load(const char *text, bool typed, deep_dataset **out)
{
    char path[128];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    deep_status s = typed ? deep_dataset_load_csv_typed(path, "y", out) : deep_dataset_load_csv(path, "y", out);
    unlink(path);
    return s;
}

static void check_column_name(const deep_dataset *d, int64_t j, const char *want)
{
    char buf[64];
    int64_t needed;
    OK(deep_dataset_column_name(d, j, buf, sizeof buf, &needed));
    ck_assert_str_eq(buf, want);
}

/* Feature (i, j) of d, NaN compared as equal to NaN. */
static void check_value(const deep_dataset *d, int64_t i, int64_t j, double want)
{
    float got = d->features[i * d->sample_size + j];
    if (isnan(want))
        ck_assert_msg(isnan(got), "(%lld, %lld) is %g, not NaN", (long long)i, (long long)j, (double)got);
    else
        ck_assert_msg(got == (float)want, "(%lld, %lld) is %g, not %g", (long long)i, (long long)j, (double)got, want);
}

START_TEST(typed_loading)
{
    deep_dataset *d;
    /* The 1.0 loader still refuses text features. */
    FAILS(load(TRAIN, false, &d), DEEP_ERR_FORMAT, "is not a number");
    OK(load(TRAIN, true, &d));
    ck_assert_int_eq(d->sample_size, 4);
    int64_t count, column;
    char buf[16];
    int64_t needed;
    OK(deep_dataset_category_count(d, 0, &count));
    ck_assert_int_eq(count, 0);
    OK(deep_dataset_column_index(d, "city", &column));
    ck_assert_int_eq(column, 1);
    OK(deep_dataset_category_count(d, 1, &count));
    ck_assert_int_eq(count, 3);
    const char *cities[] = {"Lyon", "Nice", "Paris"};
    for (int64_t c = 0; c < 3; c++) {
        OK(deep_dataset_category_name(d, 1, c, buf, sizeof buf, &needed));
        ck_assert_str_eq(buf, cities[c]);
    }
    /* The ids are those of the sorted categories, as OrdinalEncoder gives them. */
    double city[] = {2, 0, 2, 1, 0}, pet[] = {0, 1, NAN, 0, 1}, income[] = {50, NAN, 70, 60, 55};
    for (int64_t i = 0; i < 5; i++) {
        check_value(d, i, 1, city[i]);
        check_value(d, i, 3, pet[i]);
        check_value(d, i, 2, income[i]);
    }
    ck_assert_int_eq(d->num_classes, 2);
    FAILS(deep_dataset_category_name(d, 0, 0, buf, sizeof buf, &needed), DEEP_ERR_STATE, "deep_dataset_category_name");
    FAILS(deep_dataset_category_name(d, 1, 3, buf, sizeof buf, &needed), DEEP_ERR_OUT_OF_RANGE, "0..2");
    FAILS(deep_dataset_category_name(d, 1, 0, buf, 2, &needed), DEEP_ERR_BUFFER_TOO_SMALL, "category");
    ck_assert_int_eq(needed, 5);
    FAILS(deep_dataset_column_index(d, "town", &column), DEEP_ERR_INVALID_ARGUMENT, "'town'");
    FAILS(deep_dataset_category_count(d, 4, &count), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_category_count");
    FAILS(deep_dataset_column_index(NULL, "city", &column), DEEP_ERR_NULL, "deep_dataset_column_index");
    /* Arithmetic on category ids is refused until they are encoded. */
    FAILS(deep_dataset_standardize(d, NULL), DEEP_ERR_STATE, "(city)");
    FAILS(deep_dataset_scale(d, 2.0, 0.0), DEEP_ERR_STATE, "deep_dataset_encode");
    FAILS(deep_dataset_fill_missing(d, DEEP_FILL_MEAN, NULL), DEEP_ERR_STATE, "deep_dataset_fill_missing");
    /* Subsets and drop_missing keep the categories. */
    deep_dataset *sub;
    OK(deep_dataset_subset(d, (int64_t[]){3, 0}, 2, &sub));
    OK(deep_dataset_category_name(sub, 1, 1, buf, sizeof buf, &needed));
    ck_assert_str_eq(buf, "Nice");
    deep_dataset_free(sub);
    OK(deep_dataset_drop_missing(d));
    ck_assert_int_eq(d->count, 3);
    OK(deep_dataset_category_count(d, 3, &count));
    ck_assert_int_eq(count, 2);
    deep_dataset_free(d);
}
END_TEST

START_TEST(one_hot_as_get_dummies)
{
    deep_dataset *d, *e;
    OK(load(TRAIN, true, &d));
    OK(deep_dataset_encode(d, NULL, DEEP_ENCODE_ONE_HOT, 0, &e));
    const char *names[] = {"age", "income", "city_Lyon", "city_Nice", "city_Paris", "pet_cat", "pet_dog"};
    double want[5][7] = {{30, 50, 0, 0, 1, 1, 0}, {25, NAN, 1, 0, 0, 0, 1}, {40, 70, 0, 0, 1, 0, 0},
                         {35, 60, 0, 1, 0, 1, 0}, {28, 55, 1, 0, 0, 0, 1}};
    ck_assert_int_eq(e->sample_size, 7);
    for (int64_t j = 0; j < 7; j++) {
        check_column_name(e, j, names[j]);
        int64_t count;
        OK(deep_dataset_category_count(e, j, &count));
        ck_assert_int_eq(count, 0);
        for (int64_t i = 0; i < 5; i++)
            check_value(e, i, j, want[i][j]);
    }
    int32_t labels[5];
    int64_t needed;
    OK(deep_dataset_labels(e, labels, 5, &needed));
    ck_assert_int_eq(labels[1], 0);
    ck_assert_int_eq(labels[0], 1);
    /* Encoded, the table computes again. */
    OK(deep_dataset_fill_missing(e, DEEP_FILL_MEAN, NULL));
    check_value(e, 1, 1, 58.75);
    deep_dataset_free(e);

    /* A test table takes the training table's categories: Berlin is unknown. */
    deep_dataset *t;
    OK(load(TEST, true, &t));
    FAILS(deep_dataset_encode(t, d, DEEP_ENCODE_ONE_HOT, 0, &e), DEEP_ERR_INVALID_ARGUMENT, "'Berlin'");
    ck_assert_ptr_null(e);
    OK(deep_dataset_encode(t, d, DEEP_ENCODE_ONE_HOT, 1, &e));
    ck_assert_int_eq(e->sample_size, 7);
    double want_test[2][7] = {{22, 45, 1, 0, 0, 1, 0}, {50, 80, 0, 0, 0, 0, 1}};
    for (int64_t j = 0; j < 7; j++) {
        check_column_name(e, j, names[j]);
        for (int64_t i = 0; i < 2; i++)
            check_value(e, i, j, want_test[i][j]);
    }
    deep_dataset_free(e);
    /* Ordinal: columns in place, ids of the reference (OrdinalEncoder's), unknown as NaN. */
    OK(deep_dataset_encode(d, NULL, DEEP_ENCODE_ORDINAL, 0, &e));
    double ordinal[5][2] = {{2, 0}, {0, 1}, {2, NAN}, {1, 0}, {0, 1}};
    for (int64_t i = 0; i < 5; i++) {
        check_value(e, i, 1, ordinal[i][0]);
        check_value(e, i, 3, ordinal[i][1]);
    }
    check_column_name(e, 1, "city");
    deep_dataset_free(e);
    OK(deep_dataset_encode(t, d, DEEP_ENCODE_ORDINAL, 1, &e));
    check_value(e, 0, 1, 0);
    check_value(e, 1, 1, NAN);
    check_value(e, 1, 3, 1);
    deep_dataset_free(e);
    /* Misuse. */
    FAILS(deep_dataset_encode(t, d, (deep_encoding)3, 0, &e), DEEP_ERR_INVALID_ARGUMENT, "unknown encoding");
    FAILS(deep_dataset_encode(t, d, DEEP_ENCODE_ONE_HOT, 2, &e), DEEP_ERR_INVALID_ARGUMENT, "0/1");
    deep_dataset *renamed;
    OK(deep_dataset_select_columns(t, (const char *[]){"age", "city", "income", "pet"}, 4, &renamed));
    OK(deep_dataset_rename_column(renamed, "pet", "animal"));
    FAILS(deep_dataset_encode(renamed, d, DEEP_ENCODE_ONE_HOT, 0, &e), DEEP_ERR_INVALID_ARGUMENT, "'animal'");
    deep_dataset_free(renamed);
    /* concat needs the same categories: t has Berlin. */
    FAILS(deep_dataset_concat(d, t, &e), DEEP_ERR_INVALID_ARGUMENT, "different categories");
    OK(deep_dataset_concat(d, d, &e));
    ck_assert_int_eq(e->count, 10);
    deep_dataset_free(e);
    deep_dataset_free(t);
    deep_dataset_free(d);
}
END_TEST

START_TEST(columns_by_name)
{
    deep_dataset *d, *e;
    OK(load(TRAIN, true, &d));
    OK(deep_dataset_select_columns(d, (const char *[]){"pet", "age"}, 2, &e));
    ck_assert_int_eq(e->sample_size, 2);
    check_column_name(e, 0, "pet");
    check_column_name(e, 1, "age");
    check_value(e, 3, 0, 0);
    check_value(e, 3, 1, 35);
    int64_t count;
    OK(deep_dataset_category_count(e, 0, &count));
    ck_assert_int_eq(count, 2);
    ck_assert_int_eq(e->num_classes, 2);
    deep_dataset_free(e);
    OK(deep_dataset_drop_columns(d, (const char *[]){"city", "income"}, 2, &e));
    ck_assert_int_eq(e->sample_size, 2);
    check_column_name(e, 0, "age");
    check_column_name(e, 1, "pet");
    deep_dataset_free(e);
    FAILS(deep_dataset_drop_columns(d, (const char *[]){"age", "city", "income", "pet"}, 4, &e),
          DEEP_ERR_INVALID_ARGUMENT, "no feature");
    FAILS(deep_dataset_select_columns(d, (const char *[]){"age", "y"}, 2, &e), DEEP_ERR_INVALID_ARGUMENT, "'y'");
    FAILS(deep_dataset_select_columns(d, (const char *[]){"age"}, 0, &e), DEEP_ERR_INVALID_ARGUMENT, "count");
    OK(deep_dataset_rename_column(d, "income", "salary"));
    check_column_name(d, 2, "salary");
    OK(deep_dataset_rename_column(d, "y", "target"));
    ck_assert_str_eq(d->label_name, "target");
    FAILS(deep_dataset_rename_column(d, "income", "x"), DEEP_ERR_INVALID_ARGUMENT, "'income'");
    /* value_counts: pandas gives Paris 2, Lyon 2, Nice 1 (ties by first appearance). */
    double values[3];
    int64_t counts[3], vn, cn;
    OK(deep_dataset_value_counts(d, 1, NULL, 0, &vn, NULL, 0, &cn));
    ck_assert_int_eq(vn, 3);
    ck_assert_int_eq(cn, 3);
    OK(deep_dataset_value_counts(d, 1, values, 3, &vn, counts, 3, &cn));
    ck_assert(values[0] == 2 && counts[0] == 2);
    ck_assert(values[1] == 0 && counts[1] == 2);
    ck_assert(values[2] == 1 && counts[2] == 1);
    FAILS(deep_dataset_value_counts(d, 1, values, 2, &vn, counts, 3, &cn), DEEP_ERR_BUFFER_TOO_SMALL, "3 distinct");
    ck_assert_int_eq(vn, 3);
    OK(deep_dataset_value_counts(d, 2, NULL, 0, &vn, NULL, 0, &cn)); /* income: missing left out */
    ck_assert_int_eq(vn, 4);
    FAILS(deep_dataset_value_counts(d, 2, values, 3, &vn, counts, 3, &cn), DEEP_ERR_BUFFER_TOO_SMALL, "4 distinct");
    deep_dataset_free(d);
    /* A dataset without names has no columns by name. */
    deep_dataset *plain;
    OK(deep_dataset_new(2, 1, (int64_t[]){2}, (float[]){1, 2, 3, 4}, &plain));
    FAILS(deep_dataset_select_columns(plain, (const char *[]){"f0"}, 1, &e), DEEP_ERR_STATE, "no column names");
    deep_dataset_free(plain);
}
END_TEST

START_TEST(write_and_reload)
{
    deep_dataset *d, *back;
    OK(load(TRAIN, true, &d));
    char path[128];
    snprintf(path, sizeof path, "%s/w.csv", dir);
    OK(deep_dataset_write_csv(d, path));
    OK(deep_dataset_load_csv_typed(path, "y", &back));
    unlink(path);
    ck_assert_int_eq(back->count, 5);
    for (int64_t i = 0; i < 5 * 4; i++)
        ck_assert(d->features[i] == back->features[i] || (isnan(d->features[i]) && isnan(back->features[i])));
    int64_t count;
    OK(deep_dataset_category_count(back, 3, &count));
    ck_assert_int_eq(count, 2);
    deep_dataset_free(back);
    deep_dataset_free(d);
}
END_TEST

/* numpy 1.24: np.histogram([1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 10.5, 7.25], bins=10 / "auto"),
 * and np.histogram([5.0, 5.0], bins="auto"). */
START_TEST(histograms_as_numpy)
{
    float x[] = {1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 10.5f, NAN, 7.25f};
    deep_dataset *d;
    OK(deep_dataset_new(13, 1, (int64_t[]){1}, x, &d));
    double edges[11];
    int64_t counts[10], ne, nc;
    OK(deep_dataset_histogram(d, 0, 10, NULL, 0, &ne, NULL, 0, &nc));
    ck_assert(ne == 11 && nc == 10);
    OK(deep_dataset_histogram(d, 0, 10, edges, 11, &ne, counts, 10, &nc));
    const int64_t ten[] = {1, 2, 3, 4, 0, 0, 1, 0, 0, 1};
    const double ten_edges[] = {1.0, 1.95, 2.9, 3.8499999999999996, 4.8, 5.75, 6.699999999999999, 7.6499999999999995,
                                8.6, 9.549999999999999, 10.5};
    for (int b = 0; b < 10; b++)
        ck_assert_int_eq(counts[b], ten[b]);
    for (int b = 0; b < 11; b++)
        ck_assert_msg(edges[b] == ten_edges[b], "edge %d is %.17g", b, edges[b]);
    OK(deep_dataset_histogram(d, 0, 0, NULL, 0, &ne, NULL, 0, &nc));
    ck_assert_int_eq(nc, 9); /* "auto" */
    OK(deep_dataset_histogram(d, 0, 0, edges, 11, &ne, counts, 10, &nc));
    const int64_t automatic[] = {3, 3, 4, 0, 0, 1, 0, 0, 1};
    for (int b = 0; b < 9; b++)
        ck_assert_int_eq(counts[b], automatic[b]);
    ck_assert(edges[1] == 2.0555555555555554);
    FAILS(deep_dataset_histogram(d, 0, 10, edges, 10, &ne, counts, 10, &nc), DEEP_ERR_BUFFER_TOO_SMALL, "11 edges");
    FAILS(deep_dataset_histogram(d, 0, -1, edges, 11, &ne, counts, 10, &nc), DEEP_ERR_INVALID_ARGUMENT, "bins");
    FAILS(deep_dataset_histogram(d, 1, 10, edges, 11, &ne, counts, 10, &nc), DEEP_ERR_OUT_OF_RANGE, "column 1");
    deep_dataset_free(d);
    OK(deep_dataset_new(2, 1, (int64_t[]){1}, (float[]){5, 5}, &d));
    OK(deep_dataset_histogram(d, 0, 0, edges, 11, &ne, counts, 10, &nc));
    ck_assert(nc == 1 && counts[0] == 2 && edges[0] == 4.5 && edges[1] == 5.5);
    deep_dataset_free(d);
    OK(deep_dataset_new(1, 1, (int64_t[]){1}, (float[]){NAN}, &d));
    FAILS(deep_dataset_histogram(d, 0, 10, edges, 11, &ne, counts, 10, &nc), DEEP_ERR_NUMERIC, "no present value");
    deep_dataset_free(d);
    OK(load(TRAIN, true, &d));
    FAILS(deep_dataset_histogram(d, 1, 10, edges, 11, &ne, counts, 10, &nc), DEEP_ERR_STATE, "value_counts");
    deep_dataset_free(d);
}
END_TEST

int main(void)
{
    snprintf(dir, sizeof dir, "%s", "/tmp/libdeep-test-columns-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("columns");
    TCase *tc = tcase_create("typed");
    tcase_add_test(tc, typed_loading);
    tcase_add_test(tc, one_hot_as_get_dummies);
    tcase_add_test(tc, columns_by_name);
    tcase_add_test(tc, write_and_reload);
    tcase_add_test(tc, histograms_as_numpy);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    rmdir(dir);
    return failed != 0;
}
