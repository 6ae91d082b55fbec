/* The metrics of compile, accumulated as Keras' metric objects are: over every batch of an
 * epoch (or of evaluate's data), the value computed from the totals at the end. Accuracy,
 * the errors and top-k are means over rows; precision, recall and the AUCs are ratios of
 * confusion counts, so they are not batch means (Keras' Precision, Recall and AUC). */
#include <math.h>

#include "metrics/compiled.h"

bool deep_metric_is_compilable(deep_metric metric)
{
    switch (metric) {
    case DEEP_METRIC_ACCURACY:
    case DEEP_METRIC_MEAN_ABSOLUTE_ERROR:
    case DEEP_METRIC_PRECISION:
    case DEEP_METRIC_RECALL:
    case DEEP_METRIC_AUC:
    case DEEP_METRIC_PR_AUC:
    case DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY:
    case DEEP_METRIC_MEAN_SQUARED_ERROR:
    case DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR:
    case DEEP_METRIC_BINARY_ACCURACY:
        return true;
    case DEEP_METRIC_LOSS:
        break;
    }
    return false;
}

bool deep_metric_has_curve(deep_metric metric)
{
    return metric == DEEP_METRIC_AUC || metric == DEEP_METRIC_PR_AUC;
}

const char *deep_metric_log_name(deep_metric metric)
{
    switch (metric) {
    case DEEP_METRIC_LOSS: return "loss";
    case DEEP_METRIC_ACCURACY: return "accuracy";
    case DEEP_METRIC_MEAN_ABSOLUTE_ERROR: return "mae";
    case DEEP_METRIC_PRECISION: return "precision";
    case DEEP_METRIC_RECALL: return "recall";
    case DEEP_METRIC_AUC: return "auc";
    case DEEP_METRIC_PR_AUC: return "pr_auc";
    case DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY: return "top_k_categorical_accuracy";
    case DEEP_METRIC_MEAN_SQUARED_ERROR: return "mse";
    case DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR: return "root_mean_squared_error";
    case DEEP_METRIC_BINARY_ACCURACY: return "binary_accuracy";
    }
    return "metric";
}

const char *deep_metric_file_name(deep_metric metric)
{
    switch (metric) {
    case DEEP_METRIC_MEAN_ABSOLUTE_ERROR: return "mean_absolute_error";
    case DEEP_METRIC_MEAN_SQUARED_ERROR: return "mean_squared_error";
    case DEEP_METRIC_LOSS: return NULL;
    default: return deep_metric_is_compilable(metric) ? deep_metric_log_name(metric) : NULL;
    }
}

static int64_t argmax_row(const float *row, int64_t width)
{
    int64_t best = 0;
    for (int64_t j = 1; j < width; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

/* Entry i of the targets, labels read as one-hot rows. */
static double truth_at(const float *targets, const int32_t *labels, int64_t i, int64_t width)
{
    return targets != NULL ? targets[i] : (double)(labels[i / width] == i % width);
}

/* The target class of row r: the label, or the largest target entry. */
static int64_t truth_class(const float *targets, const int32_t *labels, int64_t r, int64_t width)
{
    return targets != NULL ? argmax_row(targets + r * width, width) : labels[r];
}

/* Accuracy: the largest output against the target class; for rows of a single output,
 * both sides thresholded at 0.5 (libdeep's rule since 1.0). */
static double correct_rows(const float *pred, const float *targets, const int32_t *labels, int64_t rows,
                           int64_t width)
{
    int64_t correct = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *row = pred + r * width;
        if (width == 1)
            correct += (row[0] > 0.5f) == (truth_at(targets, labels, r, 1) > 0.5);
        else
            correct += argmax_row(row, width) == truth_class(targets, labels, r, width);
    }
    return (double)correct;
}

/* Hits of TensorFlow's in_top_k: fewer than k outputs strictly above the target's. */
static double top_k_rows(const float *pred, const float *targets, const int32_t *labels, int64_t rows, int64_t width,
                         int64_t k)
{
    int64_t hits = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *row = pred + r * width;
        const int64_t truth = truth_class(targets, labels, r, width);
        if (truth < 0 || truth >= width)
            continue;
        int64_t above = 0;
        for (int64_t j = 0; j < width; j++)
            above += row[j] > row[truth];
        hits += above < k;
    }
    return (double)hits;
}

/* Keras' evenly spaced thresholds, n of them: an output p (clipped to [0, 1]) is above
 * thresholds 0..b with b = max(ceil(p * (n - 1)) - 1, 0) (threshold 0 is -1e-7, threshold i
 * is i/(n - 1), the last 1 + 1e-7), computed in float as Keras' float32 tensors. */
static void add_to_curve(deep_curve *curve, int32_t n_thresholds, const float *pred, const float *targets,
                         const int32_t *labels, int64_t n, int64_t width)
{
    if (curve->thresholds == 0)
        curve->thresholds = n_thresholds;
    const int32_t count = curve->thresholds;
    double tp_bucket[DEEP_AUC_MAX_THRESHOLDS] = {0}, fp_bucket[DEEP_AUC_MAX_THRESHOLDS] = {0};
    for (int64_t i = 0; i < n; i++) {
        float p = pred[i];
        p = p > 0.0f ? (p < 1.0f ? p : 1.0f) : 0.0f; /* a NaN goes to 0: its bucket must be an index */
        int64_t bucket = (int64_t)ceilf(p * (float)(count - 1)) - 1;
        bucket = bucket < 0 ? 0 : bucket;
        if (truth_at(targets, labels, i, width) != 0) {
            tp_bucket[bucket] += 1;
            curve->pos += 1;
        } else {
            fp_bucket[bucket] += 1;
            curve->neg += 1;
        }
    }
    double tp = 0, fp = 0; /* sums from the top threshold down */
    for (int64_t t = count - 1; t >= 0; t--) {
        tp += tp_bucket[t];
        fp += fp_bucket[t];
        curve->tp[t] += tp;
        curve->fp[t] += fp;
    }
}

/* Whether entry j of a row is among its k largest, ties going to the lower index (the
 * order of top_k's indices): fewer than k entries come before it in that order. */
static bool in_top_k(const float *row, int64_t width, int64_t j, int64_t k)
{
    int64_t before = 0;
    for (int64_t i = 0; i < width && before < k; i++)
        before += row[i] > row[j] || (row[i] == row[j] && i < j);
    return before < k;
}

/* Precision and recall as Keras' update_confusion_matrix_variables: the top-k filter on
 * the whole row first, then the class_id entry only, then the threshold. sum: true
 * positives; count: predicted positives (precision) or positives (recall). */
static void count_positives(deep_metric metric, const deep_metric_config *config, const float *pred,
                            const float *targets, const int32_t *labels, int64_t rows, int64_t width, double *sum,
                            double *count)
{
    for (int64_t r = 0; r < rows; r++) {
        int64_t first = config->class_id >= 0 ? config->class_id : 0;
        int64_t end = config->class_id >= 0 ? config->class_id + 1 : width;
        for (int64_t j = first; j < end && j < width; j++) {
            const int64_t i = r * width + j;
            float p = pred[i];
            if (config->top_k > 0 && !in_top_k(pred + r * width, width, j, config->top_k))
                p = -1e10f; /* Keras' NEG_INF */
            /* in float, as Keras' float32 thresholds: 0.4f is not above a threshold of 0.4 */
            const bool predicted = p > (float)config->threshold, actual = truth_at(targets, labels, i, width) != 0;
            *sum += predicted && actual;
            *count += metric == DEEP_METRIC_PRECISION ? predicted : actual;
        }
    }
}

void deep_metric_accumulate(deep_metric metric, const deep_metric_config *config, const float *pred,
                            const float *targets, const int32_t *labels, int64_t rows, int64_t width, double *sum,
                            double *count, deep_curve *curve)
{
    const int64_t n = rows * width;
    switch (metric) {
    case DEEP_METRIC_ACCURACY:
        *sum += correct_rows(pred, targets, labels, rows, width);
        *count += (double)rows;
        return;
    case DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY:
        *sum += top_k_rows(pred, targets, labels, rows, width, config->top_k);
        *count += (double)rows;
        return;
    case DEEP_METRIC_MEAN_ABSOLUTE_ERROR:
    case DEEP_METRIC_MEAN_SQUARED_ERROR:
    case DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR:
    case DEEP_METRIC_BINARY_ACCURACY: {
        /* Means over the last axis, then over the rows: with rows of one width, the sum
         * over entries divided by the width. */
        double total = 0;
        for (int64_t i = 0; i < n; i++) {
            const double y = truth_at(targets, labels, i, width), e = (double)pred[i] - y;
            if (metric == DEEP_METRIC_MEAN_ABSOLUTE_ERROR)
                total += fabs(e);
            else if (metric == DEEP_METRIC_BINARY_ACCURACY)
                total += y == (pred[i] > (float)config->threshold ? 1.0 : 0.0); /* float32, as Keras */
            else
                total += e * e;
        }
        *sum += total / (double)width;
        *count += (double)rows;
        return;
    }
    case DEEP_METRIC_PRECISION:
    case DEEP_METRIC_RECALL:
        count_positives(metric, config, pred, targets, labels, rows, width, sum, count);
        return;
    case DEEP_METRIC_AUC:
    case DEEP_METRIC_PR_AUC:
        add_to_curve(curve, config->num_thresholds, pred, targets, labels, n, width);
        return;
    case DEEP_METRIC_LOSS:
        break;
    }
}

static double divide_no_nan(double a, double b)
{
    return b == 0 ? 0 : a / b;
}

/* Trapezoids between successive thresholds of (false positive rate, recall). */
static double roc_auc(const deep_curve *c)
{
    double area = 0;
    for (int t = 0; t + 1 < c->thresholds; t++) {
        const double x0 = divide_no_nan(c->fp[t], c->neg), x1 = divide_no_nan(c->fp[t + 1], c->neg);
        const double y0 = divide_no_nan(c->tp[t], c->pos), y1 = divide_no_nan(c->tp[t + 1], c->pos);
        area += (x0 - x1) * (y0 + y1) / 2;
    }
    return area;
}

/* Keras' interpolate_pr_auc (Davis and Goadrich): between thresholds A = t and B = t + 1,
 * tp and p = tp + fp vary linearly, precision = tp / p, and the area is
 * slope (dtp + intercept log(p_A / p_B)) / positives. */
static double pr_auc(const deep_curve *c)
{
    double area = 0;
    for (int t = 0; t + 1 < c->thresholds; t++) {
        const double pa = c->tp[t] + c->fp[t], pb = c->tp[t + 1] + c->fp[t + 1];
        const double dtp = c->tp[t] - c->tp[t + 1], dp = pa - pb;
        const double slope = divide_no_nan(dtp, fmax(dp, 0));
        const double intercept = c->tp[t + 1] - slope * pb;
        const double ratio = pa > 0 && pb > 0 ? divide_no_nan(pa, fmax(pb, 0)) : 1.0;
        area += divide_no_nan(slope * (dtp + intercept * log(ratio)), c->pos); /* tp + fn at B */
    }
    return area;
}

double deep_metric_result(deep_metric metric, double sum, double count, const deep_curve *curve)
{
    switch (metric) {
    case DEEP_METRIC_AUC: return roc_auc(curve);
    case DEEP_METRIC_PR_AUC: return pr_auc(curve);
    case DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR: return sqrt(divide_no_nan(sum, count));
    default: return divide_no_nan(sum, count);
    }
}
