import SegflowCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A reusable, growable byte buffer holding one chunk of whole records.
///
/// Unchecked: the reader fills its chunks on its own thread, then worker threads only read
/// them, and it fills them again only after `Parallel.forEach` has returned, so a chunk is
/// never written while another thread reads it.
final class ChunkBuffer: @unchecked Sendable {
    private(set) var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var count = 0

    deinit { storage.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<count]) }

    func reserve(_ capacity: Int) {
        guard capacity > storage.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        if count > 0 { grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[0..<count])) }
        storage.deallocate()
        storage = grown
    }
}

/// Cuts the byte stream of an input into chunks that end on a record boundary: the last
/// newline that is not inside a quoted field. Bytes after it are carried to the next chunk.
struct RecordSplitter {
    private var source: any ByteSource
    private let path: String
    private let separator: FieldSeparator
    private let hasHeader: Bool
    private let chunkBytes: Int
    private let maxRecordBytes: Int
    private var carry: [UInt8] = []
    private var atEnd = false
    private var isFirstRead = true

    private let key: String

    init(file: DelimitedFile, chunkBytes: Int) throws {
        source = file.isGzip ? try GzipByteSource(path: file.path) : try FileByteSource(path: file.path)
        path = file.path
        separator = file.separator
        hasHeader = file.hasHeader
        self.chunkBytes = chunkBytes
        maxRecordBytes = file.maxRecordBytes
        key = file.key
    }

    var fileBytesRead: Int { source.fileBytesRead }
    var fingerprint: XXH64 { source.fingerprint }

    /// Reads the header record; the data chunks start after it. Without a header, the
    /// names are the 1-based positions of the first record's fields, and nothing is consumed.
    mutating func readHeader() throws -> (names: [String], lineCount: Int) {
        let buffer = ChunkBuffer()
        guard try nextChunk(into: buffer) else {
            throw SegflowError(
                .data, at: SourceLocation(file: path, line: 1), "the file is empty: no header row",
                hint: "check that the export that produces this file ran")
        }
        guard let header = ChunkParser.firstRecord(buffer.bytes, separator: separator), header.failure == nil else {
            throw SegflowError(
                .data, at: SourceLocation(file: path, line: 1), "the header row is not valid CSV",
                hint: "the first line must list the column names, separated by the delimiter")
        }
        // A carriage return inside the first record means lines end in a CR alone (classic Mac
        // files): read as they are, the whole file would be one record and the run empty.
        guard !header.fields.contains(where: { $0.utf8.contains(13) }) else {
            throw SegflowError(
                .data, at: SourceLocation(file: path, line: 1),
                "the first line holds a carriage return: the file's lines end in a CR alone (classic Mac line ends), which segflow does not read",
                hint: "convert the line ends to LF or CRLF, for example: tr '\\r' '\\n' < in.csv > out.csv")
        }
        guard hasHeader else {
            carry = Array(buffer.bytes) + carry
            return ((1...header.fields.count).map(String.init), 0)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: buffer.bytes[0..<header.next])
        let lineCount = headerBytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        carry = Array(buffer.bytes[header.next...]) + carry
        return (header.fields, max(lineCount, 1))
    }

    /// Fills `buffer` with the next chunk of whole records; false at the end of the input.
    mutating func nextChunk(into buffer: ChunkBuffer) throws -> Bool {
        buffer.count = 0
        buffer.reserve(max(chunkBytes, carry.count) + chunkBytes)
        if !carry.isEmpty {
            carry.withUnsafeBytes { buffer.storage.copyMemory(from: $0) }
            buffer.count = carry.count
            carry.removeAll(keepingCapacity: true)
        }
        var target = chunkBytes
        var boundaries = RecordBoundaryScan(separator: separator)
        while true {
            while !atEnd, buffer.count < target {
                let read = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.storage[buffer.count...]))
                if read == 0 { atEnd = true }
                buffer.count += read
                if isFirstRead, buffer.count >= 3 {
                    isFirstRead = false
                    stripByteOrderMark(buffer)
                }
            }
            if atEnd { return buffer.count > 0 }
            boundaries.scan(buffer.bytes)
            if let split = boundaries.lastRecordEnd {
                carry.append(contentsOf: buffer.bytes[(split + 1)...])
                buffer.count = split + 1
                return true
            }
            // One record is longer than the chunk (a huge quoted field): read on, up to the
            // limit, growing the buffer by doubling so that a long record is copied few times.
            guard buffer.count <= maxRecordBytes else {
                throw SegflowError(
                    .data, at: SourceLocation(file: path),
                    "a record runs past \(maxRecordBytes >> 20) MiB without a line break outside quotes "
                        + "(read so far: \(source.fileBytesRead) bytes of the file)",
                    hint: "check that the file is line-separated CSV and that no quote is left open; "
                        + "if records really are this long, raise \(key).max_record_mb")
            }
            target = buffer.count + chunkBytes
            buffer.reserve(max(target + chunkBytes, 2 * buffer.storage.count))
        }
    }

    /// True when bytes remain after the chunks handed out so far.
    mutating func hasMoreInput() throws -> Bool {
        if !carry.isEmpty { return true }
        if atEnd { return false }
        var probe: UInt8 = 0
        let read = try withUnsafeMutableBytes(of: &probe) { try source.read(into: $0) }
        if read == 0 { atEnd = true } else { carry.append(probe) }
        return read > 0
    }

    private func stripByteOrderMark(_ buffer: ChunkBuffer) {
        let bytes = buffer.storage
        guard bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF else { return }
        UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(buffer.count - 3)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[3..<buffer.count]))
        buffer.count -= 3
    }
}

/// Finds where records end the way `ChunkParser` reads them, so that a chunk cut there parses
/// exactly as the whole file would. A quote opens a quoted field only at the start of a field;
/// anywhere else (`27" monitor`) it is an ordinary byte, so counting quotes would be wrong.
/// The scan resumes where it stopped when more bytes are appended, so a long record is read once.
struct RecordBoundaryScan {
    private let delimiter: UInt8?
    private var scanned = 0
    private var inQuotedField = false
    /// The offset of the last newline that ends a record, among the bytes scanned so far.
    private(set) var lastRecordEnd: Int?

    /// Starts at the beginning of a record.
    init(separator: FieldSeparator) {
        if case .byte(let delimiter) = separator { self.delimiter = delimiter } else { delimiter = nil }
    }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let end = bytes.count
        // Blank-separated records have no quoting: every newline ends a record.
        guard let delimiter else {
            lastRecordEnd = lastNewline(base, from: scanned, to: end) ?? lastRecordEnd
            scanned = end
            return
        }
        var position = scanned
        while position < end {
            let quoteAt = find(quote, base, from: position, to: end)
            if inQuotedField {
                guard let at = quoteAt else {
                    position = end
                    break
                }
                // The byte after a quote tells a doubled quote from a closing one: wait for it.
                guard at + 1 < end else {
                    position = at
                    break
                }
                if base[at + 1] == quote {
                    position = at + 2
                } else {
                    inQuotedField = false
                    position = at + 1
                }
            } else {
                let stop = quoteAt ?? end
                lastRecordEnd = lastNewline(base, from: position, to: stop) ?? lastRecordEnd
                guard stop < end else {
                    position = end
                    break
                }
                inQuotedField = stop == 0 || base[stop - 1] == delimiter || base[stop - 1] == newline
                position = stop + 1
            }
        }
        scanned = position
    }

    private func find(_ byte: UInt8, _ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int? {
        guard start < end, let found = memchr(base + start, Int32(byte), end - start) else { return nil }
        return UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
    }

    /// Scans backwards: records are short, so a newline is near the end.
    private func lastNewline(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var at = end - 1
        while at >= start {
            if base[at] == newline { return at }
            at -= 1
        }
        return nil
    }
}
