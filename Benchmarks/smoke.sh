#!/usr/bin/env bash
# Every benchmark script at a tiny size, with the debug build and the pinned venv, so that
# the scripts cannot rot: scripts/test runs this. The figures mean nothing at this size;
# what counts is that each script runs to the end and its own agreement checks pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build --show-bin-path)
python=$(scripts/python-venv)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/segflow" sample --customers 2000 --seed 7 --out "$work/transactions.csv" --surveys "$work/surveys.csv" \
  --customers-file "$work/customers.csv" --referrals "$work/referrals.csv" >/dev/null

run() {
  echo "== $*" >&2
  "$@" >"$work/output.txt" 2>&1 || { cat "$work/output.txt" >&2; echo "benchmark smoke run failed: $*" >&2; exit 1; }
}
run Benchmarks/ingest-features.sh --customers 2000 --runs 1 --binary "$bin/segflow"
run "$python" Benchmarks/export.py --data "$work/transactions.csv" --runs 1 --binary "$bin/segflow"
run "$python" Benchmarks/kmeans.py --rows 2000 --runs 1 --features 5 --k 8 --dtypes float32 --binary "$bin/numerics-driver"
run "$python" Benchmarks/crm_inputs.py --data "$work/transactions.csv" --surveys "$work/surveys.csv" \
  --customers-file "$work/customers.csv" --referrals "$work/referrals.csv" --runs 1 --binary "$bin/segflow"
run "$python" Benchmarks/pipeline.py --data "$work/transactions.csv" --runs 1 --binary "$bin/segflow"
run "$python" Benchmarks/churn.py --data "$work/transactions.csv" --runs 1 --binary "$bin/numerics-driver"
echo "benchmark scripts: all ran" >&2
