#!/usr/bin/env bash
# Tests the Rust binding (bindings/rust: libdeep-sys, the raw declarations, and libdeep, the
# safe API; no crate from outside the toolchain) against a libdeep that pkg-config finds:
# by default the installed one (the libdeep-dev package; scripts/check-deb.sh runs it so),
# or with BUILD_DIR a meson build staged into a temporary directory. With Debian's cargo
# (or any cargo on PATH), offline, with temporary CARGO_HOME and target directories:
#   * libdeep-sys/src/ffi.rs is what gen-sys.py makes of include/deep.h (every function);
#   * cargo test: the raw layer's own tests; a network and a forest trained; one test file
#     per group of the safe API (layers: LSTM, GRU, SimpleRNN, Embedding and a CNN learn
#     small tasks; modelio: file and buffer round trips predict identically; callbacks and
#     the log through C trampolines, panics caught; data, vocab, metrics, trees, tensor:
#     results checked against values worked out by hand); every C error as an Error with
#     its message; wrong shapes and slice lengths, invalid options, calls in the wrong
#     order, bad files; concurrent predictions; every enum value and function of deep.h used
#     by the safe API or listed as left out with a reason, and every layer type and layer
#     option of docs/layers.md reachable through its builder; and doc tests showing that use after drop,
#     reuse of a compiled optimizer, sharing a Dataset, Optimizer or Rng between threads,
#     a callback that is not Send and keeping the callback's model do not compile;
#   * every example builds (xor, cnn_fashion, lstm_fashion, forest); xor links the expected
#     libdeep.so.MAJOR, trains and exits 0; forest runs on examples/data/iris.csv; and, when
#     Fashion-MNIST is installed (/usr/share/datasets/fashion-mnist, Debian's
#     dataset-fashion-mnist, or FASHION_MNIST_DIR), cnn_fashion trains 1 epoch on 2000
#     images, so that CI stays fast. Each must print a test accuracy above a floor.
#
# Usage: scripts/check-rust.sh [BUILD_DIR]
set -euo pipefail
[ $# -le 1 ] || { echo "usage: $0 [BUILD_DIR]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:+$(realpath -m "$1")}
cd "$root"
fail() { printf 'check-rust: FAIL: %s\n' "$1" >&2; exit 1; }

command -v cargo >/dev/null 2>&1 || fail "cargo not found: install Debian's cargo (scripts/debian-packages.txt)"
version=$(scripts/version.sh include/deep.h)
major=${version%%.*}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 bindings/rust/gen-sys.py include/deep.h "$tmp/ffi.rs"
if ! diff -u bindings/rust/libdeep-sys/src/ffi.rs "$tmp/ffi.rs" > "$tmp/ffi.diff"; then
    head -n 40 "$tmp/ffi.diff" >&2
    fail "bindings/rust/libdeep-sys/src/ffi.rs is out of date with include/deep.h; run scripts/update-rust-sys.sh"
fi

if [ -n "$build" ]; then
    meson install -C "$build" --destdir "$tmp/stage" --quiet
    pc=$(find "$tmp/stage" -name libdeep.pc -path '*/pkgconfig/*')
    [ -n "$pc" ] || fail "no libdeep.pc was installed from $build"
    sed -i "s|^prefix=|prefix=$tmp/stage|" "$pc"
    export PKG_CONFIG_PATH=$(dirname "$pc")
fi
pkg-config --exists libdeep || fail "pkg-config finds no libdeep (install libdeep-dev, or pass a BUILD_DIR)"
[ "$(pkg-config --modversion libdeep)" = "$version" ] \
    || fail "pkg-config finds libdeep $(pkg-config --modversion libdeep), the header is $version"
libdir=$(pkg-config --variable=libdir libdeep)
if [ -n "$build" ]; then
    export LD_LIBRARY_PATH=$libdir
fi
echo "check-rust: $(cargo --version), $(rustc --version), libdeep $version from $libdir"

cp -r bindings/rust "$tmp/src"
export LIBDEEP_LAYERS_DOC=$root/docs/layers.md  # the copy has no ../../../docs
export LIBDEEP_ONNX_DIR=$root/tests/onnx        # nor ../../../tests
export CARGO_HOME=$tmp/cargo-home CARGO_TARGET_DIR=$tmp/target CARGO_NET_OFFLINE=true
cd "$tmp/src"
cargo test --offline -j "$(nproc)" > "$tmp/test.log" 2>&1 || { cat "$tmp/test.log" >&2; fail "cargo test failed"; }
grep -E '^(test |test result|     Running|   Doc-tests)' "$tmp/test.log" | sed 's/^/  /'
if grep -E '^warning' "$tmp/test.log"; then
    fail "the build has warnings (above)"
fi

cargo build --offline --examples -j "$(nproc)" > "$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log" >&2; fail "the examples do not build"; }
if grep -E '^warning' "$tmp/build.log"; then
    fail "the examples build with warnings (above)"
fi
examples=$tmp/target/debug/examples
exe=$examples/xor
loaded=$(ldd "$exe" | awk -v lib="libdeep.so.$major" '$1 == lib { print $3 }')
[ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$libdir/libdeep.so.$major")" ] \
    || { ldd "$exe" >&2; fail "examples/xor does not load $libdir/libdeep.so.$major"; }
"$exe" > "$tmp/xor.log" 2>&1 || { cat "$tmp/xor.log" >&2; fail "examples/xor failed"; }
grep -qx 'rust program OK' "$tmp/xor.log" || { cat "$tmp/xor.log" >&2; fail "examples/xor did not finish"; }
sed 's/^/  xor: /' "$tmp/xor.log"

# run_example NAME FLOOR ARGS...: runs an example, which must exit 0 and print
# "test accuracy: X" with X >= FLOOR; shows its last lines.
run_example() {
    local name=$1 floor=$2
    shift 2
    "$examples/$name" "$@" > "$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log" >&2; fail "examples/$name $* failed"; }
    local accuracy
    accuracy=$(awk '/^test accuracy: / { print $3 }' "$tmp/$name.log" | tail -n 1)
    [ -n "$accuracy" ] || { cat "$tmp/$name.log" >&2; fail "examples/$name printed no test accuracy"; }
    awk -v a="$accuracy" -v f="$floor" 'BEGIN { exit !(a >= f) }' \
        || { cat "$tmp/$name.log" >&2; fail "examples/$name: test accuracy $accuracy is below $floor"; }
    grep -E '^(test |out-of-bag|5-fold|fit time)' "$tmp/$name.log" | sed "s/^/  $name: /"
}
run_example forest 0.8 --csv "$root/examples/data/iris.csv" species 50
fashion=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
if [ -f "$fashion/train-images-idx3-ubyte.gz" ]; then
    run_example cnn_fashion 0.5 "$fashion" 1 2000
else
    echo "check-rust: no Fashion-MNIST in $fashion: cnn_fashion built but not run"
fi
echo "check-rust: OK: the Rust binding passes its tests and its examples train against $libdir"
