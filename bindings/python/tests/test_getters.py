"""The getters mirroring the setters: Model.get_option / set_option / get_seed read the C
model, utils.cpu_count is the C library's count, and a loaded tree or forest reports the
parameters its C object holds through get_params."""

import os

import numpy as np
import pytest

import libdeep
from libdeep import layers


def small_model():
    model = libdeep.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


def test_model_options_round_trip(tmp_path):
    with small_model() as model:
        assert model.get_option("shuffle") is True  # the C defaults
        assert model.get_option("verbose") == 1
        assert model.get_option("checkpoint_path") is None
        values = {"threads": 2, "shuffle": False, "validation_split": 0.25, "early_stopping_patience": 3,
                  "early_stopping_min_delta": 0.5, "verbose": 0, "checkpoint_period": 4, "initial_epoch": 1,
                  "checkpoint_path": str(tmp_path / "ckpt.deep")}
        for name, value in values.items():
            model.set_option(name, value)
        assert {name: model.get_option(name) for name in values} == values
        model.set_option("checkpoint_path", None)
        assert model.get_option("checkpoint_path") is None


def test_model_option_errors():
    with small_model() as model:
        with pytest.raises(ValueError, match="no model option 'epochs'"):
            model.get_option("epochs")
        with pytest.raises(TypeError):
            model.set_option("threads", 1.5)
        with pytest.raises(TypeError):
            model.set_option("initial_epoch", True)
        with pytest.raises(libdeep.InvalidArgumentError, match="deep_model_set_float"):
            model.set_option("validation_split", 1.5)
    with pytest.raises(libdeep.StateError):
        libdeep.Sequential().get_option("threads")


def test_initial_epoch_of_a_checkpoint(tmp_path):
    path = str(tmp_path / "ckpt.deep")
    x = np.zeros((4, 3), dtype=np.float32)
    y = np.zeros((4, 2), dtype=np.float32)
    with small_model() as model:
        model.set_option("checkpoint_path", path)
        model.set_option("checkpoint_period", 1)
        model.fit(x, y, epochs=2, verbose=0)
    with libdeep.load_model(path) as loaded:
        assert loaded.get_option("initial_epoch") == 2


def test_model_seed():
    model = libdeep.Sequential()
    assert model.get_seed() is None
    model.set_seed(7)
    assert model.get_seed() == 7
    model.add(layers.Input((3,)))
    assert model.get_seed() == 7  # now read from the C model
    model.set_seed(2**64 - 1)
    assert model.get_seed() == 2**64 - 1
    model.close()


def test_cpu_count():
    count = libdeep.utils.cpu_count()
    assert 1 <= count <= (os.cpu_count() or count)


@pytest.mark.parametrize("cls, params", [
    (libdeep.DecisionTreeClassifier, dict(criterion="entropy", max_depth=3, min_samples_split=4, min_samples_leaf=2,
                                          max_features="log2", min_impurity_decrease=0.125, random_state=5,
                                          splitter="exact", max_bins=16)),
    (libdeep.DecisionTreeRegressor, dict(max_depth=None, max_features=0.5)),
    (libdeep.RandomForestClassifier, dict(n_estimators=3, bootstrap=False, oob_score=False, n_jobs=2,
                                          max_features=2, max_samples=None)),
    (libdeep.RandomForestRegressor, dict(n_estimators=2, max_samples=0.75, n_jobs=None)),
])
def test_a_loaded_estimator_reports_its_c_parameters(tmp_path, cls, params):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] > 0).astype(int)
    estimator = cls(**params).fit(X, y)
    path = str(tmp_path / "estimator")
    estimator.save(path)
    with cls.load(path) as loaded:
        got = loaded.get_params()
        assert got == estimator._read_params()
        expected = estimator.get_params()
        if "class_weight" in expected:
            assert got.pop("class_weight") is None  # not kept in tree files
            expected.pop("class_weight")
        assert got == expected
        np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    estimator.close()


def test_class_weights_are_read_back():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 0, 1])
    with libdeep.DecisionTreeClassifier(class_weight="balanced").fit(X, y) as tree:
        np.testing.assert_allclose(tree._read_params()["class_weight"], [4 / 6, 4 / 2])
