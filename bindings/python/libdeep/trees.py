"""scikit-learn style trees and forests: DecisionTreeClassifier, DecisionTreeRegressor,
RandomForestClassifier, RandomForestRegressor (deep_tree / deep_forest handles).

fit(X, y) takes NumPy arrays (X of shape (n, features...), flattened per sample) or a
Dataset (y None). As in scikit-learn, a classifier's y may hold any labels: they are
encoded through np.unique into classes_, and predict returns values of classes_. A
classifier fitted on a Dataset uses its integer labels, so classes_ is 0..num_classes-1.
Settings are checked by the C library when the estimator is created; set_params changes
them before the next fit.

scikit-learn's tools accept these estimators: get_params/set_params, _estimator_type and
__sklearn_tags__ (scikit-learn >= 1.6) make sklearn.base.clone and is_classifier work, so
sklearn's cross_val_score(cv=5) uses stratified folds for the classifiers and
GridSearchCV searches their parameters. Pickling (and copy.copy / deepcopy) makes an
independent estimator through the model file, so joblib's worker processes (n_jobs) work.
"""

import ctypes
import json
import os
import tempfile

import numpy as np

from . import _ffi as C
from . import errors
from ._core import Handle, as_float_array, new_tensor, read_array, tensor_to_array
from ._lib import lib, out, read_text, i64, f32, f64
from .data import Dataset

_CLASSIFIER, _REGRESSOR = C.DEEP_TREE_CLASSIFIER, C.DEEP_TREE_REGRESSOR
_CRITERION = {"gini": C.DEEP_CRITERION_GINI, "entropy": C.DEEP_CRITERION_ENTROPY,
              "squared_error": C.DEEP_CRITERION_SQUARED_ERROR}
_SPLITTER = {"auto": C.DEEP_SPLITTER_AUTO, "exact": C.DEEP_SPLITTER_EXACT, "histogram": C.DEEP_SPLITTER_HISTOGRAM}
_MAX_FEATURES = {"sqrt": C.DEEP_MAX_FEATURES_SQRT, "log2": C.DEEP_MAX_FEATURES_LOG2}
_UNLIMITED = C.DEEP_UNLIMITED
# scikit-learn's parameter names -> deep_tree_option.
_OPT = {
    "criterion": C.DEEP_TREE_CRITERION, "max_depth": C.DEEP_TREE_MAX_DEPTH,
    "min_samples_split": C.DEEP_TREE_MIN_SAMPLES_SPLIT, "min_samples_leaf": C.DEEP_TREE_MIN_SAMPLES_LEAF,
    "max_features": C.DEEP_TREE_MAX_FEATURES, "min_impurity_decrease": C.DEEP_TREE_MIN_IMPURITY_DECREASE,
    "random_state": C.DEEP_TREE_SEED, "splitter": C.DEEP_TREE_SPLITTER, "max_bins": C.DEEP_TREE_MAX_BINS,
    "n_estimators": C.DEEP_FOREST_N_ESTIMATORS, "bootstrap": C.DEEP_FOREST_BOOTSTRAP,
    "max_samples": C.DEEP_FOREST_MAX_SAMPLES, "n_jobs": C.DEEP_FOREST_THREADS, "oob_score": C.DEEP_FOREST_OOB_SCORE,
}

class _Estimator(Handle):
    _C = None  # {verb: C function} of deep_tree_* or deep_forest_*
    _tree_kind = None
    _params = ()

    def __init__(self, **params):
        handle = out()
        self._fn("new")(self._tree_kind, ctypes.byref(handle))
        super().__init__(handle.value)
        self._param_values = {}
        self.n_features_in_ = None
        self.classes_ = None
        self.set_params(**params)

    def _fn(self, verb):
        return self._C[verb]

    # ---- what scikit-learn's tools look at (clone, is_classifier, cross_val_score, GridSearchCV)

    def __sklearn_tags__(self):
        """The estimator tags of scikit-learn >= 1.6 (ImportError with an older one, which
        reads _estimator_type instead)."""
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags
        classifier = self._is_classifier
        return Tags(estimator_type="classifier" if classifier else "regressor",
                    target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags() if classifier else None,
                    regressor_tags=None if classifier else RegressorTags(),
                    input_tags=InputTags())

    def __sklearn_is_fitted__(self):
        return self.n_features_in_ is not None

    # Pickling and copying make an independent estimator (a new C object), so that joblib
    # can send estimators to worker processes: cross_val_score / GridSearchCV with n_jobs.
    def __reduce__(self):
        """The parameters and, once fitted, the model file's bytes and classes_."""
        fitted = None
        if self.n_features_in_ is not None:
            with tempfile.TemporaryDirectory(prefix="libdeep-pickle-") as directory:
                path = os.path.join(directory, "estimator")
                self.save(path)
                with open(path, "rb") as f:
                    fitted = f.read()
        return _rebuild, (type(self), dict(self._param_values), fitted, self.classes_)

    def __copy__(self):
        function, args = self.__reduce__()
        return function(*args)

    def __deepcopy__(self, memo):
        return self.__copy__()

    # ---- settings ----------------------------------------------------------------------

    def get_params(self, deep=True):
        return dict(self._param_values)

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self._params:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}; it has {list(self._params)}")
            if name != "class_weight":
                self._apply(name, value)
            self._param_values[name] = value
        return self

    def _apply(self, name, value):
        option = _OPT[name]
        set_int, set_float = self._fn("set_int"), self._fn("set_float")
        if name == "criterion":
            set_int(self._ptr, option, _lookup(_CRITERION, value, name))
        elif name == "splitter":
            set_int(self._ptr, option, _lookup(_SPLITTER, value, name))
        elif name == "max_depth":
            set_int(self._ptr, option, _UNLIMITED if value is None else _int(value, name))
        elif name == "max_features":
            if value is None:
                set_int(self._ptr, option, 0)
            elif isinstance(value, str):
                set_int(self._ptr, option, _lookup(_MAX_FEATURES, value, name))
            elif isinstance(value, float):
                set_float(self._ptr, option, value)
            else:
                set_int(self._ptr, option, _int(value, name))
        elif name == "max_samples":
            if value is None:
                set_int(self._ptr, option, 0)
            elif isinstance(value, float):
                set_float(self._ptr, option, value)
            else:
                set_int(self._ptr, option, _int(value, name))
        elif name == "min_impurity_decrease":
            set_float(self._ptr, option, float(value))
        elif name in ("bootstrap", "oob_score"):
            set_int(self._ptr, option, int(bool(value)))
        elif name == "random_state":
            set_int(self._ptr, option, 0 if value is None else _int(value, name))
        elif name == "n_jobs":
            set_int(self._ptr, option, 0 if value is None or value == -1 else _int(value, name))
        else:
            set_int(self._ptr, option, _int(value, name))

    def _read_params(self):
        """The parameters as the C estimator holds them (deep_*_get_int / _get_float /
        _get_class_weights), in scikit-learn's names and values: what get_params reports
        for a loaded estimator. The inverse of _apply, up to the values _apply folds
        together (random_state None reads 0, n_jobs -1 reads None)."""
        get_int, get_float = self._fn("get_int"), self._fn("get_float")

        def read_int(option):
            value = i64(0)
            get_int(self._ptr, option, ctypes.byref(value))
            return value.value

        def read_float(option):
            value = f64(0)
            get_float(self._ptr, option, ctypes.byref(value))
            return value.value

        params = {}
        for name in self._params:
            if name == "class_weight":
                weights = read_array(self._fn("get_class_weights"), self._ptr, dtype=np.float64)
                params[name] = weights.tolist() if weights.size else None
                continue
            option = _OPT[name]
            if name == "criterion":
                params[name] = _name_of(_CRITERION, read_int(option))
            elif name == "splitter":
                params[name] = _name_of(_SPLITTER, read_int(option))
            elif name == "max_depth":
                depth = read_int(option)
                params[name] = None if depth == _UNLIMITED else depth
            elif name in ("max_features", "max_samples"):
                try:  # either kind: the getter of the kind last set answers
                    value = read_int(option)
                except errors.InvalidArgumentError:
                    params[name] = read_float(option)
                    continue
                if value == 0:
                    params[name] = None
                elif name == "max_features" and value < 0:
                    params[name] = _name_of(_MAX_FEATURES, value)
                else:
                    params[name] = value
            elif name == "min_impurity_decrease":
                params[name] = read_float(option)
            elif name in ("bootstrap", "oob_score"):
                params[name] = bool(read_int(option))
            elif name == "n_jobs":
                params[name] = read_int(option) or None
            else:
                params[name] = read_int(option)
        return params

    # ---- data --------------------------------------------------------------------------

    @property
    def _is_classifier(self):
        return self._tree_kind == _CLASSIFIER

    def _fit_dataset(self, X, y):
        if isinstance(X, Dataset):
            if y is not None:
                raise TypeError("pass either a Dataset or arrays X and y, not a Dataset and y")
            if self._is_classifier:
                self.classes_ = np.arange(X.num_classes)
            return X, False
        if y is None:
            raise TypeError("fit needs y (or a Dataset with labels or targets)")
        data = Dataset(_features(X))
        try:
            y = np.asarray(y)
            if y.ndim != 1 or y.shape[0] != len(data):
                raise errors.ShapeError(f"y must have shape ({len(data)},); got shape {y.shape}")
            if self._is_classifier:
                self.classes_, encoded = np.unique(y, return_inverse=True)
                data.set_labels(encoded.astype(np.int32), len(self.classes_))
            else:
                data.set_targets(as_float_array(y, "y").reshape(-1, 1))
        except BaseException:
            data.close()
            raise
        return data, True

    def _score_dataset(self, X, y):
        if isinstance(X, Dataset):
            if y is not None:
                raise TypeError("pass either a Dataset or arrays X and y, not a Dataset and y")
            return X, False
        data = Dataset(_features(X))
        try:
            y = np.asarray(y)
            if y.ndim != 1 or y.shape[0] != len(data):
                raise errors.ShapeError(f"y must have shape ({len(data)},); got shape {y.shape}")
            if self._is_classifier:
                data.set_labels(self._encode(y), len(self._classes()))
            else:
                data.set_targets(as_float_array(y, "y").reshape(-1, 1))
        except BaseException:
            data.close()
            raise
        return data, True

    def _classes(self):
        if self.classes_ is None:
            raise errors.StateError(f"this {type(self).__name__} is not fitted yet; call fit first")
        return self.classes_

    def _encode(self, y):
        classes = self._classes()
        index = np.searchsorted(classes, y)
        index = np.clip(index, 0, len(classes) - 1)
        if not np.all(classes[index] == y):
            unknown = np.setdiff1d(np.unique(y), classes)
            raise ValueError(f"y holds labels not seen in fit: {unknown[:10].tolist()}")
        return index.astype(np.int32)

    def _class_weights(self, data):
        weight = self._param_values.get("class_weight")
        if weight is None:
            self._fn("set_class_weights")(self._ptr, None, 0)
            return
        if not self._is_classifier:
            raise ValueError("class_weight applies to classifiers only")
        classes = self._classes()
        if isinstance(weight, str):
            if weight != "balanced":
                raise ValueError(f"class_weight must be 'balanced', a dict or a sequence; got {weight!r}")
            counts = np.bincount(data.labels, minlength=len(classes)).astype(np.float64)
            weights = np.where(counts > 0, counts.sum() / (len(classes) * np.maximum(counts, 1)), 0.0)
        elif isinstance(weight, dict):
            weights = np.ones(len(classes))
            for label, value in weight.items():
                hits = np.nonzero(classes == label)[0]
                if hits.size == 0:
                    raise ValueError(f"class_weight names the class {label!r}, which is not in the data")
                weights[hits[0]] = float(value)
        else:
            weights = np.asarray(weight, dtype=np.float64)
        weights = np.ascontiguousarray(weights, dtype=np.float64)
        self._fn("set_class_weights")(self._ptr, weights.ctypes.data, weights.size)

    # ---- fit / predict / score ---------------------------------------------------------

    def fit(self, X, y=None):
        classes = self.classes_
        data, owned = None, False
        try:
            data, owned = self._fit_dataset(X, y)
            self._class_weights(data)
            self._fn("fit")(self._ptr, data._ptr)
            self.n_features_in_ = int(np.prod(data.sample_shape))
        except BaseException:
            self.classes_ = classes  # a failed fit leaves the fitted estimator as it was
            raise
        finally:
            if owned:
                data.close()
        return self

    def _inputs(self, X):
        if isinstance(X, Dataset):
            handle = out()
            lib.deep_dataset_features(X._ptr, ctypes.byref(handle))
            from ._core import Tensor
            return Tensor(handle.value)
        return new_tensor(_features(X), "X")

    def predict(self, X):
        with self._inputs(X) as inputs:
            result = out()
            self._fn("predict")(self._ptr, inputs._ptr, ctypes.byref(result))
        values = tensor_to_array(result.value)
        if self._is_classifier:
            return self._classes()[values.astype(np.int64)]
        return values

    def predict_proba(self, X):
        """(n, classes) probabilities, columns in the order of classes_ (classifiers only)."""
        if not self._is_classifier:
            raise AttributeError(f"{type(self).__name__} has no predict_proba")
        with self._inputs(X) as inputs:
            result = out()
            self._fn("predict_proba")(self._ptr, inputs._ptr, ctypes.byref(result))
        return tensor_to_array(result.value)

    def score(self, X, y=None):
        """Accuracy (classifier) or R^2 (regressor)."""
        data, owned = self._score_dataset(X, y)
        try:
            value = f64(0)
            self._fn("score")(self._ptr, data._ptr, ctypes.byref(value))
            return value.value
        finally:
            if owned:
                data.close()

    @property
    def feature_importances_(self):
        if self.n_features_in_ is None:
            raise errors.StateError(f"this {type(self).__name__} is not fitted yet; call fit first")
        return read_array(self._fn("feature_importances"), self._ptr, dtype=np.float64)

    def cross_val_score(self, X, y=None, cv=5, seed=0, *, shuffle=True, stratify=None):
        """Cross-validated scores in C, one per fold, of fresh learners with this
        estimator's settings (class weights set by fit are kept). The folds are those
        scikit-learn's cross_val_score chooses: stratified for a classifier, plain k-fold
        for a regressor (stratify=True/False forces the choice), here shuffled from seed
        unless shuffle=False (scikit-learn's cross_val_score(cv=k) does not shuffle)."""
        kind = {None: C.DEEP_CV_AUTO, True: C.DEEP_CV_STRATIFIED, False: C.DEEP_CV_KFOLD}.get(stratify)
        if kind is None:
            raise TypeError(f"{type(self).__name__}.cross_val_score(stratify=...) takes None, True or False; "
                            f"got {stratify!r}")
        classes = self.classes_  # _fit_dataset encodes y; the fitted estimator keeps its classes
        try:
            data, owned = self._fit_dataset(X, y)
        finally:
            self.classes_ = classes
        try:
            return read_array(self._fn("cross_val_score_cv"), self._ptr, data._ptr, int(cv), kind,
                              int(bool(shuffle)), int(seed), dtype=np.float64)
        finally:
            if owned:
                data.close()

    # ---- files -------------------------------------------------------------------------

    def save(self, path):
        """The fitted estimator with its settings, in libdeep's tree file format."""
        self._fn("save")(self._ptr, os.fsencode(path))

    @classmethod
    def load(cls, path):
        handle = out()
        cls._C["load"](os.fsencode(path), ctypes.byref(handle))
        self = cls.__new__(cls)
        Handle.__init__(self, handle.value)
        self._param_values = {}
        self.n_features_in_ = None
        self.classes_ = None
        try:
            self._after_load()
            self._param_values = self._read_params()
        except BaseException:
            self.close()
            raise
        return self

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self._param_values.items())
        return f"{type(self).__name__}({params})"


def _rebuild(cls, params, fitted, classes):
    if fitted is None:
        return cls(**params)
    with tempfile.TemporaryDirectory(prefix="libdeep-pickle-") as directory:
        path = os.path.join(directory, "estimator")
        with open(path, "wb") as f:
            f.write(fitted)
        estimator = cls.load(path)
    try:
        estimator.set_params(**params)
    except BaseException:
        estimator.close()
        raise
    estimator.classes_ = classes
    return estimator


def _features(X):
    array = as_float_array(X, "X")
    if array.ndim == 1:
        raise errors.ShapeError(f"X must have shape (samples, features); got shape {array.shape}. "
                                "Use X.reshape(-1, 1) for a single feature")
    if array.ndim > 2:
        array = array.reshape(array.shape[0], -1)
    return array


def _lookup(table, value, name):
    if not isinstance(value, str) or value not in table:
        raise ValueError(f"{name} must be one of {sorted(table)}; got {value!r}")
    return table[value]


def _name_of(table, value):
    return next(name for name, code in table.items() if code == value)


def _int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {value!r}")
    return int(value)


class _Tree(_Estimator):
    # Written out rather than built from a prefix, so that tests/test_ffi.py sees each bound.
    _C = {"new": lib.deep_tree_new, "set_int": lib.deep_tree_set_int, "set_float": lib.deep_tree_set_float,
          "get_int": lib.deep_tree_get_int, "get_float": lib.deep_tree_get_float,
          "set_class_weights": lib.deep_tree_set_class_weights, "get_class_weights": lib.deep_tree_get_class_weights,
          "fit": lib.deep_tree_fit, "predict": lib.deep_tree_predict, "predict_proba": lib.deep_tree_predict_proba,
          "score": lib.deep_tree_score, "feature_importances": lib.deep_tree_feature_importances,
          "cross_val_score": lib.deep_tree_cross_val_score, "cross_val_score_cv": lib.deep_tree_cross_val_score_cv,
          "save": lib.deep_tree_save, "load": lib.deep_tree_load}
    _free = lib.deep_tree_free
    _kind = "tree"
    _copy_hint = " (save and load it to copy it)"
    _params = ("criterion", "splitter", "max_depth", "min_samples_split", "min_samples_leaf", "max_features",
               "min_impurity_decrease", "random_state", "max_bins", "class_weight")

    @property
    def node_count(self):
        count = i64(0)
        lib.deep_tree_node_count(self._ptr, ctypes.byref(count))
        return count.value

    def get_depth(self):
        depth = i64(0)
        lib.deep_tree_depth(self._ptr, ctypes.byref(depth))
        return depth.value

    def get_n_leaves(self):
        return sum(1 for i in range(self.node_count) if self.node(i)[0] < 0)

    def node(self, index):
        """(feature, threshold, left, right) of a node; feature -1 marks a leaf."""
        feature, threshold, left, right = i64(0), f32(0), i64(0), i64(0)
        lib.deep_tree_node(self._ptr, int(index), ctypes.byref(feature), ctypes.byref(threshold),
                           ctypes.byref(left), ctypes.byref(right))
        return feature.value, threshold.value, left.value, right.value

    def node_value(self, index):
        """The node's class fractions (classifier) or mean value (regressor)."""
        return read_array(lib.deep_tree_node_value, self._ptr, int(index), dtype=np.float64)

    def to_json(self):
        return read_text(lib.deep_tree_to_json, self._ptr)

    def _after_load(self):
        info = json.loads(self.to_json())
        kind = _CLASSIFIER if info["kind"] == "classifier" else _REGRESSOR
        if kind != self._tree_kind:
            raise TypeError(f"the file holds a tree {info['kind']}, not a {type(self).__name__}")
        self.n_features_in_ = int(info["n_features"])
        if self._is_classifier:
            self.classes_ = np.arange(int(info["n_classes"]))


class _Forest(_Estimator):
    _C = {"new": lib.deep_forest_new, "set_int": lib.deep_forest_set_int, "set_float": lib.deep_forest_set_float,
          "get_int": lib.deep_forest_get_int, "get_float": lib.deep_forest_get_float,
          "set_class_weights": lib.deep_forest_set_class_weights,
          "get_class_weights": lib.deep_forest_get_class_weights,
          "fit": lib.deep_forest_fit, "predict": lib.deep_forest_predict,
          "predict_proba": lib.deep_forest_predict_proba, "score": lib.deep_forest_score,
          "feature_importances": lib.deep_forest_feature_importances,
          "cross_val_score": lib.deep_forest_cross_val_score,
          "cross_val_score_cv": lib.deep_forest_cross_val_score_cv, "save": lib.deep_forest_save,
          "load": lib.deep_forest_load}
    _free = lib.deep_forest_free
    _kind = "forest"
    _copy_hint = " (save and load it to copy it)"
    _params = ("n_estimators", "criterion", "splitter", "max_depth", "min_samples_split", "min_samples_leaf",
               "max_features", "min_impurity_decrease", "bootstrap", "max_samples", "oob_score", "n_jobs",
               "random_state", "max_bins", "class_weight")

    @property
    def oob_score_(self):
        value = f64(0)
        lib.deep_forest_oob_score(self._ptr, ctypes.byref(value))
        return value.value

    @property
    def tree_count(self):
        count = i64(0)
        lib.deep_forest_tree_count(self._ptr, ctypes.byref(count))
        return count.value

    def _after_load(self):
        # The file does not tell Python its feature count or kind: the importances' size
        # query gives the feature count, then a probe the kind.
        needed = i64(0)
        lib.deep_forest_feature_importances(self._ptr, None, 0, ctypes.byref(needed))
        self.n_features_in_ = int(needed.value)
        probe = np.zeros((1, self.n_features_in_), dtype=np.float32)
        with new_tensor(probe) as inputs:
            result = out()
            try:
                lib.deep_forest_predict_proba(self._ptr, inputs._ptr, ctypes.byref(result))
                classifier = True
            except errors.InvalidArgumentError:
                classifier = False
            if classifier:
                classes = tensor_to_array(result.value).shape[1]
        if classifier != self._is_classifier:
            raise TypeError(f"the file holds a forest {'classifier' if classifier else 'regressor'}, "
                            f"not a {type(self).__name__}")
        if classifier:
            self.classes_ = np.arange(classes)


class DecisionTreeClassifier(_Tree):
    _estimator_type = "classifier"  # what scikit-learn < 1.6 reads (is_classifier, check_cv)
    _tree_kind = _CLASSIFIER

    def __init__(self, criterion="gini", splitter="auto", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 max_features=None, random_state=0, min_impurity_decrease=0.0, class_weight=None, max_bins=256):
        super().__init__(criterion=criterion, splitter=splitter, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, random_state=random_state,
                         min_impurity_decrease=min_impurity_decrease, class_weight=class_weight, max_bins=max_bins)


class DecisionTreeRegressor(_Tree):
    _estimator_type = "regressor"  # what scikit-learn < 1.6 reads (is_classifier, check_cv)
    _tree_kind = _REGRESSOR
    _params = tuple(p for p in _Tree._params if p != "class_weight")

    def __init__(self, criterion="squared_error", splitter="auto", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, max_features=None, random_state=0, min_impurity_decrease=0.0, max_bins=256):
        super().__init__(criterion=criterion, splitter=splitter, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, random_state=random_state,
                         min_impurity_decrease=min_impurity_decrease, max_bins=max_bins)


class RandomForestClassifier(_Forest):
    _estimator_type = "classifier"  # what scikit-learn < 1.6 reads (is_classifier, check_cv)
    _tree_kind = _CLASSIFIER

    def __init__(self, n_estimators=100, criterion="gini", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 max_features="sqrt", min_impurity_decrease=0.0, bootstrap=True, oob_score=False, n_jobs=None,
                 random_state=0, class_weight=None, max_samples=None, splitter="auto", max_bins=256):
        super().__init__(n_estimators=n_estimators, criterion=criterion, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, min_impurity_decrease=min_impurity_decrease,
                         bootstrap=bootstrap, oob_score=oob_score, n_jobs=n_jobs, random_state=random_state,
                         class_weight=class_weight, max_samples=max_samples, splitter=splitter, max_bins=max_bins)


class RandomForestRegressor(_Forest):
    _estimator_type = "regressor"  # what scikit-learn < 1.6 reads (is_classifier, check_cv)
    _tree_kind = _REGRESSOR
    _params = tuple(p for p in _Forest._params if p != "class_weight")

    def __init__(self, n_estimators=100, criterion="squared_error", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, max_features=1.0, min_impurity_decrease=0.0, bootstrap=True, oob_score=False,
                 n_jobs=None, random_state=0, max_samples=None, splitter="auto", max_bins=256):
        super().__init__(n_estimators=n_estimators, criterion=criterion, max_depth=max_depth,
                         min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
                         max_features=max_features, min_impurity_decrease=min_impurity_decrease,
                         bootstrap=bootstrap, oob_score=oob_score, n_jobs=n_jobs, random_state=random_state,
                         max_samples=max_samples, splitter=splitter, max_bins=max_bins)
