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
