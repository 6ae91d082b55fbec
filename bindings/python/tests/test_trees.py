import json
import os

import numpy as np
import pytest

import libdeep
from libdeep import DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor
from optional import need

IRIS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "data", "iris.csv")


@pytest.fixture
def regression():
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, size=(300, 3)).astype(np.float32)
    y = np.where(x[:, 0] > 0, 3.0, -1.0) + 0.5 * x[:, 1]
    return x, y


def test_tree_classifier(blobs):
    x, y = blobs
    tree = DecisionTreeClassifier(max_depth=4).fit(x[:200], y[:200])
    assert tree.n_features_in_ == 4
    np.testing.assert_array_equal(tree.classes_, [0, 1, 2])
    assert tree.score(x[:200], y[:200]) > 0.97
    assert tree.score(x[200:], y[200:]) > 0.9
    predicted = tree.predict(x[200:])
    assert predicted.dtype.kind == "i"
    assert np.mean(predicted == y[200:]) == pytest.approx(tree.score(x[200:], y[200:]))
    proba = tree.predict_proba(x[200:])
    assert proba.shape == (100, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(proba.argmax(axis=1), predicted)
    importances = tree.feature_importances_
    assert importances.shape == (4,) and importances.sum() == pytest.approx(1.0)
    assert importances[3] < 0.05  # the fourth feature carries no signal
    assert 1 <= tree.get_depth() <= 4
    assert tree.get_n_leaves() == (tree.node_count + 1) // 2
    feature, threshold, left, right = tree.node(0)
    assert 0 <= feature < 3 and left == 1 and right > left
    assert tree.node_value(0).sum() == pytest.approx(1.0)
    info = json.loads(tree.to_json())
    assert info["kind"] == "classifier" and len(info["nodes"]) == tree.node_count


def test_string_labels_are_encoded_as_scikit_learn_does(blobs):
    x, y = blobs
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    tree = DecisionTreeClassifier(max_depth=3).fit(x, names)
    np.testing.assert_array_equal(tree.classes_, ["setosa", "versicolor", "virginica"])
    assert set(tree.predict(x[:20])) <= set(tree.classes_)
    assert tree.score(x, names) > 0.95
    with pytest.raises(ValueError, match="not seen in fit"):
        tree.score(x[:3], ["setosa", "rose", "setosa"])


def test_tree_regressor(regression):
    x, y = regression
    tree = DecisionTreeRegressor(max_depth=6, min_samples_leaf=3).fit(x, y)
    assert tree.score(x, y) > 0.95
    predicted = tree.predict(x[:5])
    assert predicted.dtype == np.float32 and predicted.shape == (5,)
    assert tree.node(0)[0] == 0  # the step in feature 0 is the first split
    with pytest.raises(AttributeError):
        tree.predict_proba(x)


def test_forests(blobs, regression):
    x, y = blobs
    forest = RandomForestClassifier(n_estimators=20, oob_score=True, random_state=4).fit(x, y)
    assert forest.tree_count == 20
    assert forest.score(x, y) > 0.97
    assert 0.9 < forest.oob_score_ <= 1.0
    np.testing.assert_allclose(forest.predict_proba(x[:10]).sum(axis=1), 1.0, rtol=1e-5)
    assert forest.feature_importances_.sum() == pytest.approx(1.0)
    again = RandomForestClassifier(n_estimators=20, oob_score=True, random_state=4, n_jobs=1).fit(x, y)
    np.testing.assert_array_equal(again.predict_proba(x), forest.predict_proba(x))  # threads do not matter

    rx, ry = regression
    reg = RandomForestRegressor(n_estimators=15, max_depth=8).fit(rx, ry)
    assert reg.score(rx, ry) > 0.9
    with pytest.raises(libdeep.StateError):
        reg.oob_score_  # not asked for


def test_cross_val_score(blobs):
    x, y = blobs
    tree = DecisionTreeClassifier(max_depth=3)
    scores = tree.cross_val_score(x, y, cv=4, seed=2)
    assert scores.shape == (4,) and np.all(scores > 0.85)
    assert tree.classes_ is None  # the estimator itself is not fitted by cross-validation
    forest = RandomForestClassifier(n_estimators=5)
    assert np.all(forest.cross_val_score(libdeep.Dataset(x, y), cv=3) > 0.85)


def test_class_weight(blobs):
    # One constant feature: no split is possible, so the root leaf holds the weighted
    # class fractions of all 15 samples (10 of class "a", 5 of class "b").
    x = np.zeros((15, 1), dtype=np.float32)
    y = np.array(["a"] * 10 + ["b"] * 5)
    plain = DecisionTreeClassifier().fit(x, y)
    np.testing.assert_allclose(plain.predict_proba(x[:1]), [[10 / 15, 5 / 15]], rtol=1e-6)
    assert plain.predict(x[:1])[0] == "a"
    heavy = DecisionTreeClassifier(class_weight={"b": 3.0}).fit(x, y)
    np.testing.assert_allclose(heavy.predict_proba(x[:1]), [[10 / 25, 15 / 25]], rtol=1e-6)
    assert heavy.predict(x[:1])[0] == "b"
    listed = DecisionTreeClassifier(class_weight=[1.0, 3.0]).fit(x, y)
    np.testing.assert_allclose(listed.predict_proba(x[:1]), heavy.predict_proba(x[:1]))
    balanced = DecisionTreeClassifier(class_weight="balanced").fit(x, y)  # 0.75 and 1.5: even
    np.testing.assert_allclose(balanced.predict_proba(x[:1]), [[0.5, 0.5]], rtol=1e-6)
    with pytest.raises(ValueError, match="not in the data"):
        DecisionTreeClassifier(class_weight={"c": 1.0}).fit(x, y)
    with pytest.raises(libdeep.ShapeError):
        DecisionTreeClassifier(class_weight=[1.0, 2.0, 3.0]).fit(x, y)
    forest = RandomForestClassifier(n_estimators=3, bootstrap=False, class_weight={"b": 3.0}).fit(x, y)
    assert forest.predict(x[:1])[0] == "b"


def test_fit_on_a_csv_dataset():
    data = libdeep.load_csv(IRIS, "species")
    train, test = data.split(0.3, seed=0, stratify=True)
    tree = DecisionTreeClassifier().fit(train)
    np.testing.assert_array_equal(tree.classes_, [0, 1, 2])
    assert tree.score(test) > 0.85
    assert tree.predict(test).shape == (len(test),)


def test_matches_scikit_learn_on_iris():
    sklearn_tree = need("sklearn.tree")
    data = libdeep.load_csv(IRIS, "species")
    x, y = data.features, data.labels
    ours = DecisionTreeClassifier(max_depth=3, splitter="exact").fit(x, y)
    theirs = sklearn_tree.DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, y)
    # Same criterion and depth on the same data: the same training accuracy and root split.
    assert ours.score(x, y) == pytest.approx(theirs.score(x, y))
    assert ours.node(0)[0] in (2, 3) and theirs.tree_.feature[0] in (2, 3)


def test_save_and_load(tmp_path, blobs, regression):
    x, y = blobs
    tree = DecisionTreeClassifier(max_depth=4).fit(x, y)
    tree.save(tmp_path / "tree.bin")
    loaded = DecisionTreeClassifier.load(tmp_path / "tree.bin")
    assert loaded.n_features_in_ == 4
    np.testing.assert_array_equal(loaded.predict(x), tree.predict(x))
    with pytest.raises(TypeError, match="classifier"):
        DecisionTreeRegressor.load(tmp_path / "tree.bin")

    forest = RandomForestRegressor(n_estimators=5).fit(*regression)
    forest.save(str(tmp_path / "forest.bin"))
    loaded = RandomForestRegressor.load(tmp_path / "forest.bin")
    assert loaded.n_features_in_ == 3
    np.testing.assert_array_equal(loaded.predict(regression[0]), forest.predict(regression[0]))
    with pytest.raises(TypeError, match="regressor"):
        RandomForestClassifier.load(tmp_path / "forest.bin")

    (tmp_path / "junk.bin").write_bytes(b"not a tree file at all")
    with pytest.raises(libdeep.FormatError):
        DecisionTreeClassifier.load(tmp_path / "junk.bin")
    with pytest.raises(libdeep.FileError):
        DecisionTreeClassifier.load(tmp_path / "missing.bin")


def test_settings_are_checked(blobs):
    with pytest.raises(libdeep.InvalidArgumentError):
        DecisionTreeClassifier(min_samples_split=1)
    with pytest.raises(libdeep.InvalidArgumentError):
        RandomForestClassifier(n_estimators=0)
    with pytest.raises(ValueError, match="criterion"):
        DecisionTreeClassifier(criterion="log_loss")
    with pytest.raises(TypeError):
        DecisionTreeClassifier(max_depth="3")
    with pytest.raises(ValueError, match="no parameter"):
        DecisionTreeClassifier().set_params(n_estimators=3)
    tree = DecisionTreeClassifier().set_params(max_depth=1)
    assert tree.get_params()["max_depth"] == 1
    x, y = blobs
    assert tree.fit(x, y).get_depth() == 1


def test_errors_before_fit_and_on_bad_input(blobs):
    x, y = blobs
    tree = DecisionTreeClassifier()
    with pytest.raises(libdeep.StateError):
        tree.predict(x)
    with pytest.raises(libdeep.StateError):
        tree.feature_importances_
    with pytest.raises(libdeep.ShapeError):
        tree.fit(x, y[:-1])
    with pytest.raises(libdeep.ShapeError):
        tree.fit(x[:, 0], y)  # one feature needs shape (n, 1)
    tree.fit(x, y)
    with pytest.raises(libdeep.ShapeError):
        tree.predict(x[:, :3])
    bad = x.copy()
    bad[5, 1] = np.nan
    with pytest.raises(libdeep.NumericError) as info:
        tree.predict(bad)
    assert isinstance(info.value, ArithmeticError)
    with pytest.raises(libdeep.NumericError):
        DecisionTreeClassifier().fit(bad, y)


def test_use_after_close(blobs):
    x, y = blobs
    forest = RandomForestClassifier(n_estimators=3).fit(x, y)
    forest.close()
    with pytest.raises(libdeep.ClosedError):
        forest.predict(x)
    with RandomForestRegressor(n_estimators=2) as reg:
        reg.fit(x, x[:, 0])
    with pytest.raises(libdeep.ClosedError):
        reg.score(x, x[:, 0])


def test_a_failed_refit_keeps_the_fitted_tree(blobs):
    x, y = blobs
    tree = DecisionTreeClassifier(max_depth=3).fit(x, y)
    before = tree.predict(x)
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(libdeep.NumericError):
        tree.fit(bad, np.array(["p", "q", "r"])[y])
    np.testing.assert_array_equal(tree.classes_, [0, 1, 2])
    np.testing.assert_array_equal(tree.predict(x), before)
