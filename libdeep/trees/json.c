/* The JSON dump of a fitted tree, written with a size query like deep_model_summary. */
#include <stdarg.h>
#include <stdio.h>

#include "trees/trees.h"

/* Appends to a buffer that may be too small, counting what the full text needs. */
struct text {
    char *buffer;
    int64_t capacity, length;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int64_t room = t->length < t->capacity ? t->capacity - t->length : 0;
    int written = vsnprintf(room > 0 ? t->buffer + t->length : NULL, (size_t)room, fmt, args);
    va_end(args);
    t->length += written > 0 ? written : 0;
}

static const char *criterion_name(deep_criterion c)
{
    return c == DEEP_CRITERION_GINI ? "gini" : c == DEEP_CRITERION_ENTROPY ? "entropy" : "squared_error";
}

static void write_json(const struct tree_model *m, struct text *t)
{
    put(t, "{\"kind\": \"%s\", \"criterion\": \"%s\", \"n_features\": %lld, \"n_classes\": %d, \"depth\": %lld, "
            "\"nodes\": [",
        m->kind == DEEP_TREE_CLASSIFIER ? "classifier" : "regressor", criterion_name(m->criterion),
        (long long)m->n_features, (int)m->n_classes, (long long)m->depth);
    for (int64_t i = 0; i < m->node_count; i++) {
        const struct tree_node *n = &m->nodes[i];
        put(t, "%s\n  {\"id\": %lld, ", i ? "," : "", (long long)i);
        if (n->feature >= 0)
            put(t, "\"feature\": %d, \"threshold\": %.9g, \"left\": %d, \"right\": %d, ", (int)n->feature,
                (double)n->threshold, (int)n->left, (int)n->right);
        else
            put(t, "\"leaf\": true, ");
        put(t, "\"impurity\": %.17g, \"samples\": %lld, \"weight\": %.17g, \"value\": [", n->impurity,
            (long long)n->samples, n->weight);
        for (int32_t c = 0; c < m->width; c++)
            put(t, "%s%.17g", c ? ", " : "", m->values[i * m->width + c]);
        put(t, "]}");
    }
    put(t, "\n]}\n");
}

/* Measured first, then written only when the whole text fits (deep.h's buffer contract). */
deep_status deep_tree_to_json(const deep_tree *tree, char *buffer, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(tree);
    const struct tree_model *m = tree_model_of(tree);
    if (m->node_count == 0)
        return DEEP_FAIL(DEEP_ERR_STATE, "the tree is not fitted yet (call deep_tree_fit)");
    struct text measure = {NULL, 0, 0};
    write_json(m, &measure);
    bool write;
    DEEP_TRY(deep_output_check_text(__func__, "the JSON text", buffer, capacity, needed, measure.length + 1, &write));
    if (write) {
        struct text t = {buffer, capacity, 0};
        write_json(m, &t);
    }
    return DEEP_OK;
}
