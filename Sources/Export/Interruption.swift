import Foundation
import SegflowCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGTERM and SIGINT, as a scheduler or a person stops a job: the run's staging directory
/// is removed, the process exits 128 + the signal's number, and it says whether anything
/// was published. The lock (flock) and PostgreSQL's open transaction are released by the
/// process ending. A signal that arrives while a run is being published (databases swapped,
/// the directory renamed, `current` moved) waits until that finishes, so a run is published
/// whole or not at all.
public enum Interruption {
    private struct State {
        var staging: String?
        var publishedRun: String?
    }

    private static let state = Mutex(State())

    /// Handles SIGTERM and SIGINT from now on. A signal handler may only do
    /// async-signal-safe work, so it writes the signal's number to a pipe and a thread of
    /// our own does the rest.
    public static func install() {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { return }
        signalPipe = descriptors[1]
        let reader = descriptors[0]
        Thread.detachNewThread {
            var number: Int32 = 0
            while true {
                let got = read(reader, &number, MemoryLayout<Int32>.size)
                if got == MemoryLayout<Int32>.size { stop(signal: number) }
                if got < 0, errno == EINTR { continue }
                return
            }
        }
        // A parent may have blocked them (the mask is inherited across exec): unblocked here,
        // on the main thread before the workers start, so every thread takes them.
        var handled = sigset_t()
        sigemptyset(&handled)
        for signalNumber in [SIGTERM, SIGINT] {
            sigaddset(&handled, signalNumber)
            var action = sigaction()
            #if canImport(Glibc)
                action.__sigaction_handler.sa_handler = forwardSignal
            #else
                action.__sigaction_u.__sa_handler = forwardSignal
            #endif
            sigemptyset(&action.sa_mask)
            sigaction(signalNumber, &action, nil)
        }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    }

    /// Runs `publish`, which makes run `runID` visible, with stops held back until it
    /// returns; once it has, a stop says the run was published.
    public static func publishing<T>(runID: String, _ publish: () throws -> T) rethrows -> T {
        try state.withLock { state in
            let result = try publish()
            state.staging = nil
            state.publishedRun = runID
            return result
        }
    }

    /// Runs `write`, which writes into the run's staging directory, with stops held back: a
    /// stop removes the directory between files, never under a file being written, and no
    /// write starts after it.
    static func writingStagedFile<T>(_ write: () throws -> T) rethrows -> T {
        try state.withLock { _ in try write() }
    }

    /// The directory a stop removes: the run being written, nil once it is gone.
    static func staging(_ path: String?) { state.withLock { $0.staging = path } }

    private static func stop(signal number: Int32) -> Never {
        state.withLock { state in
            if let staging = state.staging { try? FileManager.default.removeItem(atPath: staging) }
            let name = number == SIGINT ? "SIGINT" : "SIGTERM"
            let message =
                state.publishedRun.map { "segflow: interrupted by \(name) after run \($0) was published; it is the current run\n" }
                ?? "segflow: interrupted by \(name): nothing was published; the previous run stays current\n"
            FileHandle.standardError.write(Data(message.utf8))
            _exit(128 + number)
        }
    }
}

/// Written once by `Interruption.install`, before the handlers that read it are installed.
nonisolated(unsafe) private var signalPipe: Int32 = -1

private func forwardSignal(_ number: Int32) {
    var number = number
    _ = write(signalPipe, &number, MemoryLayout<Int32>.size)
}
