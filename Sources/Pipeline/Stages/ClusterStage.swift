import Export
import Features
import RunRecords
import SegflowCore
import Segmentation
import Yams

/// `segment.kmeans`: behavioural clusters by k-means.
public struct ClusterSection: ConfigSection, Equatable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case lloyd, minibatch
    }

    /// What clustering runs with; `check` folds the keys below into it.
    public var rules = ClusteringRules()
    var features: [ClusterFeatureItem] = []
    var autoK = false
    /// From 3: two clusters are a split, not a segmentation, and the silhouette favours k = 2 on
    /// most customer data (0.294 against 0.265 at best for 3 to 12 on the bundled sample).
    var kRange = 3...12
    var algorithm = Algorithm.lloyd
    var batchSize = 4096

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .list(
                "features", \.features, defaultText: ClusteringRules().features.map(\.name).joined(separator: ", ") + ", each log1p",
                doc: "The numeric features clustered on.", shortForm: ClusterFeatureItem.shortForm),
            .custom(
                "k", shape: .other("whole number 1..1000 or auto"), defaultText: kText(ClusteringRules().clusterCount),
                doc: "Number of clusters, or search `k_range`."
            ) { node, context, section in
                if node.string == "auto" {
                    section.autoK = true
                } else if let k = context.reader.integer(node, at: context.path, in: 1...1000) {
                    section.rules.clusterCount = .fixed(k)
                }
            },
            .custom(
                "k_range", shape: .list(.integer(1...1000)), defaultText: "[3, 12]",
                doc: "With `k: auto`, the k searched."
            ) { node, context, section in
                guard let bounds = context.reader.list(node, at: context.path, { context.reader.integer($0, at: context.path, in: 1...1000) })
                else { return }
                if bounds.count == 2, bounds[0] <= bounds[1] {
                    section.kRange = bounds[0]...bounds[1]
                } else {
                    context.error(node, "'\(context.path)' must be [lowest, highest], e.g. [2, 12]")
                }
            },
            .choice("algorithm", \.algorithm, doc: "`lloyd`: full passes; `minibatch`: random batches per step."),
            .integer("batch_size", \.batchSize, in: 16...10_000_000, doc: "Rows per mini-batch step."),
            .integer("restarts", \.rules.restarts, in: 1...100, doc: "k-means++ starts per k; the lowest inertia is kept."),
            .integer("max_iter", \.rules.maxIterations, in: 1...100_000, doc: "Lloyd iterations at most."),
            .number("tol", \.rules.tolerance, in: 0...1, doc: "Stops when the squared centre shift is at most tol x the mean variance."),
            .custom(
                "seed", shape: .integer(0...Int.max), defaultText: String(ClusteringRules().seed),
                doc: "Same seed, same clusters."
            ) { node, context, section in
                if let value = context.reader.integer(node, at: context.path, in: 0...Int.max) { section.rules.seed = UInt64(value) }
            },
            .choice("precision", \.rules.precision, doc: "Arithmetic of the distance step."),
            .custom(
                "refit", shape: .other("always, never, or an age such as 30d"), defaultText: "always",
                doc: "When to fit new centres instead of scoring customers against the previous run's."
            ) { node, context, section in
                switch node.string {
                case "always": section.rules.refit = .always
                case "never": section.rules.refit = .never
                case let text? where text.last == "d" || text.last == "w":
                    if let days = context.reader.duration(node, at: context.path, in: 1...3650) { section.rules.refit = .afterDays(days) }
                default:
                    context.error(node, "'\(context.path)' must be always, never, or how old the centres may get, e.g. 30d")
                }
            },
            .integer(
                "silhouette_sample", \.rules.silhouetteSample, in: 100...1_000_000,
                doc: "Customers in the stratified sample for the silhouette."),
            .number(
                "k_tolerance", \.rules.kTolerance, in: 0...1,
                doc: "With `k: auto`, the smallest k whose silhouette is within this of the best is chosen."),
            .number(
                "min_cluster_share", \.rules.minClusterShare, in: 0...0.5,
                doc: "With `k: auto`, a k leaving a cluster with a smaller share of the customers is passed over."),
            .integer(
                "k_sweep_sample", \.rules.sweepSample, in: 100...1_000_000_000,
                doc: "With `k: auto` on more customers than this, the k are compared on a random sample of this many."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if case .sequence(let items)? = context.entries["features"], items.isEmpty {
            context.error("features", "'\(context.path).features' is empty", hint: "list at least one feature, e.g. [frequency]")
        }
        if context.entries["features"] != nil {
            let items = section.features
            var seen = Set<String>()
            for (index, item) in items.enumerated() where !seen.insert(item.feature.name).inserted {
                context.reader.error(
                    at: context.reader.locations["\(context.indexedPath).features[\(index)]"],
                    "feature '\(item.feature.name)' is listed twice in '\(context.path).features'")
            }
            section.rules.features = items.map(\.feature)
        }
        if section.autoK {
            section.rules.clusterCount = .auto(section.kRange)
        } else if case .fixed(let k) = section.rules.clusterCount, context.entries["k"] != nil, context.entries["k_range"] != nil {
            context.warning("k_range", "'\(context.path).k_range' is not used: k is fixed at \(k)", hint: "set 'k: auto' to search the range")
        }
        switch section.algorithm {
        case .lloyd:
            section.rules.algorithm = .lloyd
            if context.entries["batch_size"] != nil {
                context.warning("batch_size", "'\(context.path).batch_size' is not used without 'algorithm: minibatch'")
            }
        case .minibatch: section.rules.algorithm = .miniBatch(batchSize: section.batchSize)
        }
    }

    static func kText(_ count: ClusteringRules.ClusterCount) -> String {
        switch count {
        case .fixed(let k): return String(k)
        case .auto: return "auto"
        }
    }
}

/// One entry of `segment.kmeans.features`: a feature name, or `{name, transform, scaling, weight}`.
struct ClusterFeatureItem: ConfigSection, Equatable {
    var feature = ClusteringFeature(name: "")

    static var fields: [ConfigField<Self>] {
        [
            .text("name", \.feature.name, required: true, example: "frequency", doc: "A numeric feature column."),
            .choice("transform", \.feature.transform, doc: "log(1 + x) for long right tails; needs x > -1."),
            .choice("scaling", \.feature.scaling, doc: "After the transform: z-score, robust (median/IQR) or none."),
            .number("weight", \.feature.weight, in: 0...100, doc: "Multiplies the scaled feature."),
        ]
    }

    /// A feature written by its name alone; `.none` for the full mapping.
    static func shortForm(_ node: Node, _ context: FieldContext) -> Self?? {
        guard case .scalar = node else { return .none }
        guard let name = context.reader.string(node, at: context.path) else { return .some(nil) }
        var item = Self()
        item.feature.name = name
        return .some(item)
    }

}

/// k-means clusters over the customers' features, their profiles and labels.
enum ClusterStage: PipelineStage {
    static let name = "cluster"

    static func customerColumns(_ config: ClusterSection) -> [ColumnSchema] {
        columns(ids: [], clusterLabels: []).map(\.schema)
    }

    /// The `segments` table's columns, known before any cluster is fitted.
    static func segmentsSchema(_ lines: LineColumns) -> [ColumnSchema] {
        segmentsTable([], features: FeatureDescriptor.numericNames(lines)).columns.map(\.schema)
    }

    private static func columns(ids: [Int64], clusterLabels: [String]) -> [Column] {
        [Column("cluster", .integer(ids)), Column("cluster_label", .text(clusterLabels))]
    }

    static func run(_ config: ClusterSection, _ context: inout RunContext) throws {
        let rules = config.rules
        let (result, report) = try cluster(rules, context)
        for column in columns(ids: result.clusterIDs, clusterLabels: result.clusterLabels) { context.customers.append(column) }
        context.stageReports.append(report)
        context.clusteringSummary = Manifest.Clustering(
            k: result.clusterCount, rule: result.rule, seed: rules.seed, precision: rules.precision.rawValue,
            inertia: result.inertia, iterations: result.iterations,
            candidates: result.candidates.map {
                .init(
                    k: $0.k, inertia: $0.inertia, silhouette: $0.silhouette, smallestShare: $0.smallestShare, largestShare: $0.largestShare,
                    stability: $0.stability)
            },
            clusters: result.profiles.map {
                .init(
                    cluster: $0.cluster, label: $0.label, customers: $0.customers,
                    share: $0.share, valueShare: $0.valueShare)
            },
            note: result.note)
        context.clustering = result
    }

    /// k-means with its failures told at the key that can fix them.
    private static func cluster(_ rules: ClusteringRules, _ context: RunContext) throws -> (ClusteringResult, StageReport) {
        do {
            // Columns other stages added (RFM scores, P(alive), CLV, ...) as numbers.
            var added: [String: [Double]] = [:]
            for feature in rules.features where !context.features.numericNames.contains(feature.name) {
                added[feature.name] = context.customers.column(named: feature.name)?.numbers
            }
            return try CustomerClustering(rules: rules).cluster(
                context.features, added: added, previous: context.previousClusterModel, asOfDay: context.asOfDay)
        } catch ClusteringError.tooFewCustomers(let k, let count) {
            throw context.error(
                .config, at: "segment.kmeans.k", "\(k) clusters asked for, but the run has only \(count) customers",
                hint: "lower segment.kmeans.k (or the k_range), or check why so few customers survived cleaning")
        } catch ClusteringError.input(.notFinite(let feature, let count)) {
            throw context.error(
                .config, at: "segment.kmeans.features",
                "'\(feature)' has no value for \(count) customers (inter-purchase times need two purchases; "
                    + "churn_probability is empty outside the churn population; clv where the spend model could not value a customer; "
                    + "margin_rate and channel shares where there is no positive spend)",
                hint: "cluster on columns every customer has, such as recency_days, frequency, monetary_total, tenure_days, p_alive")
        } catch ClusteringError.input(.transformDomain(let feature, let count)) {
            throw context.error(
                .config, at: "segment.kmeans.features",
                "log1p of '\(feature)' is undefined for \(count) customers with values <= -1 (net returns)",
                hint: "use 'transform: signed_log1p', defined for every value, for this feature")
        } catch ClusteringError.unknownFeature(let name) {
            throw context.error(.config, at: "segment.kmeans.features", "no feature named '\(name)'")
        }
    }

    /// The `segments` table: one row per cluster, then mean, median and z-score of every
    /// feature (no rows without clustering).
    static func segmentsTable(_ profiles: [ClusterProfile], features: [String]) -> Table {
        var table = Table(
            rowCount: profiles.count,
            columns: [
                Column("cluster", .integer(profiles.map { Int64($0.cluster) })),
                Column("label", .text(profiles.map(\.label))),
                Column("customers", .integer(profiles.map { Int64($0.customers) })),
                Column("share", .real(profiles.map(\.share))),
                Column("value_share", .real(profiles.map(\.valueShare))),
            ])
        for name in features {
            func summary(_ profile: ClusterProfile) -> ClusterProfile.FeatureSummary? { profile.features.first { $0.name == name } }
            table.append(Column("\(name)_mean", .real(profiles.map { summary($0)?.mean ?? .nan })))
            table.append(Column("\(name)_median", .real(profiles.map { summary($0)?.median ?? .nan })))
            table.append(Column("\(name)_z", .real(profiles.map { summary($0)?.zScore ?? .nan })))
        }
        return table
    }
}
