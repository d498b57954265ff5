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
        /// count x block GEMM, cluster-major so the arg-min runs along contiguous rows.
        func dots(_ range: Range<Int>, _ points: UnsafePointer<Scalar>, count: Int, into output: UnsafeMutablePointer<Scalar>) {
            x.withUnsafeBufferPointer { x in
                dots(
                    of: x.baseAddress! + range.lowerBound * columns, rowCount: range.count, with: points, count: count,
                    into: output)
            }
        }

        /// The same for `rowCount` rows stored contiguously at `rows`.
        func dots(
            of rows: UnsafePointer<Scalar>, rowCount: Int, with points: UnsafePointer<Scalar>, count: Int,
            into output: UnsafeMutablePointer<Scalar>
        ) {
            Scalar.gemm(
                transposeA: false, transposeB: true, m: count, n: rowCount, k: columns, alpha: 1,
                a: points, lda: columns, b: rows, ldb: columns, beta: 0, c: output, ldc: rowCount)
        }

        /// One assignment step of Lloyd, skipping the rows whose bounds prove their centre is
        /// still the nearest (Hamerly 2010, "Making k-means even faster"). A row that fails its
        /// bounds is compared with the centres less than twice its distance from its own centre
        /// (the others cannot be nearer, by the triangle inequality) when they are few, by direct
        /// distances; otherwise it is gathered with others for one GEMM against all centres.
        /// Either way its bounds are renewed. `everyRow` ignores the bounds and runs every row
        /// through the GEMM: the first step, when there are none.
        ///
        /// Per-cluster sums change only by the rows that changed cluster (all rows when
        /// `everyRow`). Each part's changes are kept apart and added in part order, so labels and
        /// sums are the same bits whatever the number of threads. Returns how many labels changed
        /// and how many rows failed their bounds.
        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func assign(_ state: inout LloydState<Scalar>, to geometry: CenterGeometry<Scalar>, everyRow: Bool)
            -> (changed: Int, recomputed: Int)
        {
            let k = geometry.clusterCount
            let parts = KMeans.accumulationParts
            var partSums = [Double](repeating: 0, count: parts * k * columns)
            var partWeights = [Double](repeating: 0, count: parts * k)
            var partMembers = [Int](repeating: 0, count: parts * k)
            var partChanged = [Int](repeating: 0, count: parts)
            var partRecomputed = [Int](repeating: 0, count: parts)
            let columns = self.columns
            // Every row in order goes to the GEMM straight from `x` in blocks; rows that failed
            // their bounds are gathered, in fewer at a time so their product stays in cache.
            let blockRows = KMeans.blockRows, gemmRows = everyRow ? KMeans.blockRows : KMeans.gemmRows
            let roundUp = 1 + 4 * Scalar.ulpOfOne, roundDown = 1 - 4 * Scalar.ulpOfOne
            let directRoundUp = 1 + Scalar(columns + 4) * Scalar.ulpOfOne
            let directRoundDown = 1 - Scalar(columns + 4) * Scalar.ulpOfOne
            // Candidates (the row's own centre included) up to which direct distances cost less
            // than the row's share of a GEMM against all k centres. Fitted on Benchmarks/kmeans.py:
            // a direct distance costs about d + 48 steps, a GEMM about d / 2 per centre, so below
            // about 16 features the GEMM wins unless k is large.
            let neighbourLimit = k * columns / (2 * (columns + 48))
            // Bound on the rounding error of `||x||^2 - 2 x.c + ||c||^2` as computed, over
            // `(||x|| + max ||c||)^2`: a dot product of d terms errs by at most d ulp of its
            // absolute terms, and each norm the same; doubled for the additions and the GEMM's order.
            let expansionError = Scalar(2 * columns + 8) * Scalar.ulpOfOne
            geometry.centers.withUnsafeBufferPointer { centers in
                geometry.norms.withUnsafeBufferPointer { norms in
                    geometry.halfGap.withUnsafeBufferPointer { halfGap in
                        geometry.neighbours.withUnsafeBufferPointer { neighbours in
                            geometry.neighbourDistances.withUnsafeBufferPointer { neighbourDistances in
                                geometry.moved.withUnsafeBufferPointer { moved in
                                    geometry.othersMoved.withUnsafeBufferPointer { othersMoved in
                                        state.labels.withUnsafeMutableBufferPointer { labels in
                                            state.upper.withUnsafeMutableBufferPointer { upper in
                                                state.lower.withUnsafeMutableBufferPointer { lower in
                                                    partSums.withUnsafeMutableBufferPointer { partSums in
                                                        partWeights.withUnsafeMutableBufferPointer { partWeights in
                                                            partMembers.withUnsafeMutableBufferPointer { partMembers in
                                                                partChanged.withUnsafeMutableBufferPointer { partChanged in
                                                                    partRecomputed.withUnsafeMutableBufferPointer { partRecomputed in
                                                                        x.withUnsafeBufferPointer { x in
                                                                            rowNorms.withUnsafeBufferPointer { rowNorms in
                                                                                weights.withUnsafeBufferPointer { weights in
                                                                                    forEachPart { part in
                                                                                        // Plain pointers in locals: the hot loops below otherwise reload them through
                                                                                        // the closure's captures on every row.
                                                                                        let labels = labels.baseAddress!, upper = upper.baseAddress!,
                                                                                            lower = lower.baseAddress!
                                                                                        let x = x.baseAddress!, rowNorms = rowNorms.baseAddress!,
                                                                                            weights = weights.baseAddress!
                                                                                        let centers = centers.baseAddress!, norms = norms.baseAddress!
                                                                                        let halfGap = halfGap.baseAddress!,
                                                                                            moved = moved.baseAddress!,
                                                                                            othersMoved = othersMoved.baseAddress!
                                                                                        let neighbours = neighbours.baseAddress!,
                                                                                            neighbourDistances = neighbourDistances.baseAddress!
                                                                                        let largestNorm = geometry.largestNorm
                                                                                        let block = UnsafeMutablePointer<Scalar>.allocate(
                                                                                            capacity: blockRows * k)
                                                                                        let gathered = UnsafeMutablePointer<Scalar>.allocate(
                                                                                            capacity: KMeans.gemmRows * columns)
                                                                                        let pending = UnsafeMutablePointer<Int>.allocate(
                                                                                            capacity: blockRows)
                                                                                        let nearestLabel = UnsafeMutablePointer<Int32>.allocate(
                                                                                            capacity: blockRows)
                                                                                        let nearest = UnsafeMutablePointer<Scalar>.allocate(
                                                                                            capacity: blockRows)
                                                                                        let runnerUp = UnsafeMutablePointer<Scalar>.allocate(
                                                                                            capacity: blockRows)
                                                                                        // Accumulate in memory private to this part, copied out once: parts that run
                                                                                        // at the same time would otherwise share cache lines on every row.
                                                                                        let sums = UnsafeMutablePointer<Double>.allocate(
                                                                                            capacity: k * columns)
                                                                                        let clusterWeights = UnsafeMutablePointer<Double>.allocate(
                                                                                            capacity: k)
                                                                                        let members = UnsafeMutablePointer<Int>.allocate(capacity: k)
                                                                                        sums.initialize(repeating: 0, count: k * columns)
                                                                                        clusterWeights.initialize(repeating: 0, count: k)
                                                                                        members.initialize(repeating: 0, count: k)
                                                                                        defer {
                                                                                            (partSums.baseAddress! + part * k * columns).update(
                                                                                                from: sums, count: k * columns)
                                                                                            (partWeights.baseAddress! + part * k).update(
                                                                                                from: clusterWeights, count: k)
                                                                                            (partMembers.baseAddress! + part * k).update(
                                                                                                from: members, count: k)
                                                                                            for buffer in [block, gathered, nearest, runnerUp]
                                                                                                as [UnsafeMutablePointer<Scalar>]
                                                                                            { buffer.deallocate() }
                                                                                            pending.deallocate()
                                                                                            nearestLabel.deallocate()
                                                                                            sums.deallocate()
                                                                                            clusterWeights.deallocate()
                                                                                            members.deallocate()
                                                                                        }
                                                                                        func add(row: Int, to cluster: Int, sign: Double) {
                                                                                            let weight = sign * weights[row]
                                                                                            clusterWeights[cluster] += weight
                                                                                            members[cluster] += sign > 0 ? 1 : -1
                                                                                            let target = sums + cluster * columns
                                                                                            let source = x + row * columns
                                                                                            for column in 0..<columns {
                                                                                                target[column] += weight * Double(source[column])
                                                                                            }
                                                                                        }
                                                                                        var changed = 0, recomputed = 0
                                                                                        /// Assigns the `count` pending rows by GEMM: rows `pending[0]` on of `x` when
                                                                                        /// they are all the rows in order (`everyRow`), else their copies in `gathered`.
                                                                                        func assignPending(_ count: Int) {
                                                                                            let source =
                                                                                                everyRow
                                                                                                ? x + pending[0] * columns : UnsafePointer(gathered)
                                                                                            dots(
                                                                                                of: source, rowCount: count, with: centers, count: k,
                                                                                                into: block)
                                                                                            Scalar.nearestTwoCenters(
                                                                                                dots: block, norms: norms, clusters: k, rows: count,
                                                                                                labels: nearestLabel, nearest: nearest,
                                                                                                runnerUp: runnerUp)
                                                                                            for index in 0..<count {
                                                                                                let row = pending[index]
                                                                                                let rowNorm = rowNorms[row]
                                                                                                let scale = rowNorm.squareRoot() + largestNorm
                                                                                                let error = expansionError * scale * scale
                                                                                                upper[row] =
                                                                                                    max(0, rowNorm + nearest[index] + error)
                                                                                                    .squareRoot() * roundUp
                                                                                                let lowSquared = rowNorm + runnerUp[index] - error
                                                                                                lower[row] =
                                                                                                    lowSquared > 0
                                                                                                    ? lowSquared.squareRoot() * roundDown : 0
                                                                                                let old = labels[row], new = nearestLabel[index]
                                                                                                if old != new {
                                                                                                    changed += 1
                                                                                                    labels[row] = new
                                                                                                    if !everyRow {
                                                                                                        add(row: row, to: Int(old), sign: -1)
                                                                                                    }
                                                                                                }
                                                                                                if everyRow || old != new {
                                                                                                    add(row: row, to: Int(new), sign: 1)
                                                                                                }
                                                                                            }
                                                                                        }
                                                                                        /// Assigns `row`, at most `distance` from its centre `cluster` (`ownSquared`: the
                                                                                        /// squared distance as computed), among the few centres that can be nearer (less
                                                                                        /// than twice that from `cluster`), by direct distances. False, doing nothing,
                                                                                        /// when there are too many for that to beat the GEMM.
                                                                                        func assignAmongNeighbours(
                                                                                            row: Int, cluster: Int, distance: Scalar,
                                                                                            ownSquared: Scalar
                                                                                        ) -> Bool {
                                                                                            let order = neighbours + cluster * k,
                                                                                                gaps = neighbourDistances + cluster * k
                                                                                            let reach = 2 * distance
                                                                                            var candidates = 1
                                                                                            while candidates < k && gaps[candidates] < reach {
                                                                                                candidates += 1
                                                                                                if candidates > neighbourLimit { return false }
                                                                                            }
                                                                                            let source = x + row * columns
                                                                                            var best = ownSquared
                                                                                            var bestCluster = Int32(cluster)
                                                                                            var second = Scalar.infinity
                                                                                            for index in 1..<candidates {
                                                                                                let other = order[index]
                                                                                                let squared = Scalar.squaredDistance(
                                                                                                    source, centers + Int(other) * columns,
                                                                                                    count: columns)
                                                                                                if squared < best
                                                                                                    || (squared == best && other < bestCluster)
                                                                                                {
                                                                                                    second = best
                                                                                                    best = squared
                                                                                                    bestCluster = other
                                                                                                } else if squared < second {
                                                                                                    second = squared
                                                                                                }
                                                                                            }
                                                                                            // Centres beyond the candidates are at least their distance from `cluster`
                                                                                            // less `distance` away from the row.
                                                                                            let beyond =
                                                                                                candidates < k
                                                                                                ? (gaps[candidates] - distance) * roundDown
                                                                                                : Scalar.infinity
                                                                                            upper[row] = best.squareRoot() * directRoundUp
                                                                                            lower[row] = max(
                                                                                                0, min(second.squareRoot() * directRoundDown, beyond))
                                                                                            if bestCluster != Int32(cluster) {
                                                                                                changed += 1
                                                                                                labels[row] = bestCluster
                                                                                                add(row: row, to: cluster, sign: -1)
                                                                                                add(row: row, to: Int(bestCluster), sign: 1)
                                                                                            }
                                                                                            return true
                                                                                        }
                                                                                        var count = 0
                                                                                        for row in partRows(part) {
                                                                                            if everyRow {
                                                                                                pending[count] = row
                                                                                                count += 1
                                                                                            } else {
                                                                                                let cluster = Int(labels[row])
                                                                                                var upperBound =
                                                                                                    (upper[row] + moved[cluster]) * roundUp
                                                                                                let lowered = lower[row] - othersMoved[cluster]
                                                                                                let lowerBound = lowered > 0 ? lowered * roundDown : 0
                                                                                                let threshold = max(lowerBound, halfGap[cluster])
                                                                                                if upperBound > threshold {
                                                                                                    let source = x + row * columns
                                                                                                    let ownSquared = Scalar.squaredDistance(
                                                                                                        source, centers + cluster * columns,
                                                                                                        count: columns)
                                                                                                    upperBound =
                                                                                                        ownSquared.squareRoot() * directRoundUp
                                                                                                    if upperBound > threshold {
                                                                                                        recomputed += 1
                                                                                                        if assignAmongNeighbours(
                                                                                                            row: row, cluster: cluster,
                                                                                                            distance: upperBound,
                                                                                                            ownSquared: ownSquared)
                                                                                                        {
                                                                                                            continue
                                                                                                        }
                                                                                                        // Copied now, while the row is in cache from the line above.
                                                                                                        (gathered + count * columns).update(
                                                                                                            from: source, count: columns)
                                                                                                        pending[count] = row
                                                                                                        count += 1
                                                                                                    }
                                                                                                }
                                                                                                upper[row] = upperBound
                                                                                                lower[row] = lowerBound
                                                                                            }
                                                                                            if count == gemmRows {
                                                                                                assignPending(count)
                                                                                                count = 0
                                                                                            }
                                                                                        }
                                                                                        if count > 0 { assignPending(count) }
                                                                                        partChanged[part] = changed
                                                                                        partRecomputed[part] = recomputed
                                                                                    }
                                                                                }
                                                                            }
                                                                        }
                                                                    }
                                                                }
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if everyRow {
                state.sums = [Double](repeating: 0, count: k * columns)
                state.clusterWeights = [Double](repeating: 0, count: k)
                state.members = [Int](repeating: 0, count: k)
            }
            for part in 0..<parts {
                for index in 0..<(k * columns) { state.sums[index] += partSums[part * k * columns + index] }
                for cluster in 0..<k {
                    state.clusterWeights[cluster] += partWeights[part * k + cluster]
                    state.members[cluster] += partMembers[part * k + cluster]
                }
            }
            // Sums kept by adding and taking away rows drift by rounding; an emptied cluster must
            // read as exactly empty.
            for cluster in 0..<k where state.members[cluster] == 0 {
                state.clusterWeights[cluster] = 0
                for column in 0..<columns { state.sums[cluster * columns + column] = 0 }
            }
            return (partChanged.reduce(0, +), everyRow ? rows : partRecomputed.reduce(0, +))
        }

        /// The nearest centre of every row.
        func labels(nearest centers: [Scalar]) -> [Int32] {
            var state = LloydState<Scalar>(rows: rows, clusterCount: centers.count / columns)
            _ = assign(&state, to: CenterGeometry(centers: centers, columns: columns, previous: nil), everyRow: true)
            return state.labels
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
            var geometry = CenterGeometry(centers: start, columns: columns, previous: nil)
            var state = LloydState<Scalar>(rows: rows, clusterCount: k)
            var iterations = 0
            var converged = false
            var reseeded = 0
            var labelsMatchCenters = false
            // Bounds do not pay where many rows sit near a boundary (one broad blob cut into k
            // cells, for example), the less so the cheaper a plain step is (small k x d). A cost
            // model fitted on Benchmarks/kmeans.py, in ns per row on 2 cores: a plain step costs
            // about 3 + k d / 12, a bounded one about 3 + f (20 + that) when a fraction f of the
            // rows fails its bounds. When f was too high, every row goes through the GEMM, as in
            // plain Lloyd, for 1, 2, 4, ... iterations before the bounds are tried again. The
            // choice depends on counts only, so runs stay deterministic.
            let plainCost = 3 + Double(k * columns) / 12
            let failuresWorthBounds = Int(Double(rows) * (plainCost - 3) / (plainCost + 20))
            var everyRowUntil = 1, everyRowStretch = 1
            while iterations < configuration.maxIterations {
                iterations += 1
                let everyRow = iterations <= everyRowUntil
                let (changed, recomputed) = assign(&state, to: geometry, everyRow: everyRow)
                if !everyRow {
                    if recomputed > failuresWorthBounds {
                        everyRowUntil = iterations + everyRowStretch
                        everyRowStretch *= 2
                    } else {
                        everyRowStretch = 1
                    }
                }
                if changed == 0 {
                    // Strict convergence: the centres computed from these labels are the current ones.
                    converged = true
                    labelsMatchCenters = true
                    break
                }
                var next = [Scalar](repeating: 0, count: k * columns)
                var newSums = state.sums, newWeights = state.clusterWeights
                reseeded += relocateEmptyClusters(
                    sums: &newSums, weights: &newWeights, labels: state.labels,
                    centers: geometry.centers, clusterCount: k)
                for cluster in 0..<k where newWeights[cluster] > 0 {
                    for column in 0..<columns {
                        next[cluster * columns + column] = Scalar(newSums[cluster * columns + column] / newWeights[cluster])
                    }
                }
                geometry = CenterGeometry(centers: next, columns: columns, previous: geometry.centers)
                if geometry.squaredShift <= tolerance {
                    converged = true
                    break
                }
            }
            if !labelsMatchCenters {
                _ = assign(&state, to: geometry, everyRow: false)
            }
            return finish(
                centers: geometry.centers, labels: state.labels, iterations: iterations, converged: converged,
                reseeded: reseeded, restart: restart)
        }

        /// The model for final centres and labels: exact inertia, centres moved back from the
        /// centred space.
        func finish(
            centers: [Scalar], labels: [Int32], iterations: Int, converged: Bool, reseeded: Int,
            restart: Int
        ) -> KMeansModel<Scalar> {
            let k = centers.count / columns
            let inertia = inertia(centers: centers, labels: labels)
            var uncentered = centers
            for cluster in 0..<k {
                for column in 0..<columns { uncentered[cluster * columns + column] += mean[column] }
            }
            return KMeansModel(
                centers: Matrix(rows: k, columns: columns, elements: uncentered), labels: labels,
                inertia: inertia, iterations: iterations, converged: converged,
                emptyClustersReseeded: reseeded, keptRestart: restart)
        }

        /// Gives each empty cluster the row farthest from its centre (as scikit-learn's
        /// `_relocate_empty_clusters_dense`), moving that row's weight from its old cluster.
        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func relocateEmptyClusters(
            sums: inout [Double], weights clusterWeights: inout [Double], labels: [Int32],
            centers: [Scalar], clusterCount k: Int
        ) -> Int {
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

extension KMeans {
    /// What Lloyd keeps from one assignment step to the next.
    struct LloydState<Scalar: KMeansScalar> {
        /// -1 before the first step.
        var labels: [Int32]
        /// At least the distance from each row to its own centre.
        var upper: [Scalar]
        /// At most the distance from each row to any other centre.
        var lower: [Scalar]
        /// Weighted per-cluster sums of rows (k x d), weights and member counts.
        var sums: [Double] = []
        var clusterWeights: [Double] = []
        var members: [Int] = []

        init(rows: Int, clusterCount: Int) {
            labels = [Int32](repeating: -1, count: rows)
            upper = [Scalar](repeating: 0, count: rows)
            lower = [Scalar](repeating: 0, count: rows)
        }
    }

    /// The centres as an assignment step needs them: their squared norms for the GEMM arg-min,
    /// and for the bounds, how far apart they are and how far each moved since the last step.
    /// Distances are computed in Double and rounded towards the safe side of each bound.
    struct CenterGeometry<Scalar: KMeansScalar> {
        let centers: [Scalar]
        let clusterCount: Int
        let norms: [Scalar]
        /// The largest centre norm (not squared), rounded up.
        let largestNorm: Scalar
        /// Half the distance from each centre to the nearest other one, rounded down: a row
        /// that close to its centre is nearer to it than to any other.
        let halfGap: [Scalar]
        /// Row `c` (k entries): every centre by distance from centre `c`, `c` itself first, and
        /// those distances rounded down. A row within `u` of centre `c` can only be nearer to a
        /// centre less than `2u` from `c`: the candidates of the pruned step.
        let neighbours: [Int32]
        let neighbourDistances: [Scalar]
        /// How far each centre moved, rounded up.
        let moved: [Scalar]
        /// The farthest any other centre moved, rounded up.
        let othersMoved: [Scalar]
        /// The sum over centres of the squared move, which `tol` is compared with.
        let squaredShift: Double

        init(centers: [Scalar], columns: Int, previous: [Scalar]?) {
            let k = centers.count / columns
            self.centers = centers
            clusterCount = k
            func squaredDistance(_ a: [Scalar], _ i: Int, _ b: [Scalar], _ j: Int) -> Double {
                var total = 0.0
                for column in 0..<columns {
                    let difference = Double(a[i * columns + column]) - Double(b[j * columns + column])
                    total += difference * difference
                }
                return total
            }
            // Double's rounding is far below these margins of Scalar's.
            func up(_ value: Double) -> Scalar { Scalar(value) * (1 + 4 * Scalar.ulpOfOne) }
            func down(_ value: Double) -> Scalar { Scalar(value) * (1 - 4 * Scalar.ulpOfOne) }
            norms = (0..<k).map { cluster in
                var norm: Scalar = 0
                for column in 0..<columns { norm += centers[cluster * columns + column] * centers[cluster * columns + column] }
                return norm
            }
            largestNorm = up(Double(norms.max() ?? 0).squareRoot())
            var neighbours = [Int32](), neighbourDistances = [Scalar]()
            neighbours.reserveCapacity(k * k)
            neighbourDistances.reserveCapacity(k * k)
            for cluster in 0..<k {
                var distances: [Double] = (0..<k).map { squaredDistance(centers, cluster, centers, $0).squareRoot() }
                distances[cluster] = -1  // itself first, even when another centre coincides with it
                let order = (0..<k).sorted { (a: Int, b: Int) -> Bool in (distances[a], a) < (distances[b], b) }
                neighbours += order.map { Int32($0) }
                neighbourDistances += order.map { $0 == cluster ? 0 : down(distances[$0]) }
            }
            self.neighbours = neighbours
            self.neighbourDistances = neighbourDistances
            halfGap = (0..<k).map { k > 1 ? down(Double(neighbourDistances[$0 * k + 1]) / 2) : .infinity }
            let squaredMoves =
                previous.map { previous in (0..<k).map { squaredDistance(centers, $0, previous, $0) } }
                ?? [Double](repeating: 0, count: k)
            let moves = squaredMoves.map { $0.squareRoot() }
            moved = moves.map(up)
            let farthest = moves.indices.max { moves[$0] < moves[$1] } ?? 0
            let secondFarthest = moves.indices.filter { $0 != farthest }.map { moves[$0] }.max() ?? 0
            othersMoved = (0..<k).map { up($0 == farthest ? secondFarthest : moves[farthest]) }
            squaredShift = squaredMoves.reduce(0, +)
        }
    }
}
