import Foundation
import Ingest
import SegflowCore

/// The business view of a run: for every group of every dimension (RFM segment, value tier,
/// lifecycle stage, status, cluster, churn risk) and of the status × churn-risk cross-table,
/// how many customers it holds, their revenue and its share, their CLV, P(alive), churn
/// probability and expected purchases. Every run writes it as `summary.csv`; `segflow diff`
/// compares two runs' summaries.
public struct DimensionSummary: Sendable, Equatable {
    public struct Group: Sendable, Equatable {
        public var dimension: String
        public var value: String
        public var customers: Int
        public var customerShare: Double
        /// Sum of `monetary_total`, and its share of everyone's.
        public var revenue: Double
        public var revenueShare: Double
        /// Over the customers with a value (`clv` is empty where the spend model could not
        /// value a customer; `churn_probability` outside the churn population); NaN when none has.
        public var clvMean: Double
        public var clvSum: Double
        public var probabilityAliveMean: Double
        public var churnProbabilityMean: Double
        /// Sum of `expected_purchases`: the purchases the group is expected to make in the horizon.
        public var expectedPurchases: Double
    }

    /// The cross-table's dimension name; its values read "active / high".
    public static let crossTable = (rows: "status", columns: "churn_risk", name: "status_by_churn_risk")

    public var groups: [Group]

    public init(groups: [Group]) { self.groups = groups }

    /// `assignments`: the customers' groups, when the caller has them already.
    public init(customers: Table, assignments: Assignments? = nil) {
        let assignments = assignments ?? Assignments(customers: customers)
        func reals(_ name: String) -> [Double]? {
            guard case .real(let values)? = customers.column(named: name)?.values else { return nil }
            return values
        }
        let revenue = reals("monetary_total"), clv = reals("clv"), alive = reals("p_alive")
        let churn = reals("churn_probability"), expected = reals("expected_purchases")
        let totalRevenue = revenue?.reduce(0, +) ?? .nan
        let count = customers.rowCount
        var dimensions = assignments.presentDimensions.map { ($0, assignments.values[$0]!) }
        let (rows, columns, name) = Self.crossTable
        if let statuses = assignments.values[rows], let risks = assignments.values[columns] {
            dimensions.append((name, zip(statuses, risks).map { "\($0) / \($1)" }))
        }
        groups = Parallel.map(parts: dimensions.count) { index -> [Group] in
            let (dimension, values) = dimensions[index]
            let grouping = TextGroups(values, keepingEmpty: true)
            let members = grouping.members
            let position = Dictionary(uniqueKeysWithValues: grouping.names.enumerated().map { ($1, $0) })
            return Self.ordered(grouping.names, of: dimension, sizes: position.mapValues { members[$0].count }).map { value in
                let rows = members[position[value]!]
                func sum(_ column: [Double]?) -> Double {
                    guard let column else { return .nan }
                    return rows.reduce(0.0) { column[$1].isFinite ? $0 + column[$1] : $0 }
                }
                func mean(_ column: [Double]?) -> Double {
                    guard let column else { return .nan }
                    let finite = rows.filter { column[$0].isFinite }
                    return finite.isEmpty ? .nan : finite.reduce(0.0) { $0 + column[$1] } / Double(finite.count)
                }
                let groupRevenue = sum(revenue)
                return Group(
                    dimension: dimension, value: value, customers: rows.count, customerShare: Double(rows.count) / Double(max(count, 1)),
                    revenue: groupRevenue, revenueShare: totalRevenue != 0 ? groupRevenue / totalRevenue : .nan, clvMean: mean(clv),
                    clvSum: sum(clv), probabilityAliveMean: mean(alive), churnProbabilityMean: mean(churn),
                    expectedPurchases: sum(expected))
            }
        }.flatMap { $0 }
    }

    /// Tiers and clusters in their own order (A, B, C; 0, 1, 2), other groups largest first.
    static func ordered(_ values: [String], of dimension: String, sizes: [String: Int]) -> [String] {
        if dimension == "value_tier" || dimension == "cluster" {
            return values.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        }
        return values.sorted { (sizes[$0]!, $1) > (sizes[$1]!, $0) }
    }

    public static let schema = DimensionSummary(groups: []).table.columns.map(\.schema)

    public var table: Table {
        Table(
            rowCount: groups.count,
            columns: [
                Column("dimension", .text(groups.map(\.dimension))), Column("value", .text(groups.map(\.value))),
                Column("customers", .integer(groups.map { Int64($0.customers) })), Column("customer_share", .real(groups.map(\.customerShare))),
                Column("revenue", .real(groups.map(\.revenue))), Column("revenue_share", .real(groups.map(\.revenueShare))),
                Column("clv_mean", .real(groups.map(\.clvMean))), Column("clv_sum", .real(groups.map(\.clvSum))),
                Column("p_alive_mean", .real(groups.map(\.probabilityAliveMean))),
                Column("churn_probability_mean", .real(groups.map(\.churnProbabilityMean))),
                Column("expected_purchases", .real(groups.map(\.expectedPurchases))),
            ])
    }

    /// Reads a run's `summary.csv`.
    public static func read(path: String) throws -> DimensionSummary {
        let (header, records) = try CSVRecords.read(path: path)
        guard header == schema.map(\.name), records.allSatisfy({ $0.count == header.count }) else {
            throw SegflowError(
                .data, at: SourceLocation(file: path), "not a summary file written by segflow",
                hint: "compare run directories that segflow wrote (they hold summary.csv)")
        }
        func number(_ text: String) -> Double { Double(text) ?? .nan }
        return DimensionSummary(
            groups: records.map { cells in
                Group(
                    dimension: cells[0], value: cells[1], customers: Int(cells[2]) ?? 0, customerShare: number(cells[3]),
                    revenue: number(cells[4]), revenueShare: number(cells[5]), clvMean: number(cells[6]), clvSum: number(cells[7]),
                    probabilityAliveMean: number(cells[8]), churnProbabilityMean: number(cells[9]), expectedPurchases: number(cells[10]))
            })
    }
}
