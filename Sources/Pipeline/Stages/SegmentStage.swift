import Export
import Features
import Foundation
import RunRecords
import SegflowCore
import Segmentation
import Yams

/// `segment`: RFM scores and segments, value tiers, lifecycle stage and status; and
/// `segment.kmeans`, read by `ClusterStage`.
public struct SegmentSection: ConfigSection, Equatable {
    public var rfm = RFMSection()
    public var value = ValueSection()
    public var lifecycle = LifecycleSection()
    /// `segment.kmeans`; nil when the file asks for no clustering.
    public var kmeans: ClusterSection?
    /// `segment.quadrant`; nil when the file asks for no loyalty × profitability quadrant.
    public var quadrant: QuadrantSection?

    public init() {}

    public var rules: SegmentationRules {
        var rules = SegmentationRules()
        rules.rfmBins = rfm.bins
        rules.rfmSegments = rfm.segments ?? RFMSegmentRule.defaultMap
        rules.valueMeasure = value.measure
        rules.tierCutoffs = value.tiers
        rules.lifecycle = lifecycle.rules
        rules.clustering = kmeans?.rules
        return rules
    }

    static var fields: [ConfigField<Self>] {
        [
            .section("rfm", \.rfm, doc: "RFM scoring."),
            .section("value", \.value, doc: "Value tiers and the Pareto figures."),
            .section("lifecycle", \.lifecycle, doc: "Status and lifecycle-stage thresholds."),
            .optionalSection("kmeans", \.kmeans, doc: "Turns clustering on."),
            .optionalSection("quadrant", \.quadrant, doc: "Adds the loyalty × profitability quadrant of every customer."),
        ]
    }
}

/// `segment.quadrant`: the loyalty × profitability matrix's thresholds.
public struct QuadrantSection: ConfigSection, Equatable {
    public var rules = LoyaltyQuadrant.Rules()

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .number(
                "value_share", \.rules.valueShare, in: 0.01...0.99,
                doc: "The top share of customers by the value measure that counts as profitable."),
            .integer(
                "min_purchases", \.rules.minPurchases, in: 1...1000,
                doc: "Loyal: at least this many purchases and a status of active or loyal."),
        ]
    }
}

/// `segment.rfm`.
public struct RFMSection: ConfigSection, Equatable {
    public var bins = SegmentationRules().rfmBins
    /// nil keeps the default map, which is for 5 bins.
    public var segments: [RFMSegmentRule]?

    public init() {}

    private static let segmentKeys = ["name", "r", "f", "m"]

    static var fields: [ConfigField<Self>] {
        [
            .integer("bins", \.bins, in: 2...10, doc: "Scores run 1..bins by quantile."),
            .custom(
                "segments",
                shape: .list(
                    .section([
                        FieldInfo(key: "name", shape: .text, required: true, defaultText: nil, doc: "The segment's name."),
                        FieldInfo(key: "r", shape: .other("score or range"), required: true, defaultText: nil, doc: "Recency scores covered."),
                        FieldInfo(key: "f", shape: .other("score or range"), required: true, defaultText: nil, doc: "Frequency scores covered."),
                        FieldInfo(key: "m", shape: .other("score or range"), required: false, defaultText: "any", doc: "Monetary scores covered."),
                    ])), defaultText: "the 11-segment map", doc: "Named segments; the first rule that matches wins."
            ) { node, context, section in
                section.segments = segmentRules(node, bins: section.bins, context)
            },
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        if section.segments == nil, section.bins != 5 {
            context.error(
                "bins", "the default RFM segment map is for 5 bins; with \(section.bins) bins list '\(context.path).segments'",
                hint: "see docs/segmentation.md for the default map to adapt")
        }
    }

    /// A list of `{name, r, f, m}`; ranges are `4-5` or a single score.
    private static func segmentRules(_ node: Node, bins: Int, _ context: FieldContext) -> [RFMSegmentRule] {
        let reader = context.reader
        guard let items = reader.sequence(node, at: context.path) else { return [] }
        var rules: [RFMSegmentRule] = []
        for item in items {
            guard
                let entry = reader.mapping(
                    item, at: context.path, allowed: segmentKeys, required: ["name", "r", "f"],
                    examples: ["name": "Champions", "r": "5", "f": "4-5"])
            else { continue }
            func range(_ key: String) -> ClosedRange<Int>? {
                guard let node = entry[key] else { return nil }
                let bounds = (node.string ?? "").split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
                    1 <= low, low <= high, high <= bins
                else {
                    reader.error(node, "'\(context.path).\(key)' must be a score or a range of scores within 1-\(bins), e.g. 4-5")
                    return nil
                }
                return low...high
            }
            guard let nameNode = entry["name"], let name = reader.string(nameNode, at: "\(context.path).name"),
                let r = range("r"), let f = range("f")
            else { continue }
            if let status = RFMSegmentRule.statusWord(in: name) {
                reader.error(
                    nameNode, "RFM segment '\(name)' reads as the status '\(status)', which has other rules",
                    hint:
                        "name RFM segments apart from the statuses (\(LifecycleRules.Status.allCases.map(\.rawValue).joined(separator: ", "))), "
                        + "e.g. 'Fading regulars'")
            }
            rules.append(RFMSegmentRule(name, recency: r, frequency: f, monetary: range("m") ?? 1...Int.max))
        }
        let uncovered = RFMSegmentRule.uncoveredCells(rules, bins: bins)
        if !uncovered.isEmpty, !reader.diagnostics.hasErrors {
            let cells = uncovered.prefix(8).map { "r=\($0.r) f=\($0.f)" }.joined(separator: ", ")
            reader.error(
                node, "'\(context.path)' leaves \(uncovered.count) cells of the r x f grid without a segment: \(cells)",
                hint: "add a rule without 'm' that covers them, e.g. a last catch-all '{name: Other, r: 1-\(bins), f: 1-\(bins)}'")
        }
        return rules
    }
}

/// `segment.value`.
public struct ValueSection: ConfigSection, Equatable {
    public var measure = SegmentationRules().valueMeasure
    public var tiers = SegmentationRules().tierCutoffs
    public var currentWindowDays = FeatureWindows().currentValueDays

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .choice("measure", \.measure, doc: "Which value ranks customers."),
            .custom(
                "tiers", shape: .list(.number(0...1)), defaultText: "[0.2, 0.5]",
                doc: "Cumulative customer shares closing tiers A, B, ..."
            ) { node, context, section in
                guard let cutoffs = context.reader.list(node, at: context.path, { context.reader.number($0, at: context.path, in: 0...1) })
                else { return }
                if cutoffs.isEmpty || zip(cutoffs, cutoffs.dropFirst()).contains(where: { $0 >= $1 }) || cutoffs.contains(0) || cutoffs.contains(1) {
                    context.error(
                        node, "'\(context.path)' must be increasing shares between 0 and 1, e.g. [0.2, 0.5]",
                        hint: "[0.2, 0.5] makes the top 20% tier A, the next 30% tier B and the rest tier C")
                } else {
                    section.tiers = cutoffs
                }
            },
            .integer("current_window_days", \.currentWindowDays, in: 1...3650, doc: "The window of `current_value`."),
        ]
    }
}

/// `segment.lifecycle`.
public struct LifecycleSection: ConfigSection, Equatable {
    public var rules = LifecycleRules()
    public var trendWindowDays = FeatureWindows().trendDays

    public init() {}

    static var fields: [ConfigField<Self>] {
        [
            .choice("status_basis", \.rules.statusBasis, doc: "Recency against each customer's own purchase rhythm, or the same days for all."),
            .integer("new_within_days", \.rules.newWithinDays, in: 1...36500, doc: "Status `new` while the first purchase is this recent."),
            .integer("active_within_days", \.rules.activeWithinDays, in: 1...36500, doc: "Status `active` while recency_days is at most this."),
            .integer("at_risk_within_days", \.rules.atRiskWithinDays, in: 1...36500, doc: "Then `at_risk` up to this."),
            .integer("lapsed_within_days", \.rules.lapsedWithinDays, in: 1...36500, doc: "Then `lapsed` up to this, `lost` beyond."),
            .number(
                "active_within_gaps", \.rules.activeWithinGaps, in: 0.1...1000,
                doc: "With `status_basis: rhythm`, `active` while recency is at most this many of the customer's mean gaps."),
            .number("at_risk_within_gaps", \.rules.atRiskWithinGaps, in: 0.1...1000, doc: "Then `at_risk` up to this many gaps."),
            .number("lapsed_within_gaps", \.rules.lapsedWithinGaps, in: 0.1...1000, doc: "Then `lapsed` up to this many gaps, `lost` beyond."),
            .integer(
                "rhythm_min_purchases", \.rules.rhythmMinPurchases, in: 2...36500,
                doc: "Customers with fewer purchases are held to the day thresholds."),
            .number("rhythm_min_gap_days", \.rules.rhythmMinGapDays, in: 0...36500, doc: "A mean gap shorter than this counts as this."),
            .integer(
                "exploration_max_purchases", \.rules.explorationMaxPurchases, in: 1...36500,
                doc: "Stage `exploration` while a customer has at most this many purchases."),
            .integer("trend_window_days", \.trendWindowDays, in: 1...36500, doc: "The window of `purchase_rate_trend`."),
            .number("decline_ratio", \.rules.declineRatio, in: 0...1, doc: "Stage `decline` when the rate trend is below this."),
            .number("growth_ratio", \.rules.growthRatio, in: 1...100, doc: "Stage `formation` when the rate trend is at least this."),
        ]
    }

    static func check(_ section: inout Self, _ context: SectionContext) {
        let order = [section.rules.activeWithinDays, section.rules.atRiskWithinDays, section.rules.lapsedWithinDays]
        if order != order.sorted() {
            context.error(nil, "'\(context.path)' thresholds must grow: active_within_days <= at_risk_within_days <= lapsed_within_days")
        }
        let gaps = [section.rules.activeWithinGaps, section.rules.atRiskWithinGaps, section.rules.lapsedWithinGaps]
        if gaps != gaps.sorted() {
            context.error(nil, "'\(context.path)' thresholds must grow: active_within_gaps <= at_risk_within_gaps <= lapsed_within_gaps")
        }
        if section.rules.statusBasis == .days {
            for key in ["active_within_gaps", "at_risk_within_gaps", "lapsed_within_gaps", "rhythm_min_purchases", "rhythm_min_gap_days"]
            where context.entries[key] != nil {
                context.warning(key, "'\(context.path).\(key)' is not used with 'status_basis: days'")
            }
        }
    }
}

/// RFM scores and segments, value tiers, lifecycle stage and status.
enum SegmentStage: PipelineStage {
    static let name = "segment"

    static func customerColumns(_ config: SegmentSection) -> [ColumnSchema] {
        let rules = config.rules
        let values = [
            "rfm_segment": rules.rfmSegments.map(\.name).uniqued(),
            "value_tier": CustomerValue.tierNames(cutoffs: rules.tierCutoffs),
            "lifecycle_stage": LifecycleRules.Stage.allCases.map(\.rawValue),
            "status": LifecycleRules.Status.allCases.map(\.rawValue),
        ]
        let quadrant = config.quadrant.map { _ in [ColumnSchema("loyalty_quadrant", .text, values: LoyaltyQuadrant.allCases.map(\.rawValue))] }
        return CustomerSegments.schema.map { ColumnSchema($0.name, $0.kind, values: values[$0.name]) } + (quadrant ?? [])
    }

    static func run(_ config: SegmentSection, _ context: inout RunContext) throws {
        let rules = config.rules
        let features = context.features
        let value = try values(of: rules.valueMeasure, context)
        let (segments, report) = CustomerSegmenter(rules: rules).segment(features, value: value)
        context.paretoCurve = CustomerValue.paretoCurve(value)
        context.segmentValues = segmentValues(segments.rfmSegment, features.monetaryTotal)
        for column in segments.columns { context.customers.append(column) }
        context.stageReports.append(report)
        func groups(_ values: [String]) -> [Manifest.Segmentation.Group] {
            CustomerSegments.counts(values).map { .init(name: $0.name, customers: $0.count) }
        }
        context.segmentationSummary = Manifest.Segmentation(
            pareto: segments.pareto, valueMeasure: rules.valueMeasure.rawValue, rfmSegments: groups(segments.rfmSegment),
            valueTiers: groups(segments.valueTier), lifecycleStages: groups(segments.lifecycleStage), statuses: groups(segments.status))
        if let quadrant = config.quadrant {
            let quadrants = LoyaltyQuadrant.assign(value: value, frequency: features.frequency, status: segments.status, rules: quadrant.rules)
            context.customers.append(Column("loyalty_quadrant", .text(quadrants.map(\.rawValue))))
            context.segmentationSummary?.loyaltyQuadrants = quadrantGroups(quadrants, value)
        }
    }

    /// Customers, value and share of value per quadrant, in the matrix's order.
    static func quadrantGroups(_ quadrants: [LoyaltyQuadrant], _ value: [Double]) -> [Manifest.Segmentation.ValueGroup] {
        let total = value.reduce(0, +)
        return LoyaltyQuadrant.allCases.map { quadrant in
            let members = quadrants.indices.filter { quadrants[$0] == quadrant }
            let sum = members.reduce(0) { $0 + value[$1] }
            return .init(name: quadrant.rawValue, customers: members.count, value: sum, valueShare: total != 0 ? sum / total : 0)
        }
    }

    /// Each customer's value by the measure. A missing CLV (a customer the spend model could not
    /// value) is no value: the last tier.
    static func values(of measure: SegmentationRules.ValueMeasure, _ context: RunContext) throws -> [Double] {
        switch measure {
        case .historical: return context.features.monetaryTotal
        case .current: return context.features.currentValue
        case .potential:
            guard case .real(let clv)? = context.customers.column(named: "clv")?.values, clv.contains(where: \.isFinite) else {
                throw context.error(
                    .data, at: "segment.value.measure", "potential value is the clv, and this run has none: the spend model was not fitted",
                    hint: "see the churn warnings in model_report.json, or use measure: historical")
            }
            return clv.map { $0.isFinite ? $0 : 0 }
        case .profit: return context.features.lines.profitTotal
        }
    }

    /// Customers and total value per RFM segment, largest segment first.
    static func segmentValues(_ segments: [String], _ values: [Double]) -> [(name: String, customers: Int, value: Double)] {
        var totals: [String: (customers: Int, value: Double)] = [:]
        for (segment, value) in zip(segments, values) {
            totals[segment, default: (0, 0)].customers += 1
            totals[segment, default: (0, 0)].value += value
        }
        return totals.map { ($0.key, $0.value.customers, $0.value.value) }.sorted { ($0.customers, $1.name) > ($1.customers, $0.name) }
    }
}
