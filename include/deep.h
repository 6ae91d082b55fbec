/*
 * deep.h — the public interface of libdeep, deep learning and tree learning in C.
 *
 * One header, plain C99, usable from C++ and from FFI generators. Everything the library
 * exports is named deep_* or DEEP_*. Objects are opaque handles; every call that can fail
 * returns a deep_status and, on failure, leaves a message for deep_last_error().
 *
 * Ownership: every deep_*_new / deep_*_load has exactly one deep_*_free, which accepts NULL.
 * The library never hands the caller memory to free: variable-size results go into the
 * caller's buffers (below). It never aborts, exits or prints on its own; logs go to a
 * callback you install.
 *
 * Conventions — one rule per question, followed by every function below:
 *
 * 1. Variable-size output into a caller's buffer (text, shapes, label and index arrays,
 *    scores, a model file): the parameters are (T *buffer, int64_t capacity,
 *    int64_t *needed). `needed` is required and receives the full size of the result in
 *    entries of T (for text: bytes including the terminating NUL). capacity 0 is the size
 *    query: DEEP_OK, buffer may be NULL and nothing is written (nor computed, where the
 *    size is known beforehand: evaluate and cross-validation do not run). A non-zero
 *    capacity below *needed is DEEP_ERR_BUFFER_TOO_SMALL and the buffer is left untouched,
 *    never partly written; a negative capacity is DEEP_ERR_INVALID_ARGUMENT, a NULL buffer
 *    with a non-zero capacity (or a NULL needed) DEEP_ERR_NULL. *needed is set on DEEP_OK
 *    and on DEEP_ERR_BUFFER_TOO_SMALL, and is 0 after any other failure (so a failed call
 *    never reads as a size). A function with two outputs
 *    (deep_kfold_indices) takes one triple per output and is a size query when every
 *    capacity is 0; otherwise every buffer must be large enough.
 * 2. Output whose size the caller fixed itself keeps the "exact count" rule, without
 *    `needed`: deep_tensor_copy_to (count == the tensor's element count, from
 *    deep_tensor_size), deep_metric_confusion_matrix and deep_metric_precision_recall_f1
 *    (num_classes * num_classes and num_classes entries, from the caller's num_classes).
 *    Fixed-size outputs are plain out-parameters.
 * 3. Types: double for every hyperparameter, setting and scalar statistic (setters and
 *    getters of options, learning rates, scale factors, fill ranges and distributions,
 *    fractions); float only for data values (tensor elements, dataset features and
 *    targets, a fill value, a node's threshold in feature units). int64_t for every count,
 *    size, length, capacity, epoch and batch size. int32_t only for ranks, axes, indexes of
 *    layers and of a layer's weights, class and token ids (and the counts of those: a
 *    model's layer count, a dataset's class count), 0/1 flags and version numbers. Enums
 *    for closed sets of choices; uint64_t for seeds.
 * 4. Options: every enum-keyed setter has the matching getter (deep_<object>_get_int,
 *    _get_float, _get_string), and so do the seed, the log and the callbacks. Setting an
 *    option with the setter of another kind, or getting it with the getter of another
 *    kind, is DEEP_ERR_INVALID_ARGUMENT.
 * 5. Versions: everything in this header exists since 1.0 unless its comment says
 *    "since 1.x". There is no experimental tier: what is not ready stays out of the
 *    installed header. A function on its way out is marked DEEP_DEPRECATED("use ...") for
 *    at least one minor version before the next major version removes it.
 */
#ifndef DEEP_H
#define DEEP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DEEP_API marks the exported functions; everything else in the library is hidden. */
#if defined(DEEP_BUILDING_LIBRARY) && !defined(DEEP_STATIC) && defined(__GNUC__)
#define DEEP_API __attribute__((visibility("default")))
#else
#define DEEP_API
#endif

/* DEEP_DEPRECATED(msg) marks a declaration that a later major version removes; GCC and
 * Clang then warn at each use with msg (what to use instead). Empty for other compilers.
 * It is written first in the declaration, before DEEP_API and the return type. */
#if defined(__GNUC__) || defined(__clang__)
#define DEEP_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define DEEP_DEPRECATED(msg)
#endif

/* ===================================================================================== */
/* Versions: the header's version, and the version of the library actually loaded.       */
/* ===================================================================================== */

#define DEEP_VERSION_MAJOR 1
#define DEEP_VERSION_MINOR 3
#define DEEP_VERSION_PATCH 0
#define DEEP_VERSION_NUMBER (DEEP_VERSION_MAJOR * 10000 + DEEP_VERSION_MINOR * 100 + DEEP_VERSION_PATCH)

/* "MAJOR.MINOR.PATCH" of the loaded library; a static string, never freed. */
DEEP_API const char *deep_version_string(void);
/* DEEP_VERSION_NUMBER of the loaded library, to compare with the header's at run time. */
DEEP_API int32_t deep_version_number(void);

/* ===================================================================================== */
/* Status codes and errors.                                                               */
/* Values are explicit and append-only: a code is never renumbered nor reused.            */
/* ===================================================================================== */

typedef enum deep_status {
    DEEP_OK = 0,
    DEEP_ERR_NULL = -1,             /* a required handle or pointer was NULL */
    DEEP_ERR_INVALID_ARGUMENT = -2, /* an argument is outside its allowed values */
    DEEP_ERR_SHAPE = -3,            /* shapes or sizes do not fit together */
    DEEP_ERR_OUT_OF_RANGE = -4,     /* an index, axis or label is out of range */
    DEEP_ERR_NO_MEMORY = -5,        /* an allocation failed */
    DEEP_ERR_OVERFLOW = -6,         /* a size or element count does not fit in 64 bits, or exceeds a
                                       documented limit (DEEP_MAX_LAYER_SIZE) */
    DEEP_ERR_STATE = -7,            /* calls in the wrong order (e.g. fit before compile) */
    DEEP_ERR_IO = -8,               /* a file could not be opened, read or written */
    DEEP_ERR_FORMAT = -9,           /* a file or buffer is corrupt, truncated or unsupported */
    DEEP_ERR_NUMERIC = -10,         /* NaN or infinity where a finite number is needed */
    DEEP_ERR_UNSUPPORTED = -11,     /* valid request the library does not implement */
    DEEP_ERR_THREAD = -12,          /* a thread could not be started, or a handle is busy */
    DEEP_ERR_BUFFER_TOO_SMALL = -13 /* a caller's buffer is smaller than the result */
} deep_status;

/* A short constant name for a status, e.g. "DEEP_ERR_SHAPE". Never NULL. */
DEEP_API const char *deep_status_string(deep_status status);

/* The message of the last failed call made by this thread, naming the function and what
 * was wrong, e.g. "deep_tensor_reshape: 12 elements cannot take shape (5, 2)".
 * Empty string when nothing failed yet. Valid until the next libdeep call on this thread. */
DEEP_API const char *deep_last_error(void);

/* Forgets this thread's last error message. */
DEEP_API void deep_clear_error(void);

/* Records "function: message" as this thread's last error (deep_last_error) and returns
 * status, so that a companion library built on libdeep (libdeep-mpi) or a caller's
 * callback can report a failure through libdeep's own channel (since 1.2). function NULL
 * records the message alone; message NULL is an empty reason; a long message is cut to
 * what the error buffer holds. */
DEEP_API deep_status deep_set_last_error(deep_status status, const char *function, const char *message);

/* ===================================================================================== */
/* Logging and progress. The library prints nothing itself: handles that report (models, */
/* forests) take a callback. deep_log_console is a ready-made callback for programs.      */
/* ===================================================================================== */

typedef enum deep_log_level {
    DEEP_LOG_DEBUG = 0,
    DEEP_LOG_INFO = 1,
    DEEP_LOG_WARNING = 2,
    DEEP_LOG_ERROR = 3
} deep_log_level;

/* message is one line without its newline, valid only during the call. */
typedef void (*deep_log_fn)(void *user, deep_log_level level, const char *message);

/* Writes INFO and DEBUG lines to standard output and WARNING and ERROR lines to standard
 * error, each followed by a newline (stdio buffers are flushed first so the order holds).
 * user is ignored. Only called when a caller installs it. */
DEEP_API void deep_log_console(void *user, deep_log_level level, const char *message);

/* ===================================================================================== */
/* Threads. Thread counts are settings of the handles that do parallel work; 0 means     */
/* "one per available core". This tells how many cores the process may use.               */
/* ===================================================================================== */

DEEP_API int64_t deep_cpu_count(void);

/* ===================================================================================== */
/* Random generator: a seedable stream (xoshiro256**) owned by whoever holds it. There is */
/* no global generator; models and forests carry their own and take a seed.              */
/* A generator must not be used from two threads at once.                                 */
/* ===================================================================================== */

typedef struct deep_rng deep_rng;

DEEP_API deep_status deep_rng_new(uint64_t seed, deep_rng **out);
DEEP_API void deep_rng_free(deep_rng *rng);
/* Restarts the stream: the same seed always gives the same sequence. */
DEEP_API deep_status deep_rng_seed(deep_rng *rng, uint64_t seed);
/* Next 64 random bits. */
DEEP_API deep_status deep_rng_next(deep_rng *rng, uint64_t *out);
/* Uniform float in [0, 1). */
DEEP_API deep_status deep_rng_uniform(deep_rng *rng, float *out);

/* ===================================================================================== */
/* Tensors: dense float32 arrays of rank 1 to DEEP_MAX_RANK, row-major (C order).         */
/* Shapes are int64_t arrays of `rank` positive dimensions. A tensor owns its data.       */
/* ===================================================================================== */

#define DEEP_MAX_RANK 8
/* The rank of one sample (a model's input, each layer's output, a dataset's samples): one
 * less than DEEP_MAX_RANK, so that a batch of samples is a tensor. deep_model_new, the
 * layers and deep_model_load all apply this one rule, so a model that can be built can be
 * saved, loaded and run. */
#define DEEP_MAX_SAMPLE_RANK 7
/* The largest size a model accepts, 2^31 - 1 (what CBLAS' int indexes): every size argument
 * of a layer (units, filters, strides, input_dim, output_dim, input_length), every
 * dimension and the element count of a sample (the model's input, each layer's output), a
 * layer's working memory per sample, and the element count of each weight tensor. A larger
 * argument is DEEP_ERR_INVALID_ARGUMENT, a larger computed size DEEP_ERR_OVERFLOW, when the
 * layer is added or the model created (and DEEP_ERR_FORMAT from deep_model_load), with a
 * message naming the layer and the field; sizes are never wrapped around. */
#define DEEP_MAX_LAYER_SIZE 2147483647

typedef struct deep_tensor deep_tensor;

/* A new tensor of the given shape filled with zeros. */
DEEP_API deep_status deep_tensor_new(int32_t rank, const int64_t *shape, deep_tensor **out);
/* A new tensor of the given shape with every element equal to value. */
DEEP_API deep_status deep_tensor_new_filled(int32_t rank, const int64_t *shape, float value,
                                            deep_tensor **out);
/* A new tensor holding a copy of data; count must equal the number of elements of shape. */
DEEP_API deep_status deep_tensor_new_from(int32_t rank, const int64_t *shape, const float *data,
                                          int64_t count, deep_tensor **out);
/* A deep copy of src. */
DEEP_API deep_status deep_tensor_clone(const deep_tensor *src, deep_tensor **out);
DEEP_API void deep_tensor_free(deep_tensor *tensor);

DEEP_API deep_status deep_tensor_rank(const deep_tensor *tensor, int32_t *rank);
/* The shape, rank entries (buffer contract; DEEP_MAX_RANK entries always suffice). */
DEEP_API deep_status deep_tensor_shape(const deep_tensor *tensor, int64_t *shape, int64_t capacity,
                                       int64_t *needed);
/* The size of one axis; negative axes count from the end as in NumPy. */
DEEP_API deep_status deep_tensor_dim(const deep_tensor *tensor, int32_t axis, int64_t *dim);
/* The number of elements. */
DEEP_API deep_status deep_tensor_size(const deep_tensor *tensor, int64_t *size);

/* Element access by a full index of `rank` coordinates. */
DEEP_API deep_status deep_tensor_get(const deep_tensor *tensor, const int64_t *index, int32_t rank,
                                     float *value);
DEEP_API deep_status deep_tensor_set(deep_tensor *tensor, const int64_t *index, int32_t rank,
                                     float value);

/* Direct access to the row-major element buffer. The pointer stays valid until the tensor
 * is freed: reshape never moves the data. Do not write through it while another thread
 * reads the tensor. */
DEEP_API deep_status deep_tensor_data(const deep_tensor *tensor, const float **data);
DEEP_API deep_status deep_tensor_data_mut(deep_tensor *tensor, float **data);
/* Copies all elements into / out of a caller's buffer of exactly count floats. */
DEEP_API deep_status deep_tensor_copy_to(const deep_tensor *tensor, float *buffer, int64_t count);
DEEP_API deep_status deep_tensor_copy_from(deep_tensor *tensor, const float *buffer, int64_t count);

/* Gives the tensor a new shape with the same number of elements. At most one dimension may
 * be -1, which is inferred. On failure the tensor keeps its old shape. */
DEEP_API deep_status deep_tensor_reshape(deep_tensor *tensor, int32_t rank, const int64_t *shape);

/* Sets every element to value. */
DEEP_API deep_status deep_tensor_fill(deep_tensor *tensor, float value);
/* x = x * scale + shift for every element, e.g. scale = 1/255 to bring pixels to [0, 1]. */
DEEP_API deep_status deep_tensor_scale_shift(deep_tensor *tensor, double scale, double shift);
/* Fills with uniform values in [low, high) drawn from rng. */
DEEP_API deep_status deep_tensor_fill_uniform(deep_tensor *tensor, deep_rng *rng, double low,
                                              double high);
/* Fills with normal values of the given mean and standard deviation drawn from rng. */
DEEP_API deep_status deep_tensor_fill_normal(deep_tensor *tensor, deep_rng *rng, double mean,
                                             double stddev);
/* Sum of all elements, accumulated in double precision. */
DEEP_API deep_status deep_tensor_sum(const deep_tensor *tensor, double *sum);
/* Index of the largest element along the last axis, for each of the size/last_dim rows
 * (e.g. the predicted class of each sample), one entry per row (buffer contract); ties go
 * to the first index. */
DEEP_API deep_status deep_tensor_argmax(const deep_tensor *tensor, int64_t *indices, int64_t capacity,
                                        int64_t *needed);

/* ===================================================================================== */
/* Datasets: samples held as one contiguous float buffer of features, each sample of the  */
/* same shape (e.g. (28, 28, 1) or (784,)), plus either integer class labels or float    */
/* targets (or both, after deep_dataset_to_categorical). A dataset owns its buffers.      */
/* ===================================================================================== */

typedef struct deep_dataset deep_dataset;

/* A dataset of `count` >= 1 samples of shape sample_shape[0..sample_rank-1] (rank 1 to
 * DEEP_MAX_SAMPLE_RANK, so that a batch is a tensor), copying features
 * (count * product(sample_shape) floats). It has no labels yet. */
DEEP_API deep_status deep_dataset_new(int64_t count, int32_t sample_rank, const int64_t *sample_shape,
                                      const float *features, deep_dataset **out);
DEEP_API void deep_dataset_free(deep_dataset *dataset);

/* Loads an IDX image file (the MNIST / Fashion-MNIST format, plain or .gz by content) and,
 * unless labels_path is NULL, its IDX label file. Features read as the raw byte values
 * 0..255 as floats; each sample keeps the file's shape (e.g. (28, 28)). The dataset keeps
 * the bytes (a quarter of the memory of floats: 47 MB for Fashion-MNIST's training set)
 * together with the factor and offset of a first deep_dataset_scale; batches convert
 * them as they are gathered, and trees and forests fit on them directly. A later change of
 * the features (another scale, standardize) converts them to floats once. Every header field is validated; truncated, oversized or
 * inconsistent files are DEEP_ERR_FORMAT. Files are read no further than their headers
 * declare, and a .gz declaring more than its compressed bytes can hold is DEEP_ERR_FORMAT
 * before its values are read. Only regular files are read: a device (/dev/zero), pipe or
 * directory is DEEP_ERR_IO, as for every dataset loader. */
DEEP_API deep_status deep_dataset_load_idx(const char *images_path, const char *labels_path,
                                           deep_dataset **out);

/* Integer class labels in [0, num_classes), one per sample. num_classes 0 means
 * "the largest label plus one" (so labels must then be below INT32_MAX; a label of
 * INT32_MAX is DEEP_ERR_OUT_OF_RANGE). Replaces any previous labels (and drops class names,
 * which named the old ones); targets are kept, so call
 * deep_dataset_to_categorical again if they were the one-hot rows of the old labels. */
DEEP_API deep_status deep_dataset_set_labels(deep_dataset *dataset, const int32_t *labels, int64_t count,
                                             int32_t num_classes);
/* Float targets, `width` per sample (regression, or one-hot rows). Replaces previous targets. */
DEEP_API deep_status deep_dataset_set_targets(deep_dataset *dataset, const float *targets, int64_t count,
                                              int64_t width);
/* Keras' sample_weight (since 1.2): one weight per sample, finite and >= 0 (count must be
 * the sample count; DEEP_ERR_SHAPE, DEEP_ERR_INVALID_ARGUMENT naming the first bad one);
 * NULL with count 0 removes them. fit and evaluate multiply each sample's loss by its weight
 * and divide the batch's sum by the batch size, as Keras (2 and 3) does; the metrics are not
 * weighted (Keras' `metrics`, not `weighted_metrics`). The weights follow their samples
 * through shuffle, split, subset, concat (both datasets or neither must have them), merge
 * (the left rows'), column selection and encoding. */
DEEP_API deep_status deep_dataset_set_sample_weights(deep_dataset *dataset, const float *weights, int64_t count);
/* The sample weights (buffer contract: count entries); DEEP_ERR_STATE when there are none.
 * Since 1.2. */
DEEP_API deep_status deep_dataset_sample_weights(const deep_dataset *dataset, float *weights, int64_t capacity,
                                                 int64_t *needed);

DEEP_API deep_status deep_dataset_count(const deep_dataset *dataset, int64_t *count);
/* The shape of one sample: *needed receives its rank (buffer contract; DEEP_MAX_RANK
 * entries always suffice). */
DEEP_API deep_status deep_dataset_sample_shape(const deep_dataset *dataset, int64_t *shape, int64_t capacity,
                                               int64_t *needed);
/* Gives every sample a new shape with the same number of features, e.g. (28, 28) to
 * (28, 28, 1) for a Conv2D input or to (784,) for a Dense one. All dimensions are explicit
 * (no -1). */
DEEP_API deep_status deep_dataset_reshape(deep_dataset *dataset, int32_t sample_rank, const int64_t *sample_shape);
/* Number of classes (0 when the dataset has no labels). */
DEEP_API deep_status deep_dataset_num_classes(const deep_dataset *dataset, int32_t *num_classes);
/* The labels, one per sample (buffer contract); DEEP_ERR_STATE when the dataset has none
 * (as for to_categorical and stratified splits). */
DEEP_API deep_status deep_dataset_labels(const deep_dataset *dataset, int32_t *labels, int64_t capacity,
                                         int64_t *needed);
/* Target width per sample (0 when the dataset has no targets). */
DEEP_API deep_status deep_dataset_target_width(const deep_dataset *dataset, int64_t *width);
/* All features as a new tensor of shape (count, sample shape...), e.g. for deep_model_predict. */
DEEP_API deep_status deep_dataset_features(const deep_dataset *dataset, deep_tensor **out);
/* Samples [start, start + count) as new tensors: features (count, sample shape...) and,
 * when targets is not NULL, targets (count, width) — one-hot rows when the dataset only
 * has labels. */
DEEP_API deep_status deep_dataset_batch(const deep_dataset *dataset, int64_t start, int64_t count,
                                        deep_tensor **features, deep_tensor **targets);

/* Loads CIFAR-10 binary batches (the official "binary version": records of 1 label byte
 * and 3072 pixel bytes, channel-planar 32x32 red, green, blue). Samples come out
 * channels-last with shape (32, 32, 3), pixel values 0..255 as floats (kept as bytes, as
 * deep_dataset_load_idx keeps them), and 10 classes.
 * paths holds path_count files (e.g. data_batch_1.bin .. data_batch_5.bin); a file whose
 * size is not a whole number of records, or a label above 9, is DEEP_ERR_FORMAT; anything
 * but a regular file is DEEP_ERR_IO. */
DEEP_API deep_status deep_dataset_load_cifar10(const char *const *paths, int64_t path_count, deep_dataset **out);

/* Sets float targets to the one-hot rows of the labels (Keras to_categorical); labels stay. */
DEEP_API deep_status deep_dataset_to_categorical(deep_dataset *dataset);
/* features = features * scale + shift, e.g. scale 1/255 brings pixels to [0, 1]. */
DEEP_API deep_status deep_dataset_scale(deep_dataset *dataset, double scale, double shift);
/* Per-feature scaling with statistics taken from `reference` (pass the training set when
 * scaling a test set, or the dataset itself / NULL to use its own statistics).
 * Standardize: zero mean, unit variance (constant features become 0).
 * Min-max: each feature to [0, 1] (constant features become 0). */
DEEP_API deep_status deep_dataset_standardize(deep_dataset *dataset, const deep_dataset *reference);
DEEP_API deep_status deep_dataset_minmax_scale(deep_dataset *dataset, const deep_dataset *reference);
/* Reorders the samples (features with their labels and targets) by a seeded permutation. */
DEEP_API deep_status deep_dataset_shuffle(deep_dataset *dataset, uint64_t seed);
/* A new dataset of the samples at indices[0..count-1] (repeats allowed), in that order. */
DEEP_API deep_status deep_dataset_subset(const deep_dataset *dataset, const int64_t *indices, int64_t count,
                                         deep_dataset **out);
/* Splits into new train and test datasets; test_fraction in (0, 1) of the samples go to
 * test, chosen by a seeded shuffle. With stratify != 0 (needs labels) each class keeps
 * its proportion in both parts. The source is unchanged. */
DEEP_API deep_status deep_dataset_split(const deep_dataset *dataset, double test_fraction, uint64_t seed,
                                        int32_t stratify, deep_dataset **train, deep_dataset **test);

/* ===================================================================================== */
/* Tables: datasets read from CSV files, with named columns, string class labels and     */
/* missing values — the pandas steps before a model: load, describe, fill or drop what   */
/* is missing, concatenate, write back, and the k-fold splits of cross-validation.       */
/* A missing feature value is a NaN; the calls below count, fill or drop them.           */
/* ===================================================================================== */

/* Loads a CSV file with a header row: comma-separated, fields optionally quoted ("a,b" and
 * "say ""hi""" as in RFC 4180), LF or CRLF line endings, blank lines skipped. Every column
 * but the label column is a float feature (samples of shape (n_features,)); the cells "",
 * "NA", "NaN" and "nan" (surrounding blanks ignored) are missing and become NaN. With
 * label_column naming a header field, its values are the labels: when all are integers
 * >= 0 they are the class ids, otherwise each distinct string is a class, numbered in
 * sorted order (byte-wise strcmp of the UTF-8 names, as scikit-learn's LabelEncoder), and
 * its name is kept (deep_dataset_class_name). Files holding the same classes thus number
 * them alike; a test file lacking some of the training file's classes does not, so encode
 * it with deep_dataset_use_classes(test, train). NULL means no labels. A ragged row or a non-numeric feature cell is DEEP_ERR_FORMAT naming the line
 * and column; an unknown label_column is DEEP_ERR_INVALID_ARGUMENT listing the columns,
 * and so is one that names two columns; a file without data rows is DEEP_ERR_FORMAT.
 * Only regular files are read: a device (/dev/zero), pipe or directory is DEEP_ERR_IO. */
DEEP_API deep_status deep_dataset_load_csv(const char *path, const char *label_column, deep_dataset **out);
/* Writes the features and (when present) the labels as CSV, atomically, as deep_model_save
 * writes (a temporary file in the same directory, then rename; the old file's mode and a
 * symbolic link at path are kept). The header holds the column names, or f0, f1, ...;
 * the label column comes last under its loaded name (or "label") with class names when
 * the dataset has them. Values are printed with 9 significant digits, so floats read back
 * exactly; missing values are empty cells. Targets are not written. A label column whose
 * name is also a feature column's is DEEP_ERR_INVALID_ARGUMENT (a reload could not tell
 * them apart), and nothing is written. */
DEEP_API deep_status deep_dataset_write_csv(const deep_dataset *dataset, const char *path);

/* The name of feature column `column` (0-based), or of class class_id, as text (buffer
 * contract). DEEP_ERR_STATE when the dataset has no such names (it was not loaded from
 * CSV, or its labels were integers). */
DEEP_API deep_status deep_dataset_column_name(const deep_dataset *dataset, int64_t column, char *buffer,
                                              int64_t capacity, int64_t *needed);
DEEP_API deep_status deep_dataset_class_name(const deep_dataset *dataset, int32_t class_id, char *buffer,
                                             int64_t capacity, int64_t *needed);

/* Number of missing (NaN) features in one column, or in all of them with column -1. */
DEEP_API deep_status deep_dataset_missing_count(const deep_dataset *dataset, int64_t column, int64_t *count);

typedef enum deep_fill {
    DEEP_FILL_MEAN = 1,          /* the column's mean */
    DEEP_FILL_MEDIAN = 2,        /* the column's median (mean of the two middle values for even counts) */
    DEEP_FILL_MOST_FREQUENT = 3, /* the most frequent present value, the smallest of equally frequent
                                    ones (scikit-learn); a deep_imputer strategy, since 1.1 */
    DEEP_FILL_CONSTANT = 4       /* a value given with the strategy; a deep_imputer strategy, since 1.1 */
} deep_fill;

/* Replaces each missing feature with a statistic of its column's present values in
 * `reference` (the training set when filling a test set; NULL for the dataset itself),
 * as scikit-learn's SimpleImputer. A column with no present value is DEEP_ERR_NUMERIC
 * and the dataset is left unchanged. Takes DEEP_FILL_MEAN and DEEP_FILL_MEDIAN; a
 * deep_imputer fills column by column with any strategy. */
DEEP_API deep_status deep_dataset_fill_missing(deep_dataset *dataset, deep_fill strategy,
                                               const deep_dataset *reference);
/* Removes the samples that have any missing feature (pandas dropna). Removing every
 * sample is DEEP_ERR_NUMERIC and leaves the dataset unchanged. */
DEEP_API deep_status deep_dataset_drop_missing(deep_dataset *dataset);

typedef enum deep_column_stat {
    DEEP_STAT_COUNT = 1,   /* present (non-missing) values */
    DEEP_STAT_MISSING = 2, /* missing values */
    DEEP_STAT_MEAN = 3,
    DEEP_STAT_STD = 4,     /* sample standard deviation (n - 1 in the denominator, as pandas) */
    DEEP_STAT_MIN = 5,
    DEEP_STAT_MAX = 6
} deep_column_stat;

/* One statistic of feature column `column` over its present values (pandas describe).
 * Mean, min and max of a column with no present value, and the std of one with fewer than
 * two, are NaN. */
DEEP_API deep_status deep_dataset_describe(const deep_dataset *dataset, int64_t column, deep_column_stat stat,
                                           double *value);
/* The statistics of every feature column as a text table, one row per column (pandas'
 * describe().T), by the buffer contract. */
DEEP_API deep_status deep_dataset_describe_text(const deep_dataset *dataset, char *buffer, int64_t capacity,
                                                int64_t *needed);

/* A new dataset of a's samples followed by b's (pandas concat). Sample shapes must match;
 * both or neither must have labels, and targets of the same width. Class names are
 * matched by name: the result's classes are the sorted union of a's and b's, so a's ids
 * stay as they were unless b brings a class that sorts before some of a's. */
DEEP_API deep_status deep_dataset_concat(const deep_dataset *a, const deep_dataset *b, deep_dataset **out);

/* Re-encodes the string class labels of `dataset` with the class list of `reference`
 * (scikit-learn: encoding a test set with the LabelEncoder fitted on the training set):
 * afterwards both number every class alike, dataset has reference's num_classes and class
 * names, and a model fitted on reference scores dataset correctly even when dataset lacks
 * some classes or met them in another order. Both need class names (string labels loaded
 * from CSV), else DEEP_ERR_STATE. A class of dataset that reference does not have is
 * DEEP_ERR_INVALID_ARGUMENT naming the class and a sample holding it. On failure dataset is
 * unchanged. Targets are kept, as by deep_dataset_set_labels. */
DEEP_API deep_status deep_dataset_use_classes(deep_dataset *dataset, const deep_dataset *reference);

/* The train and test indices of fold `fold` of `folds` over count samples (scikit-learn
 * KFold): test folds are consecutive runs of the (seeded-shuffled when shuffle != 0)
 * order, the first count % folds of them one longer, and both lists come out sorted.
 * 2 <= folds <= count. Two outputs by the buffer contract: both capacities 0 is the size
 * query, otherwise both buffers must be large enough. */
DEEP_API deep_status deep_kfold_indices(int64_t count, int64_t folds, int64_t fold, int32_t shuffle,
                                        uint64_t seed, int64_t *train_indices, int64_t train_capacity,
                                        int64_t *train_needed, int64_t *test_indices, int64_t test_capacity,
                                        int64_t *test_needed);
/* The same for class labels (scikit-learn's StratifiedKFold, since 1.2): each fold keeps
 * every class's share. Classes are numbered by first appearance in labels; the samples
 * sorted by that number are dealt to the folds in turn, which fixes how many of each class
 * fold f holds, and each class gives its fold numbers to its samples in index order, as
 * one run per fold. Without shuffle the folds equal scikit-learn's exactly; with shuffle
 * each class's fold numbers are shuffled from seed (libdeep's generator, so the counts per
 * fold and class are scikit-learn's but not which samples). labels may be any int32
 * values. More folds than the samples of every class is DEEP_ERR_INVALID_ARGUMENT (fewer
 * than the smallest class's is allowed, as scikit-learn allows it with a warning). The
 * buffers as deep_kfold_indices; the size query computes the folds (their sizes depend on
 * the labels). */
DEEP_API deep_status deep_stratified_kfold_indices(const int32_t *labels, int64_t count, int64_t folds,
                                                   int64_t fold, int32_t shuffle, uint64_t seed,
                                                   int64_t *train_indices, int64_t train_capacity,
                                                   int64_t *train_needed, int64_t *test_indices,
                                                   int64_t test_capacity, int64_t *test_needed);

/* Typed tables (since 1.1): text columns kept as categorical columns, encoded one-hot   */
/* (pandas get_dummies) or ordinally (scikit-learn OrdinalEncoder); columns selected,    */
/* dropped and renamed by name; value counts.                                             */

/* deep_dataset_load_csv, except that a feature column holding a present cell that is not
 * a number is a categorical column (pandas' object columns) instead of an error: its
 * distinct texts (surrounding blanks removed) are its categories, numbered in sorted
 * (strcmp) order, and its values are the category ids 0, 1, ... as floats, with the
 * missing spellings of deep_dataset_load_csv ("", NA, NaN, nan) as NaN. Numeric columns
 * load as deep_dataset_load_csv loads them. More than 2^24 categories in one column is
 * DEEP_ERR_FORMAT. Calls that compute with feature values (scale, standardize, minmax_scale,
 * fill_missing) refuse a dataset with categorical columns (DEEP_ERR_STATE naming the
 * column): encode it first. Subsets, splits, shuffles, drop_missing and write_csv keep the
 * categories (write_csv writes the texts); concat needs the same categories in both. A
 * model or forest fitted on such a dataset sees the ids. Since 1.1. */
DEEP_API deep_status deep_dataset_load_csv_typed(const char *path, const char *label_column, deep_dataset **out);
/* The index of the feature column named `name` (the first, if several are); DEEP_ERR_STATE
 * without column names, DEEP_ERR_INVALID_ARGUMENT naming an unknown column. Since 1.1. */
DEEP_API deep_status deep_dataset_column_index(const deep_dataset *dataset, const char *name, int64_t *column);
/* The number of categories of feature column `column`: 0 for a numeric column. Since 1.1. */
DEEP_API deep_status deep_dataset_category_count(const deep_dataset *dataset, int64_t column, int64_t *count);
/* The name of category `category` of a categorical column (buffer contract);
 * DEEP_ERR_STATE for a numeric column. Since 1.1. */
DEEP_API deep_status deep_dataset_category_name(const deep_dataset *dataset, int64_t column, int64_t category,
                                                char *buffer, int64_t capacity, int64_t *needed);

typedef enum deep_encoding {
    DEEP_ENCODE_ONE_HOT = 1, /* pandas get_dummies: the numeric columns first, in order, then
                                one 0/1 column per category of each categorical column, named
                                "<column>_<category>"; a missing value is a row of zeros */
    DEEP_ENCODE_ORDINAL = 2  /* scikit-learn OrdinalEncoder: each categorical column stays in
                                place as the numeric column of its category ids (missing: NaN) */
} deep_encoding;

/* A new dataset with every categorical column of `dataset` encoded, numeric columns, labels
 * and targets copied. The categories are those of `reference` (the training table when
 * encoding a test table; NULL for the dataset's own), matched by column name: then the
 * reference must have the same feature columns (by name, in order), categorical where
 * dataset's are. A category of dataset that the reference lacks is DEEP_ERR_INVALID_ARGUMENT
 * naming it, the column and a sample holding it, unless ignore_unknown is 1: then it encodes
 * as a missing value (a row of zeros; NaN ordinally), as scikit-learn's
 * handle_unknown="ignore". A dataset without categorical columns is copied. Since 1.1. */
DEEP_API deep_status deep_dataset_encode(const deep_dataset *dataset, const deep_dataset *reference,
                                         deep_encoding encoding, int32_t ignore_unknown, deep_dataset **out);
/* A new dataset of the feature columns names[0..count-1] in that order (repeats allowed;
 * pandas df[[...]]), or of all the other ones (drop; pandas df.drop(columns=...)), with
 * their categories, and the labels and targets. Needs column names (DEEP_ERR_STATE) and
 * samples of rank 1; an unknown name is DEEP_ERR_INVALID_ARGUMENT naming it, and so is
 * dropping every column. count >= 1. Since 1.1. */
DEEP_API deep_status deep_dataset_select_columns(const deep_dataset *dataset, const char *const *names,
                                                 int64_t count, deep_dataset **out);
DEEP_API deep_status deep_dataset_drop_columns(const deep_dataset *dataset, const char *const *names,
                                               int64_t count, deep_dataset **out);
/* Renames feature column `name` (the first of that name) to new_name, or the label column
 * when `name` is its name and no feature column has it. Since 1.1. */
DEEP_API deep_status deep_dataset_rename_column(deep_dataset *dataset, const char *name, const char *new_name);
/* The distinct present values of feature column `column` (category ids for a categorical
 * column) and how often each occurs, most frequent first, ties in order of first appearance
 * (pandas value_counts, missing values left out). Two outputs by the buffer contract, of
 * equal size: both capacities 0 is the size query. Since 1.1. */
DEEP_API deep_status deep_dataset_value_counts(const deep_dataset *dataset, int64_t column, double *values,
                                               int64_t values_capacity, int64_t *values_needed, int64_t *counts,
                                               int64_t counts_capacity, int64_t *counts_needed);

/* Per-column cleaning (since 1.1): scikit-learn's SimpleImputer with a strategy per     */
/* column (pandas fillna with a dict), fitted on one table and applied to others.        */

typedef struct deep_imputer deep_imputer;

/* An imputer whose strategy for every column not set otherwise is `strategy`, with
 * fill_value the value of DEEP_FILL_CONSTANT (ignored otherwise; a text column filled with
 * a constant gets the category "missing_value", scikit-learn's default). Since 1.1. */
DEEP_API deep_status deep_imputer_new(deep_fill strategy, double fill_value, deep_imputer **out);
DEEP_API void deep_imputer_free(deep_imputer *imputer);
/* The strategy of the feature column named `column`, replacing an earlier one; takes effect
 * at the next fit. fill_value is DEEP_FILL_CONSTANT's value for a numeric column, fill_text
 * its category for a text column (NULL: "missing_value"); both are ignored by the other
 * strategies. Since 1.1. */
DEEP_API deep_status deep_imputer_set_column(deep_imputer *imputer, const char *column, deep_fill strategy,
                                             double fill_value, const char *fill_text);
/* Computes the fill value of every feature column of `data`: its mean, median or most
 * frequent present value (for a text column of deep_dataset_load_csv_typed, the most
 * frequent category, the first in sorted order among equally frequent ones; mean and
 * median refuse a text column with DEEP_ERR_STATE), or the constant. A column set by name
 * that `data` lacks is DEEP_ERR_INVALID_ARGUMENT; a column with no present value (but for
 * a constant) is DEEP_ERR_NUMERIC naming it; on failure the imputer keeps its earlier fit.
 * Since 1.1. */
DEEP_API deep_status deep_imputer_fit(deep_imputer *imputer, const deep_dataset *data);
/* Replaces the missing values of `data` in place with the fitted fill values. data needs
 * the fitted table's columns (same count; the same names in order when both have names;
 * text where they were text), else DEEP_ERR_INVALID_ARGUMENT, and DEEP_ERR_STATE before a
 * fit. A text fill value that data's column lacks is added to its categories (which stay
 * sorted, the ids renumbered). On failure data is unchanged. Since 1.1. */
DEEP_API deep_status deep_imputer_transform(const deep_imputer *imputer, deep_dataset *data);
/* The fitted fill value of feature column `column` (scikit-learn's statistics_): NaN for a
 * text column, whose fill category deep_imputer_fill_text gives (buffer contract;
 * DEEP_ERR_STATE for a numeric column). DEEP_ERR_STATE before a fit. Since 1.1. */
DEEP_API deep_status deep_imputer_statistic(const deep_imputer *imputer, int64_t column, double *value);
DEEP_API deep_status deep_imputer_fill_text(const deep_imputer *imputer, int64_t column, char *buffer,
                                            int64_t capacity, int64_t *needed);

/* Merge (since 1.1): pandas' merge of two tables on key columns.                         */

typedef enum deep_join {
    DEEP_JOIN_INNER = 1, /* the rows of left that have a match in right */
    DEEP_JOIN_LEFT = 2   /* every row of left; right's columns missing where it has no match */
} deep_join;

/* A new table joining left and right on the feature columns on[0..on_count-1], which both
 * must have (by name; both numeric or both text, text keys matched by category name and
 * missing keys matching each other, as pandas does). Rows: each row of left in order, once
 * per matching row of right in right's order (pandas' documented order, which pandas 2.2
 * follows for inner joins too; pandas 1.x grouped an inner join's rows by key), and for
 * DEEP_JOIN_LEFT once with missing values where right has no match. Columns: left's (the
 * keys among them), then right's other columns; a name both have besides the keys takes
 * left_suffix and right_suffix (NULL: "_x" and "_y"). Text columns keep their categories.
 * Labels and targets are left's (right's are not used). An unknown key column is
 * DEEP_ERR_INVALID_ARGUMENT naming it; a join without rows is DEEP_ERR_SHAPE (a dataset
 * has at least one sample). Since 1.1. */
DEEP_API deep_status deep_dataset_merge(const deep_dataset *left, const deep_dataset *right, const char *const *on,
                                        int64_t on_count, deep_join how, const char *left_suffix,
                                        const char *right_suffix, deep_dataset **out);

/* SQLite (since 1.1): tables read from and written to SQLite databases. Optional at      */
/* build time (meson option sqlite, Debian's libsqlite3-dev); without it both calls exist */
/* and return DEEP_ERR_UNSUPPORTED.                                                       */

/* Runs `query` (one SQL statement, e.g. a SELECT) on the SQLite database file `database`,
 * opened read-only, and loads its rows as a typed table, as deep_dataset_load_csv_typed
 * loads a CSV file: each result column is a feature column named as the query names it;
 * a column holding a TEXT value is a categorical column (sorted categories), the others
 * numbers; NULL is a missing value. parameters[0..parameter_count-1] are bound to the
 * query's ?, ?NNN or :name placeholders in order, as text (SQLite applies the compared
 * column's affinity), never pasted into the SQL. label_column (NULL: none) names the
 * label column, read as load_csv reads one (integers >= 0 are class ids, other values
 * string classes in sorted order; NULL is DEEP_ERR_FORMAT). A missing file is DEEP_ERR_IO;
 * SQL errors (syntax, unknown table, wrong parameter count) DEEP_ERR_INVALID_ARGUMENT with
 * SQLite's message; a BLOB value, no rows, or only the label column DEEP_ERR_FORMAT.
 * Since 1.1. */
DEEP_API deep_status deep_dataset_load_sqlite(const char *database, const char *query,
                                              const char *const *parameters, int64_t parameter_count,
                                              const char *label_column, deep_dataset **out);
/* Writes the dataset as table `table` of the SQLite database file `database` (created when
 * missing), in one transaction: the feature columns (REAL, or TEXT holding the category
 * names of a categorical column), named as deep_dataset_write_csv names them, then the
 * labels (INTEGER ids, or TEXT class names) under the label column's name; missing values
 * are NULL. An existing table is DEEP_ERR_INVALID_ARGUMENT unless replace is 1 (then it is
 * dropped first). Targets are not written. Since 1.1. */
DEEP_API deep_status deep_dataset_write_sqlite(const deep_dataset *dataset, const char *database, const char *table,
                                               int32_t replace);

/* Histograms (since 1.1): numpy's histogram of a column, the counts pandas' hist draws.  */

/* The histogram of the present values of feature column `column`, as numpy.histogram
 * computes it on them as doubles: `bins` equal bins over [min, max] ([v - 0.5, v + 0.5]
 * when all values are v), each bin half-open but the last; bins 0 is numpy's "auto"
 * (the smaller of the Sturges and Freedman-Diaconis widths, Sturges when the interquartile
 * range is 0). Two outputs by the buffer contract: the bins + 1 edges and the bins counts
 * (both capacities 0: the size query, which computes the bin count). Missing values are
 * left out (as pandas' hist); a column without any is DEEP_ERR_NUMERIC, a categorical
 * column DEEP_ERR_STATE (deep_dataset_value_counts counts its categories), more than
 * 10^7 bins DEEP_ERR_INVALID_ARGUMENT. Since 1.1. */
DEEP_API deep_status deep_dataset_histogram(const deep_dataset *dataset, int64_t column, int64_t bins, double *edges,
                                            int64_t edges_capacity, int64_t *edges_needed, int64_t *counts,
                                            int64_t counts_capacity, int64_t *counts_needed);
/* The histogram of feature column `column` (bins as for deep_dataset_histogram, 0 for
 * "auto") drawn as an SVG file at path, replaced atomically: one bar per bin over the
 * bins' edges, axes with ticks, the column's name (from the CSV header, else "column N")
 * as title. Errors as deep_dataset_histogram's (a categorical column is DEEP_ERR_STATE),
 * and more than 100000 bins (given, or from "auto") is DEEP_ERR_INVALID_ARGUMENT; a file
 * that cannot be written is DEEP_ERR_IO naming path. Since 1.1. */
DEEP_API deep_status deep_dataset_histogram_svg(const deep_dataset *dataset, int64_t column, int64_t bins,
                                                const char *path);

/* ===================================================================================== */
/* Metrics on label arrays: what the model predicted against the truth.                   */
/* ===================================================================================== */

/* Fraction of positions where predicted == truth. */
DEEP_API deep_status deep_metric_accuracy(const int32_t *truth, const int32_t *predicted, int64_t count,
                                          double *accuracy);
/* matrix[t * num_classes + p] counts samples of true class t predicted as p; the caller's
 * matrix holds num_classes * num_classes entries. */
DEEP_API deep_status deep_metric_confusion_matrix(const int32_t *truth, const int32_t *predicted, int64_t count,
                                                  int32_t num_classes, int64_t *matrix);
/* Per-class precision, recall and F1 into caller arrays of num_classes entries (any may
 * be NULL), and their unweighted means (macro averages) into the macro_* outputs (any may
 * be NULL). A class never predicted has precision 0; one never present has recall 0, as
 * scikit-learn does with zero_division=0. */
DEEP_API deep_status deep_metric_precision_recall_f1(const int32_t *truth, const int32_t *predicted,
                                                     int64_t count, int32_t num_classes, double *precision,
                                                     double *recall, double *f1, double *macro_precision,
                                                     double *macro_recall, double *macro_f1);

/* ===================================================================================== */
/* Optimizers: how a model's weights move along their gradients. Options are set with    */
/* enum keys so that new ones never change a signature. Defaults are Keras' defaults.    */
/* ===================================================================================== */

typedef struct deep_optimizer deep_optimizer;

typedef enum deep_optimizer_kind {
    DEEP_OPTIMIZER_SGD = 1,     /* learning_rate 0.01, momentum 0, nesterov 0 */
    DEEP_OPTIMIZER_ADAM = 2,    /* learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7 */
    DEEP_OPTIMIZER_RMSPROP = 3, /* learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7; divides by
                                   sqrt(v + epsilon) as Keras (PyTorch: sqrt(v) + epsilon) */
    DEEP_OPTIMIZER_ADAGRAD = 4, /* learning_rate 0.001, initial_accumulator 0.1, epsilon 1e-7; divides
                                   by sqrt(accumulator + epsilon) as Keras */
    /* Since 1.1, with Keras' update rules and defaults: */
    DEEP_OPTIMIZER_NADAM = 5,   /* learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7; Keras'
                                   momentum schedule beta_1 (1 - 0.5 * 0.96^t) (PyTorch's NAdam with
                                   momentum_decay 0.004 differs in form) */
    DEEP_OPTIMIZER_ADAMW = 6,   /* Adam with weight_decay 0.004 (decoupled: w -= w * weight_decay *
                                   learning_rate before each step), amsgrad 0 */
    DEEP_OPTIMIZER_ADAMAX = 7   /* learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7 */
} deep_optimizer_kind;

typedef enum deep_optimizer_option {
    DEEP_OPT_LEARNING_RATE = 1,
    DEEP_OPT_MOMENTUM = 2,            /* SGD, RMSprop; in [0, 1) */
    DEEP_OPT_NESTEROV = 3,            /* SGD; 0 or 1 */
    DEEP_OPT_BETA_1 = 4,              /* Adam; in [0, 1) */
    DEEP_OPT_BETA_2 = 5,              /* Adam; in [0, 1) */
    DEEP_OPT_EPSILON = 6,             /* Adam, RMSprop, Adagrad; > 0 */
    DEEP_OPT_RHO = 7,                 /* RMSprop; in [0, 1) */
    DEEP_OPT_INITIAL_ACCUMULATOR = 8, /* Adagrad; >= 0 */
    /* Since 1.1. beta_1, beta_2 and epsilon also apply to Nadam, AdamW and Adamax. The
     * next four apply to every kind, as Keras' base optimizer arguments; 0 (the default,
     * AdamW's weight_decay excepted) turns them off. At most one of the three clipping
     * options may be non-zero (DEEP_ERR_INVALID_ARGUMENT naming the one already set). */
    DEEP_OPT_WEIGHT_DECAY = 9,        /* >= 0: w -= w * weight_decay * learning_rate before each update,
                                         for trainable weights (not batch norm's moving statistics) */
    DEEP_OPT_CLIPNORM = 10,           /* >= 0: each weight tensor's gradient scaled to an L2 norm of at
                                         most this */
    DEEP_OPT_CLIPVALUE = 11,          /* >= 0: each gradient element clipped to [-clipvalue, clipvalue] */
    DEEP_OPT_GLOBAL_CLIPNORM = 12,    /* >= 0: all gradients scaled together to a joint L2 norm of at
                                         most this */
    DEEP_OPT_AMSGRAD = 13             /* Adam, AdamW; 0 or 1: divide by the running maximum of the second
                                         moment (state "velocity_hat"); fixed once compiled
                                         (DEEP_ERR_STATE) */
} deep_optimizer_option;

DEEP_API deep_status deep_optimizer_new(deep_optimizer_kind kind, deep_optimizer **out);
DEEP_API void deep_optimizer_free(deep_optimizer *optimizer);
/* An option that does not apply to the optimizer's kind is DEEP_ERR_INVALID_ARGUMENT. The
 * optimizer computes in float: get returns the value set, rounded to float. */
DEEP_API deep_status deep_optimizer_set_float(deep_optimizer *optimizer, deep_optimizer_option option,
                                              double value);
DEEP_API deep_status deep_optimizer_get_float(const deep_optimizer *optimizer, deep_optimizer_option option,
                                              double *value);

/* Learning-rate schedules (since 1.1), Keras' LearningRateSchedule objects: the learning
 * rate as a function of the optimizer's step count, Keras' `iterations` (0 at the first
 * step, counted on through fit, train_on_batch and resumed checkpoints). The optimizer
 * evaluates its schedule before every step, and weight decay uses that rate too. A
 * schedule cannot change once made; deep_schedule_free accepts NULL. */
typedef struct deep_schedule deep_schedule;

typedef enum deep_schedule_kind {
    DEEP_SCHEDULE_EXPONENTIAL_DECAY = 1,
    DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY = 2,
    DEEP_SCHEDULE_COSINE_DECAY = 3
} deep_schedule_kind;

/* initial_learning_rate * decay_rate ^ (step / decay_steps), the exponent rounded down when
 * staircase is 1. initial_learning_rate and decay_rate finite and > 0, decay_steps >= 1,
 * staircase 0 or 1. Since 1.1. */
DEEP_API deep_status deep_schedule_new_exponential_decay(double initial_learning_rate, int64_t decay_steps,
                                                         double decay_rate, int32_t staircase, deep_schedule **out);
/* values[0] while step <= boundaries[0], values[i] while boundaries[i - 1] < step <=
 * boundaries[i], values[count] after boundaries[count - 1]: count >= 1 boundaries, >= 0
 * and strictly increasing, and count + 1 values, finite and > 0. Both arrays are copied.
 * Since 1.1. */
DEEP_API deep_status deep_schedule_new_piecewise_constant_decay(const int64_t *boundaries, int64_t count,
                                                                const double *values, deep_schedule **out);
/* Cosine decay with optional linear warm-up (Keras' CosineDecay). Without warm-up
 * (warmup_target NaN, Keras' None): initial * ((1 - alpha) * c + alpha) with
 * c = (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2. With warmup_target: for
 * step < warmup_steps the rate goes linearly from initial_learning_rate to warmup_target,
 * then decays from warmup_target as above over decay_steps more steps. initial_learning_rate
 * finite and >= 0, decay_steps >= 1, alpha in [0, 1], warmup_target NaN or finite and > 0,
 * warmup_steps >= 0. Since 1.1. */
DEEP_API deep_status deep_schedule_new_cosine_decay(double initial_learning_rate, int64_t decay_steps, double alpha,
                                                    double warmup_target, int64_t warmup_steps, deep_schedule **out);
/* Since 1.1. */
DEEP_API void deep_schedule_free(deep_schedule *schedule);
/* Since 1.1. */
DEEP_API deep_status deep_schedule_kind_of(const deep_schedule *schedule, deep_schedule_kind *kind);
/* The learning rate at step (>= 0), Keras' schedule(step). Since 1.1. */
DEEP_API deep_status deep_schedule_learning_rate(const deep_schedule *schedule, int64_t step,
                                                 double *learning_rate);
/* Makes schedule the optimizer's learning rate (Keras' learning_rate=schedule). The
 * optimizer takes ownership of schedule in every case, even when the call fails, and frees
 * it when freed itself or when another schedule (or NULL, which removes the schedule)
 * replaces it. While a schedule is set, deep_optimizer_get_float(DEEP_OPT_LEARNING_RATE)
 * gives the rate of the next step and setting DEEP_OPT_LEARNING_RATE is DEEP_ERR_STATE,
 * as Keras refuses it. Model files save the schedule with the optimizer. Since 1.1. */
DEEP_API deep_status deep_optimizer_set_schedule(deep_optimizer *optimizer, deep_schedule *schedule);
/* The optimizer's schedule, still owned by the optimizer; NULL when it has none. Since 1.1. */
DEEP_API deep_status deep_optimizer_get_schedule(const deep_optimizer *optimizer, const deep_schedule **schedule);

/* ===================================================================================== */
/* Sequences: integer token ids for Embedding and recurrent layers — Keras' pad_sequences */
/* and Tokenizer, and the sliding windows of next-token prediction. Id 0 is padding and   */
/* id 1 stands for every token a vocabulary leaves out; real tokens are numbered from 2. */
/* Datasets hold the ids as floats (exact up to 2^24).                                   */
/* ===================================================================================== */

typedef enum deep_pad_side {
    DEEP_PAD_PRE = 0, /* before the sequence (Keras' default for both padding and truncating) */
    DEEP_PAD_POST = 1 /* after it */
} deep_pad_side;

/* A new dataset of `count` >= 1 samples of shape (width,), sample i holding the ids of
 * sequences[i] (lengths[i] >= 0 of them, each >= 0; NULL allowed for length 0), where width
 * is maxlen, or the longest length when maxlen is 0. Shorter sequences are filled with 0
 * before (DEEP_PAD_PRE) or after (DEEP_PAD_POST) their ids; longer ones lose ids at the
 * start (truncating DEEP_PAD_PRE) or the end (DEEP_PAD_POST). No labels yet. */
DEEP_API deep_status deep_dataset_new_sequences(const int32_t *const *sequences, const int64_t *lengths,
                                                int64_t count, int64_t maxlen, deep_pad_side padding,
                                                deep_pad_side truncating, deep_dataset **out);
/* Next-token prediction over one sequence of `count` ids in [0, num_classes): sample i has
 * the `window` ids starting at i * stride as features and the id after them as its label
 * (num_classes classes, e.g. a vocabulary's size). count must exceed window. */
DEEP_API deep_status deep_dataset_new_windows(const int32_t *ids, int64_t count, int64_t window, int64_t stride,
                                              int32_t num_classes, deep_dataset **out);

/* A vocabulary: add texts (UTF-8) to count their tokens, then freeze it to number them by
 * falling count (ties: first seen first) from 2, and encode texts into ids. Tokens are
 * the code points of the text, or its words (runs of non-blank characters; no case
 * folding). Adding after freeze, or querying before it, is DEEP_ERR_STATE. A frozen
 * vocabulary is read-only: it may be used from several threads at once. */
typedef struct deep_vocab deep_vocab;

typedef enum deep_token_kind {
    DEEP_TOKENS_CHARACTERS = 0, /* every Unicode code point, blanks and line ends included */
    DEEP_TOKENS_WORDS = 1       /* separated by spaces, tabs and line ends */
} deep_token_kind;

DEEP_API deep_status deep_vocab_new(deep_token_kind kind, deep_vocab **out);
DEEP_API void deep_vocab_free(deep_vocab *vocab);
/* Counts the tokens of text[0..length). Text that is not valid UTF-8 is DEEP_ERR_FORMAT
 * naming the byte, and nothing is counted. */
DEEP_API deep_status deep_vocab_add_text(deep_vocab *vocab, const char *text, int64_t length);
/* deep_vocab_add_text on a whole file (DEEP_ERR_IO when it cannot be read, or is not a
 * regular file: a directory, a FIFO, a device such as /dev/zero). */
DEEP_API deep_status deep_vocab_add_file(deep_vocab *vocab, const char *path);
/* Numbers the tokens seen at least min_count (>= 1) times, the most frequent first, up to
 * max_size ids in all (the reserved 0 and 1 included; 0 for no limit, else > 2); the rest
 * map to 1. */
DEEP_API deep_status deep_vocab_freeze(deep_vocab *vocab, int64_t max_size, int64_t min_count);
/* The number of ids, reserved ones included: the input_dim of an Embedding, the units of
 * a softmax over tokens. */
DEEP_API deep_status deep_vocab_size(const deep_vocab *vocab, int64_t *size);
/* The id of one token (1 when the vocabulary left it out or never saw it). */
DEEP_API deep_status deep_vocab_id(const deep_vocab *vocab, const char *token, int32_t *id);
/* The token of an id as text (buffer contract); "" for 0 and "<unknown>" for 1. */
DEEP_API deep_status deep_vocab_token(const deep_vocab *vocab, int32_t id, char *buffer, int64_t capacity,
                                      int64_t *needed);
/* The ids of the tokens of text[0..length), one per token (buffer contract). */
DEEP_API deep_status deep_vocab_encode(const deep_vocab *vocab, const char *text, int64_t length, int32_t *ids,
                                       int64_t capacity, int64_t *needed);

/* ===================================================================================== */
/* Models: a Sequential chain of layers (Keras' Sequential), or since 1.1 any graph of     */
/* layers (Keras' functional API, "Layer graphs" below). Build with deep_model_new and     */
/* deep_model_add_*, then compile, fit, evaluate, predict. A model owns its layers and    */
/* the optimizer it was compiled with. Predicting with one model from many threads at      */
/* once is allowed; fit, evaluate, the *_on_batch calls and the setters must not run       */
/* concurrently with any other call on the same model (they detect a running fit,          */
/* evaluate or *_on_batch call on another thread and fail with DEEP_ERR_THREAD; layers     */
/* cannot change once compiled). What fit's own callbacks may change is listed at          */
/* deep_epoch_fn.                                                                          */
/* ===================================================================================== */

typedef struct deep_model deep_model;

typedef enum deep_activation {
    DEEP_ACTIVATION_LINEAR = 0,
    DEEP_ACTIVATION_RELU = 1,
    DEEP_ACTIVATION_SIGMOID = 2,
    DEEP_ACTIVATION_TANH = 3,
    DEEP_ACTIVATION_SOFTMAX = 4,    /* over the last axis */
    DEEP_ACTIVATION_LEAKY_RELU = 5, /* slope 0.3 below zero, as Keras' LeakyReLU */
    DEEP_ACTIVATION_ELU = 6,        /* alpha 1.0 */
    DEEP_ACTIVATION_GELU = 7,       /* x Phi(x), the exact form (Keras' gelu, approximate=False) */
    DEEP_ACTIVATION_GELU_TANH = 8,  /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Keras' gelu,
                                       approximate=True); named "gelu_tanh" in model files */
    DEEP_ACTIVATION_SILU = 9,       /* x sigmoid(x), also called swish */
    DEEP_ACTIVATION_SOFTPLUS = 10,  /* log(1 + e^x) */
    DEEP_ACTIVATION_SOFTSIGN = 11,  /* x / (1 + |x|) */
    DEEP_ACTIVATION_SELU = 12,      /* 1.0507 elu(x, alpha 1.6733), Keras' constants */
    DEEP_ACTIVATION_HARD_SIGMOID = 13, /* relu6(x + 3) / 6, Keras 3's definition */
    DEEP_ACTIVATION_EXPONENTIAL = 14,  /* e^x */
    DEEP_ACTIVATION_RELU6 = 15,        /* min(max(x, 0), 6) */
    DEEP_ACTIVATION_LOG_SOFTMAX = 16   /* since 1.3: x - log(sum(e^x)) over the last axis (Keras' log_softmax,
                                          ONNX's LogSoftmax); the cross-entropies take it only with
                                          DEEP_MODEL_FROM_LOGITS 1 (categorical and sparse: then exactly
                                          the negative log-likelihood, PyTorch's NLLLoss) */
} deep_activation;
/* gelu, gelu_tanh and silu are not functions of their output, so their derivative
 * needs the input: Dense and Conv2D keep their pre-activations for it (one more float per
 * output). Recurrent cells (LSTM, GRU, SimpleRNN) take only the values up to
 * DEEP_ACTIVATION_ELU (others are DEEP_ERR_INVALID_ARGUMENT). */

/* Losses and metrics act on the last axis of the model's output, as Keras': an output of
 * shape (steps, classes) is scored step by step, against float targets of width
 * steps * classes per sample (the (steps, classes) rows flattened, deep_dataset_set_targets),
 * and averaged over the steps and the samples. Integer labels are one per sample; since 1.3
 * the sparse loss also takes an output of several steps, (steps, classes), Keras' per-step
 * sparse cross-entropy (1.2 refused it at compile with DEEP_ERR_UNSUPPORTED): its labels, one
 * whole class number per step, come as float targets of width steps (a dataset's
 * deep_dataset_set_targets; train_on_batch's y (n, steps) or (n, steps, 1)), each step is
 * scored against its own label (loss, accuracy per step and the other metrics), masked steps
 * are skipped, and with several outputs such an output takes `steps` target columns. */
typedef enum deep_loss {
    DEEP_LOSS_MEAN_SQUARED_ERROR = 1,               /* float targets */
    DEEP_LOSS_BINARY_CROSSENTROPY = 2,              /* float targets in [0, 1] */
    DEEP_LOSS_CATEGORICAL_CROSSENTROPY = 3,         /* one-hot targets (deep_dataset_to_categorical);
                                                       each prediction row is divided by its sum first,
                                                       as Keras */
    DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY = 4,  /* integer labels; rows normalised likewise */
    /* Keras' formulas, float targets; "mean" is over the last axis, then the batch. */
    DEEP_LOSS_MEAN_ABSOLUTE_ERROR = 5,              /* mean |p - y| */
    DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR = 6,   /* 100 mean |p - y| / max(|y|, 1e-7) */
    DEEP_LOSS_HUBER = 7,                            /* mean of e^2 / 2 where |e| <= delta, else
                                                       delta |e| - delta^2 / 2; e = p - y, delta is
                                                       DEEP_MODEL_HUBER_DELTA (1.0) */
    DEEP_LOSS_LOG_COSH = 8,                         /* mean log(cosh(p - y)) */
    DEEP_LOSS_HINGE = 9,                            /* mean max(1 - y p, 0); targets -1 or 1, or 0
                                                       or 1 (when every target of the batch is 0 or 1,
                                                       they become 2y - 1, as Keras) */
    DEEP_LOSS_SQUARED_HINGE = 10,                   /* mean max(1 - y p, 0)^2; targets as hinge */
    DEEP_LOSS_CATEGORICAL_HINGE = 11,               /* max(max_j (1 - y_j) p_j - sum_j y_j p_j + 1, 0)
                                                       per row; one-hot targets */
    DEEP_LOSS_KL_DIVERGENCE = 12,                   /* sum_j t_j log(t_j / q_j) per row, t and q the
                                                       targets and predictions clipped to [1e-7, 1] */
    DEEP_LOSS_POISSON = 13,                         /* mean p - y log(p + 1e-7) */
    DEEP_LOSS_COSINE_SIMILARITY = 14                /* -cos(y, p) per row (Keras' sign: -1 is best),
                                                       each row divided by max(its L2 norm, 1e-7) */
} deep_loss;

/* DEEP_METRIC_LOSS names the loss itself in deep_model_history and deep_model_evaluate. */
typedef enum deep_metric {
    DEEP_METRIC_LOSS = 0,
    DEEP_METRIC_ACCURACY = 1,           /* argmax match (per step for per-step outputs), or threshold 0.5
                                           for one output */
    DEEP_METRIC_MEAN_ABSOLUTE_ERROR = 2,
    /* Since 1.2, Keras' metric objects, accumulated over the whole epoch (or evaluate's
     * data) as Keras' are, not averaged over batches. They compare every output entry with
     * its target (integer labels read as one-hot rows), so with several classes precision,
     * recall and the AUCs are micro-averaged over the one-hot entries, as Keras' Precision,
     * Recall and AUC are on one-hot targets. A prediction counts as positive when it is
     * above DEEP_MODEL_METRIC_THRESHOLD (0.5), a target when it is not 0. The metrics see
     * the model's outputs as they are (logits too, with DEEP_MODEL_FROM_LOGITS). Since 1.3
     * each compiled metric may have its own threshold, class_id, top_k or num_thresholds
     * (deep_model_set_metric_int / _float), and thresholds compare in float, as Keras'
     * float32 ones. */
    DEEP_METRIC_PRECISION = 3,          /* tp / (tp + fp); 0 when nothing is predicted positive */
    DEEP_METRIC_RECALL = 4,             /* tp / (tp + fn); 0 when no target is positive */
    DEEP_METRIC_AUC = 5,                /* area under the ROC curve, Keras' AUC(): 200 thresholds
                                           (-1e-7, 1/199, ..., 198/199, 1 + 1e-7), outputs clipped to
                                           [0, 1], trapezoidal interpolation */
    DEEP_METRIC_PR_AUC = 6,             /* area under the precision-recall curve, Keras'
                                           AUC(curve="PR"): the same thresholds, Davis and Goadrich's
                                           interpolation as Keras' */
    DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY = 7, /* the target's class (the largest entry of a one-hot
                                           row, or the label of the sparse loss: Keras' sparse variant)
                                           among the DEEP_MODEL_TOP_K (5) largest outputs; ties at the
                                           boundary count as in, as TensorFlow's in_top_k */
    DEEP_METRIC_MEAN_SQUARED_ERROR = 8,  /* mean (p - y)^2 */
    DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR = 9, /* sqrt of the mean (p - y)^2 over all the data */
    DEEP_METRIC_BINARY_ACCURACY = 10     /* mean over entries of y == (p > DEEP_MODEL_METRIC_THRESHOLD) */
} deep_metric;

/* Settings of a model, set before fit. From fit's own callbacks (the log, batch and epoch
 * callbacks, on fit's thread) DEEP_MODEL_SHUFFLE (from the next epoch),
 * DEEP_MODEL_VERBOSE (from the next log line) and DEEP_MODEL_EARLY_STOPPING_MIN_DELTA (from
 * the next epoch's comparison) may change; every other option, and the seed, is refused
 * with DEEP_ERR_STATE and left as it was, because fit read it when it started. While fit
 * or evaluate runs, a setter called from another thread is DEEP_ERR_THREAD.
 * Threads: fit and evaluate split every matrix product and loop among the model's own
 * threads. While they run with more than one thread and the BLAS is OpenBLAS, libdeep asks
 * OpenBLAS for a single thread (openblas_set_num_threads) and restores its previous count
 * when the call returns (the last of overlapping calls restores it), as scikit-learn's
 * threadpoolctl does: two pools of threads on the
 * same cores slow each other down. OpenBLAS's count is process-wide, so other threads of
 * the program calling OpenBLAS meanwhile run single-threaded. Since 1.1 the pool hands out
 * its work in chunks that any of its threads may take, so a thread the OS set aside (on a
 * busy machine) does not hold the others up, runs work too small to pay for a wake-up on
 * the calling thread, and its idle threads sleep after a short spin. Since 1.3 when the
 * pool's threads have made its jobs slower than the calling thread alone would have been
 * (a thread descheduled inside its share: another process holds the core) the following
 * jobs run on the calling thread alone, for a period that doubles while that repeats, so that
 * with a core kept busy by another process a step costs about what DEEP_MODEL_THREADS 1
 * would; and fit and the *_on_batch training calls time their steps both ways now and
 * then (a few steps in every 8 to 256) and run them the faster way. The results are the
 * same either way (the work is cut the same way).
 * predict: a batch of little work (about 4 million multiply-adds or less: one image of
 * the seed CNN, some ten samples of the seed MLP) runs on the calling thread. Since 1.1 a
 * larger batch is cut into slices of samples, one per thread, up to DEEP_MODEL_THREADS
 * threads (0: all cores) started for the call; each sample's outputs are those of one
 * thread up to the last bits of rounding in the matrix products (bit for bit for Dense
 * layers with OpenBLAS's AVX-512 kernels). Since 1.1 predict also asks OpenBLAS for one thread while it runs, as fit does
 * (OpenBLAS's threads wait for each other by spinning, which on a busy machine cost a
 * small predict a hundredfold).
 * deep_model_predict only reads the model and shares no buffers
 * between calls (the model keeps some buffers for later calls, each taken by one call at
 * a time), so any number of threads may predict with one model at once; give
 * DEEP_MODEL_THREADS 1 to keep every predict on its calling thread. */
typedef enum deep_model_option {
    DEEP_MODEL_THREADS = 1,                  /* int: threads of fit, evaluate, the *_on_batch calls and (since
                                                1.1) of predict's large batches; 0 = all cores (default) */
    DEEP_MODEL_SHUFFLE = 2,                  /* int: 1 (default) reshuffles the training samples every epoch */
    DEEP_MODEL_VALIDATION_SPLIT = 3,         /* float: last fraction of the training data held out, as Keras; 0 = none */
    DEEP_MODEL_EARLY_STOPPING_PATIENCE = 4,  /* int: epochs without improvement before stopping; 0 = off */
    DEEP_MODEL_EARLY_STOPPING_MIN_DELTA = 5, /* float: smallest decrease of the monitored loss that counts */
    DEEP_MODEL_VERBOSE = 6,                  /* int: 1 (default) logs one line per epoch to the log callback */
    DEEP_MODEL_CHECKPOINT_PERIOD = 7,        /* int: fit saves a checkpoint every N epochs; 0 = never (default) */
    DEEP_MODEL_INITIAL_EPOCH = 8,            /* int: the next fit runs epochs initial_epoch .. epochs - 1 (Keras'
                                                initial_epoch), then this goes back to 0, as it does on compile;
                                                set by deep_model_load from a checkpoint */
    DEEP_MODEL_CHECKPOINT_PATH = 9,          /* string: where checkpoints go (deep_model_set_string); NULL = none */
    DEEP_MODEL_HUBER_DELTA = 10,             /* float: DEEP_LOSS_HUBER's delta, finite and > 0 (default 1.0, Keras');
                                                saved with the compiled model */
    /* Since 1.2; like the Huber delta, set before fit (not from its callbacks) and saved
     * with the compiled model. */
    DEEP_MODEL_FROM_LOGITS = 11,             /* int: 1 makes the cross-entropies (binary, categorical,
                                                sparse categorical) read the outputs as logits, Keras'
                                                from_logits=True: binary max(x, 0) - x y + log(1 + e^-|x|),
                                                categorical -sum_j y_j log softmax(x)_j (no row
                                                normalisation, no clip). Give the output layer no sigmoid
                                                or softmax then. 0 (default): probabilities */
    DEEP_MODEL_LABEL_SMOOTHING = 12,         /* float in [0, 1]: Keras' label_smoothing s of binary
                                                cross-entropy (targets y (1 - s) + s / 2) and categorical
                                                cross-entropy (y (1 - s) + s / classes); the sparse loss
                                                takes none (as Keras'), other losses ignore it. Default 0 */
    DEEP_MODEL_TOP_K = 13,                   /* int >= 1: k of DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY
                                                (default 5, Keras') */
    DEEP_MODEL_METRIC_THRESHOLD = 14         /* float, finite: the threshold of precision, recall and
                                                binary accuracy (default 0.5, Keras') */
} deep_model_option;

/* A new empty Sequential model whose samples have shape input_shape (Keras' input_shape,
 * channels last, without the batch axis): rank 1 to DEEP_MAX_SAMPLE_RANK (7; rank 8 is
 * DEEP_ERR_INVALID_ARGUMENT, as a batch of such samples would not be a tensor), every
 * dimension >= 1 (DEEP_ERR_INVALID_ARGUMENT) and at most DEEP_MAX_LAYER_SIZE elements in
 * all (DEEP_ERR_OVERFLOW). */
DEEP_API deep_status deep_model_new(int32_t rank, const int64_t *input_shape, deep_model **out);
DEEP_API void deep_model_free(deep_model *model);

/* Layers, appended in order. Shapes are checked as each layer is added, and the limits of
 * DEEP_MAX_LAYER_SIZE (2^31 - 1) and DEEP_MAX_SAMPLE_RANK (7) apply to every layer: a size
 * argument above the limit is DEEP_ERR_INVALID_ARGUMENT; an output with more elements or
 * a higher rank, a weight tensor with more elements (Dense's inputs * units, Conv2D's
 * kernel_h * kernel_w * channels * filters, Embedding's input_dim * output_dim, a recurrent
 * layer's features * gates * units) or more working memory per sample is DEEP_ERR_OVERFLOW
 * (DEEP_ERR_SHAPE for Embedding's extra axis), naming the layer's position and the field.
 * A failed add leaves the model as it was. */
/* Dense: Glorot-uniform kernel of shape (inputs, units) and zero bias, as Keras. As Keras'
 * Dense it acts on the last axis of its input: a rank-1 input (inputs,) gives (units,); a
 * (steps, inputs) input gives (steps, units), the same kernel applied to every step (what
 * Keras' TimeDistributed(Dense) does), with a softmax over each step's units. Add Flatten
 * first to mix all the features of a rank >= 2 input instead. */
DEEP_API deep_status deep_model_add_dense(deep_model *model, int64_t units, deep_activation activation,
                                          int32_t use_bias);
DEEP_API deep_status deep_model_add_activation(deep_model *model, deep_activation activation);
/* Dropout: zeroes a fraction `rate` in [0, 1) of its inputs while training and scales the
 * rest by 1 / (1 - rate); the identity at inference. The layer keeps rate as a float and
 * checks it as kept (0.99999999 rounds to 1 and is refused). */
DEEP_API deep_status deep_model_add_dropout(deep_model *model, double rate);
/* Regularisation layers of Keras (since 1.2), active while training only and the identity
 * at inference; their draws come from the model's generator (deep_model_set_seed).
 * SpatialDropout2D: drops whole channels of (height, width, channels) samples (another rank
 * is DEEP_ERR_SHAPE), one draw per sample and channel, scaling the kept ones by
 * 1 / (1 - rate), rate in [0, 1). GaussianNoise: adds normal noise of standard deviation
 * stddev, in [0, 1] as Keras requires. GaussianDropout: multiplies by normal noise of mean 1
 * and standard deviation sqrt(rate / (1 - rate)), rate in [0, 1). GaussianNoise and
 * GaussianDropout take any shape and pass masks on. */
DEEP_API deep_status deep_model_add_spatial_dropout2d(deep_model *model, double rate);
DEEP_API deep_status deep_model_add_gaussian_noise(deep_model *model, double stddev);
DEEP_API deep_status deep_model_add_gaussian_dropout(deep_model *model, double rate);
/* Activation layers with arguments (since 1.3), Keras' layers; element-wise, any input
 * shape, masks pass on. LeakyReLU: x for x >= 0, negative_slope * x below (Keras 3's
 * argument name, Keras 2's alpha; >= 0, Keras' default 0.3). ELU: x for x > 0,
 * alpha * (e^x - 1) below (any finite alpha, Keras' default 1). ReLU: Keras' formula
 * with max_value (>= 0; a negative value or infinity is Keras' None, no upper bound),
 * negative_slope (>= 0) and threshold: x where x > threshold, else 0, clipped to
 * [0, max_value] when there is a max_value, plus negative_slope * (x - threshold) where
 * x < threshold (Keras' defaults: None, 0, 0). Bad values are DEEP_ERR_INVALID_ARGUMENT. */
DEEP_API deep_status deep_model_add_leaky_relu(deep_model *model, double negative_slope);
DEEP_API deep_status deep_model_add_elu(deep_model *model, double alpha);
DEEP_API deep_status deep_model_add_relu(deep_model *model, double max_value, double negative_slope,
                                         double threshold);
/* PReLU (since 1.3), Keras' layer: x for x >= 0, alpha * x below, with one trainable weight
 * "alpha" of the sample's shape, except that it has size 1 along each of shared_axes
 * (shared_axes_count distinct 1-based sample axes, Keras' argument; 0 and NULL for None):
 * shared_axes {1, 2} on (height, width, channels) images learns one slope per channel. alpha
 * starts at zeros (Keras' alpha_initializer). An axis beyond the input's rank is
 * DEEP_ERR_SHAPE; a count outside 0..DEEP_MAX_SAMPLE_RANK, a repeated axis or a NULL array
 * with a count is DEEP_ERR_INVALID_ARGUMENT. */
DEEP_API deep_status deep_model_add_prelu(deep_model *model, int32_t shared_axes_count, const int64_t *shared_axes);
DEEP_API deep_status deep_model_add_flatten(deep_model *model);
/* Reshape, Keras' layer: the sample (not the batch axis) takes target_shape, rank 1 to
 * DEEP_MAX_SAMPLE_RANK, with the same number of elements, in the same (row-major) order.
 * One dimension may be -1: it is inferred from the others. A second -1, another value
 * below 1, or a total that does not match the input's elements is an error
 * (DEEP_ERR_INVALID_ARGUMENT for the arguments, DEEP_ERR_SHAPE for the element count,
 * naming the layer). */
DEEP_API deep_status deep_model_add_reshape(deep_model *model, int32_t rank, const int64_t *target_shape);

/* Layer graphs (Keras' functional API), since 1.1. A model is a graph of nodes: inputs,
 * and calls of layers on earlier nodes. deep_model_new makes node 0, the first input;
 * every deep_model_add_* adds a layer and the node calling it, on the last node (the
 * Sequential chain) or on the nodes chosen just before with deep_model_connect. Node
 * numbers are the model's, assigned in creation order (so a graph never has a cycle), and
 * stay valid while the model lives; layers are numbered in the order they were added, as
 * always. A model owns all its nodes and layers; there is nothing to free but the model.
 *
 *   int32_t image = 0, extra, a, b;                          // an image and 8 extra features
 *   deep_model_new(3, (int64_t[]){28, 28, 1}, &m);           // node 0
 *   deep_model_add_input(m, 1, (int64_t[]){8}, &extra);       // node 1
 *   deep_model_connect(m, &image, 1);                         // the next layer takes node 0
 *   deep_model_add_flatten(m);                                // node 2
 *   deep_model_add_dense(m, 32, DEEP_ACTIVATION_RELU, 1);     // node 3, on node 2 (the last node)
 *   deep_model_last_node(m, &a);
 *   deep_model_connect(m, &extra, 1);
 *   deep_model_add_dense(m, 32, DEEP_ACTIVATION_RELU, 1);     // node 4, on node 1
 *   deep_model_last_node(m, &b);
 *   deep_model_connect(m, (int32_t[]){a, b}, 2);
 *   deep_model_add_concatenate(m, -1);                        // node 5: (64,)
 *   deep_model_add_dense(m, 10, DEEP_ACTIVATION_SOFTMAX, 1);  // node 6, the output
 *
 * With several inputs, a dataset row (and a row of predict's input tensor, shaped
 * (n, total features)) holds each input's sample flattened, one after the other in the
 * order of deep_model_input_nodes. The output is the last node unless
 * deep_model_set_outputs says otherwise; with several, see deep_model_compile_outputs.
 * Compile checks the graph: every input must reach an output (DEEP_ERR_INVALID_ARGUMENT
 * naming a dangling input). Errors of these calls: a node number
 * outside the model is DEEP_ERR_OUT_OF_RANGE; a call after compile (or on a sub-model) is
 * DEEP_ERR_STATE; shapes a layer cannot take are DEEP_ERR_SHAPE at the call, naming the
 * layer, as for deep_model_add_*. */
/* A new input node of that sample shape (rules as deep_model_new's); at most 16 inputs. */
DEEP_API deep_status deep_model_add_input(deep_model *model, int32_t rank, const int64_t *shape, int32_t *node);
/* The next deep_model_add_* applies its new layer to these `count` nodes (1 for most
 * layers; 2 to 16 for merge layers such as deep_model_add_add; since 1.2 a recurrent layer's
 * sequence then its initial states, see deep_model_state_nodes) instead of the last node.
 * Applies to that one add; a failed add keeps it for the next. */
DEEP_API deep_status deep_model_connect(deep_model *model, const int32_t *nodes, int64_t count);
/* The node made last: the output of the layer added (or applied) last. */
DEEP_API deep_status deep_model_last_node(const deep_model *model, int32_t *node);
/* Applies layer `layer` (an index as in deep_model_get_weight; negative counts from the
 * end) again to `nodes`, sharing its weights (Keras calling one layer object twice:
 * Siamese networks, tied weights). The nodes must have the shapes of the layer's first
 * call (DEEP_ERR_SHAPE); a recurrent layer's sequence must, with or without initial states
 * after it (since 1.2). *node receives the new node. */
DEEP_API deep_status deep_model_apply_layer(deep_model *model, int32_t layer, const int32_t *nodes, int64_t count,
                                            int32_t *node);
/* Makes `nodes` the model's outputs (Keras' Model(inputs, outputs)); each must be a
 * layer's node. Without it the output is the last node. */
DEEP_API deep_status deep_model_set_outputs(deep_model *model, const int32_t *nodes, int64_t count);
/* The graph, read back: the number of nodes; the layer a node calls (-1 for an input);
 * its output shape per sample and its input nodes (buffer contract); the model's input
 * and output nodes (buffer contract). */
DEEP_API deep_status deep_model_node_count(const deep_model *model, int32_t *count);
DEEP_API deep_status deep_model_node_layer(const deep_model *model, int32_t node, int32_t *layer);
DEEP_API deep_status deep_model_node_shape(const deep_model *model, int32_t node, int64_t *shape, int64_t capacity,
                                           int64_t *needed);
DEEP_API deep_status deep_model_node_inputs(const deep_model *model, int32_t node, int32_t *nodes, int64_t capacity,
                                            int64_t *needed);
DEEP_API deep_status deep_model_input_nodes(const deep_model *model, int32_t *nodes, int64_t capacity,
                                            int64_t *needed);
DEEP_API deep_status deep_model_output_nodes(const deep_model *model, int32_t *nodes, int64_t capacity,
                                             int64_t *needed);
/* A new model made of the part of `model` between `inputs` and `outputs` (Keras'
 * Model(encoder_input, code) on a trained autoencoder's nodes): the inputs may be any
 * nodes (an intermediate node becomes an input of that shape), every output must be
 * computable from them alone and every input must reach an output
 * (DEEP_ERR_INVALID_ARGUMENT otherwise). Layers keep their names and configurations.
 * When `model` is compiled the sub-model shares its weights: it predicts at once, and
 * training either model (or deep_model_set_weight on either) changes both; the shared
 * weights live until both models are freed. Compiling the sub-model gives it a loss and an
 * optimizer but keeps those weights; its graph cannot change. Cut from an uncompiled
 * model, it has the architecture only, and compile gives it fresh weights. Free it with
 * deep_model_free. Threads: the two models share their weights, so the rules for one
 * model hold for them together: do not predict with one while the other trains (nothing
 * detects it). Saving an uncompiled sub-model saves its architecture only; compile it to
 * save its weights too. */
DEEP_API deep_status deep_model_submodel(const deep_model *model, const int32_t *inputs, int64_t input_count,
                                         const int32_t *outputs, int64_t output_count, deep_model **out);

/* Recurrent layers in graphs, since 1.2: Keras' initial_state and return_state for an
 * LSTM, GRU, SimpleRNN or Bidirectional.
 *
 * initial_state: apply the layer to its sequence followed by its initial states, h then c
 * for an LSTM ([sequence, h0, c0]) and h for a GRU or SimpleRNN ([sequence, h0]); a
 * Bidirectional layer takes its forward copy's states then its backward copy's
 * ([sequence, forward h0, forward c0, backward h0, backward c0] around an LSTM: add the LSTM
 * on the sequence, then deep_model_connect those nodes before deep_model_add_bidirectional,
 * which takes them instead of the LSTM's input); each state
 * node of shape (units,) (the wrapped layer's units); with deep_model_connect before its deep_model_add_* or with
 * deep_model_apply_layer. Another node count is DEEP_ERR_INVALID_ARGUMENT, another state
 * shape DEEP_ERR_SHAPE. A layer may be called with and without initial states. Gradients
 * flow into the state nodes; a padding step (masking) keeps the state, as Keras.
 *
 * return_state: deep_model_state_nodes gives the nodes of the final states of the call at
 * `node` (Keras' [output, h, c] = LSTM(..., return_state=True)(x)), by the buffer contract:
 * h and c for an LSTM, h for a GRU or SimpleRNN, both copies' in that order for a
 * Bidirectional layer (at most 4), each (units,) per sample, the state after
 * the last real step (the initial state if every step is padding). The first call that
 * writes them adds the state nodes to the graph (after the last node, all together; the size
 * query adds nothing), later calls give the same nodes. They feed other layers (the
 * decoder of a seq2seq model takes the encoder's states as its initial_state) or are model
 * outputs. A node that is not an LSTM, GRU, SimpleRNN or Bidirectional call's output is
 * DEEP_ERR_INVALID_ARGUMENT; after compile (or in a sub-model) existing state nodes are
 * given back and adding them is DEEP_ERR_STATE.
 * deep_model_node_layer names the state's layer and deep_model_node_inputs its call.
 * deep_model_node_output_index gives Keras' tensor index of a node: 0 for a layer call's
 * output or an input, k for the call's state k (1 for h, 2 for an LSTM's c, up to 4). */
DEEP_API deep_status deep_model_state_nodes(deep_model *model, int32_t node, int32_t *states, int64_t capacity,
                                            int64_t *needed);
DEEP_API deep_status deep_model_node_output_index(const deep_model *model, int32_t node, int32_t *index);

/* Layer names, since 1.3 (Keras' layer.name and name=). deep_model_layer_name gives layer
 * `layer`'s name (an index as in deep_model_get_weight; negative counts from the end) by
 * the buffer contract, the NUL included: the library's ("dense", "dense_1", ... numbered
 * per type in the model, skipping names already taken) unless deep_model_set_layer_name
 * gave it another. A name is 1 to 47 bytes of printable ASCII without '/' (which separates
 * the layer from its weight in the file's tensor names) and unique in the model
 * (DEEP_ERR_INVALID_ARGUMENT otherwise); it may change at any time but during fit
 * (DEEP_ERR_STATE or DEEP_ERR_THREAD). Summaries, messages and model files use it, and a
 * loaded model has the names it was saved with (a file with a given name needs 1.3 to
 * load). */
DEEP_API deep_status deep_model_layer_name(const deep_model *model, int32_t layer, char *name, int64_t capacity,
                                           int64_t *needed);
DEEP_API deep_status deep_model_set_layer_name(deep_model *model, int32_t layer, const char *name);

/* Merge layers (Keras' Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate),
 * since 1.1: they take 2 to 16 nodes chosen with deep_model_connect (one node is
 * DEEP_ERR_INVALID_ARGUMENT). The element-wise ones broadcast their inputs' shapes as
 * Keras 3 does (since 1.3; before, one shape only): NumPy's rule on the samples (never the
 * batch axis), shapes aligned at their last axes, a missing leading axis counting as 1, and
 * on each axis every input of the output's size or of 1, so (4, 4, 8) and (1, 1, 8), or
 * (5, 8) and (8,), give (4, 4, 8) and (5, 8); other shapes are DEEP_ERR_SHAPE naming both
 * (the inputs are folded in order, as Keras). A broadcast input's gradient is summed over
 * the values it gave. Subtract takes exactly two (the first minus the second). Maximum and
 * Minimum pass the gradient to the first input holding the extreme value. Concatenate joins
 * along `axis` (Keras': 1 is a sample's first axis, -1 its last; 0, the batch axis, and axes
 * beyond the samples' rank are DEEP_ERR_SHAPE), the inputs agreeing on every other axis.
 * Masks (since 1.3; before, a masked input was DEEP_ERR_INVALID_ARGUMENT), as Keras 3's
 * compute_mask: an element-wise merge's output has a mask when every input has one, their
 * logical OR, and none otherwise; Concatenate's has one when any input has one, an
 * unmasked input counting as all steps real: joined along the steps (axis 1) the masks are
 * joined, along another axis a step is real where any input's is. A masked input of an
 * element-wise merge must keep the output's rank and steps (DEEP_ERR_SHAPE naming it
 * otherwise). The values follow Keras 3 too: Add, Subtract and Average ignore the masks,
 * Multiply takes a padded step of an input as 1 (and gives 0 where every input is padding),
 * Maximum and Minimum take the extreme of the inputs that are not padding there (the first
 * input's value where all are). */
DEEP_API deep_status deep_model_add_add(deep_model *model);
DEEP_API deep_status deep_model_add_subtract(deep_model *model);
DEEP_API deep_status deep_model_add_multiply(deep_model *model);
DEEP_API deep_status deep_model_add_average(deep_model *model);
DEEP_API deep_status deep_model_add_maximum(deep_model *model);
DEEP_API deep_status deep_model_add_minimum(deep_model *model);
DEEP_API deep_status deep_model_add_concatenate(deep_model *model, int64_t axis);

/* Convolutional layers take and give channels-last samples (height, width, channels). */
typedef enum deep_padding {
    DEEP_PADDING_VALID = 0, /* no padding: the output shrinks by kernel - 1 */
    DEEP_PADDING_SAME = 1,  /* zero padding so that output = ceil(input / stride), as Keras */
    DEEP_PADDING_CAUSAL = 2 /* since 1.1, Conv1D only: zeros before the steps only, so output step t
                               sees input steps <= t (Keras' causal); the other layers refuse it */
} deep_padding;

/* Conv2D: `filters` kernels of kernel_h x kernel_w over all input channels, Glorot-uniform
 * kernel of shape (kernel_h, kernel_w, channels, filters) and zero bias, as Keras.
 * filters and the strides are 1..DEEP_MAX_LAYER_SIZE. The kernel must fit in the input
 * with `valid` padding; with `same` (where Keras allows a kernel larger than the input) it
 * may be at most 2 * input + 1 on each axis, i.e. at most the input's own size of padding
 * on each side; a larger one is DEEP_ERR_SHAPE ("layer 2 (conv2d): kernel_size 60 exceeds
 * the input height 28 ..."). Each sample's im2col rows (output positions x kernel_h x
 * kernel_w x channels values) must fit CBLAS' int (DEEP_ERR_OVERFLOW otherwise). */
DEEP_API deep_status deep_model_add_conv2d(deep_model *model, int64_t filters, int64_t kernel_h, int64_t kernel_w,
                                           int64_t stride_h, int64_t stride_w, deep_padding padding,
                                           deep_activation activation, int32_t use_bias);
/* MaxPooling2D and AveragePooling2D over pool_h x pool_w windows; strides 0 mean "equal to
 * the pool size" (Keras' strides=None), otherwise 1..DEEP_MAX_LAYER_SIZE. The window follows
 * Conv2D's rule: it fits in the input with `valid` padding and is at most 2 * input + 1 with
 * `same` (DEEP_ERR_SHAPE otherwise). Average pooling with `same` padding averages only the
 * cells inside the input. */
DEEP_API deep_status deep_model_add_max_pooling2d(deep_model *model, int64_t pool_h, int64_t pool_w,
                                                  int64_t stride_h, int64_t stride_w, deep_padding padding);
DEEP_API deep_status deep_model_add_average_pooling2d(deep_model *model, int64_t pool_h, int64_t pool_w,
                                                      int64_t stride_h, int64_t stride_w, deep_padding padding);
/* GlobalAveragePooling2D: (height, width, channels) to (channels,). */
DEEP_API deep_status deep_model_add_global_average_pooling2d(deep_model *model);
/* BatchNormalization over the last axis (channels, or features of a rank-1 input): learned
 * scale gamma and shift beta, moving mean and variance updated as
 * moving = momentum * moving + (1 - momentum) * batch statistic while training and used at
 * inference. Keras defaults: momentum 0.99, epsilon 0.001. Weights in Keras order: gamma,
 * beta, moving_mean, moving_variance (the last two are not trainable). */
DEEP_API deep_status deep_model_add_batch_normalization(deep_model *model, double momentum, double epsilon);
/* LayerNormalization, Keras' layer with axis=-1 (since 1.1): each sample's values along
 * its last axis (of an input of any rank) are normalised by their own mean and biased
 * variance, y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, the same in training
 * and inference. center != 0 adds the learned beta (zeros at first), scale != 0 the learned
 * gamma (ones at first), each of the last axis' size; weights in Keras order: gamma, beta.
 * epsilon is finite and > 0 as a float. Keras defaults: epsilon 0.001, center 1, scale 1.
 * A mask passes through unchanged. */
DEEP_API deep_status deep_model_add_layer_normalization(deep_model *model, double epsilon, int32_t center,
                                                        int32_t scale);
/* DepthwiseConv2D, Keras' layer (since 1.1): each input channel is convolved on its own
 * with depth_multiplier kernels of kernel_h x kernel_w, giving channels * depth_multiplier
 * output channels (output channel c * depth_multiplier + m from input channel c), then the
 * bias and the activation. Glorot-uniform kernel of shape (kernel_h, kernel_w, channels,
 * depth_multiplier) and zero bias (channels * depth_multiplier), as Keras; weights kernel,
 * bias. Strides, padding and the kernel's limits are Conv2D's; depth_multiplier is
 * 1..DEEP_MAX_LAYER_SIZE (Keras' default 1). */
DEEP_API deep_status deep_model_add_depthwise_conv2d(deep_model *model, int64_t kernel_h, int64_t kernel_w,
                                                     int64_t stride_h, int64_t stride_w, deep_padding padding,
                                                     int64_t depth_multiplier, deep_activation activation,
                                                     int32_t use_bias);
/* SeparableConv2D, Keras' layer (since 1.1): DepthwiseConv2D's convolution without its bias
 * (channels * depth_multiplier intermediate channels), then a pointwise 1x1 convolution to
 * `filters` channels, the bias and the activation. Glorot-uniform depthwise_kernel (kernel_h,
 * kernel_w, channels, depth_multiplier) and pointwise_kernel (1, 1, channels *
 * depth_multiplier, filters), zero bias (filters); weights in that order, as Keras. Limits
 * as DepthwiseConv2D's; filters is 1..DEEP_MAX_LAYER_SIZE and the intermediate has at most
 * DEEP_MAX_LAYER_SIZE elements per sample (DEEP_ERR_OVERFLOW). */
DEEP_API deep_status deep_model_add_separable_conv2d(deep_model *model, int64_t filters, int64_t kernel_h,
                                                     int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                                                     deep_padding padding, int64_t depth_multiplier,
                                                     deep_activation activation, int32_t use_bias);

/* Layers for sequences and shapes (since 1.1). A sequence sample is (steps, channels),
 * channels last as Keras. */
/* Conv1D, Keras' layer: `filters` kernels of kernel_size steps over all channels, (steps,
 * channels) to (output steps, filters); Glorot-uniform kernel of shape (kernel_size,
 * channels, filters) and zero bias, as Keras. filters, kernel_size, strides and
 * dilation_rate are 1..DEEP_MAX_LAYER_SIZE (Keras' defaults: strides 1, dilation_rate 1,
 * DEEP_PADDING_VALID, linear, use_bias 1); the taps of a window are dilation_rate steps apart,
 * so it spans dilation_rate * (kernel_size - 1) + 1 steps, and strides > 1 with
 * dilation_rate > 1 is DEEP_ERR_INVALID_ARGUMENT, as in Keras. Padding: `valid` (the span
 * fits in the steps), `same` (ceil(steps / strides) outputs; the span at most 2 * steps + 1)
 * or `causal` (dilation_rate * (kernel_size - 1) zeros before the steps only: output step t
 * sees inputs up to t; ceil(steps / strides) outputs). A span that does not fit is
 * DEEP_ERR_SHAPE; im2col rows beyond CBLAS' int DEEP_ERR_OVERFLOW, as Conv2D. Since 1.1. */
DEEP_API deep_status deep_model_add_conv1d(deep_model *model, int64_t filters, int64_t kernel_size, int64_t strides,
                                           deep_padding padding, int64_t dilation_rate, deep_activation activation,
                                           int32_t use_bias);
/* MaxPooling1D, Keras' layer: the largest value of each channel over windows of pool_size
 * steps (Keras' default 2), (steps, channels) to (output steps, channels). strides 0 means
 * pool_size (Keras' strides=None), otherwise 1..DEEP_MAX_LAYER_SIZE; valid or same padding
 * with Conv1D's window rule (DEEP_ERR_SHAPE otherwise). Since 1.1. */
DEEP_API deep_status deep_model_add_max_pooling1d(deep_model *model, int64_t pool_size, int64_t strides,
                                                  deep_padding padding);
/* GlobalAveragePooling1D, Keras' layer: (steps, channels) to (channels,), or to (1, channels)
 * with keepdims != 0. It takes masked inputs and ends the mask: the mean is over the real
 * steps only, as Keras; a sample whose steps are all padding gives zeros (where Keras would
 * divide by zero). Since 1.1. */
DEEP_API deep_status deep_model_add_global_average_pooling1d(deep_model *model, int32_t keepdims);
/* GlobalMaxPooling2D, Keras' layer: (height, width, channels) to (channels,), or to (1, 1,
 * channels) with keepdims != 0; the gradient goes to the first largest cell. Since 1.1. */
DEEP_API deep_status deep_model_add_global_max_pooling2d(deep_model *model, int32_t keepdims);
/* Permute, Keras' layer: output axis i of a sample is its input axis dims[i], numbered from 1
 * as Keras (the batch axis is not counted): dims = {2, 1} swaps the axes of a (steps,
 * channels) sample. dims must hold each of 1..rank once (DEEP_ERR_INVALID_ARGUMENT) and rank
 * must be the input's rank (DEEP_ERR_SHAPE). Since 1.1. */
DEEP_API deep_status deep_model_add_permute(deep_model *model, int32_t rank, const int32_t *dims);
/* RepeatVector, Keras' layer: (features,) samples to (n, features), the input n times
 * (n 1..DEEP_MAX_LAYER_SIZE; a rank other than 1 is DEEP_ERR_SHAPE). Since 1.1. */
DEEP_API deep_status deep_model_add_repeat_vector(deep_model *model, int64_t n);
/* Conv2DTranspose (since 1.1), Keras' layer: the transpose of Conv2D, which upsamples. Each
 * input cell (i, j) adds its channels times kernel[ky, kx, :, :] to output cell
 * (i * stride_h - pad_top + ky, j * stride_w - pad_left + kx). Glorot-uniform kernel of shape
 * (kernel_h, kernel_w, filters, channels), as Keras stores it, and zero bias. Output size
 * per axis, Keras' rules: `valid` gives (in - 1) * stride + kernel + output_padding, where
 * an inferred output_padding is max(kernel, stride) - kernel; `same` gives in * stride, or
 * (in - 1) * stride + kernel % 2 + output_padding when output_padding is given. Cells cut
 * from the full (in - 1) * stride + kernel result go half before (rounded down), half after,
 * as TensorFlow. output_padding_h and _w are both -1 (Keras' None: inferred) or each in
 * 0..stride - 1 (DEEP_ERR_INVALID_ARGUMENT otherwise); filters and strides 1..DEEP_MAX_LAYER_SIZE;
 * an output dimension below 1 is DEEP_ERR_SHAPE, one above DEEP_MAX_LAYER_SIZE
 * DEEP_ERR_OVERFLOW. Keras defaults: strides 1, 1, padding valid, output_padding -1, -1,
 * use_bias 1. */
DEEP_API deep_status deep_model_add_conv2d_transpose(deep_model *model, int64_t filters, int64_t kernel_h,
                                                     int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                                                     deep_padding padding, int64_t output_padding_h,
                                                     int64_t output_padding_w, deep_activation activation,
                                                     int32_t use_bias);
/* UpSampling2D (since 1.1), Keras' layer: (height, width, channels) to (height * size_h,
 * width * size_w, channels). size_h and size_w are 1..DEEP_MAX_LAYER_SIZE (Keras' default
 * 2, 2); an output above DEEP_MAX_LAYER_SIZE elements is DEEP_ERR_OVERFLOW. */
typedef enum deep_interpolation {
    DEEP_INTERPOLATION_NEAREST = 0, /* Keras' default: each cell repeated size_h x size_w times */
    DEEP_INTERPOLATION_BILINEAR = 1 /* linear in each axis between the two nearest input cells, with
                                       half-pixel centres (input coordinate (out + 0.5) / size - 0.5,
                                       clamped to the edge cells), as Keras, TensorFlow and PyTorch's
                                       align_corners=False */
} deep_interpolation;
DEEP_API deep_status deep_model_add_up_sampling2d(deep_model *model, int64_t size_h, int64_t size_w,
                                                  deep_interpolation interpolation);
/* ZeroPadding2D (since 1.1), Keras' layer: top and bottom rows, left and right columns of
 * zeros around each (height, width, channels) sample (Keras' padding ((top, bottom), (left,
 * right)); its default is 1 on each side). Cropping2D (since 1.1), Keras' layer: that many
 * rows and columns cut instead (Keras' default 0); at least one row and one column must stay
 * (DEEP_ERR_SHAPE otherwise). Each amount is 0..DEEP_MAX_LAYER_SIZE
 * (DEEP_ERR_INVALID_ARGUMENT otherwise). */
DEEP_API deep_status deep_model_add_zero_padding2d(deep_model *model, int64_t top, int64_t bottom, int64_t left,
                                                   int64_t right);
DEEP_API deep_status deep_model_add_cropping2d(deep_model *model, int64_t top, int64_t bottom, int64_t left,
                                               int64_t right);

/* Embedding, Keras' layer: each input value is a token id, an integer in [0, input_dim)
 * held as a float, replaced by its row of a (input_dim, output_dim) "embeddings" weight
 * (uniform in [-0.05, 0.05] at first). Samples (input_length,) become (input_length,
 * output_dim), ready for a recurrent layer (other input shapes get output_dim appended,
 * so the input's rank must be below DEEP_MAX_SAMPLE_RANK). input_dim * output_dim and the
 * output's elements are at most DEEP_MAX_LAYER_SIZE.
 * input_length 0 takes the input's length; otherwise the model's input must be
 * (input_length,). As the first layer, its ids are checked by fit, evaluate and predict:
 * a negative or too large id is DEEP_ERR_OUT_OF_RANGE and a non-integral one (or NaN)
 * DEEP_ERR_INVALID_ARGUMENT, naming the sample, the position and the value; sequences of
 * another length are DEEP_ERR_SHAPE. */
DEEP_API deep_status deep_model_add_embedding(deep_model *model, int64_t input_dim, int64_t output_dim,
                                              int64_t input_length);

/* Masks, as Keras': padded steps of a sequence are skipped by the recurrent layers. A mask
 * (one entry per sample and step) is made by a Masking layer, or by an Embedding with
 * DEEP_LAYER_MASK_ZERO 1 (id 0 is padding, as deep_dataset_new_sequences pads), passes
 * unchanged through Dropout, Activation, BatchNormalization (whose batch statistics count
 * the real steps only), LayerNormalization, Dense and recurrent layers with
 * return_sequences, Bidirectional ones included, through merge layers combined with the
 * other inputs' masks (since 1.3, see the merge layers), and ends at a recurrent layer without
 * return_sequences or at a GlobalAveragePooling1D (which averages the real steps only,
 * since 1.1). At a
 * padded step a recurrent layer carries its state over unchanged and outputs its previous
 * output (zeros before the first real step), so a sequence padded before ('pre') or after
 * ('post') gives what the unpadded sequence gives; padded steps get no gradient through
 * the cell. When the mask reaches a per-step output, the loss and metrics skip the padded
 * steps, as Keras': a batch's loss is the mean over its real steps, a metric the mean over
 * all the real steps of the pass; their targets are never read, and their predictions are
 * still computed. Other layers (Flatten, Conv2D, ...) cannot follow a mask: adding one is
 * DEEP_ERR_INVALID_ARGUMENT. */
/* Masking: a step of a (timesteps, features) sample is padding when all its features equal
 * mask_value (Keras' default 0.0; it must be finite). The output is the input with the
 * padding steps set to 0, as Keras' inputs * mask. */
DEEP_API deep_status deep_model_add_masking(deep_model *model, double mask_value);

/* Recurrent layers take samples of shape (timesteps, features), channels last as Keras
 * (a batch is (batch, timesteps, features)), and give (units,) — the last output — or,
 * with return_sequences != 0, (timesteps, units): one output per step, which is what a
 * recurrent layer stacked on top needs. activation acts inside the cell and must be
 * element-wise (not softmax). Their other Keras arguments are layer options
 * (deep_model_set_layer_int / _float below). units is at most DEEP_MAX_LAYER_SIZE divided
 * by the widest product's gate count (LSTM 4, GRU 6, SimpleRNN 1), since the gates of all
 * units form one CBLAS operand, and the kernel (features, gates * units) and the
 * recurrent_kernel (units, gates * units) have at most DEEP_MAX_LAYER_SIZE elements. */

/* LSTM, Keras' layer: gates i, f, c, o side by side in that order in a Glorot-uniform
 * kernel (features, 4 * units), an orthogonal recurrent_kernel (units, 4 * units) and a
 * bias (4 * units) that is zero except for ones in the forget gate's block
 * (unit_forget_bias). Weights in Keras order: kernel, recurrent_kernel, bias. Keras
 * defaults: activation tanh, recurrent_activation sigmoid, use_bias 1. Its input must have
 * rank 2: after another recurrent layer, that one needs return_sequences. */
DEEP_API deep_status deep_model_add_lstm(deep_model *model, int64_t units, deep_activation activation,
                                         deep_activation recurrent_activation, int32_t use_bias,
                                         int32_t return_sequences);

/* GRU, Keras' layer with its TensorFlow 2 default reset_after=True (DEEP_LAYER_RESET_AFTER): per step
 * z = recurrent_activation(x W_z + h R_z + b), r likewise, n = activation(x W_n + b_n +
 * r * (h R_n + b'_n)), h = z * h + (1 - z) * n; gates z, r, n side by side in a
 * Glorot-uniform kernel (features, 3 * units), an orthogonal recurrent_kernel
 * (units, 3 * units) and a zero bias (2, 3 * units): input bias, then recurrent bias.
 * Weights in Keras order: kernel, recurrent_kernel, bias. Keras defaults: activation tanh,
 * recurrent_activation sigmoid, use_bias 1. */
DEEP_API deep_status deep_model_add_gru(deep_model *model, int64_t units, deep_activation activation,
                                        deep_activation recurrent_activation, int32_t use_bias,
                                        int32_t return_sequences);
/* SimpleRNN, Keras' layer: per step h = activation(x . kernel + h . recurrent_kernel +
 * bias), with a Glorot-uniform kernel (features, units), an orthogonal recurrent_kernel
 * (units, units) and a zero bias (units), in that order. Keras default: activation tanh. */
DEEP_API deep_status deep_model_add_simple_rnn(deep_model *model, int64_t units, deep_activation activation,
                                               int32_t use_bias, int32_t return_sequences);

/* Bidirectional, Keras' wrapper: deep_model_add_bidirectional turns the recurrent layer
 * added just before (LSTM, GRU or SimpleRNN, not yet wrapped) into two copies of it, one
 * reading the steps first to last and one last to first, whose outputs are merged. With
 * return_sequences the backward copy's sequence is reversed back first, so that step t of
 * both lines up, as Keras does. The wrapped layer's arguments and its layer options
 * (dropout, recurrent_dropout, go_backwards, unit_forget_bias), set before or after
 * wrapping, apply to both copies; go_backwards makes the forward copy read backwards and
 * the backward copy forwards, as in Keras. Weights: the forward copy's, then the backward
 * copy's, each in the wrapped layer's order, named "forward_lstm/kernel", ...,
 * "backward_lstm/bias" (forward_gru/..., forward_simple_rnn/...), so twice the wrapped
 * layer's parameters. The summary shows it as "bidirectional (Bidirectional)". */
typedef enum deep_merge_mode {
    DEEP_MERGE_CONCAT = 0, /* Keras' default: (..., 2 * units), the forward outputs first */
    DEEP_MERGE_SUM = 1,    /* forward + backward, (..., units) */
    DEEP_MERGE_MUL = 2,    /* forward * backward */
    DEEP_MERGE_AVE = 3     /* (forward + backward) / 2 */
} deep_merge_mode;

/* Wraps the last layer in Bidirectional (above). An empty model is DEEP_ERR_STATE, as is a
 * compiled one; a last layer that is not recurrent or is already Bidirectional, or an
 * unknown merge_mode, is DEEP_ERR_INVALID_ARGUMENT. The model is unchanged on failure. */
DEEP_API deep_status deep_model_add_bidirectional(deep_model *model, deep_merge_mode merge_mode);

/* Options of one layer, the Keras arguments that do not change its output shape. They are
 * set before deep_model_compile (DEEP_ERR_STATE after); an option the layer's type does
 * not take, the wrong setter or a value out of range is DEEP_ERR_INVALID_ARGUMENT. */
typedef enum deep_layer_option {
    DEEP_LAYER_DROPOUT = 1,           /* float in [0, 1), default 0: recurrent layers, fraction of the input
                                         features dropped while training (one mask per sample for all steps) */
    DEEP_LAYER_RECURRENT_DROPOUT = 2, /* float in [0, 1), default 0: recurrent layers, the same for the state
                                         h_{t-1} that feeds the recurrent kernel */
    DEEP_LAYER_GO_BACKWARDS = 3,      /* int 0 or 1, default 0: recurrent layers process the steps last to first
                                         (and return the sequence in that order, as Keras) */
    DEEP_LAYER_UNIT_FORGET_BIAS = 4,  /* int 0 or 1, default 1: LSTM, the forget gate's bias starts at 1 */
    DEEP_LAYER_MASK_ZERO = 5,         /* int 0 or 1, default 0: Embedding of (input_length,) ids, id 0 is padding
                                         and masks its step (Keras' mask_zero; input_dim must then be the
                                         vocabulary size plus 1, at least 2) */
    DEEP_LAYER_RESET_AFTER = 6        /* int 0 or 1, default 1 (TensorFlow 2 Keras): GRU. With 0 the reset gate
                                         multiplies h before the recurrent kernel, n = activation(x W_n + b_n +
                                         (r * h) R_n), and the bias is one (3 * units) vector, as Keras' */
} deep_layer_option;

/* layer counts from 0 in the order of the deep_model_add_* calls; negative values count
 * from the end, so -1 is the layer added last. Float options are kept as float and
 * checked as kept. */
DEEP_API deep_status deep_model_set_layer_int(deep_model *model, int32_t layer, deep_layer_option option,
                                              int64_t value);
DEEP_API deep_status deep_model_set_layer_float(deep_model *model, int32_t layer, deep_layer_option option,
                                                double value);
/* The option's current value (the default when never set), before or after compile, with
 * the same layer indexing; an option that layer's type does not have, or the wrong getter,
 * is DEEP_ERR_INVALID_ARGUMENT. A float option reads back as the float the layer keeps. */
DEEP_API deep_status deep_model_get_layer_int(const deep_model *model, int32_t layer, deep_layer_option option,
                                              int64_t *value);
DEEP_API deep_status deep_model_get_layer_float(const deep_model *model, int32_t layer, deep_layer_option option,
                                                double *value);

/* Initialisers, regularisers and constraints of a layer's weights (since 1.2), Keras'
 * kernel_initializer, bias_regularizer, kernel_constraint, ... A role names which weights
 * of the layer a setting is for, by their Keras names: the kernel role covers "kernel",
 * "depthwise_kernel" and "pointwise_kernel" (SeparableConv2D's two) and an Embedding's
 * "embeddings"; Bidirectional's forward and backward copies share the settings. The
 * activity role (regularisers only) is the layer's output. Settings are made before
 * deep_model_compile (DEEP_ERR_STATE after, as layer options), the layer is indexed as by
 * deep_model_set_layer_int, a layer without a weight of that role (a bias role with
 * use_bias 0) is DEEP_ERR_INVALID_ARGUMENT, and they are saved in model files. */
typedef enum deep_weight_role {
    DEEP_WEIGHT_KERNEL = 0,           /* kernel_*, depthwise_* and pointwise_*, embeddings_* */
    DEEP_WEIGHT_BIAS = 1,             /* bias_* */
    DEEP_WEIGHT_RECURRENT_KERNEL = 2, /* recurrent_* of LSTM, GRU, SimpleRNN */
    DEEP_WEIGHT_GAMMA = 3,            /* gamma_* of BatchNormalization and LayerNormalization */
    DEEP_WEIGHT_BETA = 4,             /* beta_* of the same */
    DEEP_WEIGHT_ACTIVITY = 5          /* activity_regularizer: the layer's output */
} deep_weight_role;

/* Keras' initialisers, drawn from the model's generator (deep_model_set_seed) by compile.
 * fan_in and fan_out are Keras': a weight of shape (n,) has both n, (in, out) has in and
 * out, and a convolution kernel (..., in, out) has its receptive field (the product of
 * the leading axes) times in and times out. "Truncated" normals redraw every value more
 * than 2 standard deviations from the mean, and the variance-scaling ones divide their
 * standard deviation by 0.87962566103423978 (the truncated standard normal's) so that the
 * result has the variance named. a and b are the parameters listed; those without are
 * ignored and read back as 0. */
typedef enum deep_initializer {
    DEEP_INITIALIZER_DEFAULT = 0,          /* the layer's own, as documented with its add function */
    DEEP_INITIALIZER_ZEROS = 1,
    DEEP_INITIALIZER_ONES = 2,
    DEEP_INITIALIZER_CONSTANT = 3,         /* a: the value (finite) */
    DEEP_INITIALIZER_RANDOM_NORMAL = 4,    /* a: mean, b: stddev > 0 (Keras' 0, 0.05) */
    DEEP_INITIALIZER_RANDOM_UNIFORM = 5,   /* U(a, b), a < b (Keras' -0.05, 0.05) */
    DEEP_INITIALIZER_TRUNCATED_NORMAL = 6, /* a: mean, b: stddev > 0 of the normal before truncation
                                              (Keras' 0, 0.05) */
    DEEP_INITIALIZER_GLOROT_UNIFORM = 7,   /* U(-l, l), l = sqrt(6 / (fan_in + fan_out)) */
    DEEP_INITIALIZER_GLOROT_NORMAL = 8,    /* truncated, variance 2 / (fan_in + fan_out) */
    DEEP_INITIALIZER_HE_NORMAL = 9,        /* truncated, variance 2 / fan_in */
    DEEP_INITIALIZER_HE_UNIFORM = 10,      /* U(-l, l), l = sqrt(6 / fan_in) */
    DEEP_INITIALIZER_LECUN_NORMAL = 11,    /* truncated, variance 1 / fan_in */
    DEEP_INITIALIZER_LECUN_UNIFORM = 12,   /* U(-l, l), l = sqrt(3 / fan_in) */
    DEEP_INITIALIZER_ORTHOGONAL = 13       /* a: gain, finite (Keras' 1): gain times an orthogonal matrix
                                              of (product of all axes but the last, last axis) */
} deep_initializer;
/* Since 1.2. */
DEEP_API deep_status deep_model_set_layer_initializer(deep_model *model, int32_t layer, deep_weight_role role,
                                                      deep_initializer initializer, double a, double b);
/* Since 1.2: the initializer and its parameters (DEEP_INITIALIZER_DEFAULT, 0, 0 when never set). */
DEEP_API deep_status deep_model_get_layer_initializer(const deep_model *model, int32_t layer, deep_weight_role role,
                                                      deep_initializer *initializer, double *a, double *b);
/* Keras' initializer seed= (since 1.3): with seeded 1, the initializer set for the role
 * (deep_model_set_layer_initializer, which must come first and clears any seed) draws from
 * its own generator started from `seed` instead of the model's (deep_model_set_seed): the
 * same seed gives the same weights whatever the model's seed, the layers before it and the
 * thread count, and two weights given one seed get the same draws (as Keras 3 does with one
 * seeded initializer object). The model's generator is then not drawn from for those weights,
 * so the weights initialised after them (by other seedless initializers) may differ from a
 * run without the seed. seeded 0 removes the seed. Set before compile (DEEP_ERR_STATE after);
 * DEEP_ERR_STATE for a role whose initializer is the layer's default, DEEP_ERR_INVALID_ARGUMENT
 * for zeros, ones and constant (they draw nothing). Saved in model files. */
DEEP_API deep_status deep_model_set_layer_initializer_seed(deep_model *model, int32_t layer, deep_weight_role role,
                                                           int32_t seeded, uint64_t seed);
/* Since 1.3: whether the role's initializer has a seed (0 or 1) and the seed (0 without). */
DEEP_API deep_status deep_model_get_layer_initializer_seed(const deep_model *model, int32_t layer,
                                                           deep_weight_role role, int32_t *seeded, uint64_t *seed);

/* Keras' L1L2 regulariser (l1 and l2 finite and >= 0; 0, 0 is none, the default): the
 * loss that fit, evaluate, train_on_batch and test_on_batch report and minimise gains
 * l1 * sum(|w|) + l2 * sum(w^2) for each weight of the role (Keras' formula: no factor
 * 1/2), and, for DEEP_WEIGHT_ACTIVITY, l1 * sum(|y|) + l2 * sum(y^2) over each call's
 * output y divided by the batch size (as Keras). The gradient of |w| at 0 is 0. With
 * several outputs the per-output losses leave it out and the total loss has it, as Keras'.
 * An activity regulariser on an output layer whose activation the loss fuses with
 * (softmax with categorical cross-entropy, sigmoid with binary cross-entropy) made compile
 * fail with DEEP_ERR_UNSUPPORTED in 1.2; since 1.3 it works there too (its gradient is
 * taken through the activation). */
/* Since 1.2. */
DEEP_API deep_status deep_model_set_layer_regularizer(deep_model *model, int32_t layer, deep_weight_role role,
                                                      double l1, double l2);
/* Since 1.2: the l1 and l2 set (0, 0 when never set). */
DEEP_API deep_status deep_model_get_layer_regularizer(const deep_model *model, int32_t layer, deep_weight_role role,
                                                      double *l1, double *l2);

/* Keras' weight constraints, applied to the weights of the role after every update of fit
 * and train_on_batch. Norms are sqrt(sum(w^2)) over the given axes of the weight, one per
 * position of the other axes, and eps is 1e-7 (Keras' epsilon):
 * w * clip(norm, min, max) / (eps + norm), or w / (eps + norm) for the unit norm. */
typedef enum deep_constraint {
    DEEP_CONSTRAINT_NONE = 0,         /* the default */
    DEEP_CONSTRAINT_MAX_NORM = 1,     /* norms clipped to [0, max_value] (Keras' max_value 2) */
    DEEP_CONSTRAINT_NON_NEG = 2,      /* max(w, 0) */
    DEEP_CONSTRAINT_UNIT_NORM = 3,    /* norms made 1 */
    DEEP_CONSTRAINT_MIN_MAX_NORM = 4  /* norms become rate * clip(norm, min_value, max_value) + (1 - rate) *
                                         norm (Keras' 0, 1, rate 1) */
} deep_constraint;
/* Since 1.2. min_value and max_value finite with 0 <= min_value <= max_value (only max_value for
 * MAX_NORM, which needs max_value >= 0), rate in [0, 1] (MIN_MAX_NORM; otherwise ignored
 * and read back as 0, as are unused values). axes: axis_count (1..8) distinct axes of the
 * weight, negative ones counting from the end as in Python (Keras' axis=0 is {0}, its
 * [0, 1, 2] for a convolution kernel {0, 1, 2}); checked against each weight's rank at
 * compile. NON_NEG and NONE take no axes (axes may be NULL, axis_count 0). DEEP_WEIGHT_ACTIVITY
 * is DEEP_ERR_INVALID_ARGUMENT. */
DEEP_API deep_status deep_model_set_layer_constraint(deep_model *model, int32_t layer, deep_weight_role role,
                                                     deep_constraint constraint, double min_value,
                                                     double max_value, double rate, const int32_t *axes,
                                                     int32_t axis_count);
/* Since 1.2: the constraint, its values and its axes: axes has room for 8 (DEEP_MAX_RANK) entries, of
 * which *axis_count are set; axes may be NULL to skip them. */
DEEP_API deep_status deep_model_get_layer_constraint(const deep_model *model, int32_t layer, deep_weight_role role,
                                                     deep_constraint *constraint, double *min_value,
                                                     double *max_value, double *rate, int32_t *axes,
                                                     int32_t *axis_count);

/* Seeds the model's random generator: weight initialisation (done by compile), shuffling
 * and dropout. Same seed and settings give the same training run. Default seed 0.
 * DEEP_ERR_STATE from fit's callbacks. */
DEEP_API deep_status deep_model_set_seed(deep_model *model, uint64_t seed);
DEEP_API deep_status deep_model_set_int(deep_model *model, deep_model_option option, int64_t value);
DEEP_API deep_status deep_model_set_float(deep_model *model, deep_model_option option, double value);
/* String options (DEEP_MODEL_CHECKPOINT_PATH): the model keeps a copy; NULL clears it. */
DEEP_API deep_status deep_model_set_string(deep_model *model, deep_model_option option, const char *value);
/* The current value of an option, e.g. DEEP_MODEL_INITIAL_EPOCH after loading a checkpoint;
 * the getter of another kind than the option's is DEEP_ERR_INVALID_ARGUMENT. A string
 * option comes back as text by the buffer contract; an unset one (NULL) is "" (needed 1). */
DEEP_API deep_status deep_model_get_int(const deep_model *model, deep_model_option option, int64_t *value);
DEEP_API deep_status deep_model_get_float(const deep_model *model, deep_model_option option, double *value);
DEEP_API deep_status deep_model_get_string(const deep_model *model, deep_model_option option, char *buffer,
                                           int64_t capacity, int64_t *needed);
/* The seed last given to deep_model_set_seed (0 by default; a loaded model's saved seed). */
DEEP_API deep_status deep_model_get_seed(const deep_model *model, uint64_t *seed);
/* Progress lines ("epoch 3/10 - 2.1s - loss: 0.3120 - accuracy: 0.8861") go here. NULL
 * (the default) discards them. May be changed from fit's callbacks. */
DEEP_API deep_status deep_model_set_log(deep_model *model, deep_log_fn log, void *user);
/* The log callback and its user pointer (NULL, NULL by default); either output may be NULL. */
DEEP_API deep_status deep_model_get_log(const deep_model *model, deep_log_fn *log, void **user);

/* Called after every training batch with its mean loss; return nonzero to stop fit. */
typedef int32_t (*deep_batch_fn)(void *user, int64_t epoch, int64_t batch, double loss);
/* Called after every epoch (0-based) once its history is recorded; the callback may read
 * deep_model_history and change the learning rate through deep_model_optimizer. Return
 * nonzero to stop fit.
 * What fit's callbacks (these two and the log) may do with the model being trained, as a
 * Keras callback may: read it (history, weights, summary, predict), save it, change the
 * optimizer's settings (deep_optimizer_set_float on deep_model_optimizer's optimizer:
 * from the next batch), set weights (deep_model_set_weight: the next batch trains from
 * them), change the log and the callbacks, and the options DEEP_MODEL_SHUFFLE,
 * DEEP_MODEL_VERBOSE and DEEP_MODEL_EARLY_STOPPING_MIN_DELTA. Refused with DEEP_ERR_STATE,
 * leaving the model as it was: the other options (patience, checkpoint period and path,
 * threads, validation split, initial epoch), the seed, compile, adding layers and layer
 * options. fit and evaluate of the same model are DEEP_ERR_THREAD (it is busy). A callback
 * must not free the model. */
typedef int32_t (*deep_epoch_fn)(void *user, deep_model *model, int64_t epoch);
DEEP_API deep_status deep_model_set_callbacks(deep_model *model, deep_batch_fn on_batch, deep_epoch_fn on_epoch,
                                              void *user);
/* The callbacks and their user pointer (NULL by default); any output may be NULL. */
DEEP_API deep_status deep_model_get_callbacks(const deep_model *model, deep_batch_fn *on_batch,
                                              deep_epoch_fn *on_epoch, void **user);

/* Keras' build (since 1.2): gives the model its weights, initialised from the seed as
 * compile initialises them, without an optimizer, loss or metrics, so that predict,
 * deep_model_predict_states, deep_model_get_weight / deep_model_set_weight and
 * deep_model_copy_weights work before compile (fit, evaluate and the *_on_batch calls
 * still need compile). Layers, graph calls and layer options are fixed from then on
 * (DEEP_ERR_STATE, as after compile). Nothing happens for a model that has weights already
 * (compiled, built, or a sub-model); an empty graph (no outputs yet) is DEEP_ERR_STATE. A
 * built model saved before compile is saved as an uncompiled one: its architecture only. */
DEEP_API deep_status deep_model_build(deep_model *model);
/* Initialises the weights and fixes the training configuration. The model takes
 * ownership of optimizer in every case, even when compile fails. metrics may be NULL
 * when metric_count is 0. Compiling again re-initialises the weights (except a sub-model's,
 * which keeps the weights it shares). DEEP_ERR_STATE from fit's callbacks.
 * Since 1.2, the first compile of a model given weights by deep_model_build keeps those
 * weights, with any the caller set (Keras' compile never re-initialises); the random
 * generator then continues as after an initialising compile (build then compile trains
 * exactly as compile alone). Every later compile re-initialises, as above. */
DEEP_API deep_status deep_model_compile(deep_model *model, deep_optimizer *optimizer, deep_loss loss,
                                        const deep_metric *metrics, int64_t metric_count);
/* Compile for a model with several outputs (since 1.1): losses[k] (and, unless
 * loss_weights is NULL, weight loss_weights[k], finite and >= 0; 1 by default) for output
 * k, output_count being the model's number of outputs (DEEP_ERR_INVALID_ARGUMENT otherwise).
 * The model minimises the weighted sum of the outputs' losses (Keras' loss_weights); the
 * metrics are computed for every output. The data: float targets (a dataset's
 * deep_dataset_set_targets, train_on_batch's y of shape (n, width)) whose rows hold every
 * output's targets one after the other, each the output's size, or one label (a whole
 * number) for sparse categorical cross-entropy. deep_model_compile gives every output the
 * same loss. Outputs carrying a mask are DEEP_ERR_UNSUPPORTED with several outputs. Takes
 * the optimizer as deep_model_compile does, also on failure. */
DEEP_API deep_status deep_model_compile_outputs(deep_model *model, deep_optimizer *optimizer, const deep_loss *losses,
                                                const double *loss_weights, int64_t output_count,
                                                const deep_metric *metrics, int64_t metric_count);
/* The optimizer the model was compiled with, still owned by the model. */
DEEP_API deep_status deep_model_optimizer(deep_model *model, deep_optimizer **optimizer);

/* Keras' metric object arguments, one compiled metric at a time (since 1.3), so that two
 * metrics of one kind with different settings coexist (Precision(class_id=0) and
 * Precision(class_id=1)). `metric` is the metric's position in compile's list (0-based;
 * outside it DEEP_ERR_OUT_OF_RANGE, before compile DEEP_ERR_STATE); the setting applies to
 * that metric of every output. Every compile starts the settings afresh (none set); they are
 * saved with the compiled model, and are refused from fit's callbacks (DEEP_ERR_STATE) as
 * the model options are. A metric that Keras' does not give the option to, or an int option
 * through the float call, is DEEP_ERR_INVALID_ARGUMENT. The getters give the value in use:
 * the one set, else the model-wide option or Keras' default. Keras' list of thresholds (one
 * value per threshold) is not offered: one threshold per metric. */
typedef enum deep_metric_option {
    DEEP_METRIC_OPTION_THRESHOLD = 1,      /* float, finite: precision, recall (Keras' thresholds) and binary
                                              accuracy (threshold); when not set, DEEP_MODEL_METRIC_THRESHOLD,
                                              or for precision and recall with a top_k, -1e10 (Keras' NEG_INF:
                                              the top k entries count as predicted) */
    DEEP_METRIC_OPTION_CLASS_ID = 2,       /* int: precision and recall of one class only, the entry class_id of
                                              the last axis (0..classes - 1 of every output); -1 (the default)
                                              counts every entry */
    DEEP_METRIC_OPTION_TOP_K = 3,          /* int >= 1: precision and recall: only each row's top_k largest
                                              outputs may count as predicted (Keras' top_k: the others become
                                              -1e10 before the threshold; ties go to the lower index, as
                                              top_k's); 0 (the default) is none. Top-k categorical accuracy: its
                                              k (when not set, DEEP_MODEL_TOP_K) */
    DEEP_METRIC_OPTION_NUM_THRESHOLDS = 4  /* int in 2..1000: the AUCs' num_thresholds (Keras' default 200):
                                              -1e-7, 1/(n - 1), ..., (n - 2)/(n - 1), 1 + 1e-7 */
} deep_metric_option;
DEEP_API deep_status deep_model_set_metric_int(deep_model *model, int32_t metric, deep_metric_option option,
                                               int64_t value);
DEEP_API deep_status deep_model_set_metric_float(deep_model *model, int32_t metric, deep_metric_option option,
                                                 double value);
DEEP_API deep_status deep_model_get_metric_int(const deep_model *model, int32_t metric, deep_metric_option option,
                                               int64_t *value);
DEEP_API deep_status deep_model_get_metric_float(const deep_model *model, int32_t metric, deep_metric_option option,
                                                 double *value);

/* Keras' loss object arguments of one output (since 1.3), for a model of several whose
 * losses differ (from_logits on one output only, label smoothing on another): the model
 * options DEEP_MODEL_FROM_LOGITS (int), DEEP_MODEL_LABEL_SMOOTHING and DEEP_MODEL_HUBER_DELTA
 * (floats), with their rules, for output `output` (0-based, in the order of
 * deep_model_output_nodes; outside it DEEP_ERR_OUT_OF_RANGE). An output's value, once set,
 * replaces the model-wide one for that output; unset, the output uses the model's (the
 * getters give the value in use). Set after compile (DEEP_ERR_STATE before); every compile
 * starts them afresh; saved with the compiled model; refused from fit's callbacks. Another
 * option, or the wrong call for its type, is DEEP_ERR_INVALID_ARGUMENT. An output reading
 * logits is not fused with a softmax or sigmoid of its layer (the gradient is the logits
 * loss's own). A log_softmax output with a categorical cross-entropy needs from_logits at
 * compile (the model-wide option, which compile checks); turning it off for that output is
 * DEEP_ERR_INVALID_ARGUMENT. */
DEEP_API deep_status deep_model_set_output_int(deep_model *model, int32_t output, deep_model_option option,
                                               int64_t value);
DEEP_API deep_status deep_model_set_output_float(deep_model *model, int32_t output, deep_model_option option,
                                                 double value);
DEEP_API deep_status deep_model_get_output_int(const deep_model *model, int32_t output, deep_model_option option,
                                               int64_t *value);
DEEP_API deep_status deep_model_get_output_float(const deep_model *model, int32_t output, deep_model_option option,
                                                 double *value);

/* Keras' ReduceLROnPlateau as a setting of fit (since 1.1): after each epoch, when the
 * monitored loss (the validation loss when fit has validation data, else the training
 * loss) has not fallen below its best by more than min_delta for `patience` epochs, the
 * optimizer's learning rate is multiplied by factor (never below min_lr; nothing when it is
 * at min_lr already), and the next `cooldown` epochs count nothing. Keras' defaults:
 * factor 0.1, patience 10, min_delta 1e-4, cooldown 0, min_lr 0. factor 0 (the default)
 * turns it off; otherwise factor in (0, 1), patience and cooldown in [0, INT32_MAX],
 * min_delta and min_lr finite and >= 0. Its state starts afresh with every fit call (a
 * resumed checkpoint too); the settings are not saved in model files (a Keras callback is
 * not). fit fails with DEEP_ERR_STATE when it is on and the optimizer has a schedule. May
 * be called from fit's callbacks (from the next epoch). With DEEP_MODEL_VERBOSE, each
 * reduction logs a line. */
DEEP_API deep_status deep_model_set_reduce_lr_on_plateau(deep_model *model, double factor, int64_t patience,
                                                         double min_delta, int64_t cooldown, double min_lr);
/* The settings above (all 0 when it was never turned on); any output may be NULL. Since 1.1. */
DEEP_API deep_status deep_model_get_reduce_lr_on_plateau(const deep_model *model, double *factor, int64_t *patience,
                                                         double *min_delta, int64_t *cooldown, double *min_lr);

/* Trains for `epochs` passes over train in batches of batch_size. validation may be NULL;
 * when given it replaces DEEP_MODEL_VALIDATION_SPLIT. A non-finite loss stops training
 * with DEEP_ERR_NUMERIC naming the epoch and batch. epochs and batch_size are at most
 * INT32_MAX (a larger batch_size is DEEP_ERR_INVALID_ARGUMENT, not cut to the data). */
DEEP_API deep_status deep_model_fit(deep_model *model, const deep_dataset *train, int64_t epochs,
                                    int64_t batch_size, const deep_dataset *validation);
/* Epochs recorded by the last fit. */
DEEP_API deep_status deep_model_history_length(const deep_model *model, int64_t *epochs);
/* The value of a compiled metric (or DEEP_METRIC_LOSS) at an epoch of the last fit, on
 * the training data or (validation != 0) on the validation data. With several outputs the
 * loss is the total (weighted) loss and a metric is the first output's. */
DEEP_API deep_status deep_model_history(const deep_model *model, int64_t epoch, deep_metric metric,
                                        int32_t validation, double *value);
/* The same for output `output` of a model with several (0-based, in the order of
 * deep_model_output_nodes; -1 is deep_model_history's total): its own loss (unweighted) or
 * its value of a compiled metric (Keras' "dense_2_loss", "dense_2_accuracy"). Since 1.1. */
DEEP_API deep_status deep_model_history_output(const deep_model *model, int64_t epoch, int32_t output,
                                               deep_metric metric, int32_t validation, double *value);
/* The history of the last fit drawn as an SVG file at path, replaced atomically: one panel
 * per quantity (the loss, then each compiled metric in compile order; with several
 * outputs, the values deep_model_history gives), each with the training curve over the
 * epochs and, when the fit had validation data, the validation curve, a legend and axes.
 * A model not yet fitted is DEEP_ERR_STATE; a file that cannot be written is DEEP_ERR_IO
 * naming path. Since 1.1. */
DEEP_API deep_status deep_model_history_svg(const deep_model *model, const char *path);

/* Mean loss then each compiled metric, in compile order: metric_count + 1 values (buffer
 * contract; the size query does not evaluate). batch_size is 1..INT32_MAX, as for fit.
 * With k > 1 outputs, Keras' order: the total loss, each output's loss, then for each
 * output its metrics: 1 + k * (1 + metric_count) values. */
DEEP_API deep_status deep_model_evaluate(deep_model *model, const deep_dataset *data, int64_t batch_size,
                                         double *values, int64_t capacity, int64_t *needed);
/* Input shapes (Keras' rule, since 1.2): fit, evaluate and predict (and
 * deep_model_predict_states) take samples of exactly the model's input shape: a dataset's
 * sample shape, or a tensor's shape after the batch axis. For 1.x compatibility a flat
 * sample of as many features is accepted too (a dataset of sample shape (784,), a tensor
 * (n, 784)) and read row-major as the input shape, as 1.0 read every sample. Another shape
 * holding as many values, e.g. (3, 32, 32) for a (32, 32, 3) model, or (28, 28) for a
 * (784,) one, is DEEP_ERR_SHAPE naming the axis that differs and, for a channels-first
 * image, saying so (reshape explicitly with deep_dataset_reshape / deep_tensor_reshape;
 * 1.0 and 1.1 accepted it because only the counts were compared). A tensor of exactly the
 * input shape is one sample without the batch axis: DEEP_ERR_SHAPE saying to add it. The
 * *_on_batch calls take exactly (n, input shape...), as since 1.0. Features passed as a
 * flat float array with a count (deep_dataset_new's features, deep_tensor_new_from's data)
 * carry no shape of their own: the shape given with them is the one checked. Models of
 * several inputs take flat rows (their inputs one after the other): only the count is
 * checked there.
 * Before compile, predict needs the weights of deep_model_build (since 1.2). */
/* Outputs for inputs of shape (n, input shape...) as a new tensor (n, output shape...);
 * with several outputs (n, their sizes summed), each sample's outputs flattened one after
 * the other in the order of deep_model_output_nodes. Threads: see the model options above
 * (large batches are split among threads; any number of threads may predict with one
 * model at once). */
DEEP_API deep_status deep_model_predict(const deep_model *model, const deep_tensor *inputs, deep_tensor **out);
/* Keras' return_state for a Sequential model: runs the model on inputs (n, input shape...)
 * up to recurrent layer `layer` (negative counts from the end) and writes that layer's final
 * states into caller-owned tensors of shape (n, units): h (required), and for an LSTM c
 * (NULL to skip it; any other layer type takes NULL only). The final states are those after
 * the layer's last step (the first input step with go_backwards; padded steps carry them
 * over), so h equals the layer's output without return_sequences and the last step of its
 * output sequence with it. Like deep_model_predict it only reads the model: any number of
 * threads may call it at once. Before compile (or since 1.2 deep_model_build)
 * DEEP_ERR_STATE; a layer that is not recurrent DEEP_ERR_INVALID_ARGUMENT; a Bidirectional
 * layer DEEP_ERR_UNSUPPORTED (its two directions have separate states); tensors of another
 * shape DEEP_ERR_SHAPE. */
DEEP_API deep_status deep_model_predict_states(const deep_model *model, const deep_tensor *inputs, int32_t layer,
                                               deep_tensor *state_h, deep_tensor *state_c);

/* Online training, Keras' train_on_batch / test_on_batch / predict_on_batch: one step on
 * arrays the caller passes, without a dataset, for reinforcement learning, online learning
 * and serving. x is a batch (n, input shape...) with exactly the model's input shape after
 * the batch axis, n from 1 to INT32_MAX; a wrong rank or axis is DEEP_ERR_SHAPE naming the
 * axis. y holds float targets (n, output shape...) (for one output per sample (n,) too),
 * or, for sparse categorical cross-entropy, the class labels as floats, shape (n,) or
 * (n, 1): whole numbers in 0..outputs - 1 (DEEP_ERR_OUT_OF_RANGE otherwise, naming the
 * sample). values receives the loss then each compiled metric, in compile order, as
 * deep_model_evaluate gives them (1 + metric count entries; convention 1: capacity 0 is
 * the size query and runs nothing, a smaller capacity is DEEP_ERR_BUFFER_TOO_SMALL).
 * The model keeps one workspace for these three calls, grown to the largest batch seen
 * (freed with the model): after the first call with a batch size, calls with that size or
 * a smaller one allocate nothing. Threads: as fit, one call at a time per model; they use
 * the model's threads (DEEP_MODEL_THREADS) as fit does, and fail with DEEP_ERR_THREAD when
 * another thread is fitting or evaluating the model, or running one of them on it, and
 * when called from fit's own callbacks (use deep_model_predict there). Before compile they
 * are DEEP_ERR_STATE. The settings of fit (shuffle, validation split, early
 * stopping, checkpoints, callbacks, history) do not apply to them. */
/* One gradient step on (x, y) with the model's optimizer, whose state (moments, step
 * count) carries over from call to call and to and from fit. The values are the loss and
 * metrics of the batch before the step (the forward pass it trains on, in training mode,
 * so with dropout), as Keras' train_on_batch and fit's per-batch loss. A sequence of calls
 * on the batches of an epoch gives the same weights as fit over those batches with
 * DEEP_MODEL_SHUFFLE 0 and the same thread count. A non-finite loss is DEEP_ERR_NUMERIC and
 * leaves the weights and the optimizer as they were. Fit's history is not changed. */
DEEP_API deep_status deep_model_train_on_batch(deep_model *model, const deep_tensor *x, const deep_tensor *y,
                                               double *values, int64_t capacity, int64_t *needed);
/* The loss and metrics of (x, y) in inference mode, equal to deep_model_evaluate on the
 * same samples with batch_size n. */
DEEP_API deep_status deep_model_test_on_batch(deep_model *model, const deep_tensor *x, const deep_tensor *y,
                                              double *values, int64_t capacity, int64_t *needed);
/* train_on_batch and test_on_batch with Keras' sample_weight (since 1.2): weights[i] (finite,
 * >= 0; count == n, else DEEP_ERR_SHAPE) multiplies sample i's loss, the sum divided by n, as
 * deep_dataset_set_sample_weights; weights NULL with count 0 is the unweighted call. The
 * training call also applies the model's class weights, as fit does. */
DEEP_API deep_status deep_model_train_on_batch_weighted(deep_model *model, const deep_tensor *x, const deep_tensor *y,
                                                        const float *weights, int64_t count, double *values,
                                                        int64_t capacity, int64_t *needed);
/* test_on_batch with the sample weights above (since 1.2). */
DEEP_API deep_status deep_model_test_on_batch_weighted(deep_model *model, const deep_tensor *x, const deep_tensor *y,
                                                       const float *weights, int64_t count, double *values,
                                                       int64_t capacity, int64_t *needed);
/* Keras' class_weight (since 1.2): weights[c] (finite, >= 0) multiplies the loss of every
 * training sample of class c, in fit and train_on_batch (not in evaluate, test_on_batch or
 * fit's validation, as Keras), on top of its sample weight. A sample's class is its label,
 * the largest entry of a one-hot target row, or a single target rounded (binary). count 0
 * (weights NULL) removes them. Only a model with one output of rank 1 takes them
 * (DEEP_ERR_UNSUPPORTED at fit otherwise, as Keras); a training sample whose class is not
 * below count is DEEP_ERR_OUT_OF_RANGE at fit. Not saved in model files (a fit argument in
 * Keras). Set before fit, not from its callbacks (DEEP_ERR_STATE). */
DEEP_API deep_status deep_model_set_class_weights(deep_model *model, const double *weights, int64_t count);
/* The class weights (buffer contract; *needed 0 when there are none). Since 1.2. */
DEEP_API deep_status deep_model_get_class_weights(const deep_model *model, double *weights, int64_t capacity,
                                                  int64_t *needed);
/* The outputs for x into out, row-major (n, output shape...): n times the output size
 * entries (*needed; deep_model_output_shape gives the shape), the same values as
 * deep_model_predict. It runs on the calling thread alone, as deep_model_predict does for
 * small batches, so that it allocates nothing. */
DEEP_API deep_status deep_model_predict_on_batch(deep_model *model, const deep_tensor *x, float *out,
                                                 int64_t capacity, int64_t *needed);

/* Copies every weight of src into dst in one call (Keras' dst.set_weights(src.get_weights()),
 * the target network of DQN). Both must be compiled (or built, since 1.2) and have the same
 * architecture: the same number of layers, and layer by layer the same type and the same weight shapes
 * (DEEP_ERR_SHAPE naming the first layer or weight that differs). dst's optimizer state,
 * settings and history are untouched. src's weights must be finite (DEEP_ERR_NUMERIC, dst
 * unchanged). Allowed from dst's fit callbacks, as deep_model_set_weight is; src must not
 * be training on another thread meanwhile. */
DEEP_API deep_status deep_model_copy_weights(deep_model *dst, const deep_model *src);
/* A new uncompiled model with src's architecture (Keras' clone_model): the same input
 * shape, the same layers with the same configurations, options and names, and src's
 * settings (seed, threads, shuffle, validation split, early stopping, verbose). Not copied:
 * weights, optimizer, loss, metrics, history, the log and callbacks, the checkpoint path
 * and period. Compile the clone to give it weights, fresh from its seed (the same seed as
 * src's unless changed with deep_model_set_seed); deep_model_copy_weights then makes it
 * an exact copy. *out is NULL on failure; free the clone with deep_model_free. */
DEEP_API deep_status deep_model_clone(const deep_model *src, deep_model **out);

/* The Keras summary table (layer name and type, output shape, parameter count, totals) as
 * text, by the buffer contract. */
DEEP_API deep_status deep_model_summary(const deep_model *model, char *buffer, int64_t capacity, int64_t *needed);

DEEP_API deep_status deep_model_layer_count(const deep_model *model, int32_t *count);
/* The shape of one sample at the model's input (Keras' model.input_shape without the
 * batch axis, e.g. (28, 28, 1)) and at its output (model.output_shape; the input shape
 * while the model has no layer), as deep_dataset_sample_shape gives a dataset's: *needed
 * receives the number of axes (buffer contract; DEEP_MAX_RANK entries always suffice).
 * With several inputs or outputs, those of the first (deep_model_node_shape gives each). */
DEEP_API deep_status deep_model_input_shape(const deep_model *model, int64_t *shape, int64_t capacity,
                                            int64_t *needed);
DEEP_API deep_status deep_model_output_shape(const deep_model *model, int64_t *shape, int64_t capacity,
                                             int64_t *needed);
/* Total parameters, trainable or not (Keras' "Total params"). */
DEEP_API deep_status deep_model_parameter_count(const deep_model *model, int64_t *count);
/* Weight tensors of a layer in Keras order (Dense: kernel then bias). */
DEEP_API deep_status deep_model_weight_count(const deep_model *model, int32_t layer, int32_t *count);
/* A copy of weight `index` of `layer`. Weights exist after compile or, since 1.2,
 * deep_model_build (DEEP_ERR_STATE before). */
DEEP_API deep_status deep_model_get_weight(const deep_model *model, int32_t layer, int32_t index,
                                           deep_tensor **out);
/* Replaces weight `index` of `layer` with a copy of value, whose shape must match
 * (DEEP_ERR_SHAPE) and whose values must all be finite (DEEP_ERR_NUMERIC naming the first
 * NaN or infinity; the weight is then unchanged). Allowed from fit's callbacks. As
 * deep_model_get_weight, after compile or deep_model_build; a first compile after
 * deep_model_build keeps the weights set (since 1.2). */
DEEP_API deep_status deep_model_set_weight(deep_model *model, int32_t layer, int32_t index,
                                           const deep_tensor *value);

/* Model files: the whole model in a safetensors file (docs/model-format.md) that other
 * tools read too — the architecture (layer types, names and Keras configs), the settings,
 * and, when the model is compiled, its weights, loss, metrics, optimizer with its state
 * (moments, step count) and random generator state, so that a loaded model predicts at
 * once and can continue fit. An uncompiled model is saved as its architecture and loads
 * uncompiled. Tensors are named "<layer name>/<weight name>" ("dense_1/kernel") and
 * "optimizer/<layer name>/<weight name>/<slot>" ("optimizer/dense_1/kernel/momentum").
 *
 * deep_model_save writes a temporary file next to path and renames it over path, so a
 * failed or interrupted save leaves any previous file intact (DEEP_ERR_IO, or
 * DEEP_ERR_NO_MEMORY). The file keeps the mode of the one it replaces (a new one gets
 * 0666 less the umask); a symbolic link at path stays and the file it names is replaced;
 * an existing path that is not a regular file (a directory, a FIFO, a device) is refused.
 * The temporary file is ".<name>.deep-tmp-<pid>-<6 characters>" in the target's
 * directory (a name over 200 bytes shortened with a hash of it); a save that was killed leaves it, and the next successful save to the same
 * path removes it once that process has ended and the file is ten minutes old
 * (docs/model-format.md, "Saving"). A model whose weights, optimizer state or early
 * stopping weights hold NaN or an infinity (training that diverged) is not saved:
 * DEEP_ERR_NUMERIC naming the tensor, before any file is touched, since loading refuses
 * such a file; whatever saves with DEEP_OK loads. Loading reads regular files only
 * (/dev/zero, a FIFO or a directory is DEEP_ERR_IO at once), then validates every field
 * and a CRC-32 of the whole file: anything truncated, corrupt, foreign or of a newer
 * format version is DEEP_ERR_FORMAT naming the file, the byte offset or the field.
 * Callbacks, the log and checkpoint settings are not saved. Saving must not run
 * concurrently with fit on another thread; fit's own callbacks may save, and a save from
 * the epoch callback is a resume point as a checkpoint is.
 *
 * Checkpoints: with DEEP_MODEL_CHECKPOINT_PERIOD N > 0 and DEEP_MODEL_CHECKPOINT_PATH set,
 * fit saves the model after every N-th epoch (after the epoch callback). To resume, load
 * the checkpoint and call fit with the same data, epochs and batch size as the interrupted
 * run: the loaded model's DEEP_MODEL_INITIAL_EPOCH makes it continue after the saved epoch,
 * and the weights end bit-identical to an uninterrupted run's (early stopping's state is
 * in the checkpoint too). The history then holds the resumed epochs only. A loaded
 * checkpoint saved again stays a resume point; compile or a finished fit clears that. */
/* Every layer type saves: its config in the file is its registered field table. */
DEEP_API deep_status deep_model_save(const deep_model *model, const char *path);
/* A new model in *out (NULL on failure), freed with deep_model_free. */
DEEP_API deep_status deep_model_load(const char *path, deep_model **out);
/* The same file in caller-owned memory, by the buffer contract (bytes). load_buffer only
 * reads data during the call. */
DEEP_API deep_status deep_model_save_buffer(const deep_model *model, void *buffer, int64_t capacity,
                                            int64_t *needed);
DEEP_API deep_status deep_model_load_buffer(const void *data, int64_t size, deep_model **out);

/* ONNX import (since 1.2): an ONNX model (a ModelProto file, as torch.onnx.export or tf2onnx
 * write it) becomes a libdeep model, a graph of libdeep's own layers with the file's
 * weights converted (docs/onnx.md lists the operators, opsets 9 to 17, and how each is
 * translated). The new model is compiled with SGD and mean squared error so that it
 * predicts at once; deep_model_fit trains its weights from the imported values (use
 * deep_model_optimizer to change the learning rate). Compiling it again re-initialises
 * the weights, as for every model: to fine-tune with another loss or optimizer, compile a
 * deep_model_clone of it and deep_model_copy_weights from it. Layout: ONNX images are (N, C,
 * H, W) and libdeep's (H, W, C): a graph input of rank 4 becomes a (H, W, C) input (give
 * the model channels-last images, one conversion by the caller; one-channel images need
 * none), kernels are converted at import, and a Flatten after a convolution permutes the
 * next Dense's kernel rows instead of the data, so predicting costs no transposition. An
 * image output (rank 4) comes out (H, W, C). Refused, with DEEP_ERR_UNSUPPORTED naming the
 * node (its index and name), its operator and the model's opset: operators and attribute
 * values libdeep has no layer for, other domains, external data, inputs without fixed
 * sizes besides the batch axis; a file that is not an ONNX model, truncated or corrupt is
 * DEEP_ERR_FORMAT; a file above 1 GiB DEEP_ERR_UNSUPPORTED. A libdeep built without ONNX
 * (meson option onnx) returns DEEP_ERR_UNSUPPORTED. *out is NULL on failure; free the model
 * with deep_model_free. load_onnx_buffer reads data only during the call. */
DEEP_API deep_status deep_model_load_onnx(const char *path, deep_model **out);
DEEP_API deep_status deep_model_load_onnx_buffer(const void *data, int64_t size, deep_model **out);

/* ===================================================================================== */
/* Trees and forests: scikit-learn's DecisionTreeClassifier / DecisionTreeRegressor and   */
/* RandomForestClassifier / RandomForestRegressor on the features of a dataset (each      */
/* sample flattened to its sample_size features). A node sends a sample left when         */
/* feature <= threshold. Settings are enum-keyed; set them before fit. Predicting with    */
/* one fitted tree or forest from many threads at once is allowed; fit and the setters    */
/* must not run concurrently with any other call on the same handle.                     */
/* ===================================================================================== */

typedef struct deep_tree deep_tree;
typedef struct deep_forest deep_forest;

typedef enum deep_tree_kind {
    DEEP_TREE_CLASSIFIER = 1, /* integer labels; predicts class ids */
    DEEP_TREE_REGRESSOR = 2   /* targets of width 1 (or labels read as numbers); predicts values */
} deep_tree_kind;

typedef enum deep_criterion {
    DEEP_CRITERION_GINI = 1,         /* classifier default */
    DEEP_CRITERION_ENTROPY = 2,      /* classifier; information gain in bits */
    DEEP_CRITERION_SQUARED_ERROR = 3 /* regressor (the only one) */
} deep_criterion;

typedef enum deep_splitter {
    DEEP_SPLITTER_AUTO = 0,     /* default: histogram above 20000 training samples, else exact */
    DEEP_SPLITTER_EXACT = 1,    /* every midpoint between consecutive distinct values of the node */
    DEEP_SPLITTER_HISTOGRAM = 2 /* features binned once (<= DEEP_TREE_MAX_BINS quantile bins); */
                                /* thresholds are midpoints between neighbouring bins */
} deep_splitter;

/* "No limit", for DEEP_TREE_MAX_DEPTH. */
#define DEEP_UNLIMITED INT64_MAX
/* Special values of DEEP_TREE_MAX_FEATURES (as scikit-learn's "sqrt" and "log2"). */
#define DEEP_MAX_FEATURES_ALL 0
#define DEEP_MAX_FEATURES_SQRT (-1)
#define DEEP_MAX_FEATURES_LOG2 (-2)

/* Options of trees and forests. The DEEP_TREE_* ones apply to both (a forest passes them
 * to its trees), the DEEP_FOREST_* ones only to forests. "int" options are set with
 * *_set_int, "float" ones with *_set_float; the wrong setter, an option that does not
 * apply or a value out of range is DEEP_ERR_INVALID_ARGUMENT. The count settings
 * (max_depth, min_samples_split, min_samples_leaf, max_features, max_samples) take any
 * value up to INT64_MAX, from a setter or a tree/forest file, and never overflow: one
 * beyond the training set just stops splitting (or takes every feature), except
 * max_samples, which fit refuses beyond the training set's size (DEEP_ERR_INVALID_ARGUMENT),
 * as scikit-learn does. */
typedef enum deep_tree_option {
    DEEP_TREE_CRITERION = 1,             /* int deep_criterion; gini (classifier), squared error (regressor) */
    DEEP_TREE_MAX_DEPTH = 2,             /* int >= 1, default DEEP_UNLIMITED */
    DEEP_TREE_MIN_SAMPLES_SPLIT = 3,     /* int >= 2, default 2 */
    DEEP_TREE_MIN_SAMPLES_LEAF = 4,      /* int >= 1, default 1 */
    DEEP_TREE_MAX_FEATURES = 5,          /* int count >= 1 or DEEP_MAX_FEATURES_*; float fraction in (0, 1].
                                            Tree default all; forest default sqrt (classifier), all (regressor) */
    DEEP_TREE_MIN_IMPURITY_DECREASE = 6, /* float >= 0, default 0 (weighted as scikit-learn) */
    DEEP_TREE_SEED = 7,                  /* int, default 0: seeds the order features are tried in (and a
                                            forest's bootstrap samples) */
    DEEP_TREE_SPLITTER = 8,              /* int deep_splitter, default DEEP_SPLITTER_AUTO */
    DEEP_TREE_MAX_BINS = 9,              /* int in [2, 256], default 256: histogram bins per feature */
    DEEP_FOREST_N_ESTIMATORS = 20,       /* int in [1, INT32_MAX], default 100 */
    DEEP_FOREST_BOOTSTRAP = 21,          /* int 0 or 1, default 1 */
    DEEP_FOREST_MAX_SAMPLES = 22,        /* int count >= 1 or float fraction in (0, 1]: bootstrap size;
                                            default 0 = the training set's size */
    DEEP_FOREST_THREADS = 23,            /* int >= 0, default 0 = all cores; results do not depend on it */
    DEEP_FOREST_OOB_SCORE = 24           /* int 0 or 1, default 0: compute the out-of-bag score in fit */
} deep_tree_option;

DEEP_API deep_status deep_tree_new(deep_tree_kind kind, deep_tree **out);
DEEP_API void deep_tree_free(deep_tree *tree);
DEEP_API deep_status deep_tree_set_int(deep_tree *tree, deep_tree_option option, int64_t value);
DEEP_API deep_status deep_tree_set_float(deep_tree *tree, deep_tree_option option, double value);
/* The current value of an option (its default until set). Getting an "int" option with
 * get_float or a "float" one with get_int is DEEP_ERR_INVALID_ARGUMENT; DEEP_TREE_MAX_FEATURES
 * and DEEP_FOREST_MAX_SAMPLES, which take either, answer to the getter of the kind last
 * set (int for their defaults) and refuse the other. A DEEP_FOREST_* option of a tree is
 * DEEP_ERR_INVALID_ARGUMENT. */
DEEP_API deep_status deep_tree_get_int(const deep_tree *tree, deep_tree_option option, int64_t *value);
DEEP_API deep_status deep_tree_get_float(const deep_tree *tree, deep_tree_option option, double *value);
/* Classifier: every sample of class c weighs weights[c] (count entries, each finite and
 * >= 0), as scikit-learn's class_weight. weights NULL (count 0) goes back to weight 1.
 * Fit fails with DEEP_ERR_SHAPE when count differs from the dataset's class count. */
DEEP_API deep_status deep_tree_set_class_weights(deep_tree *tree, const double *weights, int64_t count);
/* The class weights set (buffer contract; needed 0 when none are set). */
DEEP_API deep_status deep_tree_get_class_weights(const deep_tree *tree, double *weights, int64_t capacity,
                                                 int64_t *needed);

/* Grows the tree on data's features and its labels (classifier) or its width-1 targets,
 * else its labels as numbers (regressor). Non-finite features or targets are
 * DEEP_ERR_NUMERIC naming the sample and feature: fill missing values first. Refitting
 * replaces the previous tree. */
DEEP_API deep_status deep_tree_fit(deep_tree *tree, const deep_dataset *data);
/* inputs has shape (n, features...) with as many features per sample as the training
 * data. Returns a new tensor (n,): class ids as floats, or predicted values. A NaN input
 * is DEEP_ERR_NUMERIC naming the row and column; before fit, DEEP_ERR_STATE. */
DEEP_API deep_status deep_tree_predict(const deep_tree *tree, const deep_tensor *inputs, deep_tensor **out);
/* Classifier only: a new tensor (n, classes) of the class fractions of each sample's leaf
 * (weighted); rows sum to 1. A regressor is DEEP_ERR_INVALID_ARGUMENT. */
DEEP_API deep_status deep_tree_predict_proba(const deep_tree *tree, const deep_tensor *inputs, deep_tensor **out);
/* Accuracy (classifier) or the coefficient of determination R^2 (regressor) on data. */
DEEP_API deep_status deep_tree_score(const deep_tree *tree, const deep_dataset *data, double *score);
/* Impurity-based importances, one per input feature (buffer contract), normalised to sum 1
 * (all 0 when the tree is a single leaf). */
DEEP_API deep_status deep_tree_feature_importances(const deep_tree *tree, double *importances, int64_t capacity,
                                                   int64_t *needed);
/* Nodes are numbered 0 (the root) to count - 1 in depth-first order, left child first. */
DEEP_API deep_status deep_tree_node_count(const deep_tree *tree, int64_t *count);
/* Depth of the deepest leaf (a single leaf has depth 0). */
DEEP_API deep_status deep_tree_depth(const deep_tree *tree, int64_t *depth);
/* A node's split: feature index (-1 for a leaf, whose other outputs are then 0 and -1),
 * threshold, and children. Any output may be NULL. */
DEEP_API deep_status deep_tree_node(const deep_tree *tree, int64_t node, int64_t *feature, float *threshold,
                                    int64_t *left, int64_t *right);
/* A node's prediction: the weighted class fractions (classes entries) or the mean value
 * (1 entry), by the buffer contract. */
DEEP_API deep_status deep_tree_node_value(const deep_tree *tree, int64_t node, double *values, int64_t capacity,
                                          int64_t *needed);
/* The fitted tree as JSON text (settings and every node with its feature, threshold,
 * children, impurity, samples and value), by the buffer contract. */
DEEP_API deep_status deep_tree_to_json(const deep_tree *tree, char *buffer, int64_t capacity, int64_t *needed);

/* Random forest: N_ESTIMATORS trees, each grown on a bootstrap sample (when BOOTSTRAP is
 * 1) with MAX_FEATURES features tried per split, in parallel on the forest's threads.
 * Tree i draws from a generator seeded by (SEED, i), so the result depends on the seed
 * but not on the thread count. */
DEEP_API deep_status deep_forest_new(deep_tree_kind kind, deep_forest **out);
DEEP_API void deep_forest_free(deep_forest *forest);
DEEP_API deep_status deep_forest_set_int(deep_forest *forest, deep_tree_option option, int64_t value);
DEEP_API deep_status deep_forest_set_float(deep_forest *forest, deep_tree_option option, double value);
/* As deep_tree_get_int / _get_float, for every option of the forest. */
DEEP_API deep_status deep_forest_get_int(const deep_forest *forest, deep_tree_option option, int64_t *value);
DEEP_API deep_status deep_forest_get_float(const deep_forest *forest, deep_tree_option option, double *value);
DEEP_API deep_status deep_forest_set_class_weights(deep_forest *forest, const double *weights, int64_t count);
DEEP_API deep_status deep_forest_get_class_weights(const deep_forest *forest, double *weights, int64_t capacity,
                                                   int64_t *needed);
DEEP_API deep_status deep_forest_fit(deep_forest *forest, const deep_dataset *data);
/* As the tree's: the class with the largest mean probability, or the mean prediction.
 * Inputs of 1024 rows or more are spread over DEEP_FOREST_THREADS threads started for the
 * call (so concurrent calls do not share them); the result does not depend on them. */
DEEP_API deep_status deep_forest_predict(const deep_forest *forest, const deep_tensor *inputs, deep_tensor **out);
/* Classifier only: the mean of the trees' probabilities, a new tensor (n, classes). */
DEEP_API deep_status deep_forest_predict_proba(const deep_forest *forest, const deep_tensor *inputs,
                                               deep_tensor **out);
DEEP_API deep_status deep_forest_score(const deep_forest *forest, const deep_dataset *data, double *score);
/* Accuracy or R^2 of the out-of-bag predictions over the training samples left out of at
 * least one tree; DEEP_ERR_STATE unless fit ran with OOB_SCORE 1 and BOOTSTRAP 1. */
DEEP_API deep_status deep_forest_oob_score(const deep_forest *forest, double *score);
/* The mean of the trees' normalised importances, normalised to sum 1 (buffer contract). */
DEEP_API deep_status deep_forest_feature_importances(const deep_forest *forest, double *importances,
                                                     int64_t capacity, int64_t *needed);
DEEP_API deep_status deep_forest_tree_count(const deep_forest *forest, int64_t *count);

/* Model files: a fitted tree or forest with its settings, in libdeep's versioned binary
 * format (docs/tree-format.md), written atomically as deep_model_save writes (a temporary
 * file in the same directory, then rename; the old file's mode and a symbolic link at
 * path are kept). Loading reads regular files only and validates every field: a
 * truncated, corrupt or foreign file, or a newer format version, is DEEP_ERR_FORMAT
 * naming the byte offset.
 * Saving before fit is DEEP_ERR_STATE. A loaded forest starts its threads on first fit. */
DEEP_API deep_status deep_tree_save(const deep_tree *tree, const char *path);
DEEP_API deep_status deep_tree_load(const char *path, deep_tree **out);
DEEP_API deep_status deep_forest_save(const deep_forest *forest, const char *path);
DEEP_API deep_status deep_forest_load(const char *path, deep_forest **out);

/* k-fold cross-validation (scikit-learn's cross_val_score with a shuffled KFold): for each
 * of `folds` folds of deep_kfold_indices(shuffle 1, seed), a fresh learner with the
 * handle's settings is fitted on the other folds and scored (accuracy or R^2) on this
 * one: `folds` scores (buffer contract; the size query fits nothing, and a failed fold
 * leaves scores untouched). The handle itself is not changed. 2 <= folds <= samples. */
DEEP_API deep_status deep_tree_cross_val_score(const deep_tree *tree, const deep_dataset *data, int64_t folds,
                                               uint64_t seed, double *scores, int64_t capacity, int64_t *needed);
DEEP_API deep_status deep_forest_cross_val_score(const deep_forest *forest, const deep_dataset *data,
                                                 int64_t folds, uint64_t seed, double *scores, int64_t capacity,
                                                 int64_t *needed);
/* The folds of cross-validation (since 1.2): DEEP_CV_AUTO is scikit-learn's choice in
 * cross_val_score, stratified folds for a classifier and plain k-fold for a regressor;
 * DEEP_CV_KFOLD is deep_kfold_indices, DEEP_CV_STRATIFIED deep_stratified_kfold_indices
 * (classifiers only: a regressor's targets have no classes). */
typedef enum deep_cv {
    DEEP_CV_AUTO = 0,
    DEEP_CV_KFOLD = 1,
    DEEP_CV_STRATIFIED = 2
} deep_cv;
/* deep_tree_cross_val_score and deep_forest_cross_val_score with the folds chosen (since
 * 1.2): `cv` and `shuffle` (0: the folds in sample order, as scikit-learn's
 * cross_val_score(cv=k) takes them; 1: shuffled from seed, as the calls above). The two
 * calls above stay plain shuffled k-fold, as documented since 1.0; scikit-learn's
 * cross_val_score(cv=5) is DEEP_CV_AUTO with shuffle 0. Otherwise as those calls. */
DEEP_API deep_status deep_tree_cross_val_score_cv(const deep_tree *tree, const deep_dataset *data, int64_t folds,
                                                  deep_cv cv, int32_t shuffle, uint64_t seed, double *scores,
                                                  int64_t capacity, int64_t *needed);
DEEP_API deep_status deep_forest_cross_val_score_cv(const deep_forest *forest, const deep_dataset *data,
                                                    int64_t folds, deep_cv cv, int32_t shuffle, uint64_t seed,
                                                    double *scores, int64_t capacity, int64_t *needed);

/* Forests grown in pieces, e.g. by several processes (libdeep-mpi), and joined.
 * deep_forest_fit_trees grows only trees [first, first + count) of the forest's
 * n_estimators, each exactly as deep_forest_fit grows it (tree t's bootstrap sample and
 * feature draws come from a generator of the seed and t alone); the forest then holds
 * these count trees (replacing any), without an out-of-bag score. Pieces of consecutive
 * ranges, joined in order, make the forest deep_forest_fit grows with the same settings
 * and data, tree for tree and bit for bit. Since 1.2. */
DEEP_API deep_status deep_forest_fit_trees(deep_forest *forest, const deep_dataset *data, int64_t first,
                                           int64_t count);
/* Replaces forest's trees with copies of the trees of parts[0], ..., parts[count - 1] in
 * that order (forest itself may be a part). Every part must be fitted, of forest's kind,
 * with the same feature and class counts; forest keeps its settings; its out-of-bag score
 * is dropped. Since 1.2. */
DEEP_API deep_status deep_forest_join(deep_forest *forest, const deep_forest *const *parts, int64_t count);
/* The out-of-bag score of a forest holding all its n_estimators trees (tree t as
 * deep_forest_fit grows tree t), on the data they were grown on: each tree's bootstrap
 * sample is drawn again from the seed. Equal to the score deep_forest_fit computes; read
 * it with deep_forest_oob_score. Needs bootstrap 1. Since 1.2. */
DEEP_API deep_status deep_forest_compute_oob_score(deep_forest *forest, const deep_dataset *data);
/* The forest file of deep_forest_save in caller-owned memory, by the buffer contract
 * (bytes); load_buffer reads data only during the call ("the buffer" in its errors).
 * Since 1.2. */
DEEP_API deep_status deep_forest_save_buffer(const deep_forest *forest, void *buffer, int64_t capacity,
                                             int64_t *needed);
DEEP_API deep_status deep_forest_load_buffer(const void *data, int64_t size, deep_forest **out);
/* ===================================================================================== */
/* ONNX export (since 1.2): models, trees and forests to ONNX files that other runtimes  */
/* read (ONNX Runtime, OpenCV's dnn module). docs/onnx.md, section "Export", lists what   */
/* each layer becomes. Without ONNX support in the build (meson option onnx) they are    */
/* DEEP_ERR_UNSUPPORTED.                                                                  */
/* ===================================================================================== */

/* The model's graph as an ONNX model of the default domain at `opset`, 13 to 17; 0 picks
 * 13, which every current runtime reads (another opset is DEEP_ERR_UNSUPPORTED naming the
 * range). Inputs are named "input" ("input_1", "input_2", ... with several) and outputs
 * "output" ("output_1", ...); they keep libdeep's shapes, channels last (an image is
 * (N, height, width, channels)) with a dynamic batch dimension "N". Inside, the graph
 * transposes to channels first once where the convolutions start and back once where
 * channels-last layers (Flatten, Dense) follow, never around each convolution. Weights
 * become initializers named "<layer name>/<weight name>" (kernels written in ONNX's
 * layout); a layer called at several nodes has one set of initializers used by every
 * call. A model without weights (not compiled) is DEEP_ERR_STATE; a layer ONNX cannot
 * express (Masking, Embedding with mask_zero, a Bidirectional with go_backwards) is
 * DEEP_ERR_UNSUPPORTED naming the layer and its type. Weights are stored in the file (no
 * external data): a file beyond the 2 GiB a protocol buffer holds is DEEP_ERR_OVERFLOW. The
 * file is written atomically, as deep_model_save writes. Since 1.2. */
DEEP_API deep_status deep_model_save_onnx(const deep_model *model, const char *path, int32_t opset);
/* The same ONNX bytes into a caller's buffer, by the buffer contract (bytes). Since 1.2. */
DEEP_API deep_status deep_model_save_onnx_buffer(const deep_model *model, int32_t opset, void *buffer,
                                                 int64_t capacity, int64_t *needed);
/* A fitted tree or forest as one ONNX-ML operator (domain ai.onnx.ml version 3, the
 * default domain at 13): TreeEnsembleClassifier with outputs "label" (int64, (N,)) and
 * "probabilities" (float, (N, classes)), or TreeEnsembleRegressor with output "output"
 * (float, (N, 1)); the input is "input", float (N, features). Splits are BRANCH_LEQ
 * (feature <= threshold goes to the left child, as libdeep), thresholds the same floats;
 * leaves hold deep_tree_node_value's values. A forest's probabilities are the mean of its
 * trees' (each leaf's fractions divided by the tree count, since the operator sums its
 * trees), its regression the mean (aggregate_function AVERAGE), as deep_forest_predict.
 * Before fit: DEEP_ERR_STATE. Written atomically as deep_model_save writes. Since 1.2. */
DEEP_API deep_status deep_tree_save_onnx(const deep_tree *tree, const char *path);
DEEP_API deep_status deep_forest_save_onnx(const deep_forest *forest, const char *path);
/* The same bytes into a caller's buffer, by the buffer contract (bytes). Since 1.2. */
DEEP_API deep_status deep_tree_save_onnx_buffer(const deep_tree *tree, void *buffer, int64_t capacity,
                                                int64_t *needed);
DEEP_API deep_status deep_forest_save_onnx_buffer(const deep_forest *forest, void *buffer, int64_t capacity,
                                                  int64_t *needed);

/* ===================================================================================== */
/* Replicas: deep_model_fit as one of several data-parallel copies (since 1.2). These     */
/* hooks let a companion library (libdeep-mpi, deep_mpi.h, which most programs use        */
/* instead) join the fits of several processes into one training run; libdeep itself      */
/* knows no transport.                                                                    */
/* ===================================================================================== */

/* A model set as replica `rank` of `size` trains, in deep_model_fit, on its part of every
 * global batch: all replicas hold the same training data, draw the same epoch order
 * (replica 0's generator is broadcast), and cut each global batch of size * batch_size
 * samples into `size` consecutive slices (replica r takes samples [L r / size,
 * L (r + 1) / size) of a batch of L), so that size replicas of batch b see what one
 * process of batch size * b sees. The hook moves the data between replicas:
 *
 * DEEP_REPLICA_AGREE: a barrier on status (this replica's: DEEP_OK, or why it cannot go
 *   on) and on stopping (data: int32_t *, in: 1 when this replica wants to stop, out: 1
 *   when any does). Return DEEP_OK when every replica is fine, else an error (with its
 *   message) that every replica then returns. fit calls it twice before training (after
 *   its own checks, also when they failed, and after preparing its buffers), then at every
 *   step once the batch's loss is known and before the gradients are exchanged (and once
 *   more after the batch callback, when there is one), and after every epoch.
 * DEEP_REPLICA_BROADCAST: replace data[0..count) (bytes) with replica 0's; before the first
 *   epoch, for the weights, the optimizer's state and step, and the generator.
 * DEEP_REPLICA_GRADIENTS: data is the model's gradient block (float), and its floats
 *   [offset, offset + count) are final for this step (a layer's gradients, reported as the
 *   backward pass finishes each layer, last layer first). They hold this replica's share of
 *   the mean over the global batch (already scaled by its slice's part of the batch), so
 *   that their sum over replicas is the global gradient. The hook may start summing them
 *   (a non-blocking allreduce) and must not touch them until REDUCE.
 * DEEP_REPLICA_REDUCE: the backward pass is over; when the hook returns, every range given
 *   this step must hold its sum over replicas (the optimizer steps next).
 * DEEP_REPLICA_SUM: replace the `count` doubles at data with their sums over replicas
 *   (the epoch's loss and metric sums and counts, before the history records them).
 *
 * The status argument is DEEP_OK except for AGREE; offset is 0 except for GRADIENTS. The
 * history, early stopping, ReduceLROnPlateau and the epoch log then agree on every
 * replica (since 1.3 with AUC metrics too: their confusion counts are summed with a
 * second SUM after the first), validation data are scored whole by every replica (or
 * split among them: deep_model_set_replica_validation), and only replica 0 writes
 * checkpoints. The batch callback sees this replica's own batch loss. Dropout draws from a
 * generator of its own per replica, so a model with dropout trains differently from one
 * process (the epoch order still agrees). BatchNormalization normalises each replica's
 * slice and keeps its moving statistics per replica (they are not exchanged). A failure
 * inside GRADIENTS or REDUCE ends fit with that status after the step. */
typedef enum deep_replica_event {
    DEEP_REPLICA_AGREE = 1,
    DEEP_REPLICA_BROADCAST = 2,
    DEEP_REPLICA_GRADIENTS = 3,
    DEEP_REPLICA_REDUCE = 4,
    DEEP_REPLICA_SUM = 5
} deep_replica_event;
typedef deep_status (*deep_replica_fn)(void *user, deep_replica_event event, deep_status status, void *data,
                                       int64_t offset, int64_t count);
/* Makes the model's fits replica `rank` (0 <= rank < size) of `size` >= 1, with `hook`
 * (NULL: an ordinary fit; rank 0 and size 1 then). size 1 with a hook is allowed: the hook
 * sees every event of a one-process run. Settings, not saved in model files; DEEP_ERR_STATE
 * from fit's callbacks. Since 1.2. */
DEEP_API deep_status deep_model_set_replica(deep_model *model, int32_t rank, int32_t size, deep_replica_fn hook,
                                            void *user);
/* The replica setting (0, 1, NULL, NULL by default); any output may be NULL. Since 1.2. */
DEEP_API deep_status deep_model_get_replica(const deep_model *model, int32_t *rank, int32_t *size,
                                            deep_replica_fn *hook, void **user);
/* Validation split among the replicas: with split 1, a replica's fit scores only its part
 * of the validation data (replica r of size: samples [V r / size, V (r + 1) / size) of the
 * V validation samples) and sums the pass's loss and metric sums and counts over the
 * replicas with DEEP_REPLICA_SUM (the AUCs' confusion counts with a second SUM), so that
 * every replica records the validation loss and metrics of the whole data, equal to one
 * process's up to the rounding of the sums' order, for 1/size of the work. 0 (the default;
 * 1.2's behaviour): every replica scores all of it. Used only when a replica hook is set;
 * a setting like the replica itself (not saved; DEEP_ERR_STATE from fit's callbacks);
 * DEEP_ERR_INVALID_ARGUMENT for other values. Since 1.3. */
DEEP_API deep_status deep_model_set_replica_validation(deep_model *model, int32_t split);
DEEP_API deep_status deep_model_get_replica_validation(const deep_model *model, int32_t *split);

#ifdef __cplusplus
}
#endif

#endif /* DEEP_H */
