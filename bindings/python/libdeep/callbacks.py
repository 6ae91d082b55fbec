"""Keras-style training callbacks for Sequential.fit."""

from .models import Callback, EarlyStopping, History

__all__ = ["Callback", "EarlyStopping", "History"]
