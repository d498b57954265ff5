import Foundation
import SegflowCore

/// Reads a whole small CSV file that segflow wrote itself (RFC 4180, header first), such as
/// a previous run's assignments: the header and every record's fields.
public enum CSVRecords {
    public static func read(path: String) throws -> (header: [String], records: [[String]]) {
        var records: [[String]] = []
        let header = try forEachRecord(path: path) { _, fields in records.append(fields) }
        return (header, records)
    }

    /// Calls `body` with the header and each record after it, in file order, so that a caller
    /// keeping columns never holds the file as records too; returns the header (empty for an
    /// empty file).
    @discardableResult
    public static func forEachRecord(path: String, _ body: (_ header: [String], _ fields: [String]) throws -> Void) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SegflowError(
                .io, at: SourceLocation(file: path), "cannot read file",
                hint: "check that it exists and is readable")
        }
        return try data.withUnsafeBytes { bytes in
            var header: [String]?
            var line = 0
            var offset = 0
            while offset < bytes.count {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                guard let (fields, next, failure) = ChunkParser.firstRecord(rest, separator: .byte(UInt8(ascii: ","))) else { break }
                line += 1
                if let failure {
                    throw SegflowError(.data, at: SourceLocation(file: path, line: line), "malformed CSV: \(failure)")
                }
                if let header { try body(header, fields) } else { header = fields }
                offset += max(next, 1)
            }
            return header ?? []
        }
    }
}
