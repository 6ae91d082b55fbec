"""libdeep.datasets: load_iris against scikit-learn's, the Keras-shaped image loaders on
small files written here (and on Debian's Fashion-MNIST when it is installed)."""

import filecmp
import gzip
import os
import struct

import numpy as np
import pytest

import libdeep
from libdeep import datasets
from optional import need

EXAMPLES_IRIS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "data", "iris.csv")


def test_load_iris_equals_scikit_learns():
    sk = need("sklearn.datasets")
    ours, theirs = datasets.load_iris(), sk.load_iris()
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.target, theirs.target)
    assert ours.data.dtype == theirs.data.dtype and ours.target.dtype == theirs.target.dtype
    assert ours.feature_names == theirs.feature_names
    assert ours.target_names.tolist() == theirs.target_names.tolist()
    assert ours["data"] is ours.data and ours.frame is None
    x, y = datasets.load_iris(return_X_y=True)
    assert x.shape == (150, 4) and y.shape == (150,)


def test_load_iris_as_frame():
    need("pandas")
    sk = need("sklearn.datasets")
    ours, theirs = datasets.load_iris(as_frame=True), sk.load_iris(as_frame=True)
    assert ours.frame.equals(theirs.frame)
    x, y = datasets.load_iris(return_X_y=True, as_frame=True)
    assert list(x.columns) == theirs.feature_names and y.name == "target"


def test_the_packaged_iris_is_the_examples_iris():
    if not os.path.exists(EXAMPLES_IRIS):
        pytest.skip("not run from a source tree")
    assert filecmp.cmp(datasets._iris.CSV, EXAMPLES_IRIS, shallow=False)


def _idx(path, array, compress=True):
    code = {np.uint8: 0x08}[array.dtype.type]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def _write_mnist_like(directory, compress=True, seed=0):
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", 6), ("t10k", 4)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        suffix = ".gz" if compress else ""
        _idx(directory / f"{split}-images-idx3-ubyte{suffix}", images, compress)
        _idx(directory / f"{split}-labels-idx1-ubyte{suffix}", labels, compress)
        arrays[split] = (images, labels)
    return arrays


def _check_keras_arrays(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for x, y, (images, labels) in ((x_train, y_train, arrays["train"]), (x_test, y_test, arrays["t10k"])):
        assert x.dtype == np.uint8 and y.dtype == np.uint8
        np.testing.assert_array_equal(x, images)
        np.testing.assert_array_equal(y, labels)


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_and_fashion_mnist_from_a_path(tmp_path, compress):
    arrays = _write_mnist_like(tmp_path / "files", compress)
    _check_keras_arrays(datasets.mnist.load_data(tmp_path / "files"), arrays)
    _check_keras_arrays(datasets.fashion_mnist.load_data(str(tmp_path / "files")), arrays)
    train, test = datasets.fashion_mnist.load_datasets(tmp_path / "files")
    with train, test:
        assert train.sample_shape == (28, 28) and len(test) == 4
        np.testing.assert_array_equal(train.labels, arrays["train"][1])


def test_the_environment_variable_and_the_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LIBDEEP_DATASETS", f"{tmp_path / 'nothing'}:{tmp_path / 'root'}")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(libdeep.FileError) as error:
        datasets.mnist.load_data()
    message = str(error.value)
    for place in (tmp_path / "nothing" / "mnist", tmp_path / "root" / "mnist", "/usr/share/datasets/mnist",
                  tmp_path / "home" / ".keras" / "datasets" / "mnist"):
        assert str(place) in message
    assert "LIBDEEP_DATASETS" in message and "train-images-idx3-ubyte.gz" in message
    arrays = _write_mnist_like(tmp_path / "root" / "mnist", seed=3)
    _check_keras_arrays(datasets.mnist.load_data(), arrays)
    assert datasets.search_dirs("mnist")[1] == str(tmp_path / "root" / "mnist")
    with pytest.raises(libdeep.FileError, match="cifar10.load_data"):
        datasets.cifar10.load_data()


def test_mnist_reads_keras_npz(tmp_path, monkeypatch):
    monkeypatch.delenv("LIBDEEP_DATASETS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    keras_dir = tmp_path / ".keras" / "datasets"
    keras_dir.mkdir(parents=True)
    rng = np.random.default_rng(2)
    arrays = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), "y_test": np.array([3, 9], np.uint8)}
    np.savez(keras_dir / "mnist.npz", **arrays)
    if os.path.isdir("/usr/share/datasets/mnist"):
        pytest.skip("a system MNIST would be found first")
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    train, test = datasets.mnist.load_datasets()
    with train, test:
        np.testing.assert_array_equal(test.labels, [3, 9])
        np.testing.assert_array_equal(train.features, arrays["x_train"])


def test_cifar10(tmp_path):
    rng = np.random.default_rng(4)
    images, labels = {}, {}
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for name in names:
        x = rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
        y = rng.integers(0, 10, size=2, dtype=np.uint8)
        # a record: the label byte, then the red, green and blue planes of 32x32
        records = [bytes([y[i]]) + x[i].transpose(2, 0, 1).tobytes() for i in range(2)]
        (tmp_path / name).write_bytes(b"".join(records))
        images[name], labels[name] = x, y
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data(tmp_path)
    assert x_train.shape == (10, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_test.shape == (2, 1) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, np.concatenate([images[n] for n in names[:5]]))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([labels[n] for n in names[:5]]))
    np.testing.assert_array_equal(x_test, images["test_batch.bin"])
    os.remove(tmp_path / "data_batch_3.bin")
    with pytest.raises(libdeep.FileError, match="data_batch_3.bin"):
        datasets.cifar10.load_data(tmp_path)


def test_fashion_mnist_from_debian():
    path = "/usr/share/datasets/fashion-mnist"
    if not os.path.isdir(path) and not os.environ.get("CI"):
        pytest.skip("dataset-fashion-mnist is not installed")
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8 and y_train.shape == (60000,)
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]  # as Keras' copy starts
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_old_names_still_work():
    assert datasets.Dataset is libdeep.Dataset and datasets.load_csv is libdeep.load_csv
    assert datasets.fashion_mnist.DEFAULT_PATH == "/usr/share/datasets/fashion-mnist"
