import Foundation
import SegflowCore

/// Writes a `Table` as RFC 4180 CSV: a header row, `\n` line ends, fields quoted only when
/// they hold a comma, a quote or a line break. Missing values are empty cells; timestamps
/// are ISO 8601 UTC. Rows are formatted on all cores in blocks, then written in order, so
/// memory stays bounded and the bytes do not depend on the worker count.
public enum CSVTableWriter {
    static let rowsPerBlock = 16_384

    public static func write(_ table: Table, to writer: BufferedFileWriter, workers: Int = Parallel.workerCount) throws {
        var header: [UInt8] = []
        for (index, name) in table.columnNames.enumerated() {
            if index > 0 { header.append(UInt8(ascii: ",")) }
            appendField(name, to: &header)
        }
        header.append(UInt8(ascii: "\n"))
        try writer.write(bytes: header)

        var blocks = [[UInt8]](repeating: [], count: workers)
        var start = 0
        while start < table.rowCount {
            let end = min(table.rowCount, start + rowsPerBlock * workers)
            blocks.withUnsafeMutableBufferPointer { blocks in
                Parallel.forEach(parts: workers) { part in
                    var bytes = blocks[part]
                    blocks[part] = []
                    bytes.removeAll(keepingCapacity: true)
                    let rows = Parallel.slice(part, of: workers, count: end - start)
                    for row in (start + rows.lowerBound)..<(start + rows.upperBound) { appendRow(row, of: table, to: &bytes) }
                    blocks[part] = bytes
                }
            }
            for block in blocks { try writer.write(bytes: block) }
            start = end
        }
    }

    static func appendRow(_ row: Int, of table: Table, to bytes: inout [UInt8]) {
        for (index, column) in table.columns.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            switch column.values {
            case .text(let values): appendField(values[row], to: &bytes)
            case .integer(let values): if let value = values[row] { appendInteger(value, to: &bytes) }
            case .real(let values): if values[row].isFinite { bytes.append(contentsOf: formatReal(values[row]).utf8) }
            case .timestamp(let values): if let value = values[row] { appendTimestamp(value, to: &bytes) }
            }
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    static func appendField(_ field: String, to bytes: inout [UInt8]) {
        let utf8 = field.utf8
        let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else { return bytes.append(contentsOf: utf8) }
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
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

    static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(value / divisor % 10) + 48)
            divisor /= 10
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the same text as `CivilTime.timestampString`.
    static func appendTimestamp(_ seconds: Int64, to bytes: inout [UInt8]) {
        let days = CivilTime.day(ofSeconds: seconds)
        let (year, month, day) = CivilTime.civilFromDays(days)
        let secondOfDay = Int(seconds - days * CivilTime.secondsPerDay)
        guard (0...9999).contains(year) else { return bytes.append(contentsOf: CivilTime.timestampString(seconds: seconds).utf8) }
        appendDigits(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Reals are written with at most 12 significant digits: sums of money carry binary
    /// noise in the last digits (9218.279999999999), which nobody downstream wants; 12
    /// digits keep every cent of sums up to a billion. Whole numbers lose the `.0`.
    static func formatReal(_ value: Double) -> String {
        guard value != 0 else { return "0" }
        let exponent = (log10(abs(value))).rounded(.down)
        let scale = pow(10, 11 - exponent)
        let rounded = scale.isFinite && scale > 0 ? (value * scale).rounded() / scale : value
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return rounded.description
    }
}
