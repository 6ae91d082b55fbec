/* The JSON dump of a fitted tree, handed out with a size query like deep_model_summary. */
#include "core/bytes.h"
#include "core/c_locale.h"
#include "trees/trees.h"

static const char *criterion_name(deep_criterion c)
{
    return c == DEEP_CRITERION_GINI ? "gini" : c == DEEP_CRITERION_ENTROPY ? "entropy" : "squared_error";
}

deep_status deep_tree_to_json(const deep_tree *tree, char *buffer, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(tree);
    const struct tree_model *m = tree_model_of(tree);
    if (m->node_count == 0)
        return DEEP_FAIL(DEEP_ERR_STATE, "the tree is not fitted yet (call deep_tree_fit)");
    deep_c_locale locale = deep_c_locale_begin(); /* JSON numbers have a decimal point */
    deep_bytes t = {0};
    deep_bytes_printf(&t, "{\"kind\": \"%s\", \"criterion\": \"%s\", \"n_features\": %lld, \"n_classes\": %d, "
                          "\"depth\": %lld, \"nodes\": [",
                      m->kind == DEEP_TREE_CLASSIFIER ? "classifier" : "regressor", criterion_name(m->criterion),
                      (long long)m->n_features, (int)m->n_classes, (long long)m->depth);
    for (int64_t i = 0; i < m->node_count; i++) {
        const struct tree_node *n = &m->nodes[i];
        deep_bytes_printf(&t, "%s\n  {\"id\": %lld, ", i ? "," : "", (long long)i);
        if (n->feature >= 0)
            deep_bytes_printf(&t, "\"feature\": %d, \"threshold\": %.9g, \"left\": %d, \"right\": %d, ",
                              (int)n->feature, (double)n->threshold, (int)n->left, (int)n->right);
        else
            deep_bytes_printf(&t, "\"leaf\": true, ");
        deep_bytes_printf(&t, "\"impurity\": %.17g, \"samples\": %lld, \"weight\": %.17g, \"value\": [",
                          n->impurity, (long long)n->samples, n->weight);
        for (int32_t c = 0; c < m->width; c++)
            deep_bytes_printf(&t, "%s%.17g", c ? ", " : "", m->values[i * m->width + c]);
        deep_bytes_printf(&t, "]}");
    }
    deep_bytes_printf(&t, "\n]}\n");
    deep_c_locale_end(locale);
    deep_status status = deep_bytes_copy_text(__func__, &t, "the JSON text", buffer, capacity, needed);
    deep_bytes_free(&t);
    return status;
}
