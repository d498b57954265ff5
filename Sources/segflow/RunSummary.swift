import Export
import Foundation
import History
import LinearAlgebra
import Pipeline
import RunRecords
import SegflowCore

/// The one-screen report printed after a successful run.
struct RunSummary {
    let outcome: RunOutcome
    let detailed: Bool

    var text: String {
        let manifest = outcome.manifest
        var lines: [String] = []
        let record = outcome.record
        lines.append(
            "segflow \(manifest.segflowVersion) · \(manifest.pipeline.name) · as of \(manifest.asOf) · run \(record.runID) · \(Formatting.seconds(record.totalSeconds))"
        )
        for input in manifest.inputs {
            lines.append(
                "  input  \(input.path): \(Formatting.count(input.records)) rows, \(Formatting.count(input.rejected)) rejected, \(Formatting.bytes(input.bytes))"
            )
        }
        lines.append("  stage      rows in     rows out     time")
        for stage in manifest.stages {
            lines.append(
                "  " + pad(stage.stage, 8) + pad(Formatting.count(stage.rowsIn), 12, right: true)
                    + pad(Formatting.count(stage.rowsOut), 13, right: true)
                    + pad(Formatting.seconds(record.stageSeconds[stage.stage] ?? 0), 9, right: true))
            for count in stage.counts where detailed || count.value > 0 {
                lines.append("      \(count.name.replacingOccurrences(of: "_", with: " ")): \(Formatting.count(count.value))")
            }
        }
        if let segmentation = manifest.segmentation {
            let pareto = segmentation.pareto
            let shares = [("1%", pareto.top1Percent), ("5%", pareto.top5Percent), ("10%", pareto.top10Percent), ("20%", pareto.top20Percent)]
                .compactMap { label, share in share.map { "top \(label): \(String(format: "%.1f%%", $0 * 100))" } }
            lines.append("  value (\(segmentation.valueMeasure)) held by " + shares.joined(separator: ", "))
            lines.append(
                "  rfm segments    " + segmentation.rfmSegments.map { "\($0.name) \(Formatting.count($0.customers))" }.joined(separator: " · "))
            lines.append(
                "  value tiers     "
                    + segmentation.valueTiers.sorted { $0.name < $1.name }
                    .map { "\($0.name) \(Formatting.count($0.customers))" }.joined(separator: " · "))
            lines.append(
                "  lifecycle       " + segmentation.lifecycleStages.map { "\($0.name) \(Formatting.count($0.customers))" }.joined(separator: " · "))
            lines.append("  status          " + segmentation.statuses.map { "\($0.name) \(Formatting.count($0.customers))" }.joined(separator: " · "))
        }
        if let clustering = manifest.clustering {
            lines.append("  clusters (k = \(clustering.k), \(clustering.rule))")
            if let note = clustering.note { lines.append("    note: \(note)") }
            for cluster in clustering.clusters {
                lines.append(
                    "    \(cluster.cluster)  " + pad(Formatting.count(cluster.customers), 9, right: true)
                        + String(format: "  %5.1f%% of customers  %5.1f%% of value  ", cluster.share * 100, cluster.valueShare * 100)
                        + cluster.label)
            }
        }
        if let churn = manifest.churn {
            let parameters = churn.parameters.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.3f", $0.value))" }
            lines.append("  churn: \(churn.purchaseModel) \(parameters.joined(separator: ", ")), LL \(String(format: "%.1f", churn.logLikelihood))")
            if let auc = churn.rocAUC {
                lines.append(
                    String(
                        format: "    holdout (%dd): AUC %.3f, log loss %.3f, Brier %.3f, top-decile lift %.2f, capture %.1f%%",
                        churn.horizonDays, auc, churn.logLoss ?? .nan, churn.brierScore ?? .nan,
                        churn.topDecileLift ?? .nan, (churn.topDecileCapture ?? .nan) * 100))
            }
            if let share = churn.nextPurchaseHoldoutShare {
                lines.append(
                    String(format: "    next purchase: %.1f%% of the holdout customers dated inside it bought by their median date", share * 100))
            }
            if let population = churn.population, let customers = churn.populationCustomers {
                lines.append(
                    "    scored: \(population), \(Formatting.count(customers)) customers"
                        + (churn.baselineRocAUC.map { String(format: "; the purchase model alone: AUC %.3f", $0) } ?? ""))
            }
            for warning in churn.warnings { lines.append("    warning: \(warning)") }
        }
        if let migration = outcome.migration, let previous = record.previousRunID {
            lines.append(
                "  since run \(previous): \(Formatting.count(migration.newCustomers)) new, \(Formatting.count(migration.goneCustomers)) gone, "
                    + "\(Formatting.count(migration.unchangedCustomers)) unchanged, \(Formatting.count(migration.movers.count)) \(Migration.moversMeaning) (movers.csv)"
            )
        }
        lines.append("  outputs in \(outcome.runDirectory) (published as current)")
        for output in manifest.outputs {
            lines.append("    \(output.path) (\(Formatting.count(output.rows)) rows)")
        }
        lines.append("    \(RunFiles.report), \(RunFiles.manifest), \(RunFiles.run)")
        for table in manifest.databaseTables ?? [] {
            lines.append("  table \(table.table) in \(table.database) (\(Formatting.count(table.rows)) rows)")
        }
        if detailed { lines.append("  BLAS kernels: OpenBLAS \(BLASKernels.current)") }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
