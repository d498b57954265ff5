import Export
import Foundation
import History
import Ingest
import RunRecords
import SegflowCore
import Segmentation

/// What a finished run produced, for the on-screen summary.
public struct RunOutcome: Sendable {
    public var manifest: Manifest
    public var record: RunRecord
    /// The published run directory, `DIR/runs/<run-id>`.
    public var runDirectory: String
    /// What changed since the previous run; nil for the first run.
    public var migration: Migration?
    /// What the run found worth telling but not worth failing for.
    public var warnings: [Diagnostic]
}

/// Runs a pipeline file: its stages in the order `PipelineFile.Sections.plan` gives, then
/// `RunPublisher` publishes what they made. The stages know nothing of files or of each other.
public struct PipelineRunner {
    public let pipeline: PipelineFile
    /// Replaces `outputs.directory` (`--output DIR`).
    public var outputDirectory: String?
    public var asOfOverride: Int64?
    public var progress: ((IngestProgress) -> Void)?
    /// `--experiment`: nil for a production run.
    public var experiment: Experiment?

    /// A run for tuning: published under `DIR/experiments/` with its own history, with no
    /// database load, no run guards and no metrics.prom, so production stays as it was; with
    /// `until`, the stages stop after that one and only the run's own files are written.
    public struct Experiment: Sendable {
        public var until: String?
        public init(until: String? = nil) { self.until = until }

        /// Where experiments go, beside the production runs.
        public static let directoryName = "experiments"
    }

    public init(
        pipeline: PipelineFile, outputDirectory: String? = nil, asOfOverride: Int64? = nil,
        progress: ((IngestProgress) -> Void)? = nil, experiment: Experiment? = nil
    ) {
        self.pipeline = pipeline
        self.outputDirectory = outputDirectory
        self.asOfOverride = asOfOverride
        self.progress = progress
        self.experiment = experiment
    }

    /// Where production runs are published, with `--output` applied.
    var productionRuns: RunDirectory { RunDirectory(root: outputDirectory ?? pipeline.outputs.directory) }

    /// Where this run is published: the production runs, or the experiments beside them.
    public var runs: RunDirectory {
        experiment == nil ? productionRuns : RunDirectory(root: "\(productionRuns.root)/\(Experiment.directoryName)")
    }

    /// The stages `--until` takes, in the order this file runs them.
    public var stageNames: [String] { pipeline.sections.plan.map(\.name) }

    public func run() throws -> RunOutcome {
        let started = Date()
        // Taken first, so an overlapping run fails at once instead of after its work.
        let lock = try RunLock(directory: runs)
        defer { withExtendedLifetime(lock) {} }
        if let until = experiment?.until, !stageNames.contains(until) {
            throw SegflowError(
                .config, at: SourceLocation(file: pipeline.path), "--until \(until): this pipeline has no such stage",
                hint: "choose one of: \(stageNames.joined(separator: ", "))")
        }
        let publisher = try RunPublisher(pipeline: pipeline, runs: runs, started: started, experiment: experiment)
        var context = RunContext(pipeline: pipeline, asOfOverride: asOfOverride, progress: progress)
        if pipeline.segment?.kmeans != nil { context.previousClusterModel = previousClusterModel(warnings: &context.warnings) }
        for stage in pipeline.sections.plan {
            var clock = StageClock()
            let reports = context.stageReports.count
            try stage.run(&context)
            let seconds = clock.lap()
            for index in reports..<context.stageReports.count { context.stageReports[index].seconds = seconds }
            assert(
                Array(context.customers.columnNames.suffix(stage.customerColumns.count)) == stage.customerColumns.map(\.name),
                "stage \(stage.name) added columns other than those it declared")
            if stage.name == experiment?.until { break }
        }
        let columnOrder = pipeline.sections.stagesInColumnOrder.flatMap(\.customerColumns).map(\.name)
        context.customers = context.customers.selecting(columns: columnOrder.filter { context.customers.column(named: $0) != nil })
        context.prospects?.append(to: &context.customers)
        let totals = Manifest.Totals(customers: context.customers.rowCount, revenue: context.features.monetaryTotal.reduce(0, +))
        context.releaseStageInputs()
        return try publisher.publish(&context, totals: totals)
    }
}

extension PipelineRunner {
    /// The cluster model of the published run, read before the stages so that the cluster
    /// stage stays free of files. A first run, or a run before segflow kept models, has none.
    /// An experiment without a previous experiment continues production's clusters, so its
    /// ids compare with production's.
    func previousClusterModel(warnings: inout [Diagnostic]) -> ClusterModel? {
        guard let (runs, run) = [runs, productionRuns].lazy.compactMap({ runs in runs.currentRun().map { (runs, $0) } }).first
        else { return nil }
        let path = "\(runs.runsPath)/\(run)/\(RunFiles.clusterModel)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let data = FileManager.default.contents(atPath: path), let model = try? decoder.decode(ClusterModel.self, from: data) else {
            warnings.append(
                .warning(
                    at: SourceLocation(file: path), "the previous run's cluster model cannot be read: clusters are fitted anew, with new ids",
                    hint: "the file is written by segflow; if it was edited, restore it or let this run replace it"))
            return nil
        }
        return model
    }
}

/// Wall-clock seconds between laps, for per-stage timings.
struct StageClock {
    private var last = DispatchTime.now().uptimeNanoseconds

    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e9
    }
}
