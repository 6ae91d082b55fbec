/* Helpers shared by the data module's files (and by the IDX fuzz target). Never installed. */
#ifndef DEEP_DATA_INTERNAL_H
#define DEEP_DATA_INTERNAL_H

#include "data/dataset.h"

/* A dataset of count samples of the given shape without labels or targets. It adopts
 * `features` (count * sample size floats) or, when that is NULL, allocates them without
 * initialising them; on failure the caller keeps `features`. Validates everything; errors
 * name `caller`. Samples have rank at most DEEP_MAX_SAMPLE_RANK so that a batch
 * (count, sample shape...) is a valid tensor. */
deep_status deep_dataset_create(const char *caller, int64_t count, int32_t sample_rank,
                                const int64_t *sample_shape, float *features, deep_dataset **out);

/* deep_dataset_create for byte storage (see dataset.h): adopts `bytes`, count * sample
 * size of them, or allocates them uninitialised when NULL; on failure the caller keeps
 * `bytes`. The values are the bytes themselves until deep_dataset_scale. */
deep_status deep_dataset_create_bytes(const char *caller, int64_t count, int32_t sample_rank,
                                      const int64_t *sample_shape, uint8_t *bytes, deep_dataset **out);

/* The features as floats for a call that only reads them. A byte-stored dataset converts
 * once into d->features and keeps both; concurrent readers may race to convert, the first
 * to finish wins and the others free their copy, so this is safe from many threads. */
deep_status deep_dataset_values(const char *caller, const deep_dataset *d, const float **values);

/* The features as floats for a call that changes them: converts byte storage and drops
 * the bytes. Like every call that modifies a dataset, not to run beside other calls on it. */
deep_status deep_dataset_values_mut(const char *caller, deep_dataset *d, float **values);

/* Samples [first, first + count) of d as floats into dst, from either storage. */
void deep_dataset_read_samples(const deep_dataset *d, int64_t first, int64_t count, float *dst);
/* Features [offset, offset + count) of one sample as floats into dst (one input of a
 * model with several). */
void deep_dataset_read_features(const deep_dataset *d, int64_t sample, int64_t offset, int64_t count, float *dst);

/* The value a stored byte stands for, after the dataset's scale and shift: the one
 * conversion every reader of byte storage uses, so that all see the same floats. */
static inline float deep_byte_value(uint8_t byte, float scale, float shift)
{
    return (float)byte * scale + shift;
}
/* n bytes converted so into dst. */
void deep_dataset_convert_bytes(const uint8_t *bytes, int64_t n, float scale, float shift, float *dst);

/* A new dataset of src's samples at indices[0..count-1], which the caller has checked to be
 * in range (count >= 1), with their labels and targets, stored as src stores them. */
deep_status deep_dataset_gather(const char *caller, const deep_dataset *src, const int64_t *indices,
                                int64_t count, deep_dataset **out);

/* deep_dataset_load_idx on files already read into memory (decompressed). labels may be
 * NULL for no labels. The names only appear in error messages. */
deep_status deep_idx_parse(const char *caller, const char *images_name, const unsigned char *images,
                           size_t images_len, const char *labels_name, const unsigned char *labels,
                           size_t labels_len, deep_dataset **out);

/* A copy of names[0..count-1] as one allocation (the pointer array, then the strings), so
 * that a single free() releases it; NULL for names NULL or out of memory. */
char **deep_names_copy(char *const *names, int64_t count);

/* qsort/bsearch order of class names (char * items): byte-wise, as scikit-learn's
 * LabelEncoder sorts them. */
int deep_compare_names(const void *a, const void *b);

/* Categorical columns (dataset.h). clear drops them all; set gives column `column` a copy
 * of names[0..count-1] (sorted, distinct), false when out of memory (d unchanged but for
 * possibly allocated empty arrays). */
void deep_categories_clear(deep_dataset *d);
bool deep_categories_set(deep_dataset *d, int64_t column, char *const *names, int64_t count);
bool deep_column_is_categorical(const deep_dataset *d, int64_t column);
bool deep_dataset_has_categories(const deep_dataset *d);
/* DEEP_ERR_STATE naming `caller` and d's first categorical column, for the calls that
 * compute with feature values; DEEP_OK when d has none. */
deep_status deep_refuse_categories(const char *caller, const deep_dataset *d);

/* A new table (rank-1 samples) of src's count samples and `columns` columns, its features
 * uninitialised, with src's labels, targets, class and label names, and a zeroed array of
 * `columns` column name pointers to fill with borrowed names; deep_table_finish_names then
 * replaces the array with an owned block of those names (on failure the caller frees the
 * array itself, with free, before deep_dataset_free). */
deep_status deep_table_build(const char *caller, const deep_dataset *src, int64_t columns, deep_dataset **out);
deep_status deep_table_finish_names(const char *caller, deep_dataset *d, char *const *names);

/* Gives dst copies of src's column, class, label and category names. */
deep_status deep_dataset_copy_names(const char *caller, deep_dataset *dst, const deep_dataset *src);

/* deep_dataset_load_csv (typed: deep_dataset_load_csv_typed) on text already in memory;
 * `name` (the path) only appears in error messages. */
deep_status deep_csv_parse(const char *caller, const char *name, const char *text, size_t len,
                           const char *label_column, bool typed, deep_dataset **out);

#endif
