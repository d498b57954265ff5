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
                var interned = Interned()
                values[dimension] = zip(column.textValues, labels).map { $0.isEmpty ? "" : interned["\($0) (\($1))"] }
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
        let malformed = SegflowError(
            .data, at: SourceLocation(file: path), "not an assignments file written by segflow",
            hint: "compare run directories that segflow wrote (they hold assignments.csv)")
        var ids: [String] = []
        var kept: [(index: Int, values: [String])]?
        var interned = Interned()
        let header = try CSVRecords.forEachRecord(path: path) { header, fields in
            guard header.first == "customer_id", fields.count == header.count else { throw malformed }
            if kept == nil { kept = header.indices.dropFirst().filter { dimensions.contains(header[$0]) }.map { ($0, []) } }
            ids.append(fields[0])
            for column in kept!.indices { kept![column].values.append(interned[fields[kept![column].index]]) }
        }
        guard header.first == "customer_id" else { throw malformed }
        var values: [String: [String]] = [:]
        for (index, column) in (kept ?? []) { values[header[index]] = column }
        for name in header.dropFirst() where dimensions.contains(name) && values[name] == nil { values[name] = [] }
        return Assignments(customerIDs: ids, values: values)
    }
}

/// One copy of each long value: a million customers in a few clusters hold a few label
/// strings, not a million. Values of up to 15 bytes are stored inline in any case.
private struct Interned {
    private var copies: [String: String] = [:]

    subscript(_ value: String) -> String {
        mutating get {
            guard value.utf8.count > 15 else { return value }
            if let copy = copies[value] { return copy }
            copies[value] = value
            return value
        }
    }
}
