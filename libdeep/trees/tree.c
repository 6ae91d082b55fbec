/* The decision tree handle: settings, fit, predictions, scores and node accessors. */
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

deep_status deep_tree_new(deep_tree_kind kind, deep_tree **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    if (kind != DEEP_TREE_CLASSIFIER && kind != DEEP_TREE_REGRESSOR)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "kind %d is not a deep_tree_kind", (int)kind);
    deep_tree *tree = calloc(1, sizeof *tree);
    if (tree == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "no memory for a tree");
    tree_params_init(&tree->params, kind);
    *out = tree;
    return DEEP_OK;
}

void deep_tree_free(deep_tree *tree)
{
    if (tree == NULL)
        return;
    tree_params_clear(&tree->params);
    tree_model_clear(&tree->model);
    free(tree);
}

deep_status deep_tree_set_int(deep_tree *tree, deep_tree_option option, int64_t value)
{
    DEEP_REQUIRE(tree);
    return tree_params_set_int(__func__, &tree->params, option, value);
}

deep_status deep_tree_set_float(deep_tree *tree, deep_tree_option option, double value)
{
    DEEP_REQUIRE(tree);
    return tree_params_set_float(__func__, &tree->params, option, value);
}

deep_status deep_tree_get_int(const deep_tree *tree, deep_tree_option option, int64_t *value)
{
    DEEP_REQUIRE(tree);
    DEEP_REQUIRE(value);
    return tree_params_get_int(__func__, &tree->params, option, value);
}

deep_status deep_tree_get_float(const deep_tree *tree, deep_tree_option option, double *value)
{
    DEEP_REQUIRE(tree);
    DEEP_REQUIRE(value);
    return tree_params_get_float(__func__, &tree->params, option, value);
}

deep_status deep_tree_set_class_weights(deep_tree *tree, const double *weights, int64_t count)
{
    DEEP_REQUIRE(tree);
    return tree_params_set_class_weights(__func__, &tree->params, weights, count);
}

deep_status deep_tree_get_class_weights(const deep_tree *tree, double *weights, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, weights, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(tree);
    return tree_params_get_class_weights(__func__, &tree->params, weights, capacity, needed);
}

deep_status deep_tree_fit(deep_tree *tree, const deep_dataset *data)
{
    DEEP_REQUIRE(tree);
    DEEP_REQUIRE(data);
    struct tree_table table;
    DEEP_TRY(tree_table_init(__func__, &tree->params, data, NULL, &table));
    struct tree_model model;
    deep_status s = tree_grow(__func__, &tree->params, &table, NULL, tree->params.seed, &model);
    tree_table_clear(&table);
    if (s != DEEP_OK)
        return s;
    tree_model_clear(&tree->model);
    tree->model = model;
    return DEEP_OK;
}

/* The fitted model, or DEEP_ERR_STATE naming caller. */
static deep_status fitted(const char *caller, const deep_tree *tree)
{
    if (tree == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'tree' is NULL");
    if (tree->model.node_count == 0)
        return deep_error_set(DEEP_ERR_STATE, caller, "the tree is not fitted yet (call deep_tree_fit)");
    return DEEP_OK;
}

/* Predicted class id or value of each of n rows. */
static void predict_rows(const struct tree_model *m, const float *x, int64_t n, float *out)
{
    for (int64_t i = 0; i < n; i++) {
        const double *v = m->values + tree_model_leaf(m, x + i * m->n_features) * m->width;
        int32_t best = 0;
        for (int32_t c = 1; c < m->width; c++)
            if (v[c] > v[best])
                best = c; /* ties go to the lowest class id */
        out[i] = m->n_classes > 0 ? (float)best : (float)v[0];
    }
}

/* A new (n, width) tensor for predictions of n rows. */
static deep_status output(const char *caller, int64_t n, int64_t width, deep_tensor **out)
{
    int64_t shape[2] = {n, width};
    return deep_tensor_create(caller, width > 0 ? 2 : 1, shape, true, out);
}

deep_status deep_tree_predict(const deep_tree *tree, const deep_tensor *inputs, deep_tensor **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_TRY(fitted(__func__, tree));
    int64_t n;
    DEEP_TRY(tree_inputs_check(__func__, inputs, tree->model.n_features, &n));
    DEEP_TRY(output(__func__, n, 0, out));
    predict_rows(&tree->model, inputs->data, n, (*out)->data);
    return DEEP_OK;
}

deep_status deep_tree_predict_proba(const deep_tree *tree, const deep_tensor *inputs, deep_tensor **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_TRY(fitted(__func__, tree));
    const struct tree_model *m = &tree->model;
    if (m->n_classes == 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "a regressor has no class probabilities (use deep_tree_predict)");
    int64_t n;
    DEEP_TRY(tree_inputs_check(__func__, inputs, m->n_features, &n));
    DEEP_TRY(output(__func__, n, m->n_classes, out));
    for (int64_t i = 0; i < n; i++) {
        const double *v = m->values + tree_model_leaf(m, inputs->data + i * m->n_features) * m->width;
        for (int32_t c = 0; c < m->width; c++)
            (*out)->data[i * m->width + c] = (float)v[c];
    }
    return DEEP_OK;
}

deep_status tree_score_check(const char *caller, deep_tree_kind kind, const deep_dataset *data, int64_t n_features,
                             const float **x)
{
    if (data == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'data' is NULL");
    if (data->sample_size != n_features)
        return deep_error_set(DEEP_ERR_SHAPE, caller, "the dataset has %lld features per sample, the model %lld",
                              (long long)data->sample_size, (long long)n_features);
    if (kind == DEEP_TREE_CLASSIFIER ? data->labels == NULL : (data->target_width != 1 && data->labels == NULL))
        return deep_error_set(DEEP_ERR_STATE, caller, "the dataset has no %s to score against",
                              kind == DEEP_TREE_CLASSIFIER ? "labels" : "width-1 targets or labels");
    if (x == NULL && data->bytes != NULL)
        return DEEP_OK; /* bytes are always finite */
    const float *values;
    DEEP_TRY(deep_dataset_values(caller, data, &values));
    deep_tensor view = {.rank = 2, .shape = {data->count, n_features}, .size = data->count * n_features,
                        .data = (float *)values};
    int64_t rows;
    DEEP_TRY(tree_inputs_check(caller, &view, n_features, &rows));
    if (x != NULL)
        *x = values;
    return DEEP_OK;
}

deep_status deep_tree_score(const deep_tree *tree, const deep_dataset *data, double *score)
{
    DEEP_REQUIRE(score);
    DEEP_TRY(fitted(__func__, tree));
    const float *x;
    DEEP_TRY(tree_score_check(__func__, tree->model.kind, data, tree->model.n_features, &x));
    float *predicted = deep_alloc(data->count, sizeof *predicted);
    if (predicted == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "no memory for %lld predictions", (long long)data->count);
    predict_rows(&tree->model, x, data->count, predicted);
    deep_status s = tree_score_data(__func__, tree->model.kind, predicted, data, score);
    free(predicted);
    return s;
}

deep_status deep_tree_feature_importances(const deep_tree *tree, double *importances, int64_t capacity,
                                          int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, importances, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_TRY(fitted(__func__, tree));
    return deep_output_copy(__func__, "one importance per feature", importances, capacity, needed,
                            tree->model.importances, tree->model.n_features, sizeof *importances);
}

deep_status deep_tree_node_count(const deep_tree *tree, int64_t *count)
{
    DEEP_REQUIRE(count);
    DEEP_TRY(fitted(__func__, tree));
    *count = tree->model.node_count;
    return DEEP_OK;
}

deep_status deep_tree_depth(const deep_tree *tree, int64_t *depth)
{
    DEEP_REQUIRE(depth);
    DEEP_TRY(fitted(__func__, tree));
    *depth = tree->model.depth;
    return DEEP_OK;
}

/* The node at index, or DEEP_ERR_OUT_OF_RANGE naming caller. */
static deep_status node_at(const char *caller, const deep_tree *tree, int64_t node)
{
    DEEP_TRY(fitted(caller, tree));
    if (node < 0 || node >= tree->model.node_count)
        return deep_error_set(DEEP_ERR_OUT_OF_RANGE, caller, "node %lld is outside [0, %lld)", (long long)node,
                              (long long)tree->model.node_count);
    return DEEP_OK;
}

deep_status deep_tree_node(const deep_tree *tree, int64_t node, int64_t *feature, float *threshold, int64_t *left,
                           int64_t *right)
{
    DEEP_TRY(node_at(__func__, tree, node));
    const struct tree_node *n = &tree->model.nodes[node];
    if (feature)
        *feature = n->feature;
    if (threshold)
        *threshold = n->feature >= 0 ? n->threshold : 0.0f;
    if (left)
        *left = n->feature >= 0 ? n->left : -1;
    if (right)
        *right = n->feature >= 0 ? n->right : -1;
    return DEEP_OK;
}

deep_status deep_tree_node_value(const deep_tree *tree, int64_t node, double *values, int64_t capacity,
                                 int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, values, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_TRY(node_at(__func__, tree, node));
    int32_t width = tree->model.width;
    return deep_output_copy(__func__, "the node's value", values, capacity, needed,
                            tree->model.values + node * width, width, sizeof *values);
}

/* For the JSON writer. */
const struct tree_model *tree_model_of(const deep_tree *tree)
{
    return &tree->model;
}

deep_status tree_clone_settings(const char *caller, const deep_tree *tree, deep_tree **out)
{
    deep_tree *copy = calloc(1, sizeof *copy);
    if (copy == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "no memory for a tree");
    deep_status s = tree_params_copy(caller, &copy->params, &tree->params);
    if (s != DEEP_OK) {
        free(copy);
        return s;
    }
    *out = copy;
    return DEEP_OK;
}
