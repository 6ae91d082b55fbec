"""Keras' loss objects whose settings the C library implements: the cross-entropies with
from_logits and label_smoothing (DEEP_MODEL_FROM_LOGITS, DEEP_MODEL_LABEL_SMOOTHING), for
compile(loss=...). Strings name the other losses ("mse", "huber", ...; see Sequential.compile).

    model.compile(optimizer="adam", loss=libdeep.losses.BinaryCrossentropy(from_logits=True))

With one output the settings are the model's options; with several (since 1.3) each loss
object's settings are its own output's (Model.get_output_option), so one output may read
logits while another smooths its labels.
"""

from . import _ffi as C


class Loss:
    """A loss with Keras' name, its deep_loss code and its settings."""

    code = None
    name = None

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        if not 0.0 <= self.label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing!r}")

    def get_config(self):
        return {"name": self.name, "from_logits": self.from_logits, "label_smoothing": self.label_smoothing}

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits}, label_smoothing={self.label_smoothing})"


class BinaryCrossentropy(Loss):
    """keras.losses.BinaryCrossentropy: targets y become y (1 - s) + s / 2 with smoothing s;
    from_logits reads the outputs as logits (stable softplus form)."""

    code = C.DEEP_LOSS_BINARY_CROSSENTROPY
    name = "binary_crossentropy"


class CategoricalCrossentropy(Loss):
    """keras.losses.CategoricalCrossentropy: one-hot targets become y (1 - s) + s / classes;
    from_logits reads the outputs as logits (log-softmax)."""

    code = C.DEEP_LOSS_CATEGORICAL_CROSSENTROPY
    name = "categorical_crossentropy"


class SparseCategoricalCrossentropy(Loss):
    """keras.losses.SparseCategoricalCrossentropy: integer labels; from_logits as above. No
    label smoothing (Keras' has none)."""

    code = C.DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY
    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False):
        super().__init__(from_logits=from_logits)
