"""libdeep: Python binding of the libdeep C library (deep learning and tree learning with a
Keras-shaped interface), loaded through ctypes; no compiler needed.

    import libdeep
    from libdeep.layers import Dense
    model = libdeep.Sequential([Dense(64, activation="relu", input_shape=(20,)),
                                Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=32)

The shared library is found through LIBDEEP_LIBRARY (a path), else the dynamic loader
(an installed libdeep.so.1). See bindings/python/README.md.
"""

from ._version import __version__
from ._lib import lib as _lib
from .errors import (Error, NullError, InvalidArgumentError, ShapeError, OutOfRangeError, OutOfMemoryError,
                     SizeOverflowError, StateError, FileError, FormatError, NumericError, UnsupportedError,
                     ThreadError, BufferTooSmallError, ClosedError, LibraryNotFoundError)
from . import layers, optimizers, metrics, utils, data, datasets, model_selection, preprocessing, losses
from . import initializers, regularizers, constraints, onnx  # since 1.2
from .data import Dataset, load_idx, load_csv, load_cifar10, load_sqlite, kfold_indices, stratified_kfold_indices
from .layers import (Input, Dense, Activation, Dropout, Flatten, Reshape, Conv2D, MaxPooling2D, AveragePooling2D,
                     GlobalAveragePooling2D, BatchNormalization, Embedding, Masking, SimpleRNN, GRU, LSTM,
                     Bidirectional, Conv1D, MaxPooling1D, GlobalAveragePooling1D, GlobalMaxPooling2D, Permute,
                     RepeatVector, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate)
from .layers import Conv2DTranspose, UpSampling2D, ZeroPadding2D, Cropping2D
from .layers import LayerNormalization, DepthwiseConv2D, SeparableConv2D
from .layers import SpatialDropout2D, GaussianNoise, GaussianDropout  # since 1.2
from .layers import LeakyReLU, ELU, ReLU, PReLU  # since 1.3
from .models import Sequential, load_model, load_model_from_bytes, clone_model, Callback, EarlyStopping, History, \
    LearningRateScheduler, ReduceLROnPlateau
from .functional import Model
from . import callbacks, functional
from .trees import DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor

#: Version of the C library actually loaded ("MAJOR.MINOR.PATCH").
library_version = _lib.version
#: Path (or soname) the C library was loaded from.
library_path = _lib.path


def has_function(name):
    """Whether the loaded C library exports `name` (e.g. "deep_model_save")."""
    return _lib.has(name)


def cpu_count():
    """Cores the process may use, as the library counts them."""
    return _lib.deep_cpu_count()


__all__ = [
    "__version__", "library_version", "library_path", "has_function", "cpu_count",
    # errors
    "Error", "NullError", "InvalidArgumentError", "ShapeError", "OutOfRangeError", "OutOfMemoryError",
    "SizeOverflowError", "StateError", "FileError", "FormatError", "NumericError", "UnsupportedError",
    "ThreadError", "BufferTooSmallError", "ClosedError", "LibraryNotFoundError",
    # modules
    "layers", "optimizers", "metrics", "utils", "data", "datasets", "model_selection", "preprocessing", "callbacks",
    "functional", "initializers", "regularizers", "constraints", "onnx",  # the last four since 1.2
    # data
    "Dataset", "load_idx", "load_csv", "load_cifar10", "load_sqlite", "kfold_indices", "stratified_kfold_indices",
    # models
    "Input", "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Conv2D", "MaxPooling2D", "AveragePooling2D",
    "GlobalAveragePooling2D", "BatchNormalization", "Embedding", "Masking", "SimpleRNN", "GRU", "LSTM", "Bidirectional",
    "Conv1D", "MaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling2D", "Permute", "RepeatVector",
    "Conv2DTranspose", "UpSampling2D", "ZeroPadding2D", "Cropping2D",
    "LayerNormalization", "DepthwiseConv2D", "SeparableConv2D",  # since 1.1
    "SpatialDropout2D", "GaussianNoise", "GaussianDropout",  # since 1.2
    "LeakyReLU", "ELU", "ReLU", "PReLU",  # since 1.3
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "Sequential", "Model", "load_model", "load_model_from_bytes", "clone_model",
    "Callback", "EarlyStopping", "History", "LearningRateScheduler", "ReduceLROnPlateau",
    # trees
    "DecisionTreeClassifier", "DecisionTreeRegressor", "RandomForestClassifier", "RandomForestRegressor",
]
