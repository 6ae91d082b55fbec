"""Predict time of an imported ONNX model (issue #21's speed section), in one run:
PyTorch's seed CNN, exported with torch.onnx.export and imported by libdeep
(libdeep.onnx.load_model), against the same network built in libdeep and against PyTorch
itself, on the 10,000 Fashion-MNIST test images (or seeded random images when the dataset
is not installed). Prints the largest difference between PyTorch's and libdeep's
probabilities, the best of REPEATS timings per side, and the ratios (below 1: libdeep is
faster). A measurement, not a test: it always exits 0 once every side ran.

Usage (Debian's python3 has python3-torch):
    LIBDEEP_LIBRARY=build/libdeep.so.1 PYTHONPATH=bindings/python \\
        OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/onnx_predict.py [REPEATS]
"""

import os
import sys
import tempfile
import time

import numpy as np
import torch

import libdeep
from libdeep import layers


def seed_cnn():
    """The seed CNN of examples/cnn_fashion.c, in PyTorch."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(32 * 13 * 13, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10), torch.nn.Softmax(dim=1)).eval()


def native_cnn():
    """The same network built in libdeep (its own random weights: the cost is the same)."""
    model = libdeep.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def images():
    try:
        (_, _), (x, _) = libdeep.datasets.fashion_mnist.load_data()
        return x.astype(np.float32) / 255.0, "Fashion-MNIST test images"
    except Exception:  # noqa: BLE001 - any missing-data error: fall back to random images
        return np.random.default_rng(0).random((10000, 28, 28), dtype=np.float32), "random images"


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    x, source = images()
    torch_model = seed_cnn()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "seed_cnn.onnx")
        torch.onnx.export(torch_model, torch.zeros(1, 1, 28, 28), path, opset_version=13,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
        imported = libdeep.onnx.load_model(path)
    native = native_cnn()
    x_nchw = torch.from_numpy(x[:, None, :, :])
    x_nhwc = x[:, :, :, None]  # one channel: the same bytes in both orders

    with torch.no_grad():
        want = torch_model(x_nchw).numpy()
    got = np.asarray(imported.predict(x_nhwc))
    print(f"{len(x)} {source}; max |PyTorch - imported libdeep| probability: {np.max(np.abs(want - got)):.2e}")

    torch.set_num_threads(os.cpu_count())

    def torch_predict():  # in batches of 256, PyTorch's faster way here than one batch of 10,000
        with torch.no_grad():
            for start in range(0, len(x_nchw), 256):
                torch_model(x_nchw[start:start + 256])

    t_torch = best(torch_predict, repeats)
    t_imported = best(lambda: imported.predict(x_nhwc), repeats)
    t_native = best(lambda: native.predict(x_nhwc), repeats)
    print(f"threads: libdeep default (all cores), PyTorch {torch.get_num_threads()} "
          f"(OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}); best of {repeats}")
    print(f"PyTorch predict:                {t_torch * 1e3:9.1f} ms")
    print(f"libdeep, imported from ONNX:    {t_imported * 1e3:9.1f} ms  ratio to PyTorch {t_imported / t_torch:.2f}")
    print(f"libdeep, built in libdeep:      {t_native * 1e3:9.1f} ms  ratio to PyTorch {t_native / t_torch:.2f}")
    print(f"imported / built in libdeep:    {t_imported / t_native:.2f}")


if __name__ == "__main__":
    main()
