#!/usr/bin/env bash
# Checks that debian/libdeep<MAJOR>.symbols lists exactly the symbols the build's libdeep.so
# exports, under the right soname (and debian/libdeep-mpi<MAJOR>.symbols those of
# mpi/libdeep-mpi.so, when the build has the MPI component), and that debian/changelog is at the version of deep.h, so
# that the Debian package build (which runs dpkg-gensymbols -c4 and fails on any difference,
# and stops on a version mismatch) will pass. The file is regenerated with
# scripts/update-symbols.sh BUILD_DIR (docs/abi.md).
#
# Usage: scripts/check-symbols.sh BUILD_DIR
set -euo pipefail
export LC_ALL=C   # one collation for sort, comm and join
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "$1")
cd "$root"
version=$(scripts/version.sh include/deep.h)
major=${version%%.*}
fail() { printf 'check-symbols: FAIL: %s\n' "$1" >&2; exit 1; }

# The package version must be the header's too, or the package build stops (debian/rules).
if command -v dpkg-parsechangelog >/dev/null 2>&1; then
    changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
    [ "$changelog" = "$version" ] \
        || fail "debian/changelog is at $changelog but include/deep.h at $version; add an entry: dch -v $version"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check LIB NAME: LIB inside the build, NAME its soname's stem (libdeep).
check() {
    local lib=$1 name=$2
    local file=debian/$name$major.symbols   # the package of soname $name.so.$major
    [ -f "$file" ] || fail "$file is missing; create it with: scripts/update-symbols.sh $build"
    head -n 1 "$file" | grep -q "^$name\.so\.$major $name$major #MINVER#$" \
        || fail "$file does not start with '$name.so.$major $name$major #MINVER#' (soname from include/deep.h)"
    scripts/list-symbols.sh "$build" "$lib" > "$tmp/exported"
    awk '/^ / { print $1 }' "$file" | sort > "$tmp/listed"
    local bad missing gone msg=
    bad=$(awk '/^ / && NF != 2 { print "  " $0 }' "$file")
    [ -z "$bad" ] || fail "malformed lines in $file (expected ' name@NODE minver'):
$bad"
    missing=$(comm -23 "$tmp/exported" "$tmp/listed" | sed 's/^/  /')
    gone=$(comm -13 "$tmp/exported" "$tmp/listed" | sed 's/^/  /')
    [ -z "$missing" ] || msg+="exported by $lib but not in $file:
$missing
"
    [ -z "$gone" ] || msg+="in $file but no longer exported (an ABI break, docs/abi.md):
$gone
"
    [ -z "$msg" ] || fail "${msg}  after adding functions, regenerate it: scripts/update-symbols.sh $build"
    echo "check-symbols: OK: $file lists the $(wc -l < "$tmp/exported") symbols $name.so.$major exports"
}

check libdeep.so libdeep
if [ -f "$build/mpi/libdeep-mpi.so" ]; then
    check mpi/libdeep-mpi.so libdeep-mpi
fi
