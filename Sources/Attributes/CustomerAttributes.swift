import Ingest
import SegflowCore

/// How a customer attribute's cells are read.
public enum AttributeKind: String, Sendable, CaseIterable {
    /// Text from a set of values (region, customer type, age band): a text column.
    case category
    /// A finite number: a real column.
    case number
    /// A date or time in the file's `time_format`: a timestamp column.
    case date
    /// Yes or no (`true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0`, any case): a text column of `true` and `false`.
    case flag
}

/// One attribute column of the customers file.
public struct AttributeSpec: Sendable, Equatable {
    public var column: String
    public var kind: AttributeKind
    /// The values a category may hold; nil for any.
    public var values: [String]?

    public init(column: String, kind: AttributeKind, values: [String]? = nil) {
        self.column = column
        self.kind = kind
        self.values = values
    }
}

/// The customers file: one row per customer on file, joined to the transactions by id.
/// Empty cells are missing values; every other cell must read as its kind.
public struct CustomerAttributes: Sendable, Equatable {
    /// Customer ids in file order.
    public var ids: [String] = []
    /// Each row's customer among the buyers it was parsed against; nil for those on file who never bought.
    public var buyerRow: [Int?] = []
    /// Signup time per row, when the file maps one.
    public var signup: [Int64?] = []
    /// One column per attribute, a value per row.
    public var columns: [Column] = []

    public init() {}

    /// Reads the mapped cells of `table`: `id` first, then `signup` when `hasSignup`, then one
    /// cell per attribute, as `FieldTableReader` was asked for them. A row that fails is
    /// rejected with its reason; a repeated id rejects the later row. `buyers` gives each
    /// buyer's row: the join and the check for repeated ids are one lookup per row.
    public static func parse(
        _ table: FieldTable, idColumn: String, signupColumn: String?, attributes: [AttributeSpec], timeFormat: TimeFormat,
        buyers: IDIndex
    ) -> (CustomerAttributes, rejected: [RejectedRow]) {
        var result = CustomerAttributes()
        var rejected: [RejectedRow] = []
        // The line that named each customer first; 0 while none has (the header is line 1).
        var buyerLine = [Int](repeating: 0, count: buyers.count)
        var prospectLine: [String: Int] = [:]
        let offset = signupColumn == nil ? 1 : 2
        // The lookups and cell checks are row by row, so they run on all cores; the repeat
        // check needs the rows in file order and follows.
        let parts = Parallel.workerCount * 4
        let checked = Parallel.map(parts: parts) { part in
            Parallel.slice(part, of: parts, count: table.rows.count).map { row in
                Self.check(
                    table.rows[row], signupColumn: signupColumn, offset: offset, attributes: attributes, timeFormat: timeFormat, buyers: buyers)
            }
        }
        var cells = attributes.map { _ in [String]() }
        for index in cells.indices { cells[index].reserveCapacity(table.rows.count) }
        result.ids.reserveCapacity(table.rows.count)
        result.buyerRow.reserveCapacity(table.rows.count)
        if signupColumn != nil { result.signup.reserveCapacity(table.rows.count) }
        for (row, check) in checked.joined().enumerated() {
            let fields = table.rows[row], line = table.lines[row]
            func reject(_ reason: String) { rejected.append(RejectedRow(line: line, reason: reason, record: fields.joined(separator: ","))) }
            let id = fields[0]
            guard !id.isEmpty else {
                reject("empty customer id in column '\(idColumn)'")
                continue
            }
            if let first = check.buyer.map({ buyerLine[$0] }) ?? prospectLine[id], first > 0 {
                reject("customer id in column '\(idColumn)' is on line \(first) already: one row per customer")
                continue
            }
            if let failure = check.failure {
                reject(failure)
                continue
            }
            if let buyer = check.buyer { buyerLine[buyer] = line } else { prospectLine[id] = line }
            result.ids.append(id)
            result.buyerRow.append(check.buyer)
            if signupColumn != nil { result.signup.append(check.signup) }
            for index in attributes.indices { cells[index].append(fields[offset + index]) }
        }
        result.columns = attributes.indices.map { Self.column(attributes[$0], cells[$0], timeFormat) }
        return (result, rejected)
    }

    /// What one row's cells say on their own: its buyer, its signup, and what is wrong with
    /// it, if anything, before the repeat check.
    private struct RowCheck {
        var buyer: Int?
        var signup: Int64?
        var failure: String?
    }

    private static func check(
        _ fields: [String], signupColumn: String?, offset: Int, attributes: [AttributeSpec], timeFormat: TimeFormat, buyers: IDIndex
    ) -> RowCheck {
        var result = RowCheck(buyer: fields[0].isEmpty ? nil : buyers[fields[0]])
        if let signupColumn, !fields[1].isEmpty {
            guard let time = Self.time(fields[1], timeFormat) else {
                result.failure = "signup in column '\(signupColumn)' is not \(timeFormat.name)"
                return result
            }
            result.signup = time
        }
        result.failure = attributes.indices.lazy.compactMap { Self.problem(fields[offset + $0], attributes[$0], timeFormat) }.first
        return result
    }

    /// What is wrong with a cell of an attribute, or nil when it reads (an empty cell is missing).
    static func problem(_ cell: String, _ spec: AttributeSpec, _ timeFormat: TimeFormat) -> String? {
        guard !cell.isEmpty else { return nil }
        switch spec.kind {
        case .category:
            guard let known = spec.values, !known.contains(cell) else { return nil }
            return "\(spec.column) is not one of the \(known.count) values listed for it"
        case .number: return Double(cell).map(\.isFinite) == true ? nil : "\(spec.column) is not a finite number"
        case .date: return time(cell, timeFormat) != nil ? nil : "\(spec.column) is not \(timeFormat.name)"
        case .flag: return flag(cell) != nil ? nil : "\(spec.column) is not a yes/no value (true, false, yes, no, 1, 0)"
        }
    }

    /// The typed column of an attribute's accepted cells, as `AttributeSpec.schema` says.
    static func column(_ spec: AttributeSpec, _ cells: [String], _ timeFormat: TimeFormat) -> Column {
        switch spec.kind {
        case .category: return Column(spec.column, .text(cells))
        case .number: return Column(spec.column, .real(cells.map { Double($0) ?? .nan }))
        case .date: return Column(spec.column, .timestamp(cells.map { time($0, timeFormat) }))
        case .flag: return Column(spec.column, .text(cells.map { flag($0).map { AttributeSpec.flagValues[$0 ? 0 : 1] } ?? "" }))
        }
    }

    static func time(_ cell: String, _ format: TimeFormat) -> Int64? {
        Array(cell.utf8).withUnsafeBytes { format.parse($0) }
    }

    static func flag(_ text: String) -> Bool? {
        switch text {
        case "true", "yes", "y", "1", "t": return true
        case "false", "no", "n", "0", "f": return false
        // Lowercasing allocates, so only cells with capitals pay for it.
        default: return text.contains(where: \.isUppercase) ? flag(text.lowercased()) : nil
        }
    }
}

extension AttributeSpec {
    /// No column yet: what a pipeline file's attribute is read into.
    public init() { self.init(column: "", kind: .category) }

    /// How a flag is written: yes, then no.
    static let flagValues = ["true", "false"]

    /// The attribute's column in the customers table, with the values it can hold where
    /// they are known.
    public var schema: ColumnSchema {
        switch kind {
        case .category: return ColumnSchema(column, .text, values: values)
        case .number: return ColumnSchema(column, .real)
        case .date: return ColumnSchema(column, .timestamp)
        case .flag: return ColumnSchema(column, .text, values: Self.flagValues)
        }
    }
}
