"""Keras optimizers: SGD, Adam, RMSprop, Adagrad, with Keras' defaults.

An optimizer object holds its settings. compile() creates the C optimizer from them and
hands it to the model (the C model owns it from then on, even if compile fails). After
compile the object is bound to its model: reading or setting learning_rate and the other
options goes to the model's own optimizer (e.g. to lower the learning rate from a
callback). An optimizer can be bound to one model only.
"""

import ctypes

from . import errors
from . import _ffi as C
from ._lib import lib, out, f64

_KIND = {"sgd": C.DEEP_OPTIMIZER_SGD, "adam": C.DEEP_OPTIMIZER_ADAM, "rmsprop": C.DEEP_OPTIMIZER_RMSPROP,
         "adagrad": C.DEEP_OPTIMIZER_ADAGRAD}
_OPTION = {
    "learning_rate": C.DEEP_OPT_LEARNING_RATE,
    "momentum": C.DEEP_OPT_MOMENTUM,
    "nesterov": C.DEEP_OPT_NESTEROV,
    "beta_1": C.DEEP_OPT_BETA_1,
    "beta_2": C.DEEP_OPT_BETA_2,
    "epsilon": C.DEEP_OPT_EPSILON,
    "rho": C.DEEP_OPT_RHO,
    "initial_accumulator_value": C.DEEP_OPT_INITIAL_ACCUMULATOR,
}


class Optimizer:
    _kind = None
    _options = ()

    def __init__(self, **settings):
        object.__setattr__(self, "_settings", dict(settings))
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
        except BaseException:
            lib.deep_optimizer_free(handle.value)
            raise
        return handle.value

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

    def get(self, name):
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

    def set(self, name, value):
        if name not in self._options:
            raise AttributeError(f"{type(self).__name__} has no option {name!r}")
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
    _options = ("learning_rate", "momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate=learning_rate, momentum=momentum, nesterov=float(bool(nesterov)))


class Adam(Optimizer):
    _kind = "adam"
    _options = ("learning_rate", "beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)


class RMSprop(Optimizer):
    _kind = "rmsprop"
    _options = ("learning_rate", "rho", "momentum", "epsilon")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7):
        super().__init__(learning_rate=learning_rate, rho=rho, momentum=momentum, epsilon=epsilon)


class Adagrad(Optimizer):
    _kind = "adagrad"
    _options = ("learning_rate", "initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate=learning_rate, initial_accumulator_value=initial_accumulator_value,
                         epsilon=epsilon)


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier):
    """An optimizer from a Keras name ("adam", "sgd", ...) or an Optimizer instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"unknown optimizer {identifier!r}; expected one of {sorted(_BY_NAME)} or an Optimizer")
