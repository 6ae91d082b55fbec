"""Models of several outputs (Keras' Model(inputs, [out1, out2])): compile's per-output
losses and weights, the target rows, predict's list, history keys and evaluate's order,
checked against NumPy computations of the losses."""

import numpy as np
import pytest

import libdeep
import libdeep.callbacks
from libdeep import layers


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def two_heads(seed=3):
    """x (4,) -> tanh hidden (5) -> classes (3, softmax) and values (2, linear)."""
    inputs = libdeep.Input(shape=(4,))
    hidden = layers.Dense(5, activation="tanh")(inputs)
    classes = layers.Dense(3, activation="softmax", name="classes")(hidden)
    values = layers.Dense(2, name="values")(hidden)
    model = libdeep.Model(inputs, [classes, values])
    model.set_seed(seed)
    return model


def numpy_outputs(model, x):
    (k0, b0), (k1, b1), (k2, b2) = (layer.get_weights() for layer in model.layers)
    h = np.tanh(x @ k0 + b0)
    return softmax(h @ k1 + b1), h @ k2 + b2


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 1).astype(np.int64)
    values = np.stack([x[:, 2] - x[:, 3], 0.5 * x[:, 0]], axis=1).astype(np.float32)
    return x, labels, values


def test_predict_returns_one_array_per_output(data):
    x, _, _ = data
    model = two_heads()
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"])
    assert model.output_shape == [(None, 3), (None, 2)]
    probabilities, values = model.predict(x)
    assert probabilities.shape == (40, 3) and values.shape == (40, 2)
    expected = numpy_outputs(model, x)
    np.testing.assert_allclose(probabilities, expected[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(values, expected[1], rtol=1e-4, atol=1e-5)
    on_batch = model.predict_on_batch(x)
    np.testing.assert_allclose(on_batch[1], values, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("form", ["list", "dict"])
def test_evaluate_matches_numpy_losses_in_keras_order(data, form):
    x, labels, values = data
    model = two_heads()
    if form == "list":
        model.compile("sgd", ["sparse_categorical_crossentropy", "mse"], metrics=["accuracy"], loss_weights=[0.5, 2])
        y = [labels, values]
    else:
        model.compile("sgd", {"values": "mse", "classes": "sparse_categorical_crossentropy"},
                      metrics=["accuracy"], loss_weights={"classes": 0.5, "values": 2.0})
        y = {"values": values, "classes": labels.reshape(-1, 1)}
    probabilities, predicted = numpy_outputs(model, x)
    class_loss = -np.mean(np.log(probabilities[np.arange(40), labels]))
    value_loss = np.mean((predicted - values) ** 2)
    result = model.evaluate(x, y, batch_size=40)
    assert len(result) == 1 + 2 * 2
    np.testing.assert_allclose(result[0], 0.5 * class_loss + 2 * value_loss, rtol=1e-4)
    np.testing.assert_allclose(result[1:3], [class_loss, value_loss], rtol=1e-4)
    np.testing.assert_allclose(result[3], np.mean(probabilities.argmax(axis=1) == labels), atol=1e-6)
    named = model.evaluate(x, y, batch_size=40, return_dict=True)
    assert list(named) == ["loss", "classes_loss", "values_loss", "classes_accuracy", "values_accuracy"]
    np.testing.assert_allclose(list(named.values()), result, rtol=1e-6)
    np.testing.assert_allclose(model.test_on_batch(x, y), result, rtol=1e-4)


def test_one_loss_for_every_output_and_train_on_batch(data):
    x, _, values = data
    inputs = libdeep.Input(shape=(4,))
    first, second = layers.Dense(2, name="first")(inputs), layers.Dense(1, name="second")(inputs)
    model = libdeep.Model(inputs, [first, second])
    model.compile("sgd", "mse")
    before = [layer.get_weights() for layer in model.layers]
    y = [values, values[:, 0]]  # (n,) for an output of one value
    a, b = model.predict(x)
    expected = np.mean((a - values) ** 2) + np.mean((b[:, 0] - values[:, 0]) ** 2)
    losses = model.train_on_batch(x, y)
    np.testing.assert_allclose(losses, [expected, np.mean((a - values) ** 2), np.mean((b[:, 0] - values[:, 0]) ** 2)],
                               rtol=1e-4)
    after = [layer.get_weights() for layer in model.layers]
    assert not np.allclose(before[0][0], after[0][0])


def test_two_inputs_two_outputs_learn():
    rng = np.random.default_rng(1)
    image, extra = rng.normal(size=(256, 3)).astype(np.float32), rng.normal(size=(256, 2)).astype(np.float32)
    labels = (image[:, 0] + extra[:, 1] > 0).astype(np.int64)
    target = (image[:, 1] - extra[:, 0]).astype(np.float32)
    a, b = libdeep.Input(shape=(3,)), libdeep.Input(shape=(2,))
    joined = layers.Concatenate()([layers.Dense(8, activation="tanh")(a), layers.Dense(8, activation="tanh")(b)])
    kind = layers.Dense(2, activation="softmax", name="kind")(joined)
    amount = layers.Dense(1, name="amount")(joined)
    model = libdeep.Model([a, b], [kind, amount])
    model.set_seed(2)
    model.compile(libdeep.optimizers.Adam(learning_rate=0.02), ["sparse_categorical_crossentropy", "mse"],
                  metrics=["accuracy"], loss_weights=[1.0, 0.5])
    history = model.fit([image, extra], {"kind": labels, "amount": target}, epochs=30, batch_size=32,
                        validation_split=0.25, verbose=0)
    keys = {"loss", "kind_loss", "amount_loss", "kind_accuracy", "amount_accuracy"}
    assert set(history.history) == keys | {"val_" + key for key in keys}
    h = history.history
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    np.testing.assert_allclose(h["loss"][-1], h["kind_loss"][-1] + 0.5 * h["amount_loss"][-1], rtol=0.05)
    assert h["val_kind_accuracy"][-1] > 0.85
    probabilities, amounts = model.predict([image, extra])
    assert probabilities.shape == (256, 2) and amounts.shape == (256, 1)
    assert np.mean(probabilities.argmax(axis=1) == labels) > 0.85
    assert np.mean((amounts[:, 0] - target) ** 2) < 0.2 * np.var(target)
    # A saved model keeps both outputs; its targets still take the list form.
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    reloaded = loaded.predict([image, extra])
    np.testing.assert_array_equal(reloaded[1], amounts)
    np.testing.assert_allclose(loaded.evaluate([image, extra], [labels, target]), model.evaluate(
        [image, extra], [labels, target]), rtol=1e-6)


def test_several_outputs_errors(data):
    x, labels, values = data
    model = two_heads()
    with pytest.raises(ValueError, match="3 entries"):
        model.compile("sgd", ["mse", "mse", "mse"])
    with pytest.raises(ValueError, match="every output"):
        model.compile("sgd", {"classes": "mse"})
    with pytest.raises(ValueError, match="no output"):
        model.compile("sgd", "mse", loss_weights={"nope": 1.0})
    with pytest.raises(ValueError, match="unknown loss"):
        model.compile("sgd", ["mse", "nope"])
    with pytest.raises(libdeep.InvalidArgumentError, match="loss weight"):
        model.compile("sgd", "mse", loss_weights=[1.0, -1.0])
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"])
    with pytest.raises(ValueError, match="one label per sample"):
        model.fit(x, [np.eye(3)[labels], values], verbose=0)
    with pytest.raises(ValueError, match="values takes samples of shape"):
        model.evaluate(x, [labels, values[:, :1]])
    with pytest.raises(ValueError, match="list of arrays"):
        model.evaluate(x, labels)
    with pytest.raises(ValueError, match="samples"):
        model.train_on_batch(x, [labels, values[:5]])


def test_one_output_takes_the_list_forms_and_its_weight():
    x = np.ones((4, 3), np.float32)
    model = libdeep.Sequential([libdeep.Input((3,)), layers.Dense(2, name="out")])
    model.compile("sgd", {"out": "mse"}, loss_weights=[1.0])
    mse = np.mean(model.predict(x) ** 2)
    np.testing.assert_allclose(model.evaluate(x, np.zeros((4, 2), np.float32)), mse, rtol=1e-5)
    model.compile("sgd", "mse", loss_weights=[2.0])  # Keras scales the loss by the weight
    np.testing.assert_allclose(model.evaluate(x, np.zeros((4, 2), np.float32)), 2 * np.mean(model.predict(x) ** 2),
                               rtol=1e-5)


def test_epoch_callbacks_get_the_per_output_logs(data):
    x, labels, values = data
    model = two_heads()
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"], metrics=["accuracy"])
    seen = []

    class Record(libdeep.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

    history = model.fit(x, [labels, values], epochs=2, batch_size=8, callbacks=[Record()],
                        validation_data=(x, [labels, values]), verbose=0)
    assert len(seen) == 2 and set(seen[1]) == set(history.history)
    for key, series in history.history.items():
        assert seen[1][key] == series[1]


def test_per_output_metric_forms(data):
    x, labels, values = data
    model = two_heads()
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"], metrics={"classes": ["accuracy"],
                                                                            "values": ["accuracy"]})
    assert list(model.evaluate(x, [labels, values], return_dict=True))[-2:] == ["classes_accuracy",
                                                                                 "values_accuracy"]
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"], metrics=[["mae"], ["mae"]])
    assert len(model.evaluate(x, [labels, values])) == 5
    with pytest.raises(libdeep.UnsupportedError, match="same metrics"):
        model.compile("sgd", "mse", metrics=[["accuracy"], ["mae"]])


def test_loss_objects_per_output():
    """Since 1.3 each output keeps its loss object's from_logits and label_smoothing (Keras'
    loss objects per output): output 0 reads logits, output 1 smooths its labels."""
    from libdeep import losses
    inputs = libdeep.Input(shape=(4,))
    hidden = layers.Dense(5, activation="tanh")(inputs)
    logits = layers.Dense(3, name="logits")(hidden)
    probs = layers.Dense(3, activation="softmax", name="probs")(hidden)
    model = libdeep.Model(inputs, [logits, probs])
    model.set_seed(4)
    model.compile("sgd", loss=[losses.CategoricalCrossentropy(from_logits=True),
                               losses.CategoricalCrossentropy(label_smoothing=0.2)])
    assert model.get_output_option("logits", "from_logits") is True
    assert model.get_output_option(1, "from_logits") is False
    assert model.get_output_option("probs", "label_smoothing") == pytest.approx(0.2)
    assert model.get_option("from_logits") is False  # the model-wide option stays Keras' default
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 4)).astype(np.float32)
    y0 = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 12)]
    y1 = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 12)]
    z, p = (a.astype(np.float64) for a in model.predict(x))
    log_softmax = z - z.max(1, keepdims=True) - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
    want0 = np.mean(-np.sum(y0 * log_softmax, axis=1))
    smoothed = y1 * 0.8 + 0.2 / 3
    want1 = np.mean(-np.sum(smoothed * np.log(np.clip(p / p.sum(1, keepdims=True), 1e-7, 1 - 1e-7)), axis=1))
    total, first, second = model.evaluate(x, [y0, y1])
    assert first == pytest.approx(want0, rel=1e-5) and second == pytest.approx(want1, rel=1e-5)
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    assert loaded.evaluate(x, [y0, y1]) == pytest.approx([total, first, second])
    assert loaded.get_output_option(0, "from_logits") is True
    with pytest.raises(ValueError, match="no output option"):
        model.get_output_option(0, "top_k")
