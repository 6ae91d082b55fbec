"""ONNX models (docs/onnx.md): libdeep.onnx.load_model(path) turns an ONNX file, as
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
"""

import ctypes

from ._lib import lib, out
from .models import Sequential, _load_path

__all__ = ["load_model", "load_model_from_bytes"]


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
