import Churn
import Foundation
import History
import Personas
import RunRecords
import SegflowCore

/// What the run report shows, gathered by the pipeline runner.
public struct ReportContent: Sendable {
    public var manifest: Manifest
    public var record: RunRecord
    public var rejectedByReason: [(reason: String, rows: Int)] = []
    /// (share of customers, share of value), from `CustomerValue.paretoCurve`.
    public var paretoCurve: [(customerShare: Double, valueShare: Double)] = []
    /// Per RFM segment: customers and total value, largest first.
    public var segmentValues: [(name: String, customers: Int, value: Double)] = []
    /// Per cluster (in `manifest.clustering.clusters` order): each feature's z-score.
    public var clusterFeatureNames: [String] = []
    /// The features the clusters were fitted on; the heatmap marks them.
    public var clusteredFeatures: Set<String> = []
    public var clusterZScores: [[Double]] = []
    public var churn: ChurnReport?
    public var migration: Migration?
    /// The business summary per group (`summary.csv`).
    public var summary: DimensionSummary?
    /// Customers per RFM cell: `rfmGrid[r - 1][f - 1]`.
    public var rfmGrid: [[Int]] = []
    /// The strongest category rules, by lift (the first rows of `category_affinity`).
    public var affinityRules: [(antecedent: String, consequent: String, customers: Int, confidence: Double, lift: Double)] = []
    /// NPS per group (`nps.csv`), with `inputs.surveys`.
    public var nps: NPSSummary?
    /// A profile per RFM segment and cluster (`personas.csv`).
    public var personas: PersonaProfiles?
    /// The referrers with the largest cascades, largest first.
    public var largestCascades: [(referrer: String, referrals: Int, size: Int, depth: Int, value: Double)] = []

    public init(manifest: Manifest, record: RunRecord) {
        self.manifest = manifest
        self.record = record
    }
}

/// `report.html`: one self-contained page (inline CSS and SVG, no script, no external
/// resource) that says what a run read, how clean the data was, what the segments and
/// clusters look like, how good the churn model is and what changed since the last run.
public enum RunReportPage {
    public static func html(_ content: ReportContent) -> String {
        let manifest = content.manifest
        var sections: [String] = []
        sections.append(summary(content))
        sections.append(dataQuality(content))
        if !content.rfmGrid.isEmpty || content.summary.map({ !$0.groups.isEmpty }) == true { sections.append(atAGlance(content)) }
        if !content.paretoCurve.isEmpty || !content.segmentValues.isEmpty { sections.append(value(content)) }
        if manifest.segmentation?.loyaltyQuadrants != nil || manifest.affinity != nil { sections.append(loyaltyAndCrossSell(content)) }
        if let personas = content.personas, !personas.profiles.isEmpty { sections.append(personasSection(personas)) }
        if let nps = content.nps { sections.append(npsSection(nps)) }
        if let referrals = manifest.referrals { sections.append(referralSection(referrals, largest: content.largestCascades)) }
        if let clustering = manifest.clustering { sections.append(clusters(content, clustering)) }
        if let churn = content.churn { sections.append(churnSection(churn)) }
        if let migration = content.migration { sections.append(migrationSection(migration, previous: content.record.previousRunID)) }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <title>segflow · \(escape(manifest.pipeline.name)) · \(escape(manifest.asOf))</title>
            <style>\(style)</style></head>
            <body>
            <h1>\(escape(manifest.pipeline.name)) <small>as of \(escape(manifest.asOf)) · run \(escape(content.record.runID))</small></h1>
            \(sections.joined(separator: "\n"))
            <footer>segflow \(escape(manifest.segflowVersion)) · pipeline \(escape(manifest.pipeline.path)) (xxh64 \(escape(manifest.pipeline.xxh64))) · started \(escape(content.record.startedAt))</footer>
            </body></html>

            """
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:1180px;margin:24px auto;padding:0 16px}
        h1{font-size:22px;margin:0 0 12px}h1 small{font-weight:normal;color:#666;font-size:14px}
        h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
        .cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}
        .card b{display:block;font-size:20px}.card span{color:#666;font-size:12px}
        .row{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}figure{margin:0}figcaption{font-size:12px;color:#555;max-width:560px}
        table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
        th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}
        .warn{color:#a40}footer{margin-top:32px;color:#777;font-size:12px}
        @media print{body{margin:0}section{break-inside:avoid}}
        """

    static func summary(_ content: ReportContent) -> String {
        let manifest = content.manifest
        let customers = manifest.stages.first { $0.stage == "features" }?.rowsOut ?? 0
        var cards = [
            ("input rows", Formatting.count(manifest.inputs.reduce(0) { $0 + $1.records })),
            ("rejected rows", Formatting.count(manifest.rejectedRows)),
            ("customers", Formatting.count(customers)),
            ("run time", String(format: "%.1f s", content.record.totalSeconds)),
        ]
        if let pareto = manifest.segmentation?.pareto, let top20 = pareto.top20Percent {
            cards.append(("value held by top 20%", percent(top20)))
        }
        if let auc = manifest.churn?.rocAUC { cards.append(("churn model AUC (holdout)", String(format: "%.3f", auc))) }
        return section(
            "Run", "<div class=\"cards\">" + cards.map { "<div class=\"card\"><b>\($0.1)</b><span>\(escape($0.0))</span></div>" }.joined() + "</div>")
    }

    static func dataQuality(_ content: ReportContent) -> String {
        let manifest = content.manifest
        let rows = manifest.stages.map { stage in
            [
                stage.stage, Formatting.count(stage.rowsIn), Formatting.count(stage.rowsOut),
                String(format: "%.2f s", content.record.stageSeconds[stage.stage] ?? 0),
                stage.counts.filter { $0.value > 0 }.map { "\($0.name.replacingOccurrences(of: "_", with: " ")) \(Formatting.count($0.value))" }
                    .joined(separator: ", "),
            ]
        }
        var html = table(["stage", "rows in", "rows out", "time", "what the rules did"], rows)
        if content.rejectedByReason.isEmpty {
            html += "<p>No input row was rejected.</p>"
        } else {
            html +=
                "<h3>Rejected rows by reason</h3>"
                + table(["reason", "rows"], content.rejectedByReason.map { [$0.reason, Formatting.count($0.rows)] })
            html += "<p>Each rejected row is listed with its line number in rejected.csv.</p>"
        }
        for input in manifest.inputs {
            html +=
                "<p>Input \(escape(input.path)): \(Formatting.count(input.records)) rows, \(String(format: "%.1f MB", Double(input.bytes) / 1e6)), xxh64 \(escape(input.xxh64)).</p>"
        }
        return section("Data quality", html)
    }

    /// The business view: the R × F grid, and customers, value, CLV, P(alive) and churn per
    /// status, value tier and lifecycle stage, and status against churn risk.
    static func atAGlance(_ content: ReportContent) -> String {
        var html = ""
        if !content.rfmGrid.isEmpty {
            let bins = content.rfmGrid.count
            let total = content.rfmGrid.joined().reduce(0, +)
            let maximum = Double(content.rfmGrid.joined().max() ?? 0)
            html += figure(
                SVGChart.heatmap(
                    rows: (1...bins).reversed().map { "recency score \($0)" }, columns: (1...bins).map { "frequency \($0)" },
                    values: (1...bins).reversed().map { r in content.rfmGrid[r - 1].map(Double.init) },
                    color: { SVGChart.sequentialColor($0, maximum: maximum) }, text: { Formatting.count(Int($0)) }),
                "Customers per R × F cell (\(Formatting.count(total)) in all): recent buyers at the top, frequent ones to the right; "
                    + "the RFM segments are regions of this grid (docs/segmentation.md).")
        }
        guard let summary = content.summary else { return section("Segments at a glance", html) }
        let dimensions = [("status", "status"), ("value_tier", "value tier"), ("lifecycle_stage", "lifecycle stage"), ("churn_risk", "churn risk")]
        func number(_ value: Double, _ format: String) -> String { value.isFinite ? String(format: format, value) : "" }
        for (dimension, title) in dimensions {
            let groups = summary.groups.filter { $0.dimension == dimension }
            guard !groups.isEmpty else { continue }
            html += table(
                [title, "customers", "share", "revenue share", "CLV mean", "CLV total", "P(alive)", "churn probability", "expected purchases"],
                groups.map {
                    [
                        $0.value, Formatting.count($0.customers), percent($0.customerShare), percent($0.revenueShare), number($0.clvMean, "%.2f"),
                        number($0.clvSum, "%.0f"), number($0.probabilityAliveMean, "%.3f"), number($0.churnProbabilityMean, "%.3f"),
                        number($0.expectedPurchases, "%.0f"),
                    ]
                })
        }
        let cross = summary.groups.filter { $0.dimension == DimensionSummary.crossTable.name }
        if !cross.isEmpty {
            let cells = cross.map { ($0.value.components(separatedBy: " / "), $0.customers) }
            let statuses = summary.groups.filter { $0.dimension == DimensionSummary.crossTable.rows }.map(\.value)
            let risks = summary.groups.filter { $0.dimension == DimensionSummary.crossTable.columns }.map(\.value)
            html += "<p>Status against churn risk: who is about to leave among those still here.</p>"
            html += table(
                ["status \\ churn risk"] + risks,
                statuses.map { status in
                    [status] + risks.map { risk in cells.first { $0.0 == [status, risk] }.map { Formatting.count($0.1) } ?? "" }
                })
        }
        return section("Segments at a glance", html)
    }

    static func value(_ content: ReportContent) -> String {
        var figures: [String] = []
        if !content.paretoCurve.isEmpty {
            let chart = SVGChart.lines(
                [
                    .init(name: "customers ranked by value", points: content.paretoCurve.map { ($0.customerShare, $0.valueShare) }),
                    .init(name: "equal shares", points: [(0, 0), (1, 1)], dashed: true),
                ], x: ("share of customers", 0...1), y: ("share of value", 0...1), percentAxes: true)
            let pareto = content.manifest.segmentation?.pareto
            let caption = [("1%", pareto?.top1Percent), ("5%", pareto?.top5Percent), ("10%", pareto?.top10Percent), ("20%", pareto?.top20Percent)]
                .compactMap { label, share in share.map { "top \(label) hold \(percent($0))" } }.joined(separator: ", ")
            figures.append(figure(chart, "Pareto curve of customer value: \(caption)."))
        }
        if !content.segmentValues.isEmpty {
            let totalCustomers = Double(content.segmentValues.reduce(0) { $0 + $1.customers })
            let totalValue = content.segmentValues.reduce(0) { $0 + $1.value }
            let chart = SVGChart.bars(
                categories: content.segmentValues.map(\.name),
                series: [
                    ("share of customers", content.segmentValues.map { Double($0.customers) / max(totalCustomers, 1) }),
                    ("share of value", content.segmentValues.map { totalValue > 0 ? $0.value / totalValue : 0 }),
                ], yTitle: "share", percent: true)
            figures.append(figure(chart, "RFM segments: size and value (monetary_total)."))
        }
        var html = "<div class=\"row\">" + figures.joined() + "</div>"
        if !content.segmentValues.isEmpty {
            html += table(
                ["RFM segment", "customers", "value", "value per customer"],
                content.segmentValues.map {
                    [
                        $0.name, Formatting.count($0.customers), String(format: "%.0f", $0.value),
                        String(format: "%.2f", $0.value / Double(max($0.customers, 1))),
                    ]
                })
        }
        return section("Value and RFM segments", html)
    }

    static func clusters(_ content: ReportContent, _ clustering: Manifest.Clustering) -> String {
        var html =
            "<p>k = \(clustering.k) (\(escape(clustering.rule))), seed \(clustering.seed), inertia \(String(format: "%.4g", clustering.inertia)), \(clustering.iterations) iterations.</p>"
        if let note = clustering.note { html += "<p class=\"warn\">\(escape(note))</p>" }
        if !content.clusterZScores.isEmpty {
            let rows = clustering.clusters.map { "\($0.cluster) · \($0.label) (\(percent($0.share)))" }
            html += figure(
                SVGChart.heatmap(
                    rows: rows, columns: content.clusterFeatureNames.map { content.clusteredFeatures.contains($0) ? "\($0) *" : $0 },
                    values: content.clusterZScores),
                "Cluster profiles: z-score of each cluster's mean feature against all customers (red above average, blue below); "
                    + "* marks the features the clusters were fitted on, the others describe them.")
        }
        html += table(
            ["cluster", "label", "customers", "share", "share of value"],
            clustering.clusters.map {
                [String($0.cluster), $0.label, Formatting.count($0.customers), percent($0.share), percent($0.valueShare)]
            })
        if clustering.candidates.count > 1 {
            let ks = clustering.candidates.map { Double($0.k) }
            let maxInertia = clustering.candidates.map(\.inertia).max() ?? 1
            let chart = SVGChart.lines(
                [
                    .init(name: "silhouette (sample)", points: clustering.candidates.map { (Double($0.k), $0.silhouette) }, markers: true),
                    .init(
                        name: "inertia / max inertia", points: clustering.candidates.map { (Double($0.k), $0.inertia / max(maxInertia, 1e-300)) },
                        dashed: true, markers: true),
                ], x: ("k", (ks.min() ?? 1)...(ks.max() ?? 2)), y: ("", 0...1), wholeNumberX: true)
            html += figure(
                chart, "Choosing k: silhouette on a stratified sample (higher is better), inertia (the elbow), and split-half stability.")
            func optional(_ value: Double?, _ show: (Double) -> String) -> String { value.map(show) ?? "" }
            html += table(
                ["k", "silhouette", "smallest cluster", "largest cluster", "stability (ARI)"],
                clustering.candidates.map { candidate in
                    [
                        candidate.k == clustering.k ? "\(candidate.k) (chosen)" : String(candidate.k), String(format: "%.3f", candidate.silhouette),
                        optional(candidate.smallestShare, percent), optional(candidate.largestShare, percent),
                        optional(candidate.stability) { String(format: "%.2f", $0) },
                    ]
                })
        }
        return section("Clusters", html)
    }

    static func churnSection(_ churn: ChurnReport) -> String {
        let parameters = churn.parameters.sorted { $0.key < $1.key }.map { "\($0.key) = \(String(format: "%.4g", $0.value))" }.joined(separator: ", ")
        var html =
            "<p>Purchase model \(escape(churn.purchaseModel)) in units of \(churn.timeUnitDays == 7 ? "weeks" : "days"): \(escape(parameters)); log-likelihood \(String(format: "%.1f", churn.logLikelihood)) (\(escape(churn.optimizer))).</p>"
        if let selection = churn.modelSelection {
            html += "<p>Chosen by \(escape(selection.basis)) among the candidates (higher is better):</p>"
            func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "" }
            html += table(
                ["model", "log-likelihood", "holdout log-likelihood", "holdout purchases predicted / actual", "bucket error", "note"],
                selection.candidates.map { candidate in
                    [
                        candidate.model + (candidate.model == selection.chosen ? " (chosen)" : ""), number(candidate.logLikelihood, "%.1f"),
                        number(candidate.holdoutLogLikelihood, "%.1f"),
                        candidate.holdoutPredicted.map { String(format: "%.0f / %.0f", $0, candidate.holdoutActual ?? .nan) } ?? "",
                        number(candidate.holdoutBucketError, "%.3f"), candidate.failure ?? "",
                    ]
                })
        }
        if let evaluation = churn.classifierEvaluation {
            var population =
                "The churn model covers \(escape(churn.population)): \(Formatting.count(churn.populationCustomers)) customers at as_of; "
                + String(
                    format: "on the holdout, %@ of them churned and its AUC is %.3f", percent(evaluation.positiveRate), evaluation.rocAUC ?? .nan)
            if let baseline = churn.baselineEvaluation?.rocAUC {
                population += String(format: ", against %.3f for the purchase model's expected purchases alone", baseline)
            }
            html += "<p>\(population).</p>"
            if let byStatus = churn.classifierEvaluationByStatus, !byStatus.isEmpty {
                html += table(
                    ["status at the snapshot", "customers", "churned", "AUC"],
                    byStatus.sorted { $0.key < $1.key }.map {
                        [$0.key, Formatting.count($0.value.count), percent($0.value.positiveRate), String(format: "%.3f", $0.value.rocAUC ?? .nan)]
                    })
            }
        }
        for warning in churn.warnings { html += "<p class=\"warn\">\(escape(warning))</p>" }
        var figures: [String] = []
        if !churn.holdoutByFrequency.isEmpty {
            let chart = SVGChart.bars(
                categories: churn.holdoutByFrequency.map { "\($0.repeatPurchases) repeat" },
                series: [
                    ("predicted", churn.holdoutByFrequency.map(\.predictedMean)), ("actual", churn.holdoutByFrequency.map(\.actualMean)),
                ], yTitle: "purchases per customer")
            figures.append(
                figure(
                    chart,
                    "Purchase model, fitted up to \(escape(churn.holdoutCalibrationEnd ?? "?")): predicted vs actual purchases in the next \(churn.horizonDays) days, by repeat purchases so far."
                ))
        }
        if let evaluation = churn.classifierEvaluation {
            figures.append(
                figure(
                    SVGChart.lines(
                        [
                            .init(
                                name: String(format: "churn model (AUC %.3f)", evaluation.rocAUC ?? .nan),
                                points: evaluation.rocCurve.map { ($0[0], $0[1]) }),
                            .init(name: "random", points: [(0, 0), (1, 1)], dashed: true),
                        ], x: ("false positive rate", 0...1), y: ("true positive rate", 0...1), percentAxes: true),
                    "ROC curve on the out-of-time holdout."))
            let gains = [(0.0, 0.0)] + evaluation.cumulativeGains.enumerated().map { (Double($0.offset + 1) / 10, $0.element) }
            figures.append(
                figure(
                    SVGChart.lines(
                        [
                            .init(name: "churn model", points: gains, markers: true),
                            .init(name: "random", points: [(0, 0), (1, 1)], dashed: true),
                        ], x: ("customers contacted, by risk", 0...1), y: ("share of churners found", 0...1), percentAxes: true),
                    String(
                        format: "Cumulative gains: the top decile holds %@ of churners, a lift of %.2f.", percent(evaluation.topDecileCapture ?? 0),
                        evaluation.topDecileLift ?? .nan)))
            let bins = evaluation.calibration.filter { $0.meanPredicted != nil && $0.observedRate != nil }
            figures.append(
                figure(
                    SVGChart.lines(
                        [
                            .init(name: "churn model", points: bins.map { ($0.meanPredicted!, $0.observedRate!) }, markers: true),
                            .init(name: "perfect calibration", points: [(0, 0), (1, 1)], dashed: true),
                        ], x: ("predicted churn probability", 0...1), y: ("observed churn rate", 0...1), percentAxes: true),
                    String(
                        format: "Calibration in ten bins; log loss %.3f, Brier score %.3f, on %@ customers.", evaluation.logLoss,
                        evaluation.brierScore, Formatting.count(evaluation.count))))
        }
        html += "<div class=\"row\">" + figures.joined() + "</div>"
        return section("Churn and lifetime value", html)
    }

    static func migrationSection(_ migration: Migration, previous: String?) -> String {
        var html =
            "<p>Since run \(escape(previous ?? "?")): \(Formatting.count(migration.newCustomers)) new customers, \(Formatting.count(migration.goneCustomers)) gone, \(Formatting.count(migration.unchangedCustomers)) unchanged, \(Formatting.count(migration.movers.count)) \(Migration.moversMeaning) (movers.csv).</p>"
        for dimension in Assignments.dimensions {
            let matrix = migration.matrix(dimension)
            guard !matrix.from.isEmpty else { continue }
            html += "<h3>\(escape(dimension)): from (rows) to (columns)</h3>"
            html += table(
                [""] + matrix.to, zip(matrix.from, matrix.customers).map { from, row in [from] + row.map { $0.map(Formatting.count) ?? "" } })
        }
        return section("What changed", html)
    }

    /// The loyalty × profitability quadrants as a 2 × 2 chart, and the strongest category rules.
    static func loyaltyAndCrossSell(_ content: ReportContent) -> String {
        var html = ""
        if let quadrants = content.manifest.segmentation?.loyaltyQuadrants {
            func group(_ name: String) -> Manifest.Segmentation.ValueGroup? { quadrants.first { $0.name == name } }
            let cells = [["quality", "steady_but_thin"], ["fashion", "poor"]].map { row in row.map(group) }
            let total = quadrants.reduce(0) { $0 + $1.customers }
            html += figure(
                SVGChart.heatmap(
                    rows: ["loyal", "not loyal"], columns: ["profitable", "not profitable"],
                    values: cells.map { $0.map { $0?.valueShare ?? 0 } }, color: { SVGChart.sequentialColor($0, maximum: 1) },
                    text: { percent($0) }),
                "Share of \(content.manifest.segmentation?.valueMeasure ?? "") value per loyalty × profitability quadrant "
                    + "(docs/crm-analyses.md): quality (loyal, profitable), steady_but_thin (loyal, not profitable), "
                    + "fashion (valuable but fickle), poor.")
            html += table(
                ["quadrant", "customers", "share of customers", "value", "share of value"],
                quadrants.map {
                    [
                        $0.name, Formatting.count($0.customers), percent(Double($0.customers) / Double(max(total, 1))),
                        Formatting.count(Int($0.value.rounded())), percent($0.valueShare),
                    ]
                })
        }
        if let affinity = content.manifest.affinity {
            html +=
                "<p>Category affinity over \(Formatting.count(affinity.customers)) customers and \(Formatting.count(affinity.categories)) "
                + "categories: \(Formatting.count(affinity.rules)) rules with at least \(Formatting.count(affinity.minCustomers)) customers each. "
                + "The strongest, by lift:</p>"
            html += table(
                ["bought", "also bought", "customers", "confidence", "lift"],
                content.affinityRules.map {
                    [$0.antecedent, $0.consequent, Formatting.count($0.customers), percent($0.confidence), String(format: "%.2f", $0.lift)]
                })
        }
        return section("Loyalty and cross-sell", html)
    }

    /// Who is in each RFM segment and cluster, in a line each, with the traits behind it.
    static func personasSection(_ personas: PersonaProfiles) -> String {
        let rows = personas.profiles.map { profile in
            [
                profile.dimension == "rfm_segment" ? "RFM segment" : "cluster", profile.group, Formatting.count(profile.customers),
                percent(profile.valueShare), profile.description,
                profile.traits.map { "\($0.attribute) \($0.value): \(percent($0.share)) vs \(percent($0.baseShare))" }.joined(separator: "; "),
            ]
        }
        return section(
            "Personas",
            table(["by", "group", "customers", "share of value", "in a line", "over-represented against all customers"], rows)
                + "<p>Traits: attribute values held by at least 20% of the group and at least 1.25 times as often as in the whole base; "
                + "every profile with medians is in personas.csv.</p>")
    }

    /// NPS per segment with its interval, groups with few answers marked, and the behaviour ×
    /// attitude loyalty matrix.
    static func npsSection(_ nps: NPSSummary) -> String {
        var html = ""
        let types = nps.groups.filter { $0.dimension == "loyalty_type" }
        if !types.isEmpty {
            func customers(_ name: String) -> Double { Double(types.first { $0.value == name }?.customers ?? 0) }
            let cells = [["loyal", "latent"], ["spurious", "not_loyal"]].map { $0.map(customers) }
            html += figure(
                SVGChart.heatmap(
                    rows: ["high attitude", "low attitude"], columns: ["repeat buying", "no repeat buying"], values: cells,
                    color: { SVGChart.sequentialColor($0, maximum: cells.joined().max() ?? 1) }, text: { Formatting.count(Int($0)) }),
                "Behaviour × attitude loyalty matrix (respondents only): loyal, latent (high attitude, no repeat buying), "
                    + "spurious (repeat buying, low attitude), not loyal.")
        }
        let shown = nps.groups.filter { $0.dimension != "loyalty_type" && $0.nps.respondents > 0 }
        html += table(
            ["dimension", "group", "customers", "respondents", "NPS", "95% interval", "satisfaction"],
            shown.map { group in
                let interval = group.nps.interval()
                return [
                    group.dimension, group.value, Formatting.count(group.customers),
                    Formatting.count(group.nps.respondents) + (group.isReliable ? "" : " (few)"), String(format: "%.1f", group.nps.score),
                    String(format: "%.1f to %.1f", interval.low, interval.high),
                    group.satisfactionMean.isFinite ? String(format: "%.2f", group.satisfactionMean) : "",
                ]
            })
        html +=
            "<p>NPS = % promoters (9–10) − % detractors (0–6) among respondents; customers without an answer are not counted. "
            + "\"(few)\": fewer respondents than nps.min_respondents, so the interval is wide.</p>"
        return section("Net Promoter Score", html)
    }

    /// What referrals brought: credited referrals, the referred customers' share of revenue,
    /// the largest cascades, and the rows each rule left uncredited.
    static func referralSection(
        _ referrals: Manifest.Referrals, largest: [(referrer: String, referrals: Int, size: Int, depth: Int, value: Double)]
    ) -> String {
        var html =
            "<p>\(Formatting.count(referrals.referrals)) referrals credited, from \(Formatting.count(referrals.referrers)) referrers. "
            + "\(Formatting.count(referrals.referredBuyers)) of the customers brought have bought, "
            + "and they account for \(percent(referrals.referredRevenueShare)) of revenue. The largest cascade holds "
            + "\(Formatting.count(referrals.largestCascade)) customers; the longest chain is \(Formatting.count(referrals.deepestCascade)) "
            + "referrals deep.</p>"
        html += table(
            ["referrer", "referrals made", "cascade size", "cascade depth", "referral value"],
            largest.map {
                [
                    $0.referrer, Formatting.count($0.referrals), Formatting.count($0.size), Formatting.count($0.depth),
                    Formatting.count(Int($0.value.rounded())),
                ]
            })
        html +=
            "<p>Referral value: the monetary_total of the customers a referrer brought directly, each referred customer credited to "
            + "one referrer only; the cascade counts everyone below them (docs/crm-analyses.md).</p>"
        html += table(
            ["rows not credited", "rows"],
            referrals.ignored.sorted { $0.key < $1.key }.map { [$0.key.replacingOccurrences(of: "_", with: " "), Formatting.count($0.value)] })
        return section("Referrals", html)
    }

    static func section(_ title: String, _ body: String) -> String { "<section><h2>\(escape(title))</h2>\(body)</section>" }

    static func figure(_ svg: String, _ caption: String) -> String { "<figure>\(svg)<figcaption>\(escape(caption))</figcaption></figure>" }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        "<table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
            + rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    static func escape(_ text: String) -> String { SVGChart.escape(text) }
}
