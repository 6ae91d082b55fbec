#!/bin/sh
# Builds a fuzz target (the IDX parser by default, the CSV parser, the tree and forest
# file loaders, the model file loader, or the vocabulary's tokenizers) with libFuzzer, ASan and UBSan, and runs it.
# Usage: tests/fuzz/run-fuzz.sh [seconds (default 30)] [work dir (default: a new temporary one)] [idx|csv|tree|model|vocab]
# Needs clang. Crashing inputs are written to the work dir. Not part of `meson test`.
set -eu
seconds=${1:-30}
target=${3:-idx}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${2:-$(mktemp -d "/tmp/fuzz-$target-XXXXXX")}
mkdir -p "$work/corpus"

main="$root/tests/fuzz/fuzz_$target.c"
case "$target" in
idx) sources="$root/libdeep/data/idx.c" ;;
csv) sources="$root/libdeep/data/csv.c $root/libdeep/data/table.c" ;;
vocab) sources="$root/libdeep/data/vocab.c $root/libdeep/io/file.c" ;;
tree)
    main="$root/tests/fuzz/fuzz_tree_load.c"
    sources="$root/libdeep/trees/*.c $root/libdeep/io/file.c $root/libdeep/data/kfold.c $root/libdeep/core/rng.c $root/libdeep/core/threads.c" ;;
model)
    main="$root/tests/fuzz/fuzz_model_load.c"
    # The loader rebuilds whole models, so it needs nearly the whole library and the BLAS.
    sources="$(ls "$root"/libdeep/*/*.c | grep -v -e '/data/dataset.c' -e '/data/storage.c' -e '/tensor/tensor.c' -e '/core/status.c' -e '/core/alloc.c' | tr '\n' ' ') $(pkg-config --cflags --libs openblas)" ;;
*) echo "unknown target '$target' (idx, csv, tree, model or vocab)" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086 # $sources is a list of paths (and globs) without blanks
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -D_POSIX_C_SOURCE=200809L -DDEEP_STATIC -I"$root/include" -I"$root/libdeep" \
    "$main" $sources "$root/libdeep/data/dataset.c" "$root/libdeep/data/storage.c" \
    "$root/libdeep/tensor/tensor.c" "$root/libdeep/core/status.c" "$root/libdeep/core/alloc.c" \
    -lz -lm -lpthread -o "$work/fuzz_$target"

if [ "$target" = idx ]; then
    # Seeds: three 2x2 images with their labels, and the images alone (split past the end).
    images='\0\0\10\3\0\0\0\3\0\0\0\2\0\0\0\2\0\1\2\3\4\5\6\7\10\11\12\377'
    labels='\0\0\10\1\0\0\0\3\2\0\7'
    printf "\034\0$images$labels" > "$work/corpus/seed-pair"
    printf "\377\377$images" > "$work/corpus/seed-images"
elif [ "$target" = model ]; then
    # Seeds: the golden model files of every format version.
    cp "$root"/tests/golden/v*/*.safetensors "$work/corpus/"
elif [ "$target" = vocab ]; then
    # Seeds: words and characters of a few languages, and text with a broken sequence.
    printf '\001the cat sat\n\tk\303\266nnen r\303\251sum\303\251\r\n' > "$work/corpus/seed-words"
    printf '\000na\303\257ve \342\202\254 \360\237\230\200' > "$work/corpus/seed-chars"
    printf '\000ok\355\240\200' > "$work/corpus/seed-surrogate"
elif [ "$target" = tree ]; then
    # Seeds: the target's seed mode fits small trees and forests and saves them.
    FUZZ_TREE_SEEDS="$work/corpus" "$work/fuzz_$target"
else
    # Seeds: a label column "y" with string classes, quotes, CRLF and missing cells; and
    # a table without labels.
    printf '\001ya,"b,c",y\r\n1.5,NA,"x"\r\n,2e3,"q ""r"""\r\n7,-1,x\r\n' > "$work/corpus/seed-labels"
    printf '\000a,b\n1,2\nnan,\n\n3,4' > "$work/corpus/seed-plain"
    { printf '\006origin'; cat "$root/examples/data/cars.csv"; } > "$work/corpus/seed-cars"
fi

echo "fuzzing $target for $seconds s in $work"
"$work/fuzz_$target" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus"
