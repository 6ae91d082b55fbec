"""Keras' metric objects for compile(metrics=[...]) that the C library computes (deep_metric),
accumulated over the epoch as Keras' are. Each has Keras' default name (the history key;
compile numbers repeated names precision, precision_1, ... as Keras does) and, since 1.3,
its own arguments (thresholds, class_id, top_k, k, num_thresholds), set on its compiled
metric with deep_model_set_metric_int / _float, so two metrics of one kind with different
settings coexist."""

from . import _ffi as C
from . import errors


class Metric:
    """A compiled metric: its deep_metric code, its name and its model-wide settings."""

    code = None
    default_name = None

    def __init__(self, name=None):
        self.name = name or self.default_name

    def settings(self):
        """{model option name: value} this metric needs (none since 1.3: see options)."""
        return {}

    def options(self):
        """[(deep_metric_option, value)] of this metric's own arguments (ints, or a float
        threshold), set after compile."""
        return []

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


def _threshold(thresholds, what):
    if thresholds is None:
        return 0.5
    if isinstance(thresholds, (list, tuple)):
        if len(thresholds) != 1:
            raise ValueError(f"{what}: the library takes one threshold; got {thresholds!r}")
        thresholds = thresholds[0]
    return float(thresholds)


class Precision(Metric):
    """keras.metrics.Precision(thresholds=None, top_k=None, class_id=None): tp / (tp + fp)
    over the epoch; with several classes over every entry of the one-hot rows (micro), or
    over entry class_id only; with top_k only each row's top_k largest outputs may count
    (threshold then -1e10 unless given, as Keras). One threshold (Keras' list of several is
    not offered)."""

    code = C.DEEP_METRIC_PRECISION
    default_name = "precision"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None):
        super().__init__(name)
        self.thresholds = None if thresholds is None else _threshold(thresholds, type(self).__name__)
        self.top_k = None if top_k is None else int(top_k)
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"{type(self).__name__}: top_k must be >= 1; got {top_k!r}")
        self.class_id = None if class_id is None else int(class_id)
        if self.class_id is not None and self.class_id < 0:
            raise ValueError(f"{type(self).__name__}: class_id must be >= 0; got {class_id!r}")

    def options(self):
        found = []
        if self.thresholds is not None:
            found.append((C.DEEP_METRIC_OPTION_THRESHOLD, float(self.thresholds)))
        if self.top_k is not None:
            found.append((C.DEEP_METRIC_OPTION_TOP_K, self.top_k))
        if self.class_id is not None:
            found.append((C.DEEP_METRIC_OPTION_CLASS_ID, self.class_id))
        return found


class Recall(Precision):
    """keras.metrics.Recall(thresholds=None, top_k=None, class_id=None): tp / (tp + fn) over
    the epoch, with Precision's arguments."""

    code = C.DEEP_METRIC_RECALL
    default_name = "recall"


class AUC(Metric):
    """keras.metrics.AUC(num_thresholds=200, curve="ROC" or "PR"): Keras' evenly spaced
    thresholds (2..1000 of them) and interpolation, micro-averaged over one-hot entries.
    multi_label=True (one curve per class, areas averaged) is not offered."""

    code = C.DEEP_METRIC_AUC
    default_name = "auc"

    def __init__(self, num_thresholds=200, curve="ROC", multi_label=False, name=None):
        self.num_thresholds = int(num_thresholds)
        if not 2 <= self.num_thresholds <= 1000:
            raise ValueError(f"AUC: num_thresholds must be in 2..1000; got {num_thresholds!r}")
        if multi_label:
            raise errors.UnsupportedError("AUC(multi_label=True) is not offered: the library's AUC counts every "
                                          "one-hot entry (Keras' multi_label=False)")
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR'; got {curve!r}")
        super().__init__(name or ("pr_auc" if curve == "PR" else "auc"))
        self.curve = curve
        self.code = C.DEEP_METRIC_PR_AUC if curve == "PR" else C.DEEP_METRIC_AUC

    def options(self):
        return [] if self.num_thresholds == 200 else [(C.DEEP_METRIC_OPTION_NUM_THRESHOLDS, self.num_thresholds)]


class TopKCategoricalAccuracy(Metric):
    """keras.metrics.TopKCategoricalAccuracy(k=5) on one-hot targets."""

    code = C.DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY
    default_name = "top_k_categorical_accuracy"

    def __init__(self, k=5, name=None):
        super().__init__(name)
        self.k = int(k)
        if self.k < 1:
            raise ValueError(f"k must be >= 1; got {k!r}")

    def options(self):
        return [(C.DEEP_METRIC_OPTION_TOP_K, self.k)]


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """keras.metrics.SparseTopKCategoricalAccuracy(k=5) on integer labels (the sparse loss)."""

    default_name = "sparse_top_k_categorical_accuracy"


class MeanSquaredError(Metric):
    """keras.metrics.MeanSquaredError."""

    code = C.DEEP_METRIC_MEAN_SQUARED_ERROR
    default_name = "mean_squared_error"


class RootMeanSquaredError(Metric):
    """keras.metrics.RootMeanSquaredError: the root of the epoch's mean squared error."""

    code = C.DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR
    default_name = "root_mean_squared_error"


class BinaryAccuracy(Metric):
    """keras.metrics.BinaryAccuracy(threshold=0.5)."""

    code = C.DEEP_METRIC_BINARY_ACCURACY
    default_name = "binary_accuracy"

    def __init__(self, threshold=0.5, name=None):
        super().__init__(name)
        self.threshold = float(threshold)

    def options(self):
        return [(C.DEEP_METRIC_OPTION_THRESHOLD, self.threshold)]


class Accuracy(Metric):
    """The library's accuracy ("accuracy" in compile): argmax match, or threshold 0.5 for one
    output."""

    code = C.DEEP_METRIC_ACCURACY
    default_name = "accuracy"


class MeanAbsoluteError(Metric):
    """keras.metrics.MeanAbsoluteError."""

    code = C.DEEP_METRIC_MEAN_ABSOLUTE_ERROR
    default_name = "mean_absolute_error"
