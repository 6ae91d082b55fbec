#!/usr/bin/env bash
# Regenerates debian/libdeep<MAJOR>.symbols, the Debian symbols file, from the symbols a build of
# libdeep.so exports (the version script libdeep/libdeep.map binds them to DEEP_* nodes), and,
# when the build has the MPI component, debian/libdeep-mpi<MAJOR>.symbols from
# mpi/libdeep-mpi.so (mpi/libdeep-mpi.map, DEEP_MPI_* nodes) the same way.
# Symbols already listed keep the version they first appeared in; new ones get the version
# of include/deep.h. A symbol that disappeared is an ABI break and is refused (docs/abi.md),
# unless --allow-break is given together with a major version bump (a new soname).
# Commit the result with the header change; the package build (dpkg-gensymbols -c4) and
# scripts/check-symbols.sh fail on any difference.
#
# Usage: scripts/update-symbols.sh BUILD_DIR [--allow-break]
set -euo pipefail
export LC_ALL=C   # one collation for sort, comm and join
usage() { echo "usage: $0 BUILD_DIR [--allow-break]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
allow_break=${2:-}
[ -z "$allow_break" ] || [ "$allow_break" = --allow-break ] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "$1")
cd "$root"
version=$(scripts/version.sh include/deep.h)
major=${version%%.*}

ninja --quiet -C "$build"   # never record a stale library
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# update LIB NAME DEV_PACKAGE: LIB inside the build, NAME its soname's stem (libdeep).
update() {
    local lib=$1 name=$2 dev=$3
    local file=debian/$name$major.symbols   # the package of soname $name.so.$major
    scripts/list-symbols.sh "$build" "$lib" > "$tmp/exported"
    [ -s "$tmp/exported" ] || { echo "update-symbols: $build/$lib exports nothing" >&2; exit 1; }

    # The old file's "name@NODE minver" lines, when its soname is still the current one.
    : > "$tmp/old"
    if [ -f "$file" ] && head -n 1 "$file" | grep -q "^$name\.so\.$major "; then
        awk '/^ / { print $1, $2 }' "$file" | sort > "$tmp/old"
    fi
    local removed
    removed=$(cut -d' ' -f1 "$tmp/old" | comm -23 - "$tmp/exported")
    if [ -n "$removed" ] && [ "$allow_break" != --allow-break ]; then
        echo "update-symbols: refusing: these symbols of $lib are no longer exported (an ABI break, docs/abi.md):" >&2
        echo "$removed" | sed 's/^/  /' >&2
        exit 1
    fi

    {
        echo "$name.so.$major $name$major #MINVER#"
        echo "* Build-Depends-Package: $dev"
        join -a 1 -e "$version" -o '1.1,2.2' "$tmp/exported" "$tmp/old" | sed 's/^/ /'
    } > "$tmp/symbols"
    mv "$tmp/symbols" "$file"
    local added
    added=$(comm -13 <(cut -d' ' -f1 "$tmp/old") "$tmp/exported" | wc -l)
    echo "update-symbols: wrote $file ($(wc -l < "$tmp/exported") symbols, $added new at $version)"
}

update libdeep.so libdeep libdeep-dev
if [ -f "$build/mpi/libdeep-mpi.so" ]; then
    update mpi/libdeep-mpi.so libdeep-mpi libdeep-mpi-dev
else
    echo "update-symbols: $build has no mpi/libdeep-mpi.so (configured without MPI): debian/libdeep-mpi$major.symbols left as it is"
fi
