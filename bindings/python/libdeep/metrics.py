"""Classification metrics, scikit-learn style: accuracy_score, confusion_matrix,
precision_score, recall_score, f1_score, fbeta_score, precision_recall_fscore_support and
classification_report, with the values scikit-learn gives on the same labels.

Labels may be any numbers or strings; they are encoded against the sorted label list and
counted by the C library (deep_metric_accuracy, deep_metric_confusion_matrix), and the
scores are derived from those counts here. `labels` picks and orders the classes reported;
samples of other classes still count as false negatives / false positives of the listed
ones, as in scikit-learn. zero_division ("warn", 0, 1 or nan) is what a score with a zero
denominator becomes; "warn" means 0 and an UndefinedMetricWarning. The F-score is
(1 + beta^2) tp / ((1 + beta^2) tp + beta^2 fn + fp), as scikit-learn >= 1.3 computes it.
sample_weight is not supported.
"""

import ctypes
import warnings

import numpy as np

from . import errors
from . import _labels
from ._core import as_label_array
from ._lib import lib, f64

_AVERAGES = (None, "binary", "micro", "macro", "weighted")


class UndefinedMetricWarning(UserWarning):
    """A score had a zero denominator and was set to zero_division's value."""


def _pair(y_true, y_pred):
    truth = as_label_array(y_true, "y_true")
    predicted = as_label_array(y_pred, "y_pred")
    if truth.ndim != 1 or truth.shape != predicted.shape:
        raise errors.ShapeError(f"y_true and y_pred must be 1-D of the same length; got shapes "
                                f"{truth.shape} and {predicted.shape}")
    return truth, predicted


def _any_pair(y_true, y_pred, function):
    """y_true and y_pred as 1-D label arrays of one length and their target type."""
    truth = _labels.column(y_true, "y_true")
    predicted = _labels.column(y_pred, "y_pred")
    if truth.shape != predicted.shape:
        raise errors.ShapeError(f"{function}: y_true and y_pred must have the same length; got "
                                f"{truth.shape[0]} and {predicted.shape[0]} samples")
    if truth.size == 0:
        raise ValueError(f"{function}: y_true and y_pred are empty; at least one sample is needed")
    kind = _labels.target_type(truth, predicted, names=["y_true", "y_pred"])
    if kind == "continuous":
        raise ValueError(f"{function}: y_true and y_pred must hold class labels; got continuous values "
                         "(use a regression metric)")
    return truth, predicted, kind


def _classes(truth, predicted, num_classes):
    if num_classes is None:
        num_classes = int(max(truth.max(initial=-1), predicted.max(initial=-1))) + 1
    return int(num_classes)


def _counts(truth, predicted, labels):
    """The confusion matrix over labels plus one row and column for all other labels."""
    n = len(labels) + 1
    if n > 46341:  # n * n entries must stay addressable and sensible
        raise ValueError(f"{len(labels)} labels are too many for a confusion matrix")
    t, p = _labels.encode(truth, labels), _labels.encode(predicted, labels)
    matrix = np.zeros((n, n), dtype=np.int64)
    if t.size:
        lib.deep_metric_confusion_matrix(t.ctypes.data, p.ctypes.data, t.size, n, matrix.ctypes.data)
    return matrix


def accuracy_score(y_true, y_pred, *, normalize=True):
    """Fraction of samples whose prediction equals the truth (the count with normalize=False)."""
    truth, predicted, _ = _any_pair(y_true, y_pred, "accuracy_score")
    if not normalize:
        return int(np.count_nonzero(truth == predicted))
    present = _labels.unique(truth, predicted)
    t, p = _labels.encode(truth, present), _labels.encode(predicted, present)
    value = f64(0)
    lib.deep_metric_accuracy(t.ctypes.data, p.ctypes.data, t.size, ctypes.byref(value))
    return value.value


def confusion_matrix(y_true, y_pred, labels=None, *, num_classes=None, normalize=None):
    """matrix[i, j] counts samples of true class labels[i] predicted as labels[j] (int64).
    labels defaults to the sorted labels present; samples with a label outside `labels` are
    left out. num_classes (integer labels only) instead takes classes 0..num_classes-1 and
    makes any label outside them an OutOfRangeError. normalize: None, 'true' (rows sum to
    1), 'pred' (columns) or 'all'."""
    if num_classes is not None:
        if labels is not None:
            raise TypeError("confusion_matrix takes labels or num_classes, not both")
        truth, predicted = _pair(y_true, y_pred)
        n = _classes(truth, predicted, num_classes)
        matrix = np.zeros((n, n), dtype=np.int64)
        lib.deep_metric_confusion_matrix(truth.ctypes.data, predicted.ctypes.data, truth.size, n,
                                         matrix.ctypes.data)
    else:
        if labels is not None and np.ndim(labels) == 0:
            raise TypeError(f"confusion_matrix: labels must be a list of class labels; got {labels!r} "
                            "(for classes 0..n-1 pass num_classes=n)")
        truth, predicted, _ = _any_pair(y_true, y_pred, "confusion_matrix")
        if labels is None:
            labels = _labels.unique(truth, predicted)
        else:
            labels = np.asarray(labels)
            if labels.size == 0:
                raise ValueError("confusion_matrix: labels must name at least one class")
            if truth.size and not np.isin(labels, truth).any():
                raise ValueError("confusion_matrix: at least one of labels must occur in y_true")
        matrix = _counts(truth, predicted, labels)[:-1, :-1]
    if normalize is None:
        return matrix
    with np.errstate(all="ignore"):
        if normalize == "true":
            result = matrix / matrix.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            result = matrix / matrix.sum(axis=0, keepdims=True)
        elif normalize == "all":
            result = matrix / matrix.sum()
        else:
            raise ValueError(f"normalize must be None, 'true', 'pred' or 'all'; got {normalize!r}")
    return np.nan_to_num(result)


def _divide(numerator, denominator, zero_division, what, warn):
    undefined = denominator == 0
    result = numerator / np.where(undefined, 1, denominator)
    if undefined.any():
        result[undefined] = 0.0 if isinstance(zero_division, str) else float(zero_division)
        if zero_division == "warn" and warn:
            where = "due to" if result.size == 1 else "in labels with"
            warnings.warn(f"{what} is ill-defined and being set to 0.0 {where} no {warn} samples; "
                          "pass zero_division to choose the value", UndefinedMetricWarning, stacklevel=4)
    return result


def _check_zero_division(zero_division):
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(f"zero_division must be 'warn', 0, 1 or nan; got {zero_division!r}")
    elif not (zero_division in (0, 1) or np.isnan(zero_division)):
        raise ValueError(f"zero_division must be 'warn', 0, 1 or nan; got {zero_division!r}")


def _average(values, weights):
    """Mean ignoring nan scores (zero_division=nan), weighted by support when asked."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if weights is not None and weights[keep].sum() > 0:
        return float(np.average(values[keep], weights=weights[keep]))
    return float(np.mean(values[keep]))


def precision_recall_fscore_support(y_true, y_pred, *, beta=1.0, labels=None, pos_label=1, average=None,
                                    warn_for=("precision", "recall", "f-score"), zero_division="warn"):
    """(precision, recall, fbeta, support): arrays over labels with average=None, else floats
    and support None. average: None, 'binary' (the scores of pos_label; needs at most two
    distinct labels), 'micro' (from the summed counts), 'macro' (unweighted mean) or
    'weighted' (mean weighted by support)."""
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {list(_AVERAGES)}; got {average!r}")
    if beta < 0:
        raise ValueError(f"beta must be >= 0; got {beta}")
    _check_zero_division(zero_division)
    truth, predicted, kind = _any_pair(y_true, y_pred, "precision_recall_fscore_support")
    present = _labels.unique(truth, predicted)
    if average == "binary":
        if kind != "binary":
            raise ValueError("target is multiclass but average='binary'; choose average None, 'micro', "
                             "'macro' or 'weighted'")
        if len(present) >= 2 and pos_label not in present.tolist():
            raise ValueError(f"pos_label={pos_label!r} is not a label of the data; it is one of {present.tolist()}")
        labels = np.asarray([pos_label])
    elif labels is None:
        labels = present
    else:
        labels = np.asarray(labels)
    matrix = _counts(truth, predicted, labels)
    tp = np.diag(matrix)[:-1].astype(np.float64)
    pred_sum = matrix.sum(axis=0)[:-1].astype(np.float64)
    true_sum = matrix.sum(axis=1)[:-1].astype(np.float64)
    support = true_sum.astype(np.int64)
    if average == "micro":
        tp, pred_sum, true_sum = (np.array([a.sum()]) for a in (tp, pred_sum, true_sum))
    beta2 = beta * beta
    precision = _divide(tp, pred_sum, zero_division, "Precision",
                        "predicted" if "precision" in warn_for else None)
    recall = _divide(tp, true_sum, zero_division, "Recall", "true" if "recall" in warn_for else None)
    if np.isposinf(beta):
        fscore = recall
    else:
        fn, fp = true_sum - tp, pred_sum - tp
        fscore = _divide((1 + beta2) * tp, (1 + beta2) * tp + beta2 * fn + fp, zero_division, "F-score",
                         "true nor predicted" if "f-score" in warn_for else None)
    if average is None:
        return precision, recall, fscore, support
    weights = true_sum if average == "weighted" else None
    return _average(precision, weights), _average(recall, weights), _average(fscore, weights), None


def _one(name, y_true, y_pred, labels, pos_label, average, zero_division, beta=1.0):
    result = precision_recall_fscore_support(y_true, y_pred, beta=beta, labels=labels, pos_label=pos_label,
                                             average=average, warn_for=(name,), zero_division=zero_division)
    return result[{"precision": 0, "recall": 1, "f-score": 2}[name]]


def precision_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
    """tp / (tp + fp); see precision_recall_fscore_support for the arguments."""
    return _one("precision", y_true, y_pred, labels, pos_label, average, zero_division)


def recall_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
    """tp / (tp + fn); see precision_recall_fscore_support for the arguments."""
    return _one("recall", y_true, y_pred, labels, pos_label, average, zero_division)


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
    """2 tp / (2 tp + fp + fn); see precision_recall_fscore_support for the arguments."""
    return _one("f-score", y_true, y_pred, labels, pos_label, average, zero_division)


def fbeta_score(y_true, y_pred, *, beta, labels=None, pos_label=1, average="binary", zero_division="warn"):
    """The F-score weighting recall beta times as much as precision."""
    return _one("f-score", y_true, y_pred, labels, pos_label, average, zero_division, beta=beta)


def classification_report(y_true, y_pred, *, labels=None, target_names=None, digits=2, output_dict=False,
                          zero_division="warn"):
    """scikit-learn's text report (or, with output_dict=True, the same numbers as a dict):
    precision, recall, f1-score and support per class, then accuracy (or the micro average
    when labels leave classes out), the macro and the weighted average."""
    truth, predicted, _ = _any_pair(y_true, y_pred, "classification_report")
    present = _labels.unique(truth, predicted)
    labels_given = labels is not None
    labels = np.asarray(labels) if labels_given else present
    if target_names is None:
        target_names = [str(label) for label in labels.tolist()]
    elif len(target_names) != len(labels):
        message = (f"classification_report: {len(labels)} labels but {len(target_names)} target_names; "
                   "pass labels to say which classes the names belong to")
        if not labels_given:
            raise ValueError(message)
        warnings.warn(message, UserWarning, stacklevel=2)
    headers = ["precision", "recall", "f1-score", "support"]
    rows = precision_recall_fscore_support(truth, predicted, labels=labels, average=None,
                                           zero_division=zero_division)
    total = int(rows[3].sum())
    micro_is_accuracy = not labels_given or set(labels.tolist()) == set(present.tolist())
    averages = []
    for average in ("micro", "macro", "weighted"):
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        scores = precision_recall_fscore_support(truth, predicted, labels=labels, average=average,
                                                 zero_division=zero_division)[:3]
        averages.append((heading, [*scores, total]))
    if output_dict:
        report = {}
        for name, *values in zip(target_names, *rows):
            report[name] = dict(zip(headers, [v.item() for v in values]))
        for heading, values in averages:
            report[heading] = dict(zip(headers, [float(v) for v in values[:3]] + [total]))
        if "accuracy" in report:
            report["accuracy"] = report["accuracy"]["precision"]
        return report
    width = max([len(n) for n in target_names] + [len("weighted avg"), digits])
    text = f"{'':>{width}} " + "".join(f" {h:>9}" for h in headers) + "\n\n"
    for name, p, r, f, s in zip(target_names, *rows):
        text += f"{name:>{width}} " + "".join(f" {v:>9.{digits}f}" for v in (p, r, f)) + f" {s:>9}\n"
    text += "\n"
    for heading, (p, r, f, s) in averages:
        if heading == "accuracy":
            text += f"{heading:>{width}} " + f" {'':>9}" * 2 + f" {f:>9.{digits}f} {s:>9}\n"
        else:
            text += f"{heading:>{width}} " + "".join(f" {v:>9.{digits}f}" for v in (p, r, f)) + f" {s:>9}\n"
    return text


def precision_recall_fscore(y_true, y_pred, num_classes=None, average=None):
    """Per-class (precision, recall, f1) arrays of integer labels 0..num_classes-1, or with
    average='macro' their means, as scikit-learn's precision_recall_fscore_support with
    zero_division=0. (The older, integer-only form of precision_recall_fscore_support.)"""
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


# Keras' metric objects for compile(metrics=[...]) (since 1.2).
from ._metric_objects import (Metric, Precision, Recall, AUC, TopKCategoricalAccuracy,  # noqa: E402,F401
                              SparseTopKCategoricalAccuracy, MeanSquaredError, RootMeanSquaredError,
                              BinaryAccuracy, Accuracy, MeanAbsoluteError)
