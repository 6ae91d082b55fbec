"""libdeep.impute.SimpleImputer (a deep_imputer) against scikit-learn's SimpleImputer and
pandas' fillna with a dict, on the same CSV."""

import numpy as np
import pytest

import libdeep
from libdeep import errors
from libdeep.impute import SimpleImputer

from optional import need

TRAIN = """age,city,income,pet,y
30,Paris,50,cat,yes
25,Lyon,,dog,no
40,Paris,70,,yes
35,,60,cat,no
28,Lyon,55,dog,yes
,Nice,55,,no
"""
TEST = """age,city,income,pet,y
,Berlin,,dog,no
50,,80,,yes
"""


@pytest.fixture
def files(tmp_path):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text(TRAIN)
    test.write_text(TEST)
    return train, test


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent"])
def test_numeric_statistics_and_fill_agree_with_sklearn(files, strategy):
    pd = need("pandas")
    impute = need("sklearn.impute")
    numeric = ["age", "income"]
    frame, test_frame = pd.read_csv(files[0])[numeric], pd.read_csv(files[1])[numeric]
    want = impute.SimpleImputer(strategy=strategy).fit(frame)
    train = libdeep.load_csv(files[0], "y", categorical=True).select(numeric)
    test = libdeep.load_csv(files[1], "y", categorical=True).select(numeric)
    ours = SimpleImputer(strategy=strategy).fit(train)
    np.testing.assert_allclose(ours.statistics_, want.statistics_, rtol=1e-6)
    np.testing.assert_allclose(ours.transform(test).features, want.transform(test_frame), rtol=1e-6)
    assert test.missing_count() == 2  # transform copies by default


def test_text_columns_and_per_column_strategies_as_pandas_fillna(files):
    pd = need("pandas")
    impute = need("sklearn.impute")
    frame = pd.read_csv(files[0]).drop(columns="y")
    sk = impute.SimpleImputer(strategy="most_frequent").fit(frame[["city", "pet"]])
    train = libdeep.load_csv(files[0], "y", categorical=True)
    test = libdeep.load_csv(files[1], "y", categorical=True)
    assert SimpleImputer(strategy="most_frequent").fit(train).statistics_[1::2] == list(sk.statistics_)

    imputer = SimpleImputer(strategy="median",
                            columns={"age": "mean", "city": "most_frequent", "pet": ("constant", "none")})
    filled = imputer.fit_transform(train)
    assert imputer.statistics_ == [31.6, "Lyon", 55.0, "none"]
    # pandas: fillna with the training table's values, column by column.
    fills = {"age": frame["age"].mean(), "city": frame["city"].mode()[0], "income": frame["income"].median(),
             "pet": "none"}
    for table, source in [(filled, files[0]), (imputer.transform(test), files[1])]:
        want = pd.read_csv(source).drop(columns="y").fillna(fills)
        assert table.missing_count() == 0
        for column in ["city", "pet"]:
            names = table.categories(column)
            got = [names[int(v)] for v in table.select(column).features[:, 0]]
            assert got == want[column].tolist()
        np.testing.assert_allclose(table.select(["age", "income"]).features, want[["age", "income"]], rtol=1e-6)
    assert "none" in filled.categories("pet")

    with pytest.raises(errors.StateError, match="holds text"):
        SimpleImputer(strategy="mean").fit(train)
    with pytest.raises(errors.InvalidArgumentError, match="'town'"):
        SimpleImputer(columns={"town": "mean"}).fit(train)
    with pytest.raises(ValueError, match="strategy"):
        SimpleImputer(strategy="mode").fit(train)
    with pytest.raises(errors.StateError, match="fit first"):
        SimpleImputer().transform(train)


def test_a_constant_for_every_text_column(files):
    train = libdeep.load_csv(files[0], "y", categorical=True)
    imputer = SimpleImputer(strategy="constant", fill_value="unknown", columns={"age": ("constant", 0),
                                                                                 "income": ("constant", -1)})
    filled = imputer.fit_transform(train, copy=False)
    assert filled is train
    assert imputer.statistics_ == [0.0, "unknown", -1.0, "unknown"]
    assert train.categories("city") == ["Lyon", "Nice", "Paris", "unknown"]
