import Foundation
import SegflowCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The published outputs of a pipeline, kept as a history of runs:
///
///     DIR/runs/<run-id>/   one directory per run: every file it wrote
///     DIR/current          a symbolic link to the latest published run
///     DIR/.lock            held while a run is under way
///
/// A run writes into `runs/.<run-id>.partial/`, syncs every file, renames the directory to
/// `runs/<run-id>`, then swaps `current` to it by renaming a new link over the old one. Each
/// step is atomic, so a reader of `current/...` sees the previous run or the new one whole,
/// whatever moment the process is killed at; a killed run leaves only a `.partial`
/// directory, which the next run removes.
public struct RunDirectory: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var runsPath: String { "\(root)/runs" }
    public var currentPath: String { "\(root)/current" }

    /// Published run ids, oldest first: by time, then by the suffix of runs of the same
    /// second as a number (`-10` after `-9`, which text order would put before `-2`).
    public func publishedRuns() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runsPath)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted { Self.order($0) < Self.order($1) }
    }

    private static func order(_ runID: String) -> (String, Int) {
        let parts = runID.split(separator: "-", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 0 : 1)
    }

    /// The run `current` points at, if any.
    public func currentRun() -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: currentPath) else { return nil }
        return target.split(separator: "/").last.map(String.init)
    }

    /// A new id from the clock, `YYYYMMDDTHHMMSSZ`, with `-2`, `-3` … when a run of the same
    /// second exists.
    public func newRunID(at date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let stamp = CivilTime.timestampString(seconds: seconds).filter { $0 != "-" && $0 != ":" }
        let existing = Set(publishedRuns())
        var id = stamp, suffix = 2
        while existing.contains(id) {
            id = "\(stamp)-\(suffix)"
            suffix += 1
        }
        return id
    }

    /// Starts a run: removes what killed runs left behind and creates the run's staging
    /// directory. Call with the lock held.
    public func begin(runID: String) throws -> StagedRun {
        try makeDirectories(runsPath)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: runsPath)) ?? [] where name.hasSuffix(".partial") {
            try? FileManager.default.removeItem(atPath: "\(runsPath)/\(name)")
        }
        unlink("\(root)/.current.tmp")
        let staging = "\(runsPath)/.\(runID).partial"
        try makeDirectories(staging)
        return StagedRun(directory: self, runID: runID, staging: staging)
    }

    /// Removes published runs beyond the newest `keep`; never the current one.
    public func prune(keeping keep: Int) {
        let current = currentRun()
        for run in publishedRuns().dropLast(keep) where run != current {
            try? FileManager.default.removeItem(atPath: "\(runsPath)/\(run)")
        }
    }
}

/// A run being written: files go into its staging directory until `publish`.
public final class StagedRun {
    public let directory: RunDirectory
    public let runID: String
    let staging: String
    public private(set) var files: [String] = []
    private var published = false

    init(directory: RunDirectory, runID: String, staging: String) {
        self.directory = directory
        self.runID = runID
        self.staging = staging
        Interruption.staging(staging)
    }

    deinit { if !published { abandon() } }

    public var publishedPath: String { "\(directory.runsPath)/\(runID)" }

    /// Writes `relativePath` in the run through `body`, then syncs it to disk. `displayPath`
    /// names the file in error messages.
    public func write(_ relativePath: String, _ body: (BufferedFileWriter) throws -> Void) throws {
        let path = "\(staging)/\(relativePath)"
        let displayPath = "\(publishedPath)/\(relativePath)"
        try Interruption.writingStagedFile {
            try makeDirectories(parentDirectory(of: path))
            try writeSyncedFile(path, displayPath: displayPath, body)
        }
        files.append(relativePath)
        FaultInjection.point("after-file-\(files.count)")
    }

    /// Renames the staging directory into `runs/` and points `current` at it.
    public func publish() throws {
        syncDirectories(under: staging)
        FaultInjection.point("before-run-rename")
        guard rename(staging, publishedPath) == 0 else { throw OutputFailure.write(path: publishedPath, errno: errno) }
        syncDirectory(directory.runsPath)
        FaultInjection.point("before-current-swap")
        let link = "\(directory.root)/.current.tmp"
        unlink(link)
        guard symlink("runs/\(runID)", link) == 0 else { throw OutputFailure.write(path: directory.currentPath, errno: errno) }
        guard rename(link, directory.currentPath) == 0 else {
            let failure = OutputFailure.write(path: directory.currentPath, errno: errno)
            unlink(link)
            throw failure
        }
        syncDirectory(directory.root)
        published = true
        FaultInjection.point("after-current-swap")
    }

    /// Removes the staging directory and everything in it.
    public func abandon() {
        try? FileManager.default.removeItem(atPath: staging)
        Interruption.staging(nil)
    }

    private func syncDirectories(under path: String) {
        let subdirectories = Set(files.map { parentDirectory(of: "\(path)/\($0)") })
        for directory in subdirectories.sorted() { syncDirectory(directory) }
        syncDirectory(path)
    }
}

func syncDirectory(_ path: String) {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}

/// An exclusive lock on `DIR/.lock` (flock), so two runs of the same pipeline never overlap.
/// The kernel releases it when the process ends, however it ends.
public final class RunLock {
    private let descriptor: Int32

    public init(directory: RunDirectory) throws {
        try makeDirectories(directory.root)
        let path = "\(directory.root)/.lock"
        // O_NOFOLLOW: a symbolic link planted at .lock must not make the run truncate its target.
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard descriptor >= 0 else {
            if errno == ELOOP {
                throw SegflowError(
                    .io, at: SourceLocation(file: path), "the run lock is a symbolic link, which segflow does not follow",
                    hint: "remove \(path); segflow creates the lock file itself")
            }
            throw OutputFailure.write(path: path, errno: errno)
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw SegflowError(
                .io, at: SourceLocation(file: path), "the run lock is not a regular file",
                hint: "remove \(path); segflow creates the lock file itself")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw SegflowError(
                .busy, at: SourceLocation(file: path),
                "another run of this pipeline is writing to \(directory.root)\(holder.isEmpty ? "" : " (\(holder))")",
                hint: "wait for it to finish, or check that no stuck segflow process is left; the lock frees itself when that process ends")
        }
        ftruncate(descriptor, 0)
        let note = "pid \(getpid())\n"
        _ = note.withCString { Glibc.write(descriptor, $0, strlen($0)) }
    }

    deinit { close(descriptor) }
}

/// Named points where a test can have the process kill itself (SIGKILL), to prove that a
/// run killed there leaves the published outputs intact: set `SEGFLOW_KILL_AT` to the name.
/// `SEGFLOW_PAUSE_AT` pauses there for 3 seconds instead, so a test can send a signal at that
/// step. Unset in normal use, where this costs two environment lookups per point.
public enum FaultInjection {
    public static func point(_ name: String) {
        if getenvString("SEGFLOW_KILL_AT") == name { kill(getpid(), SIGKILL) }
        if getenvString("SEGFLOW_PAUSE_AT") == name { sleep(3) }
    }
}

/// The files every run writes beside its exports.
public enum RunFiles {
    public static let manifest = "manifest.json"
    /// Run id, start time and timings: the one file that differs between identical reruns.
    public static let run = "run.json"
    public static let rejected = "rejected.csv"
    public static let modelReport = "model_report.json"
    public static let assignments = "assignments.csv"
    public static let migration = "migration.csv"
    public static let movers = "movers.csv"
    public static let report = "report.html"
    /// The clusters' ids, labels, centres and scaling, for the next run (`segment.kmeans`).
    public static let clusterModel = "cluster_model.json"
    /// The pipeline file as the run used it, every default filled in.
    public static let pipeline = "pipeline.yaml"
    /// The business summary per group of each dimension (`DimensionSummary`).
    public static let summary = "summary.csv"
    /// NPS per group of each dimension, with `inputs.surveys` (`NPSSummary`).
    public static let nps = "nps.csv"
    /// A profile per RFM segment and cluster (`PersonaProfiles`), with `segment`.
    public static let personas = "personas.csv"
    /// The rejected rows of an input other than the transactions.
    public static func rejected(input: String) -> String { "rejected_\(input).csv" }
    /// Well-formed referrals that are not credited, each with the rule it breaks.
    public static let ignoredReferrals = "ignored_referrals.csv"
    public static let allNames = [
        manifest, run, rejected, modelReport, assignments, migration, movers, report, clusterModel, pipeline, summary, nps, personas,
        rejected(input: "surveys"), rejected(input: "customers"), rejected(input: "referrals"), ignoredReferrals,
    ]
}
