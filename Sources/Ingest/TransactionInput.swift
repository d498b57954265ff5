import SegflowCore

/// Which header names hold the transaction fields: the four every file has, and the
/// optional order-line columns.
public struct TransactionColumns: Sendable, Equatable {
    public var customer: String
    /// Optional: without it, rows of one customer with the same time form one order.
    public var order: String?
    public var time: String
    public var amount: String
    public var category: String?
    public var channel: String?
    public var store: String?
    public var quantity: String?
    /// The line's cost: profit is amount less cost.
    public var cost: String?
    /// The line's margin (profit) itself; a file maps cost or margin, not both.
    public var margin: String?

    public init(
        customer: String, order: String?, time: String, amount: String, category: String? = nil, channel: String? = nil,
        store: String? = nil, quantity: String? = nil, cost: String? = nil, margin: String? = nil
    ) {
        self.customer = customer
        self.order = order
        self.time = time
        self.amount = amount
        self.category = category
        self.channel = channel
        self.store = store
        self.quantity = quantity
        self.cost = cost
        self.margin = margin
    }

    /// No column mapped yet: what a pipeline file's `columns` is read into.
    public init() { self.init(customer: "", order: nil, time: "", amount: "") }

    var named: [(role: FieldRole, name: String)] {
        let roles: [(FieldRole, String?)] = [
            (.customer, customer), (.order, order), (.time, time), (.amount, amount), (.category, category), (.channel, channel),
            (.store, store), (.quantity, quantity), (.cost, cost), (.margin, margin),
        ]
        return roles.compactMap { role, name in name.map { (role, $0) } }
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
    /// The longest record read; a longer one (a file without line breaks, a quote left open)
    /// stops the run instead of growing memory without bound.
    public var maxRecordBytes: Int
    /// The only values the category and channel columns may hold, where the pipeline file
    /// lists them; a row with another value is rejected.
    public var knownCategories: [String]?
    public var knownChannels: [String]?

    public static let defaultMaxRecordBytes = 64 << 20

    /// Times a transaction can have: a date in the year 9999 (a placeholder for "never") or an
    /// epoch in microseconds read as seconds would move `as_of: latest` by centuries and print
    /// years that are not ISO 8601. Such rows are rejected with their reason.
    public static let plausibleTimes: ClosedRange<Int64> =
        CivilTime.daysFromCivil(year: 1900, month: 1, day: 1) * 86_400...CivilTime.daysFromCivil(year: 2200, month: 1, day: 1) * 86_400 - 1

    /// No single transaction is worth a trillion in any currency's units: past it, an amount is
    /// a parsing accident (an id in the amount column), and a few of them make totals infinite.
    public static let plausibleAmountLimit = 1e12

    public init(
        path: String, columns: TransactionColumns, timeFormat: TimeFormat = .iso8601,
        separator: FieldSeparator = .byte(UInt8(ascii: ",")), hasHeader: Bool = true, maxRecordBytes: Int = defaultMaxRecordBytes,
        knownCategories: [String]? = nil, knownChannels: [String]? = nil
    ) {
        self.knownCategories = knownCategories
        self.knownChannels = knownChannels
        self.path = path
        self.columns = columns
        self.timeFormat = timeFormat
        self.separator = separator
        self.hasHeader = hasHeader
        self.maxRecordBytes = maxRecordBytes
    }

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
    /// A share of all data rows, kept as the file writes it: `0.7%` is `percent(units: 7,
    /// decimals: 1)`, 7 / 1,000 of the rows. Compared in integers, so 7 rejected rows of
    /// 1,000 are within `0.7%` (in floating point 0.007 x 1,000 is 6.999...).
    case percent(units: Int, decimals: Int)

    /// Every row may be rejected.
    public static let unlimited = RejectionBudget.percent(units: 100, decimals: 0)

    /// `0.7%` (a share of rows) or `25` (a count); nil for anything else, or a share over 100%
    /// or with more than 6 decimals.
    public init?(_ text: String) {
        if text.hasSuffix("%") {
            let number = text.dropLast()
            let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            let whole = parts[0], fraction = parts.count > 1 ? parts[1] : ""
            guard !number.isEmpty, fraction.count <= 6, !(whole.isEmpty && fraction.isEmpty),
                (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }),
                let units = Int(whole + fraction), units <= 100 * Self.powerOfTen(fraction.count)
            else { return nil }
            self = .percent(units: units, decimals: fraction.count)
        } else if let count = Int(text), count >= 0 {
            self = .count(count)
        } else {
            return nil
        }
    }

    public func allows(rejected: Int, of rows: Int) -> Bool {
        switch self {
        case .count(let limit): return rejected <= limit
        case .percent(let units, let decimals):
            // rejected / rows <= units / (100 x 10^decimals), cross-multiplied.
            return Int128(rejected) * Int128(100 * Self.powerOfTen(decimals)) <= Int128(units) * Int128(rows)
        }
    }

    public var description: String {
        switch self {
        case .count(let limit): return "\(limit) rows"
        case .percent(let units, let decimals):
            guard decimals > 0 else { return "\(units)% of rows" }
            let digits = String(repeating: "0", count: max(0, decimals + 1 - String(units).count)) + String(units)
            return "\(digits.dropLast(decimals)).\(digits.suffix(decimals))% of rows"
        }
    }

    /// Throws, naming the first rejected rows of the file at `path`, when they exceed the budget.
    public func enforce(rejected: [RejectedRow], of records: Int, in path: String, stoppedEarly: Bool = false) throws {
        guard !allows(rejected: rejected.count, of: records) else { return }
        let scope = stoppedEarly ? "the first \(records) data rows read (reading stopped there)" : "\(records) data rows"
        var diagnostics: [Diagnostic] = [
            .error(
                at: SourceLocation(file: path),
                "\(rejected.count) of \(scope) were rejected, more than max_rejected allows (\(self)); nothing was written",
                hint: "fix the rows listed below (line: reason), or raise clean.max_rejected in the pipeline file if they are expected")
        ]
        for row in rejected.prefix(10) {
            diagnostics.append(.error(at: SourceLocation(file: path, line: row.line), "rejected: \(row.reason)"))
        }
        throw SegflowError(.data, diagnostics)
    }

    private static func powerOfTen(_ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { value, _ in value * 10 }
    }
}

enum FieldRole: UInt8, CaseIterable {
    case ignored = 0
    case customer, order, time, amount, category, channel, store, quantity, cost, margin
}

extension TransactionColumns {
    /// The mapped header names, customer first.
    public var allNames: [String] { named.map(\.name) }
}
