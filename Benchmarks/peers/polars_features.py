"""The segflow per-customer feature table computed with Polars: lazy scan_csv -> group_by -> sink_csv.

Same rules as segflow's benchmark pipeline: as_of = the day after the newest row; rows
deduplicated by (customer, order, is_return); returns netted into spend; a purchase is an
order of non-negative rows, dated by its earliest row; inter-purchase gaps in days with
population standard deviation. Duplicates in `segflow sample` data are exact copies, so
`unique(keep="any")` equals segflow's keep-first here. One lazy plan, one pass over the file.
"""
import sys

import polars as pl

source, target = sys.argv[1], sys.argv[2]
day = 86400
rows = (
    pl.scan_csv(source, schema_overrides={"customer_id": pl.Utf8, "order_id": pl.Utf8, "amount": pl.Float64})
    .select(
        "customer_id",
        "order_id",
        pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="ms").dt.epoch("s").alias("t"),
        "amount",
    )
    .with_columns(as_of=pl.col("t").max() // day + 1)
    .filter(pl.col("t") < pl.col("as_of") * day)
    .with_columns(is_return=pl.col("amount") < 0)
    .unique(subset=["customer_id", "order_id", "is_return"], keep="any")
)
per_order = rows.group_by("customer_id", "order_id", "is_return").agg(
    pl.col("t").min(), pl.col("amount").sum(), pl.col("as_of").first()
)
purchase_time = pl.col("t").filter(~pl.col("is_return"))
features = (
    per_order.group_by("customer_id")
    .agg(
        monetary_total=pl.col("amount").sum(),
        first=purchase_time.min(),
        last=purchase_time.max(),
        frequency=(~pl.col("is_return")).sum(),
        gaps=purchase_time.sort().diff().drop_nulls() / day,
        as_of=pl.col("as_of").first(),
    )
    .filter(pl.col("frequency") > 0)
)
features.select(
    "customer_id",
    (pl.col("as_of") - pl.col("last") // day).alias("recency_days"),
    "frequency",
    "monetary_total",
    (pl.col("monetary_total") / pl.col("frequency")).alias("monetary_mean"),
    (pl.col("as_of") - pl.col("first") // day).alias("tenure_days"),
    pl.col("gaps").list.mean().alias("interpurchase_mean_days"),
    pl.col("gaps").list.std(ddof=0).alias("interpurchase_std_days"),
).sink_csv(target)
