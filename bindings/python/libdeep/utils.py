"""Small array helpers in Keras' spelling, and the core count the library sees."""

import numpy as np

from ._core import as_label_array
from ._lib import lib


def cpu_count():
    """The cores this process may use, as the C library counts them (deep_cpu_count): what
    threads=0 / n_jobs=None mean for fit, evaluate and forests."""
    return int(lib.deep_cpu_count())


def to_categorical(y, num_classes=None):
    """One-hot float32 rows of integer class ids, as keras.utils.to_categorical."""
    labels = as_label_array(y, "y").reshape(-1)
    if labels.size and labels.min() < 0:
        raise ValueError("class ids must be >= 0")
    n = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and labels.max() >= n:
        raise ValueError(f"class id {int(labels.max())} is not below num_classes={n}")
    result = np.zeros((labels.size, n), dtype=np.float32)
    result[np.arange(labels.size), labels] = 1.0
    return result
