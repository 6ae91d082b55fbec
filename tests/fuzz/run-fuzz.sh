#!/bin/sh
# Fuzzes one target with libFuzzer, ASan and UBSan (docs/fuzzing.md).
# Usage: tests/fuzz/run-fuzz.sh TARGET [LIBFUZZER_FLAG...]
#   TARGET: model_load, model_struct, idx, cifar, csv, vocab, tree_load or onnx
#   flags default to -max_total_time=60; e.g. -runs=10000000 for a fixed count.
# Builds build-fuzz (clang, -Dfuzzing=true) in the repository root, copies the target's
# corpus (tests/fuzz/corpus/TARGET, plus the golden model files or the tree seeds) into
# build-fuzz/work/TARGET, and fuzzes there; crashing inputs are written beside it. Keep
# new inputs with tests/fuzz/merge-corpus.sh TARGET. Not part of `meson test`, which only
# replays the corpora.
set -eu
target=${1:?usage: run-fuzz.sh TARGET [LIBFUZZER_FLAG...]}
shift
[ $# -gt 0 ] || set -- -max_total_time=60
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$root" -Dfuzzing=true -Dexamples=false -Dpython_tests=disabled \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer'
fi
ninja -C "$build" "tests/fuzz/fuzz_$target"

work="$build/work/$target"
mkdir -p "$work/corpus"
cp -n "$root/tests/fuzz/corpus/$target/"* "$work/corpus/" 2>/dev/null || true
case "$target" in
model_load) cp -n "$root"/tests/golden/v*/*.safetensors "$work/corpus/" ;;
model_struct) "$root/tests/fuzz/model-struct-seeds.py" "$work/corpus" "$root"/tests/golden/v*/*.safetensors ;;
onnx) for f in "$root"/tests/onnx/*.onnx; do cp -n "$f" "$work/corpus/seed-$(basename "$f" .onnx)"; done ;;
tree_load) FUZZ_TREE_SEEDS="$work/corpus" "$build/tests/fuzz/fuzz_$target" ;;
esac

dict=
[ -f "$root/tests/fuzz/$target.dict" ] && dict="-dict=$root/tests/fuzz/$target.dict"
echo "fuzzing $target in $work"
cd "$work"
# shellcheck disable=SC2086 # $dict is empty or one flag
exec "$build/tests/fuzz/fuzz_$target" -max_len=8192 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$work/" $dict "$@" "$work/corpus"
