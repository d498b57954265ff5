import Foundation
import SegflowCore

/// Tables loaded into a database under staging names, not yet visible under their own.
/// A run stages every database first and publishes only when all loads succeeded, so a
/// failed load leaves every database as it was.
public protocol StagedTables: AnyObject {
    /// Swaps every staged table in under its name, in one transaction: a reader sees the
    /// old tables or the new ones, never a mix and never a missing table.
    func publish() throws
    /// Drops what was staged; the published tables stay as they were. Does nothing after
    /// `publish`.
    func discard()
}

/// A failure to load or publish, in words for the person on call; never holds a credential.
public struct DatabaseFailure: Error, Sendable, Equatable {
    public var message: String
    public var hint: String

    public init(_ message: String, hint: String) {
        self.message = message
        self.hint = hint
    }
}

public enum DatabaseExporter {
    /// Loads `tables` into staging tables of the database. `password` is the value of the
    /// target's password variable, resolved by the caller.
    public static func stage(_ tables: [TableLoad], into connection: DatabaseTarget.Connection,
                             password: String? = nil) throws -> any StagedTables {
        switch connection {
        case .sqlite(let path): return try SQLiteStagedTables(path: path, tables: tables)
        case .postgres(let settings): return try PostgresStagedTables(settings: settings, password: password, tables: tables)
        }
    }
}

/// Runs async work to completion from synchronous code, on the calling thread: the task
/// prefers an executor that the waiting thread itself drains. Waiting on a semaphore for a
/// task on the shared pool could deadlock when the caller is itself one of the pool's few
/// threads (as under a test runner); this cannot.
func waitFor<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
    let executor = CallingThreadExecutor()
    let outcome = Outcome<T>()
    Task(executorPreference: executor) {
        do { outcome.result = .success(try await operation()) } catch { outcome.result = .failure(error) }
        executor.finish()
    }
    executor.runUntilFinished()
    return try outcome.result!.get()
}

/// Written by the task, read by the waiting thread after the executor's last job.
private final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// A task executor whose jobs run on the thread that calls `runUntilFinished`.
private final class CallingThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    func runUntilFinished() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// A name in double quotes, for SQL text: names are checked by `DatabaseTableSpec.isValidName`
/// or are column names, whose quotes are doubled.
func quoted(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
