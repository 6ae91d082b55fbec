#!/usr/bin/env python3
"""Writes the seeds of fuzz_model_struct: each model file given, as its safetensors header
text (trailing padding removed), a 0 byte, and its data section.
Usage: model-struct-seeds.py OUT_DIR MODEL_FILE..."""
import os
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for path in sys.argv[2:]:
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = blob[8:8 + n].rstrip(b" ")
    name = os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path)
    with open(os.path.join(out, name), "wb") as f:
        f.write(header + b"\0" + blob[8 + n:])
