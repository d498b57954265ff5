/// The clustering a run used, kept with the run (`cluster_model.json`): how each feature was
/// transformed and scaled, and each cluster's id, label and centre in that space. The next
/// run matches its clusters to these, so a cluster keeps its id from night to night, or
/// scores its customers against these centres without refitting.
public struct ClusterModel: Codable, Sendable, Equatable {
    public struct Feature: Codable, Sendable, Equatable {
        public var name: String
        public var transform: String
        public var scaling: String
        public var weight: Double
        /// What the scaling subtracted and divided by, in the transformed feature's units.
        public var center: Double
        public var scale: Double

        public init(_ feature: ClusteringFeature, center: Double, scale: Double) {
            name = feature.name
            transform = feature.transform.rawValue
            scaling = feature.scaling.rawValue
            weight = feature.weight
            self.center = center
            self.scale = scale
        }
    }

    public struct Cluster: Codable, Sendable, Equatable {
        public var id: Int
        public var label: String
        /// The centre in the model's scaled, weighted space.
        public var center: [Double]

        public init(id: Int, label: String, center: [Double]) {
            self.id = id
            self.label = label
            self.center = center
        }
    }

    public var features: [Feature]
    public var clusters: [Cluster]
    /// The as-of date (YYYY-MM-DD) of the run that fitted the centres; a run that scores
    /// against a stored model keeps that date.
    public var fittedAsOf: String

    public init(features: [Feature], clusters: [Cluster], fittedAsOf: String) {
        self.features = features
        self.clusters = clusters
        self.fittedAsOf = fittedAsOf
    }

    /// Whether this model clusters on the same features, transformed, scaled and weighted
    /// alike: only then do its centres mean anything to a run with `features`.
    public func fits(_ features: [ClusteringFeature]) -> Bool {
        self.features.count == features.count
            && zip(self.features, features).allSatisfy {
                $0.name == $1.name && $0.transform == $1.transform.rawValue && $0.scaling == $1.scaling.rawValue && $0.weight == $1.weight
            }
    }

    /// This model's centres expressed in another scaling of the same features: undo this
    /// model's scaling, apply the other's.
    public func centers(scaledAs other: [Feature]) -> [[Double]] {
        clusters.map { cluster in
            zip(cluster.center, zip(features, other)).map { value, pair in
                let (own, target) = pair
                guard own.weight != 0, target.weight != 0 else { return 0 }
                let transformed = value / own.weight * own.scale + own.center
                return (transformed - target.center) / target.scale * target.weight
            }
        }
    }

    /// For each cluster of `self` (a new fit), the previous model's cluster it continues, or
    /// nil for a cluster that is new. Centres are compared in the previous model's space and
    /// paired by an optimal assignment (least total squared distance); a pair counts only when
    /// the new centre lies nearer the previous one than half the way to that centre's nearest
    /// neighbour, so a cluster that moved into another's place is not taken for it.
    public func continuations(of previous: ClusterModel) -> [Int?] {
        let mine = centers(scaledAs: previous.features)
        let theirs = previous.clusters.map(\.center)
        let cost = mine.map { center in theirs.map { squaredDistance(center, $0) } }
        let pairing = Self.optimalAssignment(cost)
        return pairing.enumerated().map { row, column in
            guard let column else { return nil }
            let neighbour = theirs.indices.filter { $0 != column }.map { squaredDistance(theirs[column], theirs[$0]) }.min() ?? .infinity
            // Half the distance to the neighbour, squared: a quarter of the squared distance.
            return cost[row][column] < neighbour / 4 ? column : nil
        }
    }

    /// Hungarian algorithm (Kuhn 1955, Munkres 1957) in its O(n³) shortest-augmenting-path
    /// form, on a rows × columns cost matrix padded to a square: for each row the column it
    /// is paired with, nil when there are more rows than columns and it is left out.
    static func optimalAssignment(_ cost: [[Double]]) -> [Int?] {
        let rows = cost.count, columns = cost.first?.count ?? 0
        let n = max(rows, columns)
        guard n > 0 else { return [] }
        let padding = (cost.flatMap { $0 }.max() ?? 0) + 1
        func at(_ row: Int, _ column: Int) -> Double { row < rows && column < columns ? cost[row][column] : padding }
        // Potentials u (rows) and v (columns), 1-based with column 0 as the free start.
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
        var owner = [Int](repeating: 0, count: n + 1), way = [Int](repeating: 0, count: n + 1)
        for row in 1...n {
            owner[0] = row
            var column = 0
            var slack = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[column] = true
                let current = owner[column]
                var delta = Double.infinity, next = 0
                for candidate in 1...n where !used[candidate] {
                    let reduced = at(current - 1, candidate - 1) - u[current] - v[candidate]
                    if reduced < slack[candidate] {
                        slack[candidate] = reduced
                        way[candidate] = column
                    }
                    if slack[candidate] < delta {
                        delta = slack[candidate]
                        next = candidate
                    }
                }
                for candidate in 0...n {
                    if used[candidate] {
                        u[owner[candidate]] += delta
                        v[candidate] -= delta
                    } else {
                        slack[candidate] -= delta
                    }
                }
                column = next
            } while owner[column] != 0
            repeat {
                let previous = way[column]
                owner[column] = owner[previous]
                column = previous
            } while column != 0
        }
        var result = [Int?](repeating: nil, count: rows)
        for column in 1...n where owner[column] >= 1 && owner[column] <= rows && column <= columns {
            result[owner[column] - 1] = column - 1
        }
        return result
    }
}

func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
}
