import Export
import Foundation
import RunRecords
import SegflowCore
import TestSupport
import Testing

@testable import Pipeline

/// A run with a customers file: attributes joined by id, tenure from signup, prospects as
/// rows of their own; and the file's bad rows under the budget.
@Suite(.serialized) struct CustomersRunTests {
    let transactions = "customer_id,order_id,ts,amount\na,o1,2024-01-05,10\nb,o2,2024-03-06,50\na,o3,2024-03-25,10\n"

    func run(customers: String, budget: String = "0", in directory: TemporaryDirectory) throws -> RunOutcome {
        let yaml = """
            name: on-file
            as_of: 2024-04-01
            inputs:
              transactions:
                path: \(try directory.write("t.csv", transactions))
                columns: {customer: customer_id, order: order_id, time: ts, amount: amount}
                time_format: date
              customers:
                path: \(try directory.write("c.csv", customers))
                customer: id
                signup: joined
                tenure_from: signup
                time_format: date
                attributes:
                  - {column: type, kind: category, values: [consumer, business]}
                  - {column: age, kind: number}
            clean: {max_rejected: \(budget)}
            features: [tenure]
            segment: {}
            outputs:
              directory: \(directory.file("out"))
              files:
                - customers: customers.csv
                - {table: customers, path: prospects.csv, columns: [customer_id, type], where: {status: prospect}}

            """
        return try PipelineRunner(pipeline: try PipelineFile.parse(yaml, path: directory.file("p.yaml"), fingerprint: "0")).run()
    }

    @Test func attributesProspectsAndTenure() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // a signed up 2023-04-02, a year before as_of; b is not on file; p never bought.
        let outcome = try run(customers: "id,joined,type,age\na,2023-04-02,business,41\np,2024-02-01,consumer,\n", in: directory)
        let rows = try directory.read("out/current/customers.csv").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = rows[0]
        func value(_ column: String, _ row: Int) -> String { rows[row][header.firstIndex(of: column)!] }
        #expect(rows.count == 4)
        #expect(rows.map { $0[0] } == ["customer_id", "a", "b", "p"])
        #expect([value("type", 1), value("age", 1), value("tenure_days", 1)] == ["business", "41", "365"])
        #expect([value("type", 2), value("signup", 2), value("tenure_days", 2)] == ["", "", "26"])
        #expect([value("status", 3), value("type", 3), value("rfm_segment", 3), value("tenure_days", 3)] == ["prospect", "consumer", "", ""])
        #expect(try directory.read("out/current/prospects.csv") == "customer_id,type\np,consumer\n")
        let input = try #require(outcome.manifest.inputs.first { $0.name == "customers" })
        #expect(input.records == 2 && input.rejected == 0)
        #expect(outcome.manifest.totals?.customers == 3)
    }

    @Test func badRowsAreRejectedUnderTheBudget() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let customers = "id,joined,type,age\na,2023-04-02,business,41\na,2023-05-02,consumer,30\nb,2023-01-01,charity,20\n"
        #expect {
            try run(customers: customers, in: directory)
        } throws: { error in
            let text = (error as? SegflowError)?.description ?? ""
            return text.contains("c.csv:3: error: rejected: customer id in column 'id' is on line 2 already")
                && text.contains("c.csv:4: error: rejected: type is not one of the 2 values listed for it")
        }
        #expect(!directory.exists("out/current"))
        _ = try run(customers: customers, budget: "2", in: directory)
        #expect(try directory.read("out/current/rejected_customers.csv").split(separator: "\n").count == 3)
    }
}

@Suite struct CustomersConfigTests {
    let customers = validPipeline.replacingOccurrences(
        of: "outputs: {directory", with: "  customers: {path: c.csv, customer: id, attributes: [{column: status}]}\noutputs: {directory")

    @Test func anAttributeMayNotTakeAColumnsName() {
        let text = diagnostics(customers + "segment: {}\n")
        #expect(text.contains("the customers table would have two columns named 'status'"), "\(text)")
    }

    @Test func tenureFromSignupNeedsSignup() {
        let text = diagnostics(customers.replacingOccurrences(of: "customer: id,", with: "customer: id, tenure_from: signup,"))
        #expect(text.contains("'inputs.customers.tenure_from: signup' needs the signup column"), "\(text)")
    }

    @Test func onlyCategoriesListValues() {
        let text = diagnostics(customers.replacingOccurrences(of: "{column: status}", with: "{column: age, kind: number, values: [1, 2]}"))
        #expect(text.contains("lists values, which only a category has"), "\(text)")
    }
}
