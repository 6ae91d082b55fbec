#!/bin/bash
# run-latency.sh: the time of one predict at batch 1, 32, 256 and 10000 and of one
# training step at batch 32 (train_on_batch), libdeep against PyTorch, for the seed MLP,
# CNN and LSTM, in the same run, with the default settings a user gets. Every case runs
# twice: on the machine as it is ("idle"), and while a busy loop this script starts keeps
# one core busy ("busy"), the normal case on a shared server. Prints the raw lines, then a
# table of milliseconds and ratios (libdeep / PyTorch: below 1 means libdeep is faster)
# with the profile: both sides' GFLOP/s and the machine's sgemm ceiling for each case.
#
# Usage: bash bench/run-latency.sh [BUILD_DIR [MODELS...]]
#   BUILD_DIR  an existing meson build directory to (re)build with ninja; when omitted,
#              build-bench/ at the top of the tree, set up as a release build if missing
#   MODELS     mlp cnn lstm (default all three)
#   BUDGET     (environment) seconds of timed calls per case (default 0.3); the whole run
#              takes about 2 minutes with the default
#   PYTHON     (environment) default /usr/bin/python3, Debian's, which has python3-torch
# Always exits 0 once all sides ran: this is a measurement, not a test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-}
shift || true
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(mlp cnn lstm)
python=${PYTHON:-/usr/bin/python3}
budget=${BUDGET:-0.3}

if [ -z "$build" ]; then
    build="$top/build-bench"
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$top" -Dbuildtype=release -Dtests=false -Dexamples=false >/dev/null
    fi
fi
ninja -C "$build" bench/latency_bench >/dev/null

busy_pid=""
stop_busy() {
    if [ -n "$busy_pid" ]; then
        kill "$busy_pid" 2>/dev/null || true
        wait "$busy_pid" 2>/dev/null || true
        busy_pid=""
    fi
}
trap stop_busy EXIT

echo "latency: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores;" \
     "load average now $(cut -d' ' -f1-3 /proc/loadavg)"
lines=""
for load in idle busy; do
    if [ "$load" = busy ]; then
        # One process spinning on one core, as another program would.
        bash -c 'while :; do :; done' &
        busy_pid=$!
    fi
    for model in "${models[@]}"; do
        out=$("$build/bench/latency_bench" "$model" "$budget")
        out+=$'\n'$("$python" "$here/latency_torch.py" "$model" "$budget")
        out=$(printf '%s\n' "$out" | sed "s/^/load=$load /")
        printf '%s\n' "$out"
        lines+="$out"$'\n'
    done
    stop_busy
done
echo

# The table: milliseconds, the ratio, then the profile: GFLOP/s of both sides (the flop
# latency_bench prints for the case over each side's time), the sgemm ceiling of the
# case's products with 1 and 2 BLAS threads (GFLOP/s), and "floor": the products' time at
# the better of the two over PyTorch's time, the lowest ratio libdeep could reach with
# this BLAS (above 0.5: the target cannot be met there).
printf '%-6s %-5s %-14s %10s %10s %10s %6s %7s %7s %7s %7s %6s\n' load model case "libdeep ms" "1t ms" \
    "torch ms" ratio "ld GF/s" "pt GF/s" "gemm 1t" "gemm 2t" floor
for load in idle busy; do
    for model in "${models[@]}"; do
        for what in "predict 1" "predict 32" "predict 256" "predict 10000" "train 32"; do
            set -- $what
            line() { printf '%s' "$lines" | grep "^load=$load $1 model=$model case=$2 batch=$3 threads=$4 " | head -1; }
            field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
            ours=$(line libdeep "$1" "$2" default | field ms)
            flop=$(line libdeep "$1" "$2" default | field flop)
            single=$([ "$1" = train ] && line libdeep train 32 1 | field ms || echo "")
            theirs=$(line pytorch "$1" "$2" default | field ms)
            gemm1=$(line sgemm "$1" "$2" 1 | field ms)
            gemm2=$(line sgemm "$1" "$2" 2 | field ms)
            awk -v l="$load" -v m="$model" -v c="$1 $2" -v a="$ours" -v s="$single" -v b="$theirs" -v f="$flop" \
                -v g1="$gemm1" -v g2="$gemm2" '
                function gf(ms) { return (ms > 0 && f > 0) ? sprintf("%.1f", f / ms * 1e-6) : "-" }
                BEGIN {
                    best = (g2 > 0 && (g1 == "" || g2 < g1)) ? g2 : g1
                    printf "%-6s %-5s %-14s %10s %10s %10s %6s %7s %7s %7s %7s %6s\n", l, m, c, a,
                        (s == "" ? "-" : s), b, (a != "" && b > 0 ? sprintf("%.2f", a / b) : "n/a"),
                        gf(a), gf(b), gf(g1), gf(g2), (best > 0 && b > 0 ? sprintf("%.2f", best / b) : "-") }'
        done
    done
done
echo
echo "(issue #18 targets: every ratio <= 0.5; train 32 default never slower than libdeep 1t)"
exit 0
