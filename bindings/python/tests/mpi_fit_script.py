"""Run by test_mpi.py under mpirun (2 ranks): libdeep.mpi.fit against one process of the
global batch, the history on every rank, and a failing rank. Prints "mpi script OK" on
rank 0 when every check passed on every rank."""

import sys

import numpy as np
from mpi4py import MPI

import libdeep
import libdeep.mpi
from libdeep.layers import Dense

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
problems = []


def model(seed):
    m = libdeep.Sequential([Dense(8, activation="tanh", input_shape=(4,)), Dense(3, activation="softmax")])
    m.set_seed(seed)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


rng = np.random.default_rng(0)
x = rng.normal(size=(61, 4)).astype(np.float32)
y = np.abs(x[:, 0] * 3).astype(np.int64) % 3

distributed = model(5 + rank)  # rank 0's weights win
history = libdeep.mpi.fit(distributed, x, y, comm=comm, batch_size=4, epochs=3, verbose=0)
reference = model(5)
reference.fit(x, y, batch_size=4 * size, epochs=3, verbose=0)
for a, b in zip(distributed.get_weights(), reference.get_weights()):
    if not np.allclose(a, b, rtol=1e-5, atol=1e-5):
        problems.append(f"weights differ from one process by {np.max(np.abs(a - b))}")
losses = comm.allgather(list(history.history["loss"]))
if any(l != losses[0] for l in losses):
    problems.append(f"histories differ between ranks: {losses}")

# The default communicator (None: mpi4py's COMM_WORLD) works too.
libdeep.mpi.fit(model(5), x, y, batch_size=8, epochs=1, verbose=0)

# The last rank's data have 5 features: every rank raises, naming it.
bad = rng.normal(size=(61, 5)).astype(np.float32)
try:
    libdeep.mpi.fit(model(5), bad if rank == size - 1 else x, y, comm=comm, batch_size=4, epochs=1, verbose=0)
    problems.append("a failing rank raised nothing")
except libdeep.Error as exc:
    if f"rank {size - 1} failed" not in str(exc):
        problems.append(f"the error does not name rank {size - 1}: {exc}")

try:
    libdeep.mpi.fit(model(5), x, y, comm="world")
    problems.append("a bad comm raised nothing")
except TypeError:
    pass

for p in problems:
    print(f"rank {rank}: {p}", file=sys.stderr)
ok = comm.allreduce(0 if problems else 1, op=MPI.MIN)
if rank == 0 and ok:
    print("mpi script OK")
sys.exit(0 if ok else 1)
