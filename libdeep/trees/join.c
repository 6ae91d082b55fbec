/* Forests grown in pieces (deep_forest_fit_trees, on several processes or machines) and
 * joined into one: the trees are copied so that the parts stay usable and may include
 * the forest itself. */
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

/* A deep copy of src into dst (zeroed first); false when memory runs out. */
static bool copy_model(struct tree_model *dst, const struct tree_model *src)
{
    *dst = *src;
    dst->capacity = src->node_count;
    dst->nodes = deep_alloc(src->node_count, sizeof *dst->nodes);
    dst->values = deep_alloc(src->node_count * src->width, sizeof *dst->values);
    dst->importances = deep_alloc(src->n_features, sizeof *dst->importances);
    if (!dst->nodes || !dst->values || !dst->importances) {
        tree_model_clear(dst);
        return false;
    }
    memcpy(dst->nodes, src->nodes, (size_t)src->node_count * sizeof *dst->nodes);
    memcpy(dst->values, src->values, (size_t)(src->node_count * src->width) * sizeof *dst->values);
    memcpy(dst->importances, src->importances, (size_t)src->n_features * sizeof *dst->importances);
    return true;
}

deep_status deep_forest_join(deep_forest *forest, const deep_forest *const *parts, int64_t count)
{
    DEEP_REQUIRE(forest);
    DEEP_REQUIRE(parts);
    if (count < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "count is %lld; at least one part is needed", (long long)count);
    int64_t total = 0;
    const struct tree_model *first = NULL;
    for (int64_t p = 0; p < count; p++) {
        const deep_forest *part = parts[p];
        if (part == NULL)
            return DEEP_FAIL(DEEP_ERR_NULL, "part %lld is NULL", (long long)p);
        if (part->tree_count == 0)
            return DEEP_FAIL(DEEP_ERR_STATE, "part %lld is not fitted", (long long)p);
        const struct tree_model *m = &part->trees[0];
        if (part->params.kind != forest->params.kind)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "part %lld is a %s, the forest a %s", (long long)p,
                             part->params.kind == DEEP_TREE_CLASSIFIER ? "classifier" : "regressor",
                             forest->params.kind == DEEP_TREE_CLASSIFIER ? "classifier" : "regressor");
        if (first == NULL)
            first = m;
        if (m->n_features != first->n_features || m->n_classes != first->n_classes)
            return DEEP_FAIL(DEEP_ERR_SHAPE, "part %lld has %lld features and %d classes, part 0 %lld and %d",
                             (long long)p, (long long)m->n_features, (int)m->n_classes,
                             (long long)first->n_features, (int)first->n_classes);
        total += part->tree_count;
        if (total > INT32_MAX)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the parts hold more than %d trees", (int)INT32_MAX);
    }
    struct tree_model *trees = calloc((size_t)total, sizeof *trees);
    int64_t done = 0;
    for (int64_t p = 0; trees && p < count; p++)
        for (int64_t t = 0; t < parts[p]->tree_count; t++, done++)
            if (!copy_model(&trees[done], &parts[p]->trees[t])) {
                for (int64_t k = 0; k < done; k++)
                    tree_model_clear(&trees[k]);
                free(trees);
                trees = NULL;
                break;
            }
    if (trees == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "no memory to copy %lld trees", (long long)total);
    for (int64_t t = 0; t < forest->tree_count; t++)
        tree_model_clear(&forest->trees[t]);
    free(forest->trees);
    forest->trees = trees;
    forest->tree_count = total;
    forest->has_oob = false;
    return DEEP_OK;
}
