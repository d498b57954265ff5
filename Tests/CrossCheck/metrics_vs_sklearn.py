"""segflow's silhouette and classifier metrics against scikit-learn's (run by scripts/test).

- Silhouette: mean silhouette of every point (segflow's exact score, not its sample) on
  blobs of several shapes, labelled by scikit-learn's k-means and at random, to 1e-9.
- ROC AUC, log loss and Brier score: on scores with many ties (rounded to 2 decimals, where
  AUC must count a tie as half) and without, including probabilities of exactly 0 and 1
  (log loss clips them, as scikit-learn does at float64's machine epsilon), to 1e-9.
Usage: python metrics_vs_sklearn.py BINARY   (BINARY: the built numerics-driver)
"""
import os
import subprocess

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, silhouette_score

from crosscheck import binary, finish, report, work


rng = np.random.default_rng(5)
for rows, columns, k, labelling in ((600, 2, 3, "kmeans"), (1500, 5, 6, "kmeans"), (800, 3, 4, "random")):
    centres = rng.normal(scale=6, size=(k, columns))
    x = centres[rng.integers(0, k, size=rows)] + rng.normal(size=(rows, columns)) * rng.uniform(0.5, 3, size=columns)
    if labelling == "kmeans":
        labels = KMeans(n_clusters=k, n_init=3, random_state=0).fit(x).labels_
    else:
        labels = rng.integers(0, k, size=rows)
    data, label_file = os.path.join(work, "x.f64"), os.path.join(work, "labels.i32")
    x.astype(np.float64).tofile(data)
    labels.astype(np.int32).tofile(label_file)
    ours = float(subprocess.run([binary, "silhouette", data, str(rows), str(columns), label_file, str(k)], check=True,
                                capture_output=True, text=True).stdout)
    theirs = silhouette_score(x, labels)
    report(abs(ours - theirs) <= 1e-9, f"silhouette {rows}x{columns}, k={k}, {labelling} labels: segflow {ours:.9f}, "
           f"scikit-learn {theirs:.9f}")

for rows, decimals, extremes in ((5000, 2, False), (20000, None, False), (3000, 3, True)):
    truth = rng.uniform(size=rows)
    outcomes = rng.uniform(size=rows) < truth
    scores = np.clip(truth + rng.normal(scale=0.2, size=rows), 0.001, 0.999)
    if decimals is not None:
        scores = np.round(scores, decimals)
    if extremes:
        scores[:20] = 0.0
        scores[20:40] = 1.0
    probabilities, outcome_file = os.path.join(work, "p.f64"), os.path.join(work, "y.u8")
    scores.astype(np.float64).tofile(probabilities)
    outcomes.astype(np.uint8).tofile(outcome_file)
    ours = [float(value) for value in subprocess.run([binary, "classifier", probabilities, outcome_file, str(rows)],
                                                     check=True, capture_output=True, text=True).stdout.split()]
    theirs = [roc_auc_score(outcomes, scores), log_loss(outcomes, np.clip(scores, np.finfo(np.float64).eps,
                                                                           1 - np.finfo(np.float64).eps)),
              brier_score_loss(outcomes, scores)]
    difference = max(abs(a - b) for a, b in zip(ours, theirs))
    report(difference <= 1e-9, f"AUC, log loss, Brier on {rows} scores (decimals {decimals}, 0 and 1 present: {extremes}): "
           f"segflow {np.round(ours, 6)}, scikit-learn {np.round(theirs, 6)}, max |difference| {difference:.1e}")

finish()
