"""The Python layer classes against the C library's layer registry: docs/layers.md is
generated from the registry's field tables (and checked to be current by the C test suite
'registry'), so comparing the constructors with it keeps the binding from drifting. Also
Reshape and reading layer options back."""

import inspect
import pathlib
import re

import numpy as np
import pytest

import libdeep
from libdeep import layers

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "layers.md"


def registry():
    """{Keras class name: [(field, set by)]} from docs/layers.md."""
    if not DOCS.exists():
        pytest.skip("docs/layers.md is not in this tree")
    types, current = {}, None
    for line in DOCS.read_text().splitlines():
        heading = re.match(r"^## (\w+)$", line)
        if heading:
            current = types.setdefault(heading.group(1), [])
            continue
        row = re.match(r"^\| `(\w+)` \| [^|]* \| ([^|]*) \|", line)
        if row and current is not None:
            current.append((row.group(1), row.group(2).strip()))
    return types


def constructor_fields(cls):
    # return_state is not in the C config: it asks the graph for a call's state nodes
    # (deep_model_state_nodes), so the model file keeps it in the graph.
    params = inspect.signature(cls.__init__).parameters
    # **kwargs carries Keras' weight arguments (kernel_initializer, ...), which are not
    # fields of the layer's config (test_weight_rules.py checks them).
    return [name for name, p in params.items()
            if name not in ("self", "input_shape", "name", "return_state") and p.kind != p.VAR_KEYWORD]


def test_every_registered_type_has_a_python_class():
    types = registry()
    assert len(types) >= 16
    for class_name in types:
        assert hasattr(layers, class_name), f"libdeep.layers has no {class_name}"
        assert class_name in libdeep.__all__


@pytest.mark.parametrize("class_name", sorted(set(re.findall(r"^## (\w+)$", DOCS.read_text(), re.M)))
                         if DOCS.exists() else [])
def test_constructor_takes_the_registry_fields(class_name):
    fields = registry()[class_name]
    have = constructor_fields(getattr(layers, class_name))
    assert sorted(have) == sorted(name for name, _ in fields), (
        f"{class_name}({', '.join(have)}) differs from the C field table {[n for n, _ in fields]}")


def test_layer_options_match_the_registry():
    options = {}
    for fields in registry().values():
        for name, set_by in fields:
            match = re.match(r"DEEP_LAYER_(\w+)", set_by)
            if match:
                options[name] = match.group(1).lower()
    assert options and all(name == enum for name, enum in options.items())
    assert set(options) == set(layers._LAYER_OPTIONS)


def test_reshape():
    model = libdeep.Sequential([layers.Input((12,)), layers.Reshape((3, -1)), layers.Flatten(),
                                layers.Dense(2)])
    assert model.layers[0].target_shape == (3, -1)
    model.compile("sgd", "mse")
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    assert model.predict(x).shape == (2, 2)
    with pytest.raises(libdeep.ShapeError, match="target_shape"):
        libdeep.Sequential([layers.Input((12,)), layers.Reshape((5, 3))])
    with pytest.raises(libdeep.InvalidArgumentError, match="more than one -1"):
        libdeep.Sequential([layers.Input((12,)), layers.Reshape((-1, 2, -1))])
    with pytest.raises(TypeError):
        layers.Reshape(3)


def test_get_option():
    lstm = layers.LSTM(4, dropout=0.1, go_backwards=True, unit_forget_bias=False)
    model = libdeep.Sequential([layers.Input((5, 3)), lstm, layers.Dense(1)])
    assert lstm.get_option("dropout") == pytest.approx(0.1)
    assert lstm.get_option("dropout") == float(np.float32(0.1))
    assert lstm.get_option("recurrent_dropout") == 0.0
    assert lstm.get_option("go_backwards") is True
    assert lstm.get_option("unit_forget_bias") is False
    with pytest.raises(libdeep.InvalidArgumentError, match="reset_after"):
        lstm.get_option("reset_after")
    with pytest.raises(libdeep.InvalidArgumentError):
        model.layers[1].get_option("dropout")
    with pytest.raises(ValueError):
        lstm.get_option("units")
    with pytest.raises(libdeep.StateError):
        layers.GRU(3).get_option("reset_after")
