/* train_small: the program scripts/check-deb.sh builds against the installed Debian
 * packages (libdeep-dev) with nothing but `pkg-config --cflags --libs libdeep`, from outside
 * the source tree. It trains a small network and a random forest on the XOR of two
 * coordinates (a problem no linear model solves), checks that both reach a test accuracy of
 * at least 0.9, and that a misuse comes back as a status with a message. Prints
 * "package program OK" at the end; exits non-zero on any failure. */
#include <stdio.h>
#include <string.h>

#include <deep.h>

#define CHECK(call)                                                                        \
    do {                                                                                   \
        deep_status status_ = (call);                                                      \
        if (status_ != DEEP_OK) {                                                          \
            fprintf(stderr, "%s failed: %s (%s)\n", #call, deep_last_error(),              \
                    deep_status_string(status_));                                          \
            return 1;                                                                      \
        }                                                                                  \
    } while (0)

/* count points uniform in [-1, 1]^2, away from the axes; label 1 when x and y differ in sign. */
static int make_xor(uint64_t seed, int64_t count, deep_dataset **out)
{
    static float features[2 * 1000];
    static int32_t labels[1000];
    deep_rng *rng = NULL;
    if (count > 1000)
        return 1;
    CHECK(deep_rng_new(seed, &rng));
    for (int64_t i = 0; i < count; i++) {
        float x, y;
        do {
            CHECK(deep_rng_uniform(rng, &x));
            CHECK(deep_rng_uniform(rng, &y));
            x = 2.0f * x - 1.0f;
            y = 2.0f * y - 1.0f;
        } while ((x > -0.1f && x < 0.1f) || (y > -0.1f && y < 0.1f));
        features[2 * i] = x;
        features[2 * i + 1] = y;
        labels[i] = (x > 0.0f) != (y > 0.0f);
    }
    deep_rng_free(rng);
    const int64_t shape[1] = {2};
    CHECK(deep_dataset_new(count, 1, shape, features, out));
    CHECK(deep_dataset_set_labels(*out, labels, count, 2));
    return 0;
}

int main(void)
{
    printf("libdeep %s\n", deep_version_string());
    deep_dataset *train = NULL, *test = NULL;
    if (make_xor(1, 800, &train) || make_xor(2, 400, &test))
        return 1;

    /* Sequential([Dense(16, tanh), Dense(2, softmax)]) with Adam. */
    const int64_t input_shape[1] = {2};
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;
    CHECK(deep_model_new(1, input_shape, &model));
    CHECK(deep_model_set_seed(model, 7));
    CHECK(deep_model_set_int(model, DEEP_MODEL_THREADS, 1));
    CHECK(deep_model_add_dense(model, 16, DEEP_ACTIVATION_TANH, 1));
    CHECK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    CHECK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.02));
    const deep_metric metrics[1] = {DEEP_METRIC_ACCURACY};
    CHECK(deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1));
    CHECK(deep_model_fit(model, train, 40, 32, NULL));
    double values[2];
    int64_t needed = 0;
    CHECK(deep_model_evaluate(model, test, 100, values, 2, &needed));
    printf("network: test loss %.4f, test accuracy %.4f\n", values[0], values[1]);
    if (!(values[1] >= 0.9)) {
        fprintf(stderr, "the network did not learn XOR (accuracy %.4f < 0.9)\n", values[1]);
        return 1;
    }

    /* A misuse: 3 features per sample where the model takes 2. */
    const int64_t wrong_shape[2] = {4, 3};
    deep_tensor *wrong = NULL, *out = NULL;
    CHECK(deep_tensor_new(2, wrong_shape, &wrong));
    deep_status status = deep_model_predict(model, wrong, &out);
    if (status != DEEP_ERR_SHAPE || out != NULL || strlen(deep_last_error()) == 0) {
        fprintf(stderr, "predicting on 3 features gave %s, expected DEEP_ERR_SHAPE with a message\n",
                deep_status_string(status));
        return 1;
    }
    printf("misuse reported: %s: %s\n", deep_status_string(status), deep_last_error());

    /* RandomForestClassifier(n_estimators=25). */
    deep_forest *forest = NULL;
    double accuracy = 0.0;
    CHECK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    CHECK(deep_forest_set_int(forest, DEEP_FOREST_N_ESTIMATORS, 25));
    CHECK(deep_forest_set_int(forest, DEEP_TREE_SEED, 3));
    CHECK(deep_forest_fit(forest, train));
    CHECK(deep_forest_score(forest, test, &accuracy));
    printf("forest: test accuracy %.4f\n", accuracy);
    if (!(accuracy >= 0.9)) {
        fprintf(stderr, "the forest did not learn XOR (accuracy %.4f < 0.9)\n", accuracy);
        return 1;
    }

    deep_forest_free(forest);
    deep_tensor_free(wrong);
    deep_model_free(model);
    deep_dataset_free(train);
    deep_dataset_free(test);
    printf("package program OK\n");
    return 0;
}
