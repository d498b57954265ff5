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

    /// What a column holds, known before any value is computed.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case text, integer, real, timestamp
    }

    public var kind: Kind {
        switch values {
        case .text: return .text
        case .integer: return .integer
        case .real: return .real
        case .timestamp: return .timestamp
        }
    }

    public var schema: ColumnSchema { ColumnSchema(name, kind) }

    /// The values as numbers (timestamps as seconds), NaN where missing; nil for text.
    public var numbers: [Double]? {
        switch values {
        case .integer(let values), .timestamp(let values): return values.map { $0.map(Double.init) ?? .nan }
        case .real(let values): return values
        case .text: return nil
        }
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

/// A column's name and kind: what a stage will add, known from the pipeline file alone.
public struct ColumnSchema: Sendable, Equatable {
    public var name: String
    public var kind: Column.Kind
    /// Every value a text column can hold, where the pipeline file fixes them (statuses,
    /// tiers, risk bands), so an export's `where:` is checked before any data is read.
    public var values: [String]?

    public init(_ name: String, _ kind: Column.Kind, values: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.values = values
    }
}

/// A table of equally long columns: what stages hand to exporters.
public struct Table: Sendable, Equatable {
    public private(set) var columns: [Column]
    public private(set) var rowCount: Int

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

    /// Puts `column` in the place of the column of its name.
    public mutating func replace(_ column: Column) {
        guard let index = columns.firstIndex(where: { $0.name == column.name }) else { preconditionFailure("no column \(column.name)") }
        precondition(column.count == rowCount)
        columns[index] = column
    }

    public var columnNames: [String] { columns.map(\.name) }

    /// Adds `count` rows: each column takes them from `values` by its name, and is missing
    /// where `values` has none.
    public mutating func appendRows(_ count: Int, _ values: [String: Column.Values]) {
        for index in columns.indices {
            columns[index].append(values[columns[index].name] ?? Column.missing(columns[index].kind, count: count))
        }
        rowCount += count
    }

    public func column(named name: String) -> Column? { columns.first { $0.name == name } }
}

extension Column {
    /// The values at `rows`, in that order.
    public func selecting(rows: [Int]) -> Column {
        switch values {
        case .text(let v): return Column(name, .text(rows.map { v[$0] }))
        case .integer(let v): return Column(name, .integer(rows.map { v[$0] }))
        case .real(let v): return Column(name, .real(rows.map { v[$0] }))
        case .timestamp(let v): return Column(name, .timestamp(rows.map { v[$0] }))
        }
    }

    /// The values at `rows`, missing where a row is nil.
    public func selecting(optionalRows rows: [Int?]) -> Column {
        switch values {
        case .text(let v): return Column(name, .text(rows.map { $0.map { v[$0] } ?? "" }))
        case .integer(let v): return Column(name, .integer(rows.map { $0.flatMap { v[$0] } }))
        case .real(let v): return Column(name, .real(rows.map { $0.map { v[$0] } ?? .nan }))
        case .timestamp(let v): return Column(name, .timestamp(rows.map { $0.flatMap { v[$0] } }))
        }
    }

    /// `count` missing values of a kind.
    public static func missing(_ kind: Kind, count: Int) -> Values {
        switch kind {
        case .text: return .text(Array(repeating: "", count: count))
        case .integer: return .integer(Array(repeating: nil, count: count))
        case .real: return .real(Array(repeating: .nan, count: count))
        case .timestamp: return .timestamp(Array(repeating: nil, count: count))
        }
    }

    /// Adds `more`, of the column's kind, after its values. In place: the storage grows
    /// without copying (and, for text, retaining) the values already there.
    public mutating func append(_ more: Values) {
        let current = values
        values = .integer([])  // drops the second reference, so the array below is unique
        switch (current, more) {
        case (.text(var a), .text(let b)):
            a += b
            values = .text(a)
        case (.integer(var a), .integer(let b)):
            a += b
            values = .integer(a)
        case (.real(var a), .real(let b)):
            a += b
            values = .real(a)
        case (.timestamp(var a), .timestamp(let b)):
            a += b
            values = .timestamp(a)
        default: preconditionFailure("column \(name) is \(current), not the kind appended")
        }
    }

    /// Each value as text, as a CSV cell would show it ("" when missing): for grouping rows.
    public var textValues: [String] {
        switch values {
        case .text(let v): return v
        case .integer(let v): return v.map { $0.map(String.init) ?? "" }
        case .real(let v): return v.map { $0.isFinite ? String($0) : "" }
        case .timestamp(let v): return v.map { $0.map { CivilTime.timestampString(seconds: $0) } ?? "" }
        }
    }
}

extension Table {
    /// The rows at `rows`, in that order.
    public func selecting(rows: [Int]) -> Table {
        Table(rowCount: rows.count, columns: columns.map { $0.selecting(rows: rows) })
    }

    /// The named columns, in the order given, each renamed by `rename` when it has an entry.
    /// Names must exist (checked by the caller, which knows how to report it).
    public func selecting(columns names: [String], rename: [String: String] = [:]) -> Table {
        Table(
            rowCount: rowCount,
            columns: names.map { name in
                var column = column(named: name)!
                column.name = rename[name] ?? name
                return column
            })
    }
}
