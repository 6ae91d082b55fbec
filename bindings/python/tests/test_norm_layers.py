"""The layer types added in libdeep 1.1 for issue #16 that take one input
(LayerNormalization, ...): Keras' arguments and defaults, forward values against NumPy's
version of Keras' formula, errors, training and a model-file round trip."""

import numpy as np
import pytest

import libdeep
from libdeep import layers


def _round_trip_predicts_the_same(model, x):
    again = libdeep.load_model_from_bytes(model.to_bytes())
    assert np.array_equal(model.predict(x), again.predict(x))


def test_layer_normalization_defaults_and_weights():
    norm = layers.LayerNormalization()
    assert (norm.epsilon, norm.center, norm.scale) == (0.001, True, True)
    model = libdeep.Sequential([layers.Input((3, 4)), norm])
    model.compile("sgd", "mse")
    gamma, beta = norm.get_weights()
    assert np.array_equal(gamma, np.ones(4, np.float32)) and np.array_equal(beta, np.zeros(4, np.float32))
    only_beta = layers.LayerNormalization(scale=False)
    libdeep.Sequential([layers.Input((5,)), only_beta]).compile("sgd", "mse")
    assert [w.shape for w in only_beta.get_weights()] == [(5,)]
    assert model.count_params() == 8


def test_layer_normalization_matches_keras_formula():
    rng = np.random.default_rng(0)
    norm = layers.LayerNormalization(epsilon=0.01)
    model = libdeep.Sequential([layers.Input((2, 3, 5)), norm])
    model.compile("sgd", "mse")
    gamma, beta = rng.normal(size=5).astype(np.float32), rng.normal(size=5).astype(np.float32)
    norm.set_weights([gamma, beta])
    x = (rng.normal(size=(4, 2, 3, 5)) * 3 + 1).astype(np.float32)
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    want = gamma * (x - mean) / np.sqrt(var + 0.01) + beta
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-5)


def test_layer_normalization_errors():
    for epsilon in (0.0, -1.0, float("nan")):
        with pytest.raises(libdeep.InvalidArgumentError, match="epsilon"):
            libdeep.Sequential([layers.Input((4,)), layers.LayerNormalization(epsilon=epsilon)])


def test_layer_normalization_trains_and_round_trips():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(128, 6)).astype(np.float32)
    y = np.tanh(x @ rng.normal(size=(6, 1))).astype(np.float32)
    model = libdeep.Sequential([layers.Input((6,)), layers.Dense(16, activation="tanh"),
                                layers.LayerNormalization(), layers.Dense(1)])
    model.set_seed(3)
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    _round_trip_predicts_the_same(model, x)
