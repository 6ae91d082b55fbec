"""A small NumPy evaluator of ONNX graphs, written from the operator specification
(onnx.ai/onnx/operators) for the operators libdeep's exporter writes, in float64. Debian
bookworm has no ONNX Runtime, onnx 1.12 has no reference evaluator yet, and OpenCV 4.6 runs
only part of the exported models; this one runs them all, so that every layer's export is
checked against libdeep's predictions (onnx_export_check.py). It shares no code or layout
logic with the exporter: it only knows ONNX's semantics. Unknown operators raise."""
import itertools
import math

import numpy as np
from onnx import numpy_helper, helper

_erf = np.vectorize(math.erf)


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _s(value):
    return value.decode() if isinstance(value, bytes) else value


def _conv(x, w, b, a):
    spatial = x.ndim - 2
    strides = a.get("strides", [1] * spatial)
    dil = a.get("dilations", [1] * spatial)
    pads = a.get("pads", [0] * 2 * spatial)
    group = a.get("group", 1)
    x = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[spatial + i]) for i in range(spatial)])
    kernel = w.shape[2:]
    out = [(x.shape[2 + i] - (dil[i] * (kernel[i] - 1) + 1)) // strides[i] + 1 for i in range(spatial)]
    n, m = x.shape[0], w.shape[0]
    cg, mg = x.shape[1] // group, m // group
    y = np.zeros([n, m] + out)
    for g in range(group):
        xg = x[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg]
        for k in itertools.product(*[range(s) for s in kernel]):
            index = (slice(None), slice(None)) + tuple(
                slice(k[i] * dil[i], k[i] * dil[i] + strides[i] * (out[i] - 1) + 1, strides[i]) for i in range(spatial))
            y[:, g * mg:(g + 1) * mg] += np.einsum("nc...,mc->nm...", xg[index], wg[(slice(None), slice(None)) + k])
    if b is not None:
        y += b.reshape([1, -1] + [1] * spatial)
    return y


def _conv_transpose(x, w, b, a):
    spatial = x.ndim - 2
    assert a.get("group", 1) == 1
    strides = a.get("strides", [1] * spatial)
    pads = a.get("pads", [0] * 2 * spatial)
    extra = a.get("output_padding", [0] * spatial)
    kernel = w.shape[2:]
    full = [strides[i] * (x.shape[2 + i] - 1) + kernel[i] + extra[i] for i in range(spatial)]
    y = np.zeros([x.shape[0], w.shape[1]] + full)
    for k in itertools.product(*[range(s) for s in kernel]):
        index = (slice(None), slice(None)) + tuple(
            slice(k[i], k[i] + strides[i] * (x.shape[2 + i] - 1) + 1, strides[i]) for i in range(spatial))
        y[index] += np.einsum("nc...,cm->nm...", x, w[(slice(None), slice(None)) + k])
    crop = (slice(None), slice(None)) + tuple(slice(pads[i], full[i] - pads[spatial + i]) for i in range(spatial))
    y = y[crop]
    if b is not None:
        y += b.reshape([1, -1] + [1] * spatial)
    return y


def _pool(x, a, kind):
    spatial = x.ndim - 2
    kernel = a["kernel_shape"]
    strides = a.get("strides", [1] * spatial)
    pads = a.get("pads", [0] * 2 * spatial)
    widths = [(0, 0), (0, 0)] + [(pads[i], pads[spatial + i]) for i in range(spatial)]
    inside = np.pad(np.ones(x.shape), widths)
    x = np.pad(x, widths, constant_values=-np.inf if kind == "max" else 0)
    out = [(x.shape[2 + i] - kernel[i]) // strides[i] + 1 for i in range(spatial)]
    y = np.full(list(x.shape[:2]) + out, -np.inf if kind == "max" else 0.0)
    count = np.zeros(y.shape)
    for k in itertools.product(*[range(s) for s in kernel]):
        index = (slice(None), slice(None)) + tuple(
            slice(k[i], k[i] + strides[i] * (out[i] - 1) + 1, strides[i]) for i in range(spatial))
        if kind == "max":
            y = np.maximum(y, x[index])
        else:
            y += x[index]
            count += inside[index]
    if kind == "average":
        assert a.get("count_include_pad", 0) == 0
        y /= count
    return y


def _resize(x, scales, a):
    mode, transform = _s(a.get("mode", b"nearest")), _s(a.get("coordinate_transformation_mode", b"half_pixel"))
    y = x
    for axis in range(2, x.ndim):
        size_in = y.shape[axis]
        size_out = int(math.floor(size_in * scales[axis]))
        o = np.arange(size_out)
        if transform == "asymmetric":
            coord = o / scales[axis]
        else:
            assert transform == "half_pixel"
            coord = (o + 0.5) / scales[axis] - 0.5
        if mode == "nearest":
            assert _s(a.get("nearest_mode", b"round_prefer_floor")) == "floor"
            y = np.take(y, np.clip(np.floor(coord).astype(int), 0, size_in - 1), axis=axis)
        else:
            assert mode == "linear"
            coord = np.clip(coord, 0, size_in - 1)
            lo = np.floor(coord).astype(int)
            hi = np.minimum(lo + 1, size_in - 1)
            frac = (coord - lo).reshape([-1 if d == axis else 1 for d in range(x.ndim)])
            y = np.take(y, lo, axis=axis) * (1 - frac) + np.take(y, hi, axis=axis) * frac
    return y


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _cell_functions(a, count, directions):
    """The recurrent operator's activations per direction, alpha/beta consumed in order."""
    names = [_s(n) for n in a.get("activations", [])]
    if not names:
        default = ["Sigmoid", "Tanh", "Tanh"][:count] if count > 1 else ["Tanh"]
        names = default * directions
    alphas, betas = list(a.get("activation_alpha", [])), list(a.get("activation_beta", []))
    funcs = []
    for name in names:
        if name == "Sigmoid":
            funcs.append(_sigmoid)
        elif name == "Tanh":
            funcs.append(np.tanh)
        elif name == "Relu":
            funcs.append(lambda v: np.maximum(v, 0))
        elif name == "Affine":
            al, be = alphas.pop(0), betas.pop(0)
            funcs.append(lambda v, al=al, be=be: al * v + be)
        elif name == "LeakyRelu":
            al = alphas.pop(0)
            funcs.append(lambda v, al=al: np.where(v >= 0, v, al * v))
        elif name == "Elu":
            al = alphas.pop(0)
            funcs.append(lambda v, al=al: np.where(v >= 0, v, al * (np.exp(v) - 1)))
        else:
            raise NotImplementedError(name)
    return [funcs[d * count:(d + 1) * count] for d in range(directions)]


def _recurrent(op, inputs, a):
    x, w, r = inputs[0], inputs[1], inputs[2]
    b = inputs[3] if len(inputs) > 3 and inputs[3] is not None else np.zeros((w.shape[0], 2 * w.shape[1]))
    assert len(inputs) <= 4, "sequence_lens and initial states are not written by libdeep"
    hidden = a["hidden_size"]
    direction = _s(a.get("direction", b"forward"))
    dirs = 2 if direction == "bidirectional" else 1
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    count = {"LSTM": 3, "GRU": 2, "RNN": 1}[op]
    funcs = _cell_functions(a, count, dirs)
    steps, batch = x.shape[0], x.shape[1]
    y = np.zeros((steps, dirs, batch, hidden))
    y_h = np.zeros((dirs, batch, hidden))
    for d in range(dirs):
        reverse = direction == "reverse" or d == 1
        wd, rd = w[d], r[d]
        wb, rb = b[d][:gates * hidden], b[d][gates * hidden:]
        h = np.zeros((batch, hidden))
        c = np.zeros((batch, hidden))
        f = funcs[d]
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            xt = x[t]
            if op == "RNN":
                h = f[0](xt @ wd.T + h @ rd.T + wb + rb)
            elif op == "LSTM":
                z = xt @ wd.T + h @ rd.T + wb + rb
                i_, o_, f_, c_ = (z[:, k * hidden:(k + 1) * hidden] for k in range(4))
                c = f[0](f_) * c + f[0](i_) * f[1](c_)
                h = f[0](o_) * f[2](c)
            else:
                gx = xt @ wd.T + wb
                Wz, Wr, Wh = (gx[:, k * hidden:(k + 1) * hidden] for k in range(3))
                Rw = [rd[k * hidden:(k + 1) * hidden] for k in range(3)]
                Rbk = [rb[k * hidden:(k + 1) * hidden] for k in range(3)]
                zt = f[0](Wz + h @ Rw[0].T + Rbk[0])
                rt = f[0](Wr + h @ Rw[1].T + Rbk[1])
                if a.get("linear_before_reset", 0):
                    ht = f[1](Wh + rt * (h @ Rw[2].T + Rbk[2]))
                else:
                    ht = f[1](Wh + (rt * h) @ Rw[2].T + Rbk[2])
                h = (1 - zt) * ht + zt * h
            y[t, d] = h
        y_h[d] = h
    return [y, y_h]


def _slice(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        index[ax] = slice(int(s), int(max(min(e, 2 ** 62), -2 ** 62)), int(st))
    return x[tuple(index)]


def run(model, feeds):
    """The graph's outputs for feeds {input name: array}."""
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) if t.data_type == 1 else numpy_helper.to_array(t)
              for t in model.graph.initializer}
    values.update({k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()})
    values[""] = None
    for node in model.graph.node:
        a = _attrs(node)
        ins = [values[name] for name in node.input]
        op = node.op_type
        x = ins[0]
        if op == "Gemm":
            w = ins[1].T if a.get("transB", 0) else ins[1]
            out = [x @ w + (ins[2] if len(ins) > 2 else 0)]
        elif op == "MatMul":
            out = [x @ ins[1]]
        elif op in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
            fn = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Max": np.maximum,
                  "Min": np.minimum}[op]
            out = [fn(x, ins[1])]
        elif op == "Relu":
            out = [np.maximum(x, 0)]
        elif op == "Sigmoid":
            out = [_sigmoid(x)]
        elif op == "Tanh":
            out = [np.tanh(x)]
        elif op == "Softmax":
            e = np.exp(x - x.max(axis=a.get("axis", -1), keepdims=True))
            out = [e / e.sum(axis=a.get("axis", -1), keepdims=True)]
        elif op == "LogSoftmax":
            shifted = x - x.max(axis=a.get("axis", -1), keepdims=True)
            out = [shifted - np.log(np.exp(shifted).sum(axis=a.get("axis", -1), keepdims=True))]
        elif op == "LeakyRelu":
            out = [np.where(x >= 0, x, a.get("alpha", 0.01) * x)]
        elif op == "Elu":
            out = [np.where(x >= 0, x, a.get("alpha", 1.0) * (np.exp(x) - 1))]
        elif op == "Selu":
            out = [a["gamma"] * np.where(x > 0, x, a["alpha"] * (np.exp(x) - 1))]
        elif op == "HardSigmoid":
            out = [np.clip(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0, 1)]
        elif op == "Softplus":
            out = [np.log1p(np.exp(x))]
        elif op == "Softsign":
            out = [x / (1 + np.abs(x))]
        elif op == "Erf":
            out = [_erf(x)]
        elif op == "Exp":
            out = [np.exp(x)]
        elif op == "Sqrt":
            out = [np.sqrt(x)]
        elif op == "Clip":
            out = [np.clip(x, ins[1], ins[2])]
        elif op == "Identity":
            out = [x]
        elif op == "Flatten":
            axis = a.get("axis", 1)
            out = [x.reshape(int(np.prod(x.shape[:axis])), -1)]
        elif op == "Reshape":
            out = [x.reshape([int(d) for d in ins[1]])]
        elif op == "Transpose":
            out = [np.transpose(x, a["perm"])]
        elif op == "Unsqueeze":
            out = [np.expand_dims(x, tuple(int(v) for v in ins[1]))]
        elif op == "Tile":
            out = [np.tile(x, [int(v) for v in ins[1]])]
        elif op == "Concat":
            out = [np.concatenate(ins, axis=a["axis"])]
        elif op == "Gather":
            out = [np.take(x, ins[1], axis=a.get("axis", 0))]
        elif op == "Cast":
            assert a["to"] in (1, 7)
            out = [x.astype(np.int64 if a["to"] == 7 else np.float64)]
        elif op == "PRelu":
            out = [np.where(x >= 0, x, ins[1] * x)]
        elif op == "Greater":
            out = [np.greater(x, ins[1])]
        elif op == "Slice":
            out = [_slice(x, *[None if v is None else list(v) for v in ins[1:]])]
        elif op == "Pad":
            p = [int(v) for v in ins[1]]
            assert _s(a.get("mode", b"constant")) == "constant" and len(ins) < 3
            out = [np.pad(x, [(p[i], p[x.ndim + i]) for i in range(x.ndim)])]
        elif op == "Conv":
            out = [_conv(x, ins[1], ins[2] if len(ins) > 2 else None, a)]
        elif op == "ConvTranspose":
            out = [_conv_transpose(x, ins[1], ins[2] if len(ins) > 2 else None, a)]
        elif op == "MaxPool":
            out = [_pool(x, a, "max")]
        elif op == "AveragePool":
            out = [_pool(x, a, "average")]
        elif op == "GlobalAveragePool":
            out = [x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)]
        elif op == "GlobalMaxPool":
            out = [x.max(axis=tuple(range(2, x.ndim)), keepdims=True)]
        elif op == "BatchNormalization":
            shape = [1, -1] + [1] * (x.ndim - 2)
            scale, bias, mean, var = (v.reshape(shape) for v in ins[1:5])
            out = [(x - mean) / np.sqrt(var + a.get("epsilon", 1e-5)) * scale + bias]
        elif op == "LayerNormalization":
            assert a.get("axis", -1) == -1
            mean = x.mean(axis=-1, keepdims=True)
            var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
            y = (x - mean) / np.sqrt(var + a.get("epsilon", 1e-5)) * ins[1]
            out = [y + ins[2] if len(ins) > 2 else y]
        elif op == "ReduceMean":
            out = [x.mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))]
        elif op == "Resize":
            out = [_resize(x, ins[2], a)]
        elif op in ("LSTM", "GRU", "RNN"):
            out = _recurrent(op, ins, a)
        else:
            raise NotImplementedError(f"operator {op}")
        for name, value in zip(node.output, out):
            values[name] = value
    return [values[o.name] for o in model.graph.output]
