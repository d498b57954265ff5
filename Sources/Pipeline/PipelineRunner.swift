import Churn
import Clean
import DatabaseExport
import Export
import Features
import Foundation
import History
import Report
import Ingest
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
    public var warnings: [Diagnostic]
}

/// Runs a pipeline file: ingest -> clean -> features -> export. All wiring of stages lives
/// here; the stages themselves know nothing of files or of each other.
public struct PipelineRunner {
    public let pipeline: PipelineFile
    /// Replaces `outputs.directory` (`--output DIR`).
    public var outputDirectory: String?
    public var asOfOverride: Int64?
    public var progress: ((IngestProgress) -> Void)?

    public init(pipeline: PipelineFile, outputDirectory: String? = nil, asOfOverride: Int64? = nil,
                progress: ((IngestProgress) -> Void)? = nil) {
        self.pipeline = pipeline
        self.outputDirectory = outputDirectory
        self.asOfOverride = asOfOverride
        self.progress = progress
    }

    /// Where runs are published, with `--output` applied.
    public var runs: RunDirectory { RunDirectory(root: outputDirectory ?? pipeline.outputs.directory) }

    public func run() throws -> RunOutcome {
        let started = Date()
        var stages: [StageReport] = []
        // Taken first, so an overlapping run fails at once instead of after its work.
        let lock = try RunLock(directory: runs)
        defer { withExtendedLifetime(lock) {} }
        var warnings = pipeline.warnings
        // Read now, so a missing password fails the run before its work, not after.
        let passwords = try databasePasswords()

        var clock = StageClock()
        let reader = TransactionReader(input: pipeline.transactions, budget: pipeline.maxRejected)
        var ingested = try reader.read(progress: progress)
        stages.append(StageReport(stage: "ingest", rowsIn: ingested.recordCount, rowsOut: ingested.transactions.count,
                                  seconds: clock.lap(), counts: [.init("rejected", ingested.rejected.count)]))
        // Hand the rows to cleaning and let go of them here, so only one copy is alive.
        let transactions = ingested.transactions
        ingested.transactions = TransactionTable()

        let asOfDay = try resolveAsOf(newestTime: ingested.newestTime)
        let rules = CleaningRules(cutoff: asOfDay * CivilTime.secondsPerDay, dateRange: pipeline.dateRange,
                                  returns: pipeline.returns, winsorizeQuantile: pipeline.winsorizeQuantile,
                                  dedupe: pipeline.dedupe)
        var (grouped, cleanReport) = Cleaner(rules: rules).clean(consume transactions)
        cleanReport.seconds = clock.lap()
        stages.append(cleanReport)

        let builder = FeatureBuilder(groups: pipeline.features, asOfDay: asOfDay,
                                     returnsArePurchases: pipeline.returns == .keep, windows: pipeline.featureWindows)
        var (features, featureReport) = builder.build(grouped)
        var customers = builder.table(features)
        featureReport.seconds = clock.lap()
        stages.append(featureReport)


        var segmentSummary: Manifest.Segmentation?
        var clustering: ClusteringResult?
        var clusteringSummary: Manifest.Clustering?
        var reportParts = ReportParts()
        if let rules = pipeline.segmentation {
            var (segments, segmentReport) = CustomerSegmenter(rules: rules).segment(features)
            let value = rules.valueMeasure == .historical ? features.monetaryTotal : features.currentValue
            reportParts.paretoCurve = CustomerValue.paretoCurve(value)
            reportParts.segmentValues = Self.segmentValues(segments.rfmSegment, features.monetaryTotal)
            for column in segments.columns { customers.append(column) }
            segmentReport.seconds = clock.lap()
            stages.append(segmentReport)
            segmentSummary = Manifest.Segmentation(
                pareto: segments.pareto,
                valueMeasure: rules.valueMeasure.rawValue,
                rfmSegments: CustomerSegments.counts(segments.rfmSegment).map { .init(name: $0.name, customers: $0.count) },
                valueTiers: CustomerSegments.counts(segments.valueTier).map { .init(name: $0.name, customers: $0.count) },
                lifecycleStages: CustomerSegments.counts(segments.lifecycleStage).map { .init(name: $0.name, customers: $0.count) },
                statuses: CustomerSegments.counts(segments.status).map { .init(name: $0.name, customers: $0.count) })
            if let clusteringRules = rules.clustering {
                var (result, report) = try runClustering(clusteringRules, features)
                customers.append(Column("cluster", .integer(result.labels.map { Int64($0) })))
                customers.append(Column("cluster_label", .text(result.clusterLabels)))
                report.seconds = clock.lap()
                stages.append(report)
                clusteringSummary = Manifest.Clustering(
                    k: result.clusterCount, rule: result.rule, seed: clusteringRules.seed, precision: clusteringRules.precision.rawValue,
                    inertia: result.inertia, iterations: result.iterations,
                    candidates: result.candidates.map { .init(k: $0.k, inertia: $0.inertia, silhouette: $0.silhouette) },
                    clusters: result.profiles.map { .init(cluster: $0.cluster, label: $0.label, customers: $0.customers,
                                                          share: $0.share, valueShare: $0.valueShare) },
                    note: result.note)
                clustering = result
            }
        }
        var churnReport: ChurnReport?
        if let rules = pipeline.churn {
            let (scores, report) = try runChurn(rules, grouped, features, builder)
            let horizon = rules.horizonDays
            customers.append(Column("p_alive", .real(scores.probabilityAlive)))
            customers.append(Column("expected_purchases_\(horizon)d", .real(scores.expectedPurchases)))
            customers.append(Column("clv", .real(scores.clv)))
            customers.append(Column("expected_next_purchase", .text(scores.expectedNextPurchase.map { $0.map(CivilTime.dateString) ?? "" })))
            if rules.classifier {
                customers.append(Column("churn_probability", .real(scores.churnProbability)))
                customers.append(Column("churn_risk", .text(scores.churnRisk)))
            }
            var counts = [StageReport.Count("customers_scored", features.count)]
            if rules.classifier {
                for level in ["high", "medium", "low"] { counts.append(.init("risk_\(level)", scores.churnRisk.filter { $0 == level }.count)) }
            }
            stages.append(StageReport(stage: "churn", rowsIn: features.count, rowsOut: features.count, seconds: clock.lap(), counts: counts))
            churnReport = report
        }
        grouped = CustomerTransactions(customerIDs: [], rowStart: [0], orderKey: [], time: [], amount: [])
        features = CustomerFeatures()

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
        func write(_ path: String, json: some Encodable, name: String) throws {
            let data = try JSONOutput.encode(json)
            try staged.write(path) { try $0.write(bytes: [UInt8](data)) }
            written.append(Manifest.Output(name: name, path: path, rows: 1))
        }
        let segmentsTable = Self.segmentsTable(clustering?.profiles ?? [])
        reportParts.rejectedByReason = Self.rejectedByReason(ingested.rejected)
        for (index, spec) in pipeline.outputs.files.enumerated() {
            let source = spec.source == .customers ? customers : segmentsTable
            for file in try selectingColumns(at: "outputs.files[\(index)]", of: spec.source, { try spec.files(of: source) }) {
                try write(file.path, file.table, as: spec.format, name: spec.source.rawValue)
            }
        }
        if let churnReport { try write(RunFiles.modelReport, json: churnReport, name: "model_report") }
        try write(RunFiles.rejected, Self.rejectedTable(ingested.rejected), name: "rejected")
        let assignments = Assignments(customers: customers)
        try write(RunFiles.assignments, assignments.table, name: "assignments")
        let previousRunID = runs.currentRun()
        var migration: Migration?
        if let previousRunID {
            let previousPath = "\(runs.runsPath)/\(previousRunID)/\(RunFiles.assignments)"
            if let previous = try? Assignments.read(path: previousPath) {
                migration = Migration(from: previous, to: assignments)
            } else {
                warnings.append(.warning(at: SourceLocation(file: previousPath), "the previous run has no readable assignments: no migration this time"))
            }
        }
        if let migration {
            try write(RunFiles.migration, migration.flowTable, name: "migration")
            try write(RunFiles.movers, migration.moverTable, name: "movers")
        }
        stages.append(StageReport(stage: "export", rowsIn: customers.rowCount, rowsOut: customers.rowCount, seconds: clock.lap()))
        let stagedDatabases = try stageDatabases(customers: customers, segments: segmentsTable, passwords: passwords)
        defer { for database in stagedDatabases { database.tables.discard() } }
        if !pipeline.outputs.databases.isEmpty {
            let rows = stagedDatabases.flatMap(\.loaded).reduce(0) { $0 + $1.rows }
            stages.append(StageReport(stage: "database_load", rowsIn: rows, rowsOut: rows, seconds: clock.lap()))
        }

        var manifest = Manifest(
            segflowVersion: SegflowVersion.current,
            pipeline: .init(name: pipeline.name, path: pipeline.path, xxh64: pipeline.fingerprint),
            asOf: CivilTime.dateString(days: asOfDay),
            inputs: [.init(name: "transactions", path: pipeline.transactions.path, bytes: ingested.fileBytes,
                           xxh64: ingested.fingerprint, records: ingested.recordCount, rejected: ingested.rejected.count)],
            stages: stages, rejectedRows: ingested.rejected.count, outputs: written,
            randomSeeds: pipeline.segmentation?.clustering.map { ["kmeans": $0.seed] } ?? [:],
            segmentation: segmentSummary, clustering: clusteringSummary,
            churn: churnReport.map { report in
                Manifest.Churn(purchaseModel: report.purchaseModel, parameters: report.parameters, logLikelihood: report.logLikelihood,
                               horizonDays: report.horizonDays, rocAUC: report.classifierEvaluation?.rocAUC,
                               logLoss: report.classifierEvaluation?.logLoss, brierScore: report.classifierEvaluation?.brierScore,
                               topDecileLift: report.classifierEvaluation?.topDecileLift,
                               topDecileCapture: report.classifierEvaluation?.topDecileCapture, warnings: report.warnings)
            },
            migration: migration.map { Manifest.Migration(newCustomers: $0.newCustomers, goneCustomers: $0.goneCustomers,
                                                           unchangedCustomers: $0.unchangedCustomers, movers: $0.movers.count) })
        if !stagedDatabases.isEmpty { manifest.databaseTables = stagedDatabases.flatMap(\.loaded) }
        try staged.write(RunFiles.manifest) { try $0.write(bytes: [UInt8](try manifest.encoded())) }
        let seconds = Date().timeIntervalSince(started)
        let record = RunRecord(runID: runID, previousRunID: previousRunID, startedAt: ISO8601DateFormatter().string(from: started),
                               totalSeconds: seconds, stageSeconds: Dictionary(uniqueKeysWithValues: stages.map { ($0.stage, $0.seconds) }),
                               fileSeconds: fileSeconds)
        try staged.write(RunFiles.run) { try $0.write(bytes: [UInt8](try JSONOutput.encode(record))) }
        var report = ReportContent(manifest: manifest, record: record)
        report.rejectedByReason = reportParts.rejectedByReason
        report.paretoCurve = reportParts.paretoCurve
        report.segmentValues = reportParts.segmentValues
        if let profiles = clustering?.profiles {
            report.clusterFeatureNames = CustomerFeatures.numericNames.filter { name in profiles.first?.features.contains { $0.name == name } == true }
            report.clusterZScores = profiles.map { profile in
                report.clusterFeatureNames.map { name in profile.features.first { $0.name == name }?.zScore ?? .nan }
            }
        }
        report.churn = churnReport
        report.migration = migration
        try staged.write(RunFiles.report) { try $0.write(RunReportPage.html(report)) }
        // Databases swap after every file is complete and synced, and before the files are
        // published: a failed swap leaves `current` on the previous run.
        FaultInjection.point("before-database-swap")
        for (index, database) in stagedDatabases.enumerated() {
            try databaseStep(index) { try database.tables.publish() }
        }
        try staged.publish()
        runs.prune(keeping: pipeline.outputs.keepRuns)
        let metrics = RunMetrics(pipeline: pipeline.name, manifest: manifest, record: record, finishedAt: Date())
        try OutputTransaction.write("\(runs.root)/metrics.prom", bytes: Array(metrics.text.utf8))
        return RunOutcome(manifest: manifest, record: record, runDirectory: staged.publishedPath, migration: migration, warnings: warnings)
    }

    /// The value of each PostgreSQL target's password variable, by target index.
    private func databasePasswords() throws -> [Int: String] {
        var passwords: [Int: String] = [:]
        for (index, target) in pipeline.outputs.databases.enumerated() {
            guard case .postgres(let settings) = target.connection, let variable = settings.passwordVariable else { continue }
            guard let password = getenvString(variable), !password.isEmpty else {
                throw SegflowError(.config, at: SourceLocation(file: pipeline.path),
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
    private func stageDatabases(customers: Table, segments: Table, passwords: [Int: String]) throws -> [StagedDatabase] {
        var staged: [StagedDatabase] = []
        do {
            for (index, var target) in pipeline.outputs.databases.enumerated() {
                if case .sqlite(let path) = target.connection, !path.hasPrefix("/") {
                    target.connection = .sqlite(path: "\(runs.root)/\(path)")
                }
                var loads: [TableLoad] = []
                for (tableIndex, spec) in target.tables.enumerated() {
                    loads.append(try selectingColumns(at: "outputs.databases[\(index)].tables[\(tableIndex)]", of: spec.source) {
                        try spec.load(from: spec.source == .customers ? customers : segments)
                    })
                }
                let tables = try databaseStep(index) {
                    try DatabaseExporter.stage(loads, into: target.connection, password: passwords[index])
                }
                staged.append(StagedDatabase(tables: tables, loaded: zip(target.tables, loads).map { spec, load in
                    // As configured, so the manifest does not depend on --output.
                    Manifest.DatabaseTable(database: pipeline.outputs.databases[index].displayName, table: load.name, source: spec.source.rawValue, rows: load.table.rowCount)
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
            throw SegflowError(.io, at: SourceLocation(file: pipeline.path),
                               "outputs.databases[\(index)] (\(target.displayName)): \(failure.message)", hint: failure.hint)
        }
    }

    /// What the report needs from stages whose inputs are released before export.
    private struct ReportParts {
        var paretoCurve: [(customerShare: Double, valueShare: Double)] = []
        var segmentValues: [(name: String, customers: Int, value: Double)] = []
        var rejectedByReason: [(reason: String, rows: Int)] = []
    }

    /// Customers and total value per RFM segment, largest segment first.
    static func segmentValues(_ segments: [String], _ values: [Double]) -> [(name: String, customers: Int, value: Double)] {
        var totals: [String: (customers: Int, value: Double)] = [:]
        for (segment, value) in zip(segments, values) {
            totals[segment, default: (0, 0)].customers += 1
            totals[segment, default: (0, 0)].value += value
        }
        return totals.map { ($0.key, $0.value.customers, $0.value.value) }.sorted { ($0.customers, $1.name) > ($1.customers, $0.name) }
    }

    /// Rejected rows per reason, the reason cut before its first comma ("expected 5 fields").
    static func rejectedByReason(_ rows: [RejectedRow]) -> [(reason: String, rows: Int)] {
        var counts: [String: Int] = [:]
        for row in rows { counts[String(row.reason.prefix { $0 != "," }), default: 0] += 1 }
        return counts.map { ($0.key, $0.value) }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
    }

    /// A file or table export's column selection, with a wrong column told in the pipeline
    /// file's terms: `key` is the export's key path, such as "outputs.files[2]".
    private func selectingColumns<T>(at key: String, of source: ExportSpec.Source, _ select: () throws -> T) throws -> T {
        do {
            return try select()
        } catch ColumnSelection.Failure.unknownColumn(let field, let name, let available) {
            let suggestion = Suggestion.closest(to: name, among: available)
            throw SegflowError(.config, at: SourceLocation(file: pipeline.path),
                               "\(key).\(field): the \(source.rawValue) table has no column '\(name)'"
                                   + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                               hint: "its columns: \(available.joined(separator: ", "))")
        }
    }

    private func resolveAsOf(newestTime: Int64?) throws -> Int64 {
        if let asOfOverride { return asOfOverride }
        switch pipeline.asOf {
        case .day(let day): return day
        case .latest:
            guard let newestTime else {
                throw SegflowError(.data, at: SourceLocation(file: pipeline.transactions.path),
                                   "no transaction was accepted, so 'as_of: latest' has no date",
                                   hint: "check the file and rejected rows, or set as_of to a date")
            }
            return CivilTime.day(ofSeconds: newestTime) + 1
        }
    }

    /// The churn stage with its failures told in the pipeline file's terms.
    private func runChurn(_ rules: ChurnRules, _ grouped: CustomerTransactions, _ features: CustomerFeatures,
                          _ builder: FeatureBuilder) throws -> (ChurnScores, ChurnReport) {
        do {
            return try ChurnAnalysis(rules: rules, features: builder).run(grouped, current: features)
        } catch let error as ChurnError {
            let hint: String
            switch error {
            case .tooLittleHistory: hint = "shorten churn.horizon, or move as_of later"
            case .fit: hint = "try churn.penalizer: 0.001, or check that customers make repeat purchases"
            }
            throw SegflowError(.data, at: SourceLocation(file: pipeline.path), "churn: \(error)", hint: hint)
        }
    }

    /// k-means with its failures told in the pipeline file's terms.
    private func runClustering(_ rules: ClusteringRules, _ features: CustomerFeatures) throws -> (ClusteringResult, StageReport) {
        let file = SourceLocation(file: pipeline.path)
        do {
            return try CustomerClustering(rules: rules).cluster(features)
        } catch ClusteringError.tooFewCustomers(let k, let count) {
            throw SegflowError(.config, at: file, "segment.kmeans.k: \(k) clusters asked for, but the run has only \(count) customers",
                               hint: "lower segment.kmeans.k (or the k_range), or check why so few customers survived cleaning")
        } catch ClusteringError.input(.notFinite(let feature, let count)) {
            throw SegflowError(.config, at: file,
                               "segment.kmeans.features: '\(feature)' has no value for \(count) customers (e.g. inter-purchase times need two purchases)",
                               hint: "cluster on features every customer has, such as recency_days, frequency, monetary_total, tenure_days")
        } catch ClusteringError.input(.transformDomain(let feature, let count)) {
            throw SegflowError(.config, at: file,
                               "segment.kmeans.features: log1p of '\(feature)' is undefined for \(count) customers with values <= -1 (net returns)",
                               hint: "use 'transform: none' with 'scaling: robust' for this feature")
        } catch ClusteringError.unknownFeature(let name) {
            throw SegflowError(.config, at: file, "segment.kmeans.features: no feature named '\(name)'")
        }
    }

    /// segments.csv: one row per cluster, then mean, median and z-score of every feature.
    static func segmentsTable(_ profiles: [ClusterProfile]) -> Table {
        var table = Table(rowCount: profiles.count, columns: [
            Column("cluster", .integer(profiles.map { Int64($0.cluster) })),
            Column("label", .text(profiles.map(\.label))),
            Column("customers", .integer(profiles.map { Int64($0.customers) })),
            Column("share", .real(profiles.map(\.share))),
            Column("value_share", .real(profiles.map(\.valueShare))),
        ])
        for name in CustomerFeatures.numericNames {
            func summary(_ profile: ClusterProfile) -> ClusterProfile.FeatureSummary? { profile.features.first { $0.name == name } }
            table.append(Column("\(name)_mean", .real(profiles.map { summary($0)?.mean ?? .nan })))
            table.append(Column("\(name)_median", .real(profiles.map { summary($0)?.median ?? .nan })))
            table.append(Column("\(name)_z", .real(profiles.map { summary($0)?.zScore ?? .nan })))
        }
        return table
    }

    static func rejectedTable(_ rows: [RejectedRow]) -> Table {
        Table(rowCount: rows.count, columns: [
            Column("line", .integer(rows.map { Int64($0.line) })),
            Column("reason", .text(rows.map(\.reason))),
            Column("record", .text(rows.map(\.record))),
        ])
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
