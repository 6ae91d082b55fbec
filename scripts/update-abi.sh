#!/usr/bin/env bash
# Rewrites the ABI baseline abi/libdeep.abi from a build, after checking that the change
# against the old baseline only adds (docs/abi.md). Commit the result with the header change.
#
# Usage: scripts/update-abi.sh BUILD_DIR [--allow-break]
#   BUILD_DIR     a gcc build with debug info (the default debugoptimized build)
#   --allow-break accept removed or changed functions; only together with a major version
#                 bump (DEEP_VERSION_MAJOR, hence a new soname)
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD_DIR [--allow-break]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "$1")
allow_break=${2:-}
[ -z "$allow_break" ] || [ "$allow_break" = --allow-break ] || { echo "usage: $0 BUILD_DIR [--allow-break]" >&2; exit 2; }
cd "$root"
baseline=abi/libdeep.abi

ninja --quiet -C "$build"   # never compare a stale library
lib=$(readlink -f "$build/libdeep.so")
if ! readelf -S --wide "$lib" | grep -q '\.debug_info'; then
    echo "update-abi: $lib has no debug info; use a debug or debugoptimized build" >&2
    exit 2
fi

if [ -f "$baseline" ] && ! scripts/check-abi.sh "$build" >/dev/null 2>&1; then
    if [ "$allow_break" != --allow-break ]; then
        scripts/check-abi.sh "$build" || true
        echo "update-abi: refusing to record a breaking change; see above" >&2
        exit 1
    fi
    echo "update-abi: recording a BREAKING change (--allow-break); bump DEEP_VERSION_MAJOR" >&2
fi

# Only types defined in the public header count; the opaque structs are kept as declarations.
mkdir -p abi
abidw --no-corpus-path --headers-dir include/ --drop-private-types --out-file "$baseline.tmp" "$lib"
mv "$baseline.tmp" "$baseline"
echo "update-abi: wrote $baseline ($(grep -c '<elf-symbol ' "$baseline") exported functions)"
