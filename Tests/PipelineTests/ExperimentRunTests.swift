import Export
import Foundation
import RunRecords
import SegflowCore
import TestSupport
import Testing

@testable import Pipeline

/// `--experiment` publishes under OUTPUT/experiments with its own history and leaves
/// production alone: no database, no metrics.prom, no production run; `--until` stops early.
@Suite(.serialized) struct ExperimentRunTests {
    func pipeline(in directory: TemporaryDirectory) throws -> PipelineFile {
        let yaml = try String(contentsOfFile: "Pipelines/retail.yaml", encoding: .utf8)
            .replacingOccurrences(of: "directory: out", with: "directory: \(directory.file("out"))")
        return try PipelineFile.parse(yaml, path: directory.file("p.yaml"), fingerprint: "0")
    }

    @Test func anExperimentLeavesProductionAlone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pipeline = try pipeline(in: directory)
        let outcome = try PipelineRunner(pipeline: pipeline, experiment: .init()).run()
        #expect(outcome.runDirectory.hasPrefix(directory.file("out/experiments/runs/")))
        #expect(outcome.manifest.experiment == "all stages")
        #expect(outcome.manifest.databaseTables == nil)
        let top = try FileManager.default.contentsOfDirectory(atPath: directory.file("out"))
        #expect(top == ["experiments"], "production files appeared: \(top)")
        // The configured files are written, so the experiment can be inspected like a run.
        #expect(directory.exists("out/experiments/current/customers.csv"))
        #expect(directory.exists("out/experiments/current/summary.csv"))
        #expect(!directory.exists("out/experiments/metrics.prom"))
    }

    @Test func untilStopsAfterTheStageAndWritesOnlyTheRunsOwnFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try PipelineRunner(pipeline: try pipeline(in: directory), experiment: .init(until: "cluster")).run()
        #expect(outcome.manifest.experiment == "until cluster")
        #expect(outcome.manifest.stages.map(\.stage) == ["ingest", "clean", "features", "segment", "cluster", "export"])
        #expect(outcome.manifest.churn == nil && outcome.manifest.clustering != nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: outcome.runDirectory)
        #expect(!files.contains("customers.csv") && files.contains("summary.csv") && files.contains("assignments.csv"))
        let header = try #require(try directory.read("out/experiments/current/assignments.csv").split(separator: "\n").first)
        #expect(header == "customer_id,rfm_segment,value_tier,lifecycle_stage,status,cluster")
    }

    @Test func untilAStageThePipelineLacksIsAConfigError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect {
            try PipelineRunner(pipeline: try pipeline(in: directory), experiment: .init(until: "clusters")).run()
        } throws: { error in
            let error = error as? SegflowError
            return error?.kind == .config && error?.description.contains("choose one of: ingest, clean, features, segment, cluster, churn") == true
        }
        #expect(!directory.exists("out/experiments/runs"))
    }
}
