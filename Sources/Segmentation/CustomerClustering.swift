import Features
import LinearAlgebra
import SegflowCore

/// The `segment.kmeans` settings of a pipeline file.
public struct ClusteringRules: Sendable, Equatable {
    public enum ClusterCount: Sendable, Equatable {
        case fixed(Int)
        /// Every k in the range is fitted; `kTolerance` and `minClusterShare` choose among them.
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
    /// `k: auto` takes the smallest k whose silhouette is within this of the best: the
    /// silhouettes of neighbouring k often differ by less than their sampling noise.
    public var kTolerance = 0.01
    /// `k: auto` passes over a k that leaves a cluster with fewer than this share of the
    /// customers: a group too small to act on.
    public var minClusterShare = 0.02
    /// `k: auto` on more customers than this fits the candidate k on a random sample of this
    /// many, then fits only the chosen k on everyone: the sweep no longer costs a full fit
    /// per candidate.
    public var sweepSample = 100_000
    /// When a run fits new centres rather than scoring customers against the stored ones.
    public var refit: Refit = .always

    public enum Refit: Sendable, Equatable {
        /// Every run fits; clusters that continue the previous run's keep their ids.
        case always
        /// Customers are scored against the stored model; only a run without one fits.
        case never
        /// Score against the stored model until it is this many days old, then fit.
        case afterDays(Int)
    }

    public init() {}
}

/// One candidate k of `k: auto`.
public struct KCandidate: Sendable, Equatable, Codable {
    public var k: Int
    public var inertia: Double
    public var silhouette: Double
    /// The smallest and the largest cluster's share of the customers.
    public var smallestShare: Double
    public var largestShare: Double
    /// Adjusted Rand index between the clusterings fitted on two halves of a sample, on the
    /// whole sample: near 1 when k gives the same clusters whatever the customers drawn.
    /// Nil when the sample is too small to split.
    public var stability: Double?
}

/// What clustering produced: a cluster per customer, and how it got there.
public struct ClusteringResult: Sendable, Equatable {
    /// Each customer's cluster, as an index into `profiles`.
    public var labels: [Int32]
    public var clusterCount: Int
    /// In cluster-index order; `cluster` is the cluster's id, which stays with it across runs.
    public var profiles: [ClusterProfile]
    /// What the next run matches its clusters to (`cluster_model.json`).
    public var model: ClusterModel?
    public var inertia: Double
    public var iterations: Int
    /// The curve of `k: auto` (empty for a fixed k) and the rule that chose k.
    public var candidates: [KCandidate]
    public var rule: String
    /// Set when the input was degenerate and segflow did something other than asked.
    public var note: String?

    public var clusterLabels: [String] { labels.map { profiles[Int($0)].label } }
    /// Each customer's cluster id.
    public var clusterIDs: [Int64] { labels.map { Int64(profiles[Int($0)].cluster) } }
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

    /// Clusters `features`. With the `previous` run's model (on the same features), clusters
    /// that continue it keep its ids and labels, and `rules.refit` may score customers against
    /// it instead of fitting. `asOfDay` dates the model this run stores.
    /// `added`: columns other stages computed (RFM scores, P(alive), CLV), by name, in the
    /// order of `features`' customers, for clustering on them.
    public func cluster(
        _ features: CustomerFeatures, added: [String: [Double]] = [:], previous: ClusterModel? = nil, asOfDay: Int64 = 0
    ) throws -> (ClusteringResult, StageReport) {
        switch rules.precision {
        case .float32: return try cluster(features, added: added, previous: previous, asOfDay: asOfDay, as: Float.self)
        case .float64: return try cluster(features, added: added, previous: previous, asOfDay: asOfDay, as: Double.self)
        }
    }

    private func cluster<Scalar: KMeansScalar>(
        _ features: CustomerFeatures, added: [String: [Double]], previous: ClusterModel?, asOfDay: Int64, as type: Scalar.Type
    ) throws -> (ClusteringResult, StageReport) {
        // Customers in id order, whatever the order of the input rows: k-means++ draws by
        // position, so the same customers must give the same clusters however the file is sorted.
        let order = features.customerID.indices.sorted { features.customerID[$0].utf8.lexicographicallyPrecedes(features.customerID[$1].utf8) }
        let columns = try rules.features.map { feature -> [Double] in
            guard let values = features.values(named: feature.name) ?? added[feature.name] else { throw ClusteringError.unknownFeature(feature.name) }
            return order.map { values[$0] }
        }
        let stored = previous.flatMap { $0.fits(rules.features) ? $0 : nil }
        var notes: [String] = []
        if previous != nil, stored == nil {
            notes.append("the previous run clustered on other features (or scaled them otherwise): clusters were fitted anew, with new ids")
        }
        if let stored, let fitted = CivilTime.parseDate(stored.fittedAsOf), !isDue(fittedDay: fitted, asOfDay: asOfDay) {
            return try score(features, columns: columns, order: order, against: stored, as: Scalar.self)
        }
        let matrix: Matrix<Scalar>
        let scaling: [(center: Double, scale: Double)]
        do { (matrix, scaling) = try ClusteringMatrix.build(columns, rules.features, as: Scalar.self) } catch let error as ClusteringInputError {
            throw ClusteringError.input(error)
        }
        let n = matrix.rows
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
                model: nil, inertia: 0, iterations: 0, candidates: [], rule: "degenerate input",
                note: "all \(n) customers have the same clustering features, so they form one cluster")
            return (result, report(result, n))
        }
        let modelFeatures = zip(rules.features, scaling).map { ClusterModel.Feature($0, center: $1.center, scale: $1.scale) }
        // The previous centres in this run's scaling: a warm start that keeps the clusters in place.
        let warmStart = stored.map { stored in
            Matrix<Scalar>(
                rows: stored.clusters.count, columns: matrix.columns,
                elements: stored.centers(scaledAs: modelFeatures).flatMap { $0.map { Scalar($0) } })
        }

        func configuration(_ k: Int) -> KMeansConfiguration {
            KMeansConfiguration(
                clusterCount: k, algorithm: rules.algorithm, restarts: rules.restarts,
                maxIterations: rules.maxIterations, tolerance: rules.tolerance, seed: rules.seed)
        }
        // The sweep over k runs on a random sample of a large base; on a small one it runs on
        // everyone and its fits are kept.
        let sweep =
            candidatesK.count > 1 && n > rules.sweepSample
            ? matrix.selecting(rows: randomRows(n, count: rules.sweepSample, seed: rules.seed &+ 0x5A3B_1E5).sorted()) : matrix
        var fits: [Int: KMeansModel<Scalar>] = [:]
        var candidates: [KCandidate] = []
        for k in candidatesK where candidatesK.count > 1 {
            let model = try KMeans(configuration(k)).fit(sweep)
            if sweep.rows == n { fits[k] = model }
            let sample = Silhouette.stratifiedSample(
                labels: model.labels, clusterCount: k, size: rules.silhouetteSample,
                seed: rules.seed &+ UInt64(k))
            let silhouette = Silhouette.score(sweep.selecting(rows: sample), labels: sample.map { model.labels[$0] }, clusterCount: k)
            var sizes = [Int](repeating: 0, count: k)
            for label in model.labels { sizes[Int(label)] += 1 }
            candidates.append(
                KCandidate(
                    k: k, inertia: model.inertia, silhouette: silhouette, smallestShare: Double(sizes.min() ?? 0) / Double(sweep.rows),
                    largestShare: Double(sizes.max() ?? 0) / Double(sweep.rows), stability: try splitHalfStability(sweep, configuration(k))))
        }
        let (k, choice) = candidatesK.count > 1 ? choose(candidates, sample: min(n, rules.silhouetteSample)) : (candidatesK[0], "fixed k")
        let rule = sweep.rows < n ? choice + "; k chosen on a random sample of \(sweep.rows) customers, then fitted on all \(n)" : choice
        var model = try fits[k] ?? KMeans(configuration(k)).fit(matrix)
        // Continuity is worth up to 1% of inertia: the fit from the previous centres is kept
        // unless a fresh start does better than that. It runs until no customer moves
        // (tolerance 0), so on unchanged data the previous centres are a fixed point and reruns
        // are identical instead of drifting by the tolerance each night.
        if let warmStart, warmStart.rows == k {
            var converging = configuration(k)
            converging.tolerance = 0
            let continued = try KMeans(converging).fit(matrix, initialCenters: warmStart)
            if continued.inertia <= model.inertia * 1.01 { model = continued }
        }
        if let chosen = candidates.first(where: { $0.k == k }) {
            if chosen.largestShare > 0.8 {
                notes.append(
                    String(
                        format: "one cluster holds %.0f%% of the customers: the features hardly separate them; try other features or transforms",
                        chosen.largestShare * 100))
            }
            if let stability = chosen.stability, stability < Self.stableAgreement {
                notes.append(
                    String(
                        format: "k = %d is unstable: fits on two halves of a sample agree only to ARI %.2f; the clusters may change from run to run",
                        k, stability))
            }
        }
        var iterations = model.iterations
        if rules.algorithm == .lloyd {
            // On to full convergence (no customer moves), so the centres are a fixed point: the
            // next run, started from them on the same data, gives the same clusters.
            let converging = KMeansConfiguration(
                clusterCount: k, algorithm: .lloyd, restarts: 1, maxIterations: rules.maxIterations, tolerance: 0, seed: rules.seed)
            model = try KMeans(converging).fit(matrix, initialCenters: model.centers)
            iterations += model.iterations
        }
        let labels = unsorted(model.labels, order)
        var profiles = ClusterProfile.profiles(labels: labels, clusterCount: k, features: features, labelFeatures: labelFeatures)
        let centers = (0..<k).map { cluster in (0..<matrix.columns).map { Double(model.centers[cluster, $0]) } }
        var fitted = ClusterModel(
            features: modelFeatures, clusters: (0..<k).map { ClusterModel.Cluster(id: $0, label: profiles[$0].label, center: centers[$0]) },
            fittedAsOf: CivilTime.dateString(days: asOfDay))
        if let stored {
            let continued = fitted.continuations(of: stored)
            var nextID = (stored.clusters.map(\.id).max() ?? -1) + 1
            let keptLabels = Set(continued.compactMap { $0.map { stored.clusters[$0].label } })
            for cluster in 0..<k {
                if let match = continued[cluster] {
                    fitted.clusters[cluster].id = stored.clusters[match].id
                    fitted.clusters[cluster].label = stored.clusters[match].label
                } else {
                    fitted.clusters[cluster].id = nextID
                    nextID += 1
                    if keptLabels.contains(fitted.clusters[cluster].label) { fitted.clusters[cluster].label += " (new)" }
                }
            }
            let new = continued.filter { $0 == nil }.count
            if new > 0 { notes.append("\(new) of \(k) clusters continue none of the previous run's and have new ids") }
        }
        for cluster in 0..<k {
            profiles[cluster].cluster = fitted.clusters[cluster].id
            profiles[cluster].label = fitted.clusters[cluster].label
        }
        let result = ClusteringResult(
            labels: labels, clusterCount: k, profiles: profiles, model: fitted,
            inertia: model.inertia, iterations: iterations, candidates: candidates, rule: rule,
            note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        return (result, report(result, n))
    }

    /// `k: auto`'s choice and why: among the k whose every cluster holds `minClusterShare` of
    /// the customers (all k when none does), the smallest whose silhouette is within
    /// `kTolerance` of the best.
    func choose(_ candidates: [KCandidate], sample: Int) -> (k: Int, rule: String) {
        let eligible = candidates.filter { $0.smallestShare >= rules.minClusterShare }
        let pool = eligible.isEmpty ? candidates : eligible
        let best = pool.max { ($0.silhouette, -$0.k) < ($1.silhouette, -$1.k) }!
        let chosen = pool.filter { $0.silhouette >= best.silhouette - rules.kTolerance }.min { $0.k < $1.k }!
        let share = String(format: "%g%%", rules.minClusterShare * 100)
        let main =
            chosen.k == best.k
            ? String(format: "highest silhouette, %.3f", best.silhouette)
            : String(
                format: "smallest k within %g of the highest silhouette: %.3f against %.3f at k = %d", rules.kTolerance, chosen.silhouette,
                best.silhouette, best.k)
        let eligibility =
            eligible.isEmpty
            ? ["no k gives every cluster \(share) of the customers"]
            : eligible.count < candidates.count ? ["only k whose clusters each hold \(share) of the customers"] : []
        return (chosen.k, ([main] + eligibility + ["silhouette on a stratified sample of \(sample) customers"]).joined(separator: "; "))
    }

    /// Split-half agreement below this is told: the clusters may move from run to run.
    /// (Clusterings agreeing to an ARI of 0.75 or more are commonly read as stable.)
    static let stableAgreement = 0.75

    /// `count` distinct rows of `n`, in the order drawn (a partial Fisher-Yates shuffle).
    private func randomRows(_ n: Int, count: Int, seed: UInt64) -> [Int] {
        var random = RandomSource(seed: seed)
        var rows = Array(0..<n)
        for index in 0..<count { rows.swapAt(index, index + Int(random.next() % UInt64(n - index))) }
        return Array(rows.prefix(count))
    }

    /// Split-half stability: two fits, on two disjoint halves of a random sample, assign the
    /// whole sample; their adjusted Rand index. Nil when a half would have fewer than 4 points
    /// per cluster.
    private func splitHalfStability<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>, _ configuration: KMeansConfiguration) throws -> Double? {
        let k = configuration.clusterCount, size = min(matrix.rows, rules.silhouetteSample)
        guard size >= 8 * k else { return nil }
        let sample = randomRows(matrix.rows, count: size, seed: rules.seed &+ 0x5EED_5A17 &+ UInt64(k))
        let evaluated = matrix.selecting(rows: sample)
        let labelings = try [sample.prefix(size / 2), sample.suffix(from: size / 2)].map { half in
            NearestCenters.assign(evaluated, centers: try KMeans(configuration).fit(matrix.selecting(rows: Array(half))).centers).labels
        }
        return ClusterAgreement.adjustedRandIndex(labelings[0], labelings[1])
    }

    /// Whether the stored model, fitted on `fittedDay`, is to be replaced by a new fit.
    private func isDue(fittedDay: Int64, asOfDay: Int64) -> Bool {
        switch rules.refit {
        case .always: return true
        case .never: return false
        case .afterDays(let days): return asOfDay - fittedDay >= Int64(days)
        }
    }

    /// Each customer at the nearest stored centre, in the stored model's scaling: no fit, the
    /// stored ids, labels and date.
    private func score<Scalar: KMeansScalar>(
        _ features: CustomerFeatures, columns: [[Double]], order: [Int], against stored: ClusterModel, as type: Scalar.Type
    ) throws -> (ClusteringResult, StageReport) {
        let matrix: Matrix<Double>
        do {
            (matrix, _) = try ClusteringMatrix.build(columns, rules.features, as: Double.self, scaling: stored.features.map { ($0.center, $0.scale) })
        } catch let error as ClusteringInputError {
            throw ClusteringError.input(error)
        }
        let k = stored.clusters.count
        let centers = Matrix(rows: k, columns: matrix.columns, elements: stored.clusters.flatMap(\.center))
        let (sorted, inertia) = NearestCenters.assign(matrix, centers: centers)
        let labels = unsorted(sorted, order)
        var profiles = ClusterProfile.profiles(labels: labels, clusterCount: k, features: features, labelFeatures: labelFeatures)
        for cluster in 0..<k {
            profiles[cluster].cluster = stored.clusters[cluster].id
            profiles[cluster].label = stored.clusters[cluster].label
        }
        let result = ClusteringResult(
            labels: labels, clusterCount: k, profiles: profiles, model: stored, inertia: inertia, iterations: 0, candidates: [],
            rule: "scored against the clusters fitted as of \(stored.fittedAsOf) (refit: \(refitText))", note: nil)
        return (result, report(result, matrix.rows))
    }

    /// The features a cluster's label may name: those clustered on, plus value.
    private var labelFeatures: Set<String> { Set(rules.features.map(\.name) + ["monetary_total"]) }

    private var refitText: String {
        switch rules.refit {
        case .always: return "always"
        case .never: return "never"
        case .afterDays(let days): return "every \(days) days"
        }
    }

    /// Labels of customers in id order, put back in the customers' own order.
    private func unsorted(_ labels: [Int32], _ order: [Int]) -> [Int32] {
        var result = [Int32](repeating: 0, count: labels.count)
        for (position, customer) in order.enumerated() { result[customer] = labels[position] }
        return result
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
