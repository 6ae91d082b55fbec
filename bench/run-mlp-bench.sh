#!/bin/bash
# run-mlp-bench.sh: the seed MLP on Fashion-MNIST, libdeep against PyTorch, same machine,
# same data, same thread count, same run. Prints both raw result lines and a table of
# ratios (libdeep / pytorch: below 1 means libdeep is faster or smaller).
#
# Usage: bash bench/run-mlp-bench.sh [BUILD_DIR [THREADS]]
#   BUILD_DIR  an existing meson build directory to (re)build with ninja; when omitted,
#              build-bench/ at the top of the tree, set up as a release build if missing
#   THREADS    threads for both sides (default 2, or $THREADS)
#   DATA_DIR   (environment) default /usr/share/datasets/fashion-mnist
#   PYTHON     (environment) default /usr/bin/python3, Debian's, which has python3-torch
#   REPEATS    (environment) runs of each side, alternating (default 1); the table shows
#              medians, which matters on a shared or busy machine
#   TORCH_OMP_WAIT_POLICY  (environment) OMP_WAIT_POLICY for the PyTorch process, default
#              PASSIVE; set it to the empty string to keep libgomp's default (spin first).
#              Debian's PyTorch runs its elementwise ops and optimizer in an OpenMP pool
#              next to OpenBLAS's own threads; on a busy machine the spinning workers made
#              its epoch 10-15x slower (about 90 s instead of 6-10 s on 2 cores), which
#              would flatter libdeep. On an idle machine compare both settings.
#
# Always exits 0 once both sides ran: this is a measurement, not a test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-}
threads=${2:-${THREADS:-2}}
data=${DATA_DIR:-/usr/share/datasets/fashion-mnist}
python=${PYTHON:-/usr/bin/python3}
repeats=${REPEATS:-1}
wait_policy=${TORCH_OMP_WAIT_POLICY-PASSIVE}

if [ -z "$build" ]; then
    build="$top/build-bench"
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$top" -Dbuildtype=release -Dtests=false -Dexamples=false >/dev/null
    fi
fi
ninja -C "$build" bench/mlp_fashion_bench >/dev/null

echo "seed MLP on Fashion-MNIST: Dense(256, relu) - Dense(128, relu) - Dense(10, softmax),"
echo "Adam(1e-3, eps 1e-7), categorical cross-entropy, batch 128, 1 epoch, $threads thread(s)"
echo "PyTorch OMP_WAIT_POLICY=${wait_policy:-(libgomp default)}; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# Each side in its own process, so that peak RSS is its own, alternating when repeated so
# that both see the same machine load. libdeep's GEMMs run in OpenBLAS, whose thread count
# is separate from DEEP_MODEL_THREADS; PyTorch (Debian's build) calls the same OpenBLAS
# through libblas.so.3, so both sides get OPENBLAS_NUM_THREADS too.
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
ours="" theirs=""
for ((run = 1; run <= repeats; run++)); do
    line=$("$build/bench/mlp_fashion_bench" "$threads" "$data")
    echo "$line"
    ours+="$line"$'\n'
    if [ -n "$wait_policy" ]; then
        line=$(OMP_WAIT_POLICY="$wait_policy" "$python" "$here/mlp_fashion_torch.py" "$threads" "$data")
    else
        line=$("$python" "$here/mlp_fashion_torch.py" "$threads" "$data")
    fi
    echo "$line"
    theirs+="$line"$'\n'
done
echo

# stat LINES NAME median|min: the median or the smallest value over runs of one field.
stat() {
    printf '%s' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -g |
        awk -v how="$3" '{ v[NR] = $1 }
            END { if (NR == 0) print "nan"; else if (how == "min") print v[1];
                  else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

[ "$repeats" -gt 1 ] && echo "medians of $repeats runs (and the best run, the least disturbed by other load):"
awk -v e1="$(stat "$ours" epoch_seconds median)" -v e2="$(stat "$theirs" epoch_seconds median)" \
    -v b1="$(stat "$ours" epoch_seconds min)" -v b2="$(stat "$theirs" epoch_seconds min)" \
    -v v1="$(stat "$ours" eval_seconds median)" -v v2="$(stat "$theirs" eval_seconds median)" \
    -v w1="$(stat "$ours" eval_seconds min)" -v w2="$(stat "$theirs" eval_seconds min)" \
    -v m1="$(stat "$ours" peak_rss_mb median)" -v m2="$(stat "$theirs" peak_rss_mb median)" \
    -v a1="$(stat "$ours" test_accuracy median)" -v a2="$(stat "$theirs" test_accuracy median)" \
    -v repeats="$repeats" '
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
BEGIN {
    printf "%-24s %12s %12s %10s\n", "", "libdeep", "pytorch", "ratio"
    printf "%-24s %12.3f %12.3f %10s\n", "epoch seconds", e1, e2, ratio(e1, e2)
    if (repeats > 1)
        printf "%-24s %12.3f %12.3f %10s\n", "epoch seconds (best)", b1, b2, ratio(b1, b2)
    printf "%-24s %12.3f %12.3f %10s\n", "eval seconds (10000)", v1, v2, ratio(v1, v2)
    if (repeats > 1)
        printf "%-24s %12.3f %12.3f %10s\n", "eval seconds (best)", w1, w2, ratio(w1, w2)
    printf "%-24s %12.1f %12.1f %10s\n", "peak RSS (MB)", m1, m2, ratio(m1, m2)
    printf "%-24s %12.4f %12.4f\n", "test accuracy", a1, a2
}'
echo
echo "(issue target: epoch ratio <= 0.5, lower peak memory)"
exit 0
