import Foundation
import SegflowCore

/// Writes a `Table` as RFC 4180 CSV: a header row, `\n` line ends, fields quoted only when
/// they hold a comma, a quote or a line break. Reals use the shortest text that reads back
/// to the same Double; missing values are empty cells; timestamps are ISO 8601 UTC.
public enum CSVTableWriter {
    public static func write(_ table: Table, to writer: BufferedFileWriter) throws {
        try writeRow(table.columnNames, to: writer)
        for row in 0..<table.rowCount {
            for (index, column) in table.columns.enumerated() {
                if index > 0 { try writer.write(byte: UInt8(ascii: ",")) }
                switch column.values {
                case .text(let values): try writeField(values[row], to: writer)
                case .integer(let values): if let value = values[row] { try writer.write(String(value)) }
                case .real(let values): if values[row].isFinite { try writer.write(formatReal(values[row])) }
                case .timestamp(let values):
                    if let value = values[row] { try writer.write(CivilTime.timestampString(seconds: value)) }
                }
            }
            try writer.write(byte: UInt8(ascii: "\n"))
        }
    }

    public static func writeRow(_ fields: [String], to writer: BufferedFileWriter) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { try writer.write(byte: UInt8(ascii: ",")) }
            try writeField(field, to: writer)
        }
        try writer.write(byte: UInt8(ascii: "\n"))
    }

    static func writeField(_ field: String, to writer: BufferedFileWriter) throws {
        let needsQuotes = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else { return try writer.write(field) }
        try writer.write(byte: UInt8(ascii: "\""))
        for byte in field.utf8 {
            if byte == UInt8(ascii: "\"") { try writer.write(byte: byte) }
            try writer.write(byte: byte)
        }
        try writer.write(byte: UInt8(ascii: "\""))
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
