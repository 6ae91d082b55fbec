/* Distributed random forests: the trees are divided among the ranks in contiguous
 * blocks, each rank grows its block with libdeep's deep_forest_fit_trees (tree t from the
 * seed and t, as deep_forest_fit grows it), and the blocks' forest files are gathered
 * (MPI_Allgatherv) and joined in rank order, so every rank ends with the forest one
 * process grows. Before each collective exchange the ranks agree on a status (an
 * allgather of every rank's status and message), so a failure on one rank is an error
 * naming that rank on all of them, never a rank left waiting in a collective. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"

/* What each rank tells the others at an agreement point: its status and message, and
 * (first point) what it is about to fit, which must be the same on every rank. */
enum { FACT_COUNT, FACT_FEATURES, FACT_CLASSES, FACT_TARGETS, FACT_DATA, FACT_SETTINGS, FACT_BYTES, FACTS };

struct report {
    int32_t status;
    int32_t pad;
    uint64_t facts[FACTS];
    char message[256];
};

static const char *const fact_names[FACTS] = {
    "sample count", "feature count", "class count", "target width", "data (features and outputs)",
    "forest settings", "size of its trees",
};

/* FNV-1a over 64-bit words: a checksum, not a defence against an adversary. */
static uint64_t mix(uint64_t h, uint64_t word)
{
    return (h ^ word) * 0x100000001B3ull;
}

static uint64_t mix_double(uint64_t h, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return mix(h, bits);
}

/* The settings every rank must share for the blocks to make one forest: every option
 * of deep_tree_option but the thread count (which does not change a tree), read as an
 * int or else as a float, and the class weights. The criterion tells the kind apart. An
 * option added to deep_tree_option that shapes the trees belongs in this list. */
static deep_status settings_hash(const deep_forest *forest, uint64_t *hash)
{
    static const deep_tree_option options[] = {
        DEEP_TREE_CRITERION,      DEEP_TREE_MAX_DEPTH, DEEP_TREE_MIN_SAMPLES_SPLIT, DEEP_TREE_MIN_SAMPLES_LEAF,
        DEEP_TREE_MAX_FEATURES,   DEEP_TREE_MIN_IMPURITY_DECREASE, DEEP_TREE_SEED, DEEP_TREE_SPLITTER,
        DEEP_TREE_MAX_BINS,       DEEP_FOREST_N_ESTIMATORS, DEEP_FOREST_BOOTSTRAP, DEEP_FOREST_MAX_SAMPLES,
        DEEP_FOREST_OOB_SCORE,
    };
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < sizeof options / sizeof *options; i++) {
        int64_t v;
        double d;
        if (deep_forest_get_int(forest, options[i], &v) == DEEP_OK)
            h = mix(h, (uint64_t)v);
        else if (deep_forest_get_float(forest, options[i], &d) == DEEP_OK)
            h = mix_double(mix(h, 1), d);
        else
            return DEEP_ERR_INVALID_ARGUMENT; /* an option of the list the forest does not know */
    }
    int64_t weights = 0;
    DEEP_MPI_TRY(deep_forest_get_class_weights(forest, NULL, 0, &weights));
    if (weights > 0) {
        double *w = malloc((size_t)weights * sizeof *w);
        if (w == NULL)
            return deep_mpi_fail(DEEP_ERR_NO_MEMORY, "deep_mpi_forest_fit", "no memory for %lld class weights",
                                 (long long)weights);
        deep_status s = deep_forest_get_class_weights(forest, w, weights, &weights);
        for (int64_t c = 0; s == DEEP_OK && c < weights; c++)
            h = mix_double(h, w[c]);
        free(w);
        DEEP_MPI_TRY(s);
    }
    *hash = h;
    return DEEP_OK;
}

/* A checksum of the features and outputs as fit reads them (floats), a block at a time. */
static deep_status data_hash(const deep_dataset *data, int64_t count, uint64_t *hash)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (int64_t start = 0; start < count; start += 4096) {
        int64_t rows = count - start < 4096 ? count - start : 4096;
        deep_tensor *x = NULL, *y = NULL;
        deep_status s = deep_dataset_batch(data, start, rows, &x, &y);
        for (int k = 0; s == DEEP_OK && k < 2; k++) {
            const float *v;
            int64_t size;
            s = deep_tensor_data(k ? y : x, &v);
            if (s == DEEP_OK)
                s = deep_tensor_size(k ? y : x, &size);
            for (int64_t i = 0; s == DEEP_OK && i < size; i++) {
                uint32_t bits;
                memcpy(&bits, &v[i], sizeof bits);
                h = mix(h, bits);
            }
        }
        deep_tensor_free(x);
        deep_tensor_free(y);
        if (s != DEEP_OK)
            return s;
    }
    *hash = h;
    return DEEP_OK;
}

/* What this rank is about to fit, into r->facts. */
static deep_status describe(const deep_forest *forest, const deep_dataset *data, struct report *r)
{
    int64_t count, shape[DEEP_MAX_RANK], rank, features = 1, targets;
    int32_t classes;
    DEEP_MPI_TRY(deep_dataset_count(data, &count));
    DEEP_MPI_TRY(deep_dataset_sample_shape(data, shape, DEEP_MAX_RANK, &rank));
    for (int64_t d = 0; d < rank; d++)
        features *= shape[d];
    DEEP_MPI_TRY(deep_dataset_num_classes(data, &classes));
    DEEP_MPI_TRY(deep_dataset_target_width(data, &targets));
    r->facts[FACT_COUNT] = (uint64_t)count;
    r->facts[FACT_FEATURES] = (uint64_t)features;
    r->facts[FACT_CLASSES] = (uint64_t)classes;
    r->facts[FACT_TARGETS] = (uint64_t)targets;
    DEEP_MPI_TRY(settings_hash(forest, &r->facts[FACT_SETTINGS]));
    return data_hash(data, count, &r->facts[FACT_DATA]);
}

static void set_report(struct report *r, deep_status status)
{
    r->status = status;
    if (status != DEEP_OK)
        snprintf(r->message, sizeof r->message, "%s", deep_last_error());
}

/* The agreement point: every rank learns every rank's report (all[size]). The first
 * failing rank's failure becomes everyone's, naming it; with `compare`, so does the
 * first rank whose facts[0..compare) differ from rank 0's. */
static deep_status agree(const char *func, const deep_mpi *mpi, const char *phase, struct report *mine,
                         struct report *all, int compare)
{
    int code = MPI_Allgather(mine, (int)sizeof *mine, MPI_BYTE, all, (int)sizeof *mine, MPI_BYTE, mpi->comm);
    if (code != MPI_SUCCESS)
        return deep_mpi_error(func, phase, code);
    for (int r = 0; r < mpi->size; r++)
        if (all[r].status != DEEP_OK) {
            all[r].message[sizeof all[r].message - 1] = '\0';
            return deep_mpi_fail((deep_status)all[r].status, func, "rank %d failed %s: %s", r, phase,
                                 all[r].message);
        }
    for (int r = 1; r < mpi->size; r++)
        for (int f = 0; f < compare; f++)
            if (all[r].facts[f] != all[0].facts[f])
                return deep_mpi_fail(DEEP_ERR_INVALID_ARGUMENT, func,
                                     "rank %d's %s differs from rank 0's (%llu, rank 0 %llu): every rank must fit "
                                     "the same forest settings on the same training data", r, fact_names[f],
                                     (unsigned long long)all[r].facts[f], (unsigned long long)all[0].facts[f]);
    return DEEP_OK;
}

/* This rank's block of the n trees: [first, first + count), count possibly 0. */
static void block(int64_t n, int rank, int size, int64_t *first, int64_t *count)
{
    *first = n * rank / size;
    *count = n * (rank + 1) / size - *first;
}

/* Grows this rank's block into forest and its file into *bytes (NULL when the block is
 * empty). */
static deep_status grow(deep_forest *forest, const deep_dataset *train, int64_t first, int64_t count,
                        uint8_t **bytes, int64_t *size)
{
    *bytes = NULL;
    *size = 0;
    if (count == 0)
        return DEEP_OK;
    DEEP_MPI_TRY(deep_forest_fit_trees(forest, train, first, count));
    DEEP_MPI_TRY(deep_forest_save_buffer(forest, NULL, 0, size));
    *bytes = malloc((size_t)*size);
    if (*bytes == NULL)
        return deep_mpi_fail(DEEP_ERR_NO_MEMORY, "deep_mpi_forest_fit", "no memory for %lld bytes of trees",
                             (long long)*size);
    return deep_forest_save_buffer(forest, *bytes, *size, size);
}

/* Every rank's block, from the gathered files (rank r's sizes[r] bytes at offset[r]),
 * joined in rank order into forest (this rank's own block is the forest itself); then
 * the out-of-bag score, if the forest asks for one. */
static deep_status join(const deep_mpi *mpi, deep_forest *forest, const deep_dataset *train, const int *sizes,
                        const uint8_t *gathered, const int *offset)
{
    const deep_forest **parts = calloc((size_t)mpi->size, sizeof *parts);
    deep_forest **loaded = calloc((size_t)mpi->size, sizeof *loaded);
    deep_status s = parts && loaded ? DEEP_OK
                                    : deep_mpi_fail(DEEP_ERR_NO_MEMORY, "deep_mpi_forest_fit", "out of memory");
    int64_t count = 0;
    for (int r = 0; s == DEEP_OK && r < mpi->size; r++) {
        if (sizes[r] == 0)
            continue;
        if (r != mpi->rank)
            s = deep_forest_load_buffer(gathered + offset[r], sizes[r], &loaded[r]);
        parts[count++] = r == mpi->rank ? forest : loaded[r];
    }
    if (s == DEEP_OK)
        s = deep_forest_join(forest, parts, count);
    int64_t oob = 0;
    if (s == DEEP_OK)
        s = deep_forest_get_int(forest, DEEP_FOREST_OOB_SCORE, &oob);
    if (s == DEEP_OK && oob)
        s = deep_forest_compute_oob_score(forest, train);
    for (int r = 0; loaded && r < mpi->size; r++)
        deep_forest_free(loaded[r]);
    free(loaded);
    free(parts);
    return s;
}

/* The gather's layout from the agreed reports: sizes and offsets in bytes (ints, as
 * MPI_Allgatherv counts), or DEEP_ERR_UNSUPPORTED when the total passes INT_MAX — the
 * same answer on every rank, since all know every size. */
static deep_status layout(const deep_mpi *mpi, const struct report *all, int *sizes, int *offset, int64_t *total)
{
    *total = 0;
    for (int r = 0; r < mpi->size; r++) {
        uint64_t size = all[r].facts[FACT_BYTES];
        if (size > (uint64_t)(INT_MAX - *total))
            return DEEP_MPI_FAIL(DEEP_ERR_UNSUPPORTED, "the trees of ranks 0 to %d take more than %d bytes: one "
                                 "MPI_Allgatherv cannot gather them (grow fewer or smaller trees)", r, INT_MAX);
        sizes[r] = (int)size;
        offset[r] = (int)*total;
        *total += (int64_t)size;
    }
    return DEEP_OK;
}

deep_status deep_mpi_forest_fit(deep_mpi *mpi, deep_forest *forest, const deep_dataset *train)
{
    const char *func = __func__;
    if (mpi == NULL)
        return DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument 'mpi' is NULL");
    /* A few hundred bytes per rank; without them this rank cannot hear the others (they
     * will wait for it): the one failure that is not agreed. */
    struct report mine = {0}, *all = calloc((size_t)mpi->size, sizeof *all);
    int *sizes = calloc((size_t)mpi->size, sizeof *sizes), *offset = calloc((size_t)mpi->size, sizeof *offset);
    uint8_t *bytes = NULL, *gathered = NULL;
    if (all == NULL || sizes == NULL || offset == NULL) {
        free(all);
        free(sizes);
        free(offset);
        return DEEP_MPI_FAIL(DEEP_ERR_NO_MEMORY, "no memory for %d ranks' reports", mpi->size);
    }
    /* 1. Every rank fits the same settings on the same data, or says why it cannot. */
    if (forest == NULL || train == NULL)
        set_report(&mine, DEEP_MPI_FAIL(DEEP_ERR_NULL, "argument '%s' is NULL", forest ? "train" : "forest"));
    else
        set_report(&mine, describe(forest, train, &mine));
    deep_status s = agree(func, mpi, "checking its data and settings", &mine, all, FACT_BYTES);
    /* 2. Each rank grows its block of trees and tells the others its file's size. */
    int64_t total = 0;
    if (s == DEEP_OK) {
        int64_t trees = 0, first, count, size = 0;
        deep_status grown = deep_forest_get_int(forest, DEEP_FOREST_N_ESTIMATORS, &trees);
        block(trees, mpi->rank, mpi->size, &first, &count);
        if (grown == DEEP_OK)
            grown = grow(forest, train, first, count, &bytes, &size);
        mine = (struct report){0};
        mine.facts[FACT_BYTES] = (uint64_t)size;
        set_report(&mine, grown);
        s = agree(func, mpi, "growing its trees", &mine, all, 0);
        if (s == DEEP_OK)
            s = layout(mpi, all, sizes, offset, &total);
    }
    /* 3. Room for every rank's trees, agreed before the gather itself. */
    if (s == DEEP_OK) {
        gathered = malloc((size_t)(total > 0 ? total : 1));
        mine = (struct report){0};
        set_report(&mine, gathered ? DEEP_OK
                                   : DEEP_MPI_FAIL(DEEP_ERR_NO_MEMORY, "no memory to gather %lld bytes of trees",
                                                   (long long)total));
        s = agree(func, mpi, "making room for the trees", &mine, all, 0);
    }
    if (s == DEEP_OK) {
        int code = MPI_Allgatherv(bytes ? bytes : gathered, sizes[mpi->rank], MPI_BYTE, gathered, sizes, offset,
                                  MPI_BYTE, mpi->comm);
        s = code == MPI_SUCCESS ? DEEP_OK : deep_mpi_error(func, "MPI_Allgatherv of the trees", code);
    }
    /* 4. Every rank joins the blocks into the whole forest; a failure there is everyone's. */
    if (s == DEEP_OK) {
        mine = (struct report){0};
        set_report(&mine, join(mpi, forest, train, sizes, gathered, offset));
        s = agree(func, mpi, "joining the trees", &mine, all, 0);
    }
    free(bytes);
    free(gathered);
    free(sizes);
    free(offset);
    free(all);
    return s;
}
