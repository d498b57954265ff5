#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SegflowCore

/// A buffered writer over a file descriptor that reports failures as `SegflowError(.io)`
/// naming the file.
public final class BufferedFileWriter {
    public let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    public private(set) var bytesWritten = 0

    /// Writes to an open descriptor; `path` names it in error messages.
    public init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
        buffer.reserveCapacity(capacity)
    }

    @inline(__always)
    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= capacity { try flush() }
    }

    public func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    public func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputFailure.write(path: path, errno: errno)
            }
            offset += written
        }
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}

enum OutputFailure {
    static func write(path: String, errno code: Int32) -> SegflowError {
        let reason = String(cString: strerror(code))
        let hint = code == ENOSPC || code == EDQUOT
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
        let temporary = "\(directory)/.\(baseName(of: destination)).tmp-\(getpid())"
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
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
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
            throw SegflowError(.io, at: SourceLocation(file: path), "cannot create output directory: \(String(cString: strerror(errno)))",
                               hint: "check that the output path is writable, or pass --output DIR")
        }
    }
}
