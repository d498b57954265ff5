import Foundation
import Ingest
import RunRecords
import SegflowCore
import TestSupport
import Testing

@testable import Pipeline

@Suite struct ChurnStageTests {
    @Test func quantileBandsAreSharesOfTheScoredCustomersWithTiesTogether() throws {
        let pipeline = try parse(validPipeline + "churn:\n  risk: {bands: quantile, high_share: 0.2, medium_share: 0.3}\n")
        let risk = try #require(pipeline.churn?.risk)
        // Ranked: 0.9 0.8 | 0.7 0.6 0.5 | 0.5 0.4 0.3 0.2 0.1; the second 0.5 ties into medium.
        let probabilities = [0.5, 0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8, 0.4, 0.6]
        #expect(
            risk.quantileBands(probabilities)
                == ["medium", "low", "high", "low", "medium", "medium", "low", "high", "low", "medium"])
        // 0.2 and 0.3 of 1,000 distinct probabilities are exactly 200 and 300 customers.
        let many = (0..<1000).map { Double($0) / 1000 }
        #expect(risk.quantileBands(many).filter { $0 == "high" }.count == 200)
        #expect(risk.quantileBands(many).filter { $0 == "medium" }.count == 300)
    }

    @Test func quantileBandKeysAreCheckedTogether() {
        #expect(
            diagnostics(validPipeline + "churn:\n  risk: {bands: quantile, high_share: 0.6, medium_share: 0.5}\n")
                == "p.yaml:9:58: error: 'churn.risk.high_share' and 'churn.risk.medium_share' add up to more than 1\n"
                + "  hint: they are shares of the same customers, e.g. high_share: 0.1, medium_share: 0.2")
    }

    /// The literature's protocol on the CDNOW sample: calibrate on 39 weeks (as_of
    /// 1997-10-01), predict the next 39 with the purchase model alone, with no room for a
    /// holdout check before as_of (skipped, and said). The predictions equal lifetimes 0.11.3's
    /// on the same calibration (BetaGeoFitter, conditional_expected_number_of_purchases_up_to_time
    /// at 39 weeks): 1,653.41 in total and the means per number of repeat purchases below.
    /// The customers then made 1,882 purchase days in those 39 weeks, which the file holds but
    /// the run never saw: BG/NBD under-forecasts this holdout by 12%, most for customers with
    /// one or two repeat purchases, as it does in lifetimes.
    @Test func cdnowCalibratesOn39WeeksAndPredictsTheNext39() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let yaml = """
            name: cdnow
            as_of: 1997-10-01
            inputs:
              transactions:
                path: Tests/Fixtures/CDNOW_sample.txt
                columns: {customer: "2", time: "3", amount: "5"}
                time_format: '%Y%m%d'
                delimiter: whitespace
                header: false
            clean: {dedupe: none}
            churn: {model: none, horizon: 39w, purchase_model: bgnbd}
            outputs: {directory: \(directory.file("out")), files: [{customers: customers.csv}]}
            """
        let pipeline = try PipelineFile.parse(yaml, path: directory.file("p.yaml"), fingerprint: "0")
        let outcome = try PipelineRunner(pipeline: pipeline).run()
        #expect(outcome.manifest.churn?.warnings.contains { $0.contains("holdout check of the purchase model was skipped") } == true)
        let (header, rows) = try CSVRecords.read(path: "\(outcome.runDirectory)/customers.csv")
        let column = { (name: String) in try #require(header.firstIndex(of: name)) }
        let (idColumn, frequencyColumn, expectedColumn) = (try column("customer_id"), try column("frequency"), try column("expected_purchases"))
        #expect(rows.count == 2357)

        // What happened next: distinct purchase days from as_of to 1998-06-30.
        let asOf = CivilTime.daysFromCivil(year: 1997, month: 10, day: 1)
        var later: [String: Set<Int64>] = [:]
        for line in try String(contentsOfFile: "Tests/Fixtures/CDNOW_sample.txt", encoding: .utf8).split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            guard fields.count == 5,
                let day = CivilTime.parseDate(String(fields[2].prefix(4) + "-" + fields[2].dropFirst(4).prefix(2) + "-" + fields[2].suffix(2))),
                day >= asOf, day < asOf + 273
            else { continue }
            later[String(fields[1]), default: []].insert(day)
        }
        var predicted = [Double](repeating: 0, count: 8), actual = [Double](repeating: 0, count: 8), customers = [Double](repeating: 0, count: 8)
        for row in rows {
            // frequency counts purchase days including the first; repeat purchases are one fewer.
            let bucket = min(max((Int(row[frequencyColumn]) ?? 1) - 1, 0), 7)
            predicted[bucket] += Double(row[expectedColumn]) ?? .nan
            actual[bucket] += Double(later[row[idColumn]]?.count ?? 0)
            customers[bucket] += 1
        }
        let totalPredicted = predicted.reduce(0, +), totalActual = actual.reduce(0, +)
        #expect(abs(totalPredicted - 1653.4087241799125) < 1e-3, "predicted \(totalPredicted)")
        #expect(totalActual == 1882)
        let lifetimes = [0.225087, 0.523131, 1.044134, 1.520280, 2.163866, 2.653846, 3.504042, 6.157191]
        let observed = [0.236712, 0.697039, 1.392523, 1.560000, 2.532258, 2.947368, 3.862069, 6.359375]
        for bucket in 0..<8 {
            #expect(abs(predicted[bucket] / customers[bucket] - lifetimes[bucket]) < 1e-5, "\(bucket) repeat purchases: predicted")
            #expect(abs(actual[bucket] / customers[bucket] - observed[bucket]) < 1e-5, "\(bucket) repeat purchases: actual")
        }
    }
}
