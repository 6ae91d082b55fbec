/* The dataset's layout, shared with the model (batches) and the tree learners. */
#ifndef DEEP_DATASET_INTERNAL_H
#define DEEP_DATASET_INTERNAL_H

#include "core/core.h"

struct deep_dataset {
    int64_t count;                        /* samples */
    int32_t sample_rank;
    int64_t sample_shape[DEEP_MAX_RANK];
    int64_t sample_size;                  /* features per sample: product of sample_shape */
    float *features;                      /* count * sample_size, row-major */
    int32_t *labels;                      /* count class ids in [0, num_classes), or NULL */
    int32_t num_classes;                  /* 0 without labels */
    float *targets;                       /* count * target_width, or NULL */
    int64_t target_width;                 /* 0 without targets */
    /* Names from a CSV header, each array one block (see deep_names_copy), or NULL. */
    char **column_names;                  /* sample_size feature names */
    char **class_names;                   /* num_classes label names, when labels were strings */
    char *label_name;                     /* the label column's name */
};

#endif
