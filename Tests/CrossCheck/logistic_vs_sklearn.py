"""segflow's L2 logistic regression against scikit-learn's on the same data (run by scripts/test).

Same data, same L2 strength (C), same standardisation (StandardScaler, population variance):
every coefficient and the intercept must agree to 1e-4.
Usage: python logistic_vs_sklearn.py BINARY   (BINARY: the built numerics-driver)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

binary = sys.argv[1]
work = tempfile.mkdtemp(prefix="segflow-crosscheck-")
results = []

rng = np.random.default_rng(11)
# 150,000 rows: large enough for the warm start from a sample.
for rows, columns, c in ((5000, 4, 1.0), (20000, 10, 0.1), (3000, 6, 100.0), (150000, 8, 1.0)):
    x = rng.normal(size=(rows, columns)) * rng.uniform(0.5, 20, size=columns) + rng.uniform(-5, 5, size=columns)
    truth = rng.normal(size=columns)
    logits = 0.3 + ((x - x.mean(0)) / x.std(0)) @ truth
    y = rng.uniform(size=rows) < 1 / (1 + np.exp(-logits))
    data, labels = os.path.join(work, "x.f64"), os.path.join(work, "y.u8")
    x.astype(np.float64).tofile(data)
    y.astype(np.uint8).tofile(labels)
    out = subprocess.run([binary, "logistic", data, str(rows), str(columns), labels, str(c)],
                         check=True, capture_output=True, text=True).stdout.split()
    ours = np.array([float(v) for v in out[1:]])
    reference = LogisticRegression(C=c, tol=1e-12, max_iter=10000).fit(StandardScaler().fit_transform(x), y)
    theirs = np.concatenate([reference.intercept_, reference.coef_[0]])
    difference = np.abs(ours - theirs).max()
    ok = difference <= 1e-4
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} logistic {rows}x{columns}, C={c}: max |coefficient difference| {difference:.1e}", flush=True)

failed = results.count(False)
print(f"crosscheck: {len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
