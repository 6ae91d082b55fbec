"""libdeep.mpi: a data-parallel fit on 2 ranks under mpirun, with Debian's /usr/bin/python3
and mpi4py (mpi_fit_script.py does the checks). Skipped without mpi4py, mpirun or a
libdeep-mpi next to the libdeep under test (a build configured without MPI)."""

import os
import shutil
import subprocess
import sys

import pytest

import libdeep
import libdeep.mpi

HERE = os.path.dirname(os.path.abspath(__file__))


def test_fit_on_two_ranks():
    pytest.importorskip("mpi4py")
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        pytest.skip("no mpirun (Debian: openmpi-bin)")
    try:
        libdeep.mpi.library()
    except libdeep.LibraryNotFoundError as exc:
        pytest.skip(str(exc))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(HERE), env.get("PYTHONPATH", "")])
    # Open MPI refuses root unless told (CI containers run as root); shared memory only.
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_btl="self,vader")
    run = subprocess.run([mpirun, "--oversubscribe", "-np", "2", sys.executable,
                          os.path.join(HERE, "mpi_fit_script.py")],
                         env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "mpi script OK" in run.stdout


def test_comm_must_be_a_communicator():
    with pytest.raises(TypeError):
        libdeep.mpi._fortran_handle("world")
    assert libdeep.mpi._fortran_handle(0) == 0
