/* trees_bench: libdeep's side of bench/run-trees-bench.sh. Fits one decision tree or a
 * random forest on the Fashion-MNIST training pixels (784 features, raw 0..255) and
 * scores it on the test set. Prints one line:
 *   libdeep model=tree|forest fit_seconds=X fit_cpu_seconds=C predict_seconds=Y test_accuracy=Z peak_rss_mb=M
 * Usage: trees_bench tree|forest [THREADS [DATA_DIR [SPLITTER]]]
 *   SPLITTER  auto (default: histogram at this size), exact or histogram */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "deep.h"

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        deep_status s_ = (call);                                                                     \
        if (s_ != DEEP_OK) {                                                                         \
            fprintf(stderr, "trees_bench: %s: %s (%s)\n", #call, deep_last_error(), deep_status_string(s_)); \
            exit(1);                                                                                 \
        }                                                                                            \
    } while (0)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* User plus system time of all threads: on a busy machine it is steadier than wall time. */
static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

static deep_dataset *load(const char *dir, const char *prefix)
{
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_dataset *d;
    CHECK(deep_dataset_load_idx(images, labels, &d));
    CHECK(deep_dataset_reshape(d, 1, (int64_t[]){784}));
    return d;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "tree") != 0 && strcmp(argv[1], "forest") != 0)) {
        fprintf(stderr, "usage: trees_bench tree|forest [THREADS [DATA_DIR [auto|exact|histogram]]]\n");
        return 2;
    }
    bool forest_mode = strcmp(argv[1], "forest") == 0;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    const char *dir = argc > 3 ? argv[3] : "/usr/share/datasets/fashion-mnist";
    const char *splitter_name = argc > 4 ? argv[4] : "auto";
    deep_splitter splitter = strcmp(splitter_name, "exact") == 0       ? DEEP_SPLITTER_EXACT
                             : strcmp(splitter_name, "histogram") == 0 ? DEEP_SPLITTER_HISTOGRAM
                                                                       : DEEP_SPLITTER_AUTO;
    deep_dataset *train = load(dir, "train"), *test = load(dir, "t10k");
    deep_tensor *test_x;
    CHECK(deep_dataset_features(test, &test_x));

    double cpu = cpu_seconds(), start = now(), fit, predict, accuracy;
    if (forest_mode) {
        deep_forest *forest;
        CHECK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
        CHECK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 100));
        CHECK(deep_forest_set_int(forest, DEEP_FOREST_THREADS, threads));
        CHECK(deep_forest_set_int(forest, DEEP_TREE_SPLITTER, splitter));
        CHECK(deep_forest_set_int(forest, DEEP_TREE_SEED, 0));
        CHECK(deep_forest_fit(forest, train));
        fit = now() - start;
        cpu = cpu_seconds() - cpu;
        start = now();
        deep_tensor *out;
        CHECK(deep_forest_predict(forest, test_x, &out));
        predict = now() - start;
        deep_tensor_free(out);
        CHECK(deep_forest_score(forest, test, &accuracy));
        deep_forest_free(forest);
    } else {
        deep_tree *tree;
        CHECK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
        CHECK(deep_tree_set_int(tree, DEEP_TREE_SPLITTER, splitter));
        CHECK(deep_tree_fit(tree, train));
        fit = now() - start;
        cpu = cpu_seconds() - cpu;
        start = now();
        deep_tensor *out;
        CHECK(deep_tree_predict(tree, test_x, &out));
        predict = now() - start;
        deep_tensor_free(out);
        CHECK(deep_tree_score(tree, test, &accuracy));
        deep_tree_free(tree);
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("libdeep model=%s fit_seconds=%.3f fit_cpu_seconds=%.3f predict_seconds=%.3f test_accuracy=%.4f "
           "peak_rss_mb=%.1f\n", argv[1], fit, cpu, predict, accuracy, (double)usage.ru_maxrss / 1024.0);
    deep_tensor_free(test_x);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return 0;
}
