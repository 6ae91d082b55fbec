"""LeakyReLU, ELU, ReLU and PReLU (since 1.3) against NumPy forms of Keras' formulas."""
import numpy as np
import pytest

import libdeep
from libdeep import layers

X = np.array([[-10.0, -5.0, -0.5, 0.0, 0.25, 0.5, 5.0, 10.0]], dtype=np.float32)


def predict(layer, x=X):
    model = libdeep.Sequential([layers.Input(x.shape[1:]), layer])
    model.compile("sgd", "mse")
    return model.predict(x, verbose=0)


def keras_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    pos = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        pos = np.clip(pos, 0.0, max_value)
    return pos - negative_slope * np.maximum(threshold - x, 0.0)


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 6.0}, {"negative_slope": 0.5, "max_value": 10.0},
                                    {"threshold": 0.5}, {"max_value": 4.0, "negative_slope": 0.1, "threshold": 0.3}])
def test_relu(kwargs):
    np.testing.assert_allclose(predict(layers.ReLU(**kwargs)), keras_relu(X, **kwargs), rtol=1e-6, atol=1e-7)


def test_leaky_relu_and_elu():
    np.testing.assert_allclose(predict(layers.LeakyReLU()), np.where(X >= 0, X, 0.3 * X), rtol=1e-6)
    np.testing.assert_allclose(predict(layers.LeakyReLU(negative_slope=0.01)), np.where(X >= 0, X, 0.01 * X),
                               rtol=1e-6)
    np.testing.assert_allclose(predict(layers.LeakyReLU(alpha=0.2)), np.where(X >= 0, X, 0.2 * X), rtol=1e-6)
    np.testing.assert_allclose(predict(layers.ELU(alpha=0.7)), np.where(X > 0, X, 0.7 * np.expm1(X)), rtol=1e-6,
                               atol=1e-7)
    with pytest.raises(libdeep.InvalidArgumentError, match="negative_slope"):
        predict(layers.LeakyReLU(negative_slope=-1))
    with pytest.raises(ValueError, match="max_value"):
        layers.ReLU(max_value=-2)


def test_prelu_shared_axes_and_training():
    x = np.linspace(-1, 1, 2 * 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 2, 3)
    layer = layers.PReLU(shared_axes=[1, 2])
    model = libdeep.Sequential([layers.Input((2, 2, 3)), layer, layers.Flatten()])
    model.compile("sgd", "mse")
    (alpha,) = layer.get_weights()
    assert alpha.shape == (1, 1, 3) and not alpha.any()
    alpha = np.array([0.1, 0.2, 0.3], np.float32).reshape(1, 1, 3)
    layer.set_weights([alpha])
    np.testing.assert_allclose(model.predict(x, verbose=0), np.where(x >= 0, x, alpha * x).reshape(2, -1),
                               rtol=1e-6)
    model.fit(x, (0.5 * x).reshape(2, -1), epochs=30, batch_size=2, verbose=0)
    assert np.all(np.abs(layer.get_weights()[0] - 0.5) < np.abs(alpha - 0.5))
    assert layers.PReLU().shared_axes == ()
    with pytest.raises(ValueError, match="alpha_initializer"):
        layers.PReLU(alpha_initializer="ones")
    with pytest.raises(libdeep.ShapeError, match="shared_axes"):
        libdeep.Sequential([layers.Input((4,)), layers.PReLU(shared_axes=[2])])


def test_saved_and_loaded(tmp_path):
    model = libdeep.Sequential([layers.Input((8,)), layers.ReLU(max_value=6.0, threshold=0.2), layers.ELU(0.5),
                                layers.LeakyReLU(0.1), layers.PReLU()])
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.deep")
    loaded = libdeep.load_model(tmp_path / "m.deep")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    text = loaded.summary_text()
    assert "PReLU" in text and "LeakyReLU" in text and "ELU" in text


def test_log_softmax_activation_and_nll():
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]], np.float32)
    want = x - np.log(np.exp(x.astype(np.float64)).sum(axis=1, keepdims=True))
    model = libdeep.Sequential([layers.Input((3,)), layers.Activation("log_softmax")])
    with pytest.raises(libdeep.InvalidArgumentError, match="log_softmax"):
        model.compile("sgd", "categorical_crossentropy")
    model = libdeep.Sequential([layers.Input((3,)), layers.Activation("log_softmax")])
    model.compile("sgd", libdeep.losses.CategoricalCrossentropy(from_logits=True))
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-6, atol=1e-6)
    y = np.array([[0, 0, 1], [1, 0, 0]], np.float32)
    nll = -np.mean(np.sum(y * want, axis=1))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(nll, rel=1e-5)
