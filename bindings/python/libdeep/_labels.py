"""Class labels as scikit-learn reads them: any hashable values of one kind (numbers or
strings), sorted as np.unique sorts them, and the "binary" / "multiclass" / "continuous"
kinds that decide stratification and averaging. Shared by metrics and model_selection."""

import numpy as np

from . import errors


def column(y, what):
    """y as a 1-D array; a column vector (n, 1) is accepted as scikit-learn and Keras do."""
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise errors.ShapeError(f"{what} must have shape (samples,); got shape {array.shape}")
    return array


def _kind(array, what):
    """'string', 'number' or 'continuous' for one label array (ValueError for a mix)."""
    if array.dtype.kind in "US":
        return "string"
    if array.dtype.kind == "O":
        strings = sum(isinstance(v, str) for v in array.tolist())
        if strings == array.size:
            return "string"
        if strings:
            raise ValueError(f"{what} mixes strings and numbers; use one kind of label")
        array = array.astype(np.float64)
    if array.dtype.kind == "f":
        if array.size and not np.all(np.isfinite(array) & (array == np.round(array))):
            return "continuous"
    elif array.dtype.kind not in "biu":
        raise TypeError(f"{what} must hold class labels (numbers or strings); got dtype {array.dtype}")
    return "number"


def target_type(*arrays, names=None):
    """scikit-learn's type_of_target over arrays together: 'binary' (at most two distinct
    labels), 'multiclass' or 'continuous' (floats that are not whole numbers)."""
    names = names or [f"y{i}" for i in range(len(arrays))]
    kinds = {_kind(a, n) for a, n in zip(arrays, names)}
    if "continuous" in kinds:
        return "continuous"
    if kinds == {"string", "number"}:
        raise ValueError(f"{' and '.join(names)} mix string and number labels; use one kind")
    return "binary" if len(unique(*arrays)) <= 2 else "multiclass"


def unique(*arrays):
    """The sorted distinct labels of all arrays (scikit-learn's unique_labels)."""
    present = [np.unique(a) for a in arrays if a.size]
    if not present:
        return np.array([])
    return np.unique(np.concatenate(present))


def _is_text(array):
    return array.dtype.kind in "US" or (array.dtype.kind == "O" and array.size > 0
                                         and isinstance(array.flat[0], str))


def encode(y, labels):
    """Index of each value of y in labels, len(labels) for values not among them (int32)."""
    labels, y = np.asarray(labels), np.asarray(y)
    if labels.size == 0 or (y.size and _is_text(labels) != _is_text(y)):
        return np.full(len(y), labels.size, dtype=np.int32)  # strings never equal numbers
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    position = np.clip(np.searchsorted(ordered, y), 0, len(ordered) - 1)
    found = ordered[position] == y
    return np.where(found, order[position], len(labels)).astype(np.int32)
