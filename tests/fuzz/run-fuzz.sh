#!/bin/sh
# Builds the IDX fuzz target with libFuzzer, ASan and UBSan, and runs it.
# Usage: tests/fuzz/run-fuzz.sh [seconds (default 30)] [work dir (default: a new temporary one)]
# Needs clang. Crashing inputs are written to the work dir. Not part of `meson test`.
set -eu
seconds=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${2:-$(mktemp -d /tmp/fuzz-idx-XXXXXX)}
mkdir -p "$work/corpus"

clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -D_POSIX_C_SOURCE=200809L -DDEEP_STATIC -I"$root/include" -I"$root/libdeep" \
    "$root/tests/fuzz/fuzz_idx.c" "$root/libdeep/data/idx.c" "$root/libdeep/data/dataset.c" \
    "$root/libdeep/tensor/tensor.c" "$root/libdeep/core/status.c" "$root/libdeep/core/alloc.c" \
    -lz -lm -o "$work/fuzz_idx"

# Seeds: three 2x2 images with their labels, and the images alone (split past the end).
images='\0\0\10\3\0\0\0\3\0\0\0\2\0\0\0\2\0\1\2\3\4\5\6\7\10\11\12\377'
labels='\0\0\10\1\0\0\0\3\2\0\7'
printf "\034\0$images$labels" > "$work/corpus/seed-pair"
printf "\377\377$images" > "$work/corpus/seed-images"

echo "fuzzing for $seconds s in $work"
"$work/fuzz_idx" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus"
