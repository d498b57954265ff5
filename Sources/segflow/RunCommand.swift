import ArgumentParser
import Export
import Foundation
import Ingest
import Pipeline
import SegflowCore
import Synchronization

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a pipeline file and write its outputs.")

    @Argument(help: "The pipeline file (YAML).")
    var file: String

    @Option(name: .customLong("as-of"), help: "Override as_of: a date YYYY-MM-DD.")
    var asOf: String?

    @Option(name: .customLong("output"), help: "Write every output into this directory instead of the paths in the file.")
    var outputDirectory: String?

    @Option(name: .customLong("log-level"), help: "quiet: errors only; info: summary (default); debug: summary and stage counts.")
    var logLevel: LogLevel = .info

    @Flag(
        help: """
            Publish under OUTPUT/experiments/ with its own history; load no database, skip the run \
            guards and leave metrics.prom alone: production stays as it was.
            """)
    var experiment = false

    @Option(help: "With --experiment: stop after this stage (e.g. cluster) and write only the run's own files.")
    var until: String?

    func validate() throws {
        if let asOf, CivilTime.parseDate(asOf) == nil {
            throw ValidationError("--as-of must be a date written YYYY-MM-DD, got '\(asOf)'")
        }
        if until != nil, !experiment {
            throw ValidationError("--until publishes a run without its later stages, so it needs --experiment")
        }
    }

    func run() throws {
        Interruption.install()
        do {
            let pipeline = try PipelineFile.load(path: file)
            for warning in pipeline.warnings where logLevel != .quiet { printError(warning.description) }
            let progress = ProgressLine(enabled: logLevel != .quiet && isatty(2) == 1)
            let runner = PipelineRunner(
                pipeline: pipeline, outputDirectory: outputDirectory,
                asOfOverride: asOf.flatMap(CivilTime.parseDate),
                progress: progress.update, experiment: experiment ? PipelineRunner.Experiment(until: until) : nil)
            let outcome = try runner.run()
            progress.finish()
            for warning in outcome.warnings where logLevel != .quiet { printError(warning.description) }
            if logLevel != .quiet {
                print(RunSummary(outcome: outcome, detailed: logLevel == .debug).text)
            }
        } catch let error as SegflowError {
            exitReporting(error)
        }
    }
}

/// One self-overwriting line on stderr while the input is read: percent and rows/s.
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let started = Date()
    private let shown = Mutex(false)

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ progress: IngestProgress) {
        guard enabled else { return }
        let seconds = max(Date().timeIntervalSince(started), 1e-3)
        let percent = progress.fileBytesTotal > 0 ? 100 * Double(progress.fileBytesRead) / Double(progress.fileBytesTotal) : 0
        let line = String(
            format: "\rreading %5.1f%%  %@ rows  %@ rows/s ", percent,
            Formatting.count(progress.records), Formatting.count(Int(Double(progress.records) / seconds)))
        FileHandle.standardError.write(Data(line.utf8))
        shown.withLock { $0 = true }
    }

    func finish() {
        guard shown.withLock({ $0 }) else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
