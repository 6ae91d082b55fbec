#!/bin/bash
# run-trees-bench.sh: a decision tree and a 100-tree random forest on the Fashion-MNIST
# pixels, libdeep against scikit-learn, same machine, same data, same run. Prints the raw
# result lines and a table of ratios (libdeep / scikit-learn: below 1 means libdeep is
# faster or smaller).
#
# Usage: bash bench/run-trees-bench.sh [tree|forest|both [BUILD_DIR [THREADS]]]
#   tree       DecisionTreeClassifier() defaults (libdeep: histogram splits, the default
#              at 60000 samples)
#   forest     RandomForestClassifier(n_estimators=100, n_jobs=THREADS) defaults
#   BUILD_DIR  an existing meson build directory to (re)build with ninja; when omitted,
#              build-bench/ at the top of the tree, set up as a release build if missing
#   THREADS    forest threads for both sides (default 2, or $THREADS); the single tree is
#              one thread on both sides
#   DATA_DIR   (environment) default /usr/share/datasets/fashion-mnist
#   PYTHON     (environment) default /usr/bin/python3, Debian's, which has python3-sklearn
#   REPEATS    (environment) runs of each side, alternating (default 1); the table shows
#              medians, which matters on a shared or busy machine
#
# fit_cpu_seconds (user + system time of the process's threads during fit) is printed
# next to the wall time: on a busy machine it is the steadier of the two. Always exits 0
# once all sides ran: this is a measurement, not a test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
which=${1:-both}
case "$which" in tree|forest) models=$which ;; both) models="tree forest" ;;
    *) echo "usage: run-trees-bench.sh [tree|forest|both [BUILD_DIR [THREADS]]]" >&2; exit 2 ;; esac
build=${2:-}
threads=${3:-${THREADS:-2}}
data=${DATA_DIR:-/usr/share/datasets/fashion-mnist}
python=${PYTHON:-/usr/bin/python3}
repeats=${REPEATS:-1}

if [ -z "$build" ]; then
    build="$top/build-bench"
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$top" -Dbuildtype=release -Dtests=false -Dexamples=false >/dev/null
    fi
fi
ninja -C "$build" bench/trees_bench >/dev/null

# median LINES NAME: the median over runs of one field.
median() {
    printf '%s' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
                                  else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
row() { # row LABEL FIELD FORMAT
    local a b
    a=$(median "$ours" "$2"); b=$(median "$theirs" "$2")
    awk -v l="$1" -v a="$a" -v b="$b" -v f="$3" 'BEGIN {
        printf "%-24s " f " " f "   %9s\n", l, a, b, (b > 0 ? sprintf("%.2f", a / b) : "n/a") }'
}

echo "Fashion-MNIST pixels (60000 x 784 train, 10000 test), forest threads $threads;" \
     "load average now $(cut -d' ' -f1-3 /proc/loadavg)"
for model in $models; do
    echo
    ours="" theirs=""
    for ((run = 1; run <= repeats; run++)); do
        # Each side in its own process so that peak RSS is its own, alternating so that both
        # see the same machine load.
        line=$("$build/bench/trees_bench" "$model" "$threads" "$data")
        echo "$line"
        ours+="$line"$'\n'
        line=$("$python" "$here/trees_sklearn.py" "$model" "$threads" "$data")
        echo "$line"
        theirs+="$line"$'\n'
    done
    [ "$repeats" -gt 1 ] && echo "medians of $repeats runs:"
    printf '%-24s %12s %12s   %9s\n' "$model" libdeep sklearn ratio
    row "fit seconds" fit_seconds "%12.3f"
    row "fit CPU seconds" fit_cpu_seconds "%12.3f"
    row "predict seconds (10000)" predict_seconds "%12.3f"
    row "peak RSS (MB)" peak_rss_mb "%12.1f"
    row "test accuracy" test_accuracy "%12.4f"
done
echo
echo "(issue targets: fit ratio <= 0.5 at test accuracy within 0.005, for the tree and the forest)"
exit 0
