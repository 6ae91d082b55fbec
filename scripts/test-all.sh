#!/usr/bin/env bash
# Runs everything CI runs after the dependencies are installed: the gcc build with -Werror and
# its test suites (including the Python binding's pytest suite), the export, ABI, Debian
# symbols file and install checks, the Python binding installed with pip into a venv, the
# suites under valgrind, an ASan+UBSan build with its suites, and a clang build with -Werror.
#
# Usage: scripts/test-all.sh [BUILD_DIR]
#   BUILD_DIR is the main gcc build (default: build); the ABI baseline is checked against it.
#   The other builds are build-asan (gcc) and build-clang in the repository root.
#   Existing build directories are reused; new ones are configured with the compilers named.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build}")
cd "$root"

declare -a summary=()
section_start=0
section_name=
section() {
    finish_section
    section_name=$1
    section_start=$SECONDS
    printf '\n==================== %s ====================\n' "$1"
}
finish_section() {
    if [ -n "$section_name" ]; then
        summary+=("$(printf '%4ds  %s' $((SECONDS - section_start)) "$section_name")")
    fi
    section_name=
}
trap 'rc=$?; if [ $rc -ne 0 ]; then printf "\nFAILED in section: %s\n" "${section_name:-?}" >&2; fi' EXIT

# setup DIR [meson options...]: configure DIR, or apply the options to an existing DIR.
setup() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        if [ $# -gt 0 ]; then meson configure "$dir" "$@"; fi
    else
        meson setup "$dir" "$@"
    fi
}

section "gcc build (-Werror) in ${build#"$root"/}"
CC=gcc setup "$build" -Dwerror=true -Dpython_tests=enabled
ninja -C "$build"

section "test suites (gcc)"
meson test -C "$build" --print-errorlogs

section "exported and imported symbols"
scripts/check-exports.sh "$build"

section "ABI against abi/libdeep.abi"
scripts/check-abi.sh "$build"

section "Debian symbols file against the exports"
scripts/check-symbols.sh "$build"

section "install and out-of-tree consumer"
scripts/check-consumer.sh "$build"

section "Python binding: pip install into a venv, import, pytest"
scripts/check-python.sh "$build"

section "test suites under valgrind"
# The 'valgrind' test setup is defined in the top meson.build (CK_FORK=no, leak checking).
meson test -C "$build" --setup valgrind --print-errorlogs

section "ASan+UBSan build and test suites (build-asan)"
CC=gcc setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args='-fno-sanitize-recover=all -fno-omit-frame-pointer'
ninja -C build-asan
# The sanitizers slow the tests down a few times; stretch Check's per-test timeouts to match.
CK_TIMEOUT_MULTIPLIER=10 meson test -C build-asan --print-errorlogs

section "clang build (-Werror) in build-clang"
if [ -f build-clang/build.ninja ]; then
    setup build-clang -Dwerror=true
else
    CC=clang setup build-clang -Dwerror=true
fi
ninja -C build-clang

finish_section
trap - EXIT
printf '\n==================== all checks passed ====================\n'
printf '%s\n' "${summary[@]}"
