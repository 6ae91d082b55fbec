"""Keras' input rule in Python (strict shapes: channels-first, missing batch axis, y of
shape (n, 1) for sparse labels) and weights before compile (build, get/set_weights,
predict; the first compile keeps them)."""

import numpy as np
import pytest

import libdeep
from libdeep import layers


def image_model(seed=1):
    model = libdeep.Sequential([libdeep.Input((6, 6, 3)), layers.Conv2D(2, 3, activation="relu"), layers.Flatten(),
                                layers.Dense(3, activation="softmax")])
    model.set_seed(seed)
    return model


def data(n=12):
    rng = np.random.default_rng(0)
    return rng.random((n, 6, 6, 3), dtype=np.float32), rng.integers(0, 3, n)


def test_channels_first_is_refused_with_a_python_message():
    model = image_model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = data()
    first = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # (12, 3, 6, 6): as many values
    for call in (lambda: model.fit(first, y, verbose=0), lambda: model.evaluate(first, y, verbose=0),
                 lambda: model.predict(first), lambda: model.train_on_batch(first, y),
                 lambda: model.predict_on_batch(first)):
        with pytest.raises(libdeep.ShapeError, match=r"axis 1 of x has 3 entries, not 6; x looks channels-first.*"
                                                     r"x\.transpose\(0, 2, 3, 1\)"):
            call()
    with pytest.raises(libdeep.ShapeError, match=r"Sequential\.fit\(x=\.\.\.\)"):
        model.fit(first, y, verbose=0)
    # Another rank with as many values: reshape explicitly.
    with pytest.raises(libdeep.ShapeError, match=r"reshape x explicitly"):
        model.predict(x.reshape(12, 36, 3))
    # The C library refuses it too (a Dataset carries its sample shape).
    with pytest.raises(libdeep.ShapeError, match="channels-first"):
        model.fit(libdeep.Dataset(first, y), verbose=0)
    # The right shape and flat rows (1.x) work, with the same outputs.
    np.testing.assert_array_equal(model.predict(x), model.predict(x.reshape(12, -1)))
    model.fit(x, y, epochs=1, verbose=0)


def test_one_sample_without_batch_axis():
    model = image_model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, _ = data()
    with pytest.raises(libdeep.ShapeError, match=r"add a batch axis: x\[None\]"):
        model.predict(x[0])
    assert model.predict(x[0][None]).shape == (1, 3)
    dense = libdeep.Sequential([libdeep.Input((4,)), layers.Dense(2)])
    dense.compile("sgd", "mse")
    with pytest.raises(libdeep.ShapeError, match=r"add a batch axis: x\[None\]"):
        dense.predict(np.zeros(4, np.float32))


def test_sparse_labels_of_shape_n_1_are_accepted():
    x, y = data()
    a, b = image_model(3), image_model(3)
    for model in (a, b):
        model.compile("sgd", "sparse_categorical_crossentropy")
    a.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    b.fit(x, y.reshape(-1, 1).astype(np.float32), epochs=2, batch_size=4, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert a.evaluate(x, y, verbose=0) == b.evaluate(x, y.reshape(-1, 1), verbose=0)
    with pytest.raises(ValueError, match="whole class labels"):
        b.fit(x, np.full((12, 1), 0.5), verbose=0)
    with pytest.raises(libdeep.ShapeError, match=r"shape \(n,\) or \(n, 1\)"):
        b.fit(x, np.zeros((12, 3)), verbose=0)


def test_weights_before_compile():
    x, y = data()
    model = image_model(5)
    assert model.count_params() == (3 * 3 * 3 * 2 + 2) + (4 * 4 * 2 * 3 + 3)
    before = model.predict(x)  # no optimizer needed: the model is built on demand
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 3, 3, 2), (2,), (32, 3), (3,)]
    reference = image_model(5)
    reference.compile("sgd", "sparse_categorical_crossentropy")
    for mine, theirs in zip(weights, reference.get_weights()):
        np.testing.assert_array_equal(mine, theirs)  # what compile would have initialised
    # set_weights before compile; the first compile keeps them (Keras), a second starts afresh.
    mine = [np.full_like(w, 0.01 * (k + 1)) for k, w in enumerate(weights)]
    model.set_weights(mine)
    assert not np.array_equal(model.predict(x), before)
    model.compile("sgd", "sparse_categorical_crossentropy")
    for a, b in zip(model.get_weights(), mine):
        np.testing.assert_array_equal(a, b)
    model.compile("sgd", "sparse_categorical_crossentropy")
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    # Layers cannot be added once the weights exist (built by get_weights here).
    other = image_model(6)
    other.get_weights()
    with pytest.raises(libdeep.StateError, match=r"Sequential\.add\(\): Dense\(\): layers cannot be added after build\(\)"):
        other.add(layers.Dense(2))


def test_build_method():
    model = libdeep.Sequential([layers.Dense(2)])
    with pytest.raises(libdeep.StateError, match=r"build\(input_shape=\.\.\.\)"):
        model.build()
    model.build((None, 5))
    assert model.input_shape == (None, 5) and len(model.get_weights()) == 2
    model.layers[0].set_weights([np.ones((5, 2), np.float32), np.zeros(2, np.float32)])
    np.testing.assert_array_equal(model.predict(np.ones((1, 5), np.float32)), [[5, 5]])
