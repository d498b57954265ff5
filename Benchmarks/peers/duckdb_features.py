"""The segflow per-customer feature table computed with DuckDB: one COPY (SELECT ... GROUP BY) TO.

Same rules as polars_features.py (see there).
"""
import sys

import duckdb

source, target = sys.argv[1], sys.argv[2]
duckdb.sql(f"""
COPY (
  WITH raw AS (
    SELECT customer_id, order_id, epoch(ts)::BIGINT AS t, amount
    FROM read_csv('{source}', header = true,
                  columns = {{'customer_id': 'VARCHAR', 'order_id': 'VARCHAR', 'ts': 'TIMESTAMP', 'amount': 'DOUBLE', 'channel': 'VARCHAR',
                             'category': 'VARCHAR', 'quantity': 'BIGINT', 'cost': 'DOUBLE'}})
  ),
  as_of AS (SELECT max(t) // 86400 + 1 AS day FROM raw),
  rows AS (
    SELECT customer_id, order_id, amount < 0 AS is_return, any_value(t) AS t, any_value(amount) AS amount
    FROM raw, as_of WHERE t < as_of.day * 86400
    GROUP BY customer_id, order_id, is_return
  ),
  spend AS (SELECT customer_id, sum(amount) AS monetary_total FROM rows GROUP BY customer_id),
  orders AS (
    SELECT customer_id, min(t) AS t FROM rows WHERE NOT is_return GROUP BY customer_id, order_id
  ),
  gaps AS (
    SELECT customer_id, t, (t - lag(t) OVER (PARTITION BY customer_id ORDER BY t)) / 86400.0 AS gap FROM orders
  ),
  features AS (
    SELECT customer_id, min(t) AS first, max(t) AS last, count(*) AS frequency,
           avg(gap) AS interpurchase_mean_days, stddev_pop(gap) AS interpurchase_std_days
    FROM gaps GROUP BY customer_id
  )
  SELECT f.customer_id, as_of.day - f.last // 86400 AS recency_days, f.frequency, s.monetary_total,
         s.monetary_total / f.frequency AS monetary_mean, as_of.day - f.first // 86400 AS tenure_days,
         f.interpurchase_mean_days, f.interpurchase_std_days
  FROM features f JOIN spend s USING (customer_id), as_of
) TO '{target}' (HEADER, DELIMITER ',')
""")
