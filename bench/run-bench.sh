#!/bin/bash
# run-bench.sh: a seed workflow on Fashion-MNIST, libdeep against PyTorch, same machine,
# same data, same thread count, same run. Prints the raw result lines and a table of
# ratios (libdeep / pytorch: below 1 means libdeep is faster or smaller).
#
# Usage: bash bench/run-bench.sh mlp|cnn|lstm|resnet [BUILD_DIR [THREADS]]
#   mlp        Dense(256) - Dense(128) - Dense(10), batch 128 (issue: the Sequential MLP)
#   cnn        Conv2D(32) - pool - Conv2D(64) - pool - Dense(64) - Dense(10), batch 32
#   lstm       LSTM(128) - Dense(10) on 28 steps of 28 pixels, batch 128 (issue: sequence models)
#   resnet     examples/resnet_fashion.c's residual network as a layer graph, batch 64
#              (issue: layer graphs); trains on the first 6400 images (100 batches) unless
#              TRAIN_SAMPLES says otherwise: a whole epoch takes minutes on a small machine
#   BUILD_DIR  an existing meson build directory to (re)build with ninja; when omitted,
#              build-bench/ at the top of the tree, set up as a release build if missing
#   THREADS    threads for both sides (default 2, or $THREADS)
#   DATA_DIR   (environment) default /usr/share/datasets/fashion-mnist
#   PYTHON     (environment) default /usr/bin/python3, Debian's, which has python3-torch
#   REPEATS    (environment) runs of each side, alternating (default 1); the table shows
#              medians, which matters on a shared or busy machine
#   TRAIN_SAMPLES (environment) train on the first N images only; 0 is all (the default
#              but for resnet, 6400)
#
# PyTorch runs twice per repeat: as installed (libgomp's default OMP_WAIT_POLICY, whose
# spinning OpenMP workers compete with OpenBLAS's threads: what a user of Debian's
# python3-torch gets) and with OMP_WAIT_POLICY=PASSIVE (PyTorch at its best here). Both
# ratios are printed. Always exits 0 once all sides ran: this is a measurement, not a test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
model=${1:-}
case "$model" in mlp|cnn|lstm|resnet) ;; *) echo "usage: run-bench.sh mlp|cnn|lstm|resnet [BUILD_DIR [THREADS]]" >&2; exit 2 ;; esac
build=${2:-}
threads=${3:-${THREADS:-2}}
data=${DATA_DIR:-/usr/share/datasets/fashion-mnist}
python=${PYTHON:-/usr/bin/python3}
repeats=${REPEATS:-1}
samples=${TRAIN_SAMPLES:-$([ "$model" = resnet ] && echo 6400 || echo 0)}

if [ -z "$build" ]; then
    build="$top/build-bench"
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$top" -Dbuildtype=release -Dtests=false -Dexamples=false >/dev/null
    fi
fi
ninja -C "$build" bench/fashion_bench >/dev/null

epoch="1 epoch"
[ "$samples" -gt 0 ] && epoch="1 epoch of the first $samples training images"
echo "$model on Fashion-MNIST, Adam(1e-3, eps 1e-7), $epoch, $threads thread(s);" \
     "load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# Each side in its own process, so that peak RSS is its own, alternating when repeated so
# that all see the same machine load. libdeep's GEMMs run in OpenBLAS, whose thread count
# is separate from DEEP_MODEL_THREADS; PyTorch (Debian's build) calls the same OpenBLAS,
# so both sides get OPENBLAS_NUM_THREADS too.
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
ours="" default="" passive=""
for ((run = 1; run <= repeats; run++)); do
    line=$("$build/bench/fashion_bench" "$model" "$threads" "$data" "$samples")
    echo "$line"
    ours+="$line"$'\n'
    line=$(env -u OMP_WAIT_POLICY "$python" "$here/fashion_torch.py" "$model" "$threads" "$data" "$samples")
    echo "$line (default wait policy)"
    default+="$line"$'\n'
    line=$(OMP_WAIT_POLICY=PASSIVE "$python" "$here/fashion_torch.py" "$model" "$threads" "$data" "$samples")
    echo "$line (OMP_WAIT_POLICY=PASSIVE)"
    passive+="$line"$'\n'
done
echo

# median LINES NAME: the median over runs of one field.
median() {
    printf '%s' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
                                  else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

[ "$repeats" -gt 1 ] && echo "medians of $repeats runs:"
row() { # row LABEL FIELD FORMAT
    local a b c
    a=$(median "$ours" "$2"); b=$(median "$default" "$2"); c=$(median "$passive" "$2")
    awk -v l="$1" -v a="$a" -v b="$b" -v c="$c" -v f="$3" 'BEGIN {
        printf "%-22s " f " " f " " f "   %9s %9s\n", l, a, b, c,
            (b > 0 ? sprintf("%.2f", a / b) : "n/a"), (c > 0 ? sprintf("%.2f", a / c) : "n/a") }'
}
printf '%-22s %12s %12s %12s   %9s %9s\n' "" libdeep "torch" "torch PASS." "ratio" "ratio P."
row "epoch seconds" epoch_seconds "%12.3f"
row "eval seconds (10000)" eval_seconds "%12.3f"
row "peak RSS (MB)" peak_rss_mb "%12.1f"
row "peak over data (MB)" peak_growth_mb "%12.1f"
row "test accuracy" test_accuracy "%12.4f"
if [ "$model" != mlp ]; then
    echo
    echo "libdeep GEMM work: $(median "$ours" gflops) GFLOP/s over the epoch;" \
         "cblas_sgemm on 1536x1536 matrices: $(median "$ours" sgemm_gflops) GFLOP/s"
fi
echo
case "$model" in
    cnn) echo "(issue targets: epoch ratio <= 0.5 and lower peak memory, <= 0.25 of PyTorch)" ;;
    resnet) echo "(issue targets: epoch ratio <= 0.5 and peak memory <= 0.25 of PyTorch's;" \
                 "the fair memory figure is the peak over data, both sides' growth over their RSS with the data loaded)" ;;
    *) echo "(issue targets: epoch ratio <= 0.5 and lower peak memory)" ;;
esac
exit 0
