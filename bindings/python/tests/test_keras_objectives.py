"""Keras' loss objects (from_logits, label_smoothing) and metric objects in compile: evaluate
and fit's history give Keras' formulas and algorithms (written here in numpy) of the model's
own predictions; the settings are saved with the model."""

import numpy as np
import pytest

import libdeep
from libdeep import Dense, Input
from libdeep import losses, metrics


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _log_softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))


def _model(units, activation, loss, metric_list=None):
    model = libdeep.Sequential([Input((4,)), Dense(6, activation="tanh"), Dense(units, activation=activation)])
    model.set_seed(11)
    model.set_threads(1)
    model.compile("adam", loss, metrics=metric_list)
    return model


def _data(classes=3, n=60):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    labels = rng.integers(0, classes, size=n)
    return x, labels


def test_binary_crossentropy_from_logits_with_smoothing():
    x, labels = _data(2)
    y = labels.astype(np.float32).reshape(-1, 1)
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    model = _model(1, "linear", loss)
    assert model.get_option("from_logits") is True
    assert model.get_option("label_smoothing") == pytest.approx(0.1)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    z = model.predict(x).astype(np.float64)
    t = y * 0.9 + 0.05
    expected = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    assert model.evaluate(x, y) == pytest.approx(expected, rel=1e-5)


def test_categorical_crossentropies_from_logits():
    x, labels = _data(3)
    onehot = np.eye(3, dtype=np.float32)[labels]
    model = _model(3, "linear", losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2))
    z = model.predict(x).astype(np.float64)
    t = onehot * 0.8 + 0.2 / 3
    assert model.evaluate(x, onehot) == pytest.approx(np.mean(-np.sum(t * _log_softmax(z), axis=-1)), rel=1e-5)
    sparse = _model(3, "linear", losses.SparseCategoricalCrossentropy(from_logits=True))
    z = sparse.predict(x).astype(np.float64)
    expected = np.mean(-_log_softmax(z)[np.arange(len(labels)), labels])
    assert sparse.evaluate(x, labels) == pytest.approx(expected, rel=1e-5)


def test_probability_smoothing_and_string_reset():
    x, labels = _data(3)
    onehot = np.eye(3, dtype=np.float32)[labels]
    model = _model(3, "softmax", losses.CategoricalCrossentropy(label_smoothing=0.3))
    p = np.clip(model.predict(x).astype(np.float64), 1e-7, 1 - 1e-7)
    t = onehot * 0.7 + 0.1
    assert model.evaluate(x, onehot) == pytest.approx(np.mean(-np.sum(t * np.log(p), axis=-1)), rel=1e-5)
    model.compile("adam", "categorical_crossentropy")  # a string: Keras' defaults again
    assert model.get_option("label_smoothing") == 0.0
    assert model.get_option("from_logits") is False


def test_settings_are_checked():
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.BinaryCrossentropy(label_smoothing=1.5)
    model = _model(1, "sigmoid", "binary_crossentropy")
    with pytest.raises(libdeep.InvalidArgumentError, match="label smoothing"):
        model.set_option("label_smoothing", -0.5)
    with pytest.raises(ValueError, match="top_k"):
        metrics.Precision(top_k=0)
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(libdeep.UnsupportedError, match="multi_label"):
        metrics.AUC(multi_label=True)
    with pytest.raises(libdeep.InvalidArgumentError, match="class_id 3"):
        model.compile("adam", "binary_crossentropy", metrics=[metrics.Precision(class_id=3)])


def _keras_auc(y, p, curve):
    """keras.metrics.AUC's bucketed confusion counts and interpolation (200 thresholds)."""
    n = 200
    p = np.clip(np.asarray(p, np.float32), 0, 1)
    b = np.maximum(np.ceil(p * np.float32(n - 1)) - 1, 0).astype(int)
    y = (np.asarray(y) != 0).astype(np.float64)
    tp = np.cumsum(np.bincount(b, weights=y, minlength=n)[::-1])[::-1]
    fp = np.cumsum(np.bincount(b, weights=1 - y, minlength=n)[::-1])[::-1]
    pos, neg = y.sum(), (1 - y).sum()

    def dnn(a, c):
        return np.where(c == 0, 0.0, a / np.where(c == 0, 1, c))
    if curve == "PR":
        dtp = tp[:-1] - tp[1:]
        pp = tp + fp
        slope = dnn(dtp, np.maximum(pp[:-1] - pp[1:], 0))
        intercept = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), dnn(pp[:-1], np.maximum(pp[1:], 0)), 1.0)
        return float(np.sum(dnn(slope * (dtp + intercept * np.log(ratio)), pos)))
    fpr, tpr = dnn(fp, neg), dnn(tp, pos)
    return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))


def test_binary_metrics_are_keras_over_the_whole_data():
    x, labels = _data(2, n=90)
    y = labels.astype(np.float32).reshape(-1, 1)
    metric_list = ["precision", "recall", "auc", metrics.AUC(curve="PR"), "binary_accuracy", "mse",
                   metrics.RootMeanSquaredError()]
    model = _model(1, "sigmoid", "binary_crossentropy", metric_list)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, validation_data=(x, y))
    for key in ["precision", "recall", "auc", "pr_auc", "binary_accuracy", "mse", "root_mean_squared_error"]:
        assert len(history.history[key]) == 2 and len(history.history["val_" + key]) == 2
    p = model.predict(x).astype(np.float32).ravel()
    t = y.ravel()
    hit = (p > 0.5)
    expected = {
        "precision": np.sum(hit & (t == 1)) / max(np.sum(hit), 1),
        "recall": np.sum(hit & (t == 1)) / np.sum(t == 1),
        "auc": _keras_auc(t, p, "ROC"),
        "pr_auc": _keras_auc(t, p, "PR"),
        "binary_accuracy": np.mean(hit == (t == 1)),
        "mse": np.mean((p.astype(np.float64) - t) ** 2),
        "root_mean_squared_error": np.sqrt(np.mean((p.astype(np.float64) - t) ** 2)),
    }
    # Batches of 7 do not divide 90: the values are over all samples, not batch means.
    got = model.evaluate(x, y, batch_size=7, return_dict=True)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-5, abs=1e-7), key
    assert history.history["val_auc"][-1] == pytest.approx(expected["auc"], rel=1e-5)


def test_top_k_and_saved_settings():
    x, labels = _data(5)
    model = _model(5, "softmax", "sparse_categorical_crossentropy",
                   [metrics.SparseTopKCategoricalAccuracy(k=2), "sparse_categorical_accuracy"])
    assert model.get_option("top_k") == 5  # k is the metric's own since 1.3, not the model's
    p = model.predict(x)
    rank = np.sum(p > p[np.arange(len(labels)), labels][:, None], axis=1)
    got = model.evaluate(x, labels, return_dict=True)
    assert got["sparse_top_k_categorical_accuracy"] == pytest.approx(np.mean(rank < 2))
    assert got["sparse_categorical_accuracy"] == pytest.approx(np.mean(rank == 0))
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    assert loaded.evaluate(x, labels) == pytest.approx(model.evaluate(x, labels))


def _identity(loss="mse", lr=0.1):
    model = libdeep.Sequential([Input((1,)), Dense(1, activation="linear")])
    model.set_threads(1)
    model.compile(libdeep.optimizers.SGD(learning_rate=lr), loss, metrics=["mae"])
    model.layers[0].set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    return model


def test_sample_weight_in_evaluate_fit_and_on_batch():
    x = np.array([[0.5], [1.0], [2.0], [-1.0]], np.float32)
    y = np.zeros((4, 1), np.float32)
    w = np.array([1, 2, 0, 0.5], np.float32)
    model = _identity()
    # Keras: (0.25 + 2 + 0 + 0.5) / 4; the metric is not weighted.
    loss, mae = model.evaluate(x, y, batch_size=3, sample_weight=w)
    assert loss == pytest.approx(0.6875) and mae == pytest.approx(1.125)
    assert model.test_on_batch(x, y, sample_weight=w)[0] == pytest.approx(0.6875)
    # Weights of 2 are a doubled learning rate for SGD.
    doubled = _identity(lr=0.2)
    model.train_on_batch(x, y, sample_weight=np.full(4, 2, np.float32))
    doubled.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), doubled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    data = libdeep.Dataset(x)
    data.set_targets(y)
    assert data.sample_weights is None
    data.set_sample_weights(w)
    np.testing.assert_array_equal(data.sample_weights, w)
    with pytest.raises(TypeError, match="sample weights"):
        model.fit(data, sample_weight=w, verbose=0)
    with pytest.raises(libdeep.InvalidArgumentError, match="sample weight"):
        data.set_sample_weights([1, -1, 1, 1])


def test_class_weight_is_sample_weight_of_the_class():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(12, 1)).astype(np.float32)
    y = (rng.random(12) < 0.5).astype(np.float32)
    by_class, by_sample = _identity("binary_crossentropy"), _identity("binary_crossentropy")
    history = by_class.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0, class_weight={0: 1.0, 1: 5.0},
                           validation_data=(x, y))
    by_sample.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0, sample_weight=np.where(y == 1, 5.0, 1.0))
    for a, b in zip(by_class.get_weights(), by_sample.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # The validation loss is not class-weighted (Keras), and class_weight is a fit argument:
    # evaluate afterwards is unweighted too.
    assert history.history["val_loss"][-1] == pytest.approx(by_class.evaluate(x, y)[0], rel=1e-6)
    with pytest.raises(ValueError, match="classes"):
        by_class.fit(x, y, class_weight={1: 2.0}, verbose=0)


def test_sparse_crossentropy_on_per_step_outputs():
    """Keras' per-step sparse_categorical_crossentropy (since 1.3): y (n, steps) of labels
    against a (steps, classes) softmax; padded steps (Embedding mask_zero) are not scored."""
    from libdeep import Embedding, LSTM
    rng = np.random.default_rng(4)
    n, steps, classes = 20, 6, 3
    x = rng.integers(1, 7, size=(n, steps)).astype(np.float32)
    x[::3, 4:] = 0  # padding
    y = rng.integers(0, classes, size=(n, steps))
    model = libdeep.Sequential([Input((steps,)), Embedding(7, 4, mask_zero=True), LSTM(5, return_sequences=True),
                                Dense(classes, activation="softmax")])
    model.set_seed(3)
    model.set_threads(1)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    p = model.predict(x).astype(np.float64)
    real = x != 0
    picked = np.clip(np.take_along_axis(p, y[..., None], axis=-1)[..., 0], 1e-7, 1 - 1e-7)
    loss = np.sum(-np.log(picked) * real) / np.sum(real)
    accuracy = np.sum((np.argmax(p, axis=-1) == y) * real) / np.sum(real)
    got = model.evaluate(x, y, batch_size=n, return_dict=True)
    assert got["loss"] == pytest.approx(loss, rel=1e-5)
    assert got["sparse_categorical_accuracy"] == pytest.approx(accuracy, rel=1e-6)
    assert model.test_on_batch(x, y[..., None])[0] == pytest.approx(loss, rel=1e-5)
    history = model.fit(x, y, epochs=3, batch_size=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(libdeep.ShapeError, match="one class label per step"):
        model.fit(x, y[:, 0], verbose=0)


def test_metric_arguments_per_metric_with_keras_names():
    """Keras' Precision(class_id=, top_k=, thresholds=), Recall, AUC(num_thresholds=) and
    TopKCategoricalAccuracy(k=) each with its own arguments (since 1.3), two of a kind side
    by side named as Keras names them; values from numpy transcriptions of Keras'
    update_confusion_matrix_variables; saved with the model."""
    x, labels = _data(4, n=80)
    onehot = np.eye(4, dtype=np.float32)[labels]
    metric_list = [metrics.Precision(class_id=1), metrics.Precision(class_id=2), metrics.Recall(top_k=2),
                   metrics.Precision(top_k=1, thresholds=0.3), metrics.TopKCategoricalAccuracy(k=1),
                   metrics.TopKCategoricalAccuracy(k=3), metrics.AUC(num_thresholds=7),
                   metrics.BinaryAccuracy(threshold=0.2)]
    model = _model(4, "softmax", "categorical_crossentropy", metric_list)
    p = model.predict(x).astype(np.float32)
    got = model.evaluate(x, onehot, batch_size=9, return_dict=True)
    assert list(got) == ["loss", "precision", "precision_1", "recall", "precision_2", "top_k_categorical_accuracy",
                         "top_k_categorical_accuracy_1", "auc", "binary_accuracy"]

    def dnn(a, b):
        return a / b if b else 0.0
    for key, cls in (("precision", 1), ("precision_1", 2)):
        hit = p[:, cls] > np.float32(0.5)
        assert got[key] == pytest.approx(dnn(np.sum(hit & (labels == cls)), np.sum(hit)), abs=1e-7)
    order = np.argsort(-p, axis=1, kind="stable")  # ties to the lower index, as top_k
    top2 = np.zeros_like(p, bool)
    np.put_along_axis(top2, order[:, :2], True, axis=1)
    assert got["recall"] == pytest.approx(np.sum(top2 & (onehot == 1)) / len(labels))
    top1 = np.zeros_like(p, bool)
    np.put_along_axis(top1, order[:, :1], True, axis=1)
    pred1 = top1 & (p > np.float32(0.3))
    assert got["precision_2"] == pytest.approx(dnn(np.sum(pred1 & (onehot == 1)), np.sum(pred1)))
    above = np.sum(p > p[np.arange(len(labels)), labels][:, None], axis=1)
    assert got["top_k_categorical_accuracy"] == pytest.approx(np.mean(above < 1))
    assert got["top_k_categorical_accuracy_1"] == pytest.approx(np.mean(above < 3))
    # AUC(num_thresholds=7) with Keras' explicit thresholds, micro over the one-hot entries
    thresholds = np.array([-1e-7] + [(i + 1) / 6 for i in range(5)] + [1 + 1e-7], np.float32)
    flat, truth = p.ravel(), onehot.ravel()
    tp = np.array([np.sum((flat > t) & (truth == 1)) for t in thresholds], float)
    fp = np.array([np.sum((flat > t) & (truth == 0)) for t in thresholds], float)
    tpr, fpr = tp / truth.sum(), fp / (truth.size - truth.sum())
    assert got["auc"] == pytest.approx(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2), rel=1e-6)
    assert abs(got["auc"] - _keras_auc(truth, flat, "ROC")) > 1e-4  # not the 200 thresholds' value
    assert got["binary_accuracy"] == pytest.approx(np.mean(onehot == (p > np.float32(0.2))))
    loaded = libdeep.load_model_from_bytes(model.to_bytes())
    assert loaded.evaluate(x, onehot, batch_size=9) == pytest.approx(list(got.values()))
    assert model.get_metric_option("precision_1", "class_id") == 2
    assert loaded.get_metric_option(1, "class_id") == 2
    assert model.get_metric_option("precision_2", "threshold") == pytest.approx(0.3)
    assert model.get_metric_option("recall", "threshold") == -1e10  # Keras' NEG_INF with top_k
    assert loaded.get_metric_option(6, "num_thresholds") == 7
    model.set_metric_option("precision", "class_id", 3)
    assert model.get_metric_option(0, "class_id") == 3
    with pytest.raises(ValueError, match="no metric option"):
        model.get_metric_option(0, "k")
    with pytest.raises(libdeep.InvalidArgumentError, match="takes no DEEP_METRIC_OPTION_CLASS_ID"):
        model.set_metric_option("auc", "class_id", 1)
