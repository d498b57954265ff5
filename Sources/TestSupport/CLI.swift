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
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs segflow with this process's environment plus `environment`, less `unsetting`.
    public static func run(_ arguments: [String], environment: [String: String] = [:], unsetting: [String] = []) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.filter { !unsetting.contains($0.key) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// Pipelines/retail.yaml with some text replaced, written into `directory`.
public func retailVariant(in directory: TemporaryDirectory, name: String = "p.yaml", replacing old: String, with new: String) throws -> String {
    let yaml = try String(contentsOfFile: "Pipelines/retail.yaml", encoding: .utf8)
    precondition(yaml.contains(old), "Pipelines/retail.yaml no longer contains '\(old)'")
    return try directory.write(name, yaml.replacingOccurrences(of: old, with: new))
}
