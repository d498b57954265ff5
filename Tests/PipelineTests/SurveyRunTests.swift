import Export
import Foundation
import RunRecords
import SegflowCore
import TestSupport
import Testing

@testable import Pipeline

/// A run with survey answers: per-customer columns, nps.csv, rejected_surveys.csv and the
/// manifest's input; and a survey file over the rejection budget stops the run with nothing
/// written.
@Suite(.serialized) struct SurveyRunTests {
    /// Transactions for customers a (4 purchases, the last recent) and b (one long ago).
    let transactions = """
        customer_id,order_id,ts,amount
        a,o1,2024-01-05,10
        b,o2,2024-01-06,50
        a,o3,2024-02-05,10
        a,o4,2024-03-05,10
        a,o5,2024-03-30,10

        """

    func run(surveys: String, budget: String = "0", in directory: TemporaryDirectory) throws -> RunOutcome {
        let yaml = """
            name: surveyed
            as_of: 2024-04-01
            inputs:
              transactions:
                path: \(try directory.write("t.csv", transactions))
                columns: {customer: customer_id, order: order_id, time: ts, amount: amount}
                time_format: date
              surveys:
                path: \(try directory.write("s.csv", surveys))
                columns: {customer: who, time: when, nps: score}
                time_format: date
            clean: {max_rejected: \(budget)}
            segment: {}
            nps: {min_respondents: 2}
            outputs:
              directory: \(directory.file("out"))
              files: [{customers: customers.csv}, {nps: nps_export.csv}]

            """
        return try PipelineRunner(pipeline: try PipelineFile.parse(yaml, path: directory.file("p.yaml"), fingerprint: "0")).run()
    }

    @Test func answersJoinCustomersAndSegments() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let surveys = "who,when,score\na,2024-01-10,4\na,2024-03-10,10\nb,2024-02-01,6\nb,2024-05-01,10\nz,2024-02-01,9\n"
        let outcome = try run(surveys: surveys, budget: "1", in: directory)
        let customers = try directory.read("out/current/customers.csv").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let header = customers[0].map(String.init)
        func value(_ column: String, _ row: Int) -> String { String(customers[row][header.firstIndex(of: column)!]) }
        #expect(Array(header.suffix(3)) == ["nps_score", "nps_class", "loyalty_type"])
        // a: latest answer 10, keeps buying: loyal. b: the May answer is after as_of, so 6;
        // one purchase long ago: not loyal.
        #expect([value("nps_score", 1), value("nps_class", 1), value("loyalty_type", 1)] == ["10", "promoter", "loyal"])
        #expect([value("nps_score", 2), value("nps_class", 2), value("loyalty_type", 2)] == ["6", "detractor", "not_loyal"])
        let surveysInput = try #require(outcome.manifest.inputs.first { $0.name == "surveys" })
        #expect(surveysInput.records == 5 && surveysInput.rejected == 1)
        #expect(try directory.read("out/current/rejected_surveys.csv").contains("6,customer in column 'who' has no accepted transaction"))
        let nps = try directory.read("out/current/nps.csv")
        #expect(nps.hasPrefix("dimension,value,customers,respondents,response_rate,promoters,passives,detractors,nps,nps_low,nps_high"))
        #expect(nps.contains("\nall,all,2,2,1,1,0,1,0,-100,100,,yes\n"), "\(nps)")
        #expect(try directory.read("out/current/nps_export.csv") == nps)
    }

    @Test func aBadSurveyFileStopsTheRunAndWritesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect {
            try run(surveys: "who,when,score\na,2024-01-10,11\n", in: directory)
        } throws: { error in
            let text = (error as? SegflowError)?.description ?? ""
            return text.contains("s.csv: error: 1 of 1 data rows were rejected")
                && text.contains("s.csv:2: error: rejected: NPS answer in column 'score'")
        }
        #expect(!directory.exists("out/current"))
    }
}
