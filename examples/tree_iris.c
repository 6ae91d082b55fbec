/* tree_iris: scikit-learn's first tree workflow in C — load the iris table, split it 70/30
 * with a fixed seed, fit a DecisionTreeClassifier with its defaults, print the test
 * accuracy, the confusion matrix and the feature importances, then 5-fold
 * cross-validation.
 *
 * Usage: tree_iris [iris.csv [SPLIT_DIR]]
 * The default input is examples/data/iris.csv (run from the source tree): Fisher's 150
 * iris flowers, public domain, as shipped with scikit-learn. With SPLIT_DIR the train and
 * test parts are also written there (iris-train.csv, iris-test.csv) so that another
 * library can be fitted on exactly the same split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <deep.h>

static int check(deep_status status, const char *what)
{
    if (status != DEEP_OK)
        fprintf(stderr, "%s failed: %s (%s)\n", what, deep_last_error(), deep_status_string(status));
    return status != DEEP_OK;
}

/* The predicted class ids of a fitted tree on every sample of data. */
static int32_t *predict_labels(const deep_tree *tree, const deep_dataset *data, int64_t count)
{
    deep_tensor *x = NULL, *y = NULL;
    const float *values;
    int32_t *labels = malloc((size_t)count * sizeof *labels);
    if (labels == NULL || check(deep_dataset_features(data, &x), "deep_dataset_features") ||
        check(deep_tree_predict(tree, x, &y), "deep_tree_predict") || check(deep_tensor_data(y, &values), "data")) {
        free(labels);
        labels = NULL;
    }
    for (int64_t i = 0; labels && i < count; i++)
        labels[i] = (int32_t)values[i];
    deep_tensor_free(x);
    deep_tensor_free(y);
    return labels;
}

static int report(const deep_tree *tree, const deep_dataset *data, const deep_dataset *test)
{
    int64_t count, features;
    int32_t classes;
    int64_t rank, needed;
    double accuracy;
    if (check(deep_dataset_count(test, &count), "deep_dataset_count") ||
        check(deep_dataset_num_classes(data, &classes), "deep_dataset_num_classes") ||
        check(deep_dataset_sample_shape(data, &features, 1, &rank), "deep_dataset_sample_shape") ||
        check(deep_tree_score(tree, test, &accuracy), "deep_tree_score"))
        return 1;
    printf("test accuracy: %.4f (%lld test samples)\n", accuracy, (long long)count);

    int32_t *truth = malloc((size_t)count * sizeof *truth), *predicted = predict_labels(tree, test, count);
    int64_t matrix[16 * 16];
    double importances[64];
    int failed = truth == NULL || predicted == NULL || classes > 16 || features > 64 ||
                 check(deep_dataset_labels(test, truth, count, &needed), "deep_dataset_labels") ||
                 check(deep_metric_confusion_matrix(truth, predicted, count, classes, matrix),
                       "deep_metric_confusion_matrix") ||
                 check(deep_tree_feature_importances(tree, importances, 64, &needed), "deep_tree_feature_importances");
    if (!failed) {
        char name[64];
        printf("\nconfusion matrix (rows: true class, columns: predicted)\n%12s", "");
        for (int32_t p = 0; p < classes; p++)
            printf(" %11s", deep_dataset_class_name(data, p, name, sizeof name, &needed) == DEEP_OK ? name : "?");
        for (int32_t t = 0; t < classes; t++) {
            printf("\n%12s", deep_dataset_class_name(data, t, name, sizeof name, &needed) == DEEP_OK ? name : "?");
            for (int32_t p = 0; p < classes; p++)
                printf(" %11lld", (long long)matrix[t * classes + p]);
        }
        printf("\n\nfeature importances\n");
        for (int64_t f = 0; f < features; f++)
            printf("  %-14s %.4f\n", deep_dataset_column_name(data, f, name, sizeof name, &needed) == DEEP_OK ? name : "?",
                   importances[f]);
    }
    free(truth);
    free(predicted);
    return failed;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/data/iris.csv";
    const char *split_dir = argc > 2 ? argv[2] : NULL;
    deep_dataset *data = NULL, *train = NULL, *test = NULL;
    deep_tree *tree = NULL;
    int failed = check(deep_dataset_load_csv(path, "species", &data), "deep_dataset_load_csv") ||
                 check(deep_dataset_split(data, 0.3, 42, 0, &train, &test), "deep_dataset_split") ||
                 check(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree), "deep_tree_new") ||
                 check(deep_tree_fit(tree, train), "deep_tree_fit");
    if (!failed && split_dir != NULL) {
        char p[4096];
        snprintf(p, sizeof p, "%s/iris-train.csv", split_dir);
        failed = check(deep_dataset_write_csv(train, p), "deep_dataset_write_csv");
        snprintf(p, sizeof p, "%s/iris-test.csv", split_dir);
        failed = failed || check(deep_dataset_write_csv(test, p), "deep_dataset_write_csv");
    }
    if (!failed) {
        int64_t nodes, depth;
        failed = check(deep_tree_node_count(tree, &nodes), "deep_tree_node_count") ||
                 check(deep_tree_depth(tree, &depth), "deep_tree_depth");
        if (!failed)
            printf("decision tree: %lld nodes, depth %lld\n", (long long)nodes, (long long)depth);
        failed = failed || report(tree, data, test);
    }
    double scores[5];
    int64_t needed;
    if (!failed &&
        !check(deep_tree_cross_val_score(tree, data, 5, 42, scores, 5, &needed), "deep_tree_cross_val_score")) {
        double mean = 0;
        printf("\n5-fold cross-validation accuracy:");
        for (int k = 0; k < 5; k++) {
            printf(" %.4f", scores[k]);
            mean += scores[k] / 5;
        }
        printf("  (mean %.4f)\n", mean);
    } else {
        failed = 1;
    }
    deep_tree_free(tree);
    deep_dataset_free(data);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return failed;
}
