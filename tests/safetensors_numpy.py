#!/usr/bin/python3
"""Reads libdeep model files as plain safetensors with NumPy, independently of libdeep,
and checks that every weight equals, bit for bit, what deep_model_get_weight reports
(through the model_weights helper). Also checks the format's promises that docs/
model-format.md makes: 8-byte little-endian header length, a JSON header starting with
'{' and padded with spaces to 8 bytes, F32 tensors tiling the data exactly, and the
CRC-32 in "libdeep.checksum" over every byte except its own eight digits.

usage: safetensors_numpy.py MODEL_WEIGHTS_HELPER GOLDEN_FILE... (a fresh file is added)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header_bytes = raw[8:8 + n]
    assert header_bytes[:1] == b"{", "header must start with '{'"
    assert (8 + n) % 8 == 0, "data must start 8-byte aligned"
    header = json.loads(header_bytes.decode("utf-8"))
    meta = header.pop("__metadata__")
    digits = meta["libdeep.checksum"]
    at = raw.index(b'"libdeep.checksum": "') + len(b'"libdeep.checksum": "')
    assert raw[at:at + 8].decode() == digits
    crc = zlib.crc32(raw[at + 8:], zlib.crc32(raw[:at]))
    assert crc == int(digits, 16), f"{path}: checksum {digits} but computed {crc:08x}"
    data = raw[8 + n:]
    tensors, end = {}, 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        assert entry["dtype"] == "F32"
        begin, stop = entry["data_offsets"]
        assert begin == end, f"{name}: hole or overlap in the data"
        end = stop
        shape = tuple(entry["shape"])
        tensors[name] = np.frombuffer(data[begin:stop], dtype="<f4").reshape(shape)
    assert end == len(data), "bytes after the last tensor"
    model = json.loads(meta["libdeep.model"])
    assert meta["libdeep.format"] == "model" and meta["libdeep.format_version"] == "1"
    return tensors, model


def reported_weights(helper, path):
    out = subprocess.run([helper, path], check=True, capture_output=True, text=True).stdout
    weights = {}
    for line in out.splitlines():
        fields = line.split()
        name, rank = fields[0], int(fields[1])
        shape = tuple(int(d) for d in fields[2:2 + rank])
        bits = np.array([int(h, 16) for h in fields[2 + rank:]], dtype=np.uint32)
        weights[name] = bits.view(np.float32).reshape(shape)
    return weights


def check(helper, path):
    tensors, model = read_safetensors(path)
    weights = reported_weights(helper, path)
    plain = {k: v for k, v in tensors.items() if not k.startswith("optimizer/")}
    assert set(plain) == set(weights), f"{path}: file has {sorted(plain)}, library reports {sorted(weights)}"
    for name, value in weights.items():
        assert plain[name].shape == value.shape, f"{path}: {name} shape"
        assert np.array_equal(plain[name].view(np.uint32), value.view(np.uint32)), f"{path}: {name} differs"
    names = [layer["name"] for layer in model["layers"]]
    for name in plain:
        assert name.split("/")[0] in names, f"{path}: {name} names no layer"
    print(f"{path}: {len(weights)} weights match, {len(tensors) - len(plain)} optimizer tensors")


def main():
    helper, files = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "fresh.safetensors")
        subprocess.run([helper, "--save", fresh], check=True)
        for path in files + [fresh]:
            check(helper, path)


if __name__ == "__main__":
    main()
