"""Time per Lloyd iteration: segflow vs scikit-learn (lloyd, and elkan) vs faiss-cpu, same data, same start.

Usage (from the repository root, after `swift build -c release --product numerics-driver`):
    $(scripts/python-venv) Benchmarks/kmeans.py [--rows 1000000] [--runs 3]
Every configuration of rows x {5, 32} features x k {8, 64} x {float32, float64} is fitted from
the same k starting rows (tol = 0) by each tool twice, for 5 and for 20 iterations; the time
per iteration is the difference of the two fit times over the difference of the iterations
run, so set-up (validation, centring, copies) is not counted for anyone. Median over runs.

segflow's Lloyd keeps distance bounds per row (Hamerly's), so after the first iterations most
rows skip the distance step; scikit-learn's `elkan` does the same with k bounds per row. Its
column is the like-for-like comparison; the issue's target is against `lloyd`.

OpenBLAS picks its kernels from the CPU model. scikit-learn's bundled OpenBLAS knows this
machine's CPU (SkylakeX kernels, AVX-512); Debian's older one falls back to "Prescott", so
segflow starts again with OPENBLAS_CORETYPE set to the family the CPU has
(LinearAlgebra/BLASKernels). Both sides thus run AVX-512 kernels; the header line prints
the families. Setting OPENBLAS_CORETYPE by hand applies to every tool alike.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np  # noqa: E402

SHORT, LONG = 5, 20


def features(rows, columns, seed):
    """Standardized features drawn from a 12-component Gaussian mixture."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(12, columns))
    x = centers[rng.integers(0, 12, size=rows)] + rng.normal(size=(rows, columns))
    return (x - x.mean(axis=0)) / x.std(axis=0)


def per_iteration(fit):
    """(seconds, iterations) of fit(SHORT) and fit(LONG) -> seconds per extra iteration.
    A first, untimed fit warms caches, thread pools and allocators."""
    fit(SHORT)
    short_seconds, short_iterations = fit(SHORT)
    long_seconds, long_iterations = fit(LONG)
    if long_iterations <= short_iterations:
        raise SystemExit("converged before the long run; use more rows")
    return (long_seconds - short_seconds) / (long_iterations - short_iterations)


def segflow(binary, x, start, dtype, work):
    data, init, labels = (os.path.join(work, name) for name in ("x.f64", "c.f64", "labels.i32"))
    x.astype(np.float64).tofile(data)
    start.astype(np.float64).tofile(init)

    def fit(iterations):
        out = subprocess.run([binary, "lloyd", data, str(x.shape[0]), str(x.shape[1]), init, str(start.shape[0]), dtype,
                              str(iterations), "0", labels], check=True, capture_output=True, text=True).stdout.split()
        return float(out[2]), int(out[1])
    return per_iteration(fit)


def sklearn(x, start, dtype, algorithm):
    from sklearn.cluster import KMeans
    data = x.astype(dtype)

    def fit(iterations):
        begin = time.perf_counter()
        model = KMeans(n_clusters=start.shape[0], init=start.astype(dtype), n_init=1, max_iter=iterations, tol=0,
                       algorithm=algorithm).fit(data)
        return time.perf_counter() - begin, model.n_iter_
    return per_iteration(fit)


def faiss_kmeans(x, start):
    import faiss
    data = np.ascontiguousarray(x.astype(np.float32))
    k = start.shape[0]

    def fit(iterations):
        # faiss samples 256 points per centroid by default: make it train on all n.
        model = faiss.Kmeans(x.shape[1], k, niter=iterations, max_points_per_centroid=x.shape[0] // k + 1, seed=1,
                             verbose=False)
        begin = time.perf_counter()
        model.train(data, init_centroids=np.ascontiguousarray(start.astype(np.float32)))
        return time.perf_counter() - begin, iterations
    return per_iteration(fit)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default=".build/release/numerics-driver")
    parser.add_argument("--features", type=int, nargs="+", default=[5, 32])
    parser.add_argument("--k", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="segflow-kmeans-")
    from sklearn.cluster import KMeans  # noqa: F401  (loads scikit-learn's OpenBLAS, for the line below)
    from threadpoolctl import threadpool_info
    sklearn_kernels = sorted({pool.get("architecture") for pool in threadpool_info() if pool["internal_api"] == "openblas"})
    print(f"{args.rows} rows, {os.cpu_count()} cores, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}, "
          f"scikit-learn's OpenBLAS kernels {', '.join(sklearn_kernels)}, "
          f"ms per Lloyd iteration ({SHORT} vs {LONG} iterations from the same start), median of {args.runs}")
    print(f"{'features':>8}{'k':>4}{'dtype':>9}{'segflow ms':>12}{'sklearn ms':>12}{'elkan ms':>10}{'faiss ms':>10}"
          f"{'vs sklearn':>12}{'vs elkan':>10}{'vs faiss':>10}")
    for columns in args.features:
        x = features(args.rows, columns, seed=columns)
        for k in args.k:
            start = x[np.random.default_rng(k).choice(args.rows, size=k, replace=False)]
            for dtype in args.dtypes:
                ours, theirs, elkan, faiss_times = [], [], [], []
                for _ in range(args.runs):
                    ours.append(segflow(args.binary, x, start, dtype, work))
                    theirs.append(sklearn(x, start, np.float32 if dtype == "float32" else np.float64, "lloyd"))
                    elkan.append(sklearn(x, start, np.float32 if dtype == "float32" else np.float64, "elkan"))
                    if dtype == "float32":
                        faiss_times.append(faiss_kmeans(x, start))
                segflow_ms, sklearn_ms = statistics.median(ours) * 1e3, statistics.median(theirs) * 1e3
                elkan_ms = statistics.median(elkan) * 1e3
                faiss_ms = statistics.median(faiss_times) * 1e3 if faiss_times else float("nan")
                faiss_text = f"{faiss_ms:10.1f}" if faiss_times else f"{'-':>10}"
                ratio_faiss = f"{segflow_ms / faiss_ms:10.2f}" if faiss_times else f"{'-':>10}"
                print(f"{columns:8d}{k:4d}{dtype:>9}{segflow_ms:12.1f}{sklearn_ms:12.1f}{elkan_ms:10.1f}{faiss_text}"
                      f"{segflow_ms / sklearn_ms:12.2f}{segflow_ms / elkan_ms:10.2f}{ratio_faiss}", flush=True)


if __name__ == "__main__":
    main()
