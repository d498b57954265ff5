"""Times segflow, Polars and DuckDB computing the same per-customer table; see ingest-features.sh.

With --baseline BINARY, a second segflow build (say, the commit before a change) runs
interleaved with the others on its own copy of the pipeline, so before and after are
measured in one run and their tables checked to agree."""
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
  directory: {out}
  files: [{{customers: customers.csv}}]
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


def cpu_description():
    """The CPU model and the vector instruction sets that decide which kernels run."""
    model, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name") and model == "unknown":
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    sets = [name for name in ("avx512f", "avx2", "fma") if name in flags]
    return f"{model}; {' '.join(sets) if sets else 'no AVX2/AVX-512'}"


PIPELINE_ORDER = ["ingest", "customers", "clean", "features", "affinity", "segment", "cluster", "churn",
                  "surveys", "referrals", "export", "database_load"]


def print_stage_medians(columns, ratio):
    """A side-by-side table of per-stage, total wall and peak RSS medians. `columns` is two
    (label, runs) pairs, each run a (wall seconds, peak RSS MB, {stage: seconds}) triple;
    `ratio` maps the two medians of a row to the ratio printed for it."""
    (first_label, first), (second_label, second) = columns
    stages = sorted({stage for runs in (first, second) for run in runs for stage in run[2]},
                    key=lambda stage: (PIPELINE_ORDER.index(stage) if stage in PIPELINE_ORDER else len(PIPELINE_ORDER), stage))
    width = max(10, len(first_label) + 2, len(second_label) + 2)
    print(f"{'':16}{first_label:>{width}}{second_label:>{width}}{'ratio':>8}")

    def medians(pick):
        return statistics.median(map(pick, first)), statistics.median(map(pick, second))

    for stage in stages:
        a, b = medians(lambda run: run[2].get(stage, 0.0))
        value = ratio(a, b) if a and b else float("nan")
        print(f"{stage:16}{a:>{width - 1}.2f}s{b:>{width - 1}.2f}s{value:>8.3f}")
    for label, index, unit in (("total wall", 0, "s"), ("peak RSS", 1, " MB")):
        a, b = medians(lambda run: run[index])
        print(f"{label:16}{a:>{width - len(unit)}.1f}{unit}{b:>{width - len(unit)}.1f}{unit}{ratio(a, b):>8.3f}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--segflow", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="a second segflow binary to time beside the first")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="segflow-bench-")
    binaries = {"segflow": args.segflow} | ({"baseline": args.baseline} if args.baseline else {})
    outputs = {name: os.path.join(work, name, "current", "customers.csv") for name in binaries}
    commands = {}
    for name, binary in binaries.items():
        pipeline = os.path.join(work, f"{name}.yaml")
        with open(pipeline, "w") as handle:
            handle.write(PIPELINE.format(data=os.path.abspath(args.data), out=os.path.join(work, name)))
        commands[name] = [binary, "run", pipeline, "--log-level", "quiet"]
    for name in ("polars", "duckdb"):
        outputs[name] = os.path.join(work, f"{name}.csv")
        commands[name] = [sys.executable, os.path.join(HERE, "peers", f"{name}_features.py"), args.data, outputs[name]]
    size = os.path.getsize(args.data)
    subprocess.run(["cat", args.data], stdout=subprocess.DEVNULL, check=True)  # into the page cache for everyone
    print(f"input: {args.data} ({size / 1e6:.0f} MB), {os.cpu_count()} cores, {args.runs} runs each, tools interleaved")
    print(f"cpu: {cpu_description()}")

    times = {name: [] for name in commands}
    memory = {name: 0.0 for name in commands}
    for run in range(args.runs):
        order = list(commands)[run % len(commands):] + list(commands)[:run % len(commands)]
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
