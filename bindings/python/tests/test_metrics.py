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
