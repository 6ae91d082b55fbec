"""Keras layer constructors: Dense, Activation, Dropout, Flatten, Reshape, Conv2D,
MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, Embedding,
Masking, SimpleRNN, GRU, LSTM, the Bidirectional wrapper, Input, the merge layers Add,
Subtract, Multiply, Average, Maximum, Minimum and Concatenate, and since 1.1 Conv1D,
MaxPooling1D, GlobalAveragePooling1D, GlobalMaxPooling2D, Permute, RepeatVector,
Conv2DTranspose, UpSampling2D, ZeroPadding2D, Cropping2D, LayerNormalization,
DepthwiseConv2D and SeparableConv2D, since 1.2 SpatialDropout2D, GaussianNoise and
GaussianDropout, and since 1.3 LeakyReLU, ELU, ReLU and PReLU. docs/layers.md lists
each layer's arguments as the C library's field tables define them (a test checks that the
constructors here take the same ones).

A layer object describes a layer until it is added to a Sequential model (or called on
nodes and built into a Model); from then on it belongs to that model (it cannot be added to another) and reads and writes the model's
weights. A layer keeps its model alive.
"""

import ctypes
import re

import numpy as np

from . import errors, _graph, initializers, regularizers, constraints
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
    "log_softmax": C.DEEP_ACTIVATION_LOG_SOFTMAX,  # since 1.3, over the last axis
}
_PADDING = {"valid": C.DEEP_PADDING_VALID, "same": C.DEEP_PADDING_SAME}
_CONV1D_PADDING = {**_PADDING, "causal": C.DEEP_PADDING_CAUSAL}  # Keras allows causal for Conv1D only


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


def _single(value, what):
    """Keras' 1-D argument: an int or a tuple of one int."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int or a tuple of one int; got {value!r}")
    return int(value)


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


_ROLES = {"kernel": C.DEEP_WEIGHT_KERNEL, "depthwise": C.DEEP_WEIGHT_KERNEL, "pointwise": C.DEEP_WEIGHT_KERNEL,
          "embeddings": C.DEEP_WEIGHT_KERNEL, "bias": C.DEEP_WEIGHT_BIAS, "recurrent": C.DEEP_WEIGHT_RECURRENT_KERNEL,
          "gamma": C.DEEP_WEIGHT_GAMMA, "beta": C.DEEP_WEIGHT_BETA}
_RULE_KINDS = {"initializer": initializers.get, "regularizer": regularizers.get, "constraint": constraints.get}


def weight_arguments(cls):
    """The Keras weight arguments a layer class takes (since 1.2), e.g. kernel_initializer."""
    names = [f"{prefix}_{kind}" for prefix in cls._weight_prefixes for kind in _RULE_KINDS]
    return names + (["activity_regularizer"] if names else [])


def _weight_rules(cls, kwargs):
    """[(C role, kind, rule object)] from a constructor's weight arguments; None values are
    Keras' "the default". SeparableConv2D's two kernels share one setting in the library."""
    allowed = weight_arguments(cls)
    rules, by_role = [], {}
    for key, value in kwargs.items():
        if key not in allowed:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {key!r}"
                            + (f"; its weight arguments are {allowed}" if allowed else ""))
        if value is None:
            continue
        prefix, kind = key.rsplit("_", 1)
        role = C.DEEP_WEIGHT_ACTIVITY if prefix == "activity" else _ROLES[prefix]
        rule = _RULE_KINDS[kind](value)
        if isinstance(rule, initializers.Orthogonal) and role in (C.DEEP_WEIGHT_BIAS, C.DEEP_WEIGHT_GAMMA,
                                                                    C.DEEP_WEIGHT_BETA):
            raise ValueError(f"{cls.__name__}: {key}=Orthogonal needs a weight of rank 2 or more")
        if (role, kind) in by_role:
            if by_role[(role, kind)] != rule:
                raise ValueError(f"{cls.__name__}: depthwise_{kind} and pointwise_{kind} must be the same here "
                                 f"(libdeep keeps one setting for both kernels); got {by_role[(role, kind)]!r} and "
                                 f"{rule!r}")
            continue
        by_role[(role, kind)] = rule
        rules.append((role, kind, rule))
    return rules


class Layer:
    """Base class. Subclasses implement _append(model_address). _type is the C layer type
    (model files, default names), derived from the class name unless a class sets it.

    Called on nodes (layer(x), layer([a, b])) a layer records a call of a layer graph and
    returns its output node; calling one layer object again shares its weights."""

    _type = None
    # Keras' prefixes of the weight arguments the class takes (since 1.2): "kernel" means
    # kernel_initializer, kernel_regularizer and kernel_constraint; a class with any also
    # takes activity_regularizer.
    _weight_prefixes = ()

    def __init__(self, input_shape=None, name=None, **kwargs):
        self.input_shape = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.name = name
        self._model = None
        self._index = None
        self._calls = []  # output nodes of its calls in layer graphs, first call first
        self._rules = _weight_rules(type(self), kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def __call__(self, inputs, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}() called with unsupported arguments {sorted(kwargs)}")
        return _graph.call(self, inputs)

    def _apply_rules(self, address):
        """Sets the weight arguments on the layer just added (the last of the model)."""
        for role, kind, rule in self._rules:
            if role == C.DEEP_WEIGHT_BIAS and not getattr(self, "use_bias", True):
                continue  # Keras ignores bias_* without a bias
            if (role == C.DEEP_WEIGHT_BETA and not getattr(self, "center", True)) or \
                    (role == C.DEEP_WEIGHT_GAMMA and not getattr(self, "scale", True)):
                continue  # nor beta_* without center, gamma_* without scale
            if kind == "initializer":
                lib.deep_model_set_layer_initializer(address, -1, role, rule._kind, rule._a, rule._b)
                if getattr(rule, "seed", None) is not None:  # Keras' seed= (since 1.3)
                    lib.deep_model_set_layer_initializer_seed(address, -1, role, 1, rule.seed)
            elif kind == "regularizer":
                lib.deep_model_set_layer_regularizer(address, -1, role, rule.l1, rule.l2)
            else:
                axes = (ctypes.c_int32 * max(1, len(rule._axes)))(*rule._axes)
                lib.deep_model_set_layer_constraint(address, -1, role, rule._kind, rule._min, rule._max, rule._rate,
                                                    axes, len(rule._axes))

    def get_weight_argument(self, argument):
        """The setting the model keeps for a Keras weight argument of this layer
        ("kernel_initializer", "bias_regularizer", "activity_regularizer",
        "recurrent_constraint", ...), read back from the library, so also for loaded models:
        an initializers/regularizers/constraints instance, or None for the layer's default."""
        model = self._require_model()
        try:
            prefix, kind = argument.rsplit("_", 1)
            role = C.DEEP_WEIGHT_ACTIVITY if prefix == "activity" else _ROLES[prefix]
        except (ValueError, KeyError):
            raise ValueError(f"unknown weight argument {argument!r}, e.g. 'kernel_initializer'") from None
        if kind == "regularizer":
            l1, l2 = f64(0.0), f64(0.0)
            lib.deep_model_get_layer_regularizer(model._ptr, self._index, role, ctypes.byref(l1), ctypes.byref(l2))
            return None if l1.value == l2.value == 0 else regularizers.L1L2(l1.value, l2.value)
        if kind == "initializer":
            value, a, b = ctypes.c_int(0), f64(0.0), f64(0.0)
            lib.deep_model_get_layer_initializer(model._ptr, self._index, role, ctypes.byref(value), ctypes.byref(a),
                                                 ctypes.byref(b))
            if value.value == C.DEEP_INITIALIZER_DEFAULT:
                return None
            found = initializers.from_c(value.value, a.value, b.value)
            seeded, seed = i32(0), ctypes.c_uint64(0)
            lib.deep_model_get_layer_initializer_seed(model._ptr, self._index, role, ctypes.byref(seeded),
                                                      ctypes.byref(seed))
            found.seed = seed.value if seeded.value else None
            return found
        if kind == "constraint":
            value, lo, hi, rate = ctypes.c_int(0), f64(0.0), f64(0.0), f64(0.0)
            axes, count = (ctypes.c_int32 * 8)(), i32(0)
            lib.deep_model_get_layer_constraint(model._ptr, self._index, role, ctypes.byref(value), ctypes.byref(lo),
                                                ctypes.byref(hi), ctypes.byref(rate), axes, ctypes.byref(count))
            return constraints.from_c(value.value, lo.value, hi.value, rate.value, list(axes[:count.value]))
        raise ValueError(f"unknown weight argument {argument!r}, e.g. 'kernel_initializer'")

    def _append_on(self, address, nodes):
        """Adds the layer to a C graph on those node numbers (a graph's first call)."""
        lib.deep_model_connect(address, _graph.node_array(nodes), len(nodes))
        self._append(address)

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
        model._ensure_weights()
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
        model._ensure_weights()
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

    _weight_prefixes = ('kernel', 'bias')

    def __init__(self, units, activation=None, use_bias=True, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, name, **kwargs)
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
    _weight_prefixes = ('kernel', 'bias')

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None, use_bias=True,
                 input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, name, **kwargs)
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
    _weight_prefixes = ('gamma', 'beta')

    def __init__(self, momentum=0.99, epsilon=0.001, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, name, **kwargs)
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

    _weight_prefixes = ('embeddings',)

    def __init__(self, input_dim, output_dim, input_length=None, mask_zero=False, input_shape=None, name=None,
                 **kwargs):
        if input_shape is None and input_length is not None:
            input_shape = (input_length,)
        super().__init__(input_shape, name, **kwargs)
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


def _recurrent_call(layer, inputs, initial_state, kwargs):
    """layer(x, initial_state=[...]) of a recurrent layer: its sequence then its states as
    the call's nodes; with return_state, [output, state nodes...]."""
    nodes = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if initial_state is not None:
        nodes += list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
    if len(nodes) not in (1, 1 + layer._state_count):
        raise ValueError(f"{type(layer).__name__} takes its sequence and {layer._state_count} initial states "
                         f"[{', '.join(layer._state_names)}]; got {len(nodes)} nodes")
    output = Layer.__call__(layer, nodes if len(nodes) > 1 else nodes[0], **kwargs)
    if not layer.return_state:
        return output
    return [output] + _graph.state_nodes(output, layer._state_count, layer.units)


class SimpleRNN(Layer):
    """keras.layers.SimpleRNN: (timesteps, features) samples to (units,), or to (timesteps,
    units) with return_sequences=True. The other recurrent layers add to its arguments.

    In a layer graph, layer(x, initial_state=[h]) ([h, c] for an LSTM) starts from those
    nodes' states, each of shape (None, units), and with return_state=True the call returns
    [output, h] ([output, h, c] for an LSTM): the final states as nodes, as Keras."""

    _state_count = 1

    _weight_prefixes = ('kernel', 'recurrent', 'bias')

    def __init__(self, units, activation="tanh", use_bias=True, return_sequences=False, dropout=0.0,
                 recurrent_dropout=0.0, go_backwards=False, input_shape=None, name=None, return_state=False,
                 **kwargs):
        super().__init__(input_shape, name, **kwargs)
        self.return_state = bool(return_state)
        self.units = _positive_int(units, "units")
        self.activation = activation
        self._activation = activation_value(activation)
        self.use_bias, self.return_sequences = bool(use_bias), bool(return_sequences)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.go_backwards = bool(go_backwards)

    def __call__(self, inputs, initial_state=None, **kwargs):
        return _recurrent_call(self, inputs, initial_state, kwargs)

    @property
    def _state_names(self):
        return ["h", "c"][: self._state_count]

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
                 reset_after=True, input_shape=None, name=None, return_state=False, **kwargs):
        super().__init__(units, activation, use_bias, return_sequences, dropout, recurrent_dropout, go_backwards,
                         input_shape, name, return_state, **kwargs)
        self.recurrent_activation = recurrent_activation
        self._recurrent_activation = activation_value(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _add(self, address):
        lib.deep_model_add_gru(address, self.units, self._activation, self._recurrent_activation,
                               int(self.use_bias), int(self.return_sequences))
        lib.deep_model_set_layer_int(address, -1, C.DEEP_LAYER_RESET_AFTER, int(self.reset_after))


class LSTM(GRU):
    """keras.layers.LSTM. Its states are h and c (initial_state=[h, c], return_state)."""

    _state_count = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 return_sequences=False, dropout=0.0, recurrent_dropout=0.0, go_backwards=False,
                 unit_forget_bias=True, input_shape=None, name=None, return_state=False, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, return_sequences, dropout,
                         recurrent_dropout, go_backwards, True, input_shape, name, return_state, **kwargs)
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

    # Keras' initial_state and return_state: the forward copy's states, then the backward
    # copy's; return_state is the wrapped layer's argument, as in Keras.
    @property
    def _state_count(self):
        return 2 * self.layer._state_count

    @property
    def _state_names(self):
        names = self.layer._state_names
        return [f"forward_{n}" for n in names] + [f"backward_{n}" for n in names]

    @property
    def units(self):
        return self.layer.units

    @property
    def return_state(self):
        return self.layer.return_state

    def __call__(self, inputs, initial_state=None, **kwargs):
        return _recurrent_call(self, inputs, initial_state, kwargs)

    def _append(self, address):
        # The wrapped layer is added, then wrapped in place; wrapping a recurrent layer just
        # added to an uncompiled model can only fail when memory runs out.
        self.layer._append(address)
        lib.deep_model_add_bidirectional(address, self._merge_mode)

    def _apply_rules(self, address):
        self.layer._apply_rules(address)  # the wrapped layer's: both copies take them

    def _append_on(self, address, nodes):
        # With initial states the wrapped layer takes the sequence, the wrapper all the nodes.
        if len(nodes) == 1:
            return super()._append_on(address, nodes)
        lib.deep_model_connect(address, _graph.node_array(nodes[:1]), 1)
        self.layer._append(address)
        lib.deep_model_connect(address, _graph.node_array(nodes), len(nodes))
        lib.deep_model_add_bidirectional(address, self._merge_mode)


class Conv2DTranspose(Layer):
    """keras.layers.Conv2DTranspose: the transpose of Conv2D, which upsamples (strides 2
    doubles height and width with padding="same"). output_padding None infers it from the
    padding, as Keras; otherwise each value is below its stride. The kernel is
    (kh, kw, filters, channels), as Keras stores it. Since libdeep 1.1."""

    _weight_prefixes = ('kernel', 'bias')

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 activation=None, use_bias=True, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, name, **kwargs)
        self.filters = _positive_int(filters, "filters")
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.padding = padding
        self._padding = enum_value(_PADDING, padding, "padding")
        self.output_padding = None if output_padding is None else _pair(output_padding, "output_padding")
        self.activation = activation
        self._activation = activation_value(activation)
        self.use_bias = bool(use_bias)

    def _append(self, address):
        output_padding = self.output_padding or (-1, -1)  # -1, -1: Keras' None
        lib.deep_model_add_conv2d_transpose(address, self.filters, *self.kernel_size, *self.strides, self._padding,
                                            *output_padding, self._activation, int(self.use_bias))


_INTERPOLATION = {"nearest": C.DEEP_INTERPOLATION_NEAREST, "bilinear": C.DEEP_INTERPOLATION_BILINEAR}


class UpSampling2D(Layer):
    """keras.layers.UpSampling2D(size=(2, 2), interpolation="nearest"): height and width
    multiplied by size; "nearest" repeats each cell, "bilinear" interpolates with half-pixel
    centres as Keras. Since libdeep 1.1."""

    def __init__(self, size=(2, 2), interpolation="nearest", input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.size = _pair(size, "size")
        self.interpolation = interpolation
        self._interpolation = enum_value(_INTERPOLATION, interpolation, "interpolation")

    def _append(self, address):
        lib.deep_model_add_up_sampling2d(address, *self.size, self._interpolation)


def _sides(value, what):
    """Keras' int, (symmetric_height, symmetric_width) or ((top, bottom), (left, right))."""
    try:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return (int(value),) * 4
        rows, cols = value
        if isinstance(rows, (int, np.integer)) and isinstance(cols, (int, np.integer)):
            return int(rows), int(rows), int(cols), int(cols)
        (top, bottom), (left, right) = rows, cols
        return int(top), int(bottom), int(left), int(right)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an int, a pair of ints or a pair of pairs of ints; got {value!r}") from None


class ZeroPadding2D(Layer):
    """keras.layers.ZeroPadding2D(padding=(1, 1)): rows and columns of zeros around each
    image; padding is an int, (height, width) for both sides, or ((top, bottom), (left,
    right)). Since libdeep 1.1."""

    def __init__(self, padding=(1, 1), input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.padding = padding
        self._sides = _sides(padding, "padding")

    def _append(self, address):
        lib.deep_model_add_zero_padding2d(address, *self._sides)


class Cropping2D(Layer):
    """keras.layers.Cropping2D(cropping=((0, 0), (0, 0))): rows and columns cut from each
    side, in ZeroPadding2D's forms; one row and one column must stay. Since libdeep 1.1."""

    def __init__(self, cropping=((0, 0), (0, 0)), input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.cropping = cropping
        self._sides = _sides(cropping, "cropping")

    def _append(self, address):
        lib.deep_model_add_cropping2d(address, *self._sides)


class _Merge(Layer):
    """Keras' merge layers: called on a list of 2 to 16 nodes (Subtract: exactly 2). The
    element-wise ones broadcast their shapes as Keras 3 (since 1.3) and combine masks as
    its compute_mask; the library checks the shapes."""

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


class Conv1D(Layer):
    """keras.layers.Conv1D over (steps, channels) samples: padding "valid", "same" or
    "causal" (zeros before the steps only, so step t sees inputs up to t); taps
    dilation_rate steps apart (dilation_rate > 1 needs strides=1, as Keras)."""

    _weight_prefixes = ('kernel', 'bias')

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1, activation=None,
                 use_bias=True, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, name, **kwargs)
        self.filters = _positive_int(filters, "filters")
        self.kernel_size = _single(kernel_size, "kernel_size")
        self.strides = _single(strides, "strides")
        self.padding = padding
        self._padding = enum_value(_CONV1D_PADDING, padding, "padding")
        self.dilation_rate = _single(dilation_rate, "dilation_rate")
        self.activation = activation
        self._activation = activation_value(activation)
        self.use_bias = bool(use_bias)

    def _append(self, address):
        lib.deep_model_add_conv1d(address, self.filters, self.kernel_size, self.strides, self._padding,
                                  self.dilation_rate, self._activation, int(self.use_bias))


class MaxPooling1D(Layer):
    """keras.layers.MaxPooling1D: the largest value of each channel over pool_size steps;
    strides=None tiles the steps with the windows."""

    def __init__(self, pool_size=2, strides=None, padding="valid", input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.pool_size = _single(pool_size, "pool_size")
        self.strides = None if strides is None else _single(strides, "strides")
        self.padding = padding
        self._padding = enum_value(_PADDING, padding, "padding")

    def _append(self, address):
        lib.deep_model_add_max_pooling1d(address, self.pool_size, self.strides or 0, self._padding)


class GlobalAveragePooling1D(Layer):
    """keras.layers.GlobalAveragePooling1D: (steps, channels) to (channels,), or (1, channels)
    with keepdims. After Embedding(mask_zero=True) or Masking it averages the real steps only."""

    def __init__(self, keepdims=False, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.keepdims = bool(keepdims)

    def _append(self, address):
        lib.deep_model_add_global_average_pooling1d(address, int(self.keepdims))


class GlobalMaxPooling2D(Layer):
    """keras.layers.GlobalMaxPooling2D: (height, width, channels) to (channels,), or
    (1, 1, channels) with keepdims."""

    def __init__(self, keepdims=False, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.keepdims = bool(keepdims)

    def _append(self, address):
        lib.deep_model_add_global_max_pooling2d(address, int(self.keepdims))


class Permute(Layer):
    """keras.layers.Permute(dims): output axis i is input axis dims[i], numbered from 1 (the
    batch axis is not counted); Permute((2, 1)) swaps the axes of (steps, features) samples."""

    def __init__(self, dims, input_shape=None, name=None):
        super().__init__(input_shape, name)
        try:
            self.dims = tuple(_positive_int(d, "dims") for d in dims)
        except TypeError:
            raise TypeError(f"dims must be a tuple of ints; got {dims!r}") from None

    def _append(self, address):
        dims = (ctypes.c_int32 * max(len(self.dims), 1))(*self.dims)
        lib.deep_model_add_permute(address, len(self.dims), dims)


class RepeatVector(Layer):
    """keras.layers.RepeatVector(n): (features,) samples to (n, features)."""

    def __init__(self, n, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.n = _positive_int(n, "n")

    def _append(self, address):
        lib.deep_model_add_repeat_vector(address, self.n)


# ---- layer types since libdeep 1.1 (issue #16) ----------------------------------------------


class LayerNormalization(Layer):
    """keras.layers.LayerNormalization with its default axis=-1: each sample's values along
    the last axis are normalised by their own mean and variance, then scaled by gamma
    (scale=True) and shifted by beta (center=True); the same in training and inference.
    Other axes are not supported (Keras' axis argument is not taken)."""

    _weight_prefixes = ('gamma', 'beta')

    def __init__(self, epsilon=0.001, center=True, scale=True, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, name, **kwargs)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)

    def _append(self, address):
        lib.deep_model_add_layer_normalization(address, self.epsilon, int(self.center), int(self.scale))


class DepthwiseConv2D(Layer):
    """keras.layers.DepthwiseConv2D: each input channel convolved on its own with
    depth_multiplier kernels (channels * depth_multiplier outputs, output channel
    c * depth_multiplier + m from input channel c); kernel (kh, kw, channels,
    depth_multiplier) and bias, as Keras."""

    _weight_prefixes = ('depthwise', 'bias')

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, activation=None,
                 use_bias=True, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, name, **kwargs)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.padding = padding
        self._padding = enum_value(_PADDING, padding, "padding")
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier")
        self.activation = activation
        self._activation = activation_value(activation)
        self.use_bias = bool(use_bias)

    def _append(self, address):
        lib.deep_model_add_depthwise_conv2d(address, *self.kernel_size, *self.strides, self._padding,
                                            self.depth_multiplier, self._activation, int(self.use_bias))


class SeparableConv2D(Layer):
    """keras.layers.SeparableConv2D: DepthwiseConv2D's convolution (without bias), then a
    1x1 convolution to `filters` channels, the bias and the activation; weights
    depthwise_kernel (kh, kw, channels, depth_multiplier), pointwise_kernel (1, 1,
    channels * depth_multiplier, filters) and bias, as Keras."""

    _weight_prefixes = ('depthwise', 'pointwise', 'bias')

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, activation=None,
                 use_bias=True, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, name, **kwargs)
        self.filters = _positive_int(filters, "filters")
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.padding = padding
        self._padding = enum_value(_PADDING, padding, "padding")
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier")
        self.activation = activation
        self._activation = activation_value(activation)
        self.use_bias = bool(use_bias)

    def _append(self, address):
        lib.deep_model_add_separable_conv2d(address, self.filters, *self.kernel_size, *self.strides, self._padding,
                                            self.depth_multiplier, self._activation, int(self.use_bias))


# Keras' regularisation layers of 1.2: active while training only, the identity at inference,
# their draws from the model's seed (a per-layer seed is not taken).

class SpatialDropout2D(Layer):
    """keras.layers.SpatialDropout2D (channels last): whole channels of (height, width,
    channels) samples dropped while training, the kept ones scaled by 1 / (1 - rate)."""

    def __init__(self, rate, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.rate = float(rate)

    def _append(self, address):
        lib.deep_model_add_spatial_dropout2d(address, self.rate)


class GaussianNoise(Layer):
    """keras.layers.GaussianNoise(stddev): normal noise of that standard deviation (in
    [0, 1], Keras' rule) added while training."""

    def __init__(self, stddev, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.stddev = float(stddev)

    def _append(self, address):
        lib.deep_model_add_gaussian_noise(address, self.stddev)


class GaussianDropout(Layer):
    """keras.layers.GaussianDropout(rate): inputs multiplied by normal noise of mean 1 and
    standard deviation sqrt(rate / (1 - rate)) while training."""

    def __init__(self, rate, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.rate = float(rate)

    def _append(self, address):
        lib.deep_model_add_gaussian_dropout(address, self.rate)


# Keras' activation layers with arguments, since 1.3. The Activation layer's "leaky_relu" and
# "elu" keep their fixed 0.3 and 1.

class LeakyReLU(Layer):
    """keras.layers.LeakyReLU(negative_slope=0.3): x for x >= 0, negative_slope * x below
    (negative_slope >= 0). Keras 2's name for the argument, alpha=, is accepted too."""

    _type = "leaky_relu"

    def __init__(self, negative_slope=0.3, input_shape=None, name=None, **kwargs):
        if "alpha" in kwargs:  # Keras 2
            negative_slope = kwargs.pop("alpha")
        super().__init__(input_shape, name, **kwargs)
        self.negative_slope = float(negative_slope)

    def _append(self, address):
        lib.deep_model_add_leaky_relu(address, self.negative_slope)


class ELU(Layer):
    """keras.layers.ELU(alpha=1.0): x for x > 0, alpha * (exp(x) - 1) below."""

    _type = "elu"

    def __init__(self, alpha=1.0, input_shape=None, name=None):
        super().__init__(input_shape, name)
        self.alpha = float(alpha)

    def _append(self, address):
        lib.deep_model_add_elu(address, self.alpha)


class ReLU(Layer):
    """keras.layers.ReLU(max_value=None, negative_slope=0.0, threshold=0.0), Keras' formula:
    x where x > threshold (else 0), clipped to [0, max_value] when max_value is given, plus
    negative_slope * (x - threshold) where x < threshold."""

    _type = "relu"

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, input_shape=None, name=None):
        super().__init__(input_shape, name)
        if max_value is not None and not float(max_value) >= 0:
            raise ValueError(f"ReLU: max_value must be >= 0 or None; got {max_value!r}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def _append(self, address):
        # The library reads a negative max_value as None.
        lib.deep_model_add_relu(address, -1.0 if self.max_value is None else self.max_value, self.negative_slope,
                                self.threshold)


class PReLU(Layer):
    """keras.layers.PReLU(alpha_initializer="zeros", shared_axes=None): x for x >= 0,
    alpha * x below, alpha learned, of the sample's shape but of size 1 along shared_axes
    (1-based sample axes, as Keras: shared_axes=[1, 2] on images learns one alpha per
    channel). The weight arguments other than Keras' defaults (alpha_initializer "zeros",
    no alpha_regularizer or alpha_constraint) are not supported and raise ValueError."""

    _type = "prelu"

    def __init__(self, shared_axes=None, input_shape=None, name=None, **kwargs):
        unsupported = {key: value for key, value in kwargs.items()
                       if not (key == "alpha_initializer" and value in ("zeros", "Zeros", None))
                       and not (key in ("alpha_regularizer", "alpha_constraint") and value is None)}
        if unsupported:
            raise ValueError(f"PReLU: {sorted(unsupported)} other than Keras' defaults are not supported "
                             "(alpha starts at zeros, without regularizer or constraint)")
        super().__init__(input_shape, name)
        if shared_axes is None:
            shared_axes = ()
        elif isinstance(shared_axes, int):
            shared_axes = (shared_axes,)
        self.shared_axes = tuple(int(a) for a in shared_axes)

    def _append(self, address):
        axes = (ctypes.c_int64 * max(len(self.shared_axes), 1))(*self.shared_axes)
        lib.deep_model_add_prelu(address, len(self.shared_axes), axes)
