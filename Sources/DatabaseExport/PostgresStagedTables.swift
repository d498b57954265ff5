import Export
import SegflowCore

/// Loads tables into PostgreSQL inside one open transaction: each goes into a staging table
/// by COPY, gets its primary key and statistics; `publish` renames the old table away, the
/// staging one in and drops the old, then commits. Renames inside a transaction are atomic
/// for readers: a reader's query sees the old table or the new one. A reader holding the
/// old table in an open transaction makes the swap wait (up to `lockTimeoutSeconds`); a
/// killed run's transaction is rolled back by the server, so it leaves nothing behind.
final class PostgresStagedTables: StagedTables {
    private let session: PostgresSession
    private let settings: PostgresSettings
    private let tables: [TableLoad]

    init(settings: PostgresSettings, password: String?, tables: [TableLoad]) throws {
        self.settings = settings
        self.tables = tables
        session = try PostgresSession(settings, password: password)
        do {
            try session.execute("BEGIN")
            if let schema = settings.schema { try session.execute("SET LOCAL search_path TO \(quoted(schema))") }
            for load in tables { try Self.load(load, into: session) }
        } catch {
            session.close()
            throw error
        }
    }

    func publish() throws {
        defer { session.close() }
        try session.execute("SET LOCAL lock_timeout = '\(settings.lockTimeoutSeconds)s'")
        for load in tables {
            try session.execute("ALTER TABLE IF EXISTS \(quoted(load.name)) RENAME TO \(quoted(load.retiredName))")
            try session.execute("ALTER TABLE \(quoted(load.stagingName)) RENAME TO \(quoted(load.name))")
            try session.execute("DROP TABLE IF EXISTS \(quoted(load.retiredName))")
            if load.primaryKey != nil {
                try session.execute(
                    "ALTER TABLE \(quoted(load.name)) RENAME CONSTRAINT \(quoted(load.stagingName + "_pkey")) TO \(quoted(load.name + "_pkey"))")
            }
        }
        try session.execute("COMMIT")
    }

    /// Closing the connection is enough: the server rolls the open transaction back.
    func discard() {
        session.close()
    }

    private static func load(_ load: TableLoad, into session: PostgresSession) throws {
        let definitions = load.table.columns.map { quoted($0.name) + " " + sqlType($0.values) }
        try session.execute("CREATE TABLE \(quoted(load.stagingName)) (\(definitions.joined(separator: ", ")))")
        try session.copy(into: load.stagingName, chunks: TableWriter.Chunks(load.table, as: .postgresCopy))
        if let key = load.primaryKey {
            try session.execute("ALTER TABLE \(quoted(load.stagingName)) ADD PRIMARY KEY (\(quoted(key)))")
        }
        try session.execute("ANALYZE \(quoted(load.stagingName))")
    }

    private static func sqlType(_ values: Column.Values) -> String {
        switch values {
        case .text: return "text"
        case .integer: return "bigint"
        case .real: return "double precision"
        case .timestamp: return "timestamptz"
        }
    }
}
