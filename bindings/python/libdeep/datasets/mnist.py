"""MNIST as keras.datasets.mnist: 60000 training and 10000 test images of handwritten
digits, 28x28 pixels. Read from mnist/ under $LIBDEEP_DATASETS, /usr/share/datasets or
~/.keras/datasets (or the directory given as path): either the four IDX files of the
original distribution (train-images-idx3-ubyte.gz, ...; .gz or plain) or Keras' own
download, mnist.npz (in ~/.keras/datasets itself, as Keras keeps it)."""

import os

import numpy as np

from ._files import find, search_dirs
from ._idx import IDX_FILES, load_idx_pair, to_keras

NAME = "mnist"


def _npz(path):
    """Keras' mnist.npz when no IDX files are there: path/mnist.npz, or mnist.npz next to
    the mnist/ directories searched (where Keras puts it)."""
    if path is not None:
        places = [os.path.join(os.fspath(path), "mnist.npz")]
    else:
        places = [os.path.join(os.path.dirname(d), "mnist.npz") for d in search_dirs(NAME)]
    return next((p for p in places if os.path.isfile(p)), None)


def load_datasets(path=None):
    """(train, test) libdeep Datasets of (28, 28) samples, values 0..255, with labels."""
    from ..data import Dataset
    npz = _npz(path)
    if npz is None:
        return load_idx_pair("mnist", NAME, path)
    (x_train, y_train), (x_test, y_test) = load_data(path)
    return Dataset(x_train, y_train.astype(np.int32), num_classes=10), \
        Dataset(x_test, y_test.astype(np.int32), num_classes=10)


def load_data(path=None):
    """((x_train, y_train), (x_test, y_test)) as Keras returns them: x uint8 of shape
    (n, 28, 28), y uint8 class ids of shape (n,)."""
    npz = _npz(path)
    try:
        find("mnist", NAME, path, IDX_FILES)
        npz = None  # the IDX files win when both are there
    except OSError:
        if npz is None:
            raise
    if npz is None:
        return to_keras(load_idx_pair("mnist", NAME, path))
    with np.load(npz, allow_pickle=False) as arrays:
        return ((arrays["x_train"].astype(np.uint8), arrays["y_train"].astype(np.uint8)),
                (arrays["x_test"].astype(np.uint8), arrays["y_test"].astype(np.uint8)))
