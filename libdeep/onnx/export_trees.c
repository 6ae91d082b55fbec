/* deep_tree_save_onnx, deep_forest_save_onnx and their buffer forms: fitted trees as ONNX-ML
 * TreeEnsembleClassifier / TreeEnsembleRegressor (domain ai.onnx.ml, version 3; the default
 * domain at opset 13). libdeep sends a row left when feature <= threshold, which is ONNX's
 * BRANCH_LEQ with the left child as the true branch; thresholds are the same floats.
 * Leaves carry libdeep's values: class fractions or the mean. A forest's classifier scores
 * are the mean of its trees' fractions, as deep_forest_predict_proba's: the classifier
 * operator sums its trees, so each leaf's fractions are divided by the tree count; the
 * regressor operator averages itself (aggregate_function AVERAGE). */
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "io/file.h"
#include "trees/trees.h"

#ifdef DEEP_HAVE_ONNX

#include "onnx/export.h"

#define ML_OPSET 3

/* Growing arrays of the ensemble's attributes. */
typedef struct ensemble {
    int64_t *tree_ids, *node_ids, *feature_ids, *true_ids, *false_ids;
    float *values;
    const char **modes;
    int64_t *leaf_tree, *leaf_node, *leaf_target;
    float *leaf_weight;
    int64_t nodes, leaves;
} ensemble;

static void add_tree(const struct tree_model *m, int64_t t, double scale, ensemble *e)
{
    for (int64_t i = 0; i < m->node_count; i++) {
        const struct tree_node *n = &m->nodes[i];
        int64_t k = e->nodes++;
        bool leaf = n->feature < 0;
        e->tree_ids[k] = t;
        e->node_ids[k] = i;
        e->feature_ids[k] = leaf ? 0 : n->feature;
        e->values[k] = leaf ? 0.0f : n->threshold;
        e->modes[k] = leaf ? "LEAF" : "BRANCH_LEQ";
        e->true_ids[k] = leaf ? 0 : n->left;
        e->false_ids[k] = leaf ? 0 : n->right;
        for (int32_t c = 0; leaf && c < m->width; c++) {
            int64_t j = e->leaves++;
            e->leaf_tree[j] = t;
            e->leaf_node[j] = i;
            e->leaf_target[j] = c;
            e->leaf_weight[j] = (float)(m->values[i * m->width + c] * scale);
        }
    }
}

static deep_status export_trees(const char *caller, const struct tree_model *trees, int64_t count, uint8_t **data,
                                size_t *length)
{
    *data = NULL;
    *length = 0;
    if (count == 0 || trees[0].node_count == 0)
        return deep_error_set(DEEP_ERR_STATE, caller, "the model is not fitted; fit it before exporting it");
    onnx_ex ex = {.caller = caller, .opset = DEEP_ONNX_OPSET_DEFAULT};
    const struct tree_model *first = &trees[0];
    bool classifier = first->n_classes > 0;
    int64_t nodes = 0;
    for (int64_t t = 0; t < count; t++)
        nodes += trees[t].node_count;
    int64_t leaf_values = nodes * first->width;
    ensemble e = {
        .tree_ids = ox_alloc(&ex, (size_t)nodes * sizeof(int64_t)),
        .node_ids = ox_alloc(&ex, (size_t)nodes * sizeof(int64_t)),
        .feature_ids = ox_alloc(&ex, (size_t)nodes * sizeof(int64_t)),
        .true_ids = ox_alloc(&ex, (size_t)nodes * sizeof(int64_t)),
        .false_ids = ox_alloc(&ex, (size_t)nodes * sizeof(int64_t)),
        .values = ox_alloc(&ex, (size_t)nodes * sizeof(float)),
        .modes = ox_alloc(&ex, (size_t)nodes * sizeof(const char *)),
        .leaf_tree = ox_alloc(&ex, (size_t)leaf_values * sizeof(int64_t)),
        .leaf_node = ox_alloc(&ex, (size_t)leaf_values * sizeof(int64_t)),
        .leaf_target = ox_alloc(&ex, (size_t)leaf_values * sizeof(int64_t)),
        .leaf_weight = ox_alloc(&ex, (size_t)leaf_values * sizeof(float)),
    };
    if (ex.status != DEEP_OK) {
        ox_release(&ex);
        return ex.status;
    }
    for (int64_t t = 0; t < count; t++)
        add_tree(&trees[t], t, classifier ? 1.0 / (double)count : 1.0, &e);

    Onnx__NodeProto *n = classifier ? ox_node(&ex, "TreeEnsembleClassifier", "label", 1, (const char *[]){"input"})
                                    : ox_node(&ex, "TreeEnsembleRegressor", "output", 1, (const char *[]){"input"});
    ox_domain(&ex, n, "ai.onnx.ml");
    ox_attr_ints(&ex, n, "nodes_treeids", (size_t)e.nodes, e.tree_ids);
    ox_attr_ints(&ex, n, "nodes_nodeids", (size_t)e.nodes, e.node_ids);
    ox_attr_ints(&ex, n, "nodes_featureids", (size_t)e.nodes, e.feature_ids);
    ox_attr_floats(&ex, n, "nodes_values", (size_t)e.nodes, e.values);
    ox_attr_strings(&ex, n, "nodes_modes", (size_t)e.nodes, e.modes);
    ox_attr_ints(&ex, n, "nodes_truenodeids", (size_t)e.nodes, e.true_ids);
    ox_attr_ints(&ex, n, "nodes_falsenodeids", (size_t)e.nodes, e.false_ids);
    ox_attr_string(&ex, n, "post_transform", "NONE");
    int64_t batch_dims[2] = {-1, first->n_features};
    Onnx__ValueInfoProto *in[1] = {ox_value_info(&ex, "input", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, batch_dims)};
    Onnx__ValueInfoProto *out[2];
    size_t outputs;
    if (classifier) {
        int64_t *labels = ox_alloc(&ex, (size_t)first->n_classes * sizeof *labels);
        for (int32_t c = 0; labels != NULL && c < first->n_classes; c++)
            labels[c] = c;
        ox_add_output(&ex, n, "probabilities");
        ox_attr_ints(&ex, n, "class_treeids", (size_t)e.leaves, e.leaf_tree);
        ox_attr_ints(&ex, n, "class_nodeids", (size_t)e.leaves, e.leaf_node);
        ox_attr_ints(&ex, n, "class_ids", (size_t)e.leaves, e.leaf_target);
        ox_attr_floats(&ex, n, "class_weights", (size_t)e.leaves, e.leaf_weight);
        if (labels != NULL)
            ox_attr_ints(&ex, n, "classlabels_int64s", (size_t)first->n_classes, labels);
        out[0] = ox_value_info(&ex, "label", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, batch_dims);
        out[1] = ox_value_info(&ex, "probabilities", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2,
                               (const int64_t[]){-1, first->n_classes});
        outputs = 2;
    } else {
        ox_attr_ints(&ex, n, "target_treeids", (size_t)e.leaves, e.leaf_tree);
        ox_attr_ints(&ex, n, "target_nodeids", (size_t)e.leaves, e.leaf_node);
        ox_attr_ints(&ex, n, "target_ids", (size_t)e.leaves, e.leaf_target);
        ox_attr_floats(&ex, n, "target_weights", (size_t)e.leaves, e.leaf_weight);
        ox_attr_int(&ex, n, "n_targets", 1);
        ox_attr_string(&ex, n, "aggregate_function", "AVERAGE");
        out[0] = ox_value_info(&ex, "output", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, (const int64_t[]){-1, 1});
        outputs = 1;
    }
    deep_status status = ox_pack(&ex, in, 1, out, outputs, ML_OPSET, count > 1 ? "libdeep_forest" : "libdeep_tree",
                                 data, length);
    ox_release(&ex);
    return status;
}

static deep_status save(const char *caller, const struct tree_model *trees, int64_t count, const char *path)
{
    uint8_t *data;
    size_t length;
    DEEP_TRY(export_trees(caller, trees, count, &data, &length));
    deep_status status = deep_file_write_atomic(caller, path, data, length);
    free(data);
    return status;
}

static deep_status save_buffer(const char *caller, const struct tree_model *trees, int64_t count, void *buffer,
                               int64_t capacity, int64_t *needed)
{
    uint8_t *data;
    size_t length;
    DEEP_TRY(export_trees(caller, trees, count, &data, &length));
    deep_status status = deep_output_copy(caller, "the ONNX model", buffer, capacity, needed, data, (int64_t)length, 1);
    free(data);
    return status;
}

deep_status deep_tree_save_onnx(const deep_tree *tree, const char *path)
{
    DEEP_REQUIRE(tree);
    DEEP_REQUIRE(path);
    return save(__func__, tree_model_of(tree), 1, path);
}

deep_status deep_tree_save_onnx_buffer(const deep_tree *tree, void *buffer, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed));
    DEEP_REQUIRE(tree);
    return save_buffer(__func__, tree_model_of(tree), 1, buffer, capacity, needed);
}

deep_status deep_forest_save_onnx(const deep_forest *forest, const char *path)
{
    DEEP_REQUIRE(forest);
    DEEP_REQUIRE(path);
    return save(__func__, forest->trees, forest->tree_count, path);
}

deep_status deep_forest_save_onnx_buffer(const deep_forest *forest, void *buffer, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed));
    DEEP_REQUIRE(forest);
    return save_buffer(__func__, forest->trees, forest->tree_count, buffer, capacity, needed);
}

#else

static deep_status without_onnx(const char *caller, int64_t *needed)
{
    if (needed != NULL)
        *needed = 0;
    return deep_error_set(DEEP_ERR_UNSUPPORTED, caller,
                          "this libdeep was built without ONNX (meson option onnx; Debian's libprotobuf-c-dev, "
                          "protobuf-c-compiler and libonnx-dev)");
}

deep_status deep_tree_save_onnx(const deep_tree *tree, const char *path)
{
    (void)tree, (void)path;
    return without_onnx(__func__, NULL);
}

deep_status deep_tree_save_onnx_buffer(const deep_tree *tree, void *buffer, int64_t capacity, int64_t *needed)
{
    (void)tree, (void)buffer, (void)capacity;
    return without_onnx(__func__, needed);
}

deep_status deep_forest_save_onnx(const deep_forest *forest, const char *path)
{
    (void)forest, (void)path;
    return without_onnx(__func__, NULL);
}

deep_status deep_forest_save_onnx_buffer(const deep_forest *forest, void *buffer, int64_t capacity, int64_t *needed)
{
    (void)forest, (void)buffer, (void)capacity;
    return without_onnx(__func__, needed);
}

#endif
