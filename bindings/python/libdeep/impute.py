"""scikit-learn's SimpleImputer on libdeep Datasets (a deep_imputer), with a strategy per
column as pandas' ``fillna`` takes a dict: fitted on a training table, applied to others.

    imputer = SimpleImputer(strategy="median", columns={"age": "mean", "city": "most_frequent",
                                                         "pet": ("constant", "none")})
    train = imputer.fit_transform(train)
    test = imputer.transform(test)          # the training table's statistics
"""

import ctypes
import math

from . import _ffi as C
from . import errors
from ._core import Handle, enum_value
from ._lib import lib, out, read_text, f64

_STRATEGIES = {"mean": C.DEEP_FILL_MEAN, "median": C.DEEP_FILL_MEDIAN,
               "most_frequent": C.DEEP_FILL_MOST_FREQUENT, "constant": C.DEEP_FILL_CONSTANT}


def _value_and_text(fill_value):
    """(number, text) for the C call: a str fills text columns, a number numeric ones."""
    if fill_value is None:
        return 0.0, None
    if isinstance(fill_value, str):
        return 0.0, fill_value.encode()
    return float(fill_value), None


class _Imputer(Handle):
    _free = lib.deep_imputer_free
    _kind = "imputer"


class SimpleImputer:
    """Fills missing values column by column. strategy ("mean", "median", "most_frequent",
    "constant") and fill_value apply to every column not named in columns, a mapping of
    column name to a strategy or a (strategy, fill_value) pair. A text column of
    load_csv(categorical=True) takes "most_frequent" or "constant" (fill_value a str, by
    default "missing_value", added to its categories when new). After fit, statistics_ holds
    each column's fill value (a str for a text column), as scikit-learn's."""

    def __init__(self, strategy="mean", fill_value=None, columns=None):
        self.strategy = strategy
        self.fill_value = fill_value
        self.columns = dict(columns or {})
        self._imputer = None

    def _build(self, dataset):
        value, text = _value_and_text(self.fill_value)
        handle = out()
        lib.deep_imputer_new(enum_value(_STRATEGIES, self.strategy, "strategy"), value, ctypes.byref(handle))
        imputer = _Imputer(handle.value)
        rules = dict(self.columns)
        if text is not None:  # a text constant for every text column not named otherwise
            for name in dataset.column_names:
                if name not in rules and dataset.is_categorical(name):
                    rules[name] = (self.strategy, self.fill_value)
        for name, rule in rules.items():
            strategy, fill = (rule, None) if isinstance(rule, str) else rule
            if fill is None and strategy == "constant":
                fill = self.fill_value
            value, text = _value_and_text(fill)
            lib.deep_imputer_set_column(imputer._ptr, str(name).encode(),
                                        enum_value(_STRATEGIES, strategy, "strategy"), value, text)
        return imputer

    def fit(self, dataset):
        imputer = self._build(dataset)
        lib.deep_imputer_fit(imputer._ptr, dataset._ptr)
        if self._imputer is not None:
            self._imputer.close()
        self._imputer = imputer
        self.statistics_ = []
        for column in range(math.prod(dataset.sample_shape)):
            value = f64(0)
            lib.deep_imputer_statistic(imputer._ptr, column, ctypes.byref(value))
            if math.isnan(value.value) and dataset.is_categorical(column):
                self.statistics_.append(read_text(lib.deep_imputer_fill_text, imputer._ptr, column))
            else:
                self.statistics_.append(value.value)
        return self

    def transform(self, dataset, copy=True):
        """The dataset with its missing values filled: a new one, or dataset itself with
        copy=False."""
        if self._imputer is None:
            raise errors.StateError("SimpleImputer.transform: call fit first")
        target = dataset.subset(range(len(dataset))) if copy else dataset
        lib.deep_imputer_transform(self._imputer._ptr, target._ptr)
        return target

    def fit_transform(self, dataset, copy=True):
        return self.fit(dataset).transform(dataset, copy=copy)

