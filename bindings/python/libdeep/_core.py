"""Handle ownership and the NumPy <-> tensor conversions shared by every module.

Ownership rules:
  * A Handle owns one C object and frees it exactly once: through close(), the context
    manager, or a weakref.finalize finaliser when it is garbage collected (or at exit).
    After close() every use raises ClosedError instead of passing a freed pointer on.
  * A handle whose ownership passes to another C object (an optimizer given to compile)
    is detached: its finaliser is cancelled, so it is never freed twice.
  * Arrays returned without copies (outputs of predict, weights, features) are NumPy views
    of a tensor's buffer; the array's .base keeps the tensor alive, and the tensor is
    freed when the last view goes away.

Array inputs: NumPy arrays are passed to C as they are when they are already float32 (or
int32 for labels) and C-contiguous; otherwise they are converted with a single explicit
copy (np.ascontiguousarray with the right dtype). Arrays that cannot be converted safely
are rejected with TypeError: complex, object, string or datetime arrays, labels that are
not integers, and integer labels outside int32.
"""

import ctypes
import weakref

import numpy as np

from . import errors
from ._lib import lib, out, shape_array, i32, i64


class Handle:
    """An owned C handle. Subclasses set _free to the C function that releases it."""

    _free = None  # the ctypes function that frees the handle, e.g. deep_model_free
    _kind = "object"

    def __init__(self, address):
        if not address:
            raise errors.NullError(f"libdeep returned a NULL {self._kind}")
        self._address = address
        # The finaliser holds the C function itself, so it works during interpreter exit.
        self._finalizer = weakref.finalize(self, self._free, address)

    @property
    def _ptr(self):
        address = self._address
        if address is None:
            raise errors.ClosedError(f"this {self._kind} has been closed")
        return address

    @property
    def closed(self):
        return self._address is None

    def close(self):
        """Frees the C object now. Safe to call more than once."""
        self._address = None
        self._finalizer()

    def _detach(self):
        """Gives the C object away (its new owner frees it); this handle becomes closed."""
        self._finalizer.detach()
        self._address = None

    # A copy would share the C object but not the "freed" state: forbid copying and pickling.
    def __reduce__(self):
        raise TypeError(f"a libdeep {self._kind} cannot be copied or pickled: it owns a C object"
                        + self._copy_hint)

    _copy_hint = ""

    def __copy__(self):
        self.__reduce__()

    def __deepcopy__(self, memo):
        self.__reduce__()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Tensor(Handle):
    """A deep_tensor owned by Python; user code sees NumPy arrays instead (see as_array)."""

    _free = lib.deep_tensor_free
    _kind = "tensor"

    @property
    def shape(self):
        rank = i32(0)
        lib.deep_tensor_rank(self._ptr, ctypes.byref(rank))
        shape = (i64 * rank.value)()
        needed = i64(0)
        lib.deep_tensor_shape(self._ptr, shape, rank.value, ctypes.byref(needed))
        return tuple(shape)

    @property
    def __array_interface__(self):
        data = ctypes.c_void_p()
        lib.deep_tensor_data_mut(self._ptr, ctypes.byref(data))
        return {"shape": self.shape, "typestr": "<f4", "data": (data.value, False), "version": 3}


def read_array(fn, *args, dtype):
    """Calls a (..., T *buffer, int64_t capacity, int64_t *needed) function twice (deep.h's
    buffer contract): the size query, then the values into a new NumPy array."""
    needed = i64(0)
    fn(*args, None, 0, ctypes.byref(needed))
    values = np.empty(needed.value, dtype=dtype)
    if values.size:
        fn(*args, values.ctypes.data, values.size, ctypes.byref(needed))
    return values


def tensor_to_array(address):
    """A NumPy float32 view of a new deep_tensor the caller owned; the view now owns it."""
    return np.asarray(Tensor(address))


def _check_numeric(array, what):
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must hold real numbers; got an array of dtype {array.dtype}")


def as_float_array(data, what="input"):
    """data as a C-contiguous float32 array (the same object when it already is one)."""
    array = np.asarray(data)
    _check_numeric(array, what)
    return np.ascontiguousarray(array, dtype=np.float32)


def as_label_array(labels, what="labels"):
    """labels as a C-contiguous int32 array; only integer (or bool) arrays are accepted."""
    array = np.asarray(labels)
    if array.dtype.kind not in "biu":
        raise TypeError(f"{what} must be integers (class ids); got an array of dtype {array.dtype}")
    if array.size and array.dtype.kind != "b":
        low, high = int(array.min()), int(array.max())
        if low < np.iinfo(np.int32).min or high > np.iinfo(np.int32).max:
            raise TypeError(f"{what} must fit in int32; they go from {low} to {high}")
    return np.ascontiguousarray(array, dtype=np.int32)


def new_tensor(data, what="input"):
    """A new Tensor holding a copy of `data` (the C tensor owns its memory)."""
    array = as_float_array(data, what)
    if array.ndim == 0:
        array = array.reshape(1)
    handle = out()
    lib.deep_tensor_new_from(array.ndim, shape_array(array.shape), array.ctypes.data, array.size,
                             ctypes.byref(handle))
    return Tensor(handle.value)


def pointer_of(array):
    """The address of a NumPy array's first element (None for an empty array)."""
    return array.ctypes.data if array.size else None


def enum_value(table, value, what):
    """Maps a Keras/scikit-learn style name (or an int already) to an enum value."""
    if isinstance(value, str):
        key = value.lower()
        if key not in table:
            raise ValueError(f"unknown {what} {value!r}; expected one of {sorted(table)}")
        return table[key]
    raise TypeError(f"{what} must be a string such as {sorted(table)[0]!r}; got {value!r}")
