import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import libdeep

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_versions():
    assert libdeep.__version__ == "1.3.0"
    major, minor, patch = (int(p) for p in libdeep.library_version.split("."))
    assert major == 1 and minor >= 0
    assert libdeep._lib.deep_version_number() == major * 10000 + minor * 100 + patch
    assert libdeep.cpu_count() >= 1
    assert libdeep.has_function("deep_model_fit")
    assert not libdeep.has_function("deep_no_such_function")


def test_the_package_under_test():
    # scripts/check-python.sh runs this suite against the pip-installed package.
    if os.environ.get("LIBDEEP_TEST_INSTALLED") == "1":
        assert "site-packages" in libdeep.__file__
    else:
        assert libdeep.__file__.startswith(PACKAGE_DIR)


def test_every_status_has_its_exception_class():
    for status, cls in libdeep.errors.STATUS_CLASSES.items():
        name = libdeep._lib.deep_status_string(status).decode()
        assert name.startswith("DEEP_ERR_")
        assert issubclass(cls, libdeep.Error)
    assert issubclass(libdeep.ShapeError, ValueError)
    assert issubclass(libdeep.FileError, OSError)
    assert issubclass(libdeep.StateError, RuntimeError)


def test_error_message_is_the_failing_calls_own():
    with pytest.raises(libdeep.ShapeError) as info:
        libdeep.Dataset(np.zeros((3, 2))).reshape(5)
    error = info.value
    assert error.status == -3 and error.status_name == "DEEP_ERR_SHAPE"
    assert error.message.startswith("deep_dataset_reshape:")
    # str() is the Python wording (since 1.2): the Python call, then the C function.
    assert error.python_message.startswith("Dataset.reshape(")
    assert error.python_message.endswith("[deep_dataset_reshape]")
    assert str(error) == error.python_message + " (DEEP_ERR_SHAPE)"


def test_error_messages_are_per_thread():
    # deep_last_error is thread-local: each thread's exception carries its own failure.
    messages = {}

    def fail(name, shape):
        try:
            libdeep.Dataset(np.zeros((4, 3))).reshape(shape)
        except libdeep.Error as exc:
            messages[name] = exc.message

    threads = [threading.Thread(target=fail, args=(f"t{i}", 5 + i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        assert messages[f"t{i}"].endswith(f"cannot take shape ({5 + i},) ({5 + i})")


def test_null_handles_are_caught_by_the_library():
    # The NULL-equivalent of every handle argument reaches C as NULL and comes back as
    # NullError rather than a crash.
    with pytest.raises(libdeep.NullError):
        libdeep._lib.deep_model_fit(None, None, 1, 1, None)
    with pytest.raises(libdeep.NullError):
        libdeep._lib.deep_tree_fit(None, None)
    with pytest.raises(libdeep.NullError):
        libdeep._lib.deep_dataset_count(None, None)
    with pytest.raises(TypeError):
        libdeep.Sequential([None])
    with pytest.raises(TypeError, match="needs x"):
        libdeep.Sequential([libdeep.Dense(2, input_shape=(3,))]).fit(None, None)


def _import_with(env_value, cwd):
    # cwd: not the build directory, whose libdeep.so Python would take for an extension module.
    env = dict(os.environ, LIBDEEP_LIBRARY=env_value, PYTHONPATH=PACKAGE_DIR)
    return subprocess.run([sys.executable, "-c", "import libdeep"], env=env, capture_output=True, text=True,
                          cwd=cwd)


def test_a_missing_library_fails_clearly(tmp_path):
    result = _import_with(str(tmp_path / "libdeep.so.1"), tmp_path)
    assert result.returncode != 0
    assert "LibraryNotFoundError" in result.stderr and "LIBDEEP_LIBRARY" in result.stderr


def test_a_foreign_library_fails_clearly(tmp_path):
    import ctypes.util
    libz = ctypes.util.find_library("z")
    if libz is None:
        pytest.skip("no libz to stand in for a foreign library")
    result = _import_with(libz, tmp_path)
    assert result.returncode != 0
    assert "does not export deep_version_string" in result.stderr


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_handles_are_freed_when_dropped():
    # 100 rounds of a 1 MB dataset, its 1 MB features view and the 1 MB input tensor of
    # predict: without the finalisers this would keep about 300 MB.
    import gc
    x = np.ones((1000, 256), dtype=np.float32)
    model = libdeep.Sequential([libdeep.Dense(1, input_shape=(256,))])
    model.compile("sgd", "mse")
    gc.collect()
    before = _rss_bytes()
    for _ in range(100):
        data = libdeep.Dataset(x)
        features = data.features
        out = model.predict(features)
        del data, features, out
    gc.collect()
    assert _rss_bytes() - before < 60 * 1024 * 1024


def test_float32_c_contiguous_inputs_are_not_copied_by_the_binding():
    from libdeep._core import as_float_array, as_label_array
    a = np.zeros((3, 4), dtype=np.float32)
    assert as_float_array(a) is a
    labels = np.zeros(3, dtype=np.int32)
    assert as_label_array(labels) is labels
    strided = np.zeros((3, 8), dtype=np.float32)[:, ::2]
    converted = as_float_array(strided)
    assert converted is not strided and converted.flags.c_contiguous
    assert as_float_array(a.astype(np.float64)).dtype == np.float32


def test_handles_cannot_be_copied_or_pickled(blobs, mlp):
    import copy
    import pickle
    x, y = blobs
    # (Trees and forests pickle through their model file: see test_sklearn_interop.py.)
    objects = [mlp, libdeep.Dataset(x, y)]
    for obj in objects:
        for attempt in (copy.copy, copy.deepcopy, pickle.dumps):
            with pytest.raises(TypeError, match="cannot be copied or pickled"):
                attempt(obj)
    # The view returned by predict copies like any array (NumPy copies the data).
    out = mlp.predict(x[:2])
    np.testing.assert_array_equal(copy.deepcopy(out), out)
    assert pickle.loads(pickle.dumps(out)).shape == (2, 3)


def test_version_check():
    from libdeep._lib import check_version
    check_version(10300, "1.3.0", "lib")
    check_version(10905, "1.9.5", "lib")
    for number, version in ((500, "0.5.0"), (905, "0.9.5"), (0, "0.0.0"), (20000, "2.0.0"), (10000, "1.0.0"), (10100, "1.1.0"), (10200, "1.2.0")):
        with pytest.raises(libdeep.LibraryNotFoundError, match=f"is libdeep {version}, but this binding needs 1.x"):
            check_version(number, version, "lib")
