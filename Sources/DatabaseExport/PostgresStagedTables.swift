import Export
import Logging
import PostgresNIO
import SegflowCore

/// Loads tables into PostgreSQL inside one open transaction: each goes into a staging table
/// by COPY, gets its primary key and statistics; `publish` renames the old table away, the
/// staging one in and drops the old, then commits. Renames inside a transaction are atomic
/// for readers: a reader's query sees the old table or the new one. A reader holding the
/// old table in an open transaction makes the swap wait (up to `lockTimeoutSeconds`); a
/// killed run's transaction is rolled back by the server, so it leaves nothing behind.
final class PostgresStagedTables: StagedTables {
    private let connection: PostgresConnection
    private let settings: PostgresSettings
    private let tables: [TableLoad]
    /// Set once `publish` ran: the connection is closed then, whatever the outcome.
    private var connectionClosed = false

    init(settings: PostgresSettings, password: String?, tables: [TableLoad]) throws {
        self.settings = settings
        self.tables = tables
        let configuration = try Self.configuration(settings, password: password)
        connection = try Self.run(settings) {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: quietLogger)
            do {
                try await connection.query("BEGIN", logger: quietLogger)
                if let schema = settings.schema {
                    try await connection.execute("SET LOCAL search_path TO \(quoted(schema))")
                }
                for load in tables { try await Self.load(load, into: connection) }
            } catch {
                try? await connection.close()
                throw error
            }
            return connection
        }
    }

    func publish() throws {
        let (connection, tables, settings) = (self.connection, self.tables, self.settings)
        defer { connectionClosed = true }
        try Self.run(settings) {
            do {
                try await connection.execute("SET LOCAL lock_timeout = '\(settings.lockTimeoutSeconds)s'")
                for load in tables {
                    try await connection.execute("ALTER TABLE IF EXISTS \(quoted(load.name)) RENAME TO \(quoted(load.retiredName))")
                    try await connection.execute("ALTER TABLE \(quoted(load.stagingName)) RENAME TO \(quoted(load.name))")
                    try await connection.execute("DROP TABLE IF EXISTS \(quoted(load.retiredName))")
                    if load.primaryKey != nil {
                        try await connection.execute(
                            "ALTER TABLE \(quoted(load.name)) RENAME CONSTRAINT \(quoted(load.stagingName + "_pkey")) TO \(quoted(load.name + "_pkey"))")
                    }
                }
                try await connection.query("COMMIT", logger: quietLogger)
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        }
    }

    /// Closing the connection is enough: the server rolls the open transaction back.
    func discard() {
        guard !connectionClosed else { return }
        connectionClosed = true
        let connection = self.connection
        _ = try? waitFor { try await connection.close() }
    }

    private static func load(_ load: TableLoad, into connection: PostgresConnection) async throws {
        let definitions = load.table.columns.map { quoted($0.name) + " " + sqlType($0.values) }
        try await connection.execute("CREATE TABLE \(quoted(load.stagingName)) (\(definitions.joined(separator: ", ")))")
        let table = load.table
        try await connection.copyFrom(table: load.stagingName, logger: quietLogger) { writer in
            var chunks = TableWriter.Chunks(table, as: .postgresCopy)
            while let chunk = chunks.next() { try await writer.write(ByteBuffer(bytes: chunk)) }
        }
        if let key = load.primaryKey {
            try await connection.execute("ALTER TABLE \(quoted(load.stagingName)) ADD PRIMARY KEY (\(quoted(key)))")
        }
        try await connection.execute("ANALYZE \(quoted(load.stagingName))")
    }

    private static func sqlType(_ values: Column.Values) -> String {
        switch values {
        case .text: return "text"
        case .integer: return "bigint"
        case .real: return "double precision"
        case .timestamp: return "timestamptz"
        }
    }

    private static func configuration(_ settings: PostgresSettings, password: String?) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch settings.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw DatabaseFailure("cannot set up TLS: \(error)", hint: "set tls: disable for a server on this machine or a trusted network")
        }
        return PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                password: password, database: settings.database, tls: tls)
    }

    /// Runs database work, turning its errors into a `DatabaseFailure` in the user's terms.
    @discardableResult
    private static func run<T: Sendable>(_ settings: PostgresSettings, _ work: @escaping @Sendable () async throws -> T) throws -> T {
        do {
            return try waitFor(work)
        } catch let error as PSQLError {
            throw failure(error, settings)
        }
    }

    /// Words for a PostgreSQL error. `PSQLError`'s own description is generic on purpose,
    /// and its debug description can hold query text, so messages are built from the
    /// server's fields and the error code only.
    static func failure(_ error: PSQLError, _ settings: PostgresSettings) -> DatabaseFailure {
        let server = "\(settings.host):\(settings.port)"
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = "PostgreSQL: \(info[.message] ?? "error \(state)") (SQLSTATE \(state))"
            switch state {
            case "28P01", "28000":
                let source = settings.passwordVariable.map { "the password in $\($0)" } ?? "a password (set password_env)"
                return DatabaseFailure(message, hint: "check the user '\(settings.user)' and \(source)")
            case "3D000":
                return DatabaseFailure(message, hint: "create the database '\(settings.database)' or fix outputs.databases.postgres.database")
            case "3F000":
                return DatabaseFailure(message, hint: "create the schema '\(settings.schema ?? "")' or fix outputs.databases.postgres.schema")
            case "42501":
                return DatabaseFailure(message, hint: "grant '\(settings.user)' CREATE on the schema and ownership of the exported tables")
            case "55P03":
                return DatabaseFailure(message, hint: "a reader kept the table open for over \(settings.lockTimeoutSeconds) s, so the swap was "
                                       + "called off and the old tables kept; raise lock_timeout_seconds or find the long transaction in pg_stat_activity")
            case "2BP01":
                return DatabaseFailure(message, hint: "views or foreign keys depend on the table, so it cannot be swapped; "
                                       + "drop them or build them on a table segflow does not replace. The old tables were kept")
            case "53100":
                return DatabaseFailure(message, hint: "free space on the database server; the old tables were kept")
            default:
                return DatabaseFailure(message, hint: "the old tables were kept")
            }
        }
        switch error.code {
        case .connectionError:
            let reason = error.underlying.map { "\($0)" } ?? "no answer"
            return DatabaseFailure("cannot connect to PostgreSQL at \(server): \(reason)",
                                   hint: "check that the server runs and listens there, and outputs.databases.postgres.host/port")
        case .sslUnsupported:
            return DatabaseFailure("the PostgreSQL server at \(server) does not offer TLS", hint: "set tls: prefer or tls: disable")
        case .authMechanismRequiresPassword:
            return DatabaseFailure("the PostgreSQL server at \(server) asks for a password",
                                   hint: "set outputs.databases.postgres.password_env to the variable that holds it")
        case .serverClosedConnection, .uncleanShutdown:
            return DatabaseFailure("the PostgreSQL server at \(server) closed the connection", hint: "check the server's log; the old tables were kept")
        default:
            return DatabaseFailure("PostgreSQL at \(server): \(error.code)", hint: "the old tables were kept")
        }
    }
}

/// The driver's logs stay off: they could carry connection details.
private let quietLogger = Logger(label: "segflow.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

extension PostgresConnection {
    /// One SQL statement built by segflow from checked names, without bind parameters.
    fileprivate func execute(_ sql: String) async throws {
        try await query(PostgresQuery(unsafeSQL: sql), logger: quietLogger)
    }
}
