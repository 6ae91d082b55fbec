"""Bidirectional recurrent layers and per-step Dense outputs, the Keras way."""

import numpy as np
import pytest

import libdeep
from libdeep import Bidirectional, Dense, GRU, Input, LSTM, SimpleRNN


def ends_task(n, seed, steps=12):
    """Sequences of `steps` values in [0, 1); the label says whether the first is larger
    than the last: each end is close to one direction's output."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, steps, 1), dtype=np.float32)
    y = (x[:, 0, 0] > x[:, -1, 0]).astype(np.int32)
    return x, y


def repeat_task(n, seed, steps=10, tokens=3):
    """One-hot tokens; step t is tagged (one-hot of 2) with whether its token equals the next."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, tokens, size=(n, steps))
    x = np.eye(tokens, dtype=np.float32)[ids]
    same = np.zeros((n, steps), dtype=np.int64)
    same[:, :-1] = ids[:, :-1] == ids[:, 1:]
    return x, np.eye(2, dtype=np.float32)[same]


def test_stacked_bidirectional_learns_and_has_keras_weights():
    x, y = ends_task(768, 1)
    model = libdeep.Sequential([Input(shape=(12, 1)), Bidirectional(LSTM(8, return_sequences=True)), LSTM(8),
                                Dense(1, activation="sigmoid")])
    model.set_seed(3)
    model.compile(optimizer=libdeep.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    tx, ty = ends_task(256, 2)
    assert model.evaluate(tx, ty)[1] > 0.85
    # forward kernel, recurrent kernel, bias, then the backward copy's.
    assert [w.shape for w in model.layers[0].get_weights()] == [(1, 32), (8, 32), (32,)] * 2
    assert "Bidirectional" in model.summary_text()
    assert model.count_params() == 2 * 4 * ((1 + 8) * 8 + 8) + 4 * ((16 + 8) * 8 + 8) + 9


@pytest.mark.parametrize("merge_mode,width", [("concat", 8), ("sum", 4), ("mul", 4), ("ave", 4)])
@pytest.mark.parametrize("cell", [LSTM, GRU, SimpleRNN])
def test_merge_modes_give_keras_shapes(cell, merge_mode, width):
    x, _ = ends_task(3, 4, steps=5)
    for sequences in (True, False):
        model = libdeep.Sequential([Input(shape=(5, 1)),
                                    Bidirectional(cell(4, return_sequences=sequences), merge_mode=merge_mode)])
        model.compile(optimizer="adam", loss="mse")
        assert model.predict(x).shape == ((3, 5, width) if sequences else (3, width))


def test_the_halves_are_the_wrapped_layer_forwards_and_backwards():
    x, _ = ends_task(4, 5, steps=6)
    both = libdeep.Sequential([Input(shape=(6, 1)), Bidirectional(GRU(3, return_sequences=True))])
    forward = libdeep.Sequential([Input(shape=(6, 1)), GRU(3, return_sequences=True)])
    backward = libdeep.Sequential([Input(shape=(6, 1)), GRU(3, return_sequences=True, go_backwards=True)])
    for model in (both, forward, backward):
        model.compile(optimizer="adam", loss="mse")
    weights = both.layers[0].get_weights()
    forward.layers[0].set_weights(weights[:3])
    backward.layers[0].set_weights(weights[3:])
    out = both.predict(x)
    np.testing.assert_array_equal(out[:, :, :3], forward.predict(x))
    np.testing.assert_array_equal(out[:, :, 3:], backward.predict(x)[:, ::-1])


def test_bidirectional_misuse():
    with pytest.raises(TypeError, match="LSTM, GRU or SimpleRNN"):
        Bidirectional(Dense(3))
    with pytest.raises(TypeError):
        Bidirectional(Bidirectional(LSTM(3)))
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="not supported"):
        Bidirectional(LSTM(3), merge_mode=None)
    lstm = LSTM(3)
    Bidirectional(lstm)
    with pytest.raises(libdeep.StateError):
        Bidirectional(lstm)  # already wrapped
    with pytest.raises(libdeep.StateError, match="Bidirectional"):
        libdeep.Sequential([Input(shape=(4, 2)), lstm])
    with pytest.raises(libdeep.ShapeError, match="return_sequences"):
        libdeep.Sequential([Input(shape=(4, 2)), Bidirectional(LSTM(3)), LSTM(2)])
    model = libdeep.Sequential([Input(shape=(4, 2)), Bidirectional(LSTM(3))])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(libdeep.StateError):
        model.add(Bidirectional(LSTM(3)))


def test_a_saved_bidirectional_model_predicts_the_same(tmp_path):
    x, y = ends_task(64, 6)
    model = libdeep.Sequential([Input(shape=(12, 1)),
                                Bidirectional(LSTM(4, return_sequences=True, dropout=0.1), merge_mode="ave"),
                                Bidirectional(SimpleRNN(3, go_backwards=True), merge_mode="mul"),
                                Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "bidirectional.safetensors")
    loaded = libdeep.load_model(tmp_path / "bidirectional.safetensors")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_dense_on_sequences_tags_every_step():
    x, y = repeat_task(512, 7)
    model = libdeep.Sequential([Input(shape=(10, 3)), Bidirectional(LSTM(16, return_sequences=True)),
                                Dense(2, activation="softmax")])
    model.set_seed(11)
    model.compile(optimizer=libdeep.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    tx, ty = repeat_task(256, 8)
    pred = model.predict(tx)
    assert pred.shape == (256, 10, 2)
    np.testing.assert_allclose(pred.sum(axis=-1), 1.0, rtol=1e-5)
    accuracy = (pred.argmax(-1) == ty.argmax(-1)).mean()
    assert accuracy > 0.95
    assert model.evaluate(tx, ty)[1] == pytest.approx(accuracy, abs=1e-6)
    # Keras' loss: the cross-entropy of each step, averaged over steps and samples.
    want = -(ty * np.log(np.clip(pred, 1e-7, 1 - 1e-7))).sum(-1).mean()
    assert model.evaluate(tx, ty)[0] == pytest.approx(want, rel=1e-4)


def test_per_step_integer_labels():
    """Since 1.3 the sparse loss takes one label per step, y (n, steps), as Keras; the
    bidirectional tagger learns from them as from one-hot steps."""
    x, y = repeat_task(512, 7)
    model = libdeep.Sequential([Input(shape=(10, 3)), Bidirectional(LSTM(16, return_sequences=True)),
                                Dense(2, activation="softmax")])
    model.set_seed(11)
    model.compile(optimizer=libdeep.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    model.fit(x, y.argmax(-1), epochs=15, batch_size=32, verbose=0)
    tx, ty = repeat_task(256, 8)
    accuracy = (model.predict(tx).argmax(-1) == ty.argmax(-1)).mean()
    assert accuracy > 0.95
    assert model.evaluate(tx, ty.argmax(-1))[1] == pytest.approx(accuracy, abs=1e-6)
    with pytest.raises(libdeep.ShapeError, match="one class label per step"):
        model.evaluate(tx, ty)


def test_masked_tagger_scores_only_the_real_steps():
    """Masking -> LSTM(return_sequences) -> Dense: the padded steps ('post', marked by zero
    tokens) are not scored, so their targets do not matter, as in Keras."""
    x, y = repeat_task(64, 7)
    lengths = 4 + np.arange(64) % 7
    real = np.arange(10)[None, :] < lengths[:, None]
    x[~real] = 0.0
    losses, metrics = [], []
    for filler in (0.0, 1.0):
        y_padded = y.copy()
        y_padded[~real] = [filler, 1 - filler]
        model = libdeep.Sequential([Input(shape=(10, 3)), libdeep.Masking(), LSTM(8, return_sequences=True),
                                    Dense(2, activation="softmax")])
        model.set_seed(4)
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        losses.append(model.fit(x, y_padded, epochs=2, batch_size=64, shuffle=False, verbose=0).history["loss"])
        pred = model.predict(x)
        metrics.append(model.evaluate(x, y_padded, batch_size=64))
    assert losses[0] == losses[1]
    assert metrics[0] == metrics[1]
    want_loss = -(y[real] * np.log(np.clip(pred[real], 1e-7, 1 - 1e-7))).sum(-1).mean()
    want_accuracy = np.mean(pred[real].argmax(-1) == y[real].argmax(-1))
    assert metrics[1][0] == pytest.approx(want_loss, rel=1e-4)
    assert metrics[1][1] == pytest.approx(want_accuracy, abs=1e-6)
