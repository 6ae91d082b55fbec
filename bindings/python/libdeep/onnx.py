"""ONNX models (docs/onnx.md), since libdeep 1.2.

Import: libdeep.onnx.load_model(path) turns an ONNX file, as
torch.onnx.export writes it, into a libdeep model of libdeep's own layers.

The model predicts at once (it is compiled with SGD and mean squared error) and fit trains
the imported weights. To fine-tune with another loss or optimizer, compile a clone and copy
the weights, since compiling again re-initialises them:

    model = libdeep.onnx.load_model("cnn.onnx")
    tuned = libdeep.clone_model(model)
    tuned.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    tuned.copy_weights_from(model)

ONNX images are (N, C, H, W); the imported model takes libdeep's (N, H, W, C):
x.transpose(0, 2, 3, 1) converts a NumPy batch (one-channel images need only a reshape).

Export: libdeep's models, trees and forests handed to other
runtimes (ONNX Runtime, OpenCV's dnn module). docs/onnx.md says what each layer becomes.

    import libdeep.onnx
    libdeep.onnx.save_model(model, "model.onnx")          # opset 13
    data = libdeep.onnx.model_to_bytes(model, opset=17)
    libdeep.onnx.save_model(forest, "forest.onnx")        # ai.onnx.ml TreeEnsembleClassifier

The exported graph takes the model's inputs as libdeep does, channels last with a dynamic
batch dimension; a library built without ONNX raises UnsupportedError."""

import ctypes
import os

from . import errors
from ._lib import lib, out, i64
from .models import Sequential, _load_path

__all__ = ["load_model", "load_model_from_bytes", "save_model", "model_to_bytes"]


def load_model(path):
    """The ONNX model in the file at path as a libdeep model (deep_model_load_onnx)."""
    handle = out()
    lib.deep_model_load_onnx(_load_path(path), ctypes.byref(handle))
    return Sequential._from_handle(handle.value)


def load_model_from_bytes(data):
    """The ONNX model in data (bytes of an ONNX file) as a libdeep model
    (deep_model_load_onnx_buffer)."""
    data = bytes(data)
    handle = out()
    lib.deep_model_load_onnx_buffer(data, len(data), ctypes.byref(handle))
    return Sequential._from_handle(handle.value)


def _calls(model):
    """The C save and buffer calls for a model, a tree or a forest, and their opset argument."""
    from .trees import _Tree, _Forest  # noqa: PLC0415 (trees imports NumPy-heavy modules)
    if isinstance(model, _Tree):
        return lib.deep_tree_save_onnx, lib.deep_tree_save_onnx_buffer, False
    if isinstance(model, _Forest):
        return lib.deep_forest_save_onnx, lib.deep_forest_save_onnx_buffer, False
    if hasattr(model, "_ptr"):
        return lib.deep_model_save_onnx, lib.deep_model_save_onnx_buffer, True
    raise TypeError(f"save_model takes a libdeep model, tree or forest, not {type(model).__name__}")


def _opset(opset, takes):
    if opset is None:
        return 0
    if not takes:
        raise ValueError("trees and forests are exported at fixed opsets (ai.onnx.ml 3); leave opset None")
    if isinstance(opset, bool) or not isinstance(opset, int):
        raise TypeError(f"opset must be an int or None, not {type(opset).__name__}")
    return opset


def save_model(model, path, opset=None):
    """Writes `model` (a Sequential or functional Model, compiled or loaded, or a fitted
    tree or forest) to `path` as ONNX, atomically. opset: the default domain's, 13 to 17
    (None: 13); models only."""
    save, _, takes = _calls(model)
    number = _opset(opset, takes)
    if takes:
        save(model._ptr, os.fsencode(path), number)
    else:
        save(model._ptr, os.fsencode(path))


def model_to_bytes(model, opset=None):
    """The ONNX file's bytes, as save_model would write them."""
    _, fn, takes = _calls(model)
    number = _opset(opset, takes)
    args = (model._ptr, number) if takes else (model._ptr,)
    needed = i64(0)
    try:
        fn(*args, None, 0, ctypes.byref(needed))
    except errors.BufferTooSmallError:
        pass
    buf = ctypes.create_string_buffer(needed.value)
    fn(*args, buf, needed.value, ctypes.byref(needed))
    return buf.raw[: needed.value]
