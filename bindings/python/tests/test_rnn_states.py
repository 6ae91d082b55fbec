"""Recurrent layers in layer graphs, as Keras: LSTM(..., return_state=True) returning
[output, h, c] and layer(x, initial_state=[h, c]); a seq2seq encoder-decoder."""

import numpy as np
import pytest

import libdeep
from libdeep import layers

LENGTH, DIGITS = 4, 4
TOKENS = DIGITS + 1  # the last token starts the decoder


def reverse_data(n, seed):
    """One-hot digits, the decoder's teacher-forced input and the reversed digits."""
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, DIGITS, size=(n, LENGTH))
    target = digits[:, ::-1]
    shifted = np.concatenate([np.full((n, 1), DIGITS), target[:, :-1]], axis=1)
    eye = np.eye(TOKENS, dtype=np.float32)
    return eye[digits], eye[shifted], eye[target]


def seq2seq(cell, units=32):
    encoder_in, decoder_in = libdeep.Input(shape=(LENGTH, TOKENS)), libdeep.Input(shape=(LENGTH, TOKENS))
    _, *states = cell(units, return_state=True)(encoder_in)
    sequence = cell(units, return_sequences=True)(decoder_in, initial_state=states)
    probabilities = layers.Dense(TOKENS, activation="softmax")(sequence)
    model = libdeep.Model([encoder_in, decoder_in], probabilities)
    model.compile(optimizer=libdeep.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model, states


@pytest.mark.parametrize("cell", [layers.LSTM, layers.GRU])
def test_seq2seq_learns_to_reverse(cell, tmp_path):
    x, teacher, y = reverse_data(1200, 5)
    model, states = seq2seq(cell)
    assert len(states) == (2 if cell is layers.LSTM else 1)
    assert all(s.shape == (None, 32) for s in states)
    model.fit([x, teacher], y, epochs=25, batch_size=32, verbose=0)
    tx, tteacher, ty = reverse_data(300, 99)
    _, accuracy = model.evaluate([tx, tteacher], ty, verbose=0)
    assert accuracy > 0.95
    # Without the encoder's input the decoder can only guess: the states carry the digits.
    _, blind = model.evaluate([np.zeros_like(tx), tteacher], ty, verbose=0)
    assert blind < 0.7
    # The encoder cut from the trained graph gives the states the decoder starts from.
    encoder = libdeep.Model(model.inputs[0], states)
    codes = encoder.predict(tx[:5], verbose=0)
    codes = codes if isinstance(codes, list) else [codes]
    assert codes[0].shape == (5, 32)
    # Saved and loaded: the same predictions.
    path = tmp_path / "seq2seq.safetensors"
    model.save(path)
    loaded = libdeep.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict([tx, tteacher], verbose=0), model.predict([tx, tteacher], verbose=0))


def test_states_as_outputs_are_named():
    x = libdeep.Input(shape=(3, 2))
    output, h, c = layers.LSTM(4, return_state=True, name="enc")(x)
    model = libdeep.Model(x, [output, h, c])
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(1).normal(size=(6, 3, 2)).astype(np.float32)
    got = model.predict(data, verbose=0)
    assert [g.shape for g in got] == [(6, 4)] * 3
    np.testing.assert_allclose(got[0], got[1], atol=1e-6)  # without masking the output is h
    history = model.fit(data, [np.zeros((6, 4))] * 3, epochs=1, verbose=0)
    assert {"enc_loss", "enc_h_loss", "enc_c_loss"} <= set(history.history)


def test_state_misuse():
    x, h = libdeep.Input(shape=(3, 2)), libdeep.Input(shape=(5,))
    with pytest.raises(ValueError, match=r"\[h, c\]"):
        layers.LSTM(4)(x, initial_state=[h])
    with pytest.raises(libdeep.errors.ShapeError, match=r"\(4,\)"):
        layers.GRU(4)(x, initial_state=[h])
    with pytest.raises(ValueError, match="return_state"):
        libdeep.Sequential([libdeep.Input(shape=(3, 2)), layers.LSTM(4, return_state=True)])


def test_bidirectional_states():
    """Bidirectional(LSTM(return_state=True)) returns the output, then the forward and the
    backward copy's h and c; a Bidirectional decoder starts from four states."""
    x = libdeep.Input(shape=(3, 2))
    output, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(4, return_state=True), name="bi")(x)
    decoder = layers.Bidirectional(layers.LSTM(4), merge_mode="sum")(x, initial_state=[fh, fc, bh, bc])
    model = libdeep.Model(x, [decoder, fh, bc])
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(2).normal(size=(5, 3, 2)).astype(np.float32)
    got = model.predict(data, verbose=0)
    assert [g.shape for g in got] == [(5, 4)] * 3
    assert output.shape == (None, 8)
    history = model.fit(data, [np.zeros((5, 4))] * 3, epochs=1, verbose=0)
    assert {"bi_forward_h_loss", "bi_backward_c_loss"} <= set(history.history)
    with pytest.raises(ValueError, match="forward_h, forward_c, backward_h, backward_c"):
        layers.Bidirectional(layers.LSTM(4))(x, initial_state=[fh, fc])
