"""ONNX import from Python: libdeep.onnx.load_model and load_model_from_bytes on the models
tests/onnx/make_models.py exported with PyTorch (committed with PyTorch's outputs)."""

import pathlib

import numpy as np
import pytest

import libdeep

ONNX_DIR = pathlib.Path(__file__).resolve().parents[3] / "tests" / "onnx"

pytestmark = pytest.mark.skipif(not libdeep.has_function("deep_model_load_onnx") or
                                not (ONNX_DIR / "mlp.onnx").exists(), reason="no ONNX models")


def _load(name, shape):
    x = np.fromfile(ONNX_DIR / f"{name}.in.f32", dtype="<f4").reshape(shape)
    y = np.fromfile(ONNX_DIR / f"{name}.out.f32", dtype="<f4").reshape(shape[0], -1)
    return x, y


def _supported():
    try:
        libdeep.onnx.load_model(ONNX_DIR / "mlp.onnx")
        return True
    except libdeep.UnsupportedError:  # a libdeep built without ONNX
        return False


def test_mlp_predicts_as_torch():
    if not _supported():
        pytest.skip("libdeep built without ONNX")
    model = libdeep.onnx.load_model(ONNX_DIR / "mlp.onnx")
    x, y = _load("mlp", (4, 20))
    np.testing.assert_allclose(model.predict(x), y, rtol=1e-4, atol=1e-6)


def test_cnn_takes_channels_last_images():
    if not _supported():
        pytest.skip("libdeep built without ONNX")
    data = (ONNX_DIR / "resnet_block.onnx").read_bytes()
    model = libdeep.onnx.load_model_from_bytes(data)
    x, y = _load("resnet_block", (4, 3, 8, 8))
    np.testing.assert_allclose(model.predict(x.transpose(0, 2, 3, 1)), y, rtol=1e-4, atol=1e-5)


def test_refusals_raise_with_the_node():
    if not _supported():
        pytest.skip("libdeep built without ONNX")
    with pytest.raises(libdeep.UnsupportedError, match=r'node 0 "Conv_3" \(Conv, opset 13\): group 2'):
        libdeep.onnx.load_model(ONNX_DIR / "bad_group.onnx")
    with pytest.raises(libdeep.FormatError):
        libdeep.onnx.load_model_from_bytes(b"\xff\xff\xff")


def test_fine_tune_a_clone():
    if not _supported():
        pytest.skip("libdeep built without ONNX")
    model = libdeep.onnx.load_model(ONNX_DIR / "mlp.onnx")
    x, _ = _load("mlp", (4, 20))
    tuned = libdeep.clone_model(model)
    tuned.compile(optimizer="adam", loss="categorical_crossentropy")
    tuned.copy_weights_from(model)
    np.testing.assert_array_equal(tuned.predict(x), model.predict(x))
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(64, 20)).astype("f4")
    ys = np.eye(5, dtype="f4")[(xs[:, 0] > 0).astype(int)]
    history = tuned.fit(xs, ys, epochs=5, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
