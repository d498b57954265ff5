import Foundation
import SegflowCore

/// `manifest.json`: what a run read, did and wrote, for audits and for comparing runs.
/// Keys are snake_case and sorted, so two manifests diff cleanly.
public struct Manifest: Codable, Sendable, Equatable {
    public struct Pipeline: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var xxh64: String
        public init(name: String, path: String, xxh64: String) {
            self.name = name
            self.path = path
            self.xxh64 = xxh64
        }
    }

    public struct Input: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var bytes: Int
        public var xxh64: String
        public var records: Int
        public var rejected: Int
        public init(name: String, path: String, bytes: Int, xxh64: String, records: Int, rejected: Int) {
            self.name = name
            self.path = path
            self.bytes = bytes
            self.xxh64 = xxh64
            self.records = records
            self.rejected = rejected
        }
    }

    public struct Output: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var rows: Int
        public init(name: String, path: String, rows: Int) {
            self.name = name
            self.path = path
            self.rows = rows
        }
    }

    /// What the segment stage found; absent when the pipeline has no `segment` section.
    public struct Segmentation: Codable, Sendable, Equatable {
        public struct Group: Codable, Sendable, Equatable {
            public var name: String
            public var customers: Int
            public init(name: String, customers: Int) {
                self.name = name
                self.customers = customers
            }
        }

        public var pareto: ParetoFigures
        public var valueMeasure: String
        public var rfmSegments: [Group]
        public var valueTiers: [Group]
        public var lifecycleStages: [Group]
        public var statuses: [Group]

        public init(pareto: ParetoFigures, valueMeasure: String, rfmSegments: [Group], valueTiers: [Group],
                    lifecycleStages: [Group], statuses: [Group]) {
            self.pareto = pareto
            self.valueMeasure = valueMeasure
            self.rfmSegments = rfmSegments
            self.valueTiers = valueTiers
            self.lifecycleStages = lifecycleStages
            self.statuses = statuses
        }
    }

    public var segflowVersion: String
    public var pipeline: Pipeline
    public var asOf: String
    public var startedAt: String
    public var inputs: [Input]
    public var stages: [StageReport]
    public var rejectedRows: Int
    public var outputs: [Output]
    /// Seeds of every random step, by step; empty while no stage draws random numbers.
    public var randomSeeds: [String: UInt64]
    public var segmentation: Segmentation?
    public var totalSeconds: Double

    public init(segflowVersion: String, pipeline: Pipeline, asOf: String, startedAt: String, inputs: [Input],
                stages: [StageReport], rejectedRows: Int, outputs: [Output], randomSeeds: [String: UInt64],
                segmentation: Segmentation? = nil, totalSeconds: Double) {
        self.segflowVersion = segflowVersion
        self.pipeline = pipeline
        self.asOf = asOf
        self.startedAt = startedAt
        self.inputs = inputs
        self.stages = stages
        self.rejectedRows = rejectedRows
        self.outputs = outputs
        self.randomSeeds = randomSeeds
        self.segmentation = segmentation
        self.totalSeconds = totalSeconds
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: data)
    }
}
