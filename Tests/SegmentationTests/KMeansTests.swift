import LinearAlgebra
import SegflowCore
import Segmentation
import TestSupport
import Testing

/// Adjusted Rand index (Hubert & Arabie 1985) between two labelings.
func adjustedRandIndex(_ a: [Int32], _ b: [Int32]) -> Double {
    var table: [Int64: Double] = [:]
    var rowSums: [Int32: Double] = [:], columnSums: [Int32: Double] = [:]
    for (x, y) in zip(a, b) {
        table[Int64(x) << 32 | Int64(y), default: 0] += 1
        rowSums[x, default: 0] += 1
        columnSums[y, default: 0] += 1
    }
    func pairs(_ n: Double) -> Double { n * (n - 1) / 2 }
    let index = table.values.map(pairs).reduce(0, +)
    let rowPairs = rowSums.values.map(pairs).reduce(0, +), columnPairs = columnSums.values.map(pairs).reduce(0, +)
    let expected = rowPairs * columnPairs / pairs(Double(a.count))
    let maximum = (rowPairs + columnPairs) / 2
    return (index - expected) / (maximum - expected)
}

/// `clusters` Gaussian blobs in `dimensions` dimensions, centres 10 apart, unit spread.
func blobs<Scalar: KMeansScalar>(_ type: Scalar.Type, rows: Int, clusters: Int, dimensions: Int, seed: UInt64) -> (Matrix<Scalar>, [Int32]) {
    var random = RandomSource(seed: seed)
    let centers = (0..<(clusters * dimensions)).map { _ in 40 * random.unit() - 20 }
    var elements: [Scalar] = []
    var truth: [Int32] = []
    for row in 0..<rows {
        let cluster = row % clusters
        truth.append(Int32(cluster))
        for column in 0..<dimensions { elements.append(Scalar(centers[cluster * dimensions + column] + 0.5 * random.normal())) }
    }
    return (Matrix(rows: rows, columns: dimensions, elements: elements), truth)
}

@Suite struct KMeansTests {
    /// scikit-learn's test_kmeans_results: X = [[0,0],[.5,0],[.5,1],[1,1]], weights [3,1,1,3],
    /// init [[0,0],[1,1]] gives labels [0,0,1,1], inertia 0.375, centres [[.125,0],[.875,1]].
    @Test func handComputedToyFromScikitLearn() throws {
        let data = Matrix<Double>(rows: 4, columns: 2, elements: [0, 0, 0.5, 0, 0.5, 1, 1, 1])
        let model = try KMeans(KMeansConfiguration(clusterCount: 2))
            .fit(data, weights: [3, 1, 1, 3], initialCenters: Matrix(rows: 2, columns: 2, elements: [0, 0, 1, 1]))
        #expect(model.labels == [0, 0, 1, 1])
        #expect(isClose(model.inertia, 0.375))
        #expect(zip(model.centers.elements, [0.125, 0, 0.875, 1]).allSatisfy { isClose($0, $1, absolute: 1e-12) })
        #expect(model.converged)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func recoversWellSeparatedBlobs(seed: UInt64) throws {
        let (data, truth) = blobs(Double.self, rows: 3000, clusters: 6, dimensions: 4, seed: seed)
        let model = try KMeans(KMeansConfiguration(clusterCount: 6, restarts: 3, seed: seed)).fit(data)
        let ari = adjustedRandIndex(model.labels, truth)
        #expect(ari >= 0.99, "seed \(seed): ARI \(ari)")
    }

    @Test func floatAndDoubleAgreeAndRunsRepeatBitForBit() throws {
        let (data32, truth) = blobs(Float.self, rows: 5000, clusters: 4, dimensions: 3, seed: 11)
        let data64 = Matrix<Double>(rows: data32.rows, columns: data32.columns, elements: data32.elements.map(Double.init))
        let kmeans = KMeans(KMeansConfiguration(clusterCount: 4, restarts: 2, seed: 5))
        let first = try kmeans.fit(data32), second = try kmeans.fit(data32)
        #expect(first.labels == second.labels)
        #expect(first.centers.elements.map(\.bitPattern) == second.centers.elements.map(\.bitPattern))
        let double = try kmeans.fit(data64)
        // Float and Double may place a boundary row differently: agreement, not identity.
        #expect(adjustedRandIndex(first.labels, double.labels) >= 0.999)
        #expect(adjustedRandIndex(first.labels, truth) >= 0.99)
        #expect(isClose(first.inertia, double.inertia, relative: 1e-4))
    }

    @Test func miniBatchRecoversBlobsCloseToLloyd() throws {
        let (data, truth) = blobs(Float.self, rows: 20_000, clusters: 5, dimensions: 3, seed: 21)
        let lloyd = try KMeans(KMeansConfiguration(clusterCount: 5, restarts: 2, seed: 3)).fit(data)
        let miniBatch = KMeans(KMeansConfiguration(clusterCount: 5, algorithm: .miniBatch(batchSize: 1024), restarts: 2, seed: 3))
        let model = try miniBatch.fit(data)
        #expect(adjustedRandIndex(model.labels, truth) >= 0.99)
        #expect(model.inertia <= lloyd.inertia * 1.02, "mini-batch \(model.inertia) vs Lloyd \(lloyd.inertia)")
        #expect(try miniBatch.fit(data).labels == model.labels, "seeded: the same labels twice")
    }

    @Test func emptyClusterIsReseededAtTheFarthestPoint() throws {
        let data = Matrix<Double>(rows: 6, columns: 1, elements: [0, 0.1, 0.2, 10, 10.1, 30])
        let model = try KMeans(KMeansConfiguration(clusterCount: 3))
            .fit(data, initialCenters: Matrix(rows: 3, columns: 1, elements: [0, 10, 1000]))
        #expect(model.emptyClustersReseeded >= 1)
        #expect(Set(model.labels) == [0, 1, 2])
        #expect(model.labels[5] == 2)
    }

    @Test func rejectsBadInput() {
        let data = Matrix<Double>(rows: 2, columns: 1, elements: [0, 1])
        #expect(throws: KMeansError.tooFewRows(rows: 2, clusters: 3)) { try KMeans(KMeansConfiguration(clusterCount: 3)).fit(data) }
        #expect(throws: KMeansError.invalidClusterCount(0)) { try KMeans(KMeansConfiguration(clusterCount: 0)).fit(data) }
        let withNaN = Matrix<Double>(rows: 2, columns: 1, elements: [0, .nan])
        #expect(throws: KMeansError.notFinite(row: 1, column: 0)) { try KMeans(KMeansConfiguration(clusterCount: 1)).fit(withNaN) }
    }

    @Test func identicalRowsStillFit() throws {
        let data = Matrix<Double>(rows: 50, columns: 2, elements: [Double](repeating: 3, count: 100))
        let model = try KMeans(KMeansConfiguration(clusterCount: 3, seed: 1)).fit(data)
        #expect(model.inertia == 0)
        #expect(model.labels.count == 50)
    }

    /// Lloyd with its distance bounds must follow plain Lloyd step for step: 16 centres put
    /// many rows near a boundary, so skipped rows and the sums kept from moved rows are both
    /// exercised. Uniform data (`blobs` 0) in 3 and 11 columns (the vector kernels' remainder
    /// lanes); in 40 columns, 8 blobs with 2 centres each leave a row few candidate centres, so
    /// it is assigned among them by direct distances instead of the GEMM.
    @Test(arguments: [(3, 0), (11, 0), (40, 8)])
    func boundedLloydFollowsPlainLloyd(columns: Int, blobs: Int) throws {
        var random = RandomSource(seed: 42)
        let rows = 2000, k = 16
        let blobCenters = (0..<(blobs * columns)).map { _ in 8 * random.unit() }
        let elements = (0..<(rows * columns)).map { index in
            blobs == 0 ? random.unit() : blobCenters[(index / columns) % blobs * columns + index % columns] + random.normal()
        }
        let weights = (0..<rows).map { _ in 0.5 + random.unit() }
        let start = Array(elements[0..<(k * columns)])
        func squaredDistance(_ row: Int, _ centers: [Double], _ cluster: Int) -> Double {
            (0..<columns).reduce(0) { total, column in
                let difference = elements[row * columns + column] - centers[cluster * columns + column]
                return total + difference * difference
            }
        }
        func nearest(_ centers: [Double]) -> [Int32] {
            (0..<rows).map { row in Int32((0..<k).min { squaredDistance(row, centers, $0) < squaredDistance(row, centers, $1) }!) }
        }
        var centers = start
        for iterations in 1...8 {
            let labels = nearest(centers)
            var sums = [Double](repeating: 0, count: k * columns), totals = [Double](repeating: 0, count: k)
            for row in 0..<rows {
                let cluster = Int(labels[row])
                totals[cluster] += weights[row]
                for column in 0..<columns { sums[cluster * columns + column] += weights[row] * elements[row * columns + column] }
            }
            try #require(totals.allSatisfy { $0 > 0 }, "the plain Lloyd of this test never empties a cluster")
            centers = (0..<(k * columns)).map { sums[$0] / totals[$0 / columns] }
            let configuration = KMeansConfiguration(clusterCount: k, maxIterations: iterations, tolerance: 0)
            let model = try KMeans(configuration).fit(
                Matrix(rows: rows, columns: columns, elements: elements), weights: weights,
                initialCenters: Matrix(rows: k, columns: columns, elements: start))
            #expect(model.iterations == iterations)
            // The GEMM's rounding differs between CPUs' kernels: a row may go to either of two
            // centres whose distances are equal to 1e-9, and no further.
            let expected = nearest(centers)
            let misplaced = (0..<rows).filter { row in
                squaredDistance(row, centers, Int(model.labels[row])) > squaredDistance(row, centers, Int(expected[row])) * (1 + 1e-9) + 1e-12
            }.count
            #expect(misplaced == 0, "after \(iterations) iterations, \(misplaced) rows are not at their nearest centre")
            #expect(adjustedRandIndex(model.labels, expected) >= 0.999, "after \(iterations) iterations")
            #expect(
                zip(model.centers.elements, centers).allSatisfy { isClose($0, $1, relative: 1e-9, absolute: 1e-9) }, "after \(iterations) iterations")

            let single = try KMeans(configuration).fit(
                Matrix(rows: rows, columns: columns, elements: elements.map(Float.init)),
                weights: weights, initialCenters: Matrix(rows: k, columns: columns, elements: start.map(Float.init)))
            let singleCenters = single.centers.elements.map(Double.init)
            let skipped = (0..<rows).filter { row in
                let own = squaredDistance(row, singleCenters, Int(single.labels[row]))
                return (0..<k).contains { squaredDistance(row, singleCenters, $0) + 1e-5 < own }
            }.count
            #expect(skipped == 0, "Float, after \(iterations) iterations: \(skipped) rows kept a centre farther than another")
        }
    }

    /// The C arg-min against a plain loop: rows beyond one 256-row slice, one cluster (no runner-up), ties.
    @Test(arguments: [1, 2, 7])
    func nearestTwoCentersMatchesAPlainLoop(clusters: Int) {
        var random = RandomSource(seed: UInt64(clusters))
        let rows = 300
        func check<Scalar: KMeansScalar>(_: Scalar.Type) {
            // Values on a coarse grid, so that ties happen and must go to the first cluster.
            let dots = (0..<(clusters * rows)).map { _ in Scalar((random.unit() * 8).rounded()) }
            let norms = (0..<clusters).map { _ in Scalar((random.unit() * 8).rounded()) }
            var labels = [Int32](repeating: -1, count: rows)
            var nearest = [Scalar](repeating: 0, count: rows), runnerUp = [Scalar](repeating: 0, count: rows)
            Scalar.nearestTwoCenters(
                dots: dots, norms: norms, clusters: clusters, rows: rows, labels: &labels,
                nearest: &nearest, runnerUp: &runnerUp)
            for row in 0..<rows {
                let values = (0..<clusters).map { norms[$0] - 2 * dots[$0 * rows + row] }
                let best = values.indices.min { values[$0] < values[$1] }!
                let others = values.indices.filter { $0 != best }.map { values[$0] }
                #expect(labels[row] == Int32(best) && nearest[row] == values[best], "\(Scalar.self) row \(row)")
                #expect(runnerUp[row] == (others.min() ?? .infinity), "\(Scalar.self) row \(row)")
            }
        }
        check(Float.self)
        check(Double.self)
    }
}
