import DatabaseExport
import Foundation
import Logging
import PostgresNIO

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

    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func connect() async throws -> PostgresConnection {
        let settings = settings
        let configuration = PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                             password: password, database: settings.database, tls: .disable)
        return try await PostgresConnection.connect(configuration: configuration, id: 2, logger: logger)
    }

    /// Every row of a query, each cell as text (nil for NULL).
    static func rows(_ sql: String, on connection: PostgresConnection) async throws -> [[String?]] {
        var rows: [[String?]] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
            rows.append(try row.map { try $0.decode(String?.self) })
        }
        return rows
    }

    static func rows(_ sql: String) async throws -> [[String?]] {
        let connection = try await connect()
        do {
            let result = try await rows(sql, on: connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A table name no other test uses.
    static func uniqueTableName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}
