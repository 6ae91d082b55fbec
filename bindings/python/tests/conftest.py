"""Shared fixtures. The tests import the package from this source tree (bindings/python)
unless an installed libdeep is asked for with LIBDEEP_TEST_INSTALLED=1; the C library comes
from LIBDEEP_LIBRARY (set by the meson test) or the dynamic loader."""

import os
import sys

import numpy as np
import pytest

if os.environ.get("LIBDEEP_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import libdeep  # noqa: E402


@pytest.fixture
def blobs():
    """Three well separated Gaussian blobs in 4-D: 300 samples, integer labels 0..2."""
    rng = np.random.default_rng(7)
    centers = np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], dtype=np.float32)
    y = rng.integers(0, 3, size=300)
    x = centers[y] + rng.normal(scale=0.5, size=(300, 4)).astype(np.float32)
    return x.astype(np.float32), y.astype(np.int64)


@pytest.fixture
def mlp():
    """A small compiled classifier for the blobs."""
    model = libdeep.Sequential([libdeep.Dense(16, activation="relu", input_shape=(4,)),
                                libdeep.Dense(3, activation="softmax")])
    model.set_seed(3)
    model.compile(optimizer=libdeep.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
