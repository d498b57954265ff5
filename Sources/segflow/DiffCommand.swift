import ArgumentParser
import Export
import Foundation
import History
import Pipeline
import SegflowCore

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two runs: settings, groups, and who moved.",
        discussion: """
            A and B are run directories, e.g. out/runs/20261101T020000Z and out/current: two \
            nights of one pipeline, or two configs run on the same data. Prints, in order, the \
            settings that differ (from each run's pipeline.yaml); for every group of every \
            dimension (RFM segment, value tier, lifecycle stage, status, cluster, churn risk, \
            status × churn risk) its customers, revenue share, mean CLV, mean P(alive) and mean \
            churn probability in A and B; then the largest moves between groups, new and \
            departed customers and the movers: into at_risk or loyal status, out of loyal, into \
            high churn risk, or down a value tier.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, csv, json
    }

    @Argument(help: "The earlier run directory.")
    var from: String

    @Argument(help: "The later run directory.")
    var to: String

    @Option(help: "text (at most 100 columns), csv (one row per figure) or json.")
    var format: Format = .text

    @Option(name: .customLong("movers"), help: "Also write the movers to this CSV file.")
    var moversPath: String?

    func run() throws {
        do {
            let comparison = try RunComparison(from: from, to: to)
            switch format {
            case .text: print(comparison.text())
            case .csv:
                let output = BufferedFileWriter(path: "standard output", descriptor: STDOUT_FILENO)
                try TableWriter.write(comparison.table, to: output)
                try output.flush()
            case .json: FileHandle.standardOutput.write(try comparison.json + Data("\n".utf8))
            }
            if let moversPath {
                try OutputTransaction.write(moversPath, table: comparison.migration.moverTable)
            }
        } catch let error as SegflowError {
            exitReporting(error)
        }
    }
}

extension RunComparison {
    /// Reads the two runs' assignments, summaries and resolved pipeline files.
    init(from: String, to: String) throws {
        let (before, after) = (try RunFilesRead(from), try RunFilesRead(to))
        var settings: [Setting]?
        if let old = before.pipeline, let new = after.pipeline {
            settings = try ResolvedPipeline.differences(old, new)
        }
        self.init(
            from: from, to: to, settings: settings, before: before.summary, after: after.summary,
            migration: Migration(from: before.assignments, to: after.assignments))
    }
}

/// What `diff` reads of one run directory.
private struct RunFilesRead {
    var assignments: Assignments
    var summary: DimensionSummary
    var pipeline: String?

    init(_ directory: String) throws {
        let manager = FileManager.default
        guard manager.fileExists(atPath: "\(directory)/\(RunFiles.assignments)") else {
            let current = "\(directory)/current"
            let hint =
                manager.fileExists(atPath: "\(current)/\(RunFiles.assignments)")
                ? "did you mean \(current)? that is the latest run of the output directory \(directory)"
                : "give a run directory, such as OUTPUT/current or OUTPUT/runs/<run id>"
            throw SegflowError(.config, at: SourceLocation(file: directory), "not a segflow run directory: it has no assignments.csv", hint: hint)
        }
        assignments = try Assignments.read(path: "\(directory)/\(RunFiles.assignments)")
        let summaryPath = "\(directory)/\(RunFiles.summary)"
        if manager.fileExists(atPath: summaryPath) {
            summary = try DimensionSummary.read(path: summaryPath)
        } else {
            // Runs of segflow before summaries were kept: counts only, from the assignments.
            summary = DimensionSummary(customers: assignments.table)
        }
        pipeline = try? String(contentsOfFile: "\(directory)/\(RunFiles.pipeline)", encoding: .utf8)
    }
}
