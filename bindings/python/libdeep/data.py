"""Datasets: samples of one shape as contiguous float32 features, with integer class labels
and/or float targets (a deep_dataset). Built from NumPy arrays, or loaded from IDX
(MNIST / Fashion-MNIST), CSV or CIFAR-10 files by the C library's own loaders.

The library copies the arrays it is given into the dataset (it owns its buffers); a
float32 C-contiguous feature array is passed as is, anything else numeric is converted
once (see libdeep._core). Reading features or targets back returns NumPy views of a new
tensor without a further copy; labels are written by C straight into a new NumPy array.
"""

import ctypes
import os

import numpy as np

from . import errors
from ._core import Handle, as_float_array, as_label_array, enum_value, pointer_of, tensor_to_array
from . import _ffi as C
from ._lib import lib, out, shape_array, read_text, i32, i64, f64

_FILL = {"mean": C.DEEP_FILL_MEAN, "median": C.DEEP_FILL_MEDIAN}
_ENCODINGS = {"onehot": C.DEEP_ENCODE_ONE_HOT, "one_hot": C.DEEP_ENCODE_ONE_HOT,
              "ordinal": C.DEEP_ENCODE_ORDINAL}
_UNKNOWN = {"error": 0, "ignore": 1}
_JOINS = {"inner": C.DEEP_JOIN_INNER, "left": C.DEEP_JOIN_LEFT}
_STATS = {"count": C.DEEP_STAT_COUNT, "missing": C.DEEP_STAT_MISSING, "mean": C.DEEP_STAT_MEAN,
          "std": C.DEEP_STAT_STD, "min": C.DEEP_STAT_MIN, "max": C.DEEP_STAT_MAX}


def _path(path):
    return os.fsencode(path)


def _bins_count(bins):
    """numpy's bins argument as deep_dataset_histogram takes it: a count, or 0 for "auto"."""
    if isinstance(bins, str):
        if bins != "auto":
            raise ValueError(f"bins must be a count or 'auto'; got {bins!r}")
        return 0
    if int(bins) < 1:
        raise ValueError(f"bins must be at least 1; got {bins!r}")
    return int(bins)


class Dataset(Handle):
    """A deep_dataset. Dataset(x, y=None) copies NumPy arrays: x of shape (n, sample...);
    y either integer class labels of shape (n,) or float targets of shape (n, ...)."""

    _free = lib.deep_dataset_free
    _kind = "dataset"
    _copy_hint = " (dataset.subset(range(len(dataset))) makes an independent copy)"

    def __init__(self, x=None, y=None, *, num_classes=0, _address=None):
        if _address is not None:
            super().__init__(_address)
            return
        if x is None:
            raise TypeError("Dataset needs features x (or use Dataset.from_idx / from_csv / from_cifar10)")
        features = as_float_array(x, "features")
        if features.ndim < 2:
            raise errors.ShapeError(f"features must have shape (samples, features...); got shape {features.shape}")
        handle = out()
        lib.deep_dataset_new(features.shape[0], features.ndim - 1, shape_array(features.shape[1:]),
                             pointer_of(features), ctypes.byref(handle))
        super().__init__(handle.value)
        if y is not None:
            self.set_y(y, num_classes=num_classes)

    @classmethod
    def _wrap(cls, handle):
        return cls(_address=handle.value)

    # ---- loaders ------------------------------------------------------------------------

    @classmethod
    def from_idx(cls, images_path, labels_path=None):
        """IDX images (and labels), plain or .gz: raw byte values 0..255 as floats."""
        handle = out()
        lib.deep_dataset_load_idx(_path(images_path), None if labels_path is None else _path(labels_path),
                                  ctypes.byref(handle))
        return cls._wrap(handle)

    @classmethod
    def from_csv(cls, path, label_column=None, *, categorical=False):
        """A CSV file with a header row; label_column names the column holding the labels.
        With categorical=True a column holding text is kept as a categorical column (its
        values are the ids of its sorted categories, see categories()) instead of being an
        error: encode it with get_dummies() or ordinal_encode() before scaling or training."""
        handle = out()
        load = lib.deep_dataset_load_csv_typed if categorical else lib.deep_dataset_load_csv
        load(_path(path), None if label_column is None else label_column.encode(), ctypes.byref(handle))
        return cls._wrap(handle)

    @classmethod
    def from_sqlite(cls, database, query, params=(), label_column=None):
        """The rows of an SQL query on an SQLite database file (pandas read_sql_query): a
        typed table (text columns categorical, NULL missing); params are bound to the
        query's ? placeholders, never pasted into it. NotSupportedError when libdeep was
        built without SQLite."""
        values = [str(p).encode() for p in params]
        array = (ctypes.c_char_p * len(values))(*values) if values else None
        handle = out()
        lib.deep_dataset_load_sqlite(_path(database), query.encode(), array, len(values),
                                     None if label_column is None else label_column.encode(), ctypes.byref(handle))
        return cls._wrap(handle)

    def to_sqlite(self, database, table, if_exists="fail"):
        """Writes the table into an SQLite database (pandas to_sql): if_exists "fail" or
        "replace"."""
        if if_exists not in ("fail", "replace"):
            raise ValueError(f"if_exists must be 'fail' or 'replace'; got {if_exists!r}")
        lib.deep_dataset_write_sqlite(self._ptr, _path(database), table.encode(), int(if_exists == "replace"))

    @classmethod
    def from_cifar10(cls, paths):
        """CIFAR-10 binary batches; samples (32, 32, 3) channels last, values 0..255."""
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        encoded = [_path(p) for p in paths]
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        handle = out()
        lib.deep_dataset_load_cifar10(array, len(encoded), ctypes.byref(handle))
        return cls._wrap(handle)

    def to_csv(self, path):
        """Writes features and labels as CSV, atomically."""
        lib.deep_dataset_write_csv(self._ptr, _path(path))

    # ---- answers ------------------------------------------------------------------------

    def set_y(self, y, num_classes=0):
        """Integer y of shape (n,) becomes labels; float y becomes targets (n, width)."""
        array = np.asarray(y)
        if array.dtype.kind in "biu" and array.ndim == 1:
            self.set_labels(array, num_classes)
        else:
            self.set_targets(array)

    def set_labels(self, labels, num_classes=0):
        array = as_label_array(labels)
        if array.ndim != 1:
            raise errors.ShapeError(f"labels must have shape (samples,); got shape {array.shape}")
        lib.deep_dataset_set_labels(self._ptr, pointer_of(array), array.size, int(num_classes))

    def set_targets(self, targets):
        array = as_float_array(targets, "targets")
        if array.ndim == 0:
            raise errors.ShapeError("targets must have shape (samples,) or (samples, width)")
        width = int(np.prod(array.shape[1:])) if array.ndim > 1 else 1
        lib.deep_dataset_set_targets(self._ptr, pointer_of(array), array.shape[0], width)

    def set_sample_weights(self, weights):
        """Keras' sample_weight for fit and evaluate (since 1.2): one weight per sample, finite
        and >= 0; None removes them. They follow the samples through shuffle, split, subset
        and concat."""
        if weights is None:
            lib.deep_dataset_set_sample_weights(self._ptr, None, 0)
            return
        array = as_float_array(weights, "sample weights").reshape(-1)
        lib.deep_dataset_set_sample_weights(self._ptr, pointer_of(array), array.size)

    @property
    def sample_weights(self):
        """The sample weights as a float32 array, or None when there are none."""
        count = len(self)
        out = np.empty(count, dtype=np.float32)
        needed = i64(0)
        try:
            lib.deep_dataset_sample_weights(self._ptr, out.ctypes.data, count, ctypes.byref(needed))
        except errors.StateError:
            return None
        return out

    # ---- properties ---------------------------------------------------------------------

    def __len__(self):
        count = i64(0)
        lib.deep_dataset_count(self._ptr, ctypes.byref(count))
        return count.value

    @property
    def count(self):
        return len(self)

    @property
    def sample_shape(self):
        rank = i64(0)
        shape = (i64 * C.DEEP_MAX_RANK)()  # always enough
        lib.deep_dataset_sample_shape(self._ptr, shape, C.DEEP_MAX_RANK, ctypes.byref(rank))
        return tuple(shape[: rank.value])

    @property
    def num_classes(self):
        value = i32(0)
        lib.deep_dataset_num_classes(self._ptr, ctypes.byref(value))
        return value.value

    @property
    def target_width(self):
        value = i64(0)
        lib.deep_dataset_target_width(self._ptr, ctypes.byref(value))
        return value.value

    @property
    def features(self):
        """All features, (n, sample shape...) float32: a view of a fresh copy."""
        handle = out()
        lib.deep_dataset_features(self._ptr, ctypes.byref(handle))
        return tensor_to_array(handle.value)

    @property
    def labels(self):
        """The integer labels as a new int32 array (StateError when there are none)."""
        labels = np.empty(len(self), dtype=np.int32)
        needed = i64(0)
        lib.deep_dataset_labels(self._ptr, labels.ctypes.data, labels.size, ctypes.byref(needed))
        return labels

    @property
    def targets(self):
        """The float targets (n, width), or the one-hot rows of the labels when there are none."""
        features, targets = out(), out()
        lib.deep_dataset_batch(self._ptr, 0, len(self), ctypes.byref(features), ctypes.byref(targets))
        lib.deep_tensor_free(features.value)
        return tensor_to_array(targets.value)

    def column_name(self, column):
        return self._name(lib.deep_dataset_column_name, int(column))

    def class_name(self, class_id):
        return self._name(lib.deep_dataset_class_name, int(class_id))

    def _name(self, fn, index):
        return read_text(fn, self._ptr, index)

    @property
    def column_names(self):
        """Names of the feature columns (CSV datasets); StateError for others."""
        width = int(np.prod(self.sample_shape))
        return [self.column_name(c) for c in range(width)]

    @property
    def class_names(self):
        """Names of the classes (CSV datasets with string labels); StateError for others."""
        return [self.class_name(c) for c in range(self.num_classes)]

    def column_index(self, name):
        """The index of the first feature column called name (InvalidArgumentError if none)."""
        column = i64(0)
        lib.deep_dataset_column_index(self._ptr, name.encode(), ctypes.byref(column))
        return column.value

    def _column(self, column):
        return self.column_index(column) if isinstance(column, str) else int(column)

    def categories(self, column):
        """The sorted category names of a categorical column (by name or index); [] for a
        numeric one. A categorical column's values are indices into this list (NaN: missing)."""
        column = self._column(column)
        count = i64(0)
        lib.deep_dataset_category_count(self._ptr, column, ctypes.byref(count))
        return [read_text(lib.deep_dataset_category_name, self._ptr, column, c) for c in range(count.value)]

    def is_categorical(self, column):
        count = i64(0)
        lib.deep_dataset_category_count(self._ptr, self._column(column), ctypes.byref(count))
        return count.value > 0

    def value_counts(self, column):
        """{value: count} of a column's present values, most frequent first, ties in order of
        first appearance (pandas' Series.value_counts); category names for a categorical column."""
        column = self._column(column)
        n_values, n_counts = i64(0), i64(0)
        lib.deep_dataset_value_counts(self._ptr, column, None, 0, ctypes.byref(n_values), None, 0,
                                      ctypes.byref(n_counts))
        values = np.empty(n_values.value, dtype=np.float64)
        counts = np.empty(n_counts.value, dtype=np.int64)
        if values.size:
            lib.deep_dataset_value_counts(self._ptr, column, values.ctypes.data, values.size,
                                          ctypes.byref(n_values), counts.ctypes.data, counts.size,
                                          ctypes.byref(n_counts))
        names = self.categories(column)
        keys = [names[int(v)] for v in values] if names else values.tolist()
        return dict(zip(keys, counts.tolist()))

    def histogram(self, column, bins=10):
        """(counts, bin_edges) of a numeric column's present values, as numpy.histogram
        gives them (bins a count or "auto"): the counts pandas' hist draws."""
        column = self._column(column)
        bins = _bins_count(bins)
        n_edges, n_counts = i64(0), i64(0)
        lib.deep_dataset_histogram(self._ptr, column, int(bins), None, 0, ctypes.byref(n_edges), None, 0,
                                   ctypes.byref(n_counts))
        edges = np.empty(n_edges.value, dtype=np.float64)
        counts = np.empty(n_counts.value, dtype=np.int64)
        lib.deep_dataset_histogram(self._ptr, column, int(bins), edges.ctypes.data, edges.size, ctypes.byref(n_edges),
                                   counts.ctypes.data, counts.size, ctypes.byref(n_counts))
        return counts, edges

    def histogram_svg(self, column, path, bins=10):
        """Draws the histogram of a numeric column (the bins of histogram(column, bins)) as
        an SVG file at path, replaced atomically: what pandas' df[column].hist() shows, as
        a picture any browser opens. The column's name is the title."""
        lib.deep_dataset_histogram_svg(self._ptr, self._column(column), _bins_count(bins), _path(path))

    # ---- columns by name and encoding (new datasets) ----------------------------------

    def _names_array(self, columns, what):
        if isinstance(columns, str):
            columns = [columns]
        encoded = [str(c).encode() for c in columns]
        if not encoded:
            raise ValueError(f"{what}: name at least one column")
        return (ctypes.c_char_p * len(encoded))(*encoded), len(encoded)

    def select(self, columns):
        """A new dataset of the named feature columns in that order (pandas df[columns]),
        with the labels and targets."""
        names, count = self._names_array(columns, "select")
        handle = out()
        lib.deep_dataset_select_columns(self._ptr, names, count, ctypes.byref(handle))
        return Dataset._wrap(handle)

    def drop(self, columns):
        """A new dataset without the named feature columns (pandas df.drop(columns=...))."""
        names, count = self._names_array(columns, "drop")
        handle = out()
        lib.deep_dataset_drop_columns(self._ptr, names, count, ctypes.byref(handle))
        return Dataset._wrap(handle)

    def rename(self, columns):
        """Renames columns in place from a {old: new} mapping (the label column too); returns self."""
        for old, new in dict(columns).items():
            lib.deep_dataset_rename_column(self._ptr, str(old).encode(), str(new).encode())
        return self

    def encode(self, encoding="onehot", reference=None, handle_unknown="error"):
        """A new dataset with every categorical column encoded: "onehot" as pandas
        get_dummies (numeric columns first, then "<column>_<category>" 0/1 columns),
        "ordinal" as scikit-learn's OrdinalEncoder (ids in place, missing as NaN). The
        categories are reference's (the training table, to encode a test table alike);
        handle_unknown="ignore" encodes a category reference lacks as missing instead of
        raising InvalidArgumentError naming it."""
        handle = out()
        lib.deep_dataset_encode(self._ptr, None if reference is None else reference._ptr,
                                enum_value(_ENCODINGS, encoding, "encoding"),
                                enum_value(_UNKNOWN, handle_unknown, "handle_unknown"), ctypes.byref(handle))
        return Dataset._wrap(handle)

    def merge(self, right, on, how="inner", suffixes=("_x", "_y")):
        """pandas' merge: a new table of this one's rows joined with right's on the key
        column(s) `on` ("inner" or "left"): each row in order, once per matching row of right
        (in right's order), its columns then right's others, clashing names suffixed. Labels
        and targets are this table's."""
        names, count = self._names_array(on, "merge")
        left_suffix, right_suffix = (None if s is None else str(s).encode() for s in suffixes)
        handle = out()
        lib.deep_dataset_merge(self._ptr, right._ptr, names, count, enum_value(_JOINS, how, "how"),
                               left_suffix, right_suffix, ctypes.byref(handle))
        return Dataset._wrap(handle)

    def get_dummies(self, reference=None, handle_unknown="error"):
        return self.encode("onehot", reference, handle_unknown)

    def ordinal_encode(self, reference=None, handle_unknown="error"):
        return self.encode("ordinal", reference, handle_unknown)

    # ---- transformations (in place; return self so calls can be chained) ---------------

    def reshape(self, *sample_shape):
        if len(sample_shape) == 1 and not isinstance(sample_shape[0], int):
            sample_shape = tuple(sample_shape[0])
        lib.deep_dataset_reshape(self._ptr, len(sample_shape), shape_array(sample_shape))
        return self

    def scale(self, scale, shift=0.0):
        lib.deep_dataset_scale(self._ptr, float(scale), float(shift))
        return self

    def standardize(self, reference=None):
        lib.deep_dataset_standardize(self._ptr, None if reference is None else reference._ptr)
        return self

    def minmax_scale(self, reference=None):
        lib.deep_dataset_minmax_scale(self._ptr, None if reference is None else reference._ptr)
        return self

    def to_categorical(self):
        lib.deep_dataset_to_categorical(self._ptr)
        return self

    def shuffle(self, seed=0):
        lib.deep_dataset_shuffle(self._ptr, int(seed))
        return self

    def fill_missing(self, strategy="mean", reference=None):
        lib.deep_dataset_fill_missing(self._ptr, enum_value(_FILL, strategy, "fill strategy"),
                                      None if reference is None else reference._ptr)
        return self

    def drop_missing(self):
        lib.deep_dataset_drop_missing(self._ptr)
        return self

    def use_classes(self, reference):
        """Re-encodes the string class labels with reference's class list (a test set
        encoded with the training set's classes, as scikit-learn's fitted LabelEncoder).
        InvalidArgumentError naming a class reference lacks (the dataset is unchanged),
        StateError when either has no class names."""
        lib.deep_dataset_use_classes(self._ptr, reference._ptr)
        return self

    # ---- new datasets ------------------------------------------------------------------

    def subset(self, indices):
        array = np.ascontiguousarray(indices, dtype=np.int64)
        if array.ndim != 1:
            raise errors.ShapeError(f"indices must be one-dimensional; got shape {array.shape}")
        handle = out()
        lib.deep_dataset_subset(self._ptr, pointer_of(array), array.size, ctypes.byref(handle))
        return Dataset._wrap(handle)

    def split(self, test_fraction=0.25, seed=0, stratify=False):
        """(train, test): new datasets, test_fraction of the samples in test."""
        train, test = out(), out()
        lib.deep_dataset_split(self._ptr, float(test_fraction), int(seed), int(bool(stratify)),
                               ctypes.byref(train), ctypes.byref(test))
        return Dataset._wrap(train), Dataset._wrap(test)

    def concat(self, other):
        handle = out()
        lib.deep_dataset_concat(self._ptr, other._ptr, ctypes.byref(handle))
        return Dataset._wrap(handle)

    # ---- statistics --------------------------------------------------------------------

    def missing_count(self, column=-1):
        count = i64(0)
        lib.deep_dataset_missing_count(self._ptr, int(column), ctypes.byref(count))
        return count.value

    def describe(self, column=None, stat=None):
        """With no arguments the pandas-like table as text; else one statistic of a column."""
        if column is None and stat is None:
            return read_text(lib.deep_dataset_describe_text, self._ptr)
        if column is None or stat is None:
            raise TypeError("describe() takes both column and stat, or neither")
        value = f64(0)
        lib.deep_dataset_describe(self._ptr, int(column), enum_value(_STATS, stat, "statistic"),
                                  ctypes.byref(value))
        return value.value

    def __repr__(self):
        if self.closed:
            return "<libdeep.Dataset (closed)>"
        return f"<libdeep.Dataset {len(self)} samples of shape {self.sample_shape}, {self.num_classes} classes>"


def as_dataset(x, y=None):
    """x itself when it is a Dataset (y must then be None), else a new Dataset(x, y)."""
    if isinstance(x, Dataset):
        if y is not None:
            raise TypeError("pass either a Dataset or arrays x and y, not a Dataset and y")
        return x
    return Dataset(x, y)


def load_idx(images_path, labels_path=None):
    return Dataset.from_idx(images_path, labels_path)


def load_csv(path, label_column=None, *, categorical=False):
    return Dataset.from_csv(path, label_column, categorical=categorical)


def load_sqlite(database, query, params=(), label_column=None):
    return Dataset.from_sqlite(database, query, params, label_column)


def load_cifar10(paths):
    return Dataset.from_cifar10(paths)


def kfold_indices(count, folds, fold, shuffle=True, seed=0):
    """(train_indices, test_indices) of one fold, as scikit-learn's KFold, int64 arrays."""
    n_train, n_test = i64(0), i64(0)
    args = (int(count), int(folds), int(fold), int(bool(shuffle)), int(seed))
    lib.deep_kfold_indices(*args, None, 0, ctypes.byref(n_train), None, 0, ctypes.byref(n_test))  # sizes
    train = np.empty(n_train.value, dtype=np.int64)
    test = np.empty(n_test.value, dtype=np.int64)
    lib.deep_kfold_indices(*args, train.ctypes.data, train.size, ctypes.byref(n_train),
                           test.ctypes.data, test.size, ctypes.byref(n_test))
    return train, test


def stratified_kfold_indices(labels, folds, fold, shuffle=False, seed=0):
    """(train_indices, test_indices) of one fold, as scikit-learn's StratifiedKFold, int64
    arrays (deep_stratified_kfold_indices). labels: one class per sample, of any kind
    (strings too); without shuffle the folds equal scikit-learn's."""
    values = np.asarray(labels)
    if values.ndim != 1:
        values = values.reshape(len(values), -1)
        if values.shape[1] != 1:
            raise errors.ShapeError(f"stratified_kfold_indices(labels=...): one label per sample is needed; "
                                    f"got shape {np.shape(labels)}")
        values = values[:, 0]
    codes = np.ascontiguousarray(np.unique(values, return_inverse=True)[1].reshape(-1), dtype=np.int32)
    n_train, n_test = i64(0), i64(0)
    args = (codes.ctypes.data, codes.size, int(folds), int(fold), int(bool(shuffle)), int(seed))
    lib.deep_stratified_kfold_indices(*args, None, 0, ctypes.byref(n_train), None, 0, ctypes.byref(n_test))
    train = np.empty(n_train.value, dtype=np.int64)
    test = np.empty(n_test.value, dtype=np.int64)
    lib.deep_stratified_kfold_indices(*args, train.ctypes.data, train.size, ctypes.byref(n_train),
                                      test.ctypes.data, test.size, ctypes.byref(n_test))
    return train, test

