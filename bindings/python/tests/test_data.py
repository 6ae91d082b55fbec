import gzip
import struct

import numpy as np
import pytest

import libdeep
from libdeep import Dataset


def test_dataset_from_float32_arrays():
    x = np.arange(24, dtype=np.float32).reshape(6, 2, 2)
    y = np.array([0, 1, 2, 0, 1, 2])
    data = Dataset(x, y)
    assert len(data) == 6 and data.count == 6
    assert data.sample_shape == (2, 2)
    assert data.num_classes == 3
    np.testing.assert_array_equal(data.features, x)
    np.testing.assert_array_equal(data.labels, y)
    assert data.labels.dtype == np.int32
    assert data.target_width == 0
    assert "6 samples" in repr(data)


def test_features_are_a_view_of_a_new_tensor():
    x = np.ones((3, 2), dtype=np.float32)
    data = Dataset(x)
    features = data.features
    assert isinstance(features.base, libdeep._core.Tensor)
    features[:] = 5  # writing to the copy does not change the dataset
    np.testing.assert_array_equal(data.features, x)


def test_wrong_dtypes_and_layouts_are_converted():
    # float64, integer and non-contiguous features are converted to float32 C order once.
    base = np.arange(40, dtype=np.float64).reshape(10, 4)
    for x in (base, base.astype(np.int16), base[:, ::2], np.asfortranarray(base), base.T.copy().T):
        data = Dataset(x)
        np.testing.assert_array_equal(data.features, np.asarray(x, dtype=np.float32))
    # Labels of any integer dtype and layout.
    labels = np.array([3, 1, 2, 0, 1, 2, 0, 1, 2, 3] * 2, dtype=np.uint8)[::2]
    data = Dataset(base, labels)
    np.testing.assert_array_equal(data.labels, labels)


def test_unconvertible_arrays_are_rejected():
    with pytest.raises(TypeError, match="real numbers"):
        Dataset(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="real numbers"):
        Dataset(np.ones((2, 2), dtype=complex))
    with pytest.raises(TypeError, match="real numbers"):
        Dataset(np.array([[object()]]))
    data = Dataset(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="integers"):
        data.set_labels(np.array([0.0, 1.0, 0.5]))
    with pytest.raises(TypeError, match="int32"):
        data.set_labels(np.array([0, 1, 2 ** 40]))
    with pytest.raises(libdeep.ShapeError):
        Dataset(np.zeros(5))  # needs a sample axis
    with pytest.raises(libdeep.ShapeError):
        data.set_labels(np.zeros(4, dtype=int))
    with pytest.raises(libdeep.OutOfRangeError):
        data.set_labels(np.array([0, -1, 1]))


def test_targets():
    x = np.zeros((4, 3), dtype=np.float32)
    t = np.arange(8, dtype=np.float64).reshape(4, 2)
    data = Dataset(x, t)
    assert data.target_width == 2
    np.testing.assert_array_equal(data.targets, t)
    with pytest.raises(libdeep.ShapeError):
        data.set_targets(np.zeros((3, 2)))


def test_to_categorical_and_transformations():
    x = np.array([[0, 10], [5, 20], [10, 30], [5, 40]], dtype=np.float32)
    data = Dataset(x, np.array([1, 0, 2, 1]))
    data.to_categorical()
    np.testing.assert_array_equal(data.targets, libdeep.utils.to_categorical([1, 0, 2, 1]))
    data.scale(0.1, 1.0)
    np.testing.assert_allclose(data.features, x * 0.1 + 1.0)
    data.minmax_scale()
    np.testing.assert_allclose(data.features, [[0, 0], [0.5, 1 / 3], [1, 2 / 3], [0.5, 1]], atol=1e-6)
    data.standardize()
    np.testing.assert_allclose(data.features.mean(axis=0), 0, atol=1e-6)
    assert data.reshape(2, 1).sample_shape == (2, 1)
    with pytest.raises(libdeep.ShapeError):
        data.reshape(3)


def test_standardize_with_a_reference():
    train = Dataset(np.array([[0.0], [2.0]]))
    test = Dataset(np.array([[1.0], [3.0]]))
    test.standardize(train)  # train's mean 1 and std 1
    np.testing.assert_allclose(test.features[:, 0], [0, 2], atol=1e-6)


def test_split_subset_shuffle_concat():
    x = np.arange(100, dtype=np.float32).reshape(100, 1)
    y = np.repeat([0, 1], 50)
    data = Dataset(x, y)
    train, test = data.split(0.2, seed=3, stratify=True)
    assert (len(train), len(test)) == (80, 20)
    assert np.bincount(test.labels).tolist() == [10, 10]
    # Features keep their labels: sample i has label i >= 50.
    for part in (train, test):
        np.testing.assert_array_equal(part.labels, (part.features[:, 0] >= 50).astype(np.int32))
    sub = data.subset([5, 5, 99])
    np.testing.assert_array_equal(sub.features[:, 0], [5, 5, 99])
    np.testing.assert_array_equal(sub.labels, [0, 0, 1])
    with pytest.raises(libdeep.OutOfRangeError):
        data.subset([100])
    data.shuffle(seed=1)
    assert not np.array_equal(data.features[:, 0], x[:, 0])
    np.testing.assert_array_equal(data.labels, (data.features[:, 0] >= 50).astype(np.int32))
    both = train.concat(test)
    assert len(both) == 100
    assert sorted(both.features[:, 0]) == list(range(100))


def test_kfold_indices():
    train, test = libdeep.kfold_indices(10, folds=3, fold=0, shuffle=False)
    assert test.tolist() == [0, 1, 2, 3] and train.tolist() == [4, 5, 6, 7, 8, 9]
    seen = np.concatenate([libdeep.kfold_indices(10, 3, f, seed=4)[1] for f in range(3)])
    assert sorted(seen.tolist()) == list(range(10))
    with pytest.raises(libdeep.InvalidArgumentError):
        libdeep.kfold_indices(10, folds=1, fold=0)


CSV = """height,weight,colour,kind
1.5,60,3,cat
,70,NA,dog
1.7,"80",2,dog
1.6,65,1,cat
"""


def test_csv_loading_and_missing_values(tmp_path):
    path = tmp_path / "animals.csv"
    path.write_text(CSV)
    data = libdeep.load_csv(path, label_column="kind")
    assert len(data) == 4 and data.sample_shape == (3,)
    assert data.column_names == ["height", "weight", "colour"]
    assert data.class_names == ["cat", "dog"]
    np.testing.assert_array_equal(data.labels, [0, 1, 1, 0])
    assert data.missing_count() == 2
    assert data.missing_count(0) == 1
    assert np.isnan(data.features[1, 0])
    assert data.describe(1, "mean") == pytest.approx(68.75)
    assert data.describe(0, "count") == 3
    text = data.describe()
    assert "height" in text and "weight" in text
    filled = libdeep.load_csv(path, "kind").fill_missing("mean")
    assert filled.missing_count() == 0
    assert filled.features[1, 0] == pytest.approx(1.6)
    median = libdeep.load_csv(path, "kind").fill_missing("median")
    assert median.features[1, 2] == pytest.approx(2.0)
    dropped = libdeep.load_csv(path, "kind").drop_missing()
    assert len(dropped) == 3
    with pytest.raises(ValueError, match="fill strategy"):
        data.fill_missing("mode")
    with pytest.raises(libdeep.StateError):
        Dataset(np.zeros((2, 2))).column_name(0)


def test_csv_round_trip(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(CSV)
    data = libdeep.load_csv(path, "kind")
    out = tmp_path / "b.csv"
    data.to_csv(out)
    again = libdeep.load_csv(out, "kind")
    np.testing.assert_array_equal(again.features, data.features)
    assert again.class_names == data.class_names


def test_class_ids_are_sorted_and_shared(tmp_path):
    train_path, test_path = tmp_path / "train.csv", tmp_path / "test.csv"
    train_path.write_text("x,y\n1,b\n2,a\n3,c\n")
    test_path.write_text("x,y\n3,c\n1,b\n")
    train = libdeep.load_csv(train_path, "y")
    assert train.class_names == ["a", "b", "c"]  # sorted, not by first appearance
    np.testing.assert_array_equal(train.labels, [1, 0, 2])
    test = libdeep.load_csv(test_path, "y")
    assert test.class_names == ["b", "c"]
    assert test.use_classes(train) is test
    assert test.class_names == ["a", "b", "c"] and test.num_classes == 3
    np.testing.assert_array_equal(test.labels, [2, 1])
    test_path.write_text("x,y\n1,b\n4,dingo\n")
    other = libdeep.load_csv(test_path, "y")
    with pytest.raises(libdeep.InvalidArgumentError, match="class 'dingo'"):
        other.use_classes(train)
    assert other.class_names == ["b", "dingo"]  # unchanged
    np.testing.assert_array_equal(other.labels, [0, 1])
    with pytest.raises(libdeep.StateError):
        Dataset(np.zeros((2, 1)), np.array([0, 1])).use_classes(train)


def test_csv_errors(tmp_path):
    with pytest.raises(libdeep.FileError) as info:
        libdeep.load_csv(tmp_path / "missing.csv")
    assert isinstance(info.value, OSError)
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3\n")
    with pytest.raises(libdeep.FormatError, match=r"ragged.csv:3"):
        libdeep.load_csv(path)
    path.write_text("a,b\n1,2\n")
    with pytest.raises(libdeep.InvalidArgumentError, match="label"):
        libdeep.load_csv(path, label_column="label")


def _write_idx(path, array, compress):
    dims = array.shape
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_loading(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 5, 4))
    labels = rng.integers(0, 10, size=7)
    _write_idx(tmp_path / "img", images, compress)
    _write_idx(tmp_path / "lab", labels, compress)
    data = libdeep.load_idx(tmp_path / "img", tmp_path / "lab")
    assert data.sample_shape == (5, 4)
    np.testing.assert_array_equal(data.features, images.astype(np.float32))
    np.testing.assert_array_equal(data.labels, labels)
    only_images = Dataset.from_idx(str(tmp_path / "img"))
    with pytest.raises(libdeep.StateError):
        only_images.labels
    (tmp_path / "bad").write_bytes(b"\x00\x00\x08\x03\x00")
    with pytest.raises(libdeep.FormatError):
        libdeep.load_idx(tmp_path / "bad")


def test_fashion_mnist_loader_reports_a_missing_directory(tmp_path):
    with pytest.raises(libdeep.FileError):
        libdeep.datasets.fashion_mnist.load_data(str(tmp_path))


def test_use_after_close():
    data = Dataset(np.zeros((2, 2)))
    data.close()
    with pytest.raises(libdeep.ClosedError):
        len(data)
    with pytest.raises(libdeep.ClosedError):
        data.scale(2.0)
    assert "closed" in repr(data)
    with Dataset(np.zeros((2, 2))) as other:
        pass
    with pytest.raises(libdeep.ClosedError):
        other.features
