#!/usr/bin/python3
"""Writes model files with the layer types the golden files lack (Embedding with mask_zero,
Masking, SimpleRNN, GRU in both reset_after forms, LSTM, Bidirectional in two merge modes,
go_backwards, dropout) as seeds for the model fuzz targets, through the Python binding.
Usage: LIBDEEP_LIBRARY=build/libdeep.so.1 PYTHONPATH=bindings/python model-seeds.py OUT_DIR"""
import os
import sys

import numpy as np

import libdeep
from libdeep import GRU, LSTM, Bidirectional, Dense, Embedding, Input, Masking, SimpleRNN

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)


def save(name, model, x=None, y=None):
    if x is not None:
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)  # moments in the optimizer state
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(model.to_bytes())


tokens = rng.integers(0, 12, size=(8, 5)).astype(np.float32)
labels = rng.integers(0, 2, size=8)
text = libdeep.Sequential([Input((5,)), Embedding(12, 2, mask_zero=True),
                           Bidirectional(LSTM(2, return_sequences=True, dropout=0.1)),
                           GRU(2, reset_after=False), Dense(2, activation="softmax")])
text.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
save("recurrent-text", text, tokens, labels)

steps = rng.normal(size=(8, 4, 3)).astype(np.float32)
series = libdeep.Sequential([Input((4, 3)), Masking(0.0), SimpleRNN(3, return_sequences=True, go_backwards=True),
                             Bidirectional(GRU(2), merge_mode="sum"), Dense(1)])
series.compile("rmsprop", "mse", ["mae"])
save("recurrent-series", series, steps, steps[:, 0, :1])

plain = libdeep.Sequential([Input((6, 2)), LSTM(4, return_sequences=True), Dense(3, activation="softmax")])
save("recurrent-uncompiled", plain)
