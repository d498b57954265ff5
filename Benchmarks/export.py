r"""Export speed for 1M customers: customers.csv against `cp` of as many bytes, the
PostgreSQL load against psql's `\copy` of the same customers.csv, and the SQLite load against
the sqlite3 shell's `.import` of it.

Usage (after `swift build -c release --product segflow`; bench-data/transactions-1000000.csv
from `segflow sample --customers 1000000 --seed 7`):
    python3 Benchmarks/export.py [--data bench-data/transactions-1000000.csv] [--runs 3]
Three phases, each with its own pipeline, so that no phase's disk traffic (PostgreSQL
writes back for seconds after a load) lands in another's figures:

CSV: a pipeline whose only export is customers.csv (every feature and segment column) and
no database; run.json gives the seconds to format, write and fsync that file. The reference
is `cp` of a file of the same size followed by `sync`, on the same disk: disk speed. `dd`
with direct I/O shows the disk without the page cache. The whole export stage (with
assignments.csv, the migration against the previous run and the report) is printed too.

PostgreSQL: the script starts a throw-away server (scripts/postgres-test-server, default
durable settings) and a second pipeline loads customers into it. segflow's figure is the
run's `database_load` stage from run.json: COPY of every row, primary key, ANALYZE. The
reference loads the run's customers.csv into a table of the same columns with
`psql -c "\copy ... (FORMAT csv, HEADER)"`, then adds the same primary key and runs ANALYZE.

SQLite: a third pipeline loads the same customers into a SQLite file and nothing else, so
its `database_load` stage is the SQLite load alone (staging table, rows, swap). The reference
is the sqlite3 shell (Debian's `sqlite3` package) importing that run's customers.csv into a
table of the same schema, in a database in WAL mode as segflow's.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

PIPELINE = """name: {name}
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
{databases}"""

POSTGRES_DATABASE = """  databases:
    - postgres: {{host: 127.0.0.1, port: {port}, database: segflow, user: segflow,
                 password_env: SEGFLOW_TEST_PGPASSWORD, tls: disable}}
      tables:
        - {{table: customers, name: bench_customers}}"""

SQLITE_DATABASE = """  databases:
    - sqlite: bench.sqlite
      tables:
        - {table: customers, name: bench_customers}"""


def timed_sqlite_import(database, csv_path, work):
    """The sqlite3 shell's .import of customers.csv into a table shaped as segflow's: seconds."""
    schema = subprocess.run(["sqlite3", database, "SELECT sql FROM sqlite_master WHERE name = 'bench_customers'"],
                            check=True, capture_output=True, text=True).stdout.strip()
    reference = os.path.join(work, "reference.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(reference + suffix):
            os.remove(reference + suffix)
    script = (f"PRAGMA journal_mode = WAL;\n{schema.replace('bench_customers', 'reference_customers', 1)};\n"
              f".import --csv --skip 1 '{csv_path}' reference_customers\n")
    begin = time.perf_counter()
    subprocess.run(["sqlite3", reference], input=script, check=True, text=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - begin


def start_postgres():
    """A throw-away server; returns its environment (port and password)."""
    # In the system's temporary directory: the server's user (not root) must reach it.
    directory = tempfile.mkdtemp(prefix="segflow-bench-pg-")
    text = subprocess.run(["scripts/postgres-test-server", "start", directory], check=True,
                          capture_output=True, text=True).stdout
    values = dict(line.split("=", 1) for line in text.split())
    return directory, values


def psql(values, sql):
    port = values["SEGFLOW_TEST_POSTGRES"].split(":")[1]
    env = dict(os.environ, PGPASSWORD=values["SEGFLOW_TEST_PGPASSWORD"])
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port, "-U", "segflow", "-d", "segflow",
                    "-c", sql], check=True, env=env, stdout=subprocess.DEVNULL)


def timed_reference_copy(values, csv_path):
    r"""psql's \copy of customers.csv, with the same primary key and ANALYZE: seconds."""
    psql(values, "DROP TABLE IF EXISTS reference_customers")
    psql(values, "CREATE TABLE reference_customers (LIKE bench_customers)")
    begin = time.perf_counter()
    psql(values, f"\\copy reference_customers FROM '{csv_path}' WITH (FORMAT csv, HEADER)")
    psql(values, "ALTER TABLE reference_customers ADD PRIMARY KEY (customer_id)")
    psql(values, "ANALYZE reference_customers")
    return time.perf_counter() - begin


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="bench-data/transactions-1000000.csv")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default=".build/release/segflow")
    args = parser.parse_args()
    os.makedirs("bench-data", exist_ok=True)
    work = tempfile.mkdtemp(prefix="segflow-export-", dir="bench-data")
    postgres_dir, postgres = start_postgres()
    try:
        run(args, work, postgres)
    finally:
        subprocess.run(["scripts/postgres-test-server", "stop", postgres_dir], check=True)
        shutil.rmtree(work, ignore_errors=True)


def write_pipeline(work, name, data, databases):
    """A pipeline file in `work` exporting customers.csv (and `databases`); returns its path and output directory."""
    out, pipeline = os.path.join(work, f"{name}-out"), os.path.join(work, f"{name}.yaml")
    with open(pipeline, "w") as handle:
        handle.write(PIPELINE.format(name=name, data=os.path.abspath(data), out=out, databases=databases))
    return pipeline, out


def run_pipeline(args, pipeline, out, env=None):
    """Runs the pipeline; returns its run.json."""
    subprocess.run([args.binary, "run", pipeline, "--log-level", "quiet"], check=True, env=env)
    with open(os.path.join(out, "current", "run.json")) as handle:
        return json.load(handle)


def timed(command):
    begin = time.perf_counter()
    for part in command:
        subprocess.run(part, check=True)
    return time.perf_counter() - begin


def run(args, work, postgres):
    pipeline, out = write_pipeline(work, "export-bench-csv", args.data, "")
    current = os.path.join(out, "current")
    ours, stages, copies, direct_copies, sizes = [], [], [], [], []
    source, target = os.path.join(work, "source.bin"), os.path.join(work, "copy.bin")
    for _ in range(args.runs):
        record = run_pipeline(args, pipeline, out)
        ours.append(record["file_seconds"]["customers.csv"])
        stages.append(record["stage_seconds"]["export"])
        size = os.path.getsize(os.path.join(current, "customers.csv"))
        sizes.append(size)
        with open(source, "wb") as handle:
            handle.write(os.urandom(1 << 20) * (size >> 20))
        subprocess.run(["sync"], check=True)
        copies.append(timed([["cp", source, target], ["sync"]]))
        os.remove(target)
        direct_copies.append(timed([["dd", f"if={source}", f"of={target}", "bs=4M", "oflag=direct", "conv=fsync",
                                     "status=none"]]))
        os.remove(source)
        os.remove(target)
    megabytes = statistics.median(sizes) / 1e6
    with open(os.path.join(current, "customers.csv"), "rb") as handle:
        customers = sum(1 for _ in handle) - 1
    args.customers_label = f"{customers:,} customers"
    print(f"customers.csv for {args.customers_label}: {megabytes:.0f} MB in {statistics.median(ours):.3f} s = "
          f"{megabytes / statistics.median(ours):.0f} MB/s (median of {args.runs}; each: "
          f"{' '.join(f'{value:.3f}' for value in ours)}); cp + sync of the same size: "
          f"{statistics.median(copies):.3f} s = {megabytes / statistics.median(copies):.0f} MB/s; "
          f"ratio segflow / cp time {statistics.median(ours) / statistics.median(copies):.2f}; "
          f"dd with direct I/O + fsync: {statistics.median(direct_copies):.3f} s = "
          f"{megabytes / statistics.median(direct_copies):.0f} MB/s; "
          f"whole export stage {statistics.median(stages):.2f} s")

    port = postgres["SEGFLOW_TEST_POSTGRES"].split(":")[1]
    pipeline, out = write_pipeline(work, "export-bench-postgres", args.data, POSTGRES_DATABASE.format(port=port))
    current = os.path.join(out, "current")
    env = dict(os.environ, SEGFLOW_TEST_PGPASSWORD=postgres["SEGFLOW_TEST_PGPASSWORD"])
    loads, references = [], []
    for _ in range(args.runs):
        loads.append(run_pipeline(args, pipeline, out, env)["stage_seconds"]["database_load"])
        references.append(timed_reference_copy(postgres, os.path.realpath(os.path.join(current, "customers.csv"))))
    print(f"PostgreSQL, {args.customers_label}: segflow load (COPY, primary key, ANALYZE) {statistics.median(loads):.2f} s; "
          f"psql \\copy of customers.csv + the same key and ANALYZE {statistics.median(references):.2f} s; "
          f"ratio segflow / psql {statistics.median(loads) / statistics.median(references):.2f} (medians of {args.runs})")

    pipeline, out = write_pipeline(work, "export-bench-sqlite", args.data, SQLITE_DATABASE)
    current = os.path.join(out, "current")
    sqlite_loads, sqlite_references = [], []
    for _ in range(args.runs):
        sqlite_loads.append(run_pipeline(args, pipeline, out)["stage_seconds"]["database_load"])
        sqlite_references.append(timed_sqlite_import(os.path.join(out, "bench.sqlite"),
                                                     os.path.realpath(os.path.join(current, "customers.csv")), work))
    print(f"SQLite, {args.customers_label}: segflow load (staging table, rows, swap) {statistics.median(sqlite_loads):.2f} s; "
          f"sqlite3 .import of customers.csv into the same schema {statistics.median(sqlite_references):.2f} s; "
          f"ratio segflow / sqlite3 {statistics.median(sqlite_loads) / statistics.median(sqlite_references):.2f} "
          f"(medians of {args.runs})")


if __name__ == "__main__":
    main()
