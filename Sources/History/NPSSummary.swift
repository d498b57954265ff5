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
        let classes = customers.column(named: "nps_class")?.textValues ?? [String](repeating: "", count: customers.rowCount)
        let satisfaction = customers.column(named: "satisfaction")?.numbers ?? [Double](repeating: .nan, count: customers.rowCount)
        var dimensions = [("all", [String](repeating: "all", count: customers.rowCount))]
        dimensions += assignments.presentDimensions.map { ($0, assignments.values[$0]!) }
        dimensions += attributes.compactMap { name in customers.column(named: name).map { (name, $0.textValues) } }
        groups = dimensions.flatMap { dimension, values -> [Group] in
            var order: [String] = []
            var members: [String: [Int]] = [:]
            for (customer, value) in values.enumerated() where !value.isEmpty {
                if members[value] == nil { order.append(value) }
                members[value, default: []].append(customer)
            }
            return DimensionSummary.ordered(order, of: dimension, sizes: members.mapValues(\.count)).map { value in
                let rows = members[value]!
                var nps = NetPromoterScore()
                var satisfactionSum = 0.0, satisfied = 0
                for row in rows {
                    guard let answer = NetPromoterScore.Class(rawValue: classes[row]) else { continue }
                    nps.add(answer)
                    if satisfaction[row].isFinite {
                        satisfactionSum += satisfaction[row]
                        satisfied += 1
                    }
                }
                return Group(
                    dimension: dimension, value: value, customers: rows.count, nps: nps,
                    satisfactionMean: satisfied > 0 ? satisfactionSum / Double(satisfied) : .nan, isReliable: nps.respondents >= minRespondents)
            }
        }
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
