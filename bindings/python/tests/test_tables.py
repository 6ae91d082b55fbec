"""Typed tables (libdeep 1.1): text columns as categories, get_dummies / OrdinalEncoder with
a training table's categories, columns by name and value counts, each compared with pandas
and scikit-learn on the same CSV."""

import numpy as np
import pytest

import libdeep
from libdeep import errors

from optional import need

TRAIN = """age,city,income,pet,y
30,Paris,50,cat,yes
25,Lyon,,dog,no
40,Paris,70,,yes
35,Nice,60,cat,no
28,Lyon,55,dog,yes
31,"Saint-Étienne, Loire",52,cat,no
"""
TEST = """age,city,income,pet,y
22,Lyon,45,cat,no
50,Berlin,80,dog,yes
"""


@pytest.fixture
def files(tmp_path):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text(TRAIN, encoding="utf-8")
    test.write_text(TEST, encoding="utf-8")
    return train, test


def test_text_columns_need_the_typed_loader(files):
    with pytest.raises(errors.FormatError, match="is not a number"):
        libdeep.load_csv(files[0], "y")
    data = libdeep.load_csv(files[0], "y", categorical=True)
    assert data.column_names == ["age", "city", "income", "pet"]
    assert data.is_categorical("city") and not data.is_categorical(0)
    assert data.categories("city") == sorted(["Paris", "Lyon", "Nice", "Saint-Étienne, Loire"])
    assert data.categories("age") == []
    assert data.class_names == ["no", "yes"]
    with pytest.raises(errors.StateError, match="encode"):
        data.standardize()


def test_get_dummies_and_ordinal_encoder_agree_with_pandas_and_sklearn(files):
    pd = need("pandas")
    preprocessing = need("sklearn.preprocessing")
    frame = pd.read_csv(files[0]).drop(columns="y")
    data = libdeep.load_csv(files[0], "y", categorical=True)

    dummies = pd.get_dummies(frame)
    encoded = data.get_dummies()
    assert encoded.column_names == list(dummies.columns)
    np.testing.assert_array_equal(encoded.features, dummies.astype(np.float32).to_numpy())
    np.testing.assert_array_equal(encoded.labels, data.labels)

    text = ["city", "pet"]
    encoder = preprocessing.OrdinalEncoder().fit(frame[text])
    ordinal = data.ordinal_encode()
    np.testing.assert_array_equal(ordinal.select(text).features, encoder.transform(frame[text]).astype(np.float32))

    # The test table with the training table's categories: Berlin is unknown.
    test = libdeep.load_csv(files[1], "y", categorical=True)
    with pytest.raises(errors.InvalidArgumentError, match="'Berlin'"):
        test.get_dummies(reference=data)
    # pandas' way to reuse categories: a Categorical of the training categories (unknown: NaN).
    test_frame = pd.read_csv(files[1]).drop(columns="y")
    fixed = test_frame.copy()
    for column in text:
        fixed[column] = pd.Categorical(fixed[column], categories=sorted(frame[column].dropna().unique()))
    want = pd.get_dummies(fixed)
    got = test.get_dummies(reference=data, handle_unknown="ignore")
    assert got.column_names == list(want.columns) == list(dummies.columns)
    np.testing.assert_array_equal(got.features, want.astype(np.float32).to_numpy())
    unknown = preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan).fit(frame[text])
    np.testing.assert_array_equal(test.ordinal_encode(data, "ignore").select(text).features,
                                  unknown.transform(test_frame[text]).astype(np.float32))
    with pytest.raises(ValueError, match="handle_unknown"):
        test.encode("onehot", data, handle_unknown="skip")


def test_columns_by_name_and_value_counts_agree_with_pandas(files):
    pd = need("pandas")
    frame = pd.read_csv(files[0])
    data = libdeep.load_csv(files[0], "y", categorical=True)
    picked = data.select(["pet", "age"])
    assert picked.column_names == ["pet", "age"]
    assert picked.categories("pet") == ["cat", "dog"]
    np.testing.assert_array_equal(picked.features[:, 1], frame["age"].to_numpy(np.float32))
    assert data.drop("income").column_names == list(frame.drop(columns=["income", "y"]).columns)
    for column in ["city", "pet", "age", "income"]:
        want = frame[column].value_counts()
        got = data.value_counts(column)
        assert got == {k: int(v) for k, v in want.items()}
        assert list(got.values()) == want.tolist()
    data.rename({"income": "salary", "y": "target"})
    assert data.column_names[2] == "salary"
    with pytest.raises(errors.InvalidArgumentError, match="'income'"):
        data.select("income")


def test_typed_tables_write_and_read_back(files, tmp_path):
    data = libdeep.load_csv(files[0], "y", categorical=True)
    data.to_csv(tmp_path / "back.csv")
    back = libdeep.load_csv(tmp_path / "back.csv", "y", categorical=True)
    assert back.categories("city") == data.categories("city")
    np.testing.assert_array_equal(back.features, data.features)


@pytest.mark.parametrize("bins", [10, "auto", 3, 1])
def test_histograms_agree_with_numpy(bins):
    rng = np.random.default_rng(19)
    x = np.concatenate([rng.normal(0, 1, 500), rng.exponential(3, 300), [np.nan] * 7]).astype(np.float32)
    rng.shuffle(x)
    data = libdeep.Dataset(np.stack([x, np.round(x)], axis=1))
    for column in range(2):
        values = data.features[:, column].astype(np.float64)
        want_counts, want_edges = np.histogram(values[~np.isnan(values)], bins=bins)
        counts, edges = data.histogram(column, bins)
        np.testing.assert_array_equal(counts, want_counts)
        np.testing.assert_array_equal(edges, want_edges)
    with pytest.raises(ValueError, match="auto"):
        data.histogram(0, "fd")
