import CZlib
import SegflowCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A forward-only stream of an input file's (decompressed) bytes.
protocol ByteSource {
    /// Fills up to `buffer.count` bytes; returns 0 at the end of the input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes taken from the file on disk so far (compressed bytes for gzip).
    var fileBytesRead: Int { get }
    /// XXH64 of the file's bytes as stored on disk.
    var fingerprint: XXH64 { get }
}

func ioError(_ path: String, _ action: String, errno code: Int32) -> SegflowError {
    let reason = String(cString: strerror(code))
    return SegflowError(
        .io, at: SourceLocation(file: path), "cannot \(action): \(reason)",
        hint: "check that the file exists and is readable by this user")
}

/// Reads a plain file with `read(2)`, hashing what it reads.
final class FileByteSource: ByteSource {
    let path: String
    private let descriptor: Int32
    private(set) var fileBytesRead = 0
    private(set) var fingerprint = XXH64()

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ioError(path, "open input", errno: errno) }
    }

    deinit { close(descriptor) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "read input", errno: errno)
            }
            fileBytesRead += count
            fingerprint.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            return count
        }
    }
}

/// Decompresses a gzip file (several concatenated members too, as `gzip` writes when
/// appending) with zlib's streaming `inflate`.
final class GzipByteSource: ByteSource {
    private let file: FileByteSource
    private var stream = z_stream()
    private var compressed: UnsafeMutableRawBufferPointer
    private var finished = false
    private var memberOpen = false

    var fileBytesRead: Int { file.fileBytesRead }
    var fingerprint: XXH64 { file.fingerprint }

    init(path: String) throws {
        file = try FileByteSource(path: path)
        compressed = .allocate(byteCount: 1 << 20, alignment: 16)
        // 15 + 32: accept a gzip or zlib header, detected automatically.
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            compressed.deallocate()
            throw SegflowError(.io, at: SourceLocation(file: path), "cannot start gzip decompression (zlib status \(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        compressed.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished else { return 0 }
        stream.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 {
                let count = try file.read(into: compressed)
                if count == 0 {
                    if memberOpen {
                        throw SegflowError(
                            .data, at: SourceLocation(file: file.path),
                            "gzip stream ends early: the file is truncated",
                            hint: "re-copy or re-export the file; `gzip -t FILE` checks it")
                    }
                    finished = true
                    break
                }
                stream.next_in = compressed.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(count)
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            memberOpen = true
            if status == Z_STREAM_END {
                // Another member may follow (`cat a.gz b.gz` is a valid gzip file).
                memberOpen = false
                inflateReset(&stream)
            } else if status != Z_OK && status != Z_BUF_ERROR {
                throw SegflowError(
                    .data, at: SourceLocation(file: file.path),
                    "not a valid gzip file (zlib status \(status))",
                    hint: "check the file with `gzip -t FILE`, or drop the .gz suffix if it is plain CSV")
            }
        }
        return buffer.count - Int(stream.avail_out)
    }
}
