"""Exceptions: one class per family of deep_status codes, all subclasses of libdeep.Error.

Each class also derives from the built-in exception a Python user would expect for that
kind of failure (ShapeError is a ValueError, FileError an OSError, ...), so code that
catches ValueError keeps working. An exception raised for a failed C call carries:

    status       the deep_status value (a negative int)
    status_name  deep_status_string(status), e.g. "DEEP_ERR_SHAPE"
    message      deep_last_error() read right after the failing call on the same thread
    python_message  the same worded for Python (since 1.2): the Python call that failed and
                 the argument at fault, C names in their Python spelling, the C function
                 last, e.g. "Sequential.compile(loss='mse'): ..." (None when not from C);
                 str(error) shows it, with status_name
"""

from . import _ffi as C


class Error(Exception):
    """Base class of every exception raised by libdeep."""

    def __init__(self, message, status=None, status_name=None, python_message=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.status_name = status_name
        self.python_message = python_message

    def __str__(self):
        text = self.python_message or self.message
        if self.status_name:
            return f"{text} ({self.status_name})"
        return text


class NullError(Error, ValueError):
    """DEEP_ERR_NULL: a required handle or pointer was missing."""


class InvalidArgumentError(Error, ValueError):
    """DEEP_ERR_INVALID_ARGUMENT: an argument is outside its allowed values."""


class ShapeError(Error, ValueError):
    """DEEP_ERR_SHAPE: shapes or sizes do not fit together."""


class OutOfRangeError(Error, IndexError):
    """DEEP_ERR_OUT_OF_RANGE: an index, axis or label is out of range."""


class OutOfMemoryError(Error, MemoryError):
    """DEEP_ERR_NO_MEMORY: an allocation failed."""


class SizeOverflowError(Error, OverflowError):
    """DEEP_ERR_OVERFLOW: a size or element count does not fit in 64 bits."""


class StateError(Error, RuntimeError):
    """DEEP_ERR_STATE: calls in the wrong order (e.g. fit before compile)."""


class FileError(Error, OSError):
    """DEEP_ERR_IO: a file could not be opened, read or written."""


class FormatError(Error, ValueError):
    """DEEP_ERR_FORMAT: a file or buffer is corrupt, truncated or unsupported."""


class NumericError(Error, ArithmeticError):
    """DEEP_ERR_NUMERIC: NaN or infinity where a finite number is needed."""


class UnsupportedError(Error, NotImplementedError):
    """DEEP_ERR_UNSUPPORTED: a valid request the library does not implement."""


class ThreadError(Error, RuntimeError):
    """DEEP_ERR_THREAD: a thread could not be started, or a handle is busy."""


class BufferTooSmallError(Error):
    """DEEP_ERR_BUFFER_TOO_SMALL: a buffer is smaller than the result."""


class ClosedError(Error, ValueError):
    """An object was used after close() (raised by the binding, never by the C library)."""


class LibraryNotFoundError(Error, ImportError):
    """The shared library could not be found or loaded, or has an incompatible version."""


# deep_status value -> exception class. Unknown (newer) codes raise the base Error.
STATUS_CLASSES = {
    C.DEEP_ERR_NULL: NullError,
    C.DEEP_ERR_INVALID_ARGUMENT: InvalidArgumentError,
    C.DEEP_ERR_SHAPE: ShapeError,
    C.DEEP_ERR_OUT_OF_RANGE: OutOfRangeError,
    C.DEEP_ERR_NO_MEMORY: OutOfMemoryError,
    C.DEEP_ERR_OVERFLOW: SizeOverflowError,
    C.DEEP_ERR_STATE: StateError,
    C.DEEP_ERR_IO: FileError,
    C.DEEP_ERR_FORMAT: FormatError,
    C.DEEP_ERR_NUMERIC: NumericError,
    C.DEEP_ERR_UNSUPPORTED: UnsupportedError,
    C.DEEP_ERR_THREAD: ThreadError,
    C.DEEP_ERR_BUFFER_TOO_SMALL: BufferTooSmallError,
}
