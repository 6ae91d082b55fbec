"""Keras optimizers: SGD, Adam, RMSprop, Adagrad, Nadam, AdamW, Adamax, with Keras' defaults.

An optimizer object holds its settings. compile() creates the C optimizer from them and
hands it to the model (the C model owns it from then on, even if compile fails). After
compile the object is bound to its model: reading or setting learning_rate and the other
options goes to the model's own optimizer (e.g. to lower the learning rate from a
callback). An optimizer can be bound to one model only.

Every optimizer also takes Keras' base-optimizer arguments weight_decay, clipnorm,
clipvalue and global_clipnorm (None: off; at most one of the three clipping arguments), and
learning_rate may be a schedule from ``libdeep.optimizers.schedules`` (then the
learning_rate attribute reads the rate of the next step and cannot be set to a number, as
in Keras).
"""

import ctypes

from . import errors
from . import _ffi as C
from . import schedules
from ._lib import lib, out, f64

_KIND = {"sgd": C.DEEP_OPTIMIZER_SGD, "adam": C.DEEP_OPTIMIZER_ADAM, "rmsprop": C.DEEP_OPTIMIZER_RMSPROP,
         "adagrad": C.DEEP_OPTIMIZER_ADAGRAD, "nadam": C.DEEP_OPTIMIZER_NADAM, "adamw": C.DEEP_OPTIMIZER_ADAMW,
         "adamax": C.DEEP_OPTIMIZER_ADAMAX}
_OPTION = {
    "learning_rate": C.DEEP_OPT_LEARNING_RATE,
    "momentum": C.DEEP_OPT_MOMENTUM,
    "nesterov": C.DEEP_OPT_NESTEROV,
    "beta_1": C.DEEP_OPT_BETA_1,
    "beta_2": C.DEEP_OPT_BETA_2,
    "epsilon": C.DEEP_OPT_EPSILON,
    "rho": C.DEEP_OPT_RHO,
    "initial_accumulator_value": C.DEEP_OPT_INITIAL_ACCUMULATOR,
    "weight_decay": C.DEEP_OPT_WEIGHT_DECAY,
    "clipnorm": C.DEEP_OPT_CLIPNORM,
    "clipvalue": C.DEEP_OPT_CLIPVALUE,
    "global_clipnorm": C.DEEP_OPT_GLOBAL_CLIPNORM,
    "amsgrad": C.DEEP_OPT_AMSGRAD,
}
# Keras' base-optimizer arguments: every optimizer takes them; None (Keras' default) is 0.
_BASE = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


def _base(weight_decay, clipnorm, clipvalue, global_clipnorm):
    given = {"weight_decay": weight_decay, "clipnorm": clipnorm, "clipvalue": clipvalue,
             "global_clipnorm": global_clipnorm}
    clips = [k for k in ("clipnorm", "clipvalue", "global_clipnorm") if given[k] is not None]
    if len(clips) > 1:
        raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                         f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
    return {k: v for k, v in given.items() if v is not None}


class Optimizer:
    _kind = None
    _options = ()

    def __init__(self, **settings):
        schedule = settings.get("learning_rate")
        if isinstance(schedule, schedules.LearningRateSchedule):
            del settings["learning_rate"]
        else:
            schedule = None
        object.__setattr__(self, "_settings", dict(settings))
        object.__setattr__(self, "_schedule", schedule)
        object.__setattr__(self, "_model", None)
        # Validate now, as Keras does, by building a throw-away C optimizer.
        lib.deep_optimizer_free(self._create())

    def _create(self):
        """A new C optimizer with these settings; the caller owns the returned address."""
        handle = out()
        lib.deep_optimizer_new(_KIND[self._kind], ctypes.byref(handle))
        try:
            for name, value in self._settings.items():
                lib.deep_optimizer_set_float(handle.value, _OPTION[name], float(value))
            if self._schedule is not None:
                lib.deep_optimizer_set_schedule(handle.value, self._schedule._create())  # it owns the schedule
        except BaseException:
            lib.deep_optimizer_free(handle.value)
            raise
        return handle.value

    @property
    def schedule(self):
        """The LearningRateSchedule given as learning_rate, or None."""
        return self._schedule

    def _bind(self, model):
        if self._model is not None and self._model is not model:
            raise errors.StateError("this optimizer is already used by another model; create a new one")
        object.__setattr__(self, "_model", model)

    def _unbind(self):
        object.__setattr__(self, "_model", None)

    def _model_optimizer(self):
        handle = out()
        lib.deep_model_optimizer(self._model._ptr, ctypes.byref(handle))
        return handle.value

    def _get(self, name):
        if name not in self._options:
            raise AttributeError(f"{type(self).__name__} has no option {name!r}")
        if self._model is None:
            value = f64(0)
            address = self._create()
            try:
                lib.deep_optimizer_get_float(address, _OPTION[name], ctypes.byref(value))
            finally:
                lib.deep_optimizer_free(address)
            return value.value
        value = f64(0)
        lib.deep_optimizer_get_float(self._model_optimizer(), _OPTION[name], ctypes.byref(value))
        return value.value

    def get(self, name):
        """The option's value as the C optimizer keeps it (a float; flags 0.0 or 1.0)."""
        return self._get(name)

    def set(self, name, value):
        if name not in self._options:
            raise AttributeError(f"{type(self).__name__} has no option {name!r}")
        if name == "learning_rate" and isinstance(value, schedules.LearningRateSchedule):
            if self._model is not None:
                lib.deep_optimizer_set_schedule(self._model_optimizer(), value._create())
            object.__setattr__(self, "_schedule", value)
            return
        if name == "learning_rate" and self._schedule is not None:
            raise errors.StateError(
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                "constructor argument, hence its learning rate is not settable.")
        if self._model is None:
            old = self._settings.get(name)
            self._settings[name] = value
            try:
                lib.deep_optimizer_free(self._create())
            except errors.Error:
                if old is None:
                    del self._settings[name]
                else:
                    self._settings[name] = old
                raise
        else:
            lib.deep_optimizer_set_float(self._model_optimizer(), _OPTION[name], float(value))
            self._settings[name] = value

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name, value):
        if name in self._options:
            self.set(name, value)
        else:
            object.__setattr__(self, name, value)

    def get_config(self):
        return {name: self.get(name) for name in self._options}

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._settings.items())})"


class SGD(Optimizer):
    _kind = "sgd"
    _options = ("learning_rate", "momentum", "nesterov") + _BASE

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate=learning_rate, momentum=momentum, nesterov=float(bool(nesterov)),
                         **_base(weight_decay, clipnorm, clipvalue, global_clipnorm))


class Adam(Optimizer):
    _kind = "adam"
    _options = ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad") + _BASE

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=float(bool(amsgrad)), **_base(weight_decay, clipnorm, clipvalue, global_clipnorm))


class RMSprop(Optimizer):
    _kind = "rmsprop"
    _options = ("learning_rate", "rho", "momentum", "epsilon") + _BASE

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate=learning_rate, rho=rho, momentum=momentum, epsilon=epsilon,
                         **_base(weight_decay, clipnorm, clipvalue, global_clipnorm))


class Adagrad(Optimizer):
    _kind = "adagrad"
    _options = ("learning_rate", "initial_accumulator_value", "epsilon") + _BASE

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate=learning_rate, initial_accumulator_value=initial_accumulator_value,
                         epsilon=epsilon, **_base(weight_decay, clipnorm, clipvalue, global_clipnorm))


class Nadam(Optimizer):
    """Keras' Nadam (its momentum schedule beta_1 * (1 - 0.5 * 0.96**t); PyTorch's NAdam
    with momentum_decay differs)."""

    _kind = "nadam"
    _options = ("learning_rate", "beta_1", "beta_2", "epsilon") + _BASE

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         **_base(weight_decay, clipnorm, clipvalue, global_clipnorm))


class AdamW(Optimizer):
    """Adam with decoupled weight decay: w -= w * weight_decay * learning_rate before each step."""

    _kind = "adamw"
    _options = ("learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad", "clipnorm", "clipvalue",
                "global_clipnorm")

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=float(bool(amsgrad)), **_base(weight_decay, clipnorm, clipvalue, global_clipnorm))


class Adamax(Optimizer):
    _kind = "adamax"
    _options = ("learning_rate", "beta_1", "beta_2", "epsilon") + _BASE

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         **_base(weight_decay, clipnorm, clipvalue, global_clipnorm))


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad, "nadam": Nadam, "adamw": AdamW,
            "adamax": Adamax}


def get(identifier):
    """An optimizer from a Keras name ("adam", "sgd", "nadam", "adamw", "adamax", ...) or an
    Optimizer instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"unknown optimizer {identifier!r}; expected one of {sorted(_BY_NAME)} or an Optimizer")
