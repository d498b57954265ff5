#!/usr/bin/env bash
# segflow ingest+clean+features+CSV export vs Polars and DuckDB on the same 10M-row file.
# Usage: Benchmarks/ingest-features.sh [--customers N] [--runs R] [--baseline BINARY] [--binary SEGFLOW]
# (--binary times that build instead of building release: the CI smoke run uses the debug one.)
# Prints per-tool median/min/max wall time, ratios to segflow and peak RSS, after checking
# that the three per-customer tables agree.
set -euo pipefail
cd "$(dirname "$0")/.."
customers=1000000
runs=3
baseline=()
segflow=""
while [ $# -gt 0 ]; do
  case "$1" in
    --customers) customers="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --baseline) baseline=(--baseline "$2"); shift 2 ;;
    --binary) segflow="$2"; shift 2 ;;
    *) echo "unknown option $1 (use --customers N, --runs R, --baseline BINARY, --binary SEGFLOW)" >&2; exit 64 ;;
  esac
done

scripts/install-deps
if [ -z "$segflow" ]; then
  swift build -c release --product segflow >/dev/null
  segflow=.build/release/segflow
fi
python=$(scripts/python-venv)

data=bench-data/transactions-${customers}.csv
if [ ! -f "$data" ]; then
  mkdir -p bench-data
  echo "generating $data with segflow sample --customers $customers --seed 7" >&2
  "$segflow" sample --customers "$customers" --seed 7 --out "$data"
fi

exec "$python" Benchmarks/compare.py --data "$data" --segflow "$segflow" --runs "$runs" "${baseline[@]}"
