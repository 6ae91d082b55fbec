"""Loading the shared library and declaring the C functions (ctypes, no compiler needed).

Lookup order:
  1. the LIBDEEP_LIBRARY environment variable, a path (or soname) given to dlopen as is;
  2. ctypes.util.find_library("deep") (the ldconfig cache: an installed library);
  3. "libdeep.so.1", leaving the search to the dynamic loader (LD_LIBRARY_PATH, ...).

Every function of deep.h is declared with its argtypes and restype, from the table
libdeep/_ffi.py that bindings/python/gen-ffi.py generates from the header (run
scripts/update-python-ffi.sh after changing deep.h). Functions returning deep_status
get an errcheck that turns a failure into a libdeep.Error subclass carrying
deep_status_string() and deep_last_error(); errcheck runs right after the call on the same
thread, so the thread-local message is the one of this call.

Handles are passed as c_void_p (plain addresses); the Python classes around them make sure
no handle of the wrong type or a freed one is ever passed. Data pointers (int64_t *,
double *, ...) take an address (NumPy's array.ctypes.data), None, or a ctypes array or
byref() of exactly the C type, so a wrong-sized out-parameter is a TypeError.
"""

import ctypes
import ctypes.util
import os

from . import _pyerrors
from . import errors
from ._version import REQUIRED_MAJOR, REQUIRED_MINOR
from ._ffi import FUNCTIONS, c_status, deep_log_fn, deep_batch_fn, deep_epoch_fn

# Short names of the ctypes types the modules use to make arguments and out-parameters.
i32 = ctypes.c_int32
i64 = ctypes.c_int64
u64 = ctypes.c_uint64
f32 = ctypes.c_float
f64 = ctypes.c_double

LOG_FN = deep_log_fn
BATCH_FN = deep_batch_fn
EPOCH_FN = deep_epoch_fn


def _candidates():
    env = os.environ.get("LIBDEEP_LIBRARY")
    if env:
        return [env], True
    names = []
    found = ctypes.util.find_library("deep")
    if found:
        names.append(found)
    names.append(f"libdeep.so.{REQUIRED_MAJOR}")
    return names, False


def _open():
    names, explicit = _candidates()
    failures = []
    for name in names:
        try:
            return ctypes.CDLL(name), name
        except OSError as exc:
            failures.append(f"{name}: {exc}")
    where = "LIBDEEP_LIBRARY" if explicit else "the dynamic loader (find_library('deep'), libdeep.so.1)"
    raise errors.LibraryNotFoundError(
        "cannot load the libdeep shared library through " + where + ": " + "; ".join(failures)
        + ". Install libdeep (meson install; ldconfig) or set LIBDEEP_LIBRARY to the path of libdeep.so.1")


def check_version(number, version, path):
    """Raises LibraryNotFoundError unless DEEP_VERSION_NUMBER `number` is REQUIRED_MAJOR.x
    with x >= REQUIRED_MINOR (a new major version may change the ABI; an older minor
    version lacks functions declared here)."""
    major, minor = number // 10000, number // 100 % 100
    if major != REQUIRED_MAJOR or minor < REQUIRED_MINOR:
        raise errors.LibraryNotFoundError(
            f"{path} is libdeep {version}, but this binding needs {REQUIRED_MAJOR}.x with x >= {REQUIRED_MINOR}")


class _Library:
    """The loaded shared object with every function declared; attributes are the C names."""

    def __init__(self):
        self.cdll, self.path = _open()
        for name, (restype, argtypes) in FUNCTIONS.items():
            try:
                fn = getattr(self.cdll, name)
            except AttributeError:
                raise errors.LibraryNotFoundError(
                    f"{self.path} does not export {name}: it is not a compatible libdeep") from None
            self._declare(fn, restype, argtypes)
            setattr(self, name, fn)
        self.version = self.deep_version_string().decode()
        check_version(self.deep_version_number(), self.version, self.path)

    def _declare(self, fn, restype, argtypes):
        fn.argtypes = argtypes
        if restype is c_status:
            fn.restype = ctypes.c_int
            fn.errcheck = self._check
        else:
            fn.restype = restype

    def _check(self, status, fn, args):
        if status != 0:
            # Read the thread-local message before anything else calls into the library.
            message = self.deep_last_error().decode("utf-8", "replace")
            name = self.deep_status_string(status).decode()
            cls = errors.STATUS_CLASSES.get(status, errors.Error)
            message = message or f"{fn.__name__} failed"
            raise cls(message, status, name, _pyerrors.python_message(message))
        return status

    def has(self, name):
        """Whether the loaded library exports the C function `name`."""
        try:
            getattr(self.cdll, name)
            return True
        except AttributeError:
            return False


lib = _Library()


def out():
    """A fresh `deep_x *` out-parameter."""
    return ctypes.c_void_p()


def shape_array(shape):
    """A C int64_t array holding a shape (kept alive by the caller during the call)."""
    return (i64 * len(shape))(*[int(d) for d in shape])


def read_text(fn, *args):
    """Calls a (…, char *buffer, int64_t capacity, int64_t *needed) function twice: size, then text."""
    needed = i64(0)
    fn(*args, None, 0, ctypes.byref(needed))
    buf = ctypes.create_string_buffer(needed.value)
    fn(*args, buf, needed.value, ctypes.byref(needed))
    return buf.value.decode("utf-8", "replace")
