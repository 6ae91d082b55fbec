/* Tests of the classification metrics on label arrays. */
#include <check.h>
#include <string.h>

#include "core/core.h"
#include "check_helpers.h"


/* Five classes: 3 is present but never predicted, 4 predicted but never present.
 *   class  tp  predicted  true   precision  recall  F1 = 2tp / (predicted + true)
 *     0     2      4        3       1/2       2/3     4/7
 *     1     1      3        3       1/3       1/3     1/3
 *     2     2      3        4       2/3       1/2     4/7
 *     3     0      0        1        0         0       0
 *     4     0      1        0        0         0       0
 * macro: precision 1.5/5 = 0.3, recall 1.5/5 = 0.3, F1 (8/7 + 1/3)/5 = 31/105. */
static const int32_t truth[11] = {0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 1};
static const int32_t predicted[11] = {0, 1, 0, 1, 2, 2, 2, 0, 1, 0, 4};

START_TEST(accuracy)
{
    double a;
    OK(deep_metric_accuracy(truth, predicted, 11, &a));
    ck_assert_double_eq_tol(a, 5.0 / 11.0, 1e-12);
    OK(deep_metric_accuracy(truth, truth, 11, &a));
    ck_assert_double_eq(a, 1.0);

    const char *fn = "deep_metric_accuracy";
    FAILS(deep_metric_accuracy(NULL, predicted, 11, &a), DEEP_ERR_NULL, fn);
    FAILS(deep_metric_accuracy(truth, NULL, 11, &a), DEEP_ERR_NULL, fn);
    FAILS(deep_metric_accuracy(truth, predicted, 11, NULL), DEEP_ERR_NULL, fn);
    FAILS(deep_metric_accuracy(truth, predicted, 0, &a), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_metric_accuracy(truth, predicted, -3, &a), DEEP_ERR_INVALID_ARGUMENT, fn);
    const int32_t negative[3] = {0, 1, -2};
    FAILS(deep_metric_accuracy(truth, negative, 3, &a), DEEP_ERR_OUT_OF_RANGE, fn);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "predicted label -2 at position 2"));
}
END_TEST

START_TEST(confusion_matrix)
{
    int64_t m[25];
    OK(deep_metric_confusion_matrix(truth, predicted, 11, 5, m));
    const int64_t want[25] = {
        2, 1, 0, 0, 0, /* true 0 */
        0, 1, 1, 0, 1, /* true 1 */
        1, 1, 2, 0, 0, /* true 2 */
        1, 0, 0, 0, 0, /* true 3 */
        0, 0, 0, 0, 0, /* true 4 */
    };
    ck_assert_mem_eq(m, want, sizeof want);

    const char *fn = "deep_metric_confusion_matrix";
    for (int i = 0; i < 25; i++)
        m[i] = -7;
    FAILS(deep_metric_confusion_matrix(truth, predicted, 11, 4, m), DEEP_ERR_OUT_OF_RANGE, fn);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "predicted label 4 at position 10"));
    ck_assert_int_eq(m[0], -7); /* untouched on failure */
    FAILS(deep_metric_confusion_matrix(truth, predicted, 11, 3, m), DEEP_ERR_OUT_OF_RANGE, fn);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "true label 3 at position 9"));
    FAILS(deep_metric_confusion_matrix(truth, predicted, 11, 0, m), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_metric_confusion_matrix(truth, predicted, 11, -1, m), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_metric_confusion_matrix(truth, predicted, 0, 5, m), DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_metric_confusion_matrix(truth, predicted, 11, 5, NULL), DEEP_ERR_NULL, fn);
    FAILS(deep_metric_confusion_matrix(NULL, predicted, 11, 5, m), DEEP_ERR_NULL, fn);
    FAILS(deep_metric_confusion_matrix(truth, NULL, 11, 5, m), DEEP_ERR_NULL, fn);
    const int32_t negative[2] = {-1, 0};
    FAILS(deep_metric_confusion_matrix(negative, negative, 2, 5, m), DEEP_ERR_OUT_OF_RANGE, fn);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "position 0"));
}
END_TEST

START_TEST(precision_recall_f1)
{
    double p[5], r[5], f[5], mp, mr, mf;
    OK(deep_metric_precision_recall_f1(truth, predicted, 11, 5, p, r, f, &mp, &mr, &mf));
    const double want_p[5] = {1.0 / 2, 1.0 / 3, 2.0 / 3, 0, 0};
    const double want_r[5] = {2.0 / 3, 1.0 / 3, 1.0 / 2, 0, 0};
    const double want_f[5] = {4.0 / 7, 1.0 / 3, 4.0 / 7, 0, 0};
    for (int c = 0; c < 5; c++) {
        ck_assert_double_eq_tol(p[c], want_p[c], 1e-12);
        ck_assert_double_eq_tol(r[c], want_r[c], 1e-12);
        ck_assert_double_eq_tol(f[c], want_f[c], 1e-12);
    }
    ck_assert_double_eq_tol(mp, 0.3, 1e-12);
    ck_assert_double_eq_tol(mr, 0.3, 1e-12);
    ck_assert_double_eq_tol(mf, 31.0 / 105.0, 1e-12);

    /* Any output may be NULL. */
    OK(deep_metric_precision_recall_f1(truth, predicted, 11, 5, NULL, NULL, NULL, NULL, NULL, &mf));
    ck_assert_double_eq_tol(mf, 31.0 / 105.0, 1e-12);
    OK(deep_metric_precision_recall_f1(truth, predicted, 11, 5, NULL, r, NULL, NULL, NULL, NULL));
    ck_assert_double_eq_tol(r[2], 0.5, 1e-12);

    /* A perfect prediction of one class: all ones. */
    const int32_t same[3] = {0, 0, 0};
    OK(deep_metric_precision_recall_f1(same, same, 3, 1, p, r, f, &mp, &mr, &mf));
    ck_assert_double_eq(p[0], 1.0);
    ck_assert_double_eq(mf, 1.0);

    const char *fn = "deep_metric_precision_recall_f1";
    FAILS(deep_metric_precision_recall_f1(truth, predicted, 11, 3, p, r, f, &mp, &mr, &mf),
          DEEP_ERR_OUT_OF_RANGE, fn);
    FAILS(deep_metric_precision_recall_f1(truth, predicted, 11, 0, p, r, f, &mp, &mr, &mf),
          DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_metric_precision_recall_f1(truth, predicted, 0, 5, p, r, f, &mp, &mr, &mf),
          DEEP_ERR_INVALID_ARGUMENT, fn);
    FAILS(deep_metric_precision_recall_f1(NULL, predicted, 11, 5, p, r, f, &mp, &mr, &mf), DEEP_ERR_NULL, fn);
    FAILS(deep_metric_precision_recall_f1(truth, NULL, 11, 5, p, r, f, &mp, &mr, &mf), DEEP_ERR_NULL, fn);
    const int32_t negative[2] = {0, -5};
    FAILS(deep_metric_precision_recall_f1(negative, same, 2, 5, p, r, f, &mp, &mr, &mf),
          DEEP_ERR_OUT_OF_RANGE, fn);
    ck_assert_ptr_nonnull(strstr(deep_last_error(), "true label -5 at position 1"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("labels");
    tcase_add_test(tc, accuracy);
    tcase_add_test(tc, confusion_matrix);
    tcase_add_test(tc, precision_recall_f1);
    suite_add_tcase(s, tc);
    return run_suite(s, CK_NORMAL);
}
