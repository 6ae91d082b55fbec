#!/usr/bin/env bash
# Regenerates bindings/rust/libdeep-sys/src/ffi.rs, the raw Rust declarations of
# include/deep.h, with bindings/rust/gen-sys.py. Run it after changing the header and commit
# the result with it (run scripts/update-python-ffi.sh too); scripts/check-rust.sh and
# `meson test --suite bindings` fail while ffi.rs is out of date.
#
# Usage: scripts/update-rust-sys.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 bindings/rust/gen-sys.py include/deep.h bindings/rust/libdeep-sys/src/ffi.rs
echo "update-rust-sys: wrote bindings/rust/libdeep-sys/src/ffi.rs ($(grep -c '    pub fn ' bindings/rust/libdeep-sys/src/ffi.rs) functions)"
