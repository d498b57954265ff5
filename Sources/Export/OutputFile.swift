import Dispatch
import SegflowCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A buffered writer over a file descriptor that reports failures as `SegflowError(.io)`
/// naming the file.
///
/// Full buffers are written in order by a background thread while the caller fills the next
/// one, so formatting and the disk work at the same time. Several buffers are in flight, so
/// that a slow write does not stall the caller as long as the disk keeps up on average. On a
/// descriptor opened with `O_DIRECT` (see `openForWriting`) the buffers go straight to the
/// device: no page cache to fill and flush, which on virtual machines costs more than the
/// disk itself. Direct writes need aligned memory, offsets and lengths, so buffers are
/// page-aligned and whole; the last, partial buffer is written after switching the
/// descriptor back to ordinary writes.
public final class BufferedFileWriter {
    public let path: String
    private let descriptor: Int32
    private static let capacity = 2 << 20
    private static let bufferCount = 6
    private static let alignment = 4096
    /// Used in turn; `filling` is the one the caller writes into.
    private let buffers: [UnsafeMutableRawPointer]
    private var filling = 0
    private var filled = 0
    private var direct: Bool
    private let drainer = DispatchQueue(label: "segflow.file-writer")
    private let drained = DispatchGroup()
    /// Buffers neither being filled nor waiting to be written.
    private let free = DispatchSemaphore(value: bufferCount - 1)
    /// The first failed background write; later buffers are not written.
    private let drainFailure = Mutex<SegflowError?>(nil)
    public private(set) var bytesWritten = 0

    /// Writes to an open descriptor; `path` names it in error messages.
    public init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
        direct = directIOFlag != 0 && fcntl(descriptor, F_GETFL) & directIOFlag != 0
        buffers = (0..<Self.bufferCount).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: Self.capacity, alignment: Self.alignment)
        }
    }

    deinit {
        drained.wait()
        for buffer in buffers { buffer.deallocate() }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func write(bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = min(Self.capacity - filled, bytes.count - offset)
            (buffers[filling] + filled).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            filled += count
            offset += count
            if filled == Self.capacity { try handOver() }
        }
    }

    /// Writes everything given so far to the descriptor before returning.
    public func flush() throws {
        try waitForDrain()
        let buffer = buffers[filling]
        let aligned = direct ? filled / Self.alignment * Self.alignment : 0
        if aligned > 0 { try writeAll(buffer, count: aligned) }
        if filled > aligned {
            try endDirectWrites()
            try writeAll(buffer + aligned, count: filled - aligned)
        }
        bytesWritten += filled
        filled = 0
    }

    /// Queues the full buffer for the background thread and takes the next free one.
    private func handOver() throws {
        let (index, count) = (filling, filled)
        bytesWritten += count
        drainer.async(group: drained) { [self] in
            if drainFailure.withLock({ $0 == nil }) {
                do throws(SegflowError) { try writeAll(buffers[index], count: count) } catch { drainFailure.withLock { $0 = error } }
            }
            free.signal()
        }
        free.wait()
        if let failure = drainFailure.withLock({ $0 }) { throw failure }
        filling = (filling + 1) % Self.bufferCount
        filled = 0
    }

    private func waitForDrain() throws {
        drained.wait()
        if let failure = drainFailure.withLock({ $0 }) { throw failure }
    }

    private func writeAll(_ buffer: UnsafeMutableRawPointer, count: Int) throws(SegflowError) {
        var offset = 0
        while offset < count {
            let written = Glibc.write(descriptor, buffer + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                // Some file systems refuse direct writes only when they are tried.
                if errno == EINVAL, direct {
                    try endDirectWrites()
                    continue
                }
                throw OutputFailure.write(path: path, errno: errno)
            }
            offset += written
        }
    }

    private func endDirectWrites() throws(SegflowError) {
        guard direct else { return }
        direct = false
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~directIOFlag) == 0 else {
            throw OutputFailure.write(path: path, errno: errno)
        }
    }
}

/// The background queue shares the writer with the caller. That is safe though the checker
/// cannot see it: the queue writes only a buffer the caller has handed over and will not
/// fill again until `free` is signalled; it records failures in a `Mutex`; and the one
/// variable both sides change, `direct`, is read and written by the caller only in `flush`,
/// after `drained.wait()` has ordered every background write before it.
extension BufferedFileWriter: @unchecked Sendable {}

/// `O_DIRECT`, which Swift's Glibc module does not export; its value differs by architecture.
#if os(Linux) && (arch(x86_64) || arch(i386))
    let directIOFlag: Int32 = 0o40000
#elseif os(Linux) && (arch(arm64) || arch(arm))
    let directIOFlag: Int32 = 0o200000
#else
    let directIOFlag: Int32 = 0
#endif

/// Creates (or truncates) `path` for writing, with direct I/O where the file system offers it.
func openForWriting(_ path: String) -> Int32 {
    // Always a new file: O_EXCL and O_NOFOLLOW refuse a file or symbolic link planted at the
    // name, so a run never writes through a link into a file it does not own.
    let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
    if directIOFlag != 0 {
        let descriptor = open(path, flags | directIOFlag, 0o644)
        if descriptor >= 0 || errno != EINVAL { return descriptor }
    }
    return open(path, flags, 0o644)
}

enum OutputFailure {
    static func write(path: String, errno code: Int32) -> SegflowError {
        let reason = String(cString: strerror(code))
        let hint =
            code == ENOSPC || code == EDQUOT
            ? "free space on the disk that holds \(path) and run again; earlier outputs were left as they were"
            : "check permissions and free space for \(path); earlier outputs were left as they were"
        return SegflowError(.io, at: SourceLocation(file: path), "cannot write output: \(reason)", hint: hint)
    }
}

/// Writes a run's output files so that they appear together or not at all: each file is
/// written to a temporary name beside its destination, synced, and only after every file
/// is complete are they renamed into place. A failure removes the temporaries and leaves
/// the previous outputs untouched.
public final class OutputTransaction {
    private var staged: [(temporary: String, destination: String)] = []
    private var committed = false

    public init() {}

    deinit { if !committed { abort() } }

    /// Writes `destination`'s future content to a temporary file through `body`.
    public func stage(_ destination: String, _ body: (BufferedFileWriter) throws -> Void) throws {
        let directory = parentDirectory(of: destination)
        try makeDirectories(directory)
        // Unpredictable, so nobody can plant a link at the name beforehand.
        let temporary = "\(directory)/.\(baseName(of: destination)).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        staged.append((temporary, destination))
        do { try writeSyncedFile(temporary, displayPath: destination, body) } catch {
            abort()
            throw error
        }
    }

    /// Renames every staged file into place.
    public func commit() throws {
        for (temporary, destination) in staged {
            guard rename(temporary, destination) == 0 else {
                let failure = OutputFailure.write(path: destination, errno: errno)
                abort()
                throw failure
            }
        }
        for directory in Set(staged.map { parentDirectory(of: $0.destination) }) {
            let descriptor = open(directory, O_RDONLY | O_DIRECTORY)
            if descriptor >= 0 {
                fsync(descriptor)
                close(descriptor)
            }
        }
        committed = true
        staged.removeAll()
    }

    /// Writes one file atomically: complete, or the previous content untouched.
    public static func write(_ path: String, bytes: [UInt8]) throws {
        let transaction = OutputTransaction()
        try transaction.stage(path) { try $0.write(bytes: bytes) }
        try transaction.commit()
    }

    /// Writes one table as CSV atomically.
    public static func write(_ path: String, table: Table) throws {
        let transaction = OutputTransaction()
        try transaction.stage(path) { try TableWriter.write(table, to: $0) }
        try transaction.commit()
    }

    /// Removes every temporary file not yet renamed.
    public func abort() {
        for (temporary, _) in staged { unlink(temporary) }
        staged.removeAll()
    }
}

/// Creates `path`, writes it through `body` and syncs it to disk; `displayPath` names the
/// file in error messages (the place it is published at, not its staging name).
func writeSyncedFile(_ path: String, displayPath: String, _ body: (BufferedFileWriter) throws -> Void) throws {
    let descriptor = openForWriting(path)
    guard descriptor >= 0 else { throw OutputFailure.write(path: displayPath, errno: errno) }
    do {
        let writer = BufferedFileWriter(path: displayPath, descriptor: descriptor)
        try body(writer)
        try writer.flush()
        guard fsync(descriptor) == 0 else { throw OutputFailure.write(path: displayPath, errno: errno) }
        guard close(descriptor) == 0 else { throw OutputFailure.write(path: displayPath, errno: errno) }
    } catch {
        close(descriptor)
        throw error
    }
}

public func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

func baseName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

public func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/\(component)"
        if mkdir(current, 0o755) != 0, errno != EEXIST {
            throw SegflowError(
                .io, at: SourceLocation(file: path), "cannot create output directory: \(String(cString: strerror(errno)))",
                hint: "check that the output path is writable, or pass --output DIR")
        }
    }
}
