"""libdeep.load_sqlite / Dataset.to_sqlite against pandas' read_sql_query on a database made
with Python's sqlite3: the same rows, text columns as categories, NULL as NaN, parameters
bound."""

import sqlite3

import numpy as np
import pytest

import libdeep
from libdeep import errors

from optional import need


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "people.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE people (id INTEGER, name TEXT, city TEXT, age REAL, kind TEXT)")
        con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?)",
                        [(1, "Ann", "Paris", 31.5, "a"), (2, "Bob", None, 40, "b"), (3, "Eve", "Lyon", None, "a"),
                         (4, "Dan", "Paris", 25, "b"), (5, "Zoe", "Nice", 52, "a")])
    con.close()
    return path


def _supported(database):
    try:
        libdeep.load_sqlite(database, "SELECT id FROM people")
    except errors.UnsupportedError:
        pytest.skip("libdeep built without SQLite")


def test_load_sqlite_agrees_with_pandas(database):
    _supported(database)
    pd = need("pandas")
    query = "SELECT city, age, id FROM people WHERE id >= ? AND name <> ? ORDER BY id"
    params = (2, "x' OR '1'='1")  # bound: only a value, never SQL
    with sqlite3.connect(database) as con:
        want = pd.read_sql_query(query, con, params=params)
    con.close()
    data = libdeep.load_sqlite(database, query, params)
    assert data.column_names == list(want.columns)
    assert data.categories("city") == sorted(want["city"].dropna().unique())
    names = data.categories("city")
    cities = [None if np.isnan(v) else names[int(v)] for v in data.features[:, 0]]
    assert cities == want["city"].tolist()
    np.testing.assert_array_equal(data.features[:, 1:], want[["age", "id"]].to_numpy(np.float32))


def test_labels_and_round_trip(database, tmp_path):
    _supported(database)
    data = libdeep.load_sqlite(database, "SELECT city, age, kind FROM people", label_column="kind")
    assert data.class_names == ["a", "b"]
    np.testing.assert_array_equal(data.labels, [0, 1, 0, 1, 0])
    data.to_sqlite(tmp_path / "out.db", "copy")
    with pytest.raises(errors.InvalidArgumentError, match="already exists"):
        data.to_sqlite(tmp_path / "out.db", "copy")
    data.to_sqlite(tmp_path / "out.db", "copy", if_exists="replace")
    back = libdeep.load_sqlite(tmp_path / "out.db", 'SELECT * FROM "copy"', label_column="kind")
    np.testing.assert_array_equal(back.features, data.features)
    np.testing.assert_array_equal(back.labels, data.labels)
    with pytest.raises(errors.InvalidArgumentError, match="no such table"):
        libdeep.load_sqlite(database, "SELECT * FROM nowhere")
    with pytest.raises(errors.InvalidArgumentError, match="1 parameters but 0"):
        libdeep.load_sqlite(database, "SELECT age FROM people WHERE id = ?")
