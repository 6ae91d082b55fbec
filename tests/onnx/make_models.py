#!/usr/bin/python3
"""Writes the ONNX models the import tests read, with PyTorch's own outputs.

Run with Debian's /usr/bin/python3 (python3-torch, python3-onnx) from the repository's root:
    /usr/bin/python3 tests/onnx/make_models.py [--no-torch]
For each model NAME it writes tests/onnx/NAME.onnx, NAME.in.f32 (the inputs, float32
little-endian in PyTorch's NCHW order, 4 samples; a time-major sequence model's batch-first) and NAME.out.f32 (PyTorch's outputs for them).
The files are committed (each well under 300 KB) because CI has no PyTorch; rerunning the
script gives new random weights, which the tests accept since they compare with the
outputs written next to them.
"""
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(21)


class MLP(nn.Module):
    """Gemm (nn.Linear), MatMul + Add with constants (x @ w + b), Relu, Tanh, Softmax."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.w = nn.Parameter(torch.randn(32, 16) * 0.2)
        self.b = nn.Parameter(torch.randn(16) * 0.1)
        self.fc3 = nn.Linear(16, 5)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.tanh(x @ self.w + self.b)
        return torch.softmax(self.fc3(x), dim=1)


class SeedCNN(nn.Module):
    """examples/cnn_fashion.c's seed CNN (Conv2D 32 3x3 relu, MaxPool 2, Flatten, Dense 128
    relu, Dense 10 softmax) on 10x10 images so that the file stays small; the example runs the
    same layers at 28x28."""

    def __init__(self, size=10):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, 3)
        self.pool = nn.MaxPool2d(2)
        side = (size - 2) // 2
        self.fc1 = nn.Linear(32 * side * side, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        x = torch.flatten(x, 1)
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=1)


class ResBlock(nn.Module):
    """A ResNet basic block: Conv-BN-ReLU, Conv-BN, Add with the shortcut, ReLU, then a
    BatchNormalization that cannot be folded into a Conv, GlobalAveragePool and the
    x.view(x.size(0), -1) chain (Shape, Gather, Unsqueeze, Concat, Reshape) with a dynamic
    batch axis."""

    def __init__(self, channels=8):
        super().__init__()
        self.stem = nn.Conv2d(3, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.bn3 = nn.BatchNorm2d(channels)
        self.fc = nn.Linear(channels, 4)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = self.bn3(torch.relu(x + y))
        x = nn.functional.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class Depthwise(nn.Module):
    """Depthwise conv (groups == channels), a strided conv with symmetric padding 1 (not
    TensorFlow's 'same': ZeroPadding2D), Clip(0, 6), AveragePool with and without
    count_include_pad, MaxPool, Concat on channels, Sub and Mul of two graph values,
    LeakyReLU(0.3), Elu, Sigmoid."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(16, 6, 1)
        self.fc = nn.Linear(6 * 3 * 3, 3)

    def forward(self, x):
        x = nn.functional.relu6(self.conv(x))                  # 12x12 -> 6x6
        y = nn.functional.leaky_relu(self.dw(x), 0.3)
        a = nn.functional.avg_pool2d(y, 3, 1, 1, count_include_pad=True)
        b = nn.functional.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        x = torch.cat([a - b, a * b], dim=1)
        x = nn.functional.elu(self.pw(x))
        x = nn.functional.max_pool2d(x, 2)                      # 6x6 -> 3x3
        x = torch.flatten(x, 1)
        return torch.sigmoid(self.fc(x))


class Shapes(nn.Module):
    """Reshape to a rank-3 value and Transpose (Permute), MatMul + Add on its last axis
    (Dense per step), Softmax over channels of an image (not the last ONNX axis), Softmax
    on the last axis, Concat of two vectors, and a Flatten of NCHW features that feeds a
    Concat, not a Dense (the importer puts them back in ONNX's order)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.w = nn.Parameter(torch.randn(8, 6) * 0.3)
        self.b = nn.Parameter(torch.randn(6) * 0.1)
        self.fc = nn.Linear(16 * 6, 5)

    def forward(self, x):
        x = torch.softmax(self.conv(x), dim=1)                  # (N, 8, 4, 4), over channels
        flat = torch.flatten(x, 1)                              # (N, 128), ONNX's order
        seq = x.reshape(x.shape[0], 8, 16).transpose(1, 2)      # (N, 16, 8)
        seq = torch.softmax(seq @ self.w + self.b, dim=-1)       # (N, 16, 6)
        y = self.fc(torch.flatten(seq, 1))
        return torch.cat([y, flat], dim=1)


class Tokens(nn.Module):
    """Embedding (Gather of the table by int64 ids), LayerNormalization (opset 17's own
    operator) and a Linear on every step (MatMul + Add of a rank-3 value)."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(12, 8)
        self.ln = nn.LayerNorm(8)
        self.fc = nn.Linear(8, 3)

    def forward(self, ids):
        return self.fc(self.ln(self.emb(ids)))


class Decoder(nn.Module):
    """A conv autoencoder's shapes: a strided Conv, Resize (nearest, whole factor), a
    ConvTranspose with pads and output_padding (Cropping2D after), one without, bilinear
    upsampling (align_corners=False) and a Sigmoid."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.up1 = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(3, 2, 2, stride=2)

    def forward(self, x):
        x = torch.relu(self.conv(x))                                         # 8x8 -> 4x4
        x = nn.functional.interpolate(x, scale_factor=2, mode="nearest")     # 8x8
        x = torch.relu(self.up1(x))                                          # 16x16
        x = nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)  # 32x32
        return torch.sigmoid(self.up2(x))                                    # 64x64


class Gelu(nn.Module):
    """nn.GELU (exact), which PyTorch writes as Div, Erf, Add, Mul, Mul."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(nn.functional.gelu(self.fc1(x)))


class Recurrent(nn.Module):
    """A recurrent classifier as PyTorch users write them: `out, h = rnn(x)` then a Linear on
    the last step (out[:, -1], or out[-1] time-major), on h[-1] ("h"), or on the last step
    and both directions' h and c ("all")."""

    def __init__(self, cell=nn.LSTM, features=6, hidden=8, classes=3, batch_first=True, bidirectional=False,
                 layers=1, read="out", vocabulary=0, **kwargs):
        super().__init__()
        self.emb = nn.Embedding(vocabulary, features) if vocabulary else None
        self.rnn = cell(features, hidden, num_layers=layers, batch_first=batch_first, bidirectional=bidirectional,
                        **kwargs)
        dirs = 2 if bidirectional else 1
        width = {"out": dirs * hidden, "h": hidden, "all": (dirs + 2 * dirs) * hidden, "h2": 2 * hidden}[read]
        self.fc = nn.Linear(width, classes)
        self.batch_first, self.read = batch_first, read

    def forward(self, x):
        if self.emb is not None:
            x = self.emb(x)
        out, state = self.rnn(x)
        h, c = state if isinstance(state, tuple) else (state, None)
        last = out[:, -1] if self.batch_first else out[-1]
        if self.read == "out":
            return self.fc(last)
        if self.read == "h":
            return self.fc(h[-1])
        if self.read == "h2":  # both directions' final states, the usual bidirectional classifier
            return self.fc(torch.cat((h[-2], h[-1]), 1))
        parts = [last] + [h[k] for k in range(-h.shape[0] // self.layers_per(h), 0)]
        parts += [c[k] for k in range(-c.shape[0] // self.layers_per(c), 0)]
        return self.fc(torch.cat(parts, 1))

    def layers_per(self, h):
        return self.rnn.num_layers


def recurrent_models():
    """PyTorch's LSTM, GRU and RNN exports (hidden 8, 5 steps; the last one added last, so
    that regenerating keeps the others' weights). A time-major model's input
    file holds the samples batch-first, as libdeep takes them (docs/onnx.md)."""
    torch.manual_seed(17)
    x = torch.randn(4, 5, 6)
    export("lstm_bf", Recurrent(), x, 13)
    export("lstm_tm", Recurrent(batch_first=False), x.transpose(0, 1).contiguous(), 11, time_major=True)
    export("gru", Recurrent(nn.GRU, read="h"), x, 14)
    export("lstm_bi", Recurrent(bidirectional=True, layers=2, read="all"), x, 17)
    export("lstm_stack", Recurrent(layers=2, hidden=12), x, 15)
    export("rnn_tanh", Recurrent(nn.RNN, hidden=10), x, 12)
    export("embed_lstm", Recurrent(vocabulary=20, read="h"), torch.randint(0, 20, (4, 7)), 13)
    export("gru_bi", Recurrent(nn.GRU, bidirectional=True, read="h2"), x, 16)
    export("rnn_relu", Recurrent(nn.RNN, batch_first=False, read="h", nonlinearity="relu"),
           x.transpose(0, 1).contiguous(), 13, time_major=True)
    export("gru_tm", Recurrent(nn.GRU, batch_first=False), x.transpose(0, 1).contiguous(), 13, time_major=True)
class Activations(nn.Module):
    """The activations with arguments (libdeep 1.3): PReLU per channel after a Conv (slope
    (C, 1, 1), converted to channels last), LeakyReLU with PyTorch's slope 0.01, ELU with
    alpha 0.5, Hardtanh(0, 3) (Clip(0, 3): ReLU(max_value=3)), a PReLU with one shared slope,
    ReLU6 (Clip(0, 6)) and LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.prelu1 = nn.PReLU(4)
        self.conv2 = nn.Conv2d(4, 4, 3)
        self.fc1 = nn.Linear(4 * 4 * 4, 12)
        self.prelu2 = nn.PReLU()
        self.fc2 = nn.Linear(12, 5)
        with torch.no_grad():  # PyTorch's 0.25 everywhere would not show the slopes' order
            self.prelu1.weight.uniform_(0.05, 0.6)
            self.prelu2.weight.fill_(0.15)
            self.fc2.weight.mul_(20)  # outputs past 6, so that ReLU6's clip shows

    def forward(self, x):
        x = self.prelu1(self.conv1(x))
        x = nn.functional.leaky_relu(self.conv2(x), 0.01)
        x = nn.functional.hardtanh(nn.functional.elu(x, alpha=0.5), 0.0, 3.0)
        x = self.prelu2(self.fc1(torch.flatten(x, 1)))
        return torch.log_softmax(nn.functional.relu6(self.fc2(x)), dim=1)


class WrittenOut(nn.Module):
    """What PyTorch writes out before opset 17: GELU's tanh form (Mul, Mul, Mul, Add, Mul,
    Tanh, Add, Mul, Mul) and LayerNorm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div,
    Mul, Add), the latter on a sequence (a norm per step)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 12)
        self.norm = nn.LayerNorm(12, eps=1e-4)
        self.fc2 = nn.Linear(12, 4)
        with torch.no_grad():  # PyTorch's ones and zeros would not show the weights' order
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        x = nn.functional.gelu(self.fc1(x), approximate="tanh")
        return self.fc2(self.norm(x))


def bad_activation_models():
    """What the 1.3 activations refuse: Clip(-1, 1), a negative LeakyRelu slope, a ReduceMean
    that starts no LayerNorm, a PRelu whose slope is the model's data."""
    import onnx
    from onnx import TensorProto, helper

    def save(name, nodes, inits=()):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
        graph = helper.make_graph(nodes, name, [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                                  initializer=list(inits))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="libdeep")
        onnx.save(model, os.path.join(HERE, name + ".onnx"))
        print(name)

    scalar = helper.make_tensor
    save("bad_clip", [helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clip")],
         [scalar("lo", TensorProto.FLOAT, [], [-1.0]), scalar("hi", TensorProto.FLOAT, [], [1.0])])
    save("bad_leaky_relu", [helper.make_node("LeakyRelu", ["x"], ["y"], name="leaky", alpha=-0.5)])
    save("bad_reduce_mean", [helper.make_node("ReduceMean", ["x"], ["y"], name="mean", axes=[-1])])
    save("bad_prelu", [helper.make_node("PRelu", ["x", "x"], ["y"], name="prelu")])


def activation_models():
    """The models of libdeep 1.3's activations only, so that adding them leaves the other
    committed files as they are: /usr/bin/python3 tests/onnx/make_models.py --activations"""
    bad_activation_models()
    torch.manual_seed(13)
    export("activations", Activations(), torch.randn(4, 3, 8, 8) * 2, 13)
    export("written_out", WrittenOut(), torch.randn(4, 5, 6) * 2, 13)


def randomise_bn(model):
    """Fresh BatchNorm layers have mean 0 and variance 1: give them statistics to convert."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)


def export(name, model, x, opset, dynamic_batch=False, time_major=False):
    model.eval()
    path = os.path.join(HERE, name + ".onnx")
    kwargs = {}
    if dynamic_batch:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      **kwargs)
    with torch.no_grad():
        y = model(x)
    (x.transpose(0, 1) if time_major else x).numpy().astype("<f4").tofile(os.path.join(HERE, name + ".in.f32"))
    y.numpy().astype("<f4").tofile(os.path.join(HERE, name + ".out.f32"))
    print(name, "opset", opset, os.path.getsize(path), "bytes", tuple(x.shape), "->", tuple(y.shape))


def bad_models():
    """Small hand-made models the importer must refuse, each with a clear message (written
    with onnx.helper, no PyTorch needed)."""
    import onnx
    from onnx import TensorProto, helper

    def save(name, nodes, inputs, inits, opset=13, outputs=None):
        graph = helper.make_graph(nodes, name, inputs,
                                  outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                                  initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="libdeep")
        onnx.save(model, os.path.join(HERE, name + ".onnx"))
        print(name)

    image = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 6, 6])]
    w = np.random.RandomState(0).randn(4, 2, 3, 3).astype("f4")
    # Conv with group 2 over 4 channels: neither a plain nor a depthwise convolution.
    save("bad_group", [helper.make_node("Conv", ["x", "w"], ["y"], name="Conv_3", group=2)], image,
         [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.flatten())])
    # An operator libdeep has no layer for.
    save("bad_op", [helper.make_node("Relu", ["x"], ["r"], name="relu"),
                    helper.make_node("Erf", ["r"], ["y"], name="erf_1")], image, [])
    # A custom domain.
    save("bad_domain", [helper.make_node("Relu", ["x"], ["y"], name="custom", domain="com.example")], image, [])
    # An input of absurd size.
    save("bad_dims", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1 << 40, 1 << 40])], [])
    # Weights in an external file.
    ext = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 4, 3, 3])
    ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key="location", value="weights.bin")
    save("bad_external", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], image, [ext])
    # An opset beyond the supported ones.
    save("bad_opset", [helper.make_node("Relu", ["x"], ["y"], name="relu")], image, [], opset=19)
    # A weight whose data does not match its dims.
    short = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 4, 3, 3], float_data=[0.5] * 7)
    save("bad_weight", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], image, [short])


def bad_recurrent_models():
    """Recurrent operators with what libdeep's cells do not compute, and a time-major value
    read by an operator that cannot take one: each refused with the node named."""
    import onnx
    from onnx import TensorProto, helper
    rng = np.random.RandomState(3)
    T, F, H = 4, 3, 2

    def save(name, node, gates=4, opset=14, extra=(), inits=(), y="y"):
        ws = [helper.make_tensor("W", TensorProto.FLOAT, (1, gates * H, F), rng.randn(gates * H * F)),
              helper.make_tensor("R", TensorProto.FLOAT, (1, gates * H, H), rng.randn(gates * H * H))]
        graph = helper.make_graph([node, *extra], name,
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, "N", F])],
                                  [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)],
                                  initializer=ws + list(inits))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="libdeep")
        onnx.save(model, os.path.join(HERE, name + ".onnx"))
        print(name)

    save("bad_rnn_clip", helper.make_node("LSTM", ["x", "W", "R"], ["", "y"], name="lstm", hidden_size=H, clip=3.0))
    save("bad_rnn_activation", helper.make_node("GRU", ["x", "W", "R"], ["", "y"], name="gru", hidden_size=H,
                                                activations=["HardSigmoid", "Tanh"]), gates=3)
    save("bad_rnn_layout", helper.make_node("LSTM", ["x", "W", "R"], ["", "y"], name="lstm", hidden_size=H,
                                            layout=1))
    h0 = helper.make_tensor("h0", TensorProto.FLOAT, (1, 1, H), [0.5] * H)
    save("bad_rnn_state", helper.make_node("RNN", ["x", "W", "R", "", "", "h0"], ["", "y"], name="rnn",
                                           hidden_size=H), gates=1, inits=[h0])
    save("bad_rnn_reader", helper.make_node("LSTM", ["x", "W", "R"], ["seq"], name="lstm", hidden_size=H),
         extra=[helper.make_node("Relu", ["seq"], ["y"], name="relu")])


def opset10_model():
    """Opset 10 forms, written with onnx.helper and computed with NumPy: Gemm with transB 0,
    alpha and beta, Clip's min and max as attributes (Clip(0, 6): relu6), an Identity, and
    Softmax with opset 10's default axis."""
    import onnx
    from onnx import TensorProto, helper
    rng = np.random.RandomState(10)
    b = rng.randn(6, 4).astype("f4")
    c = rng.randn(4).astype("f4")
    x = (rng.randn(4, 6) * 3).astype("f4")
    nodes = [helper.make_node("Gemm", ["x", "b", "c"], ["g"], name="gemm", alpha=0.5, beta=2.0),
             helper.make_node("Clip", ["g"], ["r"], name="clip", min=0.0, max=6.0),
             helper.make_node("Identity", ["r"], ["i"], name="same"),
             helper.make_node("Softmax", ["i"], ["y"], name="softmax")]
    graph = helper.make_graph(nodes, "opset10", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
                              initializer=[helper.make_tensor("b", TensorProto.FLOAT, b.shape, b.flatten()),
                                           helper.make_tensor("c", TensorProto.FLOAT, c.shape, c)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 10)], producer_name="libdeep")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "opset10.onnx"))
    z = np.clip(0.5 * x.astype("f8") @ b + 2.0 * c, 0, 6)
    y = np.exp(z - z.max(axis=1, keepdims=True))
    y /= y.sum(axis=1, keepdims=True)
    x.astype("<f4").tofile(os.path.join(HERE, "opset10.in.f32"))
    y.astype("<f4").tofile(os.path.join(HERE, "opset10.out.f32"))
    print("opset10")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--no-torch":  # the models written without PyTorch
        bad_models()
        bad_recurrent_models()
        bad_activation_models()
        opset10_model()
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--recurrent":  # the recurrent models only
        bad_recurrent_models()
        recurrent_models()
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--activations":
        activation_models()
        return 0
    bad_models()
    bad_recurrent_models()
    opset10_model()
    export("mlp", MLP(), torch.randn(4, 20), 13)
    export("seed_cnn", SeedCNN(), torch.rand(4, 1, 10, 10), 13)
    res = ResBlock()
    randomise_bn(res)
    export("resnet_block", res, torch.randn(4, 3, 8, 8), 11, dynamic_batch=True)
    export("depthwise", Depthwise(), torch.randn(4, 3, 12, 12), 17)
    export("shapes", Shapes(), torch.randn(4, 3, 4, 4), 13)
    export("tokens", Tokens(), torch.randint(0, 12, (4, 5)), 17)
    export("decoder", Decoder(), torch.rand(2, 1, 8, 8), 17)
    export("gelu", Gelu(), torch.randn(4, 8) * 2, 13)
    recurrent_models()
    activation_models()
    return 0


if __name__ == "__main__":
    sys.exit(main())
