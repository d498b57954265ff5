import Foundation
import History
import Pipeline
import Report
import RunRecords
import SegflowCore
import TestSupport
import Testing

/// A manifest with one input and the feature stage, nothing optional.
func minimalManifest(name: String = "nightly", inputPath: String = "data.csv") -> Manifest {
    Manifest(
        segflowVersion: "0.test", pipeline: .init(name: name, path: "p.yaml", xxh64: "0123456789abcdef"), asOf: "2026-11-30",
        inputs: [.init(name: "transactions", path: inputPath, bytes: 1_000, xxh64: "fedcba9876543210", records: 1_234, rejected: 2)],
        stages: [StageReport(stage: "features", rowsIn: 1_232, rowsOut: 321)], rejectedRows: 2, outputs: [], randomSeeds: [:])
}

func content(_ manifest: Manifest) -> ReportContent {
    ReportContent(
        manifest: manifest,
        record: RunRecord(runID: "20261130T000000Z", previousRunID: nil, startedAt: "2026-11-30T00:00:00Z", totalSeconds: 1.5, stageSeconds: [:]))
}

/// The section titles of a page, in order.
func sections(_ html: String) -> [String] {
    html.components(separatedBy: "<h2>").dropFirst().map { String($0.prefix { $0 != "<" }) }
}

@Suite struct RunReportPageTests {
    /// Names come from pipeline files and data: every one is escaped, in text and in charts.
    @Test func hostileNamesAreEscaped() {
        var manifest = minimalManifest(name: "<script>alert(1)</script>", inputPath: "in<put>&.csv")
        manifest.clustering = Manifest.Clustering(
            k: 1, rule: "fixed", seed: 1, precision: "float32", inertia: 1, iterations: 1, candidates: [],
            clusters: [.init(cluster: 0, label: "<img src=x onerror=alert(1)>", customers: 321, share: 1, valueShare: 1)], note: "<b>note</b>")
        var page = content(manifest)
        page.rejectedByReason = [("amount in column '<a>' is not a finite number", 2)]
        page.segmentValues = [("<i>Champions</i> & \"friends\"", 321, 1_000)]
        page.clusterFeatureNames = ["<svg onload=x>"]
        page.clusterZScores = [[0.5]]
        let html = RunReportPage.html(page)
        for raw in ["<script>", "<img", "<b>note", "<i>Champions", "<a>", "<svg onload", "in<put>"] {
            #expect(!html.contains(raw), "'\(raw)' reached the page unescaped")
        }
        for escaped in [
            "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&lt;i&gt;Champions&lt;/i&gt; &amp;",
            "in&lt;put&gt;&amp;.csv",
        ] {
            #expect(html.contains(escaped), "'\(escaped)' missing")
        }
    }

    /// Sections without data are left out: no churn section without churn, no clusters without
    /// k-means, nothing about changes on a first run, no value section without segments.
    @Test func optionalSectionsAppearOnlyWithTheirData() {
        #expect(sections(RunReportPage.html(content(minimalManifest()))) == ["Run", "Data quality"])

        var manifest = minimalManifest()
        manifest.clustering = Manifest.Clustering(
            k: 2, rule: "fixed", seed: 1, precision: "float32", inertia: 1, iterations: 3, candidates: [],
            clusters: [
                .init(cluster: 0, label: "a", customers: 300, share: 0.9, valueShare: 0.5),
                .init(cluster: 1, label: "b", customers: 21, share: 0.1, valueShare: 0.5),
            ], note: nil)
        var page = content(manifest)
        page.segmentValues = [("Champions", 321, 1_000)]
        let previous = Assignments(customerIDs: ["c1", "c2"], values: ["rfm_segment": ["Champions", "Lost"]])
        let current = Assignments(customerIDs: ["c1", "c3"], values: ["rfm_segment": ["Lost", "Champions"]])
        page.migration = Migration(from: previous, to: current)
        #expect(sections(RunReportPage.html(page)) == ["Run", "Data quality", "Value and RFM segments", "Clusters", "What changed"])
    }

    /// The figures on the page are the manifest's: a real run over the bundled sample, twice
    /// (the second has a previous run to compare with), in process.
    func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    @Test func everyFigureEqualsTheManifest() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pipeline = try PipelineFile.load(path: "Pipelines/retail.yaml")
        _ = try PipelineRunner(pipeline: pipeline, outputDirectory: directory.path).run()
        let outcome = try PipelineRunner(pipeline: pipeline, outputDirectory: directory.path).run()
        let manifest = try Manifest.decode(Data(contentsOf: URL(fileURLWithPath: "\(outcome.runDirectory)/manifest.json")))
        let html = try String(contentsOfFile: "\(outcome.runDirectory)/report.html", encoding: .utf8)
        #expect(
            sections(html) == [
                "Run", "Data quality", "Segments at a glance", "Value and RFM segments", "Personas", "Clusters", "Churn and lifetime value",
                "What changed",
            ])

        func card(_ value: String, _ label: String) -> String { "<b>\(value)</b><span>\(label)</span>" }
        let customers = try #require(manifest.stages.first { $0.stage == "features" }?.rowsOut)
        #expect(html.contains(card(Formatting.count(manifest.inputs[0].records), "input rows")))
        #expect(html.contains(card(Formatting.count(manifest.rejectedRows), "rejected rows")))
        #expect(html.contains(card(Formatting.count(customers), "customers")))
        let pareto = try #require(manifest.segmentation?.pareto.top20Percent)
        #expect(html.contains(card(String(format: "%.1f%%", pareto * 100), "value held by top 20%")))
        let auc = try #require(manifest.churn?.rocAUC)
        #expect(html.contains(card(String(format: "%.3f", auc), "churn model AUC (holdout)")))
        // The purchase model's choice, each candidate with its holdout log-likelihood.
        let modelReport = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(outcome.runDirectory)/model_report.json")))
                as? [String: Any])
        let selection = try #require(modelReport["model_selection"] as? [String: Any])
        let chosen = try #require(selection["chosen"] as? String)
        #expect(chosen == manifest.churn?.purchaseModel)
        #expect(html.contains("<td>\(chosen) (chosen)</td>"))
        for candidate in try #require(selection["candidates"] as? [[String: Any]]) {
            let holdout = try #require(candidate["holdout_log_likelihood"] as? Double)
            #expect(html.contains("<td>\(String(format: "%.1f", holdout))</td>"), "\(candidate["model"] ?? "")")
        }
        for stage in manifest.stages {
            #expect(html.contains("<tr><td>\(stage.stage)</td><td>\(Formatting.count(stage.rowsIn))</td><td>\(Formatting.count(stage.rowsOut))</td>"))
        }
        // At a glance: the R × F grid covers every customer; each status's row is summary.csv's.
        #expect(html.contains("Customers per R × F cell (\(Formatting.count(customers)) in all)"))
        let summary = try DimensionSummary.read(path: "\(outcome.runDirectory)/summary.csv")
        for group in summary.groups where group.dimension == "status" {
            let row =
                "<tr><td>\(group.value)</td><td>\(Formatting.count(group.customers))</td><td>\(percent(group.customerShare))</td>"
                + "<td>\(percent(group.revenueShare))</td><td>\(String(format: "%.2f", group.clvMean))</td>"
            #expect(html.contains(row), "status \(group.value)")
        }
        let cross = try #require(summary.groups.first { $0.dimension == "status_by_churn_risk" && $0.value == "active / high" })
        #expect(html.contains("<tr><td>active</td>") && html.contains("<td>\(Formatting.count(cross.customers))</td>"))
        // The heatmap marks the features clustered on.
        for feature in ["recency_days", "frequency", "monetary_mean"] { #expect(html.contains(">\(feature) *<"), "\(feature)") }
        #expect(!html.contains(">tenure_days *<"))
        let clustering = try #require(manifest.clustering)
        #expect(html.contains("<p>k = \(clustering.k) ("))
        // Why this k: each candidate's silhouette, cluster shares and stability, the chosen one marked.
        #expect(html.contains("<td>\(clustering.k) (chosen)</td>"))
        for candidate in clustering.candidates {
            #expect(html.contains(String(format: "<td>%.3f</td>", candidate.silhouette)), "k = \(candidate.k)")
        }
        for cluster in clustering.clusters {
            let share = String(format: "%.1f%%", cluster.share * 100), valueShare = String(format: "%.1f%%", cluster.valueShare * 100)
            #expect(
                html.contains("<td>\(Formatting.count(cluster.customers))</td><td>\(share)</td><td>\(valueShare)</td>"), "cluster \(cluster.cluster)")
        }
        for segment in try #require(manifest.segmentation?.rfmSegments) where segment.customers > 0 {
            #expect(html.contains("<td>\(segment.name)</td><td>\(Formatting.count(segment.customers))</td>"), "\(segment.name)")
        }
        let migration = try #require(manifest.migration)
        #expect(
            html.contains(
                "\(Formatting.count(migration.newCustomers)) new customers, \(Formatting.count(migration.goneCustomers)) gone, "
                    + "\(Formatting.count(migration.unchangedCustomers)) unchanged, \(Formatting.count(migration.movers)) movers (newly at risk"))
    }
}
