"""train_test_split, KFold, StratifiedKFold and cross_val_score against scikit-learn."""

import numpy as np
import pytest

import libdeep
from libdeep import model_selection as ms
from libdeep.datasets import load_iris
from optional import need


@pytest.mark.parametrize("n", [7, 10, 150, 151])
def test_split_sizes_equal_scikit_learns(n):
    sk = need("sklearn.model_selection")
    x = np.arange(n)
    for test_size, train_size in [(None, None), (0.33, None), (None, 0.6), (3, None), (None, 4), (0.2, 0.5),
                                  (2, 3), (0.5, None)]:
        ours = ms.train_test_split(x, test_size=test_size, train_size=train_size, random_state=0)
        theirs = sk.train_test_split(x, test_size=test_size, train_size=train_size, random_state=0)
        assert [len(a) for a in ours] == [len(a) for a in theirs]
        # the same RandomState permutation, so the same split as well
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1], theirs[1])
    for bad in [dict(test_size=0.0), dict(test_size=1.0), dict(test_size=n), dict(train_size=0.9, test_size=0.2)]:
        with pytest.raises(ValueError):
            ms.train_test_split(x, **bad)


def test_train_test_split_many_arrays_kinds_and_no_shuffle():
    x, y, names = np.arange(20).reshape(10, 2), np.arange(10) % 2, [f"s{i}" for i in range(10)]
    x_train, x_test, y_train, y_test, n_train, n_test = ms.train_test_split(x, y, names, random_state=3)
    assert x_train.shape == (7, 2) and x_test.shape == (3, 2) and isinstance(n_train, list)
    np.testing.assert_array_equal(x_train[:, 0] // 2, y_train * 0 + [int(s[1:]) for s in n_train])
    np.testing.assert_array_equal(y_test, (x_test[:, 0] // 2) % 2)
    a, b = ms.train_test_split(x, shuffle=False, test_size=0.3)
    np.testing.assert_array_equal(a, x[:7])
    np.testing.assert_array_equal(b, x[7:])
    with pytest.raises(libdeep.ShapeError):
        ms.train_test_split(x, y[:5])
    with pytest.raises(ValueError):
        ms.train_test_split(x, y, shuffle=False, stratify=y)
    with pytest.raises(ValueError):
        ms.train_test_split()
    pd = need("pandas")
    frame = pd.DataFrame({"a": range(10)}, index=range(100, 110))
    train, test = ms.train_test_split(frame, random_state=0)
    assert isinstance(train, pd.DataFrame) and len(test) == 3 and set(train.index) | set(test.index) == set(frame.index)


def test_stratified_split_keeps_class_counts_as_scikit_learn():
    sk = need("sklearn.model_selection")
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b", "c"], [50, 30, 17])
    rng.shuffle(y)
    x = np.arange(len(y))
    for test_size in [0.25, 0.1, 20, 0.5]:
        ours = ms.train_test_split(x, y, test_size=test_size, random_state=1, stratify=y)
        theirs = sk.train_test_split(x, y, test_size=test_size, random_state=1, stratify=y)
        assert [len(a) for a in ours] == [len(a) for a in theirs]
        for part in (2, 3):  # y_train, y_test: each class's count within one of scikit-learn's
            mine = dict(zip(*np.unique(ours[part], return_counts=True)))
            sklearn = dict(zip(*np.unique(theirs[part], return_counts=True)))
            assert mine.keys() == sklearn.keys()
            assert all(abs(mine[k] - sklearn[k]) <= 1 for k in mine)
        assert sorted(np.concatenate([ours[0], ours[1]])) == list(x)
        np.testing.assert_array_equal(y[ours[0]], ours[2])
    with pytest.raises(ValueError, match="only 1"):
        ms.train_test_split(x[:4], stratify=["a", "a", "b", "c"])


def test_kfold_equals_scikit_learns():
    sk = need("sklearn.model_selection")
    x = np.zeros((23, 2))
    for (a, b), (c, d) in zip(ms.KFold(5).split(x), sk.KFold(5).split(x)):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    folds = list(ms.KFold(4, shuffle=True, random_state=7).split(x))
    assert [len(t) for _, t in folds] == [6, 6, 6, 5]
    assert sorted(np.concatenate([t for _, t in folds]).tolist()) == list(range(23))
    again = list(ms.KFold(4, shuffle=True, random_state=7).split(x))
    assert all(np.array_equal(t, u) for (_, t), (_, u) in zip(folds, again))
    assert ms.KFold(3).get_n_splits() == 3
    with pytest.raises(ValueError):
        ms.KFold(1)
    with pytest.raises(ValueError):
        ms.KFold(3, random_state=0)  # random_state without shuffle, as scikit-learn refuses it
    with pytest.raises(ValueError):
        list(ms.KFold(30).split(x))


def test_stratified_kfold_equals_scikit_learns():
    sk = need("sklearn.model_selection")
    iris = load_iris()
    rng = np.random.default_rng(1)
    uneven = rng.choice(["x", "y", "z"], 71, p=[0.6, 0.3, 0.1])
    for y in (iris.target, uneven):
        x = np.zeros((len(y), 1))
        for k in (3, 5):
            for (a, b), (c, d) in zip(ms.StratifiedKFold(k).split(x, y), sk.StratifiedKFold(k).split(x, y)):
                np.testing.assert_array_equal(a, c)
                np.testing.assert_array_equal(b, d)
            seen = []
            for train, test in ms.StratifiedKFold(k, shuffle=True, random_state=0).split(x, y):
                seen += test.tolist()
                for label in np.unique(y):  # every fold holds each class's share, give or take one
                    share = np.mean(y == label) * len(test)
                    assert abs(np.sum(y[test] == label) - share) < 1.5
            assert sorted(seen) == list(range(len(y)))
    with pytest.raises(ValueError):
        list(ms.StratifiedKFold(3).split(np.zeros((4, 1)), [0, 0, 1, 1]))  # 3 folds, 2 per class
    with pytest.raises(ValueError):
        list(ms.StratifiedKFold(2).split(np.zeros((4, 1)), [0.5, 1.5, 2.5, 3.5]))


def test_cross_val_score_uses_stratified_folds_for_classifiers():
    sk = need("sklearn.model_selection")
    x, y = load_iris(return_X_y=True)
    forest = libdeep.RandomForestClassifier(n_estimators=50, random_state=0)
    ours = ms.cross_val_score(forest, x, y, cv=5)
    theirs = sk.cross_val_score(forest, x, y, cv=5)  # scikit-learn's own, on libdeep's forest
    np.testing.assert_allclose(ours, theirs)
    by_hand = []
    for train, test in sk.StratifiedKFold(5).split(x, y):
        with libdeep.RandomForestClassifier(n_estimators=50, random_state=0).fit(x[train], y[train]) as model:
            by_hand.append(model.score(x[test], y[test]))
    np.testing.assert_allclose(ours, by_hand)
    unstratified = ms.cross_val_score(forest, x, y, cv=ms.KFold(5))
    assert unstratified.min() < ours.min()  # iris is sorted by class: plain KFold tests unseen classes
    f1 = ms.cross_val_score(forest, x, y, cv=3, scoring="f1_macro")
    assert f1.shape == (3,) and np.all(f1 > 0.85)
    regressor = libdeep.DecisionTreeRegressor(max_depth=3)
    r2 = ms.cross_val_score(regressor, x[:, :3], x[:, 3], cv=[(np.arange(0, 150, 2), np.arange(1, 150, 2))])
    assert r2.shape == (1,) and r2[0] > 0.8
    with pytest.raises(ValueError):
        ms.cross_val_score(forest, x, y, scoring="no such score")


def test_c_stratified_kfold_indices_equal_scikit_learns():
    """deep_stratified_kfold_indices, which StratifiedKFold(shuffle=False) calls, on labels
    of several kinds (strings, unsorted ints, a class smaller than the folds)."""
    sk = need("sklearn.model_selection")
    rng = np.random.default_rng(4)
    cases = [rng.choice(["b", "a", "c"], 97, p=[0.5, 0.35, 0.15]), rng.integers(-3, 9, 60),
             np.array([5, 5, 2, 2, 2, 9, 5, 2, 9, 2, 5, 2, 9, 7])]
    for y in cases:
        x = np.zeros((len(y), 1))
        for k in (2, 3, 4):
            with pytest.warns(UserWarning) if np.bincount(np.unique(y, return_inverse=True)[1]).min() < k \
                    else _no_warning():
                theirs = list(sk.StratifiedKFold(k).split(x, y))
            for fold, (train, test) in enumerate(theirs):
                a, b = libdeep.stratified_kfold_indices(y, k, fold)
                np.testing.assert_array_equal(a, train)
                np.testing.assert_array_equal(b, test)
    # Shuffled in C: each class's share per fold is scikit-learn's, the samples differ by seed.
    y = cases[0]
    for fold, (_, test) in enumerate(sk.StratifiedKFold(3).split(np.zeros((97, 1)), y)):
        _, ours = libdeep.stratified_kfold_indices(y, 3, fold, shuffle=True, seed=8)
        for label in np.unique(y):
            assert np.sum(y[ours] == label) == np.sum(y[test] == label)
    assert not np.array_equal(libdeep.stratified_kfold_indices(y, 3, 0, shuffle=True, seed=8)[1],
                              libdeep.stratified_kfold_indices(y, 3, 0, shuffle=True, seed=9)[1])
    with pytest.raises(libdeep.InvalidArgumentError, match="no class has that many samples"):
        libdeep.stratified_kfold_indices([0, 0, 1, 1], 3, 0)
    with pytest.raises(libdeep.ShapeError):
        libdeep.stratified_kfold_indices(np.zeros((4, 2)), 2, 0)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_tree_cross_val_score_method_is_stratified_for_classifiers():
    """The estimators' own cross_val_score (in C) takes scikit-learn's choice of folds."""
    x, y = load_iris(return_X_y=True)  # sorted by class
    tree = libdeep.DecisionTreeClassifier(random_state=0)
    ours = tree.cross_val_score(x, y, cv=5, shuffle=False)
    expected = []
    for train, test in ms.StratifiedKFold(5).split(x, y):
        with libdeep.DecisionTreeClassifier(random_state=0).fit(x[train], y[train]) as model:
            expected.append(model.score(x[test], y[test]))
    np.testing.assert_allclose(ours, expected)
    assert ours.min() >= 0.9
    plain = tree.cross_val_score(x, y, cv=3, shuffle=False, stratify=False)
    np.testing.assert_array_equal(plain, [0.0, 0.0, 0.0])  # each fold a species never trained on
    shuffled = tree.cross_val_score(x, y, cv=5, seed=3)
    assert shuffled.shape == (5,) and shuffled.min() > 0.8
    with pytest.raises(libdeep.InvalidArgumentError, match="stratified folds need class labels"):
        libdeep.DecisionTreeRegressor().cross_val_score(x[:, :3], x[:, 3], cv=3, stratify=True)
    with pytest.raises(TypeError, match=r"cross_val_score\(stratify=...\)"):
        tree.cross_val_score(x, y, stratify="yes")
