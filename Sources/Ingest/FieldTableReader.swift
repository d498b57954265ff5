import SegflowCore

/// A side input's mapped columns as text, row by row, for its own stage to check: the
/// surveys (and, in time, the customers and referrals) files. Side inputs are far smaller
/// than the transaction log, so they are parsed on one thread and kept whole.
public struct FieldTable: Sendable, Equatable {
    /// For each row, the cells of the mapped columns, in the order they were asked for.
    public var rows: [[String]]
    /// The physical line where each row's record starts (the header is line 1).
    public var lines: [Int]
    /// Records with the wrong number of fields or broken quoting.
    public var rejected: [RejectedRow]
    /// Data records read, rejected ones included.
    public var recordCount: Int
    public var fileBytes: Int
    /// XXH64 of the file as stored, 16 hex digits.
    public var fingerprint: String
}

public struct FieldTableReader {
    public let file: DelimitedFile
    /// The header names of the columns to read.
    public let columns: [String]

    public init(file: DelimitedFile, columns: [String]) {
        self.file = file
        self.columns = columns
    }

    public func read() throws -> FieldTable {
        var splitter = try RecordSplitter(file: file, chunkBytes: 1 << 20)
        let header = try splitter.readHeader()
        let positions = try HeaderMapping.positions(of: columns, in: header.names, file: file)
        var table = FieldTable(rows: [], lines: [], rejected: [], recordCount: 0, fileBytes: 0, fingerprint: "")
        var line = 1 + header.lineCount
        let buffer = ChunkBuffer()
        while try splitter.nextChunk(into: buffer) {
            let bytes = buffer.bytes
            var offset = 0
            while offset < bytes.count {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                guard let (fields, next, failure) = ChunkParser.firstRecord(rest, separator: file.separator) else { break }
                let record = UnsafeRawBufferPointer(rebasing: rest[0..<max(next, 1)])
                defer {
                    line += record.reduce(0) { $0 + ($1 == newline ? 1 : 0) }
                    offset += max(next, 1)
                }
                if fields.count == 1, fields[0].isEmpty { continue }  // a blank line is not a record
                table.recordCount += 1
                if let failure = failure
                    ?? (fields.count == header.names.count ? nil : "expected \(header.names.count) fields, found \(fields.count)")
                {
                    var text = String(decoding: record.prefix(1000), as: UTF8.self)
                    while text.last == "\n" || text.last == "\r" { text.removeLast() }
                    table.rejected.append(RejectedRow(line: line, reason: failure, record: text))
                    continue
                }
                table.rows.append(positions.map { fields[$0] })
                table.lines.append(line)
            }
        }
        table.fileBytes = splitter.fileBytesRead
        table.fingerprint = splitter.fingerprint.hexDigest()
        return table
    }
}
