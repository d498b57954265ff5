import DatabaseExport
import Export
import Foundation
import GRDB
import SegflowCore
import TestSupport
import Testing

// GRDB has types of the same names.
typealias Table = SegflowCore.Table
typealias Column = SegflowCore.Column

/// A table with every column type and the awkward values: text with tabs, line breaks,
/// backslashes, quotes and non-ASCII; empty text; missing numbers and times.
func awkwardTable(version: Int = 1) -> Table {
    Table(
        rowCount: 4,
        columns: [
            Column("customer_id", .text(["c1", "c2", "c3", "c\"4"])),
            Column("label", .text(["tab\there", "line\nbreak\r", "back\\slash 'quote' \"double\"", version == 1 ? "" : "zweite Fassung ü"])),
            Column("orders", .integer([1, nil, -7, Int64(version)])),
            Column("value", .real([1234.5, .nan, -0.000123456789, 123_456_789.5 + Double(version)])),
            Column("first_seen", .timestamp([0, nil, 1_700_000_000, 951_782_400])),
        ])
}

/// The cells of `awkwardTable` as PostgreSQL prints them with `::text`, times as epoch seconds.
func awkwardRowsAsText(version: Int = 1) -> [[String?]] {
    [
        ["c1", "tab\there", "1", "1234.5", "0"],
        ["c2", "line\nbreak\r", nil, nil, nil],
        ["c3", "back\\slash 'quote' \"double\"", "-7", "-0.000123456789", "1700000000"],
        ["c\"4", version == 1 ? nil : "zweite Fassung ü", "\(version)", "\(123_456_789 + version).5", "951782400"],
    ]
}

@Suite struct SQLiteExportTests {
    @Test func tablesAreSwappedInWholeAndReplaceThePreviousVersion() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("db/segments.sqlite")
        for version in 1...2 {
            let staged = try DatabaseExporter.stage(
                [TableLoad(name: "customers", table: awkwardTable(version: version), primaryKey: "customer_id")],
                into: .sqlite(path: path))
            try staged.publish()
        }
        let queue = try DatabaseQueue(path: path)
        let rows = try queue.read { try Row.fetchAll($0, sql: "SELECT * FROM customers ORDER BY rowid") }
        #expect(rows.count == 4)
        #expect(rows[0]["label"] as String? == "tab\there")
        #expect(rows[1]["orders"] as Int64? == nil)
        #expect(rows[1]["value"] as Double? == nil)
        #expect(rows[2]["value"] as Double? == -0.000123456789)
        #expect(rows[2]["first_seen"] as String? == "2023-11-14T22:13:20Z")
        #expect(rows[3]["label"] as String? == "zweite Fassung ü")
        #expect(rows[3]["orders"] as Int64? == 2)
        let tables = try queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        #expect(tables == ["customers"])
        let key = try queue.read { try Row.fetchAll($0, sql: "PRAGMA table_info(customers)") }.first { $0["pk"] as Int == 1 }
        #expect(key?["name"] as String? == "customer_id")
    }

    @Test func aDiscardedLoadLeavesThePublishedTable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("segments.sqlite")
        try DatabaseExporter.stage([TableLoad(name: "customers", table: awkwardTable(version: 1))], into: .sqlite(path: path)).publish()
        // A load that is never published, as when a run fails or is killed after loading.
        _ = try DatabaseExporter.stage([TableLoad(name: "customers", table: awkwardTable(version: 2))], into: .sqlite(path: path))
        let staged = try DatabaseExporter.stage([TableLoad(name: "customers", table: awkwardTable(version: 2))], into: .sqlite(path: path))
        staged.discard()
        let queue = try DatabaseQueue(path: path)
        #expect(try queue.read { try Int64.fetchOne($0, sql: "SELECT orders FROM customers WHERE customer_id = 'c\"4'") } == 1)
        #expect(try queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") } == ["customers"])
    }

    @Test func aFileThatIsNotADatabaseGetsAClearError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("not.sqlite", String(repeating: "this is a CSV file, not SQLite\n", count: 200))
        let error = #expect(throws: DatabaseFailure.self) {
            try DatabaseExporter.stage([TableLoad(name: "customers", table: awkwardTable())], into: .sqlite(path: path))
        }
        #expect(error?.hint.contains("is not a usable SQLite database") == true)
    }
}

@Test func aTableNameIsLettersDigitsAndUnderscores() {
    #expect(DatabaseTableSpec.isValidName("segflow_customers"))
    #expect(DatabaseTableSpec.isValidName("_t2"))
    #expect(!DatabaseTableSpec.isValidName("2t"))
    #expect(!DatabaseTableSpec.isValidName("customers; DROP TABLE x"))
    #expect(!DatabaseTableSpec.isValidName("kunden_ü"))
    #expect(!DatabaseTableSpec.isValidName(String(repeating: "a", count: 41)))
    #expect(!DatabaseTableSpec.isValidName(""))
}

@Test func theKeyColumnFollowsSelectionAndRenaming() throws {
    let table = awkwardTable()
    let renamed = DatabaseTableSpec(
        source: .customers, name: "t", selection: ColumnSelection(columns: ["customer_id", "value"], rename: ["customer_id": "id"]))
    #expect(try renamed.load(from: table).primaryKey == "id")
    #expect(try renamed.load(from: table).table.columnNames == ["id", "value"])
    let withoutKey = DatabaseTableSpec(source: .customers, name: "t", selection: ColumnSelection(columns: ["value"]))
    #expect(try withoutKey.load(from: table).primaryKey == nil)
}

/// Fails the run when scripts/test asked for PostgreSQL and no server was announced, so
/// the PostgreSQL tests cannot be skipped unnoticed in CI.
@Test func postgresServerIsThereWhenRequired() {
    if ProcessInfo.processInfo.environment["SEGFLOW_REQUIRE_POSTGRES"] == "1" {
        #expect(PostgresTestServer.isAvailable, "scripts/test started no PostgreSQL server (SEGFLOW_TEST_POSTGRES is unset)")
    }
}

@Suite(.enabled(if: PostgresTestServer.isAvailable, "needs the server of scripts/postgres-test-server"), .timeLimit(.minutes(3)))
struct PostgresExportTests {
    let server = PostgresTestServer.self

    func export(_ table: Table, as name: String, primaryKey: String? = "customer_id", settings: PostgresSettings = PostgresTestServer.settings) throws
    {
        let staged = try DatabaseExporter.stage(
            [TableLoad(name: name, table: table, primaryKey: primaryKey)],
            into: .postgres(settings), password: server.password)
        try staged.publish()
    }

    func selectAll(_ name: String) throws -> [[String?]] {
        try server.rows(
            "SELECT customer_id, label, orders::text, value::text, extract(epoch FROM first_seen)::bigint::text FROM \(name) ORDER BY value NULLS FIRST"
        )
    }

    @Test func everyValueRoundTripsAndTheTableIsReplaced() throws {
        let name = server.uniqueTableName("roundtrip")
        let sortedByOrders: ([[String?]]) -> [[String?]] = { rows in [rows[1], rows[2], rows[0], rows[3]] }
        try export(awkwardTable(version: 1), as: name)
        #expect(try selectAll(name) == sortedByOrders(awkwardRowsAsText(version: 1)))
        try export(awkwardTable(version: 2), as: name)
        #expect(try selectAll(name) == sortedByOrders(awkwardRowsAsText(version: 2)))
        let types = try server.rows(
            "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = '\(name)' ORDER BY ordinal_position")
        #expect(
            types == [
                ["customer_id", "text"], ["label", "text"], ["orders", "bigint"], ["value", "double precision"],
                ["first_seen", "timestamp with time zone"],
            ])
        let key = try server.rows("SELECT conname::text FROM pg_constraint WHERE conrelid = '\(name)'::regclass AND contype = 'p'")
        #expect(key == [["\(name)_pkey"]])
        let leftovers = try server.rows("SELECT tablename::text FROM pg_tables WHERE tablename LIKE '\(name)%'")
        #expect(leftovers == [[name]])
    }

    @Test func aFailedLoadLeavesThePublishedTable() throws {
        let name = server.uniqueTableName("failed")
        try export(awkwardTable(version: 1), as: name)
        var duplicate = awkwardTable(version: 2)
        duplicate = duplicate.selecting(rows: [0, 1, 2, 3, 0])
        let failure = try #require(throws: DatabaseFailure.self) { try export(duplicate, as: name) }
        #expect("\(failure)".contains("could not create unique index"))
        // The server's detail, "Key (customer_id)=(c1) already exists", names the duplicate id.
        #expect(!"\(failure)".contains("=(c1)") && !"\(failure)".contains("Key ("), "\(failure)")
        #expect(try selectAll(name).map { $0[2] } == [nil, "-7", "1", "1"])
        let leftovers = try server.rows("SELECT tablename::text FROM pg_tables WHERE tablename LIKE '\(name)%'")
        #expect(leftovers == [[name]])
    }

    /// The acceptance test for the swap: a reader in the middle of a transaction keeps
    /// seeing the old table while a second export runs, and sees the new one afterwards.
    @Test func aReaderSeesTheOldTableOrTheNewOneNeverAMix() async throws {
        let name = server.uniqueTableName("swap")
        let old = Table(
            rowCount: 20_000,
            columns: [
                Column("customer_id", .text((0..<20_000).map { "c\($0)" })),
                Column("version", .integer(Array(repeating: 1, count: 20_000))),
            ])
        let new = Table(
            rowCount: 30_000,
            columns: [
                Column("customer_id", .text((0..<30_000).map { "c\($0)" })),
                Column("version", .integer(Array(repeating: 2, count: 30_000))),
            ])
        try DatabaseExporter.stage(
            [TableLoad(name: name, table: old, primaryKey: "customer_id")], into: .postgres(server.settings),
            password: server.password
        ).publish()
        let summary = "SELECT count(*)::text, min(version)::text, max(version)::text FROM \(name)"
        let reader = try server.connect()
        try reader.execute("BEGIN")
        #expect(try reader.rows(summary) == [["20000", "1", "1"]])

        // The second export loads, then waits at the swap for the reader's lock.
        let exportDone = DispatchSemaphore(value: 0)
        let settings = server.settings, password = server.password
        let exportFailure = ErrorBox()
        Thread.detachNewThread {
            do {
                try DatabaseExporter.stage(
                    [TableLoad(name: name, table: new, primaryKey: "customer_id")], into: .postgres(settings),
                    password: password
                ).publish()
            } catch { exportFailure.error = error }
            exportDone.signal()
        }
        var waited = false
        for _ in 0..<600 {
            let waiting = try server.rows(
                "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%\(name)%'")
            if waiting == [["1"]] {
                waited = true
                break
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(waited, "the export never reached the swap")
        #expect(try reader.rows(summary) == [["20000", "1", "1"]])
        // A reader that starts now queues behind the swap, and then finds the new table
        // under the name (not "relation does not exist", not the dropped old one).
        let queuedDone = DispatchSemaphore(value: 0)
        let queuedRows = RowsBox()
        Thread.detachNewThread {
            queuedRows.result = Result { try PostgresTestServer.rows(summary) }
            queuedDone.signal()
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        try reader.execute("COMMIT")
        queuedDone.wait()
        #expect(try queuedRows.result?.get() == [["30000", "2", "2"]])
        exportDone.wait()
        #expect(exportFailure.error == nil, "\(String(describing: exportFailure.error))")
        #expect(try reader.rows(summary) == [["30000", "2", "2"]])
        reader.close()
    }

    @Test func aReaderHoldingTheTableTooLongCallsTheSwapOff() async throws {
        let name = server.uniqueTableName("timeout")
        try export(awkwardTable(version: 1), as: name)
        let reader = try server.connect()
        try reader.execute("BEGIN")
        _ = try reader.rows("SELECT count(*) FROM \(name)")
        var settings = server.settings
        settings.lockTimeoutSeconds = 1
        let error = #expect(throws: DatabaseFailure.self) { try export(awkwardTable(version: 2), as: name, settings: settings) }
        #expect(error?.message.contains("55P03") == true)
        #expect(error?.hint.contains("lock_timeout_seconds") == true)
        try reader.execute("COMMIT")
        reader.close()
        #expect(try selectAll(name).map { $0[2] } == [nil, "-7", "1", "1"])
    }

    /// Data exceptions quote the value they refused; the message keeps the reason only.
    @Test func aValueTheServerRefusesIsNotEchoed() throws {
        let failure = try #require(throws: DatabaseFailure.self) { try server.rows("SELECT 'customer-4711'::float8") }
        #expect("\(failure)".contains("invalid input syntax for type double precision (the value is not shown) (SQLSTATE 22P02)"))
        #expect(!"\(failure)".contains("customer-4711"))
    }

    @Test func aWrongPasswordIsNamedButNeverShown() throws {
        let error = #expect(throws: DatabaseFailure.self) {
            try DatabaseExporter.stage(
                [TableLoad(name: "never", table: awkwardTable())], into: .postgres(server.settings),
                password: "hunter2-wrong-password")
        }
        let text = "\(error?.message ?? "") \(error?.hint ?? "")"
        #expect(text.contains("28P01"))
        #expect(text.contains("SEGFLOW_TEST_PGPASSWORD"))
        #expect(!text.contains("hunter2"))
    }

    /// The test server has no TLS: `prefer` falls back to plain TCP, as libpq's sslmode does,
    /// and `require` refuses to send anything over plain TCP.
    @Test func tlsModesAreLibpqSSLModes() throws {
        var settings = server.settings
        settings.tls = .prefer
        let name = server.uniqueTableName("tls")
        try export(awkwardTable(version: 1), as: name, settings: settings)
        #expect(try server.rows("SELECT count(*)::text FROM \(name)") == [["4"]])
        settings.tls = .require
        let error = #expect(throws: DatabaseFailure.self) { try export(awkwardTable(version: 2), as: name, settings: settings) }
        #expect(error?.message == "the PostgreSQL server at \(settings.host):\(settings.port) does not offer TLS")
        #expect(try selectAll(name).map { $0[2] } == [nil, "-7", "1", "1"])
    }

    @Test func aServerThatIsNotThereGetsAClearError() throws {
        var settings = server.settings
        settings.port = 1
        let error = #expect(throws: DatabaseFailure.self) {
            try DatabaseExporter.stage([TableLoad(name: "never", table: awkwardTable())], into: .postgres(settings), password: "x")
        }
        #expect(error?.message.contains("cannot connect to PostgreSQL at 127.0.0.1:1") == true)
    }
}

/// Written by one thread before it signals, read by the test after the wait.
final class ErrorBox: @unchecked Sendable {
    var error: (any Error)?
}

/// Written by one thread before it signals, read by the test after the wait.
final class RowsBox: @unchecked Sendable {
    var result: Result<[[String?]], any Error>?
}
