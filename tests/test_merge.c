/* Tests of deep_dataset_merge (since 1.1), pandas' merge. Expected rows are pandas 1.5.3's
 * in its documented order (each left row in turn, its matches in right's order):
 *   L["_i"] = range(len(L)); pd.merge(L, R, on="city", how=how).sort_values("_i", kind="stable")
 * inner: (1 Paris 0.5 2100 2) (1 Paris 0.5 2200 3) (2 Lyon 0.7 500 1) (3 Paris 0.2 2100 2)
 *        (3 Paris 0.2 2200 3); left adds (4 Nice 0.9 NaN NaN) and (5 NaN 0.4 NaN NaN). */
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

static const char LEFT[] = "id,city,score,y\n1,Paris,0.5,yes\n2,Lyon,0.7,no\n3,Paris,0.2,yes\n4,Nice,0.9,no\n"
                           "5,,0.4,yes\n";
static const char RIGHT[] = "city,pop,score\nLyon,500,1\nParis,2100,2\nParis,2200,3\nBerlin,3600,4\n";

static char dir[64];

static deep_dataset *load(const char *text, const char *label)
{
    char path[128];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    deep_dataset *d;
    OK(deep_dataset_load_csv_typed(path, label, &d));
    unlink(path);
    return d;
}

static void check_names(const deep_dataset *d, const char *const *want, int64_t n)
{
    ck_assert_int_eq(d->sample_size, n);
    for (int64_t j = 0; j < n; j++)
        ck_assert_str_eq(d->column_names[j], want[j]);
}

/* Row i of d against want (NaN: missing); column 1 is the city, compared by name. */
static void check_row(const deep_dataset *d, int64_t i, const double *want, const char *city)
{
    for (int64_t j = 0; j < d->sample_size; j++) {
        float v = d->features[i * d->sample_size + j];
        if (j == 1 && city == NULL)
            ck_assert(isnan(v));
        else if (j == 1)
            ck_assert_str_eq(d->categories[1][(int64_t)v], city);
        else if (isnan(want[j]))
            ck_assert_msg(isnan(v), "row %lld column %lld is %g", (long long)i, (long long)j, (double)v);
        else
            ck_assert_msg(v == (float)want[j], "row %lld column %lld is %g, not %g", (long long)i, (long long)j,
                          (double)v, want[j]);
    }
}

START_TEST(inner_and_left_as_pandas)
{
    deep_dataset *l = load(LEFT, "y"), *r = load(RIGHT, NULL), *m;
    const char *names[] = {"id", "city", "score_x", "pop", "score_y"};
    const double rows[7][5] = {{1, 0, 0.5, 2100, 2}, {1, 0, 0.5, 2200, 3}, {2, 0, 0.7, 500, 1}, {3, 0, 0.2, 2100, 2},
                               {3, 0, 0.2, 2200, 3}, {4, 0, 0.9, NAN, NAN}, {5, 0, 0.4, NAN, NAN}};
    const char *cities[] = {"Paris", "Paris", "Lyon", "Paris", "Paris", "Nice", NULL};
    const int32_t labels[] = {1, 1, 0, 1, 1, 0, 1};
    OK(deep_dataset_merge(l, r, (const char *[]){"city"}, 1, DEEP_JOIN_INNER, NULL, NULL, &m));
    ck_assert_int_eq(m->count, 5);
    check_names(m, names, 5);
    for (int64_t i = 0; i < 5; i++) {
        check_row(m, i, rows[i], cities[i]);
        ck_assert_int_eq(m->labels[i], labels[i]);
    }
    ck_assert_str_eq(m->class_names[1], "yes");
    deep_dataset_free(m);
    OK(deep_dataset_merge(l, r, (const char *[]){"city"}, 1, DEEP_JOIN_LEFT, "_l", "_r", &m));
    ck_assert_int_eq(m->count, 7);
    check_names(m, (const char *[]){"id", "city", "score_l", "pop", "score_r"}, 5);
    for (int64_t i = 0; i < 7; i++) {
        check_row(m, i, rows[i], cities[i]);
        ck_assert_int_eq(m->labels[i], labels[i]);
    }
    deep_dataset_free(m);
    deep_dataset_free(r);
    deep_dataset_free(l);
}
END_TEST

START_TEST(several_keys_and_missing_keys)
{
    /* pandas matches missing keys with missing keys. */
    deep_dataset *l = load("a,b,x\n1,u,10\n1,v,11\n2,u,12\n,u,13\n", NULL);
    deep_dataset *r = load("b,a,z\nu,1,100\nv,2,200\nu,,300\nu,1,400\n", NULL), *m;
    OK(deep_dataset_merge(l, r, (const char *[]){"a", "b"}, 2, DEEP_JOIN_INNER, NULL, NULL, &m));
    check_names(m, (const char *[]){"a", "b", "x", "z"}, 4);
    ck_assert_int_eq(m->count, 3);
    const float want[3][4] = {{1, 0, 10, 100}, {1, 0, 10, 400}, {NAN, 0, 13, 300}};
    for (int64_t i = 0; i < 3; i++)
        for (int64_t j = 0; j < 4; j++) {
            float v = m->features[i * 4 + j];
            ck_assert(isnan(want[i][j]) ? isnan(v) : v == want[i][j]);
        }
    deep_dataset_free(m);
    FAILS(deep_dataset_merge(l, r, (const char *[]){"a", "a"}, 2, DEEP_JOIN_INNER, NULL, NULL, &m),
          DEEP_ERR_INVALID_ARGUMENT, "named twice");
    FAILS(deep_dataset_merge(l, r, (const char *[]){"x"}, 1, DEEP_JOIN_INNER, NULL, NULL, &m),
          DEEP_ERR_INVALID_ARGUMENT, "right table has no column 'x'");
    FAILS(deep_dataset_merge(l, r, (const char *[]){"a"}, 1, (deep_join)3, NULL, NULL, &m),
          DEEP_ERR_INVALID_ARGUMENT, "unknown join");
    FAILS(deep_dataset_merge(l, r, (const char *[]){"a"}, 0, DEEP_JOIN_LEFT, NULL, NULL, &m),
          DEEP_ERR_INVALID_ARGUMENT, "on_count");
    deep_dataset *t = load("a,b\n7,u\n", NULL);
    FAILS(deep_dataset_merge(t, r, (const char *[]){"a"}, 1, DEEP_JOIN_INNER, NULL, NULL, &m), DEEP_ERR_SHAPE,
          "empty");
    ck_assert_ptr_null(m);
    deep_dataset *numeric_b = load("a,b\n1,2\n", NULL);
    FAILS(deep_dataset_merge(numeric_b, r, (const char *[]){"b"}, 1, DEEP_JOIN_INNER, NULL, NULL, &m),
          DEEP_ERR_INVALID_ARGUMENT, "text in one table");
    deep_dataset *plain;
    OK(deep_dataset_new(1, 1, (int64_t[]){1}, (float[]){1}, &plain));
    FAILS(deep_dataset_merge(plain, r, (const char *[]){"a"}, 1, DEEP_JOIN_INNER, NULL, NULL, &m), DEEP_ERR_STATE,
          "deep_dataset_merge");
    FAILS(deep_dataset_merge(l, r, NULL, 1, DEEP_JOIN_INNER, NULL, NULL, &m), DEEP_ERR_NULL, "'on'");
    deep_dataset_free(plain);
    deep_dataset_free(numeric_b);
    deep_dataset_free(t);
    deep_dataset_free(r);
    deep_dataset_free(l);
}
END_TEST

int main(void)
{
    snprintf(dir, sizeof dir, "%s", "/tmp/libdeep-test-merge-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("merge");
    TCase *tc = tcase_create("merge");
    tcase_add_test(tc, inner_and_left_as_pandas);
    tcase_add_test(tc, several_keys_and_missing_keys);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    rmdir(dir);
    return failed != 0;
}
