/* The metrics of compile added in 1.2 (precision, recall, ROC and PR AUC, top-k accuracy,
 * MSE, RMSE, binary accuracy): their values against Keras' algorithms evaluated by hand
 * (numpy transcriptions of keras/src/metrics, numbers in the comments), accumulation over
 * batches as Keras' metric objects (not batch means), and through a model: evaluate,
 * history, several outputs, compile's checks. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deep.h"
#include "metrics/compiled.h"
#include "check_helpers.h"

/* Eight binary predictions: two positives (0.4012, 0.402) and a negative (0.4011) share
 * Keras' threshold bucket 79, so Keras' ROC AUC is 0.375 where the exact one is 0.4375.
 *   keras.metrics.AUC()            -> 0.375
 *   keras.metrics.AUC(curve="PR")  -> 0.4109906154755002
 *   Precision() 1/3 (0.9 hit; 0.8 and 1.0 false), Recall() 1/4, BinaryAccuracy() 3/8 */
static const float bin_pred[8] = {0.9f, 0.8f, 0.4012f, 0.402f, 0.4011f, 0.1f, 0.0f, 1.0f};
static const float bin_true[8] = {1, 0, 1, 1, 0, 0, 1, 0};
#define KERAS_ROC 0.375
#define KERAS_PR 0.4109906154755002

static const deep_metric_config defaults = {0.5, 5, -1, 200};

static double run(deep_metric metric, const deep_metric_config *config, const float *pred, const float *targets,
                  const int32_t *labels, int64_t rows, int64_t width, int64_t batch)
{
    double sum = 0, count = 0;
    deep_curve curve;
    memset(&curve, 0, sizeof curve);
    for (int64_t first = 0; first < rows; first += batch) {
        int64_t n = rows - first < batch ? rows - first : batch;
        deep_metric_accumulate(metric, config, pred + first * width, targets ? targets + first * width : NULL,
                               labels ? labels + first : NULL, n, width, &sum, &count, &curve);
    }
    return deep_metric_result(metric, sum, count, &curve);
}

START_TEST(binary_values_match_keras)
{
    /* In one batch, and in batches of 3 (3 + 3 + 2): the same totals. */
    for (int64_t batch = 8; batch >= 3; batch -= 5) {
        ck_assert_double_eq_tol(run(DEEP_METRIC_AUC, &defaults, bin_pred, bin_true, NULL, 8, 1, batch), KERAS_ROC,
                                1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_PR_AUC, &defaults, bin_pred, bin_true, NULL, 8, 1, batch), KERAS_PR,
                                1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_PRECISION, &defaults, bin_pred, bin_true, NULL, 8, 1, batch),
                                1.0 / 3, 1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_RECALL, &defaults, bin_pred, bin_true, NULL, 8, 1, batch), 0.25,
                                1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_BINARY_ACCURACY, &defaults, bin_pred, bin_true, NULL, 8, 1, batch),
                                3.0 / 8, 1e-12);
    }
    /* The mean of the batch precisions would be (1/2 + 0 + 0) / 3 in batches of 3: Keras'
     * Precision counts over the epoch instead. Thresholds: 0.0 makes 0.1 .. 1.0 positive. */
    const deep_metric_config low = {0.0, 5, -1, 200};
    ck_assert_double_eq_tol(run(DEEP_METRIC_PRECISION, &low, bin_pred, bin_true, NULL, 8, 1, 3), 3.0 / 7, 1e-12);
    ck_assert_double_eq_tol(run(DEEP_METRIC_RECALL, &low, bin_pred, bin_true, NULL, 8, 1, 3), 0.75, 1e-12);
    /* every prediction but 0.0 is 1: right for samples 0, 2 and 3 only */
    ck_assert_double_eq_tol(run(DEEP_METRIC_BINARY_ACCURACY, &low, bin_pred, bin_true, NULL, 8, 1, 3), 3.0 / 8,
                            1e-12);
    /* Keras' docstring: AUC of [0, 0, 1, 1] against [0, 0.5, 0.3, 0.9] is 0.75. */
    const float p4[4] = {0, 0.5f, 0.3f, 0.9f}, y4[4] = {0, 0, 1, 1};
    ck_assert_double_eq_tol(run(DEEP_METRIC_AUC, &defaults, p4, y4, NULL, 4, 1, 4), 0.75, 1e-12);
    /* A NaN output counts as 0 in the AUC's buckets (never an index out of range). */
    const float with_nan[4] = {NAN, 0.5f, 0.3f, 0.9f};
    ck_assert_double_eq_tol(run(DEEP_METRIC_AUC, &defaults, with_nan, y4, NULL, 4, 1, 4), 0.75, 1e-12);
    /* Nothing positive: precision, recall and the AUCs are 0 (Keras' divide_no_nan). */
    const float none[4] = {0, 0, 0, 0};
    ck_assert_double_eq(run(DEEP_METRIC_PRECISION, &defaults, none, none, NULL, 4, 1, 4), 0.0);
    ck_assert_double_eq(run(DEEP_METRIC_RECALL, &defaults, none, none, NULL, 4, 1, 4), 0.0);
    ck_assert_double_eq(run(DEEP_METRIC_PR_AUC, &defaults, none, none, NULL, 4, 1, 4), 0.0);
    ck_assert_double_eq(run(DEEP_METRIC_AUC, &defaults, none, none, NULL, 4, 1, 4), 0.0);
}
END_TEST

/* Keras' docstring example again, for the tests below */
static const float p4_global[4] = {0, 0.5f, 0.3f, 0.9f}, y4_global[4] = {0, 0, 1, 1};

/* Four rows of three classes, one-hot targets of classes {0, 2, 2, 1}, or the same as
 * labels. Keras on the one-hot rows (flattened, micro):
 *   AUC() 0.890625, AUC(curve="PR") 0.8241089966758806, Precision() 1.0, Recall() 0.5
 *   TopKCategoricalAccuracy(k=1) 0.5 (row 1 ties 0.3 with class 0 but 0.4 is above it),
 *   k=2 1.0 (ties at the boundary count as in, as tf.math.in_top_k)
 *   MSE mean((p - y)^2) = 0.12500000117967533, RMSE its square root */
static const float cls_pred[12] = {0.7f, 0.2f, 0.1f, 0.3f, 0.4f, 0.3f, 0.05f, 0.15f, 0.8f, 0.5f, 0.45f, 0.05f};
static const float cls_true[12] = {1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0};
static const int32_t cls_labels[4] = {0, 2, 2, 1};

START_TEST(multiclass_values_match_keras)
{
    for (int sparse = 0; sparse < 2; sparse++) {
        const float *t = sparse ? NULL : cls_true;
        const int32_t *l = sparse ? cls_labels : NULL;
        ck_assert_double_eq_tol(run(DEEP_METRIC_AUC, &defaults, cls_pred, t, l, 4, 3, 3), 0.890625, 1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_PR_AUC, &defaults, cls_pred, t, l, 4, 3, 3), 0.8241089966758806,
                                1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_PRECISION, &defaults, cls_pred, t, l, 4, 3, 1), 1.0, 1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_RECALL, &defaults, cls_pred, t, l, 4, 3, 1), 0.5, 1e-12);
        const deep_metric_config k1 = {0.5, 1, -1, 200}, k2 = {0.5, 2, -1, 200};
        ck_assert_double_eq_tol(run(DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY, &k1, cls_pred, t, l, 4, 3, 3), 0.5, 1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY, &k2, cls_pred, t, l, 4, 3, 3), 1.0, 1e-12);
        ck_assert_double_eq_tol(run(DEEP_METRIC_MEAN_SQUARED_ERROR, &defaults, cls_pred, t, l, 4, 3, 3),
                                0.12500000117967533, 1e-7);
        ck_assert_double_eq_tol(run(DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR, &defaults, cls_pred, t, l, 4, 3, 3),
                                sqrt(0.12500000117967533), 1e-7);
        ck_assert_double_eq_tol(run(DEEP_METRIC_ACCURACY, &defaults, cls_pred, t, l, 4, 3, 3), 0.5, 1e-12);
    }
}
END_TEST

/* Keras' metric arguments (since 1.3) on the four rows above, worked out by hand from
 * keras/src/metrics/metrics_utils.py (top-k filter on the whole row, ties to the lower
 * index, then the class_id column, then the threshold; NEG_INF threshold with top_k):
 *   Precision(top_k=1) 2/4 (rows 0 and 2 right), Recall(top_k=1) 2/4
 *   Precision(top_k=2) 3/8 (row 1 keeps 0.4 and the first 0.3), Recall(top_k=2) 3/4
 *   Precision(top_k=2, thresholds=0.4) 3/4, Recall the same 3/4
 *   Precision(class_id=2) 1/1, Recall(class_id=2) 1/2, Recall(class_id=1) 0
 *   Precision(top_k=2, class_id=2) 1/1 and Recall 1/2: row 1's class 2 (0.3) loses the tie. */
START_TEST(metric_arguments_match_keras)
{
    static const struct {
        deep_metric metric;
        double threshold;
        int64_t top_k, class_id;
        double want;
    } cases[] = {
        {DEEP_METRIC_PRECISION, -1e10, 1, -1, 0.5},  {DEEP_METRIC_RECALL, -1e10, 1, -1, 0.5},
        {DEEP_METRIC_PRECISION, -1e10, 2, -1, 0.375}, {DEEP_METRIC_RECALL, -1e10, 2, -1, 0.75},
        {DEEP_METRIC_PRECISION, 0.4, 2, -1, 0.75},   {DEEP_METRIC_RECALL, 0.4, 2, -1, 0.75},
        {DEEP_METRIC_PRECISION, 0.5, 0, 2, 1.0},     {DEEP_METRIC_RECALL, 0.5, 0, 2, 0.5},
        {DEEP_METRIC_RECALL, 0.5, 0, 1, 0.0},        {DEEP_METRIC_PRECISION, -1e10, 2, 2, 1.0},
        {DEEP_METRIC_RECALL, -1e10, 2, 2, 0.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int sparse = 0; sparse < 2; sparse++) {
            const deep_metric_config c = {cases[i].threshold, cases[i].top_k, cases[i].class_id, 200};
            double got = run(cases[i].metric, &c, cls_pred, sparse ? NULL : cls_true, sparse ? cls_labels : NULL, 4,
                             3, 3);
            ck_assert_msg(fabs(got - cases[i].want) < 1e-12, "case %d (%s): %.17g, Keras %.17g", (int)i,
                          sparse ? "labels" : "one-hot", got, cases[i].want);
        }
    /* AUC(num_thresholds=4): thresholds -1e-7, 1/3, 2/3, 1 + 1e-7 on the binary data:
     * tp 4 3 1 0, fp 4 3 2 0: ROC 0.40625, PR (Keras' interpolation) 0.4261421365733424. */
    const deep_metric_config four = {0.5, 5, -1, 4};
    ck_assert_double_eq_tol(run(DEEP_METRIC_AUC, &four, bin_pred, bin_true, NULL, 8, 1, 3), 0.40625, 1e-12);
    ck_assert_double_eq_tol(run(DEEP_METRIC_PR_AUC, &four, bin_pred, bin_true, NULL, 8, 1, 3), 0.4261421365733424,
                            1e-12);
    const deep_metric_config most = {0.5, 5, -1, DEEP_AUC_MAX_THRESHOLDS};
    ck_assert_double_eq_tol(run(DEEP_METRIC_AUC, &most, p4_global, y4_global, NULL, 4, 1, 4), 0.75, 1e-12);
}
END_TEST

START_TEST(names)
{
    ck_assert(!deep_metric_is_compilable(DEEP_METRIC_LOSS));
    ck_assert(!deep_metric_is_compilable((deep_metric)11));
    ck_assert(!deep_metric_is_compilable((deep_metric)-1));
    for (int m = 1; m <= 10; m++) {
        ck_assert(deep_metric_is_compilable((deep_metric)m));
        ck_assert_ptr_nonnull(deep_metric_file_name((deep_metric)m));
    }
    ck_assert_str_eq(deep_metric_log_name(DEEP_METRIC_AUC), "auc");
    ck_assert_str_eq(deep_metric_file_name(DEEP_METRIC_MEAN_SQUARED_ERROR), "mean_squared_error");
    ck_assert_str_eq(deep_metric_log_name(DEEP_METRIC_MEAN_SQUARED_ERROR), "mse");
}
END_TEST

/* A model whose output is its input: Dense(1, linear) with kernel 1 and bias 0, on one
 * input, or twice (two outputs) on one input. */
static deep_model *identity_model(int outputs, const deep_metric *metrics, int64_t metric_count)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){1}, &m));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    int32_t input = 0, nodes[2];
    for (int k = 0; k < outputs; k++) {
        ASSERT_OK(deep_model_connect(m, &input, 1));
        ASSERT_OK(deep_model_add_dense(m, 1, DEEP_ACTIVATION_LINEAR, 1));
        ASSERT_OK(deep_model_last_node(m, &nodes[k]));
    }
    if (outputs > 1)
        ASSERT_OK(deep_model_set_outputs(m, nodes, outputs));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    const deep_loss losses[2] = {DEEP_LOSS_MEAN_SQUARED_ERROR, DEEP_LOSS_MEAN_SQUARED_ERROR};
    ASSERT_OK(deep_model_compile_outputs(m, opt, losses, NULL, outputs, metrics, metric_count));
    deep_tensor *one = NULL, *zero = NULL;
    ASSERT_OK(deep_tensor_new(2, (const int64_t[]){1, 1}, &one));
    ASSERT_OK(deep_tensor_new(1, (const int64_t[]){1}, &zero));
    ASSERT_OK(deep_tensor_fill(one, 1.0f));
    for (int k = 0; k < outputs; k++) {
        ASSERT_OK(deep_model_set_weight(m, k, 0, one));
        ASSERT_OK(deep_model_set_weight(m, k, 1, zero));
    }
    deep_tensor_free(one);
    deep_tensor_free(zero);
    return m;
}

static const deep_metric model_metrics[] = {DEEP_METRIC_PRECISION, DEEP_METRIC_RECALL,
                                            DEEP_METRIC_AUC,       DEEP_METRIC_PR_AUC,
                                            DEEP_METRIC_BINARY_ACCURACY, DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR};
#define MODEL_METRICS 6

START_TEST(model_evaluate_and_history)
{
    for (int outputs = 1; outputs <= 2; outputs++) {
        deep_model *m = identity_model(outputs, model_metrics, MODEL_METRICS);
        deep_dataset *d = NULL;
        ASSERT_OK(deep_dataset_new(8, 1, (const int64_t[]){1}, bin_pred, &d));
        float targets[16];
        for (int i = 0; i < 8; i++)
            for (int k = 0; k < outputs; k++)
                targets[i * outputs + k] = bin_true[i];
        ASSERT_OK(deep_dataset_set_targets(d, targets, 8, outputs));
        double rmse = 0;
        for (int i = 0; i < 8; i++)
            rmse += ((double)bin_pred[i] - bin_true[i]) * ((double)bin_pred[i] - bin_true[i]);
        rmse = sqrt(rmse / 8);
        const double expected[MODEL_METRICS] = {1.0 / 3, 0.25, KERAS_ROC, KERAS_PR, 3.0 / 8, rmse};
        double values[1 + 2 * (1 + MODEL_METRICS)];
        int64_t needed;
        ASSERT_OK(deep_model_evaluate(m, d, 3, values, COUNT_OF(values), &needed));
        int64_t first = outputs == 1 ? 1 : 1 + outputs;
        ck_assert_int_eq(needed, outputs == 1 ? 1 + MODEL_METRICS : 1 + outputs * (1 + MODEL_METRICS));
        for (int k = 0; k < outputs; k++)
            for (int j = 0; j < MODEL_METRICS; j++)
                ck_assert_msg(fabs(values[first + k * MODEL_METRICS + j] - expected[j]) < 1e-6,
                              "outputs %d output %d metric %d: %.10g, Keras %.10g", outputs, k, j,
                              values[first + k * MODEL_METRICS + j], expected[j]);
        /* fit with a learning rate of 1e-20 leaves the float weights as they are: the
         * history holds the same values, also per output. */
        deep_optimizer *opt = NULL;
        ASSERT_OK(deep_model_optimizer(m, &opt));
        ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 1e-20));
        ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_SHUFFLE, 0));
        ASSERT_OK(deep_model_fit(m, d, 1, 3, d));
        for (int j = 0; j < MODEL_METRICS; j++) {
            double v;
            ASSERT_OK(deep_model_history(m, 0, model_metrics[j], 0, &v));
            ck_assert_double_eq_tol(v, expected[j], 1e-6);
            ASSERT_OK(deep_model_history_output(m, 0, outputs - 1, model_metrics[j], 1, &v));
            ck_assert_double_eq_tol(v, expected[j], 1e-6);
        }
        deep_dataset_free(d);
        deep_model_free(m);
    }
}
END_TEST

START_TEST(compile_checks)
{
    const deep_metric bad[1] = {(deep_metric)11};
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){1}, &m));
    ASSERT_OK(deep_model_add_dense(m, 1, DEEP_ACTIVATION_LINEAR, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_FAILS(deep_model_compile(m, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, bad, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_compile");
    deep_model_free(m);
    /* Two outputs times five AUCs keep ten curves: more than DEEP_MAX_CURVES. */
    const deep_metric aucs[5] = {DEEP_METRIC_AUC, DEEP_METRIC_PR_AUC, DEEP_METRIC_AUC, DEEP_METRIC_PR_AUC,
                                 DEEP_METRIC_AUC};
    deep_model *one = identity_model(1, aucs, 5);
    deep_model_free(one);
    ASSERT_OK(deep_model_new(1, (const int64_t[]){1}, &m));
    int32_t input = 0, nodes[2];
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(deep_model_connect(m, &input, 1));
        ASSERT_OK(deep_model_add_dense(m, 1, DEEP_ACTIVATION_LINEAR, 1));
        ASSERT_OK(deep_model_last_node(m, &nodes[k]));
    }
    ASSERT_OK(deep_model_set_outputs(m, nodes, 2));
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    const deep_loss losses[2] = {DEEP_LOSS_MEAN_SQUARED_ERROR, DEEP_LOSS_MEAN_SQUARED_ERROR};
    ASSERT_FAILS_WITH(deep_model_compile_outputs(m, opt, losses, NULL, 2, aucs, 5), DEEP_ERR_UNSUPPORTED,
                      "deep_model_compile_outputs", "AUC");
    deep_model_free(m);
}
END_TEST

/* Saved metric names load back to the same metrics, with the history's values. */
START_TEST(metrics_survive_save_and_load)
{
    const deep_metric all[8] = {DEEP_METRIC_PRECISION, DEEP_METRIC_RECALL, DEEP_METRIC_AUC,
                                DEEP_METRIC_PR_AUC, DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY,
                                DEEP_METRIC_MEAN_SQUARED_ERROR, DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR,
                                DEEP_METRIC_BINARY_ACCURACY};
    deep_model *m = identity_model(1, all, 8);
    char path[] = "/tmp/libdeep-metrics-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ASSERT_OK(deep_model_save(m, path));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load(path, &loaded));
    deep_dataset *d = NULL;
    ASSERT_OK(deep_dataset_new(8, 1, (const int64_t[]){1}, bin_pred, &d));
    ASSERT_OK(deep_dataset_set_targets(d, bin_true, 8, 1));
    double a[9], b[9];
    int64_t needed;
    ASSERT_OK(deep_model_evaluate(m, d, 8, a, 9, &needed));
    ASSERT_OK(deep_model_evaluate(loaded, d, 8, b, 9, &needed));
    for (int i = 0; i < 9; i++)
        ck_assert_double_eq(a[i], b[i]);
    deep_dataset_free(d);
    deep_model_free(loaded);
    deep_model_free(m);
    close(fd);
    unlink(path);
}
END_TEST

/* Dense(3, linear) with an identity kernel: the model's outputs are its inputs. */
static deep_model *identity3(const deep_metric *metrics, int64_t metric_count)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){3}, &m));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_dense(m, 3, DEEP_ACTIVATION_LINEAR, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(m, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, metrics, metric_count));
    const float eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    deep_tensor *kernel = NULL, *zero = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (const int64_t[]){3, 3}, eye, 9, &kernel));
    ASSERT_OK(deep_tensor_new(1, (const int64_t[]){3}, &zero));
    ASSERT_OK(deep_model_set_weight(m, 0, 0, kernel));
    ASSERT_OK(deep_model_set_weight(m, 0, 1, zero));
    deep_tensor_free(kernel);
    deep_tensor_free(zero);
    return m;
}

/* Per-metric settings (since 1.3) through a model: two Precision metrics with different
 * class_id side by side, a top_k Recall, a k of 1 for top-k accuracy beside the model's
 * k, AUC with 4 thresholds; they survive save and load, compile resets them, and the
 * calls check what they are given. */
START_TEST(model_metric_settings)
{
    const deep_metric metrics[6] = {DEEP_METRIC_PRECISION, DEEP_METRIC_PRECISION, DEEP_METRIC_RECALL,
                                    DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY, DEEP_METRIC_AUC,
                                    DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY};
    deep_model *m = identity3(metrics, 6);
    ASSERT_OK(deep_model_set_metric_int(m, 0, DEEP_METRIC_OPTION_CLASS_ID, 2));
    ASSERT_OK(deep_model_set_metric_int(m, 1, DEEP_METRIC_OPTION_TOP_K, 2));
    ASSERT_OK(deep_model_set_metric_float(m, 1, DEEP_METRIC_OPTION_THRESHOLD, 0.4));
    ASSERT_OK(deep_model_set_metric_int(m, 2, DEEP_METRIC_OPTION_TOP_K, 2));
    ASSERT_OK(deep_model_set_metric_int(m, 3, DEEP_METRIC_OPTION_TOP_K, 1));
    ASSERT_OK(deep_model_set_metric_int(m, 4, DEEP_METRIC_OPTION_NUM_THRESHOLDS, 4));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_TOP_K, 2)); /* metric 5's k */
    int64_t v = 0;
    double t = 0;
    ASSERT_OK(deep_model_get_metric_float(m, 2, DEEP_METRIC_OPTION_THRESHOLD, &t));
    ck_assert_double_eq(t, -1e10); /* Keras' default with top_k */
    ASSERT_OK(deep_model_get_metric_float(m, 0, DEEP_METRIC_OPTION_THRESHOLD, &t));
    ck_assert_double_eq(t, 0.5);
    ASSERT_OK(deep_model_get_metric_int(m, 5, DEEP_METRIC_OPTION_TOP_K, &v));
    ck_assert_int_eq(v, 2);
    ASSERT_OK(deep_model_get_metric_int(m, 1, DEEP_METRIC_OPTION_CLASS_ID, &v));
    ck_assert_int_eq(v, -1);
    deep_dataset *d = NULL;
    ASSERT_OK(deep_dataset_new(4, 1, (const int64_t[]){3}, cls_pred, &d));
    ASSERT_OK(deep_dataset_set_targets(d, cls_true, 4, 3));
    /* Precision(class_id=2) 1, Precision(top_k=2, thresholds=0.4) 0.75, Recall(top_k=2)
     * 0.75, top-1 accuracy 0.5, AUC(num_thresholds=4) on the 12 entries, top-2 accuracy 1 */
    double auc4 = 0;
    {
        const deep_metric_config four = {0.5, 5, -1, 4};
        auc4 = run(DEEP_METRIC_AUC, &four, cls_pred, cls_true, NULL, 4, 3, 4);
        const deep_metric_config dflt = {0.5, 5, -1, 200};
        ck_assert(fabs(auc4 - run(DEEP_METRIC_AUC, &dflt, cls_pred, cls_true, NULL, 4, 3, 4)) > 1e-3);
    }
    const double want[6] = {1.0, 0.75, 0.75, 0.5, auc4, 1.0};
    double a[7], b[7];
    int64_t needed;
    ASSERT_OK(deep_model_evaluate(m, d, 3, a, 7, &needed));
    for (int i = 0; i < 6; i++)
        ck_assert_msg(fabs(a[1 + i] - want[i]) < 1e-6, "metric %d: %.10g, Keras %.10g", i, a[1 + i], want[i]);
    char path[] = "/tmp/libdeep-metric-settings-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ASSERT_OK(deep_model_save(m, path));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load(path, &loaded));
    ASSERT_OK(deep_model_evaluate(loaded, d, 3, b, 7, &needed));
    for (int i = 0; i < 7; i++)
        ck_assert_double_eq(a[i], b[i]);
    ASSERT_OK(deep_model_get_metric_int(loaded, 4, DEEP_METRIC_OPTION_NUM_THRESHOLDS, &v));
    ck_assert_int_eq(v, 4);
    close(fd);
    unlink(path);
    /* The checks. */
    ASSERT_FAILS_WITH(deep_model_set_metric_int(m, 6, DEEP_METRIC_OPTION_TOP_K, 1), DEEP_ERR_OUT_OF_RANGE,
                      "deep_model_set_metric_int", "6 compiled metrics");
    ASSERT_FAILS_WITH(deep_model_set_metric_int(m, 4, DEEP_METRIC_OPTION_CLASS_ID, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_metric_int", "metric 4 (auc) takes no DEEP_METRIC_OPTION_CLASS_ID");
    ASSERT_FAILS_WITH(deep_model_set_metric_int(m, 0, DEEP_METRIC_OPTION_CLASS_ID, 3), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_metric_int", "3 classes");
    ASSERT_FAILS_WITH(deep_model_set_metric_int(m, 0, DEEP_METRIC_OPTION_THRESHOLD, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_metric_int", "deep_model_set_metric_float");
    ASSERT_FAILS(deep_model_set_metric_float(m, 0, DEEP_METRIC_OPTION_THRESHOLD, NAN), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_metric_float");
    ASSERT_FAILS(deep_model_set_metric_int(m, 4, DEEP_METRIC_OPTION_NUM_THRESHOLDS, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_metric_int");
    ASSERT_FAILS(deep_model_set_metric_int(m, 4, DEEP_METRIC_OPTION_NUM_THRESHOLDS, 1001), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_metric_int");
    ASSERT_FAILS(deep_model_set_metric_int(m, 3, DEEP_METRIC_OPTION_TOP_K, 0), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_metric_int");
    ASSERT_FAILS(deep_model_set_metric_int(m, 0, (deep_metric_option)9, 0), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_metric_int");
    ASSERT_FAILS(deep_model_set_metric_int(NULL, 0, DEEP_METRIC_OPTION_TOP_K, 1), DEEP_ERR_NULL,
                 "deep_model_set_metric_int");
    ASSERT_FAILS(deep_model_get_metric_int(m, 0, DEEP_METRIC_OPTION_TOP_K, NULL), DEEP_ERR_NULL,
                 "deep_model_get_metric_int");
    /* compile starts afresh */
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
    ASSERT_OK(deep_model_compile(m, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, metrics, 6));
    ASSERT_OK(deep_model_get_metric_int(m, 0, DEEP_METRIC_OPTION_CLASS_ID, &v));
    ck_assert_int_eq(v, -1);
    deep_model *bare = NULL;
    ASSERT_OK(deep_model_new(1, (const int64_t[]){3}, &bare));
    ASSERT_FAILS(deep_model_set_metric_int(bare, 0, DEEP_METRIC_OPTION_TOP_K, 1), DEEP_ERR_STATE,
                 "deep_model_set_metric_int");
    deep_model_free(bare);
    deep_dataset_free(d);
    deep_model_free(loaded);
    deep_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compiled_metrics");
    TCase *t = tcase_create("compiled_metrics");
    tcase_add_test(t, binary_values_match_keras);
    tcase_add_test(t, multiclass_values_match_keras);
    tcase_add_test(t, names);
    tcase_add_test(t, model_evaluate_and_history);
    tcase_add_test(t, compile_checks);
    tcase_add_test(t, metrics_survive_save_and_load);
    tcase_add_test(t, metric_arguments_match_keras);
    tcase_add_test(t, model_metric_settings);
    suite_add_tcase(s, t);
    return run_suite(s, CK_NORMAL);
}
