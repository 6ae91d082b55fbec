"""Keras layer constructors: Dense, Activation, Dropout, Flatten, Reshape, Conv2D,
MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, Embedding,
Masking, SimpleRNN, GRU, LSTM, the Bidirectional wrapper, the merge layers Add, Subtract,
Multiply, Average, Maximum, Minimum and Concatenate, and Input. docs/layers.md lists
each layer's arguments as the C library's field tables define them (a test checks that the
constructors here take the same ones).

A layer object describes a layer until it is added to a Sequential model (or called on
nodes and built into a Model); from then on it belongs to that model (it cannot be added to another) and reads and writes the model's
weights. A layer keeps its model alive.
"""

import ctypes
import re

import numpy as np

from . import errors, _graph
from ._graph import Node
from ._core import enum_value, new_tensor, tensor_to_array
from . import _ffi as C
from ._lib import lib, out, i32, i64, f64

ACTIVATIONS = {
    "linear": C.DEEP_ACTIVATION_LINEAR,
    "relu": C.DEEP_ACTIVATION_RELU,
    "sigmoid": C.DEEP_ACTIVATION_SIGMOID,
    "tanh": C.DEEP_ACTIVATION_TANH,
    "softmax": C.DEEP_ACTIVATION_SOFTMAX,
    "leaky_relu": C.DEEP_ACTIVATION_LEAKY_RELU,
    "elu": C.DEEP_ACTIVATION_ELU,
    "gelu": C.DEEP_ACTIVATION_GELU,  # exact, Keras' gelu(approximate=False)
    "gelu_approximate": C.DEEP_ACTIVATION_GELU_TANH,  # Keras' gelu(approximate=True)
    "gelu_tanh": C.DEEP_ACTIVATION_GELU_TANH,
    "silu": C.DEEP_ACTIVATION_SILU,
    "swish": C.DEEP_ACTIVATION_SILU,  # Keras' alias
    "softplus": C.DEEP_ACTIVATION_SOFTPLUS,
    "softsign": C.DEEP_ACTIVATION_SOFTSIGN,
    "selu": C.DEEP_ACTIVATION_SELU,
    "hard_sigmoid": C.DEEP_ACTIVATION_HARD_SIGMOID,  # Keras 3: relu6(x + 3) / 6
    "exponential": C.DEEP_ACTIVATION_EXPONENTIAL,
    "relu6": C.DEEP_ACTIVATION_RELU6,
}
_PADDING = {"valid": C.DEEP_PADDING_VALID, "same": C.DEEP_PADDING_SAME}


def activation_value(activation):
    if activation is None:
        return ACTIVATIONS["linear"]
    return enum_value(ACTIVATIONS, activation, "activation")


def _pair(value, what):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    try:
        a, b = value
        return int(a), int(b)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an int or a pair of ints; got {value!r}") from None


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int; got {value!r}")
    return int(value)


class Input(Node):
    """keras.Input(shape=...): a symbolic input node of that sample shape (without the batch
    axis; Input.shape has the batch axis first, as None). It starts a layer graph
    (Model(inputs, outputs)) or gives a Sequential model its input shape."""

    def __init__(self, shape=None, name=None):
        if shape is None:
            raise TypeError("Input needs shape=, the shape of one sample without the batch axis, e.g. "
                            "Input(shape=(28, 28, 1))")
        try:
            sample_shape = tuple(int(d) for d in shape)
        except TypeError:
            raise TypeError(f"Input's shape must be a tuple of ints; got {shape!r}") from None
        super().__init__(sample_shape)
        self.name = name

    def __repr__(self):
        return f"Input(shape={self._sample_shape})"


class Layer:
    """Base class. Subclasses implement _append(model_address). _type is the C layer type
    (model files, default names), derived from the class name unless a class sets it.

    Called on nodes (layer(x), layer([a, b])) a layer records a call of a layer graph and
    returns its output node; calling one layer object again shares its weights."""

    _type = None

    def __init__(self, input_shape=None, name=None):
        self.input_shape = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.name = name
        self._model = None
        self._index = None
        self._calls = []  # output nodes of its calls in layer graphs, first call first

    def __call__(self, inputs, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}() called with unsupported arguments {sorted(kwargs)}")
        return _graph.call(self, inputs)

    def _first_call(self, what):
        if not self._calls:
            raise AttributeError(f"{type(self).__name__} {self.name or ''} has never been called on a node, so it "
                                 f"has no {what}")
        return self._calls[0]

    @property
    def output(self):
        """Keras' layer.output: the output node of the layer's first call."""
        return self._first_call("output")

    @property
    def input(self):
        """Keras' layer.input: the input node of the layer's first call (a list for several)."""
        inputs = self._first_call("input")._inputs
        return inputs[0] if len(inputs) == 1 else list(inputs)

    @classmethod
    def _c_type(cls):
        if cls._type is not None:
            return cls._type
        # "MaxPooling2D" -> "max_pooling2d", "SimpleRNN" -> "simple_rnn", as the C registry names types
        return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])", "_", cls.__name__).lower()

    def _attach(self, model, index):
        self._model = model
        self._index = index

    def _require_model(self):
        if self._model is None:
            raise errors.StateError(f"{type(self).__name__} is not part of a model yet; add it to a Sequential first")
        return self._model

    @property
    def model(self):
        return self._model

    def get_weights(self):
        """The layer's weights in Keras order (Dense: kernel, bias) as NumPy arrays (copies)."""
        model = self._require_model()
        count = i32(0)
        lib.deep_model_weight_count(model._ptr, self._index, ctypes.byref(count))
        weights = []
        for w in range(count.value):
            handle = out()
            lib.deep_model_get_weight(model._ptr, self._index, w, ctypes.byref(handle))
            weights.append(tensor_to_array(handle.value))
        return weights

    def set_weights(self, weights):
        """Replaces the layer's weights; each array must have the current weight's shape."""
        model = self._require_model()
        count = i32(0)
        lib.deep_model_weight_count(model._ptr, self._index, ctypes.byref(count))
        weights = list(weights)
        if len(weights) != count.value:
            raise errors.ShapeError(
                f"layer {self._index} ({type(self).__name__}) has {count.value} weights; got {len(weights)} arrays")
        for w, value in enumerate(weights):
            with new_tensor(value, "weights") as tensor:
                lib.deep_model_set_weight(model._ptr, self._index, w, tensor._ptr)

    @property
    def weights(self):
        return self.get_weights()

    def get_option(self, option):
        """The current value of a layer option as the model keeps it ("dropout",
        "recurrent_dropout": float; "go_backwards", "unit_forget_bias", "mask_zero",
        "reset_after": bool), read back from the C library (a float option as the float32 it
        keeps). An option this layer's type does not have is InvalidArgumentError."""
        model = self._require_model()
        value = enum_value(_LAYER_OPTIONS, option, "layer option")
        if option.lower() in _FLOAT_OPTIONS:
            result = f64(0.0)
            lib.deep_model_get_layer_float(model._ptr, self._index, value, ctypes.byref(result))
            return result.value
        result = i64(0)
        lib.deep_model_get_layer_int(model._ptr, self._index, value, ctypes.byref(result))
        return bool(result.value)

    def __repr__(self):
        return f"<libdeep.layers.{type(self).__name__}>"


class Dense(Layer):
    """keras.layers.Dense. As in Keras it acts on the last axis: on (timesteps, features)
    samples it gives (timesteps, units), the same kernel at every step (TimeDistributed(Dense)),
    with a softmax over each step; fit such a model on y of shape (n, timesteps, classes)."""

    def __init__(self, units, activation=None, use_bias=True, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.units = _positive_int(units, "units")
        self.activation = activation
        self.use_bias = bool(use_bias)
        self._activation = activation_value(activation)

    def _append(self, address):
        lib.deep_model_add_dense(address, self.units, self._activation, int(self.use_bias))


class Activation(Layer):
    def __init__(self, activation, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.activation = activation
        self._activation = activation_value(activation)

    def _append(self, address):
        lib.deep_model_add_activation(address, self._activation)


class Dropout(Layer):
    def __init__(self, rate, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.rate = float(rate)

    def _append(self, address):
        lib.deep_model_add_dropout(address, self.rate)


class Flatten(Layer):
    def _append(self, address):
        lib.deep_model_add_flatten(address)


class Reshape(Layer):
    """keras.layers.Reshape(target_shape): each sample takes target_shape (the batch axis
    stays), the same elements in the same order; one dimension may be -1, inferred."""

    def __init__(self, target_shape, input_shape=None, name=None):
        super().__init__(input_shape, name)
        try:
            self.target_shape = tuple(int(d) for d in target_shape)
        except TypeError:
            raise TypeError(f"target_shape must be a tuple of ints; got {target_shape!r}") from None

    def _append(self, address):
        dims = (ctypes.c_int64 * max(len(self.target_shape), 1))(*self.target_shape)
        lib.deep_model_add_reshape(address, len(self.target_shape), dims)


class Conv2D(Layer):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None, use_bias=True,
                 input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.filters = _positive_int(filters, "filters")
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.padding = padding
        self._padding = enum_value(_PADDING, padding, "padding")
        self.activation = activation
        self._activation = activation_value(activation)
        self.use_bias = bool(use_bias)

    def _append(self, address):
        lib.deep_model_add_conv2d(address, self.filters, *self.kernel_size, *self.strides, self._padding,
                                  self._activation, int(self.use_bias))


class _Pooling2D(Layer):
    _add = None  # its deep_model_add_* (a ctypes function: not bound to self)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = None if strides is None else _pair(strides, "strides")
        self.padding = padding
        self._padding = enum_value(_PADDING, padding, "padding")

    def _append(self, address):
        strides = self.strides or (0, 0)  # 0: equal to the pool size, as Keras' strides=None
        self._add(address, *self.pool_size, *strides, self._padding)


class MaxPooling2D(_Pooling2D):
    _add = lib.deep_model_add_max_pooling2d


class AveragePooling2D(_Pooling2D):
    _add = lib.deep_model_add_average_pooling2d


class GlobalAveragePooling2D(Layer):
    def _append(self, address):
        lib.deep_model_add_global_average_pooling2d(address)


class BatchNormalization(Layer):
    def __init__(self, momentum=0.99, epsilon=0.001, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def _append(self, address):
        lib.deep_model_add_batch_normalization(address, self.momentum, self.epsilon)


_LAYER_OPTIONS = {"dropout": C.DEEP_LAYER_DROPOUT, "recurrent_dropout": C.DEEP_LAYER_RECURRENT_DROPOUT,
                  "go_backwards": C.DEEP_LAYER_GO_BACKWARDS, "unit_forget_bias": C.DEEP_LAYER_UNIT_FORGET_BIAS,
                  "mask_zero": C.DEEP_LAYER_MASK_ZERO, "reset_after": C.DEEP_LAYER_RESET_AFTER}
_FLOAT_OPTIONS = ("dropout", "recurrent_dropout")


class Embedding(Layer):
    """Token ids (integers in [0, input_dim), given as numbers) to rows of a learned
    (input_dim, output_dim) matrix. input_length=None takes the input's length.
    mask_zero=True makes id 0 padding, skipped by the recurrent layers after it (input_dim
    then counts it: the vocabulary size plus 1)."""

    def __init__(self, input_dim, output_dim, input_length=None, mask_zero=False, input_shape=None, name=None):
        if input_shape is None and input_length is not None:
            input_shape = (input_length,)
        super().__init__(input_shape, name)
        self.input_dim = _positive_int(input_dim, "input_dim")
        self.output_dim = _positive_int(output_dim, "output_dim")
        self.input_length = 0 if input_length is None else _positive_int(input_length, "input_length")
        self.mask_zero = bool(mask_zero)

    def _append(self, address):
        lib.deep_model_add_embedding(address, self.input_dim, self.output_dim, self.input_length)
        lib.deep_model_set_layer_int(address, -1, C.DEEP_LAYER_MASK_ZERO, int(self.mask_zero))


class Masking(Layer):
    """keras.layers.Masking: a step of (timesteps, features) samples whose features all
    equal mask_value is padding, skipped by the recurrent layers after it (and set to 0)."""

    def __init__(self, mask_value=0.0, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.mask_value = float(mask_value)

    def _append(self, address):
        lib.deep_model_add_masking(address, self.mask_value)


class SimpleRNN(Layer):
    """keras.layers.SimpleRNN: (timesteps, features) samples to (units,), or to (timesteps,
    units) with return_sequences=True. The other recurrent layers add to its arguments."""

    def __init__(self, units, activation="tanh", use_bias=True, return_sequences=False, dropout=0.0,
                 recurrent_dropout=0.0, go_backwards=False, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.units = _positive_int(units, "units")
        self.activation = activation
        self._activation = activation_value(activation)
        self.use_bias, self.return_sequences = bool(use_bias), bool(return_sequences)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.go_backwards = bool(go_backwards)

    def _add(self, address):
        lib.deep_model_add_simple_rnn(address, self.units, self._activation, int(self.use_bias),
                                      int(self.return_sequences))

    def _append(self, address):
        self._add(address)
        lib.deep_model_set_layer_float(address, -1, C.DEEP_LAYER_DROPOUT, self.dropout)
        lib.deep_model_set_layer_float(address, -1, C.DEEP_LAYER_RECURRENT_DROPOUT, self.recurrent_dropout)
        lib.deep_model_set_layer_int(address, -1, C.DEEP_LAYER_GO_BACKWARDS, int(self.go_backwards))


class GRU(SimpleRNN):
    """keras.layers.GRU. reset_after=True (TensorFlow 2's default) applies the reset gate
    after the recurrent kernel and has a (2, 3 * units) bias; False before it, with a
    (3 * units,) bias."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 return_sequences=False, dropout=0.0, recurrent_dropout=0.0, go_backwards=False,
                 reset_after=True, input_shape=None, name=None):
        super().__init__(units, activation, use_bias, return_sequences, dropout, recurrent_dropout, go_backwards,
                         input_shape, name)
        self.recurrent_activation = recurrent_activation
        self._recurrent_activation = activation_value(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _add(self, address):
        lib.deep_model_add_gru(address, self.units, self._activation, self._recurrent_activation,
                               int(self.use_bias), int(self.return_sequences))
        lib.deep_model_set_layer_int(address, -1, C.DEEP_LAYER_RESET_AFTER, int(self.reset_after))


class LSTM(GRU):
    """keras.layers.LSTM."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 return_sequences=False, dropout=0.0, recurrent_dropout=0.0, go_backwards=False,
                 unit_forget_bias=True, input_shape=None, name=None):
        super().__init__(units, activation, recurrent_activation, use_bias, return_sequences, dropout,
                         recurrent_dropout, go_backwards, True, input_shape, name)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _add(self, address):
        lib.deep_model_add_lstm(address, self.units, self._activation, self._recurrent_activation,
                                int(self.use_bias), int(self.return_sequences))

    def _append(self, address):
        super()._append(address)
        lib.deep_model_set_layer_int(address, -1, C.DEEP_LAYER_UNIT_FORGET_BIAS, int(self.unit_forget_bias))


_MERGE_MODES = {"concat": C.DEEP_MERGE_CONCAT, "sum": C.DEEP_MERGE_SUM, "mul": C.DEEP_MERGE_MUL,
                "ave": C.DEEP_MERGE_AVE}


class Bidirectional(Layer):
    """keras.layers.Bidirectional(layer, merge_mode="concat"): a forward and a backward copy
    of an LSTM, GRU or SimpleRNN whose outputs are merged ("concat", "sum", "mul", "ave"). The
    wrapped layer's arguments (return_sequences, dropout, go_backwards, ...) apply to both;
    its weights are the forward copy's, then the backward copy's."""

    def __init__(self, layer, merge_mode="concat", input_shape=None, name=None):
        if not isinstance(layer, SimpleRNN):
            raise TypeError(f"Bidirectional wraps an LSTM, GRU or SimpleRNN layer; got {layer!r}")
        if layer._model is not None or getattr(layer, "_wrapper", None) is not None:
            raise errors.StateError(f"this {type(layer).__name__} already belongs to a model or a Bidirectional")
        if merge_mode is None:
            raise ValueError("merge_mode=None (a list of both outputs) is not supported; "
                             "use 'concat', 'sum', 'mul' or 'ave'")
        self._merge_mode = enum_value(_MERGE_MODES, merge_mode, "merge_mode")
        super().__init__(layer.input_shape if input_shape is None else input_shape, name)
        self.layer, self.merge_mode = layer, merge_mode
        layer._wrapper = self

    def _append(self, address):
        # The wrapped layer is added, then wrapped in place; wrapping a recurrent layer just
        # added to an uncompiled model can only fail when memory runs out.
        self.layer._append(address)
        lib.deep_model_add_bidirectional(address, self._merge_mode)


class _Merge(Layer):
    """Keras' merge layers: called on a list of 2 to 16 nodes (Subtract: exactly 2). The
    element-wise ones need one shape (no broadcasting); the library checks it."""

    _add = None  # its deep_model_add_* (a ctypes function: not bound to self)

    def __init__(self, name=None):
        super().__init__(None, name)

    def _append(self, address):
        self._add(address)


class Add(_Merge):
    _add = lib.deep_model_add_add


class Subtract(_Merge):
    _add = lib.deep_model_add_subtract


class Multiply(_Merge):
    _add = lib.deep_model_add_multiply


class Average(_Merge):
    _add = lib.deep_model_add_average


class Maximum(_Merge):
    _add = lib.deep_model_add_maximum


class Minimum(_Merge):
    _add = lib.deep_model_add_minimum


class Concatenate(Layer):
    """keras.layers.Concatenate(axis=-1): joins the nodes along axis (1: a sample's first
    axis, -1 its last); they agree on every other axis."""

    def __init__(self, axis=-1, name=None):
        super().__init__(None, name)
        self.axis = _positive_int(axis, "axis")

    def _append(self, address):
        lib.deep_model_add_concatenate(address, self.axis)


class LoadedLayer(Layer):
    """A layer of a model loaded from a file: its weights and options (get_option) are
    reachable, its constructor arguments are not."""

    def _append(self, address):
        raise errors.StateError("a layer of a loaded model cannot be added to another model")
