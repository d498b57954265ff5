import ArgumentParser
import Export
import Foundation
import SampleGenerator
import SegflowCore

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate a realistic synthetic transaction file (CSV, sorted by time).")

    @Option(help: "Number of customers (about 10 rows each).")
    var customers: Int = 5000

    @Option(help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 42

    @Option(help: "Number of malformed lines to mix in.")
    var malformed: Int = 0

    @Option(help: "The CSV file to write.")
    var out: String

    @Option(help: "Also write survey answers (NPS, expectation, perception) to this CSV file.")
    var surveys: String?

    @Option(
        name: .customLong("customers-file"),
        help: "Also write the customers file (signup, region, type, age band, newsletter; and prospects who never bought) to this CSV file.")
    var customersFile: String?

    @Option(help: "Also write a referral log (referrer, referred, time; with the odd self-referral, double claim and unknown id) to this CSV file.")
    var referrals: String?

    func validate() throws {
        guard customers > 0 else { throw ValidationError("--customers must be at least 1") }
        guard malformed >= 0 else { throw ValidationError("--malformed cannot be negative") }
    }

    func run() throws {
        do {
            let generator = SampleGenerator(customers: customers, seed: seed, malformedRows: malformed)
            let output = OutputTransaction()
            let sample = generator.generate()
            try output.stage(out) { try sample.writeTransactions(to: $0) }
            if let surveys { try output.stage(surveys) { try sample.writeSurveys(to: $0) } }
            if let customersFile { try output.stage(customersFile) { try sample.writeCustomers(to: $0) } }
            if let referrals { try output.stage(referrals) { try sample.writeReferrals(to: $0) } }
            try output.commit()
        } catch let error as SegflowError {
            exitReporting(error)
        }
    }
}
