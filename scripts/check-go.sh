#!/usr/bin/env bash
# Tests the Go binding (bindings/go, standard library only, cgo with `#cgo pkg-config:
# libdeep`) against a libdeep that pkg-config finds: by default the installed one (the
# libdeep-dev package; scripts/check-deb.sh runs it so), or with BUILD_DIR a meson build
# staged into a temporary directory. On a temporary copy of the binding, with temporary
# GOCACHE and GOPATH and no module proxy (nothing is downloaded):
#   * gofmt finds nothing to reformat and go vet nothing to report;
#   * go test -race: networks (dense, convolutional, LSTM, GRU, SimpleRNN, Embedding) and
#     trees and forests trained, model files and weights, callbacks and logs, datasets,
#     CSV tables, vocabularies, metrics against values computed by hand; every C error as a
#     *deep.Error with its message, misuse (wrong shapes, use after Close, nil handles,
#     invalid options) as errors, finalizers, concurrent predictions; every enum value and
#     function of deep.h used by the binding or listed as left out with a reason, and every
#     layer type and layer option of docs/layers.md reachable from Go;
#   * every program under examples/ builds; examples/xor links the expected
#     libdeep.so.MAJOR, trains and exits 0;
#   * examples/cnn_fashion trains 1 epoch on 2000 images and exits 0, when Fashion-MNIST is
#     installed (Debian's dataset-fashion-mnist, FASHION_DIR to look elsewhere).
#
# Usage: scripts/check-go.sh [BUILD_DIR]
set -euo pipefail
[ $# -le 1 ] || { echo "usage: $0 [BUILD_DIR]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:+$(realpath -m "$1")}
cd "$root"
fail() { printf 'check-go: FAIL: %s\n' "$1" >&2; exit 1; }

command -v go >/dev/null 2>&1 || fail "go not found: install Debian's golang-go (scripts/debian-packages.txt)"
version=$(scripts/version.sh include/deep.h)
major=${version%%.*}
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

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
echo "check-go: $(go version), libdeep $version from $libdir"

cp -r bindings/go "$tmp/src"
export LIBDEEP_LAYERS_DOC=$root/docs/layers.md  # the copy has no ../../docs
export LIBDEEP_ONNX_DIR=$root/tests/onnx        # nor ../../tests
export GOCACHE=$tmp/cache GOPATH=$tmp/gopath GOPROXY=off CGO_ENABLED=1
cd "$tmp/src"
unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || fail "gofmt would reformat: $unformatted"
go vet ./... || fail "go vet reports problems"
go test -count=1 -race -v ./... > "$tmp/test.log" 2>&1 || { cat "$tmp/test.log" >&2; fail "go test failed"; }
grep -E '^(--- |ok|PASS|FAIL)' "$tmp/test.log" | sed 's/^/  /'

mkdir -p "$tmp/bin"
for example in examples/*/; do
    name=$(basename "$example")
    go build -o "$tmp/bin/$name" "./examples/$name" || fail "examples/$name does not build"
done
echo "  built: $(ls "$tmp/bin" | tr '\n' ' ')"
mv "$tmp/bin/xor" "$tmp/xor"
loaded=$(ldd "$tmp/xor" | awk -v lib="libdeep.so.$major" '$1 == lib { print $3 }')
[ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$libdir/libdeep.so.$major")" ] \
    || { ldd "$tmp/xor" >&2; fail "examples/xor does not load $libdir/libdeep.so.$major"; }
"$tmp/xor" > "$tmp/xor.log" 2>&1 || { cat "$tmp/xor.log" >&2; fail "examples/xor failed"; }
grep -qx 'go program OK' "$tmp/xor.log" || { cat "$tmp/xor.log" >&2; fail "examples/xor did not finish"; }
sed 's/^/  xor: /' "$tmp/xor.log"

fashion=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
if [ -f "$fashion/train-images-idx3-ubyte.gz" ]; then
    "$tmp/bin/cnn_fashion" -data "$fashion" -limit 2000 -epochs 1 > "$tmp/cnn.log" 2>&1 \
        || { cat "$tmp/cnn.log" >&2; fail "examples/cnn_fashion failed"; }
    accuracy=$(awk '/^test accuracy: / { print $3 }' "$tmp/cnn.log")
    [ -n "$accuracy" ] || { cat "$tmp/cnn.log" >&2; fail "examples/cnn_fashion did not finish"; }
    # 2000 images and 1 epoch give about 0.75; a guess gives 0.10.
    awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.5) }' \
        || { cat "$tmp/cnn.log" >&2; fail "examples/cnn_fashion did not learn (test accuracy $accuracy)"; }
    grep -E '^(Epoch|test)' "$tmp/cnn.log" | sed 's/^/  cnn_fashion: /'
else
    echo "  cnn_fashion: not run, no Fashion-MNIST in $fashion"
fi
echo "check-go: OK: the Go binding passes its tests and its examples build and train against $libdir"
