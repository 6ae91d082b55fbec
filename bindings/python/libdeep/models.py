"""Sequential models (a deep_model): add layers, compile, fit, evaluate, predict, summary,
weights, save and load.

fit/evaluate/predict take NumPy arrays or Datasets. Arrays are copied once into a C
dataset or tensor (the C API owns its buffers); float32 C-contiguous arrays are passed
without an intermediate copy. predict returns a NumPy view of the output tensor, no copy.
The C calls release the GIL while they run.
"""

import ctypes
import math
import os
import signal
import sys
import threading

import numpy as np

from . import errors, _graph, _outputs
from . import _ffi as C
from . import optimizers as _optimizers
from . import losses as _losses
from . import _metric_objects
from ._core import Handle, new_tensor, tensor_to_array
from ._lib import lib, out, shape_array, read_text, BATCH_FN, EPOCH_FN, LOG_FN, i32, i64, f64
from .data import Dataset
from .layers import LSTM, Input, Layer, LoadedLayer, SimpleRNN

_LOSSES = {
    "mse": C.DEEP_LOSS_MEAN_SQUARED_ERROR,
    "mean_squared_error": C.DEEP_LOSS_MEAN_SQUARED_ERROR,
    "binary_crossentropy": C.DEEP_LOSS_BINARY_CROSSENTROPY,
    "categorical_crossentropy": C.DEEP_LOSS_CATEGORICAL_CROSSENTROPY,
    "sparse_categorical_crossentropy": C.DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
    # Keras' names and its legacy aliases; the delta of "huber" is the huber_delta option.
    "mean_absolute_error": C.DEEP_LOSS_MEAN_ABSOLUTE_ERROR,
    "mae": C.DEEP_LOSS_MEAN_ABSOLUTE_ERROR,
    "mean_absolute_percentage_error": C.DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR,
    "mape": C.DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR,
    "huber": C.DEEP_LOSS_HUBER,
    "huber_loss": C.DEEP_LOSS_HUBER,
    "log_cosh": C.DEEP_LOSS_LOG_COSH,
    "logcosh": C.DEEP_LOSS_LOG_COSH,
    "hinge": C.DEEP_LOSS_HINGE,
    "squared_hinge": C.DEEP_LOSS_SQUARED_HINGE,
    "categorical_hinge": C.DEEP_LOSS_CATEGORICAL_HINGE,
    "kl_divergence": C.DEEP_LOSS_KL_DIVERGENCE,
    "kld": C.DEEP_LOSS_KL_DIVERGENCE,
    "kullback_leibler_divergence": C.DEEP_LOSS_KL_DIVERGENCE,
    "poisson": C.DEEP_LOSS_POISSON,
    "cosine_similarity": C.DEEP_LOSS_COSINE_SIMILARITY,
}
# Losses whose 1-D integer y are float targets (0/1 or values), not class labels.
_FLOAT_TARGET_LOSSES = frozenset(_LOSSES.values()) - {
    C.DEEP_LOSS_CATEGORICAL_CROSSENTROPY, C.DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY}
_METRICS = {"accuracy": C.DEEP_METRIC_ACCURACY, "acc": C.DEEP_METRIC_ACCURACY,
            "mae": C.DEEP_METRIC_MEAN_ABSOLUTE_ERROR, "mean_absolute_error": C.DEEP_METRIC_MEAN_ABSOLUTE_ERROR,
            # since 1.2: Keras' names (its metric objects are in libdeep.metrics)
            "precision": C.DEEP_METRIC_PRECISION, "recall": C.DEEP_METRIC_RECALL, "auc": C.DEEP_METRIC_AUC,
            "top_k_categorical_accuracy": C.DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY,
            "sparse_top_k_categorical_accuracy": C.DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY,
            "mse": C.DEEP_METRIC_MEAN_SQUARED_ERROR, "mean_squared_error": C.DEEP_METRIC_MEAN_SQUARED_ERROR,
            "root_mean_squared_error": C.DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR,
            "binary_accuracy": C.DEEP_METRIC_BINARY_ACCURACY,
            # Keras' names of what "accuracy" computes for one-hot rows and labels
            "categorical_accuracy": C.DEEP_METRIC_ACCURACY, "sparse_categorical_accuracy": C.DEEP_METRIC_ACCURACY}
# The model options compile sets from the loss and metric objects, at Keras' defaults.
_COMPILE_SETTINGS = {"from_logits": False, "label_smoothing": 0.0, "top_k": 5, "metric_threshold": 0.5}

# Model.get_option / set_option names -> (deep_model_option, Python type of the value).
_MODEL_OPTIONS = {
    "threads": (C.DEEP_MODEL_THREADS, int),
    "shuffle": (C.DEEP_MODEL_SHUFFLE, bool),
    "validation_split": (C.DEEP_MODEL_VALIDATION_SPLIT, float),
    "early_stopping_patience": (C.DEEP_MODEL_EARLY_STOPPING_PATIENCE, int),
    "early_stopping_min_delta": (C.DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, float),
    "verbose": (C.DEEP_MODEL_VERBOSE, int),
    "checkpoint_period": (C.DEEP_MODEL_CHECKPOINT_PERIOD, int),
    "initial_epoch": (C.DEEP_MODEL_INITIAL_EPOCH, int),
    "checkpoint_path": (C.DEEP_MODEL_CHECKPOINT_PATH, str),
    "huber_delta": (C.DEEP_MODEL_HUBER_DELTA, float),
    "from_logits": (C.DEEP_MODEL_FROM_LOGITS, bool),
    "label_smoothing": (C.DEEP_MODEL_LABEL_SMOOTHING, float),
    "top_k": (C.DEEP_MODEL_TOP_K, int),
    "metric_threshold": (C.DEEP_MODEL_METRIC_THRESHOLD, float),
}


class Callback:
    """Keras-style callback: override on_epoch_begin(epoch, logs), on_epoch_end(epoch, logs)
    and/or on_train_batch_end(batch, logs); set self.model.stop_training = True to stop fit.
    on_epoch_begin gets an empty logs dict; for the epochs after the first it runs in the
    C library's end-of-epoch callback of the epoch before."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class LearningRateScheduler(Callback):
    """Keras' LearningRateScheduler: before every epoch (0-based) sets the optimizer's
    learning rate to schedule(epoch, lr), lr being the current one."""

    def __init__(self, schedule, verbose=0):
        if not callable(schedule):
            raise TypeError(f"schedule must be callable, as schedule(epoch, lr); got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        learning_rate = float(self.schedule(epoch, self.model.optimizer.learning_rate))
        self.model.optimizer.learning_rate = learning_rate
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")


class EarlyStopping(Callback):
    """Keras' EarlyStopping on the validation loss (or the training loss without validation);
    the library restores the best weights. Implemented by the C library's settings."""

    def __init__(self, patience=0, min_delta=0.0):
        self.patience = int(patience)
        self.min_delta = float(min_delta)


class ReduceLROnPlateau(Callback):
    """Keras' ReduceLROnPlateau, implemented by the C library's fit: monitors the validation
    loss when fit has validation data, else the training loss ("val_loss" and "loss" both
    mean that). Its state starts afresh with every fit call."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        if monitor not in ("val_loss", "loss"):
            raise ValueError(f"ReduceLROnPlateau monitors the loss ('val_loss' or 'loss'); got {monitor!r}")
        if mode not in ("auto", "min"):
            raise ValueError(f"ReduceLROnPlateau on a loss needs mode 'auto' or 'min'; got {mode!r}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.monitor, self.mode, self.verbose = monitor, mode, verbose
        self.factor, self.patience, self.min_delta = float(factor), int(patience), float(min_delta)
        self.cooldown, self.min_lr = int(cooldown), float(min_lr)


class History:
    """What fit returns: history[name] lists one value per epoch (Keras' History), a dict
    of lists of floats, so plt.plot(history.history["loss"]) works as with Keras; model
    is the model that was fitted."""

    def __init__(self, history, epochs, model=None):
        self.history = history
        self.epoch = list(range(epochs))
        self.model = model

    def plot_svg(self, path):
        """Draws the training curves as an SVG file at path without matplotlib: one panel
        per quantity (loss, then each metric), training and, when fit had validation data,
        validation per epoch. It draws the model's last fit, so it refuses (RuntimeError)
        once the model has been fitted again."""
        if self.model is None:
            raise RuntimeError("History.plot_svg: this History has no model")
        if self.model._fit_count != self._fit_count:
            raise RuntimeError("History.plot_svg: the model has been fitted again since; plot the newer History")
        lib.deep_model_history_svg(self.model._ptr, os.fsencode(path))


def _catch_ctrl_c(failure):
    """While fit runs on the main thread with Python's default SIGINT handling, Ctrl-C
    records a KeyboardInterrupt instead of raising it inside a ctypes callback (where it
    would be lost); the next batch callback then stops fit, which re-raises it. Returns
    the function that restores the previous handler."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return lambda: None

    def handler(signum, frame):
        failure.append(KeyboardInterrupt())

    signal.signal(signal.SIGINT, handler)
    return lambda: signal.signal(signal.SIGINT, signal.default_int_handler)


def _loss_code(loss):
    if isinstance(loss, _losses.Loss):
        return loss.code
    if not isinstance(loss, str) or loss.lower() not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(_LOSSES)} or a libdeep.losses object")
    return _LOSSES[loss.lower()]


def _metric_spec(metric):
    """(history name, deep_metric code, {option: value}) of a metric string or object."""
    if isinstance(metric, _metric_objects.Metric):
        return metric.name, metric.code, metric.settings()
    if not isinstance(metric, str) or metric.lower() not in _METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(_METRICS)} or a libdeep.metrics object")
    return metric.lower(), _METRICS[metric.lower()], {}


def _unique_names(names):
    """Keras' names of several metrics of one name: precision, precision_1, precision_2, ..."""
    seen, unique = {}, []
    for name in names:
        count = seen.get(name, 0)
        unique.append(name if count == 0 else f"{name}_{count}")
        seen[name] = count + 1
    return unique


def _compile_settings(losses, metric_settings):
    """The model options of Keras' loss and metric objects; one value per model."""
    chosen = {}
    items = [loss.get_config() for loss in losses if isinstance(loss, _losses.Loss)] + metric_settings
    for item in items:
        for key, value in item.items():
            if key not in _COMPILE_SETTINGS:
                continue
            if key in chosen and chosen[key] != value:
                raise errors.UnsupportedError(f"compile: {key} is one setting for the whole model; got {chosen[key]!r} "
                                              f"and {value!r}")
            chosen[key] = value
    return {**_COMPILE_SETTINGS, **chosen}


def _sparse_labels(array, what, steps=None):
    """Sparse labels as Keras takes them: shape (n,) or (n, 1), integers or whole floats; for
    an output of `steps` steps, one label per step: (n, steps) or (n, steps, 1) (since 1.3)."""
    if steps is not None:
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if array.ndim != 2 or array.shape[1] != steps:
            raise errors.ShapeError(f"{what}(y=...): sparse_categorical_crossentropy on an output of {steps} steps "
                                    f"takes one class label per step, shape (n, {steps}); y has shape "
                                    f"{array.shape}")
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{what}(y=...): sparse_categorical_crossentropy takes whole class labels; y holds "
                             f"fractions or non-finite values")
        return array.astype(np.float32)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise errors.ShapeError(f"{what}(y=...): sparse_categorical_crossentropy takes one class label per "
                                f"sample, shape (n,) or (n, 1); y has shape {array.shape} (one-hot rows go with "
                                f"loss='categorical_crossentropy')")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{what}(y=...): sparse_categorical_crossentropy takes whole class labels; y holds "
                             f"fractions or non-finite values")
        array = array.astype(np.int64)
    return array


def _load_path(path):
    return os.fsencode(path)


class Sequential(Handle):
    """keras.Sequential. The input shape comes from input_shape=, an Input(shape) first
    element, or input_shape= on the first layer; the C model is created then."""

    _free = lib.deep_model_free
    _kind = "model"
    _copy_hint = " (save and load it, or copy its weights with get_weights/set_weights)"

    def __init__(self, layers=None, input_shape=None, name=None, *, _address=None):
        self._address = None
        self._finalizer = None
        self._closed = False
        self.name = name
        self.layers = []
        self._pending = []
        self._seed = None
        self._loss = None
        self._losses = None  # one loss code per output, once compiled here
        self._metric_names = None
        self._metric_codes = None
        self.optimizer = None
        self.stop_training = False
        self._log_cb = None
        self._callbacks_c = None
        if _address is not None:
            Handle.__init__(self, _address)
            return
        if input_shape is not None:
            self._build(input_shape)
        for layer in layers or []:
            self.add(layer)

    # ---- handle ------------------------------------------------------------------------

    @property
    def _ptr(self):
        if self._closed:
            raise errors.ClosedError("this model has been closed")
        if self._address is None:
            raise errors.StateError("the model has no input shape yet: pass input_shape= to Sequential or to "
                                    "the first layer, or start the layer list with libdeep.Input(shape)")
        return self._address

    @property
    def closed(self):
        return self._closed

    def close(self):
        self._closed = True
        self._address = None
        if self._finalizer is not None:
            self._finalizer()

    @property
    def built(self):
        return self._address is not None

    def _build(self, input_shape):
        if self._address is not None:
            raise errors.StateError("the model already has an input shape")
        shape = tuple(int(d) for d in input_shape)
        handle = out()
        lib.deep_model_new(len(shape), shape_array(shape), ctypes.byref(handle))
        Handle.__init__(self, handle.value)
        if self._seed is not None:
            lib.deep_model_set_seed(self._address, self._seed)
        pending, self._pending = self._pending, []
        for layer in pending:
            self._append(layer)

    def build(self, input_shape=None):
        """Keras' build: gives the model its weights (initialised from the seed as compile
        would) without compiling it, so that predict, get_weights and set_weights work; the
        first compile keeps them. input_shape (with or without the batch axis) when the model
        has none yet. Layers cannot be added afterwards. get_weights, set_weights, predict
        and predict_states build a model that has no weights yet by themselves."""
        if self._address is None:
            if input_shape is None:
                raise errors.StateError(f"{type(self).__name__}.build(input_shape=...): the model has no input "
                                        "shape yet; pass one, e.g. build((None, 28, 28, 1))")
            shape = tuple(input_shape)
            self._build(shape[1:] if shape and shape[0] is None else shape)
        self._ensure_weights()

    def _ensure_weights(self):
        lib.deep_model_build(self._ptr)  # nothing when the model has weights already

    # ---- building ----------------------------------------------------------------------

    def add(self, layer):
        if self._closed:
            raise errors.ClosedError("this model has been closed")
        if isinstance(layer, Input):
            self._build(layer._sample_shape)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"add() takes a libdeep layer; got {layer!r}")
        if layer._model is not None or any(layer is p for p in self._pending):
            raise errors.StateError(f"this {type(layer).__name__} already belongs to a model")
        if getattr(layer, "_wrapper", None) is not None:
            raise errors.StateError(f"this {type(layer).__name__} is wrapped in a Bidirectional; add that instead")
        if getattr(layer, "return_state", False):
            raise ValueError(f"a {type(layer).__name__} with return_state=True has several outputs; a Sequential "
                             f"model's layers have one (use the functional Model, or predict_states)")
        if layer._calls:
            raise errors.StateError(f"this {type(layer).__name__} has been called on nodes of a layer graph; "
                                    f"it belongs in a Model, not a Sequential")
        if self._address is None:
            if layer.input_shape is not None:
                self._build(layer.input_shape)
            else:
                self._pending.append(layer)
                return
        self._append(layer)

    def _append(self, layer, nodes=None):
        # raises (and adds nothing) when the shapes or the name do not fit; nodes: a graph call's inputs
        if layer.name is not None:
            _check_name(layer.name, self.layers)
        if nodes is None:
            layer._append(self._ptr)
        else:
            layer._append_on(self._ptr, nodes)
        layer._apply_rules(self._ptr)  # its weight arguments (since 1.2)
        index = len(self.layers)
        if layer.name is None:  # the library's name: "dense", then "dense_1", ... per type
            layer.name = read_text(lib.deep_model_layer_name, self._ptr, index)
        else:  # kept by the C model, hence by its files (since 1.3)
            lib.deep_model_set_layer_name(self._ptr, index, layer.name.encode("ascii"))
        layer._attach(self, index)
        self.layers.append(layer)

    def get_layer(self, name=None, index=None):
        """Keras' get_layer: the layer of that name (given to the layer, else the library's
        "dense", "dense_1", ... counted per type in this model), or at that index."""
        if index is not None:
            return self.layers[int(index)]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are {[layer.name for layer in self.layers]}")

    def _check_x(self, x, method, flat=True):
        """Keras' input rule in Python's words (the C library checks it too): x must be a
        batch (n, input shape...); flat rows (n, features) too when `flat` (1.x)."""
        if isinstance(x, (Dataset, list, tuple)) or not hasattr(x, "shape") or self._address is None:
            return
        shapes = _graph.input_shapes(self._ptr)
        if len(shapes) != 1:
            return
        want = tuple(shapes[0])
        got = tuple(int(d) for d in np.shape(x))
        if got[1:] == want or (flat and len(got) == 2 and got[1] == int(np.prod(want))):
            return
        where = f"{type(self).__name__}.{method}(x=...)"
        if got == want:
            raise errors.ShapeError(f"{where}: x has shape {got}, the shape of one sample of the model's input "
                                    f"{want}, without the batch axis; add a batch axis: x[None]")
        if len(got) == 1 and want == (1,):
            return  # (n,) for a model of one feature: the C library decides
        if len(got) < 2:
            raise errors.ShapeError(f"{where}: x has shape {got}, but the model takes batches of shape "
                                    f"(n, {', '.join(map(str, want))}); add a batch axis: x[None]"
                                    if got else f"{where}: x is a scalar; the model takes batches of shape "
                                    f"(n, {', '.join(map(str, want))})")
        sample = got[1:]
        if int(np.prod(sample)) != int(np.prod(want)):
            return  # another count: the C library's message says it (with this call's name)
        text = f"{where}: x has shape {got}, so samples of shape {sample}, but the model's input is {want}"
        if len(sample) == len(want):
            axis = next(k for k in range(len(want)) if sample[k] != want[k])
            text += f": axis {axis + 1} of x has {sample[axis]} entries, not {want[axis]}"
            if len(want) >= 2 and sample == want[-1:] + want[:-1]:
                order = ", ".join(map(str, [0] + list(range(2, len(want) + 1)) + [1]))
                text += (f"; x looks channels-first while the model takes channels-last: "
                         f"x.transpose({order})")
        else:
            text += f" (the same number of values, other axes): reshape x explicitly, x.reshape((-1,) + {want})"
        raise errors.ShapeError(text)

    def _join(self, x):
        """x as the C model takes it: for a model of several inputs (a loaded layer graph),
        a list of one array per input becomes one array of rows (functional.Model too)."""
        if isinstance(x, (list, tuple)) and self._address is not None:
            shapes = _graph.input_shapes(self._ptr)
            if len(shapes) > 1:
                return _graph.join_inputs(x, shapes)
        return x

    def set_seed(self, seed):
        """Seeds weight initialisation (done by compile), shuffling and dropout."""
        self._seed = int(seed)
        if self._address is not None:
            lib.deep_model_set_seed(self._address, self._seed)

    def get_seed(self):
        """The seed the C model holds (deep_model_get_seed); before the model has an input
        shape, the one set_seed keeps for it (None when none was set)."""
        if self._address is None:
            return self._seed
        seed = ctypes.c_uint64(0)
        lib.deep_model_get_seed(self._ptr, ctypes.byref(seed))
        return seed.value

    def set_option(self, name, value):
        """Sets a model option by name: threads, shuffle, validation_split,
        early_stopping_patience, early_stopping_min_delta, verbose, checkpoint_period,
        initial_epoch, checkpoint_path (None clears it), huber_delta (loss "huber"'s delta,
        > 0, default 1.0, saved with the compiled model); since 1.2 from_logits,
        label_smoothing, top_k and metric_threshold (saved with the compiled model; compile
        sets them from its loss and metric objects, Keras' defaults for strings). fit sets shuffle, validation_split,
        the early-stopping pair and verbose from its own arguments on every call."""
        option, kind = self._option(name)
        if kind is str:
            lib.deep_model_set_string(self._ptr, option, None if value is None else os.fsencode(value))
        elif kind is float:
            lib.deep_model_set_float(self._ptr, option, float(value))
        else:
            if isinstance(value, float) or (kind is int and isinstance(value, bool)):
                raise TypeError(f"model option {name!r} takes an int; got {value!r}")
            lib.deep_model_set_int(self._ptr, option, int(value))

    def get_option(self, name):
        """The current value of a model option (names as set_option), read from the C model:
        e.g. initial_epoch after loading a checkpoint. checkpoint_path is None when unset."""
        option, kind = self._option(name)
        if kind is str:
            text = read_text(lib.deep_model_get_string, self._ptr, option)
            return text or None
        if kind is float:
            value = f64(0)
            lib.deep_model_get_float(self._ptr, option, ctypes.byref(value))
            return value.value
        value = i64(0)
        lib.deep_model_get_int(self._ptr, option, ctypes.byref(value))
        return bool(value.value) if kind is bool else value.value

    _METRIC_OPTIONS = {"threshold": C.DEEP_METRIC_OPTION_THRESHOLD, "class_id": C.DEEP_METRIC_OPTION_CLASS_ID,
                       "top_k": C.DEEP_METRIC_OPTION_TOP_K, "num_thresholds": C.DEEP_METRIC_OPTION_NUM_THRESHOLDS}

    def _metric_option(self, metric, name):
        if name not in self._METRIC_OPTIONS:
            raise ValueError(f"no metric option {name!r}; the options are {sorted(self._METRIC_OPTIONS)}")
        index = self._metric_names.index(metric) if isinstance(metric, str) and self._metric_names else metric
        return int(index), self._METRIC_OPTIONS[name]

    def get_metric_option(self, metric, name):
        """A compiled metric's setting in use (since 1.3): metric is its position in
        compile's list or its history name ("precision_1"); name one of "threshold",
        "class_id" (-1: every class), "top_k" (0: none, for precision and recall),
        "num_thresholds"."""
        index, option = self._metric_option(metric, name)
        if option == C.DEEP_METRIC_OPTION_THRESHOLD:
            value = f64(0)
            lib.deep_model_get_metric_float(self._ptr, index, option, ctypes.byref(value))
        else:
            value = i64(0)
            lib.deep_model_get_metric_int(self._ptr, index, option, ctypes.byref(value))
        return value.value

    _OUTPUT_OPTIONS = {"from_logits": C.DEEP_MODEL_FROM_LOGITS, "label_smoothing": C.DEEP_MODEL_LABEL_SMOOTHING,
                       "huber_delta": C.DEEP_MODEL_HUBER_DELTA}

    def _output_index(self, output, name):
        if name not in self._OUTPUT_OPTIONS:
            raise ValueError(f"no output option {name!r}; the options are {sorted(self._OUTPUT_OPTIONS)}")
        if isinstance(output, str):
            names = [n for n, _ in _outputs.output_info(self)]
            if output not in names:
                raise ValueError(f"no output {output!r}; the outputs are {names}")
            output = names.index(output)
        return int(output), self._OUTPUT_OPTIONS[name]

    def get_output_option(self, output, name):
        """An output's loss setting in use (since 1.3): "from_logits", "label_smoothing" or
        "huber_delta" of output `output` (its position or its layer's name); the model's
        own option unless the output has its own."""
        index, option = self._output_index(output, name)
        if option == C.DEEP_MODEL_FROM_LOGITS:
            value = i64(0)
            lib.deep_model_get_output_int(self._ptr, index, option, ctypes.byref(value))
            return bool(value.value)
        value = f64(0)
        lib.deep_model_get_output_float(self._ptr, index, option, ctypes.byref(value))
        return value.value

    def set_output_option(self, output, name, value):
        """Sets one output's loss setting after compile (since 1.3); compile with Keras' loss
        objects per output sets them."""
        index, option = self._output_index(output, name)
        if option == C.DEEP_MODEL_FROM_LOGITS:
            lib.deep_model_set_output_int(self._ptr, index, option, int(bool(value)))
        else:
            lib.deep_model_set_output_float(self._ptr, index, option, float(value))

    def set_metric_option(self, metric, name, value):
        """Sets what a Keras metric object's argument sets (since 1.3), after compile."""
        index, option = self._metric_option(metric, name)
        if option == C.DEEP_METRIC_OPTION_THRESHOLD:
            lib.deep_model_set_metric_float(self._ptr, index, option, float(value))
        else:
            lib.deep_model_set_metric_int(self._ptr, index, option, int(value))

    @staticmethod
    def _option(name):
        if name not in _MODEL_OPTIONS:
            raise ValueError(f"no model option {name!r}; the options are {sorted(_MODEL_OPTIONS)}")
        return _MODEL_OPTIONS[name]

    # ---- compile -----------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None):
        """Keras' compile. With several outputs (a functional Model), loss is one name for
        every output, a list in output order or a dict by output layer name; loss_weights a
        list or dict (1 for an output a dict leaves out); the metrics are computed for every
        output (Keras' per-output forms, a list of lists or a dict, are taken when they name
        the same metrics for every output)."""
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='sparse_categorical_crossentropy'")
        info = _outputs.output_info(self)
        output_names = [name for name, _ in info]
        metric_items = _outputs.metric_list(metrics, output_names)
        specs = [_metric_spec(m) for m in metric_items]
        names = _unique_names([name for name, _, _ in specs])
        loss_items = _outputs.per_output(loss, output_names, "loss")
        losses = [_loss_code(item) for item in loss_items]
        # With several outputs each loss object's settings are its output's own (since 1.3).
        several_losses = len(info) > 1
        settings = _compile_settings([] if several_losses else loss_items, [extra for _, _, extra in specs])
        weights = None
        if loss_weights is not None:
            weights = [float(w) for w in _outputs.per_output(loss_weights, output_names, "loss_weights", 1.0)]
            if len(info) == 1 and weights == [1.0]:
                weights = None
        opt = _optimizers.get(optimizer)
        if opt._model is not None and opt._model is not self:
            raise errors.StateError("this optimizer is already used by another model; create a new one")
        model = self._ptr
        codes = (ctypes.c_int * max(1, len(names)))(*[code for _, code, _ in specs])
        # from_logits before compile too, which checks it against a log_softmax output (1.3).
        self.set_option("from_logits", settings["from_logits"])
        address = opt._create()
        # The C model owns the optimizer from here on, even when compile fails.
        if len(info) > 1 or weights is not None:
            lib.deep_model_compile_outputs(model, address, (ctypes.c_int * len(losses))(*losses),
                                           None if weights is None else (f64 * len(weights))(*weights),
                                           len(losses), codes if names else None, len(names))
        else:
            lib.deep_model_compile(model, address, losses[0], codes if names else None, len(names))
        if self.optimizer is not None and self.optimizer is not opt:
            self.optimizer._unbind()  # the model freed it; the object keeps only its settings
        opt._bind(self)
        self.optimizer = opt
        self._loss = losses[0]
        self._losses = losses
        self._metric_names = names
        self._metric_codes = [code for _, code, _ in specs]
        for key, value in settings.items():  # Keras' loss and metric objects carry these
            self.set_option(key, value)
        for k, item in enumerate(loss_items if several_losses else []):
            if isinstance(item, _losses.Loss):
                self.set_output_option(k, "from_logits", item.from_logits)
                self.set_output_option(k, "label_smoothing", item.label_smoothing)
        for index, item in enumerate(metric_items):  # each metric object's own arguments (since 1.3)
            if isinstance(item, _metric_objects.Metric):
                for option, value in item.options():
                    name = next(key for key, code in self._METRIC_OPTIONS.items() if code == option)
                    self.set_metric_option(index, name, value)

    # ---- data --------------------------------------------------------------------------

    def _set_class_weights(self, class_weight):
        """Keras' class_weight dict {class index: weight} as the model's class weights;
        every class from 0 to the largest must have one, as Keras requires."""
        if class_weight is None:
            return
        if not isinstance(class_weight, dict) or not class_weight:
            raise TypeError(f"class_weight must be a dict {{class: weight}}; got {class_weight!r}")
        size = max(int(k) for k in class_weight) + 1
        missing = [c for c in range(size) if c not in class_weight]
        if missing:
            raise ValueError(f"class_weight has no weight for classes {missing}")
        weights = (f64 * size)(*[float(class_weight[c]) for c in range(size)])
        lib.deep_model_set_class_weights(self._ptr, weights, size)

    def _dataset(self, x, y, what, sample_weight=None):
        """(dataset, owned): x when it is a Dataset, else a new one from arrays x and y
        (with sample_weight, when given)."""
        if isinstance(x, Dataset):
            if y is not None:
                raise TypeError(f"{what}: pass either a Dataset or arrays x and y, not a Dataset and y")
            if sample_weight is not None:
                raise TypeError(f"{what}: a Dataset carries its own sample weights (Dataset.set_sample_weights)")
            return x, False
        if x is None:
            raise TypeError(f"{what} needs x")
        data = Dataset(self._join(x))
        try:
            several = self._several_outputs()
            if y is not None and several:
                data.set_targets(_outputs.target_rows(y, several, self._losses or [None] * len(several)))
            elif y is not None:
                array = np.asarray(y)
                if self._loss == C.DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
                    array = _sparse_labels(array, what, self._label_steps())
                labels = array.dtype.kind in "biu" and array.ndim == 1
                # Losses on float targets read 1-D integer y as 0/1 (or regression) values.
                if self._loss in _FLOAT_TARGET_LOSSES and array.ndim == 1:
                    labels = False
                if labels:
                    data.set_labels(array)
                else:
                    data.set_targets(array.reshape(array.shape[0], -1) if array.ndim else array)
            if sample_weight is not None:
                data.set_sample_weights(sample_weight)
        except BaseException:
            data.close()
            raise
        return data, True

    # ---- fit ---------------------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, seed=None, class_weight=None,
            sample_weight=None, _fit_call=None):
        """Keras' fit. class_weight {class: weight} weighs the training loss of each class
        (not the validation loss); sample_weight one weight per sample of x (arrays only; a
        Dataset carries its own, Dataset.set_sample_weights); validation_data may be
        (x, y, sample_weight). Each sample's loss is multiplied by its weight and the batch's
        sum divided by the batch size, as Keras; the metrics are not weighted."""
        # _fit_call: what runs the C fit (deep_model_fit's arguments); libdeep.mpi passes
        # deep_mpi_fit's so that a distributed fit shares all of this.
        model = self._ptr
        # Counts fits (failed ones too: they replace the C history) for History.plot_svg.
        self._fit_count = getattr(self, "_fit_count", 0) + 1
        if seed is not None:
            self.set_seed(seed)
        batch_size = 32 if batch_size is None else int(batch_size)
        callbacks = list(callbacks or [])
        self._check_x(x, "fit")
        train, own_train = self._dataset(x, y, "fit", sample_weight)
        validation, own_validation = None, False
        try:
            if validation_data is not None:
                if isinstance(validation_data, Dataset):
                    validation = validation_data
                else:
                    vx, vy, vw = tuple(validation_data) + (None,) * (3 - len(validation_data))
                    validation, own_validation = self._dataset(vx, vy, "validation_data", vw)
            self._set_class_weights(class_weight)
            patience, min_delta = 0, 0.0
            plateau = (0.0, 0, 0.0, 0, 0.0)  # off
            plain = []
            for cb in callbacks:
                if isinstance(cb, EarlyStopping):
                    patience, min_delta = cb.patience, cb.min_delta
                elif isinstance(cb, ReduceLROnPlateau):
                    plateau = (cb.factor, cb.patience, cb.min_delta, cb.cooldown, cb.min_lr)
                elif isinstance(cb, Callback):
                    plain.append(cb)
                else:
                    raise TypeError(f"callbacks must be libdeep.callbacks.Callback instances; got {cb!r}")
            lib.deep_model_set_int(model, C.DEEP_MODEL_SHUFFLE, int(bool(shuffle)))
            lib.deep_model_set_float(model, C.DEEP_MODEL_VALIDATION_SPLIT, float(validation_split))
            lib.deep_model_set_int(model, C.DEEP_MODEL_EARLY_STOPPING_PATIENCE, patience)
            lib.deep_model_set_float(model, C.DEEP_MODEL_EARLY_STOPPING_MIN_DELTA, min_delta)
            lib.deep_model_set_reduce_lr_on_plateau(model, *plateau)
            verbose = 1 if verbose == "auto" else int(verbose)
            lib.deep_model_set_int(model, C.DEEP_MODEL_VERBOSE, 1 if verbose else 0)
            self._set_log(verbose)
            failure = []
            self.stop_training = False
            self._install_callbacks(plain, failure, int(epochs))
            restore = _catch_ctrl_c(failure)
            try:
                first_epoch = i64(0)
                lib.deep_model_get_int(model, C.DEEP_MODEL_INITIAL_EPOCH, ctypes.byref(first_epoch))
                if first_epoch.value < int(epochs):
                    for cb in plain:
                        cb.on_epoch_begin(first_epoch.value, {})
                (_fit_call or lib.deep_model_fit)(model, train._ptr, int(epochs), batch_size,
                                                  None if validation is None else validation._ptr)
            finally:
                restore()
                lib.deep_model_set_callbacks(model, BATCH_FN(), EPOCH_FN(), None)
                self._callbacks_c = None
            if failure:
                raise failure[0]
            has_validation = validation is not None or float(validation_split) > 0
            return self._history(has_validation)
        finally:
            if class_weight is not None:  # a fit argument, as in Keras
                lib.deep_model_set_class_weights(model, None, 0)
            if own_train:
                train.close()
            if own_validation:
                validation.close()

    def _set_log(self, verbose):
        if verbose:
            def log(user, level, message):
                try:
                    text = message.decode("utf-8", "replace")
                    print(text, file=sys.stderr if level >= C.DEEP_LOG_WARNING else sys.stdout, flush=True)
                except Exception:  # never let an exception cross the C frame
                    pass
            self._log_cb = LOG_FN(log)
        else:
            self._log_cb = LOG_FN()
        lib.deep_model_set_log(self._ptr, self._log_cb, None)

    def _install_callbacks(self, callbacks, failure, epochs):
        # Installed even without user callbacks: running a little Python after each batch
        # lets Ctrl-C (KeyboardInterrupt) stop fit at the next batch.
        for cb in callbacks:
            cb.set_model(self)

        def on_batch(user, epoch, batch, loss):
            if failure:
                return 1
            try:
                for cb in callbacks:
                    cb.on_train_batch_end(int(batch), {"loss": float(loss)})
                return 1 if self.stop_training else 0
            except BaseException as exc:  # re-raised by fit once the C call returns
                failure.append(exc)
                return 1

        def on_epoch(user, model, epoch):
            if failure:
                return 1
            if not callbacks:
                return 1 if self.stop_training else 0
            try:
                logs = self._epoch_logs(int(epoch))
                for cb in callbacks:
                    cb.on_epoch_end(int(epoch), logs)
                if not self.stop_training and epoch + 1 < epochs:
                    for cb in callbacks:
                        cb.on_epoch_begin(int(epoch) + 1, {})
                return 1 if self.stop_training else 0
            except BaseException as exc:
                failure.append(exc)
                return 1

        self._callbacks_c = (BATCH_FN(on_batch), EPOCH_FN(on_epoch))
        lib.deep_model_set_callbacks(self._ptr, self._callbacks_c[0], self._callbacks_c[1], None)

    def _label_steps(self):
        """The steps of a (steps, classes) output, which the sparse loss labels one by one;
        None for an output of rank 1."""
        shape = self.output_shape[1:]
        return math.prod(shape[:-1]) if len(shape) > 1 else None

    def _several_outputs(self):
        """[(name, shape)] of the outputs when the model has several, else None."""
        if self._address is None:
            return None
        info = _outputs.output_info(self)
        return info if len(info) > 1 else None

    def _stat_names(self):
        several = self._several_outputs()
        if several:
            return _outputs.stat_names(several, self._metric_names or [])
        return ["loss"] + list(self._metric_names or [])

    def _stat_keys(self):
        """(history key, output or None, metric code): None reads deep_model_history, an
        output (-1 for the total) deep_model_history_output."""
        codes = list(getattr(self, "_metric_codes", None) or [])
        several = self._several_outputs()
        if several:
            return _outputs.stat_keys(several, self._metric_names or [], codes)
        return list(zip(["loss"] + list(self._metric_names or []), [None] * (1 + len(codes)),
                        [C.DEEP_METRIC_LOSS] + codes))

    def _history_value(self, epoch, output, code, validation):
        value = f64(0)
        if output is None:
            lib.deep_model_history(self._ptr, epoch, code, validation, ctypes.byref(value))
        else:
            lib.deep_model_history_output(self._ptr, epoch, output, code, validation, ctypes.byref(value))
        return value.value

    def _epoch_logs(self, epoch):
        logs = {}
        for name, output, code in self._stat_keys():
            logs[name] = self._history_value(epoch, output, code, 0)
            try:
                logs["val_" + name] = self._history_value(epoch, output, code, 1)
            except errors.Error:
                pass
        return logs

    def _history(self, has_validation):
        length = i64(0)
        lib.deep_model_history_length(self._ptr, ctypes.byref(length))
        history = {}
        parts = [0, 1] if has_validation else [0]
        for validation in parts:
            for name, output, code in self._stat_keys():
                history[("val_" if validation else "") + name] = \
                    [self._history_value(epoch, output, code, validation) for epoch in range(length.value)]
        result = History(history, length.value, self)
        result._fit_count = self._fit_count
        return result

    # ---- evaluate / predict -----------------------------------------------------------

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False, sample_weight=None):
        """The loss, or [loss, metric...] when metrics were compiled (Keras' convention); with
        several outputs [total loss, each output's loss, each output's metrics...].
        sample_weight weighs each sample's loss, as fit's."""
        model = self._ptr
        batch_size = 32 if batch_size is None else int(batch_size)
        self._check_x(x, "evaluate")
        data, owned = self._dataset(x, y, "evaluate", sample_weight)
        try:
            needed = i64(0)  # the loss and the metrics: the size query does not evaluate
            lib.deep_model_evaluate(model, data._ptr, batch_size, None, 0, ctypes.byref(needed))
            capacity = needed.value
            values = (f64 * capacity)()
            lib.deep_model_evaluate(model, data._ptr, batch_size, values, capacity, ctypes.byref(needed))
        finally:
            if owned:
                data.close()
        results = list(values)
        if return_dict:
            names = self._stat_names() if self._metric_names is not None else \
                ["loss"] + [f"metric_{i}" for i in range(1, capacity)]
            return dict(zip(names, results))
        return results[0] if len(results) == 1 else results

    def predict(self, x, batch_size=None, verbose="auto"):
        """Outputs (n, output shape...) as a float32 NumPy array (a view of the C tensor); with
        several outputs a list of such arrays, one per output."""
        model = self._ptr
        if isinstance(x, Dataset):
            handle = out()
            lib.deep_dataset_features(x._ptr, ctypes.byref(handle))
            from ._core import Tensor
            inputs = Tensor(handle.value)
        else:
            self._check_x(x, "predict")
            inputs = new_tensor(self._join(x), "predict input")
        self._ensure_weights()
        with inputs:
            result = out()
            lib.deep_model_predict(model, inputs._ptr, ctypes.byref(result))
        several = self._several_outputs()
        rows = tensor_to_array(result.value)
        return _outputs.split_rows(rows, several) if several else rows

    # ---- online training: one step on arrays ------------------------------------------

    def _batch_y(self, y):
        """y as the C call takes it: float32, labels (sparse loss) as whole floats; with
        several outputs, the target rows."""
        several = self._several_outputs()
        if several:
            return new_tensor(_outputs.target_rows(y, several, self._losses or [None] * len(several)), "y")
        array = np.asarray(y)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"y must hold numbers; got dtype {array.dtype}")
        return new_tensor(np.ascontiguousarray(array, dtype=np.float32), "y")

    def _on_batch(self, fn, x, y, return_dict, sample_weight=None):
        model = self._ptr
        self._check_x(x, fn.__name__[len("deep_model_"):], flat=False)
        extra = ()
        if sample_weight is not None:  # the _weighted variant of fn, with the weights
            fn = lib.deep_model_train_on_batch_weighted if fn is lib.deep_model_train_on_batch else \
                lib.deep_model_test_on_batch_weighted
            weights = np.ascontiguousarray(np.asarray(sample_weight, dtype=np.float32).reshape(-1))
            extra = (weights.ctypes.data, weights.size)
        with new_tensor(self._join(x), "x") as inputs, self._batch_y(y) as targets:
            needed = i64(0)
            if self._metric_names is not None:
                capacity = len(self._stat_names())
            else:  # a loaded or cloned model: ask (capacity 0 runs nothing)
                fn(model, inputs._ptr, targets._ptr, *extra, None, 0, ctypes.byref(needed))
                capacity = needed.value
            values = (f64 * capacity)()
            fn(model, inputs._ptr, targets._ptr, *extra, values, capacity, ctypes.byref(needed))
        results = list(values)
        if return_dict:
            names = self._stat_names() if self._metric_names is not None else \
                ["loss"] + [f"metric_{i}" for i in range(1, capacity)]
            return dict(zip(names, results))
        return results[0] if len(results) == 1 else results

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        """Keras' train_on_batch: one gradient step on the batch (x, y), no dataset. Returns
        the loss of the batch before the step, or [loss, metric...] when metrics were
        compiled. y: float targets (n, output shape...), or class labels (n,) for
        sparse_categorical_crossentropy; with several outputs, y as fit takes it and the
        values in evaluate's order. The optimizer's state carries over between calls
        and to and from fit. After the first call with a batch size the library allocates
        nothing for calls of that size or smaller. Not from fit's callbacks, and one call
        at a time per model (as fit). sample_weight and class_weight as fit's."""
        if class_weight is None:
            return self._on_batch(lib.deep_model_train_on_batch, x, y, return_dict, sample_weight)
        self._set_class_weights(class_weight)
        try:
            return self._on_batch(lib.deep_model_train_on_batch, x, y, return_dict, sample_weight)
        finally:
            lib.deep_model_set_class_weights(self._ptr, None, 0)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """Keras' test_on_batch: the loss (and metrics) of the batch in inference mode, as
        evaluate(x, y, batch_size=len(x)) gives them; sample_weight as evaluate's."""
        return self._on_batch(lib.deep_model_test_on_batch, x, y, return_dict, sample_weight)

    def predict_on_batch(self, x):
        """Keras' predict_on_batch: the outputs for one batch x as a new float32 array
        (n, output shape...), the values predict gives. Uses the model's workspace (no
        allocation in the library after the first call with that batch size), so, unlike
        predict, one call at a time per model."""
        several = self._several_outputs()
        self._check_x(x, "predict_on_batch", flat=False)
        with new_tensor(self._join(x), "x") as inputs:
            n = inputs.shape[0]
            if several:
                shape = (sum(int(np.prod(s)) for _, s in several),)
            else:
                shape = self._shape(lib.deep_model_output_shape)[1:]
            result = np.empty((n,) + shape, dtype=np.float32)
            needed = i64(0)
            lib.deep_model_predict_on_batch(self._ptr, inputs._ptr, result.ctypes.data, result.size,
                                            ctypes.byref(needed))
        return _outputs.split_rows(result, several) if several else result

    def copy_weights_from(self, source):
        """Copies every weight of `source`, a compiled model of the same architecture, into
        this compiled model in one call (as self.set_weights(source.get_weights()), the
        target network of DQN); this model's optimizer state stays."""
        if not isinstance(source, Sequential):
            raise TypeError(f"copy_weights_from() takes a libdeep model; got {source!r}")
        source._ensure_weights()
        self._ensure_weights()
        lib.deep_model_copy_weights(self._ptr, source._ptr)

    def predict_states(self, x, layer=-1):
        """Keras' return_state: the final states of recurrent layer `layer` (an index, negative
        from the end, or the layer itself) after running the model on x, as a list of float32
        (n, units) arrays: [h, c] for an LSTM, [h] for a GRU or SimpleRNN. h is the layer's
        last output (the last step of its sequence with return_sequences)."""
        index = self.layers.index(layer) if isinstance(layer, Layer) else int(layer)
        units, has_cell = _state_size(self.layers[index] if -len(self.layers) <= index < len(self.layers) else None)
        self._check_x(x, "predict_states")
        self._ensure_weights()
        with new_tensor(self._join(x), "predict_states input") as inputs:
            n = inputs.shape[0]
            states = [new_tensor(np.zeros((n, units), np.float32), "state") for _ in range(2 if has_cell else 1)]
            try:
                lib.deep_model_predict_states(self._ptr, inputs._ptr, index, states[0]._ptr,
                                              states[1]._ptr if has_cell else None)
                return [np.array(state, copy=True) for state in states]
            finally:
                for state in states:
                    state.close()

    # ---- introspection -----------------------------------------------------------------

    def summary(self, print_fn=None):
        """Prints Keras' summary table (through print_fn when given)."""
        text = self.summary_text()
        (print_fn or print)(text.rstrip("\n"))

    def summary_text(self):
        return read_text(lib.deep_model_summary, self._ptr)

    def _shape(self, fn):
        dims = (i64 * C.DEEP_MAX_RANK)()
        rank = i64(0)
        fn(self._ptr, dims, len(dims), ctypes.byref(rank))
        return (None,) + tuple(dims[: rank.value])

    @property
    def input_shape(self):
        """Keras' model.input_shape: (None, ...) with the batch axis first."""
        return self._shape(lib.deep_model_input_shape)

    @property
    def output_shape(self):
        """Keras' model.output_shape: (None, ...) with the batch axis first."""
        return self._shape(lib.deep_model_output_shape)

    def count_params(self):
        count = i64(0)
        lib.deep_model_parameter_count(self._ptr, ctypes.byref(count))
        return count.value

    def get_weights(self):
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        weights = list(weights)
        self._ensure_weights()
        counts = []
        for layer in self.layers:
            count = i32(0)
            lib.deep_model_weight_count(self._ptr, layer._index, ctypes.byref(count))
            counts.append(count.value)
        if len(weights) != sum(counts):
            raise errors.ShapeError(f"the model has {sum(counts)} weight arrays; got {len(weights)}")
        start = 0
        for layer, count in zip(self.layers, counts):
            layer.set_weights(weights[start:start + count])
            start += count

    def set_threads(self, threads):
        """Threads used by fit and evaluate (0 = all cores)."""
        lib.deep_model_set_int(self._ptr, C.DEEP_MODEL_THREADS, int(threads))

    # ---- files -------------------------------------------------------------------------

    def save(self, path):
        """Saves the model to a file (needs a libdeep with deep_model_save)."""
        fn = lib.deep_model_save
        fn(self._ptr, _load_path(path))

    def to_bytes(self):
        """The model file's contents as bytes (needs deep_model_save_buffer)."""
        fn = lib.deep_model_save_buffer
        needed = i64(0)
        try:
            fn(self._ptr, None, 0, ctypes.byref(needed))
        except errors.BufferTooSmallError:
            pass
        buf = ctypes.create_string_buffer(needed.value)
        fn(self._ptr, buf, needed.value, ctypes.byref(needed))
        return buf.raw[: needed.value]

    @classmethod
    def _from_handle(cls, address):
        model = cls(_address=address)
        count = i32(0)
        lib.deep_model_layer_count(address, ctypes.byref(count))
        for index in range(count.value):
            layer = LoadedLayer(name=read_text(lib.deep_model_layer_name, address, index))
            layer._attach(model, index)
            model.layers.append(layer)
        return model

    def __repr__(self):
        if self._closed:
            return "<libdeep.Sequential (closed)>"
        return f"<libdeep.Sequential with {len(self.layers)} layers>"


def _check_name(name, layers):
    """Keras' rules for name= (and the library's, which keeps it): checked before the layer
    is added, so that a refused name adds nothing."""
    if not isinstance(name, str) or not 1 <= len(name) <= 47 or any(not " " <= c <= "~" or c == "/" for c in name):
        raise ValueError(f"a layer name is 1 to 47 printable ASCII characters without '/'; got {name!r}")
    if any(other.name == name for other in layers):
        raise ValueError(f"the model has a layer named {name!r} already; layer names are unique in a model")


def _is_chain(address):
    """Whether a C model is a Sequential chain: node i + 1 calls layer i on node i, one input
    (node 0), the last node the only output."""
    count, layers = i32(0), i32(0)
    lib.deep_model_node_count(address, ctypes.byref(count))
    lib.deep_model_layer_count(address, ctypes.byref(layers))
    if count.value != layers.value + 1:
        return False
    needed = i64(0)
    ends = (i32 * 16)()
    for fn, want in ((lib.deep_model_input_nodes, 0), (lib.deep_model_output_nodes, count.value - 1)):
        fn(address, ends, len(ends), ctypes.byref(needed))
        if needed.value != 1 or ends[0] != want:
            return False
    for node in range(1, count.value):
        layer = i32(0)
        lib.deep_model_node_layer(address, node, ctypes.byref(layer))
        lib.deep_model_node_inputs(address, node, ends, len(ends), ctypes.byref(needed))
        if layer.value != node - 1 or needed.value != 1 or ends[0] != node - 1:
            return False
    return True


def _loaded(address):
    """A loaded (or cloned) C model in Python: a Sequential for a chain, else a functional
    Model with its nodes (model.inputs, layer.output, sub-models)."""
    if _is_chain(address):
        return Sequential._from_handle(address)
    from .functional import Model  # functional builds on this module
    return Model._from_handle(address)


def load_model(path):
    """A model saved by Model.save (a safetensors file, docs/model-format.md): a Sequential,
    or for a layer graph a Model with Keras' nodes (inputs, outputs, layer.output)."""
    fn = lib.deep_model_load
    handle = out()
    fn(_load_path(path), ctypes.byref(handle))
    return _loaded(handle.value)


def load_model_from_bytes(data):
    """A model from the bytes of Model.to_bytes (a Sequential, or a Model for a graph)."""
    fn = lib.deep_model_load_buffer
    data = bytes(data)
    handle = out()
    fn(data, len(data), ctypes.byref(handle))
    return _loaded(handle.value)



def clone_model(model):
    """keras.models.clone_model: a new, uncompiled model with model's architecture (layers,
    their options and names) and settings (seed, threads); compile it to give it fresh
    weights from its seed, and copy_weights_from(model) to make it an exact copy."""
    if not isinstance(model, Sequential):
        raise TypeError(f"clone_model() takes a libdeep model; got {model!r}")
    handle = out()
    lib.deep_model_clone(model._ptr, ctypes.byref(handle))
    clone = _loaded(handle.value)
    clone._seed = model._seed
    return clone

def _state_size(layer):
    """(units, whether it has a cell state) of a recurrent layer; (1, False) for anything
    else, whose call then fails in the library with its own message."""
    if isinstance(layer, SimpleRNN):  # GRU and LSTM too
        return layer.units, isinstance(layer, LSTM)
    if isinstance(layer, LoadedLayer):
        try:
            kernel = layer.get_weights()[1]
        except (errors.Error, IndexError):
            return 1, False
        if kernel.ndim == 2 and kernel.shape[1] in (kernel.shape[0], 3 * kernel.shape[0], 4 * kernel.shape[0]):
            return kernel.shape[0], kernel.shape[1] == 4 * kernel.shape[0]
    return 1, False
