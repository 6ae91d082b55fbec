"""scikit-learn's own tools on libdeep's trees and forests: is_classifier, clone,
cross_val_score (stratified for classifiers), GridSearchCV, pickling for n_jobs."""

import copy
import pickle
import sys
import types

import numpy as np
import pytest

import libdeep
from libdeep import DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor
from libdeep.datasets import load_iris
from optional import need


def test_scikit_learn_sees_classifiers_and_regressors():
    base = need("sklearn.base")
    for estimator in (DecisionTreeClassifier(), RandomForestClassifier()):
        assert base.is_classifier(estimator) and not base.is_regressor(estimator)
    for estimator in (DecisionTreeRegressor(), RandomForestRegressor()):
        assert base.is_regressor(estimator) and not base.is_classifier(estimator)


def test_clone_copies_the_parameters_not_the_fit():
    base = need("sklearn.base")
    x, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=7, max_depth=3, class_weight={0: 2.0}, random_state=5).fit(x, y)
    copy = base.clone(forest)
    assert type(copy) is RandomForestClassifier and copy is not forest
    assert copy.get_params() == forest.get_params()
    assert copy.classes_ is None and not copy.__sklearn_is_fitted__() and forest.__sklearn_is_fitted__()
    copy.set_params(max_depth=1)
    assert forest.get_params()["max_depth"] == 3


def test_scikit_learns_cross_val_score_is_stratified_on_iris():
    sk = need("sklearn.model_selection")
    ensemble = need("sklearn.ensemble")
    x, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(random_state=0)
    scores = sk.cross_val_score(forest, x, y, cv=5)
    # The folds scikit-learn uses for its own RandomForestClassifier are StratifiedKFold(5):
    assert sk.check_cv(5, y, classifier=True).__class__ is sk.StratifiedKFold
    assert sk.check_cv(5, y, classifier=libdeep.model_selection.is_classifier(forest)).__class__ is \
        sk.StratifiedKFold
    expected = []
    for train, test in sk.StratifiedKFold(5).split(x, y):
        assert np.all(np.bincount(y[test]) == 10)  # each fold holds 10 of each species
        with RandomForestClassifier(random_state=0).fit(x[train], y[train]) as model:
            expected.append(model.score(x[test], y[test]))
    np.testing.assert_allclose(scores, expected)
    # The numbers: unstratified folds test classes never trained on ([1, 1, 0.83, 0.93, 0.77]
    # then), stratified ones score like scikit-learn's forest.
    assert scores.min() >= 0.9
    theirs = sk.cross_val_score(ensemble.RandomForestClassifier(random_state=0), x, y, cv=5)
    assert np.all(np.abs(scores - theirs) <= 0.07)
    assert sk.cross_val_score(forest, x, y, cv=sk.KFold(5)).min() < 0.9


def test_grid_search_cv():
    sk = need("sklearn.model_selection")
    x, y = load_iris(return_X_y=True)
    search = sk.GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 3], "criterion": ["gini", "entropy"]}, cv=5)
    search.fit(x, y)
    assert search.best_params_["max_depth"] == 3
    assert search.best_score_ > 0.9
    assert isinstance(search.best_estimator_, DecisionTreeClassifier)
    assert search.best_estimator_.get_params()["max_depth"] == 3
    assert search.score(x, y) > 0.9
    regression = sk.GridSearchCV(RandomForestRegressor(n_estimators=10), {"max_depth": [2, None]}, cv=3)
    order = np.random.default_rng(0).permutation(len(x))  # iris is sorted by species: mix it for KFold
    regression.fit(x[order, :3], x[order, 3])
    assert regression.best_score_ > 0.8  # R^2, the regressor's score


def test_sklearn_tags_use_the_documented_constructors(monkeypatch):
    """__sklearn_tags__ (read by scikit-learn >= 1.6) builds sklearn.utils.Tags; checked
    against a stand-in module so that it runs with any installed scikit-learn."""
    made = {}

    def recorder(name):
        def make(**kwargs):
            made.setdefault(name, []).append(kwargs)
            return types.SimpleNamespace(kind=name, **kwargs)
        return make

    utils = types.ModuleType("sklearn.utils")
    for name in ("Tags", "TargetTags", "ClassifierTags", "RegressorTags", "InputTags"):
        setattr(utils, name, recorder(name))
    package = types.ModuleType("sklearn")
    package.utils = utils
    monkeypatch.setitem(sys.modules, "sklearn", package)
    monkeypatch.setitem(sys.modules, "sklearn.utils", utils)
    tags = RandomForestClassifier().__sklearn_tags__()
    assert tags.estimator_type == "classifier" and tags.classifier_tags.kind == "ClassifierTags"
    assert tags.regressor_tags is None and tags.target_tags.required is True
    tags = DecisionTreeRegressor().__sklearn_tags__()
    assert tags.estimator_type == "regressor" and tags.regressor_tags.kind == "RegressorTags"
    assert tags.classifier_tags is None
    assert libdeep.model_selection.is_classifier(RandomForestClassifier())
    assert not libdeep.model_selection.is_classifier(RandomForestRegressor())


def test_sklearn_tags_need_a_recent_scikit_learn():
    sklearn = need("sklearn")
    if hasattr(sys.modules.get("sklearn.utils") or __import__("sklearn.utils").utils, "Tags"):
        tags = DecisionTreeClassifier().__sklearn_tags__()
        assert tags.estimator_type == "classifier"
        from sklearn.utils import get_tags
        assert get_tags(DecisionTreeClassifier()).estimator_type == "classifier"
    else:
        with pytest.raises(ImportError):
            DecisionTreeClassifier().__sklearn_tags__()
        assert sklearn.__version__ < "1.6"


@pytest.mark.parametrize("cls", [DecisionTreeClassifier, RandomForestClassifier])
def test_pickle_and_copy_make_independent_estimators(cls):
    x, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    fitted = cls(max_depth=3, class_weight="balanced", random_state=2).fit(x, names)
    for twin in (pickle.loads(pickle.dumps(fitted)), copy.copy(fitted), copy.deepcopy(fitted)):
        assert type(twin) is cls and twin._ptr != fitted._ptr
        assert twin.get_params() == fitted.get_params()
        assert twin.classes_.tolist() == fitted.classes_.tolist() and twin.n_features_in_ == 4
        np.testing.assert_array_equal(twin.predict(x), fitted.predict(x))
        np.testing.assert_allclose(twin.predict_proba(x), fitted.predict_proba(x))
        twin.close()
    assert fitted.score(x, names) > 0.9  # the original is untouched by closing the copies
    unfitted = pickle.loads(pickle.dumps(cls(max_depth=2)))
    assert unfitted.get_params()["max_depth"] == 2 and not unfitted.__sklearn_is_fitted__()
    regressor = RandomForestRegressor(n_estimators=5).fit(x[:, :3], x[:, 3])
    np.testing.assert_allclose(pickle.loads(pickle.dumps(regressor)).predict(x[:, :3]), regressor.predict(x[:, :3]))
    fitted.close()
    with pytest.raises(libdeep.ClosedError):
        pickle.dumps(fitted)


def test_parallel_cross_validation_through_joblib():
    sk = need("sklearn.model_selection")
    x, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    np.testing.assert_allclose(sk.cross_val_score(forest, x, y, cv=3, n_jobs=2),
                               sk.cross_val_score(forest, x, y, cv=3))
