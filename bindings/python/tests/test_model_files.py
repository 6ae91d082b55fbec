"""Model files: save/load_model and their bytes variants (deep_model_save, deep_model_load
and the buffer forms)."""

import pathlib

import numpy as np
import pytest

import libdeep


@pytest.fixture
def trained(blobs, mlp):
    x, y = blobs
    mlp.fit(x, y, epochs=3, verbose=0)
    return mlp


def test_save_and_load_a_file(tmp_path, blobs, trained):
    x, y = blobs
    path = tmp_path / "model.deep"
    trained.save(path)
    loaded = libdeep.load_model(path)
    assert len(loaded.layers) == 2
    np.testing.assert_array_equal(loaded.predict(x), trained.predict(x))
    for a, b in zip(loaded.get_weights(), trained.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.summary_text() == trained.summary_text()
    # A compiled model comes back compiled: it evaluates (loss and its metric, which Python
    # learns from the library) and trains on.
    results = loaded.evaluate(x, y)
    assert results == pytest.approx(trained.evaluate(x, y))
    assert len(results) == 2
    loaded.fit(x, y, epochs=1, verbose=0)
    assert loaded.evaluate(x, y)[1] > 0.9


def test_save_and_load_bytes(blobs, trained):
    x, _ = blobs
    data = trained.to_bytes()
    assert isinstance(data, bytes) and len(data) > 0
    loaded = libdeep.load_model_from_bytes(data)
    np.testing.assert_array_equal(loaded.predict(x), trained.predict(x))


def test_corrupt_and_missing_files(tmp_path, trained):
    data = trained.to_bytes()
    with pytest.raises(libdeep.FormatError):
        libdeep.load_model_from_bytes(data[: len(data) // 2])
    with pytest.raises(libdeep.FormatError):
        libdeep.load_model_from_bytes(b"\x00" * 64)
    with pytest.raises(libdeep.FileError):
        libdeep.load_model(tmp_path / "missing.deep")


GOLDEN = pathlib.Path(__file__).resolve().parents[3] / "tests" / "golden" / "v1"


def read_expected(path):
    """The recorded inputs and outputs of a golden file: lines "NAME RANK DIMS... VALUES"
    with the values as C99 hex floats (written by tests/make_golden.c)."""
    arrays = {}
    for line in path.read_text().splitlines():
        name, rank, *rest = line.split()
        shape = tuple(int(d) for d in rest[:int(rank)])
        arrays[name] = np.array([float.fromhex(v) for v in rest[int(rank):]], dtype=np.float32).reshape(shape)
    return arrays["inputs"], arrays["outputs"]


@pytest.mark.parametrize("name", ["all-layers", "tiny"])
def test_models_trained_and_saved_by_c_predict_the_same_in_python(name):
    # tests/make_golden.c trained these in C and recorded their predictions; the C test
    # allows 1e-5 for other BLAS builds, and so does this one.
    x, expected = read_expected(GOLDEN / f"{name}.expected")
    model = libdeep.load_model(GOLDEN / f"{name}.safetensors")
    np.testing.assert_allclose(model.predict(x), expected, rtol=0, atol=1e-5)
