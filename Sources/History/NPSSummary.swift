import SegflowCore
import Statistics

/// Net Promoter Score for every group of every dimension (RFM segment, value tier, status,
/// cluster, ...), of every customer attribute given, and for all customers: respondents, the three classes, the score and its 95%
/// interval, mean satisfaction. A group with fewer than `minRespondents` answers is kept and
/// marked unreliable, not hidden. Customers who never answered count as customers, never as
/// respondents. Every run with `inputs.surveys` writes it as `nps.csv`.
public struct NPSSummary: Sendable, Equatable {
    public struct Group: Sendable, Equatable {
        public var dimension: String
        public var value: String
        public var customers: Int
        public var nps: NetPromoterScore
        /// Mean of satisfaction (perception / expectation) over the respondents that have one.
        public var satisfactionMean: Double
        public var isReliable: Bool
    }

    public var groups: [Group]

    /// From the customers table's `nps_class` and `satisfaction` columns; `attributes` are
    /// text columns (customer attributes) whose values are groups too, empty cells left out.
    public init(customers: Table, assignments: Assignments, minRespondents: Int, attributes: [String] = []) {
        let count = customers.rowCount
        let classes =
            customers.column(named: "nps_class")?.textValues.map { $0.isEmpty ? nil : NetPromoterScore.Class(rawValue: $0) }
            ?? [NetPromoterScore.Class?](repeating: nil, count: count)
        let satisfaction = customers.column(named: "satisfaction")?.numbers ?? [Double](repeating: .nan, count: count)
        var dimensions = [("all", [String](repeating: "all", count: count))]
        dimensions += assignments.presentDimensions.map { ($0, assignments.values[$0]!) }
        dimensions += attributes.compactMap { name in customers.column(named: name).map { (name, $0.textValues) } }
        groups = Parallel.map(parts: dimensions.count) { index -> [Group] in
            let (dimension, values) = dimensions[index]
            let grouping = TextGroups(values)
            var scores = [NetPromoterScore](repeating: NetPromoterScore(), count: grouping.names.count)
            var satisfactionSum = [Double](repeating: 0, count: grouping.names.count)
            var satisfied = [Int](repeating: 0, count: grouping.names.count)
            for (row, code) in grouping.codes.enumerated() where code >= 0 {
                guard let answer = classes[row] else { continue }
                scores[Int(code)].add(answer)
                if satisfaction[row].isFinite {
                    satisfactionSum[Int(code)] += satisfaction[row]
                    satisfied[Int(code)] += 1
                }
            }
            let sizes = grouping.sizes
            let position = Dictionary(uniqueKeysWithValues: grouping.names.enumerated().map { ($1, $0) })
            return DimensionSummary.ordered(grouping.names, of: dimension, sizes: position.mapValues { sizes[$0] }).map { value in
                let group = position[value]!
                return Group(
                    dimension: dimension, value: value, customers: sizes[group], nps: scores[group],
                    satisfactionMean: satisfied[group] > 0 ? satisfactionSum[group] / Double(satisfied[group]) : .nan,
                    isReliable: scores[group].respondents >= minRespondents)
            }
        }.flatMap { $0 }
    }

    public static let schema = NPSSummary(customers: Table(rowCount: 0), assignments: Assignments(customerIDs: [], values: [:]), minRespondents: 1)
        .table.columns.map(\.schema)

    public var table: Table {
        Table(
            rowCount: groups.count,
            columns: [
                Column("dimension", .text(groups.map(\.dimension))),
                Column("value", .text(groups.map(\.value))),
                Column("customers", .integer(groups.map { Int64($0.customers) })),
                Column("respondents", .integer(groups.map { Int64($0.nps.respondents) })),
                Column("response_rate", .real(groups.map { $0.customers > 0 ? Double($0.nps.respondents) / Double($0.customers) : .nan })),
                Column("promoters", .integer(groups.map { Int64($0.nps.promoters) })),
                Column("passives", .integer(groups.map { Int64($0.nps.passives) })),
                Column("detractors", .integer(groups.map { Int64($0.nps.detractors) })),
                Column("nps", .real(groups.map(\.nps.score))),
                Column("nps_low", .real(groups.map { $0.nps.interval().low })),
                Column("nps_high", .real(groups.map { $0.nps.interval().high })),
                Column("satisfaction_mean", .real(groups.map(\.satisfactionMean))),
                Column("reliable", .text(groups.map { $0.isReliable ? "yes" : "no" })),
            ])
    }
}
