"""Models of several outputs (Keras' Model(inputs, [out1, out2])): compile's per-output
losses and loss weights, the C target rows, the split of predict's rows, and Keras' names
of the per-output statistics.

The C library (deep_model_compile_outputs) reads one target row per sample holding every
output's targets one after the other, each the output's size, or one label (a whole number)
for sparse categorical cross-entropy; predict gives each sample's outputs flattened one
after the other; evaluate gives the total loss, each output's loss, then each output's
metrics. This module converts between those rows and Keras' lists and dicts of arrays.
"""

import ctypes

import numpy as np

from . import errors
from . import _ffi as C
from ._graph import node_shape
from ._lib import lib, i32, i64


def output_info(model):
    """[(name, sample shape)] of a C model's outputs, in the order of deep_model_output_nodes.
    The name is the Python layer's (Keras' output name), with "_h" or "_c" for a recurrent
    call's state (return_state); "output_k" when it is unknown (a loaded model's layers have no
    Python names)."""
    address = model._ptr
    needed = i64(0)
    lib.deep_model_output_nodes(address, None, 0, ctypes.byref(needed))
    nodes = (i32 * max(1, needed.value))()
    lib.deep_model_output_nodes(address, nodes, needed.value, ctypes.byref(needed))
    info = []
    for k in range(needed.value):
        layer = i32(0)
        lib.deep_model_node_layer(address, nodes[k], ctypes.byref(layer))
        name = None
        if 0 <= layer.value < len(model.layers):
            name = model.layers[layer.value].name
        part = i32(0)
        lib.deep_model_node_output_index(address, nodes[k], ctypes.byref(part))
        if name and part.value:
            owner = model.layers[layer.value]
            names = getattr(getattr(owner, "source", None) or owner, "_state_names", None)
            name += "_" + (names[part.value - 1] if names else str(part.value))
        info.append((name or f"output_{k}", node_shape(address, nodes[k])))
    return info


def per_output(value, names, what, default=None):
    """value (one for all, a list in output order, or a dict by output name) as a list of
    one entry per output; a dict may leave out outputs only when a default is given."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"{what} names no output {unknown}; the outputs are {names}")
        if default is None and len(value) != len(names):
            raise ValueError(f"{what} needs an entry for every output; missing {[n for n in names if n not in value]}")
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"the model has {len(names)} outputs {names}; {what} has {len(value)} entries")
        return list(value)
    return [value] * len(names)


def metric_list(metrics, names):
    """compile's metrics as one list for every output: a flat list as it is, Keras'
    per-output forms (a list of lists, a dict by output name) when every output gets the
    same metrics, as the C library computes them."""
    if metrics is None:
        return []
    nested = isinstance(metrics, dict) or (isinstance(metrics, (list, tuple)) and len(metrics) > 0 and
                                           all(isinstance(m, (list, tuple)) or m is None for m in metrics))
    if not nested:
        return list(metrics)
    lists = [list(m or []) for m in per_output(metrics, names, "metrics", [])]
    keys = [[str(m).lower() for m in entry] for entry in lists]
    if any(k != keys[0] for k in keys):
        raise errors.UnsupportedError(f"metrics={metrics!r}: the library computes the same metrics for every "
                                      f"output; give one list for all")
    return lists[0]


def target_rows(y, info, losses):
    """Keras' y of a model of several outputs (a list of arrays in output order, or a dict by
    output name; or already the rows) as the float32 rows the C library reads."""
    names = [name for name, _ in info]
    if not isinstance(y, (list, tuple, dict)):
        rows = np.asarray(y, dtype=np.float32)
        if rows.ndim != 2:
            raise ValueError(f"the model has {len(names)} outputs {names}: pass y as a list of arrays (one per "
                             f"output) or a dict by output name")
        return np.ascontiguousarray(rows)
    arrays = per_output(y, names, "y")
    n = None
    columns = []
    for k, ((name, shape), array, loss) in enumerate(zip(info, arrays, losses)):
        array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"the targets of output {name} must hold numbers; got dtype {array.dtype}")
        if array.ndim == 0:
            raise ValueError(f"the targets of output {name} must be an array of samples")
        if n is None:
            n = array.shape[0]
        elif array.shape[0] != n:
            raise ValueError(f"output {name} has targets for {array.shape[0]} samples; output {names[0]} for {n}")
        column = array.reshape(n, -1).astype(np.float32)
        size = int(np.prod(shape))
        sparse = loss == C.DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY
        # A sparse loss reads one label per sample, or per step of a (steps, classes) output;
        # an unknown loss (a loaded model) one label or values.
        steps = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        width = steps if sparse else size
        if column.shape[1] != width and not (loss is None and column.shape[1] == 1):
            what = (f"one label per step, (n, {steps})" if steps > 1 else "one label per sample, (n,) or (n, 1)") \
                if sparse else f"samples of shape {tuple(shape)}"
            raise ValueError(f"output {name} takes {what}; got targets of shape {array.shape}")
        columns.append(column)
    return np.ascontiguousarray(np.concatenate(columns, axis=1))


def split_rows(rows, info):
    """predict's rows (n, the outputs' sizes summed) as one array per output, each shaped
    (n, output shape...)."""
    rows = np.asarray(rows)
    n = rows.shape[0]
    parts, start = [], 0
    for _, shape in info:
        size = int(np.prod(shape))
        parts.append(rows[:, start:start + size].reshape((n,) + tuple(shape)))
        start += size
    return parts


def stat_names(info, metric_names):
    """Keras' names of evaluate's values (and the history keys) in the C library's order:
    the total loss, each output's loss, then each output's metrics."""
    names = ["loss"] + [f"{name}_loss" for name, _ in info]
    return names + [f"{name}_{metric}" for name, _ in info for metric in metric_names]


def stat_keys(info, metric_names, metric_codes):
    """(name, output, metric code) for deep_model_history_output, in stat_names' order;
    output -1 is the total loss."""
    keys = [("loss", -1, C.DEEP_METRIC_LOSS)]
    keys += [(f"{name}_loss", k, C.DEEP_METRIC_LOSS) for k, (name, _) in enumerate(info)]
    for k, (name, _) in enumerate(info):
        keys += [(f"{name}_{metric}", k, code) for metric, code in zip(metric_names, metric_codes)]
    return keys
