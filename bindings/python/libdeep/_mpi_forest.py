"""Distributed random forests on MPI: libdeep-mpi's deep_mpi_forest_fit, for libdeep.mpi.

forest_fit(forest, X, y, comm) is forest.fit(X, y) with the trees grown across the ranks
of an mpi4py communicator (every rank calls it with the same settings and the whole
training set, and every rank ends with the forest one process grows: same trees, same
predictions, importances and oob_score_). libdeep-mpi (libdeep-mpi.so.1) is loaded on
first use: the LIBDEEP_MPI_LIBRARY environment variable (a path), else the dynamic
loader's libdeep-mpi.so.1. MPI itself is the caller's: import mpi4py.MPI (which
initialises it) before calling.
"""

import ctypes
import os

import numpy as np

from . import errors
from ._lib import lib
from .trees import _Forest

_mpi_cdll = None


def _library():
    """libdeep-mpi with the calls this module makes declared (errors through libdeep's
    errcheck: libdeep-mpi records its messages in libdeep's deep_last_error)."""
    global _mpi_cdll
    if _mpi_cdll is None:
        name = os.environ.get("LIBDEEP_MPI_LIBRARY") or "libdeep-mpi.so.1"
        try:
            cdll = ctypes.CDLL(name)
        except OSError as exc:
            raise errors.LibraryNotFoundError(
                f"cannot load libdeep-mpi ({name}): {exc}. Install libdeep-mpi1 or set LIBDEEP_MPI_LIBRARY "
                "to the path of libdeep-mpi.so.1") from None
        for fn_name, argtypes in (("deep_mpi_new_fint", [ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]),
                                  ("deep_mpi_forest_fit", [ctypes.c_void_p] * 3)):
            fn = getattr(cdll, fn_name)
            fn.argtypes, fn.restype, fn.errcheck = argtypes, ctypes.c_int, lib._check
        cdll.deep_mpi_free.argtypes, cdll.deep_mpi_free.restype = [ctypes.c_void_p], None
        _mpi_cdll = cdll
    return _mpi_cdll


def _fortran_handle(comm):
    """MPI_Fint of an mpi4py communicator (COMM_WORLD when None) or of an int given as is."""
    if comm is None:
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
    if isinstance(comm, (int, np.integer)):
        return int(comm)
    if not hasattr(comm, "py2f"):
        raise TypeError(f"comm must be an mpi4py communicator or a Fortran handle (int), not {type(comm).__name__}")
    return comm.py2f()


def forest_fit(forest, X, y=None, comm=None):
    """Fits a RandomForestClassifier/Regressor across the ranks of comm (collective).

    A failure on any rank, this one's data conversion included, raises on every rank with a
    message naming the failing rank, rather than leaving the others waiting."""
    if not isinstance(forest, _Forest):
        raise TypeError(f"forest must be a RandomForestClassifier or RandomForestRegressor, not "
                        f"{type(forest).__name__}")
    mpi_lib = _library()
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
