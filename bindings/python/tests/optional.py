"""Optional test dependencies (scikit-learn, pandas): skipped when missing on a developer's
machine, but required in CI (CI set), where a missing one must fail the run."""

import importlib
import os

import pytest


def need(module):
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module)
