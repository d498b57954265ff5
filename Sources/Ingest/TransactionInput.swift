import SegflowCore

/// Which header names hold the four transaction fields.
public struct TransactionColumns: Sendable, Equatable {
    public var customer: String
    /// Optional: without it, rows of one customer with the same time form one order.
    public var order: String?
    public var time: String
    public var amount: String

    public init(customer: String, order: String?, time: String, amount: String) {
        self.customer = customer
        self.order = order
        self.time = time
        self.amount = amount
    }

    var named: [(role: FieldRole, name: String)] {
        [(.customer, customer)] + (order.map { [(.order, $0)] } ?? []) + [(.time, time), (.amount, amount)]
    }
}

/// What separates the fields of a record.
public enum FieldSeparator: Sendable, Equatable {
    /// One character, with RFC 4180 quoting (`,` for CSV).
    case byte(UInt8)
    /// Runs of spaces and tabs, no quoting; leading blanks are ignored (column-aligned
    /// exports such as the CDNOW data).
    case blanks
}

/// One delimited transaction file (`.csv`, or `.csv.gz` for gzip) and how to read it.
public struct TransactionInput: Sendable, Equatable {
    public var path: String
    public var columns: TransactionColumns
    public var timeFormat: TimeFormat
    public var separator: FieldSeparator
    /// Without a header row, columns are named by 1-based position: "1", "2", ...
    public var hasHeader: Bool

    public init(
        path: String, columns: TransactionColumns, timeFormat: TimeFormat = .iso8601,
        separator: FieldSeparator = .byte(UInt8(ascii: ",")), hasHeader: Bool = true
    ) {
        self.path = path
        self.columns = columns
        self.timeFormat = timeFormat
        self.separator = separator
        self.hasHeader = hasHeader
    }

    public var isGzip: Bool { path.hasSuffix(".gz") }
}

/// A data row that could not be used, kept for `rejected.csv`.
public struct RejectedRow: Sendable, Equatable {
    /// 1-based physical line in the input where the record starts (the header is line 1).
    public var line: Int
    public var reason: String
    /// The record as it stands in the file (at most 1,000 bytes, lossy UTF-8).
    public var record: String

    public init(line: Int, reason: String, record: String) {
        self.line = line
        self.reason = reason
        self.record = record
    }
}

/// How many bad rows a run accepts before it stops: `max_rejected` in the pipeline file.
public enum RejectionBudget: Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    /// A fraction of all data rows, 0...1 (the file says `0.1%`).
    case fraction(Double)

    public func allows(rejected: Int, of rows: Int) -> Bool {
        switch self {
        case .count(let limit): return rejected <= limit
        case .fraction(let share): return Double(rejected) <= share * Double(rows)
        }
    }

    public var description: String {
        switch self {
        case .count(let limit): return "\(limit) rows"
        case .fraction(let share): return "\(share * 100)% of rows"
        }
    }
}

enum FieldRole: UInt8 {
    case ignored = 0
    case customer, order, time, amount
}

extension TransactionColumns {
    /// The mapped header names, customer first.
    public var allNames: [String] { named.map(\.name) }
}
