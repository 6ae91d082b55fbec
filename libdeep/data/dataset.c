/* The dataset handle: creation, labels and targets, queries, reshaping, batches, subsets. */
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "tensor/tensor.h"

/* A sample shape leaves room for the batch axis in front of it. */
static deep_status sample_shape_check(const char *caller, int32_t rank, const int64_t *shape,
                                      int64_t *size)
{
    if (rank < 1 || rank > DEEP_MAX_SAMPLE_RANK)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "sample rank %d is outside 1..%d (the batch axis makes it one more)",
                              (int)rank, DEEP_MAX_SAMPLE_RANK);
    return deep_shape_check(caller, rank, shape, size);
}

/* The dataset without its values, which take `element` bytes each; *total gets their count. */
static deep_status create_empty(const char *caller, int64_t count, int32_t sample_rank, const int64_t *sample_shape,
                                size_t element, int64_t *total, deep_dataset **out)
{
    *out = NULL;
    if (count < 1)
        return deep_error_set(DEEP_ERR_INVALID_ARGUMENT, caller,
                              "count is %lld; a dataset needs at least one sample", (long long)count);
    int64_t sample_size;
    DEEP_TRY(sample_shape_check(caller, sample_rank, sample_shape, &sample_size));
    if (!deep_mul_i64(count, sample_size, total) || (uint64_t)*total > SIZE_MAX / element)
        return deep_error_set(DEEP_ERR_OVERFLOW, caller,
                              "%lld samples of %lld features do not fit in memory", (long long)count,
                              (long long)sample_size);
    deep_dataset *d = calloc(1, sizeof *d);
    if (d == NULL)
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for a dataset");
    d->count = count;
    d->sample_rank = sample_rank;
    memcpy(d->sample_shape, sample_shape, (size_t)sample_rank * sizeof *sample_shape);
    d->sample_size = sample_size;
    *out = d;
    return DEEP_OK;
}

deep_status deep_dataset_create(const char *caller, int64_t count, int32_t sample_rank,
                                const int64_t *sample_shape, float *features, deep_dataset **out)
{
    int64_t total;
    DEEP_TRY(create_empty(caller, count, sample_rank, sample_shape, sizeof(float), &total, out));
    (*out)->features = features ? features : deep_alloc(total, sizeof(float));
    if ((*out)->features == NULL) {
        free(*out);
        *out = NULL;
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld features", (long long)total);
    }
    return DEEP_OK;
}

deep_status deep_dataset_create_bytes(const char *caller, int64_t count, int32_t sample_rank,
                                      const int64_t *sample_shape, uint8_t *bytes, deep_dataset **out)
{
    int64_t total;
    DEEP_TRY(create_empty(caller, count, sample_rank, sample_shape, 1, &total, out));
    (*out)->bytes = bytes ? bytes : deep_alloc(total, 1);
    (*out)->byte_scale = 1.0f;
    if ((*out)->bytes == NULL) {
        free(*out);
        *out = NULL;
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld features", (long long)total);
    }
    return DEEP_OK;
}

deep_status deep_dataset_new(int64_t count, int32_t sample_rank, const int64_t *sample_shape,
                             const float *features, deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(features);
    DEEP_TRY(deep_dataset_create(__func__, count, sample_rank, sample_shape, NULL, out));
    memcpy((*out)->features, features, (size_t)(count * (*out)->sample_size) * sizeof(float));
    return DEEP_OK;
}

void deep_dataset_free(deep_dataset *dataset)
{
    if (dataset == NULL)
        return;
    free(dataset->features);
    free(dataset->bytes);
    free(dataset->labels);
    free(dataset->targets);
    free(dataset->sample_weights);
    free(dataset->column_names);
    free(dataset->class_names);
    free(dataset->label_name);
    deep_categories_clear(dataset);
    free(dataset);
}

char **deep_names_copy(char *const *names, int64_t count)
{
    if (names == NULL)
        return NULL;
    size_t text = 0;
    for (int64_t i = 0; i < count; i++)
        text += strlen(names[i]) + 1;
    int64_t pointers;
    if (!deep_mul_i64(count, (int64_t)sizeof(char *), &pointers) || text > SIZE_MAX - (size_t)pointers)
        return NULL;
    char **copy = malloc((size_t)pointers + text);
    if (copy == NULL)
        return NULL;
    char *at = (char *)(copy + count);
    for (int64_t i = 0; i < count; i++) {
        size_t n = strlen(names[i]) + 1;
        copy[i] = memcpy(at, names[i], n);
        at += n;
    }
    return copy;
}

void deep_categories_clear(deep_dataset *d)
{
    for (int64_t j = 0; d->categories && j < d->sample_size; j++)
        free(d->categories[j]);
    free(d->categories);
    free(d->category_counts);
    d->categories = NULL;
    d->category_counts = NULL;
}

bool deep_categories_set(deep_dataset *d, int64_t column, char *const *names, int64_t count)
{
    if (d->categories == NULL) {
        d->categories = deep_alloc_zero(d->sample_size, sizeof *d->categories);
        d->category_counts = deep_alloc_zero(d->sample_size, sizeof *d->category_counts);
        if (d->categories == NULL || d->category_counts == NULL) {
            free(d->categories);
            free(d->category_counts);
            d->categories = NULL;
            d->category_counts = NULL;
            return false;
        }
    }
    char **copy = deep_names_copy(names, count);
    if (copy == NULL)
        return false;
    free(d->categories[column]);
    d->categories[column] = copy;
    d->category_counts[column] = count;
    return true;
}

bool deep_column_is_categorical(const deep_dataset *d, int64_t column)
{
    return d->categories != NULL && d->categories[column] != NULL;
}

bool deep_dataset_has_categories(const deep_dataset *d)
{
    for (int64_t j = 0; d->categories && j < d->sample_size; j++)
        if (d->categories[j])
            return true;
    return false;
}

deep_status deep_refuse_categories(const char *caller, const deep_dataset *d)
{
    for (int64_t j = 0; d->categories && j < d->sample_size; j++)
        if (d->categories[j])
            return deep_error_set(DEEP_ERR_STATE, caller, "column %lld (%s) holds text categories; encode them first "
                                  "(deep_dataset_encode)", (long long)j, d->column_names ? d->column_names[j] : "?");
    return DEEP_OK;
}

deep_status deep_dataset_copy_names(const char *caller, deep_dataset *dst, const deep_dataset *src)
{
    deep_categories_clear(dst);
    for (int64_t j = 0; deep_dataset_has_categories(src) && j < src->sample_size; j++)
        if (src->categories[j] && !deep_categories_set(dst, j, src->categories[j], src->category_counts[j])) {
            deep_categories_clear(dst);
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the category names");
        }
    char **columns = deep_names_copy(src->column_names, src->sample_size);
    char **classes = deep_names_copy(src->class_names, src->num_classes);
    char *label = src->label_name ? strdup(src->label_name) : NULL;
    if ((src->column_names && !columns) || (src->class_names && !classes) || (src->label_name && !label)) {
        free(columns);
        free(classes);
        free(label);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the column names");
    }
    free(dst->column_names);
    free(dst->class_names);
    free(dst->label_name);
    dst->column_names = columns;
    dst->class_names = classes;
    dst->label_name = label;
    return DEEP_OK;
}

deep_status deep_dataset_set_labels(deep_dataset *dataset, const int32_t *labels, int64_t count,
                                    int32_t num_classes)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(labels);
    if (count != dataset->count)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%lld labels given for %lld samples", (long long)count,
                         (long long)dataset->count);
    if (num_classes < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "num_classes is %d; it must be >= 0 (0 = infer)",
                         (int)num_classes);
    int32_t largest = 0;
    for (int64_t i = 0; i < count; i++) {
        if (labels[i] < 0)
            return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "label %d at position %lld is negative",
                             (int)labels[i], (long long)i);
        if (num_classes > 0 && labels[i] >= num_classes)
            return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "label %d at position %lld is not below num_classes %d",
                             (int)labels[i], (long long)i, (int)num_classes);
        if (labels[i] > largest)
            largest = labels[i];
    }
    /* Inferred, the count is the largest label plus one, which must still be an int32_t. */
    if (num_classes == 0 && largest == INT32_MAX)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "label %d leaves no room for the class count (num_classes 0 "
                         "infers the largest label plus one; labels must be below %d)", (int)largest,
                         (int)INT32_MAX);
    int32_t *copy = deep_alloc(count, sizeof *copy);
    if (copy == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld labels", (long long)count);
    memcpy(copy, labels, (size_t)count * sizeof *copy);
    free(dataset->labels);
    dataset->labels = copy;
    free(dataset->class_names); /* they named the old labels */
    dataset->class_names = NULL;
    dataset->num_classes = num_classes > 0 ? num_classes : largest + 1;
    return DEEP_OK;
}

deep_status deep_dataset_set_targets(deep_dataset *dataset, const float *targets, int64_t count,
                                     int64_t width)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(targets);
    if (count != dataset->count)
        return DEEP_FAIL(DEEP_ERR_SHAPE, "%lld target rows given for %lld samples", (long long)count,
                         (long long)dataset->count);
    if (width < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "width is %lld; it must be at least 1",
                         (long long)width);
    int64_t total;
    float *copy = deep_mul_i64(count, width, &total) ? deep_alloc(total, sizeof *copy) : NULL;
    if (copy == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld rows of %lld targets",
                         (long long)count, (long long)width);
    memcpy(copy, targets, (size_t)total * sizeof *copy);
    free(dataset->targets);
    dataset->targets = copy;
    dataset->target_width = width;
    return DEEP_OK;
}

deep_status deep_dataset_count(const deep_dataset *dataset, int64_t *count)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(count);
    *count = dataset->count;
    return DEEP_OK;
}

deep_status deep_dataset_sample_shape(const deep_dataset *dataset, int64_t *shape, int64_t capacity,
                                      int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, shape, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(dataset);
    return deep_output_copy(__func__, "the sample shape", shape, capacity, needed, dataset->sample_shape,
                            dataset->sample_rank, sizeof *shape);
}

deep_status deep_dataset_reshape(deep_dataset *dataset, int32_t sample_rank, const int64_t *sample_shape)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(sample_shape);
    int64_t size;
    DEEP_TRY(sample_shape_check(__func__, sample_rank, sample_shape, &size));
    if (size != dataset->sample_size) {
        char old_s[128], new_s[128];
        return DEEP_FAIL(DEEP_ERR_SHAPE, "samples of shape %s (%lld features) cannot take shape %s (%lld)",
                         deep_shape_format(old_s, sizeof old_s, dataset->sample_rank, dataset->sample_shape),
                         (long long)dataset->sample_size,
                         deep_shape_format(new_s, sizeof new_s, sample_rank, sample_shape),
                         (long long)size);
    }
    dataset->sample_rank = sample_rank;
    memcpy(dataset->sample_shape, sample_shape, (size_t)sample_rank * sizeof *sample_shape);
    return DEEP_OK;
}

deep_status deep_dataset_num_classes(const deep_dataset *dataset, int32_t *num_classes)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(num_classes);
    *num_classes = dataset->num_classes;
    return DEEP_OK;
}

deep_status deep_dataset_labels(const deep_dataset *dataset, int32_t *labels, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, labels, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(dataset);
    if (dataset->labels == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "the dataset has no labels");
    return deep_output_copy(__func__, "the labels", labels, capacity, needed, dataset->labels, dataset->count,
                            sizeof *labels);
}

deep_status deep_dataset_target_width(const deep_dataset *dataset, int64_t *width)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(width);
    *width = dataset->target_width;
    return DEEP_OK;
}

/* A new tensor (count, sample shape...) holding samples [start, start + count). */
static deep_status features_tensor(const char *caller, const deep_dataset *d, int64_t start, int64_t count,
                                   deep_tensor **out)
{
    int64_t shape[DEEP_MAX_RANK];
    shape[0] = count;
    memcpy(shape + 1, d->sample_shape, (size_t)d->sample_rank * sizeof *shape);
    DEEP_TRY(deep_tensor_create(caller, d->sample_rank + 1, shape, false, out));
    deep_dataset_read_samples(d, start, count, (*out)->data);
    return DEEP_OK;
}

/* One-hot rows of labels[0..count-1] into out, which holds count * num_classes floats. */
static void one_hot(const int32_t *labels, int64_t count, int32_t num_classes, float *out)
{
    memset(out, 0, (size_t)count * (size_t)num_classes * sizeof *out);
    for (int64_t i = 0; i < count; i++)
        out[i * num_classes + labels[i]] = 1.0f;
}

deep_status deep_dataset_features(const deep_dataset *dataset, deep_tensor **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(dataset);
    return features_tensor(__func__, dataset, 0, dataset->count, out);
}

deep_status deep_dataset_batch(const deep_dataset *dataset, int64_t start, int64_t count,
                               deep_tensor **features, deep_tensor **targets)
{
    DEEP_REQUIRE(features);
    *features = NULL;
    if (targets != NULL)
        *targets = NULL;
    DEEP_REQUIRE(dataset);
    if (start < 0 || count < 1 || start > dataset->count || count > dataset->count - start)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "a batch of %lld samples from sample %lld does not fit in %lld samples",
                         (long long)count, (long long)start, (long long)dataset->count);
    if (targets != NULL && dataset->targets == NULL && dataset->labels == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "targets requested but the dataset has neither targets nor labels");
    DEEP_TRY(features_tensor(__func__, dataset, start, count, features));
    if (targets == NULL)
        return DEEP_OK;
    int64_t width = dataset->targets ? dataset->target_width : dataset->num_classes;
    deep_status s = deep_tensor_create(__func__, 2, (int64_t[]){count, width}, false, targets);
    if (s != DEEP_OK) {
        deep_tensor_free(*features);
        *features = NULL;
        return s;
    }
    if (dataset->targets)
        memcpy((*targets)->data, dataset->targets + start * width, (size_t)(count * width) * sizeof(float));
    else
        one_hot(dataset->labels + start, count, dataset->num_classes, (*targets)->data);
    return DEEP_OK;
}

deep_status deep_dataset_to_categorical(deep_dataset *dataset)
{
    DEEP_REQUIRE(dataset);
    if (dataset->labels == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "the dataset has no labels to encode");
    int64_t total;
    float *rows = deep_mul_i64(dataset->count, dataset->num_classes, &total)
                      ? deep_alloc(total, sizeof *rows) : NULL;
    if (rows == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld one-hot rows of %d classes",
                         (long long)dataset->count, (int)dataset->num_classes);
    one_hot(dataset->labels, dataset->count, dataset->num_classes, rows);
    free(dataset->targets);
    dataset->targets = rows;
    dataset->target_width = dataset->num_classes;
    return DEEP_OK;
}

deep_status deep_dataset_gather(const char *caller, const deep_dataset *src, const int64_t *indices,
                                int64_t count, deep_dataset **out)
{
    deep_dataset *d;
    if (src->bytes != NULL)
        DEEP_TRY(deep_dataset_create_bytes(caller, count, src->sample_rank, src->sample_shape, NULL, &d));
    else
        DEEP_TRY(deep_dataset_create(caller, count, src->sample_rank, src->sample_shape, NULL, &d));
    if (src->labels)
        d->labels = deep_alloc(count, sizeof *d->labels);
    int64_t target_total;
    if (src->targets && deep_mul_i64(count, src->target_width, &target_total))
        d->targets = deep_alloc(target_total, sizeof *d->targets);
    if (src->sample_weights)
        d->sample_weights = deep_alloc(count, sizeof *d->sample_weights);
    if ((src->labels && !d->labels) || (src->targets && !d->targets) || (src->sample_weights && !d->sample_weights)) {
        deep_dataset_free(d);
        return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for %lld samples",
                              (long long)count);
    }
    deep_status status = deep_dataset_copy_names(caller, d, src);
    if (status != DEEP_OK) {
        deep_dataset_free(d);
        return status;
    }
    d->num_classes = src->num_classes;
    d->target_width = src->target_width;
    d->byte_scale = src->byte_scale;
    d->byte_shift = src->byte_shift;
    int64_t m = src->sample_size;
    size_t target_row = (size_t)src->target_width * sizeof(float);
    for (int64_t i = 0; i < count; i++) {
        int64_t j = indices[i];
        if (d->bytes)
            memcpy(d->bytes + i * m, src->bytes + j * m, (size_t)m);
        else
            deep_dataset_read_samples(src, j, 1, d->features + i * m);
        if (d->labels)
            d->labels[i] = src->labels[j];
        if (d->sample_weights)
            d->sample_weights[i] = src->sample_weights[j];
        if (d->targets)
            memcpy(d->targets + i * d->target_width, src->targets + j * src->target_width, target_row);
    }
    *out = d;
    return DEEP_OK;
}

deep_status deep_dataset_subset(const deep_dataset *dataset, const int64_t *indices, int64_t count,
                                deep_dataset **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(indices);
    if (count < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "count is %lld; a subset needs at least one sample",
                         (long long)count);
    for (int64_t i = 0; i < count; i++)
        if (indices[i] < 0 || indices[i] >= dataset->count)
            return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "index %lld at position %lld is outside 0..%lld",
                             (long long)indices[i], (long long)i, (long long)dataset->count - 1);
    return deep_dataset_gather(__func__, dataset, indices, count, out);
}
