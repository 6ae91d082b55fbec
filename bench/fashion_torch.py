#!/usr/bin/python3
"""fashion_torch: the PyTorch side of the Fashion-MNIST benchmarks (see bench/README.md).

Same data (the same .gz IDX files), same models, optimizer, loss, batch sizes and timing
boundaries as bench/fashion_bench.c:

    mlp:  Linear(784, 256) + ReLU, Linear(256, 128) + ReLU, Linear(128, 10); batch 128
    cnn:  Conv2d(1, 32, 3) + ReLU, MaxPool2d(2), Conv2d(32, 64, 3) + ReLU, MaxPool2d(2),
          Flatten, Linear(1600, 64) + ReLU, Linear(64, 10); batch 32
    lstm: LSTM(28, 128, batch_first) on each image as 28 rows of 28 pixels, its last h
          into Linear(128, 10); batch 128
    resnet: examples/resnet_fashion.c's residual network (ResNet below); pixels
          standardised as there; batch 64
    Glorot-uniform weights and zero biases (Keras' defaults); the LSTM as Keras' too:
    orthogonal recurrent weights, forget-gate bias 1 (bias_hh zero, so the sum is Keras')
    Adam(lr 1e-3, eps 1e-7), softmax + cross-entropy (CrossEntropyLoss on logits)
    a fresh randperm shuffle every epoch, no DataLoader

Timed: one training epoch (shuffle plus the forward/backward/update loop), then one
evaluation pass (loss and accuracy) over the 10000 test images under torch.no_grad().
Nothing is warmed up first, on either side.

Memory: the peak RSS of the whole process (interpreter and torch included), and its
growth over the RSS once the data are loaded (the high-water mark reset there through
/proc/self/clear_refs), as the C side.

Run with Debian's interpreter, /usr/bin/python3 (python3-torch):
    /usr/bin/python3 bench/fashion_torch.py mlp|cnn|lstm|resnet [THREADS [DATA_DIR [TRAIN_SAMPLES]]]
TRAIN_SAMPLES trains on the first N images only (default all), as fashion_bench.

Prints one machine-readable line:
    pytorch epoch_seconds=X eval_seconds=Y test_accuracy=Z peak_rss_mb=M peak_growth_mb=D
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
    shape = {"cnn": (len(images), 1, 28, 28), "resnet": (len(images), 1, 28, 28),
             "lstm": (len(images), 28, 28), "mlp": (len(images), -1)}[kind]
    # One float copy, scaled in place: no float temporaries to inflate the peak RSS.
    x = torch.from_numpy(images.reshape(shape)).to(torch.float32).mul_(1.0 / 255.0)
    if kind == "resnet":
        x.sub_(PIXEL_MEAN).div_(PIXEL_STD)  # as examples/resnet_fashion.c
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530  # of the training pixels on the [0, 1] scale


def glorot(layer):
    nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def conv_bn(cin, cout, kernel, stride, relu):
    """Conv2D without bias, then BatchNormalization with Keras' momentum 0.99 (PyTorch's
    momentum is the weight of the new batch, 1 - Keras') and epsilon 1e-3, then a ReLU
    when asked. Keras' 'same' padding: 1 for 3x3 kernels, 0 for 1x1. For the stride-2 3x3
    convolution Keras pads 14 -> 15 at the bottom/right only and PyTorch by one on all
    sides: the same output shape and work, windows one pixel apart."""
    layers = [glorot(nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)),
              nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Block(nn.Module):
    """A residual block: two 3x3 conv-BN, a 1x1 conv-BN projection shortcut when the
    shape changes, their sum and a ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cout, 3, stride, True), conv_bn(cout, cout, 3, 1, False))
        self.shortcut = conv_bn(cin, cout, 1, stride, False) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return torch.relu(self.shortcut(x) + self.body(x))


def peak_mb():
    """VmHWM of /proc/self/status in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak_mb():
    """Resets the peak RSS to the current RSS (Linux >= 4.0) and returns the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


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
    if kind == "resnet":
        return nn.Sequential(
            conv_bn(1, 32, 3, 1, True), nn.MaxPool2d(2),            # 14 x 14 x 32
            Block(32, 32, 1), Block(32, 64, 2),                     # 7 x 7 x 64
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), glorot(nn.Linear(64, 10)))
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
    if len(sys.argv) < 2 or sys.argv[1] not in ("mlp", "cnn", "lstm", "resnet"):
        sys.exit("usage: fashion_torch.py mlp|cnn|lstm|resnet [THREADS [DATA_DIR [TRAIN_SAMPLES]]]")
    kind = sys.argv[1]
    batch_size = {"cnn": 32, "resnet": 64}.get(kind, 128)
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    directory = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
    train_samples = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    torch.set_num_threads(threads)
    torch.manual_seed(42)

    x_train, y_train = load_split(directory, "train", kind)
    x_test, y_test = load_split(directory, "t10k", kind)
    if 0 < train_samples < x_train.shape[0]:
        x_train, y_train = x_train[:train_samples].clone(), y_train[:train_samples].clone()
    loading_peak_mb = peak_mb()
    loaded_mb = reset_peak_mb()

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
    after_mb = peak_mb()
    whole_mb = max(peak_kb / 1024.0, loading_peak_mb, after_mb)  # the reset may have lowered ru_maxrss
    print(f"pytorch epoch_seconds={epoch_seconds:.4f} eval_seconds={eval_seconds:.4f} "
          f"test_accuracy={accuracy:.4f} peak_rss_mb={whole_mb:.1f} peak_growth_mb={after_mb - loaded_mb:.1f}")


if __name__ == "__main__":
    main()
