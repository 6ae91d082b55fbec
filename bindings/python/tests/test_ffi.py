"""The generated declarations (libdeep/_ffi.py, from deep.h by gen-ffi.py) and their use:
every enum value and every function of the header is bound by the Python modules or listed
here as left out on purpose, so a value or a function added to deep.h fails this test until
the binding handles it. (That _ffi.py itself matches deep.h is the 'bindings' meson suite's
check.)"""

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
    "DEEP_PAD_PRE": "preprocessing.sequence.pad_sequences pads in NumPy (see NOT_BOUND_FUNCTIONS)",
    "DEEP_PAD_POST": "as DEEP_PAD_PRE",
    "DEEP_TOKENS_CHARACTERS": "preprocessing.text.Tokenizer is Python, not deep_vocab (see NOT_BOUND_FUNCTIONS)",
    "DEEP_TOKENS_WORDS": "as DEEP_TOKENS_CHARACTERS",
    "DEEP_REPLICA_AGREE": "the replica hook is libdeep-mpi's (libdeep.mpi.fit calls deep_mpi_fit)",
    "DEEP_REPLICA_BROADCAST": "as DEEP_REPLICA_AGREE",
    "DEEP_REPLICA_GRADIENTS": "as DEEP_REPLICA_AGREE",
    "DEEP_REPLICA_REDUCE": "as DEEP_REPLICA_AGREE",
    "DEEP_REPLICA_SUM": "as DEEP_REPLICA_AGREE",
}

_TENSOR = "tensors are NumPy arrays in Python (views of the C buffer): NumPy does this"
# Functions of deep.h the Python modules do not use, and why. A deep_model_add_* may not be
# listed: every layer type has its class (tests/test_layer_registry.py checks the fields).
NOT_BOUND_FUNCTIONS = {
    "deep_clear_error": "errcheck reads deep_last_error only right after a failure: nothing is left to clear",
    "deep_set_last_error": "for C companion libraries (libdeep-mpi) and C callbacks; Python code raises its own exceptions",
    "deep_model_set_replica": "the replica hook is libdeep-mpi's: libdeep.mpi.fit calls deep_mpi_fit, which sets it",
    "deep_model_get_replica": "as deep_model_set_replica",
    "deep_model_set_replica_validation": "as deep_model_set_replica (deep_mpi_fit sets it)",
    "deep_model_get_replica_validation": "as deep_model_set_replica",
    "deep_log_console": "fit's verbose log goes to a Python callback that prints to sys.stdout, as Keras",
    "deep_model_get_log": "the binding owns the log callback it installs (Sequential keeps it)",
    "deep_model_get_callbacks": "the binding owns the callbacks it installs (Sequential keeps them)",
    "deep_optimizer_get_schedule": "the Optimizer object keeps the schedule object it was given (Optimizer.schedule)",
    "deep_model_get_reduce_lr_on_plateau": "fit sets it from its ReduceLROnPlateau callback on every call; the callback keeps the settings",
    "deep_model_get_class_weights": "class_weight is an argument of fit and train_on_batch, set and cleared by the call",
    "deep_rng_new": "NumPy's Generator is Python's random source; models and estimators take seeds",
    "deep_rng_free": "as deep_rng_new",
    "deep_rng_seed": "as deep_rng_new",
    "deep_rng_next": "as deep_rng_new",
    "deep_rng_uniform": "as deep_rng_new",
    "deep_tensor_new": "new_tensor copies NumPy arrays with deep_tensor_new_from",
    "deep_tensor_new_filled": "np.full, then deep_tensor_new_from",
    "deep_tensor_clone": "np.copy of the view",
    "deep_tensor_dim": "Tensor.shape (deep_tensor_shape) gives every dimension",
    "deep_tensor_size": "Tensor.shape: the size is NumPy's",
    "deep_tensor_get": _TENSOR,
    "deep_tensor_set": _TENSOR,
    "deep_tensor_data": "the views use deep_tensor_data_mut (a tensor Python owns is writable)",
    "deep_tensor_copy_to": _TENSOR,
    "deep_tensor_copy_from": _TENSOR,
    "deep_tensor_reshape": _TENSOR,
    "deep_tensor_fill": _TENSOR,
    "deep_tensor_scale_shift": _TENSOR,
    "deep_tensor_fill_uniform": _TENSOR,
    "deep_tensor_fill_normal": _TENSOR,
    "deep_tensor_sum": _TENSOR,
    "deep_tensor_argmax": _TENSOR,
    "deep_dataset_new_sequences": "preprocessing.sequence.pad_sequences pads in NumPy, as Keras (Dataset takes "
                                  "the result)",
    "deep_vocab_new": "preprocessing.text.Tokenizer is Keras' Tokenizer (lower-casing, filters), which "
                      "deep_vocab is not",
    "deep_vocab_free": "as deep_vocab_new",
    "deep_vocab_add_text": "as deep_vocab_new",
    "deep_vocab_add_file": "as deep_vocab_new",
    "deep_vocab_freeze": "as deep_vocab_new",
    "deep_vocab_size": "as deep_vocab_new",
    "deep_vocab_id": "as deep_vocab_new",
    "deep_vocab_token": "as deep_vocab_new",
    "deep_vocab_encode": "as deep_vocab_new",
    "deep_forest_fit_trees": "for libdeep-mpi's distributed forest fit (libdeep.mpi.forest_fit binds that); Forest.fit grows all trees",
    "deep_forest_join": "as deep_forest_fit_trees: joining pieces grown by several processes is libdeep-mpi's job",
    "deep_forest_compute_oob_score": "as deep_forest_fit_trees: Forest.fit computes the OOB score itself",
    "deep_forest_save_buffer": "as deep_forest_fit_trees: Python forests pickle and copy through their file (deep_forest_save)",
    "deep_forest_load_buffer": "as deep_forest_save_buffer",
}


def _enums():
    return [value for value in vars(_ffi).values()
            if isinstance(value, type) and issubclass(value, enum.IntEnum) and value.__name__.startswith("deep_")]


def _sources():
    """The text of the package's modules (subpackages too), but the generated _ffi.py."""
    package = os.path.dirname(libdeep.__file__)
    for path in sorted(glob.glob(os.path.join(package, "**", "*.py"), recursive=True)):
        if os.path.basename(path) != "_ffi.py":
            with open(path, encoding="utf-8") as f:
                yield f.read()


def _referenced():
    """The DEEP_* names the package's modules take from _ffi (as C.DEEP_...)."""
    return {name for text in _sources() for name in re.findall(r"\bC\.(DEEP_\w+)", text)}


def _functions_used(texts):
    """The C functions the modules call or hand on (lib.deep_x; self.deep_x inside _lib.py).
    Only spelled-out names count: a name built at run time would hide a function left out."""
    return {name for text in texts for name in re.findall(r"\b(?:lib|self)\.(deep_\w+)\b", text)}


def _function_coverage(used, listed):
    """(missing, stale, forbidden) for the header's functions against `used` and `listed`."""
    functions = set(_ffi.FUNCTIONS)
    missing = sorted(functions - used - set(listed))
    stale = sorted(set(listed) & used) + sorted(set(listed) - functions)
    forbidden = sorted(name for name in listed if name.startswith("deep_model_add_"))
    return missing, stale, forbidden


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


def test_every_function_is_bound_or_listed():
    used = _functions_used(_sources())
    missing, stale, forbidden = _function_coverage(used, NOT_BOUND_FUNCTIONS)
    assert not missing, f"deep.h functions the Python binding does not use (bind them or list them in " \
                        f"NOT_BOUND_FUNCTIONS): {missing}"
    assert not stale, f"NOT_BOUND_FUNCTIONS lists functions that are bound or no longer in deep.h: {stale}"
    assert not forbidden, f"layer types must be bound, not listed: {forbidden}"
    assert all(reason.strip() for reason in NOT_BOUND_FUNCTIONS.values())
    unknown = sorted(used - set(_ffi.FUNCTIONS))
    assert not unknown, f"the modules use functions deep.h does not declare: {unknown}"


def test_the_function_coverage_check_can_fail():
    texts = list(_sources())
    used = _functions_used(texts)
    # A binding call removed: that function is missing.
    without = [text.replace("lib.deep_tree_get_float", "lib_deep_tree_get_float") for text in texts]
    assert "deep_tree_get_float" in _function_coverage(_functions_used(without), NOT_BOUND_FUNCTIONS)[0]
    # A bound function listed: the list is stale.
    listed = dict(NOT_BOUND_FUNCTIONS, deep_model_get_seed="wrongly listed")
    assert "deep_model_get_seed" in _function_coverage(used, listed)[1]
    # A layer type listed is refused even when it is also bound.
    listed = dict(NOT_BOUND_FUNCTIONS, deep_model_add_dense="not allowed")
    assert _function_coverage(used, listed)[2] == ["deep_model_add_dense"]
    # A name built at run time does not count.
    assert _functions_used(['getattr(lib, f"deep_tree_{verb}")(x)']) == set()


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
