#!/usr/bin/env bash
# Checks the dependency direction between the folders of libdeep/ (docs/architecture.md):
# a folder's files may include headers of its own folder and of the folders listed for it
# below, and of no other. A narrow exception (one file that must include one folder it
# otherwise may not) is a line "libdeep/<folder>/<file> -> <folder>" with its reason in
# scripts/layering-exceptions.txt; an exception no file needs any more is an error too, so
# the list stays true. A folder missing from the table is an error: a new folder must say
# where it sits. Run by `meson test` (suite 'lint').
#
# Usage: scripts/check-layering.sh [SOURCE_ROOT]   check the tree (default: this one)
#        scripts/check-layering.sh --self-test     check that a forbidden edge is reported
set -euo pipefail

declare -A allowed=(
    [core]=""
    [io]="core"
    [tensor]="core io"
    [kernels]="core io"
    [optim]="core io tensor kernels"
    [losses]="core io tensor kernels"
    [metrics]="core io tensor kernels"
    [layers]="core io tensor kernels"
    [graph]="core io tensor kernels optim losses metrics layers data"
    [data]="core io tensor"
    [trees]="core io tensor data"
    [onnx]="core io tensor kernels optim losses metrics layers data graph trees"
)

check() {
    local root=$1 status=0 exceptions="$1/scripts/layering-exceptions.txt"
    local -A used_exceptions=()
    local listed=()
    if [ -f "$exceptions" ]; then
        mapfile -t listed < <(sed -e 's/[[:space:]]*#.*//' -e '/^[[:space:]]*$/d' "$exceptions")
    fi
    for dir in "$root"/libdeep/*/; do
        local folder
        folder=$(basename "$dir")
        if [[ ! -v "allowed[$folder]" ]]; then
            echo "check-layering: libdeep/$folder/ is not in the table of scripts/check-layering.sh" \
                 "(add it there and to docs/architecture.md)"
            status=1
            continue
        fi
        local file line text
        while IFS=: read -r file line text; do
            local used rel
            used=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([a-z_]+)\/.*/\1/' <<<"$text")
            rel=${file#"$root"/}
            if [ "$used" = "$folder" ] || [[ " ${allowed[$folder]} " == *" $used "* ]]; then
                continue
            fi
            local entry="$rel -> $used" found=0
            for e in "${listed[@]}"; do
                [ "$e" = "$entry" ] && found=1
            done
            if [ $found = 1 ]; then
                used_exceptions[$entry]=1
                continue
            fi
            echo "$rel:$line: libdeep/$folder/ may not include $used/ (allowed: ${allowed[$folder]:-nothing};" \
                 "see docs/architecture.md)"
            status=1
        done < <(grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/' "$dir"*.[ch] 2>/dev/null || true)
    done
    for e in "${listed[@]}"; do
        if [[ ! -v "used_exceptions[$e]" ]]; then
            echo "check-layering: the exception '$e' in scripts/layering-exceptions.txt is not needed any more"
            status=1
        fi
    done
    return $status
}

self_test() {
    local tmp out
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    mkdir -p "$tmp/libdeep/io" "$tmp/libdeep/graph" "$tmp/scripts"
    printf '#include "core/core.h"\n#include "graph/model.h"\n' >"$tmp/libdeep/io/bad.c"
    printf '#include "io/file.h"\n#include "layers/layer.h"\n' >"$tmp/libdeep/graph/ok.c"
    if out=$(check "$tmp"); then
        echo "check-layering --self-test: io/ including graph/ was not reported"
        return 1
    fi
    [ "$out" = "libdeep/io/bad.c:2: libdeep/io/ may not include graph/ (allowed: core; see docs/architecture.md)" ] || {
        echo "check-layering --self-test: unexpected report: $out"
        return 1
    }
    echo "libdeep/io/bad.c -> graph  # a listed exception" >"$tmp/scripts/layering-exceptions.txt"
    check "$tmp" >/dev/null || { echo "check-layering --self-test: a listed exception was reported"; return 1; }
    rm "$tmp/libdeep/io/bad.c"
    if out=$(check "$tmp"); then
        echo "check-layering --self-test: an exception no file needs was not reported"
        return 1
    fi
    echo "check-layering --self-test: ok"
}

if [ "${1:-}" = --self-test ]; then
    self_test
else
    check "${1:-$(cd "$(dirname "$0")/.." && pwd)}"
fi
