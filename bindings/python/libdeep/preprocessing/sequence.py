"""keras.preprocessing.sequence: pad_sequences, and the sliding windows of next-token
prediction (windows for arrays, windows_dataset for a libdeep Dataset).

pad_sequences is NumPy, so that any dtype and value work as in Keras (the C library's
deep_dataset_new_sequences pads with 0 into float datasets); windows_dataset is the C
library's deep_dataset_new_windows."""

import ctypes

import numpy as np

from .. import errors
from .._lib import lib, out


def _side(value, name):
    if value not in ("pre", "post"):
        raise ValueError(f"{name} must be 'pre' or 'post'; got {value!r}")
    return value


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """A (len(sequences), maxlen) array: each sequence cut to maxlen (dropping ids at the
    start with truncating='pre', Keras' default, or at the end with 'post') and filled with
    value before it (padding='pre', the default) or after it ('post'). maxlen None is the
    longest sequence. Sequences of vectors give (n, maxlen, vector shape...)."""
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: sequences must be a list of sequences")
    _side(padding, "padding")
    _side(truncating, "truncating")
    lengths, sample_shape = [], None
    for i, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(f"pad_sequences: sequences[{i}] is not a sequence: {sequence!r}") from None
        if sample_shape is None and len(sequence):
            sample_shape = np.asarray(sequence).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be None or an int >= 0; got {maxlen!r}")
    if isinstance(value, str) and np.dtype(dtype).kind not in "OUS":
        raise ValueError(f"pad_sequences: dtype {dtype} cannot hold the string value {value!r}; "
                         "use dtype=object for strings")
    result = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return result
    for i, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(f"pad_sequences: sequences[{i}] has elements of shape {kept.shape[1:]}, "
                             f"the others {tuple(sample_shape)}")
        if padding == "post":
            result[i, : len(kept)] = kept
        else:
            result[i, maxlen - len(kept):] = kept
    return result


def _ids(ids, window, stride):
    array = np.asarray(ids)
    if array.ndim != 1:
        raise errors.ShapeError(f"ids must be one sequence (1-D); got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise TypeError(f"ids must be integers; got dtype {array.dtype}")
    for name, v in (("window", window), ("stride", stride)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be an int >= 1; got {v!r}")
    if array.size <= window:
        raise errors.ShapeError(f"{array.size} ids make no window of {window} followed by its next id")
    return array


def windows(ids, window, stride=1):
    """Next-token training pairs from one sequence of ids: x[i] holds the `window` ids
    starting at i * stride and y[i] the id after them (Keras' text-generation recipe:
    sentences = text[i:i + maxlen], next_chars = text[i + maxlen] for i in range(0,
    len(text) - maxlen, step)). Returns (x of shape (n, window), y of shape (n,)), the
    dtype of ids."""
    array = _ids(ids, window, stride)
    starts = np.arange(0, array.size - window, stride)
    x = array[starts[:, None] + np.arange(window)]
    return x, array[starts + window]


def windows_dataset(ids, window, stride=1, num_classes=None):
    """windows() as a libdeep Dataset (float features, integer labels of num_classes
    classes, by default max(ids) + 1), made by the C library's deep_dataset_new_windows."""
    from ..data import Dataset
    array = _ids(ids, window, stride)
    if array.min() < 0 or array.max() > np.iinfo(np.int32).max:
        raise ValueError(f"ids must be in 0..{np.iinfo(np.int32).max}; they go from {array.min()} to {array.max()}")
    array = np.ascontiguousarray(array, dtype=np.int32)
    if num_classes is None:
        num_classes = int(array.max()) + 1
    handle = out()
    lib.deep_dataset_new_windows(array.ctypes.data, array.size, int(window), int(stride), int(num_classes),
                                 ctypes.byref(handle))
    return Dataset._wrap(handle)
