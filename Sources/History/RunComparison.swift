import Foundation
import SegflowCore

/// What changed between two runs, in the order a data scientist asks: the settings, then
/// every group of every dimension (size, value, CLV, P(alive), churn), then who moved where.
/// Built by `segflow diff` from two run directories; it renders as text (100 columns at
/// most), CSV or JSON.
public struct RunComparison: Sendable, Equatable {
    /// A setting that differs between the runs' `pipeline.yaml`: its key path and the two
    /// values (nil where a run's file lacks the key).
    public struct Setting: Sendable, Equatable, Codable {
        public var key: String
        public var before: String?
        public var after: String?

        public init(key: String, before: String?, after: String?) {
            self.key = key
            self.before = before
            self.after = after
        }
    }

    /// One group in both runs; nil on the side where it does not exist.
    public struct GroupChange: Sendable, Equatable {
        public var dimension: String
        public var value: String
        public var before: DimensionSummary.Group?
        public var after: DimensionSummary.Group?
    }

    public var from: String
    public var to: String
    /// Nil when a run has no pipeline.yaml (runs of segflow before it kept one).
    public var settings: [Setting]?
    public var groups: [GroupChange]
    public var migration: Migration

    public init(from: String, to: String, settings: [Setting]?, before: DimensionSummary, after: DimensionSummary, migration: Migration) {
        self.from = from
        self.to = to
        self.settings = settings
        self.migration = migration
        // The later run's order, then groups only the earlier run has, dimension by dimension.
        let both = after.groups + before.groups
        groups = both.map(\.dimension).uniqued().flatMap { dimension in
            both.filter { $0.dimension == dimension }.map(\.value).uniqued().map { value in
                GroupChange(
                    dimension: dimension, value: value, before: before.groups.first { $0.dimension == dimension && $0.value == value },
                    after: after.groups.first { $0.dimension == dimension && $0.value == value })
            }
        }
    }

    /// The measures compared per group: name, how text shows it, and the value.
    static var measures: [(name: String, text: (Double) -> String, value: (DimensionSummary.Group) -> Double)] {
        [
            ("customers", { Formatting.count(Int($0)) }, { Double($0.customers) }),
            ("customer_share", percent, \.customerShare),
            ("revenue", { String(format: "%.2f", $0) }, \.revenue),
            ("revenue_share", percent, \.revenueShare),
            ("clv_mean", { String(format: "%.1f", $0) }, \.clvMean),
            ("clv_sum", { String(format: "%.0f", $0) }, \.clvSum),
            ("p_alive_mean", { String(format: "%.2f", $0) }, \.probabilityAliveMean),
            ("churn_probability_mean", { String(format: "%.2f", $0) }, \.churnProbabilityMean),
            ("expected_purchases", { String(format: "%.0f", $0) }, \.expectedPurchases),
        ]
    }

    private static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    /// The moves between groups, largest first within each dimension.
    public var moves: [Migration.Flow] {
        Assignments.dimensions.flatMap { dimension in
            migration.flows.filter { $0.dimension == dimension && $0.from != $0.to }
                .sorted { ($0.customers, $1.from, $1.to) > ($1.customers, $0.from, $0.to) }
        }
    }

    // MARK: - Text

    /// At most `width` columns: long values are cut with "…".
    public func text(width: Int = 100, movesPerDimension: Int = 8) -> String {
        func cut(_ text: String, _ limit: Int) -> String { text.count <= limit ? text : String(text.prefix(max(limit - 1, 0))) + "…" }
        var lines = [cut("\(from) -> \(to)", width), ""]
        lines.append("settings")
        if let settings {
            if settings.isEmpty { lines.append("  the same") }
            for setting in settings {
                let change = "\(setting.before ?? "(absent)") -> \(setting.after ?? "(absent)")"
                let key = "  \(setting.key): "
                lines.append(cut(key + change, width))
            }
        } else {
            lines.append("  not compared: a run without pipeline.yaml (it was written by an earlier segflow)")
        }
        // Per group: customers, revenue share, CLV mean, P(alive), churn probability, as a→b;
        // the cells as wide as the widest, the group names get the rest.
        let shown = [0, 3, 4, 6, 7]
        let headers = ["customers", "revenue", "clv mean", "p_alive", "churn"]
        func cell(_ change: GroupChange, _ index: Int) -> String {
            let measure = Self.measures[index]
            let old = change.before.map(measure.value), new = change.after.map(measure.value)
            func show(_ value: Double?) -> String { value.map { $0.isNaN ? "-" : measure.text($0) } ?? "none" }
            return show(old) == show(new) ? show(new) : "\(show(old))→\(show(new))"
        }
        let cells = groups.map { change in shown.map { cell(change, $0) } }
        let cellWidth = max(9, cells.joined().map(\.count).max() ?? 9)
        let nameWidth = max(12, width - 2 - shown.count * (cellWidth + 1))
        func pad(_ text: String, _ count: Int, right: Bool = true) -> String {
            let text = cut(text, count)
            let fill = String(repeating: " ", count: max(0, count - text.count))
            return right ? fill + text : text + fill
        }
        for dimension in groups.map(\.dimension).uniqued() {
            lines.append("")
            lines.append(pad(dimension, nameWidth + 2, right: false) + headers.map { " " + pad($0, cellWidth) }.joined())
            for (change, row) in zip(groups, cells) where change.dimension == dimension {
                lines.append("  " + pad(change.value, nameWidth, right: false) + row.map { " " + pad($0, cellWidth) }.joined())
            }
        }
        lines.append("")
        lines.append("moves")
        for dimension in Assignments.dimensions {
            let flows = moves.filter { $0.dimension == dimension }
            guard !flows.isEmpty else { continue }
            let total = flows.reduce(0) { $0 + $1.customers }
            lines.append("  \(dimension): \(Formatting.count(total)) customers changed group")
            for flow in flows.prefix(movesPerDimension) {
                lines.append(cut("    \(pad(Formatting.count(flow.customers), 9))  \(flow.from) -> \(flow.to)", width))
            }
            if flows.count > movesPerDimension { lines.append("    … \(flows.count - movesPerDimension) more moves (--format csv lists all)") }
        }
        lines.append(
            "\(Formatting.count(migration.newCustomers)) new, \(Formatting.count(migration.goneCustomers)) gone, "
                + "\(Formatting.count(migration.unchangedCustomers)) unchanged, \(Formatting.count(migration.movers.count)) movers")
        lines.append(cut("  " + Migration.moversMeaning, width))
        return lines.joined(separator: "\n")
    }

    // MARK: - CSV and JSON

    /// One row per compared figure: `kind` is setting, group, move or total; `a` and `b` are
    /// the two runs' values (a move has only `b`, its customers).
    public var table: Table {
        var kind: [String] = [], dimension: [String] = [], key: [String] = [], measure: [String] = [], a: [String] = [], b: [String] = []
        func add(_ k: String, _ d: String, _ name: String, _ m: String, _ before: String, _ after: String) {
            kind.append(k)
            dimension.append(d)
            key.append(name)
            measure.append(m)
            a.append(before)
            b.append(after)
        }
        for setting in settings ?? [] { add("setting", "", setting.key, "value", setting.before ?? "", setting.after ?? "") }
        for change in groups {
            for measure in Self.measures {
                func show(_ group: DimensionSummary.Group?) -> String {
                    guard let value = group.map(measure.value), value.isFinite else { return "" }
                    return String(format: "%.12g", value)
                }
                add("group", change.dimension, change.value, measure.name, show(change.before), show(change.after))
            }
        }
        for flow in moves { add("move", flow.dimension, "\(flow.from) -> \(flow.to)", "customers", "", String(flow.customers)) }
        for (name, count) in [
            ("new", migration.newCustomers), ("gone", migration.goneCustomers), ("unchanged", migration.unchangedCustomers),
            ("movers", migration.movers.count),
        ] {
            add("total", "", name, "customers", "", String(count))
        }
        return Table(
            rowCount: kind.count,
            columns: [
                Column("kind", .text(kind)), Column("dimension", .text(dimension)), Column("key", .text(key)),
                Column("measure", .text(measure)), Column("a", .text(a)), Column("b", .text(b)),
            ])
    }

    /// The same figures as one JSON document.
    public var json: Data {
        get throws {
            struct Document: Encodable {
                struct Group: Encodable {
                    var dimension: String
                    var group: String
                    var a: [String: Double?]?
                    var b: [String: Double?]?
                }
                struct Totals: Encodable {
                    var new: Int, gone: Int, unchanged: Int, movers: Int
                }
                var from: String
                var to: String
                var settings: [Setting]?
                var groups: [Group]
                var moves: [Migration.Flow]
                var totals: Totals
            }
            func figures(_ group: DimensionSummary.Group?) -> [String: Double?]? {
                group.map { group in
                    Dictionary(uniqueKeysWithValues: Self.measures.map { ($0.name, $0.value(group).isFinite ? $0.value(group) : nil) })
                }
            }
            let document = Document(
                from: from, to: to, settings: settings,
                groups: groups.map { .init(dimension: $0.dimension, group: $0.value, a: figures($0.before), b: figures($0.after)) },
                moves: moves,
                totals: .init(
                    new: migration.newCustomers, gone: migration.goneCustomers, unchanged: migration.unchangedCustomers,
                    movers: migration.movers.count))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(document)
        }
    }
}
