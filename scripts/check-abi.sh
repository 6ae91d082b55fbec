#!/usr/bin/env bash
# Compares the ABI of the built libdeep.so with the committed baseline abi/libdeep.abi
# (libabigail's abidiff). Policy, see docs/abi.md:
#   * adding functions, or appending enumerators with new values, is fine;
#   * removing an exported function, or changing any exported function's parameters, return
#     type or the enums and types they use (as declared in include/deep.h), fails.
# Changes inside the opaque structs (their definitions live in internal headers) are not ABI.
#
# Usage: scripts/check-abi.sh BUILD_DIR   (a gcc build with debug info, e.g. the default
#        debugoptimized build; the baseline is written by scripts/update-abi.sh)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "$1")
cd "$root"
baseline=abi/libdeep.abi

ninja --quiet -C "$build"   # never compare a stale library
lib=$(readlink -f "$build/libdeep.so")
if ! readelf -S --wide "$lib" | grep -q '\.debug_info'; then
    echo "check-abi: $lib has no debug info; use a debug or debugoptimized build" >&2
    exit 2
fi
[ -f "$baseline" ] || { echo "check-abi: no baseline $baseline; create it with scripts/update-abi.sh $1" >&2; exit 2; }

# abidiff's exit status is a bit mask: 1 tool error, 2 usage error, 4 ABI change,
# 8 incompatible change (e.g. a removed function). --no-added-syms keeps added functions
# out of the report and out of the status; harmless changes (an appended enumerator, a
# private struct whose layout changed) are filtered by abidiff itself.
set +e
report=$(abidiff --no-added-syms --headers-dir2 include/ "$baseline" "$lib" 2>&1)
rc=$?
set -e

if [ "$rc" -ne 0 ]; then
    printf '%s\n\n' "$report" >&2
    if [ $((rc & 3)) -ne 0 ]; then
        echo "check-abi: abidiff failed to run (status $rc)" >&2
        exit 2
    fi
    what="changed"
    [ $((rc & 8)) -eq 0 ] || what="changed incompatibly"
    cat >&2 <<MSG
check-abi: FAIL: the ABI of libdeep.so $what compared with $baseline (abidiff status $rc).
  Exported functions and the types they use may only be added to, never removed or changed
  (docs/abi.md). Restore the old declaration, or add a new function instead. A deliberate break
  needs a major version bump (new soname) and: scripts/update-abi.sh $1 --allow-break
MSG
    exit 1
fi

# Additions pass, but only the baseline protects them: say which are not in it yet.
new=$(comm -13 \
    <(grep -o "<elf-symbol name='[^']*'" "$baseline" | sed "s/.*name='//; s/'//" | sort -u) \
    <(nm -D --defined-only "$lib" | awk '$3 ~ /^deep_/ { n = $3; sub(/@.*/, "", n); print n }' | sort -u))
echo "check-abi: OK: no exported function or public type removed or changed against $baseline"
if [ -n "$new" ]; then
    echo "check-abi: note: $(echo "$new" | wc -l) exported function(s) not yet in the baseline" \
         "(fine; run scripts/update-abi.sh $1 to protect them):"
    echo "$new" | sed 's/^/  /'
fi
