import Export
import SegflowCore

/// A database that a run loads tables into: where it is, and which tables go there.
public struct DatabaseTarget: Sendable, Equatable {
    public enum Connection: Sendable, Equatable {
        /// A database file, created if missing.
        case sqlite(path: String)
        case postgres(PostgresSettings)
    }

    public var connection: Connection
    public var tables: [DatabaseTableSpec]

    public init(connection: Connection, tables: [DatabaseTableSpec]) {
        self.connection = connection
        self.tables = tables
    }

    /// Where the data goes, for messages: never a credential.
    public var displayName: String {
        switch connection {
        case .sqlite(let path): return "sqlite \(path)"
        case .postgres(let settings): return "postgres \(settings.user)@\(settings.host):\(settings.port)/\(settings.database)"
        }
    }
}

/// How to reach a PostgreSQL server. The password is never part of the pipeline file: it is
/// read from the environment variable `passwordVariable` when the run starts.
public struct PostgresSettings: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain TCP otherwise (libpq's default).
        case prefer
        /// TLS with the server's certificate verified against the system's trusted roots.
        case require
    }

    public var host = "127.0.0.1"
    public var port = 5432
    public var database: String
    public var user: String
    /// The environment variable that holds the password; nil connects without one.
    public var passwordVariable: String?
    /// Tables go to this schema; nil uses the server's search path (usually `public`).
    public var schema: String?
    public var tls = TLSMode.prefer
    /// How long the swap waits for readers that hold the table before the run fails.
    public var lockTimeoutSeconds = 60

    public init(database: String, user: String) {
        self.database = database
        self.user = user
    }
}

/// One table loaded into a database from one of the run's tables.
public struct DatabaseTableSpec: Sendable, Equatable {
    public var source: ExportSpec.Source
    /// The table's name in the database: letters, digits and `_`, starting with a letter.
    public var name: String
    public var selection: ColumnSelection

    public init(source: ExportSpec.Source, name: String, selection: ColumnSelection = ColumnSelection()) {
        self.source = source
        self.name = name
        self.selection = selection
    }

    /// Longest accepted name: PostgreSQL cuts identifiers at 63 bytes, and the staging
    /// table's name adds a suffix.
    public static let maximumNameLength = 40

    /// Whether `name` can be a table name here: it is then safe to write into SQL in quotes.
    public static func isValidName(_ name: String) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte | 0x20) || byte == UInt8(ascii: "_") }
        guard let first = name.utf8.first, isLetter(first), name.utf8.count <= maximumNameLength else { return false }
        return name.utf8.allSatisfy { isLetter($0) || (0x30...0x39).contains($0) }
    }

    /// The selected table and its key column (customer_id or cluster, under its new name)
    /// when the selection keeps it.
    public func load(from table: Table) throws -> TableLoad {
        let selected = try selection.apply(to: table)
        let key = source == .customers ? "customer_id" : "cluster"
        let keyName = selection.rename[key] ?? key
        let keeps = selection.columns.map { $0.contains(key) } ?? (table.column(named: key) != nil)
        return TableLoad(name: name, table: selected, primaryKey: keeps ? keyName : nil)
    }
}

/// A table ready to load: its name in the database, its rows, and the column that becomes
/// its primary key.
public struct TableLoad: Sendable {
    public var name: String
    public var table: Table
    public var primaryKey: String?

    public init(name: String, table: Table, primaryKey: String? = nil) {
        self.name = name
        self.table = table
        self.primaryKey = primaryKey
    }

    /// Where rows go until the swap.
    var stagingName: String { "\(name)__segflow_staging" }
    /// What the replaced table is called for the instant before it is dropped.
    var retiredName: String { "\(name)__segflow_old" }
}
