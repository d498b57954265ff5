"""The whole nightly job: `segflow run` on Pipelines/retail.yaml against the same job written
with the Python stack (Benchmarks/peers/python_pipeline.py), interleaved, on the same data.

Usage (after `swift build -c release --product segflow`; the venv of scripts/python-venv):
    $(scripts/python-venv) Benchmarks/pipeline.py [--data bench-data/transactions-1000000.csv] [--runs 3]

segflow runs Pipelines/retail.yaml with the input path and output directory swapped and
`churn.purchase_model: bgnbd`, the model the Python job fits (segflow's default `auto` fits
three and keeps the best out of time). One segflow run first makes the history, so every
timed segflow run is a second run with the migration against the previous one, as nightly.
Then `--runs` rounds of segflow and the Python job, alternating. The script prints the CPU's
instruction sets, per-stage and total wall-time medians, peak RSS (wait4) and the ratios,
and checks that the two customer tables agree:
- exactly: the customers, recency, frequency, tenure, the RFM scores and segments, and the
  churn population (which customers have a churn probability); an m_score may differ only
  where the customer's total ties, to 1e-9 relative, with totals across a quintile boundary
  (the two jobs sum in different orders, so equal totals can come out a few ulps apart);
- to 1e-9 relative: monetary total and mean, inter-purchase mean and spread;
- within the stated model tolerances (two optimizers stop at slightly different optima, and
  lifetimes' month is 4.345 weeks against segflow's 365.25/12 days):
  p_alive and expected purchases within 0.01, CLV within 1% of the customer's value (or 0.01),
  churn probabilities within 0.01 and the classifier's holdout AUC within 0.005.
The clusters are reported, not checked: the Python job keeps the best silhouette and segflow
the smallest k within 0.01 of it (docs/segmentation.md), so they may differ in k; with the
same k the adjusted Rand index is printed.
"""
import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import cpu_description, print_stage_medians  # noqa: E402


def segflow_pipeline(work, data):
    """Pipelines/retail.yaml on `data`, writing under `work`, with BG/NBD as the purchase model."""
    with open(os.path.join(HERE, "..", "Pipelines", "retail.yaml")) as handle:
        text = handle.read()
    text = text.replace("path: SampleData/transactions.csv", f"path: {os.path.abspath(data)}")
    text = re.sub(r"(?m)^  directory: out\b", f"  directory: {os.path.join(work, 'segflow-out')}", text)
    text = re.sub(r"(?m)^(  model: logistic.*)$", r"\1\n  purchase_model: bgnbd", text)
    if os.path.abspath(data) not in text or "purchase_model: bgnbd" not in text or "segflow-out" not in text:
        sys.exit("Pipelines/retail.yaml no longer has the lines this benchmark rewrites (input path, output directory, churn model)")
    path = os.path.join(work, "retail.yaml")
    with open(path, "w") as handle:
        handle.write(text)
    return path, os.path.join(work, "segflow-out", "current")


def run_measured(command):
    """Wall seconds, peak RSS (MiB) and stdout of one child process."""
    begin = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - begin
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed with status {os.waitstatus_to_exitcode(status)}:\n{stderr.decode()[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, stdout.decode()


def read_table(path):
    with open(path, newline="") as handle:
        return {row["customer_id"]: row for row in csv.DictReader(handle)}


def number(text):
    return float(text) if text != "" else float("nan")


def unexplained_monetary_scores(differing, ours, theirs, bins=5, relative=1e-9):
    """The customers among `differing` whose m_score no rounding explains. Totals are summed in
    a different order by the two jobs, so equal totals (many customers spend the same) can come
    out a few ulps apart, and a customer's count of customers with a smaller total can move by
    the size of that tie group: where such a group straddles a quintile boundary either score is
    right. A score is explained when the counts within `relative` of the customer's total give
    both scores."""
    if not differing:
        return differing
    totals = np.sort(np.array([float(row["monetary_total"]) for row in theirs.values()]))
    unexplained = []
    for customer in differing:
        value = float(theirs[customer]["monetary_total"])
        margin = relative * max(abs(value), 1)
        fewest = np.searchsorted(totals, value - margin, "left")
        most = np.searchsorted(totals, value + margin, "left") - 1  # all but the customer itself
        lowest, highest = (1 + (bins * smaller) // len(totals) for smaller in (fewest, max(fewest, most)))
        possible = set(range(lowest, highest + 1))
        if not {int(ours[customer]["m_score"]), int(theirs[customer]["m_score"])} <= possible:
            unexplained.append(customer)
    return unexplained


def check_agreement(segflow_dir, python_dir, python_auc, python_k):
    ours, theirs = read_table(os.path.join(segflow_dir, "customers.csv")), read_table(os.path.join(python_dir, "customers.csv"))
    if ours.keys() != theirs.keys():
        sys.exit(f"the customers differ: {len(ours.keys() - theirs.keys())} only in segflow's table, "
                 f"{len(theirs.keys() - ours.keys())} only in the Python job's")
    ids = sorted(ours)
    problems = []
    for column in ["recency_days", "frequency", "tenure_days", "r_score", "f_score", "m_score", "rfm_segment"]:
        differing = [customer for customer in ids if ours[customer][column] != theirs[customer][column]]
        if column == "m_score":
            differing = unexplained_monetary_scores(differing, ours, theirs)
        if differing:
            problems.append(f"{column}: {len(differing)} customers differ, e.g. {differing[0]}: "
                            f"segflow {ours[differing[0]][column]}, Python {theirs[differing[0]][column]}")

    def columns(name):
        return (np.array([number(ours[customer][name]) for customer in ids]),
                np.array([number(theirs[customer][name]) for customer in ids]))

    def compare(name, tolerance, relative=False):
        a, b = columns(name)
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            problems.append(f"{name}: empty for different customers ({np.isnan(a).sum()} in segflow, {np.isnan(b).sum()} in Python)")
            return float("nan")
        both = ~np.isnan(a)
        difference = np.abs(a[both] - b[both])
        allowed = tolerance * np.maximum(np.abs(b[both]), 1) if relative else tolerance
        worst = float(np.max(difference / (np.maximum(np.abs(b[both]), 1) if relative else 1), initial=0))
        if np.any(difference > allowed):
            problems.append(f"{name}: differs by up to {worst:.3g}{' relative' if relative else ''} (tolerance {tolerance})")
        return worst

    for name in ["monetary_total", "monetary_mean", "interpurchase_mean_days", "interpurchase_std_days"]:
        compare(name, 1e-9, relative=True)
    worst = {name: compare(name, tolerance, relative) for name, tolerance, relative in
             [("p_alive", 0.01, False), ("expected_purchases", 0.01, False), ("clv", 0.01, True), ("churn_probability", 0.01, False)]}
    with open(os.path.join(segflow_dir, "model_report.json")) as handle:
        segflow_auc = json.load(handle)["classifier_evaluation"]["roc_auc"]
    if abs(segflow_auc - python_auc) > 0.005:
        problems.append(f"holdout ROC AUC: segflow {segflow_auc:.4f}, Python {python_auc:.4f}")
    if problems:
        sys.exit("segflow and the Python job disagree:\n  " + "\n  ".join(problems))
    clusters = {"segflow_k": len({ours[customer]["cluster"] for customer in ids}), "python_k": python_k}
    if clusters["segflow_k"] == python_k:
        from sklearn.metrics import adjusted_rand_score
        clusters["ari"] = adjusted_rand_score([ours[c]["cluster"] for c in ids], [theirs[c]["cluster"] for c in ids])
    return len(ids), worst, (segflow_auc, python_auc), clusters


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="bench-data/transactions-1000000.csv")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default=".build/release/segflow")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as work:
        pipeline, segflow_out = segflow_pipeline(work, args.data)
        python_out = os.path.join(work, "python-out")
        segflow_command = [args.binary, "run", pipeline, "--log-level", "quiet"]
        python_command = [python, os.path.join(HERE, "peers", "python_pipeline.py"), args.data, python_out]
        run_measured(segflow_command)  # the first run: history for the migration
        figures = {"segflow": [], "python": []}
        for _ in range(args.runs):
            wall, rss, _ = run_measured(segflow_command)
            with open(os.path.join(segflow_out, "run.json")) as handle:
                figures["segflow"].append((wall, rss, json.load(handle)["stage_seconds"]))
            wall, rss, stdout = run_measured(python_command)
            result = json.loads(stdout.strip().splitlines()[-1])
            figures["python"].append((wall, rss, result["stage_seconds"]))
        print(f"CPU: {cpu_description()}")
        print(f"data: {args.data}; medians of {args.runs} interleaved runs (segflow's are second runs)")
        print_stage_medians([("segflow", figures["segflow"]), ("Python", figures["python"])],
                            ratio=lambda segflow, python: segflow / python)
        customers, worst, auc, clusters = check_agreement(segflow_out, python_out, result["roc_auc"], result["k"])

    print(f"agreement on {customers:,} customers: recency, frequency, tenure, RFM scores and segments, churn population exact; "
          + ", ".join(f"{name} within {value:.2g}" for name, value in worst.items())
          + f"; holdout AUC segflow {auc[0]:.4f}, Python {auc[1]:.4f}")
    ari = f", adjusted Rand index {clusters['ari']:.3f}" if "ari" in clusters else ""
    print(f"clusters: segflow k = {clusters['segflow_k']}, Python k = {clusters['python_k']}{ari}")


if __name__ == "__main__":
    main()
