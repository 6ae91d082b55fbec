"""libdeep's Python forest_fit on MPI (bindings/python/libdeep/mpi.py), run under
mpirun with 2 or 3 ranks by Debian's python3 with mpi4py: the forest every rank gets
predicts, scores out of bag and weighs features exactly as RandomForest*.fit's, and a
rank whose X has another width makes every rank raise an error naming it. Plain asserts
(pytest and MPI ranks do not mix well); exit status 1 on any failure."""
import sys

import numpy as np
from mpi4py import MPI

from libdeep import errors
from libdeep.mpi import forest_fit
from libdeep.trees import RandomForestClassifier, RandomForestRegressor

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
rng = np.random.default_rng(3)
X = rng.normal(size=(160, 4)).astype(np.float32)
labels = np.array(["a", "b", "c"])[(X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)]
target = np.sin(X[:, 0]) + X[:, 1]

failures = 0


def expect(cond, what):
    global failures
    if not cond:
        print(f"rank {rank}: expected {what}", file=sys.stderr)
        failures += 1


for make, y in ((RandomForestClassifier, labels), (RandomForestRegressor, target)):
    settings = dict(n_estimators=7, oob_score=True, random_state=5, n_jobs=1)
    spread = forest_fit(make(**settings), X, y, comm)
    alone = make(**settings).fit(X, y)
    name = make.__name__
    expect(spread.tree_count == 7, f"{name}: 7 trees")
    expect(np.array_equal(spread.predict(X), alone.predict(X)), f"{name}: the same predictions")
    expect(spread.oob_score_ == alone.oob_score_, f"{name}: the same OOB score")
    expect(np.array_equal(spread.feature_importances_, alone.feature_importances_), f"{name}: the same importances")
    expect(spread.n_features_in_ == 4, f"{name}: n_features_in_")
    if make is RandomForestClassifier:
        expect(list(spread.classes_) == ["a", "b", "c"], "the classes")

# The last rank's X is one column wider: every rank raises, naming it.
bad = size - 1
wide = np.hstack([X, X[:, :1]]) if rank == bad else X
try:
    forest_fit(RandomForestClassifier(n_estimators=4, random_state=1, n_jobs=1), wide, labels, comm)
    expect(False, "an error")
except errors.InvalidArgumentError as exc:
    expect(f"rank {bad}" in str(exc) and "feature count" in str(exc), f"an error naming rank {bad}: {exc}")
# A y this rank cannot use (wrong length) raises here and, through the collective, elsewhere.
try:
    forest_fit(RandomForestClassifier(n_estimators=4, random_state=1, n_jobs=1), X,
               labels[:-1] if rank == 0 else labels, comm)
    expect(False, "an error")
except (errors.Error, ValueError) as exc:
    expect(rank == 0 or "rank 0" in str(exc), f"an error naming rank 0: {exc}")
try:
    forest_fit(RandomForestClassifier(), X, labels, comm="world")
    expect(False, "a TypeError")
except TypeError:
    pass

total = comm.allreduce(failures)
if rank == 0:
    print(f"{'FAIL' if total else 'OK'}: {size} ranks, {total} failures")
sys.exit(1 if total else 0)
