"""Keras-style training callbacks for Sequential.fit."""

from .models import Callback, EarlyStopping, History, LearningRateScheduler, ReduceLROnPlateau

__all__ = ["Callback", "EarlyStopping", "History", "LearningRateScheduler", "ReduceLROnPlateau"]
