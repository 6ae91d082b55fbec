/* Fuzz target: CSV tables through the public calls of the pandas workflow. The first
 * input byte is the length of the label column's name that follows (0: no labels); the
 * rest is the file. The typed loader runs on it too (see typed()). A table that loads is described, written back with
 * deep_dataset_write_csv and loaded again, which must give the same samples, labels and
 * names; then its missing values are filled (the copy) and dropped (the original). */
#include <math.h>
#include <stdint.h>

#include "fuzz_dataset.h"

static char out_dir[64], out_path[96];

static void remove_out_dir(void)
{
    unlink(out_path);
    rmdir(out_dir);
}

/* The features of d as a malloc'd array of *n floats. */
static float *features(const deep_dataset *d, int64_t *n)
{
    deep_tensor *x = NULL;
    fuzz_require(deep_dataset_features(d, &x) == DEEP_OK && deep_tensor_size(x, n) == DEEP_OK, "features");
    float *values = malloc((size_t)*n * sizeof *values + 1);
    fuzz_require(values != NULL && deep_tensor_copy_to(x, values, *n) == DEEP_OK, "deep_tensor_copy_to");
    deep_tensor_free(x);
    return values;
}

static void same_name(deep_status (*get)(const deep_dataset *, int64_t, char *, int64_t, int64_t *),
                      const deep_dataset *a, const deep_dataset *b, int64_t i)
{
    char x[512], y[512];
    int64_t nx = 0, ny = 0;
    deep_status sa = get(a, i, x, sizeof x, &nx), sb = get(b, i, y, sizeof y, &ny);
    fuzz_require(sa == sb && (sa != DEEP_OK || strcmp(x, y) == 0), "a name changed on the round trip");
}

static deep_status class_name(const deep_dataset *d, int64_t i, char *buf, int64_t capacity, int64_t *needed)
{
    return deep_dataset_class_name(d, (int32_t)i, buf, capacity, needed);
}

static void check_round_trip(const deep_dataset *a, const deep_dataset *b)
{
    int64_t na = 0, nb = 0;
    float *fa = features(a, &na), *fb = features(b, &nb);
    fuzz_require(na == nb, "the feature count changed on the round trip");
    for (int64_t i = 0; i < na; i++)
        fuzz_require(isnan(fa[i]) ? isnan(fb[i]) : fa[i] == fb[i], "a value changed on the round trip");
    free(fa);
    free(fb);
    int64_t count = 0, shape[2];
    int64_t rank;
    int32_t ca = 0, cb = 0;
    fuzz_require(deep_dataset_count(a, &count) == DEEP_OK && deep_dataset_sample_shape(a, shape, 2, &rank) == DEEP_OK,
                 "shape");
    for (int64_t j = 0; j < shape[0]; j++)
        same_name(deep_dataset_column_name, a, b, j);
    fuzz_require(deep_dataset_num_classes(a, &ca) == DEEP_OK && deep_dataset_num_classes(b, &cb) == DEEP_OK &&
                     ca == cb,
                 "the class count changed on the round trip");
    if (ca > 0) {
        int32_t *la = malloc((size_t)count * sizeof *la), *lb = malloc((size_t)count * sizeof *lb);
        fuzz_require(la && lb && deep_dataset_labels(a, la, count, &(int64_t){0}) == DEEP_OK &&
                         deep_dataset_labels(b, lb, count, &(int64_t){0}) == DEEP_OK,
                     "labels");
        fuzz_require(memcmp(la, lb, (size_t)count * sizeof *la) == 0, "a label changed on the round trip");
        free(la);
        free(lb);
        /* Names exist for string labels only; integer labels may be ids in the millions. */
        char name[8];
        for (int32_t c = 0; deep_dataset_class_name(a, 0, name, sizeof name, &(int64_t){0}) != DEEP_ERR_STATE && c < ca; c++)
            same_name(class_name, a, b, c);
    }
}

static void describe(const deep_dataset *d)
{
    int64_t needed = 0, columns, missing;
    int64_t rank;
    fuzz_require(deep_dataset_describe_text(d, NULL, 0, &needed) == DEEP_OK && needed >= 1, "describe_text size");
    char *text = malloc((size_t)needed);
    fuzz_require(text != NULL && deep_dataset_describe_text(d, text, needed, &needed) == DEEP_OK &&
                     strlen(text) + 1 == (size_t)needed,
                 "deep_dataset_describe_text");
    free(text);
    fuzz_require(deep_dataset_sample_shape(d, &columns, 1, &rank) == DEEP_OK && rank == 1, "a table has rank 1");
    for (int64_t j = 0; j < columns; j++) {
        for (int stat = DEEP_STAT_COUNT; stat <= DEEP_STAT_MAX; stat++) {
            double value;
            fuzz_require(deep_dataset_describe(d, j, (deep_column_stat)stat, &value) == DEEP_OK, "describe");
        }
    }
    fuzz_require(deep_dataset_missing_count(d, -1, &missing) == DEEP_OK && missing >= 0, "missing_count");
}

/* The typed loader (1.1) on the same file: it loads whatever the numeric loader loads, to
 * the same values without categories; a categorical column holds ids in range or NaN, and
 * encoding, value counts and a most-frequent imputer work on what it loads. */
static void typed(const char *path, const char *label, const deep_dataset *numeric)
{
    deep_dataset *t = (deep_dataset *)&t, *e = NULL;
    if (deep_dataset_load_csv_typed(path, label, &t) != DEEP_OK) {
        fuzz_require(numeric == NULL, "the typed loader refuses what load_csv loads");
        fuzz_check_failure(t, "deep_dataset_load_csv_typed");
        return;
    }
    fuzz_check_dataset(t);
    int64_t n = 0, columns = 0, rank = 0, count = 0, categories = 0, needed = 0;
    float *values = features(t, &n);
    fuzz_require(deep_dataset_count(t, &count) == DEEP_OK && deep_dataset_sample_shape(t, &columns, 1, &rank) == DEEP_OK,
                 "shape");
    for (int64_t j = 0; j < columns; j++) {
        fuzz_require(deep_dataset_category_count(t, j, &categories) == DEEP_OK, "category_count");
        fuzz_require(numeric == NULL || categories == 0, "a numeric table has categories");
        for (int64_t i = 0; categories > 0 && i < count; i++) {
            float v = values[i * columns + j];
            fuzz_require(isnan(v) || (v >= 0 && v < (float)categories && v == floorf(v)), "a category id is out of range");
        }
        deep_status s = deep_dataset_value_counts(t, j, NULL, 0, &needed, NULL, 0, &needed);
        fuzz_require(s == DEEP_OK, "value_counts");
    }
    if (numeric != NULL) {
        int64_t m = 0;
        float *want = features(numeric, &m);
        fuzz_require(m == n, "the typed loader gives another size");
        for (int64_t i = 0; i < n; i++)
            fuzz_require(isnan(want[i]) ? isnan(values[i]) : want[i] == values[i], "the typed loader gives other values");
        free(want);
    }
    free(values);
    for (int how = DEEP_ENCODE_ONE_HOT; how <= DEEP_ENCODE_ORDINAL; how++) {
        deep_status s = deep_dataset_encode(t, NULL, (deep_encoding)how, 0, &e);
        fuzz_require(s == DEEP_OK || s == DEEP_ERR_SHAPE || s == DEEP_ERR_OVERFLOW || s == DEEP_ERR_NO_MEMORY, "encode");
        deep_dataset_free(e);
        e = NULL;
    }
    deep_imputer *imp = NULL;
    fuzz_require(deep_imputer_new(DEEP_FILL_MOST_FREQUENT, 0.0, &imp) == DEEP_OK, "imputer_new");
    deep_status fitted = deep_imputer_fit(imp, t);
    fuzz_require(fitted == DEEP_OK || fitted == DEEP_ERR_NUMERIC, "imputer_fit");
    if (fitted == DEEP_OK) {
        fuzz_require(deep_imputer_transform(imp, t) == DEEP_OK, "imputer_transform");
        int64_t missing = -1;
        fuzz_require(deep_dataset_missing_count(t, -1, &missing) == DEEP_OK && missing == 0, "missing after impute");
    }
    deep_imputer_free(imp);
    deep_dataset_free(t);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1 || size - 1 < data[0])
        return 0;
    if (out_dir[0] == '\0') {
        fuzz_make_dir(out_dir, sizeof out_dir, "csv");
        snprintf(out_path, sizeof out_path, "%s/table.csv", out_dir);
        atexit(remove_out_dir);
    }
    char label[256];
    memcpy(label, data + 1, data[0]);
    label[data[0]] = '\0';
    const char *path = fuzz_file(0, data + 1 + data[0], size - 1 - data[0]);

    deep_clear_error();
    deep_dataset *d = (deep_dataset *)&d; /* must come back NULL on failure */
    if (deep_dataset_load_csv(path, data[0] ? label : NULL, &d) != DEEP_OK) {
        fuzz_check_failure(d, "deep_dataset_load_csv");
        typed(path, data[0] ? label : NULL, NULL);
        return 0;
    }
    typed(path, data[0] ? label : NULL, d);
    fuzz_check_dataset(d);
    describe(d);

    deep_status written = deep_dataset_write_csv(d, out_path);
    if (written == DEEP_OK) {
        /* The label column comes back under its loaded name, or "label". */
        int32_t classes = 0;
        fuzz_require(deep_dataset_num_classes(d, &classes) == DEEP_OK, "num_classes");
        deep_dataset *again = NULL;
        fuzz_require(deep_dataset_load_csv(out_path, classes > 0 ? (data[0] ? label : "label") : NULL, &again) ==
                         DEEP_OK,
                     "a written table does not load");
        check_round_trip(d, again);
        deep_status filled = deep_dataset_fill_missing(again, DEEP_FILL_MEDIAN, NULL);
        fuzz_require(filled == DEEP_OK || filled == DEEP_ERR_NUMERIC, "deep_dataset_fill_missing");
        int64_t missing = -1;
        fuzz_require(deep_dataset_missing_count(again, -1, &missing) == DEEP_OK && (filled != DEEP_OK || missing == 0),
                     "missing values left after a fill");
        deep_dataset_free(again);
    } else {
        fuzz_check_failure(NULL, "deep_dataset_write_csv");
    }
    deep_status dropped = deep_dataset_drop_missing(d);
    fuzz_require(dropped == DEEP_OK || dropped == DEEP_ERR_NUMERIC, "deep_dataset_drop_missing");
    if (dropped == DEEP_OK) {
        int64_t missing = -1;
        fuzz_require(deep_dataset_missing_count(d, -1, &missing) == DEEP_OK && missing == 0, "drop_missing left some");
    }
    deep_dataset_free(d);
    return 0;
}
