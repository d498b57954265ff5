import Foundation
import SegflowCore

/// `metrics.prom` in the Prometheus text format, for node-exporter's textfile collector:
/// point the collector at the outputs directory (or copy the file). Written after each
/// successful run, so its timestamp also tells when the pipeline last succeeded; a failed
/// run leaves the previous file.
public struct RunMetrics {
    public let pipeline: String
    public let manifest: Manifest
    public let record: RunRecord
    public let finishedAt: Date

    public init(pipeline: String, manifest: Manifest, record: RunRecord, finishedAt: Date) {
        self.pipeline = pipeline
        self.manifest = manifest
        self.record = record
        self.finishedAt = finishedAt
    }

    public var text: String {
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            guard !samples.isEmpty else { return }
            lines.append("# HELP segflow_\(name) \(help)")
            lines.append("# TYPE segflow_\(name) gauge")
            for sample in samples {
                let labels = ([("pipeline", pipeline)] + sample.labels).map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
                lines.append("segflow_\(name){\(labels)} \(Self.number(sample.value))")
            }
        }
        metric(
            "last_success_timestamp_seconds", "Unix time the last successful run finished.",
            [([], finishedAt.timeIntervalSince1970.rounded())])
        metric("run_duration_seconds", "Wall-clock seconds of the last successful run.", [([], record.totalSeconds)])
        metric(
            "stage_duration_seconds", "Seconds per stage of the last successful run.",
            record.stageSeconds.sorted { $0.key < $1.key }.map { ([("stage", $0.key)], $0.value) })
        metric("rows_in", "Rows into each stage.", manifest.stages.map { ([("stage", $0.stage)], Double($0.rowsIn)) })
        metric("rows_out", "Rows out of each stage.", manifest.stages.map { ([("stage", $0.stage)], Double($0.rowsOut)) })
        metric("rejected_rows", "Input rows rejected as malformed.", [([], Double(manifest.rejectedRows))])
        if let segmentation = manifest.segmentation {
            metric("customers", "Customers per RFM segment.", segmentation.rfmSegments.map { ([("rfm_segment", $0.name)], Double($0.customers)) })
        }
        if let clustering = manifest.clustering {
            metric(
                "cluster_customers", "Customers per k-means cluster.",
                clustering.clusters.map { ([("cluster", String($0.cluster)), ("label", $0.label)], Double($0.customers)) })
        }
        if let auc = manifest.churn?.rocAUC {
            metric("churn_auc", "Holdout ROC AUC of the churn model.", [([], auc)])
        }
        if let migration = manifest.migration {
            metric(
                "movers", "Customer moves listed in movers.csv: into at_risk or loyal status, out of loyal, into high churn risk, down a value tier.",
                [([], Double(migration.movers))])
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)) : "NaN"
    }
}
