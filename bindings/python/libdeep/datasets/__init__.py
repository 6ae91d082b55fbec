"""Ready-made datasets, as keras.datasets and sklearn.datasets offer them:

    (x_train, y_train), (x_test, y_test) = libdeep.datasets.fashion_mnist.load_data()
    libdeep.datasets.mnist.load_data(); libdeep.datasets.cifar10.load_data()
    iris = libdeep.datasets.load_iris(); X, y = libdeep.datasets.load_iris(return_X_y=True)

Nothing is downloaded. The image sets are read from files already on the machine; see
libdeep.datasets._files for where they are looked for ($LIBDEEP_DATASETS,
/usr/share/datasets, ~/.keras/datasets) and the FileError raised when they are missing.
Iris ships with the package (the CSV of libdeep's examples/data/iris.csv).

Dataset, load_idx, load_csv and load_cifar10 are the libdeep.data names this module
offered before 1.0 (libdeep.datasets was then an alias of libdeep.data).
"""

from . import cifar10, fashion_mnist, mnist
from ._files import ENVIRONMENT, SYSTEM_DIR, search_dirs
from ._iris import Bunch, load_iris
from ..data import Dataset, load_cifar10, load_csv, load_idx

__all__ = ["fashion_mnist", "mnist", "cifar10", "load_iris", "Bunch", "search_dirs", "ENVIRONMENT", "SYSTEM_DIR",
           "Dataset", "load_idx", "load_csv", "load_cifar10"]
