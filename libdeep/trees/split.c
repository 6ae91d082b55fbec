/* Split search at one node, as scikit-learn's BestSplitter: max_features features drawn
 * in a seeded random order (more while all drawn were constant in the node); for each, every cut
 * between consecutive distinct values (exact) or between non-empty bins (histogram),
 * scored by the weighted impurity of the two sides. The first best cut wins ties. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

struct tree_scratch {
    uint32_t *keys;  /* 2n: a feature's sort keys and the radix sort's buffer */
    int32_t *sorted; /* 2n: rows in feature order and the radix sort's buffer */
    int32_t *moved;  /* n: partition buffer */
    double *left, *right;
    double *hist;    /* TREE_MAX_BINS * width statistics */
    double *hist_w;  /* TREE_MAX_BINS weights */
    int64_t *hist_n; /* TREE_MAX_BINS rows */
};

int32_t tree_stats_width(const struct tree_table *table)
{
    return table->n_classes > 0 ? table->n_classes : 2;
}

deep_status tree_scratch_new(const struct tree_table *table, struct tree_scratch **out)
{
    int32_t width = tree_stats_width(table);
    struct tree_scratch *s = calloc(1, sizeof *s);
    *out = NULL;
    if (s == NULL)
        return DEEP_ERR_NO_MEMORY;
    /* Only the exact splitter sorts. */
    int64_t sorting = table->bins ? 1 : 2 * table->n;
    s->keys = deep_alloc(sorting, sizeof *s->keys);
    s->sorted = deep_alloc(sorting, sizeof *s->sorted);
    s->moved = deep_alloc(table->n, sizeof *s->moved);
    s->left = deep_alloc(width, sizeof *s->left);
    s->right = deep_alloc(width, sizeof *s->right);
    /* The histograms are all zero between scans (scan_histogram clears what it used). */
    s->hist = deep_alloc_zero((int64_t)TREE_MAX_BINS * width, sizeof *s->hist);
    s->hist_w = deep_alloc_zero(TREE_MAX_BINS, sizeof *s->hist_w);
    s->hist_n = deep_alloc_zero(TREE_MAX_BINS, sizeof *s->hist_n);
    if (!s->keys || !s->sorted || !s->moved || !s->left || !s->right || !s->hist || !s->hist_w || !s->hist_n) {
        tree_scratch_free(s);
        return DEEP_ERR_NO_MEMORY;
    }
    *out = s;
    return DEEP_OK;
}

void tree_scratch_free(struct tree_scratch *s)
{
    if (s == NULL)
        return;
    free(s->keys);
    free(s->sorted);
    free(s->moved);
    free(s->left);
    free(s->right);
    free(s->hist);
    free(s->hist_w);
    free(s->hist_n);
    free(s);
}

/* Adds row r of weight w to a statistics vector. */
static inline void stats_add(const struct tree_table *table, double *stats, int32_t r, double w)
{
    if (table->n_classes > 0) {
        stats[table->labels[r]] += w;
    } else {
        double y = table->y[r];
        stats[0] += w * y;
        stats[1] += w * y * y;
    }
}

double tree_stats_sum(const struct tree_table *table, const int32_t *rows, int64_t count, const double *weights,
                      double *stats)
{
    memset(stats, 0, (size_t)tree_stats_width(table) * sizeof *stats);
    double total = 0;
    for (int64_t i = 0; i < count; i++) {
        stats_add(table, stats, rows[i], weights[rows[i]]);
        total += weights[rows[i]];
    }
    return total;
}

double tree_impurity(deep_criterion criterion, const double *stats, int32_t width, double weight)
{
    if (weight <= 0)
        return 0;
    if (criterion == DEEP_CRITERION_SQUARED_ERROR) {
        double mean = stats[0] / weight;
        return stats[1] / weight - mean * mean;
    }
    double sum = 0;
    for (int32_t c = 0; c < width; c++) {
        double q = stats[c] / weight;
        if (criterion == DEEP_CRITERION_GINI)
            sum += q * q;
        else if (q > 0)
            sum -= q * log2(q);
    }
    return criterion == DEEP_CRITERION_GINI ? 1 - sum : sum;
}

/* The search state of one node. */
struct search {
    const struct tree_params *p;
    const struct tree_table *table;
    const double *weights;
    struct tree_scratch *s;
    int64_t count; /* rows at the node */
    const double *stats;
    double weight;
    int32_t width;
    double best_proxy; /* -(w_l * impurity_l + w_r * impurity_r) of the best cut so far */
    int32_t best_bin;  /* histogram: the cut is after this bin */
};

/* Scores the cut with left statistics s->left (weight wl, nl rows); true when it is the
 * best so far. */
static bool consider(struct search *q, double wl, int64_t nl)
{
    if (nl < q->p->min_samples_leaf || q->count - nl < q->p->min_samples_leaf)
        return false;
    double *left = q->s->left, *right = q->s->right, wr = q->weight - wl;
    for (int32_t c = 0; c < q->width; c++)
        right[c] = q->stats[c] - left[c];
    double proxy = -(wl * tree_impurity(q->p->criterion, left, q->width, wl) +
                     wr * tree_impurity(q->p->criterion, right, q->width, wr));
    if (proxy <= q->best_proxy)
        return false;
    q->best_proxy = proxy;
    return true;
}

/* Exact cuts of feature f over the node's rows; false when f is constant there. */
static bool scan_exact(struct search *q, const int32_t *rows, int32_t f, struct tree_split *best)
{
    const struct tree_table *t = q->table;
    struct tree_scratch *s = q->s;
    int64_t m = q->count;
    for (int64_t i = 0; i < m; i++) {
        s->keys[i] = tree_sort_key(tree_table_value(t, rows[i], f));
        s->sorted[i] = rows[i];
    }
    tree_sort(s->keys, s->sorted, m, s->keys + m, s->sorted + m);
    if (s->keys[0] == s->keys[m - 1])
        return false;
    memset(s->left, 0, (size_t)q->width * sizeof *s->left);
    double wl = 0;
    for (int64_t i = 0; i + 1 < m; i++) {
        int32_t r = s->sorted[i];
        stats_add(t, s->left, r, q->weights[r]);
        wl += q->weights[r];
        if (s->keys[i + 1] != s->keys[i] && consider(q, wl, i + 1)) {
            float a = tree_sort_value(s->keys[i]), b = tree_sort_value(s->keys[i + 1]);
            float mid = a / 2 + b / 2;
            best->feature = f;
            best->threshold = mid >= b ? a : mid; /* keep a left when the midpoint rounds up to b */
            best->left_count = i + 1;
        }
    }
    return true;
}

/* Histogram cuts of feature f; false when the node's rows all fall into one bin. */
static bool scan_histogram(struct search *q, const int32_t *rows, int32_t f, struct tree_split *best)
{
    const struct tree_table *t = q->table;
    struct tree_scratch *s = q->s;
    int32_t bins = t->bins->count[f], w = q->width;
    const uint8_t *codes = t->bins->codes + (int64_t)f * t->n;
    bool classes = t->n_classes > 0;
    for (int64_t i = 0; i < q->count; i++) {
        int32_t r = rows[i], b = codes[r];
        stats_add(t, s->hist + (int64_t)b * w, r, q->weights[r]);
        if (!classes) /* a classifier's bin weight is the sum of its class weights */
            s->hist_w[b] += q->weights[r];
        s->hist_n[b]++;
    }
    memset(s->left, 0, (size_t)w * sizeof *s->left);
    double wl = 0;
    int64_t nl = 0;
    bool varied = false;
    for (int32_t b = 0; b + 1 < bins && nl + s->hist_n[b] < q->count; b++) {
        if (s->hist_n[b] == 0)
            continue; /* same cut as after the previous non-empty bin */
        double bin_weight = 0;
        for (int32_t c = 0; c < w; c++) {
            s->left[c] += s->hist[(int64_t)b * w + c];
            bin_weight += s->hist[(int64_t)b * w + c];
        }
        wl += classes ? bin_weight : s->hist_w[b];
        nl += s->hist_n[b];
        varied = true;
        if (consider(q, wl, nl)) {
            best->feature = f;
            best->threshold = t->bins->thresholds[(int64_t)f * TREE_MAX_BINS + b];
            best->left_count = nl;
            q->best_bin = b;
        }
    }
    /* Leave the histograms zero for the next scan; small nodes clear only the bins their
     * rows used, as clearing every bin of every feature would cost more than the scan
     * itself near the leaves. */
    if (q->count < bins) {
        for (int64_t i = 0; i < q->count; i++) {
            int32_t b = codes[rows[i]];
            memset(s->hist + (int64_t)b * w, 0, (size_t)w * sizeof *s->hist);
            s->hist_w[b] = 0;
            s->hist_n[b] = 0;
        }
    } else {
        memset(s->hist, 0, (size_t)bins * (size_t)w * sizeof *s->hist);
        memset(s->hist_w, 0, (size_t)bins * sizeof *s->hist_w);
        memset(s->hist_n, 0, (size_t)bins * sizeof *s->hist_n);
    }
    return varied;
}

/* Moves the rows going left first, keeping both sides in their previous order (rows stay
 * ascending, which keeps the column reads of the histogram scans local). */
static void partition(struct search *q, int32_t *rows, const struct tree_split *best)
{
    const struct tree_table *t = q->table;
    int64_t l = 0, r = best->left_count;
    for (int64_t i = 0; i < q->count; i++) {
        int32_t row = rows[i];
        bool left = t->bins ? t->bins->codes[(int64_t)best->feature * t->n + row] <= q->best_bin
                            : tree_table_value(t, row, best->feature) <= best->threshold;
        q->s->moved[left ? l++ : r++] = row;
    }
    memcpy(rows, q->s->moved, (size_t)q->count * sizeof *rows);
}

void tree_split_find(const struct tree_params *p, const struct tree_table *table, const double *weights,
                     struct tree_scratch *s, int32_t *rows, int64_t count, const double *stats, double weight,
                     double impurity, int32_t *features, struct deep_rng *rng, struct tree_split *best)
{
    struct search q = {p, table, weights, s, count, stats, weight, tree_stats_width(table), -INFINITY, 0};
    *best = (struct tree_split){.feature = -1};
    int64_t nf = table->n_features, wanted = tree_params_features(p, nf), seen = 0;
    for (int64_t drawn = 0; drawn < nf && (drawn < wanted || seen == 0); drawn++) {
        int64_t j = drawn + (int64_t)deep_rng_below(rng, (uint64_t)(nf - drawn));
        int32_t f = features[j];
        features[j] = features[drawn];
        features[drawn] = f;
        seen += table->bins ? scan_histogram(&q, rows, f, best) : scan_exact(&q, rows, f, best);
    }
    if (best->feature < 0)
        return;
    best->gain = weight * impurity + q.best_proxy;
    partition(&q, rows, best);
}
