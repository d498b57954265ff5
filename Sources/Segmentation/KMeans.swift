import LinearAlgebra
import SegflowCore

/// Settings of a k-means fit; names follow scikit-learn's `KMeans`.
public struct KMeansConfiguration: Sendable, Equatable {
    public enum Algorithm: Sendable, Equatable {
        /// Full passes over the data (the default).
        case lloyd
        /// Random batches of this many rows per step, for data too large for full passes.
        case miniBatch(batchSize: Int)
    }

    public var clusterCount: Int
    public var algorithm: Algorithm
    /// Independent k-means++ starts; the fit with the lowest inertia is kept (`n_init`).
    public var restarts: Int
    public var maxIterations: Int
    /// Relative tolerance: Lloyd stops once the squared centre shift summed over clusters is
    /// at most `tolerance` times the mean per-feature variance (as scikit-learn scales `tol`).
    public var tolerance: Double
    public var seed: UInt64

    public init(
        clusterCount: Int, algorithm: Algorithm = .lloyd, restarts: Int = 4, maxIterations: Int = 300,
        tolerance: Double = 1e-4, seed: UInt64 = 0
    ) {
        self.clusterCount = clusterCount
        self.algorithm = algorithm
        self.restarts = restarts
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.seed = seed
    }
}

public enum KMeansError: Error, Equatable, CustomStringConvertible {
    case invalidClusterCount(Int)
    case tooFewRows(rows: Int, clusters: Int)
    case notFinite(row: Int, column: Int)

    public var description: String {
        switch self {
        case .invalidClusterCount(let k): return "k must be at least 1, got \(k)"
        case .tooFewRows(let rows, let k): return "k = \(k) is larger than the number of rows (\(rows))"
        case .notFinite(let row, let column): return "value at row \(row + 1), column \(column + 1) is NaN or infinite"
        }
    }
}

/// A fitted k-means model. Only `KMeans.fit` makes one.
public struct KMeansModel<Scalar: BLASScalar>: Sendable {
    /// `k x d`, in the space of the data that was fitted.
    public let centers: Matrix<Scalar>
    public let labels: [Int32]
    /// Sum over rows of weight x squared distance to the row's centre, in Double.
    public let inertia: Double
    public let iterations: Int
    public let converged: Bool
    /// How many times an empty cluster was re-seeded during the kept run.
    public let emptyClustersReseeded: Int
    /// The restart (0-based) whose run was kept.
    public let keptRestart: Int
}

/// Lloyd's k-means with k-means++ initialisation, on BLAS.
///
/// - k-means++: Arthur & Vassilvitskii (2007), "k-means++: the advantages of careful
///   seeding"; the greedy variant of scikit-learn (`_kmeans_plusplus`), trying
///   2 + floor(ln k) candidates per step and keeping the one that lowers the potential most.
/// - Lloyd: the assignment step computes `||x||^2 - 2 x.c + ||c||^2` for a block of rows at a
///   time with one GEMM (never an n x k matrix for all n). Each row keeps Hamerly's two
///   distance bounds (Hamerly 2010, "Making k-means even faster"; scikit-learn's `elkan` is
///   the same idea with k bounds per row): a row whose bounds prove its centre is still the
///   nearest skips the GEMM, so later iterations cost a fraction of the first. The bounds
///   carry margins for the rounding of the norm expansion, so a row is skipped only when its
///   centre is, in exact arithmetic, still its nearest: the iterations are Lloyd's.
///   Per-cluster sums change by the rows that moved, kept per part; parts are a fixed split of
///   the rows, summed in part order, so labels and centres are bit-identical whatever the
///   number of threads.
/// - As scikit-learn: the data is centred first (precision of the norm expansion), `tol` is
///   scaled by the mean feature variance, an empty cluster is re-seeded at the point farthest
///   from its centre, and after the last update the assignment runs once more so labels
///   match the returned centres.
///
/// Cost: O(n k d) per iteration at worst; memory O(n d) for a centred copy plus O(n) labels and bounds.
public struct KMeans: Sendable {
    public let configuration: KMeansConfiguration
    /// Fixed number of accumulation parts: the unit of determinism, not of threading.
    static let accumulationParts = 32
    static let blockRows = 4096
    /// Rows per GEMM of the assignment step: its k x rows product then stays in L2 for the arg-min.
    static let gemmRows = 512

    public init(_ configuration: KMeansConfiguration) { self.configuration = configuration }

    /// Fits with `restarts` k-means++ starts and keeps the lowest inertia.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func fit<Scalar: KMeansScalar>(_ data: Matrix<Scalar>, weights: [Double]? = nil) throws -> KMeansModel<Scalar> {
        let problem = try Problem(data: data, weights: weights, clusterCount: configuration.clusterCount)
        func run(_ restart: Int) -> KMeansModel<Scalar> {
            var random = RandomSource(seed: configuration.seed &+ UInt64(restart) &* 0x9E37_79B9_7F4A_7C15)
            let k = configuration.clusterCount
            switch configuration.algorithm {
            case .lloyd:
                let start = problem.kMeansPlusPlus(clusterCount: k, random: &random)
                return problem.lloyd(start: start, configuration: configuration, restart: restart)
            case .miniBatch(let batchSize):
                let start = problem.kMeansPlusPlus(clusterCount: k, sampleSize: max(3 * batchSize, 3 * k), random: &random)
                return problem.miniBatch(
                    start: start, batchSize: batchSize, configuration: configuration, random: &random,
                    restart: restart)
            }
        }
        var best = run(0)
        for restart in 1..<max(1, configuration.restarts) {
            let model = run(restart)
            if model.inertia < best.inertia { best = model }
        }
        return best
    }

    /// One Lloyd run from the given `k x d` starting centres (no k-means++).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func fit<Scalar: KMeansScalar>(_ data: Matrix<Scalar>, weights: [Double]? = nil, initialCenters: Matrix<Scalar>) throws -> KMeansModel<
        Scalar
    > {
        precondition(initialCenters.columns == data.columns, "initial centres have \(initialCenters.columns) columns, data \(data.columns)")
        let problem = try Problem(data: data, weights: weights, clusterCount: initialCenters.rows)
        var centered = initialCenters.elements
        for cluster in 0..<initialCenters.rows {
            for column in 0..<data.columns { centered[cluster * data.columns + column] -= problem.mean[column] }
        }
        return problem.lloyd(start: centered, configuration: configuration, restart: 0)
    }
}
