"""Keras' weight constraints (since 1.2), for a layer's kernel_constraint, bias_constraint,
recurrent_constraint, gamma_constraint and beta_constraint, applied after every update:
constraints.MaxNorm(max_value=2, axis=0), NonNeg(), UnitNorm(axis=0),
MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0), their lower-case aliases, or the
strings "max_norm", "non_neg", "unit_norm", "min_max_norm". axis is an int or a list of ints
(Keras recommends [0, 1, 2] for a Conv2D kernel)."""

import math

from . import _ffi as C


class Constraint:
    _kind = C.DEEP_CONSTRAINT_NONE

    def __init__(self, min_value=0.0, max_value=0.0, rate=0.0, axis=()):
        self._min, self._max, self._rate = float(min_value), float(max_value), float(rate)
        if not (math.isfinite(self._min) and math.isfinite(self._max) and 0 <= self._min <= self._max):
            raise ValueError(f"min_value and max_value must be finite with 0 <= min_value <= max_value; got "
                             f"{min_value!r}, {max_value!r}")
        if not 0 <= self._rate <= 1:
            raise ValueError(f"rate must be in [0, 1]; got {rate!r}")
        axes = [axis] if isinstance(axis, int) else list(axis)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise TypeError(f"axis must be an int or a list of ints; got {axis!r}")
        if len(set(axes)) != len(axes) or len(axes) > 8 or not all(-8 <= a < 8 for a in axes):
            raise ValueError(f"axis must name distinct axes in -8..7; got {axis!r}")
        self.axis = axis
        self._axes = tuple(axes)

    def __eq__(self, other):
        return type(self) is type(other) and (self._min, self._max, self._rate, self._axes) == \
            (other._min, other._max, other._rate, other._axes)

    def get_config(self):
        return {}

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class MaxNorm(Constraint):
    """keras.constraints.MaxNorm(max_value=2, axis=0): norms along axis clipped to max_value."""

    _kind = C.DEEP_CONSTRAINT_MAX_NORM

    def __init__(self, max_value=2, axis=0):
        super().__init__(max_value=max_value, axis=axis)
        self.max_value = max_value

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """keras.constraints.NonNeg(): negative weights become 0."""

    _kind = C.DEEP_CONSTRAINT_NON_NEG


class UnitNorm(Constraint):
    """keras.constraints.UnitNorm(axis=0): norms along axis become 1."""

    _kind = C.DEEP_CONSTRAINT_UNIT_NORM

    def __init__(self, axis=0):
        super().__init__(axis=axis)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """keras.constraints.MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0): norms
    become rate * clip(norm, min_value, max_value) + (1 - rate) * norm."""

    _kind = C.DEEP_CONSTRAINT_MIN_MAX_NORM

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        super().__init__(min_value, max_value, rate, axis)
        self.min_value, self.max_value, self.rate = min_value, max_value, rate

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
ALIASES = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}


def get(identifier):
    """keras.constraints.get: a Constraint from an instance, a class or a string alias."""
    if isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Constraint):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in ALIASES:
            raise ValueError(f"unknown constraint {identifier!r}; expected one of {sorted(ALIASES)}")
        return ALIASES[key]()
    raise TypeError(f"a constraint must be a string such as 'max_norm' or a libdeep.constraints instance; "
                    f"got {identifier!r}")


def from_c(kind, min_value, max_value, rate, axes):
    """The instance of a C deep_constraint and its values, or None for DEEP_CONSTRAINT_NONE."""
    axis = axes[0] if len(axes) == 1 else axes
    if kind == C.DEEP_CONSTRAINT_MAX_NORM:
        return MaxNorm(max_value, axis)
    if kind == C.DEEP_CONSTRAINT_NON_NEG:
        return NonNeg()
    if kind == C.DEEP_CONSTRAINT_UNIT_NORM:
        return UnitNorm(axis)
    if kind == C.DEEP_CONSTRAINT_MIN_MAX_NORM:
        return MinMaxNorm(min_value, max_value, rate, axis)
    return None
