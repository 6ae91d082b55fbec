"""CIFAR-10 as keras.datasets.cifar10: 50000 training and 10000 test colour images of
32x32 pixels in 10 classes, read by libdeep's CIFAR-10 loader from the binary version
of the dataset (data_batch_1.bin ... data_batch_5.bin and test_batch.bin, as the
cifar-10-binary.tar.gz archive unpacks them) in cifar-10-batches-bin/ under
$LIBDEEP_DATASETS, /usr/share/datasets or ~/.keras/datasets, or in the directory given
as path. (Keras' own download is the Python-pickle version, which is not read: unpickling
can run code.)"""

import numpy as np

from ._files import find

NAME = "cifar-10-batches-bin"
_TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]
_TEST = ["test_batch.bin"]


def load_datasets(path=None):
    """(train, test) libdeep Datasets of (32, 32, 3) samples (channels last), values
    0..255, with labels."""
    from ..data import Dataset
    _, files = find("cifar10", NAME, path, [_TRAIN + _TEST])
    train = Dataset.from_cifar10(files[:5])
    try:
        return train, Dataset.from_cifar10(files[5:])
    except BaseException:
        train.close()
        raise


def load_data(path=None):
    """((x_train, y_train), (x_test, y_test)) as Keras returns them: x uint8 of shape
    (n, 32, 32, 3), y uint8 class ids of shape (n, 1)."""
    result = []
    for data in load_datasets(path):
        with data:
            result.append((data.features.astype(np.uint8), data.labels.astype(np.uint8).reshape(-1, 1)))
    return tuple(result)
