/* The random forest handle: trees grown in parallel on bootstrap samples, averaged
 * predictions, the out-of-bag score. */
#include <stdlib.h>
#include <string.h>

#include "trees/trees.h"

deep_status deep_forest_new(deep_tree_kind kind, deep_forest **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    if (kind != DEEP_TREE_CLASSIFIER && kind != DEEP_TREE_REGRESSOR)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "kind %d is not a deep_tree_kind", (int)kind);
    deep_forest *forest = calloc(1, sizeof *forest);
    if (forest == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "no memory for a forest");
    tree_params_init(&forest->params, kind);
    /* scikit-learn's defaults: sqrt(features) per split for classification, all for regression. */
    if (kind == DEEP_TREE_CLASSIFIER)
        forest->params.max_features = DEEP_MAX_FEATURES_SQRT;
    forest->n_estimators = 100;
    forest->bootstrap = true;
    *out = forest;
    return DEEP_OK;
}

static void drop_trees(deep_forest *forest)
{
    for (int64_t t = 0; t < forest->tree_count; t++)
        tree_model_clear(&forest->trees[t]);
    free(forest->trees);
    forest->trees = NULL;
    forest->tree_count = 0;
    forest->has_oob = false;
}

void deep_forest_free(deep_forest *forest)
{
    if (forest == NULL)
        return;
    drop_trees(forest);
    tree_params_clear(&forest->params);
    deep_pool_free(forest->pool);
    free(forest);
}

deep_status deep_forest_set_int(deep_forest *forest, deep_tree_option option, int64_t value)
{
    DEEP_REQUIRE(forest);
    switch (option) {
    case DEEP_FOREST_N_ESTIMATORS:
        if (value < 1 || value > INT32_MAX)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "n_estimators must be in [1, %d], got %lld", (int)INT32_MAX,
                             (long long)value);
        forest->n_estimators = value;
        return DEEP_OK;
    case DEEP_FOREST_BOOTSTRAP:
    case DEEP_FOREST_OOB_SCORE:
        if (value != 0 && value != 1)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "%s must be 0 or 1, got %lld",
                             option == DEEP_FOREST_BOOTSTRAP ? "bootstrap" : "oob_score", (long long)value);
        *(option == DEEP_FOREST_BOOTSTRAP ? &forest->bootstrap : &forest->oob) = value == 1;
        return DEEP_OK;
    case DEEP_FOREST_MAX_SAMPLES:
        if (value < 0)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "max_samples must be >= 1 (0 = all), got %lld",
                             (long long)value);
        forest->max_samples = value;
        forest->max_samples_fraction = 0;
        return DEEP_OK;
    case DEEP_FOREST_THREADS:
        if (value < 0 || value > 1024)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "threads must be in [0, 1024], got %lld", (long long)value);
        forest->threads = (int32_t)value;
        return DEEP_OK;
    default:
        return tree_params_set_int(__func__, &forest->params, option, value);
    }
}

deep_status deep_forest_set_float(deep_forest *forest, deep_tree_option option, double value)
{
    DEEP_REQUIRE(forest);
    if (option != DEEP_FOREST_MAX_SAMPLES)
        return tree_params_set_float(__func__, &forest->params, option, value);
    if (!(value > 0 && value <= 1))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "max_samples as a fraction must be in (0, 1], got %g", value);
    forest->max_samples_fraction = value;
    forest->max_samples = 0;
    return DEEP_OK;
}

deep_status deep_forest_get_int(const deep_forest *forest, deep_tree_option option, int64_t *value)
{
    DEEP_REQUIRE(forest);
    DEEP_REQUIRE(value);
    switch (option) {
    case DEEP_FOREST_N_ESTIMATORS: *value = forest->n_estimators; return DEEP_OK;
    case DEEP_FOREST_BOOTSTRAP: *value = forest->bootstrap; return DEEP_OK;
    case DEEP_FOREST_OOB_SCORE: *value = forest->oob; return DEEP_OK;
    case DEEP_FOREST_THREADS: *value = forest->threads; return DEEP_OK;
    case DEEP_FOREST_MAX_SAMPLES:
        if (forest->max_samples_fraction > 0)
            return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "max_samples was set as a fraction; read it with "
                             "deep_forest_get_float");
        *value = forest->max_samples;
        return DEEP_OK;
    default:
        return tree_params_get_int(__func__, &forest->params, option, value);
    }
}

deep_status deep_forest_get_float(const deep_forest *forest, deep_tree_option option, double *value)
{
    DEEP_REQUIRE(forest);
    DEEP_REQUIRE(value);
    if (option != DEEP_FOREST_MAX_SAMPLES)
        return tree_params_get_float(__func__, &forest->params, option, value);
    if (!(forest->max_samples_fraction > 0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "max_samples is a count (0 = all); read it with "
                         "deep_forest_get_int");
    *value = forest->max_samples_fraction;
    return DEEP_OK;
}

deep_status deep_forest_set_class_weights(deep_forest *forest, const double *weights, int64_t count)
{
    DEEP_REQUIRE(forest);
    return tree_params_set_class_weights(__func__, &forest->params, weights, count);
}

deep_status deep_forest_get_class_weights(const deep_forest *forest, double *weights, int64_t capacity,
                                          int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, weights, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(forest);
    return tree_params_get_class_weights(__func__, &forest->params, weights, capacity, needed);
}

/* One fit's shared state for the workers: trees [first, first + count) of the forest's
 * n_estimators, tree t at trees[t - first]. */
struct fit_job {
    const deep_forest *forest;
    const struct tree_table *table;
    int64_t draws;         /* bootstrap sample size */
    int64_t first;
    struct tree_model *trees;
    deep_status *status;   /* per tree */
    uint8_t *in_bag;       /* count * n when the OOB score is wanted, else NULL */
};

/* Tree t's own generator: a function of the seed and t only, never of the thread or of
 * which trees one call grows (deep_forest_fit_trees relies on it). */
static void tree_rng(uint64_t seed, int64_t t, struct deep_rng *rng)
{
    deep_rng_init(rng, seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(t + 1)));
}

/* Tree t's bootstrap sample as per-row weights (n rows, `draws` draws), drawn from rng,
 * which then seeds the tree itself. */
static void draw_bag(struct deep_rng *rng, int64_t n, int64_t draws, double *weights)
{
    memset(weights, 0, (size_t)n * sizeof *weights);
    for (int64_t k = 0; k < draws; k++)
        weights[deep_rng_below(rng, (uint64_t)n)] += 1;
}

static void grow_trees(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    struct fit_job *job = raw;
    const deep_forest *forest = job->forest;
    int64_t n = job->table->n;
    double *weights = forest->bootstrap ? deep_alloc(n, sizeof *weights) : NULL;
    for (int64_t i = begin; i < end; i++) {
        struct deep_rng rng;
        tree_rng(forest->params.seed, job->first + i, &rng);
        if (forest->bootstrap) {
            if (weights == NULL) {
                job->status[i] = DEEP_ERR_NO_MEMORY;
                continue;
            }
            draw_bag(&rng, n, job->draws, weights);
            if (job->in_bag)
                for (int64_t r = 0; r < n; r++)
                    job->in_bag[i * n + r] = weights[r] > 0;
        }
        job->status[i] = tree_grow("deep_forest_fit", &forest->params, job->table, weights, deep_rng_u64(&rng),
                                   &job->trees[i]);
    }
    free(weights);
}

/* Rows are predicted a block at a time, tree by tree within the block, so that one
 * tree's nodes stay in cache while the block's rows go through it. */
#define BLOCK 256

/* Buffers of one predicting thread: BLOCK rows' sums and tree counts, and their
 * features when they come from a table of bytes. */
struct block_buffers {
    double *acc;   /* BLOCK * width */
    int64_t *used; /* BLOCK */
    float *rows;   /* BLOCK * n_features, or NULL */
};

static bool buffers_new(struct block_buffers *b, int32_t width, int64_t row_floats)
{
    b->acc = deep_alloc((int64_t)BLOCK * width, sizeof *b->acc);
    b->used = deep_alloc(BLOCK, sizeof *b->used);
    b->rows = row_floats > 0 ? deep_alloc((int64_t)BLOCK * row_floats, sizeof *b->rows) : NULL;
    return b->acc && b->used && (row_floats == 0 || b->rows);
}

static void buffers_free(struct block_buffers *b)
{
    free(b->acc);
    free(b->used);
    free(b->rows);
}

/* Predictions for rows [begin, end) of x (or, x NULL, of the training table): the class
 * with the largest summed probability (lowest id on ties) or the mean value into out[i],
 * or (proba) the mean probabilities into out[i * width ...]. With in_bag (tree_count * n flags) a tree only votes for the
 * rows outside its bag, and has[i] tells whether any tree voted. Every row sums the
 * trees in the same order, whatever the blocks and threads. */
static void predict_rows(const deep_forest *forest, const float *x, const struct tree_table *table, int64_t begin,
                         int64_t end, const uint8_t *in_bag, int64_t n, bool proba, struct block_buffers *buf,
                         float *out, uint8_t *has)
{
    const struct tree_model *first = &forest->trees[0];
    int32_t width = first->width;
    int64_t features = first->n_features;
    for (int64_t lo = begin; lo < end; lo += BLOCK) {
        int64_t hi = end - lo < BLOCK ? end : lo + BLOCK;
        const float *block = x != NULL ? x + lo * features : tree_table_rows(table, lo, hi - lo, buf->rows);
        memset(buf->acc, 0, (size_t)((hi - lo) * width) * sizeof *buf->acc);
        memset(buf->used, 0, (size_t)(hi - lo) * sizeof *buf->used);
        for (int64_t t = 0; t < forest->tree_count; t++) {
            const struct tree_model *m = &forest->trees[t];
            for (int64_t i = lo; i < hi; i++) {
                if (in_bag && in_bag[t * n + i])
                    continue;
                const double *v = m->values + tree_model_leaf(m, block + (i - lo) * features) * width;
                double *acc = buf->acc + (i - lo) * width;
                for (int32_t c = 0; c < width; c++)
                    acc[c] += v[c];
                buf->used[i - lo]++;
            }
        }
        for (int64_t i = lo; i < hi; i++) {
            const double *acc = buf->acc + (i - lo) * width;
            double used = buf->used[i - lo] > 0 ? (double)buf->used[i - lo] : 1;
            if (has)
                has[i] = buf->used[i - lo] > 0;
            if (proba) {
                for (int32_t c = 0; c < width; c++)
                    out[i * width + c] = (float)(acc[c] / used);
            } else if (first->n_classes == 0) {
                out[i] = (float)(acc[0] / used);
            } else {
                int32_t best = 0;
                for (int32_t c = 1; c < width; c++)
                    if (acc[c] > acc[best])
                        best = c;
                out[i] = (float)best;
            }
        }
    }
}

/* Rows predicted in parallel: each worker takes a contiguous chunk with its own buffers. */
struct rows_job {
    const deep_forest *forest;
    const float *x;                 /* the rows, or NULL for those of table */
    const struct tree_table *table; /* OOB: the training table */
    const uint8_t *in_bag;          /* OOB: tree_count * n_bag flags, else NULL */
    int64_t n_bag;
    bool proba;
    float *out;
    uint8_t *has;
    struct block_buffers *buffers; /* one per worker */
};

static void rows_chunk(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    struct rows_job *job = raw;
    predict_rows(job->forest, job->x, job->table, begin, end, job->in_bag, job->n_bag, job->proba,
                 &job->buffers[worker], job->out, job->has);
}

/* Runs job over n rows on pool (NULL: inline) with one set of buffers per worker. */
static bool run_rows(deep_pool *pool, int64_t n, struct rows_job *job)
{
    int32_t workers = pool ? deep_pool_threads(pool) : 1;
    job->buffers = calloc((size_t)workers, sizeof *job->buffers);
    bool memory = job->buffers != NULL;
    int64_t row_floats = job->x == NULL && job->table->x == NULL ? job->table->n_features : 0;
    for (int32_t w = 0; memory && w < workers; w++)
        memory = buffers_new(&job->buffers[w], job->forest->trees[0].width, row_floats);
    if (memory)
        deep_pool_run(pool, n, rows_chunk, job);
    for (int32_t w = 0; job->buffers && w < workers; w++)
        buffers_free(&job->buffers[w]);
    free(job->buffers);
    return memory;
}

/* Accuracy or R^2 over the samples some tree left out of its bag. */
static deep_status oob_score(deep_forest *forest, const struct tree_table *table, const uint8_t *in_bag)
{
    int64_t n = table->n;
    struct rows_job job = {.forest = forest, .table = table, .in_bag = in_bag, .n_bag = n,
                           .out = deep_alloc(n, sizeof(float)), .has = deep_alloc(n, 1)};
    float *truth = deep_alloc(n, sizeof *truth);
    bool memory = job.out && job.has && truth && run_rows(forest->pool, n, &job);
    if (memory) {
        bool any = false;
        for (int64_t i = 0; i < n; i++) {
            truth[i] = table->labels ? (float)table->labels[i] : table->y[i];
            any = any || job.has[i];
        }
        forest->oob_score = tree_score_rows(forest->params.kind, truth, job.out, job.has, n);
        forest->has_oob = any;
    }
    free(truth);
    free(job.out);
    free(job.has);
    return memory ? DEEP_OK : DEEP_ERR_NO_MEMORY;
}

/* The forest's pool with its current thread setting. */
static deep_status ensure_pool(const char *caller, deep_forest *forest)
{
    int32_t want = forest->threads > 0 ? forest->threads : (int32_t)deep_cpu_count(); /* at most 1024 */
    if (forest->pool && deep_pool_threads(forest->pool) == want)
        return DEEP_OK;
    deep_pool_free(forest->pool);
    forest->pool = NULL;
    deep_status s = deep_pool_new(want, &forest->pool);
    return s == DEEP_OK ? s : deep_error_set(s, caller, "could not start %d threads", (int)want);
}

/* Checks the bootstrap settings against a table of n rows; *draws receives the size. */
static deep_status bootstrap_size(const char *caller, const deep_forest *f, int64_t n, int64_t *draws)
{
    if (f->oob && !f->bootstrap)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller, "the out-of-bag score needs bootstrap 1");
    if (f->max_samples > n)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "max_samples %lld exceeds the %lld training samples", (long long)f->max_samples,
                              (long long)n);
    *draws = f->max_samples > 0 ? f->max_samples : n;
    if (f->max_samples_fraction > 0) {
        *draws = (int64_t)(f->max_samples_fraction * (double)n + 0.5);
        if (*draws < 1)
            *draws = 1;
    }
    return DEEP_OK;
}

/* Grows trees [first, first + count) on data, replacing the forest's trees; with the OOB
 * score when oob (and then first is 0 and count all trees). */
static deep_status fit_range(const char *caller, deep_forest *forest, const deep_dataset *data, int64_t first,
                             int64_t count, bool oob)
{
    struct tree_table table;
    DEEP_TRY(ensure_pool(caller, forest));
    DEEP_TRY(tree_table_init(caller, &forest->params, data, forest->pool, &table));
    int64_t n = table.n, draws = 0, cells = 0;
    deep_status s = bootstrap_size(caller, forest, n, &draws);
    if (s != DEEP_OK) {
        tree_table_clear(&table);
        return s;
    }
    drop_trees(forest);
    struct fit_job job = {forest, &table, draws, first, calloc((size_t)count, sizeof *job.trees),
                          calloc((size_t)count, sizeof *job.status), NULL};
    bool memory = job.trees && job.status;
    if (oob) {
        memory = memory && deep_mul_i64(count, n, &cells);
        job.in_bag = memory ? deep_alloc(cells, 1) : NULL;
        memory = memory && job.in_bag;
    }
    if (memory) {
        deep_pool_run(forest->pool, count, grow_trees, &job);
        for (int64_t t = 0; t < count; t++)
            memory = memory && job.status[t] == DEEP_OK;
    }
    forest->trees = job.trees;
    forest->tree_count = job.trees ? count : 0;
    if (memory && oob)
        memory = oob_score(forest, &table, job.in_bag) == DEEP_OK;
    free(job.status);
    free(job.in_bag);
    tree_table_clear(&table);
    if (!memory) {
        drop_trees(forest);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "no memory to grow %lld trees on %lld samples",
                              (long long)count, (long long)n);
    }
    return DEEP_OK;
}

deep_status deep_forest_fit(deep_forest *forest, const deep_dataset *data)
{
    DEEP_REQUIRE(forest);
    DEEP_REQUIRE(data);
    return fit_range(__func__, forest, data, 0, forest->n_estimators, forest->oob);
}

deep_status deep_forest_fit_trees(deep_forest *forest, const deep_dataset *data, int64_t first, int64_t count)
{
    DEEP_REQUIRE(forest);
    DEEP_REQUIRE(data);
    if (first < 0 || count < 1 || first > forest->n_estimators - count)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                         "trees [%lld, %lld + %lld) are not a non-empty range of the %lld trees (n_estimators)",
                         (long long)first, (long long)first, (long long)count, (long long)forest->n_estimators);
    if (forest->oob && !forest->bootstrap)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the out-of-bag score needs bootstrap 1");
    return fit_range(__func__, forest, data, first, count, false);
}

static deep_status fitted(const char *caller, const deep_forest *forest)
{
    if (forest == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'forest' is NULL");
    if (forest->tree_count == 0)
        return deep_error_set(DEEP_ERR_STATE, caller, "the forest is not fitted yet (call deep_forest_fit)");
    return DEEP_OK;
}

/* Predictions (or mean probabilities) of n rows into out. Large inputs are spread over
 * threads started for this call (not the forest's pool), so that many threads may
 * predict with one forest at once; if they cannot start, the calling thread does it all. */
static deep_status predict_into(const char *caller, const deep_forest *forest, const float *x, int64_t n, bool proba,
                                float *out)
{
    int32_t threads = forest->threads > 0 ? forest->threads : (int32_t)deep_cpu_count(); /* at most 1024 */
    deep_pool *pool = NULL;
    if (n >= 4 * BLOCK && threads > 1 && deep_pool_new(threads, &pool) != DEEP_OK)
        pool = NULL;
    struct rows_job job = {.forest = forest, .x = x, .proba = proba, .out = out};
    bool memory = run_rows(pool, n, &job);
    deep_pool_free(pool);
    return memory ? DEEP_OK : deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory");
}

static deep_status predict(const char *caller, const deep_forest *forest, const deep_tensor *inputs, bool proba,
                           deep_tensor **out)
{
    if (out == NULL)
        return deep_error_set(DEEP_ERR_NULL, caller, "argument 'out' is NULL");
    *out = NULL;
    DEEP_TRY(fitted(caller, forest));
    const struct tree_model *m = &forest->trees[0];
    if (proba && m->n_classes == 0)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "a regressor has no class probabilities (use deep_forest_predict)");
    int64_t n;
    DEEP_TRY(tree_inputs_check(caller, inputs, m->n_features, &n));
    int64_t shape[2] = {n, m->width};
    deep_tensor *result;
    DEEP_TRY(deep_tensor_create(caller, proba ? 2 : 1, shape, true, &result));
    deep_status s = predict_into(caller, forest, inputs->data, n, proba, result->data);
    if (s != DEEP_OK) {
        deep_tensor_free(result);
        return s;
    }
    *out = result;
    return DEEP_OK;
}

deep_status deep_forest_predict(const deep_forest *forest, const deep_tensor *inputs, deep_tensor **out)
{
    return predict(__func__, forest, inputs, false, out);
}

deep_status deep_forest_predict_proba(const deep_forest *forest, const deep_tensor *inputs, deep_tensor **out)
{
    return predict(__func__, forest, inputs, true, out);
}

deep_status deep_forest_score(const deep_forest *forest, const deep_dataset *data, double *score)
{
    DEEP_REQUIRE(score);
    DEEP_TRY(fitted(__func__, forest));
    const struct tree_model *m = &forest->trees[0];
    const float *x;
    DEEP_TRY(tree_score_check(__func__, m->kind, data, m->n_features, &x));
    float *predicted = deep_alloc(data->count, sizeof *predicted);
    if (predicted == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "no memory for %lld predictions", (long long)data->count);
    deep_status s = predict_into(__func__, forest, x, data->count, false, predicted);
    if (s == DEEP_OK)
        s = tree_score_data(__func__, m->kind, predicted, data, score);
    free(predicted);
    return s;
}

deep_status deep_forest_oob_score(const deep_forest *forest, double *score)
{
    DEEP_REQUIRE(score);
    DEEP_TRY(fitted(__func__, forest));
    if (!forest->has_oob)
        return DEEP_FAIL(DEEP_ERR_STATE, "no out-of-bag score: fit with DEEP_FOREST_OOB_SCORE 1 and bootstrap 1");
    *score = forest->oob_score;
    return DEEP_OK;
}

deep_status deep_forest_feature_importances(const deep_forest *forest, double *importances, int64_t capacity,
                                            int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, importances, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_TRY(fitted(__func__, forest));
    int64_t nf = forest->trees[0].n_features;
    bool write;
    DEEP_TRY(deep_output_check(__func__, "one importance per feature", importances, capacity, needed, nf, &write));
    if (!write)
        return DEEP_OK;
    /* As scikit-learn: the mean over the trees that split at all, normalised again. */
    memset(importances, 0, (size_t)nf * sizeof *importances);
    double sum = 0;
    for (int64_t t = 0; t < forest->tree_count; t++)
        if (forest->trees[t].node_count > 1)
            for (int64_t f = 0; f < nf; f++) {
                importances[f] += forest->trees[t].importances[f];
                sum += forest->trees[t].importances[f];
            }
    if (sum > 0)
        for (int64_t f = 0; f < nf; f++)
            importances[f] /= sum;
    return DEEP_OK;
}

deep_status deep_forest_compute_oob_score(deep_forest *forest, const deep_dataset *data)
{
    DEEP_TRY(fitted(__func__, forest));
    DEEP_REQUIRE(data);
    if (!forest->bootstrap)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "the out-of-bag score needs bootstrap 1");
    if (forest->tree_count != forest->n_estimators)
        return DEEP_FAIL(DEEP_ERR_STATE, "the forest holds %lld trees, not its %lld (n_estimators): every tree's "
                         "bootstrap sample is drawn from its index", (long long)forest->tree_count,
                         (long long)forest->n_estimators);
    /* Only the rows are read: no histogram bins (binning costs as much as a few trees). */
    struct tree_params rows_only = forest->params;
    rows_only.splitter = DEEP_SPLITTER_EXACT;
    struct tree_table table;
    DEEP_TRY(ensure_pool(__func__, forest));
    DEEP_TRY(tree_table_init(__func__, &rows_only, data, forest->pool, &table));
    const struct tree_model *m = &forest->trees[0];
    int64_t n = table.n, count = forest->tree_count, draws = 0, cells = 0;
    deep_status s = bootstrap_size(__func__, forest, n, &draws);
    if (s == DEEP_OK && (table.n_features != m->n_features || table.n_classes != m->n_classes))
        s = DEEP_FAIL(DEEP_ERR_SHAPE, "data has %lld features and %d classes, the trees %lld and %d",
                      (long long)table.n_features, (int)table.n_classes, (long long)m->n_features,
                      (int)m->n_classes);
    if (s != DEEP_OK) {
        tree_table_clear(&table);
        return s;
    }
    /* The bags deep_forest_fit drew: each tree's generator starts with them. */
    double *weights = deep_alloc(n, sizeof *weights);
    uint8_t *in_bag = deep_mul_i64(count, n, &cells) ? deep_alloc(cells, 1) : NULL;
    bool memory = weights && in_bag;
    for (int64_t t = 0; memory && t < count; t++) {
        struct deep_rng rng;
        tree_rng(forest->params.seed, t, &rng);
        draw_bag(&rng, n, draws, weights);
        for (int64_t r = 0; r < n; r++)
            in_bag[t * n + r] = weights[r] > 0;
    }
    if (memory)
        memory = oob_score(forest, &table, in_bag) == DEEP_OK;
    free(weights);
    free(in_bag);
    tree_table_clear(&table);
    return memory ? DEEP_OK : DEEP_FAIL(DEEP_ERR_NO_MEMORY, "no memory for the out-of-bag votes of %lld trees on "
                                        "%lld samples", (long long)count, (long long)n);
}

deep_status deep_forest_tree_count(const deep_forest *forest, int64_t *count)
{
    DEEP_REQUIRE(forest);
    DEEP_REQUIRE(count);
    *count = forest->tree_count;
    return DEEP_OK;
}

deep_status forest_clone_settings(const char *caller, const deep_forest *forest, deep_forest **out)
{
    deep_forest *copy = calloc(1, sizeof *copy);
    if (copy == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "no memory for a forest");
    *copy = *forest;
    copy->pool = NULL;
    copy->trees = NULL;
    copy->tree_count = 0;
    copy->has_oob = false;
    deep_status s = tree_params_copy(caller, &copy->params, &forest->params);
    if (s != DEEP_OK) {
        free(copy);
        return s;
    }
    *out = copy;
    return DEEP_OK;
}
