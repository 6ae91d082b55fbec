#!/usr/bin/env bash
# Builds the Debian packages from a clean copy of the tree and tests them as a user of the
# packages would, then removes them again:
#   1. copies the tree (tracked and new files, no build directories) to a temporary
#      directory and runs `dpkg-buildpackage -us -uc -b` there: libdeep<MAJOR>, libdeep-dev,
#      libdeep-doc, libdeep-mpi<MAJOR>, libdeep-mpi-dev; the build runs the test suites (the
#      MPI ones under mpirun) and dpkg-gensymbols -c4, which fails on any difference between
#      debian/libdeep<MAJOR>.symbols or debian/libdeep-mpi<MAJOR>.symbols and the exports;
#   2. runs lintian on the result and fails on any error (warnings are shown);
#   3. checks what each package holds, installs the three with apt (which pulls in their
#      dependencies), and checks that pkg-config finds the packaged libdeep.pc in /usr;
#   4. compiles tests/package/train_small.c outside the tree with only
#      `pkg-config --cflags --libs libdeep`, checks it loads /usr/lib/<triplet>/libdeep.so.<MAJOR>,
#      and runs it: it trains a small network and a forest and reports a misuse; and
#      tests/package/mpi_small.c with `pkg-config --cflags --libs libdeep-mpi`, run by
#      mpirun on 2 ranks (a data-parallel fit);
#   5. runs the binding checks against the installed package: scripts/check-go.sh (go vet,
#      go test -race and a Go program that trains, on a temporary copy of bindings/go) and
#      scripts/check-rust.sh (cargo test and a Rust program that trains, bindings/rust);
#   6. purges the packages (also when a step failed).
# Needs root (or sudo) for apt, and the packages of scripts/debian-packages.txt.
#
# Usage: scripts/check-deb.sh [OUT_DIR]   (OUT_DIR: where to keep the .deb files and the
#        build log; by default they are deleted with the temporary directory)
set -euo pipefail
[ $# -le 1 ] || { echo "usage: $0 [OUT_DIR]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:+$(realpath -m "$1")}
cd "$root"

say() { printf 'check-deb: %s\n' "$1"; }
fail() { printf 'check-deb: FAIL: %s\n' "$1" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    fail "installing the packages needs root or sudo"
fi
apt_get() { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }

version=$(scripts/version.sh include/deep.h)
major=${version%%.*}
packages=(libdeep$major libdeep-dev libdeep-doc libdeep-mpi$major libdeep-mpi-dev)
for p in "${packages[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        fail "$p is already installed; remove it first (apt-get purge ${packages[*]})"
    fi
done
if pkg-config --exists libdeep 2>/dev/null; then
    fail "pkg-config already finds a libdeep ($(pkg-config --variable=libdir libdeep)); remove that
  install (or unset PKG_CONFIG_PATH) so that only the packages are tested"
fi

triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
tmp=$(mktemp -d)
chmod 755 "$tmp"   # apt reads the .deb files as its sandbox user
installed=0
cleanup() {
    rc=$?
    if [ "$installed" -eq 1 ]; then
        say "removing the packages"
        apt_get purge -y -q "${packages[@]}" >/dev/null || rc=1
    fi
    rm -rf "$tmp"
    exit $rc
}
trap cleanup EXIT

# --- 1. build out of a copy of the tree ------------------------------------------------------
src=$tmp/libdeep-$version
mkdir "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do [ ! -e "$f" ] || printf '%s\0' "$f"; done \
        | tar --null -T - -cf - | tar -xf - -C "$src"
else
    tar --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
say "building the packages in $src (log: $tmp/build.log)"
jobs=$(nproc)
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1; then
    tail -n 60 "$tmp/build.log" >&2
    [ -z "$out" ] || { mkdir -p "$out" && cp "$tmp/build.log" "$out/"; }
    fail "dpkg-buildpackage failed (the end of its log is above)"
fi
changes=$(ls "$tmp"/libdeep_"$version"_*.changes)
debs=()
for p in "${packages[@]}"; do
    f=$(ls "$tmp/${p}_${version}_"*.deb 2>/dev/null) || fail "dpkg-buildpackage made no $p package"
    debs+=("$f")
done
say "built: $(cd "$tmp" && ls ./*.deb | tr '\n' ' ')"
if [ -n "$out" ]; then
    mkdir -p "$out"
    cp "$tmp"/*.deb "$changes" "$tmp/build.log" "$out/"
    say "kept the packages in $out"
fi

# --- 2. lintian --------------------------------------------------------------------------------
say "lintian $(lintian --version | awk '{ print $NF }')"
if ! lintian --fail-on error --display-info "$changes" > "$tmp/lintian.log" 2>&1; then
    cat "$tmp/lintian.log" >&2
    fail "lintian reports errors (above)"
fi
sed 's/^/  /' "$tmp/lintian.log"
say "lintian: no errors ($(grep -c '^W:' "$tmp/lintian.log" || true) warnings, $(grep -c '^I:' "$tmp/lintian.log" || true) notes)"

# --- 3. contents, install ----------------------------------------------------------------------
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'; }
expect() { # package-file path-regex what
    contents "$1" | grep -Eq "$2" || fail "$(basename "$1") does not contain $3"
}
expect "${debs[0]}" "^/usr/lib/$triplet/libdeep\.so\.$major$" "libdeep.so.$major"
expect "${debs[0]}" "^/usr/lib/$triplet/libdeep\.so\.$version$" "libdeep.so.$version"
contents "${debs[0]}" | grep -Eq '^/usr/include|\.pc$|/libdeep\.so$' && fail "libdeep$major contains development files"
expect "${debs[1]}" "^/usr/include/deep\.h$" "deep.h"
expect "${debs[1]}" "^/usr/lib/$triplet/libdeep\.so$" "the libdeep.so link"
expect "${debs[1]}" "^/usr/lib/$triplet/pkgconfig/libdeep\.pc$" "libdeep.pc"
expect "${debs[2]}" "^/usr/share/doc/libdeep-doc/html/deep_8h\.html$" "the API reference (html/deep_8h.html)"
expect "${debs[2]}" "^/usr/share/doc/libdeep-doc/guide\.md(\.gz)?$" "the user guide in /usr/share/doc/libdeep-doc"
expect "${debs[3]}" "^/usr/lib/$triplet/libdeep-mpi\.so\.$major$" "libdeep-mpi.so.$major"
contents "${debs[3]}" | grep -Eq '^/usr/include|\.pc$|/libdeep-mpi\.so$' && fail "libdeep-mpi$major contains development files"
expect "${debs[4]}" "^/usr/include/deep_mpi\.h$" "deep_mpi.h"
expect "${debs[4]}" "^/usr/lib/$triplet/libdeep-mpi\.so$" "the libdeep-mpi.so link"
expect "${debs[4]}" "^/usr/lib/$triplet/pkgconfig/libdeep-mpi\.pc$" "libdeep-mpi.pc"
dpkg-deb -I "${debs[3]}" symbols > "$tmp/mpi-symbols" || fail "libdeep-mpi$major has no symbols control file"
diff <(awk '/^ / { print $1 }' "debian/libdeep-mpi$major.symbols" | LC_ALL=C sort) \
     <(awk '/^ / { print $1 }' "$tmp/mpi-symbols" | LC_ALL=C sort) >/dev/null \
    || fail "the packaged symbols file differs from debian/libdeep-mpi$major.symbols"
dpkg-deb -I "${debs[0]}" shlibs | grep -qx "libdeep $major libdeep$major (>= [0-9.]*)" \
    || fail "libdeep$major has no shlibs line for libdeep $major"
dpkg-deb -I "${debs[0]}" symbols > "$tmp/symbols" || fail "libdeep$major has no symbols control file"
# The packaged symbols file is debian/libdeep$major.symbols with the version nodes resolved:
# the same symbol names (the build already failed on any difference, dpkg-gensymbols -c4).
diff <(awk '/^ / { print $1 }' "debian/libdeep$major.symbols" | LC_ALL=C sort) \
     <(awk '/^ / { print $1 }' "$tmp/symbols" | LC_ALL=C sort) >/dev/null \
    || fail "the packaged symbols file differs from debian/libdeep$major.symbols"

say "installing ${packages[*]}"
installed=1
apt_get install -y -q --no-install-recommends "${debs[@]}" > "$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log" >&2; fail "apt-get install of the packages failed"; }
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" | grep -q 'ok installed' || fail "$p is not installed"
done
[ "$(pkg-config --modversion libdeep)" = "$version" ] \
    || fail "pkg-config says libdeep $(pkg-config --modversion libdeep), expected $version"
[ "$(pkg-config --variable=libdir libdeep)" = "/usr/lib/$triplet" ] \
    || fail "pkg-config's libdeep libdir is $(pkg-config --variable=libdir libdeep), not /usr/lib/$triplet"
[ -f /usr/share/doc/libdeep-doc/html/index.html ] || fail "the API reference is not installed"

# --- 4. a C program against the installed package only ---------------------------------------
work=$tmp/c-program
mkdir "$work"
cp tests/package/train_small.c "$work/"
(
    cd "$work"
    unset PKG_CONFIG_PATH LD_LIBRARY_PATH
    read -r -a flags <<< "$(pkg-config --cflags --libs libdeep)"
    cc -std=c99 -Wall -Wextra -Wpedantic -Werror train_small.c -o train_small "${flags[@]}"
    # /lib may be a link to /usr/lib (merged /usr): compare the files ldd resolves.
    loaded=$(ldd ./train_small | awk -v lib="libdeep.so.$major" '$1 == lib { print $3 }')
    [ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "/usr/lib/$triplet/libdeep.so.$major")" ] \
        || { ldd ./train_small >&2; exit 1; }
    ./train_small > run.log 2>&1 || { cat run.log >&2; exit 1; }
    grep -qx 'package program OK' run.log || { cat run.log >&2; exit 1; }
    sed 's/^/  train_small: /' run.log
) || fail "the C program did not build, link to /usr/lib/$triplet/libdeep.so.$major or run"
say "C program built against the installed package trained its models"

work=$tmp/mpi-program
mkdir "$work"
cp tests/package/mpi_small.c "$work/"
(
    cd "$work"
    unset PKG_CONFIG_PATH LD_LIBRARY_PATH
    read -r -a flags <<< "$(pkg-config --cflags --libs libdeep-mpi)"
    cc -std=c99 -Wall -Wextra -Werror mpi_small.c -o mpi_small "${flags[@]}"
    loaded=$(ldd ./mpi_small | awk -v lib="libdeep-mpi.so.$major" '$1 == lib { print $3 }')
    [ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "/usr/lib/$triplet/libdeep-mpi.so.$major")" ] \
        || { ldd ./mpi_small >&2; exit 1; }
    # Open MPI refuses root unless told; shared memory only (no network probing).
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader \
        mpirun --oversubscribe -np 2 ./mpi_small > run.log 2>&1 || { cat run.log >&2; exit 1; }
    grep -qx 'package mpi program OK' run.log || { cat run.log >&2; exit 1; }
    sed 's/^/  mpi_small: /' run.log
) || fail "the MPI program did not build, link to /usr/lib/$triplet/libdeep-mpi.so.$major or run"
say "MPI program built against the installed packages trained on 2 ranks"

# --- 5. the bindings, against the installed package -------------------------------------------
for check in scripts/check-go.sh scripts/check-rust.sh; do
    say "running $check against the installed package"
    env -u PKG_CONFIG_PATH -u LD_LIBRARY_PATH "$check" || fail "$check failed"
done

say "OK: libdeep $version packages build, pass lintian, install and work"
