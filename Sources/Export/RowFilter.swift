import SegflowCore

/// Which rows an export takes (`where:`): every condition must hold. An audience such as
/// "active customers at high risk" is then a file or a table of its own.
public struct RowFilter: Sendable, Equatable {
    public enum Condition: Sendable, Equatable {
        /// The cell, as a CSV would show it, is one of these.
        case oneOf([String])
        /// A number within the bounds, both inclusive; a missing bound is open. An empty cell
        /// is outside every range.
        case range(min: Double?, max: Double?)
    }

    public struct Clause: Sendable, Equatable {
        public var column: String
        public var condition: Condition

        public init(column: String, condition: Condition) {
            self.column = column
            self.condition = condition
        }
    }

    public var clauses: [Clause]

    public init(_ clauses: [Clause] = []) { self.clauses = clauses }

    public var isEmpty: Bool { clauses.isEmpty }

    /// The rows every clause keeps; the table itself when there is no clause.
    public func apply(to table: Table) throws -> Table {
        guard !clauses.isEmpty else { return table }
        var keep = [Bool](repeating: true, count: table.rowCount)
        for clause in clauses {
            guard let column = table.column(named: clause.column) else {
                throw ColumnSelection.Failure.unknownColumn(key: "where", name: clause.column, available: table.columnNames)
            }
            switch clause.condition {
            case .oneOf(let values):
                let accepted = Set(values)
                for (row, text) in column.textValues.enumerated() where !accepted.contains(text) { keep[row] = false }
            case .range(let low, let high):
                // A missing value (NaN) and a text column fail every range.
                let numbers = column.numbers ?? [Double](repeating: .nan, count: table.rowCount)
                for (row, value) in numbers.enumerated() where !(value >= (low ?? -.infinity) && value <= (high ?? .infinity)) {
                    keep[row] = false
                }
            }
        }
        return table.selecting(rows: keep.indices.filter { keep[$0] })
    }
}
