/* Growing one tree depth first, as scikit-learn's DepthFirstTreeBuilder: nodes numbered
 * in preorder (left child first), a node becomes a leaf when it is too deep, too small or
 * pure, or when its best split decreases the impurity by less than min_impurity_decrease. */
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

void tree_model_clear(struct tree_model *m)
{
    free(m->nodes);
    free(m->values);
    free(m->importances);
    memset(m, 0, sizeof *m);
}

int64_t tree_model_leaf(const struct tree_model *m, const float *row)
{
    int64_t at = 0;
    while (m->nodes[at].feature >= 0)
        at = row[m->nodes[at].feature] <= m->nodes[at].threshold ? m->nodes[at].left : m->nodes[at].right;
    return at;
}

/* A node waiting to be grown: rows[start, start + count) of the builder. */
struct pending {
    int64_t start, count, depth, parent;
    bool is_left;
};

struct builder {
    const struct tree_params *p;
    const struct tree_table *table;
    struct tree_model *m;
    double *weights;    /* per row: sample weight times class weight */
    int32_t *rows;      /* rows with weight > 0, partitioned node by node */
    int32_t *features;  /* the permutation the splitter draws from */
    double *stats;      /* one node's statistics */
    struct pending *stack;
    struct tree_scratch *scratch;
    struct deep_rng rng;
};

/* Appends a node; false when out of memory. */
static bool add_node(struct builder *b, const struct tree_node *node, const double *stats)
{
    struct tree_model *m = b->m;
    if (m->node_count == m->capacity) {
        int64_t cap = m->capacity ? 2 * m->capacity : 64, cells, bytes;
        if (!deep_mul_i64(cap, m->width, &cells) || !deep_mul_i64(cells, (int64_t)sizeof *m->values, &bytes) ||
            (uint64_t)bytes > SIZE_MAX || !deep_mul_i64(cap, (int64_t)sizeof *m->nodes, &bytes) ||
            (uint64_t)bytes > SIZE_MAX)
            return false; /* a tree of so many nodes and classes cannot be held */
        struct tree_node *nodes = realloc(m->nodes, (size_t)cap * sizeof *nodes);
        if (nodes != NULL)
            m->nodes = nodes;
        double *values = realloc(m->values, (size_t)cells * sizeof *values);
        if (values != NULL)
            m->values = values;
        if (nodes == NULL || values == NULL)
            return false;
        m->capacity = cap;
    }
    double *value = m->values + m->node_count * m->width;
    if (m->n_classes > 0)
        for (int32_t c = 0; c < m->width; c++)
            value[c] = node->weight > 0 ? stats[c] / node->weight : 0;
    else
        value[0] = node->weight > 0 ? stats[0] / node->weight : 0;
    m->nodes[m->node_count++] = *node;
    return true;
}

static deep_status grow(struct builder *b, int64_t count, double total_weight)
{
    const struct tree_params *p = b->p;
    struct tree_model *m = b->m;
    int32_t width = tree_stats_width(b->table);
    int64_t top = 0;
    b->stack[top++] = (struct pending){0, count, 0, -1, false};
    while (top > 0) {
        struct pending at = b->stack[--top];
        int32_t *rows = b->rows + at.start;
        double weight = tree_stats_sum(b->table, rows, at.count, b->weights, b->stats);
        struct tree_node node = {.feature = -1, .left = -1, .right = -1, .weight = weight, .samples = at.count};
        node.impurity = tree_impurity(p->criterion, b->stats, width, weight);
        struct tree_split split = {.feature = -1};
        /* count / 2 >= leaf, not count >= 2 * leaf: min_samples_leaf may be as large as INT64_MAX. */
        if (at.depth < p->max_depth && at.count >= p->min_samples_split && at.count / 2 >= p->min_samples_leaf &&
            node.impurity > TREE_EPSILON) {
            tree_split_find(p, b->table, b->weights, b->scratch, rows, at.count, b->stats, weight, node.impurity,
                            b->features, &b->rng, &split);
            if (split.feature >= 0 && split.gain / total_weight + TREE_EPSILON < p->min_impurity_decrease)
                split.feature = -1;
        }
        int64_t id = m->node_count;
        if (split.feature >= 0) {
            node.feature = split.feature;
            node.threshold = split.threshold;
            m->importances[split.feature] += split.gain;
        }
        if (!add_node(b, &node, b->stats))
            return DEEP_ERR_NO_MEMORY;
        if (at.parent >= 0)
            *(at.is_left ? &m->nodes[at.parent].left : &m->nodes[at.parent].right) = (int32_t)id;
        if (at.depth > m->depth)
            m->depth = at.depth;
        if (split.feature >= 0) {
            /* Right pushed first so that the left child is grown (and numbered) next. */
            b->stack[top++] = (struct pending){at.start + split.left_count, at.count - split.left_count,
                                               at.depth + 1, id, false};
            b->stack[top++] = (struct pending){at.start, split.left_count, at.depth + 1, id, true};
        }
    }
    return DEEP_OK;
}

/* Importances: total weighted impurity decrease per feature, normalised to sum 1. */
static void normalise(double *importances, int64_t n)
{
    double sum = 0;
    for (int64_t f = 0; f < n; f++)
        sum += importances[f];
    if (sum > 0)
        for (int64_t f = 0; f < n; f++)
            importances[f] /= sum;
}

deep_status tree_grow(const char *caller, const struct tree_params *p, const struct tree_table *table,
                      const double *weights, uint64_t seed, struct tree_model *m)
{
    int64_t n = table->n;
    *m = (struct tree_model){.kind = p->kind, .criterion = p->criterion, .n_features = table->n_features,
                             .n_classes = table->n_classes, .width = table->n_classes > 0 ? table->n_classes : 1};
    struct builder b = {.p = p, .table = table, .m = m};
    deep_rng_init(&b.rng, seed);
    b.weights = deep_alloc(n, sizeof *b.weights);
    b.rows = deep_alloc(n, sizeof *b.rows);
    b.features = deep_alloc(table->n_features, sizeof *b.features);
    b.stats = deep_alloc(tree_stats_width(table), sizeof *b.stats);
    /* Each split adds one pending node net, and a tree has fewer splits than rows. */
    b.stack = deep_alloc(n + 1, sizeof *b.stack);
    m->importances = deep_alloc_zero(table->n_features, sizeof *m->importances);
    deep_status status = DEEP_ERR_NO_MEMORY;
    if (b.weights && b.rows && b.features && b.stats && b.stack && m->importances &&
        tree_scratch_new(table, &b.scratch) == DEEP_OK) {
        int64_t count = 0;
        double total = 0;
        for (int64_t i = 0; i < n; i++) {
            double w = weights ? weights[i] : 1.0;
            if (table->labels && p->class_weights)
                w *= p->class_weights[table->labels[i]];
            b.weights[i] = w;
            if (weights == NULL || weights[i] > 0) {
                b.rows[count++] = (int32_t)i;
                total += w;
            }
        }
        for (int64_t f = 0; f < table->n_features; f++)
            b.features[f] = (int32_t)f;
        status = grow(&b, count, total > 0 ? total : 1);
        normalise(m->importances, table->n_features);
    }
    free(b.weights);
    free(b.rows);
    free(b.features);
    free(b.stats);
    free(b.stack);
    tree_scratch_free(b.scratch);
    if (status != DEEP_OK) {
        tree_model_clear(m);
        return deep_error_set(status, caller, "no memory to grow a tree on %lld samples", (long long)n);
    }
    return DEEP_OK;
}
