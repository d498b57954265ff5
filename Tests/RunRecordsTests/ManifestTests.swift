import Foundation
import RunRecords
import SegflowCore
import Testing

@Suite struct ManifestTests {
    @Test func roundTripsWithSnakeCaseKeys() throws {
        let manifest = Manifest(
            segflowVersion: "0.1.0", pipeline: .init(name: "p", path: "p.yaml", xxh64: "00"), asOf: "2024-01-01",
            inputs: [.init(name: "transactions", path: "t.csv", bytes: 10, xxh64: "ab", records: 3, rejected: 1)],
            stages: [StageReport(stage: "ingest", rowsIn: 3, rowsOut: 2, seconds: 0.5, counts: [.init("rejected", 1)])],
            rejectedRows: 1, outputs: [.init(name: "customers", path: "out/c.csv", rows: 2)], randomSeeds: [:],
            churn: .init(
                purchaseModel: "bgnbd", parameters: ["r": 0.2], logLikelihood: -1, horizonDays: 90, rocAUC: 0.81, logLoss: 0.4,
                brierScore: 0.1, topDecileLift: 2, topDecileCapture: 0.2, warnings: []),
            totals: .init(customers: 2, revenue: 10.5))
        let data = try manifest.encoded()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"rows_in\" : 3"))
        #expect(text.contains("\"path\" : \"out/c.csv\""))
        #expect(!text.contains("seconds"), "timings belong in run.json")
        #expect(text.contains("\"roc_auc\" : 0.81"))
        var expected = manifest
        expected.stages[0].seconds = 0
        #expect(try Manifest.decode(data) == expected)
    }
}
