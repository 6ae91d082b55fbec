"""Layer graphs loaded from files (since 1.3): load_model gives a Model with Keras' nodes
(inputs, outputs, layers, layer.output, get_layer by the names given with name=) from
which sub-models are cut as from a graph built here; and merge layers broadcasting and
carrying masks as Keras 3's."""

import numpy as np
import pytest

import libdeep
from libdeep import layers


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def autoencoder():
    inputs = libdeep.Input(shape=(8,))
    hidden = layers.Dense(6, activation="relu")(inputs)
    code = layers.Dense(3, activation="tanh", name="code")(hidden)
    outputs = layers.Dense(8)(layers.Add()([layers.Dense(8)(code), layers.Dense(8, activation="relu")(code)]))
    model = libdeep.Model(inputs, outputs)
    model.compile("adam", "mse")
    return model


def test_loaded_graph_has_keras_nodes(rng, tmp_path):
    model = autoencoder()
    data = rng.normal(size=(64, 8)).astype(np.float32)
    model.fit(data, data, epochs=2, batch_size=16, verbose=0)
    path = str(tmp_path / "ae.ldm")
    model.save(path)
    loaded = libdeep.load_model(path)
    assert isinstance(loaded, libdeep.Model)
    assert [layer.name for layer in loaded.layers] == ["dense", "code", "dense_2", "dense_3", "add", "dense_4"]
    assert loaded.input.shape == (None, 8) and loaded.output.shape == (None, 8)
    assert len(loaded.inputs) == 1 and len(loaded.outputs) == 1
    code = loaded.get_layer("code")
    assert code.output.shape == (None, 3) and code.input is loaded.get_layer("dense").output
    assert loaded.get_layer("add").input == [loaded.get_layer("dense_2").output, loaded.get_layer("dense_3").output]
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
    # The encoder of the loaded model, as Keras: Model(loaded.input, loaded.get_layer("code").output).
    encoder = libdeep.Model(loaded.input, code.output)
    assert [layer.name for layer in encoder.layers] == ["dense", "code"]
    np.testing.assert_array_equal(encoder.predict(data),
                                  libdeep.Model(model.input, model.get_layer("code").output).predict(data))
    # The decoder from an inner node, sharing the loaded weights while the loaded model trains.
    decoder = libdeep.Model(code.output, loaded.output)
    np.testing.assert_allclose(decoder.predict(encoder.predict(data)), loaded.predict(data), rtol=1e-5, atol=1e-6)
    loaded.fit(data, data, epochs=1, verbose=0)
    np.testing.assert_allclose(decoder.predict(encoder.predict(data)), loaded.predict(data), rtol=1e-5, atol=1e-6)
    assert not np.array_equal(loaded.predict(data), model.predict(data))
    # A loaded layer cannot join another graph.
    with pytest.raises(libdeep.StateError, match="another graph"):
        layers.Dense(2)(code.output)


def test_loaded_graph_with_two_inputs_and_states(rng):
    seq, extra = libdeep.Input(shape=(4, 2)), libdeep.Input(shape=(3,))
    output, h, c = layers.LSTM(5, return_state=True, name="enc")(seq)
    joined = layers.Concatenate()([output, layers.Dense(5)(extra)])
    model = libdeep.Model([seq, extra], [layers.Dense(2, name="head")(joined), c])
    model.compile("sgd", "mse")
    x = [rng.normal(size=(6, 4, 2)).astype(np.float32), rng.normal(size=(6, 3)).astype(np.float32)]
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    assert isinstance(loaded, libdeep.Model)
    assert [n.shape for n in loaded.inputs] == [(None, 4, 2), (None, 3)]
    assert [n.shape for n in loaded.outputs] == [(None, 2), (None, 5)]
    assert loaded.outputs[1]._part == 2 and loaded.outputs[1]._inputs[0] is loaded.get_layer("enc").output
    for got, want in zip(loaded.predict(x), model.predict(x)):
        np.testing.assert_array_equal(got, want)
    states = libdeep.Model(loaded.inputs[0], loaded.outputs[1])  # the cell state alone
    np.testing.assert_array_equal(states.predict(x[0]), model.predict(x)[1])


def test_sequential_files_stay_sequential(rng):
    model = libdeep.Sequential([libdeep.Input((4,)), layers.Dense(3, name="hidden"), layers.Dense(2)])
    model.compile("sgd", "mse")
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    assert type(loaded) is libdeep.Sequential
    assert [layer.name for layer in loaded.layers] == ["hidden", "dense_1"]
    assert loaded.get_layer("hidden").get_weights()[0].shape == (4, 3)


def test_names_are_checked_before_the_layer_is_added():
    model = libdeep.Sequential([libdeep.Input((4,)), layers.Dense(3, name="a")])
    with pytest.raises(ValueError, match="already"):
        model.add(layers.Dense(2, name="a"))
    with pytest.raises(ValueError, match="without '/'"):
        model.add(layers.Dense(2, name="a/b"))
    assert len(model.layers) == 1
    model.add(layers.Dense(2, name="b"))
    model.compile("sgd", "mse")
    assert [layer.name for layer in libdeep.load_model_from_bytes(model.to_bytes()).layers] == ["a", "b"]


def test_merges_broadcast_as_keras(rng):
    steps, gate_in = libdeep.Input(shape=(5, 4)), libdeep.Input(shape=(4,))
    images, channels = libdeep.Input(shape=(3, 3, 2)), libdeep.Input(shape=(1, 1, 2))
    model = libdeep.Model([steps, gate_in, images, channels],
                          [layers.Multiply()([steps, gate_in]), layers.Subtract()([images, channels])])
    model.compile("sgd", "mse")
    x = [rng.normal(size=(2,) + n.shape[1:]).astype(np.float32) for n in model.inputs]
    product, difference = model.predict(x)
    np.testing.assert_allclose(product, x[0] * x[1][:, None, :], rtol=1e-6)
    np.testing.assert_allclose(difference, x[2] - x[3], rtol=1e-6)
    with pytest.raises(libdeep.ShapeError, match=r"\(5, 4\).*\(3,\)"):
        layers.Add()([steps, libdeep.Input(shape=(3,))])


@pytest.mark.parametrize("merge", [layers.Add, layers.Maximum, lambda: layers.Concatenate(axis=1)])
def test_masks_pass_through_merges(merge):
    def build(steps):
        ids = libdeep.Input(shape=(steps,))
        embedded = layers.Embedding(10, 4, mask_zero=True)(ids)
        a = layers.LSTM(3, return_sequences=True)(embedded)
        b = layers.LSTM(3, return_sequences=True)(embedded)
        model = libdeep.Model(ids, layers.LSTM(2)(merge()([a, b])))
        model.compile("sgd", "mse")
        return model

    padded, plain = build(6), build(4)
    plain.set_weights([np.sin(np.arange(w.size)).reshape(w.shape).astype(np.float32) for w in padded.get_weights()])
    padded.set_weights(plain.get_weights())
    ids = np.array([[3, 5, 2, 7, 0, 0], [0, 0, 1, 9, 4, 8]], np.float32)
    want = plain.predict(np.array([[3, 5, 2, 7], [1, 9, 4, 8]], np.float32))
    np.testing.assert_allclose(padded.predict(ids), want, rtol=1e-5, atol=1e-6)
    assert np.abs(want).max() > 1e-2
