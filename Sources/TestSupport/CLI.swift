import Foundation

/// Runs the built `segflow` binary as a user would, from the package root.
public struct CLI {
    public static var binary: String {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        if directory.lastPathComponent == "MacOS" || directory.path.hasSuffix(".xctest/Contents") {
            directory = directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        return directory.appendingPathComponent("segflow").path
    }

    public struct Result {
        /// The exit code; -1 when the process was killed by a signal or timed out.
        public var status: Int32
        /// The signal that ended the process, nil when it exited.
        public var signal: Int32?
        public var stdout: String
        public var stderr: String
    }

    /// Runs segflow with this process's environment plus `environment`, less `unsetting`, and
    /// waits for it; past `timeout` seconds it is killed and the result says so.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [], timeout: Double = 300
    ) throws -> Result {
        try start(arguments, environment: environment, unsetting: unsetting).wait(timeout: timeout)
    }

    public static func start(_ arguments: [String], environment: [String: String] = [:], unsetting: [String] = []) throws -> Running {
        try Running(arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }.filter { !unsetting.contains($0.key) })
    }

    /// A segflow process under way. Both output streams are read as it runs, so neither can
    /// fill its pipe and stall the process.
    public final class Running: @unchecked Sendable {
        private let process = Process()
        private let readers = DispatchGroup()
        // Written by the reader threads before they leave `readers`, read after waiting on it.
        private var stdout = Data()
        private var stderr = Data()

        init(_ arguments: [String], environment: [String: String]) throws {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.environment = environment
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            readers.enter()
            readers.enter()
            DispatchQueue.global().async {
                self.stdout = out.fileHandleForReading.readDataToEndOfFile()
                self.readers.leave()
            }
            DispatchQueue.global().async {
                self.stderr = err.fileHandleForReading.readDataToEndOfFile()
                self.readers.leave()
            }
        }

        public var processIdentifier: Int32 { process.processIdentifier }

        public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

        public func wait(timeout: Double = 300) -> Result {
            let timedOut = !process.waitUntilExit(timeout: timeout)
            readers.wait()
            let signaled = process.terminationReason == .uncaughtSignal
            return Result(
                status: timedOut || signaled ? -1 : process.terminationStatus, signal: signaled && !timedOut ? process.terminationStatus : nil,
                stdout: String(decoding: stdout, as: UTF8.self),
                stderr: (timedOut ? "segflow did not finish within \(timeout) s and was killed\n" : "") + String(decoding: stderr, as: UTF8.self))
        }
    }
}

/// Pipelines/retail.yaml with some text replaced, written into `directory`.
public func retailVariant(in directory: TemporaryDirectory, name: String = "p.yaml", replacing old: String, with new: String) throws -> String {
    let yaml = try String(contentsOfFile: "Pipelines/retail.yaml", encoding: .utf8)
    precondition(yaml.contains(old), "Pipelines/retail.yaml no longer contains '\(old)'")
    return try directory.write(name, yaml.replacingOccurrences(of: old, with: new))
}

extension Process {
    /// Waits up to `timeout` seconds for the process to end; past that it is killed
    /// (SIGKILL) and the answer is false, so a hung tool fails its test instead of the suite.
    public func waitUntilExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning, Date() < deadline { usleep(10_000) }
        let finished = !isRunning
        if !finished { kill(processIdentifier, SIGKILL) }
        waitUntilExit()
        return finished
    }
}
