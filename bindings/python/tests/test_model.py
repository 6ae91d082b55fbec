import gc
import weakref

import numpy as np
import pytest

import libdeep
from libdeep import Dense, Dropout, Flatten, Conv2D, MaxPooling2D, BatchNormalization, Input


def test_separable_problem_reaches_high_accuracy(blobs, mlp):
    x, y = blobs
    history = mlp.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert len(history.history["loss"]) == 15 and history.epoch == list(range(15))
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = mlp.evaluate(x, y, verbose=0)
    assert accuracy > 0.97
    assert loss < 0.2
    probabilities = mlp.predict(x)
    assert probabilities.shape == (300, 3) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert np.mean(probabilities.argmax(axis=1) == y) == pytest.approx(accuracy)
    assert mlp.evaluate(x, y, return_dict=True) == {"loss": loss, "accuracy": accuracy}


def test_same_seed_gives_the_same_run(blobs):
    x, y = blobs
    runs = []
    for _ in range(2):
        model = libdeep.Sequential([Input((4,)), Dense(8, activation="tanh"), Dense(3, activation="softmax")])
        model.set_seed(11)
        model.set_threads(1)
        model.compile("sgd", "sparse_categorical_crossentropy")
        runs.append(model.fit(x, y, epochs=2, verbose=0).history["loss"])
    assert runs[0] == runs[1]


def test_evaluate_without_metrics_returns_the_loss(blobs):
    x, y = blobs
    model = libdeep.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("adam", "sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y), float)


def test_predict_returns_a_view_of_the_c_tensor(blobs, mlp):
    x, _ = blobs
    out = mlp.predict(x[:10])
    assert not out.flags.owndata
    assert isinstance(out.base, libdeep._core.Tensor)
    assert out.flags.c_contiguous and out.flags.writeable
    tensor = weakref.ref(out.base)
    del out
    gc.collect()
    assert tensor() is None  # the tensor (and its C memory) went away with the last view


def test_validation_data_and_split_give_val_history(blobs, mlp):
    x, y = blobs
    h = mlp.fit(x[:200], y[:200], epochs=2, verbose=0, validation_data=(x[200:], y[200:]))
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    h = mlp.fit(x, y, epochs=2, verbose=0, validation_split=0.25)
    assert len(h.history["val_accuracy"]) == 2


def test_fit_logs_one_line_per_epoch(blobs, mlp, capsys):
    x, y = blobs
    mlp.fit(x, y, epochs=3, batch_size=64, verbose=1)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 3
    assert "loss:" in lines[0] and "accuracy:" in lines[0]
    mlp.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_binary_crossentropy_and_mse(blobs):
    x, y = blobs
    binary = (y == 0).astype(np.int32)
    model = libdeep.Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(1, activation="sigmoid")])
    model.compile(libdeep.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, binary, epochs=10, verbose=0)
    assert model.evaluate(x, binary)[1] > 0.95

    target = (2.0 * x[:, 0] - x[:, 1]).astype(np.float64)  # float64 is converted to float32
    reg = libdeep.Sequential([Dense(1, input_shape=(4,))])
    reg.compile(libdeep.optimizers.SGD(learning_rate=0.05), "mse", metrics=["mae"])
    reg.fit(x, target, epochs=20, verbose=0)
    loss, mae = reg.evaluate(x, target)
    assert loss < 0.01 and mae < 0.1
    kernel, bias = reg.get_weights()
    np.testing.assert_allclose(kernel[:, 0], [2, -1, 0, 0], atol=0.05)


def test_a_small_cnn_trains(blobs):
    rng = np.random.default_rng(0)
    # Images with a bright left or right half.
    y = rng.integers(0, 2, size=120)
    x = rng.uniform(0, 0.2, size=(120, 8, 8, 1)).astype(np.float32)
    x[y == 0, :, :4] += 0.8
    x[y == 1, :, 4:] += 0.8
    model = libdeep.Sequential([
        Input((8, 8, 1)),
        Conv2D(4, 3, activation="relu", padding="same"),
        MaxPooling2D(2),
        BatchNormalization(),
        Flatten(),
        Dropout(0.1),
        Dense(2, activation="softmax"),
    ])
    model.set_seed(5)
    model.compile(libdeep.optimizers.Adam(0.01), "sparse_categorical_crossentropy", ["accuracy"])
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert model.evaluate(x, y)[1] > 0.95
    assert model.predict(x[:3]).shape == (3, 2)


def test_categorical_crossentropy_with_one_hot_targets(blobs):
    x, y = blobs
    model = libdeep.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("adam", "categorical_crossentropy", ["accuracy"])
    model.fit(x, libdeep.utils.to_categorical(y), epochs=1, verbose=0)
    with pytest.raises(libdeep.InvalidArgumentError, match="one-hot"):
        model.fit(x, y, epochs=1, verbose=0)  # integer labels need to_categorical first


def test_summary_text(mlp, capsys):
    text = mlp.summary_text()
    assert "dense (Dense)" in text and "dense_1 (Dense)" in text
    assert "(None, 16)" in text and "(None, 3)" in text
    assert "Total params: 131" in text  # 4*16+16 + 16*3+3
    assert mlp.count_params() == 131
    mlp.summary()
    assert capsys.readouterr().out.strip() == text.strip()
    lines = []
    mlp.summary(print_fn=lines.append)
    assert lines == [text.rstrip("\n")]


def test_input_and_output_shapes():
    model = libdeep.Sequential([Input((28, 28, 1)), Conv2D(4, 3), MaxPooling2D(), Flatten(),
                                Dense(10, activation="softmax")])
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    bare = libdeep.Sequential([Input((5,))])
    assert bare.output_shape == (None, 5)  # no layer yet: the input
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    assert (loaded.input_shape, loaded.output_shape) == (model.input_shape, model.output_shape)
    with pytest.raises(libdeep.StateError):
        libdeep.Sequential().input_shape


def test_weights_round_trip(blobs, mlp):
    x, _ = blobs
    weights = mlp.get_weights()
    assert [w.shape for w in weights] == [(4, 16), (16,), (16, 3), (3,)]
    before = mlp.predict(x)
    changed = [np.full_like(w, 0.1) for w in weights]
    mlp.set_weights(changed)
    for got, want in zip(mlp.get_weights(), changed):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(mlp.predict(x), before)
    mlp.set_weights(weights)
    np.testing.assert_array_equal(mlp.predict(x), before)
    # Per layer, with a non-contiguous float64 kernel (converted explicitly to float32).
    kernel = np.asfortranarray(np.arange(64, dtype=np.float64).reshape(4, 16))
    mlp.layers[0].set_weights([kernel, np.zeros(16)])
    np.testing.assert_array_equal(mlp.layers[0].get_weights()[0], kernel.astype(np.float32))


def test_weights_errors(mlp):
    with pytest.raises(libdeep.ShapeError):
        mlp.layers[0].set_weights([np.zeros((5, 16)), np.zeros(16)])
    with pytest.raises(libdeep.ShapeError, match="2 weights"):
        mlp.layers[0].set_weights([np.zeros((4, 16))])
    with pytest.raises(libdeep.ShapeError):
        mlp.set_weights([])
    with pytest.raises(libdeep.StateError):
        Dense(3).get_weights()  # not in a model


def test_optimizer_options(blobs, mlp):
    opt = mlp.optimizer
    assert isinstance(opt, libdeep.optimizers.Adam)
    assert opt.learning_rate == pytest.approx(0.01)
    opt.learning_rate = 0.002  # goes to the model's C optimizer
    assert opt.learning_rate == pytest.approx(0.002)
    assert libdeep.optimizers.SGD().learning_rate == pytest.approx(0.01)
    assert libdeep.optimizers.RMSprop(rho=0.8).rho == pytest.approx(0.8)
    with pytest.raises(libdeep.InvalidArgumentError):
        libdeep.optimizers.SGD(momentum=1.5)
    with pytest.raises(libdeep.InvalidArgumentError):
        libdeep.optimizers.Adam(learning_rate=-1)
    with pytest.raises(AttributeError):
        libdeep.optimizers.Adam().rho
    other = libdeep.Sequential([Dense(3, input_shape=(4,))])
    with pytest.raises(libdeep.StateError, match="another model"):
        other.compile(opt, "mse")


def test_callbacks_see_each_epoch_and_can_stop(blobs, mlp):
    x, y = blobs
    seen = []

    class Recorder(libdeep.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))
            if epoch == 2:
                self.model.stop_training = True

    history = mlp.fit(x, y, epochs=10, verbose=0, callbacks=[Recorder()])
    assert [e for e, _ in seen] == [0, 1, 2]
    assert seen[0][1] == ["accuracy", "loss"]
    assert len(history.history["loss"]) == 3


def test_callback_exception_propagates(blobs, mlp):
    x, y = blobs

    class Broken(libdeep.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        mlp.fit(x, y, epochs=3, verbose=0, callbacks=[Broken()])
    mlp.fit(x, y, epochs=1, verbose=0)  # the model is still usable, callbacks removed


def test_learning_rate_scheduler_sets_the_rate_before_each_epoch(blobs, mlp):
    x, y = blobs
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return 0.01 / (epoch + 1)

    mlp.fit(x, y, epochs=3, verbose=0, callbacks=[libdeep.LearningRateScheduler(schedule)])
    assert [epoch for epoch, _ in seen] == [0, 1, 2]
    assert [lr for _, lr in seen] == pytest.approx([0.01, 0.01, 0.005])
    assert mlp.optimizer.learning_rate == pytest.approx(0.01 / 3)  # read back from the C optimizer


def test_learning_rate_scheduler_changes_training(blobs):
    x, y = blobs
    losses = []
    for callbacks in ([], [libdeep.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr / 100)]):
        model = libdeep.Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(3, activation="softmax")])
        model.set_seed(5)
        model.compile(libdeep.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
        losses.append(model.fit(x, y, epochs=3, verbose=0, callbacks=callbacks).history["loss"])
    assert losses[0][0] == losses[1][0]  # the same first epoch
    assert losses[0][1:] != losses[1][1:]


def test_learning_rate_scheduler_misuse(blobs, mlp):
    x, y = blobs
    with pytest.raises(TypeError, match="callable"):
        libdeep.LearningRateScheduler(0.001)
    with pytest.raises(libdeep.InvalidArgumentError):
        mlp.fit(x, y, epochs=2, verbose=0, callbacks=[libdeep.LearningRateScheduler(lambda epoch, lr: -1.0)])
    began = []

    class Stopper(libdeep.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            began.append(epoch)

        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch == 1

    mlp.fit(x, y, epochs=5, verbose=0, callbacks=[Stopper()])
    assert began == [0, 1]  # no epoch 2 begins once fit was told to stop


def test_early_stopping(blobs, mlp):
    x, y = blobs
    h = mlp.fit(x, y, epochs=200, verbose=0, validation_split=0.3,
                callbacks=[libdeep.EarlyStopping(patience=2, min_delta=0.5)])
    assert len(h.history["loss"]) < 200


def test_fit_with_a_dataset(blobs, mlp):
    x, y = blobs
    data = libdeep.Dataset(x, y)
    mlp.fit(data, epochs=5, verbose=0)
    assert mlp.evaluate(data)[1] > 0.9
    assert mlp.predict(data).shape == (300, 3)
    with pytest.raises(TypeError):
        mlp.fit(data, y)


# ---- errors ----------------------------------------------------------------------------

def test_fit_before_compile(blobs):
    x, y = blobs
    model = libdeep.Sequential([Dense(3, input_shape=(4,))])
    with pytest.raises(libdeep.StateError, match="compile") as info:
        model.fit(x, y, verbose=0)
    assert info.value.status == -7 and info.value.status_name == "DEEP_ERR_STATE"
    assert "deep_model_fit" in info.value.message
    assert isinstance(info.value, RuntimeError)


def test_wrong_shapes(blobs, mlp):
    x, y = blobs
    with pytest.raises(libdeep.ShapeError, match="expects 4"):
        mlp.fit(x[:, :3], y, verbose=0)
    with pytest.raises(libdeep.ShapeError):
        mlp.predict(np.zeros((2, 5)))
    with pytest.raises(libdeep.ShapeError):
        mlp.fit(x, y[:10], verbose=0)  # labels for 10 of 300 samples
    with pytest.raises(libdeep.OutOfRangeError):
        mlp.fit(x, y + 5, verbose=0)  # labels beyond the 3 outputs
    # Dense acts on the last axis, as Keras': (4, 4) -> (4, 3) with a (4, 3) kernel.
    assert libdeep.Sequential([Input((4, 4)), Dense(3)]).count_params() == 4 * 3 + 3


def test_layer_validation():
    with pytest.raises(ValueError, match="activation"):
        Dense(3, activation="mish")
    with pytest.raises(TypeError):
        Dense("3")
    with pytest.raises(libdeep.InvalidArgumentError):
        libdeep.Sequential([Input((4,)), Dropout(1.5)])
    with pytest.raises(ValueError, match="loss"):
        libdeep.Sequential([Dense(3, input_shape=(4,))]).compile("adam", "focal_loss")
    with pytest.raises(ValueError, match="metric"):
        libdeep.Sequential([Dense(3, input_shape=(4,))]).compile("adam", "mse", ["cohen_kappa"])
    with pytest.raises(ValueError, match="optimizer"):
        libdeep.Sequential([Dense(3, input_shape=(4,))]).compile("lamb", "mse")


def test_a_failed_add_leaves_the_model_unchanged():
    model = libdeep.Sequential([Input((2, 2, 1)), Flatten()])
    with pytest.raises(libdeep.ShapeError):
        model.add(Conv2D(2, 3))  # needs a rank-3 input
    assert len(model.layers) == 1
    model.add(Dense(2))
    assert len(model.layers) == 2


def test_layers_wait_for_the_input_shape():
    model = libdeep.Sequential()
    model.add(Dense(4))
    assert not model.built
    with pytest.raises(libdeep.StateError, match="input shape"):
        model.compile("adam", "mse")
    model.add(Input((3,)))  # builds the model and adds the waiting layer
    assert model.built and len(model.layers) == 1
    assert model.count_params() == 16


def test_a_layer_belongs_to_one_model():
    dense = Dense(2)
    libdeep.Sequential([Input((3,)), dense])
    with pytest.raises(libdeep.StateError, match="belongs"):
        libdeep.Sequential([Input((3,)), dense])


def test_use_after_close_raises(blobs, mlp):
    x, y = blobs
    layer = mlp.layers[0]
    mlp.close()
    mlp.close()  # twice is fine
    assert mlp.closed
    for call in (lambda: mlp.predict(x), lambda: mlp.fit(x, y), lambda: mlp.evaluate(x, y),
                 lambda: mlp.summary_text(), lambda: layer.get_weights(), lambda: mlp.optimizer.learning_rate,
                 lambda: mlp.add(Dense(2))):
        with pytest.raises(libdeep.ClosedError):
            call()


def test_context_manager_closes():
    with libdeep.Sequential([Dense(2, input_shape=(3,))]) as model:
        assert not model.closed
    assert model.closed
    with pytest.raises(libdeep.ClosedError):
        model.count_params()


def test_layers_keep_their_model_alive(blobs):
    x, _ = blobs
    model = libdeep.Sequential([Dense(2, input_shape=(4,))])
    model.compile("adam", "mse")
    layer = model.layers[0]
    finalizer = model._finalizer
    del model
    gc.collect()
    assert finalizer.alive  # the layer still holds the model
    assert [w.shape for w in layer.get_weights()] == [(4, 2), (2,)]
    del layer
    gc.collect()
    assert not finalizer.alive  # freed once, by the finaliser


def test_many_models_are_freed(blobs):
    x, y = blobs
    finalizers = []
    for _ in range(50):
        model = libdeep.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x[:32], y[:32], verbose=0)
        finalizers.append(model._finalizer)
    del model
    gc.collect()
    assert not any(f.alive for f in finalizers)


def test_predict_from_many_threads(blobs, mlp):
    import threading
    x, y = blobs
    mlp.fit(x, y, epochs=2, verbose=0)
    expected = mlp.predict(x)
    results, errors_seen = [None] * 4, []

    def work(i):
        try:
            for _ in range(20):
                results[i] = mlp.predict(x)
        except Exception as exc:  # reported below
            errors_seen.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors_seen
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_recompiling_rebinds_the_optimizer(mlp):
    first = mlp.optimizer
    second = libdeep.optimizers.SGD(learning_rate=0.3)
    mlp.compile(second, "sparse_categorical_crossentropy")
    assert mlp.optimizer is second and second.learning_rate == pytest.approx(0.3)
    # The first optimizer is no longer the model's; it keeps its own settings.
    assert first.learning_rate == pytest.approx(0.01)
    first.learning_rate = 0.5
    assert second.learning_rate == pytest.approx(0.3)


def test_layer_arguments_in_keras_forms():
    conv = Conv2D(np.int64(2), kernel_size=(3, 2), strides=np.int32(1), padding="same")
    assert conv.kernel_size == (3, 2) and conv.strides == (1, 1)
    with pytest.raises(ValueError, match="padding"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(TypeError, match="kernel_size"):
        Conv2D(2, "3x3")


def test_ctrl_c_stops_fit(blobs, mlp):
    import os
    import signal
    import threading
    import time
    x, y = blobs
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            mlp.fit(x, y, epochs=100000, batch_size=8, verbose=0)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 60
    length = ctypes_length(mlp)
    assert 0 <= length < 100000
    mlp.fit(x, y, epochs=1, verbose=0)  # still usable


def ctypes_length(model):
    import ctypes
    n = ctypes.c_int64()
    libdeep._lib.deep_model_history_length(model._ptr, ctypes.byref(n))
    return n.value


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848, 1.0507009873554804934


def _erf(x):
    import math
    return np.vectorize(math.erf)(x)


# Keras' definitions (keras/src/activations/activations.py), in float64.
_ACTIVATION_REFERENCES = {
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "gelu_approximate": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x)),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "exponential": np.exp,
    "relu6": lambda x: np.clip(x, 0, 6),
}


@pytest.mark.parametrize("name", sorted(_ACTIVATION_REFERENCES))
def test_activation_names_follow_keras(name):
    x = np.linspace(-7, 7, 29, dtype=np.float32).reshape(1, 29)
    model = libdeep.Sequential([Input((29,)), libdeep.Activation(name)])
    model.compile("sgd", "mse")
    want = _ACTIVATION_REFERENCES[name](x.astype(np.float64))
    np.testing.assert_allclose(model.predict(x), want, rtol=2e-5, atol=1e-6)


def test_recurrent_cells_refuse_the_newer_activations():
    with pytest.raises(libdeep.InvalidArgumentError, match="recurrent cell"):
        libdeep.Sequential([Input((3, 2)), libdeep.SimpleRNN(4, activation="swish")])
    with pytest.raises(libdeep.InvalidArgumentError, match="selu"):
        libdeep.Sequential([Input((3, 2)), libdeep.SimpleRNN(4, activation="selu")])
