"""Times segflow, Polars and DuckDB computing the same per-customer table; see ingest-features.sh."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import polars as pl

HERE = os.path.dirname(os.path.abspath(__file__))

PIPELINE = """name: benchmark
as_of: latest
inputs:
  transactions:
    path: {data}
    columns: {{customer: customer_id, order: order_id, time: ts, amount: amount}}
clean:
  dedupe: order
  returns: net
features: [recency, frequency, monetary, tenure, interpurchase]
outputs:
  - customers: {out}
"""


def timed(command):
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{command[0]} failed:\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def check_agreement(paths):
    """Every tool's table has the same customers and values (reals to 1e-9 relative)."""
    key = ["customer_id"]
    exact = ["recency_days", "frequency", "tenure_days"]
    real = ["monetary_total", "monetary_mean", "interpurchase_mean_days", "interpurchase_std_days"]
    tables = {name: pl.read_csv(path, schema_overrides={"customer_id": pl.Utf8}).select(key + exact + real).sort(key)
              for name, path in paths.items()}
    reference_name, reference = next(iter(tables.items()))
    for name, table in tables.items():
        if table.height != reference.height or not table["customer_id"].equals(reference["customer_id"]):
            sys.exit(f"{name} and {reference_name} have different customers")
        for column in exact:
            if not table[column].cast(pl.Int64).equals(reference[column].cast(pl.Int64)):
                sys.exit(f"{name}.{column} differs from {reference_name}")
        for column in real:
            a, b = table[column], reference[column]
            if not a.is_null().equals(b.is_null()):
                sys.exit(f"{name}.{column}: missing values differ from {reference_name}")
            pair = pl.DataFrame({"a": a, "b": b})
            error = pair.select(
                ((pl.col("a") - pl.col("b")).abs() / pl.max_horizontal(pl.col("a").abs(), pl.col("b").abs(), pl.lit(1.0))).max()
            ).item() or 0.0
            if error > 1e-9:
                sys.exit(f"{name}.{column} differs from {reference_name} by {error:.2e} relative")
    return reference.height


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--segflow", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="segflow-bench-")
    outputs = {name: os.path.join(work, f"{name}.csv") for name in ("segflow", "polars", "duckdb")}
    pipeline = os.path.join(work, "benchmark.yaml")
    with open(pipeline, "w") as handle:
        handle.write(PIPELINE.format(data=os.path.abspath(args.data), out=outputs["segflow"]))
    commands = {
        "segflow": [args.segflow, "run", pipeline, "--log-level", "quiet"],
        "polars": [sys.executable, os.path.join(HERE, "peers", "polars_features.py"), args.data, outputs["polars"]],
        "duckdb": [sys.executable, os.path.join(HERE, "peers", "duckdb_features.py"), args.data, outputs["duckdb"]],
    }
    size = os.path.getsize(args.data)
    subprocess.run(["cat", args.data], stdout=subprocess.DEVNULL, check=True)  # into the page cache for everyone
    print(f"input: {args.data} ({size / 1e6:.0f} MB), {os.cpu_count()} cores, {args.runs} runs each, tools interleaved")

    times = {name: [] for name in commands}
    memory = {name: 0.0 for name in commands}
    for run in range(args.runs):
        order = list(commands)[run % 3:] + list(commands)[:run % 3]
        for name in order:
            elapsed, peak = timed(commands[name])
            times[name].append(elapsed)
            memory[name] = max(memory[name], peak)
            print(f"  run {run + 1}: {name:8s} {elapsed:6.2f} s  {peak:7.0f} MiB", flush=True)

    customers = check_agreement(outputs)
    print(f"outputs agree: {customers} customers, same ids, counts and days; reals within 1e-9 relative")
    base = statistics.median(times["segflow"])
    print(f"{'tool':10s}{'median s':>10s}{'min s':>8s}{'max s':>8s}{'x segflow':>11s}{'peak MiB':>10s}")
    for name in commands:
        median = statistics.median(times[name])
        print(f"{name:10s}{median:10.2f}{min(times[name]):8.2f}{max(times[name]):8.2f}{median / base:11.2f}{memory[name]:10.0f}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
