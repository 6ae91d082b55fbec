"""Errors from the C library worded for Python (issue #19): the Python call and argument
first, C names in their Python spelling, the C function last; Error.message keeps the C
message."""

import threading

import numpy as np
import pytest

import libdeep
from libdeep import layers


def x_y(n=20):
    rng = np.random.default_rng(0)
    return rng.random((n, 4), dtype=np.float32), np.arange(n) % 3


def test_forest_settings_name_the_constructor_and_argument():
    x, y = x_y()
    with pytest.raises(libdeep.InvalidArgumentError) as info:
        libdeep.RandomForestClassifier(oob_score=True, bootstrap=False).fit(x, y)
    text = str(info.value)
    assert text.startswith("RandomForestClassifier.fit(): oob_score=True needs bootstrap=True")
    assert "DEEP_FOREST" not in text and "bootstrap 1" not in text
    assert info.value.message.startswith("deep_forest_fit: ")  # the C message, unchanged
    with pytest.raises(libdeep.InvalidArgumentError, match=r"^RandomForestClassifier\(n_estimators=0\): "
                                                           r"n_estimators must be in"):
        libdeep.RandomForestClassifier(n_estimators=0)
    with pytest.raises(libdeep.InvalidArgumentError, match=r"^DecisionTreeClassifier\(max_depth=-3\): .*\(None for "
                                                           r"no limit\)"):
        libdeep.DecisionTreeClassifier(max_depth=-3)
    forest = libdeep.RandomForestClassifier(n_estimators=3).fit(x, y)
    with pytest.raises(libdeep.StateError) as info:
        forest.oob_score_
    assert "oob_score=True and bootstrap=True" in str(info.value)
    assert "DEEP_FOREST_OOB_SCORE" in info.value.message


def test_model_calls_name_the_method():
    x, y = x_y()
    model = libdeep.Sequential([libdeep.Input((4,)), layers.Dense(3, activation="softmax")])
    with pytest.raises(libdeep.StateError, match=r"^Sequential\.fit\(\): the model must be compiled with compile\(\) "
                                                 r"before fit \[deep_model_fit\]"):
        model.fit(x, y, verbose=0)
    model.compile("adam", "categorical_crossentropy")
    with pytest.raises(libdeep.InvalidArgumentError) as info:
        model.fit(x, y, verbose=0)
    assert str(info.value).startswith("Sequential.fit(y=...): loss='categorical_crossentropy' needs one-hot targets; "
                                      "call libdeep.utils.to_categorical() or use "
                                      "loss='sparse_categorical_crossentropy'")
    with pytest.raises(libdeep.InvalidArgumentError, match=r"^Sequential\.fit\(batch_size=0\): batch_size is 0"):
        model.fit(x, libdeep.utils.to_categorical(y, 3), batch_size=0, verbose=0)
    with pytest.raises(libdeep.ShapeError, match=r"^Sequential\.predict\(x=\.\.\.\): inputs of shape \(2, 5\)"):
        model.predict(np.zeros((2, 5), np.float32))


def test_compile_names_the_loss():
    model = libdeep.Sequential([libdeep.Input((5, 2)), layers.LSTM(4, return_sequences=True),
                                layers.Dense(3, activation="softmax")])
    with pytest.raises(libdeep.InvalidArgumentError) as info:
        model.compile("adam", "binary_crossentropy")
    assert str(info.value).startswith(
        "Sequential.compile(loss='binary_crossentropy'): loss='binary_crossentropy' after a softmax of 3 outputs; "
        "use loss='categorical_crossentropy'")
    assert "deep_model_compile" in info.value.message


def test_layers_and_optimizers():
    with pytest.raises(libdeep.InvalidArgumentError, match=r"^Sequential\(\): Dropout\(rate=1\.5\): rate 1\.5"):
        libdeep.Sequential([libdeep.Input((4,)), layers.Dropout(1.5)])
    with pytest.raises(libdeep.ShapeError, match=r"^Sequential\(\): Conv2D\(\): .*Conv2D needs \(height, width, "
                                                 r"channels\) inputs"):
        libdeep.Sequential([libdeep.Input((4,)), layers.Conv2D(2, 3)])
    with pytest.raises(libdeep.InvalidArgumentError, match=r"^Adam\(learning_rate=-1\): learning_rate of Adam"):
        libdeep.optimizers.Adam(learning_rate=-1)


def test_module_functions_and_threads():
    with pytest.raises(libdeep.InvalidArgumentError, match=r"^libdeep\.kfold_indices\(count=2, folds=3\): 3 folds of 2 samples"):
        libdeep.kfold_indices(2, 3, 0)
    # Each thread words its own failure.
    seen = {}

    def fail(k):
        try:
            libdeep.Dataset(np.zeros((4, 3))).reshape(5 + k)
        except libdeep.ShapeError as error:
            seen[k] = str(error)

    threads = [threading.Thread(target=fail, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(3):
        assert seen[k].startswith("Dataset.reshape(") and f"({5 + k},)" in seen[k]


def test_wording_never_hides_the_error(monkeypatch):
    from libdeep import _pyerrors

    def broken(text):
        raise RuntimeError("boom")

    monkeypatch.setattr(_pyerrors, "translate", broken)
    with pytest.raises(libdeep.InvalidArgumentError) as info:
        libdeep.RandomForestClassifier(n_estimators=0)
    assert info.value.python_message is None
    assert str(info.value).startswith("deep_forest_set_int: n_estimators must be in")
