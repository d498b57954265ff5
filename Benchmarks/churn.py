"""Churn model fits: segflow vs lifetimes (BG/NBD) and scikit-learn (logistic), same data.

Usage (after `swift build -c release --product numerics-driver`; needs lifetimes,
scikit-learn and pandas: the venv of scripts/python-venv):
    $(scripts/python-venv) Benchmarks/churn.py [--data bench-data/transactions-1000000.csv] [--runs 3]
BG/NBD: the (x, t_x, T) summary in weeks is built once with lifetimes'
`summary_data_from_transaction_data` (timed too), then both tools fit it. Logistic: 1M x 10
standardised features, L2 with C = 1, scikit-learn's lbfgs vs segflow's Newton/Cholesky.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def driver(binary, *arguments):
    return subprocess.run([binary, *map(str, arguments)], check=True, capture_output=True, text=True).stdout.split()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="bench-data/transactions-1000000.csv")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default=".build/release/numerics-driver")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="segflow-churn-")
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    raw = pd.read_csv(args.data, usecols=["customer_id", "ts", "amount"])
    raw = raw[raw.amount >= 0]
    raw["day"] = pd.to_datetime(raw.ts.str.slice(0, 10))
    end = raw.day.max()
    begin = time.perf_counter()
    summary = summary_data_from_transaction_data(raw, "customer_id", "day", observation_period_end=end, freq="D", freq_multiplier=7)
    summary_seconds = time.perf_counter() - begin
    path = os.path.join(work, "summary.f64")
    summary[["frequency", "recency", "T"]].to_numpy(dtype=np.float64).tofile(path)
    print(f"summary of {len(summary)} customers: lifetimes {summary_seconds:.1f} s")

    ours, theirs = [], []
    for _ in range(args.runs):
        out = driver(args.binary, "bgnbd", path, len(summary))
        ours.append(float(out[0]))
        begin = time.perf_counter()
        fitter = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        theirs.append(time.perf_counter() - begin)
    ll_ours = float(out[5])
    params = fitter.params_
    print(f"BG/NBD fit: segflow {statistics.median(ours):.3f} s, lifetimes {statistics.median(theirs):.2f} s, "
          f"speed-up {statistics.median(theirs) / statistics.median(ours):.1f}x")
    print(f"  segflow r {float(out[1]):.4f} alpha {float(out[2]):.4f} a {float(out[3]):.4f} b {float(out[4]):.4f} LL {ll_ours:.1f}")
    print(f"  lifetimes r {params['r']:.4f} alpha {params['alpha']:.4f} a {params['a']:.4f} b {params['b']:.4f}")

    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1_000_000, 10))
    y = rng.uniform(size=len(x)) < 1 / (1 + np.exp(-(x @ rng.normal(size=10) + 0.2)))
    data, labels = os.path.join(work, "x.f64"), os.path.join(work, "y.u8")
    x.tofile(data)
    y.astype(np.uint8).tofile(labels)
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(float(driver(args.binary, "logistic", data, len(x), 10, labels, 1.0)[0]))
        begin = time.perf_counter()
        LogisticRegression(C=1.0).fit(x, y)
        theirs.append(time.perf_counter() - begin)
    print(f"logistic 1M x 10: segflow {statistics.median(ours):.3f} s, scikit-learn lbfgs {statistics.median(theirs):.3f} s, "
          f"ratio {statistics.median(ours) / statistics.median(theirs):.2f}")


if __name__ == "__main__":
    main()
