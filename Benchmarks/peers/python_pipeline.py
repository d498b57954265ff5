"""The nightly job of Pipelines/retail.yaml written with the Python stack a data scientist
would reach for: Polars for cleaning and features, scikit-learn for k-means, the silhouette
and the logistic churn model, lifetimes for BG/NBD and Gamma-Gamma, pandas + sqlite3 for the
load. Benchmarks/pipeline.py runs it beside `segflow run` and checks that they agree.

Usage: python_pipeline.py TRANSACTIONS.csv OUT_DIR
Writes OUT_DIR/customers.csv, OUT_DIR/segments.sqlite (table customers) and prints one JSON
object: wall seconds per stage, the chosen k, and the churn classifier's holdout ROC AUC.

The definitions are segflow's (docs/pipeline-file.md, docs/segmentation.md, docs/churn.md):
- clean: as_of = the day after the newest row; positive amounts capped at their 99.9th
  percentile (numpy's linear interpolation); a customer's repeated (order id, is return) is a
  duplicate; returns lower spend but are not purchases;
- features: recency, frequency, monetary total and mean, tenure, inter-purchase mean and
  population standard deviation, as Benchmarks/peers/polars_features.py;
- RFM: score = 1 + floor(5 b / n), b the customers with a worse value; the segment grid of
  docs/segmentation.md;
- k-means: log1p recency and frequency, signed log1p monetary mean, z-scored; k = 3..8, four
  k-means++ starts each, seed 42; silhouette on a sample of 10,000; the best silhouette wins
  (segflow prefers the smallest k within 0.01 of the best, so the two may choose differently);
- BG/NBD and Gamma-Gamma fitted in weeks on (x, t_x, T) from purchase days, T to the day
  before as_of; CLV over 12 months at 1% a month, margin 0.3; a customer whose mean repeat
  spend is not positive is given the population mean spend (segflow's guard);
- churn: status-based population (new, or within two of their own mean gaps, or 90 days) at
  each snapshot; logistic regression (C = 1, standardised features) trained at
  as_of - 180 days, evaluated at as_of - 90, refitted there and scored at as_of.
"""
import json
import os
import sqlite3
import sys
import time

import numpy as np
import pandas as pd
import polars as pl

DAY = 86400
HORIZON = 90
RFM_GRID = {  # (r, f) -> segment; rows r = 5..1, columns f = 1..5, as docs/segmentation.md
    5: ["Recent first-timers", "Potential loyalists", "Potential loyalists", "Champions", "Champions"],
    4: ["Promising", "Potential loyalists", "Potential loyalists", "Regulars", "Regulars"],
    3: ["About to sleep", "About to sleep", "Need attention", "Regulars", "Regulars"],
    2: ["Hibernating", "Hibernating", "Fading regulars", "Fading regulars", "Can't lose them"],
    1: ["Gone cold", "Hibernating", "Fading regulars", "Fading regulars", "Can't lose them"],
}


class Stages:
    """Wall seconds per stage, in order."""

    def __init__(self):
        self.seconds, self.last = {}, time.perf_counter()

    def done(self, name):
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self.last
        self.last = now


def to_pandas(frame):
    """Column by column through numpy (polars' own to_pandas needs pyarrow)."""
    return pd.DataFrame({name: frame[name].to_numpy() for name in frame.columns})


def read(path):
    return pl.read_csv(
        path, columns=["customer_id", "order_id", "ts", "amount"],
        schema_overrides={"customer_id": pl.Utf8, "order_id": pl.Utf8, "amount": pl.Float64})


def clean(raw):
    rows = raw.select(
        "customer_id", "order_id",
        pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="ms").dt.epoch("s").alias("t"), "amount")
    as_of = int(rows["t"].max()) // DAY + 1
    cap = float(np.quantile(rows.filter(pl.col("amount") > 0)["amount"].to_numpy(), 0.999))
    rows = (rows.with_columns(amount=pl.when(pl.col("amount") > cap).then(cap).otherwise(pl.col("amount")),
                              is_return=pl.col("amount") < 0)
            .unique(subset=["customer_id", "order_id", "is_return"], keep="first", maintain_order=True))
    return rows, as_of


def features(rows, as_of):
    """The feature table of the customers with a purchase before `as_of` (a day number)."""
    known = rows.filter(pl.col("t") < as_of * DAY)
    per_order = known.group_by("customer_id", "order_id", "is_return").agg(pl.col("t").min(), pl.col("amount").sum())
    purchase_time = pl.col("t").filter(~pl.col("is_return"))
    table = (
        per_order.group_by("customer_id")
        .agg(monetary_total=pl.col("amount").sum(), first=purchase_time.min(), last=purchase_time.max(),
             frequency=(~pl.col("is_return")).sum(), gaps=purchase_time.sort().diff().drop_nulls() / DAY)
        .filter(pl.col("frequency") > 0)
        .sort("customer_id")
    )
    return table.select(
        "customer_id",
        (as_of - pl.col("last") // DAY).alias("recency_days"),
        "frequency",
        "monetary_total",
        (pl.col("monetary_total") / pl.col("frequency")).alias("monetary_mean"),
        (as_of - pl.col("first") // DAY).alias("tenure_days"),
        pl.col("gaps").list.mean().alias("interpurchase_mean_days"),
        pl.col("gaps").list.std(ddof=0).alias("interpurchase_std_days"),
    )


def score(values, higher_is_better=True, bins=5):
    """1 + floor(bins * b / n), b the number of customers with a worse value."""
    ordered = np.sort(values)
    worse = np.searchsorted(ordered, values, "left") if higher_is_better else len(values) - np.searchsorted(ordered, values, "right")
    return 1 + (bins * worse) // len(values)


def rfm(table):
    r = score(table["recency_days"].to_numpy(), higher_is_better=False)
    f = score(table["frequency"].to_numpy())
    m = score(table["monetary_total"].to_numpy())
    grid = np.array([RFM_GRID[row] for row in (1, 2, 3, 4, 5)], dtype=object)
    return table.with_columns(r_score=pl.Series(r), f_score=pl.Series(f), m_score=pl.Series(m),
                              rfm_segment=pl.Series(grid[r - 1, f - 1].tolist()))


def active_population(table):
    """Status new, active or loyal: first purchase within 30 days, or last purchase within two
    of the customer's own mean gaps (3+ purchases, the base's median gap counted as one more,
    at least 7 days) or else 90 days."""
    tenure, recency = table["tenure_days"].to_numpy(), table["recency_days"].to_numpy()
    purchases = table["frequency"].to_numpy()
    span = (tenure - recency).astype(float)
    rhythmic = purchases >= 3
    mean_gap = span[rhythmic] / (purchases[rhythmic] - 1)
    bound = np.full(len(tenure), 90.0)
    if mean_gap.size:
        typical = float(np.median(mean_gap))
        bound[rhythmic] = 2 * np.maximum((span[rhythmic] + typical) / purchases[rhythmic], 7.0)
    return (tenure <= 30) | (recency <= bound)


def kmeans(table, stages):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    mean = table["monetary_mean"].to_numpy()
    x = np.column_stack([np.log1p(table["recency_days"].to_numpy()), np.log1p(table["frequency"].to_numpy()),
                         np.sign(mean) * np.log1p(np.abs(mean))])
    x = StandardScaler().fit_transform(x)
    best = None
    for k in range(3, 9):
        model = KMeans(n_clusters=k, n_init=4, random_state=42).fit(x)
        silhouette = silhouette_score(x, model.labels_, sample_size=min(10_000, len(x)), random_state=42)
        if best is None or silhouette > best[0]:
            best = (silhouette, k, model.labels_)
    stages.done("cluster")
    return best[1], best[2]


def repeat_summary(rows, as_of):
    """lifetimes' (frequency, recency, T, monetary_value) in weeks from purchase days before
    `as_of`: same-day rows are one purchase, returns lower their day's total."""
    days = (rows.filter(pl.col("t") < as_of * DAY)
            .with_columns(day=pl.col("t") // DAY)
            .group_by("customer_id", "day")
            .agg(total=pl.col("amount").sum(), purchase=(~pl.col("is_return")).any())
            .sort("customer_id", "day"))
    # A return on a day without a purchase lowers the latest purchase day before it.
    days = (days.with_columns(run=pl.col("purchase").cast(pl.Int32).cum_sum().over("customer_id"))
            .filter(pl.col("run") > 0)
            .group_by("customer_id", "run").agg(pl.col("day").first(), pl.col("total").sum()))
    return (days.sort("customer_id", "day").group_by("customer_id", maintain_order=True)
            .agg(frequency=pl.len() - 1, first=pl.col("day").first(), last=pl.col("day").last(),
                 repeat_total=pl.col("total").slice(1).sum())
            .select("customer_id", "frequency",
                    recency=(pl.col("last") - pl.col("first")) / 7.0,
                    T=(as_of - 1 - pl.col("first")) / 7.0,
                    monetary_value=pl.when(pl.col("frequency") > 0)
                    .then(pl.col("repeat_total") / pl.col("frequency")).otherwise(0.0))
            .pipe(to_pandas).set_index("customer_id"))


def purchase_model(summary):
    from lifetimes import BetaGeoFitter
    return BetaGeoFitter(penalizer_coef=0.0).fit(summary["frequency"], summary["recency"], summary["T"])


def classifier_features(table, summary, model):
    joined = summary.reindex(table["customer_id"].to_list())
    known = joined["frequency"].notna().to_numpy()
    alive = np.ones(len(joined))
    expected = np.zeros(len(joined))
    x, tx, t = (joined[name].to_numpy()[known] for name in ("frequency", "recency", "T"))
    alive[known] = model.conditional_probability_alive(x, tx, t)
    expected[known] = model.conditional_expected_number_of_purchases_up_to_time(HORIZON / 7, x, tx, t)
    log1p = lambda values: np.log1p(np.maximum(values, 0))  # noqa: E731
    return np.column_stack([
        log1p(table["recency_days"].to_numpy()), log1p(table["frequency"].to_numpy()),
        log1p(table["monetary_total"].to_numpy()), log1p(table["monetary_mean"].to_numpy()),
        log1p(table["tenure_days"].to_numpy()), alive, log1p(expected)]), alive, expected


def labelled_window(rows, day):
    """Features at `day` of the active population, and whether each made no purchase in the
    following horizon."""
    table = features(rows, day)
    summary = repeat_summary(rows, day)
    x, _, _ = classifier_features(table, summary, purchase_model(summary))
    bought = rows.filter((pl.col("t") >= day * DAY) & (pl.col("t") < (day + HORIZON) * DAY) & ~pl.col("is_return"))["customer_id"]
    churned = (~table["customer_id"].is_in(bought.unique().implode())).to_numpy()
    active = active_population(table)
    return x[active], churned[active]


def churn(rows, as_of, table, stages):
    from lifetimes import GammaGammaFitter
    from lifetimes.utils import _customer_lifetime_value
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    summary = repeat_summary(rows, as_of)
    model = purchase_model(summary)
    repeaters = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    spend = GammaGammaFitter(penalizer_coef=0.0).fit(repeaters["frequency"], repeaters["monetary_value"])
    p, q, gamma = spend.params_["p"], spend.params_["q"], spend.params_["v"]
    positive = summary["monetary_value"] > 0
    expected_spend = spend.conditional_expected_average_profit(
        summary["frequency"].where(positive, 0), summary["monetary_value"].where(positive, 1.0))
    clv = _customer_lifetime_value(model, summary["frequency"], summary["recency"], summary["T"], expected_spend,
                                   time=12, discount_rate=0.01, freq="W") * 0.3
    x, alive, expected = classifier_features(table, summary, model)

    train_x, train_y = labelled_window(rows, as_of - 2 * HORIZON)
    test_x, test_y = labelled_window(rows, as_of - HORIZON)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    auc = roc_auc_score(test_y, classifier.fit(train_x, train_y).predict_proba(test_x)[:, 1])
    probability = classifier.fit(test_x, test_y).predict_proba(x)[:, 1]
    probability[~active_population(table)] = np.nan
    stages.done("churn")
    return table.with_columns(
        p_alive=pl.Series(alive), expected_purchases=pl.Series(expected),
        clv=pl.Series(clv.reindex(table["customer_id"].to_list()).to_numpy()),
        churn_probability=pl.Series(probability, nan_to_null=True)), auc


def main():
    source, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    stages = Stages()
    raw = read(source)
    stages.done("ingest")
    rows, as_of = clean(raw)
    del raw
    stages.done("clean")
    table = features(rows, as_of)
    stages.done("features")
    table = rfm(table)
    stages.done("segment")
    k, labels = kmeans(table, stages)
    table = table.with_columns(cluster=pl.Series(labels))
    table, auc = churn(rows, as_of, table, stages)
    table.write_csv(os.path.join(out, "customers.csv"))
    stages.done("export")
    database = os.path.join(out, "segments.sqlite")
    with sqlite3.connect(database) as connection:
        to_pandas(table).to_sql("customers", connection, if_exists="replace", index=False, chunksize=100_000)
    stages.done("database_load")
    print(json.dumps({"stage_seconds": stages.seconds, "k": k, "roc_auc": auc,
                      "customers": table.height, "as_of_day": as_of}))


if __name__ == "__main__":
    main()
