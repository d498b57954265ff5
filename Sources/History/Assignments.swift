import Ingest
import SegflowCore

/// Where each customer stands in one run: RFM segment, value tier, lifecycle stage, status,
/// cluster and churn risk, as far as the pipeline computes them. Every run writes them to `assignments.csv`;
/// the next run and `segflow diff` compare two of them.
public struct Assignments: Sendable, Equatable {
    /// The dimensions compared between runs, in report order.
    public static let dimensions = [
        "rfm_segment", "value_tier", "lifecycle_stage", "status", "loyalty_quadrant", "loyalty_type", "cluster", "churn_risk",
    ]

    public var customerIDs: [String]
    /// Dimension -> each customer's value; only the dimensions the run computed.
    public var values: [String: [String]]

    public init(customerIDs: [String], values: [String: [String]]) {
        self.customerIDs = customerIDs
        self.values = values
    }

    /// From the customers table; a cluster reads "3 (frequent, high value)", id and label.
    public init(customers: Table) {
        guard case .text(let ids)? = customers.column(named: "customer_id")?.values else {
            preconditionFailure("the customers table has a customer_id column")
        }
        customerIDs = ids
        values = [:]
        for dimension in Self.dimensions {
            guard let column = customers.column(named: dimension) else { continue }
            if dimension == "cluster", let labels = customers.column(named: "cluster_label")?.textValues {
                values[dimension] = zip(column.textValues, labels).map { $0.isEmpty ? "" : "\($0) (\($1))" }
            } else {
                values[dimension] = column.textValues
            }
        }
    }

    public var presentDimensions: [String] { Self.dimensions.filter { values[$0] != nil } }

    public var table: Table {
        Table(
            rowCount: customerIDs.count,
            columns: [Column("customer_id", .text(customerIDs))] + presentDimensions.map { Column($0, .text(values[$0]!)) })
    }

    /// Reads a run's `assignments.csv`.
    public static func read(path: String) throws -> Assignments {
        let (header, records) = try CSVRecords.read(path: path)
        guard header.first == "customer_id", records.allSatisfy({ $0.count == header.count }) else {
            throw SegflowError(
                .data, at: SourceLocation(file: path), "not an assignments file written by segflow",
                hint: "compare run directories that segflow wrote (they hold assignments.csv)")
        }
        var values: [String: [String]] = [:]
        for (index, name) in header.enumerated().dropFirst() where dimensions.contains(name) {
            values[name] = records.map { $0[index] }
        }
        return Assignments(customerIDs: records.map { $0[0] }, values: values)
    }
}
