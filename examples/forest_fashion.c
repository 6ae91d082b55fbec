/* forest_fashion: a 100-tree random forest on the Fashion-MNIST pixels (784 features per
 * image, raw 0..255), as scikit-learn's RandomForestClassifier(n_estimators=100): prints
 * the fit time, the out-of-bag score and the test accuracy.
 *
 * Usage: forest_fashion [DATA_DIR [THREADS [SEED]]]
 *   (default /usr/share/datasets/fashion-mnist, 0 = all cores, 42) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <deep.h>

static int check(deep_status status, const char *what)
{
    if (status != DEEP_OK)
        fprintf(stderr, "%s failed: %s (%s)\n", what, deep_last_error(), deep_status_string(status));
    return status != DEEP_OK;
}

static deep_dataset *load(const char *dir, const char *prefix)
{
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    deep_dataset *d = NULL;
    if (check(deep_dataset_load_idx(images, labels, &d), "deep_dataset_load_idx") ||
        check(deep_dataset_reshape(d, 1, (int64_t[]){784}), "deep_dataset_reshape")) {
        deep_dataset_free(d);
        return NULL;
    }
    return d;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int threads = argc > 2 ? atoi(argv[2]) : 0;
    unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    deep_dataset *train = load(dir, "train"), *test = load(dir, "t10k");
    deep_forest *forest = NULL;
    int failed = train == NULL || test == NULL ||
                 check(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest), "deep_forest_new") ||
                 check(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 100), "deep_forest_set_int") ||
                 check(deep_forest_set_int(forest, DEEP_FOREST_THREADS, threads), "deep_forest_set_int") ||
                 check(deep_forest_set_int(forest, DEEP_FOREST_OOB_SCORE, 1), "deep_forest_set_int") ||
                 check(deep_forest_set_int(forest, DEEP_TREE_SEED, (int64_t)seed), "deep_forest_set_int");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    failed = failed || check(deep_forest_fit(forest, train), "deep_forest_fit");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double oob, accuracy;
    if (!failed && !check(deep_forest_oob_score(forest, &oob), "deep_forest_oob_score") &&
        !check(deep_forest_score(forest, test, &accuracy), "deep_forest_score")) {
        printf("fit time: %.1f s (100 trees, histogram splits on 60000 x 784 pixels)\n",
               (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
        printf("out-of-bag score: %.4f\n", oob);
        printf("test accuracy: %.4f\n", accuracy);
    } else {
        failed = 1;
    }
    deep_forest_free(forest);
    deep_dataset_free(train);
    deep_dataset_free(test);
    return failed;
}
