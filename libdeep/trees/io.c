/* Tree and forest files: a versioned little-endian binary format, written atomically and
 * validated field by field on load.
 *
 * Format version 1. Integers are two's complement, floats IEEE 754; all little-endian.
 *   file    := magic[8] u32 version u32 zero body
 *              magic "DEEPTREE" (body := params model) or "DEEPFRST" (body := params forest)
 *   params  := u32 kind u32 criterion i64 max_depth i64 min_samples_split
 *              i64 min_samples_leaf i64 max_features f64 max_features_fraction
 *              f64 min_impurity_decrease u64 seed u32 splitter u32 max_bins
 *              u32 class_weight_count f64 class_weight[class_weight_count]
 *   forest  := i64 n_estimators u32 bootstrap u32 oob_score i64 max_samples
 *              f64 max_samples_fraction u32 threads u32 has_oob f64 oob_score_value
 *              i64 tree_count model[tree_count]
 *   model   := i64 n_features u32 n_classes (0: regressor) i64 node_count i64 depth
 *              node[node_count] f64 value[node_count * width] f64 importance[n_features]
 *              (width = n_classes, or 1)
 *   node    := i32 feature (-1: leaf) i32 left i32 right f32 threshold f64 impurity
 *              f64 weight i64 samples
 * Nodes are in preorder: children have larger indices than their parent, so a valid file
 * cannot hold a cycle. Leaves have left = right = -1. Trailing bytes are an error.
 * deep_forest_save_buffer / deep_forest_load_buffer hold the same bytes in memory. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "io/file.h"
#include "trees/trees.h"

#define FORMAT_VERSION 1

/* ---------------------------------------------------------------- writing */

/* Little-endian fields, as the format above lays them out. */
static void put_u32(deep_bytes *o, uint32_t v) { deep_bytes_put_le(o, v, 4); }
static void put_u64(deep_bytes *o, uint64_t v) { deep_bytes_put_le(o, v, 8); }
static void put_i64(deep_bytes *o, int64_t v) { put_u64(o, (uint64_t)v); }

static void put_f32(deep_bytes *o, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_u32(o, bits);
}

static void put_f64(deep_bytes *o, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_u64(o, bits);
}

static void put_params(deep_bytes *o, const struct tree_params *p)
{
    put_u32(o, (uint32_t)p->kind);
    put_u32(o, (uint32_t)p->criterion);
    put_i64(o, p->max_depth);
    put_i64(o, p->min_samples_split);
    put_i64(o, p->min_samples_leaf);
    put_i64(o, p->max_features);
    put_f64(o, p->max_features_fraction);
    put_f64(o, p->min_impurity_decrease);
    put_u64(o, p->seed);
    put_u32(o, (uint32_t)p->splitter);
    put_u32(o, (uint32_t)p->max_bins);
    put_u32(o, (uint32_t)p->class_weight_count);
    for (int32_t c = 0; c < p->class_weight_count; c++)
        put_f64(o, p->class_weights[c]);
}

static void put_model(deep_bytes *o, const struct tree_model *m)
{
    put_i64(o, m->n_features);
    put_u32(o, (uint32_t)m->n_classes);
    put_i64(o, m->node_count);
    put_i64(o, m->depth);
    for (int64_t i = 0; i < m->node_count; i++) {
        const struct tree_node *n = &m->nodes[i];
        put_u32(o, (uint32_t)n->feature);
        put_u32(o, (uint32_t)(n->feature >= 0 ? n->left : -1));
        put_u32(o, (uint32_t)(n->feature >= 0 ? n->right : -1));
        put_f32(o, n->feature >= 0 ? n->threshold : 0.0f);
        put_f64(o, n->impurity);
        put_f64(o, n->weight);
        put_i64(o, n->samples);
    }
    for (int64_t i = 0; i < m->node_count * m->width; i++)
        put_f64(o, m->values[i]);
    for (int64_t f = 0; f < m->n_features; f++)
        put_f64(o, m->importances[f]);
}

static void put_header(deep_bytes *o, const char *magic)
{
    deep_bytes_put(o, magic, 8);
    put_u32(o, FORMAT_VERSION);
    put_u32(o, 0);
}

static deep_status write_atomic(const char *caller, const char *path, deep_bytes *o)
{
    if (o->failed)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory writing '%s'", path);
    return deep_file_write_atomic(caller, path, o->data, o->length);
}

deep_status deep_tree_save(const deep_tree *tree, const char *path)
{
    DEEP_REQUIRE(tree);
    DEEP_REQUIRE(path);
    if (tree->model.node_count == 0)
        return DEEP_FAIL(DEEP_ERR_STATE, "the tree is not fitted yet (call deep_tree_fit)");
    deep_bytes o = {0};
    put_header(&o, "DEEPTREE");
    put_params(&o, &tree->params);
    put_model(&o, &tree->model);
    deep_status s = write_atomic(__func__, path, &o);
    deep_bytes_free(&o);
    return s;
}

/* The forest file's bytes into o. */
static void put_forest(deep_bytes *o, const deep_forest *forest)
{
    put_header(o, "DEEPFRST");
    put_params(o, &forest->params);
    put_i64(o, forest->n_estimators);
    put_u32(o, forest->bootstrap);
    put_u32(o, forest->oob);
    put_i64(o, forest->max_samples);
    put_f64(o, forest->max_samples_fraction);
    put_u32(o, (uint32_t)forest->threads);
    put_u32(o, forest->has_oob);
    put_f64(o, forest->oob_score);
    put_i64(o, forest->tree_count);
    for (int64_t t = 0; t < forest->tree_count; t++)
        put_model(o, &forest->trees[t]);
}

deep_status deep_forest_save(const deep_forest *forest, const char *path)
{
    DEEP_REQUIRE(forest);
    DEEP_REQUIRE(path);
    if (forest->tree_count == 0)
        return DEEP_FAIL(DEEP_ERR_STATE, "the forest is not fitted yet (call deep_forest_fit)");
    deep_bytes o = {0};
    put_forest(&o, forest);
    deep_status s = write_atomic(__func__, path, &o);
    deep_bytes_free(&o);
    return s;
}

deep_status deep_forest_save_buffer(const deep_forest *forest, void *buffer, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(forest);
    if (forest->tree_count == 0)
        return DEEP_FAIL(DEEP_ERR_STATE, "the forest is not fitted yet (call deep_forest_fit)");
    deep_bytes o = {0};
    put_forest(&o, forest);
    deep_status s = o.failed ? DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for the forest file")
                             : deep_output_copy(__func__, "the forest file", buffer, capacity, needed, o.data,
                                                (int64_t)o.length, 1);
    deep_bytes_free(&o);
    return s;
}

/* ---------------------------------------------------------------- reading */

struct in {
    const char *caller, *path; /* path: a file's, or "the buffer" */
    const char *quote;         /* "'" around a file's path in messages, "" around "the buffer" */
    const uint8_t *data;
    size_t length, at;
    deep_status status; /* the first failure; later reads return zeros */
};

/* Records the first format error with its byte offset. */
__attribute__((format(printf, 2, 3))) static void bad(struct in *r, const char *fmt, ...)
{
    if (r->status != DEEP_OK)
        return;
    char what[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    r->status = deep_error_set(DEEP_ERR_FORMAT, r->caller, "%s%s%s at byte %zu: %s", r->quote, r->path, r->quote,
                               r->at, what);
}

/* Records the failure of a setter that refused a value read from the file (its message
 * already says what is wrong) as the loader's own: a format error, or out of memory.
 * DEEP_OK records nothing. */
static void bad_setting(struct in *r, deep_status status)
{
    if (status != DEEP_OK && r->status == DEEP_OK)
        r->status = deep_error_wrap(status == DEEP_ERR_NO_MEMORY ? status : DEEP_ERR_FORMAT, r->caller,
                                    "%s%s%s at byte %zu", r->quote, r->path, r->quote, r->at);
}

static uint64_t get_u64(struct in *r, int bytes)
{
    if (r->status != DEEP_OK)
        return 0;
    if (r->length - r->at < (size_t)bytes) {
        bad(r, "the file is truncated");
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)r->data[r->at + (size_t)i] << (8 * i);
    r->at += (size_t)bytes;
    return v;
}

static uint32_t get_u32(struct in *r) { return (uint32_t)get_u64(r, 4); }
static int32_t get_i32(struct in *r) { return (int32_t)get_u32(r); }
static int64_t get_i64(struct in *r) { return (int64_t)get_u64(r, 8); }

static float get_f32(struct in *r)
{
    uint32_t bits = get_u32(r);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* A finite double (NaN or infinity is a format error). */
static double get_f64(struct in *r, const char *what)
{
    uint64_t bits = get_u64(r, 8);
    double v;
    memcpy(&v, &bits, sizeof v);
    if (!isfinite(v)) {
        bad(r, "%s is not finite", what);
        return 0;
    }
    return v;
}

/* An i64 count in [lo, hi]. */
static int64_t get_count(struct in *r, int64_t lo, int64_t hi, const char *what)
{
    int64_t v = get_i64(r);
    if (r->status == DEEP_OK && (v < lo || v > hi))
        bad(r, "%s %lld is outside [%lld, %lld]", what, (long long)v, (long long)lo, (long long)hi);
    return v;
}

/* Parses the settings through the setters, so a file cannot hold a value fit would refuse. */
static void get_params(struct in *r, struct tree_params *p)
{
    uint32_t kind = get_u32(r);
    if (r->status == DEEP_OK && kind != DEEP_TREE_CLASSIFIER && kind != DEEP_TREE_REGRESSOR)
        bad(r, "kind %u is not a deep_tree_kind", (unsigned)kind);
    tree_params_init(p, kind == DEEP_TREE_REGRESSOR ? DEEP_TREE_REGRESSOR : DEEP_TREE_CLASSIFIER);
    int64_t ints[4];
    uint32_t criterion = get_u32(r);
    for (int i = 0; i < 4; i++)
        ints[i] = get_i64(r);
    double fraction = get_f64(r, "max_features_fraction");
    double decrease = get_f64(r, "min_impurity_decrease");
    uint64_t seed = get_u64(r, 8);
    uint32_t splitter = get_u32(r), max_bins = get_u32(r), weights = get_u32(r);
    if (r->status != DEEP_OK)
        return;
    const deep_tree_option options[] = {DEEP_TREE_CRITERION, DEEP_TREE_MAX_DEPTH, DEEP_TREE_MIN_SAMPLES_SPLIT,
                                        DEEP_TREE_MIN_SAMPLES_LEAF, DEEP_TREE_MAX_FEATURES, DEEP_TREE_SPLITTER,
                                        DEEP_TREE_MAX_BINS};
    const int64_t values[] = {criterion, ints[0], ints[1], ints[2], ints[3], splitter, max_bins};
    deep_status s = DEEP_OK;
    for (int i = 0; i < 7 && s == DEEP_OK; i++)
        s = tree_params_set_int(r->caller, p, options[i], values[i]);
    if (s == DEEP_OK && fraction != 0)
        s = tree_params_set_float(r->caller, p, DEEP_TREE_MAX_FEATURES, fraction);
    if (s == DEEP_OK)
        s = tree_params_set_float(r->caller, p, DEEP_TREE_MIN_IMPURITY_DECREASE, decrease);
    if (s != DEEP_OK)
        bad_setting(r, s);
    p->seed = seed;
    if (r->status != DEEP_OK || weights == 0)
        return;
    if (weights > (r->length - r->at) / 8) {
        bad(r, "%u class weights do not fit in the file", (unsigned)weights);
        return;
    }
    double *w = deep_alloc(weights, sizeof *w);
    if (w == NULL) {
        r->status = deep_error_set(DEEP_ERR_NO_MEMORY, r->caller, "out of memory reading %s%s%s", r->quote, r->path,
                                   r->quote);
        return;
    }
    for (uint32_t c = 0; c < weights; c++)
        w[c] = get_f64(r, "a class weight");
    if (r->status == DEEP_OK)
        bad_setting(r, tree_params_set_class_weights(r->caller, p, w, (int32_t)weights));
    free(w);
}

/* One fitted tree of a `kind` learner; every index checked so that prediction stays in
 * bounds and terminates. */
static void get_model(struct in *r, deep_tree_kind kind, struct tree_model *m)
{
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->n_features = get_count(r, 1, INT32_MAX, "n_features");
    uint32_t classes = get_u32(r);
    if (r->status == DEEP_OK && (kind == DEEP_TREE_CLASSIFIER ? classes < 1 || classes > INT32_MAX : classes != 0))
        bad(r, "%u classes for a %s", (unsigned)classes, kind == DEEP_TREE_CLASSIFIER ? "classifier" : "regressor");
    m->n_classes = (int32_t)classes;
    m->width = kind == DEEP_TREE_CLASSIFIER ? m->n_classes : 1;
    /* Each node takes 40 bytes plus its values: the file's size bounds the count. */
    int64_t nodes = get_count(r, 1, (int64_t)((r->length - r->at) / 40), "node_count");
    m->depth = get_count(r, 0, nodes, "depth");
    /* Nor can a corrupt class or feature count ask for more memory than the file holds. */
    size_t left = r->length - r->at;
    if (r->status == DEEP_OK &&
        ((size_t)m->n_features > left / 8 || (size_t)m->width > left / 8 / (size_t)nodes ||
         (size_t)nodes * 40 + ((size_t)nodes * (size_t)m->width + (size_t)m->n_features) * 8 > left))
        bad(r, "%lld nodes of %d values and %lld importances do not fit in the file", (long long)nodes,
            (int)m->width, (long long)m->n_features);
    if (r->status != DEEP_OK)
        return;
    m->nodes = deep_alloc(nodes, sizeof *m->nodes);
    m->values = deep_alloc(nodes * m->width, sizeof *m->values);
    m->importances = deep_alloc(m->n_features, sizeof *m->importances);
    if (m->nodes == NULL || m->values == NULL || m->importances == NULL) {
        r->status = deep_error_set(DEEP_ERR_NO_MEMORY, r->caller, "out of memory reading %s%s%s", r->quote, r->path,
                                   r->quote);
        return;
    }
    m->node_count = m->capacity = nodes;
    for (int64_t i = 0; i < nodes && r->status == DEEP_OK; i++) {
        struct tree_node *n = &m->nodes[i];
        n->feature = get_i32(r);
        n->left = get_i32(r);
        n->right = get_i32(r);
        n->threshold = get_f32(r);
        n->impurity = get_f64(r, "an impurity");
        n->weight = get_f64(r, "a node weight");
        n->samples = get_i64(r);
        if (r->status != DEEP_OK)
            break;
        bool leaf = n->feature == -1 && n->left == -1 && n->right == -1;
        bool split = n->feature >= 0 && n->feature < m->n_features && n->left > i && n->left < nodes &&
                     n->right > i && n->right < nodes && n->left != n->right && isfinite(n->threshold);
        if (!leaf && !split)
            bad(r, "node %lld (feature %d, children %d and %d) is neither a leaf nor a valid split", (long long)i,
                (int)n->feature, (int)n->left, (int)n->right);
        else if (n->samples < 1)
            bad(r, "node %lld has %lld samples", (long long)i, (long long)n->samples);
    }
    for (int64_t i = 0; i < nodes * m->width; i++)
        m->values[i] = get_f64(r, "a node value");
    for (int64_t f = 0; f < m->n_features; f++)
        m->importances[f] = get_f64(r, "an importance");
}

/* Checks r's magic and version. */
static void check_header(struct in *r, const char *magic)
{
    if (r->length < 16 || memcmp(r->data, magic, 8) != 0) {
        bad(r, "not a libdeep %s file (magic \"%s\" expected)", magic[4] == 'T' ? "tree" : "forest", magic);
        return;
    }
    r->at = 8;
    uint32_t version = get_u32(r), zero = get_u32(r);
    if (version != FORMAT_VERSION)
        bad(r, "format version %u is not supported (this library reads version %d)", (unsigned)version,
            FORMAT_VERSION);
    else if (zero != 0)
        bad(r, "reserved field is %u, not 0", (unsigned)zero);
}

/* Reads the whole file, checks magic and version. */
static deep_status open_file(const char *caller, const char *path, const char *magic, struct in *r, uint8_t **data)
{
    *data = NULL;
    size_t length;
    uint8_t *bytes;
    DEEP_TRY(deep_file_read(caller, path, &bytes, &length));
    *data = bytes;
    *r = (struct in){caller, path, "'", bytes, length, 0, DEEP_OK};
    check_header(r, magic);
    return r->status;
}

static void expect_end(struct in *r)
{
    if (r->status == DEEP_OK && r->at != r->length)
        bad(r, "%zu unexpected bytes after the end", r->length - r->at);
}

deep_status deep_tree_load(const char *path, deep_tree **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(path);
    struct in r;
    uint8_t *data;
    deep_status opened = open_file(__func__, path, "DEEPTREE", &r, &data);
    if (opened != DEEP_OK) {
        free(data);
        return opened;
    }
    deep_tree *tree = calloc(1, sizeof *tree);
    if (tree == NULL) {
        free(data);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory reading '%s'", path);
    }
    get_params(&r, &tree->params);
    if (r.status == DEEP_OK) {
        get_model(&r, tree->params.kind, &tree->model);
        tree->model.criterion = tree->params.criterion;
    }
    expect_end(&r);
    free(data);
    if (r.status != DEEP_OK) {
        deep_tree_free(tree);
        return r.status;
    }
    *out = tree;
    return DEEP_OK;
}

/* The forest of r, whose header is read; *out is NULL on failure. */
static deep_status get_forest(struct in *r, deep_forest **out)
{
    deep_forest *forest = calloc(1, sizeof *forest);
    if (forest == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, r->caller, "out of memory reading %s%s%s", r->quote, r->path,
                              r->quote);
    get_params(r, &forest->params);
    forest->n_estimators = get_count(r, 1, INT32_MAX, "n_estimators");
    uint32_t bootstrap = get_u32(r), oob = get_u32(r);
    forest->max_samples = get_count(r, 0, INT64_MAX, "max_samples");
    forest->max_samples_fraction = get_f64(r, "max_samples_fraction");
    uint32_t threads = get_u32(r), has_oob = get_u32(r);
    forest->oob_score = get_f64(r, "the out-of-bag score");
    if (r->status == DEEP_OK && (bootstrap > 1 || oob > 1 || has_oob > 1 || threads > 1024 ||
                                 forest->max_samples_fraction < 0 || forest->max_samples_fraction > 1))
        bad(r, "bootstrap, oob_score, threads, has_oob or max_samples_fraction out of range");
    /* One kind of max_samples, as the setters leave it: the getters answer to that kind. */
    if (r->status == DEEP_OK && forest->max_samples > 0 && forest->max_samples_fraction > 0)
        bad(r, "max_samples %lld and max_samples_fraction %g are both set; a forest has one or the other",
            (long long)forest->max_samples, forest->max_samples_fraction);
    forest->threads = (int32_t)threads;
    forest->bootstrap = bootstrap == 1;
    forest->oob = oob == 1;
    forest->has_oob = has_oob == 1;
    /* Each tree takes at least 68 bytes. */
    int64_t count = get_count(r, 1, r->status == DEEP_OK ? (int64_t)((r->length - r->at) / 68) : 1, "tree_count");
    if (r->status == DEEP_OK) {
        forest->trees = calloc((size_t)count, sizeof *forest->trees);
        if (forest->trees == NULL)
            r->status = deep_error_set(DEEP_ERR_NO_MEMORY, r->caller, "out of memory reading %s%s%s", r->quote,
                                       r->path, r->quote);
    }
    for (int64_t t = 0; r->status == DEEP_OK && t < count; t++) {
        get_model(r, forest->params.kind, &forest->trees[t]);
        forest->trees[t].criterion = forest->params.criterion;
        forest->tree_count = t + 1; /* so that free releases what was read */
        if (r->status == DEEP_OK && (forest->trees[t].n_features != forest->trees[0].n_features ||
                                     forest->trees[t].n_classes != forest->trees[0].n_classes))
            bad(r, "tree %lld has other features or classes than tree 0", (long long)t);
    }
    expect_end(r);
    if (r->status != DEEP_OK) {
        deep_forest_free(forest);
        return r->status;
    }
    *out = forest;
    return DEEP_OK;
}

deep_status deep_forest_load(const char *path, deep_forest **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(path);
    struct in r;
    uint8_t *data;
    deep_status s = open_file(__func__, path, "DEEPFRST", &r, &data);
    if (s == DEEP_OK)
        s = get_forest(&r, out);
    free(data);
    return s;
}

deep_status deep_forest_load_buffer(const void *data, int64_t size, deep_forest **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(data);
    if (size < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "size is %lld; it must be >= 0", (long long)size);
    struct in r = {__func__, "the buffer", "", data, (size_t)size, 0, DEEP_OK};
    check_header(&r, "DEEPFRST");
    return r.status == DEEP_OK ? get_forest(&r, out) : r.status;
}
