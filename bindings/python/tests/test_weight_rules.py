"""Keras' weight arguments (since 1.2): kernel_initializer, bias_regularizer,
kernel_constraint, ... with Keras' names, classes and string aliases; their effect on the
weights, on the reported loss (hand-computed Keras values) and after an update; saving and
loading them; misuse."""

import ctypes

import numpy as np
import pytest

import libdeep
from libdeep import constraints, initializers, layers, regularizers
from libdeep import _ffi as C
from libdeep._lib import lib


def dense(units, inputs, **kwargs):
    model = libdeep.Sequential([layers.Input((inputs,)), layers.Dense(units, **kwargs)])
    model.set_seed(5)
    model.compile(libdeep.optimizers.SGD(learning_rate=0.1), "mse")
    return model


@pytest.mark.parametrize("alias, variance", [
    ("he_normal", 2 / 400), ("he_uniform", 2 / 400), ("lecun_normal", 1 / 400), ("lecun_uniform", 1 / 400),
    ("glorot_normal", 2 / 700), ("glorot_uniform", 2 / 700)])
def test_string_aliases_draw_keras_variances(alias, variance):
    kernel = dense(300, 400, kernel_initializer=alias).layers[0].get_weights()[0]
    assert kernel.shape == (400, 300)
    assert abs(kernel.var() / variance - 1) < 0.04
    assert abs(kernel.mean()) < 5 * np.sqrt(variance / kernel.size)


def test_classes_and_parameters():
    model = dense(200, 300, kernel_initializer=initializers.RandomUniform(-0.5, 1.5),
                  bias_initializer=initializers.Constant(0.25))
    kernel, bias = model.layers[0].get_weights()
    assert kernel.min() >= -0.5 and kernel.max() <= 1.5 and abs(kernel.mean() - 0.5) < 0.01
    assert np.all(bias == 0.25)
    kernel = dense(200, 300, kernel_initializer=initializers.TruncatedNormal(mean=1.0, stddev=0.1)) \
        .layers[0].get_weights()[0]
    assert kernel.min() >= 0.8 - 1e-6 and kernel.max() <= 1.2 + 1e-6
    kernel = dense(8, 20, kernel_initializer=initializers.Orthogonal(gain=2.0)).layers[0].get_weights()[0]
    np.testing.assert_allclose(kernel.T @ kernel, 4 * np.eye(8), atol=1e-5)
    assert np.all(dense(2, 3, kernel_initializer="zeros").layers[0].get_weights()[0] == 0)
    assert np.all(dense(2, 3, kernel_initializer=initializers.Ones).layers[0].get_weights()[0] == 1)


def test_seed_governs_and_defaults_stay():
    a = dense(5, 6, kernel_initializer="he_normal").get_weights()
    b = dense(5, 6, kernel_initializer="he_normal").get_weights()
    plain = dense(5, 6).get_weights()
    explicit_none = dense(5, 6, kernel_initializer=None).get_weights()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(plain[0], explicit_none[0])
    assert not np.array_equal(a[0], plain[0])


def test_recurrent_and_normalisation_arguments():
    model = libdeep.Sequential([
        layers.Input((5, 3)),
        layers.LSTM(4, recurrent_initializer="zeros", bias_initializer=initializers.Constant(-0.5),
                    return_sequences=True),
        layers.LayerNormalization(gamma_initializer=initializers.Constant(2.0), beta_initializer="ones"),
        layers.Bidirectional(layers.GRU(2, kernel_initializer="ones")),
    ])
    model.compile("sgd", "mse")
    kernel, recurrent, bias = model.layers[0].get_weights()
    assert np.all(recurrent == 0)
    np.testing.assert_array_equal(bias, [-0.5] * 4 + [1.0] * 4 + [-0.5] * 8)  # unit_forget_bias: ones
    gamma, beta = model.layers[1].get_weights()
    assert np.all(gamma == 2) and np.all(beta == 1)
    weights = model.layers[2].get_weights()
    assert np.all(weights[0] == 1) and np.all(weights[3] == 1)  # both copies' kernels


def test_regularizers_in_the_reported_loss():
    # Keras' values: kernel [[1, -2], [0.5, 0], [0, 3]]: l1 0.01 * 6.5 + l2 0.02 * 14.25 = 0.35;
    # bias [1, -1]: l2 0.5 * 2 = 1; zero inputs with targets equal to the bias leave no data loss.
    model = dense(2, 3, kernel_regularizer=regularizers.L1L2(l1=0.01, l2=0.02), bias_regularizer=regularizers.l2(0.5))
    model.layers[0].set_weights([np.array([[1, -2], [0.5, 0], [0, 3]], np.float32), np.array([1, -1], np.float32)])
    x, y = np.zeros((2, 3), np.float32), np.array([[1, -1], [1, -1]], np.float32)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(1.35, abs=1e-6)
    # Activity: outputs (1, -1): l1 0.1 * 2 + l2 0.2 * 2 per sample, / batch size: 0.6.
    active = dense(2, 3, activity_regularizer=regularizers.L1L2(0.1, 0.2))
    active.set_weights(model.get_weights())
    assert active.evaluate(x, y, verbose=0) == pytest.approx(0.6, abs=1e-6)
    # String aliases take Keras' default factor 0.01.
    l2 = dense(2, 3, kernel_regularizer="l2")
    l2.layers[0].set_weights(model.layers[0].get_weights())
    assert l2.evaluate(x, y, verbose=0) == pytest.approx(0.1425, abs=1e-6)
    # Training reports the same loss and moves the kernel by its gradient 2 * l2 * w.
    history = l2.fit(x, y, epochs=1, batch_size=2, verbose=0)
    assert history.history["loss"][0] == pytest.approx(0.1425, abs=1e-6)
    np.testing.assert_allclose(l2.layers[0].get_weights()[0],
                               np.array([[1, -2], [0.5, 0], [0, 3]]) * (1 - 0.1 * 2 * 0.01), rtol=1e-6)


def test_constraints_after_each_update():
    x, y = np.zeros((1, 3), np.float32), np.zeros((1, 2), np.float32)
    kernel = np.array([[1, -2], [0.5, 0], [0, 3]], np.float32)
    norms = np.sqrt((kernel ** 2).sum(axis=0))
    cases = [
        (constraints.MaxNorm(2), kernel * np.minimum(norms, 2) / (1e-7 + norms)),
        ("non_neg", np.maximum(kernel, 0)),
        (constraints.UnitNorm(axis=0), kernel / (1e-7 + norms)),
        (constraints.max_norm(max_value=2, axis=[0, 1]),
         kernel * 2 / (1e-7 + np.sqrt((kernel ** 2).sum()))),
    ]
    for constraint, expected in cases:
        model = dense(2, 3, use_bias=False, kernel_constraint=constraint)
        model.set_weights([kernel])
        model.train_on_batch(x, y)
        np.testing.assert_allclose(model.get_weights()[0], expected, rtol=1e-5, atol=1e-7, err_msg=str(constraint))


def getter(model, layer, role):
    l1, l2 = ctypes.c_double(), ctypes.c_double()
    lib.deep_model_get_layer_regularizer(model._ptr, layer, role, ctypes.byref(l1), ctypes.byref(l2))
    kind, a, b = ctypes.c_int(), ctypes.c_double(), ctypes.c_double()
    if role != C.DEEP_WEIGHT_ACTIVITY:
        lib.deep_model_get_layer_initializer(model._ptr, layer, role, ctypes.byref(kind), ctypes.byref(a),
                                             ctypes.byref(b))
    return l1.value, l2.value, kind.value, a.value, b.value


def test_saved_and_loaded(tmp_path):
    model = libdeep.Sequential([
        layers.Input((4,)),
        layers.Dense(3, kernel_initializer=initializers.RandomNormal(0.1, 0.3), kernel_regularizer="l1",
                     kernel_constraint=constraints.MinMaxNorm(0.5, 3, 0.75, axis=[0, -1])),
        layers.Dense(2, activity_regularizer=regularizers.L2(0.25)),
    ])
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.deep")
    loaded = libdeep.load_model(tmp_path / "m.deep")
    assert getter(loaded, 0, C.DEEP_WEIGHT_KERNEL) == (0.01, 0.0, C.DEEP_INITIALIZER_RANDOM_NORMAL, 0.1, 0.3)
    assert getter(loaded, 1, C.DEEP_WEIGHT_ACTIVITY)[:2] == (0.0, 0.25)
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    y = np.ones((3, 2), np.float32)
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    clone = libdeep.clone_model(loaded)
    assert getter(clone, 0, C.DEEP_WEIGHT_KERNEL)[:2] == (0.01, 0.0)
    # The same through the layers of the loaded model, as Keras objects.
    first = loaded.layers[0]
    assert first.get_weight_argument("kernel_initializer") == initializers.RandomNormal(0.1, 0.3)
    assert first.get_weight_argument("kernel_regularizer") == regularizers.L1(0.01)
    assert first.get_weight_argument("kernel_constraint") == constraints.MinMaxNorm(0.5, 3, 0.75, axis=[0, -1])
    assert first.get_weight_argument("bias_initializer") is None
    assert first.get_weight_argument("bias_constraint") is None
    assert loaded.layers[1].get_weight_argument("activity_regularizer") == regularizers.L2(0.25)
    with pytest.raises(ValueError, match="unknown weight argument"):
        first.get_weight_argument("kernel_shape")


def test_keras_argument_names():
    assert layers.weight_arguments(layers.Dense) == [
        "kernel_initializer", "kernel_regularizer", "kernel_constraint", "bias_initializer", "bias_regularizer",
        "bias_constraint", "activity_regularizer"]
    assert "recurrent_initializer" in layers.weight_arguments(layers.LSTM)
    assert "embeddings_regularizer" in layers.weight_arguments(layers.Embedding)
    assert "gamma_constraint" in layers.weight_arguments(layers.BatchNormalization)
    assert "pointwise_initializer" in layers.weight_arguments(layers.SeparableConv2D)
    assert layers.weight_arguments(layers.Flatten) == []


def test_misuse():
    with pytest.raises(TypeError, match="kernel_initialiser"):
        layers.Dense(2, kernel_initialiser="he_normal")
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.Flatten(kernel_initializer="ones")
    with pytest.raises(ValueError, match="unknown initializer"):
        layers.Dense(2, kernel_initializer="he_gaussian")
    with pytest.raises(ValueError, match="seed must be"):
        initializers.HeNormal(seed=-3)
    with pytest.raises(ValueError, match="rank 2"):
        layers.Dense(2, bias_initializer="orthogonal")
    with pytest.raises(ValueError, match="stddev"):
        initializers.RandomNormal(stddev=0)
    with pytest.raises(ValueError):
        regularizers.L2(-1)
    with pytest.raises(ValueError, match="rate"):
        constraints.MinMaxNorm(rate=2)
    with pytest.raises(ValueError, match="same here"):
        layers.SeparableConv2D(2, 3, depthwise_initializer="ones", pointwise_initializer="zeros")
    # Since 1.3 an activity regularizer on a softmax output works with the fused loss: the
    # loss is Keras' cross-entropy plus 0.01 * sum(y^2) / n.
    model = libdeep.Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax",
                                                                 activity_regularizer="l2")])
    model.compile("sgd", "categorical_crossentropy")
    x = np.array([[0.5, -1, 2], [1, 1, 0]], np.float32)
    y = np.array([[1, 0], [0, 1]], np.float32)
    p = model.predict(x).astype(np.float64)
    want = np.mean(-np.sum(y * np.log(p), axis=1)) + 0.01 * np.sum(p ** 2) / 2
    assert model.evaluate(x, y) == pytest.approx(want, rel=1e-5)
    model = libdeep.Sequential([layers.Input((3,)), layers.Dense(2, kernel_constraint=constraints.UnitNorm(axis=2))])
    with pytest.raises(libdeep.InvalidArgumentError, match="axis 2"):
        model.compile("sgd", "mse")
    # use_bias=False: bias arguments are ignored, as Keras does.
    assert len(dense(2, 3, use_bias=False, bias_initializer="ones").get_weights()) == 1


def test_noise_layers():
    model = libdeep.Sequential([layers.Input((4, 4, 3)), layers.SpatialDropout2D(0.5), layers.GaussianNoise(0.5),
                                layers.GaussianDropout(0.4), layers.Flatten(), layers.Dense(1)])
    model.set_seed(3)
    model.compile("sgd", "mse")
    x = np.linspace(-1, 1, 96, dtype=np.float32).reshape(2, 4, 4, 3)
    kernel, bias = model.layers[-1].get_weights()
    # Identity at inference: predict is the Dense on the flattened input.
    np.testing.assert_allclose(model.predict(x, verbose=0), x.reshape(2, -1) @ kernel + bias, rtol=1e-5, atol=1e-6)
    # Training draws: the loss of train_on_batch differs from test_on_batch's.
    y = np.zeros((2, 1), np.float32)
    assert model.train_on_batch(x, y) != pytest.approx(model.test_on_batch(x, y))
    with pytest.raises(libdeep.ShapeError, match="height, width, channels"):
        libdeep.Sequential([layers.Input((4,)), layers.SpatialDropout2D(0.5)])
    with pytest.raises(libdeep.InvalidArgumentError, match="stddev"):
        libdeep.Sequential([layers.Input((4,)), layers.GaussianNoise(1.5)])


def test_functional_models_take_them():
    inputs = layers.Input((4,))
    hidden = layers.Dense(3, kernel_initializer="ones", bias_initializer=initializers.Constant(2.0))(inputs)
    outputs = layers.Dense(1, kernel_regularizer="l2")(hidden)
    model = libdeep.Model(inputs, outputs)
    model.compile("sgd", "mse")
    kernel, bias = model.layers[0].get_weights()
    assert np.all(kernel == 1) and np.all(bias == 2)
    assert model.layers[1].get_weight_argument("kernel_regularizer") == regularizers.L2(0.01)


def test_initializer_seed_is_the_models_own():
    """Keras' seed= (since 1.3): the same seed gives the same kernel whatever the model's
    seed; the unseeded bias still follows the model; read back and saved."""
    def build(model_seed, init):
        model = libdeep.Sequential([layers.Input((4,)), layers.Dense(3, kernel_initializer=init,
                                                                     bias_initializer="random_normal")])
        model.set_seed(model_seed)
        model.compile("sgd", "mse")
        return model
    a = build(1, initializers.HeNormal(seed=7))
    b = build(2, initializers.HeNormal(seed=7))
    c = build(1, initializers.HeNormal(seed=8))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])
    assert not np.array_equal(a.get_weights()[1], b.get_weights()[1])
    assert a.layers[0].get_weight_argument("kernel_initializer") == initializers.HeNormal(seed=7)
    loaded = libdeep.load_model_from_bytes(a.to_bytes())
    assert loaded.layers[0].get_weight_argument("kernel_initializer").seed == 7
    assert loaded.layers[0].get_weight_argument("bias_initializer").seed is None
    with pytest.raises(libdeep.InvalidArgumentError, match="takes no seed"):
        build(1, initializers.Zeros(seed=1))
