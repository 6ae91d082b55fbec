#!/usr/bin/python3
"""mlp_fashion_torch: the PyTorch side of the seed MLP benchmark (see bench/README.md).

Same data (the same .gz IDX files), same model, optimizer, loss, batch size and timing
boundaries as bench/mlp_fashion_bench.c:

    Linear(784, 256) + ReLU, Linear(256, 128) + ReLU, Linear(128, 10)
    Glorot-uniform weights and zero biases (Keras' Dense defaults)
    Adam(lr 1e-3, eps 1e-7), softmax + cross-entropy (CrossEntropyLoss on logits)
    batch 128, a fresh randperm shuffle every epoch, no DataLoader

Timed: one training epoch (shuffle plus the forward/backward/update loop), then one
evaluation pass (loss and accuracy) over the 10000 test images in batches of 128 under
torch.no_grad(). Nothing is warmed up first, on either side.

Run with Debian's interpreter, /usr/bin/python3 (python3-torch):
    /usr/bin/python3 bench/mlp_fashion_torch.py [THREADS [DATA_DIR]]

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

BATCH_SIZE = 128


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


def load_split(directory, prefix):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
    # One float copy, scaled in place: no float temporaries to inflate the peak RSS.
    x = torch.from_numpy(images.reshape(len(images), -1)).to(torch.float32).mul_(1.0 / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def glorot_dense(inputs, units):
    layer = nn.Linear(inputs, units)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    directory = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    torch.set_num_threads(threads)
    torch.manual_seed(42)

    x_train, y_train = load_split(directory, "train")
    x_test, y_test = load_split(directory, "t10k")

    model = nn.Sequential(
        glorot_dense(784, 256), nn.ReLU(),
        glorot_dense(256, 128), nn.ReLU(),
        glorot_dense(128, 10))  # softmax lives in the loss, the PyTorch idiom
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    n = x_train.shape[0]
    start = time.perf_counter()
    model.train()
    order = torch.randperm(n)
    for first in range(0, n, BATCH_SIZE):
        index = order[first:first + BATCH_SIZE]
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
        for first in range(0, x_test.shape[0], BATCH_SIZE):
            xb, yb = x_test[first:first + BATCH_SIZE], y_test[first:first + BATCH_SIZE]
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
