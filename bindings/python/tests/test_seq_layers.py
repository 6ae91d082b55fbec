"""Conv1D, MaxPooling1D, GlobalAveragePooling1D, GlobalMaxPooling2D, Permute and
RepeatVector from Python: Keras' argument names and defaults, outputs against NumPy
formulas of Keras' definitions, errors, and models that train and reload."""

import numpy as np
import pytest

import libdeep
from libdeep import layers
from libdeep.layers import (Input, Dense, Embedding, Flatten, SimpleRNN, Conv1D, MaxPooling1D,
                            GlobalAveragePooling1D, GlobalMaxPooling2D, Permute, RepeatVector)


def predict_one(layer, input_shape, x):
    model = libdeep.Sequential([Input(input_shape), layer])
    model.compile("sgd", "mse")
    return model, model.predict(np.asarray(x, dtype=np.float32))


def conv1d_reference(x, kernel, bias, stride, padding, dilation):
    """Keras' Conv1D in NumPy: pad, then out[t] = sum_j x[t * stride + j * dilation] . kernel[j]."""
    steps, k = x.shape[1], kernel.shape[0]
    span = dilation * (k - 1) + 1
    if padding == "causal":
        before, after = span - 1, 0
    elif padding == "same":
        out = -(-steps // stride)
        total = max((out - 1) * stride + span - steps, 0)
        before, after = total // 2, total - total // 2
    else:
        before = after = 0
    xp = np.pad(x, ((0, 0), (before, after), (0, 0)))
    out = (xp.shape[1] - span) // stride + 1
    y = np.zeros((x.shape[0], out, kernel.shape[2]))
    for t in range(out):
        for j in range(k):
            y[:, t] += xp[:, t * stride + j * dilation] @ kernel[j]
    return y + (0 if bias is None else bias)


@pytest.mark.parametrize("padding,stride,dilation", [("valid", 1, 1), ("same", 2, 1), ("causal", 1, 2),
                                                     ("same", 1, 3), ("causal", 3, 1)])
def test_conv1d_matches_keras_formula(padding, stride, dilation):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (3, 9, 2))
    layer = Conv1D(4, 3, strides=stride, padding=padding, dilation_rate=dilation)
    model, _ = predict_one(layer, (9, 2), x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 4) and bias.shape == (4,)
    kernel = rng.uniform(-1, 1, kernel.shape).astype(np.float32)
    bias = rng.uniform(-1, 1, 4).astype(np.float32)
    layer.set_weights([kernel, bias])
    want = conv1d_reference(x, kernel, bias, stride, padding, dilation)
    np.testing.assert_allclose(model.predict(x.astype(np.float32)), want, rtol=1e-5, atol=1e-5)


def test_conv1d_arguments_and_errors():
    layer = Conv1D(2, (3,))
    assert (layer.kernel_size, layer.strides, layer.padding, layer.dilation_rate, layer.use_bias) == (3, 1, "valid", 1,
                                                                                                       True)
    model = libdeep.Sequential([Input((6, 2)), Conv1D(2, 3, padding="causal", use_bias=False)])
    model.compile("sgd", "mse")
    assert len(model.layers[0].get_weights()) == 1
    with pytest.raises(libdeep.InvalidArgumentError, match="strides 2 > 1 cannot go with dilation_rate 2"):
        libdeep.Sequential([Input((6, 2)), Conv1D(2, 3, strides=2, dilation_rate=2)])
    with pytest.raises(libdeep.ShapeError, match="kernel_size 7 exceeds the input steps 6"):
        libdeep.Sequential([Input((6, 2)), Conv1D(2, 7)])
    with pytest.raises(libdeep.ShapeError, match=r"needs \(steps, channels\)"):
        libdeep.Sequential([Input((6, 6, 1)), Conv1D(2, 3)])
    with pytest.raises(ValueError, match="padding"):
        Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(2, 3, padding="causal")  # Keras allows causal for Conv1D only
    with pytest.raises(TypeError):
        Conv1D(2, (3, 3))


def test_max_pooling1d():
    x = np.array([[[3, -1], [1, 4], [-2, 0], [5, 2], [0, -3], [2, 6]]], dtype=np.float32)
    # Keras' same padding with pool 3, stride 2 on 6 steps: windows [0, 3), [2, 5), [4, 6).
    _, y = predict_one(MaxPooling1D(3, strides=2, padding="same"), (6, 2), x)
    np.testing.assert_array_equal(y, [[[3, 4], [5, 2], [2, 6]]])
    layer = MaxPooling1D()
    assert (layer.pool_size, layer.strides, layer.padding) == (2, None, "valid")
    _, y = predict_one(layer, (6, 2), x)
    np.testing.assert_array_equal(y, x.reshape(1, 3, 2, 2).max(axis=2))
    with pytest.raises(libdeep.ShapeError, match="pool_size 7 exceeds"):
        libdeep.Sequential([Input((6, 2)), MaxPooling1D(7)])
    with pytest.raises(ValueError):
        MaxPooling1D(padding="causal")


def test_global_poolings():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (4, 5, 3)).astype(np.float32)
    _, y = predict_one(GlobalAveragePooling1D(), (5, 3), x)
    np.testing.assert_allclose(y, x.mean(axis=1), rtol=1e-6)
    _, y = predict_one(GlobalAveragePooling1D(keepdims=True), (5, 3), x)
    assert y.shape == (4, 1, 3)
    images = rng.uniform(-1, 1, (4, 3, 2, 5)).astype(np.float32)
    _, y = predict_one(GlobalMaxPooling2D(), (3, 2, 5), images)
    np.testing.assert_array_equal(y, images.max(axis=(1, 2)))
    _, y = predict_one(GlobalMaxPooling2D(keepdims=True), (3, 2, 5), images)
    np.testing.assert_array_equal(y, images.max(axis=(1, 2), keepdims=True))


def test_masked_average_counts_real_steps_only():
    # Keras: sum over the unmasked steps / their count.
    embedding = Embedding(5, 3, mask_zero=True)
    model = libdeep.Sequential([Input((4,)), embedding, GlobalAveragePooling1D()])
    model.compile("sgd", "mse")
    table = np.arange(15, dtype=np.float32).reshape(5, 3)
    embedding.set_weights([table])
    ids = np.array([[1, 2, 0, 0], [4, 0, 3, 0], [1, 2, 3, 4]], dtype=np.float32)
    want = [table[[1, 2]].mean(axis=0), table[[4, 3]].mean(axis=0), table[[1, 2, 3, 4]].mean(axis=0)]
    np.testing.assert_allclose(model.predict(ids), want, rtol=1e-6)


def test_permute_and_repeat_vector():
    x = np.arange(2 * 2 * 3 * 4, dtype=np.float32).reshape(2, 2, 3, 4)
    _, y = predict_one(Permute((3, 1, 2)), (2, 3, 4), x)
    np.testing.assert_array_equal(y, np.transpose(x, (0, 3, 1, 2)))
    with pytest.raises(libdeep.InvalidArgumentError, match="permutation of 1..2"):
        libdeep.Sequential([Input((2, 3)), Permute((0, 1))])
    with pytest.raises(libdeep.ShapeError, match="dims has 2 axes"):
        libdeep.Sequential([Input((2, 3, 4)), Permute((2, 1))])
    v = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    _, y = predict_one(RepeatVector(4), (3,), v)
    np.testing.assert_array_equal(y, np.repeat(v[:, None, :], 4, axis=1))
    with pytest.raises(libdeep.InvalidArgumentError, match="n is 0"):
        libdeep.Sequential([Input((3,)), RepeatVector(0)])
    with pytest.raises(TypeError):
        RepeatVector(2.5)


def test_sequence_models_train_and_reload():
    rng = np.random.default_rng(3)
    # A bump early (class 0) or late (class 1) in 12 noisy steps.
    x = 0.2 * rng.random((64, 12, 2), dtype=np.float32)
    y = np.arange(64) % 2
    for i, label in enumerate(y):
        start = rng.integers(1, 4) if label == 0 else rng.integers(7, 9)
        x[i, start:start + 3, 0] += 1.0
    model = libdeep.Sequential([Input((12, 2)), Conv1D(4, 3, padding="causal", activation="relu"), MaxPooling1D(),
                                Conv1D(4, 2, padding="same", dilation_rate=2, activation="tanh"),
                                Permute((2, 1)), Flatten(), Dense(2, activation="softmax")])
    model.set_seed(5)
    model.compile(libdeep.optimizers.Adam(learning_rate=0.02), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] * 3 < history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0)[1] >= 0.9
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))

    # Dense -> RepeatVector -> SimpleRNN decoder, a ramp from the first value to the second.
    v = rng.uniform(-0.5, 0.5, (32, 2)).astype(np.float32)
    ramps = v[:, :1] + (v[:, 1:] - v[:, :1]) * np.linspace(0, 1, 4, dtype=np.float32)
    decoder = libdeep.Sequential([Input((2,)), Dense(8, activation="tanh"), RepeatVector(4),
                                  SimpleRNN(8, return_sequences=True), Dense(1)])
    decoder.set_seed(4)
    decoder.compile(libdeep.optimizers.Adam(learning_rate=0.01), "mse")
    history = decoder.fit(v, ramps[:, :, None], epochs=60, batch_size=8, verbose=0)
    assert history.history["loss"][-1] * 5 < history.history["loss"][0]
    loaded = libdeep.load_model_from_bytes(decoder.to_bytes())
    np.testing.assert_array_equal(loaded.predict(v), decoder.predict(v))
