import Foundation
import Ingest
import Churn
import DatabaseExport
import Export
import Features
@testable import Pipeline
import Segmentation
import SegflowCore
import Testing
import TestSupport

let validPipeline = """
    name: t
    inputs:
      transactions:
        path: data.csv
        columns: {customer: customer_id, order: order_id, time: ts, amount: amount}
    outputs: {directory: out,
      files: [{customers: customers.csv}]}

    """

func parse(_ yaml: String) throws -> PipelineFile {
    try PipelineFile.parse(yaml, path: "p.yaml", fingerprint: "0")
}

/// The whole text of the diagnostics a pipeline file gets, or "" when it loads.
func diagnostics(_ yaml: String) -> String {
    do {
        _ = try parse(yaml)
        return ""
    } catch {
        return String(describing: error)
    }
}

/// (pipeline file, exact diagnostics): each class of config error with its position.
let configErrorCases: [(yaml: String, expected: String)] = [
    (validPipeline.replacingOccurrences(of: "name: t", with: "nmae: t"),
     "p.yaml:1:1: error: unknown key 'nmae' at the top level; did you mean 'name'?\n"
     + "p.yaml:1:1: error: missing required key 'name' at the top level\n  hint: add it, for example: name: retail-nightly"),
    (validPipeline + "clean:\n  dedup: order\n",
     "p.yaml:9:3: error: unknown key 'dedup' in 'clean'; did you mean 'dedupe'?"),
    (validPipeline + "clean:\n  returns: nett\n",
     "p.yaml:9:12: error: 'clean.returns' cannot be 'nett'; did you mean 'net'?\n  hint: choose one of: net, drop, keep"),
    (validPipeline + "clean:\n  max_rejected: lots\n",
     "p.yaml:9:17: error: 'clean.max_rejected' must be a row count (e.g. 100) or a percentage (e.g. 0.1%)"),
    (validPipeline + "clean:\n  winsorize: 2\n",
     "p.yaml:9:14: error: 'clean.winsorize' must be between 0.5 and 1.0, got 2"),
    (validPipeline + "clean:\n  date_range: {from: 2024-05-01, to: 2024-01-01}\n",
     "p.yaml:9:15: error: 'clean.date_range.from' is after 'clean.date_range.to'\n  hint: swap the two dates"),
    (validPipeline + "churn: {purchase_model: pareto}\n",
     "p.yaml:8:25: error: 'churn.purchase_model' cannot be 'pareto'\n  hint: choose one of: bgnbd, pareto_nbd"),
    (validPipeline + "as_of: yesterday\n",
     "p.yaml:8:8: error: 'as_of' must be a date written YYYY-MM-DD"),
    (validPipeline + "features: [recency, frequncy]\n",
     "p.yaml:8:21: error: 'features' cannot be 'frequncy'; did you mean 'frequency'?\n  hint: choose one of: recency, frequency, monetary, tenure, interpurchase, current_value, trend"),
    (validPipeline.replacingOccurrences(of: "order: order_id, ", with: "order: order_id, colour: x, "),
     "p.yaml:5:55: error: unknown key 'colour' in 'inputs.transactions.columns'\n  hint: known keys: customer, order, time, amount"),
    (validPipeline.replacingOccurrences(of: "    path: data.csv\n", with: ""),
     "p.yaml:4:5: error: missing required key 'path' in 'inputs.transactions'\n  hint: add it, for example: path: SampleData/transactions.csv"),
    (validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{report: r.html}"),
     "p.yaml:7:12: error: 'outputs.files' cannot be 'report'\n  hint: choose one of: customers, segments"),
    (validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{customers: c.xlsx}"),
     "p.yaml:7:23: error: 'outputs.files.path' must end in .csv or .jsonl, got 'c.xlsx'\n  hint: the extension chooses the format"),
    (validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{table: customers, path: '../c.csv'}"),
     "p.yaml:7:36: error: 'outputs.files.path' must be relative and stay inside the run directory, got '../c.csv'\n"
     + "  hint: set outputs.directory to move the whole run"),
    (validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{table: customers, path: c.csv, split_by: status}"),
     "p.yaml:7:36: error: 'outputs.files.path' must contain {value} when split_by is set, e.g. by_segment/{value}.csv"),
    (validPipeline + "inputs: {}\n",
     "p.yaml:2:1: error: key 'inputs' appears twice in the same mapping\n  hint: keep one of them"),
    (validPipeline + "clean: [\n",
     "p.yaml:9:1: error: YAML syntax: did not find expected node content\n  hint: check indentation and quoting around this position"),
    (validPipeline.replacingOccurrences(of: "columns:", with: "time_format: weekly\n    columns:"),
     "p.yaml:5:18: error: 'inputs.transactions.time_format' cannot be 'weekly'\n  hint: use iso8601, date, epoch_seconds, or a pattern such as '%d/%m/%Y %H:%M'"),
    (validPipeline.replacingOccurrences(of: "order: order_id", with: "order: customer_id"),
     "p.yaml:5:14: error: column 'customer_id' is mapped to both 'customer' and 'order' in 'inputs.transactions.columns'\n"
     + "  hint: each of customer, order, time and amount needs its own column"),
    (validPipeline + "segment:\n  rfm: {bins: 4}\n",
     "p.yaml:9:15: error: the default RFM segment map is for 5 bins; with 4 bins list 'segment.rfm.segments'\n"
     + "  hint: see docs/segmentation.md for the default map to adapt"),
    (validPipeline + "segment:\n  rfm:\n    segments:\n      - {name: Top, r: 5, f: 1-5}\n",
     "p.yaml:11:7: error: 'segment.rfm.segments' leaves 20 cells of the r x f grid without a segment: "
     + "r=1 f=1, r=1 f=2, r=1 f=3, r=1 f=4, r=1 f=5, r=2 f=1, r=2 f=2, r=2 f=3\n"
     + "  hint: add a rule without 'm' that covers them, e.g. a last catch-all '{name: Other, r: 1-5, f: 1-5}'"),
    (validPipeline + "segment:\n  rfm:\n    segments:\n      - {name: Top, r: 6, f: 1-5}\n",
     "p.yaml:11:24: error: 'segment.rfm.segments.r' must be a score or a range of scores within 1-5, e.g. 4-5"),
    (validPipeline + "segment:\n  value: {tiers: [0.5, 0.2]}\n",
     "p.yaml:9:18: error: 'segment.value.tiers' must be increasing shares between 0 and 1, e.g. [0.2, 0.5]\n"
     + "  hint: [0.2, 0.5] makes the top 20% tier A, the next 30% tier B and the rest tier C"),
    (validPipeline + "segment:\n  lifecycle: {active_within_days: 400}\n",
     "p.yaml:9:14: error: 'segment.lifecycle' thresholds must grow: active_within_days <= at_risk_within_days <= lapsed_within_days"),
    (validPipeline + "segment:\n  value: {measure: futur}\n",
     "p.yaml:9:20: error: 'segment.value.measure' cannot be 'futur'\n  hint: choose one of: historical, current"),
    (validPipeline.replacingOccurrences(of: "customers.csv}]}", with: "customers.csv}],\n  databases: [{sqlite: a.db, postgres: {database: d, user: u}, tables: [{table: customers, name: c}]}]}"),
     "p.yaml:8:15: error: each entry of 'outputs.databases' needs exactly one of 'sqlite' or 'postgres'\n"
     + "  hint: e.g. '- sqlite: out/segments.sqlite' or '- postgres: {database: crm, user: segflow, password_env: SEGFLOW_PG_PASSWORD}'"),
    (validPipeline.replacingOccurrences(of: "customers.csv}]}", with: "customers.csv}],\n  databases: [{sqlite: a.db, tables: [{table: customers, name: 'c; drop table x'}]}]}"),
     "p.yaml:8:64: error: 'outputs.databases.tables.name' must be letters, digits and _, starting with a letter, at most 40 characters; "
     + "got 'c; drop table x'"),
    (validPipeline.replacingOccurrences(of: "customers.csv}]}", with: "customers.csv}],\n  databases: [{postgres: {database: d, user: u, password_env: 'hunter2!'}, tables: []}]}"),
     "p.yaml:8:63: error: 'outputs.databases.postgres.password_env' must name an environment variable in capitals, such as SEGFLOW_PG_PASSWORD\n"
     + "  hint: the password itself never goes in the pipeline file; if it was there, change it\n"
     + "p.yaml:8:84: error: 'outputs.databases.tables' is empty\n  hint: add '- {table: customers, name: segflow_customers}'"),
    (validPipeline.replacingOccurrences(of: "customers.csv}]}", with: "customers.csv}],\n  databases: [{sqlite: a.db, tables: [{table: segments, name: s}]}]}"),
     "p.yaml:6:10: error: output table 's' of the 'segments' table needs 'segment.kmeans' to know the clusters\n"
     + "  hint: add a 'segment: {kmeans: {k: 6}}' section, or remove the export"),
]

@Suite struct PipelineFileTests {
    @Test func minimalFileGetsDocumentedDefaults() throws {
        let pipeline = try parse(validPipeline)
        #expect(pipeline.name == "t")
        #expect(pipeline.asOf == .latest)
        #expect(pipeline.dedupe == .order)
        #expect(pipeline.returns == .net)
        #expect(pipeline.maxRejected == .count(0))
        #expect(pipeline.features == FeatureGroup.allCases)
        #expect(pipeline.transactions.timeFormat == .iso8601)
        #expect(pipeline.transactions.separator == .byte(UInt8(ascii: ",")))
        #expect(pipeline.transactions.hasHeader)
        #expect(pipeline.outputs.directory == "out" && pipeline.outputs.keepRuns == 10)
        #expect(pipeline.outputs.files == [ExportSpec(source: .customers, path: "customers.csv", format: .csv(protectFormulas: true))])
    }

    @Test func everyOptionDecodes() throws {
        let pipeline = try parse("""
            name: full
            as_of: 2026-11-21
            inputs:
              transactions:
                path: data.csv.gz
                columns: {customer: c, time: t, amount: a}
                time_format: '%d/%m/%Y'
                delimiter: ;
            clean:
              dedupe: row
              returns: drop
              max_rejected: 0.5%
              date_range: {from: 2020-01-01, to: 2026-06-30}
              winsorize: 0.99
            features: [monetary, recency]
            outputs:
              directory: x
              keep_runs: 3
              protect_formulas: false
              files:
                - customers: c.csv
                - table: customers
                  path: by_status/{value}.jsonl
                  split_by: status
                  columns: [customer_id, status]
                  rename: {customer_id: id}
            """)
        #expect(pipeline.outputs.keepRuns == 3)
        #expect(pipeline.outputs.files == [
            ExportSpec(source: .customers, path: "c.csv", format: .csv(protectFormulas: false)),
            ExportSpec(source: .customers, path: "by_status/{value}.jsonl", format: .jsonLines, columns: ["customer_id", "status"],
                       rename: ["customer_id": "id"], splitBy: "status"),
        ])
        #expect(pipeline.asOf == .day(CivilTime.daysFromCivil(year: 2026, month: 11, day: 21)))
        #expect(pipeline.transactions.columns.order == nil)
        #expect(pipeline.transactions.separator == .byte(UInt8(ascii: ";")))
        #expect(pipeline.transactions.timeFormat == .pattern(try TimePattern("%d/%m/%Y")))
        #expect(pipeline.dedupe == .row)
        #expect(pipeline.returns == .drop)
        #expect(pipeline.maxRejected == .fraction(0.005))
        #expect(pipeline.dateRange == CivilTime.daysFromCivil(year: 2020, month: 1, day: 1)...CivilTime.daysFromCivil(year: 2026, month: 6, day: 30))
        #expect(pipeline.winsorizeQuantile == 0.99)
        #expect(pipeline.features == [.monetary, .recency])
    }

    @Test(arguments: configErrorCases)
    func reportsConfigErrors(yaml: String, expected: String) {
        #expect(diagnostics(yaml) == expected)
    }

    @Test func reportsEveryProblemAtOnceInFileOrder() {
        let text = diagnostics(validPipeline + "clean:\n  dedup: order\n  returns: nett\nfeatures: [x]\n")
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("p.yaml") }.map { $0.prefix(11) }
        #expect(lines == ["p.yaml:9:3:", "p.yaml:10:1", "p.yaml:11:1"])
        #expect(text.contains("p.yaml:10:12: error: 'clean.returns'"))
    }

    @Test func segmentSectionDecodes() throws {
        let pipeline = try parse(validPipeline + """
            segment:
              rfm:
                segments:
                  - {name: Best, r: 4-5, f: 4-5}
                  - {name: Rest, r: 1-5, f: 1-5}
              value: {measure: current, tiers: [0.1, 0.4, 0.8], current_window_days: 30}
              lifecycle: {new_within_days: 14, trend_window_days: 90, growth_ratio: 2}
            """)
        let rules = try #require(pipeline.segmentation)
        #expect(rules.rfmSegments.map(\.name) == ["Best", "Rest"])
        #expect(rules.valueMeasure == .current)
        #expect(rules.tierCutoffs == [0.1, 0.4, 0.8])
        #expect(rules.lifecycle.newWithinDays == 14)
        #expect(rules.lifecycle.growthRatio == 2)
        #expect(pipeline.featureWindows == FeatureWindows(currentValueDays: 30, trendDays: 90))
        #expect(try parse(validPipeline).segmentation == nil)
    }

    @Test func kmeansSectionDecodes() throws {
        let pipeline = try parse(validPipeline + """
            segment:
              kmeans:
                features: [frequency, {name: monetary_mean, transform: log1p, scaling: robust, weight: 2}]
                k: auto
                k_range: [3, 9]
                restarts: 2
                seed: 7
                precision: float64
                algorithm: minibatch
                batch_size: 2048
            """)
        let rules = try #require(pipeline.segmentation?.clustering)
        #expect(rules.features == [ClusteringFeature(name: "frequency"),
                                   ClusteringFeature(name: "monetary_mean", transform: .log1p, scaling: .robust, weight: 2)])
        #expect(rules.clusterCount == .auto(3...9))
        #expect(rules.restarts == 2)
        #expect(rules.seed == 7)
        #expect(rules.precision == .float64)
        #expect(rules.algorithm == .miniBatch(batchSize: 2048))
        let fixed = try parse(validPipeline + "segment:\n  kmeans: {k: 4, k_range: [2, 5]}\n")
        #expect(fixed.segmentation?.clustering?.clusterCount == .fixed(4))
        #expect(fixed.warnings.map(\.message) == ["'segment.kmeans.k_range' is not used: k is fixed at 4"])
    }

    @Test func churnSectionDecodes() throws {
        let pipeline = try parse(validPipeline + """
            churn:
              model: none
              horizon: 13w
              time_unit: day
              purchase_model: pareto_nbd
              penalizer: 0.01
              clv: {months: 24, monthly_discount_rate: 0.02, margin: 0.25}
              risk: {medium: 0.2, high: 0.5, c: 0.5}
            """)
        let rules = try #require(pipeline.churn)
        #expect(!rules.classifier)
        #expect(rules.horizonDays == 91)
        #expect(rules.unitDays == 1)
        #expect(rules.purchaseModel == .paretoNBD)
        #expect(rules.penalizer == 0.01)
        #expect(rules.clvMonths == 24 && rules.monthlyDiscountRate == 0.02 && rules.margin == 0.25)
        #expect(rules.mediumRisk == 0.2 && rules.highRisk == 0.5 && rules.inverseRegularization == 0.5)
    }

    @Test func configErrorsAreOfKindConfig() {
        #expect(throws: SegflowError.self) { try parse("name: [") }
        do { _ = try parse("name: x\n") } catch let error as SegflowError { #expect(error.kind == .config) } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func databasesSectionDecodes() throws {
        let yaml = validPipeline.replacingOccurrences(of: "customers.csv}]}", with: """
            customers.csv}],
              databases: [
                {sqlite: out/s.sqlite, tables: [{table: customers, name: customers}]},
                {postgres: {host: db.internal, port: 6432, database: crm, user: segflow, password_env: SEGFLOW_PG_PASSWORD,
                            schema: marketing, tls: require, lock_timeout_seconds: 300},
                 tables: [{table: customers, name: segflow_customers, columns: [customer_id, clv], rename: {customer_id: id}}]}]}
            """)
        let databases = try parse(yaml).outputs.databases
        #expect(databases.count == 2)
        #expect(databases[0] == DatabaseTarget(connection: .sqlite(path: "out/s.sqlite"), tables: [DatabaseTableSpec(source: .customers, name: "customers")]))
        var settings = PostgresSettings(database: "crm", user: "segflow")
        settings.host = "db.internal"
        settings.port = 6432
        settings.passwordVariable = "SEGFLOW_PG_PASSWORD"
        settings.schema = "marketing"
        settings.tls = .require
        settings.lockTimeoutSeconds = 300
        #expect(databases[1].connection == .postgres(settings))
        #expect(databases[1].tables == [DatabaseTableSpec(source: .customers, name: "segflow_customers",
                                                          selection: ColumnSelection(columns: ["customer_id", "clv"], rename: ["customer_id": "id"]))])
        #expect(databases[1].displayName == "postgres segflow@db.internal:6432/crm")
    }

    /// Every key the validator accepts is documented in docs/pipeline-file.md.
    @Test func everyKeyIsDocumented() throws {
        let docs = try String(contentsOfFile: "docs/pipeline-file.md", encoding: .utf8)
        for (section, table) in PipelineFile.keyTables {
            for key in table.allowed {
                let path = section.isEmpty ? key : "\(section).\(key)"
                #expect(docs.contains("`\(path)`"), "docs/pipeline-file.md does not document `\(path)`")
            }
        }
    }
}
