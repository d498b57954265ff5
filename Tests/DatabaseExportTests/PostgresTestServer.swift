import DatabaseExport
import Foundation

/// The throw-away server that scripts/test starts with scripts/postgres-test-server and
/// announces in SEGFLOW_TEST_POSTGRES (host:port) and SEGFLOW_TEST_PGPASSWORD.
enum PostgresTestServer {
    static let environment = ProcessInfo.processInfo.environment
    static let passwordVariable = "SEGFLOW_TEST_PGPASSWORD"
    static var isAvailable: Bool { environment["SEGFLOW_TEST_POSTGRES"] != nil }

    static var settings: PostgresSettings {
        let address = environment["SEGFLOW_TEST_POSTGRES"] ?? "127.0.0.1:5432"
        var settings = PostgresSettings(database: "segflow", user: "segflow")
        settings.host = String(address.split(separator: ":")[0])
        settings.port = Int(address.split(separator: ":")[1])!
        settings.passwordVariable = passwordVariable
        settings.tls = .disable
        return settings
    }

    static var password: String { environment[passwordVariable] ?? "" }

    /// A session of the test's own, as a reader beside the export.
    static func connect() throws -> PostgresSession {
        try PostgresSession(settings, password: password)
    }

    /// Every row of a query on a fresh session, each cell as text (nil for NULL).
    static func rows(_ sql: String) throws -> [[String?]] {
        let session = try connect()
        defer { session.close() }
        return try session.rows(sql)
    }

    /// A table name no other test uses.
    static func uniqueTableName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}
