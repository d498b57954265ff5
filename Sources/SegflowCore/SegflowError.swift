/// What kind of failure stopped a run. Each kind has its own process exit code so that a
/// scheduler can tell "fix the pipeline file" from "fix the data" from "fix the disk".
public enum FailureKind: String, Sendable, CaseIterable {
    /// The pipeline file or the command line is wrong.
    case config
    /// An input's content is wrong: missing columns, too many rejected rows.
    case data
    /// A file could not be read or written: missing, permissions, disk full.
    case io
    /// The run finished, but a run guard (`outputs.guards`) refused its result: nothing was
    /// published. Look at the input before the next run.
    case refused
    /// Another run of the same pipeline holds the lock: try again later (EX_TEMPFAIL).
    case busy

    /// Documented in README.md, "Exit codes".
    public var exitCode: Int32 {
        switch self {
        case .config: return 2
        case .data: return 3
        case .io: return 4
        case .refused: return 5
        case .busy: return 75
        }
    }
}

/// The one error type stages throw: a failure kind plus every diagnostic that explains it.
public struct SegflowError: Error, Sendable, CustomStringConvertible {
    public var kind: FailureKind
    public var diagnostics: [Diagnostic]

    public init(_ kind: FailureKind, _ diagnostics: [Diagnostic]) {
        self.kind = kind
        self.diagnostics = diagnostics.sortedByLocation()
    }

    public init(_ kind: FailureKind, at location: SourceLocation?, _ message: String, hint: String? = nil) {
        self.init(kind, [.error(at: location, message, hint: hint)])
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
