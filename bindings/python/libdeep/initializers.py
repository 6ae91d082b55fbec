"""Keras' initializers (since 1.2), for a layer's kernel_initializer, bias_initializer,
recurrent_initializer, gamma_initializer and beta_initializer: a class instance
(initializers.HeNormal(), initializers.Constant(0.1)) or its string alias ("he_normal").
The draws come from the model's generator (Sequential.set_seed / the seed of compile),
unless the initializer has Keras' seed= (since 1.3): it then draws from its own generator
started from that seed, so the same seed gives the same weights whatever the model's seed
(libdeep's generator: the same numbers run after run, not Keras' numbers)."""

import math

from . import _ffi as C


def _number(value, what):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite; got {value!r}")
    return value


class Initializer:
    """Base class: _kind is the C deep_initializer, _a and _b its parameters."""

    _kind = None

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 64):
            raise ValueError(f"{type(self).__name__}(seed={seed!r}): seed must be None or an integer in "
                             f"[0, 2**64)")
        self.seed = seed
        self._a = self._b = 0.0

    def get_config(self):
        return {}

    def __eq__(self, other):
        return type(self) is type(other) and (self._a, self._b) == (other._a, other._b) and \
            getattr(self, "seed", None) == getattr(other, "seed", None)

    def __repr__(self):
        config = dict(self.get_config())
        if getattr(self, "seed", None) is not None:
            config["seed"] = self.seed
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{type(self).__name__}({args})"


def _simple(name, kind, doc):
    cls = type(name, (Initializer,), {"_kind": kind, "__doc__": doc})
    return cls


Zeros = _simple("Zeros", C.DEEP_INITIALIZER_ZEROS, "keras.initializers.Zeros: all 0.")
Ones = _simple("Ones", C.DEEP_INITIALIZER_ONES, "keras.initializers.Ones: all 1.")
GlorotUniform = _simple("GlorotUniform", C.DEEP_INITIALIZER_GLOROT_UNIFORM,
                        "U(-l, l), l = sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _simple("GlorotNormal", C.DEEP_INITIALIZER_GLOROT_NORMAL,
                       "Truncated normal of variance 2 / (fan_in + fan_out).")
HeNormal = _simple("HeNormal", C.DEEP_INITIALIZER_HE_NORMAL, "Truncated normal of variance 2 / fan_in.")
HeUniform = _simple("HeUniform", C.DEEP_INITIALIZER_HE_UNIFORM, "U(-l, l), l = sqrt(6 / fan_in).")
LecunNormal = _simple("LecunNormal", C.DEEP_INITIALIZER_LECUN_NORMAL, "Truncated normal of variance 1 / fan_in.")
LecunUniform = _simple("LecunUniform", C.DEEP_INITIALIZER_LECUN_UNIFORM, "U(-l, l), l = sqrt(3 / fan_in).")


class Constant(Initializer):
    """keras.initializers.Constant(value=0.0)."""

    _kind = C.DEEP_INITIALIZER_CONSTANT

    def __init__(self, value=0.0):
        super().__init__()
        self.value = _number(value, "Constant's value")
        self._a = self.value

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    """keras.initializers.RandomNormal(mean=0.0, stddev=0.05)."""

    _kind = C.DEEP_INITIALIZER_RANDOM_NORMAL

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = _number(mean, "mean"), _number(stddev, "stddev")
        if self.stddev <= 0:
            raise ValueError(f"stddev must be > 0; got {stddev!r}")
        self._a, self._b = self.mean, self.stddev

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    """keras.initializers.TruncatedNormal(mean=0.0, stddev=0.05): values beyond 2 stddev
    of the mean are drawn again."""

    _kind = C.DEEP_INITIALIZER_TRUNCATED_NORMAL


class RandomUniform(Initializer):
    """keras.initializers.RandomUniform(minval=-0.05, maxval=0.05)."""

    _kind = C.DEEP_INITIALIZER_RANDOM_UNIFORM

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = _number(minval, "minval"), _number(maxval, "maxval")
        if not self.minval < self.maxval:
            raise ValueError(f"minval {minval!r} must be below maxval {maxval!r}")
        self._a, self._b = self.minval, self.maxval

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval}


class Orthogonal(Initializer):
    """keras.initializers.Orthogonal(gain=1.0): gain times an orthogonal matrix of shape
    (product of all axes but the last, last axis)."""

    _kind = C.DEEP_INITIALIZER_ORTHOGONAL

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = _number(gain, "gain")
        self._a = self.gain

    def get_config(self):
        return {"gain": self.gain}


# Keras' string aliases (and its lower-case function names).
ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_normal": HeNormal, "he_uniform": HeUniform, "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform, "orthogonal": Orthogonal,
}
zeros, ones, constant, random_normal, random_uniform = Zeros, Ones, Constant, RandomNormal, RandomUniform
truncated_normal, glorot_uniform, glorot_normal = TruncatedNormal, GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform, orthogonal = HeNormal, HeUniform, LecunNormal, LecunUniform, \
    Orthogonal


def get(identifier):
    """keras.initializers.get: an Initializer from an instance, a class or a string alias."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in ALIASES:
            raise ValueError(f"unknown initializer {identifier!r}; expected one of {sorted(ALIASES)}")
        return ALIASES[key]()
    raise TypeError(f"an initializer must be a string such as 'he_normal' or a libdeep.initializers instance; "
                    f"got {identifier!r}")


def from_c(kind, a, b):
    """The instance of a C deep_initializer and its parameters (what a model keeps)."""
    with_values = {C.DEEP_INITIALIZER_CONSTANT: lambda: Constant(a),
                   C.DEEP_INITIALIZER_RANDOM_NORMAL: lambda: RandomNormal(a, b),
                   C.DEEP_INITIALIZER_TRUNCATED_NORMAL: lambda: TruncatedNormal(a, b),
                   C.DEEP_INITIALIZER_RANDOM_UNIFORM: lambda: RandomUniform(a, b),
                   C.DEEP_INITIALIZER_ORTHOGONAL: lambda: Orthogonal(a)}
    if kind in with_values:
        return with_values[kind]()
    for cls in ALIASES.values():
        if cls._kind == kind:
            return cls()
    raise ValueError(f"unknown deep_initializer {kind}")
