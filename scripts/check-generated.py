#!/usr/bin/env python3
"""Fails when a file generated from include/deep.h is out of date: each generator is run
into a temporary directory and its output compared byte for byte with the committed file.

  bindings/python/libdeep/_ffi.py       bindings/python/gen-ffi.py   scripts/update-python-ffi.sh
  bindings/rust/libdeep-sys/src/ffi.rs  bindings/rust/gen-sys.py     scripts/update-rust-sys.sh

Run by `meson test --suite bindings` (test 'generated-bindings'); standard library only.

Usage: scripts/check-generated.py [SOURCE_ROOT]
"""
import difflib
import os
import subprocess
import sys
import tempfile

GENERATED = [
    ('bindings/python/libdeep/_ffi.py', 'bindings/python/gen-ffi.py', 'scripts/update-python-ffi.sh'),
    ('bindings/rust/libdeep-sys/src/ffi.rs', 'bindings/rust/gen-sys.py', 'scripts/update-rust-sys.sh'),
]


def check(root):
    header = os.path.join(root, 'include', 'deep.h')
    stale = 0
    with tempfile.TemporaryDirectory() as tmp:
        for committed, generator, update in GENERATED:
            fresh = os.path.join(tmp, os.path.basename(committed))
            run = subprocess.run([sys.executable, os.path.join(root, generator), header, fresh],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print(f'check-generated: FAIL: {generator} cannot read include/deep.h:\n{run.stderr}{run.stdout}',
                      file=sys.stderr)
                stale += 1
                continue
            with open(fresh, encoding='utf-8') as f:
                want = f.read()
            try:
                with open(os.path.join(root, committed), encoding='utf-8') as f:
                    have = f.read()
            except FileNotFoundError:
                have = ''
            if have != want:
                diff = difflib.unified_diff(have.splitlines(True), want.splitlines(True),
                                            committed, f'{generator} include/deep.h')
                sys.stderr.writelines(list(diff)[:60])
                print(f'check-generated: FAIL: {committed} is out of date with include/deep.h; run {update}',
                      file=sys.stderr)
                stale += 1
            else:
                print(f'check-generated: {committed} is up to date')
    return 1 if stale else 0


if __name__ == '__main__':
    if len(sys.argv) > 2:
        sys.exit('usage: check-generated.py [SOURCE_ROOT]')
    sys.exit(check(sys.argv[1] if len(sys.argv) == 2 else os.path.join(os.path.dirname(__file__), '..')))
