"""Keras' metric objects for compile(metrics=[...]) that the C library computes (deep_metric),
accumulated over the epoch as Keras' are. Each has Keras' default name (the history key)
and the settings the library supports; thresholds and k belong to the whole model, so two
metrics asking for different ones are refused at compile."""

from . import _ffi as C


class Metric:
    """A compiled metric: its deep_metric code, its name and its model-wide settings."""

    code = None
    default_name = None

    def __init__(self, name=None):
        self.name = name or self.default_name

    def settings(self):
        """{model option name: value} this metric needs."""
        return {}

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
    """keras.metrics.Precision(thresholds=0.5): tp / (tp + fp) over the epoch; with several
    classes over every entry of the one-hot rows (micro)."""

    code = C.DEEP_METRIC_PRECISION
    default_name = "precision"

    def __init__(self, thresholds=None, name=None):
        super().__init__(name)
        self.thresholds = _threshold(thresholds, type(self).__name__)

    def settings(self):
        return {"metric_threshold": self.thresholds}


class Recall(Precision):
    """keras.metrics.Recall(thresholds=0.5): tp / (tp + fn) over the epoch."""

    code = C.DEEP_METRIC_RECALL
    default_name = "recall"


class AUC(Metric):
    """keras.metrics.AUC(curve="ROC" or "PR"): Keras' 200 thresholds and interpolation."""

    code = C.DEEP_METRIC_AUC
    default_name = "auc"

    def __init__(self, num_thresholds=200, curve="ROC", name=None):
        if num_thresholds != 200:
            raise ValueError("AUC: the library uses Keras' default of 200 thresholds")
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR'; got {curve!r}")
        super().__init__(name or ("pr_auc" if curve == "PR" else "auc"))
        self.curve = curve
        self.code = C.DEEP_METRIC_PR_AUC if curve == "PR" else C.DEEP_METRIC_AUC


class TopKCategoricalAccuracy(Metric):
    """keras.metrics.TopKCategoricalAccuracy(k=5) on one-hot targets."""

    code = C.DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY
    default_name = "top_k_categorical_accuracy"

    def __init__(self, k=5, name=None):
        super().__init__(name)
        self.k = int(k)
        if self.k < 1:
            raise ValueError(f"k must be >= 1; got {k!r}")

    def settings(self):
        return {"top_k": self.k}


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

    def settings(self):
        return {"metric_threshold": self.threshold}


class Accuracy(Metric):
    """The library's accuracy ("accuracy" in compile): argmax match, or threshold 0.5 for one
    output."""

    code = C.DEEP_METRIC_ACCURACY
    default_name = "accuracy"


class MeanAbsoluteError(Metric):
    """keras.metrics.MeanAbsoluteError."""

    code = C.DEEP_METRIC_MEAN_ABSOLUTE_ERROR
    default_name = "mean_absolute_error"
