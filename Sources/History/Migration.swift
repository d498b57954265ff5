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
        let previousRow = IDIndex(previous.customerIDs)
        // Each customer's row in the previous run; nil for new customers.
        let parts = Parallel.workerCount * 4
        let old = Parallel.map(parts: parts) { part in
            Parallel.slice(part, of: parts, count: current.customerIDs.count).map { previousRow[current.customerIDs[$0]] }
        }.flatMap { $0 }
        var seen = [Bool](repeating: false, count: previous.customerIDs.count)
        for case let row? in old { seen[row] = true }
        newCustomers = old.reduce(0) { $0 + ($1 == nil ? 1 : 0) }
        goneCustomers = seen.reduce(0) { $0 + ($1 ? 0 : 1) }
        let dimensions = current.presentDimensions.filter { previous.values[$0] != nil }
        // Values as codes, so that a million customers are counted with arrays.
        let before = Parallel.map(parts: dimensions.count) { TextGroups(previous.values[dimensions[$0]]!, keepingEmpty: true) }
        let after = Parallel.map(parts: dimensions.count) { TextGroups(current.values[dimensions[$0]]!, keepingEmpty: true) }
        // Each previous value's code among the current values; -1 when no customer holds it now.
        let sameValue = dimensions.indices.map { index in
            let codes = Dictionary(uniqueKeysWithValues: after[index].names.enumerated().map { ($1, Int32($0)) })
            return before[index].names.map { codes[$0] ?? -1 }
        }
        var changed = [Bool](repeating: false, count: old.count)
        for (row, oldRow) in old.enumerated() {
            guard let oldRow else { continue }
            for (index, dimension) in dimensions.enumerated() {
                let fromCode = before[index].codes[oldRow], toCode = after[index].codes[row]
                guard sameValue[index][Int(fromCode)] != toCode else { continue }
                changed[row] = true
                let id = current.customerIDs[row], from = before[index].names[Int(fromCode)], to = after[index].names[Int(toCode)]
                if Self.entered.contains(where: { $0.0 == dimension && $0.1 == to }) {
                    movers.append(Mover(customerID: id, change: "entered \(dimension) \(to)", from: from, to: to))
                }
                if Self.left.contains(where: { $0.0 == dimension && $0.1 == from }) {
                    movers.append(Mover(customerID: id, change: "left \(dimension) \(from)", from: from, to: to))
                }
                // Tiers are letters from the most valuable down: a later letter is a drop.
                if dimension == "value_tier", from < to {
                    movers.append(Mover(customerID: id, change: "dropped value_tier", from: from, to: to))
                }
            }
        }
        unchangedCustomers = zip(old, changed).reduce(0) { $0 + ($1.0 != nil && !$1.1 ? 1 : 0) }
        let perDimension = Parallel.map(parts: dimensions.count) { index -> [Flow] in
            let (from, to) = (before[index], after[index])
            // Row `from.names.count` is "(new)", column `to.names.count` "(gone)".
            let width = to.names.count + 1
            var counts = [Int](repeating: 0, count: (from.names.count + 1) * width)
            for (row, oldRow) in old.enumerated() {
                counts[(oldRow.map { Int(from.codes[$0]) } ?? from.names.count) * width + Int(to.codes[row])] += 1
            }
            for (oldRow, wasSeen) in seen.enumerated() where !wasSeen { counts[Int(from.codes[oldRow]) * width + to.names.count] += 1 }
            let fromNames = from.names + [Self.newCustomer], toNames = to.names + [Self.goneCustomer]
            return counts.indices.filter { counts[$0] > 0 }
                .map { Flow(dimension: dimensions[index], from: fromNames[$0 / width], to: toNames[$0 % width], customers: counts[$0]) }
                .sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        }
        flows = perDimension.flatMap { $0 }
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
