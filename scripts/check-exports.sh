#!/usr/bin/env bash
# Checks what the shared library exports and imports.
#
#   * It exports only deep_* functions (plus the absolute symbol naming its version node,
#     DEEP_1), every one bound to a version node from libdeep/libdeep.map.
#   * The exported functions are exactly the functions declared in include/deep.h: nothing
#     internal leaks out, and nothing declared is missing.
#   * It imports nothing that exits, aborts or prints: the library reports every failure as
#     a status and writes nothing to stdout/stderr on its own. Formatting into buffers
#     (snprintf, vsnprintf) is fine; deep_log_console writes with write(2).
#
# Usage: scripts/check-exports.sh BUILD_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
lib=$(realpath -m "$1/libdeep.so")
cd "$root"
[ -f "$lib" ] || { echo "check-exports: $lib not found; build first" >&2; exit 2; }

failed=0
fail() { printf 'check-exports: FAIL: %s\n' "$1" >&2; failed=1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- exports: "ADDRESS TYPE NAME@@VERSION" -------------------------------------------------
nm -D --defined-only "$lib" | awk 'NF == 3 { print $2, $3 }' > "$tmp/defined"
bad=$(awk '{ name = $2; sub(/@.*/, "", name) }
           $1 == "A" && name ~ /^DEEP_[A-Za-z0-9_.]+$/ { next }   # version node
           name !~ /^deep_/ { print "  " $1 " " $2 }' "$tmp/defined")
[ -z "$bad" ] || fail "symbols outside the deep_ namespace are exported:
$bad"

unversioned=$(awk '$2 ~ /^deep_/ && $2 !~ /@@?DEEP_/ { print "  " $2 }' "$tmp/defined")
[ -z "$unversioned" ] || fail "exported symbols without a DEEP_* version node (is the version script applied?):
$unversioned"

awk '$2 ~ /^deep_/ { name = $2; sub(/@.*/, "", name); print name }' "$tmp/defined" | sort -u > "$tmp/exported"

# --- exports against the public header -------------------------------------------------------
# gcc's -aux-info lists every prototype the header declares, however it is laid out.
if command -v gcc >/dev/null 2>&1; then
    echo '#include <deep.h>' | gcc -std=c11 -fsyntax-only -Iinclude -aux-info "$tmp/aux" -x c -
    grep '/\* include/deep\.h:' "$tmp/aux" \
        | sed -E 's/.*[ *](deep_[A-Za-z0-9_]+) \(.*/\1/' | sort -u > "$tmp/declared"
    missing=$(comm -23 "$tmp/declared" "$tmp/exported" | sed 's/^/  /')
    [ -z "$missing" ] || fail "declared in include/deep.h but not exported by libdeep.so (missing DEEP_API or definition?):
$missing"
    extra=$(comm -13 "$tmp/declared" "$tmp/exported" | sed 's/^/  /')
    [ -z "$extra" ] || fail "exported by libdeep.so but not declared in include/deep.h (make it static or drop DEEP_API):
$extra"
else
    echo "check-exports: gcc not found; skipping the header-against-exports comparison" >&2
fi

# --- imports ---------------------------------------------------------------------------------
forbidden='exit _exit _Exit quick_exit abort
  printf fprintf vprintf vfprintf dprintf vdprintf __printf_chk __fprintf_chk __vprintf_chk
  __vfprintf_chk __dprintf_chk __vdprintf_chk
  puts fputs putchar putc fputc fwrite perror _IO_putc
  puts_unlocked fputs_unlocked putchar_unlocked putc_unlocked fputc_unlocked fwrite_unlocked
  __assert_fail __assert_perror_fail __assert'
nm -D --undefined-only "$lib" | awk '{ name = $NF; sub(/@.*/, "", name); print name }' | sort -u > "$tmp/imported"
printf '%s\n' $forbidden | sort -u > "$tmp/forbidden"
hits=$(comm -12 "$tmp/imported" "$tmp/forbidden" | sed 's/^/  /')
[ -z "$hits" ] || fail "libdeep.so imports functions that exit, abort or print (return a status
  with a message instead; do not use assert() in library code):
$hits"

if [ "$failed" -ne 0 ]; then
    exit 1
fi
printf 'check-exports: OK: %d deep_* functions exported, all declared in deep.h; no forbidden imports\n' \
    "$(wc -l < "$tmp/exported")"
