/* The metrics a model computes in fit and evaluate (deep.h's deep_metric): their names,
 * and how a pass accumulates them over its batches and turns the sums into a value. */
#ifndef DEEP_METRICS_COMPILED_H
#define DEEP_METRICS_COMPILED_H

#include "core/core.h"

#define DEEP_AUC_THRESHOLDS 200      /* Keras' AUC num_thresholds */
#define DEEP_AUC_MAX_THRESHOLDS 1000 /* the most DEEP_METRIC_OPTION_NUM_THRESHOLDS takes */
#define DEEP_MAX_CURVES 8            /* AUC metrics times outputs of one model */

/* An AUC's confusion counts: tp[i] and fp[i] count the entries above threshold i (of
 * `thresholds`, set by the first accumulation); pos and neg all the positive and negative
 * entries (fn = pos - tp, tn = neg - fp). */
typedef struct deep_curve {
    double tp[DEEP_AUC_MAX_THRESHOLDS], fp[DEEP_AUC_MAX_THRESHOLDS];
    double pos, neg;
    int32_t thresholds;
} deep_curve;

/* A metric's settings: deep.h's model options, or its own (deep_metric_option). */
typedef struct deep_metric_config {
    double threshold;       /* precision, recall, binary accuracy */
    int64_t top_k;          /* top-k accuracy's k; precision and recall: the top-k filter, 0 none */
    int64_t class_id;       /* precision, recall: the one entry of the last axis scored, -1 all */
    int32_t num_thresholds; /* the AUCs */
} deep_metric_config;

/* True for the deep_metric values compile takes (not DEEP_METRIC_LOSS). */
bool deep_metric_is_compilable(deep_metric metric);
/* True for the metrics that keep a deep_curve. */
bool deep_metric_has_curve(deep_metric metric);
/* Keras' name in logs and history ("accuracy", "mae", "precision", "auc", ...). */
const char *deep_metric_log_name(deep_metric metric);
/* The name in model files ("accuracy", "mean_absolute_error", ...); NULL if none. */
const char *deep_metric_file_name(deep_metric metric);

/* Adds `rows` rows of `width` outputs (pred) against float targets, or against labels
 * (targets NULL: one label per row, read as a one-hot row) to *sum and *count (the value
 * is their ratio for all but the AUCs and RMSE) and, for the AUCs, to *curve. */
void deep_metric_accumulate(deep_metric metric, const deep_metric_config *config, const float *pred,
                            const float *targets, const int32_t *labels, int64_t rows, int64_t width, double *sum,
                            double *count, deep_curve *curve);
/* The metric's value from what deep_metric_accumulate gathered; 0 where Keras divides by
 * zero (its divide_no_nan). */
double deep_metric_result(deep_metric metric, double sum, double count, const deep_curve *curve);

#endif
