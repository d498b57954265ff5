import SegflowCore

/// What changed between two runs: for each dimension both runs have, how many customers
/// moved from each value to each other value (new customers come from "(new)", departed
/// ones go to "(gone)"), and the movers: customers who newly entered a warning state or
/// loyal, left loyal, or dropped a value tier.
public struct Migration: Sendable, Equatable {
    public struct Flow: Sendable, Equatable, Codable {
        public var dimension: String
        public var from: String
        public var to: String
        public var customers: Int
    }

    public struct Mover: Sendable, Equatable {
        public var customerID: String
        public var change: String
        public var from: String
        public var to: String
    }

    public static let newCustomer = "(new)"
    public static let goneCustomer = "(gone)"
    /// The states whose newcomers are listed in movers.csv: (dimension, value). Entering
    /// loyal is good news, but a campaign wants it as much as the warnings.
    public static let entered = [("status", "at_risk"), ("status", "loyal"), ("churn_risk", "high")]
    /// The states whose leavers are listed in movers.csv.
    public static let left = [("status", "loyal")]
    /// What movers.csv lists, for summaries.
    public static let moversMeaning = "movers (newly at risk, at high churn risk, down a value tier, or into or out of loyal)"

    public var flows: [Flow] = []
    public var movers: [Mover] = []
    public var newCustomers = 0
    public var goneCustomers = 0
    public var unchangedCustomers = 0

    public init(from previous: Assignments, to current: Assignments) {
        var previousRow: [String: Int] = [:]
        for (row, id) in previous.customerIDs.enumerated() { previousRow[id] = row }
        var seen = [Bool](repeating: false, count: previous.customerIDs.count)
        let dimensions = current.presentDimensions.filter { previous.values[$0] != nil }
        var counts: [String: [Pair: Int]] = [:]
        for (row, id) in current.customerIDs.enumerated() {
            guard let old = previousRow[id] else {
                newCustomers += 1
                for dimension in dimensions {
                    counts[dimension, default: [:]][Pair(Self.newCustomer, current.values[dimension]![row]), default: 0] += 1
                }
                continue
            }
            seen[old] = true
            var changed = false
            for dimension in dimensions {
                let from = previous.values[dimension]![old], to = current.values[dimension]![row]
                counts[dimension, default: [:]][Pair(from, to), default: 0] += 1
                changed = changed || from != to
                if from != to, Self.entered.contains(where: { $0.0 == dimension && $0.1 == to }) {
                    movers.append(Mover(customerID: id, change: "entered \(dimension) \(to)", from: from, to: to))
                }
                if from != to, Self.left.contains(where: { $0.0 == dimension && $0.1 == from }) {
                    movers.append(Mover(customerID: id, change: "left \(dimension) \(from)", from: from, to: to))
                }
                // Tiers are letters from the most valuable down: a later letter is a drop.
                if dimension == "value_tier", from < to {
                    movers.append(Mover(customerID: id, change: "dropped value_tier", from: from, to: to))
                }
            }
            if !changed { unchangedCustomers += 1 }
        }
        for (row, wasSeen) in seen.enumerated() where !wasSeen {
            goneCustomers += 1
            for dimension in dimensions {
                counts[dimension, default: [:]][Pair(previous.values[dimension]![row], Self.goneCustomer), default: 0] += 1
            }
        }
        for dimension in dimensions {
            let pairs = (counts[dimension] ?? [:]).sorted { ($0.key.from, $0.key.to) < ($1.key.from, $1.key.to) }
            flows += pairs.map { Flow(dimension: dimension, from: $0.key.from, to: $0.key.to, customers: $0.value) }
        }
    }

    private struct Pair: Hashable {
        let from: String, to: String
        init(_ from: String, _ to: String) { (self.from, self.to) = (from, to) }
    }

    /// migration.csv: dimension, from, to, customers.
    public var flowTable: Table {
        Table(
            rowCount: flows.count,
            columns: [
                Column("dimension", .text(flows.map(\.dimension))), Column("from", .text(flows.map(\.from))),
                Column("to", .text(flows.map(\.to))), Column("customers", .integer(flows.map { Int64($0.customers) })),
            ])
    }

    /// movers.csv: customer_id, change, from, to.
    public var moverTable: Table {
        Table(
            rowCount: movers.count,
            columns: [
                Column("customer_id", .text(movers.map(\.customerID))), Column("change", .text(movers.map(\.change))),
                Column("from", .text(movers.map(\.from))), Column("to", .text(movers.map(\.to))),
            ])
    }

    /// One dimension's flows as a matrix: earlier values down, later values across, the
    /// customers in each cell (nil where none moved that way).
    public func matrix(_ dimension: String) -> (from: [String], to: [String], customers: [[Int?]]) {
        let cells = flows.filter { $0.dimension == dimension }
        let froms = Array(Set(cells.map(\.from))).sorted(), tos = Array(Set(cells.map(\.to))).sorted()
        return (froms, tos, froms.map { from in tos.map { to in cells.first { $0.from == from && $0.to == to }?.customers } })
    }
}
