import Churn
import DatabaseExport
import Export
import Features
import Foundation
import Ingest
import SegflowCore
import Segmentation
import TestSupport
import Testing

@testable import Pipeline

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
    (
        validPipeline.replacingOccurrences(of: "name: t", with: "nmae: t"),
        "p.yaml:1:1: error: unknown key 'nmae' at the top level; did you mean 'name'?\n"
            + "p.yaml:1:1: error: missing required key 'name' at the top level\n  hint: add it, for example: name: retail-nightly"
    ),
    (
        validPipeline + "clean:\n  dedup: order\n",
        "p.yaml:9:3: error: unknown key 'dedup' in 'clean'; did you mean 'dedupe'?"
    ),
    (
        validPipeline + "clean:\n  returns: nett\n",
        "p.yaml:9:12: error: 'clean.returns' cannot be 'nett'; did you mean 'net'?\n  hint: choose one of: net, drop, keep"
    ),
    (
        validPipeline + "clean:\n  max_rejected: lots\n",
        "p.yaml:9:17: error: 'clean.max_rejected' must be a row count (e.g. 100) or a percentage (e.g. 0.1%)"
    ),
    (
        validPipeline + "clean:\n  winsorize: 2\n",
        "p.yaml:9:14: error: 'clean.winsorize' must be between 0.5 and 1.0, got 2"
    ),
    (
        validPipeline + "clean:\n  date_range: {from: 2024-05-01, to: 2024-01-01}\n",
        "p.yaml:9:15: error: 'clean.date_range.from' is after 'clean.date_range.to'\n  hint: swap the two dates"
    ),
    (
        validPipeline + "churn: {purchase_model: pareto}\n",
        "p.yaml:8:25: error: 'churn.purchase_model' cannot be 'pareto'\n  hint: choose one of: auto, bgnbd, mbgnbd, pareto_nbd"
    ),
    (
        validPipeline + "as_of: yesterday\n",
        "p.yaml:8:8: error: 'as_of' must be a date written YYYY-MM-DD"
    ),
    (
        validPipeline + "features: [recency, frequncy]\n",
        "p.yaml:8:21: error: 'features' cannot be 'frequncy'; did you mean 'frequency'?\n  hint: choose one of: recency, frequency, monetary, tenure, interpurchase, current_value, trend, categories, channels, stores, profit, units"
    ),
    (
        validPipeline.replacingOccurrences(of: "order: order_id, ", with: "order: order_id, colour: x, "),
        "p.yaml:5:55: error: unknown key 'colour' in 'inputs.transactions.columns'\n  hint: known keys: customer, order, time, amount, category, channel, store, quantity, cost, margin"
    ),
    (
        validPipeline.replacingOccurrences(of: "    path: data.csv\n", with: ""),
        "p.yaml:4:5: error: missing required key 'path' in 'inputs.transactions'\n  hint: add it, for example: path: SampleData/transactions.csv"
    ),
    (
        validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{report: r.html}"),
        "p.yaml:7:12: error: 'outputs.files' cannot be 'report'\n  hint: choose one of: customers, segments, summary, affinity, nps"
    ),
    (
        validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{customers: c.xlsx}"),
        "p.yaml:7:23: error: 'outputs.files.path' must end in .csv or .jsonl, got 'c.xlsx'\n  hint: the extension chooses the format"
    ),
    (
        validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{table: customers, path: '../c.csv'}"),
        "p.yaml:7:36: error: 'outputs.files.path' must be relative and stay inside the run directory, got '../c.csv'\n"
            + "  hint: set outputs.directory to move the whole run"
    ),
    (
        validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{table: customers, path: c.csv, split_by: status}"),
        "p.yaml:7:36: error: 'outputs.files.path' must contain {value} when split_by is set, e.g. by_segment/{value}.csv"
    ),
    (
        validPipeline + "inputs: {}\n",
        "p.yaml:2:1: error: key 'inputs' appears twice in the same mapping\n  hint: keep one of them"
    ),
    (
        validPipeline + "clean: [\n",
        "p.yaml:9:1: error: YAML syntax: did not find expected node content\n  hint: check indentation and quoting around this position"
    ),
    (
        validPipeline.replacingOccurrences(of: "columns:", with: "time_format: weekly\n    columns:"),
        "p.yaml:5:18: error: 'inputs.transactions.time_format' cannot be 'weekly'\n  hint: use iso8601, date, epoch_seconds, or a pattern such as '%d/%m/%Y %H:%M'"
    ),
    (
        validPipeline.replacingOccurrences(of: "order: order_id", with: "order: customer_id"),
        "p.yaml:5:14: error: column 'customer_id' is mapped to both 'customer' and 'order' in 'inputs.transactions.columns'\n"
            + "  hint: each of customer, order, time, amount and the order-line columns needs its own column"
    ),
    (
        validPipeline + "segment:\n  rfm: {bins: 4}\n",
        "p.yaml:9:15: error: the default RFM segment map is for 5 bins; with 4 bins list 'segment.rfm.segments'\n"
            + "  hint: see docs/segmentation.md for the default map to adapt"
    ),
    (
        validPipeline + "segment:\n  rfm:\n    segments:\n      - {name: Top, r: 5, f: 1-5}\n",
        "p.yaml:11:7: error: 'segment.rfm.segments' leaves 20 cells of the r x f grid without a segment: "
            + "r=1 f=1, r=1 f=2, r=1 f=3, r=1 f=4, r=1 f=5, r=2 f=1, r=2 f=2, r=2 f=3\n"
            + "  hint: add a rule without 'm' that covers them, e.g. a last catch-all '{name: Other, r: 1-5, f: 1-5}'"
    ),
    (
        validPipeline + "segment:\n  rfm:\n    segments:\n      - {name: Top, r: 6, f: 1-5}\n",
        "p.yaml:11:24: error: 'segment.rfm.segments.r' must be a score or a range of scores within 1-5, e.g. 4-5"
    ),
    (
        validPipeline + "segment:\n  rfm:\n    segments:\n      - {name: At-risk VIPs, r: 1-5, f: 1-5}\n",
        "p.yaml:11:16: error: RFM segment 'At-risk VIPs' reads as the status 'at_risk', which has other rules\n"
            + "  hint: name RFM segments apart from the statuses (new, active, loyal, at_risk, lapsed, lost), e.g. 'Fading regulars'"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "{customers: customers.csv}", with: "{table: customers, path: a.csv, where: {status: at-risk}}") + "segment: {}\n",
        "p.yaml:7:51: error: 'outputs.files.where.status': 'at-risk' is not a value of status; did you mean 'at_risk'?\n"
            + "  hint: its values: new, active, loyal, at_risk, lapsed, lost"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "{customers: customers.csv}", with: "{table: customers, path: a.csv, where: {statsu: lost}}") + "segment: {}\n",
        "p.yaml:7:51: error: 'outputs.files.where': the customers table has no column 'statsu'; did you mean 'status'?\n"
            + "  hint: its columns: customer_id, first_purchase, last_purchase, recency_days, frequency, monetary_total, monetary_mean, "
            + "tenure_days, interpurchase_mean_days, interpurchase_std_days, current_value, purchase_rate_trend, r_score, f_score, "
            + "m_score, rfm_segment, value_tier, lifecycle_stage, status"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "{customers: customers.csv}", with: "{table: customers, path: a.csv, where: {status: {min: 1}}}") + "segment: {}\n",
        "p.yaml:7:51: error: 'outputs.files.where.status' is a range, but 'status' is a text column\n"
            + "  hint: list the values to keep, e.g. {status: [new, active]}"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "{customers: customers.csv}", with: "{table: customers, path: a.csv, where: {frequency: {min: 5, max: 2}}}"),
        "p.yaml:7:62: error: 'outputs.files.where.frequency': min 5 is above max 2"
    ),
    (
        validPipeline + "segment:\n  kmeans:\n    features: [recency_days, p_alve]\nchurn: {model: none}\n",
        "p.yaml:10:30: error: 'segment.kmeans.features' has no number column 'p_alve'; did you mean 'p_alive'?\n"
            + "  hint: clusterable columns: recency_days, frequency, monetary_total, monetary_mean, tenure_days, interpurchase_mean_days, "
            + "interpurchase_std_days, current_value, purchase_rate_trend, r_score, f_score, m_score, p_alive, expected_purchases, "
            + "p_purchase, clv"
    ),
    (
        validPipeline + "segment:\n  lifecycle: {active_within_gaps: 5}\n",
        "p.yaml:9:14: error: 'segment.lifecycle' thresholds must grow: active_within_gaps <= at_risk_within_gaps <= lapsed_within_gaps"
    ),
    (
        validPipeline + "segment:\n  value: {tiers: [0.5, 0.2]}\n",
        "p.yaml:9:18: error: 'segment.value.tiers' must be increasing shares between 0 and 1, e.g. [0.2, 0.5]\n"
            + "  hint: [0.2, 0.5] makes the top 20% tier A, the next 30% tier B and the rest tier C"
    ),
    (
        validPipeline + "segment:\n  lifecycle: {active_within_days: 400}\n",
        "p.yaml:9:14: error: 'segment.lifecycle' thresholds must grow: active_within_days <= at_risk_within_days <= lapsed_within_days"
    ),
    (
        validPipeline + "segment:\n  value: {measure: futur}\n",
        "p.yaml:9:20: error: 'segment.value.measure' cannot be 'futur'\n  hint: choose one of: historical, current, potential, profit"
    ),
    (
        validPipeline + "segment:\n  value: {measure: potential}\n",
        "p.yaml:9:3: error: 'segment.value.measure: potential' ranks customers by clv, which the 'churn' section computes\n"
            + "  hint: add a 'churn: {model: none}' section, or use measure: historical or current"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "customers.csv}]}",
            with: "customers.csv}],\n  databases: [{sqlite: a.db, postgres: {database: d, user: u}, tables: [{table: customers, name: c}]}]}"),
        "p.yaml:8:15: error: each entry of 'outputs.databases' needs exactly one of 'sqlite' or 'postgres'\n"
            + "  hint: e.g. '- sqlite: out/segments.sqlite' or '- postgres: {database: crm, user: segflow, password_env: SEGFLOW_PG_PASSWORD}'"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "customers.csv}]}", with: "customers.csv}],\n  databases: [{sqlite: a.db, tables: [{table: customers, name: 'c; drop table x'}]}]}"),
        "p.yaml:8:64: error: 'outputs.databases.tables.name' must be letters, digits and _, starting with a letter, at most 40 characters; "
            + "got 'c; drop table x'"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "customers.csv}]}", with: "customers.csv}],\n  databases: [{postgres: {database: d, user: u, password_env: 'hunter2!'}, tables: []}]}"
        ),
        "p.yaml:8:63: error: 'outputs.databases.postgres.password_env' must name an environment variable in capitals, such as SEGFLOW_PG_PASSWORD\n"
            + "  hint: the password itself never goes in the pipeline file; if it was there, change it\n"
            + "p.yaml:8:84: error: 'outputs.databases.tables' is empty\n  hint: add '- {table: customers, name: segflow_customers}'"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "customers.csv}]}", with: "customers.csv}],\n  databases: [{sqlite: a.db, tables: [{table: segments, name: s}]}]}"),
        "p.yaml:6:10: error: output table 's' of the 'segments' table needs 'segment.kmeans' to know the clusters\n"
            + "  hint: add a 'segment: {kmeans: {k: 6}}' section, or remove the export"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "customers.csv}]}", with: "customers.csv}],\n  databases: [{sqlite: ../../etc/a.db, tables: [{table: customers, name: c}]}]}"),
        "p.yaml:8:24: error: 'outputs.databases.sqlite' is relative, so it must stay inside outputs.directory; '../../etc/a.db' climbs out with '..'\n"
            + "  hint: write an absolute path to put the database elsewhere"
    ),
    (
        validPipeline.replacingOccurrences(of: "name: t", with: "name: \(String(repeating: "n", count: 201))"),
        "p.yaml:1:7: error: 'name' must be one line of at most 200 characters\n  hint: it labels the run's metrics and report"
    ),
    (
        validPipeline.replacingOccurrences(of: "path: data.csv", with: "path: \(String(repeating: "d", count: 5_000)).csv"),
        "p.yaml:4:11: error: 'inputs.transactions.path' is 5004 bytes long; text values are at most 4096 bytes"
    ),
]

/// The customers table's columns with no segment or churn section.
let featureColumns =
    "customer_id, first_purchase, last_purchase, recency_days, frequency, monetary_total, monetary_mean, tenure_days, interpurchase_mean_days, interpurchase_std_days, current_value, purchase_rate_trend"

/// (pipeline file, exact diagnostics): exports that do not fit the tables the stages will
/// produce, refused when the file is loaded, before any data is read.
let schemaErrorCases: [(yaml: String, expected: String)] = [
    (
        validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{table: customers, path: c.csv, columns: [customer_id, colour]}"),
        "p.yaml:7:66: error: 'outputs.files.columns': the customers table has no column 'colour'\n  hint: its columns: " + featureColumns
    ),
    (
        validPipeline.replacingOccurrences(
            of: "{customers: customers.csv}", with: "{table: customers, path: c.csv, rename: {frequency: customer_id}}"),
        "p.yaml:7:52: error: 'outputs.files.rename' gives 'frequency' the name 'customer_id', which another column of this output already has\n"
            + "  hint: choose a name no other written column has, or leave one of them out of 'columns'"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "{customers: customers.csv}", with: "{table: customers, path: c.csv, columns: [customer_id, customer_id]}"),
        "p.yaml:7:66: error: 'outputs.files.columns' lists 'customer_id' twice\n  hint: keep one of them"
    ),
    (
        validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{table: customers, path: 'f/{value}.csv', split_by: frequency}"),
        "p.yaml:7:63: error: 'outputs.files.split_by': 'frequency' is a column of integers; files are split by a text column\n  hint: text columns: customer_id"
    ),
    (
        validPipeline.replacingOccurrences(
            of: "customers.csv}]}",
            with: "customers.csv}],\n  databases: [{sqlite: a.db, tables: [{table: customers, name: c, columns: [customer_id, clv]}]}]}"),
        "p.yaml:8:90: error: 'outputs.databases.tables.columns': the customers table has no column 'clv'\n  hint: its columns: " + featureColumns
    ),
    (
        validPipeline.replacingOccurrences(
            of: "customers.csv}]}",
            with: "customers.csv}],\n  databases: [{sqlite: a.db, tables: [{table: customers, name: c, rename: {clv: value}}]}]}"),
        "p.yaml:8:76: error: 'outputs.databases.tables.rename': the customers table has no column 'clv'\n  hint: its columns: " + featureColumns
    ),
    (
        validPipeline.replacingOccurrences(of: "{customers: customers.csv}", with: "{customers: ./rejected.csv}"),
        "p.yaml:7:23: error: './rejected.csv' is written by every run (manifest.json, run.json, rejected.csv, model_report.json, assignments.csv, migration.csv, movers.csv, report.html, cluster_model.json, pipeline.yaml, summary.csv, nps.csv, personas.csv, rejected_surveys.csv, rejected_customers.csv, rejected_referrals.csv, ignored_referrals.csv); choose another name"
    ),
]

@Suite struct PipelineFileTests {
    @Test(arguments: schemaErrorCases)
    func refusesExportsThatDoNotFitTheSchema(yaml: String, expected: String) {
        #expect(diagnostics(yaml) == expected)
    }

    @Test func minimalFileGetsDocumentedDefaults() throws {
        let pipeline = try parse(validPipeline)
        #expect(pipeline.name == "t")
        #expect(pipeline.asOf == .latest)
        #expect(pipeline.clean.dedupe == .order)
        #expect(pipeline.clean.returns == .net)
        #expect(pipeline.clean.maxRejected == .count(0))
        #expect(pipeline.features == FeatureGroup.available(LineColumns()))
        #expect(pipeline.transactions.timeFormat == .iso8601)
        #expect(pipeline.transactions.separator == .byte(UInt8(ascii: ",")))
        #expect(pipeline.transactions.hasHeader)
        #expect(pipeline.outputs.directory == "out" && pipeline.outputs.keepRuns == 10)
        #expect(pipeline.outputs.files == [ExportSpec(source: .customers, path: "customers.csv", format: .csv(protectFormulas: true))])
    }

    @Test func everyOptionDecodes() throws {
        let pipeline = try parse(
            """
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
            segment: {}
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
        #expect(
            pipeline.outputs.files == [
                ExportSpec(source: .customers, path: "c.csv", format: .csv(protectFormulas: false)),
                ExportSpec(
                    source: .customers, path: "by_status/{value}.jsonl", format: .jsonLines, columns: ["customer_id", "status"],
                    rename: ["customer_id": "id"], splitBy: "status"),
            ])
        #expect(pipeline.asOf == .day(CivilTime.daysFromCivil(year: 2026, month: 11, day: 21)))
        #expect(pipeline.transactions.columns.order == nil)
        #expect(pipeline.transactions.separator == .byte(UInt8(ascii: ";")))
        #expect(pipeline.transactions.timeFormat == .pattern(try TimePattern("%d/%m/%Y")))
        #expect(pipeline.clean.dedupe == .row)
        #expect(pipeline.clean.returns == .drop)
        #expect(pipeline.clean.maxRejected == .percent(units: 5, decimals: 1))
        #expect(
            pipeline.clean.dateRange?.days == CivilTime.daysFromCivil(
                year: 2020, month: 1, day: 1)...CivilTime.daysFromCivil(year: 2026, month: 6, day: 30))
        #expect(pipeline.clean.winsorizeQuantile == 0.99)
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
        let pipeline = try parse(
            validPipeline + """
                segment:
                  rfm:
                    segments:
                      - {name: Best, r: 4-5, f: 4-5}
                      - {name: Rest, r: 1-5, f: 1-5}
                  value: {measure: current, tiers: [0.1, 0.4, 0.8], current_window_days: 30}
                  lifecycle: {new_within_days: 14, trend_window_days: 90, growth_ratio: 2}
                """)
        let rules = try #require(pipeline.segment?.rules)
        #expect(rules.rfmSegments.map(\.name) == ["Best", "Rest"])
        #expect(rules.valueMeasure == .current)
        #expect(rules.tierCutoffs == [0.1, 0.4, 0.8])
        #expect(rules.lifecycle.newWithinDays == 14)
        #expect(rules.lifecycle.growthRatio == 2)
        #expect(pipeline.featureWindows == FeatureWindows(currentValueDays: 30, trendDays: 90))
        #expect(try parse(validPipeline).segment == nil)
    }

    @Test func kmeansSectionDecodes() throws {
        let pipeline = try parse(
            validPipeline + """
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
        let rules = try #require(pipeline.segment?.kmeans?.rules)
        #expect(
            rules.features == [
                ClusteringFeature(name: "frequency"),
                ClusteringFeature(name: "monetary_mean", transform: .log1p, scaling: .robust, weight: 2),
            ])
        #expect(rules.clusterCount == .auto(3...9))
        #expect(rules.restarts == 2)
        #expect(rules.seed == 7)
        #expect(rules.precision == .float64)
        #expect(rules.algorithm == .miniBatch(batchSize: 2048))
        let fixed = try parse(validPipeline + "segment:\n  kmeans: {k: 4, k_range: [2, 5]}\n")
        #expect(fixed.segment?.kmeans?.rules.clusterCount == .fixed(4))
        #expect(fixed.warnings.map(\.message) == ["'segment.kmeans.k_range' is not used: k is fixed at 4"])
    }

    @Test func churnSectionDecodes() throws {
        let pipeline = try parse(
            validPipeline + """
                churn:
                  model: none
                  horizon: 13w
                  time_unit: day
                  purchase_model: pareto_nbd
                  penalizer: 0.01
                  clv: {months: 24, monthly_discount_rate: 0.02, margin: 0.25}
                  risk: {medium: 0.2, high: 0.5, c: 0.5}
                """)
        let rules = try #require(pipeline.churn?.rules)
        #expect(!rules.classifier)
        #expect(rules.horizonDays == 91)
        #expect(rules.unitDays == 1)
        #expect(rules.purchaseModel == .paretoNBD)
        #expect(rules.penalizer == 0.01)
        #expect(rules.clvMonths == 24 && rules.monthlyDiscountRate == 0.02 && rules.margin == 0.25)
        #expect(rules.mediumRisk == 0.2 && rules.highRisk == 0.5 && rules.inverseRegularization == 0.5)
    }

    @Test func configErrorsAreOfKindConfig() throws {
        for yaml in ["name: [", "name: x\n", validPipeline + "churn: {horizon: 99999d}\n"] {
            let error = try #require(throws: SegflowError.self) { try parse(yaml) }
            #expect(error.kind == .config)
        }
    }

    @Test func databasesSectionDecodes() throws {
        let yaml = validPipeline.replacingOccurrences(
            of: "customers.csv}]}",
            with: """
                customers.csv}],
                  databases: [
                    {sqlite: out/s.sqlite, tables: [{table: customers, name: customers}]},
                    {postgres: {host: db.internal, port: 6432, database: crm, user: segflow, password_env: SEGFLOW_PG_PASSWORD,
                                schema: marketing, tls: require, lock_timeout_seconds: 300},
                     tables: [{table: customers, name: segflow_customers, columns: [customer_id, clv], rename: {customer_id: id}}]}]}

                churn: {}
                """)
        let databases = try parse(yaml).outputs.databases
        #expect(databases.count == 2)
        #expect(
            databases[0]
                == DatabaseTarget(connection: .sqlite(path: "out/s.sqlite"), tables: [DatabaseTableSpec(source: .customers, name: "customers")]))
        var settings = PostgresSettings(database: "crm", user: "segflow")
        settings.host = "db.internal"
        settings.port = 6432
        settings.passwordVariable = "SEGFLOW_PG_PASSWORD"
        settings.schema = "marketing"
        settings.tls = .require
        settings.lockTimeoutSeconds = 300
        #expect(databases[1].connection == .postgres(settings))
        #expect(
            databases[1].tables == [
                DatabaseTableSpec(
                    source: .customers, name: "segflow_customers",
                    selection: ColumnSelection(columns: ["customer_id", "clv"], rename: ["customer_id": "id"]))
            ])
        #expect(databases[1].displayName == "postgres segflow@db.internal:6432/crm")
    }

    /// Every key of every section's field table is documented in docs/pipeline-file.md, with
    /// the default the code uses.
    @Test func everyKeyIsDocumentedWithItsDefault() throws {
        let docs = try String(contentsOfFile: "docs/pipeline-file.md", encoding: .utf8)
        let rows = Dictionary(
            docs.split(separator: "\n").compactMap { line -> (String, [String])? in
                let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard cells.count > 4, cells[1].hasPrefix("`"), cells[1].hasSuffix("`") else { return nil }
                return (String(cells[1].dropFirst().dropLast()), cells)
            }, uniquingKeysWith: { first, _ in first })
        for field in allFields() {
            let row = rows[field.path]
            #expect(row != nil, "docs/pipeline-file.md has no row for `\(field.path)`")
            guard let row, let defaultText = field.info.defaultText else { continue }
            let documented = row[3].replacingOccurrences(of: "`", with: "")
            #expect(documented == defaultText, "docs/pipeline-file.md gives `\(field.path)` the default '\(documented)', the code '\(defaultText)'")
        }
    }

    /// Every key, fed a value of the wrong type and one out of range, gets an error at the
    /// value's line and column, and the file is refused.
    @Test func everyKeyRejectsWrongValuesAtTheirPosition() throws {
        var checked = 0
        for field in allFields() {
            for sample in [field.info.shape.wrongTypeSample, field.info.shape.outOfRangeSample].compactMap({ $0 }) {
                let yaml = pipelineSetting(field.path, to: sample)
                let text = diagnostics(yaml)
                let line = yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("\(field.info.key): \(sample)") }
                let expectedLine = try #require(line, "no line sets \(field.path) in\n\(yaml)") + 1
                #expect(text.contains("p.yaml:\(expectedLine):"), "\(field.path): \(sample) gave \(text.isEmpty ? "no error" : text)\n\(yaml)")
                #expect(text.contains("error:"), "\(field.path): \(sample) is accepted")
                checked += 1
            }
        }
        #expect(checked > 100)
    }
}

/// Every key of the pipeline file with its dotted path, walked from the field tables.
func allFields() -> [(path: String, info: FieldInfo)] {
    func walk(_ fields: [FieldInfo], under prefix: String) -> [(path: String, info: FieldInfo)] {
        fields.flatMap { info -> [(path: String, info: FieldInfo)] in
            let path = prefix.isEmpty ? info.key : "\(prefix).\(info.key)"
            switch info.shape {
            case .section(let nested), .list(.section(let nested)): return [(path, info)] + walk(nested, under: path)
            default: return [(path, info)]
            }
        }
    }
    return walk(PipelineFile.Sections.fields.map(\.info), under: "")
}

/// A valid pipeline file with the key at `path` set to `value`, in block style so the key
/// has a line of its own, and with every key the sections on the way require.
func pipelineSetting(_ path: String, to value: String) -> String {
    var root = ConfigTree.map([
        ("name", .scalar("t")),
        (
            "inputs",
            .map([
                (
                    "transactions",
                    .map([
                        ("path", .scalar("data.csv")),
                        ("columns", .map([("customer", .scalar("c")), ("time", .scalar("t")), ("amount", .scalar("a"))])),
                    ])
                )
            ])
        ),
        ("outputs", .map([("directory", .scalar("out")), ("files", .list([.map([("table", .scalar("customers")), ("path", .scalar("c.csv"))])]))])),
    ])
    let keys = path.split(separator: ".").map(String.init)
    root.set(keys[...], to: value, under: "")
    return root.lines(indent: "").joined(separator: "\n") + "\n"
}

/// A YAML document as ordered keys, for writing test files in block style.
indirect enum ConfigTree {
    case scalar(String)
    case map([(String, ConfigTree)])
    case list([ConfigTree])

    /// The first item a list needs before the key under test, by list path.
    static let listItems: [String: ConfigTree] = [
        "outputs.files": .map([("table", .scalar("customers")), ("path", .scalar("c.csv"))]),
        "outputs.databases": .map([
            ("sqlite", .scalar("s.db")), ("tables", .list([.map([("table", .scalar("customers")), ("name", .scalar("c"))])])),
        ]),
        "outputs.databases.tables": .map([("table", .scalar("customers")), ("name", .scalar("c"))]),
        "segment.rfm.segments": .map([("name", .scalar("x")), ("r", .scalar("1-5")), ("f", .scalar("1-5"))]),
        "segment.kmeans.features": .map([("name", .scalar("frequency"))]),
    ]

    mutating func set(_ keys: ArraySlice<String>, to value: String, under prefix: String) {
        guard let key = keys.first else {
            self = .scalar(value)
            return
        }
        let here = prefix.isEmpty ? key : "\(prefix).\(key)"
        var entries: [(String, ConfigTree)] = []
        if case .map(let existing) = self { entries = existing }
        var child = entries.first { $0.0 == key }?.1 ?? .map([])
        if keys.count > 1, let item = Self.listItems[here] {
            var first = item
            if here == "outputs.databases", keys.dropFirst().first == "postgres" {
                first = .map([
                    ("postgres", .map([("database", .scalar("d")), ("user", .scalar("u"))])),
                    ("tables", .list([.map([("table", .scalar("customers")), ("name", .scalar("c"))])])),
                ])
            }
            if case .list(let items) = child, let existing = items.first { first = existing }
            first.set(keys.dropFirst(), to: value, under: here)
            child = .list([first])
        } else {
            child.set(keys.dropFirst(), to: value, under: here)
        }
        if let index = entries.firstIndex(where: { $0.0 == key }) {
            entries[index].1 = child
        } else {
            entries.append((key, child))
        }
        self = .map(entries)
    }

    func lines(indent: String) -> [String] {
        switch self {
        case .scalar(let value): return [indent + value]
        case .map(let entries):
            return entries.flatMap { key, value -> [String] in
                if case .scalar(let text) = value { return ["\(indent)\(key): \(text)"] }
                return ["\(indent)\(key):"] + value.lines(indent: indent + "  ")
            }
        case .list(let items):
            return items.flatMap { item -> [String] in
                var lines = item.lines(indent: indent + "  ")
                lines[0] = indent + "- " + lines[0].dropFirst(indent.count + 2)
                return lines
            }
        }
    }
}

/// The resolved copy every run keeps (`pipeline.yaml`) reads back to the same settings, shows
/// every key, and marks the ones the file left to their defaults.
@Suite struct ResolvedPipelineTests {
    @Test(arguments: ["Pipelines/retail.yaml", "minimal"])
    func readsBackToTheSameSettings(source: String) throws {
        let original =
            source == "minimal" ? try parse(validPipeline) : try PipelineFile.load(path: source)
        let reread = try parse(original.resolvedText)
        #expect(reread.sections == original.sections)
        // Read again, it is the same but for the marks of defaults, which it now sets.
        func settings(_ text: String) -> [String] {
            text.split(separator: "\n").dropFirst(2).map { $0.replacingOccurrences(of: "  # default", with: "") }
        }
        #expect(settings(reread.resolvedText) == settings(original.resolvedText))
    }

    @Test func everyKeyAppearsWithItsDefault() throws {
        let text = try parse(validPipeline + "segment: {lifecycle: {status_basis: days}}\n").resolvedText
        #expect(text.contains("\n    status_basis: days\n"))
        #expect(text.contains("\n    rhythm_min_gap_days: 7  # default\n"))
        #expect(text.contains("\n  rfm:  # default\n    bins: 5  # default\n    # segments: the 11-segment map (default)\n"))
        #expect(text.contains("\n# churn: none (default)\n"))
        #expect(text.contains("\n  max_rejected: 0  # default\n"))
    }

    /// In the example pipeline, which has every section, each key outside list items has a line.
    @Test func theExampleShowsEveryKey() throws {
        let lines = try PipelineFile.load(path: "Pipelines/retail.yaml").resolvedText.split(separator: "\n")
        func walk(_ fields: [FieldInfo], depth: Int) {
            for field in fields {
                let indent = String(repeating: "  ", count: depth)
                #expect(
                    lines.contains { $0.hasPrefix("\(indent)\(field.key):") || $0.hasPrefix("\(indent)# \(field.key):") }, "\(field.key)")
                // Sections the file turns on are written out; those it leaves off are one comment.
                if case .section(let nested) = field.shape, lines.contains(where: { $0.hasPrefix("\(indent)\(field.key):") }) {
                    walk(nested, depth: depth + 1)
                }
            }
        }
        walk(PipelineFile.Sections.fields.map(\.info), depth: 0)
    }
}

/// The boundary `validate --data` and a failed churn fit share: with a 90-day horizon and the
/// newest purchase on day 100, as_of day 190 still has it in the horizon (days 100 to 189);
/// as_of day 191 has 90 quiet days and nobody in the horizon.
@Test func asOfBeyondTheDataByTheHorizon() {
    #expect(PipelineValidation.quietDaysBeyondHorizon(asOfDay: 190, newestDay: 100, horizonDays: 90) == nil)
    #expect(PipelineValidation.quietDaysBeyondHorizon(asOfDay: 191, newestDay: 100, horizonDays: 90) == 90)
}
