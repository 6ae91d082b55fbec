"""torch_to_libdeep.py: trains the seed CNN in PyTorch, exports it as ONNX, loads it in
libdeep (libdeep.onnx.load_model) and prints both accuracies on the Fashion-MNIST test set.

The seed CNN (examples/cnn_fashion.c's layers): Conv2D 32 3x3 relu, MaxPool 2, Flatten,
Dense 128 relu, Dense 10 softmax, on pixels scaled to [0, 1]. PyTorch trains it for EPOCHS
(1 by default) with Adam; the ONNX file is written to OUT (default /tmp/seed_cnn.onnx),
which examples/onnx_import.c reads too:

    build/examples/onnx_import /tmp/seed_cnn.onnx --data /usr/share/datasets/fashion-mnist

Needs Debian's python3-torch and python3-onnx (run with /usr/bin/python3).
Usage: /usr/bin/python3 torch_to_libdeep.py [DATA_DIR [EPOCHS [OUT]]]
"""

import gzip
import os
import sys

import numpy as np
import torch
from torch import nn

import libdeep


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory, split):
    x = read_idx(os.path.join(directory, f"{split}-images-idx3-ubyte.gz")).astype("f4") / 255
    y = read_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz")).astype("i8")
    return x[:, None, :, :], y  # PyTorch's (N, C, H, W)


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    out = sys.argv[3] if len(sys.argv) > 3 else "/tmp/seed_cnn.onnx"
    torch.manual_seed(42)
    torch.set_num_threads(1)
    x_train, y_train = load(directory, "train")
    x_test, y_test = load(directory, "t10k")
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(32 * 13 * 13, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for epoch in range(epochs):
        order = torch.randperm(len(xt))
        for start in range(0, len(xt), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xt[batch]), yt[batch])
            loss.backward()
            optimizer.step()
        print(f"PyTorch epoch {epoch + 1}: last batch loss {loss.item():.4f}")
    model = nn.Sequential(model, nn.Softmax(dim=1)).eval()
    with torch.no_grad():
        torch_probs = model(torch.from_numpy(x_test)).numpy()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), out, opset_version=13, input_names=["image"],
                      output_names=["probabilities"], dynamic_axes={"image": {0: "batch"}})

    imported = libdeep.onnx.load_model(out)
    # One channel: PyTorch's (N, 1, 28, 28) and libdeep's (N, 28, 28, 1) hold the same bytes.
    probs = imported.predict(x_test.reshape(-1, 28, 28, 1))
    torch_accuracy = float(np.mean(torch_probs.argmax(1) == y_test))
    libdeep_accuracy = float(np.mean(probs.argmax(1) == y_test))
    print(f"wrote {out}")
    print(f"PyTorch accuracy {torch_accuracy:.4f}, libdeep accuracy {libdeep_accuracy:.4f}, "
          f"largest difference of the probabilities {np.abs(probs - torch_probs).max():.2e}")
    return 0 if torch_accuracy == libdeep_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
