"""libdeep.onnx.save_model and model_to_bytes (ONNX export, since 1.2). The files are
checked with onnx's checker where the onnx package is installed (Debian's python3-onnx;
the C test suite's onnx-export test checks them against OpenCV too)."""
import numpy as np
import pytest

import libdeep
import libdeep.onnx
from libdeep.layers import Conv2D, Dense, Flatten, MaxPooling2D

pytestmark = pytest.mark.skipif(not libdeep.has_function("deep_model_save_onnx"),
                                reason="the loaded libdeep has no ONNX export")


def needs_onnx_build():
    try:
        libdeep.onnx.model_to_bytes(_mlp())
    except libdeep.UnsupportedError:
        pytest.skip("libdeep built without ONNX")


def _mlp():
    model = libdeep.Sequential([Dense(8, activation="relu", input_shape=(5,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _check(data):
    onnx = pytest.importorskip("onnx")
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model, full_check=True)
    return model


def test_save_model_matches_bytes(tmp_path):
    needs_onnx_build()
    model = _mlp()
    path = tmp_path / "mlp.onnx"
    libdeep.onnx.save_model(model, path)
    data = path.read_bytes()
    assert data == libdeep.onnx.model_to_bytes(model)
    assert b"libdeep" in data
    m = _check(data)
    assert m.opset_import[0].version == 13
    assert [i.name for i in m.graph.input] == ["input"]
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"


def test_opsets_and_errors(tmp_path):
    needs_onnx_build()
    model = libdeep.Sequential([Conv2D(2, (3, 3), activation="relu", input_shape=(6, 6, 1)), MaxPooling2D((2, 2)),
                                Flatten(), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    m = _check(libdeep.onnx.model_to_bytes(model, opset=17))
    assert m.opset_import[0].version == 17
    with pytest.raises(libdeep.UnsupportedError, match="opsets 13 to 17"):
        libdeep.onnx.model_to_bytes(model, opset=11)
    with pytest.raises(TypeError):
        libdeep.onnx.save_model(model, tmp_path / "m.onnx", opset="13")
    with pytest.raises(TypeError):
        libdeep.onnx.save_model(object(), tmp_path / "m.onnx")
    uncompiled = libdeep.Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(libdeep.StateError, match="compile it"):
        libdeep.onnx.model_to_bytes(uncompiled)


def test_trees(tmp_path):
    needs_onnx_build()
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(60, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    forest = libdeep.RandomForestClassifier(n_estimators=3, max_depth=3, random_state=1).fit(x, y)
    path = tmp_path / "forest.onnx"
    libdeep.onnx.save_model(forest, path)
    m = _check(path.read_bytes())
    assert m.graph.node[0].op_type == "TreeEnsembleClassifier"
    with pytest.raises(ValueError):
        libdeep.onnx.save_model(forest, path, opset=13)
    tree = libdeep.DecisionTreeRegressor(max_depth=2).fit(x, x[:, 0])
    assert _check(libdeep.onnx.model_to_bytes(tree)).graph.node[0].op_type == "TreeEnsembleRegressor"
    with pytest.raises(libdeep.StateError):
        libdeep.onnx.model_to_bytes(libdeep.DecisionTreeClassifier())
