"""Metrics on label arrays (the C library's deep_metric_* functions), scikit-learn style."""

import ctypes

import numpy as np

from . import errors
from ._core import as_label_array
from ._lib import lib, f64


def _pair(y_true, y_pred):
    truth = as_label_array(y_true, "y_true")
    predicted = as_label_array(y_pred, "y_pred")
    if truth.ndim != 1 or truth.shape != predicted.shape:
        raise errors.ShapeError(f"y_true and y_pred must be 1-D of the same length; got shapes "
                                f"{truth.shape} and {predicted.shape}")
    return truth, predicted


def _classes(truth, predicted, num_classes):
    if num_classes is None:
        num_classes = int(max(truth.max(initial=-1), predicted.max(initial=-1))) + 1
    return int(num_classes)


def accuracy_score(y_true, y_pred):
    truth, predicted = _pair(y_true, y_pred)
    value = f64(0)
    lib.deep_metric_accuracy(truth.ctypes.data, predicted.ctypes.data, truth.size, ctypes.byref(value))
    return value.value


def confusion_matrix(y_true, y_pred, num_classes=None):
    """matrix[t, p] counts samples of true class t predicted as p (int64)."""
    truth, predicted = _pair(y_true, y_pred)
    n = _classes(truth, predicted, num_classes)
    matrix = np.zeros((n, n), dtype=np.int64)
    lib.deep_metric_confusion_matrix(truth.ctypes.data, predicted.ctypes.data, truth.size, n, matrix.ctypes.data)
    return matrix


def precision_recall_fscore(y_true, y_pred, num_classes=None, average=None):
    """Per-class (precision, recall, f1) arrays, or with average='macro' their means,
    as scikit-learn's precision_recall_fscore_support with zero_division=0."""
    truth, predicted = _pair(y_true, y_pred)
    n = _classes(truth, predicted, num_classes)
    precision, recall, f1 = (np.zeros(n) for _ in range(3))
    macro = [f64(0), f64(0), f64(0)]
    lib.deep_metric_precision_recall_f1(truth.ctypes.data, predicted.ctypes.data, truth.size, n,
                                        precision.ctypes.data, recall.ctypes.data, f1.ctypes.data,
                                        *[ctypes.byref(m) for m in macro])
    if average == "macro":
        return tuple(m.value for m in macro)
    if average is not None:
        raise ValueError(f"average must be None or 'macro'; got {average!r}")
    return precision, recall, f1
