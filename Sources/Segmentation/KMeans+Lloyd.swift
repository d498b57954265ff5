import LinearAlgebra
import SegflowCore

extension KMeans {
    /// The data of one fit, centred, with what every iteration reuses.
    struct Problem<Scalar: KMeansScalar> {
        let rows: Int
        let columns: Int
        /// Row-major, each column minus its (weighted) mean.
        let x: [Scalar]
        let mean: [Scalar]
        let weights: [Double]
        let rowNorms: [Scalar]
        /// Mean over features of the weighted variance: the scale of `tol`.
        let meanVariance: Double

        init(data: Matrix<Scalar>, weights: [Double]?, clusterCount: Int) throws {
            guard clusterCount >= 1 else { throw KMeansError.invalidClusterCount(clusterCount) }
            guard data.rows >= clusterCount else { throw KMeansError.tooFewRows(rows: data.rows, clusters: clusterCount) }
            rows = data.rows
            columns = data.columns
            self.weights = weights ?? [Double](repeating: 1, count: rows)
            precondition(self.weights.count == rows, "one weight per row")
            // Centring and the tolerance scale use unweighted column statistics, as scikit-learn does.
            var mean = [Double](repeating: 0, count: columns)
            for row in 0..<rows {
                for column in 0..<columns {
                    let value = data.elements[row * columns + column]
                    guard value.isFinite else { throw KMeansError.notFinite(row: row, column: column) }
                    mean[column] += Double(value)
                }
            }
            let rowCount = Double(data.rows)
            mean = mean.map { $0 / rowCount }
            var variance = 0.0
            var centered = data.elements
            var norms = [Scalar](repeating: 0, count: rows)
            for row in 0..<rows {
                var norm: Scalar = 0
                for column in 0..<columns {
                    let value = centered[row * columns + column] - Scalar(mean[column])
                    centered[row * columns + column] = value
                    norm += value * value
                    let exact = Double(data.elements[row * columns + column]) - mean[column]
                    variance += exact * exact
                }
                norms[row] = norm
            }
            x = centered
            rowNorms = norms
            self.mean = mean.map { Scalar($0) }
            meanVariance = variance / Double(rows) / Double(max(columns, 1))
        }

        var blockCount: Int { (rows + KMeans.blockRows - 1) / KMeans.blockRows }

        /// Rows of the `part`-th accumulation part: whole blocks, fixed by the row count only.
        func partRows(_ part: Int) -> Range<Int> {
            let blocks = Parallel.slice(part, of: KMeans.accumulationParts, count: blockCount)
            return min(rows, blocks.lowerBound * KMeans.blockRows)..<min(rows, blocks.upperBound * KMeans.blockRows)
        }

        /// Runs `body(part)` for every accumulation part on all cores.
        func forEachPart(_ body: (Int) -> Void) {
            BLASThreads.useSingleThread()
            Parallel.forEach(parts: KMeans.accumulationParts, body)
        }

        /// Dot products of every row of `points` (count x d) with rows `range`: one
        /// count x block GEMM, cluster-major so the arg-min below runs along contiguous rows.
        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func dots(_ range: Range<Int>, _ points: UnsafePointer<Scalar>, count: Int, into output: UnsafeMutablePointer<Scalar>) {
            x.withUnsafeBufferPointer { x in
                Scalar.gemm(transposeA: false, transposeB: true, m: count, n: range.count, k: columns, alpha: 1,
                            a: points, lda: columns, b: x.baseAddress! + range.lowerBound * columns, ldb: columns,
                            beta: 0, c: output, ldc: range.count)
            }
        }

        /// Assigns every row to its nearest centre (by `||c||^2 - 2 x.c`, the row's own norm
        /// being the same for all centres). Returns per-cluster sums of rows and weights, and
        /// how many labels changed.
        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func assign(centers: [Scalar], clusterCount k: Int, labels: UnsafeMutableBufferPointer<Int32>)
            -> (sums: [Double], clusterWeights: [Double], changed: Int) {
            var centerNorms = [Scalar](repeating: 0, count: k)
            for cluster in 0..<k {
                for column in 0..<columns { centerNorms[cluster] += centers[cluster * columns + column] * centers[cluster * columns + column] }
            }
            let parts = KMeans.accumulationParts
            var partSums = [Double](repeating: 0, count: parts * k * columns)
            var partWeights = [Double](repeating: 0, count: parts * k)
            var partChanged = [Int](repeating: 0, count: parts)
            let columns = self.columns
            let blockRows = KMeans.blockRows
            centers.withUnsafeBufferPointer { centers in
            centerNorms.withUnsafeBufferPointer { centerNorms in
            partSums.withUnsafeMutableBufferPointer { partSums in
            partWeights.withUnsafeMutableBufferPointer { partWeights in
            partChanged.withUnsafeMutableBufferPointer { partChanged in
            x.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { weights in
                forEachPart { part in
                    let block = UnsafeMutablePointer<Scalar>.allocate(capacity: blockRows * k)
                    let bestCluster = UnsafeMutablePointer<Int32>.allocate(capacity: blockRows)
                    // Accumulate in memory private to this part, copied out once: parts that run
                    // at the same time would otherwise share cache lines on every row.
                    let sums = UnsafeMutablePointer<Double>.allocate(capacity: k * columns)
                    let clusterWeights = UnsafeMutablePointer<Double>.allocate(capacity: k)
                    sums.initialize(repeating: 0, count: k * columns)
                    clusterWeights.initialize(repeating: 0, count: k)
                    defer {
                        (partSums.baseAddress! + part * k * columns).update(from: sums, count: k * columns)
                        (partWeights.baseAddress! + part * k).update(from: clusterWeights, count: k)
                        block.deallocate()
                        bestCluster.deallocate()
                        sums.deallocate()
                        clusterWeights.deallocate()
                    }
                    var changed = 0
                    let rows = partRows(part)
                    var start = rows.lowerBound
                    while start < rows.upperBound {
                        let end = min(start + blockRows, rows.upperBound)
                        let count = end - start
                        dots(start..<end, centers.baseAddress!, count: k, into: block)
                        Scalar.nearestCenters(dots: block, norms: centerNorms.baseAddress!, clusters: k, rows: count, into: bestCluster)
                        for offset in 0..<count {
                            let row = start + offset
                            let cluster = Int(bestCluster[offset])
                            if labels[row] != bestCluster[offset] {
                                changed += 1
                                labels[row] = bestCluster[offset]
                            }
                            let weight = weights[row]
                            clusterWeights[cluster] += weight
                            let target = sums + cluster * columns
                            let source = x.baseAddress! + row * columns
                            for column in 0..<columns { target[column] += weight * Double(source[column]) }
                        }
                        start = end
                    }
                    partChanged[part] = changed
                }
            }
            }
            }
            }
            }
            }
            }
            var sums = [Double](repeating: 0, count: k * columns)
            var clusterWeights = [Double](repeating: 0, count: k)
            for part in 0..<parts {
                for index in 0..<(k * columns) { sums[index] += partSums[part * k * columns + index] }
                for cluster in 0..<k { clusterWeights[cluster] += partWeights[part * k + cluster] }
            }
            return (sums, clusterWeights, partChanged.reduce(0, +))
        }

        /// Exact weighted squared distances to the assigned centres, summed in part order.
        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func inertia(centers: [Scalar], labels: [Int32]) -> Double {
            var partTotals = [Double](repeating: 0, count: KMeans.accumulationParts)
            partTotals.withUnsafeMutableBufferPointer { totals in
                forEachPart { part in
                    var total = 0.0
                    for row in partRows(part) {
                        let center = Int(labels[row]) * columns
                        var distance = 0.0
                        for column in 0..<columns {
                            let difference = Double(x[row * columns + column]) - Double(centers[center + column])
                            distance += difference * difference
                        }
                        total += weights[row] * distance
                    }
                    totals[part] = total
                }
            }
            return partTotals.reduce(0, +)
        }

        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func lloyd(start: [Scalar], configuration: KMeansConfiguration, restart: Int) -> KMeansModel<Scalar> {
            let k = start.count / columns
            let tolerance = configuration.tolerance * meanVariance
            var centers = start
            var labels = [Int32](repeating: -1, count: rows)
            var iterations = 0
            var converged = false
            var reseeded = 0
            var labelsMatchCenters = false
            while iterations < configuration.maxIterations {
                iterations += 1
                let (sums, clusterWeights, changed) = labels.withUnsafeMutableBufferPointer { labels in
                    assign(centers: centers, clusterCount: k, labels: labels)
                }
                if changed == 0 {
                    // Strict convergence: the centres computed from these labels are the current ones.
                    converged = true
                    labelsMatchCenters = true
                    break
                }
                var next = [Scalar](repeating: 0, count: k * columns)
                var newSums = sums, newWeights = clusterWeights
                reseeded += relocateEmptyClusters(sums: &newSums, weights: &newWeights, labels: labels, centers: centers, clusterCount: k)
                for cluster in 0..<k where newWeights[cluster] > 0 {
                    for column in 0..<columns {
                        next[cluster * columns + column] = Scalar(newSums[cluster * columns + column] / newWeights[cluster])
                    }
                }
                var shift = 0.0
                for index in 0..<(k * columns) {
                    let difference = Double(next[index]) - Double(centers[index])
                    shift += difference * difference
                }
                centers = next
                if shift <= tolerance {
                    converged = true
                    break
                }
            }
            if !labelsMatchCenters {
                labels.withUnsafeMutableBufferPointer { labels in
                    _ = assign(centers: centers, clusterCount: k, labels: labels)
                }
            }
            return finish(centers: centers, labels: labels, iterations: iterations, converged: converged,
                          reseeded: reseeded, restart: restart)
        }

        /// The model for final centres and labels: exact inertia, centres moved back from the
        /// centred space.
        func finish(centers: [Scalar], labels: [Int32], iterations: Int, converged: Bool, reseeded: Int,
                    restart: Int) -> KMeansModel<Scalar> {
            let k = centers.count / columns
            let inertia = inertia(centers: centers, labels: labels)
            var uncentered = centers
            for cluster in 0..<k {
                for column in 0..<columns { uncentered[cluster * columns + column] += mean[column] }
            }
            return KMeansModel(centers: Matrix(rows: k, columns: columns, elements: uncentered), labels: labels,
                               inertia: inertia, iterations: iterations, converged: converged,
                               emptyClustersReseeded: reseeded, keptRestart: restart)
        }

        /// Gives each empty cluster the row farthest from its centre (as scikit-learn's
        /// `_relocate_empty_clusters_dense`), moving that row's weight from its old cluster.
        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func relocateEmptyClusters(sums: inout [Double], weights clusterWeights: inout [Double], labels: [Int32],
                                   centers: [Scalar], clusterCount k: Int) -> Int {
            let empty = (0..<k).filter { clusterWeights[$0] == 0 }
            guard !empty.isEmpty else { return 0 }
            var distances = [Double](repeating: 0, count: rows)
            for row in 0..<rows {
                let center = Int(labels[row]) * columns
                for column in 0..<columns {
                    let difference = Double(x[row * columns + column]) - Double(centers[center + column])
                    distances[row] += difference * difference
                }
            }
            // Farthest rows first; ties by row index so the choice is deterministic.
            let farthest = (0..<rows).sorted { distances[$0] != distances[$1] ? distances[$0] > distances[$1] : $0 < $1 }
                .prefix(empty.count)
            for (cluster, row) in zip(empty, farthest) {
                let old = Int(labels[row])
                let weight = self.weights[row]
                for column in 0..<columns {
                    let value = weight * Double(x[row * columns + column])
                    sums[old * columns + column] -= value
                    sums[cluster * columns + column] = value
                }
                clusterWeights[old] -= weight
                clusterWeights[cluster] = weight
            }
            return empty.count
        }
    }
}
