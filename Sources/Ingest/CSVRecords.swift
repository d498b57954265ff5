import Foundation
import SegflowCore

/// Reads a whole small CSV file that segflow wrote itself (RFC 4180, header first), such as
/// a previous run's assignments: the header and every record's fields.
public enum CSVRecords {
    public static func read(path: String) throws -> (header: [String], records: [[String]]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SegflowError(
                .io, at: SourceLocation(file: path), "cannot read file",
                hint: "check that it exists and is readable")
        }
        return try data.withUnsafeBytes { bytes in
            var records: [[String]] = []
            var offset = 0
            while offset < bytes.count {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                guard let (fields, next, failure) = ChunkParser.firstRecord(rest, separator: .byte(UInt8(ascii: ","))) else { break }
                if let failure {
                    throw SegflowError(.data, at: SourceLocation(file: path, line: records.count + 1), "malformed CSV: \(failure)")
                }
                records.append(fields)
                offset += max(next, 1)
            }
            guard let header = records.first else { return ([], []) }
            return (header, Array(records.dropFirst()))
        }
    }
}
