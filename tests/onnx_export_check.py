"""Checks deep_model_save_onnx against third-party readers (run by meson when Debian's
/usr/bin/python3 has onnx and OpenCV). For every model of the helper onnx_export_models:
onnx.checker.check_model(full_check=True) (which runs strict shape inference) at opsets 13
and 17, and for the models OpenCV 4.6's dnn module runs, its predictions against libdeep's
(relative error at most 1e-4 of the output's largest magnitude). Every model also runs in
onnx_reference.py, a NumPy evaluator written from ONNX's operator specification (Debian
bookworm has no ONNX Runtime), against libdeep's predictions at both opsets, within the same
1e-4.

Trees and forests (ai.onnx.ml, which OpenCV does not run and Debian bookworm has no ONNX
Runtime for): check_model, then the TreeEnsemble operator evaluated here from its
attributes as the ONNX-ML specification defines it, against libdeep's predictions on
inputs that hit the thresholds exactly; the single tree's nodes are also compared with
deep_tree_to_json's.

Usage: onnx_export_check.py HELPER"""
import os
import subprocess
import sys
import tempfile

import json

import numpy as np
import onnx
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_reference  # noqa: E402

# What OpenCV 4.6 runs. Its importer refuses the others (docs/onnx.md, "Export"): LSTM
# with a dynamic batch, GRU without its optional inputs, Gather of computed indices
# (Embedding), Clip with min/max inputs (relu6, ReLU with max_value); the reference evaluator
# runs them.
OPENCV = {"mlp", "cnn", "autoencoder", "resnet", "two_inputs", "shared", "image_layers", "act_layers"}
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


def ensemble(model):
    """The TreeEnsemble node's attributes as a dict of lists."""
    node = model.graph.node[0]
    assert node.domain == "ai.onnx.ml", node.domain
    return node.op_type, {a.name: helper.get_attribute_value(a) for a in node.attribute}


def run_ensemble(op, attrs, x):
    """ONNX-ML TreeEnsembleClassifier/Regressor with post_transform NONE: each tree from node
    0, BRANCH_LEQ goes to the true node when x <= threshold; the leaves' weights summed over
    the trees (the regressor's AVERAGE divides by the tree count)."""
    prefix = "class" if op == "TreeEnsembleClassifier" else "target"
    key = {}
    for i, (t, n) in enumerate(zip(attrs["nodes_treeids"], attrs["nodes_nodeids"])):
        key[(t, n)] = i
    leaves = {}
    for t, n, c, w in zip(attrs[prefix + "_treeids"], attrs[prefix + "_nodeids"], attrs[prefix + "_ids"],
                          attrs[prefix + "_weights"]):
        leaves.setdefault((t, n), []).append((c, np.float32(w)))
    trees = sorted(set(attrs["nodes_treeids"]))
    width = len(attrs["classlabels_int64s"]) if prefix == "class" else attrs["n_targets"]
    out = np.zeros((len(x), width), dtype=np.float32)
    thresholds = np.asarray(attrs["nodes_values"], dtype=np.float32)
    for r, row in enumerate(x):
        for t in trees:
            i = key[(t, 0)]
            while attrs["nodes_modes"][i] != b"LEAF":
                assert attrs["nodes_modes"][i] == b"BRANCH_LEQ"
                go = row[attrs["nodes_featureids"][i]] <= thresholds[i]
                i = key[(t, attrs["nodes_truenodeids"][i] if go else attrs["nodes_falsenodeids"][i])]
            for c, w in leaves[(t, attrs["nodes_nodeids"][i])]:
                out[r, c] += w
    if prefix == "target" and attrs.get("aggregate_function", b"SUM") == b"AVERAGE":
        out /= len(trees)
    return out


def check_trees(tmp, name):
    model = onnx.load(os.path.join(tmp, name + ".onnx"))
    onnx.checker.check_model(model, full_check=True)
    domains = {o.domain: o.version for o in model.opset_import}
    assert domains.get("ai.onnx.ml") == 3, domains
    with open(os.path.join(tmp, name + ".txt")) as f:
        _, kind, n = f.read().split()
    x = np.fromfile(os.path.join(tmp, name + ".in"), dtype=np.float32).reshape(int(n), -1)
    want = np.fromfile(os.path.join(tmp, name + ".out"), dtype=np.float32).reshape(int(n), -1)
    op, attrs = ensemble(model)
    got = run_ensemble(op, attrs, x)
    err = float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-6))
    hits = sum(int(np.any(x[:, f] == v)) for f, v, m in zip(attrs["nodes_featureids"], attrs["nodes_values"],
                                                          attrs["nodes_modes"]) if m != b"LEAF")
    print(f"{name}: check_model passes; {op} of {len(set(attrs['nodes_treeids']))} trees, "
          f"{len(attrs['nodes_modes'])} nodes ({hits} thresholds met exactly by the inputs): "
          f"relative error {err:.2e} against libdeep")
    assert hits > 0, "no input meets a threshold: the split rule is untested"
    assert err <= 1e-6, err
    if name == "tree":
        with open(os.path.join(tmp, name + ".json")) as f:
            nodes = json.load(f)["nodes"]
        assert len(nodes) == len(attrs["nodes_modes"])
        for i, node in enumerate(nodes):
            if node.get("leaf"):
                assert attrs["nodes_modes"][i] == b"LEAF"
                weights = [w for t, nid, w in zip(attrs["class_treeids"], attrs["class_nodeids"],
                                                  attrs["class_weights"]) if nid == i]
                assert np.allclose(weights, node["value"], rtol=1e-6), (weights, node["value"])
            else:
                assert attrs["nodes_featureids"][i] == node["feature"]
                assert np.float32(attrs["nodes_values"][i]) == np.float32(node["threshold"])
                assert attrs["nodes_truenodeids"][i] == node["left"]
                assert attrs["nodes_falsenodeids"][i] == node["right"]
        print(f"tree: {len(nodes)} nodes equal deep_tree_to_json's")


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
                if name.startswith(("tree", "forest")):
                    if opset == 13:
                        check_trees(tmp, name)
                    continue
                model = onnx.load(os.path.join(tmp, name + ".onnx"))
                onnx.checker.check_model(model, full_check=True)
                assert model.opset_import[0].version == opset, (name, model.opset_import)
                meta = read_meta(os.path.join(tmp, name + ".txt"))
                n = meta["samples"]
                x = np.fromfile(os.path.join(tmp, name + ".in"), dtype=np.float32)
                want = np.fromfile(os.path.join(tmp, name + ".out"), dtype=np.float32)
                inputs = split_rows(x, n, meta["inputs"])
                expected = split_rows(want, n, meta["outputs"])
                feeds = {input_name: value for (input_name, _), value in zip(meta["inputs"], inputs)}
                reference = onnx_reference.run(model, feeds)
                worst = 0.0
                for (o, _), g, e in zip(meta["outputs"], reference, expected):
                    err = float(np.max(np.abs(g.reshape(e.shape) - e)) / max(float(np.max(np.abs(e))), 1e-6))
                    worst = max(worst, err)
                    if not err <= TOLERANCE:
                        failures.append(f"opset {opset} {name}/{o} (reference evaluator): {err:.2e}")
                print(f"opset {opset} {name}: check_model passes ({len(model.graph.node)} nodes, "
                      f"{len(model.graph.initializer)} initializers); reference evaluator: relative error "
                      f"{worst:.2e}")
                if cv2 is None or name not in OPENCV or opset != 13:
                    continue
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
