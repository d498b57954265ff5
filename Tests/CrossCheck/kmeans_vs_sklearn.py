"""segflow's k-means against scikit-learn's on the same data (run by scripts/test).

Checks, with the tolerances of issue "Segmentation core":
  1. same data, same initial centres, lloyd: final inertia equal to 1e-6 relative;
  2. k-means++ with 10 restarts: segflow's best inertia within 1% of scikit-learn's;
  3. seeded well-separated blobs: adjusted Rand index against the truth >= 0.99;
  4. the same in float32;
  5. the pipeline's CustomerClustering (log1p, z-scores, robust scaling, a weight, float32):
     its matrix equals scikit-learn's preprocessing, and its clusters scikit-learn's.
Usage: python kmeans_vs_sklearn.py BINARY   (BINARY: the built numerics-driver)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

binary = sys.argv[1]
work = tempfile.mkdtemp(prefix="segflow-crosscheck-")
results = []


def check(name, ok, detail):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)


def segflow(mode, x, *arguments):
    """Runs numerics-driver; returns (inertia, iterations, labels)."""
    data, labels = os.path.join(work, "x.f64"), os.path.join(work, "labels.i32")
    x.astype(np.float64).tofile(data)
    out = subprocess.run([binary, mode, data, str(x.shape[0]), str(x.shape[1]), *map(str, arguments), labels],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]), np.fromfile(labels, dtype=np.int32)


def lloyd(x, centers, dtype, tol):
    init = os.path.join(work, "c.f64")
    centers.astype(np.float64).tofile(init)
    return segflow("lloyd", x, init, centers.shape[0], dtype, 300, tol)


# 1. Same start, float64: overlapping clusters so Lloyd takes many iterations.
x, _ = make_blobs(n_samples=20000, n_features=4, centers=7, cluster_std=2.5, random_state=3)
start = x[np.random.default_rng(0).choice(len(x), size=7, replace=False)]
ours, our_iterations, _ = lloyd(x, start, "float64", 1e-4)
theirs = KMeans(n_clusters=7, init=start, n_init=1, algorithm="lloyd", tol=1e-4, max_iter=300).fit(x)
relative = abs(ours - theirs.inertia_) / theirs.inertia_
check("same start, float64", relative <= 1e-6,
      f"inertia {ours:.10g} vs {theirs.inertia_:.10g} (rel {relative:.1e}), iterations {our_iterations} vs {theirs.n_iter_}")

# 2. k-means++ with 10 restarts.
ours_best, _, _ = segflow("best", x, 7, "float64", 10, 42)
theirs_best = KMeans(n_clusters=7, n_init=10, algorithm="lloyd", random_state=42).fit(x).inertia_
relative = (ours_best - theirs_best) / theirs_best
check("k-means++, n_init=10", relative <= 0.01, f"best inertia {ours_best:.10g} vs {theirs_best:.10g} ({relative:+.2%})")

# 3. Well-separated blobs: the truth is recovered.
blobs, truth = make_blobs(n_samples=30000, n_features=5, centers=6, cluster_std=1.0, center_box=(-40, 40), random_state=7)
ours_pp, _, labels = segflow("best", blobs, 6, "float64", 10, 7)
ari = adjusted_rand_score(truth, labels)
check("blobs, adjusted Rand index", ari >= 0.99, f"ARI {ari:.4f} (k-means++, 10 restarts)")
reference = KMeans(n_clusters=6, n_init=10, random_state=7).fit(blobs).inertia_
check("blobs, k-means++ inertia", abs(ours_pp - reference) / reference <= 0.01, f"{ours_pp:.10g} vs {reference:.10g}")

# 4. float32 from the same start.
x32 = x.astype(np.float32)
ours32, _, _ = lloyd(x32, start, "float32", 1e-4)
theirs32 = KMeans(n_clusters=7, init=start.astype(np.float32), n_init=1, algorithm="lloyd", tol=1e-4).fit(x32).inertia_
relative = abs(ours32 - theirs32) / theirs32
check("same start, float32", relative <= 1e-4, f"inertia {ours32:.8g} vs {theirs32:.8g} (rel {relative:.1e})")

# 5. The pipeline's path (CustomerClustering): log1p and z-scores as StandardScaler does them,
#    robust scaling as (x - median) / IQR with numpy's percentiles, a weight of 2, float32.
#    Customers drawn around four centres in the transformed space, then mapped back to days,
#    purchase counts and mean spend, so the clusters are there to be found.
rng = np.random.default_rng(3)
centres = np.array([[1.0, 0.3, 20.0], [4.0, 0.5, 60.0], [2.5, 2.0, 35.0], [5.5, 1.5, 90.0]])
assignment = rng.integers(0, 4, size=8000)
drawn = centres[assignment] + rng.normal(size=(8000, 3)) * np.array([0.25, 0.15, 4.0])
raw = np.column_stack([np.maximum(np.round(np.expm1(drawn[:, 0])), 0), np.maximum(np.round(np.expm1(drawn[:, 1])), 1), drawn[:, 2]])
features_file, labels_file = os.path.join(work, "customers.f64"), os.path.join(work, "customers.i32")
raw.astype(np.float64).tofile(features_file)
out = subprocess.run([binary, "customers", features_file, str(len(raw)), "4", labels_file], check=True, capture_output=True,
                     text=True).stdout.split()
ours_inertia, ours_labels = float(out[0]), np.fromfile(labels_file, dtype=np.int32)
logged = StandardScaler().fit_transform(np.log1p(raw[:, :2]))
q25, median, q75 = np.percentile(raw[:, 2], [25, 50, 75])
matrix = np.column_stack([logged, (raw[:, 2] - median) / (q75 - q25) * 2]).astype(np.float32)
ours_by_hand = sum(float(((matrix[ours_labels == c] - matrix[ours_labels == c].mean(0)) ** 2).sum()) for c in range(4))
relative = abs(ours_inertia - ours_by_hand) / ours_by_hand
check("customer clustering: the same scaled matrix", relative <= 1e-4,
      f"inertia of segflow's labels {ours_inertia:.8g}, recomputed on scikit-learn's scaling {ours_by_hand:.8g} (rel {relative:.1e})")
reference = KMeans(n_clusters=4, n_init=10, random_state=0).fit(matrix)
ari = adjusted_rand_score(reference.labels_, ours_labels)
check("customer clustering: the same clusters", ari >= 0.99 and ours_inertia <= reference.inertia_ * (1 + 1e-4),
      f"ARI {ari:.4f} against scikit-learn's KMeans (n_init=10); inertia {ours_inertia:.8g} vs {reference.inertia_:.8g}")

failed = results.count(False)
print(f"crosscheck: {len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
