"""Dataset.merge (deep_dataset_merge) against pandas' merge on the same CSV files, in
pandas' documented row order (each left row in turn; pandas 1.x grouped an inner join's rows
by key, so its result is put back in left order before comparing)."""

import numpy as np
import pytest

import libdeep
from libdeep import errors

from optional import need

LEFT = """id,city,score,y
1,Paris,0.5,yes
2,Lyon,0.7,no
3,Paris,0.2,yes
4,Nice,0.9,no
5,,0.4,yes
6,Lyon,0.1,no
"""
RIGHT = """city,pop,score,zone
Lyon,500,1,south
Paris,2100,2,north
Paris,2200,3,north
Berlin,3600,4,east
"""


def _frame(pd, table):
    """A DataFrame of a libdeep table's features, text columns as their category names."""
    data = {}
    for j, name in enumerate(table.column_names):
        values = table.features[:, j]
        names = table.categories(j)
        data[name] = [None if np.isnan(v) else names[int(v)] for v in values] if names else values
    return pd.DataFrame(data)


@pytest.mark.parametrize("how", ["inner", "left"])
@pytest.mark.parametrize("on", [["city"], ["city", "score"]])
def test_merge_agrees_with_pandas(tmp_path, how, on):
    pd = need("pandas")
    (tmp_path / "l.csv").write_text(LEFT)
    (tmp_path / "r.csv").write_text(RIGHT)
    left = libdeep.load_csv(tmp_path / "l.csv", "y", categorical=True)
    right = libdeep.load_csv(tmp_path / "r.csv", categorical=True)
    if on == ["city", "score"]:  # a second key: left's ids against right's scores 1..4
        left = left.rename({"score": "unused", "id": "score"})
    right_frame = pd.read_csv(tmp_path / "r.csv")
    left_frame = _frame(pd, left).assign(_row=lambda f: range(len(f)))
    want = pd.merge(left_frame, right_frame, on=on, how=how).sort_values("_row", kind="stable")
    got = left.merge(right, on=on, how=how)
    assert got.column_names == [c for c in want.columns if c != "_row"]
    mine = _frame(pd, got)
    for column in mine.columns:
        a, b = mine[column].tolist(), want[column].tolist()
        if got.categories(column):
            assert [x if isinstance(x, str) else None for x in b] == a, column
        else:
            np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-6)
    labels = np.array(left.labels)[want["_row"].to_numpy()]
    np.testing.assert_array_equal(got.labels, labels)


def test_merge_misuse(tmp_path):
    (tmp_path / "l.csv").write_text(LEFT)
    left = libdeep.load_csv(tmp_path / "l.csv", "y", categorical=True)
    with pytest.raises(errors.InvalidArgumentError, match="'town'"):
        left.merge(left, on="town")
    with pytest.raises(ValueError, match="how"):
        left.merge(left, on="city", how="outer")
    both = left.merge(left, on="id", suffixes=("_a", "_b"))
    assert both.column_names == ["id", "city_a", "score_a", "city_b", "score_b"]
