/* The dataset's layout, shared with the model (batches) and the tree learners. */
#ifndef DEEP_DATASET_INTERNAL_H
#define DEEP_DATASET_INTERNAL_H

#include "core/core.h"

struct deep_dataset {
    int64_t count;                        /* samples */
    int32_t sample_rank;
    int64_t sample_shape[DEEP_MAX_RANK];
    int64_t sample_size;                  /* features per sample: product of sample_shape */
    /* The features, count * sample_size row-major, as floats, or (bytes not NULL) as the
     * bytes of a byte file (IDX, CIFAR-10): feature i is bytes[i] * byte_scale + byte_shift,
     * a quarter of the memory. Batches convert bytes as they gather them; other readers
     * take deep_dataset_values (data/data.h), which converts them once into `features`;
     * calls that change the features convert them and drop the bytes. */
    float *features;                      /* NULL until needed when bytes hold the values */
    uint8_t *bytes;
    float byte_scale, byte_shift;
    int32_t *labels;                      /* count class ids in [0, num_classes), or NULL */
    int32_t num_classes;                  /* 0 without labels */
    float *targets;                       /* count * target_width, or NULL */
    int64_t target_width;                 /* 0 without targets */
    float *sample_weights;                /* count Keras sample weights (since 1.2), or NULL */
    /* Names from a CSV header, each array one block (see deep_names_copy), or NULL. */
    char **column_names;                  /* sample_size feature names */
    char **class_names;                   /* num_classes label names, when labels were strings;
                                             always distinct and in strcmp order (CSV loading
                                             sorts them, concat merges, use_classes copies) */
    char *label_name;                     /* the label column's name */
    /* Categorical (text) columns, since 1.1 (deep_dataset_load_csv_typed): NULL when every
     * column is numeric, else sample_size entries, NULL for a numeric column and for a
     * categorical one the block (deep_names_copy) of its category_counts[j] names, distinct
     * and in strcmp order. Such a column's values are category ids 0..count-1 (NaN: missing). */
    char ***categories;
    int64_t *category_counts;
};

#endif
