"""The segflow per-customer feature table computed with Polars (lazy scan_csv -> group_by -> write_csv).

Same rules as Pipelines used by the benchmark: as_of = day after the newest row, dedupe by
(customer, order, is_return), returns netted, purchases = orders of non-negative rows.
Duplicates in `segflow sample` data are exact copies, so `unique(keep="any")` equals
segflow's keep-first here.
"""
import sys

import polars as pl

source, target = sys.argv[1], sys.argv[2]
day = 86400
rows = pl.scan_csv(source, schema_overrides={"customer_id": pl.Utf8, "order_id": pl.Utf8, "amount": pl.Float64}).select(
    "customer_id", "order_id", pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="ms").dt.epoch("s").alias("t"), "amount"
)
as_of_day = rows.select((pl.col("t").max() // day) + 1).collect().item()
rows = rows.filter(pl.col("t") < as_of_day * day).with_columns((pl.col("amount") < 0).alias("is_return"))
rows = rows.unique(subset=["customer_id", "order_id", "is_return"], keep="any")
spend = rows.group_by("customer_id").agg(pl.col("amount").sum().alias("monetary_total"))
orders = (
    rows.filter(~pl.col("is_return"))
    .group_by("customer_id", "order_id")
    .agg(pl.col("t").min())
    .sort("customer_id", "t")
    .with_columns((pl.col("t").diff().over("customer_id") / day).alias("gap"))
)
features = orders.group_by("customer_id").agg(
    pl.col("t").min().alias("first"),
    pl.col("t").max().alias("last"),
    pl.len().alias("frequency"),
    pl.col("gap").mean().alias("interpurchase_mean_days"),
    pl.col("gap").std(ddof=0).alias("interpurchase_std_days"),
)
table = features.join(spend, on="customer_id").select(
    "customer_id",
    (as_of_day - pl.col("last") // day).alias("recency_days"),
    "frequency",
    "monetary_total",
    (pl.col("monetary_total") / pl.col("frequency")).alias("monetary_mean"),
    (as_of_day - pl.col("first") // day).alias("tenure_days"),
    "interpurchase_mean_days",
    "interpurchase_std_days",
)
table.sink_csv(target)
