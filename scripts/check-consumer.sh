#!/usr/bin/env bash
# Installs a build into a temporary staging directory and builds a program against it from
# outside the source tree, through pkg-config only, the way a user or a distribution would:
#   * the install holds deep.h, libdeep.so -> libdeep.so.MAJOR -> libdeep.so.X.Y.Z, libdeep.pc;
#   * the shared object's SONAME is libdeep.so.MAJOR (MAJOR from include/deep.h);
#   * tests/consumer/consumer.c compiles warning-free as C99 and as C++ with only
#     `pkg-config --cflags --libs libdeep`, links to libdeep.so.MAJOR, and runs: it prints the
#     version and turns a bad call into a status with a message.
#
# Usage: scripts/check-consumer.sh BUILD_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "$1")
cd "$root"

fail() { printf 'check-consumer: FAIL: %s\n' "$1" >&2; exit 1; }

version=$(scripts/version.sh include/deep.h)
major=${version%%.*}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage

meson install -C "$build" --destdir "$stage" --quiet

# Make the staged .pc point into the staging directory, as a packager's staging area would.
pc=$(find "$stage" -name libdeep.pc -path '*/pkgconfig/*')
[ -n "$pc" ] || fail "no libdeep.pc was installed"
prefix=$(sed -n 's/^prefix=//p' "$pc")
sed -i "s|^prefix=.*|prefix=$stage$prefix|" "$pc"
export PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

libdir=$(pkg-config --variable=libdir libdeep)
includedir=$(pkg-config --variable=includedir libdeep)
[ "$(pkg-config --modversion libdeep)" = "$version" ] \
    || fail "libdeep.pc says version $(pkg-config --modversion libdeep), the header $version"
[ -f "$includedir/deep.h" ] || fail "deep.h is not installed in the pc file's includedir"
for f in libdeep.so "libdeep.so.$major" "libdeep.so.$version"; do
    [ -e "$libdir/$f" ] || fail "$f is not installed in the pc file's libdir ($libdir)"
done
[ "$(readlink "$libdir/libdeep.so")" = "libdeep.so.$major" ] \
    || fail "libdeep.so should be a symlink to libdeep.so.$major"

soname=$(readelf -d "$libdir/libdeep.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libdeep.so.$major" ] || fail "SONAME is '$soname', expected libdeep.so.$major"
echo "check-consumer: installed $(cd "$stage" && find . -type f -o -type l | sort | tr '\n' ' ')"
echo "check-consumer: SONAME $soname"

# The consumer, built out of tree with only what pkg-config says.
read -r -a flags <<< "$(pkg-config --cflags --libs libdeep)"
cp tests/consumer/consumer.c "$tmp/"
cc -std=c99 -Wall -Wextra -Wpedantic -Werror "$tmp/consumer.c" -o "$tmp/consumer-c" "${flags[@]}"
c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -x c++ "$tmp/consumer.c" -x none \
    -o "$tmp/consumer-cxx" "${flags[@]}"

for exe in consumer-c consumer-cxx; do
    readelf -d "$tmp/$exe" | grep -q "(NEEDED).*\[libdeep.so.$major\]" \
        || fail "$exe does not link to libdeep.so.$major"
    out=$(LD_LIBRARY_PATH=$libdir "$tmp/$exe") || fail "$exe exited with an error:
$out"
    grep -qx "libdeep $version" <<< "$out" || fail "$exe did not print 'libdeep $version':
$out"
    grep -q '^error handled: DEEP_ERR_' <<< "$out" || fail "$exe did not report the bad call:
$out"
    grep -qx 'consumer OK' <<< "$out" || fail "$exe did not finish:
$out"
    printf '%s\n' "$out" | sed "s/^/  $exe: /"
done
echo "check-consumer: OK: installed library, header and libdeep.pc work out of tree (C and C++)"
