import ArgumentParser
import Foundation
import LinearAlgebra
import SegflowCore

@main
struct Segflow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segflow",
        abstract: "Customer segmentation pipelines: ingest -> clean -> features -> export.",
        discussion: """
            Exit codes: 0 ok, 2 pipeline file or option error, 3 input data error, \
            4 file read/write or database error, 5 a run guard refused the result (nothing \
            published), 64 command-line usage error, 75 another run of the same pipeline \
            holds its lock (try again later), 130/143 interrupted (nothing published).
            """,
        version: SegflowVersion.current,
        subcommands: [RunCommand.self, ValidateCommand.self, DiffCommand.self, SampleCommand.self]
    )

    static func main() {
        BLASKernels.restartWithFasterKernelsIfNeeded()
        main(nil)
    }
}

enum LogLevel: String, ExpressibleByArgument, CaseIterable {
    case quiet, info, debug
}

/// Prints a SegflowError's diagnostics and exits with its kind's code.
func exitReporting(_ error: SegflowError) -> Never {
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    Foundation.exit(error.kind.exitCode)
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
