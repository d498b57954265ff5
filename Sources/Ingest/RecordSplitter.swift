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
    private(set) var storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 16)
    var count = 0

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<count]) }

    func reserve(_ capacity: Int) {
        guard capacity > storage.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        if count > 0 { grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[0..<count])) }
        storage.deallocate()
        storage = grown
    }

    func release() {
        storage.deallocate()
        storage = .allocate(byteCount: 0, alignment: 16)
        count = 0
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

    init(input: TransactionInput, chunkBytes: Int) throws {
        source = input.isGzip ? try GzipByteSource(path: input.path) : try FileByteSource(path: input.path)
        path = input.path
        separator = input.separator
        hasHeader = input.hasHeader
        self.chunkBytes = chunkBytes
        maxRecordBytes = input.maxRecordBytes
    }

    var fileBytesRead: Int { source.fileBytesRead }
    var fingerprint: XXH64 { source.fingerprint }

    /// Reads the header record; the data chunks start after it. Without a header, the
    /// names are the 1-based positions of the first record's fields, and nothing is consumed.
    mutating func readHeader() throws -> (names: [String], lineCount: Int) {
        let buffer = ChunkBuffer()
        defer { buffer.release() }
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
            if let split = lastRecordBoundary(buffer.bytes) {
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
                        + "if records really are this long, raise inputs.transactions.max_record_mb")
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

    /// The index of the last newline outside quotes, given that `bytes` starts outside quotes.
    private func lastRecordBoundary(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var newlineAt = bytes.count
        // Blank-separated records have no quoting: every newline ends a record.
        var quotesBefore = separator == .blanks ? 0 : countQuotes(base, 0, bytes.count)
        while true {
            // Scanning backwards is short: records are small, so a newline is near the end.
            var at = newlineAt - 1
            while at >= 0, base.load(fromByteOffset: at, as: UInt8.self) != UInt8(ascii: "\n") { at -= 1 }
            guard at >= 0 else { return nil }
            if separator != .blanks { quotesBefore -= countQuotes(base, at, newlineAt) }
            if quotesBefore % 2 == 0 { return at }
            newlineAt = at
        }
    }

    private func countQuotes(_ base: UnsafeRawPointer, _ start: Int, _ end: Int) -> Int {
        var count = 0
        var position = start
        while position < end, let found = memchr(base + position, Int32(UInt8(ascii: "\"")), end - position) {
            count += 1
            position = UnsafeRawPointer(found) - base + 1
        }
        return count
    }
}
