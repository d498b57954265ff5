#!/usr/bin/env bash
# segflow ingest+clean+features+CSV export vs Polars and DuckDB on the same 10M-row file.
# Usage: Benchmarks/ingest-features.sh [--customers N] [--runs R] [--baseline BINARY]
# Prints per-tool median/min/max wall time, ratios to segflow and peak RSS, after checking
# that the three per-customer tables agree.
set -euo pipefail
cd "$(dirname "$0")/.."
customers=1000000
runs=3
baseline=()
while [ $# -gt 0 ]; do
  case "$1" in
    --customers) customers="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --baseline) baseline=(--baseline "$2"); shift 2 ;;
    *) echo "unknown option $1 (use --customers N, --runs R, --baseline BINARY)" >&2; exit 64 ;;
  esac
done

scripts/install-deps
swift build -c release --product segflow >/dev/null
segflow=.build/release/segflow

venv=.build/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check polars duckdb
fi

data=bench-data/transactions-${customers}.csv
if [ ! -f "$data" ]; then
  mkdir -p bench-data
  echo "generating $data with segflow sample --customers $customers --seed 7" >&2
  "$segflow" sample --customers "$customers" --seed 7 --out "$data"
fi

exec "$venv/bin/python" Benchmarks/compare.py --data "$data" --segflow "$segflow" --runs "$runs" "${baseline[@]}"
