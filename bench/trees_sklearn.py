#!/usr/bin/env python3
"""scikit-learn's side of bench/run-trees-bench.sh: the same tree or forest as
trees_bench.c on the same Fashion-MNIST files. Prints one line:
    sklearn model=tree|forest fit_seconds=X fit_cpu_seconds=C predict_seconds=Y test_accuracy=Z peak_rss_mb=M
Usage: trees_sklearn.py tree|forest [THREADS [DATA_DIR]]"""
import gzip
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier


def load(directory, prefix):
    with gzip.open(f"{directory}/{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{directory}/{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    # float32 as libdeep holds features (scikit-learn converts to float32 itself).
    return images.astype(np.float32), labels.astype(np.int64)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else "tree"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    directory = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
    x, y = load(directory, "train")
    tx, ty = load(directory, "t10k")
    if model == "forest":
        estimator = RandomForestClassifier(n_estimators=100, n_jobs=threads, random_state=0)
    else:
        estimator = DecisionTreeClassifier(random_state=0)
    cpu = cpu_seconds()
    start = time.perf_counter()
    estimator.fit(x, y)
    fit = time.perf_counter() - start
    fit_cpu = cpu_seconds() - cpu
    start = time.perf_counter()
    predicted = estimator.predict(tx)
    predict = time.perf_counter() - start
    accuracy = float(np.mean(predicted == ty))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(f"sklearn model={model} fit_seconds={fit:.3f} fit_cpu_seconds={fit_cpu:.3f} predict_seconds={predict:.3f} "
          f"test_accuracy={accuracy:.4f} peak_rss_mb={peak_kb / 1024.0:.1f}")


if __name__ == "__main__":
    main()
