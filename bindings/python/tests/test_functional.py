"""Layer graphs, Keras' functional API: Input, layers called on nodes, Model(inputs,
outputs), merge layers, shared layers, several inputs, sub-models sharing weights."""

import numpy as np
import pytest

import libdeep
from libdeep import layers


def relu(x):
    return np.maximum(x, 0)


def dense(layer, x):
    kernel, bias = layer.get_weights()
    return x @ kernel + bias


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_two_inputs_concatenated(rng):
    image, extra = libdeep.Input(shape=(4, 4, 1)), libdeep.Input(shape=(3,))
    a = layers.Dense(5, activation="relu")(layers.Flatten()(image))
    b = layers.Dense(5, activation="relu")(extra)
    joined = layers.Concatenate(axis=-1)([a, b])
    assert joined.shape == (None, 10)
    out = layers.Dense(2, activation="softmax")(joined)
    model = libdeep.Model([image, extra], out)
    assert model.inputs == [image, extra] and model.input == [image, extra] and model.output is out
    assert model.input_shape == [(None, 4, 4, 1), (None, 3)] and model.output_shape == (None, 2)
    assert [layer.name for layer in model.layers] == ["flatten", "dense", "dense_1", "concatenate", "dense_2"]
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x1 = rng.normal(size=(64, 4, 4, 1)).astype(np.float32)
    x2 = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x2[:, 0] > 0).astype(np.int64)
    history = model.fit([x1, x2], y, epochs=2, batch_size=16, verbose=0, validation_data=([x1, x2], y))
    assert len(history.history["val_loss"]) == 2
    predicted = model.predict([x1, x2])
    flat = model.get_layer("flatten")
    h = np.concatenate([relu(dense(model.get_layer("dense"), x1.reshape(64, -1))),
                        relu(dense(model.get_layer("dense_1"), x2))], axis=1)
    logits = dense(model.get_layer("dense_2"), h)
    expected = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(predicted, expected / expected.sum(1, keepdims=True), rtol=1e-4, atol=1e-5)
    # one row of each input's sample, flattened in input order, is what the library reads
    joined_rows = np.concatenate([x1.reshape(64, -1), x2], axis=1)
    np.testing.assert_allclose(model.predict(joined_rows), predicted, rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch([x1, x2]), predicted, rtol=1e-5, atol=1e-6)
    loss, accuracy = model.evaluate([x1, x2], y, verbose=0)
    assert np.isfinite(loss) and 0 <= accuracy <= 1
    assert flat.input is image and flat.output.shape == (None, 16)
    with pytest.raises(ValueError, match="2 inputs"):
        model.predict(x2)
    with pytest.raises(ValueError, match="list of 3 arrays"):
        model.predict([x1, x2, x2])
    with pytest.raises(libdeep.ShapeError, match="input 1"):
        model.predict([x1, x1])
    with pytest.raises(ValueError, match="samples"):
        model.predict([x1, x2[:10]])


def test_residual_mlp_block_trains(rng):
    inputs = libdeep.Input(shape=(8,))
    x = layers.Dense(16, activation="relu")(inputs)
    h = layers.Dense(16, activation="relu")(x)
    x = layers.Add()([x, h])  # the skip connection
    outputs = layers.Dense(1)(x)
    model = libdeep.Model(inputs, outputs)
    model.set_seed(3)
    model.compile("adam", "mse")
    data = rng.normal(size=(256, 8)).astype(np.float32)
    target = (data[:, :1] * 2 - data[:, 1:2]).astype(np.float32)
    before = model.evaluate(data, target, verbose=0)
    model.fit(data, target, epochs=20, batch_size=32, verbose=0)
    after = model.evaluate(data, target, verbose=0)
    assert after < 0.5 * before
    first = relu(dense(model.layers[0], data))
    expected = dense(model.layers[3], first + relu(dense(model.layers[1], first)))
    np.testing.assert_allclose(model.predict(data), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(model.predict([data]), model.predict(data))  # Keras' list of inputs
    np.testing.assert_array_equal(model.predict(data[:2].tolist()), model.predict(data[:2]))  # rows as lists


def test_shared_layer_is_one_layer_with_its_weights(rng):
    left, right = libdeep.Input(shape=(6,)), libdeep.Input(shape=(6,))
    shared = layers.Dense(4, activation="tanh")
    a, b = shared(left), shared(right)
    assert shared.output is a and shared.input is left
    with pytest.raises(libdeep.ShapeError, match="first call"):
        shared(libdeep.Input(shape=(5,)))
    distance = layers.Subtract()([a, b])
    model = libdeep.Model([left, right], layers.Dense(1, activation="sigmoid")(distance))
    assert len(model.layers) == 3 and model.layers[0] is shared
    model.compile("sgd", "binary_crossentropy")
    x1, x2 = rng.normal(size=(5, 6)).astype(np.float32), rng.normal(size=(5, 6)).astype(np.float32)
    d = np.tanh(dense(shared, x1)) - np.tanh(dense(shared, x2))
    expected = 1 / (1 + np.exp(-dense(model.layers[2], d)))
    np.testing.assert_allclose(model.predict([x1, x2]), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls, fn", [
    (layers.Add, lambda a, b: a + b), (layers.Subtract, lambda a, b: a - b), (layers.Multiply, lambda a, b: a * b),
    (layers.Average, lambda a, b: (a + b) / 2), (layers.Maximum, np.maximum), (layers.Minimum, np.minimum),
    (lambda: layers.Concatenate(axis=1), lambda a, b: np.concatenate([a, b], axis=1)),
    (lambda: layers.Concatenate(axis=-1), lambda a, b: np.concatenate([a, b], axis=2)),
])
def test_merge_layers_compute_as_keras(rng, cls, fn):
    a, b = libdeep.Input(shape=(3, 2)), libdeep.Input(shape=(3, 2))
    model = libdeep.Model([a, b], cls()([a, b]))
    model.compile("sgd", "mse")
    x1, x2 = rng.normal(size=(4, 3, 2)).astype(np.float32), rng.normal(size=(4, 3, 2)).astype(np.float32)
    np.testing.assert_allclose(model.predict([x1, x2]), fn(x1, x2), rtol=1e-6)


def test_submodel_shares_the_trained_weights(rng):
    inputs = libdeep.Input(shape=(10,))
    code = layers.Dense(6, activation="relu")(inputs)
    code = layers.Dense(3, activation="relu")(code)
    outputs = layers.Dense(10)(layers.Dense(6, activation="relu")(code))
    autoencoder = libdeep.Model(inputs, outputs)
    autoencoder.compile("adam", "mse")
    encoder = libdeep.Model(autoencoder.input, autoencoder.get_layer("dense_1").output)
    assert [layer.name for layer in encoder.layers] == ["dense", "dense_1"]
    assert encoder.output_shape == (None, 3)
    data = rng.normal(size=(128, 10)).astype(np.float32)
    before = encoder.predict(data).copy()
    expected = relu(dense(autoencoder.layers[1], relu(dense(autoencoder.layers[0], data))))
    np.testing.assert_allclose(before, expected, rtol=1e-4, atol=1e-5)
    autoencoder.fit(data, data, epochs=2, batch_size=32, verbose=0)
    after = encoder.predict(data)
    assert not np.allclose(before, after)
    expected = relu(dense(autoencoder.layers[1], relu(dense(autoencoder.layers[0], data))))
    np.testing.assert_allclose(after, expected, rtol=1e-4, atol=1e-5)
    # an inner node as the input: the decoder
    decoder = libdeep.Model(autoencoder.get_layer("dense_1").output, autoencoder.output)
    np.testing.assert_allclose(decoder.predict(encoder.predict(data)), autoencoder.predict(data), rtol=1e-4,
                               atol=1e-5)
    del autoencoder  # the shared weights live while the encoder does
    np.testing.assert_allclose(encoder.predict(data), after, rtol=1e-6)


def test_graph_model_round_trips_through_bytes(rng):
    a, b = libdeep.Input(shape=(3,)), libdeep.Input(shape=(2,))
    x = layers.Concatenate()([layers.Dense(4)(a), b])
    model = libdeep.Model([a, b], layers.Dense(2)(x))
    model.compile("sgd", "mse")
    x1, x2 = rng.normal(size=(3, 3)).astype(np.float32), rng.normal(size=(3, 2)).astype(np.float32)
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    rows = np.concatenate([x1, x2], axis=1)
    np.testing.assert_array_equal(loaded.predict(rows), model.predict([x1, x2]))
    np.testing.assert_array_equal(loaded.predict([x1, x2]), model.predict([x1, x2]))
    with pytest.raises(ValueError, match="2 inputs"):
        loaded.predict([x1])


def test_graph_errors():
    with pytest.raises(TypeError, match="shape="):
        libdeep.Input()
    a, b = libdeep.Input(shape=(4,)), libdeep.Input(shape=(5,))
    with pytest.raises(libdeep.ShapeError, match="deep_model_add_add"):
        layers.Add()([a, b])
    with pytest.raises(TypeError, match="nodes"):
        layers.Dense(2)(np.zeros((1, 4), np.float32))
    with pytest.raises(AttributeError, match="never been called"):
        layers.Dense(2).output
    sequential_layer = layers.Dense(2)
    libdeep.Sequential([layers.Input((4,)), sequential_layer])
    with pytest.raises(libdeep.StateError, match="belongs"):
        sequential_layer(a)
    called = layers.Dense(2)
    called(a)
    with pytest.raises(libdeep.StateError, match="layer graph"):
        libdeep.Sequential([layers.Input((4,)), called])
    out = layers.Dense(3)(a)
    with pytest.raises(ValueError, match="dangling"):
        libdeep.Model([a, b], out)
    with pytest.raises(ValueError, match="not reachable"):
        libdeep.Model(b, out)
    with pytest.raises(TypeError):
        libdeep.Model(a, "out")
    model = libdeep.Model(a, out)
    with pytest.raises(libdeep.StateError, match="another graph"):
        layers.Dense(1)(out)
    with pytest.raises(TypeError, match="add"):
        model.add(layers.Dense(1))
    with pytest.raises(ValueError, match="no layer named"):
        model.get_layer("nope")
