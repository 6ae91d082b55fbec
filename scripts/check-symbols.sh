#!/usr/bin/env bash
# Checks that debian/libdeep<MAJOR>.symbols lists exactly the symbols the build's libdeep.so
# exports, under the right soname, and that debian/changelog is at the version of deep.h, so
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
file=debian/libdeep$major.symbols   # the package of soname libdeep.so.$major
fail() { printf 'check-symbols: FAIL: %s\n' "$1" >&2; exit 1; }

[ -f "$file" ] || fail "$file is missing; create it with: scripts/update-symbols.sh $1"
head -n 1 "$file" | grep -q "^libdeep\.so\.$major libdeep$major #MINVER#$" \
    || fail "$file does not start with 'libdeep.so.$major libdeep$major #MINVER#' (soname from include/deep.h)"

# The package version must be the header's too, or the package build stops (debian/rules).
if command -v dpkg-parsechangelog >/dev/null 2>&1; then
    changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
    [ "$changelog" = "$version" ] \
        || fail "debian/changelog is at $changelog but include/deep.h at $version; add an entry: dch -v $version"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/list-symbols.sh "$build" > "$tmp/exported"
awk '/^ / { print $1 }' "$file" | sort > "$tmp/listed"
bad=$(awk '/^ / && NF != 2 { print "  " $0 }' "$file")
[ -z "$bad" ] || fail "malformed lines in $file (expected ' name@NODE minver'):
$bad"

missing=$(comm -23 "$tmp/exported" "$tmp/listed" | sed 's/^/  /')
gone=$(comm -13 "$tmp/exported" "$tmp/listed" | sed 's/^/  /')
msg=
[ -z "$missing" ] || msg+="exported by libdeep.so but not in $file:
$missing
"
[ -z "$gone" ] || msg+="in $file but no longer exported (an ABI break, docs/abi.md):
$gone
"
[ -z "$msg" ] || fail "${msg}  after adding functions, regenerate it: scripts/update-symbols.sh $1"
echo "check-symbols: OK: $file lists the $(wc -l < "$tmp/exported") symbols libdeep.so.$major exports"
