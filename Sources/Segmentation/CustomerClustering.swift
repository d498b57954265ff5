import Features
import LinearAlgebra
import SegflowCore

/// The `segment.kmeans` settings of a pipeline file.
public struct ClusteringRules: Sendable, Equatable {
    public enum ClusterCount: Sendable, Equatable {
        case fixed(Int)
        /// Every k in the range is fitted; the best silhouette wins (ties: the smaller k).
        case auto(ClosedRange<Int>)
    }

    public enum Precision: String, Sendable, CaseIterable {
        /// The default: as accurate as float64 on standardised features (inertia within 1e-6
        /// relative in the scikit-learn cross-check) and up to 2x faster (Benchmarks/kmeans.py).
        case float32, float64
    }

    public var features: [ClusteringFeature] = [
        ClusteringFeature(name: "recency_days", transform: .log1p),
        ClusteringFeature(name: "frequency", transform: .log1p),
        ClusteringFeature(name: "monetary_total", transform: .log1p),
    ]
    public var clusterCount: ClusterCount = .fixed(6)
    public var algorithm: KMeansConfiguration.Algorithm = .lloyd
    public var restarts = 4
    public var maxIterations = 300
    public var tolerance = 1e-4
    public var seed: UInt64 = 42
    public var precision: Precision = .float32
    /// Customers in the stratified sample the silhouette is computed on.
    public var silhouetteSample = 10_000

    public init() {}
}

/// One candidate k of `k: auto`.
public struct KCandidate: Sendable, Equatable, Codable {
    public var k: Int
    public var inertia: Double
    public var silhouette: Double
}

/// What clustering produced: a cluster per customer, and how it got there.
public struct ClusteringResult: Sendable, Equatable {
    public var labels: [Int32]
    public var clusterCount: Int
    public var profiles: [ClusterProfile]
    public var inertia: Double
    public var iterations: Int
    /// The curve of `k: auto` (empty for a fixed k) and the rule that chose k.
    public var candidates: [KCandidate]
    public var rule: String
    /// Set when the input was degenerate and segflow did something other than asked.
    public var note: String?

    public var clusterLabels: [String] { labels.map { profiles[Int($0)].label } }
}

public enum ClusteringError: Error, Equatable {
    case tooFewCustomers(k: Int, customers: Int)
    case input(ClusteringInputError)
    case unknownFeature(String)
}

/// k-means over transformed customer features, with readable cluster profiles.
public struct CustomerClustering: Sendable {
    public let rules: ClusteringRules

    public init(rules: ClusteringRules) { self.rules = rules }

    public func cluster(_ features: CustomerFeatures) throws -> (ClusteringResult, StageReport) {
        switch rules.precision {
        case .float32: return try cluster(features, as: Float.self)
        case .float64: return try cluster(features, as: Double.self)
        }
    }

    private func cluster<Scalar: KMeansScalar>(_ features: CustomerFeatures, as type: Scalar.Type) throws -> (ClusteringResult, StageReport) {
        let columns = try rules.features.map { feature -> [Double] in
            guard let values = features.values(named: feature.name) else { throw ClusteringError.unknownFeature(feature.name) }
            return values
        }
        let matrix: Matrix<Scalar>
        do { matrix = try ClusteringMatrix.build(columns, rules.features, as: Scalar.self) } catch let error as ClusteringInputError {
            throw ClusteringError.input(error)
        }
        let n = matrix.rows
        let labelFeatures = Set(rules.features.map(\.name) + ["monetary_total"])
        let candidatesK: [Int]
        switch rules.clusterCount {
        case .fixed(let k):
            guard k <= n else { throw ClusteringError.tooFewCustomers(k: k, customers: n) }
            candidatesK = [k]
        case .auto(let range):
            guard range.lowerBound <= n else { throw ClusteringError.tooFewCustomers(k: range.lowerBound, customers: n) }
            candidatesK = Array(range.lowerBound...min(range.upperBound, n))
        }

        if isDegenerate(matrix) {
            let labels = [Int32](repeating: 0, count: n)
            let result = ClusteringResult(
                labels: labels, clusterCount: 1,
                profiles: ClusterProfile.profiles(labels: labels, clusterCount: 1, features: features, labelFeatures: labelFeatures),
                inertia: 0, iterations: 0, candidates: [], rule: "degenerate input",
                note: "all \(n) customers have the same clustering features, so they form one cluster")
            return (result, report(result, n))
        }

        var best: (model: KMeansModel<Scalar>, k: Int)?
        var candidates: [KCandidate] = []
        var bestSilhouette = -Double.infinity
        for k in candidatesK {
            let configuration = KMeansConfiguration(
                clusterCount: k, algorithm: rules.algorithm, restarts: rules.restarts,
                maxIterations: rules.maxIterations, tolerance: rules.tolerance, seed: rules.seed)
            let model = try KMeans(configuration).fit(matrix)
            guard candidatesK.count > 1 else {
                best = (model, k)
                break
            }
            let sample = Silhouette.stratifiedSample(
                labels: model.labels, clusterCount: k, size: rules.silhouetteSample,
                seed: rules.seed &+ UInt64(k))
            var sampled = [Scalar]()
            sampled.reserveCapacity(sample.count * matrix.columns)
            for row in sample { sampled.append(contentsOf: matrix.elements[(row * matrix.columns)..<((row + 1) * matrix.columns)]) }
            let silhouette = Silhouette.score(
                Matrix(rows: sample.count, columns: matrix.columns, elements: sampled),
                labels: sample.map { model.labels[$0] }, clusterCount: k)
            candidates.append(KCandidate(k: k, inertia: model.inertia, silhouette: silhouette))
            if silhouette > bestSilhouette {
                bestSilhouette = silhouette
                best = (model, k)
            }
        }
        guard let (model, k) = best else { throw ClusteringError.tooFewCustomers(k: candidatesK.first ?? 0, customers: n) }
        let result = ClusteringResult(
            labels: model.labels, clusterCount: k,
            profiles: ClusterProfile.profiles(labels: model.labels, clusterCount: k, features: features, labelFeatures: labelFeatures),
            inertia: model.inertia, iterations: model.iterations, candidates: candidates,
            rule: candidatesK.count > 1
                ? "highest silhouette on a stratified sample of \(min(n, rules.silhouetteSample)) customers; ties to the smaller k"
                : "fixed k",
            note: nil)
        return (result, report(result, n))
    }

    private func isDegenerate<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>) -> Bool {
        guard matrix.rows > 0 else { return true }
        for column in 0..<matrix.columns {
            let first = matrix[0, column]
            for row in 1..<matrix.rows where matrix[row, column] != first { return false }
        }
        return true
    }

    private func report(_ result: ClusteringResult, _ customers: Int) -> StageReport {
        StageReport(
            stage: "cluster", rowsIn: customers, rowsOut: customers,
            counts: [.init("clusters", result.clusterCount), .init("iterations", result.iterations)])
    }
}
