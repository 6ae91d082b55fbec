"""The IDX pair loaders shared by mnist and fashion_mnist."""

import numpy as np

from ._files import find

_SPLITS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
           "t10k-labels-idx1-ubyte")
#: The file sets accepted: the four .gz files, or the four uncompressed ones.
IDX_FILES = [[f + ".gz" for f in _SPLITS], list(_SPLITS)]


def load_idx_pair(what, name, path):
    from ..data import Dataset
    _, (train_x, train_y, test_x, test_y) = find(what, name, path, IDX_FILES)
    train = Dataset.from_idx(train_x, train_y)
    try:
        return train, Dataset.from_idx(test_x, test_y)
    except BaseException:
        train.close()
        raise


def to_keras(datasets):
    """((x, y), (x, y)) uint8 arrays from (train, test) Datasets of byte values, closing them."""
    result = []
    for data in datasets:
        with data:
            result.append((data.features.astype(np.uint8), data.labels.astype(np.uint8)))
    return tuple(result)
