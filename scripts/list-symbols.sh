#!/usr/bin/env bash
# Prints the symbols a build's libdeep.so (or LIB, a path inside BUILD_DIR such as
# mpi/libdeep-mpi.so) exports as dpkg-gensymbols names them, sorted: "name@NODE" for every
# versioned function and for each version node itself (DEEP_1@DEEP_1, DEEP_MPI_1@DEEP_MPI_1).
# Used by scripts/update-symbols.sh and scripts/check-symbols.sh.
#
# Usage: scripts/list-symbols.sh BUILD_DIR [LIB]
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD_DIR [LIB]" >&2; exit 2; }
lib=$(realpath -m "$1/${2:-libdeep.so}")
[ -f "$lib" ] || { echo "list-symbols: $lib not found; build first" >&2; exit 2; }
nm -D --defined-only "$lib" | awk '
    NF == 3 && $2 == "A" && $3 ~ /^DEEP_/ { print $3 "@" $3; next }
    NF == 3 { n = $3; sub(/@@?/, "@", n); if (n !~ /@/) n = n "@Base"; print n }' | LC_ALL=C sort -u
