import Export
import Foundation
import RunRecords
import SegflowCore
import TestSupport
import Testing

@testable import Pipeline

/// A run with a referral log: per-customer referral columns for buyers and prospects, the
/// rows the rules leave out in ignored_referrals.csv and the manifest, the report's section;
/// and a broken referral file over the budget stops the run with nothing written.
@Suite(.serialized) struct ReferralRunTests {
    /// a bought first and brought b, who brought c; p is on file and never bought.
    let transactions = """
        customer_id,order_id,ts,amount
        a,o1,2024-01-05,10
        b,o2,2024-02-06,50
        c,o3,2024-03-01,30
        a,o4,2024-03-25,10

        """

    func run(referrals: String, budget: String = "0", in directory: TemporaryDirectory) throws -> RunOutcome {
        let yaml = """
            name: referred
            as_of: 2024-04-01
            inputs:
              transactions:
                path: \(try directory.write("t.csv", transactions))
                columns: {customer: customer_id, order: order_id, time: ts, amount: amount}
                time_format: date
              customers:
                path: \(try directory.write("c.csv", "id\na\nb\nc\np\n"))
                customer: id
              referrals:
                path: \(try directory.write("r.csv", referrals))
                columns: {referrer: from, referred: to, time: at}
                time_format: date
            clean: {max_rejected: \(budget)}
            segment: {}
            churn: {model: none, horizon: 90d}
            outputs:
              directory: \(directory.file("out"))
              files: [{customers: customers.csv}]

            """
        return try PipelineRunner(pipeline: try PipelineFile.parse(yaml, path: directory.file("p.yaml"), fingerprint: "0")).run()
    }

    @Test func referralColumnsIgnoredRowsAndManifest() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let referrals = "from,to,at\na,b,2024-02-01\nb,c,2024-02-20\nc,a,2024-03-02\nb,b,2024-02-01\na,p,2024-03-01\nz,c,2024-02-01\nc,b,2024-05-01\n"
        let outcome = try run(referrals: referrals, in: directory)
        let rows = try directory.read("out/current/customers.csv").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = rows[0]
        func values(_ column: String) -> [String] { rows.dropFirst().map { $0[header.firstIndex(of: column)!] } }
        #expect(Array(header.suffix(6)) == ["referred_by", "referrals_made", "referral_value", "referral_clv", "cascade_size", "cascade_depth"])
        #expect(values("customer_id") == ["a", "b", "c", "p"])
        #expect(values("referred_by") == ["", "a", "b", "a"])
        #expect(values("referrals_made") == ["2", "1", "0", "0"])
        // a brought b (50) and p (a prospect: 0); b brought c (30).
        #expect(values("referral_value") == ["50", "30", "0", "0"])
        #expect(values("cascade_size") == ["3", "1", "0", "0"])
        #expect(values("cascade_depth") == ["2", "1", "0", "0"])
        let summary = try #require(outcome.manifest.referrals)
        #expect(summary.referrals == 3 && summary.referrers == 2 && summary.referredBuyers == 2)
        #expect(abs(summary.referredRevenueShare - 80.0 / 100) < 1e-12)
        #expect(summary.largestCascade == 3 && summary.deepestCascade == 2)
        #expect(
            summary.ignored == [
                "self_referral": 1, "unknown_referrer": 1, "unknown_referred": 0, "after_as_of": 1, "referred_twice": 0,
                "referred_already_customer": 1, "cycle": 0,
            ])
        let ignored = try directory.read("out/current/ignored_referrals.csv")
        #expect(
            ignored.hasPrefix(
                "line,reason,record\n4,\"referred_already_customer: the referred customer first bought on 2024-01-05, before the referral\",\"c,a,2024-03-02\"\n"
                    + "5,self_referral: referrer and referred are the same customer,\"b,b,2024-02-01\"\n"))
        let report = try directory.read("out/current/report.html")
        #expect(report.contains("<h2>Referrals</h2>") && report.contains("3 referrals credited, from 2 referrers"))
    }

    @Test func aBrokenReferralFileStopsTheRunAndWritesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect {
            try run(referrals: "from,to,at\na,,2024-02-01\n", in: directory)
        } throws: { error in
            let text = (error as? SegflowError)?.description ?? ""
            return text.contains("r.csv: error: 1 of 1 data rows were rejected")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("out/current")))
    }
}
