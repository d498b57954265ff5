import SegflowCore

/// A side input's mapped columns as text, row by row, for its own stage to check: the
/// customers and surveys files. Side inputs are far smaller than the transaction log, so
/// they are kept whole.
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
    /// Bytes per chunk; chunks are parsed on all cores.
    public var chunkBytes: Int

    public init(file: DelimitedFile, columns: [String], chunkBytes: Int = 1 << 20) {
        self.file = file
        self.columns = columns
        self.chunkBytes = max(chunkBytes, 64)
    }

    public func read(workers: Int = Parallel.workerCount) throws -> FieldTable {
        var splitter = try RecordSplitter(file: file, chunkBytes: chunkBytes)
        let header = try splitter.readHeader()
        let positions = try HeaderMapping.positions(of: columns, in: header.names, file: file)
        var table = FieldTable(rows: [], lines: [], rejected: [], recordCount: 0, fileBytes: 0, fingerprint: "")
        var line = 1 + header.lineCount
        let batch = max(workers, 1) * 2
        let buffers = (0..<batch).map { _ in ChunkBuffer() }
        while true {
            var filled = 0
            while filled < batch, try splitter.nextChunk(into: buffers[filled]) { filled += 1 }
            if filled == 0 { break }
            var parts = [Part](repeating: Part(), count: filled)
            let fieldCount = header.names.count, separator = file.separator
            parts.withUnsafeMutableBufferPointer { parts in
                Parallel.forEach(parts: filled) { index in
                    parts[index] = Self.parse(buffers[index].bytes, positions: positions, fieldCount: fieldCount, separator: separator)
                }
            }
            // Chunks are parsed apart and joined in file order; their lines count from each chunk's start.
            for part in parts {
                table.rows += part.rows
                table.lines += part.lines.map { $0 + line }
                table.rejected += part.rejected.map { RejectedRow(line: $0.line + line, reason: $0.reason, record: $0.record) }
                table.recordCount += part.recordCount
                line += part.lineCount
            }
        }
        table.fileBytes = splitter.fileBytesRead
        table.fingerprint = splitter.fingerprint.hexDigest()
        return table
    }

    /// One chunk's rows, with lines counted from 0 at the chunk's first line.
    struct Part {
        var rows: [[String]] = []
        var lines: [Int] = []
        var rejected: [RejectedRow] = []
        var recordCount = 0
        var lineCount = 0
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, positions: [Int], fieldCount: Int, separator: FieldSeparator) -> Part {
        var part = Part()
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            guard let (fields, next, failure) = ChunkParser.firstRecord(rest, separator: separator) else { break }
            let record = UnsafeRawBufferPointer(rebasing: rest[0..<max(next, 1)])
            defer {
                part.lineCount += record.reduce(0) { $0 + ($1 == newline ? 1 : 0) }
                offset += max(next, 1)
            }
            if fields.count == 1, fields[0].isEmpty { continue }  // a blank line is not a record
            part.recordCount += 1
            if let failure = failure ?? (fields.count == fieldCount ? nil : "expected \(fieldCount) fields, found \(fields.count)") {
                var text = String(decoding: record.prefix(1000), as: UTF8.self)
                while text.last == "\n" || text.last == "\r" { text.removeLast() }
                part.rejected.append(RejectedRow(line: part.lineCount, reason: failure, record: text))
                continue
            }
            part.rows.append(positions.map { fields[$0] })
            part.lines.append(part.lineCount)
        }
        return part
    }
}
