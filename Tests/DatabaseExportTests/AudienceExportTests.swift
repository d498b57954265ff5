import Foundation
import GRDB
import Ingest
import TestSupport
import Testing

/// `where:` makes an audience: the example pipeline's retention file (CSV), the same audience
/// as JSON Lines and as a SQLite table, and a range on clv: each holds exactly the customers
/// of customers.csv the filter describes.
@Suite(.timeLimit(.minutes(5))) struct AudienceExportTests {
    @Test func aFilterKeepsTheSameCustomersInEveryFormat() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pipeline = try retailVariant(
            in: directory, replacing: "        - {table: summary, name: summary}",
            with: """
                        - {table: summary, name: summary}
                        - {table: customers, name: retention, columns: [customer_id, churn_risk], where: {status: [active, loyal], churn_risk: high}}
                        - {table: customers, name: valuable, columns: [customer_id, clv], where: {clv: {min: 100}}}
                """)
        let yaml = try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(
            of: "  databases:\n",
            with: """
                    - {table: customers, path: audiences/retention.jsonl, columns: [customer_id], where: {status: [active, loyal], churn_risk: high}}
                  databases:

                """)
        try yaml.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let run = try CLI.run(["run", pipeline, "--output", directory.file("out"), "--log-level", "quiet"])
        try #require(run.status == 0, "\(run.stderr)")

        let (header, rows) = try CSVRecords.read(path: directory.file("out/current/customers.csv"))
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name)) }
        let (id, status, risk, clv) = (try column("customer_id"), try column("status"), try column("churn_risk"), try column("clv"))
        let retention = Set(rows.filter { ["active", "loyal"].contains($0[status]) && $0[risk] == "high" }.map { $0[id] })
        let valuable = Set(rows.filter { (Double($0[clv]) ?? -1) >= 100 }.map { $0[id] })
        #expect(!retention.isEmpty && retention.count < rows.count)
        #expect(!valuable.isEmpty && valuable.count < rows.count)

        let (csvHeader, csvRows) = try CSVRecords.read(path: directory.file("out/current/audiences/retention.csv"))
        #expect(csvHeader == ["customer_id", "status", "clv", "churn_probability"])
        #expect(Set(csvRows.map { $0[0] }) == retention && csvRows.count == retention.count)

        let lines = try directory.read("out/current/audiences/retention.jsonl").split(separator: "\n")
        let jsonIDs = try lines.map { line in
            try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["customer_id"] as? String)
        }
        #expect(Set(jsonIDs) == retention && jsonIDs.count == retention.count)

        let queue = try DatabaseQueue(path: directory.file("out/segments.sqlite"))
        let (tableIDs, risks, valuableIDs, statusGroups) = try queue.read { db in
            (
                try String.fetchAll(db, sql: "SELECT customer_id FROM retention"),
                try String.fetchAll(db, sql: "SELECT DISTINCT churn_risk FROM retention"),
                try String.fetchAll(db, sql: "SELECT customer_id FROM valuable"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM summary WHERE dimension = 'status'") ?? 0
            )
        }
        #expect(Set(tableIDs) == retention && tableIDs.count == retention.count)
        #expect(risks == ["high"])
        #expect(Set(valuableIDs) == valuable)
        #expect(statusGroups >= 5)
    }
}
