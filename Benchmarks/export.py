"""CSV export speed: segflow writing customers.csv for 1M customers against `cp` of as many bytes.

Usage (after `swift build -c release --product segflow`; bench-data/transactions-1000000.csv
from `segflow sample --customers 1000000 --seed 7`):
    python3 Benchmarks/export.py [--data bench-data/transactions-1000000.csv] [--runs 3]
Runs a pipeline whose only export is customers.csv (every feature and segment column) and
reads from run.json the seconds to format, write and fsync that file. The reference is `cp`
of a file of the same size followed by `sync`, on the same disk: disk speed. The whole
export stage (with assignments.csv, the migration against the previous run and the report)
is printed too.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

PIPELINE = """name: export-bench
inputs:
  transactions:
    path: {data}
    columns: {{customer: customer_id, order: order_id, time: ts, amount: amount}}
segment: {{}}
outputs:
  directory: {out}
  keep_runs: 1
  files:
    - customers: customers.csv
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="bench-data/transactions-1000000.csv")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default=".build/release/segflow")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="segflow-export-", dir="bench-data")
    out = os.path.join(work, "out")
    pipeline = os.path.join(work, "p.yaml")
    with open(pipeline, "w") as handle:
        handle.write(PIPELINE.format(data=os.path.abspath(args.data), out=out))
    ours, stages, copies, sizes = [], [], [], []
    for _ in range(args.runs):
        subprocess.run([args.binary, "run", pipeline, "--log-level", "quiet"], check=True)
        current = os.path.join(out, "current")
        with open(os.path.join(current, "run.json")) as handle:
            record = json.load(handle)
        ours.append(record["file_seconds"]["customers.csv"])
        stages.append(record["stage_seconds"]["export"])
        size = os.path.getsize(os.path.join(current, "customers.csv"))
        sizes.append(size)
        source, target = os.path.join(work, "source.bin"), os.path.join(work, "copy.bin")
        with open(source, "wb") as handle:
            handle.write(os.urandom(1 << 20) * (size >> 20))
        subprocess.run(["sync"], check=True)
        begin = time.perf_counter()
        subprocess.run(["cp", source, target], check=True)
        subprocess.run(["sync"], check=True)
        copies.append(time.perf_counter() - begin)
        os.remove(source)
        os.remove(target)
    megabytes = statistics.median(sizes) / 1e6
    print(f"customers.csv for 1M customers: {megabytes:.0f} MB in {statistics.median(ours):.2f} s = "
          f"{megabytes / statistics.median(ours):.0f} MB/s (median of {args.runs}); cp + sync of the same size: "
          f"{statistics.median(copies):.2f} s = {megabytes / statistics.median(copies):.0f} MB/s; "
          f"ratio segflow / cp time {statistics.median(ours) / statistics.median(copies):.2f}; "
          f"whole export stage {statistics.median(stages):.2f} s")


if __name__ == "__main__":
    main()
