"""Keras' losses beyond MSE and the cross-entropies: every Keras name and alias compiles, and
evaluate returns Keras' formula (written here in numpy) of the model's own predictions."""

import numpy as np
import pytest

import libdeep
from libdeep import Dense, Input

EPS = 1e-7


def _mean(v):
    return float(np.mean(np.mean(v, axis=-1)))


def _hinge_targets(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def _unit(v):
    return v / np.maximum(np.sqrt(np.sum(v * v, axis=-1, keepdims=True)), EPS)


# Keras' formulas (keras/src/losses/losses.py), mean over the last axis then the batch.
KERAS = {
    "mean_absolute_error": lambda y, p, d: _mean(np.abs(p - y)),
    "mean_absolute_percentage_error": lambda y, p, d: _mean(100 * np.abs(y - p) / np.maximum(np.abs(y), EPS)),
    "huber": lambda y, p, d: _mean(np.where(np.abs(p - y) <= d, 0.5 * (p - y) ** 2, d * np.abs(p - y) - 0.5 * d * d)),
    "log_cosh": lambda y, p, d: _mean(np.log(np.cosh(p - y))),
    "hinge": lambda y, p, d: _mean(np.maximum(1 - _hinge_targets(y) * p, 0)),
    "squared_hinge": lambda y, p, d: _mean(np.maximum(1 - _hinge_targets(y) * p, 0) ** 2),
    "categorical_hinge": lambda y, p, d: float(np.mean(np.maximum(
        np.max((1 - y) * p, axis=-1) - np.sum(y * p, axis=-1) + 1, 0))),
    "kl_divergence": lambda y, p, d: float(np.mean(np.sum(
        np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) / np.clip(p, EPS, 1)), axis=-1))),
    "poisson": lambda y, p, d: _mean(p - y * np.log(p + EPS)),
    "cosine_similarity": lambda y, p, d: float(np.mean(-np.sum(_unit(y) * _unit(p), axis=-1))),
}
ALIASES = {"mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error", "huber_loss": "huber",
           "logcosh": "log_cosh", "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence"}


def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (rng.random(size=(40, 2)) < 0.5).astype(np.float32)  # 0/1: hinge converts them
    return x, y


def _model(loss, delta=None):
    model = libdeep.Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(2, activation="softplus")])
    model.set_seed(5)
    model.set_threads(1)
    if delta is not None:
        model.set_option("huber_delta", delta)
    model.compile("adam", loss)
    return model


@pytest.mark.parametrize("name", sorted(KERAS) + sorted(ALIASES))
def test_evaluate_is_keras_formula_of_predict(name):
    x, y = _data()
    model = _model(name)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    p = model.predict(x).astype(np.float64)
    expected = KERAS[ALIASES.get(name, name)](y.astype(np.float64), p, 1.0)
    assert model.evaluate(x, y) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_huber_delta_is_used_saved_and_loaded():
    x, y = _data()
    model = _model("huber", delta=0.25)
    assert model.get_option("huber_delta") == 0.25
    p = model.predict(x).astype(np.float64)
    expected = KERAS["huber"](y.astype(np.float64), p, 0.25)
    assert expected != pytest.approx(KERAS["huber"](y.astype(np.float64), p, 1.0))
    assert model.evaluate(x, y) == pytest.approx(expected, rel=1e-5)
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    assert loaded.get_option("huber_delta") == 0.25
    assert loaded.evaluate(x, y) == pytest.approx(model.evaluate(x, y))


def test_bad_huber_delta_is_refused():
    model = _model("huber")
    assert model.get_option("huber_delta") == 1.0
    with pytest.raises(libdeep.InvalidArgumentError, match="Huber delta"):
        model.set_option("huber_delta", 0.0)
    assert model.get_option("huber_delta") == 1.0
