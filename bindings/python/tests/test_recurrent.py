"""Sequence models: Embedding and LSTM, the Keras way."""

import numpy as np
import pytest

import libdeep
from libdeep import Dense, Embedding, GRU, Input, LSTM, SimpleRNN


def count_task(n, seed):
    """Sequences of 8 token ids in 2..5; the label says whether id 2 occurs at least
    twice, which needs memory over the steps."""
    rng = np.random.default_rng(seed)
    x = rng.integers(2, 6, size=(n, 8)).astype(np.float32)
    y = ((x == 2).sum(axis=1) >= 2).astype(np.int32)
    return x, y


def test_embedding_lstm_learns_a_counting_task():
    x, y = count_task(600, 1)
    model = libdeep.Sequential([Input(shape=(8,)), Embedding(6, 8, input_length=8),
                                LSTM(16, return_sequences=True), LSTM(16, dropout=0.1),
                                Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=25, batch_size=32, verbose=0)
    tx, ty = count_task(300, 2)
    assert model.evaluate(tx, ty)[1] > 0.9
    # Keras' weights: embeddings, then kernel, recurrent_kernel, bias per LSTM.
    shapes = [w.shape for layer in model.layers for w in layer.get_weights()]
    assert shapes[:4] == [(6, 8), (8, 64), (16, 64), (64,)]


def test_recurrent_misuse_is_an_error():
    x, _ = count_task(4, 3)
    model = libdeep.Sequential([Input(shape=(8,)), Embedding(6, 4)])
    with pytest.raises(libdeep.ShapeError, match="return_sequences"):
        model.add(LSTM(4))  # fine: the embedding gives (8, 4) ...
        model.add(LSTM(4))  # ... but this one gets (4,) from an LSTM without return_sequences
    model = libdeep.Sequential([Input(shape=(8,)), Embedding(5, 4), LSTM(3), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(libdeep.OutOfRangeError, match="5"):
        model.predict(x)  # ids up to 5 but input_dim is 5
    with pytest.raises(libdeep.InvalidArgumentError):
        libdeep.Sequential([Input(shape=(8, 3)), LSTM(3, dropout=1.5)])


def test_a_saved_lstm_model_predicts_the_same(tmp_path):
    x, y = count_task(64, 4)
    model = libdeep.Sequential([Input(shape=(8,)), Embedding(6, 4), LSTM(5, go_backwards=True),
                                Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "lstm.safetensors")
    loaded = libdeep.load_model(tmp_path / "lstm.safetensors")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("cell", [GRU, SimpleRNN])
def test_gru_and_simple_rnn_learn_and_have_keras_weights(cell):
    x, y = count_task(600, 5)
    model = libdeep.Sequential([Input(shape=(8,)), Embedding(6, 8), cell(16, go_backwards=True),
                                Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    tx, ty = count_task(300, 6)
    assert model.evaluate(tx, ty)[1] > 0.85
    gates = 3 if cell is GRU else 1
    bias = (2, 3 * 16) if cell is GRU else (16,)  # GRU: reset_after=True, two bias rows
    assert [w.shape for w in model.layers[1].get_weights()] == [(8, gates * 16), (16, gates * 16), bias]


def padded(sequences, width, pre=True):
    """Keras' pad_sequences of id lists (or of (steps, features) arrays) with zeros."""
    first = np.asarray(sequences[0], np.float32)
    out = np.zeros((len(sequences), width) + first.shape[1:], np.float32)
    for i, s in enumerate(sequences):
        s = np.asarray(s, np.float32)
        if pre:
            out[i, width - len(s):] = s
        else:
            out[i, :len(s)] = s
    return out


@pytest.mark.parametrize("cell", [LSTM, GRU, SimpleRNN])
def test_mask_zero_makes_padding_invisible(cell):
    """Embedding(mask_zero=True): a word padded before or after predicts what it predicts alone."""
    model = libdeep.Sequential([Input(shape=(7,)), Embedding(6, 4, mask_zero=True), cell(5),
                                Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    words = [[3], [2, 5], [4, 1, 3, 2]]
    for word in words:
        alone = libdeep.Sequential([Input(shape=(len(word),)), Embedding(6, 4), cell(5),
                                    Dense(2, activation="softmax")])
        alone.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        alone.set_weights(model.get_weights())
        want = alone.predict(np.array([word], np.float32))
        for pre in (True, False):
            np.testing.assert_allclose(model.predict(padded([word], 7, pre)), want, rtol=1e-5, atol=1e-6)


def test_masking_layer_and_predict_states():
    rng = np.random.default_rng(7)
    steps = [rng.uniform(-1, 1, size=(n, 3)) for n in (2, 5)]
    x = padded(steps, 5)
    model = libdeep.Sequential([Input(shape=(5, 3)), libdeep.Masking(mask_value=0.0),
                                LSTM(4, return_sequences=True), GRU(3, reset_after=False)])
    model.compile(optimizer="adam", loss="mse")
    h, c = model.predict_states(x, layer=1)
    assert h.shape == c.shape == (2, 4)
    (g,) = model.predict_states(x)  # the last layer, a GRU: h only
    np.testing.assert_array_equal(g, model.predict(x))
    # h of the LSTM is the last step of its sequence: check it through a model ending there.
    first = libdeep.Sequential([Input(shape=(5, 3)), libdeep.Masking(), LSTM(4, return_sequences=True)])
    first.compile(optimizer="adam", loss="mse")
    first.layers[1].set_weights(model.layers[1].get_weights())
    np.testing.assert_array_equal(first.predict(x)[:, -1], h)
    assert model.predict_states(x, layer=model.layers[1])[0].shape == (2, 4)
    with pytest.raises(libdeep.InvalidArgumentError, match="not recurrent"):
        model.predict_states(x, layer=0)
    with pytest.raises(libdeep.OutOfRangeError):
        model.predict_states(x, layer=9)
    with pytest.raises(libdeep.ShapeError, match="Masking needs"):
        libdeep.Sequential([Input(shape=(5,)), libdeep.Masking()])
    with pytest.raises(libdeep.InvalidArgumentError, match="does not take masked inputs"):
        libdeep.Sequential([Input(shape=(5, 3)), libdeep.Masking(), libdeep.Flatten()])
    with pytest.raises(libdeep.InvalidArgumentError, match="input_dim"):
        libdeep.Sequential([Input(shape=(5,)), Embedding(1, 3, mask_zero=True)])


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_reset_after_weights_and_files(reset_after, tmp_path):
    model = libdeep.Sequential([Input(shape=(4, 3)), GRU(5, reset_after=reset_after), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    bias = (2, 15) if reset_after else (15,)
    assert [w.shape for w in model.layers[0].get_weights()] == [(3, 15), (5, 15), bias]
    x = np.random.default_rng(2).uniform(-1, 1, size=(6, 4, 3)).astype(np.float32)
    model.save(tmp_path / "gru.safetensors")
    loaded = libdeep.load_model(tmp_path / "gru.safetensors")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    (h,) = loaded.predict_states(x, layer=0)  # a loaded layer: sizes come from its weights
    assert h.shape == (6, 5)
