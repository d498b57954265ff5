import Features
import SegflowCore

/// The segmentation rules of a pipeline file's `segment` section.
public struct SegmentationRules: Sendable, Equatable {
    /// The seeds' three kinds of customer value.
    public enum ValueMeasure: String, Sendable, CaseIterable {
        /// `monetary_total`: everything the customer has brought so far.
        case historical
        /// `current_value`: spend in the recent window.
        case current
        /// `clv`: what the customer is expected to bring (the churn stage's CLV).
        case potential
        /// `profit_total`: historical value as profit, amount less cost (the 80/20 rule is
        /// stated of profit); needs a cost or margin column.
        case profit
    }

    public var rfmBins: Int = 5
    public var rfmSegments: [RFMSegmentRule] = RFMSegmentRule.defaultMap
    public var valueMeasure: ValueMeasure = .historical
    /// Cumulative customer shares closing tiers A, B, ...; the rest is the next letter.
    public var tierCutoffs: [Double] = [0.2, 0.5]
    public var lifecycle = LifecycleRules()
    /// `segment.kmeans`; nil when the file asks for no clustering.
    public var clustering: ClusteringRules?

    public init() {}
}

/// Per-customer segment columns, in the order of `CustomerFeatures`.
public struct CustomerSegments: Sendable, Equatable {
    public var rScore: [Int] = []
    public var fScore: [Int] = []
    public var mScore: [Int] = []
    public var rfmSegment: [String] = []
    public var valueTier: [String] = []
    public var lifecycleStage: [String] = []
    public var status: [String] = []
    public var pareto = ParetoFigures()

    /// Customers per value of a column, in descending count (ties by name).
    public static func counts(_ values: [String]) -> [(name: String, count: Int)] {
        Dictionary(grouping: values, by: { $0 }).map { ($0.key, $0.value.count) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
    }

    /// The names and kinds of `columns`, known before any customer is segmented.
    public static let schema = CustomerSegments().columns.map(\.schema)

    /// The columns added to customers.csv, in their documented order.
    public var columns: [Column] {
        [
            Column("r_score", .integer(rScore.map { Int64($0) })),
            Column("f_score", .integer(fScore.map { Int64($0) })),
            Column("m_score", .integer(mScore.map { Int64($0) })),
            Column("rfm_segment", .text(rfmSegment)),
            Column("value_tier", .text(valueTier)),
            Column("lifecycle_stage", .text(lifecycleStage)),
            Column("status", .text(status)),
        ]
    }
}

/// RFM scores and segments, value tiers and lifecycle for every customer.
public struct CustomerSegmenter: Sendable {
    public let rules: SegmentationRules

    public init(rules: SegmentationRules) { self.rules = rules }

    /// `value` ranks the tiers and the Pareto figures: the measure's values, one per customer.
    public func segment(_ features: CustomerFeatures, value: [Double]) -> (CustomerSegments, StageReport) {
        var result = CustomerSegments()
        result.rScore = RFMScoring.scores(features.recencyDays.map(Double.init), bins: rules.rfmBins, higherIsBetter: false)
        result.fScore = RFMScoring.scores(features.frequency.map(Double.init), bins: rules.rfmBins)
        result.mScore = RFMScoring.scores(features.monetaryTotal, bins: rules.rfmBins)
        result.rfmSegment = (0..<features.count).map { customer in
            // Validation guarantees the rules cover the whole grid.
            RFMSegmentRule.segment(
                r: result.rScore[customer], f: result.fScore[customer], m: result.mScore[customer],
                rules: rules.rfmSegments) ?? "Unassigned"
        }
        result.valueTier = CustomerValue.tiers(value, cutoffs: rules.tierCutoffs)
        result.pareto = ParetoFigures(
            top1Percent: CustomerValue.paretoShare(value, topFraction: 0.01),
            top5Percent: CustomerValue.paretoShare(value, topFraction: 0.05),
            top10Percent: CustomerValue.paretoShare(value, topFraction: 0.10),
            top20Percent: CustomerValue.paretoShare(value, topFraction: 0.20))
        let histories = (0..<features.count).map(features.lifecycleHistory)
        let statuses = rules.lifecycle.statuses(histories)
        // The peak is steady *and* valuable: at least the median value of the customers who
        // have a relationship to speak of.
        let established = (0..<features.count).filter { rules.lifecycle.isEstablished(purchases: features.frequency[$0], status: statuses[$0]) }
        let medianValue = CustomerValue.median(established.map { features.monetaryTotal[$0] })
        for customer in 0..<features.count {
            let stage = rules.lifecycle.stage(
                histories[customer], status: statuses[customer], valuable: features.monetaryTotal[customer] >= medianValue)
            result.status.append(statuses[customer].rawValue)
            result.lifecycleStage.append(stage.rawValue)
        }
        return (result, StageReport(stage: "segment", rowsIn: features.count, rowsOut: features.count))
    }
}

extension CustomerFeatures {
    /// What the status and stage rules read about one customer.
    public func lifecycleHistory(_ customer: Int) -> LifecycleRules.History {
        let trend = purchaseRateTrend[customer]
        return LifecycleRules.History(
            tenureDays: tenureDays[customer], recencyDays: recencyDays[customer], purchases: frequency[customer],
            rateTrend: trend.isNaN ? nil : trend)
    }
}
