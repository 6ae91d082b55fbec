import numpy as np
import pytest

import libdeep
from libdeep import metrics


def test_metrics_on_labels():
    truth = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 2, 0])
    assert metrics.accuracy_score(truth, predicted) == pytest.approx(4 / 6)
    matrix = metrics.confusion_matrix(truth, predicted)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    precision, recall, f1 = metrics.precision_recall_fscore(truth, predicted)
    np.testing.assert_allclose(precision, [0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(recall, [0.5, 1.0, 0.5])
    macro = metrics.precision_recall_fscore(truth, predicted, average="macro")
    assert macro[0] == pytest.approx(np.mean(precision))
    assert macro[2] == pytest.approx(np.mean(f1))
    with pytest.raises(libdeep.ShapeError):
        metrics.accuracy_score([0, 1], [0])
    with pytest.raises(libdeep.OutOfRangeError):
        metrics.confusion_matrix([0, 3], [0, 1], num_classes=2)


def test_to_categorical():
    np.testing.assert_array_equal(libdeep.utils.to_categorical([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError):
        libdeep.utils.to_categorical([3], 2)
    with pytest.raises(TypeError):
        libdeep.utils.to_categorical([0.5])


# ---- scikit-learn's classification metrics ------------------------------------------------

from optional import need  # noqa: E402

import warnings  # noqa: E402

TRUTH = np.array(["cat", "dog", "eel", "cat", "dog", "eel", "cat", "cat", "dog", "eel", "eel", "cat"])
PRED = np.array(["cat", "dog", "cat", "cat", "eel", "eel", "dog", "cat", "dog", "eel", "cat", "cat"])


def _labelled(seed, n=60, k=4, strings=False):
    rng = np.random.default_rng(seed)
    names = np.array(["ant", "bee", "cow", "doe", "elk"])[:k] if strings else np.arange(k) * 3 + 1
    truth = rng.choice(names, n)
    pred = np.where(rng.random(n) < 0.6, truth, rng.choice(names, n))
    return truth, pred


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("strings", [False, True])
def test_precision_recall_fscore_support_equals_scikit_learn(average, strings):
    sk = need("sklearn.metrics")
    for seed in range(5):
        truth, pred = _labelled(seed, strings=strings)
        subsets = [None, np.unique(truth)[[2, 0]]]
        for labels in subsets:
            ours = metrics.precision_recall_fscore_support(truth, pred, labels=labels, average=average)
            theirs = sk.precision_recall_fscore_support(truth, pred, labels=labels, average=average)
            for a, b in zip(ours, theirs):
                if b is None:
                    assert a is None
                else:
                    np.testing.assert_allclose(a, b, rtol=1e-12)
            for ours_f, theirs_f in [(metrics.precision_score, sk.precision_score),
                                     (metrics.recall_score, sk.recall_score), (metrics.f1_score, sk.f1_score)]:
                if average is not None:
                    assert ours_f(truth, pred, labels=labels, average=average) == \
                        pytest.approx(theirs_f(truth, pred, labels=labels, average=average), rel=1e-12)


def test_binary_average_pos_label_and_errors():
    sk = need("sklearn.metrics")
    truth, pred = [0, 1, 1, 0, 1, 1, 0], [0, 1, 0, 0, 1, 1, 1]
    for f, g in [(metrics.precision_score, sk.precision_score), (metrics.recall_score, sk.recall_score),
                 (metrics.f1_score, sk.f1_score)]:
        assert f(truth, pred) == pytest.approx(g(truth, pred))
        assert f(truth, pred, pos_label=0) == pytest.approx(g(truth, pred, pos_label=0))
    yes_no_t, yes_no_p = np.array(["no", "yes", "yes", "no"]), np.array(["no", "yes", "no", "yes"])
    assert metrics.f1_score(yes_no_t, yes_no_p, pos_label="yes") == \
        pytest.approx(sk.f1_score(yes_no_t, yes_no_p, pos_label="yes"))
    assert metrics.fbeta_score(truth, pred, beta=2) == pytest.approx(sk.fbeta_score(truth, pred, beta=2))
    with pytest.raises(ValueError, match="pos_label"):
        metrics.f1_score(yes_no_t, yes_no_p)  # pos_label 1 is not a label here
    with pytest.raises(ValueError, match="multiclass"):
        metrics.f1_score(TRUTH, PRED)  # average='binary' on three classes
    with pytest.raises(ValueError, match="average"):
        metrics.f1_score(truth, pred, average="samples")
    with pytest.raises(ValueError, match="continuous"):
        metrics.accuracy_score([0.5, 1.0], [0.5, 1.0])
    with pytest.raises(ValueError, match="accuracy_score: y_true and y_pred are empty"):
        metrics.accuracy_score([], [])
    with pytest.raises(ValueError, match="mix"):
        metrics.f1_score(["a", "b"], [0, 1], average="macro")


def test_zero_division():
    sk = need("sklearn.metrics")
    truth, pred = [0, 0, 1, 1], [0, 0, 0, 0]  # class 1 is never predicted
    with pytest.warns(metrics.UndefinedMetricWarning):
        assert metrics.precision_score(truth, pred) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for zero in (0, 1):
            ours = metrics.precision_recall_fscore_support(truth, pred, zero_division=zero)
            theirs = sk.precision_recall_fscore_support(truth, pred, zero_division=zero)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b)
        nan = metrics.precision_recall_fscore_support(truth, pred, zero_division=np.nan)
        assert np.isnan(nan[0][1]) and nan[0][0] == pytest.approx(0.5)
        assert metrics.precision_score(truth, pred, average="macro", zero_division=np.nan) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        metrics.precision_score(truth, pred, zero_division=2)


def test_accuracy_and_confusion_matrix_with_labels():
    sk = need("sklearn.metrics")
    assert metrics.accuracy_score(TRUTH, PRED) == pytest.approx(sk.accuracy_score(TRUTH, PRED))
    assert metrics.accuracy_score(TRUTH, PRED, normalize=False) == sk.accuracy_score(TRUTH, PRED, normalize=False)
    np.testing.assert_array_equal(metrics.confusion_matrix(TRUTH, PRED), sk.confusion_matrix(TRUTH, PRED))
    for labels in (["eel", "cat"], ["dog", "cat", "eel", "fox"]):
        np.testing.assert_array_equal(metrics.confusion_matrix(TRUTH, PRED, labels=labels),
                                      sk.confusion_matrix(TRUTH, PRED, labels=labels))
    for normalize in ("true", "pred", "all"):
        np.testing.assert_allclose(metrics.confusion_matrix(TRUTH, PRED, normalize=normalize),
                                   sk.confusion_matrix(TRUTH, PRED, normalize=normalize))
    assert metrics.confusion_matrix(TRUTH, PRED).dtype == np.int64
    with pytest.raises(ValueError):
        metrics.confusion_matrix(TRUTH, PRED, labels=["fox"])
    with pytest.raises(TypeError, match="num_classes"):
        metrics.confusion_matrix([0, 1], [0, 1], 2)
    np.testing.assert_array_equal(metrics.confusion_matrix([[0], [1]], [0, 0]), [[1, 0], [1, 0]])  # (n, 1) y


def test_classification_report_equals_scikit_learn():
    sk = need("sklearn.metrics")
    cases = [dict(), dict(digits=4), dict(labels=["eel", "cat"]),
             dict(labels=["cat", "dog", "eel"], target_names=["Cat", "Dog", "Eel (fish)"])]
    for kwargs in cases:
        assert metrics.classification_report(TRUTH, PRED, **kwargs) == sk.classification_report(TRUTH, PRED, **kwargs)
        ours = metrics.classification_report(TRUTH, PRED, output_dict=True, **kwargs)
        theirs = sk.classification_report(TRUTH, PRED, output_dict=True, **kwargs)
        assert list(ours) == list(theirs)
        for key, value in theirs.items():
            if isinstance(value, dict):
                assert list(ours[key]) == list(value)
                for name, number in value.items():
                    assert ours[key][name] == pytest.approx(number, rel=1e-12)
                    assert type(ours[key][name]) is type(number)
            else:
                assert ours[key] == pytest.approx(value)
    truth, pred = _labelled(3, n=200, k=5)
    assert metrics.classification_report(truth, pred) == sk.classification_report(truth, pred)
    with pytest.raises(ValueError):
        metrics.classification_report(TRUTH, PRED, target_names=["a", "b"])
