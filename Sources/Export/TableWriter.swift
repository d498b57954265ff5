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
    static let rowsPerBlock = 16_384

    public static func write(_ table: Table, as format: TableFormat = .csv(protectFormulas: true), to writer: BufferedFileWriter,
                             workers: Int = Parallel.workerCount) throws {
        var chunks = Chunks(table, as: format, workers: workers)
        while let chunk = chunks.next() { try writer.write(bytes: chunk) }
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
            blocks = [BlockFormatter](repeating: BlockFormatter(format: format, columnNames: table.columnNames), count: workers)
            nextBlock = workers
            if case .csv = format {
                var header: [UInt8] = []
                for (index, name) in table.columnNames.enumerated() {
                    if index > 0 { header.append(UInt8(ascii: ",")) }
                    appendField(name, to: &header)
                }
                header.append(UInt8(ascii: "\n"))
                self.header = header
            }
        }

        public mutating func next() -> [UInt8]? {
            if let header {
                self.header = nil
                return header
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

    /// Formats a block of rows column by column (one type dispatch per column, not per
    /// cell), then stitches the cells into rows. Buffers are reused across blocks.
    struct BlockFormatter {
        let format: TableFormat
        /// What goes before each column's cell in a row (`,` or `,"name":`), and after the last.
        let separators: [[UInt8]]
        let rowEnd: [UInt8]
        /// Every cell of the block, column after column.
        var cells: [UInt8] = []
        /// End offset in `cells` of each cell, column-major.
        var cellEnds: [Int] = []
        var output: [UInt8] = []

        init(format: TableFormat, columnNames: [String]) {
            self.format = format
            switch format {
            case .csv:
                separators = columnNames.indices.map { $0 == 0 ? [] : [UInt8(ascii: ",")] }
                rowEnd = [UInt8(ascii: "\n")]
            case .postgresCopy:
                separators = columnNames.indices.map { $0 == 0 ? [] : [9] }
                rowEnd = [UInt8(ascii: "\n")]
            case .jsonLines:
                separators = columnNames.enumerated().map { index, name in
                    var bytes: [UInt8] = [UInt8(ascii: index == 0 ? "{" : ",")]
                    appendJSONString(name, to: &bytes)
                    bytes.append(UInt8(ascii: ":"))
                    return bytes
                }
                rowEnd = Array("}\n".utf8)
            }
        }

        mutating func format(_ table: Table, rows: Range<Int>) {
            output.removeAll(keepingCapacity: true)
            cells.removeAll(keepingCapacity: true)
            cellEnds.removeAll(keepingCapacity: true)
            guard !rows.isEmpty else { return }
            let missing: [UInt8] = switch format {
            case .csv: []
            case .jsonLines: Array("null".utf8)
            case .postgresCopy: Array("\\N".utf8)
            }
            let quote: [UInt8] = format == .jsonLines ? [UInt8(ascii: "\"")] : []
            for column in table.columns {
                switch column.values {
                case .text(let values):
                    for row in rows {
                        switch format {
                        case .csv(let protectFormulas): appendField(values[row], protectingFormulas: protectFormulas, to: &cells)
                        case .jsonLines: appendJSONString(values[row], to: &cells)
                        case .postgresCopy: if values[row].isEmpty { cells += missing } else { appendCopyText(values[row], to: &cells) }
                        }
                        cellEnds.append(cells.count)
                    }
                case .integer(let values):
                    for row in rows {
                        if let value = values[row] { appendInteger(value, to: &cells) } else { cells += missing }
                        cellEnds.append(cells.count)
                    }
                case .real(let values):
                    for row in rows {
                        if values[row].isFinite { appendReal(values[row], to: &cells) } else { cells += missing }
                        cellEnds.append(cells.count)
                    }
                case .timestamp(let values):
                    for row in rows {
                        if let value = values[row] {
                            cells += quote
                            appendTimestamp(value, to: &cells)
                            cells += quote
                        } else {
                            cells += missing
                        }
                        cellEnds.append(cells.count)
                    }
                }
            }
            // Stitch rows into a buffer sized up front, copying bytes through pointers: this
            // loop touches every output byte, so it avoids per-cell array bookkeeping.
            let rowCount = rows.count, columnCount = table.columns.count
            let joinedSeparators = separators.flatMap { $0 } + rowEnd
            output.append(contentsOf: repeatElement(0, count: cells.count + rowCount * joinedSeparators.count))
            var separatorOffsets = [0]
            for separator in separators { separatorOffsets.append(separatorOffsets.last! + separator.count) }
            output.withUnsafeMutableBufferPointer { output in
                cells.withUnsafeBufferPointer { cells in
                    cellEnds.withUnsafeBufferPointer { ends in
                        joinedSeparators.withUnsafeBufferPointer { separatorBytes in
                            var position = 0
                            func copy(_ source: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
                                guard !range.isEmpty else { return }
                                (output.baseAddress! + position).update(from: source.baseAddress! + range.lowerBound, count: range.count)
                                position += range.count
                            }
                            for offset in 0..<rowCount {
                                for column in 0..<columnCount {
                                    copy(separatorBytes, separatorOffsets[column]..<separatorOffsets[column + 1])
                                    let cell = column * rowCount + offset
                                    copy(cells, (cell == 0 ? 0 : ends[cell - 1])..<ends[cell])
                                }
                                copy(separatorBytes, separatorOffsets[columnCount]..<separatorBytes.count)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The first bytes that make a spreadsheet evaluate a cell: = + - @, tab, carriage return.
    static func startsLikeAFormula(_ field: String) -> Bool {
        guard let first = field.utf8.first else { return false }
        return first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: "@")
            || first == 9 || first == 13
    }

    static func appendField(_ field: String, protectingFormulas: Bool, to bytes: inout [UInt8]) {
        guard protectingFormulas, startsLikeAFormula(field) else { return appendField(field, to: &bytes) }
        appendField("'" + field, to: &bytes)
    }

    /// A text field of COPY's text format: backslash, tab and line breaks escaped.
    static func appendCopyText(_ text: String, to bytes: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 10: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 13: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 9: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            default: bytes.append(byte)
            }
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func appendJSONString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 10: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 13: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 9: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    static func appendField(_ field: String, to bytes: inout [UInt8]) {
        var field = field
        field.withUTF8 { utf8 in
            var needsQuotes = false
            for byte in utf8 where byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 10 || byte == 13 {
                needsQuotes = true
                break
            }
            guard needsQuotes else { return bytes.append(contentsOf: utf8) }
            bytes.append(UInt8(ascii: "\""))
            for byte in utf8 {
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { digits in
            repeat {
                digits[count] = UInt8(magnitude % 10) + 48
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[index]) }
        }
    }

    @inline(__always)
    static func appendTwoDigits(_ value: Int, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value / 10) + 48)
        bytes.append(UInt8(truncatingIfNeeded: value % 10) + 48)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the same text as `CivilTime.timestampString`.
    static func appendTimestamp(_ seconds: Int64, to bytes: inout [UInt8]) {
        let days = CivilTime.day(ofSeconds: seconds)
        let (year, month, day) = CivilTime.civilFromDays(days)
        let secondOfDay = Int(seconds - days * CivilTime.secondsPerDay)
        guard (0...9999).contains(year) else { return bytes.append(contentsOf: CivilTime.timestampString(seconds: seconds).utf8) }
        appendTwoDigits(year / 100, to: &bytes)
        appendTwoDigits(year % 100, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendTwoDigits(month, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendTwoDigits(day, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendTwoDigits(secondOfDay / 3600, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendTwoDigits(secondOfDay / 60 % 60, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendTwoDigits(secondOfDay % 60, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    static let powersOfTen: [Double] = (0...22).map { pow(10.0, Double($0)) }

    /// Reals are written with at most 12 significant digits, in plain decimal notation:
    /// sums of money carry binary noise in their last digits (9218.279999999999), which
    /// nobody downstream wants, and 12 digits keep every cent of sums up to a billion.
    /// Trailing zeros and a bare decimal point are dropped, so whole numbers look like integers.
    static func appendReal(_ value: Double, to bytes: inout [UInt8]) {
        guard value != 0 else { return bytes.append(UInt8(ascii: "0")) }
        let magnitude = abs(value)
        var exponent = Int(log10(magnitude).rounded(.down))
        var digits: UInt64 = 0
        for _ in 0..<2 {  // log10 can be off by one next to powers of ten
            let shift = 11 - exponent
            guard (-22...22).contains(shift) else { return bytes.append(contentsOf: value.description.utf8) }
            let scaled = shift >= 0 ? magnitude * powersOfTen[shift] : magnitude / powersOfTen[-shift]
            let rounded = scaled.rounded()
            if rounded >= 1e12 { exponent += 1; continue }
            if rounded < 1e11 { exponent -= 1; continue }
            digits = UInt64(rounded)
            break
        }
        guard digits > 0 else { return bytes.append(contentsOf: value.description.utf8) }
        var text: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &text) { text in
            for index in stride(from: 11, through: 0, by: -1) {
                text[index] = UInt8(digits % 10) + 48
                digits /= 10
            }
            var significant = 12
            while significant > 1, text[significant - 1] == UInt8(ascii: "0") { significant -= 1 }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            let integerDigits = exponent + 1
            if integerDigits <= 0 {
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "."))
                for _ in 0..<(-integerDigits) { bytes.append(UInt8(ascii: "0")) }
                for index in 0..<significant { bytes.append(text[index]) }
            } else if integerDigits >= significant {
                for index in 0..<min(integerDigits, 12) { bytes.append(text[index]) }
                for _ in 0..<max(0, integerDigits - 12) { bytes.append(UInt8(ascii: "0")) }
            } else {
                for index in 0..<integerDigits { bytes.append(text[index]) }
                bytes.append(UInt8(ascii: "."))
                for index in integerDigits..<significant { bytes.append(text[index]) }
            }
        }
    }
}
