"""What the CRM inputs cost: the same nightly pipeline with and without the order lines and
the survey answers, in one run, interleaved.

Usage (after `swift build -c release --product segflow`):
    python3 Benchmarks/crm_inputs.py [--data bench-data/transactions-1000000.csv]
        [--surveys bench-data/surveys-1000000.csv] [--customers-file bench-data/customers-1000000.csv]
        [--referrals bench-data/referrals-1000000.csv] [--runs 3]
The data must come from `segflow sample --surveys ... --customers-file ... --referrals ...` (the
transactions have category, quantity and cost columns).

Both pipelines read the same file and run the same stages as Pipelines/retail.yaml and
Pipelines/retail-crm.yaml (segment with k-means, churn with the logistic model, no database);
the second maps category, channel, quantity and cost and adds the features they give, value
tiers on profit, the loyalty quadrant, category affinity, with --surveys the survey
answers (NPS per customer and per group, the loyalty type) and with --customers-file the
customers' attributes and the prospects who never bought, with --referrals the referral
value and cascades. Each pipeline runs `--runs`
times, alternating; the script prints per-stage and total wall-time medians (run.json),
peak RSS (wait4), the ratios, and checks that the customers both runs share agree on the
columns both compute.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from compare import cpu_description, print_stage_medians  # noqa: E402

COMMON = """inputs:
  transactions:
    path: {data}
    columns: {{customer: customer_id, order: order_id, time: ts, amount: amount{lines}}}
{channels}{surveys}{customers}{referrals}clean: {{dedupe: order, returns: net, max_rejected: 0.1%, winsorize: 0.999}}
features: [recency, frequency, monetary, tenure, interpurchase{groups}]
segment:
  value: {{measure: {measure}}}
{quadrant}  kmeans:
    features:
      - {{name: recency_days, transform: log1p}}
      - {{name: frequency, transform: log1p}}
      - {{name: monetary_mean, transform: signed_log1p}}
    k: auto
    k_range: [3, 8]
    seed: 42
{affinity}churn: {{model: logistic, horizon: 90d}}
outputs:
  directory: {out}
  keep_runs: 1
  files:
    - customers: customers.csv
{affinity_file}"""


def pipeline(work, name, data, with_lines, surveys, customers, referrals):
    out = os.path.join(work, f"{name}-out")
    text = "name: " + name + "\n" + COMMON.format(
        data=os.path.abspath(data), out=out,
        lines=", category: category, channel: channel, quantity: quantity, cost: cost" if with_lines else "",
        channels='    channels: [web, store, "app, mobile", phone]\n' if with_lines else "",
        surveys=(f"  surveys:\n    path: {os.path.abspath(surveys)}\n"
                 "    columns: {customer: customer_id, time: answered_at, nps: nps, expectation: expectation, perception: perception}\n")
        if with_lines and surveys else "",
        customers=(f"  customers:\n    path: {os.path.abspath(customers)}\n    customer: customer_id\n    signup: signup_date\n"
                   "    time_format: date\n    attributes:\n      - {column: region, kind: category}\n"
                   "      - {column: customer_type, kind: category, values: [consumer, business, government]}\n"
                   "      - {column: age_band, kind: category}\n      - {column: newsletter, kind: flag}\n")
        if with_lines and customers else "",
        referrals=(f"  referrals:\n    path: {os.path.abspath(referrals)}\n"
                   "    columns: {referrer: referrer_id, referred: referred_id, time: referred_at}\n")
        if with_lines and referrals else "",
        groups=", categories, channels, profit, units" if with_lines else "",
        measure="profit" if with_lines else "historical",
        quadrant="  quadrant: {value_share: 0.5}\n" if with_lines else "",
        affinity="affinity: {min_customers: 10}\n" if with_lines else "",
        affinity_file="    - affinity: category_affinity.csv\n" if with_lines else "")
    path = os.path.join(work, f"{name}.yaml")
    with open(path, "w") as handle:
        handle.write(text)
    return path, out


def timed_run(binary, path, out):
    begin = time.perf_counter()
    process = subprocess.Popen([binary, "run", path, "--log-level", "quiet"])
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - begin
    if status != 0:
        sys.exit(f"segflow run {path} failed with status {status}")
    with open(os.path.join(out, "current", "run.json")) as handle:
        stages = json.load(handle)["stage_seconds"]
    return elapsed, usage.ru_maxrss / 1024, stages


def check_agreement(plain_out, lines_out):
    """The columns both pipelines compute are equal for every customer."""
    def read(out):
        with open(os.path.join(out, "current", "customers.csv"), newline="") as handle:
            return {row["customer_id"]: row for row in csv.DictReader(handle)}
    plain, lines = read(plain_out), read(lines_out)
    lines = {customer: row for customer, row in lines.items() if row.get("status") != "prospect"}
    if plain.keys() != lines.keys():
        sys.exit("the two pipelines have different customers")
    shared = ["frequency", "recency_days", "monetary_total", "tenure_days", "r_score", "f_score", "status", "p_alive", "clv"]
    for customer, row in plain.items():
        for column in shared:
            if row[column] != lines[customer][column]:
                sys.exit(f"customer {customer}: {column} is {row[column]} without the inputs, {lines[customer][column]} with them")
    return len(plain)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="bench-data/transactions-1000000.csv")
    parser.add_argument("--surveys", default=None, help="survey answers from segflow sample --surveys")
    parser.add_argument("--customers-file", default=None, help="the customers file from segflow sample --customers-file")
    parser.add_argument("--referrals", default=None, help="the referral log from segflow sample --referrals")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default=".build/release/segflow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        runs = {name: pipeline(work, name, args.data, name == "with-inputs", args.surveys, args.customers_file, args.referrals) for name in ("plain", "with-inputs")}
        figures = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, (path, out) in runs.items():
                figures[name].append(timed_run(args.binary, path, out))
        customers = check_agreement(runs["plain"][1], runs["with-inputs"][1])
    print(f"CPU: {cpu_description()}")
    inputs = ", ".join([args.data] + [path for path in (args.surveys, args.customers_file, args.referrals) if path])
    print(f"data: {inputs}; {customers:,} customers who bought; medians of {args.runs} interleaved runs")
    print_stage_medians([("plain", figures["plain"]), ("with inputs", figures["with-inputs"])],
                        ratio=lambda plain, with_inputs: with_inputs / plain)


if __name__ == "__main__":
    main()
