"""Splitting data as scikit-learn does: train_test_split, KFold, StratifiedKFold and
cross_val_score, for NumPy arrays, lists and pandas objects (indexed by position).

Split sizes follow scikit-learn exactly: test_size 0.25 by default, a float test_size
rounds the test set up, a float train_size rounds the train set down. The shuffled order
comes from NumPy's RandomState(random_state) for train_test_split and StratifiedKFold,
and from the C library's deep_kfold_indices for KFold. StratifiedKFold without shuffling
is the C library's deep_stratified_kfold_indices, whose folds are scikit-learn's own (which
is what cross_val_score uses); with shuffle=True the classes' fold numbers are shuffled by
NumPy's RandomState(random_state) as scikit-learn shuffles them, so that the folds equal
scikit-learn's for the same random_state (the C call's generator is libdeep's own).
"""

import math
import numbers
import warnings

import numpy as np

from . import _labels
from . import errors
from .data import kfold_indices, stratified_kfold_indices


def _length(array):
    if hasattr(array, "shape") and len(array.shape):
        return int(array.shape[0])
    return len(array)


def _take(array, indices):
    """array[indices] by position, keeping the container's kind (pandas, NumPy, list)."""
    if hasattr(array, "iloc"):
        return array.iloc[indices]
    if hasattr(array, "shape"):
        return array[indices]
    return [array[i] for i in indices]


def _rng(random_state):
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return np.random.RandomState(random_state)
    if isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        return random_state
    raise TypeError(f"random_state must be None, an int or a NumPy random generator; got {random_state!r}")


def _seed(random_state):
    """A 64-bit seed for the C library from random_state (fresh entropy for None)."""
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, bool):
        return int(random_state) & 0xFFFFFFFFFFFFFFFF
    rng = _rng(random_state)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63 - 1))
    return int(rng.randint(0, 2**63 - 1, dtype=np.int64))


def _size(value, n, name):
    if value is None:
        return None
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        if not 0 < value < n:
            raise ValueError(f"{name}={value} must be between 1 and {n - 1} for {n} samples")
        return value
    if isinstance(value, (numbers.Real, np.floating)) and not isinstance(value, bool):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name}={value} must be in (0, 1) as a fraction, or an int count")
        return value
    raise TypeError(f"{name} must be an int, a float or None; got {value!r}")


def split_sizes(n, test_size=None, train_size=None):
    """(n_train, n_test) as scikit-learn's train_test_split computes them."""
    if test_size is None and train_size is None:
        test_size = 0.25
    test, train = _size(test_size, n, "test_size"), _size(train_size, n, "train_size")
    n_test = None if test is None else (math.ceil(test * n) if isinstance(test, float) else int(test))
    n_train = None if train is None else (math.floor(train * n) if isinstance(train, float) else int(train))
    if n_train is None:
        n_train = n - n_test
    if n_test is None:
        n_test = n - n_train
    if n_train + n_test > n:
        raise ValueError(f"train_size and test_size ask for {n_train} + {n_test} samples; there are {n}")
    if n_train == 0 or n_test == 0:
        raise ValueError(f"with {n} samples, test_size={test_size} and train_size={train_size} leave the "
                         f"{'train' if n_train == 0 else 'test'} set empty; change them")
    return n_train, n_test


def _allot(counts, total, rng):
    """Spreads `total` draws over classes in proportion to counts (at most counts each):
    the floor of each share, then one more to the largest remainders (ties at random)."""
    share = counts * total / counts.sum()
    taken = np.floor(share).astype(np.int64)
    left = int(total - taken.sum())
    remainder = share - taken
    while left > 0:
        room = np.nonzero((remainder == remainder.max()) & (taken < counts))[0]
        if room.size == 0:
            room = np.nonzero(taken < counts)[0]
        pick = room[rng.permutation(room.size)[:left]]
        taken[pick] += 1
        remainder[pick] = -1
        left -= pick.size
    return taken


def _stratified(y, n_train, n_test, rng):
    classes, encoded = np.unique(y, return_inverse=True)
    counts = np.bincount(encoded)
    if counts.min() < 2:
        raise ValueError(f"stratify: the class {classes[counts.argmin()]!r} has only 1 sample; each class "
                         "needs at least 2")
    if n_train < len(classes) or n_test < len(classes):
        raise ValueError(f"stratify: {len(classes)} classes need train and test sets of at least "
                         f"{len(classes)} samples each; got {n_train} and {n_test}")
    train_counts = _allot(counts, n_train, rng)
    test_counts = _allot(counts - train_counts, n_test, rng)
    train, test = [], []
    for c in range(len(classes)):
        members = rng.permutation(np.nonzero(encoded == c)[0])
        train.append(members[: train_counts[c]])
        test.append(members[train_counts[c]: train_counts[c] + test_counts[c]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def train_test_split(*arrays, test_size=None, train_size=None, random_state=None, shuffle=True, stratify=None):
    """Splits any number of arrays of one length into train and test parts:
    [a_train, a_test, b_train, b_test, ...]. stratify (labels, usually y) keeps the class
    proportions in both parts (needs shuffle=True)."""
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    lengths = {_length(a) for a in arrays}
    if len(lengths) != 1:
        raise errors.ShapeError(f"train_test_split: the arrays have different lengths {sorted(lengths)}")
    n = lengths.pop()
    n_train, n_test = split_sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("train_test_split: stratify needs shuffle=True")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    elif stratify is not None:
        y = _labels.column(stratify, "stratify")
        if len(y) != n:
            raise errors.ShapeError(f"train_test_split: stratify has {len(y)} labels for {n} samples")
        train, test = _stratified(y, n_train, n_test, _rng(random_state))
    else:
        order = _rng(random_state).permutation(n)
        test, train = order[:n_test], order[n_test: n_test + n_train]
    result = []
    for array in arrays:
        result += [_take(array, train), _take(array, test)]
    return result


class _Splitter:
    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        if isinstance(n_splits, bool) or not isinstance(n_splits, (numbers.Integral, np.integer)):
            raise TypeError(f"n_splits must be an int; got {n_splits!r}")
        if n_splits < 2:
            raise ValueError(f"n_splits must be at least 2; got {n_splits}")
        if not shuffle and random_state is not None:
            raise ValueError("random_state has no effect when shuffle is False; leave it None or set shuffle=True")
        self.n_splits, self.shuffle, self.random_state = int(n_splits), bool(shuffle), random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def __repr__(self):
        return (f"{type(self).__name__}(n_splits={self.n_splits}, random_state={self.random_state!r}, "
                f"shuffle={self.shuffle})")


class KFold(_Splitter):
    """Consecutive folds of the (optionally shuffled) samples; the first n % n_splits
    folds have one sample more. split() yields sorted (train, test) index arrays."""

    def split(self, X, y=None, groups=None):
        n = _length(X)
        if self.n_splits > n:
            raise ValueError(f"KFold: n_splits={self.n_splits} is more than the {n} samples")
        seed = _seed(self.random_state) if self.shuffle else 0
        for fold in range(self.n_splits):
            yield kfold_indices(n, self.n_splits, fold, shuffle=self.shuffle, seed=seed)


class StratifiedKFold(_Splitter):
    """Folds that keep each class's share: the samples sorted by class are dealt to the
    folds in turn, which fixes how many of each class every fold gets; within a class the
    samples go to folds in their order (shuffled with shuffle=True). split() yields sorted
    (train, test) index arrays."""

    def split(self, X, y, groups=None):
        y = _labels.column(y, "y")
        n = _length(X)
        if len(y) != n:
            raise errors.ShapeError(f"StratifiedKFold: y has {len(y)} labels for {n} samples")
        kind = _labels.target_type(y, names=["y"])
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"StratifiedKFold needs class labels; got {kind} values")
        # Classes numbered by first appearance, as scikit-learn numbers them.
        _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
        encoded = np.argsort(np.argsort(first))[inverse]
        counts = np.bincount(encoded)
        if np.all(self.n_splits > counts):
            raise ValueError(f"StratifiedKFold: n_splits={self.n_splits} is more than the samples of every class")
        if self.n_splits > counts.min():
            warnings.warn(f"the least populated class in y has only {counts.min()} members, fewer than "
                          f"n_splits={self.n_splits}", UserWarning, stacklevel=2)
        if not self.shuffle:
            for fold in range(self.n_splits):
                yield stratified_kfold_indices(encoded, self.n_splits, fold)
            return
        # Shuffled: scikit-learn's draws from NumPy's generator, so the folds equal its own.
        ordered = np.sort(encoded)
        share = np.array([np.bincount(ordered[f:: self.n_splits], minlength=len(counts))
                          for f in range(self.n_splits)])
        rng = _rng(self.random_state)
        fold_of = np.empty(n, dtype=np.int64)
        for c in range(len(counts)):
            folds = np.repeat(np.arange(self.n_splits), share[:, c])
            rng.shuffle(folds)
            fold_of[encoded == c] = folds
        for fold in range(self.n_splits):
            yield np.nonzero(fold_of != fold)[0], np.nonzero(fold_of == fold)[0]


def is_classifier(estimator):
    """Whether scikit-learn would call estimator a classifier (its estimator type tag)."""
    tags = getattr(estimator, "__sklearn_tags__", None)
    if tags is not None:
        try:
            return tags().estimator_type == "classifier"
        except ImportError:  # scikit-learn too old (or absent) for the Tags object
            pass
    return getattr(estimator, "_estimator_type", None) == "classifier"


def clone(estimator):
    """A new unfitted estimator of the same class with the same parameters."""
    params = estimator.get_params(deep=False)
    return type(estimator)(**params)


def check_cv(cv=5, y=None, *, classifier=False):
    """A splitter: StratifiedKFold(cv) for a classifier with class labels, else KFold(cv);
    a splitter or an iterable of (train, test) pairs is passed through."""
    if cv is None:
        cv = 5
    if isinstance(cv, (numbers.Integral, np.integer)) and not isinstance(cv, bool):
        if classifier and y is not None and \
                _labels.target_type(_labels.column(y, "y"), names=["y"]) in ("binary", "multiclass"):
            return StratifiedKFold(int(cv))
        return KFold(int(cv))
    if hasattr(cv, "split"):
        return cv
    folds = list(cv)
    return _Fixed(folds)


class _Fixed:
    def __init__(self, folds):
        self.folds = folds

    def split(self, X, y=None, groups=None):
        return iter(self.folds)


def _scorer(scoring):
    if scoring is None:
        return lambda estimator, X, y: estimator.score(X, y)
    if callable(scoring):
        return scoring
    from . import metrics
    if scoring == "accuracy":
        return lambda estimator, X, y: metrics.accuracy_score(y, estimator.predict(X))
    for name, function in (("f1", metrics.f1_score), ("precision", metrics.precision_score),
                           ("recall", metrics.recall_score)):
        for average in ("", "_micro", "_macro", "_weighted"):
            if scoring == name + average:
                kind = average[1:] or "binary"
                return lambda estimator, X, y, f=function, a=kind: f(y, estimator.predict(X), average=a)
    raise ValueError(f"scoring {scoring!r} is not known; use None (the estimator's score), a callable "
                     "scorer(estimator, X, y), 'accuracy', or f1/precision/recall with _micro/_macro/_weighted")


def cross_val_score(estimator, X, y=None, *, cv=5, scoring=None):
    """One score per fold of a fresh clone of estimator trained on the other folds.
    cv: an int (StratifiedKFold for classifiers, as scikit-learn, else KFold, unshuffled),
    a splitter with split(X, y), or an iterable of (train, test) index pairs. scoring:
    None (estimator.score), a callable scorer(estimator, X, y) or a name ('accuracy',
    'f1_macro', ...)."""
    splitter = check_cv(cv, y, classifier=is_classifier(estimator))
    score = _scorer(scoring)
    scores = []
    for train, test in splitter.split(X, y):
        model = clone(estimator)
        if y is None:
            model.fit(_take(X, train))
            scores.append(score(model, _take(X, test), None))
        else:
            model.fit(_take(X, train), _take(y, train))
            scores.append(score(model, _take(X, test), _take(y, test)))
        close = getattr(model, "close", None)
        if close is not None:
            close()  # a libdeep estimator holds C memory until closed
    return np.asarray(scores, dtype=np.float64)
