import CFormatKernels
import Foundation
import SegflowCore

/// How a table is written. Both formats end lines with `\n`; missing values are empty cells
/// in CSV and `null` in JSON; timestamps are ISO 8601 UTC text.
public enum TableFormat: Sendable, Equatable {
    /// RFC 4180: a header row, fields quoted only when they hold a comma, a quote or a line
    /// break. With `protectFormulas`, text cells that a spreadsheet would run as a formula
    /// (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a leading `'`, the
    /// OWASP advice against CSV injection. Numbers are never touched.
    case csv(protectFormulas: Bool)
    /// JSON Lines: one object per row, keys in column order.
    case jsonLines
    /// PostgreSQL's COPY text format: no header, tab between fields, `\N` for a missing
    /// value or an empty text, backslash escapes for backslash, tab and line breaks.
    case postgresCopy
}

/// Writes a `Table` as CSV or JSON Lines. Rows are formatted on all cores in blocks, then
/// written in order, so memory stays bounded and the bytes do not depend on the worker count.
public enum TableWriter {
    /// Small enough that a formatted block (about 1 MB for customers.csv) is still in the
    /// core's cache when it is copied to the file's buffer: 16,384 rows made the export of 1M
    /// customers about 15% slower, 32,768 rows twice as slow.
    static let rowsPerBlock = 8_192

    public static func write(
        _ table: Table, as format: TableFormat = .csv(protectFormulas: true), to writer: BufferedFileWriter,
        workers: Int = Parallel.workerCount
    ) throws {
        var chunks = Chunks(table, as: format, workers: workers)
        while let chunk = chunks.next() { try chunk.withUnsafeBytes { try writer.write($0) } }
    }

    /// A table's bytes in order, a block of rows at a time (the CSV header first), for
    /// destinations that are not files, such as a database's COPY stream.
    public struct Chunks: IteratorProtocol {
        private let table: Table
        private let workers: Int
        private var blocks: [BlockFormatter]
        private var header: [UInt8]?
        /// First row of the next group of blocks to format, and the next block to hand out.
        private var start = 0
        private var nextBlock: Int

        public init(_ table: Table, as format: TableFormat, workers: Int = Parallel.workerCount) {
            self.table = table
            self.workers = workers
            blocks = [BlockFormatter](repeating: BlockFormatter(format: format), count: workers)
            nextBlock = workers
            if case .csv(let protectFormulas) = format {
                let names = table.columnNames
                header = formatted(capacity: names.reduce(1) { $0 + 2 * $1.utf8.count + 4 }) { cursor in
                    for (index, name) in names.enumerated() {
                        if index > 0 { cursor.put(UInt8(ascii: ",")) }
                        var name = name
                        // A renamed column is text from the pipeline file: it gets the cells' protection.
                        name.withUTF8 { csvField($0, protectingFormulas: protectFormulas, &cursor) }
                    }
                    cursor.put(UInt8(ascii: "\n"))
                }
            }
        }

        /// The next chunk; it shares storage with the formatter, so let go of it before the
        /// next call to keep the formatting in place (holding on only costs a copy).
        public mutating func next() -> ArraySlice<UInt8>? {
            if let header {
                self.header = nil
                return header[...]
            }
            while nextBlock == workers {
                guard start < table.rowCount else { return nil }
                let end = min(table.rowCount, start + rowsPerBlock * workers)
                let (table, workers, start) = (self.table, self.workers, self.start)
                blocks.withUnsafeMutableBufferPointer { blocks in
                    Parallel.forEach(parts: workers) { part in
                        let rows = Parallel.slice(part, of: workers, count: end - start)
                        blocks[part].format(table, rows: (start + rows.lowerBound)..<(start + rows.upperBound))
                    }
                }
                self.start = end
                nextBlock = 0
            }
            defer { nextBlock += 1 }
            return blocks[nextBlock].output
        }
    }

    /// Formats a block of rows, row by row, straight into a buffer sized for the worst case:
    /// every output byte is written once, through a pointer, with no per-byte bookkeeping.
    /// The buffer is kept from block to block, so its pages are touched once per table.
    struct BlockFormatter {
        let format: TableFormat
        private var storage: [UInt8] = []
        private var length = 0
        var output: ArraySlice<UInt8> { storage[..<length] }

        init(format: TableFormat) { self.format = format }

        mutating func format(_ table: Table, rows: Range<Int>) {
            let capacity = Self.capacity(table, rows: rows, format: format)
            let format = self.format
            // JSON keys are escaped once per block, not once per cell.
            let keys: [[UInt8]] =
                format != .jsonLines
                ? []
                : table.columnNames.map { name in
                    formatted(capacity: 6 * name.utf8.count + 3) { cursor in
                        var name = name
                        name.withUTF8 { jsonString($0, &cursor) }
                        cursor.put(UInt8(ascii: ":"))
                    }
                }
            // Columns as raw views for the row loop: reading an array through its enum case
            // per cell would retain and release it every time.
            ColumnView.withViews(of: table.columns[...]) { views in
                let (isJSON, separator) = (format == .jsonLines, format.fieldSeparator)
                length = TableWriter.format(into: &storage, capacity: capacity) { cursor in
                    views.withUnsafeBufferPointer { views in
                        for runStart in stride(from: rows.lowerBound, to: rows.upperBound, by: PreformattedReals.rows) {
                            let run = runStart..<min(runStart + PreformattedReals.rows, rows.upperBound)
                            for view in views { view.prepare(run) }
                            // Each cell is followed by the separator, and the row's last one gives way
                            // to what ends the row: cheaper than a test per cell for the first column.
                            // The JSON loop is apart so that the CSV one tests nothing else per cell.
                            for row in run {
                                if isJSON {
                                    cursor.put(UInt8(ascii: "{"))
                                    for (view, key) in zip(views, keys) {
                                        key.withUnsafeBufferPointer { cursor.put($0) }
                                        Self.cell(view, row: row, runStart: runStart, format: format, &cursor)
                                        cursor.put(separator)
                                    }
                                    if !views.isEmpty { cursor.pointer -= 1 }
                                    cursor.put(UInt8(ascii: "}"))
                                } else {
                                    for view in views {
                                        Self.cell(view, row: row, runStart: runStart, format: format, &cursor)
                                        cursor.put(separator)
                                    }
                                    if !views.isEmpty { cursor.pointer -= 1 }
                                }
                                cursor.put(UInt8(ascii: "\n"))
                            }
                        }
                    }
                }
            }
        }

        /// A column's values as a pointer into its array; text columns with their memo of
        /// formatted cells, real columns with their cells formatted ahead a run at a time.
        enum ColumnView {
            case text(UnsafeBufferPointer<String>, UnsafeMutablePointer<RepeatedText>)
            case integer(UnsafeBufferPointer<Int64?>)
            case real(UnsafeBufferPointer<Double>, PreformattedReals)
            case timestamp(UnsafeBufferPointer<Int64?>)

            /// Calls `body` with a view of each column. The columns' `withUnsafeBufferPointer`
            /// scopes are nested, one per column, so every pointer is used only inside the
            /// scope that gave it; what the views allocate is freed when `body` returns.
            static func withViews(of columns: ArraySlice<Column>, _ body: ([ColumnView]) -> Void) {
                var views: [ColumnView] = []
                views.reserveCapacity(columns.count)
                nest(columns, &views, body)
                for view in views { view.release() }
            }

            private static func nest(_ columns: ArraySlice<Column>, _ views: inout [ColumnView], _ body: ([ColumnView]) -> Void) {
                guard let column = columns.first else { return body(views) }
                let rest = columns.dropFirst()
                switch column.values {
                case .text(let values):
                    values.withUnsafeBufferPointer { values in
                        let memo = UnsafeMutablePointer<RepeatedText>.allocate(capacity: 1)
                        memo.initialize(to: RepeatedText(active: true))
                        views.append(.text(values, memo))
                        nest(rest, &views, body)
                    }
                case .integer(let values):
                    values.withUnsafeBufferPointer {
                        views.append(.integer($0))
                        nest(rest, &views, body)
                    }
                case .real(let values):
                    values.withUnsafeBufferPointer {
                        views.append(.real($0, PreformattedReals()))
                        nest(rest, &views, body)
                    }
                case .timestamp(let values):
                    values.withUnsafeBufferPointer {
                        views.append(.timestamp($0))
                        nest(rest, &views, body)
                    }
                }
            }

            /// Formats ahead what the row loop will copy for the rows of `run`.
            func prepare(_ run: Range<Int>) {
                if case .real(let values, let reals) = self { reals.format(values, run) }
            }

            func release() {
                switch self {
                case .text(_, let memo):
                    memo.pointee.release()
                    memo.deallocate()
                case .real(_, let reals): reals.release()
                case .integer, .timestamp: break
                }
            }
        }

        /// The most bytes `rows` can take: each cell's longest form, text cells by their length.
        static func capacity(_ table: Table, rows: Range<Int>, format: TableFormat) -> Int {
            var perRow = 3
            var total = 0
            for column in table.columns {
                perRow += 1 + (format == .jsonLines ? 6 * column.name.utf8.count + 4 : 0)
                switch column.values {
                case .text(let values):
                    perRow += 3
                    let expansion = format == .jsonLines ? 6 : 2
                    for row in rows { total += expansion * values[row].utf8.count }
                case .integer: perRow += 20
                case .real: perRow += 48
                case .timestamp: perRow += 40
                }
            }
            // Room for whole-word stores past the last byte.
            return total + perRow * rows.count + 32
        }

        /// Writes the cell of `row`, in the run of rows that starts at `runStart`.
        static func cell(_ view: ColumnView, row: Int, runStart: Int, format: TableFormat, _ cursor: inout ByteCursor) {
            switch view {
            case .text(let values, let repeated):
                if repeated.pointee.active {
                    repeated.pointee.put(values, row: row, &cursor) { text(values[row], format: format, &$0) }
                } else {
                    text(values[row], format: format, &cursor)
                }
            case .integer(let values):
                if let value = values[row] { integer(value, &cursor) } else { missing(format, &cursor) }
            case .real(let values, let reals):
                if reals.put(row - runStart, &cursor) { return }
                if values[row].isFinite { real(values[row], &cursor) } else { missing(format, &cursor) }
            case .timestamp(let values):
                guard let value = values[row] else { return missing(format, &cursor) }
                if format == .jsonLines { cursor.put(UInt8(ascii: "\"")) }
                timestamp(value, &cursor)
                if format == .jsonLines { cursor.put(UInt8(ascii: "\"")) }
            }
        }

        static func text(_ value: String, format: TableFormat, _ cursor: inout ByteCursor) {
            func field(_ bytes: UnsafeBufferPointer<UInt8>) {
                switch format {
                case .csv(let protectFormulas): csvField(bytes, protectingFormulas: protectFormulas, &cursor)
                case .jsonLines: jsonString(bytes, &cursor)
                case .postgresCopy: if bytes.isEmpty { missing(format, &cursor) } else { copyText(bytes, &cursor) }
                }
            }
            // Borrowed in place; only a string without contiguous UTF-8 (bridged) is copied.
            if value.utf8.withContiguousStorageIfAvailable(field) == nil {
                var copy = value
                copy.withUTF8(field)
            }
        }

        static func missing(_ format: TableFormat, _ cursor: inout ByteCursor) {
            switch format {
            case .csv: break
            case .jsonLines: cursor.put(ascii: "null")
            case .postgresCopy: cursor.put(ascii: "\\N")
            }
        }
    }

    /// A real column's cells for a run of rows, formatted ahead by a vectorized kernel
    /// (`segflow_format_reals`, the same bytes as `real`), so that in the row loop each is one
    /// 16-byte copy. The kernel leaves rare values (NaN, infinities, magnitudes below 0.01 or
    /// from 10^12 up, a rounding that carries into a 13th digit) to `real`.
    struct PreformattedReals {
        /// Small enough that a run's cells, 17 bytes each, stay in cache until they are copied.
        static let rows = 1024
        private let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * rows)
        private let lengths = UnsafeMutablePointer<UInt8>.allocate(capacity: rows)

        func format(_ values: UnsafeBufferPointer<Double>, _ run: Range<Int>) {
            segflow_format_reals(values.baseAddress! + run.lowerBound, run.count, slots, lengths)
        }

        /// Writes cell `offset` of the run and returns true, or returns false for a cell left
        /// to `real`. Stores 16 bytes: the buffer needs them to spare.
        @inline(__always)
        func put(_ offset: Int, _ cursor: inout ByteCursor) -> Bool {
            let length = Int(lengths[offset])
            guard length <= 16 else { return false }
            let target = UnsafeMutableRawPointer(cursor.pointer)
            target.storeBytes(of: slots[2 * offset].littleEndian, as: UInt64.self)
            target.storeBytes(of: slots[2 * offset + 1].littleEndian, toByteOffset: 8, as: UInt64.self)
            cursor.pointer += length
            return true
        }

        func release() {
            slots.deallocate()
            lengths.deallocate()
        }
    }

    /// The formatted cells of a text column whose values repeat (segment names, tiers,
    /// statuses), so that each distinct value is escaped once per block and then copied.
    ///
    /// Values are matched by their `String` representation, two words, read without touching
    /// the string. Equal representations hold equal text: a small string carries its bytes,
    /// a large one points at storage that is shared and immutable while the table lives. Equal
    /// text stored apart only takes another entry. A column with more distinct values than
    /// `limit` in a block (customer ids) stops looking them up for the rest of the block.
    struct RepeatedText {
        static let slots = 128
        static let limit = 64
        /// Cells up to this many bytes are kept; longer ones are formatted every time.
        static let longestCell = 32

        struct Entry {
            var key: SIMD2<UInt64>
            var head: UInt128
            var tail: UInt128
            /// -1 for a free slot.
            var length: Int
        }

        private(set) var active: Bool
        private var entries: UnsafeMutablePointer<Entry>?
        private var distinct = 0

        init(active: Bool) {
            self.active = active && MemoryLayout<String>.size == MemoryLayout<SIMD2<UInt64>>.size
            guard self.active else { return }
            entries = .allocate(capacity: Self.slots)
            entries!.initialize(repeating: Entry(key: .zero, head: 0, tail: 0, length: -1), count: Self.slots)
        }

        func release() { entries?.deallocate() }

        /// Writes the cell of `row`: copied when seen before, else by `format`, then kept.
        /// Only while `active`. Stores whole words: the buffer needs 32 bytes to spare.
        @inline(__always)
        mutating func put(
            _ values: UnsafeBufferPointer<String>, row: Int, _ cursor: inout ByteCursor,
            format: (inout ByteCursor) -> Void
        ) {
            let key = UnsafeRawPointer(values.baseAddress! + row).loadUnaligned(as: SIMD2<UInt64>.self)
            let mixed = key[0] &* 0x9E37_79B9_7F4A_7C15 ^ key[1] &* 0xC2B2_AE3D_27D4_EB4F
            var slot = Int(truncatingIfNeeded: mixed >> 57)
            let entries = entries!
            while entries[slot].length >= 0 {
                let entry = entries[slot]
                if entry.key == key {
                    let target = UnsafeMutableRawPointer(cursor.pointer)
                    target.storeBytes(of: entry.head, as: UInt128.self)
                    target.storeBytes(of: entry.tail, toByteOffset: 16, as: UInt128.self)
                    cursor.pointer += entry.length
                    return
                }
                slot = (slot + 1) & (Self.slots - 1)
            }
            let start = cursor.pointer
            format(&cursor)
            let length = cursor.pointer - start
            guard length <= Self.longestCell else { return }
            let bytes = UnsafeRawPointer(start)
            entries[slot] = Entry(
                key: key, head: bytes.loadUnaligned(as: UInt128.self),
                tail: bytes.loadUnaligned(fromByteOffset: 16, as: UInt128.self), length: length)
            distinct += 1
            if distinct == Self.limit { active = false }
        }
    }

    /// Bytes written through a cursor into a new array; `capacity` is the most they can take.
    static func formatted(capacity: Int, _ write: (inout ByteCursor) -> Void) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.removeSubrange(format(into: &bytes, capacity: capacity, write)...)
        return bytes
    }

    /// Writes through a cursor into `storage`, grown first to `capacity` (the most the bytes
    /// can take) if it is smaller, and returns how many bytes were written. Growth leaves room
    /// for blocks a little larger, and new storage is not zeroed: on a 1M-row export, fresh
    /// pages and zeroing made up a tenth of the time.
    static func format(into storage: inout [UInt8], capacity: Int, _ write: (inout ByteCursor) -> Void) -> Int {
        if storage.count < capacity {
            storage = [UInt8](unsafeUninitializedCapacity: max(capacity + capacity / 4, 1)) { _, count in
                count = max(capacity + capacity / 4, 1)
            }
        }
        return storage.withUnsafeMutableBufferPointer { buffer in
            var cursor = ByteCursor(buffer.baseAddress!)
            write(&cursor)
            let count = cursor.offset(from: buffer.baseAddress!)
            precondition(count <= capacity, "formatted bytes overran their buffer")
            return count
        }
    }

    /// The first bytes that make a spreadsheet evaluate a cell: = + - @, tab, carriage return.
    static func startsLikeAFormula(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = field.first else { return false }
        return first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: "@")
            || first == 9 || first == 13
    }

    /// RFC 4180: quoted only when the field holds a comma, a quote or a line break (or, with
    /// formula protection, gets its leading `'`).
    static func csvField(_ field: UnsafeBufferPointer<UInt8>, protectingFormulas: Bool, _ cursor: inout ByteCursor) {
        let protect = protectingFormulas && startsLikeAFormula(field)
        let needsQuotes = containsQuotingByte(field)
        if needsQuotes { cursor.put(UInt8(ascii: "\"")) }
        if protect { cursor.put(UInt8(ascii: "'")) }
        if needsQuotes {
            for byte in field {
                if byte == UInt8(ascii: "\"") { cursor.put(byte) }
                cursor.put(byte)
            }
            cursor.put(UInt8(ascii: "\""))
        } else {
            cursor.put(field)
        }
    }

    /// Whether a field holds a comma, a quote, LF or CR; eight bytes at a time.
    @inline(__always)
    static func containsQuotingByte(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = field.baseAddress, field.count >= 8 else {
            for byte in field where byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 10 || byte == 13 { return true }
            return false
        }
        let raw = UnsafeRawPointer(base)
        func hasQuotingByte(_ word: UInt64) -> Bool {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            func zeroByte(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
            return zeroByte(word ^ (ones &* 0x2C)) | zeroByte(word ^ (ones &* 0x22)) | zeroByte(word ^ (ones &* 0x0A))
                | zeroByte(word ^ (ones &* 0x0D)) != 0
        }
        var offset = 0
        while offset + 8 < field.count {
            if hasQuotingByte(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) { return true }
            offset += 8
        }
        // The last eight bytes, overlapping the words already seen.
        return hasQuotingByte(raw.loadUnaligned(fromByteOffset: field.count - 8, as: UInt64.self))
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ text: UnsafeBufferPointer<UInt8>, _ cursor: inout ByteCursor) {
        cursor.put(UInt8(ascii: "\""))
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                cursor.put(UInt8(ascii: "\\"))
                cursor.put(byte)
            case 10: cursor.put(ascii: "\\n")
            case 13: cursor.put(ascii: "\\r")
            case 9: cursor.put(ascii: "\\t")
            case 0..<32:
                cursor.put(ascii: "\\u00")
                cursor.put(hexDigits[Int(byte >> 4)])
                cursor.put(hexDigits[Int(byte & 15)])
            default: cursor.put(byte)
            }
        }
        cursor.put(UInt8(ascii: "\""))
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// A text field of COPY's text format: backslash, tab and line breaks escaped.
    static func copyText(_ text: UnsafeBufferPointer<UInt8>, _ cursor: inout ByteCursor) {
        for byte in text {
            switch byte {
            case UInt8(ascii: "\\"): cursor.put(ascii: "\\\\")
            case 10: cursor.put(ascii: "\\n")
            case 13: cursor.put(ascii: "\\r")
            case 9: cursor.put(ascii: "\\t")
            default: cursor.put(byte)
            }
        }
    }

    /// "00", "01", … "99" back to back: two digits per division, loaded as one 16-bit word.
    /// A literal rather than a computed table, so that reading it needs no lazy-global check.
    static var digitPairs: StaticString {
        """
        0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
        5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899
        """
    }

    /// The two digits of `value` (below 100), the first in the low byte.
    @inline(__always)
    static func digitPair(_ value: UInt64) -> UInt16 {
        UInt16(littleEndian: UnsafeRawPointer(digitPairs.utf8Start).loadUnaligned(fromByteOffset: 2 * Int(value), as: UInt16.self))
    }

    /// Decimal text of an integer. Below 10,000 (counts, days, scores: the usual integers)
    /// from two digit pairs; above, groups of eight digits made at once (`eightDigits`). The
    /// leading group goes without its zeros.
    static func integer(_ value: Int64, _ cursor: inout ByteCursor) {
        if value < 0 { cursor.put(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10_000 {
            let digits = UInt64(digitPair(magnitude / 100)) | UInt64(digitPair(magnitude % 100)) << 16
            return putWithoutLeadingZeros(digits, width: 4, &cursor)
        }
        guard magnitude >= 100_000_000 else { return putWithoutLeadingZeros(eightDigits(magnitude), width: 8, &cursor) }
        var high = magnitude / 100_000_000
        magnitude %= 100_000_000
        if high >= 100_000_000 {
            putWithoutLeadingZeros(eightDigits(high / 100_000_000), width: 8, &cursor)
            high %= 100_000_000
            cursor.put(eightDigits(high))
        } else {
            putWithoutLeadingZeros(eightDigits(high), width: 8, &cursor)
        }
        cursor.put(eightDigits(magnitude))
    }

    /// `width` ASCII digits (the first in the lowest byte, at most 8) without leading zeros:
    /// shifted past the low bytes equal to "0", all but the last for 0 itself.
    @inline(__always)
    static func putWithoutLeadingZeros(_ digits: UInt64, width: Int, _ cursor: inout ByteCursor) {
        let leadingZeros = min((digits ^ 0x3030_3030_3030_3030).trailingZeroBitCount >> 3, width - 1)
        cursor.put(digits >> (8 * leadingZeros), count: width - leadingZeros)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the same text as `CivilTime.timestampString`, built in
    /// registers from two-digit pairs and stored as three words.
    static func timestamp(_ seconds: Int64, _ cursor: inout ByteCursor) {
        let days = CivilTime.day(ofSeconds: seconds)
        let (year, month, day) = CivilTime.civilFromDays(days)
        guard (0...9999).contains(year) else { return cursor.put(ascii: CivilTime.timestampString(seconds: seconds)) }
        let secondOfDay = UInt64(seconds - days * CivilTime.secondsPerDay)
        let (hour, minute, second) = (secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
        func pair(_ value: some BinaryInteger) -> UInt64 { UInt64(digitPair(UInt64(value))) }
        let (dash, colon) = (UInt64(UInt8(ascii: "-")), UInt64(UInt8(ascii: ":")))
        let date = pair(year / 100) | pair(year % 100) << 16 | dash << 32 | pair(month) << 40 | dash << 56
        let time = pair(day) | UInt64(UInt8(ascii: "T")) << 16 | pair(hour) << 24 | colon << 40 | pair(minute) << 48
        let end = UInt32(colon) | UInt32(pair(second)) << 8 | UInt32(UInt8(ascii: "Z")) << 24
        let target = UnsafeMutableRawPointer(cursor.pointer)
        target.storeBytes(of: date.littleEndian, as: UInt64.self)
        target.storeBytes(of: time.littleEndian, toByteOffset: 8, as: UInt64.self)
        target.storeBytes(of: end.littleEndian, toByteOffset: 16, as: UInt32.self)
        cursor.pointer += 20
    }

    /// 10^-22 … 10^22, at index 22 + power: those from 10^0 up are exact in a Double, the
    /// others the nearest Double. A literal, for the same reason as `digitPairs`.
    static let powersOfTen: [Double] = [
        1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6,
        1e-5, 1e-4, 1e-3, 1e-2, 1e-1,
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ]

    /// Reals are written with at most 12 significant digits, in plain decimal notation where it
    /// reaches (|x| from about 1e-11 to below 1e22; beyond, with an exponent):
    /// sums of money carry binary noise in their last digits (9218.279999999999), which
    /// nobody downstream wants, and 12 digits keep every cent of sums up to a billion.
    /// Trailing zeros and a bare decimal point are dropped, so whole numbers look like integers.
    static func real(_ value: Double, _ cursor: inout ByteCursor) {
        guard value != 0 else { return cursor.put(UInt8(ascii: "0")) }
        let magnitude = abs(value)
        // floor(log10(2) * binary exponent), in integers, is at most one too small; comparing
        // with the next power of ten fixes that without a branch the data would decide. The
        // loop mends the rare case left: rounding up to the next power.
        var exponent = ((Int(magnitude.exponentBitPattern) - 1023) * 78_913) >> 18
        if (-23...21).contains(exponent), magnitude >= powersOfTen[23 + exponent] { exponent += 1 }
        var significand: UInt64 = 0
        for _ in 0..<3 {
            let shift = 11 - exponent
            // One step past the table only to correct the estimate; such a shift is never kept.
            guard (-23...23).contains(shift) else { break }
            var scaled = shift >= 0 ? magnitude * powersOfTen[22 + min(shift, 22)] : magnitude / powersOfTen[22 + min(-shift, 22)]
            if abs(shift) == 23 { scaled = shift > 0 ? scaled * 10 : scaled / 10 }
            // Half away from zero, exactly: below 2^44 adding 0.5 rounds nothing.
            let rounded = UInt64(scaled + 0.5)
            if rounded >= 1_000_000_000_000 {
                exponent += 1
                continue
            }
            if rounded < 100_000_000_000 {
                exponent -= 1
                continue
            }
            significand = rounded
            break
        }
        // Past plain notation's range (below about 1e-11, from 1e22 up): the same 12 significant
        // digits, with an exponent.
        guard significand > 0, (-22...22).contains(11 - exponent) else { return cursor.put(ascii: String(format: "%.12g", value)) }
        if value < 0 { cursor.put(UInt8(ascii: "-")) }
        let digits = twelveDigits(significand)
        // Trailing "0" digits are the high zero bytes once "0" is taken from each digit;
        // counted without a branch on the data, which would mispredict column after column.
        let zeroed = digits ^ 0x3030_3030_3030_3030_3030_3030
        let zerosInLastEight = UInt64(truncatingIfNeeded: zeroed >> 32).leadingZeroBitCount >> 3
        let zerosInFirstFour = (UInt32(truncatingIfNeeded: zeroed).leadingZeroBitCount >> 3) & (0 &- zerosInLastEight >> 3)
        let trailingZeros = zerosInLastEight + zerosInFirstFour
        let integerDigits = exponent + 1
        if integerDigits <= 0 {
            cursor.put(ascii: "0.")
            for _ in 0..<(-integerDigits) { cursor.put(UInt8(ascii: "0")) }
            cursor.put(digits, count: 12 - trailingZeros)
        } else if integerDigits >= 12 {
            cursor.put(digits, count: 12)
            for _ in 0..<(integerDigits - 12) { cursor.put(UInt8(ascii: "0")) }
        } else {
            let split = UInt128(8 * integerDigits)
            let integerPart = digits & ((1 &<< split) &- 1)
            let withPoint = integerPart | UInt128(UInt8(ascii: ".")) &<< split | (digits &>> split) &<< (split &+ 8)
            let fractionDigits = 12 - integerDigits - trailingZeros
            cursor.put(withPoint, count: fractionDigits > 0 ? integerDigits + 1 + fractionDigits : integerDigits)
        }
    }

    /// The 12 decimal digits of `value` (below 10^12) as ASCII, zero-padded, first digit in
    /// the lowest byte.
    @inline(__always)
    static func twelveDigits(_ value: UInt64) -> UInt128 {
        UInt128(eightDigits(value / 100_000_000) >> 32) | UInt128(eightDigits(value % 100_000_000)) << 32
    }

    /// The 8 decimal digits of `value` (below 10^8) as ASCII, zero-padded, first digit in the
    /// lowest byte. All digits at once, SWAR: the value is split into two 4-digit lanes, each
    /// lane into two 2-digit lanes, each of those into two digits, by multiplying with
    /// reciprocals exact for the lane's range (10486 / 2^20 for x / 100 below 10^4, 103 / 2^10
    /// for x / 10 below 100).
    @inline(__always)
    static func eightDigits(_ value: UInt64) -> UInt64 {
        let fours = value / 10_000 | (value % 10_000) << 32
        let hundreds = ((fours &* 10_486) >> 20) & 0x0000_007F_0000_007F
        let twos = hundreds | (fours &- 100 &* hundreds) << 16
        let tens = ((twos &* 103) >> 10) & 0x000F_000F_000F_000F
        return (tens | (twos &- 10 &* tens) << 8) | 0x3030_3030_3030_3030
    }
}

/// A write position in a buffer the caller has sized: no bounds or capacity checks.
struct ByteCursor {
    var pointer: UnsafeMutablePointer<UInt8>

    init(_ pointer: UnsafeMutablePointer<UInt8>) { self.pointer = pointer }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        pointer.pointee = byte
        pointer += 1
    }

    @inline(__always)
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        // Short fields, the usual case, by two overlapping words instead of a call to memmove.
        if count >= 8 && count <= 16 {
            let source = UnsafeRawPointer(base), target = UnsafeMutableRawPointer(pointer)
            let first = source.loadUnaligned(as: UInt64.self), last = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            target.storeBytes(of: first, as: UInt64.self)
            target.storeBytes(of: last, toByteOffset: count - 8, as: UInt64.self)
        } else {
            pointer.update(from: base, count: count)
        }
        pointer += count
    }

    /// The eight bytes of `word`, lowest first.
    @inline(__always)
    mutating func put(_ word: UInt64) { put(word, count: 8) }

    /// The `count` lowest bytes of `word`; all 8 are stored, so the buffer needs room for them.
    @inline(__always)
    mutating func put(_ word: UInt64, count: Int) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: word.littleEndian, as: UInt64.self)
        pointer += count
    }

    /// The `count` lowest bytes of `bytes`; all 16 are stored, so the buffer needs room for them.
    @inline(__always)
    mutating func put(_ bytes: UInt128, count: Int) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: bytes.littleEndian, as: UInt128.self)
        pointer += count
    }

    mutating func put(ascii text: StaticString) {
        put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func put(ascii text: String) {
        var text = text
        text.withUTF8 { put($0) }
    }

    func offset(from start: UnsafeMutablePointer<UInt8>) -> Int { pointer - start }
}

extension TableFormat {
    /// Between two fields of a row.
    var fieldSeparator: UInt8 { self == .postgresCopy ? 9 : UInt8(ascii: ",") }
}
