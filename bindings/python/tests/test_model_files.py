"""Model files. deep_model_save/load and their buffer variants come with a newer libdeep;
against a library without them these tests are skipped (and the binding raises
MissingSymbolError, which test_missing_symbol_is_a_clear_error checks)."""

import numpy as np
import pytest

import libdeep

HAVE_FILES = all(libdeep.has_function(name) for name in
                 ("deep_model_save", "deep_model_load", "deep_model_save_buffer", "deep_model_load_buffer"))
needs_files = pytest.mark.skipif(not HAVE_FILES, reason="the loaded libdeep does not export deep_model_save/"
                                 "deep_model_load/deep_model_save_buffer/deep_model_load_buffer yet")


@pytest.fixture
def trained(blobs, mlp):
    x, y = blobs
    mlp.fit(x, y, epochs=3, verbose=0)
    return mlp


@needs_files
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


@needs_files
def test_save_and_load_bytes(blobs, trained):
    x, _ = blobs
    data = trained.to_bytes()
    assert isinstance(data, bytes) and len(data) > 0
    loaded = libdeep.load_model_from_bytes(data)
    np.testing.assert_array_equal(loaded.predict(x), trained.predict(x))


@needs_files
def test_corrupt_and_missing_files(tmp_path, trained):
    data = trained.to_bytes()
    with pytest.raises(libdeep.FormatError):
        libdeep.load_model_from_bytes(data[: len(data) // 2])
    with pytest.raises(libdeep.FormatError):
        libdeep.load_model_from_bytes(b"\x00" * 64)
    with pytest.raises(libdeep.FileError):
        libdeep.load_model(tmp_path / "missing.deep")


@pytest.mark.skipif(HAVE_FILES, reason="the loaded libdeep has the model file functions")
def test_missing_symbol_is_a_clear_error(tmp_path, trained):
    for call, name in ((lambda: trained.save(tmp_path / "m"), "deep_model_save"),
                       (lambda: libdeep.load_model(tmp_path / "m"), "deep_model_load"),
                       (lambda: trained.to_bytes(), "deep_model_save_buffer"),
                       (lambda: libdeep.load_model_from_bytes(b"x"), "deep_model_load_buffer")):
        with pytest.raises(libdeep.MissingSymbolError, match=name):
            call()
