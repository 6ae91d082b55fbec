"""Keras' regularizers (since 1.2), for a layer's kernel_regularizer, bias_regularizer,
recurrent_regularizer, gamma_regularizer, beta_regularizer and activity_regularizer:
regularizers.L1(0.01), L2(1e-4), L1L2(l1, l2) (or l1(...), l2(...), l1_l2(...)), or the
strings "l1", "l2", "l1_l2" (Keras' default factor 0.01). The loss that fit and evaluate
report gains l1 * sum(|w|) + l2 * sum(w^2) (no factor 1/2), and for an activity
regularizer the same over the layer's output divided by the batch size, as Keras."""


import math


class Regularizer:
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)
        if not (math.isfinite(self.l1) and math.isfinite(self.l2) and self.l1 >= 0 and self.l2 >= 0):
            raise ValueError(f"l1 and l2 must be finite and >= 0; got {l1!r}, {l2!r}")

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def __eq__(self, other):
        return isinstance(other, Regularizer) and (self.l1, self.l2) == (other.l1, other.l2)

    def __repr__(self):
        return f"{type(self).__name__}(l1={self.l1!r}, l2={self.l2!r})"


class L1L2(Regularizer):
    """keras.regularizers.L1L2(l1=0.0, l2=0.0)."""


class L1(Regularizer):
    """keras.regularizers.L1(l1=0.01)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """keras.regularizers.L2(l2=0.01)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1_l2(l1=0.01, l2=0.01):
    """keras.regularizers.l1_l2: both factors, 0.01 by default."""
    return L1L2(l1=l1, l2=l2)


l1, l2 = L1, L2
ALIASES = {"l1": L1, "l2": L2, "l1_l2": l1_l2, "l1l2": l1_l2}


def get(identifier):
    """keras.regularizers.get: a Regularizer from an instance or a string alias."""
    if isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in ALIASES:
            raise ValueError(f"unknown regularizer {identifier!r}; expected one of {sorted(ALIASES)}")
        return ALIASES[key]()
    raise TypeError(f"a regularizer must be a string such as 'l2' or a libdeep.regularizers instance; "
                    f"got {identifier!r}")
