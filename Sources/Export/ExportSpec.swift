import SegflowCore

/// One file a run exports from one of its tables: which columns, under which names, in
/// which format, and optionally one file per value of a column.
public struct ExportSpec: Sendable, Equatable {
    public enum Source: String, Sendable, CaseIterable {
        /// One row per customer: features, segments and scores.
        case customers
        /// One row per k-means cluster: size, value share, feature profile and label.
        case segments
        /// One row per group of each dimension: customers, revenue, CLV, P(alive), churn.
        case summary
        /// One row per category rule: support, confidence and lift of categories bought together.
        case affinity
        /// One row per group of each dimension: NPS with its interval (needs `inputs.surveys`).
        case nps
    }

    public var source: Source
    /// Relative to the run directory; holds `{value}` when `splitBy` is set.
    public var path: String
    public var format: TableFormat
    /// The columns to write, in this order; nil writes every column.
    public var columns: [String]?
    public var rename: [String: String]
    public var splitBy: String?
    /// The rows to write (`where:`); all of them when empty.
    public var filter: RowFilter

    public init(
        source: Source, path: String, format: TableFormat, columns: [String]? = nil, rename: [String: String] = [:],
        splitBy: String? = nil, filter: RowFilter = RowFilter()
    ) {
        self.source = source
        self.path = path
        self.format = format
        self.columns = columns
        self.rename = rename
        self.splitBy = splitBy
        self.filter = filter
    }

    /// The format a file name asks for: `.csv` or `.jsonl`; nil for anything else.
    public static func format(ofPath path: String, protectFormulas: Bool) -> TableFormat? {
        if path.hasSuffix(".csv") { return .csv(protectFormulas: protectFormulas) }
        if path.hasSuffix(".jsonl") { return .jsonLines }
        return nil
    }

    public typealias Failure = ColumnSelection.Failure

    /// The files to write: (path in the run directory, table). A split gives one file per
    /// distinct value, in order of first appearance, named by the value's slug.
    public func files(of table: Table) throws -> [(path: String, table: Table)] {
        let table = try filter.apply(to: table)
        let selected = try ColumnSelection(columns: columns, rename: rename).apply(to: table)
        guard let splitBy else { return [(path, selected)] }
        guard let splitColumn = table.column(named: splitBy) else {
            throw Failure.unknownColumn(key: "split_by", name: splitBy, available: table.columnNames)
        }
        var rowsByValue: [String: [Int]] = [:]
        var order: [String] = []
        for (row, value) in splitColumn.textValues.enumerated() {
            if rowsByValue[value] == nil { order.append(value) }
            rowsByValue[value, default: []].append(row)
        }
        var used: Set<String> = []
        return order.map { value in
            var slug = Slug.of(value), suffix = 2
            while used.contains(slug) {
                slug = "\(Slug.of(value))_\(suffix)"
                suffix += 1
            }
            used.insert(slug)
            return (path.replacingOccurrences(of: "{value}", with: slug), selected.selecting(rows: rowsByValue[value]!))
        }
    }
}

/// Which columns of a table an export takes, in which order, under which names: shared by
/// file and database exports, so both check names the same way.
public struct ColumnSelection: Sendable, Equatable {
    /// The columns to take, in this order; nil takes every column.
    public var columns: [String]?
    public var rename: [String: String]
    /// The rows to take (`where:`); all of them when empty.
    public var filter: RowFilter

    public init(columns: [String]? = nil, rename: [String: String] = [:], filter: RowFilter = RowFilter()) {
        self.columns = columns
        self.rename = rename
        self.filter = filter
    }

    public enum Failure: Error, Equatable {
        /// `key` is "columns", "rename", "split_by" or "where".
        case unknownColumn(key: String, name: String, available: [String])
    }

    public func apply(to table: Table) throws -> Table {
        let table = try filter.apply(to: table)
        let available = table.columnNames
        for name in (columns ?? []) where table.column(named: name) == nil {
            throw Failure.unknownColumn(key: "columns", name: name, available: available)
        }
        for name in rename.keys.sorted() where table.column(named: name) == nil {
            throw Failure.unknownColumn(key: "rename", name: name, available: available)
        }
        return table.selecting(columns: columns ?? available, rename: rename)
    }
}
