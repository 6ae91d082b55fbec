#!/bin/sh
# Minimises a target's fuzzing corpus (build-fuzz/work/TARGET/corpus, left by run-fuzz.sh)
# together with the kept one into tests/fuzz/corpus/TARGET: libFuzzer's -merge=1 keeps the
# smallest set of inputs that covers everything either covered. Usage: merge-corpus.sh TARGET
set -eu
target=${1:?usage: merge-corpus.sh TARGET}
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
kept="$root/tests/fuzz/corpus/$target"
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$build/tests/fuzz/fuzz_$target" -merge=1 -max_len=8192 -timeout=10 -rss_limit_mb=4096 "$fresh" "$kept" \
    "$build/work/$target/corpus"
# Seeds written by hand (seed-*) stay under their names; libFuzzer names the rest by the
# SHA-1 of their content, which also tells which merged inputs are seeds.
find "$kept" -type f ! -name 'seed-*' -delete
seeds=$(find "$kept" -type f -exec sha1sum {} + | cut -c1-40)
for f in "$fresh"/*; do
    name=$(basename "$f")
    echo "$seeds" | grep -qx "$name" || cp "$f" "$kept/$name"
done
echo "$target: $(find "$kept" -type f | wc -l) inputs kept in tests/fuzz/corpus/$target"
