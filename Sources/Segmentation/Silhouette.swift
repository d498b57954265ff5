import LinearAlgebra
import SegflowCore

/// The silhouette coefficient (Rousseeuw 1987) of a labelling: for each point,
/// s = (b - a) / max(a, b), with a its mean distance to the rest of its cluster and b the
/// lowest mean distance to another cluster (s = 0 in a singleton cluster); the score is the
/// mean of s. Exact, O(m^2 d) for m points, so callers pass a sample (see `stratifiedSample`).
public enum Silhouette {
    public static func score<Scalar: KMeansScalar>(_ points: Matrix<Scalar>, labels: [Int32], clusterCount k: Int) -> Double {
        let m = points.rows, d = points.columns
        guard m > 1, k > 1 else { return 0 }
        var norms = [Double](repeating: 0, count: m)
        for row in 0..<m {
            for column in 0..<d { norms[row] += Double(points[row, column]) * Double(points[row, column]) }
        }
        var clusterSizes = [Int](repeating: 0, count: k)
        for label in labels { clusterSizes[Int(label)] += 1 }
        let blockRows = 256
        var scores = [Double](repeating: 0, count: m)
        scores.withUnsafeMutableBufferPointer { scores in
            points.elements.withUnsafeBufferPointer { elements in
                BLASThreads.useSingleThread()
                let blocks = (m + blockRows - 1) / blockRows
                Parallel.forEach(parts: Parallel.workerCount) { part in
                    let products = UnsafeMutablePointer<Scalar>.allocate(capacity: blockRows * m)
                    defer { products.deallocate() }
                    var sums = [Double](repeating: 0, count: k)
                    for block in Parallel.slice(part, of: Parallel.workerCount, count: blocks) {
                        let start = block * blockRows, end = min(m, start + blockRows)
                        Scalar.gemm(
                            transposeA: false, transposeB: true, m: end - start, n: m, k: d, alpha: 1,
                            a: elements.baseAddress! + start * d, lda: d, b: elements.baseAddress!, ldb: d,
                            beta: 0, c: products, ldc: m)
                        for row in start..<end {
                            for cluster in 0..<k { sums[cluster] = 0 }
                            let dots = products + (row - start) * m
                            for other in 0..<m where other != row {
                                let squared = norms[row] + norms[other] - 2 * Double(dots[other])
                                sums[Int(labels[other])] += squared > 0 ? squared.squareRoot() : 0
                            }
                            let own = Int(labels[row])
                            guard clusterSizes[own] > 1 else {
                                scores[row] = 0
                                continue
                            }
                            let a = sums[own] / Double(clusterSizes[own] - 1)
                            var b = Double.infinity
                            for cluster in 0..<k where cluster != own && clusterSizes[cluster] > 0 {
                                b = min(b, sums[cluster] / Double(clusterSizes[cluster]))
                            }
                            let denominator = max(a, b)
                            scores[row] = b.isFinite && denominator > 0 ? (b - a) / denominator : 0
                        }
                    }
                }
            }
        }
        return scores.reduce(0, +) / Double(m)
    }

    /// Up to `size` row indices drawn within each cluster in proportion to its size (at
    /// least two from every cluster that has two), seeded, in ascending order.
    public static func stratifiedSample(labels: [Int32], clusterCount k: Int, size: Int, seed: UInt64) -> [Int] {
        guard labels.count > size else { return Array(labels.indices) }
        var members = [[Int]](repeating: [], count: k)
        for (row, label) in labels.enumerated() { members[Int(label)].append(row) }
        var random = RandomSource(seed: seed)
        var sample: [Int] = []
        for var rows in members where !rows.isEmpty {
            let quota = min(rows.count, max(2, Int((Double(size) * Double(rows.count) / Double(labels.count)).rounded())))
            for index in 0..<quota {
                let pick = index + Int(random.next() % UInt64(rows.count - index))
                rows.swapAt(index, pick)
            }
            sample.append(contentsOf: rows.prefix(quota))
        }
        return sample.sorted()
    }
}
