#!/usr/bin/env python3
"""Writes the hand-made seeds of the fuzz targets into tests/fuzz/corpus/<target>/seed-*.
The model targets are seeded from the golden files, the tree target from its own seed mode
(FUZZ_TREE_SEEDS, see fuzz_tree_load.c); run-fuzz.sh does those. Usage: seeds.py CORPUS_DIR"""
import gzip
import os
import struct
import sys

corpus = sys.argv[1]


def seed(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, "seed-" + name), "wb") as f:
        f.write(data)


# IDX: flags (1 gzip images, 2 gzip labels, 4 no labels), the images' length, the files.
images = bytes([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(range(11)) + b"\xff"
labels = bytes([0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 7])
for flags in (0, 1, 3, 4):
    seed("idx", "flags%d" % flags, bytes([flags]) + struct.pack("<H", len(images)) + images + labels)
packed = gzip.compress(images, mtime=0)
seed("idx", "raw-gzip", bytes([4]) + struct.pack("<H", len(packed)) + packed)

# CIFAR-10: the number of files less one, two cut offsets, then records of a label byte
# and 3072 pixels in channel planes.
records = b"".join(bytes([label]) + bytes((label * 7 + i) % 256 for i in range(3072)) for label in (3, 9))
seed("cifar", "one-file", bytes([0]) + struct.pack("<HH", 0, 0) + records)
seed("cifar", "two-files", bytes([1]) + struct.pack("<HH", 3073, 0) + records)

# CSV: the label column's name (length first), then the file.
seed("csv", "labels", b"\x01y" + b'a,"b,c",y\r\n1.5,NA,"x"\r\n,2e3,"q ""r"""\r\n7,-1,x\r\n')
seed("csv", "plain", b"\x00a,b\n1,2\nnan,\n\n3,4")
seed("csv", "int-labels", b"\x05class" + b"f,class\n0.5,1\n1.5,0\n2.5,2\n")
cars = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data", "cars.csv")
seed("csv", "cars", b"\x06origin" + open(cars, "rb").read())

# Vocabulary: the low bit of the first byte picks words (1) or characters (0).
seed("vocab", "words", "\x01the cat sat\n\tkönnen résumé\r\n".encode())
seed("vocab", "chars", "\x00naïve € 😀".encode())
seed("vocab", "surrogate", b"\x00ok\xed\xa0\x80")
