/// A named, typed column of an output table. Missing values are `nil` for integers and
/// timestamps and NaN for reals; writers print them as empty cells.
public struct Column: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case text([String])
        case integer([Int64?])
        case real([Double])
        /// Seconds since the epoch, written as ISO 8601 UTC.
        case timestamp([Int64?])
    }

    public var name: String
    public var values: Values

    public init(_ name: String, _ values: Values) {
        self.name = name
        self.values = values
    }

    public var count: Int {
        switch values {
        case .text(let v): return v.count
        case .integer(let v): return v.count
        case .real(let v): return v.count
        case .timestamp(let v): return v.count
        }
    }
}

/// A table of equally long columns: what stages hand to exporters.
public struct Table: Sendable, Equatable {
    public private(set) var columns: [Column]
    public let rowCount: Int

    public init(rowCount: Int, columns: [Column] = []) {
        self.rowCount = rowCount
        self.columns = []
        for column in columns { append(column) }
    }

    public mutating func append(_ column: Column) {
        precondition(column.count == rowCount, "column \(column.name) has \(column.count) rows, table has \(rowCount)")
        precondition(self.column(named: column.name) == nil, "duplicate column \(column.name)")
        columns.append(column)
    }

    public var columnNames: [String] { columns.map(\.name) }

    public func column(named name: String) -> Column? { columns.first { $0.name == name } }
}
