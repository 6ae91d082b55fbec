#!/usr/bin/python3
"""fashion_torch: the PyTorch side of the Fashion-MNIST benchmarks (see bench/README.md).

Same data (the same .gz IDX files), same models, optimizer, loss, batch sizes and timing
boundaries as bench/fashion_bench.c:

    mlp:  Linear(784, 256) + ReLU, Linear(256, 128) + ReLU, Linear(128, 10); batch 128
    cnn:  Conv2d(1, 32, 3) + ReLU, MaxPool2d(2), Conv2d(32, 64, 3) + ReLU, MaxPool2d(2),
          Flatten, Linear(1600, 64) + ReLU, Linear(64, 10); batch 32
    lstm: LSTM(28, 128, batch_first) on each image as 28 rows of 28 pixels, its last h
          into Linear(128, 10); batch 128
    Glorot-uniform weights and zero biases (Keras' defaults); the LSTM as Keras' too:
    orthogonal recurrent weights, forget-gate bias 1 (bias_hh zero, so the sum is Keras')
    Adam(lr 1e-3, eps 1e-7), softmax + cross-entropy (CrossEntropyLoss on logits)
    a fresh randperm shuffle every epoch, no DataLoader

Timed: one training epoch (shuffle plus the forward/backward/update loop), then one
evaluation pass (loss and accuracy) over the 10000 test images under torch.no_grad().
Nothing is warmed up first, on either side.

Run with Debian's interpreter, /usr/bin/python3 (python3-torch):
    /usr/bin/python3 bench/fashion_torch.py mlp|cnn|lstm [THREADS [DATA_DIR]]

Prints one machine-readable line:
    pytorch epoch_seconds=X eval_seconds=Y test_accuracy=Z peak_rss_mb=M
"""
import gzip
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    """An IDX file (plain or gzip, by content) as a numpy array of its declared shape."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as f:
        raw = bytearray(f.read())  # writable, so torch.from_numpy can share it
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} values for shape {dims}")
    return data.reshape(dims)


def load_split(directory, prefix, kind):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
    shape = {"cnn": (len(images), 1, 28, 28), "lstm": (len(images), 28, 28), "mlp": (len(images), -1)}[kind]
    # One float copy, scaled in place: no float temporaries to inflate the peak RSS.
    x = torch.from_numpy(images.reshape(shape)).to(torch.float32).mul_(1.0 / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def glorot(layer):
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class LastStep(nn.Module):
    """nn.LSTM with Keras' initialisers, giving the last step's h (Keras' LSTM(units))."""

    def __init__(self, features, units):
        super().__init__()
        self.lstm = nn.LSTM(features, units, batch_first=True)
        nn.init.xavier_uniform_(self.lstm.weight_ih_l0)  # fans (features, 4 units), as Keras
        nn.init.orthogonal_(self.lstm.weight_hh_l0)      # Keras' (units, 4 units), transposed
        nn.init.zeros_(self.lstm.bias_ih_l0)
        nn.init.zeros_(self.lstm.bias_hh_l0)
        with torch.no_grad():
            self.lstm.bias_ih_l0[units:2 * units].fill_(1.0)  # gates i, f, g, o: forget = 1

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return h[-1]


def build_model(kind):
    """The seed model; softmax lives in the loss, the PyTorch idiom."""
    if kind == "lstm":
        return nn.Sequential(LastStep(28, 128), glorot(nn.Linear(128, 10)))
    if kind == "cnn":
        return nn.Sequential(
            glorot(nn.Conv2d(1, 32, 3)), nn.ReLU(), nn.MaxPool2d(2),
            glorot(nn.Conv2d(32, 64, 3)), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), glorot(nn.Linear(1600, 64)), nn.ReLU(),
            glorot(nn.Linear(64, 10)))
    return nn.Sequential(
        glorot(nn.Linear(784, 256)), nn.ReLU(),
        glorot(nn.Linear(256, 128)), nn.ReLU(),
        glorot(nn.Linear(128, 10)))


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("mlp", "cnn", "lstm"):
        sys.exit("usage: fashion_torch.py mlp|cnn|lstm [THREADS [DATA_DIR]]")
    kind = sys.argv[1]
    batch_size = 32 if kind == "cnn" else 128
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    directory = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
    torch.set_num_threads(threads)
    torch.manual_seed(42)

    x_train, y_train = load_split(directory, "train", kind)
    x_test, y_test = load_split(directory, "t10k", kind)

    model = build_model(kind)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    n = x_train.shape[0]
    start = time.perf_counter()
    model.train()
    order = torch.randperm(n)
    for first in range(0, n, batch_size):
        index = order[first:first + batch_size]
        xb, yb = x_train[index], y_train[index]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    epoch_seconds = time.perf_counter() - start

    start = time.perf_counter()
    model.eval()
    correct = 0
    loss_sum = 0.0
    with torch.no_grad():
        for first in range(0, x_test.shape[0], batch_size):
            xb, yb = x_test[first:first + batch_size], y_test[first:first + batch_size]
            logits = model(xb)
            loss_sum += loss_fn(logits, yb).item() * xb.shape[0]
            correct += (logits.argmax(dim=1) == yb).sum().item()
    eval_seconds = time.perf_counter() - start
    accuracy = correct / x_test.shape[0]

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(f"pytorch epoch_seconds={epoch_seconds:.4f} eval_seconds={eval_seconds:.4f} "
          f"test_accuracy={accuracy:.4f} peak_rss_mb={peak_kb / 1024.0:.1f}")


if __name__ == "__main__":
    main()
