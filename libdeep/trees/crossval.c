/* Cross-validated scores of trees and forests: fit a fresh copy of the learner's settings
 * on each k-fold training part and score it on the held-out fold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

/* One fold: fit a copy of the learner on train and score it on test. */
typedef deep_status (*fold_fn)(const char *caller, const void *learner, const deep_dataset *train,
                               const deep_dataset *test, double *score);

static deep_status tree_fold(const char *caller, const void *learner, const deep_dataset *train,
                             const deep_dataset *test, double *score)
{
    deep_tree *tree;
    DEEP_TRY(tree_clone_settings(caller, learner, &tree));
    deep_status s = deep_tree_fit(tree, train);
    if (s == DEEP_OK)
        s = deep_tree_score(tree, test, score);
    deep_tree_free(tree);
    return s;
}

static deep_status forest_fold(const char *caller, const void *learner, const deep_dataset *train,
                               const deep_dataset *test, double *score)
{
    deep_forest *forest;
    DEEP_TRY(forest_clone_settings(caller, learner, &forest));
    deep_status s = deep_forest_fit(forest, train);
    if (s == DEEP_OK)
        s = deep_forest_score(forest, test, score);
    deep_forest_free(forest);
    return s;
}

/* How the folds are drawn: plain or stratified k-fold, shuffled or not. */
typedef struct {
    bool stratified;
    int32_t shuffle;
    uint64_t seed;
} fold_plan;

static deep_status plan_folds(const char *caller, deep_tree_kind kind, deep_cv cv, int32_t shuffle, uint64_t seed,
                              fold_plan *plan)
{
    switch (cv) {
    case DEEP_CV_AUTO:
        plan->stratified = kind == DEEP_TREE_CLASSIFIER; /* scikit-learn's check_cv */
        break;
    case DEEP_CV_KFOLD:
        plan->stratified = false;
        break;
    case DEEP_CV_STRATIFIED:
        if (kind != DEEP_TREE_CLASSIFIER)
            return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                                  "stratified folds need class labels; a regressor's targets have none (use "
                                  "DEEP_CV_KFOLD or DEEP_CV_AUTO)");
        plan->stratified = true;
        break;
    default:
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "cv %d is not a deep_cv value (DEEP_CV_AUTO, DEEP_CV_KFOLD, DEEP_CV_STRATIFIED)",
                              (int)cv);
    }
    if (shuffle != 0 && shuffle != 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "shuffle must be 0 or 1, got %d", (int)shuffle);
    plan->shuffle = shuffle;
    plan->seed = seed;
    return DEEP_OK;
}

static deep_status fold_indices(const fold_plan *plan, const deep_dataset *data, int64_t folds, int64_t k,
                                int64_t *train_idx, int64_t *n_train, int64_t *test_idx, int64_t *n_test)
{
    if (plan->stratified)
        return deep_stratified_kfold_indices(data->labels, data->count, folds, k, plan->shuffle, plan->seed,
                                             train_idx, data->count, n_train, test_idx, data->count, n_test);
    return deep_kfold_indices(data->count, folds, k, plan->shuffle, plan->seed, train_idx, data->count, n_train,
                              test_idx, data->count, n_test);
}

static deep_status cross_validate(const char *caller, deep_tree_kind kind, const void *learner, fold_fn fold,
                                  const deep_dataset *data, int64_t folds, const fold_plan *plan, double *scores,
                                  int64_t capacity, int64_t *needed)
{
    if (data == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'data' is NULL");
    DEEP_TRY(deep_output_args(caller, scores, capacity, needed));
    if (folds < 2 || folds > data->count)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "folds must be in [2, %lld], got %lld",
                              (long long)data->count, (long long)folds);
    DEEP_TRY(tree_score_check(caller, kind, data, data->sample_size, NULL));
    if (plan->stratified && data->labels == NULL)
        return deep_error_set(DEEP_ERR_STATE, caller, "stratified folds need the dataset's labels; it has none");
    bool write;
    DEEP_TRY(deep_output_check(caller, "one score per fold", scores, capacity, needed, folds, &write));
    if (!write)
        return DEEP_OK; /* the size query: nothing is fitted */
    int64_t *train_idx = deep_alloc(data->count, sizeof *train_idx);
    int64_t *test_idx = deep_alloc(data->count, sizeof *test_idx);
    double *fold_scores = deep_alloc(folds, sizeof *fold_scores); /* scores is written only on success */
    deep_status s = train_idx && test_idx && fold_scores ? DEEP_OK : DEEP_ERR_NO_MEMORY;
    if (s != DEEP_OK)
        deep_error_set(s, caller, "no memory for the fold indices");
    for (int64_t k = 0; k < folds && s == DEEP_OK; k++) {
        int64_t n_train, n_test;
        deep_dataset *train = NULL, *test = NULL;
        s = fold_indices(plan, data, folds, k, train_idx, &n_train, test_idx, &n_test);
        if (s == DEEP_OK)
            s = deep_dataset_subset(data, train_idx, n_train, &train);
        if (s == DEEP_OK)
            s = deep_dataset_subset(data, test_idx, n_test, &test);
        if (s == DEEP_OK)
            s = fold(caller, learner, train, test, &fold_scores[k]);
        if (s != DEEP_OK) {
            /* Name this function, keeping the nested call's explanation. */
            char nested[512];
            snprintf(nested, sizeof nested, "%s", deep_last_error());
            deep_error_set(s, caller, "fold %lld: %s", (long long)k, nested);
        }
        deep_dataset_free(train);
        deep_dataset_free(test);
    }
    if (s == DEEP_OK)
        memcpy(scores, fold_scores, (size_t)folds * sizeof *scores);
    else
        *needed = 0; /* deep.h: 0 after any failure but a short buffer */
    free(train_idx);
    free(test_idx);
    free(fold_scores);
    return s;
}

deep_status deep_tree_cross_val_score(const deep_tree *tree, const deep_dataset *data, int64_t folds,
                                      uint64_t seed, double *scores, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, scores, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(tree);
    fold_plan plan = {false, 1, seed}; /* documented since 1.0: shuffled plain k-fold */
    return cross_validate(__func__, tree->params.kind, tree, tree_fold, data, folds, &plan, scores, capacity,
                          needed);
}

deep_status deep_forest_cross_val_score(const deep_forest *forest, const deep_dataset *data, int64_t folds,
                                        uint64_t seed, double *scores, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, scores, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(forest);
    fold_plan plan = {false, 1, seed};
    return cross_validate(__func__, forest->params.kind, forest, forest_fold, data, folds, &plan, scores, capacity,
                          needed);
}

deep_status deep_tree_cross_val_score_cv(const deep_tree *tree, const deep_dataset *data, int64_t folds, deep_cv cv,
                                         int32_t shuffle, uint64_t seed, double *scores, int64_t capacity,
                                         int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, scores, capacity, needed));
    DEEP_REQUIRE(tree);
    fold_plan plan;
    DEEP_TRY(plan_folds(__func__, tree->params.kind, cv, shuffle, seed, &plan));
    return cross_validate(__func__, tree->params.kind, tree, tree_fold, data, folds, &plan, scores, capacity,
                          needed);
}

deep_status deep_forest_cross_val_score_cv(const deep_forest *forest, const deep_dataset *data, int64_t folds,
                                           deep_cv cv, int32_t shuffle, uint64_t seed, double *scores,
                                           int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, scores, capacity, needed));
    DEEP_REQUIRE(forest);
    fold_plan plan;
    DEEP_TRY(plan_folds(__func__, forest->params.kind, cv, shuffle, seed, &plan));
    return cross_validate(__func__, forest->params.kind, forest, forest_fold, data, folds, &plan, scores,
                          capacity, needed);
}
