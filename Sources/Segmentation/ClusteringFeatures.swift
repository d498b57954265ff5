import Foundation
import LinearAlgebra

/// One input of the clustering: a feature, how it is transformed and scaled, and its weight.
public struct ClusteringFeature: Sendable, Equatable {
    public enum Transform: String, Sendable, CaseIterable {
        case none
        /// log(1 + x): tames the long right tails of counts and money. Needs x > -1.
        case log1p
        /// sign(x) · log(1 + |x|): log1p's shape for x ≥ 0, mirrored for x < 0, so it is
        /// defined for every value (net spend, where returns can outweigh purchases).
        case signedLog1p = "signed_log1p"
    }

    public enum Scaling: String, Sendable, CaseIterable {
        case none
        /// (x - mean) / standard deviation.
        case zscore
        /// (x - median) / interquartile range: outliers do not set the scale.
        case robust
    }

    public var name: String
    public var transform: Transform
    public var scaling: Scaling
    /// Multiplies the scaled values: a weight of 2 makes the feature count twice in distances.
    public var weight: Double

    public init(name: String, transform: Transform = .none, scaling: Scaling = .zscore, weight: Double = 1) {
        self.name = name
        self.transform = transform
        self.scaling = scaling
        self.weight = weight
    }
}

/// Why the clustering inputs cannot be built; the pipeline names the key.
public enum ClusteringInputError: Error, Equatable {
    case notFinite(feature: String, customers: Int)
    case transformDomain(feature: String, customers: Int)
}

enum ClusteringMatrix {
    /// The n x d matrix of transformed, scaled and weighted features, row-major, and each
    /// feature's (centre, scale): computed from the values, or the `given` ones of a stored model.
    static func build<Scalar: KMeansScalar>(
        _ columns: [[Double]], _ features: [ClusteringFeature], as type: Scalar.Type,
        scaling given: [(center: Double, scale: Double)]? = nil
    ) throws -> (matrix: Matrix<Scalar>, scaling: [(center: Double, scale: Double)]) {
        let rows = columns.first?.count ?? 0
        var used: [(center: Double, scale: Double)] = []
        var elements = [Scalar](repeating: 0, count: rows * features.count)
        for (index, (raw, feature)) in zip(columns, features).enumerated() {
            let bad = raw.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            if bad > 0 { throw ClusteringInputError.notFinite(feature: feature.name, customers: bad) }
            var values = raw
            if feature.transform == .log1p {
                let outside = values.reduce(0) { $0 + ($1 <= -1 ? 1 : 0) }
                if outside > 0 { throw ClusteringInputError.transformDomain(feature: feature.name, customers: outside) }
                values = values.map { Foundation.log1p($0) }
            } else if feature.transform == .signedLog1p {
                values = values.map { $0 < 0 ? -Foundation.log1p(-$0) : Foundation.log1p($0) }
            }
            let (center, scale) = given?[index] ?? scaling(values, feature.scaling)
            used.append((center, scale))
            for row in 0..<rows {
                elements[row * features.count + index] = Scalar((values[row] - center) / scale * feature.weight)
            }
        }
        return (Matrix(rows: rows, columns: features.count, elements: elements), used)
    }

    /// Centre and scale; a zero scale (constant feature) becomes 1, so the feature is 0 everywhere.
    static func scaling(_ values: [Double], _ scaling: ClusteringFeature.Scaling) -> (center: Double, scale: Double) {
        guard !values.isEmpty else { return (0, 1) }
        switch scaling {
        case .none:
            return (0, 1)
        case .zscore:
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            return (mean, variance > 0 ? variance.squareRoot() : 1)
        case .robust:
            let sorted = values.sorted()
            let range = quantile(sorted, 0.75) - quantile(sorted, 0.25)
            return (quantile(sorted, 0.5), range > 0 ? range : 1)
        }
    }

    /// Linear interpolation between order statistics (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
