import Foundation
import GRDB
import Ingest
import TestSupport
import Testing

/// The example pipeline (which loads a SQLite file in its output directory) with its
/// tables also loaded into the test PostgreSQL server, run by the real binary.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable, "needs the server of scripts/postgres-test-server"), .timeLimit(.minutes(5)))
struct PipelineDatabaseTests {
    let server = PostgresTestServer.self

    func pipeline(in directory: TemporaryDirectory, table: String, passwordVariable: String = PostgresTestServer.passwordVariable) throws -> String {
        let settings = server.settings
        return try retailVariant(
            in: directory, replacing: "  databases:\n",
            with: """
                  databases:
                    - postgres: {host: \(settings.host), port: \(settings.port), database: segflow, user: segflow,
                                 password_env: \(passwordVariable), tls: disable}
                      tables:
                        - {table: customers, name: \(table)}
                        - {table: segments, name: \(table)_segments, columns: [cluster, label, customers]}

                """)
    }

    /// `customers.csv` of the published run: header and rows sorted by customer_id.
    func publishedCustomers(_ directory: TemporaryDirectory) throws -> (header: [String], rows: [[String]]) {
        let (header, records) = try CSVRecords.read(path: directory.file("out/current/customers.csv"))
        return (header, records.sorted { $0[0].utf8.lexicographicallyPrecedes($1[0].utf8) })
    }

    /// Every cell of a PostgreSQL table as customers.csv writes it: times as ISO 8601 UTC,
    /// NULL as the empty cell.
    func postgresRows(_ table: String, columns: [String]) throws -> [[String]] {
        let types = try server.rows("SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = '\(table)'")
        let typeOf = Dictionary(uniqueKeysWithValues: types.map { ($0[0]!, $0[1]!) })
        let list = columns.map { name in
            typeOf[name] == "timestamp with time zone"
                ? "to_char(\(name) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" : "\(name)::text"
        }
        return try server.rows("SELECT \(list.joined(separator: ", ")) FROM \(table) ORDER BY customer_id COLLATE \"C\"")
            .map { $0.map { $0 ?? "" } }
    }

    /// Numbers compare as numbers (PostgreSQL prints 1e-05 where the CSV has 0.00001),
    /// within `relative` of each other: SQLite keeps reals the CSV rounds to 12 digits.
    func sameCell(_ a: String, _ b: String, relative: Double) -> Bool {
        if a == b { return true }
        guard let x = Double(a), let y = Double(b) else { return false }
        return abs(x - y) <= relative * max(abs(x), abs(y))
    }

    func expectSameRows(_ actual: [[String]], _ expected: [[String]], _ what: String, relative: Double = 0) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) rows, customers.csv has \(expected.count)")
        let mismatches = zip(actual, expected).filter { row, csv in
            row.count != csv.count || !zip(row, csv).allSatisfy { sameCell($0, $1, relative: relative) }
        }
        #expect(mismatches.isEmpty, "\(what): \(mismatches.count) rows differ from customers.csv, e.g. \(mismatches.first.map { "\($0)" } ?? "")")
    }

    @Test func tablesMatchTheCSVAndAKilledRunLeavesThemAsTheyWere() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let table = server.uniqueTableName("pipeline")
        let path = try pipeline(in: directory, table: table)
        let first = try CLI.run(["run", path, "--output", directory.file("out")])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("table \(table) in postgres segflow@127.0.0.1:\(server.settings.port)/segflow (5,000 rows)"))
        #expect(!first.stdout.contains(server.password) && !first.stderr.contains(server.password))
        #expect(!first.stderr.contains("NOTICE"), "\(first.stderr)")

        let csv = try publishedCustomers(directory)
        expectSameRows(try postgresRows(table, columns: csv.header), csv.rows, "PostgreSQL")
        let sqlite = try await DatabaseQueue(path: directory.file("out/segments.sqlite")).read { database in
            try Row.fetchAll(database, sql: "SELECT * FROM customers ORDER BY customer_id").map { row in
                csv.header.map { name in (row[name] as DatabaseValue).storage.value.map { "\($0)" } ?? "" }
            }
        }
        expectSameRows(sqlite, csv.rows, "SQLite", relative: 1e-11)
        #expect(
            try server.rows("SELECT count(*)::text FROM \(table)_segments") == [
                ["\(try directory.read("out/current/segments.csv").split(separator: "\n").count - 1)"]
            ])
        let manifest = try directory.read("out/current/manifest.json")
        #expect(manifest.contains("\"table\" : \"\(table)\""))
        #expect(!manifest.contains(server.password))

        // Killed after loading, before the swaps: the databases keep the first run's tables.
        let killed = try CLI.run(
            ["run", path, "--output", directory.file("out"), "--as-of", "2024-03-01"],
            environment: ["SEGFLOW_KILL_AT": "before-database-swap"])
        #expect(killed.signal == SIGKILL, "\(killed.stderr)")
        expectSameRows(try postgresRows(table, columns: csv.header), csv.rows, "PostgreSQL after a killed run")
        #expect(
            try server.rows("SELECT tablename::text FROM pg_tables WHERE tablename LIKE '\(table)%' ORDER BY 1")
                == [[table], ["\(table)_segments"]])
        #expect(try publishedCustomers(directory).rows == csv.rows)
    }

    @Test func anUnsetPasswordVariableStopsTheRunBeforeItsWork() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try pipeline(in: directory, table: "never_written", passwordVariable: "SEGFLOW_UNSET_TEST_PASSWORD")
        let result = try CLI.run(["run", path, "--output", directory.file("out")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("outputs.databases[0].postgres.password_env: the environment variable SEGFLOW_UNSET_TEST_PASSWORD is not set"))
        #expect(!directory.exists("out/current"))
    }
}
