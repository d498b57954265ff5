import Export
import Foundation
import Ingest
import RunRecords
import SegflowCore
import TestSupport
import Testing

@testable import Pipeline

/// The options that are parsed and documented, each run end to end on the bundled sample,
/// in process, with the effect it promises checked in the published files.
@Suite(.serialized) struct RunnerOptionsTests {
    struct Published {
        var outcome: RunOutcome
        var manifest: Manifest
        var header: [String]
        var rows: [[String]]

        func column(_ name: String) throws -> [String] {
            let index = try #require(header.firstIndex(of: name), "customers.csv has no column \(name)")
            return rows.map { $0[index] }
        }
    }

    /// Runs a pipeline over `data` (the sample's dozen bad rows allowed) with `clean` keys
    /// and further sections given as YAML.
    func run(
        _ sections: String = "", clean: String = "", data: String = "SampleData/transactions.csv", input: String = "",
        in directory: TemporaryDirectory,
        keepRuns: Int = 10, asOf: Int64? = nil
    ) throws -> Published {
        let yaml = """
            name: options
            inputs:
              transactions:
                path: \(data)
                columns: {customer: customer_id, order: order_id, time: ts, amount: amount}
            \(input)
            clean: {max_rejected: 0.1%\(clean)}
            \(sections)
            outputs: {directory: \(directory.file("out")), keep_runs: \(keepRuns), files: [{customers: customers.csv}]}
            """
        let pipeline = try PipelineFile.parse(yaml, path: directory.file("p.yaml"), fingerprint: "0")
        let outcome = try PipelineRunner(pipeline: pipeline, asOfOverride: asOf).run()
        let manifest = try Manifest.decode(Data(contentsOf: URL(fileURLWithPath: "\(outcome.runDirectory)/manifest.json")))
        let (header, rows) = try CSVRecords.read(path: "\(outcome.runDirectory)/customers.csv")
        return Published(outcome: outcome, manifest: manifest, header: header, rows: rows)
    }

    /// Pareto/NBD and BG/NBD, in weeks or days, with and without the classifier: every
    /// customer gets a probability of being alive and non-negative expected purchases.
    @Test(arguments: [("pareto_nbd", "week", "none"), ("bgnbd", "day", "none"), ("pareto_nbd", "day", "logistic")])
    func purchaseModelsAndTimeUnitsScoreEveryCustomer(model: String, unit: String, classifier: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let published = try run("churn: {purchase_model: \(model), time_unit: \(unit), model: \(classifier), horizon: 60d}", in: directory)
        #expect(published.manifest.churn?.purchaseModel == model)
        let alive = try published.column("p_alive").map { try #require(Double($0)) }
        #expect(alive.count == published.rows.count && alive.allSatisfy { (0...1).contains($0) })
        #expect(try published.column("expected_purchases").allSatisfy { (Double($0) ?? -1) >= 0 })
        #expect(published.header.contains("churn_probability") == (classifier == "logistic"))
        #expect((published.manifest.churn?.rocAUC != nil) == (classifier == "logistic"))
    }

    /// `measure: current` ranks by spend in the window: every tier-A customer spent in it, and
    /// the tiers cover every customer.
    @Test func currentValueMeasureRanksByRecentSpend() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let published = try run("segment: {value: {measure: current, current_window_days: 90}}", in: directory)
        #expect(published.manifest.segmentation?.valueMeasure == "current")
        let tiers = try published.column("value_tier"), current = try published.column("current_value").map { Double($0) ?? 0 }
        #expect(zip(tiers, current).filter { $0.0 == "A" }.allSatisfy { $0.1 > 0 })
        #expect(published.manifest.segmentation?.valueTiers.reduce(0) { $0 + $1.customers } == published.rows.count)
    }

    /// `measure: potential` ranks by clv, which needs the churn stage to run first: the tiers
    /// follow clv (every A is worth at least every B, every B at least every C with a clv
    /// above 0), and the columns keep their documented order.
    @Test func potentialValueMeasureRanksByLifetimeValue() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let churn = "churn: {model: none, horizon: 60d}"
        let published = try run("segment: {value: {measure: potential}}\n\(churn)", in: directory)
        #expect(published.manifest.segmentation?.valueMeasure == "potential")
        let tiers = try published.column("value_tier"), clv = try published.column("clv").map { Double($0) ?? 0 }
        func values(_ tier: String) -> [Double] { zip(tiers, clv).filter { $0.0 == tier }.map(\.1) }
        #expect(values("A").min()! >= values("B").max()!)
        #expect(values("B").min()! >= values("C").filter { $0 > 0 }.max()!)
        #expect(published.manifest.segmentation?.valueTiers.reduce(0) { $0 + $1.customers } == published.rows.count)
        let other = try TemporaryDirectory()
        defer { other.remove() }
        #expect(try run("segment: {}\n\(churn)", in: other).header == published.header)
    }

    /// Clusters may use any number column: RFM scores from the segment stage, P(alive) from the
    /// churn stage (which then runs first), and a feature `features:` does not list, which is
    /// then written anyway. customers.csv keeps its documented column order.
    @Test func clustersOnColumnsOtherStagesAdd() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let published = try run(
            """
            features: [recency]
            segment:
              kmeans: {features: [r_score, f_score, tenure_days, p_alive], k: 4}
            churn: {model: none, horizon: 60d}
            """, in: directory)
        #expect(published.header.contains("tenure_days") && !published.header.contains("monetary_total"))
        let cluster = try #require(published.header.firstIndex(of: "cluster")), alive = try #require(published.header.firstIndex(of: "p_alive"))
        #expect(cluster < alive)
        #expect(Set(try published.column("cluster")).count == 4)
        #expect(published.manifest.stages.map(\.stage).prefix(6) == ["ingest", "clean", "features", "segment", "churn", "cluster"])
    }

    /// A gzip file with another delimiter gives the customers table of the plain CSV, byte
    /// for byte.
    @Test func gzipWithASemicolonDelimiterReadsLikeThePlainFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plain = try run(in: directory)
        let semicolons = try String(contentsOfFile: "SampleData/transactions.csv", encoding: .utf8).replacingOccurrences(of: ",", with: ";")
        let compressed = try Fixtures.gzip(directory.write("semicolons.csv", semicolons))
        let other = try TemporaryDirectory()
        defer { other.remove() }
        let read = try run(data: compressed, input: "    delimiter: ';'", in: other)
        #expect(read.rows == plain.rows)
        #expect(read.manifest.inputs[0].records == plain.manifest.inputs[0].records)
    }

    /// `date_range` keeps only rows inside it; `winsorize` caps the largest amounts.
    @Test func dateRangeAndWinsorizeDoWhatTheySay() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plain = try run(in: directory)
        let ranged = try run(clean: ", date_range: {from: 2025-01-01}", in: directory)
        #expect(try ranged.column("first_purchase").allSatisfy { $0 >= "2025-01-01" })
        #expect(ranged.rows.count < plain.rows.count)
        let capped = try run(clean: ", winsorize: 0.99", in: directory)
        let largest = { (published: Published) in try published.column("monetary_mean").compactMap(Double.init).max() ?? 0 }
        #expect(try largest(capped) < largest(plain))
        #expect(capped.rows.count == plain.rows.count)
    }

    /// `keep_runs` prunes the oldest published runs, never the current one.
    @Test func keepRunsPrunesTheOldest() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var runIDs: [String] = []
        for _ in 0..<3 { runIDs.append(try run(in: directory, keepRuns: 2).outcome.record.runID) }
        let kept = RunDirectory(root: directory.file("out")).publishedRuns()
        #expect(kept == Array(runIDs.suffix(2)))
        #expect(RunDirectory(root: directory.file("out")).currentRun() == runIDs.last)
    }

    static let clustering =
        "segment: {kmeans: {features: [{name: recency_days, transform: log1p}, {name: frequency, transform: log1p}, "
        + "{name: monetary_mean, transform: signed_log1p}], k: auto, k_range: [3, 8]}}"

    /// Customer -> cluster id of a published run.
    func clusterIDs(_ published: Published) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(try published.column("customer_id"), try published.column("cluster")))
    }

    /// A night with 1% more rows keeps at least 99% of customers in their cluster (by id):
    /// clusters continue from the previous run's centres and keep their ids. Shuffling the
    /// input rows changes no customer's cluster.
    @Test func clusterIDsSurviveOnePercentMoreRowsAndAnyRowOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lines = try String(contentsOfFile: "SampleData/transactions.csv", encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        let header = lines[0], rows = lines.dropFirst().filter { !$0.isEmpty }
        let fewer = try directory.write(
            "fewer.csv", ([header] + rows.enumerated().filter { $0.offset % 100 != 0 }.map(\.element)).joined(separator: "\n") + "\n")
        let before = try run(Self.clustering, data: fewer, in: directory)
        let after = try run(Self.clustering, in: directory)
        let (old, new) = (try clusterIDs(before), try clusterIDs(after))
        let common = old.keys.filter { new[$0] != nil }
        let kept = common.filter { old[$0] == new[$0] }.count
        #expect(Double(kept) >= 0.99 * Double(common.count), "\(kept) of \(common.count) customers kept their cluster id")

        var random = RandomSource(seed: 5)
        let shuffled = try directory.write("shuffled.csv", ([header] + rows.shuffled(using: &random)).joined(separator: "\n") + "\n")
        let other = try TemporaryDirectory()
        defer { other.remove() }
        let fresh = try run(Self.clustering, in: other)
        let third = try TemporaryDirectory()
        defer { third.remove() }
        let reordered = try run(Self.clustering, data: shuffled, in: third)
        #expect(try clusterIDs(reordered) == clusterIDs(fresh))
    }
}
