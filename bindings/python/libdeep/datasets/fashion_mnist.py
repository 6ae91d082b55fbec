"""Fashion-MNIST as keras.datasets.fashion_mnist: 60000 training and 10000 test images
of 28x28 pixels in 10 classes, read by libdeep's IDX loader. The four IDX files (.gz or
plain) are looked for in fashion-mnist/ under $LIBDEEP_DATASETS, /usr/share/datasets
(Debian's dataset-fashion-mnist package) and ~/.keras/datasets, or in the directory
given as path."""

from ._idx import load_idx_pair, to_keras

NAME = "fashion-mnist"
DEFAULT_PATH = "/usr/share/datasets/fashion-mnist"


def load_datasets(path=None):
    """(train, test) libdeep Datasets of (28, 28) samples, values 0..255, with labels."""
    return load_idx_pair("fashion_mnist", NAME, path)


def load_data(path=None):
    """((x_train, y_train), (x_test, y_test)) as Keras returns them: x uint8 of shape
    (n, 28, 28), y uint8 class ids of shape (n,)."""
    return to_keras(load_datasets(path))


__all__ = ["load_data", "load_datasets"]
