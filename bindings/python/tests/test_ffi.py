"""The generated declarations (libdeep/_ffi.py, from deep.h by gen-ffi.py) and their use:
every enum value of the header is bound by the Python modules or listed here as left out
on purpose, so a value added to deep.h fails this test until the binding handles it.
(That _ffi.py itself matches deep.h is the 'bindings' meson suite's check.)"""

import ctypes
import enum
import glob
import os
import re

import pytest

import libdeep
from libdeep import _ffi
from libdeep._lib import lib, i32, i64
from libdeep._version import REQUIRED_MAJOR

# Enum values the Python binding does not use, and why.
NOT_BOUND = {
    "DEEP_OK": "success is the absence of an exception",
    "DEEP_LOG_DEBUG": "the log callback only tells WARNING and above (stderr) from the rest",
    "DEEP_LOG_INFO": "as DEEP_LOG_DEBUG",
    "DEEP_LOG_ERROR": "as DEEP_LOG_DEBUG",
    "DEEP_PAD_PRE": "no sequence padding in the Python API yet",
    "DEEP_PAD_POST": "as DEEP_PAD_PRE",
    "DEEP_TOKENS_CHARACTERS": "no vocabulary in the Python API yet",
    "DEEP_TOKENS_WORDS": "as DEEP_TOKENS_CHARACTERS",
    "DEEP_MODEL_CHECKPOINT_PERIOD": "no checkpoint settings in the Python API yet",
    "DEEP_MODEL_CHECKPOINT_PATH": "as DEEP_MODEL_CHECKPOINT_PERIOD",
}


def _enums():
    return [value for value in vars(_ffi).values()
            if isinstance(value, type) and issubclass(value, enum.IntEnum) and value.__name__.startswith("deep_")]


def _referenced():
    """The DEEP_* names the package's modules take from _ffi (as C.DEEP_...)."""
    names = set()
    package = os.path.dirname(libdeep.__file__)
    for path in glob.glob(os.path.join(package, "*.py")):
        if os.path.basename(path) != "_ffi.py":
            with open(path, encoding="utf-8") as f:
                names.update(re.findall(r"\bC\.(DEEP_\w+)", f.read()))
    return names


def test_every_enum_value_is_bound_or_listed():
    members = {name for e in _enums() for name in e.__members__}
    assert len(members) > 50
    referenced = _referenced()
    missing = sorted(members - referenced - set(NOT_BOUND))
    assert not missing, f"deep.h values the Python binding does not handle (bind them or list them in NOT_BOUND): {missing}"
    stale = sorted(set(NOT_BOUND) & referenced) + sorted(set(NOT_BOUND) - members)
    assert not stale, f"NOT_BOUND lists values that are bound or no longer in deep.h: {stale}"
    unknown = sorted(referenced - members - {m for m in vars(_ffi) if m.startswith("DEEP_")})
    assert not unknown, f"the modules use names _ffi does not define: {unknown}"


def test_enum_values_are_the_headers():
    assert _ffi.deep_status.DEEP_ERR_SHAPE == -3
    assert _ffi.DEEP_ERR_SHAPE is _ffi.deep_status.DEEP_ERR_SHAPE
    assert libdeep.errors.STATUS_CLASSES[_ffi.DEEP_ERR_SHAPE] is libdeep.ShapeError
    for e in _enums():
        for name, member in e.__members__.items():
            assert getattr(_ffi, name) == member
    # The names the binding maps its Keras and scikit-learn names to.
    assert set(libdeep.layers.ACTIVATIONS.values()) == set(_ffi.deep_activation)
    assert set(libdeep.models._LOSSES.values()) == set(_ffi.deep_loss)
    assert set(libdeep.trees._OPT.values()) == set(_ffi.deep_tree_option)


def test_the_binding_version_is_the_headers():
    header = f"{_ffi.DEEP_VERSION_MAJOR}.{_ffi.DEEP_VERSION_MINOR}.{_ffi.DEEP_VERSION_PATCH}"
    assert libdeep.__version__ == header
    assert REQUIRED_MAJOR == _ffi.DEEP_VERSION_MAJOR
    assert lib.deep_version_number() == _ffi.DEEP_VERSION_NUMBER


def test_every_function_is_declared():
    assert len(_ffi.FUNCTIONS) > 150
    for name, (restype, argtypes) in _ffi.FUNCTIONS.items():
        fn = getattr(lib, name)
        assert fn.argtypes == argtypes
        assert (fn.restype is ctypes.c_int) if restype is _ffi.c_status else (fn.restype is restype)
        assert (getattr(fn, "errcheck", None) is not None) == (restype is _ffi.c_status)


def test_a_wrong_sized_out_parameter_is_refused():
    with libdeep.Dataset([[1.0, 2.0], [3.0, 4.0]]) as data:
        small = i32(0)
        with pytest.raises(ctypes.ArgumentError):
            lib.deep_dataset_count(data._ptr, ctypes.byref(small))  # int64_t *count
        count = i64(0)
        lib.deep_dataset_count(data._ptr, ctypes.byref(count))
        assert count.value == 2
        shape = (i64 * _ffi.DEEP_MAX_RANK)()
        rank = i64(0)
        lib.deep_dataset_sample_shape(data._ptr, ctypes.addressof(shape), len(shape), ctypes.byref(rank))
        assert shape[: rank.value] == [2]
