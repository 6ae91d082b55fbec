"""keras.Model(inputs, outputs): a layer graph (Keras' functional API).

The calls recorded on symbolic nodes (_graph.py) are replayed into one C model: the first
input by deep_model_new, the others by deep_model_add_input (in the order of `inputs`,
which is the order of their columns in a data row), then every call in creation order
(deep_model_connect + the layer's deep_model_add_*, or deep_model_apply_layer for a layer
called again), then deep_model_set_outputs. Nodes of a model already built make a
sub-model instead (deep_model_submodel), which shares the weights of a compiled model.
Everything else (compile, fit, evaluate, predict, weights, files) is Sequential's, which
handles several outputs through _outputs.py.
"""

import ctypes

import numpy as np

from . import errors
from ._core import Handle
from ._graph import Node, join_inputs, node_array, node_shape
from ._lib import lib, out, shape_array, read_text, i32, i64
from .data import Dataset
from .layers import Input, LoadedLayer
from .models import Sequential


def _node_list(value, what):
    nodes = list(value) if isinstance(value, (list, tuple)) else [value]
    if not nodes:
        raise ValueError(f"Model needs at least one node in {what}")
    for node in nodes:
        if not isinstance(node, Node):
            raise TypeError(f"Model's {what} must be nodes (libdeep.Input(...) or a layer's output); got {node!r}")
    return nodes


def _numbers(fn, *args):
    """The node numbers a (..., int32_t *nodes, capacity, needed) call gives."""
    needed = i64(0)
    fn(*args, None, 0, ctypes.byref(needed))
    numbers = (i32 * max(1, needed.value))()
    fn(*args, numbers, needed.value, ctypes.byref(needed))
    return list(numbers[: needed.value])


def _owner(node):
    return None if node._layer is None else node._layer._model


def _walk(inputs, outputs):
    """The nodes the outputs need, stopping at the inputs, by creation order."""
    stops = {id(n) for n in inputs}
    seen, stack = {}, list(outputs)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        if id(node) in stops:
            continue
        if node._layer is None:
            raise ValueError(f"the outputs are not reachable from the given inputs alone: they need {node!r} too")
        stack.extend(node._inputs)
    for node in inputs:
        if id(node) not in seen:
            raise ValueError(f"input {node!r} is dangling: no output depends on it")
    return sorted(seen.values(), key=lambda n: n._id)


class Model(Sequential):
    """keras.Model(inputs, outputs): inputs and outputs are a node or a list of nodes. With
    several inputs, fit, evaluate and predict take a list of arrays, one per input in the
    order of `inputs`. With several outputs, compile takes one loss for all, a list or a
    dict by output layer name (and loss_weights); fit, evaluate and train_on_batch take y
    as a list of arrays (or a dict by output name; one label column per sample for a sparse
    loss); predict returns a list of arrays; the history and evaluate(return_dict=True)
    use Keras' names ("loss", "dense_2_loss", "dense_2_accuracy", "val_...")."""

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        self._inputs_given, self._outputs_given = inputs, outputs
        self._input_nodes = _node_list(inputs, "inputs")
        self._output_nodes = _node_list(outputs, "outputs")
        if len({id(n) for n in self._input_nodes}) != len(self._input_nodes):
            raise ValueError("a node is given twice in inputs")
        owners = {_owner(n) for n in self._output_nodes}
        if owners != {None}:
            self._cut(owners)
        else:
            self._build_graph()

    def add(self, layer):
        raise TypeError("a functional Model takes its layers from its nodes; call layers on nodes instead of add()")

    # ---- building ----------------------------------------------------------------------

    def _build_graph(self):
        for node in self._input_nodes:
            if not isinstance(node, Input):
                raise ValueError(f"{node!r} is a layer's output of a graph not built yet: a Model's inputs are "
                                 f"libdeep.Input nodes (cut inner nodes from a built Model)")
        nodes = _walk(self._input_nodes, self._output_nodes)
        for node in nodes:
            if node._layer is not None and node._layer._model is not None:
                raise errors.StateError(f"layer {node._layer.name} already belongs to model {node._layer._model!r}: "
                                        f"build the largest model first, then cut sub-models from its nodes")
        handle = out()
        first = self._input_nodes[0]._sample_shape
        lib.deep_model_new(len(first), shape_array(first), ctypes.byref(handle))
        Handle.__init__(self, handle.value)
        numbers = {id(self._input_nodes[0]): 0}
        try:
            for node in self._input_nodes[1:]:
                number = i32(0)
                lib.deep_model_add_input(self._ptr, len(node._sample_shape), shape_array(node._sample_shape),
                                         ctypes.byref(number))
                numbers[id(node)] = number.value
            for node in nodes:
                if node._layer is None:
                    continue
                if node._part:  # a recurrent call's state (return_state)
                    states, needed = (i32 * 4)(), i64(0)  # at most 4 (Bidirectional(LSTM))
                    lib.deep_model_state_nodes(self._ptr, numbers[id(node._inputs[0])], states, len(states),
                                               ctypes.byref(needed))
                    numbers[id(node)] = states[node._part - 1]
                    continue
                numbers[id(node)] = self._replay(node, [numbers[id(n)] for n in node._inputs])
            outputs = [numbers[id(n)] for n in self._output_nodes]
            lib.deep_model_set_outputs(self._ptr, node_array(outputs), len(outputs))
        except BaseException:
            for layer in self.layers:
                layer._model = layer._index = None
            self.layers = []
            self.close()
            raise
        for node in nodes:
            node._built[self] = numbers[id(node)]

    def _replay(self, node, inputs):
        """Adds node's call to the C graph; returns the new node's number."""
        layer = node._layer
        number = i32(0)
        if layer._model is self:  # called before: the same weights
            lib.deep_model_apply_layer(self._ptr, layer._index, node_array(inputs), len(inputs), ctypes.byref(number))
            return number.value
        self._append(layer, inputs)
        lib.deep_model_last_node(self._ptr, ctypes.byref(number))
        return number.value

    def _cut(self, owners):
        source = next(iter(owners))
        if len(owners) != 1 or source is None or not isinstance(source, Model):
            raise ValueError("to cut a sub-model, every output must be a node of one built Model; got nodes of "
                             f"{sorted(repr(o) for o in owners)}")
        for node in self._input_nodes:
            if source not in node._built:
                raise ValueError(f"input {node!r} is not a node of {source!r}, whose outputs were given")
        inputs = [n._built[source] for n in self._input_nodes]
        outputs = [n._built[source] for n in self._output_nodes]
        handle = out()
        lib.deep_model_submodel(source._ptr, node_array(inputs), len(inputs), node_array(outputs), len(outputs),
                                ctypes.byref(handle))
        Handle.__init__(self, handle.value)
        self._seed = source._seed
        # The sub-model's layers are the needed layers in the order of their first call.
        firsts = []
        for node in _walk(self._input_nodes, self._output_nodes):
            if node._layer is not None and id(node) not in {id(n) for n in self._input_nodes} and \
                    all(node._layer is not f for f in firsts):
                firsts.append(node._layer)
        count = i32(0)
        lib.deep_model_layer_count(self._ptr, ctypes.byref(count))
        for index in range(count.value):
            layer = LoadedLayer(name=firsts[index].name if len(firsts) == count.value else None)
            layer.source = firsts[index] if len(firsts) == count.value else None
            layer._attach(self, index)
            self.layers.append(layer)

    # ---- a loaded graph -------------------------------------------------------------------

    @classmethod
    def _from_handle(cls, address):
        """A C model (a loaded file, a clone) with the nodes of its graph, as if it had been
        built here: an Input per input node, a node per call of its layers (whose names
        are the file's), so that inputs, outputs, layer.output and sub-models work."""
        model = cls.__new__(cls)
        Sequential.__init__(model, _address=address)
        count = i32(0)
        lib.deep_model_layer_count(address, ctypes.byref(count))
        for index in range(count.value):
            layer = LoadedLayer(name=read_text(lib.deep_model_layer_name, address, index))
            layer._attach(model, index)
            model.layers.append(layer)
        lib.deep_model_node_count(address, ctypes.byref(count))
        nodes = []
        for number in range(count.value):
            layer, part = i32(0), i32(0)
            lib.deep_model_node_layer(address, number, ctypes.byref(layer))
            shape = node_shape(address, number)
            if layer.value < 0:
                node = Input(shape=shape)
            else:
                owner = model.layers[layer.value]
                inputs = [nodes[k] for k in _numbers(lib.deep_model_node_inputs, address, number)]
                lib.deep_model_node_output_index(address, number, ctypes.byref(part))
                node = Node(shape, owner, inputs, part=part.value)
                if part.value:  # a state of the call it reads (return_state)
                    inputs[0]._states = (inputs[0]._states or []) + [node]
                else:
                    owner._calls.append(node)
            node._built[model] = number
            nodes.append(node)
        model._input_nodes = [nodes[k] for k in _numbers(lib.deep_model_input_nodes, address)]
        model._output_nodes = [nodes[k] for k in _numbers(lib.deep_model_output_nodes, address)]
        model._inputs_given, model._outputs_given = model.input, model.output
        return model

    # ---- Keras' properties ---------------------------------------------------------------

    @property
    def inputs(self):
        return list(self._input_nodes)

    @property
    def outputs(self):
        return list(self._output_nodes)

    @property
    def input(self):
        return self._input_nodes[0] if len(self._input_nodes) == 1 else list(self._input_nodes)

    @property
    def output(self):
        return self._output_nodes[0] if len(self._output_nodes) == 1 else list(self._output_nodes)

    @property
    def input_shape(self):
        shapes = [n.shape for n in self._input_nodes]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [n.shape for n in self._output_nodes]
        return shapes[0] if len(shapes) == 1 else shapes

    # ---- data: one array per input -------------------------------------------------------

    def _join(self, x):
        """A list of arrays (one per input) as one float32 array: each sample's inputs
        flattened one after the other, the rows the C model reads."""
        if isinstance(x, Dataset):
            return x
        if not isinstance(x, (list, tuple)):
            total = sum(int(np.prod(n._sample_shape)) for n in self._input_nodes)
            if len(self._input_nodes) > 1 and (np.ndim(x) != 2 or np.shape(x)[1] != total):
                raise ValueError(f"the model has {len(self._input_nodes)} inputs: pass a list of as many arrays "
                                 f"(or one array of {total} columns: each input's sample flattened, in order)")
            return x
        if len(self._input_nodes) == 1:  # [x] (Keras' list of inputs), else rows given as lists
            rank = len(self._input_nodes[0]._sample_shape) + 1
            return np.asarray(x[0]) if len(x) == 1 and np.ndim(x[0]) == rank else np.asarray(x)
        return join_inputs(x, [n._sample_shape for n in self._input_nodes])

    def __repr__(self):
        if self._closed:
            return "<libdeep.Model (closed)>"
        return f"<libdeep.Model with {len(self._input_nodes)} inputs and {len(self.layers)} layers>"
