"""Online training: train_on_batch / test_on_batch / predict_on_batch against fit, evaluate
and predict; copy_weights_from and clone_model; their errors."""

import numpy as np
import pytest

import libdeep


def classifier(seed=3):
    model = libdeep.Sequential([libdeep.Dense(16, activation="relu", input_shape=(4,)),
                                libdeep.Dense(3, activation="softmax")])
    model.set_seed(seed)
    model.set_threads(1)
    model.compile(optimizer=libdeep.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_train_on_batch_sequence_equals_fit(blobs):
    x, y = blobs
    x, y = x[:64], y[:64]
    fitted, stepped = classifier(), classifier()
    for _ in range(3):
        history = fitted.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        values = [stepped.train_on_batch(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
        for a, b in zip(fitted.get_weights(), stepped.get_weights()):
            np.testing.assert_array_equal(a, b)  # bit for bit
        assert history.history["loss"][0] == pytest.approx(np.mean([v[0] for v in values]), abs=1e-12)
        assert history.history["accuracy"][0] == pytest.approx(np.mean([v[1] for v in values]), abs=1e-12)


def test_test_and_predict_on_batch_equal_evaluate_and_predict(blobs, mlp):
    x, y = blobs
    mlp.fit(x, y, epochs=2, verbose=0)
    assert mlp.test_on_batch(x[:50], y[:50]) == mlp.evaluate(x[:50], y[:50], batch_size=50, verbose=0)
    assert mlp.test_on_batch(x[:50], y[:50], return_dict=True) == \
        mlp.evaluate(x[:50], y[:50], batch_size=50, verbose=0, return_dict=True)
    out = mlp.predict_on_batch(x[:50])
    assert out.shape == (50, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, mlp.predict(x[:50]))


def test_float_targets_and_a_single_loss():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = (x @ np.array([[1.0, 0.5], [-1.0, 0.0], [0.5, 2.0]])).astype(np.float32)
    model = libdeep.Sequential([libdeep.Dense(2, input_shape=(3,))])
    model.compile(optimizer=libdeep.optimizers.SGD(learning_rate=0.1), loss="mse")
    first = model.train_on_batch(x, y)
    assert isinstance(first, float)
    for _ in range(200):
        last = model.train_on_batch(x, y)
    assert last < first / 10
    assert model.test_on_batch(x, y) < first / 10


def test_on_batch_errors(mlp, blobs):
    x, y = blobs
    with pytest.raises(libdeep.ShapeError, match="axis 1 has 3 entries, not 4"):
        mlp.train_on_batch(x[:8, :3], y[:8])
    with pytest.raises(libdeep.ShapeError, match="axis 0"):
        mlp.train_on_batch(x[:8], y[:7])
    with pytest.raises(libdeep.OutOfRangeError, match="outside the model's 3 classes"):
        mlp.train_on_batch(x[:2], np.array([0, 3]))
    with pytest.raises(libdeep.InvalidArgumentError, match="whole class labels"):
        mlp.test_on_batch(x[:2], np.array([0.5, 1.0]))
    with pytest.raises(TypeError):
        mlp.train_on_batch(x[:2], np.array(["a", "b"]))
    raw = libdeep.Sequential([libdeep.Dense(2, input_shape=(4,))])
    with pytest.raises(libdeep.StateError):
        raw.predict_on_batch(x[:2])

    class Inside(libdeep.Callback):
        def on_epoch_end(self, epoch, logs=None):
            with pytest.raises(libdeep.ThreadError, match="callback"):
                self.model.train_on_batch(x[:4], y[:4])

    mlp.fit(x, y, epochs=1, verbose=0, callbacks=[Inside()])


def test_clone_and_copy_weights(blobs, mlp):
    x, y = blobs
    mlp.fit(x, y, epochs=1, verbose=0)
    target = libdeep.clone_model(mlp)
    assert target.summary_text() == mlp.summary_text()
    # Since 1.2 an uncompiled model is built on demand (Keras), and its first compile keeps
    # the weights it was given; a second compile re-initialises them (the 1.x rule).
    target.copy_weights_from(mlp)
    target.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    np.testing.assert_array_equal(target.predict(x[:5]), mlp.predict(x[:5]))
    target.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert not np.array_equal(target.predict(x[:5]), mlp.predict(x[:5]))
    target.copy_weights_from(mlp)
    np.testing.assert_array_equal(target.predict(x[:5]), mlp.predict(x[:5]))
    mlp.train_on_batch(x[:32], y[:32])  # the copy is a copy, not shared weights
    assert not np.array_equal(target.predict(x[:5]), mlp.predict(x[:5]))

    other = libdeep.Sequential([libdeep.Dense(8, activation="relu", input_shape=(4,)),
                                libdeep.Dense(3, activation="softmax")])
    other.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(libdeep.ShapeError, match="kernel of layer 0"):
        other.copy_weights_from(mlp)
    with pytest.raises(TypeError):
        other.copy_weights_from(x)
    with pytest.raises(TypeError):
        libdeep.clone_model("model")
