/* Classification metrics on label arrays: accuracy, the confusion matrix and per-class
 * precision, recall and F1 (scikit-learn's definitions with zero_division=0). */
#include <stdlib.h>

#include "core/core.h"

/* Checks the common arguments: both arrays present, at least one sample, and every label
 * in [0, num_classes) (num_classes <= 0: only >= 0). Errors name `caller`. */
static deep_status check_labels(const char *caller, const int32_t *truth, const int32_t *predicted,
                                int64_t count, int32_t num_classes)
{
    if (truth == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'truth' is NULL");
    if (predicted == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'predicted' is NULL");
    if (count < 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "count is %lld; at least one sample is needed",
                              (long long)count);
    for (int64_t i = 0; i < count; i++) {
        int32_t pair[2] = {truth[i], predicted[i]};
        for (int w = 0; w < 2; w++) {
            const char *which = w ? "predicted" : "true";
            if (pair[w] < 0)
                return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "%s label %d at position %lld is negative",
                                      which, (int)pair[w], (long long)i);
            if (num_classes > 0 && pair[w] >= num_classes)
                return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller,
                                      "%s label %d at position %lld is not below num_classes %d", which,
                                      (int)pair[w], (long long)i, (int)num_classes);
        }
    }
    return DEEP_OK;
}

static deep_status check_num_classes(const char *caller, int32_t num_classes)
{
    if (num_classes < 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "num_classes is %d; it must be at least 1",
                              (int)num_classes);
    return DEEP_OK;
}

deep_status deep_metric_accuracy(const int32_t *truth, const int32_t *predicted, int64_t count,
                                 double *accuracy)
{
    DEEP_REQUIRE(accuracy);
    DEEP_TRY(check_labels(__func__, truth, predicted, count, 0));
    int64_t hits = 0;
    for (int64_t i = 0; i < count; i++)
        hits += truth[i] == predicted[i];
    *accuracy = (double)hits / (double)count;
    return DEEP_OK;
}

deep_status deep_metric_confusion_matrix(const int32_t *truth, const int32_t *predicted, int64_t count,
                                         int32_t num_classes, int64_t *matrix)
{
    DEEP_REQUIRE(matrix);
    DEEP_TRY(check_num_classes(__func__, num_classes));
    DEEP_TRY(check_labels(__func__, truth, predicted, count, num_classes));
    int64_t k = num_classes;
    for (int64_t i = 0; i < k * k; i++)
        matrix[i] = 0;
    for (int64_t i = 0; i < count; i++)
        matrix[truth[i] * k + predicted[i]]++;
    return DEEP_OK;
}

deep_status deep_metric_precision_recall_f1(const int32_t *truth, const int32_t *predicted, int64_t count,
                                            int32_t num_classes, double *precision, double *recall,
                                            double *f1, double *macro_precision, double *macro_recall,
                                            double *macro_f1)
{
    DEEP_TRY(check_num_classes(__func__, num_classes));
    DEEP_TRY(check_labels(__func__, truth, predicted, count, num_classes));
    /* Per class: true positives, how often predicted, how often true. */
    int64_t *counts = deep_alloc_zero(3 * (int64_t)num_classes, sizeof *counts);
    if (counts == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %d classes", (int)num_classes);
    int64_t *tp = counts, *n_pred = counts + num_classes, *n_true = counts + 2 * (int64_t)num_classes;
    for (int64_t i = 0; i < count; i++) {
        tp[truth[i]] += truth[i] == predicted[i];
        n_pred[predicted[i]]++;
        n_true[truth[i]]++;
    }
    double sum_p = 0, sum_r = 0, sum_f = 0;
    for (int32_t c = 0; c < num_classes; c++) {
        double p = n_pred[c] ? (double)tp[c] / (double)n_pred[c] : 0.0;
        double r = n_true[c] ? (double)tp[c] / (double)n_true[c] : 0.0;
        /* 2tp / (2tp + fp + fn): the harmonic mean of p and r, and 0 when both are. */
        double f = n_pred[c] + n_true[c] ? 2.0 * (double)tp[c] / (double)(n_pred[c] + n_true[c]) : 0.0;
        if (precision)
            precision[c] = p;
        if (recall)
            recall[c] = r;
        if (f1)
            f1[c] = f;
        sum_p += p;
        sum_r += r;
        sum_f += f;
    }
    if (macro_precision)
        *macro_precision = sum_p / num_classes;
    if (macro_recall)
        *macro_recall = sum_r / num_classes;
    if (macro_f1)
        *macro_f1 = sum_f / num_classes;
    free(counts);
    return DEEP_OK;
}
