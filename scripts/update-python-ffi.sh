#!/usr/bin/env bash
# Regenerates bindings/python/libdeep/_ffi.py, the ctypes declarations of include/deep.h
# (functions, enums, macros, callback types), with bindings/python/gen-ffi.py. Run it after
# changing the header (with scripts/update-rust-sys.sh) and commit the result with it; the
# 'bindings' meson test suite fails while _ffi.py is out of date.
#
# Usage: scripts/update-python-ffi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 bindings/python/gen-ffi.py include/deep.h bindings/python/libdeep/_ffi.py
echo "update-python-ffi: wrote bindings/python/libdeep/_ffi.py ($(grep -c '^    "deep_' bindings/python/libdeep/_ffi.py) functions)"
