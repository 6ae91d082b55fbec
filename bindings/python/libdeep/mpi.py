"""Data-parallel training over MPI: libdeep-mpi (deep_mpi.h) from Python.

    from mpi4py import MPI
    import libdeep, libdeep.mpi
    model = libdeep.Sequential([...]); model.compile(...)
    history = libdeep.mpi.fit(model, x, y, comm=MPI.COMM_WORLD, batch_size=32, epochs=5)

Forests: ``libdeep.mpi.forest_fit(forest, X, y, comm)`` is ``forest.fit(X, y)`` with the
trees grown across the ranks (every rank passes the same settings and the whole training
set, and every rank ends with the forest one process grows: same trees, predictions,
importances and oob_score_).

Run it under mpirun (``mpirun -np 4 python3 train.py``). Every rank passes the same data
and its own copy of the same compiled model; ``batch_size`` is per rank, and N ranks train
as one process would with batch N * batch_size (deep_mpi_fit in deep_mpi.h says how).
Every rank returns the same History; only rank 0 logs (verbose is 0 on the others) and
only rank 0 writes checkpoints. Validation data are split among the ranks and the sums
added, so every rank's val_ metrics are the whole data's. mpi4py initialises MPI with
MPI_THREAD_MULTIPLE by default, so libdeep-mpi's progress thread moves the gradient sums
on while backward runs (deep_mpi_set_progress in deep_mpi.h). A rank that fails makes every rank raise the error, whose
message names that rank.

``comm`` is an mpi4py communicator (its ``py2f()`` Fortran handle is what libdeep-mpi
takes, as deep_mpi_new_fint), an int Fortran handle, or None for mpi4py's COMM_WORLD.
MPI stays the caller's: mpi4py initialises and finalises it.

The library libdeep-mpi.so.1 is found through LIBDEEP_MPI_LIBRARY (a path), else next to
the loaded libdeep (the same directory, or its mpi/ subdirectory in a build tree), else
through the dynamic loader.
"""

import ctypes
import os

import numpy as np

from . import errors
from ._lib import lib
from .trees import _Forest

__all__ = ["fit", "forest_fit", "library"]

_FUNCTIONS = {
    "deep_mpi_new_fint": [ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)],
    "deep_mpi_free": [ctypes.c_void_p],
    "deep_mpi_rank": [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32)],
    "deep_mpi_size": [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32)],
    "deep_mpi_fit": [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                     ctypes.c_void_p],
    "deep_mpi_set_bucket_bytes": [ctypes.c_void_p, ctypes.c_int64],
    "deep_mpi_forest_fit": [ctypes.c_void_p] * 3,
}

_library = None


def _candidates():
    env = os.environ.get("LIBDEEP_MPI_LIBRARY")
    if env:
        return [env]
    names = []
    if os.path.sep in lib.path:
        here = os.path.dirname(os.path.abspath(lib.path))
        names += [os.path.join(here, "libdeep-mpi.so.1"), os.path.join(here, "mpi", "libdeep-mpi.so.1")]
    return names + ["libdeep-mpi.so.1"]


def library():
    """The loaded libdeep-mpi (a ctypes.CDLL with its functions declared); loads it on first
    use. LibraryNotFoundError when it cannot be loaded."""
    global _library
    if _library is not None:
        return _library
    failures = []
    for name in _candidates():
        if os.path.sep in name and not os.path.exists(name):
            failures.append(f"{name}: no such file")
            continue
        try:
            # RTLD_GLOBAL: Open MPI's own plugins need libmpi's symbols visible.
            cdll = ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
            break
        except OSError as exc:
            failures.append(f"{name}: {exc}")
    else:
        raise errors.LibraryNotFoundError(
            "cannot load libdeep-mpi (libdeep built with MPI): " + "; ".join(failures)
            + ". Install libdeep-mpi1 or set LIBDEEP_MPI_LIBRARY to the path of libdeep-mpi.so.1")
    for name, argtypes in _FUNCTIONS.items():
        fn = getattr(cdll, name)
        fn.argtypes = argtypes
        if name == "deep_mpi_free":
            fn.restype = None
        else:
            fn.restype = ctypes.c_int
            # libdeep-mpi reports through libdeep's deep_last_error: one error path.
            fn.errcheck = lib._check
    _library = cdll
    return cdll


def _fortran_handle(comm):
    if comm is None:
        try:
            from mpi4py import MPI
        except ImportError:
            raise errors.LibraryNotFoundError(
                "libdeep.mpi.fit: comm is None and mpi4py is not installed (Debian: python3-mpi4py); pass an "
                "mpi4py communicator or its Fortran handle (comm.py2f())") from None
        comm = MPI.COMM_WORLD
    if isinstance(comm, int):
        return comm
    if hasattr(comm, "py2f"):
        return int(comm.py2f())
    raise TypeError(f"libdeep.mpi.fit: comm must be an mpi4py communicator, an int Fortran handle or None; "
                    f"got {type(comm).__name__}")


def fit(model, x=None, y=None, comm=None, batch_size=None, epochs=1, verbose="auto", bucket_bytes=None,
        **kwargs):
    """Model.fit across the ranks of ``comm`` (collective: every rank calls it). batch_size is
    per rank (default 32); bucket_bytes sets the gradient buckets (deep_mpi_set_bucket_bytes,
    default 256 KiB). The other arguments are Model.fit's. Returns the History, the same on
    every rank."""
    mpi_lib = library()
    handle = ctypes.c_void_p()
    mpi_lib.deep_mpi_new_fint(_fortran_handle(comm), ctypes.byref(handle))
    try:
        rank = ctypes.c_int32(0)
        mpi_lib.deep_mpi_rank(handle, ctypes.byref(rank))
        if bucket_bytes is not None:
            mpi_lib.deep_mpi_set_bucket_bytes(handle, int(bucket_bytes))

        def run(model_ptr, train_ptr, epochs_, batch, validation_ptr):
            mpi_lib.deep_mpi_fit(handle, model_ptr, train_ptr, epochs_, batch, validation_ptr)

        if rank.value != 0:
            verbose = 0  # every rank has the same history: one log is enough
        return model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, _fit_call=run, **kwargs)
    finally:
        mpi_lib.deep_mpi_free(handle)


def forest_fit(forest, X, y=None, comm=None):
    """Fits a RandomForestClassifier/Regressor across the ranks of comm (collective).

    A failure on any rank, this one's data conversion included, raises on every rank with a
    message naming the failing rank, rather than leaving the others waiting."""
    if not isinstance(forest, _Forest):
        raise TypeError(f"forest must be a RandomForestClassifier or RandomForestRegressor, not "
                        f"{type(forest).__name__}")
    mpi_lib = library()
    fint = _fortran_handle(comm)
    handle = ctypes.c_void_p()
    mpi_lib.deep_mpi_new_fint(fint, ctypes.byref(handle))
    classes = forest.classes_
    data, owned = None, False
    try:
        try:
            data, owned = forest._fit_dataset(X, y)
            forest._class_weights(data)
        except Exception:
            # The other ranks are entering the collective: a call without data tells them
            # this rank failed (they raise naming it); this rank raises its own error.
            try:
                mpi_lib.deep_mpi_forest_fit(handle, forest._ptr, None)
            except errors.Error:
                pass
            raise
        mpi_lib.deep_mpi_forest_fit(handle, forest._ptr, data._ptr)
        forest.n_features_in_ = int(np.prod(data.sample_shape))
    except BaseException:
        forest.classes_ = classes  # as fit; the C forest may hold part of the trees: fit again
        raise
    finally:
        if owned:
            data.close()
        mpi_lib.deep_mpi_free(handle)
    return forest
