/* Tests of deep_imputer (since 1.1): a fill strategy per column, fitted on one table and
 * applied to another. Expected statistics are scikit-learn 1.2.1's SimpleImputer on the
 * same CSV text (statistics_ with mean, median, most_frequent, constant):
 *   age, income: mean [31.6 58.], median [30. 55.], most_frequent [25. 55.]
 *   city, pet: most_frequent ['Lyon' 'cat'], constant ['missing_value' 'missing_value'] */
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
                            "35,,60,cat,no\n"
                            "28,Lyon,55,dog,yes\n"
                            ",Nice,55,,no\n";
static const char TEST[] = "age,city,income,pet,y\n"
                           ",Berlin,,dog,no\n"
                           "50,,80,,yes\n";

static char dir[64];

static deep_dataset *load(const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    deep_dataset *d;
    OK(deep_dataset_load_csv_typed(path, "y", &d));
    unlink(path);
    return d;
}

static double statistic(const deep_imputer *imp, int64_t column)
{
    double v;
    OK(deep_imputer_statistic(imp, column, &v));
    return v;
}

static void check_text(const deep_imputer *imp, int64_t column, const char *want)
{
    char buf[32];
    int64_t needed;
    OK(deep_imputer_fill_text(imp, column, buf, sizeof buf, &needed));
    ck_assert_str_eq(buf, want);
}

static void check_category(const deep_dataset *d, int64_t i, int64_t j, const char *want)
{
    char buf[32];
    int64_t needed;
    float v = d->features[i * d->sample_size + j];
    ck_assert(!isnan(v));
    OK(deep_dataset_category_name(d, j, (int64_t)v, buf, sizeof buf, &needed));
    ck_assert_str_eq(buf, want);
}

START_TEST(statistics_as_simple_imputer)
{
    deep_dataset *train = load(TRAIN);
    const struct { deep_fill strategy; double age, income; } numeric[] = {
        {DEEP_FILL_MEAN, 31.6, 58}, {DEEP_FILL_MEDIAN, 30, 55}, {DEEP_FILL_MOST_FREQUENT, 25, 55}};
    for (size_t k = 0; k < 3; k++) {
        deep_imputer *imp;
        OK(deep_imputer_new(numeric[k].strategy, 0.0, &imp));
        OK(deep_imputer_set_column(imp, "city", DEEP_FILL_MOST_FREQUENT, 0.0, NULL));
        OK(deep_imputer_set_column(imp, "pet", DEEP_FILL_CONSTANT, 0.0, NULL));
        OK(deep_imputer_fit(imp, train));
        ck_assert_double_eq_tol(statistic(imp, 0), numeric[k].age, 1e-12);
        ck_assert_double_eq_tol(statistic(imp, 2), numeric[k].income, 1e-12);
        ck_assert(isnan(statistic(imp, 1)));
        check_text(imp, 1, "Lyon");
        check_text(imp, 3, "missing_value");
        deep_imputer_free(imp);
    }
    deep_imputer *imp;
    OK(deep_imputer_new(DEEP_FILL_MOST_FREQUENT, 0.0, &imp));
    OK(deep_imputer_fit(imp, train));
    check_text(imp, 3, "cat");
    char buf[8];
    int64_t needed;
    FAILS(deep_imputer_fill_text(imp, 0, buf, sizeof buf, &needed), DEEP_ERR_STATE, "numeric");
    FAILS(deep_imputer_statistic(imp, 4, &(double){0}), DEEP_ERR_OUT_OF_RANGE, "deep_imputer_statistic");
    deep_imputer_free(imp);
    deep_dataset_free(train);
}
END_TEST

START_TEST(fit_on_train_apply_to_test)
{
    deep_dataset *train = load(TRAIN), *test = load(TEST);
    deep_imputer *imp;
    OK(deep_imputer_new(DEEP_FILL_MEDIAN, 0.0, &imp));
    FAILS(deep_imputer_transform(imp, test), DEEP_ERR_STATE, "not fitted");
    OK(deep_imputer_set_column(imp, "age", DEEP_FILL_MEAN, 0.0, NULL));
    OK(deep_imputer_set_column(imp, "income", DEEP_FILL_CONSTANT, -1.0, NULL));
    OK(deep_imputer_set_column(imp, "city", DEEP_FILL_MOST_FREQUENT, 0.0, NULL));
    OK(deep_imputer_set_column(imp, "pet", DEEP_FILL_CONSTANT, 0.0, "none"));
    OK(deep_imputer_set_column(imp, "income", DEEP_FILL_CONSTANT, -2.0, NULL)); /* replaces the rule */
    OK(deep_imputer_fit(imp, train));
    OK(deep_imputer_transform(imp, test));
    int64_t missing;
    OK(deep_dataset_missing_count(test, -1, &missing));
    ck_assert_int_eq(missing, 0);
    ck_assert(test->features[0] == 31.6f);
    ck_assert(test->features[2] == -2.0f);
    check_category(test, 0, 1, "Berlin");
    check_category(test, 1, 1, "Lyon"); /* the training table's most frequent city */
    check_category(test, 0, 3, "dog");
    check_category(test, 1, 3, "none"); /* added to the categories, which stay sorted */
    int64_t count;
    OK(deep_dataset_category_count(test, 3, &count));
    ck_assert_int_eq(count, 2);
    OK(deep_imputer_transform(imp, train));
    OK(deep_dataset_category_count(train, 3, &count));
    ck_assert_int_eq(count, 3); /* cat, dog, none */
    check_category(train, 0, 3, "cat");
    check_category(train, 1, 3, "dog");
    check_category(train, 2, 3, "none");
    check_category(train, 3, 1, "Lyon");
    ck_assert(train->features[5 * 4 + 0] == 31.6f);
    deep_dataset_free(test);
    deep_dataset_free(train);
    deep_imputer_free(imp);
}
END_TEST

START_TEST(misuse)
{
    deep_dataset *train = load(TRAIN), *other;
    deep_imputer *imp;
    FAILS(deep_imputer_new((deep_fill)5, 0.0, &imp), DEEP_ERR_INVALID_ARGUMENT, "unknown strategy");
    ck_assert_ptr_null(imp);
    FAILS(deep_imputer_new(DEEP_FILL_CONSTANT, INFINITY, &imp), DEEP_ERR_NUMERIC, "finite");
    OK(deep_imputer_new(DEEP_FILL_MEAN, 0.0, &imp));
    FAILS(deep_imputer_fit(imp, train), DEEP_ERR_STATE, "(city) holds text");
    OK(deep_imputer_set_column(imp, "city", DEEP_FILL_MOST_FREQUENT, 0.0, NULL));
    OK(deep_imputer_set_column(imp, "pet", DEEP_FILL_MOST_FREQUENT, 0.0, NULL));
    OK(deep_imputer_set_column(imp, "town", DEEP_FILL_MEAN, 0.0, NULL));
    FAILS(deep_imputer_fit(imp, train), DEEP_ERR_INVALID_ARGUMENT, "'town'");
    deep_imputer_free(imp);
    OK(deep_imputer_new(DEEP_FILL_MOST_FREQUENT, 0.0, &imp));
    OK(deep_imputer_fit(imp, train));
    OK(deep_dataset_select_columns(train, (const char *[]){"age", "city"}, 2, &other));
    FAILS(deep_imputer_transform(imp, other), DEEP_ERR_INVALID_ARGUMENT, "fitted on 4 columns");
    deep_dataset_free(other);
    OK(deep_dataset_select_columns(train, (const char *[]){"age", "city", "pet", "income"}, 4, &other));
    FAILS(deep_imputer_transform(imp, other), DEEP_ERR_INVALID_ARGUMENT, "'pet'");
    deep_dataset_free(other);
    /* A column without any present value has no statistic. */
    deep_dataset *empty;
    OK(deep_dataset_new(2, 1, (int64_t[]){2}, (float[]){1, NAN, 2, NAN}, &empty));
    FAILS(deep_imputer_fit(imp, empty), DEEP_ERR_NUMERIC, "column 1 has no present value");
    deep_imputer_free(imp);
    OK(deep_imputer_new(DEEP_FILL_CONSTANT, 7.0, &imp));
    OK(deep_imputer_fit(imp, empty));
    OK(deep_imputer_transform(imp, empty));
    ck_assert(empty->features[1] == 7.0f && empty->features[3] == 7.0f && empty->features[0] == 1.0f);
    deep_imputer_free(imp);
    deep_imputer_free(NULL);
    FAILS(deep_imputer_fit(NULL, empty), DEEP_ERR_NULL, "deep_imputer_fit");
    deep_dataset_free(empty);
    deep_dataset_free(train);
}
END_TEST

int main(void)
{
    snprintf(dir, sizeof dir, "%s", "/tmp/libdeep-test-imputer-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("imputer");
    TCase *tc = tcase_create("imputer");
    tcase_add_test(tc, statistics_as_simple_imputer);
    tcase_add_test(tc, fit_on_train_apply_to_test);
    tcase_add_test(tc, misuse);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    rmdir(dir);
    return failed != 0;
}
