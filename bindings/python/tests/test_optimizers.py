"""Optimizers of 1.1 (Nadam, AdamW, Adamax, amsgrad), weight decay, clipping and
learning-rate schedules through the binding: a linear model's weights after each
train_on_batch step against Keras' update rules written out in NumPy (float64; the library
computes in float32), the Keras names and aliases, refused arguments, and model files."""

import math

import numpy as np
import pytest

import libdeep
from libdeep.optimizers import schedules

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 0.75, 0.3], [0.2, 0.1, -2.0]], dtype=np.float32)
Y = np.array([[1.0, -0.5], [0.0, 2.0], [0.5, 0.5], [-1.0, 1.5]], dtype=np.float32)


def linear_model(optimizer):
    """Dense(2) without activation: kernel (3, 2) and bias (2,), two weight tensors."""
    model = libdeep.Sequential([libdeep.Dense(2, input_shape=(3,))])
    model.set_seed(5)
    model.set_threads(1)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def grads(kernel, bias):
    """Gradients of Keras' mean squared error (mean over outputs, then over the batch)."""
    d = 2.0 * (X @ kernel + bias - Y) / Y.size
    return [X.T @ d, d.sum(axis=0)]


def keras_steps(model, kind, steps=3, lr=0.01, b1=0.9, b2=0.999, eps=1e-7, wd=0.0, amsgrad=False,
                clipnorm=0.0, clipvalue=0.0, global_clipnorm=0.0, schedule=None):
    """Keras 3's base_optimizer.apply (clip, weight decay) then update_step, in float64."""
    w = [np.asarray(a, dtype=np.float64) for a in model.get_weights()]
    m = [np.zeros_like(a) for a in w]
    v = [np.zeros_like(a) for a in w]
    vh = [np.zeros_like(a) for a in w]
    u_product = 1.0
    out = []
    for it in range(steps):
        rate = schedule(it) if schedule else lr
        g = grads(*w)
        if clipnorm:
            g = [a * clipnorm / max(np.linalg.norm(a), clipnorm) for a in g]
        elif global_clipnorm:
            norm = math.sqrt(sum(float((a * a).sum()) for a in g))
            g = [a * global_clipnorm * min(1 / norm, 1 / global_clipnorm) for a in g]
        elif clipvalue:
            g = [np.clip(a, -clipvalue, clipvalue) for a in g]
        w = [a - a * wd * rate for a in w]
        t = it + 1
        if kind == "nadam":
            u_t, u_t1 = b1 * (1 - 0.5 * 0.96 ** t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
            u_product *= u_t
        for i in range(len(w)):
            if kind == "sgd":
                w[i] = w[i] - rate * g[i]
                continue
            m[i] = m[i] + (g[i] - m[i]) * (1 - b1)
            if kind == "adamax":
                v[i] = np.maximum(b2 * v[i], np.abs(g[i]))
                w[i] = w[i] - rate * m[i] / ((1 - b1 ** t) * (v[i] + eps))
                continue
            v[i] = v[i] + (g[i] * g[i] - v[i]) * (1 - b2)
            if kind == "nadam":
                m_hat = u_t1 * m[i] / (1 - u_product * u_t1) + (1 - u_t) * g[i] / (1 - u_product)
                w[i] = w[i] - m_hat * rate / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
            else:  # adam, adamw
                alpha = rate * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                if amsgrad:
                    vh[i] = np.maximum(vh[i], v[i])
                w[i] = w[i] - m[i] * alpha / (np.sqrt(vh[i] if amsgrad else v[i]) + eps)
        out.append([a.copy() for a in w])
    return out


CASES = [
    (lambda: libdeep.optimizers.Nadam(learning_rate=0.05), dict(kind="nadam", lr=0.05)),
    (lambda: libdeep.optimizers.Nadam(learning_rate=0.05, beta_1=0.5, beta_2=0.75, epsilon=0.01),
     dict(kind="nadam", lr=0.05, b1=0.5, b2=0.75, eps=0.01)),
    (lambda: libdeep.optimizers.AdamW(learning_rate=0.05, weight_decay=0.2), dict(kind="adam", lr=0.05, wd=0.2)),
    (lambda: libdeep.optimizers.AdamW(learning_rate=0.05, beta_2=0.5, amsgrad=True),
     dict(kind="adam", lr=0.05, b2=0.5, wd=0.004, amsgrad=True)),
    (lambda: libdeep.optimizers.Adam(learning_rate=0.05, beta_2=0.5, amsgrad=True),
     dict(kind="adam", lr=0.05, b2=0.5, amsgrad=True)),
    (lambda: libdeep.optimizers.Adamax(learning_rate=0.05), dict(kind="adamax", lr=0.05)),
    (lambda: libdeep.optimizers.SGD(learning_rate=0.1, clipnorm=0.3), dict(kind="sgd", lr=0.1, clipnorm=0.3)),
    (lambda: libdeep.optimizers.SGD(learning_rate=0.1, clipvalue=0.2), dict(kind="sgd", lr=0.1, clipvalue=0.2)),
    (lambda: libdeep.optimizers.Adam(learning_rate=0.05, global_clipnorm=0.3),
     dict(kind="adam", lr=0.05, global_clipnorm=0.3)),
    (lambda: libdeep.optimizers.SGD(learning_rate=0.1, weight_decay=0.5), dict(kind="sgd", lr=0.1, wd=0.5)),
    (lambda: libdeep.optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5)),
     dict(kind="sgd", schedule=lambda s: 0.1 * 0.5 ** (s / 2))),
    (lambda: libdeep.optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([0, 1], [0.1, 0.05, 0.01])),
     dict(kind="sgd", schedule=lambda s: [0.1, 0.05, 0.01][min(s, 2)])),
    (lambda: libdeep.optimizers.AdamW(learning_rate=schedules.CosineDecay(0.0, 4, alpha=0.1, warmup_target=0.2,
                                                                          warmup_steps=2)),
     dict(kind="adam", wd=0.004, schedule=lambda s: [0.0, 0.1, 0.2, 0.2 * (0.9 * 0.5 * (1 + math.cos(math.pi / 4))
                                                                           + 0.1)][s])),
]


@pytest.mark.parametrize("make, keras", CASES)
def test_steps_match_keras(make, keras):
    model = linear_model(make())
    expected = keras_steps(model, **keras)
    for step in range(3):
        model.train_on_batch(X, Y)
        for got, want in zip(model.get_weights(), expected[step]):
            np.testing.assert_allclose(got, want, rtol=0, atol=3e-6)


def test_keras_names_and_defaults():
    for alias, cls in [("nadam", libdeep.optimizers.Nadam), ("adamw", libdeep.optimizers.AdamW),
                       ("adamax", libdeep.optimizers.Adamax), ("AdamW", libdeep.optimizers.AdamW)]:
        model = linear_model(alias)
        assert isinstance(model.optimizer, cls)
        assert model.optimizer.learning_rate == pytest.approx(0.001)
        assert model.optimizer.beta_1 == pytest.approx(0.9)
        assert model.optimizer.beta_2 == pytest.approx(0.999)
        assert model.optimizer.epsilon == pytest.approx(1e-7)
    assert libdeep.optimizers.AdamW().weight_decay == pytest.approx(0.004)
    assert libdeep.optimizers.Adam().amsgrad == 0
    assert libdeep.optimizers.Adam(amsgrad=True).amsgrad == 1
    for cls in (libdeep.optimizers.SGD, libdeep.optimizers.RMSprop, libdeep.optimizers.Adagrad,
                libdeep.optimizers.Nadam, libdeep.optimizers.Adamax):
        opt = cls(clipnorm=1.5)
        assert (opt.weight_decay, opt.clipnorm, opt.clipvalue, opt.global_clipnorm) == (0, 1.5, 0, 0)


def test_refused_arguments():
    with pytest.raises(ValueError, match="Only one of"):
        libdeep.optimizers.SGD(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match="weight_decay"):
        libdeep.optimizers.AdamW(weight_decay=None)
    with pytest.raises(libdeep.InvalidArgumentError, match="clipnorm"):
        libdeep.optimizers.Adam(clipnorm=-1.0)
    with pytest.raises(libdeep.InvalidArgumentError, match="weight_decay"):
        libdeep.optimizers.Nadam(weight_decay=float("nan"))
    with pytest.raises(AttributeError):
        libdeep.optimizers.Nadam().amsgrad
    opt = libdeep.optimizers.SGD(clipnorm=1.0)
    with pytest.raises(libdeep.InvalidArgumentError, match="only one of"):
        opt.clipvalue = 0.5
    assert opt.clipvalue == 0
    with pytest.raises(libdeep.InvalidArgumentError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1])
    with pytest.raises(libdeep.InvalidArgumentError, match="strictly increasing"):
        schedules.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(libdeep.InvalidArgumentError, match="alpha"):
        schedules.CosineDecay(0.1, 10, alpha=2.0)
    model = linear_model(libdeep.optimizers.Adam(amsgrad=True))
    with pytest.raises(libdeep.StateError, match="amsgrad"):
        model.optimizer.amsgrad = False


def test_schedules_as_keras():
    assert [schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True)(s) for s in (0, 2, 3, 7)] == \
        pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert [schedules.PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.25])(s) for s in (0, 2, 3, 5, 6)] == \
        [1.0, 1.0, 0.5, 0.5, 0.25]
    cosine = schedules.CosineDecay(0.1, 4, alpha=0.2)
    assert [cosine(s) for s in (0, 2, 4, 9)] == pytest.approx([0.1, 0.06, 0.02, 0.02])
    warm = schedules.CosineDecay(0.0, 4, alpha=0.1, warmup_target=0.2, warmup_steps=2)
    assert [warm(s) for s in (0, 1, 2, 4, 6)] == pytest.approx([0.0, 0.1, 0.2, 0.11, 0.02])
    assert warm.get_config()["warmup_target"] == 0.2


def test_schedule_drives_the_learning_rate():
    opt = libdeep.optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5))
    assert opt.schedule is not None and opt.learning_rate == pytest.approx(0.1)
    with pytest.raises(libdeep.StateError, match="not settable"):
        opt.learning_rate = 0.01
    model = linear_model(opt)
    model.train_on_batch(X, Y)
    model.train_on_batch(X, Y)
    assert model.optimizer.learning_rate == pytest.approx(0.025)  # the next (third) step's rate
    with pytest.raises(libdeep.StateError):
        model.optimizer.learning_rate = 0.01
    model.optimizer.learning_rate = schedules.PiecewiseConstantDecay([10], [0.5, 0.1])
    assert model.optimizer.learning_rate == pytest.approx(0.5)


@pytest.mark.parametrize("make", [
    lambda: libdeep.optimizers.Nadam(learning_rate=schedules.CosineDecay(0.01, 10, warmup_target=0.05,
                                                                         warmup_steps=2), clipnorm=0.5),
    lambda: libdeep.optimizers.AdamW(amsgrad=True, global_clipnorm=0.5),
    lambda: libdeep.optimizers.Adamax(clipvalue=0.1, weight_decay=0.01),
])
def test_model_files_resume_exactly(make):
    model = linear_model(make())
    for _ in range(3):
        model.train_on_batch(X, Y)
    loaded = libdeep.models.load_model_from_bytes(model.to_bytes())
    for _ in range(3):
        model.train_on_batch(X, Y)
        loaded.train_on_batch(X, Y)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_reduce_lr_on_plateau_in_fit():
    x = np.tile(X, (4, 1))
    y = np.tile(Y, (4, 1))
    model = linear_model(libdeep.optimizers.SGD(learning_rate=0.08))
    # No epoch can beat the first by 1e9: with patience 0 each later epoch halves the rate.
    plateau = libdeep.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e9)
    model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[plateau])
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)  # without the callback: off again
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25,
              callbacks=[libdeep.ReduceLROnPlateau(factor=0.5, patience=0, min_delta=1e9, min_lr=0.008)])
    assert model.optimizer.learning_rate == pytest.approx(0.008)  # never below min_lr
    with pytest.raises(ValueError, match="factor"):
        libdeep.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="monitors the loss"):
        libdeep.ReduceLROnPlateau(monitor="val_accuracy")
    with pytest.raises(libdeep.InvalidArgumentError, match="patience"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[libdeep.ReduceLROnPlateau(patience=-1)])
    scheduled = linear_model(libdeep.optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5)))
    with pytest.raises(libdeep.StateError, match="schedule"):
        scheduled.fit(x, y, epochs=1, verbose=0, callbacks=[libdeep.ReduceLROnPlateau()])
