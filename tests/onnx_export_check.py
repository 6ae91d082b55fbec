"""Checks deep_model_save_onnx against third-party readers (run by meson when Debian's
/usr/bin/python3 has onnx and OpenCV). For every model of the helper onnx_export_models:
onnx.checker.check_model(full_check=True) (which runs strict shape inference) at opsets 13
and 17, and for the models OpenCV 4.6's dnn module runs, its predictions against libdeep's
(relative error at most 1e-4 of the output's largest magnitude).

Usage: onnx_export_check.py HELPER"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

# What OpenCV 4.6 runs. The others pass the checker only: OpenCV 4.6 lacks or mis-reads
# some of their operators (docs/onnx.md, "Export"); its LSTM and GRU importers fail on the
# (steps, batch, features) transposes around ONNX's LSTM/GRU (a Permute shape assertion).
OPENCV = {"mlp", "cnn", "autoencoder", "resnet", "two_inputs", "shared", "image_layers"}
TOLERANCE = 1e-4


def read_meta(path):
    with open(path) as f:
        lines = [line.split() for line in f if line.strip()]
    entries, i = {"inputs": [], "outputs": []}, 0
    while i < len(lines):
        key, count = lines[i][0], int(lines[i][1])
        if key == "samples":
            entries["samples"] = count
            i += 1
            continue
        for line in lines[i + 1:i + 1 + count]:
            entries[key].append((line[0], [int(d) for d in line[2:2 + int(line[1])]]))
        i += 1 + count
    return entries


def split_rows(flat, n, shapes):
    rows = flat.reshape(n, -1)
    parts, at = [], 0
    for _, shape in shapes:
        size = int(np.prod(shape))
        parts.append(np.ascontiguousarray(rows[:, at:at + size].reshape([n] + shape)))
        at += size
    return parts


def main():
    helper = sys.argv[1]
    names = subprocess.run([helper, "list"], check=True, capture_output=True, text=True).stdout.split()
    try:
        import cv2
    except ImportError:
        cv2 = None
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for opset in (13, 17):
            for name in names:
                subprocess.run([helper, tmp, name, str(opset)], check=True)
                model = onnx.load(os.path.join(tmp, name + ".onnx"))
                onnx.checker.check_model(model, full_check=True)
                assert model.opset_import[0].version == opset, (name, model.opset_import)
                print(f"opset {opset} {name}: check_model passes ({len(model.graph.node)} nodes, "
                      f"{len(model.graph.initializer)} initializers)")
                if cv2 is None or name not in OPENCV or opset != 13:
                    continue
                meta = read_meta(os.path.join(tmp, name + ".txt"))
                n = meta["samples"]
                x = np.fromfile(os.path.join(tmp, name + ".in"), dtype=np.float32)
                want = np.fromfile(os.path.join(tmp, name + ".out"), dtype=np.float32)
                inputs = split_rows(x, n, meta["inputs"])
                expected = split_rows(want, n, meta["outputs"])
                net = cv2.dnn.readNetFromONNX(os.path.join(tmp, name + ".onnx"))
                for (input_name, _), value in zip(meta["inputs"], inputs):
                    net.setInput(value, input_name)
                out_names = [o for o, _ in meta["outputs"]]
                got = net.forward(out_names)
                for o, g, e in zip(out_names, got, expected):
                    g = np.asarray(g).reshape(e.shape)
                    err = float(np.max(np.abs(g - e)) / max(float(np.max(np.abs(e))), 1e-6))
                    print(f"  OpenCV {cv2.__version__} {name}/{o}: relative error {err:.2e}")
                    if not err <= TOLERANCE:
                        failures.append(f"{name}/{o}: {err:.2e}")
    if failures:
        print("FAILED: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
