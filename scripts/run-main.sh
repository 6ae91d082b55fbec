#!/usr/bin/env bash
# Builds libdeep and runs the main example: the job a newcomer runs first.
# Usage: scripts/run-main.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build}")
cd "$root"

[ -f "$build/build.ninja" ] || meson setup "$build"
ninja -C "$build"

# The main job: the seed CNN trained 5 epochs on Fashion-MNIST (Debian's
# dataset-fashion-mnist); it ends with "test accuracy: 0.9xxx". Change this one line when
# the headline example changes.
"$build/examples/cnn_fashion" /usr/share/datasets/fashion-mnist 5
