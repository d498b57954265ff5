import Churn
import DatabaseExport
import Export
import Features
import Foundation
import History
import Ingest
import Personas
import Report
import RunRecords
import SegflowCore
import Segmentation

/// Publishes what a run's stages made: the export files, the run's own files (rejected rows,
/// assignments, migration, model report, manifest, run record, report page), the database
/// tables and the metrics. Every file is written into the run's staging directory; databases
/// swap after every file is complete; then the run is published at once.
struct RunPublisher {
    let pipeline: PipelineFile
    let runs: RunDirectory
    let started: Date
    let experiment: PipelineRunner.Experiment?
    /// Read when the run starts, so a missing password fails it before its work, not after.
    private let passwords: [Int: String]

    init(pipeline: PipelineFile, runs: RunDirectory, started: Date, experiment: PipelineRunner.Experiment?) throws {
        self.pipeline = pipeline
        self.runs = runs
        self.started = started
        self.experiment = experiment
        self.passwords = experiment == nil ? try Self.databasePasswords(pipeline) : [:]
    }

    /// An experiment loads no database; one stopped early writes none of `outputs.files`
    /// either (their columns may not exist yet).
    private var databases: [DatabaseTarget] { experiment == nil ? pipeline.outputs.databases : [] }
    private var files: [ExportSpec] { experiment?.until == nil ? pipeline.outputs.files : [] }

    /// Publishes the run, unless a guard refuses `totals` (taken before the stage inputs
    /// were let go).
    func publish(_ context: inout RunContext, totals: Manifest.Totals) throws -> RunOutcome {
        var clock = StageClock()
        guard let ingested = context.ingested else { preconditionFailure("publishing follows the ingest stage") }
        let customers = context.customers
        let previousRunID = runs.currentRun()
        if experiment == nil { try checkGuards(totals, previousRunID: previousRunID, warnings: &context.warnings) }
        let runID = runs.newRunID(at: started)
        let staged = try runs.begin(runID: runID)
        var written: [Manifest.Output] = []
        var fileSeconds: [String: Double] = [:]
        func write(_ path: String, _ table: Table, as format: TableFormat = .csv(protectFormulas: true), name: String) throws {
            var fileClock = StageClock()
            try staged.write(path) { try TableWriter.write(table, as: format, to: $0) }
            fileSeconds[path] = fileClock.lap()
            written.append(Manifest.Output(name: name, path: path, rows: table.rowCount))
        }
        func write(_ path: String, bytes: [UInt8], name: String) throws {
            try staged.write(path) { try $0.write(bytes: bytes) }
            written.append(Manifest.Output(name: name, path: path, rows: 1))
        }
        let assignments = Assignments(customers: customers)
        let summary = DimensionSummary(customers: customers, assignments: assignments)
        let nps = context.npsMinRespondents.map {
            NPSSummary(customers: customers, assignments: assignments, minRespondents: $0, attributes: groupingAttributes)
        }
        let tables: [ExportSpec.Source: Table] = [
            .customers: customers,
            .segments: ClusterStage.segmentsTable(
                context.clustering?.profiles ?? [], features: FeatureDescriptor.numericNames(pipeline.sections.lineColumns)), .summary: summary.table,
            .affinity: context.affinityTable ?? Table(rowCount: 0), .nps: nps?.table ?? Table(rowCount: 0),
        ]
        try write(RunFiles.summary, tables[.summary]!, name: "summary")
        if nps != nil { try write(RunFiles.nps, tables[.nps]!, name: "nps") }
        let personas = pipeline.segment.map { _ in personaProfiles(customers, assignments) }
        if let personas { try write(RunFiles.personas, personas.table, name: "personas") }
        for spec in files {
            // The columns were checked against the schema when the file was loaded.
            for file in try spec.files(of: tables[spec.source]!) {
                try write(file.path, file.table, as: spec.format, name: spec.source.rawValue)
            }
        }
        let resolved = "# as_of in this run: \(CivilTime.dateString(days: context.asOfDay))\n" + pipeline.resolvedText
        try write(RunFiles.pipeline, bytes: Array(resolved.utf8), name: "pipeline")
        if let churnReport = context.churnReport {
            try write(RunFiles.modelReport, bytes: [UInt8](try JSONOutput.encode(churnReport)), name: "model_report")
        }
        if let clusterModel = context.clustering?.model {
            try write(RunFiles.clusterModel, bytes: [UInt8](try JSONOutput.encode(clusterModel)), name: "cluster_model")
        }
        try write(RunFiles.rejected, Self.rejectedTable(ingested.rejected), name: "rejected")
        for input in context.sideInputs {
            try write(input.rejectedFile, Self.rejectedTable(input.rejected), name: "rejected_\(input.manifest.name)")
        }
        if let ignored = context.ignoredReferrals {
            try write(RunFiles.ignoredReferrals, Self.rejectedTable(ignored), name: "ignored_referrals")
        }
        // Read back by the next run, never opened in a spreadsheet: ids are stored as they are.
        try write(RunFiles.assignments, assignments.table, as: .csv(protectFormulas: false), name: "assignments")
        var migration: Migration?
        if let previousRunID {
            let previousPath = "\(runs.runsPath)/\(previousRunID)/\(RunFiles.assignments)"
            if let previous = try? Assignments.read(path: previousPath) {
                migration = Migration(from: previous, to: assignments)
            } else {
                context.warnings.append(
                    .warning(at: SourceLocation(file: previousPath), "the previous run has no readable assignments: no migration this time"))
            }
        }
        if let migration {
            try write(RunFiles.migration, migration.flowTable, name: "migration")
            try write(RunFiles.movers, migration.moverTable, name: "movers")
        }
        context.stageReports.append(StageReport(stage: "export", rowsIn: customers.rowCount, rowsOut: customers.rowCount, seconds: clock.lap()))
        let stagedDatabases = try stageDatabases(tables)
        defer { for database in stagedDatabases { database.tables.discard() } }
        if !databases.isEmpty {
            let rows = stagedDatabases.flatMap(\.loaded).reduce(0) { $0 + $1.rows }
            context.stageReports.append(StageReport(stage: "database_load", rowsIn: rows, rowsOut: rows, seconds: clock.lap()))
        }

        var manifest = self.manifest(context, ingested: ingested, outputs: written, migration: migration)
        manifest.totals = totals
        manifest.experiment = experiment.map { $0.until.map { "until \($0)" } ?? "all stages" }
        if !stagedDatabases.isEmpty { manifest.databaseTables = stagedDatabases.flatMap(\.loaded) }
        try staged.write(RunFiles.manifest) { try $0.write(bytes: [UInt8](try manifest.encoded())) }
        let record = RunRecord(
            runID: runID, previousRunID: previousRunID, startedAt: ISO8601DateFormatter().string(from: started),
            totalSeconds: Date().timeIntervalSince(started),
            stageSeconds: Dictionary(uniqueKeysWithValues: context.stageReports.map { ($0.stage, $0.seconds) }),
            fileSeconds: fileSeconds)
        try staged.write(RunFiles.run) { try $0.write(bytes: [UInt8](try JSONOutput.encode(record))) }
        let report = reportContent(
            context, manifest: manifest, record: record, rejected: ingested.rejected, migration: migration, summary: summary, nps: nps,
            personas: personas)
        try staged.write(RunFiles.report) { try $0.write(RunReportPage.html(report)) }
        // Databases swap after every file is complete and synced, and before the files are
        // published: a failed swap leaves `current` on the previous run.
        FaultInjection.point("before-database-swap")
        try Interruption.publishing(runID: runID) {
            for (index, database) in stagedDatabases.enumerated() {
                try databaseStep(index) { try database.tables.publish() }
            }
            try staged.publish()
        }
        runs.prune(keeping: pipeline.outputs.keepRuns)
        if experiment == nil { writeMetrics(manifest: manifest, record: record, warnings: &context.warnings) }
        return RunOutcome(
            manifest: manifest, record: record, runDirectory: staged.publishedPath, migration: migration,
            warnings: context.warnings)
    }

    /// The run is published: a failure from here on is a warning, so the exit code does not
    /// say "nothing was published" about a run that was.
    private func writeMetrics(manifest: Manifest, record: RunRecord, warnings: inout [Diagnostic]) {
        let metrics = RunMetrics(pipeline: pipeline.name, manifest: manifest, record: record, finishedAt: Date())
        let metricsPath = "\(runs.root)/metrics.prom"
        do {
            try OutputTransaction.write(metricsPath, bytes: Array(metrics.text.utf8))
        } catch {
            let reason = (error as? SegflowError)?.diagnostics.first?.message ?? "\(error)"
            warnings.append(
                .warning(
                    at: SourceLocation(file: metricsPath), "the run was published, but its metrics could not be written: \(reason)",
                    hint: "metrics.prom still describes the previous run; fix the file or directory at this path before the next run"))
        }
    }

    /// Refuses the run, before anything is staged, when a guard of `outputs.guards` fails.
    private func checkGuards(_ totals: Manifest.Totals, previousRunID: String?, warnings: inout [Diagnostic]) throws {
        var previous: Manifest.Totals?
        if let previousRunID {
            let path = "\(runs.runsPath)/\(previousRunID)/\(RunFiles.manifest)"
            previous = (try? Data(contentsOf: URL(fileURLWithPath: path))).flatMap { try? Manifest.decode($0) }?.totals
            let guards = pipeline.outputs.guards
            if previous == nil, guards.maxCustomerChange != nil || guards.maxRevenueChange != nil {
                warnings.append(
                    .warning(
                        at: SourceLocation(file: path),
                        "the previous run's manifest has no totals (written by an older segflow, or unreadable): "
                            + "the change guards were not checked this time"))
            }
        }
        let refusals = pipeline.outputs.guards.refusals(totals, previous: previous, pipeline: pipeline)
        if !refusals.isEmpty { throw SegflowError(.refused, refusals) }
    }

    private func manifest(_ context: RunContext, ingested: IngestResult, outputs: [Manifest.Output], migration: Migration?) -> Manifest {
        let churn = context.churnReport
        return Manifest(
            segflowVersion: SegflowVersion.current,
            pipeline: .init(name: pipeline.name, path: pipeline.path, xxh64: pipeline.fingerprint),
            asOf: CivilTime.dateString(days: context.asOfDay),
            inputs: [
                .init(
                    name: "transactions", path: pipeline.transactions.path, bytes: ingested.fileBytes,
                    xxh64: ingested.fingerprint, records: ingested.recordCount, rejected: ingested.rejected.count)
            ] + context.sideInputs.map(\.manifest),
            stages: context.stageReports, rejectedRows: ingested.rejected.count, outputs: outputs,
            randomSeeds: pipeline.segment?.kmeans.map { ["kmeans": $0.rules.seed] } ?? [:],
            segmentation: context.segmentationSummary, clustering: context.clusteringSummary,
            affinity: context.affinitySummary, referrals: context.referralSummary,
            churn: churn.map { report in
                Manifest.Churn(
                    purchaseModel: report.purchaseModel, parameters: report.parameters, logLikelihood: report.logLikelihood,
                    horizonDays: report.horizonDays, rocAUC: report.classifierEvaluation?.rocAUC,
                    logLoss: report.classifierEvaluation?.logLoss, brierScore: report.classifierEvaluation?.brierScore,
                    topDecileLift: report.classifierEvaluation?.topDecileLift,
                    topDecileCapture: report.classifierEvaluation?.topDecileCapture, warnings: report.warnings,
                    population: report.classifierEvaluation == nil ? nil : report.population,
                    populationCustomers: report.classifierEvaluation == nil ? nil : report.populationCustomers,
                    baselineRocAUC: report.baselineEvaluation?.rocAUC,
                    nextPurchaseHoldoutShare: report.nextPurchaseHoldout?.shareBoughtByDate)
            },
            migration: migration.map {
                Manifest.Migration(
                    newCustomers: $0.newCustomers, goneCustomers: $0.goneCustomers,
                    unchangedCustomers: $0.unchangedCustomers, movers: $0.movers.count)
            })
    }

    private func reportContent(
        _ context: RunContext, manifest: Manifest, record: RunRecord, rejected: [RejectedRow],
        migration: Migration?, summary: DimensionSummary, nps: NPSSummary?, personas: PersonaProfiles?
    ) -> ReportContent {
        var report = ReportContent(manifest: manifest, record: record)
        report.personas = personas
        report.rejectedByReason =
            Self.rejectedByReason(rejected)
            + context.sideInputs.flatMap { input in Self.rejectedByReason(input.rejected).map { ("\(input.manifest.name): \($0.reason)", $0.rows) } }
        report.nps = nps
        report.paretoCurve = context.paretoCurve
        report.segmentValues = context.segmentValues
        if let profiles = context.clustering?.profiles {
            report.clusterFeatureNames = FeatureDescriptor.numericNames(pipeline.sections.lineColumns).filter { name in
                profiles.first?.features.contains { $0.name == name } == true
            }
            report.clusteredFeatures = Set(pipeline.segment?.kmeans?.rules.features.map(\.name) ?? [])
            report.clusterZScores = profiles.map { profile in
                report.clusterFeatureNames.map { name in profile.features.first { $0.name == name }?.zScore ?? .nan }
            }
        }
        report.churn = context.churnReport
        report.migration = migration
        report.summary = summary
        report.affinityRules = context.strongestAffinityRules
        report.largestCascades = context.largestCascades
        if let bins = pipeline.segment?.rfm.bins, case .integer(let r)? = context.customers.column(named: "r_score")?.values,
            case .integer(let f)? = context.customers.column(named: "f_score")?.values
        {
            report.rfmGrid = [[Int]](repeating: [Int](repeating: 0, count: bins), count: bins)
            for (r, f) in zip(r, f) {
                if let r, let f { report.rfmGrid[Int(r) - 1][Int(f) - 1] += 1 }
            }
        }
        return report
    }

    /// The value of each PostgreSQL target's password variable, by target index.
    private static func databasePasswords(_ pipeline: PipelineFile) throws -> [Int: String] {
        var passwords: [Int: String] = [:]
        for (index, target) in pipeline.outputs.databases.enumerated() {
            guard case .postgres(let settings) = target.connection, let variable = settings.passwordVariable else { continue }
            guard let password = getenvString(variable), !password.isEmpty else {
                throw SegflowError(
                    .config, at: pipeline.location(of: "outputs.databases[\(index)].postgres.password_env"),
                    "outputs.databases[\(index)].postgres.password_env: the environment variable \(variable) is not set",
                    hint: "set \(variable) in the job's environment to the password of '\(settings.user)'; "
                        + "the password never goes in the pipeline file")
            }
            passwords[index] = password
        }
        return passwords
    }

    private struct StagedDatabase {
        var tables: any StagedTables
        var loaded: [Manifest.DatabaseTable]
    }

    /// Loads every database's tables under staging names; nothing is visible to readers yet.
    /// A failure discards what was staged in the databases before it.
    private func stageDatabases(_ tables: [ExportSpec.Source: Table]) throws -> [StagedDatabase] {
        var staged: [StagedDatabase] = []
        do {
            for (index, var target) in databases.enumerated() {
                if case .sqlite(let path) = target.connection, !path.hasPrefix("/") {
                    target.connection = .sqlite(path: "\(runs.root)/\(path)")
                }
                let loads = try target.tables.map { spec in try spec.load(from: tables[spec.source]!) }
                let tables = try databaseStep(index) {
                    try DatabaseExporter.stage(loads, into: target.connection, password: passwords[index])
                }
                staged.append(
                    StagedDatabase(
                        tables: tables,
                        loaded: zip(target.tables, loads).map { spec, load in
                            // As configured, so the manifest does not depend on --output.
                            Manifest.DatabaseTable(
                                database: pipeline.outputs.databases[index].displayName, table: load.name,
                                source: spec.source.rawValue, rows: load.table.rowCount)
                        }))
            }
        } catch {
            for database in staged { database.tables.discard() }
            throw error
        }
        return staged
    }

    /// A database step, its failure told with the target it concerns.
    private func databaseStep<T>(_ index: Int, _ step: () throws -> T) throws -> T {
        do {
            return try step()
        } catch let failure as DatabaseFailure {
            let target = pipeline.outputs.databases[index]
            throw SegflowError(
                .io, at: pipeline.location(of: "outputs.databases[\(index)]"),
                "outputs.databases[\(index)] (\(target.displayName)): \(failure.message)", hint: failure.hint)
        }
    }

    /// Rejected rows per reason, the reason cut before its first comma ("expected 5 fields").
    /// The customers file's category and flag attributes: groups of customers, as segments are.
    private var groupingAttributes: [String] {
        (pipeline.sections.inputs.customers?.attributes ?? []).filter { $0.kind == .category || $0.kind == .flag }.map(\.column)
    }

    /// A profile of every RFM segment and cluster; traits from the grouping attributes.
    private func personaProfiles(_ customers: Table, _ assignments: Assignments) -> PersonaProfiles {
        let groups = ["rfm_segment", "cluster"].compactMap { dimension in assignments.values[dimension].map { (dimension, $0) } }
        return PersonaProfiles(customers: customers, groups: groups, attributes: groupingAttributes)
    }

    static func rejectedByReason(_ rows: [RejectedRow]) -> [(reason: String, rows: Int)] {
        var counts: [String: Int] = [:]
        for row in rows { counts[String(row.reason.prefix { $0 != "," }), default: 0] += 1 }
        return counts.map { ($0.key, $0.value) }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
    }

    static func rejectedTable(_ rows: [RejectedRow]) -> Table {
        Table(
            rowCount: rows.count,
            columns: [
                Column("line", .integer(rows.map { Int64($0.line) })),
                Column("reason", .text(rows.map(\.reason))),
                Column("record", .text(rows.map(\.record))),
            ])
    }
}
