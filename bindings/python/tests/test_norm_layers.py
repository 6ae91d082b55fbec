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


def _depthwise_reference(x, kernel, bias, strides, padding):
    """NumPy's version of Keras' DepthwiseConv2D (channels last) for the test."""
    n, h, w, c = x.shape
    kh, kw, _, dm = kernel.shape
    sh, sw = strides
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, oh, ow, c * dm))
    for oy in range(oh):
        for ox in range(ow):
            patch = x[:, oy * sh:oy * sh + kh, ox * sw:ox * sw + kw, :]  # (n, kh, kw, c)
            out[:, oy, ox, :] = np.einsum("nijc,ijcm->ncm", patch, kernel).reshape(n, c * dm)
    return out + bias


@pytest.mark.parametrize("strides,padding,depth_multiplier", [((1, 1), "valid", 1), ((2, 1), "same", 3)])
def test_depthwise_conv2d_matches_keras_formula(strides, padding, depth_multiplier):
    rng = np.random.default_rng(2)
    conv = layers.DepthwiseConv2D((3, 2), strides=strides, padding=padding, depth_multiplier=depth_multiplier)
    model = libdeep.Sequential([layers.Input((5, 6, 2)), conv])
    model.compile("sgd", "mse")
    kernel, bias = conv.get_weights()
    assert kernel.shape == (3, 2, 2, depth_multiplier) and bias.shape == (2 * depth_multiplier,)
    kernel = rng.normal(size=kernel.shape).astype(np.float32)
    bias = rng.normal(size=bias.shape).astype(np.float32)
    conv.set_weights([kernel, bias])
    x = rng.normal(size=(3, 5, 6, 2)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x), _depthwise_reference(x, kernel, bias, strides, padding),
                               rtol=1e-5, atol=1e-5)


def test_depthwise_conv2d_defaults_and_errors():
    conv = layers.DepthwiseConv2D(3)
    assert (conv.kernel_size, conv.strides, conv.padding, conv.depth_multiplier, conv.activation, conv.use_bias) == \
        ((3, 3), (1, 1), "valid", 1, None, True)
    with pytest.raises(libdeep.InvalidArgumentError, match="depth_multiplier"):
        libdeep.Sequential([layers.Input((4, 4, 1)), layers.DepthwiseConv2D(3, depth_multiplier=0)])
    with pytest.raises(libdeep.ShapeError, match="kernel_size"):
        libdeep.Sequential([layers.Input((4, 4, 1)), layers.DepthwiseConv2D(5)])
    with pytest.raises(libdeep.ShapeError, match="height, width, channels"):
        libdeep.Sequential([layers.Input((16,)), layers.DepthwiseConv2D(3)])


def test_depthwise_conv2d_trains_and_round_trips():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, size=(128, 6, 6, 2)).astype(np.float32)
    y = ((x[..., 0] - x[..., 1]).sum(axis=(1, 2)) / 6).astype(np.float32).reshape(-1, 1)
    model = libdeep.Sequential([layers.Input((6, 6, 2)),
                                layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="tanh"),
                                layers.GlobalAveragePooling2D(), layers.Dense(1)])
    model.set_seed(3)
    model.compile(libdeep.optimizers.Adam(learning_rate=0.02), "mse")
    losses = model.fit(x, y, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    _round_trip_predicts_the_same(model, x)


def test_separable_conv2d_matches_keras_formula():
    rng = np.random.default_rng(5)
    conv = layers.SeparableConv2D(4, (2, 3), strides=(1, 2), padding="same", depth_multiplier=2, activation="tanh")
    model = libdeep.Sequential([layers.Input((5, 6, 3)), conv])
    model.compile("sgd", "mse")
    depthwise, pointwise, bias = conv.get_weights()
    assert depthwise.shape == (2, 3, 3, 2) and pointwise.shape == (1, 1, 6, 4) and bias.shape == (4,)
    depthwise, pointwise, bias = (rng.normal(size=w.shape).astype(np.float32) for w in (depthwise, pointwise, bias))
    conv.set_weights([depthwise, pointwise, bias])
    x = rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
    middle = _depthwise_reference(x, depthwise, 0.0, (1, 2), "same")
    want = np.tanh(middle @ pointwise.reshape(6, 4) + bias)
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-5)


def test_separable_conv2d_defaults_errors_and_training():
    conv = layers.SeparableConv2D(8, 3)
    assert (conv.filters, conv.kernel_size, conv.strides, conv.padding, conv.depth_multiplier, conv.activation,
            conv.use_bias) == (8, (3, 3), (1, 1), "valid", 1, None, True)
    with pytest.raises(libdeep.InvalidArgumentError, match="filters"):
        libdeep.Sequential([layers.Input((4, 4, 1)), layers.SeparableConv2D(0, 3)])
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, size=(128, 6, 6, 2)).astype(np.float32)
    y = ((x[..., 0] - x[..., 1]).sum(axis=(1, 2)) / 6).astype(np.float32).reshape(-1, 1)
    model = libdeep.Sequential([layers.Input((6, 6, 2)),
                                layers.SeparableConv2D(4, 3, padding="same", activation="tanh"),
                                layers.GlobalAveragePooling2D(), layers.Dense(1)])
    model.set_seed(3)
    model.compile(libdeep.optimizers.Adam(learning_rate=0.02), "mse")
    losses = model.fit(x, y, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    _round_trip_predicts_the_same(model, x)
