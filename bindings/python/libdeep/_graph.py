"""Symbolic nodes of layer graphs (Keras' functional API).

Calling a layer on nodes records the call in Python and returns a new node; nothing is
built in C until Model(inputs, outputs) replays the calls (models.Model). The output shape
of a first call is inferred by adding the layer to a throw-away C model of the call's
input shapes, so a call the library would refuse (mismatched merge shapes, a kernel larger
than its input) fails at once with the library's own error, as in Keras.
"""

import ctypes
import itertools

import numpy as np

from . import errors
from . import _ffi as C
from ._lib import lib, out, shape_array, i32, i64

_creation = itertools.count()  # creation order is a topological order of every graph


class Node:
    """A symbolic tensor (Keras' KerasTensor): a layer's output, or an input. shape has the
    batch axis first, as None."""

    def __init__(self, sample_shape, layer=None, inputs=(), part=0):
        self._sample_shape = tuple(int(d) for d in sample_shape)
        self._layer = layer
        self._inputs = tuple(inputs)
        self._part = part  # Keras' tensor index: 1 (h) or 2 (c) for a recurrent call's state
        self._states = None  # a recurrent call's state nodes, once asked for
        self._id = next(_creation)
        self._built = {}  # built Model -> this node's number in its C graph

    @property
    def shape(self):
        return (None,) + self._sample_shape

    @property
    def dtype(self):
        return "float32"

    def __repr__(self):
        origin = "Input" if self._layer is None else f"{type(self._layer).__name__} {self._layer.name or ''}".strip()
        return f"<KerasTensor shape={self.shape}, from {origin}>"


def node_shape(address, node):
    dims = (i64 * C.DEEP_MAX_RANK)()
    rank = i64(0)
    lib.deep_model_node_shape(address, node, dims, len(dims), ctypes.byref(rank))
    return tuple(dims[: rank.value])


def input_shapes(address):
    """The sample shapes of a C model's inputs, in the order of their columns in a row."""
    needed = i64(0)
    lib.deep_model_input_nodes(address, None, 0, ctypes.byref(needed))
    nodes = (i32 * max(1, needed.value))()
    lib.deep_model_input_nodes(address, nodes, needed.value, ctypes.byref(needed))
    return [node_shape(address, nodes[k]) for k in range(needed.value)]


def join_inputs(arrays, shapes):
    """One float32 array of rows from one array per input: each sample's inputs flattened,
    one after the other, the rows a C model of several inputs reads."""
    arrays = [np.asarray(a) for a in arrays]
    if len(arrays) != len(shapes):
        raise ValueError(f"the model has {len(shapes)} inputs; got a list of {len(arrays)} arrays")
    n = arrays[0].shape[0] if arrays[0].ndim else 0
    columns = []
    for k, (array, shape) in enumerate(zip(arrays, shapes)):
        if array.ndim == 0 or array.shape[0] != n:
            raise ValueError(f"input {k} has {array.shape[0] if array.ndim else 0} samples; input 0 has {n}")
        if array.shape[1:] != tuple(shape) and int(np.prod(array.shape[1:])) != int(np.prod(shape)):
            raise errors.ShapeError(f"input {k} takes samples of shape {tuple(shape)}; got {array.shape[1:]}")
        columns.append(np.ascontiguousarray(array, dtype=np.float32).reshape(n, -1))
    return np.concatenate(columns, axis=1)


def node_array(nodes):
    return (i32 * max(1, len(nodes)))(*nodes)


def _infer(layer, nodes):
    """The sample shape `layer` gives on `nodes`, from a scratch C model of their shapes."""
    handle = out()
    first = nodes[0]._sample_shape
    lib.deep_model_new(len(first), shape_array(first), ctypes.byref(handle))
    address = handle.value
    try:
        ids = [0]
        for node in nodes[1:]:
            number = i32(0)
            lib.deep_model_add_input(address, len(node._sample_shape), shape_array(node._sample_shape),
                                     ctypes.byref(number))
            ids.append(number.value)
        layer._append_on(address, ids)
        last = i32(0)
        lib.deep_model_last_node(address, ctypes.byref(last))
        return node_shape(address, last.value)
    finally:
        lib.deep_model_free(address)


def state_nodes(output, count, units):
    """The state nodes of the recurrent call that gave `output` (return_state): made once,
    whose only input is the call's output node."""
    if output._states is None:
        output._states = [Node((units,), output._layer, [output], part=k + 1) for k in range(count)]
    return list(output._states)


def call(layer, inputs):
    """layer(inputs): a new node; a second call of one layer object shares its weights."""
    nodes = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    kind = type(layer).__name__
    if not nodes:
        raise ValueError(f"{kind} was called on an empty list of nodes")
    for node in nodes:
        if not isinstance(node, Node):
            raise TypeError(f"{kind} is called on nodes (libdeep.Input(...) or another layer's output) to build a "
                            f"Model; got {type(node).__name__}. To run layers on data, build a Model and predict")
    if getattr(layer, "_wrapper", None) is not None:
        raise errors.StateError(f"this {kind} is wrapped in a Bidirectional; call that instead")
    if layer._model is not None:
        raise errors.StateError(f"this {kind} already belongs to a built model ({layer._model!r}); call layers "
                                f"on nodes before building the Model that holds them")
    for node in nodes:
        owner = None if node._layer is None else node._layer._model
        if owner is not None:
            raise errors.StateError(
                f"{kind} was called on a node of another graph, the built model {owner!r}: a new layer cannot "
                f"join a built model (cut a sub-model from it with Model(inputs, that node), or call all "
                f"layers before building)")
    if layer._calls:  # shared weights: the shapes of the first call
        first = layer._calls[0]
        shapes = [n.shape for n in nodes]
        before = [n.shape for n in first._inputs]
        if getattr(layer, "_state_count", 0):  # with or without initial states: the sequence's shape
            shapes, before = shapes[:1], before[:1]
            if len(nodes) > 1 and any(n._sample_shape != (layer.units,) for n in nodes[1:]):
                raise errors.ShapeError(f"{kind} {layer.name or ''}: initial states must have shape "
                                        f"{(None, layer.units)}; got {[n.shape for n in nodes[1:]]}")
        if shapes != before:
            raise errors.ShapeError(f"{kind} {layer.name or ''} shares the weights of its first call, on "
                                    f"{[n.shape for n in first._inputs]}; it cannot take {shapes}")
        sample_shape = first._sample_shape
    else:
        sample_shape = _infer(layer, nodes)
    node = Node(sample_shape, layer, nodes)
    layer._calls.append(node)
    return node
