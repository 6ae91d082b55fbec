"""load_iris, as sklearn.datasets.load_iris, from the CSV shipped in this package (a copy
of examples/data/iris.csv; a test keeps the two identical)."""

import csv
import os

import numpy as np

CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "iris.csv")
#: scikit-learn's names for the four columns (the CSV's header says sepal_length, ...).
FEATURE_NAMES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
TARGET_NAMES = np.array(["setosa", "versicolor", "virginica"])


class Bunch(dict):
    """A dict whose keys are also attributes (scikit-learn's Bunch)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value

    def __dir__(self):
        return list(self.keys())


def _read():
    with open(CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], [r for r in rows[1:] if r]
    if len(header) != 5 or header[4] != "species":
        raise ValueError(f"{CSV}: expected four measurements and a species column; got header {header}")
    data = np.array([[float(v) for v in r[:4]] for r in rows], dtype=np.float64)
    species = np.array([r[4] for r in rows])
    unknown = set(species.tolist()) - set(TARGET_NAMES.tolist())
    if unknown:
        raise ValueError(f"{CSV}: unknown species {sorted(unknown)}")
    return data, np.searchsorted(TARGET_NAMES, species).astype(np.int64)


def load_iris(*, return_X_y=False, as_frame=False):
    """The 150 iris flowers: data (150, 4) float64, target (150,) int64 (0 setosa,
    1 versicolor, 2 virginica), with feature_names, target_names, frame (pandas, with
    as_frame=True; else None), DESCR and filename. return_X_y=True returns (data, target)
    only; as_frame=True makes data a pandas DataFrame and target a Series."""
    data, target = _read()
    frame = None
    if as_frame:
        import pandas as pd
        frame = pd.DataFrame(data, columns=FEATURE_NAMES)
        frame["target"] = target
        data, target = frame[FEATURE_NAMES], frame["target"]
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, frame=frame, feature_names=list(FEATURE_NAMES),
                 target_names=TARGET_NAMES.copy(), filename=CSV,
                 DESCR="Iris plants (Fisher, 1936): 150 samples of 3 species, 4 measurements in cm.")
