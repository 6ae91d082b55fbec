#!/usr/bin/python3
"""latency_torch: the PyTorch side of the latency benchmark (see bench/latency_bench.c).

The same models (softmax in the loss, PyTorch's idiom), the same cases and the same
timing: each case warmed up, then timed call by call for about BUDGET seconds, the median
call reported (batch 10000: not warmed up again, two calls). Default settings a user gets: torch's own thread count and OpenMP wait
policy as installed (run-latency.sh leaves both alone).

    predict batch B: model(x) under torch.no_grad() in eval mode
    train batch 32:  zero_grad, forward, CrossEntropyLoss, backward, Adam step

Run with Debian's interpreter, /usr/bin/python3 (python3-torch):
    /usr/bin/python3 bench/latency_torch.py mlp|cnn|lstm [BUDGET_SECONDS]
Prints one line per case:
    pytorch model=M case=predict batch=B threads=default ms=X calls=N
"""
import sys
import time

import torch
from torch import nn

MAX_CALLS = 2000


class LastStep(nn.Module):
    """nn.LSTM giving the last step's h (Keras' LSTM(units))."""

    def __init__(self, features, units):
        super().__init__()
        self.lstm = nn.LSTM(features, units, batch_first=True)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return h[-1]


def build_model(kind):
    if kind == "lstm":
        return nn.Sequential(LastStep(28, 128), nn.Linear(128, 10))
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1600, 64), nn.ReLU(), nn.Linear(64, 10))
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def random_batch(kind, n):
    shape = {"cnn": (n, 1, 28, 28), "lstm": (n, 28, 28), "mlp": (n, 784)}[kind]
    return torch.rand(shape)


def time_case(run, budget, min_calls=3):
    warm = time.perf_counter()
    for _ in range(3 if budget > 0 else 0):
        run()
        if time.perf_counter() - warm >= budget / 2:
            break
    times = []
    start = time.perf_counter()
    while len(times) < MAX_CALLS and (len(times) < min_calls or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return 1e3 * median, n


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("mlp", "cnn", "lstm"):
        sys.exit("usage: latency_torch.py mlp|cnn|lstm [BUDGET_SECONDS]")
    kind = sys.argv[1]
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3
    torch.manual_seed(42)
    model = build_model(kind)

    model.eval()
    for batch in (1, 32, 256, 10000):
        x = random_batch(kind, batch)

        def predict():
            with torch.no_grad():
                model(x)

        # As the C side: batch 10000 not warmed up again, timed twice.
        ms, calls = time_case(predict, 0, 2) if batch >= 10000 else time_case(predict, budget)
        print(f"pytorch model={kind} case=predict batch={batch} threads=default ms={ms:.4f} calls={calls}",
              flush=True)

    model.train()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x = random_batch(kind, 32)
    y = torch.arange(32) % 10

    def train():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    ms, calls = time_case(train, budget)
    print(f"pytorch model={kind} case=train batch=32 threads=default ms={ms:.4f} calls={calls}", flush=True)


if __name__ == "__main__":
    main()
