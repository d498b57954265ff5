import LinearAlgebra
import SegflowCore
import Segmentation
import Testing
import TestSupport

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
        #expect(adjustedRandIndex(first.labels, double.labels) == 1)
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
}
