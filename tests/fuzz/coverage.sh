#!/bin/sh
# Line coverage of each fuzz target's corpus (docs/fuzzing.md): builds build-cov with clang's
# source-based coverage, replays tests/fuzz/corpus/TARGET through replay_TARGET and prints
# the line and branch coverage of the sources that target is for.
# Usage: tests/fuzz/coverage.sh [TARGET...]   (default: all)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-cov"
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$root" -Dexamples=false -Dpython_tests=disabled \
        -Dc_args='-fprofile-instr-generate -fcoverage-mapping' -Dc_link_args='-fprofile-instr-generate'
fi
[ $# -gt 0 ] || set -- model_load model_struct idx cifar csv vocab tree_load
for target in "$@"; do
    case "$target" in
    model_load | model_struct) sources='libdeep/io/' ;;
    idx) sources='libdeep/data/idx\.c' ;;
    cifar) sources='libdeep/data/cifar\.c' ;;
    csv) sources='libdeep/data/(csv|table)\.c' ;;
    vocab) sources='libdeep/data/vocab\.c' ;;
    tree_load) sources='libdeep/trees/' ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    ninja -C "$build" "tests/fuzz/replay_$target" >/dev/null
    profile="$build/$target.profraw"
    LLVM_PROFILE_FILE="$profile" "$build/tests/fuzz/replay_$target" "$root/tests/fuzz/corpus/$target" >/dev/null
    llvm-profdata merge -sparse "$profile" -o "$build/$target.profdata"
    # Columns of the report: file, then regions, functions, lines and branches (count,
    # missed, percent each). Only the rows of the target's own sources are summed.
    llvm-cov report "$build/tests/fuzz/replay_$target" -instr-profile="$build/$target.profdata" |
        awk -v t="$target" -v files="$sources" '$1 ~ files { lines += $8; missed += $9; br += $11; brmissed += $12 }
            END { printf "%s: %d of %d lines (%.1f%%), %d of %d branches (%.1f%%)\n", t, lines - missed, lines,
                         100 * (lines - missed) / lines, br - brmissed, br, 100 * (br - brmissed) / br }'
done
