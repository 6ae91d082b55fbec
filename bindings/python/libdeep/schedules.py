"""Keras' learning-rate schedules (keras.optimizers.schedules): ExponentialDecay,
PiecewiseConstantDecay and CosineDecay, computed by the C library.

Pass one as an optimizer's learning_rate, as in Keras:
``Adam(learning_rate=CosineDecay(0.0, 10000, warmup_target=1e-3, warmup_steps=500))``.
The optimizer evaluates it before every step at its step count (Keras' ``iterations``);
calling the schedule, ``schedule(step)``, gives the same rate. A schedule is checked when
it is made (the library's message for a bad argument) and does not change afterwards.
"""

import ctypes
import math

from . import _ffi as C
from ._lib import lib, out, f64, i32


class LearningRateSchedule:
    _kind = None

    def __init__(self):
        # Validate now, as the optimizers do, by building a throw-away C schedule.
        lib.deep_schedule_free(self._create())

    def _new(self, handle):
        raise NotImplementedError

    def _create(self):
        """A new C schedule; the caller owns the returned address (an optimizer takes it)."""
        handle = out()
        self._new(handle)
        kind = i32(0)
        try:
            lib.deep_schedule_kind_of(handle.value, ctypes.byref(kind))
        except BaseException:
            lib.deep_schedule_free(handle.value)
            raise
        assert kind.value == self._kind, (kind.value, self._kind)
        return handle.value

    def __call__(self, step):
        address = self._create()
        try:
            rate = f64(0)
            lib.deep_schedule_learning_rate(address, int(step), ctypes.byref(rate))
            return rate.value
        finally:
            lib.deep_schedule_free(address)

    def get_config(self):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps), the exponent floored with
    staircase=True."""

    _kind = C.DEEP_SCHEDULE_EXPONENTIAL_DECAY

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = int(decay_steps)
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name
        super().__init__()

    def _new(self, handle):
        lib.deep_schedule_new_exponential_decay(self.initial_learning_rate, self.decay_steps, self.decay_rate,
                                                int(self.staircase), ctypes.byref(handle))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <=
    boundaries[i], values[-1] after the last boundary; len(values) == len(boundaries) + 1."""

    _kind = C.DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        self.boundaries = [int(b) for b in boundaries]
        self.values = [float(v) for v in values]
        if len(self.boundaries) != len(self.values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of values. Received: "
                             f"boundaries={boundaries} of length {len(self.boundaries)}, and values={values} of "
                             f"length {len(self.values)}.")
        self.name = name
        super().__init__()

    def _new(self, handle):
        n = len(self.boundaries)
        boundaries = (ctypes.c_int64 * max(1, n))(*self.boundaries)
        values = (ctypes.c_double * (n + 1))(*self.values)
        lib.deep_schedule_new_piecewise_constant_decay(boundaries, n, values, ctypes.byref(handle))

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from initial_learning_rate to alpha times it over decay_steps; with
    warmup_target, first a linear warm-up from initial_learning_rate to warmup_target over
    warmup_steps, then the decay from warmup_target."""

    _kind = C.DEEP_SCHEDULE_COSINE_DECAY

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = int(decay_steps)
        self.alpha = float(alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = int(warmup_steps)
        super().__init__()

    def _new(self, handle):
        target = math.nan if self.warmup_target is None else self.warmup_target
        lib.deep_schedule_new_cosine_decay(self.initial_learning_rate, self.decay_steps, self.alpha, target,
                                           self.warmup_steps, ctypes.byref(handle))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay"]
