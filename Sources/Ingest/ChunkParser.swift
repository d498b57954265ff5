import SegflowCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the header told us: the role of each field position, and the reasons used when a
/// row is rejected (built once, not per row; they name columns, never values).
struct RecordLayout: Sendable {
    let roles: [FieldRole]
    let separator: FieldSeparator
    let timeFormat: TimeFormat
    let hasOrderColumn: Bool
    let emptyCustomerReason: String
    let invalidCustomerReason: String
    let emptyOrderReason: String
    let badTimeReason: String
    let badAmountReason: String
    let implausibleTimeReason: String
    let implausibleAmountReason: String
    /// Category, channel and store, in that order: whether each is mapped, and its checks.
    let dimensions: [DimensionLayout]
    let hasQuantity: Bool
    let badQuantityReason: String
    /// Where profit comes from: amount less cost, or a margin column; nil when neither is mapped.
    let profitRole: FieldRole?
    let badProfitReason: String

    struct DimensionLayout {
        let role: FieldRole
        let isMapped: Bool
        /// The hashes of the values the pipeline file lists; nil when it lists none.
        let known: KeyCodeTable?
        let invalidReason: String
        let unknownReason: String

        /// Whether the value with this key may appear: any may when none are listed.
        func admits(_ key: UInt64) -> Bool { known.map { $0.code(of: key) != nil } ?? true }
    }

    static let dimensionRoles: [FieldRole] = [.category, .channel, .store]

    init(roles: [FieldRole], input: TransactionInput) {
        self.roles = roles
        separator = input.separator
        timeFormat = input.timeFormat
        hasOrderColumn = input.columns.order != nil
        emptyCustomerReason = "empty customer id in column '\(input.columns.customer)'"
        invalidCustomerReason = "customer id in column '\(input.columns.customer)' is not valid UTF-8 or holds a NUL byte"
        emptyOrderReason = "empty order id in column '\(input.columns.order ?? "")'"
        badTimeReason = "time in column '\(input.columns.time)' is not \(input.timeFormat.name)"
        badAmountReason = "amount in column '\(input.columns.amount)' is not a finite number"
        implausibleTimeReason = "time in column '\(input.columns.time)' is outside the years 1900 to 2199"
        implausibleAmountReason = "amount in column '\(input.columns.amount)' is a trillion (1e12) or more in size"
        let columns = input.columns
        let mapped: [FieldRole: (name: String?, known: [String]?, key: String)] = [
            .category: (columns.category, input.knownCategories, "categories"), .channel: (columns.channel, input.knownChannels, "channels"),
            .store: (columns.store, nil, ""),
        ]
        dimensions = Self.dimensionRoles.map { role in
            let (name, known, key) = mapped[role]!
            return DimensionLayout(
                role: role, isMapped: name != nil,
                known: known.map { KeyCodeTable(keys: $0.map { Array($0.utf8).withUnsafeBytes { Hashing.key($0) } }) },
                invalidReason: "\(role) in column '\(name ?? "")' is not valid UTF-8 or holds a NUL byte",
                unknownReason: "\(role) in column '\(name ?? "")' is not one of the \(known?.count ?? 0) listed in inputs.transactions.\(key)")
        }
        hasQuantity = columns.quantity != nil
        badQuantityReason = "quantity in column '\(columns.quantity ?? "")' is not a finite number"
        profitRole = columns.cost != nil ? .cost : columns.margin != nil ? .margin : nil
        let profitColumn = columns.cost ?? columns.margin ?? ""
        badProfitReason = "\(columns.cost != nil ? "cost" : "margin") in column '\(profitColumn)' is not a finite number below a trillion"
    }
}

/// The rows of one chunk of records, before customers are interned. Customer ids stay as
/// spans of the chunk's bytes (or of `unescaped`, for quoted ids with doubled quotes).
struct ParsedChunk {
    var customerHash: [UInt64] = []
    var customerOffset: [UInt32] = []
    var customerLength: [UInt32] = []
    var orderKey: [UInt64] = []
    var time: [Int64] = []
    var amount: [Double] = []
    /// Category, channel and store codes into chunk-local names (`RecordLayout.dimensionRoles`).
    var dimensions = [ChunkDimension](repeating: ChunkDimension(), count: RecordLayout.dimensionRoles.count)
    var quantity: [Double] = []
    var profit: [Double] = []
    var unescaped: [UInt8] = []
    /// Rejected rows with `line` counted from 0 at the chunk's first line.
    var rejected: [RejectedRow] = []
    /// Physical lines the chunk spans; the next chunk starts this many lines later.
    var lineCount = 0
    /// Records seen, rejected ones included.
    var recordCount = 0
    /// The newest accepted time, for `as_of: latest`.
    var newestTime = Int64.min

    static let unescapedFlag: UInt32 = 1 << 31

    var count: Int { time.count }
}

/// One text column of a chunk's order lines: codes into the distinct values seen in the
/// chunk, merged into the file's dictionary once the chunk is parsed.
struct ChunkDimension {
    var codes: [UInt32] = []
    var names: [String] = []
    /// The code of each name, by the hash of its bytes.
    var lookup = KeyCodeTable()
}

let quote = UInt8(ascii: "\"")
let newline = UInt8(ascii: "\n")
let carriageReturn = UInt8(ascii: "\r")

/// An RFC 4180 record parser over a chunk that holds whole records only.
enum ChunkParser {
    struct FieldSpan {
        var start = 0
        var end = 0
        var hasDoubledQuotes = false
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, layout: RecordLayout) -> ParsedChunk {
        var chunk = ParsedChunk()
        let estimatedRows = bytes.count / 40 + 16
        chunk.customerHash.reserveCapacity(estimatedRows)
        chunk.customerOffset.reserveCapacity(estimatedRows)
        chunk.customerLength.reserveCapacity(estimatedRows)
        chunk.orderKey.reserveCapacity(estimatedRows)
        chunk.time.reserveCapacity(estimatedRows)
        chunk.amount.reserveCapacity(estimatedRows)
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return chunk }
        let end = bytes.count
        let separator = layout.separator
        let roles = layout.roles
        var position = 0
        var line = 0
        var spans = [FieldSpan](repeating: FieldSpan(), count: FieldRole.allCases.count)

        while position < end {
            if separator == .blanks { skipBlanks(base, &position, end: end) }
            guard position < end else { break }
            let recordStart = position
            let recordLine = line
            // Blank lines (often a trailing one) are not records.
            if base[position] == newline {
                position += 1
                line += 1
                continue
            }
            if base[position] == carriageReturn, position + 1 < end, base[position + 1] == newline {
                position += 2
                line += 1
                continue
            }
            chunk.recordCount += 1
            var field = 0
            var failure: String?
            repeat {
                let span = nextField(base, &position, end: end, separator: separator, line: &line, failure: &failure)
                if field < roles.count {
                    let role = roles[field]
                    if role != .ignored { spans[Int(role.rawValue)] = span }
                }
                field += 1
            } while moreFields(base, &position, end: end, separator: separator, line: &line)

            if failure == nil, field != roles.count {
                failure = "expected \(roles.count) fields, found \(field)"
            }
            if failure == nil {
                failure = appendRow(&chunk, base: base, spans: spans, layout: layout)
            }
            if let failure {
                chunk.rejected.append(
                    RejectedRow(
                        line: recordLine, reason: failure,
                        record: recordText(base, from: recordStart, to: position)))
            }
        }
        chunk.lineCount = line
        return chunk
    }

    /// Reads one field starting at `position` and leaves `position` on the byte after it
    /// (a delimiter, a newline, or the end). Quoted fields may hold delimiters, newlines and
    /// doubled quotes; `line` counts the newlines inside them.
    @inline(__always)
    static func scanField(
        _ base: UnsafePointer<UInt8>, _ position: inout Int, end: Int, delimiter: UInt8,
        line: inout Int, failure: inout String?
    ) -> FieldSpan {
        var span = FieldSpan()
        if position < end, base[position] == quote {
            position += 1
            span.start = position
            while position < end {
                guard let found = memchr(base + position, Int32(quote), end - position) else { break }
                let at = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
                line += countNewlines(base, from: position, to: at)
                if at + 1 < end, base[at + 1] == quote {
                    span.hasDoubledQuotes = true
                    position = at + 2
                    continue
                }
                span.end = at
                position = at + 1
                if position < end, base[position] != delimiter, base[position] != newline,
                    !(base[position] == carriageReturn && (position + 1 == end || base[position + 1] == newline))
                {
                    failure = failure ?? "unexpected character after a closing quote"
                    // Skip the rest of the field so the record ends where a person sees it end.
                    while position < end, base[position] != delimiter, base[position] != newline { position += 1 }
                }
                return span
            }
            line += countNewlines(base, from: position, to: end)
            position = end
            span.end = end
            failure = failure ?? "quoted field is never closed (missing '\"')"
            return span
        }
        span.start = position
        while position < end {
            let byte = base[position]
            if byte == delimiter || byte == newline { break }
            position += 1
        }
        span.end = position
        if span.end > span.start, base[span.end - 1] == carriageReturn, position == end || base[position] == newline {
            span.end -= 1
        }
        return span
    }

    /// The fields of the first record, and where the record after it starts.
    static func firstRecord(_ bytes: UnsafeRawBufferPointer, separator: FieldSeparator) -> (fields: [String], next: Int, failure: String?)? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return nil }
        var position = 0
        var line = 0
        var failure: String?
        var fields: [String] = []
        if separator == .blanks { skipBlanks(base, &position, end: bytes.count) }
        repeat {
            var span = nextField(base, &position, end: bytes.count, separator: separator, line: &line, failure: &failure)
            if span.hasDoubledQuotes {
                fields.append(String(decoding: unescape(base, span), as: UTF8.self))
            } else {
                span.end = max(span.end, span.start)
                fields.append(String(decoding: UnsafeBufferPointer(start: base + span.start, count: span.end - span.start), as: UTF8.self))
            }
        } while moreFields(base, &position, end: bytes.count, separator: separator, line: &line)
        return (fields, position, failure)
    }

    @inline(__always)
    static func nextField(
        _ base: UnsafePointer<UInt8>, _ position: inout Int, end: Int, separator: FieldSeparator,
        line: inout Int, failure: inout String?
    ) -> FieldSpan {
        switch separator {
        case .byte(let delimiter):
            return scanField(base, &position, end: end, delimiter: delimiter, line: &line, failure: &failure)
        case .blanks:
            var span = FieldSpan()
            span.start = position
            while position < end, !isBlank(base[position]), base[position] != newline { position += 1 }
            span.end = position
            return span
        }
    }

    /// Steps over the separator after a field: true if another field of the same record
    /// follows, false at the end of the record (its newline consumed).
    @inline(__always)
    static func moreFields(
        _ base: UnsafePointer<UInt8>, _ position: inout Int, end: Int, separator: FieldSeparator,
        line: inout Int
    ) -> Bool {
        if case .byte(let delimiter) = separator, position < end, base[position] == delimiter {
            position += 1
            return true
        }
        if separator == .blanks {
            skipBlanks(base, &position, end: end)
            if position < end, base[position] != newline { return true }
        }
        if position < end {  // at the newline
            position += 1
            line += 1
        }
        return false
    }

    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == carriageReturn }

    @inline(__always)
    static func skipBlanks(_ base: UnsafePointer<UInt8>, _ position: inout Int, end: Int) {
        while position < end, isBlank(base[position]) { position += 1 }
    }

    /// Parses the fields of an accepted-shape record; returns the rejection reason, if any.
    @inline(__always)
    private static func appendRow(
        _ chunk: inout ParsedChunk, base: UnsafePointer<UInt8>, spans: [FieldSpan],
        layout: RecordLayout
    ) -> String? {
        let customer = spans[Int(FieldRole.customer.rawValue)]
        guard customer.end > customer.start else { return layout.emptyCustomerReason }
        // Ids are kept byte for byte; one that is not UTF-8 would turn into replacement
        // characters in every output and merge with other such ids there, and no database
        // text column stores a NUL byte.
        guard isStorableText(buffer(base, customer)) else { return layout.invalidCustomerReason }
        let timeSpan = spans[Int(FieldRole.time.rawValue)]
        guard let time = layout.timeFormat.parse(buffer(base, timeSpan)) else { return layout.badTimeReason }
        guard TransactionInput.plausibleTimes.contains(time) else { return layout.implausibleTimeReason }
        let amountSpan = spans[Int(FieldRole.amount.rawValue)]
        guard let amount = AmountParsing.parse(buffer(base, amountSpan)) else { return layout.badAmountReason }
        guard abs(amount) < TransactionInput.plausibleAmountLimit else { return layout.implausibleAmountReason }
        var orderKey: UInt64
        if layout.hasOrderColumn {
            let order = spans[Int(FieldRole.order.rawValue)]
            guard order.end > order.start else { return layout.emptyOrderReason }
            orderKey =
                order.hasDoubledQuotes
                ? unescape(base, order).withUnsafeBytes { Hashing.key($0) }
                : Hashing.key(buffer(base, order))
        } else {
            orderKey = UInt64(bitPattern: time)
        }
        var quantity = 0.0, profit = 0.0
        if layout.hasQuantity {
            guard let value = AmountParsing.parse(buffer(base, spans[Int(FieldRole.quantity.rawValue)])) else { return layout.badQuantityReason }
            quantity = value
        }
        if let role = layout.profitRole {
            guard let value = AmountParsing.parse(buffer(base, spans[Int(role.rawValue)])),
                abs(value) < TransactionInput.plausibleAmountLimit
            else { return layout.badProfitReason }
            profit = role == .cost ? amount - value : value
        }
        var codes: (UInt32, UInt32, UInt32) = (OrderLines.missing, OrderLines.missing, OrderLines.missing)
        // Fields are read in place: copying a dimension's layout would retain and release
        // its strings and tables on every row.
        for index in layout.dimensions.indices where layout.dimensions[index].isMapped {
            let span = spans[Int(layout.dimensions[index].role.rawValue)]
            guard span.end > span.start else { continue }
            let unescaped = span.hasDoubledQuotes ? unescape(base, span) : nil
            let key = unescaped.map { $0.withUnsafeBytes { Hashing.key($0) } } ?? Hashing.key(buffer(base, span))
            let code: UInt32
            if let existing = chunk.dimensions[index].lookup.code(of: key) {
                code = existing
            } else {
                // A value enters the chunk's dictionary once, so only new values are checked.
                guard layout.dimensions[index].admits(key) else { return layout.dimensions[index].unknownReason }
                let bytes = unescaped ?? Array(buffer(base, span))
                guard bytes.withUnsafeBytes(isStorableText) else { return layout.dimensions[index].invalidReason }
                code = UInt32(chunk.dimensions[index].names.count)
                chunk.dimensions[index].names.append(String(decoding: bytes, as: UTF8.self))
                chunk.dimensions[index].lookup.insert(key, code: code)
            }
            switch index {
            case 0: codes.0 = code
            case 1: codes.1 = code
            default: codes.2 = code
            }
        }
        if layout.dimensions[0].isMapped { chunk.dimensions[0].codes.append(codes.0) }
        if layout.dimensions[1].isMapped { chunk.dimensions[1].codes.append(codes.1) }
        if layout.dimensions[2].isMapped { chunk.dimensions[2].codes.append(codes.2) }
        if layout.hasQuantity { chunk.quantity.append(quantity) }
        if layout.profitRole != nil { chunk.profit.append(profit) }
        if customer.hasDoubledQuotes {
            let id = unescape(base, customer)
            chunk.customerOffset.append(UInt32(chunk.unescaped.count) | ParsedChunk.unescapedFlag)
            chunk.customerLength.append(UInt32(id.count))
            chunk.unescaped.append(contentsOf: id)
            chunk.customerHash.append(id.withUnsafeBytes { Hashing.key($0) })
        } else {
            chunk.customerOffset.append(UInt32(customer.start))
            chunk.customerLength.append(UInt32(customer.end - customer.start))
            chunk.customerHash.append(Hashing.key(buffer(base, customer)))
        }
        chunk.orderKey.append(orderKey)
        chunk.time.append(time)
        chunk.amount.append(amount)
        if time > chunk.newestTime { chunk.newestTime = time }
        return nil
    }

    /// Valid UTF-8 without NUL bytes. ASCII (nearly every id) is checked a word at a time;
    /// anything else is validated in full.
    @inline(__always)
    private static func isStorableText(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // (word - ones) & ~word sets a byte's high bit where that byte is zero.
            if (word &- ones) & ~word & highBits != 0 { return false }
            if word & highBits != 0 { return isValidUTF8WithoutNUL(bytes) }
            index += 8
        }
        while index < bytes.count {
            if bytes[index] == 0 { return false }
            if bytes[index] >= 0x80 { return isValidUTF8WithoutNUL(bytes) }
            index += 1
        }
        return true
    }

    private static func isValidUTF8WithoutNUL(_ bytes: UnsafeRawBufferPointer) -> Bool {
        !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil
    }

    @inline(__always)
    private static func buffer(_ base: UnsafePointer<UInt8>, _ span: FieldSpan) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + span.start, count: span.end - span.start)
    }

    /// The field's bytes with each doubled quote made single.
    private static func unescape(_ base: UnsafePointer<UInt8>, _ span: FieldSpan) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(span.end - span.start)
        var index = span.start
        while index < span.end {
            result.append(base[index])
            index += base[index] == quote ? 2 : 1
        }
        return result
    }

    private static func countNewlines(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var count = 0
        var index = start
        while index < end {
            if base[index] == newline { count += 1 }
            index += 1
        }
        return count
    }

    private static func recordText(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> String {
        var stop = min(end, start + 1000)
        while stop > start, base[stop - 1] == newline || base[stop - 1] == carriageReturn { stop -= 1 }
        return String(decoding: UnsafeBufferPointer(start: base + start, count: stop - start), as: UTF8.self)
    }
}
